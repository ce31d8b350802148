"""RESIZE_BILINEAR, TRANSPOSE_CONV, BATCH_MATMUL: seeded random single-op models against the TFLM wheel (our C
with the fast path and with -DMR_PORTABLE; e2e: the Arm DSP path in QEMU, and under ASan + UBSan), and the models
TFLM refuses, refused in one line."""
import ctypes
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from micro_runtime import quant, target_cortexm
from micro_runtime.codegen import generate, sample_input
from micro_runtime.lowering.batch_matmul import BatchMatMul, layout
from micro_runtime.lowering.transpose_conv import TransposeConv
from micro_runtime.target_arduino import build_and_run
from micro_runtime.target_host import HOST_CFLAGS, HostModel
from shape_ops_check import act, assert_refused, check_cases, const, merge, q, random_arrays, single
from test_conv_scratch_sizes import ConvParams, Dims
import test_sanitizers as sanitizers
from tflite_patch import Quantization, Tensor, load_tflite, save_tflite
from tflite_patch.graph import ModelError
from tflite_patch.tflm import run_tflm

CASES = 24
ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def resize_bilinear_case(rng):
    shape = [int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 7, size=2)), int(rng.integers(1, 5))]
    size = [int(v) for v in rng.integers(1, 13, size=2)]
    align, half = [(False, False), (True, False), (False, True)][int(rng.integers(0, 3))]
    x = act(shape, rng)
    quant = x.quant if rng.random() < 0.7 else None  # TFLM copies raw values whatever the output's quantization
    tensors = [x, const(size, "size"), act([shape[0], *size, shape[3]], rng, "y", quant)]
    return single(tensors, "RESIZE_BILINEAR", [0, 1], [2], {"alignCorners": align, "halfPixelCenters": half},
                  "ResizeBilinearOptions")


def filter_tensor(rng, shape, per_channel):
    n = shape[0] if per_channel else 1
    scale = np.asarray(rng.uniform(0.002, 0.05, size=n), np.float32)
    quant = Quantization(scale, np.zeros(n, np.int64), 0)
    data = rng.integers(-127, 128, size=shape).astype(np.int8)
    return Tensor("w", tuple(shape), "int8", quant, data)


def transpose_conv_case(rng):
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    in_c, out_c = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    padding = int(rng.integers(0, 2))  # SAME, VALID
    out_h, out_w = (h * s_h, w * s_w) if padding == 0 else ((h - 1) * s_h + k_h, (w - 1) * s_w + k_w)
    if rng.random() < 0.3:  # another output size (TFLM takes the output tensor's, whatever output_shape says)
        out_h, out_w = max(1, out_h + int(rng.integers(-2, 3))), max(1, out_w + int(rng.integers(-2, 3)))
    x = act([n, h, w, in_c], rng)
    y = act([n, out_h, out_w, out_c], rng, "y", q(rng.uniform(0.02, 0.5), int(rng.integers(-128, 128))))
    tensors = [const([n, out_h, out_w, out_c], "output_shape"), filter_tensor(rng, [out_c, k_h, k_w, in_c],
                                                                              rng.random() < 0.7), x, y]
    inputs = [0, 1, 2]
    if rng.random() < 0.6:
        tensors.append(const(rng.integers(-3000, 3000, size=out_c), "bias"))
        inputs.append(4)
    options = {"padding": padding, "strideH": s_h, "strideW": s_w,
               "fusedActivationFunction": int(rng.choice(list(ACTIVATIONS.values())))}  # the wheel clamps
    return single(tensors, "TRANSPOSE_CONV", inputs, [3], options, "TransposeConvOptions", graph_inputs=[2])


def batch_matmul_case(rng):
    rank = int(rng.integers(2, 6))
    batch = [int(v) for v in rng.integers(1, 4, size=rank - 2)]
    lhs_batch = [d if rng.random() < 0.5 else 1 for d in batch]
    rhs_batch = [d if rng.random() < 0.5 else 1 for d in batch]
    if rng.random() < 0.5:  # one operand of lower rank
        if rng.random() < 0.5:
            lhs_batch = lhs_batch[int(rng.integers(0, len(lhs_batch) + 1)):]
        else:
            rhs_batch = rhs_batch[int(rng.integers(0, len(rhs_batch) + 1)):]
    rows, depth, cols = (int(v) for v in rng.integers(1, 7, size=3))
    adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    lhs = lhs_batch + ([depth, rows] if adj_x else [rows, depth])
    rhs = rhs_batch + ([cols, depth] if adj_y else [depth, cols])
    if len(lhs) < 2:
        return None
    pad = len(batch)
    out = [max(a, b) for a, b in zip([1] * (pad - len(lhs_batch)) + lhs_batch, [1] * (pad - len(rhs_batch)) + rhs_batch)]
    out += [rows, cols]
    tensors = [act(lhs, rng, "lhs"), act(rhs, rng, "rhs"), act(out, rng, "y", q(rng.uniform(0.05, 1.0),
                                                                                   int(rng.integers(-128, 128))))]
    draw = rng.random()
    if draw < 0.5:  # a constant RHS (TFLM transposes it once), or a constant LHS
        k = 1 if draw < 0.35 else 0
        tensors[k] = Tensor(tensors[k].name, tensors[k].shape, "int8", tensors[k].quant,
                            rng.integers(-128, 128, size=tensors[k].shape).astype(np.int8))
    return single(tensors, "BATCH_MATMUL", [0, 1], [2], {"adjX": adj_x, "adjY": adj_y}, "BatchMatMulOptions")


def test_resize_bilinear():
    assert check_cases(resize_bilinear_case, 11, CASES) == CASES


def test_transpose_conv():
    assert check_cases(transpose_conv_case, 12, CASES) == CASES


def test_transpose_conv_accumulators_are_scratch_in_the_arena():
    """TFLM's int32 accumulators (one per output value of a batch) are the op's scratch, placed by the planner
    apart from the input and output it works between."""
    g = transpose_conv_case(np.random.default_rng(3))
    gen = generate(save_tflite(g), "op")
    x, y = g.ops[0].inputs[2], g.ops[0].outputs[0]
    _, h, w, c = g.tensors[y].shape
    offset, size = gen.plan.scratch[0]
    assert size == 4 * h * w * c and offset % 4 == 0
    for t in (x, y):
        start = gen.plan.offsets[t]
        assert offset + size <= start or start + g.tensors[t].nbytes <= offset
    assert gen.arena_bytes >= size + g.tensors[x].nbytes + g.tensors[y].nbytes


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc / qemu-system-arm not installed")
@pytest.mark.parametrize("make", [transpose_conv_case, batch_matmul_case], ids=["transpose_conv", "batch_matmul"])
def test_dsp_path_is_bit_exact_on_cortex_m4(make, tmp_path):
    """The Arm DSP paths (mr_transpose_conv_tap, BATCH_MATMUL's mr_fc_dot2) and the portable ones (-DMR_PORTABLE)
    in QEMU on 8 random models of the op in one graph (TRANSPOSE_CONV: input and output channels with every
    remainder mod 4; BATCH_MATMUL: both its paths): TFLM's bytes, the DSP path in fewer instructions."""
    rng = np.random.default_rng(21)
    graphs = []
    while len(graphs) < 8:
        graphs += [g for g in [make(rng)] if g is not None]
    graph = merge(graphs)
    model = save_tflite(graph)
    sets = [random_arrays(graph, rng) for _ in range(2)]
    expected = [b"".join(np.ascontiguousarray(o).tobytes() for o in outs)
                for outs in run_tflm(model, sets, len(graph.outputs))]
    packed = [b"".join(a.tobytes() for a in arrays) for arrays in sets]
    generate(model, "model", target="cortex-m").write(str(tmp_path / "src"))
    instructions = {}
    for label, flags in (("dsp", []), ("portable", ["-DMR_PORTABLE"])):
        build = target_cortexm.build(tmp_path / "src", "model", inputs=packed, extra_cflags=flags,
                                     out_dir=tmp_path / label)
        run = target_cortexm.run(build)
        assert run.outputs == expected, f"{label} path differs from TFLM"
        instructions[label] = run.instructions[0]
    assert instructions["dsp"] < instructions["portable"], instructions


@pytest.mark.e2e
@pytest.mark.parametrize("make", [resize_bilinear_case, transpose_conv_case, batch_matmul_case],
                         ids=["resize_bilinear", "transpose_conv", "batch_matmul"])
def test_asan_ubsan_clean_and_bit_exact(make, tmp_path):
    """8 random models of the op in one graph under AddressSanitizer + UndefinedBehaviorSanitizer: no error, and
    TFLM's bytes (the scatter's and the copies' bounds, the accumulators' arithmetic)."""
    rng = np.random.default_rng(31)
    graphs = []
    while len(graphs) < 8:
        graphs += [g for g in [make(rng)] if g is not None]
    data = save_tflite(merge(graphs))
    exe = sanitizers.build(tmp_path, data, ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                            "-fno-omit-frame-pointer"])
    inputs, expected = sanitizers.inputs_and_expected(data, 3)
    (tmp_path / "in.bin").write_bytes(inputs)
    res = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                         text=True, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"), timeout=600)
    assert res.returncode == 0 and "runtime error" not in res.stderr, res.stderr[-3000:]
    assert (tmp_path / "out.bin").read_bytes() == expected


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("arduino-builder") is None or shutil.which("simavr") is None,
                    reason="arduino-builder / simavr not installed")
def test_bit_exact_on_avr(tmp_path):
    """One small random model of each op in one graph (BATCH_MATMUL with both operands activations: the copy
    into scratch), as an Arduino library on the ATmega2560 (16-bit int) in simavr: TFLM's bytes."""
    rng = np.random.default_rng(51)
    graphs = []
    for make in (resize_bilinear_case, transpose_conv_case, batch_matmul_case):
        g = None
        while g is None or g.tensors[g.outputs[0]].nbytes > 40 or \
                (make is batch_matmul_case and g.tensors[g.ops[0].inputs[1]].is_constant):
            g = make(rng)
        graphs.append(g)
    data = save_tflite(merge(graphs))
    graph = load_tflite(data)
    x = np.frombuffer(sample_input(graph), np.int8)
    sets = [np.split(x, np.cumsum([graph.tensors[t].nbytes for t in graph.inputs])[:-1])]
    sets = [[a.reshape(graph.tensors[t].shape) for a, t in zip(sets[0], graph.inputs)]]
    expected = b"".join(o.tobytes() for o in run_tflm(data, sets, len(graph.outputs))[0])
    generate(data, "spatial", target="arduino").write(str(tmp_path / "spatial"))
    run = build_and_run(str(tmp_path / "spatial"), "spatial")
    assert run.rc == 0 and run.output == expected


class BatchMatMulParams(ctypes.Structure):
    """mr_batch_matmul_params (mr_types.h)."""
    _fields_ = [(name, ctypes.c_int32 * 3) for name in ("batch", "lhs_batch_stride", "rhs_batch_stride")] + \
        [(name, ctypes.c_int32) for name in ("rows", "cols", "depth", "lhs_row_stride", "lhs_depth_stride",
                                             "rhs_col_stride", "rhs_depth_stride", "lhs_offset", "rhs_offset",
                                             "output_offset", "output_multiplier", "output_shift")]


def test_scratch_equals_the_kernels_size_functions(tmp_path):
    """The scratch the lowerings ask the planner for equals what the kernels export in C
    (mr_transpose_conv_s8_scratch_bytes, mr_batch_matmul_s8_scratch_bytes) on the emitted parameters, 200
    random models each."""
    lib = str(tmp_path / "libspatial.so")
    sources = sorted(set(TransposeConv.sources) | set(BatchMatMul.sources))
    subprocess.run(["cc", *HOST_CFLAGS, "-shared", "-fPIC", "-I", os.path.join(ROOT, "micro_runtime", "include"),
                    *[os.path.join(ROOT, "micro_runtime", "kernels", f) for f in sources], "-o", lib], check=True)
    kernels = ctypes.CDLL(lib)
    kernels.mr_transpose_conv_s8_scratch_bytes.restype = kernels.mr_batch_matmul_s8_scratch_bytes.restype = \
        ctypes.c_int32
    rng = np.random.default_rng(41)
    for _ in range(200):
        g = transpose_conv_case(rng)
        params = ConvParams(output=Dims(*g.tensors[g.ops[0].outputs[0]].shape))
        assert TransposeConv().scratch_bytes(g, g.ops[0]) == \
            kernels.mr_transpose_conv_s8_scratch_bytes(ctypes.byref(params))
    seen = set()
    for _ in range(200):
        g = batch_matmul_case(rng)
        if g is None:
            continue
        params = BatchMatMulParams()
        for name, value in layout(g, g.ops[0]).items():
            if isinstance(value, int):
                setattr(params, name, value)
            else:
                getattr(params, name)[:] = list(value)
        c_bytes = kernels.mr_batch_matmul_s8_scratch_bytes(ctypes.byref(params))
        assert (BatchMatMul().scratch_bytes(g, g.ops[0]) or 0) == c_bytes, layout(g, g.ops[0])
        seen.add(c_bytes > 0)
    assert seen == {False, True}


def test_batch_matmul():
    assert check_cases(batch_matmul_case, 13, CASES) == CASES


def test_batch_matmul_takes_the_float32_product_of_the_input_scales():
    """TFLM's GetQuantizedConvolutionMultipler multiplies the two input scales in float32: with these scales that
    multiplier and the all-double one differ, and the accumulator 127*127 + 127*78 + 60*1 = 26095 requantizes
    differently under the two; our output for it is TFLM's."""
    s_l, s_r, s_y = 0.08294256, 0.041510716, 0.055409774
    acc = 127 * 127 + 127 * 78 + 60
    by_float = quant.batch_matmul_output_multiplier(s_l, s_r, s_y)
    by_double = quant.quantize_multiplier(float(np.float32(s_l)) * float(np.float32(s_r)) / float(np.float32(s_y)))
    assert quant.multiply_by_quantized_multiplier(acc, *by_float) != \
        quant.multiply_by_quantized_multiplier(acc, *by_double)
    rhs = Tensor("rhs", (3, 1), "int8", q(s_r), np.asarray([[127], [78], [1]], np.int8))
    g = single([Tensor("lhs", (1, 3), "int8", q(s_l)), rhs, Tensor("y", (1, 1), "int8", q(s_y))], "BATCH_MATMUL",
               [0, 1], [2], {"adjX": False, "adjY": False}, "BatchMatMulOptions")
    model = save_tflite(g)
    lhs = [np.asarray([[127, 127, 60]], np.int8)]
    want = run_tflm(model, [lhs])[0][0]
    assert HostModel(generate(model, "op")).invoke(lhs)[0].tobytes() == want.tobytes()


def refused_by_tflm(graph):
    """The wheel refuses the model (its Prepare fails)."""
    with pytest.raises(ModelError, match="TFLM refuses"):
        run_tflm(save_tflite(graph), [[np.zeros(graph.tensors[t].shape, np.int8) for t in graph.inputs]])
    return graph


def test_resize_bilinear_with_align_corners_and_half_pixel_centers_is_refused():
    g = resize_bilinear_case(np.random.default_rng(0))
    g.ops[0].options.update(alignCorners=True, halfPixelCenters=True)
    assert_refused(refused_by_tflm(g), "op RESIZE_BILINEAR at index 0: align_corners and half_pixel_centers")


def test_batch_matmul_of_mismatched_depths_is_refused():
    rng = np.random.default_rng(0)
    g = single([act([2, 3, 4], rng, "lhs"), act([2, 5, 6], rng, "rhs"), act([2, 3, 6], rng, "y")], "BATCH_MATMUL",
               [0, 1], [2], {"adjX": False, "adjY": False}, "BatchMatMulOptions")
    assert_refused(refused_by_tflm(g), "op BATCH_MATMUL at index 0: LHS \\[2, 3, 4\\] and RHS \\[2, 5, 6\\] do not")


def test_batch_matmul_of_batches_that_do_not_broadcast_is_refused():
    rng = np.random.default_rng(0)
    g = single([act([2, 3, 4], rng, "lhs"), act([3, 4, 6], rng, "rhs"), act([3, 3, 6], rng, "y")], "BATCH_MATMUL",
               [0, 1], [2], {"adjX": False, "adjY": False}, "BatchMatMulOptions")
    assert_refused(refused_by_tflm(g), "op BATCH_MATMUL at index 0: batch dimensions of \\[2, 3, 4\\]")


def test_resize_bilinear_with_a_size_computed_at_run_time_is_refused():
    """TFLM's Prepare: "Non constant size tensor not supported"."""
    rng = np.random.default_rng(0)
    g = single([act([1, 2, 2, 3], rng), Tensor("size", (2,), "int32", None), act([1, 4, 4, 3], rng, "y")],
               "RESIZE_BILINEAR", [0, 1], [2], {}, "ResizeBilinearOptions", graph_inputs=[0, 1])
    assert_refused(g, "op RESIZE_BILINEAR at index 0: input 1 must be a constant tensor")


def test_transpose_conv_with_float_output_is_refused():
    """An int8 input and a float32 graph output: TFLM's Eval refuses types that differ; so do we, in one line."""
    g = transpose_conv_case(np.random.default_rng(0))
    g.tensors[3] = Tensor("y", g.tensors[3].shape, "float32", None)
    assert_refused(refused_by_tflm(g), "op TRANSPOSE_CONV at index 0: input and output must be int8$")
