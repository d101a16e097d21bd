"""The compiled block hook against a slow, naive Python accounting of the same model.

The naive version runs a Python UC_HOOK_BLOCK: it decodes and costs each block
with the same per-core tables (tested on their own by test_emu_timing.py),
settles taken branches, the M7 predictor and the flash fetch lines with plain
dicts and lists. What it checks is the compiled machinery: the hash table,
the successor cache, the branch resolution, the fetch-line cache model and the
record layout. Both must give the same instructions and cycles, exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from unicorn import UC_HOOK_BLOCK

from mcusim.emu import Machine
from mcusim.emu.decode import WRITES_MEMORY, Branch, decode_block, effective_range
from mcusim.emu.machine import GPR

ROOT = Path(__file__).resolve().parents[1]
ASM = ROOT / "firmware_images" / "asm_tests"
FIRMWARE = ROOT / "firmware_images"


class NaiveAccounting:
    """Per-block accounting in Python, written for clarity, not speed."""

    def __init__(self, machine: Machine):
        self.m = machine
        self.model = machine.model
        self.fetch = machine.fetch
        self.instructions = 0
        self.cycles = 0
        self.prev = None              # (address, size, timing, insns) of the last block
        self.pred: dict = {}           # M7: 2-bit counters per block
        self.last_target: dict = {}    # M7: last target of indirect branches
        self.cache: dict[int, list[int]] = {}   # set -> lines, most recent last
        self.last_line = None
        self.shift = self.fetch.line_bytes.bit_length() - 1
        self.flash = [(r.base, r.end) for r in machine.memmap.regions if r.kind == "flash"]
        self.current = None            # (insns, timing, cycles at block start, line costs)
        self.done = -1                 # last instruction of the block found making an access
        machine.peripherals.now = self.now

    def now(self, address, size, is_write):
        """The cycle of the instruction making a DWT/ITM/SysTick access (the slow way:
        the next memory instruction of the block, in program order, of the right
        direction, whose address the registers give)."""
        insns, timing, start, line_costs = self.current
        k = 0
        for j, insn in enumerate(insns):
            if j <= self.done or (insn.kind in WRITES_MEMORY) != is_write:
                continue
            span = effective_range(insn, lambda n: self.m.uc.reg_read(GPR[n]))
            if span and span[0] <= address < span[1]:
                k = self.done = j
                break
        upto = (insns[k].address >> self.shift) - (insns[0].address >> self.shift)
        return start + sum(line_costs[:upto + 1]) + timing.prefix[k], insns[k].address

    def on_block(self, uc, address, size, _user):
        code = self.m.memmap.read(address, size)
        insns = decode_block(code, address)
        timing = self.model.block(insns)
        taken = True
        if self.prev is not None:
            p_addr, p_size, p_timing, p_insns = self.prev
            kind = p_timing.branch
            taken = kind != Branch.NONE and (kind != Branch.COND or address != p_addr + p_size)
            if self.model.predictor:
                key = (p_addr, p_size)
                if kind == Branch.COND:
                    last = p_insns[-1]
                    initial = 2 if last.target is not None and last.target <= last.address else 1
                    c = self.pred.get(key, initial)
                    if (c >= 2) != taken:
                        self.cycles += self.model.mispredict
                    self.pred[key] = min(c + 1, 3) if taken else max(c - 1, 0)
                elif kind == Branch.INDIRECT:
                    if self.last_target.get(key) != address:
                        self.cycles += self.model.mispredict
                    self.last_target[key] = address
            elif taken:
                self.cycles += p_timing.taken_extra
                if self.model.align_penalty and insns[0].size == 4 and address & 2:
                    self.cycles += 1
        start = self.cycles
        line_costs = []
        if self.fetch.active and any(lo <= address < hi for lo, hi in self.flash):
            line_costs = self._fetch(address, size, taken)
            self.cycles += sum(line_costs)
        self.current = (insns, timing, start, line_costs)
        self.done = -1
        self.cycles += timing.static
        self.instructions += len(insns)
        self.prev = (address, size, timing, insns)

    def _fetch(self, address, size, taken):
        f = self.fetch
        first = address >> self.shift
        last = (address + size - 1) >> self.shift
        costs = []
        for line in range(first, last + 1):
            hit = line == self.last_line
            if not hit and f.ways:
                ways = self.cache.setdefault(line & (f.sets - 1), [])
                hit = line in ways
                if hit:
                    ways.remove(line)
                elif len(ways) == f.ways:
                    ways.pop(0)
                ways.append(line)
            costs.append(f.miss_penalty if not hit and not (
                f.prefetch and (line != first or not taken)) else 0)
            self.last_line = line
        return costs


def both(elf, **kw):
    fast = Machine(elf, **kw).run()
    slow_machine = Machine(elf, accounting=False, **kw)
    naive = NaiveAccounting(slow_machine)
    slow_machine.uc.hook_add(UC_HOOK_BLOCK, naive.on_block)
    slow = slow_machine.run()
    return fast, slow, naive


CASES = [
    (ASM / "selftime.elf", dict(core="cortex-m4")),
    (ASM / "selftime.elf", dict(core="cortex-m7")),
    (ASM / "selftime.elf", dict(target="stm32f446re")),
    (ASM / "selftime.elf", dict(target="stm32h743zi")),
    (ASM / "m4_loop.elf", dict(target="stm32l476rg")),
    (ASM / "m0_table.elf", dict(target="stm32l073rz")),
    (ASM / "m7_branch.elf", dict(core="cortex-m7")),
    (FIRMWARE / "stm32f446re.elf", dict(target="stm32f446re")),
]


@pytest.mark.parametrize("elf,kw", CASES, ids=[f"{e.stem}-{'-'.join(kw.values())}"
                                               for e, kw in CASES])
def test_compiled_equals_naive(elf, kw):
    if not elf.exists():
        pytest.skip(f"{elf} is not built")
    fast, slow, naive = both(elf, **kw)
    assert (fast.instructions, fast.cycles) == (naive.instructions, naive.cycles)
    assert fast.exit_code == slow.exit_code           # the DWT figures agree too
    assert fast.output == slow.output


def test_dwt_reads_agree_with_naive_totals():
    """The self-timing program's printed figure is the hook's count between its reads."""
    fast = Machine(ASM / "selftime.elf", core="cortex-m4").run()
    printed = int(fast.output.decode().split("cycles = ")[1].split()[0])
    (c0, v0, _), (c1, v1, _) = fast.dwt_reads[:2]
    assert printed == v1 - v0 == c1 - c0
