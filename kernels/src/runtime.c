/*
 * runtime.c - the layer loop (mirrors the interpreter): validate once, then
 * run blind.
 *
 * init:   validate model.bin in place, take the plan of the mode, check that
 *         its arena fits and that the I/O buffers hold n_windows windows;
 * boot:   synthesize every generated kernel into its KERNEL_CACHE buffer;
 * window: copy the input window into the planned input tensor, run each layer
 *         on the planned buffers (lazy: synthesize a generated layer's kernel
 *         into the KERNEL_SCRATCH buffer just before it), copy the output
 *         tensor and the class index out.
 * Every phase is bracketed by trace markers; every failure ends in a status
 * code (mailbox) and a status record (trace), never a fault.
 */
#include <string.h>

#include "mcusim_kernels.h"
#include "mcusim_runtime.h"
#include "mcusim_synth.h"
#include "mcusim_trace.h"

static uint32_t fail(mcusim_result_t *res, uint32_t code, uint32_t detail, uint32_t aux)
{
    res->status = code;
    res->detail = detail;
    res->aux = aux;
    mcusim_trace_status(code, detail, aux);
    return code;
}

static uint8_t *buffer(const mcusim_model_t *m, uint32_t mode, uint8_t *arena, uint32_t kind,
                       uint32_t ref)
{
    return arena + mcusim_plan_find(m, mode, kind, ref)->offset;
}

static const void *arr(const mcusim_model_t *m, uint32_t off)
{
    return mcusim_at(m, off);
}

static void run_layer(const mcusim_model_t *m, uint32_t mode, uint8_t *arena, uint32_t i,
                      const int8_t *generated_kernel)
{
    const mcusim_layer_t *l = &m->layers[i];
    const mcusim_tensor_t *src = &m->tensors[l->in0], *dst = &m->tensors[l->out];
    const int8_t *x = (const int8_t *)buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, l->in0);
    int8_t *y = (int8_t *)buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, l->out);
    const int8_t *w = generated_kernel ? generated_kernel : (const int8_t *)arr(m, l->w_off);
    const int32_t *bias = (const int32_t *)arr(m, l->b_off);
    const int32_t *mult = (const int32_t *)arr(m, l->mult_off);
    const int8_t *shift = (const int8_t *)arr(m, l->shift_off);
    const int32_t same = l->padding == MCUSIM_PAD_SAME;
    const int32_t in_zp = src->zero_point, out_zp = dst->zero_point;
    switch (l->op) {
    case MCUSIM_OP_CONV:
        mcusim_conv_s8(x, src->length, src->channels, w, dst->channels, l->kernel, l->stride,
                       l->dilation, same, bias, mult, shift, in_zp, out_zp, l->act_min,
                       l->act_max, y);
        break;
    case MCUSIM_OP_DW_CONV:
        mcusim_dw_conv_s8(x, src->length, src->channels, w, l->kernel, l->stride, l->dilation,
                          same, bias, mult, shift, in_zp, out_zp, l->act_min, l->act_max, y);
        break;
    case MCUSIM_OP_PW_CONV:
        if (l->stride == 1) {
            mcusim_pw_conv_s8(x, src->length, src->channels, w, dst->channels, bias, mult, shift,
                              in_zp, out_zp, l->act_min, l->act_max, y);
        } else {
            /* A strided 1x1 convolution (CONV_2D semantics, fits the output tensor). */
            mcusim_conv_s8(x, src->length, src->channels, w, dst->channels, 1, l->stride, 1,
                           same, bias, mult, shift, in_zp, out_zp, l->act_min, l->act_max, y);
        }
        break;
    case MCUSIM_OP_FULLY_CONNECTED:
        mcusim_fully_connected_s8(x, src->length, src->channels, w, dst->channels, bias, mult[0],
                                  shift[0], in_zp, out_zp, l->act_min, l->act_max, y);
        break;
    case MCUSIM_OP_AVG_POOL:
        mcusim_avg_pool_s8(x, src->length, src->channels, l->kernel, l->stride, same, l->act_min,
                           l->act_max, y);
        break;
    case MCUSIM_OP_MAX_POOL:
        mcusim_max_pool_s8(x, src->length, src->channels, l->kernel, l->stride, same, l->act_min,
                           l->act_max, y);
        break;
    case MCUSIM_OP_GLOBAL_AVG_POOL:
        mcusim_global_avg_pool_s8(x, src->length, src->channels, l->act_min, l->act_max, y);
        break;
    case MCUSIM_OP_ADD: {
        const mcusim_tensor_t *b = &m->tensors[l->in1];
        const int8_t *xb = (const int8_t *)buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, l->in1);
        mcusim_add_s8(x, xb, (int32_t)(dst->length * dst->channels), in_zp, mult[0], shift[0],
                      b->zero_point, mult[1], shift[1], out_zp, mult[2], shift[2], l->act_min,
                      l->act_max, y);
        break;
    }
    case MCUSIM_OP_ARGMAX: {
        const int32_t best = mcusim_argmax_s8(x, (int32_t)src->channels);
        memcpy(y, &best, sizeof(best));
        break;
    }
    default:
        break;  /* unreachable: the reader accepts only known ops */
    }
}

static void synthesize(const mcusim_model_t *m, uint32_t mode, uint8_t *arena, uint32_t g,
                       uint8_t *kernel, mcusim_phase_t phase)
{
    const uint32_t layer = m->codes[g].layer;
    mcusim_trace_phase(MCUSIM_EDGE_BEGIN, phase, g, layer);
    mcusim_synth_layer(m, g, (int8_t *)kernel,
                       buffer(m, mode, arena, MCUSIM_PLAN_SYNTH_WORKSPACE, 0));
    mcusim_trace_phase(MCUSIM_EDGE_END, phase, g, layer);
}

static uint32_t align4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

static void run(const mcusim_job_t *job, mcusim_result_t *res, mcusim_model_t *m)
{
    mcusim_error_t err;
    const uint32_t mode = job->mode;

    mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_INIT, 0, 0);
    if (mode >= MCUSIM_N_MODES) {
        fail(res, MCUSIM_E_MODE, mode, 0);
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INIT, 0, 0);
        return;
    }
    if (mcusim_model_open(m, job->model, job->model_capacity, job->model_size, &err)
        != MCUSIM_OK) {
        fail(res, err.code, err.detail, err.aux);
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INIT, 0, 0);
        return;
    }
    const uint32_t arena_size = m->plan_modes[mode].arena_size;
    res->arena_used = arena_size;
    const mcusim_tensor_t *in_t = &m->tensors[m->info->input_tensor];
    const mcusim_tensor_t *out_t = &m->tensors[m->info->output_tensor];
    const mcusim_tensor_t *cls_t = &m->tensors[m->info->class_tensor];
    const uint32_t in_size = mcusim_tensor_nbytes(in_t);
    const uint32_t out_size = mcusim_tensor_nbytes(out_t);
    const uint32_t record = align4(out_size) + mcusim_tensor_nbytes(cls_t);
    res->out_record_size = record;
    if (arena_size > job->arena_capacity) {
        fail(res, MCUSIM_E_ARENA, arena_size, job->arena_capacity);
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INIT, 0, 0);
        return;
    }
    const uint32_t fit_in = job->in ? job->in_capacity / in_size : 0;
    const uint32_t fit_out = job->out ? job->out_capacity / record : 0;
    if (job->n_windows > fit_in || job->n_windows > fit_out) {
        fail(res, MCUSIM_E_WINDOWS, job->n_windows, fit_in < fit_out ? fit_in : fit_out);
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INIT, 0, 0);
        return;
    }
    mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INIT, 0, 0);

    uint8_t *arena = job->arena;
    const uint32_t n_gen = m->info->n_generated;
    if (mode == MCUSIM_MODE_BOOT && n_gen) {
        mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_BOOT_SYNTH, 0, 0);
        for (uint32_t g = 0; g < n_gen; g++) {
            synthesize(m, mode, arena, g, buffer(m, mode, arena, MCUSIM_PLAN_KERNEL_CACHE, g),
                       MCUSIM_PHASE_SYNTH_BOOT);
            res->synthesized++;
        }
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_BOOT_SYNTH, 0, 0);
    }

    uint8_t *in_buf = buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, m->info->input_tensor);
    for (uint32_t w = 0; w < job->n_windows; w++) {
        mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_INFERENCE, 0, w);
        memcpy(in_buf, job->in + (size_t)w * in_size, in_size);
        for (uint32_t i = 0; i < m->info->n_layers; i++) {
            const mcusim_layer_t *l = &m->layers[i];
            const int8_t *kernel = 0;
            if (l->flags & MCUSIM_LAYER_GENERATED) {
                const uint32_t g = l->gen_index;
                if (mode == MCUSIM_MODE_BOOT) {
                    kernel = (const int8_t *)buffer(m, mode, arena, MCUSIM_PLAN_KERNEL_CACHE, g);
                } else {
                    uint8_t *scratch = buffer(m, mode, arena, MCUSIM_PLAN_KERNEL_SCRATCH, 0);
                    synthesize(m, mode, arena, g, scratch, MCUSIM_PHASE_SYNTH_LAZY);
                    res->synthesized++;
                    kernel = (const int8_t *)scratch;
                }
            }
            mcusim_trace_phase(MCUSIM_EDGE_BEGIN, MCUSIM_PHASE_LAYER, l->op, i);
            run_layer(m, mode, arena, i, kernel);
            mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_LAYER, l->op, i);
        }
        uint8_t *rec = job->out + (size_t)w * record;
        const uint8_t *cls = buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, m->info->class_tensor);
        memcpy(rec, buffer(m, mode, arena, MCUSIM_PLAN_ACTIVATION, m->info->output_tensor),
               out_size);
        memset(rec + out_size, 0, align4(out_size) - out_size);
        memcpy(rec + align4(out_size), cls, mcusim_tensor_nbytes(cls_t));
        if (cls_t->dtype == MCUSIM_DT_INT32) {
            memcpy(&res->last_class, cls, 4);
        } else {
            res->last_class = (uint32_t)(int32_t)(int8_t)cls[0];
        }
        res->windows_done = w + 1;
        mcusim_trace_phase(MCUSIM_EDGE_END, MCUSIM_PHASE_INFERENCE, 0, w);
    }
    res->status = MCUSIM_OK;
    mcusim_trace_status(MCUSIM_OK, res->windows_done, res->synthesized);
}

void mcusim_run(const mcusim_job_t *job, mcusim_result_t *res)
{
    static mcusim_model_t model;    /* the validated view: pointers into flash */
    memset(res, 0, sizeof(*res));
    run(job, res, &model);
}

/* ---- mailbox ---------------------------------------------------------- */
static int overlaps(uintptr_t a, uint32_t a_len, uintptr_t b, uintptr_t b_end)
{
    return a_len && a < b_end && b < a + a_len;
}

uint32_t mcusim_serve_mailbox(mcusim_mailbox_t *mb, const mcusim_platform_t *p)
{
    mcusim_result_t res;
    mcusim_job_t job;
    memset(&res, 0, sizeof(res));
    mb->status = MCUSIM_RUNNING;
    mb->done = 0;
    mb->windows_done = 0;
    mb->synthesized = 0;
    /* A host-provided arena (what-if runs) replaces the linker's. */
    const int own_arena = mb->arena_addr != 0 || mb->arena_size != 0;
    const uintptr_t arena = own_arena ? p->addr_base + mb->arena_addr : (uintptr_t)p->arena;
    const uint32_t arena_size = own_arena ? mb->arena_size : p->arena_size;
    mb->arena_capacity = arena_size;
    if (mb->magic != MCUSIM_MAILBOX_MAGIC || mb->version != MCUSIM_MAILBOX_VERSION) {
        fail(&res, MCUSIM_E_MAILBOX, mb->magic, mb->version);
    } else {
        const uintptr_t part = (uintptr_t)p->model_partition;
        const uintptr_t model = mb->model_addr ? p->addr_base + mb->model_addr : part;
        const uintptr_t in = p->addr_base + mb->in_addr, out = p->addr_base + mb->out_addr;
        if (model < part || model >= part + p->model_partition_size) {
            fail(&res, MCUSIM_E_MODEL_ADDR, mb->model_addr, mb->model_size);
        } else if (own_arena
                   && (!mb->arena_addr || !mb->arena_size || (mb->arena_addr & 15u)
                       || overlaps(arena, arena_size, p->sram_start, p->sram_end)
                       || overlaps(arena, arena_size, part, part + p->model_partition_size)
                       || overlaps(arena, arena_size, in, in + mb->in_capacity))) {
            fail(&res, MCUSIM_E_BUFFER, mb->arena_addr, mb->arena_size);
        } else if (mb->n_windows && (!mb->in_addr || !mb->out_addr)) {
            fail(&res, MCUSIM_E_BUFFER, mb->in_addr ? mb->out_addr : mb->in_addr, 0);
        } else if (overlaps(in, mb->in_capacity, p->sram_start, p->sram_end)
                   || overlaps(in, mb->in_capacity, part, part + p->model_partition_size)) {
            fail(&res, MCUSIM_E_BUFFER, mb->in_addr, mb->in_capacity);
        } else if (overlaps(out, mb->out_capacity, p->sram_start, p->sram_end)
                   || overlaps(out, mb->out_capacity, part, part + p->model_partition_size)
                   || overlaps(out, mb->out_capacity, in, in + mb->in_capacity)
                   || overlaps(out, mb->out_capacity, arena, arena + arena_size)) {
            fail(&res, MCUSIM_E_BUFFER, mb->out_addr, mb->out_capacity);
        } else {
            job.model = (const uint8_t *)model;
            job.model_capacity = (uint32_t)(part + p->model_partition_size - model);
            job.model_size = mb->model_size;
            job.mode = mb->mode;
            job.n_windows = mb->n_windows;
            job.in = mb->in_addr ? (const int8_t *)in : 0;
            job.in_capacity = mb->in_capacity;
            job.out = mb->out_addr ? (uint8_t *)out : 0;
            job.out_capacity = mb->out_capacity;
            job.arena = (uint8_t *)arena;
            job.arena_capacity = arena_size;
            mcusim_run(&job, &res);
        }
    }
    mb->status = res.status;
    mb->detail = res.detail;
    mb->aux = res.aux;
    mb->windows_done = res.windows_done;
    mb->synthesized = res.synthesized;
    mb->out_record_size = res.out_record_size;
    mb->arena_used = res.arena_used;
    mb->last_class = res.last_class;
    return res.status;
}
