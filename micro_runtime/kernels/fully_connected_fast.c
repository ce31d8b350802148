/* FULLY_CONNECTED int8 with the folded zero point (see mr_fast.h): two output neurons per pass over
 * the input row; __sxtb16 / __smlad on the Arm DSP path, an int8 x int16 dot product gcc vectorises
 * on the portable path. No scratch. */
#include <string.h>

#include "mr_fast.h"

#include "mr_dsp.h"

void mr_fully_connected_fast_s8(const int8_t *in, int batches, int in_n, const int8_t *filter,
                                const int32_t *bias, int out_n, int8_t *out, int32_t out_offset,
                                const int32_t *out_mult, const int32_t *out_shift, int per_channel,
                                int32_t act_min, int32_t act_max) {
#ifndef MR_DSP
  const int n16 = (int)((unsigned)in_n & ~15u); /* a multiple of 16 the vectoriser can see */
#endif
  int b, o;
  for (b = 0; b < batches; ++b) {
    const int8_t *x = in + (size_t)b * in_n;
    int8_t *y = out + (size_t)b * out_n;
    for (o = 0; o < out_n; o += 2) {
      const int has_second = o + 1 < out_n;
      const int8_t *w0 = filter + (size_t)o * (size_t)in_n;
      const int8_t *w1 = has_second ? w0 + in_n : w0;
      int32_t acc0 = bias[o], acc1 = has_second ? bias[o + 1] : 0;
      int i;
#ifdef MR_DSP
      for (i = 0; i + 4 <= in_n; i += 4) {
        const int32_t a = mr_read_s8x4(x + i), u = mr_read_s8x4(w0 + i), v = mr_read_s8x4(w1 + i);
        const int32_t a02 = __sxtb16(a), a13 = mr_sxtb16_ror8(a);
        acc0 = __smlad(__sxtb16(u), a02, acc0);
        acc1 = __smlad(__sxtb16(v), a02, acc1);
        acc0 = __smlad(mr_sxtb16_ror8(u), a13, acc0);
        acc1 = __smlad(mr_sxtb16_ror8(v), a13, acc1);
      }
#else
      for (i = 0; i < n16; ++i) {
        acc0 += (int32_t)w0[i] * x[i];
        acc1 += (int32_t)w1[i] * x[i];
      }
#endif
      for (; i < in_n; ++i) {
        acc0 += (int32_t)w0[i] * x[i];
        acc1 += (int32_t)w1[i] * x[i];
      }
      {
        const int c0 = per_channel ? o : 0, c1 = per_channel ? o + 1 : 0;
        int32_t v0 = mr_requantize_fast(acc0, out_mult[c0], out_shift[c0]) + out_offset;
        y[o] = (int8_t)mr_clamp_i32(v0, act_min, act_max);
        if (has_second) {
          int32_t v1 = mr_requantize_fast(acc1, out_mult[c1], out_shift[c1]) + out_offset;
          y[o + 1] = (int8_t)mr_clamp_i32(v1, act_min, act_max);
        }
      }
    }
  }
}
