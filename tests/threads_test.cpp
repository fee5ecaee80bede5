// fixnet tests: training on a real thread pool is deterministic for a fixed
// thread count, and equals the same split run on one thread; a product whose
// tasks run unjoined gives the serial bits.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest.h>

#include <cstring>
#include <vector>

#include "fixnet/kernels.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "test_util.h"
#include "thread_pool.h"

using namespace fixnet;

namespace {

// Parameters of the tutorial CNN after 5 Adam steps of 8 random images.
std::vector<float> train(const Parallel& parallel) {
  const ModelSpec spec = mnist::cnn_spec();
  const PlanOptions options{8, OptimizerKind::adam, parallel.workers};
  const Plan p = plan(spec, options);
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  REQUIRE(model.init(spec, options, arena.data(), p.bytes).ok());
  REQUIRE(model.set_parallel(parallel).ok());
  Rng rng(11);
  model.initialize_parameters(rng);
  for (int step = 0; step < 5; ++step) {
    const std::vector<float> input = fixnet_test::random_values(8 * 784, 200 + std::uint64_t(step), 0.0f, 1.0f);
    std::uint8_t labels[8];
    for (int i = 0; i < 8; ++i) labels[i] = std::uint8_t((step * 3 + i) % 10);
    REQUIRE(model.train_step(input.data(), labels, 8, mnist::cnn_recipe().optimizer, rng, nullptr).ok());
  }
  return std::vector<float>(model.parameters(), model.parameters() + model.parameter_count());
}

bool identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("two threads: the same bits every run, and the same as the split run serially") {
  fixnet_host::ThreadPool pool(2);
  const std::vector<float> first = train(pool.parallel()), second = train(pool.parallel());
  CHECK(identical(first, second));
  CHECK(identical(first, train(fixnet_test::simulated_workers(2))));
}

TEST_CASE("a product whose tasks each run all of K on their own columns: the same bits on two threads, every time") {
  // Rows past those read in place, few enough for one row block; K not a
  // whole number of K blocks (a shorter last block); the shapes of the
  // tutorial's first dense layer on a batch. The two tasks are not joined
  // between K blocks, so each must keep to its own part of the packed panel.
  const int m = 4 * gemm::kMR + 1, n = 1024, k = 3100;
  fixnet_host::ThreadPool pool(2);
  fixnet_test::TestScratch scratch(2, gemm_needs(m, n, k, 2));
  const std::vector<float> a = fixnet_test::random_values(std::size_t(m) * k, 300),
                           b = fixnet_test::random_values(std::size_t(k) * n, 301);
  std::vector<float> serial(std::size_t(m) * n), threaded(serial.size());
  matmul(m, n, k, a.data(), b.data(), serial.data(), false, scratch.get(), Parallel{});
  int differing = 0;
  for (int run = 0; run < 40; ++run) {
    matmul(m, n, k, a.data(), b.data(), threaded.data(), false, scratch.get(), pool.parallel());
    differing += identical(serial, threaded) ? 0 : 1;
  }
  CHECK(differing == 0);
}

TEST_CASE("the pool runs every task exactly once, many times over") {
  fixnet_host::ThreadPool pool(3);
  const Parallel parallel = pool.parallel();
  std::vector<int> hits(1000);
  for (int round = 0; round < 2000; ++round) {
    const int count = 1 + round % 7;
    parallel.for_each(
        count, [](void* ctx, int i, int, int) { ++static_cast<int*>(ctx)[i]; }, hits.data());
  }
  long total = 0;
  for (int h : hits) total += h;
  long expected = 0;
  for (int round = 0; round < 2000; ++round) expected += 1 + round % 7;
  CHECK(total == expected);
  CHECK(hits[0] == 2000);
}
