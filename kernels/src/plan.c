/*
 * plan.c - the memory plan of a validated model (mirrors mcusim/plan.py):
 * where each buffer lives in the arena, tensor lifetimes, and the sizes the
 * planner gives the generator's buffers. The runtime uses the stored offsets
 * verbatim; nothing is planned on the device.
 */
#include "mcusim_model.h"
#include "mcusim_synth.h"

const mcusim_plan_entry_t *mcusim_plan_entries(const mcusim_model_t *m, uint32_t mode)
{
    return (const mcusim_plan_entry_t *)(m->base + m->plan_modes[mode].entries_off);
}

const mcusim_plan_entry_t *mcusim_plan_find(const mcusim_model_t *m, uint32_t mode,
                                            uint32_t kind, uint32_t ref)
{
    const mcusim_plan_entry_t *e = mcusim_plan_entries(m, mode);
    const uint32_t n = m->plan_modes[mode].n_entries;
    for (uint32_t j = 0; j < n; j++) {
        if (e[j].kind == kind && e[j].ref == ref) {
            return &e[j];
        }
    }
    return 0;
}

void mcusim_tensor_lifetime(const mcusim_model_t *m, uint32_t t, uint32_t *first, uint32_t *last)
{
    const uint32_t n_layers = m->info->n_layers;
    uint32_t lo = 0, hi = 0;
    if (t == m->info->input_tensor) {
        lo = hi = 1;
    }
    for (uint32_t i = 0; i < n_layers; i++) {
        const mcusim_layer_t *l = &m->layers[i];
        const uint32_t step = 1 + i;
        if (l->in0 == t || (l->op == MCUSIM_OP_ADD && l->in1 == t) || l->out == t) {
            if (lo == 0) {
                lo = step;
            }
            hi = step;
        }
    }
    if (t == m->info->output_tensor || t == m->info->class_tensor) {
        hi = n_layers;
    }
    *first = lo;
    *last = hi;
}

static uint32_t align4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

uint32_t mcusim_synth_workspace_size(const mcusim_model_t *m)
{
    if (!m->gen) {
        return 0;
    }
    uint32_t widest = 0;
    for (uint32_t i = 0; i < m->gen->n_fc; i++) {
        widest = m->gen_fc[i].out_features > widest ? m->gen_fc[i].out_features : widest;
    }
    /* input vector, two ping-pong buffers of MCUSIM_SYNTH_ROWS rows, FC_0's partial sums */
    return align4((uint32_t)m->gen->d_code + m->gen->d_emb)
           + 2u * align4(MCUSIM_SYNTH_ROWS * widest) + 4u * m->gen_fc[0].out_features;
}

uint32_t mcusim_generated_kernel_size(const mcusim_model_t *m, uint32_t g)
{
    const mcusim_layer_t *l = &m->layers[m->codes[g].layer];
    return m->tensors[l->out].channels * m->tensors[l->in0].channels;
}
