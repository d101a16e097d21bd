"""Regenerate the golden files of the analysis commands after an intended change.

    python tests/golden/regenerate_analysis.py

Writes, rendered at width 100 with NO_COLOR=1 by the same functions the tests
compare with (tests/analysis_golden.py):

* tests/golden/targets.txt            ``mcusim targets``
* tests/golden/compare_tiny.txt       ``mcusim compare tiny.bin --target nrf52840 --windows 1``
* tests/golden/trace_tiny_lazy.txt    ``mcusim trace tiny.bin --mode lazy --target nrf52840 --windows 1``

The compare and trace files hold cycle counts: a firmware change that moves
cycles changes them (as it changes traces/baseline.json). Review the diff
before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

from analysis_golden import GOLDEN  # noqa: E402


def main() -> None:
    for path, render in GOLDEN.items():
        text = render()
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(TESTS.parent)} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    main()
