/* VK_LAYER_VKGRAPH_simulate_families: family indices rewritten to what the driver sees. */
#include "sim_internal.h"

/* ------------------------------------------------------------------------------------------
 * Family rewriting: what the driver sees
 * ---------------------------------------------------------------------------------------- */

uint32_t sim_map_family(const sim_device *d, uint32_t family)
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


void *sim_copy(sim_scratch *s, const void *src, size_t bytes)
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

void sim_scratch_free(sim_scratch *s)
{
    for (uint32_t i = 0; i < s->heaps; i++) free(s->heap[i]);
}

/* Rewrites a dependency info's barriers into scratch copies; false if out of memory. */
bool sim_rewrite_dependency(const sim_device *d, uint32_t cb_family,
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
bool sim_rewrite_barriers1(const sim_device *d, uint32_t cb_family, uint32_t buffer_count,
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
void sim_rewrite_sharing(const sim_device *d, VkSharingMode *mode, uint32_t *count,
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
