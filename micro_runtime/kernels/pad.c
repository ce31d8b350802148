/* PAD / PADV2 int8 and int16, up to 4-D (reference/pad.h PadImpl). */
#include "mr_kernels.h"

/* Whether index i of an output axis falls on the input (after `left` padded ones). */
static inline int on_input(int32_t i, int32_t left, int32_t extent) { return i >= left && i < left + extent; }

/* is16: int16 elements, else int8 (a constant in each caller). */
static inline __attribute__((always_inline)) void pad_k(const MR_CONST mr_pad_params *params, const void *input,
                                                        void *output, const int is16) {
  const mr_dims in = params->input, left = params->left_padding, right = params->right_padding;
  size_t i = 0, o = 0;
  int32_t b, y, x, c;
  for (b = 0; b < left.n + in.n + right.n; ++b) {
    const int b_in = on_input(b, left.n, in.n);
    for (y = 0; y < left.h + in.h + right.h; ++y) {
      const int y_in = b_in && on_input(y, left.h, in.h);
      for (x = 0; x < left.w + in.w + right.w; ++x) {
        const int x_in = y_in && on_input(x, left.w, in.w);
        for (c = 0; c < left.c + in.c + right.c; ++c) {
          /* in-image elements come in input order */
          const int from_input = x_in && on_input(c, left.c, in.c);
          const int32_t value = !from_input ? params->pad_value
                                : is16      ? ((const int16_t *)input)[i++]
                                            : ((const int8_t *)input)[i++];
          if (is16) ((int16_t *)output)[o++] = (int16_t)value;
          else ((int8_t *)output)[o++] = (int8_t)value;
        }
      }
    }
  }
}

/* The output's elements (MR_CHECK). */
static inline int64_t pad_output_elements(const MR_CONST mr_pad_params *params) {
  return (int64_t)(params->left_padding.n + params->input.n + params->right_padding.n) *
         (params->left_padding.h + params->input.h + params->right_padding.h) *
         (params->left_padding.w + params->input.w + params->right_padding.w) *
         (params->left_padding.c + params->input.c + params->right_padding.c);
}

void mr_pad_s8(const MR_CONST mr_pad_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, pad_output_elements(params));
  pad_k(params, input, output, 0);
}

void mr_pad_s16(const MR_CONST mr_pad_params *params, const int16_t *input, int16_t *output) {
  MR_CHECK(output, 2 * pad_output_elements(params));
  pad_k(params, input, output, 1);
}
