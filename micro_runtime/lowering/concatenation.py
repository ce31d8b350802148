"""CONCATENATION of int8 tensors along one axis, each input requantized to the output's scale."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import ModelError, Op


class Concatenation(Lowering):
    kinds = ("CONCATENATION",)
    sources = ("concatenation.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        shapes = [tuple(graph.tensors[t].shape) for t in op.inputs]
        rank = len(shapes[0])
        axis = int(op.options.get("axis", 0))
        if rank == 0 or not -rank <= axis < rank or any(len(s) != rank for s in shapes):
            raise ModelError(f"inputs of shapes {[list(s) for s in shapes]} cannot be joined along axis {axis}")
        axis %= rank
        rest = {s[:axis] + s[axis + 1:] for s in shapes}
        if len(rest) != 1:
            raise ModelError(f"inputs of shapes {[list(s) for s in shapes]} differ outside axis {axis}")
        return [shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]]

    def check(self, graph, i: int, op: Op) -> None:
        for t in op.inputs:
            if graph.tensors[t].dtype != "int8":
                raise ModelError(f"input {t} is {graph.tensors[t].dtype}; CONCATENATION takes int8")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        y = op.outputs[0]
        shape = e.t(y).shape
        axis = int(op.options.get("axis", 0)) % len(shape)
        p = quant.concat_params([e.q(t)[0] for t in op.inputs], [e.q(t)[1] for t in op.inputs], *e.q(y))
        params = e.params("mr_concatenation_params", "concat", {
            "num_inputs": len(op.inputs), "axis_dims": e.array("dims", [e.t(t).shape[axis] for t in op.inputs]),
            "outer": int(np.prod(shape[:axis])), "inner": int(np.prod(shape[axis + 1:])),
            "input_offsets": e.array("off", p["input_offsets"]), "multipliers": e.array("m", p["multipliers"]),
            "shifts": e.array("s", p["shifts"]), "output_offset": p["output_offset"]})
        ptrs = ", ".join(e.operand(t) for t in op.inputs)
        e.body.append(f"  {{ const MR_CONST int8_t *const ins[{len(op.inputs)}] = {{{ptrs}}};")
        e.call("  mr_concatenation_s8", params, "ins", e.ptr(y))
        e.body.append("  }")
