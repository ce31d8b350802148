"""How well a supernet ranks subnets: the standard figure of supernet quality (OFA, BigNAS, MCUNet).

A search trusts the supernet's inherited weights to order candidates. `supernet_ranking` samples subnets that
fit the budget, scores each twice, by its accuracy with inherited weights (BatchNorm re-calibrated, as a trial
does) and by its accuracy after the same short fine-tune from those weights, and reports Kendall's tau and
Spearman's rho between the two orders: 1 means the supernet orders them exactly as training them would.
"""
from __future__ import annotations

import dataclasses
import random
import time
import zlib
from typing import Callable

import numpy as np

from mcunet_tf import zoo
from mcunet_tf.cost import Budget, subnet_cost
from mcunet_tf.space import SubnetConfig
from mcunet_tf.supernet import Supernet


@dataclasses.dataclass
class RankedSubnet:
    """One sampled subnet: its config, MACs and its two accuracies."""
    config: SubnetConfig
    macs: int
    inherited_accuracy: float
    finetuned_accuracy: float


@dataclasses.dataclass
class Ranking:
    """The subnets scored and the rank correlations between the two scores."""
    subnets: list[RankedSubnet]
    kendall_tau: float
    spearman_rho: float
    seconds: float

    def as_dict(self) -> dict:
        return {"kendall_tau": self.kendall_tau, "spearman_rho": self.spearman_rho, "seconds": self.seconds,
                "subnets": [{"config": s.config.to_dict(), "macs": s.macs,
                             "inherited_accuracy": s.inherited_accuracy,
                             "finetuned_accuracy": s.finetuned_accuracy} for s in self.subnets]}


def rank_correlations(a, b) -> tuple[float, float]:
    """(Kendall's tau-b, Spearman's rho) of two score lists (ties handled as scipy does)."""
    from scipy import stats

    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"need two score lists of the same length >= 2, not {len(a)} and {len(b)}")
    tau = stats.kendalltau(a, b).statistic
    rho = stats.spearmanr(a, b).statistic
    return float(tau), float(rho)


def sample_fitting(supernet: Supernet, budget: Budget, count: int, seed: int = 0,
                   cost_fn: Callable[[SubnetConfig], object] = subnet_cost, max_draws: int = 20000
                   ) -> list[SubnetConfig]:
    """`count` distinct subnets drawn uniformly from the supernet's space that fit `budget`."""
    rng, found, seen = random.Random(seed), [], set()
    for _ in range(max_draws):
        cfg = supernet.sample(rng)
        key = repr(cfg.to_dict())
        if key in seen:
            continue
        seen.add(key)
        if budget.fits(cost_fn(cfg)):
            found.append(cfg)
            if len(found) == count:
                return found
    raise ValueError(f"only {len(found)} of {count} distinct subnets fit the budget in {max_draws} draws; "
                     "ask for fewer or loosen the budget")


def _accuracy(model, x, y) -> float:
    from mcunet_tf.tuner import evaluate  # the accuracy a TinyNAS trial reports

    return evaluate(model, x, y)["val_accuracy"]


def _fine_tuned_accuracy(model, train, val, calibration, epochs: int, batch_size: int, learning_rate: float,
                         seed: int) -> float:
    import tf_keras as keras

    x, y = train
    steps = max(1, epochs * max(1, len(x) // batch_size))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    keras.utils.set_random_seed(seed)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    zoo.calibrate_batchnorm(model, calibration)
    return _accuracy(model, *val)


def supernet_ranking(supernet: Supernet, budget: Budget, train, val, num_subnets: int = 20,
                     finetune_epochs: int = 2, batch_size: int = 64, learning_rate: float = 1e-3,
                     calibration_samples: int = 500, seed: int = 0,
                     cost_fn: Callable[[SubnetConfig], object] = subnet_cost,
                     log: Callable[[str], None] = print) -> Ranking:
    """Score `num_subnets` fitting subnets by inherited and by fine-tuned validation accuracy (see the module
    docstring). `train`, `val`: (x, y) numpy arrays; every subnet gets the same fine-tuning schedule and a
    seed of its own derived from `seed`."""
    start = time.time()
    x, y = np.asarray(train[0], np.float32), np.asarray(train[1]).reshape(-1)
    val = (np.asarray(val[0], np.float32), np.asarray(val[1]).reshape(-1))
    pick = np.random.default_rng(seed).permutation(len(x))[:calibration_samples]
    calibration = x[np.sort(pick)]
    ranked = []
    for i, cfg in enumerate(sample_fitting(supernet, budget, num_subnets, seed, cost_fn)):
        model = supernet.extract_subnet(cfg, calibration, name=f"ranked_{i}")
        inherited = _accuracy(model, *val)
        tuned = _fine_tuned_accuracy(model, (x, y), val, calibration, finetune_epochs, batch_size, learning_rate,
                                     zlib.crc32(f"{seed}/{i}".encode()))
        ranked.append(RankedSubnet(cfg, int(cost_fn(cfg).macs), inherited, tuned))
        log(f"subnet {i + 1}/{num_subnets}: inherited {inherited:.4f}, fine-tuned {tuned:.4f} "
            f"({time.time() - start:.0f} s)")
    tau, rho = rank_correlations([s.inherited_accuracy for s in ranked], [s.finetuned_accuracy for s in ranked])
    return Ranking(ranked, tau, rho, time.time() - start)
