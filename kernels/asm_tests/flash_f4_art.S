@ Flash wait states through the STM32F446's ART accelerator (run with
@ --target stm32f446re: 5 wait states at 180 MHz, 128-bit fetch lines,
@ 64-line instruction cache, prefetch; mcusim/emu/flash.py).
@
@ The loop (flash.inc) spans two 16-byte lines. Entering it by the taken B,
@ its first line misses: 5 cycles. Its second line is sequential: the
@ prefetch buffer hides it. The next two passes hit the cache: 0.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   movs  r0, #3                                     1
@   b     loop          1 + P                        3
@   fetch of the loop's first line (miss)            5
@   loop body x 3       8 adds + subs + bne         30
@   bne taken x 2       P = 2 each                   4
@   nop                                              1
@                                          total    47
@ (42 on the generic zero-wait map: the same image without --target.)
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr
    .include "flash.inc"
