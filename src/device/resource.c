/* Buffers, images, views and raw memory ranges on a vkg_device. */
#include "device.h"

#include <stdio.h>


static const char *vkg__name_or(const char *name, const char *fallback)
{
    return name && name[0] ? name : fallback;
}

/* ------------------------------------------------------------------------------------------
 * Raw memory
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_memory_alloc(vkg_device *device, const vkg_memory_desc *desc,
                            vkg_allocation *out)
{
    VKG_CHECK(&device->host, desc && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_memory_alloc: desc and out must not be NULL");
    out->id = 0;
    if (atomic_load(&device->lost)) return VKG_ERROR_DEVICE_LOST;
    vkg__mem_alloc_desc d = {
        .name = vkg__name_or(desc->name, "(unnamed allocation)"),
        .requirements = desc->requirements,
        .usage = desc->usage,
        .tiling = desc->tiling,
        .dedicated = desc->dedicated,
    };
    VKG__LOCK(device);
    vkg_result r = vkg__memory_alloc(&device->memory, &d, out);
    VKG__UNLOCK(device);
    return r;
}

void vkg_memory_free(vkg_device *device, vkg_allocation allocation)
{
    VKG__LOCK(device);
    vkg__memory_free(&device->memory, allocation);
    VKG__UNLOCK(device);
}

vkg_result vkg_memory_info(vkg_device *device, vkg_allocation allocation,
                           vkg_allocation_info *out)
{
    VKG__LOCK(device);
    bool ok = vkg__memory_info(&device->memory, allocation, out);
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, ok, VKG_ERROR_INVALID_HANDLE,
              "vkg_memory_info: allocation 0x%08x is not live (never created, or freed)",
              allocation.id);
    return VKG_SUCCESS;
}

void vkg_memory_get_stats(vkg_device *device, vkg_memory_stats *out)
{
    VKG__LOCK(device);
    vkg__memory_stats(&device->memory, out);
    VKG__UNLOCK(device);
}

/* Allocates (or validates the user's binding) for a resource with `reqs`; called locked.
 * On success out_alloc and out_offset say where to bind and *out_owned whether we own it. */
static vkg_result vkg__resource_memory(vkg_device *dev, const char *kind, const char *name,
                                       const VkMemoryRequirements *reqs, bool dedicated,
                                       VkBuffer buffer, VkImage image,
                                       const vkg_memory_binding *binding,
                                       vkg_memory_usage usage, vkg_resource_tiling tiling,
                                       vkg_allocation *out_alloc, VkDeviceSize *out_offset,
                                       bool *out_owned)
{
    if (binding->allocation.id) {
        vkg_allocation_info info;
        VKG_CHECK(&dev->host, vkg__memory_info(&dev->memory, binding->allocation, &info),
                  VKG_ERROR_INVALID_HANDLE,
                  "%s \"%s\": memory.allocation 0x%08x is not live: allocate it with "
                  "vkg_memory_alloc and keep it until the %s is destroyed",
                  kind, name, binding->allocation.id, kind);
        VKG_CHECK(&dev->host, reqs->memoryTypeBits & (1u << info.memory_type),
                  VKG_ERROR_INVALID_ARGUMENT,
                  "%s \"%s\" cannot live in memory type %u of its allocation (allowed types "
                  "0x%x): allocate with this resource's VkMemoryRequirements",
                  kind, name, info.memory_type, reqs->memoryTypeBits);
        VKG_CHECK(&dev->host, binding->offset % reqs->alignment == 0, VKG_ERROR_INVALID_ARGUMENT,
                  "%s \"%s\": memory.offset %llu is not a multiple of the required alignment "
                  "%llu",
                  kind, name, (unsigned long long)binding->offset,
                  (unsigned long long)reqs->alignment);
        VKG_CHECK(&dev->host,
                  binding->offset <= info.size && reqs->size <= info.size - binding->offset,
                  VKG_ERROR_INVALID_ARGUMENT,
                  "%s \"%s\" needs %llu bytes at offset %llu but its allocation holds %llu",
                  kind, name, (unsigned long long)reqs->size,
                  (unsigned long long)binding->offset, (unsigned long long)info.size);
        *out_alloc = binding->allocation;
        *out_offset = binding->offset;
        *out_owned = false;
        return VKG_SUCCESS;
    }
    vkg__mem_alloc_desc d = {
        .name = name,
        .requirements = *reqs,
        .usage = usage,
        .tiling = tiling,
        .dedicated = dedicated,
        .dedicated_buffer = buffer,
        .dedicated_image = image,
    };
    vkg_result r = vkg__memory_alloc(&dev->memory, &d, out_alloc);
    if (r != VKG_SUCCESS) return r;
    *out_offset = 0;
    *out_owned = true;
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Buffers
 * ---------------------------------------------------------------------------------------- */

static void vkg__track_init(vkg__track *t, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        t[i] = (vkg__track){.layout = VK_IMAGE_LAYOUT_UNDEFINED, .family = VK_QUEUE_FAMILY_IGNORED};
}

/* The sharing mode of a new buffer or image, and for CONCURRENT the distinct queue families
 * of the device's queues (one family: exclusive, which is the same and what Vulkan asks). */
static VkSharingMode vkg__sharing_mode(const vkg_device *dev, vkg_sharing sharing,
                                       uint32_t families[VKG_QUEUE_ROLE_COUNT], uint32_t *count)
{
    *count = 0;
    if (sharing == VKG_SHARING_DEFAULT) sharing = dev->sharing;
    if (sharing != VKG_SHARING_CONCURRENT) return VK_SHARING_MODE_EXCLUSIVE;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        bool seen = false;
        for (uint32_t i = 0; i < *count; i++) seen |= families[i] == dev->dq[q].family;
        if (!seen) families[(*count)++] = dev->dq[q].family;
    }
    if (*count > 1) return VK_SHARING_MODE_CONCURRENT;
    *count = 0;
    return VK_SHARING_MODE_EXCLUSIVE;
}

static void vkg__buffer_release(vkg_device *dev, vkg__buffer_rec *b)
{
    if (b->buffer) dev->vk.vkDestroyBuffer(dev->device, b->buffer, dev->vkac);
    if (b->owns_allocation) vkg__memory_free(&dev->memory, b->allocation);
}

vkg_result vkg_buffer_create(vkg_device *device, const vkg_buffer_desc *desc, vkg_buffer *out)
{
    vkg_device *dev = device;
    VKG_CHECK(&dev->host, desc && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_buffer_create: desc and out must not be NULL");
    out->id = 0;
    const char *name = vkg__name_or(desc->name, "(unnamed buffer)");
    if (atomic_load(&dev->lost)) return VKG_ERROR_DEVICE_LOST;
    VKG_CHECK(&dev->host, desc->size > 0, VKG_ERROR_INVALID_ARGUMENT,
              "buffer \"%s\": size is 0: a buffer needs at least one byte", name);
    VKG_CHECK(&dev->host, desc->size <= dev->caps.max_buffer_size, VKG_ERROR_LIMIT,
              "buffer \"%s\": size %llu exceeds the device's maxBufferSize %llu", name,
              (unsigned long long)desc->size, (unsigned long long)dev->caps.max_buffer_size);
    VKG_CHECK(&dev->host, desc->memory_usage < VKG_MEMORY_USAGE_COUNT, VKG_ERROR_INVALID_ARGUMENT,
              "buffer \"%s\": memory_usage %d is not a vkg_memory_usage", name,
              (int)desc->memory_usage);
    VkBufferUsageFlags usage = desc->usage;
    if (!usage)
        usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_INDEX_BUFFER_BIT |
                VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;

    uint32_t families[VKG_QUEUE_ROLE_COUNT], family_count;
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = desc->size,
        .usage = usage,
        .sharingMode = vkg__sharing_mode(dev, desc->sharing, families, &family_count),
        .queueFamilyIndexCount = family_count,
        .pQueueFamilyIndices = families,
    };
    vkg__buffer_rec rec = {.size = desc->size, .usage = usage,
                           .concurrent = bci.sharingMode == VK_SHARING_MODE_CONCURRENT};
    snprintf(rec.name, sizeof rec.name, "%s", name);
    VkResult vr = dev->vk.vkCreateBuffer(dev->device, &bci, dev->vkac, &rec.buffer);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateBuffer", rec.name);

    VkMemoryDedicatedRequirements dreq = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &dreq};
    VkBufferMemoryRequirementsInfo2 rinfo = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, .buffer = rec.buffer};
    dev->vk.vkGetBufferMemoryRequirements2(dev->device, &rinfo, &req2);

    VKG__LOCK(dev);
    VkDeviceSize offset = 0;
    vkg_result r = vkg__resource_memory(
        dev, "buffer", rec.name, &req2.memoryRequirements,
        dreq.prefersDedicatedAllocation || dreq.requiresDedicatedAllocation, rec.buffer,
        VK_NULL_HANDLE, &desc->memory, desc->memory_usage, VKG_TILING_LINEAR, &rec.allocation,
        &offset, &rec.owns_allocation);
    if (r == VKG_SUCCESS) {
        vkg_allocation_info info;
        vkg__memory_info(&dev->memory, rec.allocation, &info);
        rec.memory_offset = offset;
        vr = dev->vk.vkBindBufferMemory(dev->device, rec.buffer, info.memory, info.offset + offset);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkBindBufferMemory", rec.name);
    }
    uint32_t id = 0;
    vkg__buffer_rec *slot = NULL;
    if (r == VKG_SUCCESS) {
        slot = vkg__pool_alloc(&dev->host, &dev->buffers, &id);
        if (!slot) r = VKG__OOM(&dev->host, "a buffer record");
        else r = vkg__scope_add(dev, desc->scope, VKG__KIND_BUFFER, id, rec.name, &rec.scoped);
        if (r != VKG_SUCCESS && slot) vkg__pool_free(&dev->buffers, id);
    }
    if (r != VKG_SUCCESS) {
        vkg__buffer_release(dev, &rec);
        VKG__UNLOCK(dev);
        return r;
    }
    if (usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) {
        VkBufferDeviceAddressInfo ai = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                        .buffer = rec.buffer};
        rec.address = dev->vk.vkGetBufferDeviceAddress(dev->device, &ai);
    }
    vkg__track_init(&rec.track, 1);
    *slot = rec;
    VKG__UNLOCK(dev);
    vkg__set_name(dev, VK_OBJECT_TYPE_BUFFER, (uint64_t)rec.buffer, rec.name);
    *out = (vkg_buffer){id};
    return VKG_SUCCESS;
}

/* The end of every kind's doom: the extra tickets to wait for (a deferred destroy's), the
 * record out of its scope and pool, the object onto the deletion queue. */
static bool vkg__doom_retire(vkg_device *dev, vkg__pool *pool, uint32_t id, vkg__scoped *scoped,
                             vkg__doom *d, const uint64_t *extra)
{
    if (extra)
        for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++)
            if (extra[q] > d->after[q]) d->after[q] = extra[q];
    vkg__scope_remove(dev, scoped);
    vkg__pool_free(pool, id);
    vkg__doom_push(dev, d);
    return true;
}

/* The public destroy calls: dooms a live object (lifetime.c frees it once the GPU is done
 * with it), warns about a stale handle, then drains the deletion queue. */
static void vkg__destroy(vkg_device *dev, vkg__pool *pool,
                         bool (*doom)(vkg_device *, uint32_t, const uint64_t *), uint32_t id,
                         const char *fn, const char *what)
{
    if (!id) return;
    VKG__LOCK(dev);
    bool live = vkg__pool_get(pool, id) != NULL;
    if (live) doom(dev, id, NULL);
    VKG__UNLOCK(dev);
    if (!live) VKG__WARN(&dev->host, "%s: %s 0x%08x is stale (already destroyed)", fn, what, id);
    vkg_device_poll(dev);
}

bool vkg__buffer_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra)
{
    vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, id);
    if (!b) return true;
    vkg__doom d = {.kind = VKG__KIND_BUFFER,
                   .buffer = b->buffer,
                   .allocation = b->allocation,
                   .owns_allocation = b->owns_allocation};
    vkg__fold_used(dev, &b->track, 1, d.after);
    return vkg__doom_retire(dev, &dev->buffers, id, &b->scoped, &d, extra);
}

void vkg_buffer_destroy(vkg_device *device, vkg_buffer buffer)
{
    if (!device) return;
    vkg__destroy(device, &device->buffers, vkg__buffer_doom_locked, buffer.id,
                 "vkg_buffer_destroy", "buffer");
}

/* Records a use the caller submitted; under the lock. */
static void vkg__mark(vkg__track *t, vkg_ticket ticket)
{
    if (ticket.value > t->used[ticket.queue]) t->used[ticket.queue] = ticket.value;
}

vkg_result vkg_buffer_mark_used(vkg_device *device, vkg_buffer buffer, vkg_ticket ticket)
{
    if (!vkg__ticket_valid(device, ticket, "vkg_buffer_mark_used"))
        return VKG_ERROR_INVALID_ARGUMENT;
    VKG__LOCK(device);
    vkg__buffer_rec *b = vkg__pool_get(&device->buffers, buffer.id);
    if (b) vkg__mark(&b->track, ticket);
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, b, VKG_ERROR_INVALID_HANDLE,
              "vkg_buffer_mark_used: buffer 0x%08x is not live", buffer.id);
    return VKG_SUCCESS;
}

vkg_result vkg_image_mark_used(vkg_device *device, vkg_image image, vkg_ticket ticket)
{
    if (!vkg__ticket_valid(device, ticket, "vkg_image_mark_used"))
        return VKG_ERROR_INVALID_ARGUMENT;
    VKG__LOCK(device);
    vkg__image_rec *im = vkg__pool_get(&device->images, image.id);
    if (im) vkg__mark(&im->track[0], ticket); /* destruction folds over all tracks */
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, im, VKG_ERROR_INVALID_HANDLE,
              "vkg_image_mark_used: image 0x%08x is not live", image.id);
    return VKG_SUCCESS;
}

vkg_result vkg_buffer_get_info(vkg_device *device, vkg_buffer buffer, vkg_buffer_info *out)
{
    VKG__LOCK(device);
    vkg__buffer_rec *b = vkg__pool_get(&device->buffers, buffer.id);
    vkg_allocation_info info = {0};
    if (b) {
        vkg__memory_info(&device->memory, b->allocation, &info);
        *out = (vkg_buffer_info){
            .buffer = b->buffer,
            .size = b->size,
            .address = b->address,
            .mapped = info.mapped ? (uint8_t *)info.mapped + b->memory_offset : NULL,
            .allocation = b->allocation,
            .concurrent = b->concurrent,
        };
    }
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, b, VKG_ERROR_INVALID_HANDLE,
              "vkg_buffer_get_info: buffer 0x%08x is %s", buffer.id,
              buffer.id ? "stale (destroyed) or from another device" : "the null handle");
    return VKG_SUCCESS;
}

/* Flush/invalidate in whole non-coherent atoms (spec: VkMappedMemoryRange offset and size
 * must be multiples of nonCoherentAtomSize); allocations own their atoms (memory.c). */
static vkg_result vkg__buffer_sync(vkg_device *dev, vkg_buffer buffer, VkDeviceSize offset,
                                   VkDeviceSize size, bool flush)
{
    const char *fn = flush ? "vkg_buffer_flush" : "vkg_buffer_invalidate";
    VKG__LOCK(dev);
    vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, buffer.id);
    vkg_allocation_info info = {0};
    VkDeviceSize bsize = b ? b->size : 0, boff = b ? b->memory_offset : 0;
    if (b) vkg__memory_info(&dev->memory, b->allocation, &info);
    VKG__UNLOCK(dev);
    VKG_CHECK(&dev->host, b, VKG_ERROR_INVALID_HANDLE, "%s: buffer 0x%08x is not live", fn,
              buffer.id);
    if (size == VK_WHOLE_SIZE) size = offset < bsize ? bsize - offset : 0;
    VKG_CHECK(&dev->host, offset <= bsize && size <= bsize - offset, VKG_ERROR_INVALID_ARGUMENT,
              "%s: range [%llu, +%llu) is outside the buffer's %llu bytes", fn,
              (unsigned long long)offset, (unsigned long long)size, (unsigned long long)bsize);
    VKG_CHECK(&dev->host, info.mapped != NULL, VKG_ERROR_INVALID_ARGUMENT,
              "%s: the buffer is not in host-visible memory: create it with memory_usage "
              "VKG_MEMORY_UPLOAD or VKG_MEMORY_READBACK",
              fn);
    if (info.coherent || size == 0) return VKG_SUCCESS;
    VkDeviceSize atom = dev->caps.non_coherent_atom_size;
    VkDeviceSize start = info.offset + boff + offset, end = start + size;
    start -= start % atom;
    end = ((end + atom - 1) / atom) * atom;
    VkMappedMemoryRange range = {
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
        .memory = info.memory,
        .offset = start,
        .size = end - start,
    };
    VkResult vr = flush ? dev->vk.vkFlushMappedMemoryRanges(dev->device, 1, &range)
                        : dev->vk.vkInvalidateMappedMemoryRanges(dev->device, 1, &range);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, fn, "a mapped buffer range");
    return VKG_SUCCESS;
}

vkg_result vkg_buffer_flush(vkg_device *device, vkg_buffer buffer, VkDeviceSize offset,
                            VkDeviceSize size)
{
    return vkg__buffer_sync(device, buffer, offset, size, true);
}

vkg_result vkg_buffer_invalidate(vkg_device *device, vkg_buffer buffer, VkDeviceSize offset,
                                 VkDeviceSize size)
{
    return vkg__buffer_sync(device, buffer, offset, size, false);
}

/* ------------------------------------------------------------------------------------------
 * Images
 * ---------------------------------------------------------------------------------------- */

static uint32_t vkg__mip_levels(uint32_t w, uint32_t h, uint32_t d)
{
    uint32_t m = VKG__MAX(VKG__MAX(w, h), d), levels = 1;
    while (m > 1) {
        m >>= 1;
        levels++;
    }
    return levels;
}

static VkImageUsageFlags vkg__usage_from_features(VkFormatFeatureFlags f)
{
    VkImageUsageFlags u = 0;
    if (f & VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT) u |= VK_IMAGE_USAGE_SAMPLED_BIT;
    if (f & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) u |= VK_IMAGE_USAGE_STORAGE_BIT;
    if (f & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) u |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    if (f & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT)
        u |= VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
    if (f & VK_FORMAT_FEATURE_TRANSFER_SRC_BIT) u |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    if (f & VK_FORMAT_FEATURE_TRANSFER_DST_BIT) u |= VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    return u;
}

static VkImageViewType vkg__view_type(VkImageType type, uint32_t layers)
{
    if (type == VK_IMAGE_TYPE_3D) return VK_IMAGE_VIEW_TYPE_3D;
    return layers > 1 ? VK_IMAGE_VIEW_TYPE_2D_ARRAY : VK_IMAGE_VIEW_TYPE_2D;
}

static void vkg__image_release(vkg_device *dev, vkg__image_rec *im)
{
    if (im->view) dev->vk.vkDestroyImageView(dev->device, im->view, dev->vkac);
    if (im->image && im->owns_image) dev->vk.vkDestroyImage(dev->device, im->image, dev->vkac);
    if (im->owns_allocation) vkg__memory_free(&dev->memory, im->allocation);
    vkg__free(&dev->host, im->track);
    im->track = NULL;
}


/* The end of vkg_image_create and vkg_image_import: unless `r` already failed, a view of the
 * whole image (when its usage allows one), its state, its record; on failure everything the
 * record holds is released. */
static vkg_result vkg__image_publish(vkg_device *dev, vkg__image_rec *in, vkg_result r,
                                     vkg_scope *scope, vkg_image *out)
{
    vkg__image_rec rec = *in;
    /* a view needs a usage that views serve (transfer-only images get none) */
    const VkImageUsageFlags view_usage =
        VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT |
        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT |
        VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    if (r == VKG_SUCCESS && (rec.usage & view_usage)) {
        VkImageViewCreateInfo vci = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
            .image = rec.image,
            .viewType = vkg__view_type(rec.type, rec.layers),
            .format = rec.format,
            .subresourceRange = {rec.aspect, 0, rec.mips, 0, rec.layers},
        };
        VkResult vr = dev->vk.vkCreateImageView(dev->device, &vci, dev->vkac, &rec.view);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkCreateImageView", rec.name);
    }
    if (r == VKG_SUCCESS) {
        rec.track = vkg__alloc(&dev->host, sizeof(vkg__track) * vkg__image_subresources(&rec));
        if (!rec.track) r = VKG__OOM(&dev->host, "an image's state");
        else vkg__track_init(rec.track, vkg__image_subresources(&rec));
    }
    VKG__LOCK(dev);
    uint32_t id = 0;
    vkg__image_rec *slot = NULL;
    if (r == VKG_SUCCESS) {
        slot = vkg__pool_alloc(&dev->host, &dev->images, &id);
        if (!slot) r = VKG__OOM(&dev->host, "an image record");
        else r = vkg__scope_add(dev, scope, VKG__KIND_IMAGE, id, rec.name, &rec.scoped);
        if (r != VKG_SUCCESS && slot) vkg__pool_free(&dev->images, id);
    }
    if (r != VKG_SUCCESS) {
        vkg__image_release(dev, &rec);
        VKG__UNLOCK(dev);
        return r;
    }
    *slot = rec;
    VKG__UNLOCK(dev);
    /* an imported image keeps the name its owner gave it */
    if (rec.owns_image) vkg__set_name(dev, VK_OBJECT_TYPE_IMAGE, (uint64_t)rec.image, rec.name);
    if (rec.view) vkg__set_name(dev, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)rec.view, rec.name);
    *out = (vkg_image){id};
    return VKG_SUCCESS;
}

vkg_result vkg_image_create(vkg_device *device, const vkg_image_desc *desc, vkg_image *out)
{
    vkg_device *dev = device;
    VKG_CHECK(&dev->host, desc && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_image_create: desc and out must not be NULL");
    out->id = 0;
    if (atomic_load(&dev->lost)) return VKG_ERROR_DEVICE_LOST;
    const char *name = vkg__name_or(desc->name, "(unnamed image)");
    vkg__image_rec rec = {
        .format = desc->format,
        .width = desc->width,
        .height = desc->height,
        .depth = desc->depth ? desc->depth : 1,
        .mips = desc->mips ? desc->mips : 1,
        .layers = desc->layers ? desc->layers : 1,
        .samples = desc->samples ? desc->samples : VK_SAMPLE_COUNT_1_BIT,
        .aspect = vkg_format_aspect(desc->format),
    };
    snprintf(rec.name, sizeof rec.name, "%s", name);
    rec.type = rec.depth > 1 ? VK_IMAGE_TYPE_3D : VK_IMAGE_TYPE_2D;
    VKG_CHECK(&dev->host, desc->format != VK_FORMAT_UNDEFINED, VKG_ERROR_INVALID_ARGUMENT,
              "image \"%s\": format is VK_FORMAT_UNDEFINED: give the image a format", name);
    VKG_CHECK(&dev->host, desc->width > 0 && desc->height > 0, VKG_ERROR_INVALID_ARGUMENT,
              "image \"%s\": size %ux%u has a zero dimension", name, desc->width, desc->height);
    uint32_t max_dim = dev->caps.max_image_dimension_2d;
    VKG_CHECK(&dev->host, desc->width <= max_dim && desc->height <= max_dim, VKG_ERROR_LIMIT,
              "image \"%s\": size %ux%u exceeds maxImageDimension2D %u", name, desc->width,
              desc->height, max_dim);
    uint32_t max_mips = vkg__mip_levels(rec.width, rec.height, rec.depth);
    VKG_CHECK(&dev->host, rec.mips <= max_mips, VKG_ERROR_INVALID_ARGUMENT,
              "image \"%s\": %u mips but a %ux%ux%u image has at most %u", name, rec.mips,
              rec.width, rec.height, rec.depth, max_mips);
    VKG_CHECK(&dev->host, rec.layers <= dev->caps.max_image_array_layers, VKG_ERROR_LIMIT,
              "image \"%s\": %u layers exceed maxImageArrayLayers %u", name, rec.layers,
              dev->caps.max_image_array_layers);
    VKG_CHECK(&dev->host, rec.type == VK_IMAGE_TYPE_2D || rec.layers == 1,
              VKG_ERROR_INVALID_ARGUMENT,
              "image \"%s\": a 3D image (depth %u) cannot have %u array layers", name, rec.depth,
              rec.layers);

    VkFormatProperties fp;
    dev->loader.vki.vkGetPhysicalDeviceFormatProperties(dev->physical_device, desc->format, &fp);
    VkImageUsageFlags supported = vkg__usage_from_features(fp.optimalTilingFeatures);
    VKG_CHECK(&dev->host, supported != 0, VKG_ERROR_FEATURE_NOT_PRESENT,
              "image \"%s\": format %d has no optimal-tiling support on \"%s\": pick another "
              "format",
              name, (int)desc->format, dev->caps.device_name);
    rec.usage = desc->usage ? desc->usage : supported;
    if (rec.samples != VK_SAMPLE_COUNT_1_BIT) rec.usage &= ~VK_IMAGE_USAGE_STORAGE_BIT;

    VkImageCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = rec.type,
        .format = rec.format,
        .extent = {rec.width, rec.height, rec.depth},
        .mipLevels = rec.mips,
        .arrayLayers = rec.layers,
        .samples = rec.samples,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = rec.usage,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    uint32_t families[VKG_QUEUE_ROLE_COUNT];
    ici.sharingMode = vkg__sharing_mode(dev, desc->sharing, families, &ici.queueFamilyIndexCount);
    ici.pQueueFamilyIndices = families;
    rec.concurrent = ici.sharingMode == VK_SHARING_MODE_CONCURRENT;
    VkResult vr = dev->vk.vkCreateImage(dev->device, &ici, dev->vkac, &rec.image);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateImage", rec.name);
    rec.owns_image = true;

    VkMemoryDedicatedRequirements dreq = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &dreq};
    VkImageMemoryRequirementsInfo2 rinfo = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = rec.image};
    dev->vk.vkGetImageMemoryRequirements2(dev->device, &rinfo, &req2);

    VKG__LOCK(dev);
    VkDeviceSize offset = 0;
    vkg_memory_binding none = {0};
    vkg_result r = vkg__resource_memory(
        dev, "image", rec.name, &req2.memoryRequirements,
        dreq.prefersDedicatedAllocation || dreq.requiresDedicatedAllocation, VK_NULL_HANDLE,
        rec.image, desc->memory.allocation.id ? &desc->memory : &none, VKG_MEMORY_GPU,
        VKG_TILING_OPTIMAL, &rec.allocation, &offset, &rec.owns_allocation);
    if (r == VKG_SUCCESS) {
        vkg_allocation_info info;
        vkg__memory_info(&dev->memory, rec.allocation, &info);
        vr = dev->vk.vkBindImageMemory(dev->device, rec.image, info.memory, info.offset + offset);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkBindImageMemory", rec.name);
    }
    VKG__UNLOCK(dev);
    return vkg__image_publish(dev, &rec, r, desc->scope, out);
}

vkg_result vkg_image_import(vkg_device *device, const vkg_image_import_desc *desc,
                            vkg_image *out)
{
    vkg_device *dev = device;
    VKG_CHECK(&dev->host, desc && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_image_import: desc and out must not be NULL");
    out->id = 0;
    const char *name = vkg__name_or(desc->name, "(unnamed imported image)");
    VKG_CHECK(&dev->host, desc->image != VK_NULL_HANDLE, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_image_import(\"%s\"): image is VK_NULL_HANDLE", name);
    VKG_CHECK(&dev->host, desc->format != VK_FORMAT_UNDEFINED && desc->width && desc->height &&
                              desc->usage,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_image_import(\"%s\"): give the image's format, size and usage as it was "
              "created (format %d, %ux%u, usage 0x%x)",
              name, (int)desc->format, desc->width, desc->height, desc->usage);
    if (atomic_load(&dev->lost)) return VKG_ERROR_DEVICE_LOST;
    vkg__image_rec rec = {
        .image = desc->image,
        .format = desc->format,
        .width = desc->width,
        .height = desc->height,
        .depth = desc->depth ? desc->depth : 1,
        .mips = desc->mips ? desc->mips : 1,
        .layers = desc->layers ? desc->layers : 1,
        .samples = desc->samples ? desc->samples : VK_SAMPLE_COUNT_1_BIT,
        .aspect = vkg_format_aspect(desc->format),
        .usage = desc->usage,
    };
    snprintf(rec.name, sizeof rec.name, "%s", name);
    rec.type = rec.depth > 1 ? VK_IMAGE_TYPE_3D : VK_IMAGE_TYPE_2D;
    return vkg__image_publish(dev, &rec, VKG_SUCCESS, desc->scope, out);
}

bool vkg__image_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra)
{
    vkg__image_rec *im = vkg__pool_get(&dev->images, id);
    if (!im) return true;
    if (im->view_count) {
        VKG__ERROR(&dev->host,
                   "vkg_image_destroy: image \"%s\" still has %u views: destroy them first "
                   "(the image was not destroyed)",
                   im->name, im->view_count);
        return false;
    }
    vkg__doom d = {.kind = VKG__KIND_IMAGE,
                   .image = im->image,
                   .owns_image = im->owns_image,
                   .view = im->view,
                   .allocation = im->allocation,
                   .owns_allocation = im->owns_allocation};
    vkg__fold_used(dev, im->track, vkg__image_subresources(im), d.after);
    vkg__free(&dev->host, im->track);
    return vkg__doom_retire(dev, &dev->images, id, &im->scoped, &d, extra);
}

void vkg_image_destroy(vkg_device *device, vkg_image image)
{
    if (!device) return;
    vkg__destroy(device, &device->images, vkg__image_doom_locked, image.id,
                 "vkg_image_destroy", "image");
}

vkg_result vkg_image_get_info(vkg_device *device, vkg_image image, vkg_image_info *out)
{
    VKG__LOCK(device);
    vkg__image_rec *im = vkg__pool_get(&device->images, image.id);
    if (im)
        *out = (vkg_image_info){
            .image = im->image,
            .view = im->view,
            .format = im->format,
            .aspect = im->aspect,
            .width = im->width,
            .height = im->height,
            .depth = im->depth,
            .mips = im->mips,
            .layers = im->layers,
            .usage = im->usage,
            .allocation = im->allocation,
            .concurrent = im->concurrent,
        };
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, im, VKG_ERROR_INVALID_HANDLE,
              "vkg_image_get_info: image 0x%08x is %s", image.id,
              image.id ? "stale (destroyed) or from another device" : "the null handle");
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Views
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_view_create(vkg_device *device, const vkg_view_desc *desc, vkg_view *out)
{
    vkg_device *dev = device;
    VKG_CHECK(&dev->host, desc && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_view_create: desc and out must not be NULL");
    out->id = 0;
    if (atomic_load(&dev->lost)) return VKG_ERROR_DEVICE_LOST;
    const char *name = vkg__name_or(desc->name, "(unnamed view)");
    VKG__LOCK(dev);
    vkg__image_rec *im = vkg__pool_get(&dev->images, desc->image.id);
    vkg__image_rec img = im ? *im : (vkg__image_rec){0};
    VKG__UNLOCK(dev);
    VKG_CHECK(&dev->host, im, VKG_ERROR_INVALID_HANDLE,
              "view \"%s\": image 0x%08x is not live: create the view from a live image", name,
              desc->image.id);
    uint32_t mip_count = desc->mip_count ? desc->mip_count
                         : desc->base_mip < img.mips ? img.mips - desc->base_mip : 0;
    uint32_t layer_count = desc->layer_count ? desc->layer_count
                           : desc->base_layer < img.layers ? img.layers - desc->base_layer : 0;
    VKG_CHECK(&dev->host,
              desc->base_mip < img.mips && mip_count > 0 && mip_count <= img.mips - desc->base_mip,
              VKG_ERROR_INVALID_ARGUMENT,
              "view \"%s\" of image \"%s\": mips [%u, +%u) are outside the image's %u mips",
              name, img.name, desc->base_mip, mip_count, img.mips);
    VKG_CHECK(&dev->host,
              desc->base_layer < img.layers && layer_count > 0 &&
                  layer_count <= img.layers - desc->base_layer,
              VKG_ERROR_INVALID_ARGUMENT,
              "view \"%s\" of image \"%s\": layers [%u, +%u) are outside the image's %u layers",
              name, img.name, desc->base_layer, layer_count, img.layers);
    VkImageAspectFlags aspect = desc->aspect ? desc->aspect : img.aspect;
    VKG_CHECK(&dev->host, (aspect & img.aspect) == aspect, VKG_ERROR_INVALID_ARGUMENT,
              "view \"%s\" of image \"%s\": aspect 0x%x is not in the format's aspects 0x%x",
              name, img.name, aspect, img.aspect);
    VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = img.image,
        .viewType = desc->type ? desc->type : vkg__view_type(img.type, layer_count),
        .format = desc->format ? desc->format : img.format,
        .subresourceRange = {aspect, desc->base_mip, mip_count, desc->base_layer, layer_count},
    };
    vkg__view_rec rec = {.image = desc->image};
    snprintf(rec.name, sizeof rec.name, "%s", name);
    VkResult vr = dev->vk.vkCreateImageView(dev->device, &vci, dev->vkac, &rec.view);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateImageView", rec.name);
    VKG__LOCK(dev);
    uint32_t id = 0;
    vkg__view_rec *slot = vkg__pool_alloc(&dev->host, &dev->views, &id);
    im = vkg__pool_get(&dev->images, desc->image.id);
    vkg_result sr = slot && im ? vkg__scope_add(dev, desc->scope, VKG__KIND_VIEW, id, rec.name,
                                                &rec.scoped)
                               : VKG_SUCCESS;
    if (sr != VKG_SUCCESS) {
        vkg__pool_free(&dev->views, id);
        dev->vk.vkDestroyImageView(dev->device, rec.view, dev->vkac);
        VKG__UNLOCK(dev);
        return sr;
    }
    if (!slot || !im) {
        if (slot) vkg__pool_free(&dev->views, id);
        dev->vk.vkDestroyImageView(dev->device, rec.view, dev->vkac);
        VKG__UNLOCK(dev);
        if (!im) {
            VKG__ERROR(&dev->host, "view \"%s\": image \"%s\" was destroyed while the view was "
                                   "being created on another thread", name, img.name);
            return VKG_ERROR_INVALID_HANDLE;
        }
        return VKG__OOM(&dev->host, "a view record");
    }
    im->view_count++;
    *slot = rec;
    VKG__UNLOCK(dev);
    vkg__set_name(dev, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)rec.view, rec.name);
    *out = (vkg_view){id};
    return VKG_SUCCESS;
}

bool vkg__view_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra)
{
    vkg__view_rec *v = vkg__pool_get(&dev->views, id);
    if (!v) return true;
    vkg__doom d = {.kind = VKG__KIND_VIEW, .view = v->view};
    vkg__image_rec *im = vkg__pool_get(&dev->images, v->image.id);
    if (im) {
        im->view_count--;
        /* the view was used whenever its image was, as far as vkgraph knows */
        vkg__fold_used(dev, im->track, vkg__image_subresources(im), d.after);
    }
    return vkg__doom_retire(dev, &dev->views, id, &v->scoped, &d, extra);
}

void vkg_view_destroy(vkg_device *device, vkg_view view)
{
    if (!device) return;
    vkg__destroy(device, &device->views, vkg__view_doom_locked, view.id,
                 "vkg_view_destroy", "view");
}

vkg_result vkg_view_get_vk(vkg_device *device, vkg_view view, VkImageView *out)
{
    VKG__LOCK(device);
    vkg__view_rec *v = vkg__pool_get(&device->views, view.id);
    if (v) *out = v->view;
    VKG__UNLOCK(device);
    VKG_CHECK(&device->host, v, VKG_ERROR_INVALID_HANDLE, "vkg_view_get_vk: view 0x%08x is not live",
              view.id);
    return VKG_SUCCESS;
}

/* Device destruction: everything the user forgot, named, views before images. */
void vkg__resources_destroy_all(vkg_device *dev)
{
    for (uint32_t i = 0; i < dev->views.used; i++) {
        vkg__view_rec *v = vkg__pool_at(&dev->views, i, NULL);
        if (!v) continue;
        VKG__WARN(&dev->host, "view \"%s\" was never destroyed: destroyed with the device", v->name);
        dev->vk.vkDestroyImageView(dev->device, v->view, dev->vkac);
    }
    for (uint32_t i = 0; i < dev->images.used; i++) {
        vkg__image_rec *im = vkg__pool_at(&dev->images, i, NULL);
        if (!im) continue;
        VKG__WARN(&dev->host, "image \"%s\" was never destroyed: destroyed with the device",
                  im->name);
        vkg__image_release(dev, im);
    }
    for (uint32_t i = 0; i < dev->buffers.used; i++) {
        vkg__buffer_rec *b = vkg__pool_at(&dev->buffers, i, NULL);
        if (!b) continue;
        VKG__WARN(&dev->host, "buffer \"%s\" was never destroyed: destroyed with the device",
                  b->name);
        vkg__buffer_release(dev, b);
    }
}

/* ------------------------------------------------------------------------------------------
 * Memory requirements without creating objects (Vulkan 1.3 core: vkGetDevice*Memory
 * Requirements), shaped as the compiler's vkg_requirements_fn.
 * ---------------------------------------------------------------------------------------- */
bool vkg_device_requirements(void *device, const vkg_resource_requirements_query *query,
                             VkMemoryRequirements *out)
{
    vkg_device *dev = device;
    if (!dev || !query || !out || atomic_load(&dev->lost)) return false;
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    if (query->is_image) {
        VkDeviceImageMemoryRequirements info = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_IMAGE_MEMORY_REQUIREMENTS,
            .pCreateInfo = &query->image};
        dev->vk.vkGetDeviceImageMemoryRequirements(dev->device, &info, &req);
    } else {
        VkDeviceBufferMemoryRequirements info = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS,
            .pCreateInfo = &query->buffer};
        dev->vk.vkGetDeviceBufferMemoryRequirements(dev->device, &info, &req);
    }
    *out = req.memoryRequirements;
    return out->size > 0;
}
