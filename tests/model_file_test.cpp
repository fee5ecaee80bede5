// fixnet tests: the model file round trip, and every way a file can be wrong.
#include <doctest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fixnet/mnist.h"
#include "fixnet/model_file.h"
#include "test_util.h"

using namespace fixnet;

namespace {

const ModelSpec kSmall{Dims{6, 6, 1},
                       {conv2d(2, 3, 3, 1, Padding::same, truncated_normal_init(0.1f), constant_init(0.1f)), relu(),
                        max_pool(2, 2), flatten(), dropout(0.5f), dense(3, truncated_normal_init(0.1f))}};

struct Built {
  explicit Built(const ModelSpec& spec) : options{2}, arena(plan(spec, options).bytes) {
    REQUIRE(model.init(spec, options, arena.data(), plan(spec, options).bytes).ok());
  }
  PlanOptions options;
  fixnet_test::TestArena arena;
  Model model;
};

// The model file of `model`.
std::vector<std::uint8_t> file_of(const Model& model) {
  std::vector<std::uint8_t> file(model_file_size(model.spec()));
  std::size_t written = 0;
  REQUIRE(write_model_file(model, file.data(), file.size(), &written).ok());
  REQUIRE(written == file.size());
  return file;
}

std::vector<std::uint8_t> saved_small_model() {
  Built b(kSmall);
  Rng rng(3);
  b.model.initialize_parameters(rng);
  return file_of(b.model);
}

std::string load_error(const std::vector<std::uint8_t>& file) {
  Built b(kSmall);
  return load_model_file(file.data(), file.size(), &b.model).message;
}

}  // namespace

TEST_CASE("CRC-32 gives the standard check value") { CHECK(crc32("123456789", 9) == 0xCBF43926u); }

TEST_CASE("a saved model loads back bit for bit, and its architecture can be read") {
  const std::vector<std::uint8_t> file = saved_small_model();
  CHECK(file.size() == 24 + 32 * 6 + 8 + 4 * (18 + 2 + 18 * 3 + 3) + 4);
  CHECK(std::memcmp(file.data(), "FXNM", 4) == 0);
  ModelSpec spec;
  REQUIRE(read_model_spec(file.data(), file.size(), &spec).ok());
  CHECK(same_architecture(spec, kSmall));
  Built b(spec);
  REQUIRE(load_model_file(file.data(), file.size(), &b.model).ok());
  Built original(kSmall);
  Rng rng(3);
  original.model.initialize_parameters(rng);
  CHECK(std::memcmp(b.model.parameters(), original.model.parameters(), b.model.parameter_count() * 4) == 0);
}

TEST_CASE("every layer kind round-trips through a model file and computes the same outputs") {
  const ModelSpec spec{Dims{6, 6, 2},
                       {conv2d(3, 3, 3, 1, Padding::same, truncated_normal_init(0.5f)), tanh(), avg_pool(2, 2, Padding::valid),
                        conv2d(4, 2, 2, 1, Padding::same, truncated_normal_init(0.5f)), sigmoid(), max_pool(2, 1),
                        global_avg_pool(), dense(1, truncated_normal_init(0.5f), constant_init(0.25f))}};
  Built a(spec);
  Rng rng(4);
  a.model.initialize_parameters(rng);
  const std::vector<std::uint8_t> file = file_of(a.model);
  ModelSpec read;
  REQUIRE(read_model_spec(file.data(), file.size(), &read).ok());
  CHECK(same_architecture(read, spec));
  CHECK(read.layers[2].kind == LayerKind::avg_pool);
  CHECK(read.layers[2].padding == Padding::valid);
  CHECK(std::uint32_t(read.layers[6].kind) == 10);  // the kind numbers docs/model-file.md gives
  CHECK(std::uint32_t(read.layers[4].kind) == 7);
  Built b(read);
  REQUIRE(load_model_file(file.data(), file.size(), &b.model).ok());
  const std::vector<float> input = fixnet_test::random_values(2 * 6 * 6 * 2, 5);
  const float *ya = nullptr, *yb = nullptr;
  REQUIRE(a.model.forward(input.data(), 2, false, nullptr, &ya).ok());
  REQUIRE(b.model.forward(input.data(), 2, false, nullptr, &yb).ok());
  CHECK(ya[0] == yb[0]);
  CHECK(ya[1] == yb[1]);
  CHECK(ya[0] != ya[1]);
}

TEST_CASE("a model file loads in one call into a planned arena, or is refused with the model untouched") {
  const std::vector<std::uint8_t> file = saved_small_model();
  const PlanOptions options{2};
  Plan planned;
  REQUIRE(plan_model_file(file.data(), file.size(), options, &planned).ok());
  CHECK(same_architecture(planned.spec, kSmall));
  CHECK(planned.bytes == plan(kSmall, options).bytes);
  CHECK(planned.options.precision == Precision::float32);

  fixnet_test::TestArena arena(planned.bytes);
  Model model;
  Int8Model unused;
  Precision precision = Precision::int8;
  REQUIRE(load_model_file(file.data(), file.size(), options, arena.data(), planned.bytes, &model, &unused, &precision)
              .ok());
  CHECK(precision == Precision::float32);
  Built original(kSmall);
  Rng rng(3);
  original.model.initialize_parameters(rng);
  const std::size_t bytes = original.model.parameter_count() * 4;
  REQUIRE(model.parameter_count() * 4 == bytes);
  CHECK(std::memcmp(model.parameters(), original.model.parameters(), bytes) == 0);

  const auto error = [&](const std::vector<std::uint8_t>& f, const PlanOptions& o, std::size_t arena_bytes,
                         Model* m) {
    return std::string(load_model_file(f.data(), f.size(), o, arena.data(), arena_bytes, m, &unused, nullptr).message);
  };
  std::vector<std::uint8_t> corrupt = file;
  corrupt[corrupt.size() / 2] ^= 1;
  PlanOptions external = options;
  external.external_parameters = true;
  CHECK(error(file, options, planned.bytes - 1, &model) == "arena is smaller than the plan's bytes");
  CHECK(error(corrupt, options, planned.bytes, &model) == "model file: checksum mismatch (the file is corrupted)");
  CHECK(error(file, options, planned.bytes, nullptr) == "model file: it holds a float model, and no Model was given");
  CHECK(error(file, external, planned.bytes, &model) ==
        "external parameters must be given exactly when the plan says so");
  CHECK(std::string(plan_model_file(corrupt.data(), corrupt.size(), options, &planned).message) ==
        "model file: checksum mismatch (the file is corrupted)");
  CHECK(std::memcmp(model.parameters(), original.model.parameters(), bytes) == 0);  // untouched by the refusals
  std::vector<float> probabilities(2 * 3);
  CHECK(model.predict(model.input_buffer(), 2, probabilities.data()).ok());  // still built: init never ran again
}

TEST_CASE("truncated, extended, foreign and future files are refused with the exact error") {
  const std::vector<std::uint8_t> file = saved_small_model();
  for (std::size_t keep : {std::size_t(0), std::size_t(3), std::size_t(7), std::size_t(20), std::size_t(100),
                           file.size() - 40, file.size() - 1}) {
    CAPTURE(keep);
    const std::vector<std::uint8_t> cut(file.begin(), file.begin() + std::ptrdiff_t(keep));
    Built b(kSmall);
    CHECK(load_model_file(cut.data(), cut.size(), &b.model).code == Error::truncated);
  }
  std::vector<std::uint8_t> longer = file;
  longer.push_back(0);
  CHECK(load_error(longer) == "model file: bytes continue past the checksum");
  std::vector<std::uint8_t> foreign = file;
  foreign[0] = 'P';
  CHECK(load_error(foreign) == "model file: not a fixnet model file (bad magic)");
  std::vector<std::uint8_t> future = file;
  future[4] = 4;
  CHECK(load_error(future) == "model file: unsupported format version (this build reads versions 1 to 3)");
}

TEST_CASE("every flipped byte is refused; in the parameters, by the checksum") {
  const std::vector<std::uint8_t> file = saved_small_model();
  const std::size_t parameters_start = 24 + 32 * 6 + 8;
  for (std::size_t at = 0; at < file.size(); ++at) {
    CAPTURE(at);
    std::vector<std::uint8_t> flipped = file;
    flipped[at] ^= 0x10;
    Built b(kSmall);
    const Status s = load_model_file(flipped.data(), flipped.size(), &b.model);
    CHECK(!s.ok());
    if (at >= parameters_start) CHECK(std::string(s.message) == "model file: checksum mismatch (the file is corrupted)");
  }
}

TEST_CASE("parameters that are not finite are neither written nor read") {
  Built b(kSmall);
  Rng rng(3);
  b.model.initialize_parameters(rng);
  b.model.mutable_parameters()[5] = std::numeric_limits<float>::infinity();
  std::vector<std::uint8_t> file(model_file_size(kSmall), 0xAB);
  Status s = write_model_file(b.model, file.data(), file.size(), nullptr);
  CHECK(s.code == Error::diverged);
  CHECK(std::string(s.message) == "model has a parameter that is not finite (training diverged); nothing written");
  CHECK(file == std::vector<std::uint8_t>(file.size(), 0xAB));  // nothing written
  // A file holding a NaN, with a right checksum, is refused when read.
  file = saved_small_model();
  const std::size_t at = 24 + 32 * 6 + 8 + 4 * 7;
  const std::uint32_t nan_bits = 0x7FC00000u;
  std::memcpy(&file[at], &nan_bits, 4);
  const std::uint32_t crc = crc32(file.data(), file.size() - 4);
  std::memcpy(&file[file.size() - 4], &crc, 4);  // little-endian hosts, as the file
  ModelSpec spec;
  s = read_model_spec(file.data(), file.size(), &spec);
  CHECK(s.code == Error::corrupt);
  CHECK(std::string(s.message) == "model file: a parameter is not finite");
  CHECK(load_error(file) == "model file: a parameter is not finite");
}

TEST_CASE("a file for another architecture is refused") {
  const std::vector<std::uint8_t> file = saved_small_model();
  const ModelSpec other{Dims{6, 6, 1}, {flatten(), dense(3)}};
  Built b(other);
  const Status s = load_model_file(file.data(), file.size(), &b.model);
  CHECK(s.code == Error::architecture_mismatch);
  CHECK(std::string(s.message) == "model file: it holds a different architecture than this model");
  // Same layers, another dropout rate: the same network (dropout only shapes training).
  ModelSpec keep = kSmall;
  keep.layers[4].keep_prob = 0.7f;
  Built c(keep);
  CHECK(load_model_file(file.data(), file.size(), &c.model).ok());
  // Another stride is another network.
  ModelSpec stride = kSmall;
  stride.layers[0].stride_h = stride.layers[0].stride_w = 2;
  Built d(stride);
  CHECK(load_model_file(file.data(), file.size(), &d.model).code == Error::architecture_mismatch);
}

namespace {

// A model of kSmall training with Adam on a small dataset, a few steps in.
struct Training {
  Training() : arena(plan(kSmall, options).bytes), order(12) {
    REQUIRE(model.init(kSmall, options, arena.data(), plan(kSmall, options).bytes).ok());
    Rng init(5);
    model.initialize_parameters(init);
    for (int i = 0; i < 12 * 36; ++i) pixels[i] = std::uint8_t(i * 37);
    for (int i = 0; i < 12; ++i) labels[i] = std::uint8_t(i % 3);
    data = Dataset{pixels, labels, 12, 6, 6};
    REQUIRE(batches.init(data, order.data(), order.size(), &rng).ok());
  }
  void steps(int count) {
    OptimizerSettings adam;
    adam.learning_rate = 0.01f;
    for (int i = 0; i < count; ++i) {
      REQUIRE(batches.next(2, model.input_buffer(), model.label_buffer()).ok());
      REQUIRE(model.train_step(model.input_buffer(), model.label_buffer(), 2, adam, rng, nullptr).ok());
    }
  }
  std::vector<std::uint8_t> state() {
    std::vector<std::uint8_t> bytes(training_state_size(kSmall, model.optimizer_state_count(), 12));
    std::size_t written = 0;
    REQUIRE(write_training_state(model, rng, &batches, bytes.data(), bytes.size(), &written).ok());
    REQUIRE(written == bytes.size());
    return bytes;
  }
  PlanOptions options{2, OptimizerKind::adam};
  fixnet_test::TestArena arena;
  Model model;
  Rng rng{9};
  std::uint8_t pixels[12 * 36], labels[12];
  Dataset data;
  std::vector<std::int32_t> order;
  BatchIterator batches;
};

}  // namespace

TEST_CASE("a training state resumes training bit for bit: parameters, Adam, generator, minibatch order") {
  Training unbroken;
  unbroken.steps(9);  // crosses epochs (6 batches of 2 per epoch)
  Training first;
  first.steps(4);
  const std::vector<std::uint8_t> saved = first.state();
  CHECK(saved[4] == 3);
  ModelSpec spec;
  Precision precision = Precision::int8;
  REQUIRE(read_model_spec(saved.data(), saved.size(), &spec, &precision).ok());
  CHECK(precision == Precision::float32);
  Training second;  // another generator and order until the state is loaded
  second.rng.reseed(123);
  REQUIRE(load_training_state(saved.data(), saved.size(), &second.model, &second.rng, &second.batches).ok());
  CHECK(second.model.steps() == 4);
  second.steps(5);
  CHECK(second.state() == unbroken.state());
  // The state's parameters load as a model file's.
  Built b(kSmall);
  REQUIRE(load_model_file(saved.data(), saved.size(), &b.model).ok());
  CHECK(std::memcmp(b.model.parameters(), first.model.parameters(), first.model.parameter_count() * 4) == 0);
}

TEST_CASE("training states with parameters that are not finite are neither written nor read") {
  Training t;
  t.steps(2);
  std::vector<std::uint8_t> good = t.state();
  t.model.mutable_parameters()[3] = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::uint8_t> out(good.size(), 0xAB);
  const Status s = write_training_state(t.model, t.rng, &t.batches, out.data(), out.size(), nullptr);
  CHECK(s.code == Error::diverged);
  CHECK(out == std::vector<std::uint8_t>(out.size(), 0xAB));  // nothing written
  const std::uint32_t inf_bits = 0x7F800000u;
  std::memcpy(&good[24 + 32 * 6 + 8 + 4 * 3], &inf_bits, 4);
  const std::uint32_t crc = crc32(good.data(), good.size() - 4);
  std::memcpy(&good[good.size() - 4], &crc, 4);
  ModelSpec spec;
  CHECK(std::string(read_model_spec(good.data(), good.size(), &spec).message) == "model file: a parameter is not finite");
  Training other;
  CHECK(std::string(load_training_state(good.data(), good.size(), &other.model, &other.rng, &other.batches).message) ==
        "model file: a parameter is not finite");
}

TEST_CASE("bad training states are refused with exact errors, the model untouched") {
  Training t;
  t.steps(3);
  const std::vector<std::uint8_t> good = t.state();
  const std::size_t optimizer = 24 + 32 * 6 + 8 + 4 * (18 + 2 + 18 * 3 + 3);
  auto reseal = [](std::vector<std::uint8_t>& f) {
    const std::uint32_t crc = crc32(f.data(), f.size() - 4);
    for (int i = 0; i < 4; ++i) f[f.size() - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
  };
  auto error = [&](std::vector<std::uint8_t> f) {
    Training target;
    return std::string(load_training_state(f.data(), f.size(), &target.model, &target.rng, &target.batches).message);
  };
  std::vector<std::uint8_t> f = good;
  f.resize(f.size() - 8);
  CHECK(error(f) == "training state: shorter than its fields say (truncated)");
  f = good;
  f.push_back(0);
  CHECK(error(f) == "model file: bytes continue past the checksum");
  f = good;
  f[optimizer] = 7;
  reseal(f);
  CHECK(error(f) == "training state: unknown optimizer");
  f = good;
  f[optimizer] = 1;  // gradient descent keeps no state: the state's count no longer fits
  reseal(f);
  CHECK(error(f) == "training state: optimizer state does not match the trainable parameters");
  f = good;
  const std::size_t order = f.size() - 4 - 4 * 12 - 12;
  f[order] = 13;  // position past the 12 examples
  reseal(f);
  CHECK(error(f) == "training state: minibatch position out of range");
  f = good;
  f[order + 12] = 12;  // an index that is no example
  reseal(f);
  CHECK(error(f) == "batches: an index of the order is not an example");
  // Another optimizer in the model than in the state.
  Built inference(kSmall);
  Rng rng;
  CHECK(std::string(load_training_state(good.data(), good.size(), &inference.model, &rng, nullptr).message) ==
        "training state: another optimizer or other frozen layers than this model's");
}
