"""Regenerate the golden files of tests/test_cli.py after an intended change.

    python tests/golden/regenerate.py

Writes tests/golden/inspect_tiny.txt: the text of ``mcusim inspect tiny.bin``
(``mcusim example tiny``, seed 0) rendered at width 100 with NO_COLOR=1, by the
same function the test compares with (tests/_examples_cache.py). Review the
diff before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

from _examples_cache import GOLDEN_INSPECT_TINY, inspect_tiny_text  # noqa: E402


def main() -> None:
    text = inspect_tiny_text()
    GOLDEN_INSPECT_TINY.write_text(text, encoding="utf-8")
    print(f"wrote {GOLDEN_INSPECT_TINY.relative_to(TESTS.parent)} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    main()
