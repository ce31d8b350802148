"""EXPAND_DIMS (an alias of its input, as RESHAPE), ..."""
from __future__ import annotations

from micro_runtime.lowering.reshape import Reshape
from tflite_patch.graph import Graph, ModelError, Op


class ExpandDims(Reshape):
    """The same bytes under a shape with one more dimension of 1 (what a Keras Conv1D becomes): an alias
    in the plan (passes.alias_reshapes), a copy otherwise."""
    kinds = ("EXPAND_DIMS",)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if x.dtype != y.dtype or len(y.shape) != len(x.shape) + 1 or x.nbytes != y.nbytes:
            raise ModelError(f"output {y.dtype} {list(y.shape)} is not the input {x.dtype} {list(x.shape)} "
                             "with one more dimension")
