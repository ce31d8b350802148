/* L2_NORMALIZATION int8 -> int8.
 * Mirrors reference_integer_ops::L2Normalization (TFLM l2norm.cc): per row of `depth` values the sum of the
 * squared offset inputs, its inverse square root as a multiplier and shift
 * (GetInvSqrtQuantizedMultiplierExp), each offset input rescaled by it to 1/128 steps and clamped. The
 * output's zero point is not read, as TFLM. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kOutputScale = 7, kReverseShift = -1 };

/* TFLM GetInvSqrtQuantizedMultiplierExp: 1/sqrt(input) by five Newton-Raphson steps in Q3 on the input
 * normalised to [2^27, 2^29); the shift is a left shift (reverse_shift -1). */
static void get_inv_sqrt_quantized_multiplier_exp(int32_t input, int32_t *output_inv_sqrt, int *output_shift) {
  const int32_t fixedpoint_half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27); /* 1.5 in Q3 */
  int32_t fixedpoint_half_input, x = (int32_t)1 << 28;                      /* One() in Q3 */
  int left_shift_bit_pairs, i;
  if (input <= 1) { /* 0 is taken as 1, as TFLM */
    *output_inv_sqrt = INT32_MAX;
    *output_shift = 0;
    return;
  }
  *output_shift = 11;
  while (input >= ((int32_t)1 << 29)) {
    input /= 4;
    ++*output_shift;
  }
  left_shift_bit_pairs = (mr_count_leading_zeros((uint32_t)input) - 1) / 2 - 1;
  *output_shift -= left_shift_bit_pairs;
  input <<= 2 * left_shift_bit_pairs;
  fixedpoint_half_input = mr_fp_saturating_rounding_mul_by_pot(input >> 1, -1);
  for (i = 0; i < 5; ++i) {
    const int32_t x3 = mr_fp_rescale(mr_fp_mul(mr_fp_mul(x, x), x), 9, 3);
    x = mr_fp_rescale(mr_fp_sub(mr_fp_mul(fixedpoint_half_three, x), mr_fp_mul(fixedpoint_half_input, x3)), 6, 3);
  }
  x = mr_fp_mul(x, 1518500250); /* sqrt(2) / 2 in Q0 */
  if (*output_shift < 0) {
    x = mr_shift_left_wrap(x, -*output_shift);
    *output_shift = 0;
  }
  *output_inv_sqrt = x;
  *output_shift *= kReverseShift;
}

void mr_l2_normalization_s8(int32_t input_zero_point, int32_t outer_size, int32_t depth, const int8_t *input,
                            int8_t *output) {
  int32_t outer_index, inner_index;
  for (outer_index = 0; outer_index < outer_size; ++outer_index) {
    const int8_t *in_row = input + (size_t)outer_index * depth;
    int8_t *out_row = output + (size_t)outer_index * depth;
    int32_t acc = 0, inv_l2norm_multiplier;
    int inv_l2norm_shift;
    for (inner_index = 0; inner_index < depth; ++inner_index) {
      const int32_t value = in_row[inner_index] - input_zero_point;
      acc += value * value;
    }
    get_inv_sqrt_quantized_multiplier_exp(acc, &inv_l2norm_multiplier, &inv_l2norm_shift);
    for (inner_index = 0; inner_index < depth; ++inner_index) {
      const int32_t value = in_row[inner_index] - input_zero_point;
      out_row[inner_index] =
          mr_sat_s8(mr_requantize(value, inv_l2norm_multiplier, inv_l2norm_shift + kOutputScale));
    }
  }
}
