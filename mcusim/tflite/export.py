"""Export a packed model, or one layer's synthesis, as a standard int8 ``.tflite``.

:func:`export_model` writes the network with every generated PW kernel
materialized (synthesized by the interpreter) as an ordinary CONV_2D 1x1, so
TFLite Micro and any TFLite tool can run it:

==================  ==========================================
mcusim op           TFLite builtin
==================  ==========================================
CONV, PW_CONV       CONV_2D (1 x K, per-channel int8 weights)
DW_CONV             DEPTHWISE_CONV_2D (depth multiplier 1)
AVG_POOL, MAX_POOL  AVERAGE_POOL_2D, MAX_POOL_2D
GLOBAL_AVG_POOL     AVERAGE_POOL_2D with window = stride = T
FULLY_CONNECTED     FULLY_CONNECTED (per-tensor)
ADD                 ADD
ARGMAX              ARG_MAX (int32)
==================  ==========================================

The graph's outputs are the logits ``[1, classes]`` and the class ``[1]``.
No RESHAPE is needed: FULLY_CONNECTED reads any ``[.., C]`` input as rows.

A TFLite runtime does not read mcusim's fixed-point multipliers: it derives
them from the float32 scales in the file. Export writes the model's own float
scales (tensor scales, per-channel ``weight_scales``) and checks, layer by
layer, that TFLite's derivation (:mod:`mcusim.reference.quant`) gives back
exactly the stored multipliers, shifts and clamps; if not, it refuses with an
:class:`~mcusim.errors.ExportError` rather than write a file that computes
something else.

:func:`export_synthesis` writes the synthesis of one generated layer as a chain
of FULLY_CONNECTED ops whose input is the layer's ``[Cout, d_code + d_emb]``
matrix (:func:`mcusim.reference.synth.synthesis_input`) and whose output is
its kernel.
"""

from __future__ import annotations

import numpy as np

from mcusim.errors import ExportError
from mcusim.format.spec import Act, Op, Padding
from mcusim.model import FC, Layer, Model
from mcusim.reference import quant
from mcusim.reference.synth import fc_chain, synthesis_input

_PADDING = {Padding.SAME: "same", Padding.VALID: "valid"}
_ACT = {Act.NONE: "none", Act.RELU: "relu", Act.RELU6: "relu6"}


def _builder():
    try:
        from mcusim.tflite.builder import GraphBuilder
    except ImportError:
        raise ExportError("TFLite export needs the 'tflite-micro' package: "
                          "pip install tflite-micro") from None
    return GraphBuilder


def _check(what: str, stored, derived) -> None:
    stored = [int(v) for v in np.atleast_1d(stored)]
    derived = [int(v) for v in np.atleast_1d(derived)]
    if stored != derived:
        raise ExportError(f"{what}: TFLite would derive {derived[:4]}"
                          f"{'...' if len(derived) > 4 else ''} from the stored float scales, "
                          f"the model stores {stored[:4]}{'...' if len(stored) > 4 else ''}")


def _activation(what: str, act_min: int, act_max: int, scale: float, zero_point: int,
                preferred: str | None = None) -> str:
    """The fused activation whose TFLite clamp range is exactly (act_min, act_max)."""
    names = ([preferred] if preferred else []) + list(quant.ACTIVATIONS)
    for name in names:
        try:
            if quant.activation_range(name, scale, zero_point) == (act_min, act_max):
                return name
        except ValueError:
            continue
    raise ExportError(f"{what}: the clamp [{act_min}, {act_max}] is no TFLite fused "
                      f"activation (none, relu, relu6) at scale {scale} zero point {zero_point}")


def export_model(model: Model, kernels: list[np.ndarray] | None = None,
                 description: str | None = None) -> bytes:
    """The model as ``.tflite`` bytes. ``kernels`` are the generated kernels in
    ``model.generated`` order (synthesized by the interpreter when omitted)."""
    GraphBuilder = _builder()
    if kernels is None and model.generated:
        from mcusim.interp.synth import synthesize_model
        kernels = synthesize_model(model)
    g = GraphBuilder(description or f"mcusim {model.name}")
    tensors = model.tensors
    names: dict[int, str] = {}
    src = tensors[model.input_tensor]
    names[model.input_tensor] = g.input("input", length=src.length, channels=src.channels,
                                        scale=src.scale, zero_point=src.zero_point)
    for i, layer in enumerate(model.layers):
        names[layer.output] = _export_layer(g, model, i, layer, names, kernels)
    g.output(names[model.output_tensor])
    g.output(names[model.class_tensor])
    return g.build()


def _export_layer(g, model: Model, i: int, layer: Layer, names: dict[int, str],
                  kernels) -> str:
    tensors = model.tensors
    what = f"layer {i} ({layer.name})"
    name = f"{i:03d}.{layer.name}"
    x = names[layer.inputs[0]]
    src, dst = tensors[layer.inputs[0]], tensors[layer.output]
    op = layer.op
    if op in (Op.CONV, Op.DW_CONV, Op.PW_CONV, Op.FULLY_CONNECTED, Op.ADD):
        act = _activation(what, layer.act_min, layer.act_max, dst.scale, dst.zero_point,
                          _ACT[layer.act])
    if op in (Op.CONV, Op.DW_CONV, Op.PW_CONV):
        w = kernels[layer.generated] if layer.is_generated else layer.weights
        _check(f"{what} multipliers", layer.mult,
               quant.conv_requant(src.scale, layer.weight_scales, dst.scale)[0])
        _check(f"{what} shifts", layer.shift,
               quant.conv_requant(src.scale, layer.weight_scales, dst.scale)[1])
        args = (name, x, w, layer.bias, layer.weight_scales, dst.scale, dst.zero_point)
        if op == Op.PW_CONV:
            return g.pointwise_conv1d(*args, activation=act)
        build = g.conv1d if op == Op.CONV else g.depthwise_conv1d
        return build(*args, stride=layer.stride, dilation=layer.dilation,
                     padding=_PADDING[layer.padding], activation=act)
    if op == Op.FULLY_CONNECTED:
        w_scale = float(layer.weight_scales[0])
        _check(f"{what} multiplier", [layer.mult[0], layer.shift[0]],
               quant.fc_requant(src.scale, w_scale, dst.scale))
        return g.fully_connected(name, x, layer.weights, layer.bias, w_scale, dst.scale,
                                 dst.zero_point, activation=act)
    if op == Op.ADD:
        other = tensors[layer.inputs[1]]
        r = quant.add_requant(src.scale, other.scale, dst.scale)
        _check(f"{what} requantization",
               np.concatenate([layer.mult, layer.shift]),
               [r.a_mult, r.b_mult, r.out_mult, r.a_shift, r.b_shift, r.out_shift])
        return g.add(name, x, names[layer.inputs[1]], dst.scale, dst.zero_point, activation=act)
    if op in (Op.AVG_POOL, Op.MAX_POOL, Op.GLOBAL_AVG_POOL):
        if (dst.scale, dst.zero_point) != (src.scale, src.zero_point):
            raise ExportError(f"{what}: TFLite pooling needs the output quantized like the "
                              f"input")
        act = _activation(what, layer.act_min, layer.act_max, dst.scale, dst.zero_point)
        if op == Op.GLOBAL_AVG_POOL:
            return g.global_avg_pool(name, x, activation=act)
        build = g.avg_pool1d if op == Op.AVG_POOL else g.max_pool1d
        return build(name, x, layer.kernel, layer.stride, _PADDING[layer.padding],
                     activation=act)
    if op == Op.ARGMAX:
        return g.argmax(name, x)
    raise ExportError(f"{what}: op {op.name} has no TFLite export")


def _export_fc(g, fc: FC, x: str, in_scale: float, name: str) -> str:
    _check(f"{name} multiplier", [fc.mult, fc.shift],
           quant.fc_requant(in_scale, fc.w_scale, fc.out_scale))
    act = _activation(name, fc.act_min, fc.act_max, fc.out_scale, fc.out_zp)
    return g.fully_connected(name, x, fc.weights, fc.bias, fc.w_scale, fc.out_scale, fc.out_zp,
                             activation=act)


def export_synthesis(model: Model, layer_index: int) -> tuple[bytes, np.ndarray]:
    """The synthesis of generated layer ``layer_index`` as ``.tflite`` bytes,
    and the int8 input matrix to feed it (its output is the layer's kernel)."""
    GraphBuilder = _builder()
    generated = {entry.layer: entry for entry in model.generated}
    entry = generated.get(layer_index)
    if entry is None:
        listed = ", ".join(str(i) for i in sorted(generated)) or "none"
        raise ExportError(f"layer {layer_index} is not a generated PW layer "
                          f"(generated layers: {listed})")
    gen = model.generator
    n_rows = model.layer_weight_shape(layer_index)[0]
    x_in = synthesis_input(gen, entry.code, n_rows)
    g = GraphBuilder(f"mcusim {model.name} synthesis of layer {layer_index}")
    x = g.input("rows", shape=x_in.shape, scale=gen.in_scale, zero_point=gen.in_zp)
    scale = gen.in_scale
    chain = fc_chain(gen, entry.head)
    for k, fc in enumerate(chain):
        name = f"head{entry.head}" if k == len(chain) - 1 else f"mlp{k}"
        x = _export_fc(g, fc, x, scale, name)
        scale = fc.out_scale
    g.output(x)
    return g.build(), x_in


__all__ = ["export_model", "export_synthesis"]
