// fixnet tests: MNIST-style preprocessing of drawn digits.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fixnet/preprocess.h"

using namespace fixnet;

namespace {

struct Segment {
  float x0, y0, x1, y1;  // in units of the digit's size (0..1)
};

// A "7": top bar and a diagonal, as a pen would draw it.
const std::vector<Segment> kSeven = {{0.0f, 0.0f, 1.0f, 0.0f}, {1.0f, 0.0f, 0.35f, 1.0f}};

// Draws `strokes` scaled to `size` pixels at (left, top) into a gray image
// (anti-aliased over one pixel), `ink` on `paper`.
std::vector<std::uint8_t> draw(int width, int height, float left, float top, float size, float pen,
                               const std::vector<Segment>& strokes, std::uint8_t ink, std::uint8_t paper) {
  std::vector<std::uint8_t> image(std::size_t(width * height), paper);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float nearest = 1e9f;
      for (const Segment& s : strokes) {
        const float ax = left + s.x0 * size, ay = top + s.y0 * size, bx = left + s.x1 * size, by = top + s.y1 * size;
        const float px = x + 0.5f - ax, py = y + 0.5f - ay, dx = bx - ax, dy = by - ay;
        float t = (px * dx + py * dy) / (dx * dx + dy * dy);
        t = std::fmin(1.0f, std::fmax(0.0f, t));
        nearest = std::fmin(nearest, std::hypot(px - t * dx, py - t * dy));
      }
      const float coverage = std::fmin(1.0f, std::fmax(0.0f, pen / 2 + 0.5f - nearest));
      image[std::size_t(y * width + x)] = std::uint8_t(std::lround(paper + (ink - paper) * coverage));
    }
  return image;
}

std::vector<float> preprocess(const std::vector<std::uint8_t>& pixels, int width, int height, int channels = 1) {
  std::vector<float> out(28 * 28, -1.0f);
  const Status s = preprocess_digit(ImageView{pixels.data(), width, height, channels}, out.data());
  REQUIRE(s.ok());
  return out;
}

// Bounding box and centre of mass of the ink in a 28x28 result.
struct Placement {
  int width = 0, height = 0;
  double centre_x = 0, centre_y = 0;
};

Placement placement(const std::vector<float>& d) {
  int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  double mass = 0, mx = 0, my = 0;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      const float v = d[std::size_t(y * 28 + x)];
      if (v <= 0) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  return Placement{x1 - x0 + 1, y1 - y0 + 1, mx / mass, my / mass};
}

double mean_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s / double(a.size());
}

}  // namespace

TEST_CASE("an image with nothing drawn reports no ink") {
  for (std::uint8_t level : {std::uint8_t(0), std::uint8_t(128), std::uint8_t(255)}) {
    std::vector<std::uint8_t> blank(64 * 48, level);
    for (std::size_t i = 0; i < blank.size(); i += 7) blank[i] = std::uint8_t(level > 127 ? level - 6 : level + 6);
    float out[28 * 28];
    const Status s = preprocess_digit(ImageView{blank.data(), 64, 48, 1}, out);
    CHECK(s.code == Error::no_ink);
    CHECK(std::string(s.message) == "preprocess: the image has no ink");
  }
}

TEST_CASE("a digit becomes MNIST-shaped: 20 px box, centre of mass at the centre") {
  const auto image = draw(100, 100, 30, 20, 50, 7, kSeven, 0, 255);
  const std::vector<float> d = preprocess(image, 100, 100);
  const Placement p = placement(d);
  CHECK(std::max(p.width, p.height) == 20);
  CHECK(p.centre_x == doctest::Approx(14.0).epsilon(0.04));  // within half a pixel
  CHECK(p.centre_y == doctest::Approx(14.0).epsilon(0.04));
  float strongest = 0;
  for (float v : d) strongest = std::fmax(strongest, v);
  CHECK(strongest == doctest::Approx(1.0).epsilon(0.01));  // ink is bright, as in MNIST
}

TEST_CASE("small, large and off-centre drawings of one digit give nearly the same input") {
  const std::vector<float> reference = preprocess(draw(100, 100, 25, 25, 50, 7, kSeven, 0, 255), 100, 100);
  struct Variant {
    int width, height;
    float left, top, size, pen;
  };
  const Variant variants[] = {{40, 40, 2, 3, 16, 2.3f},         // small, in a corner
                              {600, 400, 270, 40, 300, 42},     // large, off to the right
                              {300, 300, 10, 150, 120, 17}};    // low on the page
  for (const Variant& v : variants) {
    CAPTURE(v.size);
    const std::vector<float> d = preprocess(draw(v.width, v.height, v.left, v.top, v.size, v.pen, kSeven, 0, 255),
                                            v.width, v.height);
    CHECK(mean_abs_difference(d, reference) < 0.05);
    const Placement p = placement(d);
    CHECK(std::max(p.width, p.height) == 20);
  }
}

TEST_CASE("light-on-dark, dark-on-light and transparent canvases agree") {
  const auto dark_on_light = draw(80, 80, 15, 15, 50, 6, kSeven, 0, 255);
  const auto light_on_dark = draw(80, 80, 15, 15, 50, 6, kSeven, 255, 0);
  std::vector<std::uint8_t> rgba;  // a web canvas: black strokes on transparent pixels
  for (std::uint8_t g : dark_on_light) {
    const std::uint8_t alpha = std::uint8_t(255 - g);
    rgba.insert(rgba.end(), {0, 0, 0, alpha});
  }
  const std::vector<float> a = preprocess(dark_on_light, 80, 80), b = preprocess(light_on_dark, 80, 80),
                           c = preprocess(rgba, 80, 80, 4);
  CHECK(mean_abs_difference(a, b) < 1e-6);
  CHECK(mean_abs_difference(a, c) < 0.005);
}

TEST_CASE("a tall thin digit keeps its aspect ratio") {
  const std::vector<Segment> one = {{0.5f, 0.0f, 0.5f, 1.0f}};
  const Placement p = placement(preprocess(draw(60, 120, 10, 10, 90, 8, one, 0, 255), 60, 120));
  CHECK(p.height == 20);
  CHECK(p.width <= 3);
}

TEST_CASE("preprocessing refuses impossible images") {
  std::uint8_t pixel = 0;
  float out[28 * 28];
  CHECK(std::string(preprocess_digit(ImageView{&pixel, 1, 1, 5}, out).message) == "preprocess: channels must be 1..4");
  CHECK(std::string(preprocess_digit(ImageView{&pixel, 0, 1, 1}, out).message) ==
        "preprocess: image must be 1..32768 pixels a side");
  CHECK(std::string(preprocess_digit(ImageView{nullptr, 1, 1, 1}, out).message) ==
        "preprocess: null image or output");
}
