"""The Numba kernels (mcusim.interp) agree byte for byte with the NumPy reference
kernels (mcusim.reference) they are paired with by name: every op, the scalar
fixed-point arithmetic, and generator synthesis, on hypothesis-generated
shapes and values biased toward the edges (T = 1, C = 1, kernels longer than
the input, strides longer than the kernel, -128/127 inputs, int32-extreme
biases and multipliers, shifts from -31 to 30, empty clamp ranges)."""

import numpy as np
from int8data import int8_values
from hypothesis import given, settings
from hypothesis import strategies as st

from numba import njit

from mcusim.interp import ops as fast
from mcusim.interp import simd
from mcusim.interp import quant as fast_quant
from mcusim.interp import synth as fast_synth
from mcusim.interp.blobs import Blobs
from mcusim.model import FC, Generator
from mcusim.reference import ops as ref
from mcusim.reference import quant as ref_quant
from mcusim.reference import synth as ref_synth
from mcusim.reference.quant import INT32_MAX, INT32_MIN

EXAMPLES = 120
PADDING = {"valid": 0, "same": 1}

int32s = st.one_of(st.integers(INT32_MIN, INT32_MAX),
                   st.sampled_from([INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX]))
multipliers = st.one_of(st.integers(1 << 30, INT32_MAX), st.sampled_from([0, INT32_MAX]),
                        int32s)
shifts = st.one_of(st.integers(-12, 2), st.integers(-31, 30))
zero_points = st.one_of(st.integers(-128, 127), st.sampled_from([-128, 0, 127]))
seeds = st.integers(0, 2**32 - 1)
kinds = st.sampled_from(["uniform", "uniform", "extremes", "constant"])


@st.composite
def clamps(draw):
    lo = draw(st.one_of(st.integers(-128, 127), st.just(-128)))
    hi = draw(st.one_of(st.integers(lo, 127), st.just(127)))
    return lo, hi


def requant_params(rng, n, draw):
    """Per-channel (bias, mult, shift) as the executor passes them: int32 arrays."""
    style = draw(st.sampled_from(["realistic", "wild"]))
    if style == "realistic":
        bias = rng.integers(-(1 << 14), 1 << 14, n)
        mult = rng.integers(1 << 30, INT32_MAX, n, endpoint=True)
        shift = rng.integers(-12, 1, n)
    else:
        bias = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
        bias[rng.random(n) < 0.3] = rng.choice([INT32_MIN, INT32_MAX])
        mult = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
        shift = rng.integers(-31, 31, n)
    return (bias.astype(np.int32), mult.astype(np.int32), shift.astype(np.int32))


@st.composite
def windows(draw, dilated=True):
    """(length, kernel, stride, dilation, padding) with at least one output."""
    length = draw(st.integers(1, 24))
    kernel = draw(st.integers(1, 7))
    stride = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 3)) if dilated else 1
    padding = draw(st.sampled_from(["same", "valid"]))
    if padding == "valid" and (kernel - 1) * dilation + 1 > length:
        padding = "same"
    return length, kernel, stride, dilation, padding


def assert_same(actual, expected, what):
    """Equal arrays, or the first mismatching position with both values."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    diff = np.argwhere(actual != expected)
    if diff.size:
        at = tuple(diff[0])
        raise AssertionError(f"{what}: first mismatch at {at}: interp {actual[at]} != "
                             f"reference {expected[at]} ({len(diff)} differ)")


# -- scalar arithmetic ------------------------------------------------------

@settings(max_examples=400)
@given(int32s, multipliers, shifts)
def test_multiply_by_quantized_multiplier(x, mult, shift):
    assert fast_quant.multiply_by_quantized_multiplier(x, mult, shift) == \
        ref_quant.multiply_by_quantized_multiplier(x, mult, shift)


@settings(max_examples=400)
@given(int32s, int32s)
def test_saturating_rounding_doubling_high_mul(a, b):
    assert fast_quant.saturating_rounding_doubling_high_mul(a, b) == \
        ref_quant.saturating_rounding_doubling_high_mul(a, b)


@settings(max_examples=400)
@given(int32s, st.integers(0, 31))
def test_rounding_divide_by_pot(x, exponent):
    assert fast_quant.rounding_divide_by_pot(x, exponent) == \
        ref_quant.rounding_divide_by_pot(x, exponent)


@settings(max_examples=200)
@given(st.integers(-(1 << 40), 1 << 40))
def test_wrap_int32(x):
    assert fast_quant.wrap_int32(x) == ref_quant.wrap_int32(x)


# -- ops --------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(windows(), st.integers(1, 9), st.integers(1, 9), zero_points, zero_points, clamps(),
       kinds, seeds, st.data())
def test_conv(win, c_in, c_out, in_zp, out_zp, clamp, kind, seed, data):
    length, kernel, stride, dilation, padding = win
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, c_in), kind)
    w = int8_values(rng, (c_out, kernel, c_in), "uniform")
    bias, mult, shift = requant_params(rng, c_out, data.draw)
    expected = ref.conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp, stride=stride,
                        dilation=dilation, padding=padding)
    out = np.empty_like(expected)
    fast.conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp, stride, dilation,
              PADDING[padding], out)
    assert_same(out, expected, "conv")


@settings(max_examples=EXAMPLES)
@given(windows(), st.integers(1, 40), zero_points, zero_points, clamps(), kinds, seeds,
       st.data())
def test_dw_conv(win, channels, in_zp, out_zp, clamp, kind, seed, data):
    length, kernel, stride, dilation, padding = win
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, channels), kind)
    w = int8_values(rng, (kernel, channels), "uniform")
    bias, mult, shift = requant_params(rng, channels, data.draw)
    expected = ref.dw_conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp, stride=stride,
                           dilation=dilation, padding=padding)
    out = np.empty_like(expected)
    fast.dw_conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp, stride, dilation,
                 PADDING[padding], out)
    assert_same(out, expected, "dw_conv")


@settings(max_examples=EXAMPLES)
@given(st.integers(1, 20), st.one_of(st.integers(1, 70), st.sampled_from([128, 256, 300])),
       st.integers(1, 40), zero_points, zero_points, clamps(), kinds, seeds, st.data())
def test_pw_conv(length, c_in, c_out, in_zp, out_zp, clamp, kind, seed, data):
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, c_in), kind)
    w = int8_values(rng, (c_out, c_in), data.draw(kinds))
    bias, mult, shift = requant_params(rng, c_out, data.draw)
    expected = ref.pw_conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp)
    out = np.empty_like(expected)
    fast.pw_conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp, out)
    assert_same(out, expected, "pw_conv")


@settings(max_examples=EXAMPLES)
@given(st.integers(1, 6), st.integers(1, 80), st.integers(1, 20), zero_points, zero_points,
       clamps(), kinds, seeds, st.data())
def test_fully_connected(rows, n_in, n_out, in_zp, out_zp, clamp, kind, seed, data):
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (rows, n_in), kind)
    w = int8_values(rng, (n_out, n_in), "uniform")
    bias, mult, shift = requant_params(rng, 1, data.draw)
    bias = np.resize(bias, n_out) if data.draw(st.booleans()) else \
        rng.integers(INT32_MIN, INT32_MAX, n_out, endpoint=True).astype(np.int32)
    expected = ref.fully_connected(x, w, bias, int(mult[0]), int(shift[0]), in_zp, out_zp,
                                   *clamp)
    out = np.empty_like(expected)
    fast.fully_connected(x, w, bias, int(mult[0]), int(shift[0]), in_zp, out_zp, *clamp, out)
    assert_same(out, expected, "fully_connected")


@settings(max_examples=EXAMPLES)
@given(windows(dilated=False), st.integers(1, 20), clamps(), kinds, seeds)
def test_pools(win, channels, clamp, kind, seed):
    length, kernel, stride, _, padding = win
    x = int8_values(np.random.default_rng(seed), (length, channels), kind)
    for name in ("avg_pool", "max_pool"):
        expected = getattr(ref, name)(x, kernel, stride, padding, *clamp)
        out = np.empty_like(expected)
        getattr(fast, name)(x, kernel, stride, PADDING[padding], *clamp, out)
        assert_same(out, expected, name)


@settings(max_examples=EXAMPLES)
@given(st.integers(1, 300), st.integers(1, 20), clamps(), kinds, seeds)
def test_global_avg_pool(length, channels, clamp, kind, seed):
    x = int8_values(np.random.default_rng(seed), (length, channels), kind)
    expected = ref.global_avg_pool(x, *clamp)
    out = np.empty_like(expected)
    fast.global_avg_pool(x, *clamp, out)
    assert_same(out, expected, "global_avg_pool")


@settings(max_examples=EXAMPLES)
@given(st.integers(1, 16), st.integers(1, 20), zero_points, zero_points, zero_points,
       st.lists(st.tuples(multipliers, st.integers(-31, 0)), min_size=3, max_size=3),
       clamps(), kinds, seeds)
def test_add(length, channels, a_zp, b_zp, out_zp, requant, clamp, kind, seed):
    rng = np.random.default_rng(seed)
    a = int8_values(rng, (length, channels), kind)
    b = int8_values(rng, (length, channels), "uniform")
    (am, ash), (bm, bsh), (om, osh) = requant
    args = (a, b, a_zp, am, ash, b_zp, bm, bsh, out_zp, om, osh, *clamp)
    expected = ref.add(*args)
    out = np.empty_like(expected)
    fast.add(*args, out)
    assert_same(out, expected, "add")


@settings(max_examples=EXAMPLES)
@given(st.integers(1, 40), kinds, seeds)
def test_argmax(n, kind, seed):
    x = int8_values(np.random.default_rng(seed), (1, n), kind)
    assert fast.argmax(x) == ref.argmax(x)


@given(st.integers(1, 64), st.integers(1, 9), st.integers(1, 5), st.integers(1, 3),
       st.sampled_from(["same", "valid"]))
def test_geometry(length, kernel, stride, dilation, padding):
    args = (length, kernel, stride, dilation)
    assert fast.out_length(*args, PADDING[padding]) == ref.out_length(*args, padding)
    assert fast.padding_before(*args, PADDING[padding]) == ref.padding_before(*args, padding)


# -- synthesis --------------------------------------------------------------

@st.composite
def generators(draw):
    """A random generator: micro-MLP of 1-3 FC layers, 1-3 heads, any parameters."""
    rng = np.random.default_rng(draw(seeds))
    d_code, d_emb = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    widths = [d_code + d_emb] + [draw(st.integers(1, 40)) for _ in range(draw(st.integers(1, 3)))]
    n_rows = draw(st.integers(1, 24))

    def fc(n_in, n_out):
        lo, hi = draw(clamps())
        return FC(int8_values(rng, (n_out, n_in), draw(kinds)),
                  rng.integers(-(1 << 16), 1 << 16, n_out).astype(np.int32)
                  if draw(st.booleans()) else
                  rng.integers(INT32_MIN, INT32_MAX, n_out, endpoint=True).astype(np.int32),
                  draw(multipliers), draw(shifts), draw(zero_points), draw(zero_points),
                  lo, hi, 0.01, 0.1)

    mlp = [fc(widths[i], widths[i + 1]) for i in range(len(widths) - 1)]
    heads = [fc(widths[-1], draw(st.integers(1, 48))) for _ in range(draw(st.integers(1, 3)))]
    gen = Generator(d_code, 0.05, draw(zero_points),
                    int8_values(rng, (n_rows + draw(st.integers(0, 3)), d_emb), draw(kinds)),
                    mlp, heads)
    code = int8_values(rng, (d_code,), draw(kinds))
    return gen, code, draw(st.integers(0, len(heads) - 1)), n_rows


@settings(max_examples=EXAMPLES)
@given(generators())
def test_synthesize_layer(case):
    gen, code, head, n_rows = case
    assert_same(fast_synth.synthesize_layer(gen, code, head, n_rows),
                ref_synth.synthesize_layer(gen, code, head, n_rows), "synthesize_layer")


# -- the packed PW path (mcusim.interp.simd) ---------------------------------

@settings(max_examples=EXAMPLES)
@given(st.integers(1, 20), st.integers(1, 80).map(lambda n: 2 * n), st.integers(1, 6),
       zero_points, zero_points, clamps(), kinds, seeds, st.data())
def test_pw_conv_packed(length, c_in, blocks, in_zp, out_zp, clamp, kind, seed, data):
    c_out = simd.COLS * blocks
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, c_in), kind)
    w = int8_values(rng, (c_out, c_in), data.draw(kinds))
    bias, mult, shift = requant_params(rng, c_out, data.draw)
    expected = ref.pw_conv(x, w, bias, mult, shift, in_zp, out_zp, *clamp)
    wp = np.empty((c_in // 2, 2 * c_out), np.int8)
    simd.pack_weights(w, wp)
    out = np.empty_like(expected)
    simd.pw_conv_packed(x, wp, bias, mult, shift, in_zp, out_zp, *clamp, out)
    assert_same(out, expected, f"pw_conv_packed ({'avx2' if simd.HAVE_AVX2 else 'generic'})")


@settings(max_examples=60)
@given(st.integers(1, 3), st.integers(1, 40).map(lambda n: 2 * n), st.integers(1, 3), seeds)
def test_pair_block_kernels_agree(row_blocks, c_in, col_blocks, seed):
    """The generic micro-kernel (used where AVX2 is missing) and the AVX2 one
    compute the same int32 sums as a plain matrix product."""
    rng = np.random.default_rng(seed)
    rows, c_out = simd.ROWS * row_blocks, simd.COLS * col_blocks
    xs = rng.integers(-255, 256, (rows, c_in)).astype(np.int16)
    w = int8_values(rng, (c_out, c_in), "uniform")
    wp = np.empty((c_in // 2, 2 * c_out), np.int8)
    simd.pack_weights(w, wp)
    expected = (xs.astype(np.int64) @ w.T.astype(np.int64)).astype(np.int32)
    blocks = [simd.pair_block_generic] + ([simd.pair_block] if simd.HAVE_AVX2 else [])
    for block in blocks:
        acc = np.zeros((rows, c_out), np.int32)
        _run_blocks(block, xs.view(np.int32), wp, acc)
        assert_same(acc, expected, f"{block}")


def _run_blocks(block, xp, wp, acc):
    if block is simd.pair_block_generic:
        for t0 in range(0, acc.shape[0], simd.ROWS):
            for o0 in range(0, acc.shape[1], simd.COLS):
                block(xp, wp, acc, t0, o0)
    else:
        _blocks_avx2(xp, wp, acc)


@njit(cache=False)
def _blocks_avx2(xp, wp, acc):
    for t0 in range(0, acc.shape[0], simd.ROWS):
        for o0 in range(0, acc.shape[1], simd.COLS):
            simd.pair_block(xp, wp, acc, t0, o0)


@settings(max_examples=40)
@given(generators(), st.data())
def test_synthesis_into_the_packed_layout(case, data):
    gen, code, head, n_rows = case
    fan_in = gen.heads[head].out_features
    if n_rows % simd.COLS:
        n_rows = simd.COLS
        gen.embeddings = np.resize(gen.embeddings, (n_rows, gen.d_emb)).astype(np.int8)
    if fan_in % 2:
        return
    rows = ref_synth.synthesize_layer(gen, code, head, n_rows)
    blobs = Blobs()
    lay = fast_synth.pack_generator(gen, blobs)
    weights, params = blobs.finish()
    out = np.empty((n_rows, fan_in), np.int8)
    fast_synth.synthesize_rows(lay.fcs, weights, params, lay.n_mlp, lay.d_code, lay.emb_offset,
                               head, code, np.zeros(fast_synth.workspace_size(gen), np.int8),
                               out, True)
    expected = np.empty((fan_in // 2, 2 * n_rows), np.int8)
    simd.pack_weights(rows, expected)
    assert_same(out.reshape(expected.shape), expected, "packed synthesis")
