@ Cortex-M4, call and return through the stack (DDI0439B table 3-1): BL 1 + P,
@ PUSH 1 + N, POP with PC 1 + N + P.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   bl    func                                       1 + 2 = 3
@     push {r4, lr}     N = 2                        3
@     pop  {r4, pc}     N = 2                        1 + 2 + 2 = 5
@   nop                                              1
@                                          total    15
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
func:
    push    {r4, lr}
    pop     {r4, pc}

    .thumb_func
test:
    TIMED_START
    bl      func
    nop
    TIMED_END
