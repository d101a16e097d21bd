/*
 * mcusim_mailbox.h - how a host (the emulator, a debugger script) gives the
 * firmware its work, and reads the result back.
 *
 * The struct lives at the linker symbol `mcusim_mailbox`, at the first address
 * of the image's SRAM region, in the NOLOAD section `.mailbox` that the reset
 * handler does not touch: the host writes the request fields into SRAM before
 * releasing reset, the firmware writes the result fields before it exits
 * through semihosting SYS_EXIT. All fields are little-endian uint32.
 *
 * Input and output buffers may live anywhere the core can address; the testbed
 * convention is a "host I/O" region the emulator maps outside the part's SRAM
 * (docs/firmware.md): the firmware copies each window into the planned input
 * tensor in the arena, and each result out of the arena, so the SRAM figures
 * stay those of the part.
 */
#ifndef MCUSIM_MAILBOX_H
#define MCUSIM_MAILBOX_H

#include <stdint.h>

#define MCUSIM_MAILBOX_MAGIC    0x424D434Du  /* "MCMB" */
#define MCUSIM_MAILBOX_VERSION  1u
#define MCUSIM_MAILBOX_DONE     0x454E4F44u  /* "DONE" */

typedef struct {
    /* ---- written by the host before reset ---- */
    uint32_t magic;           /*  0: MCUSIM_MAILBOX_MAGIC */
    uint32_t version;         /*  4: MCUSIM_MAILBOX_VERSION */
    uint32_t model_addr;      /*  8: address of model.bin; 0 = start of the model partition */
    uint32_t model_size;      /* 12: bytes of model.bin written; 0 = unknown (then only
                                     total_length <= partition is checked) */
    uint32_t mode;            /* 16: 0 boot, 1 lazy */
    uint32_t n_windows;       /* 20: windows to run (0 = validate and synthesize only) */
    uint32_t in_addr;         /* 24: n_windows input windows, each the input tensor's bytes */
    uint32_t in_capacity;     /* 28: bytes */
    uint32_t out_addr;        /* 32: one output record per window (out_record_size bytes) */
    uint32_t out_capacity;    /* 36: bytes */
    uint32_t arena_addr;      /* 40: 0 = the linker's arena (__arena_start); else the address
                                     of a larger arena the host provides (16-byte aligned,
                                     outside the image's SRAM, the model partition and the
                                     I/O buffers): the testbed's "what-if" runs of a plan
                                     that does not fit the part (docs/firmware.md) */
    uint32_t arena_size;      /* 44: bytes at arena_addr (0 with arena_addr = 0) */
    /* ---- written by the firmware ---- */
    uint32_t status;          /* 48: mcusim_status_t; MCUSIM_RUNNING while running */
    uint32_t detail;          /* 52: file offset of a format error, or the offending value */
    uint32_t aux;             /* 56: second value (index, limit) */
    uint32_t windows_done;    /* 60: windows whose outputs are in the output buffer */
    uint32_t synthesized;     /* 64: generated kernels synthesized (boot: once each,
                                     lazy: once per generated layer and window) */
    uint32_t out_record_size; /* 68: bytes per output record: the output tensor, padded to
                                     4, then the class tensor (int32) */
    uint32_t arena_capacity;  /* 72: bytes of the firmware's arena */
    uint32_t arena_used;      /* 76: arena_size of the plan of the chosen mode */
    uint32_t last_class;      /* 80: class index of the last window */
    uint32_t cycles;          /* 84: DWT_CYCCNT from job start to end (0 without DWT) */
    uint32_t done;            /* 88: MCUSIM_MAILBOX_DONE once the fields above are final */
    uint32_t reserved2;       /* 92 */
} mcusim_mailbox_t;

_Static_assert(sizeof(mcusim_mailbox_t) == 96, "mailbox size");
_Static_assert(__builtin_offsetof(mcusim_mailbox_t, status) == 48, "mailbox.status");
_Static_assert(__builtin_offsetof(mcusim_mailbox_t, done) == 88, "mailbox.done");

#endif /* MCUSIM_MAILBOX_H */
