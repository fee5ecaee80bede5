// fixnet: element-wise kernels (activations, masks, column sums), vectorised
// where the hardware has the operation.
#include <cmath>

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

void sigmoid_forward(std::size_t count, const float* x, float* y) {
  for (std::size_t i = 0; i < count; ++i) {
    // e^-|x| never overflows: 1 / (1 + e^-x), or e^x / (1 + e^x) for x < 0.
    const float e = std::exp(-std::fabs(x[i]));
    y[i] = x[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
  }
}

void tanh_forward(std::size_t count, const float* x, float* y) {
  for (std::size_t i = 0; i < count; ++i) y[i] = std::tanh(x[i]);
}

void sigmoid_backward(std::size_t count, const float* y, const float* dy, float* dx) {
  const simd::Vec one = simd::broadcast(1.0f);
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const simd::Vec v = simd::load(y + i);
    simd::store(dx + i, simd::mul(simd::load(dy + i), simd::mul(v, simd::sub(one, v))));
  }
  for (; i < count; ++i) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}

void tanh_backward(std::size_t count, const float* y, const float* dy, float* dx) {
  const simd::Vec one = simd::broadcast(1.0f);
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const simd::Vec v = simd::load(y + i);
    simd::store(dx + i, simd::mul(simd::load(dy + i), simd::sub(one, simd::mul(v, v))));
  }
  for (; i < count; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

void multiply_elementwise(std::size_t count, const float* x, const float* mask, float* y) {
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) simd::store(y + i, simd::mul(simd::load(x + i), simd::load(mask + i)));
  for (; i < count; ++i) y[i] = x[i] * mask[i];
}

namespace {

// sums[j] for columns [j0, j1) of m[rows, cols].
void sum_columns(int rows, int cols, int j0, int j1, const float* m, float* sums) {
  for (int j = j0; j < j1; ++j) sums[j] = 0.0f;
  for (int i = 0; i < rows; ++i) {
    const float* row = m + std::ptrdiff_t(i) * cols;
    int j = j0;
    for (; j + kLanes <= j1; j += kLanes) simd::store(sums + j, simd::add(simd::load(sums + j), simd::load(row + j)));
    for (; j < j1; ++j) sums[j] += row[j];
  }
}

}  // namespace

void column_sums(int rows, int cols, const float* m, float* sums, const Parallel& parallel) {
  // Workers take whole cache lines of each row, and only with work to share.
  constexpr int kLine = 16, kMinFloats = 8192;
  struct Split {
    int rows, cols, lines, parts;
    const float* m;
    float* sums;
  } split{rows, cols, (cols + kLine - 1) / kLine, 1, m, sums};
  const std::int64_t work = std::int64_t(rows) * cols / kMinFloats;
  split.parts = parallel.active_workers();
  if (split.parts > split.lines) split.parts = split.lines;
  if (split.parts > work) split.parts = work > 1 ? int(work) : 1;
  parallel.for_each(
      split.parts,
      [](void* context, int p, int, int) {
        const Split& s = *static_cast<const Split*>(context);
        const int j0 = p * s.lines / s.parts * kLine, j1 = (p + 1) * s.lines / s.parts * kLine;
        sum_columns(s.rows, s.cols, j0, j1 < s.cols ? j1 : s.cols, s.m, s.sums);
      },
      &split);
}

}  // namespace fixnet
