"""SVDF int8 with its state in a variable tensor (int16 with int16 time weights, or int8 with int8 ones), as
TFLM's integer SVDF: the state is a static array outside the arena (`Emitter.variable`), never reused by the
planner, cleared by `<name>_reset()`."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op

_STATE = {"int16": "mr_svdf_s8_state16", "int8": "mr_svdf_s8_state8"}


class Svdf(Lowering):
    kinds = ("SVDF",)
    sources = ("svdf.c",)
    activation_type = "any"  # its activations are int8, its state int16 or int8

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if len(op.inputs) != 5 or min(op.inputs[:3]) < 0 or op.inputs[4] < 0:
            raise ModelError("takes input, weights_feature, weights_time, an optional bias and the state")
        x, feature, time, state, y = (graph.tensors[t] for t in (*op.inputs[:3], op.inputs[4], op.outputs[0]))
        if x.dtype != "int8" or y.dtype != "int8" or feature.dtype != "int8" or state.dtype not in _STATE \
                or time.dtype != state.dtype:
            raise ModelError(f"input {x.dtype}, weights {feature.dtype}/{time.dtype}, state {state.dtype}, output "
                             f"{y.dtype}: TFLM's integer SVDF takes int8 ones with an int16 or int8 state and time")
        if not state.is_variable or feature.data is None or time.data is None:
            raise ModelError("the state must be a variable tensor and the weights constant")
        if any(t.quant is None or t.quant.scale.size != 1 for t in (x, feature, time, state, y)):
            raise ModelError("input, weights, state and output need per-tensor quantization")
        bias = graph.tensors[op.inputs[3]] if op.inputs[3] >= 0 else None
        if bias is not None and (bias.dtype != "int32" or bias.data is None or bias.data.size != y.shape[-1]):
            raise ModelError(f"bias must be a constant int32 vector of {y.shape[-1]}")
        rank = int(op.options.get("rank", 1))
        filters, memory = time.shape
        batches = x.shape[0]
        if rank < 1 or filters % rank or feature.shape != (filters, x.shape[1]) \
                or int(np.prod(state.shape)) != batches * filters * memory or y.shape != (batches, filters // rank):
            raise ModelError(f"shapes do not fit: input {list(x.shape)}, weights_feature {list(feature.shape)}, "
                             f"weights_time {list(time.shape)}, state {list(state.shape)}, rank {rank}, "
                             f"output {list(y.shape)}")

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        return sum(graph.tensors[t].nbytes for t in op.inputs[1:4] if t >= 0)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, feature, time, bias, state = op.inputs
        y = op.outputs[0]
        (s_in, zp_in), (s_state, zp_state), (s_out, zp_out) = e.q(x), e.q(state), e.q(y)
        filters, memory = e.t(time).shape
        rank = int(op.options.get("rank", 1))
        p = quant.svdf_params(s_in, e.q(feature)[0], s_state, e.q(time)[0], s_out)
        fields = dict(batches=e.t(x).shape[0], input_size=e.t(x).shape[1], filters=filters, memory=memory, rank=rank,
                      units=filters // rank, input_zero_point=zp_in, state_zero_point=zp_state,
                      output_zero_point=zp_out, **p, weights_feature=e.const(feature), weights_time=e.const(time),
                      bias=e.const(bias) if bias >= 0 else "NULL")
        e.call(_STATE[e.t(state).dtype], e.params("mr_svdf_params", "svdf", fields), e.ptr(x, True),
               e.variable(state), e.ptr(y))
