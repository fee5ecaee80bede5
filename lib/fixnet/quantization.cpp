// fixnet: choosing int8 scales, zero points and fixed-point multipliers.
#include "fixnet/quantization.h"

#include <cmath>

namespace fixnet {

QuantizedMultiplier quantize_multiplier(double real) {
  if (!(real > 0.0)) return QuantizedMultiplier{};
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, fraction in [0.5, 1)
  std::int64_t q = std::llround(fraction * double(std::int64_t(1) << 31));
  if (q == (std::int64_t(1) << 31)) {  // rounded up to 1.0
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return QuantizedMultiplier{};
  if (exponent > 30) return QuantizedMultiplier{INT32_MAX, 30};
  return QuantizedMultiplier{std::int32_t(q), exponent};
}

QuantParams choose_activation_params(float min, float max) {
  const double low = min < 0.0f ? double(min) : 0.0, high = max > 0.0f ? double(max) : 0.0;
  if (!(high > low)) return QuantParams{1.0f, 0};
  const float scale = float((high - low) / 255.0);
  const double zero = -128.0 - low / double(scale);
  const double rounded = std::round(zero);
  return QuantParams{scale, std::int32_t(rounded < -128.0 ? -128.0 : rounded > 127.0 ? 127.0 : rounded)};
}

float symmetric_weight_scale(float max_abs) { return max_abs > 0.0f ? float(double(max_abs) / 127.0) : 1.0f; }

std::int8_t quantize_value(float real, QuantParams params) {
  if (real != real) return std::int8_t(params.zero_point);  // NaN: as 0
  const double q = std::round(double(real) / double(params.scale)) + double(params.zero_point);
  return std::int8_t(q < -128.0 ? -128.0 : q > 127.0 ? 127.0 : q);
}

}  // namespace fixnet
