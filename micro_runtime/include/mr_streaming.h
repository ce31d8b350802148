/* mr_streaming.h - QUANTIZE written over its own float input at the distance the planner chose
 * (tflite_patch/passes.py, mark_inplace): backwards, so it never overwrites input bytes still to be read;
 * the arithmetic is the reference kernel's, so the bytes are TFLM's. */
#ifndef MR_STREAMING_H_
#define MR_STREAMING_H_

#include "mr_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* QUANTIZE float32 -> int8 / uint8 from the last element to the first, so the output may sit in the
 * tail of the input buffer (out >= in + 3 * (n - 1) bytes). */
void mr_quantize_f32_s8_backward(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point);
void mr_quantize_f32_u8_backward(const float *in, int32_t n, uint8_t *out, float scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* MR_STREAMING_H_ */
