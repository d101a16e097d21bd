"""`mcusim run`, `diff-layers`, `export-tflite` and `bench host` through click's
CliRunner (NO_COLOR=1, width 100): outputs, files written only on success,
and every bad input as one line on stderr with exit code 2."""

import json
from pathlib import Path

import numpy as np
import pytest

from _examples_cache import cli_runner, example, example_bytes
from mcusim.bench import update_section
from mcusim.cli import main
from mcusim.examples import bundled_model_path
from mcusim.runtime import LoadedModel, load


def bundled_model_bytes() -> bytes:
    return bundled_model_path().read_bytes()


def sample_windows():
    from mcusim.inputs import InputSpec, load_windows
    return load_windows(None, InputSpec.of(load(str(bundled_model_path())))).x


def run(*args: str):
    return cli_runner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.bin"
    path.write_bytes(example_bytes("tiny"))
    return path


@pytest.fixture
def windows(tmp_path: Path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).integers(-128, 128, (12, 32, 1), dtype=np.int8))
    return path


def test_run_bundled_model_and_sample():
    result = run("run", "--host")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("model ecg-32k (") and "input bundled sample (synthetic ECG)" in out
    assert "outputs (first 10 of 16 windows)" in out and "windows per class" in out
    assert "16 windows, boot mode, 10 kernels synthesized at boot" in out
    assert "host throughput: " in out and "windows/s (Numba interpreter)" in out


def test_run_emulates_by_default_and_checks_the_interpreter():
    """The README's main job: the bundled model on the default part's firmware
    image, outputs, cycles, SRAM and flash at once, verified against the host."""
    result = run("run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("model ecg-32k (") and "input bundled sample (synthetic ECG)" in out
    assert "nrf52840 (cortex-m4 at 64 MHz)" in out
    assert "outputs equal the host interpreter's, byte for byte" in out
    doc = json.loads(run("run", "--json").stdout)
    assert doc["target"] == "nrf52840" and doc["verified_against_interpreter"] is True
    assert doc["cycles"]["total"] > doc["cycles"]["boot_synthesis"] > 0
    assert doc["sram"]["arena_measured"] == doc["sram"]["arena_planned"]
    assert doc["flash"]["model"] == len(bundled_model_bytes())
    host = LoadedModel(example("ecg-32k")).run(
        np.asarray(load(str(bundled_model_path())).check_windows(sample_windows())), "boot")
    assert doc["outputs"] == host.outputs.tolist()


def test_emulate_and_host_exclude_each_other():
    assert_one_line_error(run("run", "--emulate", "--host"), "exclude each other")


def test_run_json_and_output_file(tiny, windows, tmp_path):
    out_file = tmp_path / "out.npy"
    result = run("run", "--host", tiny, "--input", windows, "--mode", "lazy", "--output", out_file,
                 "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    x = np.load(windows)
    expected = LoadedModel(example("tiny")).run(x, "boot")
    saved = np.load(out_file)
    assert saved.dtype == np.int8 and saved.shape == (12, 5)
    np.testing.assert_array_equal(saved, expected.outputs)
    assert doc["outputs"] == expected.outputs.tolist()
    assert doc["classes"] == expected.classes.tolist()
    assert (doc["mode"], doc["windows"], doc["synthesized"]) == ("lazy", 12, 2 * 12)
    assert doc["input"]["source"] == str(windows)
    assert list(tmp_path.glob(".out.npy.*")) == []          # no temporary left behind


def test_output_is_written_only_on_success(tiny, tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((2, 31, 1), np.int8))
    out_file = tmp_path / "out.npy"
    result = run("run", "--host", tiny, "--input", bad, "--output", out_file)
    assert_one_line_error(result, "window length is 31", "(windows, 32, 1)")
    assert not out_file.exists() and list(tmp_path.glob(".out.npy*")) == []


@pytest.mark.parametrize("make,fragment", [
    (lambda p: np.save(p, np.zeros((2, 32, 1), np.float64)), "must be int8"),
    (lambda p: np.save(p, np.zeros((32, 1), np.int8)), "got 2-D shape (32, 1)"),
    (lambda p: np.save(p, np.zeros((2, 32, 2), np.int8)), "windows have 2 channels"),
])
def test_bad_npy_inputs(tiny, tmp_path, make, fragment):
    path = tmp_path / "x.npy"
    make(path)
    assert_one_line_error(run("run", "--host", tiny, "--input", path), fragment)


def test_bad_wfdb_inputs(tiny, tmp_path):
    import wfdb
    assert_one_line_error(run("run", "--host", tiny, "--input", tmp_path / "nope"), "no WFDB record here")
    t = np.arange(1000) / 250.0
    wfdb.wrsamp("resp", fs=250, units=["mV"], sig_name=["RESP"],
                p_signal=np.sin(t)[:, None], fmt=["16"], adc_gain=[1000.0], baseline=[0],
                write_dir=str(tmp_path))
    assert_one_line_error(run("run", "--host", tiny, "--input", tmp_path / "resp"),
                          "no usable ECG lead (channels: RESP)")
    wfdb.wrsamp("ecg250", fs=250, units=["mV"], sig_name=["MLII"],
                p_signal=np.sin(7 * t)[:, None], fmt=["16"], adc_gain=[1000.0], baseline=[0],
                write_dir=str(tmp_path))
    assert_one_line_error(run("run", "--host", tiny, "--input", tmp_path / "ecg250", "--no-resample"),
                          "sampled at 250 Hz, the model expects 360 Hz")
    result = run("run", "--host", tiny, "--input", tmp_path / "ecg250", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "resampled from 250 Hz to 360 Hz" in doc["input"]["notes"]
    assert doc["windows"] == 1440 // 32


def test_bad_model_file_and_mode(tmp_path, windows):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"MCSM" + bytes(60))
    assert_one_line_error(run("run", "--host", junk, "--input", windows), "junk.bin")
    result = run("run", "--host", "--mode", "eager")
    assert result.exit_code == 2 and "eager" in result.stderr


def test_dump_layers_and_diff(tiny, windows, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("run", "--host", tiny, "--input", windows, "--dump-layers", a).exit_code == 0
    assert run("run", "--host", tiny, "--input", windows, "--mode", "lazy", "--dump-layers", b,
               "--json").exit_code == 0
    same = run("diff-layers", a, b)
    assert same.exit_code == 0 and same.stdout.strip() == "identical: every layer, every window"
    layer = sorted(b.glob("0*.npy"))[3]
    values = np.load(layer)
    values[4].flat[0] += 1
    np.save(layer, values)
    diff = run("diff-layers", a, b, "--json")
    assert diff.exit_code == 1
    found = json.loads(diff.stdout)["divergence"]
    assert (found["layer"], found["window"], found["element"]) == (3, 4, [0, 0])
    assert_one_line_error(run("diff-layers", a, tmp_path), "not a layer dump")


def test_export_tflite_cli(tiny, tmp_path):
    pytest.importorskip("tflite_micro", reason="needs tflite-micro")
    out = tmp_path / "tiny.tflite"
    result = run("export-tflite", tiny, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[4:8] == b"TFL3"
    assert "2 generated kernels materialized" in result.stdout
    syn = tmp_path / "syn.tflite"
    result = run("export-tflite", tiny, "-o", syn, "--synthesis-layer", "5", "--json")
    doc = json.loads(result.stdout)
    assert doc["rows"] == [12, 8] and Path(doc["input"]).exists()
    assert_one_line_error(run("export-tflite", tiny, "-o", syn, "--synthesis-layer", "2"),
                          "layer 2 is not a generated PW layer")


def test_bench_host_smoke(tmp_path):
    pytest.importorskip("tflite_micro", reason="needs tflite-micro")
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- bench:other -->\nkeep me\n<!-- /bench:other -->\n")
    result = run("bench", "host", "--model", "tiny", "--windows", "8", "--rounds", "1",
                 "--no-first-start",
                 "--doc", doc, "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["figures"][0]
    assert figures["model"] == "tiny" and figures["identical"] is True
    assert figures["interp_windows_per_s"] > 0 and figures["tflm_windows_per_s"] > 0
    text = doc.read_text()
    assert "keep me" in text and "<!-- bench:host -->" in text and "| tiny |" in text


def test_update_section_replaces_only_its_own(tmp_path):
    doc = tmp_path / "b.md"
    update_section(doc, "a", "first A")
    update_section(doc, "b", "only B")
    update_section(doc, "a", "second A")
    text = doc.read_text()
    assert text.startswith("# Benchmarks") and "first A" not in text
    assert text.index("second A") < text.index("only B")
    assert text.count("<!-- bench:a -->") == 1


def test_load_runs_the_cli_file(tiny):
    assert load(tiny).run(np.zeros((1, 32, 1), np.int8)).outputs.shape == (1, 5)
