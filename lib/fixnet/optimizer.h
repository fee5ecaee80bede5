// fixnet: parameter updates over the flat parameter block, TensorFlow semantics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fixnet {

enum class OptimizerKind : std::uint8_t { none = 0, gradient_descent, adam };

// Hyper-parameters of the optimizer a model was planned with
// (PlanOptions::optimizer, the one place that says which); beta1, beta2 and
// epsilon (Adam's) are TensorFlow's defaults.
struct OptimizerSettings {
  float learning_rate = 0.01f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
};

// Floats of state an optimizer keeps per parameter (Adam: m and v).
constexpr std::size_t optimizer_state_per_parameter(OptimizerKind kind) {
  return kind == OptimizerKind::adam ? 2 : 0;
}

// params -= learning_rate * grads.
void gradient_descent_update(float* params, const float* grads, std::size_t count, float learning_rate);

// Adam's constants for one step (step counts from 1), as tf.train.AdamOptimizer:
//   rate = lr * sqrt(1 - beta2^step) / (1 - beta1^step)
struct AdamStep {
  float rate, beta1, beta2, epsilon;
};
AdamStep adam_step(const OptimizerSettings& settings, std::int64_t step);

// One Adam step:
//   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g*g
//   params -= rate * m / (sqrt(v) + epsilon)
void adam_update(float* params, const float* grads, float* m, float* v, std::size_t count, const AdamStep& step);

}  // namespace fixnet
