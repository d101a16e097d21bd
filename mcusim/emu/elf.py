"""Reading a bare-metal ELF: what to load where, and names for addresses.

pyelftools gives the loadable segments (PT_LOAD, placed at their physical
load address, as a flasher would), the allocated sections (for code ranges,
static data and section sizes) and the symbol table (to show a PC as
``symbol+offset`` and to find linker symbols such as a mailbox or a stack
limit).
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile

from ..errors import McusimError


class ElfError(McusimError):
    """The file is not a 32-bit little-endian ARM ELF with something to load."""


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD segment: `data` goes at `paddr` (its load address)."""
    paddr: int
    vaddr: int
    data: bytes
    memsz: int
    executable: bool
    writable: bool


@dataclass(frozen=True)
class Section:
    name: str
    address: int
    size: int
    executable: bool
    writable: bool
    nobits: bool           # .bss-like: occupies memory, not the file
    load_address: int      # where its bytes sit in flash (== address unless copied at reset)


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int
    size: int
    kind: str              # "func", "object" or "notype"


@dataclass
class ElfImage:
    """A loaded ELF image: segments, sections, symbols."""
    path: str
    entry: int
    segments: list[Segment]
    sections: list[Section]
    symbols: dict[str, Symbol]
    cpu_name: str | None = None     # .ARM.attributes Tag_CPU_name, lower-case ("cortex-m4", "7e-m")
    cpu_arch: int | None = None     # .ARM.attributes Tag_CPU_arch (11/12: v6-M, 10: v7, 13: v7E-M)
    _sorted: list[Symbol] = field(default_factory=list, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        named = [s for s in self.symbols.values() if not s.name.startswith("$")
                 and (s.kind in ("func", "object") or self._in_code_section(s.address))]
        self._sorted = sorted(named, key=lambda s: (s.address, -s.size, s.name))
        self._starts = [s.address for s in self._sorted]

    def symbolize(self, address: int) -> str:
        """``name+0xoff`` of the function or object containing `address`, else
        the address in hex. Function symbols are kept without the Thumb bit."""
        i = bisect.bisect_right(self._starts, address) - 1
        for j in range(i, max(-1, i - 16), -1):     # symbols can nest: look a few back
            sym = self._sorted[j]
            if sym.address <= address < sym.address + max(sym.size, 1):
                off = address - sym.address
                return sym.name if off == 0 else f"{sym.name}+0x{off:x}"
        # an assembly label has no size: the nearest code label below, in the same section
        section = self._code_section(address)
        for j in range(i, -1, -1):
            sym = self._sorted[j]
            if sym.size == 0 and section is not None and self._code_section(sym.address) is section:
                return f"{sym.name}+0x{address - sym.address:x}"
            if section is None or sym.address < section.address:
                break
        return f"0x{address:08x}"

    def _code_section(self, address: int) -> Section | None:
        for sec in self.sections:
            if sec.executable and sec.address <= address < sec.address + sec.size:
                return sec
        return None

    def _in_code_section(self, address: int) -> bool:
        return self._code_section(address) is not None

    def symbol(self, name: str) -> Symbol | None:
        return self.symbols.get(name)

    def address_of(self, *names: str) -> int | None:
        """The address of the first of `names` that the ELF defines."""
        for n in names:
            if n in self.symbols:
                return self.symbols[n].address
        return None

    def code_ranges(self) -> list[tuple[int, int]]:
        """[start, end) of every executable section (at its run address)."""
        return [(s.address, s.address + s.size) for s in self.sections if s.executable and s.size]

    def section_sizes(self) -> dict[str, int]:
        return {s.name: s.size for s in self.sections}

    def read_initial_vectors(self, address: int) -> tuple[int, int] | None:
        """(initial SP, reset vector) from the loaded bytes at `address`."""
        for seg in self.segments:
            if seg.paddr <= address and address + 8 <= seg.paddr + len(seg.data):
                off = address - seg.paddr
                sp = int.from_bytes(seg.data[off:off + 4], "little")
                pc = int.from_bytes(seg.data[off + 4:off + 8], "little")
                return sp, pc
        return None


def load_elf(path: str | Path) -> ElfImage:
    """Read `path` (raises :class:`ElfError` when it is not an ARM ELF)."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ElfError(f"{path}: {exc.strerror or exc}") from None
    with f:
        try:
            elf = ELFFile(f)
        except ELFError as exc:
            raise ElfError(f"{path}: not an ELF file ({exc})") from None
        try:
            return _read(path, elf)
        except (ELFError, struct.error, ValueError, IndexError, KeyError, EOFError) as exc:
            # pyelftools reads lazily: a truncated or corrupt file fails here
            raise ElfError(f"{path}: malformed ELF ({type(exc).__name__}: {exc})") from None


def _read(path: Path, elf: ELFFile) -> ElfImage:
    """The loadable segments, allocated sections, symbols and CPU attributes of `elf`."""
    if elf.elfclass != 32 or not elf.little_endian or elf["e_machine"] != "EM_ARM":
        raise ElfError(f"{path}: not a 32-bit little-endian ARM ELF "
                       f"(class {elf.elfclass}, machine {elf['e_machine']})")
    segments = []
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        flags = seg["p_flags"]
        data = seg.data()
        if len(data) != seg["p_filesz"]:
            raise ElfError(f"{path}: segment at file offset 0x{seg['p_offset']:x} is "
                           f"truncated ({len(data)} of {seg['p_filesz']} bytes)")
        segments.append(Segment(paddr=seg["p_paddr"], vaddr=seg["p_vaddr"],
                                data=data, memsz=seg["p_memsz"],
                                executable=bool(flags & P_FLAGS.PF_X),
                                writable=bool(flags & P_FLAGS.PF_W)))
    if not segments:
        raise ElfError(f"{path}: no loadable segment")
    sections = []
    for sec in elf.iter_sections():
        if not sec["sh_flags"] & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
            continue
        addr = sec["sh_addr"]
        lma = addr
        for seg in segments:
            if seg.vaddr <= addr < seg.vaddr + seg.memsz:
                lma = seg.paddr + (addr - seg.vaddr)
                break
        sections.append(Section(name=sec.name, address=addr, size=sec["sh_size"],
                                executable=bool(sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR),
                                writable=bool(sec["sh_flags"] & SH_FLAGS.SHF_WRITE),
                                nobits=sec["sh_type"] == "SHT_NOBITS", load_address=lma))
    symbols: dict[str, Symbol] = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for sym in symtab.iter_symbols():
            if not sym.name or sym["st_shndx"] == "SHN_UNDEF":
                continue
            kind = {"STT_FUNC": "func", "STT_OBJECT": "object"}.get(sym["st_info"]["type"], "notype")
            if kind == "notype" and sym["st_info"]["type"] not in ("STT_NOTYPE",):
                continue
            prev = symbols.get(sym.name)
            # keep the global definition when a name is both local and global
            if prev is None or sym["st_info"]["bind"] == "STB_GLOBAL":
                value = sym["st_value"] & ~1 if kind == "func" else sym["st_value"]
                symbols[sym.name] = Symbol(sym.name, value, sym["st_size"], kind)
    cpu_name, cpu_arch = _cpu_attributes(elf)
    return ElfImage(path=str(path), entry=elf["e_entry"], segments=segments,
                    sections=sections, symbols=symbols, cpu_name=cpu_name, cpu_arch=cpu_arch)


def _cpu_attributes(elf: ELFFile) -> tuple[str | None, int | None]:
    """(Tag_CPU_name lower-cased, Tag_CPU_arch) from .ARM.attributes, None where absent."""
    sec = elf.get_section_by_name(".ARM.attributes")
    name = arch = None
    if sec is None:
        return name, arch
    try:
        for sub in sec.iter_subsections():
            for subsub in sub.iter_subsubsections():
                for attr in subsub.iter_attributes():
                    if attr.tag == "TAG_CPU_NAME":
                        name = str(attr.value).lower()
                    elif attr.tag == "TAG_CPU_ARCH":
                        arch = int(attr.value)
    except Exception:  # attributes are a hint only; a malformed section is not an error
        pass
    return name, arch


__all__ = ["ElfError", "ElfImage", "Segment", "Section", "Symbol", "load_elf"]
