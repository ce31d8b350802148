/* UNIDIRECTIONAL_SEQUENCE_LSTM int8 or int16 (16x8) with an int16 cell state (TFLM lstm_eval.h
 * EvalLstm<int8_t, int8_t, int16_t, int32_t> and EvalLstm<int16_t, int8_t, int16_t, int64_t>). Per time
 * step, on the rows of that step (all batches when time major, one otherwise): each gate is FC(input) +
 * FC(hidden state) (int8: the zero points in effective biases), each part requantized to int16 at 2^-12 and
 * clamped, their sum saturated, then TFLM's int16 sigmoid (forget, input and output gates) or tanh (cell
 * gate); the cell state becomes forget x cell + input x cell gate (each product requantized to the cell
 * scale and clamped, the sum saturated, clipped to +-quantized_cell_clip when the op has a cell clip); the
 * hidden state is tanh(cell) x output gate requantized to the activation type, and is the step's output.
 * The output gate reads the hidden state of the previous step, as TFLM's order of computation gives. On
 * Arm DSP cores (mr_dsp.h) the int8 dot products take four products per two SMLAD. */
#include <string.h>

#include "mr_dsp.h"
#include "mr_kernels.h"
#include "mr_s16.h"

/* The gates' FC output is Q3.12, which TFLM's int16 tables take unscaled. */
static const MR_CONST mr_logistic_params q3_12 = {0, 0, 0, 0};

static inline int32_t saturate16(int32_t x) { return mr_clamp_i32(x, MR_INT16_MIN, MR_INT16_MAX); }

int32_t mr_lstm_scratch_bytes(int32_t rows, int32_t n_cell) { return 3 * rows * n_cell * (int32_t)sizeof(int16_t); }

/* One FC part of gate value `c`, requantized to Q3.12 and clamped: int8 operands sum in int32 from the
 * effective bias; int16 ones (16x8) in int64 from the int64 bias or none, as TFLM (in int32 where that is
 * exact), with the int64 MultiplyByQuantizedMultiplier. */
static inline __attribute__((always_inline)) int32_t gate_part(const MR_CONST int8_t *w, const void *operand, int n,
                                                               const MR_CONST int32_t *bias32,
                                                               const MR_CONST int64_t *bias64, int c,
                                                               int32_t multiplier, int32_t shift, const int ACT16) {
  int k;
  if (ACT16) {
    const int16_t *x = (const int16_t *)operand;
    int64_t acc = bias64 ? bias64[c] : 0;
    if (n <= MR_S16_EXACT_INT32_TAPS) {
      int32_t acc32 = 0;
      for (k = 0; k < n; ++k) acc32 += (int32_t)w[k] * x[k];
      acc += acc32;
    } else {
      for (k = 0; k < n; ++k) acc += (int32_t)w[k] * x[k];
    }
    return saturate16(mr_requantize_s64(acc, multiplier, shift));
  } else {
    const int8_t *x = (const int8_t *)operand;
    int32_t acc = bias32[c];
    k = 0;
#ifdef MR_DSP
    for (; k + 4 <= n; k += 4) { /* four products in two SMLAD (the sum wraps as the scalar one) */
      const int32_t wv = mr_read_s8x4(w + k), xv = mr_read_s8x4(x + k);
      acc = __smlad(__sxtb16(wv), __sxtb16(xv), acc);
      acc = __smlad(mr_sxtb16_ror8(wv), mr_sxtb16_ror8(xv), acc);
    }
#endif
    for (; k < n; ++k) acc += (int32_t)w[k] * x[k];
    return saturate16(mr_requantize(acc, multiplier, shift));
  }
}

/* One gate for `rows` rows into `out`, activation applied. */
static inline __attribute__((always_inline)) void gate_k(const MR_CONST mr_lstm_params *p,
                                                         const MR_CONST mr_lstm_gate *g, const void *input,
                                                         const void *hidden, int rows, int sigmoid, int16_t *out,
                                                         const int ACT16) {
  const int n_input = p->n_input, n_cell = p->n_cell;
  const size_t size = ACT16 ? 2 : 1;
  int r, c;
  for (r = 0; r < rows; ++r) {
    const char *x = (const char *)input + (size_t)r * n_input * size;
    const char *h = (const char *)hidden + (size_t)r * n_cell * size;
    for (c = 0; c < n_cell; ++c) {
      const int32_t from_x = gate_part(g->input_weights + (size_t)c * n_input, x, n_input, g->input_bias,
                                       g->bias64, c, g->input_multiplier, g->input_shift, ACT16);
      const int32_t from_h = gate_part(g->recurrent_weights + (size_t)c * n_cell, h, n_cell, g->recurrent_bias,
                                       NULL, c, g->recurrent_multiplier, g->recurrent_shift, ACT16);
      out[(size_t)r * n_cell + c] = (int16_t)saturate16(from_x + from_h);
    }
  }
  if (sigmoid) mr_logistic_s16(&q3_12, out, rows * n_cell, out);
  else mr_tanh_s16(&q3_12, out, rows * n_cell, out);
}

/* The gate loop specialised per activation type (the rest of a step is not worth its code twice). */
static void lstm_gate(const MR_CONST mr_lstm_params *p, const MR_CONST mr_lstm_gate *g, const void *input,
                      const void *hidden, int rows, int sigmoid, int16_t *out, int act16) {
  if (act16) gate_k(p, g, input, hidden, rows, sigmoid, out, 1);
  else gate_k(p, g, input, hidden, rows, sigmoid, out, 0);
}

/* The cell state from the forget, input and cell gates. */
static void lstm_update_cell(const MR_CONST mr_lstm_params *p, const int16_t *forget, const int16_t *in_gate,
                             const int16_t *cell_gate, int32_t n, int16_t *cell) {
  int32_t k;
  for (k = 0; k < n; ++k) {
    const int32_t kept = saturate16(
        mr_requantize((int32_t)forget[k] * cell[k], p->forget_cell_multiplier, p->forget_cell_shift));
    const int32_t added = saturate16(
        mr_requantize((int32_t)in_gate[k] * cell_gate[k], p->input_cell_multiplier, p->input_cell_shift));
    int32_t c = saturate16(kept + added);
    if (p->use_cell_clip) c = mr_clamp_i32(c, -p->quantized_cell_clip, p->quantized_cell_clip);
    cell[k] = (int16_t)c;
  }
}

/* One time step on `rows` rows; scratch holds three gate vectors of rows * n_cell. */
static void lstm_step(const MR_CONST mr_lstm_params *p, const void *input, void *hidden, int16_t *cell,
                      void *output, int rows, int16_t *scratch, const int ACT16) {
  const int32_t n = rows * p->n_cell;
  const int32_t low = ACT16 ? MR_INT16_MIN : -128, high = ACT16 ? MR_INT16_MAX : 127;
  int16_t *forget = scratch, *in_gate = scratch + n, *cell_gate = scratch + 2 * n;
  int32_t k;
  lstm_gate(p, &p->forget, input, hidden, rows, 1, forget, ACT16);
  lstm_gate(p, &p->input, input, hidden, rows, 1, in_gate, ACT16);
  lstm_gate(p, &p->cell, input, hidden, rows, 0, cell_gate, ACT16);
  lstm_update_cell(p, forget, in_gate, cell_gate, n, cell);
  lstm_gate(p, &p->output, input, hidden, rows, 1, in_gate, ACT16);
  mr_tanh_s16(&p->cell_tanh, cell, n, forget);
  for (k = 0; k < n; ++k) {
    const int32_t h = mr_clamp_i32(
        mr_requantize((int32_t)forget[k] * in_gate[k], p->hidden_multiplier, p->hidden_shift) + p->hidden_zero_point,
        low, high);
    if (ACT16) ((int16_t *)hidden)[k] = (int16_t)h;
    else ((int8_t *)hidden)[k] = (int8_t)h;
  }
  memcpy(output, hidden, (size_t)n * (ACT16 ? 2 : 1));
}

static void lstm_k(const MR_CONST mr_lstm_params *p, const void *input, void *hidden_state, int16_t *cell_state,
                   void *output, int16_t *scratch, const int ACT16) {
  const size_t size = ACT16 ? 2 : 1, n_input = (size_t)p->n_input * size, n_cell = (size_t)p->n_cell;
  int b, t;
  if (p->time_major) {
    for (t = 0; t < p->time_steps; ++t) {
      const size_t row = (size_t)t * p->batches;
      lstm_step(p, (const char *)input + row * n_input, hidden_state, cell_state,
                (char *)output + row * n_cell * size, p->batches, scratch, ACT16);
    }
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    for (t = 0; t < p->time_steps; ++t) {
      const size_t row = (size_t)b * p->time_steps + t;
      lstm_step(p, (const char *)input + row * n_input, (char *)hidden_state + b * n_cell * size,
                cell_state + b * n_cell, (char *)output + row * n_cell * size, 1, scratch, ACT16);
    }
  }
}

void mr_lstm_s8(const MR_CONST mr_lstm_params *p, const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                int8_t *output, int16_t *scratch) {
  lstm_k(p, input, hidden_state, cell_state, output, scratch, 0);
}

void mr_lstm_s16(const MR_CONST mr_lstm_params *p, const int16_t *input, int16_t *hidden_state, int16_t *cell_state,
                 int16_t *output, int16_t *scratch) {
  lstm_k(p, input, hidden_state, cell_state, output, scratch, 1);
}
