// fixnet: 2-D convolution as three matrix multiplies on the shared core, with
// the image patches gathered while packing (no im2col buffer):
//   forward          y[pos, f]       = patches(x)[pos, (ky,kx,c)] . w[(ky,kx,c), f]
//   filter gradient  dw[(ky,kx,c), f] = patches(x)^T . dy[pos, f]
//   input gradient   dx[pix, c]      = patches_adjoint(dy)[pix, (ky,kx,f)] . w'[(ky,kx,f), c]
// where patches_adjoint gathers, for each input pixel, the output positions its
// kernel offsets fed (so dx needs no scatter and no zeroing).
#include "fixnet/gemm_driver.h"
#include "fixnet/kernels.h"

namespace fixnet {

namespace {

using gemm::kMR;
using gemm::kNR;
using gemm::min_int;

// Rows: positions (image, py, px) on a grid; columns: (ky, kx, c). Each element
// is a channel of one source pixel chosen by the kernel offset, or 0 (padding).
struct Patches {
  const float* src;
  int src_h, src_w, channels;  // NHWC source images
  int grid_h, grid_w, rows;    // positions per image, and in all
  int kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
  bool adjoint;  // false: source = p*stride + k - pad; true: (p + pad - k)/stride when exact

  // The source pixel one kernel offset reads from a position, or null.
  const float* pixel(int image, int py, int px, int ky, int kx) const {
    int sy, sx;
    if (!adjoint) {
      sy = py * stride_h + ky - pad_top;
      sx = px * stride_w + kx - pad_left;
    } else {
      const int ty = py + pad_top - ky, tx = px + pad_left - kx;
      if (ty < 0 || tx < 0 || ty % stride_h != 0 || tx % stride_w != 0) return nullptr;
      sy = ty / stride_h;
      sx = tx / stride_w;
    }
    if (sy < 0 || sx < 0 || sy >= src_h || sx >= src_w) return nullptr;
    return src + ((std::ptrdiff_t(image) * src_h + sy) * src_w + sx) * channels;
  }

  // A operand packing: rows are positions.
  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    const int per_image = grid_h * grid_w;
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      for (int r = 0; r < kMR; ++r) {
        const int i = i0 + s + r;
        if (s + r >= mc || i >= rows) {
          for (int k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
          continue;
        }
        const int image = i / per_image, py = (i % per_image) / grid_w, px = i % grid_w;
        int c = k0 % channels, kx = (k0 / channels) % kernel_w, ky = k0 / (channels * kernel_w);
        for (int k = 0; k < kc;) {
          const int run = min_int(channels - c, kc - k);
          const float* p = pixel(image, py, px, ky, kx);
          float* d = dst + k * kMR + r;
          if (p != nullptr) {
            for (int t = 0; t < run; ++t) d[t * kMR] = p[c + t];
          } else {
            for (int t = 0; t < run; ++t) d[t * kMR] = 0.0f;
          }
          k += run;
          c = 0;
          if (++kx == kernel_w) { kx = 0; ++ky; }
        }
      }
    }
  }
};

// The transpose of Patches as an A operand: rows are (ky, kx, c), columns positions.
struct PatchesTransposed {
  Patches p;
  int rows;  // kernel_h * kernel_w * channels

  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    const int per_image = p.grid_h * p.grid_w;
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      // Rows of this sliver sharing one kernel offset read consecutive channels
      // of one pixel: group them so each position costs one lookup per group.
      struct Group { int first, count, ky, kx, c; } groups[kMR];
      int group_count = 0, live = 0;
      for (int r = 0; r < kMR && s + r < mc && i0 + s + r < rows; ++r, ++live) {
        const int i = i0 + s + r;
        const int c = i % p.channels, kx = (i / p.channels) % p.kernel_w, ky = i / (p.channels * p.kernel_w);
        Group& last = groups[group_count > 0 ? group_count - 1 : 0];
        if (group_count > 0 && last.ky == ky && last.kx == kx && last.c + last.count == c) {
          ++last.count;
        } else {
          groups[group_count++] = Group{r, 1, ky, kx, c};
        }
      }
      int image = k0 / per_image, py = (k0 % per_image) / p.grid_w, px = k0 % p.grid_w;
      for (int k = 0; k < kc; ++k) {
        float* d = dst + k * kMR;
        for (int g = 0; g < group_count; ++g) {
          const Group& gr = groups[g];
          const float* src = p.pixel(image, py, px, gr.ky, gr.kx);
          if (src != nullptr) {
            for (int t = 0; t < gr.count; ++t) d[gr.first + t] = src[gr.c + t];
          } else {
            for (int t = 0; t < gr.count; ++t) d[gr.first + t] = 0.0f;
          }
        }
        for (int r = live; r < kMR; ++r) d[r] = 0.0f;
        if (++px == p.grid_w) {
          px = 0;
          if (++py == p.grid_h) { py = 0; ++image; }
        }
      }
    }
  }
};

// B operand for the input gradient: rows (ky, kx, f), columns input channels c,
// element w[ky, kx, c, f].
struct WeightsForInputGradient {
  const float* w;
  int kernel_h, kernel_w, channels, filters;

  void pack(float* dst, int k0, int kc, int j0, int nc) const {
    for (int s = 0; s < nc; s += kNR, dst += kNR * kc) {
      const int live = min_int(kNR, nc - s);
      for (int k = 0; k < kc; ++k) {
        const int row = k0 + k;
        const int f = row % filters, offset = row / filters;  // offset = ky*kw + kx
        const float* src = w + (std::ptrdiff_t(offset) * channels + j0 + s) * filters + f;
        for (int j = 0; j < kNR; ++j) dst[k * kNR + j] = j < live ? src[j * filters] : 0.0f;
      }
    }
  }
};

Patches input_patches(const ConvGeometry& g, const float* x) {
  return Patches{x,          g.input.height, g.input.width, g.input.channels, g.output.height,
                 g.output.width, g.n * g.output.height * g.output.width, g.kernel_h, g.kernel_w,
                 g.stride_h, g.stride_w, g.pad_top, g.pad_left, false};
}

Patches output_gradient_patches(const ConvGeometry& g, const float* dy) {
  return Patches{dy,          g.output.height, g.output.width, g.output.channels, g.input.height,
                 g.input.width, g.n * g.input.height * g.input.width, g.kernel_h, g.kernel_w,
                 g.stride_h, g.stride_w, g.pad_top, g.pad_left, true};
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                    bool relu, const GemmScratch& scratch, const Parallel& parallel) {
  const Patches a = input_patches(g, x);
  const int k = g.kernel_h * g.kernel_w * g.input.channels, f = g.output.channels;
  gemm::Epilogue e;
  e.bias = b;
  e.relu = relu;
  gemm::multiply(a.rows, f, k, a, gemm::StridedB{gemm::Strided{w, k, f, f, 1}}, y, f, e,
                 scratch, parallel);
}

void conv2d_backward_filter(const ConvGeometry& g, const float* x, const float* dy, float* dw,
                            float* db, const GemmScratch& scratch, const Parallel& parallel) {
  const Patches patches = input_patches(g, x);
  const int k = g.kernel_h * g.kernel_w * g.input.channels, f = g.output.channels;
  const PatchesTransposed a{patches, k};
  gemm::multiply(k, f, patches.rows, a, gemm::StridedB{gemm::Strided{dy, patches.rows, f, f, 1}}, dw, f,
                 gemm::Epilogue{}, scratch, parallel);
  column_sums(patches.rows, f, dy, db);
}

void conv2d_backward_input(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                           const GemmScratch& scratch, const Parallel& parallel) {
  const Patches a = output_gradient_patches(g, dy);
  const int c = g.input.channels, f = g.output.channels;
  const WeightsForInputGradient b{w, g.kernel_h, g.kernel_w, c, f};
  gemm::multiply(a.rows, c, g.kernel_h * g.kernel_w * f, a, b, dx, c, gemm::Epilogue{}, scratch,
                 parallel);
}

// --- scalar references: the definitions, loop by loop ---------------------------

namespace {
// Visits every (image, oy, ox, ky, kx) whose input pixel lies inside the image.
template <class F>
void for_each_tap(const ConvGeometry& g, F f) {
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox)
        for (int ky = 0; ky < g.kernel_h; ++ky)
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int iy = oy * g.stride_h + ky - g.pad_top, ix = ox * g.stride_w + kx - g.pad_left;
            if (iy < 0 || ix < 0 || iy >= g.input.height || ix >= g.input.width) continue;
            const std::ptrdiff_t in = ((std::ptrdiff_t(n) * g.input.height + iy) * g.input.width + ix) * g.input.channels;
            const std::ptrdiff_t out = ((std::ptrdiff_t(n) * g.output.height + oy) * g.output.width + ox) * g.output.channels;
            const std::ptrdiff_t tap = (std::ptrdiff_t(ky) * g.kernel_w + kx) * g.input.channels * g.output.channels;
            f(in, out, tap);
          }
}
}  // namespace

void conv2d_forward_reference(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y) {
  const int c_in = g.input.channels, c_out = g.output.channels;
  const std::ptrdiff_t outputs = std::ptrdiff_t(g.n) * g.output.height * g.output.width;
  for (std::ptrdiff_t p = 0; p < outputs; ++p)
    for (int f = 0; f < c_out; ++f) y[p * c_out + f] = b[f];
  for_each_tap(g, [&](std::ptrdiff_t in, std::ptrdiff_t out, std::ptrdiff_t tap) {
    for (int c = 0; c < c_in; ++c)
      for (int f = 0; f < c_out; ++f) y[out + f] += x[in + c] * w[tap + c * c_out + f];
  });
}

void conv2d_backward_filter_reference(const ConvGeometry& g, const float* x, const float* dy, float* dw, float* db) {
  const int c_in = g.input.channels, c_out = g.output.channels;
  const std::ptrdiff_t weights = std::ptrdiff_t(g.kernel_h) * g.kernel_w * c_in * c_out;
  for (std::ptrdiff_t i = 0; i < weights; ++i) dw[i] = 0.0f;
  for_each_tap(g, [&](std::ptrdiff_t in, std::ptrdiff_t out, std::ptrdiff_t tap) {
    for (int c = 0; c < c_in; ++c)
      for (int f = 0; f < c_out; ++f) dw[tap + c * c_out + f] += x[in + c] * dy[out + f];
  });
  for (int f = 0; f < c_out; ++f) db[f] = 0.0f;
  const std::ptrdiff_t outputs = std::ptrdiff_t(g.n) * g.output.height * g.output.width;
  for (std::ptrdiff_t p = 0; p < outputs; ++p)
    for (int f = 0; f < c_out; ++f) db[f] += dy[p * c_out + f];
}

void conv2d_backward_input_reference(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int c_in = g.input.channels, c_out = g.output.channels;
  const std::ptrdiff_t inputs = std::ptrdiff_t(g.n) * g.input.height * g.input.width * c_in;
  for (std::ptrdiff_t i = 0; i < inputs; ++i) dx[i] = 0.0f;
  for_each_tap(g, [&](std::ptrdiff_t in, std::ptrdiff_t out, std::ptrdiff_t tap) {
    for (int c = 0; c < c_in; ++c)
      for (int f = 0; f < c_out; ++f) dx[in + c] += dy[out + f] * w[tap + c * c_out + f];
  });
}

}  // namespace fixnet
