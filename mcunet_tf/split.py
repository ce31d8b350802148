"""Train / validation splits shared by the data sets (`mcunet_tf.data`, `mcunet_tf.glyphs`). Pure numpy."""
from __future__ import annotations

import numpy as np


def stratified_split(x: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int):
    """((x_train, y_train), (x_val, y_val)): each class keeps `val_fraction` of its examples (at least one)
    for validation; both halves shuffled with `seed`."""
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_val = max(1, int(round(len(idx) * val_fraction)))
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    val_idx = rng.permutation(np.concatenate(val_idx))
    return (x[train_idx], labels[train_idx]), (x[val_idx], labels[val_idx])
