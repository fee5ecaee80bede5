// fixnet tests: int8 models. The plan's layout, post-training quantization
// against the float model (error bounds per layer), golden logits that every
// build must reproduce bit for bit, and the int8 model file with every way
// it can be wrong.
#include <doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "fixnet/evaluate.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model_file.h"
#include "fixnet/quantize_model.h"
#include "test_util.h"

using namespace fixnet;

namespace {

constexpr PlanOptions int8_options(int batch, int workers = 1, bool external = false) {
  return PlanOptions{batch, OptimizerKind::none, workers, external, Precision::int8};
}

// An int8 model in its own arena.
struct Built8 {
  Built8(const ModelSpec& spec, PlanOptions options, const Int8Parameters* external = nullptr)
      : arena(plan(spec, options).bytes) {
    status = model.init(spec, options, arena.data(), plan(spec, options).bytes, external);
  }
  fixnet_test::TestArena arena;
  Int8Model model;
  Status status;
};

// A float model in its own arena, its parameters drawn from `seed`.
struct Built {
  Built(const ModelSpec& spec, int batch, std::uint64_t seed) : arena(plan(spec, PlanOptions{batch}).bytes) {
    REQUIRE(model.init(spec, PlanOptions{batch}, arena.data(), plan(spec, PlanOptions{batch}).bytes).ok());
    Rng rng(seed);
    model.initialize_parameters(rng);
  }
  fixnet_test::TestArena arena;
  Model model;
};

// --- golden logits: int8 parameters made from integers alone ----------------------

const ModelSpec kGoldenSpec{Dims{16, 16, 3},
                            {conv2d(5, 3, 3, 1, Padding::same), max_pool(2, 2), relu(),
                             conv2d(17, 5, 5, 2, Padding::valid), relu(), flatten(), dense(10)}};

// Storage for kGoldenSpec's parameters, drawn from integers (no float math
// a build could round differently).
struct GoldenParameters {
  GoldenParameters() {
    Rng rng(2024);
    const QuantParams tensors[8] = {{0.02f, -3}, {0.05f, 4}, {0.05f, 4}, {0.05f, 4},
                                    {0.04f, -128}, {0.04f, -128}, {0.04f, -128}, {0.1f, 10}};
    for (int t = 0; t < 8; ++t) params.activations[t] = tensors[t];
    const int layers[3] = {0, 3, 6}, shifts[3] = {-8, -10, -9};
    Dims d = kGoldenSpec.input;
    for (int i = 0; i < kGoldenSpec.layer_count; ++i) {
      const LayerSpec& l = kGoldenSpec.layers[i];
      const std::size_t weights = layer_weight_count(l, d), units = layer_bias_count(l);
      d = layer_output_dims(l, d);
      if (units == 0) continue;
      const int which = i == layers[0] ? 0 : i == layers[1] ? 1 : 2;
      Layer& s = storage[which];
      for (std::size_t k = 0; k < weights; ++k) s.weights.push_back(std::int8_t(int(rng.below(255)) - 127));
      for (std::size_t u = 0; u < units; ++u) {
        s.bias.push_back(std::int32_t(rng.below(4001)) - 2000);
        s.multiplier.push_back(std::int32_t((1u << 30) + rng.below(1u << 30)));
        s.shift.push_back(shifts[which]);
        s.scale.push_back(0.01f);
      }
      params.layers[i] = Int8LayerParameters{s.weights.data(), s.bias.data(), s.multiplier.data(), s.shift.data(),
                                             s.scale.data()};
    }
  }
  struct Layer {
    std::vector<std::int8_t> weights;
    std::vector<std::int32_t> bias, multiplier, shift;
    std::vector<float> scale;
  } storage[3];
  Int8Parameters params;
};

// Golden inputs: three examples of 16x16x3 int8 values.
std::vector<std::int8_t> golden_inputs() {
  Rng rng(77);
  std::vector<std::int8_t> x(3 * 16 * 16 * 3);
  for (std::int8_t& v : x) v = std::int8_t(int(rng.below(256)) - 128);
  return x;
}

// Logits of the three golden inputs, computed once by the scalar reference.
// Every build (AVX-512 VNNI, AVX2, SSE2, scalar, WebAssembly, Cortex-M)
// must give exactly these.
const std::int8_t kGoldenLogits[30] = {
    29, 46, 0,   -11, 32, 16, 19, 23, -53, 1,   //
    39, 40, 18,  0,   33, -14, 23, 36, -19, 15,  //
    9,  28, 3,   2,   39, -1, -11, -1, -3,  7,   //
};

std::vector<std::int8_t> run_golden(Int8Model& model, int n_per_pass) {
  const std::vector<std::int8_t> x = golden_inputs();
  std::vector<std::int8_t> logits;
  for (int first = 0; first < 3; first += n_per_pass) {
    const int n = 3 - first < n_per_pass ? 3 - first : n_per_pass;
    std::memcpy(model.input_buffer(), x.data() + first * 768, std::size_t(n) * 768);
    const std::int8_t* out = nullptr;
    REQUIRE(model.forward(model.input_buffer(), n, &out).ok());
    logits.insert(logits.end(), out, out + 10 * n);
  }
  return logits;
}

// Copies `from` into an owned model's storage.
void copy_parameters(const ModelSpec& spec, const Int8Parameters& from, Int8Model* to) {
  Dims d = spec.input;
  for (int i = 0; i < spec.layer_count; ++i) {
    const std::size_t weights = layer_weight_count(spec.layers[i], d), units = layer_bias_count(spec.layers[i]);
    d = layer_output_dims(spec.layers[i], d);
    if (units == 0) continue;
    const Int8LayerStorage st = to->layer_storage(i);
    std::memcpy(st.weights, from.layers[i].weights, weights);
    std::memcpy(st.bias, from.layers[i].bias, 4 * units);
    std::memcpy(st.multiplier, from.layers[i].multiplier, 4 * units);
    std::memcpy(st.shift, from.layers[i].shift, 4 * units);
    std::memcpy(st.weight_scale, from.layers[i].weight_scale, 4 * units);
  }
  for (int t = 0; t <= spec.layer_count; ++t) to->set_activation_params(t, from.activations[t]);
}

std::vector<std::uint8_t> golden_file() {
  const GoldenParameters golden;
  Built8 b(kGoldenSpec, int8_options(3));
  REQUIRE(b.status.ok());
  copy_parameters(kGoldenSpec, golden.params, &b.model);
  REQUIRE(b.model.parameters_changed().ok());
  std::vector<std::uint8_t> file(int8_model_file_size(kGoldenSpec));
  std::size_t written = 0;
  REQUIRE(write_model_file(b.model, file.data(), file.size(), &written).ok());
  REQUIRE(written == file.size());
  return file;
}

// Rewrites the checksum after an edit, so the edit itself is what is judged.
void reseal(std::vector<std::uint8_t>& file) {
  const std::uint32_t crc = crc32(file.data(), file.size() - 4);
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
}

void put_u32(std::vector<std::uint8_t>& file, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) file[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}

std::string read_error(const std::vector<std::uint8_t>& file) {
  ModelSpec spec;
  return read_model_spec(file.data(), file.size(), &spec).message;
}

}  // namespace

TEST_CASE("an int8 plan: constexpr, inference only, and its activations at two ends of one region") {
  constexpr Plan kNano = plan(mnist::nano_spec(), int8_options(1, 1, true));
  static_assert(kNano.status.ok(), "the nano preset plans in int8");
  alignas(kArenaAlignment) static std::byte arena[kNano.bytes];
  (void)arena;
  // nano: input 784, then 676, 288, 256, 64, 10 bytes: the largest neighbours are 784 + 676.
  const std::size_t region = kNano.layers[0].output_offset + 676 - kNano.input;  // layer 0 writes the top end
  CHECK(region == 1460);
  CHECK(kNano.int8_scratch - kNano.input == 1472);  // then aligned to 64
  if (!int8::kPacks) CHECK(kNano.bytes <= 2048);  // the scalar and Cortex-M kernels: within 2 KB
  CHECK(plan(mnist::cnn_spec(), PlanOptions{50, OptimizerKind::adam, 1, false, Precision::int8}).status.message ==
        std::string("int8 plans are for inference only"));
  CHECK(std::string(plan(ModelSpec{Dims{1, 300, 300}, {flatten(), dense(2)}}, int8_options(1)).status.message) ==
        "int8: a layer sums more than 65536 products per output");
  // No layer writes over the activations it reads.
  for (const ModelSpec& spec : {mnist::nano_spec(), mnist::micro_spec(), mnist::cnn_spec(), mnist::softmax_spec(), kGoldenSpec}) {
    const Plan p = plan(spec, int8_options(3));
    REQUIRE(p.status.ok());
    std::size_t in = p.input, in_bytes = 3 * std::size_t(spec.input.size());
    for (int i = 0; i < spec.layer_count; ++i) {
      const LayerPlan& lp = p.layers[i];
      const std::size_t out_bytes = 3 * std::size_t(lp.output.size());
      if (!lp.in_place) {
        CHECK((lp.output_offset + out_bytes <= in || in + in_bytes <= lp.output_offset));
        CHECK(lp.output_offset >= p.input);
        CHECK(lp.output_offset + out_bytes <= p.int8_scratch);
      }
      if (lp.output_offset != kNoBuffer) in = lp.output_offset;
      in_bytes = out_bytes;
    }
  }
}

TEST_CASE("golden logits: the same int8 bits on every build, batch and worker count") {
  const GoldenParameters golden;
  for (int workers = 1; workers <= 3; ++workers) {
    for (int batch : {1, 3}) {
      CAPTURE(workers);
      CAPTURE(batch);
      Built8 external(kGoldenSpec, int8_options(batch, workers, true), &golden.params);
      REQUIRE(external.status.ok());
      REQUIRE(external.model.set_parallel(fixnet_test::simulated_workers(workers)).ok());
      const std::vector<std::int8_t> logits = run_golden(external.model, batch);
      CHECK(logits == std::vector<std::int8_t>(kGoldenLogits, kGoldenLogits + 30));
      Built8 owned(kGoldenSpec, int8_options(batch, workers));
      REQUIRE(owned.status.ok());
      copy_parameters(kGoldenSpec, golden.params, &owned.model);
      REQUIRE(owned.model.parameters_changed().ok());
      REQUIRE(owned.model.set_parallel(fixnet_test::simulated_workers(workers)).ok());
      CHECK(run_golden(owned.model, batch) == logits);
    }
  }
}

namespace {

// Each output of a one-layer model, int8 (dequantized) against float, must
// lie within what the quantization steps can add up to: half an output step,
// plus for each product x * w the input's half step times |w|, the weight's
// half step times |x| and the product of both, plus half a bias step.
void check_one_layer_bounds(const ModelSpec& spec, std::uint64_t seed) {
  const int n = 20;
  Built f(spec, n, seed);
  const std::vector<float> x = fixnet_test::random_values(std::size_t(n) * spec.input.size(), seed + 1, 0.0f, 1.0f);
  ActivationRanges ranges;
  REQUIRE(observe_ranges(&f.model, x.data(), n, &ranges).ok());
  CHECK(ranges.examples == n);
  Built8 q(spec, int8_options(n));
  REQUIRE(q.status.ok());
  REQUIRE(quantize_model(f.model, ranges, &q.model).ok());
  std::vector<float> expected(std::size_t(n) * f.model.classes());
  const float* logits = nullptr;
  REQUIRE(f.model.forward(x.data(), n, false, nullptr, &logits).ok());
  expected.assign(logits, logits + expected.size());
  REQUIRE(q.model.quantize_input(x.data(), n).ok());
  const std::int8_t* out = nullptr;
  REQUIRE(q.model.forward(q.model.input_buffer(), n, &out).ok());

  const LayerParameters p = f.model.layer_parameters(0);
  const std::size_t units = p.bias_count, per_unit = p.weight_count / units;
  const QuantParams in = q.model.input_params(), result = q.model.output_params();
  const ConvGeometry g = int8_geometry(spec.layers[0], spec.input, 1);
  double worst = 0, total = 0;
  for (int e = 0; e < n; ++e) {
    for (std::size_t u = 0; u < units; ++u) {
      const float sw = q.model.parameters().layers[0].weight_scale[u];
      double bound = 0.5 * result.scale + 0.5 * double(in.scale) * sw;
      // The taps of the single output position (valid 1x1 output: every tap is inside).
      for (std::size_t k = 0; k < per_unit; ++k) {
        const int c = int(k % std::size_t(g.input.channels)), kx = int(k / std::size_t(g.input.channels)) % g.kernel_w,
                  ky = int(k / std::size_t(g.input.channels)) / g.kernel_w;
        const float xv = x[std::size_t(e) * spec.input.size() + std::size_t((ky * g.input.width + kx) * g.input.channels + c)];
        const float wv = p.weights[k * units + u];
        bound += 0.5 * in.scale * std::fabs(wv) + 0.5 * sw * std::fabs(xv) + 0.25 * double(in.scale) * sw;
      }
      const double error = std::fabs(dequantize_value(out[std::size_t(e) * units + u], result) -
                                     expected[std::size_t(e) * units + u]);
      CHECK(error <= bound * 1.0001);
      worst = std::fmax(worst, error / bound);
      total += error;
    }
  }
  // Errors are far below the worst case on average: under two output steps.
  CHECK(total / double(n * int(units)) < 2.0 * result.scale);
  CHECK(worst > 0.0);
}

}  // namespace

TEST_CASE("quantization error stays within its bound, layer by layer") {
  const Init w = truncated_normal_init(0.3f), b = constant_init(0.05f);
  check_one_layer_bounds(ModelSpec{Dims{1, 1, 40}, {dense(7, w, b)}}, 1);
  check_one_layer_bounds(ModelSpec{Dims{1, 1, 300}, {dense(12, w, b), relu()}}, 2);
  check_one_layer_bounds(ModelSpec{Dims{5, 5, 3}, {conv2d(6, 5, 5, 1, Padding::valid, w, b)}}, 3);
  check_one_layer_bounds(ModelSpec{Dims{3, 3, 16}, {conv2d(9, 3, 3, 2, Padding::valid, w, b), relu()}}, 4);
}

TEST_CASE("quantizing a small CNN keeps its predictions and pooling is exact in int8") {
  const Init w = truncated_normal_init(0.3f), b = constant_init(0.05f);
  const ModelSpec spec{Dims{8, 8, 1},
                       {conv2d(6, 3, 3, 1, Padding::same, w, b), relu(), max_pool(2, 2), conv2d(8, 3, 3, 1, Padding::same, w, b),
                        relu(), max_pool(2, 2), flatten(), dense(5, w, b)}};
  const int n = 50;
  Built f(spec, n, 9);
  const std::vector<float> x = fixnet_test::random_values(std::size_t(n) * 64, 10, 0.0f, 1.0f);
  ActivationRanges ranges;
  REQUIRE(observe_ranges(&f.model, x.data(), 25, &ranges).ok());
  REQUIRE(observe_ranges(&f.model, x.data() + 25 * 64, 25, &ranges).ok());
  CHECK(ranges.examples == 50);
  // Pass-through layers keep their input's range exactly.
  CHECK(ranges.max[2] == ranges.max[1]);
  CHECK(ranges.max[3] <= ranges.max[2]);
  Built8 q(spec, int8_options(n));
  REQUIRE(quantize_model(f.model, ranges, &q.model).ok());
  CHECK(q.model.parameters().activations[3].scale == q.model.parameters().activations[2].scale);
  std::vector<float> pf(std::size_t(n) * 5), pq(std::size_t(n) * 5);
  REQUIRE(f.model.predict(x.data(), n, pf.data()).ok());
  REQUIRE(q.model.predict(x.data(), n, pq.data()).ok());
  int same = 0;
  double worst = 0;
  for (int e = 0; e < n; ++e) {
    same += argmax(pf.data() + 5 * e, 5) == argmax(pq.data() + 5 * e, 5);
    for (int c = 0; c < 5; ++c) worst = std::fmax(worst, std::fabs(pf[std::size_t(5 * e + c)] - pq[std::size_t(5 * e + c)]));
  }
  CHECK(same >= 47);
  CHECK(worst < 0.1);
  // Bytes v stand for v / 255: the same int8 input as from floats.
  std::vector<std::uint8_t> bytes(64);
  std::vector<float> floats(64);
  for (int i = 0; i < 64; ++i) {
    bytes[std::size_t(i)] = std::uint8_t(i * 4 + 1);
    floats[std::size_t(i)] = float(bytes[std::size_t(i)]) * (1.0f / 255.0f);
  }
  REQUIRE(q.model.quantize_bytes(bytes.data(), 1).ok());
  const std::vector<std::int8_t> from_bytes(q.model.input_buffer(), q.model.input_buffer() + 64);
  REQUIRE(q.model.quantize_input(floats.data(), 1).ok());
  CHECK(std::vector<std::int8_t>(q.model.input_buffer(), q.model.input_buffer() + 64) == from_bytes);
}

TEST_CASE("int8 models refuse what they cannot run, with exact errors") {
  const GoldenParameters golden;
  Built8 wrong_precision(kGoldenSpec, PlanOptions{1});
  CHECK(std::string(wrong_precision.status.message) == "an Int8Model needs an int8 plan");
  fixnet_test::TestArena float_arena(plan(kGoldenSpec, int8_options(1)).bytes);
  Model float_model;
  CHECK(std::string(float_model.init(kGoldenSpec, int8_options(1), float_arena.data(), plan(kGoldenSpec, int8_options(1)).bytes)
                        .message) == "a Model needs a float plan");
  Built8 missing(kGoldenSpec, int8_options(1, 1, true));
  CHECK(std::string(missing.status.message) == "external parameters must be given exactly when the plan says so");
  Built8 fresh(kGoldenSpec, int8_options(1));
  REQUIRE(fresh.status.ok());
  const std::int8_t* logits = nullptr;
  CHECK(std::string(fresh.model.forward(fresh.model.input_buffer(), 1, &logits).message) ==
        "int8 model has no valid parameters");
  Int8Parameters bad = golden.params;
  bad.activations[2].zero_point = 5;  // the pooling layer would change the quantization
  Built8 changed(kGoldenSpec, int8_options(1, 1, true), &bad);
  CHECK(std::string(changed.status.message) ==
        "int8 model: a pooling, ReLU, flatten or dropout layer changes the quantization");
  for (const LayerSpec& layer : {sigmoid(), tanh(), avg_pool(2, 2), global_avg_pool()}) {
    const ModelSpec curved{Dims{4, 4, 2}, {conv2d(2, 3, 3, 1, Padding::same), layer, flatten(), dense(3)}};
    CHECK(std::string(plan(curved, int8_options(1)).status.message) ==
          "int8: sigmoid, tanh and average-pooling layers run in float plans only");
  }
  Built8 ok(kGoldenSpec, int8_options(2, 1, true), &golden.params);
  REQUIRE(ok.status.ok());
  CHECK(std::string(ok.model.forward(ok.model.input_buffer(), 3, &logits).message) == "example count must be 1..batch");
  CHECK(std::string(ok.model.set_parallel(fixnet_test::simulated_workers(2)).message) ==
        "workers must be 1..the plan's workers");
}

TEST_CASE("an int8 model file round-trips bit for bit, and its format is as documented") {
  const std::vector<std::uint8_t> file = golden_file();
  CHECK(file.size() == 24 + 32 * 7 + 8 * 8 + (16 * 5 + 136) + (16 * 17 + 2128) + (16 * 10 + 680) + 4);
  CHECK(file[4] == 2);
  ModelSpec spec;
  Precision precision = Precision::float32;
  REQUIRE(read_model_spec(file.data(), file.size(), &spec, &precision).ok());
  CHECK(precision == Precision::int8);
  CHECK(same_architecture(spec, kGoldenSpec));
  Built8 loaded(spec, int8_options(3));
  REQUIRE(load_model_file(file.data(), file.size(), &loaded.model).ok());
  CHECK(run_golden(loaded.model, 3) == std::vector<std::int8_t>(kGoldenLogits, kGoldenLogits + 30));
  std::vector<std::uint8_t> again(file.size());
  REQUIRE(write_model_file(loaded.model, again.data(), again.size(), nullptr).ok());
  CHECK(again == file);
}

TEST_CASE("an int8 model file loads in one call into the Int8Model, whatever the options say") {
  const std::vector<std::uint8_t> file = golden_file();
  const PlanOptions options{3};  // float32 by default: the file's precision wins
  Plan planned;
  REQUIRE(plan_model_file(file.data(), file.size(), options, &planned).ok());
  CHECK(planned.options.precision == Precision::int8);
  CHECK(planned.bytes == plan(kGoldenSpec, int8_options(3)).bytes);
  fixnet_test::TestArena arena(planned.bytes);
  Model unused;
  Int8Model model;
  Precision precision = Precision::float32;
  REQUIRE(load_model_file(file.data(), file.size(), options, arena.data(), planned.bytes, &unused, &model, &precision)
              .ok());
  CHECK(precision == Precision::int8);
  CHECK(run_golden(model, 3) == std::vector<std::int8_t>(kGoldenLogits, kGoldenLogits + 30));
  CHECK(std::string(load_model_file(file.data(), file.size(), options, arena.data(), planned.bytes, &unused, nullptr,
                                    nullptr)
                        .message) == "model file: it holds an int8 model, and no Int8Model was given");
  CHECK(std::string(load_model_file(file.data(), file.size(), PlanOptions{3, OptimizerKind::adam}, arena.data(),
                                    planned.bytes, &unused, &model, nullptr)
                        .message) == "int8 plans are for inference only");
  CHECK(run_golden(model, 3) == std::vector<std::int8_t>(kGoldenLogits, kGoldenLogits + 30));  // untouched
}

TEST_CASE("bad int8 model files are refused with exact errors") {
  const std::vector<std::uint8_t> good = golden_file();
  const std::size_t tensors = 24 + 32 * 7;  // the activation table
  const std::size_t conv1 = tensors + 8 * 8;  // weight scales, biases, multipliers, shifts, weights
  struct Edit {
    const char* what;
    void (*apply)(std::vector<std::uint8_t>&, std::size_t tensors, std::size_t conv1);
    const char* message;
  };
  const Edit edits[] = {
      {"version 4", [](auto& f, auto, auto) { f[4] = 4; },
       "model file: unsupported format version (this build reads versions 1 to 3)"},
      {"truncated", [](auto& f, auto, auto) { f.resize(f.size() - 4); },
       "model file: shorter than its architecture needs (truncated)"},
      {"oversized", [](auto& f, auto, auto) { f.resize(f.size() + 4); }, "model file: bytes continue past the checksum"},
      {"input zero point 200", [](auto& f, auto t, auto) { put_u32(f, t + 4, 200); },
       "int8 model: the input's scale or zero point is invalid"},
      {"output scale NaN", [](auto& f, auto t, auto) { put_u32(f, t + 8, 0x7FC00000u); },
       "int8 model: a layer's output scale or zero point is invalid"},
      {"negative scale", [](auto& f, auto t, auto) { put_u32(f, t, 0xBF800000u); },
       "int8 model: the input's scale or zero point is invalid"},
      {"weight scale 0", [](auto& f, auto, auto c) { put_u32(f, c, 0); }, "int8 model: a weight scale is invalid"},
      {"multiplier 5", [](auto& f, auto, auto c) { put_u32(f, c + 4 * 10, 5); },
       "int8 model: a multiplier is outside [2^30, 2^31)"},
      {"shift 31", [](auto& f, auto, auto c) { put_u32(f, c + 4 * 15, 31); },
       "int8 model: a shift is outside [-31, 30]"},
      {"weight -128", [](auto& f, auto, auto c) { f[c + 16 * 5 + 7] = 0x80; },
       "int8 model: a weight is -128 (symmetric weights are -127..127)"},
      {"pooling changes scale", [](auto& f, auto t, auto) { put_u32(f, t + 8 * 2, 0x3F800000u); },
       "int8 model: a pooling, ReLU, flatten or dropout layer changes the quantization"},
  };
  for (const Edit& e : edits) {
    CAPTURE(e.what);
    std::vector<std::uint8_t> file = good;
    e.apply(file, tensors, conv1);
    reseal(file);
    CHECK(read_error(file) == e.message);
    Built8 target(kGoldenSpec, int8_options(1));
    CHECK(std::string(load_model_file(file.data(), file.size(), &target.model).message) == e.message);
  }
  std::vector<std::uint8_t> flipped = good;
  flipped[conv1 + 100] ^= 1;
  CHECK(read_error(flipped) == "model file: checksum mismatch (the file is corrupted)");
  std::vector<std::uint8_t> shifted(good.size() + 1);
  std::memcpy(shifted.data() + 1, good.data(), good.size());
  ModelSpec spec;
  CHECK(std::string(read_model_spec(shifted.data() + 1, good.size(), &spec).message) ==
        "model file: int8 files are read in place: 4-byte aligned, on little-endian hosts");
  // Each precision's file goes to its own kind of model.
  Built float_model(kGoldenSpec, 1, 1);
  CHECK(std::string(load_model_file(good.data(), good.size(), &float_model.model).message) ==
        "model file: it holds an int8 model (load it into an Int8Model)");
  std::vector<std::uint8_t> float_file(model_file_size(kGoldenSpec));
  REQUIRE(write_model_file(float_model.model, float_file.data(), float_file.size(), nullptr).ok());
  Built8 int8_model(kGoldenSpec, int8_options(1));
  CHECK(std::string(load_model_file(float_file.data(), float_file.size(), &int8_model.model).message) ==
        "model file: it holds a float model (quantize it for an Int8Model)");
  Built8 other(mnist::nano_spec(), int8_options(1));
  CHECK(std::string(load_model_file(good.data(), good.size(), &other.model).message) ==
        "model file: it holds a different architecture than this model");
}
