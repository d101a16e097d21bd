"""The emulated memory map: which regions exist, what they allow, what backs them.

Without a target the map is a generic zero-wait one: 2 MB of flash at
0x00000000, aliased at 0x08000000 (so images linked for either base run),
and 1 MB of SRAM at 0x20000000. With a target, the part's own regions from
mcusim/targets/<part>.json. Flash is readable and executable, never
writable: a store to it is a fault, as on the part (where it is a bus fault
unless the flash controller is programmed). SRAM is readable and writable,
and executable only where the ELF places code in it (a .ramfunc section, an
ITCM): executing anywhere else is a fault. Every region is backed by a numpy
buffer that Unicorn maps in place, so the machine reads and writes memory
(stack painting, the arena, the mailbox) without copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE

from ..errors import McusimError

PAGE = 0x1000


class MemoryMapError(McusimError):
    """The ELF does not fit the memory map (a segment outside every region)."""


@dataclass
class Region:
    name: str
    kind: str                 # "flash", "sram", or "host" (a testbed region outside the part)
    base: int
    size: int
    executable: bool
    writable: bool
    buffer: np.ndarray        # uint8[size], shared by aliases
    alias_of: str | None = None

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, address: int, length: int = 1) -> bool:
        return self.base <= address and address + length <= self.end


class MemoryMap:
    def __init__(self, regions: list[Region]):
        self.regions = sorted(regions, key=lambda r: r.base)

    @classmethod
    def generic(cls) -> "MemoryMap":
        flash = np.zeros(2 << 20, dtype=np.uint8)
        sram = np.zeros(1 << 20, dtype=np.uint8)
        return cls([Region("flash", "flash", 0x00000000, flash.size, True, False, flash),
                    Region("flash_alias", "flash", 0x08000000, flash.size, True, False, flash,
                           alias_of="flash"),
                    Region("sram", "sram", 0x20000000, sram.size, False, True, sram)])

    @classmethod
    def for_target(cls, target) -> "MemoryMap":
        regions = []
        for r in target.regions:
            size = (r.size + PAGE - 1) // PAGE * PAGE
            buf = np.zeros(size, dtype=np.uint8)
            flash = r.kind == "flash"
            regions.append(Region(r.name, r.kind, r.address, size, flash, not flash, buf))
        return cls(regions)

    def add(self, name: str, kind: str, base: int, size: int) -> Region:
        """Add a readable, writable, non-executable region (before mapping)."""
        if any(r.base < base + size and base < r.end for r in self.regions):
            raise MemoryMapError(f"region {name} at 0x{base:08x} overlaps the memory map "
                                 f"({self.describe()})")
        region = Region(name, kind, base, size, False, True, np.zeros(size, dtype=np.uint8))
        self.regions = sorted(self.regions + [region], key=lambda r: r.base)
        return region

    def find(self, address: int, length: int = 1) -> Region | None:
        for r in self.regions:
            if r.contains(address, length):
                return r
        return None

    def allow_code(self, start: int, end: int) -> None:
        """Make the SRAM region holding [start, end) executable (code placed in SRAM)."""
        r = self.find(start)
        if r is not None:
            r.executable = True

    def map_into(self, uc) -> None:
        for r in self.regions:
            perms = UC_PROT_READ
            perms |= UC_PROT_EXEC if r.executable else 0
            perms |= UC_PROT_WRITE if r.writable else 0
            uc.mem_map_ptr(r.base, r.size, perms, r.buffer.ctypes.data)

    def write(self, address: int, data: bytes) -> None:
        """Write `data` into the backing buffers (flash included: this is the flasher)."""
        r = self.find(address, len(data))
        if r is None:
            raise MemoryMapError(f"{len(data)} bytes at 0x{address:08x} fall outside the memory map "
                                 f"({self.describe()})")
        off = address - r.base
        r.buffer[off:off + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def read(self, address: int, length: int) -> bytes:
        r = self.find(address, length)
        if r is None:
            raise MemoryMapError(f"{length} bytes at 0x{address:08x} fall outside the memory map")
        off = address - r.base
        return r.buffer[off:off + length].tobytes()

    def view(self, address: int, length: int) -> np.ndarray:
        """A writable uint8 view of [address, address+length) (no copy)."""
        r = self.find(address, length)
        if r is None:
            raise MemoryMapError(f"{length} bytes at 0x{address:08x} fall outside the memory map")
        off = address - r.base
        return r.buffer[off:off + length]

    def word(self, address: int) -> int:
        return int.from_bytes(self.read(address, 4), "little")

    def is_flash(self, address: int) -> bool:
        r = self.find(address)
        return r is not None and r.kind == "flash"

    def describe(self) -> str:
        return ", ".join(f"{r.name} 0x{r.base:08x}-0x{r.end - 1:08x}" for r in self.regions)


__all__ = ["Region", "MemoryMap", "MemoryMapError", "PAGE"]
