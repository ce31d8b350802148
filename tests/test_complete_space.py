"""The search space completed from the data and the budget: open axes, TinyNAS's stage 1 from the budget
(kept in the project directory, reused on resume), channels and classes from the data, images resized."""
import json
import os

import numpy as np
import pytest

from mcunet_tf.space import SearchSpace

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BUDGET_KB = dict(sram_kb=32, flash_kb=128)
# A few seconds of stage 1: 2 widths x 2 resolutions x 4 subnets.
TINY = dict(samples=4, widths=(0.1, 0.5), resolutions=(16, 24))


def test_mcunet_records_what_the_user_left_open():
    space = SearchSpace.mcunet()
    assert space.open_axes == ("width_multiplier", "resolution", "num_classes", "in_channels")
    assert (space.width_multiplier, space.resolution, space.num_classes, space.in_channels) == (0.5, 160, 1000, 3)
    given = SearchSpace.mcunet(0.35, 32, num_classes=10, in_channels=1)
    assert given.open_axes == ()
    filled = space.fill(width_multiplier=0.35, resolution=32, num_classes=10, in_channels=1)
    assert filled == given and SearchSpace.from_json(space.to_json()) == space
    with pytest.raises(ValueError, match="resolution of this search space are given, not open"):
        SearchSpace.mcunet(resolution=32).fill(resolution=24)
    least = given.sample(min)
    assert {b.kernel_size for b in least.blocks} == {3} and len(least.blocks) == 1 + 5 * 2 + 1


def test_stage1_grid_stops_at_the_data_resolution_and_keeps_given_axes():
    from mcunet_tf.complete_space import DataShape, stage1_grid
    shape = DataShape(resolution=40, channels=1, num_classes=10)
    widths, resolutions = stage1_grid(SearchSpace.mcunet(), shape)
    assert resolutions == [16, 24, 32, 40] and 0.1 in widths
    assert stage1_grid(SearchSpace.mcunet(width_multiplier=0.3), shape) == ([0.3], [16, 24, 32, 40])
    assert stage1_grid(SearchSpace.mcunet(resolution=24), shape, widths=(0.2,)) == ([0.2], [24])
    with pytest.raises(ValueError, match="no fixed square size"):
        stage1_grid(SearchSpace.mcunet(), DataShape(None, 1, 10))


def _shape_of_digits(channels=1):
    from mcunet_tf import data
    from mcunet_tf.complete_space import data_shape
    train, val = data.digits(resolution=24, channels=channels)
    return data_shape(train, val)


def test_stage1_from_the_budget_is_kept_and_reused(tmp_path):
    from mcunet_tf import complete_space
    from mcunet_tf.cost import Budget, subnet_cost
    budget, shape, calls = Budget(**BUDGET_KB), _shape_of_digits(), []
    assert (shape.resolution, shape.channels, shape.num_classes) == (24, 1, 10)

    def counting_cost(cfg):
        calls.append(cfg)
        return subnet_cost(cfg)
    space = complete_space.complete_space(SearchSpace.mcunet(), budget, shape, str(tmp_path), cost_fn=counting_cost,
                                          log=lambda s: None, **TINY)
    assert (space.in_channels, space.num_classes, space.open_axes) == (1, 10, ())
    result = json.loads((tmp_path / "stage1.json").read_text())
    assert (space.width_multiplier, space.resolution) == (result["best"]["width"], result["best"]["resolution"])
    # w0.5 does not fit 128 kB of Flash: each pair's least subnet is costed, only the w0.1 pairs are sampled
    assert [p["samples"] for p in result["pairs"] if p["width"] == 0.5] == [0, 0]
    assert space.width_multiplier == 0.1 and len(calls) == 4 + 2 * 4
    assert "* chosen: width 0.1" in (tmp_path / "stage1.txt").read_text()
    assert (tmp_path / "stage1_cdf.png").stat().st_size > 1000
    calls.clear()
    again = complete_space.complete_space(SearchSpace.mcunet(), budget, shape, str(tmp_path), cost_fn=counting_cost,
                                          log=lambda s: None, samples=50)
    assert again == space and calls == []  # resumed: stage 1 not run again, whatever its settings now


def test_bad_combinations_are_one_line(tmp_path):
    from mcunet_tf import complete_space
    from mcunet_tf.cost import Budget
    shape, quiet = _shape_of_digits(), dict(log=lambda s: None, **TINY)
    with pytest.raises(ValueError, match=r"1 channel\(s\) but the search space takes 3"):
        complete_space.complete_space(SearchSpace.mcunet(in_channels=3), Budget(**BUDGET_KB), shape,
                                      str(tmp_path / "a"), **quiet)
    with pytest.raises(ValueError, match="labels go up to 9 but the search space has 5 classes"):
        complete_space.complete_space(SearchSpace.mcunet(num_classes=5), Budget(**BUDGET_KB), shape,
                                      str(tmp_path / "b"), **quiet)
    with pytest.raises(ValueError, match="no subnet of SearchSpace.mcunet at widths 0.1-0.5 .* fits the budget"):
        complete_space.complete_space(SearchSpace.mcunet(), Budget(sram_kb=1), shape, str(tmp_path / "c"), **quiet)
    assert not os.path.exists(tmp_path / "c" / complete_space.SPACE_FILE)
    complete_space.complete_space(SearchSpace.mcunet(), Budget(**BUDGET_KB), shape, str(tmp_path / "d"), **quiet)
    with pytest.raises(ValueError, match="chose its search space for the budget"):
        complete_space.saved_space(str(tmp_path / "d"), SearchSpace.mcunet(), Budget(sram_kb=64, flash_kb=128))
    with pytest.raises(ValueError, match="searched another search space"):
        complete_space.saved_space(str(tmp_path / "d"), SearchSpace.mcunet(expand_choices=(3,)),
                                   Budget(**BUDGET_KB))


def test_images_are_resized_alike_from_arrays_and_datasets():
    import tensorflow as tf
    from mcunet_tf.complete_space import resize_images
    x = np.random.default_rng(0).uniform(-1, 1, (10, 32, 32, 1)).astype(np.float32)
    y = np.arange(10)
    from_array = resize_images(x, 16)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    from_dataset = np.concatenate([images.numpy() for images, _ in resize_images(dataset, 16)])
    assert from_array.shape == (10, 16, 16, 1) and from_array.dtype == np.float32
    np.testing.assert_allclose(from_dataset, from_array, atol=1e-6)
    # a flat image resizes to itself; the size already right is the same object (no copy)
    np.testing.assert_allclose(resize_images(np.full((2, 32, 32, 1), 0.5, np.float32), 8), 0.5, atol=1e-6)
    assert resize_images(x, 32) is x and resize_images(dataset, 32) is dataset


@pytest.mark.e2e
def test_tinynas_runs_stage1_on_grayscale_data_and_resume_keeps_it(tmp_path, capsys):
    import mcunet_tf as mt
    (x, y), (xv, yv) = mt.data.digits(resolution=24, channels=1)
    x, y, xv, yv = x[:128], y[:128], xv[:64], yv[:64]

    def tuner(trials):
        return mt.TinyNAS(mt.SearchSpace.mcunet(), budget=mt.Budget(**BUDGET_KB), max_trials=trials,
                          directory=str(tmp_path), project_name="gray", supernet_epochs=1, finetune_epochs=0,
                          stage1_samples=4, stage1_widths=(0.1, 0.15), stage1_resolutions=(16,), seed=0)
    first = tuner(1)
    first.search(x[..., 0], y, validation_data=(xv, yv))  # (N, H, W) arrays are one channel too
    out = capsys.readouterr().out
    assert "* chosen: width" in out and first.space.open_axes == ()
    assert (first.space.resolution, first.space.in_channels, first.space.num_classes) == (16, 1, 10)
    model = first.get_best_models(1)[0]
    assert model.input_shape == (None, 16, 16, 1)
    first.folder_lock.release()
    stage1_json = (tmp_path / "gray" / "stage1.json").read_bytes()

    second = tuner(2)
    assert second.space == first.space  # read back before the search: the oracle resumes on the same space
    second.search(x, y, validation_data=(xv, yv))
    out = capsys.readouterr().out
    assert "stage 1" not in out.replace("TinyNAS: search space", "") and len(second.oracle.trials) == 2
    assert (tmp_path / "gray" / "stage1.json").read_bytes() == stage1_json


@pytest.mark.e2e
def test_search_script_runs_stage1_on_the_users_data_and_refuses_in_one_line(tmp_path):
    import subprocess
    import sys
    from conftest import ROOT
    np.savez(tmp_path / "gray.npz", x=np.zeros((40, 20, 20), np.uint8), y=np.arange(40) % 4)
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "search.py"), f"--dataset={tmp_path}/gray.npz",
                          "--sram_kb=2", "--flash_kb=16", f"--out_dir={tmp_path}/out"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode != 0 and "TinyNAS stage 1: 11 widths x 2 resolutions" in res.stdout  # 16 and 20 px
    assert res.stderr.strip().splitlines()[-1] == (
        "error: no subnet of SearchSpace.mcunet at widths 0.1-1 and resolutions 16-20 fits the budget "
        "(SRAM 2.0 kB, Flash 16.0 kB): raise the budget or give smaller stage1_widths / stage1_resolutions")
    assert not os.path.exists(tmp_path / "out" / "gray_rauto_wauto" / "search_space.json")
