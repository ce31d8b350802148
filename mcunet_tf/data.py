"""Data sets for searches, export and tests: the built-in one and the user's own (nothing is downloaded).

`digits`: scikit-learn's 1,797 handwritten 8x8 digits (shipped inside the scikit-learn wheel), upscaled
bilinearly to resolution x resolution, replicated to 3 channels and scaled to [-1, 1] (the range the zoo's
random models are calibrated on). `load` also reads a `.npz` (x, y and optional x_val, y_val) and an image
folder (one subfolder per class, as `image_dataset_from_directory` reads it), fitted to the resolution and
channels a model takes. Pure numpy except for image folders (TensorFlow decodes the files).
"""
from __future__ import annotations

import contextlib
import io
import os
import zipfile
import zlib

import numpy as np

from mcunet_tf.split import stratified_split  # noqa: F401  (part of this module's API)

DATASETS = ("digits", "glyphs")  # built in: generated here, nothing downloaded


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

    return stratified_split(x, labels, val_fraction, seed)


def fit_images(x: np.ndarray, resolution: int | None, channels: int | None,
               pixel_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Images (N, H, W) or (N, H, W, C) as float32 (N, resolution, resolution, channels).

    Integer images are pixels 0..255, mapped linearly onto `pixel_range`; float images are kept as given
    (already the model's scaling). Resized bilinearly when H or W differs from `resolution` (None: kept);
    1 channel is repeated to 3, 3 (or 4, alpha dropped) averaged to 1 (None: kept).
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), not {x.shape}")
    if np.issubdtype(x.dtype, np.integer):
        lo, hi = pixel_range
        x = lo + x.astype(np.float32) * ((hi - lo) / 255.0)
    x = x.astype(np.float32, copy=False)
    if resolution is not None and x.shape[1:3] != (resolution, resolution):
        x = np.stack([resize_bilinear(x[..., c], resolution) for c in range(x.shape[-1])], -1).astype(np.float32)
    if channels is None or x.shape[-1] == channels:
        return x
    if x.shape[-1] == 1:
        return np.repeat(x, channels, axis=-1)
    if channels == 1 and x.shape[-1] in (3, 4):
        return x[..., :3].mean(axis=-1, keepdims=True)
    raise ValueError(f"cannot turn {x.shape[-1]}-channel images into {channels} channels")


def _labels(y, n: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)  # one-hot
    y = y.reshape(-1)
    if len(y) != n or not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
        raise ValueError(f"{name} must hold {n} integer class ids (or one-hot rows), not {y.shape} {y.dtype}")
    return y.astype(np.int32)


def load_npz(path: str, resolution: int | None, channels: int | None, val_fraction: float = 0.2, seed: int = 0,
             pixel_range: tuple[float, float] = (-1.0, 1.0)):
    """A `.npz` with `x`, `y` (or `x_train`, `y_train`) and optional `x_val`, `y_val` (else a stratified
    `val_fraction` split), images fitted by `fit_images`; ((x, y), (x_val, y_val))."""
    with np.load(path) as d:
        keys = set(d.files)
        train = next((k for k in ("x", "x_train") if k in keys), None)
        if train is None or train.replace("x", "y") not in keys:
            raise ValueError(f"{path} holds {sorted(keys)}: it needs x and y (optional x_val, y_val)")
        x = fit_images(d[train], resolution, channels, pixel_range)
        y = _labels(d[train.replace("x", "y")], len(x), train.replace("x", "y"))
        if ("x_val" in keys) != ("y_val" in keys):
            raise ValueError(f"{path} has one of x_val / y_val without the other")
        if "x_val" not in keys:
            return stratified_split(x, y, val_fraction, seed)
        xv = fit_images(d["x_val"], resolution, channels, pixel_range)
        return (x, y), (xv, _labels(d["y_val"], len(xv), "y_val"))


def load_image_folder(path: str, resolution: int | None, channels: int | None, val_fraction: float = 0.2,
                      seed: int = 0, pixel_range: tuple[float, float] = (-1.0, 1.0)):
    """A folder of images, one subfolder per class (class ids in sorted subfolder order), read with
    `image_dataset_from_directory`; resolution and channels default to the first image's."""
    import tensorflow as tf
    import tf_keras

    classes = sorted(e.name for e in os.scandir(path) if e.is_dir())
    files = [os.path.join(path, c, f) for c in classes for f in sorted(os.listdir(os.path.join(path, c)))]
    if len(classes) < 2 or not files:
        raise ValueError(f"{path} needs one subfolder of images per class (found {len(classes)} subfolders)")
    first = tf.io.decode_image(tf.io.read_file(files[0]), expand_animations=False)
    resolution = resolution or int(first.shape[0])
    native = 1 if first.shape[-1] in (1, 2) else 3
    with contextlib.redirect_stdout(io.StringIO()):  # "Found N files belonging to K classes", twice
        train, val = tf_keras.utils.image_dataset_from_directory(
            path, label_mode="int", color_mode="grayscale" if native == 1 else "rgb", batch_size=None,
            image_size=(resolution, resolution), shuffle=True, seed=seed, validation_split=val_fraction,
            subset="both")

    def arrays(dataset):
        x, y = zip(*[(image.numpy(), label.numpy()) for image, label in dataset])
        return fit_images(np.round(np.stack(x)).astype(np.uint8), None, channels, pixel_range), \
            np.asarray(y, np.int32)
    return arrays(train), arrays(val)


def project_name(name: str, resolution: int | None, width_multiplier: float | None) -> str:
    """A search's project name for data set `name` (a built-in name or a path) at a resolution and width
    (None: chosen by stage 1, `auto`)."""
    base = os.path.splitext(os.path.basename(os.path.normpath(name)))[0] or "data"
    return f"{base}_r{resolution or 'auto'}_w{'auto' if width_multiplier is None else f'{width_multiplier:g}'}"


def load(name: str, resolution: int | None, val_fraction: float = 0.2, seed: int = 0, channels: int | None = None,
         pixel_range: tuple[float, float] = (-1.0, 1.0)):
    """A data set as ((x_train, y_train), (x_val, y_val)): the built-in `digits` (32 px, 3 channels unless
    given) or `glyphs` (`mcunet_tf.glyphs`: 64 px, 1 channel unless given; 20,000 + 4,000 images), a `.npz`
    file or an image folder (see `load_npz`, `load_image_folder`). Pixels (built-in sets, integer arrays,
    image files) are scaled onto `pixel_range`."""
    if name in DATASETS:
        if name == "digits":
            (x, y), (xv, yv) = digits(resolution or 32, val_fraction, seed, channels or 3)
        else:
            from mcunet_tf.glyphs import glyphs
            (x, y), (xv, yv) = glyphs(resolution or 64, val_fraction=val_fraction, seed=seed, channels=channels or 1)
        lo, hi = pixel_range
        return (lo + (x + 1) * ((hi - lo) / 2), y), (lo + (xv + 1) * ((hi - lo) / 2), yv)
    if name.endswith(".npz") and os.path.isfile(name):
        try:
            return load_npz(name, resolution, channels, val_fraction, seed, pixel_range)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:  # truncated or not a .npz at all
            raise ValueError(f"cannot read {name} as a .npz: {e}") from None
    if os.path.isdir(name):
        return load_image_folder(name, resolution, channels, val_fraction, seed, pixel_range)
    raise ValueError(f"data set {name!r} is neither a built-in one ({', '.join(DATASETS)}), an existing .npz "
                     "file nor an image folder")
