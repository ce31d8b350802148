"""The in-place depthwise kernel's sizes as the lowering computes them (micro_runtime/lowering/depthwise.py: the
scratch it plans, the modes it names) against the C functions the kernel itself runs on (mr_depthwise_fast.h),
on random shapes, through ctypes on a host build of the kernel's files."""
import ctypes
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from micro_runtime.lowering.conv_common import geometry
from micro_runtime.lowering.depthwise import (MODES, DepthwiseConv2D, depthwise_inplace_mode, depthwise_mode_bytes,
                                              depthwise_ring_bytes, depthwise_row_delay)
from tflite_patch import Graph, Op, Tensor
from tflite_patch.graph import InPlace

KERNELS = os.path.join(ROOT, "micro_runtime", "kernels")
CASES = 300


def _fields(names, ctype=ctypes.c_int32):
    return [(n, ctype) for n in names]


class Dims(ctypes.Structure):
    _fields_ = _fields("nhwc")


class Window(ctypes.Structure):
    _fields_ = _fields(("k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_left", "dilation_h", "dilation_w"))


class Activation(ctypes.Structure):
    _fields_ = _fields(("min", "max"))


class PerChannelQuant(ctypes.Structure):
    _fields_ = _fields(("multiplier", "shift", "rshift_m1"), ctypes.c_void_p)


class ConvParams(ctypes.Structure):
    """mr_conv_params (mr_types.h)."""
    _fields_ = [("input", Dims), ("output", Dims), ("window", Window), ("depth_multiplier", ctypes.c_int32),
                ("input_offset", ctypes.c_int32), ("output_offset", ctypes.c_int32), ("activation", Activation),
                ("filter", ctypes.c_void_p), ("bias", ctypes.c_void_p), ("quant", PerChannelQuant)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    path = tmp_path_factory.mktemp("depthwise") / "libdepthwise.so"
    sources = [os.path.join(KERNELS, f) for f in ("depthwise_fast.c", "depthwise_fast_dsp.c", "depthwise_fast_x86.c")]
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    "-I", os.path.join(ROOT, "micro_runtime", "include"), *sources, "-o", str(path)], check=True)
    so = ctypes.CDLL(str(path))
    params = ctypes.POINTER(ConvParams)
    for name, args in (("mr_depthwise_inplace_row_delay", [params]), ("mr_depthwise_ring_fits", [params]),
                       ("mr_depthwise_ring_bytes", [params, ctypes.c_int]),
                       ("mr_depthwise_inplace_mode", [params, ctypes.c_int32]),
                       ("mr_depthwise_inplace_scratch_bytes", [params, ctypes.c_int])):
        getattr(so, name).argtypes = args
        getattr(so, name).restype = ctypes.c_int32
    return so


def random_layer(rng) -> tuple[Graph, Op]:
    """A depthwise conv marked in place: square windows mostly (the ring mode's), some not, strides 1 to 3,
    pads from -1 (a window starting inside the input) up to k - 1, output sizes from the pads."""
    k_h = int(rng.choice([1, 2, 3, 3, 5, 5, 7, 7, 9]))
    k_w = k_h if rng.random() < 0.8 else int(rng.integers(1, 8))
    s_h, s_w = (int(s) for s in rng.choice([1, 1, 2, 2, 3], size=2))
    most = 12 if rng.random() < 0.4 else 40  # small: output sizes about MR_DW_RING_MIN_PIXELS
    in_h, in_w, c = (int(n) for n in (rng.integers(k_h, most), rng.integers(k_w, most), rng.integers(1, 65)))
    top, bottom, left, right = (int(n) for n in rng.integers(-1, [k_h, k_h, k_w, k_w]))
    out_h, out_w = (in_h + top + bottom - k_h) // s_h + 1, (in_w + left + right - k_w) // s_w + 1
    if out_h < 1 or out_w < 1:
        top = bottom = left = right = 0
        out_h, out_w = (in_h - k_h) // s_h + 1, (in_w - k_w) // s_w + 1
    tensors = [Tensor("x", (1, in_h, in_w, c), "int8"), Tensor("w", (1, k_h, k_w, c), "int8"),
               Tensor("y", (1, out_h, out_w, c), "int8")]
    op = Op("DEPTHWISE_CONV_2D", [0, 1], [2], {"padding": 1, "strideH": s_h, "strideW": s_w, "depthMultiplier": 1})
    op.attrs.explicit_padding = (top, bottom, left, right)
    op.attrs.inplace = InPlace(0, "rows")
    return Graph(tensors, [op], [0], [2]), op


def c_params(g) -> ConvParams:
    return ConvParams(Dims(1, g.in_h, g.in_w, g.in_c), Dims(1, g.out_h, g.out_w, g.out_c),
                      Window(g.k_h, g.k_w, g.stride_h, g.stride_w, g.pad_top, g.pad_left, 1, 1), 1)


def test_the_lowering_sizes_the_scratch_as_the_kernel_does(lib):
    rng = np.random.default_rng(2024)
    lowering = DepthwiseConv2D()
    seen = set()
    for _ in range(CASES):
        graph, op = random_layer(rng)
        g = geometry(graph, op)
        p = ctypes.byref(c_params(g))
        shape = (g.k_h, g.k_w, g.stride_w, g.pad_top, g.pad_left, g.out_h, g.out_w)
        assert depthwise_row_delay(g.in_w, g.in_c, g.stride_h, g.pad_top, g.out_h, g.out_w) == \
            lib.mr_depthwise_inplace_row_delay(p), g
        for narrow in (0, 1):
            ring = depthwise_ring_bytes(*shape, bool(narrow))
            assert (ring is not None) == bool(lib.mr_depthwise_ring_fits(p)), g
            assert ring is None or ring == lib.mr_depthwise_ring_bytes(p, narrow), g
        needs = [lib.mr_depthwise_inplace_scratch_bytes(p, m) for m in range(len(MODES))]
        assert [depthwise_mode_bytes(g, mode) or 0 for mode in MODES] == needs, g
        assert lowering.scratch_bytes(graph, op) == min(needs[2:]), g
        assert set(lowering.faster_scratch(graph, op, min(needs[2:]))) <= set(needs[:3]), g
        for scratch in {*needs, *(n - 1 for n in needs), *(n + 1 for n in needs), int(rng.integers(0, 5000))}:
            mode = MODES[lib.mr_depthwise_inplace_mode(p, scratch)]
            assert depthwise_inplace_mode(g.in_h, g.in_w, g.in_c, g.k_h, g.k_w, g.stride_h, g.stride_w, g.pad_top,
                                          g.pad_left, g.out_h, g.out_w, scratch) == mode, (g, scratch)
            assert lowering.kernel(graph, op, scratch) == f"depthwise_inplace_{mode}_k{g.k_h}s{g.stride_h}"
            seen.add(mode)
    assert seen == set(MODES)  # the shapes reach every mode
