"""Flash wait states and the part's flash accelerator, as the block hook models them.

Instruction fetches from flash are modelled per fetch line at block entry,
in the compiled hook: a line found in the accelerator's cache (or in the
fetch buffer, which holds the last line fetched) costs nothing; a missed
line costs the miss penalty, except that with a prefetch buffer a
*sequential* miss (not the first line after a taken branch) is hidden.

Data reads from flash (constants, and the model's weights, which the
firmware reads in place) are not seen by a block-level hook: they are
charged as accelerator hits. Every report states this.

Figures per part, with their sources, are below; the wait states come from
the target data (mcusim/targets/<part>.json).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchModel:
    """How instruction fetches from flash are charged."""
    wait_states: int          # at the target clock, from the target data
    line_bytes: int           # bytes per flash fetch line (the flash read width)
    sets: int                 # cache sets (power of two); 0 = no cache
    ways: int                 # cache ways; 0 = no cache
    prefetch: bool            # sequential lines are prefetched
    miss_penalty: int         # core cycles lost per missed line
    description: str          # one line for reports

    @property
    def active(self) -> bool:
        return self.miss_penalty > 0


ZERO_WAIT = FetchModel(0, 16, 0, 0, False, 0, "zero-wait memory (no target given)")

# Accelerator organisation per part. ST does not publish the ART caches'
# associativity: they are modelled as 4-way LRU sets of the documented size.
_ACCELERATORS = {
    # RM0390 section 3.4.2 "Adaptive real-time memory accelerator (ART Accelerator)":
    # 128-bit flash lines, instruction cache of 64 lines of 128 bits, prefetch buffer.
    "stm32f446re": dict(line_bytes=16, sets=16, ways=4, prefetch=True,
                        what="ART accelerator: 64 x 128-bit I-cache lines (modelled 16 sets x 4 ways), prefetch"),
    # RM0351 section 3.3.4 "Read access latency" / ART: 64-bit flash reads,
    # instruction cache of 32 lines of 4 x 64 bits, prefetch buffer.
    "stm32l476rg": dict(line_bytes=8, sets=8, ways=4, prefetch=True,
                        what="ART accelerator: 32 x 256-bit I-cache lines (modelled as 64-bit fetch lines, 8 sets x 4 ways), prefetch"),
    # RM0367 section 3.3.3 "Read access latency": 32-bit flash reads with an
    # optional prefetch buffer (PRFTEN), no cache.
    "stm32l073rz": dict(line_bytes=4, sets=0, ways=0, prefetch=True,
                        what="no cache; 32-bit flash reads with the prefetch buffer (PRFTEN) assumed enabled"),
    # Cortex-M7 L1 instruction cache on the H743: 16 kB, 2-way, 32-byte lines
    # (DS12110 section 3.1); a line fill reads 4 x 64-bit words from the AXI flash.
    "stm32h743zi": dict(line_bytes=32, sets=256, ways=2, prefetch=False,
                        what="Cortex-M7 L1 I-cache 16 kB, 2-way, 32-byte lines"),
    # nRF52840 PS v1.1 section 4.4 "CACHE": instruction cache in front of flash.
    "nrf52840": dict(line_bytes=16, sets=256, ways=2, prefetch=False,
                     what="NVMC instruction cache"),
}


def fetch_model(target) -> FetchModel:
    """The fetch model of `target` (a :class:`mcusim.targets.Target`), or zero wait."""
    if target is None:
        return ZERO_WAIT
    acc = _ACCELERATORS.get(target.name)
    ws = target.flash_wait_states
    if ws is None:
        return FetchModel(0, 16, 0, 0, False, 0,
                          f"{target.part}: no flash wait-state figure is published; "
                          "instruction fetch treated as zero-wait")
    if acc is None:
        return FetchModel(ws, 4, 0, 0, False, ws,
                          f"{ws} wait states, no accelerator modelled: every 32-bit fetch after "
                          "a branch or line change pays them")
    penalty = ws
    if target.name == "stm32h743zi":
        # flash on the AXI bus at half the core clock: (ws + 1) AXI cycles per 64-bit
        # beat, 4 beats per line, in core cycles, minus the core's own cycle
        ratio = max(1, round(target.clock_hz / target.flash_wait_states_at_hz))
        penalty = (ws + 1) * ratio * (acc["line_bytes"] // 8) - 1
    return FetchModel(ws, acc["line_bytes"], acc["sets"], acc["ways"], acc["prefetch"], penalty,
                      f"{ws} flash wait states at {target.flash_wait_states_at_hz / 1e6:g} MHz; "
                      f"{acc['what']}; miss costs {penalty} cycles")


DATA_SIDE_NOTE = ("data reads from flash (constants, in-place model weights) are charged as "
                  "accelerator/cache hits")

__all__ = ["FetchModel", "ZERO_WAIT", "fetch_model", "DATA_SIDE_NOTE"]
