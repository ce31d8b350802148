/* DEPTHWISE_CONV_2D, the x86 SSE2 path (MR_SSE2): the ring mode with output pixels as the vector dimension (eight
 * per step with _mm_madd_epi16), out of place too (its ring on the stack), and blocks of eight channels for outputs
 * too narrow for it. Compiles to nothing elsewhere; the driver (depthwise_fast.c) chooses the mode. */
#include "mr_depthwise_fast_internal.h"

#ifdef MR_SSE2
/* x86, channels as the vector dimension (for outputs too narrow for the ring mode's steps of eight pixels):
 * a block of eight channels, its taps widened once as pairs (kx, kx+1) interleaved per channel for
 * _mm_madd_epi16 (four channels per vector), its requantization set up once (mr_dw_block_prepare); a tap
 * outside the image takes input 0 (skipped, as TFLM skips it). k_h, k_w <= MR_DW_MAX_K. */
typedef struct {
  __m128i w_lo[MR_DW_MAX_K][(MR_DW_MAX_K + 1) / 2], w_hi[MR_DW_MAX_K][(MR_DW_MAX_K + 1) / 2];
  __m128i bias_lo, bias_hi;
  mr_requant rq[8];
  int ch;
} mr_dw_block_x86;

static void mr_dw_block_prepare(mr_dw_block_x86 *b, const mr_dw_params *p, int ch) {
  const int c = p->c, k_w = p->k_w;
  const __m128i zero = _mm_setzero_si128();
  int ky, g, i;
  for (ky = 0; ky < p->k_h; ++ky) {
    for (g = 0; g < (k_w + 1) / 2; ++g) {
      const int8_t *w = p->filter + ((size_t)ky * k_w + 2 * g) * c + ch;
      const __m128i t0 = _mm_loadl_epi64((const __m128i *)(const void *)w);
      const __m128i t1 = 2 * g + 1 < k_w ? _mm_loadl_epi64((const __m128i *)(const void *)(w + c)) : zero;
      const __m128i w0 = mr_widen8(t0), w1 = mr_widen8(t1);
      b->w_lo[ky][g] = _mm_unpacklo_epi16(w0, w1);
      b->w_hi[ky][g] = _mm_unpackhi_epi16(w0, w1);
    }
  }
  b->bias_lo = p->bias ? _mm_loadu_si128((const __m128i *)(const void *)(p->bias + ch)) : zero;
  b->bias_hi = p->bias ? _mm_loadu_si128((const __m128i *)(const void *)(p->bias + ch + 4)) : zero;
  for (i = 0; i < 8; ++i) b->rq[i] = mr_requant_prepare_rshift_m1(p->out_mult[ch + i], p->out_rshift_m1[ch + i]);
  b->ch = ch;
}

/* The block's channels of output row out_y, pixel x at out + x*out_stride. */
static void mr_dw_block_row(const int8_t *in, const mr_dw_params *p, const mr_dw_block_x86 *b, int out_y,
                            int8_t *out, int out_stride) {
  const int c = p->c, k_w = p->k_w, pairs = (p->k_w + 1) / 2, ch = b->ch;
  const int in_y0 = out_y * p->stride_h - p->pad_top;
  const int ky0 = in_y0 < 0 ? -in_y0 : 0;
  const int ky1 = in_y0 + p->k_h > p->in_h ? p->in_h - in_y0 : p->k_h;
  const __m128i off = _mm_set1_epi16((int16_t)p->in_offset), zero = _mm_setzero_si128();
  int x, ky, g, i;
  for (x = 0; x < p->out_w; ++x) {
    const int in_x0 = x * p->stride_w - p->pad_left;
    const int kx0 = in_x0 < 0 ? -in_x0 : 0;
    const int kx1 = in_x0 + k_w > p->in_w ? p->in_w - in_x0 : k_w;
    __m128i lo = b->bias_lo, hi = b->bias_hi;
    union {
      __m128i v[2];
      int32_t a[8];
    } acc;
    int8_t *o = out + (size_t)x * out_stride;
    for (ky = ky0; ky < ky1; ++ky) {
      const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
      for (g = 0; g < pairs; ++g) {
        const int kx = 2 * g;
        __m128i t0 = zero, t1 = zero;
        if (kx >= kx0 && kx < kx1) {
          t0 = _mm_loadl_epi64((const __m128i *)(const void *)(xr + (size_t)kx * c));
          t0 = _mm_add_epi16(mr_widen8(t0), off);
        }
        if (kx + 1 >= kx0 && kx + 1 < kx1) {
          t1 = _mm_loadl_epi64((const __m128i *)(const void *)(xr + (size_t)(kx + 1) * c));
          t1 = _mm_add_epi16(mr_widen8(t1), off);
        }
        lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(t0, t1), b->w_lo[ky][g]));
        hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(t0, t1), b->w_hi[ky][g]));
      }
    }
    acc.v[0] = lo;
    acc.v[1] = hi;
    for (i = 0; i < 8; ++i) {
      o[i] = (int8_t)mr_clamp_i32(mr_requant_apply(acc.a[i], &b->rq[i]) + p->out_offset, p->act_min, p->act_max);
    }
  }
}

/* x86: output pixels are the vector dimension. Eight int16 ring values from element e (int8 rings widened). */
static inline __attribute__((always_inline)) __m128i mr_dw_load8(const void *r, int e, const int NARROW) {
  if (NARROW) {
    return mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)((const int8_t *)r + e)));
  }
  return _mm_loadu_si128((const __m128i *)(const void *)((const int16_t *)r + e));
}

/* Four int16 ring values from element e in the low half. */
static inline __attribute__((always_inline)) __m128i mr_dw_load4(const void *r, int e, const int NARROW) {
  if (NARROW) {
    int32_t v;
    memcpy(&v, (const int8_t *)r + e, 4);
    return mr_widen8(_mm_cvtsi32_si128(v));
  }
  return _mm_loadl_epi64((const __m128i *)(const void *)((const int16_t *)r + e));
}

/* What the rows of one channel share, set up once per channel (mr_dw_x86_prepare). */
typedef struct {
  __m128i taps[MR_DW_MAX_K][(MR_DW_MAX_K + 1) / 2]; /* mr_dw_taps.pair in every lane */
  mr_requant_x4 rq4;
  __m128i out_offset, act_min, act_max, start; /* start: the accumulators' first value, acc0 */
  int slack; /* scratch holds 16 bytes or more past the ring: steps may read one element past a row */
} mr_dw_x86;

static void mr_dw_x86_prepare(mr_dw_x86 *v, const mr_dw_taps *w, int k, int32_t acc0, const mr_dw_params *p, int ch,
                              int slack) {
  int ky, g;
  for (ky = 0; ky < k; ++ky) {
    for (g = 0; g < (k + 1) / 2; ++g) v->taps[ky][g] = _mm_set1_epi32(w->pair[ky][g]);
  }
  v->rq4 = mr_requant_prepare_x4(p->out_mult[ch], -1 - p->out_rshift_m1[ch]);
  v->out_offset = _mm_set1_epi32(p->out_offset);
  v->act_min = _mm_set1_epi16((int16_t)p->act_min);
  v->act_max = _mm_set1_epi16((int16_t)p->act_max);
  v->start = _mm_set1_epi32(acc0);
  v->slack = slack;
}

/* One output row of the ring mode, requantized and written at out + x*c: eight pixels per step with
 * _mm_madd_epi16 on the (kx, kx+1) tap pairs (mr_dw_taps.pair; the pair past an odd K's last tap is 0).
 * Stride 1: the pairs at element x+kx give pixels x, x+2, x+4, x+6 and at x+1+kx pixels x+1, x+3, ...;
 * stride 2: the pairs at 2x+kx are the taps of pixels x..x+3 as they stand. A step at x reads ring
 * elements up to (x+7)*S_W + K (the 0 tap past K included): within the row while x + 8 < out_w (int16
 * rows), one element past it (multiplied by that 0 tap) while x + 8 <= out_w, allowed for int8 rows (one
 * element of slack) and where scratch goes on past the ring (mr_dw_x86.slack). The last step is moved back to
 * end there (recomputing a few pixels: the output goes over input the ring already holds). Narrow rows
 * (out_w < 8 or 9) take steps of four pixels within the row (x + 4 < out_w for int16 rows, x + 4 <= out_w for
 * int8), the pixels left the scalar taps. */

static inline __attribute__((always_inline)) void mr_dw_out_row_x86(const void *const *rows, int out_w,
                                                                     const mr_dw_taps *w, const mr_dw_x86 *v,
                                                                     int32_t acc0, const mr_requant *rq,
                                                                     const mr_dw_params *p, int8_t *out, const int K,
                                                                     const int S_W, const int NARROW) {
  const int c = p->c, past = NARROW || v->slack; /* whether a step may read one element past the row */
  /* the last steps' starts; the steps of four stay within the row (two of them and no scalar pixel are slower) */
  const int last = out_w - (past ? 8 : 9), last4 = out_w - (NARROW ? 4 : 5);
  const mr_requant_x4 rq4 = v->rq4;
  const __m128i out_offset = v->out_offset, act_min = v->act_min, act_max = v->act_max, start = v->start;
  const __m128i(*const taps)[(MR_DW_MAX_K + 1) / 2] = v->taps;
  int x = 0, ky, g;
  for (; last >= 0; x += 8) {
    __m128i lo = start, hi = start;
    if (x > last) x = last;
#pragma GCC unroll 7
    for (ky = 0; ky < K; ++ky) {
#pragma GCC unroll 4
      for (g = 0; g < (K + 1) / 2; ++g) {
        if (S_W == 1) {
          lo = _mm_add_epi32(lo, _mm_madd_epi16(mr_dw_load8(rows[ky], x + 2 * g, NARROW), taps[ky][g]));
          hi = _mm_add_epi32(hi, _mm_madd_epi16(mr_dw_load8(rows[ky], x + 1 + 2 * g, NARROW), taps[ky][g]));
        } else {
          lo = _mm_add_epi32(lo, _mm_madd_epi16(mr_dw_load8(rows[ky], 2 * x + 2 * g, NARROW), taps[ky][g]));
          hi = _mm_add_epi32(hi, _mm_madd_epi16(mr_dw_load8(rows[ky], 2 * x + 8 + 2 * g, NARROW), taps[ky][g]));
        }
      }
    }
    if (S_W == 1) { /* even and odd pixels back in order */
      const __m128i even = lo;
      lo = _mm_unpacklo_epi32(even, hi);
      hi = _mm_unpackhi_epi32(even, hi);
    }
    mr_store_bytes_strided(out + (size_t)x * c, (size_t)c,
                           mr_requant_clamp_x8(lo, hi, &rq4, out_offset, act_min, act_max), 8);
    if (x == last) {
      x += 8;
      break;
    }
  }
  /* narrow rows: four pixels per step (stride 1: pairs of two loads of four values interleaved) */
  for (; last < 0 && last4 >= 0; x += 4) {
    __m128i a = start;
    if (x > last4) x = last4;
#pragma GCC unroll 7
    for (ky = 0; ky < K; ++ky) {
#pragma GCC unroll 4
      for (g = 0; g < (K + 1) / 2; ++g) {
        __m128i v;
        if (S_W == 1) v = _mm_unpacklo_epi16(mr_dw_load4(rows[ky], x + 2 * g, NARROW),
                                             mr_dw_load4(rows[ky], x + 2 * g + 1, NARROW));
        else v = mr_dw_load8(rows[ky], 2 * x + 2 * g, NARROW);
        a = _mm_add_epi32(a, _mm_madd_epi16(v, taps[ky][g]));
      }
    }
    mr_store_bytes_strided(out + (size_t)x * c, (size_t)c, mr_requant_clamp_x4(a, &rq4, out_offset, act_min, act_max),
                           4);
    if (x == last4) {
      x += 4;
      break;
    }
  }
  for (; x < out_w; ++x) { /* what the steps leave */
    int32_t a = acc0;
#pragma GCC unroll 7
    for (ky = 0; ky < K; ++ky) {
      a = mr_dw_row_taps((const char *)rows[ky] + (size_t)x * S_W * (NARROW ? 1 : 2), w, ky, a, K, NARROW);
    }
    out[(size_t)x * c] = (int8_t)mr_clamp_i32(mr_requant_apply(a, rq) + p->out_offset, p->act_min, p->act_max);
  }
}

/* The instances, named as the portable path's (MR_DW_UNROLLED_RING lists them). */
typedef void (*mr_dw_acc_fn)(const void *const *rows, int out_w, const mr_dw_taps *w, const mr_dw_x86 *v,
                             int32_t acc0, const mr_requant *rq, const mr_dw_params *p, int8_t *out);
#define MR_DW_ROW_INSTANCE(k, stride, narrow)                                                                   \
  static void mr_dw_acc_k##k##s##stride##n##narrow(const void *const *rows, int out_w, const mr_dw_taps *w,     \
                                                   const mr_dw_x86 *v, int32_t acc0, const mr_requant *rq,        \
                                                   const mr_dw_params *p, int8_t *out) {                          \
    mr_dw_out_row_x86(rows, out_w, w, v, acc0, rq, p, out, k, stride, narrow);                                  \
  }
MR_DW_RING_SHAPES(MR_DW_ROW_INSTANCE)
#undef MR_DW_ROW_INSTANCE

MR_DW_UNROLLED_RINGS

/* One channel of the ring mode: gather rows of `in`, one output row at a time (acc_row), written to `out` (in place:
 * out = in, over the input). */
static void mr_dw_channel(const int8_t *in, int8_t *out_base, const mr_dw_params *p, int out_h, int ch, void *ring,
                          int narrow, int slack, mr_dw_acc_fn acc_row) {
  const int c = p->c, out_w = p->out_w, stride = (int)mr_dw_ring_stride(p->k_h, p->stride_w, out_w, narrow);
  /* from the shift itself: here mr_requant_prepare_rshift_m1 costs gcc 16 more bytes of stack frame */
  const mr_requant rq = mr_requant_prepare(p->out_mult[ch], -1 - p->out_rshift_m1[ch]);
  mr_dw_taps w; /* every entry the tap loops read is set by mr_dw_channel_taps */
  const int32_t acc0 = (int32_t)mr_dw_channel_taps(&w, p, ch);
  mr_dw_x86 x86;
  int next_row = -p->pad_top; /* next input row to gather */
  int y;
  mr_dw_x86_prepare(&x86, &w, p->k_h, acc0, p, ch, slack);
  for (y = 0; y < out_h; ++y) {
    const void *rows[MR_DW_MAX_K];
    mr_dw_ring_rows(in, p, ch, ring, narrow, stride, y, &next_row, rows);
    acc_row(rows, out_w, &w, &x86, acc0, &rq, p, out_base + (size_t)y * out_w * c + ch);
  }
}

int mr_dw_ring(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
               int narrow, const mr_depthwise_unrolled *unrolled) {
  const int slack = scratch_bytes - mr_dw_ring_bytes(p->k_h, p->stride_w, p->out_w, narrow) >= 16;
  int ch;
  if (unrolled == NULL || unrolled->k != p->k_h) return 0; /* a size the call left out: another mode */
  for (ch = 0; ch < p->c; ++ch) {
    mr_dw_channel(in, out, p, out_h, ch, scratch, narrow, slack, unrolled->ring[narrow][p->stride_w - 1]);
  }
  return 1;
}

/* Blocks of eight channels for narrow outputs (out_w < 9, under one step of the ring mode), before the ring mode. */
int mr_dw_blocks_order(const mr_dw_params *p, int out_h, int32_t delay, int32_t scratch_bytes) {
  (void)out_h;
  const int blocks = p->out_w < 9 && p->c % 8 == 0 && delay * p->out_w * 8 <= scratch_bytes && p->k_h <= MR_DW_MAX_K &&
                     p->k_w <= MR_DW_MAX_K;
  return blocks ? MR_DW_BLOCKS_FIRST : MR_DW_NO_BLOCKS;
}

void mr_dw_blocks_inplace(int8_t *inout, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
                          int32_t delay, const mr_depthwise_unrolled *unrolled) {
  const int c = p->c, out_w = p->out_w;
  mr_dw_block_x86 b;
  int c0, x;
  int32_t y;
  (void)scratch_bytes, (void)unrolled;
  for (c0 = 0; c0 < c; c0 += 8) {
    mr_dw_block_prepare(&b, p, c0);
    for (y = 0; y < out_h + delay - 1; ++y) {
      if (y < out_h) mr_dw_block_row(inout, p, &b, (int)y, scratch + (y % delay) * out_w * 8, 8);
      for (x = 0; y - delay + 1 >= 0 && x < out_w; ++x) { /* row w = y - delay + 1 back over its input */
        const int32_t w = y - delay + 1;
        memcpy(inout + ((size_t)w * out_w + x) * c + c0, scratch + ((w % delay) * out_w + x) * 8, 8);
      }
    }
  }
}

/* Out of place: the ring mode (vectorised over pixels), its ring in a stack buffer (no scratch out of place), else
 * blocks of eight channels. */
int mr_dw_fast(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, const mr_depthwise_unrolled *unrolled) {
  int y, c0;
  {
    /* zeroed, as the 8-pixel steps may read past a ring row into the slack */
    int32_t ring[1024] = {0};
    const int narrow = mr_dw_ring_narrow(p, out_h, (int32_t)sizeof ring, 0);
    if (narrow >= 0 && mr_dw_ring(in, out, p, out_h, (int8_t *)(void *)ring, (int32_t)sizeof ring, narrow, unrolled)) {
      return 1;
    }
  }
  if (p->c % 8 == 0 && p->k_h <= MR_DW_MAX_K && p->k_w <= MR_DW_MAX_K) {
    mr_dw_block_x86 b;
    for (c0 = 0; c0 < p->c; c0 += 8) {
      mr_dw_block_prepare(&b, p, c0);
      for (y = 0; y < out_h; ++y) mr_dw_block_row(in, p, &b, y, out + (size_t)y * p->out_w * p->c + c0, p->c);
    }
    return 1;
  }
  return 0;
}
#endif
