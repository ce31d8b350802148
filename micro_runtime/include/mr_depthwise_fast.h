/* mr_depthwise_fast.h - DEPTHWISE_CONV_2D (depth multiplier 1, dilation 1) as generated code calls it: the bytes
 * of mr_depthwise_conv2d_s8 / mr_depthwise_conv2d_inplace_s8, computed with channels as the vector dimension (see
 * depthwise_fast.c). `p` as the reference kernels take it but for the shifts: p->quant.rshift_m1 holds -1 - shift
 * per channel as int8 (mr_requant_prepare_rshift_m1; p->quant.shift is not read). */
#ifndef MR_DEPTHWISE_FAST_H_
#define MR_DEPTHWISE_FAST_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The code unrolled for windows k wide (k = 3, 5, 7): a call passes the one its window needs, so that a build
 * with --gc-sections keeps only the sizes some call names. NULL (or another size) costs speed, never bytes. */
typedef struct mr_depthwise_unrolled mr_depthwise_unrolled;
extern const mr_depthwise_unrolled mr_depthwise_k3, mr_depthwise_k5, mr_depthwise_k7;

void mr_depthwise_conv2d_fast_s8(const MR_CONST mr_conv_params *p, const mr_depthwise_unrolled *unrolled,
                                 const int8_t *in, int8_t *out);

/* In place (output over the input, same base). The modes, chosen from scratch_bytes (mr_depthwise_inplace_mode):
 *  - ring: k x k kernels (k = 3, 5, 7), stride_w 1 or 2, at least MR_DW_RING_MIN_PIXELS output pixels, when
 *    scratch holds mr_depthwise_ring_bytes(p, narrow = 0 or 1): channel by channel, each channel's input rows
 *    through a ring of k int16 (narrow: int8) rows, the output written straight over the input channel;
 *  - rows: when scratch holds `delay` output rows (delay = mr_depthwise_inplace_row_delay(p)), rows of all
 *    channels go through a ring of `delay` rows in scratch and are written back as soon as no row still to be
 *    computed reads the input they cover;
 *  - channels otherwise (scratch holds out_h*out_w bytes): mr_depthwise_conv2d_inplace_s8's order.
 * The DSP and x86 paths may run the ring and rows modes on blocks of channels instead (same bytes). */
void mr_depthwise_conv2d_inplace_fast_s8(const MR_CONST mr_conv_params *p, const mr_depthwise_unrolled *unrolled,
                                         int8_t *inout, int8_t *scratch, int32_t scratch_bytes);

/* The modes of the in-place kernel, fastest first. */
enum { MR_DEPTHWISE_RING16, MR_DEPTHWISE_RING8, MR_DEPTHWISE_ROWS, MR_DEPTHWISE_CHANNELS };

/* The mode the in-place kernel takes with scratch_bytes of scratch (micro_runtime/lowering/depthwise.py mirrors it
 * to name the kernel), and the scratch a mode needs (0: the layer cannot take it). The least scratch the kernel
 * runs with is the smaller of the rows and channels modes'. */
int mr_depthwise_inplace_mode(const MR_CONST mr_conv_params *p, int32_t scratch_bytes);
int32_t mr_depthwise_inplace_scratch_bytes(const MR_CONST mr_conv_params *p, int mode);

/* The ring mode: whether the shape takes it (below this many output pixels the per-channel set-up outweighs it and
 * the rows/channel modes run faster), and the scratch it needs (narrow: int8 rows, else int16). */
#ifndef MR_DW_RING_MIN_PIXELS /* depthwise_fast_test.c sets 1 to test the ring mode on small cases */
#define MR_DW_RING_MIN_PIXELS 64
#endif
int mr_depthwise_ring_fits(const MR_CONST mr_conv_params *p);
int32_t mr_depthwise_ring_bytes(const MR_CONST mr_conv_params *p, int narrow);

/* Output rows the in-place rows mode keeps in flight. */
int32_t mr_depthwise_inplace_row_delay(const MR_CONST mr_conv_params *p);

#ifdef __cplusplus
}
#endif

#endif /* MR_DEPTHWISE_FAST_H_ */
