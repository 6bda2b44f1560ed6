/* Internal view of vkg_device, shared by the modules that may use the device. */
#ifndef VKG_DEVICE_DEVICE_H_
#define VKG_DEVICE_DEVICE_H_

#include <pthread.h>
#include <stdatomic.h>

#include "loader.h"
#include "memory.h"

/* GPU-side state of an imported subresource (an image mip x layer, or a whole buffer), as
 * the executor left it: what the next use must wait for. */
typedef struct vkg__track {
    /* (what the executor reads each execution first: 48 bytes) */
    VkPipelineStageFlags2 write_stage, read_stage; /* last write (or transition), reads since */
    VkAccessFlags2 write_access;
    vkg_ticket ticket; /* submission of the last use */
    VkImageLayout layout;
    uint32_t family; /* owning queue family; VK_QUEUE_FAMILY_IGNORED before any use */
    uint64_t used[VKG_QUEUE_ROLE_COUNT]; /* last use per device queue (destruction waits) */
} vkg__track;

/* Tracked-state writes left for later (settle.c). An executor whose plan runs again with the
 * same objects in the same tracked states (nothing but its own tickets would change) does
 * not write each imported resource's last-use ticket: it queues itself, and whoever reads
 * tracked state (ticket or used[]) settles the queue first, under dev->lock: the uploader
 * and readbacks (vkg__piece_target), destruction (vkg__fold_used), vkg__track_use, and
 * executors that look at tracked states. `flush` writes what was left; the entry is off the
 * queue when it is called. */
typedef struct vkg__deferred {
    struct vkg__deferred *prev, *next;
    bool pending;
    void (*flush)(struct vkg__deferred *d);
} vkg__deferred;

/* Under dev->lock: queues `d` last (moving it there if queued); flushes `d` now if queued
 * (with the entries queued before it, so that tickets never go back); flushes every queued
 * entry, oldest first. */
void vkg__defer(vkg_device *dev, vkg__deferred *d);
void vkg__settle_one(vkg_device *dev, vkg__deferred *d);
void vkg__tracks_settle(vkg_device *dev);

/* exec/ownership.c, under dev->lock: records on a track that `a` was made by the submission `ticket`
 * on queue family `family` (the executor after each submission, the uploader after a copy),
 * bumping dev->track_changes where that changes what barriers are built from. */
void vkg__track_use(vkg_device *dev, vkg__track *t, const vkg_access_info *a, bool is_image,
                    uint32_t family, vkg_ticket ticket);

/* Where a buffer, image or view sits in its scope (lifetime.c); scope NULL: none. */
typedef struct vkg__scoped {
    struct vkg_scope *scope;
    uint32_t index;
} vkg__scoped;

typedef struct vkg__buffer_rec {
    vkg__track track; /* first: executions read and write it, and little else, each frame */
    VkBuffer buffer;
    VkDeviceSize size;
    VkBufferUsageFlags usage;
    VkDeviceAddress address;
    vkg_allocation allocation;
    VkDeviceSize memory_offset; /* within the allocation */
    bool owns_allocation;
    bool concurrent; /* VK_SHARING_MODE_CONCURRENT: no ownership to track */
    vkg__scoped scoped;
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
    bool owns_image;     /* false for vkg_image_import: the VkImage is the user's */
    bool concurrent;     /* VK_SHARING_MODE_CONCURRENT: no ownership to track */
    uint32_t view_count; /* live vkg_views of this image */
    vkg__track *track;   /* planes x mips x layers (vkg__image_subresources), plane-major */
    vkg__scoped scoped;
    char name[64];
} vkg__image_rec;

/* Tracked subresources of an image: a format with depth and stencil keeps a state per plane
 * (0 depth, 1 stencil), as the compiler does. */
static inline uint32_t vkg__image_subresources(const vkg__image_rec *im)
{
    return vkg__plane_count(im->aspect) * im->mips * im->layers;
}

typedef struct vkg__view_rec {
    VkImageView view;
    vkg_image image;
    vkg__scoped scoped;
    char name[64];
} vkg__view_rec;

/* What is asynchronous on top of the device (src/async: completion queues, their watcher
 * thread, tasks) registers these hooks when it starts; the device and its lifetimes call up
 * only through them, so no file below src/async includes or calls it. */
typedef struct vkg__async_hooks {
    void (*wake)(vkg_device *dev);    /* lifetime.c: a deferral needs the watcher's attention */
    void (*destroy)(vkg_device *dev); /* device.c: stop everything before the timelines go */
} vkg__async_hooks;

/* lost.c: what an executor keeping breadcrumbs adds to the device-lost report. */
typedef void (*vkg__lost_reporter_fn)(void *user, vkg__text *t);
typedef struct vkg__lost_reporter {
    vkg__lost_reporter_fn fn;
    void *user;
} vkg__lost_reporter;

struct vkg_device {
    vkg__host host;
    bool owns_device; /* created (true) or imported (false) */
    bool families_simulated; /* VK_LAYER_VKGRAPH_simulate_families is enabled */
    bool host_query_reset;   /* vkResetQueryPool enabled (executor pass timings) */
    vkg_sharing sharing;     /* the default of objects created with VKG_SHARING_DEFAULT */
    vkg__loader loader;
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    const VkAllocationCallbacks *vkac;
    struct VolkDeviceTable vk;
    VkDebugUtilsMessengerEXT messenger;
    atomic_uint validation_count;
    /* a layer may keep its own record of completed submissions, fed by host waits: the
     * validation layer vkgraph enabled, layers from the environment, or an imported device's
     * (unknown). Reaping completions then tells it with a zero-timeout wait (async/cq.c). */
    bool layers_track_waits;
    atomic_bool lost;
    /* lost.c: reporters (under report_lock, which is never held while taking another lock
     * of the device), and whether the loss was logged */
    pthread_mutex_t report_lock;
    vkg__lost_reporter *reporters;
    uint32_t reporter_count, reporter_cap;
    atomic_bool lost_logged;
    atomic_bool lost_real; /* a Vulkan call said VK_ERROR_DEVICE_LOST (not vkg_device_debug_lose) */
    vkg_caps caps;
    struct {
        VkQueue queue;
        uint32_t family;
    } queues[VKG_QUEUE_ROLE_COUNT];

    /* One per distinct VkQueue (split: one per role); its timeline semaphore counts its
     * submissions. Device queues split from one VkQueue share the first one's lock. */
    struct vkg__dqueue {
        VkQueue queue;
        uint32_t family;
        VkSemaphore timeline;
        uint64_t submitted; /* last value a submission signals; under the lock */
        pthread_mutex_t lock; /* serialises vkQueueSubmit2 on the VkQueue */
        uint32_t lock_of;     /* the device queue whose `lock` guards this one */
    } dq[VKG_QUEUE_ROLE_COUNT];
    uint32_t dq_count;
    uint32_t role_dq[VKG_QUEUE_ROLE_COUNT];

    struct vkg__watcher *watcher; /* async/cq.c: started by the first completion queue */
    vkg__async_hooks async;       /* set by async/cq.c with the watcher (under lock) */
    bool (*doom[4])(vkg_device *dev, uint32_t id, const uint64_t *extra); /* per VKG__KIND_ */

    pthread_mutex_t lock; /* guards the pools, the memory allocator, starting the watcher */
    bool lock_ready;
    vkg__memory memory;
    vkg__pool buffers, images, views;
    /* exec/ownership.c: bumped (under `lock`) whenever a tracked state changes in what an
     * executor builds barriers from (vkg__track_use): while it is unchanged, barriers built
     * from tracked states stand. Read without the lock. */
    _Atomic uint64_t track_changes;
    vkg__deferred *deferred_first, *deferred_last; /* settle.c, under `lock` */

    /* lifetime.c, under `lock`: the deletion queue, open scopes, device frames */
    struct vkg__doom *doomed;
    uint32_t doomed_count, doomed_cap;
    uint64_t completed[VKG_QUEUE_ROLE_COUNT]; /* timeline values known complete */
    struct vkg_scope *scopes;                 /* open scopes, a list */
    uint32_t scope_count;
    struct vkg_scope *frame_scope;            /* reused by every frame */
    uint64_t deferred, released;
    /* frames: touched only by the frame loop's thread (vkg_frame_*) */
    uint32_t frames_in_flight;
    uint64_t frame;
    bool in_frame;
    uint64_t frame_end[VKG_MAX_FRAMES_IN_FLIGHT][VKG_QUEUE_ROLE_COUNT];
};

/* lost.c: marks the device lost (sticky) and logs the lost report the first time; reporters
 * join and leave the report (an executor with breadcrumbs, for its life). */
void vkg__device_lost(vkg_device *dev, bool real);
vkg_result vkg__lost_reporter_add(vkg_device *dev, vkg__lost_reporter_fn fn, void *user);
void vkg__lost_reporter_remove(vkg_device *dev, vkg__lost_reporter_fn fn, void *user);

/* The stages a command on a queue of `family` may name: a heap's stages gathered over every
 * queue (a graphics pass's attachment output, say) become ALL_COMMANDS on a compute or
 * transfer family, which cannot name them (VUID-vkCmdPipelineBarrier2-srcStageMask-03849,
 * VUID-vkQueueSubmit2-stageMask-03870). */
static inline VkPipelineStageFlags2 vkg__family_stage_mask(const vkg_device *dev, uint32_t family)
{
    VkQueueFlags f = dev->caps.queue_families[family].flags;
    if (f & VK_QUEUE_GRAPHICS_BIT) return ~(VkPipelineStageFlags2)0;
    VkPipelineStageFlags2 ok =
        VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT | VK_PIPELINE_STAGE_2_BOTTOM_OF_PIPE_BIT |
        VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_2_HOST_BIT |
        VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT | VK_PIPELINE_STAGE_2_COPY_BIT |
        VK_PIPELINE_STAGE_2_CLEAR_BIT;
    if (f & VK_QUEUE_COMPUTE_BIT)
        ok |= VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_2_DRAW_INDIRECT_BIT;
    return ok;
}

/* `stages` as a family whose stage mask is `ok` may name them. */
static inline VkPipelineStageFlags2 vkg__stages_within(VkPipelineStageFlags2 ok, VkPipelineStageFlags2 stages)
{
    return (stages & ~ok) ? VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT : stages;
}

static inline VkPipelineStageFlags2 vkg__family_stages(const vkg_device *dev, uint32_t family,
                                                       VkPipelineStageFlags2 stages)
{
    return vkg__stages_within(vkg__family_stage_mask(dev, family), stages);
}

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

/* queue.c: per-queue timeline semaphores (created with the device) */
vkg_result vkg__timelines_create(vkg_device *dev);
void vkg__timelines_destroy(vkg_device *dev);
/* lifetime.c: deferred destruction. Kinds of scoped objects and of deletion-queue entries. */
enum { VKG__KIND_BUFFER = 1, VKG__KIND_IMAGE, VKG__KIND_VIEW, VKG__KIND_CALLBACK };
/* Under dev->lock. Adds an object to a scope (NULL: none); errors (logged, naming the
 * object): another device's scope, the frame scope outside a frame, out of memory. */
vkg_result vkg__scope_add(vkg_device *dev, struct vkg_scope *scope, uint8_t kind, uint32_t id,
                          const char *name, vkg__scoped *where);
/* Under dev->lock. Takes the object out of its scope, if any. */
void vkg__scope_remove(vkg_device *dev, vkg__scoped *where);
/* Under dev->lock. The per-queue maximum of the tracks' last uses, into after[] (max with
 * what after[] holds). */
void vkg__fold_used(vkg_device *dev, const vkg__track *tracks, uint32_t count, uint64_t *after);
/* Under dev->lock. Destroys (now, or once `after` completes) a record's Vulkan objects: the
 * record itself is already freed. */
typedef struct vkg__doom {
    uint64_t after[VKG_QUEUE_ROLE_COUNT];
    uint8_t kind;
    bool owns_allocation, owns_image;
    VkBuffer buffer;
    VkImage image;
    VkImageView view;
    vkg_allocation allocation;
    void (*callback)(void *user, vkg_result result);
    void *user;
} vkg__doom;
void vkg__doom_push(vkg_device *dev, const vkg__doom *doom);
/* Under dev->lock: destroy a live object by id (stale ids are ignored), with `extra` (may be
 * NULL) as further completion values to wait for; resource.c. Return false when refused
 * (an image with live views), having logged why. */
bool vkg__buffer_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra);
bool vkg__image_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra);
bool vkg__view_doom_locked(vkg_device *dev, uint32_t id, const uint64_t *extra);
/* How lifetime.c reaches them without depending on resource.c: the device's table of them,
 * per scoped kind, filled at device creation (device.c). */
typedef bool (*vkg__doom_fn)(vkg_device *dev, uint32_t id, const uint64_t *extra);
/* Device destruction, after vkDeviceWaitIdle: releases the whole deletion queue and frees
 * the scopes (their objects are left to vkg__resources_destroy_all). */
void vkg__retire_all(vkg_device *dev);
/* Whether a ticket names a queue of the device and a value it issued (value 0 always);
 * if not, logs why, naming `call`. */
bool vkg__ticket_valid(vkg_device *dev, vkg_ticket t, const char *call);
/* The lock guarding device queue q's submissions and `submitted`. */
static inline pthread_mutex_t *vkg__dq_mutex(vkg_device *dev, uint32_t q)
{
    return &dev->dq[dev->dq[q].lock_of].lock;
}
/* Locks (unlocks) the locks of every device queue with used[q], each lock once and in index
 * order, so that several callers never deadlock. */
void vkg__dq_lock_set(vkg_device *dev, const bool *used);
void vkg__dq_unlock_set(vkg_device *dev, const bool *used);

/* dev->lock, which guards the device's records, scopes and deletion queue */
#define VKG__LOCK(dev) pthread_mutex_lock(&(dev)->lock)
#define VKG__UNLOCK(dev) pthread_mutex_unlock(&(dev)->lock)

/* caps.c: the physical device's capabilities, the feature chains of device creation, picking
 * a device by name */
typedef struct vkg__feature_chain {
    VkPhysicalDeviceFeatures2 f2;
    VkPhysicalDeviceVulkan11Features f11;
    VkPhysicalDeviceVulkan12Features f12;
    VkPhysicalDeviceVulkan13Features f13;
    /* extension features: chained only where the device offers the extension */
    VkPhysicalDeviceMeshShaderFeaturesEXT mesh;
    VkPhysicalDeviceAccelerationStructureFeaturesKHR as;
    VkPhysicalDeviceRayTracingPipelineFeaturesKHR rt;
    VkPhysicalDeviceRayQueryFeaturesKHR rq;
    VkPhysicalDeviceFaultFeaturesEXT fault;
} vkg__feature_chain;

/* Which of the optional extensions behind access rows the device offers. */
typedef struct vkg__row_exts {
    bool mesh, as, rt, rq;
    bool fault; /* not a row's: VK_EXT_device_fault, for the lost report */
} vkg__row_exts;
void vkg__feature_chain_init(vkg__feature_chain *c, const vkg__row_exts *x);
bool vkg__has_extension(const VkExtensionProperties *exts, uint32_t count,
                               const char *name);
uint32_t vkg__pick(const vkg_physical_device_info *infos, uint32_t count,
                          const char *want);
vkg__row_exts vkg__row_exts_of_caps(const vkg_caps *c);
const char *vkg__wanted_name(const vkg_device_desc *desc);

#endif
