/* Readback: the GPU copies into a span of the uploader's ring; when the ticket completes, the
 * watcher thread copies the span to the caller's memory and then delivers the completion. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* On the watcher thread, under its lock (so it takes only read_lock of ours, which nothing
 * holds while taking another lock): the data out of the ring, then the span may go. */
void vkg__readback_hook(void *arg, vkg_result result)
{
    vkg__span *s = arg;
    vkg_uploader *up = s->owner;
    vkg_device *dev = up->dev;
    if (result == VKG_SUCCESS) {
        VkDeviceSize size = s->end - s->begin;
        if (!up->ring_memory.coherent) {
            VkDeviceSize atom = dev->caps.non_coherent_atom_size;
            VkDeviceSize start = up->ring_memory.offset + s->begin, end = start + size;
            start -= start % atom;
            end = (end + atom - 1) / atom * atom;
            VkDeviceSize limit = up->ring_memory.offset + up->ring_memory.size;
            VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                         .memory = up->ring_memory.memory,
                                         .offset = start,
                                         .size = (end > limit ? limit : end) - start};
            VkResult vr = dev->vk.vkInvalidateMappedMemoryRanges(dev->device, 1, &range);
            (void)vr; /* cannot fail but for out of memory; the copy below still happens */
        }
        memcpy(s->dst, up->ring_map + s->begin, size);
    }
    pthread_mutex_lock(&up->read_lock);
    atomic_store(&s->reading, false);
    pthread_cond_broadcast(&up->read_done);
    pthread_mutex_unlock(&up->read_lock);
}

/* The piece a readback of buffer range [offset, offset + size) copies, checked by name
 * (b: a copy of the buffer's record, NULL when it is not live). */
static vkg_result vkg__readback_buffer(vkg_uploader *up, const vkg_readback_desc *desc,
                                       const vkg__buffer_rec *b, const char *name, vkg__piece *p)
{
    VKG_CHECK(up->host, b, VKG_ERROR_INVALID_HANDLE, "vkg_readback: buffer 0x%08x is not live",
              desc->buffer.id);
    VKG_CHECK(up->host, desc->size && desc->offset <= b->size &&
                            desc->size <= b->size - desc->offset,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: bytes [%llu, %llu) are outside buffer \"%s\" (%llu bytes)",
              (unsigned long long)desc->offset,
              (unsigned long long)(desc->offset + desc->size), name,
              (unsigned long long)b->size);
    VKG_CHECK(up->host, b->usage & VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: buffer \"%s\" was created without VK_BUFFER_USAGE_TRANSFER_SRC_BIT",
              name);
    p->buffer_id = desc->buffer.id;
    p->dst_offset = desc->offset;
    p->size = desc->size;
    return VKG_SUCCESS;
}

/* The piece a readback of an image region copies (tightly packed), checked by name (im: a
 * copy of the image's record, NULL when it is not live). */
static vkg_result vkg__readback_image(vkg_uploader *up, const vkg_readback_desc *desc,
                                      const vkg__image_rec *im, const char *name, vkg__piece *p)
{
    VKG_CHECK(up->host, im, VKG_ERROR_INVALID_HANDLE, "vkg_readback: image 0x%08x is not live",
              desc->image.id);
    uint32_t texel = vkg_format_texel_bytes(im->format);
    VKG_CHECK(up->host, im->aspect == VK_IMAGE_ASPECT_COLOR_BIT && texel &&
                            !vkg__format_is_block(im->format) && im->samples <= 1,
              VKG_ERROR_FEATURE_NOT_PRESENT,
              "vkg_readback: image \"%s\": the uploader reads back single-sampled, "
              "uncompressed color formats",
              name);
    VKG_CHECK(up->host, im->usage & VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: image \"%s\" was created without VK_IMAGE_USAGE_TRANSFER_SRC_BIT",
              name);
    uint32_t mw = VKG__MAX(1u, im->width >> desc->mip);
    uint32_t mh = VKG__MAX(1u, im->height >> desc->mip);
    uint32_t md = VKG__MAX(1u, VKG__MAX(1u, im->depth) >> desc->mip);
    VkOffset3D o = desc->image_offset;
    VkExtent3D e = desc->extent;
    VKG_CHECK(up->host, desc->mip < im->mips && desc->layer < im->layers && o.x >= 0 &&
                            o.y >= 0 && o.z >= 0 && (uint32_t)o.x < mw &&
                            (uint32_t)o.y < mh && (uint32_t)o.z < md,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: mip %u layer %u at (%d, %d, %d) is outside image \"%s\" (%u mips, "
              "%u layers, mip size %ux%ux%u)",
              desc->mip, desc->layer, o.x, o.y, o.z, name, im->mips, im->layers, mw, mh, md);
    if (!e.width) e = (VkExtent3D){mw - (uint32_t)o.x, mh - (uint32_t)o.y, md - (uint32_t)o.z};
    if (!e.depth) e.depth = 1;
    VKG_CHECK(up->host, e.height && (uint64_t)o.x + e.width <= mw &&
                            (uint64_t)o.y + e.height <= mh && (uint64_t)o.z + e.depth <= md,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: region of %ux%ux%u at (%d, %d, %d) is outside mip %u of image "
              "\"%s\" (%ux%ux%u)",
              e.width, e.height, e.depth, o.x, o.y, o.z, desc->mip, name, mw, mh, md);
    p->image_id = desc->image.id;
    p->size = (VkDeviceSize)e.width * e.height * e.depth * texel;
    p->align = vkg__lcm4(texel);
    VKG_CHECK(up->host, !desc->size || desc->size == p->size, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: %llu bytes given for a %ux%ux%u region of %s in image \"%s\": "
              "it holds %llu (tightly packed)",
              (unsigned long long)desc->size, e.width, e.height, e.depth,
              vkg_format_name(im->format), name, (unsigned long long)p->size);
    p->region = (VkBufferImageCopy){
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, desc->mip, desc->layer, 1},
        .imageOffset = o,
        .imageExtent = e};
    return VKG_SUCCESS;
}

/* Records the copy into the ring at `at`: after the target's last write on this queue (and
 * into TRANSFER_SRC_OPTIMAL for an image), its use on another queue waited for through
 * wq, and the copy's writes made visible to the host. Under the device lock. */
static void vkg__readback_record(vkg_uploader *up, const vkg__piece *p, const vkg__target *tg,
                                 const vkg__track *t, VkCommandBuffer cmd, VkDeviceSize at,
                                 uint32_t dqi, uint64_t *wq)
{
    vkg_device *dev = up->dev;
    if (t->ticket.value && t->ticket.queue != dqi) wq[t->ticket.queue] = t->ticket.value;
    /* read-after-write on this queue (and the layout the copy reads from) */
    /* (stages of another family's use become ALL_COMMANDS: the semaphore wait orders them) */
    VkPipelineStageFlags2 src =
        vkg__family_stages(dev, dev->dq[dqi].family, t->write_stage | (tg->img ? t->read_stage : 0));
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
    VkBufferMemoryBarrier2 bb;
    VkImageMemoryBarrier2 ib;
    if (tg->buf) {
        bb = (VkBufferMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                      .srcStageMask = src,
                                      .srcAccessMask = t->write_access,
                                      .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                                      .dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT,
                                      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .buffer = tg->buf,
                                      .offset = p->dst_offset,
                                      .size = p->size};
        if (src) {
            dep.bufferMemoryBarrierCount = 1;
            dep.pBufferMemoryBarriers = &bb;
        }
    } else {
        ib = (VkImageMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
            .srcStageMask = src ? src : VK_PIPELINE_STAGE_2_NONE,
            .srcAccessMask = t->write_access,
            .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
            .dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT,
            .oldLayout = t->layout,
            .newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
            .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
            .image = tg->img,
            .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT,
                                 p->region.imageSubresource.mipLevel, 1,
                                 p->region.imageSubresource.baseArrayLayer, 1}};
        if (src || t->layout != VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL) {
            dep.imageMemoryBarrierCount = 1;
            dep.pImageMemoryBarriers = &ib;
        }
    }
    if (dep.bufferMemoryBarrierCount || dep.imageMemoryBarrierCount)
        dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
    if (tg->buf) {
        VkBufferCopy copy = {p->dst_offset, at, p->size};
        dev->vk.vkCmdCopyBuffer(cmd, tg->buf, up->ring_vk, 1, &copy);
    } else {
        VkBufferImageCopy region = p->region;
        region.bufferOffset = at;
        dev->vk.vkCmdCopyImageToBuffer(cmd, tg->img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                       up->ring_vk, 1, &region);
    }
    /* the copy's writes to the host before the ticket completes */
    VkMemoryBarrier2 hb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                           .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                           .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                           .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    dev->vk.vkCmdPipelineBarrier2(cmd, &(VkDependencyInfo){
                                           .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                           .memoryBarrierCount = 1,
                                           .pMemoryBarriers = &hb});
}

/* The target's tracked subresource the piece reads (its first for a buffer). */
static vkg__track *vkg__readback_track(const vkg__piece *p, const vkg__target *tg)
{
    return tg->buf ? tg->tracks
                   : &tg->tracks[p->region.imageSubresource.mipLevel * tg->layers +
                                 p->region.imageSubresource.baseArrayLayer];
}

/* Checks the target is still there and still owned by the family the readback was
 * prepared on, then records the copy. Under the device lock. */
static vkg_result vkg__readback_prepare(vkg_uploader *up, const vkg__piece *p, const char *name,
                                        VkCommandBuffer cmd, VkDeviceSize at, uint64_t *wq)
{
    uint32_t dqi = up->dev->role_dq[p->role];
    uint32_t family = up->dev->dq[dqi].family;
    vkg__target tg;
    vkg_result r = vkg__piece_target(up, p, &tg);
    if (r == VKG_ERROR_INVALID_HANDLE)
        VKG__ERROR(up->host, "vkg_readback: \"%s\" was destroyed during the readback", name);
    if (r != VKG_SUCCESS) return r;
    const vkg__track *t = vkg__readback_track(p, &tg);
    if (!tg.concurrent && t->family != VK_QUEUE_FAMILY_IGNORED && t->family != family &&
        (t->write_stage || t->read_stage)) {
        /* its owner changed since vkg__readback_role looked (a concurrent execution) */
        VKG__ERROR(up->host,
                   "vkg_readback: \"%s\" moved to queue family %u while the readback was "
                   "prepared on family %u: order the readback after the work that uses it",
                   name, t->family, family);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    vkg__readback_record(up, p, &tg, t, cmd, at, dqi, wq);
    return VKG_SUCCESS;
}

/* After the submission: the span waits for its copy-out, the target's track records the
 * transfer read. Under the uploader's lock. */
static vkg__span *vkg__readback_submitted(vkg_uploader *up, const vkg__piece *p, uint32_t span,
                                          uint32_t ci, vkg_ticket t, void *dst)
{
    vkg_device *dev = up->dev;
    vkg__span *s = &up->spans[span];
    up->cmds[ci].ticket = t;
    s->ticket = t;
    s->dst = dst;
    atomic_store(&s->reading, true);
    s->state = VKG__SPAN_SUBMITTED;
    up->stats.readbacks++;
    up->stats.submissions++;
    pthread_mutex_lock(&dev->lock);
    vkg__target tg;
    if (vkg__piece_target(up, p, &tg) == VKG_SUCCESS)
        vkg__track_use(dev, vkg__readback_track(p, &tg), vkg_access_get(VKG_ACCESS_TRANSFER_READ),
                       tg.img != VK_NULL_HANDLE, dev->dq[dev->role_dq[p->role]].family, t);
    pthread_mutex_unlock(&dev->lock);
    return s;
}

/* Checks the request and makes its piece: the target's record is copied under the device
 * lock, then checked without it. */
static vkg_result vkg__readback_piece(vkg_uploader *up, const vkg_readback_desc *desc, char *name,
                                      size_t name_size, vkg__piece *p)
{
    vkg_device *dev = up->dev;
    VKG_CHECK(up->host, desc->dst && desc->cq, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: %s is NULL", desc->dst ? "cq" : "dst");
    VKG_CHECK(up->host, !desc->buffer.id != !desc->image.id, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: give exactly one of buffer and image");
    *p = (vkg__piece){.role = up->role, .align = 16};
    pthread_mutex_lock(&dev->lock);
    vkg__buffer_rec *b = desc->buffer.id ? vkg__pool_get(&dev->buffers, desc->buffer.id) : NULL;
    vkg__image_rec *im = desc->image.id ? vkg__pool_get(&dev->images, desc->image.id) : NULL;
    vkg__buffer_rec brec = b ? *b : (vkg__buffer_rec){0};
    vkg__image_rec irec = im ? *im : (vkg__image_rec){0};
    snprintf(name, name_size, "%s", b ? b->name : im ? im->name : "");
    pthread_mutex_unlock(&dev->lock);
    vkg_result r = desc->buffer.id ? vkg__readback_buffer(up, desc, b ? &brec : NULL, name, p)
                                   : vkg__readback_image(up, desc, im ? &irec : NULL, name, p);
    if (r != VKG_SUCCESS) return r;
    VKG_CHECK(up->host, p->size <= up->piece_max, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_readback: %llu bytes from \"%s\" do not fit in half the staging ring (%llu "
              "bytes): read back in smaller regions, or make ring_size larger",
              (unsigned long long)p->size, name, (unsigned long long)up->piece_max);
    p->role = vkg__readback_role(up, p);
    return VKG_SUCCESS;
}

/* A readback: check and make the piece; reserve a span and a command buffer; record the copy;
 * submit; hand the span to the watcher, which copies it out and delivers the completion. */
vkg_result vkg_readback(vkg_uploader *up, const vkg_readback_desc *desc, vkg_ticket *out_ticket)
{
    if (out_ticket) *out_ticket = (vkg_ticket){0, 0};
    if (!up || !desc) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = up->dev;
    vkg__piece p;
    char name[64];
    vkg_result r = vkg__readback_piece(up, desc, name, sizeof name, &p);
    if (r != VKG_SUCCESS) return r;

    pthread_mutex_lock(&up->lock);
    uint32_t span = 0;
    VkDeviceSize at = 0;
    r = vkg__ring_reserve(up, p.size, p.align, &span, &at);
    bool reserved = r == VKG_SUCCESS;
    uint32_t ci = 0;
    if (r == VKG_SUCCESS) r = vkg__ucmd_get(up, p.role, &ci);
    VkCommandBuffer cmd = r == VKG_SUCCESS ? up->cmds[ci].cmd : VK_NULL_HANDLE;
    if (cmd) {
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        VkResult vr = dev->vk.vkBeginCommandBuffer(cmd, &bi);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkBeginCommandBuffer", up->name);
    }
    uint64_t wq[VKG_QUEUE_ROLE_COUNT] = {0};
    if (r == VKG_SUCCESS) {
        pthread_mutex_lock(&dev->lock);
        r = vkg__readback_prepare(up, &p, name, cmd, at, wq);
        pthread_mutex_unlock(&dev->lock);
    }
    vkg_ticket t = {0, 0};
    r = vkg__usubmit(up, p.role, cmd, wq, r, &t);
    vkg__span *s = NULL;
    if (r == VKG_SUCCESS) {
        s = vkg__readback_submitted(up, &p, span, ci, t, desc->dst);
    } else if (reserved) {
        /* nothing was submitted: the span is free once it reaches the front */
        up->spans[span].state = VKG__SPAN_VOID;
        if (cmd) (void)dev->vk.vkResetCommandBuffer(cmd, 0);
    }
    pthread_cond_broadcast(&up->cond);
    pthread_mutex_unlock(&up->lock);
    if (r != VKG_SUCCESS) return r;
    /* outside our lock: the hook runs under the watcher's */
    r = vkg__cq_watch_hook(desc->cq, t, desc->user_data, vkg__readback_hook, s);
    if (r != VKG_SUCCESS) {
        /* no completion will come: copy out here so that nothing is lost */
        vkg_result wr = vkg_ticket_wait(dev, t, UINT64_MAX);
        vkg__readback_hook(s, wr);
        return r;
    }
    if (out_ticket) *out_ticket = t;
    return VKG_SUCCESS;
}
