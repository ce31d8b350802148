/* SOFTMAX int16 -> int16 (reference_ops::SoftmaxInt16): per row, exp(x - max) from the 513-entry exp table
 * (interpolated, Q0.15), their sum's reciprocal from the 1/(1+x) table, each exp times the reciprocal,
 * rounded, clamped to [0, 32767]. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"
#include "mr_s16.h"

/* TFLM's lut_lookup for an int16 input: entry 256 + (value >> 7), interpolated on the low 7 bits. */
static inline int16_t lut_lookup_s16(int16_t value, const MR_CONST int16_t *lut) {
  const int index = 256 + (value >> 7);
  const int32_t offset = value & 0x7f;
  const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
  return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

static inline int16_t sat_s16(int32_t x) { return (int16_t)mr_clamp_i32(x, MR_INT16_MIN, MR_INT16_MAX); }

void mr_softmax_s16(const MR_CONST mr_softmax_s16_params *p, const int16_t *input, int16_t *output) {
  const int depth = p->depth;
  int i, c;
  for (i = 0; i < p->rows; ++i) {
    const int16_t *in = input + (size_t)i * depth;
    int16_t *exps = output + (size_t)i * depth; /* Q0.15, replaced by the outputs below */
    int16_t max_in_row = MR_INT16_MIN, reciprocal;
    int32_t sum_of_exps = 0, shifted_sum;
    int headroom_plus_one, right_shift;
    for (c = 0; c < depth; ++c) max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
    for (c = 0; c < depth; ++c) {
      const int32_t scaled_diff = mr_requantize((int32_t)in[c] - max_in_row, p->input_multiplier, p->input_left_shift);
      exps[c] = lut_lookup_s16(sat_s16(scaled_diff + 32767), p->exp_lut);
      sum_of_exps += exps[c];
    }
    headroom_plus_one = mr_count_leading_zeros((uint32_t)sum_of_exps);
    shifted_sum = (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    reciprocal =
        lut_lookup_s16(sat_s16(shifted_sum - ((INT32_C(1) << 15) + (INT32_C(1) << 16))), p->one_over_one_plus_x_lut);
    right_shift = 31 - headroom_plus_one;
    for (c = 0; c < depth; ++c) {
      const int64_t result = ((int64_t)exps[c] * reciprocal + ((int64_t)1 << (right_shift - 1))) >> right_shift;
      exps[c] = (int16_t)(result < 0 ? 0 : result > 32767 ? 32767 : result);
    }
  }
}
