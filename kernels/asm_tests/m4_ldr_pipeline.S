@ Cortex-M4, load/store pipelining (DDI0439B section 3.3.2, table 3-1 note b):
@ "Neighboring load and store single instructions can pipeline their address
@ and data phases"; an LDR following an LDR whose loaded register does not
@ form its address takes 1 cycle instead of 2.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   ldr  r0, [r1]       first load                   2
@   ldr  r2, [r3]       independent, pipelined       1
@   ldr  r4, [r1, #4]   independent, pipelined       1
@   ldr  r5, [r3, #8]   independent, pipelined       1
@   nop                                              1
@                                          total     9
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =buffer
    ldr     r3, =buffer + 16
    bx      lr

    .thumb_func
    .global test
test:
    TIMED_START
    ldr     r0, [r1]
    ldr     r2, [r3]
    ldr     r4, [r1, #4]
    ldr     r5, [r3, #8]
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
