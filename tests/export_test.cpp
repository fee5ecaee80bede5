// fixnet tests: headers written by `fixnet-mnist export` compile, plan at
// compile time into static arenas, and give the logits of the files they
// came from: int8 bit for bit, float exactly.
// Usage: fixnet-export-test FLOAT_FILE INT8_FILE
#include <cstdio>
#include <cstring>
#include <vector>

#include "exported_float.h"
#include "exported_int8.h"
#include "fixnet/model_file.h"
#include "host_files.h"
#include "test_util.h"

namespace {

alignas(fixnet::kArenaAlignment) std::byte g_int8_arena[exported_int8::kPlan.bytes];
alignas(fixnet::kArenaAlignment) std::byte g_float_arena[exported_float::kPlan.bytes];

bool check(const fixnet::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "export test: %s: %s\n", what, s.message);
  return s.ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fixnet-export-test FLOAT_FILE INT8_FILE\n");
    return 2;
  }
  using namespace fixnet;
  std::vector<std::uint8_t> float_bytes, int8_bytes;
  std::string error;
  if (!fixnet_host::read_file(argv[1], float_bytes, error) || !fixnet_host::read_file(argv[2], int8_bytes, error)) {
    std::fprintf(stderr, "export test: %s\n", error.c_str());
    return 1;
  }
  // The files, loaded as any model file is.
  const PlanOptions int8_options{1, OptimizerKind::none, 1, false, Precision::int8};
  fixnet_test::TestArena file_int8_arena(plan(exported_int8::kSpec, int8_options).bytes);
  fixnet_test::TestArena file_float_arena(plan(exported_float::kSpec, PlanOptions{1}).bytes);
  Int8Model file_int8, header_int8;
  Model file_float, header_float;
  if (!check(file_int8.init(exported_int8::kSpec, int8_options, file_int8_arena.data(),
                            plan(exported_int8::kSpec, int8_options).bytes), "int8 file model") ||
      !check(load_model_file(int8_bytes.data(), int8_bytes.size(), &file_int8), "int8 file") ||
      !check(file_float.init(exported_float::kSpec, PlanOptions{1}, file_float_arena.data(),
                             plan(exported_float::kSpec, PlanOptions{1}).bytes), "float file model") ||
      !check(load_model_file(float_bytes.data(), float_bytes.size(), &file_float), "float file"))
    return 1;
  // The headers: external parameters in const arrays, static arenas.
  if (!check(header_int8.init(exported_int8::kSpec, exported_int8::kOptions, g_int8_arena, sizeof g_int8_arena,
                              &exported_int8::kParameters), "int8 header") ||
      !check(header_float.init(exported_float::kSpec, exported_float::kOptions, g_float_arena, sizeof g_float_arena,
                               exported_float::kParameters), "float header"))
    return 1;
  const int inputs = 20;
  Rng rng(11);
  int mismatches = 0;
  std::vector<float> x(exported_int8::kSpec.input.size());
  for (int e = 0; e < inputs; ++e) {
    for (float& v : x) v = rng.uniform();
    const std::int8_t *a = nullptr, *b = nullptr;
    if (!check(file_int8.quantize_input(x.data(), 1), "quantize") ||
        !check(file_int8.forward(file_int8.input_buffer(), 1, &a), "int8 forward") ||
        !check(header_int8.quantize_input(x.data(), 1), "quantize") ||
        !check(header_int8.forward(header_int8.input_buffer(), 1, &b), "int8 forward"))
      return 1;
    mismatches += std::memcmp(a, b, 10) != 0;
    const float *fa = nullptr, *fb = nullptr;
    if (!check(file_float.forward(x.data(), 1, false, nullptr, &fa), "float forward")) return 1;
    std::vector<float> first(fa, fa + 10);
    if (!check(header_float.forward(x.data(), 1, false, nullptr, &fb), "float forward")) return 1;
    mismatches += std::memcmp(first.data(), fb, 10 * sizeof(float)) != 0;
  }
  std::printf("exported headers: %d inputs, %d mismatching logits (int8 and float)\n", inputs, mismatches);
  return mismatches == 0 ? 0 : 1;
}
