"""The container of a model file: header, CRC, section table, section layout.

Rules C1..C17 of docs/format.md, in that order. Nothing past the header is
read before the header says it exists, and the table is bounded (16 entries)
before it is looped over.
"""

from __future__ import annotations

import zlib

from . import spec
from .layout import MAX_SECTIONS, Locator, Section, fail, hexoff, records
from .spec import (CRC_OFFSET, HEADER, MAGIC, SECTION_ALIGN, SECTION_ENTRY, VERSION_MAJOR,
                   VERSION_MINOR, SectionKind)

_KINDS = {int(k) for k in SectionKind}


def file_crc(data: bytes | bytearray) -> int:
    """CRC-32 (zlib / IEEE 802.3) of a file with its crc32 field taken as zero."""
    crc = zlib.crc32(data[:CRC_OFFSET])
    crc = zlib.crc32(b"\0\0\0\0", crc)
    return zlib.crc32(data[CRC_OFFSET + 4:], crc) & 0xFFFF_FFFF


def read_container(data: bytes) -> Locator:
    """Check the header, CRC, section table and layout; return where the sections are."""
    n = len(data)
    if n < HEADER.itemsize:
        fail(f"file is {n} bytes, shorter than the {HEADER.itemsize}-byte header",
             n, "header")
    h = records(data, HEADER, 0, 1)[0]
    magic = data[:4]
    if magic != MAGIC:
        fail(f"bad magic {magic!r} at offset 0x0 (expected {MAGIC!r}): not an mcusim model file",
             0, "header")
    major, minor = int(h["version_major"]), int(h["version_minor"])
    if major != VERSION_MAJOR or minor > VERSION_MINOR:
        fail(f"unsupported format version {major}.{minor} at offset 0x4 "
             f"(this reader supports {VERSION_MAJOR}.0 to {VERSION_MAJOR}.{VERSION_MINOR})",
             4, "header")
    total = int(h["total_length"])
    if n < total:
        fail(f"file is truncated: {n} bytes, but total_length at offset 0xc says {total}",
             n, "header")
    if n != total:
        fail(f"total_length {total} at offset 0xc does not match the file length {n}",
             12, "header")
    crc = file_crc(data)
    if crc != int(h["crc32"]):
        fail(f"CRC mismatch at offset 0x10: the header says 0x{int(h['crc32']):08x}, "
             f"the file's CRC-32 is 0x{crc:08x}", spec.CRC_OFFSET, "header")
    if int(h["flags"]) != 0:
        fail(f"unknown header flags 0x{int(h['flags']):x} at offset 0x8 (format 1.0 defines none)",
             8, "header")
    if int(h["reserved"]) != 0:
        fail("reserved header field at offset 0x1c is not zero", 28, "header")
    table, count = int(h["section_table_offset"]), int(h["section_count"])
    if table != HEADER.itemsize:
        fail(f"section table at offset {hexoff(table)}: format 1.0 puts it right after the "
             f"header, at 0x20", 24, "header")
    if not 1 <= count <= MAX_SECTIONS:
        fail(f"section count {count} at offset 0x14 is out of range (1..{MAX_SECTIONS})",
             20, "header")
    table_end = table + count * SECTION_ENTRY.itemsize
    if table_end > n:
        fail(f"section table at offset {hexoff(table)} ({count} entries) overruns the file "
             f"(length {n})", table, "section table")

    sections = []
    for i, e in enumerate(records(data, SECTION_ENTRY, table, count)):
        at = table + i * SECTION_ENTRY.itemsize
        kind, model = int(e["kind"]), int(e["model"])
        offset, length = int(e["offset"]), int(e["length"])
        where = f"section table entry {i} at offset {hexoff(at)}"
        if kind not in _KINDS:
            fail(f"{where}: unknown section kind {kind}", at, "section table")
        kind = SectionKind(kind)
        name = kind.name.lower()
        if kind in spec.RESERVED_KINDS:
            fail(f"{where}: section kind {int(kind)} ('{name}') is reserved for YONO, "
                 f"not supported by format 1.0", at, name)
        if model != 0:
            fail(f"{where}: section '{name}' belongs to model {model}; format 1.0 files "
                 f"hold one model, id 0", at, name)
        if int(e["reserved"]) != 0:
            fail(f"{where}: reserved field is not zero", at, name)
        if offset + length > n:
            fail(f"section '{name}' at offset {hexoff(offset)} overruns the file (length {n})",
                 offset, name)
        if offset % SECTION_ALIGN:
            fail(f"section '{name}' at offset {hexoff(offset)} is misaligned (sections start "
                 f"on {SECTION_ALIGN}-byte boundaries)", offset, name)
        sections.append(Section(i, kind, offset, length, 0))

    seen: dict[SectionKind, Section] = {}
    for s in sections:
        if s.kind in seen:
            fail(f"duplicate section '{s.name}' at offset {hexoff(s.offset)} (the first is "
                 f"at {hexoff(seen[s.kind].offset)})", s.offset, s.name)
        seen[s.kind] = s
    for kind in sorted(spec.REQUIRED_KINDS):
        if kind not in seen:
            fail(f"missing required section '{kind.name.lower()}'", table, "section table")

    # No overlaps (in file order, the header and table first); the table lists
    # sections in file order; each starts at the first 16-byte boundary after
    # the previous one (the first after the table) and the gaps are zero.
    prev_end, prev = table_end, "the header and section table"
    for s in sorted(sections, key=lambda s: (s.offset, s.length)):
        if s.offset < prev_end:
            fail(f"{s.describe()} (length {s.length}) overlaps {prev} "
                 f"(ends at {hexoff(prev_end)})", s.offset, s.name)
        prev_end, prev = s.end, f"section '{s.name}'"
    for a, b in zip(sections, sections[1:]):
        if b.offset < a.offset:
            fail(f"{a.describe()} is listed before {b.describe()}: the section table lists "
                 f"sections in file order", a.offset, a.name)
    prev_end, prev = table_end, "the section table"
    for s in sections:
        expected = spec.align(prev_end, SECTION_ALIGN)
        if s.offset != expected:
            fail(f"{s.describe()} leaves a gap of {s.offset - prev_end} bytes after {prev}: "
                 f"sections are packed, it should start at {hexoff(expected)}", s.offset, s.name)
        if any(data[prev_end:s.offset]):
            fail(f"non-zero padding before {s.describe()}", prev_end, s.name)
        prev_end, prev = s.end, f"section '{s.name}'"
    if prev_end != n:
        fail(f"{n - prev_end} bytes after the end of the last section ({hexoff(prev_end)}) "
             f"are not in any section", prev_end, "header")
    return Locator(sections)


__all__ = ["file_crc", "read_container"]
