/* FULLY_CONNECTED int8 (see mr_fast.h): two output neurons per pass over the input row (SSE2: blocks of four
 * first, fully_connected_fast_x86.c); the dot products of a pair from mr_fc_dot2 (fully_connected_fast_dsp.c:
 * __sxtab16 / __smlad; here, portable: an int8 x int16 dot product gcc vectorises), the requantization here.
 * No scratch. With the folded bias (mr_fully_connected_fast_s8) or, for a layer without bias, none: the input
 * offset is then added as the inputs are widened (mr_fully_connected_nobias_fast_s8). */
#include "mr_fast_internal.h"

#ifndef MR_DSP
/* Portable (and SSE2's outputs past its blocks of four). */
void mr_fc_dot2(const int8_t *x, int n, const int8_t *w0, const int8_t *w1, int32_t in_offset, int32_t acc[2]) {
  const int n16 = (int)((unsigned)n & ~15u); /* a multiple of 16 the vectoriser can see */
  const int16_t offset = (int16_t)in_offset;
  int32_t acc0 = acc[0], acc1 = acc[1];
  int i;
  for (i = 0; i < n16; ++i) {
    acc0 += (int32_t)w0[i] * (int16_t)(x[i] + offset);
    acc1 += (int32_t)w1[i] * (int16_t)(x[i] + offset);
  }
  for (; i < n; ++i) {
    acc0 += (int32_t)w0[i] * (x[i] + in_offset);
    acc1 += (int32_t)w1[i] * (x[i] + in_offset);
  }
  acc[0] = acc0;
  acc[1] = acc1;
}
#endif

/* NOBIAS 0: p->bias is the folded bias (in_offset 0); 1: no bias (in_offset added to the inputs). */
static inline __attribute__((always_inline)) void mr_fully_connected_body(const mr_fully_connected_params *p,
                                                                           const int8_t *in, int8_t *out,
                                                                           int32_t in_offset, const int NOBIAS) {
  const int batches = p->batches, in_n = p->input_depth, out_n = p->output_depth, per_channel = p->per_channel;
  const int8_t *filter = p->filter, *rshift_m1 = p->quant.rshift_m1;
  const int32_t *bias = NOBIAS ? NULL : p->bias, *mult = p->quant.multiplier;
  const int32_t out_offset = p->output_offset, act_min = p->activation.min, act_max = p->activation.max;
  int b, o;
  for (b = 0; b < batches; ++b) {
    const int8_t *x = in + (size_t)b * in_n;
    int8_t *y = out + (size_t)b * out_n;
    o = 0;
#ifdef MR_SSE2
    o = mr_fc_blocks_x86(p, x, y, bias, in_offset);
#endif
    for (; o < out_n; o += 2) {
      const int has_second = o + 1 < out_n;
      const int8_t *w0 = filter + (size_t)o * (size_t)in_n;
      const int c0 = per_channel ? o : 0, c1 = per_channel ? o + 1 : 0;
      int32_t acc[2];
      acc[0] = NOBIAS ? 0 : bias[o];
      acc[1] = NOBIAS || !has_second ? 0 : bias[o + 1];
      mr_fc_dot2(x, in_n, w0, has_second ? w0 + in_n : w0, in_offset, acc);
      {
        const mr_requant r0 = mr_requant_prepare_rshift_m1(mult[c0], rshift_m1[c0]);
        y[o] = (int8_t)mr_clamp_i32(mr_requant_apply(acc[0], &r0) + out_offset, act_min, act_max);
      }
      if (has_second) {
        const mr_requant r1 = mr_requant_prepare_rshift_m1(mult[c1], rshift_m1[c1]);
        y[o + 1] = (int8_t)mr_clamp_i32(mr_requant_apply(acc[1], &r1) + out_offset, act_min, act_max);
      }
    }
  }
}

void mr_fully_connected_fast_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_body(p, in, out, 0, 0);
}

void mr_fully_connected_nobias_fast_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_body(p, in, out, p->input_offset, 1);
}
