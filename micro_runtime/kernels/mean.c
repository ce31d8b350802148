/* MEAN int8 and int16 over a contiguous block of axes (H,W for NHWC).
 * Mirrors reference_ops::QuantizedMeanOrSum (integer version, compute_sum
 * false) as TFLM's EvalIntegerMean runs it: the int32 sum of raw values, minus
 * input_zero_point * count, requantized with the input/output multiplier into
 * which 1/count has been folded (multiplier << s / count, shift - s with
 * s = floor(log2(count)) clamped to 32 and 31 + shift), + output_zero_point,
 * saturated to int8 (int16: EvalIntegerMean<int16_t>, the same steps). */
#include "mr_kernels.h"

/* is16: int16 input and output, else int8 (a constant in each caller). */
static inline __attribute__((always_inline)) void mean_k(const MR_CONST mr_mean_params *params, const void *input,
                                                         void *output, const int is16) {
  const int outer = params->outer, reduce = params->reduce, inner = params->inner;
  const int64_t num_elements_in_axis = reduce;
  int32_t multiplier, shift_total;
  int o, r, i;
  if (num_elements_in_axis <= 0) return;
  {
    int shift = 0;
    while (((uint64_t)num_elements_in_axis >> (shift + 1)) != 0) ++shift; /* 63 - clz */
    if (shift > 32) shift = 32;
    if (shift > 31 + params->output_shift) shift = 31 + params->output_shift;
    multiplier =
        (int32_t)((((int64_t)params->output_multiplier) * ((int64_t)1 << shift)) / num_elements_in_axis);
    shift_total = params->output_shift - shift;
  }
  for (o = 0; o < outer; ++o) {
    for (i = 0; i < inner; ++i) {
      int32_t sum = 0;
      int32_t shifted_sum, value;
      for (r = 0; r < reduce; ++r) {
        const size_t at = ((size_t)o * reduce + r) * inner + i;
        sum += is16 ? ((const int16_t *)input)[at] : ((const int8_t *)input)[at];
      }
      shifted_sum = (int32_t)((int64_t)sum - (int64_t)params->input_zero_point * num_elements_in_axis);
      value = mr_requantize(shifted_sum, multiplier, shift_total) + params->output_zero_point;
      if (is16) ((int16_t *)output)[(size_t)o * inner + i] = (int16_t)mr_clamp_i32(value, -32768, 32767);
      else ((int8_t *)output)[(size_t)o * inner + i] = mr_sat_s8(value);
    }
  }
}

void mr_mean_s8(const MR_CONST mr_mean_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, (int64_t)params->outer * params->inner);
  mean_k(params, input, output, 0);
}

void mr_mean_s16(const MR_CONST mr_mean_params *params, const int16_t *input, int16_t *output) {
  MR_CHECK(output, 2 * (int64_t)params->outer * params->inner);
  mean_k(params, input, output, 1);
}
