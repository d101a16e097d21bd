@ Cortex-M4, LDRD/STRD and LDM/STM/PUSH/POP take 1+N and never pipeline
@ (DDI0439B table 3-1 and section 3.3.2: "LDRD and STRD cannot be pipelined
@ with preceding or following instructions"; LDM/STM 1+N).
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   ldr  r0, [r1]                                    2
@   ldrd r2, r3, [r1, #8]   1+N, N = 2               3
@   ldr  r4, [r1]           not pipelined after LDRD 2
@   strd r2, r3, [r1, #16]                           3
@   ldm  r1, {r2-r5}        1+N, N = 4               5
@   stm  r8!, {r2-r5}       1+N                      5
@   push {r4, r5}           1+N                      3
@   pop  {r4, r5}           1+N                      3
@   nop                                              1
@                                          total    30
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =buffer
    add     r8, r1, #32
    bx      lr

    .thumb_func
test:
    TIMED_START
    ldr     r0, [r1]
    ldrd    r2, r3, [r1, #8]
    ldr     r4, [r1]
    strd    r2, r3, [r1, #16]
    ldm     r1, {r2-r5}
    stm     r8!, {r2-r5}
    push    {r4, r5}
    pop     {r4, r5}
    nop
    TIMED_END

    .bss
    .align  3
buffer: .space 64
