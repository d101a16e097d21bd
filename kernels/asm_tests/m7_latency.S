@ Cortex-M7 model, latencies (LLVM ARMScheduleM7.td): MAC 2 with the
@ accumulator read one stage late (a MAC chain issues every cycle), one MAC
@ pipe, word load 1, byte load 2, an address register read one stage early.
@
@   0  ldr   r6, [r7]        t0
@   1  nop                   single issue
@   2  mla   r0, r1, r2, r0
@   3  mla   r0, r1, r2, r0  accumulator: latency 2 - 1
@   4  mul   r3, r1, r2      the MAC pipe is free again
@   6  adds  r4, r3, #1      r3 ready at 4 + 2
@   6  ldr   r5, [r8]        pairs: load pipe, independent
@   7  adds  r9, r5, #1      word load: latency 1
@   7  ldrb  r10, [r8, #4]   pairs with it
@   9  adds  r11, r10, #1    byte load: latency 2
@   9  adds  r8, r8, #8
@  11  ldr   r12, [r8]       address read early: 9 + 1 + 1
@  12  nop                   single issue
@  13  ldr   r5, [r7]        t1
@                                          t1 - t0 = 13
    .include "harness.inc"
    .thumb_func
setup:
    ldr     r8, =buffer
    bx      lr

    .thumb_func
test:
    TIMED_START
    mla     r0, r1, r2, r0
    mla     r0, r1, r2, r0
    mul     r3, r1, r2
    adds    r4, r3, #1
    ldr     r5, [r8]
    adds    r9, r5, #1
    ldrb    r10, [r8, #4]
    adds    r11, r10, #1
    adds    r8, r8, #8
    ldr     r12, [r8]
    nop
    TIMED_END

    .bss
    .align  2
buffer: .space 64
