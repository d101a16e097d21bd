/*
 * mcusim_trace.h - trace records the firmware writes to ITM stimulus ports.
 *
 * Every record is one or more 32-bit writes to a stimulus port register
 * (0xE0000000 + 4 * port), exactly as CMSIS ITM_SendChar does for bytes:
 * the write happens only if ITM_TCR.ITMENA and the port's ITM_TER bit are set,
 * after polling the port register until bit 0 (FIFO ready) reads 1.
 *
 *   port 1: phase markers, one word each
 *       bits 31..28  edge: 1 = begin, 2 = end
 *       bits 27..24  phase (mcusim_phase_t)
 *       bits 23..16  detail: the op code for MCUSIM_PHASE_LAYER, the generated
 *                    index (mod 256) for the synthesis phases, else 0
 *       bits 15..0   index: layer index, window index (mod 65536), else 0
 *   port 2: status records, three words each: code, detail, aux
 *       (mcusim_status_t and the mailbox's detail/aux). One is written for
 *       every error, and one with code 0 when a job ends well.
 *
 * The emulator timestamps each write with its modelled cycle count.
 */
#ifndef MCUSIM_TRACE_H
#define MCUSIM_TRACE_H

#include <stdint.h>

#define MCUSIM_TRACE_PORT_PHASE   1u
#define MCUSIM_TRACE_PORT_STATUS  2u

#define MCUSIM_EDGE_BEGIN 1u
#define MCUSIM_EDGE_END   2u

typedef enum {
    MCUSIM_PHASE_RESET = 1,       /* reset handler: .data/.bss initialisation */
    MCUSIM_PHASE_INIT = 2,        /* model validation, plan selection, job checks */
    MCUSIM_PHASE_BOOT_SYNTH = 3,  /* boot synthesis of all generated kernels */
    MCUSIM_PHASE_SYNTH_BOOT = 4,  /* boot synthesis of one layer (index = layer) */
    MCUSIM_PHASE_INFERENCE = 5,   /* one window (index = window) */
    MCUSIM_PHASE_LAYER = 6,       /* one layer (index = layer, detail = op) */
    MCUSIM_PHASE_SYNTH_LAZY = 7,  /* lazy synthesis of one layer, just before it */
    MCUSIM_PHASE_JOB = 8          /* the whole mailbox job, from main to exit */
} mcusim_phase_t;

#define MCUSIM_TRACE_WORD(edge, phase, detail, index) \
    (((uint32_t)(edge) << 28) | (((uint32_t)(phase) & 0xFu) << 24) | \
     (((uint32_t)(detail) & 0xFFu) << 16) | ((uint32_t)(index) & 0xFFFFu))

/* Platform hook: write one word to a stimulus port (arch/.../itm.c, arch/host). */
void mcusim_port_write(uint32_t port, uint32_t word);

void mcusim_trace_phase(uint32_t edge, mcusim_phase_t phase, uint32_t detail, uint32_t index);
void mcusim_trace_status(uint32_t code, uint32_t detail, uint32_t aux);

#endif /* MCUSIM_TRACE_H */
