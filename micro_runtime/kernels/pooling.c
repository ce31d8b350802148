/* AVERAGE_POOL_2D and MAX_POOL_2D int8.
 * Mirrors reference/integer_ops/pooling.h: only in-image taps count; the
 * average divides by their number rounding half away from zero. */
#include "mr_kernels.h"

void mr_avg_pool_s8(const int8_t *in, int in_h, int in_w, int c,
                    int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left,
                    int8_t *out, int out_h, int out_w, int32_t act_min, int32_t act_max) {
  int out_y, out_x, ch, fy, fx;
  for (out_y = 0; out_y < out_h; ++out_y) {
    const int in_y_origin = out_y * stride_h - pad_top;
    const int filter_y_start = in_y_origin < 0 ? -in_y_origin : 0;
    const int filter_y_end = filter_h < in_h - in_y_origin ? filter_h : in_h - in_y_origin;
    for (out_x = 0; out_x < out_w; ++out_x) {
      const int in_x_origin = out_x * stride_w - pad_left;
      const int filter_x_start = in_x_origin < 0 ? -in_x_origin : 0;
      const int filter_x_end = filter_w < in_w - in_x_origin ? filter_w : in_w - in_x_origin;
      for (ch = 0; ch < c; ++ch) {
        int32_t acc = 0;
        int32_t filter_count = 0;
        for (fy = filter_y_start; fy < filter_y_end; ++fy) {
          for (fx = filter_x_start; fx < filter_x_end; ++fx) {
            const int in_y = in_y_origin + fy;
            const int in_x = in_x_origin + fx;
            acc += in[((size_t)in_y * in_w + in_x) * c + ch];
            filter_count++;
          }
        }
        if (filter_count == 0) {
          acc = 0; /* TFLM fails the op here; cannot happen for valid paddings */
        } else {
          acc = acc > 0 ? (acc + filter_count / 2) / filter_count
                        : (acc - filter_count / 2) / filter_count;
        }
        out[((size_t)out_y * out_w + out_x) * c + ch] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
      }
    }
  }
}

void mr_max_pool_s8(const int8_t *in, int in_h, int in_w, int c,
                    int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left,
                    int8_t *out, int out_h, int out_w, int32_t act_min, int32_t act_max) {
  int out_y, out_x, ch, fy, fx;
  for (out_y = 0; out_y < out_h; ++out_y) {
    const int in_y_origin = out_y * stride_h - pad_top;
    const int filter_y_start = in_y_origin < 0 ? -in_y_origin : 0;
    const int filter_y_end = filter_h < in_h - in_y_origin ? filter_h : in_h - in_y_origin;
    for (out_x = 0; out_x < out_w; ++out_x) {
      const int in_x_origin = out_x * stride_w - pad_left;
      const int filter_x_start = in_x_origin < 0 ? -in_x_origin : 0;
      const int filter_x_end = filter_w < in_w - in_x_origin ? filter_w : in_w - in_x_origin;
      for (ch = 0; ch < c; ++ch) {
        int32_t max = MR_INT8_MIN;
        for (fy = filter_y_start; fy < filter_y_end; ++fy) {
          for (fx = filter_x_start; fx < filter_x_end; ++fx) {
            const int in_y = in_y_origin + fy;
            const int in_x = in_x_origin + fx;
            const int32_t v = in[((size_t)in_y * in_w + in_x) * c + ch];
            if (v > max) max = v;
          }
        }
        out[((size_t)out_y * out_w + out_x) * c + ch] = (int8_t)mr_clamp_i32(max, act_min, act_max);
      }
    }
  }
}
