"""Fixed-point arithmetic of mcusim.reference.quant against exact big-integer
definitions, plus the edge cases of parameter derivation."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mcusim.reference import quant
from mcusim.reference.quant import (
    INT32_MAX,
    INT32_MIN,
    SHIFT_MAX,
    SHIFT_MIN,
    activation_range,
    add_requant,
    conv_requant,
    fc_requant,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)

int32s = st.one_of(
    st.integers(INT32_MIN, INT32_MAX),
    st.sampled_from([INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX]),
)
multipliers = st.one_of(st.integers(1 << 30, INT32_MAX), st.sampled_from([0, 1 << 30, INT32_MAX]))
shifts = st.integers(SHIFT_MIN, SHIFT_MAX)


# Exact definitions, written independently of the implementation ------------

def exact_srdhm(a: int, b: int) -> int:
    """floor(a*b / 2**31 + 1/2), saturated: round to nearest, ties toward +inf."""
    return min(INT32_MAX, math.floor(Fraction(a * b, 1 << 31) + Fraction(1, 2)))


def exact_rdbpot(x: int, exponent: int) -> int:
    """x / 2**exponent rounded to nearest, ties away from zero."""
    magnitude = math.floor(Fraction(abs(x), 1 << exponent) + Fraction(1, 2))
    return magnitude if x >= 0 else -magnitude


def exact_mbqm(x: int, multiplier: int, shift: int) -> int:
    left, right = max(shift, 0), max(-shift, 0)
    shifted = (x * (1 << left) + 2**31) % 2**32 - 2**31  # int32 wrap
    return exact_rdbpot(exact_srdhm(shifted, multiplier), right)


# quantize_multiplier ------------------------------------------------------

@pytest.mark.parametrize("real, expected", [
    (0.0, (0, 0)),
    (1.0, (1 << 30, 1)),
    (0.5, (1 << 30, 0)),
    (0.75, (3 << 29, 0)),
    (1 - 2**-30, (2**31 - 2, 0)),        # just below 1: representable
    (1 - 2**-33, (1 << 30, 1)),          # just below 1: rounds up to 2**31, fix-up
    (np.nextafter(1.0, 0.0), (1 << 30, 1)),
    (2**-31, (1 << 30, -30)),
    (2**-32, (1 << 30, -31)),            # smallest kept
    (2**-32 * 0.99, (0, 0)),             # shift -32: flushed to zero
    (1e-12, (0, 0)),
    (5e-324, (0, 0)),                    # denormal
    (1e9, (2000000000, 30)),
    (2**30 - 1, (2**31 - 2, 30)),        # largest with shift 30
    (2**30 - 0.125, (INT32_MAX, 30)),    # rounds up to 2**31 * 2**30: shift 31, saturated
    (2**30, (INT32_MAX, 30)),
    (1e30, (INT32_MAX, 30)),
])
def test_quantize_multiplier_edges(real, expected):
    assert quantize_multiplier(real) == expected


@pytest.mark.parametrize("real", [-1.0, float("nan"), float("inf")])
def test_quantize_multiplier_rejects(real):
    with pytest.raises(ValueError):
        quantize_multiplier(real)


def test_quantize_multiplier_rounds_half_away_from_zero():
    # q * 2**31 = 2**30 + 0.5 exactly: must round up to 2**30 + 1.
    real = (2**30 + 0.5) / 2**31
    assert quantize_multiplier(real) == (2**30 + 1, 0)


@given(st.floats(min_value=2**-32, max_value=2**30 - 1))  # above: rounds to shift 31
@settings(max_examples=300)
def test_quantize_multiplier_is_nearest(real):
    mult, shift = quantize_multiplier(real)
    assert (1 << 30) <= mult <= INT32_MAX
    assert SHIFT_MIN <= shift <= SHIFT_MAX
    # mult * 2**(shift-31) is within half a unit of the last place of real.
    err = abs(Fraction(mult) * Fraction(2) ** (shift - 31) - Fraction(real))
    assert err <= Fraction(2) ** (shift - 32)


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
@settings(max_examples=200)
def test_quantize_multiplier_shift_range(real):
    mult, shift = quantize_multiplier(real)
    assert SHIFT_MIN <= shift <= SHIFT_MAX
    assert 0 <= mult <= INT32_MAX


# SRDHM / RDBPOT / MBQM ----------------------------------------------------

def test_srdhm_saturates_min_times_min():
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN + 1) == INT32_MAX
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MAX) == INT32_MIN + 1
    assert saturating_rounding_doubling_high_mul(INT32_MAX, INT32_MAX) == INT32_MAX - 1


@pytest.mark.parametrize("a, b, expected", [
    (1, 1 << 30, 1),       # +0.5 -> 1
    (-1, 1 << 30, 0),      # -0.5 -> 0 (ties toward +inf)
    (-3, 1 << 30, -1),     # -1.5 -> -1
    (3, 1 << 30, 2),       # +1.5 -> 2
    (0, INT32_MIN, 0),
])
def test_srdhm_ties(a, b, expected):
    assert saturating_rounding_doubling_high_mul(a, b) == expected


@given(int32s, int32s)
@settings(max_examples=300)
def test_srdhm_matches_exact(a, b):
    assert saturating_rounding_doubling_high_mul(a, b) == exact_srdhm(a, b)


@pytest.mark.parametrize("x, exponent, expected", [
    (3, 1, 2), (-3, 1, -2),          # ties away from zero
    (5, 1, 3), (-5, 1, -3),
    (-5, 2, -1), (-6, 2, -2), (-7, 2, -2), (6, 2, 2),
    (-1, 1, -1), (1, 1, 1), (-1, 2, 0),
    (INT32_MIN, 31, -1), (INT32_MAX, 31, 1), (INT32_MIN, 0, INT32_MIN),
    (-(1 << 30), 31, -1),            # -0.5 -> -1
    ((1 << 30) - 1, 31, 0),
])
def test_rdbpot_rounding(x, exponent, expected):
    assert rounding_divide_by_pot(x, exponent) == expected


@given(int32s, st.integers(0, 31))
@settings(max_examples=300)
def test_rdbpot_matches_exact(x, exponent):
    assert rounding_divide_by_pot(x, exponent) == exact_rdbpot(x, exponent)


@given(int32s, multipliers, shifts)
@settings(max_examples=500)
@example(INT32_MIN, INT32_MAX, 0)
@example(INT32_MAX, INT32_MAX, 30)
@example(INT32_MIN, 1 << 30, 30)
@example(INT32_MIN, 1 << 30, -31)
@example(1 << 20, INT32_MAX, 12)      # left shift wraps to INT32_MIN
def test_mbqm_matches_exact(x, multiplier, shift):
    assert multiply_by_quantized_multiplier(x, multiplier, shift) == exact_mbqm(x, multiplier, shift)


def test_mbqm_left_shift_wraps():
    # 2**20 << 11 = 2**31 wraps to INT32_MIN; times INT32_MAX / 2**31 -> INT32_MIN + 1.
    assert multiply_by_quantized_multiplier(1 << 20, INT32_MAX, 11) == INT32_MIN + 1
    # 3 << 30 wraps to -2**30; times 0.5 -> -2**29 (a saturating shift would give +2**30-ish).
    assert multiply_by_quantized_multiplier(3, 1 << 30, 30) == -(1 << 29)


@given(st.lists(st.tuples(int32s, multipliers, shifts), min_size=1, max_size=8),
       st.integers(1, 3))
@settings(max_examples=100)
def test_mbqm_per_channel_broadcasts_on_last_axis(params, rows):
    xs = np.array([[p[0] for p in params]] * rows, dtype=np.int64)
    mults = np.array([p[1] for p in params], dtype=np.int32)
    shs = np.array([p[2] for p in params], dtype=np.int8)
    got = multiply_by_quantized_multiplier(xs, mults, shs)
    assert got.shape == xs.shape
    for r in range(rows):
        for c, (x, m, s) in enumerate(params):
            assert got[r, c] == exact_mbqm(x, m, s)


def test_scalar_inputs_give_python_ints():
    assert type(multiply_by_quantized_multiplier(5, 1 << 30, 0)) is int
    assert type(wrap_int32(np.int64(2**31))) is int and wrap_int32(2**31) == INT32_MIN


# Parameter derivation ----------------------------------------------------

def test_conv_requant_uses_float32_scales_and_double_product():
    mult, shift = conv_requant(0.05, [0.01, 0.02, 1e-12], 0.1)
    assert mult.dtype == np.int32 and shift.dtype == np.int8
    for c, w in enumerate([0.01, 0.02, 1e-12]):
        real = float(np.float32(0.05)) * float(np.float32(w)) / float(np.float32(0.1))
        assert (mult[c], shift[c]) == quantize_multiplier(real)
    assert (mult[2], shift[2]) == (0, 0)


def test_fc_requant_forms_product_in_double():
    # The float32 product 0.05f * 0.01f differs from the double product of the
    # same float32 values; the TFLM build mcusim follows uses the double one,
    # like conv (see fc_requant's docstring).
    float32_product = float(np.float32(0.05) * np.float32(0.01))
    double_product = float(np.float32(0.05)) * float(np.float32(0.01))
    assert float32_product != double_product
    out = float(np.float32(0.1))
    assert fc_requant(0.05, 0.01, 0.1) == quantize_multiplier(double_product / out)
    assert fc_requant(0.05, 0.01, 0.1) != quantize_multiplier(float32_product / out)
    mult, shift = conv_requant(0.05, [0.01], 0.1)
    assert fc_requant(0.05, 0.01, 0.1) == (mult[0], shift[0])


def test_add_requant():
    params = add_requant(0.1, 0.2, 0.3)
    assert params.a_shift <= 0 and params.b_shift <= 0 and params.out_shift <= 0
    # the larger input is scaled by exactly 1/2
    assert (params.b_mult, params.b_shift) == (1 << 30, 0)
    twice = 2 * float(np.float32(0.2))
    assert (params.out_mult, params.out_shift) == quantize_multiplier(
        twice / ((1 << quant.ADD_LEFT_SHIFT) * float(np.float32(0.3))))
    assert quant.ADD_LEFT_SHIFT == 20


def test_add_requant_rejects_tiny_output_scale():
    with pytest.raises(ValueError):
        add_requant(1.0, 1.0, 2.0 / 2**20)       # out_real == 1
    add_requant(1.0, 1.0, 2.0 / 2**20 * 1.0001)  # just inside


@pytest.mark.parametrize("act, scale, zp, expected", [
    ("none", 0.1, 5, (-128, 127)),
    ("relu", 0.1, 5, (5, 127)),
    ("relu", 0.1, -128, (-128, 127)),
    ("relu6", 0.1, -128, (-128, -68)),
    ("relu6", 0.01, -10, (-10, 127)),      # 6 / 0.01 = 600: clamped
    ("relu6", 1.0, 127, (127, 127)),
    # float32(6) / float32(2.4) rounds to exactly 2.5 in float32 -> 3; in
    # double it is 2.4999999 -> 2. TFLM divides in float32.
    ("relu6", 2.4, 0, (0, 3)),
])
def test_activation_range(act, scale, zp, expected):
    assert activation_range(act, scale, zp) == expected


def test_activation_range_rejects():
    with pytest.raises(ValueError):
        activation_range("tanh", 0.1, 0)
    with pytest.raises(ValueError):
        activation_range("relu6", 1e-45, 0)   # 6 / scale overflows int32


def test_worked_examples_of_docs_semantics():
    """The numbers quoted in docs/semantics.md, section 2 and 3."""
    mult, shift = fc_requant(0.05, 0.01, 0.1)
    assert (mult, shift) == (1374389504, -7)
    for acc, high, out in [(1234, 790, 6), (-1234, -790, -6), (-300, -192, -2), (100, 64, 1)]:
        assert saturating_rounding_doubling_high_mul(acc, mult) == high
        assert multiply_by_quantized_multiplier(acc, mult, shift) == out
    assert tuple(add_requant(0.1, 0.2, 0.3)) == (1 << 30, -1, 1 << 30, 0, 1431655730, -19)
    assert activation_range("relu6", 0.05, -3) == (-3, 117)
