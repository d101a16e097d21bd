/*
 * ops_pool.c - average, max and global average pooling over time, int8
 * (mcusim.reference.ops.avg_pool, max_pool, global_avg_pool).
 *
 * Input and output share scale and zero point, so pools work on the raw int8
 * values. Each window covers only its in-bounds elements; the average divides
 * by their count n with TFLite's rounding (sum > 0 ? (sum + n/2) / n :
 * (sum - n/2) / n, C truncation). Where the core has no divide instruction
 * (ARMv6-M) the division is an exact reciprocal multiply (quant.h), the
 * reciprocal computed once per distinct window size.
 */
#include "mcusim_kernels.h"

#include "quant.h"

int32_t mcusim_pool_divide(int32_t sum, int32_t count)
{
    return mcusim_div_round(sum, (uint32_t)count, mcusim_recip24((uint32_t)count));
}

/* In-bounds input range [lo, hi) of window t. */
static inline void window(int32_t t, int32_t length, int32_t kernel, int32_t stride, int32_t pad,
                          int32_t *lo, int32_t *hi)
{
    const int32_t start = t * stride - pad;
    *lo = start > 0 ? start : 0;
    *hi = start + kernel < length ? start + kernel : length;
}

void mcusim_avg_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                        int32_t kernel, int32_t stride, int32_t same,
                        int32_t act_min, int32_t act_max, int8_t *y)
{
    const int32_t t_out = mcusim_out_length(length, kernel, stride, 1, same);
    const int32_t pad = mcusim_pad_before(length, kernel, stride, 1, same);
    uint32_t n_last = 0, recip = 0;
    for (int32_t t = 0; t < t_out; t++) {
        int32_t lo, hi;
        window(t, length, kernel, stride, pad, &lo, &hi);
        const uint32_t n = (uint32_t)(hi - lo);
        if (n != n_last) {
            n_last = n;
            recip = mcusim_recip24(n);
        }
        for (int32_t c = 0; c < channels; c++) {
            int32_t sum = 0;
            const int8_t *px = x + lo * channels + c;
            for (int32_t i = lo; i < hi; i++, px += channels) {
                sum += *px;
            }
            y[t * channels + c] = (int8_t)mcusim_clamp(mcusim_div_round(sum, n, recip),
                                                       act_min, act_max);
        }
    }
}

void mcusim_max_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                        int32_t kernel, int32_t stride, int32_t same,
                        int32_t act_min, int32_t act_max, int8_t *y)
{
    const int32_t t_out = mcusim_out_length(length, kernel, stride, 1, same);
    const int32_t pad = mcusim_pad_before(length, kernel, stride, 1, same);
    for (int32_t t = 0; t < t_out; t++) {
        int32_t lo, hi;
        window(t, length, kernel, stride, pad, &lo, &hi);
        for (int32_t c = 0; c < channels; c++) {
            int32_t m = -128;
            const int8_t *px = x + lo * channels + c;
            for (int32_t i = lo; i < hi; i++, px += channels) {
                m = *px > m ? *px : m;
            }
            y[t * channels + c] = (int8_t)mcusim_clamp(m, act_min, act_max);
        }
    }
}

void mcusim_global_avg_pool_s8(const int8_t *x, int32_t length, int32_t channels,
                               int32_t act_min, int32_t act_max, int8_t *y)
{
    const uint32_t recip = mcusim_recip24((uint32_t)length);
    for (int32_t c = 0; c < channels; c++) {
        int32_t sum = 0;
        const int8_t *px = x + c;
        for (int32_t i = 0; i < length; i++, px += channels) {
            sum += *px;
        }
        y[c] = (int8_t)mcusim_clamp(mcusim_div_round(sum, (uint32_t)length, recip),
                                    act_min, act_max);
    }
}
