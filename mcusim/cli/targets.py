"""``mcusim targets [NAME] [--json]``: the parts, their memory maps, clocks and
power figures (each with its datasheet source)."""

from __future__ import annotations

import json

import click


@click.command("targets")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the figures and sources as JSON.")
def command(name: str | None, as_json: bool) -> None:
    """List the parts mcusim emulates, or show NAME with the source of every figure."""
    from mcusim.analysis.parts import TargetDetail, TargetList
    from mcusim.cli import abort, console
    from mcusim.targets import load_target, target_names

    if name is not None:
        try:
            report = TargetDetail(load_target(name))
        except KeyError as exc:
            abort(exc.args[0])
    else:
        report = TargetList([load_target(n) for n in target_names()])
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        console().print(report)


__all__ = ["command"]
