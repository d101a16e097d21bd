/*
 * mcusim_kernels.h - the int8 operators, one per mcusim.reference.ops function.
 *
 *   mcusim/reference/ops.py          kernels/src/
 *   conv                 ->  mcusim_conv_s8              ops_conv.c
 *   dw_conv              ->  mcusim_dw_conv_s8           ops_dw.c
 *   pw_conv              ->  mcusim_pw_conv_s8           ops_pw.c
 *   fully_connected      ->  mcusim_fully_connected_s8   ops_fc.c
 *   avg_pool, max_pool   ->  mcusim_avg_pool_s8, ...     ops_pool.c
 *   global_avg_pool      ->  mcusim_global_avg_pool_s8   ops_pool.c
 *   add                  ->  mcusim_add_s8               ops_add.c
 *   argmax               ->  mcusim_argmax_s8            ops_argmax.c
 *
 * Activations are int8 [T][C] (channels innermost, TFLite NHWC with H = 1),
 * weights int8 with zero point 0, biases int32 (NULL = no bias), per-channel
 * `mult`/`shift` (positive shift = left shift). Kernels validate nothing and
 * never fail: the model reader checked every shape and range once. Each kernel
 * has a portable C path (ARMv6-M and host) and, where it pays, an ARMv7E-M DSP
 * path (SXTB16/SMLAD); both give the same bytes as the reference.
 * No kernel needs scratch memory beyond a few registers' worth of stack.
 */
#ifndef MCUSIM_KERNELS_H
#define MCUSIM_KERNELS_H

#include <stdint.h>

/* ---- geometry (mcusim.reference.ops.out_length / padding_before) ------ */
static inline int32_t mcusim_out_length(int32_t length, int32_t kernel, int32_t stride,
                                        int32_t dilation, int32_t same)
{
    int32_t eff = (kernel - 1) * dilation + 1;
    int32_t n;
    if (same) {
        return (length + stride - 1) / stride;
    }
    n = (length + stride - eff) / stride;
    return length >= eff ? n : 0;
}

static inline int32_t mcusim_pad_before(int32_t length, int32_t kernel, int32_t stride,
                                        int32_t dilation, int32_t same)
{
    int32_t eff = (kernel - 1) * dilation + 1;
    int32_t out = mcusim_out_length(length, kernel, stride, dilation, same);
    int32_t total = (out - 1) * stride + eff - length;
    return total > 0 ? total / 2 : 0;
}

/* ---- convolutions and dense layers ------------------------------------ */
void mcusim_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                    const int8_t *w, int32_t cout, int32_t kernel,
                    int32_t stride, int32_t dilation, int32_t same,
                    const int32_t *bias, const int32_t *mult, const int8_t *shift,
                    int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                    int8_t *y);

void mcusim_dw_conv_s8(const int8_t *x, int32_t length, int32_t channels,
                       const int8_t *w, int32_t kernel,
                       int32_t stride, int32_t dilation, int32_t same,
                       const int32_t *bias, const int32_t *mult, const int8_t *shift,
                       int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                       int8_t *y);

/* w is [cout][cin], row-major (the same layout for stored and generated kernels). */
void mcusim_pw_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                       const int8_t *w, int32_t cout,
                       const int32_t *bias, const int32_t *mult, const int8_t *shift,
                       int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                       int8_t *y);

void mcusim_fully_connected_s8(const int8_t *x, int32_t rows, int32_t n_in,
                               const int8_t *w, int32_t n_out, const int32_t *bias,
                               int32_t mult, int32_t shift,
                               int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                               int8_t *y);

/* One row of a fully-connected layer whose weight rows are `w_stride` apart:
 * y[o] = requant(init[o] + sum_i w[o*w_stride + i] * (x[i] - in_zp)).
 * `init` is the bias, the int32 partial sums of a first generator layer, or NULL. */
void mcusim_fc_row_s8(const int8_t *x, int32_t n_in, const int8_t *w, int32_t w_stride,
                      int32_t n_out, const int32_t *init, int32_t mult, int32_t shift,
                      int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                      int8_t *y);

/* acc[o] = (init ? init[o] : 0) + sum_i w[o*w_stride + i] * (x[i] - in_zp), wrapping. */
void mcusim_vec_mat_acc_s8(const int8_t *x, int32_t n_in, const int8_t *w, int32_t w_stride,
                           int32_t n_out, const int32_t *init, int32_t in_zp, int32_t *acc);

/* ---- pooling ----------------------------------------------------------- */
void mcusim_avg_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                        int32_t kernel, int32_t stride, int32_t same,
                        int32_t act_min, int32_t act_max, int8_t *y);

void mcusim_max_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                        int32_t kernel, int32_t stride, int32_t same,
                        int32_t act_min, int32_t act_max, int8_t *y);

void mcusim_global_avg_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                               int32_t act_min, int32_t act_max, int8_t *y);

/* ---- elementwise and heads -------------------------------------------- */
void mcusim_add_s8(const int8_t *a, const int8_t *b, int32_t n,
                   int32_t a_zp, int32_t a_mult, int32_t a_shift,
                   int32_t b_zp, int32_t b_mult, int32_t b_shift,
                   int32_t out_zp, int32_t out_mult, int32_t out_shift,
                   int32_t act_min, int32_t act_max, int8_t *y);

/* Index of the largest of `n` values; ties go to the lowest index. */
int32_t mcusim_argmax_s8(const int8_t *x, int32_t n);

/* ---- helpers exposed for tests ----------------------------------------- */
int32_t mcusim_requantize(int32_t acc, int32_t mult, int32_t shift);  /* MBQM */
int32_t mcusim_pool_divide(int32_t sum, int32_t count);                /* TFLite avg rounding */

#endif /* MCUSIM_KERNELS_H */
