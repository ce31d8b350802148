/* SOFTMAX int8 -> int8 (output scale 1/256, zero point -128).
 * Mirrors reference/softmax.h Softmax<int8_t, int8_t>: differences to the
 * row max are rescaled to Q5.26 (input_multiplier, input_left_shift), exp is
 * gemmlowp's fixed-point exp_on_negative_values, the sum is Q12.19, its
 * reciprocal comes from one_over_one_plus_x_for_x_in_0_1 (GetReciprocal). */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };

static int count_leading_zeros_u32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* TFLM GetReciprocal: 1/x for x in Q(x_integer_digits), as Q0 plus a shift. */
static int32_t get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const int headroom_plus_one = count_leading_zeros_u32((uint32_t)x);
  const int32_t shifted_sum_minus_one =
      (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  return mr_fp_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

void mr_softmax_s8(const mr_softmax_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, (int64_t)params->rows * params->depth);
  const int depth = params->depth;
  const int32_t input_multiplier = params->input_multiplier, input_left_shift = params->input_left_shift;
  const int32_t diff_min = params->diff_min;
  int i, c;
  for (i = 0; i < params->rows; ++i) {
    const int8_t *in_row = input + (size_t)i * depth;
    int8_t *out_row = output + (size_t)i * depth;
    int32_t max_in_row = MR_INT8_MIN;
    int32_t sum_of_exps = 0; /* Q12 */
    int num_bits_over_unit;
    int32_t shifted_scale;
    int exponent;
    for (c = 0; c < depth; ++c) {
      if (in_row[c] > max_in_row) max_in_row = in_row[c];
    }
    for (c = 0; c < depth; ++c) {
      const int32_t input_diff = (int32_t)in_row[c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t input_diff_rescaled =
            mr_requantize_greater_than_one(input_diff, input_multiplier, input_left_shift);
        sum_of_exps = mr_fp_add(
            sum_of_exps,
            mr_fp_rescale(mr_fp_exp_on_negative_values(input_diff_rescaled, kScaledDiffIntegerBits),
                          0, kAccumulationIntegerBits));
      }
    }
    shifted_scale = get_reciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    exponent = num_bits_over_unit + 31 - 8;
    for (c = 0; c < depth; ++c) {
      const int32_t input_diff = (int32_t)in_row[c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t input_diff_rescaled =
            mr_requantize_greater_than_one(input_diff, input_multiplier, input_left_shift);
        const int32_t exp_in_0 =
            mr_fp_exp_on_negative_values(input_diff_rescaled, kScaledDiffIntegerBits);
        const int32_t unsat_output =
            mr_rounding_divide_by_pot(mr_fp_mul(shifted_scale, exp_in_0), exponent);
        out_row[c] = mr_sat_s8(unsat_output + MR_INT8_MIN);
      } else {
        out_row[c] = MR_INT8_MIN;
      }
    }
  }
}
