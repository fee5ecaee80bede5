// fixnet: the one seeded random generator (PCG32) behind initialisation,
// shuffling and dropout. Same seed, same sequence, on every platform's integers;
// normals go through the platform's log/cos, so they match bit for bit only
// between builds with the same math library.
#pragma once

#include <cstdint>

namespace fixnet {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

  // Restarts the sequence for `seed`.
  void reseed(std::uint64_t seed);
  // The next 32 uniformly random bits.
  std::uint32_t next_u32();
  // Skips `draws` calls of next_u32() (uniform() is one), in O(log draws):
  // pieces of one sequence can be drawn in parallel from copies.
  void advance(std::uint64_t draws);
  // Uniform in [0, 1), 24 bits of resolution.
  float uniform();
  // Uniform integer in [0, bound), unbiased; bound must be >= 1.
  std::uint32_t below(std::uint32_t bound);
  // Standard normal (Box-Muller).
  float normal();
  // TensorFlow's truncated normal: N(0, stddev^2) resampled until within 2 stddev.
  float truncated_normal(float stddev);

  // The generator's whole state, to save it and carry on later from restore()
  // (the increment is odd; restore() makes it so).
  std::uint64_t state() const { return state_; }
  std::uint64_t increment() const { return increment_; }
  void restore(std::uint64_t state, std::uint64_t increment) {
    state_ = state;
    increment_ = increment | 1u;
  }

 private:
  std::uint64_t state_ = 0;
  std::uint64_t increment_ = 1;
};

}  // namespace fixnet
