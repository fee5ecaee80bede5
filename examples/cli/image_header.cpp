// fixnet-mnist: image header checks made before stb_image decodes a file.
#include "image_header.h"

#include <cstring>

namespace fixnet_cli {

namespace {

// Walks every marker segment of a JPEG from offset i (after SOI; entropy-coded
// data between segments is skipped) and sums the code counts of each Huffman
// table in a DHT segment.
std::string jpeg_problem(const std::uint8_t* b, std::size_t n, std::size_t i) {
  while (i + 1 < n) {
    const std::uint8_t m = b[i + 1];
    if (b[i] != 0xFF || m == 0xFF) {  // entropy-coded data, or fill bytes before a marker
      ++i;
      continue;
    }
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // a stuffed 0xFF, TEM, restart markers
      i += 2;
      continue;
    }
    if (m == 0xD9 || i + 4 > n) break;  // EOI, or a segment cut off (stb reports that itself)
    const std::size_t end = i + 2 + (std::size_t(b[i + 2]) << 8 | b[i + 3]);
    if (m == 0xC4) {  // DHT: tables of a class/id byte, 16 code counts, the codes' values
      // As stb reads them: a table wherever the segment's length leaves a
      // byte, and zeros for bytes past the end of the file.
      for (std::size_t p = i + 4; p < end;) {
        std::size_t codes = 0;
        for (std::size_t k = 1; k <= 16; ++k) codes += p + k < n ? b[p + k] : 0;
        if (codes > 256) return "JPEG: a Huffman table lists " + std::to_string(codes) + " codes (at most 256)";
        p += 17 + codes;
      }
    }
    i = end;
  }
  return "";
}

// The three numbers after "P5" or "P6" (width, height, largest value),
// whitespace and # comments around them.
std::string pnm_problem(const std::uint8_t* b, std::size_t n) {
  std::size_t i = 2;
  for (int number = 0; number < 3; ++number) {
    while (i < n && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r') || b[i] == '#')) {
      if (b[i] == '#')
        while (i < n && b[i] != '\n' && b[i] != '\r') ++i;
      else
        ++i;
    }
    std::size_t digits = 0;
    for (; i < n && b[i] >= '0' && b[i] <= '9'; ++i) ++digits;
    if (digits > 9) return "PNM: a header number has " + std::to_string(digits) + " digits (at most 9)";
  }
  return "";
}

// Walks a PNG's chunks (after the 8-byte signature): an IDAT chunk of length
// 0 makes stb copy into a null pointer (its buffer is not allocated yet).
std::string png_problem(const std::uint8_t* b, std::size_t n) {
  for (std::size_t i = 8; i + 8 <= n;) {
    const std::size_t length = std::size_t(b[i]) << 24 | std::size_t(b[i + 1]) << 16 | std::size_t(b[i + 2]) << 8 | b[i + 3];
    if (b[i + 4] == 'I' && b[i + 5] == 'D' && b[i + 6] == 'A' && b[i + 7] == 'T' && length == 0)
      return "PNG: an empty IDAT chunk";
    if (length > n - i - 8) break;  // cut off: stb reports that itself
    i += 12 + length;               // length, type, data, CRC
  }
  return "";
}

}  // namespace

std::string image_header_problem(const std::uint8_t* bytes, std::size_t size) {
  // A JPEG starts with SOI, FF D8, after any number of FF fill bytes (as stb reads it).
  std::size_t soi = 0;
  while (soi < size && bytes[soi] == 0xFF) ++soi;
  if (soi > 0 && soi < size && bytes[soi] == 0xD8) return jpeg_problem(bytes, size, soi + 1);
  if (size >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')) return pnm_problem(bytes, size);
  if (size >= 8 && std::memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0) return png_problem(bytes, size);
  return "";
}

}  // namespace fixnet_cli
