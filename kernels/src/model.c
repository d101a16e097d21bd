/*
 * model.c - read and validate a model.bin in place (mirrors mcusim/format/reader.py
 * and mcusim/format/validate.py; the rules are listed in docs/format.md).
 *
 * The checks run in the host reader's order and report the same file offset
 * (in mcusim_error_t.detail) for the same problem, so a host verdict and a
 * firmware verdict can be compared byte for byte (tests/test_firmware_host.py).
 * Nothing is read before its bounds are checked and every count is bounded
 * before it is looped over; all offset arithmetic is done in 64 bits. No
 * floating point: float32 fields are checked through their bit patterns.
 */
#include <stddef.h>

#include "mcusim_model.h"

#define ERR(code_, detail_, aux_) return set_error(err, (code_), (detail_), (aux_))
#define CHECK(expr) do { mcusim_status_t s_ = (expr); if (s_ != MCUSIM_OK) return s_; } while (0)

typedef struct {
    mcusim_model_t *m;
    uint32_t n;                 /* bytes available: the file length */
    uint16_t order[MCUSIM_MAX_SECTIONS];   /* section kinds in table order */
    uint32_t count;
    mcusim_error_t *err;
} reader_t;

static mcusim_status_t set_error(mcusim_error_t *err, uint32_t code, uint32_t detail, uint32_t aux)
{
    err->code = code;
    err->detail = detail;
    err->aux = aux;
    return (mcusim_status_t)code;
}

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib.crc32) -------------------- */
static const uint32_t crc_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc_update(uint32_t crc, const uint8_t *p, uint32_t n)
{
    while (n--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc_table[crc & 15u];
        crc = (crc >> 4) ^ crc_table[crc & 15u];
    }
    return crc;
}

uint32_t mcusim_model_crc(const uint8_t *data, uint32_t length)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t crc = 0xFFFFFFFFu;
    crc = crc_update(crc, data, MCUSIM_CRC_OFFSET);
    crc = crc_update(crc, zero, 4);
    crc = crc_update(crc, data + MCUSIM_CRC_OFFSET + 4, length - MCUSIM_CRC_OFFSET - 4);
    return crc ^ 0xFFFFFFFFu;
}

/* ---- small helpers ----------------------------------------------------- */
static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static int f32_bad(uint32_t bits, int positive)
{
    const uint32_t mag = bits & 0x7FFFFFFFu;
    if (((bits >> 23) & 0xFFu) == 0xFFu) {
        return 1;                       /* inf or nan */
    }
    if ((bits >> 31) && mag) {
        return 1;                       /* negative (-0.0 is not) */
    }
    return positive && mag == 0;
}

/* printable ASCII padded with NUL bytes */
static int name_bad(const uint8_t *p, uint32_t size)
{
    uint32_t i = 0;
    for (; i < size && p[i]; i++) {
        if (p[i] < 0x20 || p[i] >= 0x7F) {
            return 1;
        }
    }
    for (; i < size; i++) {
        if (p[i]) {
            return 1;
        }
    }
    return 0;
}

static int in_i8(int32_t v) { return v >= -128 && v <= 127; }

static uint32_t align_up(uint32_t n, uint32_t a) { return (n + a - 1u) / a * a; }

static const mcusim_section_t *sec(const reader_t *r, uint32_t kind) { return &r->m->sec[kind]; }
static int has(const reader_t *r, uint32_t kind) { return r->m->sec[kind].length || r->m->sec[kind].offset; }

/* The section whose bytes contain `off` (table order), or 0. */
static uint32_t containing(const reader_t *r, uint32_t off)
{
    for (uint32_t i = 0; i < r->count; i++) {
        const mcusim_section_t *s = sec(r, r->order[i]);
        if (s->offset <= off && (uint64_t)off < (uint64_t)s->offset + s->length) {
            return r->order[i];
        }
    }
    return 0;
}

/* reader.py _Reader.array: an array of `count` items of `size` bytes at `off`
 * (0 = absent) inside the data area of a section of kind k0 or k1. */
static mcusim_status_t array(reader_t *r, uint32_t off, uint64_t count, uint32_t size,
                             uint32_t k0, uint32_t k1, int required, uint32_t at)
{
    mcusim_error_t *err = r->err;
    if (off == 0) {
        if (required && count) {
            ERR(MCUSIM_E_ARRAY, at, 0);
        }
        return MCUSIM_OK;
    }
    if (count == 0) {
        ERR(MCUSIM_E_ARRAY, at, off);
    }
    if (off % MCUSIM_ARRAY_ALIGN) {
        ERR(MCUSIM_E_ARRAY, at, off);
    }
    const uint32_t kind = containing(r, off);
    if (!kind || (kind != k0 && kind != k1)) {
        ERR(MCUSIM_E_ARRAY, at, off);
    }
    const mcusim_section_t *s = sec(r, kind);
    if (off < s->data_start) {
        ERR(MCUSIM_E_ARRAY, at, off);
    }
    if ((uint64_t)off + count * size > (uint64_t)s->offset + s->length) {
        ERR(MCUSIM_E_ARRAY, at, off);
    }
    return MCUSIM_OK;
}

/* reader.py headed_records: a section made of a header and `count` records. */
static mcusim_status_t headed(reader_t *r, uint32_t kind, uint32_t head, uint32_t item,
                              uint32_t count_at, uint32_t lo, uint32_t hi, uint32_t code)
{
    mcusim_error_t *err = r->err;
    mcusim_section_t *s = &r->m->sec[kind];
    if (s->length < head) {
        ERR(code, s->offset, s->length);
    }
    const uint32_t count = rd16(r->m->base + s->offset + count_at);
    if (count < lo || count > hi) {
        ERR(code, s->offset, count);
    }
    if (head + count * item > s->length) {
        ERR(code, s->offset, count);
    }
    s->data_start = s->offset + head + count * item;
    return MCUSIM_OK;
}

static const mcusim_tensor_t *tensor(const reader_t *r, uint32_t t) { return &r->m->tensors[t]; }

static uint32_t tensor_at(const reader_t *r, uint32_t t)
{
    return sec(r, MCUSIM_SEC_TENSORS)->offset + 16u * t;
}

static uint32_t layer_at(const reader_t *r, uint32_t i)
{
    return sec(r, MCUSIM_SEC_LAYERS)->offset + 64u * i;
}

static uint64_t nbytes64(const mcusim_tensor_t *t)
{
    return (uint64_t)t->length * t->channels * (t->dtype == MCUSIM_DT_INT32 ? 4u : 1u);
}

/* validate.py expected_n_q */
static uint32_t expected_n_q(uint32_t op, uint32_t out_channels)
{
    if (op == MCUSIM_OP_CONV || op == MCUSIM_OP_DW_CONV || op == MCUSIM_OP_PW_CONV) {
        return out_channels;
    }
    return op == MCUSIM_OP_FULLY_CONNECTED ? 1u : op == MCUSIM_OP_ADD ? 3u : 0u;
}

/* validate.py conv_out_length, in 32-bit arithmetic (length < 2^31, the others < 2^16) */
static uint32_t conv_out_length(uint32_t length, uint32_t kernel, uint32_t stride,
                                uint32_t dilation, uint32_t padding)
{
    if (padding == MCUSIM_PAD_SAME) {
        return (length + stride - 1u) / stride;
    }
    const uint64_t reach = (uint64_t)(kernel - 1u) * dilation;   /* span = length - reach */
    if (reach >= length) {
        return 0;
    }
    const uint32_t span = length - (uint32_t)reach;
    return (span + stride - 1u) / stride;
}

/* ======================================================================= */
/* container: header, CRC, section table, packed layout                    */
/* ======================================================================= */
static mcusim_status_t container(reader_t *r, uint32_t capacity, uint32_t written)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const uint8_t *d = m->base;
    /* The host knows the file length; the firmware knows it if the host wrote
     * it to the mailbox, else it trusts total_length up to the partition size. */
    uint32_t n = written ? written : capacity;
    if (written > capacity) {
        ERR(MCUSIM_E_TRUNCATED, capacity, written);
    }
    if (n < sizeof(mcusim_header_t)) {
        ERR(MCUSIM_E_TRUNCATED, n, n);
    }
    const mcusim_header_t *h = (const mcusim_header_t *)d;
    if (h->magic != MCUSIM_MAGIC) {
        ERR(MCUSIM_E_MAGIC, 0, h->magic);
    }
    if (h->version_major != MCUSIM_VERSION_MAJOR || h->version_minor > MCUSIM_VERSION_MINOR) {
        ERR(MCUSIM_E_VERSION, 4, ((uint32_t)h->version_major << 16) | h->version_minor);
    }
    const uint32_t total = h->total_length;
    if (n < total) {
        ERR(MCUSIM_E_TRUNCATED, n, total);
    }
    if (!written) {
        n = total;
        if (n < sizeof(mcusim_header_t)) {
            ERR(MCUSIM_E_LENGTH, 12, total);
        }
    }
    if (n != total) {
        ERR(MCUSIM_E_LENGTH, 12, total);
    }
    r->n = n;
    const uint32_t crc = mcusim_model_crc(d, n);
    if (crc != h->crc32) {
        ERR(MCUSIM_E_CRC, MCUSIM_CRC_OFFSET, crc);
    }
    if (h->flags != 0) {
        ERR(MCUSIM_E_HEADER, 8, h->flags);
    }
    if (h->reserved != 0) {
        ERR(MCUSIM_E_HEADER, 28, h->reserved);
    }
    const uint32_t table = h->section_table_offset, count = h->section_count;
    if (table != sizeof(mcusim_header_t)) {
        ERR(MCUSIM_E_HEADER, 24, table);
    }
    if (count < 1 || count > MCUSIM_MAX_SECTIONS) {
        ERR(MCUSIM_E_HEADER, 20, count);
    }
    const uint32_t table_end = table + count * 16u;
    if (table_end > n) {
        ERR(MCUSIM_E_SECTION, table, count);
    }
    const mcusim_section_entry_t *e = (const mcusim_section_entry_t *)(d + table);
    for (uint32_t i = 0; i < count; i++) {
        const uint32_t at = table + 16u * i;
        const uint32_t kind = e[i].kind;
        if (kind < 1 || kind > MCUSIM_SEC_KIND_MAX) {
            ERR(MCUSIM_E_SECTION, at, kind);
        }
        if (kind == MCUSIM_SEC_PQ_CODEBOOKS || kind == MCUSIM_SEC_PQ_INDICES
            || kind == MCUSIM_SEC_BUNDLE) {
            ERR(MCUSIM_E_SECTION, at, kind);
        }
        if (e[i].model != 0) {
            ERR(MCUSIM_E_SECTION, at, e[i].model);
        }
        if (e[i].reserved != 0) {
            ERR(MCUSIM_E_SECTION, at, e[i].reserved);
        }
        if ((uint64_t)e[i].offset + e[i].length > n) {
            ERR(MCUSIM_E_SECTION, e[i].offset, i);
        }
        if (e[i].offset % MCUSIM_SECTION_ALIGN) {
            ERR(MCUSIM_E_SECTION, e[i].offset, i);
        }
    }
    /* duplicates (the second one is at fault), then required kinds */
    for (uint32_t i = 0; i < count; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (e[j].kind == e[i].kind) {
                ERR(MCUSIM_E_SECTION_LAYOUT, e[i].offset, e[i].kind);
            }
        }
    }
    static const uint8_t required[4] = {MCUSIM_SEC_MODEL_INFO, MCUSIM_SEC_TENSORS,
                                        MCUSIM_SEC_LAYERS, MCUSIM_SEC_PLAN};
    for (uint32_t k = 0; k < 4; k++) {
        uint32_t found = 0;
        for (uint32_t i = 0; i < count; i++) {
            found |= e[i].kind == required[k];
        }
        if (!found) {
            ERR(MCUSIM_E_SECTION_LAYOUT, table, required[k]);
        }
    }
    /* No overlaps, in file order (sorted by offset, then length), the header and
     * table first. Selection by (offset, length, table index): no sorting buffer. */
    {
        uint32_t prev_end = table_end, last_off = 0, last_len = 0, last_i = 0;
        for (uint32_t k = 0; k < count; k++) {
            uint32_t best = count;
            for (uint32_t i = 0; i < count; i++) {
                const int after = k == 0
                    || e[i].offset > last_off
                    || (e[i].offset == last_off && (e[i].length > last_len
                        || (e[i].length == last_len && i > last_i)));
                if (after && (best == count || e[i].offset < e[best].offset
                              || (e[i].offset == e[best].offset && e[i].length < e[best].length))) {
                    best = i;
                }
            }
            if (e[best].offset < prev_end) {
                ERR(MCUSIM_E_SECTION_LAYOUT, e[best].offset, best);
            }
            prev_end = e[best].offset + e[best].length;
            last_off = e[best].offset;
            last_len = e[best].length;
            last_i = best;
        }
    }
    /* the table lists sections in file order */
    for (uint32_t i = 0; i + 1 < count; i++) {
        if (e[i + 1].offset < e[i].offset) {
            ERR(MCUSIM_E_SECTION_LAYOUT, e[i].offset, i);
        }
    }
    /* packed: each at the first 16-byte boundary after the previous, zero padding */
    uint32_t prev_end = table_end;
    for (uint32_t i = 0; i < count; i++) {
        const uint32_t off = e[i].offset;
        if (off != align_up(prev_end, MCUSIM_SECTION_ALIGN)) {
            ERR(MCUSIM_E_SECTION_LAYOUT, off, i);
        }
        for (uint32_t p = prev_end; p < off; p++) {
            if (d[p]) {
                ERR(MCUSIM_E_SECTION_LAYOUT, prev_end, i);
            }
        }
        prev_end = off + e[i].length;
    }
    if (prev_end != n) {
        ERR(MCUSIM_E_SECTION_LAYOUT, prev_end, n - prev_end);
    }
    for (uint32_t i = 0; i < count; i++) {
        mcusim_section_t *s = &m->sec[e[i].kind];
        s->offset = e[i].offset;
        s->length = e[i].length;
        s->data_start = 0;
        r->order[i] = e[i].kind;
    }
    r->count = count;
    m->length = n;
    return MCUSIM_OK;
}

/* ======================================================================= */
/* model info, tensors, layer records                                      */
/* ======================================================================= */
static mcusim_status_t model_info(reader_t *r)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const mcusim_section_t *s = sec(r, MCUSIM_SEC_MODEL_INFO);
    const uint32_t at = s->offset;
    if (s->length != sizeof(mcusim_model_info_t)) {
        ERR(MCUSIM_E_MODEL_INFO, at, s->length);
    }
    const mcusim_model_info_t *info = (const mcusim_model_info_t *)(m->base + at);
    m->info = info;
    if (info->n_tensors < 1 || info->n_tensors > MCUSIM_MAX_TENSORS) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->n_tensors);
    }
    if (info->n_layers < 1 || info->n_layers > MCUSIM_MAX_LAYERS) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->n_layers);
    }
    if (info->n_generated > info->n_layers) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->n_generated);
    }
    if (info->reserved0 != 0 || info->reserved1 != 0) {
        ERR(MCUSIM_E_MODEL_INFO, at, 0);
    }
    if (info->input_tensor >= info->n_tensors) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->input_tensor);
    }
    if (info->output_tensor >= info->n_tensors) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->output_tensor);
    }
    if (info->class_tensor >= info->n_tensors) {
        ERR(MCUSIM_E_MODEL_INFO, at, info->class_tensor);
    }
    if (name_bad((const uint8_t *)info->name, MCUSIM_MODEL_NAME_LEN)) {
        ERR(MCUSIM_E_MODEL_INFO, at, 0);
    }
    const int has_gen = has(r, MCUSIM_SEC_GENERATOR), has_heads = has(r, MCUSIM_SEC_HEADS);
    if (has_gen != has_heads) {
        const uint32_t kind = has_gen ? MCUSIM_SEC_GENERATOR : MCUSIM_SEC_HEADS;
        ERR(MCUSIM_E_MODEL_INFO, sec(r, kind)->offset, kind);
    }
    if (info->n_generated && !has(r, MCUSIM_SEC_CODES)) {
        ERR(MCUSIM_E_MODEL_INFO, at, MCUSIM_SEC_CODES);
    }
    if (info->n_generated && !has_gen) {
        ERR(MCUSIM_E_MODEL_INFO, at, MCUSIM_SEC_GENERATOR);
    }
    if (!info->n_generated && has(r, MCUSIM_SEC_CODES)) {
        ERR(MCUSIM_E_MODEL_INFO, sec(r, MCUSIM_SEC_CODES)->offset, MCUSIM_SEC_CODES);
    }
    return MCUSIM_OK;
}

static mcusim_status_t tensors(reader_t *r)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const mcusim_section_t *s = sec(r, MCUSIM_SEC_TENSORS);
    const uint32_t n = m->info->n_tensors;
    if (s->length != 16u * n) {
        ERR(MCUSIM_E_TENSOR, s->offset, s->length);
    }
    m->tensors = (const mcusim_tensor_t *)(m->base + s->offset);
    for (uint32_t t = 0; t < n; t++) {
        const mcusim_tensor_t *x = tensor(r, t);
        const uint32_t at = tensor_at(r, t);
        if (x->dtype != MCUSIM_DT_INT8 && x->dtype != MCUSIM_DT_INT32) {
            ERR(MCUSIM_E_TENSOR, at, x->dtype);
        }
        if (x->reserved) {
            ERR(MCUSIM_E_TENSOR, at, x->reserved);
        }
        if (x->length < 1 || x->channels < 1) {
            ERR(MCUSIM_E_TENSOR, at, t);
        }
        if (nbytes64(x) > 0x7FFFFFFFu) {
            ERR(MCUSIM_E_TENSOR, at, t);
        }
        if (x->dtype == MCUSIM_DT_INT8 && !in_i8(x->zero_point)) {
            ERR(MCUSIM_E_TENSOR, at, (uint32_t)x->zero_point);
        }
        if (x->dtype == MCUSIM_DT_INT32 && x->zero_point != 0) {
            ERR(MCUSIM_E_TENSOR, at, (uint32_t)x->zero_point);
        }
        if (f32_bad(x->scale_bits, x->dtype == MCUSIM_DT_INT8)) {
            ERR(MCUSIM_E_TENSOR, at, x->scale_bits);
        }
    }
    if (m->info->n_classes != tensor(r, m->info->output_tensor)->channels) {
        ERR(MCUSIM_E_MODEL_INFO, sec(r, MCUSIM_SEC_MODEL_INFO)->offset, m->info->n_classes);
    }
    return MCUSIM_OK;
}

static mcusim_status_t layer_record(reader_t *r, uint32_t i)
{
    mcusim_error_t *err = r->err;
    const mcusim_model_t *m = r->m;
    const mcusim_layer_t *l = &m->layers[i];
    const uint32_t at = layer_at(r, i), n = m->info->n_tensors;
    if (name_bad((const uint8_t *)l->name, MCUSIM_NAME_LEN)) {
        ERR(MCUSIM_E_LAYER, at + 48u, i);
    }
    if (l->op < 1 || l->op > MCUSIM_OP_MAX) {
        ERR(MCUSIM_E_LAYER, at, l->op);
    }
    if (l->padding > MCUSIM_PAD_SAME) {
        ERR(MCUSIM_E_LAYER, at, l->padding);
    }
    if (l->act > MCUSIM_ACT_RELU6) {
        ERR(MCUSIM_E_LAYER, at, l->act);
    }
    if (l->reserved) {
        ERR(MCUSIM_E_LAYER, at, l->reserved);
    }
    if (l->flags & ~MCUSIM_LAYER_GENERATED) {
        ERR(MCUSIM_E_LAYER, at, l->flags);
    }
    if (l->flags & MCUSIM_LAYER_GENERATED) {
        if (l->op != MCUSIM_OP_PW_CONV) {
            ERR(MCUSIM_E_LAYER, at, l->op);
        }
        if (l->gen_index >= m->info->n_generated) {
            ERR(MCUSIM_E_LAYER, at, l->gen_index);
        }
    } else if (l->gen_index != MCUSIM_NONE16) {
        ERR(MCUSIM_E_LAYER, at, l->gen_index);
    }
    if (l->in0 >= n) {
        ERR(MCUSIM_E_LAYER, at, l->in0);
    }
    if (l->out >= n) {
        ERR(MCUSIM_E_LAYER, at, l->out);
    }
    if (l->op == MCUSIM_OP_ADD ? l->in1 >= n : l->in1 != MCUSIM_NONE16) {
        ERR(MCUSIM_E_LAYER, at, l->in1);
    }
    if (l->kernel < 1 || l->stride < 1 || l->dilation < 1) {
        ERR(MCUSIM_E_LAYER, at, 0);
    }
    if (l->act_min > l->act_max) {
        ERR(MCUSIM_E_LAYER, at, 0);
    }
    return MCUSIM_OK;
}

/* ======================================================================= */
/* validate.py check_graph                                                 */
/* ======================================================================= */
static int is_pool(uint32_t op) { return op == MCUSIM_OP_AVG_POOL || op == MCUSIM_OP_MAX_POOL; }

static mcusim_status_t layer_shape(reader_t *r, uint32_t i)
{
    mcusim_error_t *err = r->err;
    const mcusim_layer_t *l = &r->m->layers[i];
    const mcusim_tensor_t *src = tensor(r, l->in0), *dst = tensor(r, l->out);
    const uint32_t op = l->op, at = layer_at(r, i);
    if (op == MCUSIM_OP_ARGMAX && dst->dtype != MCUSIM_DT_INT32) {
        ERR(MCUSIM_E_GRAPH, at, 1);
    }
    if (op != MCUSIM_OP_ARGMAX && dst->dtype != MCUSIM_DT_INT8) {
        ERR(MCUSIM_E_GRAPH, at, 2);
    }
    if (op == MCUSIM_OP_PW_CONV && (l->kernel != 1 || l->stride != 1 || l->dilation != 1)) {
        ERR(MCUSIM_E_GRAPH, at, 3);
    }
    if (is_pool(op) && l->dilation != 1) {
        ERR(MCUSIM_E_GRAPH, at, 4);
    }
    if ((op == MCUSIM_OP_DW_CONV || is_pool(op) || op == MCUSIM_OP_GLOBAL_AVG_POOL)
        && dst->channels != src->channels) {
        ERR(MCUSIM_E_GRAPH, at, 5);
    }
    if (op == MCUSIM_OP_CONV || op == MCUSIM_OP_DW_CONV || op == MCUSIM_OP_PW_CONV || is_pool(op)) {
        const uint32_t want = conv_out_length(src->length, l->kernel, l->stride, l->dilation,
                                              l->padding);
        if (want < 1) {
            ERR(MCUSIM_E_GRAPH, at, 6);
        }
        if (dst->length != want) {
            ERR(MCUSIM_E_GRAPH, at, 7);
        }
    }
    if ((is_pool(op) || op == MCUSIM_OP_GLOBAL_AVG_POOL)
        && (src->scale_bits != dst->scale_bits || src->zero_point != dst->zero_point)) {
        ERR(MCUSIM_E_GRAPH, at, 8);
    }
    if (op == MCUSIM_OP_GLOBAL_AVG_POOL && dst->length != 1) {
        ERR(MCUSIM_E_GRAPH, at, 9);
    }
    if (op == MCUSIM_OP_FULLY_CONNECTED && dst->length != src->length) {
        ERR(MCUSIM_E_GRAPH, at, 10);
    }
    if (op == MCUSIM_OP_ADD) {
        const mcusim_tensor_t *b = tensor(r, l->in1);
        if (!(src->length == b->length && b->length == dst->length
              && src->channels == b->channels && b->channels == dst->channels)) {
            ERR(MCUSIM_E_GRAPH, at, 11);
        }
    }
    if (op == MCUSIM_OP_ARGMAX) {
        if (src->length != 1) {
            ERR(MCUSIM_E_GRAPH, at, 12);
        }
        if (dst->length != 1 || dst->channels != 1) {
            ERR(MCUSIM_E_GRAPH, at, 13);
        }
    }
    return MCUSIM_OK;
}

static mcusim_status_t graph(reader_t *r)
{
    mcusim_error_t *err = r->err;
    const mcusim_model_t *m = r->m;
    const uint32_t info_at = sec(r, MCUSIM_SEC_MODEL_INFO)->offset;
    uint32_t produced[MCUSIM_MAX_TENSORS / 32];
    for (uint32_t k = 0; k < MCUSIM_MAX_TENSORS / 32; k++) {
        produced[k] = 0;
    }
#define PRODUCED(t) ((produced[(t) >> 5] >> ((t) & 31u)) & 1u)
    if (tensor(r, m->info->input_tensor)->dtype != MCUSIM_DT_INT8) {
        ERR(MCUSIM_E_GRAPH, info_at, m->info->input_tensor);
    }
    if (tensor(r, m->info->output_tensor)->dtype != MCUSIM_DT_INT8) {
        ERR(MCUSIM_E_GRAPH, info_at, m->info->output_tensor);
    }
    if (tensor(r, m->info->class_tensor)->dtype != MCUSIM_DT_INT32) {
        ERR(MCUSIM_E_GRAPH, info_at, m->info->class_tensor);
    }
    produced[m->info->input_tensor >> 5] |= 1u << (m->info->input_tensor & 31u);
    for (uint32_t i = 0; i < m->info->n_layers; i++) {
        const mcusim_layer_t *l = &m->layers[i];
        const uint32_t at = layer_at(r, i);
        const uint32_t inputs[2] = {l->in0, l->in1};
        for (uint32_t k = 0; k < (l->op == MCUSIM_OP_ADD ? 2u : 1u); k++) {
            if (!PRODUCED(inputs[k])) {
                ERR(MCUSIM_E_GRAPH, at, inputs[k]);
            }
            if (tensor(r, inputs[k])->dtype != MCUSIM_DT_INT8) {
                ERR(MCUSIM_E_GRAPH, at, inputs[k]);
            }
        }
        if (PRODUCED(l->out)) {
            ERR(MCUSIM_E_GRAPH, at, l->out);
        }
        produced[l->out >> 5] |= 1u << (l->out & 31u);
        CHECK(layer_shape(r, i));
    }
    for (uint32_t t = 0; t < m->info->n_tensors; t++) {
        if (!PRODUCED(t)) {
            ERR(MCUSIM_E_GRAPH, tensor_at(r, t), t);
        }
    }
#undef PRODUCED
    return MCUSIM_OK;
}

/* ======================================================================= */
/* layer arrays, requantization                                            */
/* ======================================================================= */
static mcusim_status_t check_requant(reader_t *r, const int32_t *mult, const int8_t *shift,
                                     uint32_t n, uint32_t at)
{
    mcusim_error_t *err = r->err;
    for (uint32_t k = 0; k < n; k++) {
        if (mult[k] < 0) {
            ERR(MCUSIM_E_REQUANT, at, k);
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        if (shift[k] < MCUSIM_SHIFT_MIN || shift[k] > MCUSIM_SHIFT_MAX) {
            ERR(MCUSIM_E_REQUANT, at, k);
        }
    }
    return MCUSIM_OK;
}

static mcusim_status_t layer_arrays(reader_t *r, uint32_t i)
{
    mcusim_error_t *err = r->err;
    const mcusim_model_t *m = r->m;
    const mcusim_layer_t *l = &m->layers[i];
    const uint32_t at = layer_at(r, i);
    const uint64_t cin = tensor(r, l->in0)->channels, cout = tensor(r, l->out)->channels;
    const int generated = (l->flags & MCUSIM_LAYER_GENERATED) != 0;
    const uint32_t k0 = generated ? MCUSIM_SEC_CODES : MCUSIM_SEC_BACKBONE;
    const uint32_t k1 = generated ? MCUSIM_SEC_CODES : MCUSIM_SEC_PW1;
    uint64_t need = 0;
    int shaped = 1;
    if (l->n_q != expected_n_q(l->op, (uint32_t)cout)) {
        ERR(MCUSIM_E_LAYER, at, l->n_q);
    }
    switch (l->op) {
    case MCUSIM_OP_CONV: need = cout * l->kernel * cin; break;
    case MCUSIM_OP_DW_CONV: need = (uint64_t)l->kernel * cin; break;
    case MCUSIM_OP_PW_CONV:
    case MCUSIM_OP_FULLY_CONNECTED: need = cout * cin; break;
    default: shaped = 0; break;
    }
    const int stored = shaped && !generated;
    if (!stored && (l->w_off || l->w_len)) {
        ERR(MCUSIM_E_ARRAY, at, l->w_off);
    }
    uint32_t homes[4] = {0, 0, 0, 0};
    if (stored) {
        if (l->w_len != need) {
            ERR(MCUSIM_E_ARRAY, at, l->w_len);
        }
        CHECK(array(r, l->w_off, need, 1, k0, k1, 1, at));
        homes[0] = containing(r, l->w_off);
    }
    CHECK(array(r, l->b_off, shaped ? cout : 0, 4, k0, k1, 0, at));
    homes[1] = l->b_off ? containing(r, l->b_off) : 0;
    CHECK(array(r, l->mult_off, l->n_q, 4, k0, k1, 1, at));
    homes[2] = l->mult_off ? containing(r, l->mult_off) : 0;
    CHECK(array(r, l->shift_off, l->n_q, 1, k0, k1, 1, at));
    homes[3] = l->shift_off ? containing(r, l->shift_off) : 0;
    CHECK(array(r, l->wscale_off, shaped ? l->n_q : 0, 4, MCUSIM_SEC_SCALES, MCUSIM_SEC_SCALES, 0,
                at));
    uint32_t home = 0;
    for (uint32_t k = 0; k < 4; k++) {
        if (homes[k] && home && homes[k] != home) {
            ERR(MCUSIM_E_ARRAY, at, homes[k]);
        }
        home = homes[k] ? homes[k] : home;
    }
    if (l->n_q) {
        CHECK(check_requant(r, (const int32_t *)(m->base + l->mult_off),
                            (const int8_t *)(m->base + l->shift_off), l->n_q, at));
    }
    if (l->wscale_off) {
        const uint32_t *ws = (const uint32_t *)(m->base + l->wscale_off);
        for (uint32_t k = 0; k < l->n_q; k++) {
            if (f32_bad(ws[k], 0)) {
                ERR(MCUSIM_E_ARRAY, at, k);
            }
        }
    }
    return MCUSIM_OK;
}

/* ======================================================================= */
/* generator, heads, codes                                                 */
/* ======================================================================= */
static mcusim_status_t fc(reader_t *r, const mcusim_fc_desc_t *f, uint32_t at, uint32_t kind,
                          uint32_t code)
{
    mcusim_error_t *err = r->err;
    if (f->reserved) {
        ERR(code, at, f->reserved);
    }
    if (f->in_features < 1 || f->out_features < 1) {
        ERR(code, at, 0);
    }
    CHECK(array(r, f->w_off, (uint64_t)f->in_features * f->out_features, 1, kind, kind, 1, at));
    CHECK(array(r, f->b_off, f->out_features, 4, kind, kind, 1, at));
    CHECK(check_requant(r, &f->mult, &f->shift, 1, at));
    if (f->act_min > f->act_max) {
        ERR(code, at, 0);
    }
    if (!in_i8(f->in_zp) || !in_i8(f->out_zp)) {
        ERR(code, at, 0);
    }
    if (f32_bad(f->w_scale_bits, 0) || f32_bad(f->out_scale_bits, 0)) {
        ERR(code, at, 0);
    }
    return MCUSIM_OK;
}

static mcusim_status_t generator(reader_t *r)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const mcusim_section_t *s = sec(r, MCUSIM_SEC_GENERATOR);
    CHECK(headed(r, MCUSIM_SEC_GENERATOR, 20, 32, 6, 1, MCUSIM_MAX_FC, MCUSIM_E_GENERATOR));
    const mcusim_generator_header_t *g = (const mcusim_generator_header_t *)(m->base + s->offset);
    m->gen = g;
    m->gen_fc = (const mcusim_fc_desc_t *)(m->base + s->offset + 20u);
    if (g->reserved) {
        ERR(MCUSIM_E_GENERATOR, s->offset, g->reserved);
    }
    if (g->d_code < 1 || g->d_emb < 1 || g->n_emb_rows < 1) {
        ERR(MCUSIM_E_GENERATOR, s->offset, 0);
    }
    if (!in_i8(g->in_zp)) {
        ERR(MCUSIM_E_GENERATOR, s->offset, (uint32_t)g->in_zp);
    }
    if (f32_bad(g->in_scale_bits, 1)) {
        ERR(MCUSIM_E_GENERATOR, s->offset, g->in_scale_bits);
    }
    CHECK(array(r, g->emb_off, (uint64_t)g->n_emb_rows * g->d_emb, 1, MCUSIM_SEC_GENERATOR,
                MCUSIM_SEC_GENERATOR, 1, s->offset));
    for (uint32_t i = 0; i < g->n_fc; i++) {
        CHECK(fc(r, &m->gen_fc[i], s->offset + 20u + 32u * i, MCUSIM_SEC_GENERATOR,
                 MCUSIM_E_GENERATOR));
    }
    const mcusim_section_t *hs = sec(r, MCUSIM_SEC_HEADS);
    CHECK(headed(r, MCUSIM_SEC_HEADS, 4, 32, 0, 1, MCUSIM_MAX_LAYERS, MCUSIM_E_HEADS));
    const mcusim_heads_header_t *hh = (const mcusim_heads_header_t *)(m->base + hs->offset);
    m->heads = (const mcusim_fc_desc_t *)(m->base + hs->offset + 4u);
    m->n_heads = hh->n_heads;
    if (hh->reserved) {
        ERR(MCUSIM_E_HEADS, hs->offset, hh->reserved);
    }
    for (uint32_t h = 0; h < m->n_heads; h++) {
        CHECK(fc(r, &m->heads[h], hs->offset + 4u + 32u * h, MCUSIM_SEC_HEADS, MCUSIM_E_HEADS));
    }
    /* validate.py check_generator_chain */
    for (uint32_t i = 0; i < g->n_fc; i++) {
        const mcusim_fc_desc_t *f = &m->gen_fc[i];
        const uint32_t at = s->offset + 20u + 32u * i;
        const uint32_t want_in = i == 0 ? (uint32_t)g->d_code + g->d_emb
                                        : m->gen_fc[i - 1].out_features;
        const int32_t want_zp = i == 0 ? g->in_zp : m->gen_fc[i - 1].out_zp;
        if (f->in_features != want_in) {
            ERR(MCUSIM_E_GENERATOR, at, f->in_features);
        }
        if (f->in_zp != want_zp) {
            ERR(MCUSIM_E_GENERATOR, at, (uint32_t)f->in_zp);
        }
    }
    const mcusim_fc_desc_t *latent = &m->gen_fc[g->n_fc - 1];
    for (uint32_t h = 0; h < m->n_heads; h++) {
        const mcusim_fc_desc_t *f = &m->heads[h];
        const uint32_t at = hs->offset + 4u + 32u * h;
        if (f->in_features != latent->out_features) {
            ERR(MCUSIM_E_HEADS, at, f->in_features);
        }
        if (f->in_zp != latent->out_zp) {
            ERR(MCUSIM_E_HEADS, at, (uint32_t)f->in_zp);
        }
        if (f->out_zp != 0) {
            ERR(MCUSIM_E_HEADS, at, (uint32_t)f->out_zp);
        }
    }
    return MCUSIM_OK;
}

static mcusim_status_t codes(reader_t *r)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const mcusim_section_t *s = sec(r, MCUSIM_SEC_CODES);
    CHECK(headed(r, MCUSIM_SEC_CODES, 4, 8, 0, 1, MCUSIM_MAX_LAYERS, MCUSIM_E_CODES));
    const mcusim_codes_header_t *h = (const mcusim_codes_header_t *)(m->base + s->offset);
    m->codes = (const mcusim_code_entry_t *)(m->base + s->offset + 4u);
    if (h->n_generated != m->info->n_generated) {
        ERR(MCUSIM_E_CODES, s->offset, h->n_generated);
    }
    if (h->d_code != m->gen->d_code) {
        ERR(MCUSIM_E_CODES, s->offset, h->d_code);
    }
    for (uint32_t g = 0; g < h->n_generated; g++) {
        const mcusim_code_entry_t *e = &m->codes[g];
        const uint32_t at = s->offset + 4u + 8u * g;
        if (e->layer >= m->info->n_layers) {
            ERR(MCUSIM_E_CODES, at, e->layer);
        }
        if (e->head >= m->n_heads) {
            ERR(MCUSIM_E_CODES, at, e->head);
        }
        CHECK(array(r, e->code_off, h->d_code, 1, MCUSIM_SEC_CODES, MCUSIM_SEC_CODES, 1, at));
    }
    /* validate.py check_generated */
    for (uint32_t g = 0; g < h->n_generated; g++) {
        const mcusim_code_entry_t *e = &m->codes[g];
        const mcusim_layer_t *l = &m->layers[e->layer];
        const uint32_t at = s->offset + 4u + 8u * g;
        if (!(l->flags & MCUSIM_LAYER_GENERATED) || l->gen_index != g) {
            ERR(MCUSIM_E_CODES, at, e->layer);
        }
        if (m->heads[e->head].out_features != tensor(r, l->in0)->channels) {
            ERR(MCUSIM_E_CODES, at, e->head);
        }
        if (m->gen->n_emb_rows < tensor(r, l->out)->channels) {
            ERR(MCUSIM_E_CODES, at, m->gen->n_emb_rows);
        }
    }
    for (uint32_t i = 0; i < m->info->n_layers; i++) {
        const mcusim_layer_t *l = &m->layers[i];
        if ((l->flags & MCUSIM_LAYER_GENERATED) && m->codes[l->gen_index].layer != i) {
            ERR(MCUSIM_E_LAYER, layer_at(r, i), l->gen_index);
        }
    }
    return MCUSIM_OK;
}

/* ======================================================================= */
/* memory plans                                                            */
/* ======================================================================= */
static uint64_t kernel_size64(const reader_t *r, uint32_t g)
{
    const mcusim_layer_t *l = &r->m->layers[r->m->codes[g].layer];
    return (uint64_t)tensor(r, l->out)->channels * tensor(r, l->in0)->channels;
}

static mcusim_status_t plan_records(reader_t *r)
{
    mcusim_error_t *err = r->err;
    mcusim_model_t *m = r->m;
    const mcusim_section_t *s = sec(r, MCUSIM_SEC_PLAN);
    if (s->length >= sizeof(mcusim_plan_header_t) && rd16(m->base + s->offset) != MCUSIM_N_MODES) {
        ERR(MCUSIM_E_PLAN, s->offset, rd16(m->base + s->offset));
    }
    CHECK(headed(r, MCUSIM_SEC_PLAN, 8, 16, 0, MCUSIM_N_MODES, MCUSIM_N_MODES, MCUSIM_E_PLAN));
    const mcusim_plan_header_t *h = (const mcusim_plan_header_t *)(m->base + s->offset);
    if (h->reserved) {
        ERR(MCUSIM_E_PLAN, s->offset, h->reserved);
    }
    if (h->alignment != MCUSIM_ARENA_ALIGN) {
        ERR(MCUSIM_E_PLAN, s->offset, h->alignment);
    }
    m->plan_modes = (const mcusim_plan_mode_t *)(m->base + s->offset + 8u);
    const uint32_t limit = (uint32_t)m->info->n_tensors + m->info->n_generated + 2u;
    for (uint32_t mode = 0; mode < MCUSIM_N_MODES; mode++) {
        const mcusim_plan_mode_t *pm = &m->plan_modes[mode];
        const uint32_t at = s->offset + 8u + 16u * mode;
        if (pm->reserved0 || pm->reserved1) {
            ERR(MCUSIM_E_PLAN, at, mode);
        }
        if (pm->n_entries < 1 || pm->n_entries > limit) {
            ERR(MCUSIM_E_PLAN, at, pm->n_entries);
        }
        CHECK(array(r, pm->entries_off, (uint64_t)pm->n_entries * 16u, 1, MCUSIM_SEC_PLAN,
                    MCUSIM_SEC_PLAN, 1, at));
        const mcusim_plan_entry_t *e = mcusim_plan_entries(m, mode);
        for (uint32_t j = 0; j < pm->n_entries; j++) {
            const uint32_t e_at = pm->entries_off + 16u * j;
            if (e[j].kind > MCUSIM_PLAN_KIND_MAX) {
                ERR(MCUSIM_E_PLAN, e_at, e[j].kind);
            }
            if (e[j].reserved) {
                ERR(MCUSIM_E_PLAN, e_at, e[j].reserved);
            }
            if (!(e[j].first <= e[j].last && e[j].last <= m->info->n_layers)) {
                ERR(MCUSIM_E_PLAN, e_at, e[j].last);
            }
            if (e[j].offset % MCUSIM_ARENA_ALIGN) {
                ERR(MCUSIM_E_PLAN, e_at, e[j].offset);
            }
        }
    }
    return MCUSIM_OK;
}

/* validate.py check_plan */
static mcusim_status_t plan_check(reader_t *r, uint32_t mode)
{
    mcusim_error_t *err = r->err;
    const mcusim_model_t *m = r->m;
    const mcusim_plan_mode_t *pm = &m->plan_modes[mode];
    const mcusim_plan_entry_t *e = mcusim_plan_entries(m, mode);
    const uint32_t n = pm->n_entries, n_gen = m->info->n_generated;
    const uint32_t mode_at = sec(r, MCUSIM_SEC_PLAN)->offset + 8u + 16u * mode;
    uint32_t step_lo = 0xFFFFFFFFu, step_hi = 0;
    uint64_t largest = 0;
    for (uint32_t g = 0; g < n_gen; g++) {
        const uint32_t step = 1u + m->codes[g].layer;
        step_lo = step < step_lo ? step : step_lo;
        step_hi = step > step_hi ? step : step_hi;
        largest = kernel_size64(r, g) > largest ? kernel_size64(r, g) : largest;
    }
    for (uint32_t j = 0; j < n; j++) {
        const uint32_t at = pm->entries_off + 16u * j;
        const mcusim_plan_entry_t *x = &e[j];
        uint64_t need;
        uint32_t lo, hi;
        for (uint32_t k = 0; k < j; k++) {
            if (e[k].kind == x->kind && e[k].ref == x->ref) {
                ERR(MCUSIM_E_PLAN, at, j);
            }
        }
        if (x->kind == MCUSIM_PLAN_ACTIVATION) {
            if (x->ref >= m->info->n_tensors) {
                ERR(MCUSIM_E_PLAN, at, x->ref);
            }
            need = nbytes64(tensor(r, x->ref));
            mcusim_tensor_lifetime(m, x->ref, &lo, &hi);
        } else if (x->kind == MCUSIM_PLAN_KERNEL_CACHE) {
            if (mode != MCUSIM_MODE_BOOT) {
                ERR(MCUSIM_E_PLAN, at, x->kind);
            }
            if (x->ref >= n_gen) {
                ERR(MCUSIM_E_PLAN, at, x->ref);
            }
            need = kernel_size64(r, x->ref);
            lo = 0;
            hi = m->info->n_layers; /* read by every window: outlives the last layer */
        } else {
            if (x->kind == MCUSIM_PLAN_KERNEL_SCRATCH && mode != MCUSIM_MODE_LAZY) {
                ERR(MCUSIM_E_PLAN, at, x->kind);
            }
            if (x->ref != 0) {
                ERR(MCUSIM_E_PLAN, at, x->ref);
            }
            if (!n_gen) {
                ERR(MCUSIM_E_PLAN, at, x->kind);
            }
            need = x->kind == MCUSIM_PLAN_KERNEL_SCRATCH ? largest
                                                         : mcusim_synth_workspace_size(m);
            lo = mode == MCUSIM_MODE_BOOT ? 0 : step_lo;
            hi = mode == MCUSIM_MODE_BOOT ? 0 : step_hi;
        }
        if (x->kind == MCUSIM_PLAN_ACTIVATION && x->size != need) {
            ERR(MCUSIM_E_PLAN, at, x->size);
        }
        if (x->size < need) {
            ERR(MCUSIM_E_PLAN, at, x->size);
        }
        if (x->first > lo || x->last < hi) {
            ERR(MCUSIM_E_PLAN, at, x->first);
        }
    }
    /* a buffer for everything the mode needs */
    for (uint32_t t = 0; t < m->info->n_tensors; t++) {
        if (!mcusim_plan_find(m, mode, MCUSIM_PLAN_ACTIVATION, t)) {
            ERR(MCUSIM_E_PLAN, mode_at, t);
        }
    }
    if (n_gen && mode == MCUSIM_MODE_BOOT) {
        for (uint32_t g = 0; g < n_gen; g++) {
            if (!mcusim_plan_find(m, mode, MCUSIM_PLAN_KERNEL_CACHE, g)) {
                ERR(MCUSIM_E_PLAN, mode_at, g);
            }
        }
    }
    if (n_gen && mode == MCUSIM_MODE_LAZY
        && !mcusim_plan_find(m, mode, MCUSIM_PLAN_KERNEL_SCRATCH, 0)) {
        ERR(MCUSIM_E_PLAN, mode_at, MCUSIM_PLAN_KERNEL_SCRATCH);
    }
    if (n_gen && !mcusim_plan_find(m, mode, MCUSIM_PLAN_SYNTH_WORKSPACE, 0)) {
        ERR(MCUSIM_E_PLAN, mode_at, MCUSIM_PLAN_SYNTH_WORKSPACE);
    }
    /* plan.py plan_conflicts: past the arena, or overlapping while both live */
    for (uint32_t i = 0; i < n; i++) {
        const mcusim_plan_entry_t *a = &e[i];
        if ((uint64_t)a->offset + a->size > pm->arena_size) {
            ERR(MCUSIM_E_PLAN_CONFLICT, mode_at, i);
        }
        for (uint32_t j = i + 1; j < n; j++) {
            const mcusim_plan_entry_t *b = &e[j];
            if (a->size && b->size && a->first <= b->last && b->first <= a->last
                && (uint64_t)a->offset < (uint64_t)b->offset + b->size
                && (uint64_t)b->offset < (uint64_t)a->offset + a->size) {
                ERR(MCUSIM_E_PLAN_CONFLICT, mode_at, (i << 16) | j);
            }
        }
    }
    return MCUSIM_OK;
}

/* ======================================================================= */
mcusim_status_t mcusim_model_open(mcusim_model_t *m, const uint8_t *base, uint32_t capacity,
                                  uint32_t length_written, mcusim_error_t *err)
{
    reader_t r;
    uint8_t *raw = (uint8_t *)m;
    for (uint32_t k = 0; k < sizeof(*m); k++) {
        raw[k] = 0;
    }
    err->code = MCUSIM_OK;
    err->detail = 0;
    err->aux = 0;
    if (((uintptr_t)base & 15u) != 0) {
        ERR(MCUSIM_E_MODEL_ADDR, (uint32_t)(uintptr_t)base, capacity);
    }
    m->base = base;
    r.m = m;
    r.err = err;
    r.count = 0;
    r.n = 0;
    CHECK(container(&r, capacity, length_written));
    CHECK(model_info(&r));
    CHECK(tensors(&r));
    const mcusim_section_t *ls = sec(&r, MCUSIM_SEC_LAYERS);
    if (ls->length != 64u * m->info->n_layers) {
        ERR(MCUSIM_E_LAYER, ls->offset, ls->length);
    }
    m->layers = (const mcusim_layer_t *)(base + ls->offset);
    for (uint32_t i = 0; i < m->info->n_layers; i++) {
        CHECK(layer_record(&r, i));
    }
    CHECK(graph(&r));
    for (uint32_t i = 0; i < m->info->n_layers; i++) {
        CHECK(layer_arrays(&r, i));
    }
    if (has(&r, MCUSIM_SEC_GENERATOR)) {
        CHECK(generator(&r));
    }
    if (m->info->n_generated) {
        CHECK(codes(&r));
    }
    CHECK(plan_records(&r));
    for (uint32_t mode = 0; mode < MCUSIM_N_MODES; mode++) {
        CHECK(plan_check(&r, mode));
    }
    return MCUSIM_OK;
}
