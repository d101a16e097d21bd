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

#endif /* MCUSIM_INTERNAL_H */
