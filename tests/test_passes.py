"""tflite_patch.passes: each rewrite on real models and on converter-made ones."""
import numpy as np
import pytest

from conftest import MLPERF, read
from model_factory import pad_conv_model
from tflite_patch import load_tflite, save_tflite
from tflite_patch.passes import (alias_reshapes, fold_pad_into_conv, fuse_conv_add, mark_inplace, op_padding,
                                 prepare_for_engine)
from tflite_patch.tflm import random_inputs, run_tflm


def kinds(graph):
    return [op.kind for op in graph.ops]


def model(name):
    return load_tflite(read(next(p for p in MLPERF if name in p)))


def test_pad_matching_same_folds_into_a_same_conv_that_tflm_runs_identically():
    # Even input, stride 2, 3x3: SAME pads (0, 1). The converter folds such a PAD itself, so make one:
    # turn a converted PAD ((1,1),(1,1)) into ((0,1),(0,1)); the VALID conv's output shape is unchanged.
    graph = load_tflite(pad_conv_model(((1, 1), (1, 1))))
    assert kinds(graph)[:2] == ["PAD", "CONV_2D"]
    pad = graph.ops[0]
    graph.tensors[pad.inputs[1]].data = np.array([[0, 0], [0, 1], [0, 1], [0, 0]], np.int32)
    graph.tensors[pad.outputs[0]].shape = (1, 17, 17, 3)
    graph.tensors[pad.outputs[0]].shape_signature = (1, 17, 17, 3)
    data = save_tflite(graph)
    folded = fold_pad_into_conv(graph)
    assert "PAD" not in kinds(folded)
    conv = folded.ops[0]
    assert conv.padding() == "SAME" and conv.attrs.explicit_padding is None
    assert conv.inputs[0] == graph.inputs[0]
    saved = save_tflite(folded)
    sets = random_inputs(graph, 8)
    for a, b in zip(run_tflm(data, sets), run_tflm(saved, sets)):
        assert np.array_equal(a[0], b[0])


def test_symmetric_pad_folds_into_explicit_padding_and_is_not_saved_as_tflite():
    graph = load_tflite(pad_conv_model(((1, 1), (1, 1))))
    folded = fold_pad_into_conv(graph)
    assert "PAD" not in kinds(folded)
    assert op_padding(folded, folded.ops[0]) == (1, 1, 1, 1)
    with pytest.raises(ValueError, match="folded PAD"):
        save_tflite(folded)


def test_pad_is_kept_when_its_output_has_other_readers():
    graph = load_tflite(pad_conv_model(((1, 1), (1, 1))))
    pad_out = graph.ops[0].outputs[0]
    graph.outputs = graph.outputs + [pad_out]
    assert "PAD" in kinds(fold_pad_into_conv(graph))


def test_reshape_is_an_alias():
    graph = alias_reshapes(model("vww"))
    reshapes = [op for op in graph.ops if op.kind == "RESHAPE"]
    assert reshapes and all(op.attrs.alias for op in reshapes)


def test_inplace_depthwise_and_pointwise_orders():
    graph = mark_inplace(alias_reshapes(model("vww")))
    for op in graph.ops:
        src, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if op.kind == "DEPTHWISE_CONV_2D":
            assert op.attrs.inplace.position == 0 and op.attrs.inplace.scratch_bytes == out.shape[1] * out.shape[2]
        elif op.kind == "CONV_2D" and graph.tensors[op.inputs[1]].shape[1:3] == (1, 1):
            expected = "forward" if out.shape[3] <= src.shape[3] else "reverse"
            assert op.attrs.inplace.order == expected and op.attrs.inplace.scratch_bytes == src.shape[3]
    # The first conv is 3x3 stride 2: it writes row by row, its output starting no later than its input.
    first = graph.ops[0].attrs.inplace
    assert first.order == "rows" and first.offset <= 0 and first.offset % 16 == 0


def test_no_inplace_over_a_tensor_read_later():
    graph = mark_inplace(model("pretrainedResnet"))
    users = graph.consumers()
    for i, op in enumerate(graph.ops):
        if op.attrs.inplace is not None:
            assert max(users[op.inputs[op.attrs.inplace.position]]) == i


def test_convs_feeding_adds_are_fused_and_write_over_the_skip():
    graph = model("pretrainedResnet")
    assert kinds(graph).count("ADD") == 3
    fused = mark_inplace(fuse_conv_add(graph))
    assert "ADD" not in kinds(fused)
    producer = fused.producer()
    for i, op in enumerate(op for op in fused.ops if op.attrs.fused_add is not None):
        add = op.attrs.fused_add.add
        assert op.outputs == add.outputs and op.inputs[-1] in add.inputs
        assert op.attrs.fused_add.conv_output in add.inputs
        assert producer.get(op.inputs[-1], -1) < fused.ops.index(op)
        assert op.attrs.inplace.position == len(op.inputs) - 1


def test_prepare_for_engine_records_origins_of_every_original_op():
    graph = load_tflite(pad_conv_model(((1, 1), (1, 1))))
    prepared = prepare_for_engine(graph)
    origins = sorted(i for op in prepared.ops for i in op.attrs.origins)
    assert origins == list(range(len(graph.ops)))


def test_rows_inplace_offset_keeps_unread_rows():
    """Simulate the row-by-row schedule: every input row must still be intact when an output row reads it."""
    from tflite_patch.passes import op_window, rows_inplace_offset
    graph = model("vww")
    for op in graph.ops:
        if op.kind != "CONV_2D" or graph.tensors[op.inputs[1]].shape[1] == 1:
            continue
        delta = rows_inplace_offset(graph, op)
        _, in_h, in_w, in_c = graph.tensors[op.inputs[0]].shape
        _, out_h, out_w, out_c = graph.tensors[op.outputs[0]].shape
        kh, _, sh, _ = op_window(graph, op)
        top = op_padding(graph, op)[0]
        written_end = delta  # bytes [delta, written_end) of the input's frame hold output rows
        for y in range(out_h):
            first_row = max(y * sh - top, 0)
            assert written_end <= first_row * in_w * in_c  # rows this output row reads are intact
            written_end = delta + (y + 1) * out_w * out_c
