// fixnet firmware: personalisation. The micro model's backbone stays frozen
// in flash (a float header from `fixnet-mnist export`, option mcu_backbone);
// its last layer is re-initialised and trained on the device from training
// digits streamed at random from the host (gradient descent, one digit a
// step, its rate 0.05 for the first half of the steps, 0.015 for the next
// quarter and 0.005 for the last). The plan (frozen_layers) gives gradients and kept activations to
// the last layer alone. Prints the test accuracy before and after, the
// steps and the instructions per step. With TARGET, fails when the test
// accuracy after training is below it.
//   fixnet-train-head TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [STEPS [TEST_DIGITS [TARGET]]]
#include <cstdio>
#include <cstdlib>

#include "board.h"
#include "digits.h"
#include "fixnet/loss.h"
#include "fixnet/model.h"
#include "mcu_backbone.h"

namespace {

constexpr int kDefaultSteps = 30000;
constexpr float kLearningRate = 0.05f;

// The learning rate of step `step` of `steps`: stepped down twice.
float learning_rate(int step, int steps) {
  return kLearningRate * (step < steps / 2 ? 1.0f : step < steps / 4 * 3 ? 0.3f : 0.1f);
}
constexpr fixnet::PlanOptions kTraining = [] {
  fixnet::PlanOptions o{1, fixnet::OptimizerKind::gradient_descent};
  o.external_parameters = true;
  o.frozen_layers = mcu_backbone::kSpec.layer_count - 1;  // all but the last layer
  return o;
}();
constexpr fixnet::Plan kPlan = fixnet::plan(mcu_backbone::kSpec, kTraining);
static_assert(kPlan.status.ok(), "the backbone plans with its last layer trainable");
static_assert(kPlan.bytes + mcu::kStackBytes + 12 * 1024 <= mcu::kRamBytes, "the training firmware fits the board's RAM");

alignas(fixnet::kArenaAlignment) std::byte g_arena[kPlan.bytes];
fixnet::Model g_model;
std::uint8_t g_pixels[mcu::kPixels];

bool check(const fixnet::Status& s, const char* what) {
  if (!s.ok()) std::printf("%s: %s\n", what, s.message);
  return s.ok();
}

bool load(mcu::DigitStream& digits, int index, int* label) {
  if (!digits.read(index, g_pixels, label)) return false;
  float* input = g_model.input_buffer();
  for (int k = 0; k < mcu::kPixels; ++k) input[k] = float(g_pixels[k]) * (1.0f / 255.0f);
  return true;
}

bool accuracy(mcu::DigitStream& test, int count, double* result) {
  int correct = 0, label = 0;
  for (int i = 0; i < count; ++i) {
    const float* logits = nullptr;
    if (!load(test, i, &label) || !check(g_model.forward(g_model.input_buffer(), 1, false, nullptr, &logits), "forward"))
      return false;
    correct += fixnet::argmax(logits, 10) == label;
  }
  *result = double(correct) / count;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::printf("usage: fixnet-train-head TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [STEPS [TEST_DIGITS [TARGET]]]\n");
    return 2;
  }
  const int steps = argc > 5 ? std::atoi(argv[5]) : kDefaultSteps;
  mcu::DigitStream train, test;
  if (steps < 1 || !train.open(argv[1], argv[2]) || !test.open(argv[3], argv[4])) return 1;
  const int count = argc > 6 && std::atoi(argv[6]) > 0 && std::atoi(argv[6]) < test.count() ? std::atoi(argv[6])
                                                                                                : test.count();
  if (!check(g_model.init(mcu_backbone::kSpec, kTraining, g_arena, sizeof g_arena, mcu_backbone::kParameters),
             "model"))
    return 1;
  std::printf("fixnet firmware on %s: the last layer of a frozen backbone trained on the device "
              "(gradient descent from %g, one digit a step)\n",
              mcu::board_name(), double(kLearningRate));
  // Before training, on the first thousand test digits (each costs a pass
  // through the backbone); after, on `count`.
  const int quick = count < 1000 ? count : 1000;
  double trained = 0, before = 0, after = 0;
  if (!accuracy(test, quick, &trained)) return 1;
  fixnet::Rng rng(0);
  g_model.initialize_parameters(rng);  // the last layer only: the rest is frozen in flash
  if (!accuracy(test, quick, &before)) return 1;
  std::printf("as exported: test accuracy %g; last layer re-initialised: %g (%d digits)\n", trained, before, quick);
  fixnet::OptimizerSettings descent;
  std::uint64_t instructions = 0;
  for (int step = 0; step < steps; ++step) {
    int label = 0;
    if (!load(train, int(rng.below(std::uint32_t(train.count()))), &label)) return 1;
    g_model.label_buffer()[0] = std::uint8_t(label);
    descent.learning_rate = learning_rate(step, steps);
    const std::uint64_t t0 = mcu::instructions();
    if (!check(g_model.train_step(g_model.input_buffer(), g_model.label_buffer(), 1, descent, rng, nullptr), "step"))
      return 1;
    instructions += mcu::instructions() - t0;
  }
  if (!accuracy(test, count, &after)) return 1;
  std::printf("after %d steps: test accuracy %g (%d digits)\n", steps, after, count);
  std::printf("instructions per step %lu\n", (unsigned long)(instructions / std::uint64_t(steps)));
  mcu::print_memory(std::uint32_t(mcu_backbone::kParameterBytes), std::uint32_t(sizeof g_arena));
  return argc > 7 && after < std::atof(argv[7]) ? 1 : 0;
}
