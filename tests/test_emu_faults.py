"""Faults end a run with a typed exception naming kind, PC as symbol+offset,
address, instructions and cycles (firmware_images/asm_tests/fault_cases.elf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcusim.emu import EmulationFault, FaultKind, Machine
from mcusim.emu.machine import EmulatorError

ELF = Path(__file__).resolve().parents[1] / "firmware_images" / "asm_tests" / "fault_cases.elf"


def run_case(case: int, **kw):
    m = Machine(ELF, core="cortex-m4", **kw)
    m.write_memory(m.elf.symbol("case").address, case.to_bytes(4, "little"))
    return m.run()


def fault_of(case: int, **kw) -> EmulationFault:
    with pytest.raises(EmulationFault) as info:
        run_case(case, **kw)
    return info.value


@pytest.mark.parametrize("case,kind,where,address", [
    (0, FaultKind.HARDFAULT, "do_svc", None),
    (1, FaultKind.FLASH_WRITE, "do_flash_write+0x4", 0x08000104),
    (2, FaultKind.UNMAPPED_READ, "do_unmapped+0x2", 0x40021000),
    (3, FaultKind.EXEC_OUTSIDE_CODE, "0x20000100", 0x20000100),
    (4, FaultKind.INVALID_INSTRUCTION, "do_udf+0x2", None),
    (5, FaultKind.STACK_OVERFLOW, "do_recurse+0x2", None),
    (6, FaultKind.BREAKPOINT, "do_bkpt", None),
    (8, FaultKind.SYSTEM_RESET, "do_reset+0x4", None),
])
def test_fault_kinds(case, kind, where, address):
    f = fault_of(case)
    assert f.kind == kind
    assert f.report.location == where
    if address is not None:
        assert f.report.address == address
    assert f.report.instructions > 0 and f.report.cycles >= f.report.instructions


def test_stack_overflow_names_the_limit_and_the_sp():
    f = fault_of(5)
    assert "below the stack limit 0x20003800 (symbol __stack_limit)" in f.report.detail
    assert f.report.address < 0x20003800


def test_budget_stops_exactly_at_the_limit():
    f = fault_of(7, max_instructions=1000)
    assert f.kind == FaultKind.INSTRUCTION_BUDGET
    assert f.report.instructions <= 1000
    assert f.report.location == "do_loop"
    assert "1,000 instructions" in f.report.detail


def test_fault_report_lines_and_dict():
    f = fault_of(2)
    lines = f.report.lines()
    assert lines[0].startswith("fault        read of unmapped memory")
    assert f.report.to_dict()["kind"] == "unmapped_read"


def test_normal_exit():
    assert run_case(9).exit_code == 0


def test_core_mismatch_and_unknown_target_are_setup_errors():
    with pytest.raises(EmulatorError):
        Machine(ELF, core="cortex-m7", target="stm32f446re")
    with pytest.raises(EmulatorError):
        Machine(ELF, target="no-such-part")
