@ Cortex-M4, a counted loop: SUBS 1, BNE 1 + P = 3 taken, 1 on the way out.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   movs  r0, #10                                    1
@ 1: subs r0, r0, #1    x 10                        10
@   bne   1b            9 taken x 3, 1 not taken    28
@   nop                                              1
@                                          total    43
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
test:
    TIMED_START
    movs    r0, #10
1:  subs    r0, r0, #1
    bne     1b
    nop
    TIMED_END
