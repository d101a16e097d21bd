/*
 * mcusim_model.h - the in-place model reader (kernels/src/model.c).
 *
 * mcusim_model_open() validates a model.bin where it lies (flash) against the
 * rules of docs/format.md, in the order of mcusim/format/reader.py and
 * validate.py, and fills a small view of pointers into it. Nothing is copied;
 * nothing is read before its bounds are checked. After a successful open every
 * kernel can run "blind": shapes, offsets, alignment and parameter ranges hold.
 */
#ifndef MCUSIM_MODEL_H
#define MCUSIM_MODEL_H

#include <stdint.h>

#include "mcusim_format.h"
#include "mcusim_status.h"

typedef struct {
    uint32_t code;      /* mcusim_status_t */
    uint32_t detail;    /* file offset (format errors) */
    uint32_t aux;       /* index or value */
} mcusim_error_t;

typedef struct {
    uint32_t offset;    /* 0 when absent */
    uint32_t length;
    uint32_t data_start; /* where its arrays may begin (after its records) */
} mcusim_section_t;

typedef struct {
    const uint8_t *base;            /* model.bin in place */
    uint32_t length;                /* total_length */
    mcusim_section_t sec[MCUSIM_SEC_KIND_MAX + 1];   /* by kind */
    const mcusim_model_info_t *info;
    const mcusim_tensor_t *tensors;
    const mcusim_layer_t *layers;
    const mcusim_generator_header_t *gen;    /* NULL without generated layers */
    const mcusim_fc_desc_t *gen_fc;          /* gen->n_fc micro-MLP layers */
    const mcusim_fc_desc_t *heads;
    uint32_t n_heads;
    const mcusim_code_entry_t *codes;        /* info->n_generated entries */
    const mcusim_plan_mode_t *plan_modes;    /* MCUSIM_N_MODES */
} mcusim_model_t;

/* Validate `length_written` bytes (0 = unknown) of model.bin at `base`, inside a
 * partition of `capacity` bytes. MCUSIM_OK or the first broken rule in *err. */
mcusim_status_t mcusim_model_open(mcusim_model_t *m, const uint8_t *base, uint32_t capacity,
                                  uint32_t length_written, mcusim_error_t *err);

/* CRC-32 (IEEE 802.3, zlib) of a model with its crc32 field taken as zero. */
uint32_t mcusim_model_crc(const uint8_t *data, uint32_t length);

/* ---- accessors for a validated model ---------------------------------- */
static inline const mcusim_tensor_t *mcusim_tensor(const mcusim_model_t *m, uint32_t t)
{
    return &m->tensors[t];
}

static inline uint32_t mcusim_tensor_nbytes(const mcusim_tensor_t *t)
{
    return t->length * t->channels * (t->dtype == MCUSIM_DT_INT32 ? 4u : 1u);
}

static inline const void *mcusim_at(const mcusim_model_t *m, uint32_t offset)
{
    return offset ? (const void *)(m->base + offset) : (const void *)0;
}

/* Plan lookups (kernels/src/plan.c). */
const mcusim_plan_entry_t *mcusim_plan_entries(const mcusim_model_t *m, uint32_t mode);
const mcusim_plan_entry_t *mcusim_plan_find(const mcusim_model_t *m, uint32_t mode,
                                            uint32_t kind, uint32_t ref);
/* Live range of tensor t in time steps (mcusim/plan.py tensor_lifetimes). */
void mcusim_tensor_lifetime(const mcusim_model_t *m, uint32_t t, uint32_t *first, uint32_t *last);
/* Bytes of the synthesis workspace and of generated kernel g (mcusim/plan.py). */
uint32_t mcusim_synth_workspace_size(const mcusim_model_t *m);
uint32_t mcusim_generated_kernel_size(const mcusim_model_t *m, uint32_t g);

#endif /* MCUSIM_MODEL_H */
