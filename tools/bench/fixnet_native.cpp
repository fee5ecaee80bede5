// fixnet benchmark: the native library on this machine.
//
//   fixnet-bench --what cnn-train|softmax-train|cnn-infer|int8-infer|cnn-scaling|layers|peak
//                [--data DIR] [--threads N] [--seconds S] [--model FILE]
//
// cnn-train: the tutorial CNN, Adam 1e-4, batch 50, dropout keep 0.5, real
// MNIST minibatches (images/s); softmax-train: batch 100, gradient descent 0.5;
// cnn-infer: one test image through a batch-1 inference model (median latency;
// freshly initialised, or the trained model in --model FILE); int8-infer: the
// float model in --model FILE (else a fresh CNN) and its int8 quantization
// (calibrated on 3,000 training images), one digit each in turn (median
// latencies of both, and their ratio, from the same seconds); cnn-scaling:
// cnn-train in alternating 1-second slices of 1 thread and --threads N, in one
// process (each slice's images/s and each N-thread slice's ratio);
// layers: milliseconds per kernel of one CNN training step of 50; peak: one
// core's measured FMA throughput (GFLOP/s). Prints one JSON line (layers: a
// table) like the peers' scripts.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arena.h"
#include "fixnet.h"
#include "fixnet/simd.h"
#include "host_files.h"
#include "mnist_files.h"
#include "model_loader.h"
#include "thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

[[noreturn]] void die(const std::string& message) {
  std::printf("{\"peer\": \"fixnet native\", \"error\": \"%s\"}\n", message.c_str());
  std::exit(1);
}

void check(const fixnet::Status& s) {
  if (!s.ok()) die(s.message);
}

struct Options {
  std::string what = "cnn-train", data, model;
  int threads = 1;
  double seconds = 10;
};

// A model in its own arena, on `threads` threads.
struct Bench {
  Bench(const fixnet::ModelSpec& spec, fixnet::PlanOptions options, fixnet_host::ThreadPool& pool)
      : arena(fixnet_host::allocate_arena(fixnet::plan(spec, options).bytes)) {
    check(model.init(spec, options, arena.get(), fixnet::plan(spec, options).bytes));
    check(model.set_parallel(pool.parallel()));
  }
  std::unique_ptr<std::byte, fixnet_host::FreeDeleter> arena;
  fixnet::Model model;
};

// The recipe's model on `threads` threads, trained a step at a time on real
// minibatches.
struct Trainer {
  Trainer(const fixnet::mnist::Recipe& recipe, const fixnet_host::MnistData& data, int threads)
      : recipe(recipe), pool(threads), b(recipe.spec, {recipe.batch, recipe.optimizer_kind, threads}, pool),
        order(std::size_t(data.train.count)) {
    b.model.initialize_parameters(rng);
    check(batches.init(data.train, order.data(), order.size(), &rng));
  }
  void step() {
    check(batches.next(recipe.batch, b.model.input_buffer(), b.model.label_buffer()));
    check(b.model.train_step(b.model.input_buffer(), b.model.label_buffer(), recipe.batch, recipe.optimizer, rng,
                             nullptr));
  }
  // Images/s of the steps run in `budget` seconds; their count to *steps.
  double rate(double budget, long* steps) {
    long count = 0;
    const Clock::time_point t0 = Clock::now();
    for (; seconds_since(t0) < budget; ++count) step();
    *steps = count;
    return double(count) * recipe.batch / seconds_since(t0);
  }
  const fixnet::mnist::Recipe& recipe;
  fixnet_host::ThreadPool pool;
  Bench b;
  fixnet::Rng rng{0};
  std::vector<std::int32_t> order;
  fixnet::BatchIterator batches;
};

// Images/s of the recipe's training steps on real minibatches.
double train_rate(const fixnet::mnist::Recipe& recipe, const fixnet_host::MnistData& data, int threads,
                  double budget, long* steps_run) {
  Trainer t(recipe, data, threads);
  for (int i = 0; i < 5; ++i) t.step();  // warm-up
  return t.rate(budget, steps_run);
}

// Thread scaling within one process: one model trains in slices of kSlice
// seconds that alternate 1 thread and `threads` (1, N, 1, ..., N, 1), so both
// sides meet the same moments of the machine. Prints one JSON line: each
// slice's images/s, and each N-thread slice's over the mean of the 1-thread
// slices on either side.
void print_scaling(const fixnet_host::MnistData& data, int threads, double budget, const std::string& peer) {
  constexpr double kSlice = 1.0;
  const fixnet::mnist::Recipe recipe = fixnet::mnist::cnn_recipe();
  Trainer t(recipe, data, threads);
  for (int i = 0; i < 5; ++i) t.step();  // warm-up, as for cnn-train
  const fixnet::Parallel one{}, all = t.pool.parallel();
  const int pairs = std::max(1, int(budget / (2 * kSlice)));
  std::vector<double> rates;
  long steps = 0;
  for (int slice = 0; slice <= 2 * pairs; ++slice) {
    check(t.b.model.set_parallel(slice % 2 == 0 ? one : all));
    t.step();  // the pool's threads awake, caches refilled
    rates.push_back(t.rate(kSlice, &steps));
  }
  std::printf("{\"peer\": \"%s\", \"threads\": %d, \"what\": \"cnn-scaling\", \"slice_s\": %.1f, \"one\": [",
              peer.c_str(), threads, kSlice);
  for (int i = 0; i <= 2 * pairs; i += 2) std::printf("%s%.1f", i ? ", " : "", rates[std::size_t(i)]);
  std::printf("], \"all\": [");
  for (int i = 1; i < 2 * pairs; i += 2) std::printf("%s%.1f", i > 1 ? ", " : "", rates[std::size_t(i)]);
  std::printf("], \"ratios\": [");
  for (int i = 1; i < 2 * pairs; i += 2)
    std::printf("%s%.3f", i > 1 ? ", " : "", 2 * rates[std::size_t(i)] / (rates[std::size_t(i - 1)] + rates[std::size_t(i + 1)]));
  std::printf("], \"peak_rss_mb\": %.1f}\n", peak_rss_mb());
}

// Median milliseconds of one test image's forward pass through `model`.
double median_latency(fixnet::Model& model, const fixnet_host::MnistData& data, double budget, long* runs) {
  std::vector<double> times;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; seconds_since(t0) < budget; ++i) {
    fixnet::image_to_floats(data.test, i % data.test.count, model.input_buffer());
    const Clock::time_point t = Clock::now();
    const float* logits = nullptr;
    check(model.forward(model.input_buffer(), 1, false, nullptr, &logits));
    if (i >= 50) times.push_back(seconds_since(t) * 1e3);  // after warm-up
  }
  std::sort(times.begin(), times.end());
  *runs = long(times.size());
  return times.empty() ? 0.0 : times[times.size() / 2];
}

// The same for the freshly initialised CNN, or the model in `path`.
double inference_latency(const fixnet_host::MnistData& data, int threads, const std::string& path, double budget,
                         long* runs) {
  if (!path.empty()) {
    fixnet_host::LoadedModel loaded;
    std::string error;
    if (!fixnet_host::load_model(path, 1, threads, loaded, error)) die(error);
    return median_latency(loaded.model, data, budget, runs);
  }
  fixnet_host::ThreadPool pool(threads);
  Bench b(fixnet::mnist::cnn_spec(), {1, fixnet::OptimizerKind::none, threads}, pool);
  fixnet::Rng rng(0);
  b.model.initialize_parameters(rng);
  return median_latency(b.model, data, budget, runs);
}

// Float and int8 inference of one digit, in turn, through the float model in
// `path` (else a fresh CNN) and its int8 quantization; prints one JSON line.
void print_int8_comparison(const fixnet_host::MnistData& data, int threads, const std::string& path, double budget,
                           const std::string& peer) {
  using namespace fixnet;
  constexpr int kCalibration = 3000, kBatch = 100;
  fixnet_host::ThreadPool pool(threads);
  ModelSpec spec = mnist::cnn_spec();
  std::vector<std::uint8_t> file;
  std::string error;
  if (!path.empty()) {
    if (!fixnet_host::read_file(path, file, error)) die(error);
    Precision precision;
    check(read_model_spec(file.data(), file.size(), &spec, &precision));
    if (precision != Precision::float32) die("int8-infer needs a float model file (it quantizes it)");
  }
  Bench calibration(spec, {kBatch, OptimizerKind::none, threads}, pool), single(spec, {1, OptimizerKind::none, threads}, pool);
  if (path.empty()) {
    Rng rng(0);
    calibration.model.initialize_parameters(rng);
    std::vector<std::uint8_t> bytes(model_file_size(spec));
    check(write_model_file(calibration.model, bytes.data(), bytes.size(), nullptr));
    file = bytes;
  } else {
    check(load_model_file(file.data(), file.size(), &calibration.model));
  }
  check(load_model_file(file.data(), file.size(), &single.model));
  ActivationRanges ranges;
  for (int first = 0; first < kCalibration; first += kBatch) {
    for (int i = 0; i < kBatch; ++i)
      image_to_floats(data.train, first + i, calibration.model.input_buffer() + std::size_t(i) * 784);
    check(observe_ranges(&calibration.model, calibration.model.input_buffer(), kBatch, &ranges));
  }
  const PlanOptions options{1, OptimizerKind::none, threads, false, Precision::int8};
  auto arena = fixnet_host::allocate_arena(plan(spec, options).bytes);
  Int8Model int8;
  check(int8.init(spec, options, arena.get(), plan(spec, options).bytes));
  check(int8.set_parallel(pool.parallel()));
  check(quantize_model(calibration.model, ranges, &int8));
  std::vector<double> float_ms, int8_ms;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; seconds_since(t0) < budget; ++i) {
    const int image = i % data.test.count;
    image_to_floats(data.test, image, single.model.input_buffer());
    check(int8.quantize_bytes(data.test.images + std::size_t(image) * 784, 1));
    const float* logits = nullptr;
    const std::int8_t* q = nullptr;
    Clock::time_point t = Clock::now();
    check(single.model.forward(single.model.input_buffer(), 1, false, nullptr, &logits));
    const double f = seconds_since(t) * 1e3;
    t = Clock::now();
    check(int8.forward(int8.input_buffer(), 1, &q));
    const double g = seconds_since(t) * 1e3;
    if (i >= 50) {  // after warm-up
      float_ms.push_back(f);
      int8_ms.push_back(g);
    }
  }
  std::sort(float_ms.begin(), float_ms.end());
  std::sort(int8_ms.begin(), int8_ms.end());
  if (float_ms.empty()) die("no runs in the time given");
  const double fm = float_ms[float_ms.size() / 2], qm = int8_ms[int8_ms.size() / 2];
  std::printf("{\"peer\": \"%s\", \"int8_kernels\": \"%s\", \"threads\": %d, \"what\": \"int8-infer\", "
              "\"model\": \"%s\", \"float_ms\": %.4f, \"int8_ms\": %.4f, \"float_over_int8\": %.3f, \"runs\": %zu, "
              "\"peak_rss_mb\": %.1f}\n",
              peer.c_str(), int8::kName, threads, path.empty() ? "fresh CNN" : path.c_str(), fm, qm, fm / qm,
              float_ms.size(), peak_rss_mb());
}

// One core's fused multiply-add throughput, GFLOP/s: 12 independent chains of
// vector FMAs in assembly (the compiler can neither drop nor spill them); the
// best of several trials, so the clock has ramped up.
double fma_peak() {
#if defined(__x86_64__) && (defined(__AVX512F__) || defined(__AVX2__))
#if defined(__AVX512F__)
#define FIXNET_R(i) "%%zmm" #i
  constexpr double kFlopsPerFma = 32;
#else
#define FIXNET_R(i) "%%ymm" #i
  constexpr double kFlopsPerFma = 16;
#endif
#define FIXNET_FMA(i) "vfmadd231ps " FIXNET_R(14) ", " FIXNET_R(15) ", " FIXNET_R(i) "\n"
#define FIXNET_ZERO(i) "vxorps " FIXNET_R(i) ", " FIXNET_R(i) ", " FIXNET_R(i) "\n"
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    long n = 50000000;
    const long iterations = n;
    const Clock::time_point t0 = Clock::now();
    __asm__ volatile(FIXNET_ZERO(0) FIXNET_ZERO(1) FIXNET_ZERO(2) FIXNET_ZERO(3) FIXNET_ZERO(4) FIXNET_ZERO(5)
                     FIXNET_ZERO(6) FIXNET_ZERO(7) FIXNET_ZERO(8) FIXNET_ZERO(9) FIXNET_ZERO(10) FIXNET_ZERO(11)
                     FIXNET_ZERO(14) FIXNET_ZERO(15)
                     "1:\n" FIXNET_FMA(0) FIXNET_FMA(1) FIXNET_FMA(2) FIXNET_FMA(3) FIXNET_FMA(4) FIXNET_FMA(5)
                     FIXNET_FMA(6) FIXNET_FMA(7) FIXNET_FMA(8) FIXNET_FMA(9) FIXNET_FMA(10) FIXNET_FMA(11)
                     "dec %0\n jnz 1b\n"
                     : "+r"(n)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm14", "xmm15", "cc");
    best = std::max(best, double(iterations) * 12 * kFlopsPerFma / seconds_since(t0) / 1e9);
  }
#undef FIXNET_R
#undef FIXNET_FMA
#undef FIXNET_ZERO
  return best;
#else
  return 0.0;
#endif
}

// `count` floats, zeroed, in a block aligned like a model's buffers
// (allocate_arena), so that, as in a model, two workers writing neighbouring
// parts of an output share no cache line.
class Floats {
 public:
  explicit Floats(std::size_t count) : count_(count), block_(fixnet_host::allocate_arena(count * sizeof(float))) {
    if (!block_) die("out of memory");
    std::fill(data(), data() + count, 0.0f);
  }
  float* data() { return reinterpret_cast<float*>(block_.get()); }
  std::size_t size() const { return count_; }

 private:
  std::size_t count_;
  std::unique_ptr<std::byte, fixnet_host::FreeDeleter> block_;
};

// MFLOP (2 per multiply-add) that the unpacked kernels of a stride-1
// convolution execute: they skip the kernel rows that fall on the zero padding
// above and below the image (and compute those on its left and right).
double conv_mflop(const fixnet::ConvGeometry& g) {
  long rows = 0;
  for (int oy = 0; oy < g.output.height; ++oy)
    rows += std::min(g.kernel_h, g.input.height + g.pad_top - oy) - std::max(0, g.pad_top - oy);
  return 2.0 * g.n * rows * g.output.width * g.kernel_w * g.input.channels * g.output.channels / 1e6;
}

// MFLOP of a 5x5 convolution by Winograd's F(4x4, 5x5) (lib/fixnet/conv_winograd.h):
// 64 multiply-adds per 4x4 tile, input channel and filter, plus the transforms
// as written there (per tile and channel 16 input transforms of 38 FLOP; per
// tile and filter 12 output transforms of 22 and 16 bias additions; per
// channel and filter 13 filter transforms of 28).
double winograd_tiles(const fixnet::ConvGeometry& g) {
  return double(g.n) * ((g.output.height + 3) / 4) * ((g.output.width + 3) / 4);
}
double winograd_mflop(const fixnet::ConvGeometry& g) {
  const double tiles = winograd_tiles(g), c = g.input.channels, f = g.output.channels;
  return (2.0 * tiles * 64 * c * f + tiles * c * 16 * 38 + tiles * f * (12 * 22 + 16) + c * f * 13 * 28) / 1e6;
}

// MFLOP of a 5x5 convolution's filter gradient by F(5x5, 4x4) (same file): 64
// multiply-adds per 4x4 tile of dy, input channel and filter, plus per tile
// and channel 16 input transforms of 38 FLOP, per tile and filter 12
// transforms of dy of 23, per channel and filter 13 output transforms of 26.
double winograd_gradient_mflop(const fixnet::ConvGeometry& g) {
  const double tiles = winograd_tiles(g), c = g.input.channels, f = g.output.channels;
  return (2.0 * tiles * 64 * c * f + tiles * c * 16 * 38 + tiles * f * 12 * 23 + c * f * 13 * 26) / 1e6;
}

// MFLOP of a convolution's forward pass and of its filter gradient, as the
// kernels compute them (Winograd's method or the direct one).
double conv_forward_mflop(const fixnet::ConvGeometry& g) {
  return fixnet::conv2d_winograd_applies(g) ? winograd_mflop(g) : conv_mflop(g);
}
double conv_filter_gradient_mflop(const fixnet::ConvGeometry& g) {
  return fixnet::conv2d_winograd_applies(g) ? winograd_gradient_mflop(g) : conv_mflop(g);
}

// Milliseconds per kernel of one CNN training step of 50 (best of 5).
void layer_table(int threads) {
  using namespace fixnet;
  fixnet_host::ThreadPool pool(threads);
  const Parallel par = pool.parallel();
  const int n = 50;
  const PlanOptions options{n, OptimizerKind::adam, threads};
  const Plan p = plan(mnist::cnn_spec(), options);
  // A model of the plan lends the kernels its matrix-multiply scratch.
  Bench owner(mnist::cnn_spec(), options, pool);
  const GemmScratch s = owner.model.gemm_scratch();
  const ConvGeometry g1 = conv_geometry(conv2d(32, 5, 5, 1, Padding::same), Dims{28, 28, 1}, n);
  const ConvGeometry g2 = conv_geometry(conv2d(64, 5, 5, 1, Padding::same), Dims{14, 14, 32}, n);
  const PoolGeometry p1 = pool_geometry(max_pool(2, 2), Dims{28, 28, 32}, n);
  const PoolGeometry p2 = pool_geometry(max_pool(2, 2), Dims{14, 14, 64}, n);
  Rng rng(1);
  auto values = [&](std::size_t count) {
    Floats v(count);
    for (std::size_t i = 0; i < count; ++i) v.data()[i] = rng.uniform() - 0.5f;
    return v;
  };
  Floats x0 = values(n * 784), w1 = values(800), b1 = values(32), w2 = values(51200), b2 = values(64),
         w3 = values(3136 * 1024), b3 = values(1024), w4 = values(10240), b4 = values(10);
  Floats y1(n * 784 * 32), q1(n * 196 * 32), y2(n * 196 * 64), q2(n * 49 * 64), y3(n * 1024), y4(n * 10);
  Floats d1(y1.size()), dq1(q1.size()), d2(y2.size()), dq2(q2.size()), d3(y3.size()), d4 = values(n * 10);
  Floats dw1(800), db1(32), dw2(51200), db2(64), dw3(w3.size()), db3(1024), dw4(10240), db4(10);
  // A training step updates a dense layer's weights strip by strip in its
  // backward pass; Adam's separate pass covers the other parameters: both
  // convolutions' and the dense layers' biases.
  const std::size_t others = p.parameter_count - w3.size() - w4.size();
  Floats params = values(others), grads = values(others), m(others), v(others), m3(w3.size()), v3(w3.size()),
         m4(w4.size()), v4(w4.size());
  const AdamStep step = adam_step(mnist::cnn_recipe().optimizer, 7);
  struct Moments {
    float *w, *m, *v;
    const AdamStep* step;
  } moments3{w3.data(), m3.data(), v3.data(), &step}, moments4{w4.data(), m4.data(), v4.data(), &step};
  auto adam_strips = [](Moments& moments) {
    GradientUpdate update;
    update.context = &moments;
    update.call = [](void* context, std::size_t first, std::size_t count, const float* gradient) {
      const Moments& mo = *static_cast<const Moments*>(context);
      adam_update(mo.w + first, gradient, mo.m + first, mo.v + first, count, *mo.step);
    };
    return update;
  };
  struct Row {
    const char* name;
    double ms, mflop;
  };
  std::vector<Row> rows;
  auto time = [&](const char* name, double mflop, auto f) {
    f();
    double best = 1e9;
    for (int trial = 0; trial < 5; ++trial) {
      const Clock::time_point t0 = Clock::now();
      for (int i = 0; i < 3; ++i) f();
      best = std::min(best, seconds_since(t0) / 3 * 1e3);
    }
    rows.push_back(Row{name, best, mflop});
  };
  const double c1 = conv_forward_mflop(g1), c2 = conv_forward_mflop(g2), f1 = 2.0 * n * 3136 * 1024 / 1e6;
  const double c2_input = conv_forward_mflop(conv2d_input_gradient_geometry(g2));
  time("conv1 forward", c1, [&] { conv2d_forward(g1, x0.data(), w1.data(), b1.data(), y1.data(), true, s, par); });
  time("pool1 forward", 0, [&] { max_pool_forward(p1, y1.data(), q1.data()); });
  time("conv2 forward", c2, [&] { conv2d_forward(g2, q1.data(), w2.data(), b2.data(), y2.data(), true, s, par); });
  time("pool2 forward", 0, [&] { max_pool_forward(p2, y2.data(), q2.data()); });
  time("dense1 forward", f1, [&] { dense_forward(n, 3136, 1024, q2.data(), w3.data(), b3.data(), y3.data(), true, s, par); });
  time("dense2 forward", 0, [&] { dense_forward(n, 1024, 10, y3.data(), w4.data(), b4.data(), y4.data(), false, s, par); });
  time("dense2 back+adam", 0, [&] { dense_backward_update(n, 1024, 10, y3.data(), w4.data(), d4.data(), dw4.data(), db4.data(), d3.data(), s, par, adam_strips(moments4)); });
  time("dense1 back+adam", 2 * f1, [&] { dense_backward_update(n, 3136, 1024, q2.data(), w3.data(), d3.data(), dw3.data(), db3.data(), dq2.data(), s, par, adam_strips(moments3)); });
  time("pool2 backward", 0, [&] { max_pool_backward(p2, y2.data(), dq2.data(), d2.data()); });
  time("relu2 backward", 0, [&] { relu_backward(d2.size(), y2.data(), d2.data(), d2.data()); });
  time("conv2 filter grad", conv_filter_gradient_mflop(g2), [&] { conv2d_backward_filter(g2, q1.data(), d2.data(), dw2.data(), db2.data(), s, par); });
  time("conv2 input grad", c2_input, [&] { conv2d_backward_input(g2, d2.data(), w2.data(), dq1.data(), s, par); });
  time("pool1 backward", 0, [&] { max_pool_backward(p1, y1.data(), dq1.data(), d1.data()); });
  time("relu1 backward", 0, [&] { relu_backward(d1.size(), y1.data(), d1.data(), d1.data()); });
  time("conv1 filter grad", conv_filter_gradient_mflop(g1), [&] { conv2d_backward_filter(g1, x0.data(), d1.data(), dw1.data(), db1.data(), s, par); });
  time("adam, the rest", 0, [&] { adam_update(params.data(), grads.data(), m.data(), v.data(), others, step); });
  double total = 0;
  for (const Row& r : rows) total += r.ms;
  std::printf("kernels of one CNN training step of 50 (%s, %d thread%s; pooling, relu and adam of\n"
              "the rest single-threaded here, the model splits them across threads; dense layers'\n"
              "backward passes include Adam on their weights; GFLOP/s executed: direct\n"
              "convolutions skip kernel rows over the zero padding above and below; conv2's three\n"
              "products go by Winograd's F(4x4, 5x5) and F(5x5, 4x4): their multiply-adds and transforms)\n",
              simd::kName, threads, threads == 1 ? "" : "s");
  for (const Row& r : rows) {
    std::printf("  %-18s %7.2f ms  %5.1f%%", r.name, r.ms, 100 * r.ms / total);
    if (r.mflop > 0) std::printf("  %5.1f GFLOP/s", r.mflop / r.ms);
    std::printf("\n");
  }
  std::printf("  %-18s %7.2f ms  (these kernels only, timed one by one: not a training step's time)\n",
              "sum", total);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--what") o.what = value;
    else if (key == "--data") o.data = value;
    else if (key == "--threads") o.threads = std::atoi(value.c_str());
    else if (key == "--seconds") o.seconds = std::atof(value.c_str());
    else if (key == "--model") o.model = value;
    else die("unknown option " + key);
  }
  if (argc % 2 == 0) die("options come in pairs: --name value");
  if (o.threads < 1 || o.threads > 64) die("--threads must be 1..64");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.what == "layers") {
    layer_table(o.threads);
    return 0;
  }
  const std::string peer = std::string("fixnet native (") + fixnet::simd::kName + ")";
  if (o.what == "peak") {
    std::printf("{\"peer\": \"%s\", \"what\": \"peak\", \"gflop_per_s\": %.1f}\n", peer.c_str(), fma_peak());
    return 0;
  }
  fixnet_host::MnistData data;
  std::string error;
  if (!fixnet_host::load_mnist(fixnet_host::mnist_directory(o.data), data, error)) die(error);
  long count = 0;
  double rate = 0, latency = 0;
  if (o.what == "cnn-train") {
    rate = train_rate(fixnet::mnist::cnn_recipe(), data, o.threads, o.seconds, &count);
  } else if (o.what == "softmax-train") {
    rate = train_rate(fixnet::mnist::softmax_recipe(), data, o.threads, o.seconds, &count);
  } else if (o.what == "cnn-scaling") {
    if (o.threads < 2) die("cnn-scaling needs --threads 2 or more");
    print_scaling(data, o.threads, o.seconds, peer);
    return 0;
  } else if (o.what == "cnn-infer") {
    latency = inference_latency(data, o.threads, o.model, o.seconds, &count);
    rate = 1e3 / latency;
  } else if (o.what == "int8-infer") {
    print_int8_comparison(data, o.threads, o.model, o.seconds, peer);
    return 0;
  } else {
    die("--what must be cnn-train, softmax-train, cnn-infer, int8-infer, cnn-scaling, layers or peak");
  }
  std::printf("{\"peer\": \"%s\", \"threads\": %d, \"what\": \"%s\", \"images_per_s\": %.2f, \"latency_ms\": ",
              peer.c_str(), o.threads, o.what.c_str(), rate);
  if (latency > 0) std::printf("%.4f", latency); else std::printf("null");
  std::printf(", \"%s\": %ld, \"peak_rss_mb\": %.1f}\n", latency > 0 ? "runs" : "steps", count, peak_rss_mb());
  return 0;
}
