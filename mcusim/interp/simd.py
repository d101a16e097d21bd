"""The pointwise convolution in a SIMD-friendly weight layout: the interpreter's
hot path, with an explicit AVX2 micro-kernel.

LLVM vectorizes :func:`mcusim.interp.ops.pw_conv` (one int16 dot product per
output) with 128-bit multiply-adds and a horizontal sum per output, about 6
multiply-accumulates per cycle. Here the weights are stored *pair-interleaved*,
``wp[c // 2, 2 * o + c % 2] = w[o, c]`` (``[Cin / 2, 2 * Cout]``, the same
bytes as ``[Cout, Cin]``, permuted), so that one 256-bit ``vpmaddwd`` of a
broadcast input pair ``(x[t, c], x[t, c + 1])`` with 16 weights gives the
partial sums of 8 outputs at once, with no horizontal sum. A block of 4 time
steps x 16 outputs keeps 8 accumulators in registers.

The layout applies to layers with an even ``Cin`` and ``Cout`` a multiple of
16, when AVX2 is available (:func:`packable`): :mod:`mcusim.interp.executor`
stores such weights packed (generated kernels are synthesized straight into
the packed layout) and runs them with :func:`pw_conv_packed`; other layers
use :func:`mcusim.interp.ops.pw_conv`.

The micro-kernel is chosen when the module is compiled: the AVX2 intrinsic
when Numba targets a CPU with AVX2 (Numba's on-disk cache is per CPU, so the
choice and the cache agree), else a plain loop with the same results
(:func:`pair_block_generic`), in which case no layer is packed. Each product
``(x - zp) * w`` and each pair sum is exact in int32, and int32 addition wraps
the same in any order, so the results are the reference's bit for bit.
"""

from __future__ import annotations

import platform

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.extending import intrinsic

from mcusim.interp.config import kernel
from mcusim.interp.ops import _requantize_row

ROWS, COLS = 4, 16        # one micro-kernel block: 4 time steps x 16 outputs


def _target_has_avx2() -> bool:
    """Whether the code Numba generates may use AVX2 (its target CPU, not just the host)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if config.CPU_NAME or config.CPU_FEATURES:     # a user-chosen Numba target
        return "+avx2" in (config.CPU_FEATURES or "").split(",")
    from llvmlite import binding
    try:
        return bool(binding.get_host_cpu_features().get("avx2"))
    except RuntimeError:
        return False


HAVE_AVX2 = _target_has_avx2()


def packable(c_in: int, c_out: int) -> bool:
    """Whether a ``[c_out, c_in]`` PW kernel uses the packed layout: the shape
    allows it and the AVX2 micro-kernel is there (the generic one is slower
    than :func:`mcusim.interp.ops.pw_conv`; it exists for tests and so that
    the executor compiles everywhere)."""
    return HAVE_AVX2 and c_in % 2 == 0 and c_out % COLS == 0


@kernel
def pack_weights(w, wp):
    """``wp[c // 2, 2 * o + c % 2] = w[o, c]``: ``w`` int8 ``[Cout, Cin]`` into
    ``wp`` int8 ``[Cin / 2, 2 * Cout]``."""
    c_out, c_in = w.shape
    for o in range(c_out):
        for c in range(c_in):
            wp[c // 2, 2 * o + c % 2] = w[o, c]


@kernel
def pack_row(row, o, c_out, flat):
    """Write output channel ``o``'s weights ``row`` (``[Cin]``) into the packed
    kernel of ``c_out`` outputs, given flat (``[Cin / 2 * 2 * Cout]``)."""
    for c in range(row.shape[0]):
        flat[(c // 2) * 2 * c_out + 2 * o + c % 2] = row[c]


@kernel
def pair_block_generic(xp, wp, acc, t0, o0):
    """``acc[t0 + r, o0 + j] = sum_c xs[t0 + r, c] * w[o0 + j, c]`` for a 4 x 16
    block, where ``xp`` is the int16 input ``xs`` viewed as int32 pairs
    ``[T4, Cin / 2]``. Plain loops; the AVX2 kernel computes the same."""
    pairs = xp.shape[1]
    xs = xp.view(np.int16)
    for r in range(ROWS):
        t = t0 + r
        for j in range(COLS):
            o = o0 + j
            s = np.int32(0)
            for p in range(pairs):
                s = np.int32(s + np.int32(xs[t, 2 * p]) * np.int32(wp[p, 2 * o])
                             + np.int32(xs[t, 2 * p + 1]) * np.int32(wp[p, 2 * o + 1]))
            acc[t, o] = s


@intrinsic
def pair_block_avx2(typingctx, xp, wp, acc, t0, o0):
    """:func:`pair_block_generic` with ``vpmaddwd`` (``llvm.x86.avx2.pmadd.wd``):
    per input pair, two 16-weight loads (sign-extended to int16) serve 4
    broadcast input pairs, 8 multiply-adds into 8 int32x8 accumulators."""
    sig = types.void(xp, wp, acc, t0, o0)

    def codegen(context, builder, signature, args):
        i8, i16, i32, i64 = ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
        v16i8, v16i16, v8i32 = ir.VectorType(i8, 16), ir.VectorType(i16, 16), ir.VectorType(i32, 8)
        xa = context.make_array(signature.args[0])(context, builder, args[0])
        wa = context.make_array(signature.args[1])(context, builder, args[1])
        aa = context.make_array(signature.args[2])(context, builder, args[2])
        t0v, o0v = args[3], args[4]
        pairs = cgutils.unpack_tuple(builder, xa.shape, 2)[1]
        w_row = cgutils.unpack_tuple(builder, wa.shape, 2)[1]
        c_out = cgutils.unpack_tuple(builder, aa.shape, 2)[1]
        pmadd = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(v8i32, [v16i16, v16i16]), "llvm.x86.avx2.pmadd.wd")
        zero = ir.Constant(v8i32, [0] * 8)
        splat = ir.Constant(v8i32, [0] * 8)
        accs = [[cgutils.alloca_once_value(builder, zero) for _ in range(2)] for _ in range(ROWS)]
        x_rows = [builder.gep(xa.data, [builder.mul(builder.add(t0v, ir.Constant(i64, r)), pairs)])
                  for r in range(ROWS)]
        with cgutils.for_range(builder, pairs) as loop:
            p = loop.index
            w_at = builder.add(builder.mul(p, w_row), builder.mul(o0v, ir.Constant(i64, 2)))
            ws = []
            for h in range(2):
                ptr = builder.gep(wa.data, [builder.add(w_at, ir.Constant(i64, 16 * h))])
                ws.append(builder.sext(builder.load(builder.bitcast(ptr, v16i8.as_pointer()),
                                                    align=1), v16i16))
            for r in range(ROWS):
                pair = builder.load(builder.gep(x_rows[r], [p]))
                vec = builder.insert_element(ir.Constant(v8i32, ir.Undefined), pair,
                                             ir.Constant(i32, 0))
                xb = builder.bitcast(builder.shuffle_vector(vec, vec, splat), v16i16)
                for h in range(2):
                    total = builder.add(builder.load(accs[r][h]), builder.call(pmadd, [xb, ws[h]]))
                    builder.store(total, accs[r][h])
        for r in range(ROWS):
            row = builder.gep(aa.data, [builder.add(
                builder.mul(builder.add(t0v, ir.Constant(i64, r)), c_out), o0v)])
            for h in range(2):
                ptr = builder.bitcast(builder.gep(row, [ir.Constant(i64, 8 * h)]),
                                      v8i32.as_pointer())
                builder.store(builder.load(accs[r][h]), ptr, align=4)
        return context.get_dummy_value()

    return sig, codegen


pair_block = pair_block_avx2 if HAVE_AVX2 else pair_block_generic


@kernel
def pw_conv_packed(x, wp, bias, mult, shift, in_zp, out_zp, act_min, act_max, out):
    """:func:`mcusim.interp.ops.pw_conv` with pair-interleaved weights ``wp``
    int8 ``[Cin / 2, 2 * Cout]`` (:func:`pack_weights`); ``Cin`` even and
    ``Cout`` a multiple of 16."""
    length, c_in = x.shape
    c_out = out.shape[1]
    rows = (length + ROWS - 1) // ROWS * ROWS
    xs = np.zeros((rows, c_in), np.int16)       # padding rows stay 0
    for t in range(length):
        xrow = x[t]
        srow = xs[t]
        for c in range(c_in):
            srow[c] = np.int16(np.int16(xrow[c]) - in_zp)
    acc = np.empty((rows, c_out), np.int32)
    xp = xs.view(np.int32)
    for t0 in range(0, rows, ROWS):
        for o0 in range(0, c_out, COLS):
            pair_block(xp, wp, acc, t0, o0)
    for t in range(length):
        _requantize_row(acc[t], bias, mult, shift, out_zp, act_min, act_max, out[t])


__all__ = ["HAVE_AVX2", "packable", "pack_weights", "pack_row", "pair_block",
           "pair_block_generic", "pair_block_avx2", "pw_conv_packed"]
