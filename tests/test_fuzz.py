"""A short atheris run over the loader, checks, passes, planner and code generator: no crash.

Seed and run count are fixed so that CI explores the same inputs every time; longer campaigns with fresh
seeds are `python scripts/fuzz.py --seconds=...`, and what they find becomes a case in test_bad_inputs."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED_MODELS

pytestmark = pytest.mark.e2e


def test_short_fuzz_run_finds_no_crash(tmp_path):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fuzz.py"), "--seconds=120",
                          "--runs=6000", "--seed=1",
                          f"--corpus={tmp_path / 'corpus'}", f"--artifacts={tmp_path / 'artifacts'}",
                          f"--seeds={os.path.join(SHARED_MODELS, 'mlperf_tiny')}"],
                         capture_output=True, text=True, timeout=300)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-3000:]
    assert "Done" in output and "runs in" in output
    assert not os.listdir(tmp_path / "artifacts")
