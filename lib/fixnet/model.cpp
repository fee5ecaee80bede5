// fixnet: a sequential model over its planned arena.
#include "fixnet/model.h"

#include <cmath>
#include <cstring>
#include <functional>

#include "fixnet/kernels.h"
#include "fixnet/loss.h"

namespace fixnet {

namespace {

constexpr std::size_t kGrain = 64;  // element-wise work is split in whole cache lines (and vectors)

void fill(float* data, std::size_t count, Init init, Rng& rng) {
  for (std::size_t i = 0; i < count; ++i) {
    switch (init.kind) {
      case Init::zeros: data[i] = 0.0f; break;
      case Init::constant: data[i] = init.value; break;
      case Init::truncated_normal: data[i] = rng.truncated_normal(init.value); break;
    }
  }
}

// Calls f(begin, end) on up to parallel.workers pieces of [0, count), each a
// multiple of `grain` except the last (one piece, on this thread, for at
// most a grain).
template <class F>
void for_ranges(const Parallel& parallel, std::size_t count, std::size_t grain, F f) {
  const std::size_t grains = (count + grain - 1) / grain, workers = std::size_t(parallel.workers);
  const std::size_t pieces = grains < workers ? grains : workers;
  if (pieces == 0) return;
  const std::size_t share = (count + pieces - 1) / pieces;  // rounded up: the pieces cover all of count
  const std::size_t step = (share + grain - 1) / grain * grain;
  auto piece = [&](int i, int, int) {
    const std::size_t begin = std::size_t(i) * step, end = begin + step < count ? begin + step : count;
    if (begin < end) f(begin, end);
  };
  parallel.for_each(int(pieces), [](void* ctx, int i, int n, int w) { (*static_cast<decltype(piece)*>(ctx))(i, n, w); },
                    &piece);
}

// Max-pooling forward or backward on parallel.workers groups of whole images.
template <class F>
void for_image_groups(const Parallel& parallel, const PoolGeometry& g, F f) {
  for_ranges(parallel, std::size_t(g.n), 1, [&](std::size_t begin, std::size_t end) {
    PoolGeometry part = g;
    part.n = int(end - begin);
    f(part, std::ptrdiff_t(begin) * g.input.size(), std::ptrdiff_t(begin) * g.output.size());
  });
}

}  // namespace

Status Model::init(const ModelSpec& spec, const PlanOptions& options, void* arena, std::size_t arena_bytes,
                   const float* external_parameters) {
  ready_ = false;
  if (options.precision != Precision::float32) return fail(Error::invalid_argument, "a Model needs a float plan");
  plan_ = fixnet::plan(spec, options);
  const Status s = check_arena(plan_, arena, arena_bytes, external_parameters != nullptr);
  if (!s.ok()) return s;

  bytes_ = static_cast<std::uint8_t*>(arena);
  std::memset(bytes_, 0, plan_.bytes);
  external_ = external_parameters != nullptr;
  split_ = external_ && plan_.parameters != kNoBuffer;  // frozen layers in the caller's block, the rest here
  parameters_ = external_ ? external_parameters : floats(plan_.parameters);
  owned_ = plan_.parameters == kNoBuffer ? nullptr : floats(plan_.parameters);
  owned_first_ = split_ ? plan_.trainable_first : 0;
  if (split_)
    std::memcpy(owned_, external_parameters + owned_first_, (plan_.parameter_count - owned_first_) * sizeof(float));
  for (int i = 0; i < spec.layer_count; ++i) {
    weights_[i] = parameter(plan_.layers[i].weights);
    bias_[i] = parameter(plan_.layers[i].bias);
  }
  gradients_ = plan_.gradients == kNoBuffer ? nullptr : floats(plan_.gradients);
  optimizer_state_ = plan_.optimizer_state == kNoBuffer ? nullptr : floats(plan_.optimizer_state);
  for (int w = 0; w < kMaxWorkers; ++w) {
    pack_a_[w] = w < options.workers ? floats(plan_.pack_a) + std::size_t(w) * plan_.pack_a_floats : nullptr;
    pack_b_[w] = w == 0                                     ? floats(plan_.pack_b)
                 : w < options.workers && plan_.split_b_floats > 0 ? floats(plan_.split_b) + std::size_t(w - 1) * plan_.split_b_floats
                                                                 : nullptr;
  }
  scratch_ = GemmScratch{pack_a_, pack_b_, floats(plan_.partial), plan_.partial_floats, plan_.pack_a_floats,
                         plan_.pack_b_floats};
  parallel_ = Parallel{};
  steps_ = 0;
  last_input_ = nullptr;
  last_training_n_ = 0;
  parameters_changed();  // a new arena: nothing transformed yet
  ready_ = true;
  return ok_status();
}

Status Model::set_parallel(const Parallel& parallel) {
  if (parallel.workers < 1 || parallel.workers > plan_.options.workers)
    return fail(Error::invalid_argument, "workers must be 1..the plan's workers");
  parallel_ = parallel;
  return ok_status();
}

void Model::initialize_parameters(Rng& rng) {
  if (!ready_ || owned_ == nullptr) return;
  parameters_changed();
  for (int i = plan_.options.frozen_layers; i < plan_.spec.layer_count; ++i) {
    const LayerSpec& l = plan_.spec.layers[i];
    const LayerPlan& lp = plan_.layers[i];
    fill(parameter(lp.weights), lp.weight_count, l.weight_init, rng);
    fill(parameter(lp.bias), lp.bias_count, l.bias_init, rng);
  }
  reset_optimizer();
}

void Model::reset_optimizer() {
  if (optimizer_state_ != nullptr) std::memset(optimizer_state_, 0, optimizer_state_count() * sizeof(float));
  steps_ = 0;
}

bool Model::parameters_finite() const {
  for (int i = 0; i < plan_.spec.layer_count; ++i) {
    const LayerParameters l = layer_parameters(i);
    for (std::size_t k = 0; k < l.weight_count; ++k)
      if (!std::isfinite(l.weights[k])) return false;
    for (std::size_t k = 0; k < l.bias_count; ++k)
      if (!std::isfinite(l.bias[k])) return false;
  }
  return true;
}

LayerParameters Model::layer_parameters(int layer) const {
  LayerParameters r;
  if (!ready_ || layer < 0 || layer >= plan_.spec.layer_count) return r;
  const LayerPlan& lp = plan_.layers[layer];
  if (lp.weight_count == 0) return r;
  r.weights = weights_[layer];
  r.bias = bias_[layer];
  r.weight_count = lp.weight_count;
  r.bias_count = lp.bias_count;
  return r;
}

const float* Model::layer_input(int layer, const float* input) {
  if (layer == 0) return input;
  const std::size_t at = plan_.layers[layer - 1].output_offset;
  return at == kNoBuffer ? input : floats(at);
}

Status Model::forward(const float* input, int n, bool training, Rng* rng, const float** logits) {
  return forward_pass(input, n, training, rng, logits, nullptr);
}

Status Model::observe(const float* input, int n, const LayerObserver& observer) {
  if (observer.call == nullptr) return fail(Error::invalid_argument, "observer has no function");
  const float* logits = nullptr;
  return forward_pass(input, n, false, nullptr, &logits, &observer);
}

Status Model::forward_pass(const float* input, int n, bool training, Rng* rng, const float** logits,
                           const LayerObserver* observer) {
  if (!ready_) return fail(Error::invalid_argument, "model is not initialised");
  if (n < 1 || n > plan_.options.batch) return fail(Error::invalid_argument, "example count must be 1..batch");
  if (input == nullptr || logits == nullptr) return fail(Error::invalid_argument, "null input or output");
  if (training && plan_.options.optimizer == OptimizerKind::none)
    return fail(Error::invalid_argument, "an inference plan cannot run training forward passes");
  if (training && rng == nullptr) return fail(Error::invalid_argument, "training forward needs a random generator");
  const GemmScratch& scratch = scratch_;
  for (int i = 0; i < plan_.spec.layer_count; ++i) {
    const LayerSpec& l = plan_.spec.layers[i];
    const LayerPlan& lp = plan_.layers[i];
    const std::size_t count = std::size_t(n) * std::size_t(lp.output.size());
    if (observer != nullptr && lp.skip_forward)  // shows the values it passes on
      observer->call(observer->context, i, layer_input(i + 1, input), count);
    if (lp.skip_forward) continue;
    const float* x = layer_input(i, input);
    float* y = floats(lp.output_offset);
    const float* w = weights(i);
    const float* b = bias(i);
    switch (l.kind) {
      case LayerKind::dense:
        dense_forward(n, lp.input.size(), l.units, x, w, b, y, lp.fused_relu, scratch, parallel_);
        break;
      case LayerKind::conv2d: {
        const ConvGeometry g = conv_geometry(l, lp.input, n);
        if (lp.transformed_filters == kNoBuffer) {
          conv2d_forward(g, x, w, b, y, lp.fused_relu, scratch, parallel_);
          break;
        }
        float* u = floats(lp.transformed_filters);
        if (transformed_version_[i] != parameters_version_) {
          conv2d_transform_filters(g, w, u, parallel_);
          transformed_version_[i] = parameters_version_;
        }
        conv2d_forward_transformed(g, x, u, b, y, lp.fused_relu, scratch, parallel_);
        break;
      }
      case LayerKind::max_pool:
      case LayerKind::avg_pool:
      case LayerKind::global_avg_pool: {
        const bool max = l.kind == LayerKind::max_pool;
        for_image_groups(parallel_, pool_geometry(l, lp.input, n), [&](const PoolGeometry& part, std::ptrdiff_t in, std::ptrdiff_t out) {
          if (max) {
            max_pool_forward(part, x + in, y + out);
          } else {
            avg_pool_forward(part, x + in, y + out);
          }
        });
        break;
      }
      case LayerKind::relu: relu_forward(count, x, y); break;
      case LayerKind::sigmoid:
      case LayerKind::tanh: {
        const bool sigmoid = l.kind == LayerKind::sigmoid;
        for_ranges(parallel_, count, kGrain, [&](std::size_t b, std::size_t e) {
          if (sigmoid) {
            sigmoid_forward(e - b, x + b, y + b);
          } else {
            tanh_forward(e - b, x + b, y + b);
          }
        });
        break;
      }
      case LayerKind::dropout: {
        if (!training) {  // the identity at evaluation
          if (x != y) std::memcpy(y, x, count * sizeof(float));
          break;
        }
        // Mask k takes draw k of rng's sequence, whichever worker draws it.
        float* mask = floats(lp.mask_offset);
        const float scale = 1.0f / l.keep_prob;
        const Rng start = *rng;
        for_ranges(parallel_, count, kGrain, [&](std::size_t b, std::size_t e) {
          Rng piece = start;
          piece.advance(b);
          for (std::size_t k = b; k < e; ++k) mask[k] = piece.uniform() < l.keep_prob ? scale : 0.0f;
          multiply_elementwise(e - b, x + b, mask + b, y + b);
        });
        rng->advance(count);
        break;
      }
      case LayerKind::flatten: break;
    }
    if (observer != nullptr) observer->call(observer->context, i, y, count);
  }
  last_input_ = input;
  last_training_n_ = training ? n : 0;
  *logits = layer_input(plan_.spec.layer_count, input);
  return ok_status();
}

void Model::update_parameters(const Update& update, std::size_t first, std::size_t count, const float* grads) {
  float* params = parameter(first);
  if (update.kind == OptimizerKind::adam) {
    const std::size_t trainable = plan_.parameter_count - plan_.trainable_first;
    float* m = optimizer_state_ + (first - plan_.trainable_first);
    adam_update(params, grads, m, m + trainable, count, update.adam);
  } else {
    gradient_descent_update(params, grads, count, update.learning_rate);
  }
}

Status Model::backward(float* logits_gradient, int n) { return backward_pass(logits_gradient, n, nullptr); }

Status Model::backward_pass(float* logits_gradient, int n, const Update* update) {
  if (!ready_ || last_training_n_ == 0 || n != last_training_n_ || logits_gradient == nullptr)
    return fail(Error::invalid_argument, "backward needs the training forward pass of the same examples");
  float* buffers[2] = {floats(plan_.backward[0]), floats(plan_.backward[1])};
  const std::size_t capacity = plan_.backward_floats;
  float* dy = logits_gradient;
  // The gradient with respect to a layer's input (`count` floats) goes to
  // whichever buffer dy is not in, centred in it (from a cache line): the
  // workers write their shares of the examples (first half, second half on
  // two) to the same addresses for every layer, whatever its size, so no
  // core writes lines another core holds.
  // (count <= capacity: every layer's input but the network's is another's output.)
  auto spare = [&](std::size_t count) {
    const std::less<const float*> before;  // a total order, also for the caller's logits_gradient
    const bool in_first = !before(dy, buffers[0]) && before(dy, buffers[0] + capacity);
    return (in_first ? buffers[1] : buffers[0]) + (capacity - count) / 2 / 16 * 16;
  };
  const GemmScratch& scratch = scratch_;
  // The update on parameters [begin, end), split among the workers.
  auto update_range = [&](std::size_t begin, std::size_t end) {
    for_ranges(parallel_, end - begin, kGrain, [&](std::size_t b, std::size_t e) {
      update_parameters(*update, begin + b, e - b, gradient(begin + b));
    });
  };
  for (int i = plan_.spec.layer_count - 1; i >= plan_.options.frozen_layers; --i) {
    const LayerSpec& l = plan_.spec.layers[i];
    const LayerPlan& lp = plan_.layers[i];
    const float* x = layer_input(i, last_input_);
    const std::size_t count = std::size_t(n) * std::size_t(lp.output.size());
    float* dx = lp.needs_input_gradient ? spare(std::size_t(n) * std::size_t(lp.input.size())) : nullptr;
    switch (l.kind) {
      case LayerKind::dense: {
        if (update == nullptr) {
          dense_backward(n, lp.input.size(), l.units, x, weights(i), dy, gradient(lp.weights), gradient(lp.bias), dx,
                         scratch, parallel_);
          break;
        }
        // One pass over the weights: each strip serves dx, then takes the
        // update from its gradient, still in cache and never stored.
        struct WeightsUpdate {
          Model* model;
          const Update* update;
          std::size_t weights;
        } weights_update{this, update, lp.weights};
        GradientUpdate strips;
        strips.context = &weights_update;
        strips.call = [](void* context, std::size_t first, std::size_t count, const float* gradient) {
          const WeightsUpdate& u = *static_cast<const WeightsUpdate*>(context);
          u.model->update_parameters(*u.update, u.weights + first, count, gradient);
        };
        dense_backward_update(n, lp.input.size(), l.units, x, weights(i), dy, gradient(lp.weights),
                              gradient(lp.bias), dx, scratch, parallel_, strips);
        update_range(lp.bias, lp.bias + lp.bias_count);
        break;
      }
      case LayerKind::conv2d: {
        const ConvGeometry g = conv_geometry(l, lp.input, n);
        conv2d_backward_filter(g, x, dy, gradient(lp.weights), gradient(lp.bias), scratch, parallel_);
        if (dx != nullptr) conv2d_backward_input(g, dy, weights(i), dx, scratch, parallel_);
        if (update != nullptr) update_range(lp.weights, lp.bias + lp.bias_count);
        break;
      }
      case LayerKind::max_pool:
      case LayerKind::avg_pool:
      case LayerKind::global_avg_pool:
        if (dx != nullptr)
          for_image_groups(parallel_, pool_geometry(l, lp.input, n), [&](const PoolGeometry& part, std::ptrdiff_t in, std::ptrdiff_t out) {
            if (l.kind == LayerKind::max_pool) {
              max_pool_backward(part, x + in, dy + out, dx + in);
            } else {
              avg_pool_backward(part, dy + out, dx + in);
            }
          });
        break;
      case LayerKind::relu:
      case LayerKind::sigmoid:
      case LayerKind::tanh:
      case LayerKind::dropout:
        // In place on dy: ReLU keeps it where its output is positive, sigmoid
        // and tanh scale it by their derivative (from their output), dropout
        // by the mask.
        if (dx != nullptr) {
          const LayerKind kind = l.kind;
          const float* y = floats(kind == LayerKind::dropout ? lp.mask_offset : lp.output_offset);
          for_ranges(parallel_, count, kGrain, [&](std::size_t b, std::size_t e) {
            switch (kind) {
              case LayerKind::relu: relu_backward(e - b, y + b, dy + b, dy + b); break;
              case LayerKind::sigmoid: sigmoid_backward(e - b, y + b, dy + b, dy + b); break;
              case LayerKind::tanh: tanh_backward(e - b, y + b, dy + b, dy + b); break;
              default: multiply_elementwise(e - b, dy + b, y + b, dy + b); break;
            }
          });
        }
        dx = nullptr;
        break;
      case LayerKind::flatten: dx = nullptr; break;
    }
    if (dx != nullptr) dy = dx;
  }
  return ok_status();
}

template <class Loss>
Status Model::step(const float* input, int n, const OptimizerSettings& optimizer, Rng& rng, StepStats* stats,
                   Loss loss) {
  if (!ready_) return fail(Error::invalid_argument, "model is not initialised");
  if (plan_.options.optimizer == OptimizerKind::none)
    return fail(Error::invalid_argument, "an inference plan cannot train");
  if (!(optimizer.learning_rate > 0.0f) || optimizer.learning_rate > 1e6f)
    return fail(Error::invalid_argument, "learning rate must be in (0, 1e6]");
  const float* outputs = nullptr;
  const Status s = forward(input, n, true, &rng, &outputs);
  if (!s.ok()) return s;
  float* doutputs = floats(plan_.backward[0]);
  const StepStats measured = loss(outputs, doutputs);
  if (stats != nullptr) *stats = measured;
  if (!std::isfinite(measured.loss))  // before the update: the parameters stay as they were
    return fail(Error::diverged, "training diverged: the loss is not finite (try a smaller learning rate)");
  // The backward pass updates each layer's parameters once it is done with
  // them. It cannot fail part way: the forward pass of these n examples
  // has just succeeded, which is all it checks.
  ++steps_;
  parameters_changed();
  const Update update{plan_.options.optimizer, optimizer.learning_rate, adam_step(optimizer, steps_)};
  return backward_pass(doutputs, n, &update);
}

Status Model::train_step(const float* input, const std::uint8_t* labels, int n, const OptimizerSettings& optimizer,
                         Rng& rng, StepStats* stats) {
  if (!ready_) return fail(Error::invalid_argument, "model is not initialised");
  if (plan_.classes < 2) return fail(Error::invalid_argument, "classification needs at least 2 outputs");
  if (labels == nullptr) return fail(Error::invalid_argument, "labels are null");
  for (int i = 0; i < n && i < plan_.options.batch; ++i)
    if (labels[i] >= plan_.classes) return fail(Error::invalid_argument, "a label is not a valid class");
  return step(input, n, optimizer, rng, stats, [&](const float* logits, float* gradient) {
    return StepStats{softmax_cross_entropy(logits, labels, n, plan_.classes, gradient),
                     count_correct(logits, labels, n, plan_.classes)};
  });
}

Status Model::train_step(const float* input, const float* targets, int n, const OptimizerSettings& optimizer,
                         Rng& rng, StepStats* stats) {
  if (targets == nullptr) return fail(Error::invalid_argument, "targets are null");
  return step(input, n, optimizer, rng, stats, [&](const float* outputs, float* gradient) {
    return StepStats{mean_squared_error(outputs, targets, n, plan_.classes, gradient), 0};
  });
}

Status Model::predict(const float* input, int n, float* probabilities) {
  const float* logits = nullptr;
  const Status s = forward(input, n, false, nullptr, &logits);
  if (!s.ok()) return s;
  if (probabilities == nullptr) return fail(Error::invalid_argument, "probabilities output is null");
  softmax(logits, n, plan_.classes, probabilities);
  return ok_status();
}

}  // namespace fixnet
