/*
 * mcusim_runtime.h - run a job: validate the model, pick the plan of the mode,
 * synthesize (boot) and run windows layer by layer (kernels/src/runtime.c).
 */
#ifndef MCUSIM_RUNTIME_H
#define MCUSIM_RUNTIME_H

#include <stdint.h>

#include "mcusim_mailbox.h"
#include "mcusim_model.h"

/* What to run, with real pointers (the mailbox holds 32-bit addresses). */
typedef struct {
    const uint8_t *model;       /* model.bin */
    uint32_t model_capacity;    /* bytes from `model` to the end of the model partition */
    uint32_t model_size;        /* bytes written, 0 = unknown */
    uint32_t mode;              /* mcusim_mode */
    uint32_t n_windows;
    const int8_t *in;           /* n_windows input windows */
    uint32_t in_capacity;
    uint8_t *out;               /* n_windows output records */
    uint32_t out_capacity;
    uint8_t *arena;             /* 16-byte aligned */
    uint32_t arena_capacity;
} mcusim_job_t;

typedef struct {
    uint32_t status;            /* mcusim_status_t */
    uint32_t detail;
    uint32_t aux;
    uint32_t windows_done;
    uint32_t synthesized;
    uint32_t out_record_size;
    uint32_t arena_used;
    uint32_t last_class;
} mcusim_result_t;

/* Run `job`; every outcome ends in `res` and in a trace status record. */
void mcusim_run(const mcusim_job_t *job, mcusim_result_t *res);

/* Where the firmware image keeps things (linker symbols on the target, test
 * buffers on the host). Addresses in the mailbox are `addr_base + field`. */
typedef struct {
    uintptr_t addr_base;        /* 0 on the target */
    const uint8_t *model_partition;
    uint32_t model_partition_size;
    uint8_t *arena;
    uint32_t arena_size;
    uintptr_t sram_start;       /* SRAM the I/O buffers must not overlap (mailbox .. stack) */
    uintptr_t sram_end;
} mcusim_platform_t;

/* Check the mailbox request, run it, write the result fields. Returns the status. */
uint32_t mcusim_serve_mailbox(mcusim_mailbox_t *mb, const mcusim_platform_t *p);

#endif /* MCUSIM_RUNTIME_H */
