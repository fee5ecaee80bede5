// fixnet: a hand-drawn or photographed digit turned into an MNIST-style input.
#pragma once

#include <cstdint>

#include "fixnet/status.h"

namespace fixnet {

// 8-bit pixels, row-major, `channels` interleaved: 1 gray, 2 gray+alpha,
// 3 RGB, 4 RGBA. Transparent pixels count as white paper.
struct ImageView {
  const std::uint8_t* pixels = nullptr;
  int width = 0, height = 0, channels = 1;
};

constexpr int kDigitSide = 28;     // MNIST's field
constexpr int kDigitBox = 20;      // MNIST's digit box inside the field

// Writes out[28*28] in [0, 1], ink high, as MNIST was made: grayscale; a
// light background (judged from the border) is inverted so ink is bright;
// background level and faint noise removed; cropped to the ink's bounding
// box; the longer side scaled to 20 px keeping the aspect ratio (area
// averaging when shrinking, bilinear when enlarging); placed in the 28x28
// field with the ink's centre of mass at the centre. Error::no_ink when
// nothing stands out from the background.
Status preprocess_digit(const ImageView& image, float* out);

}  // namespace fixnet
