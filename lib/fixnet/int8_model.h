// fixnet: int8 inference of a sequential model, TensorFlow Lite's way, in a
// caller-owned arena planned with PlanOptions::precision = Precision::int8.
// Only the input's scaling and the final softmax use floats; every layer in
// between is integer arithmetic, the same bits on every build.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/int8_kernels.h"
#include "fixnet/parallel.h"
#include "fixnet/plan.h"
#include "fixnet/quantization.h"
#include "fixnet/spec.h"
#include "fixnet/status.h"

namespace fixnet {

// One dense or conv2d layer's int8 parameters, as TFLite stores them.
struct Int8LayerParameters {
  const std::int8_t* weights = nullptr;      // conv2d [filters, kh, kw, in] (OHWI); dense [units, inputs]; -127..127
  const std::int32_t* bias = nullptr;        // [units], at scale input scale * weight_scale[u]
  const std::int32_t* multiplier = nullptr;  // [units], with shift: input scale * weight_scale[u] / output scale
  const std::int32_t* shift = nullptr;       // [units] (QuantizedMultiplier)
  const float* weight_scale = nullptr;       // [units], symmetric (zero point 0)
};

// Every int8 parameter of a model: tensor scales and zero points, and each
// layer's tensors (null for parameter-free layers).
struct Int8Parameters {
  QuantParams activations[kMaxLayers + 1]{};  // [0] the input, [i + 1] layer i's output
  Int8LayerParameters layers[kMaxLayers]{};
};

// Checks `params` against `spec`: every parameter layer's tensors present,
// scales positive and finite, zero points and weights in range, multipliers
// in [2^30, 2^31) (or 0) with shifts in [-31, 30], and layers that pass
// values through (max-pool, ReLU, flatten, dropout) keeping their input's
// scale and zero point.
Status validate_int8_parameters(const ModelSpec& spec, const Int8Parameters& params);

// An owned int8 layer's storage, to fill (e.g. from a file or the quantizer).
struct Int8LayerStorage {
  std::int8_t* weights = nullptr;
  std::int32_t* bias = nullptr;
  std::int32_t* multiplier = nullptr;
  std::int32_t* shift = nullptr;
  float* weight_scale = nullptr;
};

class Int8Model {
 public:
  Int8Model() = default;
  Int8Model(const Int8Model&) = delete;
  Int8Model& operator=(const Int8Model&) = delete;

  // Builds `spec` for int8 inference as `options` says (precision int8,
  // optimizer none) in `arena` (kArenaAlignment-aligned, at least
  // plan(spec, options).bytes long); zeroes it. With
  // options.external_parameters, `external` gives every parameter (e.g. a
  // header written by `fixnet-mnist export`), read but never written, and is
  // validated here; otherwise pass null and fill the model's own storage
  // (load_model_file, quantize_model), which starts invalid.
  Status init(const ModelSpec& spec, const PlanOptions& options, void* arena, std::size_t arena_bytes,
              const Int8Parameters* external = nullptr);

  // Lets kernels run on `parallel.workers` threads (at most options.workers).
  Status set_parallel(const Parallel& parallel);

  // Writable storage of layer `layer` of a model holding its own parameters
  // (all null when external or parameter-free), and its tensors' quantization.
  Int8LayerStorage layer_storage(int layer);
  void set_activation_params(int tensor, QuantParams params);  // tensor 0: the input, i + 1: layer i's output
  // Validates the parameters after they were written and prepares what the
  // kernels derive from them (packed weights). Until it succeeds the model
  // refuses to run.
  Status parameters_changed();

  // The int8 input of n <= batch examples [n, input size] into input_buffer():
  // from floats, or from bytes v standing for v / 255 (an 8-bit image, as
  // image_to_floats reads it; the same int8 values, by table).
  Status quantize_input(const float* input, int n);
  Status quantize_bytes(const std::uint8_t* bytes, int n);

  // Runs n <= batch examples at `input` [n, input size] (may be
  // input_buffer(), which the pass then overwrites). *logits receives int8
  // [n, classes] at output_params().
  Status forward(const std::int8_t* input, int n, const std::int8_t** logits);

  // Softmax probabilities [n, classes] of the dequantized logits of n float
  // examples (quantized into input_buffer()).
  Status predict(const float* input, int n, float* probabilities);

  std::int8_t* input_buffer() { return reinterpret_cast<std::int8_t*>(bytes_ + plan_.input); }
  const Plan& plan() const { return plan_; }
  const ModelSpec& spec() const { return plan_.spec; }
  int batch() const { return plan_.options.batch; }
  int classes() const { return plan_.classes; }
  int input_size() const { return plan_.spec.input.size(); }
  const Int8Parameters& parameters() const { return params_; }
  QuantParams input_params() const { return params_.activations[0]; }
  QuantParams output_params() const { return params_.activations[plan_.spec.layer_count]; }

 private:
  const std::int8_t* layer_input(int layer, const std::int8_t* input) const;
  // What int8_conv2d needs for layer i (relu: the fused clamp).
  Int8Output layer_output(int layer) const;

  Plan plan_{};
  std::uint8_t* bytes_ = nullptr;
  Int8Parameters params_{};
  bool external_ = false;
  bool valid_ = false;  // parameters validated and prepared
  std::uint8_t* scratch_[kMaxWorkers] = {};
  Int8Scratch scratch_view_{};
  Parallel parallel_{};
  std::int8_t byte_table_[256] = {};  // quantize_bytes: v -> int8 of v / 255
  bool ready_ = false;
};

}  // namespace fixnet
