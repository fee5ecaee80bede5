// fixnet: int8 inference over its planned arena.
#include "fixnet/int8_model.h"

#include <cmath>
#include <cstring>

#include "fixnet/loss.h"

namespace fixnet {

namespace {

bool has_parameters(const LayerSpec& l) { return l.kind == LayerKind::dense || l.kind == LayerKind::conv2d; }

bool valid_params(QuantParams q) {
  return std::isfinite(q.scale) && q.scale > 0.0f && q.zero_point >= -128 && q.zero_point <= 127;
}

bool same_params(QuantParams a, QuantParams b) { return a.scale == b.scale && a.zero_point == b.zero_point; }

}  // namespace

Status validate_int8_parameters(const ModelSpec& spec, const Int8Parameters& params) {
  Status s = validate(spec);
  if (!s.ok()) return s;
  if (!valid_params(params.activations[0]))
    return fail(Error::corrupt, "int8 model: the input's scale or zero point is invalid");
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const QuantParams in = params.activations[i], out = params.activations[i + 1];
    if (!valid_params(out)) return fail(Error::corrupt, "int8 model: a layer's output scale or zero point is invalid");
    if (!has_parameters(l)) {
      if (!same_params(in, out))
        return fail(Error::corrupt, "int8 model: a pooling, ReLU, flatten or dropout layer changes the quantization");
      d = layer_output_dims(l, d);
      continue;
    }
    const Int8LayerParameters& p = params.layers[i];
    if (p.weights == nullptr || p.bias == nullptr || p.multiplier == nullptr || p.shift == nullptr ||
        p.weight_scale == nullptr)
      return fail(Error::invalid_argument, "int8 model: a layer's parameters are missing");
    const std::size_t per_unit = layer_weight_count(l, d) / std::size_t(l.units);
    for (int u = 0; u < l.units; ++u) {
      const float scale = p.weight_scale[u];
      if (!std::isfinite(scale) || !(scale > 0.0f)) return fail(Error::corrupt, "int8 model: a weight scale is invalid");
      const std::int32_t m = p.multiplier[u], shift = p.shift[u];
      if (m != 0 && m < (1 << 30)) return fail(Error::corrupt, "int8 model: a multiplier is outside [2^30, 2^31)");
      if (shift < -31 || shift > 30) return fail(Error::corrupt, "int8 model: a shift is outside [-31, 30]");
      const std::int8_t* w = p.weights + std::size_t(u) * per_unit;
      for (std::size_t k = 0; k < per_unit; ++k)
        if (w[k] == -128) return fail(Error::corrupt, "int8 model: a weight is -128 (symmetric weights are -127..127)");
    }
    d = layer_output_dims(l, d);
  }
  return ok_status();
}

Status Int8Model::init(const ModelSpec& spec, const PlanOptions& options, void* arena, std::size_t arena_bytes,
                       const Int8Parameters* external) {
  ready_ = valid_ = false;
  if (options.precision != Precision::int8) return fail(Error::invalid_argument, "an Int8Model needs an int8 plan");
  plan_ = fixnet::plan(spec, options);
  const Status checked = check_arena(plan_, arena, arena_bytes, external != nullptr);
  if (!checked.ok()) return checked;
  if (external != nullptr) {
    const Status s = validate_int8_parameters(spec, *external);
    if (!s.ok()) return s;
  }
  bytes_ = static_cast<std::uint8_t*>(arena);
  std::memset(bytes_, 0, plan_.bytes);
  external_ = external != nullptr;
  params_ = external_ ? *external : Int8Parameters{};
  ready_ = true;
  for (int i = 0; i < spec.layer_count && !external_; ++i) {
    const Int8LayerStorage st = layer_storage(i);
    params_.layers[i] = Int8LayerParameters{st.weights, st.bias, st.multiplier, st.shift, st.weight_scale};
  }
  for (int w = 0; w < kMaxWorkers; ++w)
    scratch_[w] = w < options.workers ? bytes_ + plan_.int8_scratch + std::size_t(w) * plan_.int8_scratch_bytes : nullptr;
  scratch_view_ = Int8Scratch{scratch_};
  parallel_ = Parallel{};
  return external_ ? parameters_changed() : ok_status();
}

Status Int8Model::set_parallel(const Parallel& parallel) {
  if (parallel.workers < 1 || parallel.workers > plan_.options.workers)
    return fail(Error::invalid_argument, "workers must be 1..the plan's workers");
  parallel_ = parallel;
  return ok_status();
}

Int8LayerStorage Int8Model::layer_storage(int layer) {
  if (!ready_ || external_ || layer < 0 || layer >= plan_.spec.layer_count) return Int8LayerStorage{};
  const LayerPlan& lp = plan_.layers[layer];
  if (lp.int8_weights == kNoBuffer) return Int8LayerStorage{};
  valid_ = false;
  const std::size_t units = std::size_t(plan_.spec.layers[layer].units);
  auto* channels = reinterpret_cast<std::int32_t*>(bytes_ + lp.int8_channels);
  return Int8LayerStorage{reinterpret_cast<std::int8_t*>(bytes_ + lp.int8_weights), channels, channels + units,
                          channels + 2 * units, reinterpret_cast<float*>(channels + 3 * units)};
}

void Int8Model::set_activation_params(int tensor, QuantParams params) {
  if (!ready_ || external_ || tensor < 0 || tensor > plan_.spec.layer_count) return;
  valid_ = false;
  params_.activations[tensor] = params;
}

Int8Output Int8Model::layer_output(int layer) const {
  const Int8LayerParameters& p = params_.layers[layer];
  Int8Output out;
  out.bias = p.bias;
  out.multiplier = p.multiplier;
  out.shift = p.shift;
  out.input_zero_point = params_.activations[layer].zero_point;
  out.output_zero_point = params_.activations[layer + 1].zero_point;
  if (plan_.layers[layer].fused_relu && out.output_zero_point > out.low) out.low = out.output_zero_point;
  return out;
}

Status Int8Model::parameters_changed() {
  if (!ready_) return fail(Error::invalid_argument, "model is not initialised");
  valid_ = false;
  const Status s = validate_int8_parameters(plan_.spec, params_);
  if (!s.ok()) return s;
  for (int i = 0; i < plan_.spec.layer_count; ++i) {
    const LayerPlan& lp = plan_.layers[i];
    if (lp.int8_packed == kNoBuffer) continue;
    int8_pack_weights(int8_geometry(plan_.spec.layers[i], lp.input, 1), params_.layers[i].weights, layer_output(i),
                      bytes_ + lp.int8_packed);
  }
  for (int v = 0; v < 256; ++v) byte_table_[v] = quantize_value(float(v) * (1.0f / 255.0f), params_.activations[0]);
  valid_ = true;
  return ok_status();
}

Status Int8Model::quantize_input(const float* input, int n) {
  if (!ready_ || !valid_) return fail(Error::invalid_argument, "int8 model has no valid parameters");
  if (n < 1 || n > plan_.options.batch || input == nullptr)
    return fail(Error::invalid_argument, "quantize_input: needs 1..batch examples");
  std::int8_t* q = input_buffer();
  const std::size_t count = std::size_t(n) * std::size_t(input_size());
  for (std::size_t i = 0; i < count; ++i) q[i] = quantize_value(input[i], params_.activations[0]);
  return ok_status();
}

Status Int8Model::quantize_bytes(const std::uint8_t* bytes, int n) {
  if (!ready_ || !valid_) return fail(Error::invalid_argument, "int8 model has no valid parameters");
  if (n < 1 || n > plan_.options.batch || bytes == nullptr)
    return fail(Error::invalid_argument, "quantize_bytes: needs 1..batch examples");
  std::int8_t* q = input_buffer();
  const std::size_t count = std::size_t(n) * std::size_t(input_size());
  for (std::size_t i = 0; i < count; ++i) q[i] = byte_table_[bytes[i]];
  return ok_status();
}

const std::int8_t* Int8Model::layer_input(int layer, const std::int8_t* input) const {
  if (layer == 0) return input;
  const std::size_t at = plan_.layers[layer - 1].output_offset;
  return at == kNoBuffer ? input : reinterpret_cast<const std::int8_t*>(bytes_ + at);
}

Status Int8Model::forward(const std::int8_t* input, int n, const std::int8_t** logits) {
  if (!ready_ || !valid_) return fail(Error::invalid_argument, "int8 model has no valid parameters");
  if (n < 1 || n > plan_.options.batch) return fail(Error::invalid_argument, "example count must be 1..batch");
  if (input == nullptr || logits == nullptr) return fail(Error::invalid_argument, "null input or output");
  for (int i = 0; i < plan_.spec.layer_count; ++i) {
    const LayerSpec& l = plan_.spec.layers[i];
    const LayerPlan& lp = plan_.layers[i];
    if (lp.in_place) continue;
    const std::int8_t* x = layer_input(i, input);
    std::int8_t* y = reinterpret_cast<std::int8_t*>(bytes_ + lp.output_offset);
    switch (l.kind) {
      case LayerKind::dense:
      case LayerKind::conv2d: {
        const ConvGeometry g = int8_geometry(l, lp.input, n);
        const Int8Output out = layer_output(i);
        const void* packed = lp.int8_packed != kNoBuffer ? bytes_ + lp.int8_packed : nullptr;
        if (plan_.int8_pack != kNoBuffer) {  // external parameters on a packing kernel: repacked every pass
          int8_pack_weights(g, params_.layers[i].weights, out, bytes_ + plan_.int8_pack);
          packed = bytes_ + plan_.int8_pack;
        }
        int8_conv2d(g, x, params_.layers[i].weights, packed, out, y, scratch_view_, parallel_);
        break;
      }
      case LayerKind::max_pool: int8_max_pool(pool_geometry(l, lp.input, n), x, y); break;
      case LayerKind::relu:
        int8_relu(std::size_t(n) * std::size_t(lp.output.size()), x, std::int8_t(params_.activations[i].zero_point), y);
        break;
      case LayerKind::dropout:
      case LayerKind::flatten: break;
      case LayerKind::sigmoid:
      case LayerKind::tanh:
      case LayerKind::avg_pool:
      case LayerKind::global_avg_pool: break;  // plan_int8 refuses them
    }
  }
  *logits = layer_input(plan_.spec.layer_count, input);
  return ok_status();
}

Status Int8Model::predict(const float* input, int n, float* probabilities) {
  if (probabilities == nullptr) return fail(Error::invalid_argument, "probabilities output is null");
  Status s = quantize_input(input, n);
  const std::int8_t* logits = nullptr;
  if (s.ok()) s = forward(input_buffer(), n, &logits);
  if (!s.ok()) return s;
  const std::size_t count = std::size_t(n) * std::size_t(classes());
  for (std::size_t i = 0; i < count; ++i) probabilities[i] = dequantize_value(logits[i], output_params());
  softmax(probabilities, n, classes(), probabilities);
  return ok_status();
}

}  // namespace fixnet
