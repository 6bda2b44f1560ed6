/* The executor: one pass per execution, before recording, over the plan's dynamic barriers
 * (vkg__patch). First uses of imported resources get their source side from the tracked
 * state; barriers of imported resources get the handles bound this time; releases by the
 * family that really owns a resource are gathered for the fixup command buffers; and each
 * submission notes which other queues' tickets its imported resources wait for. The
 * recording threads then only record what this pass left in each batch.
 *
 * Runtime ownership. A plan assumes each imported resource is owned by the family of the
 * queue role its declared state names (or, undeclared, by the family of its first use). The
 * tracked state says who really used it last; where that is another family and the contents
 * matter, the executor moves ownership itself: a release recorded on a queue of the owning
 * family (the fixups, submitted before the plan after the last use's ticket) and the
 * acquire in the plan's first use, with a semaphore between them. Both halves come from the
 * same decision on the same tracked state, per subresource, in this one pass, so they always
 * match. */
#include "internal.h"

#include <string.h>

/* The device queue that releases for `family`: the one of the last use when it is of that
 * family (no wait then), else the first of that family; UINT32_MAX when vkgraph has none. */
static uint32_t vkg__release_dq(const vkg_device *dev, uint32_t family, vkg_ticket last)
{
    if (last.value && last.queue < dev->dq_count && dev->dq[last.queue].family == family)
        return last.queue;
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (dev->dq[q].family == family) return q;
    return UINT32_MAX;
}

/* One release, into the realisation's fixup lists. */
static void vkg__fix_release(vkg__real *x, const vkg_plan_barrier *pb, const vkg__track *t,
                             uint32_t dst, uint32_t dq, uint32_t pl, uint32_t m, uint32_t l)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    const vkg__xres *xr = &x->res[pb->resource];
    VkPipelineStageFlags2 src = t->write_stage | t->read_stage;
    if (r->is_image) {
        if (x->fix_ni >= x->bar_cap) return;
        x->fix_idq[x->fix_ni] = (uint8_t)dq;
        x->fix_ib[x->fix_ni++] = (VkImageMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
            .srcStageMask = src ? src : VK_PIPELINE_STAGE_2_NONE,
            .srcAccessMask = t->write_access,
            .oldLayout = t->layout,
            .newLayout = pb->new_layout,
            .srcQueueFamilyIndex = t->family,
            .dstQueueFamilyIndex = dst,
            .image = xr->image,
            .subresourceRange = {vkg__xplane_aspect(xr, pl), pb->base_mip + m, 1, pb->base_layer + l,
                                 1}};
    } else {
        if (x->fix_nb >= x->bar_cap) return;
        x->fix_bdq[x->fix_nb] = (uint8_t)dq;
        x->fix_bb[x->fix_nb++] = (VkBufferMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
            .srcStageMask = src ? src : VK_PIPELINE_STAGE_2_NONE,
            .srcAccessMask = t->write_access,
            .srcQueueFamilyIndex = t->family,
            .dstQueueFamilyIndex = dst,
            .buffer = xr->buffer,
            .offset = pb->offset,
            .size = pb->size};
    }
}

/* Where the pass stands while patching: the batch being filled and the submission that
 * records it. */
typedef struct vkg__patching {
    vkg__batch bt;
    uint32_t s, dq, family;
    VkPipelineStageFlags2 stage_ok; /* the stages its queue family may name */
    vkg__seen *seen;                /* the next subresource's state as last built from */
    bool released;                  /* a release was gathered: build again next time */
    bool waited;                    /* a wait for another queue's ticket was noted */
    vkg_result error;
} vkg__patching;

/* A wait for the ticket of the subresource's last use when that was on another queue. */
static void vkg__note_wait(vkg__real *x, vkg__patching *pt, const vkg__track *t)
{
    if (t->ticket.value && t->ticket.queue != pt->dq) {
        pt->waited = true;
        uint64_t *w = &x->import_wait[pt->s * VKG_QUEUE_ROLE_COUNT + t->ticket.queue];
        if (t->ticket.value > *w) *w = t->ticket.value;
    }
}

/* The release subresource (pl, m, l) of `pb` needs from the family that owns it (an
 * ACQUIRE): gathered for the fixups, with what the release waits for and which submission
 * waits for it. */
static vkg_result vkg__gather_release(vkg_executor *ex, vkg__real *x, const vkg__patching *pt,
                                      const vkg_plan_barrier *pb, const vkg__track *t, uint32_t dst,
                                      uint32_t pl, uint32_t m, uint32_t l)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    uint32_t dq = vkg__release_dq(ex->dev, t->family, t->ticket);
    VKG_CHECK(&ex->host, dq != UINT32_MAX, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_execute(\"%s\"): imported %s \"%s\" was last used on queue family %u, where "
              "vkgraph has no queue to release it from: hand it to one of the device's families "
              "first (or make its contents undefined)",
              x->in.name, r->is_image ? "image" : "buffer", r->name, t->family);
    vkg__fix_release(x, pb, t, dst, dq, pl, m, l);
    x->fix_need[pt->s * VKG_QUEUE_ROLE_COUNT + dq] = true;
    if (t->ticket.value && t->ticket.queue != dq && t->ticket.value > x->fix_wait[dq][t->ticket.queue])
        x->fix_wait[dq][t->ticket.queue] = t->ticket.value;
    return VKG_SUCCESS;
}

/* Subresource (pl, m, l) of the IMPORTED barrier `d` against its tracked state `t`: the
 * barrier it needs now, if any, into the batch; the state it was built from is kept. False
 * on an error (pt->error). */
static bool vkg__patch_sub(vkg_executor *ex, vkg__real *x, vkg__patching *pt, const vkg__dyn *d,
                           const vkg__track *t, uint32_t pl, uint32_t m, uint32_t l)
{
    const vkg_plan_barrier *pb = &x->in.barriers[d->barrier];
    const vkg_plan_resource *r = &x->in.resources[d->res];
    const vkg__xres *xr = &x->res[d->res];
    vkg__note_wait(x, pt, t);
    x->checked++;
    *pt->seen++ = (vkg__seen){t->write_stage, t->read_stage, t->write_access, t->layout, t->family};
    vkg__sides b = vkg__sides_of(pb);
    bool acquire = pb->flags & VKG_BARRIER_ACQUIRE;
    uint32_t dst;
    switch (vkg__import_kind_of(pb, t, pt->family, r->concurrent, &dst)) {
    case VKG__IMPORT_PLANNED: break;
    case VKG__IMPORT_SKIP: return true;
    case VKG__IMPORT_LOCAL:
        /* the user's family owns it already (or its contents go): a plain barrier */
        b.src_family = b.dst_family = VK_QUEUE_FAMILY_IGNORED;
        acquire = false;
        break;
    case VKG__IMPORT_ACQUIRE: {
        pt->error = vkg__gather_release(ex, x, pt, pb, t, dst, pl, m, l);
        if (pt->error != VKG_SUCCESS) return false;
        pt->released = true;
        /* after the fixup release's semaphore, waited for at ALL_COMMANDS */
        b.src_family = t->family;
        b.dst_family = dst;
        b.src_stage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        b.src_access = VK_ACCESS_2_NONE;
        acquire = true;
        break;
    }
    }
    if (!acquire) {
        /* stages another family used it in mean nothing here (and may not be named on this
         * queue): the semaphore wait on its ticket orders them */
        b.src_stage = vkg__stages_within(pt->stage_ok, t->write_stage | t->read_stage);
        b.src_access = t->write_access;
        /* after a binding's wait semaphore (a swapchain acquire): chain to it, so a layout
         * transition waits for the presentation engine */
        if (xr->wait_semaphore) b.src_stage |= xr->wait_stage;
    }
    VkImageLayout old = !r->is_image || (pb->flags & VKG_BARRIER_DISCARD) ? VK_IMAGE_LAYOUT_UNDEFINED
                                                                         : t->layout;
    bool transfer = b.src_family != b.dst_family;
    bool same_layout = !r->is_image || old == pb->new_layout;
    if (!transfer && !b.src_stage && !b.src_access && same_layout)
        return true; /* nothing before it: nothing to order against */
    /* read after reads, with no tracked GPU write to make visible (contents from the host,
     * or only read so far) and no layout change: nothing to order */
    if (!transfer && !acquire && !t->write_stage && !t->write_access &&
        !(b.dst_access & VKG__WRITE_ACCESS) && same_layout)
        return true;
    if (pb->flags & VKG_BARRIER_RELEASE) {
        b.dst_stage = VK_PIPELINE_STAGE_2_NONE;
        b.dst_access = VK_ACCESS_2_NONE;
    }
    vkg__emit_as(x, &pt->bt, pb, &b, old,
                 (VkImageSubresourceRange){r->is_image ? vkg__xplane_aspect(xr, pl) : 0,
                                           pb->base_mip + m, 1, pb->base_layer + l, 1});
    return true;
}

/* Whether subresource (pl, m, l) of `d` is in the state its barrier was last built from
 * (noting the wait for its last use either way). */
static inline bool vkg__same_sub(vkg_executor *ex, vkg__real *x, vkg__patching *pt,
                                 const vkg__dyn *d, const vkg__track *t, uint32_t pl, uint32_t m,
                                 uint32_t l)
{
    (void)ex, (void)d, (void)pl, (void)m, (void)l;
    vkg__note_wait(x, pt, t);
    x->checked++;
    const vkg__seen *s = pt->seen++;
    return t->write_stage == s->write_stage && t->read_stage == s->read_stage &&
           t->write_access == s->write_access && t->layout == s->layout && t->family == s->family;
}

typedef bool (*vkg__sub_fn)(vkg_executor *ex, vkg__real *x, vkg__patching *pt, const vkg__dyn *d,
                            const vkg__track *t, uint32_t pl, uint32_t m, uint32_t l);

/* `fn` on each tracked subresource of the IMPORTED barrier `d`, in one order, until it
 * returns false. (Always inlined, so that each caller's `fn` is inlined into it: this runs
 * for every imported resource every execution.) */
__attribute__((always_inline)) static inline bool
vkg__each_sub(vkg_executor *ex, vkg__real *x, vkg__patching *pt, const vkg__dyn *d, vkg__sub_fn fn)
{
    const vkg__xres *xr = &x->res[d->res];
    if (!xr->is_image) return fn(ex, x, pt, d, x->track[d->res], 0, 0, 0);
    const vkg_plan_barrier *pb = &x->in.barriers[d->barrier];
    uint32_t p0, np;
    vkg__aspect_planes(xr, pb->aspect, &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
        for (uint32_t m = 0; m < pb->mip_count; m++)
            for (uint32_t l = 0; l < pb->layer_count; l++)
                if (!fn(ex, x, pt, d, vkg__track_at(x, d->res, pl, pb->base_mip + m, pb->base_layer + l), pl,
                        m, l))
                    return false;
    return true;
}

/* Whether what the last patch built for batch `p` stands: no resource of its dynamic
 * barriers bound anew, every imported subresource in the state it was built from (the
 * patched barriers are a function of those alone). Notes the waits as it goes. */
static bool vkg__batch_stands(vkg_executor *ex, vkg__real *x, vkg__patching *pt, const vkg__prep *p)
{
    if (!p->kept) return false;
    for (uint32_t i = 0; i < p->dynamic; i++) {
        const vkg__dyn *d = &x->dyn[p->dyn_first + i];
        if (x->res[d->res].bound_at == x->execution) return false;
        if (d->imported && !vkg__each_sub(ex, x, pt, d, vkg__same_sub)) return false;
    }
    return true;
}

/* One batch's dynamic barriers, after its static ones: kept from the last execution where
 * nothing they depend on changed, else built. */
static vkg_result vkg__patch_batch(vkg_executor *ex, vkg__real *x, vkg__prep *p)
{
    const vkg_plan_info *in = &x->in;
    uint32_t queue = in->submissions[p->submission].queue;
    vkg__patching pt = {.s = p->submission,
                        .dq = x->dq_of_queue[queue],
                        .seen = x->seen + p->seen_first};
    if (vkg__batch_stands(ex, x, &pt, p)) {
        p->quiet = !pt.waited;
        return VKG_SUCCESS;
    }
    p->kept = false;
    pt.waited = false;
    pt.bt = (vkg__batch){(VkImageMemoryBarrier2 *)p->dep.pImageMemoryBarriers,
                         (VkBufferMemoryBarrier2 *)p->dep.pBufferMemoryBarriers,
                         p->static_ni, p->static_nb, p->ni_cap, p->nb_cap};
    pt.family = in->queues[queue].family;
    pt.stage_ok = vkg__family_stage_mask(ex->dev, pt.family);
    pt.seen = x->seen + p->seen_first;
    for (uint32_t i = 0; i < p->dynamic; i++) {
        const vkg__dyn *d = &x->dyn[p->dyn_first + i];
        if (d->imported) {
            if (!vkg__each_sub(ex, x, &pt, d, vkg__patch_sub)) return pt.error;
        } else {
            const vkg_plan_barrier *b = &in->barriers[d->barrier];
            vkg__emit(x, &pt.bt, b);
        }
    }
    p->dep.imageMemoryBarrierCount = pt.bt.ni;
    p->dep.bufferMemoryBarrierCount = pt.bt.nb;
    /* releases are gathered afresh each execution: a batch that needed one is built again */
    p->kept = !pt.released;
    p->quiet = !pt.waited;
    return VKG_SUCCESS;
}

/* Asks for the tracked states of a batch's resources ahead of their turn: they live in the
 * device's records, one cache line each, and are the loop's only scattered reads. */
static void vkg__prefetch_batch(const vkg__real *x, const vkg__prep *p)
{
    for (uint32_t i = 0; i < p->dynamic; i++)
        __builtin_prefetch(x->track[x->dyn[p->dyn_first + i].res]);
}

/* Whether the kept batches may be trusted without looking at a tracked state: no state
 * changed since the last patch began (the device's count of changes is where it was then),
 * and this execution bound nothing anew but history resources. Notes the count for the next
 * execution. */
static bool vkg__patch_trusted(vkg_executor *ex, vkg__real *x)
{
    uint64_t changes = atomic_load_explicit(&ex->dev->track_changes, memory_order_acquire);
    bool trusted = x->patched && changes == x->changes_seen && x->rebound_at != x->execution;
    x->changes_seen = changes;
    x->patched = true;
    return x->trusted = trusted;
}

/* Whether batch `p` stands as is without a look: `trusted` (no tracked state changed since
 * the last patch checked it, no resource bound anew but history ones), kept, waiting for no
 * other queue, and without history resources. */
static bool vkg__batch_trusted(const vkg__prep *p, bool trusted)
{
    return trusted && p->kept && p->quiet && !p->history;
}

/* Before the first tracked state is read: every ticket left unwritten is written. */
static void vkg__patch_settle(vkg_executor *ex, bool *settled)
{
    if (*settled) return;
    pthread_mutex_lock(&ex->dev->lock);
    vkg__tracks_settle(ex->dev);
    pthread_mutex_unlock(&ex->dev->lock);
    *settled = true;
}

vkg_result vkg__patch(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    bool trusted = vkg__patch_trusted(ex, x), settled = false;
    x->checked = 0;
    x->fix_ni = x->fix_nb = 0;
    memset(x->fix_wait, 0, sizeof x->fix_wait);
    memset(x->fix_value, 0, sizeof x->fix_value);
    memset(x->fix_need, 0, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT);
    memset(x->import_wait, 0, sizeof *x->import_wait * in->submission_count * VKG_QUEUE_ROLE_COUNT);
    for (uint32_t i = 0; i < x->ndyn_preps; i++) {
        if (vkg__batch_trusted(x->dyn_preps[i], trusted)) continue;
        vkg__patch_settle(ex, &settled);
        if (i + 2 < x->ndyn_preps) vkg__prefetch_batch(x, x->dyn_preps[i + 2]);
        vkg_result res = vkg__patch_batch(ex, x, x->dyn_preps[i]);
        if (res != VKG_SUCCESS) {
            x->patched = false; /* the batches after it were not checked: check all next time */
            return res;
        }
    }
    return VKG_SUCCESS;
}
