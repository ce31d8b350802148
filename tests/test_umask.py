"""What the commands write gets the user's umask, as `open(path, "w")` and `os.mkdir` would give it: files
0666 and folders 0777 less the umask (temporary files renamed into place would otherwise keep 0600/0700).
The writers: a generated folder (codegen, the Arduino library), files replaced atomically (reports, JSON,
.tflite: tflite_patch.files) and plots (stage 1's CDF)."""
import os
import stat
import subprocess
import sys

import pytest

from conftest import MLPERF, ROOT

KWS = next(p for p in MLPERF if "kws" in p)


def modes(top):
    """{relative path: (is_dir, permission bits)} of everything under `top` (itself included)."""
    found = {".": (True, stat.S_IMODE(os.stat(top).st_mode))}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, top)] = (name in dirs, stat.S_IMODE(os.lstat(path).st_mode))
    return found


def command(umask, *args):
    res = subprocess.run([sys.executable, "-m", "mcunet_tf", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, umask=umask)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_outputs_follow_the_umask(tmp_path, umask):
    out = tmp_path / "out"
    command(umask, "codegen", f"--tflite={KWS}", f"--out_dir={out / 'arduino'}", "--target=arduino")
    command(umask, "stage1", "--sram_kb=64", "--flash_kb=256", "--widths=0.25", "--resolutions=16", "--samples=3",
            "--num_classes=4", "--processes=1", f"--out_dir={out / 'stage1'}")
    found = modes(out)
    for name in ("arduino/src/model.c", "arduino/examples/model", "stage1/stage1_cdf.png", "stage1/stage1.json"):
        assert name in found, sorted(found)
    wrong = {name: oct(mode) for name, (is_dir, mode) in found.items()
             if mode != (0o777 if is_dir else 0o666) & ~umask}
    assert not wrong, f"umask {umask:o}: {wrong}"
