/* The model device used by the suballocator's test and benchmark: four memory types in
 * three heaps, like a discrete GPU with a BAR window (device-local; host coherent; host
 * cached, non-coherent; device-local + host-visible in heap 2). Header-only so that bench/
 * and tests/ share it. */
#ifndef VKG_TEST_MODEL_DEVICE_H_
#define VKG_TEST_MODEL_DEVICE_H_

#include "device/memory.h"

#define VKGT_MODEL_GRANULARITY 1024u
#define VKGT_MODEL_ATOM 64u

static inline vkg__memory_config vkgt_model_memory_config(VkDeviceSize bar_heap_size)
{
    vkg__memory_config c = {
        .memory_type_count = 4,
        .memory_heap_count = 3,
        .buffer_image_granularity = VKGT_MODEL_GRANULARITY,
        .non_coherent_atom_size = VKGT_MODEL_ATOM,
    };
    c.memory_heaps[0] = (vkg_memory_heap_caps){8ull << 30, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT};
    c.memory_heaps[1] = (vkg_memory_heap_caps){8ull << 30, 0};
    c.memory_heaps[2] = (vkg_memory_heap_caps){bar_heap_size, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT};
    c.memory_types[0] = (vkg_memory_type_caps){VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0};
    c.memory_types[1] = (vkg_memory_type_caps){
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 1};
    c.memory_types[2] = (vkg_memory_type_caps){
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 1};
    c.memory_types[3] = (vkg_memory_type_caps){VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                               2};
    return c;
}

/* xorshift64*: a deterministic stream, the same on every run and machine. */
static inline uint64_t vkgt_xorshift64(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ull;
}

#endif
