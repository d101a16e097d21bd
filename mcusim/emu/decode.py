"""Decoding a translated block once, with Capstone, into what the timing models need.

Each instruction becomes an :class:`Insn`: its class (ALU, multiply, load,
load multiple, branch, ...), the general-purpose registers it reads and
writes, the registers that form its memory address, its register-list length
N, and whether it is conditional. The per-core timing models
(:mod:`mcusim.emu.timing`) work from these records only, and the same
records let the machine work out which instruction of a block made a given
memory access (see :func:`effective_range`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from capstone import CS_AC_READ, CS_AC_WRITE, CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
from capstone import arm as csarm

PC, LR, SP = 15, 14, 13

_GPR = {f"r{i}": i for i in range(13)}
_GPR.update({"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15})


class Kind(enum.IntEnum):
    """Instruction classes shared by the per-core timing tables."""
    ALU = 0          # data processing, moves, shifts, extends, bit fields, saturation
    DSP = 1          # ARMv7E-M SIMD/packing/saturating arithmetic (single-cycle ALU on M4)
    MUL = 2          # 32-bit multiply (MUL, MULS)
    MAC = 3          # multiply-accumulate and long/DSP multiplies (MLA, SMLAD, SMULL, ...)
    DIV = 4          # SDIV, UDIV
    LOAD = 5         # single load: LDR, LDRB, LDRH, LDRSB, LDRSH, LDREX, LDRT
    STORE = 6        # single store: STR, STRB, STRH, STREX
    LOAD_DOUBLE = 7  # LDRD
    STORE_DOUBLE = 8  # STRD
    LOAD_MULTIPLE = 9   # LDM, POP
    STORE_MULTIPLE = 10  # STM, PUSH
    BRANCH = 11      # B, B<cc>, BL, BX, BLX, CBZ, CBNZ
    TABLE_BRANCH = 12  # TBB, TBH
    IT = 13
    BARRIER = 14     # DMB, DSB, ISB
    SYSTEM = 15      # MRS, MSR, CPS
    HINT = 16        # NOP, YIELD, SEV
    WAIT = 17        # WFI, WFE
    EXCEPTION = 18   # SVC, BKPT, UDF
    FP_ALU = 19      # VADD, VSUB, VMUL, VABS, VNEG, VCMP, VCVT, VMOV (FP<->FP)
    FP_MAC = 20      # VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA, VFNMS
    FP_DIV = 21      # VDIV, VSQRT
    FP_LOAD = 22     # VLDR
    FP_STORE = 23    # VSTR
    FP_LOAD_MULTIPLE = 24   # VLDM, VPOP
    FP_STORE_MULTIPLE = 25  # VSTM, VPUSH
    FP_MOVE = 26     # VMOV core<->FP, VMRS, VMSR
    UNKNOWN = 27     # Capstone could not decode it (data in code, or an unsupported encoding)


class Branch(enum.IntEnum):
    """How a block ends, for the dynamic branch cost (hook field F_BRKIND)."""
    NONE = 0         # falls through (TB split, BKPT, system instruction, ...)
    DIRECT = 1       # unconditional B/BL to an immediate target: always taken
    COND = 2         # conditional: B<cc>, CBZ/CBNZ, any PC write inside an IT block
    INDIRECT = 3     # unconditional BX/BLX/POP {pc}/LDR pc/MOV pc/ADD pc/TBB/TBH


@dataclass(frozen=True, slots=True)
class Mem:
    """The memory operand of a load or store."""
    base: int            # GPR number (15 = PC-relative)
    index: int | None
    shift: int           # LSL amount applied to the index
    disp: int            # signed immediate offset (0 when post-indexed)
    post: bool           # post-indexed: the access uses the base before the update
    size: int            # bytes accessed by one transfer (8 for LDRD/STRD, 4*N for LDM/STM)
    decrement: bool      # LDMDB/STMDB/PUSH: the block ends just below the base


@dataclass(frozen=True, slots=True)
class Insn:
    address: int
    size: int
    name: str                 # base name without condition or width suffix: "ldr", "smlad"
    text: str                 # full disassembly, for reports
    kind: Kind
    cond: bool                # executes conditionally (condition code or inside an IT block)
    reads: frozenset[int]     # general-purpose registers read
    writes: frozenset[int]    # general-purpose registers written
    loads: frozenset[int]     # registers written with loaded data (LDR, LDM, POP)
    addr_regs: frozenset[int]  # registers that form the memory address
    nregs: int                # N of LDM/STM/PUSH/POP/VLDM/VSTM (registers transferred)
    writes_pc: bool
    target: int | None        # immediate branch target
    mem: Mem | None

    @property
    def is_32bit(self) -> bool:
        return self.size == 4


_CS: Cs | None = None


def _capstone() -> Cs:
    global _CS
    if _CS is None:
        _CS = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
        _CS.detail = True
    return _CS


_ALU = {"mov", "movs", "mvn", "movw", "movt", "add", "adds", "addw", "adc", "sub", "subs", "subw",
        "sbc", "rsb", "rsc", "and", "orr", "orn", "eor", "bic", "cmp", "cmn", "tst", "teq",
        "lsl", "lsr", "asr", "ror", "rrx", "neg", "adr", "clz", "rbit", "rev", "rev16", "revsh",
        "bfc", "bfi", "sbfx", "ubfx", "sxtb", "sxth", "uxtb", "uxth", "ssat", "usat",
        "sxtab", "sxtah", "uxtab", "uxtah"}
_DSP = {"sxtb16", "uxtb16", "sxtab16", "uxtab16", "ssat16", "usat16", "pkhbt", "pkhtb", "sel",
        "qadd", "qsub", "qdadd", "qdsub", "usad8", "usada8"}
_DSP_PREFIX = ("sadd", "ssub", "sasx", "ssax", "uadd", "usub", "uasx", "usax", "qadd", "qsub",
               "qasx", "qsax", "shadd", "shsub", "shasx", "shsax", "uhadd", "uhsub", "uhasx",
               "uhsax", "uqadd", "uqsub", "uqasx", "uqsax")
_MUL = {"mul", "muls"}
_MAC = {"mla", "mls", "smull", "umull", "smlal", "umlal", "umaal", "smmul", "smmulr", "smmla",
        "smmlar", "smmls", "smmlsr", "smlad", "smladx", "smlsd", "smlsdx", "smlald", "smlaldx",
        "smlsld", "smlsldx", "smuad", "smuadx", "smusd", "smusdx", "smlabb", "smlabt", "smlatb",
        "smlatt", "smlawb", "smlawt", "smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt",
        "smlalbb", "smlalbt", "smlaltb", "smlaltt"}
_LOAD = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrex", "ldrexb", "ldrexh", "ldrt", "ldrbt",
         "ldrht", "ldrsbt", "ldrsht", "pld", "pli"}
_STORE = {"str", "strb", "strh", "strex", "strexb", "strexh", "strt", "strbt", "strht"}
_ACCESS = {"ldr": 4, "ldrb": 1, "ldrh": 2, "ldrsb": 1, "ldrsh": 2, "ldrex": 4, "ldrexb": 1,
           "ldrexh": 2, "ldrt": 4, "ldrbt": 1, "ldrht": 2, "ldrsbt": 1, "ldrsht": 2, "str": 4,
           "strb": 1, "strh": 2, "strex": 4, "strexb": 1, "strexh": 2, "strt": 4, "strbt": 1,
           "strht": 2, "pld": 4, "pli": 4, "ldrd": 8, "strd": 8, "vldr": 4, "vstr": 4}
_FP_ALU = {"vadd", "vsub", "vmul", "vnmul", "vabs", "vneg", "vcmp", "vcmpe", "vcvt", "vcvtr",
           "vcvta", "vcvtn", "vcvtp", "vcvtm", "vcvtb", "vcvtt", "vrinta", "vrintn", "vrintp",
           "vrintm", "vrintx", "vrintz", "vrintr", "vmaxnm", "vminnm", "vsel", "vseleq",
           "vselge", "vselgt", "vselvs"}
_FP_MAC = {"vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"}


def _classify(name: str) -> Kind:
    if name in _ALU:
        return Kind.ALU
    if name in _DSP or name.startswith(_DSP_PREFIX):
        return Kind.DSP
    if name in _MUL:
        return Kind.MUL
    if name in _MAC:
        return Kind.MAC
    if name in ("sdiv", "udiv"):
        return Kind.DIV
    if name in _LOAD:
        return Kind.LOAD
    if name in _STORE:
        return Kind.STORE
    if name == "ldrd":
        return Kind.LOAD_DOUBLE
    if name == "strd":
        return Kind.STORE_DOUBLE
    if name in ("ldm", "ldmia", "ldmdb", "ldmfd", "pop"):
        return Kind.LOAD_MULTIPLE
    if name in ("stm", "stmia", "stmdb", "stmfd", "stmea", "push"):
        return Kind.STORE_MULTIPLE
    if name in ("b", "bl", "bx", "blx", "cbz", "cbnz"):
        return Kind.BRANCH
    if name in ("tbb", "tbh"):
        return Kind.TABLE_BRANCH
    if name == "it":
        return Kind.IT
    if name in ("dmb", "dsb", "isb"):
        return Kind.BARRIER
    if name in ("mrs", "msr", "cps", "cpsie", "cpsid", "clrex"):
        return Kind.SYSTEM
    if name in ("wfi", "wfe"):
        return Kind.WAIT
    if name in ("nop", "yield", "sev", "hint", "dbg"):
        return Kind.HINT
    if name in ("svc", "bkpt", "udf"):
        return Kind.EXCEPTION
    if name in _FP_MAC:
        return Kind.FP_MAC
    if name in ("vdiv", "vsqrt"):
        return Kind.FP_DIV
    if name == "vldr":
        return Kind.FP_LOAD
    if name == "vstr":
        return Kind.FP_STORE
    if name in ("vldm", "vldmia", "vldmdb", "vpop"):
        return Kind.FP_LOAD_MULTIPLE
    if name in ("vstm", "vstmia", "vstmdb", "vpush"):
        return Kind.FP_STORE_MULTIPLE
    if name in ("vmov", "vmrs", "vmsr"):
        return Kind.FP_MOVE
    if name in _FP_ALU or name.startswith("v"):
        return Kind.FP_ALU
    return Kind.ALU


_REG_IDS: dict[int, int | None] = {}


def _reg(cs_insn, reg_id: int) -> int | None:
    """General-purpose register number (0-15) of a Capstone register id, else None."""
    try:
        return _REG_IDS[reg_id]
    except KeyError:
        r = _REG_IDS[reg_id] = _GPR.get(cs_insn.reg_name(reg_id) or "")
        return r


def _convert(i, it_pending: int) -> Insn:
    name = i.insn_name()
    mnemonic = i.mnemonic.split(".")[0]
    if name == "hint":
        name = mnemonic                      # nop, wfi, wfe, sev, yield
    if name == "movs" and mnemonic != "movs":
        name = "mov"
    kind = _classify(name)
    read_ids, write_ids = i.regs_access()
    reads = {r for r in (_reg(i, x) for x in read_ids) if r is not None}
    writes = {r for r in (_reg(i, x) for x in write_ids) if r is not None}
    loads: set[int] = set()
    mem = None
    addr_regs: set[int] = set()
    target = None
    reglist = []
    for n, op in enumerate(i.operands):
        if op.type == csarm.ARM_OP_REG:
            r = _reg(i, op.reg)
            if r is None:
                continue
            reglist.append(r)
            # Capstone leaves access empty on some source operands (SSAT, PKHBT):
            # an operand that is not the destination is read.
            if op.access & CS_AC_READ or (op.access == 0 and n > 0):
                reads.add(r)
            if op.access & CS_AC_WRITE:
                writes.add(r)
        elif op.type == csarm.ARM_OP_MEM:
            base = _reg(i, op.mem.base)
            index = _reg(i, op.mem.index) if op.mem.index else None
            post = bool(getattr(i, "post_index", False))
            shift = op.shift.value if op.shift.type else 0
            disp = 0 if post else op.mem.disp
            if op.subtracted and disp > 0:
                disp = -disp
            mem = Mem(base=base if base is not None else 0, index=index, shift=shift,
                      disp=disp, post=post, size=_ACCESS.get(name, 4), decrement=False)
            addr_regs = {r for r in (base, index) if r is not None}
            reads |= addr_regs
        elif op.type == csarm.ARM_OP_IMM and kind in (Kind.BRANCH,):
            target = op.imm
    nregs = 0
    if kind in (Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE):
        if name in ("push", "pop"):
            base = SP
            lst = reglist
        else:
            base = reglist[0] if reglist else 0
            lst = reglist[1:]
        nregs = len(lst)
        decrement = name in ("push", "stmdb", "ldmdb")
        mem = Mem(base=base, index=None, shift=0, disp=0, post=False, size=4 * nregs,
                  decrement=decrement)
        addr_regs = {base}
        reads.add(base)
        if kind == Kind.LOAD_MULTIPLE:
            loads = set(lst)
    elif kind in (Kind.FP_LOAD_MULTIPLE, Kind.FP_STORE_MULTIPLE):
        nregs = sum(2 if i.reg_name(op.reg).startswith("d") else 1
                    for op in i.operands if op.type == csarm.ARM_OP_REG
                    and i.reg_name(op.reg)[0] in "sd")
        if name in ("vpush", "vpop"):
            mem = Mem(base=SP, index=None, shift=0, disp=0, post=False, size=4 * nregs,
                      decrement=name == "vpush")
            addr_regs = {SP}
            reads.add(SP)
    elif kind in (Kind.LOAD, Kind.LOAD_DOUBLE) and name not in ("pld", "pli"):
        # the data destinations are the register operands written (the base's
        # write-back belongs to the memory operand, not to this list)
        loads = {r for op in i.operands if op.type == csarm.ARM_OP_REG
                 and op.access & CS_AC_WRITE
                 for r in [_reg(i, op.reg)] if r is not None}
    if name in ("strex", "strexb", "strexh"):
        loads = set()
    if name in ("pld", "pli"):
        writes = set()
    writes_pc = PC in writes or kind == Kind.TABLE_BRANCH or (
        kind == Kind.BRANCH and name not in ("bkpt",))
    cond = i.cc not in (csarm.ARM_CC_AL, csarm.ARM_CC_INVALID) or it_pending > 0 \
        or name in ("cbz", "cbnz")
    if kind == Kind.IT:
        cond = False
    return Insn(address=i.address, size=i.size, name=name,
                text=f"{i.mnemonic} {i.op_str}".strip(), kind=kind, cond=cond,
                reads=frozenset(reads), writes=frozenset(writes - {PC} if not writes_pc else writes),
                loads=frozenset(loads), addr_regs=frozenset(addr_regs), nregs=nregs,
                writes_pc=writes_pc, target=target, mem=mem)


def _unknown(address: int, size: int, data: bytes) -> Insn:
    return Insn(address=address, size=size, name="?", text=f".inst 0x{data.hex()}",
                kind=Kind.UNKNOWN, cond=False, reads=frozenset(), writes=frozenset(),
                loads=frozenset(), addr_regs=frozenset(), nregs=0, writes_pc=False,
                target=None, mem=None)


_CACHE: dict[tuple[int, bytes], list[Insn]] = {}
_CACHE_LIMIT = 1 << 16


def decode_block(code: bytes, address: int) -> list[Insn]:
    """Every instruction of the block `code` starting at `address`.

    Bytes Capstone cannot decode become :attr:`Kind.UNKNOWN` records of 2 or
    4 bytes (as the Thumb encoding says), so the block is always covered.
    Results are kept for the life of the process (keyed by address and bytes):
    Capstone's details cost ~80 us per instruction, and the same images run
    many times in a session (benchmarks, both modes, tests).
    """
    key = (address, bytes(code))
    hit = _CACHE.get(key)
    if hit is not None:
        return list(hit)
    out = _decode(code, address)
    if len(_CACHE) < _CACHE_LIMIT:
        _CACHE[key] = out
    return list(out)


def _decode(code: bytes, address: int) -> list[Insn]:
    cs = _capstone()
    out: list[Insn] = []
    off = 0
    it_pending = 0
    while off < len(code):
        for i in cs.disasm(code[off:], address + off):
            out.append(_convert(i, it_pending))
            if out[-1].kind == Kind.IT:
                it_pending = len(i.mnemonic.split(".")[0]) - 1   # it: 1, ite: 2, itte: 3 ...
            elif it_pending:
                it_pending -= 1
            off += i.size
        if off < len(code):                  # Capstone stopped on bytes it cannot decode
            half = int.from_bytes(code[off:off + 2].ljust(2, b"\0"), "little")
            size = 4 if (half >> 11) in (0b11101, 0b11110, 0b11111) else 2
            size = min(size, len(code) - off)
            out.append(_unknown(address + off, size, code[off:off + size]))
            off += size
            it_pending = max(0, it_pending - 1)
    return out


WRITES_MEMORY = frozenset({Kind.STORE, Kind.STORE_DOUBLE, Kind.STORE_MULTIPLE, Kind.FP_STORE,
                           Kind.FP_STORE_MULTIPLE})


def effective_range(insn: Insn, regs) -> tuple[int, int] | None:
    """[start, end) of the memory `insn` accesses, from register values `regs`
    (a callable: GPR number -> value) read *at* the access, before any base
    write-back. None for an instruction without a memory operand."""
    m = insn.mem
    if m is None:
        return None
    if m.base == PC:
        base = (insn.address + 4) & ~3
    else:
        base = regs(m.base)
    if m.index is not None:
        offset = (regs(m.index) << m.shift) & 0xFFFFFFFF
    else:
        offset = m.disp
    if insn.kind in (Kind.LOAD_MULTIPLE, Kind.STORE_MULTIPLE, Kind.FP_LOAD_MULTIPLE,
                     Kind.FP_STORE_MULTIPLE):
        start = base - m.size if m.decrement else base
        return start & 0xFFFFFFFF, (start + m.size) & 0xFFFFFFFF
    if insn.kind == Kind.TABLE_BRANCH:
        start = (base + offset) & 0xFFFFFFFF
        return start, start + (2 if insn.name == "tbh" else 1)
    start = base if m.post else (base + offset) & 0xFFFFFFFF
    return start, start + m.size


__all__ = ["Kind", "Branch", "Insn", "Mem", "decode_block", "effective_range", "WRITES_MEMORY",
           "PC", "LR", "SP"]
