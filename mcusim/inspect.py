"""What is inside a packed model: bytes, MACs and the stored memory plans.

:class:`Report` is built from a :class:`~mcusim.model.Model` and its
:class:`~mcusim.format.accounting.Accounting`; it is plain data with a stable
JSON form (:meth:`Report.to_dict`) and renders itself with rich
(``console.print(report)``). The library never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from mcusim.errors import FormatError
from mcusim.format.accounting import Accounting
from mcusim.format.spec import CATEGORIES, MODE_NAMES, Mode, PlanKind
from mcusim.model import MemoryPlan, Model
from mcusim.plan import synth_workspace_size
from mcusim.reference.synth import synthesis_macs


def live_activation_peak(plan: MemoryPlan) -> int:
    """Most activation bytes live at one time step of a plan (where they sit aside)."""
    acts = plan.of_kind(PlanKind.ACTIVATION)
    steps = {step for e in acts for step in (e.first, e.last)}
    return max((sum(e.size for e in acts if e.first <= step <= e.last) for step in steps),
               default=0)


@dataclass(frozen=True)
class LayerRow:
    """One layer as the report shows it."""
    index: int
    name: str
    op: str
    generated: bool
    category: str
    output: tuple[int, int]
    weight_shape: tuple[int, ...] | None
    bytes: int
    macs: int
    synthesis_macs: int

    def to_dict(self) -> dict:
        return {"bytes": self.bytes, "category": self.category, "generated": self.generated,
                "index": self.index, "macs": self.macs, "name": self.name, "op": self.op,
                "output": list(self.output), "synthesis_macs": self.synthesis_macs,
                "weight_shape": None if self.weight_shape is None else list(self.weight_shape)}


@dataclass(frozen=True)
class PlanRow:
    """The stored memory plan of one synthesis mode, summarized: arena size, the
    most activation bytes live at once, and the generated-kernel buffers."""
    mode: str
    arena: int
    live_activations: int
    kernel_cache: int
    kernel_scratch: int
    synth_workspace: int
    buffers: int

    @classmethod
    def of(cls, mode: Mode, plan: MemoryPlan) -> "PlanRow":
        def total(kind: PlanKind) -> int:
            return sum(e.size for e in plan.of_kind(kind))
        return cls(MODE_NAMES[mode], plan.arena_size, live_activation_peak(plan),
                   total(PlanKind.KERNEL_CACHE), total(PlanKind.KERNEL_SCRATCH),
                   total(PlanKind.SYNTH_WORKSPACE), len(plan.entries))

    def to_dict(self) -> dict:
        return {"arena": self.arena, "buffers": self.buffers, "kernel_cache": self.kernel_cache,
                "kernel_scratch": self.kernel_scratch, "live_activations": self.live_activations,
                "synth_workspace": self.synth_workspace}


@dataclass(frozen=True)
class Report:
    """Everything ``mcusim inspect`` shows about one model file."""
    path: str | None
    name: str
    sample_rate_hz: int
    input_shape: tuple[int, int]
    n_classes: int
    accounting: Accounting
    layers: tuple[LayerRow, ...]
    plans: tuple[PlanRow, ...]
    generator: dict | None

    @classmethod
    def build(cls, model: Model, accounting: Accounting, path: str | Path | None = None
              ) -> "Report":
        rows = []
        gen_macs = {g.layer: synthesis_macs(model.generator, g.head,
                                            model.layer_weight_shape(g.layer)[0])
                    for g in model.generated}
        for i, layer in enumerate(model.layers):
            lb = accounting.by_layer[i]
            code = model.generator.d_code if layer.is_generated else 0
            out = model.tensors[layer.output]
            rows.append(LayerRow(i, layer.name, layer.op.name.lower(), layer.is_generated,
                                 layer.category if lb.total else "-", (out.length, out.channels),
                                 model.layer_weight_shape(i), lb.total + code,
                                 model.layer_macs(i), gen_macs.get(i, 0)))
        plans = tuple(PlanRow.of(mode, model.plans[mode]) for mode in (Mode.BOOT, Mode.LAZY)
                      if mode in model.plans)
        gen = None
        if model.generator is not None:
            g = model.generator
            gen = {"d_code": g.d_code, "d_emb": g.d_emb, "d_latent": g.d_latent,
                   "embedding_rows": int(g.embeddings.shape[0]),
                   "heads": [fc.out_features for fc in g.heads],
                   "mlp": [fc.out_features for fc in g.mlp],
                   "workspace": synth_workspace_size(model)}
        return cls(None if path is None else str(path), model.name, model.sample_rate_hz,
                   model.input_shape, model.n_classes, accounting, tuple(rows), plans, gen)

    @property
    def total(self) -> int:
        return self.accounting.total

    @property
    def macs(self) -> int:
        """MACs of one inference (generated kernels already in SRAM)."""
        return sum(r.macs for r in self.layers)

    @property
    def synthesis_macs(self) -> int:
        """MACs to synthesize every generated kernel once (boot; lazy pays it per inference)."""
        return sum(r.synthesis_macs for r in self.layers)

    def to_dict(self) -> dict:
        """Stable JSON-ready form; ``json.dumps(..., sort_keys=True)`` gives stable text."""
        acc = self.accounting
        return {
            "bytes": {"by_category": {k: acc.by_category[k] for k in sorted(acc.by_category)},
                      "by_layer": [lb.to_dict() for lb in acc.by_layer],
                      "compression_ratio": round(acc.compression_ratio, 6),
                      "int8_equivalent": acc.int8_equivalent,
                      "sections": [s.to_dict() for s in acc.sections],
                      "total": acc.total},
            "generator": self.generator,
            "layers": [r.to_dict() for r in self.layers],
            "macs": {"inference": self.macs, "synthesis": self.synthesis_macs,
                     "lazy_inference": self.macs + self.synthesis_macs},
            "model": {"classes": self.n_classes, "input": list(self.input_shape),
                      "name": self.name, "path": self.path,
                      "sample_rate_hz": self.sample_rate_hz},
            "plans": {p.mode: p.to_dict() for p in self.plans},
        }

    # -- rendering -----------------------------------------------------------

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        acc = self.accounting
        title = Text.assemble((self.name, "bold"), f"  {self.path}" if self.path else "")
        yield title
        t, c = self.input_shape
        yield Text(f"input {t} x {c} at {self.sample_rate_hz} Hz, {self.n_classes} classes, "
                   f"{len(self.layers)} layers, "
                   f"{sum(r.generated for r in self.layers)} generated")
        yield Text(f"{acc.total:,} bytes; INT8 equivalent {acc.int8_equivalent:,} bytes "
                   f"({acc.compression_ratio:.2f}x)")
        yield Text("")
        sections = (("bytes by category", self._categories_table()),
                    ("memory plan per synthesis mode (SRAM arena, bytes)", self._plans_table()),
                    ("compute (multiply-accumulates)", self._macs_table()),
                    ("layers", self._layers_table()))
        for i, (heading, table) in enumerate(sections):
            if i:
                yield Text("")
            yield Text(heading, style="bold")
            yield table

    def _categories_table(self) -> Table:
        acc = self.accounting
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False, show_footer=True)
        table.add_column("category", footer="total")
        table.add_column("bytes", justify="right", footer=f"{acc.total:,}")
        table.add_column("share", justify="right", footer="100.0%")
        for cat in CATEGORIES:
            n = acc.by_category.get(cat, 0)
            table.add_row(cat, f"{n:,}", f"{100 * n / acc.total:.1f}%")
        return table

    def _plans_table(self) -> Table:
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        for col in ("mode", "arena", "live activations", "kernel cache", "kernel scratch",
                    "synth workspace", "buffers"):
            table.add_column(col, justify="left" if col == "mode" else "right")
        for p in self.plans:
            table.add_row(p.mode, f"{p.arena:,}", f"{p.live_activations:,}",
                          f"{p.kernel_cache:,}", f"{p.kernel_scratch:,}",
                          f"{p.synth_workspace:,}", str(p.buffers))
        return table

    def _macs_table(self) -> Table:
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        table.add_column("what")
        table.add_column("MACs", justify="right")
        table.add_row("one inference", f"{self.macs:,}")
        if self.synthesis_macs:
            table.add_row("synthesis of every generated kernel (boot: once)",
                          f"{self.synthesis_macs:,}")
            table.add_row("lazy: synthesis + inference, every inference",
                          f"{self.macs + self.synthesis_macs:,}")
        return table

    def _layers_table(self) -> Table:
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        for col in ("#", "layer", "op", "output", "weights", "category", "bytes", "MACs",
                    "synth MACs"):
            table.add_column(col, justify="right" if col in ("#", "bytes", "MACs", "synth MACs")
                             else "left")
        for r in self.layers:
            shape = "-" if r.weight_shape is None else "x".join(map(str, r.weight_shape))
            table.add_row(str(r.index), r.name, r.op + (" (gen)" if r.generated else ""),
                          f"{r.output[0]}x{r.output[1]}", shape, r.category, f"{r.bytes:,}",
                          f"{r.macs:,}", f"{r.synthesis_macs:,}" if r.generated else "-")
        return table


def inspect_bytes(data: bytes, path: str | Path | None = None) -> Report:
    """Validate a model file's bytes (raises FormatError) and report on them."""
    from mcusim.format import account, read_model

    model = read_model(data, None if path is None else str(path))
    return Report.build(model, account(data), path)


def inspect_file(path: str | Path) -> Report:
    """Read, validate and report on the model file at ``path`` (FormatError if unreadable)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise FormatError(f"cannot read the model file: {e.strerror or e}", path=str(path)) from None
    return inspect_bytes(data, path)


__all__ = ["Report", "LayerRow", "PlanRow", "live_activation_peak", "inspect_bytes",
           "inspect_file"]
