@ Cortex-M4, IT folding (DDI0439B table 3-1 note d: "An IT instruction can be
@ folded onto a preceding 16-bit Thumb instruction, enabling execution in
@ zero cycles"). Instructions in an IT block are charged as executed
@ (movne below fails its condition and still takes its cycle).
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   cmp    r0, r0       16-bit                       1
@   it     eq           folded                       0
@   moveq  r1, #1                                    1
@   cmp.w  r0, #0       32-bit                       1
@   it     eq           not folded                   1
@   addeq  r1, r1, #1   16-bit                       1
@   ite    ne           folded                       0
@   movne  r2, #5       condition fails              1
@   moveq  r2, #6                                    1
@   nop                                              1
@                                          total    11
    .include "harness.inc"
    .thumb_func
setup:
    movs    r0, #0
    bx      lr

    .thumb_func
test:
    TIMED_START
    cmp     r0, r0
    it      eq
    moveq   r1, #1
    cmp.w   r0, #0
    it      eq
    addeq   r1, r1, #1
    ite     ne
    movne   r2, #5
    moveq   r2, #6
    nop
    TIMED_END
