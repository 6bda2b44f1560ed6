/* The streaming uploader: host data into buffers and images through a fixed staging ring on
 * the transfer role, from any number of threads.
 *
 * - The ring is one host-visible buffer of ring_size bytes. A piece of an upload reserves a
 *   contiguous span (wrapping to the start when the end is too short); spans are released in
 *   reservation order once the submission that copied from them completed. When the ring is
 *   full a reservation waits for the oldest span's ticket: memory stays bounded however much
 *   is uploaded. Uploads larger than half the ring go in several pieces, each its own
 *   submission, so copying the next piece overlaps the GPU's copy of the previous one.
 * - Threads copy into their spans concurrently; recording and submitting a piece take the
 *   uploader's lock (one command pool, externally synchronized). Command buffers are reused
 *   once their ticket completed.
 * - The destination's tracked state (the executor's, vkg__track) says what the copy waits
 *   for: a semaphore wait on the ticket of its last use on another queue, and for images a
 *   barrier from its tracked layout and accesses (a piece that covers a whole subresource
 *   discards the old contents). After the copy the track records a transfer write on this
 *   queue, so the first graph that uses the resource orders itself after the upload.
 * - A resource last used on another queue family with contents that a partial upload keeps
 *   would need an ownership transfer the uploader cannot record on that family's queue: it
 *   is refused by name. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VKG__UP_DEFAULT_RING (64ull << 20)

/* ------------------------------------------------------------------------------------------
 * The ring
 * ---------------------------------------------------------------------------------------- */

/* Whether the watcher thread still has a readback's span to copy out (vkg__readback_hook).
 * Read under read_lock, so that once it says no the hook is done with the uploader (it
 * may be destroyed next). */
static bool vkg__copy_out_pending(vkg_uploader *up, vkg__span *s)
{
    pthread_mutex_lock(&up->read_lock);
    bool pending = atomic_load(&s->reading);
    pthread_mutex_unlock(&up->read_lock);
    return pending;
}

/* Waits, with the uploader's lock released, until the watcher thread has copied a
 * readback's span out. */
static void vkg__await_copy_out(vkg_uploader *up, vkg__span *s)
{
    pthread_mutex_unlock(&up->lock);
    pthread_mutex_lock(&up->read_lock);
    while (atomic_load(&s->reading)) pthread_cond_wait(&up->read_done, &up->read_lock);
    pthread_mutex_unlock(&up->read_lock);
    pthread_mutex_lock(&up->lock);
}

/* Releases the oldest span once its submission completed (VKG_ERROR_DEVICE_LOST when it never
 * will: then nothing reads the span again, and it is released too). While the span is still
 * being filled, or a readback's data is still being copied out of it, waits for that and
 * returns VKG_NOT_READY without releasing it: the lock was released meanwhile, so the caller
 * looks again. Locked. */
static vkg_result vkg__ring_retire_one(vkg_uploader *up)
{
    vkg__span *s = &up->spans[up->span_head];
    up->stats.ring_waits++;
    if (s->state == VKG__SPAN_FILLING) {
        pthread_cond_wait(&up->cond, &up->lock);
        return VKG_NOT_READY;
    }
    vkg_result r = VKG_SUCCESS;
    if (s->state == VKG__SPAN_SUBMITTED) {
        /* waited for under the lock, so no other thread retires it meanwhile */
        r = vkg_ticket_wait(up->dev, s->ticket, UINT64_MAX);
        if (vkg__copy_out_pending(up, s)) { /* the watcher delivers success or the loss */
            vkg__await_copy_out(up, s);
            return VKG_NOT_READY;
        }
    }
    up->used -= s->end - s->begin;
    up->span_head = (up->span_head + 1) & (up->span_cap - 1);
    up->span_count--;
    return r;
}

/* Where the next span of n bytes (aligned) goes, if there is room now. The occupied part
 * runs from the oldest span's begin (tail) to head, around the end when head <= tail. */
static bool vkg__ring_fits(const vkg_uploader *up, VkDeviceSize n, VkDeviceSize align,
                           VkDeviceSize *at)
{
    if (!up->span_count) {
        *at = 0;
        return n <= up->ring_size;
    }
    VkDeviceSize tail = up->spans[up->span_head].begin;
    VkDeviceSize start = (up->head + align - 1) / align * align;
    if (up->head > tail) {
        if (start + n <= up->ring_size) {
            *at = start;
            return true;
        }
        *at = 0; /* wrap to the start, before the oldest span */
        return n <= tail;
    }
    *at = start;
    return start + n <= tail;
}

/* Reserves a span of n bytes; waits for the GPU while the ring is full. Locked. */
vkg_result vkg__ring_reserve(vkg_uploader *up, VkDeviceSize n, VkDeviceSize align,
                                    uint32_t *span, VkDeviceSize *at)
{
    for (;;) {
        if (atomic_load(&up->dev->lost)) return VKG_ERROR_DEVICE_LOST;
        if (up->span_count < up->span_cap && vkg__ring_fits(up, n, align, at)) break;
        vkg_result r = vkg__ring_retire_one(up);
        if (r != VKG_SUCCESS && r != VKG_NOT_READY) return r;
    }
    uint32_t i = (up->span_head + up->span_count) & (up->span_cap - 1);
    up->spans[i].begin = *at;
    up->spans[i].end = *at + n;
    up->spans[i].ticket = (vkg_ticket){0, 0};
    up->spans[i].state = VKG__SPAN_FILLING;
    atomic_store(&up->spans[i].reading, false);
    up->spans[i].dst = NULL;
    up->spans[i].owner = up;
    up->span_count++;
    up->head = *at + n;
    up->used += n;
    if (up->used > up->peak) up->peak = up->used;
    *span = i;
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Command buffers
 * ---------------------------------------------------------------------------------------- */

/* The command pool of a role's queue family, made on first use. Locked. */
static vkg_result vkg__upool(vkg_uploader *up, vkg_queue_role role, VkCommandPool *out)
{
    vkg_device *dev = up->dev;
    if (!up->pool[role]) {
        VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT |
                                               VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                      .queueFamilyIndex = dev->dq[dev->role_dq[role]].family};
        VkResult vr = dev->vk.vkCreateCommandPool(dev->device, &ci, dev->vkac, &up->pool[role]);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateCommandPool", up->name);
    }
    *out = up->pool[role];
    return VKG_SUCCESS;
}

/* A command buffer of the role's family whose last submission completed, or a new one.
 * Locked. */
vkg_result vkg__ucmd_get(vkg_uploader *up, vkg_queue_role role, uint32_t *out)
{
    vkg_device *dev = up->dev;
    for (uint32_t k = 0; k < up->cmd_count; k++) {
        uint32_t i = (up->cmd_next + k) % up->cmd_count;
        if (up->cmds[i].role != role) continue;
        if (vkg_ticket_wait(dev, up->cmds[i].ticket, 0) == VKG_SUCCESS) {
            up->cmd_next = (i + 1) % up->cmd_count;
            VkResult vr = dev->vk.vkResetCommandBuffer(up->cmds[i].cmd, 0);
            if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkResetCommandBuffer", up->name);
            *out = i;
            return VKG_SUCCESS;
        }
    }
    if (up->cmd_count == up->cmd_cap) {
        uint32_t cap = up->cmd_cap ? up->cmd_cap * 2 : 8;
        vkg__ucmd *c = vkg__realloc(up->host, up->cmds, sizeof *c * cap);
        if (!c) return VKG__OOM(up->host, "the uploader's command buffers");
        up->cmds = c;
        up->cmd_cap = cap;
    }
    VkCommandPool pool;
    vkg_result r = vkg__upool(up, role, &pool);
    if (r != VKG_SUCCESS) return r;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cmd;
    VkResult vr = dev->vk.vkAllocateCommandBuffers(dev->device, &ai, &cmd);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkAllocateCommandBuffers", up->name);
    up->cmds[up->cmd_count] = (vkg__ucmd){cmd, role, {0, 0}};
    *out = up->cmd_count++;
    return VKG_SUCCESS;
}

/* Ends `cmd` (when there is one) and, if all went well so far (`r`), submits it on the
 * role's queue after the per-queue values in wq[] (0: none), copies waiting at COPY. Locked. */
vkg_result vkg__usubmit(vkg_uploader *up, vkg_queue_role role, VkCommandBuffer cmd,
                               const uint64_t *wq, vkg_result r, vkg_ticket *t)
{
    vkg_device *dev = up->dev;
    if (cmd) {
        VkResult vr = dev->vk.vkEndCommandBuffer(cmd);
        if (vr != VK_SUCCESS && r == VKG_SUCCESS)
            r = VKG__VK_FAIL(dev, vr, "vkEndCommandBuffer", up->name);
    }
    if (r != VKG_SUCCESS) return r;
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = cmd};
    vkg_ticket waits[VKG_QUEUE_ROLE_COUNT];
    uint32_t nw = 0;
    for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++)
        if (wq[q]) waits[nw++] = (vkg_ticket){q, wq[q]};
    return vkg_submit(dev,
                      &(vkg_submit_desc){.role = role,
                                         .command_buffers = &cbi,
                                         .command_buffer_count = 1,
                                         .waits = waits,
                                         .wait_count = nw,
                                         .wait_stage = VK_PIPELINE_STAGE_2_COPY_BIT},
                      t);
}

/* ------------------------------------------------------------------------------------------
 * Create / destroy
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_uploader_create(vkg_device *device, const vkg_uploader_desc *desc,
                               vkg_uploader **out)
{
    vkg_uploader_desc defaults = {0};
    if (!desc) desc = &defaults;
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    VkDeviceSize ring = desc->ring_size ? desc->ring_size : VKG__UP_DEFAULT_RING;
    VKG_CHECK(&device->host, ring >= 4096, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_uploader_create: ring_size %llu is below the 4096-byte minimum",
              (unsigned long long)ring);
    vkg_uploader *up = vkg__calloc(&device->host, 1, sizeof *up);
    if (!up) return VKG__OOM(&device->host, "an uploader");
    up->dev = device;
    up->host = &device->host;
    snprintf(up->name, sizeof up->name, "%s", desc->name ? desc->name : "uploader");
    up->role = VKG_QUEUE_TRANSFER;
    up->dq = device->role_dq[up->role];
    up->family = device->dq[up->dq].family;
    up->ring_size = ring;
    up->piece_max = ring / 2;
    up->span_cap = 64;
    up->spans = vkg__calloc(up->host, up->span_cap, sizeof *up->spans);
    if (!up->spans || pthread_mutex_init(&up->lock, NULL) != 0) {
        vkg__free(up->host, up->spans);
        vkg__free(up->host, up);
        return VKG__OOM(&device->host, "an uploader");
    }
    pthread_cond_init(&up->cond, NULL);
    pthread_mutex_init(&up->read_lock, NULL);
    pthread_cond_init(&up->read_done, NULL);
    char name[96];
    snprintf(name, sizeof name, "%s staging ring", up->name);
    vkg_result r = vkg_buffer_create(device,
                                     &(vkg_buffer_desc){.name = name,
                                                        .size = ring,
                                                        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                                                 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                                        .memory_usage = VKG_MEMORY_UPLOAD},
                                     &up->ring);
    vkg_buffer_info bi = {0};
    if (r == VKG_SUCCESS) r = vkg_buffer_get_info(device, up->ring, &bi);
    if (r == VKG_SUCCESS && !bi.mapped) {
        VKG__ERROR(up->host, "vkg_uploader_create: the staging ring is not host-visible");
        r = VKG_ERROR_FEATURE_NOT_PRESENT;
    }
    up->ring_vk = bi.buffer;
    up->ring_map = bi.mapped;
    if (r == VKG_SUCCESS) r = vkg_memory_info(device, bi.allocation, &up->ring_memory);
    VkCommandPool pool;
    if (r == VKG_SUCCESS) r = vkg__upool(up, up->role, &pool);
    up->stats.ring_size = ring;
    if (r != VKG_SUCCESS) {
        vkg_uploader_destroy(up);
        return r;
    }
    *out = up;
    return VKG_SUCCESS;
}

void vkg_uploader_destroy(vkg_uploader *up)
{
    if (!up) return;
    vkg_device *dev = up->dev;
    /* every submission completes before its command buffer and staging span go */
    pthread_mutex_lock(&up->lock);
    while (up->span_count) {
        vkg_result r = vkg__ring_retire_one(up);
        (void)r; /* complete, or the device is lost: either way the span is free */
    }
    for (uint32_t i = 0; i < up->cmd_count; i++) {
        vkg_result r = vkg_ticket_wait(dev, up->cmds[i].ticket, UINT64_MAX);
        (void)r; /* complete, or the device is lost: either way it is free */
    }
    pthread_mutex_unlock(&up->lock);
    for (uint32_t i = 0; i < VKG_QUEUE_ROLE_COUNT; i++)
        if (up->pool[i]) dev->vk.vkDestroyCommandPool(dev->device, up->pool[i], dev->vkac);
    if (up->ring.id) vkg_buffer_destroy(dev, up->ring);
    pthread_cond_destroy(&up->cond);
    pthread_mutex_destroy(&up->lock);
    pthread_cond_destroy(&up->read_done);
    pthread_mutex_destroy(&up->read_lock);
    vkg__free(up->host, up->cmds);
    vkg__free(up->host, up->spans);
    vkg__free(up->host, up);
}

void vkg_uploader_get_stats(vkg_uploader *up, vkg_uploader_stats *out)
{
    *out = (vkg_uploader_stats){0};
    if (!up) return;
    pthread_mutex_lock(&up->lock);
    *out = up->stats;
    out->ring_peak = up->peak;
    pthread_mutex_unlock(&up->lock);
}

/* ------------------------------------------------------------------------------------------
 * One piece: reserve, copy, record, submit (vkg__piece, vkg__target: internal.h)
 * ---------------------------------------------------------------------------------------- */

/* The role whose queue reads a piece back: one of the family that owns its contents (the
 * queue of its last use where that has a role), so no ownership transfer is needed and none
 * has to be undone; the uploader's own where nothing owns them yet. */
vkg_queue_role vkg__readback_role(vkg_uploader *up, const vkg__piece *p)
{
    vkg_device *dev = up->dev;
    vkg_queue_role role = up->role;
    pthread_mutex_lock(&dev->lock);
    vkg__target tg;
    if (vkg__piece_target(up, p, &tg) == VKG_SUCCESS) {
        const vkg__track *t =
            tg.buf ? tg.tracks
                   : &tg.tracks[p->region.imageSubresource.mipLevel * tg.layers +
                                p->region.imageSubresource.baseArrayLayer];
        bool owned = !tg.concurrent && t->family != VK_QUEUE_FAMILY_IGNORED &&
                     (t->write_stage || t->read_stage);
        if (owned && t->family != up->family) {
            bool found = false;
            for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT && !found; r++)
                if (t->ticket.value && dev->role_dq[r] == t->ticket.queue &&
                    dev->dq[t->ticket.queue].family == t->family) {
                    role = (vkg_queue_role)r;
                    found = true;
                }
            for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT && !found; r++)
                if (dev->dq[dev->role_dq[r]].family == t->family) {
                    role = (vkg_queue_role)r;
                    found = true;
                }
        }
    }
    pthread_mutex_unlock(&dev->lock);
    return role;
}

/* Under dev->lock: the piece's destination, or VKG_ERROR_INVALID_HANDLE once destroyed. */
vkg_result vkg__piece_target(vkg_uploader *up, const vkg__piece *p, vkg__target *out)
{
    vkg__tracks_settle(up->dev); /* its tracked state is read or written next */
    vkg_device *dev = up->dev;
    *out = (vkg__target){.layers = 1, .name = ""};
    if (p->buffer_id) {
        vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, p->buffer_id);
        if (!b) return VKG_ERROR_INVALID_HANDLE;
        *out = (vkg__target){.buf = b->buffer, .tracks = &b->track, .layers = 1, .name = b->name,
                             .concurrent = b->concurrent};
    } else {
        vkg__image_rec *im = vkg__pool_get(&dev->images, p->image_id);
        if (!im) return VKG_ERROR_INVALID_HANDLE;
        *out = (vkg__target){.img = im->image, .tracks = im->track, .layers = im->layers,
                             .name = im->name, .concurrent = im->concurrent};
    }
    return VKG_SUCCESS;
}

static vkg_result vkg__upload_piece(vkg_uploader *up, const vkg__piece *p, vkg_ticket *ticket)
{
    vkg_device *dev = up->dev;
    vkg_queue_role role = p->role;
    uint32_t dqi = dev->role_dq[role], family = dev->dq[dqi].family;
    pthread_mutex_lock(&up->lock);
    uint32_t span;
    VkDeviceSize at;
    vkg_result r = vkg__ring_reserve(up, p->size, p->align, &span, &at);
    pthread_mutex_unlock(&up->lock);
    if (r != VKG_SUCCESS) return r;

    /* the copy into the ring runs beside other threads' */
    memcpy(up->ring_map + at, p->data, p->size);
    r = vkg_buffer_flush(dev, up->ring, at, p->size);

    pthread_mutex_lock(&up->lock);
    uint32_t ci = 0;
    if (r == VKG_SUCCESS) r = vkg__ucmd_get(up, role, &ci);
    VkCommandBuffer cmd = r == VKG_SUCCESS ? up->cmds[ci].cmd : VK_NULL_HANDLE;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    if (r == VKG_SUCCESS) {
        VkResult vr = dev->vk.vkBeginCommandBuffer(cmd, &bi);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkBeginCommandBuffer", up->name);
    }
    /* the destination's state, under the device lock (vkg_execute and mark_used write it) */
    uint64_t wq[VKG_QUEUE_ROLE_COUNT] = {0}; /* per queue: the latest use to wait for */
    if (r == VKG_SUCCESS) {
        pthread_mutex_lock(&dev->lock);
        vkg__target tg;
        r = vkg__piece_target(up, p, &tg);
        VkBuffer buf = tg.buf;
        VkImage img = tg.img;
        vkg__track *tracks = tg.tracks;
        uint32_t layers = tg.layers;
        const char *name = tg.name;
        if (r == VKG_ERROR_INVALID_HANDLE)
            VKG__ERROR(up->host, "vkg_upload_%s: the %s was destroyed during the upload",
                       p->buffer_id ? "buffer" : "image", p->buffer_id ? "buffer" : "image");
        if (r == VKG_SUCCESS && buf) {
            vkg__track *t = tracks;
            if (t->ticket.value && t->ticket.queue != dqi) wq[t->ticket.queue] = t->ticket.value;
            if (!tg.concurrent && t->family != VK_QUEUE_FAMILY_IGNORED && t->family != family &&
                (t->write_stage || t->read_stage)) {
                VKG__ERROR(up->host,
                           "vkg_upload_buffer: buffer \"%s\" was last used on queue family %u, "
                           "the uploader copies on family %u: upload before its first use, or "
                           "copy it on its own queue (vkg_submit)",
                           name, t->family, family);
                r = VKG_ERROR_INVALID_ARGUMENT;
            }
            if (r == VKG_SUCCESS) {
                /* write-after-read / write-after-write on this queue */
                VkBufferMemoryBarrier2 bb = {
                    .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                    .srcStageMask = vkg__family_stages(dev, family, t->write_stage | t->read_stage),
                    .srcAccessMask = t->write_access,
                    .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                    .dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .buffer = buf,
                    .offset = p->dst_offset,
                    .size = p->size};
                if (bb.srcStageMask) {
                    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                            .bufferMemoryBarrierCount = 1,
                                            .pBufferMemoryBarriers = &bb};
                    dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
                }
                VkBufferCopy copy = {at, p->dst_offset, p->size};
                dev->vk.vkCmdCopyBuffer(cmd, up->ring_vk, buf, 1, &copy);
            }
        } else if (r == VKG_SUCCESS) {
            const VkImageSubresourceLayers *sl = &p->region.imageSubresource;
            VkImageMemoryBarrier2 ib[16];
            uint32_t ni = 0;
            for (uint32_t l = 0; l < sl->layerCount && r == VKG_SUCCESS; l++) {
                vkg__track *t = &tracks[sl->mipLevel * layers + sl->baseArrayLayer + l];
                bool defined = t->write_stage || t->read_stage ||
                               t->layout != VK_IMAGE_LAYOUT_UNDEFINED;
                if (t->ticket.value && t->ticket.queue != dqi &&
                    t->ticket.value > wq[t->ticket.queue])
                    wq[t->ticket.queue] = t->ticket.value;
                if (!p->whole && defined && !tg.concurrent &&
                    t->family != VK_QUEUE_FAMILY_IGNORED && t->family != family) {
                    VKG__ERROR(up->host,
                               "vkg_upload_image: image \"%s\" mip %u layer %u was last used "
                               "on queue family %u, the uploader copies on family %u: a "
                               "partial upload would need its contents transferred; upload "
                               "whole mips, or before its first use",
                               name, sl->mipLevel, sl->baseArrayLayer + l, t->family, family);
                    r = VKG_ERROR_INVALID_ARGUMENT;
                    break;
                }
                ib[ni++] = (VkImageMemoryBarrier2){
                    .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                    .srcStageMask = vkg__family_stages(dev, family, t->write_stage | t->read_stage),
                    .srcAccessMask = t->write_access,
                    .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                    .dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    .oldLayout = p->whole ? VK_IMAGE_LAYOUT_UNDEFINED : t->layout,
                    .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .image = img,
                    .subresourceRange = {sl->aspectMask, sl->mipLevel, 1, sl->baseArrayLayer + l, 1}};
                if (!ib[ni - 1].srcStageMask) ib[ni - 1].srcStageMask = VK_PIPELINE_STAGE_2_NONE;
                if (ni == 16 || l + 1 == sl->layerCount) {
                    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                            .imageMemoryBarrierCount = ni,
                                            .pImageMemoryBarriers = ib};
                    dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
                    ni = 0;
                }
            }
            if (r == VKG_SUCCESS) {
                VkBufferImageCopy region = p->region;
                region.bufferOffset = at;
                dev->vk.vkCmdCopyBufferToImage(cmd, up->ring_vk, img,
                                               VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
            }
            if (r == VKG_SUCCESS && p->ready) {
                /* leave it as the reader wants it: its layout, visible to its stages (on a
                 * family without them, ALL_COMMANDS; the submission's semaphore signal
                 * then carries the visibility to the reader's queue) */
                const vkg_access_info *a = vkg_access_get(p->ready);
                VkQueueFlags qf = dev->caps.queue_families[family].flags;
                bool has = (qf & VK_QUEUE_GRAPHICS_BIT) ||
                           ((qf & VK_QUEUE_COMPUTE_BIT) &&
                            !(a->stage & ~(VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT |
                                           VK_PIPELINE_STAGE_2_DRAW_INDIRECT_BIT)));
                VkImageMemoryBarrier2 rb = {
                    .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                    .srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                    .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    .dstStageMask = has ? a->stage : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                    .dstAccessMask = has ? a->access : 0,
                    .oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                    .newLayout = a->layout,
                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                    .image = img,
                    .subresourceRange = {sl->aspectMask, sl->mipLevel, 1, sl->baseArrayLayer,
                                         sl->layerCount}};
                VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                        .imageMemoryBarrierCount = 1,
                                        .pImageMemoryBarriers = &rb};
                dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
            }
        }
        pthread_mutex_unlock(&dev->lock);
    }
    vkg_ticket t = {0, 0};
    r = vkg__usubmit(up, role, cmd, wq, r, &t);
    if (r == VKG_SUCCESS) {
        up->cmds[ci].ticket = t;
        up->spans[span].ticket = t;
        up->spans[span].state = VKG__SPAN_SUBMITTED;
        up->stats.bytes += p->size;
        up->stats.submissions++;
        /* the destination now holds a transfer write on this queue */
        pthread_mutex_lock(&dev->lock);
        vkg__target tg;
        if (vkg__piece_target(up, p, &tg) == VKG_SUCCESS) {
            const vkg_access_info *a = vkg_access_get(VKG_ACCESS_TRANSFER_WRITE);
            const VkImageSubresourceLayers *sl = &p->region.imageSubresource;
            uint32_t n = tg.buf ? 1 : sl->layerCount;
            for (uint32_t l = 0; l < n; l++) {
                vkg__track *tr = tg.buf ? tg.tracks
                                        : &tg.tracks[sl->mipLevel * tg.layers + sl->baseArrayLayer + l];
                vkg__track_use(dev, tr, a, tg.img != VK_NULL_HANDLE, family, t);
                /* the transition to the reader's layout: a "write" at its stages */
                if (p->ready) vkg__track_use(dev, tr, vkg_access_get(p->ready), true, family, t);
            }
        }
        pthread_mutex_unlock(&dev->lock);
    } else {
        /* nothing was submitted: the span is free once it reaches the front */
        up->spans[span].state = VKG__SPAN_VOID;
        if (cmd) (void)dev->vk.vkResetCommandBuffer(cmd, 0);
    }
    pthread_cond_broadcast(&up->cond);
    pthread_mutex_unlock(&up->lock);
    if (ticket) *ticket = t;
    return r;
}

/* ------------------------------------------------------------------------------------------
 * The calls
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_upload_buffer(vkg_uploader *up, const vkg_upload_buffer_desc *desc,
                             vkg_ticket *out_ticket)
{
    if (out_ticket) *out_ticket = (vkg_ticket){0, 0};
    if (!up || !desc) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = up->dev;
    VKG_CHECK(up->host, desc->data && desc->size, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_buffer: %s", desc->data ? "size is 0" : "data is NULL");
    pthread_mutex_lock(&dev->lock);
    vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, desc->buffer.id);
    VkDeviceSize bsize = b ? b->size : 0;
    VkBufferUsageFlags usage = b ? b->usage : 0;
    char name[64];
    snprintf(name, sizeof name, "%s", b ? b->name : "");
    pthread_mutex_unlock(&dev->lock);
    VKG_CHECK(up->host, b, VKG_ERROR_INVALID_HANDLE,
              "vkg_upload_buffer: buffer 0x%08x is not live", desc->buffer.id);
    VKG_CHECK(up->host, desc->offset <= bsize && desc->size <= bsize - desc->offset,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_buffer: bytes [%llu, %llu) are outside buffer \"%s\" (%llu bytes)",
              (unsigned long long)desc->offset, (unsigned long long)(desc->offset + desc->size),
              name, (unsigned long long)bsize);
    VKG_CHECK(up->host, usage & VK_BUFFER_USAGE_TRANSFER_DST_BIT, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_buffer: buffer \"%s\" was created without "
              "VK_BUFFER_USAGE_TRANSFER_DST_BIT",
              name);
    pthread_mutex_lock(&up->lock);
    up->stats.uploads++;
    pthread_mutex_unlock(&up->lock);
    /* pieces of at most half the ring: the next is copied while the GPU copies the last */
    for (VkDeviceSize done = 0; done < desc->size;) {
        VkDeviceSize n = desc->size - done;
        if (n > up->piece_max) n = up->piece_max;
        vkg__piece p = {.data = (const uint8_t *)desc->data + done,
                        .size = n,
                        .align = 16,
                        .buffer_id = desc->buffer.id,
                        .dst_offset = desc->offset + done,
                        .role = up->role};
        vkg_result r = vkg__upload_piece(up, &p, out_ticket);
        if (r != VKG_SUCCESS) return r;
        done += n;
    }
    return VKG_SUCCESS;
}

VkDeviceSize vkg__lcm4(VkDeviceSize texel)
{
    VkDeviceSize a = texel, b = 4;
    while (b) {
        VkDeviceSize t = a % b;
        a = b;
        b = t;
    }
    return texel / a * 4;
}

vkg_result vkg_upload_image(vkg_uploader *up, const vkg_upload_image_desc *desc,
                            vkg_ticket *out_ticket)
{
    if (out_ticket) *out_ticket = (vkg_ticket){0, 0};
    if (!up || !desc) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = up->dev;
    VKG_CHECK(up->host, desc->data, VKG_ERROR_INVALID_ARGUMENT, "vkg_upload_image: data is NULL");
    pthread_mutex_lock(&dev->lock);
    vkg__image_rec *im = vkg__pool_get(&dev->images, desc->image.id);
    vkg__image_rec rec = im ? *im : (vkg__image_rec){0};
    pthread_mutex_unlock(&dev->lock);
    VKG_CHECK(up->host, im, VKG_ERROR_INVALID_HANDLE, "vkg_upload_image: image 0x%08x is not live",
              desc->image.id);
    const char *name = rec.name;
    uint32_t texel = vkg_format_texel_bytes(rec.format);
    VKG_CHECK(up->host, rec.aspect == VK_IMAGE_ASPECT_COLOR_BIT && texel &&
                            !vkg__format_is_block(rec.format),
              VKG_ERROR_FEATURE_NOT_PRESENT,
              "vkg_upload_image: image \"%s\" has format %s: the uploader copies uncompressed "
              "color formats (depth needs a graphics queue: record the copy with vkg_submit)",
              name, vkg_format_name(rec.format) ? vkg_format_name(rec.format) : "(unknown)");
    VKG_CHECK(up->host, rec.usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: image \"%s\" was created without VK_IMAGE_USAGE_TRANSFER_DST_BIT",
              name);
    uint32_t layer_count = desc->layer_count ? desc->layer_count : 1;
    VKG_CHECK(up->host, desc->mip < rec.mips && desc->layer < rec.layers &&
                            layer_count <= rec.layers - desc->layer,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: mip %u layers [%u, %u) are outside image \"%s\" (%u mips, %u "
              "layers)",
              desc->mip, desc->layer, desc->layer + layer_count, name, rec.mips, rec.layers);
    uint32_t mw = VKG__MAX(1u, rec.width >> desc->mip), mh = VKG__MAX(1u, rec.height >> desc->mip);
    uint32_t md = VKG__MAX(1u, VKG__MAX(1u, rec.depth) >> desc->mip);
    VkExtent3D ext = desc->extent;
    if (!ext.width) ext = (VkExtent3D){mw - (uint32_t)desc->offset.x, mh - (uint32_t)desc->offset.y,
                                       md - (uint32_t)desc->offset.z};
    if (!ext.depth) ext.depth = 1;
    VKG_CHECK(up->host, desc->offset.x >= 0 && desc->offset.y >= 0 && desc->offset.z >= 0 &&
                            ext.width && ext.height && (uint64_t)desc->offset.x + ext.width <= mw &&
                            (uint64_t)desc->offset.y + ext.height <= mh &&
                            (uint64_t)desc->offset.z + ext.depth <= md,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: region at (%d, %d, %d) of %ux%ux%u is outside mip %u of image "
              "\"%s\" (%ux%ux%u)",
              desc->offset.x, desc->offset.y, desc->offset.z, ext.width, ext.height, ext.depth,
              desc->mip, name, mw, mh, md);
    VkDeviceSize row = (VkDeviceSize)ext.width * texel;
    VkDeviceSize slice = row * ext.height;
    VkDeviceSize layer_bytes = slice * ext.depth;
    VkDeviceSize need = layer_bytes * layer_count;
    VKG_CHECK(up->host, desc->size == need, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: %llu bytes given for %ux%ux%u texels x %u layers of %s in image "
              "\"%s\": that region needs %llu (tightly packed, %u bytes per texel)",
              (unsigned long long)desc->size, ext.width, ext.height, ext.depth, layer_count,
              vkg_format_name(rec.format), name, (unsigned long long)need, texel);
    /* ready_for: a layout the image can take, on a queue that runs its stages */
    const vkg_access_info *ra = desc->ready_for ? vkg_access_get(desc->ready_for) : NULL;
    VKG_CHECK(up->host, !desc->ready_for || (ra && ra->layout != VK_IMAGE_LAYOUT_UNDEFINED &&
                                             ra->layout != VK_IMAGE_LAYOUT_PRESENT_SRC_KHR),
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: image \"%s\": ready_for %d is not an access an image is read "
              "or written with",
              name, (int)desc->ready_for);
    VKG_CHECK(up->host, (unsigned)desc->ready_role < VKG_QUEUE_ROLE_COUNT &&
                            (!ra || (ra->roles & (1u << desc->ready_role))),
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: image \"%s\": ready_for %s is not an access of the %s role",
              name, ra ? ra->name : "none",
              (unsigned)desc->ready_role < VKG_QUEUE_ROLE_COUNT
                  ? vkg_queue_role_name(desc->ready_role)
                  : "(invalid)");
    VkImageUsageFlags ready_usage =
        !ra ? 0
        : ra->layout == VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL ? VK_IMAGE_USAGE_SAMPLED_BIT
        : ra->layout == VK_IMAGE_LAYOUT_GENERAL                   ? VK_IMAGE_USAGE_STORAGE_BIT
                                                                  : 0;
    VKG_CHECK(up->host, (rec.usage & ready_usage) == ready_usage, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_upload_image: image \"%s\": ready_for %s needs %s, which the image was "
              "created without",
              name, ra ? ra->name : "", ready_usage == VK_IMAGE_USAGE_SAMPLED_BIT
                                            ? "VK_IMAGE_USAGE_SAMPLED_BIT"
                                            : "VK_IMAGE_USAGE_STORAGE_BIT");
    vkg_queue_role role = up->role;
    if (ra && dev->dq[dev->role_dq[desc->ready_role]].family != up->family)
        role = desc->ready_role; /* copy where it is read: no ownership transfer */
    bool whole_xy = desc->offset.x == 0 && desc->offset.y == 0 && desc->offset.z == 0 &&
                    ext.width == mw && ext.height == mh && ext.depth == md;
    pthread_mutex_lock(&up->lock);
    up->stats.uploads++;
    pthread_mutex_unlock(&up->lock);
    /* pieces: whole layers when they fit in half the ring, else bands of rows (of slices for
     * 3D images) of one layer */
    VkDeviceSize align = vkg__lcm4(texel);
    for (uint32_t l = 0; l < layer_count;) {
        const uint8_t *src = (const uint8_t *)desc->data + (VkDeviceSize)l * layer_bytes;
        if (layer_bytes <= up->piece_max) {
            uint32_t nl = (uint32_t)VKG__MIN((VkDeviceSize)(layer_count - l), up->piece_max / layer_bytes);
            nl = VKG__MIN(nl, 16u);
            vkg__piece p = {.data = src, .size = layer_bytes * nl, .align = align,
                            .image_id = desc->image.id, .whole = whole_xy,
                            .ready = desc->ready_for, .role = role};
            p.region = (VkBufferImageCopy){
                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, desc->mip, desc->layer + l, nl},
                .imageOffset = desc->offset,
                .imageExtent = ext};
            vkg_result r = vkg__upload_piece(up, &p, out_ticket);
            if (r != VKG_SUCCESS) return r;
            l += nl;
            continue;
        }
        /* one layer in bands */
        bool by_slice = ext.depth > 1;
        VkDeviceSize unit = by_slice ? slice : row;
        uint32_t units = by_slice ? ext.depth : ext.height;
        VKG_CHECK(up->host, unit <= up->piece_max, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_upload_image: one %s of image \"%s\" (%llu bytes) is larger than half "
                  "the staging ring (%llu bytes): make the uploader's ring_size larger",
                  by_slice ? "slice" : "row", name, (unsigned long long)unit,
                  (unsigned long long)up->piece_max);
        for (uint32_t u = 0; u < units;) {
            uint32_t nu = (uint32_t)VKG__MIN((VkDeviceSize)(units - u), up->piece_max / unit);
            /* the last band leaves the layer ready for its reader */
            vkg__piece p = {.data = src + (VkDeviceSize)u * unit, .size = unit * nu,
                            .align = align, .image_id = desc->image.id, .whole = false,
                            .ready = u + nu == units ? desc->ready_for : VKG_ACCESS_NONE,
                            .role = role};
            VkOffset3D o = desc->offset;
            VkExtent3D e = ext;
            if (by_slice) {
                o.z += (int32_t)u;
                e.depth = nu;
            } else {
                o.y += (int32_t)u;
                e.height = nu;
            }
            p.region = (VkBufferImageCopy){
                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, desc->mip, desc->layer + l, 1},
                .imageOffset = o,
                .imageExtent = e};
            vkg_result r = vkg__upload_piece(up, &p, out_ticket);
            if (r != VKG_SUCCESS) return r;
            u += nu;
        }
        l++;
    }
    return VKG_SUCCESS;
}

vkg_result vkg_upload_image_mips(vkg_uploader *up, vkg_image image, const void *const *mip_data,
                                 const VkDeviceSize *mip_sizes, uint32_t mip_count,
                                 vkg_access ready_for, vkg_queue_role ready_role,
                                 vkg_ticket *mip_tickets)
{
    if (!up || !mip_data || !mip_sizes || !mip_count) {
        if (up) VKG__ERROR(up->host, "vkg_upload_image_mips: no mips given");
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    /* the smallest mips first: a sampler clamped to the mips already uploaded shows
     * something at once, and sharpens as the larger ones land */
    for (uint32_t i = mip_count; i-- > 0;) {
        vkg_ticket t;
        vkg_result r = vkg_upload_image(up,
                                        &(vkg_upload_image_desc){.image = image,
                                                                 .mip = i,
                                                                 .data = mip_data[i],
                                                                 .size = mip_sizes[i],
                                                                 .ready_for = ready_for,
                                                                 .ready_role = ready_role},
                                        &t);
        if (r != VKG_SUCCESS) return r;
        if (mip_tickets) mip_tickets[i] = t;
    }
    return VKG_SUCCESS;
}
