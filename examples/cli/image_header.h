// fixnet-mnist: checks of an image file's header that the stb_image Debian
// ships (2022-09) lacks, made before any of its bytes reach the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fixnet_cli {

// Empty when stb_image may read the file; else what is wrong with it: a
// JPEG Huffman table of more than 256 codes (stb writes past an array) or a
// PGM/PPM header number of more than 9 digits (stb overflows an int), or a
// PNG with an empty IDAT chunk (stb copies into a null pointer).
std::string image_header_problem(const std::uint8_t* bytes, std::size_t size);

}  // namespace fixnet_cli
