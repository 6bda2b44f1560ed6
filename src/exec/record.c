/* The executor: barriers (prepared at realisation, patched for imported resources at
 * record time) and command buffers, on the recording threads. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Recording
 * ---------------------------------------------------------------------------------------- */

static vkg__batch vkg__scratch_batch(vkg__real *x, vkg__scratch *sc)
{
    return (vkg__batch){sc->ib, sc->bb, 0, 0, x->bar_cap, x->bar_cap};
}

/* Barrier `b` with sides `sd`, old layout `old` and image range `range` (aspect 0: the
 * image's), into the batch (dropped, never overrun, when full: the realisation sized every
 * batch for its worst case). */
void vkg__emit_as(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b, const vkg__sides *sd,
                  VkImageLayout old, VkImageSubresourceRange range)
{
    const vkg__xres *xr = &x->res[b->resource];
    if (x->in.resources[b->resource].is_image) {
        if (bt->ni >= bt->icap) return;
        if (!range.aspectMask) range.aspectMask = xr->aspect;
        bt->ib[bt->ni++] = (VkImageMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                                                  .srcStageMask = sd->src_stage,
                                                  .srcAccessMask = sd->src_access,
                                                  .dstStageMask = sd->dst_stage,
                                                  .dstAccessMask = sd->dst_access,
                                                  .oldLayout = old,
                                                  .newLayout = b->new_layout,
                                                  .srcQueueFamilyIndex = sd->src_family,
                                                  .dstQueueFamilyIndex = sd->dst_family,
                                                  .image = xr->image,
                                                  .subresourceRange = range};
    } else {
        if (bt->nb >= bt->bcap) return;
        bt->bb[bt->nb++] = (VkBufferMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                                   .srcStageMask = sd->src_stage,
                                                   .srcAccessMask = sd->src_access,
                                                   .dstStageMask = sd->dst_stage,
                                                   .dstAccessMask = sd->dst_access,
                                                   .srcQueueFamilyIndex = sd->src_family,
                                                   .dstQueueFamilyIndex = sd->dst_family,
                                                   .buffer = xr->buffer,
                                                   .offset = b->offset,
                                                   .size = b->size};
    }
}

/* Plan barrier `b` as planned, over its whole range. */
void vkg__emit(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b)
{
    vkg__sides sd = vkg__sides_of(b);
    vkg__emit_as(x, bt, b, &sd, b->old_layout,
                 (VkImageSubresourceRange){b->aspect, b->base_mip, b->mip_count, b->base_layer,
                                           b->layer_count});
}

/* Whether every subresource of an imported image use is, by its tracked state, untouched
 * (undefined layout, no GPU access yet): a new image whose contents need not be loaded. */
bool vkg__contents_undefined(const vkg__real *x, const vkg_plan_use *u)
{
    const vkg_plan_resource *r = &x->in.resources[u->resource];
    const vkg__xres *xr = &x->res[u->resource];
    if (!r->is_image || !x->track[u->resource]) return false;
    uint32_t p0, np;
    vkg__aspect_planes(xr, vkg__use_aspect(u, xr), &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
        for (uint32_t m = 0; m < u->mip_count; m++)
            for (uint32_t l = 0; l < u->layer_count; l++) {
                const vkg__track *t = vkg__track_at(x, u->resource, pl, u->base_mip + m, u->base_layer + l);
                if (t->write_stage || t->read_stage || t->layout != VK_IMAGE_LAYOUT_UNDEFINED)
                    return false;
            }
    return true;
}

/* Whether a plan barrier can join the batch's one global VkMemoryBarrier2: no layout
 * transition and no queue-family transfer, so its range adds nothing. Execution and memory
 * dependencies then hold for every resource, a superset of what each barrier asked for; the
 * batch costs one structure, however many resources it orders (a chain of aliased transients
 * needs both a read-after-write and the alias's write-after-write in every pass). */
static bool vkg__foldable(const vkg__real *x, const vkg_plan_barrier *b)
{
    const vkg_plan_resource *r = &x->in.resources[b->resource];
    return !(b->flags & (VKG_BARRIER_IMPORTED | VKG_BARRIER_SPLIT)) &&
           b->src_family == b->dst_family && (!r->is_image || b->old_layout == b->new_layout);
}

/* Barriers built when recorded: first uses of imported resources (patched from the tracked
 * state) and unfoldable barriers of imported resources (their handles follow the binding). */
static bool vkg__dynamic(const vkg__real *x, const vkg_plan_barrier *b)
{
    if (b->flags & VKG_BARRIER_IMPORTED) return true;
    return x->in.resources[b->resource].imported && !vkg__foldable(x, b);
}

/* Room a dynamic barrier may need in its batch: an imported image's first use becomes one
 * barrier per subresource (and plane), anything else one. */
static uint32_t vkg__dynamic_room(const vkg__real *x, const vkg_plan_barrier *b)
{
    if (!x->in.resources[b->resource].is_image || !(b->flags & VKG_BARRIER_IMPORTED)) return 1;
    return 2 * b->mip_count * b->layer_count;
}

/* Prepares a batch at realisation, for submission `s`: the foldable barriers become one
 * VkMemoryBarrier2, the other static ones their buffer / image barriers, at the start of the
 * batch's ranges of the realisation's arrays; dynamic ones are listed, with room left after
 * the static ones for what vkg__patch builds of them. */
void vkg__prepare(vkg_executor *ex, vkg__real *x, uint32_t first, uint32_t count, uint32_t s,
                  vkg__prep *p)
{
    *p = (vkg__prep){.dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO},
                     .first = first,
                     .count = count,
                     .dyn_first = x->ndyn,
                     .submission = s,
                     .seen_first = x->nseen};
    VkMemoryBarrier2 m = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    bool fold = false;
    vkg__batch bt = {x->pib + x->npib, x->pbb + x->npbb, 0, 0, x->bar_cap - x->npib,
                     x->bar_cap - x->npbb};
    uint32_t iroom = 0, broom = 0; /* for the dynamic ones */
    for (uint32_t i = 0; i < count; i++) {
        const vkg_plan_barrier *b = &x->in.barriers[first + i];
        if (first + i + 1 == ex->drop) continue;
        if (vkg__dynamic(x, b)) {
            bool imported = b->flags & VKG_BARRIER_IMPORTED;
            x->dyn[x->ndyn++] = (vkg__dyn){first + i, b->resource, imported};
            p->history |= x->in.resources[b->resource].history;
            if (imported) x->nseen += vkg__dynamic_room(x, b);
            p->dynamic++;
            if (x->in.resources[b->resource].is_image) iroom += vkg__dynamic_room(x, b);
            else broom++;
            continue;
        }
        vkg_plan_barrier chained;
        const vkg_plan_resource *r = &x->in.resources[b->resource];
        if (r->is_image && !r->imported && r->heap != UINT32_MAX && !b->src_stage &&
            x->heaps[r->heap]->tenants > 1) {
            /* the first use of memory another plan also uses: chain the layout transition
             * after the hand-over barrier (whose second scope holds every stage this plan
             * uses on the heap) */
            chained = *b;
            chained.src_stage = b->dst_stage;
            b = &chained;
        }
        if (vkg__foldable(x, b)) {
            m.srcStageMask |= b->src_stage;
            m.srcAccessMask |= b->src_access;
            m.dstStageMask |= b->dst_stage;
            m.dstAccessMask |= b->dst_access;
            fold = true;
            continue;
        }
        vkg__emit(x, &bt, b);
    }
    if (fold) {
        x->pmb[x->npmb] = m;
        p->dep.memoryBarrierCount = 1;
        p->dep.pMemoryBarriers = &x->pmb[x->npmb++];
    }
    p->static_ni = p->dep.imageMemoryBarrierCount = bt.ni;
    p->dep.pImageMemoryBarriers = bt.ni || iroom ? bt.ib : NULL;
    p->static_nb = p->dep.bufferMemoryBarrierCount = bt.nb;
    p->dep.pBufferMemoryBarriers = bt.nb || broom ? bt.bb : NULL;
    p->ni_cap = bt.ni + iroom;
    p->nb_cap = bt.nb + broom;
    x->npib += p->ni_cap;
    x->npbb += p->nb_cap;
    if (p->dynamic) x->dyn_preps[x->ndyn_preps++] = p;
}

/* An ordering dependency on an earlier pass of this queue (vkg_pass_desc.after): everything
 * before, all memory, joins the batch's global barrier (each batch has at most one, so the
 * array sized one per batch holds it). */
static void vkg__order_after_barrier(vkg__real *x, vkg__prep *p)
{
    VkMemoryBarrier2 *m;
    if (p->dep.memoryBarrierCount) {
        m = (VkMemoryBarrier2 *)p->dep.pMemoryBarriers;
    } else {
        m = &x->pmb[x->npmb++];
        *m = (VkMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
        p->dep.memoryBarrierCount = 1;
        p->dep.pMemoryBarriers = m;
    }
    m->srcStageMask |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    m->srcAccessMask |= VK_ACCESS_2_MEMORY_WRITE_BIT;
    m->dstStageMask |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    m->dstAccessMask |= VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
}

/* A batch that never holds a barrier: nothing prepared, nothing built per execution. */
static bool vkg__batch_empty(const vkg__prep *p)
{
    return !p->dynamic && !p->dep.memoryBarrierCount && !p->dep.imageMemoryBarrierCount &&
           !p->dep.bufferMemoryBarrierCount;
}

/* Every batch of the plan: prologues, and before and after each pass. Run again, over the
 * same arrays, when a heap's tenants change. */
void vkg__prepare_all(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    x->npmb = x->npib = x->npbb = x->ndyn = x->nseen = x->ndyn_preps = 0;
    for (uint32_t s = 0; s < in->submission_count; s++)
        vkg__prepare(ex, x, in->submissions[s].first_prologue, in->submissions[s].prologue_count,
                     s, &x->prol[s]);
    for (uint32_t k = 0; k < in->pass_count; k++) {
        uint32_t s = in->passes[k].submission;
        vkg__prepare(ex, x, in->passes[k].first_barrier, in->passes[k].barrier_count, s,
                     &x->pre[k]);
        vkg__prepare(ex, x, in->passes[k].first_post, in->passes[k].post_count, s, &x->post[k]);
        if (in->passes[k].after_barrier) vkg__order_after_barrier(x, &x->pre[k]);
        const vkg_plan_pass *p = &in->passes[k];
        x->rpass[k] = (vkg__rpass){.record = p->record,
                                   .user = p->user,
                                   .pre = vkg__batch_empty(&x->pre[k]) ? NULL : &x->pre[k],
                                   .post = vkg__batch_empty(&x->post[k]) ? NULL : &x->post[k],
                                   .first_wait_event = p->first_wait_event,
                                   .wait_event_count = p->wait_event_count,
                                   .first_set_event = p->first_set_event,
                                   .set_event_count = p->set_event_count};
    }
    x->reprepare = false;
}

/* Records a prepared batch (its dynamic barriers already built by vkg__patch). */
static void vkg__barriers(vkg_executor *ex, vkg__scratch *sc, VkCommandBuffer cmd,
                          const vkg__prep *p)
{
    uint32_t n = p->dep.memoryBarrierCount + p->dep.imageMemoryBarrierCount +
                 p->dep.bufferMemoryBarrierCount;
    if (n) {
        ex->dev->vk.vkCmdPipelineBarrier2(cmd, &p->dep);
        sc->barriers += n;
        sc->barrier_calls++;
    }
}

/* The dependency info of a split barrier's event; set and wait must give the same one, so
 * both build it from the plan's barriers alone (split barriers are never IMPORTED). */
static VkDependencyInfo vkg__event_dep(vkg__real *x, uint32_t e, vkg__batch *bt)
{
    const vkg_plan_event *ev = &x->in.events[e];
    uint32_t ni0 = bt->ni, nb0 = bt->nb;
    for (uint32_t i = 0; i < ev->barrier_count; i++) {
        const vkg_plan_barrier *b = &x->in.barriers[ev->first_barrier + i];
        vkg__emit(x, bt, b);
    }
    return (VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                              .bufferMemoryBarrierCount = bt->nb - nb0,
                              .pBufferMemoryBarriers = bt->bb + nb0,
                              .imageMemoryBarrierCount = bt->ni - ni0,
                              .pImageMemoryBarriers = bt->ib + ni0};
}

static vkg_result vkg__record(vkg_executor *ex, vkg__real *x, const vkg__chunk *ch)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    const vkg_plan_submission *sub = &in->submissions[ch->submission];
    vkg__scratch *sc = &x->scratch[ch->thread];
    VkCommandBuffer cmd = ch->cmd;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult vr = dev->vk.vkBeginCommandBuffer(cmd, &bi);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkBeginCommandBuffer", in->name);
    vkg__crumbs_chunk(ex, x, cmd);
    if (ch->first == 0) {
        const VkMemoryBarrier2 *h = &x->handoff[ch->submission];
        if (h->dstStageMask) {
            /* transient memory another plan used last: after its accesses */
            VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                    .memoryBarrierCount = 1,
                                    .pMemoryBarriers = h};
            dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
            sc->barriers++;
            sc->barrier_calls++;
        }
        vkg__barriers(ex, sc, cmd, &x->prol[ch->submission]);
    }
    for (uint32_t i = ch->first; i < ch->first + ch->count; i++) {
        uint32_t k = in->queue_passes[sub->first_pass + i];
        const vkg__rpass *p = &x->rpass[k];
        vkg__crumb(ex, x, cmd, k, 0);
        if (p->wait_event_count) {
            vkg__batch bt = vkg__scratch_batch(x, sc);
            for (uint32_t e = 0; e < p->wait_event_count && e < x->dep_cap; e++) {
                uint32_t ev = in->wait_events[p->first_wait_event + e];
                sc->deps[e] = vkg__event_dep(x, ev, &bt);
                sc->wait_events[e] = x->events[ev];
            }
            dev->vk.vkCmdWaitEvents2(cmd, p->wait_event_count, sc->wait_events, sc->deps);
        }
        if (p->pre) vkg__barriers(ex, sc, cmd, p->pre);
        if (p->record) {
            vkg_pass_context ctx = {ex, x, k, cmd, ch->thread};
            vkg__stamp(ex, x, cmd, k, 0);
            p->record(&ctx, p->user);
            vkg__stamp(ex, x, cmd, k, 1);
        }
        vkg__crumb(ex, x, cmd, k, 1);
        if (p->post) vkg__barriers(ex, sc, cmd, p->post);
        for (uint32_t e = 0; e < p->set_event_count; e++) {
            vkg__batch bt = vkg__scratch_batch(x, sc);
            VkDependencyInfo dep = vkg__event_dep(x, p->first_set_event + e, &bt);
            dev->vk.vkCmdSetEvent2(cmd, x->events[p->first_set_event + e], &dep);
        }
    }
    vr = dev->vk.vkEndCommandBuffer(cmd);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkEndCommandBuffer", in->name);
    return VKG_SUCCESS;
}

/* A thread's first recording in a frame resets its pools of the slot (their command
 * buffers' last submissions are done: the frame began by waiting for the slot). */
vkg_result vkg__pools_fresh(vkg_executor *ex, const vkg__real *x, uint32_t t)
{
    vkg__slot *slot = &ex->slots[x->slot];
    if (slot->reset[t] == ex->frame + 1) return VKG_SUCCESS;
    vkg_device *dev = ex->dev;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        VkResult vr =
            dev->vk.vkResetCommandPool(dev->device, slot->pools[t * VKG_QUEUE_ROLE_COUNT + q], 0);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkResetCommandPool", x->in.name);
    }
    slot->reset[t] = ex->frame + 1;
    return VKG_SUCCESS;
}

/* One recording thread's share of an execution: reset its pools for the slot (every
 * command buffer in them belongs to work the slot wait saw finish), then record its chunks
 * in order. */


void vkg__record_thread(void *user, uint32_t t)
{
    const vkg__record_job *job = user;
    vkg_executor *ex = job->ex;
    vkg__real *x = job->x;
    vkg__scratch *sc = &x->scratch[t];
    sc->error = VKG_SUCCESS;
    /* a thread's first recording in a frame resets its pools of the slot (their command
     * buffers' last submissions are done: the frame began by waiting for the slot) */
    sc->error = vkg__pools_fresh(ex, x, t);
    if (sc->error != VKG_SUCCESS) return;
    for (uint32_t c = t; c < x->chunk_count; c += ex->threads) {
        vkg_result r = vkg__record(ex, x, &x->chunks[c]);
        if (r != VKG_SUCCESS && sc->error == VKG_SUCCESS) sc->error = r;
    }
}
