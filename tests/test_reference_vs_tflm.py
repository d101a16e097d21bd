"""The NumPy reference kernels agree byte for byte with TFLite Micro.

Each test builds a one-op ``.tflite`` with :class:`mcusim.tflite.builder.GraphBuilder`,
runs it on TFLM's Python interpreter (the oracle) and compares with the
reference kernel fed the parameters :mod:`mcusim.reference.quant` derives from
the same float scales. Shapes, scales (1e-5 .. 10), zero points, values and
activations are drawn by hypothesis, biased toward the edges: T = 1, C = 1,
kernel longer than the input, stride longer than the kernel, dilation 2-3,
-128/127 inputs, int32-extreme biases, multipliers that flush to zero or shift
left far enough for the int32 arithmetic to wrap.
"""

import numpy as np
from int8data import int8_values
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("tflite_micro", reason="the TFLite Micro oracle (pip install tflite-micro) "
                                           "is not installed")

from mcusim.reference import ops  # noqa: E402
from mcusim.reference.quant import (  # noqa: E402
    INT32_MAX,
    INT32_MIN,
    activation_range,
    add_requant,
    conv_requant,
    fc_requant,
    quantize_multiplier,
)
from mcusim.tflite import invoke  # noqa: E402
from mcusim.tflite.builder import GraphBuilder  # noqa: E402

EXAMPLES = 250  # per op; the whole file stays well under a minute


# Strategies ---------------------------------------------------------------

scales = st.one_of(
    st.floats(min_value=-5.0, max_value=1.0).map(lambda e: float(10.0 ** e)),
    # extremes, the relu6 float32 trap (2.4), and powers of two, whose exact
    # multipliers (2**30) put the double rounding on its ties
    st.sampled_from([1e-5, 10.0, 2.4, 2.0**-7, 0.25, 0.5, 1.0, 2.0]),
)
zero_points = st.one_of(st.integers(-128, 127), st.sampled_from([-128, 0, 127]))
activations = st.sampled_from(["none", "relu", "relu6"])
paddings = st.sampled_from(["same", "valid"])
seeds = st.integers(0, 2**32 - 1)


def int32_bias(rng, n, kind):
    if kind == "small":
        return rng.integers(-(1 << 12), 1 << 12, n).astype(np.int32)
    if kind == "extreme":
        return rng.choice(np.array([INT32_MIN, INT32_MAX, 0], dtype=np.int32), n)
    return rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True).astype(np.int32)


value_kinds = st.sampled_from(["uniform", "uniform", "extremes", "constant"])
bias_kinds = st.sampled_from(["small", "small", "full", "extreme"])


@st.composite
def windows(draw, max_len=24, dilated=True):
    """(length, kernel, stride, dilation, padding) with at least one output."""
    length = draw(st.integers(1, max_len))
    kernel = draw(st.integers(1, 7))
    stride = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 3)) if dilated else 1
    padding = draw(paddings)
    if padding == "valid" and (kernel - 1) * dilation + 1 > length:
        padding = "same"  # valid needs the (dilated) kernel to fit
    return length, kernel, stride, dilation, padding


# Helpers ------------------------------------------------------------------

def assert_bytes_equal(reference, tflm, what):
    reference, tflm = np.asarray(reference), np.asarray(tflm)
    assert reference.shape == tflm.shape, (
        f"{what}: reference shape {reference.shape} != TFLM shape {tflm.shape}")
    assert reference.dtype == tflm.dtype, f"{what}: dtype {reference.dtype} != {tflm.dtype}"
    mismatches = np.argwhere(reference != tflm)
    if mismatches.size:
        first = tuple(int(i) for i in mismatches[0])
        raise AssertionError(
            f"{what}: {len(mismatches)} of {tflm.size} values differ; first at index "
            f"{first}: reference (actual) {reference[first]}, TFLM (expected) {tflm[first]}")


def run_single(builder, inputs):
    return invoke(builder.build(), inputs)[0]


def as_nhwc(x):
    return x.reshape(1, 1, *x.shape)


# Convolutions --------------------------------------------------------------

@given(win=windows(), c_in=st.integers(1, 5), c_out=st.integers(1, 5),
       in_scale=scales, out_scale=scales, in_zp=zero_points, out_zp=zero_points,
       w_scales=st.lists(scales, min_size=5, max_size=5), act=activations,
       x_kind=value_kinds, w_kind=value_kinds, b_kind=bias_kinds, seed=seeds)
@settings(max_examples=EXAMPLES, deadline=None)
def test_conv(win, c_in, c_out, in_scale, out_scale, in_zp, out_zp, w_scales, act,
              x_kind, w_kind, b_kind, seed):
    length, kernel, stride, dilation, padding = win
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, c_in), x_kind)
    w = int8_values(rng, (c_out, kernel, c_in), w_kind)
    bias = int32_bias(rng, c_out, b_kind)
    w_scales = w_scales[:c_out]

    g = GraphBuilder()
    g.input("x", length=length, channels=c_in, scale=in_scale, zero_point=in_zp)
    g.output(g.conv1d("y", "x", w, bias, w_scales, out_scale, out_zp, stride=stride,
                      dilation=dilation, padding=padding, activation=act))
    tflm = run_single(g, [as_nhwc(x)])

    mult, shift = conv_requant(in_scale, w_scales, out_scale)
    lo, hi = activation_range(act, out_scale, out_zp)
    ref = ops.conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi,
                   stride=stride, dilation=dilation, padding=padding)
    assert_bytes_equal(as_nhwc(ref), tflm, "CONV_2D")


@given(length=st.integers(1, 24), c_in=st.integers(1, 6), c_out=st.integers(1, 6),
       in_scale=scales, out_scale=scales, in_zp=zero_points, out_zp=zero_points,
       w_scales=st.lists(scales, min_size=6, max_size=6), act=activations,
       x_kind=value_kinds, w_kind=value_kinds, b_kind=bias_kinds, seed=seeds)
@settings(max_examples=EXAMPLES // 2, deadline=None)
def test_pw_conv(length, c_in, c_out, in_scale, out_scale, in_zp, out_zp, w_scales, act,
                 x_kind, w_kind, b_kind, seed):
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, c_in), x_kind)
    w = int8_values(rng, (c_out, c_in), w_kind)
    bias = int32_bias(rng, c_out, b_kind)
    w_scales = w_scales[:c_out]

    g = GraphBuilder()
    g.input("x", length=length, channels=c_in, scale=in_scale, zero_point=in_zp)
    g.output(g.pointwise_conv1d("y", "x", w, bias, w_scales, out_scale, out_zp,
                                activation=act))
    tflm = run_single(g, [as_nhwc(x)])

    mult, shift = conv_requant(in_scale, w_scales, out_scale)
    lo, hi = activation_range(act, out_scale, out_zp)
    ref = ops.pw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi)
    assert_bytes_equal(as_nhwc(ref), tflm, "CONV_2D 1x1")


@given(win=windows(), channels=st.integers(1, 6),
       in_scale=scales, out_scale=scales, in_zp=zero_points, out_zp=zero_points,
       w_scales=st.lists(scales, min_size=6, max_size=6), act=activations,
       x_kind=value_kinds, w_kind=value_kinds, b_kind=bias_kinds, seed=seeds)
@settings(max_examples=EXAMPLES, deadline=None)
def test_dw_conv(win, channels, in_scale, out_scale, in_zp, out_zp, w_scales, act,
                 x_kind, w_kind, b_kind, seed):
    length, kernel, stride, dilation, padding = win
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (length, channels), x_kind)
    w = int8_values(rng, (kernel, channels), w_kind)
    bias = int32_bias(rng, channels, b_kind)
    w_scales = w_scales[:channels]

    g = GraphBuilder()
    g.input("x", length=length, channels=channels, scale=in_scale, zero_point=in_zp)
    g.output(g.depthwise_conv1d("y", "x", w, bias, w_scales, out_scale, out_zp,
                                stride=stride, dilation=dilation, padding=padding,
                                activation=act))
    tflm = run_single(g, [as_nhwc(x)])

    mult, shift = conv_requant(in_scale, w_scales, out_scale)
    lo, hi = activation_range(act, out_scale, out_zp)
    ref = ops.dw_conv(x, w, bias, mult, shift, in_zp, out_zp, lo, hi,
                      stride=stride, dilation=dilation, padding=padding)
    assert_bytes_equal(as_nhwc(ref), tflm, "DEPTHWISE_CONV_2D")


def fc_bias_scale_accepted(in_scale, w_scale, out_scale):
    """TFLM's per-tensor FULLY_CONNECTED prepare requires
    |in*w - bias_scale| / out <= 0.02 (GetQuantizedConvolutionMultipler). The
    builder writes bias_scale = float32(in*w), so this only fails when in*w/out
    is astronomically large (> ~6e5); such a model is rejected, not miscomputed."""
    f = np.float32
    product = float(f(in_scale)) * float(f(w_scale))
    return abs(product - float(f(product))) / float(f(out_scale)) <= 0.02


@given(rows=st.integers(1, 4), n_in=st.integers(1, 32), n_out=st.integers(1, 8),
       in_scale=scales, w_scale=scales, out_scale=scales, in_zp=zero_points,
       out_zp=zero_points, act=activations, x_kind=value_kinds, w_kind=value_kinds,
       b_kind=bias_kinds, seed=seeds)
@settings(max_examples=EXAMPLES, deadline=None)
def test_fully_connected(rows, n_in, n_out, in_scale, w_scale, out_scale, in_zp, out_zp,
                         act, x_kind, w_kind, b_kind, seed):
    assume(fc_bias_scale_accepted(in_scale, w_scale, out_scale))
    rng = np.random.default_rng(seed)
    x = int8_values(rng, (rows, n_in), x_kind)
    w = int8_values(rng, (n_out, n_in), w_kind)
    bias = int32_bias(rng, n_out, b_kind)

    g = GraphBuilder()
    g.input("x", shape=(rows, n_in), scale=in_scale, zero_point=in_zp)
    g.output(g.fully_connected("y", "x", w, bias, w_scale, out_scale, out_zp, activation=act))
    tflm = run_single(g, [x])

    mult, shift = fc_requant(in_scale, w_scale, out_scale)
    lo, hi = activation_range(act, out_scale, out_zp)
    ref = ops.fully_connected(x, w, bias, mult, shift, in_zp, out_zp, lo, hi)
    assert_bytes_equal(ref, tflm, "FULLY_CONNECTED")


# Pooling ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["avg", "max"])
@given(win=windows(dilated=False), channels=st.integers(1, 6), scale=scales,
       zp=zero_points, act=activations, x_kind=value_kinds, seed=seeds)
@settings(max_examples=EXAMPLES // 2, deadline=None)
def test_pool(kind, win, channels, scale, zp, act, x_kind, seed):
    length, kernel, stride, _, padding = win
    x = int8_values(np.random.default_rng(seed), (length, channels), x_kind)

    g = GraphBuilder()
    g.input("x", length=length, channels=channels, scale=scale, zero_point=zp)
    pool = g.avg_pool1d if kind == "avg" else g.max_pool1d
    g.output(pool("y", "x", kernel, stride, padding, activation=act))
    tflm = run_single(g, [as_nhwc(x)])

    lo, hi = activation_range(act, scale, zp)
    ref_pool = ops.avg_pool if kind == "avg" else ops.max_pool
    ref = ref_pool(x, kernel, stride, padding, lo, hi)
    assert_bytes_equal(as_nhwc(ref), tflm, f"{kind.upper()}_POOL_2D")


@given(length=st.integers(1, 64), channels=st.integers(1, 8), scale=scales,
       zp=zero_points, act=activations, x_kind=value_kinds, seed=seeds)
@settings(max_examples=EXAMPLES // 2, deadline=None)
def test_global_avg_pool(length, channels, scale, zp, act, x_kind, seed):
    x = int8_values(np.random.default_rng(seed), (length, channels), x_kind)

    g = GraphBuilder()
    g.input("x", length=length, channels=channels, scale=scale, zero_point=zp)
    g.output(g.global_avg_pool("y", "x", activation=act))
    tflm = run_single(g, [as_nhwc(x)])

    lo, hi = activation_range(act, scale, zp)
    ref = ops.global_avg_pool(x, lo, hi)
    assert ref.shape == (1, channels)
    assert_bytes_equal(as_nhwc(ref), tflm, "AVERAGE_POOL_2D (global)")


def test_avg_pool_rounds_negative_ties_away_from_zero():
    # windows sum to -3 and +3 over 2 elements: -1.5 -> -2, +1.5 -> 2
    x = np.array([[-1, 1], [-2, 2]], dtype=np.int8)
    g = GraphBuilder()
    g.input("x", length=2, channels=2, scale=0.1, zero_point=0)
    g.output(g.avg_pool1d("y", "x", 2, 2, "valid"))
    tflm = run_single(g, [as_nhwc(x)])
    ref = ops.avg_pool(x, 2, 2, "valid", -128, 127)
    assert ref.tolist() == [[-2, 2]]
    assert_bytes_equal(as_nhwc(ref), tflm, "AVERAGE_POOL_2D")


# ADD and ARG_MAX ----------------------------------------------------------

@given(length=st.integers(1, 16), channels=st.integers(1, 6), a_scale=scales,
       b_scale=scales, out_scale=scales, a_zp=zero_points, b_zp=zero_points,
       out_zp=zero_points, act=activations, a_kind=value_kinds, b_kind=value_kinds,
       seed=seeds)
@settings(max_examples=EXAMPLES, deadline=None)
def test_add(length, channels, a_scale, b_scale, out_scale, a_zp, b_zp, out_zp, act,
             a_kind, b_kind, seed):
    # TFLM aborts (TFLITE_CHECK) when out_scale <= max(a, b) / 2**19: not a model.
    try:
        p = add_requant(a_scale, b_scale, out_scale)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(seed)
    a = int8_values(rng, (length, channels), a_kind)
    b = int8_values(rng, (length, channels), b_kind)

    g = GraphBuilder()
    g.input("a", length=length, channels=channels, scale=a_scale, zero_point=a_zp)
    g.input("b", length=length, channels=channels, scale=b_scale, zero_point=b_zp)
    g.output(g.add("y", "a", "b", out_scale, out_zp, activation=act))
    tflm = invoke(g.build(), [as_nhwc(a), as_nhwc(b)])[0]

    lo, hi = activation_range(act, out_scale, out_zp)
    ref = ops.add(a, b, a_zp, p.a_mult, p.a_shift, b_zp, p.b_mult, p.b_shift,
                  out_zp, p.out_mult, p.out_shift, lo, hi)
    assert_bytes_equal(as_nhwc(ref), tflm, "ADD")


@given(channels=st.integers(1, 16), values=st.sampled_from(["uniform", "ties", "extremes"]),
       seed=seeds)
@settings(max_examples=EXAMPLES // 2, deadline=None)
def test_argmax(channels, values, seed):
    rng = np.random.default_rng(seed)
    if values == "ties":
        x = rng.choice(np.array([-5, 3, 3], dtype=np.int8), (1, channels))
    else:
        x = int8_values(rng, (1, channels), values)

    g = GraphBuilder()
    g.input("x", shape=(1, channels), scale=0.1, zero_point=0)
    g.output(g.argmax("y", "x"))
    tflm = run_single(g, [x])

    assert tflm.dtype == np.int32 and tflm.shape == (1,)
    ref = ops.argmax(x)
    assert ref == int(tflm[0]), f"ARG_MAX: reference {ref}, TFLM {int(tflm[0])} for {x}"


# Targeted cases: each proves a rule that a plausible alternative would break --

# float32 scales whose product rounds differently in float32 and in double, and
# an accumulator (+-6037) at which the two multipliers give different bytes
# (found by search).
PRODUCT_SCALES = (0.0008496614173054695, 0.09886052459478378, 0.03756808489561081)


def float32_product_requant(in_scale, w_scale, out_scale):
    """The alternative formula TFLM's source suggests for FULLY_CONNECTED."""
    f = np.float32
    return quantize_multiplier(float(f(in_scale) * f(w_scale)) / float(f(out_scale)))


@pytest.mark.parametrize("op", ["fully_connected", "conv"])
def test_multiplier_product_precision(op):
    """Both FULLY_CONNECTED and CONV_2D form input*weight scale in double:
    the reference matches TFLM, and a float32 product (what TFLM's source for
    GetQuantizedConvolutionMultipler reads) changes an output byte, so the
    test tells the two apart."""
    in_scale, w_scale, out_scale = PRODUCT_SCALES
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    bias = np.array([6037], dtype=np.int32)       # x = 0 row: acc = 6037
    w = np.array([[1]], dtype=np.int8)
    if op == "fully_connected":
        right = fc_requant(in_scale, w_scale, out_scale)
    else:
        mult, shift = conv_requant(in_scale, [w_scale], out_scale)
        right = (int(mult[0]), int(shift[0]))
    wrong = float32_product_requant(in_scale, w_scale, out_scale)
    assert right != wrong

    g = GraphBuilder()
    if op == "fully_connected":
        g.input("x", shape=(256, 1), scale=in_scale, zero_point=0)
        g.output(g.fully_connected("y", "x", w, bias, w_scale, out_scale, 0))
        tflm = run_single(g, [x])

        def ref(params):
            return ops.fully_connected(x, w, bias, *params, 0, 0, -128, 127)
    else:
        g.input("x", length=256, channels=1, scale=in_scale, zero_point=0)
        g.output(g.conv1d("y", "x", w[:, None, :], bias, [w_scale], out_scale, 0))
        tflm = run_single(g, [as_nhwc(x)])

        def ref(params):
            return as_nhwc(ops.conv(x, w[:, None, :], bias, *params, 0, 0, -128, 127))
    assert_bytes_equal(ref(right), tflm, op)
    assert (ref(wrong) != tflm).any()


@pytest.mark.parametrize("ratio_log2", [-1, -2, -3, -9])
def test_requantization_double_rounding_ties(ratio_log2):
    """At power-of-two scale ratios the multiplier is exactly 2**30 and both
    roundings hit ties: SRDHM rounds them toward +inf (-2.5 -> -2), RDBPOT away
    from zero (-1.5 -> -2). E.g. acc -5 at ratio 1/4: TFLM gives -1 where a
    single rounding of -1.25 also gives -1 but SRDHM-ties-away would give -2."""
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    w = np.array([[1]], dtype=np.int8)
    bias = np.zeros(1, dtype=np.int32)
    in_scale, w_scale, out_scale = 1.0, 2.0 ** ratio_log2, 1.0
    g = GraphBuilder()
    g.input("x", shape=(256, 1), scale=in_scale, zero_point=0)
    g.output(g.fully_connected("y", "x", w, bias, w_scale, out_scale, 0))
    tflm = run_single(g, [x])
    mult, shift = fc_requant(in_scale, w_scale, out_scale)
    assert mult == 1 << 30
    ref = ops.fully_connected(x, w, bias, mult, shift, 0, 0, -128, 127)
    assert_bytes_equal(ref, tflm, "FULLY_CONNECTED")


def test_relu6_bound_uses_float32_division():
    """relu6 upper bound at scale 2.4: float32(6)/float32(2.4) is exactly 2.5 -> 3
    (a double division gives 2.4999999 -> 2)."""
    x = np.array([[3], [2], [127]], dtype=np.int8)
    g = GraphBuilder()
    g.input("x", length=3, channels=1, scale=2.4, zero_point=0)
    g.output(g.max_pool1d("y", "x", 1, 1, "valid", activation="relu6"))
    tflm = run_single(g, [as_nhwc(x)])
    lo, hi = activation_range("relu6", 2.4, 0)
    assert (lo, hi) == (0, 3)
    assert_bytes_equal(as_nhwc(ops.max_pool(x, 1, 1, "valid", lo, hi)), tflm, "MAX_POOL_2D")


def test_conv_int32_arithmetic_wraps_like_tflm():
    """Accumulator + bias overflows int32, and a large multiplier's left shift
    overflows again: both wrap modulo 2**32 in TFLM, and in the reference."""
    w = np.full((1, 1, 1), 127, dtype=np.int8)
    x = np.array([[127], [-128], [1], [0]], dtype=np.int8)
    bias = np.array([INT32_MAX - 100], dtype=np.int32)
    in_scale, w_scale, out_scale = 10.0, 10.0, 1e-5  # multiplier ~1e7: shift 24
    g = GraphBuilder()
    g.input("x", length=4, channels=1, scale=in_scale, zero_point=-128)
    g.output(g.conv1d("y", "x", w, bias, [w_scale], out_scale, 0))
    tflm = run_single(g, [as_nhwc(x)])
    mult, shift = conv_requant(in_scale, [w_scale], out_scale)
    assert shift[0] > 20
    ref = ops.conv(x, w, bias, mult, shift, -128, 0, -128, 127)
    assert_bytes_equal(as_nhwc(ref), tflm, "CONV_2D")
    # Saturating instead of wrapping would pin every output to +127 or -128 by
    # the sign of the true value; wrapping does not.
    assert len(set(ref.ravel().tolist())) > 1


def test_output_zero_point_addition_wraps():
    """MBQM can return INT32_MAX - 1 (multiplier INT32_MAX, shift 0: float32
    scales 1 + 181 * 2**-23 and 1 - 362 * 2**-24 multiply to 1 - ~2**-31);
    adding a positive output zero point then wraps to a large negative value,
    which clamps to -128 where a saturating add would give 127. TFLM wraps."""
    in_scale, w_scale = 1 + 181 * 2.0**-23, 1 - 362 * 2.0**-24
    mult, shift = conv_requant(in_scale, [w_scale], 1.0)
    assert (int(mult[0]), int(shift[0])) == (INT32_MAX, 0)
    x = np.array([[0], [1], [-1]], dtype=np.int8)
    w = np.ones((1, 1, 1), dtype=np.int8)
    bias = np.array([INT32_MAX - 1], dtype=np.int32)
    g = GraphBuilder()
    g.input("x", length=3, channels=1, scale=in_scale, zero_point=0)
    g.output(g.conv1d("y", "x", w, bias, [w_scale], 1.0, 5))
    tflm = run_single(g, [as_nhwc(x)])
    ref = ops.conv(x, w, bias, mult, shift, 0, 5, -128, 127)
    assert ref.ravel().tolist() == [-128, -128, -128]
    assert_bytes_equal(as_nhwc(ref), tflm, "CONV_2D")


def test_conv_multiplier_flushed_to_zero():
    """in*w/out = 1e-11 < 2**-32: multiplier (0, 0); every output is out_zp."""
    w = np.full((2, 3, 2), 127, dtype=np.int8)
    x = np.full((5, 2), 127, dtype=np.int8)
    bias = np.array([INT32_MAX, INT32_MIN], dtype=np.int32)
    g = GraphBuilder()
    g.input("x", length=5, channels=2, scale=1e-5, zero_point=-128)
    g.output(g.conv1d("y", "x", w, bias, [1e-5, 1e-5], 10.0, 17))
    tflm = run_single(g, [as_nhwc(x)])
    mult, shift = conv_requant(1e-5, [1e-5, 1e-5], 10.0)
    assert mult.tolist() == [0, 0] and shift.tolist() == [0, 0]
    ref = ops.conv(x, w, bias, mult, shift, -128, 17, -128, 127)
    assert (ref == 17).all()
    assert_bytes_equal(as_nhwc(ref), tflm, "CONV_2D")


# A whole network, chained by name --------------------------------------------

@given(seed=seeds)
@settings(max_examples=10, deadline=None)
def test_small_network_end_to_end(seed):
    """conv -> depthwise -> pointwise -> residual add -> max pool -> global
    average pool -> dense -> argmax, built in one graph: every intermediate
    shape and quantization the builder derives, and every op, matches the
    reference chain; both graph outputs (logits and class) are compared."""
    rng = np.random.default_rng(seed)
    length, c_in, ch, n_cls = 21, 2, 4, 3
    s_x, s_c, s_d, s_p, s_a, s_f = 0.02, 0.05, 0.04, 0.06, 0.08, 0.1
    z_x, z_c, z_d, z_p, z_a, z_f = 3, -128, -128, 5, -7, 2

    def i8(*shape):
        return rng.integers(-127, 128, shape).astype(np.int8)

    def i32(n):
        return rng.integers(-2000, 2000, n).astype(np.int32)

    x = i8(length, c_in)
    w_c, b_c, ws_c = i8(ch, 5, c_in), i32(ch), rng.uniform(0.002, 0.02, ch)
    w_d, b_d, ws_d = i8(3, ch), i32(ch), rng.uniform(0.002, 0.02, ch)
    w_p, b_p, ws_p = i8(ch, ch), i32(ch), rng.uniform(0.002, 0.02, ch)
    w_f, b_f, ws_f = i8(n_cls, ch), i32(n_cls), 0.01

    g = GraphBuilder("end-to-end test")
    g.input("x", length=length, channels=c_in, scale=s_x, zero_point=z_x)
    g.conv1d("conv", "x", w_c, b_c, ws_c, s_c, z_c, stride=2, padding="same", activation="relu")
    g.depthwise_conv1d("dw", "conv", w_d, b_d, ws_d, s_d, z_d, dilation=2, activation="relu6")
    g.pointwise_conv1d("pw", "dw", w_p, b_p, ws_p, s_p, z_p)
    g.add("res", "pw", "conv", s_a, z_a, activation="relu")
    g.max_pool1d("pool", "res", 2, 2, "valid")
    g.global_avg_pool("gap", "pool")
    g.output(g.fully_connected("fc", "gap", w_f, b_f, ws_f, s_f, z_f))
    g.output(g.argmax("cls", "fc"))
    assert g.info("conv").shape == (1, 1, 11, ch)
    logits, cls = invoke(g.build(), [as_nhwc(x)], n_outputs=2)

    r = ops.conv(x, w_c, b_c, *conv_requant(s_x, ws_c, s_c), z_x, z_c,
                 *activation_range("relu", s_c, z_c), stride=2, padding="same")
    conv_out = r
    r = ops.dw_conv(r, w_d, b_d, *conv_requant(s_c, ws_d, s_d), z_c, z_d,
                    *activation_range("relu6", s_d, z_d), dilation=2)
    r = ops.pw_conv(r, w_p, b_p, *conv_requant(s_d, ws_p, s_p), z_d, z_p,
                    *activation_range("none", s_p, z_p))
    p = add_requant(s_p, s_c, s_a)
    r = ops.add(r, conv_out, z_p, p.a_mult, p.a_shift, z_c, p.b_mult, p.b_shift,
                z_a, p.out_mult, p.out_shift, *activation_range("relu", s_a, z_a))
    r = ops.max_pool(r, 2, 2, "valid", -128, 127)
    r = ops.global_avg_pool(r, -128, 127)
    r = ops.fully_connected(r, w_f, b_f, *fc_requant(s_a, ws_f, s_f), z_a, z_f, -128, 127)
    assert_bytes_equal(r, logits, "network logits")
    assert ops.argmax(r) == int(cls[0])


@pytest.mark.parametrize("length, kernel, stride, dilation, padding, out, pad", [
    (10, 3, 2, 1, "same", 5, 0),
    (10, 4, 1, 1, "same", 10, 1),
    (10, 3, 1, 2, "valid", 6, 0),
    (3, 7, 1, 1, "same", 3, 3),
    (5, 1, 3, 1, "same", 2, 0),
    (4, 5, 1, 1, "valid", 0, 0),
])
def test_geometry_examples_of_docs_semantics(length, kernel, stride, dilation, padding, out, pad):
    assert ops.out_length(length, kernel, stride, dilation, padding) == out
    assert ops.padding_before(length, kernel, stride, dilation, padding) == pad


def test_op_examples_of_docs_semantics():
    x = np.array([[-1], [-2], [3], [4], [5]], dtype=np.int8)
    assert ops.avg_pool(x, 2, 2, "same", -128, 127).ravel().tolist() == [-2, 4, 5]
    p = add_requant(0.1, 0.2, 0.3)
    y = ops.add(np.array([[50]], np.int8), np.array([[-20]], np.int8), 3, p.a_mult, p.a_shift,
                -5, p.b_mult, p.b_shift, 2, p.out_mult, p.out_shift, -128, 127)
    assert y.tolist() == [[8]]
    with pytest.raises(ValueError):
        ops.out_length(10, 3, 1, 1, 1)  # padding given as an int, not "same"/"valid"
