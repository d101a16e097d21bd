"""Cortex-M4 cycle table: Arm DDI0439B (Cortex-M4 TRM r0p1), table 3-1 and
section 3.3.2 "Load/store timings"; FPU figures from table 7-1.

Rules, each with a timing-rule test in kernels/asm_tests/:

* data processing, multiply, multiply-accumulate (MUL, MLA, SMULL, SMLAL)
  and every DSP instruction (SMLAD, SXTB16, ...): 1 cycle;
* LDR/STR (all single forms): 2 cycles; a single load or store that follows
  a single load whose loaded register does not form its address is
  *pipelined* and takes 1 (consecutive independent LDRs, STR after LDR);
  nothing pipelines after a store; LDRD/STRD (3 = 1+N) and LDM/STM/PUSH/POP
  (1+N) never pipeline with their neighbours;
* a load or store whose address depends on the result of the *previous*
  data-processing instruction stalls 1 cycle (no forwarding path);
* branches: 1 + P when taken, 1 when a conditional branch is not taken;
  P = 2, plus 1 when the target is a 32-bit instruction at a halfword
  address (added by the block hook, which knows the target);
  POP {.., pc} and LDM with PC 1+N+P; LDR PC 2 + 3 and TBB/TBH 3 + 3 as the
  load/store timing notes give them;
* IT: 1 cycle, 0 when folded onto a preceding 16-bit instruction;
* SDIV/UDIV: 2 to 12 cycles with early termination on the operands, which a
  block-level model cannot see: charged as DIV_CYCLES (stated in reports);
* MRS/MSR 2 (the table's "1 or 2", upper figure), CPSID/CPSIE 1, DMB/DSB 1,
  ISB 1 + P, WFI/WFE 1 (no interrupts are emulated, W = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decode import PC, Insn, Kind
from . import BlockTiming, CoreModel, block_end

P = 2                 # pipeline refill of a taken branch (table 3-1: 1 to 3)
LDR_PC_REFILL = 3     # section 3.3.2: "LDR PC ... three cycles for the pipeline reload"
TBB_REFILL = 3        # section 3.3.2: "TBB and TBH ... three cycles for the pipeline reload"
DIV_CYCLES = 7        # table 3-1: SDIV/UDIV 2-12; the midpoint, +-5 per divide

_SINGLE_LOADS = (Kind.LOAD,)
_MEMORY = (Kind.LOAD, Kind.STORE, Kind.LOAD_DOUBLE, Kind.STORE_DOUBLE, Kind.LOAD_MULTIPLE,
           Kind.STORE_MULTIPLE, Kind.FP_LOAD, Kind.FP_STORE, Kind.FP_LOAD_MULTIPLE,
           Kind.FP_STORE_MULTIPLE, Kind.TABLE_BRANCH)
_DATA_PROCESSING = (Kind.ALU, Kind.DSP, Kind.MUL, Kind.MAC, Kind.DIV)


def _fp_cost(insn: Insn) -> int:
    """DDI0439B table 7-1 (FPU instruction set)."""
    k = insn.kind
    double = "d" in insn.text.split(",")[0].split()[-1][:1] if insn.text else False
    if k == Kind.FP_MAC:
        return 3                         # VMLA/VMLS/VNMLA/VNMLS/VFMA...: 3
    if k == Kind.FP_DIV:
        return 14                        # VDIV, VSQRT: 14
    if k in (Kind.FP_LOAD, Kind.FP_STORE):
        return 3 if double else 2        # VLDR/VSTR .32: 2, .64: 3
    if k in (Kind.FP_LOAD_MULTIPLE, Kind.FP_STORE_MULTIPLE):
        return 1 + insn.nregs            # VLDM/VSTM/VPUSH/VPOP: 1+N
    if k == Kind.FP_MOVE:
        return 2 if insn.text.count(",") >= 2 else 1   # VMOV two core registers: 2
    return 1                             # VADD, VSUB, VMUL, VABS, VNEG, VCMP, VCVT: 1


@dataclass(frozen=True)
class M4(CoreModel):
    def block(self, insns: list[Insn], *, multiplier_cycles: int = 1) -> BlockTiming:
        prefix = [0]
        prev: Insn | None = None
        for insn in insns:
            prefix.append(prefix[-1] + self.cost(insn, prev))
            prev = insn
        end = block_end(insns)
        extra = 0
        if end:
            last = insns[-1]
            if last.kind == Kind.TABLE_BRANCH:
                extra = TBB_REFILL
            elif last.kind == Kind.LOAD and PC in last.loads:
                extra = LDR_PC_REFILL
            else:
                extra = P
        return BlockTiming(tuple(prefix), end, extra)

    @staticmethod
    def cost(insn: Insn, prev: Insn | None) -> int:
        """Cycles of `insn` after `prev` (None at the start of a block), zero wait states."""
        k = insn.kind
        stall = 0
        if (k in _MEMORY and prev is not None and prev.kind in _DATA_PROCESSING
                and (insn.addr_regs - {PC}) & prev.writes):
            stall = 1                    # address depends on the previous data-processing result
        if k in (Kind.LOAD, Kind.STORE):
            if insn.writes_pc:
                return 2 + stall         # LDR PC: 2 (+ refill, added as taken_extra)
            pipelined = (prev is not None and prev.kind in _SINGLE_LOADS and not prev.writes_pc
                         and not (prev.loads & insn.addr_regs))
            return (1 if pipelined else 2) + stall
        if k in (Kind.LOAD_DOUBLE, Kind.STORE_DOUBLE):
            return 3 + stall             # 1+N, N = 2, never pipelined
        if k in (Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE):
            return 1 + insn.nregs + stall  # 1+N (POP/LDM with PC: + P as taken_extra)
        if k == Kind.TABLE_BRANCH:
            return 3 + stall             # 2 for the load, 1 for the add (+ 3 refill)
        if k == Kind.IT:
            return 0 if prev is not None and prev.size == 2 else 1   # folded onto a 16-bit insn
        if k == Kind.DIV:
            return DIV_CYCLES
        if k == Kind.SYSTEM:
            return 2 if insn.name in ("mrs", "msr") else 1
        if k == Kind.BARRIER:
            return 1 + P if insn.name == "isb" else 1
        if k in (Kind.FP_ALU, Kind.FP_MAC, Kind.FP_DIV, Kind.FP_LOAD, Kind.FP_STORE,
                 Kind.FP_LOAD_MULTIPLE, Kind.FP_STORE_MULTIPLE, Kind.FP_MOVE):
            return _fp_cost(insn) + stall
        return 1                         # ALU, DSP, MUL, MAC, branches (+ refill), hints


MODEL = M4(name="cortex-m4", align_penalty=True, predictor=False, mispredict=0,
           expected_error="per the TRM tables for zero-wait memory; SDIV/UDIV +-5 cycles each")
