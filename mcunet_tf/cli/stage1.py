"""TinyNAS stage 1: choose the search space (width multiplier, resolution) for a device budget.

  mcunet-stage1 --sram_kb=320 --flash_kb=1024 [--latency_ms=..] [--device=stm32f746]
                [--widths=0.3,0.4,0.5,0.6] [--resolutions=96,112,128,144,160,176]
                [--samples=1000] [--seed=0] [--processes=N] [--out_dir=runs/stage1]

For every (width, resolution) pair: sample --samples subnets of SearchSpace.mcunet(width, resolution), keep those
that fit the budget (exact engine arena, Flash, predicted latency: mcunet_tf.cost), and choose the pair whose
fitting subnets have the largest mean MACs (mcunet_tf.stage1). Prints the table, writes
<out_dir>/stage1.json and <out_dir>/stage1_cdf.png (the MACs CDF per pair, MCUNet Fig. 3).
"""
import os
import sys
import time

from absl import flags

from mcunet_tf.cli import common as cli
from mcunet_tf import stage1
from tflite_patch.files import atomic_write
from mcunet_tf.cost import DEVICES, make_budget

DEVICE = flags.DEFINE_enum("device", None, sorted(DEVICES), "device preset (SRAM, Flash, clock); --sram_kb, "
                           "--flash_kb and --clock_mhz override it")
SRAM_KB = flags.DEFINE_float("sram_kb", None, "SRAM budget, kB (the generated arena)")
FLASH_KB = flags.DEFINE_float("flash_kb", None, "Flash budget, kB (weights + code)")
LATENCY_MS = flags.DEFINE_float("latency_ms", None, "latency budget, ms (predicted Cortex-M4 instructions / clock)")
CLOCK_MHZ = flags.DEFINE_float("clock_mhz", None, "core clock for the latency budget, MHz")
SAMPLES = flags.DEFINE_integer("samples", 1000, "subnets sampled per (width, resolution) pair")
WIDTHS = flags.DEFINE_list("widths", ["0.3", "0.4", "0.5", "0.6"], "width multipliers")
RESOLUTIONS = flags.DEFINE_list("resolutions", ["96", "112", "128", "144", "160", "176"], "input resolutions")
NUM_CLASSES = flags.DEFINE_integer("num_classes", 1000, "classifier outputs")
MIN_FIT_FRACTION = flags.DEFINE_float("min_fit_fraction", 0.0, "ignore pairs where fewer samples fit")
SEED = flags.DEFINE_integer("seed", 0, "sampling seed")
PROCESSES = flags.DEFINE_integer("processes", None, "processes computing costs (default: all cores)")
OUT_DIR = flags.DEFINE_string("out_dir", "runs/stage1", "where stage1.json and stage1_cdf.png go")


def _run(argv):
    del argv
    widths, resolutions = cli.grid(WIDTHS.value, RESOLUTIONS.value)
    if SAMPLES.value < 1:
        sys.exit("error: need --samples >= 1")
    budget = make_budget(DEVICE.value, SRAM_KB.value, FLASH_KB.value, LATENCY_MS.value, CLOCK_MHZ.value,
                         require_memory=False)
    if budget.sram_kb is None and budget.flash_kb is None and budget.latency_ms is None:
        print("warning: no budget given (--device, --sram_kb, --flash_kb or --latency_ms): every subnet fits",
              file=sys.stderr)
    start = time.time()
    print(f"stage 1: {len(widths)} widths x {len(resolutions)} resolutions x {SAMPLES.value} samples", flush=True)
    result = stage1.optimize_search_space(budget, widths, resolutions, samples=SAMPLES.value, seed=SEED.value,
                                          min_fit_fraction=MIN_FIT_FRACTION.value, processes=PROCESSES.value,
                                          log=lambda line: print(line, flush=True), num_classes=NUM_CLASSES.value)
    os.makedirs(OUT_DIR.value, exist_ok=True)
    json_path = os.path.join(OUT_DIR.value, "stage1.json")
    png_path = os.path.join(OUT_DIR.value, "stage1_cdf.png")
    atomic_write(json_path, result.to_json())
    result.plot(png_path)
    print(result.table())
    print(f"wrote {json_path} and {png_path} in {time.time() - start:.0f} s")
    if result.best is None:
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """`mcunet-stage1`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
