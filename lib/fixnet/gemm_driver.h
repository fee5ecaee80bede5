// fixnet: the matrix-multiply core shared by dense layers and convolutions.
// Internal header. C[M, N] (row-major, leading dimension ldc) = A[M, K] . B[K, N]
// (+ C, or + bias per column; optional ReLU), computed BLIS-style: B is packed
// into KC x NR column slivers, A into MC x KC blocks of MR-row slivers, and a
// register-blocked MR x NR micro-kernel does every multiply-add. A and B are
// any "operand" type with a pack() method, so convolutions pack straight from
// the NHWC image (implicit im2col) and transposes cost nothing extra.
#pragma once

#include <cstddef>
#include <type_traits>

#include "fixnet/gemm_blocking.h"
#include "fixnet/parallel.h"
#include "fixnet/simd.h"

namespace fixnet {
namespace gemm {

static_assert(kLanes == simd::kLanes, "gemm_blocking.h and simd.h disagree on the vector width");

// Calls f(std::integral_constant<int, rows>{}) for rows in 1..R: a kernel
// templated on its row count, run on the rows an edge tile has.
template <int R, class F>
inline void with_rows(int rows, const F& f) {
  if constexpr (R > 1) {
    if (rows < R) {
      with_rows<R - 1>(rows, f);
      return;
    }
  }
  f(std::integral_constant<int, R>{});
}

// What happens to each C tile: overwrite or accumulate; add a per-column bias
// (only when overwriting); clamp at zero after the last K block.
struct Epilogue {
  bool accumulate = false;
  const float* bias = nullptr;  // [N] or null
  bool relu = false;
};

// c[R, NR] (=|+=) A . B over kc, starting from the bias row (or zeros) when
// overwriting: A packed with kMR floats per k (its first R rows used), B rows
// ldb floats apart (kNR when packed, the matrix's row stride when read in place).
template <int R>
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, std::ptrdiff_t ldb,
                         float* __restrict c, std::ptrdiff_t ldc, bool accumulate, const float* bias, bool relu) {
  using simd::Vec;
  Vec acc[R][kNV];
  for (int v = 0; v < kNV; ++v) {
    const Vec init = bias ? simd::load(bias + v * kLanes) : simd::zero();
    for (int r = 0; r < R; ++r) acc[r][v] = init;
  }
  for (int k = 0; k < kc; ++k) {
    Vec bv[kNV];
    for (int v = 0; v < kNV; ++v) bv[v] = simd::load(b + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const Vec av = simd::broadcast(a[r]);
      for (int v = 0; v < kNV; ++v) acc[r][v] = simd::mul_add(av, bv[v], acc[r][v]);
    }
    a += kMR;
    b += ldb;
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < kNV; ++v) {
      float* p = c + r * ldc + v * kLanes;
      Vec x = accumulate ? simd::add(simd::load(p), acc[r][v]) : acc[r][v];
      if (relu) x = simd::max(x, simd::zero());
      simd::store(p, x);
    }
  }
}

// micro_kernel<rows> for any rows in 1..R.
template <int R>
inline void rows_kernel(int rows, int kc, const float* a, const float* b, std::ptrdiff_t ldb, float* c,
                        std::ptrdiff_t ldc, bool accumulate, const float* bias, bool relu) {
  with_rows<R>(rows, [&](auto r) { micro_kernel<decltype(r)::value>(kc, a, b, ldb, c, ldc, accumulate, bias, relu); });
}

// The micro-kernel on a tile of C cut short by its edges: rows <= kMR run
// exactly; fewer than kNR columns go through a local tile.
inline void edge_kernel(int kc, const float* a, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc,
                        int rows, int cols, bool accumulate, const float* bias, bool relu) {
  if (cols == kNR) {
    rows_kernel<kMR>(rows, kc, a, b, ldb, c, ldc, accumulate, bias, relu);
    return;
  }
  alignas(64) float tile[kMR * kNR];
  alignas(64) float bias_tile[kNR];
  if (bias) {
    for (int j = 0; j < kNR; ++j) bias_tile[j] = j < cols ? bias[j] : 0.0f;
  }
  rows_kernel<kMR>(rows, kc, a, b, ldb, tile, kNR, false, bias ? bias_tile : nullptr, false);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < cols; ++j) {
      float x = tile[r * kNR + j] + (accumulate ? c[r * ldc + j] : 0.0f);
      if (relu && x < 0.0f) x = 0.0f;
      c[r * ldc + j] = x;
    }
  }
}

// Calls f(i, count, worker) for i in [0, count) through `parallel`.
template <class F>
void parallel_for(const Parallel& parallel, int count, F& f) {
  parallel.for_each(
      count, [](void* ctx, int i, int n, int w) { (*static_cast<F*>(ctx))(i, n, w); }, &f);
}

// B for the micro-kernels of one K block: a packed panel, and optionally the
// matrix itself for full slivers that can be read in place (direct != null).
struct PanelView {
  const float* packed;  // sliver s at packed + s * kNR * kc
  const float* direct;  // B(k0, j0), or null
  std::ptrdiff_t ldb;   // row stride of direct
};

// B slivers of at most this many floats in all stay in L2 while every A
// sliver sweeps them (256 KB, well within the L2 of desktop and phone cores).
constexpr std::size_t kL2PanelFloats = 64 * 1024;

// Runs the micro-kernels of one A block (rows [ic, ic + mc), packed in pa)
// against B slivers [s0, s1) for the K block of kc. When those slivers stay
// in L2, each A sliver sweeps them in turn, so C is written a kMR-row strip
// at a time in address order (what counts when K is short and writing C is
// most of the work, as in a weight gradient); else a B sliver at a time,
// each held in L1 for all the A slivers.
inline void block_kernels(const float* pa, const PanelView& panel, int mc, int kc, int nc, int s0, int s1, float* c,
                          std::ptrdiff_t ldc, bool accumulate, const float* bias, bool relu) {
  auto tile = [&](int ir, int jr) {
    const int cols = min_int(kNR, nc - jr);
    const bool in_place = panel.direct != nullptr && cols == kNR;
    const float* pb = in_place ? panel.direct + jr : panel.packed + std::ptrdiff_t(jr) * kc;
    edge_kernel(kc, pa + std::ptrdiff_t(ir) * kc, pb, in_place ? panel.ldb : kNR, c + std::ptrdiff_t(ir) * ldc + jr,
                ldc, min_int(kMR, mc - ir), cols, accumulate, bias ? bias + jr : nullptr, relu);
  };
  const int j_end = min_int(nc, s1 * kNR);
  if (std::size_t(kc) * std::size_t(j_end - s0 * kNR) <= kL2PanelFloats) {
    for (int ir = 0; ir < mc; ir += kMR)
      for (int jr = s0 * kNR; jr < j_end; jr += kNR) tile(ir, jr);
  } else {
    for (int jr = s0 * kNR; jr < j_end; jr += kNR)
      for (int ir = 0; ir < mc; ir += kMR) tile(ir, jr);
  }
}

// B is read in place, unpacked, when it is row-major and C has this few rows
// (packing would cost more than it saves).
constexpr int kDirectRows = 4 * kMR;

// For C with at most kStreamRows rows and a row-major B (a matrix-vector
// product, like a dense layer on one example): B is streamed row by row, each
// row once, into accumulators spanning many columns; rows of B that meet only
// zeros of A are skipped (so B must hold no infinities or NaNs there to give
// what a full product would).
constexpr int kStreamRows = 4;
#if defined(__AVX512F__) && !defined(FIXNET_SIMD_SCALAR)
constexpr int kStreamVectors = 16;  // accumulators per call, of 32 registers
#else
constexpr int kStreamVectors = 8;
#endif
constexpr int kStreamDepth = 16;  // rows of B per pass over the chunks

// c[R, V*kLanes] (=|+=) A . B for one K block, summing only over the k in
// index[0, count): A packed as for micro_kernel, B row k at b + k*ldb.
template <int R, int V>
inline void stream_kernel(int count, const int* index, const float* a, const float* b, std::ptrdiff_t ldb, float* c,
                          std::ptrdiff_t ldc, bool accumulate, const float* bias, bool relu) {
  using simd::Vec;
  Vec acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = accumulate ? simd::load(c + r * ldc + v * kLanes) : bias ? simd::load(bias + v * kLanes) : simd::zero();
  for (int t = 0; t < count; ++t) {
    const int k = index[t];
    const float* ak = a + k * kMR;
    const float* bk = b + k * ldb;
    for (int r = 0; r < R; ++r) {
      const Vec av = simd::broadcast(ak[r]);
      for (int v = 0; v < V; ++v) acc[r][v] = simd::mul_add(av, simd::load(bk + v * kLanes), acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) simd::store(c + r * ldc + v * kLanes, relu ? simd::max(acc[r][v], simd::zero()) : acc[r][v]);
}

// Writes to index[] the k < kc at which some of the `rows` rows of a packed A
// sliver is not zero, and returns how many: the other k add nothing (ReLU
// outputs are often half zeros), so the streaming product skips their B rows.
inline int nonzero_columns(const float* a, int rows, int kc, int* index) {
  int count = 0;
  for (int k = 0; k < kc; ++k) {
    bool any = false;
    for (int r = 0; r < rows; ++r) any |= a[k * kMR + r] != 0.0f;
    index[count] = k;
    count += any ? 1 : 0;
  }
  return count;
}

// The streaming product over all of K and N; workers take column chunks.
template <class A>
void stream_multiply(int M, int N, int K, const A& a, const float* b, std::ptrdiff_t ldb, float* c,
                     std::ptrdiff_t ldc, Epilogue epilogue, const Workspace& ws, const Parallel& parallel) {
  const int width = (kStreamVectors / M) * kLanes;  // columns per chunk
  const int chunks = N / width;                     // full chunks; the rest via the tile kernels
  const int workers = parallel.active_workers();
  const int parts = min_int(workers, chunks > 0 ? chunks : 1);
  auto part = [&](int p, int, int worker) {
    float* pa = ws.pack_a[worker];
    int index[kKC];
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = min_int(kKC, K - pc);
      const bool accumulate = epilogue.accumulate || pc > 0, relu = epilogue.relu && pc + kc == K;
      a.pack(pa, 0, M, pc, kc);
      const int count = nonzero_columns(pa, M, kc, index);
      // A few rows of B at a time across all chunks: few pages are read at
      // once, which keeps the hardware prefetchers streaming.
      for (int t = 0; t == 0 || t < count; t += kStreamDepth) {
        const int depth = min_int(kStreamDepth, count - t);
        const bool add = accumulate || t > 0, last = relu && t + depth >= count;
        for (int j = p * chunks / parts * width; j < (p + 1) * chunks / parts * width; j += width)
          with_rows<kStreamRows>(M, [&](auto rows) {
            constexpr int R = decltype(rows)::value;
            stream_kernel<R, kStreamVectors / R>(depth, index + t, pa, b + pc * ldb + j, ldb, c + j, ldc, add,
                                                 epilogue.bias && !add ? epilogue.bias + j : nullptr, last);
          });
      }
      if (p == parts - 1) {  // columns past the last full chunk, a partial sliver copied out
        for (int j = chunks * width; j < N; j += kNR) {
          const int cols = min_int(kNR, N - j);
          const float* bj = b + pc * ldb + j;
          std::ptrdiff_t lb = ldb;
          if (cols < kNR) {
            // The shared panel: no other part uses it here (pack_b[w > 0]
            // exists only in plans that split a sum over K).
            float* sliver = ws.pack_b[0];
            for (int k = 0; k < kc; ++k)
              for (int t = 0; t < kNR; ++t) sliver[k * kNR + t] = t < cols ? bj[k * ldb + t] : 0.0f;
            bj = sliver;
            lb = kNR;
          }
          edge_kernel(kc, pa, bj, lb, c + j, ldc, M, cols, accumulate,
                      epilogue.bias && !accumulate ? epilogue.bias + j : nullptr, relu);
        }
      }
    }
  };
  parallel_for(parallel, parts, part);
}

// Rows of B one pass of sweep_multiply adds.
constexpr int kSweepRows = 4;

// c[0, n) += sum over i < R of a[i] * rows[i][0, n).
template <int R>
inline void sweep_kernel(int n, const float* const* rows, const float* a, float* c) {
  using simd::Vec;
  Vec av[R];
  for (int i = 0; i < R; ++i) av[i] = simd::broadcast(a[i]);
  int j = 0;
  for (; j + 2 * kLanes <= n; j += 2 * kLanes) {
    Vec c0 = simd::load(c + j), c1 = simd::load(c + j + kLanes);
    for (int i = 0; i < R; ++i) {
      c0 = simd::mul_add(av[i], simd::load(rows[i] + j), c0);
      c1 = simd::mul_add(av[i], simd::load(rows[i] + j + kLanes), c1);
    }
    simd::store(c + j, c0);
    simd::store(c + j + kLanes, c1);
  }
  for (; j + kLanes <= n; j += kLanes) {
    Vec c0 = simd::load(c + j);
    for (int i = 0; i < R; ++i) c0 = simd::mul_add(av[i], simd::load(rows[i] + j), c0);
    simd::store(c + j, c0);
  }
  for (; j < n; ++j)
    for (int i = 0; i < R; ++i) c[j] += a[i] * rows[i][j];
}

// C[1, N] = epilogue(A[1, K] . B) for a row-major B (a dense layer on one
// example), N >= kNR: B is read once, kSweepRows rows at a time in address
// order (what prefetchers stream best), skipping rows that meet zeros of A,
// into C's columns kept in memory. From K = kSweepSplitK on, with the planned
// partial sums at hand, the two halves of K are summed apart, each from zero,
// then added, so two workers each stream whole rows. Workers also split the
// columns (their number does not change the arithmetic of any column); the
// halving depends only on K and the workspace, so the result is the same on
// any number of workers.
template <class A>
void sweep_multiply(int N, int K, const A& a, const float* b, std::ptrdiff_t ldb, float* c, Epilogue epilogue,
                    const Workspace& ws, const Parallel& parallel) {
  const int workers = parallel.active_workers();
  const bool halves = K >= kSweepSplitK && ws.partial != nullptr && ws.partial_capacity >= std::size_t(N);
  const int k_halves = halves ? 2 : 1, vectors = N / kLanes;
  // Tasks: every (column part, half), as many as workers or twice as many.
  const int column_parts = min_int(workers % k_halves == 0 ? workers / k_halves : workers, ceil_div(N, kNR));
  auto part = [&](int index_of_part, int, int worker) {
    const int p = index_of_part / k_halves, half = index_of_part % k_halves;
    const int j0 = p * vectors / column_parts * kLanes;
    const int j1 = p == column_parts - 1 ? N : (p + 1) * vectors / column_parts * kLanes;
    const int k_begin = half * (K / 2), k_end = halves && half == 0 ? K / 2 : K;
    float* out = half == 0 ? c : ws.partial;
    for (int j = j0; j < j1; ++j)
      if (half == 1 || !epilogue.accumulate) out[j] = half == 0 && epilogue.bias ? epilogue.bias[j] : 0.0f;
    float* pa = ws.pack_a[worker];
    int index[kKC];
    for (int pc = k_begin; pc < k_end; pc += kKC) {
      const int kc = min_int(kKC, k_end - pc);
      a.pack(pa, 0, 1, pc, kc);
      const int count = nonzero_columns(pa, 1, kc, index);
      const float* rows[kSweepRows];
      float values[kSweepRows];
      int t = 0;
      for (; t + kSweepRows <= count; t += kSweepRows) {
        for (int i = 0; i < kSweepRows; ++i) {
          rows[i] = b + std::ptrdiff_t(pc + index[t + i]) * ldb + j0;
          values[i] = pa[index[t + i] * kMR];
        }
        sweep_kernel<kSweepRows>(j1 - j0, rows, values, out + j0);
      }
      for (; t < count; ++t) {
        rows[0] = b + std::ptrdiff_t(pc + index[t]) * ldb + j0;
        values[0] = pa[index[t] * kMR];
        sweep_kernel<1>(j1 - j0, rows, values, out + j0);
      }
    }
    for (int j = j0; j < j1 && epilogue.relu && !halves; ++j)
      if (c[j] < 0.0f) c[j] = 0.0f;
  };
  parallel_for(parallel, column_parts * k_halves, part);
  for (int j = 0; j < N && halves; ++j) {
    const float x = c[j] + ws.partial[j];
    c[j] = epilogue.relu && x < 0.0f ? 0.0f : x;
  }
}

// C[M, N] = epilogue(A[M, K] . B[K, N]), on parallel.workers threads: B panels
// are packed by all workers, then C tiles (row blocks, split by columns too
// when there are few) are shared out (with one row block, each task packs the
// slivers of its own columns); when C has too few tiles, or few rows and a
// long sum (k_parts), the sum over K is split instead and the parts added in
// a fixed order (deterministic for a given worker count). Operand contracts:
//   a.pack(dst, i0, rows, k0, kc): for each MR-row sliver s of rows [i0, i0+rows),
//     writes dst[s*MR*kc + k*MR + r] = A(i0 + s*MR + r, k0 + k), zero for rows >= M.
//   b.pack(dst, k0, kc, j0, cols): for each NR-column sliver s of [j0, j0+cols),
//     writes dst[s*NR*kc + k*NR + j] = B(k0 + k, j0 + s*NR + j), zero past N.
//   b.in_place(k0, j0, &ldb): &B(k0, j0) if B's rows are contiguous (row k0+k
//     at + k*ldb), else null.
template <class A, class B>
void multiply(int M, int N, int K, const A& a, const B& b, float* c, std::ptrdiff_t ldc,
              Epilogue epilogue, const Workspace& ws, const Parallel& parallel) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // an empty sum: C = bias (or unchanged when accumulating)
    for (int i = 0; i < M && !epilogue.accumulate; ++i)
      for (int j = 0; j < N; ++j) {
        float x = epilogue.bias ? epilogue.bias[j] : 0.0f;
        c[i * ldc + j] = (epilogue.relu && x < 0.0f) ? 0.0f : x;
      }
    return;
  }
  std::ptrdiff_t ldb = 0;
  if (M <= kStreamRows) {
    if (const float* direct = b.in_place(0, 0, &ldb)) {
      if (M == 1 && N >= kNR) {
        sweep_multiply(N, K, a, direct, ldb, c, epilogue, ws, parallel);
      } else {
        stream_multiply(M, N, K, a, direct, ldb, c, ldc, epilogue, ws, parallel);
      }
      return;
    }
  }
  const int workers = parallel.active_workers();
  const int m_blocks = ceil_div(M, kMC);
  // Split over K only as far as the planned scratch allows.
  int parts = k_parts(M, N, K, workers);
  if (parts > 1 && (ws.pack_b[1] == nullptr || ws.partial == nullptr)) parts = 1;
  if (parts > 1) parts = min_int(parts, 1 + int(ws.partial_capacity / (std::size_t(M) * std::size_t(N))));

  if (parts > 1) {
    // Part p sums k in [k_edge(p), k_edge(p + 1)): part 0 into C with the
    // epilogue's start, the others into partial sums.
    auto part = [&](int p, int, int worker) {
      const int first = k_edge(K, p, parts), last = k_edge(K, p + 1, parts);
      float* out = p == 0 ? c : ws.partial + std::ptrdiff_t(p - 1) * M * N;
      const std::ptrdiff_t ld = p == 0 ? ldc : N;
      for (int jc = 0; jc < N; jc += kNC) {
        const int nc = min_int(kNC, N - jc);
        for (int pc = first; pc < last; pc += kKC) {
          const int kc = min_int(kKC, last - pc);
          const bool accumulate = pc > first || (p == 0 && epilogue.accumulate);
          const float* bias = p == 0 && !accumulate && epilogue.bias ? epilogue.bias + jc : nullptr;
          b.pack(ws.pack_b[worker], pc, kc, jc, nc);
          for (int ic = 0; ic < M; ic += kMC) {
            const int mc = min_int(kMC, M - ic);
            a.pack(ws.pack_a[worker], ic, mc, pc, kc);
            block_kernels(ws.pack_a[worker], PanelView{ws.pack_b[worker], nullptr, 0}, mc, kc, nc, 0,
                          ceil_div(nc, kNR), out + std::ptrdiff_t(ic) * ld + jc, ld, accumulate, bias, false);
          }
        }
      }
    };
    parallel_for(parallel, parts, part);
    // The parts added in order, by rows in shares.
    const int row_parts = min_int(workers, M);
    auto add = [&](int r, int, int) {
      for (int i = r * M / row_parts; i < (r + 1) * M / row_parts; ++i)
        for (int j = 0; j < N; ++j) {
          float x = c[i * ldc + j];
          for (int p = 1; p < parts; ++p) x += ws.partial[std::ptrdiff_t(p - 1) * M * N + std::ptrdiff_t(i) * N + j];
          c[i * ldc + j] = epilogue.relu && x < 0.0f ? 0.0f : x;
        }
    };
    parallel_for(parallel, row_parts, add);
    return;
  }

  float* panel = ws.pack_b[0];
  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = min_int(kNC, N - jc);
    const int slivers = ceil_div(nc, kNR);
    // Few row blocks: give every worker a share by splitting the smaller
    // operand's dimension, since each part re-reads the other one: rows into
    // one block per worker when A is the larger (each packs only its rows),
    // else columns (each reads only its part of the B panel).
    int block_rows = kMC, n_parts = 1;
    if (m_blocks < 2 * workers) {
      if (M > nc) {
        block_rows = min_int(kMC, round_up(ceil_div(M, workers), kMR));
      } else {
        n_parts = min_int(slivers, workers);
      }
    }
    const int row_blocks = ceil_div(M, block_rows);
    // Few rows and a row-major B: full slivers of the K block at pc are read
    // in place (from the returned B, rows *ld apart), only a partial last one
    // is packed.
    auto in_place = [&](int pc, std::ptrdiff_t* ld) { return M <= kDirectRows ? b.in_place(pc, jc, ld) : nullptr; };
    // One K block: rows [ic, ic + mc) of C's slivers [s0, s1) on `worker`.
    // With own_slivers it packs those slivers of B itself, into a slot of the
    // panel that is the same for every K block (sliver s at (s - s0) * kNR * kc
    // from s0 * kNR * min(kKC, K)): tasks are not joined between K blocks,
    // and a shorter last block must not reach into another task's slot.
    auto k_block = [&](int pc, int ic, int mc, int s0, int s1, int worker, bool own_slivers) {
      const int kc = min_int(kKC, K - pc);
      const bool accumulate = epilogue.accumulate || pc > 0;
      const bool relu = epilogue.relu && pc + kc == K;
      const float* bias = (epilogue.bias && !accumulate) ? epilogue.bias + jc : nullptr;
      std::ptrdiff_t ld = 0;
      const float* direct = in_place(pc, &ld);
      const int first_packed = direct != nullptr ? nc / kNR : 0;
      float* slivers_at = panel;  // sliver s at slivers_at + s * kNR * kc
      if (own_slivers) {
        slivers_at = panel + std::ptrdiff_t(s0) * kNR * (min_int(kKC, K) - kc);
        const int from = s0 > first_packed ? s0 : first_packed;
        if (from < s1)
          b.pack(slivers_at + std::ptrdiff_t(from) * kNR * kc, pc, kc, jc + from * kNR,
                 min_int(nc, s1 * kNR) - from * kNR);
      }
      a.pack(ws.pack_a[worker], ic, mc, pc, kc);
      block_kernels(ws.pack_a[worker], PanelView{slivers_at, direct, ld}, mc, kc, nc, s0, s1,
                    c + std::ptrdiff_t(ic) * ldc + jc, ldc, accumulate, bias, relu);
    };
    if (row_blocks == 1) {
      // Each task takes all the rows of its own columns and packs their
      // slivers itself, K block after K block: one fork-join for all of K,
      // and the slivers stay in its core's cache.
      auto columns = [&](int part, int, int worker) {
        for (int pc = 0; pc < K; pc += kKC)
          k_block(pc, 0, M, part * slivers / n_parts, (part + 1) * slivers / n_parts, worker, true);
      };
      parallel_for(parallel, n_parts, columns);
      continue;
    }
    for (int pc = 0; pc < K; pc += kKC) {
      // The workers pack the panel in shares (but for slivers read in
      // place), then share out its tiles.
      const int kc = min_int(kKC, K - pc);
      const int first_packed = in_place(pc, &ldb) != nullptr ? nc / kNR : 0;
      const int span = slivers - first_packed, b_parts = min_int(span, workers);
      auto pack_panel = [&](int part, int, int) {
        const int s0 = first_packed + part * span / b_parts, s1 = first_packed + (part + 1) * span / b_parts;
        b.pack(panel + std::ptrdiff_t(s0) * kNR * kc, pc, kc, jc + s0 * kNR, min_int(nc, s1 * kNR) - s0 * kNR);
      };
      if (span > 0) parallel_for(parallel, b_parts, pack_panel);
      auto tile = [&](int index, int, int worker) {
        const int ic = (index / n_parts) * block_rows, part = index % n_parts;
        k_block(pc, ic, min_int(block_rows, M - ic), part * slivers / n_parts, (part + 1) * slivers / n_parts, worker,
                false);
      };
      parallel_for(parallel, row_blocks * n_parts, tile);
    }
  }
}

// A plain matrix with arbitrary strides: element (i, j) at data[i*row_stride + j*col_stride].
// Transposes are a swap of the strides.
struct Strided {
  const float* data;
  int rows, cols;
  std::ptrdiff_t row_stride, col_stride;

  // Packs as the A operand (see multiply()), reading memory in its own order.
  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      const int live = min_int(kMR, min_int(mc - s, rows - i0 - s));
      const float* src = data + (std::ptrdiff_t(i0 + s) * row_stride + std::ptrdiff_t(k0) * col_stride);
      if (row_stride == 1) {  // columns contiguous: each k is a short contiguous run
        for (int k = 0; k < kc; ++k)
          for (int r = 0; r < kMR; ++r) dst[k * kMR + r] = r < live ? src[k * col_stride + r] : 0.0f;
        continue;
      }
      for (int r = 0; r < kMR; ++r) {
        if (r >= live) {
          for (int k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
          continue;
        }
        const float* row = src + r * row_stride;
        for (int k = 0; k < kc; ++k) dst[k * kMR + r] = row[k * col_stride];
      }
    }
  }
};

// The B operand view of a strided matrix.
struct StridedB {
  Strided m;

  const float* in_place(int k0, int j0, std::ptrdiff_t* ldb) const {
    if (m.col_stride != 1) return nullptr;
    *ldb = m.row_stride;
    return m.data + k0 * m.row_stride + j0;
  }

  void pack(float* dst, int k0, int kc, int j0, int nc) const {
    const float* origin = m.data + k0 * m.row_stride + j0 * m.col_stride;
    int s = 0;
    if (m.col_stride == 1) {
      // Rows contiguous: each row is read once, in address order, into all
      // full slivers (a walk down the columns would cross a page per row,
      // which hardware prefetchers do not follow).
      const int full = nc / kNR * kNR;
      for (int k = 0; k < kc; ++k) {
        const float* row = origin + k * m.row_stride;
        for (int t = 0; t < full; t += kNR)
          for (int v = 0; v < kNV; ++v)
            simd::store(dst + t * kc + k * kNR + v * kLanes, simd::load(row + t + v * kLanes));
      }
      s = full;
    }
    for (; s < nc; s += kNR) {
      const int live = min_int(kNR, nc - s);
      const float* src = origin + s * m.col_stride;
      float* sliver = dst + s * kc;
      if (m.row_stride == 1) {  // columns contiguous (a transpose)
        // A cache line of each column at a time, so the rows of the sliver
        // being written stay in L1 while the columns stream in.
        constexpr int kLine = 16;
        for (int kb = 0; kb < kc; kb += kLine) {
          const int kn = min_int(kLine, kc - kb);
          float* d = sliver + kb * kNR;
          for (int j = 0; j < live; ++j) {
            const float* column = src + j * m.col_stride + kb;
            for (int k = 0; k < kn; ++k) d[k * kNR + j] = column[k];
          }
          for (int j = live; j < kNR; ++j)
            for (int k = 0; k < kn; ++k) d[k * kNR + j] = 0.0f;
        }
      } else {
        for (int k = 0; k < kc; ++k) {
          const float* row = src + k * m.row_stride;
          for (int j = 0; j < kNR; ++j) sliver[k * kNR + j] = j < live ? row[j * m.col_stride] : 0.0f;
        }
      }
    }
  }
};

// c[R, kNR] = sum over k < kc of A(r, k) * b[k * kNR, (k + 1) * kNR), with A's rows
// read in place (row r at a + r * lda, contiguous in k) and b a packed sliver.
template <int R>
inline void rows_in_place_kernel(int kc, const float* __restrict a, std::ptrdiff_t lda, const float* __restrict b,
                                 float* __restrict c) {
  using simd::Vec;
  Vec acc[R][kNV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < kNV; ++v) acc[r][v] = simd::zero();
  for (int k = 0; k < kc; ++k, b += kNR) {
    Vec bv[kNV];
    for (int v = 0; v < kNV; ++v) bv[v] = simd::load(b + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const Vec av = simd::broadcast(a[r * lda + k]);
      for (int v = 0; v < kNV; ++v) acc[r][v] = simd::mul_add(av, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < kNV; ++v) simd::store(c + r * kNR + v * kLanes, acc[r][v]);
}

// Packs A^T (A[M, K]) into `panel` as kNR-column slivers of all of K.
inline void pack_transposed(const Strided& a, int M, int K, float* panel) {
  StridedB{Strided{a.data, a.cols, a.rows, a.col_stride, a.row_stride}}.pack(panel, 0, K, 0, M);
}

// Columns [j0, j0 + rows) of C[M, ldc] = A . W^T, rows <= kMR, as rows of
// C^T = W . A^T: W's rows j0.. read in place, A^T from pack_transposed().
inline void transposed_rows(int M, int K, int j0, int rows, const float* w, std::ptrdiff_t ldw, const float* panel,
                            float* c, std::ptrdiff_t ldc) {
  alignas(64) float tile[kMR * kNR];
  for (int i0 = 0; i0 < M; i0 += kNR) {
    with_rows<kMR>(rows, [&](auto r) {
      rows_in_place_kernel<decltype(r)::value>(K, w + std::ptrdiff_t(j0) * ldw, ldw, panel + std::ptrdiff_t(i0) * K,
                                               tile);
    });
    for (int i = i0; i < M && i < i0 + kNR; ++i)
      for (int r = 0; r < rows; ++r) c[std::ptrdiff_t(i) * ldc + j0 + r] = tile[r * kNR + i - i0];
  }
}

// C[M, N] = A[M, K] . W^T for a row-major W[N, K] (a dense layer's input
// gradient, dy . w^T). With at most kMC rows in C, and A^T fitting the
// planned B panel, this is computed as
// C^T = W . A^T: W, the large operand, is read in place row by row in address
// order, kMR rows at a time, and only A^T is packed (as kNR-column slivers,
// all of K, by the calling thread). Below kNR rows the kernels' columns are
// partly padding, which still costs less than transposing W. Each C element
// is one kernel's sum over all of K, so the result does not depend on the
// worker count. Else it is multiply() with W^T packed as B.
inline void multiply_by_transpose(int M, int N, int K, const Strided& a, const float* w, std::ptrdiff_t ldw,
                                  float* c, std::ptrdiff_t ldc, const Workspace& ws, const Parallel& parallel) {
  const std::size_t panel_floats = std::size_t(round_up(M, kNR)) * std::size_t(K);
  if (M <= 0 || N <= 0 || K <= 0 || M > kMC || panel_floats > ws.pack_b_floats) {
    multiply(M, N, K, a, StridedB{Strided{w, K, N, 1, ldw}}, c, ldc, Epilogue{}, ws, parallel);
    return;
  }
  float* panel = ws.pack_b[0];
  pack_transposed(a, M, K, panel);
  // Part p takes W's rows [k_edge(p), k_edge(p + 1)), as dense_backward_update does.
  const int parts = min_int(parallel.active_workers(), ceil_div(N, kMR));
  auto part = [&](int p, int, int) {
    for (int j0 = k_edge(N, p, parts); j0 < k_edge(N, p + 1, parts); j0 += kMR)
      transposed_rows(M, K, j0, min_int(kMR, N - j0), w, ldw, panel, c, ldc);
  };
  parallel_for(parallel, parts, part);
}

}  // namespace gemm
}  // namespace fixnet
