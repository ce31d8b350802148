/* DEPTHWISE_CONV_2D int8 (depth multiplier 1), fast: same bytes as mr_depthwise_conv2d_s8.
 * acc = bias + sum over in-image taps of filter * (input + in_offset); with int8 filters and
 * in_offset in [-127, 128] each product fits int16, which lets gcc vectorise across channels.
 * Channels are the inner (vector) dimension: 16 at a time on the portable path, 4 at a time with
 * __sxtab16 / __smlabb / __smlatt on the Arm DSP path. Border pixels take the same code with the
 * out-of-image taps skipped. */
#include <string.h>

#include "mr_depthwise_fast.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE)
#define MR_DSP 1
#include <arm_acle.h>
#endif

typedef struct {
  int in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w;
  const int8_t *filter;
  const int32_t *bias;
  int32_t in_offset, out_offset;
  const int32_t *out_mult, *out_shift;
  int32_t act_min, act_max;
} mr_dw_params;

#ifdef MR_DSP
static inline int32_t mr_dw_read4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline int32_t mr_dw_ror8(int32_t v) { return (int32_t)(((uint32_t)v >> 8) | ((uint32_t)v << 24)); }
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
    const int32_t off2 = (int32_t)(((uint32_t)p->in_offset & 0xffffu) | ((uint32_t)p->in_offset << 16));
    for (; j + 4 <= n; j += 4) {
      const int ch = c0 + j;
      int32_t a0 = p->bias ? p->bias[ch] : 0, a1 = p->bias ? p->bias[ch + 1] : 0;
      int32_t a2 = p->bias ? p->bias[ch + 2] : 0, a3 = p->bias ? p->bias[ch + 3] : 0;
      for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
        const int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
        for (kx = kx0; kx < kx1; ++kx) {
          const int32_t xv = mr_dw_read4(xr + (size_t)kx * c), wv = mr_dw_read4(wr + (size_t)kx * c);
          const int32_t x02 = __sxtab16(off2, xv), x13 = __sxtab16(off2, mr_dw_ror8(xv));
          const int32_t w02 = __sxtb16(wv), w13 = __sxtb16(mr_dw_ror8(wv));
          a0 = __smlabb(w02, x02, a0);
          a2 = __smlatt(w02, x02, a2);
          a1 = __smlabb(w13, x13, a1);
          a3 = __smlatt(w13, x13, a3);
        }
      }
      o[j] = (int8_t)mr_clamp_i32(mr_requantize_fast(a0, p->out_mult[ch], p->out_shift[ch]) + p->out_offset,
                                  p->act_min, p->act_max);
      o[j + 1] = (int8_t)mr_clamp_i32(
          mr_requantize_fast(a1, p->out_mult[ch + 1], p->out_shift[ch + 1]) + p->out_offset, p->act_min, p->act_max);
      o[j + 2] = (int8_t)mr_clamp_i32(
          mr_requantize_fast(a2, p->out_mult[ch + 2], p->out_shift[ch + 2]) + p->out_offset, p->act_min, p->act_max);
      o[j + 3] = (int8_t)mr_clamp_i32(
          mr_requantize_fast(a3, p->out_mult[ch + 3], p->out_shift[ch + 3]) + p->out_offset, p->act_min, p->act_max);
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
        o[j + i] = (int8_t)mr_clamp_i32(
            mr_requantize_fast(acc[i], p->out_mult[ch + i], p->out_shift[ch + i]) + p->out_offset,
            p->act_min, p->act_max);
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
        o[j + i] = (int8_t)mr_clamp_i32(
            mr_requantize_fast(acc[i], p->out_mult[ch + i], p->out_shift[ch + i]) + p->out_offset,
            p->act_min, p->act_max);
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
      o[j] = (int8_t)mr_clamp_i32(mr_requantize_fast(acc, p->out_mult[ch], p->out_shift[ch]) + p->out_offset,
                                  p->act_min, p->act_max);
    }
  }
}

void mr_depthwise_conv2d_fast_s8(const int8_t *in, int in_h, int in_w, int c,
                                 const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                 int stride_h, int stride_w, int pad_top, int pad_left,
                                 int8_t *out, int out_h, int out_w,
                                 int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                 const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  const mr_dw_params p = {in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w, filter, bias,
                          in_offset, out_offset, out_mult, out_shift, act_min, act_max};
  int y;
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

void mr_depthwise_conv2d_inplace_fast_s8(int8_t *inout, int in_h, int in_w, int c,
                                         const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                         int stride_h, int stride_w, int pad_top, int pad_left,
                                         int out_h, int out_w, int8_t *scratch, int32_t scratch_bytes,
                                         int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                         const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  const mr_dw_params p = {in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w, filter, bias,
                          in_offset, out_offset, out_mult, out_shift, act_min, act_max};
  const int32_t row_bytes = (int32_t)out_w * c;
  const int32_t delay = mr_depthwise_inplace_row_delay(in_h, in_w, c, stride_h, pad_top, out_h, out_w);
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
