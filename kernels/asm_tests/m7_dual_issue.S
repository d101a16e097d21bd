@ Cortex-M7 model, dual issue (docs/cycle-model.md, from LLVM's
@ ARMScheduleM7.td): two independent instructions issue together; a
@ dependent one waits for its producer's latency (ALU 1); NOP is
@ single-issue. Cycles from t0 (cycle 0):
@
@   0  ldr   r6, [r7]        t0
@   1  nop                   single issue
@   2  adds  r0, r0, #1  |  adds r1, r1, #1       independent pair
@   3  adds  r2, r2, #1  |  adds r3, r3, #1       independent pair
@   4  adds  r0, r0, r1                            (group full at 3)
@   5  adds  r0, r0, r2                            needs r0 from cycle 4
@   6  nop                   single issue
@   7  ldr   r5, [r7]        t1
@                                          t1 - t0 = 7
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
test:
    TIMED_START
    adds    r0, r0, #1
    adds    r1, r1, #1
    adds    r2, r2, #1
    adds    r3, r3, #1
    adds    r0, r0, r1
    adds    r0, r0, r2
    nop
    TIMED_END
