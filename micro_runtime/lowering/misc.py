"""EXPAND_DIMS (an alias of its input, as RESHAPE), SHAPE (a constant written at run time), CAST,
MIRROR_PAD."""
from __future__ import annotations

import numpy as np

from micro_runtime.lowering import strided
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.reshape import Reshape
from tflite_patch.graph import Graph, ModelError, Op

# The types the TFLM wheel's CAST takes (uint8 is refused at its Eval).
CAST_TYPES = {"int8": "MR_TYPE_INT8", "int16": "MR_TYPE_INT16", "int32": "MR_TYPE_INT32", "float32": "MR_TYPE_FLOAT32"}


class ExpandDims(Reshape):
    """The same bytes under a shape with one more dimension of 1 (what a Keras Conv1D becomes): an alias
    in the plan (passes.alias_reshapes), a copy otherwise."""
    kinds = ("EXPAND_DIMS",)
    types = ("int8", "int16", "float32")

    def check(self, graph: Graph, i: int, op: Op) -> None:
        """TFLM's Prepare (constant axis, the output shape) and Eval (int8, int16, float32)."""
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if len(op.inputs) != 2:
            raise ModelError(f"takes 2 inputs (input, axis), not {len(op.inputs)}")
        (axis,) = strided.const_ints(graph, op.inputs[1], "axis")
        axis += len(x.shape) + 1 if axis < 0 else 0
        want = list(x.shape[:axis]) + [1] + list(x.shape[axis:]) if 0 <= axis <= len(x.shape) else None
        if x.dtype not in ("int8", "int16", "float32") or x.dtype != y.dtype or list(y.shape) != want:
            raise ModelError(f"output {y.dtype} {list(y.shape)} is not the input {x.dtype} {list(x.shape)} "
                             f"with a dimension of 1 at axis {axis} (int8, int16 or float32)")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)  # the generator does not call `check` itself
        super().emit(e, i, op)


class Shape(Lowering):
    """The input's shape, known at generation time, copied into the int32 output."""
    kinds = ("SHAPE",)
    types = ("any -> int32",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if y.dtype != "int32" or list(y.shape) != [len(x.shape)]:
            raise ModelError(f"output {y.dtype} {list(y.shape)} is not int32 [{len(x.shape)}]")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        values = e.array("shape", list(e.t(x).shape))
        e.body.append(f"  mr_copy_const({e.ptr(y)}, {values}, {e.t(y).nbytes});")


class Cast(Lowering):
    kinds = ("CAST",)
    sources = ("cast.c",)
    types = tuple(CAST_TYPES)  # any of them to any other

    def check(self, graph: Graph, i: int, op: Op) -> None:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if x.dtype not in CAST_TYPES or y.dtype not in CAST_TYPES or list(x.shape) != list(y.shape):
            raise ModelError(f"{x.dtype} {list(x.shape)} -> {y.dtype} {list(y.shape)} "
                             f"(same shape, types {', '.join(CAST_TYPES)})")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        e.call("mr_cast", e.operand(x), CAST_TYPES[e.t(x).dtype], e.ptr(y), CAST_TYPES[e.t(y).dtype],
               int(np.prod(e.t(x).shape)))


def mirror_index(padded: int, left_pad: int, size: int, offset: int) -> int:
    """TFLM's mirror_pad GetInputIndex: the input index of output index `padded` (offset 1: REFLECT)."""
    if padded < left_pad:
        original = left_pad + offset - 1
        return original - min(padded, original - offset)
    padded -= left_pad
    if padded >= size:
        padded -= size
        original = size - (1 + offset)
        return original - min(padded, original)
    return padded


class MirrorPad(Lowering):
    kinds = ("MIRROR_PAD",)
    sources = ("mirror_pad.c",)

    def _maps(self, graph: Graph, op: Op) -> list[list[int]]:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if len(op.inputs) != 2 or len(x.shape) > 5 or x.dtype != y.dtype:
            raise ModelError(f"takes an input of rank <= 5 and paddings ({x.dtype} -> {y.dtype})")
        pads = strided.const_ints(graph, op.inputs[1], "paddings")
        if len(pads) != 2 * len(x.shape):
            raise ModelError(f"paddings {pads} do not fit a rank-{len(x.shape)} input")
        offset = 1 if int(op.options.get("mode", 0)) == 0 else 0  # REFLECT = 0, SYMMETRIC = 1
        maps = []
        for k, n in enumerate(x.shape):
            before, after = pads[2 * k], pads[2 * k + 1]
            if before < 0 or after < 0 or max(before, after) > n - offset:
                raise ModelError(f"padding {before, after} of a dimension of {n} is more than the "
                                 f"{'REFLECT' if offset else 'SYMMETRIC'} mode can mirror")
            maps.append([mirror_index(i, before, n, offset) for i in range(before + n + after)])
        if list(y.shape) != [len(m) for m in maps]:
            raise ModelError(f"output {list(y.shape)} is not the padded shape {[len(m) for m in maps]}")
        return maps

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._maps(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        maps = [[0]] * (5 - len(e.t(x).shape)) + self._maps(e.graph, op)
        elem = strided.elem_bytes(e, x)
        stride = [0] * (5 - len(e.t(x).shape)) + [s * elem for s in strided.row_strides(e.t(x).shape)]
        fields = {"elem_bytes": elem, "shape": tuple(len(m) for m in maps), "in_stride": tuple(stride),
                  "map": tuple(e.array("map", m) for m in maps)}
        e.call("mr_mirror_pad", e.operand(x), e.ptr(y), e.params("mr_mirror_pad_params", "mirror", fields))
