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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include "family_spec.h"

#define SIM_EXPORT __attribute__((visibility("default")))
#define SIM_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void sim_log(const char *fmt, const char *detail)
{
    fprintf(stderr, "%s: ", VKG__SIMULATE_LAYER);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------------------------------------
 * State: instances, physical devices, devices, command pools and command buffers. One mutex
 * guards the tables; the layer serves tests and tools, not a frame loop, so lookups are
 * linear in the (few) instances, devices and pools, and hashed for command buffers.
 * ---------------------------------------------------------------------------------------- */

typedef VkBool32(VKAPI_PTR *sim_PFN_xlib_support)(VkPhysicalDevice, uint32_t, void *,
                                                  unsigned long);
typedef VkBool32(VKAPI_PTR *sim_PFN_xcb_support)(VkPhysicalDevice, uint32_t, void *, uint32_t);
typedef VkBool32(VKAPI_PTR *sim_PFN_wayland_support)(VkPhysicalDevice, uint32_t, void *);

/* Instances and devices sit on lists whose link and handle are each record's first fields. */
typedef struct sim_node {
    struct sim_node *next;
    const void *handle; /* the VkInstance or VkDevice */
} sim_node;

typedef struct sim_instance {
    sim_node node;
    VkInstance instance;
    vkg__family_spec spec;
    PFN_vkGetInstanceProcAddr gipa;
    PFN_vkDestroyInstance DestroyInstance;
    PFN_vkEnumeratePhysicalDevices EnumeratePhysicalDevices;
    PFN_vkEnumeratePhysicalDeviceGroups EnumeratePhysicalDeviceGroups;
    PFN_vkGetPhysicalDeviceQueueFamilyProperties GetQueueFamilyProperties;
    PFN_vkGetPhysicalDeviceQueueFamilyProperties2 GetQueueFamilyProperties2;
    PFN_vkGetPhysicalDeviceSurfaceSupportKHR GetSurfaceSupport;
    sim_PFN_xlib_support GetXlibSupport;
    sim_PFN_xcb_support GetXcbSupport;
    sim_PFN_wayland_support GetWaylandSupport;
    PFN_vkCreateDevice CreateDevice;
} sim_instance;

typedef struct sim_physical {
    VkPhysicalDevice pd;
    sim_instance *inst;
    uint32_t real_family; /* the real family every simulated one runs on */
    VkQueueFamilyProperties real;
} sim_physical;

struct sim_device;

/* A simulated queue: a dispatchable handle of the layer's own. */
typedef struct sim_queue {
    void *loader_data; /* first: the loader writes its dispatch pointer here */
    struct sim_device *dev;
    uint32_t family, index;
    VkDeviceQueueCreateFlags flags;
} sim_queue;

typedef struct sim_pool {
    VkCommandPool pool;
    uint32_t family; /* simulated */
} sim_pool;

typedef struct sim_device {
    sim_node node;
    VkDevice device;
    uint32_t sim_family_count, real_family;
    VkQueue real_queue;
    pthread_mutex_t queue_lock; /* every simulated queue's calls reach the one real queue */
    sim_queue *queues;
    uint32_t queue_count;
    sim_pool *pools;
    uint32_t pool_count, pool_cap;
    PFN_vkGetDeviceProcAddr gdpa;
    PFN_vkDestroyDevice DestroyDevice;
    PFN_vkGetDeviceQueue GetDeviceQueue;
    PFN_vkGetDeviceQueue2 GetDeviceQueue2;
    PFN_vkQueueSubmit QueueSubmit;
    PFN_vkQueueSubmit2 QueueSubmit2;
    PFN_vkQueueWaitIdle QueueWaitIdle;
    PFN_vkQueueBindSparse QueueBindSparse;
    PFN_vkQueuePresentKHR QueuePresentKHR;
    PFN_vkQueueBeginDebugUtilsLabelEXT QueueBeginDebugUtilsLabelEXT;
    PFN_vkQueueEndDebugUtilsLabelEXT QueueEndDebugUtilsLabelEXT;
    PFN_vkQueueInsertDebugUtilsLabelEXT QueueInsertDebugUtilsLabelEXT;
    PFN_vkCreateCommandPool CreateCommandPool;
    PFN_vkDestroyCommandPool DestroyCommandPool;
    PFN_vkAllocateCommandBuffers AllocateCommandBuffers;
    PFN_vkFreeCommandBuffers FreeCommandBuffers;
    PFN_vkCmdPipelineBarrier CmdPipelineBarrier;
    PFN_vkCmdPipelineBarrier2 CmdPipelineBarrier2;
    PFN_vkCmdWaitEvents CmdWaitEvents;
    PFN_vkCmdWaitEvents2 CmdWaitEvents2;
    PFN_vkCmdSetEvent2 CmdSetEvent2;
    PFN_vkCreateBuffer CreateBuffer;
    PFN_vkCreateImage CreateImage;
    PFN_vkCreateSwapchainKHR CreateSwapchainKHR;
    PFN_vkGetDeviceBufferMemoryRequirements GetDeviceBufferMemoryRequirements;
    PFN_vkGetDeviceImageMemoryRequirements GetDeviceImageMemoryRequirements;
    PFN_vkGetDeviceImageSparseMemoryRequirements GetDeviceImageSparseMemoryRequirements;
} sim_device;

/* Command buffer -> its device and the simulated family of its pool. */
typedef struct sim_cmd {
    VkCommandBuffer cb; /* NULL: empty; SIM_TOMBSTONE: removed */
    sim_device *dev;
    VkCommandPool pool;
    uint32_t family;
} sim_cmd;
#define SIM_TOMBSTONE ((VkCommandBuffer)(uintptr_t)1)

static struct {
    pthread_mutex_t lock;
    sim_node *instances;
    sim_physical *physicals;
    uint32_t physical_count, physical_cap;
    sim_node *devices;
    sim_cmd *cmds;
    uint32_t cmd_cap, cmd_used; /* used counts tombstones too */
} sim = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool sim_grow(void **array, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap * 2 : 8;
    while (n < need) n *= 2;
    void *p = realloc(*array, (size_t)n * elem);
    if (!p) return false;
    *array = p;
    *cap = n;
    return true;
}

static sim_node *sim_list_find(sim_node *const *head, const void *handle)
{
    pthread_mutex_lock(&sim.lock);
    sim_node *n = *head;
    while (n && n->handle != handle) n = n->next;
    pthread_mutex_unlock(&sim.lock);
    return n;
}

static void sim_list_push(sim_node **head, sim_node *node, const void *handle)
{
    node->handle = handle;
    pthread_mutex_lock(&sim.lock);
    node->next = *head;
    *head = node;
    pthread_mutex_unlock(&sim.lock);
}

static void sim_list_remove(sim_node **head, const sim_node *node)
{
    pthread_mutex_lock(&sim.lock);
    for (sim_node **p = head; *p; p = &(*p)->next)
        if (*p == node) {
            *p = node->next;
            break;
        }
    pthread_mutex_unlock(&sim.lock);
}

static sim_instance *sim_instance_of(VkInstance instance)
{
    return (sim_instance *)sim_list_find(&sim.instances, instance);
}

/* Copies the physical device's record (the record array may move). */
static bool sim_physical_of(VkPhysicalDevice pd, sim_physical *out)
{
    bool found = false;
    pthread_mutex_lock(&sim.lock);
    for (uint32_t i = 0; i < sim.physical_count && !found; i++)
        if (sim.physicals[i].pd == pd) {
            *out = sim.physicals[i];
            found = true;
        }
    pthread_mutex_unlock(&sim.lock);
    return found;
}

static sim_device *sim_device_of(VkDevice device)
{
    return (sim_device *)sim_list_find(&sim.devices, device);
}

static uint32_t sim_cmd_slot(VkCommandBuffer cb)
{
    uintptr_t h = (uintptr_t)cb;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) & (sim.cmd_cap - 1);
}

static bool sim_cmd_rehash(uint32_t cap)
{
    sim_cmd *old = sim.cmds;
    uint32_t old_cap = sim.cmd_cap;
    sim.cmds = calloc(cap, sizeof *sim.cmds);
    if (!sim.cmds) {
        sim.cmds = old;
        return false;
    }
    sim.cmd_cap = cap;
    sim.cmd_used = 0;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (!old[i].cb || old[i].cb == SIM_TOMBSTONE) continue;
        uint32_t s = sim_cmd_slot(old[i].cb);
        while (sim.cmds[s].cb) s = (s + 1) & (cap - 1);
        sim.cmds[s] = old[i];
        sim.cmd_used++;
    }
    free(old);
    return true;
}

/* Under sim.lock. */
static bool sim_cmd_insert(const sim_cmd *c)
{
    if ((sim.cmd_used + 1) * 2 > sim.cmd_cap &&
        !sim_cmd_rehash(sim.cmd_cap ? sim.cmd_cap * 2 : 256))
        return false;
    uint32_t s = sim_cmd_slot(c->cb);
    while (sim.cmds[s].cb && sim.cmds[s].cb != SIM_TOMBSTONE && sim.cmds[s].cb != c->cb)
        s = (s + 1) & (sim.cmd_cap - 1);
    if (!sim.cmds[s].cb) sim.cmd_used++;
    sim.cmds[s] = *c;
    return true;
}

/* Under sim.lock. */
static sim_cmd *sim_cmd_find(VkCommandBuffer cb)
{
    if (!sim.cmd_cap) return NULL;
    for (uint32_t s = sim_cmd_slot(cb);; s = (s + 1) & (sim.cmd_cap - 1)) {
        if (!sim.cmds[s].cb) return NULL;
        if (sim.cmds[s].cb == cb) return &sim.cmds[s];
    }
}

/* The device and simulated family a command buffer was allocated for. */
static bool sim_cmd_of(VkCommandBuffer cb, sim_cmd *out)
{
    pthread_mutex_lock(&sim.lock);
    sim_cmd *c = sim_cmd_find(cb);
    if (c) *out = *c;
    pthread_mutex_unlock(&sim.lock);
    return c != NULL;
}

/* Under sim.lock: forgets the command buffers of a pool (or, pool NULL, of a device). */
static void sim_cmd_forget(const sim_device *d, VkCommandPool pool)
{
    for (uint32_t i = 0; i < sim.cmd_cap; i++) {
        sim_cmd *c = &sim.cmds[i];
        if (c->cb && c->cb != SIM_TOMBSTONE && c->dev == d &&
            (pool == VK_NULL_HANDLE || c->pool == pool))
            c->cb = SIM_TOMBSTONE;
    }
}

/* ------------------------------------------------------------------------------------------
 * Family rewriting: what the driver sees
 * ---------------------------------------------------------------------------------------- */

static uint32_t sim_map_family(const sim_device *d, uint32_t family)
{
    return family < d->sim_family_count ? d->real_family : family;
}

/* An ownership transfer between two simulated families, seen from a command buffer of
 * `cb_family`: the acquire half keeps no layout transition (the release did it). */
static void sim_rewrite_transfer(const sim_device *d, uint32_t cb_family, uint32_t *src,
                                 uint32_t *dst, VkImageLayout *old_layout,
                                 const VkImageLayout *new_layout)
{
    bool transfer = *src != *dst && *src < d->sim_family_count && *dst < d->sim_family_count;
    if (transfer && old_layout && *dst == cb_family) *old_layout = *new_layout;
    *src = sim_map_family(d, *src);
    *dst = sim_map_family(d, *dst);
}

/* Scratch copies of barrier arrays: small ones on the caller's stack, big ones on the heap. */
typedef struct sim_scratch {
    unsigned char stack[4096];
    void *heap[8];
    size_t used;
    uint32_t heaps;
} sim_scratch;

static void *sim_copy(sim_scratch *s, const void *src, size_t bytes)
{
    if (!bytes) return NULL;
    void *p = NULL;
    size_t aligned = (bytes + 15) & ~(size_t)15;
    if (s->used + aligned <= sizeof s->stack) {
        p = s->stack + s->used;
        s->used += aligned;
    } else if (s->heaps < SIM_COUNT(s->heap) && (p = malloc(bytes))) {
        s->heap[s->heaps++] = p;
    }
    if (p) memcpy(p, src, bytes);
    return p;
}

static void sim_scratch_free(sim_scratch *s)
{
    for (uint32_t i = 0; i < s->heaps; i++) free(s->heap[i]);
}

/* Rewrites a dependency info's barriers into scratch copies; false if out of memory. */
static bool sim_rewrite_dependency(const sim_device *d, uint32_t cb_family,
                                   const VkDependencyInfo *in, VkDependencyInfo *out,
                                   sim_scratch *s)
{
    *out = *in;
    VkBufferMemoryBarrier2 *bb = sim_copy(s, in->pBufferMemoryBarriers,
                                          in->bufferMemoryBarrierCount * sizeof *bb);
    VkImageMemoryBarrier2 *ib =
        sim_copy(s, in->pImageMemoryBarriers, in->imageMemoryBarrierCount * sizeof *ib);
    if ((in->bufferMemoryBarrierCount && !bb) || (in->imageMemoryBarrierCount && !ib))
        return false;
    for (uint32_t i = 0; i < in->bufferMemoryBarrierCount; i++)
        sim_rewrite_transfer(d, cb_family, &bb[i].srcQueueFamilyIndex, &bb[i].dstQueueFamilyIndex,
                             NULL, NULL);
    for (uint32_t i = 0; i < in->imageMemoryBarrierCount; i++)
        sim_rewrite_transfer(d, cb_family, &ib[i].srcQueueFamilyIndex, &ib[i].dstQueueFamilyIndex,
                             &ib[i].oldLayout, &ib[i].newLayout);
    out->pBufferMemoryBarriers = bb;
    out->pImageMemoryBarriers = ib;
    return true;
}

/* The same for the synchronization-1 barrier arrays. */
static bool sim_rewrite_barriers1(const sim_device *d, uint32_t cb_family, uint32_t buffer_count,
                                  const VkBufferMemoryBarrier *buffers, uint32_t image_count,
                                  const VkImageMemoryBarrier *images,
                                  VkBufferMemoryBarrier **out_buffers,
                                  VkImageMemoryBarrier **out_images, sim_scratch *s)
{
    VkBufferMemoryBarrier *bb = sim_copy(s, buffers, buffer_count * sizeof *bb);
    VkImageMemoryBarrier *ib = sim_copy(s, images, image_count * sizeof *ib);
    if ((buffer_count && !bb) || (image_count && !ib)) return false;
    for (uint32_t i = 0; i < buffer_count; i++)
        sim_rewrite_transfer(d, cb_family, &bb[i].srcQueueFamilyIndex, &bb[i].dstQueueFamilyIndex,
                             NULL, NULL);
    for (uint32_t i = 0; i < image_count; i++)
        sim_rewrite_transfer(d, cb_family, &ib[i].srcQueueFamilyIndex, &ib[i].dstQueueFamilyIndex,
                             &ib[i].oldLayout, &ib[i].newLayout);
    *out_buffers = bb;
    *out_images = ib;
    return true;
}

/* A concurrent-sharing family list with simulated families mapped; one family left means
 * exclusive sharing (concurrent access within one family is what exclusive already gives). */
static void sim_rewrite_sharing(const sim_device *d, VkSharingMode *mode, uint32_t *count,
                                const uint32_t **indices, uint32_t *storage, uint32_t storage_cap)
{
    if (*mode != VK_SHARING_MODE_CONCURRENT || !*indices) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < *count; i++) {
        uint32_t f = sim_map_family(d, (*indices)[i]);
        bool seen = false;
        for (uint32_t k = 0; k < n; k++) seen |= storage[k] == f;
        if (!seen && n < storage_cap) storage[n++] = f;
    }
    if (n <= 1) {
        *mode = VK_SHARING_MODE_EXCLUSIVE;
        n = 0;
    }
    *count = n;
    *indices = n ? storage : NULL;
}

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
 * Command pools and buffers: remember each buffer's simulated family
 * ---------------------------------------------------------------------------------------- */

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateCommandPool(VkDevice device,
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

static VKAPI_ATTR void VKAPI_CALL sim_DestroyCommandPool(VkDevice device, VkCommandPool pool,
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

static VKAPI_ATTR VkResult VKAPI_CALL sim_AllocateCommandBuffers(
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

static VKAPI_ATTR void VKAPI_CALL sim_FreeCommandBuffers(VkDevice device, VkCommandPool pool,
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

static VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier2(VkCommandBuffer cb,
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

static VKAPI_ATTR void VKAPI_CALL sim_CmdSetEvent2(VkCommandBuffer cb, VkEvent event,
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

static VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents2(VkCommandBuffer cb, uint32_t count,
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

static VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier(
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

static VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents(
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

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateBuffer(VkDevice device,
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

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateImage(VkDevice device, const VkImageCreateInfo *ci,
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

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateSwapchainKHR(VkDevice device,
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

static VKAPI_ATTR void VKAPI_CALL sim_GetDeviceBufferMemoryRequirements(
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

static VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, VkMemoryRequirements2 *reqs)
{
    sim_device *d = sim_device_of(device);
    sim_image_query q;
    d->GetDeviceImageMemoryRequirements(device, sim_image_query_rewrite(d, info, &q), reqs);
}

static VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageSparseMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, uint32_t *count,
    VkSparseImageMemoryRequirements2 *reqs)
{
    sim_device *d = sim_device_of(device);
    sim_image_query q;
    d->GetDeviceImageSparseMemoryRequirements(device, sim_image_query_rewrite(d, info, &q), count,
                                              reqs);
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
