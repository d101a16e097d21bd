@ Cortex-M4, address dependency stall (DDI0439B section 3.3.2: "Any load or
@ store that generates an address dependent on the result of a preceding
@ data processing operation will stall the pipeline for an additional cycle
@ whilst the register bank is updated. There is no forwarding path").
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   adds r1, #4         data processing              1
@   ldr  r0, [r1]       address from it: 2 + 1       3
@   adds r2, #4         data processing              1
@   ldr  r3, [r1]       address not from it          2
@   mov  r4, r1                                      1
@   str  r0, [r4]       address from it: 2 + 1       3
@   nop                                              1
@                                          total    15
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =buffer
    bx      lr

    .thumb_func
test:
    TIMED_START
    adds    r1, #4
    ldr     r0, [r1]
    adds    r2, #4
    ldr     r3, [r1]
    mov     r4, r1
    str     r0, [r4]
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
