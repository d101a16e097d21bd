"""The ``mcusim`` command line: one click group, one module per command.

Commands stay thin: they call the library and print what it returns through
the one console of the invocation. Expected failures (every
:class:`~mcusim.errors.McusimError`) end in :func:`abort`: one line
``error: <message>`` on stderr and exit code 2. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import click
from rich.console import Console

from mcusim import __version__
from mcusim.errors import McusimError


def abort(message: str, code: int = 2) -> None:
    """End the command: ``error: <message>`` on stderr (one line), exit ``code``."""
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    raise SystemExit(code)


class _Group(click.Group):
    """Routes every expected failure of a command through :func:`abort`."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except McusimError as e:
            abort(str(e))


def console(ctx: click.Context | None = None) -> Console:
    """The invocation's console (stdout; rich honours NO_COLOR, COLUMNS, TERM)."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Console):
        root.obj = Console(highlight=False)
    return root.obj


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mcusim", message="%(prog)s %(version)s")
def main() -> None:
    """mcusim: what a compressed int8 model computes on a microcontroller,
    its cycles, flash and SRAM."""


def _register() -> None:
    from mcusim.cli import emulate, example, inspect, validate

    for module in (emulate, example, inspect, validate):
        main.add_command(module.command)
    from mcusim.cli import bench, export, run
    for module in (run, export, bench):
        main.add_command(module.command)
    main.add_command(run.diff_command)
    from mcusim.cli import compare, targets, trace
    for module in (targets, compare, trace):
        main.add_command(module.command)


_register()

__all__ = ["main", "abort", "console"]
