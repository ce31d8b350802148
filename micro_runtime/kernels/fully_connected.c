/* FULLY_CONNECTED int8.
 * Mirrors reference/integer_ops/fully_connected.h: acc = sum
 * (filter + filter_offset) * (input + input_offset), + bias, requantize,
 * + output_offset, clamp. */
#include "mr_kernels.h"

void mr_fully_connected_s8(const int8_t *in, int batches, int in_n, const int8_t *filter,
                           const int32_t *bias, int out_n, int8_t *out,
                           int32_t in_offset, int32_t filter_offset, int32_t out_offset,
                           int32_t out_mult, int32_t out_shift, int32_t act_min, int32_t act_max) {
  int b, o, i;
  for (b = 0; b < batches; ++b) {
    const int8_t *in_row = in + (size_t)b * in_n;
    for (o = 0; o < out_n; ++o) {
      const int8_t *filter_row = filter + (size_t)o * in_n;
      int32_t acc = 0;
      for (i = 0; i < in_n; ++i) {
        acc += ((int32_t)filter_row[i] + filter_offset) * ((int32_t)in_row[i] + in_offset);
      }
      if (bias) acc += bias[o];
      acc = mr_requantize(acc, out_mult, out_shift);
      acc += out_offset;
      out[(size_t)b * out_n + o] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
    }
  }
}

void mr_fully_connected_per_channel_s8(const int8_t *in, int batches, int in_n,
                                       const int8_t *filter, const int32_t *bias, int out_n,
                                       int8_t *out, int32_t in_offset, int32_t out_offset,
                                       const int32_t *out_mult, const int32_t *out_shift,
                                       int32_t act_min, int32_t act_max) {
  int b, o, i;
  for (b = 0; b < batches; ++b) {
    const int8_t *in_row = in + (size_t)b * in_n;
    for (o = 0; o < out_n; ++o) {
      const int8_t *filter_row = filter + (size_t)o * in_n;
      int32_t acc = 0;
      for (i = 0; i < in_n; ++i) {
        acc += (int32_t)filter_row[i] * ((int32_t)in_row[i] + in_offset);
      }
      if (bias) acc += bias[o];
      acc = mr_requantize(acc, out_mult[o], out_shift[o]);
      acc += out_offset;
      out[(size_t)b * out_n + o] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
    }
  }
}
