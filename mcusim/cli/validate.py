"""``mcusim validate FILE``: check every rule of docs/format.md, say ok or why not."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def command(file: str, as_json: bool) -> None:
    """Validate a packed model FILE: prints ok, or one error line and exits 2."""
    from mcusim.cli import console
    from mcusim.format import load_model

    model = load_model(file)
    size = Path(file).stat().st_size
    if as_json:
        click.echo(json.dumps({"file": file, "valid": True, "bytes": size, "model": model.name,
                               "layers": len(model.layers),
                               "generated": len(model.generated)}, sort_keys=True))
        return
    console().print(f"ok: {file} ({size:,} bytes, model {model.name}, {len(model.layers)} "
                    f"layers, {len(model.generated)} generated)", markup=False,
                    soft_wrap=True)


__all__ = ["command"]
