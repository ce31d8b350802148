"""tflite_patch: .tflite <-> graph IR, rewrite passes, the static memory planner, TFLM offline plans."""
from tflite_patch.graph import Graph, ModelError, Op, Quantization, Tensor, load_tflite, save_tflite
from tflite_patch.validate import check_int8_model

__all__ = ["Graph", "ModelError", "Op", "Quantization", "Tensor", "check_int8_model", "load_tflite",
           "save_tflite"]
