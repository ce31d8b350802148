/* SOFTMAX int8 -> int8 (output scale 1/256, zero point -128) and int8 -> int16 (zero point -32768).
 * Mirrors reference/softmax.h Softmax<int8_t, int8_t> and <int8_t, int16_t>: differences to the
 * row max are rescaled to Q5.26 (input_multiplier, input_left_shift), exp is
 * gemmlowp's fixed-point exp_on_negative_values, the sum is Q12.19, its
 * reciprocal comes from one_over_one_plus_x_for_x_in_0_1 (GetReciprocal). */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };

/* exp(input_diff * input scale) in Q0.31, for input_diff >= diff_min. Out of line: both passes call it, and
 * gemmlowp's exp inlined twice would double the kernel's Flash for a call's worth of time. */
static __attribute__((noinline)) int32_t mr_softmax_exp(int32_t input_diff, int32_t input_multiplier,
                                                        int32_t input_left_shift) {
  const int32_t input_diff_rescaled = mr_requantize_greater_than_one(input_diff, input_multiplier, input_left_shift);
  return mr_fp_exp_on_negative_values(input_diff_rescaled, kScaledDiffIntegerBits);
}

/* OUTPUT_BITS: 8 (output int8_t *) or 16 (int16_t *). */
static inline __attribute__((always_inline)) void softmax_k(const MR_CONST mr_softmax_params *params,
                                                            const int8_t *input, void *output, const int OUTPUT_BITS) {
  const int depth = params->depth;
  const int32_t input_multiplier = params->input_multiplier, input_left_shift = params->input_left_shift;
  const int32_t diff_min = params->diff_min;
  int i, c;
  for (i = 0; i < params->rows; ++i) {
    const int8_t *in_row = input + (size_t)i * depth;
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
        sum_of_exps = mr_fp_add(sum_of_exps, mr_fp_rescale(mr_softmax_exp(input_diff, input_multiplier,
                                                                          input_left_shift),
                                                           0, kAccumulationIntegerBits));
      }
    }
    shifted_scale = mr_fp_get_reciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    exponent = num_bits_over_unit + 31 - OUTPUT_BITS;
    for (c = 0; c < depth; ++c) {
      const int32_t input_diff = (int32_t)in_row[c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t exp_in_0 = mr_softmax_exp(input_diff, input_multiplier, input_left_shift);
        const int32_t unsat_output =
            mr_rounding_divide_by_pot(mr_fp_mul(shifted_scale, exp_in_0), exponent);
        const size_t at = (size_t)i * depth + c;
        if (OUTPUT_BITS == 8) ((int8_t *)output)[at] = mr_sat_s8(unsat_output + MR_INT8_MIN);
        else ((int16_t *)output)[at] = (int16_t)mr_clamp_i32(unsat_output - 32768, -32768, 32767);
      } else if (OUTPUT_BITS == 8) {
        ((int8_t *)output)[(size_t)i * depth + c] = MR_INT8_MIN;
      } else {
        ((int16_t *)output)[(size_t)i * depth + c] = -32768;
      }
    }
  }
}

void mr_softmax_s8(const MR_CONST mr_softmax_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, (int64_t)params->rows * params->depth);
  softmax_k(params, input, output, 8);
}

void mr_softmax_s8_s16(const MR_CONST mr_softmax_params *params, const int8_t *input, int16_t *output) {
  MR_CHECK(output, 2 * (int64_t)params->rows * params->depth);
  softmax_k(params, input, output, 16);
}
