/* The executor: barriers (prepared at realisation, patched for imported resources at
 * record time) and command buffers, on the recording threads. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Recording
 * ---------------------------------------------------------------------------------------- */

/* Barrier structures being gathered for one vkCmdPipelineBarrier2 / event. */
typedef struct vkg__batch {
    VkImageMemoryBarrier2 *ib;
    VkBufferMemoryBarrier2 *bb;
    uint32_t ni, nb, cap;
    vkg_result *error;
} vkg__batch;

static vkg__batch vkg__scratch_batch(vkg__real *x, vkg__scratch *sc)
{
    return (vkg__batch){sc->ib, sc->bb, 0, 0, x->bar_cap, &sc->error};
}

static void vkg__emit(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b,
                      VkImageLayout old_layout, uint32_t mip, uint32_t mips, uint32_t layer,
                      uint32_t layers)
{
    const vkg__xres *xr = &x->res[b->resource];
    if (x->in.resources[b->resource].is_image) {
        if (bt->ni >= bt->cap) return;
        bt->ib[bt->ni++] = (VkImageMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
            .srcStageMask = b->src_stage,
            .srcAccessMask = b->src_access,
            .dstStageMask = b->dst_stage,
            .dstAccessMask = b->dst_access,
            .oldLayout = old_layout,
            .newLayout = b->new_layout,
            .srcQueueFamilyIndex = b->src_family,
            .dstQueueFamilyIndex = b->dst_family,
            .image = xr->image,
            .subresourceRange = {b->aspect ? b->aspect : xr->aspect, mip, mips, layer, layers}};
    } else {
        if (bt->nb >= bt->cap) return;
        bt->bb[bt->nb++] = (VkBufferMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                                   .srcStageMask = b->src_stage,
                                                   .srcAccessMask = b->src_access,
                                                   .dstStageMask = b->dst_stage,
                                                   .dstAccessMask = b->dst_access,
                                                   .srcQueueFamilyIndex = b->src_family,
                                                   .dstQueueFamilyIndex = b->dst_family,
                                                   .buffer = xr->buffer,
                                                   .offset = b->offset,
                                                   .size = b->size};
    }
}

/* Runtime ownership. A plan assumes each imported resource is owned by the family of the
 * queue role its declared state names (or, undeclared, by the family of its first use). The
 * tracked state says who really used it last; where that is another family and the contents
 * matter, the executor moves ownership itself: a release recorded on a queue of the owning
 * family (vkg__fixups, submitted before the plan after the last use's ticket) and the acquire
 * in the plan's first use, with a semaphore between them. Both halves come from the same
 * decision on the same tracked state, per subresource, so they always match. */

/* A barrier flagged IMPORTED: its source side comes from the tracked state. */
static void vkg__emit_imported(vkg_executor *ex, vkg__real *x, vkg__batch *bt,
                               const vkg_plan_barrier *pb, uint32_t family)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    const vkg__xres *xr = &x->res[pb->resource];
    uint32_t mips = r->is_image ? pb->mip_count : 1, layers = r->is_image ? pb->layer_count : 1;
    uint32_t p0 = 0, np = 1;
    if (r->is_image) vkg__aspect_planes(xr, pb->aspect, &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
    for (uint32_t m = 0; m < mips; m++)
        for (uint32_t l = 0; l < layers; l++) {
            const vkg__track *t = vkg__import_track(x, pb, pl, m, l);
            vkg_plan_barrier b = *pb;
            b.aspect = r->is_image ? vkg__xplane_aspect(xr, pl) : 0;
            bool acquire = pb->flags & VKG_BARRIER_ACQUIRE;
            uint32_t dst;
            switch (vkg__import_kind_of(pb, t, family, r->concurrent, &dst)) {
            case VKG__IMPORT_PLANNED: break;
            case VKG__IMPORT_SKIP: continue;
            case VKG__IMPORT_LOCAL:
                /* the user's family owns it already (or its contents go): a plain barrier */
                b.src_family = b.dst_family = VK_QUEUE_FAMILY_IGNORED;
                b.flags &= ~(uint32_t)VKG_BARRIER_ACQUIRE;
                acquire = false;
                break;
            case VKG__IMPORT_ACQUIRE:
                /* after the fixup release's semaphore, waited for at ALL_COMMANDS */
                b.src_family = t->family;
                b.dst_family = dst;
                b.src_stage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
                b.src_access = VK_ACCESS_2_NONE;
                b.flags |= VKG_BARRIER_ACQUIRE;
                acquire = true;
                break;
            }
            if (!acquire) {
                /* stages another family used it in mean nothing here (and may not be named
                 * on this queue): the semaphore wait on its ticket orders them */
                b.src_stage = vkg__family_stages(ex->dev, family, t->write_stage | t->read_stage);
                b.src_access = t->write_access;
                /* after a binding's wait semaphore (a swapchain acquire): chain to it, so a
                 * layout transition waits for the presentation engine */
                if (xr->wait_semaphore) b.src_stage |= xr->wait_stage;
            }
            VkImageLayout old = (pb->flags & VKG_BARRIER_DISCARD) ? VK_IMAGE_LAYOUT_UNDEFINED
                                                                   : t->layout;
            if (!r->is_image) old = VK_IMAGE_LAYOUT_UNDEFINED;
            bool transfer = b.src_family != b.dst_family;
            if (!transfer && !b.src_stage && !b.src_access && (!r->is_image || old == b.new_layout))
                continue; /* nothing before it: nothing to order against */
            /* read after reads, with no tracked GPU write to make visible (contents from the
             * host, or only read so far) and no layout change: nothing to order */
            if (!transfer && !acquire && !t->write_stage && !t->write_access &&
                !(b.dst_access & VKG__WRITE_ACCESS) && (!r->is_image || old == b.new_layout))
                continue;
            if (!transfer && !b.src_stage) b.src_stage = VK_PIPELINE_STAGE_2_NONE;
            if (pb->flags & VKG_BARRIER_RELEASE) {
                b.dst_stage = VK_PIPELINE_STAGE_2_NONE;
                b.dst_access = VK_ACCESS_2_NONE;
            }
            vkg__emit(x, bt, &b, old, r->is_image ? pb->base_mip + m : 0, 1,
                      r->is_image ? pb->base_layer + l : 0, 1);
        }
}

/* Whether every subresource of an imported image use is, by its tracked state, untouched
 * (undefined layout, no GPU access yet): a new image whose contents need not be loaded. */
bool vkg__contents_undefined(const vkg__real *x, const vkg_plan_use *u)
{
    const vkg_plan_resource *r = &x->in.resources[u->resource];
    const vkg__xres *xr = &x->res[u->resource];
    if (!r->is_image || !xr->track) return false;
    uint32_t p0, np;
    vkg__aspect_planes(xr, vkg__use_aspect(u, xr), &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
        for (uint32_t m = 0; m < u->mip_count; m++)
            for (uint32_t l = 0; l < u->layer_count; l++) {
                const vkg__track *t = vkg__track_at(r, xr, pl, u->base_mip + m, u->base_layer + l);
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

/* Prepares a batch at realisation: the foldable barriers become one VkMemoryBarrier2, the
 * other static ones their buffer / image barriers, all in the realisation's arrays. */
void vkg__prepare(vkg_executor *ex, vkg__real *x, uint32_t first, uint32_t count,
                         vkg__prep *p)
{
    *p = (vkg__prep){.dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO},
                     .first = first,
                     .count = count};
    VkMemoryBarrier2 m = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    bool fold = false;
    vkg_result unused = VKG_SUCCESS;
    vkg__batch bt = {x->pib + x->npib, x->pbb + x->npbb, 0, 0, x->in.barrier_count - x->npib,
                     &unused};
    uint32_t bcap = x->in.barrier_count - x->npbb;
    for (uint32_t i = 0; i < count; i++) {
        const vkg_plan_barrier *b = &x->in.barriers[first + i];
        if (first + i + 1 == ex->drop) continue;
        if (vkg__dynamic(x, b)) {
            p->dynamic++;
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
        bt.cap = x->in.resources[b->resource].is_image ? x->in.barrier_count - x->npib : bcap;
        vkg__emit(x, &bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer,
                  b->layer_count);
    }
    if (fold) {
        x->pmb[x->npmb] = m;
        p->dep.memoryBarrierCount = 1;
        p->dep.pMemoryBarriers = &x->pmb[x->npmb++];
    }
    p->dep.imageMemoryBarrierCount = bt.ni;
    p->dep.pImageMemoryBarriers = bt.ni ? bt.ib : NULL;
    p->dep.bufferMemoryBarrierCount = bt.nb;
    p->dep.pBufferMemoryBarriers = bt.nb ? bt.bb : NULL;
    x->npib += bt.ni;
    x->npbb += bt.nb;
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

/* Every batch of the plan: prologues, and before and after each pass. Run again, over the
 * same arrays, when a heap's tenants change. */
void vkg__prepare_all(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    x->npmb = x->npib = x->npbb = 0;
    for (uint32_t s = 0; s < in->submission_count; s++)
        vkg__prepare(ex, x, in->submissions[s].first_prologue, in->submissions[s].prologue_count,
                     &x->prol[s]);
    for (uint32_t k = 0; k < in->pass_count; k++) {
        vkg__prepare(ex, x, in->passes[k].first_barrier, in->passes[k].barrier_count, &x->pre[k]);
        vkg__prepare(ex, x, in->passes[k].first_post, in->passes[k].post_count, &x->post[k]);
        if (in->passes[k].after_barrier) vkg__order_after_barrier(x, &x->pre[k]);
    }
    x->reprepare = false;
}

/* Records a prepared batch; when it has dynamic barriers, they join a copy of the prepared
 * part in the thread's scratch. */
static void vkg__barriers(vkg_executor *ex, vkg__real *x, vkg__scratch *sc, VkCommandBuffer cmd,
                          const vkg__prep *p, uint32_t family)
{
    VkDependencyInfo dep = p->dep;
    if (p->dynamic) {
        vkg__batch bt = vkg__scratch_batch(x, sc);
        memcpy(sc->ib, p->dep.pImageMemoryBarriers ? p->dep.pImageMemoryBarriers : sc->ib,
               sizeof *sc->ib * p->dep.imageMemoryBarrierCount);
        memcpy(sc->bb, p->dep.pBufferMemoryBarriers ? p->dep.pBufferMemoryBarriers : sc->bb,
               sizeof *sc->bb * p->dep.bufferMemoryBarrierCount);
        bt.ni = p->dep.imageMemoryBarrierCount;
        bt.nb = p->dep.bufferMemoryBarrierCount;
        for (uint32_t i = 0; i < p->count; i++) {
            const vkg_plan_barrier *b = &x->in.barriers[p->first + i];
            if (p->first + i + 1 == ex->drop || !vkg__dynamic(x, b)) continue;
            if (b->flags & VKG_BARRIER_IMPORTED) vkg__emit_imported(ex, x, &bt, b, family);
            else vkg__emit(x, &bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer,
                           b->layer_count);
        }
        dep.imageMemoryBarrierCount = bt.ni;
        dep.pImageMemoryBarriers = sc->ib;
        dep.bufferMemoryBarrierCount = bt.nb;
        dep.pBufferMemoryBarriers = sc->bb;
    }
    uint32_t n = dep.memoryBarrierCount + dep.imageMemoryBarrierCount + dep.bufferMemoryBarrierCount;
    if (n) {
        ex->dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
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
        vkg__emit(x, bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer, b->layer_count);
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
    const vkg_plan_queue *pq = &in->queues[sub->queue];
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
        vkg__barriers(ex, x, sc, cmd, &x->prol[ch->submission], pq->family);
    }
    for (uint32_t i = ch->first; i < ch->first + ch->count; i++) {
        uint32_t k = in->queue_passes[sub->first_pass + i];
        const vkg_plan_pass *p = &in->passes[k];
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
        vkg__barriers(ex, x, sc, cmd, &x->pre[k], pq->family);
        if (p->record) {
            vkg_pass_context ctx = {ex, x, k, cmd, ch->thread};
            vkg__stamp(ex, x, cmd, k, 0);
            p->record(&ctx, p->user);
            vkg__stamp(ex, x, cmd, k, 1);
        }
        vkg__crumb(ex, x, cmd, k, 1);
        vkg__barriers(ex, x, sc, cmd, &x->post[k], pq->family);
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
