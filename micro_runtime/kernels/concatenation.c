/* CONCATENATION int8 along any axis (reference_ops::Concatenation).
 * TFLM's int8 kernel requires equal quantization on all inputs (plain copy);
 * inputs with a different scale/zero point are requantized here the way
 * TFLM's QUANTIZE int8->int8 does (reference_ops::Requantize). */
#include "mr_kernels.h"

void mr_concatenation_s8(const MR_CONST mr_concatenation_params *params, const MR_CONST int8_t *const *inputs,
                         int8_t *output) {
  MR_CHECK(output, (int64_t)params->outer * mr_checked_sum(params->axis_dims, params->num_inputs) * params->inner);
  const MR_CONST int32_t *multipliers = params->multipliers;
  int o, k;
  for (o = 0; o < params->outer; ++o) {
    for (k = 0; k < params->num_inputs; ++k) {
      const size_t copy_size = (size_t)params->axis_dims[k] * (size_t)params->inner;
      const MR_CONST int8_t *src = inputs[k] + (size_t)o * copy_size;
      if (multipliers == NULL || multipliers[k] == 0) {
        mr_copy_const(output, src, copy_size);
      } else {
        size_t j;
        for (j = 0; j < copy_size; ++j) {
          const int32_t value = mr_requantize((int32_t)src[j] + params->input_offsets[k], multipliers[k],
                                              params->shifts[k]) +
                                params->output_offset;
          output[j] = mr_sat_s8(value);
        }
      }
      output += copy_size;
    }
  }
}
