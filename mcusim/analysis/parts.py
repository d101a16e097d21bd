"""The parts mcusim knows, as reports (``mcusim targets``): memory maps, clocks,
power figures, each with the source its JSON file gives."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text


def _ws(t) -> str:
    return "-" if t.flash_wait_states is None else str(t.flash_wait_states)


def _unverified(t) -> bool:
    return not t.raw["active_current_ua_per_mhz"].get("verified", True)


@dataclass
class TargetList:
    """Every part, one row each."""
    targets: list

    def to_dict(self) -> dict:
        return {"targets": [target_dict(t) for t in self.targets]}

    def __rich_console__(self, console, options):
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        for col, just in (("name", "left"), ("core", "left"), ("MHz", "right"),
                          ("flash", "right"), ("SRAM used", "right"), ("WS", "right"),
                          ("V", "right"), ("uA/MHz", "right")):
            table.add_column(col, justify=just, no_wrap=True)
        for t in self.targets:
            table.add_row(t.name, t.core, f"{t.clock_hz / 1e6:g}", f"{t.flash.size // 1024} kB",
                          f"{t.sram.size // 1024} kB", _ws(t), f"{t.supply_voltage:g}",
                          f"{t.active_current_ua_per_mhz:g}" + ("*" if _unverified(t) else ""))
        yield table
        yield Text("WS: flash wait states at the clock (-: none given, see the part); uA/MHz: run-mode current for the energy "
                   "estimate (* unverified against the datasheet). `mcusim targets NAME` shows "
                   "every region and the source of each figure.")


@dataclass
class TargetDetail:
    """One part: every figure with its source."""
    target: object

    def to_dict(self) -> dict:
        return target_dict(self.target)

    def __rich_console__(self, console, options):
        t, raw = self.target, self.target.raw
        yield Text(f"{t.name}: {t.part} on {t.board}")
        yield Text(raw.get("description", ""))
        table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
        table.add_column("figure")
        table.add_column("value")
        table.add_column("source", overflow="fold")
        table.add_row("core", t.core, raw["core"]["source"])
        table.add_row("clock", f"{t.clock_hz / 1e6:g} MHz", raw["clock_hz"]["source"])
        for r in t.regions:
            use = "" if r.used else " (unused by the image)"
            table.add_row(f"{r.kind} {r.name}", f"{r.size:,} B at 0x{r.address:08x}{use}",
                          r.source)
        table.add_row("flash wait states", _ws(t), raw["flash_wait_states"]["source"])
        table.add_row("supply", f"{t.supply_voltage:g} V", raw["supply_voltage"]["source"])
        cur = f"{t.active_current_ua_per_mhz:g} uA/MHz" + (" (unverified)" if _unverified(t)
                                                           else "")
        table.add_row("active current", cur, raw["active_current_ua_per_mhz"]["source"])
        lay = raw["layout"]
        table.add_row("image layout",
                      f"firmware {t.firmware_size:,} B, model partition {t.model_size:,} B at "
                      f"0x{t.model_address:08x}, stack {t.stack_size:,} B",
                      lay.get("why", ""))
        yield table


def target_dict(t) -> dict:
    return {"name": t.name, "part": t.part, "board": t.board, "core": t.core,
            "clock_hz": t.clock_hz,
            "regions": [{"name": r.name, "kind": r.kind, "address": r.address, "size": r.size,
                         "used": r.used, "source": r.source} for r in t.regions],
            "flash_region": t.flash.name, "sram_region": t.sram.name,
            "model_partition": {"address": t.model_address, "size": t.model_size},
            "firmware_size": t.firmware_size, "stack_size": t.stack_size,
            "flash_wait_states": t.flash_wait_states,
            "supply_voltage": t.supply_voltage,
            "active_current_ua_per_mhz": t.active_current_ua_per_mhz,
            "active_current_verified": not _unverified(t),
            "sources": {k: v["source"] for k, v in t.raw.items()
                        if isinstance(v, dict) and "source" in v}}


__all__ = ["TargetList", "TargetDetail", "target_dict"]
