"""MEAN over contiguous axes (int8)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import ModelError, Op


class Mean(Lowering):
    kinds = ("MEAN",)
    sources = ("mean.c",)
    kernel_name = "mr_mean_s8"  # mean_s16.MeanS16: mr_mean_s16

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        shape = graph.tensors[op.inputs[0]].shape
        axes = {int(a) for a in graph.tensors[op.inputs[1]].data.reshape(-1)}
        if not shape or any(not -len(shape) <= a < len(shape) for a in axes):
            raise ModelError(f"reduction axes {sorted(axes)} outside the input's rank {len(shape)}")
        axes = {a % len(shape) for a in axes}
        if op.options.get("keepDims", False):
            return [tuple(1 if d in axes else n for d, n in enumerate(shape))]
        return [tuple(n for d, n in enumerate(shape) if d not in axes)]

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        shape = list(e.t(x).shape)
        axes = sorted({int(a) % len(shape) for a in e.t(op.inputs[1]).data.reshape(-1)})
        if axes != list(range(axes[0], axes[-1] + 1)):
            raise ModelError(f"reduction axes {axes} are not contiguous")
        block = {"outer": int(np.prod(shape[:axes[0]])), "reduce": int(np.prod(shape[axes[0]:axes[-1] + 1])),
                 "inner": int(np.prod(shape[axes[-1] + 1:]))}
        p = quant.mean_params(*e.q(x), *e.q(y))
        e.call(self.kernel_name, e.params("mr_mean_params", "mean", {**block, **p}), e.ptr(x, True), e.ptr(y))
