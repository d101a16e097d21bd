/*
 * mcusim_format.h - the binary layout of model.bin (format 1.0), for C.
 *
 * Mirrors mcusim/format/spec.py field by field; the static assertions at the
 * end pin every size and offset, and tests/test_firmware_host.py compares them
 * with the numpy dtypes. The firmware reads these records IN PLACE (no copy)
 * from the model partition in flash: every record is naturally aligned
 * because sections start on 16-byte boundaries and arrays on 4-byte ones.
 * float32 fields are kept as raw bits (uint32_t): the firmware never uses
 * floating point, it only checks that they are finite (as the host reader does).
 */
#ifndef MCUSIM_FORMAT_H
#define MCUSIM_FORMAT_H

#include <stdint.h>

#define MCUSIM_MAGIC            0x4D53434Du  /* "MCSM" little-endian */
#define MCUSIM_VERSION_MAJOR    1u
#define MCUSIM_VERSION_MINOR    0u
#define MCUSIM_SECTION_ALIGN    16u
#define MCUSIM_ARRAY_ALIGN      4u
#define MCUSIM_ARENA_ALIGN      16u
#define MCUSIM_NONE16           0xFFFFu
#define MCUSIM_NAME_LEN         16u
#define MCUSIM_MODEL_NAME_LEN   32u
#define MCUSIM_MAX_LAYERS       1024u
#define MCUSIM_MAX_TENSORS      1024u
#define MCUSIM_MAX_FC           4u
#define MCUSIM_MAX_SECTIONS     16u
#define MCUSIM_CRC_OFFSET       16u
#define MCUSIM_ADD_LEFT_SHIFT   20
#define MCUSIM_SHIFT_MIN        (-31)
#define MCUSIM_SHIFT_MAX        30

typedef struct {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t flags;
    uint32_t total_length;
    uint32_t crc32;
    uint32_t section_count;
    uint32_t section_table_offset;
    uint32_t reserved;
} mcusim_header_t;

typedef struct {
    uint16_t kind;
    uint16_t model;
    uint32_t offset;
    uint32_t length;
    uint32_t reserved;
} mcusim_section_entry_t;

enum mcusim_section_kind {
    MCUSIM_SEC_MODEL_INFO = 1,
    MCUSIM_SEC_TENSORS = 2,
    MCUSIM_SEC_LAYERS = 3,
    MCUSIM_SEC_BACKBONE = 4,
    MCUSIM_SEC_PW1 = 5,
    MCUSIM_SEC_GENERATOR = 6,
    MCUSIM_SEC_HEADS = 7,
    MCUSIM_SEC_CODES = 8,
    MCUSIM_SEC_PLAN = 9,
    MCUSIM_SEC_SCALES = 10,
    MCUSIM_SEC_PQ_CODEBOOKS = 11,   /* reserved in format 1.0 */
    MCUSIM_SEC_PQ_INDICES = 12,     /* reserved in format 1.0 */
    MCUSIM_SEC_BUNDLE = 13,         /* reserved in format 1.0 */
    MCUSIM_SEC_KIND_MAX = 13
};

typedef struct {
    char     name[MCUSIM_MODEL_NAME_LEN];
    uint16_t input_tensor;
    uint16_t output_tensor;
    uint16_t class_tensor;
    uint16_t n_classes;
    uint16_t n_tensors;
    uint16_t n_layers;
    uint16_t n_generated;
    uint16_t reserved0;
    uint32_t sample_rate_hz;
    uint32_t reserved1;
} mcusim_model_info_t;

enum mcusim_dtype { MCUSIM_DT_INT8 = 1, MCUSIM_DT_INT32 = 2 };

typedef struct {
    uint32_t length;
    uint32_t channels;
    uint32_t scale_bits;    /* float32 */
    int16_t  zero_point;
    uint8_t  dtype;
    uint8_t  reserved;
} mcusim_tensor_t;

enum mcusim_op {
    MCUSIM_OP_CONV = 1,
    MCUSIM_OP_DW_CONV = 2,
    MCUSIM_OP_PW_CONV = 3,
    MCUSIM_OP_AVG_POOL = 4,
    MCUSIM_OP_MAX_POOL = 5,
    MCUSIM_OP_GLOBAL_AVG_POOL = 6,
    MCUSIM_OP_FULLY_CONNECTED = 7,
    MCUSIM_OP_ADD = 8,
    MCUSIM_OP_ARGMAX = 9,
    MCUSIM_OP_MAX = 9
};

enum mcusim_padding { MCUSIM_PAD_VALID = 0, MCUSIM_PAD_SAME = 1 };
enum mcusim_act { MCUSIM_ACT_NONE = 0, MCUSIM_ACT_RELU = 1, MCUSIM_ACT_RELU6 = 2 };

#define MCUSIM_LAYER_GENERATED 0x01u

typedef struct {
    uint8_t  op;
    uint8_t  flags;
    uint8_t  padding;
    uint8_t  act;
    uint16_t in0;
    uint16_t in1;
    uint16_t out;
    uint16_t gen_index;
    uint16_t kernel;
    uint16_t stride;
    uint16_t dilation;
    int8_t   act_min;
    int8_t   act_max;
    uint16_t n_q;
    uint16_t reserved;
    uint32_t w_off;
    uint32_t w_len;
    uint32_t b_off;
    uint32_t mult_off;
    uint32_t shift_off;
    uint32_t wscale_off;
    char     name[MCUSIM_NAME_LEN];
} mcusim_layer_t;

typedef struct {
    uint16_t in_features;
    uint16_t out_features;
    uint32_t w_off;
    uint32_t b_off;
    int32_t  mult;
    int8_t   shift;
    int8_t   act_min;
    int8_t   act_max;
    uint8_t  reserved;
    int16_t  in_zp;
    int16_t  out_zp;
    uint32_t w_scale_bits;      /* float32 */
    uint32_t out_scale_bits;    /* float32 */
} mcusim_fc_desc_t;

typedef struct {
    uint16_t d_code;
    uint16_t d_emb;
    uint16_t n_emb_rows;
    uint16_t n_fc;
    int16_t  in_zp;
    uint16_t reserved;
    uint32_t in_scale_bits;     /* float32 */
    uint32_t emb_off;
} mcusim_generator_header_t;     /* then n_fc mcusim_fc_desc_t at section offset 20 */

typedef struct {
    uint16_t n_heads;
    uint16_t reserved;
} mcusim_heads_header_t;         /* then n_heads mcusim_fc_desc_t at section offset 4 */

typedef struct {
    uint16_t n_generated;
    uint16_t d_code;
} mcusim_codes_header_t;         /* then n_generated mcusim_code_entry_t at section offset 4 */

typedef struct {
    uint16_t layer;
    uint16_t head;
    uint32_t code_off;
} mcusim_code_entry_t;

enum mcusim_plan_kind {
    MCUSIM_PLAN_ACTIVATION = 0,
    MCUSIM_PLAN_KERNEL_CACHE = 1,
    MCUSIM_PLAN_KERNEL_SCRATCH = 2,
    MCUSIM_PLAN_SYNTH_WORKSPACE = 3,
    MCUSIM_PLAN_KIND_MAX = 3
};

enum mcusim_mode { MCUSIM_MODE_BOOT = 0, MCUSIM_MODE_LAZY = 1, MCUSIM_N_MODES = 2 };

typedef struct {
    uint16_t n_modes;
    uint16_t reserved;
    uint32_t alignment;
} mcusim_plan_header_t;          /* then n_modes mcusim_plan_mode_t at section offset 8 */

typedef struct {
    uint32_t arena_size;
    uint32_t entries_off;
    uint16_t n_entries;
    uint16_t reserved0;
    uint32_t reserved1;
} mcusim_plan_mode_t;

typedef struct {
    uint8_t  kind;
    uint8_t  reserved;
    uint16_t ref;
    uint32_t offset;
    uint32_t size;
    uint16_t first;     /* time steps: 0 is boot synthesis, 1 + i is layer i */
    uint16_t last;
} mcusim_plan_entry_t;

/* ---- layout pinned to spec.py (a mismatch is a compile error) ---------- */
#define MCUSIM_OFFSETOF(t, f) ((unsigned)__builtin_offsetof(t, f))
#define MCUSIM_ASSERT(cond, msg) _Static_assert(cond, msg)

MCUSIM_ASSERT(sizeof(mcusim_header_t) == 32, "HEADER itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_header_t, total_length) == 12, "HEADER.total_length");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_header_t, crc32) == MCUSIM_CRC_OFFSET, "HEADER.crc32");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_header_t, section_table_offset) == 24, "HEADER.table");
MCUSIM_ASSERT(sizeof(mcusim_section_entry_t) == 16, "SECTION_ENTRY itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_section_entry_t, length) == 8, "SECTION_ENTRY.length");
MCUSIM_ASSERT(sizeof(mcusim_model_info_t) == 56, "MODEL_INFO itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_model_info_t, input_tensor) == 32, "MODEL_INFO.input_tensor");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_model_info_t, n_generated) == 44, "MODEL_INFO.n_generated");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_model_info_t, sample_rate_hz) == 48, "MODEL_INFO.rate");
MCUSIM_ASSERT(sizeof(mcusim_tensor_t) == 16, "TENSOR itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_tensor_t, zero_point) == 12, "TENSOR.zero_point");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_tensor_t, dtype) == 14, "TENSOR.dtype");
MCUSIM_ASSERT(sizeof(mcusim_layer_t) == 64, "LAYER itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, gen_index) == 10, "LAYER.gen_index");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, act_min) == 18, "LAYER.act_min");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, n_q) == 20, "LAYER.n_q");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, w_off) == 24, "LAYER.w_off");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, wscale_off) == 44, "LAYER.wscale_off");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_layer_t, name) == 48, "LAYER.name");
MCUSIM_ASSERT(sizeof(mcusim_fc_desc_t) == 32, "FC_DESC itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_fc_desc_t, mult) == 12, "FC_DESC.mult");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_fc_desc_t, shift) == 16, "FC_DESC.shift");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_fc_desc_t, in_zp) == 20, "FC_DESC.in_zp");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_fc_desc_t, out_scale_bits) == 28, "FC_DESC.out_scale");
MCUSIM_ASSERT(sizeof(mcusim_generator_header_t) == 20, "GENERATOR_HEADER itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_generator_header_t, in_zp) == 8, "GENERATOR_HEADER.in_zp");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_generator_header_t, emb_off) == 16, "GENERATOR_HEADER.emb_off");
MCUSIM_ASSERT(sizeof(mcusim_heads_header_t) == 4, "HEADS_HEADER itemsize");
MCUSIM_ASSERT(sizeof(mcusim_codes_header_t) == 4, "CODES_HEADER itemsize");
MCUSIM_ASSERT(sizeof(mcusim_code_entry_t) == 8, "CODE_ENTRY itemsize");
MCUSIM_ASSERT(sizeof(mcusim_plan_header_t) == 8, "PLAN_HEADER itemsize");
MCUSIM_ASSERT(sizeof(mcusim_plan_mode_t) == 16, "PLAN_MODE itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_plan_mode_t, n_entries) == 8, "PLAN_MODE.n_entries");
MCUSIM_ASSERT(sizeof(mcusim_plan_entry_t) == 16, "PLAN_ENTRY itemsize");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_plan_entry_t, offset) == 4, "PLAN_ENTRY.offset");
MCUSIM_ASSERT(MCUSIM_OFFSETOF(mcusim_plan_entry_t, first) == 12, "PLAN_ENTRY.first");

#endif /* MCUSIM_FORMAT_H */
