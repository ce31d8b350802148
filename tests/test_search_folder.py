"""A search folder (Keras Tuner's directory/project_name) is searched by one process at a time, its state
files are read back or named in a one-line error that says what to do, and what the project writes gets
the permissions of the user's umask. Real Keras Tuner throughout; the trials are scored without training
(the oracle driven the way a tuner drives it), so each test takes seconds."""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap

import pytest

from mcunet_tf.search_folder import (LOCK_FILE, CorruptSearchFolder, SearchFolderError, SearchFolderInUse,
                                     lock_search_folder)
from test_tinynas import cost_model, tiny_budget, tiny_space

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="")


def our_lines(stderr: str) -> list[str]:
    """stderr less TensorFlow's C++ start-up log (`I0000 00:00:...`), which TF_CPP_MIN_LOG_LEVEL leaves."""
    return [line for line in stderr.splitlines()
            if line.strip() and not re.match(r"[IWEF]\d{4} |WARNING: All log", line)]


def python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


# ------------------------------------------------------------------------------------------------ lock
def test_a_second_process_is_refused_and_told_who_holds_the_folder(tmp_path):
    folder = str(tmp_path / "runs" / "vww")
    lock = lock_search_folder(folder)
    assert lock_search_folder(folder) is lock  # tuners of one process share the lock
    refused = python(f"""
        from mcunet_tf.search_folder import SearchFolderInUse, lock_search_folder
        try:
            lock_search_folder({folder!r})
        except SearchFolderInUse as e:
            print(e)
        """)
    assert refused.returncode == 0, refused.stderr
    message = refused.stdout.strip()
    assert "\n" not in message
    assert message.startswith(f"search folder {folder} is in use by another search (pid {os.getpid()} on "
                              f"{socket.gethostname()}, started 20"), message
    assert "wait for it to end or stop it, or search in another directory or project_name" in message

    lock.release()
    taken = python(f"from mcunet_tf.search_folder import lock_search_folder; lock_search_folder({folder!r})")
    assert taken.returncode == 0, taken.stderr


def test_a_search_killed_with_sigkill_leaves_no_stale_lock(tmp_path):
    folder = str(tmp_path / "vww")
    killed = python(f"""
        import os, signal
        from mcunet_tf.search_folder import lock_search_folder
        lock = lock_search_folder({folder!r})
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    assert killed.returncode == -signal.SIGKILL
    assert os.path.exists(os.path.join(folder, LOCK_FILE))  # the file stays, the kernel dropped the lock
    lock_search_folder(folder).release()


def test_a_folder_that_cannot_hold_a_lock_file_is_one_line(tmp_path):
    (tmp_path / "runs").write_text("a file, not a directory")
    with pytest.raises(SearchFolderError, match=r"^search folder .*/runs/vww: cannot create its lock file "
                       r"\.search\.lock \(Not a directory\)$"):
        lock_search_folder(str(tmp_path / "runs" / "vww"))


@pytest.fixture(scope="module")
def budget():
    subnet_cost, budget_class = cost_model()
    return tiny_budget(tiny_space(), subnet_cost, budget_class), subnet_cost


def make_tuner(directory, budget, max_trials=4, **kwargs):
    from mcunet_tf.tuner import TinyNAS
    limits, subnet_cost = budget
    return TinyNAS(tiny_space(), limits, max_trials=max_trials, directory=str(directory), project_name="tiny",
                   population_size=2, seed=7, cost_fn=subnet_cost, verbose=0, **kwargs)


def hold_in_another_process(folder: str) -> subprocess.Popen:
    """A process that holds the lock of `folder` until it is killed."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from mcunet_tf.search_folder import lock_search_folder
        lock = lock_search_folder({folder!r})
        print("locked", flush=True)
        time.sleep(600)
        """)], env=ENV, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_in_distributed_mode_the_chief_holds_the_lock_and_workers_do_not_wait(tmp_path, budget, monkeypatch):
    holder = hold_in_another_process(str(tmp_path / "tiny"))
    try:
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "1")
        monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
        worker = make_tuner(tmp_path, budget)
        assert worker.folder_lock is None
        monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
        with pytest.raises(SearchFolderInUse, match=f"pid {holder.pid} "):
            make_tuner(tmp_path, budget)
    finally:
        holder.kill()
        holder.wait()


def test_the_search_cli_refuses_a_folder_in_use_and_overwrites_nothing(tmp_path):
    project = tmp_path / "search" / "digits_r16_w0.35"
    project.mkdir(parents=True)
    (project / "trial_0").mkdir()
    (project / "trial_0" / "trial.json").write_text("{}")  # a trial of the search that holds the folder
    holder = hold_in_another_process(str(project))
    try:
        result = subprocess.run(
            [sys.executable, "scripts/search.py", "--resolution=16", "--width_multiplier=0.35", "--sram_kb=64",
             "--flash_kb=256", "--trials=2", f"--out_dir={tmp_path / 'search'}", "--overwrite"],
            env=ENV, capture_output=True, text=True, timeout=300, cwd=ROOT)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1, result.stderr[-2000:]
    lines = our_lines(result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert lines[0].startswith(f"error: search folder {project} is in use by another search (pid {holder.pid} on ")
    assert sorted(os.listdir(project)) == [LOCK_FILE, "trial_0"]


def test_the_pipeline_cli_refuses_a_folder_in_use(tmp_path):
    project = tmp_path / "run" / "search" / "tinynas"
    holder = hold_in_another_process(str(project))
    try:
        result = subprocess.run(
            [sys.executable, "scripts/mcunet.py", "--sram_kb=64", "--flash_kb=256", "--widths=0.35",
             "--resolutions=16", "--stage1_samples=5", "--trials=2", f"--out_dir={tmp_path / 'run'}"],
            env=ENV, capture_output=True, text=True, timeout=300, cwd=ROOT)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = our_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(
        f"error: search folder {project} is in use by another search (pid {holder.pid} on "), result.stderr[-2000:]


# --------------------------------------------------------------------------------------- state files
def score_trials(tuner, n: int) -> None:
    """Run `n` trials through the tuner's oracle the way `search` does, scored without training."""
    from keras_tuner.engine.trial import TrialStatus
    for _ in range(n):
        trial = tuner.oracle.create_trial(tuner.tuner_id)
        if trial.status == TrialStatus.STOPPED:
            return
        tuner.oracle.update_trial(trial.trial_id, {"val_accuracy": len(tuner.config(trial).blocks) / 10})
        trial.status = TrialStatus.COMPLETED
        tuner.on_trial_end(trial)  # end_trial + save, as BaseTuner.search does


@pytest.fixture(scope="module")
def searched(tmp_path_factory, budget):
    """A project folder with 4 completed trials (trial_0 .. trial_3), its lock released."""
    directory = tmp_path_factory.mktemp("searched")
    tuner = make_tuner(directory, budget)
    score_trials(tuner, 4)
    tuner.folder_lock.release()
    return directory


@pytest.fixture
def copy(searched, tmp_path):
    shutil.copytree(searched, tmp_path / "copy")
    return tmp_path / "copy"


START_OVER = "start over (overwrite=True, or delete the search folder)"
TRIAL_REMEDY = f"delete trial_2/ to run a new trial in its place, or {START_OVER}"
ORACLE_REMEDY = f"restore it from a copy, or {START_OVER}"


def truncated(text: str) -> str:
    return text[:len(text) // 2]


@pytest.mark.parametrize("file, corrupt, problem, remedy", [
    ("trial_2/trial.json", truncated, "is corrupt (truncated JSON)", TRIAL_REMEDY),
    ("trial_2/trial.json", lambda text: "", "is corrupt (empty)", TRIAL_REMEDY),
    ("trial_2/trial.json", lambda text: "{}", "is corrupt (no 'trial_id' entry)", TRIAL_REMEDY),
    ("trial_2/trial.json", lambda text: text.replace('"trial_id": "2"', '"trial_id": "3"'),
     "is corrupt (it is the state of trial 3)", TRIAL_REMEDY),
    ("trial_2/trial.json", lambda text: "[1, 2]", "is corrupt (not a JSON object)", TRIAL_REMEDY),
    ("trial_2/trial.json", lambda text: text.replace(": ", ": x", 1), "is corrupt (not JSON: Expecting value, "
     "line 1 column 14)", TRIAL_REMEDY),
    ("oracle.json", truncated, "is corrupt (truncated JSON)", ORACLE_REMEDY),
    ("oracle.json", lambda text: text.replace('"end_order"', '"end_orders"'), "is corrupt (no 'end_order' entry)",
     ORACLE_REMEDY),
    ("oracle.json", None, "is missing", ORACLE_REMEDY),
    ("tuner0.json", lambda text: "", "is corrupt (empty)",
     f"TinyNAS keeps no state in it: replace its content with {{}} to resume, or {START_OVER}"),
])
def test_a_corrupt_state_file_is_one_line_naming_it_and_what_to_do(copy, budget, file, corrupt, problem, remedy):
    path = copy / "tiny" / file
    if corrupt is None:
        path.unlink()
    else:
        path.write_text(corrupt(path.read_text()))
    with pytest.raises(CorruptSearchFolder) as error:
        make_tuner(copy, budget)
    assert str(error.value) == f"search folder {copy / 'tiny'}: {file} {problem}; {remedy}"
    assert isinstance(error.value, ValueError)


def test_what_the_message_says_to_do_resumes_the_search(copy, budget, capsys):
    """Deleting the corrupt trial's folder runs a new trial in its place (a middle one: Keras Tuner would
    otherwise number the next trial like the last one and overwrite it); `{}` in the tuner file resumes."""
    from keras_tuner.engine.trial import TrialStatus
    project = copy / "tiny"
    before = {t: json.loads((project / f"trial_{t}" / "trial.json").read_text()) for t in "0123"}
    shutil.rmtree(project / "trial_1")
    (project / "tuner0.json").write_text("{}")
    tuner = make_tuner(copy, budget)
    assert "trial(s) 1 have no trial.json" in capsys.readouterr().out
    assert tuner.remaining_trials == 0 and tuner.oracle.trials["1"].status == TrialStatus.RUNNING
    score_trials(tuner, 2)
    trials = tuner.oracle.trials
    assert sorted(trials) == ["0", "1", "2", "3"] and all(t.status == TrialStatus.COMPLETED for t in trials.values())
    for t in "023":  # untouched
        assert json.loads((project / f"trial_{t}" / "trial.json").read_text()) == before[t]
    values = {json.dumps(t.hyperparameters.values, sort_keys=True) for t in trials.values()}
    assert len(values) == 4
    assert tuner.oracle.create_trial(tuner.tuner_id).status == TrialStatus.STOPPED


def test_deleting_the_last_trial_runs_it_again_under_its_own_number(copy, budget):
    from keras_tuner.engine.trial import TrialStatus
    shutil.rmtree(copy / "tiny" / "trial_3")
    tuner = make_tuner(copy, budget)
    assert sorted(tuner.oracle.trials) == ["0", "1", "2"] and tuner.remaining_trials == 1
    score_trials(tuner, 2)
    assert sorted(tuner.oracle.trials) == ["0", "1", "2", "3"]
    assert all(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values())


def test_a_corrupt_supernet_is_named(copy, budget):
    (copy / "tiny" / "supernet.npz").write_bytes(b"PK\x03\x04 truncated")
    tuner = make_tuner(copy, budget)
    with pytest.raises(CorruptSearchFolder, match=r"^search folder .*/tiny: supernet.npz is corrupt \(not a "
                       r"complete .npz archive\); its trials were scored with it: start over"):
        tuner.load_supernet()


def test_the_search_cli_names_a_corrupt_trial_file(tmp_path):
    project = tmp_path / "search" / "digits_r16_w0.35"
    (project / "trial_0").mkdir(parents=True)
    (project / "tuner0.json").write_text("{}")
    (project / "trial_0" / "trial.json").write_text('{"trial_id": "0", "hyperparameters": {"spa')
    result = subprocess.run(
        [sys.executable, "scripts/search.py", "--resolution=16", "--width_multiplier=0.35", "--sram_kb=64",
         "--flash_kb=256", "--trials=2", f"--out_dir={tmp_path / 'search'}"],
        env=ENV, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert our_lines(result.stderr) == [
        f"error: search folder {project}: trial_0/trial.json is corrupt (truncated JSON); delete trial_0/ to run "
        "a new trial in its place, or start over (overwrite=True, or delete the search folder)"]


# --------------------------------------------------------------------------------------- permissions
@pytest.fixture(params=[0o022, 0o077])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_writes_get_the_permissions_of_open_and_mkdir(tmp_path, umask):
    from tflite_patch.files import atomic_write, temporary_dir
    with open(tmp_path / "plain.txt", "w"):
        pass
    os.mkdir(tmp_path / "plain")
    assert (mode(tmp_path / "plain.txt"), mode(tmp_path / "plain")) == (0o666 & ~umask, 0o777 & ~umask)

    atomic_write(str(tmp_path / "new" / "report.json"), "{}")
    assert mode(tmp_path / "new" / "report.json") == mode(tmp_path / "plain.txt")
    assert mode(tmp_path / "new") == mode(tmp_path / "plain")
    os.chmod(tmp_path / "new" / "report.json", 0o640)  # an existing file keeps its mode, as with open()
    atomic_write(str(tmp_path / "new" / "report.json"), "{}")
    assert mode(tmp_path / "new" / "report.json") == 0o640

    tmp = temporary_dir(str(tmp_path / "out"), "codegen")
    assert os.listdir(tmp) == [] and os.path.basename(tmp).startswith(".tmp-")
    assert mode(tmp) == mode(tmp_path / "out") == mode(tmp_path / "plain")
    os.rmdir(tmp)
    assert sorted(os.listdir(tmp_path)) == ["new", "out", "plain", "plain.txt"]
    assert os.listdir(tmp_path / "new") == ["report.json"]  # no temporaries left


def test_a_search_folder_gets_the_permissions_of_the_umask(tmp_path, umask, budget):
    tuner = make_tuner(tmp_path, budget)
    score_trials(tuner, 1)
    project = tmp_path / "tiny"
    for path in (project / "oracle.json", project / "tuner0.json", project / "trial_0" / "trial.json",
                 project / LOCK_FILE):
        assert mode(path) == 0o666 & ~umask, path
    assert mode(project) == mode(project / "trial_0") == 0o777 & ~umask
