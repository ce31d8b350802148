/* Elementwise int8 kernels (maximum_minimum.c, relu.c, prelu.c, sub.c, squared_difference.c, lut.c, TANH,
 * comparisons.c, select.c, fill.c) against
 * TF Lite Micro: golden/elementwise_golden.h, written by golden/make_golden_elementwise.py. */
#include "golden_check.h"
#include "mr_kernels.h"
#include "micro_runtime/golden/elementwise_golden.h"

static int8_t out_buf[1 << 12];

static const char *const comparisons[] = {"EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"};

static void run(const mr_elementwise_golden_case *t) {
  const char *k = t->kind;
  int32_t c;
  for (c = MR_EQUAL; c <= MR_LESS_EQUAL; ++c) {
    if (strcmp(k, comparisons[c]) == 0) {
      mr_compare_s8((const mr_arithmetic_params *)t->params, c, t->input1, t->input2, (uint8_t *)out_buf);
      return;
    }
  }
  if (strcmp(k, "MAXIMUM") == 0) {
    mr_maximum_s8((const mr_broadcast4 *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(k, "MINIMUM") == 0) {
    mr_minimum_s8((const mr_broadcast4 *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(k, "RELU") == 0) {
    mr_relu_s8((const mr_relu_params *)t->params, t->input1, t->n, out_buf);
  } else if (strcmp(k, "RELU6") == 0) {
    const mr_activation *b = (const mr_activation *)t->params;
    mr_relu6_s8(t->input1, t->n, out_buf, b->min, b->max);
  } else if (strcmp(k, "LEAKY_RELU") == 0) {
    mr_leaky_relu_s8((const mr_leaky_relu_params *)t->params, t->input1, t->n, out_buf);
  } else if (strcmp(k, "PRELU") == 0) {
    mr_prelu_s8((const mr_prelu_params *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(k, "SUB") == 0) {
    mr_sub_s8((const mr_arithmetic_params *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(k, "SQUARED_DIFFERENCE") == 0) {
    mr_squared_difference_s8((const mr_arithmetic_params *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(k, "TANH") == 0) {
    mr_tanh_s8((const mr_logistic_params *)t->params, t->input1, t->n, out_buf); /* the four values in order */
  } else if (strcmp(k, "SELECT_V2") == 0) {
    mr_select_s8((const mr_select_params *)t->params, (const uint8_t *)t->input1, t->input2, t->input3, out_buf);
  } else if (strcmp(k, "FILL") == 0) {
    mr_fill_s8((const int8_t *)t->params, t->n, out_buf);
  } else { /* ABS, RSQRT, ELU: a table */
    mr_lut_s8(t->input1, t->n, out_buf, (const int8_t *)t->params);
  }
}

int main(void) {
  int i;
  for (i = 0; i < ELEMENTWISE_GOLDEN_COUNT; ++i) {
    const mr_elementwise_golden_case *t = &elementwise_golden_cases[i];
    memset(out_buf, 0x55, (size_t)t->n);
    run(t);
    mr_check_bytes("elementwise", t->name, out_buf, t->expected, (size_t)t->n);
  }
  return mr_summary("elementwise_test");
}
