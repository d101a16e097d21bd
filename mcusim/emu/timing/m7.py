"""Cortex-M7: an approximation of its in-order dual-issue pipeline.

Arm publishes no cycle table for the Cortex-M7. The public sources are
LLVM's scheduling model (llvm/lib/Target/ARM/ARMScheduleM7.td, written with
Arm's input) and published measurements. This model schedules each block
in order, two instructions per cycle at most, with the .td file's resources
and latencies:

* units: 2 ALU, 2 load (LoadL/LoadH), 1 store, 1 MAC, 1 branch, 1 SIMD,
  1 shifter for shifted operands, 1 FP pipe;
* the second instruction of a pair may not need a unit already taken, read a
  register the first writes in the same cycle, or be "slot 0 only"
  (BeginGroup: DSP/SIMD, CLZ, BFI/BFC, LDREX); single-issue instructions
  (LDM/STM/PUSH/POP, LDRD/STRD, SDIV/UDIV, TBB/TBH, MRS/MSR, barriers,
  hints, SVC/BKPT/UDF, STREX) issue alone;
* latencies: ALU 1, multiply and MAC 2 (the accumulator is read one stage
  late, so a chain of MACs on one accumulator issues every cycle), word load
  1 (+1 when the consumer forms an address), byte/halfword load 2, divide 7
  (stalls the pipe), FP 3, FP MAC 6, FP divide/sqrt 16;
* LDM/STM/PUSH/POP move 64 bits per cycle: ceil(N/2) cycles;
* branches: a 2-bit counter per branch (backward taken / forward not taken
  before its first outcome), indirect branches predicted to their last
  target, direct unconditional branches always predicted; a misprediction
  costs MISPREDICT = 4 cycles (the .td's MispredictPenalty; "6 for forward
  branches, but 4 works better").

Expected error: about +-20% against silicon on loop kernels (the .td model
is itself an approximation; dependencies across block boundaries and the
caches' data side are not modelled). It is stated in every M7 report.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decode import PC, Insn, Kind
from . import BlockTiming, CoreModel, block_end

MISPREDICT = 4
DIV_LATENCY = 7

_SINGLE_ISSUE = {Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE, Kind.LOAD_DOUBLE, Kind.STORE_DOUBLE,
                 Kind.DIV, Kind.TABLE_BRANCH, Kind.SYSTEM, Kind.BARRIER, Kind.HINT, Kind.WAIT,
                 Kind.EXCEPTION, Kind.FP_LOAD_MULTIPLE, Kind.FP_STORE_MULTIPLE, Kind.FP_DIV,
                 Kind.UNKNOWN}
_SLOT0_NAMES = {"clz", "bfi", "bfc", "ldrex", "ldrexb", "ldrexh", "sxtb", "sxth", "uxtb", "uxth",
                "rev", "rev16", "revsh", "rbit", "sbfx", "ubfx", "ssat", "usat", "sxtab",
                "sxtah", "uxtab", "uxtah"}


def _units(insn: Insn) -> tuple[str, ...]:
    k = insn.kind
    if k in (Kind.LOAD, Kind.FP_LOAD):
        return ("load",)
    if k in (Kind.STORE, Kind.FP_STORE):
        return ("store",)
    if k in (Kind.MUL, Kind.MAC):
        return ("mac",)
    if k == Kind.DSP:
        return ("simd", "alu")
    if k in (Kind.BRANCH,):
        return ("branch",)
    if k in (Kind.FP_ALU, Kind.FP_MAC, Kind.FP_MOVE):
        return ("vfp",)
    if k == Kind.IT:
        return ()
    if k == Kind.ALU and insn.name in ("lsl", "lsr", "asr", "ror", "rrx"):
        return ("alu", "shift")
    return ("alu",)


def _latency(insn: Insn) -> int:
    k = insn.kind
    if k == Kind.LOAD:
        return 2 if insn.name in ("ldrb", "ldrh", "ldrsb", "ldrsh", "ldrexb", "ldrexh") else 1
    if k in (Kind.LOAD_DOUBLE, Kind.LOAD_MULTIPLE):
        return 1
    if k in (Kind.MUL, Kind.MAC):
        return 2
    if k == Kind.DIV:
        return DIV_LATENCY
    if k in (Kind.FP_ALU, Kind.FP_MOVE, Kind.FP_LOAD):
        return 3
    if k == Kind.FP_MAC:
        return 6
    if k == Kind.FP_DIV:
        return 16
    return 1


def _occupancy(insn: Insn) -> int:
    """Issue cycles a single-issue instruction keeps the pipe."""
    k = insn.kind
    if k in (Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE, Kind.FP_LOAD_MULTIPLE,
             Kind.FP_STORE_MULTIPLE):
        return max(1, (insn.nregs + 1) // 2)
    if k == Kind.DIV:
        return DIV_LATENCY
    if k == Kind.TABLE_BRANCH:
        return 2
    if k == Kind.FP_DIV:
        return 14
    if k in (Kind.SYSTEM, Kind.BARRIER):
        return 3 if insn.name in ("mrs", "msr", "isb", "dsb") else 1
    return 1


@dataclass(frozen=True)
class M7(CoreModel):
    def block(self, insns: list[Insn], *, multiplier_cycles: int = 1) -> BlockTiming:
        ready = [-8] * 16              # cycle at which each register can be read at EX2
                                       # (values from earlier blocks are long ready)
        cycle = 0                      # issue cycle of the current group
        group: list[Insn] = []         # instructions issued in `cycle`
        used: list[str] = []
        issue_at: list[int] = []
        busy_until = 0                 # a single-issue instruction holds the pipe until then
        for insn in insns:
            earliest = max(busy_until, cycle)
            # operand readiness: address registers are read at EX1 (one cycle early),
            # a MAC accumulator one cycle late
            need = 0
            for r in insn.reads:
                if r == PC:
                    continue
                lat = ready[r]
                if r in insn.addr_regs:
                    lat += 1
                elif insn.kind == Kind.MAC and insn.writes and r in insn.writes:
                    lat -= 1
                need = max(need, lat)
            earliest = max(earliest, need)
            units = _units(insn)
            single = insn.kind in _SINGLE_ISSUE
            can_pair = (earliest == cycle and group and len(group) < 2 and not single
                        and not any(g.kind in _SINGLE_ISSUE for g in group)
                        and insn.name not in _SLOT0_NAMES and insn.kind != Kind.DSP
                        and not any(used.count(u) >= (2 if u in ("alu", "load") else 1)
                                    for u in units)
                        and not (insn.reads & set().union(*(g.writes for g in group))))
            if can_pair:
                issue = cycle
            else:
                issue = max(earliest, cycle + 1 if group else cycle)
                cycle = issue
                group, used = [], []
            group.append(insn)
            used.extend(units)
            issue_at.append(issue)
            lat = _latency(insn)
            for r in insn.writes:
                if r != PC:
                    ready[r] = max(ready[r], issue + lat)
            for r in insn.loads:
                if r != PC:
                    ready[r] = max(ready[r], issue + lat)
            if single:
                busy_until = issue + _occupancy(insn)
                cycle = busy_until - 1
                group = [insn]
        total = (max(issue_at[-1] + 1, busy_until) if insns else 0)
        prefix = tuple(issue_at) + (total,)
        return BlockTiming(prefix, block_end(insns), MISPREDICT if block_end(insns) else 0)


MODEL = M7(name="cortex-m7", align_penalty=False, predictor=True, mispredict=MISPREDICT,
           expected_error="approximate dual-issue model (LLVM ARMScheduleM7.td): about +-20%")
