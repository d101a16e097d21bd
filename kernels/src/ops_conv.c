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
 */
#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

void mcusim_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                    const int8_t *w, int32_t cout, int32_t kernel,
                    int32_t stride, int32_t dilation, int32_t same,
                    const int32_t *bias, const int32_t *mult, const int8_t *shift,
                    int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                    int8_t *y)
{
    const int32_t t_out = mcusim_out_length(length, kernel, stride, dilation, same);
    const int32_t pad = mcusim_pad_before(length, kernel, stride, dilation, same);
    const int32_t w_row = kernel * cin;
    int32_t start = -pad;
    for (int32_t t = 0; t < t_out; t++, start += stride) {
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
