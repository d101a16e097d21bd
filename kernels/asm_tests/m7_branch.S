@ Cortex-M7 model, branch prediction: a 2-bit counter per branch, backward
@ branches start predicted taken; a misprediction costs 4 (LLVM's
@ MispredictPenalty). A loop of 4 passes (the first one in the entry block):
@
@   entry block  0 ldr t0, 1 nop, 2 movs r0 #4, 3 subs | bne (taken,
@                predicted)                                  4 cycles
@   loop block   subs | bne, 1 cycle each, x 3               3 cycles
@                taken, taken (predicted), not taken: mispredicted +4
@   exit block   0 nop, 1 ldr t1                             1 cycle
@                                          t1 - t0 = 4 + 3 + 4 + 1 = 12
    .include "harness.inc"
    .thumb_func
setup:
    bx      lr

    .thumb_func
test:
    TIMED_START
    movs    r0, #4
1:  subs    r0, r0, #1
    bne     1b
    nop
    TIMED_END
