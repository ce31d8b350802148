/* mr_inplace.h - convolutions that write over a buffer they read, so the planner can give input and
 * output one region of the arena (see tflite_patch/passes.py, mark_inplace and fuse_conv_add).
 * Both reuse the reference kernels of mr_kernels.h pixel by pixel, so their bytes are TFLM's. */
#ifndef MR_INPLACE_H_
#define MR_INPLACE_H_

#include "mr_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1x1 stride-1 conv whose output overwrites its input `buf` ([rows][in_c] -> [rows][out_c], same
 * base). Each input pixel is copied to `scratch` (in_c bytes) before its output pixel is written.
 * out_c <= in_c runs forward (pixel p's output ends at or before pixel p+1's input), out_c > in_c
 * from the last pixel backwards (pixel p's output starts at or after pixel p's input, and the pixels
 * after it are already done); `buf` must hold rows * max(in_c, out_c) bytes. */
void mr_conv1x1_inplace_s8(int8_t *buf, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                           int out_c, int8_t *scratch, int32_t in_offset, int32_t out_offset,
                           const int32_t *out_mult, const int32_t *out_shift, int32_t act_min,
                           int32_t act_max);

/* CONV_2D followed by ADD(conv, skip), fused: every output pixel of the conv is computed into
 * `scratch` (out_c bytes) with the conv's own requantization and clamp, then added to the skip
 * pixel with the ADD's parameters (mr_add_s8) and written to `out`, which may equal `skip`: each skip
 * pixel is read just before it is replaced. conv_is_input1 says whether the conv's result is the
 * ADD's first input (the two inputs have their own multipliers). Arguments up to act_max are those
 * of mr_conv2d_s8; the rest are mr_add_s8's. */
void mr_conv2d_add_s8(const int8_t *in, int in_h, int in_w, int in_c,
                      const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                      int stride_h, int stride_w, int pad_top, int pad_left,
                      const int8_t *skip, int8_t *out, int out_h, int out_w,
                      int32_t in_offset, int32_t conv_out_offset, const int32_t *out_mult,
                      const int32_t *out_shift, int32_t conv_act_min, int32_t conv_act_max,
                      int8_t *scratch, int conv_is_input1,
                      int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
                      int32_t input1_multiplier, int32_t input1_shift,
                      int32_t input2_multiplier, int32_t input2_shift,
                      int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                      int32_t act_min, int32_t act_max);

#ifdef __cplusplus
}
#endif

#endif /* MR_INPLACE_H_ */
