/* LOGISTIC int8 (output scale 1/256, zero point -128).
 * Mirrors reference/integer_ops/logistic.h: saturate outside
 * +-input_range_radius, else rescale to Q4.27 and use gemmlowp::logistic. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

void mr_logistic_s8(const mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output) {
  enum { kInputIntegerBits = 4, kOutputIntegerBits = 8, kOutputZeroPoint = -128 };
  const int32_t input_range_radius = params->input_range_radius;
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int32_t input_value = (int32_t)input[i] - params->input_zero_point;
    if (input_value <= -input_range_radius) {
      output[i] = MR_INT8_MIN;
    } else if (input_value >= input_range_radius) {
      output[i] = MR_INT8_MAX;
    } else {
      const int32_t input_in_q4 = mr_requantize(input_value, params->input_multiplier, params->input_left_shift);
      const int32_t output_in_q0 = mr_fp_logistic(input_in_q4, kInputIntegerBits);
      const int32_t output_in_q23 = mr_rounding_divide_by_pot(output_in_q0, 31 - kOutputIntegerBits);
      output[i] = mr_sat_s8(output_in_q23 + kOutputZeroPoint);
    }
  }
}
