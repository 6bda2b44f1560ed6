/* The executor: queue-family ownership of imported resources at run time (the releases by
 * the family that really owns them, which vkg__patch gathers, recorded into fixup command
 * buffers and submitted), the join of an execution's queues, and imported resources'
 * tracked state after a submission. */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Runtime ownership: the releases vkg__patch gathered, recorded and submitted before the plan
 * ---------------------------------------------------------------------------------------- */

/* Records each device queue's releases into its fixup command buffer (thread 0's pool, after
 * the recording threads are done with it). */
vkg_result vkg__fixups_record(vkg_executor *ex, vkg__real *x, bool *used)
{
    vkg_device *dev = ex->dev;
    vkg__scratch *sc = &x->scratch[0];
    if (!x->fix_ni && !x->fix_nb) return VKG_SUCCESS;
    vkg_result r = vkg__pools_fresh(ex, x, 0);
    for (uint32_t q = 0; q < dev->dq_count && r == VKG_SUCCESS; q++) {
        VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                .pImageMemoryBarriers = sc->ib,
                                .pBufferMemoryBarriers = sc->bb};
        for (uint32_t i = 0; i < x->fix_ni; i++)
            if (x->fix_idq[i] == q) sc->ib[dep.imageMemoryBarrierCount++] = x->fix_ib[i];
        for (uint32_t i = 0; i < x->fix_nb; i++)
            if (x->fix_bdq[i] == q) sc->bb[dep.bufferMemoryBarrierCount++] = x->fix_bb[i];
        if (!dep.imageMemoryBarrierCount && !dep.bufferMemoryBarrierCount) continue;
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        VkResult vr = dev->vk.vkBeginCommandBuffer(x->fix_cmd[q], &bi);
        if (vr == VK_SUCCESS) {
            dev->vk.vkCmdPipelineBarrier2(x->fix_cmd[q], &dep);
            vr = dev->vk.vkEndCommandBuffer(x->fix_cmd[q]);
        }
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "recording an ownership release", x->in.name);
        used[q] = true;
        x->fix_value[q] = 1; /* submitted: the value is set under the queue lock */
    }
    return r;
}

/* Submits the fixup releases (under the queue locks), each after the last uses it releases. */
vkg_result vkg__fixups_submit(vkg_executor *ex, vkg__real *x, uint64_t *next,
                                     vkg__slot *slot)
{
    vkg_device *dev = ex->dev;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        if (!x->fix_value[q]) continue;
        uint32_t nw = 0;
        for (uint32_t o = 0; o < dev->dq_count; o++)
            if (x->fix_wait[q][o])
                x->waits[nw++] = (VkSemaphoreSubmitInfo){
                    .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                    .semaphore = dev->dq[o].timeline,
                    .value = x->fix_wait[q][o],
                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        x->fix_value[q] = ++next[q];
        VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                        .semaphore = dev->dq[q].timeline,
                                        .value = x->fix_value[q],
                                        .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                         .commandBuffer = x->fix_cmd[q]};
        VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                            .waitSemaphoreInfoCount = nw,
                            .pWaitSemaphoreInfos = x->waits,
                            .commandBufferInfoCount = 1,
                            .pCommandBufferInfos = &cbi,
                            .signalSemaphoreInfoCount = 1,
                            .pSignalSemaphoreInfos = &signal};
        VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[q].queue, 1, &si, VK_NULL_HANDLE);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", x->in.name);
        dev->dq[q].submitted = x->fix_value[q];
        slot->last[q] = (vkg_ticket){q, x->fix_value[q]};
    }
    return VKG_SUCCESS;
}

/* The execution's ticket names all of it: where it submitted to several device queues, an
 * empty batch on the queue of its last submission waits for the others' last submissions of
 * this execution and signals the ticket. Costs one vkQueueSubmit2 for executions that span
 * queues (BENCHMARKS.md); waiting on every queue's ticket instead would make every user keep
 * a list. Under the queue locks. */
vkg_result vkg__join(vkg_executor *ex, vkg__real *x, const bool *used, vkg__slot *slot,
                            vkg_ticket *last)
{
    vkg_device *dev = ex->dev;
    uint32_t nw = 0;
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (used[q] && q != last->queue && slot->last[q].value)
            x->waits[nw++] = (VkSemaphoreSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                .semaphore = dev->dq[q].timeline,
                .value = slot->last[q].value,
                .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    if (!nw) return VKG_SUCCESS;
    uint32_t q = last->queue;
    uint64_t value = dev->dq[q].submitted + 1;
    VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = dev->dq[q].timeline,
                                    .value = value,
                                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = nw,
                        .pWaitSemaphoreInfos = x->waits,
                        .signalSemaphoreInfoCount = 1,
                        .pSignalSemaphoreInfos = &signal};
    VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[q].queue, 1, &si, VK_NULL_HANDLE);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", x->in.name);
    dev->dq[q].submitted = value;
    slot->last[q] = *last = (vkg_ticket){q, value};
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Imported state after a submission
 * ---------------------------------------------------------------------------------------- */

/* The last use's ticket, and the latest per queue (what destruction waits for). */
static inline void vkg__track_ticket(vkg__track *t, vkg_ticket ticket)
{
    t->ticket = ticket;
    if (ticket.value > t->used[ticket.queue]) t->used[ticket.queue] = ticket.value;
}

/* (inlined into the executor's loop over every imported use) Whether what barriers are
 * built from changed: the fields vkg__patch compares (vkg__seen), or the queue of the last
 * use (which decides a wait), or a first ticket. */
static inline bool vkg__track_use_inline(vkg__track *t, const vkg_access_info *a, bool is_image,
                                         uint32_t family, vkg_ticket ticket)
{
    const vkg__seen was = {t->write_stage, t->read_stage, t->write_access, t->layout, t->family};
    const vkg_ticket last = t->ticket;
    bool relayout = is_image && t->layout != a->layout;
    /* the first GPU use of a resource is an ownership change only in name: a read then is
     * just a read (nothing before it to make visible), so later reads need no barrier */
    bool first = t->family == VK_QUEUE_FAMILY_IGNORED && !t->write_stage && !t->read_stage;
    if (a->write || relayout || (t->family != family && !first)) {
        t->write_stage = a->stage;
        t->write_access = a->write ? (a->access & VKG__WRITE_ACCESS) : 0;
        t->read_stage = a->write ? 0 : a->stage;
    } else {
        t->read_stage |= a->stage;
    }
    if (is_image) t->layout = a->layout;
    t->family = family;
    vkg__track_ticket(t, ticket);
    return was.write_stage != t->write_stage || was.read_stage != t->read_stage ||
           was.write_access != t->write_access || was.layout != t->layout ||
           was.family != t->family || last.queue != ticket.queue || !last.value;
}

/* Tells executors that a tracked state changed (their kept barriers are checked again). */
static inline void vkg__tracks_changed(vkg_device *dev)
{
    atomic_fetch_add_explicit(&dev->track_changes, 1, memory_order_release);
}

void vkg__track_use(vkg_device *dev, vkg__track *t, const vkg_access_info *a, bool is_image,
                    uint32_t family, vkg_ticket ticket)
{
    vkg__tracks_settle(dev);
    if (vkg__track_use_inline(t, a, is_image, family, ticket)) vkg__tracks_changed(dev);
}

/* `fn` on the tracked state of each subresource imported use `iu` made, with its ticket
 * from `values` (per plan submission); true where one changed. (Always inlined, so that `fn`
 * is: this runs for every imported use every execution.) */
typedef bool (*vkg__use_fn)(vkg__track *t, const vkg__iuse *iu, bool is_image, vkg_ticket ticket);

__attribute__((always_inline)) static inline bool vkg__each_use_track(vkg__real *x, const vkg__iuse *iu,
                                                                   const uint64_t *values, vkg__use_fn fn)
{
    vkg_ticket t = {iu->dq, values[iu->submission]};
    if (!iu->is_image) return fn(x->track[iu->res], iu, false, t);
    const vkg__xres *xr = &x->res[iu->res];
    const vkg_plan_use *u = &x->in.uses[iu->use];
    uint32_t p0, np;
    bool changed = false;
    vkg__aspect_planes(xr, vkg__track_aspect(x, u, xr), &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
        for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
            for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                changed |= fn(vkg__track_at(x, iu->res, pl, m, l), iu, true, t);
    return changed;
}

static inline bool vkg__use_track(vkg__track *t, const vkg__iuse *iu, bool is_image, vkg_ticket ticket)
{
    return vkg__track_use_inline(t, iu->a, is_image, iu->family, ticket);
}

static inline bool vkg__use_ticket(vkg__track *t, const vkg__iuse *iu, bool is_image, vkg_ticket ticket)
{
    (void)iu, (void)is_image;
    vkg__track_ticket(t, ticket);
    return false;
}

/* `fn` on every imported use's tracked states (the records are scattered: each is asked for
 * a few uses ahead); whether one changed. */
__attribute__((always_inline)) static inline bool vkg__each_import_use(vkg__real *x, const uint64_t *values,
                                                                    vkg__use_fn fn)
{
    enum { AHEAD = 8 };
    bool changed = false;
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        if (j + AHEAD < x->import_use_count)
            __builtin_prefetch(x->track[x->import_uses[j + AHEAD].res], 1);
        changed |= vkg__each_use_track(x, &x->import_uses[j], values, fn);
    }
    return changed;
}

void vkg__flush_tickets(vkg__deferred *d)
{
    vkg__real *x = (vkg__real *)((char *)d - offsetof(vkg__real, deferred));
    vkg__each_import_use(x, x->deferred_values, vkg__use_ticket);
}

/* Every imported use of the execution just submitted, on its resources' tracked states. When
 * this execution's patch found every state as the last one did, and none changed since (the
 * last update changed none, and the same uses on the same states change none again), only
 * the tickets would change: they are left for whoever reads tracked state next (vkg__defer),
 * and the next execution in the same state replaces them. Under dev->lock. */
void vkg__update_tracks(vkg_device *dev, vkg__real *x)
{
    /* (history resources swap objects each execution: their uses are never the same twice) */
    bool steady = x->trusted && !x->history_count &&
                  atomic_load_explicit(&dev->track_changes, memory_order_relaxed) == x->changes_seen;
    if (steady) {
        memcpy(x->deferred_values, x->values, sizeof *x->values * x->in.submission_count);
        vkg__defer(dev, &x->deferred);
        return;
    }
    vkg__tracks_settle(dev); /* (the states are read below) */
    if (vkg__each_import_use(x, x->values, vkg__use_track)) vkg__tracks_changed(dev);
}
