// fixnet tests: training on a real thread pool is deterministic for a fixed
// thread count, and equals the same split run on one thread; a product whose
// tasks run unjoined gives the serial bits.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "fixnet/int8_model.h"
#include "fixnet/kernels.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "fixnet/quantize_model.h"
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

// Int8 logits of the micro preset (random parameters, quantized on 16 random
// images) for 16 other images, run as a batch of 16 on `parallel`.
std::vector<std::int8_t> micro_int8_logits(const Parallel& parallel) {
  const ModelSpec spec = mnist::micro_spec();
  const int n = 16;
  const PlanOptions float_options{n, OptimizerKind::none, 1};
  const std::size_t float_bytes = plan(spec, float_options).bytes;
  fixnet_test::TestArena float_arena(float_bytes);
  Model model;
  REQUIRE(model.init(spec, float_options, float_arena.data(), float_bytes).ok());
  Rng rng(5);
  model.initialize_parameters(rng);
  const std::vector<float> calibration = fixnet_test::random_values(std::size_t(n) * 784, 7, 0.0f, 1.0f);
  ActivationRanges ranges;
  REQUIRE(observe_ranges(&model, calibration.data(), n, &ranges).ok());
  const PlanOptions options{n, OptimizerKind::none, parallel.workers, false, Precision::int8};
  const std::size_t bytes = plan(spec, options).bytes;
  fixnet_test::TestArena arena(bytes);
  Int8Model int8;
  REQUIRE(int8.init(spec, options, arena.data(), bytes).ok());
  REQUIRE(quantize_model(model, ranges, &int8).ok());
  REQUIRE(int8.set_parallel(parallel).ok());
  const std::vector<float> input = fixnet_test::random_values(std::size_t(n) * 784, 8, 0.0f, 1.0f);
  REQUIRE(int8.quantize_input(input.data(), n).ok());
  const std::int8_t* logits = nullptr;
  REQUIRE(int8.forward(int8.input_buffer(), n, &logits).ok());
  return std::vector<std::int8_t>(logits, logits + n * int8.classes());
}

}  // namespace

TEST_CASE("two threads: the same bits every run, and the same as the split run serially") {
  fixnet_host::ThreadPool pool(2);
  const std::vector<float> first = train(pool.parallel()), second = train(pool.parallel());
  CHECK(identical(first, second));
  CHECK(identical(first, train(fixnet_test::simulated_workers(2))));
}

TEST_CASE("int8 inference on two threads: the one-thread bits") {
  fixnet_host::ThreadPool pool(2);
  const std::vector<std::int8_t> threaded = micro_int8_logits(pool.parallel());
  CHECK(threaded == micro_int8_logits(fixnet_test::simulated_workers(1)));
  CHECK(threaded == micro_int8_logits(pool.parallel()));
}

TEST_CASE("a product whose tasks each run all of K on their own columns: the same bits on two threads, every time") {
  // Rows past those read in place, few enough for one row block; K not a
  // whole number of K blocks (a shorter last block), short of kLongK (the
  // tutorial's first dense layer, K = 3136, splits its sum instead). The two
  // tasks are not joined between K blocks, so each must keep to its own part
  // of the packed panel.
  const int m = 4 * gemm::kMR + 1, n = 1024, k = 2000;
  static_assert(k < gemm::kLongK && k % gemm::kKC != 0, "the column split, with a shorter last K block");
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

TEST_CASE("the pool gives worker w the w-th share of a job's tasks, and a worker that is behind gets help") {
  // Each job's first task of every share waits until all of them have
  // started, so each worker is held in its own share's first task: with the
  // shares taken in order, task i * per of `threads * per` tasks runs on
  // worker i, and is the first task worker i runs. (A pool handing out tasks
  // first come, first served starts some worker on task 1 when per is 2.)
  for (int threads : {2, 3}) {
    fixnet_host::ThreadPool pool(threads);
    const Parallel parallel = pool.parallel();
    for (int per : {1, 2}) {
      struct Job {
        int threads, per;
        std::atomic<int> started{0};
        std::atomic<bool> timed_out{false};
        int worker_of[6];
        std::atomic<int> first_of[3] = {-1, -1, -1};
      } job;
      job.threads = threads;
      job.per = per;
      parallel.for_each(
          threads * per,
          [](void* ctx, int i, int, int worker) {
            Job& j = *static_cast<Job*>(ctx);
            j.worker_of[i] = worker;
            int none = -1;
            j.first_of[worker].compare_exchange_strong(none, i);
            if (i % j.per != 0) return;
            j.started.fetch_add(1);
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (j.started.load() < j.threads) {
              if (std::chrono::steady_clock::now() > give_up) {
                j.timed_out = true;
                return;
              }
              std::this_thread::yield();
            }
          },
          &job);
      CAPTURE(threads);
      CAPTURE(per);
      REQUIRE_FALSE(job.timed_out.load());
      for (int i = 0; i < threads * per; i += per) {
        CHECK(job.worker_of[i] == i / per);
        CHECK(job.first_of[i / per].load() == i);
      }
    }
    // Task 0 waits until every other task has run, the rest of worker 0's
    // share too: worker 0 is held, so the others must take them.
    struct Held {
      int count;
      std::atomic<int> done{0};
      std::atomic<bool> timed_out{false};
    } held;
    held.count = 4 * threads;
    parallel.for_each(
        held.count,
        [](void* ctx, int i, int, int) {
          Held& h = *static_cast<Held*>(ctx);
          if (i == 0) {
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (h.done.load() < h.count - 1 && !h.timed_out) {
              if (std::chrono::steady_clock::now() > give_up) h.timed_out = true;
              std::this_thread::yield();
            }
          } else {
            h.done.fetch_add(1);
          }
        },
        &held);
    CHECK_FALSE(held.timed_out.load());
  }
}
