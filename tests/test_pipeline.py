"""The whole pipeline on a tiny budget, through `make demo` as the README gives it (with a smaller
budget, search and model set): planner report, then stage 1 -> TinyNAS -> QAT -> int8 .tflite -> C ->
compiled and run on the host and on Cortex-M4 (QEMU) -> the same bytes as TFLM, within the budget."""
import json
import os
import subprocess

import pytest

from conftest import MLPERF, ROOT

pytestmark = pytest.mark.e2e

TINY = ("--device=stm32f412 --sram_kb=32 --flash_kb=200 --widths=0.25 --resolutions=16 --stage1_samples=40 --trials=3 "
        "--supernet_epochs=1 --finetune_epochs=1 --qat_epochs=1 --bench_inputs=10 --cm_inputs=2")


def test_make_demo_end_to_end_on_a_tiny_budget(tmp_path):
    out = tmp_path / "demo"
    ad01 = next(p for p in MLPERF if "ad01" in p)
    res = subprocess.run(["make", "--no-print-directory", "demo", f"DEMO_OUT={out}", f"DEMO_FLAGS={TINY}",
                          f"PLAN_MODELS={ad01}"], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

    plan = json.loads((out / "plan" / "plan_report.json").read_text())
    assert plan["model"] == "ad01_int8" and plan["tflm_planned_outputs_identical"]  # one model: one object
    assert "stage 1 chose width 0.25, resolution 16" in res.stdout
    assert res.stdout.count("val_accuracy") >= 3  # a progress line per trial
    assert "bit-exact with TFLM     yes" in res.stdout  # the closing table

    report = json.loads((out / "report.json").read_text())
    bench = report["bench"]
    assert bench["bit_exact"] and bench["cm4_bit_exact"] and bench["inputs_checked"] == 10
    assert report["fits_budget"]
    assert bench["ours_ram_bytes"] <= 32 * 1024 and bench["ours_flash_bytes"] <= 200 * 1024
    # The planner's arena for the generated code is what the cost model predicted for the subnet.
    assert report["predicted_cost"]["sram_bytes"] == bench["ours_arena_bytes"]
    assert report["int8_accuracy_tflm"] == report["int8_accuracy_tflite"]
    for name in ("mcunet_model.tflite", "report.txt", "bench.json", "stage1.json", "plan.png",
                 "c/mcunet_model.c", "arduino/mcunet_model/library.properties"):
        assert (out / name).exists(), name
    assert os.path.isdir(out / "search" / "tinynas")
    check_per_layer_report(report, (out / "report.txt").read_text())


def check_per_layer_report(report, text):
    """The rows of the analysis: measured from the Cortex-M4 profile, summing to the totals, in ms at the
    device's clock (stm32f412: 100 MHz; --sram_kb/--flash_kb override its memory only)."""
    bench, layers = report["bench"], report["layers"]
    assert report["clock_mhz"] == layers["clock_mhz"] == report["predicted_cost"]["clock_mhz"] == 100.0
    rows, totals = layers["layers"], layers["totals"]
    assert [r["measured_instructions"] for r in rows] == [p["instructions"] for p in bench["cm4_layers"]]
    for key in ("macs", "flash_bytes", "predicted_instructions", "measured_instructions"):
        assert totals[key] == sum(r[key] for r in rows), key
    assert totals["macs"] == bench["macs"] and totals["peak_live_bytes"] <= bench["ours_arena_bytes"]
    assert totals["measured_ms"] == pytest.approx(totals["measured_instructions"] / 100e3)
    assert 0.9 * bench["ours_cm4_instructions"] < totals["measured_instructions"] <= bench["ours_cm4_instructions"]
    assert report["latency_ms"]["measured"] == pytest.approx(bench["ours_cm4_instructions"] / 100e3)
    assert f"latency at 100 MHz" in text and "meas. ms" in text and f"TFLM's arena {bench['tflm_arena_bytes']:,} B" in text
