"""What a completed emulated run reports; it renders itself for the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text


@dataclass
class EmulationResult:
    elf: str
    core: str
    target: str | None
    clock_hz: int | None
    exit_code: int
    output: bytes
    instructions: int
    cycles: int
    stack_peak: int            # bytes, from the painted stack
    stack_size: int            # bytes between the stack limit and the initial SP
    stack_limit_source: str
    itm: list = field(default_factory=list)          # ItmRecord
    itm_dropped: int = 0
    dwt_reads: list = field(default_factory=list)    # (cycle, value, pc)
    branch_cycles: int = 0
    fetch_cycles: int = 0
    taken_branches: int = 0
    mispredictions: int = 0
    fetch_misses: int = 0
    blocks: int = 0
    wall_seconds: float = 0.0        # host time of the emulation (emu_start), elapsed
    cpu_seconds: float = 0.0         # the same, CPU time of this process
    model_notes: list = field(default_factory=list)   # the cycle model's stated simplifications
    notes: list = field(default_factory=list)         # things this run did that the model ignores

    @property
    def cpi(self) -> float:
        return self.cycles / self.instructions if self.instructions else 0.0

    @property
    def seconds(self) -> float | None:
        """Modelled time at the target clock."""
        return self.cycles / self.clock_hz if self.clock_hz else None

    @property
    def host_mips(self) -> float:
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds else 0.0

    def to_dict(self) -> dict:
        return {
            "elf": self.elf, "core": self.core, "target": self.target, "clock_hz": self.clock_hz,
            "exit_code": self.exit_code, "output": self.output.decode("utf-8", "replace"),
            "instructions": self.instructions, "cycles": self.cycles, "cpi": round(self.cpi, 4),
            "seconds": self.seconds, "stack_peak": self.stack_peak,
            "stack_size": self.stack_size, "stack_limit_source": self.stack_limit_source,
            "branch_cycles": self.branch_cycles, "fetch_cycles": self.fetch_cycles,
            "taken_branches": self.taken_branches, "mispredictions": self.mispredictions,
            "fetch_misses": self.fetch_misses,
            "itm": [{"cycle": r.cycle, "port": r.port, "value": r.value, "size": r.size,
                     "pc": r.pc} for r in self.itm],
            "itm_dropped": self.itm_dropped,
            "dwt_cyccnt_reads": [{"cycle": c, "value": v, "pc": pc} for c, v, pc in self.dwt_reads],
            "blocks": self.blocks, "wall_seconds": round(self.wall_seconds, 4),
            "model_notes": list(self.model_notes), "notes": list(self.notes),
        }

    def rows(self) -> list[tuple[str, str]]:
        where = self.core + (f" on {self.target} at {self.clock_hz / 1e6:g} MHz"
                             if self.target else " (generic zero-wait map)")
        rows = [("machine", where),
                ("exit code", str(self.exit_code)),
                ("instructions", f"{self.instructions:,}"),
                ("cycles", f"{self.cycles:,}" + (f"  ({self.seconds * 1e3:.3f} ms)"
                                                 if self.seconds is not None else "")),
                ("CPI", f"{self.cpi:.3f}"),
                ("stack peak", f"{self.stack_peak:,} of {self.stack_size:,} bytes"),
                ]
        if self.branch_cycles or self.fetch_cycles:
            rows.append(("of which", f"{self.branch_cycles:,} branch, "
                                     f"{self.fetch_cycles:,} flash wait cycles"))
        if self.itm or self.itm_dropped:
            ports = sorted({r.port for r in self.itm})
            rows.append(("ITM", f"{len(self.itm):,} writes on port(s) "
                                f"{', '.join(map(str, ports)) or '-'}"
                                + (f", {self.itm_dropped:,} dropped" if self.itm_dropped else "")))
        for note in self.model_notes:
            rows.append(("model", note))
        for note in self.notes:
            rows.append(("note", note))
        return rows

    def __rich_console__(self, console, options):
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, value in self.rows():
            table.add_row(key, Text(value))
        yield table


__all__ = ["EmulationResult"]
