"""PACK, UNPACK, SPLIT, SPLIT_V: one strided block copy per input (PACK) or per output (the others), its
offset the running position along the axis."""
from __future__ import annotations

from micro_runtime.lowering import strided
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op


def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ModelError(f"axis {axis} is outside a rank-{rank} tensor")
    return axis % rank


class _Pieces(Lowering):
    """The input's slices along `axis` (sizes `sizes`) are the outputs, in order; `squeeze`: the outputs
    drop the axis (UNPACK). PACK is the same split read the other way."""
    sources = strided.SOURCES
    activation_type = "any"  # bytes moved by element size: int16 as int8

    def layout(self, graph: Graph, op: Op) -> tuple[int, int, list[int]]:
        """(whole tensor, axis, pieces) for this op."""
        raise NotImplementedError

    def _checked(self, graph: Graph, op: Op):
        whole, axis, pieces = self.layout(graph, op)
        shape = list(graph.tensors[whole].shape)
        sizes = [1 if self.squeeze else graph.tensors[t].shape[axis] for t in pieces]
        for t, size in zip(pieces, sizes):
            want = shape[:axis] + ([] if self.squeeze else [size]) + shape[axis + 1:]
            tensor = graph.tensors[t]
            if list(tensor.shape) != want or tensor.dtype != graph.tensors[whole].dtype:
                raise ModelError(f"tensor {t} {tensor.dtype} {list(tensor.shape)} is not a piece of "
                                 f"{graph.tensors[whole].dtype} {shape} along axis {axis}")
        if sum(sizes) != shape[axis]:
            raise ModelError(f"pieces of {sum(sizes)} along axis {axis} do not make {shape[axis]}")
        return whole, axis, pieces, sizes

    squeeze = False

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._checked(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        whole, axis, pieces, sizes = self._checked(e.graph, op)
        shape, position = list(e.t(whole).shape), 0
        for t, size in zip(pieces, sizes):
            starts = [0] * len(shape)
            starts[axis] = position
            counts = shape[:axis] + [size] + shape[axis + 1:]
            if op.kind in ("PACK", "CONCATENATION"):  # pieces copied into the whole (concatenation_s16.py)
                xs = strided.row_strides(shape)
                strided.emit_copy(e, t, whole, counts, strided.row_strides(counts), xs, 0, position * xs[axis])
            else:
                strided.emit_slice(e, whole, t, starts, counts)
            position += size


class Pack(_Pieces):
    kinds = ("PACK",)
    squeeze = True
    count_option = "valuesCount"

    def layout(self, graph, op):
        whole, pieces = (op.outputs[0], op.inputs) if op.kind == "PACK" else (op.inputs[0], op.outputs)
        if int(op.options.get(self.count_option, len(pieces))) != len(pieces):
            raise ModelError(f"{self.count_option} {op.options.get(self.count_option)} but {len(pieces)} pieces")
        return whole, _axis(int(op.options.get("axis", 0)), len(graph.tensors[whole].shape)), list(pieces)


class Unpack(Pack):
    kinds = ("UNPACK",)
    count_option = "num"


class Split(_Pieces):
    kinds = ("SPLIT",)
    operands = ("axis", "input")  # SPLIT_V: (input, size_splits, axis); sizes come from the outputs' shapes

    def layout(self, graph, op):
        if len(op.inputs) != len(self.operands):
            raise ModelError(f"takes {len(self.operands)} inputs ({', '.join(self.operands)}), not {len(op.inputs)}")
        x = op.inputs[self.operands.index("input")]
        (axis,) = strided.const_ints(graph, op.inputs[self.operands.index("axis")], "axis")
        return x, _axis(axis, len(graph.tensors[x].shape)), list(op.outputs)


class SplitV(Split):
    kinds = ("SPLIT_V",)
    operands = ("input", "size_splits", "axis")
