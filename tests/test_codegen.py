"""micro_runtime.codegen: whole models compiled with the host cc give TFLM's bytes on every input."""
import glob
import os
import subprocess
import sys

import pytest

from conftest import BUILT_MODELS, MLPERF, ROOT, read
from micro_runtime.codegen import generate
from micro_runtime.target_host import HostModel
from tflite_patch import load_tflite
from tflite_patch.tflm import random_inputs, run_tflm

BUILT = sorted(glob.glob(os.path.join(BUILT_MODELS, "*.tflite")))
# Every MLPerf model here (seconds); the built MCUNet models, minutes together, with the e2e tests.
MODELS = MLPERF + [pytest.param(p, marks=pytest.mark.e2e) for p in BUILT]


def check_bit_exact(data, count, seed=0):
    graph = load_tflite(data)
    host = HostModel(generate(data, "m"))
    sets = random_inputs(graph, count, seed=seed)
    for arrays, expected in zip(sets, run_tflm(data, sets, len(graph.outputs))):
        got = host.invoke(arrays)
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype and g.tobytes() == e.tobytes()
    return host


@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p).rsplit(".", 1)[0] for p in MLPERF + BUILT])
def test_whole_model_is_bit_exact_with_tflm_on_100_inputs(path):
    data = read(path)
    host = check_bit_exact(data, 100 if os.path.getsize(path) < 2_000_000 else 30)
    assert host.gen.arena_bytes > 0


@pytest.mark.e2e
def test_built_models_are_present():
    # make test builds them (scripts/build_models.py); without them the list above is MLPerf only.
    assert len(BUILT) >= 7, f"expected the MCUNet int8 models under {BUILT_MODELS}"


def test_generated_sources_compile_standalone_and_are_deterministic(tmp_path):
    data = read(next(p for p in MLPERF if "kws" in p))
    a, b = generate(data, "kws"), generate(data, "kws")
    assert a.files == b.files
    a.write(str(tmp_path / "out"))
    files = sorted(glob.glob(str(tmp_path / "out" / "*.c")))
    res = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-c", *files],
                         cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    header = (tmp_path / "out" / "kws.h").read_text()
    for macro in ("KWS_INPUT_BYTES 490", "KWS_OUTPUT_BYTES 12", f"KWS_ARENA_BYTES {a.arena_bytes}"):
        assert f"#define {macro}" in header
    assert "int kws_invoke(const void *input, void *output);" in header
    source = (tmp_path / "out" / "kws.c").read_text()
    assert "malloc" not in source and "static const int8_t" in source


def test_arena_is_the_planners_and_smaller_than_tflm_head():
    from tflite_patch.tflm import tflm_arena
    for path in MLPERF:
        data = read(path)
        gen = generate(data, "m")
        assert gen.arena_bytes == gen.plan.arena_bytes <= tflm_arena(data).head


def run_codegen(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "codegen.py"), *args],
                          capture_output=True, text=True, timeout=120)


def test_codegen_script_writes_a_directory(tmp_path):
    res = run_codegen(f"--tflite={MLPERF[0]}", f"--out_dir={tmp_path / 'gen'}", "--name=net")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "gen" / "net.h").exists() and (tmp_path / "gen" / "net.c").exists()


def test_unsupported_op_is_named_with_its_index_and_nothing_is_written(tmp_path):
    graph = load_tflite(read(next(p for p in MLPERF if "kws" in p)))
    graph.ops[4].kind, graph.ops[4].options_type, graph.ops[4].options = "GELU", None, {}
    from tflite_patch import save_tflite
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(save_tflite(graph))
    res = run_codegen(f"--tflite={bad}", f"--out_dir={tmp_path / 'gen'}")
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [f"error: {bad}: unsupported op GELU at index 4"]
    assert not (tmp_path / "gen").exists()


def test_generated_sources_are_identical_across_processes(tmp_path):
    """Byte-identical output run to run: nothing depends on hash seeds, dict order of sets or time."""
    path = next(p for p in MLPERF if "vww" in p)
    trees = []
    for seed in ("0", "12345"):
        out = tmp_path / f"gen{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "codegen.py"), f"--tflite={path}",
                        f"--out_dir={out}"], check=True, env=env, capture_output=True)
        trees.append({f: (out / f).read_bytes() for f in sorted(os.listdir(out))})
    assert trees[0] == trees[1]


@pytest.mark.parametrize("patch,input_outside", [(None, False), ("2:2", False), ("2:2", True)])
def test_zero_copy_api_gives_invokes_bytes(patch, input_outside, monkeypatch):
    """m_input/m_run/m_output (TFLM-style, no caller buffers) give TFLM's bytes; a patch-based schedule
    that reads its input in place from the caller's buffer has no m_input, and m_run refuses."""
    import ctypes

    import micro_runtime.codegen as codegen
    import micro_runtime.schedule as schedule
    if patch:  # pin where the patch stage's input lives (the schedule the patch choice plans is emitted)
        monkeypatch.setattr(schedule, "plan_prepared", lambda engine, spec=None, fuse="off": schedule.plan_schedule(
            engine, spec, input_outside and spec is not None, fuse))
    data = read(next(p for p in MLPERF if "vww" in p))
    graph = load_tflite(data)
    sets = random_inputs(graph, 2, seed=5)
    expected = run_tflm(data, sets, 1)
    host = HostModel(codegen.generate(data, "m", patch=patch))
    lib = host.lib
    lib.m_input.restype = lib.m_output.restype = ctypes.c_void_p
    lib.m_input.argtypes = lib.m_output.argtypes = [ctypes.c_int]
    assert lib.m_input(1) is None and lib.m_output(1) is None
    if input_outside:
        assert lib.m_input(0) is None and lib.m_run() == 1
        assert host.gen.outside_arena_input_bytes == 96 * 96 * 3
        return
    assert host.gen.outside_arena_input_bytes == 0
    for inputs, outs in zip(sets, expected):
        raw = inputs[0].tobytes()
        ctypes.memmove(lib.m_input(0), raw, len(raw))
        assert lib.m_run() == 0
        got = ctypes.string_at(lib.m_output(0), outs[0].nbytes)
        assert got == outs[0].tobytes()
