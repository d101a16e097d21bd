"""The mcusim firmware's conventions, seen from the emulator (docs/firmware.md).

The job mailbox (96 bytes at ``mcusim_mailbox``), the host I/O region for
input windows and output records, the output record layout, and the ITM
trace records: phase markers on port 1 (one word: edge, phase, detail,
index) and status records on port 2 (three words). :class:`TraceDecoder`
turns the timestamped ITM writes into nested phase spans as they arrive, so
a fault report can name the phase the firmware was in.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HOST_IO = 0x60000000           # the testbed's host I/O region (docs/firmware.md)
HOST_IO_SIZE = 1 << 20
WHAT_IF_SRAM = 0x70000000      # extra SRAM the part does not have, for what-if runs (docs/firmware.md)
MAILBOX_MAGIC = 0x424D434D     # "MCMB"
MAILBOX_VERSION = 1
DONE = 0x454E4F44              # "DONE"
MAILBOX_FIELDS = ("magic", "version", "model_addr", "model_size", "mode", "n_windows", "in_addr",
                  "in_capacity", "out_addr", "out_capacity", "arena_addr", "arena_size", "status",
                  "detail", "aux", "windows_done", "synthesized", "out_record_size",
                  "arena_capacity", "arena_used", "last_class", "cycles", "done", "reserved2")
MAILBOX_BYTES = 4 * len(MAILBOX_FIELDS)

PORT_PHASE, PORT_STATUS = 1, 2
PHASES = {1: "reset", 2: "init", 3: "boot_synth", 4: "synth_boot", 5: "inference", 6: "layer",
          7: "synth_lazy", 8: "job"}
EDGES = {1: "begin", 2: "end"}

STATUS_NAMES = {0: "OK", 1: "E_MAILBOX", 2: "E_MODE", 3: "E_WINDOWS", 4: "E_BUFFER",
                5: "E_MODEL_ADDR", 6: "E_ARENA", 16: "E_TRUNCATED", 17: "E_MAGIC",
                18: "E_VERSION", 19: "E_LENGTH", 20: "E_CRC", 21: "E_HEADER", 22: "E_SECTION",
                23: "E_SECTION_LAYOUT", 32: "E_MODEL_INFO", 33: "E_TENSOR", 34: "E_LAYER",
                35: "E_ARRAY", 36: "E_REQUANT", 37: "E_GRAPH", 38: "E_GENERATOR",
                39: "E_HEADS", 40: "E_CODES", 41: "E_PLAN", 42: "E_PLAN_CONFLICT",
                62: "E_FAULT", 63: "E_INTERNAL", 0x7FFFFFFF: "RUNNING"}

IMAGES = Path(__file__).resolve().parents[2] / "firmware_images"


def image_path(target_name: str) -> Path:
    """The committed firmware image of a part (firmware_images/<part>.elf)."""
    return IMAGES / f"{target_name}.elf"


def pack_request(*, model_size: int, mode: int, n_windows: int, in_addr: int, in_capacity: int,
                 out_addr: int, out_capacity: int, model_addr: int = 0, arena_addr: int = 0,
                 arena_size: int = 0) -> bytes:
    """The mailbox as the host writes it before reset (result fields poisoned).
    ``arena_addr``/``arena_size``: a host-provided arena instead of the linker's
    (what-if runs; 0 = the image's own)."""
    words = [MAILBOX_MAGIC, MAILBOX_VERSION, model_addr, model_size, mode, n_windows, in_addr,
             in_capacity, out_addr, out_capacity, arena_addr, arena_size]
    return struct.pack("<12I", *words) + b"\xAA" * (MAILBOX_BYTES - 48)


def unpack_mailbox(raw: bytes) -> dict[str, int]:
    return dict(zip(MAILBOX_FIELDS, struct.unpack(f"<{len(MAILBOX_FIELDS)}I", raw)))


def output_record_layout(n_out: int) -> tuple[int, int]:
    """(offset of the int32 class, record size) for an output tensor of n_out bytes."""
    cls = (n_out + 3) // 4 * 4
    return cls, cls + 4


@dataclass
class Span:
    """One bracketed phase: [start, end) in modelled cycles."""
    phase: str
    detail: int
    index: int
    start: int
    end: int | None = None
    depth: int = 0

    @property
    def cycles(self) -> int:
        return (self.end if self.end is not None else self.start) - self.start

    @property
    def label(self) -> str:
        if self.phase == "layer":
            return f"layer {self.index}"
        if self.phase in ("synth_boot", "synth_lazy"):
            return f"{self.phase.replace('_', ' ')} (layer {self.index})"
        if self.phase == "inference":
            return f"inference {self.index}"
        return self.phase.replace("_", " ")


@dataclass
class TraceDecoder:
    """Phase markers and status records, decoded as the ITM writes arrive.

    ``on_marker(span, edge, record)`` is called for every phase marker (the
    SRAM sampler hangs off it)."""
    on_marker: object = None
    spans: list = field(default_factory=list)
    statuses: list = field(default_factory=list)     # (cycle, code, detail, aux)
    open: list = field(default_factory=list)
    errors: list = field(default_factory=list)       # malformed or unbalanced records
    _status: list = field(default_factory=list)

    def __call__(self, rec) -> str | None:
        """Feed one ItmRecord; returns the phase now current (for fault reports)."""
        if rec.port == PORT_PHASE:
            edge = EDGES.get(rec.value >> 28)
            phase = PHASES.get((rec.value >> 24) & 0xF)
            detail, index = (rec.value >> 16) & 0xFF, rec.value & 0xFFFF
            if edge is None or phase is None:
                self.errors.append(f"malformed phase marker 0x{rec.value:08x}")
            elif edge == "begin":
                span = Span(phase, detail, index, rec.cycle, depth=len(self.open))
                self.open.append(span)
                self.spans.append(span)
                if self.on_marker is not None:
                    self.on_marker(span, edge, rec)
            else:
                if not self.open or self.open[-1].phase != phase:
                    self.errors.append(f"unbalanced end of {phase} at cycle {rec.cycle}")
                else:
                    span = self.open.pop()
                    span.end = rec.cycle
                    if self.on_marker is not None:
                        self.on_marker(span, edge, rec)
        elif rec.port == PORT_STATUS:
            self._status.append(rec.value)
            if len(self._status) == 3:
                code, detail, aux = self._status
                self.statuses.append((rec.cycle, code, detail, aux))
                self._status = []
        return self.current()

    def current(self) -> str | None:
        if not self.open:
            return None
        return " > ".join(s.label for s in self.open)

    def of(self, phase: str) -> list[Span]:
        return [s for s in self.spans if s.phase == phase and s.end is not None]


def read_outputs(records: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """(int8 outputs [w, n_out], int64 classes [w]) from uint8 records [w, size]."""
    cls_at, _ = output_record_layout(n_out)
    outputs = records[:, :n_out].copy().view(np.int8)
    classes = records[:, cls_at:cls_at + 4].copy().view("<i4").reshape(-1).astype(np.int64)
    return outputs, classes


__all__ = ["HOST_IO", "HOST_IO_SIZE", "WHAT_IF_SRAM", "MAILBOX_MAGIC", "DONE", "MAILBOX_FIELDS", "PHASES",
           "STATUS_NAMES", "Span", "TraceDecoder", "image_path", "pack_request",
           "unpack_mailbox", "output_record_layout", "read_outputs"]
