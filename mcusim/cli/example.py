"""``mcusim example NAME -o FILE [--seed N]``: write a deterministic example model."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import click

HELP_NAMES = "tiny, ecg-32k, ecg-64k, ecg-225k, ecg-int8"


def _file_mode(path: Path) -> int:
    """The mode of an existing ``path``, else what a plain ``open(path, "w")`` creates."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and
    a rename, so that ``path`` is either untouched or complete, never partial."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, _file_mode(path))   # mkstemp makes 0600; give what open() would
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@click.command("example", help=f"Write example model NAME ({HELP_NAMES}) to FILE.")
@click.argument("name")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the packed model (replaced atomically).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the random weights; same name and seed, same bytes.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def command(name: str, output: str, seed: int, as_json: bool) -> None:
    from mcusim.cli import abort, console
    from mcusim.examples import build_example
    from mcusim.format import write_model

    data = write_model(build_example(name, seed))
    try:
        write_atomically(Path(output), data)
    except OSError as e:
        abort(f"{output}: cannot write: {e.strerror or e}")
    if as_json:
        click.echo(json.dumps({"example": name, "seed": seed, "file": output,
                               "bytes": len(data)}, sort_keys=True))
        return
    console().print(f"wrote {output} ({len(data):,} bytes, example {name}, seed {seed})",
                    markup=False, soft_wrap=True)


__all__ = ["command", "write_atomically"]
