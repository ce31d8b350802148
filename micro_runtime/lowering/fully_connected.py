"""FULLY_CONNECTED: the fast kernels of mr_fast.h (int8 filter, zero point 0: folded bias, with or
without one) and the reference kernels (per tensor or per channel) otherwise."""
from __future__ import annotations

import math

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.conv_common import folded_bias, has_bias, negate_channels, negated_channels, shift_array
from tflite_patch.graph import Graph, ModelError, Op
from tflite_patch.passes import wide_zero_points


def _fast(graph: Graph, op: Op) -> bool:
    """Filter zero point 0, int8 activation zero points and the filter's signs allowing the fast kernels
    (`negated_channels`)."""
    filt = graph.tensors[op.inputs[1]]
    return filt.dtype == "int8" and not np.any(filt.quant.zero_point != 0) and not wide_zero_points(graph, op) \
        and _negated(graph, op) is not None


def _negated(graph: Graph, op: Op) -> np.ndarray | None:
    """The output channels the fast kernels run negated (negative multipliers: per-channel filters only, TFLM
    refuses a negative per-tensor one), None where they cannot."""
    if not _per_channel(graph, op):
        return np.zeros(graph.tensors[op.inputs[1]].shape[0], bool)
    return negated_channels(graph, op)


def _per_channel(graph: Graph, op: Op) -> bool:
    filt = graph.tensors[op.inputs[1]]
    return filt.quant is not None and filt.quant.per_channel


class FullyConnected(Lowering):
    kinds = ("FULLY_CONNECTED",)
    sources = ("fully_connected.c",)
    optional_sources = ("fully_connected_fast.c", "fully_connected_fast_dsp.c", "fully_connected_fast_x86.c")

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "fully_connected_per_channel" if _per_channel(graph, op) else "fully_connected"

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        """(batches, units), or the input's shape with its last dimension `units` under keepNumDims, where
        batches = input elements / the weights' input depth (TFLM's FullyConnected Prepare)."""
        x, (units, depth) = graph.tensors[op.inputs[0]].shape, graph.tensors[op.inputs[1]].shape
        size = math.prod(x)
        if depth < 1 or size % depth:
            raise ModelError(f"weights {[units, depth]} do not match input {list(x)}")
        if op.options.get("keepNumDims", False) and x[-1] == depth:
            return [(*x[:-1], units)]
        return [(size // depth, units)]

    def check(self, graph: Graph, i: int, op: Op) -> None:
        for t in (op.inputs[0], op.outputs[0]):
            if graph.tensors[t].dtype != "int8":
                raise ModelError(f"tensor {t} is {graph.tensors[t].dtype}; FULLY_CONNECTED takes and gives int8")

    def kernel_sources(self, graph: Graph, op: Op) -> tuple[str, ...]:
        return self.sources + (self.optional_sources if _fast(graph, op) else ())

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        """The filter, the (folded) bias where the model has one, int32 multipliers and int8 shifts (one
        each for a per-tensor filter)."""
        w = graph.tensors[op.inputs[1]]
        channels = w.shape[0]
        return w.nbytes + (4 * channels if has_bias(op) else 0) + 5 * (channels if _per_channel(graph, op) else 1)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        out_n, in_n = e.t(w).shape
        s_in, zp_in = e.q(x)
        s_out, zp_out = e.q(y)
        filt = e.t(w)
        if filt.quant.per_channel:
            mults, shifts = quant.conv_output_multipliers(s_in, filt.quant.scale, s_out, out_n)
        else:
            m, s = quant.fully_connected_output_multiplier(s_in, float(filt.quant.scale[0]), s_out)
            mults, shifts = [m], [s]
        fast = _fast(e.graph, op)
        data, bias = filt.data, e.t(op.inputs[2]).data if has_bias(op) else None
        negated = _negated(e.graph, op) if fast else None
        if fast and negated.any():  # the fast kernels take multipliers >= 0
            data, bias, mults = negate_channels(data, bias, mults, negated, 0)
        act = quant.activation_range(op.activation(), s_out, zp_out)
        shift = shift_array(e, shifts, fast)
        fields = dict(batches=int(np.prod(e.t(x).shape)) // in_n, input_depth=in_n, output_depth=out_n,
                      input_offset=-zp_in, filter_offset=-int(filt.quant.zero_point[0]), output_offset=zp_out,
                      per_channel=int(bool(filt.quant.per_channel)), activation=dict(min=act[0], max=act[1]),
                      filter=e.const(w) if data is filt.data else e.const(w, data), bias="NULL",
                      quant=dict(multiplier=e.array("m", mults), shift="NULL" if fast else shift,
                                 rshift_m1=shift if fast else "NULL"))
        if fast and has_bias(op):
            fields["bias"] = e.array("bf", folded_bias(data, bias, -zp_in))
            kernel = "mr_fully_connected_fast_s8"
        elif fast:  # no folded bias: it would be 4 bytes per output the model does not have
            kernel = "mr_fully_connected_nobias_fast_s8"
        else:
            fields["bias"] = e.const(op.inputs[2]) if has_bias(op) else "NULL"
            kernel = "mr_fully_connected_per_channel_s8" if filt.quant.per_channel else "mr_fully_connected_s8"
        e.call(kernel, e.params("mr_fully_connected_params", "fc", fields), e.ptr(x, True), e.ptr(y))
