"""The checked build (-DMR_CHECKED, mr_common.h): kernels assert at run time that their writes stay in the
arena. Sound models run clean under ASan + UBSan with it and still give TFLM's bytes; an arena bound
narrower than the code's writes stops the run at the first kernel that leaves it."""
import os

import numpy as np
import pytest

from conftest import MLPERF, mlperf_ids, read
from micro_runtime.codegen import generate
from micro_runtime.target_host import build_run_model, run_model
from tflite_patch import load_tflite, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

pytestmark = pytest.mark.e2e
SMALL = [p for p in MLPERF if "kws" in p or "ad01" in p]


def packed(graph, sets):
    return b"".join(b"".join(a.tobytes() for a in s) for s in sets)


@pytest.mark.parametrize("path", SMALL, ids=[i for i in mlperf_ids() if "kws" in i or "ad01" in i])
def test_checked_sanitized_build_is_clean_and_bit_exact(tmp_path, path):
    data = read(path)
    gen = generate(data, "m")
    gen.write(str(tmp_path / "src"))
    build_run_model(gen, str(tmp_path / "src"), str(tmp_path / "run"))
    graph = load_tflite(data)
    sets = random_inputs(graph, 2, seed=3)
    expected = b"".join(b"".join(o.tobytes() for o in outs) for outs in run_tflm(data, sets, len(graph.outputs)))
    code, output, stderr = run_model(str(tmp_path / "run"), packed(graph, sets), str(tmp_path))
    assert code == 0, stderr[-2000:]
    assert output == expected


def test_a_write_past_the_checked_bound_stops_the_run(tmp_path):
    """The bound narrowed to half the arena (as if the plan had given less): the first kernel writing in the
    upper half stops the run, naming itself."""
    gen = generate(read(next(p for p in MLPERF if "kws" in p)), "m")
    src = tmp_path / "src"
    gen.write(str(src))
    text = (src / "m.c").read_text()
    bound = f"mr_checked_end = (uintptr_t)(A + {gen.arena_bytes});"
    assert bound in text
    (src / "m.c").write_text(text.replace(bound, f"mr_checked_end = (uintptr_t)(A + {gen.arena_bytes // 2});"))
    build_run_model(gen, str(src), str(tmp_path / "run"))
    code, _, stderr = run_model(str(tmp_path / "run"), bytes(sum(gen.input_bytes)), str(tmp_path))
    assert code != 0
    assert "MR_CHECK: mr_" in stderr and "outside the arena" in stderr, stderr[-2000:]


def test_a_strided_copy_past_the_checked_bound_stops_the_run(tmp_path):
    """mr_copy_strided checks the bytes its strides reach: a SLICE whose output may keep only its first byte
    stops at the copy's entry (the other kernels' checks never see this write)."""
    from shape_ops_check import act, const, single
    rng = np.random.default_rng(0)
    x = act([1, 6, 6, 4], rng)
    graph = single([x, const([0, 1, 2, 0], "b"), const([1, 4, 3, 4], "s"), act([1, 4, 3, 4], rng, "y", x.quant)],
                   "SLICE", [0, 1, 2], [3], {}, "SliceOptions")
    gen = generate(save_tflite(graph), "m")
    src = tmp_path / "src"
    gen.write(str(src))
    text = (src / "m.c").read_text()
    bound = f"mr_checked_end = (uintptr_t)(A + {gen.arena_bytes});"
    out = gen.plan.offsets[gen.graph.outputs[0]]
    (src / "m.c").write_text(text.replace(bound, f"mr_checked_end = (uintptr_t)(A + {out + 1});"))
    build_run_model(gen, str(src), str(tmp_path / "run"))
    code, _, stderr = run_model(str(tmp_path / "run"), bytes(sum(gen.input_bytes)), str(tmp_path))
    assert code != 0
    assert "MR_CHECK: mr_copy_strided writes 48 bytes" in stderr, stderr[-2000:]
