"""``mcusim inspect [FILE] [--json]``: bytes per category and layer, INT8
equivalent, MACs and the stored memory plans. Without FILE: the bundled model."""

from __future__ import annotations

import json

import click


@click.command("inspect")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (sorted keys).")
def command(file: str | None, as_json: bool) -> None:
    """Show what is inside a packed model FILE (default: the bundled ecg-32k)."""
    from mcusim.cli import console
    from mcusim.examples import bundled_model_path
    from mcusim.inspect import inspect_file

    report = inspect_file(file if file is not None else bundled_model_path())
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        console().print(report)


__all__ = ["command"]
