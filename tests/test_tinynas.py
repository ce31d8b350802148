"""TinyNAS as a Keras Tuner oracle + tuner: hyperparameter encoding, budget-respecting evolution,
search -> tf_keras models, resume from the project directory."""
import dataclasses
import math
import os
import shutil

import numpy as np
import pytest

from mcunet_tf.space import SearchSpace, StageSpace, count_macs, count_params, layers


# ------------------------------------------------------------------------------------ cost model
@dataclasses.dataclass
class StubCost:
    """Same shape as mcunet_tf.cost.Cost; only used while cost.py does not exist."""
    macs: int
    params: int
    sram_bytes: int
    flash_bytes: int
    instructions: int = 0

    def latency_ms(self, clock_mhz: float) -> float:
        return self.macs / (clock_mhz * 1e3)


@dataclasses.dataclass
class StubBudget:
    sram_kb: float | None = None
    flash_kb: float | None = None
    latency_ms: float | None = None
    clock_mhz: float = 216.0

    def fits(self, cost) -> bool:
        return ((self.sram_kb is None or cost.sram_bytes <= self.sram_kb * 1024)
                and (self.flash_kb is None or cost.flash_bytes <= self.flash_kb * 1024)
                and (self.latency_ms is None or cost.latency_ms(self.clock_mhz) <= self.latency_ms))


def stub_subnet_cost(cfg):
    """int8 activations of the largest layer's input + output; int8 weights + a fixed code size."""
    sram = max(math.prod(layer.in_shape) + math.prod(layer.out_shape) for layer in layers(cfg))
    return StubCost(count_macs(cfg), count_params(cfg), sram, count_params(cfg) + 20_000)


def cost_model():
    """(subnet_cost, Budget): mcunet_tf.cost when it exists, else the stub above."""
    try:
        from mcunet_tf import cost
    except ImportError:
        return stub_subnet_cost, StubBudget
    return cost.subnet_cost, cost.Budget


def tiny_space(resolution: int = 16) -> SearchSpace:
    return SearchSpace(stages=[StageSpace(8, 1, (1,), (3,), (1,)), StageSpace(16, 2, (1, 2)),
                               StageSpace(24, 2, (1, 2))],
                       first_conv_base_width=8, resolution=resolution, num_classes=10)


def tiny_budget(space: SearchSpace, subnet_cost, budget_class, quantile: float = 60.0):
    """A budget that about half the space fits: the `quantile` of SRAM and of Flash over random subnets."""
    costs = [subnet_cost(space.sample(seed)) for seed in range(100)]
    return budget_class(sram_kb=float(np.percentile([c.sram_bytes for c in costs], quantile)) / 1024,
                        flash_kb=float(np.percentile([c.flash_bytes for c in costs], quantile)) / 1024)


# ------------------------------------------------------------------------------------ encoding
def test_hyperparameters_round_trip_to_subnet_configs():
    from mcunet_tf.oracle import canonical_values, config_from_values, hyperparameters_of, values_from_config
    space = SearchSpace.mcunet(width_multiplier=0.5, resolution=96, expand_choices=(3, 4.5, 6))
    hp = hyperparameters_of(space)
    names = [p.name for p in hp.space]
    assert "stage1_depth" in names and "stage1_block3_kernel" in names and "stage0_depth" not in names
    assert "stage0_block0_kernel" not in names  # single-choice decisions are not hyperparameters
    for seed in range(20):
        cfg = space.sample(seed)
        values = values_from_config(space, cfg)
        assert list(values) == names  # every decision, in space order
        assert config_from_values(space, values) == cfg
        hp.values = dict(values)
        assert config_from_values(space, hp) == cfg
        assert config_from_values(space, hp).to_json() == cfg.to_json()
        # Unused blocks carry their first choice: one value dict per subnet.
        for s, stage in enumerate(space.stages):
            depth = values.get(f"stage{s}_depth", stage.depth_choices[0])
            for j in range(depth, max(stage.depth_choices)):
                assert values[f"stage{s}_block{j}_kernel"] == 3 and values[f"stage{s}_block{j}_expand"] == 3
        noisy = dict(values, **{k: 7 for k in values if k.endswith("kernel")})
        assert config_from_values(space, canonical_values(space, noisy)) == config_from_values(space, noisy)


def test_infeasible_budget_fails_with_a_clear_message():
    from mcunet_tf.oracle import TinyNASOracle
    subnet_cost, budget_class = cost_model()
    with pytest.raises(ValueError, match="smallest"):
        TinyNASOracle(tiny_space(), budget_class(sram_kb=0.1, flash_kb=0.1), cost_fn=subnet_cost)


def _drive(oracle, score_fn, n):
    """Run `n` trials through the oracle the way a tuner does, scoring each with `score_fn(cfg)`."""
    from keras_tuner.engine.trial import TrialStatus
    from mcunet_tf.oracle import config_from_values
    trials = []
    for _ in range(n):
        trial = oracle.create_trial("tuner0")
        if trial.status == TrialStatus.STOPPED:
            break
        cfg = config_from_values(oracle.space, trial.hyperparameters)
        oracle.update_trial(trial.trial_id, {"val_accuracy": score_fn(cfg)})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
        trials.append((trial, cfg))
    return trials


def test_oracle_never_proposes_over_budget_or_twice(tmp_path):
    from mcunet_tf.oracle import TinyNASOracle
    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    budget = tiny_budget(space, subnet_cost, budget_class)
    oracle = TinyNASOracle(space, budget, max_trials=40, population_size=8, cost_fn=subnet_cost, seed=5)
    oracle._set_project_dir(str(tmp_path), "oracle")

    def score(cfg):  # a smooth made-up objective: big kernels and many MACs are "accurate"
        return sum(b.kernel_size for b in cfg.blocks) / 50 + count_macs(cfg) / 1e6

    trials = _drive(oracle, score, 40)
    assert len(trials) == 40
    configs = [cfg.to_json() for _, cfg in trials]
    assert len(set(configs)) == len(configs)
    assert all(budget.fits(subnet_cost(cfg)) for _, cfg in trials)
    assert oracle.over_budget > 0  # the budget did reject candidates, which never became trials
    initial = [score(cfg) for _, cfg in trials[:8]]
    evolved = [score(cfg) for _, cfg in trials[8:]]
    assert np.mean(evolved) > np.mean(initial)


def test_best_trials_leave_out_those_the_current_cost_model_puts_over_budget(tmp_path, capsys):
    """A search resumed after the kernels (and so the fitted cost model) changed: the trials were costed by the
    old model; the one that no longer fits is not among the best (make demo chose such a subnet once, and its
    final check found it 4.8 kB over the Flash budget)."""
    from mcunet_tf.oracle import TinyNASOracle
    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    budget = tiny_budget(space, subnet_cost, budget_class)
    oracle = TinyNASOracle(space, budget, max_trials=10, population_size=4, cost_fn=subnet_cost, seed=2)
    oracle._set_project_dir(str(tmp_path), "oracle")
    _drive(oracle, lambda cfg: count_macs(cfg) / 1e6, 10)
    before = oracle.get_best_trials(10)
    assert len(before) == 10
    best = oracle.config(before[0].hyperparameters)

    def newer_cost(cfg):  # the new model puts the old best 1 MB over the Flash budget
        cost = subnet_cost(cfg)
        return dataclasses.replace(cost, flash_bytes=cost.flash_bytes + 2 ** 20) if cfg == best else cost

    oracle.cost_fn = newer_cost
    after = oracle.get_best_trials(3)
    assert [t.trial_id for t in after] == [t.trial_id for t in before[1:4]]
    oracle.get_best_trials(3)  # said once, not at every call
    assert capsys.readouterr().out.count(f"trial(s) {before[0].trial_id} no longer fit") == 1


@pytest.mark.parametrize("seed", [0, 3])
def test_the_same_seed_proposes_the_same_trials(tmp_path, seed):
    """Seed 0 included: Keras Tuner's Oracle turns a falsy seed into a random one."""
    from mcunet_tf.oracle import TinyNASOracle
    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    budget = tiny_budget(space, subnet_cost, budget_class)
    runs = []
    for run in range(2):
        oracle = TinyNASOracle(space, budget, max_trials=12, population_size=4, cost_fn=subnet_cost, seed=seed)
        oracle._set_project_dir(str(tmp_path / str(run)), "oracle")
        runs.append([cfg.to_json() for _, cfg in _drive(oracle, lambda cfg: count_macs(cfg) / 1e6, 12)])
    assert len(runs[0]) == 12 and runs[0] == runs[1]


def test_oracle_stops_when_the_budget_leaves_nothing_new(tmp_path, capsys):
    from mcunet_tf.oracle import TinyNASOracle
    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    smallest = subnet_cost(TinyNASOracle(space, budget_class(), cost_fn=subnet_cost).config({
        "stage1_depth": 1, "stage1_block0_kernel": 3, "stage1_block0_expand": 3,
        "stage2_depth": 1, "stage2_block0_kernel": 3, "stage2_block0_expand": 3}))
    budget = budget_class(sram_kb=smallest.sram_bytes / 1024, flash_kb=smallest.flash_bytes / 1024)
    oracle = TinyNASOracle(space, budget, max_trials=10, cost_fn=subnet_cost, max_rejections=300, seed=1)
    oracle._set_project_dir(str(tmp_path), "oracle")
    trials = _drive(oracle, lambda cfg: 0.5, 10)
    assert 1 <= len(trials) < 10
    assert "no new subnet within the budget" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ tuner
@pytest.fixture(scope="module")
def digits16():
    from mcunet_tf import data
    return data.digits(16, val_fraction=0.2, seed=0)


def make_tuner(directory, max_trials, **kwargs):
    from mcunet_tf.tuner import TinyNAS
    subnet_cost, budget_class = cost_model()
    space = tiny_space()
    options = dict(supernet_epochs=1, finetune_epochs=1, population_size=2, seed=7, cost_fn=subnet_cost)
    options.update(kwargs)
    return TinyNAS(space, tiny_budget(space, subnet_cost, budget_class), max_trials=max_trials,
                   directory=str(directory), project_name="tiny", **options)


@pytest.fixture(scope="module")
def searched(tmp_path_factory, digits16):
    """A finished 3-trial search (shared by the search and resume tests)."""
    (x, y), (xv, yv) = digits16
    directory = tmp_path_factory.mktemp("tinynas")
    tuner = make_tuner(directory, 3)
    tuner.search(x, y, validation_data=(xv, yv))
    return tuner, directory


@pytest.mark.e2e
def test_search_reports_in_budget_trials_and_returns_tf_keras_models(searched, digits16, capsys):
    import tf_keras as keras
    from keras_tuner.engine.trial import TrialStatus
    tuner, _ = searched
    (x, y), (xv, yv) = digits16
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 3 and all(t.status == TrialStatus.COMPLETED for t in trials)
    for trial in trials:
        cfg = tuner.config(trial)
        assert tuner.budget.fits(tuner.cost_fn(cfg))
        assert trial.metrics.get_last_value("macs") == tuner.cost_fn(cfg).macs
        assert 0.0 <= trial.score <= 1.0
    best_hp = tuner.get_best_hyperparameters(1)[0]
    assert tuner.get_best_configs(1)[0] == tuner.config(best_hp)
    assert best_hp.values == tuner.oracle.get_best_trials(1)[0].hyperparameters.values

    model = tuner.get_best_models(1)[0]
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    assert model.input_shape == (None, 16, 16, 3) and model.output_shape == (None, 10)
    accuracy = np.mean(np.argmax(model.predict(xv, verbose=0), -1) == yv)
    assert accuracy > 0.3, accuracy  # chance is 0.1
    assert "fine-tuned trial" in capsys.readouterr().out
    again = tuner.get_best_models(1)[0]  # cached fine-tuned weights: no second fine-tuning
    assert "fine-tuned" not in capsys.readouterr().out
    np.testing.assert_allclose(again.predict(xv[:8], verbose=0), model.predict(xv[:8], verbose=0), atol=1e-5)

    tuner.results_summary(2)
    out = capsys.readouterr().out
    assert "Results summary" in out and "SRAM kB" in out and "Score:" in out


@pytest.mark.e2e
def test_resume_runs_only_the_missing_trials(searched, digits16, tmp_path, capsys):
    from keras_tuner.engine.trial import TrialStatus
    first, directory = searched
    (x, y), (xv, yv) = digits16
    copy = tmp_path / "resumed"
    shutil.copytree(directory, copy)
    supernet = copy / "tiny" / "supernet.npz"
    mtime = os.path.getmtime(supernet)
    before = {tid: (t.hyperparameters.values, t.score) for tid, t in first.oracle.trials.items()}

    tuner = make_tuner(copy, 5)
    assert tuner.remaining_trials == 2
    capsys.readouterr()
    tuner.search(x, y, validation_data=(xv, yv))
    out = capsys.readouterr().out
    assert "reusing the supernet" in out and "training the supernet" not in out
    assert out.count("val_accuracy") == 2  # one progress line per new trial
    assert os.path.getmtime(supernet) == mtime
    trials = tuner.oracle.trials
    assert len(trials) == 5 and all(t.status == TrialStatus.COMPLETED for t in trials.values())
    for tid, (values, score) in before.items():
        assert trials[tid].hyperparameters.values == values and trials[tid].score == score
    configs = {tuner.config(t).to_json() for t in trials.values()}
    assert len(configs) == 5


@pytest.mark.e2e
def test_oracle_with_the_patch_cost_proposes_subnets_that_fit_only_patch_by_patch(tmp_path):
    from mcunet_tf.cost import Budget, patch_cost_fn, subnet_cost
    from mcunet_tf.oracle import TinyNASOracle
    space = tiny_space(resolution=48)
    layer_sram = [subnet_cost(space.sample(seed)).sram_bytes for seed in range(30)]
    budget = Budget(sram_kb=float(np.percentile(layer_sram, 10)) / 1024)
    cost_fn = patch_cost_fn(budget)
    oracle = TinyNASOracle(space, budget, max_trials=8, population_size=4, cost_fn=cost_fn, seed=1)
    oracle._set_project_dir(str(tmp_path), "patch")
    trials = _drive(oracle, lambda cfg: count_macs(cfg) / 1e6, 8)
    assert len(trials) == 8 and all(budget.fits(cost_fn(cfg)) for _, cfg in trials)
    patched = [cfg for _, cfg in trials if cost_fn(cfg).patch != "off"]
    assert patched and not any(budget.fits(subnet_cost(cfg)) for cfg in patched)
