/* LOG_SOFTMAX int8 -> int8 (output scale 16/256, zero point 127).
 * Mirrors reference_ops::LogSoftmaxQuantized (TFLM log_softmax.cc): differences to the row max rescaled to
 * Q5.26, their exps summed in Q12.19 (SOFTMAX's fixed-point exp), the log of the sum in Q5.26
 * (log_x_for_x_greater_than_or_equal_to_1), each difference minus it rounded to the output's 4 integer
 * bits; differences below what Q5.26 holds give the minimum. */
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

enum { kInputIntegerBits = 5, kAccumulationIntegerBits = 12, kOutputIntegerBits = 4, kLogAccumIntegerBits = 6 };

static int32_t saturating_add(int32_t a, int32_t b) { /* SaturatingAddNonGemmlowp */
  const int64_t sum = (int64_t)a + b;
  return (int32_t)(sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : sum));
}

static int32_t saturating_sub(int32_t a, int32_t b) { /* SaturatingSub */
  const int64_t diff = (int64_t)a - b;
  return (int32_t)(diff > INT32_MAX ? INT32_MAX : (diff < INT32_MIN ? INT32_MIN : diff));
}

/* TFLM log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>: log(x) for x in Q12 as Q5, by the power of two
 * of x (with a quarter's adjustment) times log 2 plus a rational approximation on the mantissa; the sum is
 * kept in Q6 to leave a bit of headroom. */
static int32_t log_x_for_x_greater_than_or_equal_to_1(int32_t input_val) {
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = mr_fp_rescale(536870912, 0, kLogAccumIntegerBits); /* 1/4 */
  const int z_a_headroom_plus_1 = mr_count_leading_zeros((uint32_t)input_val);
  const int32_t r_a_tmp = mr_fp_saturating_rounding_mul_by_pot(input_val, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = mr_fp_saturating_rounding_mul_by_pot(mr_fp_mul(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj = saturating_add(
      mr_fp_saturating_rounding_mul_by_pot(kAccumulationIntegerBits - z_a_headroom_plus_1, 31 - kLogAccumIntegerBits),
      shifted_quarter);
  const int32_t z_b = mr_fp_mul(input_val, sqrt_half);
  const int z_b_headroom = mr_count_leading_zeros((uint32_t)z_b) - 1;
  const int32_t r_b_raw = mr_fp_saturating_rounding_mul_by_pot(input_val, z_b_headroom);
  const int32_t z_b_pow_2_adj = saturating_sub(
      mr_fp_saturating_rounding_mul_by_pot(kAccumulationIntegerBits - z_b_headroom, 31 - kLogAccumIntegerBits),
      shifted_quarter);
  const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const int32_t p = mr_fp_rounding_half_sum(r, sqrt_sqrt_half);
  const int32_t q_half = mr_fp_sub(r, sqrt_sqrt_half);
  const int32_t q = mr_fp_add(q_half, q_half);
  const int32_t common_sq = mr_fp_mul(q, q);
  const int32_t num = mr_fp_add(mr_fp_mul(q, r), mr_fp_mul(mr_fp_mul(q, common_sq), alpha_n));
  const int32_t denom_minus_one_0 = mr_fp_add(
      mr_fp_mul(p, mr_fp_add(mr_fp_add(alpha_i, q), mr_fp_mul(alpha_d, common_sq))), mr_fp_mul(alpha_f, q));
  const int32_t recip_denom = mr_fp_one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);
  const int32_t num_scaled = mr_fp_rescale(num, 0, kLogAccumIntegerBits);
  return mr_fp_rescale(mr_fp_add(mr_fp_mul(z_pow_2_adj, log_2), mr_fp_mul(num_scaled, recip_denom)),
                       kLogAccumIntegerBits, kInputIntegerBits);
}

void mr_log_softmax_s8(const MR_CONST mr_log_softmax_params *params, const int8_t *input, int8_t *output) {
  const int32_t depth = params->depth, diff_min = params->diff_min;
  const int32_t input_multiplier = params->input_multiplier, input_left_shift = params->input_left_shift;
  int32_t outer_index, c;
  for (outer_index = 0; outer_index < params->outer_size; ++outer_index) {
    const int8_t *in_row = input + (size_t)outer_index * depth;
    int8_t *out_row = output + (size_t)outer_index * depth;
    int32_t max_in_row = MR_INT8_MIN, sum_of_exps_in_q12 = 0, log_sum_of_exps_in_q5, adjusted_diff_min;
    for (c = 0; c < depth; ++c) {
      if (in_row[c] > max_in_row) max_in_row = in_row[c];
    }
    for (c = 0; c < depth; ++c) {
      const int32_t input_diff = (int32_t)in_row[c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t input_diff_in_q5 = mr_requantize(input_diff, input_multiplier, input_left_shift);
        sum_of_exps_in_q12 = mr_fp_add(sum_of_exps_in_q12,
                                       mr_fp_rescale(mr_fp_exp_on_negative_values(input_diff_in_q5, kInputIntegerBits),
                                                     0, kAccumulationIntegerBits));
      }
    }
    log_sum_of_exps_in_q5 = log_x_for_x_greater_than_or_equal_to_1(sum_of_exps_in_q12);
    adjusted_diff_min = mr_max_i32(diff_min - 1, mr_requantize(mr_fp_add(log_sum_of_exps_in_q5, INT32_MIN),
                                                               params->reverse_scaling_divisor,
                                                               -params->reverse_scaling_right_shift));
    for (c = 0; c < depth; ++c) {
      const int32_t input_diff = (int32_t)in_row[c] - max_in_row;
      if (input_diff > adjusted_diff_min) { /* > where the sum took >= */
        const int32_t input_diff_in_q5 = mr_requantize(input_diff, input_multiplier, input_left_shift);
        const int32_t output_in_q27 =
            mr_rounding_divide_by_pot(mr_fp_sub(input_diff_in_q5, log_sum_of_exps_in_q5),
                                      31 - kInputIntegerBits - kOutputIntegerBits) + MR_INT8_MAX;
        out_row[c] = mr_sat_s8(output_in_q27);
      } else {
        out_row[c] = MR_INT8_MIN;
      }
    }
  }
}
