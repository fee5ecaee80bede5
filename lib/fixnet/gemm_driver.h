// fixnet: the matrix-multiply core shared by dense layers and convolutions.
// Internal header. C[M, N] (row-major, leading dimension ldc) = A[M, K] . B[K, N]
// (+ C, or + bias per column; optional ReLU), computed BLIS-style: B is packed
// into KC x NR column slivers, A into MC x KC blocks of MR-row slivers, and a
// register-blocked MR x NR micro-kernel does every multiply-add. A and B are
// any "operand" type with a pack() method, so convolutions pack straight from
// the NHWC image (implicit im2col) and transposes cost nothing extra.
#pragma once

#include <cstddef>

#include "fixnet/gemm_blocking.h"
#include "fixnet/parallel.h"
#include "fixnet/simd.h"

namespace fixnet {
namespace gemm {

static_assert(kLanes == simd::kLanes, "gemm_blocking.h and simd.h disagree on the vector width");

// What happens to each C tile: overwrite or accumulate; add a per-column bias
// (only when overwriting); clamp at zero after the last K block.
struct Epilogue {
  bool accumulate = false;
  const float* bias = nullptr;  // [N] or null
  bool relu = false;
};

// c[MR, NR] (=|+=) a_packed[kc, MR]^T . b_packed[kc, NR], starting from `init`
// (bias row or zeros) when overwriting.
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b,
                         float* __restrict c, std::ptrdiff_t ldc, bool accumulate,
                         const float* bias, bool relu) {
  using simd::Vec;
  Vec acc[kMR][kNV];
  for (int v = 0; v < kNV; ++v) {
    const Vec init = bias ? simd::load(bias + v * kLanes) : simd::zero();
    for (int r = 0; r < kMR; ++r) acc[r][v] = init;
  }
  for (int k = 0; k < kc; ++k) {
    Vec bv[kNV];
    for (int v = 0; v < kNV; ++v) bv[v] = simd::load(b + v * kLanes);
    for (int r = 0; r < kMR; ++r) {
      const Vec av = simd::broadcast(a[r]);
      for (int v = 0; v < kNV; ++v) acc[r][v] = simd::mul_add(av, bv[v], acc[r][v]);
    }
    a += kMR;
    b += kNR;
  }
  for (int r = 0; r < kMR; ++r) {
    for (int v = 0; v < kNV; ++v) {
      float* p = c + r * ldc + v * kLanes;
      Vec x = accumulate ? simd::add(simd::load(p), acc[r][v]) : acc[r][v];
      if (relu) x = simd::max(x, simd::zero());
      simd::store(p, x);
    }
  }
}

// The micro-kernel on a tile that may be cut short by the edges of C.
inline void edge_kernel(int kc, const float* a, const float* b, float* c, std::ptrdiff_t ldc,
                        int rows, int cols, bool accumulate, const float* bias, bool relu) {
  if (rows == kMR && cols == kNR) {
    micro_kernel(kc, a, b, c, ldc, accumulate, bias, relu);
    return;
  }
  alignas(64) float tile[kMR * kNR];
  alignas(64) float bias_tile[kNR];
  if (bias) {
    for (int j = 0; j < kNR; ++j) bias_tile[j] = j < cols ? bias[j] : 0.0f;
  }
  micro_kernel(kc, a, b, tile, kNR, false, bias ? bias_tile : nullptr, false);
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

// C[M, N] = epilogue(A[M, K] . B[K, N]). Operand contracts:
//   a.pack(dst, i0, rows, k0, kc): for each MR-row sliver s of rows [i0, i0+rows),
//     writes dst[s*MR*kc + k*MR + r] = A(i0 + s*MR + r, k0 + k), zero for rows >= M.
//   b.pack(dst, k0, kc, j0, cols): for each NR-column sliver s of [j0, j0+cols),
//     writes dst[s*NR*kc + k*NR + j] = B(k0 + k, j0 + s*NR + j), zero past N.
// Runs the micro-kernels of one A block (rows [ic, ic + mc), packed in pa)
// against B slivers [s0, s1) of a panel packed in pb, for the K block of kc.
inline void block_kernels(const float* pa, const float* pb, int mc, int kc, int nc, int s0, int s1, float* c,
                          std::ptrdiff_t ldc, bool accumulate, const float* bias, bool relu) {
  for (int jr = s0 * kNR; jr < nc && jr < s1 * kNR; jr += kNR) {
    const int cols = min_int(kNR, nc - jr);
    for (int ir = 0; ir < mc; ir += kMR)
      edge_kernel(kc, pa + std::ptrdiff_t(ir) * kc, pb + std::ptrdiff_t(jr) * kc, c + std::ptrdiff_t(ir) * ldc + jr,
                  ldc, min_int(kMR, mc - ir), cols, accumulate, bias ? bias + jr : nullptr, relu);
  }
}

// C[M, N] = epilogue(A[M, K] . B[K, N]), on parallel.workers threads: B panels
// are packed by all workers, then C tiles (row blocks, split by columns too
// when there are few) are shared out; when C has too few tiles, the sum over
// K is split instead and the parts added in a fixed order (deterministic for
// a given worker count). Operand contracts:
//   a.pack(dst, i0, rows, k0, kc): for each MR-row sliver s of rows [i0, i0+rows),
//     writes dst[s*MR*kc + k*MR + r] = A(i0 + s*MR + r, k0 + k), zero for rows >= M.
//   b.pack(dst, k0, kc, j0, cols): for each NR-column sliver s of [j0, j0+cols),
//     writes dst[s*NR*kc + k*NR + j] = B(k0 + k, j0 + s*NR + j), zero past N.
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
  const int workers = parallel.run != nullptr && parallel.workers > 1 ? parallel.workers : 1;
  const int m_blocks = ceil_div(M, kMC), k_blocks = ceil_div(K, kKC);
  const int parts = k_parts(M, N, K, workers);

  if (parts > 1) {
    // Part p sums K blocks [p*k_blocks/parts, (p+1)*k_blocks/parts): part 0
    // into C with the epilogue's start, the others into partial sums.
    auto part = [&](int p, int, int worker) {
      const int first = p * k_blocks / parts, last = (p + 1) * k_blocks / parts;
      float* out = p == 0 ? c : ws.partial + std::ptrdiff_t(p - 1) * M * N;
      const std::ptrdiff_t ld = p == 0 ? ldc : N;
      for (int jc = 0; jc < N; jc += kNC) {
        const int nc = min_int(kNC, N - jc);
        for (int kb = first; kb < last; ++kb) {
          const int pc = kb * kKC, kc = min_int(kKC, K - pc);
          const bool accumulate = kb > first || (p == 0 && epilogue.accumulate);
          const float* bias = p == 0 && !accumulate && epilogue.bias ? epilogue.bias + jc : nullptr;
          b.pack(ws.pack_b[worker], pc, kc, jc, nc);
          for (int ic = 0; ic < M; ic += kMC) {
            const int mc = min_int(kMC, M - ic);
            a.pack(ws.pack_a[worker], ic, mc, pc, kc);
            block_kernels(ws.pack_a[worker], ws.pack_b[worker], mc, kc, nc, 0, ceil_div(nc, kNR),
                          out + std::ptrdiff_t(ic) * ld + jc, ld, accumulate, bias, false);
          }
        }
      }
    };
    parallel_for(parallel, parts, part);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        float x = c[i * ldc + j];
        for (int p = 1; p < parts; ++p) x += ws.partial[std::ptrdiff_t(p - 1) * M * N + std::ptrdiff_t(i) * N + j];
        c[i * ldc + j] = epilogue.relu && x < 0.0f ? 0.0f : x;
      }
    return;
  }

  float* panel = ws.pack_b[0];
  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = min_int(kNC, N - jc);
    const int slivers = ceil_div(nc, kNR);
    // Few row blocks: split the columns too, so every worker has tiles.
    const int n_parts = m_blocks >= 2 * workers ? 1 : min_int(slivers, workers);
    const int b_parts = min_int(slivers, workers);
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = min_int(kKC, K - pc);
      const bool accumulate = epilogue.accumulate || pc > 0;
      const bool relu = epilogue.relu && pc + kc == K;
      const float* bias = (epilogue.bias && !accumulate) ? epilogue.bias + jc : nullptr;
      auto pack_panel = [&](int part, int, int) {
        const int s0 = part * slivers / b_parts, s1 = (part + 1) * slivers / b_parts;
        if (s0 < s1)
          b.pack(panel + std::ptrdiff_t(s0) * kNR * kc, pc, kc, jc + s0 * kNR, min_int(nc, s1 * kNR) - s0 * kNR);
      };
      parallel_for(parallel, b_parts, pack_panel);
      auto tile = [&](int index, int, int worker) {
        const int ic = (index / n_parts) * kMC, part = index % n_parts;
        const int mc = min_int(kMC, M - ic);
        a.pack(ws.pack_a[worker], ic, mc, pc, kc);
        block_kernels(ws.pack_a[worker], panel, mc, kc, nc, part * slivers / n_parts, (part + 1) * slivers / n_parts,
                      c + std::ptrdiff_t(ic) * ldc + jc, ldc, accumulate, bias, relu);
      };
      parallel_for(parallel, m_blocks * n_parts, tile);
    }
  }
}

// A plain matrix with arbitrary strides: element (i, j) at data[i*row_stride + j*col_stride].
// Transposes are a swap of the strides.
struct Strided {
  const float* data;
  int rows, cols;
  std::ptrdiff_t row_stride, col_stride;

  float at(int i, int j) const { return data[i * row_stride + j * col_stride]; }

  // Packs as the A operand (see multiply()), reading memory in its own order.
  void pack(float* dst, int i0, int mc, int k0, int kc) const {
    for (int s = 0; s < mc; s += kMR, dst += kMR * kc) {
      const int live = min_int(kMR, min_int(mc - s, rows - i0 - s));
      const float* src = data + (i0 + s) * row_stride + k0 * col_stride;
      if (row_stride == 1) {  // columns contiguous: each k is a short contiguous run
        for (int k = 0; k < kc; ++k)
          for (int r = 0; r < kMR; ++r) dst[k * kMR + r] = r < live ? src[k * col_stride + r] : 0.0f;
        continue;
      }
      for (int r = 0; r < kMR; ++r) {
        const float* row = src + r * row_stride;
        for (int k = 0; k < kc; ++k) dst[k * kMR + r] = r < live ? row[k * col_stride] : 0.0f;
      }
    }
  }
};

// The B operand view of a strided matrix.
struct StridedB {
  Strided m;

  void pack(float* dst, int k0, int kc, int j0, int nc) const {
    for (int s = 0; s < nc; s += kNR, dst += kNR * kc) {
      const int live = min_int(kNR, nc - s);
      const float* src = m.data + k0 * m.row_stride + (j0 + s) * m.col_stride;
      if (m.col_stride == 1 && live == kNR) {  // rows contiguous: vector copies
        for (int k = 0; k < kc; ++k)
          for (int v = 0; v < kNV; ++v)
            simd::store(dst + k * kNR + v * kLanes, simd::load(src + k * m.row_stride + v * kLanes));
      } else if (m.row_stride == 1) {  // columns contiguous (a transpose): read each column in order
        for (int j = 0; j < kNR; ++j) {
          const float* column = src + j * m.col_stride;
          for (int k = 0; k < kc; ++k) dst[k * kNR + j] = j < live ? column[k] : 0.0f;
        }
      } else {
        for (int k = 0; k < kc; ++k) {
          const float* row = src + k * m.row_stride;
          for (int j = 0; j < kNR; ++j) dst[k * kNR + j] = j < live ? row[j * m.col_stride] : 0.0f;
        }
      }
    }
  }
};

}  // namespace gemm
}  // namespace fixnet
