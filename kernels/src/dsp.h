/*
 * dsp.h - the ARMv7E-M DSP instructions the optimized kernels use.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7) they are
 * the real instructions (ACLE intrinsics; the rotated forms as inline asm,
 * because GCC does not fold a rotate into SXTB16/SXTAB16). With
 * MCUSIM_EMULATE_DSP (host builds) they are C functions with the same
 * semantics (Arm ARM, DDI0403E section A7.7), so the very same kernel source,
 * data layout and instruction sequence is tested on the host against the
 * reference. MCUSIM_PORTABLE forces the portable C kernels everywhere.
 *
 *   SXTB16  d = { sext(x[7:0]), sext(x[23:16]) }            (halfwords)
 *   SXTB16 with ROR #8  d = { sext(x[15:8]), sext(x[31:24]) }
 *   SXTAB16 d = a + SXTB16(x), per halfword, modulo 2^16
 *   SMLAD   d = acc + a.lo*b.lo + a.hi*b.hi                  (modulo 2^32)
 *   SMLABB  d = acc + a.lo*b.lo;  SMLATT d = acc + a.hi*b.hi
 */
#ifndef MCUSIM_DSP_H
#define MCUSIM_DSP_H

#include <stdint.h>
#include <string.h>

#include "quant.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MCUSIM_PORTABLE)
#define MCUSIM_USE_DSP 1
#include <arm_acle.h>

MCUSIM_INLINE uint32_t dsp_sxtb16(uint32_t x) { return __sxtb16(x); }
MCUSIM_INLINE uint32_t dsp_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
MCUSIM_INLINE uint32_t dsp_sxtab16(uint32_t a, uint32_t x) { return __sxtab16(a, x); }
MCUSIM_INLINE uint32_t dsp_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}
MCUSIM_INLINE int32_t dsp_smlad(uint32_t a, uint32_t b, int32_t acc) { return __smlad(a, b, acc); }
MCUSIM_INLINE int32_t dsp_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb((int32_t)a, (int32_t)b, acc);
}
MCUSIM_INLINE int32_t dsp_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatt((int32_t)a, (int32_t)b, acc);
}

#elif defined(MCUSIM_EMULATE_DSP) && !defined(MCUSIM_PORTABLE)
#define MCUSIM_USE_DSP 1

MCUSIM_INLINE int32_t dsp_lo(uint32_t x) { return (int16_t)(uint16_t)(x & 0xFFFFu); }
MCUSIM_INLINE int32_t dsp_hi(uint32_t x) { return (int16_t)(uint16_t)(x >> 16); }
MCUSIM_INLINE uint32_t dsp_pack(int32_t lo, int32_t hi)
{
    return ((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu);
}
MCUSIM_INLINE uint32_t dsp_sxtb16(uint32_t x)
{
    return dsp_pack((int8_t)(uint8_t)x, (int8_t)(uint8_t)(x >> 16));
}
MCUSIM_INLINE uint32_t dsp_sxtb16_ror8(uint32_t x) { return dsp_sxtb16((x >> 8) | (x << 24)); }
MCUSIM_INLINE uint32_t dsp_sxtab16(uint32_t a, uint32_t x)
{
    uint32_t e = dsp_sxtb16(x);
    return dsp_pack(dsp_lo(a) + dsp_lo(e), dsp_hi(a) + dsp_hi(e));
}
MCUSIM_INLINE uint32_t dsp_sxtab16_ror8(uint32_t a, uint32_t x)
{
    return dsp_sxtab16(a, (x >> 8) | (x << 24));
}
MCUSIM_INLINE int32_t dsp_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    uint32_t p = (uint32_t)(dsp_lo(a) * dsp_lo(b)) + (uint32_t)(dsp_hi(a) * dsp_hi(b));
    return (int32_t)((uint32_t)acc + p);
}
MCUSIM_INLINE int32_t dsp_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(dsp_lo(a) * dsp_lo(b)));
}
MCUSIM_INLINE int32_t dsp_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(dsp_hi(a) * dsp_hi(b)));
}

#else
#define MCUSIM_USE_DSP 0
#endif

/* Four int8 as one word, any alignment (LDR on ARMv7-M, which allows unaligned LDR). */
MCUSIM_INLINE uint32_t mcusim_read_s8x4(const int8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* The int16 pair (v, v) for SXTAB16: adds v to both halfwords. */
MCUSIM_INLINE uint32_t mcusim_dup16(int32_t v)
{
    return ((uint32_t)v & 0xFFFFu) * 0x00010001u;
}

#endif /* MCUSIM_DSP_H */
