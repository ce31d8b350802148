"""CONCATENATION int16: TFLM copies int16 inputs as they are (EvalUnquantized, whatever their scales): one
strided block copy per input, as PACK's."""
from __future__ import annotations

from micro_runtime.lowering.concatenation import Concatenation
from micro_runtime.lowering.packing import _axis, _Pieces
from tflite_patch.graph import Graph, ModelError, Op


class ConcatenationS16(_Pieces):
    kinds = ("CONCATENATION",)
    activation_type = "int16"
    output_shapes = Concatenation.output_shapes

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "concatenation_s16"

    def layout(self, graph: Graph, op: Op) -> tuple[int, int, list[int]]:
        whole = op.outputs[0]
        if graph.tensors[whole].dtype != "int16":
            raise ModelError(f"output {whole} is {graph.tensors[whole].dtype}; an int16 CONCATENATION writes int16")
        return whole, _axis(int(op.options.get("axis", 0)), len(graph.tensors[whole].shape)), list(op.inputs)
