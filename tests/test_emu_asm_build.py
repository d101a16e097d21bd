"""The committed timing-test images are what kernels/asm_tests/Makefile builds,
byte for byte (needs arm-none-eabi-gcc; skipped where it is absent)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "kernels" / "asm_tests"
COMMITTED = ROOT / "firmware_images" / "asm_tests"

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or
                                shutil.which("make") is None,
                                reason="needs the arm-none-eabi-gcc cross compiler and make")


def test_images_are_reproducible_and_up_to_date(tmp_path):
    subprocess.run(["make", "-s", "-C", str(SRC), f"OUT={tmp_path}", f"BUILD={tmp_path}/build"],
                   check=True,
                   capture_output=True)
    built = sorted(p.name for p in tmp_path.glob("*.elf"))
    committed = sorted(p.name for p in COMMITTED.glob("*.elf"))
    assert built == committed, "rebuild: make -C kernels/asm_tests"
    stale = [n for n in built if (tmp_path / n).read_bytes() != (COMMITTED / n).read_bytes()]
    assert not stale, f"stale or not reproducible: {stale}"
