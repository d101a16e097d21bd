"""``mcusim export-tflite FILE -o model.tflite [--synthesis-layer N]``."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("export-tflite")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the .tflite file (replaced atomically).")
@click.option("--synthesis-layer", type=int, metavar="N",
              help="Export instead the synthesis of generated layer N (layer index) as a "
                   "graph of FULLY_CONNECTED ops; its input matrix goes to OUTPUT.input.npy.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def command(file: str, output: str, synthesis_layer: int | None, as_json: bool) -> None:
    """Export the packed model FILE as a standard int8 TFLite flatbuffer, with
    every generated PW kernel materialized (runs on TFLite Micro and any TFLite tool)."""
    import io

    import numpy as np

    from mcusim.cli import abort, console
    from mcusim.cli.example import write_atomically
    from mcusim.format import load_model
    from mcusim.tflite.export import export_model, export_synthesis

    model = load_model(file)
    written = {"file": file, "output": output}
    try:
        if synthesis_layer is None:
            data = export_model(model)
            write_atomically(Path(output), data)
        else:
            data, rows = export_synthesis(model, synthesis_layer)
            buffer = io.BytesIO()
            np.save(buffer, rows)
            input_path = f"{output}.input.npy"
            write_atomically(Path(output), data)
            write_atomically(Path(input_path), buffer.getvalue())
            written.update(synthesis_layer=synthesis_layer, input=input_path,
                           rows=list(rows.shape))
    except OSError as e:
        abort(f"{output}: cannot write: {e.strerror or e}")
    written["bytes"] = len(data)
    if as_json:
        click.echo(json.dumps(written))
    elif synthesis_layer is None:
        console().print(f"wrote {output} ({len(data):,} bytes, {len(model.layers)} layers, "
                        f"{len(model.generated)} generated kernels materialized)",
                        markup=False, soft_wrap=True)
    else:
        console().print(f"wrote {output} ({len(data):,} bytes: synthesis of layer "
                        f"{synthesis_layer}) and its input {written['input']}",
                        markup=False, soft_wrap=True)


__all__ = ["command"]
