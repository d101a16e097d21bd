"""Fixed-point requantization: the integer arithmetic every int8 kernel ends with.

This module is the *definition* of mcusim's fixed-point semantics. It follows
TFLite / TFLite Micro's reference kernels in their default double-rounding
build (``TFLITE_SINGLE_ROUNDING`` off); ``docs/semantics.md`` states the rules
and cites the TFLM sources they come from.

Two kinds of functions live here:

* **Run-time arithmetic** (:func:`saturating_rounding_doubling_high_mul`,
  :func:`rounding_divide_by_pot`, :func:`multiply_by_quantized_multiplier`,
  :func:`wrap_int32`). They take Python ints or integer NumPy arrays (values
  in int32 range, computed in int64 so nothing overflows on the host) and
  return a Python int when every argument is a scalar, else an int64 array.
  They never raise.
* **Prepare-time derivation** (:func:`quantize_multiplier`,
  :func:`conv_requant`, :func:`fc_requant`, :func:`add_requant`,
  :func:`activation_range`). They turn float scales into the integers the
  kernels use, reproducing byte for byte what TFLM computes from the float32
  scales stored in a ``.tflite`` file. They raise :class:`ValueError` for
  parameters TFLM would reject.

Shift convention: a *positive* shift is a left shift (TFLite's convention).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: Smallest and largest shift a stored requantization parameter may have.
SHIFT_MIN, SHIFT_MAX = -31, 30

#: ADD scales both inputs up by 2**ADD_LEFT_SHIFT before rescaling (int8 path).
ADD_LEFT_SHIFT = 20

ACTIVATIONS = ("none", "relu", "relu6")


# --------------------------------------------------------------------------
# Run-time arithmetic
# --------------------------------------------------------------------------

def _as_int64(*values):
    arrays = [np.asarray(v, dtype=np.int64) for v in values]
    scalar = all(a.ndim == 0 for a in arrays)
    return arrays, scalar


def _result(value: np.ndarray, scalar: bool):
    return int(value) if scalar else value


def wrap_int32(x):
    """Reduce ``x`` modulo 2**32 into [INT32_MIN, INT32_MAX].

    This is what a 32-bit register does when an int32 addition or
    multiplication overflows on every target mcusim models (Cortex-M, and the
    x86-64 build of TFLM used as the oracle).
    """
    if isinstance(x, (int, np.integer)):
        return (int(x) + 2**31) % 2**32 - 2**31
    x = np.asarray(x, dtype=np.int64)
    return (x + 2**31) % 2**32 - 2**31


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` (ARM ``VQRDMULH``).

    Computed as ``trunc((a*b + nudge) / 2**31)`` where ``nudge`` is ``2**30``
    for a non-negative product and ``1 - 2**30`` otherwise. That equals
    ``floor(a*b / 2**31 + 1/2)``: round to nearest with ties toward **+inf**
    (-0.5 -> 0, -1.5 -> -1, 1.5 -> 2) -- *not* ties away from zero. The one
    product that does not fit, ``INT32_MIN * INT32_MIN``, saturates to
    ``INT32_MAX``.
    """
    (a, b), scalar = _as_int64(a, b)
    ab = a * b  # |ab| <= 2**62: exact in int64
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    # C integer division truncates toward zero.
    high = np.where(num >= 0, num // (1 << 31), -((-num) // (1 << 31)))
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return _result(np.where(overflow, INT32_MAX, high), scalar)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp ``RoundingDivideByPOT``: ``x / 2**exponent`` rounded to nearest,
    ties away from zero (-1.5 -> -2, 1.5 -> 2), for ``0 <= exponent <= 31``.

    ``mask = 2**exponent - 1``; ``remainder = x & mask``;
    ``threshold = (mask >> 1) + (x < 0)``;
    result ``(x >> exponent) + (remainder > threshold)`` (arithmetic shift).
    """
    (x, exponent), scalar = _as_int64(x, exponent)
    mask = np.left_shift(np.int64(1), exponent) - 1
    remainder = np.bitwise_and(x, mask)
    threshold = np.right_shift(mask, 1) + (x < 0)
    result = np.right_shift(x, exponent) + (remainder > threshold)
    return _result(result, scalar)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite ``MultiplyByQuantizedMultiplier`` (double rounding).

    ``left = max(shift, 0)``, ``right = max(-shift, 0)``::

        RDBPOT(SRDHM(wrap32(x * 2**left), multiplier), right)

    The left shift is an int32 multiply that **wraps modulo 2**32** on
    overflow (TFLM writes ``x * (1 << left_shift)`` on an ``int32_t``; every
    real target wraps). ``multiplier``/``shift`` may be per-channel arrays,
    broadcast against the last axis of ``x``.
    """
    (x, multiplier, shift), scalar = _as_int64(x, multiplier, shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap_int32(x * np.left_shift(np.int64(1), left))
    high = saturating_rounding_doubling_high_mul(shifted, multiplier)
    return _result(np.asarray(rounding_divide_by_pot(high, right)), scalar)


# --------------------------------------------------------------------------
# Prepare-time derivation from float scales
# --------------------------------------------------------------------------

def _round_half_away(value: float) -> int:
    """C ``round()``/``std::round``: nearest integer, ties away from zero (exact)."""
    f = Fraction(value)
    magnitude = math.floor(abs(f) + Fraction(1, 2))
    return magnitude if f >= 0 else -magnitude


def _f32(value) -> float:
    """The float32 a .tflite file stores for ``value``, as a Python float."""
    return float(np.float32(value))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: ``real ~= multiplier * 2**(shift - 31)``.

    ``q, shift = frexp(real)``; ``multiplier = round_half_away(q * 2**31)``;
    if that is ``2**31`` it is halved and ``shift`` incremented; a ``shift``
    below -31 flushes to ``(0, 0)``. A ``shift`` above 30 (``real >= 2**30``)
    saturates to ``(INT32_MAX, 30)`` as TFLite's single-rounding build does;
    the double-rounding build leaves it unclamped and then shifts by 31 or
    more, which is undefined behaviour in C. ``real`` must be finite and >= 0.
    """
    real = float(real)
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"quantize_multiplier needs a finite real >= 0, got {real!r}")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < SHIFT_MIN:
        return 0, 0
    if shift > SHIFT_MAX:
        return INT32_MAX, SHIFT_MAX
    return q_fixed, shift


def conv_requant(input_scale: float, weight_scales, output_scale: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift) of CONV_2D / DEPTHWISE_CONV_2D.

    Each scale is first rounded to float32 (what the .tflite stores); then, as
    TFLM ``PopulateConvolutionQuantizationParams``, in double precision::

        effective[c] = double(input_scale) * double(weight_scale[c]) / double(output_scale)

    Returns ``(int32 multipliers[C], int8 shifts[C])``.
    """
    in_s, out_s = _f32(input_scale), _f32(output_scale)
    scales = np.atleast_1d(np.asarray(weight_scales, dtype=np.float32))
    mults = np.empty(scales.shape[0], dtype=np.int32)
    shifts = np.empty(scales.shape[0], dtype=np.int8)
    for c, w_s in enumerate(scales):
        mults[c], shifts[c] = quantize_multiplier(in_s * float(w_s) / out_s)
    return mults, shifts


def fc_requant(input_scale: float, weight_scale: float, output_scale: float
               ) -> tuple[int, int]:
    """Per-tensor (multiplier, shift) of FULLY_CONNECTED.

    Same formula as :func:`conv_requant` with one channel, product in double::

        effective = double(input_scale) * double(weight_scale) / double(output_scale)

    Note: TFLM's source for ``GetQuantizedConvolutionMultipler`` (the function
    FULLY_CONNECTED calls) has long read
    ``static_cast<double>(input->params.scale * filter->params.scale)``, a
    float32 product, but the tflite-micro build mcusim is checked against
    (0.dev20261023182759-g8f6596d) converts both scales to double before
    multiplying (``cvtss2sd; cvtss2sd; mulsd`` in its ``_runtime.so``), and its
    outputs agree only with the double product
    (``tests/test_reference_vs_tflm.py::test_multiplier_product_precision``).
    """
    return quantize_multiplier(_f32(input_scale) * _f32(weight_scale) / _f32(output_scale))


class AddRequant(NamedTuple):
    """Fixed-point parameters of an int8 ADD (all shifts <= 0)."""

    a_mult: int
    a_shift: int
    b_mult: int
    b_shift: int
    out_mult: int
    out_shift: int


def _quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    if not 0.0 < real < 1.0:
        raise ValueError(
            f"ADD needs a rescale factor in (0, 1), got {real!r}; TFLM aborts "
            "(QuantizeMultiplierSmallerThanOneExp)")
    return quantize_multiplier(real)


def add_requant(a_scale: float, b_scale: float, out_scale: float) -> AddRequant:
    """Parameters of an int8 ADD, as TFLM ``CalculateOpDataAdd``.

    With scales rounded to float32 and ``twice_max = 2 * double(max(a, b))``::

        a_real   = a / twice_max
        b_real   = b / twice_max
        out_real = twice_max / (2**ADD_LEFT_SHIFT * out)

    each quantized with ``QuantizeMultiplierSmallerThanOneExp`` (real in (0, 1)).
    Raises :class:`ValueError` when ``out_real >= 1``, i.e.
    ``out_scale <= max(a, b) / 2**19``, which TFLM rejects by aborting.
    """
    a, b, o = _f32(a_scale), _f32(b_scale), _f32(out_scale)
    if min(a, b, o) <= 0:
        raise ValueError("ADD scales must be positive")
    twice_max = 2 * max(a, b)
    a_m = _quantize_multiplier_smaller_than_one(a / twice_max)
    b_m = _quantize_multiplier_smaller_than_one(b / twice_max)
    o_m = _quantize_multiplier_smaller_than_one(twice_max / ((1 << ADD_LEFT_SHIFT) * o))
    return AddRequant(*a_m, *b_m, *o_m)


def activation_range(act: str, scale: float, zero_point: int) -> tuple[int, int]:
    """int8 clamp bounds of a fused activation, as TFLM
    ``CalculateActivationRangeQuantized``.

    ``q(f) = zero_point + round_half_away(float32(f) / float32(scale))`` with the
    division done in **float32**. ``relu``: ``(max(-128, q(0)), 127)``;
    ``relu6``: ``(max(-128, q(0)), min(127, q(6)))``; ``none``: ``(-128, 127)``.
    """
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; expected one of {ACTIVATIONS}")
    if act == "none":
        return INT8_MIN, INT8_MAX
    scale32 = np.float32(scale)
    if not (np.isfinite(scale32) and scale32 > 0):
        raise ValueError(f"activation_range needs a positive scale, got {scale!r}")

    def quantize(f: float) -> int:
        with np.errstate(over="ignore"):
            ratio = float(np.float32(f) / scale32)
        # TFLM rejects values outside [float(INT32_MIN), float(INT32_MAX)] =
        # [-2**31, 2**31]; 2**31 itself passes its check but then overflows
        # the int32 conversion (undefined behaviour), so it is refused here.
        if not math.isfinite(ratio) or not INT32_MIN <= _round_half_away(ratio) < 2**31:
            raise ValueError(f"{f} / scale {scale!r} overflows int32; TFLM rejects it")
        return int(zero_point) + _round_half_away(ratio)

    act_min = max(INT8_MIN, quantize(0.0))
    act_max = INT8_MAX if act == "relu" else min(INT8_MAX, quantize(6.0))
    return act_min, act_max
