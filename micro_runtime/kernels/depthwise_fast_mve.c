/* DEPTHWISE_CONV_2D, the Helium (MVE) path (Cortex-M55/M85, MR_MVE): blocks of four channels, one per lane of an
 * int32 vector (VLDRB.S32 widens four consecutive NHWC channels in one load; MVE has no lane-wise multiply-accumulate,
 * so VMUL then VADD). Windows within the input take four output pixels per step, each tap's four filter values
 * loaded once for them, and in_offset folded into the accumulators' start (in_offset * the taps of the window rows
 * within the input); windows over the border add in_offset to each input value and skip the taps outside. Each
 * pixel's four channels are requantized in one vector (per-lane multiplier and shift) and stored by one narrowing
 * VSTRB.32. The blocks replace the DSP path's blocks (mr_dw_fast, and in place mr_dw_blocks_inplace whenever its
 * scratch fits); the ring mode, mr_dw_row and channels left over past a multiple of four stay the DSP path's
 * (depthwise_fast_dsp.c). */
#include "mr_depthwise_fast_internal.h"

#ifdef MR_MVE
/* A block of four channels [c0, c0 + 4) as its loops read it. */
struct mr_dw_block_mve {
  const int8_t *filter; /* tap (0, 0) of channel c0 */
  int c, k_h, k_w, s_w, pad_left, in_w, out_w;
  size_t in_row;
  int32_t in_offset, out_offset, act_min, act_max;
  int32x4_t bias, mult, left, right, fix;    /* per lane: fix is -1 where `right` shifts, else 0 */
  int32x4_t rowsum[MR_DW_MAX_K];             /* in_offset * the taps of window row ky */
  int32x4_t acc0;                            /* bias + in_offset * every tap */
  int right_only;                            /* every lane shifts right (by 1 or more), none left */
};

static void mr_dw_block_mve_prepare(mr_dw_block_mve *b, const mr_dw_params *p, int c0) {
  const int c = p->c;
  /* shift = -1 - rshift_m1: left when >= 0, else a rounding right shift (mr_requant_mve) */
  const int32x4_t shift = vsubq_s32(vdupq_n_s32(-1), vldrbq_s32(p->out_rshift_m1 + c0));
  const int32x4_t zero = vdupq_n_s32(0);
  int ky, kx;
  b->filter = p->filter + c0;
  b->c = c;
  b->k_h = p->k_h;
  b->k_w = p->k_w;
  b->s_w = p->stride_w;
  b->out_w = p->out_w;
  b->pad_left = p->pad_left;
  b->in_w = p->in_w;
  b->in_row = (size_t)p->in_w * c;
  b->in_offset = p->in_offset;
  b->out_offset = p->out_offset;
  b->act_min = p->act_min;
  b->act_max = p->act_max;
  b->bias = p->bias ? vldrwq_s32(p->bias + c0) : zero;
  b->mult = vldrwq_s32(p->out_mult + c0);
  b->left = vmaxq_s32(shift, zero);
  b->right = vminq_s32(shift, zero);
  b->fix = vshrq_n_s32(b->right, 31);
  b->right_only = vmaxvq_s32(INT32_MIN, shift) < 0;
  for (ky = 0; ky < p->k_h; ++ky) {
    int32x4_t s = zero;
    for (kx = 0; kx < p->k_w; ++kx) s = vaddq_s32(s, vldrbq_s32(b->filter + (size_t)(ky * p->k_w + kx) * c));
    b->rowsum[ky] = vmulq_n_s32(s, p->in_offset);
  }
  b->acc0 = b->bias;
  for (ky = 0; ky < p->k_h; ++ky) b->acc0 = vaddq_s32(b->acc0, b->rowsum[ky]);
}

/* The four channels of acc requantized as TFLM (mr_requant_mve per lane), offset, clamped, stored at o. */
static inline __attribute__((always_inline)) void mr_dw_store_mve(const mr_dw_block_mve *b, int32x4_t acc,
                                                                  int8_t *o) {
  int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, b->left), b->mult);
  x = vrshlq_s32(vqaddq_s32(x, vandq_s32(vshrq_n_s32(x, 31), b->fix)), b->right);
  x = vaddq_n_s32(x, b->out_offset);
  vstrbq_s32(o, vminq_s32(vmaxq_s32(x, vdupq_n_s32(b->act_min)), vdupq_n_s32(b->act_max)));
}

/* Four pixels' accumulators (acc[i]: pixel i's four channels) requantized as mr_dw_store_mve, pixel i stored at
 * o + i*o_step; where every lane shifts right (the common case) the vectors the four share stay in registers. */
static inline __attribute__((always_inline)) void mr_dw_store4_mve(const mr_dw_block_mve *b, const int32x4_t *acc,
                                                                   int8_t *o, size_t o_step) {
  int i;
  if (b->right_only) {
    const int32x4_t mult = b->mult, right = b->right, lo = vdupq_n_s32(b->act_min), hi = vdupq_n_s32(b->act_max);
    const int32_t out_offset = b->out_offset;
#pragma GCC unroll 4
    for (i = 0; i < 4; ++i) {
      int32x4_t x = vqrdmulhq_s32(acc[i], mult);
      x = vaddq_n_s32(vrshlq_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), right), out_offset);
      vstrbq_s32(o + i * o_step, vminq_s32(vmaxq_s32(x, lo), hi));
    }
  } else {
#pragma GCC unroll 4
    for (i = 0; i < 4; ++i) mr_dw_store_mve(b, acc[i], o + i * o_step);
  }
}

/* One tap (filter values t) of four pixels' accumulators a[0..4), their input values at q0 .. q3. */
static inline __attribute__((always_inline)) void mr_dw_tap4_mve(int32x4_t *a, int32x4_t t, const int8_t *q0,
                                                                 const int8_t *q1, const int8_t *q2,
                                                                 const int8_t *q3) {
  a[0] = vaddq_s32(a[0], vmulq_s32(vldrbq_s32(q0), t));
  a[1] = vaddq_s32(a[1], vmulq_s32(vldrbq_s32(q1), t));
  a[2] = vaddq_s32(a[2], vmulq_s32(vldrbq_s32(q2), t));
  a[3] = vaddq_s32(a[3], vmulq_s32(vldrbq_s32(q3), t));
}

/* The first pixel of the four-pixel step after the one at x, of n pixels (the last step overlapping the one before
 * when n % 4 != 0), or -1 after the last. */
static inline int mr_dw_next_step(int x, int n) { return x == n - 4 ? -1 : x + 8 <= n ? x + 4 : n - 4; }

/* Output pixels [x, x + n) whose windows lie within the input's columns, the window rows nky from the one whose
 * column 0 is at xr (its taps at w), starting from acc0 (bias + in_offset * those rows' taps); pixel x at o, o_step
 * bytes apart. K_W: the taps per row unrolled (0: b->k_w in a loop). */
static inline __attribute__((always_inline)) void mr_dw_inner_mve(const mr_dw_block_mve *b, const int8_t *xr,
                                                                  const int8_t *w, int nky, int32x4_t acc0, int x,
                                                                  int n, int8_t *o, size_t o_step, const int K_W) {
  const int c = b->c, k_w = K_W ? K_W : b->k_w;
  const size_t in_row = b->in_row, step = (size_t)b->s_w * c, w_row = (size_t)k_w * c;
  const int8_t *r = xr + (size_t)(x * b->s_w - b->pad_left) * c;
  int ky, kx;
  for (; n >= 4; n -= 4, r += 4 * step, o += 4 * o_step) {
    int32x4_t a0 = acc0, a1 = acc0, a2 = acc0, a3 = acc0;
    const int8_t *xp = r, *wp = w;
    for (ky = 0; ky < nky; ++ky, xp += in_row, wp += w_row) {
#pragma GCC unroll 7
      for (kx = 0; kx < k_w; ++kx) {
        const int32x4_t t = vldrbq_s32(wp + (size_t)kx * c);
        const int8_t *q = xp + (size_t)kx * c;
        a0 = vaddq_s32(a0, vmulq_s32(vldrbq_s32(q), t));
        a1 = vaddq_s32(a1, vmulq_s32(vldrbq_s32(q + step), t));
        a2 = vaddq_s32(a2, vmulq_s32(vldrbq_s32(q + 2 * step), t));
        a3 = vaddq_s32(a3, vmulq_s32(vldrbq_s32(q + 3 * step), t));
      }
    }
    {
      const int32x4_t acc[4] = {a0, a1, a2, a3};
      mr_dw_store4_mve(b, acc, o, o_step);
    }
  }
  for (; n > 0; --n, r += step, o += o_step) {
    int32x4_t a = acc0;
    const int8_t *xp = r, *wp = w;
    for (ky = 0; ky < nky; ++ky, xp += in_row, wp += w_row) {
#pragma GCC unroll 7
      for (kx = 0; kx < k_w; ++kx) {
        a = vaddq_s32(a, vmulq_s32(vldrbq_s32(xp + (size_t)kx * c), vldrbq_s32(wp + (size_t)kx * c)));
      }
    }
    mr_dw_store_mve(b, a, o);
  }
}

typedef void (*mr_dw_inner_fn)(const mr_dw_block_mve *b, const int8_t *xr, const int8_t *w, int nky, int32x4_t acc0,
                               int x, int n, int8_t *o, size_t o_step);
#define MR_DW_INNER_INSTANCE(k)                                                                                     \
  static __attribute__((noinline)) void mr_dw_inner_mve##k(const mr_dw_block_mve *b, const int8_t *xr,              \
                                                           const int8_t *w, int nky, int32x4_t acc0, int x, int n, \
                                                           int8_t *o, size_t o_step) {                             \
    mr_dw_inner_mve(b, xr, w, nky, acc0, x, n, o, o_step, k);                                                      \
  }
MR_DW_INNER_INSTANCE(0)
MR_DW_INNER_INSTANCE(3)
MR_DW_INNER_INSTANCE(5)
MR_DW_INNER_INSTANCE(7)
#undef MR_DW_INNER_INSTANCE

/* Output pixels [x, x + n) whose windows cross the input's left or right edge: the taps within it, in_offset added
 * to each input value. */
static __attribute__((noinline)) void mr_dw_edge_mve(const mr_dw_block_mve *b, const int8_t *xr, const int8_t *w,
                                                      int nky, int x, int n, int8_t *o, size_t o_step) {
  const int c = b->c, k_w = b->k_w;
  int ky, kx;
  for (; n > 0; --n, ++x, o += o_step) {
    const int in_x0 = x * b->s_w - b->pad_left;
    const int kx0 = in_x0 < 0 ? -in_x0 : 0, kx1 = in_x0 + k_w > b->in_w ? b->in_w - in_x0 : k_w;
    int32x4_t a = b->bias;
    for (ky = 0; ky < nky; ++ky) {
      const int8_t *xp = xr + (size_t)ky * b->in_row + (ptrdiff_t)in_x0 * c, *wp = w + (size_t)ky * k_w * c;
      for (kx = kx0; kx < kx1; ++kx) {
        const int32x4_t v = vaddq_n_s32(vldrbq_s32(xp + (size_t)kx * c), b->in_offset);
        a = vaddq_s32(a, vmulq_s32(v, vldrbq_s32(wp + (size_t)kx * c)));
      }
    }
    mr_dw_store_mve(b, a, o);
  }
}

/* Output row out_y of block b (channels [c0, c0 + 4) of `in`), pixel x at out + x*o_step. */
static void mr_dw_block_row_mve(const int8_t *in, const mr_dw_params *p, const mr_dw_block_mve *b,
                                mr_dw_inner_fn inner, int c0, int out_y, int8_t *out, size_t o_step) {
  const int k_w = p->k_w, s_w = p->stride_w, out_w = p->out_w;
  const int in_y0 = out_y * p->stride_h - p->pad_top;
  const int ky0 = in_y0 < 0 ? -in_y0 : 0;
  const int ky1 = in_y0 + p->k_h > p->in_h ? p->in_h - in_y0 : p->k_h;
  const int nky = ky1 > ky0 ? ky1 - ky0 : 0;
  /* pixels [x_a, x_b) read input columns in_x0 .. in_x0 + k_w - 1, all within the input */
  const int x_a_raw = (p->pad_left + s_w - 1) / s_w, x_a = x_a_raw < out_w ? x_a_raw : out_w;
  const int span = p->in_w - k_w + p->pad_left, x_b_raw = span < 0 ? 0 : span / s_w + 1;
  const int x_b = x_b_raw < x_a ? x_a : x_b_raw > out_w ? out_w : x_b_raw;
  const int8_t *xr = in + (size_t)(in_y0 + (nky ? ky0 : 0)) * b->in_row + c0; /* input column 0 */
  const int8_t *w = b->filter + (size_t)ky0 * k_w * b->c;
  int32x4_t acc0 = b->bias;
  int ky;
  for (ky = ky0; ky < ky1; ++ky) acc0 = vaddq_s32(acc0, b->rowsum[ky]);
  if (x_a > 0) mr_dw_edge_mve(b, xr, w, nky, 0, x_a, out, o_step);
  if (x_b > x_a) inner(b, xr, w, nky, acc0, x_a, x_b - x_a, out + (size_t)x_a * o_step, o_step);
  if (out_w > x_b) mr_dw_edge_mve(b, xr, w, nky, x_b, out_w - x_b, out + (size_t)x_b * o_step, o_step);
}

/* The instance of the windows within the input for the layer's k_w. */
static mr_dw_inner_fn mr_dw_inner_of(const mr_dw_params *p) {
  return p->k_w == 3 ? mr_dw_inner_mve3 : p->k_w == 5 ? mr_dw_inner_mve5 : p->k_w == 7 ? mr_dw_inner_mve7
                                                                                      : mr_dw_inner_mve0;
}

int mr_dw_fast(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, const mr_depthwise_unrolled *unrolled) {
  const int c = p->c;
  const size_t row = (size_t)p->out_w * c;
  const mr_dw_inner_fn inner = mr_dw_inner_of(p);
  mr_dw_block_mve b;
  int c0, y;
  (void)unrolled;
  if (p->k_h > MR_DW_MAX_K) return 0;
  for (c0 = 0; c0 + 4 <= c; c0 += 4) {
    mr_dw_block_mve_prepare(&b, p, c0);
    for (y = 0; y < out_h; ++y) mr_dw_block_row_mve(in, p, &b, inner, c0, y, out + y * row + c0, (size_t)c);
  }
  for (y = 0; y < out_h && c0 < c; ++y) mr_dw_row(in, p, y, c0, c - c0, out + y * row + c0, c);
  return 1;
}

/* ---- in place: each block through a ring of four-channel pixels, else through `delay` rows of output pixels. The
 * ring holds the block's k_h input rows an output row reads, each ring_w = (out_w - 1)*stride_w + k_w pixels of four
 * bytes, padded with the input zero point (a padded tap adds filter * (zero point + in_offset) = 0, as TFLM's skipped
 * taps do), so every output pixel takes the four-pixel step and acc0 (in_offset folded in); output row y goes straight
 * over the block's input channels, which mr_dw_ring4_fits checks no later row reads. */

static int32_t mr_dw_ring4_w(const mr_dw_params *p) { return (int32_t)(p->out_w - 1) * p->stride_w + p->k_w; }

static int mr_dw_ring4_fits(const mr_dw_params *p, int out_h, int32_t scratch_bytes) {
  int y;
  if (p->c % 4 || p->k_h > MR_DW_MAX_K || p->k_w > MR_DW_MAX_K || p->pad_top < 0 || p->pad_left < 0 ||
      (int32_t)p->k_h * mr_dw_ring4_w(p) * 4 > scratch_bytes) {
    return 0;
  }
  for (y = 0; y < out_h; ++y) { /* output row y covers only input rows already gathered */
    const int32_t gathered = y * p->stride_h - p->pad_top + p->k_h;
    if (gathered < p->in_h && (int32_t)(y + 1) * p->out_w > gathered * p->in_w) return 0;
  }
  return 1;
}

/* One output row of block b from its ring rows rows[0..K): four pixels per step (the last step overlapping the one
 * before when out_w % 4 != 0), pixel x at out + x*c. K, S_W: the window and stride_w unrolled (0: b's, in loops). */
static inline __attribute__((always_inline)) void mr_dw_ring4_row(const mr_dw_block_mve *b, const int8_t *const *rows,
                                                                  int8_t *out, const int K, const int S_W) {
  const int c = b->c, k_h = K ? K : b->k_h, k_w = K ? K : b->k_w, s_w = S_W ? S_W : b->s_w, out_w = b->out_w;
  const size_t w_row = (size_t)k_w * c;
  int x = 0, ky, kx;
  for (; out_w >= 4 && x >= 0; x = mr_dw_next_step(x, out_w)) {
    int32x4_t a[4] = {b->acc0, b->acc0, b->acc0, b->acc0};
    const int8_t *w = b->filter;
    for (ky = 0; ky < k_h; ++ky, w += w_row) {
      const int8_t *r = rows[ky] + (size_t)x * s_w * 4;
#pragma GCC unroll 7
      for (kx = 0; kx < k_w; ++kx) {
        const int8_t *q = r + 4 * kx;
        /* q opaque: at stride 1 the taps' loads overlap (pixel 1's tap 0 is pixel 0's tap 1), and gcc would keep
         * them in registers across taps, spilling the accumulators (8 vector registers) */
        __asm__("" : "+r"(q));
        mr_dw_tap4_mve(a, vldrbq_s32(w + (size_t)kx * c), q, q + 4 * s_w, q + 8 * s_w, q + 12 * s_w);
      }
    }
    mr_dw_store4_mve(b, a, out + (size_t)x * c, (size_t)c);
  }
  for (x = out_w >= 4 ? out_w : 0; x < out_w; ++x) {
    int32x4_t a = b->acc0;
    const int8_t *w = b->filter;
    for (ky = 0; ky < k_h; ++ky, w += w_row) {
      const int8_t *r = rows[ky] + (size_t)x * s_w * 4;
      for (kx = 0; kx < k_w; ++kx) a = vaddq_s32(a, vmulq_s32(vldrbq_s32(r + 4 * kx), vldrbq_s32(w + (size_t)kx * c)));
    }
    mr_dw_store_mve(b, a, out + (size_t)x * c);
  }
}

#define MR_DW_MVE_INSTANCE(k, stride)                                                                   \
  void mr_dw_mve_k##k##s##stride(const mr_dw_block_mve *b, const int8_t *const *rows, int8_t *out) {   \
    mr_dw_ring4_row(b, rows, out, k, stride);                                                           \
  }
MR_DW_MVE_INSTANCE(3, 1) MR_DW_MVE_INSTANCE(3, 2) MR_DW_MVE_INSTANCE(5, 1) MR_DW_MVE_INSTANCE(5, 2)
MR_DW_MVE_INSTANCE(7, 1) MR_DW_MVE_INSTANCE(7, 2)
#undef MR_DW_MVE_INSTANCE

/* Windows and strides without an instance (or a call that passed none for its size). */
static __attribute__((noinline)) void mr_dw_ring4_any(const mr_dw_block_mve *b, const int8_t *const *rows,
                                                       int8_t *out) {
  mr_dw_ring4_row(b, rows, out, 0, 0);
}

/* Input row `row` of the block at `src` (its column 0) into a ring row: `left` zero points, n pixels, zero points to
 * ring_w; an input row outside the image is all zero points. */
static void mr_dw_ring4_gather(uint32_t *dst, const int8_t *src, const mr_dw_params *p, int row, int32_t ring_w,
                               uint32_t zp4) {
  const int c = p->c, in_image = row >= 0 && row < p->in_h;
  const int32_t left = !in_image ? ring_w : p->pad_left < ring_w ? p->pad_left : ring_w;
  const int32_t n = !in_image ? 0 : ring_w - left < p->in_w ? ring_w - left : p->in_w;
  int32_t x;
  for (x = 0; x < left; ++x) *dst++ = zp4;
  for (x = 0; x < n; ++x, src += c) memcpy(dst++, src, 4);
  for (x = left + n; x < ring_w; ++x) *dst++ = zp4;
}

static void mr_dw_ring4_inplace(int8_t *inout, const mr_dw_params *p, int out_h, uint32_t *ring, mr_dw_mve_fn row_fn) {
  const int c = p->c, k_h = p->k_h;
  const int32_t ring_w = mr_dw_ring4_w(p);
  const size_t in_row = (size_t)p->in_w * c, out_row = (size_t)p->out_w * c;
  const uint32_t zp4 = (uint32_t)(uint8_t)(int8_t)-p->in_offset * 0x01010101u;
  mr_dw_block_mve b;
  int c0, y, ky;
  for (c0 = 0; c0 < c; c0 += 4) {
    int next_row = -p->pad_top; /* next input row to gather */
    mr_dw_block_mve_prepare(&b, p, c0);
    for (y = 0; y < out_h; ++y) {
      const int in_y0 = y * p->stride_h - p->pad_top;
      const int8_t *rows[MR_DW_MAX_K];
      if (next_row < in_y0) next_row = in_y0;
      for (; next_row < in_y0 + k_h; ++next_row) {
        uint32_t *dst = ring + (size_t)((next_row + p->pad_top) % k_h) * ring_w;
        mr_dw_ring4_gather(dst, inout + (ptrdiff_t)next_row * (ptrdiff_t)in_row + c0, p, next_row, ring_w, zp4);
      }
      for (ky = 0; ky < k_h; ++ky) {
        rows[ky] = (const int8_t *)(ring + (size_t)((in_y0 + ky + p->pad_top) % k_h) * ring_w);
      }
      row_fn(&b, rows, inout + (size_t)y * out_row + c0);
    }
  }
}

/* ---- narrow outputs in place: a block's whole input, padded, in scratch (k_h + (out_h - 1)*stride_h rows of
 * ring_w four-byte pixels: the ring's layout with every row at once), gathered before any output is written, so the
 * four-pixel steps run over all out_h*out_w pixels, across rows (a row of fewer than eight pixels wastes a step's
 * lanes or overlaps it). */
static int mr_dw_whole_rows(const mr_dw_params *p, int out_h) { return p->k_h + (out_h - 1) * p->stride_h; }

static int mr_dw_whole_fits(const mr_dw_params *p, int out_h, int32_t scratch_bytes) {
  return p->out_w < 8 && p->c % 4 == 0 && p->k_h <= MR_DW_MAX_K && p->k_w <= MR_DW_MAX_K && p->pad_top >= 0 &&
         p->pad_left >= 0 && (int32_t)mr_dw_whole_rows(p, out_h) * mr_dw_ring4_w(p) * 4 <= scratch_bytes;
}

/* Every output pixel of block b (pixel i at out + i*c) from its whole padded input at win. */
static __attribute__((noinline)) void mr_dw_whole_block(const mr_dw_block_mve *b, const int8_t *win, int out_h,
                                                         int s_h, int8_t *out) {
  const int c = b->c, k_h = b->k_h, k_w = b->k_w, s_w = b->s_w, out_w = b->out_w, n = out_h * out_w;
  const size_t win_row = (size_t)((out_w - 1) * s_w + k_w) * 4, w_row = (size_t)k_w * c;
  int x = 0, ky, kx, i;
  for (; n >= 4 && x >= 0; x = mr_dw_next_step(x, n)) {
    int32x4_t a[4] = {b->acc0, b->acc0, b->acc0, b->acc0};
    const int8_t *w = b->filter, *q[4];
    for (i = 0; i < 4; ++i) {
      const int r = (x + i) / out_w, col = x + i - r * out_w;
      q[i] = win + (size_t)r * s_h * win_row + (size_t)col * s_w * 4;
    }
    for (ky = 0; ky < k_h; ++ky, w += w_row) {
      size_t at = ky * win_row;
      for (kx = 0; kx < k_w; ++kx, at += 4) {
        mr_dw_tap4_mve(a, vldrbq_s32(w + (size_t)kx * c), q[0] + at, q[1] + at, q[2] + at, q[3] + at);
      }
    }
    mr_dw_store4_mve(b, a, out + (size_t)x * c, (size_t)c);
  }
  for (x = n >= 4 ? n : 0; x < n; ++x) { /* fewer than four pixels in all */
    const int r = x / out_w, col = x - r * out_w;
    const int8_t *w = b->filter, *q = win + (size_t)r * s_h * win_row + (size_t)col * s_w * 4;
    int32x4_t a = b->acc0;
    for (ky = 0; ky < k_h; ++ky, w += w_row, q += win_row) {
      for (kx = 0; kx < k_w; ++kx) a = vaddq_s32(a, vmulq_s32(vldrbq_s32(q + 4 * kx), vldrbq_s32(w + (size_t)kx * c)));
    }
    mr_dw_store_mve(b, a, out + (size_t)x * c);
  }
}

static void mr_dw_whole_inplace(int8_t *inout, const mr_dw_params *p, int out_h, uint32_t *win) {
  const int c = p->c, rows = mr_dw_whole_rows(p, out_h);
  const int32_t ring_w = mr_dw_ring4_w(p);
  const size_t in_row = (size_t)p->in_w * c;
  const uint32_t zp4 = (uint32_t)(uint8_t)(int8_t)-p->in_offset * 0x01010101u;
  mr_dw_block_mve b;
  int c0, j;
  for (c0 = 0; c0 < c; c0 += 4) {
    mr_dw_block_mve_prepare(&b, p, c0);
    for (j = 0; j < rows; ++j) {
      const int row = j - p->pad_top;
      mr_dw_ring4_gather(win + (size_t)j * ring_w, inout + (ptrdiff_t)row * (ptrdiff_t)in_row + c0, p, row, ring_w,
                         zp4);
    }
    mr_dw_whole_block(&b, (const int8_t *)win, out_h, p->stride_h, inout + c0);
  }
}

/* In place: blocks of four channels whenever the whole input, the ring or `delay` rows of them fit in scratch. */
int mr_dw_blocks_order(const mr_dw_params *p, int out_h, int32_t delay, int32_t scratch_bytes) {
  if (mr_dw_whole_fits(p, out_h, scratch_bytes) || mr_dw_ring4_fits(p, out_h, scratch_bytes)) {
    return MR_DW_BLOCKS_FIRST;
  }
  return p->c % 4 == 0 && delay * p->out_w * 4 <= scratch_bytes && p->k_h <= MR_DW_MAX_K ? MR_DW_BLOCKS_FIRST
                                                                                         : MR_DW_NO_BLOCKS;
}

void mr_dw_blocks_inplace(int8_t *inout, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
                          int32_t delay, const mr_depthwise_unrolled *unrolled) {
  const int c = p->c, out_w = p->out_w;
  const mr_dw_inner_fn inner = mr_dw_inner_of(p);
  mr_dw_block_mve b;
  int c0, x;
  int32_t y;
  if (mr_dw_whole_fits(p, out_h, scratch_bytes)) {
    mr_dw_whole_inplace(inout, p, out_h, (uint32_t *)(void *)scratch);
    return;
  }
  if (mr_dw_ring4_fits(p, out_h, scratch_bytes)) {
    const mr_dw_mve_fn row_fn = mr_dw_mve_of(unrolled, p);
    mr_dw_ring4_inplace(inout, p, out_h, (uint32_t *)(void *)scratch, row_fn ? row_fn : mr_dw_ring4_any);
    return;
  }
  for (c0 = 0; c0 < c; c0 += 4) { /* each block's rows through `delay` rows of four-channel pixels in scratch */
    mr_dw_block_mve_prepare(&b, p, c0);
    for (y = 0; y < out_h + delay - 1; ++y) {
      if (y < out_h) mr_dw_block_row_mve(inout, p, &b, inner, c0, (int)y, scratch + (y % delay) * out_w * 4, 4);
      for (x = 0; y - delay + 1 >= 0 && x < out_w; ++x) { /* row w = y - delay + 1 back over its input */
        const int32_t w = y - delay + 1;
        memcpy(inout + ((size_t)w * out_w + x) * c + c0, scratch + ((w % delay) * out_w + x) * 4, 4);
      }
    }
  }
}
#endif
