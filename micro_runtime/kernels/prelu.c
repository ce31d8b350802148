/* PRELU int8 with alpha broadcast against the input.
 * Mirrors reference_ops::BroadcastPrelu4DSlow: x >= 0 rescaled by multiplier 1, x < 0 times (alpha + offset)
 * rescaled by multiplier 2, plus the output offset, clamped to int8. */
#include "mr_elementwise.h"
#include "mr_kernels.h"

void mr_prelu_s8(const MR_CONST mr_prelu_params *p, const MR_CONST int8_t *in, const MR_CONST int8_t *alpha,
                 int8_t *out) {
  MR_CHECK(out, mr_checked_product(p->shape.dims, 4));
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, {
    const int32_t input_value = p->input_offset + in[i1];
    int32_t output_value;
    if (input_value >= 0) {
      output_value = mr_requantize(input_value, p->output_multiplier_1, p->output_shift_1);
    } else {
      const int32_t alpha_value = p->alpha_offset + alpha[i2];
      output_value = mr_requantize(input_value * alpha_value, p->output_multiplier_2, p->output_shift_2);
    }
    out[o] = (int8_t)mr_clamp_i32(output_value + p->output_offset, MR_INT8_MIN, MR_INT8_MAX);
  });
}
