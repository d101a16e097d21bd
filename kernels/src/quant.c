/*
 * quant.c - the requantization arithmetic as a callable function, for tests
 * (kernels inline quant.h). Mirrors mcusim.reference.quant.
 */
#include "mcusim_kernels.h"

#include "quant.h"

int32_t mcusim_requantize(int32_t acc, int32_t mult, int32_t shift)
{
    return mcusim_mbqm(acc, mult, shift);
}
