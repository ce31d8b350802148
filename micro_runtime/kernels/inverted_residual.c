/* A fused inverted-residual block, row by row (mr_inverted_residual.h). The window holds expanded rows
 * [first, first + count) contiguously, as the depthwise kernel reads rows; for each output row the rows no
 * later output row reads are dropped (the rest moved to the front) and the missing ones expanded. The
 * depthwise then runs on the window as an input of (rows present) rows, its pad_top set to the window rows
 * that fall in the padding: the taps it skips are the ones the whole-tensor call skips. */
#include <string.h>

#include "mr_fast.h"
#include "mr_inverted_residual.h"

static int32_t mr_max32(int32_t a, int32_t b) { return a > b ? a : b; }

int32_t mr_inverted_residual_scratch_bytes(const MR_CONST mr_conv_params *expand,
                                           const MR_CONST mr_conv_params *depthwise,
                                           const MR_CONST mr_conv_params *project, const MR_CONST mr_add_params *add) {
  const int32_t c = depthwise->input.c;
  const int32_t window = MR_ALIGN4((int32_t)depthwise->window.k_h * depthwise->input.w * c);
  const int32_t row = MR_ALIGN4((int32_t)depthwise->output.w * c);
  const int32_t projected = add ? MR_CONV_ADD_SCRATCH_BYTES(1, 1, c, project->output.c) : MR_CONV1X1_SCRATCH_BYTES(c);
  return window + row + mr_max32(MR_CONV1X1_SCRATCH_BYTES(expand->input.c), projected);
}

void mr_inverted_residual_s8(const MR_CONST mr_conv_params *expand, const MR_CONST mr_conv_params *depthwise,
                             const mr_depthwise_unrolled *unrolled, const MR_CONST mr_conv_params *project,
                             const MR_CONST mr_add_params *add, const int8_t *in, int8_t *out, int8_t *scratch) {
  MR_CHECK(out, mr_checked_elements(&project->output));
  MR_CHECK(scratch, mr_inverted_residual_scratch_bytes(expand, depthwise, project, add));
  mr_conv_params e = *expand, d = *depthwise, pr = *project;
  const int32_t in_h = d.input.h, k = d.window.k_h, stride = d.window.stride_h, pad = d.window.pad_top;
  const int32_t row = (int32_t)d.input.w * d.input.c, in_row = (int32_t)e.input.w * e.input.c;
  const int32_t out_row = (int32_t)pr.output.w * pr.output.c, out_h = d.output.h;
  int8_t *window = scratch;
  int8_t *dw_row = window + MR_ALIGN4(k * row);
  int8_t *kernel_scratch = dw_row + MR_ALIGN4((int32_t)d.output.w * d.output.c);
  int32_t first = 0, count = 0, y;
  e.input.h = e.output.h = 1;
  d.output.h = 1;
  pr.input.h = pr.output.h = 1;
  for (y = 0; y < out_h; ++y) {
    const int32_t top = y * stride - pad;
    const int32_t lo = top < 0 ? 0 : top, hi = top + k > in_h ? in_h : top + k;
    if (lo > first) { /* rows above lo: no later output row reads them */
      const int32_t drop = lo - first;
      if (drop < count) memmove(window, window + (size_t)drop * row, (size_t)(count - drop) * row);
      count = drop < count ? count - drop : 0;
      first = lo;
    }
    for (; first + count < hi; ++count) {
      mr_conv1x1_fast_s8(&e, in + (size_t)(first + count) * in_row, window + (size_t)count * row, kernel_scratch);
    }
    d.input.h = hi - lo;
    d.window.pad_top = lo - top;
    mr_depthwise_conv2d_fast_s8(&d, unrolled, window, dw_row);
    if (add) {
      mr_conv2d_add_fast_s8(&pr, add, dw_row, in + (size_t)y * out_row, out + (size_t)y * out_row, kernel_scratch);
    } else {
      mr_conv1x1_fast_s8(&pr, dw_row, out + (size_t)y * out_row, kernel_scratch);
    }
  }
}
