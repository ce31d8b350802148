/* FULLY_CONNECTED int8, the Arm DSP path (see fully_connected_fast.c): two outputs per pass over the input row,
 * four inputs per step, widened with the input offset added (SXTAB16; the offset is 0 with a folded bias), two
 * SMLAD per output. The whole row loop lives here so the dot product is inlined into it. */
#include "mr_fast_internal.h"

#ifdef MR_DSP
/* acc[0], acc[1] += the dot products of x (n values, offset2: the input offset twice) with w0 and w1. */
static inline __attribute__((always_inline)) void mr_fc_dot2_dsp(const int8_t *x, int n, const int8_t *w0,
                                                                 const int8_t *w1, int32_t offset2,
                                                                 int32_t acc[2]) {
  const int32_t in_offset = (int16_t)offset2;
  int32_t acc0 = acc[0], acc1 = acc[1];
  int i;
  for (i = 0; i + 4 <= n; i += 4) {
    const int32_t a = mr_read_s8x4(x + i), u = mr_read_s8x4(w0 + i), v = mr_read_s8x4(w1 + i);
    const int32_t a02 = __sxtab16(offset2, a), a13 = mr_sxtab16_ror8(offset2, a);
    acc0 = __smlad(__sxtb16(u), a02, acc0);
    acc1 = __smlad(__sxtb16(v), a02, acc1);
    acc0 = __smlad(mr_sxtb16_ror8(u), a13, acc0);
    acc1 = __smlad(mr_sxtb16_ror8(v), a13, acc1);
  }
  for (; i < n; ++i) {
    acc0 += (int32_t)w0[i] * (x[i] + in_offset);
    acc1 += (int32_t)w1[i] * (x[i] + in_offset);
  }
  acc[0] = acc0;
  acc[1] = acc1;
}

void mr_fc_dot2(const MR_CONST int8_t *x, int n, const MR_CONST int8_t *w0, const MR_CONST int8_t *w1,
                int32_t in_offset, int32_t acc[2]) {
  mr_fc_dot2_dsp(x, n, w0, w1, mr_pack_s16x2(in_offset, in_offset), acc);
}

int mr_fc_outputs_dsp(const MR_CONST mr_fully_connected_params *p, const int8_t *x, int8_t *y,
                      const MR_CONST int32_t *bias, int32_t in_offset) {
  const int in_n = p->input_depth, out_n = p->output_depth;
  const int8_t *filter = p->filter; /* read once: the stores into y may alias *p */
  const mr_fc_out q = mr_fc_out_of(p);
  const int32_t offset2 = mr_pack_s16x2(in_offset, in_offset);
  int o;
  for (o = 0; o + 2 <= out_n; o += 2) {
    const int8_t *w0 = filter + (size_t)o * (size_t)in_n;
    int32_t acc[2];
    acc[0] = bias ? bias[o] : 0;
    acc[1] = bias ? bias[o + 1] : 0;
    mr_fc_dot2_dsp(x, in_n, w0, w0 + in_n, offset2, acc);
    mr_fc_store(&q, y, o, acc[0]);
    mr_fc_store(&q, y, o + 1, acc[1]);
  }
  if (o < out_n) { /* the last of an odd count: scalar, once per row */
    const int8_t *w = filter + (size_t)o * (size_t)in_n;
    int32_t acc = bias ? bias[o] : 0;
    int i;
    for (i = 0; i < in_n; ++i) acc += (int32_t)w[i] * (x[i] + in_offset);
    mr_fc_store(&q, y, o, acc);
  }
  return out_n;
}
#endif /* MR_DSP */
