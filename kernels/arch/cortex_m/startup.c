/*
 * startup.c - vector table and reset handler.
 *
 * Reset: enable trace (ITM, DWT cycle counter), mark the RESET phase, copy
 * .data from flash, zero .bss, enable the caches on cores that have them
 * (Cortex-M7, as CMSIS SCB_EnableICache/SCB_EnableDCache), then main(). The
 * mailbox (.mailbox) and the arena (.arena) are NOLOAD and left untouched.
 * Every fault exception ends the run with MCUSIM_E_FAULT (stacked PC in
 * `detail`) through the same exit path as a normal run.
 */
#include <stdint.h>

#include "cmsis_regs.h"
#include "mcusim_status.h"
#include "mcusim_trace.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);
void mcusim_itm_init(void);
void mcusim_fatal(uint32_t code, uint32_t detail, uint32_t aux) __attribute__((noreturn));
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((naked, noreturn));
void mcusim_fault(const uint32_t *frame) __attribute__((noreturn, used));

#if defined(MCUSIM_ENABLE_CACHES)
static void enable_caches(void)
{
    mcusim_dsb();
    mcusim_isb();
    SCB_ICIALLU = 0;
    mcusim_dsb();
    mcusim_isb();
    SCB_CCR |= SCB_CCR_IC;
    mcusim_dsb();
    mcusim_isb();

    SCB_CSSELR = 0;                     /* level 1 data cache */
    mcusim_dsb();
    const uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = (ccsidr >> 13) & 0x7FFFu;
    do {
        uint32_t ways = (ccsidr >> 3) & 0x3FFu;
        do {
            SCB_DCISW = ((sets << 5) & 0x3FE0u) | ((ways << 30) & 0xC0000000u);
        } while (ways-- != 0u);
    } while (sets-- != 0u);
    mcusim_dsb();
    SCB_CCR |= SCB_CCR_DC;
    mcusim_dsb();
    mcusim_isb();
}
#endif

void Reset_Handler(void)
{
    mcusim_itm_init();
    mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_RESET, 0, 0);
    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
#if defined(MCUSIM_ENABLE_CACHES)
    enable_caches();
#endif
    mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_RESET, 0, 0);
    mcusim_fatal((uint32_t)main(), 0, 0);
}

/* Every fault lands here: pass the stacked frame (MSP: the firmware never uses PSP). */
void Fault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n"
                     "ldr r1, =mcusim_fault\n"
                     "bx r1\n");
}

void mcusim_fault(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    mcusim_fatal(MCUSIM_E_FAULT, frame[6], ipsr & 0x1FFu);
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) const vector_t mcusim_vectors[16] = {
    (vector_t)(uintptr_t)__stack_top,
    Reset_Handler,
    Fault_Handler,      /* NMI */
    Fault_Handler,      /* HardFault */
    Fault_Handler,      /* MemManage (ARMv7-M) */
    Fault_Handler,      /* BusFault (ARMv7-M) */
    Fault_Handler,      /* UsageFault (ARMv7-M) */
    0, 0, 0, 0,
    Fault_Handler,      /* SVCall */
    Fault_Handler,      /* DebugMonitor (ARMv7-M) */
    0,
    Fault_Handler,      /* PendSV */
    Fault_Handler,      /* SysTick */
};
