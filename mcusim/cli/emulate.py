"""``mcusim emulate ELF [--core NAME] [--target NAME] [--max-instructions N] [--json]``.

Runs any bare-metal Cortex-M ELF from reset. The program's semihosting output
goes to stdout as it is produced (to stderr with --json, so that stdout is
one JSON document), mcusim's report after it; the exit code is the
program's own (SYS_EXIT / SYS_EXIT_EXTENDED). A fault prints one block and
exits 2.
"""

from __future__ import annotations

import json
import sys

import click

CORE_CHOICES = ["cortex-m0plus", "cortex-m4", "cortex-m7"]


def _stream(json_mode: bool):
    out = sys.stderr if json_mode else sys.stdout

    def write(data: bytes, stream: str) -> None:
        target = sys.stderr if stream == "stderr" else out
        target.write(data.decode("utf-8", "replace"))
        target.flush()
    return write


@click.command("emulate")
@click.argument("elf", type=click.Path(exists=True, dir_okay=False))
@click.option("--core", type=click.Choice(CORE_CHOICES), default=None,
              help="CPU model and cycle table (default: the target's core, else the ELF's).")
@click.option("--target", default=None, metavar="NAME",
              help="Run on this part's memory map, clock and flash wait states "
                   "(mcusim/targets/NAME.json); default: a generic zero-wait map.")
@click.option("--max-instructions", type=click.IntRange(min=1), default=None,
              help="Instruction budget: a run that needs more ends in a fault.")
@click.option("--profile", "profile_top", type=click.IntRange(min=0), default=0, metavar="N",
              help="Also list the N functions that took the most cycles.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(elf: str, core: str | None, target: str | None, max_instructions: int | None,
            profile_top: int, as_json: bool) -> None:
    """Run a bare-metal ELF on an emulated Cortex-M: output, exit code,
    instructions, cycles, CPI and stack peak."""
    from rich.table import Table

    from mcusim.cli import console
    from mcusim.emu import EmulationFault, Machine

    con = console()
    machine = Machine(elf, core=core, target=target, max_instructions=max_instructions,
                      output=_stream(as_json), profile=profile_top > 0)
    try:
        result = machine.run()
    except EmulationFault as fault:
        sys.stdout.flush()
        if as_json:
            click.echo(json.dumps({"fault": fault.report.to_dict(),
                                   "output": fault.output.decode("utf-8", "replace")}, indent=2))
        else:
            if fault.output and not fault.output.endswith(b"\n"):
                click.echo()
            for line in fault.report.lines():
                click.echo(line)
        raise SystemExit(2)
    profile = machine.profile(profile_top) if profile_top else []
    if as_json:
        doc = result.to_dict()
        if profile:
            doc["profile"] = [{"function": f, "cycles": c, "instructions": i}
                              for f, c, i in profile]
        click.echo(json.dumps(doc, indent=2))
    else:
        if result.output and not result.output.endswith(b"\n"):
            click.echo()
        con.print(result)
        if profile:
            table = Table(title=None, box=None, padding=(0, 2))
            table.add_column("function")
            table.add_column("cycles", justify="right")
            table.add_column("share", justify="right")
            table.add_column("instructions", justify="right")
            for f, c, i in profile:
                table.add_row(f, f"{c:,}", f"{100 * c / max(result.cycles, 1):.1f}%", f"{i:,}")
            con.print(table)
    raise SystemExit(result.exit_code & 0xFF)


def run_emulated(path: str, windows, mode: str, target: str, as_json: bool,
                 output: str | None = None) -> None:
    """``mcusim run FILE --emulate --target NAME``: the model through the part's
    firmware image (:func:`mcusim.emu.run_model`), checked against the host
    interpreter; outputs, cycles, SRAM and flash. Exit 2 on a fault, 1 when the
    emulated outputs differ from the interpreter's."""
    from mcusim.cli import console
    from mcusim.emu import EmulationFault, run_model

    try:
        run = run_model(path, windows.x, target=target, mode=mode)
    except EmulationFault as fault:
        if as_json:
            click.echo(json.dumps({"fault": fault.report.to_dict(),
                                   "output": fault.output.decode("utf-8", "replace")}))
        else:
            for line in fault.report.lines():
                click.echo(line)
        raise SystemExit(2)
    if output:
        from pathlib import Path

        from mcusim.cli.run import _save_npy
        _save_npy(Path(output), run.outputs)
    if as_json:
        click.echo(json.dumps({"file": path, "input": {"source": windows.source,
                                                       "notes": windows.notes}, **run.to_dict()}))
    else:
        con = console()
        con.print(f"model {run.model} ({path}), input {windows.source}", markup=False,
                  soft_wrap=True)
        for note in windows.notes:
            con.print(f"  {note}", markup=False, soft_wrap=True)
        con.print(run)
    if run.verified is False:
        raise SystemExit(1)


__all__ = ["command", "run_emulated"]
