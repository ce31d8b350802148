"""PAD and PADV2 (int8, up to 4-D)."""
from __future__ import annotations

import numpy as np

from micro_runtime.lowering.base import Emitter, Lowering, dims
from tflite_patch.graph import ModelError, Op


class Pad(Lowering):
    kinds = ("PAD", "PADV2")
    sources = ("pad.c",)
    dtype = "int8"  # of input, output and pad value (pad_s16.PadS16: int16)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        shape = graph.tensors[op.inputs[0]].shape
        pads = graph.tensors[op.inputs[1]].data
        if len(shape) > 4 or pads.shape != (len(shape), 2):
            raise ModelError(f"paddings of shape {list(pads.shape)} for an input of rank {len(shape)} (up to 4)")
        if pads.min() < 0:
            raise ModelError("negative paddings")
        return [tuple(int(n + a + b) for n, (a, b) in zip(shape, pads))]

    def check(self, graph, i: int, op: Op) -> None:
        y = graph.tensors[op.outputs[0]]
        if y.dtype != self.dtype or graph.tensors[op.inputs[0]].dtype != self.dtype:
            raise ModelError(f"PAD takes {self.dtype} input and output")
        if op.kind == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
            value = graph.tensors[op.inputs[2]]
            if value.data is None or value.dtype != self.dtype:
                raise ModelError(f"the pad value must be a constant {self.dtype}")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        pads = e.t(op.inputs[1]).data.reshape(-1, 2).astype(np.int64)
        pads = np.concatenate([np.zeros((4 - len(pads), 2), np.int64), pads])
        value = e.q(y)[1]
        if op.kind == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
            value = int(e.t(op.inputs[2]).data.reshape(-1)[0])
        params = e.params("mr_pad_params", "pad", {
            "input": dims(e.t(x).shape), "left_padding": dict(zip("nhwc", pads[:, 0])),
            "right_padding": dict(zip("nhwc", pads[:, 1])), "pad_value": value})
        e.call(f"mr_pad_{'s16' if self.dtype == 'int16' else 's8'}", params, e.ptr(x, True), e.ptr(y))
