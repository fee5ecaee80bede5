// fixnet: IDX files (the MNIST container) parsed over caller-provided bytes.
// Format: 2 zero bytes, a type byte, a rank byte, rank big-endian u32
// dimensions, then the elements big-endian, row-major.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/status.h"

namespace fixnet {

enum class IdxType : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

constexpr int kIdxMaxRank = 4;

// A view of a parsed IDX array; `data` points into the caller's bytes.
struct IdxArray {
  IdxType type = IdxType::u8;
  int rank = 0;
  std::uint32_t dims[kIdxMaxRank] = {};
  std::size_t count = 0;  // product of dims
  const std::uint8_t* data = nullptr;
};

// Bytes per element of an IDX type (0 for an unknown type byte).
std::size_t idx_element_size(std::uint8_t type);

// Parses `size` bytes. The header must be well formed and the data must fill
// the rest exactly: fewer bytes is Error::truncated, more is Error::oversized,
// whatever the dimensions claim (no overflow, nothing read out of bounds).
Status parse_idx(const void* bytes, std::size_t size, IdxArray* out);

// An image set paired with its labels: images [count, rows, cols] u8, labels [count] u8.
struct Dataset {
  const std::uint8_t* images = nullptr;
  const std::uint8_t* labels = nullptr;
  int count = 0, rows = 0, cols = 0;

  int image_size() const { return rows * cols; }
};

// Checks that `images` is u8 [count, rows, cols], `labels` u8 [count] with
// every label < classes, and makes a Dataset of them.
Status make_dataset(const IdxArray& images, const IdxArray& labels, int classes, Dataset* out);

// Writes image `index` as floats in [0, 1] (pixel / 255), as TensorFlow's MNIST reader does.
void image_to_floats(const Dataset& data, int index, float* out);

}  // namespace fixnet
