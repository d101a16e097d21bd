"""``mcusim emulate``: the program's output, its exit code, mcusim's report, faults.

Needs the emulator and the committed ELFs (firmware_images/asm_tests/)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mcusim.cli import main

ASM = Path(__file__).resolve().parents[1] / "firmware_images" / "asm_tests"
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}


def run(*args):
    return CliRunner().invoke(main, ["emulate", *map(str, args)], env=ENV)


def test_selftime_prints_its_output_then_the_report_and_exits_with_its_code():
    res = run(ASM / "selftime.elf", "--core", "cortex-m4")
    assert res.exit_code == 7, res.output
    out = res.output
    assert out.startswith("dot = 480\ncycles = ")
    printed = int(out.split("cycles = ")[1].split()[0])
    report = out.split("\n", 2)[2]
    assert "exit code     7" in report
    assert "cortex-m4 (generic zero-wait map)" in report
    assert "stack peak" in report and "CPI" in report
    # the figure the program printed is the emulator's own count between its reads
    doc = json.loads(run(ASM / "selftime.elf", "--core", "cortex-m4", "--json").stdout)
    (r0, r1) = doc["dwt_cyccnt_reads"][:2]
    assert printed == r1["value"] - r0["value"] == r1["cycle"] - r0["cycle"]


def test_json_is_the_only_thing_on_stdout():
    res = CliRunner().invoke(
        main, ["emulate", str(ASM / "selftime.elf"), "--json"], env=ENV)
    assert res.exit_code == 7
    doc = json.loads(res.stdout)
    assert doc["exit_code"] == 7 and doc["core"] == "cortex-m4"
    assert doc["output"].startswith("dot = 480")
    assert "dot = 480" in res.stderr                    # streamed there as produced
    assert doc["instructions"] > 0 and doc["cycles"] >= doc["instructions"]


def test_core_defaults_to_the_target_core_and_mismatch_is_an_error():
    res = run(ASM / "selftime.elf", "--target", "stm32f446re")
    assert res.exit_code == 7
    assert "cortex-m4 on stm32f446re at 180 MHz" in res.output
    bad = run(ASM / "selftime.elf", "--target", "stm32f446re", "--core", "cortex-m7")
    assert bad.exit_code == 2
    assert "does not match target stm32f446re" in bad.output


def test_budget_fault_is_one_block_and_exit_2():
    res = run(ASM / "m4_loop.elf", "--max-instructions", "20")
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("fault        instruction budget exhausted")
    assert any(line.startswith("pc ") for line in lines)
    assert any(line.startswith("cycles ") for line in lines)


def test_profile_lists_functions():
    res = run(ASM / "selftime.elf", "--profile", "3")
    assert res.exit_code == 7
    assert "function" in res.output and "main" in res.output


def test_truncated_or_corrupt_elf_is_one_error_line(tmp_path):
    """A cut or scribbled ELF ends as ElfError (one line, exit 2), never a
    pyelftools traceback, wherever the damage falls."""
    from mcusim.emu.elf import ElfError, load_elf
    data = (ASM.parent / "nrf52840.elf").read_bytes()
    for n in list(range(0, 256, 4)) + list(range(256, len(data), 997)):
        cut = tmp_path / "cut.elf"
        cut.write_bytes(data[:n])
        try:
            load_elf(cut)
        except ElfError as e:
            assert str(e).startswith(str(cut))
    cut.write_bytes(data[:5000])
    res = run(cut, "--core", "cortex-m4")
    assert res.exit_code == 2 and "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {cut}: segment at file offset 0x")
    assert "is truncated (904 of " in lines[0]
