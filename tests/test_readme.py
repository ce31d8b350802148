"""Every command in README.md works as written: the cheap ones run here verbatim (in a directory laid out
like the repository, with `model.tflite` and `model.keras` in it), the Python snippet runs with smaller
numbers, and the long ones are listed with the test or CI step that runs them. A README command that is
neither run nor listed fails the test."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import MLPERF, ROOT, SHARED_MODELS

pytestmark = pytest.mark.e2e

README = os.path.join(ROOT, "README.md")
KWS = next(p for p in MLPERF if "kws" in p)

# Commands whose full run is longer than a unit test: where they run instead.
RUN_ELSEWHERE = {
    "make demo": "tests/test_pipeline.py (make demo with a tiny budget)",
    "make test": ".ci/run",
    "bazel test //...": "make test",
    "scripts/mcunet.py --dataset=digits --device=stm32f412": "tests/test_pipeline.py (same driver, tiny budget)",
    "scripts/mcunet.py --dataset=digits --sram_kb=64": "tests/test_pipeline.py (make demo, whose defaults these are)",
    "scripts/baseline.py": "tests/test_baseline.py (a grid point trained; the script's flags and errors)",
    "scripts/fuzz.py": "tests/test_fuzz.py (same script, 6,000 executions, fixed seed)",
    "make fuzz-ir": "tests/test_fuzz_ir.py (same script, 60 cases, fixed seed)",
    "--strategy=mirrored --out_dir=runs": "tests/test_distribute.py (TinyNAS under MirroredStrategy, 2 CPUs)",
    "--strategy=multi_worker": "tests/test_distribute.py (MultiWorkerMirroredStrategy, 2 workers via TF_CONFIG)",
    "KERASTUNER_TUNER_ID=": "tests/test_distributed.py (chief + 2 workers) and tests/test_distribute.py (strategies)",
    "scripts/supernet_scale.py": "by hand (200,000 images: see 'How it scales'); its parts in tests/test_distribute.py",
}


def blocks(language):
    text = open(README).read()
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def shell_commands():
    commands = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line:
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def elsewhere(command):
    return next((where for key, where in RUN_ELSEWHERE.items() if key in command), None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """tmp/work looks like a checkout (symlinks to the repository's top level) next to tmp/shared, and
    holds model.tflite (the MLPerf KWS model) and model.keras (a small trained tf_keras model)."""
    base = tmp_path_factory.mktemp("readme")
    work = base / "work"
    work.mkdir()
    for name in os.listdir(ROOT):
        if name not in ("out", "gen", "model") and not name.startswith("bazel-"):
            os.symlink(os.path.join(ROOT, name), work / name)
    os.symlink(os.path.abspath(os.path.join(SHARED_MODELS, "..")), base / "shared")
    shutil.copy(KWS, work / "model.tflite")
    from mcunet_tf import data, zoo
    from mcunet_tf.space import BlockConfig, SubnetConfig
    model = zoo.build_keras_model(SubnetConfig(resolution=32, first_conv_channels=8, num_classes=10, blocks=[
        BlockConfig(3, 1, 8), BlockConfig(3, 3, 16, stride=2)]))
    (x, y), _ = data.digits(32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(work / "model.keras")
    return work


def test_every_readme_command_is_run_or_listed():
    commands = shell_commands()
    assert len(commands) >= 10
    for command in commands:
        assert elsewhere(command) or command.startswith((".venv/bin/python scripts/", ".venv/bin/python -m mcunet_tf ", "cc ")), command


@pytest.mark.parametrize("command", [c for c in shell_commands() if not elsewhere(c)])
def test_readme_command_runs(workdir, command):
    res = subprocess.run(command, shell=True, cwd=workdir, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert res.returncode == 0, f"{command}\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    if "scripts/bench.py" in command:
        assert "yes" in res.stdout  # bit-exact column
    if "scripts/plan.py" in command:
        assert (workdir / "model.planned.tflite").exists() and (workdir / "plan.png").exists()


def test_readme_keras_snippet_runs(workdir):
    (snippet,) = blocks("python")
    smaller = snippet.replace("max_trials=10", "max_trials=2").replace("epochs=6", "epochs=1") \
        .replace("qat_epochs=2", "qat_epochs=1").replace('directory="runs"', f'directory="{workdir}/runs"')
    assert smaller.count("=1") >= 2 and "max_trials=2" in smaller
    scope = {}
    exec(compile(smaller, "README.md", "exec"), scope)
    tflite = scope["tflite_bytes"]
    assert isinstance(tflite, bytes) and tflite[4:8] == b"TFL3"
