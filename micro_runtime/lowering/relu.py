"""RELU, RELU6, LEAKY_RELU and PRELU of int8 tensors (TFLM activations.cc, leaky_relu.cc, prelu.cc)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements
from micro_runtime.lowering.binary import BroadcastBinary, require_int8, with_activation
from tflite_patch.graph import Graph, ModelError, Op


class Relu(Lowering):
    kinds = ("RELU", "RELU6", "LEAKY_RELU")
    sources = ("relu.c",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int8(graph, op)
        if graph.tensors[op.inputs[0]].shape != graph.tensors[op.outputs[0]].shape:
            raise ModelError("input and output shapes differ")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        n = elements(e.graph, x)
        if op.kind == "RELU":
            fields = with_activation(quant.relu_params(*e.q(x), *e.q(y)))
            e.call("mr_relu_s8", e.params("mr_relu_params", "relu", fields), e.ptr(x, True), n, e.ptr(y))
        elif op.kind == "RELU6":
            lower, upper = quant.relu6_bounds(*e.q(x))
            e.call("mr_relu6_s8", e.ptr(x, True), n, e.ptr(y), lower, upper)
        else:
            p = quant.leaky_relu_params(*e.q(x), *e.q(y), float(op.options.get("alpha", 0.0)))
            e.call("mr_leaky_relu_s8", e.params("mr_leaky_relu_params", "leaky", p), e.ptr(x, True), n, e.ptr(y))


class Prelu(BroadcastBinary):
    """PRELU: the input and alpha (constant or not) broadcast against each other."""
    kinds = ("PRELU",)
    sources = ("prelu.c",)

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        fields = {"shape": shape, **quant.prelu_params(*e.q(x), *e.q(alpha), *e.q(y))}
        return "mr_prelu_s8", e.params("mr_prelu_params", "prelu", fields)
