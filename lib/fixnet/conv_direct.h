// fixnet: stride-1 convolutions read straight from the image, with no packing
// (internal header): the forward pass (which also serves the input gradient,
// a convolution with flipped filters) and the filter gradient. In NHWC, the
// patches of adjacent output pixels start `channels` floats apart and each
// kernel row of a patch is kernel_w * channels contiguous floats, once the
// input rows are copied with zero columns on each side. So the micro-kernel
// reads A (patches, or input rows) and B (the HWIO weights, or dy) where they
// lie; only that padded copy of the input rows is written.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/gemm_driver.h"
#include "fixnet/kernels.h"

namespace fixnet {
namespace gemm {

// Where the kernel reads A: element (r, k) of segment s at
// data[s*segment_stride + r*row_stride + k*step], k < length.
struct SegmentedA {
  const float* data;
  int segments, length;
  std::ptrdiff_t segment_stride, row_stride, step;
};

// Where it writes C: c[r*ldc + j] = relu?(start + A . B) for the tile's
// columns j, start = c itself when accumulating, else bias (or 0).
struct TileC {
  float* c;
  std::ptrdiff_t ldc;
  bool accumulate;
  const float* bias;
  bool relu;
};

// C[R, V * kLanes] (V <= kConvVectors) from A[R, all segments' k] and B, row
// k (counted across segments) at b + k*ldb.
template <int R, int V>
inline void direct_kernel(const SegmentedA& a, const float* __restrict b, std::ptrdiff_t ldb, const TileC& out) {
  using simd::Vec;
  Vec acc[R][V];
  for (int v = 0; v < V; ++v) {
    const Vec init = out.bias ? simd::load(out.bias + v * kLanes) : simd::zero();
    for (int r = 0; r < R; ++r) acc[r][v] = out.accumulate ? simd::load(out.c + r * out.ldc + v * kLanes) : init;
  }
  for (int s = 0; s < a.segments; ++s) {
    const float* __restrict ak = a.data + s * a.segment_stride;
    for (int k = 0; k < a.length; ++k, ak += a.step, b += ldb) {
      Vec bv[V];
      for (int v = 0; v < V; ++v) bv[v] = simd::load(b + v * kLanes);
      for (int r = 0; r < R; ++r) {
        const Vec av = simd::broadcast(ak[r * a.row_stride]);
        for (int v = 0; v < V; ++v) acc[r][v] = simd::mul_add(av, bv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      simd::store(out.c + r * out.ldc + v * kLanes, out.relu ? simd::max(acc[r][v], simd::zero()) : acc[r][v]);
}

// direct_kernel<rows, vectors> for any rows in 1..R and vectors in
// 1..kConvVectors (a tile of kConvWidth columns, or the last, narrower one).
template <int R>
inline void direct_rows(int rows, int vectors, const SegmentedA& a, const float* b, std::ptrdiff_t ldb,
                        const TileC& out) {
  with_rows<R>(rows, [&](auto r) {
    with_rows<kConvVectors>(vectors, [&](auto v) {
      direct_kernel<decltype(r)::value, decltype(v)::value>(a, b, ldb, out);
    });
  });
}

// Vectors of the filter tile that starts at filter j of `filters`.
inline int tile_vectors(int filters, int j) { return min_int(kConvVectors, (filters - j) / kLanes); }

// Rows [r0, r1) of an NHWC image (width, channels) into band, each row widened
// to padded_width pixels: pad_left zero pixels first, zeros after the image.
inline void copy_padded_rows(const float* image, int width, int channels, int pad_left, int padded_width, int r0,
                             int r1, float* band) {
  const int row_floats = padded_width * channels, copied = min_int(width, padded_width - pad_left);
  for (int sy = r0; sy < r1; ++sy) {
    float* row = band + std::ptrdiff_t(sy - r0) * row_floats;
    const float* src = image + std::ptrdiff_t(sy) * width * channels;
    for (int t = 0; t < pad_left * channels; ++t) row[t] = 0.0f;
    for (int t = 0; t < copied * channels; ++t) row[pad_left * channels + t] = src[t];
    for (int t = (pad_left + copied) * channels; t < row_floats; ++t) row[t] = 0.0f;
  }
}

// A stride-1 convolution y[n, out_h, out_w, filters] = relu?(x * w + bias),
// filters a multiple of kLanes; run() needs conv2d_direct_floats(g)
// floats of scratch per worker.
struct DirectConv {
  ConvGeometry g;
  const float* x;  // [n, in_h, in_w, channels]
  const float* w;  // [kernel_h, kernel_w, channels, filters]
  const float* bias;
  float* y;
  bool relu;

  // Output rows [oy0, oy1) of image `image`, using `band` for the padded input rows.
  void rows(int image, int oy0, int oy1, float* band) const {
    const int in_h = g.input.height, channels = g.input.channels, out_w = g.output.width;
    const int filters = g.output.channels, wp = conv2d_padded_width(g), row_floats = wp * channels;
    const int r0 = oy0 - g.pad_top > 0 ? oy0 - g.pad_top : 0;
    const int r1 = min_int(in_h, oy1 + g.kernel_h - 1 - g.pad_top);
    copy_padded_rows(x + std::ptrdiff_t(image) * g.input.size(), g.input.width, channels, g.pad_left, wp, r0, r1,
                     band);
    const int blocks = ceil_div(out_w, kConvRows), length = g.kernel_w * channels;
    for (int oy = oy0; oy < oy1; ++oy) {
      // Kernel rows [ky0, ky1) land inside the image; the others add nothing.
      const int ky0 = g.pad_top - oy > 0 ? g.pad_top - oy : 0;
      const int ky1 = min_int(g.kernel_h, in_h + g.pad_top - oy);
      const int segments = ky1 > ky0 ? ky1 - ky0 : 0;
      const float* a = segments > 0 ? band + std::ptrdiff_t(oy + ky0 - g.pad_top - r0) * row_floats : band;
      const float* b = w + std::ptrdiff_t(ky0) * length * filters;
      float* out = y + (std::ptrdiff_t(image) * g.output.height + oy) * out_w * filters;
      for (int block = 0; block < blocks; ++block) {
        const int x0 = block * out_w / blocks, x1 = (block + 1) * out_w / blocks;
        const SegmentedA patches{a + std::ptrdiff_t(x0) * channels, segments, length, row_floats, channels, 1};
        for (int j = 0; j < filters; j += kConvWidth)
          direct_rows<kConvRows>(x1 - x0, tile_vectors(filters, j), patches, b + j, filters,
                                 TileC{out + std::ptrdiff_t(x0) * filters + j, filters, false,
                                       bias ? bias + j : nullptr, relu});
      }
    }
  }

  // Runs on `parallel`: each task is one image, or a band of rows of one when
  // there are fewer images than workers; workers copy their rows to pad[worker].
  void run(float* const* pad, const Parallel& parallel) const {
    if (g.n <= 0) return;  // no images, no output
    const int workers = parallel.active_workers(), out_h = g.output.height;
    const int bands = g.n >= workers ? 1 : min_int(out_h, ceil_div(workers, g.n));
    auto task = [&](int i, int, int worker) {
      const int image = i / bands, band = i % bands;
      rows(image, band * out_h / bands, (band + 1) * out_h / bands, pad[worker]);
    };
    parallel_for(parallel, g.n * bands, task);
  }
};

// The filter gradient of a stride-1 convolution, dw[ky, kx, c, f] = sum over
// images and output positions of x[n, oy+ky-pad_top, ox+kx-pad_left, c] .
// dy[n, oy, ox, f]: for each kernel row ky, a product [(kx, c), positions] x
// [positions, filters] whose A is the padded input read in place (the
// kernel_w * channels values of (kx, c) consecutive, positions `channels`
// apart) and whose B is dy itself. Filters a multiple of kLanes; scratch
// per worker conv2d_direct_gradient_floats(g, workers).
struct DirectFilterGradient {
  ConvGeometry g;
  const float* x;   // [n, in_h, in_w, channels]
  const float* dy;  // [n, out_h, out_w, filters]
  float* dw;        // [kernel_h, kernel_w, channels, filters]

  // Tiles of dw: (filter block, kernel row, block of (kx, c) rows), filter
  // blocks outermost so consecutive tiles read the same columns of dy.
  int row_blocks() const { return ceil_div(g.kernel_w * g.input.channels, kConvRows); }

  // Adds image `image`'s share to tiles [t0, t1) of `blocks` row blocks of
  // out (or overwrites them when not accumulating); band holds the padded image.
  void add_image(int image, int blocks, int t0, int t1, float* band, float* out, bool accumulate) const {
    const int in_h = g.input.height, channels = g.input.channels, out_h = g.output.height, out_w = g.output.width;
    const int filters = g.output.channels, wp = conv2d_padded_width(g), row_floats = wp * channels;
    const int taps_row = g.kernel_w * channels;
    copy_padded_rows(x + std::ptrdiff_t(image) * g.input.size(), g.input.width, channels, g.pad_left, wp, 0, in_h,
                     band);
    const float* dy_image = dy + std::ptrdiff_t(image) * g.output.size();
    for (int t = t0; t < t1; ++t) {
      const int block = t % blocks, ky = (t / blocks) % g.kernel_h, j = t / (blocks * g.kernel_h) * kConvWidth;
      const int r0 = block * taps_row / blocks, r1 = (block + 1) * taps_row / blocks;
      // Output rows whose input row oy + ky - pad_top lies inside the image.
      const int oy0 = g.pad_top - ky > 0 ? g.pad_top - ky : 0, oy1 = min_int(out_h, in_h + g.pad_top - ky);
      const int segments = oy1 > oy0 ? oy1 - oy0 : 0;
      const float* a = segments > 0 ? band + std::ptrdiff_t(oy0 + ky - g.pad_top) * row_floats : band;
      const SegmentedA input{a + r0, segments, out_w, row_floats, 1, channels};
      direct_rows<kConvRows>(r1 - r0, tile_vectors(filters, j), input,
                             dy_image + std::ptrdiff_t(oy0) * out_w * filters + j, filters,
                             TileC{out + (std::ptrdiff_t(ky) * taps_row + r0) * filters + j, filters, accumulate,
                                   nullptr, false});
    }
  }

  // Runs on `parallel`. With several workers and room past each pad[p]'s
  // band (pad_floats >= conv2d_direct_gradient_floats(g, workers)), task p
  // sums a share of the images into dw (p = 0) or past its band, and the
  // parts are then added in order (the result depends on the worker count);
  // else each task owns a range of tiles and sums every image into them (the
  // same sums on any worker count, but every task copies every image).
  void run(float* const* pad, std::size_t pad_floats, const Parallel& parallel) const {
    const int filters = g.output.channels;
    const std::ptrdiff_t count = std::ptrdiff_t(g.kernel_h) * g.kernel_w * g.input.channels * filters;
    if (g.n <= 0) {  // an empty sum
      for (std::ptrdiff_t i = 0; i < count; ++i) dw[i] = 0.0f;
      return;
    }
    const int blocks = row_blocks(), tiles = ceil_div(filters, kConvWidth) * g.kernel_h * blocks;
    const int workers = min_int(parallel.active_workers(), kMaxWorkers);
    const std::size_t band = conv2d_direct_floats(g);
    if (workers > 1 && g.n > 1 && pad_floats >= conv2d_direct_gradient_floats(g, workers)) {
      const int parts = min_int(workers, g.n);
      auto images = [&](int p, int, int) {
        float* out = p == 0 ? dw : pad[p] + band;
        for (int image = p * g.n / parts; image < (p + 1) * g.n / parts; ++image)
          add_image(image, blocks, 0, tiles, pad[p], out, image > p * g.n / parts);
      };
      parallel_for(parallel, parts, images);
      auto add = [&](int q, int, int) {
        const std::ptrdiff_t i0 = std::ptrdiff_t(std::int64_t(q) * count / parts);
        const std::ptrdiff_t i1 = std::ptrdiff_t(std::int64_t(q + 1) * count / parts);
        for (int p = 1; p < parts; ++p)
          for (std::ptrdiff_t i = i0; i < i1; ++i) dw[i] += pad[p][band + std::size_t(i)];
      };
      parallel_for(parallel, parts, add);
      return;
    }
    const int parts = min_int(workers, tiles);
    auto task = [&](int p, int, int worker) {
      const int t0 = p * tiles / parts, t1 = (p + 1) * tiles / parts;
      for (int image = 0; image < g.n; ++image) add_image(image, blocks, t0, t1, pad[worker], dw, image > 0);
    };
    parallel_for(parallel, parts, task);
  }
};

}  // namespace gemm
}  // namespace fixnet
