"""Generated code under AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind: no error, no
leak, and still TFLM's bytes, on every reference model."""
import glob
import os
import shutil
import subprocess

import pytest

from conftest import BUILT_MODELS, MLPERF, read
from micro_runtime.codegen import generate
from micro_runtime.target_host import build_run_model
from tflite_patch import load_tflite
from tflite_patch.tflm import random_inputs, run_tflm

pytestmark = pytest.mark.e2e

# Every reference model: the MLPerf Tiny models, the int8 models of all MCUNet configs, one float-I/O variant.
MODELS = MLPERF + sorted(glob.glob(os.path.join(BUILT_MODELS, "*.int8.tflite"))) + \
    sorted(glob.glob(os.path.join(BUILT_MODELS, "mcunet-10fps*.f32io.tflite")))
IDS = [os.path.basename(p).rsplit(".tflite", 1)[0] for p in MODELS]


def build(tmp_path, data, flags):
    gen = generate(data, "m")
    src = tmp_path / "src"
    gen.write(str(src))
    exe = tmp_path / "run"
    build_run_model(gen, str(src), str(exe), flags)
    return exe


def inputs_and_expected(data, count):
    graph = load_tflite(data)
    sets = random_inputs(graph, count, seed=7)
    expected = b"".join(b"".join(o.tobytes() for o in outs) for outs in run_tflm(data, sets, len(graph.outputs)))
    return b"".join(b"".join(a.tobytes() for a in s) for s in sets), expected


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_asan_ubsan_clean_and_bit_exact(tmp_path, path):
    data = read(path)
    exe = build(tmp_path, data, ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                 "-fno-omit-frame-pointer"])
    inputs, expected = inputs_and_expected(data, 3)
    (tmp_path / "in.bin").write_bytes(inputs)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    res = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                         text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "runtime error" not in res.stderr and "Sanitizer" not in res.stderr
    assert (tmp_path / "out.bin").read_bytes() == expected


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is installed by make test")
@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_valgrind_clean_and_bit_exact(tmp_path, path):
    data = read(path)
    exe = build(tmp_path, data, ["-O1", "-g"])
    inputs, expected = inputs_and_expected(data, 1)
    (tmp_path / "in.bin").write_bytes(inputs)
    res = subprocess.run(["valgrind", "--error-exitcode=9", "--leak-check=full", "--errors-for-leak-kinds=all",
                          str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ERROR SUMMARY: 0 errors" in res.stderr
    assert (tmp_path / "out.bin").read_bytes() == expected
