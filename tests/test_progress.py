"""Progress of supernet training (mcunet_tf/progress.py): a step bar redrawn in place on a terminal (a real
pseudo-terminal here), only the epoch line in a log."""
import os
import pty
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e  # trains a (tiny) supernet

TRAIN = """
import numpy as np
from mcunet_tf.space import SearchSpace, StageSpace
from mcunet_tf.supernet import Supernet
space = SearchSpace(stages=[StageSpace(8, 1, (1,), (3,), (1,)), StageSpace(16, 2, (1, 2))], first_conv_base_width=8,
                    kernel_choices=(3,), expand_choices=(3,), feature_mix_base_width=16, resolution=8, num_classes=4)
rng = np.random.default_rng(0)
Supernet(space, seed=0).train(rng.uniform(-1, 1, (64, 8, 8, 3)), rng.integers(0, 4, 64), epochs=1, batch_size=16)
"""


def run_train(on_terminal: bool) -> str:
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    if not on_terminal:
        return subprocess.run([sys.executable, "-c", TRAIN], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True, timeout=600).stdout
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", TRAIN], cwd=ROOT, env=env, stdout=child,
                            stderr=subprocess.DEVNULL)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=600) == 0
    os.close(main)
    return out.decode()


def test_supernet_epoch_shows_a_step_bar_on_a_terminal_only():
    terminal, log = run_train(True), run_train(False)
    assert "4/4 [" in terminal and "loss:" in terminal and "\r" in terminal  # 64 images / 16: 4 steps
    assert "supernet epoch 1: loss" in terminal
    assert "supernet epoch 1: loss" in log and "[" not in log and "\r" not in log
