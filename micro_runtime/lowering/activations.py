"""Elementwise activations of int8 tensors: HARD_SWISH and LOGISTIC (TFLM's fixed-point formulas)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements, same_shape
from tflite_patch.graph import Op


class HardSwish(Lowering):
    kinds = ("HARD_SWISH",)
    sources = ("hard_swish.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        params = e.params("mr_hard_swish_params", "hard_swish", quant.hard_swish_params(*e.q(x), *e.q(y)))
        e.call("mr_hard_swish_s8", params, e.ptr(x, True), elements(e.graph, x), e.ptr(y))


class Logistic(Lowering):
    kinds = ("LOGISTIC",)
    sources = ("logistic.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        params = e.params("mr_logistic_params", "logistic", quant.logistic_params(*e.q(x)))
        e.call("mr_logistic_s8", params, e.ptr(x, True), elements(e.graph, x), e.ptr(y))
