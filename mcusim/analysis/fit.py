"""A memory region's use against its capacity: the verdict, the margin or the overflow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegionFit:
    """``used`` bytes of a region of ``capacity`` bytes. ``parts`` names what the
    use is made of (in order), for reports."""
    region: str              # "flash", "model partition", "SRAM"
    used: int
    capacity: int
    parts: tuple[tuple[str, int], ...] = ()

    @property
    def fits(self) -> bool:
        return self.used <= self.capacity

    @property
    def margin(self) -> int:
        """Free bytes (negative: the overflow)."""
        return self.capacity - self.used

    @property
    def percent(self) -> float:
        """Margin (or overflow, negative) in percent of the capacity."""
        return 100.0 * self.margin / self.capacity if self.capacity else float("-inf")

    def verdict(self) -> str:
        """"fits, 1,234 B (5.0%) free" or "does not fit: 2,345 B (11.5%) over"."""
        if self.fits:
            return f"fits, {self.margin:,} B ({self.percent:.1f}%) free"
        return f"does not fit: {-self.margin:,} B ({-self.percent:.1f}%) over"

    def to_dict(self) -> dict:
        return {"region": self.region, "used": self.used, "capacity": self.capacity,
                "fits": self.fits, "margin": self.margin, "percent": round(self.percent, 3),
                "parts": {k: v for k, v in self.parts}}


__all__ = ["RegionFit"]
