/*
 * ops_add.c - elementwise int8 addition with rescaling (mcusim.reference.ops.add),
 * TFLite ADD's int8 path:
 *
 *   a' = MBQM((a - a_zp) << 20, a_mult, a_shift)
 *   b' = MBQM((b - b_zp) << 20, b_mult, b_shift)
 *   y  = clamp(MBQM(a' + b', out_mult, out_shift) + out_zp, act_min, act_max)
 *
 * TFLite's add multipliers are all at most one half (shifts <= 0; the input
 * with the larger scale gets exactly 0.5, i.e. shift 0). For shift = -r <= 0
 * and mult >= 0 (the model reader guarantees it) quant.h shows
 *   MBQM(x) = floor((x * mult + 2^30 + [r > 0] (2^(30+r) - [x < 0] 2^31)) / 2^(31+r)),
 * one 64-bit multiply-add and one shift, with the constants decoded once per
 * call; that loop serves this common case. In it |x| < 2^30 (the inputs are
 * (a - zp) << 20, the output's is the sum of two values no larger) and
 * mult < 2^31, so the sum is below 2^62 and
 *   floor(p / 2^(31+r)) = floor(p / 2^31) >> r,
 * where floor(p / 2^31) fits in 32 bits: a constant 64-bit shift and one
 * arithmetic shift. A positive shift (allowed by the format, never produced
 * by TFLite) takes the general loop.
 */
#include "mcusim_format.h"
#include "mcusim_kernels.h"

#include "quant.h"

typedef struct {
    int32_t mult;
    int32_t r;          /* right shift, -shift */
    int64_t round;      /* 2^30 + [r > 0] 2^(30+r), for x >= 0 */
    int64_t round_neg;  /* the same less [r > 0] 2^31, for x < 0 */
} rescale_t;

MCUSIM_INLINE rescale_t rescale_of(int32_t mult, int32_t shift)
{
    rescale_t q;
    q.mult = mult;
    q.r = -shift;
    q.round = (1ll << 30) + (q.r > 0 ? 1ll << (30 + q.r) : 0);
    q.round_neg = q.round - (q.r > 0 ? 1ll << 31 : 0);
    return q;
}

MCUSIM_INLINE int32_t rescale(int32_t x, const rescale_t *q)
{
    const int64_t p = (int64_t)x * q->mult + (x < 0 ? q->round_neg : q->round);
    return (int32_t)(uint32_t)((uint64_t)p >> 31) >> q->r;
}

MCUSIM_INLINE void add_down(const int8_t *a, const int8_t *b, int32_t n, int32_t a_zp,
                            int32_t b_zp, const rescale_t *qa, const rescale_t *qb,
                            const rescale_t *qo, int32_t out_zp, int32_t act_min,
                            int32_t act_max, int8_t *y, const int full)
{
    for (int32_t i = 0; i < n; i++) {
        const int32_t sa = rescale((a[i] - a_zp) * (1 << MCUSIM_ADD_LEFT_SHIFT), qa);
        const int32_t sb = rescale((b[i] - b_zp) * (1 << MCUSIM_ADD_LEFT_SHIFT), qb);
        const int32_t v = mcusim_wrap_add(rescale(mcusim_wrap_add(sa, sb), qo), out_zp);
        y[i] = full ? mcusim_sat8(v) : (int8_t)mcusim_clamp(v, act_min, act_max);
    }
}

void mcusim_add_s8(const int8_t *a, const int8_t *b, int32_t n,
                   int32_t a_zp, int32_t a_mult, int32_t a_shift,
                   int32_t b_zp, int32_t b_mult, int32_t b_shift,
                   int32_t out_zp, int32_t out_mult, int32_t out_shift,
                   int32_t act_min, int32_t act_max, int8_t *y)
{
    if (a_shift <= 0 && b_shift <= 0 && out_shift <= 0) {
        const rescale_t qa = rescale_of(a_mult, a_shift), qb = rescale_of(b_mult, b_shift);
        const rescale_t qo = rescale_of(out_mult, out_shift);
        if (act_min == -128 && act_max == 127) {
            add_down(a, b, n, a_zp, b_zp, &qa, &qb, &qo, out_zp, act_min, act_max, y, 1);
        } else {
            add_down(a, b, n, a_zp, b_zp, &qa, &qb, &qo, out_zp, act_min, act_max, y, 0);
        }
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t sa = mcusim_mbqm((int32_t)((uint32_t)(a[i] - a_zp) << MCUSIM_ADD_LEFT_SHIFT),
                                       a_mult, a_shift);
        const int32_t sb = mcusim_mbqm((int32_t)((uint32_t)(b[i] - b_zp) << MCUSIM_ADD_LEFT_SHIFT),
                                       b_mult, b_shift);
        y[i] = mcusim_requant_s8(mcusim_wrap_add(sa, sb), out_mult, out_shift, out_zp,
                                 act_min, act_max);
    }
}
