#include "memory.h"

#include <stdio.h>

/* ------------------------------------------------------------------------------------------
 * TLSF size classes
 * ---------------------------------------------------------------------------------------- */

static inline uint32_t vkg__log2_floor(VkDeviceSize v)
{
    return 63u - (uint32_t)__builtin_clzll(v);
}

/* Size class of a free range of `size` bytes: the class whose lower bound is <= size. */
static void vkg__tlsf_mapping(VkDeviceSize size, uint32_t *fl, uint32_t *sl)
{
    if (size < VKG__TLSF_SL_COUNT) {
        *fl = 0;
        *sl = (uint32_t)size;
        return;
    }
    uint32_t l = vkg__log2_floor(size);
    *fl = l - VKG__TLSF_SL_LOG2 + 1u;
    *sl = (uint32_t)(size >> (l - VKG__TLSF_SL_LOG2)) ^ VKG__TLSF_SL_COUNT;
}

/* Rounds a request up to the next class boundary, so that every range in the class found
 * is large enough ("good fit"). */
static VkDeviceSize vkg__tlsf_round(VkDeviceSize size)
{
    if (size < VKG__TLSF_SL_COUNT) return size;
    uint32_t l = vkg__log2_floor(size);
    VkDeviceSize step = (VkDeviceSize)1 << (l - VKG__TLSF_SL_LOG2);
    if (size > UINT64_MAX - step) return UINT64_MAX;
    return (size + step - 1u) & ~(step - 1u);
}

static inline VkDeviceSize vkg__align_up(VkDeviceSize v, VkDeviceSize a)
{
    return (v + a - 1u) & ~(a - 1u);
}

/* ------------------------------------------------------------------------------------------
 * Nodes
 * ---------------------------------------------------------------------------------------- */

static uint32_t vkg__node_new(vkg__memory *mem)
{
    uint32_t n;
    if (mem->free_node != VKG__MEM_NONE) {
        n = mem->free_node;
        mem->free_node = mem->nodes[n].next_free;
    } else {
        if (!vkg__grow(mem->host, (void **)&mem->nodes, &mem->node_capacity,
                       mem->node_count + 1, sizeof(vkg__mem_node)))
            return VKG__MEM_NONE;
        n = mem->node_count++;
    }
    memset(&mem->nodes[n], 0, sizeof mem->nodes[n]);
    mem->nodes[n].prev_phys = mem->nodes[n].next_phys = VKG__MEM_NONE;
    mem->nodes[n].prev_free = mem->nodes[n].next_free = VKG__MEM_NONE;
    return n;
}

static void vkg__node_release(vkg__memory *mem, uint32_t n)
{
    mem->nodes[n].next_free = mem->free_node;
    mem->free_node = n;
}

static void vkg__free_insert(vkg__memory *mem, vkg__mem_block *b, uint32_t n)
{
    vkg__mem_node *node = &mem->nodes[n];
    uint32_t fl, sl;
    vkg__tlsf_mapping(node->size, &fl, &sl);
    node->is_free = 1;
    node->prev_free = VKG__MEM_NONE;
    node->next_free = b->heads[fl][sl];
    if (node->next_free != VKG__MEM_NONE) mem->nodes[node->next_free].prev_free = n;
    b->heads[fl][sl] = n;
    b->fl_bitmap |= 1ull << fl;
    b->sl_bitmap[fl] |= 1u << sl;
}

static void vkg__free_remove(vkg__memory *mem, vkg__mem_block *b, uint32_t n)
{
    vkg__mem_node *node = &mem->nodes[n];
    uint32_t fl, sl;
    vkg__tlsf_mapping(node->size, &fl, &sl);
    if (node->prev_free != VKG__MEM_NONE)
        mem->nodes[node->prev_free].next_free = node->next_free;
    else
        b->heads[fl][sl] = node->next_free;
    if (node->next_free != VKG__MEM_NONE)
        mem->nodes[node->next_free].prev_free = node->prev_free;
    if (b->heads[fl][sl] == VKG__MEM_NONE) {
        b->sl_bitmap[fl] &= ~(1u << sl);
        if (!b->sl_bitmap[fl]) b->fl_bitmap &= ~(1ull << fl);
    }
    node->is_free = 0;
    node->prev_free = node->next_free = VKG__MEM_NONE;
}

/* First free node in a class that guarantees `size`, or NONE. */
static uint32_t vkg__tlsf_find(const vkg__mem_block *b, VkDeviceSize size)
{
    VkDeviceSize rounded = vkg__tlsf_round(size);
    if (rounded == UINT64_MAX) return VKG__MEM_NONE;
    uint32_t fl, sl;
    vkg__tlsf_mapping(rounded, &fl, &sl);
    if (fl >= VKG__TLSF_FL_COUNT) return VKG__MEM_NONE;
    uint32_t sl_map = b->sl_bitmap[fl] & (~0u << sl);
    if (!sl_map) {
        uint64_t fl_map = fl + 1 < 64 ? b->fl_bitmap & (~0ull << (fl + 1)) : 0;
        if (!fl_map) return VKG__MEM_NONE;
        fl = (uint32_t)__builtin_ctzll(fl_map);
        sl_map = b->sl_bitmap[fl];
    }
    sl = (uint32_t)__builtin_ctz(sl_map);
    return b->heads[fl][sl];
}

/* Splits `n` so that it keeps `size` bytes; the tail becomes a new free node.
 * Returns false only when no node could be allocated (n is left whole). */
static bool vkg__node_split(vkg__memory *mem, vkg__mem_block *b, uint32_t n, VkDeviceSize size)
{
    uint32_t t = vkg__node_new(mem);
    if (t == VKG__MEM_NONE) return false;
    vkg__mem_node *node = &mem->nodes[n], *tail = &mem->nodes[t];
    tail->offset = node->offset + size;
    tail->size = node->size - size;
    tail->block = node->block;
    tail->prev_phys = n;
    tail->next_phys = node->next_phys;
    if (node->next_phys != VKG__MEM_NONE) mem->nodes[node->next_phys].prev_phys = t;
    node->next_phys = t;
    node->size = size;
    vkg__free_insert(mem, b, t);
    return true;
}

/* Merges the node after `a` (by address) into `a`; returns a. */
static uint32_t vkg__node_absorb_next(vkg__memory *mem, uint32_t a)
{
    vkg__mem_node *na = &mem->nodes[a];
    uint32_t nb = na->next_phys;
    vkg__mem_node *next = &mem->nodes[nb];
    na->size += next->size;
    na->next_phys = next->next_phys;
    if (next->next_phys != VKG__MEM_NONE) mem->nodes[next->next_phys].prev_phys = a;
    vkg__node_release(mem, nb);
    return a;
}

/* ------------------------------------------------------------------------------------------
 * Blocks
 * ---------------------------------------------------------------------------------------- */

static void vkg__block_reset_lists(vkg__mem_block *b)
{
    b->fl_bitmap = 0;
    memset(b->sl_bitmap, 0, sizeof b->sl_bitmap);
    memset(b->heads, 0xff, sizeof b->heads);
}

static uint32_t vkg__block_slot(vkg__memory *mem)
{
    for (uint32_t i = 0; i < mem->block_count; i++)
        if (!mem->blocks[i].in_use) return i;
    if (!vkg__grow(mem->host, (void **)&mem->blocks, &mem->block_capacity, mem->block_count + 1,
                   sizeof(vkg__mem_block)))
        return VKG__MEM_NONE;
    /* the slot counts from now on even if the block's creation then fails: mark it free */
    mem->blocks[mem->block_count].in_use = false;
    return mem->block_count++;
}

static uint32_t vkg__type_heap(const vkg__memory *mem, uint32_t type)
{
    return mem->config.memory_types[type].heap;
}

/* Creates a block of `size` bytes in `type`, its whole range one free node (or, for a
 * dedicated block, nothing free: the caller takes the node). */
static vkg_result vkg__block_create(vkg__memory *mem, const vkg__mem_request *req,
                                    uint32_t *out_block)
{
    uint32_t heap = vkg__type_heap(mem, req->memory_type);
    if (mem->heap_reserved[heap] + req->size > mem->heap_limit[heap] ||
        mem->heap_reserved[heap] + req->size < mem->heap_reserved[heap])
        return VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    uint32_t slot = vkg__block_slot(mem);
    if (slot == VKG__MEM_NONE) return VKG_ERROR_OUT_OF_HOST_MEMORY;
    uint32_t n = vkg__node_new(mem);
    if (n == VKG__MEM_NONE) return VKG_ERROR_OUT_OF_HOST_MEMORY;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    void *mapped = NULL;
    VkResult vr = mem->backend.allocate(mem->backend.user, req, &memory, &mapped);
    if (vr != VK_SUCCESS) {
        mem->last_driver_error = vr;
        vkg__node_release(mem, n);
        return vr == VK_ERROR_OUT_OF_HOST_MEMORY ? VKG_ERROR_OUT_OF_HOST_MEMORY
                                                 : VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    vkg__mem_block *b = &mem->blocks[slot];
    memset(b, 0, sizeof *b);
    vkg__block_reset_lists(b);
    b->memory = memory;
    b->mapped = mapped;
    b->size = req->size;
    b->memory_type = req->memory_type;
    b->dedicated = req->dedicated;
    b->in_use = true;
    b->first_node = n;
    mem->nodes[n].offset = 0;
    mem->nodes[n].size = req->size;
    mem->nodes[n].block = slot;
    if (!req->dedicated) {
        vkg__free_insert(mem, b, n);
        mem->type_block_count[req->memory_type]++;
    }
    mem->heap_reserved[heap] += req->size;
    *out_block = slot;
    return VKG_SUCCESS;
}

static void vkg__block_destroy(vkg__memory *mem, uint32_t slot)
{
    vkg__mem_block *b = &mem->blocks[slot];
    mem->backend.release(mem->backend.user, b->memory_type, b->memory, b->mapped);
    mem->heap_reserved[vkg__type_heap(mem, b->memory_type)] -= b->size;
    if (!b->dedicated) mem->type_block_count[b->memory_type]--;
    for (uint32_t n = b->first_node; n != VKG__MEM_NONE;) {
        uint32_t next = mem->nodes[n].next_phys;
        vkg__node_release(mem, n);
        n = next;
    }
    b->in_use = false;
}

/* Places `size` bytes aligned to `align` in block `slot`; returns the node or NONE. */
static uint32_t vkg__block_place(vkg__memory *mem, uint32_t slot, VkDeviceSize size,
                                 VkDeviceSize align, bool *out_host_oom)
{
    vkg__mem_block *b = &mem->blocks[slot];
    VkDeviceSize search = size + (align > VKG__MEM_MIN_ALIGN ? align - VKG__MEM_MIN_ALIGN : 0);
    uint32_t n = vkg__tlsf_find(b, search);
    if (n == VKG__MEM_NONE) return VKG__MEM_NONE;
    vkg__free_remove(mem, b, n);
    VkDeviceSize pad = vkg__align_up(mem->nodes[n].offset, align) - mem->nodes[n].offset;
    uint32_t head = VKG__MEM_NONE;
    if (pad) {
        /* the padding stays free: split it off the front and use the tail */
        if (!vkg__node_split(mem, b, n, pad)) goto host_oom;
        head = n;
        n = mem->nodes[head].next_phys;
        vkg__free_remove(mem, b, n);
        vkg__free_insert(mem, b, head);
    }
    if (mem->nodes[n].size - size >= VKG__MEM_MIN_ALIGN) {
        if (!vkg__node_split(mem, b, n, size)) goto host_oom;
    }
    b->used += mem->nodes[n].size;
    b->allocation_count++;
    return n;
host_oom:
    /* undo, keeping free neighbours merged: the padding takes its tail back */
    if (head != VKG__MEM_NONE) {
        vkg__free_remove(mem, b, head);
        n = vkg__node_absorb_next(mem, head);
    }
    vkg__free_insert(mem, b, n);
    *out_host_oom = true;
    return VKG__MEM_NONE;
}

static void vkg__block_unplace(vkg__memory *mem, uint32_t slot, uint32_t n)
{
    vkg__mem_block *b = &mem->blocks[slot];
    b->used -= mem->nodes[n].size;
    b->allocation_count--;
    uint32_t prev = mem->nodes[n].prev_phys, next = mem->nodes[n].next_phys;
    if (next != VKG__MEM_NONE && mem->nodes[next].is_free) {
        vkg__free_remove(mem, b, next);
        vkg__node_absorb_next(mem, n);
    }
    if (prev != VKG__MEM_NONE && mem->nodes[prev].is_free) {
        vkg__free_remove(mem, b, prev);
        n = vkg__node_absorb_next(mem, prev);
    }
    vkg__free_insert(mem, b, n);
}

/* ------------------------------------------------------------------------------------------
 * Memory type choice
 * ---------------------------------------------------------------------------------------- */

static int vkg__type_score(VkMemoryPropertyFlags f, vkg_memory_usage usage)
{
    const VkMemoryPropertyFlags excluded =
        VK_MEMORY_PROPERTY_PROTECTED_BIT | VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
    if (f & excluded) return -1;
    bool local = f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    bool visible = f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    bool coherent = f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    bool cached = f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    switch (usage) {
    case VKG_MEMORY_GPU:
        /* device-local first; keep host-visible device-local (small BAR heaps) for uploads */
        return (local ? 8 : 0) + (visible ? 0 : 2);
    case VKG_MEMORY_UPLOAD:
        if (!visible) return -1;
        return (coherent ? 8 : 0) + (cached ? 0 : 1) + (local ? 0 : 2);
    case VKG_MEMORY_READBACK:
        if (!visible) return -1;
        return (cached ? 8 : 0) + (coherent ? 2 : 0) + (local ? 0 : 1);
    default:
        return -1;
    }
}

uint32_t vkg__memory_rank_types(const vkg__memory_config *config, uint32_t type_bits,
                                vkg_memory_usage usage, uint32_t out[VKG_MAX_MEMORY_TYPES])
{
    int scores[VKG_MAX_MEMORY_TYPES];
    uint32_t count = 0;
    for (uint32_t t = 0; t < config->memory_type_count; t++) {
        if (!(type_bits & (1u << t))) continue;
        int s = vkg__type_score(config->memory_types[t].flags, usage);
        if (s < 0) continue;
        /* insertion sort, stable: equal scores keep the driver's order */
        uint32_t i = count++;
        while (i > 0 && scores[i - 1] < s) {
            scores[i] = scores[i - 1];
            out[i] = out[i - 1];
            i--;
        }
        scores[i] = s;
        out[i] = t;
    }
    return count;
}

/* ------------------------------------------------------------------------------------------
 * Public-facing core
 * ---------------------------------------------------------------------------------------- */

void vkg__memory_init(vkg__memory *mem, const vkg__host *host, const vkg__memory_config *config,
                      const vkg__mem_backend *backend)
{
    memset(mem, 0, sizeof *mem);
    mem->host = host;
    mem->backend = *backend;
    mem->config = *config;
    if (!mem->config.buffer_image_granularity) mem->config.buffer_image_granularity = 1;
    if (!mem->config.non_coherent_atom_size) mem->config.non_coherent_atom_size = 1;
    mem->free_node = VKG__MEM_NONE;
    for (uint32_t h = 0; h < config->memory_heap_count; h++) {
        VkDeviceSize heap = config->memory_heaps[h].size;
        VkDeviceSize pref = config->block_size ? config->block_size : 64ull << 20;
        /* small heaps (integrated GPUs' carve-outs, BAR windows) get smaller blocks */
        if (!config->block_size && heap < (512ull << 20)) pref = heap / 8;
        pref = vkg__align_up(VKG__MAX(pref, 1ull << 16), VKG__MEM_MIN_ALIGN);
        mem->preferred_block[h] = pref;
        mem->heap_limit[h] = heap;
        if (config->heap_size_limit && config->heap_size_limit < heap)
            mem->heap_limit[h] = config->heap_size_limit;
    }
    vkg__pool_init(&mem->allocs, sizeof(vkg__mem_alloc));
}

void vkg__memory_destroy(vkg__memory *mem)
{
    for (uint32_t i = 0; i < mem->allocs.used; i++) {
        vkg__mem_alloc *a = vkg__pool_at(&mem->allocs, i, NULL);
        if (a)
            VKG__WARN(mem->host,
                      "device memory allocation \"%s\" (%llu bytes) was never freed: freed "
                      "with the device",
                      a->name, (unsigned long long)a->size);
    }
    for (uint32_t i = 0; i < mem->block_count; i++)
        if (mem->blocks[i].in_use) vkg__block_destroy(mem, i);
    vkg__free(mem->host, mem->blocks);
    vkg__free(mem->host, mem->nodes);
    vkg__pool_destroy(mem->host, &mem->allocs);
    memset(mem, 0, sizeof *mem);
}

/* Size of the next block for a type that already has `count` blocks: VMA's schedule,
 * 1/8, 1/4, 1/2 then the full preferred size, so small programs stay small. */
static VkDeviceSize vkg__next_block_size(const vkg__memory *mem, uint32_t type,
                                         VkDeviceSize need)
{
    VkDeviceSize pref = mem->preferred_block[vkg__type_heap(mem, type)];
    uint32_t count = mem->type_block_count[type];
    VkDeviceSize size = count >= 3 ? pref : pref >> (3 - count);
    while (size < need && size < pref) size *= 2;
    return VKG__MAX(size, need);
}

static vkg_result vkg__memory_alloc_in_type(vkg__memory *mem, const vkg__mem_alloc_desc *desc,
                                            uint32_t type, VkDeviceSize size, VkDeviceSize align,
                                            uint32_t *out_block, uint32_t *out_node)
{
    uint32_t heap = vkg__type_heap(mem, type);
    bool dedicated = desc->dedicated || size > mem->preferred_block[heap] / 2;
    bool host_oom = false;
    if (!dedicated) {
        /* newest blocks first: they are the largest and the least fragmented */
        for (uint32_t i = mem->block_count; i-- > 0;) {
            vkg__mem_block *b = &mem->blocks[i];
            if (!b->in_use || b->dedicated || b->memory_type != type) continue;
            uint32_t n = vkg__block_place(mem, i, size, align, &host_oom);
            if (host_oom) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            if (n != VKG__MEM_NONE) {
                *out_block = i;
                *out_node = n;
                return VKG_SUCCESS;
            }
        }
    }
    vkg__mem_request req = {
        .memory_type = type,
        .size = dedicated ? size : vkg__next_block_size(mem, type, size + align),
        .dedicated = dedicated,
        .dedicated_buffer = desc->dedicated ? desc->dedicated_buffer : VK_NULL_HANDLE,
        .dedicated_image = desc->dedicated ? desc->dedicated_image : VK_NULL_HANDLE,
    };
    uint32_t slot;
    vkg_result r = vkg__block_create(mem, &req, &slot);
    /* near the heap limit, a smaller block may still fit where the scheduled one does not */
    while (r == VKG_ERROR_OUT_OF_DEVICE_MEMORY && !dedicated && req.size / 2 >= size + align) {
        req.size /= 2;
        r = vkg__block_create(mem, &req, &slot);
    }
    if (r != VKG_SUCCESS) return r;
    if (dedicated) {
        vkg__mem_block *b = &mem->blocks[slot];
        b->used = size;
        b->allocation_count = 1;
        *out_block = slot;
        *out_node = b->first_node;
        return VKG_SUCCESS;
    }
    uint32_t n = vkg__block_place(mem, slot, size, align, &host_oom);
    if (n == VKG__MEM_NONE) {
        vkg__block_destroy(mem, slot);
        return host_oom ? VKG_ERROR_OUT_OF_HOST_MEMORY : VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    *out_block = slot;
    *out_node = n;
    return VKG_SUCCESS;
}

vkg_result vkg__memory_alloc(vkg__memory *mem, const vkg__mem_alloc_desc *desc,
                             vkg_allocation *out)
{
    const char *name = desc->name ? desc->name : "(unnamed)";
    out->id = 0;
    VkDeviceSize align = desc->requirements.alignment ? desc->requirements.alignment : 1;
    VKG_CHECK(mem->host, (align & (align - 1)) == 0, VKG_ERROR_INVALID_ARGUMENT,
              "memory allocation \"%s\": alignment %llu is not a power of two (Vulkan "
              "alignments always are): pass VkMemoryRequirements as the driver returned them",
              name, (unsigned long long)align);
    VKG_CHECK(mem->host, desc->requirements.size > 0, VKG_ERROR_INVALID_ARGUMENT,
              "memory allocation \"%s\": size is 0: request at least one byte", name);
    VKG_CHECK(mem->host, desc->usage < VKG_MEMORY_USAGE_COUNT, VKG_ERROR_INVALID_ARGUMENT,
              "memory allocation \"%s\": usage %d is not a vkg_memory_usage", name,
              (int)desc->usage);
    uint32_t types[VKG_MAX_MEMORY_TYPES];
    uint32_t type_count = vkg__memory_rank_types(&mem->config, desc->requirements.memoryTypeBits,
                                                 desc->usage, types);
    VKG_CHECK(mem->host, type_count > 0, VKG_ERROR_OUT_OF_DEVICE_MEMORY,
              "memory allocation \"%s\": no memory type in bits 0x%x suits usage %s: the "
              "resource cannot live in %s memory on this device",
              name, desc->requirements.memoryTypeBits,
              desc->usage == VKG_MEMORY_GPU      ? "GPU"
              : desc->usage == VKG_MEMORY_UPLOAD ? "UPLOAD"
                                                 : "READBACK",
              desc->usage == VKG_MEMORY_GPU ? "device" : "host-visible");

    VkDeviceSize size = desc->requirements.size;
    if (size > UINT64_MAX / 2) {
        VKG__ERROR(mem->host, "memory allocation \"%s\": %llu bytes is beyond any heap", name,
                   (unsigned long long)size);
        return VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    align = VKG__MAX(align, VKG__MEM_MIN_ALIGN);
    if (desc->tiling == VKG_TILING_OPTIMAL)
        align = VKG__MAX(align, mem->config.buffer_image_granularity);
    size = vkg__align_up(size, VKG__MEM_MIN_ALIGN);

    mem->last_driver_error = VK_SUCCESS;
    uint32_t id;
    vkg__mem_alloc *a = vkg__pool_alloc(mem->host, &mem->allocs, &id);
    if (!a) return VKG__OOM(mem->host, "a device-memory allocation record");

    vkg_result r = VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    for (uint32_t i = 0; i < type_count; i++) {
        uint32_t t = types[i];
        VkDeviceSize type_align = align, type_size = size;
        VkMemoryPropertyFlags f = mem->config.memory_types[t].flags;
        /* non-coherent host memory is flushed in whole atoms: keep atoms to ourselves */
        if ((f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
            !(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
            VkDeviceSize atom = mem->config.non_coherent_atom_size;
            type_align = VKG__MAX(type_align, atom);
            type_size = vkg__align_up(type_size, atom);
        }
        if (desc->tiling == VKG_TILING_OPTIMAL)
            type_size = vkg__align_up(type_size, mem->config.buffer_image_granularity);
        uint32_t block, node;
        r = vkg__memory_alloc_in_type(mem, desc, t, type_size, type_align, &block, &node);
        if (r == VKG_SUCCESS) {
            a->block = block;
            a->node = node;
            a->offset = mem->nodes[node].offset;
            a->size = type_size;
            snprintf(a->name, sizeof a->name, "%s", name);
            *out = (vkg_allocation){id};
            return VKG_SUCCESS;
        }
        if (r == VKG_ERROR_OUT_OF_HOST_MEMORY) break;
    }
    vkg__pool_free(&mem->allocs, id);
    if (r == VKG_ERROR_OUT_OF_HOST_MEMORY)
        return VKG__OOM(mem->host, "device-memory bookkeeping");
    uint32_t heap = vkg__type_heap(mem, types[0]);
    VKG__ERROR(mem->host,
               "out of device memory: allocation \"%s\" needs %llu bytes (alignment %llu) from "
               "memory type %u (heap %u: %llu of %llu bytes already reserved by vkgraph%s): "
               "free resources, lower the resolution or raise memory.heap_size_limit",
               name, (unsigned long long)size, (unsigned long long)align, types[0], heap,
               (unsigned long long)mem->heap_reserved[heap],
               (unsigned long long)mem->heap_limit[heap],
               mem->last_driver_error != VK_SUCCESS ? "; the driver refused vkAllocateMemory"
                                                     : "");
    return VKG_ERROR_OUT_OF_DEVICE_MEMORY;
}

/* Keeps one empty block per type so a free/alloc pair at a boundary does not thrash
 * vkAllocateMemory; any further empty block goes back to the driver. */
static void vkg__memory_trim(vkg__memory *mem, uint32_t type, uint32_t just_emptied)
{
    for (uint32_t i = 0; i < mem->block_count; i++) {
        const vkg__mem_block *b = &mem->blocks[i];
        if (i != just_emptied && b->in_use && !b->dedicated && b->memory_type == type &&
            b->allocation_count == 0) {
            vkg__block_destroy(mem, just_emptied);
            return;
        }
    }
}

void vkg__memory_free(vkg__memory *mem, vkg_allocation allocation)
{
    vkg__mem_alloc *a = vkg__pool_get(&mem->allocs, allocation.id);
    if (!a) return;
    vkg__mem_block *b = &mem->blocks[a->block];
    if (b->dedicated) {
        vkg__block_destroy(mem, a->block);
    } else {
        vkg__block_unplace(mem, a->block, a->node);
        if (b->allocation_count == 0) vkg__memory_trim(mem, b->memory_type, a->block);
    }
    vkg__pool_free(&mem->allocs, allocation.id);
}

const vkg__mem_alloc *vkg__memory_get(const vkg__memory *mem, vkg_allocation allocation)
{
    return vkg__pool_get(&mem->allocs, allocation.id);
}

bool vkg__memory_info(const vkg__memory *mem, vkg_allocation allocation,
                      vkg_allocation_info *out)
{
    const vkg__mem_alloc *a = vkg__pool_get(&mem->allocs, allocation.id);
    if (!a) return false;
    const vkg__mem_block *b = &mem->blocks[a->block];
    VkMemoryPropertyFlags f = mem->config.memory_types[b->memory_type].flags;
    out->memory = b->memory;
    out->offset = a->offset;
    out->size = a->size;
    out->memory_type = b->memory_type;
    out->mapped = b->mapped ? (uint8_t *)b->mapped + a->offset : NULL;
    out->coherent = (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    return true;
}

static VkDeviceSize vkg__block_largest_free(const vkg__memory *mem, const vkg__mem_block *b)
{
    if (!b->fl_bitmap) return 0;
    uint32_t fl = 63u - (uint32_t)__builtin_clzll(b->fl_bitmap);
    uint32_t sl = 31u - (uint32_t)__builtin_clz(b->sl_bitmap[fl]);
    VkDeviceSize best = 0;
    for (uint32_t n = b->heads[fl][sl]; n != VKG__MEM_NONE; n = mem->nodes[n].next_free)
        best = VKG__MAX(best, mem->nodes[n].size);
    return best;
}

void vkg__memory_stats(const vkg__memory *mem, vkg_memory_stats *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < mem->block_count; i++) {
        const vkg__mem_block *b = &mem->blocks[i];
        if (!b->in_use) continue;
        vkg_memory_type_stats *t = &out->types[b->memory_type];
        t->block_count++;
        t->allocation_count += b->allocation_count;
        t->bytes_reserved += b->size;
        t->bytes_used += b->used;
        t->largest_free_range = VKG__MAX(t->largest_free_range, vkg__block_largest_free(mem, b));
    }
    for (uint32_t t = 0; t < mem->config.memory_type_count; t++) {
        const vkg_memory_type_stats *s = &out->types[t];
        out->total.block_count += s->block_count;
        out->total.allocation_count += s->allocation_count;
        out->total.bytes_reserved += s->bytes_reserved;
        out->total.bytes_used += s->bytes_used;
        out->total.largest_free_range =
            VKG__MAX(out->total.largest_free_range, s->largest_free_range);
    }
    for (uint32_t h = 0; h < mem->config.memory_heap_count; h++)
        out->heap_reserved[h] = mem->heap_reserved[h];
}
