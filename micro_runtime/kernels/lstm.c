/* UNIDIRECTIONAL_SEQUENCE_LSTM int8 with an int16 cell state (TFLM lstm_eval.h EvalLstm<int8_t, int8_t,
 * int16_t, int32_t>). Per time step, on the rows of that step (all batches when time major, one otherwise):
 * each gate is FC(input) + FC(hidden state) (zero points in the effective biases), each part requantized to int16 at 2^-12 and clamped, their sum
 * saturated, then TFLM's int16 sigmoid (forget, input and output gates) or tanh (cell gate); the cell state
 * becomes forget x cell + input x cell gate (each product requantized to the cell scale and clamped, the sum
 * saturated, clipped to +-quantized_cell_clip when the op has a cell clip); the hidden state is tanh(cell) x
 * output gate requantized to int8, and is the step's output. The output gate reads the hidden state of the
 * previous step, as TFLM's order of computation gives. */
#include <string.h>

#include "mr_kernels.h"

/* The gates' FC output is Q3.12, which TFLM's int16 tables take unscaled. */
static const MR_CONST mr_logistic_params q3_12 = {0, 0, 0, 0};

static inline int32_t saturate16(int32_t x) { return mr_clamp_i32(x, -32768, 32767); }

int32_t mr_lstm_scratch_bytes(int32_t rows, int32_t n_cell) { return 3 * rows * n_cell * (int32_t)sizeof(int16_t); }

/* One gate for `rows` rows into `out`, activation applied. */
static void lstm_gate(const MR_CONST mr_lstm_params *p, const MR_CONST mr_lstm_gate *g, const int8_t *input,
                      const int8_t *hidden, int rows, int sigmoid, int16_t *out) {
  const int n_input = p->n_input, n_cell = p->n_cell;
  int r, c, k;
  for (r = 0; r < rows; ++r) {
    const int8_t *x = input + (size_t)r * n_input, *h = hidden + (size_t)r * n_cell;
    for (c = 0; c < n_cell; ++c) {
      const MR_CONST int8_t *wx = g->input_weights + (size_t)c * n_input;
      const MR_CONST int8_t *wh = g->recurrent_weights + (size_t)c * n_cell;
      int32_t acc_x = g->input_bias[c], acc_h = g->recurrent_bias[c];
      for (k = 0; k < n_input; ++k) acc_x += (int32_t)wx[k] * x[k];
      for (k = 0; k < n_cell; ++k) acc_h += (int32_t)wh[k] * h[k];
      acc_x = saturate16(mr_requantize(acc_x, g->input_multiplier, g->input_shift));
      acc_h = saturate16(mr_requantize(acc_h, g->recurrent_multiplier, g->recurrent_shift));
      out[(size_t)r * n_cell + c] = (int16_t)saturate16(acc_x + acc_h);
    }
  }
  if (sigmoid) mr_logistic_s16(&q3_12, out, rows * n_cell, out);
  else mr_tanh_s16(&q3_12, out, rows * n_cell, out);
}

/* One time step on `rows` rows; scratch holds three gate vectors of rows * n_cell. */
static void lstm_step(const MR_CONST mr_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                      int8_t *output, int rows, int16_t *scratch) {
  const int32_t n = rows * p->n_cell;
  int16_t *forget = scratch, *in_gate = scratch + n, *cell_gate = scratch + 2 * n;
  int32_t k;
  lstm_gate(p, &p->forget, input, hidden, rows, 1, forget);
  lstm_gate(p, &p->input, input, hidden, rows, 1, in_gate);
  lstm_gate(p, &p->cell, input, hidden, rows, 0, cell_gate);
  for (k = 0; k < n; ++k) {
    const int32_t kept = saturate16(
        mr_requantize((int32_t)forget[k] * cell[k], p->forget_cell_multiplier, p->forget_cell_shift));
    const int32_t added = saturate16(
        mr_requantize((int32_t)in_gate[k] * cell_gate[k], p->input_cell_multiplier, p->input_cell_shift));
    int32_t c = saturate16(kept + added);
    if (p->use_cell_clip) c = mr_clamp_i32(c, -p->quantized_cell_clip, p->quantized_cell_clip);
    cell[k] = (int16_t)c;
  }
  lstm_gate(p, &p->output, input, hidden, rows, 1, in_gate);
  mr_tanh_s16(&p->cell_tanh, cell, n, forget);
  for (k = 0; k < n; ++k) {
    const int32_t h = mr_requantize((int32_t)forget[k] * in_gate[k], p->hidden_multiplier, p->hidden_shift);
    hidden[k] = (int8_t)mr_clamp_i32(h + p->hidden_zero_point, -128, 127);
  }
  memcpy(output, hidden, (size_t)n);
}

void mr_lstm_s8(const MR_CONST mr_lstm_params *p, const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                int8_t *output, int16_t *scratch) {
  const size_t n_input = (size_t)p->n_input, n_cell = (size_t)p->n_cell;
  int b, t;
  if (p->time_major) {
    for (t = 0; t < p->time_steps; ++t) {
      const size_t row = (size_t)t * p->batches;
      lstm_step(p, input + row * n_input, hidden_state, cell_state, output + row * n_cell, p->batches, scratch);
    }
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    for (t = 0; t < p->time_steps; ++t) {
      const size_t row = (size_t)b * p->time_steps + t;
      lstm_step(p, input + row * n_input, hidden_state + b * n_cell, cell_state + b * n_cell,
                output + row * n_cell, 1, scratch);
    }
  }
}
