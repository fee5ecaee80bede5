// fixnet tests: kernels against hand-computed values, and the fast kernels
// against their scalar references on awkward sizes.
#include <doctest.h>

#include <algorithm>
#include <cmath>

#include "fixnet/kernels.h"
#include "fixnet/loss.h"
#include "test_util.h"

using namespace fixnet;
using fixnet_test::absolute;
using fixnet_test::max_error_of_sums;
using fixnet_test::max_relative_error;
using fixnet_test::random_values;

namespace {
// Sums of |terms| of a convolution's outputs and of its input gradient (the
// references run on absolute values), to measure their rounding against.
std::vector<float> forward_magnitudes(const ConvGeometry& g, const std::vector<float>& x, const std::vector<float>& w,
                                      const std::vector<float>& b) {
  std::vector<float> m(std::size_t(g.n) * g.output.size());
  conv2d_forward_reference(g, absolute(x).data(), absolute(w).data(), absolute(b).data(), m.data());
  return m;
}
std::vector<float> input_gradient_magnitudes(const ConvGeometry& g, const std::vector<float>& dy,
                                             const std::vector<float>& w) {
  std::vector<float> m(std::size_t(g.n) * g.input.size());
  conv2d_backward_input_reference(g, absolute(dy).data(), absolute(w).data(), m.data());
  return m;
}
std::vector<float> filter_gradient_magnitudes(const ConvGeometry& g, const std::vector<float>& x,
                                              const std::vector<float>& dy) {
  std::vector<float> m(std::size_t(g.kernel_h) * g.kernel_w * g.input.channels * g.output.channels),
      db(std::size_t(g.output.channels));
  conv2d_backward_filter_reference(g, absolute(x).data(), absolute(dy).data(), m.data(), db.data());
  return m;
}
}  // namespace

TEST_CASE("SAME and VALID follow TensorFlow's output sizes and padding") {
  // (in, window, stride) -> TensorFlow's out and padding before.
  CHECK(window_output_size(28, 5, 1, Padding::same) == 28);
  CHECK(window_padding_before(28, 5, 1, Padding::same) == 2);
  CHECK(window_output_size(28, 2, 2, Padding::same) == 14);
  CHECK(window_padding_before(28, 2, 2, Padding::same) == 0);
  CHECK(window_output_size(7, 2, 2, Padding::same) == 4);
  CHECK(window_padding_before(7, 2, 2, Padding::same) == 0);  // the odd pixel of padding goes after
  CHECK(window_output_size(5, 3, 2, Padding::same) == 3);
  CHECK(window_padding_before(5, 3, 2, Padding::same) == 1);
  CHECK(window_padding_before(6, 4, 1, Padding::same) == 1);  // total 3: 1 before, 2 after
  CHECK(window_padding_before(8, 5, 2, Padding::same) == 1);  // total 3: 1 before, 2 after
  CHECK(window_output_size(7, 3, 2, Padding::valid) == 3);
  CHECK(window_output_size(6, 2, 3, Padding::valid) == 2);
  CHECK(window_padding_before(7, 3, 2, Padding::valid) == 0);
}

TEST_CASE("a tiny SAME convolution equals the hand-computed result") {
  // x: 3x3, one channel, 1..9. Two 2x2 filters: f0 = [[1, 0], [0, -1]] with bias
  // 0.5, f1 = [[0, 1], [1, 0]] with bias -1. SAME pads one row and column after.
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  // w[ky][kx][c=0][f]
  const float w[8] = {1, 0, /* (0,1) */ 0, 1, /* (1,0) */ 0, 1, /* (1,1) */ -1, 0};
  const float b[2] = {0.5f, -1.0f};
  const float expected[18] = {
      // f0 = x[y][x] - x[y+1][x+1] + 0.5; f1 = x[y][x+1] + x[y+1][x] - 1
      -3.5f, 5.0f,  -3.5f, 7.0f,  3.5f, 5.0f,  // row 0
      -3.5f, 11.0f, -3.5f, 13.0f, 6.5f, 8.0f,  // row 1
      7.5f,  7.0f,  8.5f,  8.0f,  9.5f, -1.0f,  // row 2
  };
  const ConvGeometry g = conv_geometry(conv2d(2, 2, 2, 1, Padding::same), Dims{3, 3, 1}, 1);
  REQUIRE(g.output == (Dims{3, 3, 2}));
  fixnet_test::TestScratch scratch;
  float y[18], y_ref[18];
  conv2d_forward(g, x, w, b, y, false, scratch.get(), Parallel{});
  conv2d_forward_reference(g, x, w, b, y_ref);
  for (int i = 0; i < 18; ++i) {
    CAPTURE(i);
    CHECK(y[i] == expected[i]);
    CHECK(y_ref[i] == expected[i]);
  }
  // With the fused ReLU, negatives become 0.
  conv2d_forward(g, x, w, b, y, true, scratch.get(), Parallel{});
  for (int i = 0; i < 18; ++i) CHECK(y[i] == std::fmax(expected[i], 0.0f));
}

TEST_CASE("max-pooling with SAME padding never lets the padding win") {
  // All inputs negative: a zero-padded pool would return 0 at the edges.
  const float x[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  const PoolGeometry g = pool_geometry(max_pool(2, 2, Padding::same), Dims{3, 3, 1}, 1);
  REQUIRE(g.output == (Dims{2, 2, 1}));
  float y[4], y_ref[4];
  max_pool_forward(g, x, y);
  max_pool_forward_reference(g, x, y_ref);
  const float expected[4] = {-1, -3, -7, -9};
  for (int i = 0; i < 4; ++i) {
    CHECK(y[i] == expected[i]);
    CHECK(y_ref[i] == expected[i]);
  }
  // The gradient goes to each window's maximum only.
  const float dy[4] = {1, 2, 3, 4};
  float dx[9];
  max_pool_backward(g, x, dy, dx);
  const float expected_dx[9] = {1, 0, 2, 0, 0, 0, 3, 0, 4};
  for (int i = 0; i < 9; ++i) CHECK(dx[i] == expected_dx[i]);
}

TEST_CASE("average-pooling averages the cells inside the image, globally too") {
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  // SAME on 3x3 pads one row and column after: windows of 4, 2, 2 and 1 cells.
  const PoolGeometry g = pool_geometry(avg_pool(2, 2), Dims{3, 3, 1}, 1);
  REQUIRE(g.output == (Dims{2, 2, 1}));
  float y[4];
  avg_pool_forward(g, x, y);
  const float expected[4] = {3.0f, 4.5f, 7.5f, 9.0f};  // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9
  for (int i = 0; i < 4; ++i) CHECK(y[i] == expected[i]);
  const float dy[4] = {4, 2, 6, 1};
  float dx[9];
  avg_pool_backward(g, dy, dx);
  const float expected_dx[9] = {1, 1, 1, 1, 1, 1, 3, 3, 1};
  for (int i = 0; i < 9; ++i) CHECK(dx[i] == expected_dx[i]);
  // Global: (1, 1, 2) from two channels of 3x3 (the second is 10 x the first).
  float two[18], mean[2];
  for (int i = 0; i < 9; ++i) {
    two[2 * i] = x[i];
    two[2 * i + 1] = 10 * x[i];
  }
  const PoolGeometry global = pool_geometry(global_avg_pool(), Dims{3, 3, 2}, 1);
  REQUIRE(global.output == (Dims{1, 1, 2}));
  avg_pool_forward(global, two, mean);
  CHECK(mean[0] == 5.0f);
  CHECK(mean[1] == 50.0f);
}

TEST_CASE("sigmoid and tanh: their values, saturation without NaN, derivatives from outputs") {
  const float x[6] = {0.0f, 1.0f, -1.0f, 100.0f, -100.0f, -1000.0f};
  float s[6], t[6];
  sigmoid_forward(6, x, s);
  tanh_forward(6, x, t);
  CHECK(s[0] == 0.5f);
  CHECK(s[1] == doctest::Approx(0.7310585786).epsilon(1e-7));
  CHECK(s[2] == doctest::Approx(0.2689414214).epsilon(1e-7));
  CHECK(s[3] == 1.0f);
  CHECK((s[4] >= 0.0f && s[4] < 1e-40f));  // e^-100: tiny (or flushed to 0), never 0 / 0
  CHECK(s[5] == 0.0f);
  CHECK(t[0] == 0.0f);
  CHECK(t[1] == doctest::Approx(0.7615941560).epsilon(1e-7));
  CHECK(t[3] == 1.0f);
  CHECK(t[5] == -1.0f);
  const float dy[6] = {2, 2, 2, 2, 2, 2};
  float ds[6], dt[6];
  sigmoid_backward(6, s, dy, ds);
  tanh_backward(6, t, dy, dt);
  CHECK(ds[0] == 0.5f);  // 2 * 0.5 * 0.5
  CHECK(dt[0] == 2.0f);  // 2 * (1 - 0)
  CHECK(ds[3] == 0.0f);
  CHECK(dt[5] == 0.0f);
}

TEST_CASE("mean squared error: its value and gradient by hand") {
  const float outputs[4] = {1, 2, 0, 3}, targets[4] = {0, 4, 0, 3};
  float gradient[4];
  // ((1)^2 + (-2)^2 + 0 + 0) / 4 over 2 rows of 2.
  CHECK(mean_squared_error(outputs, targets, 2, 2, gradient) == 1.25f);
  const float expected[4] = {0.5f, -1.0f, 0.0f, 0.0f};  // 2 (y - t) / 4
  for (int i = 0; i < 4; ++i) CHECK(gradient[i] == expected[i]);
}

TEST_CASE("softmax cross-entropy stays exact for logits near 1e4") {
  const float logits[6] = {1e4f, 1e4f - 1, 1e4f - 2, -1e4f, 1e4f, 1e4f};
  const std::uint8_t labels[2] = {0, 0};
  float gradient[6];
  const float loss = softmax_cross_entropy(logits, labels, 2, 3, gradient);
  // Row 0: -log(1 / (1 + e^-1 + e^-2)); row 1: label logit -2e4 below the rest.
  const double row0 = std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
  const double row1 = 2e4 + std::log(2.0);
  CHECK(std::isfinite(loss));
  CHECK(loss == doctest::Approx((row0 + row1) / 2).epsilon(1e-6));
  const double z = 1.0 + std::exp(-1.0) + std::exp(-2.0);
  CHECK(gradient[0] == doctest::Approx((1.0 / z - 1.0) / 2).epsilon(1e-5));
  CHECK(gradient[1] == doctest::Approx((std::exp(-1.0) / z) / 2).epsilon(1e-5));
  CHECK(gradient[3] == doctest::Approx(-0.5).epsilon(1e-6));
  CHECK(gradient[4] == doctest::Approx(0.25).epsilon(1e-6));
  float probabilities[6];
  softmax(logits, 2, 3, probabilities);
  CHECK(probabilities[0] == doctest::Approx(1.0 / z).epsilon(1e-6));
  CHECK(probabilities[3] == 0.0f);
  CHECK(probabilities[4] == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(argmax(logits, 3) == 0);
  CHECK(count_correct(logits, labels, 2, 3) == 1);
}

TEST_CASE("the matrix-multiply core matches the reference on awkward sizes") {
  fixnet_test::TestScratch scratch;
  const int sizes[] = {1, 3, 7, 13, 17, 33, 65, 300};
  for (int m : sizes)
    for (int n : {1, 5, 16, 31, 33, 70, 300})
      for (int k : {1, 9, 257, 600}) {
        CAPTURE(m);
        CAPTURE(n);
        CAPTURE(k);
        std::vector<float> a = random_values(std::size_t(m) * k, 20);
        const std::vector<float> b = random_values(std::size_t(k) * n, 21);
        // Zeros like a ReLU's, some in whole columns: the streaming path skips those.
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < k; ++j)
            if (j % 4 == 1 || (i + j) % 3 == 0) a[std::size_t(i) * k + j] = 0.0f;
        std::vector<float> c = random_values(std::size_t(m) * n, 22), c_ref = c;
        const bool accumulate = (m + n + k) % 2 == 0;
        matmul(m, n, k, a.data(), b.data(), c.data(), accumulate, scratch.get(), Parallel{});
        matmul_reference(m, n, k, a.data(), b.data(), c_ref.data(), accumulate);
        CHECK(max_relative_error(c.data(), c_ref.data(), c.size()) < 1e-5 * std::sqrt(double(k)) + 1e-6);
      }
}

TEST_CASE("fast convolution and pooling match their references") {
  fixnet_test::TestScratch scratch;
  struct Case {
    Dims input;
    int filters, kernel, stride;
    Padding padding;
  };
  const Case cases[] = {{{28, 28, 1}, 32, 5, 1, Padding::same}, {{14, 14, 32}, 64, 5, 1, Padding::same},
                        {{9, 11, 3}, 7, 3, 2, Padding::same},   {{10, 10, 5}, 17, 4, 3, Padding::valid},
                        {{5, 5, 1}, 1, 1, 1, Padding::same},    {{7, 13, 3}, 64, 4, 1, Padding::valid},
                        {{6, 9, 2}, 64, 4, 1, Padding::same},   {{7, 10, 64}, 32, 4, 1, Padding::valid},
                        {{6, 9, 32}, 64, 4, 1, Padding::same},
                        // Filters a whole number of vectors but not of kernel tiles (the last
                        // tile narrower): the micro preset's layers, 3 vectors, 3 and 5 of 4 lanes.
                        {{28, 28, 1}, 16, 5, 1, Padding::same}, {{14, 14, 16}, 32, 5, 1, Padding::same},
                        {{6, 9, 16}, 48, 3, 1, Padding::same},  {{8, 8, 3}, 12, 3, 1, Padding::same},
                        {{7, 7, 4}, 20, 3, 1, Padding::valid}};
  for (const Case& c : cases) {
    CAPTURE(c.input.channels);
    CAPTURE(c.filters);
    const LayerSpec layer = conv2d(c.filters, c.kernel, c.kernel, c.stride, c.padding);
    const ConvGeometry g = conv_geometry(layer, c.input, 3);
    const std::size_t nx = std::size_t(g.n) * c.input.size(), ny = std::size_t(g.n) * g.output.size();
    const std::vector<float> x = random_values(nx, 30), w = random_values(layer_weight_count(layer, c.input), 31),
                             b = random_values(std::size_t(c.filters), 32), dy = random_values(ny, 33);
    std::vector<float> y(ny), y_ref(ny), dx(nx), dx_ref(nx), dw(w.size()), dw_ref(w.size()), db(b.size()),
        db_ref(b.size());
    conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), false, scratch.get(), Parallel{});
    conv2d_forward_reference(g, x.data(), w.data(), b.data(), y_ref.data());
    CHECK(max_error_of_sums(y.data(), y_ref.data(), forward_magnitudes(g, x, w, b).data(), ny) < 1e-5);
    conv2d_backward_filter(g, x.data(), dy.data(), dw.data(), db.data(), scratch.get(), Parallel{});
    conv2d_backward_filter_reference(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    CHECK(max_error_of_sums(dw.data(), dw_ref.data(), filter_gradient_magnitudes(g, x, dy).data(), dw.size()) < 1e-5);
    CHECK(max_relative_error(db.data(), db_ref.data(), db.size()) < 1e-4);
    conv2d_backward_input(g, dy.data(), w.data(), dx.data(), scratch.get(), Parallel{});
    conv2d_backward_input_reference(g, dy.data(), w.data(), dx_ref.data());
    CHECK(max_error_of_sums(dx.data(), dx_ref.data(), input_gradient_magnitudes(g, dy, w).data(), nx) < 1e-5);

    const PoolGeometry pg = pool_geometry(max_pool(c.kernel, c.stride, c.padding), c.input, 3);
    const std::size_t np = std::size_t(pg.n) * pg.output.size();
    std::vector<float> p(np), p_ref(np);
    max_pool_forward(pg, x.data(), p.data());
    max_pool_forward_reference(pg, x.data(), p_ref.data());
    CHECK(max_relative_error(p.data(), p_ref.data(), np) == 0.0);
    const std::vector<float> dp = random_values(np, 34);
    max_pool_backward(pg, x.data(), dp.data(), dx.data());
    max_pool_backward_reference(pg, x.data(), dp.data(), dx_ref.data());
    CHECK(max_relative_error(dx.data(), dx_ref.data(), nx) < 1e-6);
  }
}

TEST_CASE("5x5 convolutions by Winograd's method (forward, both gradients) match the reference within rounding; forward and input gradient the same on any worker count" * doctest::skip(fixnet_test::kSmallMemory)) {
  struct Case {
    Dims input;
    int filters;
    Padding padding;
    int n;
  };
  // The tutorial's second layer (one image, and five: 4 tile blocks, so 3
  // workers take 3 parts), its input gradient's shape, tiles cut by odd
  // output sizes, an image smaller than a tile block.
  const Case cases[] = {{{14, 14, 32}, 64, Padding::same, 1},  {{14, 14, 32}, 64, Padding::same, 5},
                        {{14, 14, 64}, 32, Padding::same, 2},  {{9, 11, 32}, 32, Padding::valid, 2},
                        {{7, 5, 32}, 64, Padding::same, 3},    {{5, 6, 32}, 32, Padding::same, 1}};
  for (const Case& c : cases) {
    CAPTURE(c.input.height);
    CAPTURE(c.input.channels);
    CAPTURE(c.n);
    const ConvGeometry g = conv_geometry(conv2d(c.filters, 5, 5, 1, c.padding), c.input, c.n);
    REQUIRE(conv2d_winograd_applies(g));
    REQUIRE(conv2d_winograd_applies(conv2d_input_gradient_geometry(g)));
    const std::size_t nx = std::size_t(g.n) * c.input.size(), ny = std::size_t(g.n) * g.output.size();
    const std::vector<float> x = random_values(nx, 70), w = random_values(std::size_t(25) * c.input.channels * c.filters, 71),
                             b = random_values(std::size_t(c.filters), 72), dy = random_values(ny, 73);
    std::vector<float> y_ref(ny), dx_ref(nx), dw_ref(w.size()), db_ref(b.size()), y_first, dx_first, dw_first;
    conv2d_forward_reference(g, x.data(), w.data(), b.data(), y_ref.data());
    conv2d_backward_input_reference(g, dy.data(), w.data(), dx_ref.data());
    conv2d_backward_filter_reference(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    const std::vector<float> y_magnitude = forward_magnitudes(g, x, w, b), dx_magnitude = input_gradient_magnitudes(g, dy, w),
                             dw_magnitude = filter_gradient_magnitudes(g, x, dy);
    for (int workers : {1, 2, 3}) {
      CAPTURE(workers);
      // Scratch exactly as a plan sizes it: it admits the Winograd path.
      fixnet_test::TestScratch scratch(workers, conv2d_gemm_needs(g, workers));
      const Parallel parallel = fixnet_test::simulated_workers(workers);
      std::vector<float> y(ny), y_relu(ny), dx(nx), dw(w.size()), db(b.size());
      conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), false, scratch.get(), parallel);
      CHECK(max_error_of_sums(y.data(), y_ref.data(), y_magnitude.data(), ny) < 1e-5);
      conv2d_forward(g, x.data(), w.data(), b.data(), y_relu.data(), true, scratch.get(), parallel);
      for (std::size_t i = 0; i < ny; ++i) REQUIRE(y_relu[i] == std::fmax(y[i], 0.0f));
      conv2d_backward_input(g, dy.data(), w.data(), dx.data(), scratch.get(), parallel);
      CHECK(max_error_of_sums(dx.data(), dx_ref.data(), dx_magnitude.data(), nx) < 1e-5);
      conv2d_backward_filter(g, x.data(), dy.data(), dw.data(), db.data(), scratch.get(), parallel);
      // Summed in the transformed domain, a small image's edge weights (few
      // terms) carry rounding from the larger ones: 1.3e-5 measured on 5x6.
      CHECK(max_error_of_sums(dw.data(), dw_ref.data(), dw_magnitude.data(), dw.size()) < 3e-5);
      CHECK(max_relative_error(db.data(), db_ref.data(), db.size()) < 1e-5);
      if (workers == 1) {
        y_first = y;
        dx_first = dx;
        dw_first = dw;
      }
      CHECK(y == y_first);
      CHECK(dx == dx_first);
      // The filter gradient's sum order follows the worker count only, not
      // which worker runs which task.
      std::vector<float> dw_one_worker(w.size());
      fixnet_test::TestScratch fresh(workers, conv2d_gemm_needs(g, workers));  // nothing left from the runs above
      conv2d_backward_filter(g, x.data(), dy.data(), dw_one_worker.data(), db.data(), fresh.get(),
                             fixnet_test::simulated_workers(workers, true));
      CHECK(dw_one_worker == dw);
    }
    // With no room for the transforms the direct paths run: they round
    // differently, so the planned scratch did take the Winograd paths.
    fixnet_test::TestScratch small(1, conv2d_winograd_gradient_floats(g, 1) - 1, conv2d_winograd_filter_floats(g) - 1, 0);
    std::vector<float> y_direct(ny);
    conv2d_forward(g, x.data(), w.data(), b.data(), y_direct.data(), false, small.get(), Parallel{});
    CHECK(max_error_of_sums(y_direct.data(), y_ref.data(), y_magnitude.data(), ny) < 1e-5);
    CHECK(y_direct != y_first);
    std::vector<float> dw_direct(w.size()), db_direct(b.size());
    conv2d_backward_filter(g, x.data(), dy.data(), dw_direct.data(), db_direct.data(), small.get(), Parallel{});
    CHECK(max_error_of_sums(dw_direct.data(), dw_ref.data(), dw_magnitude.data(), w.size()) < 1e-5);
    CHECK(dw_direct != dw_first);
  }
}

TEST_CASE("a convolution over no images writes no output and a zero filter gradient") {
  for (int workers : {1, 2}) {
    fixnet_test::TestScratch scratch(workers);
    const Parallel parallel = fixnet_test::simulated_workers(workers);
    for (int stride : {1, 2}) {  // the unpacked path and the packed one
      CAPTURE(workers);
      CAPTURE(stride);
      const ConvGeometry g = conv_geometry(conv2d(64, 3, 3, stride, Padding::same), Dims{6, 6, 4}, 0);
      std::vector<float> dw(3 * 3 * 4 * 64, 7.0f), db(64, 7.0f), w(dw.size(), 1.0f), bias(64, 1.0f), guard(1, 7.0f);
      conv2d_backward_filter(g, nullptr, nullptr, dw.data(), db.data(), scratch.get(), parallel);
      CHECK(std::count(dw.begin(), dw.end(), 0.0f) == std::ptrdiff_t(dw.size()));
      CHECK(std::count(db.begin(), db.end(), 0.0f) == 64);
      conv2d_forward(g, nullptr, w.data(), bias.data(), guard.data(), true, scratch.get(), parallel);
      conv2d_backward_input(g, nullptr, w.data(), guard.data(), scratch.get(), parallel);
      CHECK(guard[0] == 7.0f);
    }
  }
}

TEST_CASE("a dense layer on one example (bias, ReLU, zero inputs) matches the reference, the same on any worker count" * doctest::skip(fixnet_test::kSmallMemory)) {
  const int inputs = 700;  // over gemm::kSweepSplitK on every target: summed in two halves
  std::vector<float> x = random_values(inputs, 60);
  for (int i = 0; i < inputs; i += 3) x[std::size_t(i)] = 0.0f;  // ReLU-like zeros, whose rows are skipped
  std::vector<float> one_worker[3];
  for (int workers : {1, 2, 3}) {
    fixnet_test::TestScratch scratch(workers);
    const Parallel parallel = fixnet_test::simulated_workers(workers);
    for (int units : {10, 301, 1024}) {  // narrower than a register tile, then the one-row sweep
      CAPTURE(workers);
      CAPTURE(units);
      const std::vector<float> w = random_values(std::size_t(inputs) * units, 61), b = random_values(units, 62);
      std::vector<float> y(b.size()), y_ref = b;
      dense_forward(1, inputs, units, x.data(), w.data(), b.data(), y.data(), true, scratch.get(), parallel);
      matmul_reference(1, units, inputs, x.data(), w.data(), y_ref.data(), true);
      for (float& v : y_ref) v = std::fmax(v, 0.0f);
      CHECK(max_relative_error(y.data(), y_ref.data(), y.size()) < 1e-4);
      const auto zeros = std::count(y_ref.begin(), y_ref.end(), 0.0f);
      CHECK((zeros > 0 && zeros < units));  // the ReLU clamped some outputs, not all
      std::vector<float>& first = one_worker[units == 10 ? 0 : units == 301 ? 1 : 2];
      if (workers == 1) first = y;
      CHECK(y == first);
      // Without partial sums at hand the sum over K runs whole: the same values.
      GemmScratch whole = scratch.get();
      whole.partial = nullptr;
      whole.partial_capacity = 0;
      dense_forward(1, inputs, units, x.data(), w.data(), b.data(), y.data(), true, whole, parallel);
      CHECK(max_relative_error(y.data(), y_ref.data(), y.size()) < 1e-4);
    }
  }
}

TEST_CASE("a dense layer's gradients match the reference on awkward sizes, dx the same on any worker count" * doctest::skip(fixnet_test::kSmallMemory)) {
  // With few examples, and dy^T fitting the planned B panel, dx = dy . w^T is
  // computed transposed with w read in place; 200 examples are more than that
  // path takes on any target, and some shapes' panels are too small: those
  // fall back to the general product. The scratch is sized as a plan sizes it.
  for (int n : {1, 3, 13, 50, 200})
    for (int inputs : {1, 7, 33, 301})
      for (int units : {1, 9, 257, 600}) {
        const std::vector<float> x = random_values(std::size_t(n) * inputs, 63),
                                 w = random_values(std::size_t(inputs) * units, 64),
                                 dy = random_values(std::size_t(n) * units, 65);
        std::vector<float> w_transposed(w.size()), x_transposed(x.size());
        for (int i = 0; i < inputs; ++i) {
          for (int u = 0; u < units; ++u) w_transposed[std::size_t(u) * inputs + i] = w[std::size_t(i) * units + u];
          for (int e = 0; e < n; ++e) x_transposed[std::size_t(i) * n + e] = x[std::size_t(e) * inputs + i];
        }
        std::vector<float> dx_ref(x.size()), dw_ref(w.size()), db_ref(dy.size() / std::size_t(n), 0.0f), ones(n, 1.0f);
        matmul_reference(n, inputs, units, dy.data(), w_transposed.data(), dx_ref.data(), false);
        matmul_reference(inputs, units, n, x_transposed.data(), dy.data(), dw_ref.data(), false);
        matmul_reference(1, units, n, ones.data(), dy.data(), db_ref.data(), false);
        std::vector<float> dx_one_worker;
        for (int workers : {1, 2, 3}) {
          CAPTURE(n);
          CAPTURE(inputs);
          CAPTURE(units);
          CAPTURE(workers);
          fixnet_test::TestScratch scratch(workers, dense_gemm_needs(n, inputs, units, workers));
          std::vector<float> dw(w.size()), db(db_ref.size()), dx(x.size());
          dense_backward(n, inputs, units, x.data(), w.data(), dy.data(), dw.data(), db.data(), dx.data(),
                         scratch.get(), fixnet_test::simulated_workers(workers));
          const double tolerance = 1e-5 * std::sqrt(double(std::max(units, n))) + 1e-6;
          CHECK(max_relative_error(dx.data(), dx_ref.data(), dx.size()) < tolerance);
          CHECK(max_relative_error(dw.data(), dw_ref.data(), dw.size()) < tolerance);
          CHECK(max_relative_error(db.data(), db_ref.data(), db.size()) < tolerance);
          // The transposed path's sums do not depend on the worker count (the
          // general product's split over K does).
          const bool transposed = n <= gemm::kMC && std::size_t(gemm::round_up(n, gemm::kNR)) *
                                                          std::size_t(units) <= scratch.b[0].size();
          if (workers == 1) dx_one_worker = dx;
          if (transposed) CHECK(dx == dx_one_worker);
        }
      }
}

TEST_CASE("a dense layer's backward pass with the update hands every weight's gradient over once, after dx used it" * doctest::skip(fixnet_test::kSmallMemory)) {
  struct Shape {
    int n, inputs, units;
    bool room;  // scratch for the strips, else the stored gradient in one piece
  };
  // A partial last sliver of columns; fewer inputs than a strip; no examples;
  // several slivers of dy^T; more examples than the plain input gradient
  // reads w in place for; no room for the strips.
  const Shape shapes[] = {{5, 150, 1100, true},           {3, 7, 10, true},
                          {0, 9, 40, true},               {2 * gemm::kNR + 3, 150, 1100, true},
                          {gemm::kMC + 5, 40, 300, true}, {4, 30, 70, false}};
  for (const Shape& s : shapes) {
    for (int workers : {1, 2, 3}) {
      CAPTURE(s.n);
      CAPTURE(s.inputs);
      CAPTURE(workers);
      const std::size_t count = std::size_t(s.inputs) * std::size_t(s.units);
      const std::vector<float> x = random_values(std::size_t(s.n) * s.inputs, 80),
                               dy = random_values(std::size_t(s.n) * s.units, 81), w0 = random_values(count, 82);
      std::vector<float> dw(count, std::nanf("")), db(std::size_t(s.units)), dx(std::size_t(s.n) * s.inputs), dw_plain(count),
          db_plain(db.size()), dx_plain(dx.size()), seen(count, -1.0f), w = w0;
      std::vector<int> times(count, 0);
      // The update spoils the weights it is handed: dx must not see that.
      struct Record {
        float* w;
        float* seen;
        int* times;
      } record{w.data(), seen.data(), times.data()};
      GradientUpdate update;
      update.context = &record;
      update.call = [](void* context, std::size_t first, std::size_t n, const float* gradient) {
        const Record& r = *static_cast<const Record*>(context);
        for (std::size_t i = 0; i < n; ++i) {
          r.seen[first + i] = gradient[i];
          ++r.times[first + i];
          r.w[first + i] = std::nanf("");
        }
      };
      const GemmNeeds needs = dense_gemm_needs(s.n, s.inputs, s.units, workers);
      fixnet_test::TestScratch scratch(workers, s.room ? needs.a : dense_update_floats(s.n, s.units) - 1,
                                       max_size(needs.b, needs.split_b), needs.partial);
      const Parallel parallel = fixnet_test::simulated_workers(workers);
      dense_backward_update(s.n, s.inputs, s.units, x.data(), w.data(), dy.data(), dw.data(), db.data(), dx.data(),
                            scratch.get(), parallel, update);
      dense_backward(s.n, s.inputs, s.units, x.data(), w0.data(), dy.data(), dw_plain.data(), db_plain.data(),
                     dx_plain.data(), scratch.get(), parallel);
      CHECK(std::count(times.begin(), times.end(), 1) == std::ptrdiff_t(count));
      CHECK(seen == dw_plain);
      // The strips leave dw alone; without room (or examples), it holds the gradient.
      if (s.room && s.n > 0) {
        CHECK(std::all_of(dw.begin(), dw.end(), [](float v) { return std::isnan(v); }));
      } else {
        CHECK(dw == dw_plain);
      }
      // The plain input gradient sums in K blocks beyond kMC examples.
      if (s.n <= gemm::kMC) {
        CHECK(dx == dx_plain);
      } else {
        CHECK(max_relative_error(dx.data(), dx_plain.data(), dx.size()) < 1e-5);
      }
      CHECK(db == db_plain);
    }
  }
}

TEST_CASE("element-wise kernels compute their definitions") {
  const std::size_t count = 37;
  const std::vector<float> x = random_values(count, 40), dy = random_values(count, 41);
  std::vector<float> y(count), dx(count);
  relu_forward(count, x.data(), y.data());
  relu_backward(count, y.data(), dy.data(), dx.data());
  for (std::size_t i = 0; i < count; ++i) {
    CHECK(y[i] == (x[i] > 0 ? x[i] : 0.0f));
    CHECK(dx[i] == (x[i] > 0 ? dy[i] : 0.0f));
  }
  // Columns of whole vectors and a partial one, shared among 1-3 workers.
  const std::vector<float> m = random_values(7 * 37, 42);
  std::vector<float> first;
  for (int workers : {1, 2, 3}) {
    CAPTURE(workers);
    std::vector<float> column(37, -1.0f);
    column_sums(7, 37, m.data(), column.data(), fixnet_test::simulated_workers(workers));
    for (int j = 0; j < 37; ++j) {
      float s = 0;
      for (int i = 0; i < 7; ++i) s += m[std::size_t(i * 37 + j)];
      CHECK(column[std::size_t(j)] == doctest::Approx(s).epsilon(1e-6));
    }
    if (workers == 1) first = column;
    CHECK(column == first);
  }
}

TEST_CASE("work split among workers gives the serial results" * doctest::skip(fixnet_test::kSmallMemory)) {
  // Shapes that split rows, columns (few rows: B read in place, or packed by
  // each task for its own columns) and the sum over K (tiny C, or few rows
  // and a long sum with a partial last strip: gemm::long_sum).
  struct Shape {
    int m, n, k;
  };
  const Shape shapes[] = {{300, 70, 600}, {7, 900, 300},  {60, 300, 257}, {25, 32, 5000},
                          {1, 10, 2000},  {3, 1100, 300}, {1, 301, 700},  {30, 300, 5001}};
  static_assert(gemm::long_sum(30, 5001, 5) && 5001 % gemm::kMR != 0, "a long sum, cut mid-strip");
  for (int workers : {2, 3, 5}) {
    fixnet_test::TestScratch scratch(workers);
    const Parallel parallel = fixnet_test::simulated_workers(workers);
    for (const Shape& s : shapes) {
      CAPTURE(workers);
      CAPTURE(s.m);
      const std::vector<float> a = random_values(std::size_t(s.m) * s.k, 50), b = random_values(std::size_t(s.k) * s.n, 51);
      std::vector<float> c = random_values(std::size_t(s.m) * s.n, 52), c_ref = c;
      matmul(s.m, s.n, s.k, a.data(), b.data(), c.data(), true, scratch.get(), parallel);
      matmul_reference(s.m, s.n, s.k, a.data(), b.data(), c_ref.data(), true);
      CHECK(max_relative_error(c.data(), c_ref.data(), c.size()) < 1e-4);
    }
    // The tutorial CNN's first layer: its filter gradient splits the images
    // (whichever worker runs a part), or the tiles when the scratch has no
    // room for the parts' sums.
    const LayerSpec layer = conv2d(32, 5, 5, 1, Padding::same);
    const ConvGeometry g = conv_geometry(layer, Dims{28, 28, 1}, 4);
    const std::size_t ny = std::size_t(g.n) * g.output.size();
    const std::vector<float> x = random_values(std::size_t(g.n) * 784, 53), dy = random_values(ny, 54),
                             w = random_values(800, 55), bias = random_values(32, 56);
    std::vector<float> dw(800), dw_ref(800), db(32), db_ref(32), y(ny), y_ref(ny), dw_one_worker(800), dw_tiles(800);
    conv2d_backward_filter(g, x.data(), dy.data(), dw.data(), db.data(), scratch.get(), parallel);
    conv2d_backward_filter_reference(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    const std::vector<float> dw_magnitude = filter_gradient_magnitudes(g, x, dy);
    CHECK(max_error_of_sums(dw.data(), dw_ref.data(), dw_magnitude.data(), dw.size()) < 1e-5);
    fixnet_test::TestScratch fresh(workers);  // nothing left in it from the run above
    conv2d_backward_filter(g, x.data(), dy.data(), dw_one_worker.data(), db.data(), fresh.get(),
                           fixnet_test::simulated_workers(workers, true));
    CHECK(dw_one_worker == dw);
    fixnet_test::TestScratch no_room(workers, conv2d_direct_gradient_floats(g, 1), 1 << 16, 0);
    conv2d_backward_filter(g, x.data(), dy.data(), dw_tiles.data(), db.data(), no_room.get(), parallel);
    CHECK(max_error_of_sums(dw_tiles.data(), dw_ref.data(), dw_magnitude.data(), dw.size()) < 1e-5);
    conv2d_forward(g, x.data(), w.data(), bias.data(), y.data(), true, scratch.get(), parallel);
    conv2d_forward_reference(g, x.data(), w.data(), bias.data(), y_ref.data());
    for (float& v : y_ref) v = std::fmax(v, 0.0f);
    CHECK(max_error_of_sums(y.data(), y_ref.data(), forward_magnitudes(g, x, w, bias).data(), ny) < 1e-5);
    // One image of the second layer: the workers split its rows.
    const ConvGeometry g2 = conv_geometry(conv2d(64, 5, 5, 1, Padding::same), Dims{14, 14, 32}, 1);
    const std::vector<float> x2 = random_values(6272, 57), w2 = random_values(51200, 58), bias2 = random_values(64, 59);
    std::vector<float> y2(12544), y2_ref(12544);
    conv2d_forward(g2, x2.data(), w2.data(), bias2.data(), y2.data(), false, scratch.get(), parallel);
    conv2d_forward_reference(g2, x2.data(), w2.data(), bias2.data(), y2_ref.data());
    CHECK(max_error_of_sums(y2.data(), y2_ref.data(), forward_magnitudes(g2, x2, w2, bias2).data(), y2.size()) < 1e-5);
    // Its gradients: workers take shares of the tiles, or rows of dx.
    std::vector<float> dw2(w2.size()), dw2_ref(w2.size()), db2(64), db2_ref(64), dx2(x2.size()), dx2_ref(x2.size());
    conv2d_backward_filter(g2, x2.data(), y2.data(), dw2.data(), db2.data(), scratch.get(), parallel);
    conv2d_backward_filter_reference(g2, x2.data(), y2.data(), dw2_ref.data(), db2_ref.data());
    CHECK(max_error_of_sums(dw2.data(), dw2_ref.data(), filter_gradient_magnitudes(g2, x2, y2).data(), dw2.size()) <
          1e-5);
    conv2d_backward_input(g2, y2.data(), w2.data(), dx2.data(), scratch.get(), parallel);
    conv2d_backward_input_reference(g2, y2.data(), w2.data(), dx2_ref.data());
    CHECK(max_error_of_sums(dx2.data(), dx2_ref.data(), input_gradient_magnitudes(g2, y2, w2).data(), dx2.size()) <
          1e-5);
  }
}
