"""The code generator: an int8 .tflite becomes self-contained C99 with a static arena and one kernel
call per op, every argument a constant.

Pipeline: `tflite_patch` loads and checks the model, runs the engine passes (PAD folding, conv+ADD
fusion, reshape aliases, in-place marks) and `plan_arena` places every tensor; this module then emits
`<name>.c` (weights as `const` arrays, per-op parameters, `<name>_invoke`), `<name>.h` (the API of
../shared/DESIGN.md) and copies the kernels the model uses from `micro_runtime/kernels`.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile

import numpy as np

from micro_runtime import quant
from tflite_patch.graph import Graph, ModelError, Op, Tensor, check_int8_model, load_tflite
from tflite_patch.passes import _copy_ops, op_padding, op_window, prepare_for_engine
from tflite_patch.patches import PatchSpec, unroll_patches
from tflite_patch.planner import ArenaPlan, arena_buffers, inplace_candidates, live_bytes_per_op, plan_arena

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_DIR = os.path.join(HERE, "kernels")
INCLUDE_DIR = os.path.join(HERE, "include")
PROFILE_HEADER = os.path.join(HERE, "cortexm", "mr_profile.h")
ARENA_ALIGNMENT = 4
TARGETS = ("portable", "cortex-m", "arduino")

C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}

# Kernel source files each op kind needs (beyond the headers, which are always copied).
KERNEL_FILES = {
    "CONV_2D": ["conv.c", "add.c"], "DEPTHWISE_CONV_2D": ["depthwise_conv.c"],
    "FULLY_CONNECTED": ["fully_connected.c"], "ADD": ["add.c"], "MUL": ["mul.c"],
    "AVERAGE_POOL_2D": ["pooling.c"], "MAX_POOL_2D": ["pooling.c"], "MEAN": ["mean.c"], "PAD": ["pad.c"],
    "PADV2": ["pad.c"], "SOFTMAX": ["softmax.c"], "CONCATENATION": ["concatenation.c"],
    "RESIZE_NEAREST_NEIGHBOR": ["resize_nearest_neighbor.c"], "HARD_SWISH": ["hard_swish.c"],
    "LOGISTIC": ["logistic.c"], "QUANTIZE": ["quantize.c", "quantize_backward.c"], "DEQUANTIZE": ["dequantize.c"],
    "TRANSPOSE": ["transpose.c"], "RESHAPE": [], "SQUEEZE": [], "PATCH_COPY": ["copy_window.c"],
}


@dataclasses.dataclass
class GeneratedModel:
    """The generated sources (file name -> text) and the figures the bench reports."""
    name: str
    files: dict[str, str]
    plan: ArenaPlan
    graph: Graph
    input_bytes: list[int]
    output_bytes: list[int]
    patch: "PatchChoice | None" = None  # micro_runtime.patching: the schedule and its extra MACs

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def outside_arena_input_bytes(self) -> int:
        """Bytes of inputs the code reads in place from the caller's buffer (some patch-based schedules):
        RAM the inference needs beyond the arena, so the bench adds them to ours."""
        return outside_input_bytes(self.graph, self.plan)

    @property
    def ram_bytes(self) -> int:
        """The arena plus the inputs read in place: all the RAM inference needs besides the stack."""
        return ram_bytes(self.graph, self.plan)

    def write(self, out_dir: str) -> None:
        """Write every file into `out_dir` at once: built in a temporary directory, then renamed, so a
        failure leaves nothing half-written. An existing `out_dir` is replaced."""
        parent = os.path.dirname(os.path.abspath(out_dir))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=parent, prefix=".codegen-")
        try:
            for fname, text in self.files.items():
                path = os.path.join(tmp, fname)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
            if os.path.isdir(out_dir):
                old = out_dir.rstrip("/") + ".old-" + os.path.basename(tmp)
                os.replace(out_dir, old)
                os.replace(tmp, out_dir)
                shutil.rmtree(old)
            else:
                os.replace(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _c_array(values: np.ndarray, per_line: int = 24) -> str:
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return "{\n  " + ",\n  ".join(lines) + "\n}"


class _Emitter:
    """Collects constant data and statements while the ops are translated one by one."""

    def __init__(self, graph: Graph, plan: ArenaPlan, name: str):
        self.graph, self.plan, self.name = graph, plan, name
        self.data: list[str] = []
        self.body: list[str] = []
        self.consts: dict[int, str] = {}
        self.kernel_files: set[str] = set()
        self.shared_params: dict[tuple[int, bool], dict] = {}

    # -- operands
    def t(self, index: int) -> Tensor:
        return self.graph.tensors[index]

    def ptr(self, index: int, const: bool = False) -> str:
        tensor = self.t(index)
        ctype = C_TYPES[tensor.dtype]
        return f"({'const ' if const else ''}{ctype} *)(A + {self.plan.offsets[index]})"

    def scratch(self, op_index: int) -> str:
        return f"(int8_t *)(A + {self.plan.scratch[op_index][0]})"

    def const(self, index: int, values: np.ndarray | None = None, ctype: str | None = None) -> str:
        """A `static const` array for constant tensor `index` (or given values), emitted once."""
        if index in self.consts and values is None:
            return self.consts[index]
        tensor = self.t(index)
        arr = tensor.data if values is None else values
        ctype = ctype or C_TYPES[tensor.dtype]
        cname = f"c{index}" if values is None else f"c{index}_{len(self.data)}"
        self.data.append(f"static const {ctype} {cname}[{arr.size}] = {_c_array(arr)};")
        if values is None:
            self.consts[index] = cname
        return cname

    def array(self, stem: str, values, ctype: str = "int32_t") -> str:
        cname = f"{stem}{len(self.data)}"
        arr = np.asarray(values)
        self.data.append(f"static const {ctype} {cname}[{arr.size}] = {_c_array(arr)};")
        return cname

    def call(self, fn: str, *args) -> None:
        self.body.append(f"  {fn}({', '.join(str(a) for a in args)});")

    # -- quantization
    def q(self, index: int) -> tuple[float, int]:
        tensor = self.t(index)
        return float(tensor.quant.scale[0]), int(tensor.quant.zero_point[0])


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) > 4:
        raise ModelError(f"tensor of rank {len(shape)} is not supported")
    return tuple([1] * (4 - len(shape)) + list(shape))


def _single_batch(e: _Emitter, i: int, op: Op, index: int) -> tuple[int, int, int]:
    n, h, w, c = _nhwc(e.t(index).shape)
    if n != 1:
        raise ModelError(f"op {op.kind} at index {i}: batch size {n} is not supported")
    return h, w, c


def _conv_params(e: _Emitter, op: Op, folded: bool = True, fast: bool = True):
    """Parameters of a conv-like op; `folded`: the fast kernels' folded bias (`folded_bias`), else TFLite's (`bias`);
    `fast`: the shifts as the fast kernels take them (`_shift_array`), else as the reference kernels."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    s_in, zp_in = e.q(x)
    s_out, zp_out = e.q(y)
    out_c = e.t(y).shape[-1]
    filt = e.t(w)
    if filt.quant is None or np.any(filt.quant.zero_point != 0):
        raise ModelError(f"{op.kind}: filter must be int8 with zero point 0")
    mults, shifts = quant.conv_output_multipliers(s_in, filt.quant.scale, s_out, out_c)
    source = op.attrs.get("patch_source")  # the per-patch copies of one op share its constant arrays
    if source is not None and (source, folded, fast) in e.shared_params:
        return e.shared_params[(source, folded, fast)]
    conv_out = op.attrs.get("fused_add", {}).get("conv_output", y)
    s_conv, zp_conv = e.q(conv_out)
    if conv_out != y:  # the conv's own output quantization (its result feeds the fused ADD)
        mults, shifts = quant.conv_output_multipliers(s_in, filt.quant.scale, s_conv, out_c)
    act = quant.activation_range(op.activation(), s_conv, zp_conv)
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    p = dict(in_offset=-zp_in, in_zero_point=zp_in, out_offset=zp_conv, mult=e.array("m", mults),
             shift=_shift_array(e, shifts, fast), act=act)
    if folded:
        p["folded_bias"] = e.array("bf", _folded_bias(e.t(w).data, e.t(op.inputs[2]).data if has_bias else None,
                                                      -zp_in))
        p["gemm_filter"] = _gemm_filter(e, w)
    else:
        p["filter"] = e.const(w)
        p["bias"] = e.const(op.inputs[2]) if has_bias else "NULL"
    if source is not None:
        e.shared_params[(source, folded, fast)] = p
    return p


def _shift_array(e: _Emitter, shifts, rshift_m1: bool) -> str:
    """Per-channel output shifts: as the fast kernels take them (`rshift_m1`: -1 - shift as int8, see
    mr_requant_prepare_rshift_m1; TFLM's shifts are in [-31, 30]), else int32 as TFLM's (the reference kernels)."""
    if not rshift_m1:
        return e.array("s", shifts)
    shifts = np.asarray(shifts, np.int64)
    if shifts.min() < -31 or shifts.max() > 30:
        bad = int(shifts[(shifts < -31) | (shifts > 30)][0])
        raise ModelError(f"output shift {bad} outside TFLM's [-31, 30]: input, filter and output scales out of range")
    return e.array("s", -1 - shifts, "int8_t")


def _folded_bias(filt: np.ndarray, bias: np.ndarray | None, in_offset: int) -> np.ndarray:
    """bias + in_offset * sum(filter) per output channel (filter [out_c][...]), wrapped to int32 like the
    kernels' accumulator: the fast kernels (mr_fast.h) then multiply raw int8 inputs."""
    sums = filt.reshape(filt.shape[0], -1).astype(np.int64).sum(axis=1)
    total = sums * int(in_offset) + (np.zeros_like(sums) if bias is None else bias.astype(np.int64).reshape(-1))
    return ((total + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int64)


def _gemm_row(k: int) -> int:
    """MR_GEMM_ROW: the values of each input and filter row the GEMM kernels read (a multiple of 16)."""
    return (k + 15) // 16 * 16


def _gemm_stride(k: int) -> int:
    """MR_GEMM_STRIDE: the distance between filter rows of the GEMM kernels (k rounded up to a word)."""
    return _align4(k)


def gemm_filter_bytes(out_c: int, k: int) -> int:
    """Bytes of a GEMM filter (`_gemm_filter`): out_c rows MR_GEMM_STRIDE(k) apart, then the zeros the last
    row's read of MR_GEMM_ROW(k) values runs into."""
    return out_c * _gemm_stride(k) + _gemm_row(k) - _gemm_stride(k)


def _gemm_filter(e: _Emitter, w: int) -> str:
    """The filter of a GEMM conv kernel (mr_fast.h): OHWI rows zero-padded to MR_GEMM_STRIDE, then zeros up to
    MR_GEMM_ROW after the last row (the values a row read finds past its own multiply zero inputs)."""
    data = e.t(w).data
    rows = data.reshape(data.shape[0], -1)
    k = rows.shape[1]
    if _gemm_row(k) == k:
        return e.const(w)
    flat = np.pad(rows, ((0, 0), (0, _gemm_stride(k) - k))).reshape(-1)
    return e.const(w, np.pad(flat, (0, _gemm_row(k) - _gemm_stride(k))))


def _conv_scratch_bytes(kh: int, kw: int, in_c: int) -> int:
    """MR_CONV_SCRATCH_BYTES: two im2col rows of the GEMM core (int16 on the portable path)."""
    return 4 * _gemm_row(kh * kw * in_c)


def _align4(n: int) -> int:
    return (n + 3) & ~3


def _depthwise_row_delay(in_w: int, c: int, stride_h: int, pad_top: int, out_h: int, out_w: int) -> int:
    """mr_depthwise_inplace_row_delay: output rows the in-place depthwise keeps in scratch in rows mode."""
    row_in, row_out = in_w * c, out_w * c
    for d in range(1, out_h):
        if all((w + 1) * row_out <= max((w + d) * stride_h - pad_top, 0) * row_in for w in range(out_h - d)):
            return d
    return out_h


DW_RING_MIN_PIXELS = 64  # MR_DW_RING_MIN_PIXELS


def _depthwise_ring_bytes(kh: int, kw: int, sw: int, top: int, left: int, out_h: int, out_w: int,
                          narrow: bool) -> int | None:
    """mr_depthwise_ring_bytes (int16 rows, or int8 when `narrow`) when mr_depthwise_ring_fits (the in-place
    depthwise's ring mode), else None."""
    if kh != kw or kh not in (3, 5, 7) or sw not in (1, 2) or top < 0 or left < 0 or out_h * out_w < DW_RING_MIN_PIXELS:
        return None
    return kh * ((out_w - 1) * sw + kw + (1 if narrow else 0)) * (1 if narrow else 2)


def depthwise_inplace_mode(in_h: int, in_w: int, c: int, kh: int, kw: int, sh: int, sw: int, top: int, left: int,
                           out_h: int, out_w: int, scratch_bytes: int) -> str:
    """The mode mr_depthwise_conv2d_inplace_fast_s8 takes with `scratch_bytes` of scratch: "ring16", "ring8"
    (a ring of int16 / int8 input rows, channel by channel), "rows" or "channels" (mr_depthwise_fast.h)."""
    for narrow, mode in ((False, "ring16"), (True, "ring8")):
        ring = _depthwise_ring_bytes(kh, kw, sw, top, left, out_h, out_w, narrow)
        if ring is not None and ring <= scratch_bytes:
            gathered = [y * sh - top + kh for y in range(out_h)]
            if all(g >= in_h or (y + 1) * out_w <= g * in_w for y, g in enumerate(gathered)):
                return mode
            break
    if _depthwise_row_delay(in_w, c, sh, top, out_h, out_w) * out_w * c <= scratch_bytes:
        return "rows"
    return "channels"


def _window(e: _Emitter, i: int, op: Op) -> tuple[int, ...]:
    """(in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, dilation_h,
    dilation_w) of a convolution, folded PADs included."""
    in_h, in_w, in_c = _single_batch(e, i, op, op.inputs[0])
    out_h, out_w, out_c = _single_batch(e, i, op, op.outputs[0])
    kh, kw, sh, sw = op_window(e.graph, op)
    top, _, left, _ = op_padding(e.graph, op)
    dh, dw = int(op.options.get("dilationHFactor", 1)), int(op.options.get("dilationWFactor", 1))
    return in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, top, left, dh, dw


def _emit_conv(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, top, left, dh, dw = _window(e, i, op)
    p = _conv_params(e, op, folded=(dh, dw) == (1, 1), fast=(dh, dw) == (1, 1))
    tail = (p["in_offset"], p["out_offset"], p["mult"], p["shift"], p["act"][0], p["act"][1])
    fast_tail = (p["out_offset"], p["mult"], p["shift"], p["act"][0], p["act"][1])
    e.kernel_files.add("conv_fast.c")
    if "fused_add" in op.attrs and (dh, dw) == (1, 1):
        add = op.attrs["fused_add"]["add"]
        conv_out = op.attrs["fused_add"]["conv_output"]
        skip = op.inputs[-1]
        a, b = add.inputs
        s1, z1 = e.q(a)
        s2, z2 = e.q(b)
        s_o, z_o = e.q(y)
        ap = quant.add_params(s1, z1, s2, z2, s_o, z_o, add.activation())
        conv_is_input1 = 1 if a == conv_out else 0
        e.call("mr_conv2d_add_fast_s8", e.ptr(x, True), in_h, in_w, in_c, p["gemm_filter"], p["folded_bias"], out_c, kh,
               kw, sh, sw, top, left, e.ptr(skip, True), e.ptr(y), out_h, out_w, p["in_zero_point"], *fast_tail,
               e.scratch(i), conv_is_input1,
               ap["input1_offset"], ap["input2_offset"], ap["left_shift"], ap["input1_multiplier"],
               ap["input1_shift"], ap["input2_multiplier"], ap["input2_shift"], ap["output_offset"],
               ap["output_multiplier"], ap["output_shift"], ap["act_min"], ap["act_max"])
    elif "fused_add" in op.attrs:
        raise ModelError(f"op CONV_2D at index {i}: dilated conv fused with ADD is not supported")
    elif "inplace" in op.attrs:
        assert e.plan.offsets[x] == e.plan.offsets[y]
        e.call("mr_conv1x1_inplace_fast_s8", e.ptr(y), in_h * in_w, in_c, p["gemm_filter"], p["folded_bias"], out_c,
               e.scratch(i), *fast_tail)
    elif (kh, kw, sh, sw, top, left, dh, dw) == (1, 1, 1, 1, 0, 0, 1, 1) and (in_h, in_w) == (out_h, out_w):
        e.call("mr_conv1x1_fast_s8", e.ptr(x, True), in_h * in_w, in_c, p["gemm_filter"], p["folded_bias"], out_c,
               e.ptr(y), e.scratch(i), *fast_tail)
    elif (dh, dw) != (1, 1):
        e.call("mr_conv2d_dilated_s8", e.ptr(x, True), in_h, in_w, in_c, p["filter"], p["bias"], out_c, kh, kw,
               sh, sw, dh, dw, top, left, e.ptr(y), out_h, out_w, *tail)
    else:
        e.call("mr_conv2d_fast_s8", e.ptr(x, True), in_h, in_w, in_c, p["gemm_filter"], p["folded_bias"], out_c, kh, kw,
               sh, sw, top, left, e.ptr(y), out_h, out_w, e.scratch(i), p["in_zero_point"], *fast_tail)


def _emit_conv_rows(e: _Emitter, i: int, op: Op) -> None:
    """A CONV_2D that writes its output row by row over its own input (`passes.rows_inplace_offset`)."""
    x, y = op.inputs[0], op.outputs[0]
    in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, top, left, dh, dw = _window(e, i, op)
    assert e.plan.offsets[y] - e.plan.offsets[x] == op.attrs["inplace_offset"]
    p = _conv_params(e, op)
    e.kernel_files.add("conv_fast.c")
    e.call("mr_conv2d_rows_fast_s8", e.ptr(x, True), in_h, in_w, in_c, p["gemm_filter"], p["folded_bias"], out_c, kh, kw,
           sh, sw, top, left, e.ptr(y), out_h, out_w, e.scratch(i), p["in_zero_point"], p["out_offset"], p["mult"],
           p["shift"], p["act"][0], p["act"][1])


def _emit_depthwise(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, top, left, dh, dw = _window(e, i, op)
    p = _conv_params(e, op, folded=False, fast=(dh, dw) == (1, 1) and ("inplace" in op.attrs or out_c == in_c))
    tail = (p["in_offset"], p["out_offset"], p["mult"], p["shift"], p["act"][0], p["act"][1])
    if "inplace" in op.attrs and (dh, dw) == (1, 1):
        assert e.plan.offsets[x] == e.plan.offsets[y]
        e.kernel_files.add("depthwise_fast.c")
        e.call("mr_depthwise_conv2d_inplace_fast_s8", e.ptr(y), in_h, in_w, in_c, p["filter"], p["bias"], kh, kw,
               sh, sw, top, left, out_h, out_w, e.scratch(i), e.plan.scratch[i][1], *tail)
    elif (dh, dw) != (1, 1):
        e.call("mr_depthwise_conv2d_dilated_s8", e.ptr(x, True), in_h, in_w, in_c, out_c // in_c, p["filter"],
               p["bias"], kh, kw, sh, sw, dh, dw, top, left, e.ptr(y), out_h, out_w, *tail)
    elif out_c == in_c:
        e.kernel_files.add("depthwise_fast.c")
        e.call("mr_depthwise_conv2d_fast_s8", e.ptr(x, True), in_h, in_w, in_c, p["filter"], p["bias"], kh, kw,
               sh, sw, top, left, e.ptr(y), out_h, out_w, *tail)
    else:
        e.call("mr_depthwise_conv2d_s8", e.ptr(x, True), in_h, in_w, in_c, out_c // in_c, p["filter"], p["bias"],
               kh, kw, sh, sw, top, left, e.ptr(y), out_h, out_w, *tail)


def _emit_fully_connected(e: _Emitter, i: int, op: Op) -> None:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    out_n, in_n = e.t(w).shape
    batches = int(np.prod(e.t(x).shape)) // in_n
    s_in, zp_in = e.q(x)
    s_out, zp_out = e.q(y)
    filt = e.t(w)
    act = quant.activation_range(op.activation(), s_out, zp_out)
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    if filt.quant.per_channel:
        mults, shifts = quant.conv_output_multipliers(s_in, filt.quant.scale, s_out, out_n)
    else:
        m, s = quant.fully_connected_output_multiplier(s_in, float(filt.quant.scale[0]), s_out)
        mults, shifts = [m], [s]
    if filt.dtype == "int8" and not np.any(filt.quant.zero_point != 0):
        e.kernel_files.add("fully_connected_fast.c")
        tail = (zp_out, e.array("m", mults), _shift_array(e, shifts, True), int(bool(filt.quant.per_channel)), *act)
        if has_bias:
            folded = _folded_bias(filt.data, e.t(op.inputs[2]).data, -zp_in)
            e.call("mr_fully_connected_fast_s8", e.ptr(x, True), batches, in_n, e.const(w), e.array("bf", folded),
                   out_n, e.ptr(y), *tail)
        else:  # no folded bias: it would be 4 bytes per output the model does not have
            e.call("mr_fully_connected_nobias_fast_s8", e.ptr(x, True), batches, in_n, e.const(w), out_n, e.ptr(y),
                   -zp_in, *tail)
        return
    bias = e.const(op.inputs[2]) if has_bias else "NULL"
    if filt.quant.per_channel:
        e.call("mr_fully_connected_per_channel_s8", e.ptr(x, True), batches, in_n, e.const(w), bias, out_n, e.ptr(y),
               -zp_in, zp_out, e.array("m", mults), e.array("s", shifts), *act)
    else:
        e.call("mr_fully_connected_s8", e.ptr(x, True), batches, in_n, e.const(w), bias, out_n, e.ptr(y), -zp_in,
               -int(filt.quant.zero_point[0]), zp_out, mults[0], shifts[0], *act)


def _shape4(e: _Emitter, index: int) -> str:
    return e.array("shape", _nhwc(e.t(index).shape))


def _emit_add_mul(e: _Emitter, i: int, op: Op) -> None:
    a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
    s1, z1 = e.q(a)
    s2, z2 = e.q(b)
    so, zo = e.q(y)
    operands = []
    for t in (a, b):
        operands += [e.const(t) if e.t(t).is_constant else e.ptr(t, True), _shape4(e, t)]
    if op.kind == "ADD":
        p = quant.add_params(s1, z1, s2, z2, so, zo, op.activation())
        e.call("mr_add_s8", *operands, e.ptr(y), p["input1_offset"], p["input2_offset"], p["left_shift"],
               p["input1_multiplier"], p["input1_shift"], p["input2_multiplier"], p["input2_shift"],
               p["output_offset"], p["output_multiplier"], p["output_shift"], p["act_min"], p["act_max"])
    else:
        p = quant.mul_params(s1, z1, s2, z2, so, zo, op.activation())
        e.call("mr_mul_s8", *operands, e.ptr(y), p["input1_offset"], p["input2_offset"], p["output_offset"],
               p["output_multiplier"], p["output_shift"], p["act_min"], p["act_max"])


def _emit_pool(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    in_h, in_w, c = _single_batch(e, i, op, x)
    out_h, out_w, _ = _single_batch(e, i, op, y)
    kh, kw, sh, sw = op_window(e.graph, op)
    top, _, left, _ = op_padding(e.graph, op)
    if e.q(x) != e.q(y):
        raise ModelError(f"op {op.kind} at index {i}: input and output quantization differ")
    so, zo = e.q(y)
    act = quant.activation_range(op.activation(), so, zo)
    fn = "mr_avg_pool_s8" if op.kind == "AVERAGE_POOL_2D" else "mr_max_pool_s8"
    e.call(fn, e.ptr(x, True), in_h, in_w, c, kh, kw, sh, sw, top, left, e.ptr(y), out_h, out_w, *act)


def _emit_mean(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    shape = list(e.t(x).shape)
    axes = sorted({int(a) % len(shape) for a in e.t(op.inputs[1]).data.reshape(-1)})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise ModelError(f"op MEAN at index {i}: reduction axes {axes} are not contiguous")
    outer = int(np.prod(shape[:axes[0]]))
    reduce = int(np.prod(shape[axes[0]:axes[-1] + 1]))
    inner = int(np.prod(shape[axes[-1] + 1:]))
    p = quant.mean_params(*e.q(x), *e.q(y))
    e.call("mr_mean_s8", e.ptr(x, True), outer, reduce, inner, e.ptr(y), p["input_zero_point"],
           p["output_zero_point"], p["output_multiplier"], p["output_shift"])


def _emit_pad(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    pads = e.t(op.inputs[1]).data.reshape(-1, 2).astype(np.int64)
    pads = np.concatenate([np.zeros((4 - len(pads), 2), np.int64), pads])
    value = e.q(y)[1]
    if op.kind == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = int(e.t(op.inputs[2]).data.reshape(-1)[0])
    e.call("mr_pad_s8", e.ptr(x, True), _shape4(e, x), e.array("pad", pads[:, 0]), e.array("pad", pads[:, 1]),
           e.ptr(y), value)


def _emit_reshape(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    if e.plan.offsets[x] != e.plan.offsets[y]:
        e.body.append(f"  memcpy(A + {e.plan.offsets[y]}, A + {e.plan.offsets[x]}, {e.t(y).nbytes});")
    else:
        e.body.append("  /* alias: same bytes, new shape */")


def _emit_softmax(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    depth = e.t(x).shape[-1]
    rows = int(np.prod(e.t(x).shape)) // depth
    p = quant.softmax_params(e.q(x)[0], float(op.options.get("beta", 1.0)))
    e.call("mr_softmax_s8", e.ptr(x, True), rows, depth, e.ptr(y), p["input_multiplier"], p["input_left_shift"],
           p["diff_min"])


def _emit_concatenation(e: _Emitter, i: int, op: Op) -> None:
    y = op.outputs[0]
    shape = e.t(y).shape
    axis = int(op.options.get("axis", 0)) % len(shape)
    outer, inner = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1:]))
    p = quant.concat_params([e.q(t)[0] for t in op.inputs], [e.q(t)[1] for t in op.inputs], *e.q(y))
    ptrs = ", ".join(e.const(t) if e.t(t).is_constant else e.ptr(t, True) for t in op.inputs)
    e.body.append(f"  {{ const int8_t *const ins[{len(op.inputs)}] = {{{ptrs}}};")
    e.call("  mr_concatenation_s8", len(op.inputs), "ins", e.array("dims", [e.t(t).shape[axis] for t in op.inputs]),
           outer, inner, e.ptr(y), e.array("off", p["input_offsets"]), e.array("m", p["multipliers"]),
           e.array("s", p["shifts"]), p["output_offset"])
    e.body.append("  }")


def _emit_resize(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    n, in_h, in_w, c = _nhwc(e.t(x).shape)
    _, out_h, out_w, _ = _nhwc(e.t(y).shape)
    e.call("mr_resize_nearest_neighbor_s8", e.ptr(x, True), n, in_h, in_w, c, e.ptr(y), out_h, out_w,
           int(bool(op.options.get("alignCorners", False))), int(bool(op.options.get("halfPixelCenters", False))))


def _emit_hard_swish(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    p = quant.hard_swish_params(*e.q(x), *e.q(y))
    e.call("mr_hard_swish_s8", e.ptr(x, True), int(np.prod(e.t(x).shape)), e.ptr(y), p["input_zero_point"],
           p["output_zero_point"], p["reluish_multiplier_fixedpoint_int16"], p["reluish_multiplier_exponent"],
           p["output_multiplier_fixedpoint_int16"], p["output_multiplier_exponent"])


def _emit_logistic(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    p = quant.logistic_params(*e.q(x))
    e.call("mr_logistic_s8", e.ptr(x, True), int(np.prod(e.t(x).shape)), e.ptr(y), p["input_zero_point"],
           p["input_range_radius"], p["input_multiplier"], p["input_left_shift"])


def _emit_quantize(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    n = int(np.prod(e.t(x).shape))
    src, dst = e.t(x).dtype, e.t(y).dtype
    if src == "float32" and dst in ("int8", "uint8"):
        p = quant.quantize_params(*e.q(y))
        backward = "_backward" if op.attrs.get("inplace_order") == "reverse" and "inplace" in op.attrs else ""
        e.call(f"mr_quantize_f32_{'s8' if dst == 'int8' else 'u8'}{backward}", e.ptr(x, True), n, e.ptr(y),
               f"{p['scale']!r}f", p["zero_point"])
    elif src in ("int8", "uint8") and dst in ("int8", "uint8"):
        p = quant.requantize_params(*e.q(x), *e.q(y))
        fn = {"int8int8": "mr_requantize_s8_s8", "uint8int8": "mr_requantize_u8_s8",
              "int8uint8": "mr_requantize_s8_u8"}.get(src + dst)
        if fn is None:
            raise ModelError(f"op QUANTIZE at index {i}: {src} -> {dst} is not supported")
        e.call(fn, e.ptr(x, True), n, e.ptr(y), p["input_zero_point"], p["output_zero_point"], p["multiplier"],
               p["shift"])
    else:
        raise ModelError(f"op QUANTIZE at index {i}: {src} -> {dst} is not supported")


def _emit_dequantize(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    src = e.t(x).dtype
    if src not in ("int8", "uint8") or e.t(y).dtype != "float32":
        raise ModelError(f"op DEQUANTIZE at index {i}: {src} -> {e.t(y).dtype} is not supported")
    s, z = e.q(x)
    e.call(f"mr_dequantize_{'s8' if src == 'int8' else 'u8'}_f32", e.ptr(x, True), int(np.prod(e.t(x).shape)),
           e.ptr(y), f"{float(np.float32(s))!r}f", z)


def _emit_transpose(e: _Emitter, i: int, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    perm = e.t(op.inputs[1]).data.reshape(-1)
    e.call("mr_transpose_s8", e.ptr(x, True), len(perm), e.array("shape", e.t(x).shape), e.array("perm", perm),
           e.ptr(y))


def _model_config(engine: Graph, name: str) -> str:
    """mr_model_config.h for this model: the kernel specialisations it uses (the kernels' default keeps all)."""
    windows = {op_window(engine, op)[:2] for op in engine.ops if op.kind == "DEPTHWISE_CONV_2D"}
    uses = {k: int(any(k in w for w in windows)) for k in (5, 7)}
    return "\n".join([
        f"/* Generated by micro_runtime/codegen.py for {name}: the kernel specialisations it uses (see the kernels'",
        " * default, micro_runtime/include/mr_model_config.h). */",
        "#ifndef MR_MODEL_CONFIG_H_", "#define MR_MODEL_CONFIG_H_",
        f"#define MR_DW_KERNEL_5 {uses[5]}", f"#define MR_DW_KERNEL_7 {uses[7]}",
        "#endif", ""])


def _emit_patch_copy(e: _Emitter, i: int, op: Op) -> None:
    """A window of `src` (load, crop) into `dst`, or a patch's output into its slice of the split tensor
    (`tflite_patch.patches`): rows of pixels, each tensor's own row stride."""
    src, dst = e.t(op.inputs[0]), e.t(op.outputs[0])
    src_row, src_col, dst_row, dst_col, rows, cols = op.attrs["window"]
    pixel = src.shape[3] * src.itemsize
    src_at = (src_row * src.shape[2] + src_col) * pixel
    dst_at = e.plan.offsets[op.outputs[0]] + (dst_row * dst.shape[2] + dst_col) * pixel
    if op.inputs[0] in e.plan.external:  # a graph input read straight from the caller's buffer
        src_ptr = f"(const uint8_t *)inputs[{e.graph.inputs.index(op.inputs[0])}] + {src_at}"
    else:
        src_ptr = f"A + {e.plan.offsets[op.inputs[0]] + src_at}"
    e.call("mr_copy_window", src_ptr, src.shape[2] * pixel, f"A + {dst_at}", dst.shape[2] * pixel, rows,
           cols * pixel)


EMITTERS = {
    "CONV_2D": _emit_conv, "DEPTHWISE_CONV_2D": _emit_depthwise, "FULLY_CONNECTED": _emit_fully_connected,
    "ADD": _emit_add_mul, "MUL": _emit_add_mul, "AVERAGE_POOL_2D": _emit_pool, "MAX_POOL_2D": _emit_pool,
    "MEAN": _emit_mean, "PAD": _emit_pad, "PADV2": _emit_pad, "RESHAPE": _emit_reshape, "SQUEEZE": _emit_reshape,
    "SOFTMAX": _emit_softmax, "CONCATENATION": _emit_concatenation, "RESIZE_NEAREST_NEIGHBOR": _emit_resize,
    "HARD_SWISH": _emit_hard_swish, "LOGISTIC": _emit_logistic, "QUANTIZE": _emit_quantize,
    "DEQUANTIZE": _emit_dequantize, "TRANSPOSE": _emit_transpose, "PATCH_COPY": _emit_patch_copy,
}


def describe_op(graph: Graph, op: Op) -> str:
    """One line for an engine op: kind, output shape, fusion and in-place mode (comments, tables)."""
    shapes = " ".join("x".join(str(d) for d in graph.tensors[t].shape) for t in op.outputs)
    extra = []
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        kh, kw, sh, _ = op_window(graph, op)
        extra.append(f"{kh}x{kw}/{sh}")
    if op.kind == "PATCH_COPY":
        extra.append("{}x{} window".format(*op.attrs["window"][4:]))
    if "fused_add" in op.attrs:
        extra.append("+ADD")
    if "inplace" in op.attrs:
        extra.append(f"in place ({op.attrs.get('inplace_order')})")
    if "patch" in op.attrs:
        source = op.attrs.get("patch_source")
        extra.append(f"[patch {op.attrs['patch']}{'' if source is None else f', op {source}'}]")
    return f"{op.kind} {' '.join(extra[:1])} -> {shapes} {' '.join(extra[1:])}".replace("  ", " ").strip()


def kernel_scratch_bytes(graph: Graph, external: frozenset[int] = frozenset()) -> dict[int, int]:
    """Scratch (op index -> bytes) the kernels chosen for each op need beyond what the passes marked;
    it lives in the arena, so the planner places it. The sizes are those of mr_fast.h /
    mr_depthwise_fast.h (each replaces the op's total: in-place scratch included)."""
    sizes: dict[int, int] = {}
    upgrades: dict[int, int] = {}
    for i, op in enumerate(graph.ops):
        if op.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D") or not op.inputs:
            continue
        dh, dw = int(op.options.get("dilationHFactor", 1)), int(op.options.get("dilationWFactor", 1))
        if (dh, dw) != (1, 1):
            continue
        src, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if len(src.shape) != 4 or len(out.shape) != 4:
            continue
        _, in_h, in_w, in_c = src.shape
        _, out_h, out_w, out_c = out.shape
        kh, kw, sh, sw = op_window(graph, op)
        top, _, left, _ = op_padding(graph, op)
        if op.kind == "CONV_2D":
            im2col = _conv_scratch_bytes(kh, kw, in_c)
            if "fused_add" in op.attrs:
                sizes[i] = _align4(2 * out_c) + im2col
            elif op.attrs.get("inplace_order") == "rows":
                sizes[i] = _align4(out_w * out_c) + im2col
            else:  # 1x1 (in place or not) and other convs: two GEMM rows
                sizes[i] = im2col
        elif "inplace" in op.attrs:
            rows = _depthwise_row_delay(in_w, in_c, sh, top, out_h, out_w) * out_w * out_c
            sizes[i] = min(rows, out_h * out_w)
            ring = [_depthwise_ring_bytes(kh, kw, sw, top, left, out_h, out_w, narrow) for narrow in (False, True)]
            wanted = [n for n in ring + [rows] if n is not None and n > sizes[i]]
            if ring[1] is not None and ring[1] <= sizes[i]:
                wanted = [n for n in wanted if n == ring[0]]  # an int8 ring already fits: only int16 is better
            if wanted:
                upgrades[i] = wanted
    # The in-place depthwise runs fastest through a ring of input rows (mr_depthwise_fast.h), else by
    # rows (all channels vectorised) rather than channel by channel; give it the scratch that takes
    # wherever that keeps the op under the graph's peak of live bytes.
    if upgrades:
        live = live_bytes_per_op(graph, arena_buffers(graph, inplace_candidates(graph), sizes, external))
        peak = max(live, default=0)
        for i, wanted in upgrades.items():  # the fastest mode that fits
            affordable = [n for n in wanted if live[i] + n - sizes[i] <= peak]
            if affordable:
                sizes[i] = affordable[0]
    return sizes

def plan_engine(graph: Graph, patch: PatchSpec | None = None) -> tuple[Graph, ArenaPlan]:
    """The engine's passes and memory plan for a checked graph: what `generate` emits, and what TinyNAS's
    cost model calls on a graph built from a candidate's config, so both see the same arena bytes.
    `patch`: run engine ops 0..patch.split patch by patch (`tflite_patch.patches.unroll_patches`).
    Returns the rewritten graph (marks of ops the plan does not run in place removed, chosen in-place
    alternatives applied) and the plan."""
    return plan_prepared(prepare_for_engine(graph), patch)


def outside_input_bytes(engine: Graph, plan: ArenaPlan) -> int:
    """Bytes of the inputs a schedule reads in place from the caller's buffer (not in its arena)."""
    return sum(engine.tensors[t].nbytes for t in plan.external)


def ram_bytes(engine: Graph, plan: ArenaPlan) -> int:
    """All the RAM a schedule needs: the arena, plus the inputs it reads in place from the caller's
    buffer (which must then stay there for the whole call)."""
    return plan.arena_bytes + outside_input_bytes(engine, plan)


def plan_prepared(engine: Graph, patch: PatchSpec | None = None) -> tuple[Graph, ArenaPlan]:
    """`plan_engine` on a graph the engine passes already ran on (`prepare_for_engine`): the patch
    search plans many schedules of one graph. A patch stage loads its input windows itself, so the
    input may stay in the caller's buffer or be copied into the arena, where its bytes are reused once
    the patch stage is done; both are planned and the one needing less RAM (`ram_bytes`) is kept."""
    if patch is None:
        return _plan_schedule(engine, None, False)
    outside = _plan_schedule(engine, patch, True)
    inside = _plan_schedule(engine, patch, False)
    return inside if ram_bytes(*inside) < ram_bytes(*outside) else outside


def _plan_schedule(engine: Graph, patch: PatchSpec | None, input_outside: bool) -> tuple[Graph, ArenaPlan]:
    engine = _copy_ops(engine)  # the marks of ops not run in place are removed below
    if patch is not None:
        engine = unroll_patches(engine, patch)
    external = frozenset(engine.inputs) if input_outside else frozenset()
    plan = plan_arena(engine, alignment=ARENA_ALIGNMENT, inplace=True,
                      scratch_bytes=kernel_scratch_bytes(engine, external), external=external)
    for i, op in enumerate(engine.ops):  # the plan decides which of the marked ops run in place, and how
        if i not in plan.inplace_ops:
            op.attrs.pop("inplace", None)
        elif plan.inplace_choice.get(i):
            op.attrs.update(op.attrs["inplace_alternatives"][plan.inplace_choice[i] - 1])
    return engine, plan


def generate(model: bytes, name: str = "model", target: str = "portable", patch: str | PatchSpec | None = None,
             sram_bytes: int | None = None) -> GeneratedModel:
    """Generate C for an int8 .tflite model (bytes). Raises `ModelError` (one line) for models the
    engine does not take, naming the op and its index for unsupported ops. `patch` ("auto", "off",
    "SPLIT:N" or a PatchSpec): run the first ops patch by patch (`micro_runtime.patching`); "auto"
    chooses for the SRAM budget `sram_bytes` (None: the smallest arena)."""
    if target not in TARGETS:
        raise ModelError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if not name.isidentifier():
        raise ModelError(f"--name {name!r} is not a C identifier")
    graph = load_tflite(model)
    check_int8_model(graph)
    choice = None
    if patch is not None:
        from micro_runtime.patching import resolve_patch
        choice = resolve_patch(graph, patch, sram_bytes)
    engine, plan = (choice.engine, choice.plan) if choice else plan_engine(graph)
    e = _Emitter(engine, plan, name)
    for i, op in enumerate(engine.ops):
        e.kernel_files.update(KERNEL_FILES[op.kind])
        e.body.append(f"  /* {i}: {describe_op(engine, op)} */")
        e.body.append(f"  MR_LAYER_BEGIN({i});")
        try:
            if op.attrs.get("inplace_order") == "rows" and "inplace" in op.attrs:
                _emit_conv_rows(e, i, op)
            else:
                EMITTERS[op.kind](e, i, op)
        except quant.QuantRangeError as err:
            raise ModelError(f"op {op.kind} at index {i}: {err}") from None
        e.body.append(f"  MR_LAYER_END({i});")

    upper = name.upper()
    in_sizes = [engine.tensors[t].nbytes for t in engine.inputs]
    out_sizes = [engine.tensors[t].nbytes for t in engine.outputs]
    files = {}
    for fname in sorted(os.listdir(INCLUDE_DIR)):
        if fname.endswith(".h"):
            files[fname] = open(os.path.join(INCLUDE_DIR, fname)).read()
    files["mr_profile.h"] = open(PROFILE_HEADER).read()
    files["mr_model_config.h"] = _model_config(engine, name)
    for fname in sorted(e.kernel_files):
        files[fname] = open(os.path.join(KERNEL_DIR, fname)).read()
    files[f"{name}.h"] = _header(engine, name, upper, plan, in_sizes, out_sizes)
    files[f"{name}.c"] = _source(e, engine, name, upper, in_sizes, out_sizes)
    if target == "arduino":
        files = _arduino_library(files, engine, name, upper, in_sizes)
    return GeneratedModel(name=name, files=files, plan=plan, graph=engine, input_bytes=in_sizes,
                          output_bytes=out_sizes, patch=choice)


def _header(graph: Graph, name: str, upper: str, plan: ArenaPlan, in_sizes, out_sizes) -> str:
    lines = [f"/* {name}.h: generated by mcunet-tf micro_runtime.codegen. Do not edit. */",
             f"#ifndef {upper}_H_", f"#define {upper}_H_", "",
             f"#define {upper}_ARENA_BYTES {plan.arena_bytes}",
             f"#define {upper}_INPUT_BYTES {sum(in_sizes)}",
             f"#define {upper}_OUTPUT_BYTES {sum(out_sizes)}",
             f"#define {upper}_NUM_INPUTS {len(in_sizes)}",
             f"#define {upper}_NUM_OUTPUTS {len(out_sizes)}"]
    for kind, tensors, sizes in (("INPUT", graph.inputs, in_sizes), ("OUTPUT", graph.outputs, out_sizes)):
        for j, (t, size) in enumerate(zip(tensors, sizes)):
            tensor = graph.tensors[t]
            lines.append(f"#define {upper}_{kind}{j}_BYTES {size}  /* {tensor.dtype} "
                         f"{'x'.join(str(d) for d in tensor.shape)} */")
            if tensor.quant is not None:
                lines.append(f"#define {upper}_{kind}{j}_SCALE {float(tensor.quant.scale[0])!r}f")
                lines.append(f"#define {upper}_{kind}{j}_ZERO_POINT {int(tensor.quant.zero_point[0])}")
    lines += ["", "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
              "/* Runs one inference. `input`: the model's input tensors back to back (NHWC, their own dtype);",
              " * `output`: receives the output tensors back to back. Returns 0 on success. */",
              *(["/* Patch-based: the input is read in place, window by window, during the call (it is not",
                 f" * copied into the {plan.arena_bytes}-byte arena). */"] if plan.external else []),
              f"int {name}_invoke(const void *input, void *output);",
              "/* The same with one pointer per input and per output tensor. */",
              f"int {name}_invoke_n(const void *const *inputs, void *const *outputs);",
              "",
              "/* Without copies, as with TFLM's interpreter->input(i)->data: write input i where",
              f" * {name}_input(i) points, call {name}_run(), read output j at {name}_output(j) (valid until the",
              f" * next run). The {plan.arena_bytes}-byte arena is then all the RAM inference needs; invoke's buffers",
              " * are the caller's. NULL for an index out of range.",
              *([" * Here the input is read in place (patch-based): input() is NULL and run() returns 1; keep the",
                 " * input in your own buffer and use invoke."] if plan.external else []),
              " */",
              f"void *{name}_input(int i);",
              f"const void *{name}_output(int j);",
              f"int {name}_run(void);",
              "", "#ifdef __cplusplus", "}", "#endif", "", f"#endif /* {upper}_H_ */", ""]
    return "\n".join(lines)


def _source(e: _Emitter, graph: Graph, name: str, upper: str, in_sizes, out_sizes) -> str:
    lines = [f"/* {name}.c: generated by mcunet-tf micro_runtime.codegen from an int8 .tflite. Do not edit.",
             f" * {len(graph.ops)} ops, arena {e.plan.arena_bytes} bytes (planner: {e.plan.heuristic}). */",
             "#include <string.h>", "", f'#include "{name}.h"', '#include "mr_kernels.h"', '#include "mr_streaming.h"',
             '#include "mr_profile.h"',
             "", "/* Every activation tensor and scratch buffer lives in this arena, at offsets fixed by the planner. */",
             f"static union {{ int32_t align; uint8_t bytes[{max(e.plan.arena_bytes, 1)}]; }} arena;",
             "#define A (arena.bytes)", ""]
    lines += e.data
    lines += ["", f"static void {name}_layers(const void *const *inputs) {{", "  (void)inputs;"] + e.body + ["}", ""]
    lines += [f"int {name}_invoke_n(const void *const *inputs, void *const *outputs) {{",
              "  if (!inputs || !outputs) return 1;"]
    for j, t in enumerate(graph.inputs):
        lines.append(f"  if (!inputs[{j}]) return 1;")
        if t not in e.plan.external:
            lines.append(f"  memcpy(A + {e.plan.offsets[t]}, inputs[{j}], {in_sizes[j]});")
    lines.append(f"  {name}_layers(inputs);")
    for j, t in enumerate(graph.outputs):
        lines.append(f"  if (!outputs[{j}]) return 1;")
        lines.append(f"  memcpy(outputs[{j}], A + {e.plan.offsets[t]}, {out_sizes[j]});")
    lines += ["  return 0;", "}", "",
              f"int {name}_invoke(const void *input, void *output) {{",
              "  if (!input || !output) return 1;"]
    ins = ", ".join(f"(const uint8_t *)input + {sum(in_sizes[:j])}" for j in range(len(in_sizes)))
    outs = ", ".join(f"(uint8_t *)output + {sum(out_sizes[:j])}" for j in range(len(out_sizes)))
    lines += [f"  {{ const void *const in[{len(in_sizes)}] = {{{ins}}};",
              f"    void *const out[{len(out_sizes)}] = {{{outs}}};",
              f"    return {name}_invoke_n(in, out); }}", "}", ""]
    # Zero-copy entry points: pointers into the arena (None where an input is read in place).
    in_ptrs = ["NULL" if t in e.plan.external else f"A + {e.plan.offsets[t]}" for t in graph.inputs]
    out_ptrs = [f"A + {e.plan.offsets[t]}" for t in graph.outputs]
    lines += [f"void *{name}_input(int i) {{",
              *[f"  if (i == {j}) return {p};" for j, p in enumerate(in_ptrs)], "  return NULL;", "}", "",
              f"const void *{name}_output(int j) {{",
              *[f"  if (j == {j}) return {p};" for j, p in enumerate(out_ptrs)], "  return NULL;", "}", "",
              f"int {name}_run(void) {{"]
    if e.plan.external:
        lines += ["  return 1; /* an input is read in place: use invoke */", "}", ""]
    else:
        lines += [f"  {name}_layers(NULL);", "  return 0;", "}", ""]
    return "\n".join(lines)


def sample_input(graph: Graph, seed: int = 0) -> bytes:
    """The input bundled with the Arduino example: the first of `tflm.random_inputs(graph, 1, seed)`."""
    from tflite_patch.tflm import random_inputs
    return b"".join(np.ascontiguousarray(a).tobytes() for a in random_inputs(graph, 1, seed=seed)[0])


def _arduino_library(files: dict[str, str], graph: Graph, name: str, upper: str, in_sizes) -> dict[str, str]:
    """Lay the sources out as an Arduino library: library.properties, src/, examples/<name>/<name>.ino.

    The example runs one inference on a bundled sample input (kept in Flash with PROGMEM on AVR) and
    prints the output bytes in hex on the serial port, one line, then "done"."""
    lib = {f"src/{fname}": text for fname, text in files.items()}
    lib["library.properties"] = "\n".join([
        f"name={name}", "version=0.1.0", "author=mcunet-tf", "maintainer=mcunet-tf",
        f"sentence={name}: an int8 neural network compiled to C by mcunet-tf.",
        "paragraph=Static arena, no heap, no interpreter; bit-exact with TF Lite Micro.",
        "category=Data Processing", "url=https://example.invalid/mcunet-tf", "architectures=*",
        f"includes={name}.h", ""])
    sample = np.frombuffer(sample_input(graph), dtype=np.uint8)
    lib[f"examples/{name}/{name}.ino"] = "\n".join([
        f"// {name}: runs one inference of the generated model on a bundled sample and prints the output.",
        f"#include <{name}.h>",
        "#include <string.h>",
        "#if defined(__AVR__)",
        "#include <avr/pgmspace.h>",
        "#else",
        "#define PROGMEM",
        "#define memcpy_P memcpy",
        "#endif",
        "",
        f"static const uint8_t sample[{upper}_INPUT_BYTES] PROGMEM = {_c_array(sample)};",
        f"static uint8_t input[{upper}_INPUT_BYTES];",
        f"static uint8_t output[{upper}_OUTPUT_BYTES];",
        "",
        "void setup() {",
        "  Serial.begin(115200);",
        "  memcpy_P(input, sample, sizeof input);",
        f"  int rc = {name}_invoke(input, output);",
        "  Serial.print(\"rc \");",
        "  Serial.println(rc);",
        "  Serial.print(\"out \");",
        "  for (unsigned i = 0; i < sizeof output; ++i) {",
        "    if (output[i] < 16) Serial.print('0');",
        "    Serial.print(output[i], HEX);",
        "  }",
        "  Serial.println();",
        "  Serial.println(\"done\");",
        "}",
        "",
        "void loop() {}",
        ""])
    return lib
