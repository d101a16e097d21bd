"""The public host runtime: ``mcusim.load(path)`` and what it returns.

    model = mcusim.load("model.bin")          # read and validate the file
    result = model.run(x, mode="boot")        # x: int8 [windows, T, C]
    result.outputs                            # int8 [windows, classes]
    result.classes                            # int64 [windows]

Runs go through the Numba interpreter (:mod:`mcusim.interp`) in the memory
plan stored in the file: one preallocated arena per mode, every activation at
its planned offset. Boot mode synthesizes every generated kernel into its
planned cache the first time the model runs in boot mode (the firmware does it
at boot) and reuses them afterwards; lazy mode synthesizes each generated
kernel into the one scratch buffer just before its layer, for every window.
``result.synthesized`` counts the kernels synthesized by that call.

Bad input (mode, dtype, shape, window length) raises
:class:`~mcusim.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcusim.errors import InputError
from mcusim.format.spec import MODE_NAMES, DType, Mode
from mcusim.model import Model

MODES = tuple(MODE_NAMES[m] for m in Mode)   # ("boot", "lazy")


@dataclass
class RunResult:
    """What one :meth:`LoadedModel.run` call produced."""
    outputs: np.ndarray      # int8 [windows, classes]: the logits tensor
    classes: np.ndarray      # int64 [windows]: the ARGMAX tensor
    mode: str
    synthesized: int         # generated kernels synthesized by this call
    seconds: float           # wall time of the windows (lazy synthesis included)
    boot_seconds: float = 0.0  # boot synthesis done by this call (first boot run only)

    @property
    def windows(self) -> int:
        return int(self.outputs.shape[0])

    @property
    def windows_per_second(self) -> float:
        return self.windows / self.seconds if self.seconds > 0 else float("inf")

    #: Windows listed one by one when rendered; the class counts cover all.
    SHOWN = 10

    def to_dict(self) -> dict:
        return {"mode": self.mode, "windows": self.windows, "synthesized": self.synthesized,
                "seconds": self.seconds, "boot_seconds": self.boot_seconds,
                "windows_per_second": self.windows_per_second,
                "classes": self.classes.tolist(), "outputs": self.outputs.tolist()}

    def __rich_console__(self, console, options):
        from rich.table import Table

        shown = min(self.windows, self.SHOWN)
        first = f"first {shown} of " if shown < self.windows else ""
        table = Table(title=f"outputs ({first}{self.windows} windows)", title_justify="left")
        table.add_column("window", justify="right")
        table.add_column("class", justify="right")
        table.add_column("logits (int8)")
        for w in range(shown):
            table.add_row(str(w), str(int(self.classes[w])),
                          " ".join(f"{int(v):4d}" for v in self.outputs[w]))
        yield table
        counts = Table(title="windows per class", title_justify="left")
        n_classes = self.outputs.shape[1]
        counts.add_column("class", justify="right")
        counts.add_column("windows", justify="right")
        for c, k in enumerate(np.bincount(self.classes, minlength=n_classes)):
            counts.add_row(str(c), str(int(k)))
        yield counts
        boot = f" at boot ({self.boot_seconds * 1e3:.1f} ms)" if self.boot_seconds else ""
        yield (f"{self.windows} windows, {self.mode} mode, {self.synthesized} kernels "
               f"synthesized{boot}")
        yield f"host throughput: {self.windows_per_second:,.0f} windows/s (Numba interpreter)"


@dataclass
class LayerOutput:
    """One layer's output for one window (see :meth:`LoadedModel.layer_outputs`)."""
    window: int
    layer: int
    name: str
    value: np.ndarray        # int8 [T, C], or int32 [1] for ARGMAX


class _Engine:
    """One mode's prepared program and its arena."""

    def __init__(self, model: Model, mode: Mode):
        from mcusim.interp import executor
        self.executor = executor
        self.program = executor.prepare(model, mode)
        self.arena = np.zeros(self.program.arena_size, dtype=np.int8)
        self.booted = mode == Mode.LAZY   # lazy mode has no boot synthesis
        # Compile (or load from the on-disk cache) now, on an empty batch, so
        # that timings of runs measure windows only.
        length, channels = model.input_shape
        executor.run_batch(self.arena, *self.program.arrays,
                           np.zeros((0, length, channels), np.int8),
                           np.zeros((0, model.n_classes), np.int8), np.zeros(0, np.int32))

    def boot(self) -> int:
        """Boot synthesis, the first time only; how many kernels it synthesized."""
        if self.booted:
            return 0
        self.booted = True
        return int(self.executor.synthesize_all(self.arena, *self.program.arrays))


class LoadedModel:
    """A packed model ready to run on the host (see the module docstring)."""

    def __init__(self, model: Model, path: str | None = None):
        self.model = model
        self.path = path
        self._engines: dict[Mode, _Engine] = {}

    # -- what the model expects -------------------------------------------

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def input_shape(self) -> tuple[int, int]:
        """(T, C) of one window."""
        return self.model.input_shape

    @property
    def n_classes(self) -> int:
        return self.model.n_classes

    @property
    def input_quantization(self) -> tuple[float, int]:
        """(scale, zero point) of the int8 input: real = scale * (q - zero point)."""
        t = self.model.tensors[self.model.input_tensor]
        return t.scale, t.zero_point

    @property
    def sample_rate_hz(self) -> int:
        return self.model.sample_rate_hz

    # -- running -----------------------------------------------------------

    def run(self, x: np.ndarray, mode: str = "boot", *,
            progress: Callable[[int, int], None] | None = None, chunk: int = 64) -> RunResult:
        """Run every window of ``x`` (int8 ``[windows, T, C]``).

        With ``progress``, windows run in chunks of ``chunk`` and
        ``progress(done, total)`` is called after each (for a progress bar).
        """
        engine = self._engine(mode)
        x = self.check_windows(x)
        n = x.shape[0]
        outputs = np.empty((n, self.n_classes), dtype=np.int8)
        classes = np.empty(n, dtype=np.int32)
        step = max(1, chunk) if progress is not None else max(1, n)
        start = time.perf_counter()
        synthesized = engine.boot()
        boot_seconds = time.perf_counter() - start if synthesized else 0.0
        start = time.perf_counter()
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            synthesized += int(engine.executor.run_batch(
                engine.arena, *engine.program.arrays, x[lo:hi], outputs[lo:hi], classes[lo:hi]))
            if progress is not None:
                progress(hi, n)
        seconds = time.perf_counter() - start
        return RunResult(outputs, classes.astype(np.int64), mode, synthesized, seconds,
                         boot_seconds)

    def layer_outputs(self, x: np.ndarray, mode: str = "boot") -> Iterator[LayerOutput]:
        """Every layer's output for every window, in order, computed by the same
        compiled code as :meth:`run` but stopping after each layer to copy the
        layer's output tensor out of the arena."""
        engine = self._engine(mode)
        x = self.check_windows(x)
        engine.boot()
        ex, prog, arena = engine.executor, engine.program, engine.arena
        at_in = int(prog.info[ex.I_INPUT])
        for w in range(x.shape[0]):
            arena[at_in:at_in + x[w].size] = x[w].reshape(-1)
            for i, layer in enumerate(self.model.layers):
                ex.run_layers(arena, *prog.arrays, i, i + 1)
                yield LayerOutput(w, i, layer.name, self._tensor(arena, prog, i))

    def _tensor(self, arena: np.ndarray, prog, i: int) -> np.ndarray:
        from mcusim.interp.executor import L_OUT
        t = self.model.tensors[self.model.layers[i].output]
        at = int(prog.layers[i, L_OUT])
        raw = arena[at:at + t.nbytes].copy()
        if t.dtype == DType.INT32:      # ARGMAX
            return raw.view("<i4").reshape(t.length * t.channels)
        return raw.reshape(t.length, t.channels)

    def _engine(self, mode: str) -> _Engine:
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        m = Mode.BOOT if mode == "boot" else Mode.LAZY
        if m not in self._engines:
            self._engines[m] = _Engine(self.model, m)
        return self._engines[m]

    def check_windows(self, x) -> np.ndarray:
        """``x`` as a C-contiguous int8 ``[windows, T, C]`` array, or InputError."""
        from mcusim.inputs import check_windows
        return check_windows(x, *self.input_shape)


def load(path: str | Path) -> LoadedModel:
    """Read and validate a packed model file; ready to :meth:`~LoadedModel.run`."""
    from mcusim.format import load_model
    return LoadedModel(load_model(path), str(path))


__all__ = ["load", "LoadedModel", "RunResult", "LayerOutput", "MODES"]
