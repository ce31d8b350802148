"""TinyNAS stage 1: choose the search space (width multiplier, resolution) for a device budget.

  python scripts/stage1.py --sram_kb=320 --flash_kb=1024 [--latency_ms=..] [--device=stm32f746]
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

import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mcunet_tf import stage1  # noqa: E402
from mcunet_tf.cost import DEVICES, Budget  # noqa: E402

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


def budget_from_flags() -> Budget:
    base = DEVICES[DEVICE.value] if DEVICE.value else Budget()
    return Budget(sram_kb=SRAM_KB.value if SRAM_KB.value is not None else base.sram_kb,
                  flash_kb=FLASH_KB.value if FLASH_KB.value is not None else base.flash_kb,
                  latency_ms=LATENCY_MS.value if LATENCY_MS.value is not None else base.latency_ms,
                  clock_mhz=CLOCK_MHZ.value if CLOCK_MHZ.value is not None else base.clock_mhz)


def main(argv):
    del argv
    try:
        widths = [float(w) for w in WIDTHS.value]
        resolutions = [int(r) for r in RESOLUTIONS.value]
    except ValueError as e:
        sys.exit(f"error: --widths takes numbers and --resolutions integers ({e})")
    if SAMPLES.value < 1 or not widths or not resolutions or min(widths) <= 0 or min(resolutions) < 8:
        sys.exit("error: need --samples >= 1, positive --widths and --resolutions >= 8")
    budget = budget_from_flags()
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
    with open(json_path + ".tmp", "w") as f:
        f.write(result.to_json())
    os.replace(json_path + ".tmp", json_path)
    result.plot(png_path)
    print(result.table())
    print(f"wrote {json_path} and {png_path} in {time.time() - start:.0f} s")
    if result.best is None:
        sys.exit(1)


if __name__ == "__main__":
    cli.run(main)
