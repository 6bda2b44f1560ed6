/* VK_LAYER_VKGRAPH_simulate_families: presents a device's one queue family in the shape of a
 * discrete GPU's several families, so that queue-family ownership transfers, per-family queue
 * capabilities and cross-queue synchronization run — and are judged by the validation layer —
 * on CPU drivers (lavapipe, SwiftShader) that have a single family with a single queue.
 *
 * Enable it *below* VK_LAYER_KHRONOS_validation (after it in ppEnabledLayerNames) so that
 * validation sees the simulated families. The shape comes from the VKG_SIMULATE_FAMILIES
 * environment variable ("1" for the default, or a spec such as "gct:2,ct:2,t:1";
 * family_spec.h), or from vkgraph's vkg_device_desc.simulate_families.
 *
 * What it does:
 *  - vkGetPhysicalDeviceQueueFamilyProperties(2) answer with the simulated families, each
 *    with the real universal family's timestamp bits and transfer granularity;
 *  - vkCreateDevice creates one real queue (the real universal family's first) and gives every
 *    requested simulated queue its own dispatchable VkQueue (loader data set through the
 *    loader's device callback); their submissions are serialized onto the real queue;
 *  - every queue-family index the driver sees is rewritten to the real family: command pools,
 *    buffer and image barriers (pipeline barriers and events, both synchronization versions),
 *    VK_SHARING_MODE_CONCURRENT lists (buffers, images, swapchains, memory-requirement
 *    queries), vkGetDeviceQueue(2), surface presentation support;
 *  - an ownership transfer between two simulated families becomes, for the driver, a plain
 *    barrier on the one real queue; the acquire half keeps its access scopes but not its
 *    layout transition, which the release half already performed on the same queue (the
 *    semaphore between them orders the two).
 *
 * Written here because no packaged layer does this: Mesa's device-select and overlay layers,
 * the LunarG device simulation/profiles layer (not in Debian 12, and it cannot add queues or
 * families the driver lacks) and the validation layer itself all pass queues through. */
#include "sim_internal.h"

/* ------------------------------------------------------------------------------------------
 * Instance and physical-device entry points
 * ---------------------------------------------------------------------------------------- */

static void *sim_find_link(const void *pnext, VkStructureType type, int32_t function)
{
    for (const VkBaseInStructure *s = pnext; s; s = s->pNext)
        if (s->sType == type &&
            (int32_t)((const VkLayerInstanceCreateInfo *)s)->function == function)
            return (void *)s;
    return NULL;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateInstance(const VkInstanceCreateInfo *ci,
                                                         const VkAllocationCallbacks *alloc,
                                                         VkInstance *out)
{
    VkLayerInstanceCreateInfo *link =
        sim_find_link(ci->pNext, VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO,
                      VK_LAYER_LINK_INFO);
    if (!link || !link->u.pLayerInfo) return VK_ERROR_INITIALIZATION_FAILED;
    PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext; /* the next layer finds its own link */

    const vkg__simulate_config *config =
        sim_find_link(ci->pNext, VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO,
                      VKG__SIMULATE_CONFIG_FUNCTION);
    const char *text = config ? config->spec : getenv("VKG_SIMULATE_FAMILIES");
    vkg__family_spec spec;
    char why[256];
    if (!vkg__family_spec_parse(text, &spec, why, sizeof why)) {
        sim_log("VKG_SIMULATE_FAMILIES: %s", why);
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    sim_instance *inst = calloc(1, sizeof *inst);
    if (!inst) return VK_ERROR_OUT_OF_HOST_MEMORY;
    PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(NULL, "vkCreateInstance");
    VkResult r = create ? create(ci, alloc, out) : VK_ERROR_INITIALIZATION_FAILED;
    if (r != VK_SUCCESS) {
        free(inst);
        return r;
    }
    inst->instance = *out;
    inst->spec = spec;
    inst->gipa = gipa;
#define SIM_LOAD(field, name) inst->field = (void *)gipa(*out, name)
    SIM_LOAD(DestroyInstance, "vkDestroyInstance");
    SIM_LOAD(EnumeratePhysicalDevices, "vkEnumeratePhysicalDevices");
    SIM_LOAD(EnumeratePhysicalDeviceGroups, "vkEnumeratePhysicalDeviceGroups");
    SIM_LOAD(GetQueueFamilyProperties, "vkGetPhysicalDeviceQueueFamilyProperties");
    SIM_LOAD(GetQueueFamilyProperties2, "vkGetPhysicalDeviceQueueFamilyProperties2");
    SIM_LOAD(GetSurfaceSupport, "vkGetPhysicalDeviceSurfaceSupportKHR");
    SIM_LOAD(GetXlibSupport, "vkGetPhysicalDeviceXlibPresentationSupportKHR");
    SIM_LOAD(GetXcbSupport, "vkGetPhysicalDeviceXcbPresentationSupportKHR");
    SIM_LOAD(GetWaylandSupport, "vkGetPhysicalDeviceWaylandPresentationSupportKHR");
    SIM_LOAD(CreateDevice, "vkCreateDevice");
#undef SIM_LOAD
    sim_list_push(&sim.instances, &inst->node, *out);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL sim_DestroyInstance(VkInstance instance,
                                                      const VkAllocationCallbacks *alloc)
{
    sim_instance *inst = sim_instance_of(instance);
    if (!inst) return;
    sim_list_remove(&sim.instances, &inst->node);
    pthread_mutex_lock(&sim.lock);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < sim.physical_count; i++)
        if (sim.physicals[i].inst != inst) sim.physicals[kept++] = sim.physicals[i];
    sim.physical_count = kept;
    pthread_mutex_unlock(&sim.lock);
    inst->DestroyInstance(instance, alloc);
    free(inst);
}

/* Remembers a physical device of an instance with the real family it will run on: the first
 * with graphics and compute (the universal family every driver has). */
static void sim_physical_add(sim_instance *inst, VkPhysicalDevice pd)
{
    VkQueueFamilyProperties props[VKG__FAMILY_SPEC_MAX_FAMILIES];
    uint32_t n = 0;
    inst->GetQueueFamilyProperties(pd, &n, NULL);
    n = n < SIM_COUNT(props) ? n : (uint32_t)SIM_COUNT(props);
    inst->GetQueueFamilyProperties(pd, &n, props);
    uint32_t real = 0;
    const VkQueueFlags gc = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (uint32_t i = n; i-- > 0;)
        if ((props[i].queueFlags & gc) == gc) real = i;
    pthread_mutex_lock(&sim.lock);
    bool known = false;
    for (uint32_t i = 0; i < sim.physical_count; i++) known |= sim.physicals[i].pd == pd;
    if (!known && n &&
        sim_grow((void **)&sim.physicals, &sim.physical_cap, sim.physical_count + 1,
                 sizeof *sim.physicals))
        sim.physicals[sim.physical_count++] =
            (sim_physical){.pd = pd, .inst = inst, .real_family = real, .real = props[real]};
    pthread_mutex_unlock(&sim.lock);
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_EnumeratePhysicalDevices(VkInstance instance,
                                                                   uint32_t *count,
                                                                   VkPhysicalDevice *pds)
{
    sim_instance *inst = sim_instance_of(instance);
    if (!inst) return VK_ERROR_INITIALIZATION_FAILED;
    VkResult r = inst->EnumeratePhysicalDevices(instance, count, pds);
    if (pds && (r == VK_SUCCESS || r == VK_INCOMPLETE))
        for (uint32_t i = 0; i < *count; i++) sim_physical_add(inst, pds[i]);
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_EnumeratePhysicalDeviceGroups(
    VkInstance instance, uint32_t *count, VkPhysicalDeviceGroupProperties *groups)
{
    sim_instance *inst = sim_instance_of(instance);
    if (!inst) return VK_ERROR_INITIALIZATION_FAILED;
    VkResult r = inst->EnumeratePhysicalDeviceGroups(instance, count, groups);
    if (groups && (r == VK_SUCCESS || r == VK_INCOMPLETE))
        for (uint32_t i = 0; i < *count; i++)
            for (uint32_t k = 0; k < groups[i].physicalDeviceCount; k++)
                sim_physical_add(inst, groups[i].physicalDevices[k]);
    return r;
}

/* The simulated family `i` as seen from the real one. */
static VkQueueFamilyProperties sim_family_props(const sim_physical *p, uint32_t i)
{
    VkQueueFamilyProperties f = p->real;
    const vkg__family_spec *spec = &p->inst->spec;
    f.queueFlags = spec->flags[i] | (p->real.queueFlags & VK_QUEUE_PROTECTED_BIT);
    if (!(p->real.queueFlags & VK_QUEUE_SPARSE_BINDING_BIT))
        f.queueFlags &= ~(VkQueueFlags)VK_QUEUE_SPARSE_BINDING_BIT;
    f.queueCount = spec->queues[i];
    return f;
}

static VKAPI_ATTR void VKAPI_CALL sim_GetQueueFamilyProperties(VkPhysicalDevice pd,
                                                               uint32_t *count,
                                                               VkQueueFamilyProperties *props)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p)) return;
    if (!props) {
        *count = p.inst->spec.count;
        return;
    }
    uint32_t n = *count < p.inst->spec.count ? *count : p.inst->spec.count;
    for (uint32_t i = 0; i < n; i++) props[i] = sim_family_props(&p, i);
    *count = n;
}

static VKAPI_ATTR void VKAPI_CALL sim_GetQueueFamilyProperties2(VkPhysicalDevice pd,
                                                                uint32_t *count,
                                                                VkQueueFamilyProperties2 *props)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p)) return;
    if (!props) {
        *count = p.inst->spec.count;
        return;
    }
    uint32_t n = *count < p.inst->spec.count ? *count : p.inst->spec.count;
    /* The driver fills each element's pNext chain with what the real family has. */
    VkQueueFamilyProperties2 real[VKG__FAMILY_SPEC_MAX_FAMILIES];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t m = p.real_family + 1;
        memset(real, 0, sizeof real);
        for (uint32_t k = 0; k < m; k++) real[k].sType = VK_STRUCTURE_TYPE_QUEUE_FAMILY_PROPERTIES_2;
        real[p.real_family].pNext = props[i].pNext;
        p.inst->GetQueueFamilyProperties2(pd, &m, real);
        props[i].queueFamilyProperties = sim_family_props(&p, i);
    }
    *count = n;
}

/* Presentation: a simulated family presents where it has graphics and the real family can. */
static bool sim_present_family(VkPhysicalDevice pd, uint32_t *family)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p) || *family >= p.inst->spec.count) return true;
    if (!(p.inst->spec.flags[*family] & VK_QUEUE_GRAPHICS_BIT)) return false;
    *family = p.real_family;
    return true;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_GetSurfaceSupport(VkPhysicalDevice pd, uint32_t family,
                                                            VkSurfaceKHR surface,
                                                            VkBool32 *supported)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p)) return VK_ERROR_INITIALIZATION_FAILED;
    if (!sim_present_family(pd, &family)) {
        *supported = VK_FALSE;
        return VK_SUCCESS;
    }
    return p.inst->GetSurfaceSupport(pd, family, surface, supported);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL sim_GetXlibSupport(VkPhysicalDevice pd, uint32_t family,
                                                         void *dpy, unsigned long visual)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p) || !sim_present_family(pd, &family)) return VK_FALSE;
    return p.inst->GetXlibSupport(pd, family, dpy, visual);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL sim_GetXcbSupport(VkPhysicalDevice pd, uint32_t family,
                                                        void *connection, uint32_t visual)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p) || !sim_present_family(pd, &family)) return VK_FALSE;
    return p.inst->GetXcbSupport(pd, family, connection, visual);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL sim_GetWaylandSupport(VkPhysicalDevice pd, uint32_t family,
                                                            void *display)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p) || !sim_present_family(pd, &family)) return VK_FALSE;
    return p.inst->GetWaylandSupport(pd, family, display);
}

/* ------------------------------------------------------------------------------------------
 * Device creation: one real queue, a dispatchable simulated queue per requested one
 * ---------------------------------------------------------------------------------------- */

static void sim_device_free(sim_device *d)
{
    free(d->queues);
    free(d->pools);
    pthread_mutex_destroy(&d->queue_lock);
    free(d);
}

static void sim_device_load(sim_device *d, VkDevice device)
{
#define SIM_LOAD(field, name) d->field = (void *)d->gdpa(device, name)
#define SIM_LOAD2(field, name, alias)                                                           \
    do {                                                                                        \
        SIM_LOAD(field, name);                                                                  \
        if (!d->field) SIM_LOAD(field, alias);                                                  \
    } while (0)
    SIM_LOAD(DestroyDevice, "vkDestroyDevice");
    SIM_LOAD(GetDeviceQueue, "vkGetDeviceQueue");
    SIM_LOAD(GetDeviceQueue2, "vkGetDeviceQueue2");
    SIM_LOAD(QueueSubmit, "vkQueueSubmit");
    SIM_LOAD2(QueueSubmit2, "vkQueueSubmit2", "vkQueueSubmit2KHR");
    SIM_LOAD(QueueWaitIdle, "vkQueueWaitIdle");
    SIM_LOAD(QueueBindSparse, "vkQueueBindSparse");
    SIM_LOAD(QueuePresentKHR, "vkQueuePresentKHR");
    SIM_LOAD(QueueBeginDebugUtilsLabelEXT, "vkQueueBeginDebugUtilsLabelEXT");
    SIM_LOAD(QueueEndDebugUtilsLabelEXT, "vkQueueEndDebugUtilsLabelEXT");
    SIM_LOAD(QueueInsertDebugUtilsLabelEXT, "vkQueueInsertDebugUtilsLabelEXT");
    SIM_LOAD(CreateCommandPool, "vkCreateCommandPool");
    SIM_LOAD(DestroyCommandPool, "vkDestroyCommandPool");
    SIM_LOAD(AllocateCommandBuffers, "vkAllocateCommandBuffers");
    SIM_LOAD(FreeCommandBuffers, "vkFreeCommandBuffers");
    SIM_LOAD(CmdPipelineBarrier, "vkCmdPipelineBarrier");
    SIM_LOAD2(CmdPipelineBarrier2, "vkCmdPipelineBarrier2", "vkCmdPipelineBarrier2KHR");
    SIM_LOAD(CmdWaitEvents, "vkCmdWaitEvents");
    SIM_LOAD2(CmdWaitEvents2, "vkCmdWaitEvents2", "vkCmdWaitEvents2KHR");
    SIM_LOAD2(CmdSetEvent2, "vkCmdSetEvent2", "vkCmdSetEvent2KHR");
    SIM_LOAD(CreateBuffer, "vkCreateBuffer");
    SIM_LOAD(CreateImage, "vkCreateImage");
    SIM_LOAD(CreateSwapchainKHR, "vkCreateSwapchainKHR");
    SIM_LOAD2(GetDeviceBufferMemoryRequirements, "vkGetDeviceBufferMemoryRequirements",
              "vkGetDeviceBufferMemoryRequirementsKHR");
    SIM_LOAD2(GetDeviceImageMemoryRequirements, "vkGetDeviceImageMemoryRequirements",
              "vkGetDeviceImageMemoryRequirementsKHR");
    SIM_LOAD2(GetDeviceImageSparseMemoryRequirements, "vkGetDeviceImageSparseMemoryRequirements",
              "vkGetDeviceImageSparseMemoryRequirementsKHR");
#undef SIM_LOAD2
#undef SIM_LOAD
}

/* Checks the requested simulated queues against the shape (the validation layer above
 * reports the VUIDs; this keeps the layer itself safe when it runs without validation). */
static bool sim_queues_valid(const vkg__family_spec *spec, const VkDeviceCreateInfo *ci,
                             uint32_t *total)
{
    *total = 0;
    for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++) {
        const VkDeviceQueueCreateInfo *q = &ci->pQueueCreateInfos[i];
        if (q->queueFamilyIndex >= spec->count || q->queueCount == 0 ||
            q->queueCount > spec->queues[q->queueFamilyIndex])
            return false;
        *total += q->queueCount;
    }
    return true;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateDevice(VkPhysicalDevice pd,
                                                       const VkDeviceCreateInfo *ci,
                                                       const VkAllocationCallbacks *alloc,
                                                       VkDevice *out)
{
    sim_physical p;
    if (!sim_physical_of(pd, &p)) return VK_ERROR_INITIALIZATION_FAILED;
    VkLayerDeviceCreateInfo *link = sim_find_link(
        ci->pNext, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO, VK_LAYER_LINK_INFO);
    VkLayerDeviceCreateInfo *loader = sim_find_link(
        ci->pNext, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO, VK_LOADER_DATA_CALLBACK);
    if (!link || !link->u.pLayerInfo || !loader) return VK_ERROR_INITIALIZATION_FAILED;
    PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;

    uint32_t total;
    if (!sim_queues_valid(&p.inst->spec, ci, &total)) {
        sim_log("%s", "vkCreateDevice asks for a queue family or more queues than the "
                      "simulated families have");
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    /* One real queue carries them all, with the highest priority asked for. */
    float priority = 0.0f;
    VkDeviceQueueCreateFlags flags = 0;
    for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++) {
        const VkDeviceQueueCreateInfo *q = &ci->pQueueCreateInfos[i];
        flags |= q->flags;
        for (uint32_t k = 0; k < q->queueCount; k++)
            if (q->pQueuePriorities[k] > priority) priority = q->pQueuePriorities[k];
    }
    VkDeviceQueueCreateInfo real_queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .flags = flags,
        .queueFamilyIndex = p.real_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo real_ci = *ci;
    real_ci.queueCreateInfoCount = 1;
    real_ci.pQueueCreateInfos = &real_queue;

    sim_device *d = calloc(1, sizeof *d);
    sim_queue *queues = calloc(total ? total : 1, sizeof *queues);
    if (!d || !queues) {
        free(d);
        free(queues);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(p.inst->instance, "vkCreateDevice");
    VkResult r = create ? create(pd, &real_ci, alloc, out) : VK_ERROR_INITIALIZATION_FAILED;
    if (r != VK_SUCCESS) {
        free(d);
        free(queues);
        return r;
    }
    pthread_mutex_init(&d->queue_lock, NULL);
    d->device = *out;
    d->gdpa = gdpa;
    d->sim_family_count = p.inst->spec.count;
    d->real_family = p.real_family;
    d->queues = queues;
    sim_device_load(d, *out);
    if (flags) {
        VkDeviceQueueInfo2 info = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2,
                                   .flags = flags,
                                   .queueFamilyIndex = p.real_family};
        d->GetDeviceQueue2(*out, &info, &d->real_queue);
    } else {
        d->GetDeviceQueue(*out, p.real_family, 0, &d->real_queue);
    }
    /* What the loader does for every queue it hands out: some of its terminators (debug
     * labels) find their dispatch through the queue. */
    loader->u.pfnSetDeviceLoaderData(*out, d->real_queue);
    for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++) {
        const VkDeviceQueueCreateInfo *q = &ci->pQueueCreateInfos[i];
        for (uint32_t k = 0; k < q->queueCount; k++) {
            sim_queue *s = &d->queues[d->queue_count++];
            *s = (sim_queue){.dev = d, .family = q->queueFamilyIndex, .index = k,
                             .flags = q->flags};
            loader->u.pfnSetDeviceLoaderData(*out, s);
        }
    }
    sim_list_push(&sim.devices, &d->node, *out);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL sim_DestroyDevice(VkDevice device,
                                                    const VkAllocationCallbacks *alloc)
{
    sim_device *d = sim_device_of(device);
    if (!d) return;
    sim_list_remove(&sim.devices, &d->node);
    pthread_mutex_lock(&sim.lock);
    sim_cmd_forget(d, VK_NULL_HANDLE);
    pthread_mutex_unlock(&sim.lock);
    d->DestroyDevice(device, alloc);
    sim_device_free(d);
}

static sim_queue *sim_queue_find(sim_device *d, uint32_t family, uint32_t index,
                                 VkDeviceQueueCreateFlags flags)
{
    for (uint32_t i = 0; i < d->queue_count; i++) {
        sim_queue *q = &d->queues[i];
        if (q->family == family && q->index == index && q->flags == flags) return q;
    }
    return NULL;
}

static VKAPI_ATTR void VKAPI_CALL sim_GetDeviceQueue(VkDevice device, uint32_t family,
                                                     uint32_t index, VkQueue *queue)
{
    sim_device *d = sim_device_of(device);
    *queue = d ? (VkQueue)sim_queue_find(d, family, index, 0) : VK_NULL_HANDLE;
}

static VKAPI_ATTR void VKAPI_CALL sim_GetDeviceQueue2(VkDevice device,
                                                      const VkDeviceQueueInfo2 *info,
                                                      VkQueue *queue)
{
    sim_device *d = sim_device_of(device);
    *queue = d ? (VkQueue)sim_queue_find(d, info->queueFamilyIndex, info->queueIndex, info->flags)
               : VK_NULL_HANDLE;
}

/* ------------------------------------------------------------------------------------------
 * Queues: every call reaches the one real queue under its lock
 * ---------------------------------------------------------------------------------------- */

#define SIM_ON_REAL_QUEUE(queue, call)                                                          \
    sim_device *d = ((sim_queue *)(queue))->dev;                                                \
    VkQueue real = d->real_queue;                                                               \
    pthread_mutex_lock(&d->queue_lock);                                                         \
    call;                                                                                       \
    pthread_mutex_unlock(&d->queue_lock)

static VKAPI_ATTR VkResult VKAPI_CALL sim_QueueSubmit(VkQueue queue, uint32_t count,
                                                      const VkSubmitInfo *submits, VkFence fence)
{
    VkResult r;
    SIM_ON_REAL_QUEUE(queue, r = d->QueueSubmit(real, count, submits, fence));
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_QueueSubmit2(VkQueue queue, uint32_t count,
                                                       const VkSubmitInfo2 *submits, VkFence fence)
{
    VkResult r;
    SIM_ON_REAL_QUEUE(queue, r = d->QueueSubmit2(real, count, submits, fence));
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_QueueWaitIdle(VkQueue queue)
{
    VkResult r;
    SIM_ON_REAL_QUEUE(queue, r = d->QueueWaitIdle(real));
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_QueueBindSparse(VkQueue queue, uint32_t count,
                                                          const VkBindSparseInfo *infos,
                                                          VkFence fence)
{
    VkResult r;
    SIM_ON_REAL_QUEUE(queue, r = d->QueueBindSparse(real, count, infos, fence));
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_QueuePresentKHR(VkQueue queue,
                                                          const VkPresentInfoKHR *info)
{
    VkResult r;
    SIM_ON_REAL_QUEUE(queue, r = d->QueuePresentKHR(real, info));
    return r;
}

static VKAPI_ATTR void VKAPI_CALL sim_QueueBeginLabel(VkQueue queue,
                                                     const VkDebugUtilsLabelEXT *label)
{
    SIM_ON_REAL_QUEUE(queue, d->QueueBeginDebugUtilsLabelEXT(real, label));
}

static VKAPI_ATTR void VKAPI_CALL sim_QueueEndLabel(VkQueue queue)
{
    SIM_ON_REAL_QUEUE(queue, d->QueueEndDebugUtilsLabelEXT(real));
}

static VKAPI_ATTR void VKAPI_CALL sim_QueueInsertLabel(VkQueue queue,
                                                      const VkDebugUtilsLabelEXT *label)
{
    SIM_ON_REAL_QUEUE(queue, d->QueueInsertDebugUtilsLabelEXT(real, label));
}

/* ------------------------------------------------------------------------------------------
 * Entry points the loader asks for
 * ---------------------------------------------------------------------------------------- */

typedef struct sim_entry {
    const char *name;
    PFN_vkVoidFunction fn;
    size_t next_offset; /* offset of the next layer's function in sim_device; 0: not a
                           device function */
} sim_entry;

#define SIM_DEV(name, fn, field) {name, (PFN_vkVoidFunction)fn, offsetof(sim_device, field)}
static const sim_entry sim_device_entries[] = {
    SIM_DEV("vkDestroyDevice", sim_DestroyDevice, DestroyDevice),
    SIM_DEV("vkGetDeviceQueue", sim_GetDeviceQueue, GetDeviceQueue),
    SIM_DEV("vkGetDeviceQueue2", sim_GetDeviceQueue2, GetDeviceQueue2),
    SIM_DEV("vkQueueSubmit", sim_QueueSubmit, QueueSubmit),
    SIM_DEV("vkQueueSubmit2", sim_QueueSubmit2, QueueSubmit2),
    SIM_DEV("vkQueueSubmit2KHR", sim_QueueSubmit2, QueueSubmit2),
    SIM_DEV("vkQueueWaitIdle", sim_QueueWaitIdle, QueueWaitIdle),
    SIM_DEV("vkQueueBindSparse", sim_QueueBindSparse, QueueBindSparse),
    SIM_DEV("vkQueuePresentKHR", sim_QueuePresentKHR, QueuePresentKHR),
    SIM_DEV("vkQueueBeginDebugUtilsLabelEXT", sim_QueueBeginLabel, QueueBeginDebugUtilsLabelEXT),
    SIM_DEV("vkQueueEndDebugUtilsLabelEXT", sim_QueueEndLabel, QueueEndDebugUtilsLabelEXT),
    SIM_DEV("vkQueueInsertDebugUtilsLabelEXT", sim_QueueInsertLabel, QueueInsertDebugUtilsLabelEXT),
    SIM_DEV("vkCreateCommandPool", sim_CreateCommandPool, CreateCommandPool),
    SIM_DEV("vkDestroyCommandPool", sim_DestroyCommandPool, DestroyCommandPool),
    SIM_DEV("vkAllocateCommandBuffers", sim_AllocateCommandBuffers, AllocateCommandBuffers),
    SIM_DEV("vkFreeCommandBuffers", sim_FreeCommandBuffers, FreeCommandBuffers),
    SIM_DEV("vkCmdPipelineBarrier", sim_CmdPipelineBarrier, CmdPipelineBarrier),
    SIM_DEV("vkCmdPipelineBarrier2", sim_CmdPipelineBarrier2, CmdPipelineBarrier2),
    SIM_DEV("vkCmdPipelineBarrier2KHR", sim_CmdPipelineBarrier2, CmdPipelineBarrier2),
    SIM_DEV("vkCmdWaitEvents", sim_CmdWaitEvents, CmdWaitEvents),
    SIM_DEV("vkCmdWaitEvents2", sim_CmdWaitEvents2, CmdWaitEvents2),
    SIM_DEV("vkCmdWaitEvents2KHR", sim_CmdWaitEvents2, CmdWaitEvents2),
    SIM_DEV("vkCmdSetEvent2", sim_CmdSetEvent2, CmdSetEvent2),
    SIM_DEV("vkCmdSetEvent2KHR", sim_CmdSetEvent2, CmdSetEvent2),
    SIM_DEV("vkCreateBuffer", sim_CreateBuffer, CreateBuffer),
    SIM_DEV("vkCreateImage", sim_CreateImage, CreateImage),
    SIM_DEV("vkCreateSwapchainKHR", sim_CreateSwapchainKHR, CreateSwapchainKHR),
    SIM_DEV("vkGetDeviceBufferMemoryRequirements", sim_GetDeviceBufferMemoryRequirements,
            GetDeviceBufferMemoryRequirements),
    SIM_DEV("vkGetDeviceBufferMemoryRequirementsKHR", sim_GetDeviceBufferMemoryRequirements,
            GetDeviceBufferMemoryRequirements),
    SIM_DEV("vkGetDeviceImageMemoryRequirements", sim_GetDeviceImageMemoryRequirements,
            GetDeviceImageMemoryRequirements),
    SIM_DEV("vkGetDeviceImageMemoryRequirementsKHR", sim_GetDeviceImageMemoryRequirements,
            GetDeviceImageMemoryRequirements),
    SIM_DEV("vkGetDeviceImageSparseMemoryRequirements", sim_GetDeviceImageSparseMemoryRequirements,
            GetDeviceImageSparseMemoryRequirements),
    SIM_DEV("vkGetDeviceImageSparseMemoryRequirementsKHR",
            sim_GetDeviceImageSparseMemoryRequirements, GetDeviceImageSparseMemoryRequirements),
};
#undef SIM_DEV

#define SIM_INST(name, fn, field) {name, (PFN_vkVoidFunction)fn, offsetof(sim_instance, field)}
static const sim_entry sim_instance_entries[] = {
    SIM_INST("vkDestroyInstance", sim_DestroyInstance, DestroyInstance),
    SIM_INST("vkEnumeratePhysicalDevices", sim_EnumeratePhysicalDevices, EnumeratePhysicalDevices),
    SIM_INST("vkEnumeratePhysicalDeviceGroups", sim_EnumeratePhysicalDeviceGroups,
             EnumeratePhysicalDeviceGroups),
    SIM_INST("vkEnumeratePhysicalDeviceGroupsKHR", sim_EnumeratePhysicalDeviceGroups,
             EnumeratePhysicalDeviceGroups),
    SIM_INST("vkGetPhysicalDeviceQueueFamilyProperties", sim_GetQueueFamilyProperties,
             GetQueueFamilyProperties),
    SIM_INST("vkGetPhysicalDeviceQueueFamilyProperties2", sim_GetQueueFamilyProperties2,
             GetQueueFamilyProperties2),
    SIM_INST("vkGetPhysicalDeviceQueueFamilyProperties2KHR", sim_GetQueueFamilyProperties2,
             GetQueueFamilyProperties2),
    SIM_INST("vkGetPhysicalDeviceSurfaceSupportKHR", sim_GetSurfaceSupport, GetSurfaceSupport),
    SIM_INST("vkGetPhysicalDeviceXlibPresentationSupportKHR", sim_GetXlibSupport, GetXlibSupport),
    SIM_INST("vkGetPhysicalDeviceXcbPresentationSupportKHR", sim_GetXcbSupport, GetXcbSupport),
    SIM_INST("vkGetPhysicalDeviceWaylandPresentationSupportKHR", sim_GetWaylandSupport,
             GetWaylandSupport),
    SIM_INST("vkCreateDevice", sim_CreateDevice, CreateDevice),
};
#undef SIM_INST

static const sim_entry *sim_lookup(const sim_entry *table, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0) return &table[i];
    return NULL;
}

/* Ours where the next layer has the function too (a function the device does not have stays
 * absent), else the next layer's. */
SIM_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkgsim_GetDeviceProcAddr(VkDevice device,
                                                                            const char *name);

static PFN_vkVoidFunction sim_device_proc(sim_device *d, const char *name)
{
    if (strcmp(name, "vkGetDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)vkgsim_GetDeviceProcAddr;
    const sim_entry *e = sim_lookup(sim_device_entries, SIM_COUNT(sim_device_entries), name);
    if (e) {
        PFN_vkVoidFunction next = *(PFN_vkVoidFunction *)((char *)d + e->next_offset);
        return next ? e->fn : NULL;
    }
    return d->gdpa(d->device, name);
}

SIM_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkgsim_GetDeviceProcAddr(VkDevice device,
                                                                            const char *name)
{
    sim_device *d = sim_device_of(device);
    return d ? sim_device_proc(d, name) : NULL;
}

SIM_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkgsim_GetInstanceProcAddr(VkInstance instance,
                                                                              const char *name)
{
    if (strcmp(name, "vkCreateInstance") == 0) return (PFN_vkVoidFunction)sim_CreateInstance;
    if (strcmp(name, "vkGetInstanceProcAddr") == 0)
        return (PFN_vkVoidFunction)vkgsim_GetInstanceProcAddr;
    if (strcmp(name, "vkGetDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)vkgsim_GetDeviceProcAddr;
    sim_instance *inst = instance ? sim_instance_of(instance) : NULL;
    if (!inst) return NULL;
    const sim_entry *e = sim_lookup(sim_instance_entries, SIM_COUNT(sim_instance_entries), name);
    if (e) {
        PFN_vkVoidFunction next = *(PFN_vkVoidFunction *)((char *)inst + e->next_offset);
        return next ? e->fn : NULL;
    }
    /* Device functions asked through the instance: ours where we wrap them. */
    e = sim_lookup(sim_device_entries, SIM_COUNT(sim_device_entries), name);
    if (e) return inst->gipa(instance, name) ? e->fn : NULL;
    return inst->gipa(instance, name);
}

SIM_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkgsim_NegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *v)
{
    if (!v || v->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT) return VK_ERROR_INITIALIZATION_FAILED;
    if (v->loaderLayerInterfaceVersion < 2) return VK_ERROR_INITIALIZATION_FAILED;
    v->loaderLayerInterfaceVersion = 2;
    v->pfnGetInstanceProcAddr = vkgsim_GetInstanceProcAddr;
    v->pfnGetDeviceProcAddr = vkgsim_GetDeviceProcAddr;
    v->pfnGetPhysicalDeviceProcAddr = NULL;
    return VK_SUCCESS;
}
