/* mr_inverted_residual.h - an inverted-residual block (expand 1x1 -> depthwise kxk -> project 1x1, with the
 * residual ADD when it has one) fused and run row by row, so that the expanded tensor never exists whole:
 * only the k expanded rows the depthwise's next output row reads (a window in scratch) and that output row
 * are live. Each row goes through the kernels the layers take one by one (mr_conv1x1_fast_s8,
 * mr_depthwise_conv2d_fast_s8, mr_conv2d_add_fast_s8), with the same parameter structs, so the bytes are
 * the layers' (and TFLM's); no value is computed twice. */
#ifndef MR_INVERTED_RESIDUAL_H_
#define MR_INVERTED_RESIDUAL_H_

#include <stdint.h>

#include "mr_common.h"
#include "mr_depthwise_fast.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scratch: the window of k_h expanded rows, one depthwise output row (each rounded up to a word), then the
 * larger of the expand's and the project's kernel scratch. `add` NULL: no residual. */
int32_t mr_inverted_residual_scratch_bytes(const MR_CONST mr_conv_params *expand,
                                           const MR_CONST mr_conv_params *depthwise,
                                           const MR_CONST mr_conv_params *project, const MR_CONST mr_add_params *add);

/* `expand`, `depthwise`, `project`: the layers' parameters (whole tensors; the driver narrows them to rows);
 * `add`: the residual ADD of the project's output and the block input `in` (NULL: none). `out` may start
 * at or before `in` (tflite_patch/fuse_blocks.py, fused_inplace_offset): output row y is written once the
 * input rows it covers are expanded. */
void mr_inverted_residual_s8(const MR_CONST mr_conv_params *expand, const MR_CONST mr_conv_params *depthwise,
                             const mr_depthwise_unrolled *unrolled, const MR_CONST mr_conv_params *project,
                             const MR_CONST mr_add_params *add, const int8_t *in, int8_t *out, int8_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* MR_INVERTED_RESIDUAL_H_ */
