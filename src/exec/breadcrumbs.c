/* Breadcrumbs (vkg_executor_desc.breadcrumbs): what the GPU was doing when the device was
 * lost. Each realisation (plan x frame slot) has a small host-visible buffer of two words per
 * pass. Before a pass the GPU writes the execution's number into the first (a fill: "begun"),
 * after the pass's commands, behind an execution barrier on everything before it, into the
 * second ("finished"). The executor registers itself with the device's lost report, which
 * reads the words back and names, per queue, the passes finished, begun and not finished,
 * and not begun. Where the device offers VK_AMD_buffer_marker the pipeline writes the marks
 * itself at the top and bottom of the pipe, with no barrier.
 *
 * The writes of one queue are ordered among themselves (each finished mark waits for all
 * earlier commands, and each command buffer starts with a barrier on earlier marks), so
 * synchronization validation sees no hazard between frames; each pass's words are written
 * only on its own queue, and the buffer is shared concurrently by the families. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ---- the device-lost report ------------------------------------------------------------ */

/* The words of a realisation as the GPU left them (the memory is not coherent everywhere). */
static void vkg__crumbs_invalidate(vkg_device *dev, const vkg__crumbs *c)
{
    if (c->mem.coherent) return;
    VkDeviceSize atom = dev->caps.non_coherent_atom_size ? dev->caps.non_coherent_atom_size : 1;
    VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = c->mem.memory,
                                 .offset = c->mem.offset - c->mem.offset % atom,
                                 .size = VK_WHOLE_SIZE};
    VkResult vr = dev->vk.vkInvalidateMappedMemoryRanges(dev->device, 1, &range);
    (void)vr; /* fails only for lack of memory; the words are read anyway */
}

/* One queue's passes of one execution: how many finished (and the last of them), which
 * began and did not finish, how many did not begin. */
static void vkg__crumbs_queue(const vkg_executor *ex, const vkg__crumbs *c, uint32_t id, uint32_t dq,
                              vkg__text *t)
{
    uint32_t total = 0, finished = 0, waiting = 0, last = UINT32_MAX, begun = 0;
    for (uint32_t k = 0; k < c->pass_count; k++) {
        if (c->pass_dq[k] != dq) continue;
        total++;
        bool b = c->map[2 * k] == id, e = c->map[2 * k + 1] == id;
        if (e) finished++, last = k;
        else if (b) begun++;
        else waiting++;
    }
    if (!total) return;
    const vkg_device *dev = ex->dev;
    const char *role = "a";
    for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT; r++)
        if (dev->role_dq[r] == dq) {
            role = vkg_queue_role_name((vkg_queue_role)r);
            break;
        }
    vkg__textf(t, "\n  %s queue (device queue %u, family %u): %u of %u passes finished", role, dq,
               dev->dq[dq].family, finished, total);
    if (last != UINT32_MAX) vkg__textf(t, ", the last \"%s\" (#%u)", c->pass_name[last], last);
    if (begun) {
        vkg__textf(t, "; started, not finished:");
        for (uint32_t k = 0; k < c->pass_count; k++)
            if (c->pass_dq[k] == dq && c->map[2 * k] == id && c->map[2 * k + 1] != id)
                vkg__textf(t, " \"%s\" (#%u)", c->pass_name[k], k);
    }
    if (waiting) vkg__textf(t, "; not started: %u", waiting);
}

/* After a real loss, with VK_NV_device_diagnostic_checkpoints: the last checkpoints each
 * queue reached that are this executor's marks, by pass. */
static void vkg__crumbs_checkpoints(vkg_executor *ex, vkg__text *t)
{
    vkg_device *dev = ex->dev;
    if (!dev->caps.diagnostic_checkpoints || !atomic_load(&dev->lost_real) || !dev->vk.vkGetQueueCheckpointData2NV)
        return;
    for (uint32_t dq = 0; dq < dev->dq_count; dq++) {
        VkCheckpointData2NV data[32];
        uint32_t n = 32;
        for (uint32_t i = 0; i < n; i++)
            data[i] = (VkCheckpointData2NV){.sType = VK_STRUCTURE_TYPE_CHECKPOINT_DATA_2_NV};
        dev->vk.vkGetQueueCheckpointData2NV(dev->dq[dq].queue, &n, data);
        for (uint32_t i = 0; i < n; i++)
            for (const vkg__crumbs *c = ex->crumbs; c; c = c->next) {
                const char *m = data[i].pCheckpointMarker;
                if (m < c->tags || m >= c->tags + 2 * (size_t)c->pass_count) continue;
                uint32_t k = (uint32_t)(m - c->tags) / 2, end = (uint32_t)(m - c->tags) % 2;
                char st[160];
                vkg__textf(t, "\n  driver checkpoint (device queue %u): plan \"%s\", pass \"%s\" (#%u) %s, "
                              "reached %s",
                           dq, c->names, c->pass_name[k], k, end ? "finished" : "begun",
                           vkg_stage_mask_string(data[i].stage, st, sizeof st));
            }
    }
}

/* The executor's part of the device-lost report (under the device's report lock). */
static void vkg__crumbs_report(void *user, vkg__text *t)
{
    vkg_executor *ex = user;
    pthread_mutex_lock(&ex->crumb_lock);
    vkg__crumbs_checkpoints(ex, t);
    for (const vkg__crumbs *c = ex->crumbs; c; c = c->next) {
        uint32_t id = atomic_load(&c->execution);
        if (!id) continue;
        vkg__crumbs_invalidate(ex->dev, c);
        vkg__textf(t, "\nexecutor \"%s\", plan \"%s\", execution %u (frame slot %u):", ex->name,
                   c->names, id, c->slot);
        for (uint32_t dq = 0; dq < ex->dev->dq_count; dq++) vkg__crumbs_queue(ex, c, id, dq, t);
    }
    pthread_mutex_unlock(&ex->crumb_lock);
}

vkg_result vkg__breadcrumbs_start(vkg_executor *ex)
{
    if (!ex->breadcrumbs) return VKG_SUCCESS;
    if (pthread_mutex_init(&ex->crumb_lock, NULL) != 0) {
        ex->breadcrumbs = false;
        return VKG__OOM(&ex->host, "the executor's breadcrumb lock");
    }
    vkg_result r = vkg__lost_reporter_add(ex->dev, vkg__crumbs_report, ex);
    if (r != VKG_SUCCESS) {
        pthread_mutex_destroy(&ex->crumb_lock);
        ex->breadcrumbs = false;
    }
    return r;
}

/* After every realisation is gone. */
void vkg__breadcrumbs_stop(vkg_executor *ex)
{
    if (!ex->breadcrumbs) return;
    vkg__lost_reporter_remove(ex->dev, vkg__crumbs_report, ex);
    pthread_mutex_destroy(&ex->crumb_lock);
}

/* ---- per realisation -------------------------------------------------------------------- */

/* The names, copied: the plan's, then each pass's. */
static vkg_result vkg__crumbs_names(vkg_executor *ex, const vkg_plan_info *in, vkg__crumbs *c)
{
    size_t bytes = strlen(in->name) + 1;
    for (uint32_t k = 0; k < in->pass_count; k++) bytes += strlen(in->passes[k].name) + 1;
    c->names = vkg__alloc(&ex->host, bytes);
    c->pass_name = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *c->pass_name);
    c->pass_dq = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *c->pass_dq);
    c->tags = vkg__calloc(&ex->host, 2 * (size_t)in->pass_count + 1, 1);
    if (!c->names || !c->pass_name || !c->pass_dq || !c->tags) return VKG__OOM(&ex->host, "breadcrumbs");
    char *at = c->names;
    size_t n = strlen(in->name) + 1;
    memcpy(at, in->name, n);
    at += n;
    for (uint32_t k = 0; k < in->pass_count; k++) {
        n = strlen(in->passes[k].name) + 1;
        memcpy(at, in->passes[k].name, n);
        c->pass_name[k] = at;
        at += n;
    }
    return VKG_SUCCESS;
}

/* The realisation's marker buffer, zeroed (no execution is number 0). */
static vkg_result vkg__crumbs_buffer(vkg_executor *ex, const vkg_plan_info *in, vkg__crumbs *c)
{
    vkg_device *dev = ex->dev;
    char name[96];
    snprintf(name, sizeof name, "%s breadcrumbs", in->name);
    VkDeviceSize size = 8ull * (in->pass_count ? in->pass_count : 1);
    vkg_result r = vkg_buffer_create(dev,
                                     &(vkg_buffer_desc){.name = name,
                                                        .size = size,
                                                        .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                                        .memory_usage = VKG_MEMORY_READBACK,
                                                        .sharing = VKG_SHARING_CONCURRENT},
                                     &c->buffer);
    vkg_buffer_info bi = {0};
    if (r == VKG_SUCCESS) r = vkg_buffer_get_info(dev, c->buffer, &bi);
    if (r == VKG_SUCCESS) r = vkg_memory_info(dev, bi.allocation, &c->mem);
    if (r == VKG_SUCCESS && !bi.mapped) {
        VKG__ERROR(&ex->host, "executor \"%s\": breadcrumbs need host-visible memory", ex->name);
        r = VKG_ERROR_FEATURE_NOT_PRESENT;
    }
    if (r != VKG_SUCCESS) return r;
    c->vk = bi.buffer;
    c->map = bi.mapped;
    memset(bi.mapped, 0, size);
    return vkg_buffer_flush(dev, c->buffer, 0, VK_WHOLE_SIZE);
}

vkg_result vkg__real_crumbs(vkg_executor *ex, vkg__real *x)
{
    if (!ex->breadcrumbs) return VKG_SUCCESS;
    const vkg_plan_info *in = &x->in;
    vkg__crumbs *c = vkg__calloc(&ex->host, 1, sizeof *c);
    if (!c) return VKG__OOM(&ex->host, "breadcrumbs");
    x->crumbs = c;
    c->pass_count = in->pass_count;
    c->slot = x->slot;
    vkg_result r = vkg__crumbs_names(ex, in, c);
    if (r == VKG_SUCCESS) r = vkg__crumbs_buffer(ex, in, c);
    if (r != VKG_SUCCESS) return r; /* vkg__crumbs_destroy frees what was made */
    for (uint32_t k = 0; k < in->pass_count; k++) c->pass_dq[k] = x->dq_of_queue[in->passes[k].queue];
    pthread_mutex_lock(&ex->crumb_lock);
    c->next = ex->crumbs;
    if (ex->crumbs) ex->crumbs->prev = c;
    ex->crumbs = c;
    c->prev = NULL;
    pthread_mutex_unlock(&ex->crumb_lock);
    return VKG_SUCCESS;
}

void vkg__crumbs_destroy(vkg_executor *ex, vkg__real *x)
{
    vkg__crumbs *c = x->crumbs;
    if (!c) return;
    pthread_mutex_lock(&ex->crumb_lock);
    if (c->prev) c->prev->next = c->next;
    else if (ex->crumbs == c) ex->crumbs = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&ex->crumb_lock);
    if (c->buffer.id) vkg_buffer_destroy(ex->dev, c->buffer);
    vkg__free(&ex->host, c->names);
    vkg__free(&ex->host, c->pass_name);
    vkg__free(&ex->host, c->pass_dq);
    vkg__free(&ex->host, c->tags);
    vkg__free(&ex->host, c);
    x->crumbs = NULL;
}

/* ---- per execution ---------------------------------------------------------------------- */

/* The number this execution writes: the executor's count of executions, never 0. */
void vkg__crumbs_execution(vkg_executor *ex, vkg__real *x)
{
    if (!x->crumbs) return;
    if (++ex->crumb_serial == 0) ex->crumb_serial = 1;
    atomic_store(&x->crumbs->execution, ex->crumb_serial);
}

/* An execution barrier from `src` stages to the marks, ordering them after earlier marks. */
static void vkg__crumbs_barrier(const vkg_executor *ex, VkCommandBuffer cmd, VkPipelineStageFlags2 src)
{
    VkMemoryBarrier2 mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = src,
                           .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                           .dstStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT,
                           .dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT};
    ex->dev->vk.vkCmdPipelineBarrier2(cmd, &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                              .memoryBarrierCount = 1,
                                                              .pMemoryBarriers = &mb});
}

/* At the start of each command buffer: its marks come after the earlier ones on the queue. */
void vkg__crumbs_chunk(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd)
{
    if (x->crumbs) vkg__crumbs_barrier(ex, cmd, VK_PIPELINE_STAGE_2_CLEAR_BIT);
}

void vkg__crumb_write(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd, uint32_t k,
                      uint32_t end)
{
    const vkg__crumbs *c = x->crumbs;
    const vkg_device *dev = ex->dev;
    if (dev->caps.diagnostic_checkpoints && dev->vk.vkCmdSetCheckpointNV)
        dev->vk.vkCmdSetCheckpointNV(cmd, c->tags + 2 * k + end); /* read after a real loss */
    if (dev->caps.buffer_marker && dev->vk.vkCmdWriteBufferMarker2AMD) {
        /* VK_AMD_buffer_marker: written when the commands before reach the stage (the top of
         * the pipe: begun; the bottom: finished), no barrier (not available on the CPU
         * drivers the tests use: untested there) */
        dev->vk.vkCmdWriteBufferMarker2AMD(cmd,
                                           end ? VK_PIPELINE_STAGE_2_BOTTOM_OF_PIPE_BIT
                                               : VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT,
                                           c->vk, 8ull * k + 4ull * end, atomic_load(&c->execution));
        return;
    }
    /* finished: after everything before it on the queue (and after the earlier marks) */
    if (end) vkg__crumbs_barrier(ex, cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    ex->dev->vk.vkCmdFillBuffer(cmd, c->vk, 8ull * k + 4ull * end, 4, atomic_load(&c->execution));
}
