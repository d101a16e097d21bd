"""``mcusim bench kernels``: cycles and MACs per cycle of each firmware kernel, per core.

The firmware images run the example models (one window each) in the
emulator; every layer's LAYER trace span gives its kernel's cycles, the
model gives its shape and MAC count. Layers with the same operator and shape
are one row. Boot synthesis (SYNTH_BOOT spans) is reported per generated
weight. One part per core: the nRF52840 (Cortex-M4; the emulator treats its
flash as zero-wait), the STM32H743ZI (Cortex-M7; flash through the L1
I-cache), the STM32L073RZ (Cortex-M0+; 1 wait state). Weights of stored
layers are read in place from flash (charged as accelerator hits, see
docs/cycle-model.md); generated kernels from SRAM.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

SECTION = "kernels"
CORE_TARGETS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743zi",
                "cortex-m0plus": "stm32l073rz"}
DEFAULT_MODELS = ("ecg-32k", "ecg-64k")


@dataclass(frozen=True)
class KernelRow:
    core: str
    target: str
    op: str
    shape: str               # "T=128 64->64" ...
    macs: int                # per call
    cycles: int              # per call (mean over the layers with this shape)
    calls: int               # layers measured with this shape

    @property
    def macs_per_cycle(self) -> float:
        return self.macs / self.cycles if self.cycles else 0.0

    def to_dict(self) -> dict:
        return {"core": self.core, "target": self.target, "op": self.op, "shape": self.shape,
                "macs": self.macs, "cycles": self.cycles, "calls": self.calls,
                "macs_per_cycle": round(self.macs_per_cycle, 4)}


@dataclass
class KernelBenchmark:
    rows: list[KernelRow]
    synthesis: list[dict]                   # per core: cycles per generated weight
    models: tuple[str, ...]
    skipped: list[str] = field(default_factory=list)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d", time.gmtime()))

    def to_dict(self) -> dict:
        return {"models": list(self.models), "rows": [r.to_dict() for r in self.rows],
                "synthesis": self.synthesis, "skipped": self.skipped, "date": self.date}

    def to_markdown(self) -> str:
        lines = ["## Kernels on the emulated cores (`mcusim bench kernels`)", "",
                 f"Cycles per call and MACs per cycle of each firmware kernel, measured by running "
                 f"the example models ({', '.join(self.models)}; one window, lazy mode) through "
                 "the firmware images in the emulator, from the firmware's own LAYER trace "
                 "markers. Parts: nRF52840 for the Cortex-M4 (flash treated as zero-wait), "
                 "STM32H743ZI for the Cortex-M7 (approximate dual-issue model, +-20%), "
                 "STM32L073RZ for the Cortex-M0+ (1 flash wait state). Stored weights are read "
                 "from flash, charged as accelerator hits (docs/cycle-model.md).", "",
                 "| core | op | shape | MACs | cycles | MAC/cycle | layers |",
                 "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r.core} | {r.op} | {r.shape} | {r.macs:,} | {r.cycles:,} | "
                         f"{r.macs_per_cycle:.3f} | {r.calls} |")
        if self.synthesis:
            lines += ["", "Boot synthesis of the generated kernels (the generator's micro-MLP "
                          "and heads, per generated weight):", "",
                      "| core | model | generated weights | cycles | cycles/weight |",
                      "|---|---|---|---|---|"]
            for s in self.synthesis:
                lines.append(f"| {s['core']} | {s['model']} | {s['weights']:,} | "
                             f"{s['cycles']:,} | {s['cycles_per_weight']:.1f} |")
        for note in self.skipped:
            lines.append(f"\nNot measured: {note}.")
        lines += ["", f"Measured {self.date}."]
        return "\n".join(lines)

    def __rich_console__(self, console, options):
        from rich.table import Table
        t = Table(box=None, padding=(0, 2))
        for col, just in (("core", "left"), ("op", "left"), ("shape", "left"),
                          ("MACs", "right"), ("cycles", "right"), ("MAC/cycle", "right")):
            t.add_column(col, justify=just)
        for r in self.rows:
            t.add_row(r.core, r.op, r.shape, f"{r.macs:,}", f"{r.cycles:,}",
                      f"{r.macs_per_cycle:.3f}" if r.macs else "-")
        yield t
        for note in self.skipped:
            yield f"not measured: {note}"
        for s in self.synthesis:
            yield (f"{s['core']}: boot synthesis of {s['model']}: {s['cycles_per_weight']:.1f} "
                   f"cycles per generated weight")


def _shape_and_macs(model, index: int) -> tuple[str, str, int]:
    from mcusim.format.spec import Op
    layer = model.layers[index]
    src = model.tensors[layer.inputs[0]]
    dst = model.tensors[layer.output]
    op = Op(layer.op)
    if op == Op.CONV:
        shape = f"T={dst.length} {src.channels}->{dst.channels} K={layer.kernel}"
    elif op == Op.DW_CONV:
        shape = f"T={dst.length} C={dst.channels} K={layer.kernel} s={layer.stride}"
    elif op == Op.PW_CONV:
        shape = f"T={dst.length} {src.channels}->{dst.channels}"
    elif op == Op.FULLY_CONNECTED:
        shape = f"{src.length * src.channels}->{dst.channels}"
    else:
        shape = f"T={src.length} C={src.channels}"
    kind = "pw_conv (generated)" if layer.is_generated else op.name.lower()
    return kind, shape, model.layer_macs(index)


def bench_kernels(models=DEFAULT_MODELS, cores=tuple(CORE_TARGETS), progress=None
                  ) -> KernelBenchmark:
    from mcusim.emu.modelrun import FirmwareStatusError, run_model
    from mcusim.examples import build_example

    skipped: list[str] = []
    rows: list[KernelRow] = []
    synthesis: list[dict] = []
    for core in cores:
        target = CORE_TARGETS[core]
        groups: dict[tuple, list[int]] = defaultdict(list)
        macs_of: dict[tuple, int] = {}
        for name in models:
            if progress:
                progress(f"{name} on {target} ({core})")
            model = build_example(name)
            length, channels = model.input_shape
            x = np.random.default_rng(0).integers(-128, 128, (1, length, channels), np.int8)
            try:
                run = run_model(model, x, target=target, mode="lazy", verify=False)
            except FirmwareStatusError as exc:      # the model does not fit the part
                skipped.append(f"{name} on {target}: {exc}")
                continue
            for s in run.spans:
                if s.phase == "layer" and s.end is not None:
                    op, shape, macs = _shape_and_macs(model, s.index)
                    groups[(op, shape)].append(s.cycles)
                    macs_of[(op, shape)] = macs
            if model.generated:
                try:
                    boot = run_model(model, x[:0], target=target, mode="boot", verify=False)
                except FirmwareStatusError as exc:  # the boot plan does not fit the part
                    skipped.append(f"{name} boot synthesis on {target}: {exc}")
                    continue
                weights = sum(model.layer_weight_shape(g.layer)[0] *
                              model.layer_weight_shape(g.layer)[1] for g in model.generated)
                synthesis.append({"core": core, "model": name, "weights": weights,
                                  "cycles": boot.cycles.boot_synthesis,
                                  "cycles_per_weight": boot.cycles.boot_synthesis / weights})
        for (op, shape), cycles in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            rows.append(KernelRow(core, target, op, shape, macs_of[(op, shape)],
                                  int(round(float(np.mean(cycles)))), len(cycles)))
    return KernelBenchmark(rows, synthesis, tuple(models), skipped)


__all__ = ["bench_kernels", "KernelBenchmark", "KernelRow", "SECTION"]
