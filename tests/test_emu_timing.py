"""Timing-rule tests: one assembly snippet per rule of docs/cycle-model.md.

Each kernels/asm_tests/<rule>.S works its expected cycle count out by hand
from the manual's table in its header comment ("total N" or "t1 - t0 = N");
the image times its snippet with DWT_CYCCNT and exits with the difference,
which must equal that figure exactly. Needs the emulator and the committed
ELFs in firmware_images/asm_tests/ (no cross compiler).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcusim.emu import Machine

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "kernels" / "asm_tests"
IMAGES = ROOT / "firmware_images" / "asm_tests"

# flash tests: the part they are written for (the generic-map figure is in the comment too)
FLASH_TARGETS = {"flash_f4_art": "stm32f446re", "flash_l0_prefetch": "stm32l073rz",
                 "flash_h7_icache": "stm32h743zi"}


def core_of(name: str) -> str:
    if name.startswith(("m0_", "flash_l0")):
        return "cortex-m0plus"
    if name.startswith(("m7_", "flash_h7")):
        return "cortex-m7"
    return "cortex-m4"


def expected(name: str) -> tuple[int, int | None]:
    """(figure on its machine, figure on the generic zero-wait map if stated)."""
    text = (SOURCES / f"{name}.S").read_text()
    m = re.search(r"^@\s+(?:total|t1 - t0 =)\s+(?:[\d +]+=\s*)?(\d+)\s*$", text, re.M)
    assert m, f"{name}.S states no total"
    generic = re.search(r"\((\d+) on the generic zero-wait map", text)
    return int(m.group(1)), int(generic.group(1)) if generic else None


RULES = sorted(p.stem for p in SOURCES.glob("*.S")
               if p.stem.startswith(("m0_", "m4_", "m7_", "flash_")))


def test_every_rule_has_an_image():
    missing = [r for r in RULES if not (IMAGES / f"{r}.elf").exists()]
    assert not missing, f"build them: make -C kernels/asm_tests ({missing})"


@pytest.mark.parametrize("rule", RULES)
def test_rule(rule):
    figure, generic = expected(rule)
    target = FLASH_TARGETS.get(rule)
    m = Machine(IMAGES / f"{rule}.elf", core=core_of(rule), target=target,
                max_instructions=100_000)
    result = m.run()
    assert result.exit_code == figure, (
        f"{rule}: {result.exit_code} cycles, the table gives {figure}")
    # the exit code is the program's own DWT_CYCCNT difference
    (_, v0, _), (_, v1, _) = result.dwt_reads[:2]
    assert v1 - v0 == figure
    if generic is not None:
        plain = Machine(IMAGES / f"{rule}.elf", core=core_of(rule), max_instructions=100_000).run()
        assert plain.exit_code == generic


def test_same_run_twice_same_cycles():
    runs = [Machine(IMAGES / "flash_f4_art.elf", target="stm32f446re").run() for _ in range(2)]
    assert runs[0].cycles == runs[1].cycles
    assert runs[0].instructions == runs[1].instructions
