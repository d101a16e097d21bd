/*
 * ops_pw.c - pointwise (1x1) convolution, int8 (mcusim.reference.ops.pw_conv).
 *
 *   y[t][o] = requant(bias[o] + sum_c w[o][c] * (x[t][c] - in_zp), mult[o], shift[o])
 *
 * Written as CMSIS-NN's arm_nn_mat_mult_nt_t_s8 (the kernel behind
 * arm_convolve_1x1_s8_fast): the zero point's share is folded into the bias
 * once per output channel (bias - in_zp * sum_c w[o][c]), and the main loop
 * computes a 2 time steps x 2 output channels block, so every int8 word loaded
 * feeds two outputs. On ARMv7E-M each 4-channel group costs 4 LDR, 8 SXTB16 and
 * 8 SMLAD for 16 MACs (SXTB16 pairs bytes 0,2 and SXTB16 ROR #8 bytes 1,3 of
 * both operands, so the pairs line up without reordering); the loop is
 * unrolled to 16 channels. The portable path (ARMv6-M, host) does the same
 * blocking with scalar multiplies.
 *
 * Generated kernels are synthesized in the same [cout][cin] row-major layout as
 * stored ones: a same-size int8 reordering cannot save an SXTB16 (every weight
 * byte needs one unpack either way), and the only layout that would, int16
 * weights, doubles the kernel cache (see docs/firmware.md).
 */
#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

#if !MCUSIM_USE_DSP
/* Bias with the input zero point folded in: bias - in_zp * sum(w), wrapping. */
static int32_t folded_bias(const int32_t *bias, int32_t o, const int8_t *row, int32_t cin,
                           int32_t in_zp)
{
    uint32_t b = bias ? (uint32_t)bias[o] : 0u;
    return (int32_t)(b - (uint32_t)in_zp * (uint32_t)mcusim_row_sum_s8(row, cin));
}
#endif

#if MCUSIM_USE_DSP

/*
 * The 2x2 block on ARMv7E-M. The input zero point is added while unpacking x
 * (SXTAB16 with the pair (-in_zp, -in_zp): x - in_zp fits int16), so no weight
 * row sums are needed. One 4-channel step, 6 temporaries:
 *
 *   LDR x0, [pa], #4     LDR w0, [pb], #4     LDR x1, [pa, c4]     (pipelined: 4 cycles)
 *   w0 -> (we0, wo0), x0 -> (xe0, xo0)                             (4 SXTB16/SXTAB16)
 *   a00 += x0.w0                                                   (2 SMLAD)
 *   x1 -> (xe1, xo1); a10 += x1.w0                                 (2 + 2)
 *   LDR w1, [pb, c4]; w1 -> (we1, wo1); a01 += x0.w1; a11 += x1.w1 (2 + 2 + 4)
 *
 * 22 cycles for 16 MACs on the M4; c4 = cin - 4 reaches row t+1 / o+1 after
 * the post-increment. With 4 accumulators, pa, pb, c4, the offset pair and 6
 * temporaries the loop needs all 14 usable registers, so the loop end is
 * compared against a value on the stack, once per 16 channels.
 */
#if defined(__arm__)
#define PW_ASM_STEP                                                   \
    "ldr    %[t0], [%[pa]], #4\n\t"                                   \
    "ldr    %[t1], [%[pb]], #4\n\t"                                   \
    "ldr    %[t2], [%[pa], %[c4]]\n\t"                                \
    "sxtb16 %[t3], %[t1], ror #8\n\t"                                 \
    "sxtb16 %[t1], %[t1]\n\t"                                         \
    "sxtab16 %[t4], %[off], %[t0], ror #8\n\t"                        \
    "sxtab16 %[t0], %[off], %[t0]\n\t"                                \
    "smlad  %[a00], %[t0], %[t1], %[a00]\n\t"                         \
    "smlad  %[a00], %[t4], %[t3], %[a00]\n\t"                         \
    "sxtab16 %[t5], %[off], %[t2], ror #8\n\t"                        \
    "sxtab16 %[t2], %[off], %[t2]\n\t"                                \
    "smlad  %[a10], %[t2], %[t1], %[a10]\n\t"                         \
    "smlad  %[a10], %[t5], %[t3], %[a10]\n\t"                         \
    "ldr    %[t1], [%[pb], %[c4]]\n\t"                                \
    "sxtb16 %[t3], %[t1], ror #8\n\t"                                 \
    "sxtb16 %[t1], %[t1]\n\t"                                         \
    "smlad  %[a01], %[t0], %[t1], %[a01]\n\t"                         \
    "smlad  %[a01], %[t4], %[t3], %[a01]\n\t"                         \
    "smlad  %[a11], %[t2], %[t1], %[a11]\n\t"                         \
    "smlad  %[a11], %[t5], %[t3], %[a11]\n\t"

/* n16 > 0 iterations of 16 channels. */
#define PW_LOOP16(pa, pb, c4, off, end, a00, a01, a10, a11)                                      \
    do {                                                                                         \
        uint32_t t0_, t1_, t2_, t3_, t4_, t5_;                                                   \
        __asm__ volatile("1:\n\t" PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP                \
                         "ldr    %[t0], %[end]\n\t"                                              \
                         "cmp    %[pa], %[t0]\n\t"                                               \
                         "bne    1b\n\t"                                                         \
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),   \
                           [pa] "+r"(pa), [pb] "+r"(pb), [t0] "=&r"(t0_), [t1] "=&r"(t1_),       \
                           [t2] "=&r"(t2_), [t3] "=&r"(t3_), [t4] "=&r"(t4_), [t5] "=&r"(t5_)    \
                         : [c4] "r"(c4), [off] "r"(off), [end] "m"(end)                          \
                         : "cc", "memory");                                                      \
    } while (0)
#endif

/* One 4-channel step in C: the same loads, unpacking and SMLAD pairs as PW_ASM_STEP. */
#define PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11)                \
    do {                                                             \
        const uint32_t x0_ = mcusim_read_s8x4(pa);                   \
        const uint32_t w0_ = mcusim_read_s8x4(pb);                   \
        (pa) += 4;                                                   \
        (pb) += 4;                                                   \
        const uint32_t x1_ = mcusim_read_s8x4((pa) + (c4));          \
        const uint32_t wo0_ = dsp_sxtb16_ror8(w0_);                  \
        const uint32_t we0_ = dsp_sxtb16(w0_);                       \
        const uint32_t xo0_ = dsp_sxtab16_ror8(off, x0_);            \
        const uint32_t xe0_ = dsp_sxtab16(off, x0_);                 \
        a00 = dsp_smlad(xe0_, we0_, a00);                            \
        a00 = dsp_smlad(xo0_, wo0_, a00);                            \
        const uint32_t xo1_ = dsp_sxtab16_ror8(off, x1_);            \
        const uint32_t xe1_ = dsp_sxtab16(off, x1_);                 \
        a10 = dsp_smlad(xe1_, we0_, a10);                            \
        a10 = dsp_smlad(xo1_, wo0_, a10);                            \
        const uint32_t w1_ = mcusim_read_s8x4((pb) + (c4));          \
        const uint32_t wo1_ = dsp_sxtb16_ror8(w1_);                  \
        const uint32_t we1_ = dsp_sxtb16(w1_);                       \
        a01 = dsp_smlad(xe0_, we1_, a01);                            \
        a01 = dsp_smlad(xo0_, wo1_, a01);                            \
        a11 = dsp_smlad(xe1_, we1_, a11);                            \
        a11 = dsp_smlad(xo1_, wo1_, a11);                            \
    } while (0)

#if !defined(__arm__)
#define PW_LOOP16(pa, pb, c4, off, end, a00, a01, a10, a11)                                      \
    do {                                                                                         \
        do {                                                                                     \
            PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);                                      \
            PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);                                      \
            PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);                                      \
            PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);                                      \
        } while ((pa) != (end));                                                                 \
    } while (0)
#endif

/* a[0..3] += the 2x2 block of dot products of (x rows t, t+1) - in_zp with w rows (o, o+1):
 * acc = {(t, o), (t, o+1), (t+1, o), (t+1, o+1)}. */
static inline __attribute__((always_inline)) void block_2x2(const int8_t *pa, const int8_t *pb,
                                                            int32_t cin, int32_t in_off,
                                                            int32_t *acc)
{
    const uint32_t off = mcusim_dup16(in_off);
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int32_t c4 = cin - 4;
    if (cin >= 16) {
        const int8_t *const end = pa + (cin & ~15);
        PW_LOOP16(pa, pb, c4, off, end, a00, a01, a10, a11);
    }
    for (int32_t n = (cin >> 2) & 3; n > 0; n--) {
        PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);
    }
    for (int32_t n = cin & 3; n > 0; n--) {
        const int32_t wa = pb[0], wb = pb[cin];
        const int32_t xa = pa[0] + in_off, xb = pa[cin] + in_off;
        a00 = mcusim_wrap_add(a00, xa * wa);
        a01 = mcusim_wrap_add(a01, xa * wb);
        a10 = mcusim_wrap_add(a10, xb * wa);
        a11 = mcusim_wrap_add(a11, xb * wb);
        pa++;
        pb++;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

#else /* portable */

/* The portable path folds the input zero point into the bias instead (one
 * subtraction per output channel rather than one per element). */
static inline __attribute__((always_inline)) void block_2x2(const int8_t *pa, const int8_t *pb,
                                                            int32_t cin, int32_t in_off,
                                                            int32_t *acc)
{
    (void)in_off;
    uint32_t a00 = (uint32_t)acc[0], a01 = (uint32_t)acc[1];
    uint32_t a10 = (uint32_t)acc[2], a11 = (uint32_t)acc[3];
    const int8_t *qa = pa + cin, *qb = pb + cin;
    for (int32_t c = 0; c < cin; c++) {
        const int32_t wa = pb[c], wb = qb[c];
        const int32_t xa = pa[c], xb = qa[c];
        a00 += (uint32_t)(xa * wa);
        a01 += (uint32_t)(xa * wb);
        a10 += (uint32_t)(xb * wa);
        a11 += (uint32_t)(xb * wb);
    }
    acc[0] = (int32_t)a00;
    acc[1] = (int32_t)a01;
    acc[2] = (int32_t)a10;
    acc[3] = (int32_t)a11;
}

#endif

/* The bias of output channel o as the blocks start from it: on ARMv7E-M the
 * blocks subtract the input zero point themselves; the portable blocks do not,
 * so its share is folded in here (bias - in_zp * sum(w), wrapping). */
static inline __attribute__((always_inline)) int32_t start_bias(const int32_t *bias, int32_t o,
                                                                 const int8_t *row, int32_t cin,
                                                                 int32_t in_zp)
{
#if MCUSIM_USE_DSP
    (void)row;
    (void)cin;
    (void)in_zp;
    return bias ? bias[o] : 0;
#else
    return folded_bias(bias, o, row, cin, in_zp);
#endif
}

/* One output (t, o) outside the 2x2 blocks. */
static inline __attribute__((always_inline)) int32_t single(const int8_t *px, const int8_t *row,
                                                            int32_t cin, int32_t b,
                                                            int32_t in_zp)
{
#if MCUSIM_USE_DSP
    return mcusim_wrap_add(b, mcusim_dot_s8(px, row, cin, -in_zp));
#else
    (void)in_zp;
    return mcusim_wrap_add(b, mcusim_dot_s8(px, row, cin, 0));
#endif
}

#if MCUSIM_USE_DSP
/*
 * The fast path: one output-channel pair over all time-step pairs, the whole
 * t loop (bias load, 2x2 dot products, requantization of the 4 outputs,
 * stores, pointer updates) in one asm block, so nothing is spilled and
 * reloaded per block except the few constants below. Conditions (checked by
 * pw_conv): cin a multiple of 16, clamp [-128, 127], right shifts
 * r in [2, 23] on both channels, |out_zp| <= 128. The requantization is
 * mcusim_rqf_right with two constants folded in:
 *   c = 2^30 + 2^(30+r) - [x < 0] 2^31:  low word 2^30 | (x & 2^31) (r >= 2),
 *       high word 2^(r-2) + (x >> 31);
 *   + out_zp * 2^(32 + r - 1): the zero point added before the final shift
 *       (exact: it is a multiple of 2^(r-1) in the high word, and the int64
 *       sum stays below 2^63 for r <= 23, so the high word cannot overflow),
 * so each output is AND, ORR, ADD, SMLAL, ASR, SSAT; two outputs of one time
 * step are stored with one STRH (BFI packs them).
 */
typedef struct {
    const int8_t *w0;       /* weight row o (o + 1 follows at +cin) */
    const int8_t *wend;     /* w0 + cin: the inner loop's end */
    int32_t b0, b1;         /* biases of o, o + 1 */
    int32_t m0, rs0, h0;    /* channel o: mult, r - 1, folded high constant */
    int32_t m1, rs1, h1;
    int32_t ent;            /* (4 - cin / 16) mod 4: 16-channel quarters the first pass of the
                             * 64-channel loop skips */
    int32_t cout, cin;
    int8_t *py;             /* y + t * cout + o, advanced by the block */
    const int8_t *paend;    /* x + npairs * 2 * cin */
} pw_pair_t;

/* The high constant word for r - 1 = rs in [1, 22]: 2^(rs - 1) + out_zp * 2^rs. */
MCUSIM_INLINE int32_t pw_fold_hi(int32_t rs, int32_t out_zp)
{
    return (int32_t)((1u << (rs - 1)) + ((uint32_t)out_zp << rs));
}

#if !defined(__arm__)
/* The C twin of PW_PAIR_ASM: the same steps in the same order. */
MCUSIM_INLINE int32_t pw_rq_fast(int32_t x, int32_t m, int32_t rs, int32_t h)
{
    const uint32_t lo = ((uint32_t)x & 0x80000000u) | 0x40000000u;
    const uint32_t hi = (uint32_t)h + (uint32_t)(x >> 31);
    const uint64_t p = (((uint64_t)hi << 32) | lo) + (uint64_t)((int64_t)x * m);
    return (int32_t)mcusim_sat8((int32_t)(uint32_t)(p >> 32) >> rs);
}

MCUSIM_INLINE void pw_pair_run(const int8_t *pa, pw_pair_t *c, uint32_t off, int32_t c4)
{
    do {
        const int8_t *pb = c->w0;
        int32_t a00 = c->b0, a01 = c->b1, a10 = a00, a11 = a01;
        int32_t skip = c->ent;
        do {
            for (int32_t q = 0; q < 4; q++) {
                if (skip) {
                    skip--;
                    continue;
                }
                PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);
                PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);
                PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);
                PW_C_STEP(pa, pb, c4, off, a00, a01, a10, a11);
            }
        } while (pb != c->wend);
        int8_t *py = c->py;
        py[0] = (int8_t)pw_rq_fast(a00, c->m0, c->rs0, c->h0);
        py[c->cout] = (int8_t)pw_rq_fast(a10, c->m0, c->rs0, c->h0);
        py[1] = (int8_t)pw_rq_fast(a01, c->m1, c->rs1, c->h1);
        py[c->cout + 1] = (int8_t)pw_rq_fast(a11, c->m1, c->rs1, c->h1);
        c->py = py + 2 * c->cout;
        pa += c->cin;
    } while (pa != c->paend);
}
#else
#define PW_RQ_ASM(a, tm, trs, th)                                     \
    "and    %[t3], %[" a "], #0x80000000\n\t"                         \
    "orr    %[t3], %[t3], #0x40000000\n\t"                            \
    "add    %[t4], %[" th "], %[" a "], asr #31\n\t"                  \
    "smlal  %[t3], %[t4], %[" a "], %[" tm "]\n\t"                    \
    "asr    %[" a "], %[t4], %[" trs "]\n\t"                          \
    "ssat   %[" a "], #8, %[" a "]\n\t"

MCUSIM_INLINE void pw_pair_run(const int8_t *pa, pw_pair_t *c, uint32_t off, int32_t c4)
{
    int32_t a00, a01, a10, a11;
    const int8_t *pb;
    uint32_t t0, t1, t2, t3, t4, t5;
    __asm__ volatile(
        "0:\n\t"
        "ldr    %[pb], %[w0]\n\t"
        "ldr    %[a00], %[b0]\n\t"
        "ldr    %[a01], %[b1]\n\t"
        "ldr    %[t0], %[ent]\n\t"
        "mov    %[a10], %[a00]\n\t"
        "mov    %[a11], %[a01]\n\t"
        "cmp    %[t0], #0\n\t"
        "bne    9f\n\t"
        "1:\n\t" PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP
        "2:\n\t" PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP
        "3:\n\t" PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP
        "4:\n\t" PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP PW_ASM_STEP
        "ldr    %[t0], %[wend]\n\t"
        "cmp    %[pb], %[t0]\n\t"
        "bne    1b\n\t"
        "ldr    %[t0], %[m0]\n\t"
        "ldr    %[t1], %[rs0]\n\t"
        "ldr    %[t2], %[h0]\n\t"
        "ldr    %[pb], %[py]\n\t"
        "ldr    %[t5], %[cout]\n\t"
        PW_RQ_ASM("a00", "t0", "t1", "t2")
        PW_RQ_ASM("a10", "t0", "t1", "t2")
        "ldr    %[t0], %[m1]\n\t"
        "ldr    %[t1], %[rs1]\n\t"
        "ldr    %[t2], %[h1]\n\t"
        PW_RQ_ASM("a01", "t0", "t1", "t2")
        PW_RQ_ASM("a11", "t0", "t1", "t2")
        "bfi    %[a00], %[a01], #8, #24\n\t"
        "bfi    %[a10], %[a11], #8, #24\n\t"
        "strh   %[a00], [%[pb]]\n\t"
        "strh   %[a10], [%[pb], %[t5]]\n\t"
        "add    %[pb], %[pb], %[t5], lsl #1\n\t"
        "str    %[pb], %[py]\n\t"
        "ldr    %[t5], %[cin]\n\t"
        "ldr    %[t0], %[paend]\n\t"
        "add    %[pa], %[pa], %[t5]\n\t"
        "cmp    %[pa], %[t0]\n\t"
        "bne    0b\n\t"
        "b      8f\n\t"
        "9:\n\t"                /* the first pass starts at quarter ent */
        "cmp    %[t0], #2\n\t"
        "blt    2b\n\t"
        "beq    3b\n\t"
        "b      4b\n\t"
        "8:\n\t"
        : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [pa] "+r"(pa), [pb] "=&r"(pb), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
          [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
        : [py] "m"(c->py), [c4] "r"(c4), [off] "r"(off), [w0] "m"(c->w0), [wend] "m"(c->wend), [b0] "m"(c->b0),
          [b1] "m"(c->b1), [ent] "m"(c->ent), [m0] "m"(c->m0), [rs0] "m"(c->rs0),
          [h0] "m"(c->h0), [m1] "m"(c->m1), [rs1] "m"(c->rs1), [h1] "m"(c->h1),
          [cout] "m"(c->cout), [cin] "m"(c->cin), [paend] "m"(c->paend)
        : "cc", "memory");
}
#endif
#endif /* MCUSIM_USE_DSP */

/*
 * The kernel body, shared with fully_connected (rows as time steps): the
 * requantization constants of channel o are mult[o * qstride], shift[o * qstride]
 * (qstride 0: per-tensor).
 */
static inline __attribute__((always_inline)) void pw_conv(
    const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t qstride,
    int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi, int8_t *y, const int full)
{
    int32_t o = 0;
#if MCUSIM_USE_DSP
    /* The fast path's per-layer constants, then per channel pair only what changes. */
    const int fast = full && cin >= 16 && (cin & 15) == 0 && length >= 2 && out_zp >= -128 &&
                     out_zp <= 128;
    pw_pair_t c;
    const uint32_t off = mcusim_dup16(-in_zp);
    if (fast) {
        c.ent = (4 - (cin >> 4)) & 3;
        c.cout = cout;
        c.cin = cin;
        c.paend = x + (length >> 1) * 2 * cin;
    }
#endif
    for (; o + 2 <= cout; o += 2) {
#if MCUSIM_USE_DSP
        if (fast) {
            /* right shifts r in [2, 23] on both channels: shift in [-23, -2] */
            const int32_t s0 = shift[o * qstride], s1 = shift[(o + 1) * qstride];
            if ((uint32_t)(-s0 - 2) <= 21u && (uint32_t)(-s1 - 2) <= 21u) {
                const int8_t *w0 = w + o * cin;
                c.w0 = w0;
                c.wend = w0 + cin;
                c.b0 = bias ? bias[o] : 0;
                c.b1 = bias ? bias[o + 1] : 0;
                c.m0 = mult[o * qstride];
                c.rs0 = -s0 - 1;
                c.h0 = pw_fold_hi(c.rs0, out_zp);
                c.m1 = mult[(o + 1) * qstride];
                c.rs1 = -s1 - 1;
                c.h1 = pw_fold_hi(c.rs1, out_zp);
                c.py = y + o;
                pw_pair_run(x, &c, off, cin - 4);
                if (length & 1) {
                    const mcusim_rqf_t q0 = mcusim_rqf(c.m0, s0), q1 = mcusim_rqf(c.m1, s1);
                    int8_t *py = c.py;
                    py[0] = mcusim_outf8(single(c.paend, w0, cin, c.b0, in_zp), &q0, out_zp, lo,
                                         hi, full, 0);
                    py[1] = mcusim_outf8(single(c.paend, w0 + cin, cin, c.b1, in_zp), &q1, out_zp,
                                         lo, hi, full, 0);
                }
                continue;
            }
        }
#endif
        const int8_t *w0 = w + o * cin;
        const int32_t b0 = start_bias(bias, o, w0, cin, in_zp);
        const int32_t b1 = start_bias(bias, o + 1, w0 + cin, cin, in_zp);
        const mcusim_rqf_t q0 = mcusim_rqf(mult[o * qstride], shift[o * qstride]);
        const mcusim_rqf_t q1 = mcusim_rqf(mult[(o + 1) * qstride], shift[(o + 1) * qstride]);
        const int8_t *px = x;
        int8_t *py = y + o;
        int32_t t = length;
        if (q0.rs >= 0 && q1.rs >= 0) {     /* right shifts only: the usual case */
            for (; t >= 2; t -= 2) {
                int32_t acc[4] = {b0, b1, b0, b1};
                block_2x2(px, w0, cin, -in_zp, acc);
                py[0] = mcusim_outf8(acc[0], &q0, out_zp, lo, hi, full, 1);
                py[cout] = mcusim_outf8(acc[2], &q0, out_zp, lo, hi, full, 1);
                py[1] = mcusim_outf8(acc[1], &q1, out_zp, lo, hi, full, 1);
                py[cout + 1] = mcusim_outf8(acc[3], &q1, out_zp, lo, hi, full, 1);
                px += 2 * cin;
                py += 2 * cout;
            }
        } else {
            for (; t >= 2; t -= 2) {
                int32_t acc[4] = {b0, b1, b0, b1};
                block_2x2(px, w0, cin, -in_zp, acc);
                py[0] = mcusim_outf8(acc[0], &q0, out_zp, lo, hi, full, 0);
                py[cout] = mcusim_outf8(acc[2], &q0, out_zp, lo, hi, full, 0);
                py[1] = mcusim_outf8(acc[1], &q1, out_zp, lo, hi, full, 0);
                py[cout + 1] = mcusim_outf8(acc[3], &q1, out_zp, lo, hi, full, 0);
                px += 2 * cin;
                py += 2 * cout;
            }
        }
        if (t) {
            py[0] = mcusim_outf8(single(px, w0, cin, b0, in_zp), &q0, out_zp, lo, hi, full, 0);
            py[1] = mcusim_outf8(single(px, w0 + cin, cin, b1, in_zp), &q1, out_zp, lo, hi, full, 0);
        }
    }
    if (o < cout) {
        const int8_t *w0 = w + o * cin;
        const int32_t b0 = start_bias(bias, o, w0, cin, in_zp);
        const mcusim_rqf_t q0 = mcusim_rqf(mult[o * qstride], shift[o * qstride]);
        for (int32_t t = 0; t < length; t++) {
            y[t * cout + o] = mcusim_outf8(single(x + t * cin, w0, cin, b0, in_zp), &q0, out_zp,
                                          lo, hi, full, 0);
        }
    }
}

void mcusim_pw_core_s8(const int8_t *x, int32_t length, int32_t cin, const int8_t *w,
                       int32_t cout, const int32_t *bias, const int32_t *mult,
                       const int8_t *shift, int32_t qstride, int32_t in_zp, int32_t out_zp,
                       int32_t act_min, int32_t act_max, int8_t *y)
{
    if (act_min == -128 && act_max == 127) {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, -128, 127, y,
                1);
    } else {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, act_min,
                act_max, y, 0);
    }
}

void mcusim_pw_conv_s8(const int8_t *x, int32_t length, int32_t cin,
                       const int8_t *w, int32_t cout,
                       const int32_t *bias, const int32_t *mult, const int8_t *shift,
                       int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
                       int8_t *y)
{
    mcusim_pw_core_s8(x, length, cin, w, cout, bias, mult, shift, 1, in_zp, out_zp, act_min,
                      act_max, y);
}
