/*
 * mcusim_status.h - status codes of the mcusim firmware.
 *
 * Returned by the model reader and the runtime, written to the mailbox
 * (`status`, with `detail` and `aux`) and emitted as a trace status record
 * (docs/firmware.md). Format codes (16..47) come with `detail` = the byte
 * offset in model.bin where the host reader (mcusim.format.reader) reports the
 * same problem, so a host and a firmware verdict can be compared.
 */
#ifndef MCUSIM_STATUS_H
#define MCUSIM_STATUS_H

typedef enum {
    MCUSIM_OK = 0,

    /* the job (mailbox) itself: detail/aux give the offending values */
    MCUSIM_E_MAILBOX = 1,       /* bad mailbox magic or version (detail: the value) */
    MCUSIM_E_MODE = 2,          /* unknown synthesis mode (detail: the mode) */
    MCUSIM_E_WINDOWS = 3,       /* more windows than the input or output buffer holds
                                   (detail: windows, aux: windows that fit) */
    MCUSIM_E_BUFFER = 4,        /* an I/O buffer is missing or overlaps the arena, stack,
                                   mailbox or model (detail: its address) */
    MCUSIM_E_MODEL_ADDR = 5,    /* the model is not inside the model partition
                                   (detail: model address, aux: its size) */
    MCUSIM_E_ARENA = 6,         /* the plan needs a bigger arena than the firmware has
                                   (detail: plan arena_size, aux: arena capacity) */

    /* model.bin container (detail: file offset, aux: index or value) */
    MCUSIM_E_TRUNCATED = 16,    /* shorter than its header or than total_length */
    MCUSIM_E_MAGIC = 17,
    MCUSIM_E_VERSION = 18,
    MCUSIM_E_LENGTH = 19,       /* total_length != the length written by the host */
    MCUSIM_E_CRC = 20,
    MCUSIM_E_HEADER = 21,       /* flags, reserved, table offset, section count */
    MCUSIM_E_SECTION = 22,      /* a section table entry (kind, model, reserved, bounds, alignment) */
    MCUSIM_E_SECTION_LAYOUT = 23, /* duplicate/missing sections, overlap, order, gaps, padding */

    /* records and arrays */
    MCUSIM_E_MODEL_INFO = 32,
    MCUSIM_E_TENSOR = 33,
    MCUSIM_E_LAYER = 34,        /* a layer record's codes, references or attributes */
    MCUSIM_E_ARRAY = 35,        /* an array: missing, misaligned, outside its section, overrun */
    MCUSIM_E_REQUANT = 36,      /* negative multiplier or shift outside [-31, 30] */
    MCUSIM_E_GRAPH = 37,        /* execution order, dtypes, shapes of a layer */
    MCUSIM_E_GENERATOR = 38,
    MCUSIM_E_HEADS = 39,
    MCUSIM_E_CODES = 40,
    MCUSIM_E_PLAN = 41,         /* a plan record or entry */
    MCUSIM_E_PLAN_CONFLICT = 42, /* buffers overlapping while live, or past the arena */

    MCUSIM_E_FAULT = 62,        /* the core took a fault exception (detail: stacked PC,
                                   aux: exception number); written by the fault handler */
    MCUSIM_E_INTERNAL = 63,     /* a bug: an invariant the reader should have ensured */
    MCUSIM_RUNNING = 0x7FFFFFFF /* written at start; still there if the firmware faulted */
} mcusim_status_t;

#endif /* MCUSIM_STATUS_H */
