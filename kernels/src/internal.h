/*
 * internal.h - helpers shared between kernel files (not part of the public API).
 */
#ifndef MCUSIM_INTERNAL_H
#define MCUSIM_INTERNAL_H

#include <stdint.h>

/* sum_i w[i] * (x[i] + in_off), wrapping; DSP path on ARMv7E-M. */
int32_t mcusim_dot_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t in_off);

/* sum_i w[i], the input zero point's share of a row (CMSIS-NN's "kernel sum"). */
int32_t mcusim_row_sum_s8(const int8_t *w, int32_t n);

/* The pointwise kernel body (ops_pw.c): channel o requantizes with
 * mult[o * qstride], shift[o * qstride]; qstride 0 is per-tensor (fully_connected). */
void mcusim_pw_core_s8(const int8_t *x, int32_t length, int32_t cin, const int8_t *w,
                       int32_t cout, const int32_t *bias, const int32_t *mult,
                       const int8_t *shift, int32_t qstride, int32_t in_zp, int32_t out_zp,
                       int32_t act_min, int32_t act_max, int8_t *y);

#endif /* MCUSIM_INTERNAL_H */
