"""TinyNAS stage 1: optimise the search space (width multiplier, resolution) for a device budget.

MCUNet (Lin et al. 2020, Sec. 3.1 and Fig. 3) observes that, inside one search space, the subnets that satisfy
the memory constraints are better when they can afford more computation: a space whose satisfying subnets
have a larger FLOPs distribution has more capacity and yields more accurate models. So, for every
(width multiplier, resolution) pair of a grid, stage 1 samples N subnets of `SearchSpace.mcunet(w, r)`,
keeps those that fit the budget (`cost.subnet_cost` + `Budget.fits`: the engine's exact arena, Flash and
latency), and compares the MACs distributions (CDFs) of the fitting ones.

Selection criterion (precisely): the chosen pair maximises the *mean MACs of its fitting samples*, among the
pairs with at least one fitting sample and a fit fraction >= `min_fit_fraction` (default 0: any). Ties
go to the larger fit fraction, then to the smaller resolution and width. The mean is the area to the left of
the CDF (E[X] = integral of 1 - F): the CDF that lies lowest / right-most has the largest mean, which is the
paper's visual comparison made a number. `p50` / `p80` (the MACs below which 50% / 80% of the fitting
samples lie) are reported too.

    from mcunet_tf import stage1
    result = stage1.optimize_search_space(Budget(sram_kb=320, flash_kb=1024), widths=[0.3, 0.4, 0.5],
                                          resolutions=[96, 128, 160], samples=1000)
    print(result.table()); result.plot("cdf.png"); space = result.best_space()
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from typing import Callable, Sequence

import numpy as np

from mcunet_tf.cost import Budget, Cost, subnet_cost
from mcunet_tf.space import SearchSpace, SubnetConfig


@dataclasses.dataclass
class PairResult:
    """One (width, resolution) search space: how many samples fit and the MACs of those that do.
    `fitting` holds every fitting sample (config and cost), sorted by MACs."""
    width: float
    resolution: int
    samples: int
    fitting: list[tuple[SubnetConfig, Cost]]

    @property
    def name(self) -> str:
        return f"w{self.width:g}-r{self.resolution}"

    @property
    def macs(self) -> np.ndarray:
        return np.array([c.macs for _, c in self.fitting], np.int64)

    @property
    def fit_fraction(self) -> float:
        return len(self.fitting) / self.samples if self.samples else 0.0

    @property
    def mean_macs(self) -> float | None:
        return float(self.macs.mean()) if self.fitting else None

    def percentile_macs(self, q: float) -> float | None:
        return float(np.percentile(self.macs, q)) if self.fitting else None

    def summary(self, top: int = 3) -> dict:
        """JSON-ready figures, with the `top` largest fitting subnets (config and cost)."""
        return {"width": self.width, "resolution": self.resolution, "samples": self.samples,
                "fitting": len(self.fitting), "fit_fraction": round(self.fit_fraction, 4),
                "mean_macs": self.mean_macs, "p50_macs": self.percentile_macs(50),
                "p80_macs": self.percentile_macs(80),
                "macs_percentiles": ([int(v) for v in np.percentile(self.macs, np.arange(0, 101, 5))]
                                     if self.fitting else []),
                "largest_fitting": [{"config": cfg.to_dict(), "cost": cost.to_dict()}
                                    for cfg, cost in self.fitting[::-1][:top]]}


@dataclasses.dataclass
class Stage1Result:
    """Every pair's result and the chosen one (None when no pair has a fitting sample)."""
    budget: Budget
    pairs: list[PairResult]
    best: PairResult | None
    min_fit_fraction: float = 0.0
    seed: int = 0

    def best_space(self, **overrides) -> SearchSpace:
        """`SearchSpace.mcunet` at the chosen (width, resolution), for stage 2."""
        if self.best is None:
            raise ValueError("no (width, resolution) pair has a subnet within the budget")
        return SearchSpace.mcunet(self.best.width, self.best.resolution, **overrides)

    def to_dict(self) -> dict:
        return {"budget": dataclasses.asdict(self.budget),
                "criterion": "max mean MACs of the fitting samples (fit fraction >= min_fit_fraction)",
                "min_fit_fraction": self.min_fit_fraction, "seed": self.seed,
                "best": None if self.best is None else {"width": self.best.width, "resolution": self.best.resolution},
                "pairs": [p.summary() for p in self.pairs]}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """One row per pair: width, resolution, fit fraction, mean / p50 / p80 MACs of the fitting subnets."""
        rows = [("", "width", "resolution", "fit", "mean MACs", "p50 MACs", "p80 MACs")]

        def m(v):
            return "-" if v is None else f"{v / 1e6:.1f}M"

        for p in self.pairs:
            rows.append(("*" if p is self.best else "", f"{p.width:g}", str(p.resolution),
                         f"{100 * p.fit_fraction:.1f}%", m(p.mean_macs), m(p.percentile_macs(50)),
                         m(p.percentile_macs(80))))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        if self.best is not None:
            lines.append(f"* chosen: width {self.best.width:g}, resolution {self.best.resolution} "
                         "(largest mean MACs of the subnets that fit)")
        else:
            lines.append("no pair has a subnet within the budget")
        return "\n".join(lines)

    def plot(self, path: str) -> None:
        """The CDF of the fitting subnets' MACs, one curve per pair (MCUNet Fig. 3), saved as a PNG."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        for p in self.pairs:
            if not p.fitting:
                continue
            x = np.sort(p.macs) / 1e6
            y = np.arange(1, len(x) + 1) / len(x)
            label = f"{p.name} (mean {p.mean_macs / 1e6:.0f}M, {100 * p.fit_fraction:.0f}% fit)"
            ax.step(x, y, where="post", label=label, linewidth=2.5 if p is self.best else 1.2)
        limits = ", ".join(f"{k} {v:g}" for k, v in (("SRAM kB", self.budget.sram_kb), ("Flash kB", self.budget.flash_kb),
                                                      ("latency ms", self.budget.latency_ms)) if v is not None)
        ax.set_xlabel("MACs of the subnets that fit (M)")
        ax.set_ylabel("cumulative probability")
        ax.set_title(f"TinyNAS stage 1: search spaces under {limits or 'no limits'}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def choose_best(pairs: Sequence[PairResult], min_fit_fraction: float = 0.0) -> PairResult | None:
    """The pair with the largest mean MACs of its fitting samples (see the module docstring)."""
    eligible = [p for p in pairs if p.fitting and p.fit_fraction >= min_fit_fraction]
    if not eligible:
        return None
    return max(eligible, key=lambda p: (p.mean_macs, p.fit_fraction, -p.resolution, -p.width))


def sample_pair(width: float, resolution: int, samples: int, seed: int = 0, **space_kwargs) -> list[SubnetConfig]:
    """`samples` random subnets of `SearchSpace.mcunet(width, resolution)`, reproducible per (seed, pair)."""
    space = SearchSpace.mcunet(width, resolution, **space_kwargs)
    rng = np.random.default_rng([seed, int(round(width * 1000)), int(resolution)])
    return [space.sample(rng) for _ in range(samples)]


def _cost_json(text: str) -> Cost:
    return subnet_cost(SubnetConfig.from_json(text))


def _costs(configs: list[SubnetConfig], cost_fn: Callable[[SubnetConfig], Cost], processes: int) -> list[Cost]:
    if processes <= 1 or cost_fn is not subnet_cost or len(configs) < 2 * processes:
        return [cost_fn(cfg) for cfg in configs]
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with (ctx or multiprocessing).Pool(processes) as pool:
        return pool.map(_cost_json, [cfg.to_json() for cfg in configs], chunksize=16)


def evaluate_pair(width: float, resolution: int, budget: Budget, samples: int, seed: int = 0,
                  cost_fn: Callable[[SubnetConfig], Cost] = subnet_cost, processes: int = 1,
                  **space_kwargs) -> PairResult:
    """Sample `samples` subnets of the pair's space and keep those within `budget`."""
    configs = sample_pair(width, resolution, samples, seed, **space_kwargs)
    costs = _costs(configs, cost_fn, processes)
    fitting = sorted(((cfg, c) for cfg, c in zip(configs, costs) if budget.fits(c)), key=lambda fc: fc[1].macs)
    return PairResult(width=float(width), resolution=int(resolution), samples=samples, fitting=fitting)


def optimize_search_space(budget: Budget, widths: Sequence[float], resolutions: Sequence[int],
                          samples: int = 1000, seed: int = 0, min_fit_fraction: float = 0.0,
                          cost_fn: Callable[[SubnetConfig], Cost] = subnet_cost, processes: int | None = None,
                          log: Callable[[str], None] | None = None, prune: bool = False,
                          **space_kwargs) -> Stage1Result:
    """TinyNAS stage 1 over the grid `widths` x `resolutions`: sample, filter by `budget`, choose the
    pair whose fitting subnets have the largest mean MACs. `processes` (default: all cores) computes
    costs in parallel; `space_kwargs` go to `SearchSpace.mcunet` (e.g. num_classes). With `prune`, a pair
    whose least subnet is over budget is not sampled (0 samples): none of its subnets can fit."""
    processes = os.cpu_count() or 1 if processes is None else processes
    pairs = []
    for w in widths:
        for r in resolutions:
            if prune and not budget.fits(cost_fn(SearchSpace.mcunet(w, r, **space_kwargs).sample(min))):
                pair = PairResult(width=float(w), resolution=int(r), samples=0, fitting=[])
            else:
                pair = evaluate_pair(w, r, budget, samples, seed, cost_fn, processes, **space_kwargs)
            pairs.append(pair)
            if log:
                mean = "-" if pair.mean_macs is None else f"{pair.mean_macs / 1e6:.1f}M"
                log(f"  {pair.name}: " + (f"{len(pair.fitting)}/{samples} fit, mean MACs {mean}" if pair.samples
                                          else "its least subnet is over budget"))
    return Stage1Result(budget=budget, pairs=pairs, best=choose_best(pairs, min_fit_fraction),
                        min_fit_fraction=min_fit_fraction, seed=seed)
