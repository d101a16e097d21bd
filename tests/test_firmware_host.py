"""The firmware's C sources, compiled for the host, against the reference.

Needs only a host C compiler: `make -C kernels host` builds the portable path
(ARMv6-M: scalar kernels, divisions by reciprocal) and the DSP path (ARMv7E-M:
SXTB16/SMLAD kernels, the instructions emulated in C) from the same sources as
the firmware images; both must equal mcusim.reference byte for byte:

* every kernel on hypothesis-generated shapes and values (edges included);
* the synthesis of generated kernels;
* whole models, boot and lazy, through the mailbox path with its trace;
* the model reader: the same verdict and the same file offset as the host
  reader (mcusim.format.read_model) for truncations and corruptions;
* bad jobs (arena too small, unknown mode, too many windows, ...): a status
  code and a status record, no crash.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from firmware_host import (STATUS, STATUS_NAME, VARIANTS, firmware_host,
                           host_compiler_missing, reference_run)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from mcusim.errors import FormatError  # noqa: E402
from mcusim.examples import build_example  # noqa: E402
from mcusim.format import read_model, write_model  # noqa: E402
from mcusim.format import spec  # noqa: E402
from mcusim.format.spec import Mode  # noqa: E402
from mcusim.plan import synth_workspace_size  # noqa: E402
from mcusim.reference import ops, quant, synth  # noqa: E402

_missing = host_compiler_missing()
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
EXAMPLES = 120


@pytest.fixture(params=VARIANTS)
def fw(request):
    return firmware_host(request.param)


def _first_mismatch(actual: np.ndarray, expected: np.ndarray) -> str:
    """CMSIS-NN validate.h style: the first differing position with both values."""
    diff = np.argwhere(actual != expected)
    if not diff.size:
        return "equal"
    pos = tuple(int(i) for i in diff[0])
    return (f"{len(diff)} of {actual.size} differ; first at {pos}: "
            f"actual {actual[pos]}, expected {expected[pos]}")


def assert_same(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    assert np.array_equal(actual, expected), _first_mismatch(actual, expected)


# --------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------
zps = st.integers(-128, 127)
int8s = st.integers(-128, 127)
# requantization: realistic (mult in [2^30, 2^31), small right shifts) or extreme
realistic_mult = st.integers(1 << 30, INT32_MAX)
mults = st.one_of(realistic_mult, st.sampled_from([0, 1, 1 << 30, INT32_MAX]),
                  st.integers(0, INT32_MAX))
shifts = st.one_of(st.integers(-12, 1), st.sampled_from([-31, -30, 29, 30]), st.integers(-31, 30))


@st.composite
def act_range(draw):
    lo = draw(int8s)
    hi = draw(st.integers(lo, 127))
    return draw(st.sampled_from([(-128, 127), (lo, hi)]))


def int8_array(shape):
    return hnp.arrays(np.int8, shape, elements=int8s)


@st.composite
def requant(draw, n):
    mult = draw(hnp.arrays(np.int32, n, elements=mults))
    shift = draw(hnp.arrays(np.int8, n, elements=shifts))
    return mult, shift


@st.composite
def bias_of(draw, n):
    kind = draw(st.sampled_from(["none", "small", "full"]))
    if kind == "none":
        return None
    lo, hi = (-(1 << 14), 1 << 14) if kind == "small" else (INT32_MIN, INT32_MAX)
    return draw(hnp.arrays(np.int32, n, elements=st.integers(lo, hi)))


def _bias(b, n):
    return np.zeros(n, np.int32) if b is None else b


# --------------------------------------------------------------------------
# layout and arithmetic
# --------------------------------------------------------------------------
def test_struct_sizes_match_spec(fw):
    dtypes = [spec.HEADER, spec.SECTION_ENTRY, spec.MODEL_INFO, spec.TENSOR, spec.LAYER,
              spec.FC_DESC, spec.GENERATOR_HEADER, spec.HEADS_HEADER, spec.CODES_HEADER,
              spec.CODE_ENTRY, spec.PLAN_HEADER, spec.PLAN_MODE, spec.PLAN_ENTRY]
    assert [fw.sizeof(i) for i in range(len(dtypes))] == [d.itemsize for d in dtypes]
    assert fw.sizeof(len(dtypes)) == 96, "mailbox"


def test_variants_take_their_paths():
    assert not firmware_host("portable").uses_dsp and not firmware_host("portable").hw_divide
    assert firmware_host("dsp").uses_dsp and firmware_host("dsp").hw_divide


@settings(max_examples=600, deadline=None)
@given(acc=st.integers(INT32_MIN, INT32_MAX), mult=st.integers(INT32_MIN, INT32_MAX),
       shift=st.integers(-31, 30))
def test_requantize(acc, mult, shift):
    want = quant.multiply_by_quantized_multiplier(acc, mult, shift)
    for v in VARIANTS:
        assert firmware_host(v).requantize(acc, mult, shift) == want


@pytest.mark.parametrize("acc,mult,shift", [
    (INT32_MIN, INT32_MIN, 0), (INT32_MIN, INT32_MAX, 0), (INT32_MAX, INT32_MAX, 30),
    (-1, 1 << 30, -31), (1, 1 << 30, -31), (INT32_MIN, 1 << 30, -31), (3 << 29, 1 << 30, 1),
    (-(1 << 30), 1 << 30, -1), ((1 << 30) + 1, 1 << 30, -1), (12345, 0, 5)])
def test_requantize_edges(fw, acc, mult, shift):
    assert fw.requantize(acc, mult, shift) == quant.multiply_by_quantized_multiplier(acc, mult,
                                                                                     shift)


@settings(max_examples=400, deadline=None)
@given(count=st.one_of(st.integers(1, 16), st.integers(1, 70000)), data=st.data())
def test_pool_division(count, data):
    total = data.draw(st.integers(-128 * count, 127 * count))
    want = int(ops._div_round_half_away(np.array([total]), count)[0])
    for v in VARIANTS:
        assert firmware_host(v).pool_divide(total, count) == want


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 9), cin=st.integers(1, 37), cout=st.integers(1, 9))
def test_pw_conv(data, length, cin, cout):
    check_pw_conv(data, length, cin, cout)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 7),
       cin=st.sampled_from([16, 17, 19, 20, 31, 32, 33, 47, 48, 63, 64, 66, 67, 100, 128, 131]),
       cout=st.integers(1, 7))
def test_pw_conv_blocked(data, length, cin, cout):
    """Fan-ins that reach the 16-channel main loop of the 2x2 block and each of its
    remainders (4-channel steps, single channels), with odd T and odd Cout; the
    requantization mixes right-shift and left-shift channels in one block."""
    check_pw_conv(data, length, cin, cout)


def check_pw_conv(data, length, cin, cout):
    """Random weights, biases, requantization, zero points and clamps of the
    given shape: every firmware variant equals the reference."""
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, cin)))
    bias = data.draw(bias_of(cout))
    mult, shift = data.draw(requant(cout))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(act_range())
    want = ops.pw_conv(x, w, _bias(bias, cout), mult, shift, in_zp, out_zp, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).pw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi), want)


@pytest.mark.parametrize("shift", [-31, -30, -17, -2, -1, 0, 1, 5, 30])
def test_pw_conv_fused_requant_edges(fw, shift):
    """Accumulators at the int32 edges through the fused requantization (one SMLAL
    from a per-channel constant, then a borrow and an ASR) for every kind of shift."""
    rng = np.random.default_rng(shift + 100)
    cin, cout, length = 32, 6, 5
    x = rng.integers(-128, 128, (length, cin), dtype=np.int8)
    w = rng.integers(-128, 128, (cout, cin), dtype=np.int8)
    bias = np.array([INT32_MAX - 5, INT32_MIN + 3, 0, -1, 1 << 30, -(1 << 30)], np.int32)
    mult = np.array([INT32_MAX, 1 << 30, 0, 1, INT32_MAX, 1234567890], np.int32)
    shifts = np.full(cout, shift, np.int8)
    for in_zp, out_zp in ((-128, 0), (0, -128), (127, 127)):
        want = ops.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -128, 127)
        assert_same(fw.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -128, 127), want)
        want = ops.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -20, 90)
        assert_same(fw.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -20, 90), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 7),
       cin=st.sampled_from([16, 32, 48, 64, 80, 96, 112, 128, 144]), cout=st.integers(1, 7),
       shift_lo=st.sampled_from([-24, -23, -12, -2, -1, 0, 1]))
def test_pw_conv_pair_fast_path(data, length, cin, cout, shift_lo):
    """The one-asm-block channel-pair runs: fan-ins that are multiples of 16 entering
    the 64-channel loop at each quarter, even and odd T (the odd step after it), odd
    Cout, right shifts at and beyond its [1, 23] range mixed within a pair (pairs
    that fall back), every out_zp, both clamps."""
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, cin)))
    bias = data.draw(bias_of(cout))
    mult = data.draw(hnp.arrays(np.int32, cout, elements=mults))
    shift = data.draw(hnp.arrays(np.int8, cout, elements=st.integers(shift_lo - 2, shift_lo)))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(st.sampled_from([(-128, 127), (-128, 127), data.draw(act_range())]))
    want = ops.pw_conv(x, w, _bias(bias, cout), mult, shift, in_zp, out_zp, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).pw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi), want)


@pytest.mark.parametrize("shift", [-24, -23, -22, -13, -3, -2, -1, 0])
@pytest.mark.parametrize("cin", [16, 64, 80])
def test_pw_conv_pair_fast_path_edges(fw, shift, cin):
    """Accumulators at the int32 edges through the fast path's requantization (the
    sign borrow and out_zp folded into the 64-bit constant): extreme biases and
    multipliers with out_zp at both ends, where the folded zero point is largest."""
    rng = np.random.default_rng(cin * 100 - shift)
    cout, length = 6, 5
    x = rng.integers(-128, 128, (length, cin), dtype=np.int8)
    w = rng.integers(-128, 128, (cout, cin), dtype=np.int8)
    bias = np.array([INT32_MAX - 5, INT32_MIN + 3, 0, -1, 1 << 30, -(1 << 30)], np.int32)
    mult = np.array([INT32_MAX, 1 << 30, 0, 1, INT32_MAX, 1234567890], np.int32)
    shifts = np.full(cout, shift, np.int8)
    for in_zp, out_zp in ((-128, -128), (0, 127), (127, -128), (5, 0)):
        want = ops.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -128, 127)
        assert_same(fw.pw_conv(x, w, bias, mult, shifts, in_zp, out_zp, -128, 127), want)
    xs = np.full((length, cin), -128, np.int8)
    ws = np.full((cout, cin), 127, np.int8)
    ws[1::2] = -128
    for in_zp in (-128, 127):
        for out_zp in (-128, 127):
            want = ops.pw_conv(xs, ws, bias, mult, shifts, in_zp, out_zp, -128, 127)
            assert_same(fw.pw_conv(xs, ws, bias, mult, shifts, in_zp, out_zp, -128, 127), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 9),
       cin=st.sampled_from([16, 32, 48, 64, 80, 128, 144]), cout=st.integers(1, 13),
       shift_set=st.sampled_from([(-1,), (-1, -2), (-1, -23), (-23,), (-1, 0), (-2, -24),
                                  (-1, -2, 0, 1, -24), (-23, -22, -1, -31)]))
def test_pw_conv_pair_runs(data, length, cin, cout, shift_set):
    """The channel-pair runs: right shifts 1 (the r = 1 folded constant) to 23 in
    one asm block over consecutive pairs, runs broken by pairs with shifts 0, left
    or beyond 23 (the general blocks, then a new run), T = 1 and odd T, odd Cout,
    no bias, out_zp at +-128."""
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, cin)))
    bias = data.draw(bias_of(cout))
    mult = data.draw(hnp.arrays(np.int32, cout, elements=mults))
    shift = data.draw(hnp.arrays(np.int8, cout, elements=st.sampled_from(shift_set)))
    in_zp = data.draw(zps)
    out_zp = data.draw(st.one_of(zps, st.sampled_from([-128, 127])))
    lo, hi = data.draw(st.sampled_from([(-128, 127), (-128, 127), data.draw(act_range())]))
    want = ops.pw_conv(x, w, _bias(bias, cout), mult, shift, in_zp, out_zp, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).pw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi), want)


@pytest.mark.parametrize("cin", [16, 48, 64, 128, 192])
@pytest.mark.parametrize("length,cout", [(2, 2), (8, 8), (9, 9), (16, 6), (12, 2)])
@pytest.mark.parametrize("stop", [None, 0, 2, "last"])
def test_pw_conv_pair_runs_blocks(fw, cin, length, cout, stop):
    """Channel-pair runs over many 2x2 blocks: fan-ins that run their blocks back to
    back (multiples of 64, one or more passes of the 64-channel loop) and those that
    enter each block's loop at a quarter (16, 48), a run covering every pair (the
    entry returns at once), and runs stopped at the first, the second and the last
    pair by a shift out of range (the general blocks, then a new run from the next
    pair); odd T and odd Cout; with and without bias; per-tensor requantization
    (fully_connected's rows as time steps)."""
    rng = np.random.default_rng(cin * 1000 + length * 10 + cout)
    x = rng.integers(-128, 128, (length, cin), dtype=np.int8)
    w = rng.integers(-128, 128, (cout, cin), dtype=np.int8)
    bias = rng.integers(-(1 << 20), 1 << 20, cout, dtype=np.int32)
    mult = rng.integers(1 << 30, INT32_MAX, cout, dtype=np.int32)
    shift = rng.integers(-23, 0, cout).astype(np.int8)
    if stop is not None:
        k = (cout - 2 + (cout & 1)) if stop == "last" else min(stop, cout - 1)
        shift[k] = 0
    for in_zp, out_zp in ((-128, 5), (3, -128), (0, 127)):
        for b in (bias, None):
            want = ops.pw_conv(x, w, _bias(b, cout), mult, shift, in_zp, out_zp, -128, 127)
            assert_same(fw.pw_conv(x, w, b, mult, shift, in_zp, out_zp, -128, 127), want)
    want = ops.fully_connected(x, w, bias, int(mult[0]), int(shift[0]), -7, 9, -128, 127)
    assert_same(fw.fully_connected(x, w, bias, int(mult[0]), int(shift[0]), -7, 9, -128, 127),
                want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), rows=st.integers(2, 7), n_in=st.sampled_from([3, 16, 20, 64, 80, 83]),
       n_out=st.integers(1, 9), mult=mults, shift=shifts)
def test_fully_connected_rows_as_time_steps(data, rows, n_in, n_out, mult, shift):
    """Two or more rows run through the pointwise 2x2 block kernel with per-tensor
    requantization (the channel-pair fast path when n_in is a multiple of 16)."""
    x = data.draw(int8_array((rows, n_in)))
    w = data.draw(int8_array((n_out, n_in)))
    bias = data.draw(bias_of(n_out))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(st.sampled_from([(-128, 127), data.draw(act_range())]))
    want = ops.fully_connected(x, w, _bias(bias, n_out), mult, shift, in_zp, out_zp, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).fully_connected(x, w, bias, mult, shift, in_zp, out_zp, lo,
                                                     hi), want)


@pytest.mark.parametrize("length,cin,cout", [(1, 1, 1), (2, 64, 64), (3, 67, 5), (8, 16, 2),
                                             (5, 255, 3), (2, 4, 2)])
@pytest.mark.parametrize("fill", [-128, 127])
def test_pw_conv_saturated_inputs(fw, length, cin, cout, fill):
    """All-edge inputs and weights: the largest accumulators the kernel can see."""
    x = np.full((length, cin), fill, np.int8)
    w = np.full((cout, cin), -128, np.int8)
    w[::2] = 127
    mult = np.full(cout, INT32_MAX, np.int32)
    shift = np.zeros(cout, np.int8)
    for in_zp in (-128, 127):
        want = ops.pw_conv(x, w, np.zeros(cout, np.int32), mult, shift, in_zp, 0, -128, 127)
        assert_same(fw.pw_conv(x, w, None, mult, shift, in_zp, 0, -128, 127), want)


def assert_conv_matches(x, w, bias, mult, shift, in_zp, out_zp, lo, hi, **kw):
    """Every firmware variant's conv equals the reference on these arguments."""
    cout = w.shape[0]
    want = ops.conv(x, w, _bias(bias, cout), mult, shift, in_zp, out_zp, lo, hi, **kw)
    for v in VARIANTS:
        assert_same(firmware_host(v).conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi, **kw),
                    want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 20), cin=st.integers(1, 6), cout=st.integers(1, 6),
       kernel=st.integers(1, 7), stride=st.integers(1, 3), dilation=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid"]))
def test_conv(data, length, cin, cout, kernel, stride, dilation, padding):
    assume(ops.out_length(length, kernel, stride, dilation, padding) >= 1)
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, kernel, cin)))
    bias = data.draw(bias_of(cout))
    mult, shift = data.draw(requant(cout))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(act_range())
    assert_conv_matches(x, w, bias, mult, shift, in_zp, out_zp, lo, hi,
                        stride=stride, dilation=dilation, padding=padding)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 40),
       shape=st.sampled_from([(1, 7), (1, 5), (1, 8), (2, 4), (2, 3), (4, 2), (8, 1), (1, 3),
                              (3, 3), (1, 1)]),
       cout=st.integers(1, 9), stride=st.integers(1, 3), padding=st.sampled_from(["same", "valid"]))
def test_conv_stem_fast_path(data, length, shape, cout, stride, padding):
    """The stem path (kernel * cin <= 8, dilation 1): 8-byte windows inside the input
    through SXTAB16/SMLAD with zero-padded weights, the edges through the general
    path, inputs too short for any 8-byte window, every requantization kind."""
    cin, kernel = shape
    assume(ops.out_length(length, kernel, stride, 1, padding) >= 1)
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, kernel, cin)))
    bias = data.draw(bias_of(cout))
    mult, shift = data.draw(requant(cout))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(st.sampled_from([(-128, 127), data.draw(act_range())]))
    assert_conv_matches(x, w, bias, mult, shift, in_zp, out_zp, lo, hi,
                        stride=stride, dilation=1, padding=padding)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 40),
       shape=st.sampled_from([(1, 7), (1, 5), (1, 8), (2, 4), (2, 3), (4, 2), (8, 1), (1, 1)]),
       cout=st.integers(1, 9), stride=st.integers(1, 3), padding=st.sampled_from(["same", "valid"]),
       shift_lo=st.sampled_from([-23, -20, -9, -4]))
def test_conv_stem_folded(data, length, shape, cout, stride, padding, shift_lo):
    """The stem's folded path (every shift a right shift in [2, 23], clamp -128..127,
    in_zp folded into the bias, out_zp into the rounding constant): the asm pairs of
    outputs, the odd last one, the edge windows padded with in_zp."""
    cin, kernel = shape
    assume(ops.out_length(length, kernel, stride, 1, padding) >= 1)
    x = data.draw(int8_array((length, cin)))
    w = data.draw(int8_array((cout, kernel, cin)))
    bias = data.draw(bias_of(cout))
    mult = data.draw(hnp.arrays(np.int32, cout, elements=mults))
    shift = data.draw(hnp.arrays(np.int8, cout, elements=st.integers(shift_lo, shift_lo + 2)))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    assert_conv_matches(x, w, bias, mult, shift, in_zp, out_zp, -128, 127,
                        stride=stride, dilation=1, padding=padding)


@pytest.mark.parametrize("shift", [-31, -24, -23, -17, -2, -1, 0, 1, 30])
def test_conv_stem_edges(fw, shift):
    """Accumulators at the int32 edges through the stem path's fused requantization."""
    rng = np.random.default_rng(shift + 300)
    cout, length = 6, 32
    x = rng.integers(-128, 128, (length, 1), dtype=np.int8)
    w = rng.integers(-128, 128, (cout, 7, 1), dtype=np.int8)
    bias = np.array([INT32_MAX - 5, INT32_MIN + 3, 0, -1, 1 << 30, -(1 << 30)], np.int32)
    mult = np.array([INT32_MAX, 1 << 30, 0, 1, INT32_MAX, 1234567890], np.int32)
    shifts = np.full(cout, shift, np.int8)
    for in_zp, out_zp in ((-128, -128), (127, 127), (0, 5), (-128, 127), (127, -128)):
        for lo, hi in ((-128, 127), (-20, 90)):
            for padding in ("same", "valid"):
                kw = dict(stride=2, dilation=1, padding=padding)
                want = ops.conv(x, w, bias, mult, shifts, in_zp, out_zp, lo, hi, **kw)
                assert_same(fw.conv(x, w, bias, mult, shifts, in_zp, out_zp, lo, hi, **kw), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 20), channels=st.integers(1, 13),
       kernel=st.integers(1, 9), stride=st.integers(1, 3), dilation=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid"]))
def test_dw_conv(data, length, channels, kernel, stride, dilation, padding):
    assume(ops.out_length(length, kernel, stride, dilation, padding) >= 1)
    x = data.draw(int8_array((length, channels)))
    w = data.draw(int8_array((kernel, channels)))
    bias = data.draw(bias_of(channels))
    mult, shift = data.draw(requant(channels))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(act_range())
    kw = dict(stride=stride, dilation=dilation, padding=padding)
    want = ops.dw_conv(x, w, _bias(bias, channels), mult, shift, in_zp, out_zp, lo, hi, **kw)
    for v in VARIANTS:
        assert_same(firmware_host(v).dw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi,
                                             **kw), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), rows=st.integers(1, 3), n_in=st.integers(1, 40), n_out=st.integers(1, 9),
       mult=mults, shift=shifts)
def test_fully_connected(data, rows, n_in, n_out, mult, shift):
    x = data.draw(int8_array((rows, n_in)))
    w = data.draw(int8_array((n_out, n_in)))
    bias = data.draw(bias_of(n_out))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    lo, hi = data.draw(act_range())
    want = ops.fully_connected(x, w, _bias(bias, n_out), mult, shift, in_zp, out_zp, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).fully_connected(x, w, bias, mult, shift, in_zp, out_zp, lo,
                                                     hi), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), n_in=st.integers(1, 30), extra=st.integers(0, 9), n_out=st.integers(1, 7),
       col=st.integers(0, 5), mult=realistic_mult, shift=st.integers(-10, 0))
def test_fc_row_with_strided_unaligned_rows(data, n_in, extra, n_out, col, mult, shift):
    """The generator's first layer reads columns col.. of rows w_stride apart."""
    stride = n_in + col + extra
    flat = data.draw(int8_array((n_out * stride,)))
    x = data.draw(int8_array((n_in,)))
    init = data.draw(hnp.arrays(np.int32, n_out, elements=st.integers(-(1 << 20), 1 << 20)))
    in_zp, out_zp = data.draw(zps), data.draw(zps)
    w = flat.reshape(n_out, stride)[:, col:col + n_in]
    want = ops.fully_connected(x[None], w, init, mult, shift, in_zp, out_zp, -128, 127)[0]
    for v in VARIANTS:
        got = firmware_host(v).fc_row(x, flat[col:], stride, n_out, init, mult, shift, in_zp,
                                      out_zp, -128, 127)
        assert_same(got, want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 24), channels=st.integers(1, 7),
       kernel=st.integers(1, 6), stride=st.integers(1, 4),
       padding=st.sampled_from(["same", "valid"]))
def test_pools(data, length, channels, kernel, stride, padding):
    assume(ops.out_length(length, kernel, stride, 1, padding) >= 1)
    x = data.draw(int8_array((length, channels)))
    lo, hi = data.draw(act_range())
    for v in VARIANTS:
        f = firmware_host(v)
        assert_same(f.avg_pool(x, kernel, stride, padding, lo, hi),
                    ops.avg_pool(x, kernel, stride, padding, lo, hi))
        assert_same(f.max_pool(x, kernel, stride, padding, lo, hi),
                    ops.max_pool(x, kernel, stride, padding, lo, hi))


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.one_of(st.integers(1, 40), st.sampled_from([255, 256, 1000])),
       channels=st.integers(1, 6))
def test_global_avg_pool(data, length, channels):
    fill = data.draw(st.sampled_from([None, -128, 127]))
    x = (data.draw(int8_array((length, channels))) if fill is None
         else np.full((length, channels), fill, np.int8))
    lo, hi = data.draw(act_range())
    for v in VARIANTS:
        assert_same(firmware_host(v).global_avg_pool(x, lo, hi), ops.global_avg_pool(x, lo, hi))


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), length=st.integers(1, 6), channels=st.integers(1, 7))
def test_add(data, length, channels):
    a = data.draw(int8_array((length, channels)))
    b = data.draw(int8_array((length, channels)))
    realistic = data.draw(st.booleans())
    if realistic:
        sa, sb, so = (data.draw(st.floats(0.01, 1.0)) for _ in range(3))
        try:
            p = quant.add_requant(sa, sb, so)
        except ValueError:
            assume(False)
        qa, qb, qo = (p.a_mult, p.a_shift), (p.b_mult, p.b_shift), (p.out_mult, p.out_shift)
    else:
        # TFLite's add multipliers are below one (shift <= 0); the format allows
        # left shifts too, which take the firmware's general loop
        add_shifts = st.one_of(st.integers(-31, 0), st.integers(1, 30))
        qa, qb, qo = ((data.draw(mults), data.draw(add_shifts)) for _ in range(3))
    a_zp, b_zp, out_zp = data.draw(zps), data.draw(zps), data.draw(zps)
    lo, hi = data.draw(act_range())
    want = ops.add(a, b, a_zp, *qa, b_zp, *qb, out_zp, *qo, lo, hi)
    for v in VARIANTS:
        assert_same(firmware_host(v).add(a, b, a_zp, *qa, b_zp, *qb, out_zp, *qo, lo, hi), want)


@settings(max_examples=EXAMPLES, deadline=None)
@given(x=hnp.arrays(np.int8, st.integers(1, 12), elements=st.sampled_from([-128, -1, 0, 127])))
def test_argmax_ties_go_low(x):
    for v in VARIANTS:
        assert firmware_host(v).argmax(x) == ops.argmax(x)


def test_crc_matches_zlib(fw):
    data = write_model(build_example("tiny"))
    want = zlib.crc32(data[:16] + bytes(4) + data[20:]) & 0xFFFFFFFF
    assert fw.crc(data) == want == struct.unpack_from("<I", data, 16)[0]


# --------------------------------------------------------------------------
# synthesis and whole models
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    model = build_example("tiny")
    return model, write_model(model)


@pytest.fixture(scope="module")
def ecg32():
    model = build_example("ecg-32k")
    return model, write_model(model)


@pytest.mark.parametrize("name", ["tiny", "ecg-32k"])
def test_synthesis_equals_reference(fw, name, tiny, ecg32):
    model, data = tiny if name == "tiny" else ecg32
    ws = synth_workspace_size(model)
    for g, want in enumerate(synth.synthesize_model(model)):
        got = fw.synth(data, g, *want.shape, ws)
        assert_same(got, want)


def _windows(model, n, seed):
    rng = np.random.default_rng(seed)
    t, c = model.input_shape
    w = rng.integers(-128, 128, size=(n, t, c)).astype(np.int8)
    w[0] = -128
    if n > 1:
        w[1] = 127
    return w


def _check_trace_nesting(trace):
    """Begin/end markers pair up and nest; returns the phases seen, in order."""
    stack, seen = [], []
    for edge, phase, detail, index in trace.phases:
        if edge == "begin":
            stack.append((phase, detail, index))
            seen.append((phase, detail, index))
        else:
            assert stack and stack[-1] == (phase, detail, index), f"unbalanced {phase} end"
            stack.pop()
    assert not stack, f"phases left open: {stack}"
    return seen


@pytest.mark.parametrize("mode", [Mode.BOOT, Mode.LAZY])
@pytest.mark.parametrize("name", ["tiny", "ecg-32k"])
def test_whole_model_equals_reference(fw, name, mode, tiny, ecg32):
    model, data = tiny if name == "tiny" else ecg32
    windows = _windows(model, 4 if name == "tiny" else 2, seed=7)
    out_nbytes = model.tensors[model.output_tensor].nbytes
    r = fw.run(data, windows, int(mode), arena_size=model.plans[mode].arena_size)
    assert r.status_name == "OK", (r.status_name, r.mailbox.detail, r.mailbox.aux)
    assert r.mailbox.windows_done == len(windows)
    assert r.mailbox.arena_used == model.plans[mode].arena_size
    n_gen = len(model.generated)
    assert r.mailbox.synthesized == (n_gen if mode == Mode.BOOT else n_gen * len(windows))
    for k, win in enumerate(windows):
        out, cls = reference_run(model, win)
        assert_same(r.outputs(out_nbytes)[k].reshape(out.shape), out)
        assert r.classes(out_nbytes)[k] == cls
    assert r.mailbox.last_class == reference_run(model, windows[-1])[1]

    seen = _check_trace_nesting(r.trace)
    names = [p for p, _, _ in seen]
    assert names.count("init") == 1
    assert names.count("inference") == len(windows)
    assert names.count("layer") == len(windows) * len(model.layers)
    assert names.count("synth_boot") == (n_gen if mode == Mode.BOOT else 0)
    assert names.count("synth_lazy") == (0 if mode == Mode.BOOT else n_gen * len(windows))
    ops_seen = [d for p, d, _ in seen if p == "layer"][:len(model.layers)]
    assert ops_seen == [int(layer.op) for layer in model.layers]
    lazy = [(d, i) for p, d, i in seen if p == "synth_lazy"][:n_gen]
    if mode == Mode.LAZY:
        assert lazy == [(g, e.layer) for g, e in enumerate(model.generated)]
    assert r.trace.statuses == [(0, len(windows), r.mailbox.synthesized)]


def test_boot_and_lazy_agree_and_plan_fits_exactly(fw, tiny):
    """The planned arena is enough to the byte: nothing is used past it."""
    model, data = tiny
    windows = _windows(model, 3, seed=3)
    boot = fw.run(data, windows, 0, arena_size=model.plans[Mode.BOOT].arena_size)
    lazy = fw.run(data, windows, 1, arena_size=model.plans[Mode.LAZY].arena_size)
    assert boot.status == lazy.status == 0
    assert np.array_equal(boot.records, lazy.records)


def test_zero_windows_validates_and_synthesizes(fw, tiny):
    model, data = tiny
    r = fw.run(data, None, 0, out_capacity=0)
    assert r.status_name == "OK" and r.mailbox.windows_done == 0
    assert r.mailbox.synthesized == len(model.generated)
    assert r.mailbox.done == 0, "done is written by the firmware's main(), not the runtime"


def test_unknown_model_length_uses_total_length(fw, tiny):
    model, data = tiny
    windows = _windows(model, 1, seed=1)
    r = fw.run(data, windows, 0, model_size=0, partition=len(data) + 4096)
    assert r.status_name == "OK"


# --------------------------------------------------------------------------
# the model reader: same verdict, same offset as the host reader
# --------------------------------------------------------------------------
def _host_verdict(data: bytes):
    try:
        read_model(data)
    except FormatError as e:
        return e.offset
    return None


def _fix_crc(b: bytearray) -> bytes:
    b[16:20] = struct.pack("<I", zlib.crc32(bytes(b[:16]) + bytes(4) + bytes(b[20:])) & 0xFFFFFFFF)
    return bytes(b)


def _section_offset(data: bytes, kind) -> int:
    count, table = struct.unpack_from("<II", data, 20)
    for i in range(count):
        k, _, offset, _, _ = struct.unpack_from("<HHIII", data, table + 16 * i)
        if k == kind:
            return offset
    raise KeyError(kind)


def _assert_same_verdict(fw, data: bytes, what: str):
    want = _host_verdict(data)
    status, detail, aux = fw.open(data)
    if want is None:
        assert status == 0, f"{what}: firmware rejects ({STATUS_NAME.get(status)} at {detail}), host accepts"
    else:
        assert status != 0, f"{what}: firmware accepts, host rejects at offset {want}"
        assert detail == want, (f"{what}: firmware {STATUS_NAME.get(status)} at offset {detail}, "
                                f"host at {want}")


def test_truncation_at_every_offset(fw, tiny):
    _, data = tiny
    for k in range(len(data)):
        status, detail, _ = fw.open(data[:k])
        assert status == STATUS["E_TRUNCATED"] and detail == k, (k, STATUS_NAME.get(status), detail)


def test_every_byte_corrupted(tiny):
    """Each byte of the tiny model set to other values (CRC fixed, so the deeper rules run).
    The reader has no DSP code: one variant is enough (the other gets random corruptions)."""
    fw = firmware_host("portable")
    _, data = tiny
    for i in range(len(data)):
        if 16 <= i < 20:
            continue
        for v in (data[i] ^ 0x80, 0x00 if data[i] else 0xFF):
            b = bytearray(data)
            b[i] = v
            _assert_same_verdict(fw, _fix_crc(b), f"byte {i} = 0x{v:02x}")


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_field_corruptions_ecg(data, ecg32):
    """u8/u16/u32 overwrites with edge and plausible values anywhere in a bigger model."""
    _, model_bytes = ecg32
    n = len(model_bytes)
    size = data.draw(st.sampled_from([1, 2, 4]))
    pos = data.draw(st.integers(0, n // size - 1)) * size
    assume(not (16 <= pos < 20))
    orig = int.from_bytes(model_bytes[pos:pos + size], "little")
    top = (1 << (8 * size)) - 1
    value = data.draw(st.one_of(st.sampled_from([0, 1, top, (orig + 1) & top, (orig - 1) & top,
                                                 (orig * 2) & top]),
                                st.integers(0, min(n, top)), st.integers(0, top)))
    b = bytearray(model_bytes)
    b[pos:pos + size] = value.to_bytes(size, "little")
    _assert_same_verdict(firmware_host("dsp"), _fix_crc(b), f"{size} bytes at {pos} = {value}")


def test_crc_and_header_errors(fw, tiny):
    _, data = tiny
    b = bytearray(data)
    b[100] ^= 1
    assert fw.open(bytes(b))[:2] == (STATUS["E_CRC"], 16)
    assert fw.open(b"XXXX" + data[4:])[:2] == (STATUS["E_MAGIC"], 0)
    assert fw.open(data + b"\0" * 16)[:2] == (STATUS["E_LENGTH"], 12)
    assert fw.open(data, capacity=len(data) + 100, written=0)[0] == 0
    assert fw.open(data, capacity=len(data) - 1, written=0)[:2] == (STATUS["E_TRUNCATED"],
                                                                    len(data) - 1)


# --------------------------------------------------------------------------
# bad jobs
# --------------------------------------------------------------------------
def _assert_failed(r, code: str):
    assert r.status_name == code, (r.status_name, r.mailbox.detail, r.mailbox.aux)
    assert r.mailbox.windows_done == 0 and r.records is None
    assert r.trace.statuses == [(STATUS[code], r.mailbox.detail, r.mailbox.aux)]
    _check_trace_nesting(r.trace)


def test_arena_too_small(fw, tiny):
    model, data = tiny
    need = model.plans[Mode.BOOT].arena_size
    r = fw.run(data, _windows(model, 1, 0), 0, arena_size=need - 16)
    _assert_failed(r, "E_ARENA")
    assert (r.mailbox.detail, r.mailbox.aux) == (need, need - 16)


def test_unknown_mode(fw, tiny):
    model, data = tiny
    _assert_failed(fw.run(data, _windows(model, 1, 0), 2), "E_MODE")


def test_more_windows_than_input_buffer(fw, tiny):
    model, data = tiny
    windows = _windows(model, 3, 0)
    r = fw.run(data, windows, 0, in_capacity=windows[0].nbytes * 2)
    _assert_failed(r, "E_WINDOWS")
    assert (r.mailbox.detail, r.mailbox.aux) == (3, 2)


def test_more_windows_than_output_buffer(fw, tiny):
    model, data = tiny
    r = fw.run(data, _windows(model, 3, 0), 0, out_capacity=8 * 3 - 1)
    _assert_failed(r, "E_WINDOWS")


def test_more_windows_than_given(fw, tiny):
    model, data = tiny
    windows = _windows(model, 2, 0)
    _assert_failed(fw.run(data, windows, 1, n_windows=1000), "E_WINDOWS")


@pytest.mark.parametrize("magic,version", [(0, 1), (0x424D434D, 2)])
def test_bad_mailbox(fw, tiny, magic, version):
    model, data = tiny
    _assert_failed(fw.run(data, _windows(model, 1, 0), 0, magic=magic, version=version),
                   "E_MAILBOX")


def test_model_outside_partition(fw, tiny):
    model, data = tiny
    _assert_failed(fw.run(data, _windows(model, 1, 0), 0, model_addr=1 << 24), "E_MODEL_ADDR")


def test_malformed_model_through_the_mailbox(fw, tiny):
    model, data = tiny
    b = bytearray(data)
    b[0] = ord("X")
    r = fw.run(bytes(b), _windows(model, 1, 0), 0)
    _assert_failed(r, "E_MAGIC")
    b = bytearray(data)
    layers = _section_offset(data, spec.SectionKind.LAYERS)
    b[layers] = 0xFF       # layer 0: unknown op
    r = fw.run(_fix_crc(b), _windows(model, 1, 0), 1)
    _assert_failed(r, "E_LAYER")
    assert r.mailbox.detail == layers == _host_verdict(_fix_crc(bytearray(b)))


def test_model_larger_than_partition(fw, tiny):
    model, data = tiny
    r = fw.run(data, _windows(model, 1, 0), 0, model_size=len(data) + 64, partition=len(data))
    _assert_failed(r, "E_TRUNCATED")


def test_every_status_code_is_documented():
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "firmware.md").read_text()
    missing = [name for name in STATUS if name != "RUNNING" and f"MCUSIM_{name}" not in doc]
    assert not missing, f"docs/firmware.md does not list {missing}"


def test_trace_record_ids_are_documented():
    from pathlib import Path
    from firmware_host import PHASES
    doc = (Path(__file__).resolve().parent.parent / "docs" / "firmware.md").read_text()
    for value, name in PHASES.items():
        assert f"MCUSIM_PHASE_{name.upper()}" in doc, name


# --------------------------------------------------------------------------
# batched synthesis: MCUSIM_SYNTH_ROWS rows per batch, any Cout
# --------------------------------------------------------------------------
def _one_generated_pw_model(cout: int, cin: int = 6, d_code: int = 5, d_emb: int = 7,
                            hidden: int = 9, latent: int = 5, seed: int = 0):
    """input -> conv -> generated PW (cout x cin) -> GAP -> FC -> ARGMAX, with odd
    generator widths so every remainder path of the batched FCs runs."""
    from modelgen import _Builder
    from mcusim.format.spec import Op, Padding
    from mcusim.model import GeneratedLayer, Generator, Model
    from mcusim.plan import plan_memory

    b = _Builder(seed)
    x = b.tensor(16, 1)
    t1 = b.tensor(16, cin)
    b.add_layer("stem", Op.CONV, (x,), t1, kernel=3, padding=Padding.SAME, relu=True)
    t2 = b.tensor(16, cout)
    b.add_layer("pw", Op.PW_CONV, (t1,), t2, generated=0, category="codes", relu=True)
    t3 = b.tensor(1, cout, like=t2)
    b.add_layer("gap", Op.GLOBAL_AVG_POOL, (t2,), t3, weighted=False)
    t4 = b.tensor(1, 3)
    b.add_layer("fc", Op.FULLY_CONNECTED, (t3,), t4)
    t5 = b.argmax(t4)
    in_zp = int(b.rng.integers(-128, 128))
    h1 = b.fc(d_code + d_emb, hidden, in_zp, relu=True)
    lat = b.fc(hidden, latent, h1.out_zp)
    head = b.fc(latent, cin, lat.out_zp, out_zp=0)
    gen = Generator(d_code=d_code, in_scale=0.05, in_zp=in_zp,
                    embeddings=b.weights(cout + 3, d_emb), mlp=[h1, lat], heads=[head])
    model = Model(name=f"gen-pw-{cout}", sample_rate_hz=360, tensors=b.tensors, layers=b.layers,
                  input_tensor=x, output_tensor=t4, class_tensor=t5, generator=gen,
                  generated=[GeneratedLayer(layer=1, head=0, code=b.weights(d_code))])
    model.plans = plan_memory(model)
    return model


def _batch_couts():
    from mcusim.plan import SYNTH_ROWS as R
    return sorted({1, 2, 3, R - 1, R, R + 1, 2 * R + 3, 3 * R + 1})


@pytest.mark.parametrize("cout", _batch_couts())
def test_batched_synthesis_equals_reference_any_cout(fw, cout):
    """Cout = 1, odd, below / at / above one batch, and a remainder batch after full ones."""
    for widths in ({}, {"d_code": 4, "d_emb": 12, "hidden": 16, "latent": 8},
                   {"d_code": 3, "d_emb": 1, "hidden": 1, "latent": 2, "cin": 1}):
        model = _one_generated_pw_model(cout, seed=cout, **widths)
        data = write_model(model)
        want = synth.synthesize_model(model)[0]
        # in a workspace of exactly the planned size
        got = fw.synth(data, 0, *want.shape, synth_workspace_size(model))
        assert_same(got, want)


@pytest.mark.parametrize("mode", [Mode.BOOT, Mode.LAZY])
@pytest.mark.parametrize("cout", [1, 5, 11])
def test_batched_synthesis_whole_model_both_modes(fw, cout, mode):
    model = _one_generated_pw_model(cout, seed=100 + cout)
    data = write_model(model)
    windows = _windows(model, 2, seed=cout)
    out_nbytes = model.tensors[model.output_tensor].nbytes
    r = fw.run(data, windows, int(mode), arena_size=model.plans[mode].arena_size)
    assert r.status_name == "OK", (r.status_name, r.mailbox.detail, r.mailbox.aux)
    assert r.mailbox.arena_used == model.plans[mode].arena_size
    for k, win in enumerate(windows):
        out, cls = reference_run(model, win)
        assert_same(r.outputs(out_nbytes)[k].reshape(out.shape), out)
        assert r.classes(out_nbytes)[k] == cls


def test_workspace_holds_synth_rows():
    """The planned workspace has room for SYNTH_ROWS rows of the widest FC output,
    twice, besides the input vector and FC_0's int32 partial sums."""
    from mcusim.plan import SYNTH_ROWS
    model = _one_generated_pw_model(5)
    gen = model.generator
    widest = max(fc.out_features for fc in gen.mlp)
    need = 2 * SYNTH_ROWS * widest + 4 * gen.mlp[0].out_features
    assert synth_workspace_size(model) >= need + gen.d_code + gen.d_emb
