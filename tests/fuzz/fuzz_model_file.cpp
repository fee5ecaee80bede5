// Fuzz target: a model file read, planned, loaded into its arena and run,
// float (version 1) or int8 (version 2) as the CLI's load_model does, or a
// training state (version 3) as --resume does.
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
void resume(const std::uint8_t* bytes, std::size_t size, const fixnet::ModelSpec& spec, fixnet::Model& model) {
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
  const fixnet::OptimizerSettings settings;
  if (!batches.next(n, model.input_buffer(), model.label_buffer()).ok()) __builtin_trap();  // a restored order runs
  fixnet::StepStats stats;
  (void)model.train_step(model.input_buffer(), model.label_buffer(), n, settings, rng, &stats);
}

// A training state resumed as `fixnet-mnist train --resume` does, with the
// optimizer and frozen layers it records.
void run_training_state(const std::uint8_t* bytes, std::size_t size, const fixnet::ModelSpec& spec) {
  const std::size_t at = fixnet::model_file_size(spec) - 4;
  const std::uint32_t optimizer = u32_at(bytes + at), frozen = u32_at(bytes + at + 4);
  if (optimizer < 1 || optimizer > 2 || frozen > std::uint32_t(spec.layer_count)) return;
  fixnet::PlanOptions options;
  options.batch = 2;
  options.optimizer = optimizer == 1 ? fixnet::OptimizerKind::gradient_descent : fixnet::OptimizerKind::adam;
  options.frozen_layers = int(frozen);
  const fixnet::Plan plan = fixnet::plan(spec, options);
  auto arena = arena_for(plan);
  fixnet::Model model;
  if (!arena || !model.init(spec, options, arena.get(), plan.bytes).ok()) return;
  resume(bytes, size, spec, model);
}

// A float or int8 model file loaded as the CLI's load_model does (planned,
// then loaded in one call), then run.
void run_model(const std::uint8_t* bytes, std::size_t size) {
  fixnet::PlanOptions options;
  options.batch = 2;
  fixnet::Plan plan;
  if (!fixnet::plan_model_file(bytes, size, options, &plan).ok()) return;
  auto arena = arena_for(plan);
  if (!arena) return;
  fixnet::Model model;
  fixnet::Int8Model int8;
  fixnet::Precision precision = fixnet::Precision::float32;
  if (!fixnet::load_model_file(bytes, size, options, arena.get(), plan.bytes, &model, &int8, &precision).ok())
    __builtin_trap();  // planned, so it loads
  std::vector<float> input(std::size_t(2) * std::size_t(plan.spec.input.size()), 0.5f);
  std::vector<float> probabilities(std::size_t(2) * std::size_t(plan.classes));
  (void)(precision == fixnet::Precision::int8 ? int8.predict(input.data(), 2, probabilities.data())
                                              : model.predict(input.data(), 2, probabilities.data()));
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
    if (!fixnet::read_model_spec(bytes, size, &spec).ok()) continue;
    if (u32_at(bytes + 4) == fixnet::kTrainingStateVersion)
      run_training_state(bytes, size, spec);
    else
      run_model(bytes, size);
    break;
  }
  return 0;
}
