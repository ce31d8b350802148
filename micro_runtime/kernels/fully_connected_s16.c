/* FULLY_CONNECTED 16x8: int16 input and output, int8 filter, int32 or int64 bias.
 * Mirrors reference_integer_ops::FullyConnected (and FullyConnectedPerChannel) for int16: acc = sum
 * (filter + filter_offset) * (input + input_offset) in the bias's type, + bias, requantize,
 * + output_offset, clamp. */
#include "mr_kernels.h"
#include "mr_s16.h"

void mr_fully_connected_s16(const MR_CONST mr_fully_connected_s16_params *p, const int16_t *in, int16_t *out) {
  const MR_CONST mr_fully_connected_params *fc = &p->fc;
  const int batches = fc->batches, in_n = fc->input_depth, out_n = fc->output_depth;
  /* int16 zero points are 0; a filter zero point widens the products, so it keeps int64 */
  const int exact32 = in_n <= MR_S16_EXACT_INT32_TAPS && fc->filter_offset == 0 && fc->input_offset == 0;
  int b, o, i;
  for (b = 0; b < batches; ++b) {
    const int16_t *in_row = in + (size_t)b * in_n;
    for (o = 0; o < out_n; ++o) {
      const MR_CONST int8_t *filter_row = fc->filter + (size_t)o * in_n;
      const int c = fc->per_channel ? o : 0;
      int64_t acc = 0;
      int32_t scaled;
      if (exact32) { /* see MR_S16_EXACT_INT32_TAPS */
        int32_t acc32 = 0;
        for (i = 0; i < in_n; ++i) acc32 += ((int32_t)filter_row[i] + fc->filter_offset) * in_row[i];
        acc = acc32;
      } else {
        for (i = 0; i < in_n; ++i) {
          acc += (int64_t)((int32_t)filter_row[i] + fc->filter_offset) * ((int32_t)in_row[i] + fc->input_offset);
        }
      }
      scaled = mr_requantize_acc_s16(acc, fc->bias, p->bias64, o, fc->quant.multiplier[c], fc->quant.shift[c]);
      scaled += fc->output_offset;
      out[(size_t)b * out_n + o] = (int16_t)mr_clamp_i32(scaled, fc->activation.min, fc->activation.max);
    }
  }
}
