"""``mcusim compare FILE --target NAME``: boot vs lazy on a part, both measured."""

from __future__ import annotations

import json

import click

REQUIRE = ("both", "any", "boot", "lazy")


@click.command("compare")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", default="nrf52840", show_default=True, metavar="NAME",
              help="Part to compare on (see `mcusim targets`).")
@click.option("--all-targets", is_flag=True, help="Compare on every part: one row per part.")
@click.option("--windows", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Input windows per run.")
@click.option("--input", "input_", metavar="X",
              help="int8 windows (.npy) or a WFDB record; default: the bundled sample.")
@click.option("--require-fit", type=click.Choice(REQUIRE), is_flag=False, flag_value="both",
              default=None, help="Exit 1 unless the model fits: in both modes (the default "
                                 "when given without a value), any, boot or lazy.")
@click.option("--no-what-if", is_flag=True,
              help="Do not measure a mode whose plan does not fit the part's SRAM.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
def command(file, target, all_targets, windows, input_, require_fit, no_what_if,
            as_json) -> None:
    """Boot vs lazy synthesis of FILE on a part: flash, SRAM peak and parts,
    synthesis and inference cycles, first-inference latency, break-even, energy
    estimate, and a verdict per memory region. Exit 0 whatever the verdict
    (see --require-fit)."""
    from mcusim.analysis.compare import TargetMatrix, compare_modes
    from mcusim.analysis.measure import job_windows
    from mcusim.cli import console
    from mcusim.cli._progress import emulation_progress
    from mcusim.targets import target_names

    x, source = job_windows(file, input_, windows)
    names = target_names() if all_targets else [target]
    results = []
    with emulation_progress(not as_json) as start:
        for name in names:
            bars = {}

            def progress(mode, phase, insn, cycles, name=name):
                if mode not in bars:
                    bars[mode] = start(f"{name} {mode}")
                if bars[mode] is not None:
                    bars[mode](phase, insn, cycles)
            results.append(compare_modes(file, x, target=name, progress=progress,
                                         what_if=not no_what_if, source=source))
    report = TargetMatrix(results[0].model, results) if all_targets else results[0]
    if as_json:
        doc = report.to_dict()
        if require_fit:
            doc["require_fit"] = {"mode": require_fit,
                                  "ok": all(c.fits(require_fit) for c in results)}
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        console().print(report)
    if require_fit and not all(c.fits(require_fit) for c in results):
        bad = [c.target.name for c in results if not c.fits(require_fit)]
        if not as_json:
            click.echo(f"--require-fit {require_fit}: does not fit {', '.join(bad)}", err=True)
        raise SystemExit(1)


__all__ = ["command"]
