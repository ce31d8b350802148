"""What the structure-aware fuzzer (micro_runtime.fuzz_ir, `make fuzz-ir`) found, each kept as the model it
built and refused in one line now."""
import numpy as np
import pytest

from conftest import MLPERF, read
from micro_runtime.codegen import generate
from tflite_patch import Graph, ModelError, Op, Quantization, Tensor, load_tflite, save_tflite

AD01 = next(p for p in MLPERF if "ad01" in p)
VWW = next(p for p in MLPERF if "vww" in p)


def refused(graph, match):
    with pytest.raises(ModelError, match=match) as err:
        generate(save_tflite(graph), "m")
    assert "\n" not in str(err.value)


def test_a_fully_connected_reading_a_constant_bias_is_refused():
    """Seed 7, `op 4 input 0 24 -> 7` on ad01: the FC's data input became another layer's int32 bias; the
    generator raised KeyError looking for it in the arena."""
    g = load_tflite(read(AD01))
    assert g.ops[4].kind == "FULLY_CONNECTED" and g.tensors[7].dtype == "int32" and g.tensors[7].data is not None
    g.ops[4].inputs[0] = 7
    refused(g, "op FULLY_CONNECTED at index 4: tensor 7 is int32; FULLY_CONNECTED takes and gives int8")


def test_an_op_reading_an_int8_constant_where_it_takes_an_activation_is_refused():
    """The same with an int8 constant: nothing in the arena to point at (the model's one input unused)."""
    q = Quantization(np.array([0.05], np.float32), np.array([0], np.int64))
    tensors = [Tensor("x", (1, 16), "int8", q), Tensor("c", (1, 16), "int8", q, data=np.ones((1, 16), np.int8)),
               Tensor("w", (4, 16), "int8", q, data=np.ones((4, 16), np.int8)), Tensor("y", (1, 4), "int8", q)]
    g = Graph(tensors, [Op("FULLY_CONNECTED", [1, 2], [3], {}, "FullyConnectedOptions", 1)], [0], [3], "main")
    refused(g, r"op FULLY_CONNECTED at index 0: tensor 1 \(c\) is a constant or not planned where the op takes an "
               "activation")


@pytest.mark.parametrize("multiplier", [-1, 0, 2, (1 << 31) - 1])
def test_a_depthwise_multiplier_option_that_disagrees_with_the_shapes_is_refused(multiplier):
    """Seed 9, on vww's depthwise at index 5: `depthMultiplier` 2^31-1 with a [1, 3, 3, 32] filter over 32
    input channels was accepted (the engine takes the multiplier from the shapes) and its output differed
    from TFLM's, whose kernel loops over the option's multiplier."""
    g = load_tflite(read(VWW))
    assert g.ops[5].kind == "DEPTHWISE_CONV_2D" and g.ops[5].options["depthMultiplier"] == 1
    g.ops[5].options["depthMultiplier"] = multiplier
    refused(g, rf"op DEPTHWISE_CONV_2D at index 5: .*depth multiplier {multiplier} does not match filter \[1, 3, 3, 32\]")


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D"])
@pytest.mark.parametrize("patch", [None, "2:2"])
def test_a_rescale_out_of_range_is_refused_while_choosing_kernels(kind, patch):
    """atheris, CI seed 1 (scripts/fuzz.py), twice: a CONV_2D whose rescale needs a left shift of 35 and a
    DEPTHWISE_CONV_2D whose needs 65. The planner (scratch) and the emitter (kernel files) ask the lowering
    which kernel it takes, which computes the rescale; its QuantRangeError escaped the per-op checks."""
    g = load_tflite(read(VWW))
    i = next(k for k, op in enumerate(g.ops) if op.kind == kind and k > 0)
    out = g.tensors[g.ops[i].outputs[0]]
    out.quant = Quantization(out.quant.scale * np.float32(1e-12), out.quant.zero_point)
    with pytest.raises(ModelError, match=rf"op {kind} at index \d+: rescale factor .* needs a left shift of"):
        generate(save_tflite(g), "m", patch=patch)
