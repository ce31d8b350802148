/* FULLY_CONNECTED int8.
 * Mirrors reference/integer_ops/fully_connected.h: acc = sum
 * (filter + filter_offset) * (input + input_offset), + bias, requantize,
 * + output_offset, clamp. */
#include "mr_kernels.h"

/* PER_CHANNEL: one multiplier and shift per output (filter_offset 0), else quant.multiplier[0] and shift[0]. */
static inline __attribute__((always_inline)) void mr_fully_connected_k(const MR_CONST mr_fully_connected_params *p,
                                                                       const int8_t *in, int8_t *out,
                                                                       const int PER_CHANNEL) {
  const int batches = p->batches, in_n = p->input_depth, out_n = p->output_depth;
  const int32_t in_offset = p->input_offset, filter_offset = PER_CHANNEL ? 0 : p->filter_offset;
  const int32_t out_offset = p->output_offset, act_min = p->activation.min, act_max = p->activation.max;
  const MR_CONST int32_t *bias = p->bias;
  int b, o, i;
  for (b = 0; b < batches; ++b) {
    const int8_t *in_row = in + (size_t)b * in_n;
    for (o = 0; o < out_n; ++o) {
      const MR_CONST int8_t *filter_row = p->filter + (size_t)o * in_n;
      const int c = PER_CHANNEL ? o : 0;
      int32_t acc = 0;
      for (i = 0; i < in_n; ++i) {
        acc += ((int32_t)filter_row[i] + filter_offset) * ((int32_t)in_row[i] + in_offset);
      }
      if (bias) acc += bias[o];
      acc = mr_requantize(acc, p->quant.multiplier[c], p->quant.shift[c]);
      acc += out_offset;
      out[(size_t)b * out_n + o] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
    }
  }
}

void mr_fully_connected_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_k(p, in, out, 0);
}

void mr_fully_connected_per_channel_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, (int64_t)p->batches * p->output_depth);
  mr_fully_connected_k(p, in, out, 1);
}
