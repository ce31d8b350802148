/* mr_streaming.h - kernels whose output overlaps their input at a fixed distance chosen by the planner
 * (tflite_patch/passes.py: rows_inplace_offset, QUANTIZE/DEQUANTIZE in place). They produce the
 * output in an order that never overwrites input bytes still to be read, and reuse the reference
 * kernels of mr_kernels.h for the arithmetic, so their bytes are TFLM's. */
#ifndef MR_STREAMING_H_
#define MR_STREAMING_H_

#include "mr_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D one output row at a time: each row is computed into `scratch` (out_w*out_c bytes) by
 * mr_conv2d_s8, then copied to its place in `out`, which may overlap `in` as long as rows 0..y of the
 * output only cover input rows that no later output row reads. */
void mr_conv2d_rows_s8(const int8_t *in, int in_h, int in_w, int in_c,
                       const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                       int stride_h, int stride_w, int pad_top, int pad_left,
                       int8_t *out, int out_h, int out_w, int8_t *scratch,
                       int32_t in_offset, int32_t out_offset, const int32_t *out_mult, const int32_t *out_shift,
                       int32_t act_min, int32_t act_max);

/* QUANTIZE float32 -> int8 / uint8 from the last element to the first, so the output may sit in the
 * tail of the input buffer (out >= in + 3 * (n - 1) bytes). */
void mr_quantize_f32_s8_backward(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point);
void mr_quantize_f32_u8_backward(const float *in, int32_t n, uint8_t *out, float scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* MR_STREAMING_H_ */
