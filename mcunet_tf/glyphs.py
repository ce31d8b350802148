"""`glyphs`: a harder offline data set than `digits`, generated deterministically (nothing is downloaded).

Each image is one of scikit-learn's handwritten digits (the class), drawn at a random rotation, scale, shear
and position on a canvas of `resolution` x `resolution`, over a random intensity gradient, with fragments of
other digits as clutter and Gaussian noise. The digits drawn for validation are different handwritten digits
than those drawn for training (the split is made on the 1,797 source digits first), so memorising sources
does not help. Differences between architectures that `digits` (easy at 8x8 detail) hides show here.
Pure numpy: no TensorFlow import.
"""
from __future__ import annotations

import numpy as np

from mcunet_tf.split import stratified_split

BATCH = 512  # images rendered at once: bounds the temporary coordinate arrays


def _sources(val_fraction: float, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """scikit-learn's digits in [0, 1], zero-padded by one pixel, split per class into train / val sources."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.pad(bunch.images.astype(np.float32) / 16.0, ((0, 0), (1, 1), (1, 1)))
    labels = bunch.target.astype(np.int32)
    return stratified_split(images, labels, val_fraction, seed)


def _affines(rng: np.random.Generator, n: int, resolution: int, scale: tuple[float, float]) -> np.ndarray:
    """(n, 2, 3) maps from canvas (row, col) to source (row, col) coordinates of a 10x10 padded digit."""
    angle = rng.uniform(-0.45, 0.45, n)  # about +-25 degrees
    size = rng.uniform(*scale, n) * resolution  # the digit's height on the canvas, in pixels
    shear = rng.uniform(-0.3, 0.3, n)
    aspect = rng.uniform(0.8, 1.25, n)
    centre = rng.uniform(0.3, 0.7, (n, 2)) * resolution
    zoom = 10.0 / size  # source pixels per canvas pixel
    cos, sin = np.cos(angle), np.sin(angle)
    linear = np.empty((n, 2, 2))
    linear[:, 0, 0], linear[:, 0, 1] = cos * zoom * aspect, (-sin + shear * cos) * zoom * aspect
    linear[:, 1, 0], linear[:, 1, 1] = sin * zoom / aspect, (cos + shear * sin) * zoom / aspect
    offset = 5.0 - np.einsum("nij,nj->ni", linear, centre)  # the canvas centre lands on the source centre
    return np.concatenate([linear, offset[:, :, None]], axis=2)


def _draw(sources: np.ndarray, affines: np.ndarray, resolution: int) -> np.ndarray:
    """Each source (n, 10, 10) drawn through its affine onto a (resolution, resolution) canvas (bilinear)."""
    n, h, w = sources.shape
    grid = np.stack(np.meshgrid(np.arange(resolution) + 0.5, np.arange(resolution) + 0.5, indexing="ij"), -1)
    coords = np.einsum("nij,rcj->nrci", affines[:, :, :2], grid) + affines[:, None, None, :, 2] - 0.5
    r0, c0 = np.floor(coords[..., 0]).astype(np.int64), np.floor(coords[..., 1]).astype(np.int64)
    fr, fc = coords[..., 0] - r0, coords[..., 1] - c0
    flat = sources.reshape(n, -1)
    batch = np.arange(n)[:, None, None]

    def at(r, c):
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        return np.where(inside, flat[batch, np.clip(r, 0, h - 1) * w + np.clip(c, 0, w - 1)], 0.0)

    return ((1 - fr) * (1 - fc) * at(r0, c0) + (1 - fr) * fc * at(r0, c0 + 1)
            + fr * (1 - fc) * at(r0 + 1, c0) + fr * fc * at(r0 + 1, c0 + 1))


def _render(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, count: int,
            resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` cluttered images in [0, 1] and their labels, from the source digits `images`."""
    picks = rng.integers(0, len(images), count)
    x = np.empty((count, resolution, resolution), np.float32)
    grid = np.linspace(-1.0, 1.0, resolution)
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        digit = _draw(images[picks[start:start + n]], _affines(rng, n, resolution, (0.45, 0.8)), resolution)
        canvas = (rng.uniform(0.0, 0.35, (n, 1, 1))
                  + rng.uniform(-0.15, 0.15, (n, 1, 1)) * grid[None, :, None]
                  + rng.uniform(-0.15, 0.15, (n, 1, 1)) * grid[None, None, :])
        for _ in range(2):  # fragments of other digits: a random quarter of one, smaller and fainter
            other = images[rng.integers(0, len(images), n)].copy()
            keep = np.zeros_like(other)
            r, c = rng.integers(0, 5, (2, n))
            for k in range(n):
                keep[k, r[k]:r[k] + 5, c[k]:c[k] + 5] = 1.0
            fragment = _draw(other * keep, _affines(rng, n, resolution, (0.3, 0.6)), resolution)
            canvas = canvas + rng.uniform(0.3, 0.6, (n, 1, 1)) * fragment
        canvas = canvas + rng.uniform(0.6, 1.0, (n, 1, 1)) * digit
        canvas = canvas + rng.normal(0.0, 1.0, canvas.shape) * rng.uniform(0.05, 0.2, (n, 1, 1))
        x[start:start + n] = np.clip(canvas, 0.0, 1.0)
    return x, labels[picks]


def glyphs(resolution: int = 64, num_train: int = 20000, num_val: int = 4000, val_fraction: float = 0.25,
           seed: int = 0, channels: int = 1) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The `glyphs` data set as ((x_train, y_train), (x_val, y_val)), the same arrays for the same arguments.

    x: float32 (N, resolution, resolution, channels) in [-1, 1]; y: int32 class ids 0-9. `val_fraction` of
    each class's source digits are kept for the validation images.
    """
    if resolution < 8:
        raise ValueError(f"glyphs needs a resolution of at least 8, not {resolution}")
    if num_train < 1 or num_val < 1:
        raise ValueError("glyphs needs num_train and num_val >= 1")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), not {val_fraction}")
    (train_src, train_lab), (val_src, val_lab) = _sources(val_fraction, seed)
    rng = np.random.default_rng([seed, resolution])
    splits = []
    for images, labels, count in ((train_src, train_lab, num_train), (val_src, val_lab, num_val)):
        x, y = _render(rng, images, labels, count, resolution)
        x = np.repeat((x * 2.0 - 1.0)[..., None], channels, axis=-1)
        splits.append((x.astype(np.float32), y.astype(np.int32)))
    return splits[0], splits[1]
