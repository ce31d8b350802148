/* ADD int8 with broadcasting.
 * Mirrors reference/integer_ops/add.h (AddFunc): both inputs are offset,
 * shifted left by left_shift, rescaled to a common scale
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the
 * output scale, offset and clamped. */
#include "mr_broadcast.h"
#include "mr_kernels.h"
#include "mr_x86.h"

static int8_t add_func(int8_t x, int8_t y, const MR_CONST void *params) {
  const MR_CONST mr_add_params *p = (const MR_CONST mr_add_params *)params;
  const int32_t input1_val = p->input1_offset + x;
  const int32_t input2_val = p->input2_offset + y;
  const int32_t shifted_input1_val = mr_shift_left_wrap(input1_val, p->left_shift);
  const int32_t shifted_input2_val = mr_shift_left_wrap(input2_val, p->left_shift);
  const int32_t scaled_input1_val =
      mr_requantize_smaller_than_one(shifted_input1_val, p->input1_multiplier, p->input1_shift);
  const int32_t scaled_input2_val =
      mr_requantize_smaller_than_one(shifted_input2_val, p->input2_multiplier, p->input2_shift);
  const int32_t raw_sum = scaled_input1_val + scaled_input2_val;
  const int32_t raw_output =
      mr_requantize_smaller_than_one(raw_sum, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)mr_clamp_i32(raw_output, p->activation.min, p->activation.max);
}

/* Same-shape ADD, R1 / R2 / RO: whether each rescaling shifts right (constants in each instance). */
static inline __attribute__((always_inline)) void mr_add_loop(const MR_CONST int8_t *in1,
                                                               const MR_CONST int8_t *in2, int8_t *out, int32_t n,
                                                               const mr_requant *r1, const mr_requant *r2,
                                                               const mr_requant *ro, const MR_CONST mr_add_params *q,
                                                               const int R1, const int R2, const int RO) {
  const mr_requant s1 = *r1, s2 = *r2, so = *ro;
  const mr_add_params p = *q;
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t x = mr_shift_left_wrap(p.input1_offset + in1[i], p.left_shift);
    const int32_t y = mr_shift_left_wrap(p.input2_offset + in2[i], p.left_shift);
#ifdef MR_SINGLE_ROUNDING
    const int32_t sum = mr_requant_apply(x, &s1) + mr_requant_apply(y, &s2);
    const int32_t v = mr_requant_apply(sum, &so);
    (void)R1, (void)R2, (void)RO;
#else
    const int32_t sum = (R1 ? mr_requant_apply_right(x, &s1) : mr_requant_apply_left(x, &s1)) +
                        (R2 ? mr_requant_apply_right(y, &s2) : mr_requant_apply_left(y, &s2));
    const int32_t v = RO ? mr_requant_apply_right(sum, &so) : mr_requant_apply_left(sum, &so);
#endif
    out[i] = (int8_t)mr_clamp_i32(v + p.output_offset, p.activation.min, p.activation.max);
  }
}
typedef void (*mr_add_loop_fn)(const MR_CONST int8_t *in1, const MR_CONST int8_t *in2, int8_t *out, int32_t n,
                               const mr_requant *r1, const mr_requant *r2, const mr_requant *ro,
                               const MR_CONST mr_add_params *q);
#define MR_ADD_LOOP(name, r1, r2, ro)                                                                         \
  static void mr_add_loop_##name(const MR_CONST int8_t *in1, const MR_CONST int8_t *in2, int8_t *out,         \
                                 int32_t n, const mr_requant *s1, const mr_requant *s2, const mr_requant *so, \
                                 const MR_CONST mr_add_params *q) {                                           \
    mr_add_loop(in1, in2, out, n, s1, s2, so, q, r1, r2, ro);                                                 \
  }
MR_ADD_LOOP(lll, 0, 0, 0)
MR_ADD_LOOP(llr, 0, 0, 1)
MR_ADD_LOOP(lrl, 0, 1, 0)
MR_ADD_LOOP(lrr, 0, 1, 1)
MR_ADD_LOOP(rll, 1, 0, 0)
MR_ADD_LOOP(rlr, 1, 0, 1)
MR_ADD_LOOP(rrl, 1, 1, 0)
MR_ADD_LOOP(rrr, 1, 1, 1)
#undef MR_ADD_LOOP

/* TFLM's AddElementwise. The three rescalings prepared once (mr_requant_apply equals mr_requantize for these
 * multipliers, requantize_test.c), and the direction of each shift decided once, not per element: the generic
 * add_func costs several times more per element on Cortex-M. On x86 the SSE2 part takes groups of 8. */
static void add_elementwise(const MR_CONST mr_add_params *params, const MR_CONST int8_t *input1,
                            const MR_CONST int8_t *input2,
                            int8_t *output, int32_t size) {
  static const MR_CONST mr_add_loop_fn loops[8] = {mr_add_loop_lll, mr_add_loop_llr, mr_add_loop_lrl, mr_add_loop_lrr,
                                          mr_add_loop_rll, mr_add_loop_rlr, mr_add_loop_rrl, mr_add_loop_rrr};
  int32_t i = 0;
#ifdef MR_SSE2
  i = mr_add_s8_x86(params, input1, input2, output, size);
#endif
  {
    const mr_requant r1 = mr_requant_prepare(params->input1_multiplier, params->input1_shift);
    const mr_requant r2 = mr_requant_prepare(params->input2_multiplier, params->input2_shift);
    const mr_requant ro = mr_requant_prepare(params->output_multiplier, params->output_shift);
    loops[(r1.right_shift_m1 >= 0) * 4 + (r2.right_shift_m1 >= 0) * 2 + (ro.right_shift_m1 >= 0)](
        input1 + i, input2 + i, output + i, size - i, &r1, &r2, &ro, params);
  }
}

void mr_add_s8(const MR_CONST mr_add_params *params, const MR_CONST int8_t *input1,
               const MR_CONST mr_dims *input1_shape, const MR_CONST int8_t *input2,
               const MR_CONST mr_dims *input2_shape, int8_t *output) {
  MR_CHECK(output, mr_checked_broadcast(input1_shape, input2_shape));
  if (mr_same_shape(input1_shape, input2_shape)) {
    add_elementwise(params, input1, input2, output, mr_flat_size(input1_shape));
  } else {
    mr_broadcast_binary_s8(add_func, params, input1, input1_shape, input2, input2_shape, output);
  }
}
