/* SQUARED_DIFFERENCE int8 with broadcasting.
 * Mirrors TFLM squared_difference.cc SquaredDifference<int8_t>: both inputs offset, shifted left by 7,
 * rescaled to a common scale, the difference squared, rescaled to the output (any shift), offset, clamped. */
#include "mr_elementwise.h"
#include "mr_kernels.h"

void mr_squared_difference_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1,
                              const MR_CONST int8_t *in2, int8_t *out) {
  MR_CHECK(out, mr_checked_product(p->shape.dims, 4));
  const MR_CONST mr_add_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, {
    const int32_t raw_diff = mr_scaled_difference(q, in1[i1], in2[i2]);
    const int32_t raw_output =
        mr_requantize(raw_diff * raw_diff, q->output_multiplier, q->output_shift) + q->output_offset;
    out[o] = (int8_t)mr_clamp_i32(raw_output, q->activation.min, q->activation.max);
  });
}
