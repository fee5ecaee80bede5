// fixnet: IDX parsing with every size checked before it is trusted.
#include "fixnet/idx.h"

namespace fixnet {

std::size_t idx_element_size(std::uint8_t type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

Status parse_idx(const void* bytes, std::size_t size, IdxArray* out) {
  const auto* b = static_cast<const std::uint8_t*>(bytes);
  if (out == nullptr) return fail(Error::invalid_argument, "IDX: null output");
  if (size < 4) return fail(Error::truncated, "IDX: file is shorter than its 4-byte magic number");
  if (b == nullptr) return fail(Error::invalid_argument, "IDX: null bytes");
  if (b[0] != 0 || b[1] != 0) return fail(Error::bad_magic, "IDX: not an IDX file (the first two bytes must be zero)");
  const std::size_t element = idx_element_size(b[2]);
  if (element == 0) return fail(Error::bad_magic, "IDX: unknown element type byte");
  const int rank = b[3];
  if (rank < 1 || rank > kIdxMaxRank) return fail(Error::unsupported, "IDX: rank must be 1 to 4");
  const std::size_t header = 4 + 4 * std::size_t(rank);
  if (size < header) return fail(Error::truncated, "IDX: header ends before its dimensions");
  const std::size_t available = (size - header) / element;  // whole elements present
  IdxArray a;
  a.type = static_cast<IdxType>(b[2]);
  a.rank = rank;
  bool empty = false;
  for (int i = 0; i < rank; ++i) {
    const std::uint8_t* d = b + 4 + 4 * i;
    a.dims[i] = (std::uint32_t(d[0]) << 24) | (std::uint32_t(d[1]) << 16) | (std::uint32_t(d[2]) << 8) | d[3];
    empty = empty || a.dims[i] == 0;
  }
  // Multiply only while the product still fits in the bytes: no overflow.
  std::size_t count = empty ? 0 : 1;
  for (int i = 0; i < rank && !empty; ++i) {
    if (count > available / a.dims[i]) return fail(Error::truncated, "IDX: data is shorter than the dimensions promise");
    count *= a.dims[i];
  }
  if (header + count * element != size)
    return fail(Error::oversized, "IDX: bytes continue past the data the dimensions describe");
  a.count = count;
  a.data = b + header;
  *out = a;
  return ok_status();
}

Status make_dataset(const IdxArray& images, const IdxArray& labels, int classes, Dataset* out) {
  if (images.type != IdxType::u8 || images.rank != 3)
    return fail(Error::unsupported, "images must be an IDX array of u8 [count, rows, cols]");
  if (labels.type != IdxType::u8 || labels.rank != 1)
    return fail(Error::unsupported, "labels must be an IDX array of u8 [count]");
  if (images.dims[0] != labels.dims[0]) return fail(Error::corrupt, "image and label counts differ");
  if (images.dims[0] == 0 || images.dims[0] > (1u << 30) || images.dims[1] == 0 || images.dims[2] == 0 ||
      images.dims[1] > 4096 || images.dims[2] > 4096)
    return fail(Error::unsupported, "image set must have 1..2^30 images of 1..4096 pixels a side");
  for (std::size_t i = 0; i < labels.count; ++i)
    if (labels.data[i] >= classes) return fail(Error::corrupt, "a label is not a valid class");
  *out = Dataset{images.data, labels.data, int(images.dims[0]), int(images.dims[1]), int(images.dims[2])};
  return ok_status();
}

void image_to_floats(const Dataset& data, int index, float* out) {
  const std::size_t size = std::size_t(data.image_size());
  const std::uint8_t* pixels = data.images + std::size_t(index) * size;
  for (std::size_t i = 0; i < size; ++i) out[i] = float(pixels[i]) * (1.0f / 255.0f);
}

}  // namespace fixnet
