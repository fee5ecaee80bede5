// fixnet tests: plans, arenas, model errors, determinism and inference from
// external parameters.
#include <doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "test_util.h"

using namespace fixnet;
using fixnet_test::random_values;

namespace {

// The tutorial CNN's plan, fixed at compile time.
constexpr Plan kCnnTraining = plan(mnist::cnn_spec(), PlanOptions{50, OptimizerKind::adam});
constexpr Plan kSoftmaxInference = plan(mnist::softmax_spec(), PlanOptions{1});
static_assert(kCnnTraining.status.ok(), "the tutorial CNN plans");
static_assert(kCnnTraining.parameter_count == 3274634, "conv 832 + conv 51264 + dense 3212288 + dense 10250");
static_assert(kSoftmaxInference.parameter_count == 7850, "784 x 10 weights + 10 biases");
static_assert(kCnnTraining.classes == 10, "ten digits");

// A static arena sized by a constexpr plan, as a firmware would declare it.
alignas(kArenaAlignment) std::byte g_softmax_arena[kSoftmaxInference.bytes];

std::string message(const Status& s) { return s.message; }

// A model of `spec` in its own arena, on options.workers simulated workers,
// its parameters initialised from Rng(seed).
struct TestModel {
  TestModel(const ModelSpec& spec, const PlanOptions& options, std::uint64_t seed)
      : arena(plan(spec, options).bytes) {
    REQUIRE(model.init(spec, options, arena.data(), plan(spec, options).bytes).ok());
    REQUIRE(model.set_parallel(fixnet_test::simulated_workers(options.workers)).ok());
    Rng rng(seed);
    model.initialize_parameters(rng);
  }
  fixnet_test::TestArena arena;
  Model model;
};

}  // namespace

TEST_CASE("the CNN plan keeps parameters, gradients and Adam state") {
  const std::size_t params = kCnnTraining.parameter_count * sizeof(float);
  CHECK(kCnnTraining.bytes >= 4 * params);  // parameters, gradients, m, v
  CHECK(kCnnTraining.bytes < 4 * params + 24 * 1000 * 1000);  // plus activations for 50 images
  CHECK(kCnnTraining.layers[0].fused_relu);  // conv + relu run as one kernel
  CHECK(kCnnTraining.layers[1].skip_forward);
  CHECK(!kCnnTraining.layers[0].needs_input_gradient);  // nothing before the first layer learns
  CHECK(kCnnTraining.layers[3].needs_input_gradient);
}

TEST_CASE("inference alternates between the two ends of one region, the largest input plus output") {
  // The CNN on one image: conv1 writes 25,088 floats at the bottom, pool1
  // 6,272 at the top, conv2 12,544 at the bottom again; the largest pair is
  // conv1's output and pool1's, 31,360 floats.
  const Plan p = plan(mnist::cnn_spec(), PlanOptions{1});
  const std::size_t bottom = p.layers[0].output_offset;
  CHECK(p.layers[1].output_offset == bottom);  // ReLU in place
  CHECK(p.layers[2].output_offset == bottom + (31360 - 6272) * sizeof(float));
  CHECK(p.layers[3].output_offset == bottom);
  CHECK(p.layers[5].output_offset == bottom + (31360 - 3136) * sizeof(float));
}

TEST_CASE("the CNN's plans hold the scratch of its convolutions' unpacked paths") {
  for (const PlanOptions& options : {PlanOptions{50, OptimizerKind::adam, 2}, PlanOptions{1, OptimizerKind::none, 1}}) {
    const Plan p = plan(mnist::cnn_spec(), options);
    CAPTURE(options.batch);
    for (int i : {0, 3}) {  // the two convolutions
      CAPTURE(i);
      const ConvGeometry g = conv_geometry(p.spec.layers[i], p.layers[i].input, options.batch);
      CHECK(conv2d_direct_floats(g) > 0);  // stride 1, whole tiles of filters
      CHECK(p.pack_a_floats >= conv2d_direct_floats(g));
      if (options.optimizer != OptimizerKind::none) {  // the input gradient, with flipped filters in pack_b
        CHECK(p.pack_a_floats >= conv2d_direct_floats(conv2d_input_gradient_geometry(g)));
        CHECK(p.pack_b_floats >= p.layers[i].weight_count);
      }
    }
  }
}

TEST_CASE("a static arena from a constexpr plan runs the softmax model") {
  Model model;
  REQUIRE(model.init(mnist::softmax_spec(), PlanOptions{1}, g_softmax_arena, sizeof g_softmax_arena).ok());
  float* w = model.mutable_parameters();
  w[3 * 10 + 7] = 2.0f;  // pixel 3 votes for digit 7
  std::vector<float> image(784, 0.0f);
  image[3] = 1.0f;
  float probabilities[10];
  REQUIRE(model.predict(image.data(), 1, probabilities).ok());
  // softmax of logits (0, ..., 2 at 7, ..., 0) = e^2 / (9 + e^2) at 7.
  CHECK(probabilities[7] == doctest::Approx(std::exp(2.0) / (9 + std::exp(2.0))).epsilon(1e-6));
}

TEST_CASE("models refuse bad arenas, specs and arguments with the exact error") {
  const ModelSpec spec = mnist::softmax_spec();
  const PlanOptions options{4, OptimizerKind::gradient_descent};
  const Plan p = plan(spec, options);
  fixnet_test::TestArena arena(p.bytes + 64);
  Model model;
  Status s = model.init(spec, options, arena.data(), p.bytes - 1);
  CHECK(s.code == Error::arena_too_small);
  CHECK(message(s) == "arena is smaller than the plan's bytes");
  s = model.init(spec, options, static_cast<std::uint8_t*>(arena.data()) + 4, p.bytes);
  CHECK(message(s) == "arena must be 64-byte aligned");
  const ModelSpec empty{Dims{28, 28, 1}, {}};
  s = model.init(empty, options, arena.data(), p.bytes);
  CHECK(s.code == Error::invalid_spec);
  CHECK(message(s) == "model spec has no layers");
  const ModelSpec no_logits{Dims{28, 28, 1}, {conv2d(4, 3, 3, 1, Padding::same)}};
  CHECK(message(validate(no_logits)) == "the last layer must produce a vector (flatten, dense or global_avg_pool)");
  const ModelSpec too_big_window{Dims{4, 4, 1}, {conv2d(4, 5, 5, 1, Padding::valid), flatten(), dense(2)}};
  CHECK(message(validate(too_big_window)) == "VALID window larger than its input");
  CHECK(message(validate(ModelSpec{Dims{4, 4, 1}, {dropout(0.0f), dense(2)}})) ==
        "dropout keep probability must be in (0, 1]");
  CHECK(message(plan(spec, PlanOptions{0}).status) == "batch size must be 1..2^20");
  ModelSpec cnn = mnist::cnn_spec();
  set_keep_prob(cnn, 0.7f);
  CHECK(cnn.layers[9].keep_prob == 0.7f);
  CHECK(has_dropout(cnn));
  CHECK(!has_dropout(spec));
  ModelSpec keep_on_dense = spec;
  keep_on_dense.layers[1].keep_prob = 0.5f;
  CHECK(message(validate(keep_on_dense)) == "only dropout layers have a keep probability");
  const ModelSpec huge{Dims{16384, 16384, 16}, {flatten(), dense(2)}};  // 2^32 values: must not wrap
  CHECK(message(validate(huge)) == "model input shape must be positive and at most 16M values");
  const ModelSpec wide{Dims{64, 64, 1}, {conv2d(65536, 1, 1, 1, Padding::same), flatten(), dense(2)}};
  CHECK(message(validate(wide)) == "a layer output exceeds 16M values");
  CHECK(message(plan(mnist::cnn_spec(), PlanOptions{1 << 20}).status) ==
        "batch too large for this network (over 2^31 values in a layer)");

  REQUIRE(model.init(spec, options, arena.data(), p.bytes).ok());
  std::vector<float> input(4 * 784, 0.5f);
  std::uint8_t labels[4] = {1, 2, 3, 10};
  Rng rng(1);
  OptimizerSettings sgd;
  sgd.learning_rate = 0.5f;
  StepStats stats;
  CHECK(message(model.train_step(input.data(), labels, 4, sgd, rng, &stats)) == "a label is not a valid class");
  labels[3] = 9;
  CHECK(message(model.train_step(input.data(), labels, 5, sgd, rng, &stats)) == "example count must be 1..batch");
  CHECK(model.train_step(input.data(), labels, 4, sgd, rng, &stats).ok());
  CHECK(stats.loss == doctest::Approx(std::log(10.0)).epsilon(1e-6));  // zero weights: uniform softmax
}

TEST_CASE("one seed gives bit-identical parameters after training steps") {
  const ModelSpec spec{Dims{8, 8, 1},
                       {conv2d(4, 3, 3, 1, Padding::same, truncated_normal_init(0.1f), constant_init(0.1f)), relu(),
                        max_pool(2, 2), flatten(), dense(16, truncated_normal_init(0.1f)), relu(), dropout(0.5f),
                        dense(3, truncated_normal_init(0.1f))}};
  const PlanOptions options{6, OptimizerKind::adam};
  const Plan p = plan(spec, options);
  auto train = [&](std::uint64_t seed, std::vector<float>& params) {
    fixnet_test::TestArena arena(p.bytes);
    Model model;
    REQUIRE(model.init(spec, options, arena.data(), p.bytes).ok());
    Rng rng(seed);
    model.initialize_parameters(rng);
    OptimizerSettings adam;
    adam.learning_rate = 0.01f;
    for (int step = 0; step < 20; ++step) {
      const std::vector<float> input = random_values(6 * 64, 100 + std::uint64_t(step));
      std::uint8_t labels[6];
      for (int i = 0; i < 6; ++i) labels[i] = std::uint8_t((step + i) % 3);
      REQUIRE(model.train_step(input.data(), labels, 6, adam, rng, nullptr).ok());
    }
    params.assign(model.parameters(), model.parameters() + model.parameter_count());
  };
  std::vector<float> a, b, c;
  train(42, a);
  train(42, b);
  train(43, c);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) != 0);
}

TEST_CASE("a step whose loss is not finite is Error::diverged and changes nothing") {
  const ModelSpec spec{Dims{1, 1, 4}, {flatten(), dense(3, truncated_normal_init(0.1f))}};
  TestModel t(spec, PlanOptions{2, OptimizerKind::gradient_descent}, 5);
  float* weights = t.model.mutable_parameters();
  weights[0] = 3e38f;  // finite, but input 1 x 3e38 + input 2 x 3e38 overflows to inf
  weights[3] = 3e38f;
  const std::vector<float> before(weights, weights + t.model.parameter_count());
  const float input[8] = {1, 1, 0, 0, 1, 1, 0, 0};
  const std::uint8_t labels[2] = {1, 2};
  OptimizerSettings gd;
  gd.learning_rate = 0.1f;
  Rng rng(1);
  StepStats stats;
  const Status s = t.model.train_step(input, labels, 2, gd, rng, &stats);
  CHECK(s.code == Error::diverged);
  CHECK(message(s) == "training diverged: the loss is not finite (try a smaller learning rate)");
  CHECK(t.model.steps() == 0);
  CHECK(std::memcmp(before.data(), t.model.parameters(), before.size() * sizeof(float)) == 0);
}

TEST_CASE("a training step equals forward, backward() and then one update of every parameter") {
  // train_step updates each layer as soon as the backward pass leaves it, a
  // dense layer's weights strip by strip from gradients it never stores:
  // the same bits as updating everything after the pass, on any worker
  // count. (Bit for bit because backward()'s dense products here sum in one
  // pass: few examples, inputs and units; with more, only within rounding.)
  const ModelSpec spec{Dims{10, 20, 1},
                       {conv2d(4, 3, 3, 1, Padding::same, truncated_normal_init(0.1f), constant_init(0.1f)), relu(),
                        max_pool(2, 2), flatten(), dense(64, truncated_normal_init(0.1f)), relu(), dropout(0.5f),
                        dense(1040, truncated_normal_init(0.1f))}};
  for (const OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::gradient_descent}) {
    for (int workers : {1, 2, 3}) {
      CAPTURE(workers);
      OptimizerSettings settings;
      settings.learning_rate = 0.01f;
      const PlanOptions options{6, kind, workers};
      TestModel test_a(spec, options, 5), test_b(spec, options, 5);
      Model &a = test_a.model, &b = test_b.model;
      const std::size_t count = a.parameter_count();
      std::vector<float> m(count, 0.0f), v(count, 0.0f), dlogits(6 * 1040);
      Rng rng_a(9), rng_b(9);
      for (int step = 0; step < 3; ++step) {
        const std::vector<float> input = random_values(6 * 200, 300 + std::uint64_t(step));
        std::uint8_t labels[6];
        for (int i = 0; i < 6; ++i) labels[i] = std::uint8_t(step * 40 + i * 17);
        REQUIRE(a.train_step(input.data(), labels, 6, settings, rng_a, nullptr).ok());
        const float* logits = nullptr;
        REQUIRE(b.forward(input.data(), 6, true, &rng_b, &logits).ok());
        softmax_cross_entropy(logits, labels, 6, 1040, dlogits.data());
        REQUIRE(b.backward(dlogits.data(), 6).ok());
        float* params = b.mutable_parameters();
        if (kind == OptimizerKind::adam) {
          adam_update(params, b.gradients(), m.data(), v.data(), count, adam_step(settings, step + 1));
        } else {
          gradient_descent_update(params, b.gradients(), count, settings.learning_rate);
        }
      }
      CHECK(std::memcmp(a.parameters(), b.parameters(), count * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("dropout masks are the generator's draws in order, on any worker count") {
  // Dropout last, so the logits are its output. (Four examples through 200
  // units also stream a partial last sliver on a worker other than 0, which
  // once read a B panel only plans that split sums over K have.)
  const ModelSpec spec{Dims{10, 20, 1}, {flatten(), dense(200, constant_init(0.0f), constant_init(0.0f)), dropout(0.5f)}};
  const std::vector<float> input = random_values(4 * 200, 400);
  for (int workers : {1, 2, 3}) {
    CAPTURE(workers);
    TestModel test(spec, PlanOptions{4, OptimizerKind::gradient_descent, workers}, 1);
    Model& model = test.model;
    // The dense layer passes its input through: weights = identity, bias 0.
    float* w = model.mutable_parameters();
    for (int i = 0; i < 200; ++i) w[i * 200 + i] = 1.0f;
    Rng rng(77), serial(77);
    const float* logits = nullptr;
    REQUIRE(model.forward(input.data(), 4, true, &rng, &logits).ok());
    std::vector<float> expected(input.size());
    for (std::size_t k = 0; k < input.size(); ++k) expected[k] = input[k] * (serial.uniform() < 0.5f ? 2.0f : 0.0f);
    CHECK(std::memcmp(logits, expected.data(), expected.size() * sizeof(float)) == 0);
    CHECK(rng.next_u32() == serial.next_u32());  // the generator moved on by exactly one draw per mask
  }
}

TEST_CASE("inference can read parameters the model never copies (firmware flash)") {
  const ModelSpec spec = mnist::softmax_spec();
  std::vector<float> flash(7850, 0.0f);
  flash[7840 + 4] = 1.0f;  // bias of digit 4
  PlanOptions options{2};
  options.external_parameters = true;
  const Plan p = plan(spec, options);
  CHECK(p.parameters == kNoBuffer);
  // The arena holds everything but the parameters.
  CHECK(plan(spec, PlanOptions{2}).bytes - p.bytes == (7850 * sizeof(float) + 63) / 64 * 64);
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  CHECK(message(model.init(spec, options, arena.data(), p.bytes)) ==
        "external parameters must be given exactly when the plan says so");
  REQUIRE(model.init(spec, options, arena.data(), p.bytes, flash.data()).ok());
  CHECK(model.mutable_parameters() == nullptr);
  std::vector<float> input(2 * 784, 0.3f);
  float probabilities[20];
  REQUIRE(model.predict(input.data(), 2, probabilities).ok());
  CHECK(argmax(probabilities, 10) == 4);
  CHECK(argmax(probabilities + 10, 10) == 4);
  CHECK(message(plan(spec, PlanOptions{1, OptimizerKind::adam, 1, true}).status) ==
        "external parameters are read-only: inference, or frozen layers");
}

TEST_CASE("frozen layers: only the last layers train, with gradients, state and kept activations for them alone") {
  // A backbone (conv, pool) frozen, the dense head trained: from the caller's
  // flash, from the arena, and against the whole model's head gradients.
  const Init w = truncated_normal_init(0.2f), b = constant_init(0.05f);
  const ModelSpec spec{Dims{8, 8, 1},
                       {conv2d(4, 3, 3, 1, Padding::same, w, b), relu(), max_pool(2, 2), flatten(), dropout(0.5f),
                        dense(5, w, b)}};
  const int frozen = 5;  // all but the dense layer (the dropout among them is the identity)
  PlanOptions whole{4, OptimizerKind::adam}, head = whole;
  head.frozen_layers = frozen;
  const Plan full = plan(spec, whole), part = plan(spec, head);
  REQUIRE(part.status.ok());
  CHECK(part.trainable_first == 40);  // conv weights 36 + bias 4
  CHECK(part.bytes < full.bytes);
  CHECK(!part.layers[5].needs_input_gradient);
  CHECK(part.layers[4].skip_forward);  // a frozen dropout passes its input on
  CHECK(part.layers[4].mask_offset == kNoBuffer);
  CHECK(message(plan(spec, PlanOptions{4, OptimizerKind::none, 1, false, Precision::float32, 2}).status) ==
        "frozen layers must be 0..layer count, in a training plan");
  PlanOptions everything = head;
  everything.frozen_layers = 6;
  CHECK(message(plan(spec, everything).status) == "frozen layers leave no parameters to train");

  const std::vector<float> input = random_values(4 * 64, 90, 0.0f, 1.0f);
  const std::uint8_t labels[4] = {0, 3, 1, 4};
  OptimizerSettings adam;
  adam.learning_rate = 0.01f;
  // Owned parameters, frozen backbone (initialize_parameters draws only the
  // trainable ones: the backbone comes from a whole model's).
  TestModel owned(spec, head, 7), source(spec, whole, 7);
  std::memcpy(owned.model.mutable_parameters(), source.model.parameters(), 365 * sizeof(float));
  std::vector<float> start(owned.model.parameters(), owned.model.parameters() + owned.model.parameter_count());
  // The same values in "flash", the head copied into the arena.
  head.external_parameters = true;
  fixnet_test::TestArena arena(plan(spec, head).bytes);
  Model flashed;
  const std::vector<float> flash = start;
  REQUIRE(flashed.init(spec, head, arena.data(), plan(spec, head).bytes, flash.data()).ok());
  CHECK(flashed.parameters() == nullptr);  // split between flash and arena
  CHECK(flashed.layer_parameters(0).weights == flash.data());
  CHECK(flashed.layer_parameters(5).weights != flash.data() + 40);
  Rng r1(3), r2(3);
  for (int step = 0; step < 3; ++step) {
    REQUIRE(owned.model.train_step(input.data(), labels, 4, adam, r1, nullptr).ok());
    REQUIRE(flashed.train_step(input.data(), labels, 4, adam, r2, nullptr).ok());
  }
  const float* p = owned.model.parameters();
  CHECK(std::memcmp(p, start.data(), 40 * sizeof(float)) == 0);  // the backbone did not move
  CHECK(std::memcmp(p + 40, start.data() + 40, 320 * sizeof(float)) != 0);  // the head did
  CHECK(flash == start);  // the caller's block is never written
  CHECK(std::memcmp(flashed.layer_parameters(5).weights, p + 40, 325 * sizeof(float)) == 0);
  // Without the dropout, the head's gradient is the whole model's gradient of the head.
  const ModelSpec plain{Dims{8, 8, 1},
                        {conv2d(4, 3, 3, 1, Padding::same, w, b), relu(), max_pool(2, 2), flatten(), dense(5, w, b)}};
  PlanOptions plain_head{4, OptimizerKind::adam};
  plain_head.frozen_layers = 4;
  TestModel whole_model(plain, whole, 8), head_model(plain, plain_head, 8);
  std::memcpy(head_model.model.mutable_parameters(), whole_model.model.parameters(), 365 * sizeof(float));
  std::vector<float> d1(20), d2(20);
  const float *l1 = nullptr, *l2 = nullptr;
  Rng g1(5), g2(5);
  REQUIRE(whole_model.model.forward(input.data(), 4, true, &g1, &l1).ok());
  REQUIRE(head_model.model.forward(input.data(), 4, true, &g2, &l2).ok());
  CHECK(std::memcmp(l1, l2, 20 * sizeof(float)) == 0);
  softmax_cross_entropy(l1, labels, 4, 5, d1.data());
  softmax_cross_entropy(l2, labels, 4, 5, d2.data());
  REQUIRE(whole_model.model.backward(d1.data(), 4).ok());
  REQUIRE(head_model.model.backward(d2.data(), 4).ok());
  CHECK(std::memcmp(whole_model.model.gradients() + 40, head_model.model.gradients(), 325 * sizeof(float)) == 0);
}

TEST_CASE("any batch size on any worker count gives the one-worker results") {
  // Pieces of work must cover every example (n = 1 on 2 workers, 50 on 3, ...)
  // and a smaller batch than planned may split sums the plan did not split.
  for (const ModelSpec& spec : {mnist::cnn_spec(), mnist::softmax_spec()}) {
    const int batch = 12;
    const std::vector<float> input = random_values(std::size_t(batch) * 784, 60, 0.0f, 1.0f);
    auto predictions = [&](int workers, int n) {
      TestModel test(spec, PlanOptions{batch, OptimizerKind::none, workers}, 61);
      Model& model = test.model;
      std::vector<float> probabilities(std::size_t(n) * 10);
      REQUIRE(model.predict(input.data(), n, probabilities.data()).ok());
      return probabilities;
    };
    for (int n : {1, 5, 12}) {
      const std::vector<float> serial = predictions(1, n);
      for (int workers : {2, 3, 5}) {
        CAPTURE(n);
        CAPTURE(workers);
        const std::vector<float> split = predictions(workers, n);
        CHECK(fixnet_test::max_relative_error(serial.data(), split.data(), serial.size()) < 1e-5);
      }
    }
  }
}

TEST_CASE("a convolution's transformed filters follow the parameters: writes, training steps; none kept for external ones") {
  // A 5x5 convolution that goes by Winograd's method keeps its filters
  // transformed; every way of changing the parameters must renew them.
  const ModelSpec spec{Dims{6, 6, 16},
                       {conv2d(32, 5, 5, 1, Padding::same, truncated_normal_init(0.1f), constant_init(0.1f)), relu(),
                        flatten(), dense(3, truncated_normal_init(0.1f))}};
  const ConvGeometry g = conv_geometry(spec.layers[0], spec.input, 2);
  const std::size_t conv_weights = 25 * 16 * 32, conv_outputs = 2 * 6 * 6 * 32;
  const std::vector<float> input = random_values(2 * 6 * 6 * 16, 80);
  // Logits from the parameters by the reference kernels.
  auto reference_logits = [&](const float* params) {
    std::vector<float> conv(conv_outputs), logits(6);
    conv2d_forward_reference(g, input.data(), params, params + conv_weights, conv.data());
    for (float& v : conv) v = std::fmax(v, 0.0f);
    const float* dense_w = params + conv_weights + 32;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) logits[std::size_t(i) * 3 + j] = dense_w[std::size_t(6 * 6 * 32) * 3 + std::size_t(j)];
    matmul_reference(2, 3, 6 * 6 * 32, conv.data(), dense_w, logits.data(), true);
    return logits;
  };
  auto logits_of = [&](Model& model) {
    const float* logits = nullptr;
    REQUIRE(model.forward(input.data(), 2, false, nullptr, &logits).ok());
    return std::vector<float>(logits, logits + 6);
  };
  auto matches = [](const std::vector<float>& a, const std::vector<float>& b) {
    return fixnet_test::max_relative_error(a.data(), b.data(), a.size()) < 1e-4;
  };

  const PlanOptions inference{2};
  const Plan p = plan(spec, inference);
  REQUIRE(p.status.ok());
  REQUIRE(p.layers[0].transformed_filters != kNoBuffer);
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  REQUIRE(model.init(spec, inference, arena.data(), p.bytes).ok());
  Rng rng(81);
  model.initialize_parameters(rng);
  const std::vector<float> first = logits_of(model);
  CHECK(matches(first, reference_logits(model.parameters())));
  // Written through mutable_parameters(): the next pass sees the new filters.
  float* params = model.mutable_parameters();
  for (std::size_t i = 0; i < conv_weights; ++i) params[i] = -params[i];
  const std::vector<float> negated = logits_of(model);
  CHECK(matches(negated, reference_logits(model.parameters())));
  CHECK(!matches(negated, first));

  // External parameters changed by their owner: nothing derived is kept.
  std::vector<float> external(model.parameters(), model.parameters() + model.parameter_count());
  PlanOptions read_only = inference;
  read_only.external_parameters = true;
  const Plan q = plan(spec, read_only);
  CHECK(q.layers[0].transformed_filters == kNoBuffer);
  fixnet_test::TestArena arena2(q.bytes);
  Model reader;
  REQUIRE(reader.init(spec, read_only, arena2.data(), q.bytes, external.data()).ok());
  CHECK(matches(logits_of(reader), negated));
  for (std::size_t i = 0; i < conv_weights; i += 2) external[i] *= 0.5f;
  CHECK(matches(logits_of(reader), reference_logits(external.data())));

  // Written through a pointer kept from before a pass, then announced.
  float* kept = model.mutable_parameters();
  CHECK(matches(logits_of(model), negated));
  for (std::size_t i = 0; i < conv_weights; ++i) kept[i] = external[i];
  model.parameters_changed();
  CHECK(matches(logits_of(model), reference_logits(external.data())));

  // A training step changes them too.
  const PlanOptions training{2, OptimizerKind::gradient_descent};
  const Plan t = plan(spec, training);
  fixnet_test::TestArena arena3(t.bytes);
  Model trainer;
  REQUIRE(trainer.init(spec, training, arena3.data(), t.bytes).ok());
  std::copy(external.begin(), external.end(), trainer.mutable_parameters());
  CHECK(matches(logits_of(trainer), reference_logits(external.data())));
  const std::uint8_t labels[2] = {0, 2};
  Rng dropout(82);
  REQUIRE(trainer.train_step(input.data(), labels, 2, OptimizerSettings{0.5f}, dropout,
                             nullptr)
              .ok());
  const std::vector<float> after = logits_of(trainer);
  CHECK(matches(after, reference_logits(trainer.parameters())));
  CHECK(!matches(after, reference_logits(external.data())));
}

TEST_CASE("regression: a vector-input network learns a curve by mean squared error") {
  // y = sin(3x) on x in [-1, 1]: 1 -> 16 tanh -> 1, trained with Adam.
  constexpr ModelSpec kSpec{1, {dense(16, truncated_normal_init(1.0f)), tanh(), dense(1, truncated_normal_init(0.3f))}};
  static_assert(kSpec.input == Dims{1, 1, 1});
  const PlanOptions options{32, OptimizerKind::adam};
  const Plan p = plan(kSpec, options);
  REQUIRE(p.status.ok());
  CHECK(p.classes == 1);
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  REQUIRE(model.init(kSpec, options, arena.data(), p.bytes).ok());
  Rng rng(7);
  model.initialize_parameters(rng);
  float x[32], y[32];
  for (int i = 0; i < 32; ++i) {
    x[i] = -1.0f + 2.0f * float(i) / 31.0f;
    y[i] = std::sin(3.0f * x[i]);
  }
  OptimizerSettings adam;
  adam.learning_rate = 0.02f;
  StepStats first, last;
  for (int step = 0; step < 1500; ++step) REQUIRE(model.train_step(x, y, 32, adam, rng, step == 0 ? &first : &last).ok());
  CHECK(first.loss > 0.2f);
  CHECK(last.loss < 0.002f);
  CHECK(last.correct == 0);
  // The outputs are the curve's values (forward, not predict's softmax).
  const float* out = nullptr;
  REQUIRE(model.forward(x, 32, false, nullptr, &out).ok());
  CHECK(out[8] == doctest::Approx(y[8]).epsilon(0.1));
  // One output is no classifier; null targets are refused.
  const std::uint8_t labels[32] = {};
  CHECK(message(model.train_step(x, labels, 32, adam, rng, nullptr)) == "classification needs at least 2 outputs");
  CHECK(message(model.train_step(x, static_cast<const float*>(nullptr), 32, adam, rng, nullptr)) ==
        "targets are null");
}
