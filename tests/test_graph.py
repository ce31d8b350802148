"""tflite_patch.graph: lossless load/save through TF's schema, and one-line refusals of bad models."""
import os

import numpy as np
import pytest

from conftest import MLPERF, mlperf_ids, read
from tflite_patch import ModelError, check_int8_model, load_tflite, save_tflite
from tflite_patch.graph import schema
from tflite_patch.tflm import random_inputs, run_tflm


@pytest.mark.parametrize("path", MLPERF, ids=mlperf_ids())
def test_round_trip_is_lossless_and_runs_identically_in_tflm(path):
    data = read(path)
    graph = load_tflite(data)
    saved = save_tflite(graph)
    again = load_tflite(saved)
    assert again == graph
    assert save_tflite(again) == saved
    sets = random_inputs(graph, 5, seed=1)
    for a, b in zip(run_tflm(data, sets, len(graph.outputs)), run_tflm(saved, sets, len(graph.outputs))):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype and np.array_equal(x, y)


def test_ir_holds_shapes_quantization_and_constants():
    graph = load_tflite(read(next(p for p in MLPERF if "vww" in p)))
    conv = graph.ops[0]
    assert conv.kind == "CONV_2D" and conv.padding() in ("SAME", "VALID")
    x, w, b = (graph.tensors[t] for t in conv.inputs)
    assert x.shape == (1, 96, 96, 3) and x.dtype == "int8" and x.data is None
    assert w.dtype == "int8" and w.data.shape == w.shape and w.quant.per_channel
    assert w.quant.scale.size == w.shape[0] and b.dtype == "int32"
    assert graph.inputs == [conv.inputs[0]]


def test_truncated_and_random_files_are_refused():
    data = read(MLPERF[0])
    for bad in (data[: len(data) // 3], data[:7], b"", np.random.default_rng(0).bytes(4096),
                b"\x18\x00\x00\x00TFL3" + bytes(64)):
        with pytest.raises(ModelError) as e:
            load_tflite(bad)
        assert "\n" not in str(e.value)


def test_several_subgraphs_are_refused():
    s = schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAs(read(MLPERF[0]), 0))
    model.subgraphs = model.subgraphs * 2
    import flatbuffers
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises(ModelError, match="2 subgraphs"):
        load_tflite(bytes(builder.Output()))


def test_unknown_op_is_named_with_its_index():
    graph = load_tflite(read(next(p for p in MLPERF if "kws" in p)))
    graph.ops[3].kind, graph.ops[3].options_type, graph.ops[3].options = "GELU", None, {}
    from micro_runtime.lowering import SUPPORTED_OPS
    check_int8_model(load_tflite(save_tflite(graph)))  # the planner takes any op
    with pytest.raises(ModelError, match="unsupported op GELU at index 3"):
        check_int8_model(load_tflite(save_tflite(graph)), SUPPORTED_OPS)


def test_float_model_is_refused():
    from model_factory import float_model
    with pytest.raises(ModelError, match="float model"):
        check_int8_model(load_tflite(float_model()))


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_tflite(os.path.join(tmp_path, "nope.tflite"))
