"""UNIDIRECTIONAL_SEQUENCE_LSTM int8 with an int16 cell state, as TFLM's integer LSTM (lstm_eval.h, Prepare in
lstm_eval_common.cc): the standard Keras LSTM only (no CIFG, peephole, projection or layer norm, which TFLM
refuses too). The hidden and cell states are variable tensors: static arrays outside the arena
(`Emitter.variable`), cleared by `<name>_reset()` (the hidden state to its zero point, as TFLM)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op

# lstm_shared.h's input indices: gate -> (input weights, recurrent weights, bias), in TFLM's order of evaluation
GATES = {"forget": (2, 6, 13), "input": (1, 5, 12), "cell": (3, 7, 14), "output": (4, 8, 15)}
HIDDEN, CELL = 18, 19
VARIANTS = {"peephole": (9, 10, 11), "projection": (16, 17), "layer norm": (20, 21, 22, 23)}
BIAS_TYPES = {"int8": "int32", "int16": "int64"}  # what TFLM's Eval reads the biases as, per activation type
TANH = 4  # the cell gate's activation: TFLM asserts on any other the schema can express
GATE_SCALE, TABLE_SCALE = 2.0 ** -12, 2.0 ** -15  # the gates' FC output (Q3.12) and the tables' output (Q0.15)


def _sizes(graph: Graph, op: Op) -> tuple[int, int, int, int]:
    """(batches, time steps, input size, cell size) as TFLM's CreateLstmSizeInfo."""
    shape = graph.tensors[op.inputs[0]].shape
    time_major = bool(op.options.get("timeMajor", False))
    batches, steps = (shape[1], shape[0]) if time_major else (shape[0], shape[1])
    return int(batches), int(steps), int(shape[2]), int(graph.tensors[op.inputs[HIDDEN]].shape[-1])


def _check_operands(graph: Graph, op: Op) -> None:
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise ModelError(f"takes 24 inputs and one output as TFLM (lstm_shared.h), not {len(op.inputs)} and "
                         f"{len(op.outputs)}")
    ins = list(op.inputs)
    for variant, indices in VARIANTS.items():
        if any(ins[k] >= 0 for k in indices):
            raise ModelError(f"the {variant} LSTM variant is not supported (TFLM runs the standard LSTM only)")
    if any(ins[k] < 0 for k in range(1, 9)) or any(ins[k] < 0 for k in (0, 12, 13, 14, 15, HIDDEN, CELL)):
        raise ModelError("takes all eight weights, four biases, and the hidden and cell states (no CIFG)")
    x, y, hidden, cell = (graph.tensors[t] for t in (ins[0], op.outputs[0], ins[HIDDEN], ins[CELL]))
    if x.dtype not in BIAS_TYPES or y.dtype != x.dtype or hidden.dtype != x.dtype or cell.dtype != "int16":
        raise ModelError(f"input {x.dtype}, output {y.dtype}, hidden state {hidden.dtype}, cell state {cell.dtype}: "
                         "the integer LSTM takes int8 or int16 ones alike with an int16 cell state")
    if not hidden.is_variable or not cell.is_variable:
        raise ModelError("the hidden and cell states must be variable tensors")
    for k in range(1, 9):
        w = graph.tensors[ins[k]]
        if w.dtype != "int8" or w.data is None or w.quant is None or w.quant.scale.size != 1 \
                or int(w.quant.zero_point[0]) != 0:
            raise ModelError(f"weights {k} must be constant int8 with one scale and zero point 0")
    for k in (12, 13, 14, 15):
        if graph.tensors[ins[k]].dtype != BIAS_TYPES[x.dtype] or graph.tensors[ins[k]].data is None:
            raise ModelError(f"bias {k} must be a constant {BIAS_TYPES[x.dtype]} vector with {x.dtype} activations")
    if any(t.quant is None or t.quant.scale.size != 1 for t in (x, hidden, cell)):
        raise ModelError("input, hidden and cell states need per-tensor quantization")


class Lstm(Lowering):
    kinds = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
    sources = ("lstm.c", "logistic_s16.c")
    activation_type = "any"  # int8 or int16 activations, an int16 cell state either way
    types = ("int8", "int16")

    def check(self, graph: Graph, i: int, op: Op) -> None:
        _check_operands(graph, op)
        if int(op.options.get("fusedActivationFunction", TANH)) != TANH:
            raise ModelError("the cell gate's activation must be TANH (TFLM's integer LSTM asserts on others)")
        if len(graph.tensors[op.inputs[0]].shape) != 3 or len(graph.tensors[op.inputs[HIDDEN]].shape) != 2:
            raise ModelError("the input must be of rank 3 and the states of rank 2")
        batches, steps, n_input, n_cell = _sizes(graph, op)
        for name, (w_in, w_rec, bias) in GATES.items():
            if graph.tensors[op.inputs[w_in]].shape != (n_cell, n_input) \
                    or graph.tensors[op.inputs[w_rec]].shape != (n_cell, n_cell) \
                    or graph.tensors[op.inputs[bias]].shape != (n_cell,):
                raise ModelError(f"the {name} gate's weights or bias do not fit input {n_input} and cell {n_cell}")
        for t in (HIDDEN, CELL):
            if int(np.prod(graph.tensors[op.inputs[t]].shape)) != batches * n_cell:
                raise ModelError(f"state {t} does not hold {batches} x {n_cell} values")
        x_shape = graph.tensors[op.inputs[0]].shape
        if graph.tensors[op.outputs[0]].shape != (x_shape[0], x_shape[1], n_cell):
            raise ModelError(f"output shape {list(graph.tensors[op.outputs[0]].shape)} is not "
                             f"{[x_shape[0], x_shape[1], n_cell]}")

    def scratch_bytes(self, graph: Graph, op: Op) -> int:
        batches, _, _, n_cell = _sizes(graph, op)
        rows = batches if op.options.get("timeMajor", False) else 1
        return 3 * rows * n_cell * 2  # three gate vectors at a time (mr_lstm_scratch_bytes)

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        """The eight weight matrices and, per gate, two int32 effective biases (int8) or one int64 bias (16x8)."""
        weights = sum(graph.tensors[op.inputs[k]].nbytes for k in range(1, 9))
        return weights + 8 * 4 * _sizes(graph, op)[3]

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, hidden, cell = op.inputs[0], op.inputs[HIDDEN], op.inputs[CELL]
        batches, steps, n_input, n_cell = _sizes(e.graph, op)
        (s_in, zp_in), (s_hidden, zp_hidden), (s_cell, _) = e.q(x), e.q(hidden), e.q(cell)
        fields = dict(batches=batches, time_steps=steps, n_input=n_input, n_cell=n_cell,
                      time_major=int(bool(op.options.get("timeMajor", False))), hidden_zero_point=zp_hidden)
        for name, (w_in, w_rec, bias) in GATES.items():
            m_in, sh_in = quant.fully_connected_output_multiplier(s_in, e.q(op.inputs[w_in])[0], GATE_SCALE)
            m_rec, sh_rec = quant.fully_connected_output_multiplier(s_hidden, e.q(op.inputs[w_rec])[0], GATE_SCALE)
            fields[name] = dict(input_weights=e.const(op.inputs[w_in]), recurrent_weights=e.const(op.inputs[w_rec]),
                                input_multiplier=m_in, input_shift=sh_in, recurrent_multiplier=m_rec,
                                recurrent_shift=sh_rec,
                                **_biases(e, op.inputs[w_in], op.inputs[w_rec], op.inputs[bias], -zp_in, -zp_hidden))
        fields.update(cell_params(s_cell, s_hidden, float(op.options.get("cellClip", 0.0))))
        e.call(f"mr_lstm_s{8 if e.t(x).dtype == 'int8' else 16}", e.params("mr_lstm_params", "lstm", fields),
               e.ptr(x, True), e.variable(hidden),
               e.variable(cell), e.ptr(op.outputs[0]), f"(int16_t *){e.scratch(i)}")


def _biases(e: Emitter, w_in: int, w_rec: int, bias: int, input_offset: int, hidden_offset: int) -> dict:
    """A gate's biases: int8's effective ones (the zero points folded in), or 16x8's int64 bias as it is."""
    if e.t(bias).dtype == "int64":
        return dict(input_bias="NULL", recurrent_bias="NULL", bias64=e.const(bias))
    return dict(input_bias=e.array("lstm_bias", effective_bias(e.t(w_in).data, input_offset, e.t(bias).data)),
                recurrent_bias=e.array("lstm_bias", effective_bias(e.t(w_rec).data, hidden_offset)), bias64="NULL")


def effective_bias(weights: np.ndarray, offset: int, bias: np.ndarray | None = None) -> np.ndarray:
    """bias + offset x each row's sum of weights, wrapped to int32 as the kernel's sums wrap: the dot products
    of the zero-point-offset operands, computed on the raw ones."""
    total = weights.astype(np.int64).sum(axis=1) * offset + (0 if bias is None else bias.astype(np.int64))
    return ((total + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def _mul(scale1: float, scale2: float, output_scale: float) -> tuple[int, int]:
    """CreateInterGateMulParams: the product of two scales over the output's, in double."""
    return quant.quantize_multiplier(float(np.float32(scale1)) * float(np.float32(scale2))
                                     / float(np.float32(output_scale)))


def cell_params(cell_scale: float, hidden_scale: float, cell_clip: float) -> dict:
    """The fields of mr_lstm_params that PrepareGateParametersInteger and CreateLstmCellStateInfo derive from
    the cell and hidden state scales and the cell clip."""
    fc, fc_shift = _mul(TABLE_SCALE, cell_scale, cell_scale)
    ic, ic_shift = _mul(TABLE_SCALE, TABLE_SCALE, cell_scale)
    hm, hm_shift = _mul(TABLE_SCALE, TABLE_SCALE, hidden_scale)
    power, _ = quant.checked_log2(cell_scale)  # TFLM takes the nearest power of two, exact or not
    left_shift, multiplier = 15 + power - 3, 0
    if left_shift < 0:
        left_shift, multiplier = -left_shift, 3
    clip = float(np.float32(cell_clip)) / float(np.float32(cell_scale))
    return dict(forget_cell_multiplier=fc, forget_cell_shift=fc_shift, input_cell_multiplier=ic,
                input_cell_shift=ic_shift, hidden_multiplier=hm, hidden_shift=hm_shift,
                use_cell_clip=int(np.float32(cell_clip) > 0),
                quantized_cell_clip=int(min(max(clip, -32768.0), 32767.0)),  # static_cast<int16_t>: toward 0
                cell_tanh=dict(input_zero_point=0, input_range_radius=0, input_multiplier=multiplier,
                               input_left_shift=left_shift))
