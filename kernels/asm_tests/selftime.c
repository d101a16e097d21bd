/* selftime.c - a small bare-metal C program for `mcusim emulate`: it prints
 * through semihosting, times a piece of work with DWT_CYCCNT and exits with a
 * code of its own (SYS_EXIT_EXTENDED).
 *
 * tests/test_emu_selftime.py checks that the cycle figure it prints equals
 * the emulator's own count between the two DWT_CYCCNT reads, and that the
 * process exit code is 7.
 *
 * Freestanding: no C library, its own vector table and reset handler. */

#include <stdint.h>

#define DEMCR      (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL   (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

extern uint32_t __stack_top, __data_start, __data_end, __data_load;

static int semihost(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void print(const char *s) { semihost(0x04, s); }           /* SYS_WRITE0 */

static void print_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    print(&buf[i]);
}

static int8_t weights[256] = {1, -2, 3, -4, 5, -6, 7, -8};   /* .data: copied at reset */
static int8_t inputs[256];

static int32_t dot(const int8_t *a, const int8_t *b, int n)
{
    int32_t acc = 0;
    for (int i = 0; i < n; i++)
        acc += a[i] * b[i];
    return acc;
}

int main(void)
{
    for (int i = 0; i < 256; i++)
        inputs[i] = (int8_t)(i - 128);
    DEMCR |= 1u << 24;                  /* TRCENA */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;                     /* CYCCNTENA */
    uint32_t t0 = DWT_CYCCNT;
    int32_t result = dot(weights, inputs, 256);
    uint32_t t1 = DWT_CYCCNT;
    print("dot = ");
    print(result < 0 ? "-" : "");
    print_u32((uint32_t)(result < 0 ? -result : result));
    print("\ncycles = ");
    print_u32(t1 - t0);
    print("\n");
    return 7;
}

void reset(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end)
        *dst++ = *src++;
    int code = main();
    static uint32_t block[2];
    block[0] = 0x20026;                 /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)code;
    semihost(0x20, block);              /* SYS_EXIT_EXTENDED */
    for (;;) {
    }
}

__attribute__((section(".vectors"), used))
static const void *const vectors[2] = {&__stack_top, (const void *)reset};
