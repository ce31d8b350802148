"""A search killed with SIGKILL in the middle of a trial resumes from its directory: completed trials are
kept as they were, the interrupted one is run again, the supernet is not retrained.

Run as a script, this file is the search process: `test_kill_resume.py DIR RECORD MAX_TRIALS [KILL_AT]`
kills itself (SIGKILL, no clean-up) inside trial number KILL_AT, after its training and evaluation, before
the result reaches the oracle."""
import json
import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_search(directory: str, record: str, max_trials: int, kill_at: int | None) -> None:
    sys.path[:0] = [ROOT, HERE]
    from mcunet_tf import data
    from test_tinynas import make_tuner

    ran = []

    def recording_run_trial(self, trial, *args, **kwargs):
        ran.append(trial.trial_id)
        with open(record, "w") as f:
            json.dump({"ran": ran}, f)
        metrics = type(self).run_trial(self, trial, *args, **kwargs)
        if kill_at is not None and len(ran) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return metrics

    tuner = make_tuner(directory, max_trials, finetune_epochs=0)
    tuner.run_trial = recording_run_trial.__get__(tuner)
    (x, y), (xv, yv) = data.digits(16, val_fraction=0.2, seed=0)
    tuner.search(x, y, validation_data=(xv, yv))


def search_process(directory, record, max_trials, kill_at=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="")
    args = [sys.executable, __file__, str(directory), str(record), str(max_trials)]
    return subprocess.run(args + ([str(kill_at)] if kill_at else []), env=env, capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def trials_on_disk(directory):
    trials = {}
    for name in sorted(os.listdir(directory / "tiny")):
        if name.startswith("trial_"):
            with open(directory / "tiny" / name / "trial.json") as f:
                state = json.load(f)
            trials[state["trial_id"]] = state
    return trials


def test_sigkill_mid_trial_loses_no_completed_trial(tmp_path):
    directory = tmp_path / "search"
    killed = search_process(directory, tmp_path / "first.json", 4, kill_at=3)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    first_ran = json.loads((tmp_path / "first.json").read_text())["ran"]
    assert len(first_ran) == 3
    before = trials_on_disk(directory)
    completed_before = {tid: t for tid, t in before.items() if t["status"] == "COMPLETED"}
    assert set(completed_before) == set(first_ran[:2])
    assert before[first_ran[2]]["status"] == "RUNNING"  # the oracle never heard back from it
    assert (directory / "tiny" / ".search.lock").exists()  # the killed search's lock: the kernel dropped it
    supernet = directory / "tiny" / "supernet.npz"
    mtime = os.path.getmtime(supernet)

    resumed = search_process(directory, tmp_path / "second.json", 4)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "reusing the supernet" in resumed.stdout and "training the supernet" not in resumed.stdout
    assert os.path.getmtime(supernet) == mtime
    second_ran = json.loads((tmp_path / "second.json").read_text())["ran"]
    assert second_ran[0] == first_ran[2] and len(second_ran) == 2  # the killed trial again, then one new
    after = trials_on_disk(directory)
    assert len(after) == 4 and all(t["status"] == "COMPLETED" for t in after.values())
    for tid, t in completed_before.items():
        assert after[tid]["hyperparameters"]["values"] == t["hyperparameters"]["values"]
        assert after[tid]["score"] == t["score"]
    values = [json.dumps(t["hyperparameters"]["values"], sort_keys=True) for t in after.values()]
    assert len(set(values)) == 4


if __name__ == "__main__":
    run_search(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else None)
