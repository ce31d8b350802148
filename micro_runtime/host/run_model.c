/* Runs a generated model on the host: reads inputs back to back from a file (each
 * MR_MODEL_INPUT_BYTES long), writes the outputs back to back to another file. Used by the sanitizer and
 * valgrind tests; build with -DMR_MODEL_HEADER='"model.h"' -DMR_MODEL_INVOKE=model_invoke
 * -DMR_MODEL_INPUT_BYTES=... -DMR_MODEL_OUTPUT_BYTES=... */
#include <stdio.h>
#include <stdlib.h>

#include MR_MODEL_HEADER

int main(int argc, char **argv) {
  static unsigned char input[MR_MODEL_INPUT_BYTES > 0 ? MR_MODEL_INPUT_BYTES : 1];
  static unsigned char output[MR_MODEL_OUTPUT_BYTES > 0 ? MR_MODEL_OUTPUT_BYTES : 1];
  FILE *in, *out;
  int count = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: %s inputs.bin outputs.bin\n", argv[0]);
    return 2;
  }
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out) {
    fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]);
    return 2;
  }
  while (fread(input, 1, MR_MODEL_INPUT_BYTES, in) == MR_MODEL_INPUT_BYTES) {
    if (MR_MODEL_INVOKE(input, output) != 0) return 1;
    fwrite(output, 1, MR_MODEL_OUTPUT_BYTES, out);
    ++count;
  }
  fclose(in);
  fclose(out);
  return count > 0 ? 0 : 3;
}
