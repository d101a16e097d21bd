"""The mcusim command line through click's CliRunner (NO_COLOR=1, width 100):
every command, its output, and its error paths (one line, exit 2, no traceback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from _examples_cache import (GOLDEN_INSPECT_TINY, cli_runner, example_bytes,
                             inspect_tiny_text)
from mcusim import __version__
from mcusim.cli import main
from mcusim.errors import FormatError
from mcusim.examples import EXAMPLES, bundled_model_path


def run(*args: str):
    return cli_runner().invoke(main, list(args))


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.bin"
    path.write_bytes(example_bytes("tiny"))
    return path


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"mcusim {__version__}\n"


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("run", "compare", "trace", "targets", "emulate", "bench", "example",
                    "inspect", "validate", "export-tflite", "diff-layers"):
        assert command in result.stdout


# -- example -------------------------------------------------------------------

def test_example_writes_the_model(tmp_path):
    out = tmp_path / "tiny.bin"
    result = run("example", "tiny", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == example_bytes("tiny")
    assert result.stdout.startswith(f"wrote {out} (")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask     # not mkstemp's 0600


def test_example_help_names_every_example():
    from mcusim.cli.example import HELP_NAMES
    assert HELP_NAMES == ", ".join(EXAMPLES)
    assert HELP_NAMES in " ".join(run("example", "--help").stdout.split())


def test_example_seed(tmp_path):
    out = tmp_path / "tiny7.bin"
    assert run("example", "tiny", "-o", str(out), "--seed", "7").exit_code == 0
    assert out.read_bytes() == example_bytes("tiny", 7) != example_bytes("tiny", 0)


def test_example_unknown_name(tmp_path):
    out = tmp_path / "x.bin"
    line = assert_one_line_error(run("example", "ecg-1k", "-o", str(out)), "ecg-1k")
    for name in EXAMPLES:
        assert name in line
    assert not out.exists()


def test_example_unwritable_destination(tmp_path):
    out = tmp_path / "missing-dir" / "x.bin"
    assert_one_line_error(run("example", "tiny", "-o", str(out)), str(out))
    assert list(tmp_path.iterdir()) == []


def test_example_never_leaves_a_partial_file(tmp_path, monkeypatch):
    """A failure while writing leaves the old file untouched and no temp file behind."""
    out = tmp_path / "model.bin"
    out.write_bytes(b"old contents")
    real_fsync = os.fsync

    def failing_fsync(fd):
        real_fsync(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    assert_one_line_error(run("example", "tiny", "-o", str(out)), "No space left on device")
    assert out.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_example_library_errors_are_one_line(tmp_path, monkeypatch):
    import mcusim.format

    def refuse(model):
        raise FormatError("cannot write layer 3 'b1.pw': shift 40 out of range")

    monkeypatch.setattr(mcusim.format, "write_model", refuse)
    assert_one_line_error(run("example", "tiny", "-o", str(tmp_path / "x.bin")), "shift 40")
    assert list(tmp_path.iterdir()) == []


# -- validate ------------------------------------------------------------------

def test_validate_ok(tiny_file):
    result = run("validate", str(tiny_file))
    assert result.exit_code == 0, result.output
    size = len(example_bytes("tiny"))
    assert result.stdout == (f"ok: {tiny_file} ({size:,} bytes, model tiny, 12 layers, "
                             f"2 generated)\n")


def test_validate_and_example_json(tiny_file, tmp_path):
    size = len(example_bytes("tiny"))
    result = run("validate", str(tiny_file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"bytes": size, "file": str(tiny_file), "generated": 2,
                                         "layers": 12, "model": "tiny", "valid": True}
    out = tmp_path / "t.bin"
    result = run("example", "tiny", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"bytes": size, "example": "tiny", "file": str(out),
                                         "seed": 0}


@pytest.mark.parametrize("damage", ["truncate", "magic", "crc", "empty", "garbage"])
def test_validate_bad_files(tmp_path, damage):
    data = bytearray(example_bytes("tiny"))
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "magic":
        data[0:4] = b"XXXX"
    elif damage == "crc":
        data[-1] ^= 0x01
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"\x89PNG\r\n\x1a\n" * 20)
    path = tmp_path / "bad.bin"
    path.write_bytes(bytes(data))
    assert_one_line_error(run("validate", str(path)), str(path))


def test_validate_missing_file(tmp_path):
    path = tmp_path / "nope.bin"
    assert_one_line_error(run("validate", str(path)), str(path))


def test_validate_directory(tmp_path):
    assert run("validate", str(tmp_path)).exit_code == 2


# -- inspect -------------------------------------------------------------------

def test_inspect_golden_text():
    """Exact rendering; after an intended change run: python tests/golden/regenerate.py"""
    text = inspect_tiny_text()
    golden = GOLDEN_INSPECT_TINY.read_text(encoding="utf-8")
    assert all(line == line.rstrip() for line in golden.splitlines()), "trailing spaces"
    assert text == golden, "inspect output changed; see python tests/golden/regenerate.py"


def test_inspect_shows_accounting_and_plans(tiny_file):
    result = run("inspect", str(tiny_file))
    assert result.exit_code == 0, result.output
    for fragment in ("bytes by category", "metadata/overhead", "INT8 equivalent", "boot",
                     "lazy", "kernel scratch", "b2.pw", "pw_conv (gen)"):
        assert fragment in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "\x1b[" not in result.stdout     # NO_COLOR: no escape sequences


def test_inspect_json_is_stable_and_sorted(tiny_file):
    first = run("inspect", str(tiny_file), "--json")
    second = run("inspect", str(tiny_file), "--json")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert first.stdout == json.dumps(data, indent=2, sort_keys=True) + "\n"
    size = len(example_bytes("tiny"))
    assert data["bytes"]["total"] == size == sum(data["bytes"]["by_category"].values())
    assert data["model"]["name"] == "tiny"
    assert set(data["plans"]) == {"boot", "lazy"}
    assert data["plans"]["lazy"]["kernel_scratch"] == 144
    assert data["macs"]["lazy_inference"] == data["macs"]["inference"] + data["macs"]["synthesis"]
    assert [r["name"] for r in data["layers"]][:3] == ["stem", "pool", "b1.dw"]


def test_inspect_defaults_to_the_bundled_model():
    result = run("inspect")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ecg-32k")
    assert str(bundled_model_path()) in result.stdout.splitlines()[0]


@pytest.mark.parametrize("content", [b"", b"MCSM" + b"\0" * 60])
def test_inspect_bad_file(tmp_path, content):
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    assert_one_line_error(run("inspect", str(path)), str(path))
    assert_one_line_error(run("inspect", str(path), "--json"), str(path))


def test_inspect_missing_file(tmp_path):
    assert_one_line_error(run("inspect", str(tmp_path / "nope.bin")), "nope.bin")


def test_unexpected_errors_keep_their_traceback(tiny_file, monkeypatch):
    import mcusim.inspect

    def broken(path):
        raise RuntimeError("a bug")

    monkeypatch.setattr(mcusim.inspect, "inspect_file", broken)
    result = run("inspect", str(tiny_file))
    assert isinstance(result.exception, RuntimeError)
    assert result.exit_code == 1
