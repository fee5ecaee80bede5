// fixnet: model specs. A ModelSpec is a literal value (usable in constexpr) that
// lists the layers of a sequential network; every shape follows from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "fixnet/status.h"

namespace fixnet {

// The shape of one example, NHWC without the N: (height, width, channels).
struct Dims {
  int height = 1;
  int width = 1;
  int channels = 1;

  constexpr int size() const { return height * width * channels; }  // valid specs keep this below 2^24
  constexpr long long size64() const { return (long long)height * width * channels; }
  constexpr bool operator==(const Dims& o) const {
    return height == o.height && width == o.width && channels == o.channels;
  }
};

// Layer kinds; the values are stored in model files (docs/model-file.md).
enum class LayerKind : std::uint8_t {
  dense = 1,
  conv2d,
  max_pool,
  relu,
  dropout,
  flatten,
  sigmoid,
  tanh,
  avg_pool,
  global_avg_pool,
};

// TensorFlow's padding rules: SAME keeps ceil(in/stride) outputs, padding
// evenly with the extra pixel after; VALID uses only full windows.
enum class Padding : std::uint8_t { same = 1, valid };

// How a parameter tensor starts: zeros, a constant, or TensorFlow's truncated
// normal (mean 0, resampled while beyond 2 standard deviations).
struct Init {
  enum Kind : std::uint8_t { zeros = 1, constant, truncated_normal } kind = zeros;
  float value = 0;  // the constant, or the standard deviation
};
constexpr Init zeros_init() { return Init{Init::zeros, 0}; }
constexpr Init constant_init(float value) { return Init{Init::constant, value}; }
constexpr Init truncated_normal_init(float stddev) { return Init{Init::truncated_normal, stddev}; }

// One layer. Fields unused by a kind stay zero.
struct LayerSpec {
  LayerKind kind = LayerKind::flatten;
  int units = 0;                   // dense: outputs; conv2d: filters
  int window_h = 0, window_w = 0;  // conv2d kernel / pooling window
  int stride_h = 0, stride_w = 0;  // conv2d / max_pool / avg_pool
  Padding padding = Padding::same; // conv2d / max_pool / avg_pool
  float keep_prob = 1;             // dropout: probability of keeping a unit
  Init weight_init{};              // dense / conv2d
  Init bias_init{};                // dense / conv2d
};

// Fully connected: y[n, units] = x[n, in] . W[in, units] + b[units]; x is
// taken flattened (NHWC order) whatever its shape.
constexpr LayerSpec dense(int units, Init weights = zeros_init(), Init bias = zeros_init()) {
  LayerSpec s;
  s.kind = LayerKind::dense;
  s.units = units;
  s.weight_init = weights;
  s.bias_init = bias;
  return s;
}

// 2-D convolution with weights W[kh, kw, in_channels, filters] (TensorFlow's HWIO).
constexpr LayerSpec conv2d(int filters, int kernel_h, int kernel_w, int stride, Padding padding,
                           Init weights = zeros_init(), Init bias = zeros_init()) {
  LayerSpec s;
  s.kind = LayerKind::conv2d;
  s.units = filters;
  s.window_h = kernel_h;
  s.window_w = kernel_w;
  s.stride_h = stride;
  s.stride_w = stride;
  s.padding = padding;
  s.weight_init = weights;
  s.bias_init = bias;
  return s;
}

// Max-pooling over window x window patches; padded cells never win.
constexpr LayerSpec max_pool(int window, int stride, Padding padding = Padding::same) {
  LayerSpec s;
  s.kind = LayerKind::max_pool;
  s.window_h = window;
  s.window_w = window;
  s.stride_h = stride;
  s.stride_w = stride;
  s.padding = padding;
  return s;
}

// A layer of a kind with no settings (activations, flatten, global pooling).
constexpr LayerSpec layer_of_kind(LayerKind kind) {
  LayerSpec s;
  s.kind = kind;
  return s;
}

// Average-pooling over window x window patches; a window clipped by
// padding averages the cells it covers (TensorFlow's SAME rule).
constexpr LayerSpec avg_pool(int window, int stride, Padding padding = Padding::same) {
  LayerSpec s = max_pool(window, stride, padding);
  s.kind = LayerKind::avg_pool;
  return s;
}

// The mean of each channel over the whole image: (h, w, c) to (1, 1, c).
constexpr LayerSpec global_avg_pool() { return layer_of_kind(LayerKind::global_avg_pool); }

// Element-wise activations: max(x, 0), 1 / (1 + e^-x), tanh(x).
constexpr LayerSpec relu() { return layer_of_kind(LayerKind::relu); }
constexpr LayerSpec sigmoid() { return layer_of_kind(LayerKind::sigmoid); }
constexpr LayerSpec tanh() { return layer_of_kind(LayerKind::tanh); }

// Inverted dropout: in training keeps each unit with probability keep_prob and
// scales kept units by 1/keep_prob; the identity at evaluation.
constexpr LayerSpec dropout(float keep_prob) {
  LayerSpec s;
  s.kind = LayerKind::dropout;
  s.keep_prob = keep_prob;
  return s;
}

// Reshapes (h, w, c) to (1, 1, h*w*c); no data moves.
constexpr LayerSpec flatten() { return layer_of_kind(LayerKind::flatten); }

constexpr int kMaxLayers = 16;

// A sequential network: an input shape and up to kMaxLayers layers.
struct ModelSpec {
  Dims input{};
  int layer_count = 0;
  LayerSpec layers[kMaxLayers]{};

  constexpr ModelSpec() = default;
  constexpr ModelSpec(Dims input_dims, std::initializer_list<LayerSpec> list) : input(input_dims) {
    for (const LayerSpec& l : list) {
      if (layer_count < kMaxLayers) layers[layer_count] = l;
      ++layer_count;  // counts past kMaxLayers so validate() can report it
    }
  }
  // A network on plain vectors of `input_size` values: the input shape (1, 1, input_size).
  constexpr ModelSpec(int input_size, std::initializer_list<LayerSpec> list)
      : ModelSpec(Dims{1, 1, input_size}, list) {}
};

// True when the spec has a dropout layer.
constexpr bool has_dropout(const ModelSpec& spec) {
  for (int i = 0; i < spec.layer_count && i < kMaxLayers; ++i)
    if (spec.layers[i].kind == LayerKind::dropout) return true;
  return false;
}

// Sets the keep probability of every dropout layer of `spec`.
constexpr void set_keep_prob(ModelSpec& spec, float keep_prob) {
  for (int i = 0; i < spec.layer_count && i < kMaxLayers; ++i)
    if (spec.layers[i].kind == LayerKind::dropout) spec.layers[i].keep_prob = keep_prob;
}

// Output extent of a window sliding over `in` cells, TensorFlow's rule.
constexpr int window_output_size(int in, int window, int stride, Padding padding) {
  return padding == Padding::same ? (in + stride - 1) / stride
                                  : (in - window + stride) / stride;
}

// Cells of padding before the first row/column (TensorFlow puts the odd one after).
constexpr int window_padding_before(int in, int window, int stride, Padding padding) {
  if (padding == Padding::valid) return 0;
  const int out = window_output_size(in, window, stride, padding);
  const int total = (out - 1) * stride + window - in;
  return total > 0 ? total / 2 : 0;
}

// The shape a layer produces from input shape `in` (assumes a valid layer).
constexpr Dims layer_output_dims(const LayerSpec& l, Dims in) {
  switch (l.kind) {
    case LayerKind::dense: return Dims{1, 1, l.units};
    case LayerKind::conv2d:
      return Dims{window_output_size(in.height, l.window_h, l.stride_h, l.padding),
                  window_output_size(in.width, l.window_w, l.stride_w, l.padding), l.units};
    case LayerKind::max_pool:
    case LayerKind::avg_pool:
      return Dims{window_output_size(in.height, l.window_h, l.stride_h, l.padding),
                  window_output_size(in.width, l.window_w, l.stride_w, l.padding), in.channels};
    case LayerKind::global_avg_pool: return Dims{1, 1, in.channels};
    case LayerKind::flatten: return Dims{1, 1, in.size()};
    case LayerKind::relu:
    case LayerKind::sigmoid:
    case LayerKind::tanh:
    case LayerKind::dropout: return in;
  }
  return in;
}

// Number of weights of a layer with input shape `in` (0 for parameter-free layers).
constexpr std::size_t layer_weight_count(const LayerSpec& l, Dims in) {
  if (l.kind == LayerKind::dense) return std::size_t(in.size()) * std::size_t(l.units);
  if (l.kind == LayerKind::conv2d)
    return std::size_t(l.window_h) * std::size_t(l.window_w) * std::size_t(in.channels) *
           std::size_t(l.units);
  return 0;
}

// Number of biases of a layer (0 for parameter-free layers).
constexpr std::size_t layer_bias_count(const LayerSpec& l) {
  return (l.kind == LayerKind::dense || l.kind == LayerKind::conv2d) ? std::size_t(l.units) : 0;
}

constexpr bool valid_init(Init init) {
  return (init.kind == Init::zeros || init.kind == Init::constant ||
          (init.kind == Init::truncated_normal && init.value > 0)) &&
         init.value == init.value && init.value < 1e30f && init.value > -1e30f;
}

// The most values a layer's output may have, and weights a layer may have.
constexpr long long kMaxValues = 1LL << 24;
constexpr long long kMaxWeights = 1LL << 28;

// Checks every layer against its input shape; the final output must be a vector
// (1, 1, outputs). Every size is checked before it is
// multiplied, so no spec can overflow later arithmetic.
constexpr Status validate(const ModelSpec& spec) {
  constexpr int kMaxExtent = 1 << 14;
  if (spec.layer_count < 1) return fail(Error::invalid_spec, "model spec has no layers");
  if (spec.layer_count > kMaxLayers) return fail(Error::invalid_spec, "model spec has more than 16 layers");
  Dims d = spec.input;
  if (d.height < 1 || d.width < 1 || d.channels < 1 || d.height > kMaxExtent || d.width > kMaxExtent ||
      d.channels > kMaxExtent || d.size64() > kMaxValues)
    return fail(Error::invalid_spec, "model input shape must be positive and at most 16M values");
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    if (l.kind != LayerKind::dropout && l.keep_prob != 1.0f)
      return fail(Error::invalid_spec, "only dropout layers have a keep probability");
    switch (l.kind) {
      case LayerKind::dense:
        if (l.units < 1 || l.units > (1 << 20)) return fail(Error::invalid_spec, "dense layer needs 1..2^20 units");
        if (d.size64() * l.units > kMaxWeights) return fail(Error::invalid_spec, "a layer has more than 2^28 weights");
        if (!valid_init(l.weight_init) || !valid_init(l.bias_init))
          return fail(Error::invalid_spec, "dense layer has an invalid initializer");
        break;
      case LayerKind::conv2d:
      case LayerKind::max_pool:
      case LayerKind::avg_pool:
        if (l.window_h < 1 || l.window_w < 1 || l.window_h > 64 || l.window_w > 64)
          return fail(Error::invalid_spec, "window size must be 1..64");
        if (l.stride_h < 1 || l.stride_w < 1 || l.stride_h > 64 || l.stride_w > 64)
          return fail(Error::invalid_spec, "stride must be 1..64");
        if (l.padding != Padding::same && l.padding != Padding::valid)
          return fail(Error::invalid_spec, "padding must be SAME or VALID");
        if (l.padding == Padding::valid && (l.window_h > d.height || l.window_w > d.width))
          return fail(Error::invalid_spec, "VALID window larger than its input");
        if (l.kind == LayerKind::conv2d) {
          if (l.units < 1 || l.units > (1 << 16)) return fail(Error::invalid_spec, "conv2d layer needs 1..65536 filters");
          if ((long long)l.window_h * l.window_w * d.channels * l.units > kMaxWeights)
            return fail(Error::invalid_spec, "a layer has more than 2^28 weights");
          if (!valid_init(l.weight_init) || !valid_init(l.bias_init))
            return fail(Error::invalid_spec, "conv2d layer has an invalid initializer");
          // The output (height and width at most the input's) must stay small.
          if ((long long)d.height * d.width * l.units > kMaxValues)
            return fail(Error::invalid_spec, "a layer output exceeds 16M values");
        }
        break;
      case LayerKind::dropout:
        if (!(l.keep_prob > 0 && l.keep_prob <= 1))
          return fail(Error::invalid_spec, "dropout keep probability must be in (0, 1]");
        break;
      case LayerKind::global_avg_pool:
      case LayerKind::relu:
      case LayerKind::sigmoid:
      case LayerKind::tanh:
      case LayerKind::flatten: break;
      default: return fail(Error::invalid_spec, "unknown layer kind");
    }
    d = layer_output_dims(l, d);
    if (d.size64() > kMaxValues) return fail(Error::invalid_spec, "a layer output exceeds 16M values");
  }
  if (d.height != 1 || d.width != 1)
    return fail(Error::invalid_spec, "the last layer must produce a vector (flatten, dense or global_avg_pool)");
  return ok_status();
}

// The shape of the network's output (logits, or values for regression), for a valid spec.
constexpr Dims output_dims(const ModelSpec& spec) {
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count && i < kMaxLayers; ++i) d = layer_output_dims(spec.layers[i], d);
  return d;
}

// True when two specs describe the same network: the same layers with the
// same shapes. Initializers and dropout rates are ignored: they change how a
// network is trained, not what its parameters are or what it computes.
constexpr bool same_architecture(const ModelSpec& a, const ModelSpec& b) {
  if (!(a.input == b.input) || a.layer_count != b.layer_count) return false;
  for (int i = 0; i < a.layer_count && i < kMaxLayers; ++i) {
    const LayerSpec& x = a.layers[i];
    const LayerSpec& y = b.layers[i];
    if (x.kind != y.kind || x.units != y.units || x.window_h != y.window_h || x.window_w != y.window_w ||
        x.stride_h != y.stride_h || x.stride_w != y.stride_w || x.padding != y.padding)
      return false;
  }
  return true;
}

}  // namespace fixnet
