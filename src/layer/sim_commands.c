/* VK_LAYER_VKGRAPH_simulate_families: command pools and buffers (each remembers its simulated
 * family), barriers and events, sharing modes. */
#include "sim_internal.h"

/* ------------------------------------------------------------------------------------------
 * Command pools and buffers: remember each buffer's simulated family
 * ---------------------------------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL sim_CreateCommandPool(VkDevice device,
                                                           const VkCommandPoolCreateInfo *ci,
                                                           const VkAllocationCallbacks *alloc,
                                                           VkCommandPool *pool)
{
    sim_device *d = sim_device_of(device);
    VkCommandPoolCreateInfo real = *ci;
    real.queueFamilyIndex = sim_map_family(d, ci->queueFamilyIndex);
    pthread_mutex_lock(&sim.lock);
    bool room = sim_grow((void **)&d->pools, &d->pool_cap, d->pool_count + 1, sizeof *d->pools);
    pthread_mutex_unlock(&sim.lock);
    if (!room) return VK_ERROR_OUT_OF_HOST_MEMORY;
    VkResult r = d->CreateCommandPool(device, &real, alloc, pool);
    if (r != VK_SUCCESS) return r;
    pthread_mutex_lock(&sim.lock);
    d->pools[d->pool_count++] = (sim_pool){*pool, ci->queueFamilyIndex};
    pthread_mutex_unlock(&sim.lock);
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL sim_DestroyCommandPool(VkDevice device, VkCommandPool pool,
                                                        const VkAllocationCallbacks *alloc)
{
    sim_device *d = sim_device_of(device);
    if (pool != VK_NULL_HANDLE) {
        pthread_mutex_lock(&sim.lock);
        for (uint32_t i = 0; i < d->pool_count; i++)
            if (d->pools[i].pool == pool) d->pools[i] = d->pools[--d->pool_count];
        sim_cmd_forget(d, pool);
        pthread_mutex_unlock(&sim.lock);
    }
    d->DestroyCommandPool(device, pool, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL sim_AllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *info, VkCommandBuffer *cbs)
{
    sim_device *d = sim_device_of(device);
    VkResult r = d->AllocateCommandBuffers(device, info, cbs);
    if (r != VK_SUCCESS) return r;
    bool ok = true;
    pthread_mutex_lock(&sim.lock);
    uint32_t family = UINT32_MAX;
    for (uint32_t i = 0; i < d->pool_count; i++)
        if (d->pools[i].pool == info->commandPool) family = d->pools[i].family;
    for (uint32_t i = 0; i < info->commandBufferCount && ok; i++)
        ok = sim_cmd_insert(&(sim_cmd){cbs[i], d, info->commandPool, family});
    pthread_mutex_unlock(&sim.lock);
    if (!ok) {
        d->FreeCommandBuffers(device, info->commandPool, info->commandBufferCount, cbs);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL sim_FreeCommandBuffers(VkDevice device, VkCommandPool pool,
                                                        uint32_t count,
                                                        const VkCommandBuffer *cbs)
{
    sim_device *d = sim_device_of(device);
    pthread_mutex_lock(&sim.lock);
    for (uint32_t i = 0; i < count; i++) {
        sim_cmd *c = cbs[i] ? sim_cmd_find(cbs[i]) : NULL;
        if (c) c->cb = SIM_TOMBSTONE;
    }
    pthread_mutex_unlock(&sim.lock);
    d->FreeCommandBuffers(device, pool, count, cbs);
}

/* ------------------------------------------------------------------------------------------
 * Barriers and events
 * ---------------------------------------------------------------------------------------- */

VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier2(VkCommandBuffer cb,
                                                         const VkDependencyInfo *dep)
{
    sim_cmd c;
    if (!sim_cmd_of(cb, &c)) return;
    sim_scratch s = {.used = 0};
    VkDependencyInfo real;
    if (sim_rewrite_dependency(c.dev, c.family, dep, &real, &s))
        c.dev->CmdPipelineBarrier2(cb, &real);
    else
        sim_log("%s", "out of host memory: vkCmdPipelineBarrier2 dropped");
    sim_scratch_free(&s);
}

VKAPI_ATTR void VKAPI_CALL sim_CmdSetEvent2(VkCommandBuffer cb, VkEvent event,
                                                  const VkDependencyInfo *dep)
{
    sim_cmd c;
    if (!sim_cmd_of(cb, &c)) return;
    sim_scratch s = {.used = 0};
    VkDependencyInfo real;
    if (sim_rewrite_dependency(c.dev, c.family, dep, &real, &s))
        c.dev->CmdSetEvent2(cb, event, &real);
    else
        sim_log("%s", "out of host memory: vkCmdSetEvent2 dropped");
    sim_scratch_free(&s);
}

VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents2(VkCommandBuffer cb, uint32_t count,
                                                    const VkEvent *events,
                                                    const VkDependencyInfo *deps)
{
    sim_cmd c;
    if (!sim_cmd_of(cb, &c)) return;
    sim_scratch s = {.used = 0};
    VkDependencyInfo *real = sim_copy(&s, deps, count * sizeof *real);
    bool ok = real || !count;
    for (uint32_t i = 0; i < count && ok; i++)
        ok = sim_rewrite_dependency(c.dev, c.family, &deps[i], &real[i], &s);
    if (ok)
        c.dev->CmdWaitEvents2(cb, count, events, real);
    else
        sim_log("%s", "out of host memory: vkCmdWaitEvents2 dropped");
    sim_scratch_free(&s);
}

VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier(
    VkCommandBuffer cb, VkPipelineStageFlags src, VkPipelineStageFlags dst,
    VkDependencyFlags flags, uint32_t memory_count, const VkMemoryBarrier *memory,
    uint32_t buffer_count, const VkBufferMemoryBarrier *buffers, uint32_t image_count,
    const VkImageMemoryBarrier *images)
{
    sim_cmd c;
    if (!sim_cmd_of(cb, &c)) return;
    sim_scratch s = {.used = 0};
    VkBufferMemoryBarrier *bb;
    VkImageMemoryBarrier *ib;
    if (sim_rewrite_barriers1(c.dev, c.family, buffer_count, buffers, image_count, images, &bb,
                              &ib, &s))
        c.dev->CmdPipelineBarrier(cb, src, dst, flags, memory_count, memory, buffer_count, bb,
                                  image_count, ib);
    else
        sim_log("%s", "out of host memory: vkCmdPipelineBarrier dropped");
    sim_scratch_free(&s);
}

VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents(
    VkCommandBuffer cb, uint32_t event_count, const VkEvent *events, VkPipelineStageFlags src,
    VkPipelineStageFlags dst, uint32_t memory_count, const VkMemoryBarrier *memory,
    uint32_t buffer_count, const VkBufferMemoryBarrier *buffers, uint32_t image_count,
    const VkImageMemoryBarrier *images)
{
    sim_cmd c;
    if (!sim_cmd_of(cb, &c)) return;
    sim_scratch s = {.used = 0};
    VkBufferMemoryBarrier *bb;
    VkImageMemoryBarrier *ib;
    if (sim_rewrite_barriers1(c.dev, c.family, buffer_count, buffers, image_count, images, &bb,
                              &ib, &s))
        c.dev->CmdWaitEvents(cb, event_count, events, src, dst, memory_count, memory,
                             buffer_count, bb, image_count, ib);
    else
        sim_log("%s", "out of host memory: vkCmdWaitEvents dropped");
    sim_scratch_free(&s);
}

/* ------------------------------------------------------------------------------------------
 * Sharing modes: buffers, images, swapchains and memory-requirement queries
 * ---------------------------------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL sim_CreateBuffer(VkDevice device,
                                                      const VkBufferCreateInfo *ci,
                                                      const VkAllocationCallbacks *alloc,
                                                      VkBuffer *buffer)
{
    sim_device *d = sim_device_of(device);
    VkBufferCreateInfo real = *ci;
    uint32_t storage[VKG__FAMILY_SPEC_MAX_FAMILIES];
    sim_rewrite_sharing(d, &real.sharingMode, &real.queueFamilyIndexCount,
                        &real.pQueueFamilyIndices, storage, SIM_COUNT(storage));
    return d->CreateBuffer(device, &real, alloc, buffer);
}

VKAPI_ATTR VkResult VKAPI_CALL sim_CreateImage(VkDevice device, const VkImageCreateInfo *ci,
                                                     const VkAllocationCallbacks *alloc,
                                                     VkImage *image)
{
    sim_device *d = sim_device_of(device);
    VkImageCreateInfo real = *ci;
    uint32_t storage[VKG__FAMILY_SPEC_MAX_FAMILIES];
    sim_rewrite_sharing(d, &real.sharingMode, &real.queueFamilyIndexCount,
                        &real.pQueueFamilyIndices, storage, SIM_COUNT(storage));
    return d->CreateImage(device, &real, alloc, image);
}

VKAPI_ATTR VkResult VKAPI_CALL sim_CreateSwapchainKHR(VkDevice device,
                                                            const VkSwapchainCreateInfoKHR *ci,
                                                            const VkAllocationCallbacks *alloc,
                                                            VkSwapchainKHR *swapchain)
{
    sim_device *d = sim_device_of(device);
    VkSwapchainCreateInfoKHR real = *ci;
    uint32_t storage[VKG__FAMILY_SPEC_MAX_FAMILIES];
    sim_rewrite_sharing(d, &real.imageSharingMode, &real.queueFamilyIndexCount,
                        &real.pQueueFamilyIndices, storage, SIM_COUNT(storage));
    return d->CreateSwapchainKHR(device, &real, alloc, swapchain);
}

VKAPI_ATTR void VKAPI_CALL sim_GetDeviceBufferMemoryRequirements(
    VkDevice device, const VkDeviceBufferMemoryRequirements *info, VkMemoryRequirements2 *reqs)
{
    sim_device *d = sim_device_of(device);
    VkBufferCreateInfo ci = *info->pCreateInfo;
    uint32_t storage[VKG__FAMILY_SPEC_MAX_FAMILIES];
    sim_rewrite_sharing(d, &ci.sharingMode, &ci.queueFamilyIndexCount, &ci.pQueueFamilyIndices,
                        storage, SIM_COUNT(storage));
    VkDeviceBufferMemoryRequirements real = *info;
    real.pCreateInfo = &ci;
    d->GetDeviceBufferMemoryRequirements(device, &real, reqs);
}

/* An image memory-requirement query as the driver sees it. */
typedef struct sim_image_query {
    VkImageCreateInfo ci;
    VkDeviceImageMemoryRequirements info;
    uint32_t storage[VKG__FAMILY_SPEC_MAX_FAMILIES];
} sim_image_query;

static const VkDeviceImageMemoryRequirements *
sim_image_query_rewrite(const sim_device *d, const VkDeviceImageMemoryRequirements *in,
                        sim_image_query *q)
{
    q->ci = *in->pCreateInfo;
    sim_rewrite_sharing(d, &q->ci.sharingMode, &q->ci.queueFamilyIndexCount,
                        &q->ci.pQueueFamilyIndices, q->storage, SIM_COUNT(q->storage));
    q->info = *in;
    q->info.pCreateInfo = &q->ci;
    return &q->info;
}

VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, VkMemoryRequirements2 *reqs)
{
    sim_device *d = sim_device_of(device);
    sim_image_query q;
    d->GetDeviceImageMemoryRequirements(device, sim_image_query_rewrite(d, info, &q), reqs);
}

VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageSparseMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, uint32_t *count,
    VkSparseImageMemoryRequirements2 *reqs)
{
    sim_device *d = sim_device_of(device);
    sim_image_query q;
    d->GetDeviceImageSparseMemoryRequirements(device, sim_image_query_rewrite(d, info, &q), count,
                                              reqs);
}
