@ Cortex-M4, TBB and LDR PC (DDI0439B section 3.3.2): "TBB and TBH ... at
@ least two cycles for the load, one cycle for the add, and three cycles for
@ the pipeline reload" = 6; "LDR PC,[any] ... at least two cycles for the
@ load, and three cycles for the pipeline reload" = 5.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   movs  r0, #1                                     1
@   nop                 (keeps TBB off the address-dependency stall) 1
@   tbb   [pc, r0]      -> case1                     6
@ case1: nop                                         1
@   ldr   pc, [r1]      -> after                     5
@ after: nop                                         1
@                                          total    18
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r1, =pointer
    ldr     r0, =after + 1
    str     r0, [r1]
    bx      lr

    .thumb_func
test:
    TIMED_START
    movs    r0, #1
    nop
    tbb     [pc, r0]
table:
    .byte   (case0 - table) / 2
    .byte   (case1 - table) / 2
case0:
    nop                             @ skipped
case1:
    nop
    ldr     pc, [r1]
    nop                             @ skipped
after:
    nop
    TIMED_END

    .bss
    .align  2
pointer: .space 4
