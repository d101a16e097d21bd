"""``mcusim run [FILE]``: run a packed model on input windows.

By default the model runs through the target's firmware image in the emulator
(cycles, SRAM, flash) and the emulated outputs are checked against the host
interpreter on every run; ``--host`` runs the interpreter alone.

``mcusim diff-layers A B``: the first layer/element where two ``--dump-layers``
dumps differ.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import click
import numpy as np

from mcusim.runtime import MODES


@click.command("run")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--mode", type=click.Choice(MODES), default="boot", show_default=True,
              help="boot: kernels synthesized once into the cache; lazy: before each layer.")
@click.option("--input", "input_", metavar="X",
              help="int8 windows (.npy, shaped (windows, T, C)) or a WFDB record path; "
                   "default: the bundled sample record.")
@click.option("--lead", help="WFDB lead to use (default: MLII, else the first usable lead).")
@click.option("--no-resample", is_flag=True,
              help="Refuse a WFDB record sampled at another rate instead of resampling it.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the raw int8 outputs (windows, classes) here as .npy (only on success).")
@click.option("--dump-layers", type=click.Path(file_okay=False),
              help="Write every layer's output per window to this directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--emulate", is_flag=True, help="Run the part's firmware image in the emulator "
              "(the default; kept for scripts that say so).")
@click.option("--host", "host_only", is_flag=True,
              help="Run the host interpreter alone: outputs and host throughput, no cycles.")
@click.option("--target", default="nrf52840", show_default=True, metavar="NAME",
              help="Part whose firmware image is emulated (see `mcusim targets`).")
def command(file, mode, input_, lead, no_resample, output, dump_layers, as_json,
            emulate, host_only, target) -> None:
    """Run the packed model FILE (default: the bundled ecg-32k).

    By default on the target's firmware image in the emulator: outputs, cycles
    (boot synthesis, per inference, per layer, lazy synthesis), time at the
    part's clock, SRAM peak and its parts, and flash used, with the emulated
    outputs checked byte for byte against the host interpreter. `--host` runs
    the interpreter alone."""
    from mcusim.cli import console
    from mcusim.examples import bundled_model_path
    from mcusim.inputs import InputSpec, load_windows
    from mcusim.runtime import load

    path = file if file is not None else str(bundled_model_path())
    loaded = load(path)
    windows = load_windows(input_, InputSpec.of(loaded), lead=lead, resample=not no_resample)
    if emulate and host_only:
        from mcusim.cli import abort
        abort("--emulate and --host exclude each other")
    if not host_only:
        from mcusim.cli.emulate import run_emulated
        if dump_layers:
            from mcusim.interp.dumps import write_dumps
            write_dumps(loaded, windows.x, mode, dump_layers)
        return run_emulated(path, windows, mode, target, as_json, output)
    out = console()
    result = _run_with_progress(loaded, windows.x, mode, quiet=as_json)
    if dump_layers:
        from mcusim.interp.dumps import write_dumps
        write_dumps(loaded, windows.x, mode, dump_layers)
    if output:
        _save_npy(Path(output), result.outputs)
    if as_json:
        doc = {"model": loaded.name, "file": path,
               "input": {"source": windows.source, "notes": windows.notes},
               **result.to_dict()}
        if output:
            doc["output_file"] = output
        if dump_layers:
            doc["dump_dir"] = dump_layers
        click.echo(json.dumps(doc))
        return
    out.print(f"model {loaded.name} ({path}), input {windows.source}", markup=False,
              soft_wrap=True)
    for note in windows.notes:
        out.print(f"  {note}", markup=False, soft_wrap=True)
    out.print(result)
    if output:
        out.print(f"wrote {output} (int8 {result.outputs.shape})", markup=False)
    if dump_layers:
        out.print(f"wrote layer dumps to {dump_layers}", markup=False)


def _run_with_progress(loaded, x: np.ndarray, mode: str, quiet: bool):
    """Run; a progress bar appears on stderr once the run has taken a second
    (and stderr is a terminal)."""
    from rich.console import Console
    from rich.progress import Progress

    err = Console(stderr=True)
    if quiet or not err.is_terminal:
        return loaded.run(x, mode)
    start = time.perf_counter()
    bar = Progress(console=err, transient=True)
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if time.perf_counter() - start < 1.0:
                return
            bar.start()
            task = bar.add_task(f"running {total} windows ({mode})", total=total)
        bar.update(task, completed=done)

    try:
        return loaded.run(x, mode, progress=progress, chunk=16)
    finally:
        bar.stop()


def _save_npy(path: Path, array: np.ndarray) -> None:
    from mcusim.cli import abort
    from mcusim.cli.example import write_atomically

    buffer = io.BytesIO()
    np.save(buffer, array)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as e:
        abort(f"{path}: cannot write: {e.strerror or e}")


@click.command("diff-layers")
@click.argument("a", type=click.Path(file_okay=False))
@click.argument("b", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def diff_command(a: str, b: str, as_json: bool) -> None:
    """Compare two `run --dump-layers` directories: the first layer, window and
    element where they differ (exit code 1 if they differ)."""
    from mcusim.cli import console
    from mcusim.interp.dumps import first_divergence

    found = first_divergence(a, b)
    if as_json:
        click.echo(json.dumps({"identical": found is None,
                               "divergence": found.to_dict() if found else None}))
    else:
        console().print(str(found) if found else "identical: every layer, every window",
                        markup=False, soft_wrap=True)
    if found is not None:
        raise SystemExit(1)


__all__ = ["command", "diff_command"]
