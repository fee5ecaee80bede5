// fixnet: MNIST-style preprocessing of a drawn or photographed digit.
#include "fixnet/preprocess.h"

#include <cmath>

namespace fixnet {

namespace {

constexpr float kNoInkContrast = 0.15f;  // ink must stand this far (of full scale) above the background
constexpr float kNoiseFloor = 0.2f;      // fraction of the ink's range treated as background

// Gray level in [0, 1] (0 black, 1 white), alpha composited over white.
float gray_at(const ImageView& im, int x, int y) {
  const std::uint8_t* p = im.pixels + (std::size_t(y) * std::size_t(im.width) + std::size_t(x)) * std::size_t(im.channels);
  float g, alpha = 1.0f;
  switch (im.channels) {
    case 1: g = p[0]; break;
    case 2: g = p[0]; alpha = p[1] / 255.0f; break;
    case 3: g = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]; break;
    default: g = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]; alpha = p[3] / 255.0f; break;
  }
  return (g / 255.0f) * alpha + (1.0f - alpha);
}

// Ink intensity in [0, 1]: gray (inverted for light backgrounds), with the
// background level and faint noise mapped to 0 and the strongest ink to 1.
struct InkMap {
  const ImageView* image;
  bool invert;
  float low, high;

  float at(int x, int y) const {
    float v = gray_at(*image, x, y);
    if (invert) v = 1.0f - v;
    v = (v - low) / (high - low);
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  }
};

// Mean ink of the source area [x0, x1) x [y0, y1) (real coordinates), each
// pixel weighted by how much of it the area covers.
float area_mean(const InkMap& ink, float x0, float x1, float y0, float y1) {
  double sum = 0.0, weight = 0.0;
  for (int y = int(std::floor(y0)); float(y) < y1; ++y) {
    const float wy = std::fmin(y1, float(y + 1)) - std::fmax(y0, float(y));
    if (wy <= 0.0f) continue;
    for (int x = int(std::floor(x0)); float(x) < x1; ++x) {
      const float wx = std::fmin(x1, float(x + 1)) - std::fmax(x0, float(x));
      if (wx <= 0.0f) continue;
      sum += double(wx * wy) * ink.at(x, y);
      weight += double(wx * wy);
    }
  }
  return weight > 0.0 ? float(sum / weight) : 0.0f;
}

// Bilinear sample at real coordinates (pixel centres at +0.5), clamped to the box.
float bilinear(const InkMap& ink, float x, float y, int bx0, int by0, int bx1, int by1) {
  x -= 0.5f;
  y -= 0.5f;
  const float fx = std::fmin(std::fmax(x, float(bx0)), float(bx1 - 1));
  const float fy = std::fmin(std::fmax(y, float(by0)), float(by1 - 1));
  const int x0 = int(fx), y0 = int(fy);
  const int x1 = x0 + 1 < bx1 ? x0 + 1 : x0, y1 = y0 + 1 < by1 ? y0 + 1 : y0;
  const float ax = fx - float(x0), ay = fy - float(y0);
  return (1 - ay) * ((1 - ax) * ink.at(x0, y0) + ax * ink.at(x1, y0)) +
         ay * ((1 - ax) * ink.at(x0, y1) + ax * ink.at(x1, y1));
}

}  // namespace

Status preprocess_digit(const ImageView& im, float* out) {
  if (im.pixels == nullptr || out == nullptr) return fail(Error::invalid_argument, "preprocess: null image or output");
  if (im.width < 1 || im.height < 1 || im.width > 32768 || im.height > 32768)
    return fail(Error::invalid_argument, "preprocess: image must be 1..32768 pixels a side");
  if (im.channels < 1 || im.channels > 4) return fail(Error::invalid_argument, "preprocess: channels must be 1..4");

  // Polarity and background level from the border.
  double border = 0.0;
  int border_count = 0;
  for (int x = 0; x < im.width; ++x) {
    border += gray_at(im, x, 0) + gray_at(im, x, im.height - 1);
    border_count += 2;
  }
  for (int y = 0; y < im.height; ++y) {
    border += gray_at(im, 0, y) + gray_at(im, im.width - 1, y);
    border_count += 2;
  }
  const float border_mean = float(border / border_count);
  InkMap ink{&im, border_mean > 0.5f, 0.0f, 1.0f};
  const float background = ink.invert ? 1.0f - border_mean : border_mean;
  float strongest = 0.0f;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) strongest = std::fmax(strongest, ink.at(x, y));
  if (strongest - background < kNoInkContrast) return fail(Error::no_ink, "preprocess: the image has no ink");
  ink.low = background + kNoiseFloor * (strongest - background);
  ink.high = strongest;

  // Bounding box of the ink.
  int bx0 = im.width, by0 = im.height, bx1 = -1, by1 = -1;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (ink.at(x, y) > 0.0f) {
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
      }
  ++bx1;
  ++by1;
  const int box_w = bx1 - bx0, box_h = by1 - by0;

  // Longer side to 20 pixels, keeping the aspect ratio.
  const float scale = float(kDigitBox) / float(box_w > box_h ? box_w : box_h);
  int out_w = int(std::lround(box_w * scale)), out_h = int(std::lround(box_h * scale));
  if (out_w < 1) out_w = 1;
  if (out_h < 1) out_h = 1;
  float box[kDigitBox * kDigitBox];
  double mass = 0.0, mass_x = 0.0, mass_y = 0.0;
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const float sx0 = bx0 + x / scale, sx1 = bx0 + (x + 1) / scale;
      const float sy0 = by0 + y / scale, sy1 = by0 + (y + 1) / scale;
      const float v = scale < 1.0f ? area_mean(ink, sx0, std::fmin(sx1, float(bx1)), sy0, std::fmin(sy1, float(by1)))
                                   : bilinear(ink, 0.5f * (sx0 + sx1), 0.5f * (sy0 + sy1), bx0, by0, bx1, by1);
      box[y * kDigitBox + x] = v;
      mass += v;
      mass_x += v * (x + 0.5);
      mass_y += v * (y + 0.5);
    }
  if (mass <= 0.0) return fail(Error::no_ink, "preprocess: the image has no ink");

  // Place with the centre of mass at the field's centre (14, 14).
  const int shift_x = int(std::lround(kDigitSide / 2.0 - mass_x / mass));
  const int shift_y = int(std::lround(kDigitSide / 2.0 - mass_y / mass));
  for (int i = 0; i < kDigitSide * kDigitSide; ++i) out[i] = 0.0f;
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const int tx = x + shift_x, ty = y + shift_y;
      if (tx >= 0 && ty >= 0 && tx < kDigitSide && ty < kDigitSide) out[ty * kDigitSide + tx] = box[y * kDigitBox + x];
    }
  return ok_status();
}

}  // namespace fixnet
