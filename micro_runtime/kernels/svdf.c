/* SVDF int8 with an int16 or int8 state (TFLM svdf_common.cc EvalIntegerSvdfReference<int16_t / int8_t>).
 * Per invocation: the state [batches][filters][memory] shifts left by one element (the oldest value of each
 * filter drops out); each filter's feature dot product with the input (input zero point subtracted),
 * requantized (multiplier1, shift1), clamped to the state's type and offset by its zero point, becomes the
 * newest value; each unit's output is its bias plus the time dot products of its `rank` filters (state
 * zero point subtracted), requantized (multiplier2, shift2), offset and clamped to int8. The state lives
 * outside the arena (a static array of the generated model, cleared by <name>_reset()). */
#include "mr_kernels.h"

static inline __attribute__((always_inline)) void svdf_k(const MR_CONST mr_svdf_params *p, const int8_t *input,
                                                         void *state, int8_t *output, const int STATE16) {
  const int filters = p->filters, memory = p->memory;
  const int32_t state_min = STATE16 ? -32768 : -128, state_max = STATE16 ? 32767 : 127;
  int16_t *state16 = (int16_t *)state;
  int8_t *state8 = (int8_t *)state;
  const MR_CONST int16_t *time16 = (const MR_CONST int16_t *)p->weights_time;
  const MR_CONST int8_t *time8 = (const MR_CONST int8_t *)p->weights_time;
  const int32_t n_state = p->batches * filters * memory;
  int32_t i;
  int b, f, k, u, r;
  for (i = 0; i + 1 < n_state; ++i) {
    if (STATE16) state16[i] = state16[i + 1];
    else state8[i] = state8[i + 1];
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + (size_t)b * p->input_size;
    for (f = 0; f < filters; ++f) {
      const MR_CONST int8_t *w = p->weights_feature + (size_t)f * p->input_size;
      const size_t newest = ((size_t)b * filters + f) * memory + memory - 1;
      int32_t dot = 0;
      for (k = 0; k < p->input_size; ++k) dot += (int32_t)w[k] * ((int32_t)in[k] - p->input_zero_point);
      dot = mr_clamp_i32(mr_requantize(dot, p->multiplier1, p->shift1), state_min, state_max) + p->state_zero_point;
      if (STATE16) state16[newest] = (int16_t)dot;
      else state8[newest] = (int8_t)dot;
    }
    for (u = 0; u < p->units; ++u) {
      int32_t acc = p->bias ? p->bias[u] : 0;
      for (r = 0; r < p->rank; ++r) {
        const size_t row = (size_t)u * p->rank + r, base = ((size_t)b * filters + row) * memory;
        for (k = 0; k < memory; ++k) {
          const int32_t s = STATE16 ? state16[base + k] : state8[base + k];
          const int32_t w = STATE16 ? time16[row * memory + k] : time8[row * memory + k];
          acc = (int32_t)((uint32_t)acc + (uint32_t)(w * (s - p->state_zero_point)));
        }
      }
      acc = mr_requantize(acc, p->multiplier2, p->shift2) + p->output_zero_point;
      output[(size_t)b * p->units + u] = (int8_t)mr_clamp_i32(acc, -128, 127);
    }
  }
}

void mr_svdf_s8_state16(const MR_CONST mr_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output) {
  svdf_k(p, input, state, output, 1);
}

void mr_svdf_s8_state8(const MR_CONST mr_svdf_params *p, const int8_t *input, int8_t *state, int8_t *output) {
  svdf_k(p, input, state, output, 0);
}
