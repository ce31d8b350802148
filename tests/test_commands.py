"""The command-line tools as a user gets them (mcunet_tf/cli): console scripts from setup.py, installed by
pip; `python -m mcunet_tf <command>`; the scripts/*.py wrappers. All three give the same files."""
import filecmp
import os
import shutil
import subprocess
import sys

import pytest

from conftest import MLPERF, ROOT
from mcunet_tf.cli import COMMANDS

KWS = next(p for p in MLPERF if "kws" in p)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def same_tree(a, b):
    """Every file of `a` and `b`, byte for byte (filecmp.dircmp's shallow compare would trust sizes)."""
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors and len(match) == len(names)
    return names


def test_module_lists_every_command():
    res = run([sys.executable, "-m", "mcunet_tf", "--help"], cwd=ROOT)
    assert res.returncode == 0, res.stderr
    for name, (_, script, _) in COMMANDS.items():
        assert f"  {name} " in res.stdout and f"({script})" in res.stdout


def test_module_unknown_command_is_one_line():
    res = run([sys.executable, "-m", "mcunet_tf", "compile"], cwd=ROOT)
    assert res.returncode != 0 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        f"error: unknown command 'compile'; commands: {', '.join(COMMANDS)}"]


@pytest.mark.parametrize("name", ["codegen", "pipeline"])
def test_command_help_shows_its_usage_and_flags(name):
    """absl's own --help would list the flags of `__main__` (the wrapper): none."""
    res = run([sys.executable, "-m", "mcunet_tf", name, "--help"], cwd=ROOT)
    assert res.returncode == 0, res.stderr
    script = COMMANDS[name][1]
    assert f"  {script} --" in res.stdout  # the usage line of the docstring, under the command's name
    assert "--out_dir:" in res.stdout and f"mcunet_tf.cli.{name}:" in res.stdout


def test_module_and_wrapper_write_the_same_files(tmp_path):
    script = run([sys.executable, os.path.join(ROOT, "scripts", "codegen.py"), f"--tflite={KWS}",
                  f"--out_dir={tmp_path / 'script'}"])
    module = run([sys.executable, "-m", "mcunet_tf", "codegen", f"--tflite={KWS}", f"--out_dir={tmp_path / 'module'}"],
                 cwd=ROOT)
    assert script.returncode == 0 and module.returncode == 0, script.stderr + module.stderr
    assert script.stdout.replace("script", "module") == module.stdout
    assert "model.c" in same_tree(tmp_path / "script", tmp_path / "module")


def test_installed_console_scripts(tmp_path):
    """pip installs one console script per command; `mcunet-codegen` runs from outside the checkout on the
    installed package (package data: the kernels) and writes what scripts/codegen.py writes."""
    source, site = tmp_path / "source", tmp_path / "site"
    for package in ("mcunet_tf", "tflite_patch", "micro_runtime"):  # setuptools leaves build/ in the source
        shutil.copytree(os.path.join(ROOT, package), source / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*_test", "*.o"))
    shutil.copy(os.path.join(ROOT, "setup.py"), source)
    res = run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
               "--target", str(site), str(source)])
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(site / "bin")) == sorted(script for _, script, _ in COMMANDS.values())
    env = dict(os.environ, PYTHONPATH=str(site))
    where = run([sys.executable, "-c", "import mcunet_tf.cli, micro_runtime; print(micro_runtime.__file__)"],
                cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    codegen = str(site / "bin" / "mcunet-codegen")
    assert "--tflite:" in run([codegen, "--help"], cwd=tmp_path, env=env).stdout
    installed = run([codegen, f"--tflite={KWS}", f"--out_dir={tmp_path / 'installed'}"], cwd=tmp_path, env=env)
    script = run([sys.executable, os.path.join(ROOT, "scripts", "codegen.py"), f"--tflite={KWS}",
                  f"--out_dir={tmp_path / 'script'}"])
    assert installed.returncode == 0 and script.returncode == 0, installed.stderr + script.stderr
    same_tree(tmp_path / "installed", tmp_path / "script")
