"""``mcusim bench host``: the Numba interpreter against TFLite Micro's Python
interpreter, in one process, on the same exported network and the same windows.

For each model:

1. the model is packed (``model.bin``), loaded with :func:`mcusim.load` and
   exported with :func:`mcusim.tflite.export.export_model`;
2. **cold start**: a new Python process imports mcusim, loads the file, runs
   one window in boot mode and reports the elapsed time (imports, reading and
   validating the file, loading the compiled kernels from Numba's on-disk
   cache, boot synthesis, the window). Once per benchmark (first model), the
   same with an empty Numba cache directory: **first start**, which compiles
   every kernel, what the very first run of an installation pays;
3. **throughput**, interleaved so that both sides see the same machine load:
   the interpreter runs the whole batch in boot mode (warm: compiled, kernels
   synthesized), then TFLM invokes window by window (``set_input``,
   ``invoke``, ``get_output``) on the whole batch, or on its first windows
   when the whole batch would take longer than the time budget (said in the
   report); best of the rounds on each side;
4. TFLM's outputs on the windows it ran are compared with the interpreter's.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from mcusim.errors import ExportError

DEFAULT_MODELS = ("ecg-225k", "ecg-64k")
TARGET_RATIO = 10.0
SECTION = "host"

_COLD_START = """
import json, sys, time
start = time.perf_counter()
import numpy as np
from mcusim.runtime import load
model = load(sys.argv[1])
result = model.run(np.load(sys.argv[2]), "boot")
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


@dataclass
class HostFigures:
    """One model's figures."""
    model: str
    windows: int
    interp_windows_per_s: float
    tflm_windows_per_s: float
    tflm_windows: int            # windows TFLM was timed on (a subset when < windows)
    cold_start_s: float          # new process, on-disk Numba cache present
    tflm_start_s: float          # TFLM interpreter construction and first invoke
    identical: bool              # TFLM's outputs == the interpreter's

    @property
    def ratio(self) -> float:
        return self.interp_windows_per_s / self.tflm_windows_per_s


@dataclass
class HostBenchmark:
    figures: list[HostFigures]
    machine: dict
    versions: dict
    rounds: int
    first_start_s: float | None  # new process, empty Numba cache: compiles everything
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d", time.gmtime()))
    target: float = TARGET_RATIO

    def to_dict(self) -> dict:
        return {"figures": [dict(asdict(f), ratio=f.ratio) for f in self.figures],
                "machine": self.machine, "versions": self.versions, "rounds": self.rounds,
                "first_start_s": self.first_start_s, "date": self.date,
                "target_ratio": self.target}

    def notes(self) -> list[str]:
        notes = []
        for f in self.figures:
            if f.tflm_windows < f.windows:
                notes.append(f"{f.model}: TFLM timed on the first {f.tflm_windows} of the "
                             f"{f.windows} windows (the whole batch would exceed the time budget)")
            if not f.identical:
                notes.append(f"{f.model}: TFLM's outputs DIFFER from the interpreter's")
        if self.first_start_s is not None:
            notes.append(f"first start (new process, empty Numba cache, compiles every kernel): "
                         f"{self.first_start_s:.1f} s")
        return notes

    def _rows(self) -> list[list[str]]:
        return [[f.model, f"{f.interp_windows_per_s:,.0f}", f"{f.tflm_windows_per_s:,.1f}",
                 f"{f.ratio:.1f}x", "yes" if f.ratio >= self.target else "NO",
                 f"{f.cold_start_s:.2f} s", f"{f.tflm_start_s:.3f} s",
                 "yes" if f.identical else "NO"] for f in self.figures]

    HEADERS = ["model", "interpreter windows/s", "TFLM windows/s", "ratio", f">= {TARGET_RATIO:g}x",
               "cold start", "TFLM start", "identical outputs"]

    def machine_line(self) -> str:
        m, v = self.machine, self.versions
        return (f"{m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['system']}; "
                f"Python {v['python']}, NumPy {v['numpy']}, Numba {v['numba']}, "
                f"tflite-micro {v['tflite-micro']}")

    def to_markdown(self) -> str:
        windows = self.figures[0].windows if self.figures else 0
        lines = [
            "## Host: Numba interpreter vs TFLite Micro (`mcusim bench host`)",
            "",
            f"Boot mode, batches of {windows} random int8 windows, one process, one core, "
            f"best of {self.rounds} interleaved rounds per side; TFLM's Python interpreter "
            f"invokes window by window on the network exported by `mcusim export-tflite`. "
            f"Cold start: a new process imports mcusim, loads the file and runs one window, "
            f"Numba's on-disk cache present; TFLM start: interpreter construction and first "
            f"invoke. Target: interpreter >= {self.target:g}x TFLM.",
            "",
            "| " + " | ".join(self.HEADERS) + " |",
            "|" + "|".join("---" for _ in self.HEADERS) + "|",
            *("| " + " | ".join(row) + " |" for row in self._rows()),
            "",
            *(f"- {note}" for note in self.notes()),
            *([""] if self.notes() else []),
            f"Machine: {self.machine_line()}. Measured {self.date}.",
        ]
        return "\n".join(lines) + "\n"

    def __rich_console__(self, console, options):
        from rich.table import Table

        table = Table(title="host throughput: Numba interpreter vs TFLite Micro",
                      title_justify="left")
        for h in self.HEADERS:
            table.add_column(h, justify="left" if h == "model" else "right")
        for row in self._rows():
            table.add_row(*row)
        yield table
        for note in self.notes():
            yield f"note: {note}"
        yield f"machine: {self.machine_line()}"


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable,
            "system": f"{platform.system()} {platform.release()}"}


def versions() -> dict:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"
    return {"python": platform.python_version(), "numpy": version("numpy"),
            "numba": version("numba"), "tflite-micro": version("tflite-micro"),
            "mcusim": version("mcusim")}


def _tflm():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise ExportError("bench host needs the 'tflite-micro' package: "
                          "pip install tflite-micro") from None
    return runtime


def _cold_start(model_file: Path, windows_file: Path, cache_dir: str | None = None) -> float:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, "-c", _COLD_START, str(model_file),
                           str(windows_file)], capture_output=True, text=True, env=env,
                          check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


class _Tflm:
    """TFLM's Python interpreter on one exported network, window by window."""

    def __init__(self, tflite: bytes, shape: tuple[int, int]):
        runtime = _tflm()
        start = time.perf_counter()
        self.interpreter = runtime.Interpreter.from_bytes(tflite)
        self.shape = (1, 1, *shape)
        self.run(np.zeros((1, *shape), dtype=np.int8))
        self.start_s = time.perf_counter() - start

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        it = self.interpreter
        logits, classes = [], []
        for window in x:
            it.set_input(window.reshape(self.shape), 0)
            it.invoke()
            logits.append(np.array(it.get_output(0)).reshape(-1))
            classes.append(int(np.array(it.get_output(1)).reshape(-1)[0]))
        return np.array(logits, dtype=np.int8), np.array(classes)


def bench_model(name_or_file: str, windows: int = 256, rounds: int = 3, seed: int = 0,
                tflm_budget_s: float = 30.0, first_start: bool = False
                ) -> tuple[HostFigures, float | None]:
    """Figures of one model (an example name or a model.bin path), and with
    ``first_start`` the start time of a process with an empty Numba cache."""
    from mcusim.examples import EXAMPLES, build_example
    from mcusim.format import write_model
    from mcusim.runtime import load
    from mcusim.tflite.export import export_model

    _tflm()
    with tempfile.TemporaryDirectory(prefix="mcusim-bench-") as tmp:
        if name_or_file in EXAMPLES:
            model_file = Path(tmp) / f"{name_or_file}.bin"
            model_file.write_bytes(write_model(build_example(name_or_file)))
        else:
            model_file = Path(name_or_file)
        loaded = load(model_file)
        length, channels = loaded.input_shape
        x = np.random.default_rng(seed).integers(-128, 128, (windows, length, channels),
                                                 dtype=np.int8)
        windows_file = Path(tmp) / "window.npy"
        np.save(windows_file, x[:1])
        first_start_s = None
        if first_start:
            with tempfile.TemporaryDirectory(prefix="mcusim-numba-") as empty:
                first_start_s = _cold_start(model_file, windows_file, empty)
        cold_start = _cold_start(model_file, windows_file)

        tflm = _Tflm(export_model(loaded.model), (length, channels))
        reference = loaded.run(x, "boot")         # warm-up: boot synthesis, cache load
        probe = min(8, windows)
        t0 = time.perf_counter()
        tflm.run(x[:probe])
        per_window = (time.perf_counter() - t0) / probe
        n_tflm = windows if per_window * windows * rounds <= tflm_budget_s else \
            max(probe, min(windows, int(tflm_budget_s / rounds / per_window)))

        best_interp = best_tflm = float("inf")
        identical = True
        for _ in range(rounds):
            best_interp = min(best_interp, loaded.run(x, "boot").seconds)
            t0 = time.perf_counter()
            logits, classes = tflm.run(x[:n_tflm])
            best_tflm = min(best_tflm, time.perf_counter() - t0)
            identical &= bool(np.array_equal(logits, reference.outputs[:n_tflm])
                              and np.array_equal(classes, reference.classes[:n_tflm]))
    figures = HostFigures(loaded.name, windows, windows / best_interp, n_tflm / best_tflm,
                          n_tflm, cold_start, tflm.start_s, identical)
    return figures, first_start_s


def bench_host(models=DEFAULT_MODELS, windows: int = 256, rounds: int = 3,
               tflm_budget_s: float = 30.0, first_start: bool = True,
               progress=None) -> HostBenchmark:
    """Run :func:`bench_model` on each model (the first one also measures the
    first start, unless ``first_start`` is false); ``progress(name)`` before each."""
    figures, first_start_s = [], None
    for k, name in enumerate(models):
        if progress is not None:
            progress(name)
        f, first = bench_model(name, windows, rounds, tflm_budget_s=tflm_budget_s,
                               first_start=first_start and k == 0)
        figures.append(f)
        if k == 0:
            first_start_s = first
    return HostBenchmark(figures, machine_info(), versions(), rounds, first_start_s)


__all__ = ["HostFigures", "HostBenchmark", "bench_model", "bench_host", "machine_info",
           "versions", "DEFAULT_MODELS", "SECTION"]
