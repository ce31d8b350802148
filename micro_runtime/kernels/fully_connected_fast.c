/* FULLY_CONNECTED int8 (see mr_fast.h): the outputs of each input row from the ISA's file first
 * (fully_connected_fast_dsp.c: all of them, pairs with __sxtab16 / __smlad; fully_connected_fast_x86.c: blocks
 * of four), the rest here, portable: two output neurons per pass over the row (mr_fc_dot2).
 * No scratch. With the folded bias (mr_fully_connected_fast_s8) or, for a layer without bias, none: the input
 * offset is then added as the inputs are widened (mr_fully_connected_nobias_fast_s8). */
#include "mr_fast_internal.h"

#ifndef MR_DSP
/* Portable (an int8 x int16 dot product gcc vectorises); the DSP one is in fully_connected_fast_dsp.c. */
void mr_fc_dot2(const MR_CONST int8_t *x, int n, const MR_CONST int8_t *w0, const MR_CONST int8_t *w1,
                int32_t in_offset, int32_t acc[2]) {
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

/* Outputs [o, out_n) of input row x, two per pass; bias NULL: in_offset added to the inputs. */
static void mr_fc_outputs(const MR_CONST mr_fully_connected_params *p, const int8_t *x, int8_t *y,
                          const MR_CONST int32_t *bias, int32_t in_offset, int o) {
  const int in_n = p->input_depth, out_n = p->output_depth;
  const mr_fc_out q = mr_fc_out_of(p);
  for (; o < out_n; o += 2) {
    const int has_second = o + 1 < out_n;
    const MR_CONST int8_t *w0 = p->filter + (size_t)o * (size_t)in_n;
    int32_t acc[2];
    acc[0] = bias ? bias[o] : 0;
    acc[1] = bias && has_second ? bias[o + 1] : 0;
    mr_fc_dot2(x, in_n, w0, has_second ? w0 + in_n : w0, in_offset, acc);
    mr_fc_store(&q, y, o, acc[0]);
    if (has_second) mr_fc_store(&q, y, o + 1, acc[1]);
  }
}
#endif

static void mr_fully_connected_rows(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out,
                                    const MR_CONST int32_t *bias, int32_t in_offset) {
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

void mr_fully_connected_fast_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_rows(p, in, out, p->bias, 0);
}

void mr_fully_connected_nobias_fast_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_rows(p, in, out, NULL, p->input_offset);
}
