/* DEPTHWISE_CONV_2D int8 for the windows the fast kernels leave (any depth multiplier, dilation, window shape), out
 * of place: the bytes of mr_depthwise_conv2d_dilated_s8. On the Arm DSP path (MR_DSP) output channels go in blocks of
 * four, each with a table of its taps: the filter widened into pairs (0, 2), (1, 3) of int16 halves next to the
 * tap's input offset in bytes, so that a pixel whose window lies within the input runs one loop over the table, per
 * tap one word of input and four __smlabb / __smlatt, its accumulators starting at bias + input offset * taps. The
 * four input values a block reads are channels ic..ic+3 (multiplier 1), ic, ic, ic+1, ic+1 (multiplier 2) or ic
 * four times (a multiple of 4); other multipliers, the channels past the last block and windows of more than
 * MR_DWW_MAX_TAPS taps take the reference loop. Elsewhere the reference kernel runs. */
#include "mr_dsp.h"
#include "mr_kernels.h"

#ifdef MR_DSP
/* The tap table lives on the stack (12 bytes a tap): a 9x9 (or 10x8) window at most. */
#define MR_DWW_MAX_TAPS 81
/* Output pixels accumulated before they are requantized (the four channels' constants then stay in registers). */
#define MR_DWW_CHUNK 24

typedef struct {
  int32_t w02, w13; /* the block's filter taps: channels 0 and 2, 1 and 3, as int16 halves */
  int32_t off;      /* the tap's input, in bytes from the window's first */
} mr_dww_tap;

/* One block of four output channels, as its pixels' loops read it. */
typedef struct {
  const int8_t *in;
  int in_h, in_w, in_c, k_h, k_w, s_h, s_w, d_h, d_w, pad_top, pad_left;
  int32_t off2;    /* the input offset in both halves */
  int32_t b[4];    /* bias (doubled when `doubled`) */
  int32_t b_in[4]; /* b plus the input offset times every tap */
  int32_t mult[4], shift[4], add[4]; /* add, shift: mr_requantize_doubled's, when `doubled` */
  int doubled;                       /* the block requantizes 2*acc in one SMMLAR (taps and bias doubled) */
  int mult_form;                     /* mr_dww_inputs' MULT */
  int full;                          /* the activation range is all of int8 */
  int32_t out_offset, act_min, act_max;
  mr_dww_tap *taps; /* [k_h * k_w], row by row */
} mr_dww_block;

/* The four input values of a block at xp (plus the input offset when OFFSET), in the halves of x02 (channels 0, 2)
 * and x13 (1, 3). MULT: the depth multiplier (1, 2, or 4 for any multiple of 4). */
static inline __attribute__((always_inline)) void mr_dww_inputs(const int8_t *xp, int32_t off2, int32_t *x02,
                                                                 int32_t *x13, const int MULT, const int OFFSET) {
  if (MULT == 1) {
    const int32_t v = mr_read_s8x4(xp);
    *x02 = OFFSET ? __sxtab16(off2, v) : __sxtb16(v);
    *x13 = OFFSET ? mr_sxtab16_ror8(off2, v) : mr_sxtb16_ror8(v);
  } else {
    /* bytes ic, ic+1 (MULT 2) or ic, ic (a multiple of 4) at 0 and 2 */
    const uint32_t v = MULT == 2 ? (uint32_t)(uint8_t)xp[0] | (uint32_t)(uint8_t)xp[1] << 16
                                 : (uint32_t)(uint8_t)xp[0] * 0x10001u;
    *x02 = *x13 = OFFSET ? __sxtab16(off2, (int32_t)v) : __sxtb16((int32_t)v);
  }
}

#define MR_DWW_TAP(t, x)                                       \
  do {                                                         \
    a0 = __smlabb((t)->w02, x02, a0);                          \
    a2 = __smlatt((t)->w02, x02, a2);                          \
    a1 = __smlabb((t)->w13, x13, a1);                          \
    a3 = __smlatt((t)->w13, x13, a3);                          \
  } while (0)

/* The accumulators of a pixel whose window lies within the input (its first tap's input at x), into acc[i][0]. */
static inline __attribute__((always_inline)) void mr_dww_inner(const mr_dww_block *k, const mr_dww_tap *t,
                                                                const mr_dww_tap *end, const int8_t *x,
                                                                int32_t (*acc)[MR_DWW_CHUNK], const int MULT) {
  int32_t a0 = k->b_in[0], a1 = k->b_in[1], a2 = k->b_in[2], a3 = k->b_in[3];
#pragma GCC unroll 3
  for (; t != end; ++t) {
    int32_t x02, x13;
    mr_dww_inputs(x + t->off, 0, &x02, &x13, MULT, 0);
    MR_DWW_TAP(t, x);
  }
  acc[0][0] = a0, acc[1][0] = a1, acc[2][0] = a2, acc[3][0] = a3;
}

/* The accumulators of pixel (y, x) whose window crosses the input's edge: its taps within the input, each input plus
 * the offset (as TFLM skips the others). */
static inline __attribute__((always_inline)) void mr_dww_border(const mr_dww_block *k, int ic0, int y, int x,
                                                                 int32_t (*acc)[MR_DWW_CHUNK], const int MULT) {
  const int in_y0 = y * k->s_h - k->pad_top, in_x0 = x * k->s_w - k->pad_left;
  const int ky0 = in_y0 < 0 ? (-in_y0 + k->d_h - 1) / k->d_h : 0;
  const int ky_end = (k->in_h - in_y0 + k->d_h - 1) / k->d_h, ky1 = ky_end < k->k_h ? ky_end : k->k_h;
  const int kx0 = in_x0 < 0 ? (-in_x0 + k->d_w - 1) / k->d_w : 0;
  const int kx_end = (k->in_w - in_x0 + k->d_w - 1) / k->d_w, kx1 = kx_end < k->k_w ? kx_end : k->k_w;
  const int32_t off2 = k->off2;
  const int8_t *x0 = k->in + ((ptrdiff_t)in_y0 * k->in_w + in_x0) * k->in_c + ic0; /* tap (0, 0), maybe outside */
  int32_t a0 = k->b[0], a1 = k->b[1], a2 = k->b[2], a3 = k->b[3];
  int ky, kx;
  for (ky = ky0; ky < ky1; ++ky) {
    const mr_dww_tap *t = k->taps + ky * k->k_w + kx0;
    for (kx = kx0; kx < kx1; ++kx, ++t) {
      int32_t x02, x13;
      mr_dww_inputs(x0 + t->off, off2, &x02, &x13, MULT, 1);
      MR_DWW_TAP(t, x);
    }
  }
  acc[0][0] = a0, acc[1][0] = a1, acc[2][0] = a2, acc[3][0] = a3;
}

/* Accumulators acc[i][0..n) of the block's channel i requantized to out[x*out_c + i] (its constants read once: the
 * int8 stores may alias k). */
static __attribute__((noinline)) void mr_dww_requant(const mr_dww_block *k, int32_t (*acc)[MR_DWW_CHUNK], int n,
                                                     int8_t *out, size_t out_c) {
  const int32_t act_min = k->act_min, act_max = k->act_max, out_offset = k->out_offset;
  const int doubled = k->doubled, full = k->full;
  int i, x;
  for (i = 0; i < 4; ++i) {
    const int32_t *a = acc[i];
    const int32_t mult = k->mult[i], add = k->add[i], shift = k->shift[i];
    int8_t *o = out + i;
    if (doubled && full) {
      for (x = 0; x < n; ++x, o += out_c) *o = (int8_t)__ssat(mr_requantize_doubled(a[x], mult, add, shift), 8);
    } else if (doubled) {
      for (x = 0; x < n; ++x, o += out_c) {
        *o = (int8_t)mr_clamp_i32(mr_requantize_doubled(a[x], mult, add, shift), act_min, act_max);
      }
    } else {
      for (x = 0; x < n; ++x, o += out_c) {
        *o = (int8_t)mr_clamp_i32(mr_requantize(a[x], mult, shift) + out_offset, act_min, act_max);
      }
    }
  }
}

/* The first output position (of n) whose window starts within the input (pad before it, stride s). */
static inline int mr_dww_first_inside(int pad, int s, int n) {
  const int first = (pad + s - 1) / s;
  return first < n ? first : n;
}

/* The end of the output positions from `first` on whose window (k taps d apart) ends within the input (in of it). */
static inline int mr_dww_end_inside(int in, int k, int d, int pad, int s, int first, int n) {
  const int last_start = in - 1 - (k - 1) * d + pad, end = last_start < 0 ? 0 : last_start / s + 1;
  return end < first ? first : end > n ? n : end;
}

/* Every output row of block k (input channel ic0 first), pixel (y, x) at out + (y*out_w + x)*out_c: the pixels whose
 * window lies within the input (rows [y_a, y_b), columns [x_a, x_b)) through mr_dww_inner, the others through
 * mr_dww_border. */
static inline __attribute__((always_inline)) void mr_dww_rows(const mr_dww_block *k, int ic0, int out_h, int out_w,
                                                               int8_t *out, size_t out_c, const int MULT) {
  const int x_a = mr_dww_first_inside(k->pad_left, k->s_w, out_w);
  const int x_b = mr_dww_end_inside(k->in_w, k->k_w, k->d_w, k->pad_left, k->s_w, x_a, out_w);
  const int y_a = mr_dww_first_inside(k->pad_top, k->s_h, out_h);
  const int y_b = mr_dww_end_inside(k->in_h, k->k_h, k->d_h, k->pad_top, k->s_h, y_a, out_h);
  const mr_dww_tap *const end = k->taps + k->k_h * k->k_w;
  const size_t x_stride = (size_t)k->s_w * k->in_c;
  int32_t acc[4][MR_DWW_CHUNK];
  int y, x, x0;
  for (y = 0; y < out_h; ++y) {
    const int x_in = y >= y_a && y < y_b ? x_a : out_w; /* rows cut by the input's edge: border pixels only */
    const int8_t *row = k->in + ((ptrdiff_t)(y * k->s_h - k->pad_top) * k->in_w - k->pad_left) * k->in_c + ic0;
    int8_t *o = out + (size_t)y * out_w * out_c;
    for (x0 = 0; x0 < out_w; x0 += MR_DWW_CHUNK) {
      const int x1 = out_w - x0 < MR_DWW_CHUNK ? out_w : x0 + MR_DWW_CHUNK;
      const int inner0 = x_in < x0 ? x0 : x_in > x1 ? x1 : x_in, inner1 = x_b < inner0 ? inner0 : x_b > x1 ? x1 : x_b;
      const int8_t *xi = row + (ptrdiff_t)inner0 * x_stride;
      int32_t *a = &acc[0][inner0 - x0];
      for (x = x0; x < inner0; ++x) mr_dww_border(k, ic0, y, x, (int32_t(*)[MR_DWW_CHUNK]) & acc[0][x - x0], MULT);
      for (; x < inner1; ++x, xi += x_stride, ++a) mr_dww_inner(k, k->taps, end, xi, (int32_t(*)[MR_DWW_CHUNK])a, MULT);
      for (; x < x1; ++x) mr_dww_border(k, ic0, y, x, (int32_t(*)[MR_DWW_CHUNK]) & acc[0][x - x0], MULT);
      mr_dww_requant(k, acc, x1 - x0, o + (size_t)x0 * out_c, out_c);
    }
  }
}

typedef void (*mr_dww_rows_fn)(const mr_dww_block *k, int ic0, int out_h, int out_w, int8_t *out, size_t out_c);
#define MR_DWW_INSTANCE(mult)                                                                                    \
  static __attribute__((noinline)) void mr_dww_rows##mult(const mr_dww_block *k, int ic0, int out_h, int out_w,  \
                                                          int8_t *out, size_t out_c) {                           \
    mr_dww_rows(k, ic0, out_h, out_w, out, out_c, mult);                                                         \
  }
MR_DWW_INSTANCE(1)
MR_DWW_INSTANCE(2)
MR_DWW_INSTANCE(4)
#undef MR_DWW_INSTANCE

/* Output channel oc at every pixel, the reference loop (mr_depthwise_conv2d_dilated_s8's arithmetic). */
static void mr_dww_channel(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int oc) {
  const MR_CONST mr_window *w = &p->window;
  const int in_h = p->input.h, in_w = p->input.w, in_c = p->input.c, out_c = p->output.c;
  const int ic = oc / p->depth_multiplier;
  int out_y, out_x, ky, kx;
  for (out_y = 0; out_y < p->output.h; ++out_y) {
    for (out_x = 0; out_x < p->output.w; ++out_x) {
      const int in_y0 = out_y * w->stride_h - w->pad_top, in_x0 = out_x * w->stride_w - w->pad_left;
      int32_t acc = 0;
      for (ky = 0; ky < w->k_h; ++ky) {
        const int in_y = in_y0 + w->dilation_h * ky;
        for (kx = 0; kx < w->k_w && in_y >= 0 && in_y < in_h; ++kx) {
          const int in_x = in_x0 + w->dilation_w * kx;
          if (in_x < 0 || in_x >= in_w) continue;
          acc += p->filter[((size_t)ky * w->k_w + kx) * out_c + oc] *
                 (in[((size_t)in_y * in_w + in_x) * in_c + ic] + p->input_offset);
        }
      }
      if (p->bias) acc += p->bias[oc];
      acc = mr_requantize(acc, p->quant.multiplier[oc], p->quant.shift[oc]) + p->output_offset;
      out[((size_t)out_y * p->output.w + out_x) * out_c + oc] =
          (int8_t)mr_clamp_i32(acc, p->activation.min, p->activation.max);
    }
  }
}

/* Sets up the block of output channels [oc0, oc0 + 4): its tap table, bias and requantization; taps and bias doubled
 * when the block requantizes 2*acc. */
static void mr_dww_prepare(mr_dww_block *k, mr_dww_tap *taps, const MR_CONST mr_conv_params *p, int oc0) {
  const int out_c = p->output.c;
  int i, ky, kx;
  mr_dww_tap *t = taps;
  k->doubled = 1;
  for (i = 0; i < 4; ++i) {
    k->b[i] = p->bias ? p->bias[oc0 + i] : 0;
    k->mult[i] = p->quant.multiplier[oc0 + i];
    k->shift[i] = p->quant.shift[oc0 + i];
    /* 2*acc in one SMMLAR (mr_common.h): a right shift of 1..21, |acc| < 2^30 (the taps add < 2^7 * 2^7 * 2^8),
     * and multipliers >= 0, whose sign the rounding reads from acc's */
    k->doubled = k->doubled && mr_requant_doubled_allows(-1 - k->shift[i]) && k->mult[i] >= 0 &&
                 k->b[i] > -((int32_t)1 << 29) && k->b[i] < ((int32_t)1 << 29);
  }
  for (i = 0; i < 4 && k->doubled; ++i) {
    k->add[i] = mr_requant_doubled_add(p->output_offset, -1 - k->shift[i]);
    k->shift[i] = -k->shift[i];
    k->b[i] *= 2;
  }
  for (i = 0; i < 4; ++i) k->b_in[i] = k->b[i];
  for (ky = 0; ky < k->k_h; ++ky) {
    for (kx = 0; kx < k->k_w; ++kx, ++t) {
      const int32_t v = mr_read_s8x4(p->filter + (size_t)(ky * k->k_w + kx) * out_c + oc0);
      const int32_t w02 = __sxtb16(v), w13 = mr_sxtb16_ror8(v);
      t->w02 = k->doubled ? __sadd16(w02, w02) : w02;
      t->w13 = k->doubled ? __sadd16(w13, w13) : w13;
      t->off = (int32_t)((ky * k->d_h * k->in_w + kx * k->d_w) * k->in_c);
      /* unsigned: TFLM's accumulators wrap */
      k->b_in[0] += (uint32_t)((int16_t)t->w02 * p->input_offset);
      k->b_in[2] += (uint32_t)((int16_t)(t->w02 >> 16) * p->input_offset);
      k->b_in[1] += (uint32_t)((int16_t)t->w13 * p->input_offset);
      k->b_in[3] += (uint32_t)((int16_t)(t->w13 >> 16) * p->input_offset);
    }
  }
  k->taps = taps;
}

void mr_depthwise_conv2d_general_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  const MR_CONST mr_window *win = &p->window;
  const int mult = p->depth_multiplier, out_c = p->output.c;
  const int form = mult == 1 || mult == 2 ? mult : mult % 4 == 0 ? 4 : 0; /* mr_dww_inputs' MULT, 0: none */
  const int blocks = form && win->k_h * win->k_w <= MR_DWW_MAX_TAPS ? out_c / 4 : 0;
  const mr_dww_rows_fn rows = form == 1 ? mr_dww_rows1 : form == 2 ? mr_dww_rows2 : mr_dww_rows4;
  mr_dww_tap taps[MR_DWW_MAX_TAPS];
  mr_dww_block k;
  int b, oc;
  k.in = in;
  k.in_h = p->input.h, k.in_w = p->input.w, k.in_c = p->input.c;
  k.k_h = win->k_h, k.k_w = win->k_w, k.s_h = win->stride_h, k.s_w = win->stride_w;
  k.d_h = win->dilation_h, k.d_w = win->dilation_w, k.pad_top = win->pad_top, k.pad_left = win->pad_left;
  k.off2 = mr_pack_s16x2(p->input_offset, p->input_offset);
  k.out_offset = p->output_offset, k.act_min = p->activation.min, k.act_max = p->activation.max;
  k.full = k.act_min == MR_INT8_MIN && k.act_max == MR_INT8_MAX;
  k.mult_form = form;
  for (b = 0; b < blocks; ++b) {
    mr_dww_prepare(&k, taps, p, 4 * b);
    rows(&k, 4 * b / mult, p->output.h, p->output.w, out + 4 * b, (size_t)out_c);
  }
  for (oc = 4 * blocks; oc < out_c; ++oc) mr_dww_channel(p, in, out, oc);
}
#else
void mr_depthwise_conv2d_general_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  mr_depthwise_conv2d_dilated_s8(p, in, out);
}
#endif
