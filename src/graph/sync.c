/* The graph compiler's synchronization sweep: passes in plan order, per subresource state
 * (per buffer range and per image plane x mip x layer), deriving synchronization2 barriers,
 * queue-family ownership transfers, timeline-semaphore waits and split barriers. Pure.
 *
 * The synchronization model, per subresource (docs/compiler.md has the long form):
 *  - Every subresource is owned by one queue at a time (resources are VK_SHARING_MODE_
 *    EXCLUSIVE). Accesses since the last ownership change all happened on that queue.
 *  - `w_*` is the last write (or the anchor of the last layout transition / acquire, with
 *    w_access 0 because transitions are made available automatically); `r_stage` the stages
 *    that read since; `visible` the access rows the write has been made visible to.
 *  - A write or layout change waits for the reads since the last write (execution
 *    dependency only: write-after-read needs no memory dependency) or, with no reads, for
 *    the write itself (memory dependency). A read waits for the write unless it is already
 *    visible to that row; read-after-read in the same layout gets nothing.
 *  - Another queue touching defined contents takes ownership: release after the owner's
 *    last use, timeline-semaphore wait, acquire before the new use. Undefined contents
 *    (a transient's first use) move queues with a semaphore wait alone.
 */
#include "compile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------------------------
 * Queues
 * ---------------------------------------------------------------------------------------- */
vkg_result vkg__map_queues(vkg__ctx *c)
{
    const vkg_caps *caps = c->caps;
    c->nq = 0;
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
        uint32_t fam = caps->role_family[role];
        VKG_CHECK(&c->g->host, fam < caps->queue_family_count && fam < VKG_MAX_QUEUE_FAMILIES,
                  VKG_ERROR_INVALID_ARGUMENT,
                  "caps of \"%s\": the %s role maps to queue family %u, but there are %u "
                  "families: fill role_family from the device (vkg_device_caps)",
                  caps->device_name, vkg_queue_role_name((vkg_queue_role)role), fam,
                  caps->queue_family_count);
        /* roles of one family share a queue, unless the device splits them */
        uint32_t q = caps->queue_split ? c->nq : 0;
        while (q < c->nq && c->q_family[q] != fam) q++;
        if (q == c->nq) {
            c->q_family[q] = fam;
            c->q_role[q] = (vkg_queue_role)role;
            c->nq++;
        }
        c->role_queue[role] = (uint8_t)q;
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Synchronization sweep
 * ---------------------------------------------------------------------------------------- */
static void vkg__push_half(vkg__ctx *c, uint32_t slot, const vkg_plan_barrier *b,
                           uint32_t partner, VkPipelineStageFlags2 other_stage,
                           VkAccessFlags2 other_access)
{
    if (!vkg__agrow(c, (void **)&c->bars, &c->bar_cap, c->bar_count + 1, sizeof *c->bars)) return;
    c->bars[c->bar_count] = (vkg__pbar){.b = *b, .slot = slot, .partner = partner,
                                        .seq = c->bar_count, .other_stage = other_stage,
                                        .other_access = other_access};
    c->bar_count++;
}

static void vkg__push_bar(vkg__ctx *c, uint32_t slot, const vkg_plan_barrier *b)
{
    vkg__push_half(c, slot, b, VKG__NO_INDEX, 0, 0);
}

/* One queue-family ownership transfer: its release in `rel_slot`, its acquire in
 * `acq_slot`, both from the same record (same range, families and layouts). */
static void vkg__push_transfer(vkg__ctx *c, uint32_t rel_slot, const vkg_plan_barrier *rel,
                               uint32_t acq_slot, const vkg_plan_barrier *acq)
{
    vkg__push_half(c, rel_slot, rel, acq_slot, acq->dst_stage, acq->dst_access);
    vkg__push_half(c, acq_slot, acq, rel_slot, rel->src_stage, rel->src_access);
}

static void vkg__push_wait(vkg__ctx *c, uint32_t k, uint32_t qa, uint32_t point,
                           VkPipelineStageFlags2 stage)
{
    uint32_t qc = c->pqueue[k];
    /* Points are producer pass + 1, the prologue 0. A wait on a later point of the same queue
     * with a stage mask that covers ours already orders us: semaphore waits cover every later
     * command of the waiting queue in those stages. */
    uint32_t pt = point == VKG__NO_INDEX ? 0 : point + 1;
    uint32_t lp = c->last_wait_point[qc][qa];
    if (lp != VKG__NO_INDEX && pt <= lp && (stage & ~c->last_wait_stage[qc][qa]) == 0) return;
    if (!vkg__agrow(c, (void **)&c->waits, &c->wait_cap, c->wait_count + 1, sizeof *c->waits))
        return;
    c->waits[c->wait_count++] = (vkg__pwait){k, qa, point, stage};
    c->has_wait[k] = 1;
    if (point == VKG__NO_INDEX) c->q_prologue[qa] = 1;
    if (lp == VKG__NO_INDEX || pt > lp) {
        c->last_wait_point[qc][qa] = pt;
        c->last_wait_stage[qc][qa] = stage;
    } else if (pt == lp) {
        c->last_wait_stage[qc][qa] |= stage;
    }
}

static uint32_t vkg__event_for(vkg__ctx *c, uint32_t set_pass, uint32_t wait_pass)
{
    for (uint32_t e = c->first_event_of_pass; e < c->event_count; e++)
        if (c->events[e].set_pass == set_pass) return e;
    if (!vkg__agrow(c, (void **)&c->events, &c->event_cap, c->event_count + 1, sizeof *c->events))
        return 0;
    c->events[c->event_count] = (vkg_plan_event){set_pass, wait_pass, 0, 0};
    return c->event_count++;
}

/* Summary of an alias predecessor's final state: what the next occupant must wait for. */
static void vkg__summarize(vkg__ctx *c, uint32_t ri)
{
    vkg__rws *w = &c->rws[ri];
    if (w->summary_done) return;
    const vkg__gres *r = &c->g->res[ri];
    VkPipelineStageFlags2 st = 0;
    VkAccessFlags2 ac = 0;
    uint32_t count = r->is_image ? vkg__planes(r) * r->mips * r->layers : w->seg_count;
    for (uint32_t i = 0; i < count; i++) {
        const vkg__sub *s = r->is_image ? &w->subs[i] : &w->segs[i].s;
        if (!s->init) continue;
        if (s->r_stage && !((s->r_stage & VK_PIPELINE_STAGE_2_HOST_BIT) && s->has_w)) {
            st |= s->r_stage;
        } else if (s->r_stage) {
            st |= s->r_stage | s->w_stage; /* host reads do not chain (see vkg__use_state) */
            ac |= s->w_access;
        } else if (s->has_w) {
            st |= s->w_stage;
            ac |= s->w_access;
        }
    }
    w->sum_stage = st;
    w->sum_access = ac;
    w->sum_queue = (uint8_t)w->last_queue;
    w->summary_done = true;
}

static void vkg__init_sub(vkg__ctx *c, uint32_t k, uint32_t ri, vkg__sub *s)
{
    const vkg__gres *r = &c->g->res[ri];
    vkg__rws *w = &c->rws[ri];
    memset(s, 0, sizeof *s);
    s->init = 1;
    s->owner = NOQ;
    s->layout = VK_IMAGE_LAYOUT_UNDEFINED;
    s->w_pass = s->r_pass = s->last_pass = VKG__NO_INDEX;
    if (r->imported) {
        const vkg_access_info *a = vkg_access_get(r->state.access);
        /* the first use always gets a barrier flagged IMPORTED, even where the assumed
         * state needs none: the executor patches its source side from the tracked state */
        s->from_import = 1;
        if (r->state.access == VKG_ACCESS_NONE) return;
        s->owner = c->role_queue[r->state.queue];
        s->defined = 1;
        s->has_w = 1;
        s->layout = r->is_image ? a->layout : VK_IMAGE_LAYOUT_UNDEFINED;
        s->w_stage = a->stage;
        if (a->write) {
            s->w_access = a->access & VKG__WRITE_ACCESS;
        } else {
            s->r_stage = a->stage;
            s->visible = vkg__rows_covered(a->stage, a->access);
        }
        return;
    }
    /* Alias predecessors: those that ended on the queue of this first use are waited for by
     * its barrier (their last stages and writes become the source); those that ended on
     * another queue by a semaphore wait on their last pass, all commands, with which the
     * barrier then chains (an execution dependency from ALL_COMMANDS). */
    uint32_t q = c->pqueue[k];
    for (uint32_t i = 0; i < w->pred_count; i++) {
        vkg__summarize(c, w->preds[i]);
        const vkg__rws *p = &c->rws[w->preds[i]];
        if (!p->sum_stage && !p->sum_access) continue;
        s->has_w = 1;
        s->from_alias = 1;
        s->owner = (uint8_t)q;
        if (p->sum_queue != q) {
            vkg__push_wait(c, k, p->sum_queue, p->last_real, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
            s->w_stage |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            continue;
        }
        if (s->last_pass == VKG__NO_INDEX || p->last_real > s->last_pass)
            s->last_pass = p->last_real;
        s->w_stage |= p->sum_stage;
        s->w_access |= p->sum_access;
    }
}

static void vkg__accumulate(vkg__ctx *c, uint32_t k, uint32_t ri, uint32_t index, vkg__sub *s,
                            const vkg_access_info *a)
{
    if (!s->init) vkg__init_sub(c, k, ri, s);
    if (s->stamp == k + 1 && a->layout != (VkImageLayout)s->p_layout && c->g->res[ri].is_image &&
        c->clash_res == VKG__NO_INDEX) {
        /* only where both planes of an image share one layout (vkg__use_planes): the graph
         * refused overlapping uses with different layouts when the pass was added */
        c->clash_res = ri;
        c->clash_layout = a->layout;
        c->clash_with = s->p_layout;
    }
    if (s->stamp != k + 1) {
        s->stamp = k + 1;
        s->p_stage = 0;
        s->p_access = 0;
        s->p_rows = 0;
        s->p_write = 0;
        s->p_layout = a->layout;
        if (!vkg__agrow(c, (void **)&c->touched, &c->touch_cap, c->touch_count + 1,
                        sizeof *c->touched))
            return;
        c->touched[c->touch_count++] = (vkg__touch){ri, index};
    }
    s->p_stage |= a->stage;
    s->p_access |= a->access;
    if (a->write) s->p_write = 1;
    else s->p_rows |= vkg__read_row_bit((vkg_access)(a - vkg_access_get(VKG_ACCESS_NONE)));
}

/* Read merging: the stages and accesses of the later reads of image subresource `index`
 * on queue `q` in layout `layout`, up to the next pass that writes it, moves it to another
 * layout or queue (or touches it from the host), looking at most VKG__LOOKAHEAD passes
 * ahead. A barrier that makes a write visible to this pass's read makes it visible to those
 * too, so they need no barrier of their own (the lighting pass reading depth and normals
 * after SSAO read them: one barrier, not two). */
#define VKG__LOOKAHEAD 32u
static void vkg__later_reads(const vkg__ctx *c, uint32_t k, uint32_t ri, uint32_t index,
                             uint32_t q, VkImageLayout layout, VkPipelineStageFlags2 *stage,
                             VkAccessFlags2 *access)
{
    const vkg_graph *g = c->g;
    const vkg__gres *r = &g->res[ri];
    uint32_t plane, mip, layer;
    vkg__sub_coords(r, index, &plane, &mip, &layer);
    /* the resource's own later uses, pass by pass: linear in them, not in the passes between */
    for (uint32_t u2 = c->next_use[c->rws[ri].cur_use]; u2 != VKG__NO_INDEX;) {
        uint32_t k2 = c->use_pass[u2];
        if (k2 > k + VKG__LOOKAHEAD) return;
        VkPipelineStageFlags2 st = 0;
        VkAccessFlags2 ac = 0;
        bool touched = false, stop = false;
        for (; u2 != VKG__NO_INDEX && c->use_pass[u2] == k2; u2 = c->next_use[u2]) {
            const vkg__guse *u = &g->uses[u2];
            uint32_t p0, p1;
            vkg__use_planes(c, r, u, &p0, &p1);
            if (mip < u->base_mip || mip >= u->base_mip + u->mip_count ||
                layer < u->base_layer || layer >= u->base_layer + u->layer_count || plane < p0 ||
                plane >= p1)
                continue;
            const vkg_access_info *a = vkg_access_get(u->access);
            touched = true;
            if (a->write || a->layout != layout || (a->stage & VK_PIPELINE_STAGE_2_HOST_BIT))
                stop = true;
            st |= a->stage;
            ac |= a->access;
        }
        if (!touched) continue;
        if (stop || c->pqueue[k2] != q) return;
        *stage |= st;
        *access |= ac;
    }
}

/* What the pending pass does to one subresource, fixed before any barrier is chosen. */
typedef struct vkg__now {
    VkPipelineStageFlags2 ds; /* its stages (host accesses stand as ALL_COMMANDS too) */
    VkAccessFlags2 da;        /* its accesses */
    VkImageLayout ol, nl;     /* the layout before and the one it needs */
    bool relayout, wr, modifies;
    uint32_t flags; /* VKG_BARRIER_IMPORTED / _ALIAS / _DISCARD for its barrier */
} vkg__now;

static vkg__now vkg__now_of(const vkg__gres *r, const vkg__sub *s)
{
    vkg__now n = {.ds = s->p_stage, .da = s->p_access, .wr = s->p_write};
    /* The host stage does not execute inside a command buffer, so nothing chains through
     * it: a barrier or semaphore wait whose destination is only HOST orders no later
     * barrier. Host accesses therefore stand on the device timeline as ALL_COMMANDS too,
     * which every later barrier's source (the stages recorded here) then chains with. */
    if (n.ds & VK_PIPELINE_STAGE_2_HOST_BIT) n.ds |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    n.nl = r->is_image ? (VkImageLayout)s->p_layout : VK_IMAGE_LAYOUT_UNDEFINED;
    n.ol = r->is_image ? (VkImageLayout)s->layout : VK_IMAGE_LAYOUT_UNDEFINED;
    n.relayout = r->is_image && n.ol != n.nl;
    n.modifies = n.wr || n.relayout;
    n.flags = (s->from_import ? VKG_BARRIER_IMPORTED : 0) | (s->from_alias ? VKG_BARRIER_ALIAS : 0);
    if (r->is_image && n.ol == VK_IMAGE_LAYOUT_UNDEFINED && n.relayout) n.flags |= VKG_BARRIER_DISCARD;
    return n;
}

/* The barrier on the subresource with the pending pass as its destination; the source side
 * is filled by the step that knows it. */
static vkg_plan_barrier vkg__barrier_to(const vkg__ctx *c, const vkg__touch *t, const vkg__gres *r,
                                        const vkg__now *n)
{
    vkg_plan_barrier b = {.resource = t->res,
                          .src_family = VK_QUEUE_FAMILY_IGNORED,
                          .dst_family = VK_QUEUE_FAMILY_IGNORED,
                          .old_layout = n->ol,
                          .new_layout = n->nl,
                          .dst_stage = n->ds,
                          .dst_access = n->da};
    if (r->is_image) {
        uint32_t plane, mip, layer;
        vkg__sub_coords(r, t->index, &plane, &mip, &layer);
        b.base_mip = mip;
        b.mip_count = 1;
        b.base_layer = layer;
        b.layer_count = 1;
        b.aspect = vkg__plane_aspect(r, plane, 1);
    } else {
        const vkg__seg *sg = &c->rws[t->res].segs[t->index];
        b.offset = sg->lo;
        b.size = sg->hi - sg->lo;
    }
    return b;
}

/* Another queue used the subresource last: a queue-family ownership transfer (release after
 * the owner's last use, a wait on its timeline, the acquire here; spec: "Queue Family
 * Ownership Transfer"), or, within one family or for undefined contents, a semaphore wait
 * and a barrier only for a layout change or an imported first use. Then this queue owns it. */
static void vkg__take_over(vkg__ctx *c, uint32_t k, const vkg__gres *r, vkg__sub *s, vkg__now *n,
                           vkg_plan_barrier *b)
{
    uint32_t q = c->pqueue[k];
    /* queues of one family (split roles) share ownership: a semaphore wait orders and makes
     * memory visible, and a barrier is needed only for a layout change */
    bool same_family = c->q_family[s->owner] == c->q_family[q] || vkg__concurrent(c, r);
    bool waited = false, had_w = s->has_w;
    if (s->defined && !same_family) {
        vkg_plan_barrier rel = *b;
        rel.src_stage = s->w_stage | s->r_stage;
        rel.src_access = s->w_access;
        rel.dst_stage = VK_PIPELINE_STAGE_2_NONE;
        rel.dst_access = VK_ACCESS_2_NONE;
        rel.src_family = c->q_family[s->owner];
        rel.dst_family = c->q_family[q];
        rel.flags = n->flags | VKG_BARRIER_RELEASE;
        uint32_t slot = s->last_pass == VKG__NO_INDEX ? 2 * c->n + s->owner : 2 * s->last_pass + 1;
        vkg__push_wait(c, k, s->owner, s->last_pass, n->ds);
        b->src_stage = n->ds; /* chains with the semaphore wait's stage mask */
        b->src_access = VK_ACCESS_2_NONE;
        b->src_family = rel.src_family;
        b->dst_family = rel.dst_family;
        b->flags = n->flags | VKG_BARRIER_ACQUIRE;
        vkg__push_transfer(c, slot, &rel, 2 * k, b);
    } else {
        /* undefined contents, or another queue of the same family: no transfer; order after
         * the other queue's accesses */
        if ((s->has_w || s->r_stage || s->defined) && s->last_pass != VKG__NO_INDEX) {
            vkg__push_wait(c, k, s->owner, s->last_pass, n->ds);
            waited = true;
        }
        /* an imported resource's first use always gets its barrier: the executor fills in
         * the tracked layout and accesses, which may differ from the declared */
        if (n->relayout || s->from_import) {
            if (!s->defined && n->relayout) {
                b->old_layout = VK_IMAGE_LAYOUT_UNDEFINED;
                n->flags |= VKG_BARRIER_DISCARD;
            }
            b->src_stage = waited ? n->ds : VK_PIPELINE_STAGE_2_NONE;
            b->src_access = VK_ACCESS_2_NONE;
            b->flags = n->flags;
            vkg__push_bar(c, 2 * k, b);
        }
    }
    /* The acquire (or a layout transition, or the semaphore wait on another queue's
     * write-like anchor) is the new anchor on this queue: a later access here in other
     * stages than this pass's must chain with it (a host read after a compute read of an
     * image another queue moved to GENERAL is ordered after that transition only through a
     * barrier from the waited stages). Undefined contents taken over with none of them
     * leave nothing to wait for but the reads made here. */
    bool anchor = s->defined || n->relayout || n->wr || (waited && had_w);
    s->owner = (uint8_t)q;
    s->has_w = anchor;
    s->w_stage = anchor ? n->ds : 0;
    s->w_access = n->wr ? (n->da & VKG__WRITE_ACCESS) : 0;
    s->w_pass = k;
    s->r_stage = n->wr ? 0 : n->ds;
    s->r_pass = n->wr ? VKG__NO_INDEX : k;
    s->visible = n->wr || !anchor ? 0 : vkg__rows_covered(n->ds, n->da);
}

/* On the owner queue: the source of the dependency the pending pass needs, if any (write
 * after read: execution only; after a write: its stages and accesses; a read the last write
 * is not yet visible to), and the pass it comes from. */
static bool vkg__source(const vkg__sub *s, const vkg__now *n, vkg_plan_barrier *b, uint32_t *src_pass)
{
    *src_pass = VKG__NO_INDEX;
    bool need = false;
    if (n->modifies) {
        if (s->r_stage) {
            b->src_stage = s->r_stage; /* write-after-read: execution dependency only */
            *src_pass = s->r_pass;
            /* the host stage does not chain inside a command buffer: a write that was only
             * made visible to host reads must be waited for itself */
            if ((s->r_stage & VK_PIPELINE_STAGE_2_HOST_BIT) && s->has_w) {
                b->src_stage |= s->w_stage;
                b->src_access = s->w_access;
            }
        } else if (s->has_w) {
            b->src_stage = s->w_stage;
            b->src_access = s->w_access;
            *src_pass = s->w_pass;
        }
        need = b->src_stage != 0 || b->src_access != 0 || n->relayout;
    } else if (s->has_w && (s->p_rows & ~s->visible)) {
        b->src_stage = s->w_stage;
        b->src_access = s->w_access;
        *src_pass = s->w_pass;
        need = true;
    }
    return need || s->from_import;
}

/* A barrier into reads of an image also serves the reads that follow on this queue in the
 * same layout (vkg__later_reads): they need none of their own. Not into a first-use barrier
 * of an imported image (the executor rebuilds those from the tracked state), nor through
 * host accesses, which chain nothing. */
static void vkg__widen_to_later_reads(vkg__ctx *c, uint32_t k, const vkg__touch *t, const vkg__gres *r,
                                      vkg__now *n, vkg_plan_barrier *b)
{
    if (!r->is_image || n->wr || (n->flags & VKG_BARRIER_IMPORTED) || (n->ds & VK_PIPELINE_STAGE_2_HOST_BIT))
        return;
    VkPipelineStageFlags2 ls = 0;
    VkAccessFlags2 la = 0;
    vkg__later_reads(c, k, t->res, t->index, c->pqueue[k], n->nl, &ls, &la);
    b->dst_stage |= ls;
    b->dst_access |= la;
    n->ds |= ls;
    n->da |= la;
}

/* The barrier before pass k, or split (vkCmdSetEvent2 after its source pass, the wait
 * before k) when the compile asked for split barriers and passes lie between. */
static void vkg__place_barrier(vkg__ctx *c, uint32_t k, uint32_t src_pass, vkg_plan_barrier *b)
{
    uint32_t slot = 2 * k;
    if ((c->flags & VKG_COMPILE_SPLIT_BARRIERS) && src_pass < c->n && src_pass != k &&
        !(b->flags & (VKG_BARRIER_IMPORTED | VKG_BARRIER_ALIAS)) && c->qpos[k] - c->qpos[src_pass] > 1) {
        uint32_t e = vkg__event_for(c, src_pass, k);
        b->flags |= VKG_BARRIER_SPLIT;
        b->event = e;
        slot = 2 * c->n + VKG_QUEUE_ROLE_COUNT + e;
    }
    vkg__push_bar(c, slot, b);
}

/* The state after an access on the owner queue: a write or transition is the new anchor;
 * an imported image's first read is one too (the executor may turn it into a layout
 * transition: later accesses here must chain with it as with any transition, not count as
 * reads after reads of a layout they share, e.g. a texture declared sampled but just
 * uploaded, read in the vertex shader, then in a compute pass); other reads accumulate. */
static void vkg__after_access(vkg__sub *s, const vkg__gres *r, const vkg__now *n, uint32_t k, bool barrier)
{
    if (n->modifies) {
        s->has_w = 1;
        s->w_stage = n->ds;
        s->w_access = n->wr ? (n->da & VKG__WRITE_ACCESS) : 0;
        s->w_pass = k;
        s->r_stage = n->wr ? 0 : n->ds;
        s->r_pass = n->wr ? VKG__NO_INDEX : k;
        s->visible = n->wr ? 0 : vkg__rows_covered(n->ds, n->da);
    } else if (r->is_image && (n->flags & VKG_BARRIER_IMPORTED)) {
        s->has_w = 1;
        s->w_stage = n->ds;
        s->w_access = 0;
        s->w_pass = k;
        s->r_stage = n->ds;
        s->r_pass = k;
        s->visible = vkg__rows_covered(n->ds, n->da);
    } else {
        if (barrier) s->visible |= vkg__rows_covered(n->ds, n->da);
        s->r_pass = s->r_stage == 0 || s->r_pass == k ? k : MULTI;
        s->r_stage |= n->ds;
    }
}

/* Synchronizes one subresource for the pass that touches it next: the barrier (or transfer
 * and semaphore wait) it needs, then its new state. */
static void vkg__sync_sub(vkg__ctx *c, uint32_t k, const vkg__touch *t, vkg__sub *s)
{
    const vkg__gres *r = &c->g->res[t->res];
    uint32_t q = c->pqueue[k];
    vkg__now n = vkg__now_of(r, s);
    vkg_plan_barrier b = vkg__barrier_to(c, t, r, &n);
    if (s->owner != NOQ && s->owner != q) {
        vkg__take_over(c, k, r, s, &n, &b);
    } else {
        uint32_t src_pass;
        bool need = vkg__source(s, &n, &b, &src_pass);
        if (need) {
            vkg__widen_to_later_reads(c, k, t, r, &n, &b);
            b.flags = n.flags;
            vkg__place_barrier(c, k, src_pass, &b);
        }
        vkg__after_access(s, r, &n, k, need);
        s->owner = (uint8_t)q;
    }
    if (n.wr) s->defined = 1;
    s->layout = n.nl;
    s->last_pass = k;
    s->from_import = 0;
    s->from_alias = 0;
}

/* The segment holding byte `at` (segments are sorted and cover the buffer): binary search,
 * so buffers cut into many ranges stay cheap. */
static uint32_t vkg__seg_find(const vkg__rws *w, VkDeviceSize at)
{
    uint32_t lo = 0, hi = w->seg_count;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (w->segs[mid].lo <= at)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Splits buffer segments so that [lo, hi) starts and ends on segment boundaries. */
static bool vkg__seg_split(vkg__ctx *c, vkg__rws *w, VkDeviceSize at)
{
    uint32_t i = vkg__seg_find(w, at);
    if (at <= w->segs[i].lo || at >= w->segs[i].hi) return true;
    if (!vkg__agrow(c, (void **)&w->segs, &w->seg_cap, w->seg_count + 1, sizeof *w->segs))
        return false;
    memmove(&w->segs[i + 1], &w->segs[i], sizeof *w->segs * (w->seg_count - i));
    w->segs[i].hi = at;
    w->segs[i + 1].lo = at;
    w->seg_count++;
    return true;
}

/* One wait per (consumer pass, producer queue) on the latest point needed: a timeline
 * value covers every earlier submission of its queue. Only those points signal, so
 * producers are split into as few submissions as the dependencies allow. */
static void vkg__consolidate_waits(vkg__ctx *c)
{
    uint32_t o = 0;
    for (uint32_t i = 0; i < c->wait_count; i++) {
        vkg__pwait w = c->waits[i];
        uint32_t j = o;
        while (j > 0 && c->waits[j - 1].pass == w.pass) {
            if (c->waits[j - 1].queue == w.queue) break;
            j--;
        }
        if (j > 0 && c->waits[j - 1].pass == w.pass && c->waits[j - 1].queue == w.queue) {
            vkg__pwait *m = &c->waits[j - 1];
            uint32_t a = m->point == VKG__NO_INDEX ? 0 : m->point + 1;
            uint32_t b = w.point == VKG__NO_INDEX ? 0 : w.point + 1;
            if (b > a) m->point = w.point;
            m->stage |= w.stage;
        } else {
            c->waits[o++] = w;
        }
    }
    c->wait_count = o;
    for (uint32_t i = 0; i < o; i++)
        if (c->waits[i].point != VKG__NO_INDEX) c->signal[c->waits[i].point] = 1;
}

/* Ordering without a resource (vkg_pass_desc.after): a full barrier before the pass when the
 * earlier pass ran on its queue, else a semaphore wait on that pass (all commands). Culled
 * earlier passes did not run: nothing to wait for. */
static void vkg__order_after(vkg__ctx *c, uint32_t k, const vkg__gpass *gp)
{
    for (uint32_t i = 0; i < gp->after_count; i++) {
        uint32_t e = c->plan_of[gp->after[i]];
        if (e == VKG__NO_INDEX) continue;
        if (c->pqueue[e] == c->pqueue[k]) c->after_bar[k] = 1;
        else vkg__push_wait(c, k, c->pqueue[e], e, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    }
}

/* The subresource state of the next pass's resources (their entries were fetched a pass
 * earlier, so reading where the state lives is cheap). */
static void vkg__prefetch_state(const vkg__ctx *c, uint32_t graph_pass)
{
    const vkg_graph *g = c->g;
    const vkg__gpass *gp = &g->passes[graph_pass];
    for (uint32_t i = 0; i < gp->use_count; i++) {
        const vkg__guse *u = &g->uses[gp->first_use + i];
        const vkg__rws *w = &c->rws[u->resource];
        __builtin_prefetch(g->res[u->resource].is_image ? (const void *)&w->subs[0]
                                                        : (const void *)&w->segs[0]);
    }
}

vkg_result vkg__sync_sweep(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    for (uint32_t k = 0; k < c->n; k++) {
        const vkg__gpass *gp = vkg__gp(c, k);
        if (k + VKG__AHEAD < c->n) {
            vkg__prefetch(g, c->order[k + VKG__AHEAD], g->res, sizeof *g->res);
            vkg__prefetch(g, c->order[k + VKG__AHEAD], c->rws, sizeof *c->rws);
        }
        if (k + 1 < c->n) vkg__prefetch_state(c, c->order[k + 1]);
        vkg__order_after(c, k, gp);
        c->touch_count = 0;
        c->first_event_of_pass = c->event_count;
        /* phase 1: buffer segment boundaries, so indices stay stable below */
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            if (g->res[u->resource].is_image) continue;
            vkg__rws *w = &c->rws[u->resource];
            if (!vkg__seg_split(c, w, u->offset) || !vkg__seg_split(c, w, u->offset + u->size))
                return VKG__OOM(&g->host, "compile scratch");
        }
        /* phase 2: what this pass does to each subresource */
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            vkg__rws *w = &c->rws[u->resource];
            w->cur_use = gp->first_use + i;
            if (r->is_image) {
                uint32_t p0, p1;
                vkg__use_planes(c, r, u, &p0, &p1);
                for (uint32_t p = p0; p < p1; p++)
                    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                            uint32_t idx = vkg__sub_index(r, p, m, l);
                            vkg__accumulate(c, k, u->resource, idx, &w->subs[idx], a);
                        }
            } else {
                for (uint32_t s = vkg__seg_find(w, u->offset); s < w->seg_count; s++) {
                    vkg__seg *sg = &w->segs[s];
                    if (sg->lo >= u->offset + u->size) break;
                    vkg__accumulate(c, k, u->resource, s, &sg->s, a);
                }
            }
        }
        if (c->clash_res != VKG__NO_INDEX) {
            char at[300];
            VKG__ERROR(&g->host,
                       "%spass \"%s\" uses image \"%s\" in layouts %s and %s at once, but device "
                       "\"%s\" lacks separateDepthStencilLayouts, so its depth and stencil share "
                       "one layout: use matching accesses on both aspects, or split the pass",
                       vkg__pass_origin(g, c->order[k], at, sizeof at), gp->name,
                       g->res[c->clash_res].name, vkg_layout_name((VkImageLayout)c->clash_with),
                       vkg_layout_name((VkImageLayout)c->clash_layout), c->caps->device_name);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
        /* phase 3: barriers, transfers, waits */
        for (uint32_t i = 0; i < c->touch_count; i++) {
            const vkg__touch *t = &c->touched[i];
            const vkg__gres *r = &g->res[t->res];
            vkg__rws *w = &c->rws[t->res];
            vkg__sub *s = r->is_image ? &w->subs[t->index] : &w->segs[t->index].s;
            vkg__sync_sub(c, k, t, s);
        }
        if (c->oom) return VKG__OOM(&g->host, "compile scratch");
    }
    vkg__consolidate_waits(c);
    return VKG_SUCCESS;
}

