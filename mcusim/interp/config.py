"""Numba options of every interpreter kernel, in one place.

* ``cache=True``: compiled machine code is kept on disk next to the sources
  (or under ``NUMBA_CACHE_DIR`` when the package directory is read-only), so
  only the very first run of an installation pays for compilation.
* ``error_model="numpy"``: integer division by zero yields 0 instead of
  raising; kernels never raise (the reader validated everything before).
* ``boundscheck=False``: views into the arena are planned, not checked, at run
  time; set ``NUMBA_BOUNDSCHECK=1`` to debug an out-of-range access.
* no ``fastmath``: everything is integer, and integer semantics are exact.

Numba re-validates a cached function against its own source file only, not
against the functions it calls from other files: after an edit of
``ops.py``, a cached ``executor.run_batch`` would still run the old kernels.
:func:`refresh_cache` closes that hole by flushing every kernel's cache when
any interpreter source changed.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

from numba import njit

JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)

_KERNELS: list = []
_STAMP = "mcusim-interp.sha256"


def kernel(fn):
    """Compile ``fn`` with :data:`JIT_OPTIONS` (every interpreter kernel uses this)."""
    dispatcher = njit(**JIT_OPTIONS)(fn)
    _KERNELS.append(dispatcher)
    return dispatcher


def refresh_cache() -> None:
    """Flush the on-disk cache of every kernel if any of their source files
    changed since the cache was written (a stamp file in the cache directory
    holds the sources' digest). Best effort: an unwritable cache is left alone."""
    if not _KERNELS:
        return
    digest = hashlib.sha256()
    for name in sorted({inspect.getsourcefile(k.py_func) for k in _KERNELS}):
        digest.update(Path(name).read_bytes())
    try:
        stamp = Path(_KERNELS[0]._cache.cache_path) / _STAMP  # numba's cache locator
        if stamp.is_file() and stamp.read_text() == digest.hexdigest():
            return
        for k in _KERNELS:
            k._cache.flush()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest.hexdigest())
    except (AttributeError, OSError):
        pass


__all__ = ["JIT_OPTIONS", "kernel", "refresh_cache"]
