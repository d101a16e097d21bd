"""Per-layer output dumps, and the first place where two dumps diverge.

A dump directory holds one ``.npy`` per layer, ``NNN_<name>.npy`` (layer index
and name), shaped ``[windows, T, C]`` int8 (ARGMAX: ``[windows, 1]`` int32),
plus ``input.npy`` and ``layers.json`` (model, mode, and each layer's index,
name, op and file). Dumps of two runs of the same network (boot vs lazy, host
vs emulator, before vs after a change) are compared with
:func:`first_divergence`, which names the first layer, window and element
where they differ, with both values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcusim.errors import InputError

INDEX = "layers.json"


def layer_file(index: int, name: str) -> str:
    """File name of a layer's dump: index and name, safe for any file system."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return f"{index:03d}_{safe}.npy"


def write_dumps(loaded, x: np.ndarray, mode: str, directory: str | Path) -> Path:
    """Run ``x`` through ``loaded`` (a :class:`mcusim.runtime.LoadedModel`) and
    write every layer's output to ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    layers = loaded.model.layers
    per_layer: list[list[np.ndarray]] = [[] for _ in layers]
    for out in loaded.layer_outputs(x, mode):
        per_layer[out.layer].append(out.value)
    np.save(directory / "input.npy", np.asarray(x))
    entries = []
    for i, layer in enumerate(layers):
        name = layer_file(i, layer.name)
        np.save(directory / name, np.stack(per_layer[i]) if per_layer[i] else np.zeros((0,)))
        entries.append({"index": i, "name": layer.name, "op": layer.op.name, "file": name})
    index = {"model": loaded.name, "mode": mode, "windows": int(len(x)), "layers": entries}
    (directory / INDEX).write_text(json.dumps(index, indent=2) + "\n")
    return directory


@dataclass
class Divergence:
    """Where two dumps first differ."""
    layer: int
    name: str
    window: int
    element: tuple[int, ...]     # index inside the window's tensor
    a: int
    b: int
    mismatches: int              # differing elements in that layer, all windows

    def __str__(self) -> str:
        at = ", ".join(str(i) for i in self.element)
        return (f"first divergence at layer {self.layer} ({self.name}), window {self.window}, "
                f"element [{at}]: {self.a} vs {self.b} ({self.mismatches} elements differ "
                f"in that layer)")

    def to_dict(self) -> dict:
        return {"layer": self.layer, "name": self.name, "window": self.window,
                "element": list(self.element), "a": self.a, "b": self.b,
                "mismatches": self.mismatches}


def _index(directory: Path) -> dict:
    try:
        return json.loads((directory / INDEX).read_text())
    except FileNotFoundError:
        raise InputError(f"{directory}: not a layer dump (no {INDEX})") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{directory}: unreadable {INDEX} ({exc})") from None


def first_divergence(a: str | Path, b: str | Path) -> Divergence | None:
    """The first layer (in execution order), window and element where dumps
    ``a`` and ``b`` differ; ``None`` when every layer is identical."""
    a, b = Path(a), Path(b)
    ia, ib = _index(a), _index(b)
    la, lb = ia["layers"], ib["layers"]
    if [(e["name"], e["op"]) for e in la] != [(e["name"], e["op"]) for e in lb]:
        raise InputError(f"{a} and {b} are dumps of different networks")
    for entry in la:
        xa, xb = np.load(a / entry["file"]), np.load(b / entry["file"])
        if xa.shape != xb.shape:
            raise InputError(f"layer {entry['index']} ({entry['name']}): shapes differ, "
                             f"{xa.shape} vs {xb.shape} (different inputs?)")
        diff = xa != xb
        if diff.any():
            first = tuple(int(i) for i in np.argwhere(diff)[0])
            return Divergence(entry["index"], entry["name"], first[0], first[1:],
                              int(xa[first]), int(xb[first]), int(diff.sum()))
    return None


__all__ = ["write_dumps", "first_divergence", "Divergence", "layer_file"]
