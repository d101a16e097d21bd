/*
 * host_api.c - the host build (tests/firmware_host.py loads it with ctypes):
 * the platform hook that captures trace words, and thin entry points that
 * run the same runtime, reader and kernels as the firmware.
 */
#include <stddef.h>
#include <string.h>

#include "mcusim_kernels.h"
#include "mcusim_runtime.h"
#include "mcusim_synth.h"
#include "mcusim_trace.h"

#include "../../src/dsp.h"

#define TRACE_CAPACITY (1u << 20)

static uint32_t trace_words[TRACE_CAPACITY];
static uint8_t trace_ports[TRACE_CAPACITY];
static uint32_t trace_count;

void mcusim_port_write(uint32_t port, uint32_t word)
{
    if (trace_count < TRACE_CAPACITY) {
        trace_ports[trace_count] = (uint8_t)port;
        trace_words[trace_count] = word;
    }
    trace_count++;
}

void mcusim_host_trace_reset(void) { trace_count = 0; }
uint32_t mcusim_host_trace_count(void) { return trace_count; }
const uint32_t *mcusim_host_trace_words(void) { return trace_words; }
const uint8_t *mcusim_host_trace_ports(void) { return trace_ports; }

/* Bit 0: DSP kernels (emulated instructions); bit 1: hardware divide path. */
uint32_t mcusim_host_config(void)
{
    return (uint32_t)MCUSIM_USE_DSP | ((uint32_t)MCUSIM_HW_DIVIDE << 1);
}

uint32_t mcusim_host_serve(mcusim_mailbox_t *mb, uintptr_t addr_base, const uint8_t *partition,
                           uint32_t partition_size, uint8_t *arena, uint32_t arena_size)
{
    mcusim_platform_t p;
    p.addr_base = addr_base;
    p.model_partition = partition;
    p.model_partition_size = partition_size;
    p.arena = arena;
    p.arena_size = arena_size;
    p.sram_start = (uintptr_t)arena;
    p.sram_end = (uintptr_t)arena + arena_size;
    return mcusim_serve_mailbox(mb, &p);
}

void mcusim_host_run(const mcusim_job_t *job, mcusim_result_t *res)
{
    mcusim_run(job, res);
}

uint32_t mcusim_host_open(const uint8_t *model, uint32_t capacity, uint32_t written,
                          uint32_t *err3)
{
    static mcusim_model_t m;
    mcusim_error_t err;
    const uint32_t status = mcusim_model_open(&m, model, capacity, written, &err);
    err3[0] = err.code;
    err3[1] = err.detail;
    err3[2] = err.aux;
    return status;
}

/* Validate, then synthesize generated kernel g. */
uint32_t mcusim_host_synth(const uint8_t *model, uint32_t size, uint32_t g, int8_t *kernel,
                           uint8_t *workspace)
{
    static mcusim_model_t m;
    mcusim_error_t err;
    const uint32_t status = mcusim_model_open(&m, model, size, size, &err);
    if (status != MCUSIM_OK || g >= m.info->n_generated) {
        return status ? status : MCUSIM_E_INTERNAL;
    }
    mcusim_synth_layer(&m, g, kernel, workspace);
    return MCUSIM_OK;
}

/* Layout check: sizeof and offsets the Python side compares with spec.py. */
uint32_t mcusim_host_sizeof(uint32_t which)
{
    static const uint32_t sizes[] = {
        sizeof(mcusim_header_t), sizeof(mcusim_section_entry_t), sizeof(mcusim_model_info_t),
        sizeof(mcusim_tensor_t), sizeof(mcusim_layer_t), sizeof(mcusim_fc_desc_t),
        sizeof(mcusim_generator_header_t), sizeof(mcusim_heads_header_t),
        sizeof(mcusim_codes_header_t), sizeof(mcusim_code_entry_t), sizeof(mcusim_plan_header_t),
        sizeof(mcusim_plan_mode_t), sizeof(mcusim_plan_entry_t), sizeof(mcusim_mailbox_t),
        sizeof(mcusim_job_t), sizeof(mcusim_result_t),
    };
    return which < sizeof(sizes) / sizeof(sizes[0]) ? sizes[which] : 0;
}
