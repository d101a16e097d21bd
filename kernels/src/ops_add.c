/*
 * ops_add.c - elementwise int8 addition with rescaling (mcusim.reference.ops.add),
 * TFLite ADD's int8 path:
 *
 *   a' = MBQM((a - a_zp) << 20, a_mult, a_shift)
 *   b' = MBQM((b - b_zp) << 20, b_mult, b_shift)
 *   y  = clamp(MBQM(a' + b', out_mult, out_shift) + out_zp, act_min, act_max)
 */
#include "mcusim_format.h"
#include "mcusim_kernels.h"

#include "quant.h"

void mcusim_add_s8(const int8_t *a, const int8_t *b, int32_t n,
                   int32_t a_zp, int32_t a_mult, int32_t a_shift,
                   int32_t b_zp, int32_t b_mult, int32_t b_shift,
                   int32_t out_zp, int32_t out_mult, int32_t out_shift,
                   int32_t act_min, int32_t act_max, int8_t *y)
{
    for (int32_t i = 0; i < n; i++) {
        const int32_t sa = mcusim_mbqm((a[i] - a_zp) * (1 << MCUSIM_ADD_LEFT_SHIFT), a_mult, a_shift);
        const int32_t sb = mcusim_mbqm((b[i] - b_zp) * (1 << MCUSIM_ADD_LEFT_SHIFT), b_mult, b_shift);
        y[i] = mcusim_requant_s8(mcusim_wrap_add(sa, sb), out_mult, out_shift, out_zp,
                                 act_min, act_max);
    }
}
