"""Numba int8 kernels: the compiled twins of :mod:`mcusim.reference.ops`.

Same names, same integer results byte for byte (``tests/test_interp_ops.py``
compares them on hypothesis-generated shapes and values). The differences are
only in the calling convention:

* the result is written into ``out`` (a view into the executor's arena, of the
  planned shape) instead of being returned; :func:`argmax` returns the index;
* ``padding`` is an int, :class:`mcusim.format.spec.Padding` (0 valid, 1 same);
* for :func:`fully_connected`, ``mult``/``shift`` are scalars.

Arrays are C-contiguous, shapes are consistent: the format reader checked them
when the model was loaded. Kernels validate nothing and never raise.

Accumulation is in int32, which wraps exactly like TFLM's int32 accumulator;
sums and products are cast back to int32 at each step because Numba would
otherwise widen them to int64 (the casts also let LLVM use 16-bit
multiply-add instructions).
"""

from __future__ import annotations

import numpy as np

from mcusim.interp.config import kernel
from mcusim.interp.quant import multiply_by_quantized_multiplier, requantize

ADD_LEFT_SHIFT = 20  # == mcusim.reference.quant.ADD_LEFT_SHIFT
SAME = 1             # == mcusim.format.spec.Padding.SAME


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------

@kernel
def out_length(length, kernel_size, stride, dilation, padding):
    """Output length of a windowed op (TFLite ``ComputeOutSize``)."""
    eff = (kernel_size - 1) * dilation + 1
    if padding == SAME:
        return (length + stride - 1) // stride
    n = (length + stride - eff) // stride
    return n if n > 0 else 0


@kernel
def padding_before(length, kernel_size, stride, dilation, padding):
    """Padding in front of the first element (TFLite ``ComputePaddingWithOffset``)."""
    eff = (kernel_size - 1) * dilation + 1
    out = out_length(length, kernel_size, stride, dilation, padding)
    total = (out - 1) * stride + eff - length
    return total // 2 if total > 0 else 0


@kernel
def _requantize_row(acc, bias, mult, shift, out_zp, act_min, act_max, out_row):
    """``out_row[c] = requantize(wrap32(acc[c] + bias[c]), mult[c], shift[c], ...)``."""
    for c in range(out_row.shape[0]):
        a = np.int32(acc[c] + bias[c])
        out_row[c] = requantize(a, mult[c], shift[c], out_zp, act_min, act_max)


# --------------------------------------------------------------------------
# Convolutions and dense layers
# --------------------------------------------------------------------------

@kernel
def conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, stride, dilation,
         padding, out):
    """1-D convolution, ``w`` int8 ``[Cout, K, Cin]``, per-channel requantization."""
    length, c_in = x.shape
    c_out, k_size, _ = w.shape
    pad = padding_before(length, k_size, stride, dilation, padding)
    # [K, Cin, Cout]: the innermost loop runs over output channels.
    wt = np.empty((k_size, c_in, c_out), np.int16)
    for o in range(c_out):
        for k in range(k_size):
            for c in range(c_in):
                wt[k, c, o] = w[o, k, c]
    acc = np.empty(c_out, np.int32)
    for t in range(out.shape[0]):
        acc[:] = 0
        start = t * stride - pad
        for k in range(k_size):
            i = start + k * dilation
            if i < 0 or i >= length:
                continue
            for c in range(c_in):
                xv = np.int32(np.int32(x[i, c]) - in_zp)
                wrow = wt[k, c]
                for o in range(c_out):
                    acc[o] = np.int32(acc[o] + xv * np.int32(wrow[o]))
        _requantize_row(acc, bias, mult, shift, out_zp, act_min, act_max, out[t])


@kernel
def dw_conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, stride, dilation,
            padding, out):
    """Depthwise 1-D convolution, depth multiplier 1, ``w`` int8 ``[K, C]``."""
    length, channels = x.shape
    k_size = w.shape[0]
    pad = padding_before(length, k_size, stride, dilation, padding)
    acc = np.empty(channels, np.int32)
    for t in range(out.shape[0]):
        acc[:] = 0
        start = t * stride - pad
        for k in range(k_size):
            i = start + k * dilation
            if i < 0 or i >= length:
                continue
            xrow = x[i]
            wrow = w[k]
            for c in range(channels):
                acc[c] = np.int32(acc[c] + np.int32(np.int32(xrow[c]) - in_zp)
                                  * np.int32(wrow[c]))
        _requantize_row(acc, bias, mult, shift, out_zp, act_min, act_max, out[t])


@kernel
def _dot_rows(xs, w, acc):
    """``acc[o] = sum_c xs[c] * w[o, c]`` (int16 ``xs``, int8 ``w``, int32 wrap)."""
    for o in range(w.shape[0]):
        wrow = w[o]
        s = np.int32(0)
        for c in range(xs.shape[0]):
            s = np.int32(s + np.int32(xs[c]) * np.int32(wrow[c]))
        acc[o] = s


@kernel
def pw_conv(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, out):
    """Pointwise (1x1) convolution, ``w`` int8 ``[Cout, Cin]``, per-channel."""
    length, c_in = x.shape
    xs = np.empty(c_in, np.int16)
    acc = np.empty(w.shape[0], np.int32)
    for t in range(length):
        xrow = x[t]
        for c in range(c_in):
            xs[c] = np.int16(np.int16(xrow[c]) - in_zp)
        _dot_rows(xs, w, acc)
        _requantize_row(acc, bias, mult, shift, out_zp, act_min, act_max, out[t])


@kernel
def fully_connected(x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, out):
    """Dense layer over ``[rows, in]``, ``w`` int8 ``[out, in]``, per-tensor
    (scalar ``mult``/``shift``)."""
    rows, n_in = x.shape
    n_out = w.shape[0]
    xs = np.empty(n_in, np.int16)
    acc = np.empty(n_out, np.int32)
    for r in range(rows):
        xrow = x[r]
        for c in range(n_in):
            xs[c] = np.int16(np.int16(xrow[c]) - in_zp)
        _dot_rows(xs, w, acc)
        orow = out[r]
        for o in range(n_out):
            orow[o] = requantize(np.int32(acc[o] + bias[o]), mult, shift, out_zp,
                                 act_min, act_max)


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------

@kernel
def _clamp8(v, act_min, act_max):
    return np.int8(min(max(v, act_min), act_max))


@kernel
def _window(t, stride, pad, kernel_size, length):
    """The in-bounds input range [lo, hi) of pooling output ``t``."""
    start = t * stride - pad
    return max(start, 0), min(start + kernel_size, length)


@kernel
def avg_pool(x, kernel_size, stride, padding, act_min, act_max, out):
    """Average pooling over time; in-bounds elements only, TFLite's rounding."""
    length, channels = x.shape
    pad = padding_before(length, kernel_size, stride, 1, padding)
    total = np.empty(channels, np.int32)
    for t in range(out.shape[0]):
        lo, hi = _window(t, stride, pad, kernel_size, length)
        total[:] = 0
        for i in range(lo, hi):
            xrow = x[i]
            for c in range(channels):
                total[c] += np.int32(xrow[c])
        count = hi - lo
        half = count // 2
        orow = out[t]
        for c in range(channels):
            s = total[c]
            # C truncating division of (s +- half) by count
            if s > 0:
                avg = (s + half) // count
            else:
                avg = -((half - s) // count)
            orow[c] = _clamp8(avg, act_min, act_max)


@kernel
def max_pool(x, kernel_size, stride, padding, act_min, act_max, out):
    """Max pooling over time; in-bounds elements only, then the clamp."""
    length, channels = x.shape
    pad = padding_before(length, kernel_size, stride, 1, padding)
    best = np.empty(channels, np.int32)
    for t in range(out.shape[0]):
        lo, hi = _window(t, stride, pad, kernel_size, length)
        best[:] = -128  # an empty window (an invalid layer) gives the clamp of -128
        for i in range(lo, hi):
            xrow = x[i]
            for c in range(channels):
                best[c] = max(best[c], np.int32(xrow[c]))
        orow = out[t]
        for c in range(channels):
            orow[c] = _clamp8(best[c], act_min, act_max)


@kernel
def global_avg_pool(x, act_min, act_max, out):
    """Mean over all time steps -> ``out`` ``[1, C]``."""
    length = x.shape[0]
    avg_pool(x, length, length, 0, act_min, act_max, out)


# --------------------------------------------------------------------------
# Elementwise and heads
# --------------------------------------------------------------------------

@kernel
def _add_table(zp, mult, shift, table):
    """``table[v + 128] = MBQM((v - zp) * 2**20, mult, shift)`` for every int8 ``v``:
    an ADD input's rescaled value depends on its int8 value alone."""
    for v in range(-128, 128):
        table[v + 128] = multiply_by_quantized_multiplier((v - zp) << ADD_LEFT_SHIFT, mult,
                                                          shift)


@kernel
def add(a, b, a_zp, a_mult, a_shift, b_zp, b_mult, b_shift, out_zp, out_mult, out_shift,
        act_min, act_max, out):
    """Elementwise int8 ADD with TFLite's rescaling. The inputs'
    rescaling is looked up in two 256-entry tables (computed with the same
    arithmetic); the sums are gathered first and requantized in a second,
    vectorizable loop."""
    table_a = np.empty(256, np.int32)
    table_b = np.empty(256, np.int32)
    _add_table(a_zp, a_mult, a_shift, table_a)
    _add_table(b_zp, b_mult, b_shift, table_b)
    fa = a.reshape(a.size)
    fb = b.reshape(b.size)
    fo = out.reshape(out.size)
    sums = np.empty(fo.shape[0], np.int32)
    for i in range(fo.shape[0]):
        sums[i] = table_a[np.int32(fa[i]) + 128] + table_b[np.int32(fb[i]) + 128]
    for i in range(fo.shape[0]):
        fo[i] = requantize(sums[i], out_mult, out_shift, out_zp, act_min, act_max)


@kernel
def argmax(x):
    """Index of the largest value of ``x`` (any shape, read flat); ties go to
    the lowest index."""
    flat = x.reshape(x.size)
    best = 0
    for i in range(1, flat.shape[0]):
        if flat[i] > flat[best]:
            best = i
    return best


__all__ = ["out_length", "padding_before", "conv", "dw_conv", "pw_conv", "fully_connected",
           "avg_pool", "max_pool", "global_avg_pool", "add", "argmax"]
