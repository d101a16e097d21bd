@ Cortex-M4, single-cycle data processing (DDI0439B table 3-1 and table 3-2):
@ ALU, shifts, MUL, MLA, the long multiplies and every DSP instruction take 1.
@
@   OVERHEAD (harness: LDR t0 + NOP)                 3
@   adds   r0, r0, #1                                1
@   eors   r1, r0                                    1
@   lsls   r2, r1, #3                                1
@   mul    r3, r2, r1                                1
@   mla    r4, r3, r2, r1                            1
@   smlad  r8, r0, r1, r4                            1
@   sxtb16 r9, r8                                    1
@   umull  r10, r11, r0, r1                          1
@                                          total    11
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
test:
    TIMED_START
    adds    r0, r0, #1
    eors    r1, r0
    lsls    r2, r1, #3
    mul     r3, r2, r1
    mla     r4, r3, r2, r1
    smlad   r8, r0, r1, r4
    sxtb16  r9, r8
    umull   r10, r11, r0, r1
    TIMED_END
