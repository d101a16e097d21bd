"""Generator synthesis, compiled: the twin of :mod:`mcusim.reference.synth`.

:func:`synthesize_layer` and :func:`synthesize_model` have the reference's
signatures and results. Underneath, :func:`pack_generator` lays the generator
out as a table of FULLY_CONNECTED descriptors over flat blobs
(:class:`~mcusim.interp.blobs.Blobs`), and :func:`synthesize_rows` emits a
kernel row by row the way the firmware does, inside a workspace of the
planned size (:func:`mcusim.plan.synth_workspace_size`):

* the int32 accumulators of the micro-MLP's first layer over the layer's code
  are computed once per layer (the code is the same in every row), with the
  bias folded in; each row then adds its row embedding's share. int32
  addition wraps, so the split changes no output byte;
* the hidden activations of one row ping-pong between two int8 buffers;
* the head writes the row straight into the kernel's destination.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import NamedTuple

import numpy as np

from mcusim.interp.blobs import Blobs
from mcusim.interp.config import kernel
from mcusim.interp.ops import fully_connected
from mcusim.interp.quant import requantize
from mcusim.interp.simd import pack_row
from mcusim.model import Generator, Model
from mcusim.plan import synth_workspace_size

# Columns of a FULLY_CONNECTED descriptor (one row per FC: MLP layers, then heads).
F_IN, F_OUT, F_W, F_B, F_MULT, F_SHIFT, F_IN_ZP, F_OUT_ZP, F_MIN, F_MAX = range(10)
FC_FIELDS = 10


class GeneratorLayout(NamedTuple):
    """Where a packed generator is: its FC table and the scalars that go with it.

    Offsets in ``fcs`` index the int8 and int32 blobs it was packed into. The
    first MLP layer's matrix is stored split: its code columns ``[hidden,
    d_code]``, then its embedding columns ``[hidden, d_emb]``, each row-major.
    """
    fcs: np.ndarray          # int64 [n_mlp + n_heads, FC_FIELDS]
    n_mlp: int
    d_code: int
    emb_offset: int          # row embeddings [n_rows, d_emb] in the int8 blob


def pack_generator(gen: Generator, blobs: Blobs) -> GeneratorLayout:
    """Append a generator's arrays to ``blobs``; its layout."""
    rows = []
    for i, fc in enumerate([*gen.mlp, *gen.heads]):
        w = np.asarray(fc.weights, dtype=np.int8)
        if i == 0:
            w = np.concatenate([w[:, :gen.d_code].ravel(), w[:, gen.d_code:].ravel()])
        rows.append([fc.in_features, fc.out_features, blobs.int8(w), blobs.int32(fc.bias),
                     fc.mult, fc.shift, fc.in_zp, fc.out_zp, fc.act_min, fc.act_max])
    fcs = np.array(rows, dtype=np.int64).reshape(-1, FC_FIELDS)
    return GeneratorLayout(fcs, len(gen.mlp), gen.d_code, blobs.int8(gen.embeddings))


def workspace_size(gen: Generator) -> int:
    """Bytes :func:`synthesize_rows` needs (the planned SYNTH_WORKSPACE size)."""
    return synth_workspace_size(SimpleNamespace(generator=gen))


@kernel
def _fc(fcs, weights, params, index, x, out):
    """FULLY_CONNECTED layer ``index`` of the table on one row ``x`` -> ``out``."""
    d = fcs[index]
    n_in, n_out = d[F_IN], d[F_OUT]
    w = weights[d[F_W]:d[F_W] + n_in * n_out].reshape(n_out, n_in)
    fully_connected(x.reshape(1, n_in), w, params[d[F_B]:d[F_B] + n_out], d[F_MULT],
                    d[F_SHIFT], d[F_IN_ZP], d[F_OUT_ZP], d[F_MIN], d[F_MAX],
                    out.reshape(1, n_out))


@kernel
def synthesize_rows(fcs, weights, params, n_mlp, d_code, emb_offset, head, code, workspace,
                    out, packed):
    """Emit the kernel ``out`` int8 ``[n_rows, fan_in]`` of one generated layer.

    ``workspace`` is int8 of at least ``synth_workspace_size`` bytes, 4-byte
    aligned: input row (unused: the first layer reads the code and the
    embedding row in place), two ping-pong buffers, the first layer's int32
    partial sums. With ``packed``, the same bytes are laid out for
    :func:`mcusim.interp.simd.pw_conv_packed` (``[fan_in / 2, 2 * n_rows]``).
    """
    d0 = fcs[0]
    hidden, d_in = d0[F_OUT], d0[F_IN]
    d_emb = d_in - d_code
    widest = 0
    for i in range(n_mlp):
        widest = max(widest, fcs[i, F_OUT])
    in_bytes = (d_in + 3) // 4 * 4
    buf_bytes = (widest + 3) // 4 * 4
    ping = workspace[in_bytes:in_bytes + buf_bytes]
    pong = workspace[in_bytes + buf_bytes:in_bytes + 2 * buf_bytes]
    part_at = in_bytes + 2 * buf_bytes
    part = workspace[part_at:part_at + 4 * hidden].view(np.int32)

    # First layer, code share, once per layer: part = bias + W_code . (code - zp)
    in_zp = d0[F_IN_ZP]
    w_code = weights[d0[F_W]:d0[F_W] + hidden * d_code].reshape(hidden, d_code)
    w_emb = weights[d0[F_W] + hidden * d_code:d0[F_W] + hidden * d_in].reshape(hidden, d_emb)
    for j in range(hidden):
        s = np.int32(params[d0[F_B] + j])
        for i in range(d_code):
            s = np.int32(s + np.int32(np.int32(code[i]) - in_zp) * np.int32(w_code[j, i]))
        part[j] = s

    n_rows = out.shape[0]
    embeddings = weights[emb_offset:emb_offset + n_rows * d_emb].reshape(n_rows, d_emb)
    head_in = fcs[n_mlp + head, F_IN]
    fan_in = out.shape[1]
    row = np.empty(fan_in, np.int8)
    flat = out.reshape(out.size)
    for r in range(n_rows):
        emb = embeddings[r]
        h = ping[:hidden]     # first layer, embedding share
        for j in range(hidden):
            s = part[j]
            wrow = w_emb[j]
            for i in range(d_emb):
                s = np.int32(s + np.int32(np.int32(emb[i]) - in_zp) * np.int32(wrow[i]))
            h[j] = requantize(s, d0[F_MULT], d0[F_SHIFT], d0[F_OUT_ZP], d0[F_MIN], d0[F_MAX])
        src, dst = ping, pong  # the rest of the micro-MLP
        for i in range(1, n_mlp):
            _fc(fcs, weights, params, i, src[:fcs[i, F_IN]], dst[:fcs[i, F_OUT]])
            src, dst = dst, src
        if packed:
            _fc(fcs, weights, params, n_mlp + head, src[:head_in], row)
            pack_row(row, r, n_rows, flat)
        else:
            _fc(fcs, weights, params, n_mlp + head, src[:head_in], out[r])


def synthesize_layer(gen: Generator, code: np.ndarray, head: int, n_rows: int) -> np.ndarray:
    """The int8 ``[n_rows, fan_in]`` kernel the generator emits for one layer
    (same result as :func:`mcusim.reference.synth.synthesize_layer`)."""
    return _synthesize(gen, [(code, head, n_rows)])[0]


def synthesize_model(model: Model) -> list[np.ndarray]:
    """Every generated kernel of a model, in ``model.generated`` order."""
    return _synthesize(model.generator,
                       [(g.code, g.head, model.layer_weight_shape(g.layer)[0])
                        for g in model.generated])


def _synthesize(gen: Generator, jobs) -> list[np.ndarray]:
    blobs = Blobs()
    lay = pack_generator(gen, blobs)
    weights, params = blobs.finish()
    workspace = np.zeros(workspace_size(gen), dtype=np.int8)
    kernels = []
    for code, head, n_rows in jobs:
        out = np.empty((n_rows, gen.heads[head].out_features), dtype=np.int8)
        synthesize_rows(lay.fcs, weights, params, lay.n_mlp, lay.d_code, lay.emb_offset, head,
                        np.ascontiguousarray(code, dtype=np.int8), workspace, out, False)
        kernels.append(out)
    return kernels


__all__ = ["GeneratorLayout", "pack_generator", "workspace_size", "synthesize_rows",
           "synthesize_layer", "synthesize_model"]
