"""Boot vs lazy synthesis on a part, both measured in the emulator (``mcusim compare``).

    c = compare_modes("model.bin", windows, target="nrf52840")
    c.boot, c.lazy                 # Measurement each (mcusim.analysis.measure)
    c.break_even                   # inferences after which boot has paid for itself
    console.print(c)               # the side-by-side table and the verdicts

Definitions (docs/analysis.md):

* **setup**: cycles from reset to the start of the first inference (reset
  handler, model validation with its CRC, and in boot mode the synthesis of
  every generated kernel);
* **per inference**: mean cycles of an INFERENCE span (lazy: synthesis
  included);
* **first-inference latency**: reset to the end of the first inference;
* **break-even**: the smallest n for which boot's setup + n x per-inference
  is at most lazy's; none when boot is not faster per inference;
* **energy per inference**: :mod:`mcusim.analysis.energy` (an estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

from .energy import MODEL as ENERGY_MODEL
from .energy import EnergyModel, format_joules
from .measure import Measurement, measure

MODES = ("boot", "lazy")


def setup_cycles(m: Measurement) -> int | None:
    """Reset to the start of the first inference (None: not measured or no window)."""
    if m.run is None:
        return None
    first = [s for s in m.run.spans if s.phase == "inference" and s.end is not None]
    return first[0].start if first else None


def first_latency(m: Measurement) -> int | None:
    """Reset to the end of the first inference."""
    if m.run is None:
        return None
    first = [s for s in m.run.spans if s.phase == "inference" and s.end is not None]
    return first[0].end if first else None


def per_inference(m: Measurement) -> float | None:
    if m.run is None or not m.run.cycles.inferences:
        return None
    return m.run.cycles.per_inference


def break_even(boot: Measurement, lazy: Measurement) -> int | None:
    """Inferences after which boot's total is at most lazy's (None: never, or unknown)."""
    b0, l0 = setup_cycles(boot), setup_cycles(lazy)
    b, l_ = per_inference(boot), per_inference(lazy)
    if None in (b0, l0, b, l_):
        return None
    if b0 <= l0:
        return 1
    if l_ <= b:
        return None
    return max(1, math.ceil((b0 - l0) / (l_ - b)))


def short_verdict(m: Measurement) -> str:
    """One cell: "fits (12.3% SRAM free)" or "NO FIT: SRAM +1,234 B (+6.0%)"."""
    if m.fits:
        tight = min(m.regions, key=lambda r: r.percent)
        return f"fits ({tight.percent:.1f}% {tight.region} free)"
    worst = [r for r in m.regions if not r.fits] or [m.sram]
    return "NO FIT: " + ", ".join(f"{r.region} +{-r.margin:,} B (+{-r.percent:.1f}%)"
                                  for r in worst)


@dataclass
class Comparison:
    """Boot and lazy measurements of one model on one part."""
    model: str
    boot: Measurement
    lazy: Measurement
    source: str = ""                 # where the windows came from

    @property
    def target(self):
        return self.boot.target

    @property
    def energy(self) -> EnergyModel:
        return EnergyModel.of(self.target)

    @property
    def break_even(self) -> int | None:
        return break_even(self.boot, self.lazy)

    def mode(self, name: str) -> Measurement:
        return self.boot if name == "boot" else self.lazy

    def fits(self, require: str = "both") -> bool:
        """Does the model fit, for ``require`` in both, any, boot, lazy?"""
        if require == "both":
            return self.boot.fits and self.lazy.fits
        if require == "any":
            return self.boot.fits or self.lazy.fits
        return self.mode(require).fits

    def to_dict(self) -> dict:
        e = self.energy
        out = {"model": self.model, "target": self.target.name, "core": self.target.core,
               "clock_hz": self.target.clock_hz, "windows_source": self.source,
               "break_even_inferences": self.break_even, "energy_model": e.to_dict(),
               "modes": {}}
        for name in MODES:
            m = self.mode(name)
            d = m.to_dict()
            pi, su, fl = per_inference(m), setup_cycles(m), first_latency(m)
            d["summary"] = {
                "boot_synthesis_cycles": m.run.cycles.boot_synthesis if m.run else None,
                "setup_cycles": su, "per_inference_cycles": pi,
                "first_inference_cycles": fl,
                "per_inference_s": None if pi is None else m.seconds(pi),
                "first_inference_s": None if fl is None else m.seconds(fl),
                "boot_synthesis_s": m.seconds(m.run.cycles.boot_synthesis) if m.run else None,
                "sram_peak": m.run.sram.peak if m.run else None,
                "energy_per_inference_j": None if pi is None else e.joules(pi),
                "energy_is_estimate": True, "energy_figure_verified": e.verified,
                "verdict": "fits" if m.fits else "does not fit",
                "label": m.label()}
            out["modes"][name] = d
        return out

    # ---- rendering ---------------------------------------------------------------
    def __rich_console__(self, console, options):
        t = self.target
        yield Text(f"{self.model} on {t.name} ({t.part}: {t.core} at {t.clock_hz / 1e6:g} MHz, "
                   f"{t.sram.size:,} B SRAM, {t.flash.size:,} B flash); "
                   f"{self.boot.windows} window(s){', ' + self.source if self.source else ''}")
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        table.add_column("")
        for name in MODES:
            m = self.mode(name)
            head = name + (" (what-if)" if m.what_if else "") + \
                (" (not run)" if m.run is None else "")
            table.add_column(head, justify="right")

        def row(label, fn, end_section=False):
            table.add_row(label, *(fn(self.mode(n)) for n in MODES), end_section=end_section)

        def cyc(fn):
            return lambda m: "-" if m.run is None or fn(m) is None else f"{fn(m):,.0f}"

        def ms(fn):
            return lambda m: "-" if m.run is None or fn(m) is None \
                else f"{m.seconds(fn(m)) * 1e3:,.3f} ms"

        def sram(attr):
            return lambda m: f"{getattr(m.run.sram, attr):,}" if m.run else "-"

        row("flash used / part", lambda m: f"{m.flash.used:,} / {m.flash.capacity:,}")
        row("  firmware + model", lambda m: " + ".join(f"{v:,}" for _, v in m.flash.parts),
            end_section=True)
        row("SRAM peak (measured)", sram("peak"))
        row("  static", sram("static"))
        row("  stack", sram("stack_peak"))
        row("  arena", lambda m: f"{m.run.sram.arena_measured:,}" if m.run
            else f"{m.arena_planned:,} (plan)")
        row("  in it: cache/scratch",
            lambda m: f"{m.run.sram.cache_scratch + m.run.sram.workspace:,}" if m.run else "-")
        row("SRAM needed / part", lambda m: f"{m.sram.used:,} / {m.sram.capacity:,}",
            end_section=True)

        def boot_synth(m):
            return m.run.cycles.boot_synthesis
        row("boot synthesis (cycles)", cyc(boot_synth))
        row("  ms", ms(boot_synth))
        row("per inference (cycles)", cyc(per_inference))
        row("  ms", ms(per_inference))
        row("first inference (cycles)", cyc(first_latency))
        row("  ms, from reset", ms(first_latency))
        row("energy/inference (est.)",
            lambda m: format_joules(self.energy.joules(per_inference(m)))
            if per_inference(m) is not None else "-", end_section=True)

        def region(i):
            def cell(m):
                r = m.regions[i]
                if r.fits:
                    return f"{r.margin:,} B ({r.percent:.1f}%) free"
                return f"{-r.margin:,} B ({-r.percent:.1f}%) OVER"
            return cell
        for i, name in enumerate(("flash", "model partition", "SRAM")):
            row(name, region(i))
        row("verdict", lambda m: "fits" if m.fits else "DOES NOT FIT")
        yield table
        be = self.break_even
        if be is not None:
            yield Text(f"break-even: boot has paid for its synthesis after {be:,} inference(s)")
        elif self.boot.run is not None and self.lazy.run is not None and self.boot.windows:
            yield Text("break-even: never (boot is not faster per inference)")
        else:
            yield Text("break-even: not known (a mode was not measured or no window ran)")
        for name in MODES:
            m = self.mode(name)
            if m.run is None or m.what_if:
                yield Text(f"{name}: {m.label()}")
            if m.run is not None and m.run.verified is False:
                yield Text(f"{name}: outputs DIFFER from the host interpreter: {m.run.mismatch}")
        e = self.energy
        yield Text(f"energy is an estimate: {ENERGY_MODEL}; {e.describe()} "
                   f"({e.current_source})")
        checked = [n for n in MODES if self.mode(n).run is not None
                   and self.mode(n).run.verified]
        if checked:
            yield Text(f"outputs equal the host interpreter's, byte for byte ({', '.join(checked)})")


@dataclass
class TargetMatrix:
    """Boot vs lazy of one model on every part (``--all-targets``)."""
    model: str
    comparisons: list[Comparison]

    def to_dict(self) -> dict:
        return {"model": self.model, "targets": [c.to_dict() for c in self.comparisons]}

    def __rich_console__(self, console, options):
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False,
                      title=f"{self.model}: boot vs lazy on every part", title_justify="left")
        for col, just in (("part", "left"), ("core", "left"), ("boot", "left"), ("lazy", "left"),
                          ("boot ms", "right"), ("lazy ms", "right"),
                          ("synth ms", "right"), ("break-even", "right")):
            table.add_column(col, justify=just, no_wrap=col in ("part", "core"))
        table.caption = ("ms: per inference at the part's clock; synth: boot synthesis; "
                         "break-even: inferences after which boot has paid for itself")
        table.caption_justify = "left"
        for c in self.comparisons:
            def ms(m, cyc):
                return "-" if cyc is None else f"{m.seconds(cyc) * 1e3:,.2f}" + \
                    ("*" if m.what_if else "")
            be = c.break_even
            core = c.target.core.replace("cortex-", "").upper().replace("PLUS", "+")
            table.add_row(c.target.name, f"{core} {c.target.clock_hz / 1e6:g} MHz",
                          short_verdict(c.boot), short_verdict(c.lazy),
                          ms(c.boot, per_inference(c.boot)), ms(c.lazy, per_inference(c.lazy)),
                          ms(c.boot, c.boot.run.cycles.boot_synthesis if c.boot.run else None),
                          "-" if be is None else f"{be:,}")
        yield table
        if any(m.what_if for c in self.comparisons for m in (c.boot, c.lazy)):
            yield Text("* does not fit: measured with extra SRAM the part does not have "
                       "(what-if run)")
        if any(m.run is None for c in self.comparisons for m in (c.boot, c.lazy)):
            yield Text("- not measured: the model is larger than the image's model partition")


def compare_modes(model, windows, *, target: str, progress=None, what_if: bool = True,
                  source: str = "") -> Comparison:
    """Measure boot and lazy of `model` on `target` (see the module doc).
    ``progress(mode, phase, instructions, cycles)``."""
    ms = {}
    for name in MODES:
        cb = None if progress is None else (lambda ph, i, c, name=name: progress(name, ph, i, c))
        ms[name] = measure(model, windows, target=target, mode=name, what_if=what_if,
                           progress=cb)
    return Comparison(ms["boot"].model, ms["boot"], ms["lazy"], source)


__all__ = ["Comparison", "TargetMatrix", "compare_modes", "break_even", "setup_cycles",
           "first_latency", "per_inference", "short_verdict"]
