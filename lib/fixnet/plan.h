// fixnet: the memory plan. From a model spec and a batch size, plan() lays out
// every buffer a model will ever touch (parameters, gradients, optimizer state,
// activations, dropout masks, backward buffers, matrix-multiply packing) as
// offsets into one caller-owned arena. It is constexpr, so
//   constexpr auto kPlan = fixnet::plan(kSpec, {50, fixnet::OptimizerKind::adam});
//   alignas(64) static std::byte arena[kPlan.bytes];
// sizes a network at compile time. Nothing is allocated after planning.
// An int8 plan (PlanOptions::precision) lays out int8 inference instead:
// the int8 parameters, their copy repacked for this build's kernel, the
// activations and the kernels' scratch (see plan_int8).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/int8_kernels.h"
#include "fixnet/kernels.h"
#include "fixnet/optimizer.h"
#include "fixnet/spec.h"
#include "fixnet/status.h"

namespace fixnet {

constexpr std::size_t kArenaAlignment = 64;  // the arena's start must be aligned to this
constexpr std::size_t kNoBuffer = ~std::size_t(0);

// The arithmetic of a model: float training and inference, or int8
// inference (Int8Model, int8_model.h).
enum class Precision : std::uint8_t { float32 = 1, int8 };

// How a model will be used.
struct PlanOptions {
  int batch = 1;                                // most examples per forward/step
  OptimizerKind optimizer = OptimizerKind::none;  // none: inference only (no gradients)
  int workers = 1;                              // threads that may run kernels at once
  bool external_parameters = false;             // parameters stay in caller memory (e.g. flash): inference,
                                                // or training with frozen layers (below)
  Precision precision = Precision::float32;     // int8: inference only
  // Training: layers [0, frozen_layers) keep their parameters. They get no
  // gradients or optimizer state, and their activations are not kept for
  // the backward pass. With external_parameters, theirs are read in place
  // and the trainable layers' are copied into the arena at init.
  int frozen_layers = 0;
};

// One layer's place in the plan. Byte offsets are into the arena.
struct LayerPlan {
  Dims input{}, output{};
  std::size_t weight_count = 0, bias_count = 0;
  std::size_t weights = 0, bias = 0;  // float offsets into the parameter block
  std::size_t output_offset = kNoBuffer;  // activations [batch, output]; kNoBuffer: the model input
  std::size_t mask_offset = kNoBuffer;    // dropout mask [batch, output] (training)
  std::size_t transformed_filters = kNoBuffer;  // conv2d by Winograd's method: its filters transformed
  bool in_place = false;     // computes into its input's buffer (element-wise layers, flatten)
  bool fused_relu = false;   // dense/conv2d whose following relu runs inside its kernel
  bool skip_forward = false; // nothing to compute forward (flatten, fused relu, dropout at inference)
  bool needs_input_gradient = false;  // some earlier layer has parameters
  // int8 plans (byte offsets; output_offset too): the layer's own parameters
  // (kNoBuffer when external or parameter-free) and its weights repacked for
  // this build's kernel (kNoBuffer when it reads them as stored, or when
  // external parameters are repacked into int8_pack on every pass).
  std::size_t int8_weights = kNoBuffer;   // int8 [units, K]
  std::size_t int8_channels = kNoBuffer;  // per unit: int32 bias, multiplier, shift, float weight scale ([4][units])
  std::size_t int8_packed = kNoBuffer;    // int8_packed_bytes of the layer
};

struct Plan {
  Status status{};  // not ok: the spec or options are invalid; nothing else is meaningful
  ModelSpec spec{};
  PlanOptions options{};
  LayerPlan layers[kMaxLayers]{};
  int classes = 0;
  std::size_t parameter_count = 0;           // floats of weights and biases, all layers
  std::size_t trainable_first = 0;           // the first that trains (the frozen layers' come before)
  // [parameter_count], or with external parameters and frozen layers the
  // trainable ones [trainable_first, parameter_count); kNoBuffer when all external.
  std::size_t parameters = kNoBuffer;
  std::size_t gradients = kNoBuffer;         // [parameter_count - trainable_first]
  std::size_t optimizer_state = kNoBuffer;   // [state_per_parameter * (parameter_count - trainable_first)]
  std::size_t input = 0;                     // staging for one batch of inputs [batch, input]
  std::size_t labels = 0;                    // staging for one batch of labels [batch] (bytes)
  std::size_t backward[2] = {kNoBuffer, kNoBuffer};  // ping-pong gradients, each the largest layer output
  std::size_t backward_floats = 0;                   // floats in each
  // Matrix-multiply scratch: worker w's A block at pack_a + w * pack_a_floats
  // floats; the shared B panel at pack_b; worker w > 0's own panel (for
  // products split over K) at split_b + (w - 1) * split_b_floats floats;
  // partial sums at partial.
  std::size_t pack_a = 0, pack_a_floats = 0;
  std::size_t pack_b = 0, pack_b_floats = 0;
  std::size_t split_b = 0, split_b_floats = 0;
  std::size_t partial = 0, partial_floats = 0;
  // int8 plans: `input` holds the int8 input [batch, input] at the start of
  // the activations, which forward passes overwrite; worker w's kernel
  // scratch at int8_scratch + w * int8_scratch_bytes; the largest layer's
  // packed weights at int8_pack (external parameters on a packing kernel).
  std::size_t int8_scratch = 0, int8_scratch_bytes = 0;
  std::size_t int8_pack = kNoBuffer;
  std::size_t bytes = 0;                      // the arena size this plan needs
};

namespace detail {
constexpr std::uint64_t align_up(std::uint64_t x) { return (x + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

// Appends `bytes` to a layout that currently ends at `*end` (counted in 64
// bits, so nothing wraps on 32-bit targets); returns the offset.
constexpr std::size_t take(std::uint64_t* end, std::uint64_t bytes) {
  const std::uint64_t at = align_up(*end);
  *end = at + bytes;
  return std::size_t(at);  // checked against SIZE_MAX once the layout is complete
}
}  // namespace detail

// The longest sum of products an int8 layer may have: |sum| <= 255 * 127 * 2^16 < 2^31.
constexpr long long kMaxInt8Sum = 1LL << 16;

// The geometry an int8 plan runs layer `l` (dense or conv2d) with, for n examples.
constexpr ConvGeometry int8_geometry(const LayerSpec& l, Dims input, int n) {
  return l.kind == LayerKind::dense ? dense_geometry(n, input.size(), l.units) : conv_geometry(l, input, n);
}

namespace detail {

constexpr std::uint64_t align16(std::uint64_t x) { return (x + 15) / 16 * 16; }

// The int8 layout of p (shapes and fusion already planned): parameters,
// packed weights, activations, scratch. Activations alternate between the
// two ends of one region, the input at the bottom: each layer reads one end
// and writes the other, so the region is the largest input plus output of
// any layer. Flatten and dropout pass their input on; ReLU and pooling write
// the other end (never into a caller's input).
constexpr void plan_int8(Plan& p) {
  const ModelSpec& spec = p.spec;
  const PlanOptions& options = p.options;
  if (options.optimizer != OptimizerKind::none) {
    p.status = fail(Error::invalid_argument, "int8 plans are for inference only");
    return;
  }
  const std::uint64_t batch = std::uint64_t(options.batch);
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerKind kind = spec.layers[i].kind;
    if (kind == LayerKind::sigmoid || kind == LayerKind::tanh || kind == LayerKind::avg_pool ||
        kind == LayerKind::global_avg_pool) {
      p.status = fail(Error::invalid_spec, "int8: sigmoid, tanh and average-pooling layers run in float plans only");
      return;
    }
  }
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    if ((l.kind == LayerKind::dense || l.kind == LayerKind::conv2d) &&
        (long long)(p.layers[i].weight_count / std::size_t(l.units)) > kMaxInt8Sum) {
      p.status = fail(Error::invalid_spec, "int8: a layer sums more than 65536 products per output");
      return;
    }
  }
  std::uint64_t end = 0;
  std::uint64_t largest_packed = 0, scratch = 0;
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerPlan& lp = p.layers[i];
    if (l.kind != LayerKind::dense && l.kind != LayerKind::conv2d) continue;
    const ConvGeometry g = int8_geometry(l, lp.input, options.batch);
    if (!options.external_parameters) {
      lp.int8_weights = take(&end, lp.weight_count);
      lp.int8_channels = take(&end, 16 * std::uint64_t(l.units));
      if (int8_packed_bytes(g) > 0) lp.int8_packed = take(&end, int8_packed_bytes(g));
    }
    if (int8_packed_bytes(g) > largest_packed) largest_packed = int8_packed_bytes(g);
    if (int8_scratch_bytes(g) > scratch) scratch = int8_scratch_bytes(g);
  }
  if (options.external_parameters && largest_packed > 0) p.int8_pack = take(&end, largest_packed);

  // Activations: which end each layer's output takes, and the region's size.
  std::uint64_t region = align16(batch * std::uint64_t(spec.input.size()));
  bool at_bottom[kMaxLayers] = {};
  bool current_bottom = true;                    // the input is at the bottom
  std::uint64_t current = region;                // bytes of the running activation
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const std::uint64_t out = align16(batch * std::uint64_t(p.layers[i].output.size()));
    if (l.kind == LayerKind::flatten || l.kind == LayerKind::dropout || p.layers[i].skip_forward) {
      at_bottom[i] = current_bottom;
      continue;
    }
    if (current + out > region) region = current + out;
    current_bottom = !current_bottom;
    at_bottom[i] = current_bottom;
    current = out;
  }
  p.input = take(&end, region);
  std::size_t previous = kNoBuffer;  // the model input
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerPlan& lp = p.layers[i];
    if (l.kind == LayerKind::flatten || l.kind == LayerKind::dropout || lp.skip_forward) {
      lp.in_place = true;
      lp.output_offset = previous;
    } else {
      const std::uint64_t out = align16(batch * std::uint64_t(lp.output.size()));
      lp.output_offset = std::size_t(at_bottom[i] ? p.input : p.input + region - out);
    }
    previous = lp.output_offset;
  }
  p.int8_scratch_bytes = std::size_t(align_up(scratch));
  p.int8_scratch = take(&end, std::uint64_t(p.int8_scratch_bytes) * std::uint64_t(options.workers));
  if (align_up(end) > std::uint64_t(~std::size_t(0))) {
    p.status = fail(Error::invalid_argument, "network too large for this platform's memory");
    return;
  }
  p.bytes = std::size_t(align_up(end));
}

}  // namespace detail

// Checks a plan's arena for a model's init: the plan valid, the arena
// kArenaAlignment-aligned and at least p.bytes long, external parameters
// given exactly when the plan says so.
inline Status check_arena(const Plan& p, const void* arena, std::size_t arena_bytes, bool external_given) {
  if (!p.status.ok()) return p.status;
  if (arena == nullptr) return fail(Error::invalid_argument, "arena is null");
  if (reinterpret_cast<std::uintptr_t>(arena) % kArenaAlignment != 0)
    return fail(Error::invalid_argument, "arena must be 64-byte aligned");
  if (arena_bytes < p.bytes) return fail(Error::arena_too_small, "arena is smaller than the plan's bytes");
  if (p.options.external_parameters != external_given)
    return fail(Error::invalid_argument, "external parameters must be given exactly when the plan says so");
  return ok_status();
}

// Lays out every buffer of `spec` used as `options` says.
constexpr Plan plan(const ModelSpec& spec, const PlanOptions& options) {
  Plan p;
  p.spec = spec;
  p.options = options;
  p.status = validate(spec);
  if (!p.status.ok()) return p;
  if (options.batch < 1 || options.batch > (1 << 20)) {
    p.status = fail(Error::invalid_argument, "batch size must be 1..2^20");
    return p;
  }
  if (options.workers < 1 || options.workers > kMaxWorkers) {
    p.status = fail(Error::invalid_argument, "workers must be 1..64");
    return p;
  }
  if (options.precision != Precision::float32 && options.precision != Precision::int8) {
    p.status = fail(Error::invalid_argument, "precision must be float32 or int8");
    return p;
  }
  const bool training = options.optimizer != OptimizerKind::none;
  const int frozen = options.frozen_layers;
  if (frozen < 0 || frozen > spec.layer_count || (frozen > 0 && !training)) {
    p.status = fail(Error::invalid_argument, "frozen layers must be 0..layer count, in a training plan");
    return p;
  }
  if (training && options.external_parameters && frozen == 0) {
    p.status = fail(Error::invalid_argument, "external parameters are read-only: inference, or frozen layers");
    return p;
  }
  const std::size_t batch = std::size_t(options.batch);
  const std::uint64_t f = sizeof(float);  // byte counts are 64-bit
  // Kernels count a batch's values and positions in int.
  for (int i = 0; i < spec.layer_count; ++i) {
    Dims in = i == 0 ? spec.input : p.layers[i - 1].output;
    p.layers[i].output = layer_output_dims(spec.layers[i], in);
    if ((long long)options.batch * in.size64() > 0x7FFFFFFF ||
        (long long)options.batch * p.layers[i].output.size64() > 0x7FFFFFFF) {
      p.status = fail(Error::invalid_argument, "batch too large for this network (over 2^31 values in a layer)");
      return p;
    }
  }

  // Shapes, parameter counts, fusion, and which layers need an input gradient.
  Dims d = spec.input;
  bool parameters_before = false;
  std::uint64_t parameters64 = 0;  // parameter_count may wrap on 32-bit targets; this cannot
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerPlan& lp = p.layers[i];
    lp.input = d;
    lp.output = layer_output_dims(l, d);
    lp.weight_count = layer_weight_count(l, d);
    lp.bias_count = layer_bias_count(l);
    lp.weights = p.parameter_count;
    lp.bias = p.parameter_count + lp.weight_count;
    if (i == frozen) p.trainable_first = p.parameter_count;
    p.parameter_count += lp.weight_count + lp.bias_count;
    parameters64 += std::uint64_t(lp.weight_count) + lp.bias_count;
    lp.needs_input_gradient = training && parameters_before;
    parameters_before = parameters_before || (lp.weight_count > 0 && i >= frozen);
    if (i > 0 && l.kind == LayerKind::relu &&
        (spec.layers[i - 1].kind == LayerKind::dense || spec.layers[i - 1].kind == LayerKind::conv2d)) {
      p.layers[i - 1].fused_relu = true;
      lp.skip_forward = true;
    }
    if (l.kind == LayerKind::flatten || (l.kind == LayerKind::dropout && (!training || i < frozen)))
      lp.skip_forward = true;
    d = lp.output;
  }
  p.classes = d.channels;
  if (frozen == spec.layer_count) p.trainable_first = p.parameter_count;
  if (training && p.trainable_first == p.parameter_count) {
    p.status = fail(Error::invalid_argument, "frozen layers leave no parameters to train");
    return p;
  }
  if (parameters64 > (std::uint64_t(1) << 30)) {  // validate() caps each layer; 16 of them could still be too many
    p.status = fail(Error::invalid_spec, "network has more than 2^30 parameters");
    return p;
  }

  if (options.precision == Precision::int8) {
    detail::plan_int8(p);
    return p;
  }

  // Arena layout: parameters and their companions first, then activations.
  std::uint64_t end = 0;
  const std::uint64_t trainable = p.parameter_count - p.trainable_first;
  if (!options.external_parameters) p.parameters = detail::take(&end, p.parameter_count * f);
  if (options.external_parameters && training) p.parameters = detail::take(&end, trainable * f);
  if (training) {
    p.gradients = detail::take(&end, trainable * f);
    const std::uint64_t state = optimizer_state_per_parameter(options.optimizer) * trainable;
    if (state > 0) p.optimizer_state = detail::take(&end, state * f);
  }
  // Convolutions by Winograd's method keep their filters transformed until
  // the parameters change. With external parameters (in flash, say) they run
  // directly instead: the transformed filters would take 64/25 of the
  // weights in RAM on every pass.
  for (int i = 0; i < spec.layer_count && !options.external_parameters; ++i) {
    LayerPlan& lp = p.layers[i];
    if (spec.layers[i].kind != LayerKind::conv2d) continue;
    const std::size_t floats = conv2d_winograd_filter_floats(conv_geometry(spec.layers[i], lp.input, options.batch));
    if (floats > 0) lp.transformed_filters = detail::take(&end, floats * f);
  }
  p.input = detail::take(&end, batch * std::uint64_t(spec.input.size()) * f);
  p.labels = detail::take(&end, batch);

  // Activations. Training keeps every trainable layer's output for the
  // backward pass; inference (and the frozen layers of a training plan)
  // alternates between the two ends of one region, each layer reading one
  // end and writing the other, so the region is the largest input plus
  // output of a layer. Element-wise layers and flatten work in place when
  // their input is in the arena, except where a backward pass needs the
  // values they would overwrite: a trained sigmoid or tanh keeps its own
  // output (its gradient is computed from it), and no dropout scales that
  // output in place (a ReLU may: it leaves positive values as they are and
  // zeroes the gradient where it changes them).
  std::size_t largest = 0;  // of the trainable layers' outputs (all layers' in inference)
  for (int i = 0; i < spec.layer_count; ++i) {
    const std::size_t size = batch * std::size_t(p.layers[i].output.size());
    if (size > largest && (!training || i >= frozen)) largest = size;
  }
  bool in_place[kMaxLayers] = {};
  {
    bool in_arena = false;     // the running activation is in the arena
    bool read_back = false;    // ... and is a trained sigmoid's or tanh's output
    for (int i = 0; i < spec.layer_count; ++i) {
      const LayerKind kind = spec.layers[i].kind;
      const bool kept = training && i >= frozen;
      const bool curve = kind == LayerKind::sigmoid || kind == LayerKind::tanh;
      in_place[i] = kind == LayerKind::flatten || (kind == LayerKind::dropout && !kept) ||
                    (in_arena && (kind == LayerKind::relu || (kind == LayerKind::dropout && !read_back) ||
                                  (curve && !kept)));
      if (!in_place[i]) read_back = curve && kept;
      in_arena = in_arena || !in_place[i];
    }
  }
  auto floats16 = [](std::size_t floats) { return (floats + 15) / 16 * 16; };  // whole cache lines
  // The region: the largest input (when in the region) plus output.
  std::size_t region = 0, resident = 0;  // floats; resident: the running activation's, if in the region
  for (int i = 0; i < spec.layer_count; ++i) {
    if (in_place[i]) continue;
    const std::size_t out = floats16(batch * std::size_t(p.layers[i].output.size()));
    const bool kept = training && i >= frozen;
    if (!kept && resident + out > region) region = resident + out;
    resident = kept ? 0 : out;
  }
  const std::size_t region_at = region > 0 ? detail::take(&end, region * f) : kNoBuffer;
  std::size_t current = kNoBuffer;  // where the running activation lives
  int end_of_current = 0;           // 0 outside the region, 1 its bottom, 2 its top
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerPlan& lp = p.layers[i];
    const std::size_t size = batch * std::size_t(lp.output.size());
    if (in_place[i]) {
      lp.in_place = true;
      lp.output_offset = current;
    } else if (training && i >= frozen) {
      lp.output_offset = detail::take(&end, size * f);
      end_of_current = 0;
    } else if (end_of_current == 1) {
      lp.output_offset = region_at + (region - floats16(size)) * std::size_t(f);
      end_of_current = 2;
    } else {
      lp.output_offset = region_at;
      end_of_current = 1;
    }
    if (training && i >= frozen && l.kind == LayerKind::dropout) lp.mask_offset = detail::take(&end, size * f);
    current = lp.output_offset;
  }

  if (training) {
    p.backward[0] = detail::take(&end, largest * f);
    p.backward[1] = detail::take(&end, largest * f);
    p.backward_floats = largest;
  }

  // Matrix-multiply scratch: the largest any layer needs.
  const int w = options.workers;
  GemmNeeds needs{};
  for (int i = 0; i < spec.layer_count; ++i) {
    const LayerSpec& l = spec.layers[i];
    const LayerPlan& lp = p.layers[i];
    GemmNeeds layer{};
    const bool trains = training && i >= frozen;
    if (l.kind == LayerKind::dense) {
      layer = trains ? dense_gemm_needs(options.batch, lp.input.size(), l.units, w)
                     : gemm_needs(options.batch, l.units, lp.input.size(), w);
    } else if (l.kind == LayerKind::conv2d) {
      const ConvGeometry g = conv_geometry(l, lp.input, options.batch);
      layer = trains                                    ? conv2d_gemm_needs(g, w)
              : lp.transformed_filters != kNoBuffer ? conv2d_forward_transformed_needs(g, w)
              : options.external_parameters         ? conv2d_direct_forward_needs(g, w)
                                                    : conv2d_forward_needs(g, w);
    }
    needs = max_needs(needs, layer);
  }
  p.pack_a_floats = std::size_t(detail::align_up(needs.a * f) / f);
  p.pack_b_floats = needs.b;
  p.split_b_floats = std::size_t(detail::align_up(needs.split_b * f) / f);
  p.partial_floats = needs.partial;
  p.pack_a = detail::take(&end, p.pack_a_floats * f * std::uint64_t(w));
  p.pack_b = detail::take(&end, p.pack_b_floats * f);
  p.split_b = detail::take(&end, p.split_b_floats * f * std::uint64_t(w - 1));
  p.partial = detail::take(&end, p.partial_floats * f);
  if (detail::align_up(end) > std::uint64_t(~std::size_t(0))) {
    p.status = fail(Error::invalid_argument, "network too large for this platform's memory");
    return p;
  }
  p.bytes = std::size_t(detail::align_up(end));
  return p;
}

}  // namespace fixnet
