/*
 * synth.c - synthesize a generated PW kernel with the generator's micro-MLP
 * (mirrors mcusim.reference.synth.synthesize_layer; docs/synthesis.md).
 *
 * Row r of generated layer l is the head's output for the input
 * concat(code_l, E[r]): the micro-MLP (int8 FULLY_CONNECTED layers) maps it to
 * the latent, head h maps the latent to the int8 row (zero point 0). The
 * reference runs each FC on the whole [Cout, d_in] matrix; here the rows go
 * through in batches of MCUSIM_SYNTH_ROWS (R), so every FC runs on R rows at
 * once (mcusim_fully_connected_s8's 2x2 block kernel: each weight word feeds
 * two rows). An FC is row-wise, so batching changes no byte; the last batch
 * has Cout mod R rows.
 *
 * The code part of the input is the same for every row, so the first layer's
 * share of it,
 *   partial[o] = bias0[o] + sum_{i < d_code} W0[o][i] * (code[i] - in_zp),
 * is computed once per layer into int32 partial sums (the last part of the
 * planned workspace), and each row only adds the embedding part (columns
 * d_code.. of W0, rows d_in apart) - two rows at a time by fc0_rows2 below.
 * Integer addition is exact (wrapping), so this gives the reference's bytes.
 * Workspace layout (mcusim/plan.py synth_workspace_size):
 *   [input vector: align4(d_code + d_emb)] [ping: align4(R * widest)]
 *   [pong: align4(R * widest)] [partial sums: 4 * mlp[0].out_features]
 * The input vector is never built: code and E[r] are read in place from flash.
 * A batch of n rows of FC k's output is [n][out_features_k] in ping or pong;
 * the head writes its batch straight into rows r0.. of the kernel.
 */
#include "mcusim_synth.h"

#include "mcusim_kernels.h"

#include "dsp.h"
#include "internal.h"

static uint32_t align4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

static int8_t fc0_out(int32_t acc, const mcusim_rqf_t *q, const mcusim_fc_desc_t *f)
{
    return q->rs >= 0 ? mcusim_outf8(acc, q, f->out_zp, f->act_min, f->act_max, 0, 1)
                      : mcusim_outf8(acc, q, f->out_zp, f->act_min, f->act_max, 0, 0);
}

/* FC_0's embedding part for two rows x0, x1 (n = d_emb inputs each):
 * y_j[o] = requant(partial[o] + sum_i w[o * w_stride + i] * (x_j[i] - in_zp)).
 * 2 rows x 2 output channels per pass, so each weight word feeds two rows. */
static void fc0_rows2(const int8_t *x0, const int8_t *x1, int32_t n, const int8_t *w,
                      int32_t w_stride, int32_t n_out, const int32_t *partial,
                      const mcusim_fc_desc_t *f, int8_t *y0, int8_t *y1)
{
    const mcusim_rqf_t q = mcusim_rqf(f->mult, f->shift);
    const int32_t off = -f->in_zp;
    int32_t o = 0;
    for (; o + 2 <= n_out; o += 2) {
        const int8_t *k0 = w + o * w_stride;
        const int8_t *k1 = k0 + w_stride;
        int32_t a00 = partial[o], a01 = partial[o + 1];
        int32_t a10 = a00, a11 = a01;
        int32_t i = 0;
#if MCUSIM_USE_DSP
        const uint32_t off2 = mcusim_dup16(off);
        for (; i + 4 <= n; i += 4) {
            const uint32_t kv0 = mcusim_read_s8x4(k0 + i);
            const uint32_t kv1 = mcusim_read_s8x4(k1 + i);
            const uint32_t ke0 = dsp_sxtb16(kv0), ko0 = dsp_sxtb16_ror8(kv0);
            const uint32_t ke1 = dsp_sxtb16(kv1), ko1 = dsp_sxtb16_ror8(kv1);
            uint32_t xv = mcusim_read_s8x4(x0 + i);
            uint32_t xe = dsp_sxtab16(off2, xv), xo = dsp_sxtab16_ror8(off2, xv);
            a00 = dsp_smlad(xe, ke0, a00);
            a00 = dsp_smlad(xo, ko0, a00);
            a01 = dsp_smlad(xe, ke1, a01);
            a01 = dsp_smlad(xo, ko1, a01);
            xv = mcusim_read_s8x4(x1 + i);
            xe = dsp_sxtab16(off2, xv);
            xo = dsp_sxtab16_ror8(off2, xv);
            a10 = dsp_smlad(xe, ke0, a10);
            a10 = dsp_smlad(xo, ko0, a10);
            a11 = dsp_smlad(xe, ke1, a11);
            a11 = dsp_smlad(xo, ko1, a11);
        }
#endif
        for (; i < n; i++) {
            const int32_t u0 = x0[i] + off, u1 = x1[i] + off;
            a00 = mcusim_wrap_add(a00, k0[i] * u0);
            a01 = mcusim_wrap_add(a01, k1[i] * u0);
            a10 = mcusim_wrap_add(a10, k0[i] * u1);
            a11 = mcusim_wrap_add(a11, k1[i] * u1);
        }
        y0[o] = fc0_out(a00, &q, f);
        y0[o + 1] = fc0_out(a01, &q, f);
        y1[o] = fc0_out(a10, &q, f);
        y1[o + 1] = fc0_out(a11, &q, f);
    }
    if (o < n_out) {
        const int8_t *k0 = w + o * w_stride;
        y0[o] = fc0_out(mcusim_wrap_add(partial[o], mcusim_dot_s8(x0, k0, n, off)), &q, f);
        y1[o] = fc0_out(mcusim_wrap_add(partial[o], mcusim_dot_s8(x1, k0, n, off)), &q, f);
    }
}

/* FC f on `rows` rows: x [rows][in] -> y [rows][out]. */
static void fc_rows(const mcusim_model_t *m, const mcusim_fc_desc_t *f, const int8_t *x,
                    uint32_t rows, int8_t *y)
{
    mcusim_fully_connected_s8(x, (int32_t)rows, f->in_features,
                              (const int8_t *)mcusim_at(m, f->w_off), f->out_features,
                              (const int32_t *)mcusim_at(m, f->b_off), f->mult, f->shift,
                              f->in_zp, f->out_zp, f->act_min, f->act_max, y);
}

void mcusim_synth_layer(const mcusim_model_t *m, uint32_t g, int8_t *kernel, uint8_t *workspace)
{
    const mcusim_generator_header_t *gen = m->gen;
    const mcusim_code_entry_t *entry = &m->codes[g];
    const mcusim_layer_t *layer = &m->layers[entry->layer];
    const uint32_t cout = m->tensors[layer->out].channels;
    const uint32_t cin = m->tensors[layer->in0].channels;
    const uint32_t d_code = gen->d_code, d_emb = gen->d_emb, d_in = d_code + d_emb;
    uint32_t widest = 0;
    for (uint32_t k = 0; k < gen->n_fc; k++) {
        widest = m->gen_fc[k].out_features > widest ? m->gen_fc[k].out_features : widest;
    }
    int8_t *ping = (int8_t *)workspace + align4(d_in);
    int8_t *pong = ping + align4(MCUSIM_SYNTH_ROWS * widest);
    int32_t *partial = (int32_t *)(void *)(pong + align4(MCUSIM_SYNTH_ROWS * widest));

    const mcusim_fc_desc_t *f0 = &m->gen_fc[0];
    const uint32_t h0 = f0->out_features;
    const int8_t *w0 = (const int8_t *)mcusim_at(m, f0->w_off);
    const int8_t *emb = (const int8_t *)mcusim_at(m, gen->emb_off);
    mcusim_vec_mat_acc_s8((const int8_t *)mcusim_at(m, entry->code_off), (int32_t)d_code, w0,
                          (int32_t)d_in, (int32_t)h0, (const int32_t *)mcusim_at(m, f0->b_off),
                          f0->in_zp, partial);

    const mcusim_fc_desc_t *head = &m->heads[entry->head];
    for (uint32_t r0 = 0; r0 < cout; r0 += MCUSIM_SYNTH_ROWS) {
        const uint32_t n = cout - r0 < MCUSIM_SYNTH_ROWS ? cout - r0 : MCUSIM_SYNTH_ROWS;
        const int8_t *e = emb + r0 * d_emb;
        uint32_t j = 0;
        for (; j + 2 <= n; j += 2) {
            fc0_rows2(e + j * d_emb, e + (j + 1) * d_emb, (int32_t)d_emb, w0 + d_code,
                      (int32_t)d_in, (int32_t)h0, partial, f0, ping + j * h0,
                      ping + (j + 1) * h0);
        }
        if (j < n) {
            mcusim_fc_row_s8(e + j * d_emb, (int32_t)d_emb, w0 + d_code, (int32_t)d_in,
                             (int32_t)h0, partial, f0->mult, f0->shift, f0->in_zp, f0->out_zp,
                             f0->act_min, f0->act_max, ping + j * h0);
        }
        int8_t *cur = ping, *next = pong;
        for (uint32_t k = 1; k < gen->n_fc; k++) {
            fc_rows(m, &m->gen_fc[k], cur, n, next);
            int8_t *t = cur;
            cur = next;
            next = t;
        }
        fc_rows(m, head, cur, n, kernel + r0 * cin);
    }
}
