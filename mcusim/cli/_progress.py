"""A progress display on stderr for long emulations (instructions retired, phase).

Shown only when stderr is a terminal and the command does not print JSON;
transient, so the report that follows stays clean."""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def emulation_progress(enabled: bool = True):
    """Yields ``start(description) -> callback(phase, instructions, cycles)``, or a
    no-op when disabled."""
    if not enabled or not sys.stderr.isatty():
        yield lambda description: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.fields[insn]:>15} instructions"), TimeElapsedColumn(),
               TextColumn("{task.fields[phase]}", style="dim"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        def start(description: str):
            task = bar.add_task(description, total=None, insn="0", phase="")

            def update(phase: str, instructions: int, cycles: int) -> None:
                bar.update(task, insn=f"{instructions:,}", phase=phase[-60:])
            return update
        yield start


__all__ = ["emulation_progress"]
