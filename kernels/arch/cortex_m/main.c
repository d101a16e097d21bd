/*
 * main.c - the firmware's one job: serve the mailbox, then exit through
 * semihosting with the status code (docs/firmware.md).
 */
#include <stdint.h>

#include "cmsis_regs.h"
#include "mcusim_runtime.h"
#include "mcusim_trace.h"
#include "semihost.h"

extern uint8_t __model_start[], __model_end[], __arena_start[], __arena_end[];
extern uint32_t __stack_top[];

/* Filled by the host before reset; NOLOAD, so the reset handler leaves it alone. */
__attribute__((section(".mailbox"), used)) mcusim_mailbox_t mcusim_mailbox;

static char *put_hex(char *p, uint32_t v)
{
    for (int s = 28; s >= 0; s -= 4) {
        *p++ = "0123456789abcdef"[(v >> s) & 15u];
    }
    return p;
}

static void report(const mcusim_mailbox_t *mb)
{
    static const char head[] = "mcusim-fw: status 0x";
    char line[sizeof(head) + 3 * 8 + 32];
    char *p = line;
    for (const char *s = head; *s; s++) {
        *p++ = *s;
    }
    p = put_hex(p, mb->status);
    *p++ = ' ';
    *p++ = 'd';
    *p++ = '=';
    p = put_hex(p, mb->detail);
    *p++ = ' ';
    *p++ = 'w';
    *p++ = '=';
    p = put_hex(p, mb->windows_done);
    *p++ = '\n';
    *p = 0;
    mcusim_semihost_write0(line);
}

void mcusim_fatal(uint32_t code, uint32_t detail, uint32_t aux)
{
    if (code == MCUSIM_E_FAULT) {
        mcusim_mailbox.status = code;
        mcusim_mailbox.detail = detail;
        mcusim_mailbox.aux = aux;
        mcusim_mailbox.done = MCUSIM_MAILBOX_DONE;
        mcusim_trace_status(code, detail, aux);
        report(&mcusim_mailbox);
    }
    mcusim_semihost_exit(code);
}

int main(void)
{
    mcusim_platform_t p;
    p.addr_base = 0;
    p.model_partition = __model_start;
    p.model_partition_size = (uint32_t)(__model_end - __model_start);
    p.arena = __arena_start;
    p.arena_size = (uint32_t)(__arena_end - __arena_start);
    p.sram_start = (uintptr_t)&mcusim_mailbox;
    p.sram_end = (uintptr_t)__stack_top;

    mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_JOB, 0, 0);
#if MCUSIM_HAS_DWT_CYCCNT
    const uint32_t start = DWT_CYCCNT;
#endif
    const uint32_t status = mcusim_serve_mailbox(&mcusim_mailbox, &p);
#if MCUSIM_HAS_DWT_CYCCNT
    mcusim_mailbox.cycles = DWT_CYCCNT - start;
#else
    mcusim_mailbox.cycles = 0;
#endif
    mcusim_mailbox.done = MCUSIM_MAILBOX_DONE;
    mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_JOB, 0, 0);
    report(&mcusim_mailbox);
    return (int)status;
}
