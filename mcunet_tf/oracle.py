"""TinyNAS stage 2 as a Keras Tuner oracle: evolutionary search over a `SearchSpace` under a `Budget`.

A subnet is encoded in Keras Tuner `HyperParameters`, one hyperparameter per decision of the space:

    stage{s}_depth               Choice(depth choices)          (stages with more than one depth)
    stage{s}_block{j}_kernel     Choice(kernel choices)         (j < the stage's largest depth)
    stage{s}_block{j}_expand     Choice(expand ratios)

Decisions with a single choice are not hyperparameters. Blocks beyond a stage's depth are unused; their
values are canonical (the first, smallest choice), so equal values mean the same subnet and Keras Tuner's
duplicate check is exact. (Keras Tuner conditional scopes would express "unused" directly, but keras-tuner
1.4.8 prints a debug line per conditional hyperparameter on every gRPC message, which floods the logs of
a distributed search.) `config_from_values(space, hp)` turns `HyperParameters` (or their `values` dict)
back into the `SubnetConfig`; `values_from_config` is its inverse.

The oracle never proposes a subnet twice and never one over the budget: candidates are drawn (randomly or
by mutation / crossover) until one is new and `budget.fits(subnet_cost(cfg))`; rejected candidates never
become trials. The search state is Keras Tuner's own (trials on disk, `oracle.json`), so `reload()`,
resuming from `directory` / `project_name` and Keras Tuner's distributed mode (this oracle served by the
chief's gRPC service) work unchanged. Resuming checks every file it reads back: one that cannot be read
is a one-line `CorruptSearchFolder` naming it and what to do; a trial folder deleted on purpose makes room for
a new trial under its number.
"""
from __future__ import annotations

import glob
import itertools
import json
import os
import random
from typing import Any, Callable, Mapping

import keras_tuner
from keras_tuner.engine.trial import Trial, TrialStatus

from mcunet_tf.search_folder import START_OVER, CorruptSearchFolder, read_json_state, reading_state
from mcunet_tf.space import BlockConfig, SearchSpace, SubnetConfig
from tflite_patch.files import atomic_write


# ---------------------------------------------------------------------------------------- encoding
def _depth_name(stage: int) -> str:
    return f"stage{stage}_depth"


def _kernel_name(stage: int, block: int) -> str:
    return f"stage{stage}_block{block}_kernel"


def _expand_name(stage: int, block: int) -> str:
    return f"stage{stage}_block{block}_expand"


def _hp_choices(choices) -> list:
    """Choices in one Python type (Keras Tuner's Choice wants all ints or all floats)."""
    if all(float(c).is_integer() for c in choices):
        return sorted(int(c) for c in choices)
    return sorted(float(c) for c in choices)


def _match(choices, value):
    """The element of `choices` equal to `value` (keeps the space's own type: 3, not 3.0)."""
    for c in choices:
        if float(c) == float(value):
            return c
    raise ValueError(f"{value!r} is not one of the choices {tuple(choices)}")


def _stage_choices(space: SearchSpace, s: int):
    stage = space.stages[s]
    return (tuple(stage.depth_choices), tuple(stage.kernel_choices or space.kernel_choices),
            tuple(stage.expand_choices or space.expand_choices))


def decision_choices(space: SearchSpace) -> dict[str, list]:
    """Every decision with more than one choice, by hyperparameter name, in space order (inactive ones too)."""
    out = {}
    for s in range(len(space.stages)):
        depths, kernels, expands = _stage_choices(space, s)
        if len(depths) > 1:
            out[_depth_name(s)] = _hp_choices(depths)
        for j in range(max(depths)):
            if len(kernels) > 1:
                out[_kernel_name(s, j)] = _hp_choices(kernels)
            if len(expands) > 1:
                out[_expand_name(s, j)] = _hp_choices(expands)
    return out


def hyperparameters_of(space: SearchSpace) -> keras_tuner.HyperParameters:
    """The Keras Tuner search space of `space` (see the module docstring)."""
    hp = keras_tuner.HyperParameters()
    for name, choices in decision_choices(space).items():
        hp.Choice(name, choices, ordered=True)
    return hp


def _values(hp_or_values) -> Mapping[str, Any]:
    return hp_or_values.values if hasattr(hp_or_values, "values") and not isinstance(hp_or_values, Mapping) \
        else hp_or_values


def config_from_values(space: SearchSpace, hp_or_values) -> SubnetConfig:
    """The `SubnetConfig` encoded by Keras Tuner `HyperParameters` (or their `values` dict)."""
    values = _values(hp_or_values)
    channels = space.width(space.first_conv_base_width)
    first, blocks = channels, []
    for s, stage in enumerate(space.stages):
        depths, kernels, expands = _stage_choices(space, s)
        depth = _match(depths, values[_depth_name(s)]) if len(depths) > 1 else depths[0]
        out_channels = space.width(stage.base_width)
        for j in range(depth):
            try:
                kernel = _match(kernels, values[_kernel_name(s, j)]) if len(kernels) > 1 else kernels[0]
                expand = _match(expands, values[_expand_name(s, j)]) if len(expands) > 1 else expands[0]
            except KeyError as e:
                raise ValueError(f"hyperparameter {e.args[0]} missing for stage {s} of depth {depth}") from None
            stride = stage.stride if j == 0 else 1
            blocks.append(BlockConfig(kernel_size=int(kernel), expand_ratio=expand, out_channels=out_channels,
                                      stride=stride, residual=stride == 1 and channels == out_channels))
            channels = out_channels
    mix = space.width(space.feature_mix_base_width) if space.feature_mix_base_width else None
    return SubnetConfig(resolution=space.resolution, first_conv_channels=first, blocks=blocks,
                        feature_mix_channels=mix, num_classes=space.num_classes, in_channels=space.in_channels)


def values_from_config(space: SearchSpace, cfg: SubnetConfig) -> dict[str, Any]:
    """Inverse of `config_from_values`: the active hyperparameter values of a subnet of `space`."""
    from mcunet_tf.supernet import stage_depths  # the stage matcher lives with the supernet

    values, position = {}, 0
    for s, depth in enumerate(stage_depths(space, cfg)):
        depths, kernels, expands = _stage_choices(space, s)
        if len(depths) > 1:
            values[_depth_name(s)] = _hp_choices([depth])[0]
        for j in range(depth):
            block = cfg.blocks[position]
            if len(kernels) > 1:
                values[_kernel_name(s, j)] = _hp_choices([_match(kernels, block.kernel_size)])[0]
            if len(expands) > 1:
                values[_expand_name(s, j)] = _hp_choices([_match(expands, block.expand_ratio)])[0]
            position += 1
    return canonical_values(space, values)


def _stage_depth(space: SearchSpace, s: int, values: Mapping[str, Any]) -> int:
    depths = _stage_choices(space, s)[0]
    return int(_match(depths, values[_depth_name(s)])) if len(depths) > 1 else int(depths[0])


def canonical_values(space: SearchSpace, values: Mapping[str, Any]) -> dict[str, Any]:
    """All decisions of `values` in space order, those of unused blocks (beyond their stage's depth)
    set to their first choice: one value dict per subnet."""
    choices = decision_choices(space)
    out = {name: values[name] if name in values else options[0] for name, options in choices.items()}
    for s in range(len(space.stages)):
        depth = _stage_depth(space, s, out)
        for j in range(depth, max(_stage_choices(space, s)[0])):
            for name in (_kernel_name(s, j), _expand_name(s, j)):
                if name in out:
                    out[name] = choices[name][0]
    return out


def _used_names(space: SearchSpace, values: Mapping[str, Any]) -> set[str]:
    """The decisions that matter for the subnet `values` encodes (depths, and blocks within depth)."""
    used = set()
    for s in range(len(space.stages)):
        used.add(_depth_name(s))
        for j in range(_stage_depth(space, s, values)):
            used.update((_kernel_name(s, j), _expand_name(s, j)))
    return used


# ------------------------------------------------------------------------------------------ oracle
ORACLE_REMEDY = f"restore it from a copy, or {START_OVER}"


def _check_trial_file(path: str, folder: str) -> None:
    """Raise `CorruptSearchFolder` unless `path` (trial_ID/trial.json) is the readable state of trial ID."""
    trial_dir = os.path.basename(os.path.dirname(path))
    remedy = f"delete {trial_dir}/ to run a new trial in its place, or {START_OVER}"
    state = read_json_state(path, folder, remedy)
    with reading_state(path, folder, remedy):
        trial = Trial.from_state(state)
    if f"trial_{trial.trial_id}" != trial_dir:
        raise CorruptSearchFolder(path, folder, f"is corrupt (it is the state of trial {trial.trial_id})", remedy)


def _default_cost_fn():
    try:
        from mcunet_tf.cost import subnet_cost
    except ImportError as e:  # pragma: no cover - cost.py ships with the package
        raise ImportError("TinyNASOracle needs mcunet_tf.cost.subnet_cost (or pass cost_fn=...)") from e
    return subnet_cost


def describe_budget(budget) -> str:
    parts = [f"{label} {getattr(budget, attr)} {unit}" for attr, label, unit in
             (("sram_kb", "SRAM", "kB"), ("flash_kb", "Flash", "kB"), ("latency_ms", "latency", "ms"))
             if getattr(budget, attr, None) is not None]
    return ", ".join(parts) or "no limits"


def describe_cost(cost, clock_mhz: float | None = None) -> str:
    text = (f"{cost.macs / 1e6:.2f}M MACs, SRAM {cost.sram_bytes / 1024:.1f} kB, "
            f"Flash {cost.flash_bytes / 1024:.1f} kB")
    if clock_mhz and hasattr(cost, "latency_ms"):
        text += f", {cost.latency_ms(clock_mhz):.1f} ms at {clock_mhz:g} MHz"
    return text


class TinyNASOracle(keras_tuner.Oracle):
    """Evolutionary search of subnets of `space` that fit `budget` (MCUNet / OFA recipe).

    Args:
        space: the `SearchSpace` (TinyNAS stage 1 picked its width multiplier and resolution).
        budget: a `mcunet_tf.cost.Budget`; every proposed subnet satisfies `budget.fits(cost_fn(cfg))`.
        objective, max_trials, seed, max_retries_per_trial, max_consecutive_failed_trials: as for any
            Keras Tuner oracle. The objective defaults to "val_accuracy" (maximised).
        population_size: trials of the random initial population; the evolution starts after them.
            Default: max_trials / 5, clipped to [10, 100] (the paper uses 100 for 500+ candidates).
        parent_ratio: the best `parent_ratio * population_size` completed trials are the parents (0.25).
        mutation_ratio: share of children made by mutating one parent (0.5); the others are crossovers
            of two parents (each decision taken from either, uniformly).
        mutate_prob: probability to resample each decision (a stage's depth, a block's kernel and expand
            ratio) when mutating (0.1).
        max_rejections: candidates drawn for one trial before giving up (over budget or already tried);
            the search then stops with a message saying why (2000).
        cost_fn: `SubnetConfig -> Cost` (default `mcunet_tf.cost.subnet_cost`).

    The evolution is steady-state: each new trial is a child of the current best completed trials, which
    is the paper's generational loop made asynchronous, so parallel workers never wait for a generation.
    Until some trial has completed (e.g. many workers starting at once) candidates are random.
    """

    def __init__(self, space: SearchSpace, budget, objective="val_accuracy", max_trials: int = 100,
                 population_size: int | None = None, parent_ratio: float = 0.25, mutation_ratio: float = 0.5,
                 mutate_prob: float = 0.1, max_rejections: int = 2000,
                 cost_fn: Callable[[SubnetConfig], Any] | None = None, seed: int | None = None,
                 max_retries_per_trial: int = 0, max_consecutive_failed_trials: int = 3):
        super().__init__(objective=objective, max_trials=max_trials, hyperparameters=hyperparameters_of(space),
                         seed=seed, max_retries_per_trial=max_retries_per_trial,
                         max_consecutive_failed_trials=max_consecutive_failed_trials)
        if seed is not None:  # Keras Tuner takes `seed or random.randint(...)`: seed 0 would be random
            self.seed = self._seed_state = int(seed)
        if population_size is None:
            population_size = max(10, min(100, (max_trials or 500) // 5))
        if not 0.0 < parent_ratio <= 1.0 or not 0.0 <= mutation_ratio <= 1.0 or not 0.0 <= mutate_prob <= 1.0:
            raise ValueError("parent_ratio must be in (0, 1], mutation_ratio and mutate_prob in [0, 1]")
        self.space = space
        self.budget = budget
        self.population_size = int(population_size)
        self.parent_ratio = parent_ratio
        self.mutation_ratio = mutation_ratio
        self.mutate_prob = mutate_prob
        self.max_rejections = int(max_rejections)
        self.cost_fn = cost_fn or _default_cost_fn()
        self.choices = decision_choices(space)
        self.over_budget = 0    # candidates rejected by the budget, over the whole search
        self.duplicates = 0     # candidates rejected as already tried
        self._reported_unfit: set[str] = set()  # trials get_best_trials has said no longer fit
        self.verbose = 0        # the tuner prints one line per trial instead of Keras Tuner's tables
        if not space.open_axes:  # an open space is completed (and checked) by `set_space` before the search
            self._check_feasible()

    def set_space(self, space: SearchSpace) -> None:
        """Search `space` (the completion of this oracle's open space: the same decisions); ValueError when
        even its smallest subnet is over budget."""
        if decision_choices(space) != self.choices:
            raise ValueError("set_space needs a space with the same decisions (stages, kernels, expand ratios)")
        self.space = space
        self._check_feasible()

    # ------------------------------------------------------------------------------------ candidates
    def _smallest_genome(self) -> dict[str, Any]:
        return {name: choices[0] for name, choices in self.choices.items()}

    def _check_feasible(self) -> None:
        """Fail early, with the numbers, when even the smallest subnet of the space is over budget."""
        cfg = config_from_values(self.space, self._smallest_genome())
        cost = self.cost_fn(cfg)
        if not self.budget.fits(cost):
            raise ValueError(
                f"no subnet of this search space fits the budget ({describe_budget(self.budget)}): even the "
                f"smallest needs {describe_cost(cost, getattr(self.budget, 'clock_mhz', None))}. Use a smaller "
                f"resolution (now {self.space.resolution}) or width multiplier (now "
                f"{self.space.width_multiplier}), or a larger budget.")

    def _random_genome(self, rng: random.Random) -> dict[str, Any]:
        return {name: rng.choice(choices) for name, choices in self.choices.items()}

    def _genome(self, values: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
        """A genome from a trial's values; the decisions of its unused blocks are drawn at random (so a
        mutation that deepens a stage does not always add the smallest block)."""
        genome = self._random_genome(rng)
        used = _used_names(self.space, values)
        genome.update({k: v for k, v in values.items() if k in genome and k in used})
        return genome

    def _mutate(self, genome: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
        return {name: rng.choice(self.choices[name]) if rng.random() < self.mutate_prob else value
                for name, value in genome.items()}

    @staticmethod
    def _crossover(a: Mapping[str, Any], b: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
        return {name: a[name] if rng.random() < 0.5 else b[name] for name in a}

    def parents(self) -> list:
        """The current parents: the best completed trials (at most parent_ratio * population_size)."""
        completed = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED and t.score is not None]
        completed.sort(key=lambda t: t.score, reverse=self.objective.direction == "max")
        return completed[:max(1, int(round(self.parent_ratio * self.population_size)))]

    def _candidate(self, rng: random.Random, evolve: bool, parents: list) -> dict[str, Any]:
        if not evolve or not parents:
            return self._random_genome(rng)
        genomes = [self._genome(p.hyperparameters.values, rng) for p in parents]
        if len(genomes) == 1 or rng.random() < self.mutation_ratio:
            return self._mutate(rng.choice(genomes), rng)
        a, b = rng.sample(genomes, 2)
        return self._crossover(a, b, rng)

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """A new in-budget subnet: random for the first `population_size` trials, then a child of the
        best ones. Candidates already tried or over budget are redrawn; after `max_rejections` draws
        the search stops (STOPPED) with a message."""
        rng = random.Random(f"{self.seed}/{self._seed_state}")
        self._seed_state += 1
        parents = self.parents()
        evolve = len(self.trials) >= self.population_size
        over_budget = duplicates = 0
        for attempt in range(self.max_rejections):
            # Evolution first; if its children keep colliding, widen to random candidates.
            genome = self._candidate(rng, evolve and attempt < self.max_rejections // 2, parents)
            values = canonical_values(self.space, genome)
            if self._duplicate(values):
                duplicates += 1
                continue
            if not self.budget.fits(self.cost_fn(config_from_values(self.space, values))):
                over_budget += 1
                continue
            self.over_budget += over_budget
            self.duplicates += duplicates
            return {"status": TrialStatus.RUNNING, "values": values}
        self.over_budget += over_budget
        self.duplicates += duplicates
        print(f"TinyNAS: stopping after {len(self.trials)} trials: no new subnet within the budget "
              f"({describe_budget(self.budget)}) in {self.max_rejections} candidates ({over_budget} over budget, "
              f"{duplicates} already tried). The space may be exhausted at this budget; raise max_rejections, "
              "the budget, or use a larger space.")
        return {"status": TrialStatus.STOPPED, "values": None}

    # ------------------------------------------------------------------------------------ state
    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["tinynas"] = {"space": self.space.to_dict(), "over_budget": self.over_budget,
                            "duplicates": self.duplicates}
        return state

    # A search killed at any instant (SIGKILL, power loss) must resume: Keras Tuner writes its JSON files in
    # place, so a kill mid-write would leave a truncated oracle.json or trial.json. Write them atomically.
    def save(self) -> None:
        atomic_write(self._get_oracle_fname(), json.dumps(self.get_state()))

    def _save_trial(self, trial) -> None:
        atomic_write(os.path.join(self._get_trial_dir(trial.trial_id), "trial.json"),
                     json.dumps(trial.get_state()))

    # Resuming reads every trial.json and oracle.json back. A file that cannot be read is a one-line
    # CorruptSearchFolder naming it; a trial folder deleted on purpose is forgotten and a new trial takes its place.
    def reload(self) -> None:
        """Keras Tuner's reload, each file it reads checked first; then the trials still RUNNING on disk are
        queued to run again (see `_requeue_running_trials`)."""
        folder = self._project_dir
        for path in sorted(glob.glob(os.path.join(glob.escape(folder), "trial_*", "trial.json"))):
            _check_trial_file(path, folder)
        read_json_state(self._get_oracle_fname(), folder, ORACLE_REMEDY)
        super().reload()
        self._fill_free_trial_ids()
        self._requeue_running_trials()

    def set_state(self, state: dict[str, Any]) -> None:
        """The state of oracle.json (called by `reload`, after the trials are loaded)."""
        with reading_state(self._get_oracle_fname(), self._project_dir, ORACLE_REMEDY):
            super().set_state(self._without_deleted_trials(state))
            saved = state.get("tinynas", {})
            space = SearchSpace.from_dict(saved["space"]) if "space" in saved else self.space
            self.over_budget = int(saved.get("over_budget", 0))
            self.duplicates = int(saved.get("duplicates", 0))
        if space != self.space:
            raise ValueError(f"the project in {self._project_dir} was searched over a different search space; "
                             "use another project_name or overwrite=True")

    def _without_deleted_trials(self, state: dict[str, Any]) -> dict[str, Any]:
        """`state` less the trials without a trial.json (their folder deleted). Their value hashes stay in
        `id_to_hash`: Keras Tuner drops such a hash from the tried ones when a new trial takes the id."""
        deleted = {trial_id for trial_id in state["start_order"] if trial_id not in self.trials}
        if not deleted:
            return state
        print(f"TinyNAS: trial(s) {', '.join(sorted(deleted))} have no trial.json in {self._project_dir} "
              "(deleted?): new trials take their place")

        def kept(trial_ids):
            return [t for t in trial_ids if t not in deleted]
        return dict(state, start_order=kept(state["start_order"]), end_order=kept(state["end_order"]),
                    retry_queue=kept(state["retry_queue"]),
                    ongoing_trials={k: t for k, t in state["ongoing_trials"].items() if t not in deleted},
                    run_times={t: n for t, n in state["run_times"].items() if t not in deleted})

    def _fill_free_trial_ids(self) -> None:
        """Keras Tuner numbers a new trial len(trials); a deleted trial below the last one would make that
        number one already taken. New trials (RUNNING, run first) take the free numbers below instead."""
        width = len(str(self.max_trials))
        free = (f"{i:0{width}d}" for i in itertools.count())
        while f"{len(self.trials):0{width}d}" in self.trials:
            trial_id = next(i for i in free if i not in self.trials)
            response = self.populate_space(trial_id)
            if response["status"] != TrialStatus.RUNNING:
                return
            hyperparameters = self.hyperparameters.copy()
            hyperparameters.values = response["values"]
            trial = Trial(hyperparameters, trial_id=trial_id, status=TrialStatus.RUNNING)
            self._record_values(trial)
            self.trials[trial_id] = trial
            self._save_trial(trial)

    def _requeue_running_trials(self) -> None:
        """Trials RUNNING on disk that the oracle's state does not queue run again: those `_fill_free_trial_ids`
        made, and a trial created by a search killed between writing its trial.json and oracle.json."""
        queued = [t for t, trial in sorted(self.trials.items())
                  if trial.status == TrialStatus.RUNNING and t not in self._retry_queue]
        if queued:
            self.start_order += [t for t in queued if t not in self.start_order]
            self._retry_queue += queued
            self.save()

    def config(self, hp_or_values) -> SubnetConfig:
        """`config_from_values` for this oracle's space."""
        return config_from_values(self.space, hp_or_values)

    def get_best_trials(self, num_trials: int = 1) -> list:
        """Keras Tuner's best trials, less those that do not fit the budget under the cost model as it is now: a
        search resumed after the kernels changed (and with them the fitted cost model, whose Flash and instruction
        terms follow the code) holds trials costed by the old model, and one of them may no longer fit."""
        ranked = super().get_best_trials(len(self.trials))
        fitting = [t for t in ranked if self.budget.fits(self.cost_fn(self.config(t.hyperparameters)))]
        dropped = [t.trial_id for t in ranked if t not in fitting and t.trial_id not in self._reported_unfit]
        if dropped:
            self._reported_unfit.update(dropped)
            print(f"TinyNAS: trial(s) {', '.join(dropped)} no longer fit the budget ({describe_budget(self.budget)}) "
                  "under the current cost model (costed by an earlier one?): left out of the best trials")
        return fitting[:num_trials]
