"""L2_NORMALIZATION and LOG_SOFTMAX of an int8 tensor over its last axis (TFLM l2norm.cc, log_softmax.cc)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements, same_shape
from micro_runtime.lowering.binary import require_int8
from tflite_patch.graph import Graph, ModelError, Op

LOG_SOFTMAX_OUTPUT_SCALE, LOG_SOFTMAX_OUTPUT_ZERO_POINT = np.float32(16.0 / 256), 127


class LastAxis(Lowering):
    """An int8 op over rows of the last axis, output shaped as the input."""

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        if not graph.tensors[op.inputs[0]].shape:
            raise ModelError(f"{op.kind} of a scalar (rank 0)")
        return same_shape(graph, op)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if len(op.inputs) != 1 or op.inputs[0] < 0:
            raise ModelError("takes one input tensor")
        require_int8(graph, op)
        self.check_outputs(graph, op)

    def rows(self, e: Emitter, op: Op) -> tuple[int, int]:
        """(outer_size, depth): the rows and the length of the last axis."""
        depth = e.t(op.inputs[0]).shape[-1]
        return elements(e.graph, op.inputs[0]) // depth, depth


class L2Normalization(LastAxis):
    kinds = ("L2_NORMALIZATION",)
    sources = ("l2norm.c",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        super().check(graph, i, op)
        if len(graph.tensors[op.inputs[0]].shape) > 4:  # l2norm.cc Prepare
            raise ModelError(f"input of rank {len(graph.tensors[op.inputs[0]].shape)}; TFLM takes up to 4")
        if op.activation() not in (None, "NONE"):
            raise ModelError(f"fused activation {op.activation()}; TFLM's L2_NORMALIZATION takes none")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        e.call("mr_l2_normalization_s8", e.q(x)[1], *self.rows(e, op), e.ptr(x, True), e.ptr(y))


class LogSoftmax(LastAxis):
    kinds = ("LOG_SOFTMAX",)
    sources = ("log_softmax.c",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        super().check(graph, i, op)
        out = graph.tensors[op.outputs[0]]
        scale, zero_point = np.float32(out.quant.scale[0]), int(out.quant.zero_point[0])
        if scale != LOG_SOFTMAX_OUTPUT_SCALE or zero_point != LOG_SOFTMAX_OUTPUT_ZERO_POINT:
            raise ModelError(f"output quantization ({float(scale):g}, {zero_point}); TFLM's LOG_SOFTMAX requires "
                             f"scale 16/256 and zero point {LOG_SOFTMAX_OUTPUT_ZERO_POINT}")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        x, y = op.inputs[0], op.outputs[0]
        outer_size, depth = self.rows(e, op)
        p = quant.log_softmax_params(e.q(x)[0])
        params = e.params("mr_log_softmax_params", "log_softmax", {"outer_size": outer_size, "depth": depth, **p})
        e.call("mr_log_softmax_s8", params, e.ptr(x, True), e.ptr(y))
