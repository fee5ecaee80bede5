// fixnet: gradient descent and Adam, vectorised over the flat parameter block.
#include "fixnet/optimizer.h"

#include <cmath>

#include "fixnet/simd.h"

namespace fixnet {

using simd::kLanes;

void gradient_descent_update(float* params, const float* grads, std::size_t count, float learning_rate) {
  const simd::Vec rate = simd::broadcast(-learning_rate);
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    simd::store(params + i, simd::mul_add(rate, simd::load(grads + i), simd::load(params + i)));
  for (; i < count; ++i) params[i] -= learning_rate * grads[i];
}

void adam_update(float* params, const float* grads, float* m, float* v, std::size_t count,
                 const OptimizerSettings& s, std::int64_t step) {
  const double t = double(step);
  const float lr_t = float(double(s.learning_rate) * std::sqrt(1.0 - std::pow(double(s.beta2), t)) /
                           (1.0 - std::pow(double(s.beta1), t)));
  const float b1 = s.beta1, b2 = s.beta2, c1 = 1.0f - s.beta1, c2 = 1.0f - s.beta2;
  const simd::Vec vb1 = simd::broadcast(b1), vb2 = simd::broadcast(b2), vc1 = simd::broadcast(c1),
                  vc2 = simd::broadcast(c2), veps = simd::broadcast(s.epsilon), vlr = simd::broadcast(-lr_t);
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const simd::Vec g = simd::load(grads + i);
    const simd::Vec mi = simd::mul_add(vb1, simd::load(m + i), simd::mul(vc1, g));
    const simd::Vec vi = simd::mul_add(vb2, simd::load(v + i), simd::mul(vc2, simd::mul(g, g)));
    simd::store(m + i, mi);
    simd::store(v + i, vi);
    const simd::Vec update = simd::div(mi, simd::add(simd::sqrt(vi), veps));
    simd::store(params + i, simd::mul_add(vlr, update, simd::load(params + i)));
  }
  for (; i < count; ++i) {
    const float g = grads[i];
    m[i] = b1 * m[i] + c1 * g;
    v[i] = b2 * v[i] + c2 * (g * g);
    params[i] -= lr_t * (m[i] / (std::sqrt(v[i]) + s.epsilon));
  }
}

}  // namespace fixnet
