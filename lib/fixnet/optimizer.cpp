// fixnet: gradient descent and Adam, vectorised over the flat parameter block.
// A last partial vector goes through a zero-padded copy, so every element gets
// the same arithmetic wherever a range starts or ends: an update applied in
// pieces has the bits of one update over the whole.
#include "fixnet/optimizer.h"

#include <cmath>

#include "fixnet/simd.h"

namespace fixnet {

using simd::kLanes;

namespace {

// Copies the `rest` < kLanes floats at src into a zero-padded vector's worth.
struct Padded {
  alignas(64) float data[kLanes] = {};
  Padded(const float* src, std::size_t rest) {
    for (std::size_t j = 0; j < rest; ++j) data[j] = src[j];
  }
  void copy_to(float* dst, std::size_t rest) const {
    for (std::size_t j = 0; j < rest; ++j) dst[j] = data[j];
  }
};

}  // namespace

void gradient_descent_update(float* params, const float* grads, std::size_t count, float learning_rate) {
  const simd::Vec rate = simd::broadcast(-learning_rate);
  auto step = [&](float* p, const float* g) { simd::store(p, simd::mul_add(rate, simd::load(g), simd::load(p))); };
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) step(params + i, grads + i);
  if (i == count) return;
  const std::size_t rest = count - i;
  Padded p(params + i, rest);
  const Padded g(grads + i, rest);
  step(p.data, g.data);
  p.copy_to(params + i, rest);
}

AdamStep adam_step(const OptimizerSettings& s, std::int64_t step) {
  const double t = double(step);
  const double rate = double(s.learning_rate) * std::sqrt(1.0 - std::pow(double(s.beta2), t)) /
                      (1.0 - std::pow(double(s.beta1), t));
  return AdamStep{float(rate), s.beta1, s.beta2, s.epsilon};
}

void adam_update(float* params, const float* grads, float* m, float* v, std::size_t count, const AdamStep& s) {
  const simd::Vec vb1 = simd::broadcast(s.beta1), vb2 = simd::broadcast(s.beta2),
                  vc1 = simd::broadcast(1.0f - s.beta1), vc2 = simd::broadcast(1.0f - s.beta2),
                  veps = simd::broadcast(s.epsilon), vlr = simd::broadcast(-s.rate);
  auto update = [&](float* p, const float* g, float* mp, float* vp) {
    const simd::Vec gi = simd::load(g);
    const simd::Vec mi = simd::mul_add(vb1, simd::load(mp), simd::mul(vc1, gi));
    const simd::Vec vi = simd::mul_add(vb2, simd::load(vp), simd::mul(vc2, simd::mul(gi, gi)));
    simd::store(mp, mi);
    simd::store(vp, vi);
    simd::store(p, simd::mul_add(vlr, simd::div(mi, simd::add(simd::sqrt(vi), veps)), simd::load(p)));
  };
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) update(params + i, grads + i, m + i, v + i);
  if (i == count) return;
  const std::size_t rest = count - i;
  Padded pp(params + i, rest), mp(m + i, rest), vp(v + i, rest);
  const Padded g(grads + i, rest);
  update(pp.data, g.data, mp.data, vp.data);
  pp.copy_to(params + i, rest);
  mp.copy_to(m + i, rest);
  vp.copy_to(v + i, rest);
}

}  // namespace fixnet
