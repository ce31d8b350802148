/* DEPTHWISE_CONV_2D fast kernels (depthwise_fast.c and the ISA file this machine builds: SSE2 on x86-64, the
 * portable path elsewhere) against TF Lite Micro's bytes, on the depth_mult 1 golden cases:
 * mr_depthwise_conv2d_fast_s8, and the in-place kernel in each of its modes (int16 and int8 ring, rows, channel),
 * chosen through the scratch it is given, each with the code unrolled for its window and without (NULL).
 * The ring mode is allowed on every output size here (MR_DW_RING_MIN_PIXELS 1) so the small golden
 * cases reach it. */
#define MR_DW_RING_MIN_PIXELS 1
#include "depthwise_fast.c"
#include "depthwise_fast_dsp.c"
#include "depthwise_fast_x86.c"

#include "golden_check.h"
#include "micro_runtime/golden/depthwise_golden.h"

static int8_t out_buf[1 << 16];
static int8_t inout_buf[1 << 16];
static int32_t scratch_buf[1 << 12]; /* 4-byte aligned, as the arena gives it */
static int8_t rshift_m1[1 << 12];     /* the golden case's shifts as the fast kernels take them: -1 - shift */

static mr_conv_params params_of(const mr_depthwise_golden_case *t) {
  const mr_conv_params p = {
      {1, t->in_h, t->in_w, t->in_c},
      {1, t->out_h, t->out_w, t->in_c},
      {t->k_h, t->k_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, 1, 1},
      1, t->in_offset, t->out_offset, {t->act_min, t->act_max}, t->filter, t->bias,
      {t->out_mult, NULL, rshift_m1}};
  return p;
}

/* The in-place kernel with `scratch_bytes` of scratch, with and without the unrolled code, against TFLM. */
static void check_inplace(const mr_depthwise_golden_case *t, const mr_conv_params *p,
                          const mr_depthwise_unrolled *unrolled, int32_t scratch_bytes, const char *name) {
  const size_t in_n = (size_t)t->in_h * t->in_w * t->in_c, n = (size_t)t->out_h * t->out_w * t->in_c;
  int with;
  for (with = 0; with < 2; ++with) {
    memcpy(inout_buf, t->input, in_n);
    mr_depthwise_conv2d_inplace_fast_s8(p, with ? unrolled : NULL, inout_buf, (int8_t *)scratch_buf, scratch_bytes);
    mr_check_bytes(name, t->name, inout_buf, t->expected, n);
  }
}

int main(void) {
  static const char *const names[4] = {"depthwise_inplace_channel", "depthwise_inplace_rows",
                                        "depthwise_inplace_ring_int8", "depthwise_inplace_ring_int16"};
  int i, mode;
  for (i = 0; i < DEPTHWISE_GOLDEN_COUNT; ++i) {
    const mr_depthwise_golden_case *t = &depthwise_golden_cases[i];
    const mr_conv_params p = params_of(t);
    const mr_depthwise_unrolled *unrolled =
        t->k_w == 3 ? &mr_depthwise_k3 : t->k_w == 5 ? &mr_depthwise_k5 : t->k_w == 7 ? &mr_depthwise_k7 : NULL;
    const size_t n = (size_t)t->out_h * t->out_w * t->in_c;
    const int32_t pixels = mr_depthwise_inplace_scratch_bytes(&p, MR_DEPTHWISE_CHANNELS);
    const int32_t rows = mr_depthwise_inplace_scratch_bytes(&p, MR_DEPTHWISE_ROWS);
    const int32_t ring = mr_depthwise_ring_bytes(&p, 0), narrow = mr_depthwise_ring_bytes(&p, 1);
    /* scratch sizes: channel mode (out_h*out_w), rows mode (when no ring fits it), int8 ring, int16 ring */
    const int32_t sizes[4] = {pixels < narrow ? pixels : narrow - 1, rows < narrow ? rows : narrow - 1, narrow, ring};
    int ch;
    if (t->depth_mult != 1) continue;
    for (ch = 0; ch < t->in_c; ++ch) rshift_m1[ch] = (int8_t)(-1 - t->out_shift[ch]);
    memset(out_buf, 0x55, n);
    mr_depthwise_conv2d_fast_s8(&p, unrolled, t->input, out_buf);
    mr_check_bytes("depthwise_fast", t->name, out_buf, t->expected, n);
    if (t->out_h > t->in_h || t->out_w > t->in_w) continue;
    for (mode = 0; mode < 4; ++mode) {
      if (sizes[mode] < pixels && sizes[mode] < rows) continue; /* too small for any mode */
      check_inplace(t, &p, unrolled, sizes[mode], names[mode]);
    }
  }
  return mr_summary("depthwise_fast_test");
}
