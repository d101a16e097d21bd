"""Whole models on the interpreter: every example model, boot and lazy, equals the
reference kernels layer by layer and window by window; boot == lazy; lazy
really re-synthesizes; activations really live at their planned offsets (a
broken plan gives wrong outputs); per-layer dumps find the first divergence;
bad input raises a typed, one-line InputError."""

import dataclasses

import numpy as np
import pytest

from _examples_cache import example, example_bytes, reference_forward
from mcusim.errors import InputError
from mcusim.examples import EXAMPLES
from mcusim.format.spec import Mode, PlanKind
from mcusim.interp.dumps import first_divergence, write_dumps
from mcusim.model import MemoryPlan
from mcusim.runtime import LoadedModel, load

#: Windows per model: the big models' reference forward pass is slow.
WINDOWS = {"tiny": 6, "ecg-32k": 3, "ecg-64k": 2, "ecg-225k": 1, "ecg-int8": 1}


def windows_for(model, n, seed=0):
    length, channels = model.input_shape
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, length, channels), dtype=np.int8)
    x[0] = -128                           # an all-minimum window
    return x


@pytest.fixture(scope="module", params=list(EXAMPLES))
def case(request):
    name = request.param
    model = example(name)
    x = windows_for(model, WINDOWS[name])
    expected = [reference_forward(model, window) for window in x]
    return name, LoadedModel(model), x, expected


@pytest.mark.parametrize("mode", ["boot", "lazy"])
def test_every_example_equals_the_reference(case, mode):
    name, loaded, x, expected = case
    model = loaded.model
    result = loaded.run(x, mode)
    want_out = np.stack([e[model.output_tensor].reshape(-1) for e in expected])
    want_cls = np.array([int(e[model.class_tensor].reshape(-1)[0]) for e in expected])
    np.testing.assert_array_equal(result.outputs, want_out)
    np.testing.assert_array_equal(result.classes, want_cls)
    assert result.outputs.dtype == np.int8 and result.outputs.shape == (len(x), model.n_classes)
    # every layer, every window (the layer stepping runs the same compiled code)
    for out in loaded.layer_outputs(x, mode):
        want = expected[out.window][model.layers[out.layer].output]
        np.testing.assert_array_equal(out.value.reshape(want.shape), want,
                                      err_msg=f"{name} {mode} layer {out.layer} ({out.name}) "
                                              f"window {out.window}")


def test_boot_equals_lazy_and_lazy_resynthesizes(case):
    name, loaded, x, _ = case
    n_gen = len(loaded.model.generated)
    fresh = LoadedModel(loaded.model)
    boot = fresh.run(x, "boot")
    again = fresh.run(x, "boot")
    lazy = fresh.run(x, "lazy")
    np.testing.assert_array_equal(boot.outputs, lazy.outputs)
    np.testing.assert_array_equal(boot.classes, lazy.classes)
    np.testing.assert_array_equal(boot.outputs, again.outputs)
    assert boot.synthesized == n_gen           # once, at the first boot run
    assert again.synthesized == 0
    assert lazy.synthesized == n_gen * len(x)  # before every generated layer, every window


def test_loaded_from_file_equals_in_memory(tmp_path):
    path = tmp_path / "tiny.bin"
    path.write_bytes(example_bytes("tiny"))
    model = example("tiny")
    x = windows_for(model, 4, seed=1)
    loaded = load(path)
    assert loaded.path == str(path) and loaded.name == "tiny"
    np.testing.assert_array_equal(loaded.run(x).outputs, LoadedModel(model).run(x).outputs)


def _broken_plan(model, mode):
    """The model with its plan changed so that the input (smaller) is placed at
    the first layer's output offset although both are live at layer 0."""
    plan = model.plans[mode]
    acts = {e.ref: e for e in plan.entries if e.kind == PlanKind.ACTIVATION}
    first_out = model.layers[0].output
    entries = [dataclasses.replace(e, offset=acts[first_out].offset)
               if e.kind == PlanKind.ACTIVATION and e.ref == model.input_tensor else e
               for e in plan.entries]
    plans = dict(model.plans)
    plans[mode] = MemoryPlan(plan.arena_size, entries)
    return dataclasses.replace(model, plans=plans)


@pytest.mark.parametrize("mode", ["boot", "lazy"])
def test_activations_live_at_their_planned_offsets(mode):
    model = example("ecg-32k")
    x = windows_for(model, 4, seed=2)
    good = LoadedModel(model).run(x, mode)
    broken = LoadedModel(_broken_plan(model, Mode.BOOT if mode == "boot" else Mode.LAZY))
    assert not np.array_equal(broken.run(x, mode).outputs, good.outputs)


def test_kernel_cache_is_in_the_arena():
    """Boot kernels live in the arena's KERNEL_CACHE buffers: clobbering them
    after boot changes the outputs."""
    model = example("tiny")
    x = windows_for(model, 3)
    loaded = LoadedModel(model)
    good = loaded.run(x, "boot")
    engine = loaded._engine("boot")
    for e in model.plans[Mode.BOOT].of_kind(PlanKind.KERNEL_CACHE):
        engine.arena[e.offset:e.offset + e.size] = 0
    assert not np.array_equal(loaded.run(x, "boot").outputs, good.outputs)


def test_layer_dumps_and_first_divergence(tmp_path):
    model = example("tiny")
    x = windows_for(model, 3, seed=3)
    loaded = LoadedModel(model)
    a = write_dumps(loaded, x, "boot", tmp_path / "boot")
    b = write_dumps(loaded, x, "lazy", tmp_path / "lazy")
    assert first_divergence(a, b) is None
    # corrupt one element of layer 5 in window 2: that is the first divergence
    files = sorted(p.name for p in b.glob("0*.npy"))
    assert files[0] == "000_stem.npy" and len(files) == len(model.layers)
    target = b / files[5]
    values = np.load(target)
    values[2].flat[7] ^= 1
    np.save(target, values)
    found = first_divergence(a, b)
    assert (found.layer, found.name, found.window, found.mismatches) == \
        (5, model.layers[5].name, 2, 1)
    assert found.a != found.b
    assert "layer 5" in str(found) and "\n" not in str(found)


BAD_INPUTS = [
    (lambda t, c: np.zeros((2, t, c), np.float32), "int8"),
    (lambda t, c: np.zeros((2, t, c), np.int16), "int8"),
    (lambda t, c: np.zeros((t, c), np.int8), "shaped (windows, 32, 1)"),
    (lambda t, c: np.zeros((2, t + 1, c), np.int8), "window length is 33"),
    (lambda t, c: np.zeros((2, t, c + 1), np.int8), "2 channels"),
    (lambda t, c: [[0] * c] * t, "numpy int8 array"),
]


@pytest.mark.parametrize("make,fragment", BAD_INPUTS)
def test_bad_input_is_a_one_line_input_error(make, fragment):
    loaded = LoadedModel(example("tiny"))
    with pytest.raises(InputError) as err:
        loaded.run(make(*loaded.input_shape))
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_bad_mode_is_an_input_error():
    with pytest.raises(InputError, match="boot, lazy"):
        LoadedModel(example("tiny")).run(np.zeros((1, 32, 1), np.int8), "eager")


def test_zero_windows():
    result = LoadedModel(example("tiny")).run(np.zeros((0, 32, 1), np.int8), "lazy")
    assert result.outputs.shape == (0, 5) and result.synthesized == 0


def test_public_load():
    import mcusim
    assert mcusim.load is load
