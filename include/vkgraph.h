/*
 * vkgraph — a render graph that derives Vulkan 1.3 synchronization.
 *
 * One public header, C11 and C++. Conventions (see docs/guide.md):
 *  - Long-lived objects are opaque pointers (vkg_device*); many small things are 32-bit
 *    handles (vkg_buffer, vkg_image, ...): index + generation in one word, 0 is invalid,
 *    a stale handle is detected and reported as VKG_ERROR_INVALID_HANDLE.
 *  - Creation takes a zero-initialised *_desc struct; zero always means "sensible default".
 *  - Functions that can fail return vkg_result (VKG_SUCCESS == 0) and give results through
 *    out-parameters. Every error is also explained through the logger.
 *  - Every host allocation goes through the vkg_allocator given at creation.
 *  - Threading rules are written beside each function.
 *
 * Using volk in your program? Include <volk.h> before this header (volk requires that
 * vulkan.h is seen with VK_NO_PROTOTYPES first). vkgraph itself never uses volk's global
 * function pointers: it keeps a private per-device table.
 */
#ifndef VKGRAPH_H_
#define VKGRAPH_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKG_VERSION_MAJOR 0
#define VKG_VERSION_MINOR 1
#define VKG_VERSION_PATCH 0

#if defined(__GNUC__) || defined(__clang__)
#define VKG_MUST_CHECK __attribute__((warn_unused_result))
#else
#define VKG_MUST_CHECK
#endif

/* ------------------------------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------------------------- */

/* One table: X(name, value, description). Generates the enum and vkg_result_name(). */
#define VKG_RESULT_TABLE(X)                                                                      \
    X(VKG_SUCCESS, 0, "success")                                                                 \
    X(VKG_NOT_READY, 1, "not ready yet (a ticket or completion is still pending)")              \
    X(VKG_TIMEOUT, 2, "the wait timed out")                                                      \
    X(VKG_ERROR_INVALID_ARGUMENT, -1, "an argument breaks a documented rule")                   \
    X(VKG_ERROR_INVALID_HANDLE, -2, "a handle is zero, stale (destroyed) or of another object") \
    X(VKG_ERROR_OUT_OF_HOST_MEMORY, -3, "a host allocation failed")                             \
    X(VKG_ERROR_OUT_OF_DEVICE_MEMORY, -4, "a device memory allocation failed")                  \
    X(VKG_ERROR_DEVICE_LOST, -5, "the device was lost; only destruction still works")           \
    X(VKG_ERROR_NO_DEVICE, -6, "no Vulkan device matches the request")                          \
    X(VKG_ERROR_FEATURE_NOT_PRESENT, -7, "the device lacks a required feature")                 \
    X(VKG_ERROR_LAYER_NOT_PRESENT, -8, "a requested Vulkan layer is not installed")             \
    X(VKG_ERROR_LOADER, -9, "the Vulkan loader could not be loaded")                            \
    X(VKG_ERROR_VULKAN, -10, "a Vulkan call failed (the log names the call and VkResult)")      \
    X(VKG_ERROR_PARSE, -11, "the input file is malformed")                                      \
    X(VKG_ERROR_IO, -12, "a file could not be read or written")                                 \
    X(VKG_ERROR_LIMIT, -13, "a size or count exceeds a limit")

typedef enum vkg_result {
#define VKG__RESULT_ENUM(name, value, text) name = value,
    VKG_RESULT_TABLE(VKG__RESULT_ENUM)
#undef VKG__RESULT_ENUM
    VKG__RESULT_FORCE_32 = 0x7fffffff
} vkg_result;

/* "VKG_ERROR_OUT_OF_HOST_MEMORY" for VKG_ERROR_OUT_OF_HOST_MEMORY. Any thread. */
const char *vkg_result_name(vkg_result result);
/* One-line description of a result. Any thread. */
const char *vkg_result_text(vkg_result result);

/* ------------------------------------------------------------------------------------------
 * Host memory and logging hooks. Both are copied into each object at creation; the object
 * calls them from whichever thread uses it, so they must be thread-safe if the object is used
 * from several threads.
 * ---------------------------------------------------------------------------------------- */

/* Allocation hooks. Memory returned must be aligned for any standard type (like malloc).
 * realloc(user, NULL, n) must behave as alloc; free(user, NULL) must be a no-op.
 * A NULL return is reported as VKG_ERROR_OUT_OF_HOST_MEMORY; vkgraph never aborts on it.
 * Leave all three NULL for malloc/realloc/free. */
typedef struct vkg_allocator {
    void *(*alloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} vkg_allocator;

typedef enum vkg_log_level {
    VKG_LOG_DEBUG = 0,
    VKG_LOG_INFO = 1,
    VKG_LOG_WARN = 2,
    VKG_LOG_ERROR = 3,
} vkg_log_level;

/* Logger: file/line are vkgraph's source position that raised the message. The default
 * (fn == NULL) prints WARN and ERROR to stderr as "vkgraph: error: ...". */
typedef struct vkg_logger {
    void (*fn)(void *user, vkg_log_level level, const char *file, int line, const char *message);
    void *user;
    vkg_log_level min_level; /* messages below it are not formatted at all; 0 = DEBUG */
} vkg_logger;

/* ------------------------------------------------------------------------------------------
 * Handles
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_buffer { uint32_t id; } vkg_buffer;
typedef struct vkg_image { uint32_t id; } vkg_image;
typedef struct vkg_view { uint32_t id; } vkg_view;
typedef struct vkg_allocation { uint32_t id; } vkg_allocation;

typedef struct vkg_device vkg_device;

/* ------------------------------------------------------------------------------------------
 * Capabilities: a plain struct with no handles. The device fills it; the pure graph compiler
 * reads only this, so a user (or a test) can describe any device by hand.
 * ---------------------------------------------------------------------------------------- */

#define VKG_MAX_QUEUE_FAMILIES 16
#define VKG_MAX_MEMORY_TYPES 32
#define VKG_MAX_MEMORY_HEAPS 16

typedef enum vkg_queue_role {
    VKG_QUEUE_GRAPHICS = 0, /* graphics + compute + transfer: always present */
    VKG_QUEUE_COMPUTE = 1,  /* a compute family without graphics where the device has one */
    VKG_QUEUE_TRANSFER = 2, /* a transfer-only family where the device has one */
    VKG_QUEUE_ROLE_COUNT = 3
} vkg_queue_role;

/* "graphics", "compute", "transfer". Any thread. */
const char *vkg_queue_role_name(vkg_queue_role role);

typedef struct vkg_queue_family_caps {
    VkQueueFlags flags;
    uint32_t queue_count;
    uint32_t timestamp_valid_bits;
} vkg_queue_family_caps;

typedef struct vkg_memory_type_caps {
    VkMemoryPropertyFlags flags;
    uint32_t heap;
} vkg_memory_type_caps;

typedef struct vkg_memory_heap_caps {
    VkDeviceSize size;
    VkMemoryHeapFlags flags;
} vkg_memory_heap_caps;

typedef struct vkg_caps {
    char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    uint32_t api_version;
    uint32_t vendor_id;
    VkDriverId driver_id;

    uint32_t queue_family_count;
    vkg_queue_family_caps queue_families[VKG_MAX_QUEUE_FAMILIES];
    /* family each role submits to; roles without a dedicated family use the graphics one */
    uint32_t role_family[VKG_QUEUE_ROLE_COUNT];

    uint32_t memory_type_count;
    vkg_memory_type_caps memory_types[VKG_MAX_MEMORY_TYPES];
    uint32_t memory_heap_count;
    vkg_memory_heap_caps memory_heaps[VKG_MAX_MEMORY_HEAPS];

    VkDeviceSize buffer_image_granularity;
    VkDeviceSize non_coherent_atom_size;
    VkDeviceSize min_storage_buffer_offset_alignment;
    VkDeviceSize min_uniform_buffer_offset_alignment;
    VkDeviceSize max_buffer_size;
    uint32_t max_image_dimension_2d;
    uint32_t max_image_array_layers;
    uint32_t max_compute_workgroup_invocations;
    float timestamp_period_ns;

    /* required by vkgraph (always true on a created device) */
    bool timeline_semaphore;
    bool synchronization2;
    bool dynamic_rendering;
    bool buffer_device_address;
    /* optional */
    bool descriptor_indexing; /* update-after-bind, partially bound, variable count, non-uniform */
    bool push_descriptors;    /* VK_KHR_push_descriptor */
    bool maintenance4;
    /* the driver offers VK_EXT_host_image_copy (the uploader will enable and use it) */
    bool host_image_copy;
} vkg_caps;

/* ------------------------------------------------------------------------------------------
 * Device
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_device_desc {
    const char *app_name;
    /* First device whose name contains this (case-insensitive), e.g. "llvmpipe",
     * "SwiftShader", "NVIDIA". NULL: the VKG_DEVICE environment variable, else the most
     * capable device (discrete > integrated > virtual > CPU). */
    const char *device_name;
    /* Enable VK_LAYER_KHRONOS_validation with synchronization validation; every message is
     * logged at ERROR and counted (vkg_device_validation_count). Also on when the
     * environment has VKG_VALIDATION=1. */
    bool validation;
    /* Loader entry point; NULL: vkgraph opens libvulkan.so.1 itself. */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    /* Passed to every Vulkan create/destroy/allocate call; NULL for the driver's own. */
    const VkAllocationCallbacks *vk_allocation_callbacks;
    vkg_allocator allocator;
    vkg_logger logger;
    struct {
        /* Preferred size of one device-memory block; 0: 64 MiB (1/8 of the heap for heaps
         * under 512 MiB). Blocks grow geometrically up to 4x this while a type keeps growing. */
        VkDeviceSize block_size;
        /* Cap on what vkgraph allocates from each heap, 0 = the heap's size. An allocation
         * that would cross it fails with VKG_ERROR_OUT_OF_DEVICE_MEMORY (like VMA's
         * pHeapSizeLimit); useful to test out-of-memory paths and to share a GPU. */
        VkDeviceSize heap_size_limit;
    } memory;
} vkg_device_desc;

/* Creates a Vulkan 1.3 instance and device with timeline semaphores, synchronization2,
 * dynamic rendering and buffer device address; optional features (see vkg_caps) are enabled
 * when present. Errors: VKG_ERROR_LOADER, VKG_ERROR_NO_DEVICE, VKG_ERROR_FEATURE_NOT_PRESENT,
 * VKG_ERROR_LAYER_NOT_PRESENT, VKG_ERROR_OUT_OF_HOST_MEMORY, VKG_ERROR_VULKAN. Any thread. */
VKG_MUST_CHECK vkg_result vkg_device_create(const vkg_device_desc *desc, vkg_device **out_device);

typedef struct vkg_device_import_desc {
    /* The user's objects; vkgraph never destroys them. The device must have been created
     * with API version 1.3 and the features timelineSemaphore, synchronization2,
     * dynamicRendering and bufferDeviceAddress enabled. */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr; /* NULL: vkgraph opens the loader */
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    /* One queue per role; a role whose queue is VK_NULL_HANDLE uses the graphics queue.
     * vkgraph submits to these queues from its own threads only under its own lock: the user
     * must not submit to them concurrently with vkgraph. */
    struct {
        VkQueue queue;
        uint32_t family;
    } queues[VKG_QUEUE_ROLE_COUNT];
    /* Optional features the user enabled on the device (vkgraph uses them if set). */
    bool descriptor_indexing;
    bool push_descriptors;
    bool maintenance4;
    const VkAllocationCallbacks *vk_allocation_callbacks;
    vkg_allocator allocator;
    vkg_logger logger;
    struct {
        VkDeviceSize block_size;
        VkDeviceSize heap_size_limit;
    } memory;
} vkg_device_import_desc;

/* Wraps existing Vulkan objects without owning them. Any thread. */
VKG_MUST_CHECK vkg_result vkg_device_import(const vkg_device_import_desc *desc,
                                            vkg_device **out_device);

/* Waits for the device to go idle, destroys everything vkgraph still owns (logging each
 * leaked object at WARN with its name) and, for a created device, the VkDevice and
 * VkInstance. NULL is a no-op. Externally synchronized: no other call on the device may run. */
void vkg_device_destroy(vkg_device *device);

/* Capabilities of the device (valid until the device is destroyed). Any thread. */
const vkg_caps *vkg_device_caps(const vkg_device *device);

/* Number of validation messages (warnings and errors) seen since creation. Any thread. */
uint32_t vkg_device_validation_count(const vkg_device *device);

/* Raw Vulkan objects for the escape hatch. `device_table` points to a volk
 * `struct VolkDeviceTable` loaded for this device (include <volk.h> to use it). */
typedef struct vkg_device_vk {
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    PFN_vkGetDeviceProcAddr get_device_proc_addr;
    const struct VolkDeviceTable *device_table;
    struct {
        VkQueue queue;
        uint32_t family;
    } queues[VKG_QUEUE_ROLE_COUNT];
} vkg_device_vk;
void vkg_device_get_vk(const vkg_device *device, vkg_device_vk *out);

/* ------------------------------------------------------------------------------------------
 * Device enumeration (for tools such as `vkgraph devices`)
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_physical_device_info {
    vkg_caps caps; /* features vkgraph would enable; queue families; memory */
    VkPhysicalDeviceType type;
    char driver_name[VK_MAX_DRIVER_NAME_SIZE];
    char driver_info[VK_MAX_DRIVER_INFO_SIZE];
    uint32_t driver_version;
    bool suitable;           /* has everything vkgraph requires */
    char why_unsuitable[96]; /* the first missing requirement */
} vkg_physical_device_info;

/* Lists every Vulkan device. `*count` in: capacity of `out` (may be 0 with out NULL); out:
 * number of devices. `*picked` receives the index vkg_device_create would choose with
 * `desc` (UINT32_MAX if none). desc may be NULL. Any thread. */
VKG_MUST_CHECK vkg_result vkg_enumerate_devices(const vkg_device_desc *desc,
                                                vkg_physical_device_info *out, uint32_t *count,
                                                uint32_t *picked);

/* ------------------------------------------------------------------------------------------
 * Memory: a suballocator over device memory (Debian packages no Vulkan Memory Allocator, so
 * vkgraph carries its own: TLSF per block, dedicated allocations where the driver prefers
 * them, bufferImageGranularity respected, host-visible blocks persistently mapped).
 * ---------------------------------------------------------------------------------------- */

typedef enum vkg_memory_usage {
    VKG_MEMORY_GPU = 0,   /* DEVICE_LOCAL */
    VKG_MEMORY_UPLOAD,    /* HOST_VISIBLE, preferably HOST_COHERENT: written by the CPU */
    VKG_MEMORY_READBACK,  /* HOST_VISIBLE, preferably HOST_CACHED: read by the CPU */
    VKG_MEMORY_USAGE_COUNT
} vkg_memory_usage;

typedef enum vkg_resource_tiling {
    VKG_TILING_LINEAR = 0, /* buffers and linear images */
    VKG_TILING_OPTIMAL = 1 /* optimal-tiling images (kept off pages holding linear resources) */
} vkg_resource_tiling;

typedef struct vkg_memory_desc {
    const char *name; /* shown in error messages and leak reports */
    VkMemoryRequirements requirements;
    vkg_memory_usage usage;
    vkg_resource_tiling tiling;
    bool dedicated; /* its own VkDeviceMemory (e.g. the driver prefers it) */
} vkg_memory_desc;

typedef struct vkg_allocation_info {
    VkDeviceMemory memory;
    VkDeviceSize offset;
    VkDeviceSize size;
    uint32_t memory_type;
    void *mapped; /* host pointer to `offset` for host-visible memory, else NULL */
    bool coherent;
} vkg_allocation_info;

/* A raw range of device memory; bind several resources into it to alias them
 * (vkg_buffer_desc.memory / vkg_image_desc.memory). Any thread. */
VKG_MUST_CHECK vkg_result vkg_memory_alloc(vkg_device *device, const vkg_memory_desc *desc,
                                           vkg_allocation *out);
/* Frees at once: the caller guarantees the GPU is done with it. Any thread. */
void vkg_memory_free(vkg_device *device, vkg_allocation allocation);
VKG_MUST_CHECK vkg_result vkg_memory_info(vkg_device *device, vkg_allocation allocation,
                                          vkg_allocation_info *out);

typedef struct vkg_memory_type_stats {
    uint32_t block_count;         /* VkDeviceMemory objects, dedicated ones included */
    uint32_t allocation_count;    /* live vkg_allocations */
    VkDeviceSize bytes_reserved;  /* sum of block sizes */
    VkDeviceSize bytes_used;      /* sum of allocation sizes (after alignment rounding) */
    VkDeviceSize largest_free_range;
} vkg_memory_type_stats;

typedef struct vkg_memory_stats {
    vkg_memory_type_stats total;
    vkg_memory_type_stats types[VKG_MAX_MEMORY_TYPES];
    VkDeviceSize heap_reserved[VKG_MAX_MEMORY_HEAPS];
} vkg_memory_stats;

/* Exact figures at the moment of the call. Any thread. */
void vkg_memory_get_stats(vkg_device *device, vkg_memory_stats *out);

/* ------------------------------------------------------------------------------------------
 * Buffers, images and views. Every object has a name, given to Vulkan as its debug name.
 * Destruction is immediate: the caller guarantees the GPU no longer uses the object.
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_memory_binding {
    /* Bind into this allocation (which must stay alive longer than the resource) at
     * `offset` instead of allocating: resources bound to overlapping ranges alias. */
    vkg_allocation allocation;
    VkDeviceSize offset;
} vkg_memory_binding;

typedef struct vkg_buffer_desc {
    const char *name;
    VkDeviceSize size;
    /* 0: storage | uniform | transfer src/dst | vertex | index | indirect | device address */
    VkBufferUsageFlags usage;
    vkg_memory_usage memory_usage;
    vkg_memory_binding memory; /* optional: alias into an existing allocation */
} vkg_buffer_desc;

typedef struct vkg_buffer_info {
    VkBuffer buffer;
    VkDeviceSize size;
    VkDeviceAddress address; /* 0 without VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT */
    void *mapped;            /* host-visible memory only */
    vkg_allocation allocation;
} vkg_buffer_info;

/* Any thread. */
VKG_MUST_CHECK vkg_result vkg_buffer_create(vkg_device *device, const vkg_buffer_desc *desc,
                                            vkg_buffer *out);
void vkg_buffer_destroy(vkg_device *device, vkg_buffer buffer);
VKG_MUST_CHECK vkg_result vkg_buffer_get_info(vkg_device *device, vkg_buffer buffer,
                                              vkg_buffer_info *out);
/* Makes host writes visible (non-coherent memory) / device writes visible to the host. */
VKG_MUST_CHECK vkg_result vkg_buffer_flush(vkg_device *device, vkg_buffer buffer,
                                           VkDeviceSize offset, VkDeviceSize size);
VKG_MUST_CHECK vkg_result vkg_buffer_invalidate(vkg_device *device, vkg_buffer buffer,
                                                VkDeviceSize offset, VkDeviceSize size);

typedef struct vkg_image_desc {
    const char *name;
    VkFormat format;
    uint32_t width, height;
    uint32_t depth;  /* 0 or 1: 2D image; > 1: 3D image */
    uint32_t mips;   /* 0: 1 */
    uint32_t layers; /* 0: 1 */
    VkSampleCountFlagBits samples; /* 0: 1 */
    /* 0: derived from the format's optimal-tiling features: sampled, storage, color or
     * depth attachment, transfer src/dst — whatever the format supports. */
    VkImageUsageFlags usage;
    vkg_memory_binding memory;
} vkg_image_desc;

typedef struct vkg_image_info {
    VkImage image;
    VkImageView view; /* whole-resource view */
    VkFormat format;
    VkImageAspectFlags aspect;
    uint32_t width, height, depth, mips, layers;
    VkImageUsageFlags usage;
    vkg_allocation allocation;
} vkg_image_info;

/* Creates the image and a view of the whole resource. Any thread. */
VKG_MUST_CHECK vkg_result vkg_image_create(vkg_device *device, const vkg_image_desc *desc,
                                           vkg_image *out);
void vkg_image_destroy(vkg_device *device, vkg_image image);
VKG_MUST_CHECK vkg_result vkg_image_get_info(vkg_device *device, vkg_image image,
                                             vkg_image_info *out);

typedef struct vkg_view_desc {
    const char *name;
    vkg_image image;
    VkImageViewType type;   /* 0 (VK_IMAGE_VIEW_TYPE_1D) is taken as "derive": 2D, 2D array
                               when layer_count > 1, 3D for 3D images */
    VkFormat format;        /* 0: the image's */
    uint32_t base_mip, mip_count;     /* mip_count 0: all remaining */
    uint32_t base_layer, layer_count; /* layer_count 0: all remaining */
    VkImageAspectFlags aspect;        /* 0: the format's */
} vkg_view_desc;

/* A view of part of an image; destroy it before the image. Any thread. */
VKG_MUST_CHECK vkg_result vkg_view_create(vkg_device *device, const vkg_view_desc *desc,
                                          vkg_view *out);
void vkg_view_destroy(vkg_device *device, vkg_view view);
VKG_MUST_CHECK vkg_result vkg_view_get_vk(vkg_device *device, vkg_view view, VkImageView *out);

/* Aspect bits of a format (color, depth, stencil). Any thread. */
VkImageAspectFlags vkg_format_aspect(VkFormat format);

#ifdef __cplusplus
}
#endif

#endif /* VKGRAPH_H_ */
