"""Benchmarks: each writes its figures into a section of ``docs/benchmarks.md``
that it owns (:func:`update_section`), leaving the other sections intact."""

from __future__ import annotations

from pathlib import Path

TITLE = "# Benchmarks\n\nWritten by `mcusim bench ...`; each section is owned by one benchmark.\n"


def update_section(path: str | Path, name: str, body: str) -> None:
    """Replace section ``name`` of the markdown file ``path`` with ``body``
    (between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` markers),
    or append it; the file is created with a title if missing."""
    path = Path(path)
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else TITLE
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + (tail[1:] if tail.startswith("\n") else tail)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


__all__ = ["update_section"]
