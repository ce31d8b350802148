"""How well the supernet ranks subnets: Kendall's tau and Spearman's rho between inherited-weight and
fine-tuned accuracy of subnets that fit the budget (the standard supernet quality figure).

  python scripts/ranking.py --dataset=glyphs --resolution=32 --width_multiplier=0.35 --sram_kb=64 \
      --flash_kb=256 --supernet_epochs=4 --subnets=20 --finetune_epochs=2 --out_dir=out/ranking

Trains a supernet (or loads `--supernet`), samples `--subnets` distinct fitting subnets, scores each with
inherited weights (BatchNorm re-calibrated, as a TinyNAS trial) and after `--finetune_epochs` of the same
fine-tuning, and writes ranking.json (every subnet and both correlations) and ranking.png (the scatter plot).
"""
import os
import sys

from absl import flags

import cli

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mcunet_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
from tflite_patch.files import atomic_write_json  # noqa: E402

DATASET = flags.DEFINE_enum("dataset", "digits", ["digits", "glyphs"], "offline data set")
RESOLUTION = flags.DEFINE_integer("resolution", 24, "input resolution")
WIDTH = flags.DEFINE_float("width_multiplier", 0.35, "width multiplier of the MCUNet search space")
DEVICE = flags.DEFINE_string("device", None, "budget preset from mcunet_tf.cost.DEVICES")
SRAM_KB = flags.DEFINE_float("sram_kb", None, "SRAM budget (kB); overrides --device")
FLASH_KB = flags.DEFINE_float("flash_kb", None, "Flash budget (kB); overrides --device")
SUPERNET = flags.DEFINE_string("supernet", None, "a trained supernet.npz (default: train one)")
SUPERNET_EPOCHS = flags.DEFINE_integer("supernet_epochs", 4, "supernet training epochs when training one")
SUBNETS = flags.DEFINE_integer("subnets", 20, "fitting subnets to score")
FINETUNE_EPOCHS = flags.DEFINE_integer("finetune_epochs", 2, "fine-tuning epochs of each subnet")
NUM_TRAIN = flags.DEFINE_integer("num_train", 20000, "glyphs: training images generated")
SEED = flags.DEFINE_integer("seed", 0, "seed of the data, the supernet and the sampling")
OUT_DIR = flags.DEFINE_string("out_dir", "out/ranking", "where ranking.json and ranking.png go")


def _load_data():
    from mcunet_tf import data, glyphs

    if DATASET.value == "glyphs":
        return glyphs.glyphs(RESOLUTION.value, num_train=NUM_TRAIN.value, num_val=max(1, NUM_TRAIN.value // 5),
                             seed=SEED.value, channels=3)
    return data.load(DATASET.value, RESOLUTION.value, seed=SEED.value)


def _plot(ranking, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([s.inherited_accuracy for s in ranking.subnets], [s.finetuned_accuracy for s in ranking.subnets])
    ax.set_xlabel("accuracy, inherited weights")
    ax.set_ylabel("accuracy, fine-tuned")
    ax.set_title(f"Kendall tau {ranking.kendall_tau:.3f}, Spearman rho {ranking.spearman_rho:.3f}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv):
    del argv
    from mcunet_tf import cost
    from mcunet_tf.ranking import supernet_ranking
    from mcunet_tf.space import SearchSpace
    from mcunet_tf.supernet import Supernet

    if SUBNETS.value < 2 or FINETUNE_EPOCHS.value < 1 or SUPERNET_EPOCHS.value < 1:
        sys.exit("error: --subnets must be >= 2, --finetune_epochs and --supernet_epochs >= 1")
    try:
        budget = cost.make_budget(DEVICE.value, SRAM_KB.value, FLASH_KB.value)
    except ValueError as e:
        sys.exit(f"error: {e}")
    (x, y), (xv, yv) = _load_data()
    space = SearchSpace.mcunet(width_multiplier=WIDTH.value, resolution=RESOLUTION.value,
                               num_classes=int(max(y.max(), yv.max())) + 1)
    if SUPERNET.value:
        net = Supernet.load(SUPERNET.value)
        if net.space != space:
            sys.exit(f"error: {SUPERNET.value} was trained on another search space than --width_multiplier="
                     f"{WIDTH.value:g} --resolution={RESOLUTION.value}")
    else:
        net = Supernet(space, seed=SEED.value)
        net.train(x, y, epochs=SUPERNET_EPOCHS.value, seed=SEED.value)
    try:
        ranking = supernet_ranking(net, budget, (x, y), (xv, yv), num_subnets=SUBNETS.value,
                                   finetune_epochs=FINETUNE_EPOCHS.value, seed=SEED.value)
    except ValueError as e:
        sys.exit(f"error: {e}")
    os.makedirs(OUT_DIR.value, exist_ok=True)
    report = dict(ranking.as_dict(), dataset=DATASET.value, resolution=RESOLUTION.value, width=WIDTH.value,
                  supernet_epochs=net.epochs_trained, finetune_epochs=FINETUNE_EPOCHS.value)
    atomic_write_json(os.path.join(OUT_DIR.value, "ranking.json"), report)
    _plot(ranking, os.path.join(OUT_DIR.value, "ranking.png"))
    print(f"{'subnet':>6} {'MACs':>8} {'inherited':>10} {'fine-tuned':>10}")
    for i, s in enumerate(ranking.subnets):
        print(f"{i:>6} {s.macs / 1e6:>7.2f}M {s.inherited_accuracy:>10.4f} {s.finetuned_accuracy:>10.4f}")
    print(f"Kendall tau {ranking.kendall_tau:.3f}, Spearman rho {ranking.spearman_rho:.3f} over "
          f"{len(ranking.subnets)} subnets ({ranking.seconds:.0f} s); wrote {OUT_DIR.value}/ranking.json")


if __name__ == "__main__":
    cli.run(main)
