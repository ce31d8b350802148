/* DEPTHWISE_CONV_2D, the Arm DSP path (Cortex-M4/M7/M33/M55, MR_DSP): four channels per step with __sxtab16 /
 * __smlabb / __smlatt (mr_dw_row), blocks of four channels with their taps widened once (mr_dw_blocks_dsp), and the
 * ring mode with every output computed as 2*acc (mr_dw_channel_dsp). Compiles to nothing elsewhere; the driver
 * (depthwise_fast.c) chooses the mode. */
#include "mr_depthwise_fast_internal.h"

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

/* Four channels per step, the rest one by one. */
void mr_dw_row(const int8_t *in, const mr_dw_params *p, int out_y, int c0, int n, int8_t *out, int out_stride) {
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
    for (; j < n; ++j) o[j] = mr_dw_out(mr_dw_pixel_acc(in, p, c, in_y0, in_x0, ky0, ky1, kx0, kx1, c0 + j), p, c0 + j);
  }
}

/* DSP path, outputs too small for the ring mode: a block of four channels, its taps widened once per layer into pairs
 * (0, 2), (1, 3) of int16 halves (`wide`, k_w per row), its bias and requantization (mr_dw_rq on 2*acc). */
typedef struct mr_dw_block_dsp mr_dw_block_dsp;
typedef void (*mr_dw_block_fn)(const mr_dw_block_dsp *k, const int8_t *xr, int x, int n, int8_t *o, size_t o_step);
#ifndef MR_MVE /* the blocks: the Helium path has its own (depthwise_fast_mve.c) */
struct mr_dw_block_dsp {
  const int32_t (*w)[2]; /* the taps of window row ky0 (the first within the input), column 0 */
  int nky, k_w, c, s_w, pad_left, in_w;
  size_t in_row;
  int32_t off2;          /* in_offset in both halves */
  int32_t b[4];
  mr_dw_rq q[4];
  int full;              /* activation range all of int8 */
  int32_t act_min, act_max;
  mr_dw_block_fn unrolled; /* the pixels' instance for windows within the input's columns */
};

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
MR_DW_BLOCK_INSTANCE(5)
MR_DW_BLOCK_INSTANCE(7)
#undef MR_DW_BLOCK_INSTANCE

/* Up to this many output pixels the blocks' set-up (taps widened, requantization) costs more than it saves: mr_dw_row
 * computes such layers (measured on mcunet-10fps' 2x2 outputs). */
#define MR_DW_BLOCK_MIN_PIXELS 4

/* Whether the in-place kernel takes the blocks over the ring mode where both work: int8 rings (one pixel per step),
 * and 3x3 windows on narrow rows (stride 1: under 10 pixels, stride 2: up to 24), where the ring mode's per-row
 * set-up weighs most (measured per layer on the 8 models: e.g. kws 25x5 7.18 -> 6.21, mbv2 9x9 stride 2 8.04 -> 5.50
 * instr/MAC; 3x3 stride 1 at 11 pixels and every 5x5/7x7 int16 ring stay faster in the ring mode). */
static int mr_dw_blocks_before_ring(int k, int stride_w, int out_w, int32_t scratch_bytes) {
  if (mr_dw_ring_bytes(k, stride_w, out_w, 0) > scratch_bytes) return 1;
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
 * out + x*o_step: the pixels whose window lies within the input's columns through k->unrolled, those before and
 * after them through the general instance. */
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
  if (x_b > x_a) k->unrolled(k, xr, x_a, x_b - x_a, out + (size_t)x_a * o_step, o_step);
  if (out_w > x_b) mr_dw_block_pixels0(k, xr, x_b, out_w - x_b, out + (size_t)x_b * o_step, o_step);
}
#endif

/* The code unrolled for windows k wide: the ring instances mr_dw_dsp_k<k>s<stride>n<narrow> and the blocks' pixels. */
typedef struct mr_dw_dsp_channel mr_dw_dsp_channel;
typedef void (*mr_dw_dsp_fn)(const mr_dw_dsp_channel *d, const char *const *rows, int out_w, int8_t *out);
struct mr_depthwise_unrolled {
  int k;
  mr_dw_dsp_fn ring16[2]; /* [stride_w - 1] */
  mr_dw_dsp_fn ring8;
#ifdef MR_MVE
  mr_dw_mve_fn mve[2]; /* [stride_w - 1]: the Helium path's ring of four-channel pixels */
#else
  mr_dw_block_fn block;
#endif
};

#ifndef MR_MVE /* the blocks: the Helium path has its own (depthwise_fast_mve.c) */
/* The instance of the blocks' pixels for the layer's k_w. */
static mr_dw_block_fn mr_dw_block_unrolled(const mr_dw_params *p, const mr_depthwise_unrolled *unrolled) {
  return unrolled != NULL && unrolled->k == p->k_w ? unrolled->block : mr_dw_block_pixels0;
}

/* mr_depthwise_conv2d_fast_s8 on the DSP path: blocks of four channels (mr_dw_block_dsp), the rest by rows. */
static __attribute__((noinline)) void mr_dw_blocks_dsp(const int8_t *in, int8_t *out, const mr_dw_params *p,
                                                        int out_h, mr_dw_block_fn unrolled) {
  const int c = p->c;
  const size_t row = (size_t)p->out_w * c;
  int32_t wide[MR_DW_MAX_K * MR_DW_MAX_K][2];
  mr_dw_block_dsp b;
  int c0, y;
  b.unrolled = unrolled;
  for (c0 = 0; c0 + 4 <= c; c0 += 4) {
    const int fast = mr_dw_block_dsp_prepare(&b, wide, p, out_h, c0);
    for (y = 0; y < out_h; ++y) {
      mr_dw_block_row_dsp(in, p, &b, (const int32_t(*)[2])wide, fast, c0, y, out + y * row + c0, (size_t)c);
    }
  }
  for (y = 0; y < out_h && c0 < c; ++y) mr_dw_row(in, p, y, c0, c - c0, out + y * row + c0, c);
}

/* The in-place rows mode on blocks of four channels (c % 4 == 0), as x86 does on blocks of eight: each block's rows
 * through `delay` rows of four-channel pixels in scratch. */
void mr_dw_blocks_inplace(int8_t *inout, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
                          int32_t delay, const mr_depthwise_unrolled *unrolled) {
  const int c = p->c, out_w = p->out_w;
  int32_t wide[MR_DW_MAX_K * MR_DW_MAX_K][2];
  mr_dw_block_dsp b;
  int c0, x;
  int32_t y;
  (void)scratch_bytes;
  b.unrolled = mr_dw_block_unrolled(p, unrolled);
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
struct mr_dw_dsp_channel {
  mr_dw_dsp_taps w;
  int32_t acc0;   /* bias + in_offset * sum of the taps, doubled when fast */
  int fast;       /* 2*acc requantized by mr_requantize_doubled, else mr_requant_apply */
  mr_dw_rq q;     /* fast */
  mr_requant rq;  /* otherwise */
  int32_t out_offset, act_min, act_max;
  int c;          /* output pixels' stride */
  int s_w;        /* stride_w (the int8 rings' instances take it at run time) */
};

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

#define MR_DW_DSP_INSTANCE(k, stride, narrow)                                                                        \
  static void mr_dw_dsp_k##k##s##stride##n##narrow(const mr_dw_dsp_channel *d, const char *const *rows, int out_w, \
                                                   int8_t *out) {                                                   \
    mr_dw_dsp_row(d, rows, out_w, out, k, stride, narrow);                                                         \
  }
/* int16 rings per (k, stride); int8 rings (scratch too small for int16 ones, rarer) per k, the stride at run time */
MR_DW_DSP_INSTANCE(3, 1, 0) MR_DW_DSP_INSTANCE(3, 2, 0) MR_DW_DSP_INSTANCE(3, 0, 1)
MR_DW_DSP_INSTANCE(5, 1, 0) MR_DW_DSP_INSTANCE(5, 2, 0) MR_DW_DSP_INSTANCE(5, 0, 1)
MR_DW_DSP_INSTANCE(7, 1, 0) MR_DW_DSP_INSTANCE(7, 2, 0) MR_DW_DSP_INSTANCE(7, 0, 1)
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

#ifdef MR_MVE
#define MR_DW_BLOCK_OF(k) {mr_dw_mve_k##k##s1, mr_dw_mve_k##k##s2}
#else
#define MR_DW_BLOCK_OF(k) mr_dw_block_pixels##k
#endif
#define MR_DW_UNROLLED_DSP(k)                                                 \
  const mr_depthwise_unrolled mr_depthwise_k##k = {                                   \
      k, {mr_dw_dsp_k##k##s1n0, mr_dw_dsp_k##k##s2n0}, mr_dw_dsp_k##k##s0n1, MR_DW_BLOCK_OF(k)};
MR_DW_UNROLLED_DSP(3)
MR_DW_UNROLLED_DSP(5)
MR_DW_UNROLLED_DSP(7)
#undef MR_DW_UNROLLED_DSP
#undef MR_DW_BLOCK_OF

#ifdef MR_MVE
mr_dw_mve_fn mr_dw_mve_of(const mr_depthwise_unrolled *unrolled, const mr_dw_params *p) {
  const int fits = unrolled != NULL && unrolled->k == p->k_h && p->k_w == p->k_h && (p->stride_w == 1 || p->stride_w == 2);
  return fits ? unrolled->mve[p->stride_w - 1] : NULL;
}
#endif

int mr_dw_ring(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
               int narrow, const mr_depthwise_unrolled *unrolled) {
  mr_dw_dsp_fn row_fn;
  int ch;
  (void)scratch_bytes;
  if (unrolled == NULL || unrolled->k != p->k_h) return 0; /* a size the call left out: another mode */
  row_fn = narrow ? unrolled->ring8 : unrolled->ring16[p->stride_w - 1];
  for (ch = 0; ch < p->c; ++ch) mr_dw_channel_dsp(in, out, p, out_h, ch, scratch, narrow, row_fn);
  return 1;
}

#ifndef MR_MVE /* the blocks: the Helium path has its own (depthwise_fast_mve.c) */
int mr_dw_blocks_order(const mr_dw_params *p, int out_h, int32_t delay, int32_t scratch_bytes) {
  const int blocks = p->c % 4 == 0 && delay * p->out_w * 4 <= scratch_bytes && p->k_h <= MR_DW_MAX_K &&
                     p->k_w <= MR_DW_MAX_K && (int32_t)out_h * p->out_w > MR_DW_BLOCK_MIN_PIXELS;
  if (!blocks) return MR_DW_NO_BLOCKS;
  return mr_dw_blocks_before_ring(p->k_h, p->stride_w, p->out_w, scratch_bytes) ? MR_DW_BLOCKS_FIRST
                                                                                : MR_DW_BLOCKS_AFTER_RING;
}

int mr_dw_fast(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, const mr_depthwise_unrolled *unrolled) {
  if (p->k_h > MR_DW_MAX_K || p->k_w > MR_DW_MAX_K || (int32_t)out_h * p->out_w <= MR_DW_BLOCK_MIN_PIXELS) return 0;
  mr_dw_blocks_dsp(in, out, p, out_h, mr_dw_block_unrolled(p, unrolled));
  return 1;
}
#endif
#endif
