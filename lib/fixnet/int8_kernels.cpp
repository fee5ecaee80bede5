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
std::int32_t wrapping_add(std::int32_t a, std::int32_t b) { return std::int32_t(std::uint32_t(a) + std::uint32_t(b)); }

// Output f of a sum (bias: the stored one, or the packed one the sum was made for).
std::int8_t output_value(const Int8Output& out, std::int32_t sum, const std::int32_t* bias, int f) {
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
};

std::int32_t load_group(const Staged* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Writes the input rows of `count` positions from (image, oy, ox0) into
// `staged`: kernel_h rows of row_stride values; padding as the zero point.
void stage_tile(const Walk& k, const std::int8_t* x, std::int32_t zx, int image, int oy, int ox0, Staged* staged) {
  const ConvGeometry& g = *k.g;
  const int c_in = g.input.channels;
  const Staged pad = stage_padding(zx);
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    Staged* row = staged + std::ptrdiff_t(ky) * k.row_stride;
    const int iy = oy * g.stride_h + ky - g.pad_top;
    const int ix0 = ox0 * g.stride_w - g.pad_left;
    const int pixels = k.row_stride / c_in;
    if (iy < 0 || iy >= g.input.height) {
      for (int i = 0; i < k.row_stride; ++i) row[i] = pad;
      continue;
    }
    const std::int8_t* in = x + (std::ptrdiff_t(image) * g.input.height + iy) * g.input.width * c_in;
    for (int px = 0; px < pixels; ++px) {
      const int ix = ix0 + px;
      Staged* d = row + px * c_in;
      if (ix < 0 || ix >= g.input.width) {
        for (int c = 0; c < c_in; ++c) d[c] = pad;
      } else {
        const std::int8_t* s = in + std::ptrdiff_t(ix) * c_in;
        for (int c = 0; c < c_in; ++c) d[c] = stage(s[c], zx);
      }
    }
    for (int i = pixels * c_in; i < k.row_stride; ++i) row[i] = pad;
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
      for (int p = 0; p < count; ++p) {
        const std::int32_t* s = sums + p * vectors * kLanes - f0;
        for (int f = f0; f < f_end; ++f)
          yt[std::ptrdiff_t(p) * filters + f] = output_value(out, s[f], k.bias, f);
      }
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
    for (int i = 0; i < row; ++i) {
      const int kx = i / c_in, c = i % c_in, ix = kx - g.pad_left;
      const bool inside = i < run && iy >= 0 && iy < g.input.height && ix >= 0 && ix < g.input.width;
      if (!inside) {
        r[i] = pad;
        continue;
      }
      const std::int8_t v = x[(std::ptrdiff_t(iy) * g.input.width + ix) * c_in + c];
      r[i] = offset ? Staged(std::int32_t(v) - zx) : stage(v, zx);
    }
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
          for (int f = f0; f < f_end; ++f)
            j.y[f] = output_value(*j.out, sums[f - f0], k.bias, f);
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
  const int vectors = k.filters_padded / kLanes;
  k.tile = tile_positions(vectors < 4 ? vectors : 4);
  const int pixels = (k.tile - 1) * g.stride_w + g.kernel_w;
  k.row_stride = int(int8::round_up(std::size_t(pixels) * std::size_t(g.input.channels) + kGroup, 16));
  k.tiles_per_row = (g.output.width + k.tile - 1) / k.tile;
  k.weights = static_cast<const Packed*>(packed);
  k.bias = reinterpret_cast<const std::int32_t*>(static_cast<const std::uint8_t*>(packed) + int8_packed_bytes(g)) -
           k.filters_padded;
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
    const std::int64_t folded = out.bias[f] - (folds ? (out.input_zero_point + 128) * sum : 0);
    bias[f] = f < filters ? std::int32_t(std::uint32_t(folded)) : 0;  // modulo 2^32, as the sums
  }
}

void int8_conv2d(const ConvGeometry& g, const std::int8_t* x, const std::int8_t* w, const void* packed,
                 const Int8Output& out, std::int8_t* y, const Int8Scratch& scratch, const Parallel& parallel) {
#if defined(FIXNET_INT8_VECTOR)
  (void)w;
  vector_conv2d(g, x, packed, out, y, scratch, parallel);
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
            for (int c = 0; c < c_in; ++c) yp[c] = xp[c] > yp[c] ? xp[c] : yp[c];
          }
      }
}

void int8_relu(std::size_t count, const std::int8_t* x, std::int8_t zero_point, std::int8_t* y) {
  for (std::size_t i = 0; i < count; ++i) y[i] = x[i] > zero_point ? x[i] : zero_point;
}

}  // namespace fixnet
