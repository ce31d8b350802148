"""SOFTMAX with an int16 output over the last axis: int8 in (TFLM's gemmlowp softmax, output zero point
-32768; kernel in softmax.c) and int16 in (TFLM's table-based SoftmaxInt16, output scale 2^-15)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, same_shape
from micro_runtime.lowering.s16_common import require_int16
from tflite_patch.graph import Graph, ModelError, Op


class SoftmaxS16(Lowering):
    kinds = ("SOFTMAX",)
    sources = ("softmax.c", "softmax_s16.c")
    activation_type = "int16"
    types = ("int8 -> int16", "int16")

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        if not graph.tensors[op.inputs[0]].shape:
            raise ModelError("SOFTMAX of a scalar (rank 0)")
        return same_shape(graph, op)

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "softmax_s8_s16" if graph.tensors[op.inputs[0]].dtype == "int8" else "softmax_s16"

    def kernel_sources(self, graph: Graph, op: Op) -> tuple[str, ...]:
        return ("softmax.c",) if graph.tensors[op.inputs[0]].dtype == "int8" else ("softmax_s16.c",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if x.dtype == "int16":
            require_int16(graph, (op.inputs[0], op.outputs[0]))
        elif x.dtype != "int8" or y.dtype != "int16":  # validate checked the output's zero point, -32768
            raise ModelError(f"{x.dtype} -> {y.dtype}: TFLM takes int16 -> int16 and int8 -> int16")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        depth = e.t(x).shape[-1]
        shape = {"rows": int(np.prod(e.t(x).shape)) // depth, "depth": depth}
        beta = float(op.options.get("beta", 1.0))
        if e.t(x).dtype == "int8":
            if abs(float(np.float32(e.q(y)[0])) - 2.0 ** -16) > 0.001 * 2.0 ** -16:
                raise ModelError(f"output scale {e.q(y)[0]:.6g} is not 2^-16, as TFLM's int8 -> int16 SOFTMAX requires")
            params = e.params("mr_softmax_params", "softmax", {**shape, **quant.softmax_params(e.q(x)[0], beta)})
            e.call("mr_softmax_s8_s16", params, e.ptr(x, True), e.ptr(y))
            return
        p = quant.softmax_s16_params(e.q(x)[0], e.q(y)[0], beta)
        tables = {k: e.array("lut", p[k], "int16_t") for k in ("exp_lut", "one_over_one_plus_x_lut")}
        fields = {**shape, **{k: p[k] for k in ("input_multiplier", "input_left_shift")}, **tables}
        e.call("mr_softmax_s16", e.params("mr_softmax_s16_params", "softmax", fields), e.ptr(x, True), e.ptr(y))
