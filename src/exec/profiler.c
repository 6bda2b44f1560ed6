/* vkg_profiler: the executor's per-pass GPU timings (timings.c) gathered over executions:
 * per pass the count, mean, minimum and maximum, and optionally a Chrome trace streamed to
 * a FILE as executions are added (one CPU track with the vkg_execute calls, one GPU track
 * per plan queue with the passes), so a frame loop of any length needs no buffering.
 * `vkgraph run --timings/--trace` and `vkgraph demo` use it. */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct vkg__pass_acc {
    uint32_t n;
    double sum, min, max;
} vkg__pass_acc;

struct vkg_profiler {
    vkg__host host;
    FILE *trace;
    bool trace_failed, finished;
    const vkg_plan *last_plan; /* its queue tracks are named in the trace */
    uint64_t last_serial;
    uint64_t executions;
    bool have_t0;
    uint64_t gpu_t0_ns; /* the first execution's earliest timestamp */
    double cpu_t0_us;
    vkg__pass_acc *acc;
    vkg_pass_timing *scratch;
    uint32_t pass_cap;
};

vkg_result vkg_profiler_create(vkg_device *device, const vkg_profiler_desc *desc, vkg_profiler **out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    vkg_profiler *p = vkg__calloc(&device->host, 1, sizeof *p);
    if (!p) return VKG__OOM(&device->host, "a profiler");
    p->host = device->host;
    p->trace = desc ? desc->trace : NULL;
    if (p->trace) {
        fprintf(p->trace, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n");
        fprintf(p->trace, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"CPU\"}},\n");
        fprintf(p->trace, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": ");
        char gpu[300];
        snprintf(gpu, sizeof gpu, "GPU (%s)", device->caps.device_name);
        vkg__json_string(p->trace, gpu);
        fprintf(p->trace, "}}");
    }
    *out = p;
    return VKG_SUCCESS;
}

/* Room for a plan's passes: statistics kept, new passes start empty. */
static vkg_result vkg__profiler_fit(vkg_profiler *p, uint32_t passes)
{
    if (passes <= p->pass_cap) return VKG_SUCCESS;
    uint32_t cap = p->pass_cap, cap2 = p->pass_cap;
    if (!vkg__grow(&p->host, (void **)&p->acc, &cap, passes, sizeof *p->acc) ||
        !vkg__grow(&p->host, (void **)&p->scratch, &cap2, passes, sizeof *p->scratch))
        return VKG__OOM(&p->host, "the profiler's pass table");
    memset(p->acc + p->pass_cap, 0, (size_t)(VKG__MIN(cap, cap2) - p->pass_cap) * sizeof *p->acc);
    p->pass_cap = VKG__MIN(cap, cap2);
    return VKG_SUCCESS;
}

/* The trace's GPU time 0: the earliest timestamp of the first execution that has one. */
static void vkg__gpu_origin(vkg_profiler *p, uint32_t passes)
{
    for (uint32_t k = 0; k < passes; k++) {
        const vkg_pass_timing *t = &p->scratch[k];
        if (t->valid && (!p->have_t0 || t->begin_ns < p->gpu_t0_ns)) {
            p->gpu_t0_ns = t->begin_ns;
            p->have_t0 = true;
        }
    }
}

/* The trace's tracks of a plan's queues, named once per plan. */
static void vkg__trace_queues(vkg_profiler *p, const vkg_plan_info *in)
{
    for (uint32_t q = 0; q < in->queue_count; q++) {
        char name[96];
        snprintf(name, sizeof name, "%s queue (family %u)", vkg_queue_role_name(in->queues[q].role),
                 in->queues[q].family);
        fprintf(p->trace, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %u, \"args\": {\"name\": ", q);
        vkg__json_string(p->trace, name);
        fprintf(p->trace, "}}");
    }
}

static void vkg__trace_execution(vkg_profiler *p, const vkg_plan_info *in, double cpu_begin_us, double cpu_us)
{
    uint64_t frame = p->executions;
    fprintf(p->trace, ",\n{\"name\": \"vkg_execute %" PRIu64 "\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, "
                      "\"ts\": %.3f, \"dur\": %.3f, \"args\": {\"plan\": ",
            frame, cpu_begin_us - p->cpu_t0_us, cpu_us);
    vkg__json_string(p->trace, in->name);
    fprintf(p->trace, "}}");
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_pass_timing *t = &p->scratch[k];
        if (!t->valid) continue;
        fprintf(p->trace, ",\n{\"name\": ");
        vkg__json_string(p->trace, in->passes[k].name);
        fprintf(p->trace, ", \"cat\": \"pass\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, \"ts\": %.3f, "
                          "\"dur\": %.3f, \"args\": {\"execution\": %" PRIu64 ", \"pass\": %u}}",
                in->passes[k].queue, (double)(int64_t)(t->begin_ns - p->gpu_t0_ns) / 1000.0,
                (double)(t->end_ns - t->begin_ns) / 1000.0, frame, k);
    }
}

vkg_result vkg_profiler_add(vkg_profiler *p, vkg_executor *ex, const vkg_plan *plan, vkg_ticket ticket,
                            double cpu_begin_us, double cpu_us)
{
    if (!p || !ex || !plan) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&p->host, !p->finished, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_profiler_add(\"%s\"): the profiler's trace is already finished", plan->info.name);
    const vkg_plan_info *in = &plan->info;
    vkg_result r = vkg__profiler_fit(p, in->pass_count);
    if (r == VKG_SUCCESS) r = vkg_executor_pass_timings(ex, plan, ticket, p->scratch, in->pass_count);
    if (r != VKG_SUCCESS) return r;
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_pass_timing *t = &p->scratch[k];
        if (!t->valid) continue;
        double us = (double)(t->end_ns - t->begin_ns) / 1000.0;
        vkg__pass_acc *a = &p->acc[k];
        if (!a->n || us < a->min) a->min = us;
        if (!a->n || us > a->max) a->max = us;
        a->sum += us;
        a->n++;
    }
    if (!p->executions) p->cpu_t0_us = cpu_begin_us;
    if (!p->have_t0) vkg__gpu_origin(p, in->pass_count);
    if (p->trace) {
        if (plan != p->last_plan || plan->serial != p->last_serial) vkg__trace_queues(p, in);
        vkg__trace_execution(p, in, cpu_begin_us, cpu_us);
        if (ferror(p->trace)) p->trace_failed = true;
    }
    p->last_plan = plan;
    p->last_serial = plan->serial;
    p->executions++;
    return VKG_SUCCESS;
}

void vkg_profiler_pass_time(const vkg_profiler *p, uint32_t pass, vkg_pass_time *out)
{
    if (!out) return;
    *out = (vkg_pass_time){0};
    if (!p || pass >= p->pass_cap || !p->acc[pass].n) return;
    const vkg__pass_acc *a = &p->acc[pass];
    *out = (vkg_pass_time){.samples = a->n, .mean_us = a->sum / a->n, .min_us = a->min, .max_us = a->max};
}

uint64_t vkg_profiler_execution_count(const vkg_profiler *p)
{
    return p ? p->executions : 0;
}

vkg_result vkg_profiler_finish(vkg_profiler *p)
{
    if (!p) return VKG_ERROR_INVALID_ARGUMENT;
    if (p->trace && !p->finished) {
        fprintf(p->trace, "\n]}\n");
        if (fflush(p->trace) != 0 || ferror(p->trace)) p->trace_failed = true;
    }
    p->finished = true;
    if (p->trace_failed) {
        VKG__ERROR(&p->host, "vkg_profiler_finish: writing the trace failed (disk full?)");
        return VKG_ERROR_IO;
    }
    return VKG_SUCCESS;
}

void vkg_profiler_destroy(vkg_profiler *p)
{
    if (!p) return;
    if (!p->finished) {
        vkg_result r = vkg_profiler_finish(p); /* logged there; nobody to return it to */
        (void)r;
    }
    vkg__free(&p->host, p->acc);
    vkg__free(&p->host, p->scratch);
    vkg__free(&p->host, p);
}
