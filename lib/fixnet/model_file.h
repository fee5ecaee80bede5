// fixnet: the model file, version 1. Everything little-endian; floats IEEE-754
// binary32.
//
//   offset        size   field
//   0             4      magic "FXNM"
//   4             4      u32 format version (1)
//   8             12     u32 input height, width, channels
//   20            4      u32 layer count L (1..16)
//   24            32*L   per layer, 8 u32: kind (1 dense, 2 conv2d, 3 max_pool,
//                        4 relu, 5 dropout, 6 flatten), units, window_h,
//                        window_w, stride_h, stride_w, padding (1 SAME,
//                        2 VALID), keep_prob (binary32 bits)
//   24+32L        8      u64 parameter count P
//   32+32L        4*P    parameters, layer by layer: weights then bias; dense
//                        weights [inputs, units], conv2d [kh, kw, in, filters]
//   32+32L+4P     4      CRC-32 (IEEE, as zlib's crc32) of all bytes before it
//
// Initializers are not recorded: they do not change what a trained model computes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/model.h"
#include "fixnet/spec.h"
#include "fixnet/status.h"

namespace fixnet {

constexpr std::uint32_t kModelFileVersion = 1;

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

// Writes `model`'s architecture and parameters to out[0, model_file_size(spec)).
Status write_model_file(const Model& model, void* out, std::size_t capacity, std::size_t* written);

// Checks a whole file (magic, version, size, checksum, a buildable
// architecture) and returns the architecture it records.
Status read_model_spec(const void* bytes, std::size_t size, ModelSpec* spec);

// Checks the file as read_model_spec does, requires the model's architecture,
// and copies the parameters into `model` (whose optimizer is reset).
Status load_model_file(const void* bytes, std::size_t size, Model* model);

// CRC-32 (IEEE 802.3 polynomial, reflected; zlib's crc32) of `size` bytes.
std::uint32_t crc32(const void* bytes, std::size_t size);

}  // namespace fixnet
