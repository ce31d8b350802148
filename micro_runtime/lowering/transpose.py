"""TRANSPOSE of an int8 tensor (rank <= 5, as TFLM's transpose_common.cc)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import ModelError, Op


class Transpose(Lowering):
    kinds = ("TRANSPOSE",)
    sources = ("transpose.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        shape = graph.tensors[op.inputs[0]].shape
        perm = [int(p) for p in graph.tensors[op.inputs[1]].data.reshape(-1)]
        if sorted(perm) != list(range(len(shape))) or len(shape) > 5:
            raise ModelError(f"permutation {perm} of an input of rank {len(shape)} (TFLM takes up to 5)")
        return [tuple(shape[p] for p in perm)]

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        perm = e.t(op.inputs[1]).data.reshape(-1)
        e.call("mr_transpose_s8", e.ptr(x, True), len(perm), e.array("shape", e.t(x).shape), e.array("perm", perm),
               e.ptr(y))
