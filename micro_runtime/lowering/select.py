"""SELECT_V2 of int8 tensors under a bool condition, with broadcasting (TFLM select.cc: raw bytes, no
requantization), and FILL / ZEROS_LIKE of int8 tensors (TFLM fill.cc, zeros_like.cc)."""
from __future__ import annotations

import numpy as np

from micro_runtime.lowering.base import Emitter, Lowering, elements
from micro_runtime.lowering.binary import require_int8
from micro_runtime.lowering.higher_rank import FoldedBroadcast, fold_broadcast, outer_loops
from tflite_patch.graph import Graph, ModelError, Op


class SelectV2(Lowering):
    kinds = ("SELECT_V2",)
    sources = ("select.c",)

    def fields(self, graph: Graph, op: Op) -> tuple[dict, FoldedBroadcast]:
        """mr_select_params of the broadcast folded for the 4-D kernel, and the fold (any rank, higher_rank)."""
        if len(op.inputs) != 3 or min(op.inputs) < 0:
            raise ModelError("takes a condition, x and y")
        if graph.tensors[op.inputs[0]].dtype != "bool":
            raise ModelError(f"condition tensor {op.inputs[0]} is {graph.tensors[op.inputs[0]].dtype}, not bool")
        require_int8(graph, op, (1, 2))
        fold = fold_broadcast([graph.tensors[t].shape for t in op.inputs], graph.tensors[op.outputs[0]].shape)
        dims, (sc, sx, sy) = fold.strides()
        return {"dims": dims, "stride_condition": sc, "stride_x": sx, "stride_y": sy}, fold

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self.fields(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        fields, fold = self.fields(e.graph, op)
        params = e.params("mr_select_params", "select", fields)
        operands = [e.operand(t) for t in op.inputs] + [e.ptr(op.outputs[0])]
        with outer_loops(e, fold.outer, operands, fold.outer_strides) as (cond, x, y, out):
            e.call("mr_select_s8", params, cond, x, y, out)


class Fill(Lowering):
    kinds = ("FILL", "ZEROS_LIKE")
    sources = ("fill.c",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int8(graph, op, (), (0,)) if op.kind == "FILL" else require_int8(graph, op)
        if op.kind == "ZEROS_LIKE":
            return
        if len(op.inputs) != 2 or min(op.inputs) < 0:
            raise ModelError("takes a dims and a value tensor")
        dims, value = (graph.tensors[t] for t in op.inputs)
        out = graph.tensors[op.outputs[0]]
        if value.shape != () or value.dtype != out.dtype:  # TFLM: a scalar of the output's type
            raise ModelError(f"value tensor {op.inputs[1]} must be an {out.dtype} scalar")
        if dims.is_constant and (dims.data.ndim != 1 or tuple(int(d) for d in dims.data) != out.shape):
            raise ModelError(f"dims {dims.data.tolist()} differ from the output shape {list(out.shape)}")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        value = e.array("zero", np.zeros(1), "int8_t") if op.kind == "ZEROS_LIKE" else e.operand(op.inputs[1])
        e.call("mr_fill_s8", value, elements(e.graph, op.outputs[0]), e.ptr(op.outputs[0]))
