"""Cycle-count regression: a fixed suite, a committed baseline, an exact diff.

    doc = run_suite()                       # every example model, both modes, every image
    diff = compare_baseline(json.load(open("traces/baseline.json")), doc)
    diff.changed                            # rows (run, figure, baseline, now)

The suite runs each example model (``mcusim.examples``, seed 0) in boot and
lazy mode through every target's firmware image on the first ``WINDOWS``
windows of the bundled sample, and ``mcusim bench kernels`` (cycles and
MAC/cycle per kernel shape and core). Cycle counts are deterministic, so
every figure is compared exactly: cycles per phase (reset, init, boot
synthesis and per layer, each inference, each layer of each window, lazy
synthesis per layer and window, total), instructions, SRAM (measured peak,
static, stack, arena, cache/scratch) and, per kernel, cycles per call. A
mode that does not fit a part is recorded as a misfit (which region, by how
much) and not run: the suite measures what ships. Outputs are not checked
against the interpreter here (the emulator's tests do that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rich import box
from rich.table import Table
from rich.text import Text

FORMAT = "mcusim-baseline 1"
WINDOWS = 2
MODES = ("boot", "lazy")


def _firmware_hashes() -> dict:
    from ..emu.firmware import IMAGES
    try:
        man = json.loads((IMAGES / "manifest.json").read_text())
    except FileNotFoundError:
        return {}
    return {name: img.get("sha256", "") for name, img in sorted(man.get("images", {}).items())}


def run_entry(m) -> dict:
    """One suite run as plain data (a measured run, or a misfit)."""
    if m.run is None:
        return {"fits": False, "reason": m.not_measured,
                "regions": {r.region: {"used": r.used, "capacity": r.capacity}
                            for r in m.regions if not r.fits}}
    c, s = m.run.cycles, m.run.sram
    cycles = {"total": c.total, "reset": sum(x.cycles for x in m.run.spans
                                              if x.phase == "reset" and x.end is not None),
              "init": c.init, "job": c.job, "boot_synthesis": c.boot_synthesis}
    for i, v in enumerate(c.inferences):
        cycles[f"inference {i}"] = v
    for layer, v in sorted(c.boot_synthesis_layers.items()):
        cycles[f"boot synthesis layer {layer}"] = v
    for layer, vs in sorted(c.layers.items()):
        for w, v in enumerate(vs):
            cycles[f"layer {layer} window {w}"] = v
    for layer, vs in sorted(c.lazy_synthesis_layers.items()):
        for w, v in enumerate(vs):
            cycles[f"lazy synthesis layer {layer} window {w}"] = v
    return {"fits": True, "instructions": m.run.emulation.instructions, "cycles": cycles,
            "sram": {"peak": s.peak, "static": s.static, "stack": s.stack_peak,
                     "arena": s.arena_measured, "cache_scratch": s.cache_scratch,
                     "workspace": s.workspace}}


def suite_jobs(models=None, targets=None) -> list[tuple[str, str, str]]:
    from ..examples import example_names
    from ..targets import target_names
    return [(mo, t, mode) for mo in (models or example_names())
            for t in (targets or target_names()) for mode in MODES]


def run_suite(models=None, targets=None, windows: int = WINDOWS, kernels: bool = True,
              progress=None) -> dict:
    """Run the suite; the baseline document. ``progress(what, phase, insn, cycles)``
    and ``progress(what, None, 0, 0)`` when a job starts."""
    from ..examples import build_example
    from .measure import job_windows, measure
    runs: dict[str, dict] = {}
    built: dict[str, object] = {}
    source = ""
    for name, target, mode in suite_jobs(models, targets):
        if name not in built:
            built[name] = build_example(name)
        model = built[name]
        x, source = job_windows(model, None, windows)
        key = f"{name}/{target}/{mode}"
        cb = None
        if progress is not None:
            progress(key, None, 0, 0)
            cb = (lambda ph, i, c, key=key: progress(key, ph, i, c))
        m = measure(model, x, target=target, mode=mode, what_if=False, verify=False, progress=cb)
        runs[key] = run_entry(m)
    doc = {"format": FORMAT, "windows": windows, "input": source,
           "models": sorted({k.split("/")[0] for k in runs}), "firmware": _firmware_hashes(),
           "runs": runs}
    if kernels:
        from ..bench.kernels import bench_kernels
        if progress is not None:
            progress("bench kernels", None, 0, 0)
        kb = bench_kernels()
        doc["kernels"] = {f"{r.core}/{r.op}/{r.shape}": {"cycles": r.cycles, "macs": r.macs,
                                                          "macs_per_cycle": round(r.macs_per_cycle, 4)}
                          for r in kb.rows}
        doc["synthesis"] = {f"{s['core']}/{s['model']}": {"cycles": s["cycles"],
                                                           "weights": s["weights"]}
                            for s in kb.synthesis}
    return doc


def _flatten(doc: dict) -> dict[tuple[str, str], object]:
    out: dict[tuple[str, str], object] = {}
    for key, e in doc.get("runs", {}).items():
        out[(key, "fits")] = e.get("fits")
        if not e.get("fits"):
            for region, v in e.get("regions", {}).items():
                out[(key, f"{region} needed")] = v.get("used")
            continue
        out[(key, "instructions")] = e.get("instructions")
        for k, v in e.get("cycles", {}).items():
            out[(key, f"cycles: {k}")] = v
        for k, v in e.get("sram", {}).items():
            out[(key, f"SRAM {k}")] = v
    for key, e in doc.get("kernels", {}).items():
        out[(f"kernel {key}", "cycles")] = e.get("cycles")
        out[(f"kernel {key}", "MAC/cycle")] = e.get("macs_per_cycle")
    for key, e in doc.get("synthesis", {}).items():
        out[(f"synthesis {key}", "cycles")] = e.get("cycles")
    return out


@dataclass(frozen=True)
class DiffRow:
    run: str
    figure: str
    baseline: object
    now: object

    @property
    def delta(self):
        if isinstance(self.baseline, (int, float)) and isinstance(self.now, (int, float)) \
                and not isinstance(self.baseline, bool) and not isinstance(self.now, bool):
            return self.now - self.baseline
        return None

    @property
    def percent(self) -> float | None:
        d = self.delta
        if d is None or not self.baseline:
            return None
        return 100.0 * d / self.baseline

    def to_dict(self) -> dict:
        return {"run": self.run, "figure": self.figure, "baseline": self.baseline,
                "now": self.now, "delta": self.delta,
                "percent": None if self.percent is None else round(self.percent, 4)}


@dataclass
class BaselineDiff:
    """The figures that differ between a baseline and a fresh run."""
    path: str
    compared: int
    changed: list[DiffRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    updated: bool = False           # the baseline file was rewritten
    created: bool = False           # there was no baseline before

    @property
    def ok(self) -> bool:
        return not self.changed

    def to_dict(self) -> dict:
        return {"baseline": self.path, "compared": self.compared, "ok": self.ok,
                "updated": self.updated, "changed": [r.to_dict() for r in self.changed],
                "notes": self.notes}

    max_rows: int = 60

    def __rich_console__(self, console, options):
        for n in self.notes:
            yield Text(f"note: {n}")
        if self.created:
            yield Text(f"{self.path}: new baseline with {self.compared:,} figures")
            return
        if self.ok:
            yield Text(f"{self.path}: all {self.compared:,} figures equal the baseline")
            return
        verb = "changed (baseline rewritten)" if self.updated else "differ from the baseline"
        yield Text(f"{self.path}: {len(self.changed):,} of {self.compared:,} figures {verb}")
        t = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        for col, just in (("run", "left"), ("phase", "left"), ("baseline", "right"),
                          ("now", "right"), ("delta", "right"), ("%", "right")):
            t.add_column(col, justify=just, overflow="fold")

        def fmt(v):
            if v is None:
                return "-"
            if isinstance(v, bool):
                return "fits" if v else "misfit"
            return f"{v:,}" if isinstance(v, int) else str(v)
        for r in self.changed[: self.max_rows]:
            d, p = r.delta, r.percent
            t.add_row(r.run, r.figure, fmt(r.baseline), fmt(r.now),
                      "" if d is None else (f"{d:+,}" if isinstance(d, int) else f"{d:+.4f}"),
                      "" if p is None else f"{p:+.2f}")
        yield t
        if len(self.changed) > self.max_rows:
            yield Text(f"... and {len(self.changed) - self.max_rows:,} more (--json lists all)")


def compare_baseline(baseline: dict, now: dict, path: str = "baseline") -> BaselineDiff:
    """Every figure of `now` against `baseline`, exactly."""
    a, b = _flatten(baseline), _flatten(now)
    rows = [DiffRow(k[0], k[1], a.get(k), b.get(k)) for k in _ordered(a, b)
            if a.get(k) != b.get(k)]
    diff = BaselineDiff(path, len(set(a) | set(b)), rows)
    if baseline.get("format") != FORMAT:
        diff.notes.append(f"baseline format {baseline.get('format')!r}, expected {FORMAT!r}")
    if baseline.get("windows") != now.get("windows"):
        diff.notes.append(f"windows per run: baseline {baseline.get('windows')}, "
                          f"now {now.get('windows')}")
    fa, fb = baseline.get("firmware", {}), now.get("firmware", {})
    changed = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
    if changed:
        diff.notes.append(f"firmware images differ from the baseline's: {', '.join(changed)}")
    return diff


def _ordered(a: dict, b: dict) -> list:
    seen, out = set(), []
    for k in list(b) + list(a):
        if k not in seen:
            seen.add(k)
            out.append(k)
    return out


def write_baseline(doc: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def subset(doc: dict, models) -> dict:
    """The part of a baseline about `models` (their runs; no kernel figures)."""
    keep = set(models)
    out = {k: v for k, v in doc.items() if k not in ("runs", "kernels", "synthesis", "models")}
    out["runs"] = {k: v for k, v in doc.get("runs", {}).items() if k.split("/")[0] in keep}
    out["models"] = sorted(keep)
    return out


def check(path: str | Path, update: bool = False, progress=None, models=None) -> BaselineDiff:
    """Run the suite and compare it with the baseline at `path`; with `update`,
    rewrite the baseline (a missing one is created). ``models``: only those
    example models' runs (no kernel figures); an update then replaces just them."""
    path = Path(path)
    now = run_suite(progress=progress, models=models, kernels=models is None)
    if path.exists():
        full = json.loads(path.read_text())
    elif update:
        full = {}
    else:
        from ..errors import McusimError
        raise McusimError(f"{path}: no baseline (create it with --update)")
    baseline = subset(full, models) if models and full else full
    if models and full:
        merged = {**full, "runs": {**{k: v for k, v in full.get("runs", {}).items()
                                      if k.split("/")[0] not in set(models)}, **now["runs"]},
                  "firmware": now["firmware"]}
        merged["models"] = sorted({k.split("/")[0] for k in merged["runs"]})
    else:
        merged = now
    if not baseline:
        diff = BaselineDiff(str(path), len(_flatten(now)), created=True)
    else:
        diff = compare_baseline(baseline, now, str(path))
    if update:
        write_baseline(merged, path)
        diff.updated = True
    return diff


__all__ = ["run_suite", "run_entry", "subset", "compare_baseline", "check", "write_baseline",
           "BaselineDiff", "DiffRow", "WINDOWS", "FORMAT"]
