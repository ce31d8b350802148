"""Benchmark generated code against stock TF Lite Micro, side by side, in one run.

  mcunet-bench --tflite=A.tflite [--tflite=B.tflite ...] [--target=host|cortex-m4] [--portable]
               --json=OUT.json [--patch=auto|off|SPLIT:N [--sram_kb=KB]] [--fuse=auto|off|all]

For each model: bit-exactness on --inputs random inputs (every output byte against the tflite-micro
wheel), TFLM's arena against our RAM (Cortex-M4 build: arena + static state) and Flash, host time of
both (medians), TF Lite's own interpreter for context, and with --target=cortex-m4 the exact number
of instructions of one inference in QEMU (and on-target bit-exactness). With --patch, our code runs the
first ops patch by patch (scripts/codegen.py); the JSON then also has the layer-by-layer arena and the
extra MACs of the patch schedule.
"""
import os
import sys

from absl import flags

from mcunet_tf.cli import common as cli
from micro_runtime.bench import bench_model, format_layers, format_table
from micro_runtime.target_cortexm import CortexMError
from tflite_patch.files import atomic_write_json
from tflite_patch.graph import ModelError

MODELS = flags.DEFINE_multi_string("tflite", None, "int8 .tflite model(s)", required=True)
TARGET = flags.DEFINE_enum("target", "host", ["host", "cortex-m4", "cortex-m7", "cortex-m55"], "where ours runs")
JSON = flags.DEFINE_string("json", None, "write the results (a JSON list) here")
INPUTS = flags.DEFINE_integer("inputs", 100, "random inputs per model, compared byte for byte with TFLM")
CM_INPUTS = flags.DEFINE_integer("cm_inputs", 10, "of those, how many also run on the Cortex-M target")
TFLITE = flags.DEFINE_bool("tflite_interpreter", True, "also time tf.lite.Interpreter (reference and default kernels)")
PATCH, SRAM_KB = cli.patch_flags("patch-based inference: auto, off or SPLIT:N (scripts/codegen.py)")
FUSE = flags.DEFINE_enum("fuse", "auto", ["auto", "off", "all"], "fused inverted-residual blocks (scripts/codegen.py)")
PORTABLE = flags.DEFINE_bool("portable", False, "with a Cortex-M target, also count the portable C kernels "
                              "(-DMR_PORTABLE) on one input")
LAYERS = flags.DEFINE_bool("layers", False, "with a Cortex-M target, print each model's per-layer instruction table")


def _run(argv):
    del argv
    patch, sram = cli.patch_schedule(PATCH, SRAM_KB)
    results = []
    for path in MODELS.value:
        name = os.path.basename(path).rsplit(".tflite", 1)[0]
        print(f"bench {name} ...", flush=True)
        try:
            with open(path, "rb") as f:
                model = f.read()
            results.append(bench_model(model, name, inputs=INPUTS.value, target=TARGET.value,
                                       cm_inputs=CM_INPUTS.value, tflite_interpreter=TFLITE.value,
                                       portable=PORTABLE.value, log=lambda s: print(s, flush=True),
                                       patch=patch, sram_bytes=sram, fuse=FUSE.value))
        except OSError as e:
            sys.exit(f"error: cannot read {path}: {e.strerror}")
        except (ModelError, CortexMError) as e:
            sys.exit(f"error: {path}: {e}")
    if JSON.value:
        atomic_write_json(JSON.value, [r.to_json() for r in results])
    if LAYERS.value:
        for r in results:
            if r.cm4_layers:
                print(f"\n{r.model}: instructions per layer ({TARGET.value}, -O2)")
                print(format_layers(r))
    print()
    print(format_table(results))
    if not all(r.bit_exact and r.cm4_bit_exact in (None, True) for r in results):
        sys.exit("error: outputs differ from TFLM")


def main(argv: list[str] | None = None) -> None:
    """`mcunet-bench`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
