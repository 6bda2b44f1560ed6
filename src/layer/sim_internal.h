/* VK_LAYER_VKGRAPH_simulate_families: private types shared by its files (simulate_families.c
 * explains the layer): sim_state.c (instances, devices, command buffers), sim_rewrite.c (family
 * indices as the driver sees them), sim_commands.c (pools, buffers, barriers, sharing modes),
 * simulate_families.c (instance and device entry points, queues, the loader interface). */
#ifndef VKG_SIM_INTERNAL_H_
#define VKG_SIM_INTERNAL_H_

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include "family_spec.h"

#define SIM_EXPORT __attribute__((visibility("default")))
#define SIM_COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

typedef struct sim_state {
    pthread_mutex_t lock;
    sim_node *instances;
    sim_physical *physicals;
    uint32_t physical_count, physical_cap;
    sim_node *devices;
    sim_cmd *cmds;
    uint32_t cmd_cap, cmd_used; /* used counts tombstones too */
} sim_state;
/* the layer's one state, under sim.lock (sim_state.c) */
extern sim_state sim;

typedef struct sim_scratch {
    unsigned char stack[4096];
    void *heap[8];
    size_t used;
    uint32_t heaps;
} sim_scratch;

VKAPI_ATTR VkResult VKAPI_CALL sim_AllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *info, VkCommandBuffer *cbs);
VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier(
    VkCommandBuffer cb, VkPipelineStageFlags src, VkPipelineStageFlags dst,
    VkDependencyFlags flags, uint32_t memory_count, const VkMemoryBarrier *memory,
    uint32_t buffer_count, const VkBufferMemoryBarrier *buffers, uint32_t image_count,
    const VkImageMemoryBarrier *images);
VKAPI_ATTR void VKAPI_CALL sim_CmdPipelineBarrier2(VkCommandBuffer cb,
                                                         const VkDependencyInfo *dep);
VKAPI_ATTR void VKAPI_CALL sim_CmdSetEvent2(VkCommandBuffer cb, VkEvent event,
                                                  const VkDependencyInfo *dep);
VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents(
    VkCommandBuffer cb, uint32_t event_count, const VkEvent *events, VkPipelineStageFlags src,
    VkPipelineStageFlags dst, uint32_t memory_count, const VkMemoryBarrier *memory,
    uint32_t buffer_count, const VkBufferMemoryBarrier *buffers, uint32_t image_count,
    const VkImageMemoryBarrier *images);
VKAPI_ATTR void VKAPI_CALL sim_CmdWaitEvents2(VkCommandBuffer cb, uint32_t count,
                                                    const VkEvent *events,
                                                    const VkDependencyInfo *deps);
VKAPI_ATTR VkResult VKAPI_CALL sim_CreateBuffer(VkDevice device,
                                                      const VkBufferCreateInfo *ci,
                                                      const VkAllocationCallbacks *alloc,
                                                      VkBuffer *buffer);
VKAPI_ATTR VkResult VKAPI_CALL sim_CreateCommandPool(VkDevice device,
                                                           const VkCommandPoolCreateInfo *ci,
                                                           const VkAllocationCallbacks *alloc,
                                                           VkCommandPool *pool);
VKAPI_ATTR VkResult VKAPI_CALL sim_CreateImage(VkDevice device, const VkImageCreateInfo *ci,
                                                     const VkAllocationCallbacks *alloc,
                                                     VkImage *image);
VKAPI_ATTR VkResult VKAPI_CALL sim_CreateSwapchainKHR(VkDevice device,
                                                            const VkSwapchainCreateInfoKHR *ci,
                                                            const VkAllocationCallbacks *alloc,
                                                            VkSwapchainKHR *swapchain);
VKAPI_ATTR void VKAPI_CALL sim_DestroyCommandPool(VkDevice device, VkCommandPool pool,
                                                        const VkAllocationCallbacks *alloc);
VKAPI_ATTR void VKAPI_CALL sim_FreeCommandBuffers(VkDevice device, VkCommandPool pool,
                                                        uint32_t count,
                                                        const VkCommandBuffer *cbs);
VKAPI_ATTR void VKAPI_CALL sim_GetDeviceBufferMemoryRequirements(
    VkDevice device, const VkDeviceBufferMemoryRequirements *info, VkMemoryRequirements2 *reqs);
VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, VkMemoryRequirements2 *reqs);
VKAPI_ATTR void VKAPI_CALL sim_GetDeviceImageSparseMemoryRequirements(
    VkDevice device, const VkDeviceImageMemoryRequirements *info, uint32_t *count,
    VkSparseImageMemoryRequirements2 *reqs);
sim_cmd *sim_cmd_find(VkCommandBuffer cb);
void sim_cmd_forget(const sim_device *d, VkCommandPool pool);
bool sim_cmd_insert(const sim_cmd *c);
bool sim_cmd_of(VkCommandBuffer cb, sim_cmd *out);
void *sim_copy(sim_scratch *s, const void *src, size_t bytes);
sim_device *sim_device_of(VkDevice device);
bool sim_grow(void **array, uint32_t *cap, uint32_t need, size_t elem);
sim_instance *sim_instance_of(VkInstance instance);
void sim_list_push(sim_node **head, sim_node *node, const void *handle);
void sim_list_remove(sim_node **head, const sim_node *node);
void sim_log(const char *fmt, const char *detail);
uint32_t sim_map_family(const sim_device *d, uint32_t family);
bool sim_physical_of(VkPhysicalDevice pd, sim_physical *out);
bool sim_rewrite_barriers1(const sim_device *d, uint32_t cb_family, uint32_t buffer_count,
                                  const VkBufferMemoryBarrier *buffers, uint32_t image_count,
                                  const VkImageMemoryBarrier *images,
                                  VkBufferMemoryBarrier **out_buffers,
                                  VkImageMemoryBarrier **out_images, sim_scratch *s);
bool sim_rewrite_dependency(const sim_device *d, uint32_t cb_family,
                                   const VkDependencyInfo *in, VkDependencyInfo *out,
                                   sim_scratch *s);
void sim_rewrite_sharing(const sim_device *d, VkSharingMode *mode, uint32_t *count,
                                const uint32_t **indices, uint32_t *storage, uint32_t storage_cap);
void sim_scratch_free(sim_scratch *s);

#endif
