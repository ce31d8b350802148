"""scripts/plan.py end to end: report, planned model, plot; bad input is one line and no files."""
import json
import os
import subprocess
import sys

import pytest

from conftest import MLPERF, ROOT
from tflite_patch import load_tflite


def run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plan.py"), *args],
                          capture_output=True, text=True, timeout=300)


def test_report_planned_model_and_plot(tmp_path):
    model = next(p for p in MLPERF if "kws" in p)
    out, report, plot = tmp_path / "m.planned.tflite", tmp_path / "r.json", tmp_path / "p.png"
    res = run(f"--tflite={model}", f"--out={out}", f"--report={report}", f"--plot={plot}")
    assert res.returncode == 0, res.stderr
    r = json.loads(report.read_text())
    for key in ("arena_bytes", "lower_bound_bytes", "tflm_arena_bytes", "tflm_planned_arena_bytes", "live_bytes"):
        assert key in r
    assert r["arena_bytes"] < r["tflm_head_bytes"] and r["tflm_planned_outputs_identical"] is True
    from micro_runtime.codegen import generate
    assert r["arena_bytes"] == generate(open(model, "rb").read(), "m").arena_bytes  # one planner for both
    assert len(r["live_bytes"]) == len(load_tflite(model).ops)
    assert "OfflineMemoryAllocation" in load_tflite(out.read_bytes()).metadata_dict()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "kws_ref_model" in res.stdout and "ours/lb" in res.stdout


@pytest.mark.parametrize("content, message", [
    (b"", "not a TFLite model"),
    (b"garbage" * 100, "not a TFLite model"),
    (None, "truncated"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.tflite"
    if content is None:
        data = open(MLPERF[0], "rb").read()
        content, message = data[: len(data) // 2], ""
    bad.write_bytes(content)
    res = run(f"--tflite={bad}", f"--report={tmp_path / 'r.json'}", f"--out={tmp_path / 'o.tflite'}")
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert "Traceback" not in res.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.tflite"]
