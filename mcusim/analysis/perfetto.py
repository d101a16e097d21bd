"""A run as Chrome Trace Event JSON: opens in ui.perfetto.dev and chrome://tracing.

    doc = chrome_trace(measurement)        # a dict; json.dump it
    write_chrome_trace(measurement, "run.json")

The format (docs/trace-format.md; schema ``trace_schema.json`` beside this
module) is the JSON Object Format of the Trace Event Format: a
``traceEvents`` list and ``otherData``. One process (the part), one thread
("firmware"); every firmware phase span is a complete event (``"ph": "X"``)
whose ``ts``/``dur`` are microseconds of modelled time at the part's clock
and whose ``args`` keep the exact cycles; the SRAM samples are counter
events (``"ph": "C"``), one counter per SRAM part (``SRAM static``,
``SRAM stack``, ``SRAM activations``, ``SRAM cache/scratch``) with
``args: {"bytes": n}``, plus ``SRAM total``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

PID, TID = 1, 1
COUNTERS = ("static", "stack", "activations", "cache/scratch")
CATEGORIES = {"reset": "reset", "job": "job", "init": "init", "boot_synth": "synthesis",
              "synth_boot": "synthesis", "synth_lazy": "synthesis", "inference": "inference",
              "layer": "layer"}


def schema() -> dict:
    """The JSON Schema of the exported file."""
    return json.loads(resources.files(__package__).joinpath("trace_schema.json").read_text())


def _us(cycles: int, clock_hz: int) -> float:
    return round(cycles * 1e6 / clock_hz, 6)


def chrome_trace(m) -> dict:
    """The Trace Event document of a :class:`~mcusim.analysis.measure.Measurement` that ran."""
    from mcusim import __version__
    run = m.run
    hz = run.clock_hz
    title = f"{run.model} on {run.target} ({run.mode})"
    events: list[dict] = [
        {"name": "process_name", "ph": "M", "pid": PID, "tid": TID,
         "args": {"name": f"mcusim: {title}" + (" [what-if]" if m.what_if else "")}},
        {"name": "thread_name", "ph": "M", "pid": PID, "tid": TID,
         "args": {"name": f"firmware ({run.core} at {hz / 1e6:g} MHz)"}},
    ]
    for s in run.spans:
        if s.end is None:
            continue
        args = {"start_cycle": s.start, "cycles": s.cycles, "phase": s.phase, "index": s.index,
                "detail": s.detail}
        events.append({"name": s.label, "cat": CATEGORIES.get(s.phase, "other"), "ph": "X",
                       "ts": _us(s.start, hz), "dur": _us(s.cycles, hz), "pid": PID, "tid": TID,
                       "args": args})
    for sample in run.sram.timeline:
        values = (sample.static, sample.stack, sample.activations, sample.cache_scratch)
        for name, v in zip(COUNTERS, values):
            events.append({"name": f"SRAM {name}", "cat": "sram", "ph": "C",
                           "ts": _us(sample.cycle, hz), "pid": PID, "args": {"bytes": v}})
        events.append({"name": "SRAM total", "cat": "sram", "ph": "C",
                       "ts": _us(sample.cycle, hz), "pid": PID, "args": {"bytes": sum(values)}})
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "otherData": {
            "producer": f"mcusim {__version__}", "format": "mcusim-trace 1",
            "model": run.model, "target": run.target, "core": run.core, "clock_hz": hz,
            "mode": run.mode, "windows": run.windows, "total_cycles": run.cycles.total,
            "instructions": run.emulation.instructions,
            "sram_capacity": m.target.sram.size, "sram_peak": run.sram.peak,
            "fits": m.fits, "what_if_extra_sram": m.extra_sram, "label": m.label(),
            "time_unit": "microseconds of modelled time at clock_hz; args.cycles are exact"},
    }


def write_chrome_trace(m, path: str | Path) -> dict:
    doc = chrome_trace(m)
    Path(path).write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n")
    return doc


__all__ = ["chrome_trace", "write_chrome_trace", "schema", "COUNTERS"]
