"""Supernet ranking quality (mcunet_tf.ranking, scripts/ranking.py): the correlations, the sampling of fitting
subnets, and a small real run (a supernet trained briefly on digits, subnets fine-tuned)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from mcunet_tf import data, ranking
from mcunet_tf.cost import Budget, subnet_cost
from mcunet_tf.space import SearchSpace
from mcunet_tf.supernet import Supernet


def test_rank_correlations_of_known_orders():
    assert ranking.rank_correlations([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4]) == pytest.approx((1.0, 1.0))
    assert ranking.rank_correlations([0.1, 0.2, 0.3, 0.4], [4, 3, 2, 1]) == pytest.approx((-1.0, -1.0))
    # one discordant pair of six: tau = (5 - 1) / 6
    tau, rho = ranking.rank_correlations([1, 2, 3, 4], [1, 2, 4, 3])
    assert tau == pytest.approx(4 / 6) and rho == pytest.approx(0.8)
    with pytest.raises(ValueError, match="same length"):
        ranking.rank_correlations([1, 2], [1, 2, 3])


@pytest.fixture(scope="module")
def supernet():
    return Supernet(SearchSpace.mcunet(width_multiplier=0.25, resolution=16, num_classes=10), seed=0)


def test_sampled_subnets_are_distinct_and_fit(supernet):
    costs = [subnet_cost(supernet.sample(__import__("random").Random(i))) for i in range(12)]
    budget = Budget(sram_kb=float(np.median([c.sram_bytes for c in costs])) / 1024)
    configs = ranking.sample_fitting(supernet, budget, 5, seed=1)
    assert len({repr(c.to_dict()) for c in configs}) == 5
    assert all(budget.fits(subnet_cost(c)) for c in configs)
    with pytest.raises(ValueError, match="fit the budget"):
        ranking.sample_fitting(supernet, Budget(sram_kb=0.01), 2, max_draws=50)


@pytest.mark.e2e
def test_a_small_ranking_run_scores_every_subnet_twice(supernet):
    (x, y), (xv, yv) = data.load("digits", 16)
    x, y, xv, yv = x[:256], y[:256], xv[:128], yv[:128]
    supernet.train(x, y, epochs=1, verbose=0)
    result = ranking.supernet_ranking(supernet, Budget(sram_kb=512, flash_kb=2048), (x, y), (xv, yv),
                                      num_subnets=3, finetune_epochs=1, calibration_samples=64, log=lambda s: None)
    assert len(result.subnets) == 3
    for s in result.subnets:
        assert 0.0 <= s.inherited_accuracy <= 1.0 and 0.0 <= s.finetuned_accuracy <= 1.0 and s.macs > 0
    expected = ranking.rank_correlations([s.inherited_accuracy for s in result.subnets],
                                         [s.finetuned_accuracy for s in result.subnets])
    assert (result.kendall_tau, result.spearman_rho) == pytest.approx(expected, nan_ok=True)
    report = json.loads(json.dumps(result.as_dict()))
    assert [r["finetuned_accuracy"] for r in report["subnets"]] == [s.finetuned_accuracy for s in result.subnets]


def test_the_script_refuses_bad_settings_in_one_line(tmp_path):
    script = os.path.join(ROOT, "scripts", "ranking.py")
    res = subprocess.run([sys.executable, script, "--subnets=1", f"--out_dir={tmp_path}"], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines()[-1].startswith("error: --subnets must be >= 2")
    assert not os.listdir(tmp_path)
