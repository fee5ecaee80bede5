// fixnet: max- and average-pooling, NHWC, vectorised across channels.
#include "fixnet/kernels.h"
#include "fixnet/simd.h"

namespace fixnet {

namespace {

// The input rows/columns a window covers, clipped to the image (padding never wins).
struct Window {
  int y0, y1, x0, x1;
};

Window window_at(const PoolGeometry& g, int oy, int ox) {
  Window w;
  w.y0 = oy * g.stride_h - g.pad_top;
  w.x0 = ox * g.stride_w - g.pad_left;
  w.y1 = w.y0 + g.kernel_h;
  w.x1 = w.x0 + g.kernel_w;
  if (w.y0 < 0) w.y0 = 0;
  if (w.x0 < 0) w.x0 = 0;
  if (w.y1 > g.input.height) w.y1 = g.input.height;
  if (w.x1 > g.input.width) w.x1 = g.input.width;
  return w;
}

// Calls f(window, x_image, out_offset) for every output pixel.
template <class F>
void for_each_window(const PoolGeometry& g, const float* x, F f) {
  const int c = g.input.channels;
  const std::ptrdiff_t image_size = std::ptrdiff_t(g.input.height) * g.input.width * c;
  std::ptrdiff_t out = 0;
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox, out += c) f(window_at(g, oy, ox), x + n * image_size, out);
}

}  // namespace

void max_pool_forward(const PoolGeometry& g, const float* x, float* y) {
  const int c = g.input.channels, w = g.input.width;
  for_each_window(g, x, [&](const Window& win, const float* image, std::ptrdiff_t out) {
    const float* first = image + (std::ptrdiff_t(win.y0) * w + win.x0) * c;
    int ch = 0;
    for (; ch + simd::kLanes <= c; ch += simd::kLanes) {
      simd::Vec m = simd::load(first + ch);
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix)
          m = simd::max(m, simd::load(image + (std::ptrdiff_t(iy) * w + ix) * c + ch));
      simd::store(y + out + ch, m);
    }
    for (; ch < c; ++ch) {
      float m = first[ch];
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          const float v = image[(std::ptrdiff_t(iy) * w + ix) * c + ch];
          if (v > m) m = v;
        }
      y[out + ch] = m;
    }
  });
}

void max_pool_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx) {
  const int c = g.input.channels, w = g.input.width;
  const std::ptrdiff_t image_size = std::ptrdiff_t(g.input.height) * w * c;
  // Overlapping windows add into dx; otherwise each input pixel is written by
  // at most one window, and when the windows tile the image, by exactly one.
  const bool overlapping = g.stride_h < g.kernel_h || g.stride_w < g.kernel_w;
  const bool tiled = g.stride_h == g.kernel_h && g.stride_w == g.kernel_w && g.pad_top == 0 && g.pad_left == 0 &&
                     g.output.height * g.stride_h >= g.input.height && g.output.width * g.stride_w >= g.input.width;
  if (!tiled)
    for (std::ptrdiff_t i = 0; i < image_size * g.n; ++i) dx[i] = 0.0f;
  for_each_window(g, x, [&](const Window& win, const float* image, std::ptrdiff_t out) {
    float* dx_image = dx + (image - x);
    const std::ptrdiff_t first = (std::ptrdiff_t(win.y0) * w + win.x0) * c;
    int ch = 0;
    for (; ch + simd::kLanes <= c; ch += simd::kLanes) {
      simd::Vec top = simd::load(image + first + ch);
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix)
          top = simd::max(top, simd::load(image + (std::ptrdiff_t(iy) * w + ix) * c + ch));
      // The gradient goes to the first position (in scan order) holding the maximum.
      const simd::Vec gradient = simd::load(dy + out + ch);
      simd::Mask taken = simd::no_lanes();
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          const std::ptrdiff_t at = (std::ptrdiff_t(iy) * w + ix) * c + ch;
          const simd::Mask hit = simd::and_not(simd::equal(simd::load(image + at), top), taken);
          taken = simd::either(taken, hit);
          const simd::Vec v = simd::select(hit, gradient);
          simd::store(dx_image + at, overlapping ? simd::add(simd::load(dx_image + at), v) : v);
        }
    }
    for (; ch < c; ++ch) {
      std::ptrdiff_t best = first + ch;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          const std::ptrdiff_t at = (std::ptrdiff_t(iy) * w + ix) * c + ch;
          if (image[at] > image[best]) best = at;
          if (!overlapping) dx_image[at] = 0.0f;
        }
      dx_image[best] += dy[out + ch];
    }
  });
}

void avg_pool_forward(const PoolGeometry& g, const float* x, float* y) {
  const int c = g.input.channels, w = g.input.width;
  for_each_window(g, x, [&](const Window& win, const float* image, std::ptrdiff_t out) {
    const float scale = 1.0f / float((win.y1 - win.y0) * (win.x1 - win.x0));
    int ch = 0;
    for (; ch + simd::kLanes <= c; ch += simd::kLanes) {
      simd::Vec sum = simd::zero();
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix)
          sum = simd::add(sum, simd::load(image + (std::ptrdiff_t(iy) * w + ix) * c + ch));
      simd::store(y + out + ch, simd::mul(sum, simd::broadcast(scale)));
    }
    for (; ch < c; ++ch) {
      float sum = 0.0f;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) sum += image[(std::ptrdiff_t(iy) * w + ix) * c + ch];
      y[out + ch] = sum * scale;
    }
  });
}

void avg_pool_backward(const PoolGeometry& g, const float* dy, float* dx) {
  const int c = g.input.channels, w = g.input.width;
  const std::ptrdiff_t image_size = std::ptrdiff_t(g.input.height) * w * c;
  for (std::ptrdiff_t i = 0; i < image_size * g.n; ++i) dx[i] = 0.0f;
  // for_each_window passes the input image it would read; dx has the same layout.
  for_each_window(g, dx, [&](const Window& win, const float* image, std::ptrdiff_t out) {
    float* dx_image = dx + (image - dx);
    const float scale = 1.0f / float((win.y1 - win.y0) * (win.x1 - win.x0));
    int ch = 0;
    for (; ch + simd::kLanes <= c; ch += simd::kLanes) {
      const simd::Vec share = simd::mul(simd::load(dy + out + ch), simd::broadcast(scale));
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          float* at = dx_image + (std::ptrdiff_t(iy) * w + ix) * c + ch;
          simd::store(at, simd::add(simd::load(at), share));
        }
    }
    for (; ch < c; ++ch) {
      const float share = dy[out + ch] * scale;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) dx_image[(std::ptrdiff_t(iy) * w + ix) * c + ch] += share;
    }
  });
}

void max_pool_forward_reference(const PoolGeometry& g, const float* x, float* y) {
  const int c = g.input.channels;
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          bool any = false;
          float m = 0;
          for (int ky = 0; ky < g.kernel_h; ++ky)
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int iy = oy * g.stride_h + ky - g.pad_top, ix = ox * g.stride_w + kx - g.pad_left;
              if (iy < 0 || ix < 0 || iy >= g.input.height || ix >= g.input.width) continue;
              const float v = x[((std::ptrdiff_t(n) * g.input.height + iy) * g.input.width + ix) * c + ch];
              if (!any || v > m) m = v;
              any = true;
            }
          y[((std::ptrdiff_t(n) * g.output.height + oy) * g.output.width + ox) * c + ch] = m;
        }
}

void max_pool_backward_reference(const PoolGeometry& g, const float* x, const float* dy, float* dx) {
  const int c = g.input.channels;
  const std::ptrdiff_t inputs = std::ptrdiff_t(g.n) * g.input.height * g.input.width * c;
  for (std::ptrdiff_t i = 0; i < inputs; ++i) dx[i] = 0.0f;
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          std::ptrdiff_t best = -1;
          for (int ky = 0; ky < g.kernel_h; ++ky)
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int iy = oy * g.stride_h + ky - g.pad_top, ix = ox * g.stride_w + kx - g.pad_left;
              if (iy < 0 || ix < 0 || iy >= g.input.height || ix >= g.input.width) continue;
              const std::ptrdiff_t at = ((std::ptrdiff_t(n) * g.input.height + iy) * g.input.width + ix) * c + ch;
              if (best < 0 || x[at] > x[best]) best = at;
            }
          dx[best] += dy[((std::ptrdiff_t(n) * g.output.height + oy) * g.output.width + ox) * c + ch];
        }
}

}  // namespace fixnet
