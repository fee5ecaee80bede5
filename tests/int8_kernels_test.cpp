// fixnet tests: int8 arithmetic against hand-computed values (TFLite's
// rounding, saturation, zero points), and the fast int8 kernels against the
// scalar reference, bit for bit, on awkward shapes.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "fixnet/int8_kernels.h"
#include "fixnet/quantization.h"
#include "test_util.h"

using namespace fixnet;

TEST_CASE("the doubling high multiply rounds ties upward and saturates one case") {
  CHECK(rounding_doubling_high_multiply(INT32_MIN, INT32_MIN) == INT32_MAX);
  CHECK(rounding_doubling_high_multiply(1 << 30, 1 << 30) == 1 << 29);  // 0.5 * 0.5 in Q31
  CHECK(rounding_doubling_high_multiply(1, 1 << 30) == 1);    // 0.5 -> 1
  CHECK(rounding_doubling_high_multiply(3, 1 << 30) == 2);    // 1.5 -> 2
  CHECK(rounding_doubling_high_multiply(-1, 1 << 30) == 0);   // -0.5 -> 0
  CHECK(rounding_doubling_high_multiply(-3, 1 << 30) == -1);  // -1.5 -> -1
  CHECK(rounding_doubling_high_multiply(-5, 1 << 29) == -1);  // -1.25 -> -1
  CHECK(rounding_doubling_high_multiply(INT32_MAX, INT32_MAX) == INT32_MAX - 1);
}

TEST_CASE("the rounding shift rounds ties away from zero") {
  CHECK(rounding_divide_by_power_of_two(5, 1) == 3);    // 2.5
  CHECK(rounding_divide_by_power_of_two(-5, 1) == -3);  // -2.5
  CHECK(rounding_divide_by_power_of_two(4, 1) == 2);
  CHECK(rounding_divide_by_power_of_two(-6, 2) == -2);  // -1.5
  CHECK(rounding_divide_by_power_of_two(-5, 2) == -1);  // -1.25
  CHECK(rounding_divide_by_power_of_two(7, 0) == 7);
  CHECK(rounding_divide_by_power_of_two(INT32_MAX, 31) == 1);
  CHECK(rounding_divide_by_power_of_two(INT32_MIN, 31) == -1);
  CHECK(rounding_divide_by_power_of_two(-(1 << 30), 31) == -1);  // -0.5 -> -1
  CHECK(rounding_divide_by_power_of_two((1 << 30) - 1, 31) == 0);
}

TEST_CASE("real multipliers become TFLite's fixed-point pairs") {
  QuantizedMultiplier m = quantize_multiplier(0.5);
  CHECK(m.multiplier == 1 << 30);
  CHECK(m.shift == 0);
  m = quantize_multiplier(1.0);
  CHECK(m.multiplier == 1 << 30);
  CHECK(m.shift == 1);
  m = quantize_multiplier(0.75);
  CHECK(m.multiplier == 1610612736);
  CHECK(m.shift == 0);
  m = quantize_multiplier(0.001);  // 0.512 * 2^-9
  CHECK(m.multiplier == 1099511628);
  CHECK(m.shift == -9);
  m = quantize_multiplier(1.0 - std::ldexp(1.0, -40));  // rounds up to 1.0
  CHECK(m.multiplier == 1 << 30);
  CHECK(m.shift == 1);
  CHECK(quantize_multiplier(0.0).multiplier == 0);
  CHECK(quantize_multiplier(-1.0).multiplier == 0);
  CHECK(quantize_multiplier(std::ldexp(1.0, -40)).multiplier == 0);  // below 2^-32: 0
  m = quantize_multiplier(std::ldexp(1.0, 40));
  CHECK(m.multiplier == INT32_MAX);
  CHECK(m.shift == 30);
}

TEST_CASE("requantization multiplies, shifts, saturates and clamps as TFLite's reference") {
  const QuantizedMultiplier half = quantize_multiplier(0.5), three = quantize_multiplier(3.0);
  CHECK(multiply_by_quantized_multiplier(100, half.multiplier, half.shift) == 50);
  CHECK(multiply_by_quantized_multiplier(101, half.multiplier, half.shift) == 51);    // 50.5 away from 0
  CHECK(multiply_by_quantized_multiplier(-101, half.multiplier, half.shift) == -50);  // -50.5: the high multiply's tie goes up
  CHECK(multiply_by_quantized_multiplier(7, three.multiplier, three.shift) == 21);    // a left shift of 2
  // A left shift past int32 saturates before the multiply (TFLite's would overflow).
  CHECK(multiply_by_quantized_multiplier(1 << 30, three.multiplier, three.shift) ==
        rounding_doubling_high_multiply(INT32_MAX, three.multiplier));
  const QuantizedMultiplier tenth = quantize_multiplier(0.1);
  CHECK(multiply_by_quantized_multiplier(1000, tenth.multiplier, tenth.shift) == 100);
  CHECK(multiply_by_quantized_multiplier(-15, tenth.multiplier, tenth.shift) == -2);  // -1.5 away from 0
  // requantize adds the zero point, then clamps: ReLU raises the low bound to it.
  CHECK(requantize(100, half.multiplier, half.shift, -20, -128, 127) == 30);
  CHECK(requantize(1000, half.multiplier, half.shift, 0, -128, 127) == 127);
  CHECK(requantize(-1000, half.multiplier, half.shift, 5, -128, 127) == -128);
  CHECK(requantize(-10, half.multiplier, half.shift, -100, -100, 127) == -100);
  CHECK(requantize(10, half.multiplier, half.shift, -100, -100, 127) == -95);
}

TEST_CASE("activation ranges get TFLite's scale and an exact zero") {
  QuantParams q = choose_activation_params(0.0f, 1.0f);
  CHECK(q.scale == float(1.0 / 255.0));
  CHECK(q.zero_point == -128);
  q = choose_activation_params(-1.0f, 1.0f);  // zero at -128 + 127.5: -0.5 rounds away from 0
  CHECK(q.scale == float(2.0 / 255.0));
  CHECK(q.zero_point == -1);
  q = choose_activation_params(-2.0f, -1.0f);  // widened to [-2, 0]: zero at the top
  CHECK(q.scale == float(2.0 / 255.0));
  CHECK(q.zero_point == 127);
  q = choose_activation_params(1.0f, 3.0f);  // widened to [0, 3]
  CHECK(q.scale == float(3.0 / 255.0));
  CHECK(q.zero_point == -128);
  q = choose_activation_params(-3.0f, 1.0f);  // zero at -128 + 191.25
  CHECK(q.zero_point == 63);
  q = choose_activation_params(0.0f, 0.0f);
  CHECK(q.scale == 1.0f);
  CHECK(q.zero_point == 0);
  CHECK(symmetric_weight_scale(12.7f) == float(12.7f / 127.0));
  CHECK(symmetric_weight_scale(0.0f) == 1.0f);
}

TEST_CASE("values quantize to the nearest step, ties away from zero, clamped") {
  const QuantParams unit{1.0f, 0}, shifted{0.5f, -10};
  CHECK(quantize_value(2.5f, unit) == 3);
  CHECK(quantize_value(-2.5f, unit) == -3);
  CHECK(quantize_value(2.4f, unit) == 2);
  CHECK(quantize_value(300.0f, unit) == 127);
  CHECK(quantize_value(-300.0f, unit) == -128);
  CHECK(quantize_value(std::nanf(""), shifted) == -10);
  CHECK(quantize_value(1.0f, shifted) == -8);
  CHECK(dequantize_value(-8, shifted) == 1.0f);
  CHECK(dequantize_value(-128, shifted) == -59.0f);
}

namespace {

// Random int8 values; `zero_share` of them the zero point (as ReLU leaves them).
std::vector<std::int8_t> random_int8(std::size_t count, std::uint64_t seed, int lo, int hi, double zero_share = 0.0,
                                     std::int32_t zero_point = 0) {
  Rng rng(seed);
  std::vector<std::int8_t> v(count);
  for (std::int8_t& x : v)
    x = rng.uniform() < zero_share ? std::int8_t(zero_point) : std::int8_t(lo + int(rng.below(std::uint32_t(hi - lo + 1))));
  return v;
}

// Per-filter requantization with random biases, multipliers and shifts that
// spread the outputs over the int8 range.
struct Requant {
  Requant(int filters, std::uint64_t seed, std::int32_t zx, std::int32_t zy, bool relu, int shift_lo) {
    Rng rng(seed);
    for (int f = 0; f < filters; ++f) {
      bias.push_back(std::int32_t(rng.below(1 << 17)) - (1 << 16));
      multiplier.push_back(std::int32_t((1u << 30) + rng.below(1u << 30)));
      shift.push_back(-shift_lo - std::int32_t(rng.below(4)));
    }
    out.bias = bias.data();
    out.multiplier = multiplier.data();
    out.shift = shift.data();
    out.input_zero_point = zx;
    out.output_zero_point = zy;
    if (relu) out.low = zy;
  }
  std::vector<std::int32_t> bias, multiplier, shift;
  Int8Output out;
};

// int8_conv2d with its own packed weights and per-worker scratch.
std::vector<std::int8_t> fast_conv(const ConvGeometry& g, const std::vector<std::int8_t>& x,
                                   const std::vector<std::int8_t>& w, const Int8Output& out, int workers) {
  std::vector<std::int32_t> packed(int8_packed_bytes(g) / 4 + 1);
  int8_pack_weights(g, w.data(), out, packed.data());
  std::vector<std::vector<std::int32_t>> scratch(std::size_t(workers),
                                                 std::vector<std::int32_t>(int8_scratch_bytes(g) / 4 + 1));
  std::vector<std::uint8_t*> pointers;
  for (auto& s : scratch) pointers.push_back(reinterpret_cast<std::uint8_t*>(s.data()));
  std::vector<std::int8_t> y(std::size_t(g.n) * g.output.size());
  int8_conv2d(g, x.data(), w.data(), packed.data(), out, y.data(), Int8Scratch{pointers.data()},
              fixnet_test::simulated_workers(workers));
  return y;
}

std::vector<std::int8_t> reference_conv(const ConvGeometry& g, const std::vector<std::int8_t>& x,
                                        const std::vector<std::int8_t>& w, const Int8Output& out) {
  std::vector<std::int8_t> y(std::size_t(g.n) * g.output.size());
  int8_conv2d_reference(g, x.data(), w.data(), out, y.data());
  return y;
}

// The fast kernel equals the reference on g for several zero points, ReLU
// or not, and 1-3 workers; outputs must spread (not all clamped).
void check_fast_equals_reference(const ConvGeometry& g, std::uint64_t seed) {
  const std::size_t weights = std::size_t(g.output.channels) * g.kernel_h * g.kernel_w * g.input.channels;
  const int taps = g.kernel_h * g.kernel_w * g.input.channels;
  const int shift_lo = taps > 2000 ? 11 : taps > 200 ? 9 : taps > 20 ? 7 : 5;
  const std::int32_t zero_points[][2] = {{-128, -128}, {0, 3}, {7, -5}, {127, 100}};
  for (const auto& zp : zero_points) {
    for (bool relu : {false, true}) {
      CAPTURE(zp[0]);
      CAPTURE(relu);
      const auto x = random_int8(std::size_t(g.n) * g.input.size(), seed, -128, 127, 0.4, zp[0]);
      const auto w = random_int8(weights, seed + 1, -127, 127);
      const Requant r(g.output.channels, seed + 2, zp[0], zp[1], relu, shift_lo);
      const auto expected = reference_conv(g, x, w, r.out);
      int distinct = 0;
      for (std::size_t i = 1; i < expected.size(); ++i) distinct += expected[i] != expected[i - 1];
      CHECK(distinct * 8 >= int(expected.size()) - 8);  // the outputs vary: the test compares real values
      for (int workers = 1; workers <= 3; ++workers) {
        CAPTURE(workers);
        CHECK(fast_conv(g, x, w, r.out, workers) == expected);
      }
    }
  }
}

}  // namespace

TEST_CASE("a tiny int8 convolution equals the hand-computed result") {
  // x 2x2x1 = [[1, 2], [3, 4]] with zero point 1; one 2x2 filter [[1, -1], [2, 0]]
  // SAME (pad after): y[0,0] = (1-1)*1 + (2-1)*-1 + (3-1)*2 + (4-1)*0 = 3, then
  // + bias 5 = 8, times 0.5 = 4, plus zero point -2 = 2.
  // y[0,1] = (2-1)*1 + (4-1)*2 = 7, +5 = 12 -> 6 - 2 = 4; y[1,0] = (3-1)*1 + (4-1)*-1 = -1,
  // +5 = 4 -> 2 - 2 = 0; y[1,1] = (4-1)*1 = 3, +5 = 8 -> 4 - 2 = 2.
  const ConvGeometry g = conv_geometry(conv2d(1, 2, 2, 1, Padding::same), Dims{2, 2, 1}, 1);
  const std::vector<std::int8_t> x = {1, 2, 3, 4}, w = {1, -1, 2, 0};
  const QuantizedMultiplier half = quantize_multiplier(0.5);
  const std::int32_t bias = 5;
  Int8Output out;
  out.bias = &bias;
  out.multiplier = &half.multiplier;
  out.shift = &half.shift;
  out.input_zero_point = 1;
  out.output_zero_point = -2;
  const std::vector<std::int8_t> expected = {2, 4, 0, 2};
  CHECK(reference_conv(g, x, w, out) == expected);
  CHECK(fast_conv(g, x, w, out, 1) == expected);
  out.low = 1;  // a clamp at 1 (as a ReLU with zero point 1)
  CHECK(fast_conv(g, x, w, out, 2) == (std::vector<std::int8_t>{2, 4, 1, 2}));
}

TEST_CASE("int8 convolutions: the fast kernel gives the reference's bits on awkward shapes") {
  struct Case {
    Dims input;
    int filters, kh, kw, stride;
    Padding padding;
    int n;
  };
  const Case cases[] = {
      {{5, 7, 1}, 3, 3, 3, 1, Padding::same, 2},   {{6, 6, 3}, 17, 5, 5, 2, Padding::same, 1},
      {{9, 5, 5}, 16, 2, 3, 1, Padding::valid, 3}, {{7, 7, 8}, 33, 3, 3, 3, Padding::same, 1},
      {{4, 4, 16}, 64, 1, 1, 1, Padding::valid, 2}, {{14, 14, 32}, 64, 5, 5, 1, Padding::same, 1},
      {{28, 28, 1}, 4, 5, 5, 2, Padding::same, 1}, {{7, 7, 8}, 16, 3, 3, 1, Padding::same, 2},
      {{3, 3, 70}, 10, 3, 3, 1, Padding::valid, 1},  // a single output position
      {{30, 2, 2}, 5, 4, 1, 1, Padding::same, 1},   {{28, 28, 1}, 4, 4, 4, 2, Padding::same, 1},
  };
  std::uint64_t seed = 100;
  for (const Case& c : cases) {
    const ConvGeometry g =
        conv_geometry(conv2d(c.filters, c.kh, c.kw, c.stride, c.padding), c.input, c.n);
    CAPTURE(c.input.height);
    CAPTURE(c.input.channels);
    CAPTURE(c.filters);
    CAPTURE(c.kh);
    check_fast_equals_reference(g, seed += 10);
  }
}

TEST_CASE("int8 convolutions requantize as requantize() does at its edges") {
  // Multipliers 0 and 2^31 - 1, shifts 0 and -31, large biases; then the
  // same with one left shift, and with a high bound below 127: kernels that
  // take a shorter path when every filter allows it must hand these layers to
  // the general one.
  const std::int32_t multipliers[] = {0, INT32_MAX, 1 << 30, 1518500250, 1 << 30, INT32_MAX};
  const std::int32_t shifts[] = {0, -31, 0, -1, -7, 0};
  const std::int32_t biases[] = {1 << 20, -(1 << 24), 123456, -7, 1 << 26, -(1 << 26)};
  for (const ConvGeometry& g : {conv_geometry(conv2d(7, 3, 3, 1, Padding::same), Dims{5, 5, 4}, 2),
                                conv_geometry(conv2d(6, 5, 5, 2, Padding::same), Dims{9, 9, 1}, 1)}) {
    const int filters = g.output.channels;
    const std::size_t weights = std::size_t(filters) * g.kernel_h * g.kernel_w * g.input.channels;
    const auto x = random_int8(std::size_t(g.n) * g.input.size(), 7, -128, 127, 0.3, -3);
    const auto w = random_int8(weights, 8, -127, 127);
    for (int variant = 0; variant < 3; ++variant) {
      CAPTURE(variant);
      std::vector<std::int32_t> bias, multiplier, shift;
      for (int f = 0; f < filters; ++f) {
        bias.push_back(biases[f % 6]);
        multiplier.push_back(multipliers[f % 6]);
        shift.push_back(shifts[f % 6]);
      }
      if (variant == 1) shift[std::size_t(filters) - 1] = 3;
      Int8Output out;
      out.bias = bias.data();
      out.multiplier = multiplier.data();
      out.shift = shift.data();
      out.input_zero_point = -3;
      out.output_zero_point = 5;
      if (variant == 2) out.high = 100;
      const auto expected = reference_conv(g, x, w, out);
      CHECK(fast_conv(g, x, w, out, 1) == expected);
      CHECK(std::count(expected.begin(), expected.end(), std::int8_t(-128)) > 0);  // saturated outputs
      CHECK(std::count_if(expected.begin(), expected.end(), [](std::int8_t v) { return v > -128 && v < 100; }) > 0);
    }
  }
}

TEST_CASE("int8 dense layers: the fast kernel gives the reference's bits, one example or many") {
  const int shapes[][3] = {{1, 70, 10}, {1, 3136, 37}, {5, 33, 17}, {30, 16, 64}, {1, 1, 1}, {7, 100, 3}, {2, 5, 130}};
  std::uint64_t seed = 500;
  for (const auto& s : shapes) {
    CAPTURE(s[0]);
    CAPTURE(s[1]);
    CAPTURE(s[2]);
    check_fast_equals_reference(dense_geometry(s[0], s[1], s[2]), seed += 10);
  }
}

TEST_CASE("int8 max-pooling and ReLU are exact") {
  // 3x3, one channel, SAME 2x2 stride 2: windows cut by the edge keep their in-image cells.
  const std::int8_t x[9] = {-5, 3, -128, 7, -1, 2, -128, -128, -9};
  const PoolGeometry g = pool_geometry(max_pool(2, 2, Padding::same), Dims{3, 3, 1}, 1);
  std::int8_t y[4];
  int8_max_pool(g, x, y);
  CHECK(y[0] == 7);
  CHECK(y[1] == 2);
  CHECK(y[2] == -128);
  CHECK(y[3] == -9);
  std::int8_t r[9];
  int8_relu(9, x, -2, r);
  const std::int8_t expected[9] = {-2, 3, -2, 7, -1, 2, -2, -2, -2};
  for (int i = 0; i < 9; ++i) CHECK(r[i] == expected[i]);
}
