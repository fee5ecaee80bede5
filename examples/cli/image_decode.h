// fixnet-mnist: an image file's bytes decoded to pixels, within limits, with
// fixnet's own header checks made before stb_image sees the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fixnet_cli {

// The largest image classify decodes: a photo of a digit fits with room.
constexpr int kMaxImageSide = 16384;
constexpr int kMaxImagePixels = 64000000;

struct DecodedImage {
  std::unique_ptr<std::uint8_t, void (*)(void*)> pixels{nullptr, nullptr};  // rows of width * channels bytes
  int width = 0, height = 0, channels = 0;
};

// Decodes an image file held in `bytes`: whatever stb_image reads (PNG, JPEG,
// BMP, GIF, PGM/PPM, TGA, PSD, HDR, PIC).
// Refuses, with a sentence in `error` and nothing decoded, a header that
// stb_image would mishandle (image_header_problem) and an image larger than
// kMaxImageSide a side or kMaxImagePixels in all, before any pixel is
// allocated.
bool decode_image(const std::uint8_t* bytes, std::size_t size, DecodedImage& out, std::string& error);

}  // namespace fixnet_cli
