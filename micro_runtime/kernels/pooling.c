/* AVERAGE_POOL_2D and MAX_POOL_2D int8.
 * Mirrors reference/integer_ops/pooling.h: only in-image taps count; the
 * average divides by their number rounding half away from zero. */
#include "mr_kernels.h"

/* The in-image part of an output pixel's window: input rows [y_start, y_end), columns [x_start, x_end). */
typedef struct {
  int y_start, y_end, x_start, x_end;
} pool_taps;

static inline pool_taps window_taps(const mr_pool_params *params, int out_y, int out_x) {
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

/* AveragePool (is_max 0) or MaxPool (is_max 1): a constant in each caller. */
static inline __attribute__((always_inline)) void pool(const mr_pool_params *params, const int8_t *input,
                                                       int8_t *output, const int is_max) {
  const int in_w = params->input.w, c = params->input.c;
  int out_y, out_x, ch, y, x;
  for (out_y = 0; out_y < params->output.h; ++out_y) {
    for (out_x = 0; out_x < params->output.w; ++out_x) {
      const pool_taps t = window_taps(params, out_y, out_x);
      for (ch = 0; ch < c; ++ch) {
        int32_t acc = 0, filter_count = 0, max = MR_INT8_MIN;
        for (y = t.y_start; y < t.y_end; ++y) {
          for (x = t.x_start; x < t.x_end; ++x) {
            const int32_t v = input[((size_t)y * in_w + x) * c + ch];
            if (is_max) {
              if (v > max) max = v;
            } else {
              acc += v;
              filter_count++;
            }
          }
        }
        *output++ = (int8_t)mr_clamp_i32(is_max ? max : average(acc, filter_count), params->activation.min,
                                         params->activation.max);
      }
    }
  }
}

void mr_avg_pool_s8(const mr_pool_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, mr_checked_elements(&params->output));
  pool(params, input, output, 0);
}

void mr_max_pool_s8(const mr_pool_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, mr_checked_elements(&params->output));
  pool(params, input, output, 1);
}
