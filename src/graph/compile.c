/* The graph compiler: validate, cull, track state per buffer range and per image mip x
 * layer, derive synchronization2 barriers, queue-family ownership transfers, timeline
 * semaphore waits and split barriers, and place transient resources into aliased heaps.
 *
 * Pure: reads the graph and a vkg_caps; all working memory comes from the graph's scratch
 * arena (reset per compile) and the plan's arena (reused by in-place recompiles), so a
 * steady stream of compiles allocates nothing.
 *
 *
 * Phases, one file each: validate.c (rules and culling), the order (here), place.c (memory
 * requirements and aliasing), sync.c (barriers, transfers, waits), assemble.c (the plan).
 */
#include "compile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


/* ------------------------------------------------------------------------------------------
 * Usage flags a transient needs for its accesses
 * ---------------------------------------------------------------------------------------- */
static const struct {
    VkAccessFlags2 access;
    VkImageUsageFlags image;
    VkBufferUsageFlags buffer;
} vkg__usage_of[] = {
    {VK_ACCESS_2_INDIRECT_COMMAND_READ_BIT, 0, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT},
    {VK_ACCESS_2_INDEX_READ_BIT, 0, VK_BUFFER_USAGE_INDEX_BUFFER_BIT},
    {VK_ACCESS_2_VERTEX_ATTRIBUTE_READ_BIT, 0, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT},
    {VK_ACCESS_2_UNIFORM_READ_BIT, 0, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT},
    {VK_ACCESS_2_SHADER_SAMPLED_READ_BIT, VK_IMAGE_USAGE_SAMPLED_BIT,
     VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT},
    {VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
     VK_IMAGE_USAGE_STORAGE_BIT, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT},
    {VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
     VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, 0},
    {VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
     VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, 0},
    {VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
     VK_BUFFER_USAGE_TRANSFER_SRC_BIT},
    {VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_IMAGE_USAGE_TRANSFER_DST_BIT,
     VK_BUFFER_USAGE_TRANSFER_DST_BIT},
    /* the acceleration-structure rows (compiled only where the device has them) */
    {VK_ACCESS_2_SHADER_READ_BIT, 0, VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_BUILD_INPUT_READ_ONLY_BIT_KHR},
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR, 0,
     VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR},
    /* written by builds: the structure's storage or the build's scratch */
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR, 0,
     VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT},
};

/* ------------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------------- */
vkg_result vkg_compile(vkg_graph *graph, const vkg_caps *caps, vkg_plan **plan)
{
    return vkg_compile_ex(graph, &(vkg_compile_desc){.caps = caps}, plan);
}

void vkg_plan_destroy(vkg_plan *plan)
{
    if (!plan) return;
    vkg__host host = plan->host;
    vkg__arena_destroy(&plan->arena);
    vkg__free(&host, plan);
}

void vkg_plan_get_info(const vkg_plan *plan, vkg_plan_info *out)
{
    if (!out) return;
    if (!plan) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = plan->info;
}

const char *vkg_compile_phase_name(vkg_compile_phase phase)
{
    static const char *const names[VKG_COMPILE_PHASE_COUNT] = {"validate", "cull",  "order",
                                                               "place",    "sync",  "assemble"};
    return (unsigned)phase < VKG_COMPILE_PHASE_COUNT ? names[phase] : NULL;
}

static vkg_result vkg__validate(vkg__ctx *c)
{
    vkg_result r = vkg__map_queues(c);
    if (r == VKG_SUCCESS) r = vkg__validate_formats(c);
    if (r == VKG_SUCCESS) r = vkg__validate_limits(c);
    if (r == VKG_SUCCESS) r = vkg__validate_reads(c);
    return r;
}

/* Working state per live pass and per resource: one block for every image subresource, one
 * segment per buffer to start with. */
static vkg_result vkg__workspace(vkg__ctx *c, const uint8_t *live)
{
    vkg_graph *g = c->g;
    uint32_t n = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) n += live[p];
    c->n = n;
    c->order = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    c->pqueue = vkg__arena_calloc(c->A, n + 1, 1);
    c->qpos = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    c->signal = vkg__arena_calloc(c->A, n + 1, 1);
    c->has_wait = vkg__arena_calloc(c->A, n + 1, 1);
    c->after_bar = vkg__arena_calloc(c->A, n + 1, 1);
    c->plan_of = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->pass_count + 1), 4);
    c->rws = vkg__arena_calloc(c->A, g->res_count + 1, sizeof *c->rws);
    vkg__sub *subs = vkg__arena_calloc(c->A, g->sub_count ? g->sub_count : 1, sizeof *subs);
    vkg__seg *segs = vkg__arena_calloc(c->A, g->res_count + 1, sizeof *segs);
    c->next_use = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->use_count + 1), 4);
    c->use_pass = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->use_count + 1), 4);
    if (!c->order || !c->pqueue || !c->qpos || !c->signal || !c->has_wait || !c->rws || !subs ||
        !segs || !c->next_use || !c->use_pass || !c->after_bar || !c->plan_of)
        return VKG__OOM(&g->host, "compile scratch");
    for (uint32_t a = 0; a < VKG_QUEUE_ROLE_COUNT; a++)
        for (uint32_t b = 0; b < VKG_QUEUE_ROLE_COUNT; b++)
            c->last_wait_point[a][b] = VKG__NO_INDEX;
    for (uint32_t i = 0; i < g->res_count; i++) {
        vkg__rws *w = &c->rws[i];
        const vkg__gres *res = &g->res[i];
        w->first = w->last = w->tail_use = VKG__NO_INDEX;
        if (res->is_image) {
            w->subs = subs + res->sub_first;
        } else {
            w->segs = &segs[i];
            w->seg_cap = 1;
            w->seg_count = 1;
            w->segs[0].lo = 0;
            w->segs[0].hi = res->size;
        }
    }
    return VKG_SUCCESS;
}

/* The order (declaration order of live passes), each pass's queue, each resource's lifetime
 * and the usage flags its accesses need. */
static void vkg__order(vkg__ctx *c, const uint8_t *live)
{
    vkg_graph *g = c->g;
    uint32_t k = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) {
        vkg__prefetch(g, p + VKG__AHEAD, c->rws, sizeof *c->rws);
        c->plan_of[p] = live[p] ? k : VKG__NO_INDEX;
        if (!live[p]) continue;
        const vkg__gpass *gp = &g->passes[p];
        uint32_t q = c->role_queue[gp->role];
        c->order[k] = p;
        c->pqueue[k] = (uint8_t)q;
        c->qpos[k] = c->q_len[q]++;
        for (uint32_t i = 0; i < gp->use_count; i++) {
            uint32_t ui = gp->first_use + i;
            const vkg__guse *u = &g->uses[ui];
            vkg__rws *w = &c->rws[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            c->next_use[ui] = VKG__NO_INDEX;
            c->use_pass[ui] = k;
            if (w->tail_use != VKG__NO_INDEX) c->next_use[w->tail_use] = ui;
            w->tail_use = ui;
            if (w->first == VKG__NO_INDEX) {
                w->first = k;
                w->first_queue = q;
            }
            w->last = k;
            w->last_real = k;
            w->last_queue = q;
            for (size_t j = 0; j < VKG__ARRAY_COUNT(vkg__usage_of); j++) {
                if (!(a->access & vkg__usage_of[j].access)) continue;
                w->iu |= vkg__usage_of[j].image;
                w->bu |= vkg__usage_of[j].buffer;
            }
        }
        k++;
    }
}

static vkg_result vkg__compile(vkg_graph *g, const vkg_compile_desc *cd, vkg_plan *plan)
{
    uint64_t t[VKG_COMPILE_PHASE_COUNT + 1];
    t[0] = vkg__now_ns();
    vkg__ctx ctx = {.g = g,
                    .caps = cd->caps,
                    .flags = cd->flags | g->compile_flags,
                    .A = &g->scratch,
                    .split_planes = cd->caps->separate_depth_stencil_layouts,
                    .clash_res = VKG__NO_INDEX};
    vkg__ctx *c = &ctx;
    vkg__arena_reset(&g->scratch);
    vkg__arena_reset(&plan->arena);
    plan->graph = g;
    static _Atomic uint64_t serials;
    plan->serial = ++serials;

    vkg_result r = vkg__validate(c);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_VALIDATE + 1] = vkg__now_ns();

    uint8_t *live = vkg__arena_calloc(c->A, g->pass_count + 1, 1);
    if (!live) return VKG__OOM(&g->host, "compile scratch");
    r = vkg__cull(c, live);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_CULL + 1] = vkg__now_ns();

    r = vkg__workspace(c, live);
    if (r != VKG_SUCCESS) return r;
    vkg__order(c, live);
    r = vkg__history_states(c);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_ORDER + 1] = vkg__now_ns();

    vkg__heap_ws *heaps = NULL;
    uint32_t nh = 0;
    r = vkg__place_transients(c, cd, &heaps, &nh);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_PLACE + 1] = vkg__now_ns();

    r = vkg__sync_sweep(c);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_SYNC + 1] = vkg__now_ns();

    r = vkg__assemble(c, plan, live, heaps, nh);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_ASSEMBLE + 1] = vkg__now_ns();

    vkg_plan_stats *st = &plan->info.stats;
    for (uint32_t i = 0; i < VKG_COMPILE_PHASE_COUNT; i++) st->phase_ns[i] = t[i + 1] - t[i];
    st->compile_us = (t[VKG_COMPILE_PHASE_COUNT] - t[0]) / 1000u;
    return VKG_SUCCESS;
}

vkg_result vkg_compile_ex(vkg_graph *g, const vkg_compile_desc *cd, vkg_plan **plan)
{
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&g->host, cd && cd->caps && plan, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_compile(\"%s\"): caps and plan must not be NULL (vkg_caps_default or "
              "vkg_device_caps give caps)",
              g->name);
    vkg_plan *p = *plan;
    if (p && p->graph != g) {
        VKG__ERROR(&g->host,
                   "vkg_compile(\"%s\"): *plan was compiled from another graph: pass NULL for "
                   "a new plan or a plan of this graph to recompile in place",
                   g->name);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    if (!p) {
        p = vkg__calloc(&g->host, 1, sizeof *p);
        if (!p) return VKG__OOM(&g->host, "a plan");
        p->host = g->host;
        vkg__arena_init(&p->arena, &p->host, 16 * 1024);
    }
    vkg_result r = vkg__compile(g, cd, p);
    if (r != VKG_SUCCESS) {
        vkg_plan_destroy(p);
        *plan = NULL;
        return r;
    }
    *plan = p;
    return VKG_SUCCESS;
}
