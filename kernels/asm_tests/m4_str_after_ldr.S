@ Cortex-M4, STR after LDR pipelines; nothing pipelines after a store
@ (DDI0439B section 3.3.2: "STR can only be pipelined when it follows an
@ LDR, but nothing can be pipelined after the store").
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   ldr  r0, [r1]                                    2
@   str  r0, [r2]       after an LDR, pipelined      1
@   str  r0, [r2, #4]   after a store                2
@   ldr  r3, [r1, #4]   after a store                2
@   nop                                              1
@                                          total    11
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =buffer
    adds    r2, r1, #16
    bx      lr

    .thumb_func
test:
    TIMED_START
    ldr     r0, [r1]
    str     r0, [r2]
    str     r0, [r2, #4]
    ldr     r3, [r1, #4]
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
