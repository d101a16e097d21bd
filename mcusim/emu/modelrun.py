"""A packed model through a part's firmware image: outputs, cycles, SRAM, flash.

    run = run_model("model.bin", windows, target="nrf52840", mode="boot")
    run.outputs, run.classes        # what the firmware computed
    run.cycles                      # total, and run.phases for the breakdown
    run.sram, run.flash             # measured SRAM (with the timeline) and flash used

The host writes model.bin into the image's model partition, the windows into
the host I/O region and the job into the mailbox, exactly as
docs/firmware.md describes, then runs the image from reset to its
semihosting exit. Cycles come from the firmware's own trace markers, timed
by the cycle model. SRAM is measured, not computed: the stack and the arena
are painted before reset and scanned after, and at every trace marker the SP
and the plan's live buffers are sampled. With ``verify`` the outputs are
compared, byte for byte, with the host interpreter's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import McusimError
from ..format.spec import Mode, PlanKind, align
from . import firmware as fw
from .elf import load_elf
from .machine import Machine
from .result import EmulationResult
from .sram import SramSample, arena_high_water, live_bytes, paint_arena, written_in


class FirmwareStatusError(McusimError):
    """The firmware refused the job (a non-zero status in the mailbox): bad model,
    arena too small, too many windows... ``status``, ``detail``, ``aux`` are the
    mailbox's fields; ``text`` what the firmware printed."""

    def __init__(self, status: int, detail: int, aux: int, text: str, target: str,
                 mode: str | None = None):
        self.status, self.detail, self.aux, self.text = status, detail, aux, text
        name = fw.STATUS_NAMES.get(status, str(status))
        message = (f"the {target} firmware refused the job: status {status} ({name}), "
                   f"detail 0x{detail:x}, aux 0x{aux:x}")
        hint = _status_hint(name, detail, aux, target, mode)
        super().__init__(f"{message}: {hint}" if hint else message)


def _status_hint(name: str, detail: int, aux: int, target: str, mode: str | None) -> str:
    """What a refusal means for the user, for the refusals a user can act on."""
    if name == "E_ARENA":
        plan = f"the {mode} plan" if mode else "the plan"
        other = {"boot": " try --mode lazy, or", "lazy": ""}.get(mode or "", "")
        return (f"{plan} needs a {detail:,}-byte arena and the {target} image has {aux:,} "
                f"bytes;{other} see `mcusim compare FILE --target {target}` for both modes "
                f"measured with the overflow")
    if name == "E_WINDOWS":
        return f"{detail:,} windows asked, the I/O buffers hold {aux:,}"
    return ""


@dataclass
class PhaseCycles:
    """Cycles per phase, from the firmware's trace markers."""
    total: int                                   # reset to exit
    job: int
    init: int
    boot_synthesis: int                          # 0 in lazy mode
    boot_synthesis_layers: dict[int, int]        # layer -> cycles (boot)
    inferences: list[int]                        # per window, lazy synthesis included
    layers: dict[int, list[int]]                 # layer -> cycles per window
    lazy_synthesis_layers: dict[int, list[int]]  # layer -> cycles per window (lazy)

    @property
    def per_inference(self) -> float:
        return sum(self.inferences) / len(self.inferences) if self.inferences else 0.0

    def to_dict(self) -> dict:
        return {"total": self.total, "job": self.job, "init": self.init,
                "boot_synthesis": self.boot_synthesis,
                "boot_synthesis_layers": {str(k): v for k, v in self.boot_synthesis_layers.items()},
                "inferences": self.inferences, "per_inference": self.per_inference,
                "layers": {str(k): v for k, v in self.layers.items()},
                "lazy_synthesis_layers": {str(k): v for k, v in self.lazy_synthesis_layers.items()}}


@dataclass
class SramReport:
    static: int              # .mailbox + .data + .bss
    stack_peak: int          # painted stack, measured
    stack_size: int
    arena_measured: int      # high-water of the painted arena
    arena_planned: int       # the plan's arena_size for this mode
    arena_capacity: int      # the image's arena (__arena_end - __arena_start)
    cache_scratch: int       # generated-kernel cache (boot) or scratch (lazy), bytes written
    workspace: int           # synthesis workspace, bytes written
    timeline: list = field(default_factory=list)   # SramSample at every trace marker

    @property
    def peak(self) -> int:
        """SRAM the job needs: static data, the arena's high-water and the stack's."""
        return self.static + self.arena_measured + self.stack_peak

    def to_dict(self) -> dict:
        return {"peak": self.peak, "static": self.static, "stack_peak": self.stack_peak,
                "stack_size": self.stack_size, "arena_measured": self.arena_measured,
                "arena_planned": self.arena_planned, "arena_capacity": self.arena_capacity,
                "cache_scratch": self.cache_scratch, "workspace": self.workspace,
                "timeline": [s.to_dict() for s in self.timeline]}


@dataclass
class FlashReport:
    firmware: int            # .text + .rodata + .ARM.exidx + .data load image
    model: int               # bytes of model.bin
    capacity: int            # the part's flash region
    sections: dict

    @property
    def used(self) -> int:
        return self.firmware + self.model

    def to_dict(self) -> dict:
        return {"used": self.used, "firmware": self.firmware, "model": self.model,
                "capacity": self.capacity, "sections": self.sections}


@dataclass
class ModelRun:
    model: str
    target: str
    core: str
    clock_hz: int
    mode: str
    outputs: np.ndarray      # int8 [windows, classes]
    classes: np.ndarray      # int64 [windows]
    synthesized: int
    cycles: PhaseCycles
    sram: SramReport
    flash: FlashReport
    emulation: EmulationResult
    verified: bool | None = None       # outputs equal the host interpreter's (None: not checked)
    mismatch: str | None = None
    spans: list = field(default_factory=list)
    what_if_arena: int = 0             # bytes of what-if SRAM the arena ran in (0: the part's own)
    layer_info: list = field(default_factory=list)  # (name, op, MACs per window) per layer

    @property
    def windows(self) -> int:
        return int(self.outputs.shape[0])

    def seconds(self, cycles: float) -> float:
        return cycles / self.clock_hz

    def to_dict(self) -> dict:
        return {"model": self.model, "target": self.target, "core": self.core,
                "clock_hz": self.clock_hz, "mode": self.mode, "windows": self.windows,
                "outputs": self.outputs.tolist(), "classes": self.classes.tolist(),
                "synthesized": self.synthesized, "cycles": self.cycles.to_dict(),
                "seconds": {"total": self.seconds(self.cycles.total),
                            "per_inference": self.seconds(self.cycles.per_inference),
                            "boot_synthesis": self.seconds(self.cycles.boot_synthesis)},
                "sram": self.sram.to_dict(), "flash": self.flash.to_dict(),
                "instructions": self.emulation.instructions,
                "verified_against_interpreter": self.verified, "mismatch": self.mismatch,
                "model_notes": self.emulation.model_notes, "notes": self.emulation.notes}

    def __rich_console__(self, console, options):
        from rich.table import Table
        ms = lambda c: f"{c:,.0f} cycles ({self.seconds(c) * 1e3:.3f} ms)"  # noqa: E731
        t = Table.grid(padding=(0, 2))
        t.add_column(style="bold")
        t.add_column()
        t.add_row("machine", f"{self.target} ({self.core} at {self.clock_hz / 1e6:g} MHz), "
                             f"firmware image, {self.mode} mode")
        t.add_row("windows", f"{self.windows}, {self.synthesized} kernels synthesized")
        if self.verified is not None:
            t.add_row("check", "outputs equal the host interpreter's, byte for byte"
                      if self.verified else f"MISMATCH with the host interpreter: {self.mismatch}")
        c = self.cycles
        t.add_row("cycles", ms(c.total) + " reset to exit")
        if c.boot_synthesis:
            t.add_row("boot synthesis", ms(c.boot_synthesis))
        if c.inferences:
            t.add_row("per inference", ms(c.per_inference))
        s = self.sram
        t.add_row("SRAM peak", f"{s.peak:,} bytes = static {s.static:,} + arena {s.arena_measured:,} "
                               f"(plan {s.arena_planned:,}) + stack {s.stack_peak:,}")
        if s.cache_scratch:
            t.add_row("", f"of the arena: generated kernels {s.cache_scratch:,}, "
                          f"synthesis workspace {s.workspace:,}")
        f = self.flash
        t.add_row("flash", f"{f.used:,} of {f.capacity:,} bytes = firmware {f.firmware:,} "
                           f"+ model {f.model:,}")
        yield t
        if self.windows:
            ot = Table(title=f"outputs ({'first 10 of ' if self.windows > 10 else ''}"
                             f"{self.windows} windows)", title_justify="left", box=None,
                       padding=(0, 2))
            ot.add_column("window", justify="right")
            ot.add_column("class", justify="right")
            ot.add_column("logits (int8)")
            for w in range(min(self.windows, 10)):
                ot.add_row(str(w), str(int(self.classes[w])),
                           " ".join(f"{int(v):4d}" for v in self.outputs[w]))
            yield ot
            counts = np.bincount(self.classes, minlength=self.outputs.shape[1])
            yield "windows per class: " + ", ".join(f"{c}: {int(k)}" for c, k in enumerate(counts))
        if c.layers:
            lt = Table(title="per layer (cycles per window)", title_justify="left", box=None,
                       padding=(0, 2))
            for name, justify in (("layer", "right"), ("name", "left"), ("op", "left"),
                                  ("cycles", "right"), ("MAC/cycle", "right")):
                lt.add_column(name, justify=justify)
            if c.lazy_synthesis_layers:
                lt.add_column("lazy synthesis", justify="right")
            if c.boot_synthesis_layers:
                lt.add_column("boot synthesis", justify="right")
            for i in sorted(c.layers):
                name, op, macs = (self.layer_info[i] if i < len(self.layer_info)
                                  else ("", "", 0))
                cycles = float(np.mean(c.layers[i]))
                row = [str(i), name, op, f"{int(cycles):,}",
                       f"{macs / cycles:.2f}" if macs and cycles else ""]
                if c.lazy_synthesis_layers:
                    v = c.lazy_synthesis_layers.get(i)
                    row.append(f"{int(np.mean(v)):,}" if v else "")
                if c.boot_synthesis_layers:
                    v = c.boot_synthesis_layers.get(i)
                    row.append(f"{v:,}" if v else "")
                lt.add_row(*row)
            yield lt
        for note in self.emulation.model_notes + self.emulation.notes:
            yield f"note: {note}"


def _layer_info(model) -> list[tuple[str, str, int]]:
    """Name, op (marking generated PW layers) and MACs per window of every layer."""
    return [(layer.name, layer.op.name.lower() + (" (generated)" if layer.is_generated else ""),
             model.layer_macs(i)) for i, layer in enumerate(model.layers)]


def _model_bytes_and_model(model):
    from ..format import read_model, write_model
    from ..model import Model
    if isinstance(model, Model):
        data = write_model(model)
        return data, model, model.name
    if isinstance(model, (bytes, bytearray)):
        data = bytes(model)
        return data, read_model(data), None
    path = Path(model)
    data = path.read_bytes()
    return data, read_model(data, str(path)), None


def _step(span) -> int | None:
    """The plan's time step at a marker of `span`."""
    if span.phase in ("boot_synth", "synth_boot"):
        return 0
    if span.phase in ("layer", "synth_lazy"):
        return 1 + span.index
    if span.phase == "inference":
        return 1
    return None


def run_model(model, windows: np.ndarray | None = None, *, target: str = "nrf52840",
              mode: str = "boot", elf: str | Path | None = None,
              max_instructions: int | None = None, verify: bool = True,
              output=None, accounting: bool = True, what_if_arena: int = 0,
              progress=None) -> ModelRun:
    """Run `model` (a path, model.bin bytes or a Model) on `windows` (int8
    [windows, T, C]) through the firmware image of `target`; see the module doc.

    Raises :class:`FirmwareStatusError` when the firmware refuses the job and
    :class:`~mcusim.emu.EmulationFault` when it faults. ``accounting=False``
    runs without the cycle model (benchmarks only: no cycles, no checks).

    ``what_if_arena`` (bytes, 0 = off): run the job with its arena in a
    region of extra SRAM the part does not have (``WHAT_IF_SRAM``), handed to
    the firmware through the mailbox's ``arena_addr``/``arena_size``, so that
    a plan larger than the part's arena can still be measured. Static data
    and the stack stay in the part's SRAM; the figures are those of a part
    with more SRAM. ``progress(phase, instructions, cycles)`` is called at
    every trace marker."""
    from ..targets import load_target
    data, parsed, name = _model_bytes_and_model(model)
    name = name or parsed.name
    if mode not in ("boot", "lazy"):
        raise McusimError(f"mode must be boot or lazy, not {mode!r}")
    m = Mode.BOOT if mode == "boot" else Mode.LAZY
    plan = parsed.plans[m]
    length, channels = parsed.input_shape
    if windows is None:
        windows = np.zeros((0, length, channels), np.int8)
    windows = np.ascontiguousarray(windows, dtype=np.int8)
    n = int(windows.shape[0])
    try:
        tgt = load_target(target)
    except KeyError as exc:
        raise McusimError(str(exc.args[0])) from None
    elf_path = Path(elf) if elf is not None else fw.image_path(target)
    if not elf_path.exists():
        raise McusimError(f"no firmware image for {target}: {elf_path} (make -C kernels)")
    image = load_elf(elf_path)
    sym = {k: image.address_of(k) for k in ("mcusim_mailbox", "__model_start", "__model_end",
                                            "__arena_start", "__arena_end")}
    if None in sym.values():
        raise McusimError(f"{elf_path} is not an mcusim firmware image (missing symbols)")
    if len(data) > sym["__model_end"] - sym["__model_start"]:
        raise McusimError(f"model.bin ({len(data):,} bytes) does not fit the {target} model "
                          f"partition ({sym['__model_end'] - sym['__model_start']:,} bytes)")

    n_out = parsed.tensors[parsed.output_tensor].nbytes
    _, record = fw.output_record_layout(n_out)
    in_bytes = windows.tobytes()
    in_addr = fw.HOST_IO
    out_addr = fw.HOST_IO + align(max(len(in_bytes), 1), 16)
    if out_addr + n * record > fw.HOST_IO + fw.HOST_IO_SIZE:
        raise McusimError(f"{n} windows do not fit the 1 MB host I/O region; run fewer at a time")

    static = sum(s.size for s in image.sections if s.name in (".mailbox", ".data", ".bss"))
    samples: list[SramSample] = []
    machine_box: list[Machine] = []

    def on_marker(span, edge, rec):
        mach = machine_box[0]
        sp = mach.sp
        act, other = live_bytes(plan, _step(span))
        samples.append(SramSample(rec.cycle, f"{edge} {span.label}", mach.stack.top - sp, act,
                                  other, static))
        if progress is not None:
            progress(decoder.current() or span.label, mach.instructions_so_far, rec.cycle)

    decoder = fw.TraceDecoder(on_marker=on_marker)
    regions = [("host_io", fw.HOST_IO, fw.HOST_IO_SIZE)]
    if what_if_arena:
        what_if_arena = align(int(what_if_arena), 4096)
        regions.append(("what_if_sram", fw.WHAT_IF_SRAM, what_if_arena))
    machine = Machine(image, target=tgt, max_instructions=max_instructions, output=output,
                      trace_decoder=decoder, accounting=accounting, extra_regions=regions)
    machine_box.append(machine)
    machine.write_memory(sym["__model_start"], data)
    machine.write_memory(in_addr, in_bytes)
    machine.write_memory(sym["mcusim_mailbox"], fw.pack_request(
        model_size=len(data), mode=int(m), n_windows=n, in_addr=in_addr if n else 0,
        in_capacity=len(in_bytes), out_addr=out_addr if n else 0, out_capacity=n * record,
        arena_addr=fw.WHAT_IF_SRAM if what_if_arena else 0, arena_size=what_if_arena))
    arena_start, arena_cap = sym["__arena_start"], sym["__arena_end"] - sym["__arena_start"]
    if what_if_arena:
        arena_start, arena_cap = fw.WHAT_IF_SRAM, what_if_arena
    paint_arena(machine.memmap, arena_start, arena_cap)

    result = machine.run()
    box = fw.unpack_mailbox(machine.read_memory(sym["mcusim_mailbox"], fw.MAILBOX_BYTES))
    if box["status"] != 0 or box["done"] != fw.DONE:
        raise FirmwareStatusError(box["status"], box["detail"], box["aux"],
                                  result.output.decode("utf-8", "replace"), target, mode)
    records = np.frombuffer(machine.read_memory(out_addr, n * record), np.uint8).reshape(n, record) \
        if n else np.zeros((0, record), np.uint8)
    outputs, classes = fw.read_outputs(records, n_out)

    cycles = _phase_cycles(decoder, result.cycles)
    sram = _sram(machine, plan, arena_start, arena_cap, static, samples, result)
    flash = _flash(image, tgt, len(data))
    run = ModelRun(model=name, target=target, core=tgt.core, clock_hz=tgt.clock_hz, mode=mode,
                   outputs=outputs, classes=classes, synthesized=box["synthesized"],
                   cycles=cycles, sram=sram, flash=flash, emulation=result,
                   spans=list(decoder.spans), what_if_arena=what_if_arena,
                   layer_info=_layer_info(parsed))
    if decoder.errors:
        result.notes.extend(decoder.errors)
    if verify and accounting:
        _verify(run, parsed, windows, mode)
    return run


def _phase_cycles(decoder, total: int) -> PhaseCycles:
    def one(phase):
        spans = decoder.of(phase)
        return sum(s.cycles for s in spans)
    layers: dict[int, list[int]] = defaultdict(list)
    for s in decoder.of("layer"):
        layers[s.index].append(s.cycles)
    lazy: dict[int, list[int]] = defaultdict(list)
    for s in decoder.of("synth_lazy"):
        lazy[s.index].append(s.cycles)
    boot_layers = {s.index: s.cycles for s in decoder.of("synth_boot")}
    return PhaseCycles(total=total, job=one("job"), init=one("init"),
                       boot_synthesis=one("boot_synth"), boot_synthesis_layers=boot_layers,
                       inferences=[s.cycles for s in decoder.of("inference")],
                       layers=dict(layers), lazy_synthesis_layers=dict(lazy))


def _sram(machine, plan, arena_start, arena_cap, static, samples, result) -> SramReport:
    mem = machine.memmap
    kernels = [e for e in plan.entries if e.kind in (PlanKind.KERNEL_CACHE,
                                                     PlanKind.KERNEL_SCRATCH)]
    workspace = [e for e in plan.entries if e.kind == PlanKind.SYNTH_WORKSPACE]
    return SramReport(
        static=static, stack_peak=result.stack_peak, stack_size=result.stack_size,
        arena_measured=arena_high_water(mem, arena_start, arena_cap),
        arena_planned=plan.arena_size, arena_capacity=arena_cap,
        cache_scratch=sum(written_in(mem, arena_start + e.offset, e.size) for e in kernels),
        workspace=sum(written_in(mem, arena_start + e.offset, e.size) for e in workspace),
        timeline=samples)


def _flash(image, target, model_bytes: int) -> FlashReport:
    region = target.flash
    sections = {s.name: s.size for s in image.sections
                if not s.nobits and region.address <= s.load_address < region.end}
    return FlashReport(firmware=sum(sections.values()), model=model_bytes, capacity=region.size,
                       sections=sections)


def _verify(run: ModelRun, model, windows: np.ndarray, mode: str) -> None:
    from ..runtime import LoadedModel
    if not len(windows):
        run.verified = True
        return
    host = LoadedModel(model).run(windows, mode)
    if np.array_equal(host.outputs, run.outputs) and np.array_equal(host.classes, run.classes):
        run.verified = True
        return
    run.verified = False
    diff = np.argwhere(host.outputs != run.outputs)
    if len(diff):
        w, c = (int(v) for v in diff[0])
        run.mismatch = (f"window {w}, output {c}: firmware {int(run.outputs[w, c])}, "
                        f"interpreter {int(host.outputs[w, c])}")
    else:
        w = int(np.argmax(host.classes != run.classes))
        run.mismatch = f"window {w}: class {int(run.classes[w])} vs {int(host.classes[w])}"


__all__ = ["run_model", "ModelRun", "PhaseCycles", "SramReport", "FlashReport",
           "FirmwareStatusError"]
