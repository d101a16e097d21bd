"""`mcusim compare`: boot vs lazy against a part's memory map, both measured."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from _examples_cache import cli_runner, example, example_bytes
from analysis_golden import HERE, compare_text

from mcusim.analysis.compare import break_even, compare_modes
from mcusim.analysis.energy import EnergyModel
from mcusim.analysis.fit import RegionFit
from mcusim.analysis.measure import job_windows
from mcusim.cli import main
from mcusim.targets import load_target


@pytest.fixture(scope="module")
def ecg32k_on_l073():
    """ecg-32k on the STM32L073RZ (20 kB SRAM): lazy fits, boot's 38 kB arena does not."""
    model = example("ecg-32k")
    x, _ = job_windows(model, None, 1)
    return compare_modes(model, x, target="stm32l073rz")


def test_compare_text_equals_golden():
    # regenerate with: python tests/golden/regenerate_analysis.py
    assert compare_text() == (HERE / "compare_tiny.txt").read_text(encoding="utf-8")


def test_boot_only_overflow_verdict(ecg32k_on_l073):
    c = ecg32k_on_l073
    assert c.lazy.fits and not c.lazy.what_if
    assert not c.boot.fits and c.boot.what_if            # measured anyway, in extra SRAM
    assert c.boot.sram.fits is False and c.boot.flash.fits and c.boot.partition.fits
    part = load_target("stm32l073rz")
    # the overflow is exactly what the image's layout needs beyond the part's SRAM
    s = c.boot.run.sram
    assert c.boot.sram.used == s.static + s.arena_measured + c.boot.layout.stack
    assert -c.boot.sram.margin == c.boot.sram.used - part.sram.size > 0
    assert c.boot.extra_sram == c.boot.arena_planned - c.boot.layout.arena > 0
    assert s.arena_measured == s.arena_planned                # the what-if arena is measured
    assert c.boot.run.verified and c.lazy.run.verified        # outputs still the interpreter's
    assert c.boot.run.cycles.boot_synthesis > 0 and c.lazy.run.cycles.boot_synthesis == 0
    assert c.fits("lazy") and c.fits("any") and not c.fits("both") and not c.fits("boot")


def test_fit_verdict_for_a_model_that_fits():
    x, _ = job_windows(example("tiny"), None, 1)
    c = compare_modes(example("tiny"), x, target="nrf52840")
    assert c.boot.fits and c.lazy.fits and not c.boot.what_if
    assert all(r.margin > 0 for m in (c.boot, c.lazy) for r in m.regions)


def test_cli_exit_codes_and_json(tmp_path):
    runner = cli_runner()
    with contextlib.chdir(tmp_path):
        Path("m.bin").write_bytes(example_bytes("ecg-32k"))
        args = ["compare", "m.bin", "--target", "stm32l073rz", "--windows", "1"]
        plain = runner.invoke(main, args + ["--json"])
        assert plain.exit_code == 0, plain.output          # whatever the verdict
        doc = json.loads(plain.stdout)
        boot, lazy = doc["modes"]["boot"], doc["modes"]["lazy"]
        assert boot["summary"]["verdict"] == "does not fit" and boot["what_if"]
        assert "extra bytes of SRAM the part does not have" in boot["summary"]["label"]
        assert lazy["summary"]["verdict"] == "fits"
        sram = [r for r in boot["regions"] if r["region"] == "SRAM"][0]
        assert sram["margin"] < 0 and sram["percent"] < 0
        assert doc["energy_model"]["verified"] is False
        assert boot["summary"]["energy_is_estimate"] is True
        assert runner.invoke(main, args + ["--require-fit"]).exit_code == 1
        assert runner.invoke(main, args + ["--require-fit=lazy"]).exit_code == 0
        text = runner.invoke(main, args)
        assert "does not fit: measured with" in text.stdout and "DOES NOT FIT" in text.stdout


def test_all_targets_matrix(tmp_path):
    """--all-targets: one row per part, the same verdicts as the per-part compare,
    readable at 120 columns without wrapping a row."""
    from mcusim.targets import target_names
    runner = cli_runner()
    with contextlib.chdir(tmp_path):
        Path("m.bin").write_bytes(example_bytes("ecg-32k"))
        args = ["compare", "m.bin", "--all-targets", "--windows", "1"]
        doc = json.loads(runner.invoke(main, args + ["--json"]).stdout)
        rows = {t["target"]: t for t in doc["targets"]}
        assert sorted(rows) == sorted(target_names())
        l073 = rows["stm32l073rz"]["modes"]
        assert l073["boot"]["summary"]["verdict"] == "does not fit"
        assert l073["lazy"]["summary"]["verdict"] == "fits"
        assert rows["nrf52840"]["modes"]["boot"]["summary"]["verdict"] == "fits"
        result = runner.invoke(main, args, env={"COLUMNS": "120", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        for name in target_names():
            row = [line for line in lines if line.startswith(name + " ")]
            assert len(row) == 1 and "fit" in row[0], (name, lines)
        l073_row = [line for line in lines if line.startswith("stm32l073rz ")][0]
        assert "NO FIT: SRAM +" in l073_row and "*" in l073_row      # measured as a what-if


def test_flash_overflow_is_reported_not_run():
    """ecg-int8 (1.4 MB) does not fit the nRF52840's model partition: not measured, with why."""
    model = example("ecg-int8")
    x, _ = job_windows(model, None, 1)
    c = compare_modes(model, x, target="nrf52840")
    for m in (c.boot, c.lazy):
        assert m.run is None and not m.fits and not m.partition.fits
        assert "model partition" in m.not_measured
    assert c.break_even is None


def test_region_fit_and_energy_arithmetic():
    r = RegionFit("SRAM", 120, 100)
    assert not r.fits and r.margin == -20 and r.percent == -20.0
    assert "20 B (20.0%) over" in r.verdict()
    e = EnergyModel.of(load_target("nrf52840"))
    # 3 V x 52 uA/MHz x 64 MHz = 9.984 mW; 64e6 cycles = 1 s
    assert e.joules(64_000_000) == pytest.approx(3.0 * 52e-6 * 64)
    assert not e.verified


def test_break_even_definition():
    class Span:
        def __init__(self, start, end):
            self.phase, self.start, self.end = "inference", start, end

    class Run:
        def __init__(self, setup, per):
            self.spans = [Span(setup, setup + per)]
            self.cycles = type("C", (), {"inferences": [per], "per_inference": per})

    class M:
        def __init__(self, setup, per):
            self.run = Run(setup, per)
    assert break_even(M(1000, 10), M(100, 40)) == 30          # 900 / 30
    assert break_even(M(1000, 10), M(100, 10)) is None        # never
    assert break_even(M(100, 10), M(100, 40)) == 1
