/* Device-memory suballocator.
 *
 * Why our own: Debian 12 packages no Vulkan Memory Allocator, and vkgraph needs little of
 * it: blocks per memory type, a fast placement allocator inside each block, dedicated
 * allocations, bufferImageGranularity, persistent mapping, raw ranges to alias resources in.
 *
 * Placement inside a block is TLSF (two-level segregated fit, Masmano et al. 2004): O(1)
 * allocate and free with bounded fragmentation (good fit: a request takes the smallest
 * size class guaranteed to hold it). A buddy allocator is O(log n) too but wastes up to half
 * of every allocation to power-of-two rounding, which for render targets (1920x1080x4 =
 * 7.9 MiB -> 8 MiB is fine, 2560x1440x8 = 28 MiB -> 32 MiB is not) costs real memory.
 * Nodes live outside device memory (it may not be host visible): index-linked arrays.
 *
 * bufferImageGranularity: optimal-tiling allocations get their offset and size rounded to
 * the granularity, so every granularity page an optimal resource touches is its own; a
 * linear resource can then never share a page with it (spec 12.7 "Resource Memory
 * Association", bufferImageGranularity). Linear allocations need no rounding.
 *
 * The core calls the device only through vkg__mem_backend, so the same code runs under a
 * model in tests and benchmarks. Not thread-safe: the device serialises calls.
 */
#ifndef VKG_DEVICE_MEMORY_H_
#define VKG_DEVICE_MEMORY_H_

#include "../util/util.h"

#define VKG__TLSF_SL_LOG2 5u
#define VKG__TLSF_SL_COUNT (1u << VKG__TLSF_SL_LOG2)
#define VKG__TLSF_FL_COUNT (64u - VKG__TLSF_SL_LOG2 + 1u)
#define VKG__MEM_MIN_ALIGN 16u
#define VKG__MEM_NONE UINT32_MAX

typedef struct vkg__mem_request {
    uint32_t memory_type;
    VkDeviceSize size;
    bool dedicated;
    VkBuffer dedicated_buffer; /* for VkMemoryDedicatedAllocateInfo, may be null */
    VkImage dedicated_image;
} vkg__mem_request;

typedef struct vkg__mem_backend {
    void *user;
    /* Allocates (and for host-visible types maps) one VkDeviceMemory. */
    VkResult (*allocate)(void *user, const vkg__mem_request *req, VkDeviceMemory *out_memory,
                         void **out_mapped);
    void (*release)(void *user, uint32_t memory_type, VkDeviceMemory memory, void *mapped);
} vkg__mem_backend;

typedef struct vkg__mem_node {
    VkDeviceSize offset, size;
    uint32_t prev_phys, next_phys; /* neighbours in the block by address */
    uint32_t prev_free, next_free; /* bucket list while free; next_free links the node
                                      free list while the node is unused */
    uint32_t block;
    uint8_t is_free;
} vkg__mem_node;

typedef struct vkg__mem_block {
    VkDeviceMemory memory;
    void *mapped;
    VkDeviceSize size;
    VkDeviceSize used; /* bytes in allocated nodes */
    uint32_t memory_type;
    uint32_t allocation_count;
    uint32_t first_node; /* lowest address */
    bool dedicated;
    bool in_use; /* slot taken */
    uint64_t fl_bitmap;
    uint32_t sl_bitmap[VKG__TLSF_FL_COUNT];
    uint32_t heads[VKG__TLSF_FL_COUNT][VKG__TLSF_SL_COUNT];
} vkg__mem_block;

typedef struct vkg__mem_alloc {
    uint32_t block;
    uint32_t node;
    VkDeviceSize offset; /* aligned start handed to the user */
    VkDeviceSize size;   /* size handed to the user (after rounding) */
    char name[48];
} vkg__mem_alloc;

typedef struct vkg__memory_config {
    uint32_t memory_type_count;
    vkg_memory_type_caps memory_types[VKG_MAX_MEMORY_TYPES];
    uint32_t memory_heap_count;
    vkg_memory_heap_caps memory_heaps[VKG_MAX_MEMORY_HEAPS];
    VkDeviceSize buffer_image_granularity;
    VkDeviceSize non_coherent_atom_size;
    VkDeviceSize block_size;      /* 0: default */
    VkDeviceSize heap_size_limit; /* 0: none */
} vkg__memory_config;

typedef struct vkg__memory {
    const vkg__host *host;
    vkg__mem_backend backend;
    vkg__memory_config config;
    VkDeviceSize preferred_block[VKG_MAX_MEMORY_HEAPS];
    VkDeviceSize heap_reserved[VKG_MAX_MEMORY_HEAPS];
    VkDeviceSize heap_limit[VKG_MAX_MEMORY_HEAPS];

    vkg__mem_block *blocks;
    uint32_t block_count, block_capacity;
    uint32_t type_block_count[VKG_MAX_MEMORY_TYPES]; /* non-dedicated blocks, for growth */

    vkg__mem_node *nodes;
    uint32_t node_count, node_capacity;
    uint32_t free_node; /* list of unused node slots */

    vkg__pool allocs; /* vkg__mem_alloc, handles are vkg_allocation ids */
    VkResult last_driver_error; /* of the current vkg__memory_alloc call, for its message */
} vkg__memory;

void vkg__memory_init(vkg__memory *mem, const vkg__host *host, const vkg__memory_config *config,
                      const vkg__mem_backend *backend);
/* Releases every block; live allocations are reported at WARN by name. */
void vkg__memory_destroy(vkg__memory *mem);

/* Memory types allowed by `type_bits` for `usage`, best first. Returns the count. */
uint32_t vkg__memory_rank_types(const vkg__memory_config *config, uint32_t type_bits,
                                vkg_memory_usage usage, uint32_t out[VKG_MAX_MEMORY_TYPES]);

typedef struct vkg__mem_alloc_desc {
    const char *name;
    VkMemoryRequirements requirements;
    vkg_memory_usage usage;
    vkg_resource_tiling tiling;
    bool dedicated;
    VkBuffer dedicated_buffer;
    VkImage dedicated_image;
} vkg__mem_alloc_desc;

vkg_result vkg__memory_alloc(vkg__memory *mem, const vkg__mem_alloc_desc *desc,
                             vkg_allocation *out);
void vkg__memory_free(vkg__memory *mem, vkg_allocation allocation);
/* NULL for an invalid or stale handle. */
const vkg__mem_alloc *vkg__memory_get(const vkg__memory *mem, vkg_allocation allocation);
bool vkg__memory_info(const vkg__memory *mem, vkg_allocation allocation,
                      vkg_allocation_info *out);
void vkg__memory_stats(const vkg__memory *mem, vkg_memory_stats *out);

#endif
