"""tflite_patch.validate: loadable models whose fields disagree are refused in one line, never turned
into C that reads or writes outside its buffers."""
import dataclasses

import pytest

from conftest import MLPERF, read
from micro_runtime.codegen import generate
from tflite_patch import ModelError, load_tflite, save_tflite

KWS = next(p for p in MLPERF if "kws" in p)


def kws():
    return load_tflite(read(KWS))


def refused(graph, match):
    with pytest.raises(ModelError, match=match) as err:
        generate(save_tflite(graph), "m")
    assert "\n" not in str(err.value) and "\x1b" not in str(err.value)
    return str(err.value)


def test_a_shape_whose_size_wraps_int64_is_refused():
    g = kws()
    t = g.ops[1].outputs[0]
    g.tensors[t] = dataclasses.replace(g.tensors[t], shape=(1, 769546, 494770, 48448661), shape_signature=None)
    refused(g, rf"tensor {t} .* needs [\d,]+ bytes, more than 2,147,483,648")


def test_two_writers_of_one_tensor_are_refused():
    g = kws()
    g.ops[2].outputs = list(g.ops[1].outputs)
    refused(g, "is written by op 1 and op 2")


def test_a_cycle_is_refused():
    g = kws()
    g.ops[1].inputs[0] = g.ops[3].outputs[0]
    refused(g, "op CONV_2D at index 1|reads tensor .* before op 3 writes it")


def test_a_tensor_read_but_never_written_is_refused():
    g = kws()
    g.tensors.append(dataclasses.replace(g.tensors[g.ops[1].outputs[0]], name="orphan"))
    g.ops[2].inputs[0] = len(g.tensors) - 1
    refused(g, r"reads tensor \d+ \(orphan\), which nothing writes")


def test_an_overwritten_graph_input_and_a_written_constant_are_refused():
    g = kws()
    g.ops[0].outputs = [g.inputs[0]]
    refused(g, "overwrites graph input")
    g = kws()
    g.ops[0].outputs = [g.ops[0].inputs[1]]
    refused(g, "writes constant tensor")


def test_a_model_without_inputs_is_refused():
    g = kws()
    g.inputs = []
    refused(g, "model has no inputs")


def test_names_with_control_characters_are_escaped_and_capped():
    g = kws()
    g.ops[0].kind, g.ops[0].options_type, g.ops[0].options = "GELU", None, {}
    g.tensors[g.inputs[0]].name = "a\nb\x1b[31m" + "x" * 5000
    g.tensors[g.ops[1].outputs[0]] = dataclasses.replace(g.tensors[g.ops[1].outputs[0]],
                                                  name="evil\n\x1b[2Jname" * 100,
                                                  shape=(1, 1 << 20, 1 << 20, 64), shape_signature=None)
    message = refused(g, "needs")
    assert "\\n" in message and "\\x1b" in message and len(message) <= 400


@pytest.mark.parametrize("name", ["mr_kernels", "MR_x", "add", "conv_fast", "caf\u00e9"])
def test_names_of_the_runtime_are_refused(name):
    with pytest.raises(ModelError, match="reserved|not a C identifier"):
        generate(read(KWS), name)


def test_a_small_file_listing_many_references_to_one_op_is_refused_before_unpacking():
    import flatbuffers

    from tflite_patch.graph import MAX_ITEMS, schema
    s, n = schema(), MAX_ITEMS + 1
    b = flatbuffers.Builder(0)
    s.OperatorStart(b)
    s.OperatorAddOpcodeIndex(b, 0)
    op = s.OperatorEnd(b)
    s.SubGraphStartOperatorsVector(b, n)
    for _ in range(n):
        b.PrependUOffsetTRelative(op)
    ops = b.EndVector()
    s.SubGraphStart(b)
    s.SubGraphAddOperators(b, ops)
    sg = s.SubGraphEnd(b)
    s.ModelStartSubgraphsVector(b, 1)
    b.PrependUOffsetTRelative(sg)
    subgraphs = b.EndVector()
    s.ModelStart(b)
    s.ModelAddVersion(b, 3)
    s.ModelAddSubgraphs(b, subgraphs)
    b.Finish(s.ModelEnd(b), file_identifier=b"TFL3")
    data = bytes(b.Output())
    assert len(data) < 4 * n + 1000
    with pytest.raises(ModelError, match=f"model lists {n:,} ops, more than"):
        load_tflite(data)
