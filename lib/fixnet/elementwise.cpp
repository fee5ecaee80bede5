// fixnet: element-wise kernels (ReLU, masks, column sums), vectorised.
#include "fixnet/kernels.h"
#include "fixnet/simd.h"

namespace fixnet {

using simd::kLanes;

void relu_forward(std::size_t count, const float* x, float* y) {
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) simd::store(y + i, simd::max(simd::load(x + i), simd::zero()));
  for (; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(std::size_t count, const float* y, const float* dy, float* dx) {
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    simd::store(dx + i, simd::select(simd::greater(simd::load(y + i), simd::zero()), simd::load(dy + i)));
  for (; i < count; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void multiply_elementwise(std::size_t count, const float* x, const float* mask, float* y) {
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) simd::store(y + i, simd::mul(simd::load(x + i), simd::load(mask + i)));
  for (; i < count; ++i) y[i] = x[i] * mask[i];
}

void column_sums(int rows, int cols, const float* m, float* sums) {
  for (int j = 0; j < cols; ++j) sums[j] = 0.0f;
  for (int i = 0; i < rows; ++i) {
    const float* row = m + std::ptrdiff_t(i) * cols;
    int j = 0;
    for (; j + kLanes <= cols; j += kLanes) simd::store(sums + j, simd::add(simd::load(sums + j), simd::load(row + j)));
    for (; j < cols; ++j) sums[j] += row[j];
  }
}

}  // namespace fixnet
