"""Stack measurement: the stack region, painted before reset and scanned after.

The region is [stack limit, initial SP). The limit is the ELF's own stack
limit symbol when it has one (``__stack_limit``, CMSIS's ``__StackLimit``,
...), else the end of the highest static section (.data, .bss, heap, arena)
below the initial SP in the same SRAM region: the stack must not grow into
static data. The paint pattern is a word no counter or pointer is likely to
hold; the peak is the distance from the initial SP to the lowest word that
no longer holds it. (A program that stores the pattern itself at the bottom
of its stack would make the peak look smaller by those words.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAINT = 0xCDCDCDCD
LIMIT_SYMBOLS = ("__stack_limit", "__StackLimit", "_sstack", "__stack_start__", "__stack_bottom",
                 "_stack_limit")


@dataclass(frozen=True)
class StackRegion:
    limit: int          # lowest legal SP
    top: int            # initial SP
    source: str         # where the limit came from, for reports

    @property
    def size(self) -> int:
        return self.top - self.limit


def stack_region(elf, memmap, initial_sp: int) -> StackRegion:
    """The stack region of `elf` under `memmap` for a run starting at `initial_sp`."""
    for name in LIMIT_SYMBOLS:
        sym = elf.symbol(name)
        if sym is not None and sym.address < initial_sp:
            return StackRegion(sym.address, initial_sp, f"symbol {name}")
    region = memmap.find(initial_sp - 4)
    lo = region.base if region is not None else initial_sp
    limit, what = lo, f"start of {region.name if region else 'memory'}"
    for sec in elf.sections:
        end = sec.address + sec.size
        holds_sp = sec.address < initial_sp <= end            # the stack section itself
        if (not sec.executable and not holds_sp and region is not None
                and region.contains(sec.address) and end <= initial_sp and end > limit):
            limit, what = end, f"end of {sec.name}"
    limit = (limit + 7) & ~7
    return StackRegion(limit, initial_sp, what)


def paint(memmap, region: StackRegion) -> None:
    n = (region.top - region.limit) // 4
    if n > 0:
        memmap.view(region.limit, 4 * n).view(np.uint32)[:] = PAINT


def peak(memmap, region: StackRegion) -> int:
    """Bytes of stack used: initial SP minus the lowest overwritten word."""
    n = (region.top - region.limit) // 4
    if n <= 0:
        return 0
    words = memmap.view(region.limit, 4 * n).view(np.uint32)
    touched = np.flatnonzero(words != PAINT)
    if touched.size == 0:
        return 0
    return region.top - (region.limit + 4 * int(touched[0]))





# ---- the arena and the SRAM timeline (firmware runs) ---------------------------------

ARENA_PAINT = 0xCD          # byte painted over the arena before reset
CHUNK = 16                  # the arena is measured in 16-byte chunks (ARENA_ALIGN)


@dataclass(frozen=True)
class SramSample:
    """SRAM use at one trace marker."""
    cycle: int
    phase: str              # "begin layer 3", "end inference 0", ...
    stack: int              # bytes below the initial SP (from SP at the marker)
    activations: int        # bytes of the plan's activation buffers live at this step
    cache_scratch: int      # bytes of live generated-kernel cache/scratch and synthesis workspace
    static: int             # .mailbox + .data + .bss

    def to_dict(self) -> dict:
        return {"cycle": self.cycle, "phase": self.phase, "stack": self.stack,
                "activations": self.activations, "cache_scratch": self.cache_scratch,
                "static": self.static}


def live_bytes(plan, step: int | None) -> tuple[int, int]:
    """(activation bytes, cache/scratch/workspace bytes) of `plan` live at time step `step`
    (0 boot synthesis, 1 + i layer i; None before any)."""
    from ..format.spec import PlanKind
    if step is None:
        return 0, 0
    act = other = 0
    for e in plan.entries:
        if e.first <= step <= e.last:
            if e.kind == PlanKind.ACTIVATION:
                act += e.size
            else:
                other += e.size
    return act, other


def paint_arena(memmap, start: int, size: int) -> None:
    memmap.view(start, size)[:] = ARENA_PAINT


def arena_high_water(memmap, start: int, size: int) -> int:
    """Bytes from the arena's start to the end of the highest 16-byte chunk written."""
    if size <= 0:
        return 0
    n = size // CHUNK * CHUNK
    raw = memmap.view(start, n).reshape(-1, CHUNK)
    touched = np.flatnonzero((raw != ARENA_PAINT).any(axis=1))
    tail = memmap.view(start + n, size - n)
    if (tail != ARENA_PAINT).any():
        return size
    return 0 if touched.size == 0 else int(touched[-1] + 1) * CHUNK


def written_in(memmap, start: int, size: int) -> int:
    """Bytes from `start` to the end of the highest byte written in [start, start+size)."""
    if size <= 0:
        return 0
    touched = np.flatnonzero(memmap.view(start, size) != ARENA_PAINT)
    return 0 if touched.size == 0 else int(touched[-1]) + 1
__all__ = ["StackRegion", "stack_region", "paint", "peak", "PAINT", "SramSample", "live_bytes",
           "paint_arena", "arena_high_water", "written_in", "ARENA_PAINT"]
