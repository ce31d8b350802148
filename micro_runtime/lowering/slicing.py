"""STRIDED_SLICE and SLICE (a strided block copy whose strides and offset are computed here, as TFLM's
Prepare does), GATHER and GATHER_ND (indices read at run time)."""
from __future__ import annotations

import math

import numpy as np

from micro_runtime.lowering import strided
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op

INT_MIN, INT_MAX = -2**31, 2**31 - 1


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if hi < v else lo if v < lo else v


def strided_slice_axes(shape, begin, end, steps, begin_mask: int, end_mask: int, shrink_mask: int):
    """(start, count, stride, kept) per axis, as TFLM's strided_slice::StartForAxis / StopForAxis and
    CheckOutputSize (TFLM's micro kernel ignores the ellipsis and new-axis masks and `offset`)."""
    axes = []
    for k, size in enumerate(shape):
        stride, size = int(steps[k]), int(size)
        if stride == 0:
            raise ModelError("stride value has to be non-zero")
        start = begin[k]
        if begin_mask >> k & 1:
            start = INT_MIN if stride > 0 else INT_MAX
        start = int(start)
        if start < 0:
            start += size
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
        shrink = bool(shrink_mask >> k & 1)
        if shrink:
            if not 0 <= start < size:  # TFLM's Eval then copies nothing: the output is left undefined
                raise ModelError(f"shrink axis {k} begins at {begin[k]}, outside its {size} elements")
            stop = start + 1
        else:
            stop = end[k]
            if end_mask >> k & 1:
                stop = INT_MAX if stride > 0 else INT_MIN
            if stop < 0:
                stop += size
            stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
        count = max(0, math.ceil((stop - start) / stride))
        axes.append((start, count, stride, not shrink))
    return axes


def _operands(graph: Graph, op: Op, names: tuple[str, ...], max_rank: int):
    """The input, output and constant index vectors (one value per input dimension) of a slice op."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if len(op.inputs) != len(names) + 1:
        raise ModelError(f"takes {len(names) + 1} inputs, not {len(op.inputs)}")
    if len(x.shape) > max_rank:
        raise ModelError(f"input dim should not exceed {max_rank}")  # TFLM's message
    vectors = [strided.const_ints(graph, t, name) for t, name in zip(op.inputs[1:], names)]
    if any(len(v) != len(x.shape) for v in vectors):
        raise ModelError(f"{', '.join(names)} must have {len(x.shape)} values (the input's rank)")
    return x, y, vectors


class _Slice(Lowering):
    """A block of the input, read with constant strides: `window` gives (starts, counts, steps, output shape)."""
    sources = strided.SOURCES
    activation_type = "any"  # bytes moved by element size: int16 as int8

    def window(self, graph: Graph, op: Op):
        raise NotImplementedError

    def _checked(self, graph: Graph, op: Op):
        starts, counts, steps, shape = self.window(graph, op)
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if list(y.shape) != shape or x.dtype != y.dtype:
            raise ModelError(f"output {y.dtype} {list(y.shape)} is not the slice {x.dtype} {shape} of the input")
        return starts, counts, steps

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._checked(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        strided.emit_slice(e, op.inputs[0], op.outputs[0], *self._checked(e.graph, op))


class StridedSlice(_Slice):
    kinds = ("STRIDED_SLICE",)

    def window(self, graph: Graph, op: Op):
        x, _, (begin, end, steps) = _operands(graph, op, ("begin", "end", "strides"), 4)
        o = op.options
        axes = strided_slice_axes(x.shape, begin, end, steps, int(o.get("beginMask", 0)), int(o.get("endMask", 0)),
                                  int(o.get("shrinkAxisMask", 0)))
        return ([a[0] for a in axes], [a[1] for a in axes], [a[2] for a in axes],
                [count for _, count, _, keep in axes if keep])


class Slice(_Slice):
    kinds = ("SLICE",)

    def window(self, graph: Graph, op: Op):
        x, _, (begin, size) = _operands(graph, op, ("begin", "size"), 5)
        counts = [n - b if s == -1 else s for n, b, s in zip(x.shape, begin, size)]
        if any(b < 0 or c < 0 or b + c > n for b, c, n in zip(begin, counts, x.shape)):
            raise ModelError(f"slice begin {begin} size {size} is outside the input {list(x.shape)}")
        return begin, counts, [1] * len(counts), counts


class _Gather(Lowering):
    """GATHER and GATHER_ND: positions (int32) read at run time by gather.c; constant positions outside
    the input are refused (TFLM's Eval fails on them)."""
    sources = ("gather.c",)

    def fields(self, graph: Graph, op: Op) -> tuple[dict, list[int]]:
        """The kernel's parameter fields and the output shape TFLM's Prepare computes."""
        raise NotImplementedError

    def _checked(self, graph: Graph, op: Op):
        if len(op.inputs) != 2 or len(op.outputs) != 1:
            raise ModelError(f"takes 2 inputs and 1 output, not {len(op.inputs)} and {len(op.outputs)}")
        x, positions, y = (graph.tensors[t] for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if positions.dtype != "int32":
            raise ModelError(f"positions of type {positions.dtype} are not supported (int32 only)")
        fields, shape = self.fields(graph, op)
        if list(y.shape) != shape or x.dtype != y.dtype:
            raise ModelError(f"output {y.dtype} {list(y.shape)} is not {x.dtype} {shape}")
        return fields

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._checked(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        kind = op.kind.lower()
        fields = self._checked(e.graph, op)
        e.call(f"mr_{kind}", e.operand(op.inputs[0]), e.operand(op.inputs[1]), e.ptr(op.outputs[0]),
               e.params(f"mr_{kind}_params", kind, fields))


class Gather(_Gather):
    kinds = ("GATHER",)

    def fields(self, graph, op):
        x, coords = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        rank, coords_rank = len(x.shape), len(coords.shape)
        axis, batch_dims = int(op.options.get("axis", 0)), int(op.options.get("batchDims", 0))
        axis += rank if axis < 0 else 0
        batch_dims += coords_rank if batch_dims < 0 else 0
        if not 0 <= axis < rank or not 0 <= batch_dims <= axis or batch_dims >= rank or batch_dims > coords_rank \
                or list(x.shape[:batch_dims]) != list(coords.shape[:batch_dims]):
            raise ModelError(f"axis {axis} and batch_dims {batch_dims} do not fit input {list(x.shape)} "
                             f"and positions {list(coords.shape)}")
        if coords.data is not None and (coords.data.min() < 0 or coords.data.max() >= x.shape[axis]):
            raise ModelError(f"constant positions outside 0..{x.shape[axis] - 1} (TFLM's Eval fails)")
        prod = lambda dims: int(np.prod(dims, dtype=np.int64))  # noqa: E731
        fields = {"batch_size": prod(x.shape[:batch_dims]), "outer_size": prod(x.shape[batch_dims:axis]),
                  "axis_size": int(x.shape[axis]), "coord_size": prod(coords.shape[batch_dims:]),
                  "inner_bytes": prod(x.shape[axis + 1:]) * np.dtype(x.dtype).itemsize}
        return fields, list(x.shape[:axis]) + list(coords.shape[batch_dims:]) + list(x.shape[axis + 1:])


class GatherNd(_Gather):
    kinds = ("GATHER_ND",)

    def fields(self, graph, op):
        x, indices = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        nd = int(indices.shape[-1]) if indices.shape else 0
        if not indices.shape or not x.shape or nd > len(x.shape) or nd > 5:
            raise ModelError(f"indices {list(indices.shape)} do not fit params {list(x.shape)} (innermost <= rank, 5)")
        if indices.data is not None and np.any((indices.data.reshape(-1, nd) < 0)
                                               | (indices.data.reshape(-1, nd) >= np.asarray(x.shape[:nd]))):
            raise ModelError("constant indices outside the params (TFLM reads outside them)")
        counts = strided.row_strides(x.shape)[:nd]
        elem = np.dtype(x.dtype).itemsize
        fields = {"n_slices": int(np.prod(indices.shape[:-1], dtype=np.int64)), "indices_nd": nd,
                  "slice_bytes": int(np.prod(x.shape[nd:], dtype=np.int64)) * elem, "elem_bytes": elem,
                  "dims": tuple(list(x.shape[:nd]) + [0] * (5 - nd)), "dims_to_count": tuple(counts + [0] * (5 - nd))}
        return fields, list(indices.shape[:-1]) + list(x.shape[nd:])
