// fixnet tests: writes a small float model file and its int8 quantization
// (seeded, no data needed), for the export test.
// Usage: make_test_models FLOAT_FILE INT8_FILE
#include <cstdio>
#include <vector>

#include "arena.h"
#include "fixnet/model_file.h"
#include "fixnet/quantize_model.h"
#include "host_files.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_test_models FLOAT_FILE INT8_FILE\n");
    return 2;
  }
  using namespace fixnet;
  const Init w = truncated_normal_init(0.3f), b = constant_init(0.05f);
  const ModelSpec spec{Dims{12, 12, 1},
                       {conv2d(6, 3, 3, 1, Padding::same, w, b), relu(), max_pool(2, 2),
                        conv2d(8, 3, 3, 2, Padding::same, w, b), relu(), flatten(), dropout(0.5f), dense(10, w, b)}};
  const int n = 32;
  const PlanOptions float_options{n};
  auto float_arena = fixnet_host::allocate_arena(plan(spec, float_options).bytes);
  Model model;
  Status s = model.init(spec, float_options, float_arena.get(), plan(spec, float_options).bytes);
  Rng rng(5);
  model.initialize_parameters(rng);
  std::vector<float> x(std::size_t(n) * 144);
  for (float& v : x) v = rng.uniform();
  ActivationRanges ranges;
  if (s.ok()) s = observe_ranges(&model, x.data(), n, &ranges);
  const PlanOptions int8_options{1, OptimizerKind::none, 1, false, Precision::int8};
  auto int8_arena = fixnet_host::allocate_arena(plan(spec, int8_options).bytes);
  Int8Model int8;
  if (s.ok()) s = int8.init(spec, int8_options, int8_arena.get(), plan(spec, int8_options).bytes);
  if (s.ok()) s = quantize_model(model, ranges, &int8);
  std::vector<std::uint8_t> float_file(model_file_size(spec)), int8_file(int8_model_file_size(spec));
  if (s.ok()) s = write_model_file(model, float_file.data(), float_file.size(), nullptr);
  if (s.ok()) s = write_model_file(int8, int8_file.data(), int8_file.size(), nullptr);
  std::string error;
  if (!s.ok() || !fixnet_host::write_file_atomic(argv[1], float_file.data(), float_file.size(), error) ||
      !fixnet_host::write_file_atomic(argv[2], int8_file.data(), int8_file.size(), error)) {
    std::fprintf(stderr, "make_test_models: %s\n", s.ok() ? error.c_str() : s.message);
    return 1;
  }
  return 0;
}
