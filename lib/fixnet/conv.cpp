// fixnet: 2-D convolution as three matrix multiplies on the shared core, with
// the image patches gathered while packing (no im2col buffer):
//   forward          y[pos, f]       = patches(x)[pos, (ky,kx,c)] . w[(ky,kx,c), f]
//   filter gradient  dw[(ky,kx,c), f] = patches(x)^T . dy[pos, f]
//   input gradient   dx[pix, c]      = patches_adjoint(dy)[pix, (ky,kx,f)] . w'[(ky,kx,f), c]
// where patches_adjoint gathers, for each input pixel, the output positions its
// kernel offsets fed (so dx needs no scatter and no zeroing). Stride-1
// convolutions whose filters fill the kernel's tiles (the tutorial's) skip the
// packing: conv_direct.h reads patches and weights in place for the forward
// pass and the filter gradient, and runs the input gradient as a convolution
// with flipped filters; 5x5 ones among them go by Winograd's method instead
// (conv_winograd.h), all three products, with 6.25 times fewer multiply-adds.
#include "fixnet/conv_direct.h"
#include "fixnet/conv_winograd.h"
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

  // Writes A(i, k) for k in [k0, k0 + kc) to d[(k - k0) * kMR]: for each
  // kernel row, the taps that land inside the image are copied in runs (one
  // run per kernel row for the convolution, one per tap for its adjoint).
  void pack_row(float* d, int i, int k0, int kc) const {
    const int per_image = grid_h * grid_w;
    const int image = i / per_image, py = (i % per_image) / grid_w, px = i % grid_w;
    const int taps_row = kernel_w * channels;  // columns k per kernel row
    const std::ptrdiff_t image_pixels = std::ptrdiff_t(image) * src_h * src_w;
    auto zero = [&](int from, int to) {
      for (int t = from; t < to; ++t) d[(t - k0) * kMR] = 0.0f;
    };
    auto copy = [&](int from, int to, std::ptrdiff_t source) {  // source: offset of column `from`
      for (int t = from; t < to; ++t) d[(t - k0) * kMR] = src[source + (t - from)];
    };
    for (int k = k0, end = k0 + kc; k < end;) {
      const int ky = k / taps_row, row_start = ky * taps_row, row_end = min_int(end, row_start + taps_row);
      const int ty = adjoint ? py + pad_top - ky : py * stride_h + ky - pad_top;
      const int sy = adjoint ? (ty >= 0 && ty % stride_h == 0 ? ty / stride_h : -1) : ty;
      if (sy < 0 || sy >= src_h) {
        zero(k, row_end);
      } else if (!adjoint) {  // taps kx read source columns sx0 + kx: one contiguous run
        const int sx0 = px * stride_w - pad_left;
        const int lo = row_start + (sx0 < 0 ? -sx0 : 0) * channels;
        const int hi = row_start + min_int(kernel_w, src_w - sx0) * channels;
        const int a = lo > k ? lo : k, b = hi < row_end ? hi : row_end;
        zero(k, a < row_end ? a : row_end);
        if (a < b) copy(a, b, (image_pixels + std::ptrdiff_t(sy) * src_w + sx0) * channels + (a - row_start));
        zero(b > k ? b : k, row_end);
      } else {  // tap kx reads source column (px + pad - kx) / stride when exact
        for (int t = k; t < row_end;) {
          const int kx = (t - row_start) / channels, c = (t - row_start) % channels;
          const int run_end = min_int(row_end, t + channels - c);
          const int tx = px + pad_left - kx;
          const int sx = tx >= 0 && tx % stride_w == 0 ? tx / stride_w : -1;
          if (sx < 0 || sx >= src_w) {
            zero(t, run_end);
          } else {
            copy(t, run_end, (image_pixels + std::ptrdiff_t(sy) * src_w + sx) * channels + c);
          }
          t = run_end;
        }
      }
      k = row_end;
    }
  }

  // A operand packing: rows are positions.
  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      for (int r = 0; r < kMR; ++r) {
        const int i = i0 + s + r;
        if (s + r >= mc || i >= rows) {
          for (int k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
        } else {
          pack_row(dst + r, i, k0, kc);
        }
      }
    }
  }
};

// The transpose of Patches (a convolution, not its adjoint) as an A operand:
// rows are (ky, kx, c), columns positions.
struct PatchesTransposed {
  Patches p;
  int rows;  // kernel_h * kernel_w * channels

  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    const int per_image = p.grid_h * p.grid_w, taps_row = p.kernel_w * p.channels;
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      // Rows of this sliver in one kernel row read consecutive floats of one
      // source row (kx * channels + c): group them into runs.
      struct Group { int first, count, ky, column; } groups[kMR];
      int group_count = 0, live = 0;
      for (int r = 0; r < kMR && s + r < mc && i0 + s + r < rows; ++r, ++live) {
        const int i = i0 + s + r, ky = i / taps_row, column = i % taps_row;
        Group* last = group_count > 0 ? &groups[group_count - 1] : nullptr;
        if (last != nullptr && last->ky == ky && last->column + last->count == column) {
          ++last->count;
        } else {
          groups[group_count++] = Group{r, 1, ky, column};
        }
      }
      int image = k0 / per_image, py = (k0 % per_image) / p.grid_w, px = k0 % p.grid_w;
      for (int k = 0; k < kc; ++k) {
        float* d = dst + k * kMR;
        const int sx0 = px * p.stride_w - p.pad_left;  // source column of kx = 0
        const int lo = (sx0 < 0 ? -sx0 : 0) * p.channels, hi = min_int(p.kernel_w, p.src_w - sx0) * p.channels;
        for (int g = 0; g < group_count; ++g) {
          const Group& gr = groups[g];
          const int sy = py * p.stride_h + gr.ky - p.pad_top;
          const bool row_inside = sy >= 0 && sy < p.src_h;
          // Columns [a, b) of this group lie inside the image.
          const int a = row_inside ? (gr.column > lo ? gr.column : lo) : gr.column + gr.count;
          const int b = row_inside ? min_int(gr.column + gr.count, hi) : a;
          float* out = d + gr.first;  // out[column - gr.column]
          const int end = gr.column + gr.count;
          for (int column = gr.column; column < a && column < end; ++column) out[column - gr.column] = 0.0f;
          if (a < b) {
            const float* in = p.src + (((std::ptrdiff_t(image) * p.src_h + sy) * p.src_w + sx0) * p.channels + a);
            for (int column = a; column < b; ++column) out[column - gr.column] = in[column - a];
          }
          for (int column = b > a ? b : a; column < end; ++column) out[column - gr.column] = 0.0f;
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

  const float* in_place(int, int, std::ptrdiff_t*) const { return nullptr; }

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

// True when g takes the unpacked paths of conv_direct.h and each worker's
// scratch holds their padded input rows.
bool direct_fits(const ConvGeometry& g, const GemmScratch& scratch) {
  const std::size_t direct_floats = conv2d_direct_floats(g);
  return direct_floats > 0 && scratch.pack_a_floats >= direct_floats;
}

// The stride-1 convolution g without packing: by Winograd's method when g
// takes it and the scratch holds it (the filters transformed at pack_b[0] +
// transformed, which needs pack_b_floats >= transformed +
// conv2d_winograd_filter_floats(g)), else directly; direct_fits(g, scratch)
// must hold.
void stride1_conv(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y, bool relu,
                  const GemmScratch& scratch, const Parallel& parallel, std::size_t transformed = 0) {
  if (conv2d_winograd_applies(g) && scratch.pack_a_floats >= conv2d_winograd_worker_floats(g) &&
      scratch.pack_b_floats >= transformed + conv2d_winograd_filter_floats(g)) {
    float* u = scratch.pack_b[0] + transformed;
    conv2d_transform_filters(g, w, u, parallel);
    conv2d_forward_transformed(g, x, u, b, y, relu, scratch, parallel);
  } else {
    gemm::DirectConv{g, x, w, b, y, relu}.run(scratch.pack_a, parallel);
  }
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                    bool relu, const GemmScratch& scratch, const Parallel& parallel) {
  if (direct_fits(g, scratch)) {
    stride1_conv(g, x, w, b, y, relu, scratch, parallel);
    return;
  }
  const Patches a = input_patches(g, x);
  const int k = g.kernel_h * g.kernel_w * g.input.channels, f = g.output.channels;
  gemm::Epilogue e;
  e.bias = b;
  e.relu = relu;
  gemm::multiply(a.rows, f, k, a, gemm::StridedB{gemm::Strided{w, k, f, f, 1}}, y, f, e,
                 scratch, parallel);
}

void conv2d_transform_filters(const ConvGeometry& g, const float* w, float* u, const Parallel& parallel) {
  gemm::WinogradConv{g, nullptr, w, nullptr, nullptr, false}.transform_all_filters(u, parallel);
}

void conv2d_forward_transformed(const ConvGeometry& g, const float* x, const float* u, const float* b, float* y,
                                bool relu, const GemmScratch& scratch, const Parallel& parallel) {
  gemm::WinogradConv{g, x, nullptr, b, y, relu}.run_tiles(u, scratch.pack_a, parallel);
}

void conv2d_backward_filter(const ConvGeometry& g, const float* x, const float* dy, float* dw,
                            float* db, const GemmScratch& scratch, const Parallel& parallel) {
  const Patches patches = input_patches(g, x);
  const int k = g.kernel_h * g.kernel_w * g.input.channels, f = g.output.channels;
  if (g.n > 0 && conv2d_winograd_applies(g) &&
      scratch.pack_a_floats >= conv2d_winograd_gradient_floats(g, parallel.active_workers()) &&
      scratch.pack_b_floats >= conv2d_winograd_filter_floats(g)) {
    gemm::WinogradFilterGradient{g, x, dy, dw}.run(scratch.pack_b[0], scratch.pack_a, parallel);
  } else if (direct_fits(g, scratch)) {
    gemm::DirectFilterGradient{g, x, dy, dw}.run(scratch.pack_a, scratch.pack_a_floats, parallel);
  } else {
    const PatchesTransposed a{patches, k};
    gemm::multiply(k, f, patches.rows, a, gemm::StridedB{gemm::Strided{dy, patches.rows, f, f, 1}}, dw, f,
                   gemm::Epilogue{}, scratch, parallel);
  }
  column_sums(patches.rows, f, dy, db, parallel);
}

void conv2d_backward_input(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                           const GemmScratch& scratch, const Parallel& parallel) {
  const int c = g.input.channels, f = g.output.channels, kh = g.kernel_h, kw = g.kernel_w;
  const std::size_t weights = std::size_t(kh) * std::size_t(kw) * std::size_t(c) * std::size_t(f);
  const ConvGeometry t = conv2d_input_gradient_geometry(g);
  if (direct_fits(t, scratch) && scratch.pack_b_floats >= weights) {  // stride 1 only
    float* flipped = scratch.pack_b[0];  // [ky, kx, f, c] = w[kh-1-ky, kw-1-kx, c, f]
    for (int ky = 0; ky < kh; ++ky)
      for (int kx = 0; kx < kw; ++kx) {
        const float* src = w + (std::ptrdiff_t(kh - 1 - ky) * kw + (kw - 1 - kx)) * c * f;
        float* dst = flipped + (std::ptrdiff_t(ky) * kw + kx) * f * c;
        for (int i = 0; i < c; ++i)
          for (int j = 0; j < f; ++j) dst[j * c + i] = src[i * f + j];
      }
    stride1_conv(t, dy, flipped, nullptr, dx, false, scratch, parallel, weights);
    return;
  }
  const Patches a = output_gradient_patches(g, dy);
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
