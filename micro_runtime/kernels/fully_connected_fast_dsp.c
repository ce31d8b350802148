/* FULLY_CONNECTED int8, the Arm DSP path of mr_fc_dot2 (see fully_connected_fast.c): four inputs per step,
 * widened with the input offset added (SXTAB16; the offset is 0 with a folded bias), two SMLAD per output. */
#include "mr_fast_internal.h"

#ifdef MR_DSP
void mr_fc_dot2(const int8_t *x, int n, const int8_t *w0, const int8_t *w1, int32_t in_offset, int32_t acc[2]) {
  const int32_t offset2 = mr_pack_s16x2(in_offset, in_offset);
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
#endif /* MR_DSP */
