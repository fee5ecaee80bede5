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

// Largest |a - b| / magnitude over elements, where magnitude[i] is the sum of
// the absolute values of the terms that add up to b[i]: rounding measured
// against the sum it happens in, not against a result that cancels to near 0.
inline double max_error_of_sums(const float* a, const float* b, const float* magnitude, std::size_t count) {
  double worst = 0.0;
  for (std::size_t i = 0; i < count; ++i)
    worst = std::fmax(worst, std::fabs(double(a[i]) - double(b[i])) / std::fmax(double(magnitude[i]), 1e-30));
  return worst;
}

// The values' absolute values.
inline std::vector<float> absolute(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::fabs(v[i]);
  return out;
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

// On a microcontroller board (4 MB of RAM in QEMU): tests whose data needs
// more are skipped there (doctest::skip(kSmallMemory)), and kernels get less
// scratch by default.
#if defined(__arm__) && !defined(__linux__)
constexpr bool kSmallMemory = true;
constexpr std::size_t kTestScratchFloats = 1 << 16;
#else
constexpr bool kSmallMemory = false;
constexpr std::size_t kTestScratchFloats = 1 << 20;
#endif

// Matrix-multiply scratch for calling kernels directly, for up to `workers`
// workers, sized generously.
struct TestScratch {
  explicit TestScratch(int workers = 1, std::size_t floats = kTestScratchFloats)
      : TestScratch(workers, floats, floats, floats * std::size_t(workers)) {}
  // Exactly as a plan sizes it for these needs.
  TestScratch(int workers, const fixnet::GemmNeeds& needs)
      : TestScratch(workers, needs.a, fixnet::max_size(needs.b, needs.split_b), needs.partial) {}
  TestScratch(int workers, std::size_t a_floats, std::size_t b_floats, std::size_t partial_floats)
      : a(std::size_t(workers), std::vector<float>(a_floats)),
        b(std::size_t(workers), std::vector<float>(b_floats)),
        partial(partial_floats) {
    for (int w = 0; w < workers; ++w) {
      a_pointers.push_back(a[std::size_t(w)].data());
      b_pointers.push_back(b[std::size_t(w)].data());
    }
  }
  fixnet::GemmScratch get() {
    return fixnet::GemmScratch{a_pointers.data(), b_pointers.data(), partial.data(), partial.size(), a[0].size(),
                               b[0].size()};
  }
  std::vector<std::vector<float>> a, b;
  std::vector<float> partial;
  std::vector<float*> a_pointers, b_pointers;
};

// A Parallel that runs every task on this thread, last first, naming worker
// i % workers (or worker 0 for all, when one_runs_all: a worker may run many
// tasks in turn): it checks how kernels split work without real threads.
inline fixnet::Parallel simulated_workers(int workers, bool one_runs_all = false) {
  fixnet::Parallel p;
  p.workers = workers;
  p.run = [](void* self, int count, fixnet::ParallelTask task, void* context) {
    const int w = *static_cast<int*>(self);
    for (int i = count - 1; i >= 0; --i) task(context, i, count, w > 0 ? i % w : 0);
  };
  static int stored[65];
  static int all_on_first = 0;  // w = 0 names worker 0 for every task
  stored[workers] = workers;
  p.self = one_runs_all ? &all_on_first : &stored[workers];
  return p;
}

}  // namespace fixnet_test
