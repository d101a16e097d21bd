"""Generate the firmware's linker scripts and per-target compiler flags from the target data.

    python -m mcusim.targets.linker [--out kernels/targets] [--check]

Every image has the same layout (docs/firmware.md, "Memory layout"):

flash:  [vectors + .text | .rodata | .data load image] ... [model partition]
SRAM:   [.mailbox | .data | .bss | arena ............ | stack]

The mailbox sits at the first SRAM address in a NOLOAD section the reset
handler leaves alone (the host fills it before reset); the arena is everything
between .bss and the stack, 16-byte aligned, also NOLOAD (never zeroed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import Target, load_target, target_names

ARENA_ALIGN = 16


def _size(n: int) -> str:
    return f"{n // 1024}K" if n % 1024 == 0 else str(n)


def linker_script(t: Target) -> str:
    """The linker script of target `t`, as text (deterministic)."""
    fw_end = t.flash.address + t.firmware_size
    if t.model_address < fw_end:
        raise ValueError(f"{t.name}: the model partition overlaps the firmware")
    if t.model_address + t.model_size > t.flash.end:
        raise ValueError(f"{t.name}: the model partition runs past the end of flash")
    return f"""\
/* Linker script for {t.part} ({t.board}), core {t.core}.
 * GENERATED from mcusim/targets/{t.name}.json by `python -m mcusim.targets.linker`:
 * do not edit; tests/test_firmware_images.py fails when the two disagree.
 * Layout: docs/firmware.md, "Memory layout". */

ENTRY(Reset_Handler)

MEMORY
{{
  FLASH (rx)  : ORIGIN = 0x{t.flash.address:08X}, LENGTH = {_size(t.firmware_size)}
  MODEL (r)   : ORIGIN = 0x{t.model_address:08X}, LENGTH = {_size(t.model_size)}
  RAM   (rwx) : ORIGIN = 0x{t.sram.address:08X}, LENGTH = {_size(t.sram.size)}
}}

__model_start = ORIGIN(MODEL);
__model_end   = ORIGIN(MODEL) + LENGTH(MODEL);
__stack_size  = {t.stack_size};

SECTIONS
{{
  .text :
  {{
    KEEP(*(.vectors))
    *(.text .text.*)
    *(.glue_7 .glue_7t .vfp11_veneer .v4_bx)
  }} > FLASH

  .rodata :
  {{
    . = ALIGN(4);
    *(.rodata .rodata.*)
    . = ALIGN(4);
  }} > FLASH

  .ARM.exidx :
  {{
    *(.ARM.exidx* .gnu.linkonce.armexidx.*)
  }} > FLASH

  .mailbox (NOLOAD) :
  {{
    KEEP(*(.mailbox))
    . = ALIGN(8);
  }} > RAM

  .data :
  {{
    . = ALIGN(4);
    __data_start = .;
    *(.data .data.*)
    . = ALIGN(4);
    __data_end = .;
  }} > RAM AT > FLASH
  __data_load = LOADADDR(.data);

  .bss (NOLOAD) :
  {{
    . = ALIGN(4);
    __bss_start = .;
    *(.bss .bss.* COMMON)
    . = ALIGN(4);
    __bss_end = .;
  }} > RAM

  .arena (NOLOAD) : ALIGN({ARENA_ALIGN})
  {{
    __arena_start = .;
    . = ORIGIN(RAM) + LENGTH(RAM) - __stack_size;
    __arena_end = .;
  }} > RAM

  .stack (NOLOAD) :
  {{
    __stack_limit = .;
    . += __stack_size;
    __stack_top = .;
  }} > RAM

  __flash_used = LOADADDR(.data) + SIZEOF(.data) - ORIGIN(FLASH);
  ASSERT(__stack_top == ORIGIN(RAM) + LENGTH(RAM), "stack must end at the top of SRAM")
  ASSERT(__arena_end > __arena_start, "no SRAM left for the arena")
}}
"""


def compile_flags(t: Target) -> str:
    """The per-target compiler flags (kernels/targets/<name>.flags), one line."""
    flags = [f"-mcpu={t.raw['build']['mcpu']}", "-mfloat-abi=soft"]
    if t.caches:
        flags.append("-DMCUSIM_ENABLE_CACHES")
    return " ".join(flags) + "\n"


def generated_files(t: Target) -> dict[str, str]:
    """File name -> text of everything generated for target `t`."""
    return {f"{t.name}.ld": linker_script(t), f"{t.name}.flags": compile_flags(t)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="kernels/targets", help="directory of the .ld files")
    p.add_argument("--check", action="store_true", help="fail if a file differs, write nothing")
    args = p.parse_args(argv)
    out = Path(args.out)
    stale = []
    for name in target_names():
        for file, text in generated_files(load_target(name)).items():
            path = out / file
            if args.check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(path))
            else:
                path.write_text(text)
    for s in stale:
        print(f"stale: {s}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
