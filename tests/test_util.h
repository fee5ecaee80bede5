// fixnet tests: small helpers shared by the test files.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "fixnet/plan.h"
#include "fixnet/random.h"

namespace fixnet_test {

// Values uniform in [lo, hi), from a fixed seed.
inline std::vector<float> random_values(std::size_t count, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  fixnet::Rng rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = lo + (hi - lo) * rng.uniform();
  return v;
}

// Distinct values spaced `gap` apart in random order (no ties, no kinks within gap/2).
inline std::vector<float> distinct_values(std::size_t count, std::uint64_t seed, float gap = 0.01f) {
  fixnet::Rng rng(seed);
  std::vector<float> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = (float(i) - float(count) / 2) * gap;
  for (std::size_t i = count; i > 1; --i) std::swap(v[i - 1], v[rng.below(std::uint32_t(i))]);
  return v;
}

// Largest |a - b| / max(1, |a|, |b|) over two arrays.
inline double max_relative_error(const float* a, const float* b, std::size_t count) {
  double worst = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double scale = std::fmax(1.0, std::fmax(std::fabs(a[i]), std::fabs(b[i])));
    worst = std::fmax(worst, std::fabs(double(a[i]) - double(b[i])) / scale);
  }
  return worst;
}

// A heap block aligned for a model arena, sized from a plan.
struct TestArena {
  explicit TestArena(std::size_t bytes) : storage(bytes + fixnet::kArenaAlignment) {}
  void* data() {
    const auto p = reinterpret_cast<std::uintptr_t>(storage.data());
    return storage.data() + (fixnet::kArenaAlignment - p % fixnet::kArenaAlignment) % fixnet::kArenaAlignment;
  }
  std::vector<std::uint8_t> storage;
};

// Packing scratch for calling kernels directly, sized generously.
struct TestScratch {
  explicit TestScratch(std::size_t a_floats = 1 << 20, std::size_t b_floats = 1 << 20)
      : a(a_floats), b(b_floats), a_pointer(a.data()) {}
  fixnet::GemmScratch get() const { return fixnet::GemmScratch{const_cast<float*>(b.data()), &a_pointer}; }
  std::vector<float> a, b;
  float* a_pointer;
};

}  // namespace fixnet_test
