"""The microcontrollers mcusim knows: memory maps, clocks and power figures, as data.

One JSON file per part (``mcusim/targets/<name>.json``); every figure carries its
source (datasheet or reference manual, section and table). The firmware's
linker scripts (``kernels/targets/<name>.ld``) are generated from these files by
:mod:`mcusim.targets.linker`, and a test fails when the two disagree, so the
emulator, the memory reports and the firmware always use one memory map.

    target_names() -> list[str]
    load_target(name) -> Target
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

__all__ = ["Region", "Target", "target_names", "load_target"]


@dataclass(frozen=True)
class Region:
    """One memory region of the part (flash bank, SRAM block)."""
    name: str
    kind: str           # "flash" or "sram"
    address: int
    size: int
    used: bool          # does the firmware image use it?
    source: str

    @property
    def end(self) -> int:
        return self.address + self.size


@dataclass(frozen=True)
class Target:
    """A part and how the mcusim firmware lays itself out on it."""
    name: str
    part: str
    board: str
    core: str                   # "cortex-m0plus", "cortex-m4", "cortex-m7"
    arch: str                   # "armv6-m", "armv7e-m"
    dsp: bool                   # ARMv7E-M DSP extension (SXTB16, SMLAD, ...)
    caches: bool                # the startup code enables the core's I/D caches
    clock_hz: int
    regions: tuple[Region, ...]
    flash: Region               # the region holding the firmware and the model partition
    sram: Region                # the region holding mailbox, .data/.bss, arena and stack
    firmware_size: int          # bytes of flash reserved for the firmware image
    model_address: int          # the model partition (the emulator writes model.bin there)
    model_size: int
    stack_size: int
    flash_wait_states: int | None
    flash_wait_states_at_hz: int
    supply_voltage: float
    active_current_ua_per_mhz: float
    raw: dict                   # the whole JSON document, sources included

    @property
    def firmware_address(self) -> int:
        return self.flash.address

    @property
    def elf_name(self) -> str:
        return f"{self.name}.elf"


def target_names() -> list[str]:
    """Every known part, sorted."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".json"))


def _int(value) -> int:
    return int(value, 0) if isinstance(value, str) else int(value)


def load_target(name: str) -> Target:
    """The part `name` (see :func:`target_names`); KeyError if unknown."""
    if name not in target_names():
        raise KeyError(f"unknown target {name!r}; choose one of: {', '.join(target_names())}")
    doc = json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text())
    regions = tuple(Region(r["name"], r["kind"], _int(r["address"]), int(r["size"]),
                           bool(r.get("used", True)), r["source"]) for r in doc["memory"])
    by_name = {r.name: r for r in regions}
    lay = doc["layout"]
    ws = doc["flash_wait_states"]
    return Target(
        name=doc["name"], part=doc["part"], board=doc["board"],
        core=doc["core"]["value"], arch=doc["build"]["arch"], dsp=bool(doc["build"]["dsp"]),
        caches=bool(doc["build"]["caches"]), clock_hz=int(doc["clock_hz"]["value"]),
        regions=regions, flash=by_name[lay["flash_region"]], sram=by_name[lay["sram_region"]],
        firmware_size=int(lay["firmware_size"]),
        model_address=_int(lay["model_partition"]["address"]),
        model_size=int(lay["model_partition"]["size"]),
        stack_size=int(lay["stack_size"]),
        flash_wait_states=None if ws["value"] is None else int(ws["value"]),
        flash_wait_states_at_hz=int(ws["at_hz"]),
        supply_voltage=float(doc["supply_voltage"]["value"]),
        active_current_ua_per_mhz=float(doc["active_current_ua_per_mhz"]["value"]),
        raw=doc)
