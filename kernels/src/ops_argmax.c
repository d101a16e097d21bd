/*
 * ops_argmax.c - index of the largest value, ties to the lowest index
 * (mcusim.reference.ops.argmax, TFLite ARG_MAX with an int32 output).
 */
#include "mcusim_kernels.h"

int32_t mcusim_argmax_s8(const int8_t *x, int32_t n)
{
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++) {
        if (x[i] > x[best]) {
            best = i;
        }
    }
    return best;
}
