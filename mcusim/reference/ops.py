"""NumPy reference kernels: the definition of what every mcusim int8 op computes.

Written for clarity, not speed: explicit loops over output positions with NumPy
inner products. The Numba interpreter and the C firmware implement the same
functions under the same names and must agree with these byte for byte; these
in turn agree byte for byte with TFLite Micro's reference kernels
(``tests/test_reference_vs_tflm.py``). ``docs/semantics.md`` is the prose
version.

Conventions
-----------
* One window's activation is an int8 array ``[T, C]`` (time, channels); TFLite
  lays the same bytes out as ``[1, 1, T, C]`` (NHWC with H = 1).
* Weights are int8 with zero point 0; biases int32; ``mult``/``shift`` come
  from :mod:`mcusim.reference.quant` (positive shift = left shift).
* int32 arithmetic wraps modulo 2**32 exactly where TFLM's int32 arithmetic
  does (accumulator + bias, the requantization left shift, + output zero
  point), then the result is clamped to ``[act_min, act_max]``.
* Kernels do not validate shapes or parameters: the caller (format reader,
  interpreter prepare step) checks them once. The one exception is an unknown
  padding string, which raises :class:`ValueError` rather than being read as
  "valid".
"""

from __future__ import annotations

import numpy as np

from mcusim.reference.quant import (
    ADD_LEFT_SHIFT,
    multiply_by_quantized_multiplier,
    wrap_int32,
)

PADDINGS = ("same", "valid")


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------

def out_length(length: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Output length of a windowed op (TFLite ``ComputeOutSize``).

    ``same``: ``ceil(length / stride)``;
    ``valid``: ``floor((length - eff) / stride) + 1`` with
    ``eff = (kernel - 1) * dilation + 1``, or 0 when ``eff > length``
    (no window fits: an invalid layer).
    """
    eff = (kernel - 1) * dilation + 1
    if padding == "same":
        return (length + stride - 1) // stride
    if padding == "valid":
        return max(0, (length + stride - eff) // stride)
    raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")


def padding_before(length: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Padding in front of the first element (TFLite ``ComputePaddingWithOffset``).

    ``total = max(0, (out - 1) * stride + eff - length)``; ``before = total // 2``
    (the odd element, if any, goes after the end). Always 0 for ``valid``.
    """
    eff = (kernel - 1) * dilation + 1
    out = out_length(length, kernel, stride, dilation, padding)
    total = max(0, (out - 1) * stride + eff - length)
    return total // 2


def _window_taps(t: int, length: int, kernel: int, stride: int, dilation: int, pad: int):
    """(tap index k, input index i) pairs of output ``t`` that fall inside the input."""
    start = t * stride - pad
    for k in range(kernel):
        i = start + k * dilation
        if 0 <= i < length:
            yield k, i


def _requantize(acc: np.ndarray, mult, shift, out_zp: int, act_min: int, act_max: int
                ) -> np.ndarray:
    """int32 accumulator (already wrapped) -> int8 output."""
    scaled = multiply_by_quantized_multiplier(acc, mult, shift)
    shifted = wrap_int32(np.asarray(scaled, dtype=np.int64) + int(out_zp))
    return np.clip(shifted, act_min, act_max).astype(np.int8)


# --------------------------------------------------------------------------
# Convolutions and dense layers
# --------------------------------------------------------------------------

def conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, *,
         stride=1, dilation=1, padding="same"):
    """1-D convolution, per-channel requantization (TFLite ``CONV_2D``, 1 x K filter).

    ``x`` int8 ``[T, Cin]``, ``w`` int8 ``[Cout, K, Cin]``, ``bias`` int32
    ``[Cout]``, ``mult``/``shift`` ``[Cout]``. Output ``y`` int8 ``[T_out, Cout]``::

        acc[t, o] = wrap32(bias[o] + sum over in-bounds taps k, channels c of
                           w[o, k, c] * (x[t*stride - pad + k*dilation, c] - in_zp))
        y[t, o]   = clamp(wrap32(MBQM(acc, mult[o], shift[o]) + out_zp), act_min, act_max)

    Out-of-bounds taps are skipped, i.e. "same" padding pads with ``in_zp``.
    """
    x = np.asarray(x)
    w = np.asarray(w, dtype=np.int64)
    length = x.shape[0]
    c_out, kernel, _ = w.shape
    t_out = out_length(length, kernel, stride, dilation, padding)
    pad = padding_before(length, kernel, stride, dilation, padding)
    xs = x.astype(np.int64) - int(in_zp)

    acc = np.zeros((t_out, c_out), dtype=np.int64)
    for t in range(t_out):
        for k, i in _window_taps(t, length, kernel, stride, dilation, pad):
            acc[t] += w[:, k, :] @ xs[i]
    acc = wrap_int32(acc + np.asarray(bias, dtype=np.int64))
    return _requantize(acc, mult, shift, out_zp, act_min, act_max)


def dw_conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, *,
            stride=1, dilation=1, padding="same"):
    """Depthwise 1-D convolution, depth multiplier 1 (TFLite ``DEPTHWISE_CONV_2D``).

    ``x`` int8 ``[T, C]``, ``w`` int8 ``[K, C]``, ``bias``/``mult``/``shift``
    ``[C]``. Output int8 ``[T_out, C]``::

        acc[t, c] = wrap32(bias[c] + sum over in-bounds taps k of
                           w[k, c] * (x[t*stride - pad + k*dilation, c] - in_zp))
    """
    x = np.asarray(x)
    w = np.asarray(w, dtype=np.int64)
    length, channels = x.shape
    kernel = w.shape[0]
    t_out = out_length(length, kernel, stride, dilation, padding)
    pad = padding_before(length, kernel, stride, dilation, padding)
    xs = x.astype(np.int64) - int(in_zp)

    acc = np.zeros((t_out, channels), dtype=np.int64)
    for t in range(t_out):
        for k, i in _window_taps(t, length, kernel, stride, dilation, pad):
            acc[t] += w[k] * xs[i]
    acc = wrap_int32(acc + np.asarray(bias, dtype=np.int64))
    return _requantize(acc, mult, shift, out_zp, act_min, act_max)


def pw_conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max):
    """Pointwise (1x1) convolution: :func:`conv` with ``K = 1``, stride 1.

    ``x`` int8 ``[T, Cin]``, ``w`` int8 ``[Cout, Cin]``; output int8 ``[T, Cout]``.
    Exported as ``CONV_2D`` with a 1x1 filter.
    """
    w = np.asarray(w)
    return conv(x, w[:, None, :], bias, mult, shift, in_zp, out_zp, act_min, act_max,
                stride=1, dilation=1, padding="valid")


def fully_connected(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max):
    """Dense layer, per-tensor requantization (TFLite ``FULLY_CONNECTED``).

    ``x`` int8 ``[rows, in]``, ``w`` int8 ``[out, in]``, ``bias`` int32
    ``[out]``, scalar ``mult``/``shift``. Output int8 ``[rows, out]``::

        acc[r, o] = wrap32(bias[o] + sum_i w[o, i] * (x[r, i] - in_zp))
    """
    x = np.asarray(x)
    w = np.asarray(w, dtype=np.int64)
    xs = x.astype(np.int64) - int(in_zp)
    acc = np.zeros((x.shape[0], w.shape[0]), dtype=np.int64)
    for r in range(x.shape[0]):
        acc[r] = w @ xs[r]
    acc = wrap_int32(acc + np.asarray(bias, dtype=np.int64))
    return _requantize(acc, mult, shift, out_zp, act_min, act_max)


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------

def _pool_windows(length: int, kernel: int, stride: int, padding: str):
    """(lo, hi) input bounds of each output window, clipped to the input."""
    t_out = out_length(length, kernel, stride, 1, padding)
    pad = padding_before(length, kernel, stride, 1, padding)
    for t in range(t_out):
        start = t * stride - pad
        yield max(0, start), min(length, start + kernel)


def _div_round_half_away(total: np.ndarray, count: int) -> np.ndarray:
    """TFLite pooling's division: ``(total +- count/2) / count``, C truncation."""
    half = count // 2
    pos = (total + half) // count
    neg = -((half - total) // count)  # trunc((total - half) / count) for total <= 0
    return np.where(total > 0, pos, neg)


def avg_pool(x, kernel, stride, padding, act_min, act_max):
    """Average pooling over time (TFLite ``AVERAGE_POOL_2D``, 1 x kernel).

    Works on raw int8 values (input and output share scale and zero point, so
    no rescaling). Each window averages only its in-bounds elements ``n``::

        y[t, c] = clamp(round_half_away(sum / n), act_min, act_max)

    where the rounding is TFLite's integer one:
    ``sum > 0 ? (sum + n/2) / n : (sum - n/2) / n`` with C truncating division.
    """
    x = np.asarray(x)
    rows = []
    for lo, hi in _pool_windows(x.shape[0], kernel, stride, padding):
        total = x[lo:hi].astype(np.int64).sum(axis=0)
        rows.append(_div_round_half_away(total, hi - lo))
    out = np.array(rows, dtype=np.int64).reshape(len(rows), x.shape[1])
    return np.clip(out, act_min, act_max).astype(np.int8)


def max_pool(x, kernel, stride, padding, act_min, act_max):
    """Max pooling over time (TFLite ``MAX_POOL_2D``, 1 x kernel); in-bounds
    elements only, then clamp to ``[act_min, act_max]``."""
    x = np.asarray(x)
    rows = [x[lo:hi].max(axis=0) for lo, hi in _pool_windows(x.shape[0], kernel, stride, padding)]
    out = np.array(rows, dtype=np.int64).reshape(len(rows), x.shape[1])
    return np.clip(out, act_min, act_max).astype(np.int8)


def global_avg_pool(x, act_min, act_max):
    """Mean over all ``T`` positions -> ``[1, C]``.

    Defined as :func:`avg_pool` with ``kernel = stride = T``, ``valid``
    padding, and exported as ``AVERAGE_POOL_2D`` with that window.
    """
    length = np.asarray(x).shape[0]
    return avg_pool(x, length, length, "valid", act_min, act_max)


# --------------------------------------------------------------------------
# Elementwise and heads
# --------------------------------------------------------------------------

def add(a, b, a_zp, a_mult, a_shift, b_zp, b_mult, b_shift,
        out_zp, out_mult, out_shift, act_min, act_max):
    """Elementwise int8 addition with rescaling (TFLite ``ADD``), same shapes.

    Parameters from :func:`mcusim.reference.quant.add_requant` (shifts <= 0)::

        a' = MBQM((a - a_zp) * 2**20, a_mult, a_shift)
        b' = MBQM((b - b_zp) * 2**20, b_mult, b_shift)
        y  = clamp(MBQM(a' + b', out_mult, out_shift) + out_zp, act_min, act_max)
    """
    a64 = (np.asarray(a, dtype=np.int64) - int(a_zp)) * (1 << ADD_LEFT_SHIFT)
    b64 = (np.asarray(b, dtype=np.int64) - int(b_zp)) * (1 << ADD_LEFT_SHIFT)
    scaled_a = np.asarray(multiply_by_quantized_multiplier(a64, a_mult, a_shift))
    scaled_b = np.asarray(multiply_by_quantized_multiplier(b64, b_mult, b_shift))
    raw_sum = wrap_int32(scaled_a + scaled_b)
    return _requantize(raw_sum, out_mult, out_shift, out_zp, act_min, act_max)


def argmax(x) -> int:
    """Index of the largest value over the last axis of a ``[1, C]`` or ``[C]``
    int8 array; ties go to the lowest index (TFLite ``ARG_MAX``, int32 output)."""
    row = np.asarray(x).reshape(-1)
    best = 0
    for i in range(1, row.shape[0]):
        if row[i] > row[best]:
            best = i
    return best
