"""The machine: an ELF on an emulated Cortex-M, run from reset to exit or fault.

    m = Machine("app.elf", core="cortex-m4", target="stm32f446re")
    result = m.run()           # EmulationResult, or raises EmulationFault

Unicorn executes the code with the matching CPU model; the compiled block
hook (:mod:`mcusim.emu.hook`) counts instructions and cycles; Python runs
only on rare events: a block seen for the first time, an access to the
debug peripherals, a semihosting call, a fault.
"""

from __future__ import annotations

import ctypes
import time
from pathlib import Path

import numpy as np
from unicorn import (UC_ARCH_ARM, UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_PROT, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_PROT,
                     UC_ERR_WRITE_UNMAPPED, UC_HOOK_BLOCK, UC_HOOK_INTR, UC_HOOK_MEM_INVALID,
                     UC_MODE_MCLASS, UC_MODE_THUMB, Uc, UcError)
from unicorn import arm_const as A

from ..errors import McusimError
from . import hook as H
from .blocks import BlockTable
from .elf import ElfImage, load_elf
from .faults import EmulationFault, FaultKind, FaultReport
from .flash import DATA_SIDE_NOTE, ZERO_WAIT, fetch_model
from .memmap import MemoryMap, MemoryMapError
from .peripherals import Peripherals, SystemReset
from .result import EmulationResult
from .semihost import ProgramExit, Semihosting
from .sram import paint, peak, stack_region
from .timing import CORES, core_model

UNICORN_CPU = {"cortex-m0plus": A.UC_CPU_ARM_CORTEX_M0, "cortex-m4": A.UC_CPU_ARM_CORTEX_M4,
               "cortex-m7": A.UC_CPU_ARM_CORTEX_M7}
CORE_ALIASES = {"cortex-m0+": "cortex-m0plus", "m0+": "cortex-m0plus", "m0plus": "cortex-m0plus",
                "m4": "cortex-m4", "m7": "cortex-m7", "cortex-m4f": "cortex-m4"}
GPR = [A.UC_ARM_REG_R0 + i for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR,
                                                   A.UC_ARM_REG_PC]
UNTIL = 0xFFFFFFFF               # an address no Thumb PC can hold: run until stopped
NO_BUDGET = (1 << 62)

# QEMU exception numbers Unicorn passes to UC_HOOK_INTR on Arm
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT = 1, 2, 3, 4, 7
EXCP_NAMES = {1: "UNDEFINED instruction", 2: "SVC", 3: "prefetch abort", 4: "data abort",
              5: "IRQ", 8: "exception return", 16: "semihosting", 17: "coprocessor access (NOCP)",
              18: "invalid state (INVSTATE)", 19: "stack limit (STKOF)", 20: "lazy FP stacking",
              21: "lazy state error", 22: "unaligned access (UNALIGNED)"}


class EmulatorError(McusimError):
    """The machine cannot be set up: unknown core, core/target mismatch, bad reset vector."""


def normalize_core(name: str) -> str:
    name = name.lower()
    name = CORE_ALIASES.get(name, name)
    if name not in CORES:
        raise EmulatorError(f"unknown core {name!r}; choose one of: {', '.join(CORES)}")
    return name


def core_from_elf(elf: ElfImage) -> str | None:
    """The core an ELF was built for, from its .ARM.attributes (None if unknown).

    Tag_CPU_name names the core when the compiler was given -mcpu; otherwise
    only the architecture is known: ARMv6-M is taken as a Cortex-M0+ and
    ARMv7E-M as a Cortex-M4 (an M7 image built with -march needs --core)."""
    name = elf.cpu_name or ""
    for core, keys in (("cortex-m0plus", ("cortex-m0",)), ("cortex-m4", ("cortex-m4",)),
                       ("cortex-m7", ("cortex-m7",))):
        if any(k in name for k in keys):
            return core
    if elf.cpu_arch in (11, 12):
        return "cortex-m0plus"
    if elf.cpu_arch == 13:
        return "cortex-m4"
    return None


class _Stop(Exception):
    """A fault found by a hook: ends the run (carries the report fields)."""

    def __init__(self, kind: FaultKind, detail: str, pc: int | None, address: int | None,
                 cycles: int, instructions: int):
        super().__init__(detail)
        self.kind, self.detail, self.pc, self.address = kind, detail, pc, address
        self.cycles, self.instructions = cycles, instructions


class Machine:
    """An ELF loaded into an emulated Cortex-M, ready to run from reset."""

    def __init__(self, elf: str | Path | ElfImage, *, core: str | None = None,
                 target=None, max_instructions: int | None = None, output=None,
                 accounting: bool = True, profile: bool = False, trace_decoder=None,
                 extra_regions=()):
        self.elf = elf if isinstance(elf, ElfImage) else load_elf(elf)
        if isinstance(target, str):
            from ..targets import load_target
            try:
                target = load_target(target)
            except KeyError as exc:
                raise EmulatorError(str(exc.args[0])) from None
        self.target = target
        self.core = self._choose_core(core)
        self.model = core_model(self.core)
        self.fetch = fetch_model(target) if target is not None else ZERO_WAIT
        self.clock_hz = target.clock_hz if target is not None else None
        self.output = output or (lambda data, stream: None)
        self.accounting = accounting
        self.trace_decoder = trace_decoder          # callable(ItmRecord) -> phase name or None
        self.max_instructions = max_instructions
        self._out = bytearray()
        self._phase: str | None = None
        self._stop: _Stop | None = None
        self._exit: ProgramExit | None = None

        self.memmap = MemoryMap.for_target(target) if target is not None else MemoryMap.generic()
        for name, base, size in extra_regions:      # e.g. the firmware's host I/O region
            self.memmap.add(name, "host", base, size)
        for start, end in self.elf.code_ranges():
            r = self.memmap.find(start)
            if r is not None and r.kind != "flash":
                self.memmap.allow_code(start, end)
        for seg in self.elf.segments:
            if seg.data:
                self.memmap.write(seg.paddr, seg.data)

        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(UNICORN_CPU[self.core])
        self.memmap.map_into(self.uc)

        self.state = np.zeros(H.N_STATE, dtype=np.int64)
        self.state[H.S_PREV] = -1
        self.state[H.S_BUDGET] = max_instructions if max_instructions is not None else NO_BUDGET
        self.state[H.S_MIN_SP] = 1 << 40
        self.state[H.S_PROFILE] = 1 if profile else 0
        mult = int(((target.raw.get("multiplier_cycles") or {}).get("value", 1))
                   if target is not None else 1)
        flash_ranges = [(r.base, r.end) for r in self.memmap.regions if r.kind == "flash"]
        self.blocks = BlockTable(
            self.state, self.model, multiplier_cycles=mult,
            fetch_line_bytes=self.fetch.line_bytes,
            fetch_region=lambda a: any(lo <= a < hi for lo, hi in flash_ranges))
        self._setup_state()

        self.peripherals = Peripherals(self.core, self.clock_hz or 1, now=self._now,
                                       on_itm=self._on_itm)
        self.peripherals.map_into(self.uc)
        self.semihosting = Semihosting(self.memmap, cycles=self._cycles_now,
                                       clock_hz=self.clock_hz or 1_000_000,
                                       write_out=self._write_out)
        self._install_hooks()

        self.vector_base, self.initial_sp, self.reset_pc = self._vectors()
        self.stack = stack_region(self.elf, self.memmap, self.initial_sp)
        self.state[H.S_STACK_LIMIT] = self.stack.limit

    # ---- set-up ---------------------------------------------------------------------
    def _choose_core(self, core: str | None) -> str:
        tcore = self.target.core if self.target is not None else None
        if core is not None:
            core = normalize_core(core)
            if tcore is not None and core != tcore:
                raise EmulatorError(f"--core {core} does not match target {self.target.name}, "
                                    f"a {tcore}")
            return core
        if tcore is not None:
            return tcore
        guess = core_from_elf(self.elf)
        if guess is None:
            raise EmulatorError(f"{self.elf.path}: cannot tell the core from the ELF's attributes; "
                                f"give --core ({', '.join(CORES)})")
        return guess

    def _setup_state(self) -> None:
        st = self.state
        st[H.S_STOP_FN] = ctypes.cast(_uclib().uc_emu_stop, ctypes.c_void_p).value
        st[H.S_REGREAD_FN] = ctypes.cast(_uclib().uc_reg_read, ctypes.c_void_p).value
        st[H.S_SP_REG] = A.UC_ARM_REG_SP
        st[H.S_PREDICT] = 1 if self.model.predictor else 0
        st[H.S_MISPREDICT] = self.model.mispredict
        st[H.S_ALIGN_PEN] = 1 if self.model.align_penalty else 0
        f = self.fetch
        st[H.S_FETCH_ON] = 1 if f.active else 0
        st[H.S_FETCH_PEN] = f.miss_penalty
        st[H.S_FETCH_SETS] = f.sets
        st[H.S_FETCH_WAYS] = f.ways
        st[H.S_FETCH_PREFETCH] = 1 if f.prefetch else 0
        n = max(1, f.sets * f.ways)
        self._fetch_tags = np.full(n, -1, dtype=np.int64)
        self._fetch_stamps = np.zeros(n, dtype=np.int64)
        st[H.S_FETCH_TAGS] = self._fetch_tags.ctypes.data
        st[H.S_FETCH_STAMPS] = self._fetch_stamps.ctypes.data
        st[H.S_FETCH_LAST] = -1
        self._miss_cb = H.MISS_CFUNCTYPE(self._on_miss)
        st[H.S_MISS_FN] = ctypes.cast(self._miss_cb, ctypes.c_void_p).value

    def _install_hooks(self) -> None:
        if self.accounting:
            handle = ctypes.c_size_t()
            err = _uclib().uc_hook_add(self.uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK,
                                       ctypes.c_void_p(H.block_hook.address),
                                       ctypes.c_void_p(self.state.ctypes.data),
                                       ctypes.c_uint64(1), ctypes.c_uint64(0))
            if err:
                raise EmulatorError(f"uc_hook_add(UC_HOOK_BLOCK) failed: {UcError(err)}")
        self.uc.hook_add(UC_HOOK_INTR, self._on_intr)
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid)
        self._invalid: tuple[int, int, int] | None = None

    def _vectors(self) -> tuple[int, int, int]:
        base = self.target.flash.address if self.target is not None else 0
        try:
            sp, pc = self.memmap.word(base), self.memmap.word(base + 4)
        except MemoryMapError:
            sp = pc = 0
        if pc == 0 or not self._in_code(pc & ~1):
            lowest = min(s.paddr for s in self.elf.segments)
            try:
                sp2, pc2 = self.memmap.word(lowest), self.memmap.word(lowest + 4)
            except MemoryMapError:
                sp2 = pc2 = 0
            if pc2 and self._in_code(pc2 & ~1):
                base, sp, pc = lowest, sp2, pc2
            else:
                raise EmulatorError(
                    f"{self.elf.path}: no vector table at 0x{base:08x} (reset vector "
                    f"0x{pc:08x} is not in the code)")
        if not pc & 1:
            raise EmulatorError(f"{self.elf.path}: reset vector 0x{pc:08x} lacks the Thumb bit "
                                "(a Cortex-M would take a HardFault at reset)")
        return base, sp, pc & ~1

    def _in_code(self, address: int) -> bool:
        r = self.memmap.find(address)
        return r is not None and r.executable and any(
            lo <= address < hi for lo, hi in self.elf.code_ranges())

    # ---- memory access for callers (model images, mailboxes) ----------------------
    def write_memory(self, address: int, data: bytes) -> None:
        """Write bytes anywhere in the map (flash included), before or between runs."""
        self.memmap.write(address, data)

    def read_memory(self, address: int, length: int) -> bytes:
        return self.memmap.read(address, length)

    # ---- hooks ------------------------------------------------------------------------
    def _on_miss(self, address: int, size: int) -> int:
        try:
            if not self._in_code(address) or not self._in_code(address + max(size, 1) - 1):
                pc, cyc, ins = address, int(self.state[H.S_CYC]), int(self.state[H.S_INSN])
                raise _Stop(FaultKind.EXEC_OUTSIDE_CODE,
                            "the PC left the ELF's executable sections", pc, address, cyc, ins)
            code = self.memmap.read(address, size)
            return self.blocks.add(address, size, code)
        except BaseException as exc:   # a ctypes callback must not raise: stop the run
            self._stop = exc if isinstance(exc, _Stop) else _Stop(
                FaultKind.EMULATOR, f"block decoder failed: {exc!r}", address, None,
                int(self.state[H.S_CYC]), int(self.state[H.S_INSN]))
            self.uc.emu_stop()
            return -1

    def _reg(self, n: int) -> int:
        return self.uc.reg_read(GPR[n])

    @property
    def sp(self) -> int:
        """The stack pointer now (current inside MMIO and trace callbacks)."""
        return self.uc.reg_read(A.UC_ARM_REG_SP)

    @property
    def instructions_so_far(self) -> int:
        """Instructions retired up to the current block (for progress reports)."""
        return int(self.state[H.S_INSN])

    def _now(self, address: int, size: int, is_write: bool) -> tuple[int, int]:
        """(cycle, pc) of the instruction making the current MMIO access."""
        k = self.blocks.locate(address, size, self._reg, is_write)
        pc, cycles, _ = self.blocks.at(k)
        return cycles, pc

    def _cycles_now(self) -> int:
        info = self.blocks.current()
        if info is None:
            return int(self.state[H.S_CYC])
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        k = info.index_of(pc)
        return self.blocks.at(k if k is not None else len(info.insns) - 1)[1]

    def _on_itm(self, rec) -> None:
        if self.trace_decoder is not None:
            phase = self.trace_decoder(rec)
            if phase is not None:
                self._phase = phase
        else:
            self._phase = f"ITM port {rec.port} <- 0x{rec.value:x} at cycle {rec.cycle:,}"

    def _write_out(self, data: bytes, stream: str) -> None:
        if data:
            self._out += data
            self.output(data, stream)

    def _on_intr(self, uc, intno: int, _user) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if intno == EXCP_SWI:
            pc -= 2                  # Unicorn reports the instruction after the SVC
        info = self.blocks.current()
        k = info.index_of(pc) if info is not None else None
        pc_, cycles, insns = self.blocks.at(k if k is not None else 0)
        if intno == EXCP_BKPT:
            half = int.from_bytes(self.memmap.read(pc, 2), "little")
            if half == 0xBEAB:
                op, param = uc.reg_read(A.UC_ARM_REG_R0), uc.reg_read(A.UC_ARM_REG_R1)
                try:
                    r0 = self.semihosting.call(op, param)
                except MemoryMapError as exc:
                    raise _Stop(FaultKind.SEMIHOSTING, f"semihosting 0x{op:x}: {exc}", pc, param,
                                cycles, insns) from None
                uc.reg_write(A.UC_ARM_REG_R0, r0 & 0xFFFFFFFF)
                uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
                return
            raise _Stop(FaultKind.BREAKPOINT, f"BKPT 0x{half & 0xFF:02x}", pc, None, cycles, insns)
        if intno == EXCP_UDEF:
            raise _Stop(FaultKind.INVALID_INSTRUCTION, self._insn_text(pc), pc, None, cycles, insns)
        if intno == EXCP_SWI:
            raise _Stop(FaultKind.HARDFAULT, "SVC: exception entry is not emulated", pc, None,
                        cycles, insns)
        raise _Stop(FaultKind.HARDFAULT, EXCP_NAMES.get(intno, f"CPU exception {intno}"), pc,
                    None, cycles, insns)

    def _insn_text(self, pc: int) -> str:
        try:
            raw = self.memmap.read(pc, 4)
        except MemoryMapError:
            return "instruction bytes unreadable"
        from .decode import decode_block
        insn = decode_block(raw, pc)[0]
        return f"{insn.text} ({raw[:insn.size].hex()})"

    def _on_invalid(self, uc, access, address, size, value, _user) -> bool:
        self._invalid = (access, address, size)
        return False

    # ---- running ------------------------------------------------------------------------
    def reset(self) -> None:
        """Registers as after a power-on reset: SP and PC from the vector table."""
        paint(self.memmap, self.stack)
        self.uc.reg_write(A.UC_ARM_REG_SP, self.initial_sp)
        self.uc.reg_write(A.UC_ARM_REG_LR, 0xFFFFFFFF)

    def run(self) -> EmulationResult:
        """Run from reset until the program exits (semihosting) or faults.

        Returns the result; raises :class:`EmulationFault` on any fault."""
        self.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        error: UcError | None = None
        try:
            self.uc.emu_start(self.reset_pc | 1, UNTIL)
        except ProgramExit as exc:
            self._exit = exc
        except SystemReset as exc:
            k = self.blocks.current().index_of(exc.pc) if self.blocks.current() else None
            insns = self.blocks.at(k)[2] if k is not None else int(self.state[H.S_INSN])
            self._stop = _Stop(FaultKind.SYSTEM_RESET, "the firmware asked for a reset", exc.pc,
                               None, exc.cycle, insns)
        except _Stop as exc:
            self._stop = exc
        except UcError as exc:
            error = exc
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if self._exit is None:
            report = self._fault_report(error)
            raise EmulationFault(report, bytes(self._out))
        return self._result(wall, cpu)

    def _fault_here(self, kind: FaultKind, detail: str) -> _Stop:
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        return _Stop(kind, detail, pc, None, int(self.state[H.S_CYC]), int(self.state[H.S_INSN]))

    def _fault_report(self, error: UcError | None) -> FaultReport:
        st = self.state
        stop = self._stop
        if stop is None and st[H.S_STOP] == H.STOP_BUDGET:
            pc = self.uc.reg_read(A.UC_ARM_REG_PC)      # the block that was not run
            stop = _Stop(FaultKind.INSTRUCTION_BUDGET,
                         f"limit of {int(st[H.S_BUDGET]):,} instructions reached", pc, None,
                         int(st[H.S_CYC]), int(st[H.S_INSN]))
        elif stop is None and st[H.S_STOP] == H.STOP_STACK:
            info = self.blocks.current()
            pc = info.insns[-1].address if info is not None else None
            for insn in (reversed(info.insns) if info is not None else ()):
                if 13 in insn.writes:
                    pc = insn.address
                    break
            sp = int(st[H.S_STOP_VALUE])
            stop = _Stop(FaultKind.STACK_OVERFLOW,
                         f"SP 0x{sp:08x} is below the stack limit 0x{self.stack.limit:08x} "
                         f"({self.stack.source}) by {self.stack.limit - sp} bytes",
                         pc, sp, int(st[H.S_CYC]), int(st[H.S_INSN]))
        elif stop is None and error is not None:
            stop = self._decode_uc_error(error)
        elif stop is None:
            stop = self._fault_here(FaultKind.EMULATOR, "emulation stopped without an exit")
        location = self.elf.symbolize(stop.pc) if stop.pc is not None else "?"
        return FaultReport(kind=stop.kind, detail=stop.detail, pc=stop.pc, location=location,
                           address=stop.address, phase=self._phase,
                           instructions=stop.instructions, cycles=stop.cycles)

    def _decode_uc_error(self, error: UcError) -> _Stop:
        code = error.errno
        access = self._invalid
        st = self.state
        if code in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT):
            address = access[1] if access else self.uc.reg_read(A.UC_ARM_REG_PC)
            kind = FaultKind.UNMAPPED_FETCH if code == UC_ERR_FETCH_UNMAPPED \
                else FaultKind.EXEC_OUTSIDE_CODE
            region = self.memmap.find(address)
            detail = f"fetch from 0x{address:08x}" + (f" ({region.name})" if region else "")
            return _Stop(kind, detail, address, address, int(st[H.S_CYC]), int(st[H.S_INSN]))
        if code in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT,
                    UC_ERR_READ_PROT) and access is not None:
            _, address, size = access
            k = self.blocks.locate(address, size, self._reg,
                                   code in (UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT))
            pc, cycles, insns = self.blocks.at(k)
            info = self.blocks.current()
            text = info.insns[k].text if info is not None and k < len(info.insns) else ""
            if code == UC_ERR_WRITE_PROT:
                region = self.memmap.find(address)
                kind = FaultKind.FLASH_WRITE if region is not None and region.kind == "flash" \
                    else FaultKind.HARDFAULT
                detail = f"{size}-byte store to 0x{address:08x}" + \
                    (f" in {region.name}" if region else "")
            elif (code == UC_ERR_WRITE_UNMAPPED and info is not None and k < len(info.insns)
                  and info.insns[k].mem is not None and info.insns[k].mem.base == 13
                  and address < self.stack.limit):
                kind = FaultKind.STACK_OVERFLOW
                detail = (f"{size}-byte store to 0x{address:08x}, below the stack limit "
                          f"0x{self.stack.limit:08x} ({self.stack.source}) and outside memory")
            elif code == UC_ERR_WRITE_UNMAPPED:
                kind, detail = FaultKind.UNMAPPED_WRITE, f"{size}-byte store to 0x{address:08x}"
            else:
                kind, detail = FaultKind.UNMAPPED_READ, f"{size}-byte load from 0x{address:08x}"
            return _Stop(kind, f"{detail} by '{text}'" if text else detail, pc, address,
                         cycles, insns)
        if code == UC_ERR_INSN_INVALID:
            pc = self.uc.reg_read(A.UC_ARM_REG_PC)
            return _Stop(FaultKind.INVALID_INSTRUCTION, self._insn_text(pc), pc, None,
                         int(st[H.S_CYC]), int(st[H.S_INSN]))
        return self._fault_here(FaultKind.EMULATOR, f"Unicorn: {error}")

    def _result(self, wall: float, cpu: float) -> EmulationResult:
        st = self.state
        notes = sorted(self.peripherals.notes | self.semihosting.notes)
        model_notes = [f"core model: {self.model.name}, {self.model.expected_error}",
                       f"flash: {self.fetch.description}"]
        if self.fetch.active:
            model_notes.append(DATA_SIDE_NOTE)
        if self.core == "cortex-m0plus" and self.elf.cpu_arch in (10, 13):
            notes.append("the ELF is built for ARMv7-M; Unicorn's Cortex-M0 model runs Thumb-2 "
                         "instructions that a Cortex-M0+ would fault on")
        if self.core == "cortex-m0plus" and (self.peripherals.itm or self.peripherals.dwt_reads):
            notes.append("the Cortex-M0+ has no ITM and no DWT cycle counter: the emulator "
                         "provides them for tracing only")
        return EmulationResult(
            elf=self.elf.path, core=self.core,
            target=self.target.name if self.target is not None else None,
            clock_hz=self.clock_hz, exit_code=self._exit.code, output=bytes(self._out),
            instructions=int(st[H.S_INSN]), cycles=int(st[H.S_CYC]),
            stack_peak=peak(self.memmap, self.stack), stack_size=self.stack.size,
            stack_limit_source=self.stack.source,
            itm=list(self.peripherals.itm), itm_dropped=self.peripherals.itm_dropped,
            dwt_reads=list(self.peripherals.dwt_reads),
            branch_cycles=int(st[H.S_BRANCH_CYC]), fetch_cycles=int(st[H.S_FETCH_CYC]),
            taken_branches=int(st[H.S_TAKEN_COUNT]), mispredictions=int(st[H.S_MISPRED_COUNT]),
            fetch_misses=int(st[H.S_FETCH_MISSES]), blocks=len(self.blocks.infos),
            wall_seconds=wall, cpu_seconds=cpu, model_notes=model_notes, notes=notes)

    def profile(self, top: int = 10) -> list[tuple[str, int, int]]:
        """(function, cycles, instructions) of the `top` functions by cycles."""
        per: dict[str, list[int]] = {}
        for info, count, cycles in self.blocks.profile():
            name = self.elf.symbolize(info.address).split("+")[0]
            acc = per.setdefault(name, [0, 0])
            acc[0] += cycles
            acc[1] += count * len(info.insns)
        rows = sorted(((n, c, i) for n, (c, i) in per.items()), key=lambda r: -r[1])
        return rows[:top]


def _uclib():
    """The ctypes handle of libunicorn the Python binding loaded (internal to the
    binding: ``unicorn.unicorn_py3.unicorn.uclib`` in 2.1, ``unicorn.unicorn._uc``
    in 2.0)."""
    try:
        from unicorn.unicorn_py3.unicorn import uclib
        return uclib
    except ImportError:
        from unicorn import unicorn as binding
        return binding._uc


def emulate(elf: str | Path, *, core: str | None = None, target=None,
            max_instructions: int | None = None, output=None) -> EmulationResult:
    """Run a bare-metal ELF from reset to its semihosting exit (see :class:`Machine`)."""
    return Machine(elf, core=core, target=target, max_instructions=max_instructions,
                   output=output).run()


__all__ = ["Machine", "emulate", "EmulatorError", "normalize_core", "core_from_elf",
           "UNICORN_CPU"]
