// fixnet firmware: the nano model trained from scratch on the device (float,
// Adam, batch 8), from training digits streamed at random from the host;
// halfway the whole training state is saved to a buffer standing for flash
// and training resumes from it (a reboot); then the model is quantized to
// int8 on the device, calibrated on training digits. Prints the test
// accuracy before and after (float and int8), the steps and the
// instructions per step. The static_asserts prove every buffer fits the
// board's RAM. With TARGET, fails when the int8 test accuracy is below it.
//   fixnet-train-nano TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [STEPS [TEST_DIGITS [TARGET]]]
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "board.h"
#include "digits.h"
#include "fixnet/int8_model.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "fixnet/model_file.h"
#include "fixnet/quantize_model.h"

namespace {

constexpr int kBatch = 8;
constexpr int kDefaultSteps = 12000;
constexpr int kCalibration = 256;  // training digits that set the int8 ranges
constexpr fixnet::ModelSpec kSpec = fixnet::mnist::nano_spec();
constexpr fixnet::PlanOptions kTraining{kBatch, fixnet::OptimizerKind::adam};
constexpr fixnet::Plan kPlan = fixnet::plan(kSpec, kTraining);
constexpr fixnet::PlanOptions kInt8{1, fixnet::OptimizerKind::none, 1, false, fixnet::Precision::int8};
constexpr fixnet::Plan kInt8Plan = fixnet::plan(kSpec, kInt8);
constexpr std::size_t kStateBytes =
    fixnet::training_state_size(kSpec, 2 * kPlan.parameter_count, 0);  // Adam: m and v
static_assert(kPlan.status.ok() && kInt8Plan.status.ok(), "nano plans for training and int8");
// Training arena, int8 arena and the saved state, with the stack and 12 KB
// for everything else (stdio, digit buffers), within the part's RAM.
static_assert(kPlan.bytes + kInt8Plan.bytes + kStateBytes + mcu::kStackBytes + 12 * 1024 <= mcu::kRamBytes,
              "the training firmware fits the board's RAM");

alignas(fixnet::kArenaAlignment) std::byte g_arena[kPlan.bytes];
alignas(fixnet::kArenaAlignment) std::byte g_int8_arena[kInt8Plan.bytes];
alignas(4) std::uint8_t g_flash[kStateBytes];  // stands for a flash page
fixnet::Model g_model;
fixnet::Int8Model g_int8;
std::uint8_t g_pixels[mcu::kPixels];

bool check(const fixnet::Status& s, const char* what) {
  if (!s.ok()) std::printf("%s: %s\n", what, s.message);
  return s.ok();
}

// Test accuracy of the float model (batches of kBatch) or the int8 one on
// the first `count` test digits.
bool float_accuracy(mcu::DigitStream& test, int count, double* accuracy) {
  int correct = 0;
  for (int first = 0; first < count; first += kBatch) {
    const int n = count - first < kBatch ? count - first : kBatch;
    int labels[kBatch];
    for (int i = 0; i < n; ++i) {
      if (!test.read(first + i, g_pixels, &labels[i])) return false;
      float* input = g_model.input_buffer() + i * mcu::kPixels;
      for (int k = 0; k < mcu::kPixels; ++k) input[k] = float(g_pixels[k]) * (1.0f / 255.0f);
    }
    const float* logits = nullptr;
    if (!check(g_model.forward(g_model.input_buffer(), n, false, nullptr, &logits), "forward")) return false;
    for (int i = 0; i < n; ++i) correct += fixnet::argmax(logits + i * 10, 10) == labels[i];
  }
  *accuracy = double(correct) / count;
  return true;
}

bool int8_accuracy(mcu::DigitStream& test, int count, double* accuracy) {
  int correct = 0, label = 0;
  for (int i = 0; i < count; ++i) {
    const std::int8_t* logits = nullptr;
    if (!test.read(i, g_pixels, &label) || !check(g_int8.quantize_bytes(g_pixels, 1), "quantize") ||
        !check(g_int8.forward(g_int8.input_buffer(), 1, &logits), "int8 forward"))
      return false;
    correct += fixnet::argmax(logits, 10) == label;
  }
  *accuracy = double(correct) / count;
  return true;
}

// One training step on kBatch digits drawn at random (with replacement).
bool train_step(mcu::DigitStream& train, fixnet::Rng& rng, const fixnet::OptimizerSettings& adam) {
  for (int i = 0; i < kBatch; ++i) {
    int label = 0;
    if (!train.read(int(rng.below(std::uint32_t(train.count()))), g_pixels, &label)) return false;
    float* input = g_model.input_buffer() + i * mcu::kPixels;
    for (int k = 0; k < mcu::kPixels; ++k) input[k] = float(g_pixels[k]) * (1.0f / 255.0f);
    g_model.label_buffer()[i] = std::uint8_t(label);
  }
  return check(g_model.train_step(g_model.input_buffer(), g_model.label_buffer(), kBatch, adam, rng, nullptr),
               "train step");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::printf("usage: fixnet-train-nano TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [STEPS [TEST_DIGITS [TARGET]]]\n");
    return 2;
  }
  const int steps = argc > 5 ? std::atoi(argv[5]) : kDefaultSteps;
  mcu::DigitStream train, test;
  if (steps < 2 || !train.open(argv[1], argv[2]) || !test.open(argv[3], argv[4])) return 1;
  const int test_digits = argc > 6 && std::atoi(argv[6]) > 0 && std::atoi(argv[6]) < test.count() ? std::atoi(argv[6])
                                                                                                       : test.count();
  fixnet::Rng rng(0);
  if (!check(g_model.init(kSpec, kTraining, g_arena, sizeof g_arena), "model")) return 1;
  g_model.initialize_parameters(rng);
  const fixnet::OptimizerSettings adam = fixnet::OptimizerSettings{3e-3f};
  std::printf("fixnet firmware on %s: nano trained from scratch (float, Adam 3e-3, batch %d)\n", mcu::board_name(),
              kBatch);
  double before = 0, after = 0, quantized = 0;
  if (!float_accuracy(test, test_digits, &before)) return 1;
  std::printf("before: test accuracy %g (%d digits)\n", before, test_digits);

  std::uint64_t instructions = 0;
  for (int step = 0; step < steps; ++step) {
    if (step == steps / 2) {  // save the training state to "flash", reboot, resume from it
      std::size_t written = 0;
      if (!check(fixnet::write_training_state(g_model, rng, nullptr, g_flash, sizeof g_flash, &written), "save")) return 1;
      std::memset(g_arena, 0xA5, sizeof g_arena);
      fixnet::Rng fresh(12345);
      if (!check(g_model.init(kSpec, kTraining, g_arena, sizeof g_arena), "model") ||
          !check(fixnet::load_training_state(g_flash, written, &g_model, &fresh, nullptr), "resume"))
        return 1;
      rng = fresh;
      std::printf("step %d: training state saved (%lu bytes) and resumed from it\n", step, (unsigned long)written);
    }
    const std::uint64_t t0 = mcu::instructions();
    if (!train_step(train, rng, adam)) return 1;
    instructions += mcu::instructions() - t0;
  }
  if (!float_accuracy(test, test_digits, &after)) return 1;
  std::printf("after %d steps: test accuracy %g (float, %d digits)\n", steps, after, test_digits);
  std::printf("instructions per step %lu (reading %d digits included)\n", (unsigned long)(instructions / std::uint64_t(steps)),
              kBatch);

  // int8 on the device: ranges from training digits, then TFLite's quantization.
  fixnet::ActivationRanges ranges;
  for (int first = 0; first < kCalibration; first += kBatch) {
    int label = 0;
    for (int i = 0; i < kBatch; ++i) {
      if (!train.read(first + i, g_pixels, &label)) return 1;
      float* input = g_model.input_buffer() + i * mcu::kPixels;
      for (int k = 0; k < mcu::kPixels; ++k) input[k] = float(g_pixels[k]) * (1.0f / 255.0f);
    }
    if (!check(fixnet::observe_ranges(&g_model, g_model.input_buffer(), kBatch, &ranges), "calibration")) return 1;
  }
  if (!check(g_int8.init(kSpec, kInt8, g_int8_arena, sizeof g_int8_arena), "int8 model") ||
      !check(fixnet::quantize_model(g_model, ranges, &g_int8), "quantize") ||
      !int8_accuracy(test, test_digits, &quantized))
    return 1;
  std::printf("after: test accuracy %g (int8, quantized on the device from %d training digits)\n", quantized,
              kCalibration);
  std::printf("RAM: training arena %lu, int8 arena %lu, saved state %lu bytes\n", (unsigned long)sizeof g_arena,
              (unsigned long)sizeof g_int8_arena, (unsigned long)sizeof g_flash);
  mcu::print_memory(0, std::uint32_t(sizeof g_arena + sizeof g_int8_arena));
  return argc > 7 && quantized < std::atof(argv[7]) ? 1 : 0;
}
