"""SOFTMAX (int8 in and out) over the last axis."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Op


class Softmax(Lowering):
    kinds = ("SOFTMAX",)
    sources = ("softmax.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        depth = e.t(x).shape[-1]
        rows = int(np.prod(e.t(x).shape)) // depth
        p = quant.softmax_params(e.q(x)[0], float(op.options.get("beta", 1.0)))
        params = e.params("mr_softmax_params", "softmax", {"rows": rows, "depth": depth, **p})
        e.call("mr_softmax_s8", params, e.ptr(x, True), e.ptr(y))
