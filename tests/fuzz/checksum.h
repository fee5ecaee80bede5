// Fuzz targets: model files end in a CRC-32 that random mutations almost
// never match, which would stop the fuzzer at the checksum. The targets run
// each input as it is and then with its checksum made right.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/model_file.h"

namespace fixnet_fuzz {

// Rewrites the last 4 bytes of bytes[0, size) as the CRC-32 of the bytes
// before them (little-endian, as the file format stores it); false, with
// nothing changed, when size < 8.
inline bool fix_checksum(std::uint8_t* bytes, std::size_t size) {
  if (size < 8) return false;
  const std::uint32_t crc = fixnet::crc32(bytes, size - 4);
  for (int i = 0; i < 4; ++i) bytes[size - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
  return true;
}

}  // namespace fixnet_fuzz
