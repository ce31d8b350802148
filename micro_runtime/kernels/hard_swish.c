/* HARD_SWISH int8.
 * Mirrors reference/hard_swish.h HardSwish<int8_t> with TFLM's
 * HardSwishParams: 16-bit fixed-point arithmetic throughout. */
#include "mr_kernels.h"

/* gemmlowp SaturatingRoundingDoublingHighMul for int16. */
static int16_t srdhm_s16(int16_t a, int16_t b) {
  const int overflow = a == b && a == INT16_MIN;
  const int32_t ab_32 = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab_32 >= 0 ? ((int32_t)1 << 14) : (1 - ((int32_t)1 << 14));
  const int16_t ab_x2_high16 = (int16_t)((ab_32 + nudge) / ((int32_t)1 << 15));
  return overflow ? INT16_MAX : ab_x2_high16;
}

/* TFLM SaturatingDoublingHighMul: like the above, rounding toward zero. */
static int16_t sdhm_s16(int16_t a, int16_t b) {
  const int overflow = a == b && a == INT16_MIN;
  const int32_t ab_32 = (int32_t)a * (int32_t)b;
  const int16_t ab_x2_high16 = (int16_t)(ab_32 / ((int32_t)1 << 15));
  return overflow ? INT16_MAX : ab_x2_high16;
}

static int16_t saturating_left_shift_s16(int16_t value, int amount) {
  int64_t result = (int64_t)value * ((int64_t)1 << amount);
  if (result > INT16_MAX) result = INT16_MAX;
  if (result < INT16_MIN) result = INT16_MIN;
  return (int16_t)result;
}

/* gemmlowp RoundingDivideByPOT on an int16 value. */
static int16_t rounding_divide_by_pot_s16(int16_t x, int exponent) {
  const int32_t mask = (int32_t)(((int32_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

void mr_hard_swish_s8(const MR_CONST mr_hard_swish_params *params, const int8_t *input, int32_t size, int8_t *output) {
  MR_CHECK(output, size);
  const int32_t input_zero_point = params->input_zero_point, output_zero_point = params->output_zero_point;
  const int16_t reluish_multiplier_fixedpoint_int16 = (int16_t)params->reluish_multiplier_fixedpoint_int16;
  const int16_t output_multiplier_fixedpoint_int16 = (int16_t)params->output_multiplier_fixedpoint_int16;
  const int32_t reluish_multiplier_exponent = params->reluish_multiplier_exponent;
  const int32_t output_multiplier_exponent = params->output_multiplier_exponent;
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int16_t input_value = (int16_t)(input[i] - input_zero_point);
    const int16_t input_value_on_hires_input_scale = (int16_t)(input_value * (1 << 7));
    const int16_t input_value_on_preshift_output_scale =
        srdhm_s16(input_value_on_hires_input_scale, output_multiplier_fixedpoint_int16);
    int16_t reluish_value = input_value_on_hires_input_scale;
    int16_t preshift_output_value, output_value;
    if (reluish_multiplier_exponent > 0) {
      reluish_value = saturating_left_shift_s16(reluish_value, reluish_multiplier_exponent - 1);
    }
    reluish_value = srdhm_s16(reluish_value, reluish_multiplier_fixedpoint_int16);
    if (reluish_multiplier_exponent > 0) {
      reluish_value = saturating_left_shift_s16(reluish_value, 1);
    }
    if (reluish_multiplier_exponent < 0) {
      reluish_value = rounding_divide_by_pot_s16(reluish_value, -reluish_multiplier_exponent);
    }
    reluish_value = (int16_t)((reluish_value + ((int32_t)1 << 15)) >> 1);
    preshift_output_value = sdhm_s16(reluish_value, input_value_on_preshift_output_scale);
    output_value = rounding_divide_by_pot_s16(preshift_output_value, -output_multiplier_exponent);
    output_value = (int16_t)(output_value + output_zero_point);
    if (output_value > MR_INT8_MAX) output_value = MR_INT8_MAX;
    if (output_value < MR_INT8_MIN) output_value = MR_INT8_MIN;
    output[i] = (int8_t)output_value;
  }
}
