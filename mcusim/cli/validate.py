"""``mcusim validate FILE``: check every rule of docs/format.md, say ok or why not."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def command(file: str) -> None:
    """Validate a packed model FILE: prints ok, or one error line and exits 2."""
    from mcusim.cli import console
    from mcusim.format import load_model

    model = load_model(file)
    size = Path(file).stat().st_size
    console().print(f"ok: {file} ({size:,} bytes, model {model.name}, {len(model.layers)} "
                    f"layers, {len(model.generated)} generated)", markup=False,
                    soft_wrap=True)


__all__ = ["command"]
