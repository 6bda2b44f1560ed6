/* The executor: realises compiled plans on a device and submits them.
 *
 * Per frame slot (frames in flight) an executor keeps one command pool per device queue
 * and a realisation of every plan it ran in that slot: heaps, transient resources bound
 * into them at the planned offsets, per-use views, events and one command buffer per plan
 * submission. Executing waits for the slot's previous tickets on the host, re-records the
 * plan into the same command buffers and submits; after the first execution in a slot
 * nothing is allocated.
 *
 * Imported resources: their GPU-side state lives in the device's buffer/image records
 * (vkg__track). Barriers the compiler flagged IMPORTED get their source side from that
 * state when recorded; after submitting, every imported subresource the plan used gets the
 * plan's final state and the ticket of the submission that used it last.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Executor
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_executor_create(vkg_device *device, const vkg_executor_desc *desc,
                               vkg_executor **out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    vkg_executor_desc none = {0};
    if (!desc) desc = &none;
    vkg_executor *ex = vkg__calloc(&device->host, 1, sizeof *ex);
    if (!ex) return VKG__OOM(&device->host, "an executor");
    ex->dev = device;
    ex->host = device->host;
    snprintf(ex->name, sizeof ex->name, "%s", desc->name ? desc->name : "executor");
    ex->frames = desc->frames_in_flight ? desc->frames_in_flight : 2;
    ex->drop = desc->debug_drop_barrier;
    ex->dedicated_heaps = desc->dedicated_heaps;
    ex->no_handoff = desc->debug_no_handoff;
    ex->timings = desc->pass_timings;
    ex->breadcrumbs = desc->breadcrumbs;
    ex->grain = desc->passes_per_command_buffer ? desc->passes_per_command_buffer : 32;
    ex->threads = desc->record_threads;
    if (!ex->threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ex->threads = n > 0 ? (uint32_t)VKG__MIN(n, 64L) : 1;
    }
    if (ex->timings && !device->host_query_reset) {
        VKG__ERROR(&ex->host,
                   "executor \"%s\": pass_timings needs the device feature hostQueryReset, which "
                   "device \"%s\" does not offer (or an imported device was made without)",
                   ex->name, device->caps.device_name);
        vkg__free(&ex->host, ex);
        return VKG_ERROR_FEATURE_NOT_PRESENT;
    }
    if (ex->frames > 16 || ex->threads > 64) {
        VKG__ERROR(&ex->host,
                   "executor \"%s\": %u frames in flight and %u recording threads; at most 16 "
                   "and 64",
                   ex->name, ex->frames, ex->threads);
        vkg__free(&ex->host, ex);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    ex->slots = vkg__calloc(&ex->host, ex->frames, sizeof *ex->slots);
    if (!ex->slots) {
        vkg__free(&ex->host, ex);
        return VKG__OOM(&device->host, "an executor");
    }
    vkg_result r = vkg__breadcrumbs_start(ex);
    if (r == VKG_SUCCESS) r = vkg__workers_create(&ex->host, ex->name, ex->threads, &ex->workers);
    if (r != VKG_SUCCESS) {
        vkg_executor_destroy(ex);
        return r;
    }
    for (uint32_t f = 0; f < ex->frames; f++) {
        ex->slots[f].pools =
            vkg__calloc(&ex->host, (size_t)ex->threads * VKG_QUEUE_ROLE_COUNT, sizeof(VkCommandPool));
        ex->slots[f].reset = vkg__calloc(&ex->host, ex->threads, sizeof(uint64_t));
        if (!ex->slots[f].pools || !ex->slots[f].reset) {
            vkg_executor_destroy(ex);
            return VKG__OOM(&device->host, "an executor's command pools");
        }
        for (uint32_t t = 0; t < ex->threads; t++)
            for (uint32_t q = 0; q < device->dq_count; q++) {
                VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                              .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                              .queueFamilyIndex = device->dq[q].family};
                VkResult vr = device->vk.vkCreateCommandPool(
                    device->device, &ci, device->vkac,
                    &ex->slots[f].pools[t * VKG_QUEUE_ROLE_COUNT + q]);
                if (vr != VK_SUCCESS) {
                    vkg_executor_destroy(ex);
                    return VKG__VK_FAIL(device, vr, "vkCreateCommandPool", "an executor");
                }
            }
    }
    *out = ex;
    return VKG_SUCCESS;
}

static vkg_result vkg__slot_wait(vkg_executor *ex, vkg__slot *slot)
{
    for (uint32_t q = 0; q < ex->dev->dq_count; q++) {
        vkg_result r = vkg_ticket_wait(ex->dev, slot->last[q], UINT64_MAX);
        if (r != VKG_SUCCESS) return r;
    }
    return VKG_SUCCESS;
}

void vkg_executor_destroy(vkg_executor *ex)
{
    if (!ex) return;
    vkg_device *dev = ex->dev;
    for (uint32_t f = 0; f < ex->frames; f++) {
        vkg__slot *slot = &ex->slots[f];
        (void)vkg__slot_wait(ex, slot);
        while (slot->real_count) vkg__real_destroy(ex, slot->reals[--slot->real_count]);
        vkg__free(&ex->host, slot->reals);
        vkg__slot_sweep(ex, slot);
        vkg__free(&ex->host, slot->heaps);
        if (slot->pools)
            for (uint32_t q = 0; q < ex->threads * VKG_QUEUE_ROLE_COUNT; q++)
                if (slot->pools[q])
                    dev->vk.vkDestroyCommandPool(dev->device, slot->pools[q], dev->vkac);
        vkg__free(&ex->host, slot->pools);
        vkg__free(&ex->host, slot->reset);
    }
    vkg__breadcrumbs_stop(ex);
    vkg__workers_destroy(ex->workers);
    vkg__free(&ex->host, ex->slots);
    vkg__free(&ex->host, ex);
}

static vkg_result vkg__real_get(vkg_executor *ex, vkg__slot *slot, const vkg_plan *plan,
                                vkg__real **out)
{
    for (uint32_t i = 0; i < slot->real_count; i++) {
        vkg__real *x = slot->reals[i];
        if (x->plan != plan) continue;
        VKG_CHECK(&ex->host, x->frame != ex->frame + 1, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): executed twice in one frame of executor \"%s\" (its "
                  "command buffers are still pending): end the frame "
                  "(vkg_executor_end_frame) before executing it again",
                  plan->info.name, ex->name);
        if (x->serial == plan->serial) {
            *out = x;
            return VKG_SUCCESS;
        }
        /* recompiled in place: its work in this slot is done (waited), so replace it */
        slot->reals[i] = slot->reals[--slot->real_count];
        vkg__real_destroy(ex, x);
        break;
    }
    if (!vkg__grow(&ex->host, (void **)&slot->reals, &slot->real_cap, slot->real_count + 1,
                   sizeof *slot->reals))
        return VKG__OOM(&ex->host, "the executor's plan list");
    vkg__real *x = NULL;
    vkg_result r = vkg__real_create(ex, slot, plan, &x);
    if (r == VKG_SUCCESS) slot->reals[slot->real_count++] = x;
    vkg__slot_sweep(ex, slot); /* heaps left by a replaced or failed realisation */
    if (r != VKG_SUCCESS) return r;
    *out = x;
    return VKG_SUCCESS;
}

/* A realisation not executed for this many frames of its slot is released (its memory goes
 * back to the slot's pool): destroyed plans leave nothing behind for long. */
#define VKG__EVICT_FRAMES 64

/* Starts a frame: waits (on the host) for the work its slot did frames_in_flight frames ago
 * releases realisations that went unused and drains the device's deletion queue. (Each recording thread resets its own pools
 * of the slot when it first records in the frame.) */
static vkg_result vkg__frame_start(vkg_executor *ex)
{
    vkg__slot *slot = &ex->slots[ex->frame % ex->frames];
    vkg_result r = vkg__slot_wait(ex, slot);
    if (r != VKG_SUCCESS) return r;
    bool evicted = false;
    for (uint32_t i = 0; i < slot->real_count;) {
        vkg__real *x = slot->reals[i];
        if (ex->frame + 1 - x->frame <= (uint64_t)VKG__EVICT_FRAMES * ex->frames) {
            i++;
            continue;
        }
        slot->reals[i] = slot->reals[--slot->real_count];
        vkg__real_destroy(ex, x);
        evicted = true;
    }
    if (evicted) vkg__slot_sweep(ex, slot);
    vkg_device_poll(ex->dev); /* the device's deletion queue */
    return VKG_SUCCESS;
}

vkg_result vkg_executor_begin_frame(vkg_executor *ex)
{
    if (!ex) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&ex->host, !ex->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_begin_frame(\"%s\"): a frame is already open: end it first",
              ex->name);
    if (atomic_load(&ex->dev->lost)) return VKG_ERROR_DEVICE_LOST;
    vkg_result r = vkg__frame_start(ex);
    if (r == VKG_SUCCESS) ex->in_frame = true;
    return r;
}

vkg_result vkg_executor_end_frame(vkg_executor *ex)
{
    if (!ex) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&ex->host, ex->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_end_frame(\"%s\"): no frame is open (vkg_executor_begin_frame)",
              ex->name);
    ex->in_frame = false;
    ex->frame++;
    return VKG_SUCCESS;
}

static vkg_result vkg__execute(vkg_executor *ex, const vkg_plan *plan,
                               const vkg_execute_desc *desc, vkg_ticket *ticket);

vkg_result vkg_execute(const vkg_plan *plan, const vkg_execute_desc *desc, vkg_ticket *ticket)
{
    if (ticket) *ticket = (vkg_ticket){0, 0};
    if (!desc || !desc->executor || !plan) {
        /* say so through whichever logger the caller gave us (the graph's, via the plan) */
        vkg__host fallback;
        vkg__host_init(&fallback, NULL, NULL);
        const vkg__host *host = desc && desc->executor ? &desc->executor->host
                                : plan                 ? &plan->host
                                                       : &fallback;
        VKG__ERROR(host,
                   "vkg_execute: %s is NULL: pass the compiled plan and a desc whose executor "
                   "comes from vkg_executor_create",
                   !plan ? "the plan" : !desc ? "desc" : "desc->executor");
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    vkg_executor *ex = desc->executor;
    VKG_CHECK(&ex->host, desc->binding_count == 0 || desc->bindings, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_execute: binding_count is %u but bindings is NULL", desc->binding_count);
    if (atomic_load(&ex->dev->lost)) return VKG_ERROR_DEVICE_LOST;
    if (ex->in_frame) return vkg__execute(ex, plan, desc, ticket);
    /* outside vkg_executor_begin/end_frame every execution is a frame of its own */
    vkg_result r = vkg__frame_start(ex);
    if (r != VKG_SUCCESS) return r;
    r = vkg__execute(ex, plan, desc, ticket);
    ex->frame++;
    return r;
}

/* Transient memory another tenant used last: hand-over barriers at the start of the first
 * submission per queue that touches it (semaphore waits for other queues: vkg__waits_of). */
static void vkg__handoffs(vkg_executor *ex, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    for (uint32_t s = 0; s < in->submission_count; s++)
        x->handoff[s] = (VkMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    for (uint32_t h = 0; h < in->heap_count; h++) {
        const vkg__heap *hp = x->heaps[h];
        x->hturn[h] = hp->tenants > 1 && hp->last && hp->last != x && !ex->no_handoff;
        if (!x->hturn[h]) continue;
        for (uint32_t q = 0; q < dev->dq_count; q++) {
            uint32_t s = x->hfirst[h * VKG_QUEUE_ROLE_COUNT + q];
            if (s == VKG__X_NONE) continue;
            x->handoff[s].srcStageMask |= vkg__queue_stages(dev, q, hp->stages);
            x->handoff[s].srcAccessMask |= hp->writes;
            x->handoff[s].dstStageMask |= vkg__queue_stages(dev, q, x->hstage[h]);
            x->handoff[s].dstAccessMask |= x->haccess[h];
        }
    }
}

/* Records the plan (the slot's previous work is complete: its events and command buffers
 * are reused) and the ownership fixups; `used` gets the device queues the fixups use. */
static vkg_result vkg__record_all(vkg_executor *ex, vkg__real *x, bool *used)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    for (uint32_t e = 0; e < in->event_count; e++) {
        VkResult vr = dev->vk.vkResetEvent(dev->device, x->events[e]);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkResetEvent", in->name);
    }
    vkg_result r = vkg__patch(ex, x);
    if (r != VKG_SUCCESS) return r;
    vkg__record_job job = {ex, x};
    for (uint32_t t = 0; t < ex->threads; t++) x->scratch[t].barriers = x->scratch[t].barrier_calls = 0;
    vkg__workers_run(ex->workers, x->active, vkg__record_thread, &job);
    for (uint32_t t = 0; t < x->active; t++)
        if (x->scratch[t].error != VKG_SUCCESS) return x->scratch[t].error;
    return vkg__fixups_record(ex, x, used);
}

static VkSemaphoreSubmitInfo vkg__sem(VkSemaphore semaphore, uint64_t value,
                                      VkPipelineStageFlags2 stage)
{
    return (VkSemaphoreSubmitInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                   .semaphore = semaphore,
                                   .value = value,
                                   .stageMask = stage};
}

/* The semaphore waits of submission `s` (on device queue `dq`) into x->waits; their count. */
static uint32_t vkg__waits_of(vkg_executor *ex, vkg__real *x, uint32_t s, uint32_t dq)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    const vkg_plan_submission *sub = &in->submissions[s];
    uint32_t nw = 0;
    /* the plan's own, between its queues */
    for (uint32_t w = 0; w < sub->wait_count && nw < x->wait_cap; w++) {
        const vkg_plan_wait *pw = &in->waits[sub->first_wait + w];
        uint32_t src = UINT32_MAX;
        for (uint32_t o = 0; o < in->submission_count; o++)
            if (in->submissions[o].queue == pw->queue && in->submissions[o].index == pw->submission)
                src = o;
        if (src == UINT32_MAX) continue;
        x->waits[nw++] = vkg__sem(dev->dq[x->dq_of_queue[pw->queue]].timeline, x->values[src],
                                  vkg__wait_stage(pw->stage));
    }
    /* imported resources last used on another queue: the latest such ticket per queue */
    for (uint32_t q = 0; q < dev->dq_count && nw < x->wait_cap; q++)
        if (x->import_wait[s * VKG_QUEUE_ROLE_COUNT + q])
            x->waits[nw++] = vkg__sem(dev->dq[q].timeline, x->import_wait[s * VKG_QUEUE_ROLE_COUNT + q],
                                      VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    /* ownership released for this submission's acquires by another family's queue */
    for (uint32_t q = 0; q < dev->dq_count && nw < x->wait_cap; q++)
        if (x->fix_need[s * VKG_QUEUE_ROLE_COUNT + q] && x->fix_value[q])
            x->waits[nw++] = vkg__sem(dev->dq[q].timeline, x->fix_value[q],
                                      VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    /* transient memory taken over from a tenant that used it on other queues */
    for (uint32_t h = 0; h < in->heap_count; h++) {
        if (!x->hturn[h] || x->hfirst[h * VKG_QUEUE_ROLE_COUNT + dq] != s) continue;
        const vkg__heap *hp = x->heaps[h];
        for (uint32_t q = 0; q < dev->dq_count && nw < x->wait_cap; q++)
            if (q != dq && hp->value[q])
                x->waits[nw++] = vkg__sem(dev->dq[q].timeline, hp->value[q],
                                          vkg__queue_stages(dev, dq, vkg__wait_stage(x->hstage[h])));
    }
    /* bindings' semaphores: acquire-style waits before the first use */
    for (uint32_t ii = 0; ii < x->sem_count; ii++) {
        const vkg__xres *xr = &x->res[x->sem_imports[ii]];
        if (xr->wait_semaphore && xr->first_sub == s && nw < x->wait_cap)
            x->waits[nw++] = vkg__sem(xr->wait_semaphore, 0, xr->wait_stage);
    }
    return nw;
}

/* The signals of submission `s`: its timeline value, and present-style binding semaphores
 * after their last use. */
static uint32_t vkg__signals_of(vkg_executor *ex, vkg__real *x, uint32_t s, uint32_t dq)
{
    uint32_t nsig = 0;
    x->signals[nsig++] = vkg__sem(ex->dev->dq[dq].timeline, x->values[s],
                                  VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    for (uint32_t ii = 0; ii < x->sem_count; ii++) {
        const vkg__xres *xr = &x->res[x->sem_imports[ii]];
        if (xr->signal_semaphore && xr->last_sub == s)
            x->signals[nsig++] = vkg__sem(xr->signal_semaphore, 0, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    }
    return nsig;
}

/* Timeline values and the submissions, under every used queue's lock (index order: no
 * deadlock); `*last` the ticket of the whole execution. */
static vkg_result vkg__submit_all(vkg_executor *ex, vkg__real *x, vkg__slot *slot, bool *used,
                                  vkg_ticket *last)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    for (uint32_t s = 0; s < in->submission_count; s++)
        used[x->dq_of_queue[in->submissions[s].queue]] = true;
    uint64_t next[VKG_QUEUE_ROLE_COUNT];
    vkg__dq_lock_set(dev, used);
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (used[q]) next[q] = dev->dq[q].submitted;
    vkg_result r = vkg__fixups_submit(ex, x, next, slot);
    for (uint32_t i = 0; i < in->submission_count; i++) {
        uint32_t s = x->submit_order[i];
        x->values[s] = ++next[x->dq_of_queue[in->submissions[s].queue]];
    }
    *last = (vkg_ticket){0, 0};
    for (uint32_t i = 0; i < in->submission_count && r == VKG_SUCCESS; i++) {
        uint32_t s = x->submit_order[i];
        uint32_t dq = x->dq_of_queue[in->submissions[s].queue];
        uint32_t nw = vkg__waits_of(ex, x, s, dq);
        uint32_t nsig = vkg__signals_of(ex, x, s, dq);
        VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                            .waitSemaphoreInfoCount = nw,
                            .pWaitSemaphoreInfos = x->waits,
                            .commandBufferInfoCount = x->first_chunk[s + 1] - x->first_chunk[s],
                            .pCommandBufferInfos = &x->cbis[x->first_chunk[s]],
                            .signalSemaphoreInfoCount = nsig,
                            .pSignalSemaphoreInfos = x->signals};
        VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[dq].queue, 1, &si, VK_NULL_HANDLE);
        if (vr != VK_SUCCESS) {
            r = VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", in->name);
            break;
        }
        dev->dq[dq].submitted = x->values[s];
        slot->last[dq] = (vkg_ticket){dq, x->values[s]};
        *last = slot->last[dq];
    }
    if (r == VKG_SUCCESS) r = vkg__join(ex, x, used, slot, last);
    vkg__dq_unlock_set(dev, used);
    return r;
}

/* After the submissions: imported resources' tracked state, the heaps' last tenant, stats. */
static void vkg__after_submit(vkg_executor *ex, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    pthread_mutex_lock(&dev->lock); /* vkg_*_mark_used writes the same records */
    vkg__update_tracks(dev, x);
    pthread_mutex_unlock(&dev->lock);
    for (uint32_t h = 0; h < in->heap_count; h++) {
        vkg__heap *hp = x->heaps[h];
        hp->last = x;
        hp->stages = x->hstage[h];
        hp->writes = x->haccess[h] & VKG__WRITE_ACCESS;
        for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) {
            uint32_t s = x->hlast[h * VKG_QUEUE_ROLE_COUNT + q];
            hp->value[q] = s == VKG__X_NONE ? 0 : x->values[s];
        }
    }
    uint64_t turns = ex->stats.heap_handoffs;
    for (uint32_t h = 0; h < in->heap_count; h++) turns += x->hturn[h];
    uint32_t barriers = 0, barrier_calls = 0;
    for (uint32_t t = 0; t < ex->threads; t++) {
        barriers += x->scratch[t].barriers;
        barrier_calls += x->scratch[t].barrier_calls;
    }
    ex->stats = (vkg_executor_stats){.views_created = ex->stats.views_created,
                                     .heap_handoffs = turns,
                                     .executions = ex->stats.executions + 1,
                                     .submissions = in->submission_count,
                                     .command_buffers = x->chunk_count,
                                     .threads_used = x->active,
                                     .barriers = barriers,
                                     .imported_checked = x->checked,
                                     .barrier_calls = barrier_calls};
}

static vkg_result vkg__execute(vkg_executor *ex, const vkg_plan *plan,
                               const vkg_execute_desc *desc, vkg_ticket *ticket)
{
    vkg__slot *slot = &ex->slots[ex->frame % ex->frames];
    vkg__real *x = NULL;
    vkg_result r = vkg__real_get(ex, slot, plan, &x);
    if (r == VKG_SUCCESS) r = vkg__bind_imports(ex, x, desc);
    if (r != VKG_SUCCESS) return r;
    if (x->reprepare) vkg__prepare_all(ex, x);
    x->frame = ex->frame + 1;
    vkg__timings_reset(ex, x);
    vkg__crumbs_execution(ex, x);
    vkg__handoffs(ex, x);
    bool used[VKG_QUEUE_ROLE_COUNT] = {0};
    vkg_ticket last;
    r = vkg__record_all(ex, x, used);
    if (r == VKG_SUCCESS) r = vkg__submit_all(ex, x, slot, used, &last);
    if (r != VKG_SUCCESS) {
        /* the tracked states were not updated after this patch: the next one may not trust
         * what it checked (vkg__patch_trusted assumes the last update changed nothing) */
        x->patched = false;
        return r;
    }
    vkg__after_submit(ex, x);
    vkg__history_advance(x);
    x->ticket = last;
    if (ticket) *ticket = last;
    return VKG_SUCCESS;
}
