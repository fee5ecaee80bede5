// fixnet: the model file. Version 1 holds a float model, version 2 an int8
// one, version 3 a float model with its whole training state; all record the
// architecture and end in a CRC-32. Everything little-endian, floats
// IEEE-754 binary32. The byte layout of each version: docs/model-file.md.
// Readers check a whole file before using any of it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/batches.h"
#include "fixnet/int8_model.h"
#include "fixnet/model.h"
#include "fixnet/random.h"
#include "fixnet/spec.h"
#include "fixnet/status.h"

namespace fixnet {

constexpr std::uint32_t kModelFileVersion = 1;      // float models
constexpr std::uint32_t kInt8ModelFileVersion = 2;  // int8 models
constexpr std::uint32_t kTrainingStateVersion = 3;  // float models with their training state

// Floats of weights and biases `spec` has (which must be valid).
constexpr std::size_t spec_parameter_count(const ModelSpec& spec) {
  std::size_t count = 0;
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count && i < kMaxLayers; ++i) {
    count += layer_weight_count(spec.layers[i], d) + layer_bias_count(spec.layers[i]);
    d = layer_output_dims(spec.layers[i], d);
  }
  return count;
}

// The size in bytes of the model file of `spec` (which must be valid).
constexpr std::size_t model_file_size(const ModelSpec& spec) {
  return 24 + 32 * std::size_t(spec.layer_count) + 8 + 4 * spec_parameter_count(spec) + 4;
}

// The size in bytes of the int8 model file of `spec` (which must be valid).
constexpr std::size_t int8_model_file_size(const ModelSpec& spec) {
  std::size_t size = 24 + 32 * std::size_t(spec.layer_count) + 8 * (std::size_t(spec.layer_count) + 1) + 4;
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count && i < kMaxLayers; ++i) {
    const std::size_t units = layer_bias_count(spec.layers[i]);
    size += 16 * units + (layer_weight_count(spec.layers[i], d) + 3) / 4 * 4;
    d = layer_output_dims(spec.layers[i], d);
  }
  return size;
}

// The size in bytes of a training state of `spec` (which must be valid) with
// `state_floats` of optimizer state and a minibatch order of `examples`.
constexpr std::size_t training_state_size(const ModelSpec& spec, std::size_t state_floats, std::size_t examples) {
  return model_file_size(spec) + 4 + 4 + 8 + 8 + 4 * state_floats + 16 + 4 + (examples > 0 ? 12 + 4 * examples : 0);
}

// Writes `model`'s architecture and parameters to out[0, model_file_size(spec)).
// A parameter that is not finite is Error::diverged, with nothing written.
Status write_model_file(const Model& model, void* out, std::size_t capacity, std::size_t* written);
// The same for an int8 model, to out[0, int8_model_file_size(spec)).
Status write_model_file(const Int8Model& model, void* out, std::size_t capacity, std::size_t* written);

// Checks a whole file of any version (magic, version, size, checksum, a
// buildable architecture, finite float parameters and, for int8, every
// value's range: see validate_int8_parameters) and returns the architecture it records and
// (when not null) its precision. Int8 files must be 4-byte aligned in memory.
Status read_model_spec(const void* bytes, std::size_t size, ModelSpec* spec, Precision* precision = nullptr);

// Writes a training state: `model`'s parameters and optimizer, `rng` and
// (when not null) where `batches` stands, to out[0, training_state_size).
// A parameter that is not finite is Error::diverged, with nothing written.
Status write_training_state(const Model& model, const Rng& rng, const BatchIterator* batches, void* out,
                            std::size_t capacity, std::size_t* written);

// Checks a training state as read_model_spec does, requires the model's
// architecture, optimizer and frozen layers (and, for `batches`, an order of
// its data's examples), and restores all of them: training then goes on
// as if it had never stopped. `batches` may be null when the state has no order.
Status load_training_state(const void* bytes, std::size_t size, Model* model, Rng* rng, BatchIterator* batches);

// Checks the file as read_model_spec does, requires the model's architecture,
// and copies the parameters into `model` (whose optimizer is reset). A float
// model takes version 1 files (and a training state's parameters), an int8
// one (holding its own parameters) version 2.
Status load_model_file(const void* bytes, std::size_t size, Model* model);
Status load_model_file(const void* bytes, std::size_t size, Int8Model* model);

// The plan of the model a file holds, used as `options` says (its precision
// is the file's): checks the whole file as read_model_spec does. For a host
// to check what the file asks for (plan->bytes, plan->spec) before giving it
// an arena; then load_model_file below.
Status plan_model_file(const void* bytes, std::size_t size, PlanOptions options, Plan* plan);

// A model file in one call: checks the whole file as read_model_spec does,
// plans the model it holds as `options` says (its precision is the file's),
// refuses a plan larger than arena_bytes (Error::arena_too_small) or one
// with external parameters, then builds that model in `arena`
// (kArenaAlignment-aligned) and loads the parameters: into `model` for a
// float file (version 1 or a training state's parameters), into `int8` for
// an int8 one. Neither model is touched before every check has passed;
// *precision (when not null) says which holds the file's model.
Status load_model_file(const void* bytes, std::size_t size, const PlanOptions& options, void* arena,
                       std::size_t arena_bytes, Model* model, Int8Model* int8, Precision* precision);

// CRC-32 (IEEE 802.3 polynomial, reflected; zlib's crc32) of `size` bytes.
std::uint32_t crc32(const void* bytes, std::size_t size);

}  // namespace fixnet
