/* Internal view of vkg_device, shared by the modules that may use the device. */
#ifndef VKG_DEVICE_DEVICE_H_
#define VKG_DEVICE_DEVICE_H_

#include <pthread.h>
#include <stdatomic.h>

#include "loader.h"
#include "memory.h"

typedef struct vkg__buffer_rec {
    VkBuffer buffer;
    VkDeviceSize size;
    VkBufferUsageFlags usage;
    VkDeviceAddress address;
    vkg_allocation allocation;
    VkDeviceSize memory_offset; /* within the allocation */
    bool owns_allocation;
    char name[64];
} vkg__buffer_rec;

typedef struct vkg__image_rec {
    VkImage image;
    VkImageView view;
    VkFormat format;
    VkImageAspectFlags aspect;
    VkImageType type;
    uint32_t width, height, depth, mips, layers;
    VkSampleCountFlagBits samples;
    VkImageUsageFlags usage;
    vkg_allocation allocation;
    bool owns_allocation;
    uint32_t view_count; /* live vkg_views of this image */
    char name[64];
} vkg__image_rec;

typedef struct vkg__view_rec {
    VkImageView view;
    vkg_image image;
    char name[64];
} vkg__view_rec;

struct vkg_device {
    vkg__host host;
    bool owns_device; /* created (true) or imported (false) */
    vkg__loader loader;
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    const VkAllocationCallbacks *vkac;
    struct VolkDeviceTable vk;
    VkDebugUtilsMessengerEXT messenger;
    atomic_uint validation_count;
    atomic_bool lost;
    vkg_caps caps;
    struct {
        VkQueue queue;
        uint32_t family;
    } queues[VKG_QUEUE_ROLE_COUNT];

    pthread_mutex_t lock; /* guards the pools and the memory allocator */
    bool lock_ready;
    vkg__memory memory;
    vkg__pool buffers, images, views;
};

/* Maps a failed VkResult to a vkg_result, logging the call and the object; marks the
 * device lost (sticky) on VK_ERROR_DEVICE_LOST. */
vkg_result vkg__vk_fail(vkg_device *dev, VkResult vr, const char *call, const char *what,
                        const char *file, int line);
#define VKG__VK_FAIL(dev, vr, call, what) vkg__vk_fail((dev), (vr), (call), (what), __FILE__, __LINE__)

const char *vkg__vk_result_name(VkResult vr);

/* Gives a Vulkan object its debug name (no-op without VK_EXT_debug_utils). */
void vkg__set_name(vkg_device *dev, VkObjectType type, uint64_t handle, const char *name);

/* Fills caps for a physical device; returns whether vkgraph can use it, and if not the
 * first missing requirement in `why`. */
bool vkg__query_caps(const vkg__instance_table *vki, VkPhysicalDevice pd, vkg_caps *caps,
                     char *why, size_t why_size);

#endif
