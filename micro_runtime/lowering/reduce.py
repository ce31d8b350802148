"""REDUCE_MAX, REDUCE_MIN, SUM (int8) and ARG_MAX, ARG_MIN (int32 output): one kernel (reduce.c) that walks
the kept dimensions in output order and reduces the others; the generator resolves the axes (negative,
repeated) and merges dimensions at generation time."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering import strided
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op

DIMS = 3
OPS = {"REDUCE_MAX": "MR_REDUCE_MAX", "REDUCE_MIN": "MR_REDUCE_MIN", "SUM": "MR_REDUCE_SUM",
       "ARG_MAX": "MR_ARG_MAX", "ARG_MIN": "MR_ARG_MIN"}


def _merged(dims: list[tuple[int, int]], what: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(extents, strides) of (extent, stride) dimensions, outermost first: extent-1 dimensions dropped,
    contiguous neighbours merged, 1s in front up to DIMS."""
    out: list[tuple[int, int]] = []
    for n, s in dims:
        if n == 1:
            continue
        if out and out[-1][1] == s * n:
            out[-1] = (out[-1][0] * n, s)
        else:
            out.append((n, s))
    if len(out) > DIMS:
        raise ModelError(f"{len(out)} separate {what} dimensions (at most {DIMS})")
    out = [(1, 0)] * (DIMS - len(out)) + out
    return tuple(n for n, _ in out), tuple(s for _, s in out)


class Reduce(Lowering):
    kinds = tuple(OPS)
    sources = ("reduce.c",)

    def types_of(self, kind: str) -> tuple[str, ...]:
        return ("int8 -> int32",) if kind in ("ARG_MAX", "ARG_MIN") else ("int8",)

    def _fields(self, graph: Graph, op: Op) -> dict:
        if len(op.inputs) != 2 or len(op.outputs) != 1:
            raise ModelError(f"takes 2 inputs and 1 output, not {len(op.inputs)} and {len(op.outputs)}")
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        rank = len(x.shape)
        arg = op.kind.startswith("ARG_")
        axis_t = graph.tensors[op.inputs[1]]
        if axis_t.dtype != "int32" and not (arg and axis_t.dtype == "int64"):
            raise ModelError(f"axis of type {axis_t.dtype} (int32 only)")
        axes = strided.const_ints(graph, op.inputs[1], "axis")
        if arg and len(axes) != 1:
            raise ModelError(f"takes one axis, not {len(axes)}")
        if any(not -rank <= a < rank for a in axes):
            raise ModelError(f"axis {axes} outside a rank-{rank} input")
        reduced = sorted({a % rank for a in axes})
        if x.dtype != "int8" or y.dtype != ("int32" if arg else "int8"):
            raise ModelError(f"{x.dtype} -> {y.dtype} (int8 -> {'int32' if arg else 'int8'} only)")
        keep = bool(op.options.get("keepDims", False)) and not arg
        want = [1 if k in reduced else n for k, n in enumerate(x.shape) if keep or k not in reduced]
        if list(y.shape) != want:
            raise ModelError(f"output {list(y.shape)} is not the reduced shape {want}")
        xs = strided.row_strides(x.shape)
        kept_shape, kept_stride = _merged([(x.shape[k], xs[k]) for k in range(rank) if k not in reduced], "kept")
        red_shape, red_stride = _merged([(x.shape[k], xs[k]) for k in reduced], "reduced")
        fields = {"op": OPS[op.kind], "kept_shape": kept_shape, "kept_stride": kept_stride,
                  "reduced_shape": red_shape, "reduced_stride": red_stride, "sum_offset": 0, "multiplier": 0,
                  "shift": 0, "output_zero_point": 0}
        if op.kind in ("REDUCE_MAX", "REDUCE_MIN"):
            (s_in, z_in), (s_out, z_out) = ((float(t.quant.scale[0]), int(t.quant.zero_point[0])) for t in (x, y))
            if np.float32(s_in) != np.float32(s_out) or z_in != z_out:
                raise ModelError("input and output quantization differ (TFLM's Eval requires them equal)")
        if op.kind == "SUM":
            count = int(np.prod([x.shape[k] for k in reduced], dtype=np.int64))
            p = quant.mean_params(float(x.quant.scale[0]), int(x.quant.zero_point[0]), float(y.quant.scale[0]),
                                  int(y.quant.zero_point[0]))  # TFLM's PrepareMeanOrSumHelper, as MEAN
            fields.update(sum_offset=p["input_zero_point"] * count, multiplier=p["output_multiplier"],
                          shift=p["output_shift"], output_zero_point=p["output_zero_point"])
        return fields

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._fields(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        e.call("mr_reduce_s8", e.operand(op.inputs[0]), e.ptr(op.outputs[0]),
               e.params("mr_reduce_params", "reduce", self._fields(e.graph, op)))
