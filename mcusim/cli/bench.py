"""``mcusim bench ...``: benchmarks that write their figures to docs/benchmarks.md."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("bench", invoke_without_command=True)
@click.option("--check", "check_path", type=click.Path(dir_okay=False), metavar="BASELINE",
              help="Run the fixed cycle-count suite (every example model, both modes, every "
                   "target image, and the per-kernel figures) and compare it exactly with "
                   "BASELINE (e.g. traces/baseline.json); exit 1 on any difference.")
@click.option("--update", is_flag=True, help="With --check: rewrite BASELINE and say what changed.")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="With --check: only this example model's runs (repeatable; no kernel "
                   "figures). --update then replaces just those runs.")
@click.option("--json", "as_json", is_flag=True, help="With --check: print the diff as JSON.")
@click.pass_context
def command(ctx: click.Context, check_path, update, models, as_json) -> None:
    """Benchmarks (figures also go to docs/benchmarks.md), and the cycle-count
    regression check: `mcusim bench --check traces/baseline.json [--update]`."""
    if ctx.invoked_subcommand is not None:
        if check_path or update:
            raise click.UsageError("--check/--update go without a subcommand")
        return
    if check_path is None:
        if update:
            raise click.UsageError("--update needs --check BASELINE")
        click.echo(ctx.get_help())
        return
    from mcusim.analysis.regression import check
    from mcusim.cli import console
    from mcusim.cli._progress import emulation_progress

    with emulation_progress(not as_json) as start:
        bars: dict = {}

        def progress(what, phase, insn, cycles):
            if phase is None:
                bars["now"] = start(what)
            elif bars.get("now") is not None:
                bars["now"](phase, insn, cycles)
        diff = check(check_path, update=update, progress=progress, models=models or None)
    if as_json:
        click.echo(json.dumps(diff.to_dict(), indent=2, sort_keys=True))
    else:
        console().print(diff)
        if update:
            console().print(f"wrote {check_path}", markup=False, highlight=False)
    if not diff.ok and not update:
        raise SystemExit(1)


@command.command("host")
@click.option("--model", "models", multiple=True, metavar="NAME|FILE",
              help="Example name or model file (repeatable; default: ecg-225k, ecg-64k).")
@click.option("--windows", default=256, show_default=True, type=click.IntRange(1),
              help="Windows per batch.")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1),
              help="Interleaved timing rounds per side (best is kept).")
@click.option("--tflm-budget", default=30.0, show_default=True, type=float, metavar="SECONDS",
              help="Time TFLM on a subset of the windows when the batch would take longer.")
@click.option("--doc", default="docs/benchmarks.md", show_default=True,
              type=click.Path(dir_okay=False),
              help="Markdown file whose 'host' section is rewritten (skipped if its directory "
                   "is missing).")
@click.option("--no-doc", is_flag=True, help="Do not write the markdown file.")
@click.option("--no-first-start", is_flag=True,
              help="Skip the start with an empty Numba cache (it compiles every kernel).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def host(models, windows, rounds, tflm_budget, doc, no_doc, no_first_start, as_json) -> None:
    """Numba interpreter (boot, warm) vs TFLite Micro's Python interpreter on the
    same exported network and windows: windows/s, ratio, cold start."""
    from rich.console import Console

    from mcusim.bench.host import DEFAULT_MODELS, SECTION, bench_host

    err = Console(stderr=True)

    def progress(name: str) -> None:
        if not as_json:
            err.print(f"benchmarking {name} ...", markup=False)

    result = bench_host(models or DEFAULT_MODELS, windows, rounds, tflm_budget,
                        not no_first_start, progress)
    _report(result, SECTION, doc, not no_doc, as_json)


@command.command("emulator")
@click.option("--model", default="ecg-32k", show_default=True, metavar="NAME",
              help="Example model the firmware runs.")
@click.option("--target", default="nrf52840", show_default=True, metavar="NAME",
              help="Part whose firmware image runs the job.")
@click.option("--windows", default=8, show_default=True, type=click.IntRange(1),
              help="Windows in the job.")
@click.option("--mode", type=click.Choice(["boot", "lazy"]), default="boot", show_default=True)
@click.option("--rounds", default=5, show_default=True, type=click.IntRange(1),
              help="Interleaved timing rounds per side (best is kept).")
@click.option("--doc", default="docs/benchmarks.md", show_default=True,
              type=click.Path(dir_okay=False), help="Markdown file whose 'emulator' section is "
                                                    "rewritten (skipped if its directory is missing).")
@click.option("--no-doc", is_flag=True, help="Do not write the markdown file.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def emulator(model, target, windows, mode, rounds, doc, no_doc, as_json) -> None:
    """Emulator speed with the full cycle accounting vs plain Unicorn, same
    firmware and job: instructions per second and their ratio (target >= 50%)."""
    from rich.console import Console

    from mcusim.bench.emulator import SECTION, bench_emulator

    err = Console(stderr=True)
    result = bench_emulator(model, target, windows, mode, rounds,
                            progress=None if as_json else
                            (lambda what: err.print(what, markup=False)))
    _report(result, SECTION, doc, not no_doc, as_json)


@command.command("kernels")
@click.option("--core", "cores", multiple=True,
              type=click.Choice(["cortex-m0plus", "cortex-m4", "cortex-m7"]),
              help="Core (repeatable; default: all three).")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="Example model whose layers are measured (repeatable; default: ecg-32k, "
                   "ecg-64k).")
@click.option("--doc", default="docs/benchmarks.md", show_default=True,
              type=click.Path(dir_okay=False), help="Markdown file whose 'kernels' section is "
                                                    "rewritten (skipped if its directory is missing).")
@click.option("--no-doc", is_flag=True, help="Do not write the markdown file.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def kernels(cores, models, doc, no_doc, as_json) -> None:
    """Cycles and MACs per cycle of every firmware kernel at the example models'
    shapes, per core, from the firmware's trace markers in the emulator."""
    from rich.console import Console

    from mcusim.bench.kernels import CORE_TARGETS, DEFAULT_MODELS, SECTION, bench_kernels

    err = Console(stderr=True)
    result = bench_kernels(models or DEFAULT_MODELS, cores or tuple(CORE_TARGETS),
                           progress=None if as_json else
                           (lambda what: err.print(f"running {what} ...", markup=False)))
    # a partial run (some cores or models) never overwrites the full figures
    _report(result, SECTION, doc, not no_doc and not cores and not models, as_json)


def _report(result, section: str, doc: str, write: bool, as_json: bool) -> None:
    """Write the benchmark's section of the markdown file when asked and the
    file's directory exists, then print the result (JSON, or rich)."""
    from mcusim.bench import update_section
    from mcusim.cli import console

    wrote = None
    if write and Path(doc).parent.is_dir():
        update_section(doc, section, result.to_markdown())
        wrote = doc
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "doc": wrote}))
        return
    console().print(result)
    if wrote:
        console().print(f"wrote the '{section}' section of {wrote}", markup=False)
    elif write:
        console().print(f"not written: {Path(doc).parent} does not exist (see --doc)",
                        markup=False)


__all__ = ["command"]
