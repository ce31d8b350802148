/* CONV_2D and FULLY_CONNECTED int8 with folded zero points (see mr_fast.h): one GEMM core, 2 pixels
 * x 2 output channels per pass, fed by row loaders (a 1x1 conv reads its input pixels, other convs
 * build an im2col row per output pixel, padded with the input zero point). */
#include <string.h>

#include "mr_fast.h"
#include "mr_kernels.h"

#include "mr_dsp.h"
#include "mr_x86.h"

#ifdef MR_SSE2
typedef int8_t mr_row_t; /* the SSE2 cores widen int8 themselves (unpack + shift) */
#else
typedef int16_t mr_row_t; /* portable: gcc vectorises int8 x int16 dot products; DSP: see MR_DSP_AT */
#endif

/* Output stage of one layer: requantization, output offset, activation clamp. */
typedef struct {
  int32_t out_offset;
  const int32_t *mult;
  const int8_t *rshift_m1; /* -1 - shift (mr_requant_prepare_rshift_m1) */
  int32_t act_min, act_max;
  int doubled; /* DSP path: every channel requantizes by mr_requantize_doubled (mr_doubled_exact) */
} mr_out_params;

#ifdef MR_DSP
static int mr_doubled_exact(const int32_t *bias, int out_c, int k, const int8_t *rshift_m1);
#define MR_DOUBLED(bias, out_c, k, rshift_m1) mr_doubled_exact(bias, out_c, k, rshift_m1)
#else
#define MR_DOUBLED(bias, out_c, k, rshift_m1) 0
#endif

/* Output channel oc of two pixels: one requantization set-up (mr_requant_prepare_rshift_m1) for both. */
static inline void mr_out_pair(int32_t acc_a, int32_t acc_b, int oc, const mr_out_params *q, int8_t *y_a,
                               int8_t *y_b) {
  const mr_requant r = mr_requant_prepare_rshift_m1(q->mult[oc], q->rshift_m1[oc]);
  int32_t a, b;
  if (r.right_shift_m1 >= 0) {
    a = mr_requant_apply_right(acc_a, &r);
    b = mr_requant_apply_right(acc_b, &r);
  } else {
    a = mr_requant_apply_left(acc_a, &r);
    b = mr_requant_apply_left(acc_b, &r);
  }
  *y_a = (int8_t)mr_clamp_i32(a + q->out_offset, q->act_min, q->act_max);
  *y_b = (int8_t)mr_clamp_i32(b + q->out_offset, q->act_min, q->act_max);
}

#ifdef MR_DSP
/* DSP rows: the GEMM rows of two pixels, widened to int16 and interleaved in the order SXTB16 gives. For each
 * four values v0..v3 of a row: the words (v0, v2) and (v1, v3) of pixel 0, then those of pixel 1; pixel p's row
 * starts 4*p halfwords in (MR_PIXEL_ROW). The core then reads four values of both pixels with one LDM and widens
 * only the filter (SXTB16 of a filter word gives (w0, w2), with ROR 8 (w1, w3): the same pairing). Value i of a
 * pixel's row sits at halfword: */
#define MR_DSP_AT(i) ((((i) >> 2) << 3) | (((i) & 1) << 1) | (((i) >> 1) & 1))
#define MR_PIXEL_ROW(rows, p, k) ((rows) + 4 * (p))
#else
#define MR_PIXEL_ROW(rows, p, k) ((rows) + (p) * MR_GEMM_ROW(k))
#endif

/* Row loaders: values [pos, pos + n) of a GEMM row from n int8 values, or n copies of one value; mr_row_pad
 * zero-fills a row from k to the length the core reads (DSP: a multiple of 4, portable: MR_GEMM_ROW(k)). */
#ifdef MR_DSP
/* groups x four int8 values from src, widened, into a DSP row at d (each group's two words, then 8 bytes of the
 * other pixel's: 16 bytes apart); groups >= 1. 5.5 instructions per group, where gcc's loop took 9. */
static inline void mr_row_widen(int32_t *d, const int8_t *src, int groups) {
  int32_t v, lo, v2, lo2;
  if (groups & 1) {
    __asm__ volatile("ldr %[v], [%[s]], #4\n\t"
                     "sxtb16 %[lo], %[v]\n\t"
                     "sxtb16 %[v], %[v], ror #8\n\t"
                     "strd %[lo], %[v], [%[d]], #16\n\t"
                     : [s] "+r"(src), [d] "+r"(d), [v] "=&r"(v), [lo] "=&r"(lo) : : "memory");
  }
  groups >>= 1;
  if (groups) {
    __asm__ volatile("1:\n\t"
                     "ldr %[v2], [%[s], #4]\n\t"
                     "ldr %[v], [%[s]], #8\n\t"
                     "sxtb16 %[lo], %[v]\n\t"
                     "sxtb16 %[v], %[v], ror #8\n\t"
                     "sxtb16 %[lo2], %[v2]\n\t"
                     "sxtb16 %[v2], %[v2], ror #8\n\t"
                     "strd %[lo], %[v], [%[d]], #16\n\t"
                     "strd %[lo2], %[v2], [%[d]], #16\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b\n\t"
                     : [s] "+r"(src), [d] "+r"(d), [n] "+r"(groups), [v] "=&r"(v), [lo] "=&r"(lo), [v2] "=&r"(v2),
                       [lo2] "=&r"(lo2)
                     :
                     : "cc", "memory");
  }
}
#endif

static inline void mr_row_load(mr_row_t *restrict row, int pos, const int8_t *restrict src, int n) {
#ifdef MR_DSP
  int i = 0;
  if ((((unsigned)pos | (unsigned)n) & 3u) == 0) { /* the common case: whole groups (in_c a multiple of 4) */
    if (n) mr_row_widen((int32_t *)(void *)(row + MR_DSP_AT(pos)), src, n >> 2);
    return;
  }
  for (; i < n && ((pos + i) & 3) != 0; ++i) row[MR_DSP_AT(pos + i)] = src[i];
  if (i + 4 <= n) {
    mr_row_widen((int32_t *)(void *)(row + MR_DSP_AT(pos + i)), src + i, (n - i) >> 2);
    i += (n - i) & ~3;
  }
  for (; i < n; ++i) row[MR_DSP_AT(pos + i)] = src[i];
#elif defined(MR_SSE2)
  memcpy(row + pos, src, (size_t)n);
#else
  mr_row_t *restrict dst = row + pos;
  const int n16 = (int)((unsigned)n & ~15u);
  int i;
  for (i = 0; i < n16; ++i) dst[i] = src[i];
  for (i = n16; i < n; ++i) dst[i] = src[i];
#endif
}

static void mr_row_fill(mr_row_t *row, int pos, int32_t value, int n) {
  int i = 0;
#ifdef MR_DSP
  for (; i < n && ((pos + i) & 3) != 0; ++i) row[MR_DSP_AT(pos + i)] = (mr_row_t)value;
  if (i + 4 <= n) {
    const int32_t pair = mr_pack_s16x2(value, value);
    int32_t *d = (int32_t *)(void *)(row + MR_DSP_AT(pos + i));
    for (; i + 4 <= n; i += 4, d += 4) d[0] = d[1] = pair;
  }
  for (; i < n; ++i) row[MR_DSP_AT(pos + i)] = (mr_row_t)value;
#else
  for (; i < n; ++i) row[pos + i] = (mr_row_t)value;
#endif
}

static void mr_row_pad(mr_row_t *row, int k) {
#ifdef MR_DSP
  mr_row_fill(row, k, 0, MR_ALIGN4(k) - k); /* the DSP core reads whole groups of four */
#else
  mr_row_fill(row, k, 0, MR_GEMM_ROW(k) - k);
#endif
}


#ifdef MR_DSP
/* What the DSP core reads besides its registers (it needs all 14 for itself): [J, #offset] in the assembly. */
typedef struct {
  const mr_row_t *rows;   /* #0: the two pixels' rows (MR_DSP_AT layout) */
  const int32_t *bias;    /* #4: the next pair's two biases */
  int32_t *acc;           /* #8: the next pair's four accumulators */
  int32_t stride;         /* #12: bytes from one filter row to the next */
  const mr_row_t *end4;   /* #16: rows + the groups the four-group loop takes */
  int32_t rest;           /* #20: groups & 3 */
  const int32_t *bias_end; /* #24: bias past the last pair */
} mr_gemm_job;

/* The DSP core, for output channel pairs (u, v) = (0, 1), (2, 3), ... until job->bias reaches job->bias_end: the four
 * accumulators {(pixel 0, u), (pixel 1, u), (pixel 0, v), (pixel 1, v)} = the biases of u and v + the dot products of
 * the two pixels' rows with filter rows u and v (u: the first filter row, v = u + stride), stored at job->acc.
 * Per group of four values: one LDM (four values of both pixels, already int16), two LDR and four SXTB16 (the filter
 * words), eight SMLAD for 16 multiply-accumulates; four groups per loop pass, then 2 and 1 as `rest` says. The rows
 * are read again for each pair; a filter row ends where the next begins (stride = 4 * groups), so after a pair v
 * points at the next pair's u. All in assembly: with the channel loop in C, gcc spilled and reloaded its loop state
 * around the core (43 instructions per pair; here 24). The LDM's and STM's registers are fixed: their lists
 * must ascend. */
#define MR_GEMM_GROUP                                 \
  "ldm %[x]!, {%[a0], %[a1], %[b0], %[b1]}\n\t"       \
  "ldr %[w], [%[u]], #4\n\t"                          \
  "sxtb16 %[t], %[w]\n\t"                             \
  "sxtb16 %[w], %[w], ror #8\n\t"                     \
  "smlad %[c0u], %[a0], %[t], %[c0u]\n\t"             \
  "smlad %[c0u], %[a1], %[w], %[c0u]\n\t"             \
  "smlad %[c1u], %[b0], %[t], %[c1u]\n\t"             \
  "smlad %[c1u], %[b1], %[w], %[c1u]\n\t"             \
  "ldr %[w], [%[v]], #4\n\t"                          \
  "sxtb16 %[t], %[w]\n\t"                             \
  "sxtb16 %[w], %[w], ror #8\n\t"                     \
  "smlad %[c0v], %[a0], %[t], %[c0v]\n\t"             \
  "smlad %[c0v], %[a1], %[w], %[c0v]\n\t"             \
  "smlad %[c1v], %[b0], %[t], %[c1v]\n\t"             \
  "smlad %[c1v], %[b1], %[w], %[c1v]\n\t"

static void mr_gemm_pairs_dsp(mr_gemm_job *job, const int8_t *u, const int8_t *v) {
  register int32_t a0 __asm__("r8"), a1 __asm__("r9"), b0 __asm__("r10"), b1 __asm__("r11");
  register int32_t c0u __asm__("r2"), c1u __asm__("r3"), c0v __asm__("r4"), c1v __asm__("r5");
  const mr_row_t *x;
  int32_t t, w;
  __asm__ volatile(
      "2:\n\t" /* a pair: accumulators from the biases, rows from the start */
      "ldr %[t], [%[J], #4]\n\t"
      "ldr %[x], [%[J]]\n\t"
      "ldr %[c0u], [%[t]], #4\n\t"
      "ldr %[c0v], [%[t]], #4\n\t"
      "str %[t], [%[J], #4]\n\t"
      "mov %[c1u], %[c0u]\n\t"
      "mov %[c1v], %[c0v]\n\t"
      "ldr %[t], [%[J], #16]\n\t"
      "cmp %[x], %[t]\n\t"
      "beq 4f\n\t"
      "3:\n\t" MR_GEMM_GROUP MR_GEMM_GROUP MR_GEMM_GROUP MR_GEMM_GROUP
      "ldr %[t], [%[J], #16]\n\t"
      "cmp %[x], %[t]\n\t"
      "bne 3b\n\t"
      "4:\n\t" /* the rest: bit 1 into C, bit 0 into N (the groups leave the flags alone) */
      "ldr %[t], [%[J], #20]\n\t"
      "lsls %[t], %[t], #31\n\t"
      "bcc 5f\n\t" MR_GEMM_GROUP MR_GEMM_GROUP
      "5:\n\t"
      "bpl 6f\n\t" MR_GEMM_GROUP
      "6:\n\t"
      "ldr %[t], [%[J], #8]\n\t"
      "stmia %[t]!, {%[c0u], %[c1u], %[c0v], %[c1v]}\n\t"
      "str %[t], [%[J], #8]\n\t"
      "mov %[u], %[v]\n\t" /* the next pair */
      "ldr %[t], [%[J], #12]\n\t"
      "add %[v], %[v], %[t]\n\t"
      "ldr %[t], [%[J], #4]\n\t"
      "ldr %[w], [%[J], #24]\n\t"
      "cmp %[t], %[w]\n\t"
      "bne 2b\n\t"
      : [c0u] "=&r"(c0u), [c1u] "=&r"(c1u), [c0v] "=&r"(c0v), [c1v] "=&r"(c1v), [x] "=&r"(x), [u] "+r"(u),
        [v] "+r"(v), [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [t] "=&r"(t), [w] "=&r"(w)
      : [J] "r"(job)
      : "cc", "memory");
}
#undef MR_GEMM_GROUP

/* Output channels whose accumulators (two pixels each) wait on the stack between the core and the requantization
 * loop: the loop then runs with few live values (inline after the core, gcc spilled the set-up around the asm). */
#define MR_DSP_CHUNK 32

/* The longest im2col row built in int8 first (mr_im2col): 3 input channels up to 7x7 kernels. */
#define MR_IM2COL_S8_MAX 160

/* Whether a layer's every output may take mr_requantize_doubled: each channel a right shift by 1..21 and every
 * accumulator |acc| < 2^30, which |bias| + k * 2^14 < 2^30 guarantees (the products of int8 inputs, padding
 * included, and int8 filters are at most 2^14). Checked once per layer call. */
static int mr_doubled_exact(const int32_t *bias, int out_c, int k, const int8_t *rshift_m1) {
  const int32_t room = k < (1 << 15) ? (int32_t)(1 << 30) - (int32_t)k * (1 << 14) : 0;
  int c;
  for (c = 0; c < out_c; ++c) {
    if (!mr_requant_doubled_allows(rshift_m1[c]) || bias[c] >= room || bias[c] <= -room) return 0;
  }
  return 1;
}

/* y0[j], y1[j] for channels j in [0, n) from acc[2j], acc[2j + 1]; mult, rshift_m1 start at channel 0. CLAMP 0:
 * the activation range is the whole int8 range (one SSAT), 1: [lo, 127] (ReLU: SSAT and a max), 2: any. */
static inline __attribute__((always_inline)) void mr_out_pairs_k(const int32_t *acc, int n, const int32_t *mult,
                                                                  const int8_t *rshift_m1, const mr_out_params *q,
                                                                  int8_t *y0, int8_t *y1, const int CLAMP) {
  const int32_t offset = q->out_offset, lo = q->act_min, hi = q->act_max;
  int j;
  if (q->doubled) { /* one SMMLAR per output; the output offset is in `add` */
    for (j = 0; j < n; ++j) {
      const int32_t m = mult[j], shift = rshift_m1[j], add = mr_requant_doubled_add(offset, shift);
      int32_t a = mr_requantize_doubled(2 * acc[2 * j], m, add, shift + 1);
      int32_t b = mr_requantize_doubled(2 * acc[2 * j + 1], m, add, shift + 1);
      a = __ssat(a, 8);
      b = __ssat(b, 8);
      if (CLAMP != 0) {
        a = mr_max_i32(a, lo);
        b = mr_max_i32(b, lo);
      }
      if (CLAMP == 2) {
        a = mr_min_i32(a, hi);
        b = mr_min_i32(b, hi);
      }
      y0[j] = (int8_t)a;
      y1[j] = (int8_t)b;
    }
    return;
  }
  for (j = 0; j < n; ++j) {
    const mr_requant r = mr_requant_prepare_rshift_m1(mult[j], rshift_m1[j]);
    int32_t a, b;
    if (r.right_shift_m1 >= 0) {
      a = mr_requant_apply_right(acc[2 * j], &r);
      b = mr_requant_apply_right(acc[2 * j + 1], &r);
    } else {
      a = mr_requant_apply_left(acc[2 * j], &r);
      b = mr_requant_apply_left(acc[2 * j + 1], &r);
    }
    if (CLAMP == 2) {
      a = mr_clamp_i32(a + offset, lo, hi);
      b = mr_clamp_i32(b + offset, lo, hi);
    } else {
      a = __ssat(a + offset, 8);
      b = __ssat(b + offset, 8);
      if (CLAMP == 1) {
        a = mr_max_i32(a, lo);
        b = mr_max_i32(b, lo);
      }
    }
    y0[j] = (int8_t)a;
    y1[j] = (int8_t)b;
  }
}

static void mr_out_pairs(const int32_t *acc, int n, const int32_t *mult, const int8_t *rshift_m1,
                         const mr_out_params *q, int8_t *y0, int8_t *y1) {
  if (q->act_max != MR_INT8_MAX) mr_out_pairs_k(acc, n, mult, rshift_m1, q, y0, y1, 2);
  else if (q->act_min == MR_INT8_MIN) mr_out_pairs_k(acc, n, mult, rshift_m1, q, y0, y1, 0);
  else mr_out_pairs_k(acc, n, mult, rshift_m1, q, y0, y1, 1);
}

/* y0[oc], y1[oc] (pixels 0 and 1 of rows, MR_DSP_AT layout) for every output channel: acc = bias[oc] +
 * sum_i filter[oc][i] * x[i], requantized. y1 may equal y0 (one pixel loaded twice). */
static void mr_gemm2(const mr_row_t *rows, int k, const int8_t *filter, const int32_t *bias, int out_c, int8_t *y0,
                     int8_t *y1, const mr_out_params *q) {
  const int stride = (int)MR_GEMM_STRIDE(k), groups = (k + 3) >> 2;
  int32_t acc[2 * MR_DSP_CHUNK];
  mr_gemm_job job;
  int oc0;
  job.rows = rows;
  job.stride = stride;
  job.end4 = rows + 8 * (groups & ~3);
  job.rest = groups & 3;
  for (oc0 = 0; oc0 < out_c; oc0 += MR_DSP_CHUNK) {
    const int n = out_c - oc0 < MR_DSP_CHUNK ? out_c - oc0 : MR_DSP_CHUNK;
    const int8_t *w = filter + (size_t)oc0 * (size_t)stride;
    if (n >= 2) {
      job.bias = bias + oc0;
      job.bias_end = job.bias + (n & ~1);
      job.acc = acc;
      mr_gemm_pairs_dsp(&job, w, w + stride);
    }
    if (n & 1) { /* an odd last channel: computed twice over (v = u), u's accumulators kept */
      const int32_t twice[2] = {bias[oc0 + n - 1], bias[oc0 + n - 1]};
      int32_t last[4];
      w += (size_t)(n - 1) * (size_t)stride;
      job.bias = twice;
      job.bias_end = twice + 2;
      job.acc = last;
      mr_gemm_pairs_dsp(&job, w, w);
      acc[2 * n - 2] = last[0];
      acc[2 * n - 1] = last[1];
    }
    mr_out_pairs(acc, n, q->mult + oc0, q->rshift_m1 + oc0, q, y0 + oc0, y1 + oc0);
  }
}
#endif

#ifdef MR_SSE2
/* The SSE2 core: four rows (pixels) x two output channels per pass, int8 rows and filter rows widened to
 * int16 in registers (even and odd bytes sign-extended apart: their two _mm_madd_epi16 add the same products),
 * _mm_madd_epi16 over MR_GEMM_ROW(k) values (k <= 8: eight): the rows are zero from k on, so the filter values
 * read past a row's k, the next row's, add nothing. The four accumulators of one channel reduce to one vector with the pixels as lanes, so each channel
 * is requantized once for four pixels (mr_requant_apply_x4). y[p][oc] = output of row x[p]; rows may repeat
 * (fewer than four pixels), their outputs are then written twice, alike. NPIX 2: rows 0 and 1 only (the fused
 * conv + add keeps two pixels' outputs in scratch when it builds im2col rows there). */
/* k: the row length the loops take (8 or 16 for the specialised short rows); stride: MR_GEMM_STRIDE of the
 * filter's true row length (filter rows are that far apart; values read past a row multiply zero inputs). */
static inline __attribute__((always_inline)) void mr_gemm4_k(const mr_row_t *const *x, int k, int stride,
                                                              const int8_t *filter, const int32_t *bias, int out_c,
                                                              int8_t *const *y, const mr_out_params *params,
                                                              const int NPIX) {
  const mr_out_params copy = *params, *const q = &copy;
  const int k_row = (int)MR_GEMM_ROW(k);
  const __m128i out_offset = _mm_set1_epi32(q->out_offset), act_min = _mm_set1_epi16((int16_t)q->act_min);
  const __m128i act_max = _mm_set1_epi16((int16_t)q->act_max);
  const mr_row_t *const x0 = x[0], *const x1 = x[1], *const x2 = x[NPIX - 2], *const x3 = x[NPIX - 1];
  int oc;
  for (oc = 0; oc < out_c; oc += 2) {
    const int second = oc + 1 < out_c ? oc + 1 : oc; /* an odd last channel: computed twice, written once */
    const int8_t *w0 = filter + (size_t)oc * (size_t)stride, *w1 = filter + (size_t)second * (size_t)stride;
    __m128i a00 = _mm_setzero_si128(), a10 = a00, a20 = a00, a30 = a00; /* a<pixel><channel> */
    __m128i a01 = a00, a11 = a00, a21 = a00, a31 = a00;
    mr_requant_x4 r0, r1;
    int i, p;
    for (i = 0; i < k_row; i += 16) {
      /* k <= 8: the first eight values only (the rest is padding), one int16 vector each */
      const __m128i f0 = k <= 8 ? _mm_loadl_epi64((const __m128i *)(const void *)(w0 + i))
                                : _mm_loadu_si128((const __m128i *)(const void *)(w0 + i));
      const __m128i f1 = k <= 8 ? _mm_loadl_epi64((const __m128i *)(const void *)(w1 + i))
                                : _mm_loadu_si128((const __m128i *)(const void *)(w1 + i));
      const __m128i f0l = k <= 8 ? mr_widen8(f0) : mr_even_s16(f0), f0h = mr_odd_s16(f0);
      const __m128i f1l = k <= 8 ? mr_widen8(f1) : mr_even_s16(f1), f1h = mr_odd_s16(f1);
#define MR_GEMM_PIXEL(xp, a0, a1)                                                                        \
  do {                                                                                                   \
    if (k <= 8) {                                                                                        \
      const __m128i vl = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)((xp) + i)));          \
      a0 = _mm_add_epi32(a0, _mm_madd_epi16(vl, f0l));                                                   \
      a1 = _mm_add_epi32(a1, _mm_madd_epi16(vl, f1l));                                                   \
    } else {                                                                                             \
      const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)((xp) + i));                      \
      const __m128i vl = mr_even_s16(v), vh = mr_odd_s16(v);                                             \
      a0 = _mm_add_epi32(a0, _mm_add_epi32(_mm_madd_epi16(vl, f0l), _mm_madd_epi16(vh, f0h)));           \
      a1 = _mm_add_epi32(a1, _mm_add_epi32(_mm_madd_epi16(vl, f1l), _mm_madd_epi16(vh, f1h)));           \
    }                                                                                                    \
  } while (0)
      MR_GEMM_PIXEL(x0, a00, a01);
      MR_GEMM_PIXEL(x1, a10, a11);
      if (NPIX == 4) {
        MR_GEMM_PIXEL(x2, a20, a21);
        MR_GEMM_PIXEL(x3, a30, a31);
      }
#undef MR_GEMM_PIXEL
    }
    r0 = mr_requant_prepare_x4(q->mult[oc], -1 - q->rshift_m1[oc]);
    r1 = mr_requant_prepare_x4(q->mult[second], -1 - q->rshift_m1[second]);
    a00 = _mm_add_epi32(mr_sum_x4(a00, a10, a20, a30), _mm_set1_epi32(bias[oc]));
    a01 = _mm_add_epi32(mr_sum_x4(a01, a11, a21, a31), _mm_set1_epi32(bias[second]));
    a00 = _mm_add_epi32(mr_requant_apply_x4(a00, &r0), out_offset);
    a01 = _mm_add_epi32(mr_requant_apply_x4(a01, &r1), out_offset);
    a00 = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a00, a01), act_min), act_max);
    {
      /* bytes: channel oc of pixels 0..3, then channel `second`; stored as they come (an odd last channel:
       * `second` = oc, its byte written twice) */
      uint32_t first = (uint32_t)_mm_cvtsi128_si32(_mm_packs_epi16(a00, a00));
      uint32_t next = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(_mm_packs_epi16(a00, a00), 4));
      for (p = 0; p < NPIX; ++p, first >>= 8, next >>= 8) {
        y[p][oc] = (int8_t)(uint8_t)first;
        y[p][second] = (int8_t)(uint8_t)next;
      }
    }
  }
}

/* mr_gemm4_k with the row length a constant for the short rows of expansion 1x1 convs. */
static void mr_gemm4(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                     int8_t *const *y, const mr_out_params *params) {
  const int stride = (int)MR_GEMM_STRIDE(k);
  if (k <= 8) mr_gemm4_k(x, 8, stride, filter, bias, out_c, y, params, 4);
  else if (k <= 16) mr_gemm4_k(x, 16, stride, filter, bias, out_c, y, params, 4);
  else mr_gemm4_k(x, k, stride, filter, bias, out_c, y, params, 4);
}

/* k <= 8 (expansion 1x1 convs from few channels): eight pixels x one output channel per pass, the eight rows
 * widened once for all channels, one requantization set-up per channel for the eight. */
static void mr_gemm8_k8(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                        int8_t *const *y, const mr_out_params *params) {
  const size_t stride = (size_t)MR_GEMM_STRIDE(k); /* eight values read from each row: past k they multiply zeros */
  const mr_out_params copy = *params, *const q = &copy;
  const __m128i out_offset = _mm_set1_epi32(q->out_offset), act_min = _mm_set1_epi16((int16_t)q->act_min);
  const __m128i act_max = _mm_set1_epi16((int16_t)q->act_max);
  __m128i v[8];
  int oc, p;
  for (p = 0; p < 8; ++p) v[p] = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)x[p]));
  for (oc = 0; oc < out_c; ++oc) {
    const __m128i f = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)(filter + (size_t)oc * stride)));
    const __m128i b = _mm_set1_epi32(bias[oc]);
    const mr_requant_x4 r = mr_requant_prepare_x4(q->mult[oc], -1 - q->rshift_m1[oc]);
    const __m128i lo = _mm_add_epi32(mr_sum_x4(_mm_madd_epi16(v[0], f), _mm_madd_epi16(v[1], f),
                                               _mm_madd_epi16(v[2], f), _mm_madd_epi16(v[3], f)), b);
    const __m128i hi = _mm_add_epi32(mr_sum_x4(_mm_madd_epi16(v[4], f), _mm_madd_epi16(v[5], f),
                                               _mm_madd_epi16(v[6], f), _mm_madd_epi16(v[7], f)), b);
    const __m128i bytes = mr_requant_clamp_x8(lo, hi, &r, out_offset, act_min, act_max);
    uint32_t b03 = (uint32_t)_mm_cvtsi128_si32(bytes), b47 = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(bytes, 4));
    for (p = 0; p < 4; ++p, b03 >>= 8, b47 >>= 8) {
      y[p][oc] = (int8_t)(uint8_t)b03;
      y[p + 4][oc] = (int8_t)(uint8_t)b47;
    }
  }
}

/* Pixels per pass of the SSE2 1x1 convs: eight rows of eight values when k <= 8 (mr_gemm8_k8), else four rows
 * of MR_GEMM_ROW(k) (mr_gemm4): the scratch of two int16 rows holds either. */
static int mr_pixels_x86(int k) { return k <= 8 ? 8 : 4; }

/* The `pixels` int8 rows of scratch the SSE2 cores read, zero-padded from k, into x; returns their length. */
static int mr_rows_x86(mr_row_t *scratch, int k, int pixels, const mr_row_t **x) {
  const int row = pixels == 8 ? 8 : (int)MR_GEMM_ROW(k);
  int j;
  for (j = 0; j < pixels; ++j) {
    x[j] = scratch + j * row;
    if (pixels == 8) mr_row_fill(scratch + j * row, k, 0, row - k);
    else mr_row_pad(scratch + j * row, k);
  }
  return row;
}

static void mr_gemm_x86(const mr_row_t *const *x, int pixels, int k, const int8_t *filter, const int32_t *bias,
                        int out_c, int8_t *const *y, const mr_out_params *params) {
  if (pixels == 8) mr_gemm8_k8(x, k, filter, bias, out_c, y, params);
  else mr_gemm4(x, k, filter, bias, out_c, y, params);
}

static void mr_gemm2_x86(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                         int8_t *const *y, const mr_out_params *params) {
  mr_gemm4_k(x, k, (int)MR_GEMM_STRIDE(k), filter, bias, out_c, y, params, 2);
}
#elif !defined(MR_DSP)
/* y0[oc] (from row x0) and y1[oc] (from row x1) for every output channel: acc = bias[oc] +
 * sum_i filter[oc][i] * x[i]. y1 may equal y0 (one pixel loaded twice). */
static inline __attribute__((always_inline)) void mr_gemm2_k(const mr_row_t *x0, const mr_row_t *x1, int k,
                                                              const int8_t *filter, const int32_t *bias, int out_c,
                                                              int8_t *y0, int8_t *y1, const mr_out_params *params) {
  /* a copy: the int8 output stores may alias *params, which would make gcc reload it after each one */
  const mr_out_params copy = *params, *const q = &copy;
  const int stride = (int)MR_GEMM_STRIDE(k);
  const int k16 = (int)((unsigned)MR_GEMM_ROW(k) & ~15u); /* written so the vectoriser sees a multiple of 16 */
  int oc;
  for (oc = 0; oc < out_c; oc += 2) {
    /* an odd last channel is computed twice over (w1 = w0) and written once */
    const int second = oc + 1 < out_c ? oc + 1 : oc;
    const int8_t *w0 = filter + (size_t)oc * (size_t)stride, *w1 = filter + (size_t)second * (size_t)stride;
    int32_t acc00 = bias[oc], acc10 = acc00, acc01 = bias[second], acc11 = acc01;
    int i;
    /* MR_GEMM_ROW(k) values: the scratch rows are zero beyond k (the filter values there, up to the next
     * row's, multiply zeros) */
    for (i = 0; i < k16; ++i) {
      acc00 += (int32_t)w0[i] * x0[i];
      acc01 += (int32_t)w1[i] * x0[i];
      acc10 += (int32_t)w0[i] * x1[i];
      acc11 += (int32_t)w1[i] * x1[i];
    }
    mr_out_pair(acc01, acc11, second, q, y0 + second, y1 + second);
    mr_out_pair(acc00, acc10, oc, q, y0 + oc, y1 + oc);
  }
}

/* The two pixels' rows (MR_PIXEL_ROW) times every filter row, requantized (mr_gemm2_k); the row length a constant
 * for the short rows of expansion 1x1 convs (8 or 16 input channels), where the per-channel overhead outweighs
 * the dot products. */
static void mr_gemm2(const mr_row_t *rows, int k, const int8_t *filter, const int32_t *bias, int out_c, int8_t *y0,
                     int8_t *y1, const mr_out_params *params) {
  const mr_row_t *x0 = MR_PIXEL_ROW(rows, 0, k), *x1 = MR_PIXEL_ROW(rows, 1, k);
  if (k == 8) mr_gemm2_k(x0, x1, 8, filter, bias, out_c, y0, y1, params);
  else if (k == 16) mr_gemm2_k(x0, x1, 16, filter, bias, out_c, y0, y1, params);
  else mr_gemm2_k(x0, x1, k, filter, bias, out_c, y0, y1, params);
}
#endif

void mr_conv1x1_fast_s8(const int8_t *in, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                        int out_c, int8_t *out, int8_t *scratch, int32_t out_offset,
                        const int32_t *out_mult, const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max) {
  const mr_out_params q = {out_offset, out_mult, out_rshift_m1, act_min, act_max,
                            MR_DOUBLED(bias, out_c, in_c, out_rshift_m1)};
  int32_t r;
#ifdef MR_SSE2
  const int pixels = mr_pixels_x86(in_c), direct = in_c == MR_GEMM_ROW(in_c); /* direct: whole rows, no copy */
  const mr_row_t *x[8];
  int8_t *y[8];
  const int row = mr_rows_x86(scratch, in_c, pixels, x);
  int j;
  for (r = 0; r < rows; r += pixels) {
    for (j = 0; j < pixels; ++j) { /* past the last pixel: the last pixel again */
      const int32_t rj = r + j < rows ? r + j : rows - 1;
      if (direct) x[j] = in + (size_t)rj * in_c;
      else mr_row_load(scratch + j * row, 0, in + (size_t)rj * in_c, in_c);
      y[j] = out + (size_t)rj * out_c;
    }
    mr_gemm_x86(x, pixels, in_c, filter, bias, out_c, y, &q);
  }
#else
  mr_row_t *const x = (mr_row_t *)(void *)scratch, *x0 = MR_PIXEL_ROW(x, 0, in_c), *x1 = MR_PIXEL_ROW(x, 1, in_c);
  mr_row_pad(x0, in_c);
  mr_row_pad(x1, in_c);
  for (r = 0; r < rows; r += 2) {
    const int32_t r1 = r + 1 < rows ? r + 1 : r;
    mr_row_load(x0, 0, in + (size_t)r * in_c, in_c);
    mr_row_load(x1, 0, in + (size_t)r1 * in_c, in_c);
    mr_gemm2(x, in_c, filter, bias, out_c, out + (size_t)r * out_c, out + (size_t)r1 * out_c, &q);
  }
#endif
}

void mr_conv1x1_inplace_fast_s8(int8_t *buf, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                                int out_c, int8_t *scratch, int32_t out_offset, const int32_t *out_mult,
                                const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max) {
  /* Pixels p and p+1 (forward) or p and p-1 (backwards) are both copied before either output is
   * written: the pair's outputs only reach input bytes of the pair itself or of pixels already done. */
  const mr_out_params q = {out_offset, out_mult, out_rshift_m1, act_min, act_max,
                            MR_DOUBLED(bias, out_c, in_c, out_rshift_m1)};
  const int forward = out_c <= in_c;
#ifdef MR_SSE2
  /* four or eight pixels at a time, all copied before any output is written (the same argument as for two) */
  const int pixels = mr_pixels_x86(in_c);
  const mr_row_t *x[8];
  int8_t *y[8];
  const int row = mr_rows_x86(scratch, in_c, pixels, x);
  int i, j;
  for (i = 0; i < rows; i += pixels) {
    for (j = 0; j < pixels; ++j) {
      const int n = i + j < rows ? i + j : rows - 1; /* past the last pixel: the last pixel again */
      const int r = forward ? n : rows - 1 - n;
      mr_row_load(scratch + j * row, 0, buf + (size_t)r * in_c, in_c);
      y[j] = buf + (size_t)r * out_c;
    }
    mr_gemm_x86(x, pixels, in_c, filter, bias, out_c, y, &q);
  }
#else
  mr_row_t *const x = (mr_row_t *)(void *)scratch, *x0 = MR_PIXEL_ROW(x, 0, in_c), *x1 = MR_PIXEL_ROW(x, 1, in_c);
  int i;
  mr_row_pad(x0, in_c);
  mr_row_pad(x1, in_c);
  for (i = 0; i < rows; i += 2) {
    const int r0 = forward ? i : rows - 1 - i;
    const int r1 = i + 1 < rows ? (forward ? r0 + 1 : r0 - 1) : r0;
    mr_row_load(x0, 0, buf + (size_t)r0 * in_c, in_c);
    mr_row_load(x1, 0, buf + (size_t)r1 * in_c, in_c);
    mr_gemm2(x, in_c, filter, bias, out_c, buf + (size_t)r0 * out_c, buf + (size_t)r1 * out_c, &q);
  }
#endif
}

/* Geometry of a convolution, for the im2col loader. */
typedef struct {
  const int8_t *in;
  int in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w;
  int32_t pad_value;
} mr_conv_geometry;

/* memcpy for the few bytes of a first layer's kernel row (9 for 3x3x3), without the library call's set-up (the
 * empty asm keeps gcc from turning the loops back into one). */
static inline void mr_copy_short(int8_t *restrict dst, const int8_t *restrict src, int n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    memcpy(dst, src, 4); /* one LDR and one STR (unaligned is fine) */
    __asm__ volatile("" ::: "memory");
  }
  for (; n > 0; --n) {
    *dst++ = *src++;
    __asm__ volatile("" ::: "memory");
  }
}

/* The im2col row of output pixel (out_y, out_x): k_h*k_w*in_c values in filter (OHWI) order, into a GEMM row
 * (NARROW 0) or plain int8 values (NARROW 1). The taps of one kernel row that fall inside the input are
 * contiguous in it (NHWC): one load each. */
static inline __attribute__((always_inline)) void mr_im2col_k(void *row, const mr_conv_geometry *g, int out_y,
                                                               int out_x, const int NARROW) {
  const int in_y0 = out_y * g->stride_h - g->pad_top;
  const int in_x0 = out_x * g->stride_w - g->pad_left;
  const int kx0 = in_x0 < 0 ? -in_x0 : 0;
  const int kx1 = in_x0 + g->k_w > g->in_w ? g->in_w - in_x0 : g->k_w;
  const int c = g->in_c, row_len = g->k_w * c;
  int ky, pos = 0;
  if (kx0 == 0 && kx1 == g->k_w && in_y0 >= 0 && in_y0 + g->k_h <= g->in_h) { /* inside: no padding */
    const int8_t *src = g->in + ((size_t)in_y0 * g->in_w + in_x0) * c;
    const size_t in_row = (size_t)g->in_w * c;
    for (ky = 0; ky < g->k_h; ++ky, pos += row_len, src += in_row) {
      if (NARROW) mr_copy_short((int8_t *)row + pos, src, row_len);
      else mr_row_load((mr_row_t *)row, pos, src, row_len);
    }
    return;
  }
#define MR_FILL(at, n)                                                         \
  do {                                                                         \
    if (NARROW) memset((int8_t *)row + (at), (int8_t)g->pad_value, (size_t)(n)); \
    else mr_row_fill((mr_row_t *)row, at, g->pad_value, n);                    \
  } while (0)
  for (ky = 0; ky < g->k_h; ++ky, pos += row_len) {
    const int in_y = in_y0 + ky;
    const int8_t *src;
    if (in_y < 0 || in_y >= g->in_h || kx1 <= kx0) {
      MR_FILL(pos, row_len);
      continue;
    }
    src = g->in + ((size_t)in_y * g->in_w + in_x0 + kx0) * c; /* inside the input: formed only here */
    if (kx0 > 0) MR_FILL(pos, kx0 * c);
    if (NARROW) mr_copy_short((int8_t *)row + pos + kx0 * c, src, (kx1 - kx0) * c);
    else mr_row_load((mr_row_t *)row, pos + kx0 * c, src, (kx1 - kx0) * c);
    if (kx1 < g->k_w) MR_FILL(pos + kx1 * c, (g->k_w - kx1) * c);
  }
#undef MR_FILL
}

static void mr_im2col(mr_row_t *row, const mr_conv_geometry *g, int out_y, int out_x) {
#ifdef MR_DSP
  /* in_c not a multiple of 4 (first layers: 3 channels): the taps straddle the groups of four, which the DSP row
   * loader would fill value by value; build the row in int8 first, then widen it whole */
  const int k = g->k_h * g->k_w * g->in_c;
  if ((g->in_c & 3) != 0 && k <= MR_IM2COL_S8_MAX) {
    int32_t narrow[MR_IM2COL_S8_MAX / 4]; /* int32: word-aligned for the widening loads */
    narrow[(k - 1) >> 2] = 0;             /* the values from k to a multiple of 4 (their filter values are 0) */
    mr_im2col_k(narrow, g, out_y, out_x, 1);
    mr_row_widen((int32_t *)(void *)row, (const int8_t *)narrow, (k + 3) >> 2);
    return;
  }
#endif
  mr_im2col_k(row, g, out_y, out_x, 0);
}

/* Output pixels [first, first + count) of the conv (flat index y*out_w + x), pixel j written at
 * out + j*out_c (out points at the output of pixel `first`). */
static void mr_conv_pixels(const mr_conv_geometry *g, int32_t first, int32_t count, const int8_t *filter,
                           const int32_t *bias, int out_c, int8_t *out, mr_row_t *rows, const mr_out_params *q) {
  const int k = g->k_h * g->k_w * g->in_c;
#ifdef MR_SSE2
  /* four im2col rows (int8) in the scratch of two int16 ones */
  const int32_t k_row = MR_GEMM_ROW(k);
  const mr_row_t *x[4];
  int8_t *y[4];
  int32_t j;
  int i;
  mr_rows_x86(rows, k, 4, x);
  for (j = 0; j < count; j += 4) {
    for (i = 0; i < 4; ++i) {
      const int32_t n = j + i < count ? j + i : count - 1; /* past the last pixel: the last pixel again */
      const int32_t p = first + n;
      if (j + i < count) mr_im2col(rows + i * k_row, g, (int)(p / g->out_w), (int)(p % g->out_w));
      else x[i] = x[i - 1];
      y[i] = out + (size_t)n * out_c;
    }
    if (count - j <= 2) mr_gemm2_x86(x, k, filter, bias, out_c, y, q);
    else mr_gemm4(x, k, filter, bias, out_c, y, q);
  }
#else
  mr_row_t *x0 = MR_PIXEL_ROW(rows, 0, k), *x1 = MR_PIXEL_ROW(rows, 1, k);
  int32_t j;
  mr_row_pad(x0, k);
  mr_row_pad(x1, k);
  for (j = 0; j < count; j += 2) {
    const int32_t p0 = first + j;
    const int32_t j1 = j + 1 < count ? j + 1 : j; /* one pixel left: loaded into both rows */
    const int32_t p1 = first + j1;
    mr_im2col(x0, g, (int)(p0 / g->out_w), (int)(p0 % g->out_w));
    mr_im2col(x1, g, (int)(p1 / g->out_w), (int)(p1 % g->out_w));
    mr_gemm2(rows, k, filter, bias, out_c, out + (size_t)j * out_c, out + (size_t)j1 * out_c, q);
  }
#endif
}

void mr_conv2d_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                       const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                       int stride_h, int stride_w, int pad_top, int pad_left,
                       int8_t *out, int out_h, int out_w, int8_t *scratch, int32_t in_zero_point,
                       int32_t out_offset, const int32_t *out_mult, const int8_t *out_rshift_m1,
                       int32_t act_min, int32_t act_max) {
  const mr_out_params q = {out_offset, out_mult, out_rshift_m1, act_min, act_max,
                            MR_DOUBLED(bias, out_c, k_h * k_w * in_c, out_rshift_m1)};
  const mr_conv_geometry g = {in, in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w,
                              in_zero_point};
  mr_conv_pixels(&g, 0, (int32_t)out_h * out_w, filter, bias, out_c, out, (mr_row_t *)(void *)scratch, &q);
}

void mr_conv2d_rows_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                            const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                            int stride_h, int stride_w, int pad_top, int pad_left,
                            int8_t *out, int out_h, int out_w, int8_t *scratch, int32_t in_zero_point,
                            int32_t out_offset, const int32_t *out_mult, const int8_t *out_rshift_m1,
                            int32_t act_min, int32_t act_max) {
  const mr_out_params q = {out_offset, out_mult, out_rshift_m1, act_min, act_max,
                            MR_DOUBLED(bias, out_c, k_h * k_w * in_c, out_rshift_m1)};
  const mr_conv_geometry g = {in, in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w,
                              in_zero_point};
  const size_t row_bytes = (size_t)out_w * (size_t)out_c;
  mr_row_t *rows = (mr_row_t *)(void *)(scratch + MR_ALIGN4(row_bytes));
  int y;
  for (y = 0; y < out_h; ++y) {
    mr_conv_pixels(&g, (int32_t)y * out_w, out_w, filter, bias, out_c, scratch, rows, &q);
    memcpy(out + (size_t)y * row_bytes, scratch, row_bytes);
  }
}

void mr_conv2d_add_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                           const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                           int stride_h, int stride_w, int pad_top, int pad_left,
                           const int8_t *skip, int8_t *out, int out_h, int out_w,
                           int32_t in_zero_point, int32_t conv_out_offset, const int32_t *out_mult,
                           const int8_t *out_rshift_m1, int32_t conv_act_min, int32_t conv_act_max,
                           int8_t *scratch, int conv_is_input1,
                           int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
                           int32_t input1_multiplier, int32_t input1_shift,
                           int32_t input2_multiplier, int32_t input2_shift,
                           int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                           int32_t act_min, int32_t act_max) {
  const mr_out_params q = {conv_out_offset, out_mult, out_rshift_m1, conv_act_min, conv_act_max,
                            MR_DOUBLED(bias, out_c, k_h * k_w * in_c, out_rshift_m1)};
  const mr_conv_geometry g = {in, in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w,
                              in_zero_point};
  const mr_add_params add = {input1_offset, input2_offset, left_shift, input1_multiplier, input1_shift,
                             input2_multiplier, input2_shift, output_offset, output_multiplier, output_shift,
                             {act_min, act_max}};
  mr_row_t *rows = (mr_row_t *)(void *)(scratch + MR_ALIGN4(2 * out_c));
  const int32_t pixels = (int32_t)out_h * out_w;
#ifdef MR_SSE2
  /* x86, a 1x1 stride-1 conv on whole GEMM rows (in_c a multiple of 16): the SSE2 core reads the input pixels
   * where they are, so scratch holds the outputs of four pixels instead of two rows */
  const int direct = k_h == 1 && k_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 &&
                     in_c == MR_GEMM_ROW(in_c) && 4 * out_c <= MR_CONV_ADD_SCRATCH_BYTES(1, 1, in_c, out_c);
  const int step = direct ? 4 : 2;
#else
  const int step = 2;
#endif
  int32_t p;
  for (p = 0; p < pixels; p += step) {
    const int count = pixels - p < step ? (int)(pixels - p) : step;
    const size_t at = (size_t)p * out_c;
    const mr_dims shape = {1, 1, 1, count * out_c};
    /* The pixels' conv outputs wait in scratch; each skip byte is read just before it is replaced. */
#ifdef MR_SSE2
    if (direct) {
      const mr_row_t *x[4];
      int8_t *y[4];
      int j;
      for (j = 0; j < 4; ++j) { /* past the last pixel: the last pixel again */
        x[j] = in + (size_t)(j < count ? p + j : p + count - 1) * in_c;
        y[j] = scratch + (size_t)(j < count ? j : count - 1) * out_c;
      }
      mr_gemm4(x, in_c, filter, bias, out_c, y, &q);
    } else
#endif
    mr_conv_pixels(&g, p, count, filter, bias, out_c, scratch, rows, &q);
    if (conv_is_input1) {
      mr_add_s8(&add, scratch, &shape, skip + at, &shape, out + at);
    } else {
      mr_add_s8(&add, skip + at, &shape, scratch, &shape, out + at);
    }
  }
}
