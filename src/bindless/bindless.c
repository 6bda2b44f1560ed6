/* The bindless heap: one update-after-bind descriptor set with an array per kind (sampled
 * images, storage images, samplers), slots handed out as indices.
 *
 * - Per kind: a stack of free slots, a FIFO of freed slots waiting for their tickets, and a
 *   state byte per slot (free, live, pending) so that a double free or a stale index is
 *   caught by name. All three are sized at creation: adding and freeing never allocate.
 * - A freed slot goes back to the free stack only once the GPU finished every ticket given
 *   with it: until then a pending command buffer may read the old descriptor, and
 *   descriptorBindingUpdateUnusedWhilePending only allows rewriting descriptors no pending
 *   work uses.
 * - vkUpdateDescriptorSets needs the set externally synchronized, so writes happen under the
 *   heap's lock; a batch of items is one call, and consecutive slots of one kind are one
 *   VkWriteDescriptorSet (a fresh heap hands out ascending slots).
 * - The set and its pool die through the device's deletion queue, after everything
 *   submitted before vkg_bindless_destroy: any of it may have the heap bound. */
#include "../device/device.h"

#include <string.h>

enum { VKG__SLOT_FREE, VKG__SLOT_LIVE, VKG__SLOT_PENDING };

typedef struct vkg__freed {
    uint32_t index;
    uint64_t after[VKG_QUEUE_ROLE_COUNT]; /* per device queue: the value to complete */
} vkg__freed;

typedef struct vkg__slots {
    uint32_t capacity;
    uint8_t *state;     /* capacity */
    uint32_t *free;     /* stack, capacity */
    uint32_t free_count;
    vkg__freed *pending; /* FIFO, capacity */
    uint32_t pending_head, pending_count;
} vkg__slots;

struct vkg_bindless {
    vkg_device *dev;
    char name[64];
    VkDescriptorSetLayout layout;
    VkDescriptorPool pool;
    VkDescriptorSet set;
    pthread_mutex_t lock;
    vkg__slots slots[VKG_BINDLESS_KIND_COUNT];
    uint64_t writes, update_calls, write_runs;
};

static const char *const vkg__kind_names[VKG_BINDLESS_KIND_COUNT] = {"sampled image",
                                                                     "storage image", "sampler"};
static const VkDescriptorType vkg__kind_types[VKG_BINDLESS_KIND_COUNT] = {
    VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
    VK_DESCRIPTOR_TYPE_SAMPLER};
static const uint32_t vkg__kind_defaults[VKG_BINDLESS_KIND_COUNT] = {65536, 16384, 1024};

/* ------------------------------------------------------------------------------------------
 * Create / destroy
 * ---------------------------------------------------------------------------------------- */

/* The device's update-after-bind limits per kind, and on all of them together. */
static void vkg__bindless_limits(vkg_device *dev, uint32_t limit[VKG_BINDLESS_KIND_COUNT],
                                 uint32_t *total)
{
    VkPhysicalDeviceVulkan12Properties p12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &p12};
    dev->loader.vki.vkGetPhysicalDeviceProperties2(dev->physical_device, &p2);
    limit[VKG_BINDLESS_SAMPLED_IMAGE] =
        VKG__MIN(p12.maxDescriptorSetUpdateAfterBindSampledImages,
                 p12.maxPerStageDescriptorUpdateAfterBindSampledImages);
    limit[VKG_BINDLESS_STORAGE_IMAGE] =
        VKG__MIN(p12.maxDescriptorSetUpdateAfterBindStorageImages,
                 p12.maxPerStageDescriptorUpdateAfterBindStorageImages);
    limit[VKG_BINDLESS_SAMPLER] = VKG__MIN(p12.maxDescriptorSetUpdateAfterBindSamplers,
                                           p12.maxPerStageDescriptorUpdateAfterBindSamplers);
    *total = VKG__MIN(p12.maxUpdateAfterBindDescriptorsInAllPools,
                      p12.maxPerStageUpdateAfterBindResources);
}

static void vkg__heap_free_memory(vkg_bindless *h)
{
    vkg__host *host = &h->dev->host;
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        vkg__free(host, h->slots[k].state);
        vkg__free(host, h->slots[k].free);
        vkg__free(host, h->slots[k].pending);
    }
    vkg__free(host, h);
}

vkg_result vkg_bindless_create(vkg_device *device, const vkg_bindless_desc *desc,
                               vkg_bindless **out)
{
    vkg_bindless_desc defaults = {0};
    if (!desc) desc = &defaults;
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    vkg__host *host = &device->host;
    const char *name = desc->name ? desc->name : "bindless heap";
    VKG_CHECK(host, device->caps.descriptor_indexing, VKG_ERROR_FEATURE_NOT_PRESENT,
              "vkg_bindless_create: heap \"%s\": device \"%s\" lacks descriptor indexing "
              "(update-after-bind, partially bound and variable-count bindings, non-uniform "
              "image indexing; vkg_caps.descriptor_indexing is false): bind a descriptor set "
              "per pass instead (docs/bindless.md, \"Without descriptor indexing\")",
              name, device->caps.device_name);
    uint32_t limit[VKG_BINDLESS_KIND_COUNT], total_limit, cap[VKG_BINDLESS_KIND_COUNT];
    vkg__bindless_limits(device, limit, &total_limit);
    uint64_t total = 0;
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        cap[k] = desc->capacity[k] ? desc->capacity[k]
                                   : VKG__MIN(vkg__kind_defaults[k], limit[k]);
        VKG_CHECK(host, cap[k] <= limit[k], VKG_ERROR_LIMIT,
                  "vkg_bindless_create: heap \"%s\": %u %s slots asked, the device allows %u "
                  "(update-after-bind limits)",
                  name, cap[k], vkg__kind_names[k], limit[k]);
        total += cap[k];
    }
    /* defaults that together cross the shared limit shrink in proportion */
    if (total > total_limit) {
        bool defaulted = true;
        for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++)
            defaulted = defaulted && !desc->capacity[k];
        VKG_CHECK(host, defaulted, VKG_ERROR_LIMIT,
                  "vkg_bindless_create: heap \"%s\": %llu slots in all, the device allows %u "
                  "update-after-bind descriptors per stage and pool",
                  name, (unsigned long long)total, total_limit);
        for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++)
            cap[k] = (uint32_t)((uint64_t)cap[k] * total_limit / total);
    }
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++)
        VKG_CHECK(host, cap[k] > 0, VKG_ERROR_LIMIT,
                  "vkg_bindless_create: heap \"%s\": the device allows no %s slots", name,
                  vkg__kind_names[k]);

    vkg_bindless *h = vkg__calloc(host, 1, sizeof *h);
    if (!h) return VKG__OOM(host, "a bindless heap");
    h->dev = device;
    snprintf(h->name, sizeof h->name, "%s", name);
    bool ok = true;
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        vkg__slots *s = &h->slots[k];
        s->capacity = cap[k];
        s->state = vkg__calloc(host, cap[k], 1);
        s->free = vkg__calloc(host, cap[k], sizeof *s->free);
        s->pending = vkg__calloc(host, cap[k], sizeof *s->pending);
        ok = ok && s->state && s->free && s->pending;
        if (!s->free) continue;
        /* ascending slots from the top of the stack */
        for (uint32_t i = 0; i < cap[k]; i++) s->free[i] = cap[k] - 1 - i;
        s->free_count = cap[k];
    }
    if (!ok || pthread_mutex_init(&h->lock, NULL) != 0) {
        vkg__heap_free_memory(h);
        return VKG__OOM(host, "a bindless heap's slots");
    }

    VkShaderStageFlags stages = desc->stages ? desc->stages : VK_SHADER_STAGE_ALL;
    VkDescriptorSetLayoutBinding b[VKG_BINDLESS_KIND_COUNT];
    VkDescriptorBindingFlags bf[VKG_BINDLESS_KIND_COUNT];
    VkDescriptorPoolSize ps[VKG_BINDLESS_KIND_COUNT];
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        b[k] = (VkDescriptorSetLayoutBinding){k, vkg__kind_types[k], cap[k], stages, NULL};
        bf[k] = VK_DESCRIPTOR_BINDING_PARTIALLY_BOUND_BIT |
                VK_DESCRIPTOR_BINDING_UPDATE_AFTER_BIND_BIT |
                VK_DESCRIPTOR_BINDING_UPDATE_UNUSED_WHILE_PENDING_BIT;
        ps[k] = (VkDescriptorPoolSize){vkg__kind_types[k], cap[k]};
    }
    bf[VKG_BINDLESS_KIND_COUNT - 1] |= VK_DESCRIPTOR_BINDING_VARIABLE_DESCRIPTOR_COUNT_BIT;
    VkDescriptorSetLayoutBindingFlagsCreateInfo bfi = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_BINDING_FLAGS_CREATE_INFO,
        .bindingCount = VKG_BINDLESS_KIND_COUNT,
        .pBindingFlags = bf};
    VkDescriptorSetLayoutCreateInfo lci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .pNext = &bfi,
        .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_UPDATE_AFTER_BIND_POOL_BIT,
        .bindingCount = VKG_BINDLESS_KIND_COUNT,
        .pBindings = b};
    vkg_result r = VKG_SUCCESS;
    VkResult vr = device->vk.vkCreateDescriptorSetLayout(device->device, &lci, device->vkac,
                                                         &h->layout);
    if (vr != VK_SUCCESS) r = VKG__VK_FAIL(device, vr, "vkCreateDescriptorSetLayout", h->name);
    if (r == VKG_SUCCESS) {
        VkDescriptorPoolCreateInfo pci = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
            .flags = VK_DESCRIPTOR_POOL_CREATE_UPDATE_AFTER_BIND_BIT,
            .maxSets = 1,
            .poolSizeCount = VKG_BINDLESS_KIND_COUNT,
            .pPoolSizes = ps};
        vr = device->vk.vkCreateDescriptorPool(device->device, &pci, device->vkac, &h->pool);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(device, vr, "vkCreateDescriptorPool", h->name);
    }
    if (r == VKG_SUCCESS) {
        uint32_t variable = cap[VKG_BINDLESS_KIND_COUNT - 1];
        VkDescriptorSetVariableDescriptorCountAllocateInfo vci = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_VARIABLE_DESCRIPTOR_COUNT_ALLOCATE_INFO,
            .descriptorSetCount = 1,
            .pDescriptorCounts = &variable};
        VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                          .pNext = &vci,
                                          .descriptorPool = h->pool,
                                          .descriptorSetCount = 1,
                                          .pSetLayouts = &h->layout};
        vr = device->vk.vkAllocateDescriptorSets(device->device, &ai, &h->set);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(device, vr, "vkAllocateDescriptorSets", h->name);
    }
    if (r != VKG_SUCCESS) {
        if (h->pool) device->vk.vkDestroyDescriptorPool(device->device, h->pool, device->vkac);
        if (h->layout)
            device->vk.vkDestroyDescriptorSetLayout(device->device, h->layout, device->vkac);
        pthread_mutex_destroy(&h->lock);
        vkg__heap_free_memory(h);
        return r;
    }
    vkg__set_name(device, VK_OBJECT_TYPE_DESCRIPTOR_SET, (uint64_t)h->set, h->name);
    vkg__set_name(device, VK_OBJECT_TYPE_DESCRIPTOR_POOL, (uint64_t)h->pool, h->name);
    vkg__set_name(device, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, (uint64_t)h->layout, h->name);
    VKG__INFO(host, "bindless heap \"%s\": %u sampled images, %u storage images, %u samplers",
              h->name, cap[0], cap[1], cap[2]);
    *out = h;
    return VKG_SUCCESS;
}

/* The deletion queue's callback: the Vulkan objects of a destroyed heap. */
typedef struct vkg__heap_remains {
    vkg_device *dev;
    VkDescriptorPool pool;
    VkDescriptorSetLayout layout;
} vkg__heap_remains;

static void vkg__heap_release(void *user, vkg_result result)
{
    (void)result; /* complete, or lost: either way nothing reads the set any more */
    vkg__heap_remains *rm = user;
    vkg_device *dev = rm->dev;
    dev->vk.vkDestroyDescriptorPool(dev->device, rm->pool, dev->vkac);
    dev->vk.vkDestroyDescriptorSetLayout(dev->device, rm->layout, dev->vkac);
    vkg__free(&dev->host, rm);
}

/* Every device queue's last submission so far, as tickets; returns how many. */
static uint32_t vkg__submitted_now(vkg_device *dev, vkg_ticket *out)
{
    uint32_t n = 0;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        pthread_mutex_lock(vkg__dq_mutex(dev, q));
        uint64_t v = dev->dq[q].submitted;
        pthread_mutex_unlock(vkg__dq_mutex(dev, q));
        if (v) out[n++] = (vkg_ticket){q, v};
    }
    return n;
}

void vkg_bindless_destroy(vkg_bindless *h)
{
    if (!h) return;
    vkg_device *dev = h->dev;
    vkg__heap_remains *rm = vkg__calloc(&dev->host, 1, sizeof *rm);
    vkg_ticket after[VKG_QUEUE_ROLE_COUNT];
    uint32_t n = vkg__submitted_now(dev, after);
    vkg_result r = VKG_ERROR_OUT_OF_HOST_MEMORY;
    if (rm) {
        *rm = (vkg__heap_remains){dev, h->pool, h->layout};
        r = vkg_defer(dev, &(vkg_defer_desc){.after = after,
                                             .after_count = n,
                                             .callback = vkg__heap_release,
                                             .user = rm});
    }
    if (r != VKG_SUCCESS) {
        /* nothing may be freed early: wait for the GPU instead */
        VKG__WARN(&dev->host, "vkg_bindless_destroy: heap \"%s\": cannot defer (%s); waiting "
                              "for the GPU",
                  h->name, vkg_result_name(r));
        for (uint32_t i = 0; i < n; i++) {
            vkg_result wr = vkg_ticket_wait(dev, after[i], UINT64_MAX);
            (void)wr; /* complete, or lost */
        }
        if (rm) {
            vkg__heap_release(rm, VKG_SUCCESS);
        } else {
            dev->vk.vkDestroyDescriptorPool(dev->device, h->pool, dev->vkac);
            dev->vk.vkDestroyDescriptorSetLayout(dev->device, h->layout, dev->vkac);
        }
    }
    pthread_mutex_destroy(&h->lock);
    vkg__heap_free_memory(h);
}

/* ------------------------------------------------------------------------------------------
 * Slots
 * ---------------------------------------------------------------------------------------- */

/* Moves freed slots whose tickets completed back to the free stack (oldest first; stops at
 * the first still pending). They go on the stack in reverse, so that slots freed in
 * ascending order are handed out ascending again (consecutive slots share one write).
 * `done` caches each queue's completed value for this call. Locked. */
static void vkg__slots_reclaim(vkg_bindless *h, vkg__slots *s, uint64_t *done, bool *asked)
{
    vkg_device *dev = h->dev;
    bool lost = atomic_load(&dev->lost);
    uint32_t n = 0;
    for (; n < s->pending_count; n++) {
        const vkg__freed *f = &s->pending[(s->pending_head + n) % s->capacity];
        if (lost) continue;
        bool complete = true;
        for (uint32_t q = 0; q < dev->dq_count && complete; q++) {
            if (f->after[q] <= done[q]) continue;
            if (!asked[q]) {
                asked[q] = true;
                uint64_t v = 0;
                VkResult vr =
                    dev->vk.vkGetSemaphoreCounterValue(dev->device, dev->dq[q].timeline, &v);
                if (vr != VK_SUCCESS) VKG__VK_FAIL(dev, vr, "vkGetSemaphoreCounterValue", h->name);
                if (v > done[q]) done[q] = v;
            }
            complete = f->after[q] <= done[q];
        }
        if (!complete) break;
    }
    for (uint32_t k = n; k-- > 0;) {
        uint32_t x = s->pending[(s->pending_head + k) % s->capacity].index;
        s->state[x] = VKG__SLOT_FREE;
        s->free[s->free_count++] = x;
    }
    s->pending_head = (s->pending_head + n) % s->capacity;
    s->pending_count -= n;
}

/* The view and layout an image item names, checked; under dev->lock. */
static vkg_result vkg__item_image(vkg_bindless *h, const vkg_bindless_item *it, uint32_t i,
                                  VkDescriptorImageInfo *out)
{
    vkg_device *dev = h->dev;
    vkg__host *host = &dev->host;
    const char *kind = vkg__kind_names[it->kind];
    bool storage = it->kind == VKG_BINDLESS_STORAGE_IMAGE;
    out->sampler = VK_NULL_HANDLE;
    out->imageLayout = it->layout ? it->layout
                             : storage ? VK_IMAGE_LAYOUT_GENERAL
                                       : VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    VKG_CHECK(host, !storage || out->imageLayout == VK_IMAGE_LAYOUT_GENERAL,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_add: heap \"%s\", item %u: a storage image is read in "
              "VK_IMAGE_LAYOUT_GENERAL, not %s",
              h->name, i, vkg_layout_name(out->imageLayout));
    uint32_t image_id = it->image.id;
    if (it->view.id) {
        vkg__view_rec *v = vkg__pool_get(&dev->views, it->view.id);
        VKG_CHECK(host, v, VKG_ERROR_INVALID_HANDLE,
                  "vkg_bindless_add: heap \"%s\", item %u (%s): view 0x%08x is not live",
                  h->name, i, kind, it->view.id);
        out->imageView = v->view;
        image_id = v->image.id;
    } else if (it->image.id) {
        vkg__image_rec *im = vkg__pool_get(&dev->images, it->image.id);
        VKG_CHECK(host, im, VKG_ERROR_INVALID_HANDLE,
                  "vkg_bindless_add: heap \"%s\", item %u (%s): image 0x%08x is not live",
                  h->name, i, kind, it->image.id);
        image_id = it->image.id;
        VkImageUsageFlags need =
            storage ? VK_IMAGE_USAGE_STORAGE_BIT : VK_IMAGE_USAGE_SAMPLED_BIT;
        VKG_CHECK(host, im->usage & need, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_bindless_add: heap \"%s\", item %u: image \"%s\" was created without %s, "
                  "so it cannot be a %s",
                  h->name, i, im->name,
                  storage ? "VK_IMAGE_USAGE_STORAGE_BIT" : "VK_IMAGE_USAGE_SAMPLED_BIT", kind);
        VKG_CHECK(host, im->view, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_bindless_add: heap \"%s\", item %u: image \"%s\" has no whole-image "
                  "view: give a vkg_view",
                  h->name, i, im->name);
        out->imageView = im->view;
    } else {
        VKG_CHECK(host, it->vk_view, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_bindless_add: heap \"%s\", item %u (%s): no image, view or vk_view",
                  h->name, i, kind);
        out->imageView = it->vk_view;
        return VKG_SUCCESS;
    }
    vkg__image_rec *im = vkg__pool_get(&dev->images, image_id);
    VkImageUsageFlags need = storage ? VK_IMAGE_USAGE_STORAGE_BIT : VK_IMAGE_USAGE_SAMPLED_BIT;
    VKG_CHECK(host, im && (im->usage & need), VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_add: heap \"%s\", item %u: image \"%s\" was created without %s, "
              "so it cannot be a %s",
              h->name, i, im ? im->name : "?",
              storage ? "VK_IMAGE_USAGE_STORAGE_BIT" : "VK_IMAGE_USAGE_SAMPLED_BIT", kind);
    return VKG_SUCCESS;
}

#define VKG__WRITE_BATCH 64

vkg_result vkg_bindless_add(vkg_bindless *h, const vkg_bindless_item *items, uint32_t count,
                            uint32_t *out_indices)
{
    if (!h) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = h->dev;
    vkg__host *host = &dev->host;
    VKG_CHECK(host, (items && out_indices) || count == 0, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_add: heap \"%s\": items or out_indices is NULL", h->name);
    uint32_t want[VKG_BINDLESS_KIND_COUNT] = {0};
    for (uint32_t i = 0; i < count; i++) {
        VKG_CHECK(host, (unsigned)items[i].kind < VKG_BINDLESS_KIND_COUNT,
                  VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_bindless_add: heap \"%s\", item %u: kind %d is not a vkg_bindless_kind",
                  h->name, i, (int)items[i].kind);
        VKG_CHECK(host, items[i].kind != VKG_BINDLESS_SAMPLER || items[i].sampler,
                  VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_bindless_add: heap \"%s\", item %u: a sampler item without a sampler",
                  h->name, i);
        want[items[i].kind]++;
    }
    /* all or nothing: every item is checked before a slot is taken */
    vkg_result r = VKG_SUCCESS;
    VkDescriptorImageInfo check;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t i = 0; i < count && r == VKG_SUCCESS; i++)
        if (items[i].kind != VKG_BINDLESS_SAMPLER) r = vkg__item_image(h, &items[i], i, &check);
    pthread_mutex_unlock(&dev->lock);
    if (r != VKG_SUCCESS) return r;
    pthread_mutex_lock(&h->lock);
    uint64_t done[VKG_QUEUE_ROLE_COUNT] = {0};
    bool asked[VKG_QUEUE_ROLE_COUNT] = {0};
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        vkg__slots *s = &h->slots[k];
        if (want[k] > s->free_count) vkg__slots_reclaim(h, s, done, asked);
        if (want[k] > s->free_count) {
            VKG__ERROR(host,
                       "vkg_bindless_add: heap \"%s\" has %u free %s slots of %u (%u more "
                       "wait for the GPU to finish their tickets), %u asked: free slots, or "
                       "create the heap with a larger capacity",
                       h->name, s->free_count, vkg__kind_names[k], s->capacity,
                       s->pending_count, want[k]);
            pthread_mutex_unlock(&h->lock);
            return VKG_ERROR_LIMIT;
        }
    }
    /* every item resolved (above) and room for all: take slots and write */
    VkWriteDescriptorSet w[VKG__WRITE_BATCH];
    VkDescriptorImageInfo info[VKG__WRITE_BATCH];
    uint32_t nw = 0, ni = 0;
    for (uint32_t i = 0; i < count; i++) {
        const vkg_bindless_item *it = &items[i];
        vkg__slots *s = &h->slots[it->kind];
        uint32_t slot = s->free[--s->free_count];
        s->state[slot] = VKG__SLOT_LIVE;
        out_indices[i] = slot;
        /* the device lock while a batch's records are read (once per batch, not per
         * item), released before the driver writes the batch */
        if (ni == 0) pthread_mutex_lock(&dev->lock);
        if (it->kind == VKG_BINDLESS_SAMPLER)
            info[ni] = (VkDescriptorImageInfo){.sampler = it->sampler};
        else
            (void)vkg__item_image(h, it, i, &info[ni]); /* checked above */
        VkWriteDescriptorSet *last = nw ? &w[nw - 1] : NULL;
        if (last && last->dstBinding == (uint32_t)it->kind &&
            last->dstArrayElement + last->descriptorCount == slot) {
            last->descriptorCount++;
        } else {
            w[nw++] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                             .dstSet = h->set,
                                             .dstBinding = (uint32_t)it->kind,
                                             .dstArrayElement = slot,
                                             .descriptorCount = 1,
                                             .descriptorType = vkg__kind_types[it->kind],
                                             .pImageInfo = &info[ni]};
        }
        ni++;
        if (ni == VKG__WRITE_BATCH || i + 1 == count) {
            pthread_mutex_unlock(&dev->lock);
            /* the set is externally synchronized: under the heap's lock */
            dev->vk.vkUpdateDescriptorSets(dev->device, nw, w, 0, NULL);
            h->writes += ni;
            h->update_calls++;
            h->write_runs += nw;
            nw = ni = 0;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return r;
}

vkg_result vkg_bindless_free(vkg_bindless *h, vkg_bindless_kind kind, const uint32_t *indices,
                             uint32_t count, const vkg_ticket *after, uint32_t after_count)
{
    if (!h) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = h->dev;
    vkg__host *host = &dev->host;
    VKG_CHECK(host, (unsigned)kind < VKG_BINDLESS_KIND_COUNT, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_free: heap \"%s\": kind %d is not a vkg_bindless_kind", h->name,
              (int)kind);
    VKG_CHECK(host, indices || count == 0, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_free: heap \"%s\": indices is NULL", h->name);
    VKG_CHECK(host, after || after_count == 0, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_bindless_free: heap \"%s\": after_count is %u but after is NULL", h->name,
              after_count);
    vkg__freed f = {0};
    vkg_ticket now[VKG_QUEUE_ROLE_COUNT];
    if (after_count == 0) {
        after_count = vkg__submitted_now(dev, now);
        after = now;
    }
    for (uint32_t i = 0; i < after_count; i++) {
        if (!vkg__ticket_valid(dev, after[i], "vkg_bindless_free")) return VKG_ERROR_INVALID_ARGUMENT;
        if (after[i].value > f.after[after[i].queue]) f.after[after[i].queue] = after[i].value;
    }
    vkg__slots *s = &h->slots[kind];
    pthread_mutex_lock(&h->lock);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t x = indices[i];
        if (x >= s->capacity || s->state[x] != VKG__SLOT_LIVE) {
            VKG__ERROR(host,
                       "vkg_bindless_free: heap \"%s\": %s slot %u is %s (indices[%u]); "
                       "nothing freed from there on",
                       h->name, vkg__kind_names[kind], x,
                       x >= s->capacity                      ? "outside the heap"
                       : s->state[x] == VKG__SLOT_PENDING ? "already freed"
                                                             : "not in use",
                       i);
            pthread_mutex_unlock(&h->lock);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
        f.index = x;
        s->state[x] = VKG__SLOT_PENDING;
        uint32_t tail = (s->pending_head + s->pending_count) % s->capacity;
        s->pending[tail] = f;
        s->pending_count++;
    }
    pthread_mutex_unlock(&h->lock);
    return VKG_SUCCESS;
}

VkDescriptorSetLayout vkg_bindless_layout(const vkg_bindless *h)
{
    return h ? h->layout : VK_NULL_HANDLE;
}

VkDescriptorSet vkg_bindless_set(const vkg_bindless *h)
{
    return h ? h->set : VK_NULL_HANDLE;
}

void vkg_bindless_bind(const vkg_bindless *h, VkCommandBuffer cmd, VkPipelineBindPoint bind_point,
                       VkPipelineLayout layout, uint32_t set)
{
    if (!h) return;
    h->dev->vk.vkCmdBindDescriptorSets(cmd, bind_point, layout, set, 1, &h->set, 0, NULL);
}

void vkg_bindless_get_stats(vkg_bindless *h, vkg_bindless_stats *out)
{
    *out = (vkg_bindless_stats){0};
    if (!h) return;
    pthread_mutex_lock(&h->lock);
    for (uint32_t k = 0; k < VKG_BINDLESS_KIND_COUNT; k++) {
        const vkg__slots *s = &h->slots[k];
        out->capacity[k] = s->capacity;
        out->pending[k] = s->pending_count;
        out->live[k] = s->capacity - s->free_count - s->pending_count;
    }
    out->writes = h->writes;
    out->update_calls = h->update_calls;
    out->write_runs = h->write_runs;
    pthread_mutex_unlock(&h->lock);
}
