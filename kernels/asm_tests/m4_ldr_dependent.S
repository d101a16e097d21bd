@ Cortex-M4, no pipelining when the address depends on the previous load
@ (DDI0439B section 3.3.2: "if the next instruction is an LDR or STR, and the
@ destination of the first LDR is not used to compute the address for the
@ next instruction, then one cycle is removed").
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   ldr  r0, [r1]       first load                   2
@   ldr  r2, [r0]       address is r0: not pipelined 2
@   ldr  r3, [r2]       address is r2: not pipelined 2
@   ldr  r4, [r0, #4]   address is r0, r3 loaded: 1
@   nop                                              1
@                                          total    11
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =buffer
    adds    r0, r1, #8
    str     r0, [r1]                @ buffer[0] = &buffer[2]
    adds    r2, r1, #16
    str     r2, [r1, #8]            @ buffer[2] = &buffer[4]
    bx      lr

    .thumb_func
test:
    TIMED_START
    ldr     r0, [r1]
    ldr     r2, [r0]
    ldr     r3, [r2]
    ldr     r4, [r0, #4]
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
