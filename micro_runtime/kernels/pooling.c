/* AVERAGE_POOL_2D and MAX_POOL_2D int8 and int16.
 * Mirrors reference/integer_ops/pooling.h: only in-image taps count; the
 * average divides by their number rounding half away from zero. */
#include "mr_kernels.h"

/* The in-image part of an output pixel's window: input rows [y_start, y_end), columns [x_start, x_end). */
typedef struct {
  int y_start, y_end, x_start, x_end;
} pool_taps;

static inline pool_taps window_taps(const MR_CONST mr_pool_params *params, int out_y, int out_x) {
  const int in_y_origin = out_y * params->window.stride_h - params->window.pad_top;
  const int in_x_origin = out_x * params->window.stride_w - params->window.pad_left;
  const int y_end = in_y_origin + params->window.k_h, x_end = in_x_origin + params->window.k_w;
  pool_taps t;
  t.y_start = in_y_origin < 0 ? 0 : in_y_origin;
  t.y_end = y_end < params->input.h ? y_end : params->input.h;
  t.x_start = in_x_origin < 0 ? 0 : in_x_origin;
  t.x_end = x_end < params->input.w ? x_end : params->input.w;
  return t;
}

/* TFLM's average of `filter_count` taps summing to `acc`: rounded half away from zero. */
static inline int32_t average(int32_t acc, int32_t filter_count) {
  if (filter_count == 0) return 0; /* TFLM fails the op here; cannot happen for valid paddings */
  return acc > 0 ? (acc + filter_count / 2) / filter_count : (acc - filter_count / 2) / filter_count;
}

/* AveragePool (is_max 0) or MaxPool (is_max 1) of int8 (is16 0) or int16 values: constants in each caller. */
static inline __attribute__((always_inline)) void pool(const MR_CONST mr_pool_params *params, const void *input,
                                                       void *output, const int is_max, const int is16) {
  const int in_w = params->input.w, c = params->input.c;
  size_t o = 0;
  int out_y, out_x, ch, y, x;
  for (out_y = 0; out_y < params->output.h; ++out_y) {
    for (out_x = 0; out_x < params->output.w; ++out_x) {
      const pool_taps t = window_taps(params, out_y, out_x);
      for (ch = 0; ch < c; ++ch) {
        int32_t acc = 0, filter_count = 0, max = is16 ? -32768 : MR_INT8_MIN, result;
        for (y = t.y_start; y < t.y_end; ++y) {
          for (x = t.x_start; x < t.x_end; ++x) {
            const size_t at = ((size_t)y * in_w + x) * c + ch;
            const int32_t v = is16 ? ((const int16_t *)input)[at] : ((const int8_t *)input)[at];
            if (is_max) {
              if (v > max) max = v;
            } else {
              acc += v;
              filter_count++;
            }
          }
        }
        result = mr_clamp_i32(is_max ? max : average(acc, filter_count), params->activation.min,
                              params->activation.max);
        if (is16) ((int16_t *)output)[o++] = (int16_t)result;
        else ((int8_t *)output)[o++] = (int8_t)result;
      }
    }
  }
}

void mr_avg_pool_s8(const MR_CONST mr_pool_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, mr_checked_elements(&params->output));
  pool(params, input, output, 0, 0);
}

void mr_max_pool_s8(const MR_CONST mr_pool_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, mr_checked_elements(&params->output));
  pool(params, input, output, 1, 0);
}

void mr_avg_pool_s16(const MR_CONST mr_pool_params *params, const int16_t *input, int16_t *output) {
  MR_CHECK(output, 2 * mr_checked_elements(&params->output));
  pool(params, input, output, 0, 1);
}

void mr_max_pool_s16(const MR_CONST mr_pool_params *params, const int16_t *input, int16_t *output) {
  MR_CHECK(output, 2 * mr_checked_elements(&params->output));
  pool(params, input, output, 1, 1);
}
