@ Cortex-M4, CBZ/CBNZ (DDI0439B table 3-1): 1 not taken, 1 + P taken.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   cbz   r0, 1f        r0 = 0: taken                1 + 2 = 3
@ 1: nop                                             1
@   cbnz  r0, 2f        not taken                    1
@   nop                                              1
@ 2: nop                                             1
@                                          total    10
    .include "harness.inc"
    .thumb_func
setup:
    movs    r0, #0
    bx      lr

    .thumb_func
test:
    TIMED_START
    cbz     r0, 1f
    nop                             @ skipped
1:  nop
    cbnz    r0, 2f
    nop
2:  nop
    TIMED_END
