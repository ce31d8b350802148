"""tflite_patch: .tflite <-> graph IR, rewrite passes, the static memory planner, TFLM offline plans."""
from tflite_patch.graph import (Graph, ModelError, Op, Quantization, Tensor, check_int8_model, load_tflite,
                                save_tflite)

__all__ = ["Graph", "ModelError", "Op", "Quantization", "Tensor", "check_int8_model", "load_tflite",
           "save_tflite"]
