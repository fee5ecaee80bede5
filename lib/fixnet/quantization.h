// fixnet: int8 quantization as TensorFlow Lite defines it. A tensor's real
// values are scale * (q - zero_point) for int8 q; weights are symmetric per
// output channel (zero point 0, q in -127..127), activations asymmetric per
// tensor, biases int32 at scale input_scale * weight_scale. A layer's int32
// sums are brought to its output's scale by a fixed-point multiplier and a
// power of two (requantization), with TFLite's reference rounding, so integer
// inference gives the same bits on every target.
#pragma once

#include <cstdint>

namespace fixnet {

// real = scale * (q - zero_point).
struct QuantParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

// A positive real factor as multiplier * 2^(shift - 31), multiplier in
// [2^30, 2^31) (or 0 for a factor of 0), shift in [-31, 30].
struct QuantizedMultiplier {
  std::int32_t multiplier = 0;
  std::int32_t shift = 0;
};

// TFLite's QuantizeMultiplier: the nearest such pair to `real` (>= 0).
// Factors below 2^-32 become 0; factors of 2^31 or more saturate.
QuantizedMultiplier quantize_multiplier(double real);

// The next four functions run once per int8 output: they are always inlined.

// (a * b * 2) / 2^32 rounded to nearest, ties upward: gemmlowp's
// SaturatingRoundingDoublingHighMul, whose nudge of +-2^30 and truncating
// division come to floor((a * b + 2^30) / 2^31); INT32_MIN * INT32_MIN
// saturates to INT32_MAX.
[[gnu::always_inline]] constexpr std::int32_t rounding_doubling_high_multiply(std::int32_t a, std::int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  return std::int32_t((std::int64_t(a) * std::int64_t(b) + (std::int64_t(1) << 30)) >> 31);
}

// x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's
// RoundingDivideByPOT); exponent in [0, 31]. 32-bit arithmetic only.
[[gnu::always_inline]] constexpr std::int32_t rounding_divide_by_power_of_two(std::int32_t x, int exponent) {
  const std::uint32_t mask = (std::uint32_t(1) << exponent) - 1u;
  const std::uint32_t remainder = std::uint32_t(x) & mask;
  const std::uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * multiplier * 2^(shift - 31), rounded as TFLite's reference
// MultiplyByQuantizedMultiplier: a left shift (shift > 0) first, saturating
// where TFLite's would overflow, then the high multiply, then the rounding
// right shift.
[[gnu::always_inline]] constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier, std::int32_t shift) {
  if (shift <= 0) return rounding_divide_by_power_of_two(rounding_doubling_high_multiply(x, multiplier), -shift);
  std::int64_t shifted = std::int64_t(x) * (std::int64_t(1) << shift);
  shifted = shifted > INT32_MAX ? INT32_MAX : shifted < INT32_MIN ? INT32_MIN : shifted;
  return rounding_doubling_high_multiply(std::int32_t(shifted), multiplier);
}

// One int8 output from an int32 sum: zero_point + the requantized sum,
// clamped to [low, high] (a fused ReLU sets low to the zero point).
[[gnu::always_inline]] constexpr std::int8_t requantize(std::int32_t sum, std::int32_t multiplier, std::int32_t shift,
                                 std::int32_t zero_point, std::int32_t low, std::int32_t high) {
  std::int32_t q = multiply_by_quantized_multiplier(sum, multiplier, shift) + zero_point;
  q = q < low ? low : q;
  return std::int8_t(q > high ? high : q);
}

// TFLite's parameters for a tensor observed in [min, max]: the range is
// widened to hold 0, scale = (max - min) / 255, and the zero point is the
// nearest integer to where 0 falls, in -128..127 (so 0 is exact). A range of
// only 0 gets scale 1.
QuantParams choose_activation_params(float min, float max);

// The scale of symmetric int8 weights whose largest magnitude is
// `max_abs`: max_abs / 127 (1 for an all-zero channel).
float symmetric_weight_scale(float max_abs);

// round(real / scale) + zero_point, ties away from zero, clamped to int8.
std::int8_t quantize_value(float real, QuantParams params);

// scale * (q - zero_point).
inline float dequantize_value(std::int8_t q, QuantParams params) {
  return params.scale * float(std::int32_t(q) - params.zero_point);
}

}  // namespace fixnet
