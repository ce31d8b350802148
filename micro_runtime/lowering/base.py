"""What every op lowering shares: the `Lowering` interface and the `Emitter` that collects C.

A lowering is everything the engine knows about one op family (DESIGN.md, "one lowering per op"): what it
accepts, which kernel it takes for a shape, the call it emits, the scratch and constant bytes that call
needs, the kernel sources it compiles, its MACs and the features of the latency model. The generator
(`micro_runtime.codegen`), the schedule (`micro_runtime.schedule`: scratch), the cost model
(`mcunet_tf.cost`: kernel family, constant bytes, features) and `describe` all ask it; none repeats it.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from tflite_patch.costs import op_macs
from tflite_patch.graph import Graph, ModelError, Op, Tensor
from tflite_patch.planner import ArenaPlan

C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t", "float32": "float",
           "bool": "uint8_t"}  # TFLM stores a bool in one byte, 0 or 1


def c_array(values: np.ndarray, per_line: int = 24) -> str:
    """A C initializer list of integers, `per_line` to a line."""
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return "{\n  " + ",\n  ".join(lines) + "\n}"


def align4(n: int) -> int:
    return (n + 3) & ~3


def nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A shape of rank <= 4 as (N, H, W, C), ones in front."""
    if len(shape) > 4:
        raise ModelError(f"tensor of rank {len(shape)} is not supported")
    return tuple([1] * (4 - len(shape)) + list(shape))


def dims(shape: tuple[int, ...]) -> dict[str, int]:
    """A shape of rank <= 4 as the fields of an `mr_dims` (mr_types.h), ones in front."""
    return dict(zip("nhwc", nhwc(shape)))


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """TFLite's broadcast of two shapes (aligned at the right, each dimension equal or 1)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        raise ModelError(f"shapes {list(a)} and {list(b)} do not broadcast")
    return tuple(max(x, y) if 1 not in (x, y) else x * y for x, y in zip(a, b))


def same_shape(graph: Graph, op: Op) -> list[tuple[int, ...]]:
    """The output shape of an elementwise op of one input: the input's."""
    return [tuple(graph.tensors[op.inputs[0]].shape)]


def elements(graph: Graph, t: int) -> int:
    return int(np.prod(graph.tensors[t].shape))


@dataclasses.dataclass(frozen=True)
class Extent:
    """Bytes [start, start + size) of tensor `tensor` (None: the op's scratch) a call reads or writes
    (`micro_runtime.bounds` proves them inside the plan's buffers)."""
    tensor: int | None
    start: int
    size: int
    write: bool


def _initializer(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f".{k} = {_initializer(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return "{" + ", ".join(_initializer(v) for v in value) + "}"
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


class Emitter:
    """Collects constant data and statements while the ops are lowered one by one; `ptr`, `const` and
    `array` name the operands of a call."""

    def __init__(self, graph: Graph, plan: ArenaPlan, name: str):
        self.graph, self.plan, self.name = graph, plan, name
        self.data: list[str] = []
        self.body: list[str] = []
        self.consts: dict[int, str] = {}
        self.kernel_files: set[str] = set()
        self.shared: dict[tuple, object] = {}  # per-patch copies of one op share its constant arrays
        self.variables: dict[int, tuple[str, int, int]] = {}  # variable tensor -> (array, bytes, fill byte)

    def t(self, index: int) -> Tensor:
        return self.graph.tensors[index]

    def q(self, index: int) -> tuple[float, int]:
        """(scale, zero point) of a per-tensor quantized tensor."""
        tensor = self.t(index)
        return float(tensor.quant.scale[0]), int(tensor.quant.zero_point[0])

    def ptr(self, index: int, const: bool = False) -> str:
        """Tensor `index` in the arena, as a typed pointer."""
        ctype = C_TYPES[self.t(index).dtype]
        if index not in self.plan.offsets:
            raise ModelError(f"tensor {index} ({self.t(index).name}) is a constant or not planned where the op "
                             "takes an activation")
        return f"({'const ' if const else ''}{ctype} *)(A + {self.plan.offsets[index]})"

    def scratch(self, op_index: int) -> str:
        return f"(int8_t *)(A + {self.plan.scratch[op_index][0]})"

    def scratch_bytes(self, op_index: int) -> int:
        return self.plan.scratch[op_index][1]

    def const(self, index: int, values: np.ndarray | None = None, ctype: str | None = None) -> str:
        """A `static const` array for constant tensor `index` (or given values), emitted once; tensors
        that share one buffer of the .tflite share one array."""
        tensor = self.t(index)
        if values is None and id(tensor.data) in self.consts:
            return self.consts[id(tensor.data)]
        arr = tensor.data if values is None else values
        ctype = ctype or C_TYPES[tensor.dtype]
        cname = f"c{index}" if values is None else f"c{index}_{len(self.data)}"
        self.data.append(f"static const {ctype} MR_CONST {cname}[{arr.size}] = {c_array(arr)};")
        if values is None:
            self.consts[id(tensor.data)] = cname
        return cname

    def array(self, stem: str, values, ctype: str = "int32_t") -> str:
        """A `static const` array of `values`, named after `stem`."""
        cname = f"{stem}{len(self.data)}"
        arr = np.asarray(values)
        self.data.append(f"static const {ctype} MR_CONST {cname}[{arr.size}] = {c_array(arr)};")
        return cname

    def params(self, ctype: str, stem: str, fields: dict) -> str:
        """A `static const` parameter struct of the kernels' API (mr_types.h) with designated initializers;
        returns its address. Values: ints, C expressions (array names, "NULL"), tuples (brace lists) and
        dicts (nested structs)."""
        cname = f"{stem}{len(self.data)}"
        self.data.append(f"static const {ctype} MR_CONST {cname} = {_initializer(fields)};")
        return f"&{cname}"

    def variable(self, index: int) -> str:
        """Variable tensor `index` (an op's state across invocations): a static array outside the arena,
        emitted once, filled by `<name>_reset()` as TFLM's ResetVariableTensors (int8: its zero point, else 0)."""
        if index not in self.variables:
            tensor = self.t(index)
            cname, n = f"state{index}", int(np.prod(tensor.shape))
            fill = int(tensor.quant.zero_point[0]) if tensor.dtype == "int8" and tensor.quant is not None else 0
            init = f" = {c_array(np.full(n, fill))}" if fill else ""
            self.data.append(f"static {C_TYPES[tensor.dtype]} {cname}[{n}]{init};")
            self.variables[index] = (cname, tensor.nbytes, fill & 0xFF)
        return self.variables[index][0]

    def operand(self, index: int) -> str:
        """A read-only operand: its constant array, or its place in the arena."""
        return self.const(index) if self.t(index).is_constant else self.ptr(index, True)

    def call(self, fn: str, *args) -> None:
        self.body.append(f"  {fn}({', '.join(str(a) for a in args)});")


class Lowering:
    """One op family (see the module docstring). Subclasses set `kinds` and `sources` and override
    `emit`; the other answers have defaults that fit ops with no weights and no scratch."""

    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # kernel files (micro_runtime/kernels) every op of the family needs
    optional_sources: tuple[str, ...] = ()  # files `kernel_sources` adds for some ops (the fast kernels)
    types: tuple[str, ...] | None = None  # the activation types `check` takes ("in -> out" where they differ)
    engine_only = False  # made by the passes, never read from a .tflite
    activation_type = "int8"  # "int16": the family's 16x8 variant (lowering.activation_type picks it); "any"

    def sources_of(self, kind: str) -> tuple[str, ...]:
        """Every kernel file an op of `kind` may compile (micro_runtime.coverage reads their ISA paths)."""
        return self.sources + self.optional_sources

    def types_of(self, kind: str) -> tuple[str, ...]:
        """The activation types of `kind` for the coverage table: `types`, or the family's activation type
        (int8 for a family that only moves bytes and declares none)."""
        if self.types is not None:
            return self.types
        return ("int8",) if self.activation_type == "any" else (self.activation_type,)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        """Raise `ModelError` (one line) when the engine cannot run this op of the engine graph."""

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]] | None:
        """The output shapes the op's inputs and options give (TFLite's shape inference); None where the
        family does not say (then `check` must bound what the kernel writes)."""
        return None

    def check_outputs(self, graph: Graph, op: Op) -> None:
        """Refuse declared output shapes that differ from `output_shapes`: the kernels write and read what
        the inputs and options say, so a smaller declared output would be overrun."""
        expected = self.output_shapes(graph, op)
        if expected is None:
            return
        for t, shape in zip(op.outputs, expected):
            declared = tuple(graph.tensors[t].shape)
            if declared != tuple(shape):
                raise ModelError(f"output {t} has shape {list(declared)}, but its inputs and options give "
                                 f"{list(shape)}")

    def extents(self, graph: Graph, op: Op) -> list[Extent]:
        """The bytes the op's call may read and write in the arena: every input whole (not constants, not
        variable tensors: an op's state is a static array of its own size), every output as `output_shapes`
        computes it from the inputs and options (as declared where it does not say), and the scratch the
        kernel needs. A family whose kernel touches less, or more, says so here."""
        found = [Extent(t, 0, graph.tensors[t].nbytes, False) for t in op.inputs
                 if t >= 0 and not graph.tensors[t].is_constant and not graph.tensors[t].is_variable]
        shapes = self.output_shapes(graph, op) or [graph.tensors[t].shape for t in op.outputs]
        for t, shape in zip(op.outputs, shapes):
            found.append(Extent(t, 0, math.prod(shape) * graph.tensors[t].itemsize, True))
        scratch = self.scratch_bytes(graph, op)
        if scratch is None:
            inplace = op.attrs.inplace
            scratch = op.attrs.scratch_bytes + (inplace.scratch_bytes if inplace is not None else 0)
        if scratch > 0:
            found.append(Extent(None, 0, scratch, True))
        return found

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        """The kernel variant that runs this op (the emitted call's family); `scratch_bytes`: the op's
        scratch in the plan, where the variant depends on it."""
        return op.kind.lower()

    def family(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        """The unit the latency model is fitted on (`mcunet_tf.cost`): the kernel variant by default."""
        return self.kernel(graph, op, scratch_bytes)

    def kernel_sources(self, graph: Graph, op: Op) -> tuple[str, ...]:
        """Kernel files the op's call needs."""
        return self.sources

    def scratch_bytes(self, graph: Graph, op: Op) -> int | None:
        """Scratch the chosen kernel needs (replaces the op's total, in-place scratch included); None
        leaves it to the passes' marks (`attrs.scratch_bytes`, `attrs.inplace.scratch_bytes`)."""
        return None

    def faster_scratch(self, graph: Graph, op: Op, scratch_bytes: int) -> list[int]:
        """Larger scratch sizes that buy a faster kernel, preferred first; the schedule grants one where
        it keeps the op under the graph's peak."""
        return []

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        """Bytes of the constant arrays the op's call adds to Flash (weights, biases, requantization);
        small parameter arrays of ops without weights are counted with the code."""
        return 0

    def macs(self, graph: Graph, op: Op) -> int:
        return op_macs(graph, op)

    def features(self, graph: Graph, op: Op) -> dict[str, float]:
        """The features of the per-layer instruction model: MACs, output and input elements, output
        channels, output pixels (H*W), and a constant."""
        out = graph.tensors[op.outputs[0]].shape
        x = graph.tensors[op.inputs[0]].shape if op.inputs else ()
        return {"macs": float(self.macs(graph, op)), "out": float(np.prod(out)), "in": float(np.prod(x)),
                "channels": float(out[-1]) if out else 1.0,
                "pixels": float(np.prod(out[1:-1])) if len(out) > 2 else 1.0, "one": 1.0}

    def detail(self, graph: Graph, op: Op) -> str | None:
        """A short word on the op's geometry for `describe` (e.g. "3x3/1"), if any."""
        return None

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        raise NotImplementedError
