"""The strided block copy the shape ops share (kernels/copy_strided.c, `mr_copy_params`): the generator
computes each op's extents, strides and offsets here, at generation time, and emits one call per block."""
from __future__ import annotations

import numpy as np

from micro_runtime.lowering.base import Emitter
from tflite_patch.graph import ModelError

COPY_DIMS = 6
SOURCES = ("copy_strided.c",)


def row_strides(shape) -> list[int]:
    """Row-major strides (in elements) of `shape`."""
    strides, step = [], 1
    for n in reversed(list(shape)):
        strides.append(step)
        step *= int(n)
    return strides[::-1]


def copy_params(shape, in_strides, out_strides, in_offset: int, out_offset: int, elem_bytes: int) -> dict:
    """The `mr_copy_params` fields of a block copy given in elements: extent-1 dimensions dropped,
    dimensions that are contiguous in both input and output merged, 1s in front up to COPY_DIMS."""
    dims: list[tuple[int, int, int]] = []
    for n, i, o in zip(shape, in_strides, out_strides):
        n, i, o = int(n), int(i), int(o)
        if n == 1:
            continue
        if dims and dims[-1][1] == i * n and dims[-1][2] == o * n:
            dims[-1] = (dims[-1][0] * n, i, o)
        else:
            dims.append((n, i, o))
    if not dims:
        dims = [(1, 1, 1)]
    if len(dims) > COPY_DIMS:
        raise ModelError(f"a copy of {len(dims)} strided dimensions (at most {COPY_DIMS})")
    dims = [(1, 0, 0)] * (COPY_DIMS - len(dims)) + dims
    return {"elem_bytes": elem_bytes, "shape": tuple(d[0] for d in dims),
            "in_stride": tuple(d[1] * elem_bytes for d in dims),
            "out_stride": tuple(d[2] * elem_bytes for d in dims),
            "in_offset": int(in_offset) * elem_bytes, "out_offset": int(out_offset) * elem_bytes}


def copy_span(shape, strides, offset: int, elem_bytes: int) -> tuple[int, int]:
    """Bytes [lo, hi) of its tensor that a copy's side (its `mr_copy_params` shape, byte strides and
    offset) touches: the formula the kernel's checked build asserts (copy_strided.c). (0, 0) when empty."""
    if any(n <= 0 for n in shape):
        return 0, 0
    reach = [(n - 1) * s for n, s in zip(shape, strides)]
    return offset + sum(r for r in reach if r < 0), offset + sum(r for r in reach if r > 0) + elem_bytes


def elem_bytes(e: Emitter, t: int) -> int:
    return np.dtype(e.t(t).dtype).itemsize


def emit_copy(e: Emitter, x: int, y: int, shape, in_strides, out_strides, in_offset: int = 0,
              out_offset: int = 0) -> None:
    """One `mr_copy_strided` call from tensor x to tensor y (strides and offsets in elements)."""
    if int(np.prod(shape)) == 0:
        return
    fields = copy_params(shape, in_strides, out_strides, in_offset, out_offset, elem_bytes(e, x))
    for t, side, verb in ((x, "in", "reads"), (y, "out", "writes")):
        lo, hi = copy_span(fields["shape"], fields[f"{side}_stride"], fields[f"{side}_offset"], fields["elem_bytes"])
        if lo < 0 or hi > e.t(t).nbytes:  # the bounds proof holds a call to its tensors' extents: so must each copy
            raise ModelError(f"a strided copy {verb} bytes [{lo}, {hi}) of tensor {t} ({e.t(t).name}), which has "
                             f"{e.t(t).nbytes}")
    e.call("mr_copy_strided", e.operand(x), e.ptr(y), e.params("mr_copy_params", "copy", fields))


def emit_slice(e: Emitter, x: int, y: int, starts, counts, steps=None) -> None:
    """y = x[starts[k] :: steps[k] (counts[k] elements), ...] with y contiguous."""
    shape = e.t(x).shape
    steps = [1] * len(shape) if steps is None else steps
    xs = row_strides(shape)
    emit_copy(e, x, y, counts, [s * st for s, st in zip(xs, steps)], row_strides(counts),
              sum(int(a) * s for a, s in zip(starts, xs)))


def emit_place(e: Emitter, x: int, y: int, starts) -> None:
    """y[starts[k] : starts[k] + x.shape[k], ...] = x with x contiguous."""
    shape, ys = e.t(x).shape, row_strides(e.t(y).shape)
    emit_copy(e, x, y, shape, row_strides(shape), ys, 0, sum(int(a) * s for a, s in zip(starts, ys)))


def const_ints(e: Emitter, t: int, what: str) -> list[int]:
    """The values of a constant integer tensor (ModelError when it is not constant)."""
    tensor = e.t(t) if isinstance(e, Emitter) else e.tensors[t]
    if tensor.data is None:
        raise ModelError(f"{what} must be a constant tensor")
    return [int(v) for v in np.asarray(tensor.data).reshape(-1)]
