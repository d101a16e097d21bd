"""Flat parameter blobs: every weight of a model in one int8 array and every
bias, multiplier and shift in one int32 array, addressed by offsets (the way
the firmware reads them from flash)."""

from __future__ import annotations

import numpy as np


class Blobs:
    """Appends arrays to an int8 and an int32 blob and returns their offsets."""

    def __init__(self) -> None:
        self._i8: list[np.ndarray] = []
        self._i32: list[np.ndarray] = []
        self._n8 = self._n32 = 0

    def int8(self, values) -> int:
        """Append ``values`` (flattened) to the int8 blob; their offset."""
        a = np.ascontiguousarray(values, dtype=np.int8).ravel()
        self._i8.append(a)
        self._n8 += a.size
        return self._n8 - a.size

    def int32(self, values) -> int:
        """Append ``values`` (flattened, int32 range) to the int32 blob; their offset."""
        a = np.asarray(values, dtype=np.int64).astype(np.int32).ravel()
        self._i32.append(a)
        self._n32 += a.size
        return self._n32 - a.size

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(int8 blob, int32 blob)."""
        i8 = np.concatenate(self._i8) if self._i8 else np.zeros(0, np.int8)
        i32 = np.concatenate(self._i32) if self._i32 else np.zeros(0, np.int32)
        return i8, i32
