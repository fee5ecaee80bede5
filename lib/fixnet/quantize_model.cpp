// fixnet: calibration and post-training quantization.
#include "fixnet/quantize_model.h"

#include <cmath>

namespace fixnet {

namespace {

struct RangeObserver {
  ActivationRanges* ranges;
  bool finite = true;
};

void widen(float* lo, float* hi, const float* values, std::size_t count, bool* finite) {
  float a = *lo, b = *hi;
  for (std::size_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (!std::isfinite(v)) *finite = false;
    a = v < a ? v : a;
    b = v > b ? v : b;
  }
  *lo = a;
  *hi = b;
}

}  // namespace

Status observe_ranges(Model* model, const float* input, int n, ActivationRanges* ranges) {
  if (model == nullptr || ranges == nullptr || input == nullptr)
    return fail(Error::invalid_argument, "observe_ranges: null model, input or ranges");
  if (n < 1 || n > model->batch()) return fail(Error::invalid_argument, "example count must be 1..batch");
  RangeObserver observer{ranges};
  widen(&ranges->min[0], &ranges->max[0], input, std::size_t(n) * std::size_t(model->input_size()), &observer.finite);
  Model::LayerObserver callback;
  callback.context = &observer;
  callback.call = [](void* context, int layer, const float* output, std::size_t count) {
    RangeObserver& o = *static_cast<RangeObserver*>(context);
    widen(&o.ranges->min[layer + 1], &o.ranges->max[layer + 1], output, count, &o.finite);
  };
  const Status s = model->observe(input, n, callback);
  if (!s.ok()) return s;
  if (!observer.finite) return fail(Error::invalid_argument, "calibration: an activation is not finite");
  ranges->examples += n;
  return ok_status();
}

Status quantize_model(const Model& model, const ActivationRanges& ranges, Int8Model* out) {
  if (out == nullptr) return fail(Error::invalid_argument, "quantize_model: null output model");
  const ModelSpec& spec = model.spec();
  if (!same_architecture(spec, out->spec()))
    return fail(Error::architecture_mismatch, "quantize_model: the int8 model has another architecture");
  if (ranges.examples < 1) return fail(Error::invalid_argument, "quantize_model: no calibration examples observed");
  // Tensor scales: the input's and each dense/conv2d output's from their
  // ranges; every other layer passes its input's on.
  QuantParams tensors[kMaxLayers + 1];
  tensors[0] = choose_activation_params(ranges.min[0], ranges.max[0]);
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerKind kind = spec.layers[i].kind;
    const bool computes = kind == LayerKind::dense || kind == LayerKind::conv2d;
    tensors[i + 1] = computes ? choose_activation_params(ranges.min[i + 1], ranges.max[i + 1]) : tensors[i];
  }
  for (int t = 0; t <= spec.layer_count; ++t) out->set_activation_params(t, tensors[t]);

  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerParameters p = model.layer_parameters(i);
    if (p.weight_count == 0) continue;
    const Int8LayerStorage st = out->layer_storage(i);
    if (st.weights == nullptr) return fail(Error::invalid_argument, "quantize_model: the int8 model's parameters are external");
    // Float weights are [K, units] (HWIO for conv2d); int8 ones [units, K].
    const std::size_t units = p.bias_count, per_unit = p.weight_count / units;
    for (std::size_t k = 0; k < p.weight_count + units; ++k)
      if (!std::isfinite(k < p.weight_count ? p.weights[k] : p.bias[k - p.weight_count]))
        return fail(Error::invalid_argument, "quantize_model: a parameter is not finite");
    for (std::size_t u = 0; u < units; ++u) {
      float max_abs = 0.0f;
      for (std::size_t k = 0; k < per_unit; ++k) max_abs = std::fmax(max_abs, std::fabs(p.weights[k * units + u]));
      const float scale = symmetric_weight_scale(max_abs);
      for (std::size_t k = 0; k < per_unit; ++k) {
        const std::int8_t q = quantize_value(p.weights[k * units + u], QuantParams{scale, 0});
        st.weights[u * per_unit + k] = q < -127 ? std::int8_t(-127) : q;
      }
      const double bias_scale = double(tensors[i].scale) * double(scale);
      const double bias = std::round(double(p.bias[u]) / bias_scale);
      st.bias[u] = std::int32_t(bias > 2147483647.0 ? 2147483647.0 : bias < -2147483648.0 ? -2147483648.0 : bias);
      const QuantizedMultiplier m = quantize_multiplier(bias_scale / double(tensors[i + 1].scale));
      st.multiplier[u] = m.multiplier;
      st.shift[u] = m.shift;
      st.weight_scale[u] = scale;
    }
  }
  return out->parameters_changed();
}

}  // namespace fixnet
