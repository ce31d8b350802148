"""What a subnet costs on a microcontroller, from its config alone: MACs, parameters, SRAM, Flash, latency.

TinyNAS calls `subnet_cost` thousands of times, so nothing here converts a model or imports TensorFlow.
Instead `subnet_graph(cfg)` builds, analytically, the int8 graph IR that the TFLite converter produces for
`zoo.build_keras_model(cfg)` (same ops in the same order, same tensor shapes, options and quantization
layout; placeholder scales and zero weights), and the cost model runs on it the very code the generator
runs (DESIGN.md, "Co-design, in code"):

- `sram_bytes` is `micro_runtime.schedule.plan_engine(graph)[1].arena_bytes`: exactly the generated
  `<NAME>_ARENA_BYTES` for the converted model. No separate estimate: improve the planner and the search
  sees it on its next run.
- `flash_bytes` is the constant data the generator emits for the engine graph (`data_bytes`: int8 weights
  with the GEMM kernels' row stride, int32 (folded) biases, per-channel output multipliers and shifts; checked
  against the generated arrays byte for byte by `scripts/fit_latency.py`) plus its code: a constant for the
  kernels and a per-layer term, fitted by that script to Cortex-M4 -O2 builds (`model_linked_flash_bytes`).
- `instructions` is a per-layer linear model (instructions = a*MACs + b*output elements + c*output channels
  + d*output pixels + e, one set per kernel family: the kernel call the generator emits for that op, with the
  depthwise kernel size and stride), fitted by the same
  script to per-layer Cortex-M4 instruction counts measured in QEMU, and stored in `latency_model.json`.
  `Cost.latency_ms(clock_mhz)` turns it into time assuming `cycles_per_instruction` from that file (1.0:
  QEMU counts instructions, not cycles).

Speed: one cost is dominated by `plan_engine` (the passes deep-copy the graph; the planner tries several
in-place policies and orderings), ~40-80 ms for a 50-60 layer subnet; `stage1` spreads costs over processes.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
from typing import Any

import numpy as np

from mcunet_tf.space import Layer, SubnetConfig, count_macs, count_params, layers
from micro_runtime.lowering import lowering_for
from micro_runtime.schedule import plan_engine, ram_bytes, resolve_patch
from tflite_patch.graph import Graph, Op, Quantization, Tensor

LATENCY_MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "latency_model.json")
DEFAULT_CLOCK_MHZ = 216.0

# Placeholder quantization: the planner and the cost model only need shapes and dtypes; the generator (used
# by scripts/fit_latency.py on these graphs) needs valid positive scales.
ACTIVATION_SCALE = 0.05
WEIGHT_SCALE = 0.01

# Builtin options and operator versions exactly as TF 2.21's converter writes them for these ops.
_RELU6, _NO_ACTIVATION = 3, 0
_SAME, _VALID = 0, 1
_VERSIONS = {"PAD": 2, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "ADD": 2, "MEAN": 2, "FULLY_CONNECTED": 4,
             "QUANTIZE": 1, "DEQUANTIZE": 2}
_OPTIONS_TYPES = {"PAD": "PadOptions", "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
                  "ADD": "AddOptions", "MEAN": "ReducerOptions", "FULLY_CONNECTED": "FullyConnectedOptions",
                  "QUANTIZE": None, "DEQUANTIZE": None}


# ------------------------------------------------------------------------------------------- budgets
@dataclasses.dataclass(frozen=True)
class Budget:
    """Limits a subnet must respect; None means no limit. `clock_mhz` converts instructions to time."""
    sram_kb: float | None = None
    flash_kb: float | None = None
    latency_ms: float | None = None
    clock_mhz: float = DEFAULT_CLOCK_MHZ

    def fits(self, cost: "Cost") -> bool:
        """True when `cost` is within every limit (1 kB = 1024 bytes)."""
        return ((self.sram_kb is None or cost.sram_bytes <= self.sram_kb * 1024)
                and (self.flash_kb is None or cost.flash_bytes <= self.flash_kb * 1024)
                and (self.latency_ms is None or cost.latency_ms(self.clock_mhz) <= self.latency_ms))

    def with_latency(self, latency_ms: float | None) -> "Budget":
        return dataclasses.replace(self, latency_ms=latency_ms)


# SRAM / Flash / core clock from the vendors' datasheets. STM32H743: MCUNet's 512 kB is the AXI SRAM (the
# part has 1 MB in several banks); 480 MHz is revision V. The Nano 33 BLE's nRF52840 runs at 64 MHz.
DEVICES: dict[str, Budget] = {
    "stm32f412": Budget(sram_kb=256, flash_kb=1024, clock_mhz=100.0),   # Cortex-M4
    "stm32f746": Budget(sram_kb=320, flash_kb=1024, clock_mhz=216.0),   # Cortex-M7
    "stm32h743": Budget(sram_kb=512, flash_kb=2048, clock_mhz=480.0),   # Cortex-M7
    "nano33ble": Budget(sram_kb=256, flash_kb=1024, clock_mhz=64.0),    # nRF52840, Cortex-M4F
}


def make_budget(device: str | None = None, sram_kb: float | None = None, flash_kb: float | None = None,
                latency_ms: float | None = None, clock_mhz: float | None = None,
                require_memory: bool = True) -> Budget:
    """A device preset of `DEVICES` (or none), with any explicit limit given on top. Raises ValueError for
    an unknown device or, with `require_memory`, when neither SRAM nor Flash is limited."""
    if device is not None and device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; presets: {', '.join(sorted(DEVICES))}")
    fields = dataclasses.asdict(DEVICES[device]) if device else {}
    for key, value in (("sram_kb", sram_kb), ("flash_kb", flash_kb), ("latency_ms", latency_ms),
                       ("clock_mhz", clock_mhz)):
        if value is not None:
            fields[key] = value
    if require_memory and fields.get("sram_kb") is None and fields.get("flash_kb") is None:
        raise ValueError("give a budget: --device or --sram_kb/--flash_kb")
    return Budget(**fields)


# ------------------------------------------------------------------------------------------- cost
@dataclasses.dataclass(frozen=True)
class Cost:
    """The cost of one subnet. `flash_bytes` = `data_bytes` (weights, biases, requantization arrays) +
    `code_bytes` (kernels + per-layer calls, fitted). `instructions`: predicted Cortex-M4 instructions of
    one inference."""
    macs: int
    params: int
    sram_bytes: int
    flash_bytes: int
    instructions: int
    data_bytes: int = 0
    code_bytes: int = 0
    clock_mhz: float = DEFAULT_CLOCK_MHZ
    cycles_per_instruction: float = 1.0
    patch: str = "off"  # the patch-based schedule costed ("off", or "SPLIT:N": micro_runtime.schedule)
    patch_extra_macs: int = 0  # MACs the patch schedule recomputes (overlapping windows), beyond `macs`

    def latency_ms(self, clock_mhz: float | None = None) -> float:
        """Predicted time of one inference at `clock_mhz` (default: the clock the cost was made for)."""
        clock = self.clock_mhz if clock_mhz is None else clock_mhz
        return self.instructions * self.cycles_per_instruction / (clock * 1e3)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["latency_ms"] = self.latency_ms()
        return d


# ------------------------------------------------------------------------------------------- graph
class _Builder:
    def __init__(self):
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []

    def _add(self, tensor: Tensor) -> int:
        self.tensors.append(tensor)
        return len(self.tensors) - 1

    def activation(self, name: str, shape: tuple[int, ...], dtype: str = "int8") -> int:
        quant = None
        if dtype == "int8":
            quant = Quantization(np.array([ACTIVATION_SCALE], np.float32), np.zeros(1, np.int64))
        return self._add(Tensor(name, tuple(shape), dtype, quant, shape_signature=(-1,) + tuple(shape[1:])))

    def constant(self, name: str, data: np.ndarray, quant: Quantization | None = None) -> int:
        dtype = {np.dtype(np.int8): "int8", np.dtype(np.int32): "int32"}[data.dtype]
        return self._add(Tensor(name, tuple(data.shape), dtype, quant, data=data))

    def weights(self, name: str, shape: tuple[int, ...], axis: int, rng) -> tuple[int, int]:
        """int8 per-channel weights (channels along `axis`) and their int32 bias (scale in*w, as TFLite)."""
        channels = shape[axis]
        w_scale = np.full(channels, WEIGHT_SCALE, np.float32)
        data = np.zeros(shape, np.int8) if rng is None else rng.integers(-127, 128, shape, dtype=np.int8)
        w = self.constant(name, data, Quantization(w_scale, np.zeros(channels, np.int64), axis))
        bias = np.zeros(channels, np.int32) if rng is None else rng.integers(-512, 512, channels, dtype=np.int32)
        b = self.constant(name + "_bias", bias,
                          Quantization(w_scale * np.float32(ACTIVATION_SCALE), np.zeros(channels, np.int64), 0))
        return w, b

    def op(self, kind: str, inputs: list[int], outputs: list[int], options: dict | None = None) -> None:
        self.ops.append(Op(kind, list(inputs), list(outputs), dict(options or {}),
                           options_type=_OPTIONS_TYPES[kind], version=_VERSIONS[kind]))


def _conv_options(layer: Layer, padding: int, relu6: bool) -> dict[str, Any]:
    options = {"padding": padding, "strideW": layer.stride, "strideH": layer.stride,
               "fusedActivationFunction": _RELU6 if relu6 else _NO_ACTIVATION,
               "dilationWFactor": 1, "dilationHFactor": 1}
    if layer.kind == "depthwise":
        options["depthMultiplier"] = 1
    else:
        options["quantizedBiasType"] = 0
    return options


def subnet_graph(cfg: SubnetConfig, io_dtype: str = "int8", classifier_bias: bool = True,
                 random_weights: int | None = None) -> Graph:
    """The int8 graph the TFLite converter produces for `zoo.build_keras_model(cfg)` (full-integer PTQ,
    `export.convert_int8`), built from the config alone.

    Same op kinds and order (a PAD only where `layers(cfg)` says `needs_pad_op`, otherwise the strided conv
    pads SAME itself), same tensor shapes, dtypes and builtin options; activations are int8 with one
    placeholder per-tensor quantization, weights int8 per channel (zeros, or random with seed
    `random_weights`), biases int32. `io_dtype="float32"` adds QUANTIZE / DEQUANTIZE at the ends, like
    `convert_int8(..., io_dtype="float32")`. `classifier_bias=False` mirrors a Dense layer whose bias is
    all zeros (the converter drops it), e.g. a freshly initialised model.
    """
    if io_dtype not in ("int8", "float32"):
        raise ValueError(f"io_dtype must be int8 or float32, not {io_dtype!r}")
    rng = None if random_weights is None else np.random.default_rng(random_weights)
    g = _Builder()
    r = cfg.resolution
    image = g.activation("image", (1, r, r, cfg.in_channels), io_dtype)
    x = image
    if io_dtype == "float32":
        x = g.activation("image_int8", (1, r, r, cfg.in_channels))
        g.op("QUANTIZE", [image], [x])

    relu6_roles = {"first_conv", "expand", "depthwise", "feature_mix"}  # project convs are linear
    block_inputs: dict[str, int] = {}  # block name -> its input tensor (the residual's shortcut)
    for layer in layers(cfg):
        block, _, role = layer.name.partition("_") if layer.name.startswith("block") else ("", "", layer.name)
        if block:
            block_inputs.setdefault(block, x)
        if layer.kind in ("conv", "depthwise"):
            padding = _SAME
            if layer.needs_pad_op:
                top, bottom, left, right = layer.pad
                h, w, c = layer.in_shape
                padded = g.activation(f"{layer.name}_pad", (1, h + top + bottom, w + left + right, c))
                paddings = g.constant(f"{layer.name}_pad/paddings",
                                      np.array([[0, 0], [top, bottom], [left, right], [0, 0]], np.int32))
                g.op("PAD", [x, paddings], [padded])
                x, padding = padded, _VALID
            k = layer.kernel_size
            if layer.kind == "depthwise":
                w, b = g.weights(layer.name, (1, k, k, layer.out_shape[-1]), 3, rng)
                kind = "DEPTHWISE_CONV_2D"
            else:
                w, b = g.weights(layer.name, (layer.out_shape[-1], k, k, layer.in_shape[-1]), 0, rng)
                kind = "CONV_2D"
            y = g.activation(layer.name, (1,) + tuple(layer.out_shape))
            g.op(kind, [x, w, b], [y], _conv_options(layer, padding, role in relu6_roles))
            x = y
        elif layer.kind == "add":
            y = g.activation(layer.name, (1,) + tuple(layer.out_shape))
            g.op("ADD", [block_inputs[block], x], [y], {"fusedActivationFunction": _NO_ACTIVATION,
                                                         "potScaleInt16": True})
            x = y
        elif layer.kind == "pool":
            axes = g.constant("pool/reduction_indices", np.array([1, 2], np.int32))
            y = g.activation(layer.name, (1,) + tuple(layer.out_shape))
            g.op("MEAN", [x, axes], [y], {"keepDims": False})
            x = y
        elif layer.kind == "dense":
            n_in, n_out = layer.in_shape[-1], layer.out_shape[-1]
            w, b = g.weights(layer.name, (n_out, n_in), 0, rng)
            y = g.activation(layer.name, (1, n_out))
            g.op("FULLY_CONNECTED", [x, w, b if classifier_bias else -1], [y], {
                "fusedActivationFunction": _NO_ACTIVATION, "weightsFormat": 0, "keepNumDims": False,
                "asymmetricQuantizeInputs": False, "quantizedBiasType": 0})
            x = y
        else:  # pragma: no cover - layers() yields only the kinds above
            raise ValueError(f"unknown layer kind {layer.kind}")
    output = x
    if io_dtype == "float32":
        output = g.activation("logits", g.tensors[x].shape, "float32")
        g.op("DEQUANTIZE", [x], [output])
    return Graph(tensors=g.tensors, ops=g.ops, inputs=[image], outputs=[output], name="main")


# ------------------------------------------------------------------------------------------- models
@functools.lru_cache(maxsize=None)
def _load_model(path: str) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def latency_model(path: str | None = None) -> dict[str, Any]:
    """The fitted flash-code and per-layer instruction model (`scripts/fit_latency.py` writes it)."""
    return _load_model(os.path.abspath(path or LATENCY_MODEL_PATH))


def kernel_family(graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
    """The kernel call the generator emits for an op of the engine graph (`plan_engine`'s output), as its
    lowering says (`micro_runtime.lowering`): the unit the per-layer instruction model is fitted on.
    `scratch_bytes` (the op's scratch in the plan) tells an in-place depthwise conv's mode."""
    return lowering_for(op, graph).family(graph, op, scratch_bytes)


def layer_features(graph: Graph, op: Op) -> dict[str, float]:
    """The features of one engine op the instruction model uses (`Lowering.features`): MACs, output and
    input elements, output channels, output pixels (H*W), and a constant."""
    return lowering_for(op, graph).features(graph, op)


def predict_layer_instructions(family: str, features: dict[str, float], model: dict[str, Any]) -> float:
    """Instructions of one layer: the family's coefficients (or the fallback family's) dot the features."""
    lat = model["latency"]
    coefs = lat["families"].get(family)
    if coefs is None:
        coefs = lat["families"].get(family.split("_k")[0]) or lat["fallback"]
    return max(0.0, sum(coefs.get(name, 0.0) * value for name, value in features.items()))


def layer_data_bytes(graph: Graph) -> list[int]:
    """Constant bytes the generator emits for each op of an engine graph: its `Lowering.constant_bytes`
    (filters in the layout its kernel reads, (folded) biases, output multipliers and shifts); per-patch
    copies of one op share its arrays (`attrs.patch_source`), counted at the first copy."""
    sizes = []
    shared: set[int] = set()
    for op in graph.ops:
        source = op.attrs.patch_source
        if source is not None and source in shared:
            sizes.append(0)
            continue
        if source is not None:
            shared.add(source)
        sizes.append(int(lowering_for(op, graph).constant_bytes(graph, op)))
    return sizes


def data_bytes(graph: Graph) -> int:
    """Constant bytes the generator emits for an engine graph (the sum of `layer_data_bytes`)."""
    return sum(layer_data_bytes(graph))


def layer_instructions(engine: Graph, plan=None, model: dict[str, Any] | None = None) -> list[float]:
    """Predicted Cortex-M4 instructions of each op of an engine graph and its `ArenaPlan` (the plan's
    scratch tells an in-place depthwise conv's kernel)."""
    model = model or latency_model()
    scratch = plan.scratch if plan is not None else {}
    return [predict_layer_instructions(kernel_family(engine, op, scratch.get(i, (0, 0))[1]),
                                       layer_features(engine, op), model) for i, op in enumerate(engine.ops)]


def engine_cost(engine: Graph, plan=None, model: dict[str, Any] | None = None) -> tuple[int, int, float]:
    """(data bytes, code bytes, instructions) of an engine graph and its `ArenaPlan` under the fitted model."""
    model = model or latency_model()
    fl = model["flash"]
    code = fl["code_constant_bytes"] + fl["code_bytes_per_layer"] * len(engine.ops)
    instructions = model["latency"].get("invoke_constant", 0.0)
    for layer in layer_instructions(engine, plan, model):  # summed in op order, as the search always has
        instructions += layer
    return data_bytes(engine), int(round(code)), float(instructions)


@functools.lru_cache(maxsize=4096)
def _cost_from_json(text: str, clock_mhz: float, model_path: str, patch: str, patch_sram_bytes: int | None) -> Cost:
    cfg = SubnetConfig.from_json(text)
    model = latency_model(model_path)
    graph = subnet_graph(cfg)
    choice = None if patch == "off" else resolve_patch(graph, patch, patch_sram_bytes)
    engine, plan = (choice.engine, choice.plan) if choice else plan_engine(graph)
    data, code, instructions = engine_cost(engine, plan, model)
    # SRAM: the arena, plus an input a patch stage reads in place from the caller's buffer.
    return Cost(macs=count_macs(cfg), params=count_params(cfg), sram_bytes=int(ram_bytes(engine, plan)),
                flash_bytes=data + code, instructions=int(round(instructions)), data_bytes=data, code_bytes=code,
                clock_mhz=float(clock_mhz),
                cycles_per_instruction=float(model["latency"].get("cycles_per_instruction", 1.0)),
                patch=choice.label if choice else "off", patch_extra_macs=int(choice.extra_macs) if choice else 0)


def subnet_cost(cfg: SubnetConfig, budget_clock_mhz: float = DEFAULT_CLOCK_MHZ,
                model_path: str | None = None, patch: str = "off", patch_sram_kb: float | None = None) -> Cost:
    """MACs, parameters, SRAM (the generated arena, exactly), Flash and predicted instructions of `cfg`.

    `budget_clock_mhz` is the clock `Cost.latency_ms()` uses when called without one. `patch` ("off",
    "auto" or "SPLIT:N", as `scripts/codegen.py --patch`) costs a patch-based schedule: "auto" picks the
    fewest extra MACs whose RAM fits `patch_sram_kb` (None: the least RAM), exactly as the code
    generator does. Results are cached per config (TinyNAS asks about the same candidate more than once).
    """
    budget = None if patch_sram_kb is None else int(patch_sram_kb * 1024)
    return _cost_from_json(cfg.to_json(), float(budget_clock_mhz), os.path.abspath(model_path or LATENCY_MODEL_PATH),
                           str(patch), budget)


def patch_cost_fn(budget: Budget):
    """The cost function of a search that lets subnets run patch by patch (MCUNetV2): each candidate is
    costed with the patch schedule of fewest extra MACs that fits `budget.sram_kb` (`TinyNAS(...,
    cost_fn=patch_cost_fn(budget))`); a subnet that fits layer by layer keeps that schedule."""
    return functools.partial(subnet_cost, budget_clock_mhz=budget.clock_mhz, patch="auto",
                             patch_sram_kb=budget.sram_kb)
