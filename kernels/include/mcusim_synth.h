/*
 * mcusim_synth.h - integer synthesis of generated pointwise kernels
 * (kernels/src/synth.c; mirrors mcusim/reference/synth.py).
 */
#ifndef MCUSIM_SYNTH_H
#define MCUSIM_SYNTH_H

#include <stdint.h>

#include "mcusim_model.h"

/* Write generated layer g's int8 [cout][cin] kernel (row-major, as the reference
 * emits it) to `kernel`, using `workspace` (mcusim_synth_workspace_size bytes,
 * 4-byte aligned) for the generator's activations. */
void mcusim_synth_layer(const mcusim_model_t *m, uint32_t g, int8_t *kernel, uint8_t *workspace);

#endif /* MCUSIM_SYNTH_H */
