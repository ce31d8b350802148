/* LOGISTIC and TANH int16 (reference_integer_ops::Logistic / Tanh for int16): the input rescaled to
 * 1/(3*4096) (quant.sigmoid_tanh_s16_params), then TFLM's sigmoid table, interpolated linearly on the
 * absolute value, mirrored for negative inputs (tanh(x) = 2 sigmoid(2x) - 1); output scale 2^-15. */
#include <stdlib.h>

#include "mr_kernels.h"

/* TFLM's sigmoid_table_uint16 (kernels/internal/common.h): sigmoid(i / 24) in 0.16 fixed point, the
 * values TFLM ships (they differ from a rounded formula in the last bit).
 * Copyright The TensorFlow Authors, Apache License 2.0: see THIRD_PARTY_NOTICES.md. */
static const uint16_t sigmoid_table_uint16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432,
    42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475,
    49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485,
    55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519,
    59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036,
    62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405,
    64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179,
    65194, 65208, 65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337,
    65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517,
    65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525, 65525,
    65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533,
    65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535
};

/* The rescaled input: ((x * input_multiplier + round) >> input_left_shift); a multiplier of 0 marks a
 * power-of-two input scale, taken as 3 << input_left_shift with no shift. */
static inline int32_t rescaled_input(const MR_CONST mr_logistic_params *p, int16_t x) {
  const int32_t multiplier = p->input_multiplier ? p->input_multiplier : 3 << p->input_left_shift;
  const int32_t shift = p->input_multiplier ? p->input_left_shift : 0;
  const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
  return ((int32_t)x * multiplier + round) >> shift;
}

/* The table interpolated at |input| >> `fraction_bits`, `fraction_bits` bits of fraction, saturating. */
static inline uint32_t interpolated(uint32_t abs_input, int fraction_bits, uint32_t saturated) {
  const uint32_t uh = abs_input >> fraction_bits;
  uint32_t ua, ub;
  if (uh >= 255) return saturated;
  ua = sigmoid_table_uint16[uh];
  ub = sigmoid_table_uint16[uh + 1];
  return (ua << fraction_bits) + (abs_input & ((1u << fraction_bits) - 1)) * (ub - ua);
}

void mr_logistic_s16(const MR_CONST mr_logistic_params *p, const int16_t *input, int32_t size, int16_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int32_t x = rescaled_input(p, input[i]);
    uint32_t result = interpolated((uint32_t)abs(x), 9, UINT32_C(0x7FFF) << 10);
    result = x >= 0 ? result + (1u << 9) : (UINT32_C(1) << (16 + 9)) - result + (1u << 9) - 1;
    output[i] = (int16_t)(result >> 10);
  }
}

void mr_tanh_s16(const MR_CONST mr_logistic_params *p, const int16_t *input, int32_t size, int16_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int32_t x = rescaled_input(p, input[i]);
    int32_t result = (int32_t)interpolated((uint32_t)abs(x), 8, UINT32_C(0xFFFF) << 8);
    result = x >= 0 ? result - (INT32_C(1) << (14 + 9)) + (1 << (9 - 2))
                    : -result + (INT32_C(1) << (14 + 9)) + (1 << (9 - 2)) - 1;
    output[i] = (int16_t)(result >> (9 - 1));
  }
}
