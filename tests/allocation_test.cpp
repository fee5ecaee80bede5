// fixnet tests: a training step and a prediction allocate nothing. This test
// binary replaces the global operator new/delete and malloc (through the
// sanitizer hooks under AddressSanitizer) and counts calls while measuring.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "fixnet/batches.h"
#include "fixnet/evaluate.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__GLIBC__) || defined(__EMSCRIPTEN__)
constexpr bool kMallocCounted = true;  // operator new's malloc is counted below
#else
constexpr bool kMallocCounted = false;
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void note_allocation() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

// Allocations made by `f`.
template <class F>
long allocations_in(F f) {
  g_allocations = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_allocations.load();
}
}  // namespace

// --- operator new/delete: every form counts -----------------------------------
void* operator new(std::size_t n) {
  if (!kMallocCounted) note_allocation();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (!kMallocCounted) note_allocation();
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (!kMallocCounted) note_allocation();
  const std::size_t align = std::size_t(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

// --- malloc and friends ---------------------------------------------------------
#if defined(__SANITIZE_ADDRESS__)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void*, std::size_t),
                                                         void (*)(const volatile void*));
namespace {
void malloc_hook(const volatile void*, std::size_t) { note_allocation(); }
void free_hook(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
}  // namespace
#elif defined(__GLIBC__) || defined(__EMSCRIPTEN__)
// glibc and emscripten's dlmalloc both keep their allocator under __libc_* names.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
#if defined(__EMSCRIPTEN__)
void* emscripten_builtin_memalign(std::size_t, std::size_t);
#define __libc_memalign emscripten_builtin_memalign
#else
void* __libc_memalign(std::size_t, std::size_t);
#endif
void* malloc(std::size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  note_allocation();
  return __libc_memalign(align, n);
}
void free(void* p) { __libc_free(p); }
}
#endif

using namespace fixnet;

TEST_CASE("the counter sees allocations (so the zero below means something)") {
  // volatile: the optimiser may not remove an allocation whose pointer escapes.
  CHECK(allocations_in([] {
          int* volatile p = new int(1);
          delete p;
        }) == 1);
  CHECK(allocations_in([] {
          void* volatile p = std::malloc(16);
          std::free(p);
        }) == 1);
  CHECK(allocations_in([] { std::vector<float> v(100); }) == 1);
}

TEST_CASE("training steps, batches, evaluation and predictions allocate nothing") {
  const ModelSpec spec = mnist::cnn_spec();
  const PlanOptions options{4, OptimizerKind::adam};
  const Plan p = plan(spec, options);
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  REQUIRE(model.init(spec, options, arena.data(), p.bytes).ok());
  Rng rng(5);
  model.initialize_parameters(rng);
  std::vector<std::uint8_t> pixels(12 * 784), labels(12);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 31);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  const Dataset data{pixels.data(), labels.data(), 12, 28, 28};
  std::vector<std::int32_t> order(12);
  BatchIterator batches;
  REQUIRE(batches.init(data, order.data(), order.size(), &rng).ok());
  OptimizerSettings adam = mnist::cnn_recipe().optimizer;
  std::vector<float> probabilities(4 * 10);
  bool ok = true;
  const long counted = allocations_in([&] {
    for (int step = 0; step < 3; ++step) {
      ok = ok && batches.next(4, model.input_buffer(), model.label_buffer()).ok();
      StepStats stats;
      ok = ok && model.train_step(model.input_buffer(), model.label_buffer(), 4, adam, rng, &stats).ok();
    }
    int correct = 0;
    ok = ok && evaluate(&model, data, 0, 12, nullptr, &correct).ok();
    ok = ok && model.predict(model.input_buffer(), 1, probabilities.data()).ok();
  });
  CHECK(ok);
  CHECK(counted == 0);
}
