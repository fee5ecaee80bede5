// fixnet: the one place that knows the vector instruction set. Kernels use
// `Vec` and these functions; this header picks AVX-512, AVX2+FMA, SSE2,
// WebAssembly SIMD128, NEON or plain scalar code from the compiler's target
// (FIXNET_SIMD_SCALAR forces scalar code, to test it on any machine).
#pragma once

#if defined(FIXNET_SIMD_SCALAR)
#include <cmath>
#define FIXNET_SIMD_NAME "scalar"
#elif defined(__AVX512F__)
#include <immintrin.h>
#define FIXNET_SIMD_NAME "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FIXNET_SIMD_NAME "avx2"
#elif defined(__SSE2__)
#include <emmintrin.h>
#define FIXNET_SIMD_NAME "sse2"
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define FIXNET_SIMD_NAME "wasm-simd128"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define FIXNET_SIMD_NAME "neon"
#else
#include <cmath>
#define FIXNET_SIMD_NAME "scalar"
#define FIXNET_SIMD_SCALAR
#endif

namespace fixnet {
namespace simd {

#if defined(FIXNET_SIMD_SCALAR)
using Vec = float;
constexpr int kLanes = 1;
inline Vec load(const float* p) { return *p; }
inline void store(float* p, Vec v) { *p = v; }
inline Vec broadcast(float x) { return x; }
inline Vec zero() { return 0.0f; }
inline Vec add(Vec a, Vec b) { return a + b; }
inline Vec sub(Vec a, Vec b) { return a - b; }
inline Vec mul(Vec a, Vec b) { return a * b; }
inline Vec max(Vec a, Vec b) { return a > b ? a : b; }
inline Vec sqrt(Vec a) { return std::sqrt(a); }
inline Vec div(Vec a, Vec b) { return a / b; }
inline Vec mul_add(Vec a, Vec b, Vec c) { return a * b + c; }
using Mask = bool;
inline Mask equal(Vec a, Vec b) { return a == b; }
inline Mask greater(Vec a, Vec b) { return a > b; }
inline Mask and_not(Mask a, Mask b) { return a && !b; }
inline Mask either(Mask a, Mask b) { return a || b; }
inline Mask no_lanes() { return false; }
inline Vec select(Mask m, Vec v) { return m ? v : 0.0f; }
#elif defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec broadcast(float x) { return _mm512_set1_ps(x); }
inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec add(Vec a, Vec b) { return _mm512_mask_add_ps(a, 0xFFFF, a, b); }
inline Vec sub(Vec a, Vec b) { return _mm512_mask_sub_ps(a, 0xFFFF, a, b); }
inline Vec mul(Vec a, Vec b) { return _mm512_mask_mul_ps(a, 0xFFFF, a, b); }
// (the masked form sidesteps a GCC 12 false "maybe uninitialized" warning)
inline Vec max(Vec a, Vec b) { return _mm512_mask_max_ps(a, 0xFFFF, a, b); }
inline Vec sqrt(Vec a) { return _mm512_mask_sqrt_ps(a, 0xFFFF, a); }
inline Vec div(Vec a, Vec b) { return _mm512_mask_div_ps(a, 0xFFFF, a, b); }
inline Vec mul_add(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }  // a*b + c
using Mask = __mmask16;
inline Mask equal(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
inline Mask greater(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
inline Mask and_not(Mask a, Mask b) { return Mask(a & ~b); }
inline Mask either(Mask a, Mask b) { return Mask(a | b); }
inline Mask no_lanes() { return 0; }
inline Vec select(Mask m, Vec v) { return _mm512_maskz_mov_ps(m, v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec broadcast(float x) { return _mm256_set1_ps(x); }
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec max(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline Vec sqrt(Vec a) { return _mm256_sqrt_ps(a); }
inline Vec div(Vec a, Vec b) { return _mm256_div_ps(a, b); }
inline Vec mul_add(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
using Mask = __m256;
inline Mask equal(Vec a, Vec b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
inline Mask greater(Vec a, Vec b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
inline Mask and_not(Mask a, Mask b) { return _mm256_andnot_ps(b, a); }
inline Mask either(Mask a, Mask b) { return _mm256_or_ps(a, b); }
inline Mask no_lanes() { return _mm256_setzero_ps(); }
inline Vec select(Mask m, Vec v) { return _mm256_and_ps(m, v); }
#elif defined(__SSE2__)
using Vec = __m128;
constexpr int kLanes = 4;
inline Vec load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm_storeu_ps(p, v); }
inline Vec broadcast(float x) { return _mm_set1_ps(x); }
inline Vec zero() { return _mm_setzero_ps(); }
inline Vec add(Vec a, Vec b) { return _mm_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm_mul_ps(a, b); }
inline Vec max(Vec a, Vec b) { return _mm_max_ps(a, b); }
inline Vec sqrt(Vec a) { return _mm_sqrt_ps(a); }
inline Vec div(Vec a, Vec b) { return _mm_div_ps(a, b); }
inline Vec mul_add(Vec a, Vec b, Vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
using Mask = __m128;
inline Mask equal(Vec a, Vec b) { return _mm_cmpeq_ps(a, b); }
inline Mask greater(Vec a, Vec b) { return _mm_cmpgt_ps(a, b); }
inline Mask and_not(Mask a, Mask b) { return _mm_andnot_ps(b, a); }
inline Mask either(Mask a, Mask b) { return _mm_or_ps(a, b); }
inline Mask no_lanes() { return _mm_setzero_ps(); }
inline Vec select(Mask m, Vec v) { return _mm_and_ps(m, v); }
#elif defined(__wasm_simd128__)
using Vec = v128_t;
constexpr int kLanes = 4;
inline Vec load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, Vec v) { wasm_v128_store(p, v); }
inline Vec broadcast(float x) { return wasm_f32x4_splat(x); }
inline Vec zero() { return wasm_f32x4_splat(0.0f); }
inline Vec add(Vec a, Vec b) { return wasm_f32x4_add(a, b); }
inline Vec sub(Vec a, Vec b) { return wasm_f32x4_sub(a, b); }
inline Vec mul(Vec a, Vec b) { return wasm_f32x4_mul(a, b); }
inline Vec max(Vec a, Vec b) { return wasm_f32x4_pmax(a, b); }
inline Vec sqrt(Vec a) { return wasm_f32x4_sqrt(a); }
inline Vec div(Vec a, Vec b) { return wasm_f32x4_div(a, b); }
inline Vec mul_add(Vec a, Vec b, Vec c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
using Mask = v128_t;
inline Mask equal(Vec a, Vec b) { return wasm_f32x4_eq(a, b); }
inline Mask greater(Vec a, Vec b) { return wasm_f32x4_gt(a, b); }
inline Mask and_not(Mask a, Mask b) { return wasm_v128_andnot(a, b); }
inline Mask either(Mask a, Mask b) { return wasm_v128_or(a, b); }
inline Mask no_lanes() { return wasm_i32x4_splat(0); }
inline Vec select(Mask m, Vec v) { return wasm_v128_and(m, v); }
#elif defined(__ARM_NEON) && defined(__aarch64__)
using Vec = float32x4_t;
constexpr int kLanes = 4;
inline Vec load(const float* p) { return vld1q_f32(p); }
inline void store(float* p, Vec v) { vst1q_f32(p, v); }
inline Vec broadcast(float x) { return vdupq_n_f32(x); }
inline Vec zero() { return vdupq_n_f32(0.0f); }
inline Vec add(Vec a, Vec b) { return vaddq_f32(a, b); }
inline Vec sub(Vec a, Vec b) { return vsubq_f32(a, b); }
inline Vec mul(Vec a, Vec b) { return vmulq_f32(a, b); }
inline Vec max(Vec a, Vec b) { return vmaxq_f32(a, b); }
inline Vec sqrt(Vec a) { return vsqrtq_f32(a); }
inline Vec div(Vec a, Vec b) { return vdivq_f32(a, b); }
inline Vec mul_add(Vec a, Vec b, Vec c) { return vfmaq_f32(c, a, b); }
using Mask = uint32x4_t;
inline Mask equal(Vec a, Vec b) { return vceqq_f32(a, b); }
inline Mask greater(Vec a, Vec b) { return vcgtq_f32(a, b); }
inline Mask and_not(Mask a, Mask b) { return vbicq_u32(a, b); }
inline Mask either(Mask a, Mask b) { return vorrq_u32(a, b); }
inline Mask no_lanes() { return vdupq_n_u32(0); }
inline Vec select(Mask m, Vec v) { return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(v))); }
#endif

// Masks: equal/greater compare lane by lane; select(m, v) keeps v where m is
// set and gives 0 elsewhere.

// The name of the instruction set chosen at compile time, e.g. "avx512".
constexpr const char* kName = FIXNET_SIMD_NAME;

}  // namespace simd
}  // namespace fixnet
