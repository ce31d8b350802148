"""Every entry point refuses bad models with one line naming the problem, a non-zero exit, no traceback,
and writes nothing."""
import os
import subprocess
import sys

import flatbuffers
import numpy as np
import pytest

from conftest import MLPERF, ROOT, read
from tflite_patch import load_tflite, save_tflite
from tflite_patch.graph import schema

KWS = next(p for p in MLPERF if "kws" in p)


def kws_graph():
    return load_tflite(read(KWS))


def edited(edit):
    graph = kws_graph()
    edit(graph)
    return save_tflite(graph)


def several_subgraphs():
    s = schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAs(read(KWS), 0))
    model.subgraphs = model.subgraphs * 2
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def other_flatbuffer():
    builder = flatbuffers.Builder(64)
    builder.StartObject(1)
    builder.PrependInt32Slot(0, 42, 0)
    builder.Finish(builder.EndObject(), file_identifier=b"ABCD")
    return bytes(builder.Output())


def bit_flipped():
    data = bytearray(read(KWS))
    data[4:8] = b"TFL4"
    return bytes(data)


def set_attr(index, **values):
    def edit(graph):
        for k, v in values.items():
            setattr(graph.tensors[index], k, v)
    return edit


def activation(graph):
    return graph.ops[1].outputs[0]


def with_activation(**values):
    def edit(graph):
        for k, v in values.items():
            setattr(graph.tensors[activation(graph)], k, v)
    return edit


def float_model():
    from model_factory import float_model as make
    return make()


def unsupported(graph):
    graph.ops[3].kind, graph.ops[3].options_type, graph.ops[3].options = "GELU", None, {}


def bad_buffer(graph):
    w = graph.ops[0].inputs[1]
    graph.tensors[w].shape = (graph.tensors[w].shape[0] + 1,) + graph.tensors[w].shape[1:]


def out_of_range(graph):
    graph.ops[2].inputs[0] = 999


def one_input_add(graph):
    graph.ops[3].kind, graph.ops[3].options_type, graph.ops[3].options = "ADD", None, {}
    graph.ops[3].inputs = graph.ops[3].inputs[:1]


def no_zero_points(graph):
    graph.tensors[activation(graph)].quant.zero_point = np.zeros(0, np.int64)


def per_channel_off_axis(graph):
    w = graph.tensors[graph.ops[0].inputs[1]]
    w.quant.axis = 3  # 1 input channel on axis 3; the 64 scales belong to axis 0


def tiny_softmax_beta(graph):
    next(op for op in graph.ops if op.kind == "SOFTMAX").options["beta"] = 1e-9


def fc_bias_scale_off(graph):
    fc = next(op for op in graph.ops if op.kind == "FULLY_CONNECTED")
    graph.tensors[fc.outputs[0]].quant.scale = np.array([1e-12], np.float32)


def unknown_activation(graph):
    graph.ops[0].options["fusedActivationFunction"] = 68


def scale(value):
    def edit(graph):
        t = graph.tensors[activation(graph)]
        t.quant.scale = np.array([value], np.float32)
    return edit


BAD = {
    "empty": (lambda: b"", "not a TFLite model"),
    "random bytes": (lambda: np.random.default_rng(0).bytes(5000), "not a TFLite model"),
    "truncated": (lambda: read(KWS)[:3000], "TFLite"),
    "bit-flipped identifier": (bit_flipped, "not a TFLite model"),
    "other flatbuffer": (other_flatbuffer, "not a TFLite model"),
    "float32 model": (float_model, "float model"),
    "int16 activation, zero point not 0": (lambda: edited(with_activation(dtype="int16")), "outside [0, 0] of int16"),
    "complex activations": (lambda: edited(with_activation(dtype="complex128")), "is complex128"),
    "unsupported op": (lambda: edited(unsupported), "unsupported op GELU at index 3"),
    "dynamic shape": (lambda: edited(with_activation(shape_signature=(1, -1, 5, 64))), "dynamic shape"),
    "zero-sized shape": (lambda: edited(with_activation(shape=(1, 0, 5, 64))), "empty shape"),
    "several subgraphs": (several_subgraphs, "2 subgraphs"),
    "buffer size mismatch": (lambda: edited(bad_buffer), "buffer holds"),
    "missing quantization": (lambda: edited(with_activation(quant=None)), "no quantization parameters"),
    "zero scale": (lambda: edited(scale(0.0)), "non-positive quantization scale"),
    "negative scale": (lambda: edited(scale(-0.5)), "non-positive quantization scale"),
    "zero points missing": (lambda: edited(no_zero_points), "quantization has 1 scales but 0 zero points"),
    "per-channel scales off axis": (lambda: edited(per_channel_off_axis), "64 per-channel scales along axis 3"),
    "softmax beta TFLM refuses": (lambda: edited(tiny_softmax_beta), "op SOFTMAX at index 12: rescale factor"),
    "FC bias scale TFLM refuses": (lambda: edited(fc_bias_scale_off), "bias scale"),
    "unknown fused activation": (lambda: edited(unknown_activation), "op CONV_2D at index 0 has an unknown fused activation 68"),
    "tensor index out of range": (lambda: edited(out_of_range), "refers to tensor 999"),
    "ADD with one input": (lambda: edited(one_input_add), "op ADD at index 3 takes 2 input tensors, not 1"),
}


def run_script(script, *args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("script", ["plan.py", "codegen.py", "bench.py"])
def test_bad_model_is_one_line_and_writes_nothing(tmp_path, kind, script):
    make, message = BAD[kind]
    model = tmp_path / "bad.tflite"
    model.write_bytes(make())
    if script == "plan.py":
        args = [f"--tflite={model}", f"--report={tmp_path / 'r.json'}", f"--out={tmp_path / 'o.tflite'}"]
    elif script == "codegen.py":
        args = [f"--tflite={model}", f"--out_dir={tmp_path / 'gen'}"]
    else:
        args = [f"--tflite={model}", f"--json={tmp_path / 'b.json'}", "--inputs=2", "--notflite_interpreter"]
    res = run_script(script, *args)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], res.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.tflite"]


@pytest.mark.parametrize("script", ["plan.py", "codegen.py", "bench.py", "export.py", "search.py", "stage1.py",
                                    "mcunet.py", "baseline.py", "build_models.py", "build_op_models.py", "fit_latency.py"])
def test_unknown_flag_is_one_line(tmp_path, script):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), "--no_such_flag=1"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines == ["error: Unknown command line flag 'no_such_flag'"], res.stderr
    assert os.listdir(tmp_path) == []
