"""Where things are in a model file: the sections and the offsets of their records.

Shared by the reader (to read), the semantic checks (to say *where* a problem
is) and the byte accounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from ..errors import FormatError
from . import spec
from .spec import CATEGORY, SectionKind

MAX_SECTIONS = 16        # section_count is 1..16 in format 1.0


def fail(message: str, offset: int | None = None, section: str | None = None) -> NoReturn:
    """Raise the one FormatError of a failed validation."""
    raise FormatError(message, offset=offset, section=section)


def hexoff(offset: int) -> str:
    return f"0x{offset:x}"


@dataclass(frozen=True)
class Section:
    """One entry of the section table. `data_start` is where its arrays may begin
    (after the section's own header and records)."""
    index: int
    kind: SectionKind
    offset: int
    length: int
    data_start: int = 0

    @property
    def name(self) -> str:
        return self.kind.name.lower()

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def category(self) -> str:
        return CATEGORY[self.kind]

    def describe(self) -> str:
        return f"section '{self.name}' at offset {hexoff(self.offset)}"


# Where the records of a section start, relative to the section.
_RECORDS_AT = {
    SectionKind.TENSORS: 0,
    SectionKind.LAYERS: 0,
    SectionKind.GENERATOR: spec.GENERATOR_HEADER.itemsize,
    SectionKind.HEADS: spec.HEADS_HEADER.itemsize,
    SectionKind.CODES: spec.CODES_HEADER.itemsize,
    SectionKind.PLAN: spec.PLAN_HEADER.itemsize,
}
_RECORD = {
    SectionKind.TENSORS: spec.TENSOR,
    SectionKind.LAYERS: spec.LAYER,
    SectionKind.GENERATOR: spec.FC_DESC,
    SectionKind.HEADS: spec.FC_DESC,
    SectionKind.CODES: spec.CODE_ENTRY,
    SectionKind.PLAN: spec.PLAN_MODE,
}


class Locator:
    """The sections of one file, and the file offset of any record in them."""

    def __init__(self, sections: list[Section]):
        self.sections = sections
        self.by_kind = {s.kind: s for s in sections}

    def has(self, kind: SectionKind) -> bool:
        return kind in self.by_kind

    def record(self, kind: SectionKind, index: int) -> int:
        """File offset of record `index` of a section (tensor, layer, FC, code entry, plan mode)."""
        return self.by_kind[kind].offset + _RECORDS_AT[kind] + index * _RECORD[kind].itemsize

    def containing(self, offset: int) -> Section | None:
        for s in self.sections:
            if s.offset <= offset < s.end:
                return s
        return None

    def with_data_start(self, kind: SectionKind, data_start: int) -> None:
        """Record where the arrays of a section may start (after its records)."""
        old = self.by_kind[kind]
        new = Section(old.index, old.kind, old.offset, old.length, data_start)
        self.sections[old.index] = new
        self.by_kind[kind] = new


def records(data: bytes, dtype: np.dtype, offset: int, count: int) -> np.ndarray:
    """`count` records at `offset` (the caller has checked that they are inside the file)."""
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)


__all__ = ["MAX_SECTIONS", "Section", "Locator", "fail", "hexoff", "records"]
