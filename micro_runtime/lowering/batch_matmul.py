"""BATCH_MATMUL int8 (TFLM batch_matmul.cc): LHS [..., rows, depth] times RHS [..., depth, cols] (adj_x / adj_y:
the last two dimensions of that operand swapped), batch dimensions broadcast, ranks 2 to 5, one output
multiplier, no activation. A constant RHS is stored as TFLM caches it, transposed ([..., cols, depth]); the
operands the kernel must transpose at run time get scratch (`scratch_bytes`)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op


def _batch_strides(shape: tuple[int, ...]) -> list[int]:
    """Element distance between the matrices of `shape` along each of the three batch dimensions of the
    5-D extended shapes; 0 where it broadcasts."""
    ext = (1,) * (5 - len(shape)) + tuple(shape)
    strides, step = [0, 0, 0], ext[3] * ext[4]
    for d in (2, 1, 0):
        strides[d] = 0 if ext[d] == 1 else step
        step *= ext[d]
    return strides


def _shapes(graph: Graph, op: Op) -> tuple[tuple, tuple, tuple[int, int, int], tuple[int, ...]]:
    """(lhs, rhs, (rows, depth, cols), batch dimensions of the output); ModelError where TFLM's Prepare fails."""
    lhs, rhs = (tuple(graph.tensors[t].shape) for t in op.inputs[:2])
    if not (2 <= len(lhs) <= 5 and 2 <= len(rhs) <= 5):
        raise ModelError(f"ranks {len(lhs)} and {len(rhs)}: TFLM takes 2 to 5")
    adj_x, adj_y = bool(op.options.get("adjX", False)), bool(op.options.get("adjY", False))
    rows, depth = (lhs[-1], lhs[-2]) if adj_x else (lhs[-2], lhs[-1])
    depth_rhs, cols = (rhs[-1], rhs[-2]) if adj_y else (rhs[-2], rhs[-1])
    if depth != depth_rhs:
        raise ModelError(f"LHS {list(lhs)} and RHS {list(rhs)} do not multiply (adj_x {adj_x}, adj_y {adj_y})")
    rank = max(len(lhs), len(rhs))
    a, b = (1,) * (rank - len(lhs)) + lhs[:-2], (1,) * (rank - len(rhs)) + rhs[:-2]
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        raise ModelError(f"batch dimensions of {list(lhs)} and {list(rhs)} do not broadcast")
    batch = tuple(max(x, y) if 1 not in (x, y) else x * y for x, y in zip(a, b))
    return lhs, rhs, (rows, depth, cols), batch


def layout(graph: Graph, op: Op) -> dict:
    """The geometry fields of the op's `mr_batch_matmul_params`: batch dimensions, batch strides, matrix sizes
    and element strides (a constant RHS as stored, transposed)."""
    lhs, rhs, (rows, depth, cols), batch = _shapes(graph, op)
    adj_x = bool(op.options.get("adjX", False))
    adj_y = bool(op.options.get("adjY", False)) or graph.tensors[op.inputs[1]].is_constant
    return dict(batch=(1,) * (3 - len(batch)) + batch, lhs_batch_stride=_batch_strides(lhs),
                rhs_batch_stride=_batch_strides(rhs), rows=rows, cols=cols, depth=depth,
                lhs_row_stride=1 if adj_x else depth, lhs_depth_stride=rows if adj_x else 1,
                rhs_col_stride=depth if adj_y else 1, rhs_depth_stride=1 if adj_y else cols)


class BatchMatMul(Lowering):
    kinds = ("BATCH_MATMUL",)
    sources = ("batch_matmul.c", "fully_connected_fast.c", "fully_connected_fast_dsp.c",
               "fully_connected_fast_x86.c")  # mr_fc_dot2

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        _, _, (rows, _, cols), batch = _shapes(graph, op)
        return [batch + (rows, cols)]

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if any(graph.tensors[t].dtype != "int8" or graph.tensors[t].quant is None
               for t in (*op.inputs[:2], op.outputs[0])):
            raise ModelError("LHS, RHS and output must be quantized int8")

    def scratch_bytes(self, graph: Graph, op: Op) -> int | None:
        """A copy of each matrix the kernel must lay out contiguously along the depth (as TFLM's transposed
        copies): the LHS with adj_x, an activation RHS without adj_y (a constant one is stored so)."""
        _, _, (rows, depth, cols), _ = _shapes(graph, op)
        lhs_copy = op.options.get("adjX", False) and rows > 1 and depth > 1
        rhs_copy = not (op.options.get("adjY", False) or graph.tensors[op.inputs[1]].is_constant) \
            and cols > 1 and depth > 1
        return (rows * depth if lhs_copy else 0) + (depth * cols if rhs_copy else 0) or None

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        l, r, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if e.t(r).is_constant and not op.options.get("adjY", False):  # stored transposed, as TFLM caches it
            rhs_operand = e.const(r, np.swapaxes(e.t(r).data, -1, -2))
        else:
            rhs_operand = e.operand(r)
        (s_l, zp_l), (s_r, zp_r), (s_y, zp_y) = e.q(l), e.q(r), e.q(y)
        mult, shift = quant.batch_matmul_output_multiplier(s_l, s_r, s_y)
        fields = dict(layout(e.graph, op), lhs_offset=-zp_l, rhs_offset=-zp_r, output_offset=zp_y,
                      output_multiplier=mult, output_shift=shift)
        e.call("mr_batch_matmul_s8", e.params("mr_batch_matmul_params", "bmm", fields), e.operand(l), rhs_operand,
               e.ptr(y), e.scratch(i) if self.scratch_bytes(e.graph, op) else "NULL")
