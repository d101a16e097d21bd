"""Bounded access to the bytes of a model file whose container is validated.

Every read goes through :class:`FileView`, which checks bounds, alignment and
the section an array lives in before touching a byte (docs/format.md, "array
reference").
"""

from __future__ import annotations

import math

import numpy as np

from . import spec
from .layout import Locator, Section, fail, hexoff, records
from .spec import SectionKind


class FileView:
    """The bytes of a file and its section layout, with checked readers."""

    def __init__(self, data: bytes, loc: Locator):
        self.data = data
        self.loc = loc

    def section(self, kind: SectionKind) -> Section:
        return self.loc.by_kind[kind]

    def fixed_records(self, kind: SectionKind, dtype: np.dtype, count: int) -> np.ndarray:
        """A section made of exactly `count` records."""
        s = self.section(kind)
        if s.length != count * dtype.itemsize:
            fail(f"{s.describe()} has length {s.length}, expected {count} x {dtype.itemsize} = "
                 f"{count * dtype.itemsize}", s.offset, s.name)
        return records(self.data, dtype, s.offset, count)

    def headed_records(self, kind: SectionKind, head: np.dtype, item: np.dtype, count_field: str,
                       limits: tuple[int, int]) -> tuple[np.void, np.ndarray]:
        """A section that starts with a header and `header[count_field]` records."""
        s = self.section(kind)
        if s.length < head.itemsize:
            fail(f"{s.describe()} has length {s.length}, shorter than its {head.itemsize}-byte "
                 f"header", s.offset, s.name)
        h = records(self.data, head, s.offset, 1)[0]
        count = int(h[count_field])
        lo, hi = limits
        if not lo <= count <= hi:
            fail(f"{s.describe()}: {count_field} {count} is out of range ({lo}..{hi})",
                 s.offset, s.name)
        end = head.itemsize + count * item.itemsize
        if end > s.length:
            fail(f"{s.describe()}: {count} records of {item.itemsize} bytes overrun the section "
                 f"(length {s.length})", s.offset, s.name)
        self.loc.with_data_start(kind, s.offset + end)
        return h, records(self.data, item, s.offset + head.itemsize, count)

    def array(self, off: int, count: int, dtype: str, kinds, what: str, at: int, sec: str,
              required: bool = True) -> tuple[np.ndarray | None, Section | None]:
        """The `count`-element array at absolute offset `off` (0 = absent), which must lie
        in the data area of one section of `kinds`, 4-byte aligned."""
        if off == 0:
            if required and count:
                fail(f"{what} is missing (offset 0)", at, sec)
            return None, None
        if count == 0:
            fail(f"{what} at offset {hexoff(off)} is present but must be absent (offset 0)", at, sec)
        if off % spec.ARRAY_ALIGN:
            fail(f"{what} at offset {hexoff(off)} is misaligned (arrays start on "
                 f"{spec.ARRAY_ALIGN}-byte boundaries)", at, sec)
        nbytes = count * np.dtype(dtype).itemsize
        s = self.loc.containing(off)
        if s is None:
            fail(f"{what} at offset {hexoff(off)} is not inside any section", at, sec)
        if s.kind not in kinds:
            names = " or ".join(f"'{k.name.lower()}'" for k in kinds)
            fail(f"{what} at offset {hexoff(off)} lies in section '{s.name}', expected {names}",
                 at, sec)
        if off < s.data_start:
            fail(f"{what} at offset {hexoff(off)} overlaps the records of section '{s.name}' "
                 f"(its arrays start at {hexoff(s.data_start)})", at, sec)
        if off + nbytes > s.end:
            fail(f"{what} at offset {hexoff(off)} ({nbytes} bytes) overruns section '{s.name}' "
                 f"(ends at {hexoff(s.end)})", at, sec)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=off).copy(), s

    def name(self, at: int, size: int, what: str, sec: str) -> str:
        raw = self.data[at:at + size]
        text, _, pad = raw.partition(b"\0")
        if any(pad) or any(not 0x20 <= c < 0x7F for c in text):
            fail(f"{what} at offset {hexoff(at)} is not printable ASCII padded with NUL bytes",
                 at, sec)
        return text.decode("ascii")

    def zero(self, rec: np.void, fields: tuple[str, ...], what: str, at: int, sec: str) -> None:
        for f in fields:
            if int(rec[f]) != 0:
                fail(f"{what}: reserved field '{f}' is not zero", at, sec)

    def finite(self, value: float, what: str, at: int, sec: str, positive: bool = False) -> float:
        value = float(value)
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            need = "positive" if positive else "non-negative"
            fail(f"{what} {value} is not a finite {need} number", at, sec)
        return value


__all__ = ["FileView"]
