"""``mcusim trace FILE --mode boot|lazy --target NAME [--export FILE.json]``:
the SRAM timeline in the terminal, and the run as a Perfetto/Chrome trace."""

from __future__ import annotations

import json

import click


@click.command("trace")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(["boot", "lazy"]), default="boot", show_default=True)
@click.option("--target", default="nrf52840", show_default=True, metavar="NAME",
              help="Part whose firmware image runs (see `mcusim targets`).")
@click.option("--windows", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Input windows in the run.")
@click.option("--input", "input_", metavar="X",
              help="int8 windows (.npy) or a WFDB record; default: the bundled sample.")
@click.option("--export", "export", type=click.Path(dir_okay=False), metavar="FILE.json",
              help="Also write the run in the Chrome Trace Event format (ui.perfetto.dev, "
                   "chrome://tracing; docs/trace-format.md).")
@click.option("--height", default=12, show_default=True, type=click.IntRange(4, 60),
              help="Chart rows.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the timeline (samples, phases, layers, peak) as JSON.")
def command(file, mode, target, windows, input_, export, height, as_json) -> None:
    """SRAM over modelled time for one run of FILE: stacked static, stack,
    activations and cache/scratch, with the phases beneath and the peak named.
    A mode that does not fit the part is measured with extra SRAM (what-if)
    and labelled so."""
    from mcusim.analysis.measure import job_windows, measure
    from mcusim.analysis.perfetto import write_chrome_trace
    from mcusim.analysis.timeline import SramTimeline
    from mcusim.cli import abort, console
    from mcusim.cli._progress import emulation_progress

    x, _ = job_windows(file, input_, windows)
    with emulation_progress(not as_json) as start:
        m = measure(file, x, target=target, mode=mode, progress=start(f"{target} {mode}"))
    if m.run is None:
        abort(f"{mode} mode on {target}: {m.not_measured}", 1)
    timeline = SramTimeline.of(m, height=height)
    if export:
        write_chrome_trace(m, export)
    if as_json:
        doc = {**timeline.to_dict(), "fits": m.fits, "label": m.label(), "export": export}
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    out = console()
    out.print(timeline)
    if export:
        out.print(f"wrote {export} (Chrome Trace Event JSON: open it in ui.perfetto.dev or "
                  f"chrome://tracing)", markup=False, highlight=False)


__all__ = ["command"]
