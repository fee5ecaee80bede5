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
  column_sums(n, units, dy, db);
  // dx[n, inputs] = dy[n, units] . w^T[units, inputs]
  if (dx != nullptr)
    gemm::multiply_by_transpose(n, inputs, units, row_major(dy, n, units), w, units, dx, inputs, scratch, parallel);
}

}  // namespace fixnet
