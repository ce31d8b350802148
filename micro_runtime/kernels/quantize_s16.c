/* QUANTIZE and DEQUANTIZE with int16 (TFLM quantize.cc / dequantize.cc):
 * float32 -> int16 (reference_ops::AffineQuantize: TfLiteRound(x / scale) + zero point, clamped),
 * int8/int16/int32 -> int8/int16/int32 as TFLM has them (reference_ops::Requantize: MultiplyByQuantizedMultiplier
 * of x - input zero point, + output zero point, clamped to the output type),
 * int16 -> float32 ((float)(scale * (x - zero_point)), exact in double as dequantize.c says). */
#include <math.h>

#include "mr_kernels.h"
#include "mr_s16.h"

void mr_quantize_f32_s16(const float *in, int n, int16_t *out, float scale, int32_t zero_point) {
  int i;
  for (i = 0; i < n; ++i) {
    /* Bounded in float first so that the int conversion is defined; the clamp below saturates the same. */
    const float rounded = fminf(fmaxf(roundf(in[i] / scale), -65536.0f), 65536.0f);
    out[i] = (int16_t)mr_clamp_i32((int32_t)rounded + zero_point, MR_INT16_MIN, MR_INT16_MAX);
  }
}

void mr_dequantize_s16_f32(const int16_t *in, int n, float *out, float scale, int32_t zero_point) {
  int i;
  for (i = 0; i < n; ++i) out[i] = (float)((double)scale * (double)((int32_t)in[i] - zero_point));
}

#define MR_REQUANTIZE(NAME, IN_T, OUT_T, OUT_MIN, OUT_MAX)                                              \
  void NAME(const MR_CONST mr_requantize_params *p, const IN_T *input, int32_t size, OUT_T *output) {          \
    int32_t i;                                                                                         \
    for (i = 0; i < size; ++i) {                                                                       \
      const int32_t value = mr_requantize((int32_t)input[i] - p->input_zero_point, p->multiplier, p->shift); \
      output[i] = (OUT_T)mr_clamp_i32(value + p->output_zero_point, OUT_MIN, OUT_MAX);                 \
    }                                                                                                  \
  }

MR_REQUANTIZE(mr_requantize_s8_s16, int8_t, int16_t, MR_INT16_MIN, MR_INT16_MAX)
MR_REQUANTIZE(mr_requantize_s16_s8, int16_t, int8_t, MR_INT8_MIN, MR_INT8_MAX)
MR_REQUANTIZE(mr_requantize_s16_s16, int16_t, int16_t, MR_INT16_MIN, MR_INT16_MAX)
MR_REQUANTIZE(mr_requantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX)
MR_REQUANTIZE(mr_requantize_s32_s16, int32_t, int16_t, MR_INT16_MIN, MR_INT16_MAX)
MR_REQUANTIZE(mr_requantize_s8_s32, int8_t, int32_t, INT32_MIN, INT32_MAX)
MR_REQUANTIZE(mr_requantize_s32_s8, int32_t, int8_t, MR_INT8_MIN, MR_INT8_MAX)
