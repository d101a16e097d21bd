"""The analysis commands' renderings that tests/golden/ holds (tiny on the nRF52840,
one window of the bundled sample), produced through the CLI at width 100 with no
colour. Regenerate with ``python tests/golden/regenerate_analysis.py``."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from _examples_cache import cli_runner, example_bytes

HERE = Path(__file__).parent / "golden"


def cli_text(args: list[str], model: str | None = "tiny") -> str:
    from mcusim.cli import main
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        if model:
            Path(f"{model}.bin").write_bytes(example_bytes(model))
        result = cli_runner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout


def targets_text() -> str:
    return cli_text(["targets"], model=None)


def compare_text() -> str:
    return cli_text(["compare", "tiny.bin", "--target", "nrf52840", "--windows", "1"])


def trace_text() -> str:
    return cli_text(["trace", "tiny.bin", "--mode", "lazy", "--target", "nrf52840",
                     "--windows", "1"])


GOLDEN = {HERE / "targets.txt": targets_text, HERE / "compare_tiny.txt": compare_text,
          HERE / "trace_tiny_lazy.txt": trace_text}
