/*
 * ops_pw.c - pointwise (1x1) convolution, int8 (mcusim.reference.ops.pw_conv).
 *
 *   y[t][o] = requant(bias[o] + sum_c w[o][c] * (x[t][c] - in_zp), mult[o], shift[o])
 *
 * Written as CMSIS-NN's arm_nn_mat_mult_nt_t_s8 (the kernel behind
 * arm_convolve_1x1_s8_fast): the zero point's share is folded into the bias
 * once per output channel (bias - in_zp * sum_c w[o][c]), and the main loop
 * computes a 2 time steps x 2 output channels block, so every int8 word loaded
 * feeds two outputs. On ARMv7E-M each 4-channel group costs 4 LDR, 8 SXTB16 and
 * 8 SMLAD for 16 MACs (SXTB16 pairs bytes 0,2 and SXTB16 ROR #8 bytes 1,3 of
 * both operands, so the pairs line up without reordering); the loop is
 * unrolled to 16 channels. The portable path (ARMv6-M, host) does the same
 * blocking with scalar multiplies.
 *
 * Generated kernels are synthesized in the same [cout][cin] row-major layout as
 * stored ones: a same-size int8 reordering cannot save an SXTB16 (every weight
 * byte needs one unpack either way), and the only layout that would, int16
 * weights, doubles the kernel cache (see docs/firmware.md).
 */
#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

/* Bias with the input zero point folded in: bias - in_zp * sum(w), wrapping. */
static int32_t folded_bias(const int32_t *bias, int32_t o, const int8_t *row, int32_t cin,
                           int32_t in_zp)
{
    uint32_t b = bias ? (uint32_t)bias[o] : 0u;
    return (int32_t)(b - (uint32_t)in_zp * (uint32_t)mcusim_row_sum_s8(row, cin));
}

#if MCUSIM_USE_DSP

/* One 4-channel step of the 2x2 block: x rows t (pa) and t+1 (pa + cin), weight
 * rows o (pb) and o+1 (pb + cin). Ordered as CMSIS-NN orders it, so that six
 * temporaries suffice: 4 accumulators + 6 temporaries + 2 pointers + the row
 * stride + the loop count are the 14 registers Thumb-2 code can use. The empty
 * asm with a memory clobber keeps GCC from hoisting the next step's loads above
 * this step's SMLADs (which would need more registers, and spill). */
#if defined(__arm__)
#define PW_STEP_FENCE() __asm__ volatile("" ::: "memory")
#else
#define PW_STEP_FENCE() do { } while (0)
#endif

#define PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11)                 \
    do {                                                             \
        uint32_t x_ = mcusim_read_s8x4(pa);                          \
        uint32_t w_ = mcusim_read_s8x4(pb);                          \
        uint32_t v_ = mcusim_read_s8x4((pb) + (cin));                \
        const uint32_t we_ = dsp_sxtb16(w_);                         \
        const uint32_t wo_ = dsp_sxtb16_ror8(w_);                    \
        uint32_t xe_ = dsp_sxtb16(x_);                               \
        uint32_t xo_ = dsp_sxtb16_ror8(x_);                          \
        a00 = dsp_smlad(xe_, we_, a00);                              \
        a00 = dsp_smlad(xo_, wo_, a00);                              \
        const uint32_t ve_ = dsp_sxtb16(v_);                         \
        const uint32_t vo_ = dsp_sxtb16_ror8(v_);                    \
        a01 = dsp_smlad(xe_, ve_, a01);                              \
        a01 = dsp_smlad(xo_, vo_, a01);                              \
        x_ = mcusim_read_s8x4((pa) + (cin));                         \
        xe_ = dsp_sxtb16(x_);                                        \
        xo_ = dsp_sxtb16_ror8(x_);                                   \
        a10 = dsp_smlad(xe_, we_, a10);                              \
        a10 = dsp_smlad(xo_, wo_, a10);                              \
        a11 = dsp_smlad(xe_, ve_, a11);                              \
        a11 = dsp_smlad(xo_, vo_, a11);                              \
        (pa) += 4;                                                   \
        (pb) += 4;                                                   \
        PW_STEP_FENCE();                                             \
    } while (0)

/* a[0..3] += the 2x2 block of dot products of x rows (t, t+1) with w rows (o, o+1). */
static inline __attribute__((always_inline)) void block_2x2(const int8_t *pa, const int8_t *pb,
                                                            int32_t cin, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t n = cin >> 4;
    while (n--) {
        PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11);
        PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11);
        PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11);
        PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11);
    }
    n = (cin >> 2) & 3;
    while (n--) {
        PW_STEP_2X2(pa, pb, cin, a00, a01, a10, a11);
    }
    n = cin & 3;
    while (n--) {
        const int32_t wa = pb[0], wb = pb[cin];
        const int32_t xa = pa[0], xb = pa[cin];
        a00 = mcusim_wrap_add(a00, xa * wa);
        a01 = mcusim_wrap_add(a01, xa * wb);
        a10 = mcusim_wrap_add(a10, xb * wa);
        a11 = mcusim_wrap_add(a11, xb * wb);
        pa++;
        pb++;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

#else /* portable */

static inline __attribute__((always_inline)) void block_2x2(const int8_t *pa, const int8_t *pb,
                                                            int32_t cin, int32_t *acc)
{
    uint32_t a00 = (uint32_t)acc[0], a01 = (uint32_t)acc[1];
    uint32_t a10 = (uint32_t)acc[2], a11 = (uint32_t)acc[3];
    const int8_t *qa = pa + cin, *qb = pb + cin;
    for (int32_t c = 0; c < cin; c++) {
        const int32_t wa = pb[c], wb = qb[c];
        const int32_t xa = pa[c], xb = qa[c];
        a00 += (uint32_t)(xa * wa);
        a01 += (uint32_t)(xa * wb);
        a10 += (uint32_t)(xb * wa);
        a11 += (uint32_t)(xb * wb);
    }
    acc[0] = (int32_t)a00;
    acc[1] = (int32_t)a01;
    acc[2] = (int32_t)a10;
    acc[3] = (int32_t)a11;
}

#endif

static inline __attribute__((always_inline)) void pw_conv(
    const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t in_zp, int32_t out_zp,
    int32_t lo, int32_t hi, int8_t *y, const int full)
{
    int32_t o = 0;
    for (; o + 2 <= cout; o += 2) {
        const int8_t *w0 = w + o * cin;
        const int32_t b0 = folded_bias(bias, o, w0, cin, in_zp);
        const int32_t b1 = folded_bias(bias, o + 1, w0 + cin, cin, in_zp);
        const mcusim_rq_t q0 = mcusim_rq(mult[o], shift[o]);
        const mcusim_rq_t q1 = mcusim_rq(mult[o + 1], shift[o + 1]);
        const int8_t *px = x;
        int8_t *py = y + o;
        int32_t t = length;
        for (; t >= 2; t -= 2) {
            int32_t acc[4] = {b0, b1, b0, b1};
            block_2x2(px, w0, cin, acc);
            /* channel by channel, so each channel's constants are loaded once */
            py[0] = mcusim_out8(acc[0], &q0, out_zp, lo, hi, full);
            py[cout] = mcusim_out8(acc[2], &q0, out_zp, lo, hi, full);
            py[1] = mcusim_out8(acc[1], &q1, out_zp, lo, hi, full);
            py[cout + 1] = mcusim_out8(acc[3], &q1, out_zp, lo, hi, full);
            px += 2 * cin;
            py += 2 * cout;
        }
        if (t) {
            const int32_t a0 = mcusim_wrap_add(b0, mcusim_dot_s8(px, w0, cin, 0));
            const int32_t a1 = mcusim_wrap_add(b1, mcusim_dot_s8(px, w0 + cin, cin, 0));
            py[0] = mcusim_out8(a0, &q0, out_zp, lo, hi, full);
            py[1] = mcusim_out8(a1, &q1, out_zp, lo, hi, full);
        }
    }
    if (o < cout) {
        const int8_t *w0 = w + o * cin;
        const int32_t b0 = folded_bias(bias, o, w0, cin, in_zp);
        const mcusim_rq_t q0 = mcusim_rq(mult[o], shift[o]);
        for (int32_t t = 0; t < length; t++) {
            const int32_t a0 = mcusim_wrap_add(b0, mcusim_dot_s8(x + t * cin, w0, cin, 0));
            y[t * cout + o] = mcusim_out8(a0, &q0, out_zp, lo, hi, full);
        }
    }
}

void mcusim_pw_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                       const int8_t *w, int32_t cout,
                       const int32_t *bias, const int32_t *mult, const int8_t *shift,
                       int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                       int8_t *y)
{
    if (act_min == -128 && act_max == 127) {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, in_zp, out_zp, -128, 127, y, 1);
    } else {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, in_zp, out_zp, act_min, act_max, y, 0);
    }
}
