/*
 * ops_conv.c - 1-D convolution, int8, per-channel requantization
 * (mcusim.reference.ops.conv): the stem.
 *
 *   y[t][o] = requant(bias[o] + sum_{k in bounds} sum_c w[o][k][c] * (x[t*s - pad + k*d][c] - in_zp))
 *
 * For each output position the in-bounds tap range [k_lo, k_hi) is found once;
 * with dilation 1 the taps' input rows are contiguous, and so are the matching
 * weights ([cout][kernel][cin] layout), so each output is one dot product of
 * (k_hi - k_lo) * cin elements (mcusim_dot_s8, SIMD on ARMv7E-M). With
 * dilation > 1 it is one dot product of cin elements per tap.
 *
 * The stem path (ARMv7E-M, dilation 1, n = kernel * cin <= 8, e.g. the
 * 1-channel K=7 stem; clamp -128..127, every shift a right shift r in [2, 23],
 * |out_zp| <= 128): output channels outer, so each channel's n weights
 * (zero-padded to 8) are unpacked once into 4 SXTB16 pairs, the input zero
 * point folded into its bias (b - in_zp * sum(w), wrapping) and out_zp and the
 * sign borrow into its rounding constant (mcusim_rq_folded); time inner, two
 * outputs per asm loop pass, each 2 LDR of its 8-byte window, 4 SXTB16,
 * 4 SMLAD and AND, ORR, ADD, SMLAL, ASR, SSAT (the padding weights are 0, so
 * the bytes past the window contribute nothing). The few outputs whose 8 bytes
 * are not all inside the input use a copy of their window with the missing
 * bytes set to in_zp (contributing nothing, as the skipped taps of the
 * reference). Other layers take the general path.
 */
#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

/* The general path for output positions [t0, t1). */
static void conv_general(const int8_t *x, int32_t length, int32_t cin, const int8_t *w,
                         int32_t cout, int32_t kernel, int32_t stride, int32_t dilation,
                         int32_t pad, int32_t t0, int32_t t1, const int32_t *bias,
                         const int32_t *mult, const int8_t *shift, int32_t in_zp,
                         int32_t out_zp, int32_t act_min, int32_t act_max, int8_t *y)
{
    const int32_t w_row = kernel * cin;
    int32_t start = t0 * stride - pad;
    for (int32_t t = t0; t < t1; t++, start += stride) {
        int32_t k_lo = 0, k_hi = kernel;
        while (k_lo < kernel && start + k_lo * dilation < 0) {
            k_lo++;
        }
        while (k_hi > k_lo && start + (k_hi - 1) * dilation >= length) {
            k_hi--;
        }
        const int8_t *x0 = x + (start + k_lo * dilation) * cin;
        const int8_t *w0 = w + k_lo * cin;
        int8_t *yt = y + t * cout;
        for (int32_t o = 0; o < cout; o++, w0 += w_row) {
            int32_t acc = bias ? bias[o] : 0;
            if (dilation == 1) {
                acc = mcusim_wrap_add(acc, mcusim_dot_s8(x0, w0, (k_hi - k_lo) * cin, -in_zp));
            } else {
                for (int32_t k = 0; k < k_hi - k_lo; k++) {
                    acc = mcusim_wrap_add(acc, mcusim_dot_s8(x0 + k * dilation * cin, w0 + k * cin,
                                                             cin, -in_zp));
                }
            }
            yt[o] = mcusim_requant_s8(acc, mult[o], shift[o], out_zp, act_min, act_max);
        }
    }
}

#if MCUSIM_USE_DSP
/* One output of the folded-constant stem loop: the C twin of STEM_ASM_STEP. */
MCUSIM_INLINE int8_t conv_stem_one(const int8_t *p, uint32_t we0, uint32_t wo0, uint32_t we1,
                                   uint32_t wo1, int32_t bf, int32_t m, int32_t rs, int32_t h)
{
    const uint32_t xa = mcusim_read_s8x4(p), xb = mcusim_read_s8x4(p + 4);
    int32_t acc = dsp_smlad(dsp_sxtb16(xa), we0, bf);
    acc = dsp_smlad(dsp_sxtb16_ror8(xa), wo0, acc);
    acc = dsp_smlad(dsp_sxtb16(xb), we1, acc);
    acc = dsp_smlad(dsp_sxtb16_ror8(xb), wo1, acc);
    return (int8_t)mcusim_rq_folded(acc, m, rs, h);
}

#if defined(__arm__)
/* One output: 2 LDR, 4 SXTB16 + 4 SMLAD from the folded bias, 2 LDR of the
 * constants (no register is left for them), AND, ORR, ADD, SMLAL, ASR, SSAT, STRB. */
#define STEM_ASM_STEP                                                 \
    "ldr    %[xa], [%[p]]\n\t"                                        \
    "ldr    %[xb], [%[p], #4]\n\t"                                    \
    "add    %[p], %[p], %[step]\n\t"                                  \
    "sxtb16 %[acc], %[xa]\n\t"                                        \
    "smlad  %[acc], %[acc], %[we0], %[bf]\n\t"                        \
    "sxtb16 %[xa], %[xa], ror #8\n\t"                                 \
    "smlad  %[acc], %[xa], %[wo0], %[acc]\n\t"                        \
    "sxtb16 %[xa], %[xb]\n\t"                                         \
    "smlad  %[acc], %[xa], %[we1], %[acc]\n\t"                        \
    "sxtb16 %[xa], %[xb], ror #8\n\t"                                 \
    "smlad  %[acc], %[xa], %[wo1], %[acc]\n\t"                        \
    "ldr    %[xb], %[h]\n\t"                                          \
    "ldr    %[t4], %[m]\n\t"                                          \
    "and    %[xa], %[acc], #0x80000000\n\t"                           \
    "orr    %[xa], %[xa], #0x40000000\n\t"                            \
    "add    %[xb], %[xb], %[acc], asr #31\n\t"                        \
    "smlal  %[xa], %[xb], %[acc], %[t4]\n\t"                          \
    "asr    %[acc], %[xb], %[rs]\n\t"                                 \
    "ssat   %[acc], #8, %[acc]\n\t"                                   \
    "strb   %[acc], [%[py]]\n\t"                                      \
    "add    %[py], %[py], %[cout]\n\t"
#endif

/* n outputs of one channel, windows p, p + step, ..., outputs py, py + cout, ...:
 * pairs of outputs in one asm loop on ARM, the odd last one in C. */
MCUSIM_INLINE void conv_stem_run(const int8_t *p, int32_t step, int32_t n, uint32_t we0,
                                 uint32_t wo0, uint32_t we1, uint32_t wo1, int32_t bf, int32_t m,
                                 int32_t rs, int32_t h, int8_t *py, int32_t cout)
{
#if defined(__arm__)
    if (n >= 2) {
        const int8_t *const pyend = py + (n & ~1) * cout;
        uint32_t xa, xb, acc, t4;
        __asm__ volatile("1:\n\t" STEM_ASM_STEP STEM_ASM_STEP
                         "ldr    %[t4], %[pyend]\n\t"
                         "cmp    %[py], %[t4]\n\t"
                         "bne    1b\n\t"
                         : [p] "+r"(p), [py] "+r"(py), [xa] "=&r"(xa), [xb] "=&r"(xb),
                           [acc] "=&r"(acc), [t4] "=&r"(t4)
                         : [step] "r"(step), [cout] "r"(cout), [we0] "r"(we0), [wo0] "r"(wo0),
                           [we1] "r"(we1), [wo1] "r"(wo1), [bf] "r"(bf), [rs] "r"(rs),
                           [h] "m"(h), [m] "m"(m), [pyend] "m"(pyend)
                         : "cc", "memory");
    }
    if (n & 1) {
        *py = conv_stem_one(p, we0, wo0, we1, wo1, bf, m, rs, h);
    }
#else
    for (; n > 0; n--, p += step, py += cout) {
        *py = conv_stem_one(p, we0, wo0, we1, wo1, bf, m, rs, h);
    }
#endif
}

/* The n <= 8 weights of one output channel, zero-padded, as two words. */
MCUSIM_INLINE void conv_pack_row(const int8_t *row, int32_t n, uint32_t *wa, uint32_t *wb)
{
    uint32_t a = 0, b = 0;
    int32_t i = 0;
    if (n >= 4) {
        a = mcusim_read_s8x4(row);
        i = 4;
    }
    for (; i < n; i++) {
        const uint32_t v = (uint32_t)(uint8_t)row[i];
        if (n >= 4) {
            b |= v << (8 * (i - 4));
        } else {
            a |= v << (8 * i);
        }
    }
    *wa = a;
    *wb = b;
}

/*
 * The whole layer when every channel has a right shift r in [2, 23], clamp
 * -128..127 and |out_zp| <= 128: in_zp folded into the bias (b - in_zp * sum(w),
 * wrapping, so x is unpacked with a plain SXTB16), the sign borrow and out_zp
 * into the rounding constant (mcusim_rq_folded); interior outputs through
 * conv_stem_run, the few edge outputs from an 8-byte copy of their window with
 * the missing taps set to in_zp (which contributes nothing, as in the reference).
 */
static void conv_stem(const int8_t *x, int32_t length, int32_t cin, const int8_t *w,
                      int32_t cout, int32_t n, int32_t stride, int32_t pad, int32_t t0,
                      int32_t t1, int32_t t_out, const int32_t *bias, const int32_t *mult,
                      const int8_t *shift, int32_t in_zp, int32_t out_zp, int8_t *y)
{
    const int32_t step = stride * cin, nbytes = length * cin;
    for (int32_t o = 0; o < cout; o++) {
        const int8_t *row = w + o * n;
        uint32_t wa, wb;
        conv_pack_row(row, n, &wa, &wb);
        const uint32_t we0 = dsp_sxtb16(wa), wo0 = dsp_sxtb16_ror8(wa);
        const uint32_t we1 = dsp_sxtb16(wb), wo1 = dsp_sxtb16_ror8(wb);
        const int32_t rs = -shift[o] - 1;
        const int32_t h = mcusim_rq_fold_hi(rs, out_zp);
        const uint32_t b = bias ? (uint32_t)bias[o] : 0u;
        const int32_t bf = (int32_t)(b - (uint32_t)in_zp * (uint32_t)mcusim_row_sum_s8(row, n));
        const int32_t m = mult[o];
        for (int32_t t = 0; t < t_out; t++) {
            if (t == t0) {
                conv_stem_run(x + (t0 * stride - pad) * cin, step, t1 - t0, we0, wo0, we1, wo1,
                              bf, m, rs, h, y + t0 * cout + o, cout);
                t = t1;
                if (t >= t_out) {
                    break;
                }
            }
            int8_t win[8];
            const int32_t s0 = (t * stride - pad) * cin;
            for (int32_t j = 0; j < 8; j++) {
                win[j] = (s0 + j >= 0 && s0 + j < nbytes) ? x[s0 + j] : (int8_t)in_zp;
            }
            y[t * cout + o] = conv_stem_one(win, we0, wo0, we1, wo1, bf, m, rs, h);
        }
    }
}

#endif

void mcusim_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                    const int8_t *w, int32_t cout, int32_t kernel,
                    int32_t stride, int32_t dilation, int32_t same,
                    const int32_t *bias, const int32_t *mult, const int8_t *shift,
                    int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                    int8_t *y)
{
    const int32_t t_out = mcusim_out_length(length, kernel, stride, dilation, same);
    const int32_t pad = mcusim_pad_before(length, kernel, stride, dilation, same);
#if MCUSIM_USE_DSP
    const int32_t n = kernel * cin;
    if (dilation == 1 && n <= 8 && length * cin >= 8 && act_min == -128 && act_max == 127 &&
        out_zp >= -128 && out_zp <= 128) {
        /* [t0, t1): the outputs whose 8 bytes from the window start lie inside x:
         * start = t * stride - pad >= 0 and start * cin + 8 <= length * cin. */
        int32_t t0 = (pad + stride - 1) / stride;
        int32_t t1 = ((length * cin - 8) / cin + pad) / stride + 1;
        t1 = t1 > t_out ? t_out : t1;
        int folded = t1 > t0;
        for (int32_t o = 0; o < cout && folded; o++) {
            folded = shift[o] <= -2 && shift[o] >= -23;
        }
        if (folded) {
            conv_stem(x, length, cin, w, cout, n, stride, pad, t0, t1, t_out, bias, mult, shift,
                      in_zp, out_zp, y);
            return;
        }
    }
#endif
    conv_general(x, length, cin, w, cout, kernel, stride, dilation, pad, 0, t_out, bias, mult,
                 shift, in_zp, out_zp, act_min, act_max, y);
}
