"""`TinyNAS`: the MCUNet search as a Keras Tuner tuner.

```python
tuner = TinyNAS(space, budget=Budget(sram_kb=256, flash_kb=1024), max_trials=100,
                directory="runs", project_name="vww")
tuner.search(x, y, validation_data=(xv, yv), epochs=10)   # epochs: supernet training epochs
best = tuner.get_best_models(1)[0]                          # plain tf_keras functional model, fine-tuned
```

`search` trains the weight-sharing supernet once (sandwich rule; saved as `supernet.npz` in the project
directory and reused when the search resumes), then every trial takes the subnet the `TinyNASOracle`
proposes (always within the budget), copies its weights out of the supernet, re-calibrates its BatchNorm
statistics on training images and measures `val_accuracy` (and `val_loss`); nothing is trained per trial.
Each trial reports its cost too (`macs`, `params`, `sram_kb`, `flash_kb`) and prints one line.

A space that leaves axes open (`SearchSpace.mcunet()` with no width multiplier, resolution, classes or
channels) is completed at the start of `search`: channels and classes from the data, width and resolution by
TinyNAS stage 1 for the budget (table and CDF plot kept in the project directory; a resumed search reuses the
choice). The images are resized to the space's resolution on the fly (`tuner.space` is the searched space).

As with other tuners, `search` takes arrays or a `tf.data.Dataset` (streamed, never copied whole),
`validation_data` or `validation_split`, and `callbacks` (given to supernet training and fine-tuning);
`executions_per_trial` averages each trial over BatchNorm calibrations on different images.

`get_best_models(n)` rebuilds the best subnets with their inherited weights and fine-tunes each for
`finetune_epochs` (cached in the trial directory). Keras Tuner's `get_best_hyperparameters`,
`results_summary`, `reload` and distributed mode (`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP`,
`KERASTUNER_ORACLE_PORT`; the chief serves the oracle, workers run trials) work as for any tuner. With
several workers on one shared directory the first worker trains the supernet and the others wait for it
(a file lock).

One search at a time per project directory: a second process that builds a `TinyNAS` on a directory in use
gets `SearchFolderInUse` naming the holder (pid, host, start time); a state file that cannot be read back
(a truncated trial.json, oracle.json, ...) is a `CorruptSearchFolder` naming it and what to do
(`mcunet_tf.search_folder`; both are ValueErrors with a one-line message).
"""
from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import tempfile
import zlib
import time
import warnings
from typing import Any, Callable

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from keras_tuner.engine import base_tuner  # noqa: E402

from mcunet_tf import complete_space, distribute, keras3, zoo  # noqa: E402
from mcunet_tf.oracle import TinyNASOracle, config_from_values, describe_budget  # noqa: E402
from mcunet_tf.progress import fit_verbose  # noqa: E402
from mcunet_tf.search_folder import (START_OVER, clear_search_folder, lock_search_folder,  # noqa: E402
                                     read_json_state, reading_state)
from mcunet_tf.space import SearchSpace, SubnetConfig  # noqa: E402
from mcunet_tf.supernet import (Supernet, bn_statistics_of, epoch_batches, set_bn_statistics,  # noqa: E402
                                steps_of)
from tflite_patch.files import atomic_write  # noqa: E402

SUPERNET_FILE = "supernet.npz"
BN_FILE = "bn_statistics.npz"
FINETUNED_FILE = "finetuned_weights.npz"
# What each trial reports: the objective must be one of them.
TRIAL_METRICS = ("val_accuracy", "val_loss", "macs", "params", "sram_kb", "flash_kb")


def check_objective(objective) -> None:
    """ValueError unless every name in the (Keras Tuner) objective is a metric TinyNAS trials report."""
    from keras_tuner.src.engine import objective as kt_objective
    built = kt_objective.create_objective(objective)
    for name in [o.name for o in getattr(built, "objectives", [built])]:
        if name not in TRIAL_METRICS:
            raise ValueError(f"objective {name!r} is not a metric TinyNAS trials report ({', '.join(TRIAL_METRICS)}): "
                             "trials are scored without training, so there is no training accuracy or loss")


@contextlib.contextmanager
def _file_lock(path: str):
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _savez_atomic(path: str, arrays: dict[str, np.ndarray]) -> None:
    """np.savez via a temporary file and a rename: a search killed mid-write leaves the old file or none."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def evaluate(model: keras.Model, x, y=None, batch_size: int = 256) -> dict[str, float]:
    """Top-1 accuracy and mean cross-entropy of a logits model (inference mode) on arrays `x`, `y` or on a
    `tf.data.Dataset` `x` of (images, labels) batches."""
    if y is not None:
        x, y = np.asarray(x, np.float32), np.asarray(y, np.int64).reshape(-1)
    correct, loss, count = 0, 0.0, 0
    for images, labels in epoch_batches(x, y, batch_size):
        logits = model(images, training=False)
        correct += int(np.sum(np.argmax(logits.numpy(), axis=-1) == labels.numpy()))
        loss += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)))
        count += int(labels.shape[0])
    return {"val_accuracy": correct / count, "val_loss": loss / count}


def _split_validation(x, y, validation_data, validation_split: float | None):
    """(x, y, validation_data) of `search`: Keras's `validation_split` takes the last fraction of the
    arrays (before any shuffling) for validation."""
    if validation_split is None:
        if validation_data is None:
            raise ValueError("TinyNAS.search needs validation_data=(x_val, y_val) or validation_split: trials are "
                             "scored on it")
        return x, y, validation_data
    if validation_data is not None:
        raise ValueError("give TinyNAS.search validation_data or validation_split, not both")
    if isinstance(x, tf.data.Dataset):
        raise ValueError("validation_split needs arrays (as in Keras): with a tf.data.Dataset pass validation_data")
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), not {validation_split}")
    cut = len(x) - max(1, int(round(len(x) * validation_split)))
    return x[:cut], y[:cut], (x[cut:], y[cut:])


def _as_data(x, y, name: str) -> tuple:
    """(float32 array, flat labels) or (dataset, None); a dataset of single images is batched by 64."""
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(f"{name} is a tf.data.Dataset of (images, labels): give no separate labels")
        images_spec = x.element_spec[0]
        return (x.batch(64) if len(images_spec.shape) == 3 else x), None
    if y is None:
        raise ValueError(f"{name} is an array: it needs its labels")
    x = np.asarray(x, np.float32)
    return (x[..., None] if x.ndim == 3 else x), np.asarray(y).reshape(-1)  # (N, H, W): one channel


def _images(data, count: int, seed: int, skip_sets: int = 0) -> np.ndarray:
    """Up to `count` training images as an array: a seeded random choice from arrays, or the dataset's
    images after the first `skip_sets * count` (read no further)."""
    x = data[0]
    if isinstance(x, tf.data.Dataset):
        images = x.map(lambda images, labels: images).unbatch().skip(skip_sets * count).take(count).batch(count)
        return np.concatenate([batch.numpy() for batch in images])
    if len(x) <= count:
        return x
    idx = np.random.default_rng(seed).choice(len(x), count, replace=False)
    return x[np.sort(idx)]


class TinyNAS(base_tuner.BaseTuner):
    """Keras Tuner tuner for TinyNAS (see the module docstring).

    Args:
        space: the `SearchSpace`.
        budget: a `mcunet_tf.cost.Budget` (SRAM / Flash / latency limits).
        objective: "val_accuracy" (default) or "val_loss".
        max_trials: subnets evaluated.
        directory, project_name, overwrite: Keras Tuner's project directory (resume: same directory and
            project_name, a larger max_trials).
        supernet_epochs: supernet training epochs (`search(..., epochs=N)` overrides it).
        finetune_epochs: fine-tuning epochs of each model `get_best_models` returns (0: inherited weights).
        batch_size, learning_rate: supernet training (Adam, cosine decay). finetune_learning_rate likewise.
        calibration_samples: training images BatchNorm statistics are re-calibrated on (MCUNet: 2000).
        population_size, parent_ratio, mutation_ratio, mutate_prob, max_rejections, seed: `TinyNASOracle`.
        cost_fn: `SubnetConfig -> Cost` (default `mcunet_tf.cost.subnet_cost`).
        executions_per_trial: BatchNorm calibrations per trial, each on another random set of
            `calibration_samples` training images; the trial reports their mean (trials train nothing, so
            the calibration sample is what varies).
        max_retries_per_trial, max_consecutive_failed_trials: as for any Keras Tuner tuner.
        verbose: 1 prints the supernet epochs and one line per trial; 0 is silent.
        distribution_strategy: a `tf.distribute` strategy (as Keras Tuner's tuners take it): supernet
            training (synchronised over its replicas, checkpointed after every epoch in the project's
            `supernet_checkpoints/`), the extracted subnets and their fine-tuning run under it. With a
            multi-worker strategy every worker runs the same search; the chief writes the project
            directory, the others a temporary one (the Keras convention).
        stage1_samples, stage1_widths, stage1_resolutions, stage1_min_fit_fraction: stage 1, run by `search`
            when `space` leaves its width multiplier or resolution open (`SearchSpace.mcunet()` without
            them): subnets sampled per pair, the grid (default `complete_space.STAGE1_WIDTHS` and the
            resolutions up to the data's) and `stage1.choose_best`'s minimum fit fraction. Open input
            channels and classes are taken from the data (`mcunet_tf.complete_space`).
    """

    def __init__(self, space: SearchSpace, budget, objective: str = "val_accuracy", max_trials: int = 100,
                 directory: str | None = None, project_name: str | None = None, supernet_epochs: int = 10,
                 finetune_epochs: int = 5, batch_size: int = 64, learning_rate: float = 3e-3,
                 finetune_learning_rate: float = 1e-3, calibration_samples: int = 500,
                 population_size: int | None = None, parent_ratio: float = 0.25, mutation_ratio: float = 0.5,
                 mutate_prob: float = 0.1, max_rejections: int = 2000, seed: int | None = None,
                 cost_fn: Callable[[SubnetConfig], Any] | None = None, overwrite: bool = False, verbose: int = 1,
                 executions_per_trial: int = 1, max_retries_per_trial: int = 0,
                 max_consecutive_failed_trials: int = 3, stage1_samples: int = 100, stage1_widths=None,
                 stage1_resolutions=None, stage1_min_fit_fraction: float = 0.0,
                 distribution_strategy: tf.distribute.Strategy | None = None, **kwargs):
        check_objective(objective)
        if int(executions_per_trial) < 1:
            raise ValueError(f"executions_per_trial must be >= 1, not {executions_per_trial}")
        if int(stage1_samples) < 1:
            raise ValueError(f"stage1_samples must be >= 1, not {stage1_samples}")
        directory, project_name = directory or ".", project_name or "untitled_project"
        folder = os.path.join(str(directory), project_name)
        self.open_space = space
        self.stage1 = {"samples": int(stage1_samples), "widths": stage1_widths, "resolutions": stage1_resolutions,
                       "min_fit_fraction": stage1_min_fit_fraction}
        if space.open_axes and not overwrite:  # resuming: the space completed by the first search
            space = complete_space.saved_space(folder, space, budget) or space
        oracle = TinyNASOracle(space, budget, objective=objective, max_trials=max_trials,
                               population_size=population_size, parent_ratio=parent_ratio,
                               mutation_ratio=mutation_ratio, mutate_prob=mutate_prob, max_rejections=max_rejections,
                               cost_fn=cost_fn, seed=seed, max_retries_per_trial=max_retries_per_trial,
                               max_consecutive_failed_trials=max_consecutive_failed_trials)
        self.executions_per_trial = int(executions_per_trial)
        self.space = space
        self.budget = budget
        self.cost_fn = oracle.cost_fn
        self.supernet_epochs = supernet_epochs
        self.finetune_epochs = finetune_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.finetune_learning_rate = finetune_learning_rate
        self.calibration_samples = calibration_samples
        self.seed = 0 if seed is None else seed
        self.verbose = verbose
        self.distribution_strategy = distribution_strategy
        self.strategy = distribution_strategy or tf.distribute.get_strategy()
        self.supernet: Supernet | None = None
        self._train_data: tuple | None = None  # (x, y) arrays or (dataset, None)
        self._validation_data: tuple | None = None
        self._callbacks: list = []
        # One search per folder: the lock is taken before overwrite=True clears the folder or a resume reads
        # it. In Keras Tuner's distributed mode the chief (which serves the oracle) holds it; workers share it.
        self.checkpoint_dir = os.path.join(folder, distribute.CHECKPOINT_FOLDER)
        if not distribute.is_chief(self.strategy):
            directory = tempfile.mkdtemp(prefix="tinynas_worker_")
            folder = os.path.join(directory, project_name)
        self.folder_lock = None if self._is_worker() else lock_search_folder(folder)
        if overwrite and self.folder_lock is not None:
            clear_search_folder(folder)
        super().__init__(oracle, hypermodel=None, directory=directory, project_name=project_name,
                         overwrite=False, **kwargs)

    def _log(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    # ---------------------------------------------------------------------------------------- search
    def search(self, x, y=None, validation_data=None, epochs: int | None = None, batch_size: int | None = None,
               validation_split: float | None = None, callbacks: list | None = None, **kwargs) -> None:
        """Train (or reload) the supernet, then run trials until `max_trials` (Keras Tuner's loop).

        `x`, `y`: arrays, or `x` a `tf.data.Dataset` of (images, labels) batches (streamed by supernet
        training and fine-tuning; `y` None). Trials are scored on `validation_data` ((x_val, y_val) or a
        dataset) or on the last `validation_split` of the arrays. `epochs` overrides `supernet_epochs`,
        `batch_size` the batch size of arrays. `callbacks` (Keras callbacks: EarlyStopping, TensorBoard,
        ModelCheckpoint, ...) go to the supernet training (`Supernet.train`) and to each fine-tuning.
        """
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        x, y, validation_data = _split_validation(x, y, validation_data, validation_split)
        if epochs is not None:
            self.supernet_epochs = int(epochs)
        if batch_size is not None:
            self.batch_size = int(batch_size)
        self._callbacks = keras3.tf_keras_callbacks(callbacks)
        train = _as_data(x, y, "x")
        validation = _as_data(*((validation_data, None) if isinstance(validation_data, tf.data.Dataset)
                                else validation_data), "validation_data")
        self._complete_space(train, validation)
        resolution = self.space.resolution
        self._train_data = (complete_space.resize_images(train[0], resolution), train[1])
        self._validation_data = (complete_space.resize_images(validation[0], resolution), validation[1])
        super().search(*self._train_data, validation_data=self._validation_data)

    def _complete_space(self, train, validation) -> None:
        """Fill the open axes of the space from the data and stage 1 (`mcunet_tf.complete_space`)."""
        shape = complete_space.data_shape(train, validation)
        with _file_lock(os.path.join(self.project_dir, complete_space.SPACE_FILE + ".lock")):
            space = complete_space.complete_space(
                self.open_space, self.budget, shape, self.project_dir, self.stage1["samples"],
                self.stage1["widths"], self.stage1["resolutions"], self.stage1["min_fit_fraction"], self.seed,
                self.cost_fn, self._log)
        if space != self.space:
            getattr(self.oracle, "_oracle", self.oracle).set_space(space)  # a worker checks its local copy
            self.space = space

    def save(self) -> None:
        """The oracle's and this tuner's state, each file written atomically (see `TinyNASOracle.save`)."""
        if not self._is_worker():
            self.oracle.save()
        atomic_write(self._get_tuner_fname(), json.dumps(self.get_state()))

    def reload(self) -> None:
        """Keras Tuner's reload (the oracle's files, then this tuner's), each file checked first."""
        read_json_state(self._get_tuner_fname(), self.project_dir,
                        f"TinyNAS keeps no state in it: replace its content with {{}} to resume, or {START_OVER}")
        super().reload()

    def on_search_begin(self) -> None:
        super().on_search_begin()
        self._log(f"TinyNAS: {self.oracle.max_trials} trials, budget {describe_budget(self.budget)}, "
                  f"{self.remaining_trials if not self._is_worker() else '?'} to go, project {self.project_dir}")
        self.load_supernet(train=True)

    def load_supernet(self, train: bool = False) -> Supernet:
        """The project's supernet: loaded from `supernet.npz`, or (with `train` and data from `search`)
        trained and saved. Concurrent workers serialise on a lock file; one trains, the others load."""
        if self.supernet is not None:
            return self.supernet
        path = os.path.join(self.project_dir, SUPERNET_FILE)
        with _file_lock(path + ".lock"):
            if os.path.exists(path):
                with reading_state(path, self.project_dir, f"its trials were scored with it: {START_OVER}"):
                    net = Supernet.load(path, self.strategy)
                if net.space != self.space:
                    raise ValueError(f"{path} was trained on a different search space")
                self._log(f"TinyNAS: reusing the supernet in {path} ({net.epochs_trained} epochs)")
            elif train and self._train_data is not None:
                x, y = self._train_data
                net = Supernet(self.space, seed=self.seed, strategy=self.strategy)
                start = time.time()
                self._log(f"TinyNAS: training the supernet ({len(net.slots)} block slots, "
                          f"{net.parameter_bytes:,} B of gradients all-reduced per step over "
                          f"{self.strategy.num_replicas_in_sync} replicas) for "
                          f"{self.supernet_epochs} epochs on " + (f"{len(x)} images" if y is not None else
                                                                  f"{steps_of(x, self.batch_size)} batches"))
                net.train(x, y, epochs=self.supernet_epochs, batch_size=self.batch_size,
                          learning_rate=self.learning_rate, seed=self.seed, verbose=self.verbose,
                          log=self._log, validation_data=self._validation_data if self._callbacks else None,
                          callbacks=self._callbacks, checkpoint_dir=self.checkpoint_dir)
                net.save(path)
                self._log(f"TinyNAS: supernet trained in {time.time() - start:.1f} s, saved to {path}")
            else:
                raise RuntimeError(f"no trained supernet in {self.project_dir}: run search() first")
        self.supernet = net
        return net

    def _calibration_images(self, execution: int = 0) -> np.ndarray:
        """The training images BatchNorm is calibrated on; another set for each execution of a trial."""
        return _images(self._train_data, self.calibration_samples, self.seed + execution, execution)

    def config(self, trial_or_hp) -> SubnetConfig:
        """The `SubnetConfig` of a trial (or of `HyperParameters`)."""
        hp = getattr(trial_or_hp, "hyperparameters", trial_or_hp)
        return config_from_values(self.space, hp)

    def run_trial(self, trial, x, y, validation_data=None, **kwargs) -> dict[str, float]:
        """Extract the trial's subnet with inherited weights, re-calibrate BN, score it; no training."""
        start = time.time()
        cfg = self.config(trial)
        keras.backend.clear_session()
        runs = []
        for execution in reversed(range(self.executions_per_trial)):  # the seed's own calibration is kept
            with self.strategy.scope():
                model = self.load_supernet().extract_subnet(cfg, self._calibration_images(execution),
                                                            name=f"trial_{trial.trial_id}")
            runs.append(evaluate(model, *validation_data))
        metrics = {k: float(np.mean([run[k] for run in runs])) for k in runs[0]}
        self._save_bn_statistics(trial.trial_id, model)
        cost = self.cost_fn(cfg)
        metrics.update(macs=float(cost.macs), params=float(cost.params), sram_kb=cost.sram_bytes / 1024,
                       flash_kb=cost.flash_bytes / 1024)
        self._log(f"trial {trial.trial_id}: MACs {cost.macs / 1e6:.2f}M | SRAM {metrics['sram_kb']:.1f} kB | "
                  f"Flash {metrics['flash_kb']:.1f} kB | val_accuracy {metrics['val_accuracy']:.4f} | "
                  f"{time.time() - start:.1f} s")
        return metrics

    # ---------------------------------------------------------------------------------------- models
    def _save_bn_statistics(self, trial_id: str, model: keras.Model) -> None:
        arrays = {}
        for name, (mean, var) in bn_statistics_of(model).items():
            arrays[f"{name}/mean"], arrays[f"{name}/variance"] = mean, var
        _savez_atomic(os.path.join(self.get_trial_dir(trial_id), BN_FILE), arrays)

    def _load_bn_statistics(self, trial_id: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
        path = os.path.join(self.get_trial_dir(trial_id), BN_FILE)
        if not os.path.exists(path):
            return None
        with reading_state(path, self.project_dir, "delete it to calibrate the trial's BatchNorm again"), \
                np.load(path) as data:
            names = {k.rsplit("/", 1)[0] for k in data.files}
            return {n: (data[f"{n}/mean"], data[f"{n}/variance"]) for n in names}

    def save_model(self, trial_id: str, model: keras.Model, step: int = 0) -> None:
        """All weights of `model` (a fine-tuned subnet) in the trial directory."""
        _savez_atomic(os.path.join(self.get_trial_dir(trial_id), FINETUNED_FILE),
                      {f"w{i}": w for i, w in enumerate(model.get_weights())})

    def load_model(self, trial) -> keras.Model:
        """The trial's subnet as a tf_keras model: fine-tuned weights when they exist (or can be made, with
        `finetune_epochs` > 0 and training data from `search`), otherwise the inherited ones."""
        cfg = self.config(trial)
        name = f"tinynas_trial_{trial.trial_id}"
        finetuned = os.path.join(self.get_trial_dir(trial.trial_id), FINETUNED_FILE)
        if self.finetune_epochs > 0 and os.path.exists(finetuned):
            with self.strategy.scope():
                model = zoo.build_keras_model(cfg, name=name)
            with reading_state(finetuned, self.project_dir, "delete it to fine-tune the trial again"), \
                    np.load(finetuned) as data:
                model.set_weights([data[f"w{i}"] for i in range(len(data.files))])
            return model
        with self.strategy.scope():
            model = self.load_supernet().extract_subnet(cfg, name=name)
        stats = self._load_bn_statistics(trial.trial_id)
        if stats is not None:
            set_bn_statistics(model, stats)
        elif self._train_data is not None:
            zoo.calibrate_batchnorm(model, self._calibration_images())
        else:
            raise RuntimeError(f"trial {trial.trial_id} has no BatchNorm statistics and there is no training data "
                               "to calibrate them: call search() first")
        if self.finetune_epochs > 0:
            if self._train_data is None:
                warnings.warn("get_best_models: no training data in this session, returning inherited weights "
                              "without fine-tuning (call search(...) first, or fine_tune(model, x, y))")
            else:
                self.fine_tune(model, *self._train_data, validation_data=self._validation_data,
                               trial_id=trial.trial_id)
                self.save_model(trial.trial_id, model)
        return model

    def fine_tune(self, model: keras.Model, x, y, validation_data=None, epochs: int | None = None,
                  trial_id: str | None = None) -> keras.Model:
        """Train all weights for `epochs` (default `finetune_epochs`) with Adam (cosine decay from
        `finetune_learning_rate`), then re-calibrate BatchNorm on training images. Returns `model`."""
        epochs = self.finetune_epochs if epochs is None else epochs
        before = evaluate(model, *validation_data)["val_accuracy"] if validation_data is not None else None
        steps = epochs * steps_of(x, self.batch_size)
        with self.strategy.scope():  # the model was built in it (`load_model`); its optimizer must be too
            model.compile(optimizer=keras.optimizers.Adam(
                keras.optimizers.schedules.CosineDecay(self.finetune_learning_rate, max(1, steps))),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        # the same seed, the same shuffles: a search re-run with its seed fine-tunes to the same numbers
        keras.utils.set_random_seed(zlib.crc32(f"{self.seed}/{trial_id}/{model.name}".encode()))
        fit_data = {"x": x} if isinstance(x, tf.data.Dataset) else {"x": x, "y": y, "batch_size": self.batch_size}
        fit_validation = validation_data[0] if validation_data is not None and validation_data[1] is None \
            else validation_data
        model.fit(**fit_data, epochs=epochs, verbose=fit_verbose(self.verbose), shuffle=True,
                  callbacks=self._callbacks, validation_data=fit_validation if self._callbacks else None)
        calibration = (self._calibration_images() if self._train_data is not None
                       else _images((x, y), self.calibration_samples, self.seed))
        zoo.calibrate_batchnorm(model, calibration)
        if validation_data is not None:
            after = evaluate(model, *validation_data)["val_accuracy"]
            self._log(f"fine-tuned {'trial ' + str(trial_id) if trial_id is not None else model.name} for {epochs} "
                      f"epochs: val_accuracy {before:.4f} -> {after:.4f}")
        return model

    # ---------------------------------------------------------------------------------------- results
    def best_after_fine_tuning(self, num_models: int, x_val, y_val) -> tuple[list, list, list[float], int | None]:
        """The `num_models` best trials by the search objective (inherited weights), their fine-tuned models
        (`get_best_models`), those models' validation accuracies, and the index of the most accurate (the
        first on a tie; None without trials): fine-tuning can reorder the closest candidates."""
        trials = self.oracle.get_best_trials(max(num_models, 1))
        models = self.get_best_models(len(trials))
        accuracies = [evaluate(m, x_val, y_val)["val_accuracy"] for m in models]
        best = max(range(len(models)), key=lambda k: (accuracies[k], -k)) if models else None
        return trials, models, accuracies, best

    def get_best_configs(self, num_configs: int = 1) -> list[SubnetConfig]:
        """The best subnets' configs (from `get_best_hyperparameters`)."""
        return [self.config(hp) for hp in self.get_best_hyperparameters(num_configs)]

    def best_table(self, num_trials: int = 5) -> str:
        """A text table of the best trials: val accuracy, MACs, SRAM kB, Flash kB, depth."""
        rows = [f"{'rank':>4} {'trial':>6} {'val_acc':>8} {'MACs':>9} {'SRAM kB':>8} {'Flash kB':>9} {'blocks':>6}"]
        for rank, trial in enumerate(self.oracle.get_best_trials(num_trials), 1):
            m = trial.metrics
            if not m.exists("val_accuracy"):
                continue
            cfg = self.config(trial)
            rows.append(f"{rank:>4} {trial.trial_id:>6} {m.get_last_value('val_accuracy'):>8.4f} "
                        f"{m.get_last_value('macs') / 1e6:>8.2f}M {m.get_last_value('sram_kb'):>8.1f} "
                        f"{m.get_last_value('flash_kb'):>9.1f} {len(cfg.blocks):>6}")
        return "\n".join(rows)

    def results_summary(self, num_trials: int = 10) -> None:
        """Keras Tuner's summary (hyperparameters and score of the best trials), then the cost table."""
        super().results_summary(num_trials)
        print()
        print(self.best_table(num_trials))
