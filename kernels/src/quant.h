/*
 * quant.h - fixed-point requantization, inline (mirrors mcusim/reference/quant.py).
 *
 * TFLite's double-rounding MultiplyByQuantizedMultiplier:
 *   MBQM(x, m, s) = RDBPOT(SRDHM(wrap32(x << max(s, 0)), m), max(-s, 0))
 * SRDHM is gemmlowp's SaturatingRoundingDoublingHighMul. Its nudge
 * (2^30, or 1 - 2^30 for negative products, then truncating division by 2^31)
 * equals floor((a*b + 2^30) / 2^31) for every product, which is what is
 * computed here with one 64-bit multiply-accumulate (SMLAL on ARMv7-M).
 * All int32 wrap-around is done in uint32_t, so nothing here is undefined C.
 */
#ifndef MCUSIM_QUANT_H
#define MCUSIM_QUANT_H

#include <stdint.h>

#define MCUSIM_INLINE static inline __attribute__((always_inline))

MCUSIM_INLINE int32_t mcusim_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

MCUSIM_INLINE int32_t mcusim_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * b + (1ll << 30)) >> 31);
}

/* x / 2^e rounded to nearest, ties away from zero; 0 <= e <= 31. */
MCUSIM_INLINE int32_t mcusim_rdbpot(int32_t x, int32_t e)
{
    const int32_t mask = (int32_t)((1u << e) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0);
    return (x >> e) + (remainder > threshold);
}

MCUSIM_INLINE int32_t mcusim_mbqm(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return mcusim_rdbpot(mcusim_srdhm((int32_t)((uint32_t)x << left), mult), right);
}

MCUSIM_INLINE int32_t mcusim_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/*
 * Requantization with the shift decoded once per output channel, for the hot
 * loops. Precondition (checked by the model reader, docs/format.md rule A):
 * mult >= 0, so SRDHM's one saturating case (INT32_MIN * INT32_MIN) cannot occur.
 */
typedef struct {
    int32_t mult;
    int32_t left;       /* max(shift, 0) */
    int32_t right;      /* max(-shift, 0) */
    int32_t mask;       /* 2^right - 1 */
    int32_t half;       /* mask >> 1 */
} mcusim_rq_t;

MCUSIM_INLINE mcusim_rq_t mcusim_rq(int32_t mult, int32_t shift)
{
    mcusim_rq_t q;
    q.mult = mult;
    q.left = shift > 0 ? shift : 0;
    q.right = shift > 0 ? 0 : -shift;
    q.mask = (int32_t)((1u << q.right) - 1u);
    q.half = q.mask >> 1;
    return q;
}

MCUSIM_INLINE int32_t mcusim_rq_apply(int32_t acc, const mcusim_rq_t *q)
{
    const int32_t x = (int32_t)((uint32_t)acc << q->left);
    const int32_t high = (int32_t)(((int64_t)x * q->mult + (1ll << 30)) >> 31);
    return (high >> q->right) + ((high & q->mask) > q->half + (high < 0));
}

/*
 * The same requantization with the rounding shift fused into the 64-bit
 * product, for kernels whose accumulators share a channel's constants (the
 * pointwise and depthwise kernels). For a right shift r >= 1 and mult >= 0,
 *   RDBPOT(h, r) = floor((h + 2^(r-1) - [h < 0]) / 2^r),
 * and [h < 0] may be replaced by [x < 0] (with mult >= 0 they differ only
 * when h = 0, where both give 0). Nested floors of power-of-two divisions
 * combine, so with P = x * mult (|P| <= 2^62, no int64 overflow):
 *   MBQM = floor((P + 2^30 + 2^(30+r) - [x < 0] * 2^31) / 2^(31+r))
 *        = (high word of that sum) >> (r - 1),
 * one SMLAL from a per-channel constant, a borrow and one ASR. With r = 0
 * (no right shift) it is SRDHM alone: floor((P + 2^30) / 2^31).
 */
typedef struct {
    int32_t mult;
    int32_t left;       /* max(shift, 0) */
    int32_t rs;         /* r - 1 for a right shift r >= 1; -1 when r = 0 */
    uint32_t c_lo;      /* 2^30 + 2^(30+r) as a 64-bit constant (2^30 when r = 0) */
    int32_t c_hi;
} mcusim_rqf_t;

MCUSIM_INLINE mcusim_rqf_t mcusim_rqf(int32_t mult, int32_t shift)
{
    mcusim_rqf_t q;
    const int32_t r = shift > 0 ? 0 : -shift;
    const uint64_t c = (1ull << 30) + (r > 0 ? 1ull << (30 + r) : 0u);
    q.mult = mult;
    q.left = shift > 0 ? shift : 0;
    q.rs = r - 1;
    q.c_lo = (uint32_t)c;
    q.c_hi = (int32_t)(uint32_t)(c >> 32);
    return q;
}

/* The right-shift case (shift < 0, so no left shift): SMLAL, AND, SUBS, SBC, ASR. */
MCUSIM_INLINE int32_t mcusim_rqf_right(int32_t acc, const mcusim_rqf_t *q)
{
    const uint64_t c = ((uint64_t)(uint32_t)q->c_hi << 32) | q->c_lo;
    uint64_t p = (uint64_t)((int64_t)acc * q->mult) + c;
    p -= (uint32_t)acc & 0x80000000u;
    return (int32_t)(uint32_t)(p >> 32) >> q->rs;
}

MCUSIM_INLINE int32_t mcusim_rqf_apply(int32_t acc, const mcusim_rqf_t *q)
{
    if (q->rs >= 0) {
        return mcusim_rqf_right(acc, q);
    }
    const int32_t x = (int32_t)((uint32_t)acc << q->left);
    const uint64_t c = ((uint64_t)(uint32_t)q->c_hi << 32) | q->c_lo;
    return (int32_t)(uint32_t)(((uint64_t)((int64_t)x * q->mult) + c) >> 31);
}

/* Saturate to int8 (SSAT on ARMv7-M). */
MCUSIM_INLINE int8_t mcusim_sat8(int32_t v)
{
#if defined(__ARM_FEATURE_SAT)
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
    return (int8_t)r;
#else
    return (int8_t)mcusim_clamp(v, -128, 127);
#endif
}

/*
 * mcusim_rqf_right + out_zp + saturation with the sign borrow and the zero
 * point folded into the 64-bit constant, for a right shift r = rs + 1 in
 * [2, 23] and |out_zp| <= 128 (docs/firmware.md): h = 2^(rs-1) + out_zp * 2^rs
 * (mcusim_rq_fold_hi), low word 2^30 | (x & 2^31), high word h + (x >> 31);
 * AND, ORR, ADD, SMLAL, ASR, SSAT.
 */
MCUSIM_INLINE int32_t mcusim_rq_fold_hi(int32_t rs, int32_t out_zp)
{
    return (int32_t)((1u << (rs - 1)) + ((uint32_t)out_zp << rs));
}

MCUSIM_INLINE int32_t mcusim_rq_folded(int32_t x, int32_t m, int32_t rs, int32_t h)
{
    const uint32_t lo = ((uint32_t)x & 0x80000000u) | 0x40000000u;
    const uint32_t hi = (uint32_t)h + (uint32_t)(x >> 31);
    const uint64_t p = (((uint64_t)hi << 32) | lo) + (uint64_t)((int64_t)x * m);
    return (int32_t)mcusim_sat8((int32_t)(uint32_t)(p >> 32) >> rs);
}

/* Requantize, add the zero point, clamp; with `full` (a compile-time constant
 * in the kernels' two instantiations) the clamp is [-128, 127], one SSAT. */
MCUSIM_INLINE int8_t mcusim_out8(int32_t acc, const mcusim_rq_t *q, int32_t zp, int32_t lo,
                                 int32_t hi, const int full)
{
    const int32_t v = mcusim_wrap_add(mcusim_rq_apply(acc, q), zp);
    return full ? mcusim_sat8(v) : (int8_t)mcusim_clamp(v, lo, hi);
}

/* mcusim_out8 with the fused requantization; `right` (a compile-time constant
 * in the kernels) selects the right-shift-only form, for channels with rs >= 0. */
MCUSIM_INLINE int8_t mcusim_outf8(int32_t acc, const mcusim_rqf_t *q, int32_t zp, int32_t lo,
                                  int32_t hi, const int full, const int right)
{
    const int32_t r = right ? mcusim_rqf_right(acc, q) : mcusim_rqf_apply(acc, q);
    const int32_t v = mcusim_wrap_add(r, zp);
    return full ? mcusim_sat8(v) : (int8_t)mcusim_clamp(v, lo, hi);
}

/* int32 accumulator -> int8 output: MBQM, + out_zp (wrapping), clamp. */
MCUSIM_INLINE int8_t mcusim_requant_s8(int32_t acc, int32_t mult, int32_t shift, int32_t out_zp,
                                       int32_t act_min, int32_t act_max)
{
    return (int8_t)mcusim_clamp(mcusim_wrap_add(mcusim_mbqm(acc, mult, shift), out_zp),
                                act_min, act_max);
}

/*
 * Unsigned a / n for pools, 0 < n, a <= 129 * n. ARMv6-M has no divide
 * instruction (a library divide costs ~100 cycles), so there it is a multiply
 * by recip = floor(2^24 / n) (the caller computes it once per divisor) and an
 * exact correction: q0 = a * recip >> 24 never exceeds a / n and is at most
 * 2 below it while n < 2^16, and the loop adds what is missing.
 */
MCUSIM_INLINE uint32_t mcusim_recip24(uint32_t n)
{
    return (1u << 24) / n;
}

MCUSIM_INLINE uint32_t mcusim_udiv_recip(uint32_t a, uint32_t n, uint32_t recip)
{
    uint32_t q = (a * recip) >> 24;     /* a * recip <= 129 * 2^24 < 2^32 */
    while ((q + 1u) * n <= a) {
        q++;
    }
    return q;
}

#if (defined(__ARM_FEATURE_IDIV) || defined(MCUSIM_EMULATE_DSP)) && !defined(MCUSIM_PORTABLE)
#define MCUSIM_HW_DIVIDE 1
#else
#define MCUSIM_HW_DIVIDE 0
#endif

/* TFLite pooling average: sum > 0 ? (sum + n/2) / n : (sum - n/2) / n (C truncation). */
MCUSIM_INLINE int32_t mcusim_div_round(int32_t sum, uint32_t n, uint32_t recip)
{
    const uint32_t half = n >> 1;
#if MCUSIM_HW_DIVIDE
    (void)recip;
    if (sum > 0) {
        return (int32_t)(((uint32_t)sum + half) / n);
    }
    return -(int32_t)((half - (uint32_t)sum) / n);
#else
    if (sum > 0) {
        return (int32_t)mcusim_udiv_recip((uint32_t)sum + half, n, recip);
    }
    return -(int32_t)mcusim_udiv_recip(half - (uint32_t)sum, n, recip);
#endif
}

#endif /* MCUSIM_QUANT_H */
