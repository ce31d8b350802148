/* LOGISTIC int8 (output scale 1/256, zero point -128) and TANH int8 (output scale 1/128, zero point 0).
 * Mirror reference/integer_ops/logistic.h and tanh.h: saturate outside
 * +-input_range_radius, else rescale to Q4.27 and use gemmlowp::logistic / gemmlowp::tanh. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kInputIntegerBits = 4 };

static void sigmoid_s8(const MR_CONST mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output,
                       int tanh) {
  const int output_shift = 31 - (tanh ? 7 : 8); /* output in Q0.7 (tanh) or Q0.8 (logistic) */
  const int32_t output_zero_point = tanh ? 0 : -128;
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
      const int32_t output_in_q0 =
          tanh ? mr_fp_tanh(input_in_q4, kInputIntegerBits) : mr_fp_logistic(input_in_q4, kInputIntegerBits);
      output[i] = mr_sat_s8(mr_rounding_divide_by_pot(output_in_q0, output_shift) + output_zero_point);
    }
  }
}

void mr_logistic_s8(const MR_CONST mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output) {
  MR_CHECK(output, size);
  sigmoid_s8(params, input, size, output, 0);
}

void mr_tanh_s8(const MR_CONST mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output) {
  MR_CHECK(output, size);
  sigmoid_s8(params, input, size, output, 1);
}
