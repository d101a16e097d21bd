"""The block table: every translated block seen, decoded and costed once.

The compiled hook looks blocks up in a hash table (numpy arrays) and reads
their precomputed costs from a record array; the Python side keeps, per
block, the decoded instructions and their cycle prefix, which the machine
needs for the rare events that happen *inside* a block (an MMIO access, a
fault): :meth:`BlockTable.locate` works out which instruction of the current
block made an access from the register values at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hook as H
from .decode import SP, WRITES_MEMORY, Branch, Insn, decode_block, effective_range
from .timing import BlockTiming, CoreModel


@dataclass(frozen=True)
class BlockInfo:
    address: int
    size: int
    insns: tuple[Insn, ...]
    timing: BlockTiming

    def index_of(self, pc: int) -> int | None:
        for k, insn in enumerate(self.insns):
            if insn.address == pc:
                return k
        return None


# (core, multiplier, address, code) -> (instructions, timing): a block's decode and
# cost depend on nothing else, and the same images run many times in a session.
_TIMED: dict[tuple, tuple[list[Insn], BlockTiming]] = {}


class BlockTable:
    """Hash table + records shared with the compiled hook through `state`."""

    def __init__(self, state: np.ndarray, core: CoreModel, *, multiplier_cycles: int = 1,
                 fetch_line_bytes: int = 16, fetch_region=None, capacity: int = 1024):
        self.state = state
        self.core = core
        self.multiplier_cycles = multiplier_cycles
        self.line_shift = max(0, int(fetch_line_bytes).bit_length() - 1)
        self.fetch_region = fetch_region       # callable(address) -> bool: pays wait states
        self.infos: list[BlockInfo] = []
        self._alloc_hash(4 * capacity)
        self.records = np.zeros((capacity, H.NF), dtype=np.int64)
        self._publish()
        self._cursor_serial = -1
        self._cursor = -1

    # -- storage -------------------------------------------------------------------
    def _alloc_hash(self, slots: int) -> None:
        self.keys = np.zeros(slots, dtype=np.int64)
        self.vals = np.zeros(slots, dtype=np.int64)

    def _publish(self) -> None:
        st = self.state
        st[H.S_HKEYS] = self.keys.ctypes.data
        st[H.S_HVALS] = self.vals.ctypes.data
        st[H.S_HMASK] = len(self.keys) - 1
        st[H.S_REC] = self.records.ctypes.data
        st[H.S_REC_CAP] = len(self.records)

    def _insert_key(self, address: int, size: int, bid: int) -> None:
        mask = len(self.keys) - 1
        h = H.hash_slot(address, size, mask)
        key = H.block_key(address, size)
        while self.keys[h] != 0 and self.keys[h] != key:
            h = (h + 1) & mask
        self.keys[h] = key
        self.vals[h] = bid

    def _grow(self) -> None:
        records = np.zeros((2 * len(self.records), H.NF), dtype=np.int64)
        records[:len(self.records)] = self.records
        self.records = records
        self._alloc_hash(2 * len(self.keys))
        for bid, info in enumerate(self.infos):
            self._insert_key(info.address, info.size, bid)

    # -- adding a block (the hook's miss path) ----------------------------------------
    def add(self, address: int, size: int, code: bytes) -> int:
        """Decode and cost the block; returns its id."""
        key = (self.core.name, self.multiplier_cycles, address, code)
        hit = _TIMED.get(key)
        if hit is None:
            insns = decode_block(code, address)
            hit = (insns, self.core.block(insns, multiplier_cycles=self.multiplier_cycles))
            if len(_TIMED) < 1 << 16:
                _TIMED[key] = hit
        insns, timing = hit
        bid = len(self.infos)
        if bid >= len(self.records) or 2 * (bid + 1) > len(self.keys):
            self._grow()
        self.infos.append(BlockInfo(address, size, tuple(insns), timing))
        r = self.records[bid]
        r[:] = 0
        r[H.F_NINSN] = len(insns)
        r[H.F_STATIC] = timing.static
        r[H.F_FALL] = address + size
        r[H.F_BRKIND] = int(timing.branch)
        r[H.F_TAKEN_EXTRA] = timing.taken_extra
        r[H.F_FIRST32] = 1 if insns and insns[0].is_32bit else 0
        r[H.F_FLAGS] = H.FLAG_SP if any(SP in i.writes for i in insns) else 0
        last = insns[-1] if insns else None
        backward = last is not None and last.target is not None and last.target <= last.address
        r[H.F_PRED] = 2 if (timing.branch == Branch.COND and backward) else 1
        r[H.F_LAST_TARGET] = -1
        if self.fetch_region is not None and self.fetch_region(address):
            r[H.F_FETCH] = 1
        r[H.F_LINE0] = address >> self.line_shift
        r[H.F_LINE1] = (address + max(size, 1) - 1) >> self.line_shift
        self._insert_key(address, size, bid)
        self._publish()
        return bid

    # -- questions the machine asks ---------------------------------------------------
    def current(self) -> BlockInfo | None:
        bid = int(self.state[H.S_PREV])
        return self.infos[bid] if bid >= 0 else None

    def locate(self, address: int, size: int, regs, is_write: bool | None = None) -> int:
        """Index, in the current block, of the instruction that accesses
        [address, address+size) now; `regs(n)` reads general register n;
        `is_write` (when known) rules out instructions of the other direction.

        Accesses within one block execution happen in program order, so the
        search starts after the instruction found last time in the same
        execution. Unicorn keeps the general registers current during the
        access (the PC only at block granularity), which is what makes the
        effective addresses computable here."""
        info = self.current()
        if info is None:
            return 0
        serial = int(self.state[H.S_BLOCK_INSN])   # distinct for every block execution
        start = self._cursor + 1 if serial == self._cursor_serial else 0
        if start >= len(info.insns):
            start = 0
        found = None
        fallback = None
        for k in range(start, len(info.insns)):
            insn = info.insns[k]
            if insn.mem is None or (is_write is not None
                                    and (insn.kind in WRITES_MEMORY) != is_write):
                continue
            if fallback is None:
                fallback = k
            lo_hi = effective_range(insn, regs)
            if lo_hi and lo_hi[0] <= address < max(lo_hi[1], lo_hi[0] + 1):
                found = k
                break
        if found is not None:
            k = found
        elif fallback is not None:
            k = fallback
        else:
            k = min(start, len(info.insns) - 1)
        self._cursor_serial, self._cursor = serial, k
        return k

    def at(self, k: int) -> tuple[int, int, int]:
        """(pc, cycles, instructions) at the start of instruction k of the current block."""
        info = self.current()
        st = self.state
        if info is None:
            return 0, int(st[H.S_CYC]), int(st[H.S_INSN])
        k = max(0, min(k, len(info.insns) - 1))
        insn = info.insns[k]
        cycles = int(st[H.S_BLOCK_CYC] + info.timing.prefix[k])
        bid = int(st[H.S_PREV])
        if st[H.S_FETCH_ON] and self.records[bid, H.F_FETCH]:
            # the fetch lines up to (and including) the one the instruction starts in
            upto = min((insn.address >> self.line_shift) - int(self.records[bid, H.F_LINE0]),
                       H.N_LINE_COST - 1)
            lines = int(self.records[bid, H.F_LINE1] - self.records[bid, H.F_LINE0])
            cycles += int(st[H.S_LINE_COST:H.S_LINE_COST + min(upto, lines) + 1].sum())
        return insn.address, cycles, int(st[H.S_BLOCK_INSN] + k)

    def profile(self) -> list[tuple[BlockInfo, int, int]]:
        """(block, times entered, cycles charged) for every block entered."""
        n = len(self.infos)
        return [(self.infos[b], int(self.records[b, H.F_COUNT]), int(self.records[b, H.F_CYCLES]))
                for b in range(n) if self.records[b, H.F_COUNT]]


__all__ = ["BlockInfo", "BlockTable"]
