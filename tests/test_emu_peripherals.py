"""DWT, ITM, SysTick and semihosting as plain objects (no emulator needed)."""

from __future__ import annotations

import pytest

from mcusim.emu.memmap import MemoryMap
from mcusim.emu.peripherals import (DEMCR, DWT_BASE, ITM_BASE, SCS_BASE, TRCENA, Peripherals,
                                    SystemReset)
from mcusim.emu.semihost import ADP_STOPPED_APPLICATION_EXIT, ProgramExit, Semihosting


class Clock:
    def __init__(self):
        self.cycle = 0

    def __call__(self, address, size, is_write):
        return self.cycle, 0x100


def periph(core="cortex-m4"):
    clock = Clock()
    return Peripherals(core, 64_000_000, now=clock), clock


def test_cyccnt_counts_only_with_trcena_and_cyccntena():
    p, clock = periph()
    clock.cycle = 100
    assert p.read(DWT_BASE + 4, 4) == 0
    p.write(DWT_BASE, 4, 1)                       # CYCCNTENA without TRCENA
    clock.cycle = 150
    assert p.read(DWT_BASE + 4, 4) == 0
    p.write(DEMCR, 4, TRCENA)
    clock.cycle = 200
    assert p.read(DWT_BASE + 4, 4) == 50
    p.write(DWT_BASE + 4, 4, 1000)               # writes set it
    clock.cycle = 210
    assert p.read(DWT_BASE + 4, 4) == 1010
    clock.cycle = 250
    p.write(DWT_BASE, 4, 0)                      # stops, at 1050
    clock.cycle = 300
    assert p.read(DWT_BASE + 4, 4) == 1050
    assert p.read(DWT_BASE, 4) >> 28 == 4        # NUMCOMP


def test_itm_records_only_when_enabled():
    p, clock = periph()
    assert p.read(ITM_BASE + 4 * 3, 4) == 1      # FIFO ready
    p.write(ITM_BASE, 1, 0x41)
    assert p.itm == [] and p.itm_dropped == 1 and p.notes
    p.write(DEMCR, 4, TRCENA)
    p.write(ITM_BASE + 0xE80, 4, 1)              # TCR.ITMENA
    p.write(ITM_BASE + 0xE00, 4, 0b1001)         # ports 0 and 3
    clock.cycle = 77
    p.write(ITM_BASE + 12, 4, 0xDEADBEEF)
    p.write(ITM_BASE + 4, 4, 1)                  # port 1 disabled
    (rec,) = p.itm
    assert (rec.cycle, rec.port, rec.value, rec.size) == (77, 3, 0xDEADBEEF, 4)


def test_systick_counts_down_reloads_and_flags():
    p, clock = periph()
    p.write(SCS_BASE + 0x14, 4, 99)              # RVR
    p.write(SCS_BASE + 0x18, 4, 0)               # CVR cleared
    clock.cycle = 1000
    p.write(SCS_BASE + 0x10, 4, 0b101)           # ENABLE, CLKSOURCE
    clock.cycle = 1010
    assert p.read(SCS_BASE + 0x18, 4) == 89
    assert not p.read(SCS_BASE + 0x10, 4) >> 16 & 1
    clock.cycle = 1099
    assert p.read(SCS_BASE + 0x18, 4) == 0
    assert p.read(SCS_BASE + 0x10, 4) >> 16 & 1  # COUNTFLAG, cleared by the read
    assert not p.read(SCS_BASE + 0x10, 4) >> 16 & 1
    clock.cycle = 1100
    assert p.read(SCS_BASE + 0x18, 4) == 99      # reloaded
    clock.cycle = 1100 + 100 * 5 + 3
    assert p.read(SCS_BASE + 0x18, 4) == 96


def test_systick_tickint_is_noted():
    p, _ = periph()
    p.write(SCS_BASE + 0x10, 4, 0b111)
    assert any("TICKINT" in n for n in p.notes)


def test_scb_identification_and_reset_request():
    assert periph("cortex-m0plus")[0].read(SCS_BASE + 0xD00, 4) == 0x410CC601
    assert periph("cortex-m7")[0].read(SCS_BASE + 0xD00, 4) == 0x411FC272
    p, _ = periph()
    p.write(SCS_BASE + 0xE100 - 0xE000, 4, 5)    # NVIC_ISER0 reads back
    assert p.read(SCS_BASE + 0x100, 4) == 5
    with pytest.raises(SystemReset):
        p.write(SCS_BASE + 0xD0C, 4, 0x05FA0004)


def semihosting():
    mem = MemoryMap.generic()
    out = []
    sh = Semihosting(mem, cycles=lambda: 640_000, clock_hz=64_000_000,
                     write_out=lambda data, stream: out.append((stream, data)))
    return sh, mem, out


def test_semihosting_console_and_clock():
    sh, mem, out = semihosting()
    mem.write(0x20000000, b"hi\0")
    mem.write(0x20000010, b"!")
    mem.write(0x20000020, (2).to_bytes(4, "little") + (0x20000000).to_bytes(4, "little")
              + (2).to_bytes(4, "little"))
    assert sh.call(0x04, 0x20000000) == 0        # SYS_WRITE0
    assert sh.call(0x03, 0x20000010) == 0        # SYS_WRITEC
    assert sh.call(0x05, 0x20000020) == 0        # SYS_WRITE, handle 2 (stdout)
    assert out == [("stdout", b"hi"), ("stdout", b"!"), ("stdout", b"hi")]
    assert sh.call(0x10, 0) == 1                 # SYS_CLOCK: centiseconds of modelled time
    assert sh.call(0x31, 0) == 64_000_000        # SYS_TICKFREQ


def test_semihosting_exit_codes():
    sh, mem, _ = semihosting()
    with pytest.raises(ProgramExit) as e:
        sh.call(0x18, ADP_STOPPED_APPLICATION_EXIT)
    assert e.value.code == 0
    with pytest.raises(ProgramExit) as e:
        sh.call(0x18, 0x20023)
    assert e.value.code == 1
    mem.write(0x20000000, ADP_STOPPED_APPLICATION_EXIT.to_bytes(4, "little") + (42).to_bytes(4, "little"))
    with pytest.raises(ProgramExit) as e:
        sh.call(0x20, 0x20000000)
    assert e.value.code == 42


def test_semihosting_features_file_and_unknown_ops():
    sh, mem, _ = semihosting()
    name = b":semihosting-features"
    mem.write(0x20000100, name)
    mem.write(0x20000000, (0x20000100).to_bytes(4, "little") + (0).to_bytes(4, "little")
              + len(name).to_bytes(4, "little"))
    handle = sh.call(0x01, 0x20000000)
    mem.write(0x20000040, handle.to_bytes(4, "little") + (0x20000200).to_bytes(4, "little")
              + (5).to_bytes(4, "little"))
    assert sh.call(0x06, 0x20000040) == 0        # all 5 bytes read
    assert mem.read(0x20000200, 5) == b"SHFB\x03"
    assert sh.call(0x7F, 0) == 0xFFFFFFFF
    assert any("0x7f" in n for n in sh.notes)
