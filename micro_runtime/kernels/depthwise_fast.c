/* DEPTHWISE_CONV_2D int8 (depth multiplier 1), fast: same bytes as mr_depthwise_conv2d_s8.
 * acc = bias + sum over in-image taps of filter * (input + in_offset); with int8 filters and
 * in_offset in [-127, 128] each product fits int16, which lets gcc vectorise across channels.
 * Channels are the inner (vector) dimension: 16 at a time on the portable path, 4 at a time with
 * __sxtab16 / __smlabb / __smlatt on the Arm DSP path. Border pixels take the same code with the
 * out-of-image taps skipped. */
#include <string.h>

#include "mr_depthwise_fast.h"
#include "mr_model_config.h"

#include "mr_dsp.h"
#include "mr_x86.h"

typedef struct {
  int in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w;
  const int8_t *filter;
  const int32_t *bias;
  int32_t in_offset, out_offset;
  const int32_t *out_mult;
  const int8_t *out_rshift_m1; /* -1 - shift (mr_requant_prepare_rshift_m1) */
  int32_t act_min, act_max;
} mr_dw_params;

/* Output channel ch of one pixel: requantized, offset, clamped. */
static inline int8_t mr_dw_out_shift(int32_t acc, const mr_dw_params *p, int ch, int32_t rshift_m1) {
  const int32_t v = mr_requantize_fast_rshift_m1(acc, p->out_mult[ch], rshift_m1) + p->out_offset;
  return (int8_t)mr_clamp_i32(v, p->act_min, p->act_max);
}

static inline int8_t mr_dw_out(int32_t acc, const mr_dw_params *p, int ch) {
  return mr_dw_out_shift(acc, p, ch, p->out_rshift_m1[ch]);
}

#define MR_DW_MAX_K 7

/* x where mr_model_config.h keeps the 5 (7) specialisations, else y */
#if MR_DW_KERNEL_5
#define MR_DW_IF_5(x, y) x
#else
#define MR_DW_IF_5(x, y) y
#endif
#if MR_DW_KERNEL_7
#define MR_DW_IF_7(x, y) x
#else
#define MR_DW_IF_7(x, y) y
#endif

#ifdef MR_DSP
/* The requantization of 2*acc in one SMMLAR (mr_requantize_doubled, mr_common.h: exact for right shifts by 1..21 and
 * |acc| < 2^30), set up once per channel: mr_dw_rq_prepare says whether the channel's shift allows it. */
typedef struct {
  int32_t mult, add, shift;
} mr_dw_rq;

static inline int mr_dw_rq_prepare(mr_dw_rq *q, int32_t mult, int32_t rshift_m1, int32_t out_offset) {
  if (!mr_requant_doubled_allows(rshift_m1)) return 0;
  q->mult = mult;
  q->shift = rshift_m1 + 1;
  q->add = mr_requant_doubled_add(out_offset, rshift_m1);
  return 1;
}

/* |acc| < 2^30 for every accumulator when the start (bias, or bias + in_offset * taps) is below 2^29: the taps add at
 * most 49 * 128 * 255 < 2^21 */
#define MR_DW_ACC0_FAST ((int32_t)1 << 29)
#endif

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
#endif

/* Channels [c0, c0 + n) of output row out_y, pixels [0, out_w), written at out + x*out_stride + (ch - c0).
 * `in` is the whole input (NHWC). */
static void mr_dw_row(const int8_t *in, const mr_dw_params *p, int out_y, int c0, int n, int8_t *out,
                      int out_stride) {
  const int c = p->c;
  const int in_y0 = out_y * p->stride_h - p->pad_top;
  const int ky0 = in_y0 < 0 ? -in_y0 : 0;
  const int ky1 = in_y0 + p->k_h > p->in_h ? p->in_h - in_y0 : p->k_h;
  int x;
  for (x = 0; x < p->out_w; ++x) {
    const int in_x0 = x * p->stride_w - p->pad_left;
    const int kx0 = in_x0 < 0 ? -in_x0 : 0;
    const int kx1 = in_x0 + p->k_w > p->in_w ? p->in_w - in_x0 : p->k_w;
    int8_t *o = out + (size_t)x * out_stride;
    int j = 0, ky, kx;
#ifdef MR_DSP
    const int32_t off2 = mr_pack_s16x2(p->in_offset, p->in_offset);
    for (; j + 4 <= n; j += 4) {
      const int ch = c0 + j;
      int32_t a0 = p->bias ? p->bias[ch] : 0, a1 = p->bias ? p->bias[ch + 1] : 0;
      int32_t a2 = p->bias ? p->bias[ch + 2] : 0, a3 = p->bias ? p->bias[ch + 3] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int32_t xv = mr_read_s8x4(xr + (size_t)kx * c), wv = mr_read_s8x4(wr + (size_t)kx * c);
          const int32_t x02 = __sxtab16(off2, xv), x13 = __sxtab16(off2, (int32_t)(((uint32_t)xv >> 8) | ((uint32_t)xv << 24)));
          const int32_t w02 = __sxtb16(wv), w13 = mr_sxtb16_ror8(wv);
          a0 = __smlabb(w02, x02, a0);
          a2 = __smlatt(w02, x02, a2);
          a1 = __smlabb(w13, x13, a1);
          a3 = __smlatt(w13, x13, a3);
        }
      }
      {
        const int32_t s4 = mr_read_s8x4(p->out_rshift_m1 + ch); /* four channels' shifts in one load */
        o[j] = mr_dw_out_shift(a0, p, ch, (int8_t)s4);
        o[j + 1] = mr_dw_out_shift(a1, p, ch + 1, (int8_t)(s4 >> 8));
        o[j + 2] = mr_dw_out_shift(a2, p, ch + 2, (int8_t)(s4 >> 16));
        o[j + 3] = mr_dw_out_shift(a3, p, ch + 3, (int8_t)(s4 >> 24));
      }
    }
#else
    const int16_t off = (int16_t)p->in_offset;
    for (; j + 16 <= n; j += 16) {
      const int ch = c0 + j;
      int32_t acc[16];
      int i;
      for (i = 0; i < 16; ++i) acc[i] = p->bias ? p->bias[ch + i] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int8_t *xv = xr + (size_t)kx * c, *wv = wr + (size_t)kx * c;
          for (i = 0; i < 16; ++i) acc[i] += (int16_t)(wv[i] * (int16_t)(xv[i] + off));
        }
      }
      for (i = 0; i < 16; ++i) {
        o[j + i] = mr_dw_out(acc[i], p, ch + i);
      }
    }
    for (; j + 8 <= n; j += 8) { /* 8 channels left (or 8 in all) */
      const int ch = c0 + j;
      int32_t acc[8];
      int i;
      for (i = 0; i < 8; ++i) acc[i] = p->bias ? p->bias[ch + i] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int8_t *xv = xr + (size_t)kx * c, *wv = wr + (size_t)kx * c;
          for (i = 0; i < 8; ++i) acc[i] += (int16_t)(wv[i] * (int16_t)(xv[i] + off));
        }
      }
      for (i = 0; i < 8; ++i) {
        o[j + i] = mr_dw_out(acc[i], p, ch + i);
      }
    }
#endif
    for (; j < n; ++j) {
      const int ch = c0 + j;
      int32_t acc = p->bias ? p->bias[ch] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) acc += (int32_t)wr[(size_t)kx * c] * ((int32_t)xr[(size_t)kx * c] + p->in_offset);
      }
      o[j] = mr_dw_out(acc, p, ch);
    }
  }
}

#ifdef MR_DSP
/* DSP path, outputs too small for the ring mode: a block of four channels, its taps widened once per layer into pairs
 * (0, 2), (1, 3) of int16 halves (`wide`, k_w per row), its bias and requantization (mr_dw_rq on 2*acc). */
typedef struct {
  const int32_t (*w)[2]; /* the taps of window row ky0 (the first within the input), column 0 */
  int nky, k_w, c, s_w, pad_left, in_w;
  size_t in_row;
  int32_t off2;          /* in_offset in both halves */
  int32_t b[4];
  mr_dw_rq q[4];
  int full;              /* activation range all of int8 */
  int32_t act_min, act_max;
} mr_dw_block_dsp;

/* Output pixels [x, x + n) of a block in the window rows k->nky from the one whose column 0 is at xr, pixel x at o,
 * o_step bytes apart. NKX: windows within the input's columns, k_w = NKX taps per row unrolled; 0: the taps within
 * the input, in a loop. */
static inline __attribute__((always_inline)) void mr_dw_block_pixels(const mr_dw_block_dsp *k, const int8_t *xr, int x,
                                                                     int n, int8_t *o, size_t o_step, const int NKX) {
  const int c = k->c;
  const int32_t off2 = k->off2;
  for (; n > 0; --n, ++x, o += o_step) {
    const int in_x0 = x * k->s_w - k->pad_left;
    const int kx0 = NKX || in_x0 >= 0 ? 0 : -in_x0;
    const int nkx = NKX ? NKX : (in_x0 + k->k_w > k->in_w ? k->in_w - in_x0 : k->k_w) - kx0;
    int32_t a0 = k->b[0], a1 = k->b[1], a2 = k->b[2], a3 = k->b[3];
    const int8_t *r = xr + (in_x0 + kx0) * c;
    const int32_t(*w)[2] = k->w + kx0;
    int ky, kx;
    for (ky = k->nky; ky > 0; --ky, r += k->in_row, w += k->k_w) {
      const int8_t *xp = r;
#define MR_DW_BLOCK_TAP(kx)                                                                               \
  do {                                                                                                    \
    const int32_t xv = mr_read_s8x4(xp), x02 = __sxtab16(off2, xv), x13 = mr_sxtab16_ror8(off2, xv);    \
    a0 = __smlabb(w[kx][0], x02, a0);                                                                     \
    a2 = __smlatt(w[kx][0], x02, a2);                                                                     \
    a1 = __smlabb(w[kx][1], x13, a1);                                                                     \
    a3 = __smlatt(w[kx][1], x13, a3);                                                                     \
  } while (0)
      if (NKX) {
#pragma GCC unroll 7
        for (kx = 0; kx < NKX; ++kx, xp += c) MR_DW_BLOCK_TAP(kx);
      } else {
        for (kx = 0; kx < nkx; ++kx, xp += c) MR_DW_BLOCK_TAP(kx);
      }
#undef MR_DW_BLOCK_TAP
    }
    a0 = mr_requantize_doubled(a0 * 2, k->q[0].mult, k->q[0].add, k->q[0].shift);
    a1 = mr_requantize_doubled(a1 * 2, k->q[1].mult, k->q[1].add, k->q[1].shift);
    a2 = mr_requantize_doubled(a2 * 2, k->q[2].mult, k->q[2].add, k->q[2].shift);
    a3 = mr_requantize_doubled(a3 * 2, k->q[3].mult, k->q[3].add, k->q[3].shift);
    if (k->full) {
      o[0] = (int8_t)__ssat(a0, 8);
      o[1] = (int8_t)__ssat(a1, 8);
      o[2] = (int8_t)__ssat(a2, 8);
      o[3] = (int8_t)__ssat(a3, 8);
    } else {
      o[0] = (int8_t)mr_clamp_i32(a0, k->act_min, k->act_max);
      o[1] = (int8_t)mr_clamp_i32(a1, k->act_min, k->act_max);
      o[2] = (int8_t)mr_clamp_i32(a2, k->act_min, k->act_max);
      o[3] = (int8_t)mr_clamp_i32(a3, k->act_min, k->act_max);
    }
  }
}

#define MR_DW_BLOCK_INSTANCE(nkx)                                                                                  \
  static __attribute__((noinline)) void mr_dw_block_pixels##nkx(const mr_dw_block_dsp *k, const int8_t *xr, int x, \
                                                                int n, int8_t *o, size_t o_step) {                \
    mr_dw_block_pixels(k, xr, x, n, o, o_step, nkx);                                                              \
  }
MR_DW_BLOCK_INSTANCE(0)
MR_DW_BLOCK_INSTANCE(3)
#if MR_DW_KERNEL_5
MR_DW_BLOCK_INSTANCE(5)
#endif
#if MR_DW_KERNEL_7
MR_DW_BLOCK_INSTANCE(7)
#endif
#undef MR_DW_BLOCK_INSTANCE

/* Up to this many output pixels the blocks' set-up (taps widened, requantization) costs more than it saves: mr_dw_row
 * computes such layers (measured on mcunet-10fps' 2x2 outputs). */
#define MR_DW_BLOCK_MIN_PIXELS 4

/* Whether the in-place kernel takes the blocks over the ring mode where both work: int8 rings (one pixel per step),
 * and 3x3 windows on narrow rows (stride 1: under 10 pixels, stride 2: up to 24), where the ring mode's per-row
 * set-up weighs most (measured per layer on the 8 models: e.g. kws 25x5 7.18 -> 6.21, mbv2 9x9 stride 2 8.04 -> 5.50
 * instr/MAC; 3x3 stride 1 at 11 pixels and every 5x5/7x7 int16 ring stay faster in the ring mode). */
static int mr_dw_blocks_before_ring(int k, int stride_w, int out_w, int32_t scratch_bytes) {
  if (mr_depthwise_ring_bytes(k, stride_w, out_w, 0) > scratch_bytes) return 1;
  return k == 3 && (stride_w == 1 ? out_w < 10 : out_w <= 24);
}

/* Sets up the block of channels [ch, ch + 4): the taps some output pixel reads widened into `wide` (k_h x k_w
 * pairs), bias and requantization; returns whether the fast form takes them all (else mr_dw_row computes it). */
static int mr_dw_block_dsp_prepare(mr_dw_block_dsp *k, int32_t (*wide)[2], const mr_dw_params *p, int out_h, int ch) {
  const int c = p->c, k_w = p->k_w, bottom = (out_h - 1) * p->stride_h - p->pad_top;
  const int right = (p->out_w - 1) * p->stride_w - p->pad_left;
  /* window rows [ky_a, ky_b) and columns [kx_a, kx_b) are within the input for some output pixel */
  const int ky_a = bottom < 0 ? -bottom : 0, ky_b = p->in_h + p->pad_top < p->k_h ? p->in_h + p->pad_top : p->k_h;
  const int kx_a = right < 0 ? -right : 0, kx_b = p->in_w + p->pad_left < k_w ? p->in_w + p->pad_left : k_w;
  int fast = 1, i, ky, kx;
  for (i = 0; i < 4; ++i) {
    k->b[i] = p->bias ? p->bias[ch + i] : 0;
    fast = mr_dw_rq_prepare(&k->q[i], p->out_mult[ch + i], p->out_rshift_m1[ch + i], p->out_offset) && fast &&
           k->b[i] > -MR_DW_ACC0_FAST && k->b[i] < MR_DW_ACC0_FAST;
  }
  for (ky = ky_a; ky < ky_b; ++ky) {
    for (kx = kx_a; kx < kx_b; ++kx) {
      const int32_t v = mr_read_s8x4(p->filter + (size_t)(ky * k_w + kx) * c + ch);
      wide[ky * k_w + kx][0] = __sxtb16(v);
      wide[ky * k_w + kx][1] = mr_sxtb16_ror8(v);
    }
  }
  k->k_w = k_w;
  k->c = c;
  k->s_w = p->stride_w;
  k->pad_left = p->pad_left;
  k->in_w = p->in_w;
  k->in_row = (size_t)p->in_w * c;
  k->off2 = mr_pack_s16x2(p->in_offset, p->in_offset);
  k->full = p->act_min == MR_INT8_MIN && p->act_max == MR_INT8_MAX;
  k->act_min = p->act_min;
  k->act_max = p->act_max;
  return fast;
}

/* Output row out_y of the block of channels [ch, ch + 4) (set up by mr_dw_block_dsp_prepare when `fast`), pixel x at
 * out + x*o_step: the pixels whose window lies within the input's columns through the instance unrolled for k_w
 * (3, 5 or 7), those before and after them through the general one. */
static void mr_dw_block_row_dsp(const int8_t *in, const mr_dw_params *p, mr_dw_block_dsp *k, const int32_t (*wide)[2],
                                int fast, int ch, int out_y, int8_t *out, size_t o_step) {
  const int k_w = p->k_w, s_w = p->stride_w, out_w = p->out_w;
  const int in_y0 = out_y * p->stride_h - p->pad_top;
  const int ky0 = in_y0 < 0 ? -in_y0 : 0;
  const int ky1 = in_y0 + p->k_h > p->in_h ? p->in_h - in_y0 : p->k_h;
  /* pixels [x_a, x_b) read input columns in_x0 .. in_x0 + k_w - 1, all within the input */
  const int x_a_raw = (p->pad_left + s_w - 1) / s_w, x_a = x_a_raw < out_w ? x_a_raw : out_w;
  const int span = p->in_w - k_w + p->pad_left, x_b_raw = span < 0 ? 0 : span / s_w + 1;
  const int x_b = x_b_raw < x_a ? x_a : x_b_raw > out_w ? out_w : x_b_raw;
  const int8_t *xr = in + (size_t)(in_y0 + ky0) * k->in_row + ch; /* input column 0 */
  if (!fast || ky1 <= ky0) {
    mr_dw_row(in, p, out_y, ch, 4, out, (int)o_step);
    return;
  }
  k->nky = ky1 - ky0;
  k->w = wide + ky0 * k_w;
  if (x_a > 0) mr_dw_block_pixels0(k, xr, 0, x_a, out, o_step);
  if (x_b > x_a) {
    (k_w == 3 ? mr_dw_block_pixels3 : k_w == 5 ? MR_DW_IF_5(mr_dw_block_pixels5, mr_dw_block_pixels0)
              : k_w == 7 ? MR_DW_IF_7(mr_dw_block_pixels7, mr_dw_block_pixels0) : mr_dw_block_pixels0)(
        k, xr, x_a, x_b - x_a, out + (size_t)x_a * o_step, o_step);
  }
  if (out_w > x_b) mr_dw_block_pixels0(k, xr, x_b, out_w - x_b, out + (size_t)x_b * o_step, o_step);
}

/* mr_depthwise_conv2d_fast_s8 on the DSP path: blocks of four channels (mr_dw_block_dsp), the rest by rows. */
static __attribute__((noinline)) void mr_dw_blocks_dsp(const int8_t *in, int8_t *out, const mr_dw_params *p,
                                                        int out_h) {
  const int c = p->c;
  const size_t row = (size_t)p->out_w * c;
  int32_t wide[MR_DW_MAX_K * MR_DW_MAX_K][2];
  mr_dw_block_dsp b;
  int c0, y;
  for (c0 = 0; c0 + 4 <= c; c0 += 4) {
    const int fast = mr_dw_block_dsp_prepare(&b, wide, p, out_h, c0);
    for (y = 0; y < out_h; ++y) {
      mr_dw_block_row_dsp(in, p, &b, (const int32_t(*)[2])wide, fast, c0, y, out + y * row + c0, (size_t)c);
    }
  }
  for (y = 0; y < out_h && c0 < c; ++y) mr_dw_row(in, p, y, c0, c - c0, out + y * row + c0, c);
}

/* The in-place rows mode (mr_depthwise_conv2d_inplace_fast_s8) on blocks of four channels (c % 4 == 0), as x86 does
 * on blocks of eight: each block's rows through `delay` rows of four-channel pixels in scratch. */
static __attribute__((noinline)) void mr_dw_blocks_inplace_dsp(int8_t *inout, const mr_dw_params *p, int out_h,
                                                                int8_t *scratch, int32_t delay) {
  const int c = p->c, out_w = p->out_w;
  int32_t wide[MR_DW_MAX_K * MR_DW_MAX_K][2];
  mr_dw_block_dsp b;
  int c0, x;
  int32_t y;
  for (c0 = 0; c0 < c; c0 += 4) {
    const int fast = mr_dw_block_dsp_prepare(&b, wide, p, out_h, c0);
    for (y = 0; y < out_h + delay - 1; ++y) {
      if (y < out_h) {
        mr_dw_block_row_dsp(inout, p, &b, (const int32_t(*)[2])wide, fast, c0, (int)y, scratch + (y % delay) * out_w * 4,
                            4);
      }
      for (x = 0; y - delay + 1 >= 0 && x < out_w; ++x) { /* row w = y - delay + 1 back over its input */
        const int32_t w = y - delay + 1;
        memcpy(inout + ((size_t)w * out_w + x) * c + c0, scratch + ((w % delay) * out_w + x) * 4, 4);
      }
    }
  }
}
#endif


static int mr_dw_channel_rows(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch,
                              int32_t scratch_bytes);

void mr_depthwise_conv2d_fast_s8(const int8_t *in, int in_h, int in_w, int c,
                                 const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                 int stride_h, int stride_w, int pad_top, int pad_left,
                                 int8_t *out, int out_h, int out_w,
                                 int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                 const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max) {
  const mr_dw_params p = {in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w, filter, bias,
                          in_offset, out_offset, out_mult, out_rshift_m1, act_min, act_max};
  int y;
#ifdef MR_SSE2
  {
    /* x86: the ring mode (vectorised over pixels), its ring in a stack buffer (no scratch out of place); zeroed,
     * as the 8-pixel steps may read past a ring row into the slack */
    int32_t ring[1024] = {0};
    if (mr_dw_channel_rows(in, out, &p, out_h, (int8_t *)(void *)ring, (int32_t)sizeof ring)) return;
  }
  if (c % 8 == 0 && k_h <= MR_DW_MAX_K && k_w <= MR_DW_MAX_K) { /* x86: blocks of eight channels */
    mr_dw_block_x86 b;
    int c0;
    for (c0 = 0; c0 < c; c0 += 8) {
      mr_dw_block_prepare(&b, &p, c0);
      for (y = 0; y < out_h; ++y) mr_dw_block_row(in, &p, &b, y, out + (size_t)y * out_w * c + c0, c);
    }
    return;
  }
#endif
#ifdef MR_DSP
  if (k_h <= MR_DW_MAX_K && k_w <= MR_DW_MAX_K && (int32_t)out_h * out_w > MR_DW_BLOCK_MIN_PIXELS) {
    mr_dw_blocks_dsp(in, out, &p, out_h);
    return;
  }
#endif
  for (y = 0; y < out_h; ++y) mr_dw_row(in, &p, y, 0, c, out + (size_t)y * out_w * c, c);
}

int32_t mr_depthwise_inplace_row_delay(int in_h, int in_w, int c, int stride_h, int pad_top, int out_h,
                                       int out_w) {
  const int32_t row_in = (int32_t)in_w * c, row_out = (int32_t)out_w * c;
  int32_t d, w;
  (void)in_h;
  for (d = 1; d < out_h; ++d) {
    int ok = 1;
    for (w = 0; w + d < out_h && ok; ++w) {
      const int32_t first_needed = (w + d) * (int32_t)stride_h - pad_top;
      if ((w + 1) * row_out > (first_needed > 0 ? first_needed : 0) * row_in) ok = 0;
    }
    if (ok) return d;
  }
  return out_h;
}

/* In-place channel mode through a ring of input rows. For one channel, the k_h input rows an output
 * row reads are gathered into a ring of rows in scratch, each padded to ring_w = (out_w - 1)*stride_w +
 * k_w values with the input zero point (so padded taps add filter * (zero point + in_offset) = 0, as
 * TFLM's skipped taps do, and every output pixel takes the same unrolled code: k, stride_w and the ring's
 * element size are constants in each instance of mr_dw_acc_row). The accumulator starts at bias +
 * in_offset * sum(filter) and adds filter * raw input. Rows are int16 when scratch holds them (DSP: one
 * __smlad per two horizontal taps), else int8 with one byte of slack (DSP: __sxtb16 splits four taps
 * into pairs (0, 2) and (1, 3)). Output row y goes straight over input channel ch at pixels
 * [y*out_w, (y+1)*out_w), all of them in input rows already gathered (mr_dw_channel_rows checks it). */
/* Filter taps of one channel in the forms the tap loops read. */
typedef struct {
  int32_t tap[MR_DW_MAX_K][MR_DW_MAX_K];           /* portable path */
  int32_t pair[MR_DW_MAX_K][(MR_DW_MAX_K + 1) / 2]; /* int16 rings: (kx, kx+1) as (low, high) halves */
  int32_t even[MR_DW_MAX_K][2], odd[MR_DW_MAX_K][2]; /* int8 rings: (4g, 4g+2) and (4g+1, 4g+3) */
} mr_dw_taps;


/* Sum over the K_W taps of one ring row starting at r (int16 or int8 elements, NARROW). */
static inline __attribute__((always_inline)) int32_t mr_dw_row_taps(const void *r, const mr_dw_taps *w, int ky,
                                                                     int32_t acc, const int K_W, const int NARROW) {
  int kx;
#pragma GCC unroll 7
  for (kx = 0; kx < K_W; ++kx) {
    acc += w->tap[ky][kx] * (NARROW ? (int32_t)((const int8_t *)r)[kx] : (int32_t)((const int16_t *)r)[kx]);
  }
  return acc;
}

/* Accumulators of output pixels [x0, x0 + n) of one row from the ring rows: K, S_W and NARROW are
 * constants in each instance (mr_dw_acc_k<K>s<S_W>n<NARROW>), the only code specialised per shape. */
static inline __attribute__((always_inline)) void mr_dw_acc_row(const void *const *rows, int x0, int n,
                                                                 const mr_dw_taps *w, int32_t acc0, int32_t *acc,
                                                                 const int K, const int S_W, const int NARROW) {
  const int size = NARROW ? 1 : 2;
  const char *r[MR_DW_MAX_K];
  mr_dw_taps taps; /* the rows of taps this shape reads, in locals: registers where they fit */
  int x, ky;
  for (ky = 0; ky < K; ++ky) {
    r[ky] = (const char *)rows[ky] + (size_t)x0 * S_W * size;
    memcpy(taps.tap[ky], w->tap[ky], sizeof taps.tap[ky]);
  }
  for (x = 0; x < n; ++x) {
    int32_t a = acc0;
#pragma GCC unroll 7
    for (ky = 0; ky < K; ++ky) a = mr_dw_row_taps(r[ky] + (size_t)x * S_W * size, &taps, ky, a, K, NARROW);
    acc[x] = a;
  }
}

#if !defined(MR_SSE2) && !defined(MR_DSP)
typedef void (*mr_dw_acc_fn)(const void *const *rows, int x0, int n, const mr_dw_taps *w, int32_t acc0,
                             int32_t *acc);
#define MR_DW_ACC_INSTANCE(k, stride, narrow)                                                               \
  static void mr_dw_acc_k##k##s##stride##n##narrow(const void *const *rows, int x0, int n, const mr_dw_taps *w, \
                                                   int32_t acc0, int32_t *acc) {                            \
    mr_dw_acc_row(rows, x0, n, w, acc0, acc, k, stride, narrow);                                            \
  }
#endif
/* The shapes of the ring mode, one INSTANCE(k, stride, narrow) each (mr_dw_channel_rows' table), those of 5 and 7
 * only where mr_model_config.h keeps them. */
#if MR_DW_KERNEL_5
#define MR_DW_RING_SHAPES_5(INSTANCE) INSTANCE(5, 1, 0) INSTANCE(5, 2, 0) INSTANCE(5, 1, 1) INSTANCE(5, 2, 1)
#else
#define MR_DW_RING_SHAPES_5(INSTANCE)
#endif
#if MR_DW_KERNEL_7
#define MR_DW_RING_SHAPES_7(INSTANCE) INSTANCE(7, 1, 0) INSTANCE(7, 2, 0) INSTANCE(7, 1, 1) INSTANCE(7, 2, 1)
#else
#define MR_DW_RING_SHAPES_7(INSTANCE)
#endif
#define MR_DW_RING_SHAPES(INSTANCE) \
  INSTANCE(3, 1, 0) INSTANCE(3, 2, 0) INSTANCE(3, 1, 1) INSTANCE(3, 2, 1) MR_DW_RING_SHAPES_5(INSTANCE) \
  MR_DW_RING_SHAPES_7(INSTANCE)
#if !defined(MR_SSE2) && !defined(MR_DSP)
MR_DW_RING_SHAPES(MR_DW_ACC_INSTANCE)
#undef MR_DW_ACC_INSTANCE
#endif

#define MR_DW_CHUNK 32 /* output pixels accumulated before they are requantized */

#ifdef MR_SSE2
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

/* the instances take the names and table of the portable/DSP accumulator rows (mr_dw_channel_rows) */
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
#endif

/* Ring row length in elements: ring_w, plus the byte the int8 tap loops may read past it. */
static inline int32_t mr_dw_ring_stride(int k, int stride_w, int out_w, int narrow) {
  return (int32_t)(out_w - 1) * stride_w + k + (narrow ? 1 : 0);
}

/* Ring row `slot` (an element offset): `left` zero points, n input values read `c` apart, zero points up to
 * `stride` elements; int8 (NARROW) or int16 elements. */
static inline __attribute__((always_inline)) void mr_dw_gather(void *ring, size_t slot, const int8_t *src, int c,
                                                               int left, int n, int stride, int32_t zero_point,
                                                               const int NARROW) {
  int8_t *narrow_dst = (int8_t *)ring + slot;
  int16_t *wide_dst = (int16_t *)ring + slot;
  int x;
#define MR_DW_STORE(i, v) (NARROW ? (void)(narrow_dst[i] = (int8_t)(v)) : (void)(wide_dst[i] = (int16_t)(v)))
  for (x = 0; x < left; ++x) MR_DW_STORE(x, zero_point);
  for (x = 0; x < n; ++x) MR_DW_STORE(left + x, src[(size_t)x * c]);
  for (x = left + n; x < stride; ++x) MR_DW_STORE(x, zero_point);
#undef MR_DW_STORE
}

#ifndef MR_DSP
/* One channel of the ring mode: gather rows of `in`, accumulate (acc_row), requantize, write to `out` (in place:
 * out = in, over the input). */
static void mr_dw_channel(const int8_t *in, int8_t *out_base, const mr_dw_params *p, int out_h, int ch, void *ring,
                          int narrow, int slack, mr_dw_acc_fn acc_row) {
  const int c = p->c, in_w = p->in_w, out_w = p->out_w, k = p->k_h, size = narrow ? 1 : 2;
  const int ring_w = (out_w - 1) * p->stride_w + k, stride = (int)mr_dw_ring_stride(k, p->stride_w, out_w, narrow);
  const int32_t zero_point = -p->in_offset;
  /* from the shift itself: here mr_requant_prepare_rshift_m1 costs gcc 16 more bytes of stack frame */
  const mr_requant rq = mr_requant_prepare(p->out_mult[ch], -1 - p->out_rshift_m1[ch]);
  const int32_t out_offset = p->out_offset, act_min = p->act_min, act_max = p->act_max;
  mr_dw_taps w; /* every entry the tap loops read is set below */
  uint32_t acc0 = p->bias ? (uint32_t)p->bias[ch] : 0u;
#ifdef MR_SSE2
  mr_dw_x86 x86;
#else
  int32_t acc[MR_DW_CHUNK];
#endif
  int next_row = -p->pad_top; /* next input row to gather */
  int y, ky, kx;
  for (ky = 0; ky < k; ++ky) {
    for (kx = 0; kx < k; ++kx) {
      const int32_t t = p->filter[(size_t)(ky * k + kx) * c + ch];
      w.tap[ky][kx] = t;
      acc0 += (uint32_t)t * (uint32_t)p->in_offset;
    }
    for (kx = 0; kx < k; ++kx) {
      const int32_t next = kx + 1 < k ? w.tap[ky][kx + 1] : 0, next2 = kx + 2 < k ? w.tap[ky][kx + 2] : 0;
      if (kx % 2 == 0) w.pair[ky][kx / 2] = mr_pack_s16x2(w.tap[ky][kx], next);
      if (kx % 4 == 0) w.even[ky][kx / 4] = mr_pack_s16x2(w.tap[ky][kx], next2);
      if (kx % 4 == 1) w.odd[ky][kx / 4] = mr_pack_s16x2(w.tap[ky][kx], next2);
    }
  }
#ifdef MR_SSE2
  mr_dw_x86_prepare(&x86, &w, k, (int32_t)acc0, p, ch, slack);
#else
  (void)slack;
#endif
  for (y = 0; y < out_h; ++y) {
    const int in_y0 = y * p->stride_h - p->pad_top;
    const void *rows[MR_DW_MAX_K];
    int8_t *o = out_base + (size_t)y * out_w * c + ch;
#ifndef MR_SSE2
    int x0, x;
#endif
    for (; next_row < in_y0 + k; ++next_row) {
      const size_t slot = (size_t)((next_row + p->pad_top) % k) * stride;
      const int8_t *src = in + (size_t)next_row * in_w * c + ch;
      const int in_image = next_row >= 0 && next_row < p->in_h;
      const int left = in_image ? p->pad_left : ring_w;
      const int n = !in_image ? 0 : ring_w - left < in_w ? ring_w - left : in_w;
      if (narrow) {
        mr_dw_gather(ring, slot, src, c, left, n, stride, zero_point, 1);
      } else {
        mr_dw_gather(ring, slot, src, c, left, n, stride, zero_point, 0);
      }
    }
    for (ky = 0; ky < k; ++ky) rows[ky] = (const char *)ring + (size_t)((in_y0 + ky + p->pad_top) % k) * stride * size;
#ifdef MR_SSE2
    acc_row(rows, out_w, &w, &x86, (int32_t)acc0, &rq, p, o);
    (void)out_offset;
    (void)act_min;
    (void)act_max;
#else
    for (x0 = 0; x0 < out_w; x0 += MR_DW_CHUNK) {
      /* MR_DW_CHUNK accumulators, then their requantization: two loops, so that neither runs out of
       * registers on Cortex-M */
      const int n = out_w - x0 < MR_DW_CHUNK ? out_w - x0 : MR_DW_CHUNK;
      int8_t *out = o + (size_t)x0 * c;
      acc_row(rows, x0, n, &w, (int32_t)acc0, acc);
#ifdef MR_SINGLE_ROUNDING
      for (x = 0; x < n; ++x) {
        out[(size_t)x * c] = (int8_t)mr_clamp_i32(mr_requant_apply(acc[x], &rq) + out_offset, act_min, act_max);
      }
#else
      if (rq.right_shift_m1 >= 0) {
        for (x = 0; x < n; ++x) {
          out[(size_t)x * c] =
              (int8_t)mr_clamp_i32(mr_requant_apply_right(acc[x], &rq) + out_offset, act_min, act_max);
        }
      } else {
        for (x = 0; x < n; ++x) {
          out[(size_t)x * c] = (int8_t)mr_clamp_i32(mr_requant_apply_left(acc[x], &rq) + out_offset, act_min, act_max);
        }
      }
#endif
    }
#endif
  }
}
#endif

#ifdef MR_DSP
/* Arm DSP (Cortex-M4): the ring mode with every output computed as 2*acc, which requantizes exactly in four
 * instructions (mr_requantize_doubled), from int16 rings (two output pixels per step: each word of a ring row feeds both)
 * or int8 rings (one pixel per step). Per channel, mr_dw_channel_dsp sets up the taps once (doubled, in the words
 * the shape's loops read) and runs, row by row, the gather, the accumulators of up to MR_DW_DSP_CHUNK pixels
 * (mr_dw_dsp_k<K>s<S_W>n<NARROW>) and their requantization. */

static inline int32_t mr_dw_read32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Tap words of one ring row (mr_dw_dsp_taps), t_k the (doubled) taps, H = (K - 1) / 2:
 *  int16, stride 1: E_0..E_{H-1}, O_1..O_H with E_j = (t_2j, t_2j+1), O_j = (t_2j-1, t_2j) (low, high halves);
 *  int16, stride 2: E_0..E_{H-1}, (t_{K-1}, 0);
 *  int8: (t_4g, t_4g+2), (t_4g+1, t_4g+3) for each group of four taps (0 past K), then t_4 alone when K = 5. */
typedef int32_t mr_dw_dsp_taps[MR_DW_MAX_K][MR_DW_MAX_K - 1];

static inline int32_t mr_dw_tap(const int16_t *t, int k, int K) { return k < K ? t[k] : 0; }

static void mr_dw_dsp_prepare_taps(mr_dw_dsp_taps w, const int16_t (*t)[MR_DW_MAX_K], int K, int s_w, int narrow) {
  const int H = (K - 1) / 2;
  int ky, j;
  for (ky = 0; ky < K; ++ky) {
    const int16_t *r = t[ky];
    if (narrow) {
      for (j = 0; 4 * j + 2 < K; ++j) {
        w[ky][2 * j] = mr_pack_s16x2(r[4 * j], mr_dw_tap(r, 4 * j + 2, K));
        w[ky][2 * j + 1] = mr_pack_s16x2(r[4 * j + 1], mr_dw_tap(r, 4 * j + 3, K));
      }
      if (K % 4 == 1) w[ky][2 * j] = r[K - 1];
    } else {
      for (j = 0; j < H; ++j) w[ky][j] = mr_pack_s16x2(r[2 * j], r[2 * j + 1]);
      if (s_w == 1) {
        for (j = 1; j <= H; ++j) w[ky][H - 1 + j] = mr_pack_s16x2(r[2 * j - 1], r[2 * j]);
      } else {
        w[ky][H] = mr_pack_s16x2(r[K - 1], 0);
      }
    }
  }
}

/* int16 rings: the NROWS ring rows at rows[0..NROWS) (taps w[0..NROWS)) of output pixels [x0, x0 + n) into acc
 * (FIRST: starting from acc0, else adding to acc), two pixels per step. */
static inline __attribute__((always_inline)) void mr_dw_dsp_pass16(const char *const *rows, int x0, int n,
                                                                    const mr_dw_dsp_taps w, int32_t acc0, int32_t *acc,
                                                                    const int K, const int S_W, const int NROWS,
                                                                    const int FIRST) {
  const int H = (K - 1) / 2;
  int32_t t[MR_DW_MAX_K][MR_DW_MAX_K - 1]; /* scalars once unrolled: registers */
  const int16_t *q[MR_DW_MAX_K];
  int32_t *a = acc, *const end = acc + (n & ~1);
  int ky, j;
#pragma GCC unroll 7
  for (ky = 0; ky < NROWS; ++ky) {
    q[ky] = (const int16_t *)(const void *)rows[ky] + (size_t)x0 * S_W;
#pragma GCC unroll 6
    for (j = 0; j < MR_DW_MAX_K - 1; ++j) {
      if (j < (S_W == 1 ? K - 1 : H + 1)) t[ky][j] = w[ky][j];
    }
  }
  for (; a != end; a += 2) {
    int32_t p0 = FIRST ? acc0 : a[0], p1 = FIRST ? acc0 : a[1];
#pragma GCC unroll 7
    for (ky = 0; ky < NROWS; ++ky) {
      const int16_t *x = q[ky];
      if (S_W == 1) { /* pixel i: E_j on A_j, t_{K-1} (O_H's high half) on A_H's low; i+1: t_0 on A_0's high, O_j on A_j */
        int32_t v = mr_dw_read32(x);
        p0 = __smlad(v, t[ky][0], p0);
        p1 = __smlatb(v, t[ky][0], p1);
#pragma GCC unroll 4
        for (j = 1; j <= H; ++j) {
          v = mr_dw_read32(x + 2 * j);
          if (j < H) p0 = __smlad(v, t[ky][j], p0);
          else p0 = __smlabt(v, t[ky][2 * H - 1], p0);
          p1 = __smlad(v, t[ky][H - 1 + j], p1);
        }
      } else { /* pixel i: E_j on A_j, t_{K-1} on A_H's low; i+1: E_j on A_{j+1}, t_{K-1} on element 2H+2 */
        int32_t v = mr_dw_read32(x);
#pragma GCC unroll 4
        for (j = 0; j < H; ++j) {
          const int32_t u = mr_dw_read32(x + 2 * j + 2);
          p0 = __smlad(v, t[ky][j], p0);
          p1 = __smlad(u, t[ky][j], p1);
          v = u;
        }
        p0 = __smlabb(v, t[ky][H], p0);
        p1 = __smlabb(x[2 * H + 2], t[ky][H], p1); /* a halfword: the row may end there */
      }
      q[ky] = x + 2 * S_W;
    }
    a[0] = p0;
    a[1] = p1;
  }
  if (n & 1) { /* the last pixel of an odd count */
    int32_t p = FIRST ? acc0 : a[0];
#pragma GCC unroll 7
    for (ky = 0; ky < NROWS; ++ky) {
      const int16_t *x = q[ky];
#pragma GCC unroll 4
      for (j = 0; j < H; ++j) p = __smlad(mr_dw_read32(x + 2 * j), t[ky][j], p);
      if (S_W == 1) p = __smlabt(x[K - 1], t[ky][2 * H - 1], p);
      else p = __smlabb(x[K - 1], t[ky][H], p);
    }
    a[0] = p;
  }
}

/* int8 rings: one pixel per step, four taps per word (their filter halves 0 past K; the ring row's slack byte). */
static inline __attribute__((always_inline)) void mr_dw_dsp_pass8(const char *const *rows, int x0, int n,
                                                                   const mr_dw_dsp_taps w, int32_t acc0,
                                                                   int32_t *restrict acc, const int K, int s_w) {
  const int8_t *q[MR_DW_MAX_K];
  int i, ky, j;
#pragma GCC unroll 7
  for (ky = 0; ky < K; ++ky) q[ky] = (const int8_t *)rows[ky] + (size_t)x0 * s_w;
  for (i = 0; i < n; ++i) {
    int32_t p = acc0;
#pragma GCC unroll 7
    for (ky = 0; ky < K; ++ky) {
      const int8_t *x = q[ky] + (size_t)i * s_w;
#pragma GCC unroll 2
      for (j = 0; 4 * j + 2 < K; ++j) {
        const int32_t v = mr_dw_read32(x + 4 * j);
        p = __smlad(__sxtb16(v), w[ky][2 * j], p);
        p = __smlad(mr_sxtb16_ror8(v), w[ky][2 * j + 1], p);
      }
      if (K % 4 == 1) p += w[ky][(K + 1) / 4 * 2] * x[K - 1];
    }
    acc[i] = p;
  }
}

static inline __attribute__((always_inline)) void mr_dw_dsp_acc(const char *const *rows, int x0, int n,
                                                                 const mr_dw_dsp_taps w, int32_t acc0, int32_t *acc,
                                                                 int s_w, const int K, const int S_W,
                                                                 const int NARROW) {
  if (NARROW) {
    mr_dw_dsp_pass8(rows, x0, n, w, acc0, acc, K, s_w);
  } else if (K == 3) { /* the three rows in one pass: their six tap words stay in registers */
    mr_dw_dsp_pass16(rows, x0, n, w, acc0, acc, K, S_W, 3, 1);
  } else { /* a pass per row, the later ones one loop */
    int ky;
    mr_dw_dsp_pass16(rows, x0, n, w, acc0, acc, K, S_W, 1, 1);
#pragma GCC unroll 1
    for (ky = 1; ky < K; ++ky) mr_dw_dsp_pass16(rows + ky, x0, n, w + ky, acc0, acc, K, S_W, 1, 0);
  }
}

/* How the DSP ring mode gathers an input row of one channel into a ring row: `left` zero points, n input values
 * read c apart (four per step), zero points up to `stride` elements (right = stride - left - n). */
typedef struct {
  int c, left, n, right;
  int32_t zero_point;
} mr_dw_dsp_gather;

/* (low half of lo, low half of hi) in one PKHBT (gcc spells it UXTH and ORR) */
static inline int32_t mr_dw_pkhbt(int32_t lo, int32_t hi) {
  int32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
  return r;
}

static __attribute__((noinline)) void mr_dw_dsp_gather16(int16_t *d, const int8_t *src, const mr_dw_dsp_gather *g) {
  const int c = g->c, c2 = 2 * c, c3 = 3 * c, c4 = 4 * c;
  const int16_t zp = (int16_t)g->zero_point;
  int x;
  for (x = g->left; x > 0; --x) *d++ = zp;
  for (x = g->n; x >= 8; x -= 8, d += 8) {
    const int32_t v0 = mr_dw_pkhbt(src[0], src[c]), v1 = mr_dw_pkhbt(src[c2], src[c3]);
    const int32_t v2 = mr_dw_pkhbt(src[c4], src[c4 + c]), v3 = mr_dw_pkhbt(src[c4 + c2], src[c4 + c3]);
    src += 2 * c4;
    memcpy(d, &v0, 4);
    memcpy(d + 2, &v1, 4);
    memcpy(d + 4, &v2, 4);
    memcpy(d + 6, &v3, 4);
  }
  if (x >= 4) {
    const int32_t v0 = mr_dw_pkhbt(src[0], src[c]), v1 = mr_dw_pkhbt(src[c2], src[c3]);
    memcpy(d, &v0, 4);
    memcpy(d + 2, &v1, 4);
    src += c4;
    d += 4;
    x -= 4;
  }
  for (; x > 0; --x, src += c) *d++ = *src;
  for (x = g->right; x > 0; --x) *d++ = zp;
}

static __attribute__((noinline)) void mr_dw_dsp_gather8(int8_t *d, const int8_t *src, const mr_dw_dsp_gather *g) {
  const int c = g->c, c2 = 2 * c, c3 = 3 * c, c4 = 4 * c;
  const int8_t zp = (int8_t)g->zero_point;
  int x;
  for (x = g->left; x > 0; --x) *d++ = zp;
  for (x = g->n; x >= 4; x -= 4, src += c4, d += 4) {
    const uint32_t v = (uint32_t)(uint8_t)src[0] | (uint32_t)(uint8_t)src[c] << 8 | (uint32_t)(uint8_t)src[c2] << 16 |
                       (uint32_t)(uint8_t)src[c3] << 24;
    memcpy(d, &v, 4);
  }
  for (; x > 0; --x, src += c) *d++ = *src;
  for (x = g->right; x > 0; --x) *d++ = zp;
}

/* What the rows of one channel share on the DSP path, set up once per channel (mr_dw_channel_dsp). */
typedef struct {
  mr_dw_dsp_taps w;
  int32_t acc0;   /* bias + in_offset * sum of the taps, doubled when fast */
  int fast;       /* 2*acc requantized by mr_requantize_doubled, else mr_requant_apply */
  mr_dw_rq q;     /* fast */
  mr_requant rq;  /* otherwise */
  int32_t out_offset, act_min, act_max;
  int c;          /* output pixels' stride */
  int s_w;        /* stride_w (the int8 rings' instances take it at run time) */
} mr_dw_dsp_channel;

/* Accumulators acc[0..n) of one channel requantized to out[x*c] (the fast kernels' requantization loop inlines
 * the common case: fast, activation range all of int8). */
static inline __attribute__((always_inline)) int mr_dw_dsp_requant_inline(const int32_t *acc, int n, int8_t *out,
                                                                         const mr_dw_dsp_channel *d) {
  const int c = d->c;
  const int32_t mult = d->q.mult, add = d->q.add, shift = d->q.shift;
  const int32_t *a = acc, *const end = acc + (n & ~1);
  if (!d->fast || d->act_min != MR_INT8_MIN || d->act_max != MR_INT8_MAX) return 0;
  for (; a != end; a += 2, out += 2 * c) { /* pairs: one loop step per two pixels */
    out[0] = (int8_t)__ssat(mr_requantize_doubled(a[0], mult, add, shift), 8);
    out[c] = (int8_t)__ssat(mr_requantize_doubled(a[1], mult, add, shift), 8);
  }
  if (n & 1) out[0] = (int8_t)__ssat(mr_requantize_doubled(a[0], mult, add, shift), 8);
  return 1;
}

static __attribute__((noinline)) void mr_dw_dsp_requant(const int32_t *acc, int n, int8_t *out,
                                                         const mr_dw_dsp_channel *d) {
  const int c = d->c;
  const int32_t act_min = d->act_min, act_max = d->act_max;
  int x;
  if (d->fast) {
    const int32_t mult = d->q.mult, add = d->q.add, shift = d->q.shift;
    for (x = 0; x < n; ++x) {
      out[(size_t)x * c] = (int8_t)mr_clamp_i32(mr_requantize_doubled(acc[x], mult, add, shift), act_min, act_max);
    }
  } else {
    for (x = 0; x < n; ++x) {
      out[(size_t)x * c] = (int8_t)mr_clamp_i32(mr_requant_apply(acc[x], &d->rq) + d->out_offset, act_min, act_max);
    }
  }
}

/* Output pixels accumulated before they are requantized on the DSP path: the rows of most models in one chunk (a
 * chunk's set-up costs about 50 instructions), 384 bytes of stack. */
#define MR_DW_DSP_CHUNK 96

/* One output row of one channel from its ring rows: chunks of MR_DW_DSP_CHUNK accumulators, then their
 * requantization. K, S_W and NARROW are constants in each instance (mr_dw_dsp_k<K>s<S_W>n<NARROW>). */
static inline __attribute__((always_inline)) void mr_dw_dsp_row(const mr_dw_dsp_channel *d, const char *const *rows,
                                                                int out_w, int8_t *out, const int K, const int S_W,
                                                                const int NARROW) {
  int32_t acc[MR_DW_DSP_CHUNK];
  int x0;
  for (x0 = 0; x0 < out_w; x0 += MR_DW_DSP_CHUNK) {
    const int n = out_w - x0 < MR_DW_DSP_CHUNK ? out_w - x0 : MR_DW_DSP_CHUNK;
    int8_t *o = out + (size_t)x0 * d->c;
    mr_dw_dsp_acc(rows, x0, n, (const int32_t(*)[MR_DW_MAX_K - 1])d->w, d->acc0, acc, d->s_w, K, S_W, NARROW);
    if (!mr_dw_dsp_requant_inline(acc, n, o, d)) mr_dw_dsp_requant(acc, n, o, d);
  }
}

typedef void (*mr_dw_dsp_fn)(const mr_dw_dsp_channel *d, const char *const *rows, int out_w, int8_t *out);
#define MR_DW_DSP_INSTANCE(k, stride, narrow)                                                                        \
  static void mr_dw_dsp_k##k##s##stride##n##narrow(const mr_dw_dsp_channel *d, const char *const *rows, int out_w, \
                                                   int8_t *out) {                                                   \
    mr_dw_dsp_row(d, rows, out_w, out, k, stride, narrow);                                                         \
  }
/* int16 rings per (k, stride); int8 rings (scratch too small for int16 ones, rarer) per k, the stride at run time */
MR_DW_DSP_INSTANCE(3, 1, 0) MR_DW_DSP_INSTANCE(3, 2, 0) MR_DW_DSP_INSTANCE(3, 0, 1)
#if MR_DW_KERNEL_5
MR_DW_DSP_INSTANCE(5, 1, 0) MR_DW_DSP_INSTANCE(5, 2, 0) MR_DW_DSP_INSTANCE(5, 0, 1)
#endif
#if MR_DW_KERNEL_7
MR_DW_DSP_INSTANCE(7, 1, 0) MR_DW_DSP_INSTANCE(7, 2, 0) MR_DW_DSP_INSTANCE(7, 0, 1)
#endif
#undef MR_DW_DSP_INSTANCE

/* One channel of the ring mode on the DSP path (mr_dw_channel's job). */
static __attribute__((noinline)) void mr_dw_channel_dsp(const int8_t *in, int8_t *out_base, const mr_dw_params *p,
                                                         int out_h, int ch, void *ring, int narrow,
                                                         mr_dw_dsp_fn row_fn) {
  const int c = p->c, in_w = p->in_w, out_w = p->out_w, k = p->k_h, s_w = p->stride_w, size = narrow ? 1 : 2;
  const int ring_w = (out_w - 1) * s_w + k, stride = (int)mr_dw_ring_stride(k, s_w, out_w, narrow);
  const size_t in_row = (size_t)in_w * c, out_row = (size_t)out_w * c;
  int16_t t[MR_DW_MAX_K][MR_DW_MAX_K]; /* the channel's taps (doubled when fast) */
  mr_dw_dsp_channel d;
  mr_dw_dsp_gather g;
  const char *slots[2 * MR_DW_MAX_K]; /* ring row i % k at i: output row y reads slots[top..top+k) */
  uint32_t acc0 = p->bias ? (uint32_t)p->bias[ch] : 0u;
  int next_row = -p->pad_top; /* next input row to gather, into ring slot `slot` */
  int slot = 0, top = 0;
  int y, ky, kx;
  int8_t *out = out_base + ch;
  for (ky = 0; ky < k; ++ky) {
    for (kx = 0; kx < k; ++kx) {
      t[ky][kx] = p->filter[(size_t)(ky * k + kx) * c + ch];
      acc0 += (uint32_t)t[ky][kx] * (uint32_t)p->in_offset;
    }
  }
  d.fast = mr_dw_rq_prepare(&d.q, p->out_mult[ch], p->out_rshift_m1[ch], p->out_offset) &&
           (int32_t)acc0 > -MR_DW_ACC0_FAST && (int32_t)acc0 < MR_DW_ACC0_FAST;
  if (d.fast) { /* 2*acc */
    acc0 *= 2u;
    for (ky = 0; ky < k; ++ky) {
      for (kx = 0; kx < k; ++kx) t[ky][kx] *= 2;
    }
  }
  d.acc0 = (int32_t)acc0;
  d.rq = mr_requant_prepare_rshift_m1(p->out_mult[ch], p->out_rshift_m1[ch]);
  d.out_offset = p->out_offset;
  d.act_min = p->act_min;
  d.act_max = p->act_max;
  d.c = c;
  d.s_w = s_w;
  mr_dw_dsp_prepare_taps(d.w, (const int16_t(*)[MR_DW_MAX_K])t, k, s_w, narrow);
  g.c = c;
  g.left = p->pad_left;
  g.n = ring_w - g.left < in_w ? ring_w - g.left : in_w;
  g.right = stride - g.left - g.n;
  g.zero_point = -p->in_offset;
  for (ky = 0; ky < 2 * k; ++ky) slots[ky] = (const char *)ring + (size_t)(ky < k ? ky : ky - k) * stride * size;
  for (y = 0; y < out_h; ++y, out += out_row) {
    for (; next_row < y * p->stride_h - p->pad_top + k; ++next_row) {
      void *dst = (void *)(uintptr_t)slots[slot];
      if (next_row >= 0 && next_row < p->in_h) {
        const int8_t *src = in + (size_t)next_row * in_row + ch;
        if (narrow) mr_dw_dsp_gather8((int8_t *)dst, src, &g);
        else mr_dw_dsp_gather16((int16_t *)dst, src, &g);
      } else {
        {
          int x;
          if (narrow) {
            for (x = 0; x < stride; ++x) ((int8_t *)dst)[x] = (int8_t)g.zero_point;
          } else {
            for (x = 0; x < stride; ++x) ((int16_t *)dst)[x] = (int16_t)g.zero_point;
          }
        }
      }
      if (++slot == k) slot = 0;
    }
    row_fn(&d, slots + top, out_w, out);
    for (top += p->stride_h; top >= k;) top -= k;
  }
}
#endif

int mr_depthwise_ring_fits(int k_h, int k_w, int stride_w, int pad_top, int pad_left, int out_h, int out_w) {
  return k_h == k_w && (k_h == 3 || k_h == 5 || k_h == 7) && (stride_w == 1 || stride_w == 2) && pad_top >= 0 &&
         pad_left >= 0 && (int32_t)out_h * out_w >= MR_DW_RING_MIN_PIXELS;
}

int32_t mr_depthwise_ring_bytes(int k, int stride_w, int out_w, int narrow) {
  return (int32_t)k * mr_dw_ring_stride(k, stride_w, out_w, narrow) * (narrow ? 1 : 2);
}

/* The ring mode, when the shape takes it and scratch holds a ring (int16 rows if it can, else int8);
 * returns 0 (nothing done) otherwise. */
static int mr_dw_channel_rows(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch,
                              int32_t scratch_bytes) {
#ifdef MR_DSP
  static const mr_dw_dsp_fn instances[2][3][2] = {
      {{mr_dw_dsp_k3s1n0, mr_dw_dsp_k3s2n0},
       {MR_DW_IF_5(mr_dw_dsp_k5s1n0, NULL), MR_DW_IF_5(mr_dw_dsp_k5s2n0, NULL)},
       {MR_DW_IF_7(mr_dw_dsp_k7s1n0, NULL), MR_DW_IF_7(mr_dw_dsp_k7s2n0, NULL)}},
      {{mr_dw_dsp_k3s0n1, mr_dw_dsp_k3s0n1},
       {MR_DW_IF_5(mr_dw_dsp_k5s0n1, NULL), MR_DW_IF_5(mr_dw_dsp_k5s0n1, NULL)},
       {MR_DW_IF_7(mr_dw_dsp_k7s0n1, NULL), MR_DW_IF_7(mr_dw_dsp_k7s0n1, NULL)}}};
  mr_dw_dsp_fn acc_row;
#else
  static const mr_dw_acc_fn instances[2][3][2] = {
      {{mr_dw_acc_k3s1n0, mr_dw_acc_k3s2n0},
       {MR_DW_IF_5(mr_dw_acc_k5s1n0, NULL), MR_DW_IF_5(mr_dw_acc_k5s2n0, NULL)},
       {MR_DW_IF_7(mr_dw_acc_k7s1n0, NULL), MR_DW_IF_7(mr_dw_acc_k7s2n0, NULL)}},
      {{mr_dw_acc_k3s1n1, mr_dw_acc_k3s2n1},
       {MR_DW_IF_5(mr_dw_acc_k5s1n1, NULL), MR_DW_IF_5(mr_dw_acc_k5s2n1, NULL)},
       {MR_DW_IF_7(mr_dw_acc_k7s1n1, NULL), MR_DW_IF_7(mr_dw_acc_k7s2n1, NULL)}}};
  mr_dw_acc_fn acc_row;
#endif
  const int k = p->k_h, s_w = p->stride_w;
  int y, ch, narrow, slack;
  if (!mr_depthwise_ring_fits(k, p->k_w, s_w, p->pad_top, p->pad_left, out_h, p->out_w)) return 0;
  if (mr_depthwise_ring_bytes(k, s_w, p->out_w, 0) <= scratch_bytes) narrow = 0;
  else if (mr_depthwise_ring_bytes(k, s_w, p->out_w, 1) <= scratch_bytes) narrow = 1;
  else return 0;
  for (y = 0; y < out_h && in == out; ++y) { /* in place: output row y covers only gathered input rows */
    const int32_t gathered = y * p->stride_h - p->pad_top + k;
    if (gathered < p->in_h && (int32_t)(y + 1) * p->out_w > gathered * p->in_w) return 0;
  }
  acc_row = instances[narrow][(k - 3) / 2][s_w - 1];
  if (acc_row == NULL) return 0; /* a kernel size mr_model_config.h leaves out: another mode */
  slack = scratch_bytes - mr_depthwise_ring_bytes(k, s_w, p->out_w, narrow) >= 16;
#ifdef MR_DSP
  (void)slack;
  for (ch = 0; ch < p->c; ++ch) mr_dw_channel_dsp(in, out, p, out_h, ch, scratch, narrow, acc_row);
#else
  for (ch = 0; ch < p->c; ++ch) mr_dw_channel(in, out, p, out_h, ch, scratch, narrow, slack, acc_row);
#endif
  return 1;
}

void mr_depthwise_conv2d_inplace_fast_s8(int8_t *inout, int in_h, int in_w, int c,
                                         const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                         int stride_h, int stride_w, int pad_top, int pad_left,
                                         int out_h, int out_w, int8_t *scratch, int32_t scratch_bytes,
                                         int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                         const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max) {
  const mr_dw_params p = {in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w, filter, bias,
                          in_offset, out_offset, out_mult, out_rshift_m1, act_min, act_max};
  const int32_t row_bytes = (int32_t)out_w * c;
  const int32_t delay = mr_depthwise_inplace_row_delay(in_h, in_w, c, stride_h, pad_top, out_h, out_w);
#ifdef MR_SSE2
  if (out_w < 9 && c % 8 == 0 && delay * out_w * 8 <= scratch_bytes && k_h <= MR_DW_MAX_K && k_w <= MR_DW_MAX_K) {
    /* x86, narrow outputs: the rows mode below on blocks of eight channels (mr_dw_block_x86), each block's
     * rows through `delay` rows of eight-channel pixels in scratch. A block's rows only replace its own
     * channels, and within the block the rows mode's argument holds as it is. */
    mr_dw_block_x86 b;
    int c0, x;
    int32_t y;
    for (c0 = 0; c0 < c; c0 += 8) {
      mr_dw_block_prepare(&b, &p, c0);
      for (y = 0; y < out_h + delay - 1; ++y) {
        if (y < out_h) mr_dw_block_row(inout, &p, &b, (int)y, scratch + (y % delay) * out_w * 8, 8);
        for (x = 0; y - delay + 1 >= 0 && x < out_w; ++x) { /* row w = y - delay + 1 back over its input */
          const int32_t w = y - delay + 1;
          memcpy(inout + ((size_t)w * out_w + x) * c + c0, scratch + ((w % delay) * out_w + x) * 8, 8);
        }
      }
    }
    return;
  }
#endif
#ifdef MR_DSP
  {
    const int blocks = c % 4 == 0 && delay * out_w * 4 <= scratch_bytes && k_h <= MR_DW_MAX_K && k_w <= MR_DW_MAX_K &&
                       (int32_t)out_h * out_w > MR_DW_BLOCK_MIN_PIXELS;
    if (!(blocks && mr_dw_blocks_before_ring(k_h, stride_w, out_w, scratch_bytes)) &&
        mr_dw_channel_rows(inout, inout, &p, out_h, scratch, scratch_bytes)) {
      return; /* channel by channel through a ring of input rows */
    }
    if (blocks) {
      mr_dw_blocks_inplace_dsp(inout, &p, out_h, scratch, delay); /* the rows mode below on blocks of four channels */
      return;
    }
  }
#else
  if (mr_dw_channel_rows(inout, inout, &p, out_h, scratch, scratch_bytes)) {
    return; /* channel by channel through a ring of input rows */
  }
#endif
  if (delay * row_bytes <= scratch_bytes) {
    /* Rows, all channels at once: row y is computed into ring slot y % delay and written back `delay - 1`
     * rows later, once no row still to be computed reads the input bytes it covers. */
    int32_t y;
    for (y = 0; y < out_h + delay - 1; ++y) {
      if (y < out_h) mr_dw_row(inout, &p, (int)y, 0, c, scratch + (y % delay) * row_bytes, c);
      if (y - delay + 1 >= 0) {
        const int32_t w = y - delay + 1;
        memcpy(inout + (size_t)w * row_bytes, scratch + (w % delay) * row_bytes, (size_t)row_bytes);
      }
    }
  } else {
    /* Channel by channel (TinyEngine): channel ch of every output pixel into scratch, then over
     * input channel ch, which no later channel reads. */
    const int32_t pixels = (int32_t)out_h * out_w;
    int32_t i;
    int ch, y;
    for (ch = 0; ch < c; ++ch) {
      for (y = 0; y < out_h; ++y) mr_dw_row(inout, &p, y, ch, 1, scratch + (size_t)y * out_w, 1);
      for (i = 0; i < pixels; ++i) inout[(size_t)i * c + ch] = scratch[i];
    }
  }
}
