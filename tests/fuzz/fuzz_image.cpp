// Fuzz target: the classify path from an image file's bytes: fixnet's header
// checks, stb_image within the size limits, then the digit preprocessing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fixnet/mnist.h"
#include "fixnet/preprocess.h"
#include "image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fixnet_cli::DecodedImage image;
  std::string error;
  if (!fixnet_cli::decode_image(data, size, image, error)) {
    if (error.empty()) __builtin_trap();  // a refusal says why
    return 0;
  }
  float digit[fixnet::mnist::kSide * fixnet::mnist::kSide];
  const fixnet::Status s = fixnet::preprocess_digit(
      fixnet::ImageView{image.pixels.get(), image.width, image.height, image.channels}, digit);
  if (s.ok()) {
    for (float v : digit)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // the model's input range
  }
  return 0;
}
