// fixnet: PCG32 (O'Neill, pcg-random.org: XSH-RR output, 64-bit LCG state).
#include "fixnet/random.h"

#include <cmath>

namespace fixnet {

void Rng::reseed(std::uint64_t seed) {
  state_ = 0;
  increment_ = (seed << 1u) | 1u;  // the stream is chosen by the seed too
  next_u32();
  state_ += seed ^ 0x853c49e6748fea9bULL;
  next_u32();
}

std::uint32_t Rng::next_u32() {
  const std::uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + increment_;
  const std::uint32_t xorshifted = std::uint32_t(((old >> 18u) ^ old) >> 27u);
  const std::uint32_t rot = std::uint32_t(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

void Rng::advance(std::uint64_t draws) {
  // The LCG's step x -> a x + c applied `draws` times is x -> A x + C; A and
  // C are built by squaring (Brown, "Random number generation with
  // arbitrary strides", 1994), all modulo 2^64.
  std::uint64_t a = 6364136223846793005ULL, c = increment_, total_a = 1, total_c = 0;
  for (; draws > 0; draws >>= 1u) {
    if (draws & 1u) {
      total_a *= a;
      total_c = total_c * a + c;
    }
    c = (a + 1) * c;
    a *= a;
  }
  state_ = total_a * state_ + total_c;
}

float Rng::uniform() { return float(next_u32() >> 8) * (1.0f / 16777216.0f); }

std::uint32_t Rng::below(std::uint32_t bound) {
  // Lemire's multiply-and-reject: unbiased, usually one draw.
  std::uint64_t product = std::uint64_t(next_u32()) * bound;
  std::uint32_t low = std::uint32_t(product);
  if (low < bound) {
    const std::uint32_t threshold = (0u - bound) % bound;
    while (low < threshold) {
      product = std::uint64_t(next_u32()) * bound;
      low = std::uint32_t(product);
    }
  }
  return std::uint32_t(product >> 32);
}

float Rng::normal() {
  // u1 in (0, 1] so the logarithm is finite.
  const double u1 = (double(next_u32() >> 8) + 1.0) * (1.0 / 16777216.0);
  const double u2 = double(next_u32() >> 8) * (1.0 / 16777216.0);
  return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

float Rng::truncated_normal(float stddev) {
  for (;;) {
    const float z = normal();
    if (z >= -2.0f && z <= 2.0f) return z * stddev;
  }
}

}  // namespace fixnet
