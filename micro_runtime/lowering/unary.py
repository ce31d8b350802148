"""Unary int8 ops: ABS, RSQRT and ELU as a 256-entry table (ELU's is TFLM's own; ABS's and RSQRT's hold
TFLM's integer arithmetic evaluated for each input value, quant.py), TANH with TFLM's fixed-point kernel."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements
from micro_runtime.lowering.binary import require_int8
from tflite_patch.graph import Graph, ModelError, Op

TABLES = {"ABS": quant.abs_table, "RSQRT": quant.rsqrt_table, "ELU": quant.elu_table}


class Unary(Lowering):
    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int8(graph, op)
        if graph.tensors[op.inputs[0]].shape != graph.tensors[op.outputs[0]].shape:
            raise ModelError("input and output shapes differ")


class Table(Unary):
    kinds = tuple(TABLES)
    sources = ("lut.c",)

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        return 256

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        table = TABLES[op.kind](*e.q(x), *e.q(y))
        # table[(uint8_t)x]: inputs 0..127 first, then -128..-1
        lut = e.array("lut", table[128:] + table[:128], "int8_t")
        e.call("mr_lut_s8", e.ptr(x, True), elements(e.graph, x), e.ptr(y), lut)


class Tanh(Unary):
    kinds = ("TANH",)
    sources = ("logistic.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        params = e.params("mr_logistic_params", "tanh", quant.logistic_params(*e.q(x)))
        e.call("mr_tanh_s8", params, e.ptr(x, True), elements(e.graph, x), e.ptr(y))
