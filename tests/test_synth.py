"""Generator synthesis: the reference chain of FULLY_CONNECTED kernels equals the
same graph run by TFLite Micro, byte for byte (tiny and ecg-32k's generated
layers, and hypothesis-drawn generators with edge values)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _examples_cache import example
from mcusim.model import FC, Generator
from mcusim.reference import quant
from mcusim.reference.synth import (fc_chain, model_synthesis_macs, synthesis_input,
                                    synthesis_macs, synthesis_tflite, synthesize_layer,
                                    synthesize_model)

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                              reason="needs the tflite-micro package (test extra)")


def run_tflm(gen: Generator, code: np.ndarray, head: int, n_rows: int) -> np.ndarray:
    interpreter = runtime.Interpreter.from_bytes(synthesis_tflite(gen, head, n_rows))
    interpreter.set_input(synthesis_input(gen, code, n_rows), 0)
    interpreter.invoke()
    return interpreter.get_output(0)


def assert_same(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    bad = np.argwhere(actual != expected)
    if bad.size:
        pos = tuple(int(i) for i in bad[0])
        raise AssertionError(f"{what}: {len(bad)} mismatches; first at {pos}: "
                             f"reference {actual[pos]}, TFLM {expected[pos]}")


@pytest.mark.parametrize("name", ["tiny", "ecg-32k"])
def test_example_generated_layers_match_tflm(name):
    model = example(name)
    kernels = synthesize_model(model)
    assert len(kernels) == len(model.generated) >= 2
    for g, kernel in zip(model.generated, kernels):
        n_rows = model.layer_weight_shape(g.layer)[0]
        expected = run_tflm(model.generator, g.code, g.head, n_rows)
        assert_same(kernel, expected, f"{name} layer {model.layers[g.layer].name}")


def test_synthesis_is_a_chain_of_fully_connected_ops():
    model = example("tiny")
    g = model.generated[0]
    n_rows, fan_in = model.layer_weight_shape(g.layer)
    chain = fc_chain(model.generator, g.head)
    assert chain[-1] is model.generator.heads[g.head]
    assert chain[0].in_features == model.generator.d_code + model.generator.d_emb
    assert chain[-1].out_features == fan_in and chain[-1].out_zp == 0
    assert all(a.out_zp == b.in_zp for a, b in zip(chain, chain[1:]))
    assert chain[0].in_zp == model.generator.in_zp
    x = synthesis_input(model.generator, g.code, n_rows)
    assert x.dtype == np.int8 and x.shape == (n_rows, len(g.code) + model.generator.d_emb)
    assert (x[:, :len(g.code)] == g.code).all()


def test_heads_are_shared_by_fan_in():
    model = example("ecg-225k")
    fan_in = {}
    for g in model.generated:
        cin = model.layer_weight_shape(g.layer)[1]
        assert fan_in.setdefault(g.head, cin) == cin
        assert model.generator.heads[g.head].out_features == cin
    assert len(model.generator.heads) == len(set(fan_in.values()))


def test_synthesis_macs():
    model = example("tiny")
    gen = model.generator
    per_row = sum(fc.in_features * fc.out_features for fc in gen.mlp)
    expected = [model.layer_weight_shape(g.layer)[0]
                * (per_row + gen.d_latent * gen.heads[g.head].out_features)
                for g in model.generated]
    assert model_synthesis_macs(model) == expected
    assert synthesis_macs(gen, 0, 1) == per_row + gen.d_latent * gen.heads[0].out_features


# --------------------------------------------------------------------------
# Hypothesis-drawn generators
# --------------------------------------------------------------------------

INT32_EDGES = [quant.INT32_MIN, quant.INT32_MIN + 1, quant.INT32_MAX]


def int8_arrays(draw, shape):
    """int8 values with the edges -128, -127, 0, 127 over-represented."""
    values = draw(st.lists(st.one_of(st.sampled_from([-128, -127, 0, 127]),
                                     st.integers(-128, 127)),
                           min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=np.int8).reshape(shape)


@st.composite
def fc_layers(draw, in_features, out_features, in_scale, in_zp, *, head=False):
    """One FC layer with consistent TFLite quantization, drawn with edge values."""
    w_scale = draw(st.floats(1e-3, 0.1))
    out_scale = draw(st.floats(1e-3, 1.0))
    out_zp = 0 if head else draw(st.one_of(st.sampled_from([-128, 0, 127]),
                                           st.integers(-128, 127)))
    act = "none" if head else draw(st.sampled_from(["none", "relu", "relu6"]))
    real = np.float32(in_scale) * np.float32(w_scale) / np.float32(out_scale)
    if not 1e-7 < real < 2.0 ** 10:
        out_scale = float(np.float32(in_scale) * np.float32(w_scale))  # real = 1
    mult, shift = quant.fc_requant(in_scale, w_scale, out_scale)
    act_min, act_max = quant.activation_range(act, out_scale, out_zp)
    w = int8_arrays(draw, (out_features, in_features))
    bias = draw(st.lists(st.one_of(st.integers(-2**12, 2**12), st.integers(-2**24, 2**24),
                                   st.sampled_from(INT32_EDGES)),
                         min_size=out_features, max_size=out_features))
    return FC(w, np.array(bias, dtype=np.int32), mult, shift, in_zp, out_zp, act_min,
              act_max, float(np.float32(w_scale)), float(np.float32(out_scale)))


@st.composite
def generators(draw):
    d_code = draw(st.integers(1, 6))
    d_emb = draw(st.integers(1, 6))
    n_rows = draw(st.integers(1, 12))
    in_scale = float(np.float32(draw(st.floats(1e-3, 0.5))))
    in_zp = draw(st.one_of(st.sampled_from([-128, 0, 127]), st.integers(-128, 127)))
    widths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
    mlp, fan, scale, zp = [], d_code + d_emb, in_scale, in_zp
    for width in widths:
        fc = draw(fc_layers(fan, width, scale, zp))
        mlp.append(fc)
        fan, scale, zp = width, fc.out_scale, fc.out_zp
    fan_ins = draw(st.lists(st.integers(1, 16), min_size=1, max_size=2, unique=True))
    heads = [draw(fc_layers(fan, cin, scale, zp, head=True)) for cin in fan_ins]
    gen = Generator(d_code, in_scale, in_zp, int8_arrays(draw, (n_rows, d_emb)), mlp, heads)
    code = int8_arrays(draw, (d_code,))
    head = draw(st.integers(0, len(heads) - 1))
    return gen, code, head, n_rows


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(generators())
def test_random_generators_match_tflm(case):
    gen, code, head, n_rows = case
    kernel = synthesize_layer(gen, code, head, n_rows)
    assert kernel.dtype == np.int8
    assert kernel.shape == (n_rows, gen.heads[head].out_features)
    assert_same(kernel, run_tflm(gen, code, head, n_rows), "random generator")
