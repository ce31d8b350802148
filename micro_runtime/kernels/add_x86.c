/* The SSE2 part of ADD int8 on equal shapes (mr_add_s8): add_func on eight elements at a time, its three
 * rescalings by mr_requant_apply_x4 (equal to mr_requantize_smaller_than_one, requantize_test.c). */
#include "mr_kernels.h"
#include "mr_x86.h"

#ifdef MR_SSE2
typedef struct {
  __m128i input1_offset, input2_offset, output_offset, act_min, act_max, left_shift;
  mr_requant_x4 input1, input2, output;
} mr_add_x86;

/* x, y: int8 in the low 8 bytes. */
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

int32_t mr_add_s8_x86(const MR_CONST mr_add_params *params, const int8_t *input1, const int8_t *input2, int8_t *output,
                      int32_t size) {
  mr_add_x86 a;
  int32_t i;
  a.input1_offset = _mm_set1_epi32(params->input1_offset);
  a.input2_offset = _mm_set1_epi32(params->input2_offset);
  a.output_offset = _mm_set1_epi32(params->output_offset);
  a.act_min = _mm_set1_epi16((int16_t)params->activation.min);
  a.act_max = _mm_set1_epi16((int16_t)params->activation.max);
  a.left_shift = _mm_cvtsi32_si128(params->left_shift);
  a.input1 = mr_requant_prepare_x4(params->input1_multiplier, params->input1_shift);
  a.input2 = mr_requant_prepare_x4(params->input2_multiplier, params->input2_shift);
  a.output = mr_requant_prepare_x4(params->output_multiplier, params->output_shift);
  for (i = 0; i + 8 <= size; i += 8) { /* output may be input1 or input2: each group is read before it is written */
    _mm_storel_epi64((__m128i *)(void *)(output + i),
                     mr_add_x8(_mm_loadl_epi64((const __m128i *)(const void *)(input1 + i)),
                               _mm_loadl_epi64((const __m128i *)(const void *)(input2 + i)), &a));
  }
  return i;
}
#endif
