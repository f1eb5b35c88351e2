/*
 * gemma4j's native CPU kernels, called from Java through java.lang.foreign (no JNI): the products of 8-bit
 * weights with activations quantized to 8 bits in blocks of 32, on integer dot products (AVX-512 VNNI, or AVX2's
 * maddubs where VNNI is absent), as llama.cpp multiplies its Q8_0 weights by Q8_0 activations.
 *
 * Every path gives the same bits, and so does the Java kernel (dev.gemma4j.backend.cpu.kernels.ScalarInt8MatVec):
 * a block's integer sum is exact, and the float sums run in one fixed order, defined here. Row o's result is
 *
 *   y[o] = scale[o] * combine(acc[0..7]),  acc[l] = fmaf(xd[b], (float) isum[o][b], acc[l]) for b = l, l + 8, ...
 *   combine(a) = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))
 *
 * where isum[o][b] is the exact integer dot product of block b of row o with block b of xq.
 * Built by build.sh (the exact flags matter: no -ffast-math, -ffp-contract=off) into the jar's resources.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#ifndef GEMMA4J_SOURCE_SHA256
#define GEMMA4J_SOURCE_SHA256 "unknown"
#endif

/** The SHA-256 of this file as build.sh saw it: a test checks the shipped library against the source. */
const char *g4j_source_sha256(void) { return GEMMA4J_SOURCE_SHA256; }

static float combine(const float *a) {
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* ---- portable reference (also the path for CPUs without AVX2) ---- */

static int32_t dot32_scalar(const int8_t *w, const int8_t *x) {
  int32_t s = 0;
  for (int i = 0; i < 32; i++) s += (int32_t) w[i] * (int32_t) x[i];
  return s;
}

/* Blocks first .. blocks - 1 of one row into the partial sums acc[b & 7], in the file comment's order. */
static void add_blocks(const int8_t *row, const int8_t *xq, const float *xd, int first, int blocks, float *acc) {
  for (int b = first; b < blocks; b++) {
    acc[b & 7] = fmaf(xd[b], (float) dot32_scalar(row + 32 * b, xq + 32 * b), acc[b & 7]);
  }
}

static void rows_scalar(const int8_t *q, const float *scale, int in, const int8_t *xq, const float *xd,
                        int from, int to, float *y) {
  for (int o = from; o < to; o++) {
    float acc[8] = {0};
    add_blocks(q + (int64_t) o * in, xq, xd, 0, in / 32, acc);
    y[o] = scale[o] * combine(acc);
  }
}

/* Rows of weights per tile: a tile stays in the core's cache while every activation row passes over it. */
#define TILE 16

/* ---- AVX2: |w| times x with w's sign, pairs summed to int16 (at most 2 * 128 * 127, no saturation) ---- */

__attribute__((target("avx2,fma")))
static inline __m256i dot32_avx2(const int8_t *w, __m256i x) {
  __m256i wv = _mm256_loadu_si256((const __m256i *) w);
  __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(x, wv));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* Eight vectors of eight int32 partial sums to one vector of their eight totals, in order. */
__attribute__((target("avx2,fma")))
static inline __m256i reduce8(__m256i s0, __m256i s1, __m256i s2, __m256i s3, __m256i s4, __m256i s5, __m256i s6,
                              __m256i s7) {
  __m256i a = _mm256_hadd_epi32(s0, s1); /* 0 0 1 1 | 0 0 1 1 */
  __m256i b = _mm256_hadd_epi32(s2, s3);
  __m256i c = _mm256_hadd_epi32(s4, s5);
  __m256i d = _mm256_hadd_epi32(s6, s7);
  __m256i ab = _mm256_hadd_epi32(a, b); /* 0 1 2 3 | 0 1 2 3 */
  __m256i cd = _mm256_hadd_epi32(c, d); /* 4 5 6 7 | 4 5 6 7 */
  __m256i lo = _mm256_permute2x128_si256(ab, cd, 0x20);
  __m256i hi = _mm256_permute2x128_si256(ab, cd, 0x31);
  return _mm256_add_epi32(lo, hi);
}

#define ROWS_KERNEL(NAME, TARGET, DOT)                                                                         \
  __attribute__((target(TARGET)))                                                                             \
  static void NAME(const int8_t *q, const float *scale, int in, const int8_t *xq, const float *xd, int from,  \
                   int to, float *y) {                                                                        \
    int blocks = in / 32;                                                                                     \
    int whole = blocks / 8 * 8;                                                                               \
    for (int o = from; o < to; o++) {                                                                         \
      const int8_t *row = q + (int64_t) o * in;                                                               \
      __m256 acc = _mm256_setzero_ps();                                                                       \
      for (int b = 0; b < whole; b += 8) {                                                                    \
        const int8_t *w = row + 32 * b;                                                                       \
        const int8_t *x = xq + 32 * b;                                                                        \
        __m256i s = reduce8(DOT(w, x, 0), DOT(w, x, 1), DOT(w, x, 2), DOT(w, x, 3), DOT(w, x, 4), DOT(w, x, 5), \
                            DOT(w, x, 6), DOT(w, x, 7));                                                      \
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(xd + b), _mm256_cvtepi32_ps(s), acc);                         \
      }                                                                                                       \
      float a[8];                                                                                             \
      _mm256_storeu_ps(a, acc);                                                                               \
      add_blocks(row, xq, xd, whole, blocks, a);                                                              \
      y[o] = scale[o] * combine(a);                                                                           \
    }                                                                                                         \
  }

#define DOT_AVX2(w, x, k) dot32_avx2((w) + 32 * (k), _mm256_loadu_si256((const __m256i *) ((x) + 32 * (k))))
ROWS_KERNEL(rows_avx2, "avx2,fma", DOT_AVX2)

/* ---- AVX-512 VNNI on 256-bit vectors: the same |w| and signed x, four products summed in one instruction ---- */

__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512vnni")))
static inline __m256i dot32_vnni(const int8_t *w, __m256i x) {
  __m256i wv = _mm256_loadu_si256((const __m256i *) w);
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(wv, wv), _mm256_sign_epi8(x, wv));
}

#define DOT_VNNI(w, x, k) dot32_vnni((w) + 32 * (k), _mm256_loadu_si256((const __m256i *) ((x) + 32 * (k))))
ROWS_KERNEL(rows_vnni, "avx2,fma,avx512f,avx512vl,avx512bw,avx512vnni", DOT_VNNI)

/* ---- dispatch ---- */

typedef void (*rows_fn)(const int8_t *, const float *, int, const int8_t *, const float *, int, int, float *);

/** 2 for AVX-512 VNNI, 1 for AVX2, 0 for the portable loop: what g4j_int8_rows runs here. */
int g4j_level(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
    return 2;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return 1;
  }
  return 0;
}

/**
 * y[m * y_stride + o] for the m < rows activation rows and from <= o < to (see the file comment): q is [out, in]
 * signed bytes, in a multiple of 32; activation row m is xq[m * in ..] (signed bytes) with block scales
 * xd[m * (in / 32) ..]. level: at most g4j_level(); a lower one forces a path (the tests compare them).
 */
void g4j_int8_rows(int level, const int8_t *q, const float *scale, int in, int rows, const int8_t *xq,
                   const float *xd, int from, int to, float *y, int y_stride) {
  rows_fn f = level >= 2 ? rows_vnni : level == 1 ? rows_avx2 : rows_scalar;
  int blocks = in / 32;
  for (int tile = from; tile < to; tile += TILE) {
    int end = tile + TILE < to ? tile + TILE : to;
    for (int m = 0; m < rows; m++) {
      f(q, scale, in, xq + (int64_t) m * in, xd + (int64_t) m * blocks, tile, end, y + (int64_t) m * y_stride);
    }
  }
}
