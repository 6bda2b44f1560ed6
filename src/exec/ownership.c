/* The executor: queue-family ownership of imported resources at run time (the releases by
 * the family that really owns them, which vkg__patch gathers, recorded into fixup command
 * buffers and submitted), the join of an execution's queues, and imported resources'
 * tracked state after a submission. */
#include "internal.h"

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

/* (inlined into the executor's loop over every imported use) */
static inline void vkg__track_use_inline(vkg__track *t, const vkg_access_info *a, bool is_image,
                                         uint32_t family, vkg_ticket ticket)
{
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
    t->ticket = ticket;
    if (ticket.value > t->used[ticket.queue]) t->used[ticket.queue] = ticket.value;
}

void vkg__track_use(vkg__track *t, const vkg_access_info *a, bool is_image, uint32_t family,
                    vkg_ticket ticket)
{
    vkg__track_use_inline(t, a, is_image, family, ticket);
}

void vkg__update_tracks(vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        const vkg__iuse *iu = &x->import_uses[j];
        vkg__xres *xr = &x->res[iu->res];
        vkg_ticket t = {iu->dq, x->values[iu->submission]};
        if (!xr->is_image) {
            vkg__track_use_inline(xr->track, iu->a, false, iu->family, t);
            continue;
        }
        const vkg_plan_use *u = &in->uses[iu->use];
        const vkg_plan_resource *r = &in->resources[iu->res];
        uint32_t p0, np;
        vkg__aspect_planes(xr, vkg__track_aspect(x, u, xr), &p0, &np);
        for (uint32_t pl = p0; pl < p0 + np; pl++)
            for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                    vkg__track_use_inline(vkg__track_at(r, xr, pl, m, l), iu->a, true, iu->family, t);
    }
}
