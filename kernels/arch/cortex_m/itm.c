/*
 * itm.c - trace output through the ITM stimulus ports, as real firmware does
 * it (CMSIS ITM_SendChar, widened to 32-bit writes): enable tracing in DEMCR,
 * unlock and enable the ITM and ports 0-2; a write happens only while ITM_TCR.ITMENA
 * and the port's ITM_TER bit are set, after the port reads "FIFO ready" (bit 0).
 *
 * Cortex-M0+ (ARMv6-M) has no ITM: on that image the same writes go to the
 * same addresses, which only the mcusim emulator implements (a testbed
 * convention, docs/firmware.md); on a board they would be retargeted here.
 */
#include "cmsis_regs.h"
#include "mcusim_trace.h"

void mcusim_itm_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    ITM_LAR = 0xC5ACCE55u;
    ITM_TCR = ITM_TCR_BUSID1 | ITM_TCR_SYNCENA | ITM_TCR_ITMENA;
    ITM_TER = (1u << 0) | (1u << MCUSIM_TRACE_PORT_PHASE) | (1u << MCUSIM_TRACE_PORT_STATUS);
#if MCUSIM_HAS_DWT_CYCCNT
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CYCCNTENA;
#endif
}

void mcusim_port_write(uint32_t port, uint32_t word)
{
    if ((ITM_TCR & ITM_TCR_ITMENA) && (ITM_TER & (1u << port))) {
        while ((ITM_STIM(port) & 1u) == 0u) {
        }
        ITM_STIM(port) = word;
    }
}
