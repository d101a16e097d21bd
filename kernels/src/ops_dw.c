/*
 * ops_dw.c - depthwise 1-D convolution, depth multiplier 1, int8
 * (mcusim.reference.ops.dw_conv).
 *
 *   y[t][c] = requant(bias[c] + sum_k w[k][c] * (x[t*stride - pad + k*dilation][c] - in_zp))
 *
 * over the taps that fall inside the input (SAME padding pads with in_zp, which
 * contributes nothing). A depthwise output has only `kernel` MACs, so the
 * per-output requantization weighs as much as the MACs: channels are the outer
 * loop, so each channel's multiplier/shift is decoded once (mcusim_rq) and its
 * bias loaded once, and time is the inner loop. Each output position finds its
 * in-bounds tap range, so the tap loop has no bounds checks.
 *
 * On ARMv7E-M four channels go together, as in CMSIS-NN's
 * arm_depthwise_conv_s8_opt: per tap one LDR of the input (SXTAB16 adds
 * -in_zp while unpacking), one LDR of the weights (SXTB16) and SMLABB/SMLATT,
 * which multiply-accumulate the bottom/top halfwords into four independent
 * per-channel accumulators: 4 MACs in about 10 cycles.
 */
#include "mcusim_kernels.h"

#include "dsp.h"

/* In-bounds taps [k_lo, k_hi) of the window starting at input index `start`. */
static inline __attribute__((always_inline)) void tap_range(int32_t start, int32_t length,
                                                            int32_t kernel, int32_t dilation,
                                                            int32_t *k_lo, int32_t *k_hi)
{
    int32_t lo = 0, hi = kernel;
    while (lo < kernel && start + lo * dilation < 0) {
        lo++;
    }
    while (hi > lo && start + (hi - 1) * dilation >= length) {
        hi--;
    }
    *k_lo = lo;
    *k_hi = hi;
}

/* The time loop of four channels c..c+3 (DSP path); `right` selects the
 * right-shift-only requantization (a constant in each expansion). */
#define DW_TIME_LOOP(right)                                                                      \
    do {                                                                                         \
        int8_t *yt = y + c;                                                                      \
        int32_t start = -pad;                                                                    \
        for (int32_t t = 0; t < t_out; t++, start += stride, yt += channels) {                   \
            int32_t k_lo, k_hi;                                                                  \
            tap_range(start, length, kernel, dilation, &k_lo, &k_hi);                            \
            const int8_t *px = x + (start + k_lo * dilation) * channels + c;                     \
            const int8_t *pw = w + k_lo * channels + c;                                          \
            int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;                                          \
            for (int32_t k = k_hi - k_lo; k > 0; k--) {                                          \
                const uint32_t xv = mcusim_read_s8x4(px);                                        \
                const uint32_t wv = mcusim_read_s8x4(pw);                                        \
                const uint32_t xe = dsp_sxtab16(off2, xv), xo = dsp_sxtab16_ror8(off2, xv);      \
                const uint32_t we = dsp_sxtb16(wv), wo = dsp_sxtb16_ror8(wv);                    \
                a0 = dsp_smlabb(xe, we, a0);                                                     \
                a2 = dsp_smlatt(xe, we, a2);                                                     \
                a1 = dsp_smlabb(xo, wo, a1);                                                     \
                a3 = dsp_smlatt(xo, wo, a3);                                                     \
                px += row;                                                                       \
                pw += channels;                                                                  \
            }                                                                                    \
            yt[0] = mcusim_outf8(a0, &q0, out_zp, lo, hi, full, right);                          \
            yt[1] = mcusim_outf8(a1, &q1, out_zp, lo, hi, full, right);                          \
            yt[2] = mcusim_outf8(a2, &q2, out_zp, lo, hi, full, right);                          \
            yt[3] = mcusim_outf8(a3, &q3, out_zp, lo, hi, full, right);                          \
        }                                                                                        \
    } while (0)

static inline __attribute__((always_inline)) void dw_conv(
    const int8_t *x, int32_t length, int32_t channels, const int8_t *w, int32_t kernel,
    int32_t stride, int32_t dilation, int32_t same, const int32_t *bias, const int32_t *mult,
    const int8_t *shift, int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi, int8_t *y,
    const int full)
{
    const int32_t t_out = mcusim_out_length(length, kernel, stride, dilation, same);
    const int32_t pad = mcusim_pad_before(length, kernel, stride, dilation, same);
    const int32_t row = dilation * channels;     /* input bytes between two taps */
    int32_t c = 0;
#if MCUSIM_USE_DSP
    const uint32_t off2 = mcusim_dup16(-in_zp);
    for (; c + 4 <= channels; c += 4) {
        const mcusim_rqf_t q0 = mcusim_rqf(mult[c], shift[c]);
        const mcusim_rqf_t q1 = mcusim_rqf(mult[c + 1], shift[c + 1]);
        const mcusim_rqf_t q2 = mcusim_rqf(mult[c + 2], shift[c + 2]);
        const mcusim_rqf_t q3 = mcusim_rqf(mult[c + 3], shift[c + 3]);
        const int32_t b0 = bias ? bias[c] : 0, b1 = bias ? bias[c + 1] : 0;
        const int32_t b2 = bias ? bias[c + 2] : 0, b3 = bias ? bias[c + 3] : 0;
        if ((q0.rs | q1.rs | q2.rs | q3.rs) >= 0) {     /* right shifts only: the usual case */
            DW_TIME_LOOP(1);
        } else {
            DW_TIME_LOOP(0);
        }
    }
#endif
    for (; c < channels; c++) {
        const mcusim_rq_t q = mcusim_rq(mult[c], shift[c]);
        const uint32_t b = bias ? (uint32_t)bias[c] : 0u;
        int8_t *yt = y + c;
        int32_t start = -pad;
        for (int32_t t = 0; t < t_out; t++, start += stride, yt += channels) {
            int32_t k_lo, k_hi;
            tap_range(start, length, kernel, dilation, &k_lo, &k_hi);
            const int8_t *px = x + (start + k_lo * dilation) * channels + c;
            const int8_t *pw = w + k_lo * channels + c;
            uint32_t acc = b;
            for (int32_t k = k_hi - k_lo; k > 0; k--) {
                acc += (uint32_t)(*pw * (*px - in_zp));
                px += row;
                pw += channels;
            }
            *yt = mcusim_out8((int32_t)acc, &q, out_zp, lo, hi, full);
        }
    }
}

void mcusim_dw_conv_s8(const int8_t *x, int32_t length, int32_t channels,
                       const int8_t *w, int32_t kernel,
                       int32_t stride, int32_t dilation, int32_t same,
                       const int32_t *bias, const int32_t *mult, const int8_t *shift,
                       int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                       int8_t *y)
{
    if (act_min == -128 && act_max == 127) {
        dw_conv(x, length, channels, w, kernel, stride, dilation, same, bias, mult, shift, in_zp,
                out_zp, -128, 127, y, 1);
    } else {
        dw_conv(x, length, channels, w, kernel, stride, dilation, same, bias, mult, shift, in_zp,
                out_zp, act_min, act_max, y, 0);
    }
}
