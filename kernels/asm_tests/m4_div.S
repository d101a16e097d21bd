@ Cortex-M4, SDIV/UDIV (DDI0439B table 3-1): 2 to 12 cycles, early
@ termination on the operands, which a block-level model cannot see; the
@ model charges the midpoint, 7, for every divide (docs/cycle-model.md).
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   udiv  r0, r1, r2                                 7
@   sdiv  r3, r1, r2                                 7
@   nop                                              1
@                                          total    18
    .include "harness.inc"
    .thumb_func
setup:
    movs    r1, #100
    movs    r2, #7
    bx      lr

    .thumb_func
test:
    TIMED_START
    udiv    r0, r1, r2
    sdiv    r3, r1, r2
    nop
    TIMED_END
