"""Fixed-point requantization on scalars, compiled: the Numba twins of
:mod:`mcusim.reference.quant`'s run-time arithmetic, same names, same results.

Every argument and result is an integer in int32 range carried in an int64
(Numba widens small integers anyway); where TFLite's int32 arithmetic wraps,
these functions wrap explicitly. They are small enough for LLVM to inline and
vectorize inside the kernels' loops, and they are written without branches:
comparisons enter the arithmetic as 0/1, so data-dependent rounding never
costs a mispredicted branch.
"""

from __future__ import annotations

import numpy as np

from mcusim.interp.config import kernel

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


@kernel
def wrap_int32(x):
    """``x`` modulo 2**32 in [INT32_MIN, INT32_MAX] (a 32-bit register)."""
    return np.int64(np.int32(x))


@kernel
def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul``; INT32_MIN * INT32_MIN
    saturates to INT32_MAX."""
    ab = np.int64(a) * np.int64(b)
    # nudge: 2**30 for ab >= 0, 1 - 2**30 otherwise
    num = ab + ((1 << 30) - (ab < 0) * ((1 << 31) - 1))
    # C division by 2**31 truncates toward zero: add 2**31 - 1 to negatives, then floor
    high = (num + ((num >> 63) & ((1 << 31) - 1))) >> 31
    # the one product that does not fit: high is exactly 2**31 there
    return high - ((a == INT32_MIN) & (b == INT32_MIN))


@kernel
def rounding_divide_by_pot(x, exponent):
    """gemmlowp ``RoundingDivideByPOT`` for 0 <= exponent <= 31."""
    x = np.int64(x)
    mask = (np.int64(1) << exponent) - 1
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + ((x & mask) > threshold)


@kernel
def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite ``MultiplyByQuantizedMultiplier`` (double rounding); the left
    shift wraps like TFLM's int32 multiply."""
    left = max(shift, 0)
    right = max(-shift, 0)
    shifted = np.int64(np.int32(np.int64(x) << left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier),
                                  right)


@kernel
def requantize(acc, multiplier, shift, out_zp, act_min, act_max):
    """An int32 accumulator (already wrapped) -> the int8 output value:
    ``clamp(wrap32(MBQM(acc) + out_zp), act_min, act_max)``."""
    v = np.int64(np.int32(multiply_by_quantized_multiplier(acc, multiplier, shift) + out_zp))
    return np.int8(min(max(v, act_min), act_max))


__all__ = ["wrap_int32", "saturating_rounding_doubling_high_mul", "rounding_divide_by_pot",
           "multiply_by_quantized_multiplier", "requantize"]
