"""int8 test data shared by the property tests: uniform values, the extremes
only, or a constant (the cases that expose saturation and rounding)."""

import numpy as np


def int8_values(rng, shape, kind):
    """int8 data of one of several flavours: uniform, extremes only, or constant."""
    if kind == "uniform":
        return rng.integers(-128, 128, shape).astype(np.int8)
    if kind == "extremes":
        return rng.choice(np.array([-128, 127], dtype=np.int8), shape)
    return np.full(shape, rng.choice([-128, -1, 0, 127]), dtype=np.int8)
