"""Work per op, from shapes alone: the multiply-accumulates of the MAC-bound ops."""
from __future__ import annotations

import numpy as np

from tflite_patch.graph import Graph, Op


def op_macs(graph: Graph, op: Op) -> int:
    """Multiply-accumulates of one op (convolutions, fully connected, LSTM, a fused block's layers; 0 for the
    others)."""
    if op.attrs.block is not None:
        return sum(op_macs(graph, layer) for layer in (op.attrs.block.expand, op.attrs.block.depthwise,
                                                       op.attrs.block.project))
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        out = graph.tensors[op.outputs[0]].shape
        filt = graph.tensors[op.inputs[1]].shape
        per_output = filt[1] * filt[2] * (filt[3] if op.kind == "CONV_2D" else 1)
        return int(np.prod(out)) * int(per_output)
    if op.kind == "FULLY_CONNECTED":
        out_n, in_n = graph.tensors[op.inputs[1]].shape
        return int(np.prod(graph.tensors[op.inputs[0]].shape)) // in_n * in_n * out_n
    if op.kind == "TRANSPOSE_CONV":  # every input value times the filter taps of every output channel
        filt = graph.tensors[op.inputs[1]].shape
        return int(np.prod(graph.tensors[op.inputs[2]].shape)) * int(np.prod(filt[:3]))
    if op.kind == "BATCH_MATMUL":  # every output value over the depth
        lhs = graph.tensors[op.inputs[0]].shape
        depth = lhs[-2] if op.options.get("adjX", False) else lhs[-1]
        return int(np.prod(graph.tensors[op.outputs[0]].shape)) * int(depth)
    if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":  # four gates per output value, over the input and hidden state
        n_cell, n_input = graph.tensors[op.inputs[2]].shape
        return int(np.prod(graph.tensors[op.outputs[0]].shape)) * 4 * int(n_input + n_cell)
    return 0


def graph_macs(graph: Graph) -> int:
    """Multiply-accumulates of one inference."""
    return sum(op_macs(graph, op) for op in graph.ops)
