"""Progress of the long steps (supernet epochs, fine-tuning, QAT) with Keras' Progbar: a bar redrawn in place
on a terminal; in a log file, where a redrawn bar is noise, one line per epoch (Keras' `verbose=2`, and the
supernet's own epoch line)."""
from __future__ import annotations

import sys


def fit_verbose(verbose: int) -> int:
    """Keras `fit`'s `verbose` for a `verbose` level of ours: 0 stays silent; otherwise the bar (1) on a
    terminal, one line per epoch (2) elsewhere."""
    if not verbose:
        return 0
    return 1 if sys.stdout.isatty() else 2


def step_bar(steps: int, verbose: int):
    """A Progbar over the `steps` of one epoch on a terminal (`bar.update(step, [("loss", value)])`), or None
    when `verbose` is 0 or stdout is not a terminal."""
    if not verbose or not sys.stdout.isatty():
        return None
    import tf_keras
    return tf_keras.utils.Progbar(steps, unit_name="step")
