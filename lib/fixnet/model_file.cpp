// fixnet: reading and writing the versioned, checksummed model file.
#include "fixnet/model_file.h"

#include <cmath>
#include <cstring>

namespace fixnet {

namespace {

constexpr std::size_t kLayerRecord = 32;
constexpr std::size_t kHeader = 24;  // magic, version, input dims, layer count

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24);
}

void put_u64(std::uint8_t* p, std::uint64_t v) {
  put_u32(p, std::uint32_t(v));
  put_u32(p + 4, std::uint32_t(v >> 32));
}

std::uint64_t get_u64(const std::uint8_t* p) { return std::uint64_t(get_u32(p)) | (std::uint64_t(get_u32(p + 4)) << 32); }

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Values beyond int range become -1, which validate() rejects.
int to_int(std::uint32_t v) { return v > 0x7FFFFFFFu ? -1 : int(v); }

float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// crc32 of each byte value, for the byte-at-a-time loop.
struct CrcTable {
  std::uint32_t entries[256] = {};
  constexpr CrcTable() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
      entries[i] = c;
    }
  }
};
constexpr CrcTable kCrcTable{};
// The layer records of a file whose header was checked: the architecture.
ModelSpec decode_spec(const std::uint8_t* p, std::uint32_t layers) {
  ModelSpec s;
  s.input = Dims{to_int(get_u32(p + 8)), to_int(get_u32(p + 12)), to_int(get_u32(p + 16))};
  s.layer_count = int(layers);
  for (std::uint32_t i = 0; i < layers; ++i) {
    const std::uint8_t* r = p + kHeader + kLayerRecord * i;
    LayerSpec& l = s.layers[i];
    const std::uint32_t kind = get_u32(r), padding = get_u32(r + 24);
    l.kind = static_cast<LayerKind>(kind <= 0xFF ? kind : 0);  // 0 is no kind: validate() refuses it
    l.units = to_int(get_u32(r + 4));
    l.window_h = to_int(get_u32(r + 8));
    l.window_w = to_int(get_u32(r + 12));
    l.stride_h = to_int(get_u32(r + 16));
    l.stride_w = to_int(get_u32(r + 20));
    l.padding = static_cast<Padding>(padding <= 0xFF ? padding : 0);
    l.keep_prob = bits_float(get_u32(r + 28));
  }
  return s;
}

void encode_spec(const ModelSpec& spec, std::uint32_t version, std::uint8_t* p) {
  std::memcpy(p, "FXNM", 4);
  put_u32(p + 4, version);
  put_u32(p + 8, std::uint32_t(spec.input.height));
  put_u32(p + 12, std::uint32_t(spec.input.width));
  put_u32(p + 16, std::uint32_t(spec.input.channels));
  put_u32(p + 20, std::uint32_t(spec.layer_count));
  std::uint8_t* q = p + kHeader;
  for (int i = 0; i < spec.layer_count; ++i, q += kLayerRecord) {
    const LayerSpec& l = spec.layers[i];
    const std::uint32_t fields[8] = {std::uint32_t(l.kind),     std::uint32_t(l.units),    std::uint32_t(l.window_h),
                                     std::uint32_t(l.window_w), std::uint32_t(l.stride_h), std::uint32_t(l.stride_w),
                                     std::uint32_t(l.padding),  float_bits(l.keep_prob)};
    for (int k = 0; k < 8; ++k) put_u32(q + 4 * k, fields[k]);
  }
}

bool little_endian_host() {
  const std::uint32_t one = 1;
  std::uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// Points `view` into an int8 file's payload (whose size and alignment were
// checked): activation parameters copied, layer tensors in place.
void int8_view(const std::uint8_t* p, const ModelSpec& spec, Int8Parameters* view) {
  const std::uint8_t* q = p + kHeader + kLayerRecord * std::size_t(spec.layer_count);
  for (int t = 0; t <= spec.layer_count; ++t, q += 8)
    view->activations[t] = QuantParams{bits_float(get_u32(q)), std::int32_t(get_u32(q + 4))};
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const std::size_t units = layer_bias_count(l), weights = layer_weight_count(l, d);
    d = layer_output_dims(l, d);
    if (units == 0) continue;
    Int8LayerParameters& lp = view->layers[i];
    lp.weight_scale = reinterpret_cast<const float*>(q);
    lp.bias = reinterpret_cast<const std::int32_t*>(q + 4 * units);
    lp.multiplier = lp.bias + units;
    lp.shift = lp.multiplier + units;
    lp.weights = reinterpret_cast<const std::int8_t*>(q + 16 * units);
    q += 16 * units + (weights + 3) / 4 * 4;
  }
}


// Where a training state's parts lie (after its structure was checked).
struct TrainingStateLayout {
  ModelSpec spec;
  std::uint64_t parameters = 0;  // count
  std::size_t optimizer = 0;     // offset of the optimizer fields
  OptimizerKind kind = OptimizerKind::none;
  int frozen = 0;
  std::uint64_t steps = 0, state_floats = 0;
  std::size_t rng = 0;           // offset of the generator
  std::uint32_t examples = 0;
  std::size_t order = 0;         // offset of position, epochs, started, order
};

// Checks a training state's structure (sizes, checksum, architecture,
// optimizer, counts) without trusting any count before the bytes hold it.
Status training_state_layout(const std::uint8_t* p, std::size_t size, std::size_t records, TrainingStateLayout* t) {
  const auto truncated = fail(Error::truncated, "training state: shorter than its fields say (truncated)");
  if (size < records + 8) return truncated;
  t->parameters = get_u64(p + records);
  std::uint64_t at = records + 8;
  if (t->parameters > (size - at) / 4) return truncated;
  at += 4 * t->parameters;
  t->optimizer = std::size_t(at);
  if (size - at < 24) return truncated;
  const std::uint32_t kind = get_u32(p + at), frozen = get_u32(p + at + 4);
  t->steps = get_u64(p + at + 8);
  t->state_floats = get_u64(p + at + 16);
  at += 24;
  if (t->state_floats > (size - at) / 4) return truncated;
  at += 4 * t->state_floats;
  t->rng = std::size_t(at);
  if (size - at < 20) return truncated;
  t->examples = get_u32(p + at + 16);
  at += 20;
  t->order = std::size_t(at);
  if (t->examples > 0) {
    if ((size - at) / 4 < 3 || t->examples > (size - at) / 4 - 3) return truncated;
    at += 12 + 4 * std::uint64_t(t->examples);
  }
  if (size - at < 4) return truncated;
  if (size - at > 4) return fail(Error::oversized, "model file: bytes continue past the checksum");
  if (crc32(p, size - 4) != get_u32(p + size - 4))
    return fail(Error::corrupt, "model file: checksum mismatch (the file is corrupted)");
  t->spec = decode_spec(p, get_u32(p + 20));
  if (!validate(t->spec).ok()) return fail(Error::corrupt, "model file: the recorded architecture is not a valid network");
  if (spec_parameter_count(t->spec) != t->parameters)
    return fail(Error::corrupt, "model file: parameter count does not match the architecture");
  if (kind != std::uint32_t(OptimizerKind::gradient_descent) && kind != std::uint32_t(OptimizerKind::adam))
    return fail(Error::corrupt, "training state: unknown optimizer");
  t->kind = static_cast<OptimizerKind>(kind);
  if (frozen > std::uint32_t(t->spec.layer_count)) return fail(Error::corrupt, "training state: more frozen layers than layers");
  t->frozen = int(frozen);
  const Plan plan_of_state = plan(t->spec, PlanOptions{1, t->kind, 1, false, Precision::float32, t->frozen});
  if (!plan_of_state.status.ok()) return fail(Error::corrupt, "training state: its optimizer and frozen layers cannot train");
  if (t->state_floats !=
      optimizer_state_per_parameter(t->kind) * (plan_of_state.parameter_count - plan_of_state.trainable_first))
    return fail(Error::corrupt, "training state: optimizer state does not match the trainable parameters");
  if (t->steps > (std::uint64_t(1) << 62)) return fail(Error::corrupt, "training state: step count out of range");
  if (t->examples > 0 && (get_u32(p + t->order) > t->examples || get_u32(p + t->order + 8) > 1))
    return fail(Error::corrupt, "training state: minibatch position out of range");
  return ok_status();
}

// True when the `count` binary32 values at p are all finite.
bool all_finite(const std::uint8_t* p, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i, p += 4)
    if ((get_u32(p) & 0x7F800000u) == 0x7F800000u) return false;  // exponent all ones: inf or NaN
  return true;
}

constexpr Status kNotFinite = fail(Error::corrupt, "model file: a parameter is not finite");
constexpr Status kDiverged =
    fail(Error::diverged, "model has a parameter that is not finite (training diverged); nothing written");

}  // namespace

std::uint32_t crc32(const void* bytes, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) crc = kCrcTable.entries[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

Status write_model_file(const Model& model, void* out, std::size_t capacity, std::size_t* written) {
  const ModelSpec& spec = model.spec();
  const std::size_t size = model_file_size(spec);
  if (out == nullptr || capacity < size) return fail(Error::arena_too_small, "model file: output buffer too small");
  if (!model.parameters_finite()) return kDiverged;
  auto* p = static_cast<std::uint8_t*>(out);
  encode_spec(spec, kModelFileVersion, p);
  std::uint8_t* q = p + kHeader + kLayerRecord * std::size_t(spec.layer_count);
  const std::uint64_t count = model.parameter_count();
  put_u32(q, std::uint32_t(count));
  put_u32(q + 4, std::uint32_t(count >> 32));
  q += 8;
  for (int i = 0; i < spec.layer_count; ++i) {  // layer by layer: frozen layers' may be elsewhere
    const LayerParameters l = model.layer_parameters(i);
    for (std::size_t k = 0; k < l.weight_count; ++k, q += 4) put_u32(q, float_bits(l.weights[k]));
    for (std::size_t k = 0; k < l.bias_count; ++k, q += 4) put_u32(q, float_bits(l.bias[k]));
  }
  put_u32(q, crc32(p, std::size_t(q - p)));
  if (written != nullptr) *written = size;
  return ok_status();
}


Status write_model_file(const Int8Model& model, void* out, std::size_t capacity, std::size_t* written) {
  const ModelSpec& spec = model.spec();
  const std::size_t size = int8_model_file_size(spec);
  if (out == nullptr || capacity < size) return fail(Error::arena_too_small, "model file: output buffer too small");
  auto* p = static_cast<std::uint8_t*>(out);
  std::memset(p, 0, size);
  encode_spec(spec, kInt8ModelFileVersion, p);
  const Int8Parameters& params = model.parameters();
  std::uint8_t* q = p + kHeader + kLayerRecord * std::size_t(spec.layer_count);
  for (int t = 0; t <= spec.layer_count; ++t, q += 8) {
    put_u32(q, float_bits(params.activations[t].scale));
    put_u32(q + 4, std::uint32_t(params.activations[t].zero_point));
  }
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const std::size_t units = layer_bias_count(l), weights = layer_weight_count(l, d);
    d = layer_output_dims(l, d);
    if (units == 0) continue;
    const Int8LayerParameters& lp = params.layers[i];
    for (std::size_t u = 0; u < units; ++u) {
      put_u32(q + 4 * u, float_bits(lp.weight_scale[u]));
      put_u32(q + 4 * (units + u), std::uint32_t(lp.bias[u]));
      put_u32(q + 4 * (2 * units + u), std::uint32_t(lp.multiplier[u]));
      put_u32(q + 4 * (3 * units + u), std::uint32_t(lp.shift[u]));
    }
    std::memcpy(q + 16 * units, lp.weights, weights);
    q += 16 * units + (weights + 3) / 4 * 4;
  }
  put_u32(q, crc32(p, std::size_t(q - p)));
  if (written != nullptr) *written = size;
  return ok_status();
}

Status read_model_spec(const void* bytes, std::size_t size, ModelSpec* spec, Precision* precision) {
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  if (spec == nullptr) return fail(Error::invalid_argument, "model file: null output");
  if (size < 8) return fail(Error::truncated, "model file: too short to be a model file (truncated)");
  if (p == nullptr) return fail(Error::invalid_argument, "model file: null bytes");
  if (std::memcmp(p, "FXNM", 4) != 0) return fail(Error::bad_magic, "model file: not a fixnet model file (bad magic)");
  const std::uint32_t version = get_u32(p + 4);
  if (version != kModelFileVersion && version != kInt8ModelFileVersion && version != kTrainingStateVersion)
    return fail(Error::unsupported, "model file: unsupported format version (this build reads versions 1 to 3)");
  if (size < kHeader) return fail(Error::truncated, "model file: header is truncated");
  const std::uint32_t layers = get_u32(p + 20);
  if (layers < 1 || layers > std::uint32_t(kMaxLayers))
    return fail(Error::corrupt, "model file: layer count is not 1..16 (corrupted)");
  const std::size_t records = kHeader + kLayerRecord * layers;
  if (version == kTrainingStateVersion) {
    TrainingStateLayout t;
    const Status s = training_state_layout(p, size, records, &t);
    if (!s.ok()) return s;
    if (!all_finite(p + records + 8, t.parameters)) return kNotFinite;
    *spec = t.spec;
    if (precision != nullptr) *precision = Precision::float32;
    return ok_status();
  }
  if (version == kModelFileVersion) {
    if (size < records + 8) return fail(Error::truncated, "model file: architecture is truncated");
    const std::uint8_t* q = p + records;
    const std::uint64_t count = std::uint64_t(get_u32(q)) | (std::uint64_t(get_u32(q + 4)) << 32);
    // Compared with the bytes present before anything is multiplied: no wrap.
    const std::size_t room = size - (records + 8);  // parameters and checksum
    if (room < 4 || count > (room - 4) / 4) return fail(Error::truncated, "model file: shorter than its header says (truncated)");
    if (room - 4 > 4 * count) return fail(Error::oversized, "model file: bytes continue past the checksum");
    if (crc32(p, size - 4) != get_u32(p + size - 4))
      return fail(Error::corrupt, "model file: checksum mismatch (the file is corrupted)");
    const ModelSpec s = decode_spec(p, layers);
    if (!validate(s).ok()) return fail(Error::corrupt, "model file: the recorded architecture is not a valid network");
    if (spec_parameter_count(s) != count)
      return fail(Error::corrupt, "model file: parameter count does not match the architecture");
    if (!all_finite(q + 8, count)) return kNotFinite;
    *spec = s;
    if (precision != nullptr) *precision = Precision::float32;
    return ok_status();
  }
  if (size < records) return fail(Error::truncated, "model file: architecture is truncated");
  const ModelSpec s = decode_spec(p, layers);
  if (!validate(s).ok()) return fail(Error::corrupt, "model file: the recorded architecture is not a valid network");
  const std::size_t expected = int8_model_file_size(s);
  if (size < expected) return fail(Error::truncated, "model file: shorter than its architecture needs (truncated)");
  if (size > expected) return fail(Error::oversized, "model file: bytes continue past the checksum");
  if (crc32(p, size - 4) != get_u32(p + size - 4))
    return fail(Error::corrupt, "model file: checksum mismatch (the file is corrupted)");
  if (!plan(s, PlanOptions{1, OptimizerKind::none, 1, true, Precision::int8}).status.ok())
    return fail(Error::corrupt, "model file: the recorded architecture cannot run in int8");
  if (reinterpret_cast<std::uintptr_t>(p) % 4 != 0 || !little_endian_host())
    return fail(Error::unsupported, "model file: int8 files are read in place: 4-byte aligned, on little-endian hosts");
  Int8Parameters view;
  int8_view(p, s, &view);
  const Status values = validate_int8_parameters(s, view);
  if (!values.ok()) return fail(Error::corrupt, values.message);
  *spec = s;
  if (precision != nullptr) *precision = Precision::int8;
  return ok_status();
}

Status write_training_state(const Model& model, const Rng& rng, const BatchIterator* batches, void* out,
                            std::size_t capacity, std::size_t* written) {
  const ModelSpec& spec = model.spec();
  const Plan& plan = model.plan();
  if (plan.options.optimizer == OptimizerKind::none)
    return fail(Error::invalid_argument, "training state: the model is not planned for training");
  const std::size_t state_floats = model.optimizer_state_count();
  const std::size_t examples = batches != nullptr ? std::size_t(batches->example_count()) : 0;
  const std::size_t size = training_state_size(spec, state_floats, examples);
  if (out == nullptr || capacity < size) return fail(Error::arena_too_small, "training state: output buffer too small");
  if (!model.parameters_finite()) return kDiverged;
  auto* p = static_cast<std::uint8_t*>(out);
  encode_spec(spec, kTrainingStateVersion, p);
  std::uint8_t* q = p + kHeader + kLayerRecord * std::size_t(spec.layer_count);
  put_u64(q, model.parameter_count());
  q += 8;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerParameters l = model.layer_parameters(i);
    for (std::size_t k = 0; k < l.weight_count; ++k, q += 4) put_u32(q, float_bits(l.weights[k]));
    for (std::size_t k = 0; k < l.bias_count; ++k, q += 4) put_u32(q, float_bits(l.bias[k]));
  }
  put_u32(q, std::uint32_t(plan.options.optimizer));
  put_u32(q + 4, std::uint32_t(plan.options.frozen_layers));
  put_u64(q + 8, std::uint64_t(model.steps()));
  put_u64(q + 16, state_floats);
  q += 24;
  const float* state = model.optimizer_state();
  for (std::size_t k = 0; k < state_floats; ++k, q += 4) put_u32(q, float_bits(state[k]));
  put_u64(q, rng.state());
  put_u64(q + 8, rng.increment());
  put_u32(q + 16, std::uint32_t(examples));
  q += 20;
  if (examples > 0) {
    put_u32(q, std::uint32_t(batches->position()));
    put_u32(q + 4, std::uint32_t(batches->epochs_completed()));
    put_u32(q + 8, batches->started() ? 1u : 0u);
    q += 12;
    for (std::size_t k = 0; k < examples; ++k, q += 4) put_u32(q, std::uint32_t(batches->order()[k]));
  }
  put_u32(q, crc32(p, std::size_t(q - p)));
  if (written != nullptr) *written = size;
  return ok_status();
}

Status load_training_state(const void* bytes, std::size_t size, Model* model, Rng* rng, BatchIterator* batches) {
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  ModelSpec spec;
  Status s = read_model_spec(bytes, size, &spec);
  if (!s.ok()) return s;
  if (get_u32(p + 4) != kTrainingStateVersion) return fail(Error::unsupported, "model file: not a training state");
  TrainingStateLayout t;
  s = training_state_layout(p, size, kHeader + kLayerRecord * std::size_t(spec.layer_count), &t);
  if (!s.ok()) return s;
  if (model == nullptr || rng == nullptr) return fail(Error::invalid_argument, "training state: null model or generator");
  if (!same_architecture(spec, model->spec()))
    return fail(Error::architecture_mismatch, "model file: it holds a different architecture than this model");
  if (model->plan().options.optimizer != t.kind || model->plan().options.frozen_layers != t.frozen)
    return fail(Error::architecture_mismatch, "training state: another optimizer or other frozen layers than this model's");
  if ((t.examples > 0) != (batches != nullptr) || (batches != nullptr && std::uint32_t(batches->example_count()) != t.examples))
    return fail(Error::architecture_mismatch, "training state: its minibatch order does not fit this data");
  if (batches != nullptr) {  // the order first: a bad index leaves the model untouched
    std::int32_t* order = batches->mutable_order();
    for (std::uint32_t k = 0; k < t.examples; ++k) order[k] = std::int32_t(get_u32(p + t.order + 12 + 4 * std::size_t(k)));
    s = batches->restore(int(get_u32(p + t.order)), int(get_u32(p + t.order + 4)), get_u32(p + t.order + 8) == 1);
    if (!s.ok()) return s;
  }
  // Parameters (the frozen layers' too when the model holds them, else only
  // the trainable ones), then the optimizer.
  const std::uint8_t* q = p + kHeader + kLayerRecord * std::size_t(spec.layer_count) + 8;
  std::size_t first = 0;
  float* params = model->mutable_parameters();
  if (params == nullptr) {
    first = model->plan().trainable_first;
    params = model->mutable_trainable_parameters();
    if (params == nullptr) return fail(Error::invalid_argument, "model file: the model cannot take parameters");
  }
  for (std::size_t i = first; i < model->parameter_count(); ++i) params[i - first] = bits_float(get_u32(q + 4 * i));
  float* state = model->mutable_optimizer_state();
  for (std::size_t k = 0; k < t.state_floats; ++k) state[k] = bits_float(get_u32(p + t.optimizer + 24 + 4 * k));
  model->restore_optimizer(std::int64_t(t.steps));
  rng->restore(get_u64(p + t.rng), get_u64(p + t.rng + 8));
  return ok_status();
}

namespace {

// What both loaders check: a sound file of the model's precision and
// architecture, for a model that exists.
Status check_loadable(const void* bytes, std::size_t size, Precision wanted, const ModelSpec* architecture,
                      ModelSpec* spec) {
  Precision precision;
  const Status s = read_model_spec(bytes, size, spec, &precision);
  if (!s.ok()) return s;
  if (precision != wanted)
    return fail(Error::unsupported, wanted == Precision::int8
                                        ? "model file: it holds a float model (quantize it for an Int8Model)"
                                        : "model file: it holds an int8 model (load it into an Int8Model)");
  if (architecture == nullptr) return fail(Error::invalid_argument, "model file: the model cannot take parameters");
  if (!same_architecture(*spec, *architecture))
    return fail(Error::architecture_mismatch, "model file: it holds a different architecture than this model");
  return ok_status();
}

// Copies the parameters of a checked float file of `spec` into `model`.
Status copy_parameters(const void* bytes, const ModelSpec& spec, Model* model) {
  if (model->mutable_parameters() == nullptr)
    return fail(Error::invalid_argument, "model file: the model cannot take parameters");
  const std::uint8_t* q = static_cast<const std::uint8_t*>(bytes) + kHeader + kLayerRecord * std::size_t(spec.layer_count) + 8;
  float* params = model->mutable_parameters();
  for (std::size_t i = 0; i < model->parameter_count(); ++i, q += 4) params[i] = bits_float(get_u32(q));
  model->reset_optimizer();
  return ok_status();
}

// Copies the parameters of a checked int8 file of `spec` into `model`.
Status copy_parameters(const void* bytes, const ModelSpec& spec, Int8Model* model) {
  Int8Parameters view;
  int8_view(static_cast<const std::uint8_t*>(bytes), spec, &view);
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const std::size_t units = layer_bias_count(l), weights = layer_weight_count(l, d);
    d = layer_output_dims(l, d);
    if (units == 0) continue;
    const Int8LayerStorage st = model->layer_storage(i);
    if (st.weights == nullptr) return fail(Error::invalid_argument, "model file: the model cannot take parameters");
    const Int8LayerParameters& from = view.layers[i];
    std::memcpy(st.weights, from.weights, weights);
    std::memcpy(st.bias, from.bias, 4 * units);
    std::memcpy(st.multiplier, from.multiplier, 4 * units);
    std::memcpy(st.shift, from.shift, 4 * units);
    std::memcpy(st.weight_scale, from.weight_scale, 4 * units);
  }
  for (int t = 0; t <= spec.layer_count; ++t) model->set_activation_params(t, view.activations[t]);
  return model->parameters_changed();
}

}  // namespace

Status load_model_file(const void* bytes, std::size_t size, Model* model) {
  ModelSpec spec;
  const Status s = check_loadable(bytes, size, Precision::float32, model ? &model->spec() : nullptr, &spec);
  return s.ok() ? copy_parameters(bytes, spec, model) : s;
}

Status load_model_file(const void* bytes, std::size_t size, Int8Model* model) {
  ModelSpec spec;
  const Status s = check_loadable(bytes, size, Precision::int8, model ? &model->spec() : nullptr, &spec);
  return s.ok() ? copy_parameters(bytes, spec, model) : s;
}

Status plan_model_file(const void* bytes, std::size_t size, PlanOptions options, Plan* out) {
  if (out == nullptr) return fail(Error::invalid_argument, "model file: null plan");
  ModelSpec spec;
  const Status s = read_model_spec(bytes, size, &spec, &options.precision);
  if (!s.ok()) return s;
  *out = plan(spec, options);
  return out->status;
}

Status load_model_file(const void* bytes, std::size_t size, const PlanOptions& options, void* arena,
                       std::size_t arena_bytes, Model* model, Int8Model* int8, Precision* precision) {
  ModelSpec spec;
  PlanOptions o = options;
  Status s = read_model_spec(bytes, size, &spec, &o.precision);
  if (!s.ok()) return s;
  const bool is_int8 = o.precision == Precision::int8;
  if (is_int8 ? int8 == nullptr : model == nullptr)
    return fail(Error::invalid_argument, is_int8 ? "model file: it holds an int8 model, and no Int8Model was given"
                                                 : "model file: it holds a float model, and no Model was given");
  s = check_arena(plan(spec, o), arena, arena_bytes, false);  // the plan's status, the arena's size and alignment
  if (!s.ok()) return s;
  s = is_int8 ? int8->init(spec, o, arena, arena_bytes) : model->init(spec, o, arena, arena_bytes);
  if (s.ok()) s = is_int8 ? copy_parameters(bytes, spec, int8) : copy_parameters(bytes, spec, model);
  if (s.ok() && precision != nullptr) *precision = o.precision;
  return s;
}

}  // namespace fixnet
