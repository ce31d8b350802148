/* RELU, RELU6 and LEAKY_RELU int8.
 * RELU mirrors TFLM activations.cc ReluQuantized (requantized to the output scale, clamped at the output's
 * zero point); RELU6 mirrors Relu6Quantized (a clamp in the input's quantization, no requantization);
 * LEAKY_RELU mirrors reference_ops::QuantizeLeakyRelu (one multiplier for x >= 0, one for x < 0). */
#include "mr_kernels.h"

void mr_relu_s8(const MR_CONST mr_relu_params *p, const int8_t *in, int32_t n, int8_t *out) {
  MR_CHECK(out, n);
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t val = (int32_t)in[i];
    const int32_t clamped =
        p->output_offset + mr_requantize(val - p->input_offset, p->output_multiplier, p->output_shift);
    out[i] = (int8_t)mr_clamp_i32(clamped, p->activation.min, p->activation.max);
  }
}

void mr_relu6_s8(const int8_t *in, int32_t n, int8_t *out, int32_t lower, int32_t upper) {
  MR_CHECK(out, n);
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t val = in[i];
    out[i] = (int8_t)(val > upper ? upper : val < lower ? lower : val);
  }
}

void mr_leaky_relu_s8(const MR_CONST mr_leaky_relu_params *p, const int8_t *in, int32_t n, int8_t *out) {
  MR_CHECK(out, n);
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t input_value = in[i] - p->input_offset;
    const int32_t unclamped_output =
        p->output_offset +
        (input_value >= 0
             ? mr_requantize(input_value, p->output_multiplier_identity, p->output_shift_identity)
             : mr_requantize(input_value, p->output_multiplier_alpha, p->output_shift_alpha));
    out[i] = (int8_t)mr_clamp_i32(unclamped_output, MR_INT8_MIN, MR_INT8_MAX);
  }
}
