/* LOGISTIC int8 (output scale 1/256, zero point -128) and TANH int8 (output scale 1/128, zero point 0).
 * Mirror reference/integer_ops/logistic.h and tanh.h: saturate outside
 * +-input_range_radius, else rescale to Q4.27 and use gemmlowp::logistic / gemmlowp::tanh. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kInputIntegerBits = 4 };

static void sigmoid_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point, int32_t input_range_radius,
                       int32_t input_multiplier, int32_t input_left_shift, int tanh) {
  const int output_shift = 31 - (tanh ? 7 : 8); /* output in Q0.7 (tanh) or Q0.8 (logistic) */
  const int32_t output_zero_point = tanh ? 0 : -128;
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t input = (int32_t)in[i] - input_zero_point;
    if (input <= -input_range_radius) {
      out[i] = MR_INT8_MIN;
    } else if (input >= input_range_radius) {
      out[i] = MR_INT8_MAX;
    } else {
      const int32_t input_in_q4 = mr_requantize(input, input_multiplier, input_left_shift);
      const int32_t output_in_q0 =
          tanh ? mr_fp_tanh(input_in_q4, kInputIntegerBits) : mr_fp_logistic(input_in_q4, kInputIntegerBits);
      out[i] = mr_sat_s8(mr_rounding_divide_by_pot(output_in_q0, output_shift) + output_zero_point);
    }
  }
}

void mr_logistic_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point,
                    int32_t input_range_radius, int32_t input_multiplier, int32_t input_left_shift) {
  sigmoid_s8(in, n, out, input_zero_point, input_range_radius, input_multiplier, input_left_shift, 0);
}

void mr_tanh_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point, int32_t input_range_radius,
                int32_t input_multiplier, int32_t input_left_shift) {
  sigmoid_s8(in, n, out, input_zero_point, input_range_radius, input_multiplier, input_left_shift, 1);
}
