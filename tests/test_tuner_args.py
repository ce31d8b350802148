"""Keras Tuner's usual arguments on `TinyNAS`: callbacks, validation_split, executions_per_trial,
max_retries_per_trial, the objective checked when the tuner is built, and a streamed `tf.data.Dataset`."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from test_tinynas import make_tuner

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_objective_is_checked_when_the_tuner_is_built(tmp_path):
    with pytest.raises(ValueError, match=r"objective 'accuracy' is not a metric TinyNAS trials report"):
        make_tuner(tmp_path, 2, objective="accuracy")
    assert make_tuner(tmp_path / "ok", 2, objective="val_loss").oracle.objective.direction == "min"


def test_retries_and_executions_reach_the_search(tmp_path):
    tuner = make_tuner(tmp_path, 2, executions_per_trial=3, max_retries_per_trial=2,
                       max_consecutive_failed_trials=4)
    assert tuner.executions_per_trial == 3
    assert tuner.oracle.max_retries_per_trial == 2 and tuner.oracle.max_consecutive_failed_trials == 4
    with pytest.raises(ValueError, match="executions_per_trial must be >= 1"):
        make_tuner(tmp_path / "zero", 2, executions_per_trial=0)


def test_validation_split_takes_the_last_fraction():
    import tensorflow as tf
    from mcunet_tf.tuner import _split_validation
    x, y = np.arange(10, dtype=np.float32)[:, None], np.arange(10)
    xt, yt, (xv, yv) = _split_validation(x, y, None, 0.2)
    np.testing.assert_array_equal(xt[:, 0], np.arange(8))
    np.testing.assert_array_equal(yv, [8, 9])
    with pytest.raises(ValueError, match="not both"):
        _split_validation(x, y, (x, y), 0.2)
    with pytest.raises(ValueError, match="with a tf.data.Dataset pass validation_data"):
        _split_validation(tf.data.Dataset.from_tensor_slices((x, y)), None, None, 0.2)
    with pytest.raises(ValueError, match="needs validation_data"):
        _split_validation(x, y, None, None)


@pytest.mark.e2e
def test_search_streams_a_dataset_with_callbacks(tmp_path):
    import keras as keras3_api
    import tensorflow as tf
    import tf_keras as keras
    from mcunet_tf import data

    class EpochRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append(dict(logs))

    (x, y), (xv, yv) = data.digits(16, val_fraction=0.2, seed=0)
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    val = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(128)
    recorder = EpochRecorder()
    # no epoch lowers val_loss by 100: patience 1 stops every training after its 2nd epoch. A Keras 3
    # callback (what `import keras` users have) beside tf_keras ones.
    stop = keras3_api.callbacks.EarlyStopping(monitor="val_loss", min_delta=100.0, patience=1)
    board = keras.callbacks.TensorBoard(log_dir=str(tmp_path / "tb"))
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "checkpoint.keras"))
    tuner = make_tuner(tmp_path / "search", 2, supernet_epochs=5, finetune_epochs=4, executions_per_trial=2)
    tuner.search(train, validation_data=val, callbacks=[stop, board, checkpoint, recorder])
    assert tuner.supernet.epochs_trained == 2 and len(recorder.epochs) == 2
    assert set(recorder.epochs[0]) >= {"loss", "val_loss", "val_accuracy"}
    with np.load(tmp_path / "checkpoint.keras") as saved:  # the supernet's weights, from ModelCheckpoint
        assert json.loads(str(saved["__meta__"]))["epochs_trained"] == 2
    model = tuner.get_best_models(1)[0]
    assert len(recorder.epochs) == 4  # fine-tuning: 2 of its 4 epochs
    assert model.input_shape == (None, 16, 16, 3)
    events = [f for _, _, files in os.walk(tmp_path / "tb") for f in files if f.startswith("events.out")]
    assert events, "TensorBoard wrote no event file"


MEMORY_SCRIPT = """
import sys, tracemalloc
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
import tensorflow as tf
from test_tinynas import make_tuner
n = int(sys.argv[1])
def images(i):
    image = tf.random.stateless_uniform((16, 16, 3), seed=tf.stack([i, tf.constant(0, tf.int64)])) * 2 - 1
    return image, tf.cast(i % 10, tf.int32)
train = tf.data.Dataset.range(n).map(images).batch(500)
val = tf.data.Dataset.range(n, n + 500).map(images).batch(500)
tuner = make_tuner(sys.argv[2], 1, supernet_epochs=1, finetune_epochs=1, verbose=0, calibration_samples=200)
tracemalloc.start()
tuner.search(train, validation_data=val)
tuner.get_best_models(1)
print(tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.e2e
def test_search_memory_does_not_grow_with_the_dataset(tmp_path):
    script = MEMORY_SCRIPT.format(root=ROOT, tests=os.path.join(ROOT, "tests"))
    peaks = {}
    for n in (2_000, 20_000):
        res = subprocess.run([sys.executable, "-c", script, str(n), str(tmp_path / str(n))], capture_output=True,
                             text=True, timeout=1200)
        assert res.returncode == 0, res.stderr[-3000:]
        peaks[n] = int(res.stdout.split()[-1])
    # a copy of the 20,000 images alone would be 20,000 * 16 * 16 * 3 * 4 bytes = 61 MB, over twice the
    # whole search's peak on 2,000 (~25 MB)
    assert peaks[20_000] <= 1.5 * peaks[2_000], peaks
