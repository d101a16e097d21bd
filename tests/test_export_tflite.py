"""TFLite export: the interpreter equals TFLite Micro on the exported .tflite of
every example model (random windows), the exported synthesis graph equals the
interpreter's synthesized kernel, and export refuses what TFLite would compute
differently. Needs the TFLite Micro oracle (pip install tflite-micro)."""

import builtins
import dataclasses

import numpy as np
import pytest

pytest.importorskip("tflite_micro", reason="the TFLite Micro oracle (pip install tflite-micro) "
                                           "is not installed")

from _examples_cache import example  # noqa: E402
from mcusim.errors import ExportError  # noqa: E402
from mcusim.examples import EXAMPLES  # noqa: E402
from mcusim.interp.synth import synthesize_model  # noqa: E402
from mcusim.runtime import LoadedModel  # noqa: E402
from mcusim.tflite import invoke  # noqa: E402
from mcusim.tflite.export import export_model, export_synthesis  # noqa: E402

WINDOWS = {"tiny": 8, "ecg-32k": 6, "ecg-64k": 4, "ecg-225k": 2, "ecg-int8": 2}


def tflm_session(tflite: bytes):
    from tflite_micro.python.tflite_micro import runtime
    return runtime.Interpreter.from_bytes(tflite)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_interpreter_equals_tflm_on_the_export(name):
    model = example(name)
    length, channels = model.input_shape
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, (WINDOWS[name], length, channels), dtype=np.int8)
    x[-1] = 127
    ours = LoadedModel(model).run(x, "lazy" if name == "tiny" else "boot")
    tflm = tflm_session(export_model(model))
    for w in range(len(x)):
        tflm.set_input(x[w].reshape(1, 1, length, channels), 0)
        tflm.invoke()
        logits = np.array(tflm.get_output(0)).reshape(-1)
        cls = int(np.array(tflm.get_output(1)).reshape(-1)[0])
        np.testing.assert_array_equal(logits, ours.outputs[w], err_msg=f"{name} window {w}")
        assert cls == ours.classes[w]


@pytest.mark.parametrize("name", ["tiny", "ecg-32k", "ecg-225k"])
def test_synthesis_graph_equals_the_synthesized_kernel(name):
    model = example(name)
    kernels = synthesize_model(model)
    picks = {0, len(model.generated) - 1}
    for g in sorted(picks):
        entry = model.generated[g]
        tflite, rows = export_synthesis(model, entry.layer)
        assert rows.shape == (model.layer_weight_shape(entry.layer)[0],
                              model.generator.d_code + model.generator.d_emb)
        (kernel,) = invoke(tflite, [rows])
        np.testing.assert_array_equal(kernel, kernels[g], err_msg=f"{name} layer {entry.layer}")


def test_synthesis_layer_must_be_generated():
    with pytest.raises(ExportError, match=r"layer 0 is not a generated PW layer \(generated "
                                          r"layers: 5, 7\)"):
        export_synthesis(example("tiny"), 0)


def test_export_refuses_multipliers_tflite_would_not_derive():
    model = example("tiny")
    i = next(i for i, layer in enumerate(model.layers) if layer.op.name == "DW_CONV")
    layer = model.layers[i]
    bad = dataclasses.replace(layer, mult=layer.mult.copy())
    bad.mult[0] += 1
    layers = list(model.layers)
    layers[i] = bad
    with pytest.raises(ExportError, match=f"layer {i} \\({layer.name}\\) multipliers"):
        export_model(dataclasses.replace(model, layers=layers))


def test_export_without_tflite_micro_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_tflite(name, *args, **kwargs):
        if name.startswith("tflite_micro") or name == "mcusim.tflite.builder":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "mcusim.tflite.builder", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_tflite)
    with pytest.raises(ExportError) as err:
        export_model(example("tiny"))
    assert "pip install tflite-micro" in str(err.value) and "\n" not in str(err.value)
