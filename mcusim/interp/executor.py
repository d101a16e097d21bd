"""Run a packed model over a batch of windows inside its planned arena.

Prepare (Python, once per model and mode): :func:`prepare` lays a
:class:`~mcusim.model.Model` and one of its memory plans out as a
:class:`Program` of flat integer arrays, as the firmware reads the file:

* ``layers``: one int64 row per layer, columns ``L_*`` (op, arena offsets of
  its tensors, shapes, attributes, zero points, clamps, parameter offsets).
  Activations are addressed by their **planned arena offsets**: every tensor
  is a view of the one arena at the offset the plan gives it, so a planning
  error shows up as wrong outputs;
* ``weights`` (int8) and ``params`` (int32): every stored weight, bias,
  multiplier and shift, the generator's too, back to back
  (:class:`~mcusim.interp.blobs.Blobs`);
* ``generated``: one int64 row per generated layer, columns ``G_*``: head,
  code, rows, and where its kernel lives in the arena: its ``KERNEL_CACHE``
  buffer in boot mode, the one ``KERNEL_SCRATCH`` buffer in lazy mode;
* PW kernels whose shape allows it (:func:`mcusim.interp.simd.packable`) are
  kept pair-interleaved for :func:`mcusim.interp.simd.pw_conv_packed`
  (``L_PACKED``/``G_PACKED``): stored ones packed here, generated ones
  synthesized straight into that layout, in the same planned bytes;
* ``fcs``: the generator's FULLY_CONNECTED table
  (:func:`mcusim.interp.synth.pack_generator`);
* ``info``: the scalars, columns ``I_*``.

Run (compiled): :func:`run_batch` copies each window to the input tensor,
runs :func:`run_layers` (lazy mode synthesizes a generated layer's kernel into
the scratch buffer just before the layer), and copies out the logits and the
class. Boot mode calls :func:`synthesize_all` once beforehand. The numeric
kernels are those of :mod:`mcusim.interp.ops` and :mod:`mcusim.interp.synth`;
this module only orchestrates. Compiled functions take the arrays one by one
(``*program.arrays``): Numba dispatches plain arrays fast, tuples slowly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mcusim.errors import FormatError
from mcusim.format.spec import Mode, Op, PlanKind
from mcusim.interp import ops, simd
from mcusim.interp.blobs import Blobs
from mcusim.interp.config import kernel, refresh_cache
from mcusim.interp.synth import F_OUT, FC_FIELDS, pack_generator, synthesize_rows
from mcusim.model import Layer, Model

# Columns of a layer row.
(L_OP, L_IN0, L_IN1, L_OUT, L_T_IN, L_C_IN, L_T_OUT, L_C_OUT, L_KERNEL, L_STRIDE,
 L_DILATION, L_PADDING, L_ACT_MIN, L_ACT_MAX, L_ZP_IN0, L_ZP_IN1, L_ZP_OUT, L_W, L_GEN,
 L_B, L_M, L_S, L_PACKED) = range(23)
LAYER_FIELDS = 23

# Columns of a generated-layer row.
G_HEAD, G_CODE, G_ROWS, G_KERNEL, G_PACKED = range(5)
GEN_FIELDS = 5

# Entries of ``info``.
(I_LAZY, I_WORKSPACE, I_WORKSPACE_SIZE, I_INPUT, I_OUTPUT, I_CLASS, I_N_MLP, I_D_CODE,
 I_EMB) = range(9)
INFO_FIELDS = 9

OP_CONV, OP_DW_CONV, OP_PW_CONV = int(Op.CONV), int(Op.DW_CONV), int(Op.PW_CONV)
OP_AVG_POOL, OP_MAX_POOL, OP_GLOBAL_AVG_POOL = (int(Op.AVG_POOL), int(Op.MAX_POOL),
                                                int(Op.GLOBAL_AVG_POOL))
OP_FC, OP_ADD, OP_ARGMAX = int(Op.FULLY_CONNECTED), int(Op.ADD), int(Op.ARGMAX)


class Program(NamedTuple):
    """A model laid out for one mode (see the module docstring)."""
    info: np.ndarray          # int64 [INFO_FIELDS]
    layers: np.ndarray        # int64 [n_layers, LAYER_FIELDS]
    generated: np.ndarray     # int64 [n_generated, GEN_FIELDS]
    fcs: np.ndarray           # int64 [n_fc, FC_FIELDS]
    weights: np.ndarray       # int8 blob
    params: np.ndarray        # int32 blob
    arena_size: int

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arguments the compiled functions take after the arena."""
        return self.info, self.layers, self.generated, self.fcs, self.weights, self.params


def prepare(model: Model, mode: Mode) -> Program:
    """Lay ``model`` out for ``mode``. The model is assumed valid (the reader
    checked it); a plan that lacks a buffer the layers need is a FormatError."""
    plan = model.plans[mode]
    entries = {(e.kind, e.ref): e for e in plan.entries}

    def at(kind: PlanKind, ref: int) -> int:
        try:
            return entries[(kind, ref)].offset
        except KeyError:
            raise FormatError(f"the {Mode(mode).name.lower()} memory plan has no "
                              f"{kind.name.lower()} buffer {ref}") from None

    blobs = Blobs()
    layers = np.stack([_layer_row(model, layer, at, blobs) for layer in model.layers])
    lazy = mode == Mode.LAZY
    info = np.zeros(INFO_FIELDS, dtype=np.int64)
    info[I_LAZY] = lazy
    info[I_INPUT] = at(PlanKind.ACTIVATION, model.input_tensor)
    info[I_OUTPUT] = at(PlanKind.ACTIVATION, model.output_tensor)
    info[I_CLASS] = at(PlanKind.ACTIVATION, model.class_tensor)
    generated = np.zeros((len(model.generated), GEN_FIELDS), dtype=np.int64)
    fcs = np.zeros((0, FC_FIELDS), dtype=np.int64)
    if model.generated:
        gen = pack_generator(model.generator, blobs)
        fcs = gen.fcs
        info[I_N_MLP], info[I_D_CODE], info[I_EMB] = gen.n_mlp, gen.d_code, gen.emb_offset
        info[I_WORKSPACE] = at(PlanKind.SYNTH_WORKSPACE, 0)
        info[I_WORKSPACE_SIZE] = entries[(PlanKind.SYNTH_WORKSPACE, 0)].size
        for g, entry in enumerate(model.generated):
            kernel_at = at(PlanKind.KERNEL_SCRATCH, 0) if lazy else at(PlanKind.KERNEL_CACHE, g)
            generated[g] = (entry.head, blobs.int8(entry.code),
                            model.layer_weight_shape(entry.layer)[0], kernel_at,
                            layers[entry.layer, L_PACKED])
    weights, params = blobs.finish()
    return Program(info, layers, generated, fcs, weights, params, plan.arena_size)


def _layer_row(model: Model, layer: Layer, at, blobs: Blobs) -> np.ndarray:
    """A layer's row of the layer table; its parameters appended to ``blobs``
    (offsets stay 0 where a layer has none)."""
    r = np.zeros(LAYER_FIELDS, dtype=np.int64)
    src, dst = model.tensors[layer.inputs[0]], model.tensors[layer.output]
    r[L_OP] = int(layer.op)
    r[L_IN0] = at(PlanKind.ACTIVATION, layer.inputs[0])
    r[L_OUT] = at(PlanKind.ACTIVATION, layer.output)
    r[L_T_IN], r[L_C_IN] = src.length, src.channels
    r[L_T_OUT], r[L_C_OUT] = dst.length, dst.channels
    r[L_KERNEL], r[L_STRIDE], r[L_DILATION] = layer.kernel, layer.stride, layer.dilation
    r[L_PADDING] = int(layer.padding)
    r[L_ACT_MIN], r[L_ACT_MAX] = layer.act_min, layer.act_max
    r[L_ZP_IN0], r[L_ZP_OUT] = src.zero_point, dst.zero_point
    r[L_IN1] = r[L_ZP_IN1] = -1
    if len(layer.inputs) > 1:
        r[L_IN1] = at(PlanKind.ACTIVATION, layer.inputs[1])
        r[L_ZP_IN1] = model.tensors[layer.inputs[1]].zero_point
    r[L_GEN] = -1 if layer.generated is None else layer.generated
    r[L_PACKED] = layer.op == Op.PW_CONV and simd.packable(src.channels, dst.channels)
    if layer.weights is not None:
        w = np.ascontiguousarray(layer.weights, dtype=np.int8)
        if r[L_PACKED]:
            packed = np.empty((src.channels // 2, 2 * dst.channels), dtype=np.int8)
            simd.pack_weights(w, packed)
            w = packed
        r[L_W] = blobs.int8(w)
    if layer.bias is not None:
        r[L_B] = blobs.int32(layer.bias)
    if layer.mult is not None:
        r[L_M] = blobs.int32(layer.mult)
        r[L_S] = blobs.int32(layer.shift)
    return r


# --------------------------------------------------------------------------
# Compiled orchestration
# --------------------------------------------------------------------------

@kernel
def _view(arena, offset, rows, cols):
    return arena[offset:offset + rows * cols].reshape(rows, cols)


@kernel
def synthesize(arena, info, generated, fcs, weights, params, g):
    """Synthesize generated layer ``g``'s kernel into its planned arena buffer."""
    row = generated[g]
    n_mlp, d_code = info[I_N_MLP], info[I_D_CODE]
    head = row[G_HEAD]
    fan_in = fcs[n_mlp + head, F_OUT]
    ws = info[I_WORKSPACE]
    synthesize_rows(fcs, weights, params, n_mlp, d_code, info[I_EMB], head,
                    weights[row[G_CODE]:row[G_CODE] + d_code],
                    arena[ws:ws + info[I_WORKSPACE_SIZE]],
                    _view(arena, row[G_KERNEL], row[G_ROWS], fan_in), row[G_PACKED])


@kernel
def synthesize_all(arena, info, layers, generated, fcs, weights, params):
    """Boot synthesis: every generated kernel into its KERNEL_CACHE buffer;
    returns how many."""
    for g in range(generated.shape[0]):
        synthesize(arena, info, generated, fcs, weights, params, g)
    return generated.shape[0]


@kernel
def run_layers(arena, info, layers, generated, fcs, weights, params, first, last):
    """Run layers ``first..last-1`` of one window in the arena; returns the
    number of kernels synthesized (lazy mode)."""
    synthesized = 0
    p = params
    for i in range(first, last):
        r = layers[i]
        op = r[L_OP]
        x = _view(arena, r[L_IN0], r[L_T_IN], r[L_C_IN])
        out = _view(arena, r[L_OUT], r[L_T_OUT], r[L_C_OUT])
        c_in, c_out = r[L_C_IN], r[L_C_OUT]
        bias = p[r[L_B]:r[L_B] + c_out]      # unused slices for ops without them
        mult = p[r[L_M]:r[L_M] + c_out]
        shift = p[r[L_S]:r[L_S] + c_out]
        if op == OP_CONV:
            k = r[L_KERNEL]
            w = weights[r[L_W]:r[L_W] + c_out * k * c_in].reshape(c_out, k, c_in)
            ops.conv(x, w, bias, mult, shift, r[L_ZP_IN0], r[L_ZP_OUT], r[L_ACT_MIN],
                     r[L_ACT_MAX], r[L_STRIDE], r[L_DILATION], r[L_PADDING], out)
        elif op == OP_DW_CONV:
            w = _view(weights, r[L_W], r[L_KERNEL], c_out)
            ops.dw_conv(x, w, bias, mult, shift, r[L_ZP_IN0], r[L_ZP_OUT], r[L_ACT_MIN],
                        r[L_ACT_MAX], r[L_STRIDE], r[L_DILATION], r[L_PADDING], out)
        elif op == OP_PW_CONV:
            g = r[L_GEN]
            at = r[L_W]
            if g >= 0:
                if info[I_LAZY]:
                    synthesize(arena, info, generated, fcs, weights, params, g)
                    synthesized += 1
                at = generated[g, G_KERNEL]
            source = weights if g < 0 else arena
            if r[L_PACKED]:
                simd.pw_conv_packed(x, _view(source, at, c_in // 2, 2 * c_out), bias, mult,
                                    shift, r[L_ZP_IN0], r[L_ZP_OUT], r[L_ACT_MIN],
                                    r[L_ACT_MAX], out)
            else:
                ops.pw_conv(x, _view(source, at, c_out, c_in), bias, mult, shift, r[L_ZP_IN0],
                            r[L_ZP_OUT], r[L_ACT_MIN], r[L_ACT_MAX], out)
        elif op == OP_FC:
            n_in = r[L_T_IN] * c_in
            w = _view(weights, r[L_W], c_out, n_in)
            ops.fully_connected(x.reshape(1, n_in), w, bias, mult[0], shift[0], r[L_ZP_IN0],
                                r[L_ZP_OUT], r[L_ACT_MIN], r[L_ACT_MAX], out)
        elif op == OP_AVG_POOL:
            ops.avg_pool(x, r[L_KERNEL], r[L_STRIDE], r[L_PADDING], r[L_ACT_MIN], r[L_ACT_MAX],
                         out)
        elif op == OP_MAX_POOL:
            ops.max_pool(x, r[L_KERNEL], r[L_STRIDE], r[L_PADDING], r[L_ACT_MIN], r[L_ACT_MAX],
                         out)
        elif op == OP_GLOBAL_AVG_POOL:
            ops.global_avg_pool(x, r[L_ACT_MIN], r[L_ACT_MAX], out)
        elif op == OP_ADD:
            b = _view(arena, r[L_IN1], r[L_T_IN], c_in)
            m, s = r[L_M], r[L_S]
            ops.add(x, b, r[L_ZP_IN0], p[m], p[s], r[L_ZP_IN1], p[m + 1], p[s + 1], r[L_ZP_OUT],
                    p[m + 2], p[s + 2], r[L_ACT_MIN], r[L_ACT_MAX], out)
        elif op == OP_ARGMAX:
            # an int32 tensor, little-endian in the arena like every other one
            arena[r[L_OUT]:r[L_OUT] + 4].view(np.int32)[0] = ops.argmax(x)
    return synthesized


@kernel
def run_batch(arena, info, layers, generated, fcs, weights, params, x, outputs, classes):
    """Run every window of ``x`` (int8 ``[windows, T, C]``); logits into
    ``outputs`` ``[windows, classes]``, class indices into ``classes``.
    Returns the number of kernels synthesized."""
    n_in = x.shape[1] * x.shape[2]
    n_out = outputs.shape[1]
    at_in, at_out, at_class = info[I_INPUT], info[I_OUTPUT], info[I_CLASS]
    synthesized = 0
    for w in range(x.shape[0]):
        arena[at_in:at_in + n_in] = x[w].reshape(n_in)
        synthesized += run_layers(arena, info, layers, generated, fcs, weights, params, 0,
                                  layers.shape[0])
        outputs[w] = arena[at_out:at_out + n_out]
        classes[w] = arena[at_class:at_class + 4].view(np.int32)[0]
    return synthesized


__all__ = ["Program", "prepare", "synthesize_all", "run_layers", "run_batch"]


refresh_cache()  # every kernel is defined by now
