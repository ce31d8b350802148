"""TinyNAS from the budget alone, as a Keras user calls it: 32 kB SRAM / 128 kB Flash, 32x32 grayscale digits.

  python scripts/acceptance_32k.py --out_dir=out/acceptance_32k [--trials=6 --supernet_epochs=2 ...]

`mt.TinyNAS(mt.SearchSpace.mcunet(), budget=mt.Budget(sram_kb=32, flash_kb=128))`: no width, resolution,
classes or channels given, so stage 1 picks the space for the budget and the data; then the supernet, the
trials, fine-tuning of the best, QAT, int8 conversion, the generated C benchmarked against TF Lite Micro on
the host and on Cortex-M4 (QEMU). Prints the int8 accuracy in TFLM, the RAM and Flash measured on the
Cortex-M4 build against the budget, the wall time and the machine's load average. Writes report.json.
"""
import os
import sys
import time

from absl import flags

import cli

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mcunet_tf as mt  # noqa: E402
from tflite_patch.files import atomic_write_json  # noqa: E402

TRIALS = flags.DEFINE_integer("trials", 6, "TinyNAS trials")
SUPERNET_EPOCHS = flags.DEFINE_integer("supernet_epochs", 2, "supernet training epochs")
FINETUNE_EPOCHS = flags.DEFINE_integer("finetune_epochs", 30, "fine-tuning epochs of each of the best subnets")
FINETUNE_LR = flags.DEFINE_float("finetune_learning_rate", 5e-3, "fine-tuning's initial learning rate (cosine decay)")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "batch size of supernet training and fine-tuning")
FINETUNE_TOP = flags.DEFINE_integer("finetune_top", 1, "best subnets fine-tuned; the best after fine-tuning is kept")
QAT_EPOCHS = flags.DEFINE_integer("qat_epochs", 2, "quantization-aware training epochs")
STAGE1_SAMPLES = flags.DEFINE_integer("stage1_samples", 100, "stage 1 subnets sampled per (width, resolution)")
SEED = flags.DEFINE_integer("seed", 0, "seed of the split, the search and the training")
OUT_DIR = flags.DEFINE_string("out_dir", "out/acceptance_32k", "search project, model, C and report.json")
SRAM_KB, FLASH_KB = 32, 128


def main(argv):
    del argv
    from mcunet_tf.complete_space import resize_images
    from mcunet_tf.pipeline import deploy

    start, load_before = time.time(), os.getloadavg()
    (x, y), (xv, yv) = mt.data.digits(resolution=32, channels=1, seed=SEED.value)
    tuner = mt.TinyNAS(mt.SearchSpace.mcunet(), budget=mt.Budget(sram_kb=SRAM_KB, flash_kb=FLASH_KB),
                       objective="val_accuracy", max_trials=TRIALS.value, directory=OUT_DIR.value,
                       project_name="search", supernet_epochs=SUPERNET_EPOCHS.value,
                       finetune_epochs=FINETUNE_EPOCHS.value, finetune_learning_rate=FINETUNE_LR.value,
                       batch_size=BATCH_SIZE.value, stage1_samples=STAGE1_SAMPLES.value, seed=SEED.value,
                       overwrite=True)
    tuner.search(x, y, validation_data=(xv, yv))
    searched = time.time() - start
    x, xv = resize_images(x, tuner.space.resolution), resize_images(xv, tuner.space.resolution)
    _, models, tuned, pick = tuner.best_after_fine_tuning(FINETUNE_TOP.value, xv, yv)
    tuner.folder_lock.release()
    figures = deploy(models[pick], "acceptance_32k", (x, y), (xv, yv), OUT_DIR.value, qat_epochs=QAT_EPOCHS.value,
                     bench_inputs=20, cm_inputs=2)
    bench, seconds = figures["bench"], time.time() - start
    fits = bench["ours_ram_bytes"] <= SRAM_KB * 1024 and bench["ours_flash_bytes"] <= FLASH_KB * 1024
    report = {"space": {"width": tuner.space.width_multiplier, "resolution": tuner.space.resolution},
              "float_accuracy_finetuned": tuned[pick], "int8_accuracy_tflm": figures["int8_accuracy_tflm"],
              "ram_bytes": bench["ours_ram_bytes"], "flash_bytes": bench["ours_flash_bytes"], "fits": fits,
              "bit_exact": bench["bit_exact"] and bench["cm4_bit_exact"], "seconds": round(seconds, 1),
              "search_seconds": round(searched, 1), "load_average": [os.getloadavg(), load_before],
              "settings": {f: flags.FLAGS[f].value for f in ("trials", "supernet_epochs", "finetune_epochs",
                                                             "finetune_learning_rate", "batch_size", "finetune_top",
                                                             "qat_epochs", "stage1_samples", "seed")}}
    atomic_write_json(os.path.join(OUT_DIR.value, "report.json"), report)
    print(f"\nstage 1: width {tuner.space.width_multiplier:g}, resolution {tuner.space.resolution}")
    print(f"int8 accuracy (TFLM) {report['int8_accuracy_tflm']:.4f} (float, fine-tuned {tuned[pick]:.4f}); "
          f"Cortex-M4 RAM {bench['ours_ram_bytes']:,} B / {SRAM_KB * 1024:,}, Flash {bench['ours_flash_bytes']:,} B / "
          f"{FLASH_KB * 1024:,}: {'fits' if fits else 'DOES NOT FIT'}; bit-exact {report['bit_exact']}")
    print(f"wall time {seconds / 60:.1f} min (search {searched / 60:.1f}); load average now "
          f"{os.getloadavg()[0]:.1f}, at start {load_before[0]:.1f} (2 cores)")
    if not fits or not report["bit_exact"]:
        sys.exit("error: the model does not fit the budget or differs from TFLM")


if __name__ == "__main__":
    cli.run(main)
