// fixnet: int8 inference kernels, TensorFlow Lite's integer arithmetic. A
// convolution (a dense layer is a 1x1 convolution over its examples) sums
// (x - input_zero_point) * w in int32, adds the int32 bias and requantizes
// each sum to int8 (quantization.h). Every sum is exact, so the fast kernels
// give the scalar reference's bits on every target; tests compare them.
//
// Weights are stored as TFLite stores them, filter-major: conv2d
// [filters, kh, kw, in_channels] (OHWI), dense [units, inputs]. The vector
// kernels read a copy repacked for them (int8_pack_weights); Arm's DSP
// kernel and the scalar one read the stored weights as they are.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/kernels.h"
#include "fixnet/parallel.h"

namespace fixnet {
namespace int8 {

// The kernel this build runs, from the compiler's target (intrinsics live in
// int8_kernels.cpp only, so plans stay constexpr). kGroup inputs of one
// kernel row are multiplied and summed per int32 lane; kLanes filters per
// vector. vnni: u8 x s8 quads (x + 128 against weights; the zero point is
// folded into the biases); pairs: int16 pairs (x - zero point).
enum class Kernel : std::uint8_t { scalar = 1, arm_dsp, sse2_pairs, avx2_pairs, avx512_vnni, wasm_pairs };
// (FIXNET_INT8_<KERNEL> names the choice for the preprocessor;
// FIXNET_INT8_VECTOR is set for the vector kernels.)
#if defined(__ARM_FEATURE_DSP) && !defined(__aarch64__)
#define FIXNET_INT8_ARM_DSP 1
constexpr Kernel kKernel = Kernel::arm_dsp;
constexpr int kLanes = 1, kGroup = 1;
#define FIXNET_INT8_NAME "arm-dsp"
#elif defined(FIXNET_SIMD_SCALAR)
#define FIXNET_INT8_SCALAR 1
constexpr Kernel kKernel = Kernel::scalar;
constexpr int kLanes = 1, kGroup = 1;
#define FIXNET_INT8_NAME "scalar"
#elif defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define FIXNET_INT8_AVX512_VNNI 1
constexpr Kernel kKernel = Kernel::avx512_vnni;
constexpr int kLanes = 16, kGroup = 4;
#define FIXNET_INT8_NAME "avx512-vnni"
#elif defined(__AVX2__)
#define FIXNET_INT8_AVX2 1
constexpr Kernel kKernel = Kernel::avx2_pairs;
constexpr int kLanes = 8, kGroup = 2;
#define FIXNET_INT8_NAME "avx2"
#elif defined(__SSE2__)
#define FIXNET_INT8_SSE2 1
constexpr Kernel kKernel = Kernel::sse2_pairs;
constexpr int kLanes = 4, kGroup = 2;
#define FIXNET_INT8_NAME "sse2"
#elif defined(__wasm_simd128__)
#define FIXNET_INT8_WASM 1
constexpr Kernel kKernel = Kernel::wasm_pairs;
constexpr int kLanes = 4, kGroup = 2;
#define FIXNET_INT8_NAME "wasm-simd128"
#else
#define FIXNET_INT8_SCALAR 1
constexpr Kernel kKernel = Kernel::scalar;
constexpr int kLanes = 1, kGroup = 1;
#define FIXNET_INT8_NAME "scalar"
#endif
#if defined(FIXNET_INT8_AVX512_VNNI) || defined(FIXNET_INT8_AVX2) || defined(FIXNET_INT8_SSE2) || \
    defined(FIXNET_INT8_WASM)
#define FIXNET_INT8_VECTOR 1
#endif
constexpr const char* kName = FIXNET_INT8_NAME;
#undef FIXNET_INT8_NAME

// True when the kernel reads a repacked copy of the weights.
constexpr bool kPacks = kGroup > 1;
// Bytes per input value in a vector kernel's staged rows and per packed weight.
constexpr int kElementBytes = kGroup == 4 ? 1 : 2;
// The most output positions one tile of the vector kernels computes.
constexpr int kMaxTile = kLanes == 16 ? 24 : 8;

constexpr std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// Values of one kernel row (kw * in_channels), padded to whole groups.
constexpr std::size_t padded_row(const ConvGeometry& g) {
  return round_up(std::size_t(g.kernel_w) * std::size_t(g.input.channels), std::size_t(kGroup));
}

}  // namespace int8

// The geometry that runs a dense layer of `units` over n examples of
// `inputs` values as a 1x1 convolution: the examples are the pixels of one
// row.
constexpr ConvGeometry dense_geometry(int n, int inputs, int units) {
  ConvGeometry g;
  g.n = 1;
  g.input = Dims{1, n, inputs};
  g.output = Dims{1, n, units};
  g.kernel_h = g.kernel_w = 1;
  return g;
}

// Bytes of a layer's weights and biases repacked for this build's vector
// kernel (0 when it reads them as stored): [kh * padded_row / kGroup groups]
// [filters rounded up to kLanes][kGroup] weights, then int32 biases.
constexpr std::size_t int8_packed_bytes(const ConvGeometry& g) {
  if (!int8::kPacks) return 0;
  const std::size_t filters = int8::round_up(std::size_t(g.output.channels), std::size_t(int8::kLanes));
  return std::size_t(g.kernel_h) * int8::padded_row(g) * filters * std::size_t(int8::kElementBytes) + filters * 4;
}

// Scratch bytes per worker for int8_conv2d on g: the vector kernels stage one
// tile's input rows (and, for a single position, the list of its non-zero
// groups); Arm's DSP kernel, for kernel rows of whole quads, two patches
// as int16 and a kernel row as int8.
constexpr std::size_t int8_scratch_bytes(const ConvGeometry& g) {
  const std::size_t channels = std::size_t(g.input.channels);
  if (int8::kKernel == int8::Kernel::arm_dsp) {  // kernel rows of whole quads: two patches as int16, a row as int8
    const std::size_t run = std::size_t(g.kernel_w) * channels;
    return run % 4 == 0 ? 4 * std::size_t(g.kernel_h) * run + run : 0;
  }
  if (!int8::kPacks) return 0;
  const std::size_t pixels = std::size_t(int8::kMaxTile - 1) * std::size_t(g.stride_w) + std::size_t(g.kernel_w);
  const std::size_t rows = std::size_t(g.kernel_h) * int8::round_up(pixels * channels + int8::kGroup, 16) *
                           std::size_t(int8::kElementBytes);
  const std::size_t groups = std::size_t(g.kernel_h) * int8::padded_row(g) / std::size_t(int8::kGroup);
  return rows + groups * 4;
}

// How a layer's int32 sums become its int8 outputs. Sums run over
// (x - input_zero_point) * w; output f is requantize(sum + bias[f],
// multiplier[f], shift[f], output_zero_point, low, high).
struct Int8Output {
  const std::int32_t* bias = nullptr;        // [filters]
  const std::int32_t* multiplier = nullptr;  // [filters]
  const std::int32_t* shift = nullptr;       // [filters]
  std::int32_t input_zero_point = 0, output_zero_point = 0;
  std::int32_t low = -128, high = 127;  // a fused ReLU raises low to output_zero_point
};

// Per-worker scratch of int8_conv2d: worker w's int8_scratch_bytes at bytes[w].
struct Int8Scratch {
  std::uint8_t* const* bytes = nullptr;
};

// y[n, oh, ow, f] = int8 of sum over (ky, kx, c) inside the image of
// (x[n, oy*sh+ky-pt, ox*sw+kx-pl, c] - zx) * w[f, ky, kx, c], plus bias[f]
// (padding counts as the zero point, i.e. real 0).
void int8_conv2d_reference(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const Int8Output& out,
                           std::int8_t* y);

// Writes int8_packed_bytes(g) bytes at `packed`: w (OHWI) as this build's
// vector kernel reads it, and the biases (with the input zero point folded
// in where the kernel needs it). Nothing when the kernel does not pack.
void int8_pack_weights(const ConvGeometry& g, const std::int8_t* w, const Int8Output& out, void* packed);

// int8_conv2d_reference's result, fast: from `packed` (int8_pack_weights of
// w with the same `out`) on vector kernels, from w otherwise. Workers take
// contiguous shares of the output positions (of the filters, for a single
// position); each output is one worker's, so the bits never depend on the
// worker count.
void int8_conv2d(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const void* packed,
                 const Int8Output& out, std::int8_t* y, const Int8Scratch& scratch, const Parallel& parallel);

// y = the maximum of each window of x (padding never wins); exact in int8.
void int8_max_pool(const PoolGeometry& g, const std::int8_t* x, std::int8_t* y);

// y = max(x, zero_point); x and y may be the same buffer.
void int8_relu(std::size_t count, const std::int8_t* x, std::int8_t zero_point, std::int8_t* y);

}  // namespace fixnet
