/* The executor: queue-family ownership of imported resources at run time (releases by the
 * family that really owns them, in fixup command buffers) and their tracked state after a
 * submission. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Runtime ownership: releases by the family that really owns an imported subresource
 * ---------------------------------------------------------------------------------------- */

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

/* Finds the imported subresources whose first use acquires them from another family than
 * the plan assumed (the same decision the recording made) and gathers their releases per
 * device queue, with what each release submission must wait for and which plan
 * submissions must wait for it. */
vkg_result vkg__fixups_gather(vkg_executor *ex, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    x->fix_ni = x->fix_nb = 0;
    memset(x->fix_wait, 0, sizeof x->fix_wait);
    memset(x->fix_value, 0, sizeof x->fix_value);
    memset(x->fix_need, 0, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT);
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t family = in->queues[in->submissions[s].queue].family;
        for (uint32_t j = x->first_import_bar[s]; j < x->first_import_bar[s + 1]; j++) {
            const vkg_plan_barrier *pb = &in->barriers[x->import_bars[j]];
            const vkg_plan_resource *r = &in->resources[pb->resource];
            uint32_t mips = r->is_image ? pb->mip_count : 1;
            uint32_t layers = r->is_image ? pb->layer_count : 1;
            uint32_t p0 = 0, np = 1;
            if (r->is_image) vkg__aspect_planes(&x->res[pb->resource], pb->aspect, &p0, &np);
            for (uint32_t pl = p0; pl < p0 + np; pl++)
            for (uint32_t m = 0; m < mips; m++)
                for (uint32_t l = 0; l < layers; l++) {
                    const vkg__track *t = vkg__import_track(x, pb, pl, m, l);
                    uint32_t dst;
                    if (vkg__import_kind_of(pb, t, family, r->concurrent, &dst) !=
                        VKG__IMPORT_ACQUIRE)
                        continue;
                    uint32_t dq = vkg__release_dq(dev, t->family, t->ticket);
                    if (dq == UINT32_MAX) {
                        VKG__ERROR(&ex->host,
                                   "vkg_execute(\"%s\"): imported %s \"%s\" was last used on "
                                   "queue family %u, where vkgraph has no queue to release it "
                                   "from: hand it to one of the device's families first (or "
                                   "make its contents undefined)",
                                   in->name, r->is_image ? "image" : "buffer", r->name,
                                   t->family);
                        return VKG_ERROR_INVALID_ARGUMENT;
                    }
                    vkg__fix_release(x, pb, t, dst, dq, pl, m, l);
                    x->fix_need[s * VKG_QUEUE_ROLE_COUNT + dq] = true;
                    if (t->ticket.value && t->ticket.queue != dq &&
                        t->ticket.value > x->fix_wait[dq][t->ticket.queue])
                        x->fix_wait[dq][t->ticket.queue] = t->ticket.value;
                }
        }
    }
    return VKG_SUCCESS;
}

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

void vkg__track_use(vkg__track *t, const vkg_access_info *a, bool is_image, uint32_t family,
                    vkg_ticket ticket)
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

void vkg__update_tracks(vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        const vkg_plan_pass *p = &in->passes[x->import_uses[2 * j]];
        uint32_t family = in->queues[p->queue].family;
        vkg_ticket t = {x->dq_of_queue[p->queue], x->values[p->submission]};
        {
            const vkg_plan_use *u = &in->uses[x->import_uses[2 * j + 1]];
            const vkg_plan_resource *r = &in->resources[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            vkg__xres *xr = &x->res[u->resource];
            if (!r->is_image) {
                vkg__track_use(xr->track, a, false, family, t);
                continue;
            }
            uint32_t p0, np;
            vkg__aspect_planes(xr, vkg__track_aspect(x, u, xr), &p0, &np);
            for (uint32_t pl = p0; pl < p0 + np; pl++)
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                    for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                        vkg__track_use(vkg__track_at(r, xr, pl, m, l), a, true, family, t);
        }
    }
}
