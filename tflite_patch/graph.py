"""A small graph IR for int8 .tflite models, read and written through TensorFlow's own schema.

`load_tflite` turns a flatbuffer into a `Graph` (tensors, ops in execution order, subgraph inputs and
outputs); `save_tflite` writes a `Graph` back. The object API of TensorFlow's generated schema
(`tensorflow/lite/python/schema_py_generated.py`) does the flatbuffer work; the module is loaded from
its file so that reading a model does not pay for importing all of TensorFlow.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
from functools import lru_cache
from typing import Any

import numpy as np


class ModelError(ValueError):
    """A model we cannot take; the message is one line that names the problem. Names in it come from
    untrusted files: control characters are escaped and the line is capped (`one_line`)."""

    def __init__(self, message: object = ""):
        super().__init__(one_line(str(message)))


def one_line(text: str, limit: int = 400, word_limit: int = 80) -> str:
    """`text` with control characters (newlines, terminal escapes) escaped, each word (a tensor name) cut
    to `word_limit` characters and the whole to `limit`."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    shown = " ".join(w if len(w) <= word_limit else w[:word_limit - 3] + "..." for w in shown.split(" "))
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


@lru_cache(maxsize=None)
def schema():
    """TensorFlow's generated TFLite flatbuffer schema module (object API)."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or spec.origin is None:
        raise ModelError("tensorflow is not installed: its TFLite schema is needed to read .tflite files")
    path = os.path.join(os.path.dirname(spec.origin), "lite", "python", "schema_py_generated.py")
    module_spec = importlib.util.spec_from_file_location("tflite_schema_py_generated", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _enum_names(enum_class) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


@lru_cache(maxsize=None)
def _tables():
    s = schema()
    return {
        "op_name": _enum_names(s.BuiltinOperator),
        "op_code": {v: k for k, v in _enum_names(s.BuiltinOperator).items()},
        "dtype_name": {k: v.lower() for k, v in _enum_names(s.TensorType).items()},
        "dtype_code": {v.lower(): k for k, v in _enum_names(s.TensorType).items()},
        "options_name": _enum_names(s.BuiltinOptions),
        "options_code": {v: k for k, v in _enum_names(s.BuiltinOptions).items()},
        "activation": _enum_names(s.ActivationFunctionType),
        "padding": _enum_names(s.Padding),
    }


def activation_names() -> dict[int, str]:
    """Fused activation code -> name ("NONE", "RELU", ...)."""
    return _tables()["activation"]


NUMPY_DTYPES = {
    "float32": np.float32, "float16": np.float16, "float64": np.float64, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
    "uint64": np.uint64, "bool": np.bool_,
}


@dataclasses.dataclass
class Quantization:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per channel along `axis`."""
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def __eq__(self, other) -> bool:
        return (isinstance(other, Quantization) and self.axis == other.axis
                and np.array_equal(self.scale, other.scale) and np.array_equal(self.zero_point, other.zero_point))


@dataclasses.dataclass
class Tensor:
    """A tensor of the graph: constant when `data` is set, else an activation that needs arena space."""
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None = None
    data: np.ndarray | None = None
    shape_signature: tuple[int, ...] | None = None
    is_variable: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def itemsize(self) -> int:
        return np.dtype(NUMPY_DTYPES[self.dtype]).itemsize

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.itemsize  # Python ints: no wrap-around on hostile shapes

    def __eq__(self, other) -> bool:
        if not isinstance(other, Tensor):
            return False
        same_data = (self.data is None and other.data is None) or (
            self.data is not None and other.data is not None and self.data.dtype == other.data.dtype
            and np.array_equal(self.data, other.data))
        return (self.name == other.name and self.shape == other.shape and self.dtype == other.dtype
                and self.quant == other.quant and same_data and self.shape_signature == other.shape_signature
                and self.is_variable == other.is_variable)


@dataclasses.dataclass
class InPlace:
    """An op that may write its output over its input at `position` (`passes.mark_inplace`; the planner
    decides whether it does). `order`: how the kernel walks so it never overwrites bytes it still reads
    ("forward", "reverse", "channel", "rows"); `offset`: output address - input address in bytes;
    `scratch_bytes`: the scratch the in-place kernel needs; `alternatives`: other (order, offset) the
    planner may choose instead."""
    position: int
    order: str
    offset: int = 0
    scratch_bytes: int = 0
    alternatives: tuple[tuple[str, int], ...] = ()

    def alternative(self, k: int) -> "InPlace":
        """Mode k: 0 is this one, k >= 1 the k-th alternative."""
        if k == 0:
            return self
        order, offset = self.alternatives[k - 1]
        return dataclasses.replace(self, order=order, offset=offset)


@dataclasses.dataclass
class FusedAdd:
    """A CONV_2D fused with the ADD that read it (`passes.fuse_conv_add`): `conv_output` is the conv's own
    output tensor (its quantization), never stored."""
    add: "Op"
    conv_output: int


@dataclasses.dataclass
class FusedBlock:
    """An inverted-residual block run row by row as one op (`fuse_blocks.fuse_inverted_residuals`): the
    expand 1x1, depthwise and project 1x1 (fused with the residual ADD when it has one) it stands for; their
    intermediate tensors are never stored."""
    expand: "Op"
    depthwise: "Op"
    project: "Op"


@dataclasses.dataclass
class EngineAttrs:
    """What the engine passes know about an op beyond the .tflite file; never written back.

    `origins`: the ops of the original graph this op stands for; `explicit_padding` (top, bottom, left,
    right) after a PAD fold or for a patch's window; `alias`: a RESHAPE whose output shares its input's
    bytes; `fused_add`; `scratch_bytes`: scratch the op needs whatever kernel runs it; `inplace`;
    `patch` / `patch_source`: a per-patch copy (patch index, the op it copies); `window`: a PATCH_COPY's
    (src_row, src_col, dst_row, dst_col, rows, cols)."""
    origins: list[int] | None = None
    explicit_padding: tuple[int, int, int, int] | None = None
    alias: bool = False
    fused_add: FusedAdd | None = None
    scratch_bytes: int = 0
    inplace: InPlace | None = None
    patch: int | None = None
    patch_source: int | None = None
    window: tuple[int, int, int, int, int, int] | None = None
    block: FusedBlock | None = None  # an INVERTED_RESIDUAL op's layers

    def copy(self) -> "EngineAttrs":
        return dataclasses.replace(self, origins=None if self.origins is None else list(self.origins))


@dataclasses.dataclass
class Op:
    """One operator: `kind` is the builtin name (e.g. "CONV_2D"); `options` its builtin options as a dict.

    `inputs` may hold -1 for an omitted optional input (e.g. no bias). `attrs`: what the engine passes
    add (`EngineAttrs`); not part of the .tflite file.
    """
    kind: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    options_type: str | None = None
    version: int = 1
    custom_code: str | None = None
    custom_options: bytes | None = None
    attrs: EngineAttrs = dataclasses.field(default_factory=EngineAttrs)

    def activation(self) -> str:
        """The fused activation ("NONE", "RELU", "RELU6", ...)."""
        return _tables()["activation"][self.options.get("fusedActivationFunction", 0)]

    def padding(self) -> str:
        """"SAME" or "VALID" for convolution and pooling ops."""
        return _tables()["padding"][self.options.get("padding", 0)]


@dataclasses.dataclass
class Graph:
    """One subgraph of a .tflite model plus the model-level fields needed to write it back."""
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    name: str = ""
    description: str = ""
    metadata: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    signature_defs: list[Any] = dataclasses.field(default_factory=list)

    def consumers(self) -> dict[int, list[int]]:
        """Tensor index -> indices of the ops that read it, in execution order."""
        users: dict[int, list[int]] = {}
        for i, op in enumerate(self.ops):
            for t in op.inputs:
                if t >= 0:
                    users.setdefault(t, []).append(i)
        return users

    def producer(self) -> dict[int, int]:
        """Tensor index -> index of the op that writes it."""
        return {t: i for i, op in enumerate(self.ops) for t in op.outputs}

    def activation_tensors(self) -> list[int]:
        """Indices of the non-constant tensors that ops or the graph boundary use, in first-use order."""
        seen: dict[int, None] = {}
        for t in self.inputs:
            seen[t] = None
        for op in self.ops:
            for t in list(op.inputs) + list(op.outputs):
                if t >= 0 and not self.tensors[t].is_constant:
                    seen[t] = None
        for t in self.outputs:
            seen[t] = None
        return list(seen)

    def metadata_dict(self) -> dict[str, bytes]:
        return dict(self.metadata)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Graph) and self.tensors == other.tensors and self.inputs == other.inputs
                and self.outputs == other.outputs and self.name == other.name
                and self.metadata == other.metadata and len(self.ops) == len(other.ops)
                and all(_op_equal(a, b) for a, b in zip(self.ops, other.ops)))


def _op_equal(a: Op, b: Op) -> bool:
    return (a.kind == b.kind and a.inputs == b.inputs and a.outputs == b.outputs
            and a.options_type == b.options_type and a.version == b.version
            and a.custom_code == b.custom_code and a.custom_options == b.custom_options
            and _plain(a.options) == _plain(b.options))


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- loading

def _decode(s) -> str:
    if s is None:
        return ""
    return s.decode("utf-8", "replace") if isinstance(s, bytes) else str(s)


def load_tflite(data: bytes | str | os.PathLike) -> Graph:
    """Read a .tflite flatbuffer (bytes or a path) into a `Graph`.

    Raises `ModelError` with a one-line message for anything that is not a single-subgraph TFLite model.
    """
    if not isinstance(data, (bytes, bytearray)):
        try:
            with open(data, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ModelError(f"cannot read {data}: {e.strerror}") from None
    data = bytes(data)
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError("not a TFLite model (no TFL3 flatbuffer identifier)")
    s = schema()
    try:
        root = s.Model.GetRootAs(data, 0)
        _check_counts(root)
        model = s.ModelT.InitFromObj(root)
    except ModelError:
        raise
    except Exception as e:  # the flatbuffer reader raises many kinds on corrupt input
        raise ModelError(f"corrupt TFLite flatbuffer ({type(e).__name__}: {e})".splitlines()[0]) from None
    try:
        return _graph_from_model(model)
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"malformed TFLite model ({type(e).__name__}: {e})".splitlines()[0]) from None


MAX_ITEMS = 100_000  # ops, tensors or buffers: far beyond any microcontroller model, and a bound on load time


def _check_counts(root) -> None:
    """Refuse, before unpacking anything, a file whose tables list more items than MAX_ITEMS: entries
    are 4-byte references that may all point at one table, so a small file could unpack into millions."""
    counts = {"buffers": root.BuffersLength(), "operator codes": root.OperatorCodesLength()}
    for k in range(min(root.SubgraphsLength(), 2)):
        sg = root.Subgraphs(k)
        counts.update({"ops": sg.OperatorsLength(), "tensors": sg.TensorsLength()})
    for what, n in counts.items():
        if n > MAX_ITEMS:
            raise ModelError(f"model lists {n:,} {what}, more than {MAX_ITEMS:,}")


def _graph_from_model(model) -> Graph:
    t = _tables()
    subgraphs = model.subgraphs or []
    if len(subgraphs) != 1:
        raise ModelError(f"model has {len(subgraphs)} subgraphs; only single-subgraph models are supported")
    sg = subgraphs[0]
    buffers = model.buffers or []

    tensors = []
    decoded: dict[tuple, np.ndarray] = {}  # tensors that share a buffer share one array
    for i, tt in enumerate(sg.tensors or []):
        dtype = t["dtype_name"].get(tt.type)
        if dtype is None:
            raise ModelError(f"tensor {i} has unknown type code {tt.type}")
        shape = tuple(int(d) for d in (tt.shape if tt.shape is not None else []))
        signature = tuple(int(d) for d in tt.shapeSignature) if tt.shapeSignature is not None else None
        data = None
        if tt.buffer:
            if tt.buffer >= len(buffers):
                raise ModelError(f"tensor {i} ({_decode(tt.name)}) points to buffer {tt.buffer} of {len(buffers)}")
            raw = buffers[tt.buffer].data
            if raw is not None and len(raw):
                if dtype not in NUMPY_DTYPES:
                    raise ModelError(f"tensor {i} has constant data of unsupported type {dtype}")
                np_dtype = np.dtype(NUMPY_DTYPES[dtype]).newbyteorder("<")
                count = math.prod(shape)
                if count * np_dtype.itemsize != len(raw):
                    raise ModelError(f"tensor {i} ({_decode(tt.name)}): buffer holds {len(raw)} bytes, "
                                     f"shape {list(shape)} of {dtype} needs {count * np_dtype.itemsize}")
                key = (tt.buffer, dtype, shape)
                if key not in decoded:
                    raw = np.asarray(raw, dtype=np.uint8).tobytes()
                    decoded[key] = np.frombuffer(raw, dtype=np_dtype).astype(NUMPY_DTYPES[dtype]).reshape(shape)
                data = decoded[key]
        quant = None
        q = tt.quantization
        if q is not None and q.scale is not None and len(q.scale):
            quant = Quantization(scale=np.asarray(q.scale, dtype=np.float32),
                                 zero_point=np.asarray(q.zeroPoint if q.zeroPoint is not None else
                                                       np.zeros(len(q.scale)), dtype=np.int64),
                                 axis=int(q.quantizedDimension))
            _check_quantization(i, _decode(tt.name), shape, quant)
        tensors.append(Tensor(name=_decode(tt.name), shape=shape, dtype=dtype, quant=quant, data=data,
                              shape_signature=signature, is_variable=bool(tt.isVariable)))

    codes = model.operatorCodes or []
    ops = []
    for i, ot in enumerate(sg.operators or []):
        if ot.opcodeIndex >= len(codes):
            raise ModelError(f"op {i} uses operator code {ot.opcodeIndex} of {len(codes)}")
        code = codes[ot.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        kind = t["op_name"].get(builtin, f"BUILTIN_{builtin}")
        options_type = t["options_name"].get(ot.builtinOptionsType) if ot.builtinOptionsType else None
        options = dict(vars(ot.builtinOptions)) if ot.builtinOptions is not None else {}
        for j in list(ot.inputs if ot.inputs is not None else []) + list(ot.outputs if ot.outputs is not None else []):
            if j < -1 or j >= len(tensors):
                raise ModelError(f"op {i} ({kind}) refers to tensor {j} of {len(tensors)}")
        custom_options = bytes(np.asarray(ot.customOptions, dtype=np.uint8)) if ot.customOptions is not None else None
        ops.append(Op(kind=kind,
                      inputs=[int(j) for j in (ot.inputs if ot.inputs is not None else [])],
                      outputs=[int(j) for j in (ot.outputs if ot.outputs is not None else [])],
                      options=options, options_type=options_type, version=int(code.version),
                      custom_code=_decode(code.customCode) or None, custom_options=custom_options))

    for name, idx in (("input", sg.inputs), ("output", sg.outputs)):
        for j in (idx if idx is not None else []):
            if j < 0 or j >= len(tensors):
                raise ModelError(f"graph {name} refers to tensor {j} of {len(tensors)}")
    metadata = []
    for m in model.metadata or []:
        raw = buffers[m.buffer].data if m.buffer < len(buffers) else None
        metadata.append((_decode(m.name), bytes(np.asarray(raw, dtype=np.uint8)) if raw is not None else b""))
    return Graph(tensors=tensors, ops=ops,
                 inputs=[int(j) for j in (sg.inputs if sg.inputs is not None else [])],
                 outputs=[int(j) for j in (sg.outputs if sg.outputs is not None else [])],
                 name=_decode(sg.name), description=_decode(model.description),
                 metadata=metadata, signature_defs=list(model.signatureDefs or []))


# ---------------------------------------------------------------------------------------------- saving

def _aligned_buffer(data: bytes | None):
    """A BufferT whose data vector starts on a 16-byte boundary, as the TFLite converter writes them."""
    s = schema()

    class AlignedBufferT(s.BufferT):
        def Pack(self, builder):
            vector = None
            if self.data is not None:
                builder.StartVector(1, len(self.data), 16)
                builder.head -= len(self.data)
                builder.Bytes[builder.head:builder.head + len(self.data)] = self.data
                builder.vectorNumElems = len(self.data)
                vector = builder.EndVector()
            s.BufferStart(builder)
            if vector is not None:
                s.BufferAddData(builder, vector)
            return s.BufferEnd(builder)

    buf = AlignedBufferT()
    buf.data = data
    return buf


def _tensor_table(tensor: Tensor, buffers: list):
    """The schema's TensorT of `tensor`; constant data appended to `buffers`."""
    s, t = schema(), _tables()
    tt = s.TensorT()
    tt.shape = list(tensor.shape)
    tt.type = t["dtype_code"][tensor.dtype]
    tt.name = tensor.name
    tt.isVariable = tensor.is_variable
    tt.shapeSignature = list(tensor.shape_signature) if tensor.shape_signature is not None else None
    if tensor.data is not None:
        buffers.append(_aligned_buffer(np.ascontiguousarray(tensor.data).astype(
            np.dtype(NUMPY_DTYPES[tensor.dtype]).newbyteorder("<")).tobytes()))
        tt.buffer = len(buffers) - 1
    if tensor.quant is not None:
        q = s.QuantizationParametersT()
        q.scale = [float(v) for v in tensor.quant.scale]
        q.zeroPoint = [int(v) for v in tensor.quant.zero_point]
        q.quantizedDimension = tensor.quant.axis
        tt.quantization = q
    return tt


def save_tflite(graph: Graph) -> bytes:
    """Write a `Graph` as a .tflite flatbuffer (schema version 3).

    Engine-only attributes (`Op.attrs`) are not written; a graph whose ops need them (e.g. a PAD folded
    into a convolution with padding TFLite cannot express) is refused.
    """
    import flatbuffers

    s, t = schema(), _tables()
    model = s.ModelT()
    model.version = 3
    model.description = graph.description or None
    model.buffers = [_aligned_buffer(None)]

    sg = s.SubGraphT()
    sg.name = graph.name or None
    sg.inputs, sg.outputs = list(graph.inputs), list(graph.outputs)
    sg.tensors = [_tensor_table(tensor, model.buffers) for tensor in graph.tensors]

    codes: dict[tuple, int] = {}
    model.operatorCodes = []
    sg.operators = []
    for i, op in enumerate(graph.ops):
        if op.attrs.explicit_padding is not None:
            raise ModelError(f"op {i} ({op.kind}) carries a folded PAD that TFLite cannot express; "
                             "save the graph before fold_pad_into_conv")
        key = (op.kind, op.version, op.custom_code)
        if key not in codes:
            oc = s.OperatorCodeT()
            builtin = t["op_code"].get(op.kind)
            if builtin is None:
                raise ModelError(f"op {i} has unknown kind {op.kind}")
            oc.builtinCode = builtin
            oc.deprecatedBuiltinCode = min(builtin, 127)
            oc.version = op.version
            oc.customCode = op.custom_code
            codes[key] = len(model.operatorCodes)
            model.operatorCodes.append(oc)
        ot = s.OperatorT()
        ot.opcodeIndex = codes[key]
        ot.inputs, ot.outputs = list(op.inputs), list(op.outputs)
        if op.options_type is not None:
            ot.builtinOptionsType = t["options_code"][op.options_type]
            options = getattr(s, op.options_type + "T")()
            for k, v in op.options.items():
                setattr(options, k, v)
            ot.builtinOptions = options
        if op.custom_options is not None:
            ot.customOptions = list(op.custom_options)
        sg.operators.append(ot)
    model.subgraphs = [sg]

    model.metadata = []
    for name, raw in graph.metadata:
        model.buffers.append(_aligned_buffer(raw))
        m = s.MetadataT()
        m.name, m.buffer = name, len(model.buffers) - 1
        model.metadata.append(m)
    model.signatureDefs = graph.signature_defs or None

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _check_quantization(index: int, name: str, shape: tuple[int, ...], quant: Quantization) -> None:
    """One zero point per scale, and per-channel parameters along an axis that has that many channels
    (TFLM's kernels index both arrays by channel)."""
    n = quant.scale.size
    if quant.zero_point.size != n:
        raise ModelError(f"tensor {index} ({name}): quantization has {n} scales but "
                         f"{quant.zero_point.size} zero points")
    if len(shape) == 1 and shape[0] == n:  # a bias: TFLM reads it by channel whatever its quantized_dimension
        return
    if n > 1 and not (0 <= quant.axis < len(shape) and shape[quant.axis] == n):
        raise ModelError(f"tensor {index} ({name}): {n} per-channel scales along axis {quant.axis} "
                         f"of shape {list(shape)}")
