"""Generate self-contained C99 for an int8 .tflite model.

  mcunet-codegen --tflite=M.tflite --out_dir=DIR [--name=model] [--target=portable|cortex-m|arduino]
                 [--patch=auto|off|SPLIT:N [--sram_kb=KB]] [--fuse=auto|off|all] [--sample=x.npy]
                 [--labels=labels.txt]
  mcunet-codegen --list_ops [--readme=README.md]

DIR gets <name>.h (int <name>_invoke(const void *input, void *output); <NAME>_INPUT_BYTES,
<NAME>_OUTPUT_BYTES, <NAME>_ARENA_BYTES), <name>.c (weights as const data, one kernel call per op
with constant arguments, a static arena planned ahead of time) and the kernels it uses. No heap, no
interpreter, no flatbuffer at run time.

--patch runs the first ops patch by patch (MCUNetV2): SPLIT:N runs engine ops 0..SPLIT (the numbers in
the generated comments) over an N x N grid of patches; auto searches the split and N for the fewest
extra MACs whose RAM (arena + an input read in place) fits --sram_kb, or the least RAM without it.

With --target=arduino, --sample (a .npy of the input: floats, quantized by the sketch, or the input's own
integers) and --labels (a text file, one label per value of the first output) set what the example
sketch runs and prints; without them it runs a deterministic input and prints class indices.

--list_ops prints the ops the generator takes: their activation types and which kernel paths they have
(portable C99, Arm DSP, x86 SSE2), read from the lowerings; with --readme it also rewrites that table in
the given README between its markers (micro_runtime.coverage).
"""
import sys

import numpy as np
from absl import flags

from mcunet_tf.cli import common as cli
from micro_runtime.arduino_library import ArduinoExample
from micro_runtime.codegen import TARGETS, generate
from micro_runtime.coverage import ops_markdown, with_ops_table
from micro_runtime.fusion import describe_fusion
from tflite_patch.files import atomic_write
from tflite_patch.graph import ModelError

TFLITE = flags.DEFINE_string("tflite", None, "int8 .tflite model (required unless --list_ops)")
OUT_DIR = flags.DEFINE_string("out_dir", None, "output directory, replaced as a whole (required unless --list_ops)")
LIST_OPS = flags.DEFINE_bool("list_ops", False, "print the supported ops: types and kernel paths")
README = flags.DEFINE_string("readme", None, "with --list_ops: rewrite the ops table between this file's markers")
NAME = flags.DEFINE_string("name", "model", "C prefix of the generated API")
TARGET = flags.DEFINE_enum("target", "portable", list(TARGETS), "what to generate for")
SAMPLE = flags.DEFINE_string("sample", None, "--target=arduino: a .npy input the example sketch runs")
LABELS = flags.DEFINE_string("labels", None, "--target=arduino: a text file, one label per output value")
PATCH, SRAM_KB = cli.patch_flags("patch-based inference: auto, off or SPLIT:N (last op run per patch : "
                                  "patches per side)")
FUSE = flags.DEFINE_enum("fuse", "auto", ["auto", "off", "all"], "run inverted-residual blocks row by row: auto "
                         "(where that lowers the RAM), off, all (every fusable block)")


def list_ops() -> None:
    print(ops_markdown())
    if README.value:
        try:
            with open(README.value) as f:
                text = f.read()
            atomic_write(README.value, with_ops_table(text))
        except OSError as e:
            sys.exit(f"error: cannot update {README.value}: {e.strerror}")
        except ValueError as e:
            sys.exit(f"error: {README.value}: {e}")


def _example() -> ArduinoExample | None:
    """The sample and labels of the Arduino example, read from --sample and --labels."""
    if SAMPLE.value is None and LABELS.value is None:
        return None
    sample = labels = None
    if SAMPLE.value is not None:
        try:
            sample = np.load(SAMPLE.value, allow_pickle=False)
        except (OSError, ValueError) as e:
            sys.exit(f"error: cannot read --sample {SAMPLE.value}: {getattr(e, 'strerror', None) or e}")
        if not isinstance(sample, np.ndarray) or not (np.issubdtype(sample.dtype, np.number)):
            sys.exit(f"error: --sample {SAMPLE.value} is not one numeric array")
    if LABELS.value is not None:
        try:
            with open(LABELS.value, encoding="utf-8") as f:
                labels = f.read().rstrip("\r\n").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            sys.exit(f"error: cannot read --labels {LABELS.value}: {getattr(e, 'strerror', None) or e}")
    return ArduinoExample(sample=sample, labels=labels)


def _run(argv):
    del argv
    if LIST_OPS.value:
        return list_ops()
    if TFLITE.value is None or OUT_DIR.value is None:
        sys.exit("error: --tflite and --out_dir are required (or --list_ops)")
    patch, sram = cli.patch_schedule(PATCH, SRAM_KB)
    example = _example()
    try:
        with open(TFLITE.value, "rb") as f:
            model = f.read()
        gen = generate(model, NAME.value, TARGET.value, patch=patch, sram_bytes=sram, example=example,
                       fuse=FUSE.value)
        gen.write(OUT_DIR.value)
    except OSError as e:
        sys.exit(f"error: cannot read {TFLITE.value}: {e.strerror}")
    except ModelError as e:
        sys.exit(f"error: {TFLITE.value}: {e}")
    print(f"wrote {len(gen.files)} files to {OUT_DIR.value}: {NAME.value}_invoke, arena {gen.arena_bytes:,} bytes, "
          f"{len(gen.graph.ops)} ops")
    if gen.patch is not None:
        print(gen.patch.describe())
    fused = describe_fusion(gen.graph)
    if fused:
        print(f"fuse {FUSE.value}: {fused}")


def main(argv: list[str] | None = None) -> None:
    """`mcunet-codegen`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
