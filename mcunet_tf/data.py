"""Offline data sets for searches and tests (nothing is downloaded).

`digits`: scikit-learn's 1,797 handwritten 8x8 digits (shipped inside the scikit-learn wheel), upscaled
bilinearly to resolution x resolution, replicated to 3 channels and scaled to [-1, 1] (the range the zoo's
random models are calibrated on). Pure numpy: no TensorFlow import.
"""
from __future__ import annotations

import numpy as np

DATASETS = ("digits",)


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of 1-D bilinear interpolation with half-pixel centres (align_corners=False)."""
    matrix = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        centre = (i + 0.5) * n_in / n_out - 0.5
        centre = min(max(centre, 0.0), n_in - 1.0)
        lo = int(np.floor(centre))
        hi = min(lo + 1, n_in - 1)
        frac = centre - lo
        matrix[i, lo] += 1.0 - frac
        matrix[i, hi] += frac
    return matrix


def resize_bilinear(images: np.ndarray, resolution: int) -> np.ndarray:
    """Resize (N, H, W) images to (N, resolution, resolution) with separable bilinear interpolation."""
    rows = _bilinear_matrix(images.shape[1], resolution)
    cols = _bilinear_matrix(images.shape[2], resolution)
    return np.einsum("ih,nhw,jw->nij", rows, images, cols)


def digits(resolution: int = 32, val_fraction: float = 0.2, seed: int = 0, channels: int = 3
           ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """scikit-learn `load_digits`, as ((x_train, y_train), (x_val, y_val)).

    x: float32 (N, resolution, resolution, channels) in [-1, 1]; y: int32 class ids 0-9. The split is
    stratified (each class keeps `val_fraction` of its images for validation) and shuffled with `seed`.
    """
    from sklearn.datasets import load_digits

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), not {val_fraction}")
    bunch = load_digits()
    images = bunch.images.astype(np.float64) / 16.0  # 0..16 -> 0..1
    labels = bunch.target.astype(np.int32)
    x = resize_bilinear(images, resolution) * 2.0 - 1.0
    x = np.repeat(x[..., None], channels, axis=-1).astype(np.float32)

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


def load(name: str, resolution: int, val_fraction: float = 0.2, seed: int = 0):
    """A data set by name (see `DATASETS`), as ((x_train, y_train), (x_val, y_val))."""
    if name == "digits":
        return digits(resolution, val_fraction, seed)
    raise ValueError(f"unknown dataset {name!r}; offline data sets: {', '.join(DATASETS)}")
