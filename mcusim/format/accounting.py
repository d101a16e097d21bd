"""Exact byte accounting of a model file: every byte in one named category.

The header, the section table and the padding between sections are
"metadata/overhead"; every other byte is the category of the section it is in
(`spec.CATEGORY`), so the categories sum to the file length. The INT8
equivalent is the packed size of the same model with every generated PW layer
stored as INT8 instead (no generator, heads or codes), measured by writing it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .spec import CATEGORIES

OVERHEAD = "metadata/overhead"


@dataclass(frozen=True)
class SectionBytes:
    """One section: its kind, category, place and length in the file."""
    kind: str
    category: str
    offset: int
    length: int

    def to_dict(self) -> dict:
        return {"category": self.category, "kind": self.kind, "length": self.length,
                "offset": self.offset}


@dataclass(frozen=True)
class LayerBytes:
    """Bytes of one layer's arrays by kind. `category` is where weights, bias and
    requantization (multipliers + shifts) are counted; `scales` (float32, host only)
    are in the SCALES section, i.e. metadata/overhead. Generated layers store no weights."""
    index: int
    name: str
    op: str
    category: str
    generated: bool
    weights: int
    bias: int
    requant: int
    scales: int

    @property
    def total(self) -> int:
        return self.weights + self.bias + self.requant + self.scales

    def to_dict(self) -> dict:
        return {"bias": self.bias, "category": self.category, "generated": self.generated,
                "index": self.index, "name": self.name, "op": self.op, "requant": self.requant,
                "scales": self.scales, "total": self.total, "weights": self.weights}


@dataclass(frozen=True)
class Accounting:
    """Where the bytes of a model file go (see module docstring)."""
    total: int
    by_category: dict[str, int]
    sections: tuple[SectionBytes, ...]
    by_layer: tuple[LayerBytes, ...]
    int8_equivalent: int

    @property
    def compression_ratio(self) -> float:
        """INT8-equivalent size over actual size (> 1 means the file is smaller)."""
        return self.int8_equivalent / self.total

    @property
    def host_only(self) -> int:
        """Bytes the firmware never reads (the float32 scales of the SCALES section),
        counted under metadata/overhead."""
        return sum(s.length for s in self.sections if s.kind == "scales")

    def to_dict(self) -> dict:
        """JSON-friendly, keys sorted, lists in file / layer order."""
        return {
            "by_category": {k: self.by_category[k] for k in sorted(self.by_category)},
            "by_layer": [layer.to_dict() for layer in self.by_layer],
            "compression_ratio": round(self.compression_ratio, 6),
            "host_only": self.host_only,
            "int8_equivalent": self.int8_equivalent,
            "sections": [s.to_dict() for s in self.sections],
            "total": self.total,
        }

    def __rich_console__(self, console, options):
        from rich.table import Table

        table = Table(title="bytes by category", title_justify="left")
        table.add_column("category")
        table.add_column("bytes", justify="right")
        table.add_column("share", justify="right")
        for cat in CATEGORIES:
            n = self.by_category[cat]
            table.add_row(cat, f"{n:,}", f"{100 * n / self.total:.1f}%")
        table.add_row("total", f"{self.total:,}", "100.0%", style="bold")
        yield table
        layers = Table(title="bytes by layer", title_justify="left")
        for col in ("#", "layer", "op", "category", "weights", "bias", "requant", "scales"):
            layers.add_column(col, justify="right" if col not in ("layer", "op", "category") else "left")
        for lb in self.by_layer:
            layers.add_row(str(lb.index), lb.name, lb.op + (" (gen)" if lb.generated else ""),
                           lb.category, f"{lb.weights:,}", f"{lb.bias:,}", f"{lb.requant:,}",
                           f"{lb.scales:,}")
        yield layers
        yield (f"INT8 equivalent {self.int8_equivalent:,} bytes, "
               f"compression {self.compression_ratio:.2f}x")


def int8_equivalent_model(model):
    """The same model with every generated PW stored as INT8 weights of its shape,
    no generator / heads / codes, and memory plans recomputed."""
    from ..plan import plan_memory
    layers = list(model.layers)
    for g in model.generated:
        layer = layers[g.layer]
        shape = model.layer_weight_shape(g.layer)
        layers[g.layer] = dataclasses.replace(layer, weights=np.zeros(shape, np.int8),
                                              generated=None, category="backbone")
    plain = dataclasses.replace(model, layers=layers, generator=None, generated=[], plans={})
    plain.plans = plan_memory(plain)
    return plain


def _layer_bytes(model, i: int) -> LayerBytes:
    layer = model.layers[i]

    def size(a, itemsize: int) -> int:
        return 0 if a is None else int(np.asarray(a).size) * itemsize

    return LayerBytes(index=i, name=layer.name, op=layer.op.name.lower(), category=layer.category,
                      generated=layer.is_generated, weights=size(layer.weights, 1),
                      bias=size(layer.bias, 4),
                      requant=size(layer.mult, 4) + size(layer.shift, 1),
                      scales=size(layer.weight_scales, 4))


def account(data: bytes) -> Accounting:
    """Validate `data` (raises FormatError) and account for every byte of it."""
    from .reader import read_with_layout
    from .writer import write_model
    data = bytes(data)
    model, loc = read_with_layout(data)
    by_category = dict.fromkeys(CATEGORIES, 0)
    for s in loc.sections:
        by_category[s.category] += s.length
    by_category[OVERHEAD] += len(data) - sum(s.length for s in loc.sections)
    assert sum(by_category.values()) == len(data)
    sections = tuple(SectionBytes(s.name, s.category, s.offset, s.length) for s in loc.sections)
    by_layer = tuple(_layer_bytes(model, i) for i in range(len(model.layers)))
    equivalent = len(write_model(int8_equivalent_model(model)))
    return Accounting(total=len(data), by_category=by_category, sections=sections,
                      by_layer=by_layer, int8_equivalent=equivalent)


__all__ = ["Accounting", "LayerBytes", "SectionBytes", "account", "int8_equivalent_model"]
