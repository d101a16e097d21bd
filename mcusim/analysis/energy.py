"""Energy per inference: an estimate from the part's datasheet figures, never a measurement.

Model: the core runs at the target's clock ``f`` drawing the datasheet's
active current per MHz, ``I = (uA/MHz) x f[MHz]``, from the supply ``V``, for
the modelled time ``t = cycles / f``:

    E = V x I x t = V x (uA/MHz x 1e-6) x cycles          (joules)

It ignores flash and SRAM power beyond what the datasheet's run-mode figure
includes, peripherals, sleep between inferences, regulator losses and the
difference between CoreMark and int8 kernels. The current figures come from
``mcusim/targets/<part>.json`` with their sources; a figure marked
``"verified": false`` has not been checked against a copy of the datasheet,
and every report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL = "E = V x I x t, I = (uA/MHz) x f, t = cycles / f  (run-mode current, no sleep, no peripherals)"


@dataclass(frozen=True)
class EnergyModel:
    """The part's figures the estimate uses, with their sources."""
    voltage: float                 # V
    ua_per_mhz: float              # active current per MHz
    clock_hz: int
    verified: bool                 # the current figure was checked against the datasheet
    voltage_source: str
    current_source: str

    @classmethod
    def of(cls, target) -> "EnergyModel":
        cur = target.raw["active_current_ua_per_mhz"]
        return cls(voltage=target.supply_voltage, ua_per_mhz=target.active_current_ua_per_mhz,
                   clock_hz=target.clock_hz, verified=bool(cur.get("verified", True)),
                   voltage_source=target.raw["supply_voltage"]["source"],
                   current_source=cur["source"])

    @property
    def current_a(self) -> float:
        return self.ua_per_mhz * 1e-6 * self.clock_hz / 1e6

    def joules(self, cycles: float) -> float:
        return self.voltage * self.current_a * cycles / self.clock_hz

    def describe(self) -> str:
        flag = "" if self.verified else ", figure unverified"
        return (f"{self.voltage:g} V x {self.ua_per_mhz:g} uA/MHz x {self.clock_hz / 1e6:g} MHz "
                f"= {self.current_a * 1e3:.2f} mA{flag}")

    def to_dict(self) -> dict:
        return {"model": MODEL, "voltage": self.voltage, "ua_per_mhz": self.ua_per_mhz,
                "clock_hz": self.clock_hz, "current_a": self.current_a,
                "verified": self.verified, "voltage_source": self.voltage_source,
                "current_source": self.current_source}


def format_joules(j: float) -> str:
    for unit, scale in (("J", 1.0), ("mJ", 1e-3), ("uJ", 1e-6), ("nJ", 1e-9)):
        if j >= scale:
            return f"{j / scale:.3g} {unit}"
    return f"{j / 1e-9:.3g} nJ"


__all__ = ["EnergyModel", "MODEL", "format_joules"]
