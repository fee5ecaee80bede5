// fixnet-mnist: image decoding through stb_image, after fixnet's checks.
#include "image_decode.h"

#include <stb_image.h>

#include <climits>

#include "image_header.h"

namespace fixnet_cli {

bool decode_image(const std::uint8_t* bytes, std::size_t size, DecodedImage& out, std::string& error) {
  error = image_header_problem(bytes, size);
  if (!error.empty()) return false;
  const int length = size > std::size_t(INT_MAX) ? INT_MAX : int(size);
  int width = 0, height = 0, channels = 0;
  // The header's size, checked before any pixel is decoded or allocated.
  if (stbi_info_from_memory(bytes, length, &width, &height, &channels) &&
      (width > kMaxImageSide || height > kMaxImageSide || double(width) * height > kMaxImagePixels)) {
    error = "the image is " + std::to_string(width) + " x " + std::to_string(height) + " pixels; at most " +
            std::to_string(kMaxImageSide) + " a side and " + std::to_string(kMaxImagePixels / 1000000) +
            " million in all";
    return false;
  }
  out.pixels = {stbi_load_from_memory(bytes, length, &width, &height, &channels, 0), stbi_image_free};
  if (!out.pixels) {
    error = std::string("cannot read image (") + stbi_failure_reason() + ")";
    return false;
  }
  out.width = width;
  out.height = height;
  out.channels = channels;
  return true;
}

}  // namespace fixnet_cli
