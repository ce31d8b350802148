"""Loadable single-op models whose fields disagree (the issue's cases: declared outputs smaller than the
inputs and options give, bad permutations, rescales out of range, impossible zero points, wrong operand
types): each is refused in one line before any C is written."""
import numpy as np
import pytest

from micro_runtime.codegen import generate
from tflite_patch import Graph, ModelError, Op, Quantization, Tensor, save_tflite


def q(scale=0.05, zp=0):
    return Quantization(np.array([scale], np.float32), np.array([zp], np.int64))


def t(shape, dtype="int8", quant="default", data=None, name="t"):
    return Tensor(name, tuple(shape), dtype, q() if quant == "default" else quant, data=data)


def const(values, dtype="int32"):
    arr = np.asarray(values, dtype={"int32": np.int32, "int8": np.int8, "float32": np.float32}[dtype])
    return t(arr.shape, dtype, None if dtype != "int8" else q(), data=arr, name="c")


def single(kind, inputs, output, options=None, options_type=None, extra_outputs=()):
    """One op reading `inputs` (Tensor list; constants included) and writing `output`."""
    tensors = list(inputs) + [output, *extra_outputs]
    graph_inputs = [k for k, x in enumerate(inputs) if x.data is None]
    outs = list(range(len(inputs), len(tensors)))
    op = Op(kind, list(range(len(inputs))), outs, dict(options or {}), options_type, 1)
    return Graph(tensors, [op], graph_inputs, outs, "main")


def refused(graph, match):
    with pytest.raises(ModelError, match=match) as err:
        generate(save_tflite(graph), "m")
    assert "\n" not in str(err.value)


SMALL = "has shape .* but its inputs and options give"
CASES = {
    "PAD 1000": (lambda: single("PAD", [t((1, 4, 4, 2)), const([[0, 0], [1000, 1000], [0, 0], [0, 0]])],
                                t((1, 4, 4, 2))), SMALL),
    "PAD rank 5": (lambda: single("PAD", [t((1, 1, 2, 2, 2)), const([[0, 0]] * 5)], t((1, 1, 2, 2, 2))),
                   "rank 5"),
    "ADD broadcast": (lambda: single("ADD", [t((1, 4, 4, 8)), t((1, 1, 1, 8))], t((1, 2, 2, 8))), SMALL),
    "ADD int32 constant": (lambda: single("ADD", [t((1, 4)), const([[1, 2, 3, 4]])], t((1, 4))), "is int32"),
    "MEAN": (lambda: single("MEAN", [t((1, 4, 4, 8)), const([1, 2])], t((1, 2)), {"keepDims": False},
                            "ReducerOptions"), SMALL),
    "SOFTMAX": (lambda: single("SOFTMAX", [t((1, 10))], t((1, 5), quant=q(1 / 256, -128)), {"beta": 1.0},
                               "SoftmaxOptions"), SMALL),
    "SOFTMAX rank 0": (lambda: single("SOFTMAX", [t(())], t((), quant=q(1 / 256, -128)), {"beta": 1.0},
                                      "SoftmaxOptions"), "rank 0|empty shape"),
    "LOGISTIC": (lambda: single("LOGISTIC", [t((1, 64))], t((1, 8), quant=q(1 / 256, -128))), SMALL),
    "HARD_SWISH": (lambda: single("HARD_SWISH", [t((1, 64))], t((1, 8))), SMALL),
    "MAX_POOL channels": (lambda: single("MAX_POOL_2D", [t((1, 4, 4, 8))], t((1, 2, 2, 2)), {
        "padding": 1, "strideH": 2, "strideW": 2, "filterHeight": 2, "filterWidth": 2}, "Pool2DOptions"), SMALL),
    "RESIZE": (lambda: single("RESIZE_NEAREST_NEIGHBOR", [t((1, 4, 4, 2)), const([16, 16])], t((1, 8, 8, 2))),
               SMALL),
    "QUANTIZE": (lambda: single("QUANTIZE", [t((1, 64), "float32", None)], t((1, 8))), SMALL),
    "DEQUANTIZE": (lambda: single("DEQUANTIZE", [t((1, 64))], t((1, 8), "float32", None)), SMALL),
    "TRANSPOSE": (lambda: single("TRANSPOSE", [t((1, 2, 3, 4)), const([0, 3, 2, 1])], t((1, 2, 3, 4))), SMALL),
    "TRANSPOSE 9": (lambda: single("TRANSPOSE", [t((1, 2, 3, 4)), const([0, 1, 2, 9])], t((1, 2, 3, 4))),
                    r"permutation \[0, 1, 2, 9\]"),
    "TRANSPOSE duplicate": (lambda: single("TRANSPOSE", [t((1, 2, 3, 4)), const([0, 1, 1, 2])], t((1, 2, 2, 3))),
                            "permutation"),
    "CONCATENATION output": (lambda: single("CONCATENATION", [t((1, 4)), t((1, 4))], t((1, 4)), {"axis": 1},
                                            "ConcatenationOptions"), SMALL),
    "CONCATENATION inputs": (lambda: single("CONCATENATION", [t((1, 4)), t((2, 4))], t((1, 12)), {"axis": 1},
                                            "ConcatenationOptions"), "differ outside axis"),
    "CONCATENATION rank 0": (lambda: single("CONCATENATION", [t(()), t(())], t((2,)), {"axis": 0},
                                            "ConcatenationOptions"), "cannot be joined|empty shape"),
    "RESHAPE larger": (lambda: single("RESHAPE", [t((1, 4)), const([1, 64])], t((1, 64))), "reshapes 4 bytes"),
    "MUL rescale": (lambda: single("MUL", [t((1, 4), quant=q(1e6)), t((1, 4), quant=q(1e6))], t((1, 4), quant=q(1e-6))),
                    "left shift of"),
    "LOGISTIC scale 1e-20": (lambda: single("LOGISTIC", [t((1, 8), quant=q(1e-20))], t((1, 8), quant=q(1 / 256, -128))),
                             "op LOGISTIC at index 0"),
    "PAD zero point 1000": (lambda: single("PAD", [t((1, 2, 2, 1), quant=q(0.1, 1000)), const([[0, 0], [1, 1], [1, 1], [0, 0]])],
                                           t((1, 4, 4, 1), quant=q(0.1, 1000))), "zero point 1000 outside"),
    "NaN I/O scale": (lambda: single("QUANTIZE", [t((1, 8), "float32", q(float("nan")))], t((1, 8))),
                      "one not finite"),
}


def conv(kind, x, filt, y, **options):
    """A CONV_2D or DEPTHWISE_CONV_2D of int8 `filt` (OHWI / 1HWC), SAME, stride 1 unless `options` say."""
    weights = const(np.ones(filt, np.int8), "int8")
    opts = {"padding": 0, "strideH": 1, "strideW": 1, **options}
    if kind == "DEPTHWISE_CONV_2D":
        opts.setdefault("depthMultiplier", max(filt[3] // x[3], 1))
    kind_options = "Conv2DOptions" if kind == "CONV_2D" else "DepthwiseConv2DOptions"
    return single(kind, [t(x), weights], y, opts, kind_options)


# The conv family's output shapes and window options, checked by its lowerings (conv, depthwise, pooling,
# fully_connected).
CASES.update({
    "CONV_2D channels": (lambda: conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 2), t((1, 4, 4, 4))), SMALL),
    "CONV_2D VALID H": (lambda: conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 2), t((1, 4, 4, 8)), padding=1), SMALL),
    "CONV_2D filter depth": (lambda: conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 3), t((1, 4, 4, 8))),
                             "does not match input"),
    "CONV_2D stride 0": (lambda: conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 2), t((1, 4, 4, 8)), strideH=0),
                         "invalid strides"),
    "CONV_2D dilation 2^31-1": (lambda: conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 2), t((1, 4, 4, 8)),
                                             dilationHFactor=(1 << 31) - 1), "reach past int32 positions"),
    "DEPTHWISE multiplier 2 output": (lambda: conv("DEPTHWISE_CONV_2D", (1, 4, 4, 2), (1, 3, 3, 4), t((1, 4, 4, 2))),
                                      SMALL),
    "DEPTHWISE channels not a multiple": (lambda: conv("DEPTHWISE_CONV_2D", (1, 4, 4, 3), (1, 3, 3, 4),
                                                       t((1, 4, 4, 4))), "does not match input"),
    "DEPTHWISE multiplier 2 rescale": (lambda: single("DEPTHWISE_CONV_2D", [
        t((1, 4, 4, 2), quant=q(1e4)), const(np.ones((1, 3, 3, 4), np.int8), "int8")], t((1, 4, 4, 4), quant=q(1e-12)),
        {"padding": 0, "strideH": 1, "strideW": 1, "depthMultiplier": 2}, "DepthwiseConv2DOptions"), "left shift of"),
    "MAX_POOL window 0": (lambda: single("MAX_POOL_2D", [t((1, 4, 4, 8))], t((1, 4, 4, 8)), {
        "padding": 0, "strideH": 1, "strideW": 1, "filterHeight": 0, "filterWidth": 2}, "Pool2DOptions"),
                          "invalid window"),
    "FULLY_CONNECTED batches": (lambda: single("FULLY_CONNECTED", [t((4, 16)), const(np.ones((8, 16), np.int8), "int8")],
                                               t((1, 8)), {}, "FullyConnectedOptions"), SMALL),
    "FULLY_CONNECTED depth": (lambda: single("FULLY_CONNECTED", [t((1, 15)), const(np.ones((8, 16), np.int8), "int8")],
                                             t((1, 8)), {}, "FullyConnectedOptions"), "do not match input"),
})


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_single_op_is_refused_in_one_line(case):
    build, match = CASES[case]
    refused(build(), match)


def test_the_same_ops_with_consistent_shapes_are_accepted():
    """The builders are right apart from the field each case breaks."""
    generate(save_tflite(single("PAD", [t((1, 4, 4, 2)), const([[0, 0], [1, 1], [0, 0], [0, 0]])],
                                t((1, 6, 4, 2)))), "m")
    generate(save_tflite(single("ADD", [t((1, 4, 4, 8)), t((1, 1, 1, 8))], t((1, 4, 4, 8)))), "m")
    generate(save_tflite(single("TRANSPOSE", [t((1, 2, 3, 4)), const([0, 3, 2, 1])], t((1, 4, 3, 2)))), "m")
    generate(save_tflite(single("CONCATENATION", [t((1, 4)), t((1, 4))], t((1, 8)), {"axis": 1},
                                "ConcatenationOptions")), "m")
    generate(save_tflite(conv("CONV_2D", (1, 4, 4, 2), (8, 3, 3, 2), t((1, 4, 4, 8)))), "m")
    generate(save_tflite(conv("CONV_2D", (1, 9, 9, 2), (8, 3, 3, 2), t((1, 2, 2, 8)), padding=1, strideH=3, strideW=3,
                              dilationHFactor=2, dilationWFactor=2)), "m")
    generate(save_tflite(conv("DEPTHWISE_CONV_2D", (1, 4, 4, 2), (1, 3, 3, 4), t((1, 4, 4, 4)))), "m")
    generate(save_tflite(single("FULLY_CONNECTED", [t((4, 16)), const(np.ones((8, 16), np.int8), "int8")],
                                t((4, 8)), {}, "FullyConnectedOptions")), "m")
