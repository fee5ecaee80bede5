// fixnet: plain and dense-layer matrix multiplies on the shared core.
#include "fixnet/gemm_driver.h"
#include "fixnet/kernels.h"

namespace fixnet {

namespace {

gemm::Strided row_major(const float* data, int rows, int cols) {
  return gemm::Strided{data, rows, cols, cols, 1};
}

gemm::Strided transposed(const float* data, int rows, int cols) {  // of a [cols, rows] array
  return gemm::Strided{data, rows, cols, 1, rows};
}

}  // namespace

void matmul(int m, int n, int k, const float* a, const float* b, float* c, bool accumulate,
            const GemmScratch& scratch, const Parallel& parallel) {
  gemm::Epilogue e;
  e.accumulate = accumulate;
  gemm::multiply(m, n, k, row_major(a, m, k), gemm::StridedB{row_major(b, k, n)}, c, n, e,
                 scratch, parallel);
}

void matmul_reference(int m, int n, int k, const float* a, const float* b, float* c, bool accumulate) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double sum = accumulate ? c[i * n + j] : 0.0;
      for (int p = 0; p < k; ++p) sum += double(a[i * k + p]) * double(b[p * n + j]);
      c[i * n + j] = float(sum);
    }
}

void dense_forward(int n, int inputs, int units, const float* x, const float* w, const float* b,
                   float* y, bool relu, const GemmScratch& scratch, const Parallel& parallel) {
  gemm::Epilogue e;
  e.bias = b;
  e.relu = relu;
  gemm::multiply(n, units, inputs, row_major(x, n, inputs), gemm::StridedB{row_major(w, inputs, units)},
                 y, units, e, scratch, parallel);
}

void dense_backward(int n, int inputs, int units, const float* x, const float* w, const float* dy,
                    float* dw, float* db, float* dx, const GemmScratch& scratch, const Parallel& parallel) {
  // dw[inputs, units] = x^T[inputs, n] . dy[n, units]
  gemm::multiply(inputs, units, n, transposed(x, inputs, n), gemm::StridedB{row_major(dy, n, units)}, dw,
                 units, gemm::Epilogue{}, scratch, parallel);
  column_sums(n, units, dy, db, parallel);
  // dx[n, inputs] = dy[n, units] . w^T[units, inputs]
  if (dx != nullptr)
    gemm::multiply_by_transpose(n, inputs, units, row_major(dy, n, units), w, units, dx, inputs, scratch, parallel);
}

void dense_backward_update(int n, int inputs, int units, const float* x, const float* w, const float* dy,
                           float* dw, float* db, float* dx, const GemmScratch& scratch, const Parallel& parallel,
                           GradientUpdate update) {
  using gemm::kMR;
  using gemm::kNR;
  if (n <= 0 || inputs <= 0 || units <= 0 || dense_update_floats(n, units) > scratch.pack_a_floats ||
      dense_update_panel_floats(n, units) > scratch.pack_b_floats) {
    dense_backward(n, inputs, units, x, w, dy, dw, db, dx, scratch, parallel);
    // Shares of whole cache lines, one per worker.
    const std::uint64_t count = std::uint64_t(inputs) * std::uint64_t(units);
    const int parts = parallel.active_workers();
    auto share = [&](int p, int, int) {
      auto edge = [&](int q) { return q == parts ? count : count * std::uint64_t(q) / std::uint64_t(parts) / 16 * 16; };
      const std::uint64_t first = edge(p), last = edge(p + 1);
      if (first < last) update.call(update.context, std::size_t(first), std::size_t(last - first), dw + first);
    };
    gemm::parallel_for(parallel, parts, share);
    return;
  }
  // dy^T packed for dx (if wanted), then dy packed for the gradient: B
  // slivers read contiguously, not rows of dy a row's width apart.
  float* dy_t = scratch.pack_b[0];
  float* slivers = dy_t + std::ptrdiff_t(gemm::round_up(n, kNR)) * units;
  if (dx != nullptr) gemm::pack_transposed(row_major(dy, n, units), n, units, dy_t);
  gemm::StridedB{row_major(dy, n, units)}.pack(slivers, 0, n, 0, units);
  const gemm::Strided x_t = transposed(x, inputs, n);
  // Part p takes the strips of rows [k_edge(p), k_edge(p + 1)): the rows the
  // forward pass's part p reads when it splits the sum (gemm::long_sum).
  const int parts = gemm::min_int(parallel.active_workers(), gemm::ceil_div(inputs, kMR));
  auto part = [&](int p, int, int worker) {
    float* a = scratch.pack_a[worker];  // laid out as dense_update_floats() counts
    float* strip = a + std::ptrdiff_t(n) * kMR;
    for (int j0 = gemm::k_edge(inputs, p, parts); j0 < gemm::k_edge(inputs, p + 1, parts); j0 += kMR) {
      const int rows = gemm::min_int(kMR, inputs - j0);
      // dx[:, j0..] from w's rows j0.., before update may change them.
      if (dx != nullptr) gemm::transposed_rows(n, units, j0, rows, w, units, dy_t, dx, inputs);
      // strip = x^T[j0.., n] . dy[n, units]
      x_t.pack(a, j0, kMR, 0, n);
      for (int jr = 0; jr < units; jr += kNR)
        gemm::edge_kernel(n, a, slivers + std::ptrdiff_t(jr) * n, kNR, strip + jr, units, rows,
                          gemm::min_int(kNR, units - jr), false, nullptr, false);
      update.call(update.context, std::size_t(j0) * std::size_t(units), std::size_t(rows) * std::size_t(units), strip);
    }
  };
  gemm::parallel_for(parallel, parts, part);
  column_sums(n, units, dy, db, parallel);
}

}  // namespace fixnet
