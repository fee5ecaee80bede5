// fixnet: a sequential model living in a caller-owned arena: forward, backward,
// a training step, and prediction. Nothing here allocates; every buffer is the
// one plan() laid out.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/kernels.h"
#include "fixnet/optimizer.h"
#include "fixnet/parallel.h"
#include "fixnet/plan.h"
#include "fixnet/random.h"
#include "fixnet/status.h"

namespace fixnet {

// The trainable tensors of one layer (null/0 for parameter-free layers).
struct LayerParameters {
  const float* weights = nullptr;  // dense [inputs, units]; conv2d [kh, kw, in_channels, filters]
  const float* bias = nullptr;     // [units]
  std::size_t weight_count = 0, bias_count = 0;
};

// What one training step measured on its batch.
struct StepStats {
  float loss = 0;   // mean loss before the update (cross-entropy, or squared error)
  int correct = 0;  // classification: examples whose largest logit was the label, before the update
};

class Model {
 public:
  Model() = default;
  // A model points into itself (its scratch table): it stays where it was made.
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Builds `spec` used as `options` in `arena` (kArenaAlignment-aligned, at least
  // plan(spec, options).bytes long); zeroes it. With options.external_parameters,
  // `parameters` points at parameter_count() floats the model reads but never
  // writes (e.g. a model compiled into flash); otherwise pass null. A
  // training plan with frozen layers and external parameters copies the
  // trainable layers' values from there into the arena.
  Status init(const ModelSpec& spec, const PlanOptions& options, void* arena, std::size_t arena_bytes,
              const float* external_parameters = nullptr);

  // Lets kernels run on `parallel.workers` threads (at most options.workers).
  Status set_parallel(const Parallel& parallel);

  // Draws every trainable parameter (all, without frozen layers) from its
  // layer's initializer, in layer order (weights, then bias), from `rng`;
  // resets the optimizer.
  void initialize_parameters(Rng& rng);

  // Runs the network on n <= batch examples at `input` [n, input size] (may be
  // input_buffer()). Training mode applies dropout with masks drawn from `rng`
  // and keeps what backward() needs. *logits receives [n, classes].
  Status forward(const float* input, int n, bool training, Rng* rng, const float** logits);

  // One step of the recipe: forward (training), softmax cross-entropy against
  // `labels` [n], backward, and an optimizer update. Stats are measured before
  // the update. The update is the plan's optimizer with `optimizer`'s
  // hyper-parameters. A loss that is not finite is Error::diverged, with no
  // update made.
  Status train_step(const float* input, const std::uint8_t* labels, int n, const OptimizerSettings& optimizer,
                    Rng& rng, StepStats* stats);
  // The same step for regression: the loss is the mean squared error
  // (mean_squared_error, loss.h) of the outputs against `targets` [n,
  // outputs]; stats->correct is 0.
  Status train_step(const float* input, const float* targets, int n, const OptimizerSettings& optimizer, Rng& rng,
                    StepStats* stats);

  // Softmax probabilities [n, classes] for n <= batch examples (no dropout).
  // A regression network's outputs are forward()'s, with training false.
  Status predict(const float* input, int n, float* probabilities);

  // An inference forward pass (as predict's) that shows `observer` each
  // layer's output [n, output size] as soon as it is computed (a layer
  // computed in place or fused into the one before shows the same values).
  struct LayerObserver {
    void (*call)(void* context, int layer, const float* output, std::size_t count) = nullptr;
    void* context = nullptr;
  };
  Status observe(const float* input, int n, const LayerObserver& observer);

  // Staging space in the arena for one batch: inputs [batch, input size], labels [batch].
  float* input_buffer() { return floats(plan_.input); }
  std::uint8_t* label_buffer() { return bytes_ + plan_.labels; }

  const Plan& plan() const { return plan_; }
  const ModelSpec& spec() const { return plan_.spec; }
  int batch() const { return plan_.options.batch; }
  int classes() const { return plan_.classes; }
  int input_size() const { return plan_.spec.input.size(); }
  std::size_t parameter_count() const { return plan_.parameter_count; }
  // All weights and biases, layer by layer (weights before bias), contiguous;
  // null when some are external and others in the arena (frozen layers).
  const float* parameters() const { return split_ ? nullptr : parameters_; }
  // Writable parameters; null when any are external. Each call also marks
  // what the model derives from them (transformed filters) for renewal at the
  // next forward pass: write through the pointer before that pass, or call
  // parameters_changed() after writing. (External parameters are read afresh
  // on every pass: the model keeps nothing derived from them.)
  float* mutable_parameters() {
    parameters_changed();
    return external_ ? nullptr : owned_;
  }
  // Writable trainable parameters [plan().trainable_first, parameter_count())
  // when the model holds them (null for inference on external parameters);
  // marks them changed as mutable_parameters() does.
  float* mutable_trainable_parameters() {
    parameters_changed();
    return owned_ == nullptr ? nullptr : owned_ + (plan_.trainable_first - owned_first_);
  }
  // Tells the model its parameters were written through a pointer kept from
  // an earlier mutable_parameters().
  void parameters_changed() { ++parameters_version_; }
  // Gradients of the last backward() of the trainable parameters
  // [plan().trainable_first, parameter_count()), laid out like them; null for
  // inference. After train_step the convolutions' and all biases' entries
  // hold that step's gradients, but dense layers' weights do not: the step
  // updates them from strips of their gradient it never stores.
  const float* gradients() const { return gradients_; }
  LayerParameters layer_parameters(int layer) const;
  // True when every parameter is finite (training can make them inf or NaN
  // while the loss stays finite, e.g. behind a ReLU).
  bool parameters_finite() const;
  // Completed optimizer steps since the parameters were set.
  std::int64_t steps() const { return steps_; }
  // Forgets the optimizer's moments and step count (after loading parameters).
  void reset_optimizer();
  // The optimizer's state, per trainable parameter (Adam: m, then v); null
  // without one. restore_optimizer() sets the step count after the state
  // was written (a training state resumed, model_file.h).
  const float* optimizer_state() const { return optimizer_state_; }
  float* mutable_optimizer_state() { return optimizer_state_; }
  std::size_t optimizer_state_count() const {
    return optimizer_state_per_parameter(plan_.options.optimizer) * (plan_.parameter_count - plan_.trainable_first);
  }
  void restore_optimizer(std::int64_t steps) { steps_ = steps; }

  // Backward pass after a training forward of n examples: from
  // d(loss)/d(logits) [n, classes] (overwritten) to every parameter gradient.
  Status backward(float* logits_gradient, int n);

  // The matrix-multiply scratch of this model (to call kernels directly with).
  const GemmScratch& gemm_scratch() const { return scratch_; }

 private:
  float* floats(std::size_t offset) { return reinterpret_cast<float*>(bytes_ + offset); }
  // The activations a layer reads: the previous layer's output, or the model input.
  const float* layer_input(int layer, const float* input);
  // forward(), showing each layer's output to `observer` when not null.
  Status forward_pass(const float* input, int n, bool training, Rng* rng, const float** logits,
                      const LayerObserver* observer);
  // An optimizer step's constants, made once per train_step.
  struct Update {
    OptimizerKind kind;
    float learning_rate;  // gradient descent's
    AdamStep adam;
  };
  // A training step whose loss(outputs, gradient) returns the batch's
  // StepStats and writes d(loss)/d(outputs) [n, outputs] to gradient.
  template <class Loss>
  Status step(const float* input, int n, const OptimizerSettings& optimizer, Rng& rng, StepStats* stats, Loss loss);
  // backward(); with an update, each layer's parameters also take it as soon
  // as the pass no longer needs them.
  Status backward_pass(float* logits_gradient, int n, const Update* update);
  // The update on parameters [first, first + count) from their gradients
  // at grads, serially.
  void update_parameters(const Update& update, std::size_t first, std::size_t count, const float* grads);

  // Where parameter k lives: in the arena from owned_first_ on (all, without
  // external parameters), else in the caller's block.
  float* parameter(std::size_t k) {
    return k >= owned_first_ && owned_ != nullptr ? owned_ + (k - owned_first_) : const_cast<float*>(parameters_ + k);
  }
  const float* weights(int layer) const { return weights_[layer]; }
  const float* bias(int layer) const { return bias_[layer]; }
  float* gradient(std::size_t k) { return gradients_ + (k - plan_.trainable_first); }

  Plan plan_{};
  std::uint8_t* bytes_ = nullptr;
  const float* parameters_ = nullptr;  // all parameters, when contiguous; else the external block
  float* owned_ = nullptr;             // the arena's parameters
  std::size_t owned_first_ = 0;        // the first parameter in the arena
  bool external_ = false, split_ = false;
  const float* weights_[kMaxLayers] = {};
  const float* bias_[kMaxLayers] = {};
  float* gradients_ = nullptr;
  float* optimizer_state_ = nullptr;
  const float* last_input_ = nullptr;
  int last_training_n_ = 0;  // examples of the last training forward pass, 0 if none
  float* pack_a_[kMaxWorkers] = {};
  float* pack_b_[kMaxWorkers] = {};
  GemmScratch scratch_{};
  Parallel parallel_{};
  std::int64_t steps_ = 0;
  // Bumped whenever the parameters may have changed; a layer's transformed
  // filters are current when they were made at this version.
  std::uint64_t parameters_version_ = 1;
  std::uint64_t transformed_version_[kMaxLayers] = {};
  bool ready_ = false;
};

}  // namespace fixnet
