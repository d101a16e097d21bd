"""`mcusim bench --check`: the cycle-count regression against traces/baseline.json.

The committed baseline is checked here for the tiny model (every target, both
modes; a few seconds); the whole suite (every example model and the kernel
figures, under a minute) runs in CI as `mcusim bench --check traces/baseline.json`."""

from __future__ import annotations

import json
from pathlib import Path

from _examples_cache import cli_runner

from mcusim.analysis.regression import compare_baseline, subset
from mcusim.cli import main

BASELINE = Path(__file__).resolve().parents[1] / "traces" / "baseline.json"


def test_committed_baseline_passes():
    r = cli_runner().invoke(main, ["bench", "--check", str(BASELINE), "--model", "tiny"])
    assert r.exit_code == 0, r.output
    assert "figures equal the baseline" in r.stdout


def test_altered_baseline_fails_with_a_diff_table(tmp_path):
    doc = json.loads(BASELINE.read_text())
    synth = doc["runs"]["tiny/nrf52840/boot"]["cycles"]["boot_synthesis"]
    peak = doc["runs"]["tiny/stm32l073rz/lazy"]["sram"]["peak"]
    doc["runs"]["tiny/nrf52840/boot"]["cycles"]["boot_synthesis"] += 7
    doc["runs"]["tiny/stm32l073rz/lazy"]["sram"]["peak"] -= 16
    altered = tmp_path / "baseline.json"
    altered.write_text(json.dumps(doc))
    r = cli_runner().invoke(main, ["bench", "--check", str(altered), "--model", "tiny"])
    assert r.exit_code == 1, r.output
    out = " ".join(r.stdout.split())
    assert "2 of 420 figures differ from the baseline" in out
    assert (f"tiny/nrf52840/boot cycles: boot_synthesis {synth + 7:,} {synth:,} -7 "
            f"{-700 / (synth + 7):+.2f}") in out
    assert f"tiny/stm32l073rz/lazy SRAM peak {peak - 16:,} {peak:,} +16 {1600 / (peak - 16):+.2f}" in out

    r = cli_runner().invoke(main, ["bench", "--check", str(altered), "--model", "tiny",
                                   "--update"])
    assert r.exit_code == 0, r.output
    assert "changed (baseline rewritten)" in " ".join(r.stdout.split())
    fixed = json.loads(altered.read_text())
    assert fixed["runs"] == json.loads(BASELINE.read_text())["runs"]   # other models kept
    assert compare_baseline(subset(fixed, ["tiny"]),
                            subset(json.loads(BASELINE.read_text()), ["tiny"])).ok


def test_baseline_covers_the_suite():
    doc = json.loads(BASELINE.read_text())
    from mcusim.analysis.regression import suite_jobs
    assert set(doc["runs"]) == {f"{m}/{t}/{mode}" for m, t, mode in suite_jobs()}
    misfit = doc["runs"]["ecg-225k/nrf52840/boot"]
    assert misfit["fits"] is False and "SRAM" in misfit["regions"]
    assert doc["runs"]["ecg-32k/stm32l073rz/boot"]["fits"] is False
    assert doc["runs"]["ecg-32k/stm32l073rz/lazy"]["fits"] is True
    assert doc["kernels"] and all(k["cycles"] > 0 for k in doc["kernels"].values())


def test_missing_baseline_is_an_error(tmp_path):
    r = cli_runner().invoke(main, ["bench", "--check", str(tmp_path / "none.json"),
                                   "--model", "tiny"])
    assert r.exit_code == 2 and "no baseline" in r.stderr
