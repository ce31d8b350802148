"""LOGISTIC and TANH int16: TFLM's sigmoid table on the input rescaled to 1/(3*4096), output scale 2^-15."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements, same_shape
from micro_runtime.lowering.s16_common import require_int16
from tflite_patch.graph import Graph, Op


class SigmoidTanhS16(Lowering):
    kinds = ("LOGISTIC", "TANH")
    sources = ("logistic_s16.c",)
    activation_type = "int16"

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return f"{op.kind.lower()}_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int16(graph, (op.inputs[0], op.outputs[0]))

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        p = quant.sigmoid_tanh_s16_params(op.kind, e.q(x)[0], e.q(y)[0])
        e.call(f"mr_{op.kind.lower()}_s16", e.params("mr_logistic_params", "act", p), e.ptr(x, True),
               elements(e.graph, x), e.ptr(y))
