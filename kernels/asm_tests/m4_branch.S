@ Cortex-M4, branches (DDI0439B table 3-1): B<cc> 1 not taken, 1 + P taken;
@ B, BL, BX 1 + P. The model takes P = 2, plus 1 when the target is a 32-bit
@ instruction at a halfword (not word) address (the table: P "ranges from 1
@ to 3 depending on the alignment and width of the target instruction").
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   cmp   r0, r0                                     1
@   bne   1f            not taken                    1
@   beq   2f            taken, 16-bit target         1 + 2 = 3
@ 2: nop                                             1
@   b     3f            taken, 32-bit target at 4k+2 1 + 2 + 1 = 4
@ 3: add.w r0, r0, #1                                1
@   bl    func          taken, 16-bit target         1 + 2 = 3
@      func: bx lr      taken, 16-bit target         1 + 2 = 3
@   nop                                              1
@                                          total    21
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
func:
    bx      lr

    .thumb_func
test:
    TIMED_START
    cmp     r0, r0
    bne     1f
    beq     2f
1:  nop
2:  nop
    b       3f
    .balign 4
    nop                             @ skipped: puts 3f at a halfword address
3:  add.w   r0, r0, #1
    bl      func
    nop
    TIMED_END
