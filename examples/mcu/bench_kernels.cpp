// fixnet firmware: instructions per call of the int8 convolution and dense
// kernels on the shapes of the CMSIS-NN peer benchmark (conv 14x14x16 -> 32
// filters 3x3 SAME; fully connected 1568 -> 10), random data, per-channel
// requantization; each result checked bit for bit against the reference
// kernel. Prints one line per kernel: instructions, multiply-adds and their
// ratio. (tools/bench/mcu runs it beside the peers.)
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "board.h"
#include "fixnet/int8_kernels.h"
#include "fixnet/quantization.h"
#include "fixnet/random.h"

namespace {

struct Shape {
  const char* name;
  fixnet::ConvGeometry g;
  long macs;
};

std::int8_t g_x[14 * 14 * 16 + 1568], g_w[3 * 3 * 16 * 32 + 1568 * 10], g_y[14 * 14 * 32], g_ref[14 * 14 * 32];
std::int32_t g_bias[32], g_multiplier[32], g_shift[32];
alignas(4) std::uint8_t g_scratch[8192];

bool measure(const Shape& s) {
  fixnet::Rng rng(7);
  const fixnet::ConvGeometry& g = s.g;
  const int inputs = g.n * g.input.size(), weights = g.kernel_h * g.kernel_w * g.input.channels * g.output.channels;
  for (int i = 0; i < inputs; ++i) g_x[i] = std::int8_t(int(rng.below(256)) - 128);
  for (int i = 0; i < weights; ++i) g_w[i] = std::int8_t(int(rng.below(255)) - 127);
  for (int f = 0; f < g.output.channels; ++f) {
    g_bias[f] = std::int32_t(rng.below(1 << 14)) - (1 << 13);
    g_multiplier[f] = std::int32_t((1u << 30) + rng.below(1u << 30));
    g_shift[f] = -9 - std::int32_t(rng.below(3));
  }
  fixnet::Int8Output out;
  out.bias = g_bias;
  out.multiplier = g_multiplier;
  out.shift = g_shift;
  out.input_zero_point = -3;
  out.output_zero_point = 5;
  if (fixnet::int8_scratch_bytes(g) > sizeof g_scratch) {
    std::printf("%s: scratch too small\n", s.name);
    return false;
  }
  std::uint8_t* scratch[1] = {g_scratch};
  std::uint64_t counts[5];
  for (std::uint64_t& c : counts) {
    const std::uint64_t t0 = mcu::instructions();
    fixnet::int8_conv2d(g, g_x, g_w, nullptr, out, g_y, fixnet::Int8Scratch{scratch}, fixnet::Parallel{});
    c = mcu::instructions() - t0;
  }
  std::sort(counts, counts + 5);
  fixnet::int8_conv2d_reference(g, g_x, g_w, out, g_ref);
  const int outputs = g.n * g.output.size();
  const bool same = std::memcmp(g_y, g_ref, std::size_t(outputs)) == 0;
  std::printf("%-44s %9lu instructions, %7ld multiply-adds, %.3f per instruction, %s\n", s.name,
              (unsigned long)counts[2], s.macs, double(s.macs) / double(counts[2]),
              same ? "equal to the reference" : "DIFFERENT FROM THE REFERENCE");
  return same;
}

}  // namespace

int main() {
  const Shape shapes[] = {
      {"conv 14x14x16 -> 32, 3x3, SAME, stride 1",
       fixnet::conv_geometry(fixnet::conv2d(32, 3, 3, 1, fixnet::Padding::same), fixnet::Dims{14, 14, 16}, 1),
       14L * 14 * 32 * 9 * 16},
      {"fully connected 1568 -> 10", fixnet::dense_geometry(1, 1568, 10), 1568L * 10},
  };
  std::printf("fixnet int8 kernels on %s (%s)\n", mcu::board_name(), fixnet::int8::kName);
  bool ok = true;
  for (const Shape& s : shapes) ok = measure(s) && ok;
  return ok ? 0 : 1;
}
