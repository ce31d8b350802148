/* ADD int8 with broadcasting.
 * Mirrors reference/integer_ops/add.h (AddFunc): both inputs are offset,
 * shifted left by left_shift, rescaled to a common scale
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the
 * output scale, offset and clamped. */
#include "mr_broadcast.h"
#include "mr_kernels.h"
#include "mr_x86.h"

static int8_t add_func(int8_t x, int8_t y, int32_t input1_offset, int32_t input2_offset,
                       int32_t left_shift, int32_t input1_multiplier, int32_t input1_shift,
                       int32_t input2_multiplier, int32_t input2_shift, int32_t output_offset,
                       int32_t output_multiplier, int32_t output_shift, int32_t act_min,
                       int32_t act_max) {
  const int32_t input1_val = input1_offset + x;
  const int32_t input2_val = input2_offset + y;
  const int32_t shifted_input1_val = mr_shift_left_wrap(input1_val, left_shift);
  const int32_t shifted_input2_val = mr_shift_left_wrap(input2_val, left_shift);
  const int32_t scaled_input1_val =
      mr_requantize_smaller_than_one(shifted_input1_val, input1_multiplier, input1_shift);
  const int32_t scaled_input2_val =
      mr_requantize_smaller_than_one(shifted_input2_val, input2_multiplier, input2_shift);
  const int32_t raw_sum = scaled_input1_val + scaled_input2_val;
  const int32_t raw_output =
      mr_requantize_smaller_than_one(raw_sum, output_multiplier, output_shift) + output_offset;
  return (int8_t)mr_clamp_i32(raw_output, act_min, act_max);
}

typedef struct {
  int32_t input1_offset, input2_offset, left_shift, output_offset, act_min, act_max;
} mr_add_offsets;

/* Same-shape ADD, R1 / R2 / RO: whether each rescaling shifts right (constants in each instance). */
static inline __attribute__((always_inline)) void mr_add_loop(const int8_t *in1, const int8_t *in2, int8_t *out,
                                                               int32_t n, const mr_requant *r1, const mr_requant *r2,
                                                               const mr_requant *ro, const mr_add_offsets *q,
                                                               const int R1, const int R2, const int RO) {
  const mr_requant s1 = *r1, s2 = *r2, so = *ro;
  const mr_add_offsets p = *q;
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
    out[i] = (int8_t)mr_clamp_i32(v + p.output_offset, p.act_min, p.act_max);
  }
}
typedef void (*mr_add_loop_fn)(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t n, const mr_requant *r1,
                               const mr_requant *r2, const mr_requant *ro, const mr_add_offsets *q);
#define MR_ADD_LOOP(name, r1, r2, ro)                                                                     \
  static void mr_add_loop_##name(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t n,            \
                                 const mr_requant *s1, const mr_requant *s2, const mr_requant *so,        \
                                 const mr_add_offsets *q) {                                                \
    mr_add_loop(in1, in2, out, n, s1, s2, so, q, r1, r2, ro);                                             \
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

#ifdef MR_SSE2
/* add_func on eight elements (x, y: int8 in the low 8 bytes), its three rescalings by mr_requant_apply_x4 (equal
 * to mr_requantize_smaller_than_one, requantize_test.c). */
typedef struct {
  __m128i input1_offset, input2_offset, output_offset, act_min, act_max, left_shift;
  mr_requant_x4 input1, input2, output;
} mr_add_x86;

static __m128i mr_add_x8(__m128i x, __m128i y, const mr_add_x86 *a) {
  const __m128i x16 = mr_widen8(x), y16 = mr_widen8(y);
  __m128i half[2];
  int h;
  for (h = 0; h < 2; ++h) {
    const __m128i xv = _mm_srai_epi32(h ? _mm_unpackhi_epi16(x16, x16) : _mm_unpacklo_epi16(x16, x16), 16);
    const __m128i yv = _mm_srai_epi32(h ? _mm_unpackhi_epi16(y16, y16) : _mm_unpacklo_epi16(y16, y16), 16);
    const __m128i x_scaled =
        mr_requant_apply_x4(_mm_sll_epi32(_mm_add_epi32(xv, a->input1_offset), a->left_shift), &a->input1);
    const __m128i y_scaled =
        mr_requant_apply_x4(_mm_sll_epi32(_mm_add_epi32(yv, a->input2_offset), a->left_shift), &a->input2);
    half[h] = _mm_add_epi32(mr_requant_apply_x4(_mm_add_epi32(x_scaled, y_scaled), &a->output), a->output_offset);
  }
  {
    const __m128i v = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(half[0], half[1]), a->act_min), a->act_max);
    return _mm_packs_epi16(v, v);
  }
}
#endif

void mr_add_s8(const int8_t *in1, const int32_t shape1[4], const int8_t *in2, const int32_t shape2[4],
               int8_t *out,
               int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
               int32_t input1_multiplier, int32_t input1_shift,
               int32_t input2_multiplier, int32_t input2_shift,
               int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
               int32_t act_min, int32_t act_max) {
  if (mr_same_shape4(shape1, shape2)) {
    const int32_t n = shape1[0] * shape1[1] * shape1[2] * shape1[3];
    int32_t i = 0;
#ifdef MR_SSE2
    mr_add_x86 a;
    a.input1_offset = _mm_set1_epi32(input1_offset);
    a.input2_offset = _mm_set1_epi32(input2_offset);
    a.output_offset = _mm_set1_epi32(output_offset);
    a.act_min = _mm_set1_epi16((int16_t)act_min);
    a.act_max = _mm_set1_epi16((int16_t)act_max);
    a.left_shift = _mm_cvtsi32_si128(left_shift);
    a.input1 = mr_requant_prepare_x4(input1_multiplier, input1_shift);
    a.input2 = mr_requant_prepare_x4(input2_multiplier, input2_shift);
    a.output = mr_requant_prepare_x4(output_multiplier, output_shift);
    for (; i + 8 <= n; i += 8) { /* out may be in1 or in2: each group is read before it is written */
      _mm_storel_epi64((__m128i *)(void *)(out + i),
                       mr_add_x8(_mm_loadl_epi64((const __m128i *)(const void *)(in1 + i)),
                                 _mm_loadl_epi64((const __m128i *)(const void *)(in2 + i)), &a));
    }
#endif
    /* The three rescalings prepared once (mr_requant_apply equals mr_requantize for these multipliers,
     * requantize_test.c), and the direction of each shift decided once, not per element: the generic
     * add_func costs several times more per element on Cortex-M. On x86 the SSE2 loop takes groups of 8. */
    const mr_requant r1 = mr_requant_prepare(input1_multiplier, input1_shift);
    const mr_requant r2 = mr_requant_prepare(input2_multiplier, input2_shift);
    const mr_requant ro = mr_requant_prepare(output_multiplier, output_shift);
    const mr_add_offsets q = {input1_offset, input2_offset, left_shift, output_offset, act_min, act_max};
    static const mr_add_loop_fn loops[8] = {mr_add_loop_lll, mr_add_loop_llr, mr_add_loop_lrl, mr_add_loop_lrr,
                                            mr_add_loop_rll, mr_add_loop_rlr, mr_add_loop_rrl, mr_add_loop_rrr};
    loops[(r1.right_shift_m1 >= 0) * 4 + (r2.right_shift_m1 >= 0) * 2 + (ro.right_shift_m1 >= 0)](
        in1 + i, in2 + i, out + i, n - i, &r1, &r2, &ro, &q);
  } else {
    int32_t out_shape[4], s1[4], s2[4];
    int32_t b, y, x, c;
    mr_broadcast_strides(shape1, shape2, out_shape, s1, s2);
    for (b = 0; b < out_shape[0]; ++b) {
      for (y = 0; y < out_shape[1]; ++y) {
        for (x = 0; x < out_shape[2]; ++x) {
          for (c = 0; c < out_shape[3]; ++c) {
            const int8_t v1 = in1[b * s1[0] + y * s1[1] + x * s1[2] + c * s1[3]];
            const int8_t v2 = in2[b * s2[0] + y * s2[1] + x * s2[2] + c * s2[3]];
            *out++ = add_func(v1, v2, input1_offset, input2_offset, left_shift, input1_multiplier,
                              input1_shift, input2_multiplier, input2_shift, output_offset,
                              output_multiplier, output_shift, act_min, act_max);
          }
        }
      }
    }
  }
}
