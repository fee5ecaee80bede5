// Fuzz target: a model file read, planned, loaded into its arena and run,
// float (version 1), int8 (version 2) or a training state (version 3), as
// the CLI's load_model and --resume do.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "checksum.h"
#include "fixnet/model_file.h"

namespace {

// Larger plans are skipped (the CLI caps them at 1 GiB, a test covers that).
constexpr std::size_t kMaxArenaBytes = std::size_t(16) << 20;

struct FreeArena {
  void operator()(void* p) const { std::free(p); }
};

std::unique_ptr<void, FreeArena> arena_for(const fixnet::Plan& plan) {
  if (plan.bytes > kMaxArenaBytes) return nullptr;
  const std::size_t rounded = (plan.bytes + fixnet::kArenaAlignment) / fixnet::kArenaAlignment * fixnet::kArenaAlignment;
  return std::unique_ptr<void, FreeArena>(std::aligned_alloc(fixnet::kArenaAlignment, rounded));
}

std::uint32_t u32_at(const std::uint8_t* p) { return std::uint32_t(p[0] | p[1] << 8 | p[2] << 16) | std::uint32_t(p[3]) << 24; }

// A training state resumed as `fixnet-mnist train --resume` does: over data
// of as many examples as its minibatch order has (images of zeros, labels
// 0), then one training step.
void resume(const std::uint8_t* bytes, std::size_t size, const fixnet::ModelSpec& spec, fixnet::Model& model,
            fixnet::OptimizerKind optimizer) {
  // The state's layout (read_model_spec has checked it): optimizer fields at
  // the end of the parameters, S floats of state, the generator, E examples.
  const std::size_t at = fixnet::model_file_size(spec) - 4;
  const std::size_t state_floats = u32_at(bytes + at + 16);
  const std::uint32_t examples = u32_at(bytes + at + 24 + 4 * state_floats + 16);
  const std::size_t image = std::size_t(model.input_size());
  if (examples > 4096 || std::size_t(examples) * image > (std::size_t(16) << 20)) return;
  const std::vector<std::uint8_t> images(examples * image), labels(examples);
  std::vector<std::int32_t> order(examples);
  fixnet::Dataset data{images.data(), labels.data(), int(examples), 1, int(image)};
  fixnet::Rng rng;
  fixnet::BatchIterator batches;
  if (examples > 0 && !batches.init(data, order.data(), order.size(), &rng).ok()) return;
  if (!fixnet::load_training_state(bytes, size, &model, &rng, examples > 0 ? &batches : nullptr).ok()) return;
  if (examples == 0) return;
  const int n = int(std::min<std::uint32_t>(2, examples));
  fixnet::OptimizerSettings settings;
  settings.kind = optimizer;
  if (!batches.next(n, model.input_buffer(), model.label_buffer()).ok()) __builtin_trap();  // a restored order runs
  fixnet::StepStats stats;
  (void)model.train_step(model.input_buffer(), model.label_buffer(), n, settings, rng, &stats);
}

void run_float(const std::uint8_t* bytes, std::size_t size, const fixnet::ModelSpec& spec) {
  fixnet::PlanOptions options;
  options.batch = 2;
  const std::uint32_t version = u32_at(bytes + 4);
  if (version == fixnet::kTrainingStateVersion) {  // the optimizer and frozen layers the state records
    const std::size_t at = fixnet::model_file_size(spec) - 4;
    const std::uint32_t optimizer = u32_at(bytes + at), frozen = u32_at(bytes + at + 4);
    if (optimizer < 1 || optimizer > 2 || frozen > std::uint32_t(spec.layer_count)) return;
    options.optimizer = optimizer == 1 ? fixnet::OptimizerKind::gradient_descent : fixnet::OptimizerKind::adam;
    options.frozen_layers = int(frozen);
  }
  const fixnet::Plan plan = fixnet::plan(spec, options);
  auto arena = arena_for(plan);
  fixnet::Model model;
  if (!arena || !model.init(spec, options, arena.get(), plan.bytes).ok()) return;
  if (version == fixnet::kTrainingStateVersion) {
    resume(bytes, size, spec, model, options.optimizer);
    return;
  } else if (!fixnet::load_model_file(bytes, size, &model).ok()) {
    __builtin_trap();  // read_model_spec accepted it, so must loading
  }
  std::vector<float> input(std::size_t(2) * std::size_t(model.input_size()), 0.5f);
  std::vector<float> probabilities(std::size_t(2) * std::size_t(model.classes()));
  (void)model.predict(input.data(), 2, probabilities.data());
}

void run_int8(const std::uint8_t* bytes, std::size_t size, const fixnet::ModelSpec& spec) {
  fixnet::PlanOptions options;
  options.batch = 2;
  options.precision = fixnet::Precision::int8;
  const fixnet::Plan plan = fixnet::plan(spec, options);
  auto arena = arena_for(plan);
  fixnet::Int8Model model;
  if (!arena || !model.init(spec, options, arena.get(), plan.bytes).ok()) return;
  if (!fixnet::load_model_file(bytes, size, &model).ok()) __builtin_trap();  // read_model_spec accepted it
  std::vector<float> input(std::size_t(2) * std::size_t(spec.input.size()), 0.5f);
  std::vector<float> probabilities(std::size_t(2) * std::size_t(model.classes()));
  (void)model.predict(input.data(), 2, probabilities.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes (ASan sees any read past the end), aligned
  // as int8 files need (new[] aligns to 16).
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  const std::uint8_t* bytes = copy.get();
  for (int pass = 0; pass < 2; ++pass) {  // as it is, then with its checksum right
    if (pass == 1 && !fixnet_fuzz::fix_checksum(copy.get(), size)) break;
    fixnet::ModelSpec spec;
    fixnet::Precision precision = fixnet::Precision::float32;
    if (!fixnet::read_model_spec(bytes, size, &spec, &precision).ok()) continue;
    if (precision == fixnet::Precision::int8)
      run_int8(bytes, size, spec);
    else
      run_float(bytes, size, spec);
    break;
  }
  return 0;
}
