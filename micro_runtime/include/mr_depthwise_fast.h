/* mr_depthwise_fast.h - DEPTHWISE_CONV_2D (depth multiplier 1, dilation 1) as generated code calls it:
 * the bytes of mr_depthwise_conv2d_s8 / mr_depthwise_conv2d_inplace_s8, computed with channels as the
 * vector dimension (see depthwise_fast.c). Arguments are those of the reference kernels but for the shifts:
 * out_rshift_m1 holds -1 - shift per channel as int8 (mr_requant_prepare_rshift_m1). */
#ifndef MR_DEPTHWISE_FAST_H_
#define MR_DEPTHWISE_FAST_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

void mr_depthwise_conv2d_fast_s8(const int8_t *in, int in_h, int in_w, int c,
                                 const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                 int stride_h, int stride_w, int pad_top, int pad_left,
                                 int8_t *out, int out_h, int out_w,
                                 int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                 const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max);

/* In place (output over the input, same base). Three modes, chosen from scratch_bytes:
 *  - ring: k x k kernels (k = 3, 5, 7), stride_w 1 or 2, at least MR_DW_RING_MIN_PIXELS output pixels,
 *    when scratch holds mr_depthwise_ring_bytes(..., narrow = 0 or 1): channel by channel, each
 *    channel's input rows through a ring of k int16 (narrow: int8) rows, the output written straight
 *    over the input channel;
 *  - rows: when scratch holds `delay` output rows (delay = mr_depthwise_inplace_row_delay(...)), rows
 *    of all channels go through a ring of `delay` rows in scratch and are written back as soon as no
 *    row still to be computed reads the input they cover;
 *  - channels otherwise (scratch holds out_h*out_w bytes): mr_depthwise_conv2d_inplace_s8's order. */
void mr_depthwise_conv2d_inplace_fast_s8(int8_t *inout, int in_h, int in_w, int c,
                                         const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                         int stride_h, int stride_w, int pad_top, int pad_left,
                                         int out_h, int out_w, int8_t *scratch, int32_t scratch_bytes,
                                         int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                         const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max);

/* The ring mode: whether the shape takes it (below this many output pixels the per-channel set-up
 * outweighs it and the rows/channel modes run faster), and the scratch it needs (codegen.py mirrors
 * both to size the scratch; narrow: int8 rows, else int16). */
#ifndef MR_DW_RING_MIN_PIXELS /* depthwise_fast_test.c sets 1 to test the ring mode on small cases */
#define MR_DW_RING_MIN_PIXELS 64
#endif
int mr_depthwise_ring_fits(int k_h, int k_w, int stride_w, int pad_top, int pad_left, int out_h, int out_w);
int32_t mr_depthwise_ring_bytes(int k, int stride_w, int out_w, int narrow);

/* Output rows the in-place rows mode keeps in flight (codegen.py mirrors it to size the scratch). */
int32_t mr_depthwise_inplace_row_delay(int in_h, int in_w, int c, int stride_h, int pad_top, int out_h,
                                       int out_w);

#ifdef __cplusplus
}
#endif

#endif /* MR_DEPTHWISE_FAST_H_ */
