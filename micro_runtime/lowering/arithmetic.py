"""DIV of two int8 tensors with broadcasting (TFLM div.cc), and the refusal of EXP and NEG, which TFLM runs on
float32 only."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.binary import BroadcastBinary, with_activation
from tflite_patch.graph import Graph, ModelError, Op


class Div(BroadcastBinary):
    kinds = ("DIV",)
    sources = ("div.c",)

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        # past a left shift of 22 TFLM's RoundingDivideByPOT takes a negative exponent: div.c reproduces the
        # wheel's x86 bytes there (tests/test_ops_math.py)
        p = quant.div_params(*e.q(a), *e.q(b), *e.q(y), op.activation())
        return "mr_div_s8", e.params("mr_arithmetic_params", "div", {"shape": shape, "q": with_activation(p)})


class FloatOnly(Lowering):
    """Ops TFLM's kernels run on float32 only: an int8 model with one is refused, as TFLM refuses it."""
    kinds = ("EXP", "NEG")
    types = ()  # none the engine runs: left out of the coverage table

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        dtype = graph.tensors[op.inputs[0]].dtype if op.inputs else "no input"
        raise ModelError(f"TFLM's {op.kind} kernel takes float32 only (input is {dtype}); "
                         "the engine runs int8 ops")

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self.output_shapes(graph, op)
