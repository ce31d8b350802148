"""The MobileNetV2 baseline: the published config, costs from TinyNAS's cost model, training, the script."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED_MODELS
from mcunet_tf import baseline, cost, data
from mcunet_tf.space import SubnetConfig, count_macs


def test_width_035_at_144_is_the_published_mobilenetv2_config():
    published = SubnetConfig.from_proxyless_json(
        os.path.join(SHARED_MODELS, "mcunet_configs", "mbv2-w0.35-r144_imagenet.json"))
    ours = baseline.mobilenetv2(0.35, 144, num_classes=1000)
    assert ours == published
    assert count_macs(ours) == count_macs(published)


def test_grid_costs_are_the_cost_model_and_fits_follows_the_budget():
    budget = cost.make_budget(sram_kb=64, flash_kb=256)
    points = baseline.baseline_grid(budget, [0.1, 0.35, 0.5], [24, 32], num_classes=10)
    assert len(points) == 6
    for p in points:
        c = cost.subnet_cost(baseline.mobilenetv2(p.width, p.resolution, 10))
        assert (p.macs, p.sram_bytes, p.flash_bytes) == (c.macs, c.sram_bytes, c.flash_bytes)
        assert p.fits == (c.sram_bytes <= 64 * 1024 and c.flash_bytes <= 256 * 1024)
    assert any(p.fits for p in points) and not all(p.fits for p in points)
    assert "yes" in baseline.format_grid(points) and "no" in baseline.format_grid(points)


@pytest.mark.e2e
def test_training_a_fitting_point_learns_digits():
    budget = cost.make_budget(flash_kb=256)
    points = baseline.baseline_grid(budget, [0.1, 0.5], [24], num_classes=10)
    logs = []
    best = baseline.train_fitting(points, lambda r: data.load("digits", r), 10, epochs=6, log=logs.append)
    assert best is not None and best.width == 0.1 and len(logs) == 1
    assert best.val_accuracy > 0.5  # chance is 0.1
    assert points[1].val_accuracy is None  # w0.5 does not fit 256 kB of Flash: not trained


@pytest.mark.parametrize("args, message", [
    (["--flash_kb=-"], "flash_kb"),
    ([], "give a budget"),
    (["--sram_kb=64", "--widths=a"], "--widths takes numbers"),
    (["--sram_kb=64", "--epochs=0"], "--epochs must be >= 1"),
    (["--device=esp32"], "unknown device 'esp32'"),
])
def test_script_bad_flags_are_one_line(tmp_path, args, message):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "baseline.py"), *args,
                          f"--out_dir={tmp_path / 'out'}"], capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in res.stderr, res.stderr
    assert not os.path.exists(tmp_path / "out")


def test_script_nothing_fits_is_an_error_with_the_grid_written(tmp_path):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "baseline.py"), "--flash_kb=10",
                          "--widths=0.5", "--resolutions=16", f"--out_dir={tmp_path}"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode != 0 and "error: no MobileNetV2 of the grid fits" in res.stderr
    report = json.loads((tmp_path / "baseline.json").read_text())
    assert report["best"] is None and report["grid"][0]["fits"] is False
