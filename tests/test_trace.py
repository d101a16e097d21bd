"""`mcusim trace`: the SRAM timeline in the terminal and the Chrome/Perfetto export."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from _examples_cache import cli_runner, example, example_bytes
from analysis_golden import HERE, trace_text
from rich.console import Console

from mcusim.analysis import schema
from mcusim.analysis.measure import job_windows, measure
from mcusim.analysis.perfetto import COUNTERS, chrome_trace
from mcusim.analysis.perfetto import schema as trace_schema
from mcusim.analysis.timeline import SramTimeline
from mcusim.cli import main


@pytest.fixture(scope="module")
def tiny_boot():
    x, _ = job_windows(example("tiny"), None, 2)
    return measure(example("tiny"), x, target="nrf52840", mode="boot")


def test_trace_text_equals_golden():
    # regenerate with: python tests/golden/regenerate_analysis.py
    assert trace_text() == (HERE / "trace_tiny_lazy.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 200])
def test_timeline_fits_the_width(tiny_boot, width):
    buf = io.StringIO()
    Console(file=buf, width=width, no_color=True).print(SramTimeline.of(tiny_boot))
    lines = buf.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    chart = [line for line in lines if "│" in line or "┤" in line]
    assert len(chart) == 12 and all(len(line) == width for line in chart)
    assert any("▼" in line for line in lines) and any(line.startswith("peak: ") for line in lines)
    assert any("boot synth" in line for line in lines)


def test_timeline_peak_is_the_highest_sample(tiny_boot):
    tl = SramTimeline.of(tiny_boot)
    samples = tiny_boot.run.sram.timeline
    best = max(s.static + s.stack + s.activations + s.cache_scratch for s in samples)
    assert tl.peak.total == best
    phases = [r["phase"] for r in tl.per_phase()]
    assert phases == ["reset", "init", "boot synth", "inference 0", "inference 1"]


def test_export_matches_schema_and_run(tiny_boot):
    doc = json.loads(json.dumps(chrome_trace(tiny_boot)))
    assert schema.errors(doc, trace_schema()) == []
    run = tiny_boot.run
    hz = run.clock_hz
    slices = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    spans = [s for s in run.spans if s.end is not None]
    assert len(slices) == len(spans)
    for e, s in zip(slices, spans):
        assert e["name"] == s.label and e["args"]["start_cycle"] == s.start
        assert e["args"]["cycles"] == s.cycles
        assert e["ts"] == pytest.approx(s.start * 1e6 / hz, abs=1e-6)
        assert e["dur"] == pytest.approx(s.cycles * 1e6 / hz, abs=1e-6)
    counters = [e for e in doc["traceEvents"] if e["ph"] == "C"]
    assert len(counters) == (len(COUNTERS) + 1) * len(run.sram.timeline)
    totals = [e["args"]["bytes"] for e in counters if e["name"] == "SRAM total"]
    assert max(totals) == SramTimeline.of(tiny_boot).peak.total
    other = doc["otherData"]
    assert other["total_cycles"] == run.cycles.total and other["mode"] == "boot"
    assert other["fits"] is True and other["what_if_extra_sram"] == 0


def test_schema_rejects_a_broken_file(tiny_boot):
    doc = chrome_trace(tiny_boot)
    doc["traceEvents"][2]["ph"] = "Q"
    del doc["otherData"]["clock_hz"]
    errs = schema.errors(doc, trace_schema())
    assert any("clock_hz" in e for e in errs) and any("traceEvents[2]" in e for e in errs)


def test_cli_export_and_json(tmp_path):
    runner = cli_runner()
    with contextlib.chdir(tmp_path):
        Path("m.bin").write_bytes(example_bytes("ecg-32k"))
        r = runner.invoke(main, ["trace", "m.bin", "--mode", "boot", "--target", "stm32l073rz",
                                 "--windows", "1", "--export", "t.json"])
        assert r.exit_code == 0, r.output
        assert "does not fit: measured with" in r.stdout and "part's SRAM" in r.stdout
        doc = json.loads(Path("t.json").read_text())
        assert schema.errors(doc, trace_schema()) == []
        assert doc["otherData"]["fits"] is False and doc["otherData"]["what_if_extra_sram"] > 0
        j = runner.invoke(main, ["trace", "m.bin", "--mode", "lazy", "--target", "stm32l073rz",
                                 "--windows", "1", "--json"])
        assert j.exit_code == 0, j.output
        tl = json.loads(j.stdout)
        assert tl["fits"] is True and tl["peak"]["total"] > 0 and tl["samples"]
