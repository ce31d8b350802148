/* FULLY_CONNECTED int8 (see mr_fast.h): the outputs of each input row from the ISA's file first
 * (fully_connected_fast_dsp.c: all of them, pairs with __sxtab16 / __smlad; fully_connected_fast_x86.c: blocks
 * of four), the rest here, portable: two output neurons per pass over the row, an int8 x int16 dot product gcc vectorises.
 * No scratch. With the folded bias (mr_fully_connected_fast_s8) or, for a layer without bias, none: the input
 * offset is then added as the inputs are widened (mr_fully_connected_nobias_fast_s8). */
#include "mr_fast_internal.h"

#ifndef MR_DSP
/* Outputs [o, out_n) of input row x, two per pass; bias NULL: in_offset added to the inputs. */
static void mr_fc_outputs(const mr_fully_connected_params *p, const int8_t *x, int8_t *y, const int32_t *bias,
                          int32_t in_offset, int o) {
  const int in_n = p->input_depth, out_n = p->output_depth;
  const mr_fc_out q = mr_fc_out_of(p);
  const int n16 = (int)((unsigned)in_n & ~15u); /* a multiple of 16 the vectoriser can see */
  const int16_t offset = (int16_t)in_offset;
  for (; o < out_n; o += 2) {
    const int has_second = o + 1 < out_n;
    const int8_t *w0 = p->filter + (size_t)o * (size_t)in_n, *w1 = has_second ? w0 + in_n : w0;
    int32_t acc0 = bias ? bias[o] : 0, acc1 = bias && has_second ? bias[o + 1] : 0;
    int i;
    for (i = 0; i < n16; ++i) {
      acc0 += (int32_t)w0[i] * (int16_t)(x[i] + offset);
      acc1 += (int32_t)w1[i] * (int16_t)(x[i] + offset);
    }
    for (; i < in_n; ++i) {
      acc0 += (int32_t)w0[i] * (x[i] + in_offset);
      acc1 += (int32_t)w1[i] * (x[i] + in_offset);
    }
    mr_fc_store(&q, y, o, acc0);
    if (has_second) mr_fc_store(&q, y, o + 1, acc1);
  }
}
#endif

static void mr_fully_connected_rows(const mr_fully_connected_params *p, const int8_t *in, int8_t *out,
                                    const int32_t *bias, int32_t in_offset) {
  int b;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = in + (size_t)b * (size_t)p->input_depth;
    int8_t *y = out + (size_t)b * (size_t)p->output_depth;
    int o = 0;
#if defined(MR_DSP)
    o = mr_fc_outputs_dsp(p, x, y, bias, in_offset); /* all of them */
    (void)o;
#else
#ifdef MR_SSE2
    o = mr_fc_outputs_x86(p, x, y, bias, in_offset);
#endif
    mr_fc_outputs(p, x, y, bias, in_offset, o);
#endif
  }
}

void mr_fully_connected_fast_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  mr_fully_connected_rows(p, in, out, p->bias, 0);
}

void mr_fully_connected_nobias_fast_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  mr_fully_connected_rows(p, in, out, NULL, p->input_offset);
}
