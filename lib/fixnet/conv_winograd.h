// fixnet: a stride-1 5x5 convolution by Winograd's minimal filtering F(2x2, 5x5)
// (internal header). Each 2x2 block of output pixels (a tile) comes from the
// 6x6 input pixels under it: with the input tile d, a filter g and the
// constant matrices below,
//   y = A^T [ (G g G^T) (.) (B^T d B) ] A,
// where (.) multiplies element by element. Summed over input channels, the 36
// element-wise products become 36 small matrix products, [tiles, channels] x
// [channels, filters], done by the unpacked convolution kernel
// (conv_direct.h). That is 36 multiply-adds per tile, channel and filter
// instead of 4 x 25 = 100; the transforms add under a tenth of that.
//   B^T = [4  0 -5  0  1  0]   G = [ 1/4     0     0     0    0 ]   A^T = [1 1  1 1  1 0]
//         [0 -4 -4  1  1  0]       [-1/6  -1/6  -1/6  -1/6 -1/6 ]         [0 1 -1 2 -2 1]
//         [0  4 -4 -1  1  0]       [-1/6   1/6  -1/6   1/6 -1/6 ]
//         [0 -2 -1  2  1  0]       [1/24  1/12   1/6   1/3  2/3 ]
//         [0  2 -1 -2  1  0]       [1/24 -1/12   1/6  -1/3  2/3 ]
//         [0  4  0 -5  0  1]       [   0     0     0     0    1 ]
// (interpolation points 0, 1, -1, 2, -2 and infinity; derived and checked
// exactly with rational arithmetic). The rounding differs from the direct sum
// by a few units in the last place of the largest terms (tests bound it).
#pragma once

#include <cstddef>

#include "fixnet/conv_direct.h"
#include "fixnet/gemm_driver.h"
#include "fixnet/kernels.h"

namespace fixnet {
namespace gemm {

namespace winograd {

using simd::Vec;

// o = B^T . d for one column of 6 (elements `step` apart; o's `ostep` apart).
inline void input_1d(const Vec* d, int step, Vec* o, int ostep) {
  using namespace simd;
  const Vec d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step], d4 = d[4 * step], d5 = d[5 * step];
  const Vec four = broadcast(4.0f), five = broadcast(5.0f), two = broadcast(2.0f);
  const Vec p = sub(d4, mul(four, d2)), q = sub(d3, mul(four, d1));  // d4 - 4 d2, d3 - 4 d1
  const Vec r = sub(d4, d2), s = mul(two, sub(d3, d1));              // d4 - d2, 2 (d3 - d1)
  o[0] = add(sub(mul(four, d0), mul(five, d2)), d4);
  o[ostep] = add(p, q);
  o[2 * ostep] = sub(p, q);
  o[3 * ostep] = add(r, s);
  o[4 * ostep] = sub(r, s);
  o[5 * ostep] = add(sub(mul(four, d1), mul(five, d3)), d5);
}

// (y0, y1) = A^T . m for one column of 6.
inline void output_1d(const Vec* m, int step, Vec* y, int ystep) {
  using namespace simd;
  const Vec m1 = m[step], m2 = m[2 * step], m3 = m[3 * step], m4 = m[4 * step];
  y[0] = add(add(m[0], add(m1, m2)), add(m3, m4));
  y[ystep] = add(add(sub(m1, m2), mul(broadcast(2.0f), sub(m3, m4))), m[5 * step]);
}

// o = G . g for one column of 5.
inline void filter_1d(const Vec* g, int step, Vec* o, int ostep) {
  using namespace simd;
  const Vec g0 = g[0], g1 = g[step], g2 = g[2 * step], g3 = g[3 * step], g4 = g[4 * step];
  const Vec even = add(add(g0, g2), g4), odd = add(g1, g3);
  const Vec even_weighted = add(add(mul(broadcast(1.0f / 24.0f), g0), mul(broadcast(1.0f / 6.0f), g2)),
                                mul(broadcast(2.0f / 3.0f), g4));                  // g0/24 + g2/6 + 2 g4/3
  const Vec odd_weighted = add(mul(broadcast(1.0f / 12.0f), g1), mul(broadcast(1.0f / 3.0f), g3));  // g1/12 + g3/3
  const Vec minus_sixth = broadcast(-1.0f / 6.0f);
  o[0] = mul(broadcast(0.25f), g0);
  o[ostep] = mul(minus_sixth, add(even, odd));
  o[2 * ostep] = mul(minus_sixth, sub(even, odd));
  o[3 * ostep] = add(even_weighted, odd_weighted);
  o[4 * ostep] = sub(even_weighted, odd_weighted);
  o[5 * ostep] = g4;
}

}  // namespace winograd

// y[n, oh, ow, f] = relu?(x * w + bias) for a convolution conv2d_winograd_applies()
// accepts; needs conv2d_winograd_filter_floats(g) shared and
// conv2d_winograd_worker_floats(g) per worker.
struct WinogradConv {
  ConvGeometry g;
  const float* x;  // [n, in_h, in_w, channels]
  const float* w;  // [5, 5, channels, filters]
  const float* bias;
  float* y;
  bool relu;

  int tiles_y() const { return ceil_div(g.output.height, 2); }
  int tiles_x() const { return ceil_div(g.output.width, 2); }

  // u[c, e, f] = (G w[., ., c, f] G^T)[e] for channels [c0, c1).
  void transform_filters(float* u, int c0, int c1) const {
    using simd::Vec;
    const int channels = g.input.channels, filters = g.output.channels;
    const std::ptrdiff_t tap = std::ptrdiff_t(channels) * filters;
    for (int c = c0; c < c1; ++c)
      for (int f = 0; f < filters; f += kLanes) {
        Vec taps[25], half[30], out[36];
        for (int t = 0; t < 25; ++t) taps[t] = simd::load(w + t * tap + std::ptrdiff_t(c) * filters + f);
        for (int kx = 0; kx < 5; ++kx) winograd::filter_1d(taps + kx, 5, half + kx, 5);      // G g: [6, 5]
        for (int a = 0; a < 6; ++a) winograd::filter_1d(half + a * 5, 1, out + a * 6, 1);  // (G g) G^T
        for (int e = 0; e < kWinogradPoints; ++e)
          simd::store(u + (std::ptrdiff_t(c) * kWinogradPoints + e) * filters + f, out[e]);
      }
  }

  // Tiles are numbered across images: tile t is (image, tile row, tile column).
  struct Tile {
    int image, y0, x0;  // its top-left output pixel
  };
  Tile tile(int t) const {
    const int per_image = tiles_y() * tiles_x(), i = t % per_image;
    return Tile{t / per_image, i / tiles_x() * 2, i % tiles_x() * 2};
  }

  // v[t - t0, e, c] = (B^T d B)[e] for tiles [t0, t1).
  void transform_inputs(int t0, int t1, float* v) const {
    using simd::Vec;
    const int channels = g.input.channels, in_h = g.input.height, in_w = g.input.width;
    const Vec zero = simd::zero();
    for (int t = t0; t < t1; ++t) {
      const Tile at = tile(t);
      const int iy0 = at.y0 - g.pad_top, ix0 = at.x0 - g.pad_left;
      const float* xi = x + std::ptrdiff_t(at.image) * g.input.size();
      for (int c = 0; c < channels; c += kLanes) {
        Vec d[36], half[36], out[36];
        for (int a = 0; a < 6; ++a)
          for (int b = 0; b < 6; ++b) {
            const int iy = iy0 + a, ix = ix0 + b;
            const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            d[a * 6 + b] = inside ? simd::load(xi + (std::ptrdiff_t(iy) * in_w + ix) * channels + c) : zero;
          }
        for (int b = 0; b < 6; ++b) winograd::input_1d(d + b, 6, half + b, 6);        // B^T d
        for (int a = 0; a < 6; ++a) winograd::input_1d(half + a * 6, 1, out + a * 6, 1);  // (B^T d) B
        for (int e = 0; e < kWinogradPoints; ++e)
          simd::store(v + (std::ptrdiff_t(t - t0) * kWinogradPoints + e) * channels + c, out[e]);
      }
    }
  }

  // Filters [j, j + kConvWidth) of tiles [t0, t1): m[t - t0, e, .] = v[., e] . u[., e],
  // then y = A^T m A plus bias, clamped, for the tile's pixels inside the image.
  void products_and_outputs(int t0, int t1, int j, const float* u, const float* v, float* m) const {
    using simd::Vec;
    const int channels = g.input.channels, filters = g.output.channels, count = t1 - t0;
    for (int e = 0; e < kWinogradPoints; ++e)
      for (int r = 0; r < count; r += kConvRows) {
        const SegmentedA a{v + (std::ptrdiff_t(r) * kWinogradPoints + e) * channels, 1, channels, 0,
                           kWinogradPoints * channels, 1};
        direct_rows<kConvRows>(min_int(kConvRows, count - r), a, u + std::ptrdiff_t(e) * filters + j,
                               std::ptrdiff_t(kWinogradPoints) * filters,
                               TileC{m + (std::ptrdiff_t(r) * kWinogradPoints + e) * kConvWidth,
                                     kWinogradPoints * kConvWidth, false, nullptr, false});
      }
    const int out_h = g.output.height, out_w = g.output.width;
    for (int t = t0; t < t1; ++t) {
      const Tile at = tile(t);
      float* yi = y + std::ptrdiff_t(at.image) * g.output.size();
      for (int f = 0; f < kConvWidth; f += kLanes) {
        Vec p[36], half[12], out[4];
        for (int e = 0; e < kWinogradPoints; ++e)
          p[e] = simd::load(m + (std::ptrdiff_t(t - t0) * kWinogradPoints + e) * kConvWidth + f);
        for (int b = 0; b < 6; ++b) winograd::output_1d(p + b, 6, half + b, 6);        // A^T m: [2, 6]
        for (int a = 0; a < 2; ++a) winograd::output_1d(half + a * 6, 1, out + a * 2, 1);  // (A^T m) A
        const Vec b = bias ? simd::load(bias + j + f) : simd::zero();
        for (int dy = 0; dy < 2 && at.y0 + dy < out_h; ++dy)
          for (int dx = 0; dx < 2 && at.x0 + dx < out_w; ++dx) {
            const Vec value = simd::add(out[dy * 2 + dx], b);
            simd::store(yi + (std::ptrdiff_t(at.y0 + dy) * out_w + at.x0 + dx) * filters + j + f,
                        relu ? simd::max(value, simd::zero()) : value);
          }
      }
    }
  }

  // u = the filters transformed, on `parallel` (workers split the channels).
  void transform_all_filters(float* u, const Parallel& parallel) const {
    const int channels = g.input.channels, parts = min_int(parallel.active_workers(), channels);
    auto part = [&](int p, int, int) { transform_filters(u, p * channels / parts, (p + 1) * channels / parts); };
    parallel_for(parallel, parts, part);
  }

  // The outputs from the transformed filters u, on `parallel`: each task
  // computes one block of kWinogradTiles tiles (the last may be short) in
  // scratch[worker]. Each output is one task's, computed the same way on
  // any number of workers.
  void run_tiles(const float* u, float* const* scratch, const Parallel& parallel) const {
    if (g.n <= 0) return;
    const int channels = g.input.channels, tiles = g.n * tiles_y() * tiles_x();
    auto block = [&](int i, int, int worker) {
      const int t0 = i * kWinogradTiles, t1 = min_int(tiles, t0 + kWinogradTiles);
      float* v = scratch[worker];
      float* m = v + std::size_t(kWinogradPoints) * kWinogradTiles * channels;
      transform_inputs(t0, t1, v);
      for (int j = 0; j < g.output.channels; j += kConvWidth) products_and_outputs(t0, t1, j, u, v, m);
    };
    parallel_for(parallel, ceil_div(tiles, kWinogradTiles), block);
  }
};

}  // namespace gemm
}  // namespace fixnet
