/*
 * synth.c - synthesize a generated PW kernel with the generator's micro-MLP
 * (mirrors mcusim.reference.synth.synthesize_layer; docs/synthesis.md).
 *
 * Row r of generated layer l is the head's output for the input
 * concat(code_l, E[r]): the micro-MLP (int8 FULLY_CONNECTED layers) maps it to
 * the latent, head h maps the latent to the int8 row (zero point 0). The code
 * part is the same for every row, so the first layer's share of it,
 *   partial[o] = bias0[o] + sum_{i < d_code} W0[o][i] * (code[i] - in_zp),
 * is computed once per layer into int32 partial sums (the last part of the
 * planned workspace), and each row only adds the embedding part (columns
 * d_code.. of W0). Integer addition is exact, so this gives the reference's
 * bytes. Workspace layout (mcusim/plan.py synth_workspace_size):
 *   [input vector: align4(d_code + d_emb)] [ping: align4(widest)]
 *   [pong: align4(widest)] [partial sums: 4 * mlp[0].out_features]
 * The input vector is never built: code and E[r] are read in place from flash.
 */
#include "mcusim_synth.h"

#include "mcusim_kernels.h"

static uint32_t align4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

static void fc_row(const mcusim_model_t *m, const mcusim_fc_desc_t *f, const int8_t *x,
                   int8_t *y)
{
    mcusim_fc_row_s8(x, f->in_features, (const int8_t *)mcusim_at(m, f->w_off), f->in_features,
                     f->out_features, (const int32_t *)mcusim_at(m, f->b_off), f->mult, f->shift,
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
    int8_t *pong = ping + align4(widest);
    int32_t *partial = (int32_t *)(void *)(pong + align4(widest));

    const mcusim_fc_desc_t *f0 = &m->gen_fc[0];
    const int8_t *w0 = (const int8_t *)mcusim_at(m, f0->w_off);
    const int8_t *emb = (const int8_t *)mcusim_at(m, gen->emb_off);
    mcusim_vec_mat_acc_s8((const int8_t *)mcusim_at(m, entry->code_off), (int32_t)d_code, w0,
                          (int32_t)d_in, f0->out_features,
                          (const int32_t *)mcusim_at(m, f0->b_off), f0->in_zp, partial);

    const mcusim_fc_desc_t *head = &m->heads[entry->head];
    for (uint32_t r = 0; r < cout; r++) {
        int8_t *cur = ping, *next = pong;
        mcusim_fc_row_s8(emb + r * d_emb, (int32_t)d_emb, w0 + d_code, (int32_t)d_in,
                         f0->out_features, partial, f0->mult, f0->shift, f0->in_zp, f0->out_zp,
                         f0->act_min, f0->act_max, cur);
        for (uint32_t k = 1; k < gen->n_fc; k++) {
            fc_row(m, &m->gen_fc[k], cur, next);
            int8_t *t = cur;
            cur = next;
            next = t;
        }
        fc_row(m, head, cur, kernel + r * cin);
    }
}
