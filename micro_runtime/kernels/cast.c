/* CAST (TFLM's cast.cc) between int8, int16, int32 and float32 (the types the wheel's CAST takes), as the
 * wheel does it: integers wrap to a narrower type (static_cast), floats truncate toward zero and saturate
 * to the integer type's range (NaN gives 0). */
#include "mr_kernels.h"

static int32_t mr_cast_float(float f, int32_t type) {
  const float hi = type == MR_TYPE_INT8 ? 127.0f : type == MR_TYPE_INT16 ? 32767.0f : 2147483520.0f;
  const int32_t max = type == MR_TYPE_INT8 ? 127 : type == MR_TYPE_INT16 ? 32767 : 2147483647;
  if (f != f) return 0;
  if (f > hi) return max;
  if (f < -hi - 1.0f) return -max - 1;
  return (int32_t)f;
}

static int32_t mr_cast_read_int(const MR_CONST void *in, int32_t type, int32_t i, int32_t out_type) {
  switch (type) {
    case MR_TYPE_INT8: return ((const MR_CONST int8_t *)in)[i];
    case MR_TYPE_INT16: return ((const MR_CONST int16_t *)in)[i];
    case MR_TYPE_INT32: return ((const MR_CONST int32_t *)in)[i];
    default: return mr_cast_float(((const MR_CONST float *)in)[i], out_type);
  }
}

void mr_cast(const MR_CONST void *in, int32_t in_type, void *out, int32_t out_type, int32_t n) {
  MR_CHECK(out, (int64_t)n * (out_type == MR_TYPE_INT8 ? 1 : out_type == MR_TYPE_INT16 ? 2 : 4));
  int32_t i;
  for (i = 0; i < n; ++i) {
    if (out_type == MR_TYPE_FLOAT32) {
      ((float *)out)[i] = in_type == MR_TYPE_FLOAT32 ? ((const MR_CONST float *)in)[i]
                                                     : (float)mr_cast_read_int(in, in_type, i, out_type);
      continue;
    }
    {
      const int32_t v = mr_cast_read_int(in, in_type, i, out_type);
      switch (out_type) {
        case MR_TYPE_INT8: ((int8_t *)out)[i] = (int8_t)v; break;
        case MR_TYPE_INT16: ((int16_t *)out)[i] = (int16_t)v; break;
        default: ((int32_t *)out)[i] = v; break;
      }
    }
  }
}
