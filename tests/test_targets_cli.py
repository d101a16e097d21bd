"""`mcusim targets`: the parts as data, their figures and sources."""

from __future__ import annotations

import json

from _examples_cache import cli_runner
from analysis_golden import HERE, targets_text

from mcusim.cli import main
from mcusim.targets import load_target, target_names


def test_targets_text_equals_golden():
    # regenerate with: python tests/golden/regenerate_analysis.py
    assert targets_text() == (HERE / "targets.txt").read_text(encoding="utf-8")


def test_targets_json_lists_every_part_with_sources():
    result = cli_runner().invoke(main, ["targets", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [t["name"] for t in doc["targets"]] == target_names()
    for t in doc["targets"]:
        part = load_target(t["name"])
        assert t["clock_hz"] == part.clock_hz
        assert {r["name"] for r in t["regions"]} == {r.name for r in part.regions}
        assert all(r["source"] for r in t["regions"])
        assert {"clock_hz", "supply_voltage", "active_current_ua_per_mhz"} <= set(t["sources"])
        assert t["active_current_verified"] is False      # all marked unverified today


def test_target_detail_shows_sources_and_unverified_current():
    result = cli_runner().invoke(main, ["targets", "stm32l073rz"])
    assert result.exit_code == 0, result.output
    assert "RM0367" in result.stdout and "20,480 B at 0x20000000" in result.stdout
    assert "93 uA/MHz (unverified)" in result.stdout


def test_unknown_target_is_an_error():
    result = cli_runner().invoke(main, ["targets", "nosuchpart"])
    assert result.exit_code == 2
    assert "unknown target" in result.stderr
