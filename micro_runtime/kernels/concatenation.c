/* CONCATENATION int8 along any axis (reference_ops::Concatenation).
 * TFLM's int8 kernel requires equal quantization on all inputs (plain copy);
 * inputs with a different scale/zero point are requantized here the way
 * TFLM's QUANTIZE int8->int8 does (reference_ops::Requantize). */
#include <string.h>

#include "mr_kernels.h"

void mr_concatenation_s8(int num_inputs, const int8_t *const *inputs, const int32_t *axis_dims,
                         int outer, int inner, int8_t *out,
                         const int32_t *input_offsets, const int32_t *multipliers,
                         const int32_t *shifts, int32_t output_offset) {
  int o, k;
  for (o = 0; o < outer; ++o) {
    for (k = 0; k < num_inputs; ++k) {
      const size_t copy_size = (size_t)axis_dims[k] * (size_t)inner;
      const int8_t *src = inputs[k] + (size_t)o * copy_size;
      if (multipliers == NULL || multipliers[k] == 0) {
        memcpy(out, src, copy_size);
      } else {
        size_t j;
        for (j = 0; j < copy_size; ++j) {
          const int32_t value =
              mr_requantize((int32_t)src[j] + input_offsets[k], multipliers[k], shifts[k]) +
              output_offset;
          out[j] = mr_sat_s8(value);
        }
      }
      out += copy_size;
    }
  }
}
