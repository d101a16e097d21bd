"""``mcusim bench emulator``: what the cycle accounting costs the emulator.

The same firmware image runs the same job (a model, its windows, one mode)
with full accounting (the compiled block hook: instructions, cycles, branch
outcomes, fetch wait states, stack checks) and without any block hook (plain
Unicorn, same MMIO and semihosting handlers), in one process, interleaved
rounds, best of each side. Both sides are warm: a first run of each compiles
(or loads) the hook and decodes every block once, and that first run's cost
is reported apart. Times are the CPU time of the emulation call
(``uc_emu_start``), which is what a shared machine's load disturbs least.
Instructions per second on both sides use the instruction count of the
accounted run (the hookless run executes the same instructions: the test is
that both runs leave the same output records).
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

import numpy as np

SECTION = "emulator"
TARGET = 0.50          # accounting at >= 50% of hookless speed (aim 75%)
AIM = 0.75


@dataclass
class EmulatorBenchmark:
    model: str
    target: str
    core: str
    mode: str
    windows: int
    rounds: int
    instructions: int
    cycles: int
    accounted_s: float           # best CPU seconds of the accounted emulation
    hookless_s: float
    first_run_s: float           # the first accounted run (block decoding included)
    blocks: int
    same_outputs: bool
    machine: dict = field(default_factory=dict)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d", time.gmtime()))

    @property
    def accounted_mips(self) -> float:
        return self.instructions / self.accounted_s / 1e6

    @property
    def hookless_mips(self) -> float:
        return self.instructions / self.hookless_s / 1e6

    @property
    def ratio(self) -> float:
        return self.hookless_s / self.accounted_s

    def to_dict(self) -> dict:
        return {"model": self.model, "target": self.target, "core": self.core, "mode": self.mode,
                "windows": self.windows, "rounds": self.rounds,
                "instructions": self.instructions, "cycles": self.cycles,
                "accounted_seconds": self.accounted_s, "hookless_seconds": self.hookless_s,
                "accounted_mips": self.accounted_mips, "hookless_mips": self.hookless_mips,
                "ratio": self.ratio, "target_ratio": TARGET, "aim_ratio": AIM,
                "first_run_seconds": self.first_run_s, "blocks": self.blocks,
                "same_outputs": self.same_outputs, "machine": self.machine, "date": self.date}

    def to_markdown(self) -> str:
        ok = "yes" if self.ratio >= TARGET else "no"
        return "\n".join([
            "## Emulator: cost of the cycle accounting (`mcusim bench emulator`)",
            "",
            f"The {self.target} firmware image ({self.core}) runs example model {self.model}, "
            f"{self.windows} random windows, {self.mode} mode: once with the compiled block hook "
            "(instructions, cycles, branch outcomes, flash fetch lines, stack checks), once on "
            "plain Unicorn with no block hook; same process, "
            f"{self.rounds} interleaved rounds, best of each, CPU time of the emulation call, "
            "both sides warm. Target: accounting at >= 50% of hookless speed (aim 75%).",
            "",
            "| instructions | cycles | hookless | accounted | ratio | >= 50% | first run | blocks |",
            "|---|---|---|---|---|---|---|---|",
            f"| {self.instructions:,} | {self.cycles:,} | {self.hookless_mips:,.0f} MIPS "
            f"({self.hookless_s:.3f} s) | {self.accounted_mips:,.0f} MIPS ({self.accounted_s:.3f} s) "
            f"| {self.ratio:.0%} | {ok} | {self.first_run_s:.2f} s | {self.blocks:,} |",
            "",
            "First run: the first accounted run of the process, which decodes every block with "
            "Capstone once (later runs find them in the decode cache). Same outputs on both "
            f"sides: {'yes' if self.same_outputs else 'NO'}.",
            "",
            f"Machine: {self.machine.get('cpu', '?')}, {self.machine.get('cores', '?')} cores, "
            f"{self.machine.get('system', '?')}; Python {platform.python_version()}. "
            f"Measured {self.date}.",
        ])

    def __rich_console__(self, console, options):
        from rich.table import Table
        t = Table.grid(padding=(0, 2))
        t.add_column(style="bold")
        t.add_column()
        t.add_row("work", f"{self.model} on {self.target} ({self.core}), {self.windows} windows, "
                          f"{self.mode}: {self.instructions:,} instructions, {self.cycles:,} cycles")
        t.add_row("hookless", f"{self.hookless_mips:,.0f} MIPS ({self.hookless_s:.3f} s)")
        t.add_row("accounted", f"{self.accounted_mips:,.0f} MIPS ({self.accounted_s:.3f} s)")
        t.add_row("ratio", f"{self.ratio:.0%} of hookless speed (target >= {TARGET:.0%}, "
                           f"aim {AIM:.0%})")
        t.add_row("first run", f"{self.first_run_s:.2f} s (decodes {self.blocks:,} blocks)")
        t.add_row("same outputs", "yes" if self.same_outputs else "NO")
        yield t


def _machine_info() -> dict:
    import os
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": f"{platform.system()} {platform.release()}"}


def bench_emulator(model: str = "ecg-32k", target: str = "nrf52840", windows: int = 8,
                   mode: str = "boot", rounds: int = 5, progress=None) -> EmulatorBenchmark:
    """Run the benchmark (see the module doc)."""
    from mcusim.emu.modelrun import run_model
    from mcusim.examples import build_example
    from mcusim.format import write_model

    data = write_model(build_example(model))
    from mcusim.format import read_model
    parsed = read_model(data)
    length, channels = parsed.input_shape
    x = np.random.default_rng(0).integers(-128, 128, size=(windows, length, channels),
                                          dtype=np.int8)

    def once(accounting: bool):
        return run_model(data, x, target=target, mode=mode, verify=False, accounting=accounting)

    if progress:
        progress("first run (decoding every block)")
    t0 = time.process_time()
    first = once(True)
    first_s = time.process_time() - t0
    hookless_ref = once(False)
    best_acc = best_plain = float("inf")
    for r in range(rounds):
        if progress:
            progress(f"round {r + 1} of {rounds}")
        acc = once(True)
        plain = once(False)
        best_acc = min(best_acc, acc.emulation.cpu_seconds)
        best_plain = min(best_plain, plain.emulation.cpu_seconds)
    same = (np.array_equal(first.outputs, hookless_ref.outputs)
            and np.array_equal(first.classes, hookless_ref.classes))
    return EmulatorBenchmark(model=model, target=target, core=first.core, mode=mode,
                             windows=windows, rounds=rounds,
                             instructions=first.emulation.instructions,
                             cycles=first.emulation.cycles, accounted_s=best_acc,
                             hookless_s=best_plain, first_run_s=first_s,
                             blocks=first.emulation.blocks, same_outputs=same,
                             machine=_machine_info())


__all__ = ["bench_emulator", "EmulatorBenchmark", "SECTION"]
