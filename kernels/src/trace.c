/*
 * trace.c - phase markers and status records (record format: mcusim_trace.h,
 * docs/firmware.md). The port write itself is the platform's
 * (arch/cortex_m/itm.c: ITM stimulus ports; arch/host: a buffer for tests).
 */
#include "mcusim_trace.h"

void mcusim_trace_phase(uint32_t edge, mcusim_phase_t phase, uint32_t detail, uint32_t index)
{
    mcusim_port_write(MCUSIM_TRACE_PORT_PHASE, MCUSIM_TRACE_WORD(edge, phase, detail, index));
}

void mcusim_trace_status(uint32_t code, uint32_t detail, uint32_t aux)
{
    mcusim_port_write(MCUSIM_TRACE_PORT_STATUS, code);
    mcusim_port_write(MCUSIM_TRACE_PORT_STATUS, detail);
    mcusim_port_write(MCUSIM_TRACE_PORT_STATUS, aux);
}
