/*
 * vkgraph — a render graph that derives Vulkan 1.3 synchronization.
 *
 * One public header, C11 and C++. Conventions (see docs/guide.md):
 *  - Long-lived objects are opaque pointers (vkg_device*); many small things are 32-bit
 *    handles (vkg_buffer, vkg_image, ...): index + generation in one word, 0 is invalid,
 *    a stale handle is detected and reported as VKG_ERROR_INVALID_HANDLE.
 *  - Creation takes a zero-initialised *_desc struct; zero always means "sensible default".
 *  - ABI: structs grow only by fields appended at their end, whose zero is the old
 *    behaviour; they never shrink or reorder. A release that changes any public struct's
 *    layout changes the shared library's soname (libvkgraph.so.MAJOR.MINOR before 1.0,
 *    .MAJOR after), so a program runs only with a library of the layout it was compiled
 *    against; within one soname, releases add functions and fix bugs only. The build checks
 *    that VKG_VERSION_* here and the project version agree (docs/architecture.md).
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
#include <stdio.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKG_VERSION_MAJOR 0
#define VKG_VERSION_MINOR 4
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

/* A lifetime class: objects created in a scope die together (see "Lifetimes"). */
typedef struct vkg_scope vkg_scope;
typedef struct vkg_allocation { uint32_t id; } vkg_allocation;

typedef struct vkg_device vkg_device;

/* ------------------------------------------------------------------------------------------
 * Capabilities: a plain struct with no handles. The device fills it; the pure graph compiler
 * reads only this, so a user (or a test) can describe any device by hand.
 * ---------------------------------------------------------------------------------------- */

#define VKG_MAX_QUEUE_FAMILIES 16
#define VKG_MAX_MEMORY_TYPES 32
#define VKG_MAX_MEMORY_HEAPS 16
#define VKG_MAX_CAPS_FORMATS 96

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

/* How a resource is shared between queue families. EXCLUSIVE: one family owns its
 * contents at a time, and moving them to another takes a release and an acquire, which
 * vkgraph derives (in plans and at run time). CONCURRENT: created with
 * VK_SHARING_MODE_CONCURRENT over every family vkgraph's queues use, so no transfers are
 * recorded at all; some GPUs pay for it (reportedly compression of attachments on AMD), others
 * reportedly not (NVIDIA): measure before choosing. On a device with one family both are the
 * same. DEFAULT: the device's (vkg_device_desc.sharing, itself EXCLUSIVE by default). */
typedef enum vkg_sharing {
    VKG_SHARING_DEFAULT = 0,
    VKG_SHARING_EXCLUSIVE,
    VKG_SHARING_CONCURRENT,
} vkg_sharing;

typedef struct vkg_caps {
    char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    uint32_t api_version;
    uint32_t vendor_id;
    VkDriverId driver_id;

    uint32_t queue_family_count;
    vkg_queue_family_caps queue_families[VKG_MAX_QUEUE_FAMILIES];
    /* family each role submits to; roles without a dedicated family use the graphics one */
    uint32_t role_family[VKG_QUEUE_ROLE_COUNT];
    /* Every role is its own queue with its own timeline, even where roles share a family
     * (vkg_device_desc.queue_split, VKG_QUEUE_SPLIT=1). The compiler then plans one queue per
     * role: semaphore waits between roles, and ownership transfers only between families. */
    bool queue_split;
    /* The queue families are simulated (vkg_device_desc.simulate_families): the driver has
     * fewer, and VK_LAYER_VKGRAPH_simulate_families runs them all on one real queue. */
    bool families_simulated;
    /* How graph resources declared with VKG_SHARING_DEFAULT are shared (vkg_device_desc.sharing
     * on a created device; EXCLUSIVE when zero). */
    vkg_sharing sharing;

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
    /* the driver offers VK_EXT_host_image_copy. Reported only: vkgraph does not enable it,
     * because Debian 12's Vulkan headers and validation layer (1.3.239) predate it
     * (1.3.258), so it could not run under validation (docs/upload.md). */
    bool host_image_copy;
    /* VK_KHR_swapchain: offered (vkg_physical_device_info), enabled (vkg_device_caps of a
     * device made with vkg_device_desc.swapchain) */
    bool swapchain;
    /* Optional features access rows need, enabled where the device offers them: depth and
     * stencil in layouts of their own (without it a use of either aspect of a depth/stencil
     * image covers both); the geometry, tessellation, task and mesh stages
     * (VK_EXT_mesh_shader); acceleration-structure builds and reads (VK_KHR_acceleration_
     * structure, with VK_KHR_ray_tracing_pipeline or VK_KHR_ray_query for the reads). */
    bool separate_depth_stencil_layouts;
    bool geometry_shader, tessellation_shader, task_shader, mesh_shader;
    bool acceleration_structure, ray_tracing_pipeline, ray_query;

    /* Optimal-tiling features of the formats vkgraph knows (vkg_format_from_name). With
     * format_count == 0 format support is unknown and the compiler does not check it. */
    uint32_t format_count;
    struct {
        VkFormat format;
        VkFormatFeatureFlags features;
    } formats[VKG_MAX_CAPS_FORMATS];
    /* Diagnostics for device loss (vkg_executor_desc.breadcrumbs), enabled where offered,
     * since 0.3: VK_AMD_buffer_marker (a pass's marks written by the pipeline stages
     * themselves, no barrier), VK_EXT_device_fault (the driver's description of the fault in
     * vkg_device_lost_report), VK_NV_device_diagnostic_checkpoints (the last checkpoints
     * each queue reached, by pass, in the report). */
    bool buffer_marker, device_fault, diagnostic_checkpoints;
} vkg_caps;

/* The device vkgraph assumes when none is given (`vkgraph plan` without --device): a
 * typical discrete GPU with three queue families (graphics+compute+transfer, async compute,
 * transfer), a 8 GiB device-local heap, bufferImageGranularity 1024, storage support on the
 * usual uncompressed color formats but not on sRGB, BGRA or depth formats. Any thread. */
void vkg_caps_default(vkg_caps *out);
/* Replaces the queue families of `caps` with a simulated shape, in the syntax of
 * vkg_device_desc.simulate_families ("gct:16,t:2,ct:8": letters g/c/t/s and a queue count per
 * family; NULL, "", "1" or "default" for that shape), and maps the roles as a device would:
 * planning for a GPU without one. VKG_ERROR_INVALID_ARGUMENT with the reason in `why` (may be
 * NULL) for a bad spec. */
VKG_MUST_CHECK vkg_result vkg_caps_simulate_families(vkg_caps *caps, const char *spec, char *why,
                                                     size_t why_size);

/* The optimal-tiling features `caps` lists for `format`; 0 when the format is not listed,
 * ~0 when caps lists no formats at all (support unknown). Any thread. */
VkFormatFeatureFlags vkg_caps_format_features(const vkg_caps *caps, VkFormat format);

/* ------------------------------------------------------------------------------------------
 * Device
 * ---------------------------------------------------------------------------------------- */

#define VKG_MAX_INSTANCE_EXTENSIONS 16

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
    /* Extra instance extensions, e.g. what glfwGetRequiredInstanceExtensions returns, or
     * VK_KHR_surface + VK_EXT_headless_surface for a swapchain without a window. Each must
     * be offered, else VKG_ERROR_FEATURE_NOT_PRESENT naming it. At most
     * VKG_MAX_INSTANCE_EXTENSIONS. */
    const char *const *instance_extensions;
    uint32_t instance_extension_count;
    /* Enable VK_KHR_swapchain (VKG_ERROR_FEATURE_NOT_PRESENT when the device lacks it). */
    bool swapchain;
    /* Device frames (vkg_frame_begin): beginning frame N waits for the GPU work submitted
     * during frame N - frames_in_flight. 0: 2; at most VKG_MAX_FRAMES_IN_FLIGHT. */
    uint32_t frames_in_flight;
    /* Give every role (graphics, compute, transfer) its own timeline and submissions even
     * where the device offers one queue family, as on lavapipe and SwiftShader: work that
     * would run on async queues then synchronizes with semaphores exactly as on a GPU with
     * several families. Roles of one family use separate VkQueues where the family has
     * enough, else share one. Also on when the environment has VKG_QUEUE_SPLIT=1. */
    bool queue_split;
    /* Present the device's queue families in the shape of a discrete GPU's, through vkgraph's
     * layer VK_LAYER_VKGRAPH_simulate_families (installed with vkgraph; enabled below the
     * validation layer, which then judges ownership transfers, queue capabilities and
     * cross-queue synchronization against the simulated families). "1" or "default": three
     * families like an NVIDIA H200's first three, "gct:16,t:2,ct:8"; or a shape of your own,
     * families separated by commas, each capability letters (g graphics, c compute, t transfer,
     * s sparse) ':' queue count, e.g. "gct:2,ct:2,t:1". Every simulated queue runs on the
     * device's one real queue. NULL: the VKG_SIMULATE_FAMILIES environment variable; "0":
     * off. A bad shape is VKG_ERROR_INVALID_ARGUMENT; a layer the Vulkan loader cannot find is
     * VKG_ERROR_LAYER_NOT_PRESENT (set VK_ADD_LAYER_PATH to its folder). */
    const char *simulate_families;
    /* The default sharing of buffers, images and graph resources that say
     * VKG_SHARING_DEFAULT (vkg_sharing): 0 is EXCLUSIVE. */
    vkg_sharing sharing;
    struct {
        /* Preferred size of one device-memory block; 0: 64 MiB (1/8 of the heap for heaps
         * under 512 MiB). Blocks grow geometrically up to 4x this while a type keeps growing. */
        VkDeviceSize block_size;
        /* Cap on what vkgraph allocates from each heap, 0 = the heap's size. An allocation
         * that would cross it fails with VKG_ERROR_OUT_OF_DEVICE_MEMORY (like VMA's
         * pHeapSizeLimit); useful to test out-of-memory paths and to share a GPU. */
        VkDeviceSize heap_size_limit;
    } memory;
    /* What messages call device_name when no device matches ("--device" for a command-line
     * tool); NULL: "vkg_device_desc.device_name". */
    const char *device_name_origin;
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
    /* As vkg_device_desc.queue_split (roles given the same VkQueue still submit
     * separately, each with its own timeline). */
    bool queue_split;
    /* Optional features the user enabled on the device (vkgraph uses them if set). */
    bool descriptor_indexing;
    bool push_descriptors;
    bool maintenance4;
    const VkAllocationCallbacks *vk_allocation_callbacks;
    vkg_allocator allocator;
    vkg_logger logger;
    uint32_t frames_in_flight; /* as in vkg_device_desc */
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
/* The raw Vulkan objects behind the device, for the caller's own Vulkan work. Any thread. */
void vkg_device_get_vk(const vkg_device *device, vkg_device_vk *out);

/* ------------------------------------------------------------------------------------------
 * Timeline: each distinct device queue has one timeline semaphore; every submission vkgraph
 * makes signals the next value on its queue's semaphore. A ticket names that point.
 * ---------------------------------------------------------------------------------------- */

/* `queue` indexes the device's distinct queues (vkg_device_queue_count); value 0 is a
 * ticket that is always complete. */
typedef struct vkg_ticket {
    uint32_t queue;
    uint64_t value;
} vkg_ticket;

/* Number of distinct queues (1 on lavapipe; up to one per role). Any thread. */
uint32_t vkg_device_queue_count(const vkg_device *device);
/* The device queue a role submits to. Any thread. */
uint32_t vkg_device_role_queue(const vkg_device *device, vkg_queue_role role);
/* The queue's timeline semaphore, for the user's own vkQueueSubmit2 waits. Any thread. */
VkSemaphore vkg_device_timeline(const vkg_device *device, uint32_t queue);
/* Whether the GPU has finished the ticket's submission (and everything before it on that
 * queue). Never blocks. Any thread. */
bool vkg_ticket_complete(vkg_device *device, vkg_ticket ticket);
/* Blocks until the ticket completes or `timeout_ns` passes (UINT64_MAX: no limit).
 * VKG_SUCCESS, VKG_TIMEOUT, VKG_ERROR_DEVICE_LOST, VKG_ERROR_INVALID_ARGUMENT (a queue index
 * or value the device never issued). Any thread. */
VKG_MUST_CHECK vkg_result vkg_ticket_wait(vkg_device *device, vkg_ticket ticket,
                                          uint64_t timeout_ns);

/* The thin explicit layer's submission: the caller's command buffers on a role's queue,
 * after `waits` (tickets on any queue), signalling the queue's timeline. Tickets on the
 * submitting queue itself add no semaphore wait (the queue already runs in submission
 * order): order memory after them with a barrier in the command buffers, as in any
 * Vulkan queue. Any thread (the queue's submissions are serialised inside). */
typedef struct vkg_submit_desc {
    vkg_queue_role role;
    const VkCommandBufferSubmitInfo *command_buffers;
    uint32_t command_buffer_count; /* 0: an empty batch that only signals */
    const vkg_ticket *waits;
    uint32_t wait_count;
    VkPipelineStageFlags2 wait_stage; /* where the waits block; 0: ALL_COMMANDS */
    /* The caller's own semaphores (a swapchain's binary acquire/present semaphores, a
     * timeline of its own), at most VKG_MAX_SUBMIT_SEMAPHORES each. */
    const VkSemaphoreSubmitInfo *semaphore_waits;
    uint32_t semaphore_wait_count;
    const VkSemaphoreSubmitInfo *semaphore_signals;
    uint32_t semaphore_signal_count;
} vkg_submit_desc;
#define VKG_MAX_SUBMIT_SEMAPHORES 16
/* Submits; `*ticket` (optional) names the submission. Errors: a ticket never issued, too many
 * semaphores, device errors. */
VKG_MUST_CHECK vkg_result vkg_submit(vkg_device *device, const vkg_submit_desc *desc,
                                     vkg_ticket *ticket);

/* vkQueuePresentKHR on a role's queue, under the lock vkgraph holds while it submits to
 * that VkQueue (a present is externally synchronized on the queue, like a submission).
 * Needs a device made with vkg_device_desc.swapchain. Returns vkQueuePresentKHR's own
 * result, which a swapchain loop must see as is: VK_SUCCESS, VK_SUBOPTIMAL_KHR,
 * VK_ERROR_OUT_OF_DATE_KHR (recreate the swapchain), VK_ERROR_DEVICE_LOST, ...;
 * VK_ERROR_INITIALIZATION_FAILED for a NULL argument or a device without the swapchain
 * extension. Any thread. */
VkResult vkg_queue_present(vkg_device *device, vkg_queue_role role, const VkPresentInfoKHR *info);

/* vkDeviceWaitIdle with every queue's lock held: waits for all submitted work, presents
 * included (what swapchain recreation needs), then retires what completed. Prefer tickets
 * (vkg_ticket_wait) elsewhere: this stalls every queue. Any thread. */
VKG_MUST_CHECK vkg_result vkg_device_wait_idle(vkg_device *device);

/* ------------------------------------------------------------------------------------------
 * Completion queues, in the style of liburing: watch tickets with user data, reap
 * completions from a ring, or poll a file descriptor.
 *
 * One watcher thread per device (started by the first completion queue) waits for all
 * watches of all completion queues at once, with one vkWaitSemaphores(WAIT_ANY) over each
 * queue's timeline at its earliest watched value plus a host-signalled "poke" semaphore
 * that re-arms it; watches sit in a min-heap per queue. Completions never drop: when the
 * ring is full they go to an overflow list whose room is reserved by vkg_cq_watch (which
 * is where an out-of-memory error would come), and are reaped in completion order.
 * Completions of one queue arrive in timeline order. A lost device completes every watch
 * with VKG_ERROR_DEVICE_LOST.
 *
 * Two ways to reap:
 *  - In place, like liburing's io_uring_peek_batch_cqe / io_uring_cq_advance: vkg_cq_next
 *    or vkg_cq_peek_batch give pointers into the ring, vkg_cq_seen / vkg_cq_advance free
 *    the entries. No lock and no copy: the ring's head is the consumer's alone. One thread
 *    at a time may reap this way (the pointers stay valid until it advances past them), and
 *    not while another thread calls vkg_cq_reap or vkg_cq_peek.
 *  - By copy: vkg_cq_reap and vkg_cq_peek, from any number of threads (they take a lock of
 *    their own among themselves, never the producers').
 * Every other function is safe from any thread.
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_cq vkg_cq;

typedef struct vkg_cqe {
    uint64_t user_data;
    vkg_ticket ticket;
    vkg_result result; /* VKG_SUCCESS or VKG_ERROR_DEVICE_LOST */
} vkg_cqe;

/* `entries`: ring size, rounded up to a power of two; 0: 256. */
VKG_MUST_CHECK vkg_result vkg_cq_create(vkg_device *device, uint32_t entries, vkg_cq **out);
/* Drops its pending watches and closes its fd. Destroy completion queues before their
 * device. NULL is a no-op. */
void vkg_cq_destroy(vkg_cq *cq);
/* A completion carrying `user_data` once `ticket` completes (at once for value 0). Errors:
 * a ticket never issued, out of host memory. */
VKG_MUST_CHECK vkg_result vkg_cq_watch(vkg_cq *cq, vkg_ticket ticket, uint64_t user_data);
/* Single consumer, in place: the oldest completion in the ring, or NULL if none. It stays
 * there until vkg_cq_seen / vkg_cq_advance. Never blocks, takes no lock. */
const vkg_cqe *vkg_cq_next(vkg_cq *cq);
/* Single consumer, in place: pointers to up to `max` completions, oldest first; returns how
 * many. Never blocks, takes no lock. */
uint32_t vkg_cq_peek_batch(vkg_cq *cq, const vkg_cqe **out, uint32_t max);
/* Single consumer: frees the oldest completion (`cqe`, from vkg_cq_next) / the `n` oldest.
 * Takes a lock only to move overflowed completions into the freed room, or, once
 * vkg_cq_fd was asked for, to make the fd unreadable when the last one is reaped. */
void vkg_cq_seen(vkg_cq *cq, const vkg_cqe *cqe);
void vkg_cq_advance(vkg_cq *cq, uint32_t n);
/* Any thread: the oldest completion without taking it; false if none. */
bool vkg_cq_peek(vkg_cq *cq, vkg_cqe *out);
/* Any thread: takes up to `max` completions, oldest first, copying them out; returns how
 * many. Never blocks. */
uint32_t vkg_cq_reap(vkg_cq *cq, vkg_cqe *out, uint32_t max);
/* Blocks until at least `min` completions are ready or `timeout_ns` passes (UINT64_MAX:
 * no limit): VKG_SUCCESS, VKG_TIMEOUT, or VKG_ERROR_INVALID_ARGUMENT when fewer than `min`
 * watches are outstanding (it would never return). */
VKG_MUST_CHECK vkg_result vkg_cq_wait(vkg_cq *cq, uint32_t min, uint64_t timeout_ns);
/* An eventfd, readable (POLLIN) exactly while completions are ready; for poll, epoll or
 * libuv. Owned by the completion queue: do not read or close it. */
int vkg_cq_fd(const vkg_cq *cq);

typedef struct vkg_cq_stats {
    uint64_t watched, completed, reaped; /* so far */
    uint64_t overflowed; /* completions that went through the overflow list (ring full) */
    uint64_t ready;      /* now: completions waiting to be reaped */
    uint64_t pending;    /* now: watches not completed yet */
    uint32_t entries;    /* ring size */
} vkg_cq_stats;
/* Counters of the completion queue. Any thread. */
void vkg_cq_get_stats(vkg_cq *cq, vkg_cq_stats *out);

/* ------------------------------------------------------------------------------------------
 * Lifetimes: nothing the GPU may still use is freed.
 *
 * - vkg_buffer_destroy, vkg_image_destroy and vkg_view_destroy make the handle stale at once
 *   and put the Vulkan objects and memory on the device's deletion queue, keyed on the last
 *   ticket of every queue that used them: submissions of the executor are tracked for every
 *   buffer and image bound to a plan; work the caller submits itself (vkg_submit or raw
 *   Vulkan) is declared with vkg_buffer_mark_used / vkg_image_mark_used. A view is kept as
 *   long as its image's uses at the view's destruction. What is already complete is freed
 *   at once.
 * - vkg_defer runs a callback once tickets complete: destroy raw Vulkan objects with it.
 * - The queue is drained by vkg_device_poll, vkg_frame_begin, vkg_execute and every
 *   destroy call, and completely (after waiting for the device) by vkg_device_destroy.
 *   Its storage grows when needed and is reused: no allocation in steady state.
 * - Lifetime classes: the program (no scope: until destroyed, or until the device is);
 *   a scope (vkg_scope_create: a level, a streaming region; vkg_scope_close destroys what
 *   is still in it); a frame (vkg_frame_scope: closed by vkg_frame_end, so its objects die
 *   when the GPU has finished that frame). An object destroyed before its scope closes
 *   simply leaves it.
 * ---------------------------------------------------------------------------------------- */

/* Declares that work the caller submitted (ticket) uses the object, so destroying it waits
 * for that ticket. The executor does this itself for its submissions. Any thread. */
VKG_MUST_CHECK vkg_result vkg_buffer_mark_used(vkg_device *device, vkg_buffer buffer,
                                               vkg_ticket ticket);
VKG_MUST_CHECK vkg_result vkg_image_mark_used(vkg_device *device, vkg_image image,
                                              vkg_ticket ticket);

typedef struct vkg_defer_desc {
    const vkg_ticket *after; /* the callback runs once all of these completed */
    uint32_t after_count;
    /* Runs on whichever thread drains the queue, outside vkgraph's locks, with VKG_SUCCESS,
     * or VKG_ERROR_DEVICE_LOST when the device was lost (then at vkg_device_destroy at the
     * latest, after the device is idle). It must not destroy the device. */
    void (*callback)(void *user, vkg_result result);
    void *user;
} vkg_defer_desc;
/* Errors: a ticket never issued, out of host memory (the callback then never runs). Any
 * thread. */
VKG_MUST_CHECK vkg_result vkg_defer(vkg_device *device, const vkg_defer_desc *desc);

/* Frees what completed; returns how many objects and callbacks it released. Any thread. */
uint32_t vkg_device_poll(vkg_device *device);

typedef struct vkg_lifetime_stats {
    uint32_t pending;            /* now: objects and callbacks waiting for the GPU */
    uint32_t scopes;             /* now: open scopes */
    uint64_t deferred;           /* so far: destroys and callbacks that had to wait */
    uint64_t released;           /* so far: objects and callbacks released by the queue */
    uint64_t frame;              /* device frames begun */
} vkg_lifetime_stats;
/* Counters of the deletion queue and frames. Any thread. */
void vkg_device_get_lifetime_stats(vkg_device *device, vkg_lifetime_stats *out);

/* A scope owns the objects created with it (desc.scope) until it is closed. Any thread;
 * creating objects in one scope from several threads is safe. */
VKG_MUST_CHECK vkg_result vkg_scope_create(vkg_device *device, const char *name,
                                           vkg_scope **out);
/* Destroys every object still in the scope (views first), each freed once the GPU is done
 * with it, and the scope. An image that still has views outside the scope is not
 * destroyed: the error names it, and it lives on without a scope. NULL is a no-op. */
void vkg_scope_close(vkg_scope *scope);

/* Device frames, without fences: vkg_frame_begin waits on the host until the GPU finished
 * the work submitted during frame N - frames_in_flight, then drains the deletion queue;
 * vkg_frame_end notes each queue's last submission as the frame's end and closes the frame
 * scope. Errors: begin inside a frame, end outside one, device lost. One thread at a time
 * (the frame loop's). The executor's own frames (vkg_executor_begin_frame) pace its command
 * pools and transient memory; the two may be used together. */
#define VKG_MAX_FRAMES_IN_FLIGHT 8
/* Begins device frame N (waits for frame N - frames_in_flight, then drains the deletion
 * queue) / ends it (closes its scope after the frame's submissions). */
VKG_MUST_CHECK vkg_result vkg_frame_begin(vkg_device *device);
VKG_MUST_CHECK vkg_result vkg_frame_end(vkg_device *device);
/* The current frame's scope (objects created with it die with the frame); NULL outside
 * vkg_frame_begin / vkg_frame_end. */
vkg_scope *vkg_frame_scope(vkg_device *device);
/* The frame being recorded (from 0), or the next one outside a frame. */
uint64_t vkg_frame_index(const vkg_device *device);
/* Tickets marking the end of frame `index` on every queue (value 0 where the frame
 * submitted nothing there), for waits or completion watches; VKG_ERROR_INVALID_ARGUMENT
 * for a frame not ended yet or older than frames_in_flight. `out` holds
 * vkg_device_queue_count tickets. */
VKG_MUST_CHECK vkg_result vkg_frame_tickets(vkg_device *device, uint64_t index,
                                            vkg_ticket *out);

/* Debug hook: behave from now on as if the device were lost (as after a
 * VK_ERROR_DEVICE_LOST): every pending completion watch completes with
 * VKG_ERROR_DEVICE_LOST, blocked vkg_ticket_wait calls return it, deferred callbacks run
 * with it, and destruction still works. For testing how a program handles device loss.
 * Any thread. */
void vkg_device_debug_lose(vkg_device *device);

/* What the GPU was doing: whether the device is lost, and for every executor made with
 * vkg_executor_desc.breadcrumbs, per queue, the passes of its latest executions that had
 * finished, the ones that had started and not finished, and how many had not started, by
 * name with their plan and execution. One line each, separated by '\n'. Logged once (as
 * errors, a line a message) when the loss is first seen; this call gives it at any time.
 * Writes at most `size` bytes, terminated, and returns the length of the whole report (as
 * snprintf does). Any thread. Since 0.3. */
size_t vkg_device_lost_report(vkg_device *device, char *buf, size_t size);

/* ------------------------------------------------------------------------------------------
 * Tasks: many host tasks that await the GPU without a thread each.
 *
 * A task is a function running on its own small stack (a fiber) on one of the runtime's
 * worker threads. vkg_await(device, ticket) inside a task suspends it, and the runtime's
 * completion queue resumes it, on whichever worker is free, when the ticket completes; the
 * device's watcher covers every queue with one wait, so 10,000 waiting tasks cost what one
 * does per completion (bench/completions). vkg_task_join waits for another task.
 *
 * Threading rules:
 * - Everything else in vkgraph may be called from a task, as from any thread.
 * - A task may resume on another worker thread after any vkg_await / vkg_task_join: it must
 *   not keep thread-local state, or a lock, across them.
 * - A task may record and submit with a command pool of its own (create it in the task, or
 *   hand one to it): a pool is used by one task at a time, whichever thread runs it.
 * - Blocking calls (vkg_ticket_wait, vkg_cq_wait, a mutex held long) block a worker; use
 *   vkg_await inside tasks.
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_task_runtime vkg_task_runtime;
typedef struct vkg_task vkg_task;

typedef struct vkg_task_runtime_desc {
    uint32_t workers;  /* worker threads; 0: 2 */
    size_t stack_size; /* bytes per task stack; 0: 64 KiB (at least 16 KiB) */
} vkg_task_runtime_desc;

/* Any thread. `desc` may be NULL. */
VKG_MUST_CHECK vkg_result vkg_task_runtime_create(vkg_device *device,
                                                  const vkg_task_runtime_desc *desc,
                                                  vkg_task_runtime **out);
/* Runs every spawned task to its end (tasks still waiting for the GPU are waited for), then
 * stops the workers. Not from a task. NULL is a no-op. */
void vkg_task_runtime_destroy(vkg_task_runtime *runtime);

/* Starts fn(arg) as a task. With `out`, the caller must vkg_task_join it exactly once (that
 * frees it); without, it is freed when it ends. Any thread, tasks included. */
VKG_MUST_CHECK vkg_result vkg_task_spawn(vkg_task_runtime *runtime, void (*fn)(void *arg),
                                         void *arg, vkg_task **out);
/* Inside a task: suspends it until the ticket completes. Elsewhere: vkg_ticket_wait without
 * a timeout. VKG_SUCCESS or VKG_ERROR_DEVICE_LOST (also when the device is lost while
 * waiting); VKG_ERROR_INVALID_ARGUMENT for a ticket never issued. */
VKG_MUST_CHECK vkg_result vkg_await(vkg_device *device, vkg_ticket ticket);
/* Waits for the task to end (suspending the caller if it is a task) and frees it. */
VKG_MUST_CHECK vkg_result vkg_task_join(vkg_task *task);
/* Inside a task: lets every other ready task run, then continues (on any worker). Outside a
 * task: sched_yield(). For long host work split into steps; costs one fiber switch there and
 * back (bench/completions: "task yield"). */
void vkg_task_yield(void);
/* Whether the calling code runs inside a task. */
bool vkg_task_current(void);

typedef struct vkg_task_stats {
    uint64_t spawned, finished; /* so far */
    uint64_t switches;          /* times a worker resumed a task */
    uint32_t live;              /* now: spawned and not ended */
} vkg_task_stats;
/* Counters of the runtime. Any thread. */
void vkg_task_get_stats(vkg_task_runtime *runtime, vkg_task_stats *out);

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
/* Where an allocation lives (memory, offset, size, mapping). Any thread. */
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
 * Destruction is safe while the GPU still uses the object: the handle goes stale at once,
 * and the Vulkan objects and memory are freed once every submission that used the object
 * has completed (see "Lifetimes" above).
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
    /* Lifetime: NULL lives until destroyed (or the device is); a scope (vkg_scope_create,
     * or the current frame's, vkg_frame_scope) destroys it when the scope closes. */
    vkg_scope *scope;
    vkg_sharing sharing; /* a graph binding it must declare the same (vkg_graph_buffer_desc) */
} vkg_buffer_desc;

typedef struct vkg_buffer_info {
    VkBuffer buffer;
    VkDeviceSize size;
    VkDeviceAddress address; /* 0 without VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT */
    void *mapped;            /* host-visible memory only */
    vkg_allocation allocation;
    bool concurrent; /* created VK_SHARING_MODE_CONCURRENT (vkg_sharing) */
} vkg_buffer_info;

/* Any thread. */
VKG_MUST_CHECK vkg_result vkg_buffer_create(vkg_device *device, const vkg_buffer_desc *desc,
                                            vkg_buffer *out);
/* Makes the handle stale at once; the buffer and its memory go when the GPU is done with
 * them (the deletion queue). A zero handle is a no-op. Any thread. */
void vkg_buffer_destroy(vkg_device *device, vkg_buffer buffer);
/* The VkBuffer, size, device address and mapping. Any thread. */
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
    /* Lifetime: NULL lives until destroyed (or the device is); a scope (vkg_scope_create,
     * or the current frame's, vkg_frame_scope) destroys it when the scope closes. */
    vkg_scope *scope;
    vkg_sharing sharing; /* a graph binding it must declare the same (vkg_graph_image_desc) */
} vkg_image_desc;

typedef struct vkg_image_info {
    VkImage image;
    VkImageView view; /* whole-resource view */
    VkFormat format;
    VkImageAspectFlags aspect;
    uint32_t width, height, depth, mips, layers;
    VkImageUsageFlags usage;
    vkg_allocation allocation;
    bool concurrent; /* created VK_SHARING_MODE_CONCURRENT (vkg_sharing) */
} vkg_image_info;

/* Creates the image and a view of the whole resource. Any thread. */
VKG_MUST_CHECK vkg_result vkg_image_create(vkg_device *device, const vkg_image_desc *desc,
                                           vkg_image *out);
/* vkg_image_destroy releases what vkgraph made for an image; for an imported image that is
 * the record and the whole view, never the VkImage itself. */
void vkg_image_destroy(vkg_device *device, vkg_image image);

/* Wraps a VkImage vkgraph did not create (a swapchain image, an image from another
 * library) so graphs can bind it: vkgraph tracks its layout and last accesses from
 * VK_IMAGE_LAYOUT_UNDEFINED and makes a whole-resource view when the usage allows one. The
 * description must match how the image was created. Any thread. */
typedef struct vkg_image_import_desc {
    const char *name;
    VkImage image;
    VkFormat format;
    uint32_t width, height, depth; /* depth 0: 1 */
    uint32_t mips, layers;         /* 0: 1 */
    VkSampleCountFlagBits samples; /* 0: 1 */
    VkImageUsageFlags usage;       /* as created (VkSwapchainCreateInfoKHR.imageUsage) */
    /* Lifetime: NULL lives until destroyed (or the device is); a scope (vkg_scope_create,
     * or the current frame's, vkg_frame_scope) destroys it when the scope closes. */
    vkg_scope *scope;
} vkg_image_import_desc;
/* Any thread. vkg_image_destroy of an imported image forgets it (the VkImage stays the
 * caller's) once the GPU is done with it. */
VKG_MUST_CHECK vkg_result vkg_image_import(vkg_device *device, const vkg_image_import_desc *desc,
                                           vkg_image *out);
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
    /* Lifetime: NULL lives until destroyed (or the device is); a scope (vkg_scope_create,
     * or the current frame's, vkg_frame_scope) destroys it when the scope closes. */
    vkg_scope *scope;
} vkg_view_desc;

/* A view of part of an image; destroy it before the image. Any thread. */
VKG_MUST_CHECK vkg_result vkg_view_create(vkg_device *device, const vkg_view_desc *desc,
                                          vkg_view *out);
/* Destroyed once the GPU is done with it (deferred like buffers). Any thread. */
void vkg_view_destroy(vkg_device *device, vkg_view view);
/* The VkImageView behind a view. Any thread. */
VKG_MUST_CHECK vkg_result vkg_view_get_vk(vkg_device *device, vkg_view view, VkImageView *out);

/* Aspect bits of a format (color, depth, stencil). Any thread. */
VkImageAspectFlags vkg_format_aspect(VkFormat format);

/* ------------------------------------------------------------------------------------------
 * Formats. vkgraph knows the common uncompressed, depth and BC formats by name (the VkFormat
 * name without "VK_FORMAT_", as graph files spell them). Any thread.
 * ---------------------------------------------------------------------------------------- */

/* false when the name is not a format vkgraph knows. */
bool vkg_format_from_name(const char *name, VkFormat *out);
/* "R8G8B8A8_UNORM"; NULL for formats vkgraph does not know. */
const char *vkg_format_name(VkFormat format);
/* Bytes per texel (per 4x4 block for block-compressed formats); 0 when unknown. */
uint32_t vkg_format_texel_bytes(VkFormat format);

/* ------------------------------------------------------------------------------------------
 * Accesses: how a pass uses a resource. One row of synchronization2 state per kind (the
 * idea of THSVS): the compiler derives every barrier from these rows and nothing else.
 *
 * Each row: name, stage, access, image layout, write, resource kinds, aspect, queue roles
 * (vkg_access_info). Layout choices: sampled reads and depth_read share VK_IMAGE_LAYOUT_READ_ONLY_OPTIMAL so a
 * pass may depth-test against and sample the same depth image; storage uses GENERAL;
 * attachments ATTACHMENT_OPTIMAL. `color_write` and `depth_write` are pure writes (load op
 * CLEAR or DONT_CARE); a pass that loads the old contents declares `*_read_write`.
 * `present` must be an image's last use in a graph.
 *
 * Depth/stencil formats with both aspects (D32_SFLOAT_S8_UINT, ...) are two planes to the
 * compiler: depth_* rows touch the depth aspect, stencil_* rows the stencil aspect, each
 * with its own layout (a pass may test depth read-only while writing stencil); other rows
 * take vkg_use.aspect (shader reads default to depth, copies and host accesses to both).
 * Where the device lacks separateDepthStencilLayouts, every use covers both aspects.
 * `resolve_write`: the single-sampled target of a multisampled colour attachment of the same
 * pass (the n-th resolve use resolves the n-th multisampled colour use).
 * Rows of the geometry, tessellation (control and evaluation), task and mesh stages and the
 * acceleration-structure rows need the device feature (vkg_caps); the compiler names it
 * when it is missing. Acceleration structures live in buffers: the rows apply to the buffer
 * holding them, to build inputs and to scratch (acceleration_structure_build_write).
 * ---------------------------------------------------------------------------------------- */

#define VKG_ACCESS_KIND_BUFFER 1u
#define VKG_ACCESS_KIND_IMAGE 2u
#define VKG_ACCESS_ROLE_GRAPHICS (1u << VKG_QUEUE_GRAPHICS)
#define VKG_ACCESS_ROLE_COMPUTE (1u << VKG_QUEUE_COMPUTE)
#define VKG_ACCESS_ROLE_TRANSFER (1u << VKG_QUEUE_TRANSFER)

/* The rows themselves (stage, access, layout, ...) live in the library (vkg_access_get); the
 * JSON name of each is in its comment, and `vkgraph accesses` prints the whole table. */
typedef enum vkg_access {
    VKG_ACCESS_NONE = 0, /* no access: an imported resource whose contents do not matter */
    VKG_ACCESS_INDIRECT_READ, /* "indirect_read" */
    VKG_ACCESS_INDEX_READ, /* "index_read" */
    VKG_ACCESS_VERTEX_READ, /* "vertex_read" */
    VKG_ACCESS_VERTEX_UNIFORM_READ, /* "vertex" */
    VKG_ACCESS_VERTEX_SAMPLED_READ, /* "vertex" */
    VKG_ACCESS_VERTEX_STORAGE_READ, /* "vertex" */
    VKG_ACCESS_VERTEX_STORAGE_WRITE, /* "vertex" */
    VKG_ACCESS_VERTEX_STORAGE_READ_WRITE, /* "vertex" */
    VKG_ACCESS_FRAGMENT_UNIFORM_READ, /* "fragment" */
    VKG_ACCESS_FRAGMENT_SAMPLED_READ, /* "fragment" */
    VKG_ACCESS_FRAGMENT_STORAGE_READ, /* "fragment" */
    VKG_ACCESS_FRAGMENT_STORAGE_WRITE, /* "fragment" */
    VKG_ACCESS_FRAGMENT_STORAGE_READ_WRITE, /* "fragment" */
    VKG_ACCESS_COMPUTE_UNIFORM_READ, /* "compute" */
    VKG_ACCESS_COMPUTE_SAMPLED_READ, /* "compute" */
    VKG_ACCESS_COMPUTE_STORAGE_READ, /* "compute" */
    VKG_ACCESS_COMPUTE_STORAGE_WRITE, /* "compute" */
    VKG_ACCESS_COMPUTE_STORAGE_READ_WRITE, /* "compute" */
    VKG_ACCESS_GEOMETRY_UNIFORM_READ, /* "geometry" */
    VKG_ACCESS_GEOMETRY_SAMPLED_READ, /* "geometry" */
    VKG_ACCESS_GEOMETRY_STORAGE_READ, /* "geometry" */
    VKG_ACCESS_GEOMETRY_STORAGE_WRITE, /* "geometry" */
    VKG_ACCESS_GEOMETRY_STORAGE_READ_WRITE, /* "geometry" */
    VKG_ACCESS_TESSELLATION_UNIFORM_READ, /* "tessellation" */
    VKG_ACCESS_TESSELLATION_SAMPLED_READ, /* "tessellation" */
    VKG_ACCESS_TESSELLATION_STORAGE_READ, /* "tessellation" */
    VKG_ACCESS_TESSELLATION_STORAGE_WRITE, /* "tessellation" */
    VKG_ACCESS_TESSELLATION_STORAGE_READ_WRITE, /* "tessellation" */
    VKG_ACCESS_TASK_UNIFORM_READ, /* "task" */
    VKG_ACCESS_TASK_SAMPLED_READ, /* "task" */
    VKG_ACCESS_TASK_STORAGE_READ, /* "task" */
    VKG_ACCESS_TASK_STORAGE_WRITE, /* "task" */
    VKG_ACCESS_TASK_STORAGE_READ_WRITE, /* "task" */
    VKG_ACCESS_MESH_UNIFORM_READ, /* "mesh" */
    VKG_ACCESS_MESH_SAMPLED_READ, /* "mesh" */
    VKG_ACCESS_MESH_STORAGE_READ, /* "mesh" */
    VKG_ACCESS_MESH_STORAGE_WRITE, /* "mesh" */
    VKG_ACCESS_MESH_STORAGE_READ_WRITE, /* "mesh" */
    VKG_ACCESS_COLOR_READ, /* "color_read" */
    VKG_ACCESS_COLOR_WRITE, /* "color_write" */
    VKG_ACCESS_COLOR_READ_WRITE, /* "color_read_write" */
    VKG_ACCESS_DEPTH_READ, /* "depth_read" */
    VKG_ACCESS_DEPTH_WRITE, /* "depth_write" */
    VKG_ACCESS_DEPTH_READ_WRITE, /* "depth_read_write" */
    VKG_ACCESS_STENCIL_READ, /* "stencil_read" */
    VKG_ACCESS_STENCIL_WRITE, /* "stencil_write" */
    VKG_ACCESS_STENCIL_READ_WRITE, /* "stencil_read_write" */
    VKG_ACCESS_RESOLVE_WRITE, /* "resolve_write" */
    VKG_ACCESS_TRANSFER_READ, /* "transfer_read" */
    VKG_ACCESS_TRANSFER_WRITE, /* "transfer_write" */
    VKG_ACCESS_HOST_READ, /* "host_read" */
    VKG_ACCESS_HOST_WRITE, /* "host_write" */
    VKG_ACCESS_PRESENT, /* "present" */
    VKG_ACCESS_AS_BUILD_INPUT_READ, /* "acceleration_structure_build_input_read" */
    VKG_ACCESS_AS_BUILD_READ, /* "acceleration_structure_build_read" */
    VKG_ACCESS_AS_BUILD_WRITE, /* "acceleration_structure_build_write" */
    VKG_ACCESS_RAY_TRACING_AS_READ, /* "ray_tracing_acceleration_structure_read" */
    VKG_ACCESS_COMPUTE_AS_READ, /* "compute_acceleration_structure_read" */
    VKG_ACCESS_FRAGMENT_AS_READ, /* "fragment_acceleration_structure_read" */
    VKG_ACCESS_COUNT
} vkg_access;

typedef struct vkg_access_info {
    const char *name;
    VkPipelineStageFlags2 stage;
    VkAccessFlags2 access;
    VkImageLayout layout; /* images; UNDEFINED for buffer-only rows */
    bool write;
    uint32_t kinds;            /* VKG_ACCESS_KIND_* it applies to */
    VkImageAspectFlags aspect; /* 0: any; COLOR or DEPTH: formats with that aspect only */
    uint32_t roles;            /* VKG_ACCESS_ROLE_*: queue roles that can run it */
} vkg_access_info;

/* The row for `access` (NULL out of range). Any thread. */
const vkg_access_info *vkg_access_get(vkg_access access);
/* "color_write" -> VKG_ACCESS_COLOR_WRITE; false for unknown names. Any thread. */
bool vkg_access_from_name(const char *name, vkg_access *out);
/* false for unknown names ("graphics", "compute", "transfer"). Any thread. */
bool vkg_queue_role_from_name(const char *name, vkg_queue_role *out);

/* ------------------------------------------------------------------------------------------
 * Uploader: host data into buffers and images on the transfer role, from any thread.
 *
 * - A fixed staging ring (host-visible, ring_size bytes) holds the data between the host
 *   copy and the GPU copy; when it is full an upload waits for the oldest copies to
 *   complete, so staging memory never grows. Uploads larger than half the ring go in
 *   several submissions (bands of rows or slices for images).
 * - Each call returns the ticket of its last submission; the destination's tracked state
 *   records the transfer write, so a graph that binds the resource afterwards waits for the
 *   upload by itself (a semaphore wait when it runs on another queue, and the barrier and
 *   layout transition from TRANSFER_DST_OPTIMAL). Order an upload and an execution that
 *   use the same resource by calling them in that order (not concurrently).
 * - Whole subresources discard their old contents (no wait on their last reader beyond the
 *   barrier); a partial upload into contents last used on another queue family is refused
 *   (it would need an ownership transfer recorded on that family's queue).
 * - vkg_upload_image_mips uploads the smallest mip first, so something is visible at once.
 * Thread safety: every call may run from any thread at once, except vkg_uploader_destroy.
 * ---------------------------------------------------------------------------------------- */
typedef struct vkg_uploader vkg_uploader;

typedef struct vkg_uploader_desc {
    const char *name;
    VkDeviceSize ring_size; /* staging bytes; 0: 64 MiB; at least 4096 */
} vkg_uploader_desc;

typedef struct vkg_uploader_stats {
    uint64_t uploads;      /* vkg_upload_* calls that started copying */
    uint64_t submissions;  /* pieces submitted */
    uint64_t bytes;        /* bytes copied to the GPU */
    uint64_t ring_waits;   /* times a reservation waited for the GPU to free the ring */
    uint64_t readbacks;    /* vkg_readback calls submitted */
    VkDeviceSize ring_size, ring_peak; /* staging bytes: the ring, and the most in use */
} vkg_uploader_stats;

/* Creates the staging ring and the command pools of the uploader (transfer role). Any
 * thread. */
VKG_MUST_CHECK vkg_result vkg_uploader_create(vkg_device *device, const vkg_uploader_desc *desc,
                                              vkg_uploader **out);
/* Waits for the uploader's copies, then frees its ring and command buffers. NULL: no-op. */
void vkg_uploader_destroy(vkg_uploader *uploader);
void vkg_uploader_get_stats(vkg_uploader *uploader, vkg_uploader_stats *out);

typedef struct vkg_upload_buffer_desc {
    vkg_buffer buffer; /* created with VK_BUFFER_USAGE_TRANSFER_DST_BIT (the default usage) */
    VkDeviceSize offset;
    const void *data; /* copied before the call returns */
    VkDeviceSize size;
} vkg_upload_buffer_desc;
/* Errors name the buffer: a range outside it, a missing usage bit, a stale handle. */
VKG_MUST_CHECK vkg_result vkg_upload_buffer(vkg_uploader *uploader,
                                            const vkg_upload_buffer_desc *desc,
                                            vkg_ticket *out_ticket);

typedef struct vkg_upload_image_desc {
    vkg_image image; /* an uncompressed color format, with TRANSFER_DST usage */
    uint32_t mip;
    uint32_t layer, layer_count; /* layer_count 0: 1 */
    VkOffset3D offset;
    VkExtent3D extent; /* width 0: the rest of the mip from offset */
    /* Tightly packed texels, layer after layer; size must be exactly
     * width * height * depth * texel bytes * layer_count. Copied before the call returns. */
    const void *data;
    VkDeviceSize size;
    /* The access a reader outside any graph will make (0: none): after the copy the region
     * is moved to that access's layout and made visible to its stages, e.g.
     * VKG_ACCESS_FRAGMENT_SAMPLED_READ for a texture sampled through the bindless heap. The
     * reader still waits for the ticket (vkg_submit's waits, or a graph ordered by the
     * image's tracked state). When the reading role's queue family is not the uploader's,
     * the copy runs on the reader's queue instead, so the image never needs an ownership
     * transfer. */
    vkg_access ready_for;
    vkg_queue_role ready_role; /* the role that reads it (0: graphics) */
} vkg_upload_image_desc;
/* Errors name the image: a region outside the mip, a size that does not match, a missing
 * usage bit, a compressed or depth format, a stale handle. */
VKG_MUST_CHECK vkg_result vkg_upload_image(vkg_uploader *uploader,
                                           const vkg_upload_image_desc *desc,
                                           vkg_ticket *out_ticket);
/* Whole mips 0..mip_count-1 of layer 0, smallest first; mip_tickets[i] (optional) is mip
 * i's ticket. `ready_for` / `ready_role` as in vkg_upload_image_desc (0: none). */
VKG_MUST_CHECK vkg_result vkg_upload_image_mips(vkg_uploader *uploader, vkg_image image,
                                                const void *const *mip_data,
                                                const VkDeviceSize *mip_sizes, uint32_t mip_count,
                                                vkg_access ready_for, vkg_queue_role ready_role,
                                                vkg_ticket *mip_tickets);

/* Readback: GPU contents to host memory, delivered through a completion queue. The copy goes
 * into the uploader's ring on its queue (after the resource's last writer, from its tracked
 * state); once it completes, the device's watcher thread copies the bytes to `dst` and then
 * posts {user_data, ticket, result} to `cq`. When the completion is reaped, `dst` holds the
 * data (result VKG_ERROR_DEVICE_LOST: it does not). One readback must fit in half the ring.
 * `dst` must stay valid until the completion is reaped, or the cq is destroyed (its pending
 * readbacks are then dropped, and the span waits only for the GPU). */
typedef struct vkg_readback_desc {
    /* a buffer range ... */
    vkg_buffer buffer; /* with VK_BUFFER_USAGE_TRANSFER_SRC_BIT (the default usage) */
    VkDeviceSize offset;
    VkDeviceSize size; /* buffers: bytes; images: 0, or the region's tightly packed size */
    /* ... or a region of one mip and layer of an image (uncompressed color, TRANSFER_SRC) */
    vkg_image image;
    uint32_t mip, layer;
    VkOffset3D image_offset;
    VkExtent3D extent; /* width 0: the rest of the mip from image_offset */
    void *dst;
    vkg_cq *cq;
    uint64_t user_data;
} vkg_readback_desc;
/* Errors name the resource (range, usage, size over half the ring); any thread. */
VKG_MUST_CHECK vkg_result vkg_readback(vkg_uploader *uploader, const vkg_readback_desc *desc,
                                       vkg_ticket *out_ticket);

/* ------------------------------------------------------------------------------------------
 * Bindless: one global descriptor heap that shaders index.
 *
 * The heap is one descriptor set (update-after-bind, partially bound) with three arrays:
 *   binding 0: sampled images   layout(set = S, binding = 0) uniform texture2D t[];
 *   binding 1: storage images   layout(set = S, binding = 1) uniform image2D i[];
 *   binding 2: samplers         layout(set = S, binding = 2) uniform sampler s[];
 *                               (the variable-count binding)
 * A handle is the slot's index in its array: put it in a push constant, a buffer or a
 * material table, and index with nonuniformEXT() where it varies across a draw or dispatch.
 * Buffers need no heap: shaders reach them by device address (vkg_buffer_info.address,
 * vkg_pass_buffer_address). Several array declarations of other image types (texture3D,
 * utexture2D, ...) may share a binding; each slot is read through the type of its view.
 *
 * - vkg_bindless_add writes descriptors at once (no copy, no per-frame set); slots become
 *   valid for commands recorded afterwards and for pending ones that do not read them.
 * - vkg_bindless_free returns slots after tickets (the GPU work that may still read them):
 *   a freed slot is handed out again only once they completed, so a descriptor in use is
 *   never overwritten.
 * - The images must be in the slot's layout when a shader reads them (the uploader leaves
 *   them so with vkg_upload_image_desc.ready_for; a graph pass that declares the access
 *   does so too).
 * - Devices without descriptor indexing (lavapipe) get VKG_ERROR_FEATURE_NOT_PRESENT from
 *   vkg_bindless_create, with a message; vkg_caps.descriptor_indexing says so beforehand.
 *   The fallback is a descriptor set per pass written each frame (docs/bindless.md).
 * Thread safety: every call may run from any thread at once, except vkg_bindless_destroy.
 * ---------------------------------------------------------------------------------------- */
typedef struct vkg_bindless vkg_bindless;

typedef enum vkg_bindless_kind {
    VKG_BINDLESS_SAMPLED_IMAGE = 0, /* binding 0, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE */
    VKG_BINDLESS_STORAGE_IMAGE = 1, /* binding 1, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE */
    VKG_BINDLESS_SAMPLER = 2,       /* binding 2, VK_DESCRIPTOR_TYPE_SAMPLER */
    VKG_BINDLESS_KIND_COUNT
} vkg_bindless_kind;

typedef struct vkg_bindless_desc {
    const char *name;
    /* Slots per kind; 0: 65536 sampled images, 16384 storage images, 1024 samplers, each
     * lowered to the device's update-after-bind limits. A count above a limit is an error
     * naming it. */
    uint32_t capacity[VKG_BINDLESS_KIND_COUNT];
    VkShaderStageFlags stages; /* stages that may index the heap; 0: VK_SHADER_STAGE_ALL */
} vkg_bindless_desc;

/* Creates the heap (VKG_ERROR_FEATURE_NOT_PRESENT without descriptor indexing). Any thread. */
VKG_MUST_CHECK vkg_result vkg_bindless_create(vkg_device *device, const vkg_bindless_desc *desc,
                                              vkg_bindless **out);
/* The set and its pool are destroyed once everything submitted so far has completed (the
 * heap may still be bound in it). NULL: no-op. */
void vkg_bindless_destroy(vkg_bindless *heap);

/* What one slot holds. */
typedef struct vkg_bindless_item {
    vkg_bindless_kind kind;
    /* images: a view of vkgraph's (`image`'s whole view, or `view`), or a raw VkImageView */
    vkg_image image;
    vkg_view view;
    VkImageView vk_view;
    /* images: the layout the image is in when read; 0: SHADER_READ_ONLY_OPTIMAL for sampled
     * images, GENERAL for storage images */
    VkImageLayout layout;
    VkSampler sampler; /* samplers */
} vkg_bindless_item;

/* Takes one slot per item and writes its descriptor; out_indices[i] is item i's slot in the
 * array of its kind. All or nothing: when a kind has too few free slots (some may be waiting
 * for their tickets), nothing is taken and the error says how many are free and pending.
 * Errors name the item and the rule: a stale handle, an image without SAMPLED/STORAGE
 * usage, a missing view or sampler. */
VKG_MUST_CHECK vkg_result vkg_bindless_add(vkg_bindless *heap, const vkg_bindless_item *items,
                                           uint32_t count, uint32_t *out_indices);
/* Frees slots of one kind once `after` completed (after_count 0: once everything submitted
 * so far on every queue completed). Freeing a slot that is not in use is an error. */
VKG_MUST_CHECK vkg_result vkg_bindless_free(vkg_bindless *heap, vkg_bindless_kind kind,
                                            const uint32_t *indices, uint32_t count,
                                            const vkg_ticket *after, uint32_t after_count);

/* The heap's layout (for the user's VkPipelineLayout) and set. */
VkDescriptorSetLayout vkg_bindless_layout(const vkg_bindless *heap);
VkDescriptorSet vkg_bindless_set(const vkg_bindless *heap);
/* vkCmdBindDescriptorSets of the heap at `set` of `layout`. Any thread recording `cmd`. */
void vkg_bindless_bind(const vkg_bindless *heap, VkCommandBuffer cmd,
                       VkPipelineBindPoint bind_point, VkPipelineLayout layout, uint32_t set);

typedef struct vkg_bindless_stats {
    uint32_t capacity[VKG_BINDLESS_KIND_COUNT];
    uint32_t live[VKG_BINDLESS_KIND_COUNT];    /* slots in use */
    uint32_t pending[VKG_BINDLESS_KIND_COUNT]; /* freed, waiting for their tickets */
    uint64_t writes;       /* descriptors written */
    uint64_t update_calls; /* vkUpdateDescriptorSets calls (up to 64 descriptors each) */
    uint64_t write_runs;   /* VkWriteDescriptorSet records: consecutive slots share one */
} vkg_bindless_stats;
/* Counters of the heap. Any thread. */
void vkg_bindless_get_stats(vkg_bindless *heap, vkg_bindless_stats *out);

/* ------------------------------------------------------------------------------------------
 * Render graph. A vkg_graph is a description: resources, passes and how each pass uses each
 * resource. It has no device. vkg_compile turns it into an immutable vkg_plan.
 *
 * Threading: a graph is externally synchronized (one thread at a time per graph; different
 * graphs on different threads freely). A plan is immutable: any number of threads may read
 * it at once; vkg_plan_destroy is externally synchronized with those readers.
 *
 * Errors: every builder call validates its input at once and returns a vkg_result; the
 * logger gets a message naming the pass, the resource, the subresource, the rule and the
 * fix. Rules that need the whole graph (a transient read before any write) are checked by
 * vkg_compile.
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_graph vkg_graph;
typedef struct vkg_plan vkg_plan;
/* Graph-local handles: 0 is invalid; valid for the graph that made them. */
typedef struct vkg_resource { uint32_t id; } vkg_resource;
typedef struct vkg_pass { uint32_t id; } vkg_pass;

/* The recording context a pass's callback receives (command buffer, resolved handles);
 * defined by the executor. */
typedef struct vkg_pass_context vkg_pass_context;
typedef void (*vkg_record_fn)(const vkg_pass_context *ctx, void *user);

#define VKG_COMPILE_SPLIT_BARRIERS 1u /* events where work sits between producer and consumer */
/* Transient memory goes to the best fit among every queue's free memory, not first among the
 * memory whose last users ended on the resource's own queue: less memory on graphs that move
 * between queues often, for more semaphore waits (docs/compiler.md has the figures). */
#define VKG_COMPILE_ALIAS_ACROSS_QUEUES 2u

typedef struct vkg_graph_desc {
    const char *name;
    vkg_allocator allocator;
    vkg_logger logger;
    uint32_t compile_flags; /* VKG_COMPILE_* */
} vkg_graph_desc;

/* Any thread. */
VKG_MUST_CHECK vkg_result vkg_graph_create(const vkg_graph_desc *desc, vkg_graph **out);
/* Destroying a graph does not affect plans compiled from it. */
void vkg_graph_destroy(vkg_graph *graph);

/* State of an imported resource when the plan starts: the last access and the queue role
 * that made it. VKG_ACCESS_NONE: the contents do not matter (first use discards). The
 * executor replaces this with the resource's tracked state at submit time. */
typedef struct vkg_import_state {
    vkg_access access;
    vkg_queue_role queue;
} vkg_import_state;

/* How a history resource's previous contents start, before any execution wrote them. */
typedef enum vkg_history_init {
    VKG_HISTORY_UNDEFINED = 0, /* whatever the memory holds (reads see garbage once) */
    VKG_HISTORY_CLEAR,         /* zero: every byte of a buffer, every channel of an image */
} vkg_history_init;

typedef struct vkg_graph_buffer_desc {
    const char *name; /* unique in the graph; required; may not end in "@prev" */
    VkDeviceSize size;
    bool imported;          /* owned outside the plan; its state is carried across plans */
    vkg_import_state state; /* imported only */
    bool output; /* contents matter after the graph: a culling root, never aliased */
    /* CONCURRENT: no ownership transfers (a transient is created so; an imported one must be
     * bound to an object created so); DEFAULT: vkg_caps.sharing */
    vkg_sharing sharing;
    /* 1: a history resource. The graph keeps what its passes wrote into it for the next
     * execution, where passes read it as the resource "NAME@prev" (vkg_graph_previous).
     * The executor owns both (nothing to bind), swaps them each execution and derives the
     * barriers and layouts between executions. Each execution must write it before reading
     * it; NAME@prev is read-only. 0: none (the only other value). Not with imported. Since
     * 0.3. */
    uint32_t history;
    vkg_history_init history_init; /* NAME@prev in the first execution (and after a resize) */
} vkg_graph_buffer_desc;

typedef struct vkg_graph_image_desc {
    const char *name;
    VkFormat format;
    uint32_t width, height;
    uint32_t depth;  /* 0 or 1: 2D */
    uint32_t mips;   /* 0: 1 */
    uint32_t layers; /* 0: 1 */
    VkSampleCountFlagBits samples; /* 0: 1 */
    bool imported;
    vkg_import_state state;
    bool output;
    vkg_sharing sharing; /* as in vkg_graph_buffer_desc */
    /* Sized from another image declared earlier (the swapchain, the G-buffer): width = its
     * width x scale_x, height = its height x scale_y, rounded, at least 1 (a scale of 0 means
     * 1.0); width and height are then not given. When vkg_graph_resize changes that image,
     * this one follows, and so do the images sized from it. */
    vkg_resource size_of;
    float scale_x, scale_y;
    uint32_t history;              /* as in vkg_graph_buffer_desc; since 0.3 */
    vkg_history_init history_init; /* as in vkg_graph_buffer_desc */
} vkg_graph_image_desc;

/* Externally synchronized on `graph`. */
VKG_MUST_CHECK vkg_result vkg_graph_buffer(vkg_graph *graph, const vkg_graph_buffer_desc *desc,
                                           vkg_resource *out);
/* Declares a buffer / an image; `*out` is its handle in this graph. Errors name the resource
 * and the rule (duplicate name, zero size, unknown format, ...). */
VKG_MUST_CHECK vkg_result vkg_graph_image(vkg_graph *graph, const vkg_graph_image_desc *desc,
                                          vkg_resource *out);

/* Gives an image a new size (a window was resized): the images sized from it (size_of)
 * follow. Recompile the graph afterwards; nothing else changes. An image sized from another
 * is resized through that one. Refused, with nothing changed, where an image would then have
 * more mips than its size allows. Externally synchronized on `graph`. */
VKG_MUST_CHECK vkg_result vkg_graph_resize(vkg_graph *graph, vkg_resource image, uint32_t width,
                                           uint32_t height);

/* One use of a resource by a pass. Images: mips [base_mip, base_mip + mip_count) x layers
 * [base_layer, base_layer + layer_count), count 0 meaning "all remaining". Buffers: bytes
 * [offset, offset + size), size 0 meaning "to the end". */
typedef struct vkg_use {
    vkg_resource resource;
    vkg_access access;
    uint32_t base_mip, mip_count;
    uint32_t base_layer, layer_count;
    VkDeviceSize offset, size;
    /* Images with depth and stencil: which aspect a shader read, copy or host access touches
     * (VK_IMAGE_ASPECT_DEPTH_BIT, _STENCIL_BIT or both; 0: depth for shader reads, both
     * otherwise). Attachment rows choose their own (depth_* / stencil_*). */
    VkImageAspectFlags aspect;
} vkg_use;

typedef struct vkg_pass_desc {
    const char *name; /* unique in the graph; required */
    vkg_queue_role queue;
    const vkg_use *uses; /* copied */
    uint32_t use_count;
    vkg_record_fn record;
    void *user;
    bool side_effects; /* keep even when nothing reads what it writes */
    /* Ordering without a resource: passes declared before this one whose work must be
     * complete (and its memory writes visible) before this one starts, for dependencies the
     * graph cannot see (raw Vulkan objects, queries, a buffer written through its device
     * address). On the same queue a full memory barrier, on another queue a semaphore wait.
     * Order only: it keeps no pass from being culled. Copied. */
    const vkg_pass *after;
    uint32_t after_count;
} vkg_pass_desc;

/* Adds a pass after the ones already added: declaration order is submission order.
 * Externally synchronized on `graph`. */
VKG_MUST_CHECK vkg_result vkg_graph_pass(vkg_graph *graph, const vkg_pass_desc *desc,
                                         vkg_pass *out);

/* Sets (or replaces) the record callback of a pass, e.g. one loaded from a graph file.
 * Plans compiled afterwards call it; earlier plans keep the old one. Externally
 * synchronized on `graph`. */
VKG_MUST_CHECK vkg_result vkg_graph_set_record(vkg_graph *graph, vkg_pass pass,
                                               vkg_record_fn record, void *user);
/* Passes declared so far; their handles are {1} .. {count}. */
uint32_t vkg_graph_pass_count(const vkg_graph *graph);

/* Marks a resource as an output (same as desc.output). Externally synchronized. */
VKG_MUST_CHECK vkg_result vkg_graph_output(vkg_graph *graph, vkg_resource resource);

/* Looks a resource or pass up by name; {0} when there is none. */
vkg_resource vkg_graph_find_resource(const vkg_graph *graph, const char *name);
/* The previous execution's contents of history resource `resource` ("NAME@prev"), for passes
 * to read; id 0 when it is not a history resource. Since 0.3. */
vkg_resource vkg_graph_previous(const vkg_graph *graph, vkg_resource resource);
vkg_pass vkg_graph_find_pass(const vkg_graph *graph, const char *name);

/* Loads a graph file (docs/graph-format.md). Errors name the file, line and
 * column and what was expected there; they are logged and, when `error` is not NULL, also
 * written to it (at most error_size bytes). `frames` (may be NULL) receives the file's
 * "frames". Any thread. */
VKG_MUST_CHECK vkg_result vkg_graph_load_json(const char *path, const vkg_graph_desc *desc,
                                              vkg_graph **out, uint32_t *frames, char *error,
                                              size_t error_size);
/* The same from a string; `name` stands for the file in messages. */
VKG_MUST_CHECK vkg_result vkg_graph_load_json_string(const char *text, const char *name,
                                                     const vkg_graph_desc *desc,
                                                     vkg_graph **out, uint32_t *frames,
                                                     char *error, size_t error_size);

/* ------------------------------------------------------------------------------------------
 * Compile: validate the whole graph, cull, order, track state per buffer range and per image
 * mip x layer, derive synchronization2 barriers (at most one batch per pass boundary),
 * queue-family ownership transfers and timeline-semaphore waits, and place transient
 * resources into aliased heaps. Pure: reads only `caps`.
 *
 * `*plan` NULL: a new plan. `*plan` an earlier plan of this graph that nobody uses any more:
 * it is recompiled in place, reusing its memory, so recompiling every frame allocates
 * nothing once the arenas have grown. On failure *plan is destroyed and set to NULL.
 * Externally synchronized on `graph`.
 * ---------------------------------------------------------------------------------------- */

/* Memory requirements of a transient resource; the executor answers with the device's
 * (vkGetDevice*MemoryRequirements). Without it the compiler estimates: linear size, 256-byte
 * alignment for buffers, 4 KiB for images, every device-local memory type. */
typedef struct vkg_resource_requirements_query {
    bool is_image;
    VkBufferCreateInfo buffer; /* is_image false */
    VkImageCreateInfo image;   /* is_image true */
} vkg_resource_requirements_query;
typedef bool (*vkg_requirements_fn)(void *user, const vkg_resource_requirements_query *query,
                                    VkMemoryRequirements *out);

typedef struct vkg_compile_desc {
    const vkg_caps *caps; /* required */
    uint32_t flags;       /* VKG_COMPILE_*, OR-ed with the graph's compile_flags */
    vkg_requirements_fn requirements;
    void *requirements_user;
} vkg_compile_desc;

/* A vkg_requirements_fn answering from a vkg_device (pass the device as `user`): the
 * device's real sizes, alignments and memory types, without creating anything. Any thread. */
bool vkg_device_requirements(void *device, const vkg_resource_requirements_query *query,
                             VkMemoryRequirements *out);

/* Compiles for `caps` (vkg_device_caps, or vkg_caps_default for a device-free plan);
 * vkg_compile_ex takes flags and a requirements callback. Errors name the pass, resource and
 * rule broken. See the section comment above for `*plan`. */
VKG_MUST_CHECK vkg_result vkg_compile(vkg_graph *graph, const vkg_caps *caps, vkg_plan **plan);
VKG_MUST_CHECK vkg_result vkg_compile_ex(vkg_graph *graph, const vkg_compile_desc *desc,
                                         vkg_plan **plan);
/* Executors release their realisations of it later (64 unused frames). NULL is a no-op. */
void vkg_plan_destroy(vkg_plan *plan);

/* --- the compiled plan: plain arrays, indices into each other ----------------------------- */

#define VKG_BARRIER_SPLIT 1u    /* signalled by vkCmdSetEvent2 after plan event `event`'s pass */
#define VKG_BARRIER_RELEASE 2u  /* queue-family release (recorded after a pass, `post`) */
#define VKG_BARRIER_ACQUIRE 4u  /* queue-family acquire */
#define VKG_BARRIER_ALIAS 8u    /* first use of memory that an earlier transient used */
#define VKG_BARRIER_IMPORTED 16u /* first use of an imported resource: src side patched at
                                    execute time from the resource's tracked state */
#define VKG_BARRIER_DISCARD 32u /* old layout UNDEFINED: contents are not preserved */

typedef struct vkg_plan_barrier {
    uint32_t resource; /* index into vkg_plan_info.resources */
    uint32_t base_mip, mip_count, base_layer, layer_count; /* images */
    VkDeviceSize offset, size;                             /* buffers */
    VkPipelineStageFlags2 src_stage, dst_stage;
    VkAccessFlags2 src_access, dst_access;
    VkImageLayout old_layout, new_layout;
    uint32_t src_family, dst_family; /* VK_QUEUE_FAMILY_IGNORED without an ownership transfer */
    uint32_t flags;                  /* VKG_BARRIER_* */
    uint32_t event;                  /* VKG_BARRIER_SPLIT: index into vkg_plan_info.events */
    VkImageAspectFlags aspect;       /* images: the aspects it covers (depth, stencil, both) */
} vkg_plan_barrier;

/* A timeline-semaphore wait: before this submission, wait until submission `submission` of
 * plan queue `queue` has completed, blocking `stage` of this submission. */
typedef struct vkg_plan_wait {
    uint32_t queue, submission;
    VkPipelineStageFlags2 stage;
} vkg_plan_wait;

typedef struct vkg_plan_pass {
    const char *name;
    uint32_t graph_pass; /* declaration index */
    vkg_queue_role role;
    uint32_t queue;      /* index into vkg_plan_info.queues */
    uint32_t submission; /* index into vkg_plan_info.submissions */
    /* one vkCmdPipelineBarrier2 (and one vkCmdWaitEvents2 for split ones) before the pass */
    uint32_t first_barrier, barrier_count;
    /* after the pass: releases to other families (one vkCmdPipelineBarrier2) */
    uint32_t first_post, post_count;
    /* vkCmdSetEvent2 after the pass for events [first_set_event, +set_event_count) */
    uint32_t first_set_event, set_event_count;
    /* vkCmdWaitEvents2 before the pass for events wait_events[first_wait_event, +count) */
    uint32_t first_wait_event, wait_event_count;
    /* what the pass declared, resolved (counts never 0) */
    uint32_t first_use, use_count;
    vkg_record_fn record;
    void *user;
    /* an ordering dependency (vkg_pass_desc.after) on an earlier pass of its queue: a full
     * memory barrier (all commands, all memory) joins the barrier before the pass */
    bool after_barrier;
} vkg_plan_pass;

typedef struct vkg_plan_use {
    uint32_t resource; /* index into vkg_plan_info.resources */
    vkg_access access;
    uint32_t base_mip, mip_count, base_layer, layer_count;
    VkDeviceSize offset, size;
    VkImageAspectFlags aspect; /* images: the aspects it touches (its view's aspects) */
} vkg_plan_use;

typedef struct vkg_plan_event {
    uint32_t set_pass, wait_pass; /* indices into vkg_plan_info.passes */
    uint32_t first_barrier, barrier_count; /* the dependency both sides give */
} vkg_plan_event;

typedef struct vkg_plan_submission {
    uint32_t queue;
    uint32_t index; /* n-th submission of its queue */
    uint32_t first_pass, pass_count; /* into vkg_plan_info.queue_passes, inside the queue's range */
    uint32_t first_wait, wait_count;
    /* releases of imported resources owned by this queue at plan start, recorded before
     * the first pass (the queue's first submission only) */
    uint32_t first_prologue, prologue_count;
} vkg_plan_submission;

typedef struct vkg_plan_queue {
    vkg_queue_role role; /* the first role mapped to this family */
    uint32_t family;
    uint32_t first_pass, pass_count; /* into vkg_plan_info.queue_passes */
    uint32_t submission_count;
} vkg_plan_queue;

typedef struct vkg_plan_resource {
    const char *name;
    bool is_image, imported, output;
    bool used; /* by a pass that survived culling */
    VkFormat format;
    uint32_t width, height, depth, mips, layers;
    VkSampleCountFlagBits samples;
    VkDeviceSize size;              /* buffers: bytes */
    VkImageUsageFlags image_usage;  /* union over the uses */
    VkBufferUsageFlags buffer_usage;
    uint32_t first_pass, last_pass; /* plan pass indices; UINT32_MAX when unused */
    /* transient placement */
    uint32_t heap;                  /* UINT32_MAX: not placed (imported or unused) */
    VkDeviceSize offset, memory_size, alignment;
    uint32_t memory_type_bits;
    vkg_import_state state; /* imported: assumed initial state */
    bool concurrent; /* VK_SHARING_MODE_CONCURRENT: no ownership transfers (vkg_sharing) */
    /* transients: the earlier transients whose memory this one takes over (they end before
     * it starts and overlap its bytes in the same heap; its first barrier waits for them) */
    const uint32_t *alias_of;
    uint32_t alias_of_count;
    /* History (vkg_graph_buffer_desc.history), since 0.3: 1 for a history resource, whose
     * previous contents are resource history_pair; 2 for NAME@prev, the previous contents of
     * resource history_pair. Both are imported (imported is true) and bound by the executor.
     * history_clear: NAME@prev starts zeroed (VKG_HISTORY_CLEAR). */
    uint32_t history, history_pair;
    bool history_clear;
} vkg_plan_resource;

typedef struct vkg_plan_heap {
    uint32_t memory_type;
    VkDeviceSize size;
    uint32_t resource_count;
    /* the most bytes of its transients (sizes as placed) live at one point of the order: no
     * placement of them can take less than this */
    VkDeviceSize peak_live_bytes;
} vkg_plan_heap;

/* The compiler's phases, in the order they run (docs/compiler.md says what each costs). */
typedef enum vkg_compile_phase {
    VKG_COMPILE_PHASE_VALIDATE, /* caps, formats, limits, reads of unwritten transients */
    VKG_COMPILE_PHASE_CULL,     /* backward sweep: passes nothing needs */
    VKG_COMPILE_PHASE_ORDER,    /* queues, lifetimes, usage flags */
    VKG_COMPILE_PHASE_PLACE,    /* memory requirements, aliasing placement */
    VKG_COMPILE_PHASE_SYNC,     /* barriers, ownership transfers, semaphore waits, events */
    VKG_COMPILE_PHASE_ASSEMBLE, /* merging and the plan's arrays */
    VKG_COMPILE_PHASE_COUNT
} vkg_compile_phase;

/* "validate", "cull", ...; NULL for a value out of range. */
const char *vkg_compile_phase_name(vkg_compile_phase phase);

typedef struct vkg_plan_stats {
    uint32_t passes, culled;
    uint32_t barrier_batches;
    uint32_t image_barriers, buffer_barriers, memory_barriers;
    uint32_t layout_transitions, queue_transfers;
    uint32_t semaphores; /* timeline-semaphore waits */
    uint32_t submissions, events;
    uint64_t transient_bytes; /* sum of all transient resources' memory sizes */
    uint64_t aliased_bytes;   /* what the plan's heaps really take */
    uint64_t compile_us;
    /* the largest sum of transient memory sizes (aligned as placed) live at one point of the
     * order, summed over memory types: no placement can take less (aliased_bytes >= this) */
    uint64_t peak_live_bytes;
    /* time spent in each phase of this compile (vkg_compile_phase), nanoseconds */
    uint64_t phase_ns[VKG_COMPILE_PHASE_COUNT];
} vkg_plan_stats;

typedef struct vkg_plan_info {
    const char *name;
    const vkg_plan_pass *passes; /* submission order (declaration order of live passes) */
    uint32_t pass_count;
    const char *const *culled; /* names of culled passes, declaration order */
    uint32_t culled_count;
    const vkg_plan_use *uses;
    uint32_t use_count;
    const vkg_plan_barrier *barriers;
    uint32_t barrier_count;
    const vkg_plan_wait *waits;
    uint32_t wait_count;
    const vkg_plan_event *events; /* ordered by set_pass */
    uint32_t event_count;
    const uint32_t *wait_events; /* event indices ordered by wait_pass */
    const vkg_plan_submission *submissions; /* grouped by queue, in order */
    uint32_t submission_count;
    const vkg_plan_queue *queues;
    uint32_t queue_count;
    const uint32_t *queue_passes; /* pass indices per queue */
    const vkg_plan_resource *resources; /* graph declaration order */
    uint32_t resource_count;
    const vkg_plan_heap *heaps;
    uint32_t heap_count;
    vkg_plan_stats stats;
} vkg_plan_info;

/* Any thread. Pointers live as long as the plan. */
void vkg_plan_get_info(const vkg_plan *plan, vkg_plan_info *out);

/* Writes the plan as JSON (docs/graph-format.md, "The plan as JSON") or Graphviz DOT. Any
 * thread. */
VKG_MUST_CHECK vkg_result vkg_plan_write_json(const vkg_plan *plan, FILE *out);
/* The transient memory map as a self-contained SVG picture: one band per heap, passes left to
 * right, offsets top to bottom, a box per transient from its first to its last pass; boxes
 * stacked in one column of memory share it (aliasing). Opens in any browser. */
VKG_MUST_CHECK vkg_result vkg_plan_write_memory_svg(const vkg_plan *plan, FILE *out);
VKG_MUST_CHECK vkg_result vkg_plan_write_dot(const vkg_plan *plan, FILE *out);

/* Names for printing: "COLOR_ATTACHMENT_OUTPUT|FRAGMENT_SHADER", "TRANSFER_DST_OPTIMAL".
 * Write at most `size` bytes; return `buf`. Any thread. */
const char *vkg_stage_mask_string(VkPipelineStageFlags2 stages, char *buf, size_t size);
const char *vkg_access_mask_string(VkAccessFlags2 access, char *buf, size_t size);
/* "TRANSFER_DST_OPTIMAL" for VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL. Any thread. */
const char *vkg_layout_name(VkImageLayout layout);

/* ------------------------------------------------------------------------------------------
 * Executor: realises plans on a device and submits them, frame after frame.
 *
 * An executor owns, per frame in flight, command pools and the realisation of every plan it
 * has run: transient buffers and images bound into the plan's aliased heaps, views, events,
 * command buffers. All of it is created on a plan's first execution in a frame slot and
 * reused, so executing a plan again allocates nothing. A plan recompiled in place (or
 * destroyed and replaced) is re-realised on its next execution.
 *
 * Imported resources are bound per execution to vkg_buffers / vkg_images. The device keeps
 * their GPU-side state (layout, last stages and accesses, queue family, last ticket) across
 * executions and plans; each plan's first-use barriers of an imported resource are patched
 * from that state when recorded, and the state is updated after the submission.
 *
 * Recording: the passes of each queue submission are split into runs of consecutive passes,
 * one primary command buffer each, recorded in parallel by the executor's recording threads
 * (the calling thread is thread 0) from per-thread, per-frame-slot command pools, and
 * submitted in one VkSubmitInfo2 in pass order. The split depends only on the plan and the
 * executor's settings, never on timing, so the GPU sees the same commands every frame.
 *
 * Threading: an executor is externally synchronized (one thread at a time). Several
 * executors on one device may run on different threads; an imported resource must not be
 * used by two executions at once. Record callbacks of different passes may run at the same
 * time on different threads (never the same pass twice at once): state they share must be
 * thread-safe, or per thread (vkg_pass_thread), or the executor made with one thread. The
 * logger may be called from recording threads.
 * ---------------------------------------------------------------------------------------- */

typedef struct vkg_executor vkg_executor;

typedef struct vkg_executor_desc {
    const char *name;
    /* Frame slots: executing frame N waits (on the host) for frame N - frames_in_flight.
     * 0: 2. */
    uint32_t frames_in_flight;
    /* Threads recording command buffers, the caller included. 0: the number of online CPU
     * cores. 1: everything is recorded on the calling thread. At most 64. */
    uint32_t record_threads;
    /* A submission is split into min(record_threads, passes / passes_per_command_buffer)
     * command buffers (at least one), so small plans never wake a thread. 0: 32. */
    uint32_t passes_per_command_buffer;
    /* Transient memory: by default the plans executed in one frame slot share it (a slot
     * holds about the largest plan's heaps, not their sum) and take turns on the GPU, the
     * next plan's accesses ordered after the last one's. true: every plan keeps heaps of
     * its own, so plans of one frame may overlap on the GPU, at the cost of memory. */
    bool dedicated_heaps;
    /* Testing only: 1 + the index of a plan barrier (vkg_plan_info.barriers) never to
     * record, to prove that synchronization validation notices a missing barrier. 0: off. */
    uint32_t debug_drop_barrier;
    /* Testing only: never order a plan after the one that used its transient memory last. */
    bool debug_no_handoff;
    /* GPU time per pass: a timestamp before and after each pass's record callback, on queues
     * whose family has timestamps (two queries per pass; vkg_executor_pass_timings reads
     * them, vkg_profiler gathers them). Needs the device feature hostQueryReset (core in
     * Vulkan 1.2, enabled where offered). Since 0.3. */
    bool pass_timings;
    /* Breadcrumbs for device loss: before and after each pass the GPU writes the execution's
     * number into host-visible memory on the pass's queue (a fill, the end one after an
     * execution barrier on the pass's work), so that vkg_device_lost_report can say which
     * passes had finished and which had started. Costs a barrier and two small writes per
     * pass (BENCHMARKS.md). Since 0.3. */
    bool breadcrumbs;
} vkg_executor_desc;

/* Creates the executor with its frame slots and recording threads. Any thread. */
VKG_MUST_CHECK vkg_result vkg_executor_create(vkg_device *device, const vkg_executor_desc *desc,
                                              vkg_executor **out);
/* Waits for the executor's submissions, then destroys what it created. NULL is a no-op. */
void vkg_executor_destroy(vkg_executor *executor);
/* Recording threads, the caller included (vkg_executor_desc.record_threads resolved). */
uint32_t vkg_executor_thread_count(const vkg_executor *executor);
/* Frame slots: vkg_executor_desc.frames_in_flight resolved. */
uint32_t vkg_executor_frame_slot_count(const vkg_executor *executor);

/* Frames. Outside a begin/end pair every vkg_execute is a frame of its own. Between them,
 * every vkg_execute belongs to one frame: they share a frame slot (command pools, transient
 * memory), and each plan may run at most once. Beginning frame N waits on the host for the
 * slot's work of frame N - frames_in_flight. */
VKG_MUST_CHECK vkg_result vkg_executor_begin_frame(vkg_executor *executor);
VKG_MUST_CHECK vkg_result vkg_executor_end_frame(vkg_executor *executor);

/* What the last vkg_execute did (zeros before the first). Same thread as vkg_execute. */
typedef struct vkg_executor_stats {
    uint64_t executions;       /* successful vkg_execute calls */
    uint32_t submissions;      /* VkSubmitInfo2 batches of the last execution */
    uint32_t command_buffers;  /* primary command buffers in them */
    uint32_t threads_used;     /* recording threads that took part */
    /* Of the last execution: barrier structures recorded (image + buffer + memory, after
     * folding and eliding; split-barrier events not counted) and vkCmdPipelineBarrier2 calls */
    uint32_t barriers, barrier_calls;
    uint64_t views_created;    /* image views made so far (imported images' views are cached
                                  per use for the last 4 images bound) */
    uint64_t heap_handoffs;    /* so far: executions' heaps taken over from another plan */
    uint32_t transient_heaps;  /* now, over all frame slots: heaps held ... */
    VkDeviceSize transient_bytes; /* ... and their bytes */
    /* Of the last execution: imported subresources whose tracked state was looked at to
     * build or keep their first-use barriers. 0 once a plan's executions repeat with the same
     * bindings and nothing else (another plan, an upload, a readback) changed a tracked state
     * in between: the barriers built before are then reused without looking (docs/executor.md) */
    uint32_t imported_checked;
} vkg_executor_stats;
/* Counters of the executor. Same thread rules as the executor. */
void vkg_executor_get_stats(const vkg_executor *executor, vkg_executor_stats *out);

/* GPU time of one pass of one execution (vkg_executor_desc.pass_timings). Timestamps are
 * in nanoseconds of the device's timestamp clock: compare them within one queue; across
 * queues only where the device's clocks agree (they do on the drivers we test). */
typedef struct vkg_pass_timing {
    bool valid; /* false: no record callback, or its queue family has no timestamps */
    uint64_t begin_ns, end_ns;
} vkg_pass_timing;

/* Fills out[k] for pass k of the plan's execution that `ticket` names (count: the plan's
 * pass_count). Read them after the ticket completes and before the plan executes again in
 * the same frame slot (frames_in_flight executions of the executor later): a frame loop
 * reads them right after waiting for the slot's last ticket. VKG_NOT_READY while the ticket
 * is pending; VKG_ERROR_INVALID_ARGUMENT, naming the rule, when the executor has no
 * timings, count differs, or the ticket's timings are gone. Same thread rules as the
 * executor. */
VKG_MUST_CHECK vkg_result vkg_executor_pass_timings(vkg_executor *executor, const vkg_plan *plan,
                                                    vkg_ticket ticket, vkg_pass_timing *out,
                                                    uint32_t count);

/* A profiler gathers pass timings over executions: per pass the number of samples and the
 * mean, minimum and maximum GPU time, and optionally a Chrome trace (chrome://tracing or
 * ui.perfetto.dev) written as executions are added: a CPU track with the vkg_execute calls
 * and a GPU track per plan queue with the passes, names escaped. Executions of several
 * plans may be added; statistics are kept by pass index. Same thread rules as the executor
 * it reads from. */
typedef struct vkg_profiler vkg_profiler;

typedef struct vkg_profiler_desc {
    FILE *trace; /* the trace is written here (the caller opens and closes it); NULL: none */
} vkg_profiler_desc;

typedef struct vkg_pass_time {
    uint32_t samples; /* executions that timed the pass */
    double mean_us, min_us, max_us;
} vkg_pass_time;

VKG_MUST_CHECK vkg_result vkg_profiler_create(vkg_device *device, const vkg_profiler_desc *desc,
                                              vkg_profiler **out);
/* Adds the completed execution `ticket` of `plan` (vkg_executor_pass_timings's rules and
 * results). `cpu_begin_us` and `cpu_us`: when the vkg_execute call began (any clock in
 * microseconds; the trace counts from the first execution's) and how long it took. */
VKG_MUST_CHECK vkg_result vkg_profiler_add(vkg_profiler *profiler, vkg_executor *executor,
                                           const vkg_plan *plan, vkg_ticket ticket,
                                           double cpu_begin_us, double cpu_us);
/* Statistics of pass index `pass` (zeros where no execution timed it). */
void vkg_profiler_pass_time(const vkg_profiler *profiler, uint32_t pass, vkg_pass_time *out);
/* Executions added so far. */
uint64_t vkg_profiler_execution_count(const vkg_profiler *profiler);
/* Ends the trace's JSON and flushes it: VKG_ERROR_IO when a write failed. No further adds. */
VKG_MUST_CHECK vkg_result vkg_profiler_finish(vkg_profiler *profiler);
/* Finishes the trace if that was not done, and frees the profiler. NULL is a no-op. */
void vkg_profiler_destroy(vkg_profiler *profiler);

/* An imported graph resource bound to a device object for one execution. */
typedef struct vkg_binding {
    vkg_resource resource; /* graph handle (vkg_graph_find_resource gives it by name) */
    vkg_buffer buffer;     /* for a buffer resource */
    vkg_image image;       /* for an image resource (vkg_image_import wraps swapchain images) */
    /* Hand-over with another party, e.g. a swapchain image: the submission holding the
     * resource's first use waits for `wait_semaphore` (binary; vkAcquireNextImageKHR's) at
     * `wait_stage` (0: the first use's stages), and that use's barrier, layout transition
     * included, is chained after the wait; the submission holding its last use (the
     * `present` pass) signals `signal_semaphore` (binary; for vkQueuePresentKHR) once all
     * its work is done. VK_NULL_HANDLE: none. */
    VkSemaphore wait_semaphore;
    VkPipelineStageFlags2 wait_stage;
    VkSemaphore signal_semaphore;
} vkg_binding;

typedef struct vkg_execute_desc {
    vkg_executor *executor;
    const vkg_binding *bindings; /* every imported resource a live pass uses */
    uint32_t binding_count;
} vkg_execute_desc;

/* Records and submits the plan. `*ticket` (optional) names the whole execution: when it
 * completes, every submission of the execution has (on several queues, an empty batch on the
 * last one waits for the others and signals it). Imported resources another queue family
 * owns than the plan assumed (the uploader's transfer queue, last frame's compute pass) are
 * handed over by the executor: a release on a queue of the owning family, the acquire in
 * the plan's first use, a semaphore between; nothing to declare. Errors name the pass or
 * resource: a missing, stale or mismatched binding, a plan compiled for other queue
 * families, device errors. */
VKG_MUST_CHECK vkg_result vkg_execute(const vkg_plan *plan, const vkg_execute_desc *desc,
                                      vkg_ticket *ticket);

/* --- inside a pass's record callback ----------------------------------------------------- */

/* The command buffer this pass records into (its barriers are already in it). */
VkCommandBuffer vkg_pass_command_buffer(const vkg_pass_context *ctx);
/* volk's struct VolkDeviceTable for the device (include <volk.h> to call through it). */
const struct VolkDeviceTable *vkg_pass_device_table(const vkg_pass_context *ctx);
/* The device the plan runs on. */
vkg_device *vkg_pass_device(const vkg_pass_context *ctx);
/* This pass's name and plan index. */
const char *vkg_pass_name(const vkg_pass_context *ctx);
uint32_t vkg_pass_index(const vkg_pass_context *ctx);
/* The recording thread running this callback, in [0, vkg_executor_thread_count): index
 * per-thread state (descriptor pools, scratch) with it. */
uint32_t vkg_pass_thread(const vkg_pass_context *ctx);
/* The executor's frame slot this execution records in, in [0, vkg_executor_frame_slot_count):
 * index per-frame state (a descriptor pool, a uniform buffer range) with it. When the callback
 * runs, the work this slot recorded before has finished on the GPU, so that state may be reset
 * and reused. Callbacks of one execution run on several threads when it has more than one
 * recording thread (vkg_executor_desc.record_threads): pair the slot with vkg_pass_thread for
 * state a callback writes. */
uint32_t vkg_pass_frame_slot(const vkg_pass_context *ctx);
/* Resolved handles of a graph resource (VK_NULL_HANDLE for the other kind). */
VkBuffer vkg_pass_buffer(const vkg_pass_context *ctx, vkg_resource resource);
VkDeviceAddress vkg_pass_buffer_address(const vkg_pass_context *ctx, vkg_resource resource);
VkImage vkg_pass_image(const vkg_pass_context *ctx, vkg_resource resource);
/* A view of exactly the mips and layers use `use_index` of this pass declared. */
VkImageView vkg_pass_use_view(const vkg_pass_context *ctx, uint32_t use_index);

/* Dynamic rendering over this pass's attachment uses, in declaration order (color uses
 * become color attachments, the depth use the depth attachment, the stencil use the stencil
 * attachment; resolve_write uses resolve the multisampled color attachments in order:
 * averaged, or sample 0 for integer formats). Load and store ops come
 * from the graph: contents nobody wrote before are cleared (to `clear`) or not loaded,
 * contents nobody reads later (and not imported or output) are not stored. The render area
 * is the first attachment's mip extent. */
typedef struct vkg_rendering_desc {
    VkClearColorValue clear_color; /* for attachments whose contents start undefined */
    float clear_depth;
    bool clear; /* false: DONT_CARE instead of CLEAR for undefined contents */
    uint32_t clear_stencil;
} vkg_rendering_desc;
void vkg_pass_begin_rendering(const vkg_pass_context *ctx, const vkg_rendering_desc *desc);
/* vkCmdEndRendering; call it in the same pass, after vkg_pass_begin_rendering. */
void vkg_pass_end_rendering(const vkg_pass_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* VKGRAPH_H_ */
