"""Cortex-M0+ cycle table: Arm DDI0484C (Cortex-M0+ TRM), table 3.1.

The M0+ has a two-stage pipeline and no load/store pipelining: every figure
is the table's, per instruction, with zero-wait memory. A taken branch costs
one refill cycle (B<cc> is 2 taken, 1 not taken). MULS takes 1 cycle with the
fast multiplier and 32 with the small one (an implementation option; the
target data says which, 1 by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decode import Insn, Kind
from . import BlockTiming, CoreModel, block_end

REFILL = 1   # DDI0484C table 3.1: B 2, B<cc> 2 taken / 1 not taken, BX 2

# Instructions the table does not list (ARMv7-M only: they raise UsageFault on
# an ARMv6-M part) never reach here from a correct M0+ image; they are costed
# like their nearest M0+ relative so a wrongly built image still runs.
_FIXED = {
    Kind.ALU: 1, Kind.DSP: 1, Kind.MAC: 1, Kind.DIV: 1,
    Kind.LOAD: 2, Kind.STORE: 2,               # table 3.1: every LDR/STR form, 2
    Kind.LOAD_DOUBLE: 3, Kind.STORE_DOUBLE: 3,
    Kind.IT: 1, Kind.BARRIER: 3,               # DMB, DSB, ISB: 3
    Kind.HINT: 1, Kind.WAIT: 2,                # NOP/SEV/YIELD 1, WFE/WFI 2
    Kind.EXCEPTION: 1,                         # SVC/BKPT: '-' in the table; 1 issue cycle here
    Kind.UNKNOWN: 1,
}


@dataclass(frozen=True)
class M0Plus(CoreModel):
    def block(self, insns: list[Insn], *, multiplier_cycles: int = 1) -> BlockTiming:
        prefix = [0]
        for insn in insns:
            prefix.append(prefix[-1] + self._cost(insn, multiplier_cycles))
        end = block_end(insns)
        return BlockTiming(tuple(prefix), end, REFILL if end else 0)

    @staticmethod
    def _cost(insn: Insn, multiplier_cycles: int) -> int:
        k = insn.kind
        if k == Kind.MUL:
            return multiplier_cycles                       # MULS: 1 or 32
        if k in (Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE):
            # LDM/STM/PUSH 1+N; POP {.., pc} 3+N = (2+N) + refill
            return (2 if insn.writes_pc else 1) + insn.nregs
        if k == Kind.BRANCH:
            return 2 if insn.name == "bl" else 1           # BL 3 = 2 + refill; B/BX/BLX 1 + refill
        if k == Kind.SYSTEM:
            return 3 if insn.name in ("mrs", "msr") else 1  # MRS/MSR 3, CPSID/CPSIE 1
        if k in (Kind.FP_ALU, Kind.FP_MAC, Kind.FP_DIV, Kind.FP_LOAD, Kind.FP_STORE,
                 Kind.FP_LOAD_MULTIPLE, Kind.FP_STORE_MULTIPLE, Kind.FP_MOVE, Kind.TABLE_BRANCH):
            return 1
        return _FIXED[k]                                   # ALU writing PC: 1 + refill = 2


MODEL = M0Plus(name="cortex-m0plus", align_penalty=False, predictor=False, mispredict=0,
               expected_error="exact per the TRM table for zero-wait memory")
