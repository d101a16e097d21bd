@ Cortex-M4, a conditional branch at the end of an IT block: taken or not is
@ decided by where execution goes next (the block hook compares the next
@ block's address with the fall-through), 1 not taken, 1 + P taken.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   cmp   r0, #0        r0 = 0                       1
@   it    ne            folded                       0
@   bxne  r3            not taken                    1
@   mov   r1, r2        16-bit, flags kept           1
@   it    eq            folded                       0
@   bxeq  r3            taken, 16-bit target         1 + 2 = 3
@ target: nop                                        1
@                                          total    10
    .include "harness.inc"
    .thumb_func
setup:
    movs    r0, #0
    ldr     r3, =target + 1
    bx      lr

    .thumb_func
test:
    TIMED_START
    cmp     r0, #0
    it      ne
    bxne    r3
    mov     r1, r2
    it      eq
    bxeq    r3
    nop                             @ skipped
target:
    nop
    TIMED_END
