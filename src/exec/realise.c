/* The executor: a plan's realisation in a frame slot: heaps, transient resources bound at
 * their planned offsets, views, events, command buffers; made once, reused every frame. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Realisation
 * ---------------------------------------------------------------------------------------- */

static bool vkg__needs_view(vkg_access access)
{
    const vkg_access_info *a = vkg_access_get(access);
    return (a->access & (VK_ACCESS_2_SHADER_SAMPLED_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                         VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT |
                         VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                         VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                         VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                         VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT)) != 0;
}

static bool vkg__uses_overlap(const vkg_plan_resource *r, const vkg_plan_use *a,
                              const vkg_plan_use *b)
{
    if (a->resource != b->resource) return false;
    if (!r->is_image) return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
    VkImageAspectFlags aa = vkg_access_get(a->access)->aspect, ba = vkg_access_get(b->access)->aspect;
    if (!aa) aa = a->aspect;
    if (!ba) ba = b->aspect;
    if (aa && ba && !(aa & ba)) return false; /* the depth and the stencil plane */
    return a->base_mip < b->base_mip + b->mip_count && b->base_mip < a->base_mip + a->mip_count &&
           a->base_layer < b->base_layer + b->layer_count &&
           b->base_layer < a->base_layer + a->layer_count;
}

/* Load/store ops of attachment uses: load what an earlier use (or the import) defined,
 * store what a later use reads or the graph keeps (imported, output). */
static void vkg__attachment_ops(vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        for (uint32_t i = 0; i < p->use_count; i++) {
            uint32_t ui = p->first_use + i;
            const vkg_plan_use *u = &in->uses[ui];
            const vkg_plan_resource *r = &in->resources[u->resource];
            if (!r->is_image ||
                !(vkg_access_get(u->access)->access &
                  (VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT)))
                continue;
            bool before = r->imported && r->state.access != VKG_ACCESS_NONE, after = r->imported || r->output;
            for (uint32_t j = 0; j < in->pass_count && (!before || !after); j++) {
                if (j == k) continue;
                const vkg_plan_pass *q = &in->passes[j];
                for (uint32_t v = 0; v < q->use_count; v++) {
                    if (!vkg__uses_overlap(r, u, &in->uses[q->first_use + v])) continue;
                    if (j < k) before = true;
                    else after = true;
                }
            }
            /* imported contents are kept even when the assumed state is NONE, unless the
             * tracked state at run time says they are undefined (vkg_pass_begin_rendering) */
            x->uses[ui].import_first = r->imported && !before;
            if (r->imported) before = true;
            x->uses[ui].load = before ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_CLEAR;
            x->uses[ui].store = after ? VK_ATTACHMENT_STORE_OP_STORE : VK_ATTACHMENT_STORE_OP_DONT_CARE;
        }
    }
}

static vkg_result vkg__use_views(vkg_executor *ex, vkg__real *x, uint32_t ri, vkg_image image)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t ui = 0; ui < in->use_count; ui++) {
        const vkg_plan_use *u = &in->uses[ui];
        if (u->resource != ri || !vkg__needs_view(u->access)) continue;
        if (x->uses[ui].view.id) vkg_view_destroy(ex->dev, x->uses[ui].view);
        x->uses[ui].view.id = 0;
        x->uses[ui].vk_view = VK_NULL_HANDLE;
        const vkg_plan_resource *r = &in->resources[ri];
        VkImageViewType type = r->depth > 1 ? VK_IMAGE_VIEW_TYPE_3D
                               : u->layer_count > 1 ? VK_IMAGE_VIEW_TYPE_2D_ARRAY
                                                    : VK_IMAGE_VIEW_TYPE_2D;
        char name[80];
        snprintf(name, sizeof name, "%s m%u l%u", r->name, u->base_mip, u->base_layer);
        vkg_result vr = vkg_view_create(ex->dev,
                                        &(vkg_view_desc){.name = name,
                                                         .image = image,
                                                         .type = type,
                                                         .base_mip = u->base_mip,
                                                         .mip_count = u->mip_count,
                                                         .base_layer = u->base_layer,
                                                         .layer_count = u->layer_count,
                                                         .aspect = u->aspect},
                                        &x->uses[ui].view);
        if (vr != VKG_SUCCESS) return vr;
        ex->stats.views_created++;
        vr = vkg_view_get_vk(ex->dev, x->uses[ui].view, &x->uses[ui].vk_view);
        if (vr != VKG_SUCCESS) return vr;
    }
    return VKG_SUCCESS;
}

/* The views of an imported image's uses for the image just bound: from the cache, or made
 * (replacing the oldest entry; the slot's earlier work is complete, so it is unused). */
vkg_result vkg__import_views(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_resource *r = &x->in.resources[ri];
    const vkg__xres *xr = &x->res[ri];
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        uint32_t ui = x->import_uses[j].use;
        const vkg_plan_use *u = &x->in.uses[ui];
        if (u->resource != ri || !vkg__needs_view(u->access)) continue;
        vkg__xuse *xu = &x->uses[ui];
        xu->vk_view = VK_NULL_HANDLE;
        for (uint32_t c = 0; c < VKG__VIEW_CACHE && !xu->vk_view; c++)
            if (xu->cache[c].image == id) xu->vk_view = xu->cache[c].view;
        if (xu->vk_view) continue;
        VkImageViewCreateInfo vci = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
            .image = xr->image,
            .viewType = r->depth > 1            ? VK_IMAGE_VIEW_TYPE_3D
                        : u->layer_count > 1 ? VK_IMAGE_VIEW_TYPE_2D_ARRAY
                                             : VK_IMAGE_VIEW_TYPE_2D,
            .format = r->format,
            .subresourceRange = {u->aspect ? u->aspect : xr->aspect, u->base_mip, u->mip_count,
                                 u->base_layer, u->layer_count}};
        VkImageView view;
        VkResult vr = dev->vk.vkCreateImageView(dev->device, &vci, dev->vkac, &view);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateImageView", r->name);
        ex->stats.views_created++;
        uint32_t c = xu->next;
        xu->next = (xu->next + 1) % VKG__VIEW_CACHE;
        if (xu->cache[c].view) dev->vk.vkDestroyImageView(dev->device, xu->cache[c].view, dev->vkac);
        xu->cache[c].image = id;
        xu->cache[c].view = view;
        xu->vk_view = view;
    }
    return VKG_SUCCESS;
}

/* Marks every tenant of `hp` but `except` to rebuild its prepared batches before it next
 * records: whether a heap is shared changes how first uses are chained (vkg__prepare). */
static void vkg__heap_changed(vkg__slot *slot, const vkg__heap *hp, const vkg__real *except)
{
    for (uint32_t i = 0; i < slot->real_count; i++) {
        vkg__real *y = slot->reals[i];
        if (y == except || !y->heaps) continue;
        for (uint32_t h = 0; h < y->in.heap_count; h++)
            if (y->heaps[h] == hp) y->reprepare = true;
    }
}

/* Frees the slot's heaps that no realisation uses (their last tenant's work is done: tenants
 * leave only after their slot was waited for). */
void vkg__slot_sweep(vkg_executor *ex, vkg__slot *slot)
{
    for (uint32_t i = 0; i < slot->heap_count;) {
        vkg__heap *hp = slot->heaps[i];
        if (hp->tenants) {
            i++;
            continue;
        }
        vkg_memory_free(ex->dev, hp->mem);
        vkg__free(&ex->host, hp);
        slot->heaps[i] = slot->heaps[--slot->heap_count];
    }
}

/* Places plan heap `h` of `x` in the slot's pool: the smallest heap of its memory type that
 * is large and aligned enough and not already one of x's, else a new one. With
 * dedicated_heaps only heaps nobody uses qualify. */
static vkg_result vkg__heap_take(vkg_executor *ex, vkg__slot *slot, vkg__real *x, uint32_t h,
                                 VkDeviceSize align)
{
    const vkg_plan_heap *ph = &x->in.heaps[h];
    vkg__heap *best = NULL;
    for (uint32_t i = 0; i < slot->heap_count; i++) {
        vkg__heap *hp = slot->heaps[i];
        bool mine = false;
        for (uint32_t j = 0; j < h; j++) mine = mine || x->heaps[j] == hp;
        if (mine || hp->memory_type != ph->memory_type || hp->size < ph->size ||
            hp->align < align || (ex->dedicated_heaps && hp->tenants))
            continue;
        if (!best || hp->size < best->size) best = hp;
    }
    if (!best) {
        if (!vkg__grow(&ex->host, (void **)&slot->heaps, &slot->heap_cap, slot->heap_count + 1,
                       sizeof *slot->heaps))
            return VKG__OOM(&ex->host, "the executor's heap list");
        best = vkg__calloc(&ex->host, 1, sizeof *best);
        if (!best) return VKG__OOM(&ex->host, "a transient heap");
        char name[96];
        snprintf(name, sizeof name, "%s: transient heap for \"%s\"", ex->name, x->in.name);
        vkg_result r = vkg_memory_alloc(
            ex->dev,
            &(vkg_memory_desc){.name = name,
                               .requirements = {ph->size, align, 1u << ph->memory_type},
                               .usage = VKG_MEMORY_GPU,
                               .tiling = VKG_TILING_OPTIMAL},
            &best->mem);
        if (r != VKG_SUCCESS) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): executor \"%s\" cannot allocate the plan's transient "
                       "heap %u: %llu bytes of memory type %u (%s). Nothing was submitted; "
                       "imported resources and other plans are untouched. Use smaller or fewer "
                       "transients, free memory, or raise memory.heap_size_limit",
                       x->in.name, ex->name, h, (unsigned long long)ph->size, ph->memory_type,
                       vkg_result_name(r));
            vkg__free(&ex->host, best);
            return r;
        }
        best->size = ph->size;
        best->align = align;
        best->memory_type = ph->memory_type;
        slot->heaps[slot->heap_count++] = best;
    }
    best->tenants++;
    x->heaps[h] = best;
    if (best->tenants > 1) vkg__heap_changed(slot, best, x);
    return VKG_SUCCESS;
}

void vkg__real_destroy(vkg_executor *ex, vkg__real *x)
{
    if (!x) return;
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    pthread_mutex_lock(&dev->lock); /* the tickets it left unwritten, while its objects live */
    vkg__settle_one(dev, &x->deferred);
    pthread_mutex_unlock(&dev->lock);
    if (x->uses)
        for (uint32_t i = 0; i < in->use_count; i++) {
            if (x->uses[i].view.id) vkg_view_destroy(dev, x->uses[i].view);
            for (uint32_t c = 0; c < VKG__VIEW_CACHE; c++)
                if (x->uses[i].cache[c].view)
                    dev->vk.vkDestroyImageView(dev->device, x->uses[i].cache[c].view, dev->vkac);
        }
    if (x->res)
        for (uint32_t i = 0; i < in->resource_count; i++) {
            if (x->res[i].own_buffer.id) vkg_buffer_destroy(dev, x->res[i].own_buffer);
            if (x->res[i].own_image.id) vkg_image_destroy(dev, x->res[i].own_image);
            if (x->res[i].own_memory.id) vkg_memory_free(dev, x->res[i].own_memory);
        }
    if (x->heaps)
        for (uint32_t h = 0; h < in->heap_count; h++) {
            vkg__heap *hp = x->heaps[h];
            if (!hp) continue;
            hp->tenants--;
            if (hp->last == x) hp->last = NULL;
            vkg__heap_changed(&ex->slots[x->slot], hp, x);
        }
    if (x->events)
        for (uint32_t e = 0; e < in->event_count; e++)
            if (x->events[e]) dev->vk.vkDestroyEvent(dev->device, x->events[e], dev->vkac);
    if (x->chunks)
        for (uint32_t c = 0; c < x->chunk_count; c++)
            if (x->chunks[c].cmd)
                dev->vk.vkFreeCommandBuffers(
                    dev->device,
                    ex->slots[x->slot].pools[x->chunks[c].thread * VKG_QUEUE_ROLE_COUNT + x->chunks[c].dq],
                    1, &x->chunks[c].cmd);
    for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++)
        if (x->fix_cmd[q])
            dev->vk.vkFreeCommandBuffers(dev->device, ex->slots[x->slot].pools[q], 1, &x->fix_cmd[q]);
    vkg__timings_destroy(ex, x);
    vkg__crumbs_destroy(ex, x);
    vkg__history_release(ex, x);
    vkg__free(&ex->host, x->fix_ib);
    vkg__free(&ex->host, x->fix_bb);
    vkg__free(&ex->host, x->fix_idq);
    vkg__free(&ex->host, x->fix_bdq);
    vkg__free(&ex->host, x->fix_need);
    if (x->scratch)
        for (uint32_t t = 0; t < ex->threads; t++) {
            vkg__free(&ex->host, x->scratch[t].ib);
            vkg__free(&ex->host, x->scratch[t].bb);
            vkg__free(&ex->host, x->scratch[t].deps);
            vkg__free(&ex->host, x->scratch[t].wait_events);
        }
    vkg__free(&ex->host, x->scratch);
    vkg__free(&ex->host, x->heaps);
    vkg__free(&ex->host, x->hstage);
    vkg__free(&ex->host, x->haccess);
    vkg__free(&ex->host, x->hfirst);
    vkg__free(&ex->host, x->hlast);
    vkg__free(&ex->host, x->hturn);
    vkg__free(&ex->host, x->handoff);
    vkg__free(&ex->host, x->res);
    vkg__free(&ex->host, x->address);
    vkg__free(&ex->host, x->deferred_values);
    vkg__free(&ex->host, x->track);
    vkg__free(&ex->host, x->uses);
    vkg__free(&ex->host, x->events);
    vkg__free(&ex->host, x->chunks);
    vkg__free(&ex->host, x->pre);
    vkg__free(&ex->host, x->imports);
    vkg__free(&ex->host, x->signals);
    vkg__free(&ex->host, x->import_uses);
    vkg__free(&ex->host, x->history_imports);
    vkg__free(&ex->host, x->sem_imports);
    vkg__free(&ex->host, x->bind_cache);
    vkg__free(&ex->host, x->dyn);
    vkg__free(&ex->host, x->seen);
    vkg__free(&ex->host, x->dyn_preps);
    vkg__free(&ex->host, x->import_wait);
    vkg__free(&ex->host, x->post);
    vkg__free(&ex->host, x->rpass);
    vkg__free(&ex->host, x->prol);
    vkg__free(&ex->host, x->pmb);
    vkg__free(&ex->host, x->pib);
    vkg__free(&ex->host, x->pbb);
    vkg__free(&ex->host, x->first_chunk);
    vkg__free(&ex->host, x->cbis);
    vkg__free(&ex->host, x->values);
    vkg__free(&ex->host, x->dq_of_queue);
    vkg__free(&ex->host, x->submit_order);
    vkg__free(&ex->host, x->waits);
    vkg__free(&ex->host, x);
}

/* Whether a bound object's sharing disagrees with the plan's (on one family both modes are
 * the same object, created exclusive). */
bool vkg__sharing_differs(const vkg_device *dev, const vkg_plan_resource *r,
                                 bool object_concurrent)
{
    bool families = false;
    for (uint32_t q = 1; q < dev->dq_count; q++) families |= dev->dq[q].family != dev->dq[0].family;
    return families && r->concurrent != object_concurrent;
}

/* Creates a transient at its planned place, or in memory of its own when the device's real
 * requirements do not fit the plan (a plan compiled without vkg_device_requirements). */
static vkg_result vkg__make_transient(vkg_executor *ex, vkg__real *x, uint32_t ri)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_resource *r = &x->in.resources[ri];
    vkg__xres *xr = &x->res[ri];
    vkg_memory_binding bind = {0};
    if (r->heap != UINT32_MAX) {
        VkMemoryRequirements req;
        vkg_resource_requirements_query q;
        vkg__requirements_query(r->is_image, r->format, r->width, r->height, r->depth, r->mips,
                                r->layers, r->samples, r->image_usage, r->size, r->buffer_usage,
                                &q);
        const vkg_plan_heap *h = &x->in.heaps[r->heap];
        if (vkg_device_requirements(dev, &q, &req) && req.size <= r->memory_size &&
            req.alignment && r->offset % req.alignment == 0 &&
            (req.memoryTypeBits & (1u << h->memory_type)))
            bind = (vkg_memory_binding){x->heaps[r->heap]->mem, r->offset};
        else
            VKG__INFO(&ex->host,
                      "executor \"%s\": %s \"%s\" does not fit its planned range (compile with "
                      "vkg_compile_ex and vkg_device_requirements to alias it): own memory",
                      ex->name, r->is_image ? "image" : "buffer", r->name);
    }
    if (r->is_image) {
        vkg_image_desc id = vkg__plan_image_desc(r, r->name, r->image_usage, vkg__plan_sharing(r));
        id.memory = bind;
        vkg_result vr = vkg_image_create(dev, &id, &xr->own_image);
        if (vr != VKG_SUCCESS) return vr;
        vkg_image_info ii;
        vr = vkg_image_get_info(dev, xr->own_image, &ii);
        if (vr != VKG_SUCCESS) return vr;
        xr->image = ii.image;
        xr->aspect = ii.aspect;
        return vkg__use_views(ex, x, ri, xr->own_image);
    }
    vkg_result vr = vkg_buffer_create(
        dev,
        &(vkg_buffer_desc){.name = r->name,
                           .size = r->size,
                           .usage = r->buffer_usage | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                           .memory = bind,
                           .sharing = vkg__plan_sharing(r)},
        &xr->own_buffer);
    if (vr != VKG_SUCCESS) return vr;
    vkg_buffer_info bi;
    vr = vkg_buffer_get_info(dev, xr->own_buffer, &bi);
    if (vr != VKG_SUCCESS) return vr;
    xr->buffer = bi.buffer;
    x->address[ri] = bi.address;
    return VKG_SUCCESS;
}

/* A plan wait's stage mask as a semaphore wait's: HOST names no command-buffer stage and is
 * not allowed there; the compiler puts ALL_COMMANDS beside every host access. */
VkPipelineStageFlags2 vkg__wait_stage(VkPipelineStageFlags2 stage)
{
    stage &= ~VK_PIPELINE_STAGE_2_HOST_BIT;
    return stage ? stage : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
}

/* The stages a command on device queue `dq` may name (vkg__family_stages). */
VkPipelineStageFlags2 vkg__queue_stages(const vkg_device *dev, uint32_t dq,
                                               VkPipelineStageFlags2 stages)
{
    return vkg__family_stages(dev, dev->dq[dq].family, stages);
}

/* Where a submission goes in submission order: after its first pass's predecessors in plan
 * order; a prologue-only submission before all. (first_pass indexes queue_passes.) */
static uint32_t vkg__sub_key(const vkg_plan_info *in, uint32_t s)
{
    const vkg_plan_submission *sub = &in->submissions[s];
    return sub->pass_count ? in->queue_passes[sub->first_pass] + 1 : 0;
}

/* The plan's queues must be this device's (a plan compiled for other caps is refused). */
static vkg_result vkg__real_queues(vkg_executor *ex, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    for (uint32_t q = 0; q < in->queue_count; q++) {
        x->dq_of_queue[q] = in->queues[q].role < VKG_QUEUE_ROLE_COUNT
                                ? dev->role_dq[in->queues[q].role]
                                : UINT32_MAX;
        if (x->dq_of_queue[q] == UINT32_MAX ||
            dev->dq[x->dq_of_queue[q]].family != in->queues[q].family) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): the plan puts %s work on queue family %u, which "
                       "device \"%s\" gives no queue: compile the plan with this device's "
                       "caps (vkg_device_caps)",
                       in->name, vkg_queue_role_name(in->queues[q].role), in->queues[q].family,
                       dev->caps.device_name);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
    }
    return VKG_SUCCESS;
}

/* The slot's heaps for the plan, its transient resources bound into them, its events. */
static vkg_result vkg__real_objects(vkg_executor *ex, vkg__slot *slot, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    vkg_result r = VKG_SUCCESS;
    for (uint32_t h = 0; h < in->heap_count && r == VKG_SUCCESS; h++) {
        if (in->heaps[h].memory_type >= dev->caps.memory_type_count) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): heap %u is planned in memory type %u, but device "
                       "\"%s\" has %u types: compile the plan with this device's caps",
                       in->name, h, in->heaps[h].memory_type, dev->caps.device_name,
                       dev->caps.memory_type_count);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
        VkDeviceSize align = 1;
        for (uint32_t i = 0; i < in->resource_count; i++)
            if (in->resources[i].heap == h && in->resources[i].alignment > align)
                align = in->resources[i].alignment;
        r = vkg__heap_take(ex, slot, x, h, align);
    }
    for (uint32_t i = 0; i < in->resource_count && r == VKG_SUCCESS; i++)
        if (in->resources[i].used && !in->resources[i].imported) r = vkg__make_transient(ex, x, i);
    for (uint32_t e = 0; e < in->event_count && r == VKG_SUCCESS; e++) {
        VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
        VkResult vr = dev->vk.vkCreateEvent(dev->device, &eci, dev->vkac, &x->events[e]);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkCreateEvent", in->name);
    }
    return r;
}

/* Chunks: a submission of n passes becomes min(threads, n / grain) command buffers (at least
 * one) of consecutive passes; chunks go to threads round-robin, and each command buffer
 * comes from its thread's pool for this slot and queue. Then the submission order: by first
 * pass, so every semaphore wait follows its signal; a prologue alone (releases of imported
 * resources, no pass) goes first. */
static vkg_result vkg__real_chunks(vkg_executor *ex, vkg__slot *slot, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    vkg_result r = VKG_SUCCESS;
    uint32_t chunks = 0;
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t n = in->submissions[s].pass_count / ex->grain;
        chunks += VKG__MAX(1u, VKG__MIN(ex->threads, n));
    }
    x->chunks = vkg__calloc(&ex->host, chunks + 1, sizeof *x->chunks);
    x->cbis = vkg__calloc(&ex->host, chunks + 1, sizeof *x->cbis);
    if (!x->chunks || !x->cbis) return VKG__OOM(&ex->host, "command buffers");
    for (uint32_t s = 0; s < in->submission_count && r == VKG_SUCCESS; s++) {
        const vkg_plan_submission *sub = &in->submissions[s];
        uint32_t n = VKG__MAX(1u, VKG__MIN(ex->threads, sub->pass_count / ex->grain));
        x->first_chunk[s] = x->chunk_count;
        for (uint32_t c = 0; c < n && r == VKG_SUCCESS; c++) {
            vkg__chunk *ch = &x->chunks[x->chunk_count];
            ch->submission = s;
            ch->first = (uint32_t)((uint64_t)sub->pass_count * c / n);
            ch->count = (uint32_t)((uint64_t)sub->pass_count * (c + 1) / n) - ch->first;
            ch->thread = x->chunk_count % ex->threads;
            ch->dq = x->dq_of_queue[sub->queue];
            VkCommandBufferAllocateInfo ai = {
                .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                .commandPool = slot->pools[ch->thread * VKG_QUEUE_ROLE_COUNT + ch->dq],
                .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                .commandBufferCount = 1};
            VkResult vr = dev->vk.vkAllocateCommandBuffers(dev->device, &ai, &ch->cmd);
            if (vr != VK_SUCCESS) {
                ch->cmd = VK_NULL_HANDLE;
                r = VKG__VK_FAIL(dev, vr, "vkAllocateCommandBuffers", in->name);
            }
            x->cbis[x->chunk_count] = (VkCommandBufferSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, .commandBuffer = ch->cmd};
            x->chunk_count++;
            x->active = VKG__MAX(x->active, ch->thread + 1);
        }
    }
    x->first_chunk[in->submission_count] = x->chunk_count;
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t at = s;
        uint32_t key = vkg__sub_key(in, s);
        while (at > 0 && vkg__sub_key(in, x->submit_order[at - 1]) > key) {
            x->submit_order[at] = x->submit_order[at - 1];
            at--;
        }
        x->submit_order[at] = s;
    }
    return r;
}

/* Transient memory: per heap, this plan's stages and accesses on it and its first and last
 * submission per device queue, for taking the heap over from another tenant. */
static vkg_result vkg__real_heap_use(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    size_t nhq = (size_t)in->heap_count * VKG_QUEUE_ROLE_COUNT + 1;
    x->hstage = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->hstage);
    x->haccess = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->haccess);
    x->hturn = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->hturn);
    x->hfirst = vkg__calloc(&ex->host, nhq, sizeof *x->hfirst);
    x->hlast = vkg__calloc(&ex->host, nhq, sizeof *x->hlast);
    x->handoff = vkg__calloc(&ex->host, in->submission_count + 1, sizeof *x->handoff);
    if (!x->hstage || !x->haccess || !x->hturn || !x->hfirst || !x->hlast || !x->handoff)
        return VKG__OOM(&ex->host, "a plan realisation");
    for (size_t i = 0; i < nhq; i++) x->hfirst[i] = x->hlast[i] = VKG__X_NONE;
    for (uint32_t i = 0; i < in->submission_count; i++) {
        uint32_t s = x->submit_order[i];
        const vkg_plan_submission *sub = &in->submissions[s];
        uint32_t dq = x->dq_of_queue[sub->queue];
        for (uint32_t j = 0; j < sub->pass_count; j++) {
            const vkg_plan_pass *p = &in->passes[in->queue_passes[sub->first_pass + j]];
            for (uint32_t u = 0; u < p->use_count; u++) {
                const vkg_plan_use *pu = &in->uses[p->first_use + u];
                const vkg_plan_resource *pr = &in->resources[pu->resource];
                if (pr->imported || pr->heap == UINT32_MAX) continue;
                const vkg_access_info *a = vkg_access_get(pu->access);
                x->hstage[pr->heap] |= a->stage ? a->stage : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
                x->haccess[pr->heap] |= a->access;
                uint32_t at = pr->heap * VKG_QUEUE_ROLE_COUNT + dq;
                if (x->hfirst[at] == VKG__X_NONE) x->hfirst[at] = s;
                x->hlast[at] = s;
            }
        }
    }
    return VKG_SUCCESS;
}

/* Recording scratch, sized for the worst case: an imported image barrier may become one per
 * subresource. */
static vkg_result vkg__real_scratch(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    uint32_t bars = 1, deps = 1, waits = 1;
    for (uint32_t b = 0; b < in->barrier_count; b++) {
        const vkg_plan_barrier *pb = &in->barriers[b];
        bars += (pb->flags & VKG_BARRIER_IMPORTED) && in->resources[pb->resource].is_image
                    ? 2 * pb->mip_count * pb->layer_count /* per plane */
                    : 1;
    }
    for (uint32_t k = 0; k < in->pass_count; k++)
        if (in->passes[k].wait_event_count + 1 > deps) deps = in->passes[k].wait_event_count + 1;
    waits += in->wait_count + in->barrier_count + in->resource_count +
             in->heap_count * VKG_QUEUE_ROLE_COUNT + 2 * VKG_QUEUE_ROLE_COUNT;
    x->bar_cap = bars;
    x->dep_cap = deps;
    x->wait_cap = waits;
    bool ok = (x->waits = vkg__calloc(&ex->host, waits, sizeof *x->waits)) != NULL;
    for (uint32_t t = 0; t < x->active && ok; t++) {
        vkg__scratch *sc = &x->scratch[t];
        sc->ib = vkg__calloc(&ex->host, bars, sizeof *sc->ib);
        sc->bb = vkg__calloc(&ex->host, bars, sizeof *sc->bb);
        sc->deps = vkg__calloc(&ex->host, deps, sizeof *sc->deps);
        sc->wait_events = vkg__calloc(&ex->host, deps, sizeof *sc->wait_events);
        ok = sc->ib && sc->bb && sc->deps && sc->wait_events;
    }
    x->pre = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *x->pre);
    x->post = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *x->post);
    x->rpass = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *x->rpass);
    x->prol = vkg__calloc(&ex->host, in->submission_count + 1, sizeof *x->prol);
    x->pmb = vkg__calloc(&ex->host, 2 * in->pass_count + in->submission_count + 1, sizeof *x->pmb);
    x->pib = vkg__calloc(&ex->host, bars, sizeof *x->pib);
    x->pbb = vkg__calloc(&ex->host, bars, sizeof *x->pbb);
    x->dyn = vkg__calloc(&ex->host, in->barrier_count + 1, sizeof *x->dyn);
    x->seen = vkg__calloc(&ex->host, bars, sizeof *x->seen);
    x->dyn_preps = vkg__calloc(&ex->host, 2 * (size_t)in->pass_count + in->submission_count + 1,
                               sizeof *x->dyn_preps);
    x->signals = vkg__calloc(&ex->host, in->resource_count + 1, sizeof *x->signals);
    ok = ok && x->pre && x->post && x->rpass && x->prol && x->pmb && x->pib && x->pbb && x->dyn && x->seen &&
         x->dyn_preps && x->signals;
    return ok ? VKG_SUCCESS : VKG__OOM(&ex->host, "recording scratch");
}

/* Imported resources: which (and which of them are history resources), their uses in plan
 * order (first and last submission), and the lists vkg__patch and the submission fill. */
static vkg_result vkg__real_imports(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    x->imports = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(uint32_t));
    x->history_imports = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(uint32_t));
    x->sem_imports = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(uint32_t));
    x->import_uses = vkg__calloc(&ex->host, (size_t)in->use_count + 1, sizeof *x->import_uses);
    x->import_wait = vkg__calloc(&ex->host, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT + 1,
                                 sizeof(uint64_t));
    if (!x->imports || !x->history_imports || !x->sem_imports || !x->import_uses || !x->import_wait)
        return VKG__OOM(&ex->host, "recording scratch");
    for (uint32_t ri = 0; ri < in->resource_count; ri++) {
        if (!in->resources[ri].imported || !in->resources[ri].used) continue;
        x->imports[x->import_count++] = ri;
        x->res[ri].is_image = in->resources[ri].is_image;
        x->res[ri].is_history = in->resources[ri].history;
        if (in->resources[ri].history) x->history_imports[x->history_count++] = ri;
    }
    for (uint32_t k = 0; k < in->pass_count; k++)
        for (uint32_t i = 0; i < in->passes[k].use_count; i++) {
            uint32_t ui = in->passes[k].first_use + i;
            if (!in->resources[in->uses[ui].resource].imported) continue;
            const vkg_plan_pass *p = &in->passes[k];
            x->import_uses[x->import_use_count++] =
                (vkg__iuse){.a = vkg_access_get(in->uses[ui].access),
                            .res = in->uses[ui].resource,
                            .use = ui,
                            .submission = p->submission,
                            .dq = x->dq_of_queue[p->queue],
                            .family = in->queues[p->queue].family,
                            .is_image = in->resources[in->uses[ui].resource].is_image};
            vkg__xres *xr = &x->res[in->uses[ui].resource];
            if (!xr->first_stage) {
                xr->first_sub = in->passes[k].submission;
                xr->first_stage = vkg_access_get(in->uses[ui].access)->stage;
                if (!xr->first_stage) xr->first_stage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            }
            xr->last_sub = in->passes[k].submission;
        }
    return VKG_SUCCESS;
}

/* Runtime ownership fixups: their barrier arrays and one command buffer per device queue
 * (thread 0's pool), when the plan imports anything. */
static vkg_result vkg__real_fixups(vkg_executor *ex, vkg__slot *slot, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    uint32_t bars = x->bar_cap;
    x->fix_ib = vkg__calloc(&ex->host, bars, sizeof *x->fix_ib);
    x->fix_bb = vkg__calloc(&ex->host, bars, sizeof *x->fix_bb);
    x->fix_idq = vkg__calloc(&ex->host, bars, sizeof *x->fix_idq);
    x->fix_bdq = vkg__calloc(&ex->host, bars, sizeof *x->fix_bdq);
    x->fix_need = vkg__calloc(&ex->host, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT + 1,
                              sizeof *x->fix_need);
    if (!x->fix_ib || !x->fix_bb || !x->fix_idq || !x->fix_bdq || !x->fix_need)
        return VKG__OOM(&ex->host, "recording scratch");
    for (uint32_t q = 0; q < dev->dq_count && x->import_count; q++) {
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = slot->pools[q], /* thread 0's */
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        VkResult vr = dev->vk.vkAllocateCommandBuffers(dev->device, &ai, &x->fix_cmd[q]);
        if (vr != VK_SUCCESS) {
            x->fix_cmd[q] = VK_NULL_HANDLE;
            return VKG__VK_FAIL(dev, vr, "vkAllocateCommandBuffers", in->name);
        }
    }
    return VKG_SUCCESS;
}

vkg_result vkg__real_create(vkg_executor *ex, vkg__slot *slot, const vkg_plan *plan,
                            vkg__real **out)
{
    vkg__real *x = vkg__calloc(&ex->host, 1, sizeof *x);
    if (!x) return VKG__OOM(&ex->host, "a plan realisation");
    x->plan = plan;
    x->serial = plan->serial;
    x->slot = (uint32_t)(slot - ex->slots);
    vkg_plan_get_info(plan, &x->in);
    x->split_planes = ex->dev->caps.separate_depth_stencil_layouts;
    const vkg_plan_info *in = &x->in;
    x->dq_of_queue = vkg__calloc(&ex->host, in->queue_count + 1, sizeof(uint32_t));
    x->submit_order = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint32_t));
    x->first_chunk = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint32_t));
    x->scratch = vkg__calloc(&ex->host, ex->threads, sizeof *x->scratch);
    x->values = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint64_t));
    x->deferred_values = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint64_t));
    x->deferred.flush = vkg__flush_tickets;
    x->heaps = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->heaps);
    x->res = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(vkg__xres));
    x->address = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(VkDeviceAddress));
    x->track = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(vkg__track *));
    x->uses = vkg__calloc(&ex->host, in->use_count + 1, sizeof(vkg__xuse));
    x->events = vkg__calloc(&ex->host, in->event_count + 1, sizeof(VkEvent));
    vkg_result r = VKG_SUCCESS;
    if (!x->dq_of_queue || !x->submit_order || !x->first_chunk || !x->scratch || !x->values || !x->deferred_values ||
        !x->heaps || !x->res || !x->address || !x->track || !x->uses || !x->events)
        r = VKG__OOM(&ex->host, "a plan realisation");
    if (r == VKG_SUCCESS) r = vkg__real_queues(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_objects(ex, slot, x);
    if (r == VKG_SUCCESS) r = vkg__real_chunks(ex, slot, x);
    if (r == VKG_SUCCESS) r = vkg__real_heap_use(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_scratch(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_imports(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_fixups(ex, slot, x);
    if (r == VKG_SUCCESS) r = vkg__real_timings(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_crumbs(ex, x);
    if (r == VKG_SUCCESS) r = vkg__real_history(ex, x);
    if (r != VKG_SUCCESS) {
        vkg__real_destroy(ex, x);
        return r;
    }
    vkg__attachment_ops(x);
    vkg__prepare_all(ex, x);
    *out = x;
    return VKG_SUCCESS;
}
