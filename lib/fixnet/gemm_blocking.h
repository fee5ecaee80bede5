// fixnet: the register and cache blocking of the matrix-multiply core, per
// instruction set. A header without intrinsics, so plans can be constexpr.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fixnet {
namespace gemm {

// kLanes: floats per vector; C tiles are kMR rows x (kNV * kLanes) columns;
// A blocks kMC x kKC, B panels kKC x kNC.
#if defined(FIXNET_SIMD_SCALAR)
constexpr int kLanes = 1, kMR = 4, kNV = 4, kKC = 64, kMC = 32, kNC = 64;
#elif defined(__AVX512F__)
constexpr int kLanes = 16, kMR = 12, kNV = 2, kKC = 256, kMC = 144, kNC = 1024;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8, kMR = 6, kNV = 2, kKC = 256, kMC = 96, kNC = 1024;
#elif defined(__SSE2__) || defined(__wasm_simd128__) || (defined(__ARM_NEON) && defined(__aarch64__))
constexpr int kLanes = 4, kMR = 4, kNV = 2, kKC = 256, kMC = 64, kNC = 512;
#else
#define FIXNET_SIMD_SCALAR
constexpr int kLanes = 1, kMR = 4, kNV = 4, kKC = 64, kMC = 32, kNC = 64;
#endif
constexpr int kNR = kNV * kLanes;

// The stride-1 convolution kernel's tile (conv_direct.h): up to kConvRows
// output pixels x kConvVectors vectors of filters. With 16 vector
// registers, 2 x 4 beats 4 x 2 (fewer broadcasts per multiply-add).
#if !defined(FIXNET_SIMD_SCALAR) && !defined(__AVX512F__) && !(defined(__AVX2__) && defined(__FMA__))
constexpr int kConvRows = 2, kConvVectors = 4;
#else
constexpr int kConvRows = kMR, kConvVectors = kNV;
#endif
constexpr int kConvWidth = kConvVectors * kLanes;

// Winograd F(4x4, 5x5) convolution (conv_winograd.h): 8x8 input pixels per
// tile of 4x4 outputs, hence 64 element-wise products; tiles per block, a
// whole number of kernel tiles and at least 12 (the block's transforms,
// 64 x tiles x (channels + kConvWidth) floats, stay in L2).
constexpr int kWinogradPoints = 64;
constexpr int kWinogradTiles = 2 * kConvRows > 12 ? 2 * kConvRows : 12;

constexpr int round_up(int x, int m) { return (x + m - 1) / m * m; }
constexpr int min_int(int a, int b) { return a < b ? a : b; }

// Floats of packing space for C[M, N] = A[M, K] . B[K, N]: the A block one
// worker packs, and one B panel.
constexpr std::size_t pack_a_floats(int M, int K) {
  return std::size_t(min_int(kMC, round_up(M, kMR))) * std::size_t(min_int(kKC, K));
}
constexpr std::size_t pack_b_floats(int N, int K) {
  return std::size_t(min_int(kKC, K)) * std::size_t(min_int(kNC, round_up(N, kNR)));
}

constexpr int ceil_div(int x, int m) { return (x + m - 1) / m; }

// A product with at most kMC rows and a sum over at least this many k, in at
// least one K block per worker (a dense layer's forward pass on a batch, as
// the tutorial's first one), is split over K even when C has tiles enough
// for all: part p then reads only its share of B's rows. For a dense layer
// those are the weights' rows dense_backward_update gives its part p (see
// k_edge), so each core re-reads the weights it updated itself. When the
// host places the cores far apart, that saves far more than the partial
// sums cost.
constexpr int kLongK = 2048;
constexpr bool long_sum(int M, int K, int workers) { return M <= kMC && K >= kLongK && ceil_div(K, kKC) >= workers; }

// How many parts the sum over K is split into so `workers` threads all get a
// share of C[M, N] = A[M, K] . B[K, N]: 1 unless C has fewer tiles than
// workers or the sum is long (long_sum: then one part per worker).
constexpr int k_parts(int M, int N, int K, int workers) {
  if (workers <= 1 || (ceil_div(M, kMC) * ceil_div(N, kNR) >= workers && !long_sum(M, K, workers))) return 1;
  return min_int(workers, ceil_div(K, kKC));
}

// Where part p of `parts` starts in a sum over K split into parts (parts <=
// ceil_div(K, kMR), so none is empty): at a whole kMR strip, as
// dense_backward_update shares out the rows of the weights.
constexpr int k_edge(int K, int p, int parts) {
  return min_int(K, kMR * int(std::int64_t(p) * ceil_div(K, kMR) / parts));
}

// The most rows (up to M) for which the product is split over K; 0 if none.
// Fewer rows mean fewer tiles, so a product split at m rows is split at every
// smaller m too, and its partial sums are largest at this m.
constexpr int split_rows(int M, int N, int K, int workers) {
  const int n_tiles = ceil_div(N, kNR);
  if (workers <= 1 || ceil_div(K, kKC) < 2) return 0;
  const int few_tiles = n_tiles < workers ? min_int(M, kMC * ((workers - 1) / n_tiles)) : 0;
  const int long_rows = long_sum(1, K, workers) ? min_int(M, kMC) : 0;
  return few_tiles > long_rows ? few_tiles : long_rows;
}

// A one-example product (C[1, N] with a row-major B) over at least this many
// k is summed in two halves (see sweep_multiply), the second into partial sums
// of sweep_partial_floats.
constexpr int kSweepSplitK = 2 * kKC;
constexpr std::size_t sweep_partial_floats(int N, int K) { return K >= kSweepSplitK ? std::size_t(N) : 0; }

// Floats of partial sums a K-split product of up to M rows needs besides C.
constexpr std::size_t partial_floats(int M, int N, int K, int workers) {
  const int m = split_rows(M, N, K, workers);
  return m == 0 ? 0 : std::size_t(k_parts(m, N, K, workers) - 1) * std::size_t(m) * std::size_t(N);
}

// Scratch of the matrix-multiply core: pack_a[w] for worker w (an A block,
// a dense layer's update strips; or for task w of a kernel whose tasks each
// own one, as the filter gradients' parts, whichever worker runs it),
// pack_b[0] the B panel all workers share, pack_b[w > 0] worker w's own panel
// when the sum over K is split (null if no product of the plan splits), and
// `partial` for the partial sums of parts 1.. ([M, N] each) or of the second
// half of a one-example product ([N], see kSweepSplitK).
struct Workspace {
  float* const* pack_a = nullptr;
  float* const* pack_b = nullptr;
  float* partial = nullptr;
  std::size_t partial_capacity = 0;  // floats at partial
  std::size_t pack_a_floats = 0;     // floats at each pack_a[w]
  std::size_t pack_b_floats = 0;     // floats at pack_b[0]
};

}  // namespace gemm
}  // namespace fixnet
