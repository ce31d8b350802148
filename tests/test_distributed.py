"""Keras Tuner's distributed mode, unchanged: a chief serving the TinyNAS oracle over gRPC and two
workers running trials, as three processes on loopback sharing one project directory.

Run as a script, this file is one of those processes (role from KERASTUNER_TUNER_ID)."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.e2e

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MAX_TRIALS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_process(directory: str, record: str) -> None:
    """One process of the search: the chief (serves the oracle until all trials are done) or a worker
    (runs trials; records which ones in `record`)."""
    sys.path[:0] = [ROOT, HERE]
    from mcunet_tf import data
    from mcunet_tf.tuner import TinyNAS
    from test_tinynas import cost_model, tiny_budget, tiny_space

    class RecordingTinyNAS(TinyNAS):
        ran: list = []

        def run_trial(self, trial, *args, **kwargs):
            self.ran.append(trial.trial_id)
            return super().run_trial(trial, *args, **kwargs)

    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    tuner = RecordingTinyNAS(space, tiny_budget(space, subnet_cost, budget_class), max_trials=MAX_TRIALS,
                             directory=directory, project_name="dist", supernet_epochs=1, finetune_epochs=0,
                             population_size=3, seed=3, cost_fn=subnet_cost)
    (x, y), (xv, yv) = data.digits(16, val_fraction=0.2, seed=0)
    tuner.search(x, y, validation_data=(xv, yv))
    with open(record, "w") as f:
        json.dump({"tuner_id": tuner.tuner_id, "ran": tuner.ran, "holds_lock": tuner.folder_lock is not None}, f)


def test_chief_and_two_workers_share_all_trials(tmp_path):
    from keras_tuner.engine.trial import Trial, TrialStatus
    directory = str(tmp_path / "runs")
    port = free_port()
    processes = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = dict(os.environ, KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
                   KERASTUNER_ORACLE_PORT=str(port), TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT,
                   CUDA_VISIBLE_DEVICES="")
        log = open(tmp_path / f"{tuner_id}.log", "w")
        processes[tuner_id] = (subprocess.Popen(
            [sys.executable, __file__, directory, str(tmp_path / f"{tuner_id}.json")],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT), log)
        if tuner_id == "chief":
            time.sleep(1.0)  # let the chief write the oracle's files first

    deadline = time.time() + 240
    try:
        for tuner_id, (process, log) in processes.items():
            process.wait(timeout=max(1.0, deadline - time.time()))
    finally:
        for tuner_id, (process, log) in processes.items():
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    logs = {t: (tmp_path / f"{t}.log").read_text() for t in processes}
    for tuner_id, (process, _) in processes.items():
        assert process.returncode == 0, f"{tuner_id} exited with {process.returncode}:\n{logs[tuner_id][-3000:]}"

    records = {}
    for tuner_id in processes:
        with open(tmp_path / f"{tuner_id}.json") as f:
            records[tuner_id] = json.load(f)
    # The chief holds the search folder's lock; the workers share the folder without it.
    assert {t: r["holds_lock"] for t, r in records.items()} == {"chief": True, "tuner0": False, "tuner1": False}
    ran = {tuner_id: records[tuner_id]["ran"] for tuner_id in ("tuner0", "tuner1")}
    all_ran = ran["tuner0"] + ran["tuner1"]
    # Every trial ran exactly once, on one worker; both workers took part.
    assert len(all_ran) == len(set(all_ran)) == MAX_TRIALS, ran
    assert ran["tuner0"] and ran["tuner1"], ran
    # The chief's records: all trials completed, distinct subnets, none lost.
    project = os.path.join(directory, "dist")
    trials = [Trial.load(os.path.join(project, d, "trial.json")) for d in sorted(os.listdir(project))
              if d.startswith("trial_")]
    assert sorted(t.trial_id for t in trials) == sorted(all_ran)
    assert all(t.status == TrialStatus.COMPLETED and t.score is not None for t in trials)
    assert len({json.dumps(t.hyperparameters.values, sort_keys=True) for t in trials}) == MAX_TRIALS
    # One worker trained the supernet, the other reused it.
    worker_logs = logs["tuner0"] + logs["tuner1"]
    assert worker_logs.count("training the supernet") == 1 and worker_logs.count("reusing the supernet") == 1
    with open(os.path.join(project, "oracle.json")) as f:
        assert len(json.load(f)["end_order"]) == MAX_TRIALS


if __name__ == "__main__":
    run_process(sys.argv[1], sys.argv[2])
