"""EXPAND_DIMS, SHAPE, CAST, MIRROR_PAD: random single-op models against the TFLM wheel; a converter-made
Conv1D model."""
import numpy as np

from micro_runtime.codegen import generate
from micro_runtime.target_host import HostModel
from model_factory import conv1d_model
from shape_ops_check import CFLAGS, act, assert_refused, check_cases, check_graphs, const, q, single
from tflite_patch import Graph, Op, Tensor, load_tflite, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

CASES = 20


def expand_dims_case(rng):
    shape = [int(v) for v in rng.integers(1, 7, size=int(rng.integers(1, 4)))]
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    out = list(shape)
    out.insert(axis % (len(shape) + 1), 1)
    x = act(shape, rng)
    tensors = [x, const([axis], "axis"), act(out, rng, "y", x.quant)]
    return single(tensors, "EXPAND_DIMS", [0, 1], [2], {}, "ExpandDimsOptions")


def test_expand_dims():
    assert check_cases(expand_dims_case, 3, CASES) == CASES


def test_expand_dims_refuses_an_output_shape_with_the_one_elsewhere():
    rng = np.random.default_rng(0)
    x = act([3, 4], rng)
    g = single([x, const([0], "axis"), act([3, 1, 4], rng, "y", x.quant)], "EXPAND_DIMS", [0, 1], [2], {},
               "ExpandDimsOptions")
    assert_refused(g, "op EXPAND_DIMS at index 0: output int8 \\[3, 1, 4\\] is not the input int8 \\[3, 4\\] with a "
                      "dimension of 1 at axis 0")


def test_expand_dims_is_an_alias():
    """Its output shares the input's bytes: no copy is emitted (when the input is not a graph output)."""
    rng = np.random.default_rng(0)
    g = expand_dims_case(rng)
    gen = generate(save_tflite(g), "op")
    text = "".join(v for k, v in gen.files.items() if k.endswith(".c"))
    assert "alias: same bytes, new shape" in text and "memcpy" not in text.split("alias")[0][-200:]


def shape_case(rng):
    shape = [int(v) for v in rng.integers(1, 5, size=int(rng.integers(1, 5)))]
    tensors = [act(shape, rng), Tensor("y", (len(shape),), "int32", None)]
    return single(tensors, "SHAPE", [0], [1], {"outType": 2}, "ShapeOptions")


CASTS = [("int8", "int32"), ("int32", "int8"), ("int8", "float32"), ("float32", "int8"), ("int32", "float32"),
         ("float32", "int32")]


def cast_case(rng):
    """A CAST between int8 and itself around it (the graph's int8 activations), types at the boundary."""
    src, dst = CASTS[int(rng.integers(0, len(CASTS)))]
    shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    quant = q(0.05, 0)
    tensors = [Tensor("x", shape, src, quant if src == "int8" else None),
               Tensor("y", shape, dst, quant if dst == "int8" else None)]
    return single(tensors, "CAST", [0], [1], {"inDataType": 0, "outDataType": 0}, "CastOptions")


def mirror_pad_case(rng):
    shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
    mode = int(rng.integers(0, 2))
    pads = [[int(rng.integers(0, n - (mode == 0) + 1)) for _ in range(2)] for n in shape]
    x = act(shape, rng)
    out = [b + n + a for n, (b, a) in zip(shape, pads)]
    tensors = [x, const(pads, "pads"), act(out, rng, "y", x.quant)]
    return single(tensors, "MIRROR_PAD", [0, 1], [2], {"mode": mode}, "MirrorPadOptions")


def test_shape():
    assert check_cases(shape_case, 4, CASES) == CASES


def test_cast():
    assert check_cases(cast_case, 5, CASES, int32_range=lambda t: (-300, 300)) == CASES


def test_mirror_pad():
    assert check_cases(mirror_pad_case, 6, CASES) == CASES


def test_mirror_pad_refuses_padding_beyond_the_input():
    rng = np.random.default_rng(0)
    x = act([3], rng)
    g = single([x, const([[3, 0]], "pads"), act([6], rng, "y", x.quant)], "MIRROR_PAD", [0, 1], [2], {"mode": 0},
               "MirrorPadOptions")
    assert_refused(g, "op MIRROR_PAD at index 0: padding \\(3, 0\\) of a dimension of 3 is more than the REFLECT")


def test_cast_refuses_uint8_as_the_wheel():
    quant = q(0.05, 0)
    g = single([Tensor("x", (3,), "uint8", quant), Tensor("y", (3,), "int8", quant)], "CAST", [0], [1], {},
               "CastOptions")
    assert_refused(g, "op CAST at index 0: uint8 \\[3\\] -> int8 \\[3\\]")


def test_converter_conv1d_model():
    """A converter-made model with Keras Conv1D layers: EXPAND_DIMS are aliases, and the whole model
    (STRIDED_SLICE, SPLIT, REDUCE_MAX, SUM among its ops) is bit-exact with the TFLM wheel."""
    model = conv1d_model()
    graph = load_tflite(model)
    kinds = [op.kind for op in graph.ops]
    assert {"EXPAND_DIMS", "STRIDED_SLICE", "SPLIT", "REDUCE_MAX", "SUM"} <= set(kinds)
    gen = generate(model, "op")
    assert gen.files["op.c"].count("alias: same bytes") == kinds.count("EXPAND_DIMS") + kinds.count("RESHAPE")
    sets = random_inputs(graph, 8, seed=0)
    expected = list(run_tflm(model, sets, len(graph.outputs)))
    for flags in ((), ("-DMR_PORTABLE",)):
        host = HostModel(gen, cflags=CFLAGS + flags)
        for arrays, want in zip(sets, expected):
            assert [g.tobytes() for g in host.invoke(arrays)] == [w.tobytes() for w in want]


def test_dynamic_flatten_chain():
    """What a Keras Flatten with a dynamic batch becomes: SHAPE -> STRIDED_SLICE (shrink) -> PACK -> RESHAPE,
    int32 tensors inside the graph; bit-exact with the TFLM wheel."""
    rng = np.random.default_rng(0)
    x = act([1, 4, 4, 2], rng)
    tensors = [x, Tensor("shape", (4,), "int32", None), const([0], "b"), const([1], "e"), const([1], "s"),
               Tensor("batch", (), "int32", None), const(np.int32(32).reshape(()), "n"),
               Tensor("new_shape", (2,), "int32", None), act([1, 32], rng, "y", x.quant)]
    ops = [Op("SHAPE", [0], [1], {"outType": 2}, "ShapeOptions"),
           Op("STRIDED_SLICE", [1, 2, 3, 4], [5], {"shrinkAxisMask": 1}, "StridedSliceOptions"),
           Op("PACK", [5, 6], [7], {"valuesCount": 2, "axis": 0}, "PackOptions"),
           Op("RESHAPE", [0, 7], [8], {"newShape": []}, "ReshapeOptions")]
    assert check_graphs([Graph(tensors, ops, [0], [8])]) == 1
