"""Integer synthesis of generated pointwise kernels (HyperTinyPW's generator).

A generated PW layer ``l`` with kernel ``W_l`` int8 ``[Cout, Cin]`` is emitted
row by row. Row ``r`` comes from the input vector

    x_r = concat(code_l, E[r])        int8 [d_code + d_emb]

(``code_l`` is the layer's code, ``E`` the row-embedding table shared by every
layer; both are stored already quantized with the generator's input scale and
zero point). The micro-MLP ``gen.mlp`` (TFLite-style int8 FULLY_CONNECTED
layers) maps ``x_r`` to a latent vector in a basis shared by all layers, and the
head ``gen.heads[h]`` of the layer's fan-in projects the latent to the int8 row.
Stacking the ``Cout`` input vectors as the rows of one matrix makes the whole
synthesis a chain of :func:`mcusim.reference.ops.fully_connected` calls, i.e. a
TFLite graph of FULLY_CONNECTED ops. ``docs/synthesis.md`` gives the math and
the costs.

The int8 values are used as PW weights with per-output-channel scales
``head.out_scale * alpha_c`` (the layer's ``weight_scales``); those scales only
enter the layer's requantization, never the synthesis.
"""

from __future__ import annotations

import numpy as np

from mcusim.model import FC, Generator, Model
from mcusim.reference.ops import fully_connected


def synthesis_input(gen: Generator, code: np.ndarray, n_rows: int) -> np.ndarray:
    """The int8 ``[n_rows, d_code + d_emb]`` input matrix of one layer's synthesis:
    row ``r`` is the layer's code followed by row embedding ``E[r]``."""
    code = np.asarray(code, dtype=np.int8).reshape(1, gen.d_code)
    codes = np.broadcast_to(code, (n_rows, gen.d_code))
    return np.concatenate([codes, gen.embeddings[:n_rows]], axis=1).astype(np.int8)


def fc_chain(gen: Generator, head: int) -> list[FC]:
    """The FULLY_CONNECTED layers one synthesis runs: the micro-MLP, then the head."""
    return [*gen.mlp, gen.heads[head]]


def run_fc(fc: FC, x: np.ndarray) -> np.ndarray:
    """One generator layer on a batch of rows (int8 ``[rows, in]`` -> ``[rows, out]``)."""
    return fully_connected(x, fc.weights, fc.bias, fc.mult, fc.shift,
                           fc.in_zp, fc.out_zp, fc.act_min, fc.act_max)


def synthesize_layer(gen: Generator, code: np.ndarray, head: int, n_rows: int) -> np.ndarray:
    """The int8 ``[n_rows, fan_in]`` kernel the generator emits for one layer."""
    x = synthesis_input(gen, code, n_rows)
    for fc in fc_chain(gen, head):
        x = run_fc(fc, x)
    return x


def synthesize_model(model: Model) -> list[np.ndarray]:
    """Every generated kernel of a model, in ``model.generated`` order."""
    kernels = []
    for g in model.generated:
        n_rows, fan_in = model.layer_weight_shape(g.layer)
        kernel = synthesize_layer(model.generator, g.code, g.head, n_rows)
        assert kernel.shape == (n_rows, fan_in), "head fan-in does not match the layer"
        kernels.append(kernel)
    return kernels


def synthesis_tflite(gen: Generator, head: int, n_rows: int) -> bytes:
    """One layer's synthesis as a ``.tflite`` graph of FULLY_CONNECTED ops.

    Its input is the int8 ``[n_rows, d_code + d_emb]`` matrix of
    :func:`synthesis_input` (scale ``gen.in_scale``, zero point ``gen.in_zp``),
    its output the int8 ``[n_rows, fan_in]`` kernel. Needs the ``tflite-micro``
    package (the ``test`` extra).
    """
    from mcusim.tflite.builder import GraphBuilder

    g = GraphBuilder("mcusim generator synthesis")
    x = g.input("rows", shape=(n_rows, gen.d_code + gen.d_emb), scale=gen.in_scale,
                zero_point=gen.in_zp)
    chain = fc_chain(gen, head)
    for k, fc in enumerate(chain):
        name = "head" if k == len(chain) - 1 else f"mlp{k}"
        act = _fused_activation(fc)
        x = g.fully_connected(name, x, fc.weights, fc.bias, fc.w_scale, fc.out_scale,
                              fc.out_zp, activation=act)
    g.output(x)
    return g.build()


def _fused_activation(fc: FC) -> str:
    """The TFLite fused activation whose clamp range equals the FC's act_min/act_max."""
    from mcusim.reference.quant import activation_range

    for act in ("none", "relu", "relu6"):
        try:
            if activation_range(act, fc.out_scale, fc.out_zp) == (fc.act_min, fc.act_max):
                return act
        except ValueError:
            continue
    raise ValueError(f"clamp [{fc.act_min}, {fc.act_max}] is no TFLite fused activation")


def synthesis_macs(gen: Generator, head: int, n_rows: int) -> int:
    """Multiply-accumulates to synthesize one ``[n_rows, fan_in]`` kernel.

    Every FC layer costs ``in * out`` MACs per row. (A firmware may compute the
    code's share of the first layer once per layer instead of once per row;
    that saves ``(n_rows - 1) * d_code * hidden`` MACs and does not change a
    single output byte. This count is the plain per-row one.)
    """
    return n_rows * sum(fc.in_features * fc.out_features for fc in fc_chain(gen, head))


def model_synthesis_macs(model: Model) -> list[int]:
    """Synthesis MACs of every generated layer, in ``model.generated`` order."""
    return [synthesis_macs(model.generator, g.head, model.layer_weight_shape(g.layer)[0])
            for g in model.generated]


__all__ = ["synthesis_input", "fc_chain", "run_fc", "synthesize_layer", "synthesize_model",
           "synthesis_tflite",
           "synthesis_macs", "model_synthesis_macs"]
