// fixnet example: regression. A network of your own learns a curve,
// y = sin(3x) e^(-x^2) on [-2, 2], from points it makes, by mean squared
// error; its memory is a static array sized at compile time. Prints the loss
// falling; exits 1 unless the curve is learnt closely.
#include <cmath>
#include <cstddef>
#include <cstdio>

#include "fixnet.h"

namespace {

constexpr int kPoints = 256, kBatch = 32, kSteps = 4000;

// Input: a plain vector of one value, x; output: one value, y.
constexpr fixnet::ModelSpec kSpec{1, {
    fixnet::dense(32, fixnet::truncated_normal_init(1.0f)), fixnet::tanh(),
    fixnet::dense(32, fixnet::truncated_normal_init(0.3f)), fixnet::tanh(),
    fixnet::dense(1, fixnet::truncated_normal_init(0.3f)),
}};
constexpr fixnet::PlanOptions kOptions{kBatch, fixnet::OptimizerKind::adam};
constexpr fixnet::Plan kPlan = fixnet::plan(kSpec, kOptions);
static_assert(kPlan.status.ok(), "the spec and options are valid");
alignas(fixnet::kArenaAlignment) std::byte arena[kPlan.bytes];  // all the memory the model will use

float curve(float x) { return std::sin(3.0f * x) * std::exp(-x * x); }

int fail(const char* what, fixnet::Status s) {
  std::fprintf(stderr, "curve: %s: %s\n", what, s.message);
  return 1;
}

}  // namespace

int main() {
  fixnet::Rng rng(1);
  static fixnet::Model model;
  fixnet::Status s = model.init(kSpec, kOptions, arena, sizeof arena);
  if (!s.ok()) return fail("init", s);
  model.initialize_parameters(rng);
  std::printf("curve: %zu parameters; the model's memory: %zu bytes, fixed at compile time\n",
              model.parameter_count(), sizeof arena);

  const fixnet::OptimizerSettings adam{0.005f};
  float x[kBatch], y[kBatch];
  for (int step = 1; step <= kSteps; ++step) {
    for (int n = 0; n < kBatch; ++n) {  // points drawn at random on the curve
      x[n] = 4.0f * rng.uniform() - 2.0f;
      y[n] = curve(x[n]);
    }
    fixnet::StepStats stats;
    s = model.train_step(x, y, kBatch, adam, rng, &stats);  // float targets: mean squared error
    if (!s.ok()) return fail("training", s);
    if (step == 1 || step % 500 == 0) std::printf("step %4d  batch mean squared error %.5f\n", step, stats.loss);
  }

  // Evenly spaced points, a batch at a time: the largest error anywhere.
  float worst = 0;
  for (int first = 0; first < kPoints; first += kBatch) {
    for (int n = 0; n < kBatch; ++n) x[n] = -2.0f + 4.0f * float(first + n) / (kPoints - 1);
    const float* predicted = nullptr;
    s = model.forward(x, kBatch, false, nullptr, &predicted);
    if (!s.ok()) return fail("forward", s);
    for (int n = 0; n < kBatch; ++n) worst = std::fmax(worst, std::fabs(predicted[n] - curve(x[n])));
  }
  std::printf("curve: largest error on %d points of [-2, 2]: %.4f (the curve spans -0.8 to 0.8)\n", kPoints, worst);
  return worst < 0.05f ? 0 : 1;
}
