"""DEPTHWISE_CONV_2D's general kernel (mr_depthwise_conv2d_general_s8: depth multipliers > 1, dilated windows, tall,
wide and 10x8 windows) against the TFLM wheel on seeded random single-op models: on the host, and in QEMU on the
Cortex-M4, where its Arm DSP blocks run (and -DMR_PORTABLE, the reference loop)."""
import shutil

import numpy as np
import pytest

from micro_runtime.codegen import generate
from shape_ops_check import act, assert_bit_exact_on_cortex_m4, check_cases, merge, single
from tflite_patch import Quantization, Tensor, save_tflite

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-gcc / qemu-system-arm not installed")


def quant(scale, zero_point=0, axis=0):
    scale = np.asarray(scale, np.float32).reshape(-1)
    return Quantization(scale, np.broadcast_to(np.asarray(zero_point, np.int64), scale.shape).copy(), axis)


def general_case(rng):
    """A depthwise conv the fast kernels leave: multiplier 2, 3, 4 or 8 (or 1 with dilation 2-3), windows 1-10 tall
    and wide (a tenth of them 10x8, as TFLM's micro_speech), SAME or VALID, stride 1-2; filter scales now and then
    negative; None when VALID leaves no output."""
    mult = int(rng.choice([1, 2, 3, 4, 8]))
    d_h, d_w = (int(v) for v in rng.integers(2 if mult == 1 else 1, 4, 2))
    k_h, k_w = (10, 8) if rng.random() < 0.1 else (int(v) for v in rng.integers(1, 11, 2))
    h, w, cin = (int(v) for v in rng.integers(1, (15, 15, 7)))
    stride = int(rng.integers(1, 3))
    cout, valid = cin * mult, rng.random() < 0.3
    if valid:
        out_h, out_w = (h - (k_h - 1) * d_h - 1) // stride + 1, (w - (k_w - 1) * d_w - 1) // stride + 1
        if out_h < 1 or out_w < 1:
            return None
    else:
        out_h, out_w = -(-h // stride), -(-w // stride)
    x = act((1, h, w, cin), rng)
    scales = (rng.uniform(0.002, 0.05, cout) * np.where(rng.random(cout) < 0.1, -1, 1)).astype(np.float32)
    filt = Tensor("w", (1, k_h, k_w, cout), "int8", quant(scales, 0, 3),
                  rng.integers(-128, 128, (1, k_h, k_w, cout)).astype(np.int8))
    s_in = float(x.quant.scale[0])
    bias = Tensor("b", (cout,), "int32", quant(np.abs(s_in * scales) + np.float32(1e-9)),
                  rng.integers(-4000, 4000, cout).astype(np.int32))
    s_out = s_in * 0.02 * np.sqrt(k_h * k_w) * 40 * rng.uniform(0.2, 3)
    y = act((1, out_h, out_w, cout), rng, "y", quant(s_out, int(rng.integers(-128, 128))))
    options = {"padding": 1 if valid else 0, "strideW": stride, "strideH": stride, "dilationWFactor": d_w,
               "dilationHFactor": d_h, "fusedActivationFunction": int(rng.choice([0, 1, 3])), "depthMultiplier": mult}
    return single([x, filt, bias, y], "DEPTHWISE_CONV_2D", [0, 1, 2], [3], options, "DepthwiseConv2DOptions",
                  version=3)


def test_general_depthwise_is_bit_exact_on_host():
    assert check_cases(general_case, seed=14, n=18) == 18


def test_general_depthwise_is_the_kernel_chosen():
    rng = np.random.default_rng(2)
    graph = None
    while graph is None:
        graph = general_case(rng)
    assert "mr_depthwise_conv2d_general_s8(" in generate(save_tflite(graph), "op").files["op.c"]


@pytest.mark.e2e
@needs_arm
def test_general_depthwise_is_bit_exact_on_the_arm_dsp_path(tmp_path):
    """Twelve random models merged to one, built for the Cortex-M4 (the DSP blocks, and -DMR_PORTABLE), in QEMU
    against TFLM."""
    rng = np.random.default_rng(23)
    graphs = []
    while len(graphs) < 12:
        g = general_case(rng)
        if g is not None:
            graphs.append(g)
    assert_bit_exact_on_cortex_m4(merge(graphs), rng, tmp_path)
