"""The debug and trace peripherals real firmware uses, on the PPB pages only.

* ITM (0xE0000000): stimulus ports at +4*port read as "FIFO ready"; writes
  are recorded with the modelled cycle of the writing instruction when the
  ITM is enabled (DEMCR.TRCENA, ITM_TCR.ITMENA and the port's ITM_TER bit),
  as on silicon, and counted as dropped otherwise.
* DWT (0xE0001000): DWT_CTRL.CYCCNTENA and DWT_CYCCNT, which returns the
  modelled cycle count at the reading instruction (counting while DEMCR.TRCENA
  and CYCCNTENA are set; writes set it).
* SysTick (0xE000E010): SYST_CVR counts down at the processor clock with
  the modelled cycles, reloads from SYST_RVR and sets COUNTFLAG. No exception
  is taken (interrupts are not emulated; a report notes TICKINT).
* SCB/SCS (0xE000E000): CPUID per core, VTOR, CCR, CPACR, DEMCR, the M7 cache
  identification registers, and a plain register file for the rest (NVIC
  setup reads back what it wrote). AIRCR.SYSRESETREQ ends the run.
* FPB (0xE0002000) and TPIU (0xE0040000): register files.

Only these pages are mapped as MMIO (Unicorn calls Python for accesses to
them, never for other memory). Accesses elsewhere in the PPB, and to vendor
peripherals, are unmapped: a fault that names the address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ITM_BASE = 0xE0000000
DWT_BASE = 0xE0001000
FPB_BASE = 0xE0002000
SCS_BASE = 0xE000E000
TPIU_BASE = 0xE0040000

PAGES = ((ITM_BASE, 0x3000), (SCS_BASE, 0x1000), (TPIU_BASE, 0x1000))

DEMCR = SCS_BASE + 0xDFC
TRCENA = 1 << 24

CPUID = {"cortex-m0plus": 0x410CC601, "cortex-m4": 0x410FC241, "cortex-m7": 0x411FC272}
# Cortex-M7 cache identification (16 kB I-cache 2-way, 16 kB D-cache 4-way, 32-byte lines)
CLIDR_M7 = 0x09000003
CTR_M7 = 0x8303C003
CCSIDR_M7 = {0: 0xF00FE019, 1: 0xF01FE009}


@dataclass(frozen=True)
class ItmRecord:
    cycle: int
    port: int
    value: int
    size: int       # bytes written (1, 2 or 4)
    pc: int


class SystemReset(Exception):
    """The firmware requested a system reset (AIRCR.SYSRESETREQ) at `pc`, `cycle`."""

    def __init__(self, pc: int, cycle: int):
        super().__init__(f"system reset requested at 0x{pc:08x}")
        self.pc, self.cycle = pc, cycle


@dataclass
class Peripherals:
    core: str
    clock_hz: int
    now: object                          # callable(address, size, is_write) -> (cycle, pc)
    on_itm: object = None                # callable(ItmRecord) for every recorded write
    regs: dict = field(default_factory=dict)
    itm: list = field(default_factory=list)
    itm_dropped: int = 0
    dwt_reads: list = field(default_factory=list)   # (cycle, value, pc) of every CYCCNT read
    notes: set = field(default_factory=set)
    # DWT_CYCCNT: value `cyc_value` at cycle `cyc_since`, counting when enabled
    cyc_value: int = 0
    cyc_since: int = 0
    cyc_counting: bool = False
    # SysTick
    st_value: int = 0
    st_since: int = 0
    st_enabled: bool = False
    st_flag_from: int = 0

    # ---- Unicorn MMIO callbacks --------------------------------------------------
    def map_into(self, uc) -> None:
        for base, size in PAGES:
            uc.mmio_map(base, size,
                        lambda _uc, off, sz, _ud, b=base: self.read(b + off, sz), None,
                        lambda _uc, off, sz, val, _ud, b=base: self.write(b + off, sz, val), None)

    def read(self, address: int, size: int) -> int:
        if ITM_BASE <= address < ITM_BASE + 0x400:
            return 1                                         # stimulus port: FIFO ready
        if address == DWT_BASE + 0x004:
            cycle, pc = self.now(address, size, False)
            value = self._cyccnt(cycle)
            self.dwt_reads.append((cycle, value, pc))
            return value
        if address == DWT_BASE:
            return 0x40000000 | (self.regs.get(address, 0) & 0x0FFFFFFF)   # NUMCOMP = 4
        if address in (SCS_BASE + 0x010, SCS_BASE + 0x018):
            return self._systick_read(address)
        if address == SCS_BASE + 0x01C:
            return 0xC0000000                                # SYST_CALIB: NOREF, SKEW
        if address == SCS_BASE + 0xD00:
            return CPUID[self.core]
        if address == SCS_BASE + 0xD0C:
            return 0xFA050000 | (self.regs.get(address, 0) & 0x0700)
        if address == SCS_BASE + 0xD14 and address not in self.regs:
            return 0x00000200                                # CCR: STKALIGN
        if self.core == "cortex-m7":
            if address == SCS_BASE + 0xD78:
                return CLIDR_M7
            if address == SCS_BASE + 0xD7C:
                return CTR_M7
            if address == SCS_BASE + 0xD80:
                return CCSIDR_M7[self.regs.get(SCS_BASE + 0xD84, 0) & 1]
        return self.regs.get(address, 0)

    def write(self, address: int, size: int, value: int) -> None:
        if ITM_BASE <= address < ITM_BASE + 0x400:
            self._itm_write((address - ITM_BASE) // 4, value, size, address)
            return
        if address == DWT_BASE + 0x004:
            cycle, _ = self.now(address, size, True)
            self.cyc_value, self.cyc_since = value & 0xFFFFFFFF, cycle
            return
        if address in (DWT_BASE, DEMCR):
            cycle, _ = self.now(address, size, True)
            self.cyc_value, self.cyc_since = self._cyccnt(cycle), cycle
            self.regs[address] = value
            self.cyc_counting = bool(self.regs.get(DWT_BASE, 0) & 1) and \
                bool(self.regs.get(DEMCR, 0) & TRCENA)
            return
        if SCS_BASE + 0x010 <= address <= SCS_BASE + 0x018:
            self._systick_write(address, value)
            return
        if address == SCS_BASE + 0xD0C and (value >> 16) == 0x05FA and value & 0x4:
            cycle, pc = self.now(address, size, True)
            raise SystemReset(pc, cycle)
        self.regs[address] = value

    # ---- DWT -----------------------------------------------------------------------
    def _cyccnt(self, cycle: int) -> int:
        if not self.cyc_counting:
            return self.cyc_value
        return (self.cyc_value + cycle - self.cyc_since) & 0xFFFFFFFF

    # ---- ITM -----------------------------------------------------------------------
    def itm_enabled(self, port: int) -> bool:
        ter = self.regs.get(ITM_BASE + 0xE00 + 4 * (port // 32), 0)
        return (bool(self.regs.get(DEMCR, 0) & TRCENA)
                and bool(self.regs.get(ITM_BASE + 0xE80, 0) & 1) and bool(ter >> (port % 32) & 1))

    def _itm_write(self, port: int, value: int, size: int, address: int) -> None:
        if not self.itm_enabled(port):
            self.itm_dropped += 1
            self.notes.add("ITM writes were dropped: the ITM was not enabled "
                           "(DEMCR.TRCENA, ITM_TCR.ITMENA and ITM_TER), as on silicon")
            return
        cycle, pc = self.now(address, size, True)
        rec = ItmRecord(cycle, port, value & ((1 << (8 * size)) - 1), size, pc)
        self.itm.append(rec)
        if self.on_itm is not None:
            self.on_itm(rec)

    # ---- SysTick -------------------------------------------------------------------
    def _systick_value(self, cycle: int) -> tuple[int, bool]:
        """(current value, reached 0 since COUNTFLAG was last cleared).

        Enabled at cycle s with value v and reload R, the counter reads
        v - e at s + e, reaches 0 at s + v and then every R + 1 cycles."""
        if not self.st_enabled:
            return self.st_value, False
        reload = self.regs.get(SCS_BASE + 0x014, 0) & 0xFFFFFF
        elapsed = cycle - self.st_since
        if elapsed <= self.st_value:
            value = self.st_value - elapsed
        elif reload == 0:
            value = 0                                         # RVR = 0: stops at 0
        else:
            value = reload - ((elapsed - self.st_value - 1) % (reload + 1))
        first_zero = self.st_since + self.st_value
        if cycle < first_zero:
            return value, False
        last_zero = first_zero if reload == 0 else \
            first_zero + (cycle - first_zero) // (reload + 1) * (reload + 1)
        return value, last_zero >= self.st_flag_from

    def _systick_read(self, address: int) -> int:
        cycle, _ = self.now(address, 4, False)
        value, wrapped = self._systick_value(cycle)
        if address == SCS_BASE + 0x018:
            return value
        csr = self.regs.get(SCS_BASE + 0x010, 0) & 0x7
        if wrapped:
            csr |= 1 << 16
            self.st_flag_from = cycle + 1                     # COUNTFLAG clears on read
        return csr

    def _systick_write(self, address: int, value: int) -> None:
        cycle, _ = self.now(address, 4, True)
        current, _ = self._systick_value(cycle)
        if address == SCS_BASE + 0x018:                      # any write clears CVR and COUNTFLAG
            self.st_value, self.st_since, self.st_flag_from = 0, cycle, cycle + 1
            return
        self.regs[address] = value
        if address == SCS_BASE + 0x010:
            enable = bool(value & 1)
            if value & 2:
                self.notes.add("SysTick TICKINT is set, but exceptions are not emulated: "
                               "no SysTick interrupt was taken")
            if enable and not self.st_enabled:
                # the counter starts from CVR; CVR == 0 loads RVR on the first tick
                self.st_value = current if current else (self.regs.get(SCS_BASE + 0x014, 0) & 0xFFFFFF)
                self.st_since = cycle
            elif not enable:
                self.st_value = current
            self.st_enabled = enable


__all__ = ["Peripherals", "ItmRecord", "SystemReset", "PAGES", "ITM_BASE", "DWT_BASE",
           "SCS_BASE", "DEMCR", "TRCENA"]
