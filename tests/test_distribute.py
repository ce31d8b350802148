"""mcunet_tf.distribute: global batches dealt to replicas, TFRecord folders; TinyNAS under
`tf.distribute` (MirroredStrategy over two logical CPUs, MultiWorkerMirroredStrategy over two worker
processes on localhost) equals the single-device search; supernet training killed with SIGKILL
mid-epoch resumes after its last completed epoch, on one worker and on two.

Run as a script, this file is one search process: `test_distribute.py ROLE DIR RECORD [KILL_AT_STEP]`,
ROLE `single`, `mirrored` or `worker` (MultiWorkerMirroredStrategy from TF_CONFIG); with KILL_AT_STEP it
SIGKILLs itself when supernet training reaches that sandwich step (counted from 1 over all epochs)."""
import json
import os
import re
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
IMAGES, BATCH, EPOCHS = 128, 32, 2   # 4 sandwich steps per epoch


def search_space():
    from mcunet_tf.space import SearchSpace, StageSpace
    return SearchSpace(stages=[StageSpace(8, 1, (1,), (3,), (1,)), StageSpace(16, 2, (1, 2))],
                       first_conv_base_width=8, kernel_choices=(3, 5), expand_choices=(3, 6), resolution=8,
                       num_classes=10)


def run_search(role: str, directory: str, record: str, kill_at_step: int | None) -> None:
    """One search process (see the module docstring): records the supernet's losses per epoch, the
    trials' subnets and scores, and the kept subnet."""
    import tensorflow as tf
    strategy = None
    if role == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif role == "worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    sys.path[:0] = [ROOT, HERE]
    from mcunet_tf import data
    from mcunet_tf.supernet import Supernet
    from mcunet_tf.tuner import TinyNAS
    from test_tinynas import cost_model, tiny_budget

    losses = []
    if kill_at_step:
        sandwich_step, steps = Supernet._sandwich_step, []

        def killing_step(self, *args):
            step = sandwich_step(self, *args)

            def counted(*step_args):
                steps.append(1)
                if len(steps) == kill_at_step:
                    os.kill(os.getpid(), signal.SIGKILL)
                return step(*step_args)
            return counted
        Supernet._sandwich_step = killing_step
    subnet_cost, budget_class = cost_model()
    space = search_space()
    tuner = TinyNAS(space, tiny_budget(space, subnet_cost, budget_class), max_trials=3, directory=directory,
                    project_name="search", supernet_epochs=EPOCHS, finetune_epochs=0, batch_size=BATCH,
                    calibration_samples=64, population_size=2, seed=5, cost_fn=subnet_cost,
                    distribution_strategy=strategy)
    tuner._log = lambda text: (losses.extend(re.findall(r"supernet epoch \d+: loss ([\d.]+)", text)),
                               print(text, flush=True))
    (x, y), (xv, yv) = data.digits(8, val_fraction=0.2, seed=0)
    tuner.search(x[:IMAGES], y[:IMAGES], validation_data=(xv, yv))
    trials = sorted(tuner.oracle.trials.values(), key=lambda t: int(t.trial_id))
    with open(record, "w") as f:
        json.dump({"losses": [float(v) for v in losses], "best": tuner.get_best_hyperparameters(1)[0].values,
                   "trials": [[t.hyperparameters.values, t.score] for t in trials]}, f)


def search_process(role, directory, record, kill_at_step=None, tf_config=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="")
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    args = [sys.executable, __file__, role, str(directory), str(record)]
    return subprocess.Popen(args + ([str(kill_at_step)] if kill_at_step else []), env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=900):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def two_workers(directory, records, kill_at_step=None):
    """Both workers of a MultiWorkerMirroredStrategy on localhost; their (returncode, stdout, stderr)."""
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    processes = [search_process("worker", directory, record, kill_at_step,
                                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}})
                 for i, record in enumerate(records)]
    return [finish(p) for p in processes]


@pytest.fixture(scope="module")
def single_device(tmp_path_factory):
    folder = tmp_path_factory.mktemp("single")
    code, out, err = finish(search_process("single", folder / "runs", folder / "record.json"))
    assert code == 0, err[-3000:]
    return dict(json.loads((folder / "record.json").read_text()), supernet=supernet_weights(folder / "runs"))


def supernet_weights(runs):
    with np.load(runs / "search" / "supernet.npz") as saved:
        return {k: saved[k] for k in saved.files if k.startswith("w:")}


def assert_same_search(got, expected, runs=None):
    """Float-order noise only: the same losses to 1e-3, the same trials and kept subnet, scores to 0.02,
    the supernet saved in `runs` within 1e-3 of the single-device one (measured: 2e-4 at most, after 8
    Adam steps of 3e-3; median over the variables 5e-8)."""
    np.testing.assert_allclose(got["losses"], expected["losses"], rtol=1e-3)
    if runs is not None:
        for name, w in supernet_weights(runs).items():
            np.testing.assert_allclose(w, expected["supernet"][name], atol=1e-3, err_msg=name)
    assert got["best"] == expected["best"]
    assert [t[0] for t in got["trials"]] == [t[0] for t in expected["trials"]]
    np.testing.assert_allclose([t[1] for t in got["trials"]], [t[1] for t in expected["trials"]], atol=0.02)


# ------------------------------------------------------------------------------------------ unit
def test_replica_pieces_cut_each_global_batch_in_replica_order():
    import tensorflow as tf
    from mcunet_tf.distribute import replica_pieces
    images = tf.data.Dataset.from_tensor_slices(np.arange(14, dtype=np.float32)[:, None]).batch(7)
    labels = tf.data.Dataset.from_tensor_slices(np.arange(14)).batch(7)
    data = tf.data.Dataset.zip((images, labels))
    # 4 replicas on 2 workers: worker 1 holds replicas 2 and 3, i.e. images [3, 5) and [5, 7) of each batch
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=4)
    pieces = [(x.numpy()[:, 0].tolist(), y.numpy().tolist(), int(n)) for x, y, n in replica_pieces(data, context)]
    assert pieces == [([3, 4], [3, 4], 7), ([5, 6], [5, 6], 7), ([10, 11], [10, 11], 7), ([12, 13], [12, 13], 7)]
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=0, num_replicas_in_sync=4)
    assert [x.numpy()[:, 0].tolist() for x, _, _ in replica_pieces(data, context)] == [[0], [1, 2], [7], [8, 9]]


def test_tfrecord_folder_round_trip(tmp_path):
    from mcunet_tf.distribute import tfrecord_dataset, write_tfrecords
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (25, 6, 5, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 25)
    paths = write_tfrecords(str(tmp_path / "data"), [(images[:10], labels[:10]), (images[10:], labels[10:])],
                            images_per_shard=10)
    assert [os.path.basename(p) for p in paths] == ["shard-00000.tfrecord", "shard-00001.tfrecord",
                                                    "shard-00002.tfrecord"]
    batches = list(tfrecord_dataset(str(tmp_path / "data"), batch_size=8, pixel_range=(0.0, 1.0)))
    assert [int(x.shape[0]) for x, _ in batches] == [8, 8, 8, 1]
    np.testing.assert_allclose(np.concatenate([x.numpy() for x, _ in batches]), images / 255.0, atol=1e-6)
    assert np.concatenate([y.numpy() for _, y in batches]).tolist() == labels.tolist()
    with pytest.raises(ValueError, match="uint8 images"):
        write_tfrecords(str(tmp_path / "bad"), [(images.astype(np.float32), labels)])
    with pytest.raises(ValueError, match="no \\*.tfrecord files"):
        tfrecord_dataset(str(tmp_path / "bad"), batch_size=8)


def test_training_resumes_from_its_checkpoint_and_refuses_another_length(tmp_path):
    """A checkpoint of epoch 1 of 1: the same training has nothing left to do and takes the checkpoint's
    weights; a 2-epoch training refuses it (its learning-rate schedule differs)."""
    import tf_keras as keras
    from mcunet_tf import data
    from mcunet_tf.distribute import EpochCheckpoints
    from mcunet_tf.supernet import Supernet
    (x, y), _ = data.digits(8, val_fraction=0.2, seed=0)
    saved = Supernet(search_space(), seed=1)
    EpochCheckpoints(str(tmp_path), saved.strategy, 1, supernet=saved, optimizer=keras.optimizers.Adam()).save(1)
    again = Supernet(search_space(), seed=0)
    assert again.train(x[:32], y[:32], epochs=1, batch_size=32, verbose=0, checkpoint_dir=str(tmp_path)) == []
    assert again.epochs_trained == 1
    for name, w in saved.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[name], w)
    with pytest.raises(ValueError, match="1-epoch supernet training, not 2 epochs"):
        Supernet(search_space(), seed=0).train(x[:32], y[:32], epochs=2, batch_size=32, verbose=0,
                                               checkpoint_dir=str(tmp_path))


# ------------------------------------------------------------------------------------------ e2e
def killed_and_resumed(runs, role_runs):
    """SIGKILL in epoch 2 (step 6 of 8), then the same command, which resumes after epoch 1; each
    process's epoch-1 loss (printed before it was killed)."""
    killed = role_runs(kill_at_step=6)
    for code, out, err in killed:
        assert code == -signal.SIGKILL, err[-3000:]
    checkpoints = runs / "search" / "supernet_checkpoints"
    assert sorted(p for p in os.listdir(checkpoints) if p.endswith(".index")) == ["ckpt-1.index"]
    assert not os.path.exists(runs / "search" / "supernet.npz")
    for code, out, err in role_runs(kill_at_step=None):
        assert code == 0, err[-3000:]
        assert f"resuming after epoch 1 of {EPOCHS}" in out and "supernet epoch 1:" not in out
    return [float(re.search(r"supernet epoch 1: loss ([\d.]+)", out).group(1)) for _, out, _ in killed]


@pytest.mark.e2e
def test_mirrored_strategy_killed_mid_epoch_resumes_and_equals_single_device(single_device, tmp_path):
    """MirroredStrategy over two logical CPU devices, one process: SIGKILLed in epoch 2, run again, it
    resumes after epoch 1 and ends with the single-device search (the resumed epoch draws the same
    batches and subnets as an uninterrupted one)."""
    runs, record = tmp_path / "runs", tmp_path / "record.json"
    (first_loss,) = killed_and_resumed(runs, lambda kill_at_step: [finish(search_process(
        "mirrored", runs, record, kill_at_step))])
    got = json.loads(record.read_text())
    assert_same_search(dict(got, losses=[first_loss] + got["losses"]), single_device, runs)


@pytest.mark.e2e
def test_multi_worker_strategy_killed_mid_epoch_resumes_and_equals_single_device(single_device, tmp_path):
    """MultiWorkerMirroredStrategy over two worker processes on localhost (TF_CONFIG): both SIGKILLed in
    epoch 2, started again, they resume after epoch 1 from the chief's checkpoint and both end with the
    single-device search."""
    runs, records = tmp_path / "runs", [tmp_path / "chief.json", tmp_path / "worker1.json"]
    first_losses = killed_and_resumed(runs, lambda kill_at_step: two_workers(runs, records, kill_at_step))
    for record, first_loss, folder in zip(records, first_losses, [runs, None]):  # the chief's folder
        got = json.loads(record.read_text())
        assert_same_search(dict(got, losses=[first_loss] + got["losses"]), single_device, folder)


if __name__ == "__main__":
    run_search(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)
