/* The graph compiler's last phase: the sweep's barriers merged per slot (adjacent layers,
 * mips, byte ranges and the two planes of a depth/stencil image), transfer halves kept
 * paired, and everything laid out in the plan's arena as vkg_plan_info. Pure. */
#include "compile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------------------------
 * Plan assembly
 * ---------------------------------------------------------------------------------------- */
static bool vkg__same_params(const vkg_plan_barrier *a, const vkg_plan_barrier *b)
{
    return a->resource == b->resource && a->aspect == b->aspect && a->src_stage == b->src_stage &&
           a->dst_stage == b->dst_stage && a->src_access == b->src_access &&
           a->dst_access == b->dst_access && a->old_layout == b->old_layout &&
           a->new_layout == b->new_layout && a->src_family == b->src_family &&
           a->dst_family == b->dst_family && a->flags == b->flags && a->event == b->event;
}

/* Two barriers of a slot may merge: equal parameters, and for transfer halves the other
 * halves in one slot too (where they merge the same way, having been pushed in the same
 * order). */
static bool vkg__may_merge(const vkg__pbar *a, const vkg__pbar *b)
{
    return a->partner == b->partner && a->other_stage == b->other_stage &&
           a->other_access == b->other_access && vkg__same_params(&a->b, &b->b);
}

/* Within a slot: barriers of their own first, then transfer halves grouped by the slot of
 * their other halves, each group in push order — the same order its other halves have in
 * their slot, so both merge alike. */
static int vkg__half_order(const void *pa, const void *pb)
{
    const vkg__pbar *a = pa, *b = pb;
    uint32_t ka = a->partner == VKG__NO_INDEX ? 0 : a->partner + 1;
    uint32_t kb = b->partner == VKG__NO_INDEX ? 0 : b->partner + 1;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void vkg__group_halves(vkg__pbar *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i].partner != VKG__NO_INDEX) {
            qsort(v, n, sizeof *v, vkg__half_order);
            return;
        }
}

/* Image barriers name at least one mip; buffer barriers none. Asking the barrier, not the
 * resource, keeps assembly from reading the resource table in barrier order (random access
 * that cost more than the merging itself on graphs of 10,000 passes). */
static bool vkg__image_barrier(const vkg_plan_barrier *b)
{
    return b->mip_count != 0;
}

/* Merges a slot's barriers: adjacent layers of one mip, then equal layer spans of adjacent
 * mips, then adjacent buffer ranges. Input order is use -> mip -> layer, so greedy is
 * enough for the rectangles passes declare. Returns the new count. */
static uint32_t vkg__merge(vkg__pbar *pv, uint32_t n)
{
    if (n < 2) return n;
    uint32_t o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = false;
        if (vkg__may_merge(&pv[o], &pv[i])) {
            if (vkg__image_barrier(a)) {
                merged = a->mip_count == 1 && b->mip_count == 1 && a->base_mip == b->base_mip &&
                         b->base_layer == a->base_layer + a->layer_count;
                if (merged) a->layer_count += b->layer_count;
            } else {
                merged = b->offset == a->offset + a->size;
                if (merged) a->size += b->size;
            }
        }
        if (!merged) pv[++o] = pv[i];
    }
    n = o + 1;
    o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = vkg__image_barrier(a) && vkg__may_merge(&pv[o], &pv[i]) &&
                      a->base_layer == b->base_layer && a->layer_count == b->layer_count &&
                      b->base_mip == a->base_mip + a->mip_count;
        if (merged) a->mip_count += b->mip_count;
        else pv[++o] = pv[i];
    }
    /* the depth and stencil planes of one range, in one barrier */
    n = o + 1;
    o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = false;
        if (vkg__image_barrier(a) && a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT &&
            b->aspect == VK_IMAGE_ASPECT_STENCIL_BIT && a->base_mip == b->base_mip &&
            a->mip_count == b->mip_count && a->base_layer == b->base_layer &&
            a->layer_count == b->layer_count) {
            b->aspect = a->aspect;
            merged = vkg__may_merge(&pv[o], &pv[i]);
            b->aspect = VK_IMAGE_ASPECT_STENCIL_BIT;
        }
        if (merged) a->aspect |= VK_IMAGE_ASPECT_STENCIL_BIT;
        else pv[++o] = pv[i];
    }
    return o + 1;
}

/* The assembly's working state: what one step leaves for the next. */
typedef struct vkg__asm {
    vkg__ctx *c;
    vkg_graph *g;
    vkg__arena *P; /* the plan's arena */
    vkg_plan_info *info;
    uint32_t n; /* live passes */
    /* barrier slots (pre / post per pass, prologue per queue, event per event) in the plan */
    uint32_t nslots, *slot_first, *slot_count;
    vkg_plan_barrier *bars;
    /* queue index -> plan queue; each queue's first submission; plan pass -> submission */
    uint32_t qmap[VKG_QUEUE_ROLE_COUNT], q_first_sub[VKG_QUEUE_ROLE_COUNT];
    uint32_t *sub_of;
} vkg__asm;

/* Barriers: a stable counting sort by slot, then merged within each slot. */
static vkg_result vkg__asm_barriers(vkg__asm *a)
{
    vkg__ctx *c = a->c;
    uint32_t n = a->n;
    uint32_t nslots = a->nslots = 2 * n + VKG_QUEUE_ROLE_COUNT + c->event_count;
    uint32_t *start = vkg__arena_calloc(c->A, nslots + 1, sizeof(uint32_t));
    if (!start) return VKG__OOM(&a->g->host, "the plan");
    bool in_order = true; /* one queue, no releases or events: pushed slot by slot already */
    for (uint32_t i = 0; i < c->bar_count; i++) {
        start[c->bars[i].slot + 1]++;
        in_order &= i == 0 || c->bars[i - 1].slot <= c->bars[i].slot;
    }
    for (uint32_t s = 0; s < nslots; s++) start[s + 1] += start[s];
    vkg__pbar *sorted = c->bars;
    if (!in_order || !sorted) { /* (no barriers at all: an array to index all the same) */
        sorted = VKG__ARENA_NEW(c->A, vkg__pbar, c->bar_count + 1);
        uint32_t *fill = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
        if (!sorted || !fill) return VKG__OOM(&a->g->host, "compile scratch");
        memcpy(fill, start, sizeof(uint32_t) * (nslots + 1));
        for (uint32_t i = 0; i < c->bar_count; i++) sorted[fill[c->bars[i].slot]++] = c->bars[i];
    }
    vkg_plan_barrier *bars = a->bars = VKG__ARENA_NEW(a->P, vkg_plan_barrier, c->bar_count + 1);
    uint32_t *slot_first = a->slot_first = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
    uint32_t *slot_count = a->slot_count = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
    if (!bars || !slot_first || !slot_count) return VKG__OOM(&a->g->host, "the plan");
    uint32_t nb = 0;
    for (uint32_t s = 0; s < nslots; s++) {
        vkg__group_halves(&sorted[start[s]], start[s + 1] - start[s]);
        uint32_t cnt = vkg__merge(&sorted[start[s]], start[s + 1] - start[s]);
        for (uint32_t i = 0; i < cnt; i++) bars[nb + i] = sorted[start[s] + i].b;
        slot_first[s] = nb;
        slot_count[s] = cnt;
        nb += cnt;
    }
    a->info->barriers = bars;
    a->info->barrier_count = nb;
    return VKG_SUCCESS;
}

/* Queues and submissions: a new submission where a pass waits on a semaphore or follows one
 * another queue waits for; a prologue submission for barriers before a queue's first pass. */
static vkg_result vkg__asm_submissions(vkg__asm *a)
{
    vkg__ctx *c = a->c;
    uint32_t n = a->n, nq = 0;
    vkg__arena *P = a->P;
    for (uint32_t q = 0; q < c->nq; q++) {
        a->qmap[q] = VKG__NO_INDEX;
        if (c->q_len[q] || c->q_prologue[q]) a->qmap[q] = nq++;
    }
    vkg_plan_queue *queues = VKG__ARENA_NEW(P, vkg_plan_queue, nq + 1);
    uint32_t *queue_passes = VKG__ARENA_NEW(P, uint32_t, n + 1);
    a->sub_of = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    /* at most one submission per pass plus one prologue per queue */
    vkg_plan_submission *subs = VKG__ARENA_NEW(P, vkg_plan_submission, n + VKG_QUEUE_ROLE_COUNT);
    if (!queues || !queue_passes || !a->sub_of || !subs) return VKG__OOM(&a->g->host, "the plan");
    uint32_t qp = 0, ns = 0;
    for (uint32_t q = 0; q < c->nq; q++) {
        if (a->qmap[q] == VKG__NO_INDEX) continue;
        vkg_plan_queue *pq = &queues[a->qmap[q]];
        *pq = (vkg_plan_queue){.role = c->q_role[q], .family = c->q_family[q], .first_pass = qp};
        a->q_first_sub[q] = ns;
        uint32_t prologue_slot = 2 * n + q;
        if (c->q_prologue[q] || a->slot_count[prologue_slot]) {
            subs[ns] = (vkg_plan_submission){.queue = a->qmap[q],
                                             .index = 0,
                                             .first_pass = qp,
                                             .first_prologue = a->slot_first[prologue_slot],
                                             .prologue_count = a->slot_count[prologue_slot]};
            ns++;
        }
        bool open = false;
        for (uint32_t k = 0; k < n; k++) {
            if (c->pqueue[k] != q) continue;
            if (!open || c->has_wait[k]) {
                subs[ns] = (vkg_plan_submission){.queue = a->qmap[q],
                                                 .index = ns - a->q_first_sub[q],
                                                 .first_pass = qp};
                ns++;
                open = true;
            }
            subs[ns - 1].pass_count++;
            a->sub_of[k] = ns - 1;
            queue_passes[qp++] = k;
            pq->pass_count++;
            if (c->signal[k]) open = false;
        }
        pq->submission_count = ns - a->q_first_sub[q];
    }
    a->info->queues = queues;
    a->info->queue_count = nq;
    a->info->queue_passes = queue_passes;
    a->info->submissions = subs;
    a->info->submission_count = ns;
    return VKG_SUCCESS;
}

/* Waits: per consuming submission, one per producer queue (its latest point, all stages).
 * They were pushed in pass order, and the passes of one submission are consecutive on their
 * queue, so each submission's waits are contiguous. */
static vkg_result vkg__asm_waits(vkg__asm *a)
{
    vkg__ctx *c = a->c;
    vkg_plan_submission *subs = (vkg_plan_submission *)a->info->submissions;
    vkg_plan_wait *waits = VKG__ARENA_NEW(a->P, vkg_plan_wait, c->wait_count + 1);
    if (!waits) return VKG__OOM(&a->g->host, "the plan");
    uint32_t nw = 0;
    for (uint32_t i = 0; i < c->wait_count; i++) {
        const vkg__pwait *w = &c->waits[i];
        uint32_t s = a->sub_of[w->pass];
        uint32_t pq = a->qmap[w->queue];
        uint32_t psub = w->point == VKG__NO_INDEX ? 0 : a->sub_of[w->point] - a->q_first_sub[w->queue];
        if (subs[s].wait_count == 0) subs[s].first_wait = nw;
        uint32_t j = subs[s].first_wait;
        while (j < nw && waits[j].queue != pq) j++;
        if (j < nw) {
            if (psub > waits[j].submission) waits[j].submission = psub;
            waits[j].stage |= w->stage;
        } else {
            waits[nw++] = (vkg_plan_wait){pq, psub, w->stage};
            subs[s].wait_count++;
        }
    }
    a->info->waits = waits;
    a->info->wait_count = nw;
    return VKG_SUCCESS;
}

/* Passes with their barrier slots, and their uses (with the aspects views need). */
static vkg_result vkg__asm_passes(vkg__asm *a)
{
    vkg__ctx *c = a->c;
    vkg_graph *g = a->g;
    uint32_t n = a->n;
    vkg_plan_pass *passes = VKG__ARENA_NEW(a->P, vkg_plan_pass, n + 1);
    uint32_t total_uses = 0;
    for (uint32_t k = 0; k < n; k++) total_uses += vkg__gp(c, k)->use_count;
    vkg_plan_use *uses = VKG__ARENA_NEW(a->P, vkg_plan_use, total_uses + 1);
    if (!passes || !uses) return VKG__OOM(&g->host, "the plan");
    total_uses = 0;
    for (uint32_t k = 0; k < n; k++) {
        const vkg__gpass *gp = vkg__gp(c, k);
        vkg_plan_pass *pp = &passes[k];
        *pp = (vkg_plan_pass){.name = vkg__arena_strdup(a->P, gp->name),
                              .graph_pass = c->order[k],
                              .role = gp->role,
                              .queue = a->qmap[c->pqueue[k]],
                              .submission = a->sub_of[k],
                              .first_barrier = a->slot_first[2 * k],
                              .barrier_count = a->slot_count[2 * k],
                              .first_post = a->slot_first[2 * k + 1],
                              .post_count = a->slot_count[2 * k + 1],
                              .first_use = total_uses,
                              .use_count = gp->use_count,
                              .record = gp->record,
                              .user = gp->user,
                              .after_barrier = c->after_bar[k] != 0};
        if (!pp->name) return VKG__OOM(&g->host, "the plan");
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            /* attachment views of a depth/stencil image cover both aspects: a pass that
             * attaches depth and stencil attaches one view (VkRenderingInfo) */
            VkImageAspectFlags asp = !r->is_image ? 0
                                     : vkg_access_get(u->access)->aspect
                                         ? r->aspect
                                         : vkg__plane_aspect(r, u->plane0, u->plane_count);
            uses[total_uses++] = (vkg_plan_use){u->resource, u->access,  u->base_mip,
                                                u->mip_count, u->base_layer, u->layer_count,
                                                u->offset,   u->size,    asp};
        }
    }
    a->info->passes = passes;
    a->info->pass_count = n;
    a->info->uses = uses;
    a->info->use_count = total_uses;
    return VKG_SUCCESS;
}

/* Events: ordered by the pass that sets them (a counting sort), plus an index by the pass
 * that waits (they were created while processing it, in pass order). */
static vkg_result vkg__asm_events(vkg__asm *a)
{
    vkg__ctx *c = a->c;
    uint32_t n = a->n;
    vkg_plan_pass *passes = (vkg_plan_pass *)a->info->passes;
    vkg_plan_event *events = VKG__ARENA_NEW(a->P, vkg_plan_event, c->event_count + 1);
    uint32_t *wait_events = VKG__ARENA_NEW(a->P, uint32_t, c->event_count + 1);
    uint32_t *cnt = vkg__arena_calloc(c->A, n + 1, sizeof(uint32_t));
    uint32_t *newidx = vkg__arena_alloc(c->A, sizeof(uint32_t) * (c->event_count + 1), 4);
    if (!events || !wait_events || !cnt || !newidx) return VKG__OOM(&a->g->host, "the plan");
    for (uint32_t e = 0; e < c->event_count; e++) cnt[c->events[e].set_pass + 1]++;
    for (uint32_t k = 0; k < n; k++) cnt[k + 1] += cnt[k];
    for (uint32_t k = 0; k < n; k++) {
        passes[k].first_set_event = cnt[k];
        passes[k].set_event_count = cnt[k + 1] - cnt[k];
    }
    for (uint32_t e = 0; e < c->event_count; e++) {
        uint32_t ne = cnt[c->events[e].set_pass]++;
        uint32_t slot = 2 * n + VKG_QUEUE_ROLE_COUNT + e;
        newidx[e] = ne;
        events[ne] = c->events[e];
        events[ne].first_barrier = a->slot_first[slot];
        events[ne].barrier_count = a->slot_count[slot];
        for (uint32_t i = 0; i < a->slot_count[slot]; i++) a->bars[a->slot_first[slot] + i].event = ne;
    }
    for (uint32_t e = 0, k = 0; k <= n; k++) {
        if (k < n) passes[k].first_wait_event = e;
        while (e < c->event_count && c->events[e].wait_pass == k) wait_events[e] = newidx[e], e++;
        if (k < n) passes[k].wait_event_count = e - passes[k].first_wait_event;
    }
    a->info->events = events;
    a->info->event_count = c->event_count;
    a->info->wait_events = wait_events;
    return VKG_SUCCESS;
}

/* The names of the culled passes. */
static vkg_result vkg__asm_culled(vkg__asm *a, const uint8_t *live)
{
    vkg_graph *g = a->g;
    const char **culled = VKG__ARENA_NEW(a->P, const char *, g->pass_count - a->n + 1);
    if (!culled) return VKG__OOM(&g->host, "the plan");
    uint32_t nc = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) {
        if (live[p]) continue;
        culled[nc] = vkg__arena_strdup(a->P, g->passes[p].name);
        if (!culled[nc++]) return VKG__OOM(&g->host, "the plan");
    }
    a->info->culled = culled;
    a->info->culled_count = nc;
    return VKG_SUCCESS;
}

/* Resources with their placement and predecessors, and the heaps; their byte totals. */
static vkg_result vkg__asm_resources(vkg__asm *a, vkg_plan *plan, const vkg__heap_ws *heaps,
                                     uint32_t nh)
{
    vkg__ctx *c = a->c;
    vkg_graph *g = a->g;
    vkg__arena *P = a->P;
    vkg_plan_resource *res = VKG__ARENA_NEW(P, vkg_plan_resource, g->res_count + 1);
    vkg_plan_heap *hp = VKG__ARENA_NEW(P, vkg_plan_heap, nh + 1);
    VkImageAspectFlags *aspects = VKG__ARENA_NEW(P, VkImageAspectFlags, g->res_count + 1);
    if (!res || !hp || !aspects) return VKG__OOM(&g->host, "the plan");
    vkg_plan_stats *st = &a->info->stats;
    for (uint32_t h = 0; h < nh; h++) {
        hp[h] = (vkg_plan_heap){heaps[h].type, heaps[h].top, heaps[h].resource_count,
                                heaps[h].peak_live};
        st->aliased_bytes += heaps[h].top;
        st->peak_live_bytes += heaps[h].peak_live;
    }
    for (uint32_t i = 0; i < g->res_count; i++) {
        const vkg__gres *r = &g->res[i];
        const vkg__rws *w = &c->rws[i];
        aspects[i] = r->aspect;
        res[i] = (vkg_plan_resource){.name = vkg__arena_strdup(P, r->name),
                                     .is_image = r->is_image,
                                     .imported = r->imported,
                                     .output = r->output,
                                     .used = w->first != VKG__NO_INDEX,
                                     .format = r->format,
                                     .width = r->width,
                                     .height = r->height,
                                     .depth = r->depth,
                                     .mips = r->mips,
                                     .layers = r->layers,
                                     .samples = r->samples,
                                     .size = r->size,
                                     .image_usage = w->iu,
                                     .buffer_usage = w->bu,
                                     .first_pass = w->first,
                                     .last_pass = w->first == VKG__NO_INDEX ? VKG__NO_INDEX
                                                                            : w->last_real,
                                     .heap = w->heap,
                                     .offset = w->heap == VKG__NO_INDEX ? 0 : w->offset,
                                     .memory_size = w->heap == VKG__NO_INDEX ? 0 : w->req.size,
                                     .alignment = w->heap == VKG__NO_INDEX ? 0 : w->req.alignment,
                                     .memory_type_bits =
                                         w->heap == VKG__NO_INDEX ? 0 : w->req.memoryTypeBits,
                                     .state = r->state,
                                     .concurrent = vkg__concurrent(c, r),
                                     .history = r->history,
                                     .history_pair = r->history ? r->history_pair : 0,
                                     .history_clear = r->history_clear};
        if (!res[i].name) return VKG__OOM(&g->host, "the plan");
        if (w->heap == VKG__NO_INDEX) continue;
        st->transient_bytes += w->req.size;
        if (w->pred_count) {
            uint32_t *of = VKG__ARENA_NEW(P, uint32_t, w->pred_count);
            if (!of) return VKG__OOM(&g->host, "the plan");
            memcpy(of, w->preds, sizeof(uint32_t) * w->pred_count);
            res[i].alias_of = of;
            res[i].alias_of_count = w->pred_count;
        }
    }
    a->info->resources = res;
    a->info->resource_count = g->res_count;
    a->info->heaps = hp;
    a->info->heap_count = nh;
    plan->aspects = aspects;
    return VKG_SUCCESS;
}

/* Counts for vkg_plan_stats: barriers by kind, batches, transfers, semaphores. */
static void vkg__asm_stats(vkg__asm *a)
{
    const vkg_plan_info *info = a->info;
    vkg_plan_stats *st = &a->info->stats;
    uint32_t n = a->n;
    st->passes = n;
    st->culled = info->culled_count;
    st->submissions = info->submission_count;
    st->events = info->event_count;
    st->semaphores = info->wait_count;
    for (uint32_t i = 0; i < info->barrier_count; i++) {
        const vkg_plan_barrier *b = &info->barriers[i];
        if (vkg__image_barrier(b)) st->image_barriers++;
        else st->buffer_barriers++;
        if (vkg__image_barrier(b) && b->old_layout != b->new_layout &&
            !(b->flags & VKG_BARRIER_RELEASE))
            st->layout_transitions++;
        if (b->flags & VKG_BARRIER_ACQUIRE) st->queue_transfers++;
    }
    for (uint32_t k = 0; k < n; k++) {
        if (!info->passes[k].after_barrier) continue;
        st->memory_barriers++;
        if (!a->slot_count[2 * k]) st->barrier_batches++; /* a batch of its own */
    }
    for (uint32_t s = 0; s < 2 * n + VKG_QUEUE_ROLE_COUNT; s++) {
        if (!a->slot_count[s]) continue;
        if (s < 2 * n && (s & 1) == 0) {
            /* pre slot: a pipeline barrier unless every barrier in it is split */
            bool plain = false;
            for (uint32_t i = 0; i < a->slot_count[s]; i++)
                if (!(info->barriers[a->slot_first[s] + i].flags & VKG_BARRIER_SPLIT)) plain = true;
            if (plain) st->barrier_batches++;
        } else {
            st->barrier_batches++;
        }
    }
}

vkg_result vkg__assemble(vkg__ctx *c, vkg_plan *plan, const uint8_t *live,
                         const vkg__heap_ws *heaps, uint32_t nh)
{
    vkg_plan_info *info = &plan->info;
    memset(info, 0, sizeof *info);
    info->name = vkg__arena_strdup(&plan->arena, c->g->name);
    if (!info->name) return VKG__OOM(&c->g->host, "the plan");
    vkg__asm a = {.c = c, .g = c->g, .P = &plan->arena, .info = info, .n = c->n};
    vkg_result r = vkg__asm_barriers(&a);
    if (r == VKG_SUCCESS) r = vkg__asm_submissions(&a);
    if (r == VKG_SUCCESS) r = vkg__asm_waits(&a);
    if (r == VKG_SUCCESS) r = vkg__asm_passes(&a);
    if (r == VKG_SUCCESS) r = vkg__asm_events(&a);
    if (r == VKG_SUCCESS) r = vkg__asm_culled(&a, live);
    if (r == VKG_SUCCESS) r = vkg__asm_resources(&a, plan, heaps, nh);
    if (r == VKG_SUCCESS) vkg__asm_stats(&a);
    return r;
}
