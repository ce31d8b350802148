"""SOFTMAX (int8 in and out) over the last axis."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, same_shape
from tflite_patch.graph import ModelError, Op


class Softmax(Lowering):
    kinds = ("SOFTMAX",)
    sources = ("softmax.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        if not graph.tensors[op.inputs[0]].shape:
            raise ModelError("SOFTMAX of a scalar (rank 0)")
        return same_shape(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        depth = e.t(x).shape[-1]
        rows = int(np.prod(e.t(x).shape)) // depth
        p = quant.softmax_params(e.q(x)[0], float(op.options.get("beta", 1.0)))
        params = e.params("mr_softmax_params", "softmax", {"rows": rows, "depth": depth, **p})
        e.call("mr_softmax_s8", params, e.ptr(x, True), e.ptr(y))
