// fixnet: the forward pass of a stride-1 convolution read straight from the
// image, with no packing (internal header). In NHWC, the patches of adjacent
// output pixels start `channels` floats apart and each kernel row of a patch
// is kernel_w * channels contiguous floats, once the input rows are copied
// with zero columns on each side. So the micro-kernel reads A (patches) and B
// (the HWIO weights, rows of `filters` floats) where they lie; only that
// padded copy of the input rows is written.
#pragma once

#include <cstddef>

#include "fixnet/gemm_driver.h"

namespace fixnet {
namespace gemm {

// c[R, kConvWidth] = relu?(bias + sum over segments s and k < length of
// a[s*segment_stride + r*lda + k] * B row (s*length + k)), B row j at b + j*ldb.
template <int R>
inline void direct_kernel(int segments, int length, const float* __restrict a, std::ptrdiff_t segment_stride,
                          std::ptrdiff_t lda, const float* __restrict b, std::ptrdiff_t ldb, float* __restrict c,
                          std::ptrdiff_t ldc, const float* bias, bool relu) {
  using simd::Vec;
  Vec acc[R][kConvVectors];
  for (int v = 0; v < kConvVectors; ++v) {
    const Vec init = bias ? simd::load(bias + v * kLanes) : simd::zero();
    for (int r = 0; r < R; ++r) acc[r][v] = init;
  }
  for (int s = 0; s < segments; ++s, a += segment_stride) {
    for (int k = 0; k < length; ++k, b += ldb) {
      Vec bv[kConvVectors];
      for (int v = 0; v < kConvVectors; ++v) bv[v] = simd::load(b + v * kLanes);
      for (int r = 0; r < R; ++r) {
        const Vec av = simd::broadcast(a[r * lda + k]);
        for (int v = 0; v < kConvVectors; ++v) acc[r][v] = simd::mul_add(av, bv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < kConvVectors; ++v)
      simd::store(c + r * ldc + v * kLanes, relu ? simd::max(acc[r][v], simd::zero()) : acc[r][v]);
}

// direct_kernel<rows> for any rows in 1..R.
template <int R>
inline void direct_rows(int rows, int segments, int length, const float* a, std::ptrdiff_t segment_stride,
                        std::ptrdiff_t lda, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc,
                        const float* bias, bool relu) {
  if constexpr (R > 1) {
    if (rows < R) {
      direct_rows<R - 1>(rows, segments, length, a, segment_stride, lda, b, ldb, c, ldc, bias, relu);
      return;
    }
  }
  direct_kernel<R>(segments, length, a, segment_stride, lda, b, ldb, c, ldc, bias, relu);
}

// A stride-1 convolution y[n, out_h, out_w, filters] = relu?(x * w + bias),
// filters a multiple of kConvWidth; run() needs in_h * padded_width() * channels
// floats of scratch per worker.
struct DirectConv {
  const float* x;  // [n, in_h, in_w, channels]
  const float* w;  // [kernel_h, kernel_w, channels, filters]
  const float* bias;
  float* y;
  bool relu;
  int n, in_h, in_w, channels, out_h, out_w, filters, kernel_h, kernel_w, pad_top, pad_left;

  int padded_width() const { return out_w + kernel_w - 1; }

  // Output rows [oy0, oy1) of image `image`, using `band` for the padded input rows.
  void rows(int image, int oy0, int oy1, float* band) const {
    const int wp = padded_width(), row_floats = wp * channels;
    const int copied = min_int(in_w, wp - pad_left);
    const int r0 = oy0 - pad_top > 0 ? oy0 - pad_top : 0;
    const int r1 = min_int(in_h, oy1 + kernel_h - 1 - pad_top);
    for (int sy = r0; sy < r1; ++sy) {
      float* row = band + std::ptrdiff_t(sy - r0) * row_floats;
      const float* src = x + (std::ptrdiff_t(image) * in_h + sy) * in_w * channels;
      for (int t = 0; t < pad_left * channels; ++t) row[t] = 0.0f;
      for (int t = 0; t < copied * channels; ++t) row[pad_left * channels + t] = src[t];
      for (int t = (pad_left + copied) * channels; t < row_floats; ++t) row[t] = 0.0f;
    }
    const int blocks = ceil_div(out_w, kConvRows), length = kernel_w * channels;
    for (int oy = oy0; oy < oy1; ++oy) {
      // Kernel rows [ky0, ky1) land inside the image; the others add nothing.
      const int ky0 = pad_top - oy > 0 ? pad_top - oy : 0;
      const int ky1 = min_int(kernel_h, in_h + pad_top - oy);
      const int segments = ky1 > ky0 ? ky1 - ky0 : 0;
      const float* a = segments > 0 ? band + std::ptrdiff_t(oy + ky0 - pad_top - r0) * row_floats : band;
      const float* b = w + std::ptrdiff_t(ky0) * length * filters;
      float* out = y + (std::ptrdiff_t(image) * out_h + oy) * out_w * filters;
      for (int block = 0; block < blocks; ++block) {
        const int x0 = block * out_w / blocks, x1 = (block + 1) * out_w / blocks;
        for (int j = 0; j < filters; j += kConvWidth)
          direct_rows<kConvRows>(x1 - x0, segments, length, a + std::ptrdiff_t(x0) * channels, row_floats, channels,
                           b + j, filters, out + std::ptrdiff_t(x0) * filters + j, filters,
                           bias ? bias + j : nullptr, relu);
      }
    }
  }

  // Runs on `parallel`: each task is one image, or a band of rows of one when
  // there are fewer images than workers; workers copy their rows to pad[worker].
  void run(float* const* pad, const Parallel& parallel) const {
    const int workers = parallel.run != nullptr && parallel.workers > 1 ? parallel.workers : 1;
    const int bands = n >= workers ? 1 : min_int(out_h, ceil_div(workers, n));
    auto task = [&](int i, int, int worker) {
      const int image = i / bands, band = i % bands;
      rows(image, band * out_h / bands, (band + 1) * out_h / bands, pad[worker]);
    };
    parallel_for(parallel, n * bands, task);
  }
};

}  // namespace gemm
}  // namespace fixnet
