"""The supported-ops table (micro_runtime.coverage): read from the lowerings and kernel files, printed by
scripts/codegen.py --list_ops, copied in README.md."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from micro_runtime.coverage import MARKERS, ops_markdown, ops_table, readme_table, with_ops_table
from micro_runtime.lowering import SUPPORTED_OPS


def test_readme_ops_table_is_the_generated_one():
    with open(os.path.join(ROOT, "README.md")) as f:
        assert readme_table(f.read()) == ops_markdown(), "README.md's ops table is stale: make ops-table"


def test_table_lists_every_supported_op_with_the_paths_of_its_kernel_files():
    table = ops_table()
    rows = {r["op"]: r for r in reversed(table)}  # the int8 row, listed first, of an op with two
    int16 = {r["op"]: r for r in table if r["types"].startswith("int16") or "-> int16" in r["types"]}
    assert {"CONV_2D", "FULLY_CONNECTED", "ADD", "SOFTMAX", "QUANTIZE"} <= set(int16)
    assert not int16["CONV_2D"]["Arm DSP"] and rows["CONV_2D"]["types"] == "int8"
    refused = {"EXP", "NEG"}  # TFLM runs them on float32 only: lowered to a one-line refusal, not listed
    assert set(rows) == set(SUPPORTED_OPS) - refused
    assert all(r["portable"] for r in rows.values())
    for kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):  # *_dsp.c and *_x86.c files
        assert rows[kind]["Arm DSP"] and rows[kind]["x86 SSE2"], kind
    assert rows["ADD"]["x86 SSE2"] and not rows["ADD"]["Arm DSP"]  # add_x86.c only
    assert not rows["RELU"]["Arm DSP"] and not rows["RELU"]["x86 SSE2"]
    assert rows["EQUAL"]["types"] == "int8 -> bool" and rows["ARG_MAX"]["types"] == "int8 -> int32"


def test_with_ops_table_replaces_only_between_the_markers():
    text = f"intro\n{MARKERS[0]}\nold table\n{MARKERS[1]}\noutro\n"
    new = with_ops_table(text)
    assert new.startswith(f"intro\n{MARKERS[0]}\n") and new.endswith(f"{MARKERS[1]}\noutro\n")
    assert readme_table(new) == ops_markdown()
    with pytest.raises(ValueError, match="no <!-- ops-table:begin"):
        with_ops_table("no markers here")


def test_codegen_list_ops_needs_no_model_and_a_model_otherwise():
    script = os.path.join(ROOT, "scripts", "codegen.py")
    listed = subprocess.run([sys.executable, script, "--list_ops"], capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and listed.stdout.strip() == ops_markdown()
    missing = subprocess.run([sys.executable, script, "--out_dir=unused"], capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines()[-1] == "error: --tflite and --out_dir are required (or --list_ops)"
