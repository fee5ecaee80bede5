// fixnet: a stride-1 5x5 convolution by Winograd's minimal filtering F(4x4, 5x5)
// (internal header). Each 4x4 block of output pixels (a tile) comes from the
// 8x8 input pixels under it: with the input tile d, a filter g and the
// constant matrices below,
//   y = A^T [ (G g G^T) (.) (B^T d B) ] A,
// where (.) multiplies element by element. Summed over input channels, the 64
// element-wise products become 64 small matrix products, [tiles, channels] x
// [channels, filters], done by the unpacked convolution kernel
// (conv_direct.h). That is 64 multiply-adds per tile, channel and filter
// instead of 16 x 25 = 400; the transforms add about a seventh of that (the
// tutorial's second layer).
//   B^T = [-1    0  21/4     0 -21/4    0  1  0]   A^T = [1 1  1 1  1   1    1 0]
//         [ 0    1     1 -17/4 -17/4    1  1  0]         [0 1 -1 2 -2 1/2 -1/2 0]
//         [ 0   -1     1  17/4 -17/4   -1  1  0]         [0 1  1 4  4 1/4  1/4 0]
//         [ 0  1/2   1/4  -5/2  -5/4    2  1  0]         [0 1 -1 8 -8 1/8 -1/8 1]
//         [ 0 -1/2   1/4   5/2  -5/4   -2  1  0]
//         [ 0    2     4  -5/2    -5  1/2  1  0]   G = [   -1      0     0      0     0]
//         [ 0   -2     4   5/2    -5 -1/2  1  0]       [ -2/9   -2/9  -2/9   -2/9  -2/9]
//         [ 0   -1     0  21/4     0 -21/4  0  1]       [ -2/9    2/9  -2/9    2/9  -2/9]
//                                                      [ 1/90   1/45  2/45   4/45  8/45]
//                                                      [ 1/90  -1/45  2/45  -4/45  8/45]
//                                                      [32/45  16/45  8/45   4/45  2/45]
//                                                      [32/45 -16/45  8/45  -4/45  2/45]
//                                                      [    0      0     0      0     1]
// (interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity; derived and
// checked exactly with rational arithmetic). The rounding differs from the
// direct sum's by up to a few 1e-6 of the sum of the terms' magnitudes, about
// 1.3e-5 for the filter gradient of a small image (tests bound both).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/conv_direct.h"
#include "fixnet/gemm_driver.h"
#include "fixnet/kernels.h"

namespace fixnet {
namespace gemm {

namespace winograd {

using simd::Vec;

constexpr int kOut = 4;  // output pixels per tile side

// o = B^T . d for one column of 8 (elements `step` apart; o's `ostep` apart).
inline void input_1d(const Vec* d, int step, Vec* o, int ostep) {
  using namespace simd;
  Vec v[8];
  for (int i = 0; i < 8; ++i) v[i] = d[i * step];
  auto scaled = [](float k, Vec x) { return mul(broadcast(k), x); };
  o[0] = add(sub(v[6], v[0]), scaled(5.25f, sub(v[2], v[4])));
  o[7 * ostep] = add(sub(v[7], v[1]), scaled(5.25f, sub(v[3], v[5])));
  const Vec p1 = sub(add(v[2], v[6]), scaled(4.25f, v[4])), q1 = sub(add(v[1], v[5]), scaled(4.25f, v[3]));
  o[ostep] = add(p1, q1);
  o[2 * ostep] = sub(p1, q1);
  const Vec p3 = add(sub(scaled(0.25f, v[2]), scaled(1.25f, v[4])), v[6]);
  const Vec q3 = add(sub(scaled(0.5f, v[1]), scaled(2.5f, v[3])), scaled(2.0f, v[5]));
  o[3 * ostep] = add(p3, q3);
  o[4 * ostep] = sub(p3, q3);
  const Vec p5 = add(sub(scaled(4.0f, v[2]), scaled(5.0f, v[4])), v[6]);
  const Vec q5 = add(sub(scaled(2.0f, v[1]), scaled(2.5f, v[3])), scaled(0.5f, v[5]));
  o[5 * ostep] = add(p5, q5);
  o[6 * ostep] = sub(p5, q5);
}

// y = A^T . m for one column of 8: the forward pass's 4 outputs, or the
// filter gradient's 5 (A'^T: A^T's rows without m7 in the fourth, then
// (0 1 1 16 16 1/16 1/16 1)).
template <int Outputs>
inline void output_1d(const Vec* m, int step, Vec* y, int ystep) {
  using namespace simd;
  auto scaled = [](float k, Vec x) { return mul(broadcast(k), x); };
  const Vec s1 = add(m[step], m[2 * step]), d1 = sub(m[step], m[2 * step]);
  const Vec s3 = add(m[3 * step], m[4 * step]), d3 = sub(m[3 * step], m[4 * step]);
  const Vec s5 = add(m[5 * step], m[6 * step]), d5 = sub(m[5 * step], m[6 * step]);
  y[0] = add(add(m[0], s1), add(s3, s5));
  y[ystep] = add(d1, add(scaled(2.0f, d3), scaled(0.5f, d5)));
  y[2 * ystep] = add(s1, add(scaled(4.0f, s3), scaled(0.25f, s5)));
  const Vec third = add(scaled(8.0f, d3), scaled(0.125f, d5));
  if constexpr (Outputs == 4) {
    y[3 * ystep] = add(add(d1, m[7 * step]), third);
  } else {
    y[3 * ystep] = add(d1, third);
    y[4 * ystep] = add(add(s1, m[7 * step]), add(scaled(16.0f, s3), scaled(0.0625f, s5)));
  }
}

// o = G . g for one column of 5 filter taps (8 outputs), or G' . h for one
// of 4 taps of an output-gradient tile (the filter gradient's G': G without
// its last column, and 1 at (7, 3)).
template <int Taps>
inline void filter_1d(const Vec* g, int step, Vec* o, int ostep) {
  using namespace simd;
  auto scaled = [](float k, Vec x) { return mul(broadcast(k), x); };
  const Vec g0 = g[0], g1 = g[step], g2 = g[2 * step], g3 = g[3 * step];
  Vec even1 = add(g0, g2), even3 = add(scaled(1.0f / 90.0f, g0), scaled(2.0f / 45.0f, g2));
  Vec even5 = add(scaled(32.0f / 45.0f, g0), scaled(8.0f / 45.0f, g2));
  if constexpr (Taps == 5) {
    const Vec g4 = g[4 * step];
    even1 = add(even1, g4);
    even3 = add(even3, scaled(8.0f / 45.0f, g4));
    even5 = add(even5, scaled(2.0f / 45.0f, g4));
  }
  o[0] = scaled(-1.0f, g0);
  o[7 * ostep] = g[(Taps - 1) * step];
  const Vec e1 = scaled(-2.0f / 9.0f, even1), o1 = scaled(-2.0f / 9.0f, add(g1, g3));
  o[ostep] = add(e1, o1);
  o[2 * ostep] = sub(e1, o1);
  const Vec o3 = add(scaled(1.0f / 45.0f, g1), scaled(4.0f / 45.0f, g3));
  o[3 * ostep] = add(even3, o3);
  o[4 * ostep] = sub(even3, o3);
  const Vec o5 = add(scaled(16.0f / 45.0f, g1), scaled(4.0f / 45.0f, g3));
  o[5 * ostep] = add(even5, o5);
  o[6 * ostep] = sub(even5, o5);
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

  int tiles_y() const { return ceil_div(g.output.height, winograd::kOut); }
  int tiles_x() const { return ceil_div(g.output.width, winograd::kOut); }

  // u[e, c, f] = (G w[., ., c, f] G^T)[e] for channels [c0, c1), kConvWidth
  // filters at a time, so each point's row of u is written whole lines at
  // once (the 64 rows lie channels * filters floats apart).
  void transform_filters(float* u, int c0, int c1) const {
    using simd::Vec;
    const int channels = g.input.channels, filters = g.output.channels;
    const std::ptrdiff_t tap = std::ptrdiff_t(channels) * filters;
    for (int c = c0; c < c1; ++c)
      for (int j = 0; j < filters; j += kConvWidth) {
        Vec out[kConvVectors][64];
        for (int v = 0; v < kConvVectors; ++v) {
          const float* wf = w + std::ptrdiff_t(c) * filters + j + v * kLanes;
          Vec taps[25], half[40];
          for (int t = 0; t < 25; ++t) taps[t] = simd::load(wf + t * tap);
          for (int kx = 0; kx < 5; ++kx) winograd::filter_1d<5>(taps + kx, 5, half + kx, 5);         // G g: [8, 5]
          for (int a = 0; a < 8; ++a) winograd::filter_1d<5>(half + a * 5, 1, out[v] + a * 8, 1);  // (G g) G^T
        }
        for (int e = 0; e < kWinogradPoints; ++e)
          for (int v = 0; v < kConvVectors; ++v)
            simd::store(u + (std::ptrdiff_t(e) * channels + c) * filters + j + v * kLanes, out[v][e]);
      }
  }

  // Tiles are numbered across images: tile t is (image, tile row, tile column).
  struct Tile {
    int image, y0, x0;  // its top-left output pixel
  };
  Tile tile(int t) const {
    const int per_image = tiles_y() * tiles_x(), i = t % per_image;
    return Tile{t / per_image, i / tiles_x() * winograd::kOut, i % tiles_x() * winograd::kOut};
  }

  // v[e, t - t0, c] = (B^T d B)[e] for tiles [t0, t1).
  void transform_inputs(int t0, int t1, float* v) const {
    using simd::Vec;
    const int channels = g.input.channels, in_h = g.input.height, in_w = g.input.width;
    const Vec zero = simd::zero();
    for (int t = t0; t < t1; ++t) {
      const Tile at = tile(t);
      const int iy0 = at.y0 - g.pad_top, ix0 = at.x0 - g.pad_left;
      const float* xi = x + std::ptrdiff_t(at.image) * g.input.size();
      for (int c = 0; c < channels; c += kLanes) {
        Vec d[64], half[64], out[64];
        for (int a = 0; a < 8; ++a)
          for (int b = 0; b < 8; ++b) {
            const int iy = iy0 + a, ix = ix0 + b;
            const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            d[a * 8 + b] = inside ? simd::load(xi + (std::ptrdiff_t(iy) * in_w + ix) * channels + c) : zero;
          }
        for (int b = 0; b < 8; ++b) winograd::input_1d(d + b, 8, half + b, 8);        // B^T d
        for (int a = 0; a < 8; ++a) winograd::input_1d(half + a * 8, 1, out + a * 8, 1);  // (B^T d) B
        for (int e = 0; e < kWinogradPoints; ++e)
          simd::store(v + (std::ptrdiff_t(e) * kWinogradTiles + (t - t0)) * channels + c, out[e]);
      }
    }
  }

  // Filters [j, j + kConvWidth) of tiles [t0, t1): m[e, t - t0, .] = v[e] . u[e, ., j..],
  // then y = A^T m A plus bias, clamped, for the tile's pixels inside the image.
  void products_and_outputs(int t0, int t1, int j, const float* u, const float* v, float* m) const {
    using simd::Vec;
    const int channels = g.input.channels, filters = g.output.channels, count = t1 - t0;
    for (int e = 0; e < kWinogradPoints; ++e)
      for (int r = 0; r < count; r += kConvRows) {
        const SegmentedA a{v + (std::ptrdiff_t(e) * kWinogradTiles + r) * channels, 1, channels, 0, channels, 1};
        direct_rows<kConvRows>(min_int(kConvRows, count - r), kConvVectors, a, u + std::ptrdiff_t(e) * channels * filters + j,
                               filters,
                               TileC{m + (std::ptrdiff_t(e) * kWinogradTiles + r) * kConvWidth, kConvWidth, false,
                                     nullptr, false});
      }
    const int out_h = g.output.height, out_w = g.output.width;
    for (int t = t0; t < t1; ++t) {
      const Tile at = tile(t);
      float* yi = y + std::ptrdiff_t(at.image) * g.output.size();
      for (int f = 0; f < kConvWidth; f += kLanes) {
        Vec p[64], half[32], out[16];
        for (int e = 0; e < kWinogradPoints; ++e)
          p[e] = simd::load(m + (std::ptrdiff_t(e) * kWinogradTiles + (t - t0)) * kConvWidth + f);
        for (int b = 0; b < 8; ++b) winograd::output_1d<4>(p + b, 8, half + b, 8);        // A^T m: [4, 8]
        for (int a = 0; a < 4; ++a) winograd::output_1d<4>(half + a * 8, 1, out + a * 4, 1);  // (A^T m) A
        const Vec b = bias ? simd::load(bias + j + f) : simd::zero();
        for (int dy = 0; dy < winograd::kOut && at.y0 + dy < out_h; ++dy)
          for (int dx = 0; dx < winograd::kOut && at.x0 + dx < out_w; ++dx) {
            const Vec value = simd::add(out[dy * winograd::kOut + dx], b);
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
  // computes one block of at most kWinogradTiles tiles in scratch[worker];
  // blocks are even, and as many as workers while each keeps a kernel
  // tile's rows. Each output is one task's, computed the same way on any
  // number of workers.
  void run_tiles(const float* u, float* const* scratch, const Parallel& parallel) const {
    if (g.n <= 0) return;
    const int channels = g.input.channels, tiles = g.n * tiles_y() * tiles_x();
    const int blocks = ceil_div(tiles, kWinogradTiles) > parallel.active_workers()
                           ? ceil_div(tiles, kWinogradTiles)
                           : min_int(parallel.active_workers(), ceil_div(tiles, kConvRows));
    auto block = [&](int i, int, int worker) {
      const int t0 = int(std::int64_t(i) * tiles / blocks), t1 = int(std::int64_t(i + 1) * tiles / blocks);
      float* v = scratch[worker];
      float* m = v + std::size_t(kWinogradPoints) * kWinogradTiles * channels;
      transform_inputs(t0, t1, v);
      for (int j = 0; j < g.output.channels; j += kConvWidth) products_and_outputs(t0, t1, j, u, v, m);
    };
    parallel_for(parallel, blocks, block);
  }
};

// The filter gradient dw[ky, kx, c, f] = sum over images and output pixels of
// x[n, oy+ky-pad_top, ox+kx-pad_left, c] . dy[n, oy, ox, f] of a convolution
// conv2d_winograd_applies() accepts, by F(5x5, 4x4): for each 4x4 tile of dy,
// its 8x8 input patch d correlated with the tile h gives a 5x5 contribution,
//   A'^T [ (G' h G'^T) (.) (B^T d B) ] A',
// with the forward pass's B^T (the same points give the same matrix) and G',
// A' (filter_1d<4>, output_1d<5>). Summed over tiles first, as 64
// products [channels, tiles] x [tiles, filters], then transformed once.
// Needs conv2d_winograd_gradient_floats(g, workers) per worker and
// conv2d_winograd_filter_floats(g) shared.
struct WinogradFilterGradient {
  ConvGeometry g;
  const float* x;   // [n, in_h, in_w, channels]
  const float* dy;  // [n, out_h, out_w, filters]
  float* dw;        // [5, 5, channels, filters]

  // h[e, t - t0, f] = (G' dy-tile G'^T)[e] for tiles [t0, t1), all filters.
  void transform_gradients(const WinogradConv& tiles, int t0, int t1, float* h) const {
    using simd::Vec;
    const int filters = g.output.channels, out_h = g.output.height, out_w = g.output.width;
    const Vec zero = simd::zero();
    for (int t = t0; t < t1; ++t) {
      const WinogradConv::Tile at = tiles.tile(t);
      const float* dyi = dy + std::ptrdiff_t(at.image) * g.output.size();
      for (int f = 0; f < filters; f += kLanes) {
        Vec d[16], half[32], out[64];
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) {
            const int oy = at.y0 + a, ox = at.x0 + b;
            d[a * 4 + b] = oy < out_h && ox < out_w ? simd::load(dyi + (std::ptrdiff_t(oy) * out_w + ox) * filters + f)
                                                    : zero;
          }
        for (int b = 0; b < 4; ++b) winograd::filter_1d<4>(d + b, 4, half + b, 4);          // G' h: [8, 4]
        for (int a = 0; a < 8; ++a) winograd::filter_1d<4>(half + a * 4, 1, out + a * 8, 1);  // (G' h) G'^T
        for (int e = 0; e < kWinogradPoints; ++e)
          simd::store(h + (std::ptrdiff_t(e) * kWinogradTiles + (t - t0)) * filters + f, out[e]);
      }
    }
  }

  // sums[e, c, f] over tiles [t0, t1), all filters, kWinogradTiles at a
  // time; v holds one block's transforms.
  void sum_tiles(const WinogradConv& tiles, int t0, int t1, float* sums, float* v) const {
    const int channels = g.input.channels, filters = g.output.channels;
    float* h = v + std::size_t(kWinogradPoints) * kWinogradTiles * channels;
    for (int b0 = t0; b0 < t1; b0 += kWinogradTiles) {
      const int b1 = min_int(t1, b0 + kWinogradTiles);
      tiles.transform_inputs(b0, b1, v);
      transform_gradients(tiles, b0, b1, h);
      for (int e = 0; e < kWinogradPoints; ++e)
        for (int c = 0; c < channels; c += kConvRows) {
          const SegmentedA a{v + std::ptrdiff_t(e) * kWinogradTiles * channels + c, 1, b1 - b0, 0, 1, channels};
          for (int j = 0; j < filters; j += kConvWidth)
            direct_rows<kConvRows>(min_int(kConvRows, channels - c), kConvVectors, a,
                                   h + std::ptrdiff_t(e) * kWinogradTiles * filters + j, filters,
                                   TileC{sums + (std::ptrdiff_t(e) * channels + c) * filters + j, filters, b0 > t0,
                                         nullptr, false});
        }
    }
  }

  // dw = A'^T m A' for channels [c0, c1), m[e] the sum of the parts' sums
  // (part 0 first).
  void transform_sums(int c0, int c1, const float* const* sums, int parts) const {
    using simd::Vec;
    const int channels = g.input.channels, filters = g.output.channels;
    const std::ptrdiff_t tap = std::ptrdiff_t(channels) * filters;
    for (int c = c0; c < c1; ++c)
      for (int f = 0; f < filters; f += kLanes) {
        Vec m[64], half[40], out[25];
        for (int e = 0; e < kWinogradPoints; ++e) {
          const std::ptrdiff_t at = (std::ptrdiff_t(e) * channels + c) * filters + f;
          m[e] = simd::load(sums[0] + at);
          for (int p = 1; p < parts; ++p) m[e] = simd::add(m[e], simd::load(sums[p] + at));
        }
        for (int b = 0; b < 8; ++b) winograd::output_1d<5>(m + b, 8, half + b, 8);        // A'^T m: [5, 8]
        for (int a = 0; a < 5; ++a) winograd::output_1d<5>(half + a * 8, 1, out + a * 5, 1);  // (A'^T m) A'
        for (int k = 0; k < 25; ++k) simd::store(dw + k * tap + std::ptrdiff_t(c) * filters + f, out[k]);
      }
  }

  // Runs on `parallel`: task p sums an even share of the tile blocks
  // (transforming only its own tiles) with scratch[p] for its transforms,
  // into `shared` (p = 0) or past them in scratch[p]; then tasks transform
  // the parts' sums for shares of the channels. The result depends on the
  // number of active workers (the order of the sums), not on which worker
  // runs what. Needs g.n >= 1.
  void run(float* shared, float* const* scratch, const Parallel& parallel) const {
    const WinogradConv tiles{g, x, nullptr, nullptr, nullptr, false};
    const int count = g.n * tiles.tiles_y() * tiles.tiles_x(), blocks = ceil_div(count, kWinogradTiles);
    const int parts = min_int(min_int(parallel.active_workers(), kMaxWorkers), blocks);
    const std::size_t block_floats =
        std::size_t(kWinogradPoints) * kWinogradTiles * std::size_t(g.input.channels + g.output.channels);
    float* sums[kMaxWorkers] = {shared};
    for (int p = 1; p < parts; ++p) sums[p] = scratch[p] + block_floats;
    auto share = [&](int p, int, int) {
      const int t0 = min_int(count, p * blocks / parts * kWinogradTiles);
      const int t1 = min_int(count, (p + 1) * blocks / parts * kWinogradTiles);
      sum_tiles(tiles, t0, t1, sums[p], scratch[p]);
    };
    parallel_for(parallel, parts, share);
    const int channels = g.input.channels, channel_parts = min_int(parallel.active_workers(), channels);
    auto transform = [&](int p, int, int) {
      transform_sums(p * channels / channel_parts, (p + 1) * channels / channel_parts, sums, parts);
    };
    parallel_for(parallel, channel_parts, transform);
  }
};

}  // namespace gemm
}  // namespace fixnet
