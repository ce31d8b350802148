"""The MobileNetV2 baseline under a device budget: what TinyNAS has to beat.

  python scripts/baseline.py --dataset=digits --sram_kb=64 --flash_kb=256 --epochs=12 --out_dir=out/baseline

--dataset: 'digits', 'glyphs', a .npz (x, y, optional x_val, y_val) or an image folder (one subfolder per class).

Costs MobileNetV2 on a grid of width multipliers x input resolutions with TinyNAS's cost model (our
planner's SRAM, the generated code's Flash), trains every point that fits from scratch for `--epochs`
(give the TinyNAS subnet's supernet + fine-tuning epochs for a fair comparison), prints a line per trained
point and the grid table, and writes baseline.json into --out_dir.
"""
import dataclasses
import os
import sys
import time

from absl import flags

from mcunet_tf.cli import common as cli

import mcunet_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
from tflite_patch.files import atomic_write_json  # noqa: E402

DATASET = flags.DEFINE_string("dataset", "digits", "'digits', 'glyphs', a .npz (x, y, optional x_val, y_val) or an "
                              "image folder (one subfolder per class)")
CHANNELS = flags.DEFINE_integer("channels", None, "input channels (1 or 3); default: the data's own (digits: 3)")
DEVICE, SRAM_KB, FLASH_KB = cli.budget_flags()
WIDTHS = flags.DEFINE_list("widths", ["0.1", "0.15", "0.2", "0.25", "0.35", "0.5"], "width multipliers")
RESOLUTIONS = flags.DEFINE_list("resolutions", ["24", "32"], "input resolutions")
EPOCHS = flags.DEFINE_integer("epochs", 12, "training epochs of each fitting baseline")
SEED = flags.DEFINE_integer("seed", 0, "seed of the data split and the training")
OUT_DIR = flags.DEFINE_string("out_dir", "out/baseline", "where baseline.json goes")


def _run(argv):
    del argv
    from mcunet_tf import baseline, cost, data

    widths, resolutions = cli.grid(WIDTHS.value, RESOLUTIONS.value)
    if EPOCHS.value < 1:
        sys.exit("error: --epochs must be >= 1")
    try:
        budget = cost.make_budget(DEVICE.value, SRAM_KB.value, FLASH_KB.value)
    except ValueError as e:
        sys.exit(f"error: {e}")
    start = time.time()

    def load(resolution):
        return data.load(DATASET.value, resolution, seed=SEED.value, channels=CHANNELS.value)
    try:
        (x, y), (xv, yv) = load(resolutions[0])
    except ValueError as e:
        sys.exit(f"error: {e}")
    num_classes = int(max(y.max(), yv.max())) + 1
    points = baseline.baseline_grid(budget, widths, resolutions, num_classes, in_channels=x.shape[-1])
    print(f"MobileNetV2 grid: {sum(p.fits for p in points)} of {len(points)} (width, resolution) points fit "
          f"{budget}; training each for {EPOCHS.value} epochs", flush=True)
    best = baseline.train_fitting(points, load, num_classes, EPOCHS.value, seed=SEED.value,
                                  log=lambda s: print(s, flush=True))
    os.makedirs(OUT_DIR.value, exist_ok=True)
    atomic_write_json(os.path.join(OUT_DIR.value, "baseline.json"),
                      {"dataset": DATASET.value, "budget": dataclasses.asdict(budget), "epochs": EPOCHS.value,
                       "grid": [p.to_dict() for p in points], "best": best and best.to_dict(),
                       "seconds": round(time.time() - start, 1)})
    print()
    print(baseline.format_grid(points))
    if best is None:
        sys.exit(f"error: no MobileNetV2 of the grid fits {budget}")
    print(f"best baseline: MobileNetV2 w{best.width:g} r{best.resolution}, val_accuracy {best.val_accuracy:.4f} "
          f"({time.time() - start:.0f} s); wrote {os.path.join(OUT_DIR.value, 'baseline.json')}")


def main(argv: list[str] | None = None) -> None:
    """`mcunet-baseline`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
