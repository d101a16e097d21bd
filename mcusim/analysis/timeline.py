"""The SRAM timeline of a run, drawn in the terminal (``mcusim trace``).

    tl = SramTimeline.of(measurement)      # or SramTimeline.of_run(run, capacity=...)
    console.print(tl)                      # chart, phase bands, peak, per-phase table

The chart is a stacked area over modelled time: static data, stack,
activations, generated-kernel cache/scratch (with the synthesis workspace),
bottom to top, from the samples the emulator takes at every trace marker
(docs/emulator.md). Each column covers an equal slice of cycles and shows the
highest sample in it, so a short peak is never averaged away. Beneath it, two
phase bands: the job's phases (reset, init, boot synthesis, each inference)
and the layers (each layer, boot synthesis per layer, lazy synthesis). The
peak is marked with a triangle and named. The part's SRAM is drawn as a line
when the run needs more than the part has (a what-if run). Glyphs differ per
part, so the chart reads without colour (NO_COLOR).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

#: (name, glyph, style), bottom to top of the stack
PARTS = (("static", "▓", "bright_black"), ("stack", "▒", "red"),
         ("activations", "░", "cyan"), ("cache/scratch", "█", "yellow"))
TOP_PHASES = ("reset", "init", "boot_synth", "inference")
LAYER_PHASES = ("synth_boot", "layer", "synth_lazy")
AXIS = 10           # columns left of the chart: y labels and the axis line


def format_bytes(n: float) -> str:
    if n < 10_000:
        return f"{n:,.0f} B"
    if n < 1_000_000:
        return f"{n / 1e3:.1f} kB"
    return f"{n / 1e6:.2f} MB"


@dataclass(frozen=True)
class Point:
    cycle: int
    phase: str
    parts: tuple[int, int, int, int]      # static, stack, activations, cache/scratch

    @property
    def total(self) -> int:
        return sum(self.parts)


@dataclass(frozen=True)
class Band:
    start: int
    end: int
    label: str
    short: str
    kind: str


@dataclass
class SramTimeline:
    """A run's SRAM samples and phase spans, ready to draw."""
    title: str
    clock_hz: int
    total_cycles: int
    points: list[Point]
    phases: list[Band]           # job-level phases
    layers: list[Band]           # layers and synthesis per layer
    capacity: int                # the part's SRAM region
    note: str = ""               # e.g. the what-if label
    height: int = 12

    @classmethod
    def of(cls, m, height: int = 12) -> "SramTimeline":
        """From a :class:`~mcusim.analysis.measure.Measurement` that ran."""
        note = m.label() if m.what_if else ""
        return cls.of_run(m.run, capacity=m.target.sram.size, note=note, height=height)

    @classmethod
    def of_run(cls, run, capacity: int, note: str = "", height: int = 12) -> "SramTimeline":
        points = [Point(s.cycle, s.phase, (s.static, s.stack, s.activations, s.cache_scratch))
                  for s in run.sram.timeline]
        phases, layers = [], []
        for s in run.spans:
            if s.end is None:
                continue
            if s.phase in TOP_PHASES:
                short = {"reset": "r", "init": "init", "boot_synth": "boot synth",
                         "inference": f"#{s.index}"}[s.phase]
                phases.append(Band(s.start, s.end, s.label, short, s.phase))
            elif s.phase in LAYER_PHASES:
                short = ("s" if s.phase != "layer" else "") + str(s.index)
                layers.append(Band(s.start, s.end, s.label, short, s.phase))
        title = (f"SRAM over time: {run.model} on {run.target} ({run.core} at "
                 f"{run.clock_hz / 1e6:g} MHz), {run.mode} mode, {run.windows} window(s)")
        return cls(title, run.clock_hz, run.cycles.total, points, phases, layers, capacity,
                   note, height)

    # ---- figures -----------------------------------------------------------------
    @property
    def peak(self) -> Point:
        return max(self.points, key=lambda p: (p.total, -p.cycle))

    def ms(self, cycles: float) -> float:
        return cycles / self.clock_hz * 1e3

    def columns(self, width: int) -> list[Point | None]:
        """The highest sample in each of `width` equal slices of time (the value
        held from the previous sample counts at the slice's start)."""
        end = max(self.total_cycles, 1)
        out: list[Point | None] = []
        pts = sorted(self.points, key=lambda p: p.cycle)
        j, held = 0, None
        for x in range(width):
            hi = end * (x + 1) / width
            best = held
            while j < len(pts) and pts[j].cycle < hi:
                if best is None or pts[j].total > best.total:
                    best = pts[j]
                held = pts[j]
                j += 1
            out.append(best)
        return out

    def per_phase(self) -> list[dict]:
        """Job-level phases: start, cycles, share of the run, highest SRAM sampled."""
        rows = []
        for b in self.phases:
            inside = [p.total for p in self.points if b.start <= p.cycle <= b.end]
            rows.append({"phase": b.label, "start_cycle": b.start, "cycles": b.end - b.start,
                         "percent": 100.0 * (b.end - b.start) / max(self.total_cycles, 1),
                         "sram_max": max(inside, default=0)})
        return rows

    def per_layer(self) -> list[dict]:
        """Per layer: mean cycles per window, synthesis cycles, highest SRAM sampled."""
        acc: dict[int, dict] = {}
        for b in self.layers:
            idx = int(b.short.lstrip("s"))
            r = acc.setdefault(idx, {"layer": idx, "cycles": [], "synth": [], "sram_max": 0})
            (r["cycles"] if b.kind == "layer" else r["synth"]).append(b.end - b.start)
            inside = [p.total for p in self.points if b.start <= p.cycle <= b.end]
            r["sram_max"] = max([r["sram_max"], *inside])
        out = []
        for idx in sorted(acc):
            r = acc[idx]
            out.append({"layer": idx,
                        "cycles": round(sum(r["cycles"]) / len(r["cycles"])) if r["cycles"] else 0,
                        "synthesis": round(sum(r["synth"]) / len(r["synth"])) if r["synth"] else 0,
                        "sram_max": r["sram_max"]})
        return out

    def to_dict(self) -> dict:
        pk = self.peak
        return {"title": self.title, "clock_hz": self.clock_hz, "total_cycles": self.total_cycles,
                "capacity": self.capacity, "note": self.note,
                "peak": {"cycle": pk.cycle, "phase": pk.phase, "total": pk.total,
                         **dict(zip([p[0] for p in PARTS], pk.parts))},
                "samples": [{"cycle": p.cycle, "phase": p.phase,
                             **dict(zip([q[0] for q in PARTS], p.parts))} for p in self.points],
                "phases": self.per_phase(), "layers": self.per_layer()}

    # ---- drawing -----------------------------------------------------------------
    def chart(self, width: int) -> list[Text]:
        """The chart, the peak marker, the axis and the bands: one Text per line."""
        w = max(10, width - AXIS)
        cols = self.columns(w)
        pk = self.peak
        ymax = max(pk.total, 1)
        over = self.capacity < ymax
        h = self.height
        cap_row = int(self.capacity / ymax * h) if over else None
        lines: list[Text] = []
        end = max(self.total_cycles, 1)
        px = min(w - 1, int(pk.cycle / end * w))
        label = f"peak {format_bytes(pk.total)}: {pk.phase}"
        marker = Text(" " * AXIS)
        if px + 2 + len(label) <= w:
            marker.append(" " * px + "▼ " + label)
        elif px - len(label) - 1 >= 0:
            marker.append(" " * (px - len(label) - 1) + label + " ▼")
        else:
            at = max(0, min(px, w - len(label)))
            lines.append(Text(" " * (AXIS + at) + label[:w]))
            marker.append(" " * px + "▼")
        lines.append(marker)
        for r in range(h - 1, -1, -1):
            y = (r + 0.5) * ymax / h
            if r == cap_row:
                axis = format_bytes(self.capacity).rjust(AXIS - 2) + " ┼"
            elif r == h - 1:
                axis = format_bytes(ymax).rjust(AXIS - 2) + " ┤"
            elif r == h // 2:
                axis = format_bytes(ymax * (r + 1) / h).rjust(AXIS - 2) + " ┤"
            else:
                axis = " " * (AXIS - 1) + "│"
            line = Text(axis)
            for c in cols:
                glyph, style = " ", ""
                if c is not None:
                    acc = 0
                    for (name, g, st), v in zip(PARTS, c.parts):
                        acc += v
                        if y <= acc:
                            glyph, style = g, st
                            break
                if cap_row is not None and r == cap_row:
                    glyph, style = "┄", "bold red"
                line.append(glyph, style=style or None)
            lines.append(line)
        lines.append(Text(" " * (AXIS - 1) + "└" + "─" * w))
        t0, t1 = "0 ms", f"{self.ms(end):,.1f} ms"
        mid = f"{self.ms(end / 2):,.1f} ms"
        axis = [" "] * w
        for text, at in ((t0, 0), (mid, w // 2 - len(mid) // 2), (t1, w - len(t1))):
            for i, ch in enumerate(text):
                if 0 <= at + i < w:
                    axis[at + i] = ch
        lines.append(Text(" " * AXIS + "".join(axis)))
        lines.append(self._band("phases", self.phases, w, end))
        lines.append(self._band("layers", self.layers, w, end))
        return lines

    def _band(self, name: str, bands: list[Band], w: int, end: int) -> Text:
        cells: list[tuple[str, str | None]] = [(" ", None)] * w
        fills = {"reset": ("·", "·"), "init": ("╌", "╌"), "boot_synth": ("≈", "≈"),
                 "inference": ("━", "─"), "layer": ("━", "─"), "synth_boot": ("≈", "~"),
                 "synth_lazy": ("≈", "~")}
        styles = {"boot_synth": "magenta", "synth_boot": "magenta", "synth_lazy": "magenta",
                  "inference": "green", "layer": "blue"}
        count: dict[str, int] = {}
        for b in bands:
            lo = int(b.start / end * w)
            hi = max(lo + 1, int(b.end / end * w))
            k = count.get(b.kind, 0)
            count[b.kind] = k + 1
            glyph = fills.get(b.kind, ("─", "─"))[k % 2]
            for x in range(lo, min(hi, w)):
                cells[x] = (glyph, styles.get(b.kind))
            text = b.label if hi - lo >= len(b.label) + 2 else b.short
            if hi - lo >= len(text) + 2:
                at = lo + (hi - lo - len(text)) // 2
                for i, ch in enumerate(text):
                    cells[at + i] = (ch, styles.get(b.kind))
        line = Text(name.rjust(AXIS - 1) + " ")
        for ch, st in cells:
            line.append(ch, style=st)
        return line

    def __rich_console__(self, console, options):
        width = options.max_width
        yield Text(self.title)
        if self.note:
            yield Text(self.note, style="bold red")
        yield from self.chart(width)
        legend = Text(" " * AXIS)
        for name, glyph, style in PARTS:
            legend.append(glyph * 2, style=style)
            legend.append(f" {name}  ")
        if self.capacity < self.peak.total:
            legend.append("┄┄", style="bold red")
            legend.append(" part's SRAM")
        yield legend
        yield Text("bands: ≈~ synthesis, ━─ alternate, #n inference n, sN synthesis of layer N")
        pk = self.peak
        parts = " + ".join(f"{n} {v:,}" for (n, _, _), v in zip(PARTS, pk.parts))
        yield Text(f"peak: {pk.total:,} B at cycle {pk.cycle:,} ({self.ms(pk.cycle):,.3f} ms), "
                   f"{pk.phase}: {parts}")
        cap = f"part's SRAM: {self.capacity:,} B"
        if pk.total <= self.capacity:
            cap += f" (the peak uses {100 * pk.total / self.capacity:.1f}%)"
        else:
            cap += f" (the peak is {pk.total - self.capacity:,} B over)"
        yield Text(cap)
        yield Text("phases")
        t = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        for col in ("phase", "start ms", "cycles", "ms", "%", "SRAM max"):
            t.add_column(col, justify="left" if col == "phase" else "right")
        for r in self.per_phase():
            t.add_row(r["phase"], f"{self.ms(r['start_cycle']):,.3f}", f"{r['cycles']:,}",
                      f"{self.ms(r['cycles']):,.3f}", f"{r['percent']:.1f}",
                      f"{r['sram_max']:,}")
        yield t
        layers = self.per_layer()
        if layers:
            yield Text("layers: cycles per window (mean); synthesis: boot once, lazy per window")
            lt = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
            for col in ("layer", "cycles", "synthesis", "SRAM max"):
                lt.add_column(col, justify="right")
            for r in layers:
                lt.add_row(str(r["layer"]), f"{r['cycles']:,}",
                           f"{r['synthesis']:,}" if r["synthesis"] else "",
                           f"{r['sram_max']:,}")
            yield lt


__all__ = ["SramTimeline", "Point", "Band", "PARTS", "format_bytes"]
