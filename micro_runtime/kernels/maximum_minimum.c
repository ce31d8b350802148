/* MAXIMUM and MINIMUM int8 with broadcasting.
 * Mirrors TFLM maximum_minimum.cc (reference_ops::MaximumMinimumBroadcastSlow with MaximumOp / MinimumOp):
 * the raw int8 values are compared, whatever the tensors' quantization. */
#include "mr_elementwise.h"
#include "mr_kernels.h"

void mr_maximum_s8(const MR_CONST mr_broadcast4 *b, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
                   int8_t *out) {
  MR_CHECK(out, mr_checked_product(b->dims, 4));
  MR_BROADCAST4_FOR(b, i1, i2, o, out[o] = in1[i1] > in2[i2] ? in1[i1] : in2[i2]);
}

void mr_minimum_s8(const MR_CONST mr_broadcast4 *b, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
                   int8_t *out) {
  MR_CHECK(out, mr_checked_product(b->dims, 4));
  MR_BROADCAST4_FOR(b, i1, i2, o, out[o] = in1[i1] < in2[i2] ? in1[i1] : in2[i2]);
}
