"""TinyNAS search on an offline data set under a microcontroller budget.

  mcunet-search --dataset=digits --resolution=24 --sram_kb=64 --flash_kb=256 --trials=20 \
      --supernet_epochs=4 --epochs=3 --out_dir=out/search
  mcunet-search --dataset=my_images/ --sram_kb=32 --flash_kb=128 --out_dir=out/search

--dataset is a built-in set (digits, glyphs), a .npz (x, y, optional x_val, y_val) or an image folder (one
subfolder per class). Without --resolution or --width_multiplier, TinyNAS's stage 1 chooses them for the
budget (table and CDF plot in the project directory) and the images are resized to its choice.

Trains the weight-sharing supernet once, runs `--trials` evolutionary trials (one progress line each:
trial id, MACs, SRAM kB, Flash kB, val_accuracy, time), fine-tunes the best subnets for `--epochs` and
prints a table of them. `--out_dir` is the Keras Tuner directory (rerun with more trials to resume);
it also gets best_subnets.json (configs, costs, accuracies) and best_model.keras (tf_keras).
`--device` takes the budget from a preset of mcunet_tf.cost.DEVICES; --sram_kb / --flash_kb override it.
`--patch` lets subnets run their first layers patch by patch (MCUNetV2): each candidate is costed with the
patch schedule of fewest extra MACs that fits the SRAM budget (`cost.patch_cost_fn`), as
`scripts/codegen.py --patch=auto --sram_kb=...` will generate it.
`--dataset` may also be a folder of TFRecord shards with `train/` and `val/` subfolders (the schema of
`mcunet_tf.distribute`: image bytes, shape, label; resized to `--resolution`, `--num_classes` needed),
streamed by supernet training, BatchNorm calibration, trial scoring and fine-tuning, never loaded whole.
`--strategy=mirrored` trains on every local device (`--cpu_replicas=N`: N logical CPU devices),
`--strategy=multi_worker` on the workers TF_CONFIG names (one command per worker; see README).
A second search on the same project directory while one runs, or a corrupt state file in it, exits with
one line (`error: ...`) saying who holds it or which file and what to do.
"""
import dataclasses
import glob
import os
import sys
import time

from absl import flags

from mcunet_tf.cli import common as cli
from tflite_patch.files import atomic_write_json

DATASET = flags.DEFINE_string("dataset", "digits", "'digits', 'glyphs', a .npz (x, y, optional x_val, y_val), an "
                              "image folder (one subfolder per class) or a TFRecord folder (train/ and val/ shard "
                              "folders of *.tfrecord; needs --num_classes)")
CHANNELS = flags.DEFINE_integer("channels", None, "input channels (1 or 3); default: the data's own (digits: 3)")
NUM_CLASSES = flags.DEFINE_integer("num_classes", None, "classes of a TFRecord data set (labels 0..N-1)")
STRATEGY = flags.DEFINE_enum("strategy", "none", ["none", "mirrored", "multi_worker"],
                             "tf.distribute strategy of supernet training and fine-tuning")
CPU_REPLICAS = flags.DEFINE_integer("cpu_replicas", 0, "with --strategy=mirrored: split the CPU into this many "
                                    "logical devices (0: the machine's devices as they are)")
RESOLUTION = flags.DEFINE_integer("resolution", None, "input resolution of the search space (default: stage 1's)")
WIDTH = flags.DEFINE_float("width_multiplier", None, "width multiplier of the search space (default: stage 1's)")
DEVICE, SRAM_KB, FLASH_KB = cli.budget_flags()
TRIALS = flags.DEFINE_integer("trials", 20, "subnets to evaluate (max_trials)")
EPOCHS = flags.DEFINE_integer("epochs", 3, "fine-tuning epochs of the best subnets")
SUPERNET_EPOCHS = flags.DEFINE_integer("supernet_epochs", 4, "supernet training epochs (sandwich rule)")
TOP = flags.DEFINE_integer("top", 3, "best subnets to fine-tune and list")
SEED = flags.DEFINE_integer("seed", 0, "seed of the data split, the supernet and the evolution")
OUT_DIR = flags.DEFINE_string("out_dir", "out/search", "Keras Tuner directory and results")
PATCH = flags.DEFINE_bool("patch", False, "cost subnets with patch-based inference within the SRAM budget")
OVERWRITE = flags.DEFINE_bool("overwrite", False, "start over instead of resuming the project in --out_dir")


def _run(argv):
    del argv
    from mcunet_tf.search_folder import SearchFolderError
    try:
        search()
    except SearchFolderError as e:  # the project directory is in use, or a state file in it is corrupt
        sys.exit(f"error: {e}")


def make_strategy():
    """The --strategy, made before TensorFlow runs anything (logical devices must be set first)."""
    import tensorflow as tf
    if STRATEGY.value == "mirrored":
        if CPU_REPLICAS.value > 1:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()]
                                                       * CPU_REPLICAS.value)
        return tf.distribute.MirroredStrategy()
    if STRATEGY.value == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            sys.exit("error: --strategy=multi_worker needs TF_CONFIG (the cluster and this worker's task)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def load_data():
    """((x, y), (x_val, y_val)): arrays (`mcunet_tf.data.load`), or datasets streamed from a TFRecord folder
    (y None)."""
    from mcunet_tf import data, distribute
    if glob.glob(os.path.join(DATASET.value, "train", "*.tfrecord")):
        if NUM_CLASSES.value is None:
            sys.exit("error: a TFRecord --dataset needs --num_classes")
        try:
            train, val = (distribute.tfrecord_dataset(os.path.join(DATASET.value, part), 64, RESOLUTION.value,
                                                      shuffle_buffer=shuffle, seed=SEED.value)
                          for part, shuffle in (("train", 4096), ("val", 0)))
        except ValueError as e:
            sys.exit(f"error: {e}")
        return (train, None), (val, None)
    try:
        return data.load(DATASET.value, RESOLUTION.value, seed=SEED.value, channels=CHANNELS.value)
    except ValueError as e:
        sys.exit(f"error: {e}")


def search():
    from mcunet_tf import cost, data, distribute
    from mcunet_tf.complete_space import resize_images
    from mcunet_tf.space import SearchSpace
    from mcunet_tf.tuner import TinyNAS

    strategy = make_strategy()
    try:
        budget = cost.make_budget(DEVICE.value, SRAM_KB.value, FLASH_KB.value)
    except ValueError as e:
        sys.exit(f"error: {e}")
    (x, y), (xv, yv) = load_data()
    space = SearchSpace.mcunet(width_multiplier=WIDTH.value, resolution=RESOLUTION.value,
                               num_classes=NUM_CLASSES.value)
    project = data.project_name(DATASET.value, RESOLUTION.value, WIDTH.value)
    start = time.time()
    try:
        tuner = TinyNAS(space, budget, max_trials=TRIALS.value, directory=OUT_DIR.value, project_name=project,
                        supernet_epochs=SUPERNET_EPOCHS.value, finetune_epochs=EPOCHS.value, seed=SEED.value,
                        overwrite=OVERWRITE.value, cost_fn=cost.patch_cost_fn(budget) if PATCH.value else None,
                        distribution_strategy=strategy)
    except ValueError as e:
        sys.exit(f"error: {e}")
    try:
        tuner.search(x, y, validation_data=(xv, yv) if yv is not None else xv)
    except ValueError as e:  # stage 1 finds no space within the budget, or the data does not fit the space
        sys.exit(f"error: {e}")
    if yv is not None:
        xv = resize_images(xv, tuner.space.resolution)
    if tuner._is_worker() or "chief" in os.environ.get("KERASTUNER_TUNER_ID", ""):
        return  # distributed: results live with the chief's project directory
    searched = time.time() - start

    trials, models, tuned_scores, chosen = tuner.best_after_fine_tuning(TOP.value, xv, yv)
    rows, results = [], []
    for rank, (trial, tuned) in enumerate(zip(trials, tuned_scores), 1):
        m = trial.metrics
        cfg = tuner.config(trial)
        patch = getattr(tuner.cost_fn(cfg), "patch", None) or "off"
        results.append({"rank": rank, "trial": trial.trial_id, "val_accuracy_inherited": trial.score,
                        "val_accuracy_finetuned": tuned, "macs": int(m.get_last_value("macs")),
                        "params": int(m.get_last_value("params")), "sram_kb": m.get_last_value("sram_kb"),
                        "flash_kb": m.get_last_value("flash_kb"), "patch": patch,
                        "config": cfg.to_dict()})
        rows.append(f"{rank:>4} {trial.trial_id:>6} {trial.score:>10.4f} {tuned:>10.4f} "
                    f"{m.get_last_value('macs') / 1e6:>8.2f}M {m.get_last_value('sram_kb'):>8.1f} "
                    f"{m.get_last_value('flash_kb'):>9.1f} {len(cfg.blocks):>6} {str(patch):>6}")
    if not distribute.is_chief(tuner.strategy):
        return  # it fine-tuned with the chief (collectively); the chief writes the results
    atomic_write_json(os.path.join(OUT_DIR.value, "best_subnets.json"),
                      {"budget": dataclasses.asdict(budget), "space": tuner.space.to_dict(), "best": results,
                       "chosen_trial": results[chosen]["trial"] if models else None})
    if models:
        models[chosen].save(os.path.join(OUT_DIR.value, "best_model.keras"))
    print()
    print(f"best subnets of {len(tuner.oracle.trials)} trials ({searched:.0f} s search, "
          f"{time.time() - start - searched:.0f} s fine-tuning; {DATASET.value} {tuner.space.resolution}px, "
          f"width {tuner.space.width_multiplier:g}):")
    print(f"{'rank':>4} {'trial':>6} {'inherited':>10} {'finetuned':>10} {'MACs':>9} {'SRAM kB':>8} "
          f"{'Flash kB':>9} {'blocks':>6} {'patch':>6}")
    print("\n".join(rows))
    if models:
        print(f"best after fine-tuning: trial {results[chosen]['trial']} ({tuned_scores[chosen]:.4f}), "
              f"saved as best_model.keras")
    print(f"wrote {os.path.join(OUT_DIR.value, 'best_subnets.json')}")


def main(argv: list[str] | None = None) -> None:
    """`mcunet-search`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
