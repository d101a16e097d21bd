"""Example models: deterministic bytes, size targets, realistic quantization,
plans that fit, and the bundled model equal to ``mcusim example ecg-32k``."""

from __future__ import annotations

import numpy as np
import pytest

from _examples_cache import example, example_bytes, quantize_window, reference_forward
from mcusim.calibrate import synthetic_ecg
from mcusim.errors import ExampleError
from mcusim.examples import BUNDLED, EXAMPLES, build_example, bundled_model_path
from mcusim.format import account, read_model
from mcusim.format.spec import DType, Mode, Op, PlanKind
from mcusim.plan import plan_conflicts, plan_memory
from mcusim.reference import quant
from mcusim.reference.synth import synthesize_model

KB = 1000
TARGETS = {"ecg-32k": 32 * KB, "ecg-64k": 64 * KB, "ecg-225k": 225 * KB, "ecg-int8": 1400 * KB}
NRF52840_SRAM = 256 * 1024


def test_same_name_and_seed_same_bytes():
    assert example_bytes("tiny") == example_bytes("tiny")
    from mcusim.format import write_model
    assert write_model(build_example("tiny", 0)) == example_bytes("tiny", 0)
    assert write_model(build_example("ecg-32k", 0)) == example_bytes("ecg-32k", 0)
    assert write_model(build_example("tiny", 7)) == example_bytes("tiny", 7)


def test_seed_changes_weights_not_architecture():
    a, b = example("tiny", 0), example("tiny", 1)
    assert example_bytes("tiny", 0) != example_bytes("tiny", 1)
    assert [(l.name, l.op) for l in a.layers] == [(l.name, l.op) for l in b.layers]


def test_bundled_model_is_example_output_byte_for_byte():
    """Regenerate with: mcusim example ecg-32k -o mcusim/data/ecg-32k.bin"""
    path = bundled_model_path()
    assert path.name == f"{BUNDLED}.bin" and path.is_file()
    assert path.read_bytes() == example_bytes(BUNDLED), (
        "the bundled model is stale; run: mcusim example ecg-32k -o mcusim/data/ecg-32k.bin")


def test_unknown_name_lists_the_names():
    with pytest.raises(ExampleError) as err:
        build_example("ecg-1k")
    for name in EXAMPLES:
        assert name in str(err.value)


@pytest.mark.parametrize("name", list(TARGETS))
def test_size_targets(name):
    size = len(example_bytes(name))
    assert abs(size - TARGETS[name]) <= 0.10 * TARGETS[name], f"{name}: {size} bytes"


def test_tiny_is_tiny_but_complete():
    model = example("tiny")
    assert 300 <= len(example_bytes("tiny")) <= 8000
    assert model.input_shape == (32, 1)
    ops = [layer.op for layer in model.layers]
    assert Op.ADD in ops and ({Op.AVG_POOL, Op.MAX_POOL} & set(ops))
    pws = [layer for layer in model.layers if layer.op == Op.PW_CONV]
    assert pws[0].category == "pw1" and not pws[0].is_generated
    fan_ins = {model.layer_weight_shape(g.layer)[1] for g in model.generated}
    assert len(model.generated) == 2 and len(fan_ins) == 2


@pytest.mark.parametrize("name", ["ecg-32k", "ecg-64k", "ecg-225k", "ecg-int8"])
def test_ecg_architecture(name):
    model = example(name)
    assert model.input_shape == (256, 1) and model.n_classes == 5
    assert model.sample_rate_hz == 360
    layers = model.layers
    assert layers[0].op == Op.CONV and layers[0].kernel == 7 and layers[0].stride == 2
    assert layers[-3:][0].op == Op.GLOBAL_AVG_POOL
    assert [l.op for l in layers[-2:]] == [Op.FULLY_CONNECTED, Op.ARGMAX]
    assert all(l.kernel == 5 for l in layers if l.op == Op.DW_CONV)
    pws = [l for l in layers if l.op == Op.PW_CONV]
    assert pws[0].category == "pw1" and pws[0].weights is not None
    if name == "ecg-int8":
        assert model.generator is None and all(l.category == "backbone" for l in pws[1:])
    else:
        assert all(l.is_generated and l.category == "codes" for l in pws[1:])
    assert max(model.tensors[l.output].channels for l in pws) <= 256


def test_ecg_225k_matches_the_int8_network():
    acc = account(example_bytes("ecg-225k"))
    int8_size = len(example_bytes("ecg-int8"))
    assert acc.int8_equivalent == int8_size
    assert abs(int8_size - 1400 * KB) <= 0.05 * 1400 * KB
    assert 5.5 <= acc.compression_ratio <= 7.0
    big, plain = example("ecg-225k"), example("ecg-int8")
    assert [(l.name, l.op) for l in big.layers] == [(l.name, l.op) for l in plain.layers]


def test_ecg_int8_stores_what_the_generator_emits():
    big, plain = example("ecg-225k"), example("ecg-int8")
    for g, kernel in zip(big.generated, synthesize_model(big)):
        np.testing.assert_array_equal(plain.layers[g.layer].weights, kernel)


def test_ecg_int8_computes_what_ecg_225k_computes():
    big, plain = example("ecg-225k"), example("ecg-int8")
    for window in synthetic_ecg(2, 256, seed=[11, 0]):
        x = quantize_window(big, window)
        a, b = reference_forward(big, x), reference_forward(plain, x)
        for t in (big.output_tensor, big.class_tensor):
            np.testing.assert_array_equal(a[t], b[t])


def test_ecg_225k_compute_and_lazy_sram():
    model = example("ecg-225k")
    macs = sum(model.layer_macs(i) for i in range(len(model.layers)))
    assert 9e6 <= macs <= 15e6, macs
    lazy = model.plans[Mode.LAZY]
    (scratch,) = lazy.of_kind(PlanKind.KERNEL_SCRATCH)
    assert scratch.size == 256 * 256
    assert lazy.arena_size <= NRF52840_SRAM // 2, lazy.arena_size


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_plans_are_the_planners_and_fit(name):
    model = example(name)
    fresh = plan_memory(model)
    assert set(model.plans) == {Mode.BOOT, Mode.LAZY}
    for mode, plan in model.plans.items():
        assert plan == fresh[mode]
        assert plan_conflicts(plan) == []
    assert read_model(example_bytes(name)).plans == model.plans


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_requantization_follows_the_stored_scales(name):
    """mult/shift are what TFLite derives from the stored float32 scales."""
    model = example(name)
    for layer in model.layers:
        tin, tout = model.tensors[layer.inputs[0]], model.tensors[layer.output]
        if layer.op in (Op.CONV, Op.DW_CONV, Op.PW_CONV):
            mult, shift = quant.conv_requant(tin.scale, layer.weight_scales, tout.scale)
        elif layer.op == Op.FULLY_CONNECTED:
            mult, shift = quant.fc_requant(tin.scale, layer.weight_scales[0], tout.scale)
        else:
            continue
        np.testing.assert_array_equal(layer.mult, mult, err_msg=layer.name)
        np.testing.assert_array_equal(layer.shift, shift, err_msg=layer.name)
        assert (layer.weight_scales > 0).all()
        if layer.weights is not None and layer.op != Op.FULLY_CONNECTED and name != "ecg-int8":
            # stored per-channel symmetric weights span [-127, 127] in every channel
            w = layer.weights.T if layer.op == Op.DW_CONV else layer.weights
            peak = np.abs(w.reshape(w.shape[0], -1).astype(int)).max(axis=1)
            assert (peak == 127).all(), layer.name


@pytest.mark.parametrize("name", ["tiny", "ecg-32k", "ecg-64k", "ecg-225k"])
def test_activations_are_not_saturated(name):
    """On held-out synthetic ECG, every layer's int8 output (reference kernels) keeps
    a meaningful share of values strictly inside (-128, 127) and many levels."""
    model = example(name)
    windows = synthetic_ecg(4, model.input_shape[0], seed=[12345, 1])
    outputs: dict[int, list] = {}
    for window in windows:
        values = reference_forward(model, quantize_window(model, window))
        for layer in model.layers:
            outputs.setdefault(layer.output, []).append(values[layer.output])
    for layer in model.layers:
        tensor = model.tensors[layer.output]
        if tensor.dtype != DType.INT8:
            continue
        v = np.concatenate([a.ravel() for a in outputs[layer.output]])
        inside = np.mean((v > -128) & (v < 127))
        assert inside >= 0.25, f"{name} {layer.name}: only {inside:.0%} inside (-128, 127)"
        if v.size >= 256:
            assert len(np.unique(v)) >= 32, f"{name} {layer.name}: {len(np.unique(v))} levels"


def test_generated_kernels_look_like_weights():
    model = example("ecg-225k")
    for kernel in synthesize_model(model):
        assert 15 <= kernel.astype(float).std() <= 60
        assert np.mean(np.abs(kernel.astype(int)) >= 127) < 0.01
        assert len(np.unique(kernel)) >= 100
