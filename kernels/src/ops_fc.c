/*
 * ops_fc.c - fully connected, int8, per-tensor requantization
 * (mcusim.reference.ops.fully_connected), and the vector x matrix products the
 * generator's synthesis is made of.
 *
 *   y[r][o] = requant(bias[o] + sum_i w[o][i] * (x[r][i] - in_zp), mult, shift)
 *
 * As CMSIS-NN's arm_nn_vec_mat_mult_t_s8: two weight rows per pass over the
 * input vector; on ARMv7E-M the input zero point is added while unpacking
 * (SXTAB16 with the pair (-in_zp, -in_zp): x - in_zp fits int16), so no
 * weight sums are needed, and each 4-element group costs 3 LDR, 2 SXTAB16,
 * 4 SXTB16 and 4 SMLAD for 8 MACs. Weight rows may be `w_stride` apart and
 * start at any byte (the generator's first layer reads the embedding part of
 * its rows, at column d_code).
 */
#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

int32_t mcusim_row_sum_s8(const int8_t *w, int32_t n)
{
    int32_t i = 0;
#if MCUSIM_USE_DSP
    int32_t s = 0;
    const uint32_t ones = 0x00010001u;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = mcusim_read_s8x4(w + i);
        s = dsp_smlad(dsp_sxtb16(v), ones, s);
        s = dsp_smlad(dsp_sxtb16_ror8(v), ones, s);
    }
#else
    int32_t s = 0;
#endif
    for (; i < n; i++) {
        s += w[i];
    }
    return s;
}

int32_t mcusim_dot_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t in_off)
{
    int32_t acc = 0;
    int32_t i = 0;
#if MCUSIM_USE_DSP
    const uint32_t off2 = mcusim_dup16(in_off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xv = mcusim_read_s8x4(x + i);
        const uint32_t wv = mcusim_read_s8x4(w + i);
        acc = dsp_smlad(dsp_sxtab16(off2, xv), dsp_sxtb16(wv), acc);
        acc = dsp_smlad(dsp_sxtab16_ror8(off2, xv), dsp_sxtb16_ror8(wv), acc);
    }
#endif
    for (; i < n; i++) {
        acc = mcusim_wrap_add(acc, w[i] * (x[i] + in_off));
    }
    return acc;
}

/* acc0/acc1 += rows w0, w1 (dot) x, with the input offset `in_off` added to x. */
static inline __attribute__((always_inline)) void vec_mat_2(const int8_t *x, int32_t n,
                                                            const int8_t *w0, const int8_t *w1,
                                                            int32_t in_off,
                                                            int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t i = 0;
#if MCUSIM_USE_DSP
    const uint32_t off2 = mcusim_dup16(in_off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xv = mcusim_read_s8x4(x + i);
        const uint32_t xe = dsp_sxtab16(off2, xv);
        const uint32_t xo = dsp_sxtab16_ror8(off2, xv);
        const uint32_t k0 = mcusim_read_s8x4(w0 + i);
        a0 = dsp_smlad(xe, dsp_sxtb16(k0), a0);
        a0 = dsp_smlad(xo, dsp_sxtb16_ror8(k0), a0);
        const uint32_t k1 = mcusim_read_s8x4(w1 + i);
        a1 = dsp_smlad(xe, dsp_sxtb16(k1), a1);
        a1 = dsp_smlad(xo, dsp_sxtb16_ror8(k1), a1);
    }
#endif
    for (; i < n; i++) {
        const int32_t xi = x[i] + in_off;
        a0 = mcusim_wrap_add(a0, w0[i] * xi);
        a1 = mcusim_wrap_add(a1, w1[i] * xi);
    }
    *acc0 = a0;
    *acc1 = a1;
}

void mcusim_vec_mat_acc_s8(const int8_t *x, int32_t n_in, const int8_t *w, int32_t w_stride,
                           int32_t n_out, const int32_t *init, int32_t in_zp, int32_t *acc)
{
    int32_t o = 0;
    for (; o + 2 <= n_out; o += 2) {
        const int8_t *w0 = w + o * w_stride;
        int32_t a0 = init ? init[o] : 0, a1 = init ? init[o + 1] : 0;
        vec_mat_2(x, n_in, w0, w0 + w_stride, -in_zp, &a0, &a1);
        acc[o] = a0;
        acc[o + 1] = a1;
    }
    if (o < n_out) {
        const int32_t a0 = init ? init[o] : 0;
        acc[o] = mcusim_wrap_add(a0, mcusim_dot_s8(x, w + o * w_stride, n_in, -in_zp));
    }
}

/* The rows of mcusim_fc_row_s8, with the requantization constants decoded once
 * (mcusim_rqf); `right` (a constant in each expansion) selects the
 * right-shift-only form. */
static inline __attribute__((always_inline)) void fc_row(
    const int8_t *x, int32_t n_in, const int8_t *w, int32_t w_stride, int32_t n_out,
    const int32_t *init, const mcusim_rqf_t *q, int32_t in_zp, int32_t out_zp, int32_t act_min,
    int32_t act_max, int8_t *y, const int right)
{
    int32_t o = 0;
    for (; o + 2 <= n_out; o += 2) {
        const int8_t *w0 = w + o * w_stride;
        int32_t a0 = init ? init[o] : 0, a1 = init ? init[o + 1] : 0;
        vec_mat_2(x, n_in, w0, w0 + w_stride, -in_zp, &a0, &a1);
        y[o] = mcusim_outf8(a0, q, out_zp, act_min, act_max, 0, right);
        y[o + 1] = mcusim_outf8(a1, q, out_zp, act_min, act_max, 0, right);
    }
    if (o < n_out) {
        int32_t a0 = init ? init[o] : 0;
        a0 = mcusim_wrap_add(a0, mcusim_dot_s8(x, w + o * w_stride, n_in, -in_zp));
        y[o] = mcusim_outf8(a0, q, out_zp, act_min, act_max, 0, right);
    }
}

void mcusim_fc_row_s8(const int8_t *x, int32_t n_in, const int8_t *w, int32_t w_stride,
                      int32_t n_out, const int32_t *init, int32_t mult, int32_t shift,
                      int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                      int8_t *y)
{
    const mcusim_rqf_t q = mcusim_rqf(mult, shift);
    if (q.rs >= 0) {
        fc_row(x, n_in, w, w_stride, n_out, init, &q, in_zp, out_zp, act_min, act_max, y, 1);
    } else {
        fc_row(x, n_in, w, w_stride, n_out, init, &q, in_zp, out_zp, act_min, act_max, y, 0);
    }
}

void mcusim_fully_connected_s8(const int8_t *x, int32_t rows, int32_t n_in,
                               const int8_t *w, int32_t n_out, const int32_t *bias,
                               int32_t mult, int32_t shift,
                               int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                               int8_t *y)
{
    if (rows >= 2 && shift == (int8_t)shift) {
        /* Rows are time steps of a pointwise convolution with one requantization:
         * the 2x2 block kernel, each weight word feeding two rows. */
        const int8_t sh = (int8_t)shift;
        mcusim_pw_core_s8(x, rows, n_in, w, n_out, bias, &mult, &sh, 0, in_zp, out_zp, act_min,
                          act_max, y);
        return;
    }
    for (int32_t r = 0; r < rows; r++) {
        mcusim_fc_row_s8(x + r * n_in, n_in, w, n_in, n_out, bias, mult, shift,
                         in_zp, out_zp, act_min, act_max, y + r * n_out);
    }
}
