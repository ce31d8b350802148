/* TRANSPOSE_CONV int8, the Arm DSP path of mr_transpose_conv_tap (see transpose_conv.c): four inputs per step,
 * widened with the input offset added (SXTAB16), then one word of the filter block per output channel, two SMLAD
 * each: 16 MACs in 23 instructions. */
#include "mr_dsp.h"
#include "mr_kernels.h"

#ifdef MR_DSP
static inline void dot4(const int8_t *x, int32_t n, const int8_t *w, int32_t offset2, int32_t in_offset,
                        int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t *x_end = x + (n & ~3);
  int32_t j;
  for (; x != x_end; x += 4, w += 16) {
    const int32_t v = mr_read_s8x4(x);
    const int32_t x02 = __sxtab16(offset2, v), x13 = mr_sxtab16_ror8(offset2, v);
    const int32_t u0 = mr_read_s8x4(w), u1 = mr_read_s8x4(w + 4), u2 = mr_read_s8x4(w + 8), u3 = mr_read_s8x4(w + 12);
    a0 = __smlad(mr_sxtb16_ror8(u0), x13, __smlad(__sxtb16(u0), x02, a0));
    a1 = __smlad(mr_sxtb16_ror8(u1), x13, __smlad(__sxtb16(u1), x02, a1));
    a2 = __smlad(mr_sxtb16_ror8(u2), x13, __smlad(__sxtb16(u2), x02, a2));
    a3 = __smlad(mr_sxtb16_ror8(u3), x13, __smlad(__sxtb16(u3), x02, a3));
  }
  for (j = 0; j < (n & 3); ++j) { /* the last group's first n % 4 values */
    const int32_t v = x[j] + in_offset;
    a0 += w[j] * v;
    a1 += w[4 + j] * v;
    a2 += w[8 + j] * v;
    a3 += w[12 + j] * v;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

void mr_transpose_conv_tap(const int8_t *x, int32_t n, const MR_CONST int8_t *w, size_t block_stride, int32_t blocks,
                           int32_t in_offset, int32_t *acc) {
  const int32_t offset2 = mr_pack_s16x2(in_offset, in_offset);
  int32_t b;
  for (b = 0; b < blocks; ++b, w += block_stride, acc += 4) dot4(x, n, w, offset2, in_offset, acc);
}
#endif /* MR_DSP */
