// fixnet: int8 convolution (and dense), max-pooling and ReLU. The vector
// kernels stage a tile of output positions' input rows (converted for the
// multiply, padding written as the zero point) and multiply them by weights
// repacked as [group][filter][kGroup], kLanes filters per vector: each
// broadcast group of one position meets a vector of filters.
#include "fixnet/int8_kernels.h"

#include <cstring>
#include <type_traits>

#include "fixnet/quantization.h"

#if defined(FIXNET_INT8_AVX512_VNNI) || defined(FIXNET_INT8_AVX2) || defined(FIXNET_INT8_SSE2)
#include <immintrin.h>
#elif defined(FIXNET_INT8_WASM)
#include <wasm_simd128.h>
#elif defined(FIXNET_INT8_ARM_DSP)
#include <arm_acle.h>
#endif

namespace fixnet {

namespace {

using int8::kGroup;
using int8::kLanes;

// The int32 sum of output position `pos` (image, oy, ox) and filter f.
std::int32_t reference_sum(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, std::int32_t zx,
                           int image, int oy, int ox, int f) {
  const int c_in = g.input.channels;
  std::int32_t sum = 0;  // |sum| <= 255 * 127 * 2^16 < 2^31 (plans cap the sum's length)
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    const int iy = oy * g.stride_h + ky - g.pad_top;
    if (iy < 0 || iy >= g.input.height) continue;
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const int ix = ox * g.stride_w + kx - g.pad_left;
      if (ix < 0 || ix >= g.input.width) continue;
      const std::int8_t* in = x + ((std::ptrdiff_t(image) * g.input.height + iy) * g.input.width + ix) * c_in;
      const std::int8_t* wf = w + ((std::ptrdiff_t(f) * g.kernel_h + ky) * g.kernel_w + kx) * c_in;
      for (int c = 0; c < c_in; ++c) sum += (std::int32_t(in[c]) - zx) * std::int32_t(wf[c]);
    }
  }
  return sum;
}

// a + b modulo 2^32, as the vector instructions add (no undefined overflow).
inline std::int32_t wrapping_add(std::int32_t a, std::int32_t b) { return std::int32_t(std::uint32_t(a) + std::uint32_t(b)); }

// Output f of a sum (bias: the stored one, or the packed one the sum was made for).
[[gnu::always_inline]] inline std::int8_t output_value(const Int8Output& out, std::int32_t sum, const std::int32_t* bias, int f) {
  return requantize(wrapping_add(sum, bias[f]), out.multiplier[f], out.shift[f], out.output_zero_point, out.low,
                    out.high);
}

// --- the vector instruction sets ---------------------------------------------
// Acc holds kLanes int32 sums; madd(acc, group, w) adds, per lane, the
// products of one position's broadcast group (kGroup staged values in 32
// bits) with that lane's filter's kGroup weights. Staged is the type of a
// staged input value: vnni u8 x + 128 (the zero point folded into the
// biases), pairs int16 x - zero point.
#if defined(FIXNET_INT8_AVX512_VNNI)
using Acc = __m512i;
using Staged = std::uint8_t;
using Packed = std::int8_t;
constexpr bool kFoldsZeroPoint = true;
inline Acc acc_zero() { return _mm512_setzero_si512(); }
inline Acc load_weights(const Packed* w) { return _mm512_loadu_si512(w); }
inline Acc broadcast(std::int32_t group) { return _mm512_set1_epi32(group); }
inline Acc madd(Acc acc, Acc group, Acc w) { return _mm512_dpbusd_epi32(acc, group, w); }
inline void acc_store(std::int32_t* p, Acc a) { _mm512_storeu_si512(p, a); }
inline Staged stage(std::int8_t q, std::int32_t) { return Staged(std::uint8_t(q) ^ 0x80u); }
inline Staged stage_padding(std::int32_t zero_point) { return Staged(zero_point + 128); }
constexpr bool kVectorRequantize = true;
// requantize() on `count` <= kLanes sums of filters [f, f + count), all
// shifts <= 0 (a right shift only), into y[0, count). (GCC 12's AVX-512
// headers trip a false "maybe uninitialized" on shift and multiply intrinsics.)
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
inline void requantize_lanes(const std::int32_t* sums, const std::int32_t* bias, const Int8Output& out, int f,
                             int count, std::int8_t* y) {
  const __mmask16 valid = __mmask16((1u << count) - 1u);
  const __m512i x = _mm512_add_epi32(_mm512_loadu_si512(sums), _mm512_maskz_loadu_epi32(valid, bias + f));
  const __m512i m = _mm512_maskz_loadu_epi32(valid, out.multiplier + f);
  const __m512i right = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_maskz_loadu_epi32(valid, out.shift + f));
  // floor((x * m + 2^30) / 2^31) per lane, even lanes and odd lanes in 64 bits.
  const __m512i half = _mm512_set1_epi64(std::int64_t(1) << 30);
  const __m512i even = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), half), 31);
  const __m512i odd = _mm512_srai_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), half), 31);
  const __m512i high = _mm512_mask_blend_epi32(__mmask16(0xAAAA), even, _mm512_slli_epi64(odd, 32));
  // Divided by 2^right, ties away from zero.
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), right), _mm512_set1_epi32(1));
  const __m512i remainder = _mm512_and_si512(high, mask);
  const __m512i threshold = _mm512_sub_epi32(_mm512_srli_epi32(mask, 1), _mm512_srai_epi32(high, 31));
  __m512i q = _mm512_srav_epi32(high, right);
  q = _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(remainder, threshold), q, _mm512_set1_epi32(1));
  q = _mm512_add_epi32(q, _mm512_set1_epi32(out.output_zero_point));
  q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_set1_epi32(out.low)), _mm512_set1_epi32(out.high));
  _mm_mask_storeu_epi8(y, valid, _mm512_cvtepi32_epi8(q));
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#elif defined(FIXNET_INT8_AVX2)
using Acc = __m256i;
using Staged = std::int16_t;
using Packed = std::int16_t;
constexpr bool kFoldsZeroPoint = false;
inline Acc acc_zero() { return _mm256_setzero_si256(); }
inline Acc load_weights(const Packed* w) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)); }
inline Acc broadcast(std::int32_t group) { return _mm256_set1_epi32(group); }
inline Acc madd(Acc acc, Acc group, Acc w) { return _mm256_add_epi32(acc, _mm256_madd_epi16(group, w)); }
inline void acc_store(std::int32_t* p, Acc a) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a); }
constexpr bool kVectorRequantize = true;
inline void requantize_lanes(const std::int32_t* sums, const std::int32_t* bias, const Int8Output& out, int f,
                             int count, std::int8_t* y) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lanes);
  const __m256i x = _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums)),
                                     _mm256_maskload_epi32(bias + f, valid));
  const __m256i m = _mm256_maskload_epi32(out.multiplier + f, valid);
  const __m256i right = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_maskload_epi32(out.shift + f, valid));
  // floor((x * m + 2^30) / 2^31): bits 31..62 of the 64-bit sum, even and odd lanes.
  const __m256i half = _mm256_set1_epi64x(std::int64_t(1) << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), half), 31);
  const __m256i odd = _mm256_srli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), half), 31);
  const __m256i high = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_srai_epi32(high, 31));
  __m256i q = _mm256_sub_epi32(_mm256_srav_epi32(high, right), _mm256_cmpgt_epi32(remainder, threshold));
  q = _mm256_add_epi32(q, _mm256_set1_epi32(out.output_zero_point));
  q = _mm256_min_epi32(_mm256_max_epi32(q, _mm256_set1_epi32(out.low)), _mm256_set1_epi32(out.high));
  alignas(32) std::int32_t values[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(values), q);
  for (int i = 0; i < count; ++i) y[i] = std::int8_t(values[i]);
}
#elif defined(FIXNET_INT8_SSE2)
using Acc = __m128i;
using Staged = std::int16_t;
using Packed = std::int16_t;
constexpr bool kFoldsZeroPoint = false;
inline Acc acc_zero() { return _mm_setzero_si128(); }
inline Acc load_weights(const Packed* w) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(w)); }
inline Acc broadcast(std::int32_t group) { return _mm_set1_epi32(group); }
inline Acc madd(Acc acc, Acc group, Acc w) { return _mm_add_epi32(acc, _mm_madd_epi16(group, w)); }
inline void acc_store(std::int32_t* p, Acc a) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), a); }
#elif defined(FIXNET_INT8_WASM)
using Acc = v128_t;
using Staged = std::int16_t;
using Packed = std::int16_t;
constexpr bool kFoldsZeroPoint = false;
inline Acc acc_zero() { return wasm_i32x4_splat(0); }
inline Acc load_weights(const Packed* w) { return wasm_v128_load(w); }
inline Acc broadcast(std::int32_t group) { return wasm_i32x4_splat(group); }
inline Acc madd(Acc acc, Acc group, Acc w) { return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(group, w)); }
inline void acc_store(std::int32_t* p, Acc a) { wasm_v128_store(p, a); }
#endif
#if defined(FIXNET_INT8_AVX2) || defined(FIXNET_INT8_SSE2) || defined(FIXNET_INT8_WASM)
inline Staged stage(std::int8_t q, std::int32_t zero_point) { return Staged(std::int32_t(q) - zero_point); }
inline Staged stage_padding(std::int32_t) { return 0; }
#endif
// best[0, 16) = the larger of best and x, as signed bytes.
#if defined(FIXNET_INT8_AVX512_VNNI) || defined(FIXNET_INT8_AVX2)
inline void max16(const std::int8_t* x, std::int8_t* best) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(best));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(best), _mm_max_epi8(a, b));
}
#elif defined(FIXNET_INT8_SSE2)
inline void max16(const std::int8_t* x, std::int8_t* best) {  // SSE2 has only the unsigned max: flip the sign bits
  const __m128i flip = _mm_set1_epi8(-128);
  const __m128i a = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)), flip);
  const __m128i b = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(best)), flip);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(best), _mm_xor_si128(_mm_max_epu8(a, b), flip));
}
#elif defined(FIXNET_INT8_WASM)
inline void max16(const std::int8_t* x, std::int8_t* best) {
  wasm_v128_store(best, wasm_i8x16_max(wasm_v128_load(x), wasm_v128_load(best)));
}
#endif
#if defined(FIXNET_INT8_SSE2) || defined(FIXNET_INT8_WASM)
// (No 32x32 -> 64-bit lane multiply or per-lane shifts: requantized one by one.)
constexpr bool kVectorRequantize = false;
inline void requantize_lanes(const std::int32_t*, const std::int32_t*, const Int8Output&, int, int, std::int8_t*) {}
#endif

// --- the vector kernel -----------------------------------------------------------

#if defined(FIXNET_INT8_VECTOR)
// The output positions of g in order: (image, oy, ox).
int output_positions(const ConvGeometry& g) { return g.n * g.output.height * g.output.width; }

static_assert(int8::kPacks, "the vector kernels read packed weights");
static_assert(sizeof(Staged) == std::size_t(int8::kElementBytes) && sizeof(Packed) == sizeof(Staged), "");
static_assert(sizeof(Staged) * kGroup == 4, "a group is 32 bits");

// Registers: P positions x V vectors of sums, V weight vectors and one
// broadcast. With 32 registers (AVX-512) up to 24 positions, with 16 fewer.
constexpr int tile_positions(int vectors) {
  return kLanes == 16 ? (vectors >= 4 ? 6 : vectors == 3 ? 8 : vectors == 2 ? 12 : 24)
                      : (vectors >= 4 ? 2 : vectors == 3 ? 3 : vectors == 2 ? 4 : 8);
}
static_assert(tile_positions(1) == int8::kMaxTile, "the scratch holds the largest tile");
constexpr int kMaxTileSums = 24;  // the most P * V of tile_positions
static_assert(tile_positions(4) * 4 <= kMaxTileSums && tile_positions(3) * 3 <= kMaxTileSums &&
                  tile_positions(2) * 2 <= kMaxTileSums && tile_positions(1) <= kMaxTileSums, "");

// The shapes of one layer as the vector kernel walks it.
struct Walk {
  const ConvGeometry* g;
  int filters_padded;  // filters rounded up to kLanes
  int groups;          // groups per kernel row
  int row_stride;      // staged values per kernel row of a tile
  int tile;            // positions per tile
  int tiles_per_row;   // tiles per output row
  const Packed* weights;
  const std::int32_t* bias;  // packed biases [filters_padded]
  bool right_shifts;         // every shift <= 0: requantize_lanes applies
};

// Outputs [f0, f_end) of one position from its sums (sums[f - f0]).
inline void requantize_sums(const Walk& k, const Int8Output& out, const std::int32_t* sums, int f0, int f_end,
                            std::int8_t* y) {
  if (kVectorRequantize && k.right_shifts) {
    for (int f = f0; f < f_end; f += kLanes)
      requantize_lanes(sums + (f - f0), k.bias, out, f, f_end - f < kLanes ? f_end - f : kLanes, y + f);
    return;
  }
  for (int f = f0; f < f_end; ++f) y[f] = output_value(out, sums[f - f0], k.bias, f);
}

std::int32_t load_group(const Staged* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Writes the input rows of a tile of positions from (image, oy, ox0) into
// `staged`: kernel_h rows of row_stride values; padding as the zero point.
void stage_tile(const Walk& k, const std::int8_t* x, std::int32_t zx, int image, int oy, int ox0, Staged* staged) {
  const ConvGeometry& g = *k.g;
  const int c_in = g.input.channels, pixels = k.row_stride / c_in;
  const Staged pad = stage_padding(zx);
  const int ix0 = ox0 * g.stride_w - g.pad_left;
  // Pixels [lo, hi) of the row lie inside the image.
  const int lo = ix0 < 0 ? -ix0 : 0, hi = g.input.width - ix0 < pixels ? g.input.width - ix0 : pixels;
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    Staged* row = staged + std::ptrdiff_t(ky) * k.row_stride;
    const int iy = oy * g.stride_h + ky - g.pad_top;
    if (iy < 0 || iy >= g.input.height || hi <= lo) {
      for (int i = 0; i < k.row_stride; ++i) row[i] = pad;
      continue;
    }
    const std::int8_t* in = x + ((std::ptrdiff_t(image) * g.input.height + iy) * g.input.width + ix0) * c_in;
    for (int i = 0; i < lo * c_in; ++i) row[i] = pad;
    for (int i = lo * c_in; i < hi * c_in; ++i) row[i] = stage(in[i], zx);
    for (int i = hi * c_in; i < k.row_stride; ++i) row[i] = pad;
  }
}

// Sums of P positions (from `staged`) x V vectors of filters from f0, into sums[P][V * kLanes].
template <int P, int V>
void tile_sums(const Walk& k, const Staged* staged, int f0, std::int32_t* sums) {
  const ConvGeometry& g = *k.g;
  const int step = g.stride_w * g.input.channels;  // staged values from one position to the next
  Acc acc[P][V];
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < V; ++v) acc[p][v] = acc_zero();
  const std::ptrdiff_t group_stride = std::ptrdiff_t(k.filters_padded) * kGroup;
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    const Staged* row = staged + std::ptrdiff_t(ky) * k.row_stride;
    const Packed* w = k.weights + std::ptrdiff_t(ky) * k.groups * group_stride + std::ptrdiff_t(f0) * kGroup;
    for (int j = 0; j < k.groups; ++j, w += group_stride) {
      Acc wv[V];
      for (int v = 0; v < V; ++v) wv[v] = load_weights(w + v * kLanes * kGroup);
      for (int p = 0; p < P; ++p) {
        const Acc b = broadcast(load_group(row + p * step + j * kGroup));
        for (int v = 0; v < V; ++v) acc[p][v] = madd(acc[p][v], b, wv[v]);
      }
    }
  }
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < V; ++v) acc_store(sums + (p * V + v) * kLanes, acc[p][v]);
}

// tile_sums for the P of the layer and `vectors` <= the V that P was chosen for.
template <int P>
void tile_sums_for(int vectors, const Walk& k, const Staged* staged, int f0, std::int32_t* sums) {
  switch (vectors) {
    case 1: tile_sums<P, 1>(k, staged, f0, sums); break;
    case 2: if constexpr (tile_positions(2) >= P) tile_sums<P, 2>(k, staged, f0, sums); break;
    case 3: if constexpr (tile_positions(3) >= P) tile_sums<P, 3>(k, staged, f0, sums); break;
    default: if constexpr (tile_positions(4) >= P) tile_sums<P, 4>(k, staged, f0, sums); break;
  }
}

void dispatch_tile(int vectors, const Walk& k, const Staged* staged, int f0, std::int32_t* sums) {
  switch (k.tile) {
    case tile_positions(1): tile_sums_for<tile_positions(1)>(vectors, k, staged, f0, sums); break;
    case tile_positions(2): tile_sums_for<tile_positions(2)>(vectors, k, staged, f0, sums); break;
    case tile_positions(3): tile_sums_for<tile_positions(3)>(vectors, k, staged, f0, sums); break;
    default: tile_sums_for<tile_positions(4)>(vectors, k, staged, f0, sums); break;
  }
}

// Tiles [first, last) of the layer (tile t: output row t / tiles_per_row,
// positions from (t % tiles_per_row) * tile).
void conv_tiles(const Walk& k, const std::int8_t* x, const Int8Output& out, std::int8_t* y, int first, int last,
                std::uint8_t* scratch) {
  const ConvGeometry& g = *k.g;
  const int filters = g.output.channels, vectors_all = k.filters_padded / kLanes;
  const int layer_vectors = vectors_all < 4 ? vectors_all : 4;
  Staged* staged = reinterpret_cast<Staged*>(scratch);
  alignas(64) std::int32_t sums[kMaxTileSums * kLanes];
  for (int t = first; t < last; ++t) {
    const int row = t / k.tiles_per_row, ox0 = (t % k.tiles_per_row) * k.tile;
    const int image = row / g.output.height, oy = row % g.output.height;
    const int count = g.output.width - ox0 < k.tile ? g.output.width - ox0 : k.tile;
    stage_tile(k, x, out.input_zero_point, image, oy, ox0, staged);
    std::int8_t* yt = y + (std::ptrdiff_t(row) * g.output.width + ox0) * filters;
    for (int v0 = 0; v0 < vectors_all; v0 += layer_vectors) {
      const int vectors = vectors_all - v0 < layer_vectors ? vectors_all - v0 : layer_vectors;
      const int f0 = v0 * kLanes, f_end = f0 + vectors * kLanes < filters ? f0 + vectors * kLanes : filters;
      dispatch_tile(vectors, k, staged, f0, sums);
      for (int p = 0; p < count; ++p)
        requantize_sums(k, out, sums + p * vectors * kLanes, f0, f_end, yt + std::ptrdiff_t(p) * filters);
    }
  }
}

// A single output position (one example through a dense layer): only the
// groups that are not all zero point are read, listed once, with their
// weights; workers take shares of the filters.
constexpr int kSingleVectors = kLanes == 16 ? 8 : 4;

template <int V>
void single_sums(const Walk& k, const Staged* staged, const std::int32_t* list, int listed, int f0,
                 std::int32_t* sums) {
  Acc acc[V];
  for (int v = 0; v < V; ++v) acc[v] = acc_zero();
  const std::ptrdiff_t group_stride = std::ptrdiff_t(k.filters_padded) * kGroup;
  const Packed* w = k.weights + std::ptrdiff_t(f0) * kGroup;
  for (int i = 0; i < listed; ++i) {
    const std::int32_t group = list[i];
    const Acc b = broadcast(load_group(staged + std::ptrdiff_t(group) * kGroup));
    const Packed* wg = w + group * group_stride;
    for (int v = 0; v < V; ++v) acc[v] = madd(acc[v], b, load_weights(wg + v * kLanes * kGroup));
  }
  for (int v = 0; v < V; ++v) acc_store(sums + v * kLanes, acc[v]);
}

template <int V>
void single_block(int vectors, const Walk& k, const Staged* staged, const std::int32_t* list, int listed, int f0,
                  std::int32_t* sums) {
  if constexpr (V > 1) {
    if (vectors < V) return single_block<V - 1>(vectors, k, staged, list, listed, f0, sums);
  }
  single_sums<V>(k, staged, list, listed, f0, sums);
}

struct SingleJob {
  const Walk* k;
  const Staged* staged;
  const std::int32_t* list;
  int listed;
  const Int8Output* out;
  std::int8_t* y;
};

// Stages the single position's patch as [kernel_h][padded row] (group G is
// the packed weights' group G) in offset form, x - zero point, where the
// zero point's groups are 0 and need no multiply: int16 pairs always; vnni's
// u8 when no value lies below the zero point (as after a ReLU), else x + 128
// with the folded biases and no group skipped. Lists the groups to multiply;
// returns the biases that go with the form.
const std::int32_t* stage_single(const Walk& k, const std::int8_t* x, const Int8Output& out, Staged* staged,
                                 std::int32_t* list, int* listed) {
  const ConvGeometry& g = *k.g;
  const int c_in = g.input.channels, row = k.groups * kGroup, run = g.kernel_w * c_in;
  const std::int32_t zx = out.input_zero_point;
  bool offset = true;
  for (int ky = 0; ky < g.kernel_h && kFoldsZeroPoint; ++ky) {
    const int iy = ky - g.pad_top;
    for (int kx = 0; kx < g.kernel_w && iy >= 0 && iy < g.input.height; ++kx) {
      const int ix = kx - g.pad_left;
      if (ix < 0 || ix >= g.input.width) continue;
      const std::int8_t* in = x + (std::ptrdiff_t(iy) * g.input.width + ix) * c_in;
      for (int c = 0; c < c_in; ++c) offset = offset && in[c] >= zx;
    }
  }
  const Staged pad = offset ? Staged(0) : stage_padding(zx);
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    Staged* r = staged + std::ptrdiff_t(ky) * row;
    const int iy = ky - g.pad_top;
    for (int kx = 0; kx < g.kernel_w; ++kx, r += c_in) {
      const int ix = kx - g.pad_left;
      if (iy < 0 || iy >= g.input.height || ix < 0 || ix >= g.input.width) {
        for (int c = 0; c < c_in; ++c) r[c] = pad;
        continue;
      }
      const std::int8_t* in = x + (std::ptrdiff_t(iy) * g.input.width + ix) * c_in;
      if (offset) {
        for (int c = 0; c < c_in; ++c) r[c] = Staged(std::int32_t(in[c]) - zx);
      } else {
        for (int c = 0; c < c_in; ++c) r[c] = stage(in[c], zx);
      }
    }
    for (int i = run; i < row; ++i) r[i - run] = pad;
  }
  const int groups = g.kernel_h * k.groups;
  int n = 0;
  for (int group = 0; group < groups; ++group)
    if (!offset || load_group(staged + group * kGroup) != 0) list[n++] = group;
  *listed = n;
  return offset && kFoldsZeroPoint ? out.bias : k.bias;
}

void single_position(Walk k, const std::int8_t* x, const Int8Output& out, std::int8_t* y, const Int8Scratch& scratch,
                     const Parallel& parallel) {
  const ConvGeometry& g = *k.g;
  const int groups = g.kernel_h * k.groups;
  Staged* staged = reinterpret_cast<Staged*>(scratch.bytes[0]);
  std::int32_t* list = reinterpret_cast<std::int32_t*>(scratch.bytes[0] + int8_scratch_bytes(g)) - groups;
  int listed = 0;
  k.bias = stage_single(k, x, out, staged, list, &listed);
  const SingleJob job{&k, staged, list, listed, &out, y};
  const int blocks = (k.filters_padded / kLanes + kSingleVectors - 1) / kSingleVectors;
  const int tasks = parallel.active_workers() < blocks ? parallel.active_workers() : blocks;
  parallel.for_each(
      tasks,
      [](void* context, int task, int count, int) {
        const SingleJob& j = *static_cast<const SingleJob*>(context);
        const Walk& k = *j.k;
        const int vectors_all = k.filters_padded / kLanes, filters = k.g->output.channels;
        const int blocks = (vectors_all + kSingleVectors - 1) / kSingleVectors;
        const int b0 = int(std::int64_t(task) * blocks / count), b1 = int(std::int64_t(task + 1) * blocks / count);
        alignas(64) std::int32_t sums[kSingleVectors * kLanes];
        for (int b = b0; b < b1; ++b) {
          const int v0 = b * kSingleVectors;
          const int vectors = vectors_all - v0 < kSingleVectors ? vectors_all - v0 : kSingleVectors;
          const int f0 = v0 * kLanes, f_end = f0 + vectors * kLanes < filters ? f0 + vectors * kLanes : filters;
          single_block<kSingleVectors>(vectors, k, j.staged, j.list, j.listed, f0, sums);
          requantize_sums(k, *j.out, sums, f0, f_end, j.y);
        }
      },
      const_cast<SingleJob*>(&job));
}

struct TilesJob {
  const Walk* k;
  const std::int8_t* x;
  const Int8Output* out;
  std::int8_t* y;
  const Int8Scratch* scratch;
  int tiles;
};

void vector_conv2d(const ConvGeometry& g, const std::int8_t* x, const void* packed, const Int8Output& out,
                   std::int8_t* y, const Int8Scratch& scratch, const Parallel& parallel) {
  Walk k;
  k.g = &g;
  k.filters_padded = int(int8::round_up(std::size_t(g.output.channels), kLanes));
  k.groups = int(int8::padded_row(g)) / kGroup;
  // The tile: of the sizes whose registers hold this layer's vectors of
  // filters, the one that wastes least on a row's last tile (each tile also
  // loads every weight once: 4 positions' worth).
  const int vectors = k.filters_padded / kLanes;
  int best = 0;
  k.tile = tile_positions(4);
  for (int v = vectors < 4 ? vectors : 4; v <= 4; ++v) {
    const int tile = tile_positions(v), cost = (g.output.width + tile - 1) / tile * (tile + 4);
    if (best == 0 || cost < best) {
      best = cost;
      k.tile = tile;
    }
  }
  const int pixels = (k.tile - 1) * g.stride_w + g.kernel_w;
  k.row_stride = int(int8::round_up(std::size_t(pixels) * std::size_t(g.input.channels) + kGroup, 16));
  k.tiles_per_row = (g.output.width + k.tile - 1) / k.tile;
  k.weights = static_cast<const Packed*>(packed);
  k.bias = reinterpret_cast<const std::int32_t*>(static_cast<const std::uint8_t*>(packed) + int8_packed_bytes(g)) -
           k.filters_padded;
  k.right_shifts = true;
  for (int f = 0; f < g.output.channels; ++f) k.right_shifts = k.right_shifts && out.shift[f] <= 0;
  if (output_positions(g) == 1) return single_position(k, x, out, y, scratch, parallel);
  const int tiles = g.n * g.output.height * k.tiles_per_row;
  const int tasks = parallel.active_workers() < tiles ? parallel.active_workers() : tiles;
  TilesJob job{&k, x, &out, y, &scratch, tiles};
  parallel.for_each(
      tasks,
      [](void* context, int task, int count, int worker) {
        const TilesJob& j = *static_cast<const TilesJob*>(context);
        const int first = int(std::int64_t(task) * j.tiles / count), last = int(std::int64_t(task + 1) * j.tiles / count);
        conv_tiles(*j.k, j.x, *j.out, j.y, first, last, j.scratch->bytes[worker]);
      },
      &job);
}
#endif  // vector kernels

#if defined(FIXNET_INT8_ARM_DSP)
// --- Arm's DSP extension (Cortex-M4, M7, M33) -------------------------------------
// CMSIS-NN's way: each output position's patch is widened once to int16
// x - zero point (padding 0), its values in quads ordered (x0, x2, x1, x3) to
// meet SXTB16's split of four stored weight bytes into (w0, w2) and (w1, w3);
// then two positions meet each pair of filters, two 16-bit multiply-adds per
// SMLAD, reading the weights where they are stored (in flash). Two patches
// are interleaved quad by quad, so one LDM loads a quad of both: the inner
// loop is 17 instructions for 16 multiply-adds.

std::uint32_t load32(const void* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Four int8 values as two int16 pairs minus the zero point (both halves of
// `both`): (x0, x2) and (x1, x3), as SXTB16 splits a word.
inline void widen_quad(std::uint32_t word, std::uint32_t both, std::uint32_t* even, std::uint32_t* odd) {
  std::uint32_t high;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(high) : "r"(word));
  *even = std::uint32_t(__ssub16(__sxtb16(word), both));
  *odd = std::uint32_t(__ssub16(high, both));
}

// requantize() of sums[0], sums[step], ... (`count` of them, filters f, f +
// 1, ...) into y[0, count).
[[gnu::noinline]] void requantize_all(const Int8Output& out, const std::int32_t* sums, int step, int count, int f,
                                      std::int8_t* y) {
  for (int i = 0; i < count; ++i) y[i] = output_value(out, sums[i * step], out.bias, f + i);
}

// Writes a layer's int8 outputs from its sums as requantize() gives them.
// Where every multiplier is in [0, 2^31), every shift <= 0, the high bound
// 127 and the low one in int8 (as in every validated model), in fewer
// instructions: no saturation or left shift can occur, leaving a 32x32 ->
// 64-bit multiply, its rounding, the rounding right shift and a saturation
// to int8.
class OutputWriter {
 public:
  OutputWriter(const Int8Output& out, int filters)
      : out_(out), fast_(out.high == 127 && out.low >= -128 && out.low <= 127) {
    for (int f = 0; f < filters; ++f) fast_ = fast_ && out.multiplier[f] >= 0 && out.shift[f] <= 0;
  }

  // Outputs f, f + 1, ... of `count` sums (sums[0], sums[step], ...) into y.
  void write(const std::int32_t* sums, int step, int count, int f, std::int8_t* y) const {
    if (!fast_) return requantize_all(out_, sums, step, count, f, y);
    const std::int32_t zero_point = out_.output_zero_point, low = out_.low;
    const std::int32_t *bias = out_.bias + f, *multiplier = out_.multiplier + f, *shift = out_.shift + f;
    for (int i = 0; i < count; ++i, sums += step) {
      const std::int32_t sum = wrapping_add(*sums, bias[i]);
      std::uint32_t lo, hi;  // sum * m + 2^30
      __asm__("smull %0, %1, %2, %3\n\t"
              "adds %0, %0, #0x40000000\n\t"
              "adc %1, %1, #0"
              : "=&r"(lo), "=&r"(hi)
              : "r"(sum), "r"(multiplier[i])
              : "cc");
      const std::int32_t x = std::int32_t((hi << 1) | (lo >> 31));  // fits: m < 2^31
      const std::int32_t q = __ssat(rounding_divide_by_power_of_two(x, -shift[i]) + zero_point, 8);
      y[i] = std::int8_t(q < low ? low : q);
    }
  }

 private:
  const Int8Output& out_;
  bool fast_;
};

// A layer's patch geometry, computed once: kernel rows of `run` values
// (whole quads), `row_values` apart in the input.
struct PatchWalk {
  const std::int8_t* x;
  int c_in, run, kernel_h, height, width, kernel_w, out_width, per_image, stride_h, stride_w, pad_top, pad_left;
  std::ptrdiff_t row_values;
  std::int32_t zx;
  std::uint32_t both;  // zx in both halves
};

PatchWalk patch_walk(const ConvGeometry& g, const std::int8_t* x, std::int32_t zx) {
  const int c_in = g.input.channels;
  return PatchWalk{x, c_in, g.kernel_w * c_in, g.kernel_h, g.input.height, g.input.width, g.kernel_w,
                   g.output.width, g.output.height * g.output.width, g.stride_h, g.stride_w, g.pad_top, g.pad_left,
                   std::ptrdiff_t(g.input.width) * c_in, zx, std::uint32_t(std::uint16_t(zx)) * 0x10001u};
}

// Widens the `quads` quads at `in` into col, one quad every `stride` int16.
inline std::int16_t* widen_row(const std::int8_t* in, int quads, std::uint32_t both, int stride, std::int16_t* col) {
  for (int q = 0; q < quads; ++q, in += 4, col += stride) {
    std::uint32_t even, odd;
    widen_quad(load32(in), both, &even, &odd);
    std::memcpy(col, &even, 4);
    std::memcpy(col + 2, &odd, 4);
  }
  return col;
}

// The patch of output position `pos` widened to int16 x - zx (padding 0)
// in col, patch `which` of `interleave`: quad q at col + q * 4 * interleave
// + which * 4, ordered (x0, x2, x1, x3). Rows inside the image are widened
// straight from the input; rows cut by its edges go through `row` (their
// int8 values, zero point outside). Out of line: its loops keep their
// registers.
[[gnu::noinline]] void widen_patch(const PatchWalk& k, int pos, int interleave, int which, std::int8_t* row,
                                   std::int16_t* col) {
  const int image = pos / k.per_image, oy = pos % k.per_image / k.out_width, ox = pos % k.out_width;
  const int ix0 = ox * k.stride_w - k.pad_left, iy0 = oy * k.stride_h - k.pad_top;
  const int lo = (ix0 < 0 ? -ix0 : 0) * k.c_in;
  const int hi = (k.width - ix0 < k.kernel_w ? k.width - ix0 : k.kernel_w) * k.c_in;
  std::ptrdiff_t at = (std::ptrdiff_t(image) * k.height + iy0) * k.row_values + std::ptrdiff_t(ix0) * k.c_in;
  const int stride = 4 * interleave, quads = k.run / 4;  // int16 from one quad of this patch to the next
  col += which * 4;
  if (lo == 0 && hi == k.run && iy0 >= 0 && iy0 + k.kernel_h <= k.height) {  // inside the image
    for (int ky = 0; ky < k.kernel_h; ++ky, at += k.row_values) col = widen_row(k.x + at, quads, k.both, stride, col);
    return;
  }
  for (int ky = 0; ky < k.kernel_h; ++ky, at += k.row_values) {
    const bool inside = iy0 + ky >= 0 && iy0 + ky < k.height;
    for (int i = 0; i < k.run; ++i) row[i] = inside && i >= lo && i < hi ? k.x[at + i] : std::int8_t(k.zx);
    col = widen_row(row, quads, k.both, stride, col);
  }
}

// sums[0..3] = (position 0, filter 0), (1, 0), (0, 1), (1, 1) over the
// quads of two interleaved patches at col and the weights at w (filter 0)
// and w + next (filter 1).
void dot_two_by_two(const std::int16_t* col, const std::int8_t* w, std::ptrdiff_t next, int quads,
                    std::int32_t* sums) {
  std::int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0;
  if (quads > 0) {
    const std::int8_t* end = w + 4 * quads;
    const std::ptrdiff_t step = next - 4;  // filter 1 from filter 0's incremented address
    // Bound to ascending registers: LDM fills them in address order.
    register std::uint32_t x0e __asm__("r8"), x0o __asm__("r9"), x1e __asm__("r10"), x1o __asm__("r11");
    std::uint32_t t, e;
    __asm__ volatile(
        "1:\n\t"
        "ldm %[c]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"
        "ldr %[t], [%[w]], #4\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a00], %[e], %[x0e], %[a00]\n\t"
        "smlad %[a00], %[t], %[x0o], %[a00]\n\t"
        "smlad %[a10], %[e], %[x1e], %[a10]\n\t"
        "smlad %[a10], %[t], %[x1o], %[a10]\n\t"
        "ldr %[t], [%[w], %[step]]\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a01], %[e], %[x0e], %[a01]\n\t"
        "smlad %[a01], %[t], %[x0o], %[a01]\n\t"
        "smlad %[a11], %[e], %[x1e], %[a11]\n\t"
        "smlad %[a11], %[t], %[x1o], %[a11]\n\t"
        "cmp %[w], %[end]\n\t"
        "bne 1b"
        : [c] "+r"(col), [w] "+r"(w), [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11),
          [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [t] "=&r"(t), [e] "=&r"(e)
        : [step] "r"(step), [end] "r"(end)
        : "cc", "memory");
  }
  sums[0] = a00;
  sums[1] = a10;
  sums[2] = a01;
  sums[3] = a11;
}

// sums[0..1] = filters 0 and 1 of one patch (interleave 1).
// sums[0..3] = filters 0..3 (weights at w, w + next, w + 2 next, w + 3
// next) over the quads of one patch (interleave 1): 23 instructions for 16
// multiply-adds.
void dot_one_by_four(const std::int16_t* col, const std::int8_t* w, std::ptrdiff_t next, int quads,
                     std::int32_t* sums) {
  std::int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  if (quads > 0) {
    const std::int8_t* end = w + 4 * quads;
    const std::int8_t* w2 = w + 2 * next;
    const std::ptrdiff_t step = next - 4;  // the next filter from an incremented address
    std::uint32_t xe, xo, t, e;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[xe], %[xo], [%[c]], #8\n\t"
        "ldr %[t], [%[w]], #4\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a0], %[e], %[xe], %[a0]\n\t"
        "smlad %[a0], %[t], %[xo], %[a0]\n\t"
        "ldr %[t], [%[w], %[step]]\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a1], %[e], %[xe], %[a1]\n\t"
        "smlad %[a1], %[t], %[xo], %[a1]\n\t"
        "ldr %[t], [%[w2]], #4\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a2], %[e], %[xe], %[a2]\n\t"
        "smlad %[a2], %[t], %[xo], %[a2]\n\t"
        "ldr %[t], [%[w2], %[step]]\n\t"
        "sxtb16 %[e], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad %[a3], %[e], %[xe], %[a3]\n\t"
        "smlad %[a3], %[t], %[xo], %[a3]\n\t"
        "cmp %[w], %[end]\n\t"
        "bne 1b"
        : [c] "+r"(col), [w] "+r"(w), [w2] "+r"(w2), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
          [xe] "=&r"(xe), [xo] "=&r"(xo), [t] "=&r"(t), [e] "=&r"(e)
        : [step] "r"(step), [end] "r"(end)
        : "cc", "memory");
  }
  sums[0] = a0;
  sums[1] = a1;
  sums[2] = a2;
  sums[3] = a3;
}

// The products of one kernel row of a position (input values [lo, hi) at
// `in`) with four filters (that row's weights at w[f]), added to a[f]: a
// word at a time where four values remain, widened in registers, then one
// by one.
inline void row_sums(const std::int8_t* in, const std::int8_t* const* w, int lo, int hi, std::int32_t zx,
                     std::uint32_t both, std::int32_t* a) {
  std::int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  const std::int8_t *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  int k = lo;
  for (; k + 4 <= hi; k += 4) {
    std::uint32_t xe, xo;
    widen_quad(load32(in + k), both, &xe, &xo);
    std::uint32_t word = load32(w0 + k), odd;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(odd) : "r"(word));
    a0 = __smlad(odd, xo, __smlad(__sxtb16(word), xe, a0));
    word = load32(w1 + k);
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(odd) : "r"(word));
    a1 = __smlad(odd, xo, __smlad(__sxtb16(word), xe, a1));
    word = load32(w2 + k);
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(odd) : "r"(word));
    a2 = __smlad(odd, xo, __smlad(__sxtb16(word), xe, a2));
    word = load32(w3 + k);
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(odd) : "r"(word));
    a3 = __smlad(odd, xo, __smlad(__sxtb16(word), xe, a3));
  }
  for (; k < hi; ++k) {
    const std::int32_t v = std::int32_t(in[k]) - zx;
    a0 += v * w0[k];
    a1 += v * w1[k];
    a2 += v * w2[k];
    a3 += v * w3[k];
  }
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

// Convolutions whose kernel rows do not fill whole quads (a first layer's
// one or three channels): no patches; each position reads the input where
// it lies, widening each word in registers, against four filters at a time
// (a last group of fewer repeats its last filter and drops those sums).
void arm_dsp_rows(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const Int8Output& out,
                  std::int8_t* y) {
  const int c_in = g.input.channels, run = g.kernel_w * c_in, k_all = g.kernel_h * run, filters = g.output.channels;
  const std::int32_t zx = out.input_zero_point;
  const std::uint32_t both = std::uint32_t(std::uint16_t(zx)) * 0x10001u;
  const std::ptrdiff_t row_values = std::ptrdiff_t(g.input.width) * c_in;
  const OutputWriter writer(out, filters);
  for (int image = 0; image < g.n; ++image) {
    const std::int8_t* x_image = x + std::ptrdiff_t(image) * g.input.size();
    for (int oy = 0; oy < g.output.height; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      const int ky_lo = iy0 < 0 ? -iy0 : 0, ky_hi = g.input.height - iy0 < g.kernel_h ? g.input.height - iy0 : g.kernel_h;
      for (int ox = 0; ox < g.output.width; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        const int lo = (ix0 < 0 ? -ix0 : 0) * c_in;
        const int hi = (g.input.width - ix0 < g.kernel_w ? g.input.width - ix0 : g.kernel_w) * c_in;
        const std::int8_t* in = x_image + std::ptrdiff_t(iy0) * row_values + std::ptrdiff_t(ix0) * c_in;
        std::int8_t* yp = y + ((std::ptrdiff_t(image) * g.output.height + oy) * g.output.width + ox) * filters;
        for (int f0 = 0; f0 < filters; f0 += 4) {
          std::int32_t acc[4] = {};
          const std::int8_t* wr[4];
          for (int f = 0; f < 4; ++f)
            wr[f] = w + std::ptrdiff_t(f0 + f < filters ? f0 + f : filters - 1) * k_all + ky_lo * run;
          for (int ky = ky_lo; ky < ky_hi; ++ky) {
            row_sums(in + ky * row_values, wr, lo, hi, zx, both, acc);
            for (int f = 0; f < 4; ++f) wr[f] += run;
          }
          writer.write(acc, 1, filters - f0 < 4 ? filters - f0 : 4, f0, yp + f0);
        }
      }
    }
  }
}

// Convolutions whose kernel rows fill whole quads (channels a multiple of 4)
// widen two positions' patches once, for every pair of filters; the others
// read the input where it lies.
void arm_dsp_conv2d(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const Int8Output& out,
                    std::int8_t* y, std::uint8_t* scratch) {
  if (g.kernel_w * g.input.channels % 4 != 0) return arm_dsp_rows(g, x, w, out, y);
  const int k_all = g.kernel_h * g.kernel_w * g.input.channels, filters = g.output.channels;
  const int positions = g.n * g.output.height * g.output.width, quads = k_all / 4;
  std::int16_t* col = reinterpret_cast<std::int16_t*>(scratch);
  std::int8_t* bytes = reinterpret_cast<std::int8_t*>(scratch) + 16 * quads;
  const PatchWalk walk = patch_walk(g, x, out.input_zero_point);
  const OutputWriter writer(out, filters);
  constexpr int kBlock = 16;
  std::int32_t block[2 * kBlock + 2];  // sums of filter f, positions p: block[2 * f + p]
  for (int pos = 0; pos < positions; pos += 2) {
    const int count = positions - pos < 2 ? 1 : 2;
    for (int p = 0; p < count; ++p) widen_patch(walk, pos + p, count, p, bytes, col);
    if (count == 2) {  // two filters at a time (an odd last one pairs with itself), a block of filters' outputs at once
      for (int fb = 0; fb < filters; fb += kBlock) {
        const int n = filters - fb < kBlock ? filters - fb : kBlock;
        for (int f = fb; f < fb + n; f += 2)
          dot_two_by_two(col, w + std::ptrdiff_t(f) * k_all, f + 1 < filters ? k_all : 0, quads, block + 2 * (f - fb));
        for (int p = 0; p < 2; ++p) writer.write(block + p, 2, n, fb, y + std::ptrdiff_t(pos + p) * filters + fb);
      }
      continue;
    }
    // A lone position (a dense layer's example): four filters at a time,
    // the last four overlapping the group before when the filters are not
    // a multiple of four.
    for (int f = 0; f < filters; f += 4) {
      const int f0 = filters >= 4 && f + 4 > filters ? filters - 4 : f;
      const std::int8_t* wf = w + std::ptrdiff_t(f0) * k_all;
      std::int32_t sums[4];
      if (filters >= 4) {
        dot_one_by_four(col, wf, k_all, quads, sums);
      } else {  // fewer than four filters in all: one at a time
        for (int j = 0; j < filters; ++j) {
          std::int32_t one[4];
          dot_one_by_four(col, wf + j * k_all, 0, quads, one);
          sums[j] = one[0];
        }
      }
      writer.write(sums, 1, filters - f0 < 4 ? filters - f0 : 4, f0, y + std::ptrdiff_t(pos) * filters + f0);
    }
  }
}
#endif  // FIXNET_INT8_ARM_DSP


}  // namespace

void int8_conv2d_reference(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const Int8Output& out,
                           std::int8_t* y) {
  const int filters = g.output.channels;
  for (int image = 0; image < g.n; ++image)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox) {
        std::int8_t* yp = y + ((std::ptrdiff_t(image) * g.output.height + oy) * g.output.width + ox) * filters;
        for (int f = 0; f < filters; ++f)
          yp[f] = output_value(out, reference_sum(g, x, w, out.input_zero_point, image, oy, ox, f), out.bias, f);
      }
}

void int8_pack_weights(const ConvGeometry& g, const std::int8_t* w, const Int8Output& out, void* packed) {
  if (!int8::kPacks) return;
  using Element = std::conditional_t<int8::kElementBytes == 1, std::int8_t, std::int16_t>;
  const std::size_t filters = std::size_t(g.output.channels);
  const std::size_t filters_padded = int8::round_up(filters, kLanes), row = int8::padded_row(g);
  const std::size_t run = std::size_t(g.kernel_w) * std::size_t(g.input.channels);  // stored weights per kernel row
  Element* p = static_cast<Element*>(packed);
  std::int32_t* bias = reinterpret_cast<std::int32_t*>(static_cast<std::uint8_t*>(packed) + int8_packed_bytes(g)) -
                       filters_padded;
  for (std::size_t f = 0; f < filters_padded; ++f) {
    std::int64_t sum = 0;
    for (std::size_t ky = 0; ky < std::size_t(g.kernel_h); ++ky)
      for (std::size_t r = 0; r < row; ++r) {
        const std::int8_t v = f < filters && r < run ? w[(f * std::size_t(g.kernel_h) + ky) * run + r] : 0;
        const std::size_t group = (ky * row + r) / std::size_t(kGroup), lane = r % std::size_t(kGroup);
        p[(group * filters_padded + f) * std::size_t(kGroup) + lane] = Element(v);
        sum += v;
      }
    // Vector kernels that take x + 128 for x - zero point subtract (zero point + 128) * sum(w).
    const bool folds = int8::kKernel == int8::Kernel::avx512_vnni;
    if (f >= filters) {
      bias[f] = 0;
      continue;
    }
    const std::int64_t folded = out.bias[f] - (folds ? (out.input_zero_point + 128) * sum : 0);
    bias[f] = std::int32_t(std::uint32_t(folded));  // modulo 2^32, as the sums
  }
}

void int8_conv2d(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const void* packed,
                 const Int8Output& out, std::int8_t* y, const Int8Scratch& scratch, const Parallel& parallel) {
#if defined(FIXNET_INT8_VECTOR)
  (void)w;
  vector_conv2d(g, x, packed, out, y, scratch, parallel);
#elif defined(FIXNET_INT8_ARM_DSP)
  (void)packed;
  (void)parallel;  // one core
  arm_dsp_conv2d(g, x, w, out, y, scratch.bytes[0]);
#else
  (void)packed;
  (void)scratch;
  (void)parallel;
  int8_conv2d_reference(g, x, w, out, y);
#endif
}

void int8_max_pool(const PoolGeometry& g, const std::int8_t* x, std::int8_t* y) {
  const int c_in = g.input.channels;
  for (int image = 0; image < g.n; ++image)
    for (int oy = 0; oy < g.output.height; ++oy)
      for (int ox = 0; ox < g.output.width; ++ox) {
        std::int8_t* yp = y + ((std::ptrdiff_t(image) * g.output.height + oy) * g.output.width + ox) * c_in;
        const int y0 = oy * g.stride_h - g.pad_top, x0 = ox * g.stride_w - g.pad_left;
        const int y_lo = y0 < 0 ? 0 : y0, y_hi = y0 + g.kernel_h < g.input.height ? y0 + g.kernel_h : g.input.height;
        const int x_lo = x0 < 0 ? 0 : x0, x_hi = x0 + g.kernel_w < g.input.width ? x0 + g.kernel_w : g.input.width;
        for (int c = 0; c < c_in; ++c) yp[c] = -128;
        for (int iy = y_lo; iy < y_hi; ++iy)
          for (int ix = x_lo; ix < x_hi; ++ix) {
            const std::int8_t* xp = x + ((std::ptrdiff_t(image) * g.input.height + iy) * g.input.width + ix) * c_in;
            int c = 0;
#if defined(FIXNET_INT8_VECTOR)
            for (; c + 16 <= c_in; c += 16) max16(xp + c, yp + c);
#endif
            for (; c < c_in; ++c) yp[c] = xp[c] > yp[c] ? xp[c] : yp[c];
          }
      }
}

void int8_relu(std::size_t count, const std::int8_t* x, std::int8_t zero_point, std::int8_t* y) {
  for (std::size_t i = 0; i < count; ++i) y[i] = x[i] > zero_point ? x[i] : zero_point;
}

}  // namespace fixnet
