// fixnet example: a network of your own, on data you make. Three interleaved
// spiral arms in the plane, one class each, learnt by a small multilayer
// perceptron whose memory is a static array sized at compile time. Prints
// the loss falling; exits 1 unless the arms end up told apart.
#include <cmath>
#include <cstddef>
#include <cstdio>

#include "fixnet.h"

namespace {

constexpr int kArms = 3, kPointsPerArm = 200, kPoints = kArms * kPointsPerArm, kBatch = 32, kSteps = 3000;

// Input: a point (x, y); output: one logit per arm.
constexpr fixnet::ModelSpec kSpec{2, {
    fixnet::dense(64, fixnet::truncated_normal_init(0.5f), fixnet::constant_init(0.1f)), fixnet::relu(),
    fixnet::dense(64, fixnet::truncated_normal_init(0.2f), fixnet::constant_init(0.1f)), fixnet::relu(),
    fixnet::dense(kArms, fixnet::truncated_normal_init(0.2f)),
}};
constexpr fixnet::PlanOptions kOptions{kBatch, fixnet::OptimizerKind::adam};
constexpr fixnet::Plan kPlan = fixnet::plan(kSpec, kOptions);
static_assert(kPlan.status.ok(), "the spec and options are valid");
alignas(fixnet::kArenaAlignment) std::byte arena[kPlan.bytes];  // all the memory the model will use

float points[kPoints][2];
std::uint8_t arms[kPoints];

// Arm a's points wind outwards from the centre, with a little noise.
void make_spirals(fixnet::Rng& rng) {
  for (int i = 0; i < kPoints; ++i) {
    const int arm = i / kPointsPerArm;
    const float r = float(i % kPointsPerArm) / kPointsPerArm;
    const float angle = 4.0f * r + 2.0944f * arm + 0.2f * rng.normal();
    points[i][0] = r * std::sin(angle);
    points[i][1] = r * std::cos(angle);
    arms[i] = std::uint8_t(arm);
  }
}

int fail(const char* what, fixnet::Status s) {
  std::fprintf(stderr, "spiral: %s: %s\n", what, s.message);
  return 1;
}

}  // namespace

int main() {
  fixnet::Rng rng(1);
  make_spirals(rng);
  static fixnet::Model model;
  fixnet::Status s = model.init(kSpec, kOptions, arena, sizeof arena);
  if (!s.ok()) return fail("init", s);
  model.initialize_parameters(rng);
  std::printf("spiral: %zu parameters; the model's memory: %zu bytes, fixed at compile time\n",
              model.parameter_count(), sizeof arena);

  const fixnet::OptimizerSettings adam{0.01f};  // the plan's optimizer (Adam) at rate 0.01
  float loss = 0;  // summed over the `summed` steps since the last line printed
  int summed = 0;
  for (int step = 1; step <= kSteps; ++step) {
    for (int n = 0; n < kBatch; ++n) {  // a batch drawn at random
      const int i = int(rng.below(kPoints));
      model.input_buffer()[2 * n] = points[i][0];
      model.input_buffer()[2 * n + 1] = points[i][1];
      model.label_buffer()[n] = arms[i];
    }
    fixnet::StepStats stats;
    s = model.train_step(model.input_buffer(), model.label_buffer(), kBatch, adam, rng, &stats);
    if (!s.ok()) return fail("training", s);
    loss += stats.loss;
    ++summed;
    if (step == 1 || step % 500 == 0) {
      std::printf("step %4d  mean loss %.4f\n", step, loss / summed);
      loss = 0;
      summed = 0;
    }
  }

  int correct = 0;
  for (int i = 0; i < kPoints; ++i) {
    float probabilities[kArms];
    s = model.predict(points[i], 1, probabilities);
    if (!s.ok()) return fail("predict", s);
    int best = 0;
    for (int c = 1; c < kArms; ++c) best = probabilities[c] > probabilities[best] ? c : best;
    correct += best == arms[i];
  }
  std::printf("spiral: %d of %d points on the right arm (%.1f%%)\n", correct, kPoints, 100.0 * correct / kPoints);
  return correct >= kPoints * 95 / 100 ? 0 : 1;
}
