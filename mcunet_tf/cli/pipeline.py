"""The whole MCUNet pipeline for a data set and a device budget, into one output directory:

  mcunet --dataset=digits --device=stm32f412 --trials=12 --out_dir=out/run
  mcunet --dataset=digits --sram_kb=64 --flash_kb=256 --out_dir=out/run
  mcunet --dataset=my_images/ --sram_kb=64 --flash_kb=256 --out_dir=out/run

--dataset is the built-in digits, a .npz (x, y, optional x_val, y_val) or an image folder (one subfolder
per class); images are resized to the resolution stage 1 picks, pixels scaled onto --pixel_range.

stage 1 (search space) -> TinyNAS (supernet + evolutionary Keras Tuner oracle) -> best subnet -> QAT ->
int8 .tflite -> C (host, Cortex-M, Arduino library) -> benchmark against TF Lite Micro. Writes the model,
the generated C, report.json/report.txt and plots into --out_dir and prints the closing table. An
interrupted run resumes its search from --out_dir/search.
"""
import sys

from absl import flags

from mcunet_tf.cli import common as cli
from mcunet_tf.pipeline import PipelineConfig, format_report, run

DATASET = flags.DEFINE_string("dataset", "digits", "'digits', a .npz (x, y, optional x_val, y_val) or an image "
                              "folder (one subfolder per class)")
CHANNELS = flags.DEFINE_integer("channels", None, "input channels (1 or 3); default: the data's own (digits: 3)")
PIXEL_RANGE = flags.DEFINE_list("pixel_range", ["-1", "1"], "the model's input range for pixels 0..255")
DEVICE = flags.DEFINE_enum("device", None, ["stm32f412", "stm32f746", "stm32h743", "nano33ble", "custom"],
                           "budget preset (SRAM/Flash from the datasheets); custom: use --sram_kb/--flash_kb")
SRAM_KB = flags.DEFINE_float("sram_kb", None, "SRAM budget in kB (overrides the preset)")
FLASH_KB = flags.DEFINE_float("flash_kb", None, "Flash budget in kB (overrides the preset)")
LATENCY_MS = flags.DEFINE_float("latency_ms", None, "latency budget in ms at --clock_mhz (predicted)")
CLOCK_MHZ = flags.DEFINE_float("clock_mhz", None, "clock for the latency budget")
WIDTHS = flags.DEFINE_list("widths", ["0.25", "0.35", "0.5"], "stage 1 width multipliers")
RESOLUTIONS = flags.DEFINE_list("resolutions", ["24", "32"], "stage 1 input resolutions")
STAGE1_SAMPLES = flags.DEFINE_integer("stage1_samples", 200, "subnets sampled per (width, resolution)")
TRIALS = flags.DEFINE_integer("trials", 10, "TinyNAS trials (subnets evaluated)")
SUPERNET_EPOCHS = flags.DEFINE_integer("supernet_epochs", 6, "supernet training epochs")
FINETUNE_EPOCHS = flags.DEFINE_integer("finetune_epochs", 6, "fine-tuning epochs of each of the best subnets")
FINETUNE_TOP = flags.DEFINE_integer("finetune_top", 3, "best subnets fine-tuned; the best after fine-tuning is kept")
QAT_EPOCHS = flags.DEFINE_integer("qat_epochs", 2, "quantization-aware training epochs")
BENCH_INPUTS = flags.DEFINE_integer("bench_inputs", 100, "random inputs compared with TFLM on the host")
CM_INPUTS = flags.DEFINE_integer("cm_inputs", 10, "of those, how many run on Cortex-M4 in QEMU")
SEED = flags.DEFINE_integer("seed", 0, "seed of the data split, the search and the training")
OUT_DIR = flags.DEFINE_string("out_dir", "out/run", "where everything goes")


def _run(argv):
    del argv
    device = None if DEVICE.value in (None, "custom") else DEVICE.value
    try:
        config = PipelineConfig(
            out_dir=OUT_DIR.value, dataset=DATASET.value, channels=CHANNELS.value,
            pixel_range=tuple(float(v) for v in PIXEL_RANGE.value), device=device, sram_kb=SRAM_KB.value,
            flash_kb=FLASH_KB.value, latency_ms=LATENCY_MS.value, clock_mhz=CLOCK_MHZ.value,
            widths=tuple(float(w) for w in WIDTHS.value), resolutions=tuple(int(r) for r in RESOLUTIONS.value),
            stage1_samples=STAGE1_SAMPLES.value, trials=TRIALS.value, supernet_epochs=SUPERNET_EPOCHS.value,
            finetune_epochs=FINETUNE_EPOCHS.value, finetune_top=FINETUNE_TOP.value, qat_epochs=QAT_EPOCHS.value,
            bench_inputs=BENCH_INPUTS.value, cm_inputs=CM_INPUTS.value, seed=SEED.value)
        report = run(config, log=lambda s: print(s, flush=True))
    except ValueError as e:
        sys.exit(f"error: {str(e).splitlines()[0]}")
    except KeyboardInterrupt:
        sys.exit(f"error: interrupted; rerun the same command to resume the search in {OUT_DIR.value}/search")
    print()
    print(format_report(report))
    if not report["fits_budget"] or not report["bench"]["bit_exact"]:
        sys.exit("error: the chosen model does not fit the budget or differs from TFLM")


def main(argv: list[str] | None = None) -> None:
    """`mcunet`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
