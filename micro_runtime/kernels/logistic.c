/* LOGISTIC int8 (output scale 1/256, zero point -128).
 * Mirrors reference/integer_ops/logistic.h: saturate outside
 * +-input_range_radius, else rescale to Q4.27 and use gemmlowp::logistic. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

void mr_logistic_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point,
                    int32_t input_range_radius, int32_t input_multiplier, int32_t input_left_shift) {
  enum { kInputIntegerBits = 4, kOutputIntegerBits = 8, kOutputZeroPoint = -128 };
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t input = (int32_t)in[i] - input_zero_point;
    if (input <= -input_range_radius) {
      out[i] = MR_INT8_MIN;
    } else if (input >= input_range_radius) {
      out[i] = MR_INT8_MAX;
    } else {
      const int32_t input_in_q4 = mr_requantize(input, input_multiplier, input_left_shift);
      const int32_t output_in_q0 = mr_fp_logistic(input_in_q4, kInputIntegerBits);
      const int32_t output_in_q23 = mr_rounding_divide_by_pot(output_in_q0, 31 - kOutputIntegerBits);
      out[i] = mr_sat_s8(output_in_q23 + kOutputZeroPoint);
    }
  }
}
