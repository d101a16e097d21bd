"""Why an emulated run ended early: the fault kinds and the typed exception.

Every way a run can end other than the program exiting through semihosting is
a fault: the library raises :class:`EmulationFault`, the CLI prints it as one
block and exits with code 2. The fault carries what a person debugging the
firmware needs: the kind, the PC as ``symbol+offset``, the faulting address,
the last trace phase, and the instructions and cycles executed so far.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import McusimError


class FaultKind(enum.Enum):
    """What went wrong, one value per cause (the value is the name shown)."""
    FLASH_WRITE = "write to flash"
    UNMAPPED_READ = "read of unmapped memory"
    UNMAPPED_WRITE = "write to unmapped memory"
    UNMAPPED_FETCH = "instruction fetch from unmapped memory"
    EXEC_OUTSIDE_CODE = "execution outside code regions"
    INVALID_INSTRUCTION = "invalid instruction (UsageFault -> HardFault)"
    HARDFAULT = "HardFault"
    BREAKPOINT = "breakpoint (BKPT other than semihosting 0xAB)"
    STACK_OVERFLOW = "stack overflow"
    INSTRUCTION_BUDGET = "instruction budget exhausted"
    SYSTEM_RESET = "system reset requested (AIRCR.SYSRESETREQ)"
    SEMIHOSTING = "semihosting request failed"
    EMULATOR = "emulator error"


@dataclass(frozen=True)
class FaultReport:
    """The fields of a fault, for reports and JSON."""
    kind: FaultKind
    detail: str
    pc: int | None
    location: str           # PC as symbol+offset ("?" when unknown)
    address: int | None     # the faulting data address, when there is one
    phase: str | None       # the last trace phase seen before the fault
    instructions: int
    cycles: int

    def to_dict(self) -> dict:
        return {"kind": self.kind.name.lower(), "description": self.kind.value,
                "detail": self.detail, "pc": self.pc, "location": self.location,
                "address": self.address, "phase": self.phase,
                "instructions": self.instructions, "cycles": self.cycles}

    def lines(self) -> list[str]:
        """The report as aligned lines (the CLI prints them as one block)."""
        rows = [("fault", f"{self.kind.value}" + (f": {self.detail}" if self.detail else "")),
                ("pc", f"{self.location}" + (f" (0x{self.pc:08x})" if self.pc is not None else "")),
                ("address", f"0x{self.address:08x}" if self.address is not None else "-"),
                ("last phase", self.phase or "-"),
                ("instructions", f"{self.instructions:,}"),
                ("cycles", f"{self.cycles:,}")]
        return [f"{k:<13}{v}" for k, v in rows]


class EmulationFault(McusimError):
    """Raised when an emulated run ends in a fault instead of a semihosting exit.

    Raised by :meth:`mcusim.emu.machine.Machine.run` (and everything built on
    it) for invalid memory accesses, writes to flash, execution outside code
    regions, invalid instructions and other HardFault conditions, a stack
    overflow past the stack limit, and an exhausted instruction budget.
    ``report`` holds the fields; ``output`` the program's output so far.
    """

    def __init__(self, report: FaultReport, output: bytes = b""):
        self.report = report
        self.output = output
        super().__init__(f"{report.kind.value} at {report.location}"
                         + (f": {report.detail}" if report.detail else ""))

    @property
    def kind(self) -> FaultKind:
        return self.report.kind


__all__ = ["FaultKind", "FaultReport", "EmulationFault"]
