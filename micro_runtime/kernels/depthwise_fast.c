/* DEPTHWISE_CONV_2D int8 (depth multiplier 1), fast: same bytes as mr_depthwise_conv2d_s8.
 * acc = bias + sum over in-image taps of filter * (input + in_offset); with int8 filters and
 * in_offset in [-127, 128] each product fits int16, which lets gcc vectorise across channels.
 * Channels are the inner (vector) dimension: 16 at a time on the portable path, 4 at a time with
 * __sxtab16 / __smlabb / __smlatt on the Arm DSP path. Border pixels take the same code with the
 * out-of-image taps skipped.
 *
 * This file: the entry points, the choice of mode, the sizes and the portable path. The Arm DSP path is in
 * depthwise_fast_dsp.c, the x86 one in depthwise_fast_x86.c (mr_depthwise_fast_internal.h: what they share). */
#include "mr_depthwise_fast_internal.h"

void mr_depthwise_conv2d_fast_s8(const MR_CONST mr_conv_params *cp, const mr_depthwise_unrolled *unrolled,
                                 const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&cp->output));
  const mr_dw_params p = mr_dw_params_of(cp);
  const int out_h = cp->output.h;
  int y;
  if (mr_dw_fast(in, out, &p, out_h, unrolled)) return;
  for (y = 0; y < out_h; ++y) mr_dw_row(in, &p, y, 0, p.c, out + (size_t)y * p.out_w * p.c, p.c);
}

void mr_depthwise_conv2d_inplace_fast_s8(const MR_CONST mr_conv_params *cp, const mr_depthwise_unrolled *unrolled,
                                         int8_t *inout, int8_t *scratch, int32_t scratch_bytes) {
  MR_CHECK(inout, mr_checked_elements(&cp->output));
  MR_CHECK(scratch, scratch_bytes);
  const mr_dw_params p = mr_dw_params_of(cp);
  const int c = p.c, out_h = cp->output.h, out_w = p.out_w;
  const int32_t row_bytes = (int32_t)out_w * c;
  const int32_t delay = mr_depthwise_inplace_row_delay(cp);
  const int blocks = mr_dw_blocks_order(&p, out_h, delay, scratch_bytes);
  const int narrow = blocks == MR_DW_BLOCKS_FIRST ? -1 : mr_dw_ring_narrow(&p, out_h, scratch_bytes, 1);
  if (narrow >= 0 && mr_dw_ring(inout, inout, &p, out_h, scratch, scratch_bytes, narrow, unrolled)) {
    return; /* channel by channel through a ring of input rows */
  }
  if (blocks != MR_DW_NO_BLOCKS) {
    mr_dw_blocks_inplace(inout, &p, out_h, scratch, scratch_bytes, delay, unrolled); /* the rows mode below on blocks of channels */
    return;
  }
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

int32_t mr_depthwise_inplace_row_delay(const MR_CONST mr_conv_params *p) {
  const int stride_h = p->window.stride_h, pad_top = p->window.pad_top, out_h = p->output.h;
  const int32_t row_in = (int32_t)p->input.w * p->input.c, row_out = (int32_t)p->output.w * p->output.c;
  int32_t d, w;
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

static int mr_dw_ring_fits(int k_h, int k_w, int stride_w, int pad_top, int pad_left, int out_h, int out_w) {
  return k_h == k_w && (k_h == 3 || k_h == 5 || k_h == 7) && (stride_w == 1 || stride_w == 2) && pad_top >= 0 &&
         pad_left >= 0 && (int32_t)out_h * out_w >= MR_DW_RING_MIN_PIXELS;
}

int mr_depthwise_ring_fits(const MR_CONST mr_conv_params *p) {
  const MR_CONST mr_window *w = &p->window;
  return mr_dw_ring_fits(w->k_h, w->k_w, w->stride_w, w->pad_top, w->pad_left, p->output.h, p->output.w);
}

int32_t mr_depthwise_ring_bytes(const MR_CONST mr_conv_params *p, int narrow) {
  return mr_dw_ring_bytes(p->window.k_h, p->window.stride_w, p->output.w, narrow);
}

int mr_dw_ring_narrow(const mr_dw_params *p, int out_h, int32_t scratch_bytes, int in_place) {
  const int k = p->k_h, s_w = p->stride_w;
  int y, narrow;
  if (!mr_dw_ring_fits(k, p->k_w, s_w, p->pad_top, p->pad_left, out_h, p->out_w)) return -1;
  if (mr_dw_ring_bytes(k, s_w, p->out_w, 0) <= scratch_bytes) narrow = 0;
  else if (mr_dw_ring_bytes(k, s_w, p->out_w, 1) <= scratch_bytes) narrow = 1;
  else return -1;
  for (y = 0; y < out_h && in_place; ++y) { /* output row y covers only gathered input rows */
    const int32_t gathered = y * p->stride_h - p->pad_top + k;
    if (gathered < p->in_h && (int32_t)(y + 1) * p->out_w > gathered * p->in_w) return -1;
  }
  return narrow;
}

int mr_depthwise_inplace_mode(const MR_CONST mr_conv_params *cp, int32_t scratch_bytes) {
  const mr_dw_params p = mr_dw_params_of(cp);
  const int narrow = mr_dw_ring_narrow(&p, cp->output.h, scratch_bytes, 1);
  if (narrow >= 0) return narrow ? MR_DEPTHWISE_RING8 : MR_DEPTHWISE_RING16;
  return mr_depthwise_inplace_scratch_bytes(cp, MR_DEPTHWISE_ROWS) <= scratch_bytes ? MR_DEPTHWISE_ROWS
                                                                                      : MR_DEPTHWISE_CHANNELS;
}

int32_t mr_depthwise_inplace_scratch_bytes(const MR_CONST mr_conv_params *p, int mode) {
  switch (mode) {
    case MR_DEPTHWISE_RING16:
    case MR_DEPTHWISE_RING8:
      return mr_depthwise_ring_fits(p) ? mr_depthwise_ring_bytes(p, mode == MR_DEPTHWISE_RING8) : 0;
    case MR_DEPTHWISE_ROWS:
      return mr_depthwise_inplace_row_delay(p) * p->output.w * p->output.c;
    default:
      return (int32_t)p->output.h * p->output.w;
  }
}

#ifndef MR_DSP
/* 16 channels per step (then 8), the rest one by one: gcc vectorises the steps (SSE2 on x86-64). */
void mr_dw_row(const int8_t *in, const mr_dw_params *p, int out_y, int c0, int n, int8_t *out, int out_stride) {
  const int c = p->c;
  const int in_y0 = out_y * p->stride_h - p->pad_top;
  const int ky0 = in_y0 < 0 ? -in_y0 : 0;
  const int ky1 = in_y0 + p->k_h > p->in_h ? p->in_h - in_y0 : p->k_h;
  const int16_t off = (int16_t)p->in_offset;
  int x;
  for (x = 0; x < p->out_w; ++x) {
    const int in_x0 = x * p->stride_w - p->pad_left;
    const int kx0 = in_x0 < 0 ? -in_x0 : 0;
    const int kx1 = in_x0 + p->k_w > p->in_w ? p->in_w - in_x0 : p->k_w;
    int8_t *o = out + (size_t)x * out_stride;
    int j = 0, ky, kx;
    for (; j + 16 <= n; j += 16) {
      const int ch = c0 + j;
      int32_t acc[16];
      int i;
      for (i = 0; i < 16; ++i) acc[i] = p->bias ? p->bias[ch + i] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const MR_CONST int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int8_t *xv = xr + (size_t)kx * c;
          const MR_CONST int8_t *wv = wr + (size_t)kx * c;
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
        const MR_CONST int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int8_t *xv = xr + (size_t)kx * c;
          const MR_CONST int8_t *wv = wr + (size_t)kx * c;
          for (i = 0; i < 8; ++i) acc[i] += (int16_t)(wv[i] * (int16_t)(xv[i] + off));
        }
      }
      for (i = 0; i < 8; ++i) {
        o[j + i] = mr_dw_out(acc[i], p, ch + i);
      }
    }
    for (; j < n; ++j) o[j] = mr_dw_out(mr_dw_pixel_acc(in, p, c, in_y0, in_x0, ky0, ky1, kx0, kx1, c0 + j), p, c0 + j);
  }
}
#endif

#if !defined(MR_DSP) && !defined(MR_SSE2)
/* The portable ring mode: accumulators of output pixels [x0, x0 + n) of one row from the ring rows: K, S_W and
 * NARROW are constants in each instance (mr_dw_acc_k<K>s<S_W>n<NARROW>), the only code specialised per shape. */
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

typedef void (*mr_dw_acc_fn)(const void *const *rows, int x0, int n, const mr_dw_taps *w, int32_t acc0,
                             int32_t *acc);
#define MR_DW_ACC_INSTANCE(k, stride, narrow)                                                               \
  static void mr_dw_acc_k##k##s##stride##n##narrow(const void *const *rows, int x0, int n, const mr_dw_taps *w, \
                                                   int32_t acc0, int32_t *acc) {                            \
    mr_dw_acc_row(rows, x0, n, w, acc0, acc, k, stride, narrow);                                            \
  }
MR_DW_RING_SHAPES(MR_DW_ACC_INSTANCE)
#undef MR_DW_ACC_INSTANCE

MR_DW_UNROLLED_RINGS

#define MR_DW_CHUNK 32 /* output pixels accumulated before they are requantized */

/* One channel of the ring mode: gather rows of `in`, accumulate (acc_row), requantize, write to `out` (in place:
 * out = in, over the input). */
static void mr_dw_channel(const int8_t *in, int8_t *out_base, const mr_dw_params *p, int out_h, int ch, void *ring,
                          int narrow, mr_dw_acc_fn acc_row) {
  const int c = p->c, out_w = p->out_w, stride = (int)mr_dw_ring_stride(p->k_h, p->stride_w, out_w, narrow);
  /* from the shift itself: here mr_requant_prepare_rshift_m1 costs gcc 16 more bytes of stack frame */
  const mr_requant rq = mr_requant_prepare(p->out_mult[ch], -1 - p->out_rshift_m1[ch]);
  const int32_t out_offset = p->out_offset, act_min = p->act_min, act_max = p->act_max;
  mr_dw_taps w; /* every entry the tap loops read is set by mr_dw_channel_taps */
  const int32_t acc0 = (int32_t)mr_dw_channel_taps(&w, p, ch);
  int32_t acc[MR_DW_CHUNK];
  int next_row = -p->pad_top; /* next input row to gather */
  int y, x0, x;
  for (y = 0; y < out_h; ++y) {
    const void *rows[MR_DW_MAX_K];
    int8_t *o = out_base + (size_t)y * out_w * c + ch;
    mr_dw_ring_rows(in, p, ch, ring, narrow, stride, y, &next_row, rows);
    for (x0 = 0; x0 < out_w; x0 += MR_DW_CHUNK) {
      /* MR_DW_CHUNK accumulators, then their requantization: two loops, so that neither runs out of
       * registers on Cortex-M */
      const int n = out_w - x0 < MR_DW_CHUNK ? out_w - x0 : MR_DW_CHUNK;
      int8_t *out = o + (size_t)x0 * c;
      acc_row(rows, x0, n, &w, acc0, acc);
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
  }
}

int mr_dw_ring(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
               int narrow, const mr_depthwise_unrolled *unrolled) {
  int ch;
  (void)scratch_bytes;
  if (unrolled == NULL || unrolled->k != p->k_h) return 0;
  for (ch = 0; ch < p->c; ++ch) {
    mr_dw_channel(in, out, p, out_h, ch, scratch, narrow, unrolled->ring[narrow][p->stride_w - 1]);
  }
  return 1;
}

/* No blocks and no form of its own on the portable path. */
int mr_dw_blocks_order(const mr_dw_params *p, int out_h, int32_t delay, int32_t scratch_bytes) {
  (void)p, (void)out_h, (void)delay, (void)scratch_bytes;
  return MR_DW_NO_BLOCKS;
}

void mr_dw_blocks_inplace(int8_t *inout, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
                          int32_t delay, const mr_depthwise_unrolled *unrolled) {
  (void)inout, (void)p, (void)out_h, (void)scratch, (void)scratch_bytes, (void)delay, (void)unrolled;
}

int mr_dw_fast(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, const mr_depthwise_unrolled *unrolled) {
  (void)in, (void)out, (void)p, (void)out_h, (void)unrolled;
  return 0;
}
#endif
