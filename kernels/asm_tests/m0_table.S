@ Cortex-M0+, the instruction table (DDI0484C table 3.1): data processing and
@ MULS (fast multiplier) 1, every LDR/STR 2 with no pipelining, LDM/STM/PUSH/
@ POP 1+N, POP with PC 3+N, B<cc> 1 not taken / 2 taken, B 2, BL 3, BX 2.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   movs  r0, #1                                     1
@   adds  r1, r0, r0                                 1
@   muls  r1, r0                                     1
@   ldr   r2, [r3]                                   2
@   ldr   r4, [r3, #4]  no pipelining on the M0+     2
@   str   r2, [r3, #8]                               2
@   ldm   r3!, {r0-r2}  1+N                          4
@   push  {r4, r5}      1+N                          3
@   pop   {r4, r5}      1+N                          3
@   bl    func                                       3
@     func: bx lr                                    2
@   cmp   r0, r0                                     1
@   bne   1f            not taken                    1
@   beq   2f            taken                        2
@ 2: b    3f                                         2
@ 3: bl   func2                                      3
@     push {r4, lr}     1+N                          3
@     pop  {r4, pc}     3+N                          5
@   nop                                              1
@                                          total    45
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r3, =buffer
    bx      lr

    .thumb_func
func:
    bx      lr

    .thumb_func
func2:
    push    {r4, lr}
    pop     {r4, pc}

    .thumb_func
test:
    TIMED_START
    movs    r0, #1
    adds    r1, r0, r0
    muls    r1, r0
    ldr     r2, [r3]
    ldr     r4, [r3, #4]
    str     r2, [r3, #8]
    ldm     r3!, {r0-r2}
    push    {r4, r5}
    pop     {r4, r5}
    bl      func
    cmp     r0, r0
    bne     1f
    beq     2f
1:  nop
2:  b       3f
    nop
3:  bl      func2
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
