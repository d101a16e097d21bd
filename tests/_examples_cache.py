"""Test helpers: example models built once per session, a plain reference
forward pass, and the CLI rendering compared with tests/golden/.

Building ``ecg-225k`` takes a second or two; tests share one copy per
(name, seed) through :func:`example` and :func:`example_bytes`. Treat the
returned objects as read-only.
"""

from __future__ import annotations

import contextlib
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from mcusim.examples import build_example
from mcusim.format import write_model
from mcusim.format.spec import Op, Padding
from mcusim.model import Model
from mcusim.reference import ops
from mcusim.reference.synth import synthesize_model


@lru_cache(maxsize=None)
def example(name: str, seed: int = 0) -> Model:
    return build_example(name, seed)


@lru_cache(maxsize=None)
def example_bytes(name: str, seed: int = 0) -> bytes:
    return write_model(example(name, seed))


_PAD = {Padding.SAME: "same", Padding.VALID: "valid"}


def reference_forward(model: Model, window: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor's int8 value (ARGMAX: int32) for one int8 input window ``[T, C]``,
    computed with the reference kernels, generated kernels synthesized first."""
    kernels = synthesize_model(model) if model.generated else []
    values: dict[int, np.ndarray] = {model.input_tensor: np.asarray(window, dtype=np.int8)}
    for layer in model.layers:
        ins = [values[t] for t in layer.inputs]
        tin = [model.tensors[t] for t in layer.inputs]
        tout = model.tensors[layer.output]
        q = (layer.bias, layer.mult, layer.shift, tin[0].zero_point, tout.zero_point,
             layer.act_min, layer.act_max)
        w = kernels[layer.generated] if layer.is_generated else layer.weights
        if layer.op == Op.CONV:
            y = ops.conv(ins[0], w, *q, stride=layer.stride, dilation=layer.dilation,
                         padding=_PAD[layer.padding])
        elif layer.op == Op.DW_CONV:
            y = ops.dw_conv(ins[0], w, *q, stride=layer.stride, dilation=layer.dilation,
                            padding=_PAD[layer.padding])
        elif layer.op == Op.PW_CONV:
            y = ops.pw_conv(ins[0], w, *q)
        elif layer.op == Op.FULLY_CONNECTED:
            y = ops.fully_connected(ins[0].reshape(1, -1), w, layer.bias, int(layer.mult[0]),
                                    int(layer.shift[0]), *q[3:])
        elif layer.op == Op.MAX_POOL:
            y = ops.max_pool(ins[0], layer.kernel, layer.stride, _PAD[layer.padding],
                             layer.act_min, layer.act_max)
        elif layer.op == Op.AVG_POOL:
            y = ops.avg_pool(ins[0], layer.kernel, layer.stride, _PAD[layer.padding],
                             layer.act_min, layer.act_max)
        elif layer.op == Op.GLOBAL_AVG_POOL:
            y = ops.global_avg_pool(ins[0], layer.act_min, layer.act_max)
        elif layer.op == Op.ADD:
            m, s = layer.mult, layer.shift
            y = ops.add(ins[0], ins[1], tin[0].zero_point, int(m[0]), int(s[0]),
                        tin[1].zero_point, int(m[1]), int(s[1]), tout.zero_point,
                        int(m[2]), int(s[2]), layer.act_min, layer.act_max)
        elif layer.op == Op.ARGMAX:
            y = np.array([[ops.argmax(ins[0])]], dtype=np.int32)
        else:  # pragma: no cover
            raise AssertionError(f"unknown op {layer.op}")
        values[layer.output] = np.asarray(y).reshape(tout.length, tout.channels)
    return values


def quantize_window(model: Model, window_mv: np.ndarray) -> np.ndarray:
    """A float ECG window (mV) quantized with the model's input scale and zero point."""
    t = model.tensors[model.input_tensor]
    q = np.round(np.asarray(window_mv) / t.scale) + t.zero_point
    return np.clip(q, -128, 127).astype(np.int8).reshape(t.length, t.channels)


#: Environment of every CLI test: no colour, a fixed terminal width.
CLI_ENV = {"NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
GOLDEN_INSPECT_TINY = Path(__file__).parent / "golden" / "inspect_tiny.txt"


def cli_runner():
    from click.testing import CliRunner
    return CliRunner(env=CLI_ENV)


def inspect_tiny_text() -> str:
    """``mcusim inspect tiny.bin`` (example tiny, seed 0) at width 100, no colour.

    tests/golden/inspect_tiny.txt holds the expected text; regenerate it with
    ``python tests/golden/regenerate.py`` after an intended change.
    """
    from mcusim.cli import main

    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        Path("tiny.bin").write_bytes(example_bytes("tiny"))
        result = cli_runner().invoke(main, ["inspect", "tiny.bin"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


__all__ = ["CLI_ENV", "GOLDEN_INSPECT_TINY", "cli_runner", "inspect_tiny_text", "example", "example_bytes", "reference_forward", "quantize_window"]
