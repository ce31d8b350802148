"""TinyNAS stage 1 (search-space optimisation) on a tiny grid with the real cost model."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from mcunet_tf import stage1
from mcunet_tf.cost import Budget, subnet_cost

WIDTHS = (0.3, 0.5)
RESOLUTIONS = (64, 112)
SAMPLES = 12


@pytest.fixture(scope="module")
def budget():
    """A budget that binds: the 60th percentile of SRAM and Flash over the whole grid's samples."""
    costs = [subnet_cost(cfg) for w in WIDTHS for r in RESOLUTIONS for cfg in stage1.sample_pair(w, r, SAMPLES)]
    return Budget(sram_kb=float(np.percentile([c.sram_bytes for c in costs], 60)) / 1024,
                  flash_kb=float(np.percentile([c.flash_bytes for c in costs], 60)) / 1024)


@pytest.fixture(scope="module")
def result(budget):
    return stage1.optimize_search_space(budget, WIDTHS, RESOLUTIONS, samples=SAMPLES, processes=1)


def test_chooses_the_largest_mean_macs_of_fitting_samples(result, budget):
    assert len(result.pairs) == len(WIDTHS) * len(RESOLUTIONS)
    means = {(p.width, p.resolution): np.mean([c.macs for _, c in p.fitting]) for p in result.pairs if p.fitting}
    assert means, "the budget should let some subnets fit"
    assert (result.best.width, result.best.resolution) == max(means, key=means.get)
    assert 0 < len([p for p in result.pairs if p.fitting]) and any(p.fit_fraction < 1 for p in result.pairs)


def test_every_reported_subnet_fits(result, budget):
    for pair in result.pairs:
        assert pair.samples == SAMPLES and len(pair.fitting) <= SAMPLES
        for cfg, cost in pair.fitting:
            assert cfg.resolution == pair.resolution
            assert budget.fits(cost) and budget.fits(subnet_cost(cfg))
    report = json.loads(result.to_json())
    for pair in report["pairs"]:
        for item in pair["largest_fitting"]:
            assert item["cost"]["sram_bytes"] <= budget.sram_kb * 1024
            assert item["cost"]["flash_bytes"] <= budget.flash_kb * 1024


def test_tighter_budget_never_fits_more(result, budget):
    tighter = Budget(sram_kb=budget.sram_kb * 0.8, flash_kb=budget.flash_kb * 0.9)
    tight = stage1.optimize_search_space(tighter, WIDTHS, RESOLUTIONS, samples=SAMPLES, processes=1)
    for loose_pair, tight_pair in zip(result.pairs, tight.pairs):
        assert len(tight_pair.fitting) <= len(loose_pair.fitting)
        assert {c.to_json() for c, _ in tight_pair.fitting} <= {c.to_json() for c, _ in loose_pair.fitting}
    assert sum(len(p.fitting) for p in tight.pairs) < sum(len(p.fitting) for p in result.pairs)


def test_nothing_fits_gives_no_choice():
    nothing = stage1.optimize_search_space(Budget(sram_kb=1), (0.3,), (64,), samples=3, processes=1)
    assert nothing.best is None and nothing.pairs[0].fitting == []
    with pytest.raises(ValueError):
        nothing.best_space()
    assert "no pair" in nothing.table()


def test_min_fit_fraction_and_ties():
    def pair(w, r, macs, samples):
        return stage1.PairResult(w, r, samples, [(None, type("C", (), {"macs": m})()) for m in macs])

    rare = pair(0.5, 160, [90], 10)           # mean 90, 10% fit
    common = pair(0.4, 128, [50, 60, 70], 4)  # mean 60, 75% fit
    assert stage1.choose_best([rare, common]) is rare
    assert stage1.choose_best([rare, common], min_fit_fraction=0.5) is common
    assert stage1.choose_best([pair(0.4, 128, [60], 2), pair(0.4, 96, [60], 2)]).resolution == 96


def test_table_plot_and_space(result, tmp_path):
    text = result.table()
    assert "mean MACs" in text and "chosen" in text and len(text.splitlines()) == len(result.pairs) + 3
    path = tmp_path / "cdf.png"
    result.plot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    space = result.best_space()
    assert (space.width_multiplier, space.resolution) == (result.best.width, result.best.resolution)


@pytest.mark.e2e
def test_script_end_to_end(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "stage1.py"), "--sram_kb=256",
                           "--flash_kb=1024", "--widths=0.3", "--resolutions=48,64", "--samples=4", "--processes=1",
                           f"--out_dir={tmp_path}"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "chosen" in proc.stdout
    report = json.loads((tmp_path / "stage1.json").read_text())
    assert report["best"] == {"width": 0.3, "resolution": 64}
    assert (tmp_path / "stage1_cdf.png").exists()
