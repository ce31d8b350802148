/* CONV_2D int8, the Arm DSP path (see mr_fast.h, mr_fast_internal.h): the rows of two pixels widened to int16 in
 * SXTB16's order (MR_DSP_AT) and the GEMM over them, an assembly core for the dot products of output channel
 * pairs and a separate requantization loop. The loops over pixels and im2col are conv_fast.c's. */
#include "mr_fast_internal.h"

#ifdef MR_CONV_DSP
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

/* DSP rows (MR_DSP_AT). */
void mr_conv_row_load(mr_row_t *restrict row, int pos, const int8_t *restrict src, int n) {
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
}

void mr_conv_row_fill(mr_row_t *row, int pos, int32_t value, int n) {
  int i = 0;
  for (; i < n && ((pos + i) & 3) != 0; ++i) row[MR_DSP_AT(pos + i)] = (mr_row_t)value;
  if (i + 4 <= n) {
    const int32_t pair = mr_pack_s16x2(value, value);
    int32_t *d = (int32_t *)(void *)(row + MR_DSP_AT(pos + i));
    for (; i + 4 <= n; i += 4, d += 4) d[0] = d[1] = pair;
  }
  for (; i < n; ++i) row[MR_DSP_AT(pos + i)] = (mr_row_t)value;
}

/* The DSP core reads whole groups of four. */
void mr_conv_row_pad(mr_row_t *row, int k) { mr_conv_row_fill(row, k, 0, MR_ALIGN4(k) - k); }

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

/* The GEMM: the output channel pairs through the assembly core, MR_DSP_CHUNK channels at a time, then their
 * requantization. */
void mr_conv_gemm2(const mr_row_t *rows, int k, const MR_CONST int8_t *filter, const MR_CONST int32_t *bias, int out_c,
                   int8_t *y0, int8_t *y1, const mr_out_params *q) {
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
#endif /* MR_CONV_DSP */
