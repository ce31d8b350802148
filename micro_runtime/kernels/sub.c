/* SUB int8 with broadcasting.
 * Mirrors reference_ops::Sub / BroadcastQuantSubSlow (TFLM sub.cc): both inputs offset, shifted left by
 * left_shift, rescaled to a common scale, subtracted, rescaled to the output, offset and clamped. */
#include "mr_elementwise.h"
#include "mr_kernels.h"

void mr_sub_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
               int8_t *out) {
  MR_CHECK(out, mr_checked_product(p->shape.dims, 4));
  const MR_CONST mr_add_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, {
    const int32_t raw_sub = mr_scaled_difference(q, in1[i1], in2[i2]);
    const int32_t raw_output =
        mr_requantize_smaller_than_one(raw_sub, q->output_multiplier, q->output_shift) + q->output_offset;
    out[o] = (int8_t)mr_clamp_i32(raw_output, q->activation.min, q->activation.max);
  });
}
