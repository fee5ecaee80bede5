// fixnet: post-training int8 quantization of a trained float model, as
// TensorFlow Lite's converter does it: activation ranges calibrated on
// example inputs (min and max per tensor), weights symmetric per output
// channel, biases int32.
#pragma once

#include "fixnet/int8_model.h"
#include "fixnet/model.h"
#include "fixnet/status.h"

namespace fixnet {

// The range of every tensor seen so far: [0] the input, [i + 1] layer i's
// output. Ranges start at [0, 0]: they always hold 0, as int8 tensors must.
struct ActivationRanges {
  float min[kMaxLayers + 1] = {};
  float max[kMaxLayers + 1] = {};
  int examples = 0;  // examples observed
};

// Widens `ranges` by n examples at `input` [n, input size] run through
// `model` (inference: no dropout). Non-finite activations are an error.
Status observe_ranges(Model* model, const float* input, int n, ActivationRanges* ranges);

// Quantizes `model`'s parameters into `out`, an Int8Model of the same
// architecture holding its own parameters: each dense/conv2d output and the
// input get TFLite's scale and zero point for their range
// (choose_activation_params); pass-through layers keep their input's. Each
// filter's weights get scale max|w| / 127, biases scale input scale *
// weight scale, and requantization the multiplier of input scale * weight
// scale / output scale. Needs ranges of at least one example.
Status quantize_model(const Model& model, const ActivationRanges& ranges, Int8Model* out);

}  // namespace fixnet
