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
/* One 16-MAC step of the 2x2 block: the three loads that open it, then its
 * body (unpacking, the fourth load, eight SMLADs). Split so that the loop's
 * last step can slip the loop-end test in between. */
#define PW_ASM_STEP_LOADS                                             \
    "ldr    %[t0], [%[pa]], #4\n\t"                                   \
    "ldr    %[t1], [%[pb]], #4\n\t"                                   \
    "ldr    %[t2], [%[pa], %[c4]]\n\t"

#define PW_ASM_STEP_BODY                                              \
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

#define PW_ASM_STEP PW_ASM_STEP_LOADS PW_ASM_STEP_BODY

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
 * The fast path: a run of output-channel pairs, each over all time-step pairs,
 * in one asm block: per pair its constants (the requantization folded below,
 * biases, weight rows), per 2x2 block the bias load, the dot products, the
 * requantization of the 4 outputs, stores and pointer updates; the block
 * stops at the first pair with a shift out of range (pw_rest runs that pair
 * through the general blocks and starts a new run) or after the last pair.
 * Conditions (pw_fast_ok and the callers): cin a multiple of 16, length >= 2, clamp
 * [-128, 127], |out_zp| <= 128; per pair: right shifts r in [1, 23] on both
 * channels. The requantization is mcusim_rqf_right + out_zp with everything
 * but the sign borrow in one 64-bit constant
 *   C0 = 2^30 + 2^(30+r) + out_zp * 2^(31+r) = H * 2^32 + K
 * (with V = (2 out_zp + 1) << (r - 1): H = V >> 1, K = 2^30 | (V << 31), i.e.
 * 2^30 for r >= 2 and 2^30 + 2^31 for r = 1), and the borrow -[x < 0] * 2^31
 * added as the 64-bit value (x & 2^31) + 2^32 * (x >> 31) with a carry:
 *   lo = (x & 2^31) + K (ADDS), hi = H + (x >> 31) + carry (ADC), SMLAL x * m,
 *   y = hi >> (r - 1) (ASR), SSAT.
 * Exact: |x * m| < 2^62 and |C0| < 2^61 + 2^54 for r <= 23, |out_zp| <= 128,
 * so the int64 sum cannot overflow and its high word shifted right by r - 1
 * is floor(sum / 2^(31+r)) = MBQM + out_zp. The two outputs of one time step
 * are stored with one STRH (BFI packs them).
 *
 * The run's state lives in a pw_run_t (28 words) that the asm copies into a
 * stack frame of its own (sub sp), so every field is [sp, #k] with a known k
 * and no register is spent on a base pointer: the 64-channel loop needs all
 * 14 (4 accumulators, 2 pointers, cin, the -in_zp pair, 6 temporaries).
 *
 * The asm pins its 14 registers (r0-r12, lr), so that a pair's 12 frame words
 * (weight row and loop end, biases, both channels' requantization constants,
 * words 0-11) are written with one STM {r0-r11} and its first block starts
 * from them in registers. The loop pointers are kept 4 bytes behind
 * (pre-indexed loads), so the next block's x rows are one ADD of cin away.
 * ent = 0 (cin a multiple of 64) runs its blocks back to back (loop until
 * paende); otherwise paende is 0 and every block goes through the entry
 * dispatch (label 10).
 */
typedef struct pw_run_s {
    uintptr_t w0;           /*  0 weight row o - 4 (o + 1 follows at +cin); starts one pair early */
    uintptr_t wend;         /*  4 w0 + cin: the inner loop's end */
    int32_t b0, b1;         /*  8 biases of o, o + 1 */
    int32_t m0, rs0, h0, k0; /* 16 channel o: mult, r - 1, folded constant (high, low word) */
    int32_t m1, rs1, h1, k1; /* 32 */
    int8_t *py;             /* 48 y + t * cout + o, advanced by the blocks */
    uintptr_t py0;          /* 52 y + o: the pair's first output (the result); starts at o - 2 */
    int32_t cout;           /* 56 */
    uintptr_t paende;       /* 60 paend when ent = 0, else 0 */
    int32_t cin;            /* 64 (unused by the asm: cin is in r12) */
    uintptr_t xb;           /* 68 x - 4 */
    int32_t ent;            /* 72 (4 - cin / 16) mod 4: 16-channel quarters the first pass of
                             *    the 64-channel loop skips */
    const int8_t *shp;      /* 76 shift + o * qstride */
    const int32_t *mp;      /* 80 mult + o * qstride */
    const int32_t *bp;      /* 84 bias + o (a zero word when there is no bias) */
    int32_t qs;             /* 88 qstride (bytes of shift, words of mult) */
    int32_t bs;             /* 92 4, or 0 without bias */
    int32_t z2p1;           /* 96 2 * out_zp + 1 */
    uintptr_t wlast;        /* 100 w + (cout & ~1) * cin - 4: the run's end */
    uintptr_t paend;        /* 104 x - 4 + (length / 2) * 2 * cin */
    int32_t pad;            /* 108 */
    /* the layer, for pw_fast (not copied by the asm) */
    const int8_t *x, *w, *shift;
    const int32_t *mult, *bias;
    int8_t *y;
    int32_t length, in_zp, out_zp;
} pw_run_t;

#if !defined(__arm__)
/* The C twin of the asm below: the same steps in the same order. */
MCUSIM_INLINE int32_t pw_rq_run(int32_t x, int32_t m, int32_t rs, int32_t h, int32_t k)
{
    const uint32_t s = (uint32_t)x & 0x80000000u;
    const uint32_t lo = s + (uint32_t)k;
    const uint32_t carry = lo < s;
    const uint32_t hi = (uint32_t)h + (uint32_t)(x >> 31) + carry;
    const uint64_t p = (((uint64_t)hi << 32) | lo) + (uint64_t)((int64_t)x * m);
    return (int32_t)mcusim_sat8((int32_t)(uint32_t)(p >> 32) >> rs);
}

/* One 4-channel step with the pointers kept 4 bytes behind (pre-indexed loads). */
#define PW_C_PSTEP(pa, pb, cin, off, a00, a01, a10, a11)              \
    do {                                                             \
        (pa) += 4;                                                   \
        (pb) += 4;                                                   \
        const int8_t *qa_ = (const int8_t *)(pa);                    \
        const int8_t *qb_ = (const int8_t *)(pb);                    \
        const uint32_t x0_ = mcusim_read_s8x4(qa_);                  \
        const uint32_t w0_ = mcusim_read_s8x4(qb_);                  \
        const uint32_t x1_ = mcusim_read_s8x4(qa_ + (cin));          \
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
        const uint32_t w1_ = mcusim_read_s8x4(qb_ + (cin));          \
        const uint32_t wo1_ = dsp_sxtb16_ror8(w1_);                  \
        const uint32_t we1_ = dsp_sxtb16(w1_);                       \
        a01 = dsp_smlad(xe0_, we1_, a01);                            \
        a01 = dsp_smlad(xo0_, wo1_, a01);                            \
        a11 = dsp_smlad(xe1_, we1_, a11);                            \
        a11 = dsp_smlad(xo1_, wo1_, a11);                            \
    } while (0)

MCUSIM_INLINE int8_t *pw_run(pw_run_t *c, uint32_t off, int32_t cin)
{
    for (;;) {
        /* the next pair (label 11) */
        c->w0 += 2 * (uintptr_t)cin;
        c->py0 += 2;
        if (c->w0 == c->wlast) {
            break;
        }
        const int32_t rs0 = ~(int32_t)c->shp[0], rs1 = ~(int32_t)c->shp[c->qs];
        if ((uint32_t)rs0 > 22u || (uint32_t)rs1 > 22u) {
            break;
        }
        c->py = (int8_t *)c->py0;
        c->b0 = c->bp[0];
        c->b1 = *(const int32_t *)((const char *)c->bp + c->bs);
        c->m0 = c->mp[0];
        c->m1 = c->mp[c->qs];
        c->shp += 2 * c->qs;
        c->mp += 2 * c->qs;
        c->bp = (const int32_t *)((const char *)c->bp + 2 * c->bs);
        c->wend = c->w0 + (uintptr_t)cin;
        const int32_t v0 = (int32_t)((uint32_t)c->z2p1 << rs0);
        const int32_t v1 = (int32_t)((uint32_t)c->z2p1 << rs1);
        c->k0 = (int32_t)(0x40000000u | ((uint32_t)v0 << 31));
        c->k1 = (int32_t)(0x40000000u | ((uint32_t)v1 << 31));
        c->h0 = v0 >> 1;
        c->h1 = v1 >> 1;
        c->rs0 = rs0;
        c->rs1 = rs1;
        uintptr_t pa = c->xb;
        for (;;) {
            /* one 2x2 block */
            uintptr_t pb = c->w0;
            int32_t a00 = c->b0, a01 = c->b1, a10 = c->b0, a11 = c->b1;
            int32_t skip = c->ent;
            do {
                for (int32_t q = 0; q < 4; q++) {
                    if (skip) {
                        skip--;
                        continue;
                    }
                    PW_C_PSTEP(pa, pb, cin, off, a00, a01, a10, a11);
                    PW_C_PSTEP(pa, pb, cin, off, a00, a01, a10, a11);
                    PW_C_PSTEP(pa, pb, cin, off, a00, a01, a10, a11);
                    PW_C_PSTEP(pa, pb, cin, off, a00, a01, a10, a11);
                }
            } while (pb != c->wend);
            a00 = pw_rq_run(a00, c->m0, c->rs0, c->h0, c->k0);
            a10 = pw_rq_run(a10, c->m0, c->rs0, c->h0, c->k0);
            a01 = pw_rq_run(a01, c->m1, c->rs1, c->h1, c->k1);
            a11 = pw_rq_run(a11, c->m1, c->rs1, c->h1, c->k1);
            int8_t *py = c->py;
            py[0] = (int8_t)a00;
            py[1] = (int8_t)a01;
            py[c->cout] = (int8_t)a10;
            py[c->cout + 1] = (int8_t)a11;
            c->py = py + 2 * c->cout;
            pa += (uintptr_t)cin;
            if (c->paende > pa) {
                continue;       /* ent = 0: the next block */
            }
            if (pa == c->paend) {
                break;          /* label 10 with ent != 0, or the fall-through with ent = 0 */
            }
        }
    }
    return (int8_t *)c->py0;
}
#else
#define PW_RQ_RUN(a)                                                  \
    "and    %[t4], %[" a "], #0x80000000\n\t"                         \
    "adds   %[t4], %[t4], %[t3]\n\t"                                  \
    "adc    %[t5], %[t2], %[" a "], asr #31\n\t"                      \
    "smlal  %[t4], %[t5], %[" a "], %[t0]\n\t"                        \
    "asr    %[" a "], %[t5], %[t1]\n\t"                               \
    "ssat   %[" a "], #8, %[" a "]\n\t"

/* One 16-MAC step with the pointers 4 bytes behind: pre-indexed loads, then
 * the same body as PW_ASM_STEP (its [pb, c4] is [pb, cin] here: the c4
 * operand holds cin). */
#define PW_ASM_PSTEP_LOADS                                            \
    "ldr    %[t0], [%[pa], #4]!\n\t"                                  \
    "ldr    %[t1], [%[pb], #4]!\n\t"                                  \
    "ldr    %[t2], [%[pa], %[c4]]\n\t"

#define PW_ASM_PSTEP PW_ASM_PSTEP_LOADS PW_ASM_STEP_BODY

/* The last step of the 64-channel loop: the loop end (wend, [sp, #4]) loaded in
 * the step's load group and compared at once (SXTB16, SXTAB16 and SMLAD leave
 * the flags alone), so the loop end costs one cycle plus the branch. */
#define PW_ASM_PSTEP_END                                              \
    PW_ASM_PSTEP_LOADS                                                \
    "ldr    %[t5], [sp, #4]\n\t"                                      \
    "cmp    %[pb], %[t5]\n\t"                                         \
    PW_ASM_STEP_BODY

/* Register roles (pinned; the setup names them by number for the STM):
 * r0 pb / w0, r1 pa / wend, r2 a00 / b0, r3 a01 / b1, r4 a10 / m0, r5 a11 / rs0,
 * r6 t0 / h0, r7 t1 / k0, r8 t2 / m1, r9 t3 / rs1, r10 t4 / h1, r11 t5 / k1,
 * r12 cin, lr the -in_zp pair. */
MCUSIM_INLINE int8_t *pw_run(pw_run_t *c, uint32_t off_, int32_t cin_)
{
    register const int8_t *pb __asm__("r0") = (const int8_t *)c; /* in: the state; out: py0 */
    register const int8_t *pa __asm__("r1");
    register int32_t a00 __asm__("r2");
    register int32_t a01 __asm__("r3");
    register int32_t a10 __asm__("r4");
    register int32_t a11 __asm__("r5");
    register uint32_t t0 __asm__("r6");
    register uint32_t t1 __asm__("r7");
    register uint32_t t2 __asm__("r8");
    register uint32_t t3 __asm__("r9");
    register uint32_t t4 __asm__("r10");
    register uint32_t t5 __asm__("r11");
    register int32_t cin __asm__("r12") = cin_;
    register uint32_t off __asm__("lr") = off_;
    __asm__ volatile(
        "sub    sp, sp, #112\n\t"             /* the frame: words 0 and 13-27 of *c */
        "add    r1, r0, #52\n\t"
        "ldm    r1!, {r2-r9}\n\t"
        "add    r10, sp, #52\n\t"
        "stm    r10!, {r2-r9}\n\t"
        "ldm    r1, {r2-r8}\n\t"
        "stm    r10, {r2-r8}\n\t"
        "ldr    r2, [r0]\n\t"
        "str    r2, [sp]\n\t"
        "b      11f\n\t"
        ".p2align 2\n\t"                        /* (not executed) */
        "0:\n\t"                                /* a 2x2 block after the pair's first */
        "ldr    %[pb], [sp, #0]\n\t"
        "ldr    %[a00], [sp, #8]\n\t"
        "ldr    %[a01], [sp, #12]\n\t"
        "ldr    %[a10], [sp, #8]\n\t"
        "ldr.w  %[a11], [sp, #12]\n\t"          /* (32-bit: the loop entries are word-aligned) */
        "1:\n\t" PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP
        "2:\n\t" PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP
        "3:\n\t" PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP
        "4:\n\t" PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP PW_ASM_PSTEP_END
        "bne    1b\n\t"
        "ldr    %[t0], [sp, #16]\n\t"
        "ldr    %[t1], [sp, #20]\n\t"
        "ldr    %[t2], [sp, #24]\n\t"
        "ldr    %[t3], [sp, #28]\n\t"
        "ldr    %[pb], [sp, #48]\n\t"           /* py */
        PW_RQ_RUN("a00") PW_RQ_RUN("a10")
        "ldr    %[t0], [sp, #32]\n\t"
        "ldr    %[t1], [sp, #36]\n\t"
        "ldr    %[t2], [sp, #40]\n\t"
        "ldr    %[t3], [sp, #44]\n\t"
        PW_RQ_RUN("a01")
        "bfi    %[a00], %[a01], #8, #24\n\t"
        PW_RQ_RUN("a11")
        "ldr    %[t0], [sp, #56]\n\t"           /* cout */
        "ldr    %[t1], [sp, #60]\n\t"           /* paende */
        "strh   %[a00], [%[pb]]\n\t"            /* (pipelined after the LDR) */
        "bfi    %[a10], %[a11], #8, #24\n\t"
        "add    %[t2], %[pb], %[t0], lsl #1\n\t"
        "strh   %[a10], [%[pb], %[t0]]\n\t"
        "str    %[t2], [sp, #48]\n\t"
        "add    %[pa], %[pa], %[c4]\n\t"
        "cmp    %[t1], %[pa]\n\t"
        "bhi    0b\n\t"                         /* ent = 0: the next block */
        "bne    10f\n\t"                        /* ent != 0 (paende = 0) */
        "11:\n\t"                               /* the next pair: its constants */
        "ldr    r0, [sp, #0]\n\t"               /* w0 of the previous pair */
        "ldr    r2, [sp, #52]\n\t"              /* py0 of the previous pair */
        "ldr    r3, [sp, #100]\n\t"             /* wlast */
        "ldr    r6, [sp, #76]\n\t"              /* shp */
        "ldr    r7, [sp, #88]\n\t"              /* qs */
        "ldr    r1, [sp, #80]\n\t"              /* mp */
        "ldr    r10, [sp, #84]\n\t"             /* bp */
        "ldr    r11, [sp, #92]\n\t"             /* bs */
        "add    r0, r0, r12, lsl #1\n\t"
        "add    r2, r2, #2\n\t"
        "cmp    r0, r3\n\t"
        "beq    7f\n\t"
        "ldrsb  r5, [r6]\n\t"
        "ldrsb  r9, [r6, r7]\n\t"
        "ldr    r4, [r1]\n\t"                   /* m0 */
        "ldr    r8, [r1, r7, lsl #2]\n\t"       /* m1 */
        "ldr    r3, [r10, r11]\n\t"             /* b1 */
        "mvn    r5, r5\n\t"                     /* rs = -shift - 1 = r - 1 */
        "mvn    r9, r9\n\t"
        "cmp    r5, #22\n\t"                    /* 16-bit: the IT folds onto it */
        "it     ls\n\t"
        "cmpls  r9, #22\n\t"
        "bhi    7f\n\t"
        "strd   r2, r2, [sp, #48]\n\t"          /* py, py0 */
        "ldr    r2, [r10]\n\t"                  /* b0 */
        "add    r6, r6, r7, lsl #1\n\t"
        "add    r1, r1, r7, lsl #3\n\t"
        "add    r10, r10, r11, lsl #1\n\t"
        "ldr    r7, [sp, #96]\n\t"              /* 2 out_zp + 1 */
        "str    r6, [sp, #76]\n\t"              /* (pipelined after the LDR) */
        "strd   r1, r10, [sp, #80]\n\t"         /* mp, bp */
        "add    r1, r0, r12\n\t"                /* wend */
        "lsl    r6, r7, r5\n\t"                 /* V0 */
        "lsl    r10, r7, r9\n\t"                /* V1 */
        "mov    r11, #0x40000000\n\t"
        "orr    r7, r11, r6, lsl #31\n\t"       /* K0 */
        "orr    r11, r11, r10, lsl #31\n\t"     /* K1 */
        "asr    r6, r6, #1\n\t"                 /* H0 */
        "asr    r10, r10, #1\n\t"               /* H1 */
        "stm    sp, {r0-r11}\n\t"               /* frame words 0-11 */
        "ldr    r1, [sp, #68]\n\t"              /* pa = x - 4 */
        "ldr    r6, [sp, #72]\n\t"              /* ent */
        "mov    r4, r2\n\t"                     /* the first block: a10 = b0, a11 = b1 */
        "mov    r5, r3\n\t"
        "cmp    r6, #0\n\t"
        "beq    1b\n\t"
        "b      12f\n\t"
        "10:\n\t"                               /* a block with ent != 0 */
        "ldr    %[t1], [sp, #104]\n\t"          /* paend */
        "ldr    %[t0], [sp, #72]\n\t"           /* ent */
        "ldr    %[pb], [sp, #0]\n\t"            /* (loaded before the test: */
        "ldr    %[a00], [sp, #8]\n\t"           /*  one pipelined group) */
        "ldr    %[a01], [sp, #12]\n\t"
        "ldr    %[a10], [sp, #8]\n\t"
        "ldr    %[a11], [sp, #12]\n\t"
        "cmp    %[pa], %[t1]\n\t"
        "beq    11b\n\t"
        "12:\n\t"                               /* the first pass starts at quarter ent */
        "cmp    %[t0], #2\n\t"
        "blt    2b\n\t"
        "beq    3b\n\t"
        "b      4b\n\t"
        "7:\n\t"
        "mov    r0, r2\n\t"                     /* py0 */
        "add    sp, sp, #112\n\t"
        : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [pa] "=&r"(pa), [pb] "+&r"(pb), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
          [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
        : [c4] "r"(cin), [off] "r"(off)
        : "cc", "memory");
    return (int8_t *)pb;
}
#endif
#endif /* MCUSIM_USE_DSP */

#if MCUSIM_USE_DSP
/* The fast path's conditions on the layer (clamp [-128, 127] is the caller's). */
static inline __attribute__((always_inline)) int pw_fast_ok(int32_t length, int32_t cin,
                                                             int32_t out_zp)
{
    return cin >= 16 && (cin & 15) == 0 && length >= 2 && out_zp >= -128 && out_zp <= 128;
}

/* The fast path's per-layer state (everything but the run's start). */
static inline __attribute__((always_inline)) void pw_fast_init(
    pw_run_t *c, const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t qstride,
    int32_t in_zp, int32_t out_zp, int8_t *y)
{
    c->ent = (4 - (cin >> 4)) & 3;
    c->cout = cout;
    c->cin = cin;
    c->xb = (uintptr_t)x - 4u;
    c->paend = c->xb + (uintptr_t)((length >> 1) * 2 * cin);
    c->paende = c->ent ? 0u : c->paend;
    c->qs = qstride;
    c->bs = bias ? 4 : 0;
    c->z2p1 = 2 * out_zp + 1;
    c->wlast = (uintptr_t)w + (uintptr_t)((cout & ~1) * cin) - 4u;
    c->pad = 0;
    c->x = x;
    c->w = w;
    c->shift = shift;
    c->mult = mult;
    c->bias = bias;
    c->y = y;
    c->length = length;
    c->in_zp = in_zp;
    c->out_zp = out_zp;
}

/*
 * One run of the fast path from pair o (pw_run), then the odd last time step
 * of the run's channels; returns the first channel it did not compute (pair
 * o's if its shifts are out of range). Out of line, so that a layer the run
 * covers never enters pw_conv (whose general blocks need a large frame).
 */
static __attribute__((noinline)) int32_t pw_fast(pw_run_t *c, int32_t o)
{
    static const int32_t zero_bias = 0;
    const int32_t cin = c->cin, qs = c->qs;
    /* one pair early: the asm's first step is the next-pair step */
    c->w0 = (uintptr_t)c->w + (uintptr_t)((o - 2) * cin) - 4u;
    c->py0 = (uintptr_t)c->y + (uintptr_t)o - 2u;
    c->shp = c->shift + o * qs;
    c->mp = c->mult + o * qs;
    c->bp = c->bias ? c->bias + o : &zero_bias;
    const int32_t end = (int32_t)(pw_run(c, mcusim_dup16(-c->in_zp), cin) - c->y);
    const int32_t length = c->length;
    if (length & 1) {   /* the odd last time step of the run's channels */
        const int8_t *px = c->x + (length - 1) * cin;
        for (int32_t k = o; k < end; k++) {
            const mcusim_rqf_t q = mcusim_rqf(c->mult[k * qs], c->shift[k * qs]);
            c->y[(length - 1) * c->cout + k] =
                mcusim_outf8(single(px, c->w + k * cin, cin, c->bias ? c->bias[k] : 0, c->in_zp),
                             &q, c->out_zp, -128, 127, 1, 0);
        }
    }
    return end;
}
#endif

#if !MCUSIM_USE_DSP
typedef struct pw_run_s pw_run_t;   /* the fast path's state: ARMv7E-M only */
#endif

/*
 * The kernel body, shared with fully_connected (rows as time steps): the
 * requantization constants of channel o are mult[o * qstride], shift[o * qstride]
 * (qstride 0: per-tensor). Starts at channel o0 (even, or cout - 1): with the
 * fast path, pair o0 is one whose shifts stopped a run (the caller's).
 */
static inline __attribute__((always_inline)) void pw_conv(
    const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t qstride,
    int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi, int8_t *y, const int full,
    const int32_t o0, pw_run_t *c)
{
    int32_t o = o0;
#if !MCUSIM_USE_DSP
    (void)c;
#endif
    for (; o + 2 <= cout; o += 2) {
#if MCUSIM_USE_DSP
        if (full && c && o != o0) {
            o = pw_fast(c, o);
            if (o + 2 > cout) {
                break;
            }
            /* pair o has a shift out of the run's range: the general blocks */
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

/* The layer after the fast path's first run (or without one): the general blocks,
 * with further runs from the pairs after one whose shifts stopped a run. */
static __attribute__((noinline)) void pw_rest(
    const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t qstride,
    int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max, int8_t *y, int32_t o0,
    pw_run_t *c)
{
    if (act_min == -128 && act_max == 127) {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, -128, 127, y,
                1, o0, c);
    } else {
        pw_conv(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, act_min,
                act_max, y, 0, 0, 0);
    }
}

/* A layer the fast path's first run covers returns without entering pw_rest. */
static inline __attribute__((always_inline)) void pw_entry(
    const int8_t *x, int32_t length, int32_t cin, const int8_t *w, int32_t cout,
    const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t qstride,
    int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max, int8_t *y)
{
    int32_t o0 = 0;
    pw_run_t *cp = 0;
#if MCUSIM_USE_DSP
    pw_run_t c;
    if (act_min == -128 && act_max == 127 && pw_fast_ok(length, cin, out_zp)) {
        pw_fast_init(&c, x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, y);
        cp = &c;
        o0 = pw_fast(cp, 0);
        if (o0 == cout) {
            return;
        }
    }
#endif
    pw_rest(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, act_min, act_max,
            y, o0, cp);
}

void mcusim_pw_core_s8(const int8_t *x, int32_t length, int32_t cin, const int8_t *w,
                       int32_t cout, const int32_t *bias, const int32_t *mult,
                       const int8_t *shift, int32_t qstride, int32_t in_zp, int32_t out_zp,
                       int32_t act_min, int32_t act_max, int8_t *y)
{
    pw_entry(x, length, cin, w, cout, bias, mult, shift, qstride, in_zp, out_zp, act_min, act_max,
             y);
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
