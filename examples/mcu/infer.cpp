// fixnet firmware: MNIST's test digits through a model exported to C (its
// parameters in flash, its arena static), streamed from the host. Prints the
// test accuracy, the instructions per inference and the memory it uses;
// with PREDICTIONS, writes each digit's line as `fixnet-mnist eval
// --predictions` does (int8 logits are the same bits on every build), and
// with EXPECTED (such a file from the native build) fails unless every line
// is the same.
//   fixnet-infer IMAGES LABELS [PREDICTIONS [EXPECTED]]   (raw IDX files, via semihosting)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "board.h"
#include "digits.h"
#include "fixnet/int8_model.h"
#include "fixnet/loss.h"
#include "fixnet/model.h"
#include "mcu_model.h"
#include "prediction_lines.h"

namespace {

constexpr bool kInt8 =
    std::is_same_v<std::remove_cv_t<decltype(mcu_model::kParameters)>, fixnet::Int8Parameters>;
using ModelType = std::conditional_t<kInt8, fixnet::Int8Model, fixnet::Model>;
static_assert(mcu_model::kSpec.input.size() == mcu::kPixels, "a model for 28x28 digits");

alignas(fixnet::kArenaAlignment) std::byte g_arena[mcu_model::kPlan.bytes];
ModelType g_model;
std::uint8_t g_pixels[mcu::kPixels];
constexpr int kTimed = 100;  // the median is over the first 100 digits, as the peers measure
std::uint32_t g_instructions[kTimed];

// The model in flash: an int8 header's parameters, or a float one's. (Of
// each pair below, the header's kind of model uses one.)
[[maybe_unused]] fixnet::Status init_model(fixnet::Int8Model& model, const fixnet::Int8Parameters& parameters) {
  return model.init(mcu_model::kSpec, mcu_model::kOptions, g_arena, sizeof g_arena, &parameters);
}
[[maybe_unused]] fixnet::Status init_model(fixnet::Model& model, const float* parameters) {
  return model.init(mcu_model::kSpec, mcu_model::kOptions, g_arena, sizeof g_arena, parameters);
}

// The input of one digit from g_pixels: bytes v as v / 255.
[[maybe_unused]] fixnet::Status convert_input(fixnet::Int8Model& model) { return model.quantize_bytes(g_pixels, 1); }
[[maybe_unused]] fixnet::Status convert_input(fixnet::Model& model) {
  float* input = model.input_buffer();
  for (int i = 0; i < mcu::kPixels; ++i) input[i] = float(g_pixels[i]) * (1.0f / 255.0f);  // as image_to_floats
  return fixnet::ok_status();
}

[[maybe_unused]] fixnet::Status run(fixnet::Int8Model& model, const std::int8_t** logits) {
  return model.forward(model.input_buffer(), 1, logits);
}
[[maybe_unused]] fixnet::Status run(fixnet::Model& model, const float** logits) {
  return model.forward(model.input_buffer(), 1, false, nullptr, logits);
}

// The logits of one digit; the instructions of its input conversion and of the inference.
template <class Logit>
bool classify(const Logit** logits, std::uint64_t* convert, std::uint64_t* infer) {
  const std::uint64_t t0 = mcu::instructions();
  fixnet::Status s = convert_input(g_model);
  const std::uint64_t t1 = mcu::instructions();
  if (s.ok()) s = run(g_model, logits);
  const std::uint64_t t2 = mcu::instructions();
  *convert = t1 - t0;
  *infer = t2 - t1;
  if (!s.ok()) std::printf("inference failed: %s\n", s.message);
  return s.ok();
}

// 0 when the two files hold the same lines; else prints the first that
// differs and returns 1.
int compare_lines(const char* mine, const char* expected) {
  std::FILE* a = std::fopen(mine, "r");
  std::FILE* b = std::fopen(expected, "r");
  if (a == nullptr || b == nullptr) {
    std::printf("cannot compare %s with %s\n", mine, expected);
    return 1;
  }
  static char line_a[256], line_b[256];
  int line = 0, status = 0;
  for (;; ++line) {
    const bool more_a = std::fgets(line_a, sizeof line_a, a) != nullptr;
    const bool more_b = std::fgets(line_b, sizeof line_b, b) != nullptr;
    if (!more_a && !more_b) break;
    if (more_a != more_b || std::strcmp(line_a, line_b) != 0) {
      std::printf("line %d differs from the native build's:\n  %s  %s", line + 1, more_a ? line_a : "(none)\n",
                  more_b ? line_b : "(none)\n");
      status = 1;
      break;
    }
  }
  std::fclose(a);
  std::fclose(b);
  if (status == 0) std::printf("predictions and logits of all %d digits equal the native build's\n", line);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::printf("usage: fixnet-infer IMAGES LABELS [PREDICTIONS [EXPECTED]]\n");
    return 2;
  }
  const fixnet::Status s = init_model(g_model, mcu_model::kParameters);
  if (!s.ok()) {
    std::printf("model: %s\n", s.message);
    return 1;
  }
  mcu::DigitStream digits;
  if (!digits.open(argv[1], argv[2])) return 1;
  std::FILE* predictions = argc > 3 ? std::fopen(argv[3], "w") : nullptr;
  if (argc > 3 && predictions == nullptr) {
    std::printf("cannot write %s\n", argv[3]);
    return 1;
  }
  std::printf("fixnet firmware on %s: %s model, %s kernels\n", mcu::board_name(), kInt8 ? "int8" : "float",
              kInt8 ? fixnet::int8::kName : "scalar float");
  const int classes = g_model.classes();
  int correct = 0, label = 0;
  std::uint64_t total = 0, converting = 0;
  for (int i = 0; i < digits.count(); ++i) {
    if (!digits.next(g_pixels, &label)) {
      std::printf("cannot read digit %d\n", i);
      return 1;
    }
    using Logit = std::conditional_t<kInt8, std::int8_t, float>;
    const Logit* logits = nullptr;
    std::uint64_t convert = 0, infer = 0;
    if (!classify(&logits, &convert, &infer)) return 1;
    const int predicted = fixnet::argmax(logits, classes);
    correct += predicted == label;
    total += infer;
    converting += convert;
    if (i < kTimed) g_instructions[i] = std::uint32_t(infer);
    if (predictions != nullptr) fixnet_host::print_prediction(predictions, i, label, predicted, logits, classes);
  }
  if (predictions != nullptr) std::fclose(predictions);
  const int timed = std::min(kTimed, digits.count());
  std::sort(g_instructions, g_instructions + timed);
  std::printf("test accuracy %g (%d digits)\n", double(correct) / digits.count(), digits.count());
  std::printf("instructions per inference %lu (median of the first %d digits; mean %lu; input conversion %lu more)\n",
              (unsigned long)g_instructions[timed / 2], timed, (unsigned long)(total / std::uint64_t(digits.count())),
              (unsigned long)(converting / std::uint64_t(digits.count())));
  mcu::print_memory(std::uint32_t(mcu_model::kParameterBytes), std::uint32_t(sizeof g_arena));
  return argc > 4 ? compare_lines(argv[3], argv[4]) : 0;
}
