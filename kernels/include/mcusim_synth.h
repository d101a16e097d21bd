/*
 * mcusim_synth.h - integer synthesis of generated pointwise kernels
 * (kernels/src/synth.c; mirrors mcusim/reference/synth.py).
 */
#ifndef MCUSIM_SYNTH_H
#define MCUSIM_SYNTH_H

#include <stdint.h>

#include "mcusim_model.h"

/* Kernel rows synthesized per batch: the micro-MLP and head FULLY_CONNECTED
 * layers run on this many rows at once (the 2x2-blocked FC kernel), and the
 * planned workspace holds this many rows of activations
 * (mcusim/plan.py SYNTH_ROWS; docs/synthesis.md section 4). */
#define MCUSIM_SYNTH_ROWS 8u

/* Write generated layer g's int8 [cout][cin] kernel (row-major, as the reference
 * emits it) to `kernel`, using `workspace` (mcusim_synth_workspace_size bytes,
 * 4-byte aligned) for the generator's activations. */
void mcusim_synth_layer(const mcusim_model_t *m, uint32_t g, int8_t *kernel, uint8_t *workspace);

#endif /* MCUSIM_SYNTH_H */
