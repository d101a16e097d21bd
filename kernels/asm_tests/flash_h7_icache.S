@ Flash through the Cortex-M7 L1 instruction cache on the STM32H743 (run with
@ --target stm32h743zi: 4 wait states at 240 MHz on the AXI flash, core at
@ 480 MHz, 32-byte lines: a line fill costs (4 + 1) x 2 x 4 - 1 = 39 core
@ cycles; mcusim/emu/flash.py). M7 dual-issue model.
@
@   0  ldr t0   1 nop   2 movs r0, #3 | b loop (direct: predicted)   3
@   loop line fill (miss, no prefetch)                              39
@   loop body: {adds, adds} {adds, adds} {adds, adds} {adds, adds}
@              {subs, bne}: 5 cycles, x 3                           15
@   bne: taken, taken (predicted), not taken: mispredicted           4
@   0 nop   1 ldr t1                                                 1
@                                          t1 - t0 = 62
@ (23 on the generic zero-wait map.)
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr
    .include "flash.inc"
