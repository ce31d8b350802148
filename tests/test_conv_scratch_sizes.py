"""The scratch of every CONV_2D kernel variant as the lowering asks the planner for it
(`micro_runtime.lowering.conv.Conv2D.scratch_bytes`) equals what the kernels export in C
(`mr_*_scratch_bytes`, micro_runtime/kernels/conv_fast.c), on random shapes. The C functions read the
`mr_conv_params` the lowering emits (`conv_struct`), passed through ctypes to the kernels built as a host
shared library."""
import ctypes
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from micro_runtime.lowering.conv import Conv2D
from micro_runtime.lowering.conv_common import conv_struct, geometry
from micro_runtime.target_host import HOST_CFLAGS
from tflite_patch.graph import FusedAdd, Graph, InPlace, Op, Quantization, Tensor

I32, PTR = ctypes.c_int32, ctypes.c_void_p


class Dims(ctypes.Structure):
    _fields_ = [(name, I32) for name in ("n", "h", "w", "c")]


class Window(ctypes.Structure):
    _fields_ = [(name, I32) for name in
                ("k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_left", "dilation_h", "dilation_w")]


class Quant(ctypes.Structure):
    _fields_ = [("multiplier", PTR), ("shift", PTR), ("rshift_m1", PTR)]


class Activation(ctypes.Structure):
    _fields_ = [("min", I32), ("max", I32)]


class ConvParams(ctypes.Structure):
    """mr_conv_params (mr_types.h)."""
    _fields_ = [("input", Dims), ("output", Dims), ("window", Window), ("depth_multiplier", I32),
                ("input_offset", I32), ("output_offset", I32), ("activation", Activation), ("filter", PTR),
                ("bias", PTR), ("quant", Quant)]


# The C function that gives each kernel variant's scratch (the in-place 1x1 takes the 1x1's).
SCRATCH_FUNCTIONS = {"conv1x1": "mr_conv1x1_fast_s8_scratch_bytes",
                     "conv1x1_inplace": "mr_conv1x1_fast_s8_scratch_bytes",
                     "conv": "mr_conv2d_fast_s8_scratch_bytes", "conv_rows": "mr_conv2d_rows_fast_s8_scratch_bytes",
                     "conv_add": "mr_conv2d_add_fast_s8_scratch_bytes"}


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    lib = str(tmp_path_factory.mktemp("conv") / "libconv.so")
    sources = [os.path.join(ROOT, "micro_runtime", "kernels", f) for f in Conv2D.sources]
    subprocess.run(["cc", *HOST_CFLAGS, "-shared", "-fPIC", "-I", os.path.join(ROOT, "micro_runtime", "include"),
                    *sources, "-o", lib], check=True)
    library = ctypes.CDLL(lib)
    for name in set(SCRATCH_FUNCTIONS.values()):
        getattr(library, name).argtypes = [ctypes.POINTER(ConvParams)]
        getattr(library, name).restype = I32
    return library


def _fill(struct: ctypes.Structure, fields: dict) -> ctypes.Structure:
    """The integer fields of an emitted struct (`conv_struct`) into its ctypes mirror; pointers stay NULL."""
    for name, value in fields.items():
        if isinstance(value, dict):
            _fill(getattr(struct, name), value)
        elif isinstance(value, int):
            setattr(struct, name, value)
    return struct


def _tensor(name: str, shape: tuple, dtype: str = "int8", data=None) -> Tensor:
    return Tensor(name, shape, dtype, Quantization(np.array([0.1], np.float32), np.array([0], np.int64)), data)


def random_conv(rng: np.random.Generator, variant: str) -> tuple[Graph, Op]:
    """A one-op graph with a CONV_2D of random shape that the lowering runs with kernel `variant`."""
    pointwise = variant.startswith("conv1x1")
    k_h, k_w = (1, 1) if pointwise else tuple(int(v) for v in rng.integers(1, 8, 2))
    stride = 1 if pointwise else int(rng.integers(1, 3))
    in_h, in_w = (int(rng.integers(k_h, 40)), int(rng.integers(k_w, 40)))
    in_c, out_c = int(rng.integers(1, 300)), int(rng.integers(1, 300))
    pads = (0, 0, 0, 0) if pointwise else tuple(int(rng.integers(0, k)) for k in (k_h, k_h, k_w, k_w))
    out_h = (in_h + pads[0] + pads[1] - k_h) // stride + 1
    out_w = (in_w + pads[2] + pads[3] - k_w) // stride + 1
    tensors = [_tensor("x", (1, in_h, in_w, in_c)),
               _tensor("w", (out_c, k_h, k_w, in_c), data=np.zeros((out_c, k_h, k_w, in_c), np.int8)),
               _tensor("b", (out_c,), "int32", np.zeros(out_c, np.int32)), _tensor("y", (1, out_h, out_w, out_c))]
    op = Op("CONV_2D", [0, 1, 2], [3], options={"strideH": stride, "strideW": stride})
    op.attrs.explicit_padding = pads
    if variant == "conv1x1_inplace":
        op.attrs.inplace = InPlace(position=0, order="forward")
    elif variant == "conv_rows":
        op.attrs.inplace = InPlace(position=0, order="rows")
    elif variant == "conv_add":
        tensors += [_tensor("skip", (1, out_h, out_w, out_c)), _tensor("sum", (1, out_h, out_w, out_c))]
        op.inputs.append(4)
        op.attrs.fused_add = FusedAdd(add=Op("ADD", [3, 4], [5]), conv_output=3)
        op.outputs = [5]
    return Graph(tensors=tensors, ops=[op], inputs=[0], outputs=[op.outputs[0]]), op


@pytest.mark.parametrize("variant", sorted(SCRATCH_FUNCTIONS))
def test_lowering_scratch_equals_the_kernels_size_function(kernels, variant):
    rng = np.random.default_rng(20240 + sorted(SCRATCH_FUNCTIONS).index(variant))
    lowering = Conv2D()
    for _ in range(300):
        graph, op = random_conv(rng, variant)
        kernel = lowering.kernel(graph, op)  # `variant`, or conv1x1 for a "conv" drawn 1x1 unpadded stride 1
        assert kernel == variant or (variant, kernel) == ("conv", "conv1x1")
        placeholders = dict(in_offset=0, out_offset=0, act=(-128, 127), mult="NULL", shift="NULL")
        params = _fill(ConvParams(), conv_struct(geometry(graph, op), placeholders, "NULL", "NULL", True))
        c_bytes = getattr(kernels, SCRATCH_FUNCTIONS[kernel])(ctypes.byref(params))
        assert lowering.scratch_bytes(graph, op) == c_bytes, (kernel, geometry(graph, op))
