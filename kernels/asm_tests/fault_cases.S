@ fault_cases.S - one program, one fault per case, for tests/test_emu_faults.py.
@ The test writes the case number into `case` (in .bss) before the run.
@
@   0 SVC (exception entry is not emulated)   5 deep recursion: stack overflow
@   1 store to flash                          6 BKPT other than 0xAB
@   2 load from unmapped memory               7 endless loop: instruction budget
@   3 jump into SRAM (not code)               8 AIRCR.SYSRESETREQ
@   4 UDF (undefined instruction)             9 exit normally, code 0
    .syntax unified
    .cpu cortex-m4
    .thumb

    .section .vectors, "a"
    .word   __stack_top
    .word   reset + 1

    .text
    .thumb_func
    .global reset
reset:
    ldr     r0, =case
    ldr     r0, [r0]
    adr     r1, cases
    ldr     r1, [r1, r0, lsl #2]
    bx      r1

    .align  2
cases:
    .word   do_svc + 1, do_flash_write + 1, do_unmapped + 1, do_sram_exec + 1, do_udf + 1
    .word   do_recurse + 1, do_bkpt + 1, do_loop + 1, do_reset + 1, do_exit + 1

    .thumb_func
do_svc:
    svc     3
    .thumb_func
do_flash_write:
    movs    r1, #7
    ldr     r2, =0x08000100
    str     r1, [r2, #4]
    .thumb_func
do_unmapped:
    ldr     r2, =0x40021000
    ldr     r3, [r2]
    .thumb_func
do_sram_exec:
    ldr     r2, =0x20000101
    bx      r2
    .thumb_func
do_udf:
    nop
    udf     #5
    .thumb_func
do_recurse:
    push    {r4-r7, lr}
    sub     sp, #64
    bl      do_recurse
    .thumb_func
do_bkpt:
    bkpt    0x12
    .thumb_func
do_loop:
    b       do_loop
    .thumb_func
do_reset:
    ldr     r0, =0xE000ED0C         @ AIRCR
    ldr     r1, =0x05FA0004         @ VECTKEY | SYSRESETREQ
    str     r1, [r0]
    b       .
    .thumb_func
do_exit:
    movs    r0, #0x18               @ SYS_EXIT
    ldr     r1, =0x20026            @ ADP_Stopped_ApplicationExit
    bkpt    0xAB
    b       .
    .ltorg

    .bss
    .align  2
    .global case
case:
    .space  4
