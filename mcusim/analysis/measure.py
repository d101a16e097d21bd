"""One model, one part, one synthesis mode: measured in the emulator, with its verdict.

    m = measure("model.bin", windows, target="stm32l073rz", mode="boot")
    m.fits, m.regions          # flash, model partition, SRAM: RegionFit each
    m.run                      # the ModelRun (cycles, SRAM timeline, ...), or None
    m.extra_sram               # > 0: measured in a what-if run (see below)

Flash is known before running: the image's flash sections (``.text``,
``.rodata``, ``.ARM.exidx``, ``.data`` load image) plus model.bin, against the
part's flash, and model.bin against the image's model partition. SRAM is
measured: static data (``.mailbox + .data + .bss``) and the arena's
high-water, plus the stack the image reserves (the arena must fit between
static data and that stack), against the part's SRAM region; the run's SRAM
peak (with the measured stack high-water) is reported beside it.

**What-if runs.** When the mode's plan needs a larger arena than the image
has, the firmware would refuse the job (``E_ARENA``). So that the figures
still exist, the job runs with its arena in extra SRAM the part does not have
(``run_model(..., what_if_arena=)``: a separate region at ``WHAT_IF_SRAM``
handed to the firmware through the mailbox); ``extra_sram`` says how many
bytes the image's arena is short, and the verdict stays "does not fit".
**A model larger than the model partition is not run**: the firmware reads
the model in place from flash, and a larger partition would be a different
part; the cycles are then reported as not measured, with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import McusimError
from ..format.spec import Mode
from .fit import RegionFit


@dataclass(frozen=True)
class ImageLayout:
    """What the part's firmware image reserves (from its ELF)."""
    firmware_flash: int      # .text + .rodata + .ARM.exidx + .data load image
    partition: int           # model partition bytes
    arena: int               # __arena_end - __arena_start
    static: int              # .mailbox + .data + .bss
    stack: int               # reserved stack

    @classmethod
    def of(cls, target) -> "ImageLayout":
        from ..emu import firmware as fw
        from ..emu.elf import load_elf
        path = fw.image_path(target.name)
        if not path.exists():
            raise McusimError(f"no firmware image for {target.name}: {path} (make -C kernels)")
        image = load_elf(path)
        a = image.address_of
        flash = sum(s.size for s in image.sections if not s.nobits
                    and target.flash.address <= s.load_address < target.flash.end)
        static = sum(s.size for s in image.sections if s.name in (".mailbox", ".data", ".bss"))
        stack = sum(s.size for s in image.sections if s.name == ".stack") or target.stack_size
        return cls(firmware_flash=flash, partition=a("__model_end") - a("__model_start"),
                   arena=a("__arena_end") - a("__arena_start"), static=static, stack=stack)


def model_bytes(model) -> tuple[bytes, object, str]:
    """(model.bin bytes, parsed Model, name) from a path, bytes or a Model."""
    from ..format import read_model, write_model
    from ..model import Model
    if isinstance(model, Model):
        return write_model(model), model, model.name
    if isinstance(model, (bytes, bytearray)):
        data = bytes(model)
        parsed = read_model(data)
        return data, parsed, parsed.name
    path = Path(model)
    data = path.read_bytes()
    parsed = read_model(data, str(path))
    return data, parsed, parsed.name


@dataclass
class Measurement:
    """A mode on a part: the regions' verdicts and, when it could run, the run."""
    model: str
    target: object               # mcusim.targets.Target
    mode: str
    windows: int
    layout: ImageLayout
    arena_planned: int           # the plan's arena_size for this mode
    flash: RegionFit
    partition: RegionFit
    sram: RegionFit
    run: object | None = None    # ModelRun
    extra_sram: int = 0          # bytes the image's arena is short (what-if run when measured)
    not_measured: str | None = None

    @property
    def regions(self) -> tuple[RegionFit, ...]:
        return (self.flash, self.partition, self.sram)

    @property
    def fits(self) -> bool:
        return all(r.fits for r in self.regions) and self.extra_sram == 0

    @property
    def what_if(self) -> bool:
        """Measured with SRAM the part does not have."""
        return self.run is not None and self.extra_sram > 0

    @property
    def misfits(self) -> list[RegionFit]:
        return [r for r in self.regions if not r.fits]

    def seconds(self, cycles: float) -> float:
        return cycles / self.target.clock_hz

    def label(self) -> str:
        """How to read the figures: plain, what-if, or not measured."""
        if self.run is None:
            return f"not measured: {self.not_measured}"
        if self.what_if:
            return (f"does not fit: measured with {self.extra_sram:,} extra bytes of SRAM "
                    f"the part does not have")
        return "measured"

    def to_dict(self, timeline: bool = False) -> dict:
        d = {"model": self.model, "target": self.target.name, "mode": self.mode,
             "windows": self.windows, "fits": self.fits,
             "regions": [r.to_dict() for r in self.regions],
             "arena_planned": self.arena_planned, "arena_capacity": self.layout.arena,
             "extra_sram": self.extra_sram, "what_if": self.what_if,
             "measured": self.run is not None, "not_measured": self.not_measured}
        if self.run is not None:
            run = self.run.to_dict()
            if not timeline:
                run["sram"].pop("timeline", None)
            run.pop("outputs", None)
            d["run"] = run
        return d


def measure(model, windows: np.ndarray | None, *, target: str, mode: str,
            what_if: bool = True, progress=None, verify: bool = True) -> Measurement:
    """Measure `model` in `mode` on `target` (see the module doc). ``what_if=False``
    leaves a plan that does not fit unmeasured instead of running it in extra SRAM.
    ``progress(phase, instructions, cycles)`` is passed to the run."""
    from ..emu.modelrun import run_model
    from ..targets import load_target
    if mode not in ("boot", "lazy"):
        raise McusimError(f"mode must be boot or lazy, not {mode!r}")
    try:
        tgt = load_target(target)
    except KeyError as exc:
        raise McusimError(str(exc.args[0])) from None
    data, parsed, name = model_bytes(model)
    layout = ImageLayout.of(tgt)
    plan = parsed.plans[Mode.BOOT if mode == "boot" else Mode.LAZY]
    n = 0 if windows is None else int(len(windows))
    flash = RegionFit("flash", layout.firmware_flash + len(data), tgt.flash.size,
                      (("firmware", layout.firmware_flash), ("model", len(data))))
    partition = RegionFit("model partition", len(data), layout.partition, (("model", len(data)),))
    extra = max(0, plan.arena_size - layout.arena)
    planned_sram = RegionFit("SRAM", layout.static + plan.arena_size + layout.stack, tgt.sram.size,
                             (("static", layout.static), ("arena", plan.arena_size),
                              ("stack (reserved)", layout.stack)))
    m = Measurement(name, tgt, mode, n, layout, plan.arena_size, flash, partition, planned_sram,
                    extra_sram=extra)
    if not partition.fits:
        m.not_measured = (f"model.bin ({len(data):,} B) is larger than the {tgt.name} image's "
                          f"model partition ({layout.partition:,} B); the firmware reads the model "
                          f"in place from flash, so there is nothing to run (SRAM figures are the "
                          f"plan's)")
        return m
    if extra and not what_if:
        m.not_measured = (f"the {mode} plan's arena ({plan.arena_size:,} B) is larger than the "
                          f"image's ({layout.arena:,} B); what-if runs are off")
        return m
    run = run_model(data, windows, target=target, mode=mode, verify=verify, progress=progress,
                    what_if_arena=plan.arena_size if extra else 0)
    s = run.sram
    m.run = run
    m.sram = RegionFit("SRAM", s.static + s.arena_measured + layout.stack, tgt.sram.size,
                       (("static", s.static), ("arena", s.arena_measured),
                        ("stack (reserved)", layout.stack)))
    return m


__all__ = ["Measurement", "ImageLayout", "measure", "model_bytes"]


def job_windows(model, source=None, count: int = 2) -> tuple[np.ndarray, str]:
    """The first `count` int8 windows for `model` from `source` (an ``.npy`` file
    or a WFDB record; None: the bundled sample), and where they came from."""
    from ..inputs import InputSpec, load_windows
    from ..runtime import LoadedModel
    _, parsed, _ = model_bytes(model)
    w = load_windows(source, InputSpec.of(LoadedModel(parsed)))
    return np.ascontiguousarray(w.x[:count]), w.source


__all__ += ["job_windows"]
