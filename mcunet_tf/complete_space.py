"""The search space TinyNAS searches, completed from the user's data and budget (MCUNet's stage 1).

A `SearchSpace.mcunet()` may leave `open_axes`: `in_channels` and `num_classes` are then read from the
data, `width_multiplier` and `resolution` chosen by stage 1 for the budget (`mcunet_tf.stage1`: the pair
whose fitting subnets have the largest mean MACs). Stage 1 does not consider resolutions above the data's
own: upsampled pixels add MACs without adding information, which the MACs criterion cannot see. Axes the
user gave are kept as given.

The choice is kept in the project directory (`search_space.json`, with `stage1.json`, the table
`stage1.txt` and the CDF plot `stage1_cdf.png`): a resumed search reads it back and never redoes stage 1.
The images are then resized to the space's resolution on the fly (`resize_images`).
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Callable

import numpy as np
import tensorflow as tf

from mcunet_tf import stage1
from mcunet_tf.cost import subnet_cost
from mcunet_tf.oracle import describe_budget
from mcunet_tf.search_folder import START_OVER, read_json_state
from mcunet_tf.space import SearchSpace
from tflite_patch.files import atomic_write

SPACE_FILE = "search_space.json"
# Stage 1's default grid; resolutions above the data's own are dropped.
STAGE1_WIDTHS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 1.0)
STAGE1_RESOLUTIONS = (16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224)
RESIZE_CHUNK = 1024  # images resized at once from an array


@dataclasses.dataclass
class DataShape:
    """What a search space needs to know of the data: image size (None: varies), channels, classes."""
    resolution: int | None
    channels: int
    num_classes: int


def _labels_max(data) -> int:
    x, y = data
    if y is not None:
        return int(np.max(y)) if len(y) else -1
    return max((int(tf.reduce_max(labels)) for _, labels in x), default=-1)  # one pass over the labels


def data_shape(train, validation) -> DataShape:
    """The `DataShape` of `search`'s (x, y) pairs: arrays (N, H, W, C), or (dataset, None) whose images
    have a known channel count. Classes are the largest label + 1 (a dataset is read once for it)."""
    x = train[0]
    shape = tuple(x.element_spec[0].shape[1:]) if isinstance(x, tf.data.Dataset) else x.shape[1:]
    if len(shape) != 3 or shape[2] is None:
        raise ValueError(f"TinyNAS needs images (height, width, channels), not {tuple(shape)}")
    height, width, channels = shape
    resolution = int(height) if height is not None and height == width else None
    return DataShape(resolution, int(channels), max(_labels_max(train), _labels_max(validation)) + 1)


def _check_data(space: SearchSpace, shape: DataShape) -> None:
    if shape.channels != space.in_channels:
        raise ValueError(f"the images have {shape.channels} channel(s) but the search space takes "
                         f"{space.in_channels}: leave in_channels out of SearchSpace.mcunet() to take the data's")
    if shape.num_classes > space.num_classes:
        raise ValueError(f"the labels go up to {shape.num_classes - 1} but the search space has "
                         f"{space.num_classes} classes: leave num_classes out of SearchSpace.mcunet() to take the "
                         "data's")


def stage1_grid(space: SearchSpace, shape: DataShape, widths=None, resolutions=None) -> tuple[list, list]:
    """The (widths, resolutions) stage 1 compares: the given ones, else the defaults up to the data's
    resolution; an axis the user fixed in `space` is that one value."""
    open_axes = set(space.open_axes)
    widths = list(widths or STAGE1_WIDTHS) if "width_multiplier" in open_axes else [space.width_multiplier]
    if "resolution" not in open_axes:
        return widths, [space.resolution]
    if resolutions:
        return widths, list(resolutions)
    if shape.resolution is None:
        raise ValueError("the images have no fixed square size: give SearchSpace.mcunet(resolution=...) "
                         "or stage1_resolutions")
    return widths, [r for r in STAGE1_RESOLUTIONS if r < shape.resolution] + [shape.resolution]


def run_stage1(space: SearchSpace, budget, grid: tuple[list, list], folder: str, samples: int,
               min_fit_fraction: float = 0.0, seed: int = 0, cost_fn=None,
               log: Callable[[str], None] = print) -> SearchSpace:
    """Stage 1 over `grid` for `budget`; writes stage1.json, stage1.txt and stage1_cdf.png into `folder`
    and returns `space` at the chosen pair. ValueError (one line) when no pair has a fitting subnet."""
    widths, resolutions = grid
    log(f"TinyNAS stage 1: {len(widths)} widths x {len(resolutions)} resolutions, {samples} subnets each")
    result = stage1.optimize_search_space(
        budget, widths, resolutions, samples=samples, seed=seed, min_fit_fraction=min_fit_fraction,
        cost_fn=cost_fn or subnet_cost, prune=True, num_classes=space.num_classes,
        in_channels=space.in_channels)
    table = result.table()
    if result.best is None:
        raise ValueError(f"no subnet of SearchSpace.mcunet at widths {min(widths):g}-{max(widths):g} and "
                         f"resolutions {min(resolutions)}-{max(resolutions)} fits the budget "
                         f"({describe_budget(budget)}): "
                         "raise the budget or give smaller stage1_widths / stage1_resolutions")
    os.makedirs(folder, exist_ok=True)
    result.plot(os.path.join(folder, "stage1_cdf.png"))
    atomic_write(os.path.join(folder, "stage1.txt"), table + "\n")
    atomic_write(os.path.join(folder, "stage1.json"), result.to_json())
    log(table)
    chosen = {k: v for k, v in (("width_multiplier", result.best.width), ("resolution", result.best.resolution))
              if k in space.open_axes}
    return space.fill(**chosen)


def saved_space(folder: str, space: SearchSpace, budget) -> SearchSpace | None:
    """The completed space a former search of `folder` kept for the open `space` (None: no such file).
    ValueError when it completes another space or was chosen for another budget."""
    path = os.path.join(folder, SPACE_FILE)
    if not os.path.exists(path):
        return None
    state = read_json_state(path, folder, f"delete it to run stage 1 again, or {START_OVER}")
    saved = SearchSpace.from_dict(state["space"])
    given = {axis: getattr(saved, axis) for axis in space.open_axes}
    if dataclasses.replace(saved, open_axes=()) != dataclasses.replace(space, **given, open_axes=()):
        raise ValueError(f"the project in {folder} searched another search space; use another project_name or "
                         "overwrite=True")
    if state["budget"] != dataclasses.asdict(budget):
        raise ValueError(f"the project in {folder} chose its search space for the budget {state['budget']}, not "
                         f"{dataclasses.asdict(budget)}; use another project_name or overwrite=True")
    return saved


def complete_space(space: SearchSpace, budget, shape: DataShape, folder: str, samples: int = 100,
                   widths=None, resolutions=None, min_fit_fraction: float = 0.0, seed: int = 0, cost_fn=None,
                   log: Callable[[str], None] = print) -> SearchSpace:
    """`space` with its open axes filled (data, then stage 1) and kept in `folder` (see the module
    docstring); a space already completed there is returned as it was. Checks the data against it."""
    completed = saved_space(folder, space, budget) if space.open_axes else space
    if completed is None:
        completed = space.fill(**{k: v for k, v in (("in_channels", shape.channels),
                                                    ("num_classes", shape.num_classes)) if k in space.open_axes})
        if completed.open_axes:
            grid = stage1_grid(completed, shape, widths, resolutions)
            completed = run_stage1(completed, budget, grid, folder, samples, min_fit_fraction, seed, cost_fn, log)
        atomic_write(os.path.join(folder, SPACE_FILE), json.dumps(
            {"space": completed.to_dict(), "budget": dataclasses.asdict(budget), "open_axes": list(space.open_axes)},
            indent=1))
    if space.open_axes:
        log(f"TinyNAS: search space width {completed.width_multiplier:g}, resolution {completed.resolution}, "
            f"{completed.in_channels} channel(s), {completed.num_classes} classes "
            f"(open: {', '.join(space.open_axes)}; kept in {os.path.join(folder, SPACE_FILE)})")
    _check_data(completed, shape)
    return completed


def resize_images(x, resolution: int):
    """Images resized (bilinear) to `resolution` x `resolution`: an array (N, H, W, C) into a new float32
    array, chunk by chunk; a `tf.data.Dataset` of (images, labels) batches mapped lazily (never copied)."""
    if isinstance(x, tf.data.Dataset):
        if tuple(x.element_spec[0].shape[1:3]) == (resolution, resolution):
            return x
        return x.map(lambda images, labels: (tf.image.resize(images, (resolution, resolution)), labels))
    if x.shape[1:3] == (resolution, resolution):
        return x
    out = np.empty((len(x), resolution, resolution, x.shape[3]), np.float32)
    for start in range(0, len(x), RESIZE_CHUNK):
        out[start:start + RESIZE_CHUNK] = tf.image.resize(x[start:start + RESIZE_CHUNK], (resolution, resolution))
    return out
