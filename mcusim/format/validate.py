"""The semantic rules of a model file: graph, shapes, requantization, generator, plans.

Called by the reader once the records are decoded; every function raises the
one :class:`~mcusim.errors.FormatError` of the first broken rule, with the
file offset of the record at fault (docs/format.md, "Validation rules").
"""

from __future__ import annotations

import numpy as np

from ..plan import generated_kernel_size, plan_conflicts, synth_workspace_size, tensor_lifetimes
from .layout import Locator, fail, hexoff
from .spec import MODE_NAMES, DType, Mode, Op, Padding, PlanKind, SectionKind

SHIFT_MIN, SHIFT_MAX = -31, 30
_CONVS = (Op.CONV, Op.DW_CONV, Op.PW_CONV)
_POOLS = (Op.AVG_POOL, Op.MAX_POOL)


def expected_n_q(op: Op, out_channels: int) -> int:
    """Requantization entries of a layer: per channel for convolutions, one for FC,
    three (input a, input b, output) for ADD, none for pools and ARGMAX."""
    if op in _CONVS:
        return out_channels
    return {Op.FULLY_CONNECTED: 1, Op.ADD: 3}.get(op, 0)


def conv_out_length(length: int, kernel: int, stride: int, dilation: int, padding: Padding) -> int:
    """TFLite's output length: SAME -> ceil(T / s); VALID -> ceil((T - (K-1)d) / s), 0 if
    the dilated kernel does not fit."""
    if padding == Padding.SAME:
        return -(-length // stride)
    span = length - (kernel - 1) * dilation
    return -(-span // stride) if span > 0 else 0


def check_requant(mult: np.ndarray, shift: np.ndarray, what: str, at: int, sec: str) -> None:
    """Multipliers are non-negative int32, shifts within [-31, 30]."""
    neg = np.flatnonzero(np.asarray(mult) < 0)
    if neg.size:
        k = int(neg[0])
        fail(f"{what}: multiplier {k} is negative ({int(mult[k])})", at, sec)
    bad = np.flatnonzero((np.asarray(shift) < SHIFT_MIN) | (np.asarray(shift) > SHIFT_MAX))
    if bad.size:
        k = int(bad[0])
        fail(f"{what}: shift {k} is {int(shift[k])}, outside [{SHIFT_MIN}, {SHIFT_MAX}]", at, sec)


def _shape(t) -> str:
    return f"[{t.length}, {t.channels}]"


def _same_quant(a, b) -> bool:
    return np.float32(a.scale) == np.float32(b.scale) and a.zero_point == b.zero_point


def _check_layer_shape(model, i: int, what: str, at: int) -> None:
    layer = model.layers[i]
    src, dst = model.tensors[layer.inputs[0]], model.tensors[layer.output]
    op = layer.op
    name = op.name.lower()

    def bad(message: str) -> None:
        fail(f"{what}: {message}", at, "layers")

    if op == Op.ARGMAX and dst.dtype != DType.INT32:
        bad(f"argmax outputs an int32 tensor, output tensor {layer.output} is "
            f"{dst.dtype.name.lower()}")
    if op != Op.ARGMAX and dst.dtype != DType.INT8:
        bad(f"output tensor {layer.output} is {dst.dtype.name.lower()}; only argmax outputs int32")
    if op == Op.PW_CONV and (layer.kernel, layer.stride, layer.dilation) != (1, 1, 1):
        bad(f"a pointwise layer has kernel, stride and dilation 1, not {layer.kernel}, "
            f"{layer.stride}, {layer.dilation}")
    if op in _POOLS and layer.dilation != 1:
        bad(f"pools have dilation 1, not {layer.dilation}")
    if op in (Op.DW_CONV, *_POOLS, Op.GLOBAL_AVG_POOL) and dst.channels != src.channels:
        bad(f"{name} keeps the channel count, but input tensor {layer.inputs[0]} has "
            f"{src.channels} channels and output tensor {layer.output} has {dst.channels}")
    if op in (*_CONVS, *_POOLS):
        want = conv_out_length(src.length, layer.kernel, layer.stride, layer.dilation, layer.padding)
        if want < 1:
            bad(f"kernel {layer.kernel} with dilation {layer.dilation} does not fit the input "
                f"length {src.length} ({layer.padding.name.lower()} padding)")
        if dst.length != want:
            bad(f"output length {dst.length} is inconsistent with input length {src.length}, "
                f"kernel {layer.kernel}, stride {layer.stride}, dilation {layer.dilation}, "
                f"{layer.padding.name.lower()} padding (expected {want})")
    if op in (*_POOLS, Op.GLOBAL_AVG_POOL) and not _same_quant(src, dst):
        bad(f"{name} does not requantize: input and output need the same scale and zero point")
    if op == Op.GLOBAL_AVG_POOL and dst.length != 1:
        bad(f"global_avg_pool outputs one time step, not {dst.length}")
    if op == Op.FULLY_CONNECTED and dst.length != src.length:
        bad(f"fully_connected keeps the length: input {_shape(src)}, output {_shape(dst)}")
    if op == Op.ADD:
        other = model.tensors[layer.inputs[1]]
        if not (src.length == other.length == dst.length
                and src.channels == other.channels == dst.channels):
            bad(f"add needs equal shapes: inputs {_shape(src)} and {_shape(other)}, "
                f"output {_shape(dst)}")
    if op == Op.ARGMAX:
        if src.length != 1:
            bad(f"argmax takes one time step, input tensor {layer.inputs[0]} is {_shape(src)}")
        if (dst.length, dst.channels) != (1, 1):
            bad(f"argmax outputs an int32 tensor of shape [1, 1], not {_shape(dst)}")


def check_graph(model, loc: Locator) -> None:
    """Layers in execution order: each reads tensors already produced, writes a new one;
    every tensor is the input or some layer's output; shapes fit each op."""
    info_at = loc.by_kind[SectionKind.MODEL_INFO].offset
    for key in ("input_tensor", "output_tensor"):
        t = getattr(model, key)
        if model.tensors[t].dtype != DType.INT8:
            fail(f"model info at offset {hexoff(info_at)}: {key} {t} must be int8", info_at,
                 "model_info")
    if model.tensors[model.class_tensor].dtype != DType.INT32:
        fail(f"model info at offset {hexoff(info_at)}: class_tensor {model.class_tensor} must be "
             f"int32 (the output of an argmax layer)", info_at, "model_info")
    producer: dict[int, int] = {model.input_tensor: -1}
    for i, layer in enumerate(model.layers):
        at = loc.record(SectionKind.LAYERS, i)
        what = f"layer {i} '{layer.name}' at offset {hexoff(at)}"
        for t in layer.inputs:
            if t not in producer:
                fail(f"{what}: reads tensor {t} before any layer produces it", at, "layers")
            if model.tensors[t].dtype != DType.INT8:
                fail(f"{what}: input tensor {t} is int32; layer inputs are int8", at, "layers")
        out = layer.output
        if out in producer:
            by = "is the model input" if producer[out] < 0 else f"is already layer {producer[out]}'s output"
            fail(f"{what}: output tensor {out} {by}", at, "layers")
        producer[out] = i
        _check_layer_shape(model, i, what, at)
    for t in range(len(model.tensors)):
        if t not in producer:
            at = loc.record(SectionKind.TENSORS, t)
            fail(f"tensor {t} at offset {hexoff(at)} is neither the model input nor any layer's "
                 f"output", at, "tensors")


def check_generator_chain(gen, loc: Locator) -> None:
    """The micro-MLP is a chain (code ++ embedding -> ... -> latent); heads read the latent
    and write kernel rows with zero point 0."""
    for i, fc in enumerate(gen.mlp):
        at = loc.record(SectionKind.GENERATOR, i)
        what = f"generator layer {i} at offset {hexoff(at)}"
        want_in = gen.d_code + gen.d_emb if i == 0 else gen.mlp[i - 1].out_features
        src = "d_code + d_emb" if i == 0 else f"generator layer {i - 1}'s out_features"
        if fc.in_features != want_in:
            fail(f"{what}: in_features {fc.in_features} does not match {src} = {want_in}",
                 at, "generator")
        want_zp = gen.in_zp if i == 0 else gen.mlp[i - 1].out_zp
        if fc.in_zp != want_zp:
            fail(f"{what}: in_zp {fc.in_zp} does not match the zero point {want_zp} of its input",
                 at, "generator")
    latent = gen.mlp[-1]
    for h, head in enumerate(gen.heads):
        at = loc.record(SectionKind.HEADS, h)
        what = f"head {h} at offset {hexoff(at)}"
        if head.in_features != latent.out_features:
            fail(f"{what}: in_features {head.in_features} does not match the latent size "
                 f"{latent.out_features}", at, "heads")
        if head.in_zp != latent.out_zp:
            fail(f"{what}: in_zp {head.in_zp} does not match the latent zero point {latent.out_zp}",
                 at, "heads")
        if head.out_zp != 0:
            fail(f"{what}: out_zp {head.out_zp}, heads write kernel rows with zero point 0",
                 at, "heads")


def check_generated(model, loc: Locator) -> None:
    """Code entries and generated layers name each other; heads fit the layers' fan-in;
    there is an embedding row for every output channel."""
    gen = model.generator
    for g, entry in enumerate(model.generated):
        at = loc.record(SectionKind.CODES, g)
        layer = model.layers[entry.layer]
        if layer.generated != g:
            fail(f"code entry {g} at offset {hexoff(at)}: layer {entry.layer} '{layer.name}' is "
                 f"not generated layer {g}", at, "codes")
        fan_in = model.tensors[layer.inputs[0]].channels
        cout = model.tensors[layer.output].channels
        head = gen.heads[entry.head]
        if head.out_features != fan_in:
            fail(f"code entry {g} at offset {hexoff(at)}: head {entry.head} makes rows of "
                 f"{head.out_features}, but layer {entry.layer} '{layer.name}' has fan-in "
                 f"{fan_in}", at, "codes")
        if gen.embeddings.shape[0] < cout:
            fail(f"code entry {g} at offset {hexoff(at)}: layer {entry.layer} '{layer.name}' has "
                 f"{cout} output channels but the generator has {gen.embeddings.shape[0]} "
                 f"embedding rows", at, "codes")
    for i, layer in enumerate(model.layers):
        if layer.is_generated and model.generated[layer.generated].layer != i:
            at = loc.record(SectionKind.LAYERS, i)
            fail(f"layer {i} '{layer.name}' at offset {hexoff(at)}: generated index "
                 f"{layer.generated}, but code entry {layer.generated} names layer "
                 f"{model.generated[layer.generated].layer}", at, "layers")


def check_plan(model, mode: Mode, plan, loc: Locator, entries_at: int) -> None:
    """Every activation has one buffer of its size, live over its uses; the mode's kernel
    buffers are there and large enough; no two buffers overlap while live; all fit."""
    name = MODE_NAMES[mode]
    mode_at = loc.record(SectionKind.PLAN, int(mode))
    lifetimes = tensor_lifetimes(model)
    n_gen = len(model.generated)
    steps = [1 + g.layer for g in model.generated]
    seen: set[tuple[PlanKind, int]] = set()
    for j, e in enumerate(plan.entries):
        at = entries_at + 16 * j
        what = f"{name} plan entry {j} at offset {hexoff(at)} ({e.kind.name.lower()} {e.ref})"

        def bad(message: str) -> None:
            fail(f"{what}: {message}", at, "plan")

        if (e.kind, e.ref) in seen:
            bad("a second buffer for the same thing")
        seen.add((e.kind, e.ref))
        if e.kind == PlanKind.ACTIVATION:
            if e.ref >= len(model.tensors):
                bad(f"tensor {e.ref} is out of range (the model has {len(model.tensors)} tensors)")
            need, (lo, hi) = model.tensors[e.ref].nbytes, lifetimes[e.ref]
        elif e.kind == PlanKind.KERNEL_CACHE:
            if mode != Mode.BOOT:
                bad("kernel caches belong to the boot plan")
            if e.ref >= n_gen:
                bad(f"generated layer {e.ref} is out of range (the model has {n_gen})")
            # the cache is read by every window: it must outlive the last layer
            need, lo, hi = generated_kernel_size(model, e.ref), 0, len(model.layers)
        else:
            if e.kind == PlanKind.KERNEL_SCRATCH and mode != Mode.LAZY:
                bad("the kernel scratch belongs to the lazy plan")
            if e.ref != 0:
                bad(f"ref must be 0, not {e.ref}")
            if not n_gen:
                bad("the model has no generated layers")
            if e.kind == PlanKind.KERNEL_SCRATCH:
                need = max(generated_kernel_size(model, g) for g in range(n_gen))
            else:
                need = synth_workspace_size(model)
            lo, hi = (0, 0) if mode == Mode.BOOT else (min(steps), max(steps))
        if e.kind == PlanKind.ACTIVATION and e.size != need:
            bad(f"size {e.size}, the tensor holds {need} bytes")
        if e.size < need:
            bad(f"size {e.size}, needs at least {need} bytes")
        if e.first > lo or e.last < hi:
            bad(f"live {e.first}..{e.last}, must cover time steps {lo}..{hi}")
    missing = [f"activation tensor {t}" for t in sorted(lifetimes)
               if (PlanKind.ACTIVATION, t) not in seen]
    if n_gen and mode == Mode.BOOT:
        missing += [f"kernel cache {g}" for g in range(n_gen) if (PlanKind.KERNEL_CACHE, g) not in seen]
    if n_gen and mode == Mode.LAZY and (PlanKind.KERNEL_SCRATCH, 0) not in seen:
        missing.append("kernel scratch")
    if n_gen and (PlanKind.SYNTH_WORKSPACE, 0) not in seen:
        missing.append("synthesis workspace")
    if missing:
        fail(f"{name} plan at offset {hexoff(mode_at)}: no buffer for {', '.join(missing)}",
             mode_at, "plan")
    problems = plan_conflicts(plan)
    if problems:
        fail(f"{name} plan at offset {hexoff(mode_at)}: {problems[0]}", mode_at, "plan")


__all__ = ["expected_n_q", "conv_out_length", "check_requant", "check_graph",
           "check_generator_chain", "check_generated", "check_plan"]
