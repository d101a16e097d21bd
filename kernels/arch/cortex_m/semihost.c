/*
 * semihost.c - Arm semihosting (BKPT 0xAB; "Semihosting for AArch32 and
 * AArch64", Arm IHI 0058): r0 = operation, r1 = argument, result in r0.
 *
 * Exit: status 0 -> SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit (0x20026),
 * which every host maps to exit code 0. Any other status -> SYS_EXIT_EXTENDED
 * (0x20) with the block {ADP_Stopped_ApplicationExit, status}, so the host's
 * exit code is the status; a host without SYS_EXIT_EXTENDED returns, and the
 * firmware falls back to SYS_EXIT with ADP_Stopped_RunTimeErrorUnknown
 * (0x20023), a generic failure (exit code 1 on QEMU and OpenOCD).
 * Without a debugger or emulator attached, BKPT faults: semihosting builds are
 * for hosts that implement it.
 */
#include <stdint.h>

#include "semihost.h"

#define SYS_WRITE0          0x04u
#define SYS_EXIT            0x18u
#define SYS_EXIT_EXTENDED   0x20u
#define ADP_APPLICATION_EXIT 0x20026u
#define ADP_RUNTIME_ERROR    0x20023u

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void mcusim_semihost_write0(const char *text)
{
    semihost(SYS_WRITE0, text);
}

void mcusim_semihost_exit(uint32_t status)
{
    if (status == 0) {
        semihost(SYS_EXIT, (const void *)ADP_APPLICATION_EXIT);
    } else {
        const uint32_t block[2] = {ADP_APPLICATION_EXIT, status};
        semihost(SYS_EXIT_EXTENDED, block);
        semihost(SYS_EXIT, (const void *)ADP_RUNTIME_ERROR);
    }
    for (;;) {
        __asm__ volatile("wfi");
    }
}
