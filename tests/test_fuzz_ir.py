"""micro_runtime.fuzz_ir: the seeds are valid, mutations are reproducible from the seed, and a fixed-seed
campaign (build, sanitizers, checked kernels, TFLM comparison) finds nothing. Longer campaigns with other
seeds: `make fuzz-ir SECONDS=...`; what they find becomes a case in test_fuzz_regressions.py."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHARED_MODELS
from micro_runtime.codegen import generate
from micro_runtime.fuzz_ir import mutate, single_op_seed
from tflite_patch import save_tflite


def test_single_op_seeds_are_accepted():
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(40):
        graph = single_op_seed(rng)
        kinds.add(graph.ops[0].kind)
        generate(save_tflite(graph), "m")
    assert len(kinds) >= 10


def test_mutations_are_reproducible_from_the_seed():
    base = single_op_seed(np.random.default_rng(1))
    a = [mutate(base, np.random.default_rng(5))[1] for _ in range(2)]
    b = mutate(base, np.random.default_rng(6))[1]
    assert a[0] == a[1] and a[0] != b
    assert save_tflite(mutate(base, np.random.default_rng(5))[0]) == save_tflite(mutate(base, np.random.default_rng(5))[0])


@pytest.mark.e2e
def test_fixed_seed_campaign_finds_nothing(tmp_path):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fuzz_ir.py"), "--seconds=150", "--runs=60",
                          "--seed=1", f"--seeds={os.path.join(SHARED_MODELS, 'mlperf_tiny')}", f"--out={tmp_path}"],
                         capture_output=True, text=True, timeout=240)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    m = re.search(r"(\d+) cases .* (\d+) refused in one line, (\d+) accepted with an arena over \d+ MB \(not run\), "
                  r"(\d+) accepted and run clean \((\d+) equal to TFLM\).* 0 findings", out)
    assert m, out[-3000:]
    cases, refused, large, accepted, compared = map(int, m.groups())
    assert refused > 0 and accepted > 0 and compared > 0 and refused + large + accepted == cases
