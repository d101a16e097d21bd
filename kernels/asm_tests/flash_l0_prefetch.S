@ Flash wait states on the STM32L073 (run with --target stm32l073rz: 1 wait
@ state at 32 MHz, 32-bit fetch lines, prefetch buffer, no cache;
@ mcusim/emu/flash.py). Cortex-M0+ table costs.
@
@ Without a cache, every entry into the loop by a taken branch pays the wait
@ state for its first fetch line; sequential lines are prefetched.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   movs  r0, #3                                     1
@   b     loop          B: 2                         2
@   loop body x 3       8 adds + subs + bne(1)      30
@   bne taken x 2       +1 each                      2
@   first-line fetch x 3 (each entry is taken)       3
@   nop                                              1
@                                          total    42
@ (39 on the generic zero-wait map.)
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr
    .include "flash.inc"
