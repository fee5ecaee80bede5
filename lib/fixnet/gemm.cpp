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
                    float* dw, float* db, float* dx, const GemmScratch& scratch, const Parallel& parallel,
                    GradientDone dw_done) {
  // dx[n, inputs] = dy[n, units] . w^T[units, inputs], before dw_done may change w
  if (dx != nullptr)
    gemm::multiply_by_transpose(n, inputs, units, row_major(dy, n, units), w, units, dx, inputs, scratch, parallel);
  // dw[inputs, units] = x^T[inputs, n] . dy[n, units]; a block of whole rows
  // is one piece, else each row's part of it.
  struct Pieces {
    GradientDone done;
    int units;
  } pieces{dw_done, units};
  gemm::Epilogue e;
  if (dw_done.call != nullptr) {
    e.done_context = &pieces;
    e.done = [](void* context, int row0, int rows, int col0, int cols) {
      const Pieces& p = *static_cast<const Pieces*>(context);
      const std::size_t first = std::size_t(row0) * std::size_t(p.units) + std::size_t(col0);
      if (cols == p.units) {
        p.done.call(p.done.context, first, std::size_t(rows) * std::size_t(cols));
        return;
      }
      for (int r = 0; r < rows; ++r) p.done.call(p.done.context, first + std::size_t(r) * std::size_t(p.units), std::size_t(cols));
    };
  }
  gemm::multiply(inputs, units, n, transposed(x, inputs, n), gemm::StridedB{row_major(dy, n, units)}, dw, units, e,
                 scratch, parallel);
  column_sums(n, units, dy, db, parallel);
}

}  // namespace fixnet
