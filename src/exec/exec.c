/* The executor: realises compiled plans on a device and submits them.
 *
 * Per frame slot (frames in flight) an executor keeps one command pool per device queue
 * and a realisation of every plan it ran in that slot: heaps, transient resources bound
 * into them at the planned offsets, per-use views, events and one command buffer per plan
 * submission. Executing waits for the slot's previous tickets on the host, re-records the
 * plan into the same command buffers and submits; after the first execution in a slot
 * nothing is allocated.
 *
 * Imported resources: their GPU-side state lives in the device's buffer/image records
 * (vkg__track). Barriers the compiler flagged IMPORTED get their source side from that
 * state when recorded; after submitting, every imported subresource the plan used gets the
 * plan's final state and the ticket of the submission that used it last.
 */
#include "../device/device.h"
#include "../graph/graph.h"
#include "../util/workers.h"

#include <stdio.h>
#include <unistd.h>

#define VKG__X_NONE UINT32_MAX

typedef struct vkg__xres {
    VkBuffer buffer;
    VkDeviceAddress address;
    VkImage image;
    VkImageAspectFlags aspect;
    vkg_buffer own_buffer; /* transient: created by the realisation */
    vkg_image own_image;
    vkg_allocation own_memory; /* transient that did not fit its planned range */
    uint32_t bound;            /* imported: the bound vkg_buffer/vkg_image id */
    vkg__track *track;         /* imported: the device record's state (buffers: 1 entry) */
    /* imported: the plan submissions of its first and last use, the first use's stages */
    uint32_t first_sub, last_sub;
    VkPipelineStageFlags2 first_stage;
    /* this execution's binding semaphores (vkg_binding) */
    VkSemaphore wait_semaphore, signal_semaphore;
    VkPipelineStageFlags2 wait_stage;
    uint32_t binding; /* imported: index into this execution's bindings, when ... */
    uint64_t bind_stamp; /* ... this equals the realisation's bind_stamp */
    bool rebind;      /* imported image bound to another image than last time: new views */
} vkg__xres;

/* Views of imported images, per use, for the last few images bound (a swapchain's images
 * take turns): rebinding one of them makes nothing. Raw VkImageViews, not vkg_views, so the
 * user may destroy a bound vkg_image (e.g. on swapchain recreation) while they are cached. */
#define VKG__VIEW_CACHE 4

typedef struct vkg__xuse {
    vkg_view view; /* transient image uses with shader or attachment access */
    VkImageView vk_view; /* the view recorded with (either kind) */
    struct {
        uint32_t image; /* vkg_image id (generation included: a new image never matches) */
        VkImageView view;
    } cache[VKG__VIEW_CACHE];
    uint32_t next; /* cache entry to replace next */
    VkAttachmentLoadOp load;
    VkAttachmentStoreOp store;
    /* an imported attachment nothing in the plan touched before: LOAD, or CLEAR when its
     * tracked state at execution says the contents are undefined (a new image) */
    bool import_first;
} vkg__xuse;

/* One primary command buffer: a run of consecutive passes of one plan submission, recorded
 * by one thread from that thread's pool. Chunks are fixed when the plan is realised, so the
 * split and the submission order never depend on timing. */
typedef struct vkg__chunk {
    uint32_t submission;
    uint32_t first, count; /* passes of the submission */
    uint32_t thread;
    uint32_t dq;
    VkCommandBuffer cmd;
} vkg__chunk;

/* A pipeline-barrier batch prepared when the plan is realised (vkg__prepare). */
typedef struct vkg__prep {
    VkDependencyInfo dep;  /* the static part, in the realisation's arrays */
    uint32_t first, count; /* the plan's barriers */
    uint32_t dynamic;      /* of which built at record time */
} vkg__prep;

/* Per recording thread: barrier scratch and the first error it met. */
typedef struct vkg__scratch {
    VkImageMemoryBarrier2 *ib;
    VkBufferMemoryBarrier2 *bb;
    VkDependencyInfo *deps;
    VkEvent *wait_events;
    vkg_result error;
    uint32_t barriers, barrier_calls; /* recorded by this thread in this execution */
} vkg__scratch;

/* Transient memory of a frame slot. Plans executed in the same slot share it: each plan
 * heap is placed in the smallest pool heap of its memory type that is large enough and that
 * the plan does not already use, so a slot holds about the largest plan's memory rather
 * than the sum. Tenants take turns: a plan whose heap another tenant used last orders its
 * accesses after that tenant's (vkg__handoff). */
typedef struct vkg__heap {
    vkg_allocation mem;
    VkDeviceSize size, align;
    uint32_t memory_type;
    uint32_t tenants;             /* realisations placed in it */
    const struct vkg__real *last; /* the tenant that executed last (compared, never read) */
    VkPipelineStageFlags2 stages; /* that tenant's stages and writes on the heap */
    VkAccessFlags2 writes;
    uint64_t value[VKG_QUEUE_ROLE_COUNT]; /* and its last submission per device queue (0: none) */
} vkg__heap;

typedef struct vkg__real {
    const vkg_plan *plan;
    uint64_t serial;
    uint32_t slot; /* frame slot whose pools hold the command buffers */
    uint64_t frame; /* 1 + the executor frame it last ran in */
    vkg_plan_info in;
    /* the device keeps depth and stencil in layouts of their own (else barriers and tracked
     * state cover both planes of a depth/stencil image) */
    bool split_planes;
    /* transient memory, per plan heap: the slot's pool heap, this plan's stages and
     * accesses on it, its first and last submission (submit order) per device queue */
    vkg__heap **heaps;
    VkPipelineStageFlags2 *hstage;
    VkAccessFlags2 *haccess;
    uint32_t *hfirst, *hlast; /* [heap * VKG_QUEUE_ROLE_COUNT + device queue] */
    bool *hturn;              /* this execution takes the heap over from another tenant */
    VkMemoryBarrier2 *handoff; /* per submission, this execution's hand-over barrier */
    bool reprepare;           /* a heap's tenants changed: rebuild the prepared batches */
    vkg__xres *res;
    vkg__xuse *uses;
    VkEvent *events;
    vkg__chunk *chunks;          /* by submission, then pass order */
    uint32_t chunk_count;
    uint32_t *first_chunk;       /* per plan submission, + 1 */
    VkCommandBufferSubmitInfo *cbis; /* per chunk */
    uint32_t active;             /* threads with chunks */
    uint64_t *values;       /* per plan submission: timeline value of this execution */
    uint32_t *dq_of_queue;  /* plan queue -> device queue */
    uint32_t *submit_order; /* submissions by first pass */
    /* imported resources, lists made at realisation so executing is O(what they touch) */
    uint32_t *imports;       /* used imported resources */
    uint32_t import_count;
    uint64_t bind_stamp;     /* executions bound so far (vkg__bind_imports) */
    uint32_t *import_uses;   /* (pass, use) pairs on imported resources, in pass order */
    uint32_t import_use_count;
    uint32_t *import_bars;   /* IMPORTED plan barriers, by submission */
    uint32_t *first_import_bar; /* per submission, + 1 */
    /* prepared batches: per pass before and after it, per submission's prologue */
    vkg__prep *pre, *post, *prol;
    VkMemoryBarrier2 *pmb;
    VkImageMemoryBarrier2 *pib;
    VkBufferMemoryBarrier2 *pbb;
    uint32_t npmb, npib, npbb;
    /* recording scratch, sized at realisation */
    vkg__scratch *scratch; /* per recording thread */
    uint32_t bar_cap;
    uint32_t dep_cap;
    VkSemaphoreSubmitInfo *waits;
    uint32_t wait_cap;
    VkSemaphoreSubmitInfo *signals; /* the timeline, then bindings' signal semaphores */
    /* runtime ownership (vkg__fixups): releases of imported subresources that another
     * family than the plan assumed owns, per device queue, recorded and submitted before
     * the plan; the plan's first use acquires them */
    VkCommandBuffer fix_cmd[VKG_QUEUE_ROLE_COUNT];
    VkImageMemoryBarrier2 *fix_ib;
    VkBufferMemoryBarrier2 *fix_bb;
    uint8_t *fix_idq, *fix_bdq; /* device queue of each release */
    uint32_t fix_ni, fix_nb;
    uint64_t fix_wait[VKG_QUEUE_ROLE_COUNT][VKG_QUEUE_ROLE_COUNT]; /* [release dq][last-use dq] */
    uint64_t fix_value[VKG_QUEUE_ROLE_COUNT]; /* this execution's release submission, 0 none */
    bool *fix_need; /* [plan submission * VKG_QUEUE_ROLE_COUNT + release dq] */
} vkg__real;

typedef struct vkg__slot {
    VkCommandPool *pools; /* per recording thread, per device queue: [t * ROLE_COUNT + dq] */
    vkg_ticket last[VKG_QUEUE_ROLE_COUNT];     /* per device queue */
    vkg__real **reals;
    uint32_t real_count, real_cap;
    vkg__heap **heaps;
    uint32_t heap_count, heap_cap;
    uint64_t *reset; /* per recording thread: 1 + the frame its pools were last reset in */
} vkg__slot;

struct vkg_executor {
    vkg_device *dev;
    vkg__host host;
    char name[64];
    uint32_t frames;
    uint32_t drop; /* debug_drop_barrier */
    uint32_t threads;
    uint32_t grain; /* passes per command buffer before a submission is split */
    vkg__workers *workers;
    bool dedicated_heaps;
    bool no_handoff; /* debug_no_handoff */
    bool in_frame; /* between vkg_executor_begin_frame and _end_frame */
    uint64_t frame;
    vkg__slot *slots;
    vkg_executor_stats stats;
};

struct vkg_pass_context {
    vkg_executor *ex;
    vkg__real *real;
    uint32_t pass;
    VkCommandBuffer cmd;
    uint32_t thread;
};

static void vkg__prepare_all(vkg_executor *ex, vkg__real *x);

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
static vkg_result vkg__import_views(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_resource *r = &x->in.resources[ri];
    const vkg__xres *xr = &x->res[ri];
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        uint32_t ui = x->import_uses[2 * j + 1];
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
static void vkg__slot_sweep(vkg_executor *ex, vkg__slot *slot)
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

static void vkg__real_destroy(vkg_executor *ex, vkg__real *x)
{
    if (!x) return;
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
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
    vkg__free(&ex->host, x->uses);
    vkg__free(&ex->host, x->events);
    vkg__free(&ex->host, x->chunks);
    vkg__free(&ex->host, x->pre);
    vkg__free(&ex->host, x->imports);
    vkg__free(&ex->host, x->signals);
    vkg__free(&ex->host, x->import_uses);
    vkg__free(&ex->host, x->import_bars);
    vkg__free(&ex->host, x->first_import_bar);
    vkg__free(&ex->host, x->post);
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

/* The sharing a plan resource's device object must have. */
static vkg_sharing vkg__plan_sharing(const vkg_plan_resource *r)
{
    return r->concurrent ? VKG_SHARING_CONCURRENT : VKG_SHARING_EXCLUSIVE;
}

/* Whether a bound object's sharing disagrees with the plan's (on one family both modes are
 * the same object, created exclusive). */
static bool vkg__sharing_differs(const vkg_device *dev, const vkg_plan_resource *r,
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
        vkg_result vr = vkg_image_create(dev,
                                         &(vkg_image_desc){.name = r->name,
                                                           .format = r->format,
                                                           .width = r->width,
                                                           .height = r->height,
                                                           .depth = r->depth,
                                                           .mips = r->mips,
                                                           .layers = r->layers,
                                                           .samples = r->samples,
                                                           .usage = r->image_usage,
                                                           .memory = bind,
                                                           .sharing = vkg__plan_sharing(r)},
                                         &xr->own_image);
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
    xr->address = bi.address;
    return VKG_SUCCESS;
}

/* A plan wait's stage mask as a semaphore wait's: HOST names no command-buffer stage and is
 * not allowed there; the compiler puts ALL_COMMANDS beside every host access. */
static VkPipelineStageFlags2 vkg__wait_stage(VkPipelineStageFlags2 stage)
{
    stage &= ~VK_PIPELINE_STAGE_2_HOST_BIT;
    return stage ? stage : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
}

/* The stages a command on device queue `dq` may name: a heap's stages gathered over every
 * queue (a graphics pass's attachment output, say) become ALL_COMMANDS on a compute or
 * transfer family, which cannot name them (VUID-vkCmdPipelineBarrier2-srcStageMask-03849,
 * VUID-vkQueueSubmit2-stageMask-03870). */
static VkPipelineStageFlags2 vkg__queue_stages(const vkg_device *dev, uint32_t dq,
                                               VkPipelineStageFlags2 stages)
{
    VkQueueFlags f = dev->caps.queue_families[dev->dq[dq].family].flags;
    if (f & VK_QUEUE_GRAPHICS_BIT) return stages;
    VkPipelineStageFlags2 ok =
        VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT | VK_PIPELINE_STAGE_2_BOTTOM_OF_PIPE_BIT |
        VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_2_HOST_BIT |
        VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT | VK_PIPELINE_STAGE_2_COPY_BIT |
        VK_PIPELINE_STAGE_2_CLEAR_BIT;
    if (f & VK_QUEUE_COMPUTE_BIT)
        ok |= VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_2_DRAW_INDIRECT_BIT;
    return (stages & ~ok) ? VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT : stages;
}

/* Where a submission goes in submission order: after its first pass's predecessors in plan
 * order; a prologue-only submission before all. (first_pass indexes queue_passes.) */
static uint32_t vkg__sub_key(const vkg_plan_info *in, uint32_t s)
{
    const vkg_plan_submission *sub = &in->submissions[s];
    return sub->pass_count ? in->queue_passes[sub->first_pass] + 1 : 0;
}

static vkg_result vkg__real_create(vkg_executor *ex, vkg__slot *slot, const vkg_plan *plan,
                                   vkg__real **out)
{
    vkg_device *dev = ex->dev;
    vkg__real *x = vkg__calloc(&ex->host, 1, sizeof *x);
    if (!x) return VKG__OOM(&ex->host, "a plan realisation");
    x->plan = plan;
    x->serial = plan->serial;
    x->slot = (uint32_t)(slot - ex->slots);
    vkg_plan_get_info(plan, &x->in);
    x->split_planes = ex->dev->caps.separate_depth_stencil_layouts;
    const vkg_plan_info *in = &x->in;
    vkg_result r = VKG_SUCCESS;

    /* queues: the plan's families must be this device's */
    x->dq_of_queue = vkg__calloc(&ex->host, in->queue_count + 1, sizeof(uint32_t));
    x->submit_order = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint32_t));
    x->first_chunk = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint32_t));
    x->scratch = vkg__calloc(&ex->host, ex->threads, sizeof *x->scratch);
    x->values = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint64_t));
    x->heaps = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->heaps);
    x->res = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(vkg__xres));
    x->uses = vkg__calloc(&ex->host, in->use_count + 1, sizeof(vkg__xuse));
    x->events = vkg__calloc(&ex->host, in->event_count + 1, sizeof(VkEvent));
    if (!x->dq_of_queue || !x->submit_order || !x->first_chunk || !x->scratch || !x->values || !x->heaps || !x->res ||
        !x->uses || !x->events) {
        vkg__real_destroy(ex, x);
        return VKG__OOM(&ex->host, "a plan realisation");
    }
    for (uint32_t q = 0; q < in->queue_count && r == VKG_SUCCESS; q++) {
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
            r = VKG_ERROR_INVALID_ARGUMENT;
        }
    }
    for (uint32_t h = 0; h < in->heap_count && r == VKG_SUCCESS; h++) {
        if (in->heaps[h].memory_type >= dev->caps.memory_type_count) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): heap %u is planned in memory type %u, but device "
                       "\"%s\" has %u types: compile the plan with this device's caps",
                       in->name, h, in->heaps[h].memory_type, dev->caps.device_name,
                       dev->caps.memory_type_count);
            r = VKG_ERROR_INVALID_ARGUMENT;
            break;
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
    /* chunks: a submission of n passes becomes min(threads, n / grain) command buffers (at
     * least one) of consecutive passes; chunks go to threads round-robin, and each command
     * buffer comes from its thread's pool for this slot and queue */
    uint32_t chunks = 0;
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t n = in->submissions[s].pass_count / ex->grain;
        chunks += VKG__MAX(1u, VKG__MIN(ex->threads, n));
    }
    x->chunks = vkg__calloc(&ex->host, chunks + 1, sizeof *x->chunks);
    x->cbis = vkg__calloc(&ex->host, chunks + 1, sizeof *x->cbis);
    if (r == VKG_SUCCESS && (!x->chunks || !x->cbis)) r = VKG__OOM(&ex->host, "command buffers");
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
    /* submission order: by first pass, so every semaphore wait follows its signal; a
     * prologue alone (releases of imported resources, no pass) goes first */
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t at = s;
        uint32_t key = vkg__sub_key(in, s);
        while (at > 0 && vkg__sub_key(in, x->submit_order[at - 1]) > key) {
            x->submit_order[at] = x->submit_order[at - 1];
            at--;
        }
        x->submit_order[at] = s;
    }
    /* transient memory: per heap, this plan's stages and accesses on it and its first and
     * last submission per device queue, for taking the heap over from another tenant */
    size_t nhq = (size_t)in->heap_count * VKG_QUEUE_ROLE_COUNT + 1;
    x->hstage = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->hstage);
    x->haccess = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->haccess);
    x->hturn = vkg__calloc(&ex->host, in->heap_count + 1, sizeof *x->hturn);
    x->hfirst = vkg__calloc(&ex->host, nhq, sizeof *x->hfirst);
    x->hlast = vkg__calloc(&ex->host, nhq, sizeof *x->hlast);
    x->handoff = vkg__calloc(&ex->host, in->submission_count + 1, sizeof *x->handoff);
    if (r == VKG_SUCCESS &&
        (!x->hstage || !x->haccess || !x->hturn || !x->hfirst || !x->hlast || !x->handoff))
        r = VKG__OOM(&ex->host, "a plan realisation");
    if (r == VKG_SUCCESS) {
        for (size_t i = 0; i < nhq; i++) x->hfirst[i] = x->hlast[i] = VKG__X_NONE;
        for (uint32_t i = 0; i < in->submission_count; i++) {
            uint32_t s = x->submit_order[i];
            const vkg_plan_submission *sub = &in->submissions[s];
            uint32_t dq = x->dq_of_queue[sub->queue];
            for (uint32_t j = 0; j < sub->pass_count; j++) {
                const vkg_plan_pass *p =
                    &in->passes[in->queue_passes[sub->first_pass + j]];
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
    }
    /* recording scratch: an imported image barrier may become one per subresource */
    uint32_t bars = 1, deps = 1, waits = 1;
    for (uint32_t b = 0; b < in->barrier_count; b++) {
        const vkg_plan_barrier *pb = &in->barriers[b];
        bars += (pb->flags & VKG_BARRIER_IMPORTED) && in->resources[pb->resource].is_image
                    ? pb->mip_count * pb->layer_count
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
    x->prol = vkg__calloc(&ex->host, in->submission_count + 1, sizeof *x->prol);
    x->pmb = vkg__calloc(&ex->host, 2 * in->pass_count + in->submission_count + 1, sizeof *x->pmb);
    x->pib = vkg__calloc(&ex->host, in->barrier_count + 1, sizeof *x->pib);
    x->pbb = vkg__calloc(&ex->host, in->barrier_count + 1, sizeof *x->pbb);
    x->imports = vkg__calloc(&ex->host, in->resource_count + 1, sizeof(uint32_t));
    x->import_uses = vkg__calloc(&ex->host, 2 * (size_t)in->use_count + 1, sizeof(uint32_t));
    x->signals = vkg__calloc(&ex->host, in->resource_count + 1, sizeof *x->signals);
    ok = ok && x->signals;
    x->import_bars = vkg__calloc(&ex->host, in->barrier_count + 1, sizeof(uint32_t));
    x->first_import_bar = vkg__calloc(&ex->host, in->submission_count + 1, sizeof(uint32_t));
    ok = ok && x->pre && x->post && x->prol && x->pmb && x->pib && x->pbb && x->imports &&
         x->import_uses && x->import_bars && x->first_import_bar;
    if (ok) {
        for (uint32_t ri = 0; ri < in->resource_count; ri++)
            if (in->resources[ri].imported && in->resources[ri].used) x->imports[x->import_count++] = ri;
        for (uint32_t k = 0; k < in->pass_count; k++)
            for (uint32_t i = 0; i < in->passes[k].use_count; i++) {
                uint32_t ui = in->passes[k].first_use + i;
                if (!in->resources[in->uses[ui].resource].imported) continue;
                x->import_uses[2 * x->import_use_count] = k;
                x->import_uses[2 * x->import_use_count + 1] = ui;
                x->import_use_count++;
                vkg__xres *xr = &x->res[in->uses[ui].resource];
                if (!xr->first_stage) {
                    xr->first_sub = in->passes[k].submission;
                    xr->first_stage = vkg_access_get(in->uses[ui].access)->stage;
                    if (!xr->first_stage) xr->first_stage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
                }
                xr->last_sub = in->passes[k].submission;
            }
        uint32_t nib = 0;
        for (uint32_t s = 0; s < in->submission_count; s++) {
            const vkg_plan_submission *sub = &in->submissions[s];
            x->first_import_bar[s] = nib;
            for (uint32_t j = 0; j < sub->pass_count; j++) {
                const vkg_plan_pass *p =
                    &in->passes[in->queue_passes[sub->first_pass + j]];
                for (uint32_t b = 0; b < p->barrier_count; b++)
                    if (in->barriers[p->first_barrier + b].flags & VKG_BARRIER_IMPORTED)
                        x->import_bars[nib++] = p->first_barrier + b;
            }
        }
        x->first_import_bar[in->submission_count] = nib;
    }
    x->fix_ib = vkg__calloc(&ex->host, bars, sizeof *x->fix_ib);
    x->fix_bb = vkg__calloc(&ex->host, bars, sizeof *x->fix_bb);
    x->fix_idq = vkg__calloc(&ex->host, bars, sizeof *x->fix_idq);
    x->fix_bdq = vkg__calloc(&ex->host, bars, sizeof *x->fix_bdq);
    x->fix_need = vkg__calloc(&ex->host, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT + 1,
                              sizeof *x->fix_need);
    ok = ok && x->fix_ib && x->fix_bb && x->fix_idq && x->fix_bdq && x->fix_need;
    for (uint32_t q = 0; q < dev->dq_count && ok && r == VKG_SUCCESS && x->import_count; q++) {
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = slot->pools[q], /* thread 0's */
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        VkResult vr = dev->vk.vkAllocateCommandBuffers(dev->device, &ai, &x->fix_cmd[q]);
        if (vr != VK_SUCCESS) {
            x->fix_cmd[q] = VK_NULL_HANDLE;
            r = VKG__VK_FAIL(dev, vr, "vkAllocateCommandBuffers", in->name);
        }
    }
    if (r == VKG_SUCCESS && !ok) r = VKG__OOM(&ex->host, "recording scratch");
    if (r == VKG_SUCCESS) {
        vkg__attachment_ops(x);
        vkg__prepare_all(ex, x);
    }
    if (r != VKG_SUCCESS) {
        vkg__real_destroy(ex, x);
        return r;
    }
    *out = x;
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Imported bindings
 * ---------------------------------------------------------------------------------------- */

/* Resolves every used imported resource to its binding: O(bindings + imports), with the
 * device lock taken once (6,000 bindings cost 6,000 steps, not 36 million). A resource bound
 * twice takes the last binding. Every binding is checked again each time: caching a check
 * by handle would trust an id whose 12-bit generation may have wrapped. */
static vkg_result vkg__bind_imports(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    uint64_t stamp = ++x->bind_stamp;
    for (uint32_t i = 0; i < d->binding_count; i++) {
        uint32_t id = d->bindings[i].resource.id;
        /* a binding the plan would not use is a mistake, not a no-op: the caller expects
         * its buffer or image to be read or written */
        VKG_CHECK(&ex->host, id >= 1 && id <= in->resource_count, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] names resource handle %u, which is not a "
                  "resource of this plan's graph (it has %u)",
                  in->name, i, id, in->resource_count);
        const vkg_plan_resource *r = &in->resources[id - 1];
        VKG_CHECK(&ex->host, r->imported, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] binds %s \"%s\", but it is transient: the "
                  "graph creates and places it, and a binding would be ignored (its contents "
                  "would never reach your %s): declare it imported (imported = true) to bind "
                  "your own",
                  in->name, i, r->is_image ? "image" : "buffer", r->name,
                  r->is_image ? "image" : "buffer");
        x->res[id - 1].binding = i;
        x->res[id - 1].bind_stamp = stamp;
    }
    vkg_result res = VKG_SUCCESS;
    bool views = false;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t ii = 0; ii < x->import_count && res == VKG_SUCCESS; ii++) {
        uint32_t ri = x->imports[ii];
        const vkg_plan_resource *r = &in->resources[ri];
        vkg__xres *xr = &x->res[ri];
        if (xr->bind_stamp != stamp) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): imported %s \"%s\" has no binding: add a vkg_binding "
                       "with its vkg_%s",
                       in->name, r->is_image ? "image" : "buffer", r->name,
                       r->is_image ? "image" : "buffer");
            res = VKG_ERROR_INVALID_ARGUMENT;
            break;
        }
        const vkg_binding *b = &d->bindings[xr->binding];
        uint32_t id = r->is_image ? b->image.id : b->buffer.id;
        xr->wait_semaphore = b->wait_semaphore;
        xr->wait_stage = b->wait_stage ? b->wait_stage : xr->first_stage;
        xr->signal_semaphore = b->signal_semaphore;
        if (r->is_image) {
            vkg__image_rec *im = vkg__pool_get(&dev->images, b->image.id);
            if (!im) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): the binding of image \"%s\" holds a stale or "
                           "invalid vkg_image (id %u)",
                           in->name, r->name, b->image.id);
                res = VKG_ERROR_INVALID_HANDLE;
            } else if (im->format != r->format || im->width != r->width ||
                       im->height != r->height || im->depth != r->depth ||
                       im->mips != r->mips || im->layers != r->layers) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is declared %s %ux%ux%u, %u mips, "
                           "%u layers, but the bound image \"%s\" is %s %ux%ux%u, %u mips, %u "
                           "layers",
                           in->name, r->name, vkg_format_name(r->format), r->width, r->height,
                           r->depth, r->mips, r->layers, im->name, vkg_format_name(im->format),
                           im->width, im->height, im->depth, im->mips, im->layers);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if ((im->usage & r->image_usage) != r->image_usage) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is used with usage 0x%x, but the "
                           "bound image \"%s\" was created with 0x%x",
                           in->name, r->name, r->image_usage, im->name, im->usage);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if (vkg__sharing_differs(dev, r, im->concurrent)) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is declared %s, but the bound "
                           "image \"%s\" was created %s: give both the same vkg_sharing",
                           in->name, r->name, r->concurrent ? "concurrent" : "exclusive",
                           im->name, im->concurrent ? "concurrent" : "exclusive");
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else {
                xr->image = im->image;
                xr->aspect = im->aspect;
                xr->track = im->track;
                xr->rebind = xr->bound != b->image.id;
                views |= xr->rebind;
                if (!xr->rebind) xr->bound = id;
            }
        } else {
            vkg__buffer_rec *bu = vkg__pool_get(&dev->buffers, b->buffer.id);
            if (!bu) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): the binding of buffer \"%s\" holds a stale or "
                           "invalid vkg_buffer (id %u)",
                           in->name, r->name, b->buffer.id);
                res = VKG_ERROR_INVALID_HANDLE;
            } else if (bu->size < r->size) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is declared %llu bytes, but the "
                           "bound buffer \"%s\" has %llu",
                           in->name, r->name, (unsigned long long)r->size, bu->name,
                           (unsigned long long)bu->size);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if ((bu->usage & r->buffer_usage) != r->buffer_usage) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is used with usage 0x%x, but the "
                           "bound buffer \"%s\" was created with 0x%x",
                           in->name, r->name, r->buffer_usage, bu->name, bu->usage);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if (vkg__sharing_differs(dev, r, bu->concurrent)) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is declared %s, but the bound "
                           "buffer \"%s\" was created %s: give both the same vkg_sharing",
                           in->name, r->name, r->concurrent ? "concurrent" : "exclusive",
                           bu->name, bu->concurrent ? "concurrent" : "exclusive");
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else {
                xr->buffer = bu->buffer;
                xr->address = bu->address;
                xr->track = &bu->track;
                xr->rebind = false;
                xr->bound = id;
            }
        }
    }
    pthread_mutex_unlock(&dev->lock);
    if (res != VKG_SUCCESS) return res;
    /* views of images bound to another image than last time (outside the device lock:
     * creating a view takes it) */
    for (uint32_t ii = 0; views && ii < x->import_count; ii++) {
        vkg__xres *xr = &x->res[x->imports[ii]];
        if (!xr->rebind) continue;
        res = vkg__import_views(ex, x, x->imports[ii], d->bindings[xr->binding].image.id);
        if (res != VKG_SUCCESS) return res;
        xr->bound = d->bindings[xr->binding].image.id;
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Recording
 * ---------------------------------------------------------------------------------------- */

/* Barrier structures being gathered for one vkCmdPipelineBarrier2 / event. */
typedef struct vkg__batch {
    VkImageMemoryBarrier2 *ib;
    VkBufferMemoryBarrier2 *bb;
    uint32_t ni, nb, cap;
    vkg_result *error;
} vkg__batch;

static vkg__batch vkg__scratch_batch(vkg__real *x, vkg__scratch *sc)
{
    return (vkg__batch){sc->ib, sc->bb, 0, 0, x->bar_cap, &sc->error};
}

static void vkg__emit(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b,
                      VkImageLayout old_layout, uint32_t mip, uint32_t mips, uint32_t layer,
                      uint32_t layers)
{
    const vkg__xres *xr = &x->res[b->resource];
    if (x->in.resources[b->resource].is_image) {
        if (bt->ni >= bt->cap) return;
        bt->ib[bt->ni++] = (VkImageMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
            .srcStageMask = b->src_stage,
            .srcAccessMask = b->src_access,
            .dstStageMask = b->dst_stage,
            .dstAccessMask = b->dst_access,
            .oldLayout = old_layout,
            .newLayout = b->new_layout,
            .srcQueueFamilyIndex = b->src_family,
            .dstQueueFamilyIndex = b->dst_family,
            .image = xr->image,
            .subresourceRange = {b->aspect ? b->aspect : xr->aspect, mip, mips, layer, layers}};
    } else {
        if (bt->nb >= bt->cap) return;
        bt->bb[bt->nb++] = (VkBufferMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                                   .srcStageMask = b->src_stage,
                                                   .srcAccessMask = b->src_access,
                                                   .dstStageMask = b->dst_stage,
                                                   .dstAccessMask = b->dst_access,
                                                   .srcQueueFamilyIndex = b->src_family,
                                                   .dstQueueFamilyIndex = b->dst_family,
                                                   .buffer = xr->buffer,
                                                   .offset = b->offset,
                                                   .size = b->size};
    }
}

/* Runtime ownership. A plan assumes each imported resource is owned by the family of the
 * queue role its declared state names (or, undeclared, by the family of its first use). The
 * tracked state says who really used it last; where that is another family and the contents
 * matter, the executor moves ownership itself: a release recorded on a queue of the owning
 * family (vkg__fixups, submitted before the plan after the last use's ticket) and the acquire
 * in the plan's first use, with a semaphore between them. Both halves come from the same
 * decision on the same tracked state, per subresource, so they always match. */
typedef enum vkg__import_kind {
    VKG__IMPORT_PLANNED, /* the tracked owner is the one the plan assumed */
    VKG__IMPORT_SKIP,    /* a planned release that the actual owner makes instead */
    VKG__IMPORT_LOCAL,   /* no transfer: the actual owner is the user's family, or the use
                            discards the contents */
    VKG__IMPORT_ACQUIRE, /* acquire from the actual owner, which releases in a fixup */
} vkg__import_kind;

static bool vkg__track_defined(const vkg__track *t)
{
    return t->write_stage || t->read_stage || t->layout != VK_IMAGE_LAYOUT_UNDEFINED;
}

/* How the IMPORTED plan barrier `pb`, recorded on a queue of `family`, meets the tracked
 * state `t` of one of its subresources; *dst: the family that uses it. */
static vkg__import_kind vkg__import_kind_of(const vkg_plan_barrier *pb, const vkg__track *t,
                                            uint32_t family, bool concurrent, uint32_t *dst)
{
    bool halves = pb->flags & (VKG_BARRIER_RELEASE | VKG_BARRIER_ACQUIRE);
    uint32_t expect = halves ? pb->src_family : family;
    *dst = halves ? pb->dst_family : family;
    if (concurrent) return VKG__IMPORT_PLANNED; /* no owner: every family may use it */
    if (!vkg__track_defined(t) || t->family == VK_QUEUE_FAMILY_IGNORED || t->family == expect)
        return VKG__IMPORT_PLANNED;
    if (pb->flags & VKG_BARRIER_RELEASE) return VKG__IMPORT_SKIP;
    if (t->family == *dst || (pb->flags & VKG_BARRIER_DISCARD)) return VKG__IMPORT_LOCAL;
    return VKG__IMPORT_ACQUIRE;
}

/* The planes [*p0, *p0 + *n) that `aspect` names of image `r`: a format with depth and
 * stencil keeps a state per plane (0 depth, 1 stencil), plane-major, as the compiler does. */
static void vkg__aspect_planes(const vkg__xres *xr, VkImageAspectFlags aspect, uint32_t *p0,
                               uint32_t *n)
{
    const VkImageAspectFlags ds = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    if (xr->aspect != ds || !aspect) {
        *p0 = 0;
        *n = xr->aspect == ds ? 2 : 1;
        return;
    }
    *p0 = (aspect & VK_IMAGE_ASPECT_DEPTH_BIT) ? 0 : 1;
    *n = (aspect & ds) == ds ? 2 : 1;
}

static VkImageAspectFlags vkg__xplane_aspect(const vkg__xres *xr, uint32_t plane)
{
    if (xr->aspect != (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT)) return xr->aspect;
    return plane ? VK_IMAGE_ASPECT_STENCIL_BIT : VK_IMAGE_ASPECT_DEPTH_BIT;
}

/* The aspects whose contents a use touches: an attachment row's own, else the use's. */
static VkImageAspectFlags vkg__use_aspect(const vkg_plan_use *u, const vkg__xres *xr)
{
    VkImageAspectFlags row = vkg_access_get(u->access)->aspect;
    if (row) return row & xr->aspect;
    return u->aspect ? u->aspect : xr->aspect;
}

/* The aspects whose tracked state a use changes: its own, or both planes where the device
 * keeps them in one layout. */
static VkImageAspectFlags vkg__track_aspect(const vkg__real *x, const vkg_plan_use *u,
                                            const vkg__xres *xr)
{
    return x->split_planes ? vkg__use_aspect(u, xr) : xr->aspect;
}

static vkg__track *vkg__track_at(const vkg_plan_resource *r, const vkg__xres *xr, uint32_t plane,
                                 uint32_t mip, uint32_t layer)
{
    return &xr->track[(plane * r->mips + mip) * r->layers + layer];
}

/* The tracked state of subresource (plane, m, l) of an IMPORTED barrier's range. */
static const vkg__track *vkg__import_track(const vkg__real *x, const vkg_plan_barrier *pb,
                                           uint32_t plane, uint32_t m, uint32_t l)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    const vkg__xres *xr = &x->res[pb->resource];
    return r->is_image ? vkg__track_at(r, xr, plane, pb->base_mip + m, pb->base_layer + l)
                       : xr->track;
}

/* A barrier flagged IMPORTED: its source side comes from the tracked state. */
static void vkg__emit_imported(vkg_executor *ex, vkg__real *x, vkg__batch *bt,
                               const vkg_plan_barrier *pb, uint32_t family)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    const vkg__xres *xr = &x->res[pb->resource];
    uint32_t mips = r->is_image ? pb->mip_count : 1, layers = r->is_image ? pb->layer_count : 1;
    uint32_t p0 = 0, np = 1;
    if (r->is_image) vkg__aspect_planes(xr, pb->aspect, &p0, &np);
    (void)ex;
    for (uint32_t pl = p0; pl < p0 + np; pl++)
    for (uint32_t m = 0; m < mips; m++)
        for (uint32_t l = 0; l < layers; l++) {
            const vkg__track *t = vkg__import_track(x, pb, pl, m, l);
            vkg_plan_barrier b = *pb;
            b.aspect = r->is_image ? vkg__xplane_aspect(xr, pl) : 0;
            bool acquire = pb->flags & VKG_BARRIER_ACQUIRE;
            uint32_t dst;
            switch (vkg__import_kind_of(pb, t, family, r->concurrent, &dst)) {
            case VKG__IMPORT_PLANNED: break;
            case VKG__IMPORT_SKIP: continue;
            case VKG__IMPORT_LOCAL:
                /* the user's family owns it already (or its contents go): a plain barrier */
                b.src_family = b.dst_family = VK_QUEUE_FAMILY_IGNORED;
                b.flags &= ~(uint32_t)VKG_BARRIER_ACQUIRE;
                acquire = false;
                break;
            case VKG__IMPORT_ACQUIRE:
                /* after the fixup release's semaphore, waited for at ALL_COMMANDS */
                b.src_family = t->family;
                b.dst_family = dst;
                b.src_stage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
                b.src_access = VK_ACCESS_2_NONE;
                b.flags |= VKG_BARRIER_ACQUIRE;
                acquire = true;
                break;
            }
            if (!acquire) {
                b.src_stage = t->write_stage | t->read_stage;
                b.src_access = t->write_access;
                /* after a binding's wait semaphore (a swapchain acquire): chain to it, so a
                 * layout transition waits for the presentation engine */
                if (xr->wait_semaphore) b.src_stage |= xr->wait_stage;
            }
            VkImageLayout old = (pb->flags & VKG_BARRIER_DISCARD) ? VK_IMAGE_LAYOUT_UNDEFINED
                                                                   : t->layout;
            if (!r->is_image) old = VK_IMAGE_LAYOUT_UNDEFINED;
            bool transfer = b.src_family != b.dst_family;
            if (!transfer && !b.src_stage && !b.src_access && (!r->is_image || old == b.new_layout))
                continue; /* nothing before it: nothing to order against */
            /* read after reads, with no tracked GPU write to make visible (contents from the
             * host, or only read so far) and no layout change: nothing to order */
            if (!transfer && !acquire && !t->write_stage && !t->write_access &&
                !(b.dst_access & VKG__WRITE_ACCESS) && (!r->is_image || old == b.new_layout))
                continue;
            if (!transfer && !b.src_stage) b.src_stage = VK_PIPELINE_STAGE_2_NONE;
            if (pb->flags & VKG_BARRIER_RELEASE) {
                b.dst_stage = VK_PIPELINE_STAGE_2_NONE;
                b.dst_access = VK_ACCESS_2_NONE;
            }
            vkg__emit(x, bt, &b, old, r->is_image ? pb->base_mip + m : 0, 1,
                      r->is_image ? pb->base_layer + l : 0, 1);
        }
}

/* Whether every subresource of an imported image use is, by its tracked state, untouched
 * (undefined layout, no GPU access yet): a new image whose contents need not be loaded. */
static bool vkg__contents_undefined(const vkg__real *x, const vkg_plan_use *u)
{
    const vkg_plan_resource *r = &x->in.resources[u->resource];
    const vkg__xres *xr = &x->res[u->resource];
    if (!r->is_image || !xr->track) return false;
    uint32_t p0, np;
    vkg__aspect_planes(xr, vkg__use_aspect(u, xr), &p0, &np);
    for (uint32_t pl = p0; pl < p0 + np; pl++)
        for (uint32_t m = 0; m < u->mip_count; m++)
            for (uint32_t l = 0; l < u->layer_count; l++) {
                const vkg__track *t = vkg__track_at(r, xr, pl, u->base_mip + m, u->base_layer + l);
                if (t->write_stage || t->read_stage || t->layout != VK_IMAGE_LAYOUT_UNDEFINED)
                    return false;
            }
    return true;
}

/* Whether a plan barrier can join the batch's one global VkMemoryBarrier2: no layout
 * transition and no queue-family transfer, so its range adds nothing. Execution and memory
 * dependencies then hold for every resource, a superset of what each barrier asked for; the
 * batch costs one structure, however many resources it orders (a chain of aliased transients
 * needs both a read-after-write and the alias's write-after-write in every pass). */
static bool vkg__foldable(const vkg__real *x, const vkg_plan_barrier *b)
{
    const vkg_plan_resource *r = &x->in.resources[b->resource];
    return !(b->flags & (VKG_BARRIER_IMPORTED | VKG_BARRIER_SPLIT)) &&
           b->src_family == b->dst_family && (!r->is_image || b->old_layout == b->new_layout);
}

/* Barriers built when recorded: first uses of imported resources (patched from the tracked
 * state) and unfoldable barriers of imported resources (their handles follow the binding). */
static bool vkg__dynamic(const vkg__real *x, const vkg_plan_barrier *b)
{
    if (b->flags & VKG_BARRIER_IMPORTED) return true;
    return x->in.resources[b->resource].imported && !vkg__foldable(x, b);
}

/* Prepares a batch at realisation: the foldable barriers become one VkMemoryBarrier2, the
 * other static ones their buffer / image barriers, all in the realisation's arrays. */
static void vkg__prepare(vkg_executor *ex, vkg__real *x, uint32_t first, uint32_t count,
                         vkg__prep *p)
{
    *p = (vkg__prep){.dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO},
                     .first = first,
                     .count = count};
    VkMemoryBarrier2 m = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    bool fold = false;
    vkg_result unused = VKG_SUCCESS;
    vkg__batch bt = {x->pib + x->npib, x->pbb + x->npbb, 0, 0, x->in.barrier_count - x->npib,
                     &unused};
    uint32_t bcap = x->in.barrier_count - x->npbb;
    for (uint32_t i = 0; i < count; i++) {
        const vkg_plan_barrier *b = &x->in.barriers[first + i];
        if (first + i + 1 == ex->drop) continue;
        if (vkg__dynamic(x, b)) {
            p->dynamic++;
            continue;
        }
        vkg_plan_barrier chained;
        const vkg_plan_resource *r = &x->in.resources[b->resource];
        if (r->is_image && !r->imported && r->heap != UINT32_MAX && !b->src_stage &&
            x->heaps[r->heap]->tenants > 1) {
            /* the first use of memory another plan also uses: chain the layout transition
             * after the hand-over barrier (whose second scope holds every stage this plan
             * uses on the heap) */
            chained = *b;
            chained.src_stage = b->dst_stage;
            b = &chained;
        }
        if (vkg__foldable(x, b)) {
            m.srcStageMask |= b->src_stage;
            m.srcAccessMask |= b->src_access;
            m.dstStageMask |= b->dst_stage;
            m.dstAccessMask |= b->dst_access;
            fold = true;
            continue;
        }
        bt.cap = x->in.resources[b->resource].is_image ? x->in.barrier_count - x->npib : bcap;
        vkg__emit(x, &bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer,
                  b->layer_count);
    }
    if (fold) {
        x->pmb[x->npmb] = m;
        p->dep.memoryBarrierCount = 1;
        p->dep.pMemoryBarriers = &x->pmb[x->npmb++];
    }
    p->dep.imageMemoryBarrierCount = bt.ni;
    p->dep.pImageMemoryBarriers = bt.ni ? bt.ib : NULL;
    p->dep.bufferMemoryBarrierCount = bt.nb;
    p->dep.pBufferMemoryBarriers = bt.nb ? bt.bb : NULL;
    x->npib += bt.ni;
    x->npbb += bt.nb;
}

/* An ordering dependency on an earlier pass of this queue (vkg_pass_desc.after): everything
 * before, all memory, joins the batch's global barrier (each batch has at most one, so the
 * array sized one per batch holds it). */
static void vkg__order_after_barrier(vkg__real *x, vkg__prep *p)
{
    VkMemoryBarrier2 *m;
    if (p->dep.memoryBarrierCount) {
        m = (VkMemoryBarrier2 *)p->dep.pMemoryBarriers;
    } else {
        m = &x->pmb[x->npmb++];
        *m = (VkMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
        p->dep.memoryBarrierCount = 1;
        p->dep.pMemoryBarriers = m;
    }
    m->srcStageMask |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    m->srcAccessMask |= VK_ACCESS_2_MEMORY_WRITE_BIT;
    m->dstStageMask |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    m->dstAccessMask |= VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
}

/* Every batch of the plan: prologues, and before and after each pass. Run again, over the
 * same arrays, when a heap's tenants change. */
static void vkg__prepare_all(vkg_executor *ex, vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    x->npmb = x->npib = x->npbb = 0;
    for (uint32_t s = 0; s < in->submission_count; s++)
        vkg__prepare(ex, x, in->submissions[s].first_prologue, in->submissions[s].prologue_count,
                     &x->prol[s]);
    for (uint32_t k = 0; k < in->pass_count; k++) {
        vkg__prepare(ex, x, in->passes[k].first_barrier, in->passes[k].barrier_count, &x->pre[k]);
        vkg__prepare(ex, x, in->passes[k].first_post, in->passes[k].post_count, &x->post[k]);
        if (in->passes[k].after_barrier) vkg__order_after_barrier(x, &x->pre[k]);
    }
    x->reprepare = false;
}

/* Records a prepared batch; when it has dynamic barriers, they join a copy of the prepared
 * part in the thread's scratch. */
static void vkg__barriers(vkg_executor *ex, vkg__real *x, vkg__scratch *sc, VkCommandBuffer cmd,
                          const vkg__prep *p, uint32_t family)
{
    VkDependencyInfo dep = p->dep;
    if (p->dynamic) {
        vkg__batch bt = vkg__scratch_batch(x, sc);
        memcpy(sc->ib, p->dep.pImageMemoryBarriers ? p->dep.pImageMemoryBarriers : sc->ib,
               sizeof *sc->ib * p->dep.imageMemoryBarrierCount);
        memcpy(sc->bb, p->dep.pBufferMemoryBarriers ? p->dep.pBufferMemoryBarriers : sc->bb,
               sizeof *sc->bb * p->dep.bufferMemoryBarrierCount);
        bt.ni = p->dep.imageMemoryBarrierCount;
        bt.nb = p->dep.bufferMemoryBarrierCount;
        for (uint32_t i = 0; i < p->count; i++) {
            const vkg_plan_barrier *b = &x->in.barriers[p->first + i];
            if (p->first + i + 1 == ex->drop || !vkg__dynamic(x, b)) continue;
            if (b->flags & VKG_BARRIER_IMPORTED) vkg__emit_imported(ex, x, &bt, b, family);
            else vkg__emit(x, &bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer,
                           b->layer_count);
        }
        dep.imageMemoryBarrierCount = bt.ni;
        dep.pImageMemoryBarriers = sc->ib;
        dep.bufferMemoryBarrierCount = bt.nb;
        dep.pBufferMemoryBarriers = sc->bb;
    }
    uint32_t n = dep.memoryBarrierCount + dep.imageMemoryBarrierCount + dep.bufferMemoryBarrierCount;
    if (n) {
        ex->dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
        sc->barriers += n;
        sc->barrier_calls++;
    }
}

/* The dependency info of a split barrier's event; set and wait must give the same one, so
 * both build it from the plan's barriers alone (split barriers are never IMPORTED). */
static VkDependencyInfo vkg__event_dep(vkg__real *x, uint32_t e, vkg__batch *bt)
{
    const vkg_plan_event *ev = &x->in.events[e];
    uint32_t ni0 = bt->ni, nb0 = bt->nb;
    for (uint32_t i = 0; i < ev->barrier_count; i++) {
        const vkg_plan_barrier *b = &x->in.barriers[ev->first_barrier + i];
        vkg__emit(x, bt, b, b->old_layout, b->base_mip, b->mip_count, b->base_layer, b->layer_count);
    }
    return (VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                              .bufferMemoryBarrierCount = bt->nb - nb0,
                              .pBufferMemoryBarriers = bt->bb + nb0,
                              .imageMemoryBarrierCount = bt->ni - ni0,
                              .pImageMemoryBarriers = bt->ib + ni0};
}

static vkg_result vkg__record(vkg_executor *ex, vkg__real *x, const vkg__chunk *ch)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    const vkg_plan_submission *sub = &in->submissions[ch->submission];
    const vkg_plan_queue *pq = &in->queues[sub->queue];
    vkg__scratch *sc = &x->scratch[ch->thread];
    VkCommandBuffer cmd = ch->cmd;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult vr = dev->vk.vkBeginCommandBuffer(cmd, &bi);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkBeginCommandBuffer", in->name);
    if (ch->first == 0) {
        const VkMemoryBarrier2 *h = &x->handoff[ch->submission];
        if (h->dstStageMask) {
            /* transient memory another plan used last: after its accesses */
            VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                    .memoryBarrierCount = 1,
                                    .pMemoryBarriers = h};
            dev->vk.vkCmdPipelineBarrier2(cmd, &dep);
            sc->barriers++;
            sc->barrier_calls++;
        }
        vkg__barriers(ex, x, sc, cmd, &x->prol[ch->submission], pq->family);
    }
    for (uint32_t i = ch->first; i < ch->first + ch->count; i++) {
        uint32_t k = in->queue_passes[sub->first_pass + i];
        const vkg_plan_pass *p = &in->passes[k];
        if (p->wait_event_count) {
            vkg__batch bt = vkg__scratch_batch(x, sc);
            for (uint32_t e = 0; e < p->wait_event_count && e < x->dep_cap; e++) {
                uint32_t ev = in->wait_events[p->first_wait_event + e];
                sc->deps[e] = vkg__event_dep(x, ev, &bt);
                sc->wait_events[e] = x->events[ev];
            }
            dev->vk.vkCmdWaitEvents2(cmd, p->wait_event_count, sc->wait_events, sc->deps);
        }
        vkg__barriers(ex, x, sc, cmd, &x->pre[k], pq->family);
        if (p->record) {
            vkg_pass_context ctx = {ex, x, k, cmd, ch->thread};
            p->record(&ctx, p->user);
        }
        vkg__barriers(ex, x, sc, cmd, &x->post[k], pq->family);
        for (uint32_t e = 0; e < p->set_event_count; e++) {
            vkg__batch bt = vkg__scratch_batch(x, sc);
            VkDependencyInfo dep = vkg__event_dep(x, p->first_set_event + e, &bt);
            dev->vk.vkCmdSetEvent2(cmd, x->events[p->first_set_event + e], &dep);
        }
    }
    vr = dev->vk.vkEndCommandBuffer(cmd);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkEndCommandBuffer", in->name);
    return VKG_SUCCESS;
}

/* A thread's first recording in a frame resets its pools of the slot (their command
 * buffers' last submissions are done: the frame began by waiting for the slot). */
static vkg_result vkg__pools_fresh(vkg_executor *ex, const vkg__real *x, uint32_t t)
{
    vkg__slot *slot = &ex->slots[x->slot];
    if (slot->reset[t] == ex->frame + 1) return VKG_SUCCESS;
    vkg_device *dev = ex->dev;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        VkResult vr =
            dev->vk.vkResetCommandPool(dev->device, slot->pools[t * VKG_QUEUE_ROLE_COUNT + q], 0);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkResetCommandPool", x->in.name);
    }
    slot->reset[t] = ex->frame + 1;
    return VKG_SUCCESS;
}

/* One recording thread's share of an execution: reset its pools for the slot (every
 * command buffer in them belongs to work the slot wait saw finish), then record its chunks
 * in order. */
typedef struct vkg__record_job {
    vkg_executor *ex;
    vkg__real *x;
} vkg__record_job;

static void vkg__record_thread(void *user, uint32_t t)
{
    const vkg__record_job *job = user;
    vkg_executor *ex = job->ex;
    vkg__real *x = job->x;
    vkg__scratch *sc = &x->scratch[t];
    sc->error = VKG_SUCCESS;
    /* a thread's first recording in a frame resets its pools of the slot (their command
     * buffers' last submissions are done: the frame began by waiting for the slot) */
    sc->error = vkg__pools_fresh(ex, x, t);
    if (sc->error != VKG_SUCCESS) return;
    for (uint32_t c = t; c < x->chunk_count; c += ex->threads) {
        vkg_result r = vkg__record(ex, x, &x->chunks[c]);
        if (r != VKG_SUCCESS && sc->error == VKG_SUCCESS) sc->error = r;
    }
}

/* ------------------------------------------------------------------------------------------
 * Runtime ownership: releases by the family that really owns an imported subresource
 * ---------------------------------------------------------------------------------------- */

/* The device queue that releases for `family`: the one of the last use when it is of that
 * family (no wait then), else the first of that family; UINT32_MAX when vkgraph has none. */
static uint32_t vkg__release_dq(const vkg_device *dev, uint32_t family, vkg_ticket last)
{
    if (last.value && last.queue < dev->dq_count && dev->dq[last.queue].family == family)
        return last.queue;
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (dev->dq[q].family == family) return q;
    return UINT32_MAX;
}

/* One release, into the realisation's fixup lists. */
static void vkg__fix_release(vkg__real *x, const vkg_plan_barrier *pb, const vkg__track *t,
                             uint32_t dst, uint32_t dq, uint32_t pl, uint32_t m, uint32_t l)
{
    const vkg_plan_resource *r = &x->in.resources[pb->resource];
    const vkg__xres *xr = &x->res[pb->resource];
    VkPipelineStageFlags2 src = t->write_stage | t->read_stage;
    if (r->is_image) {
        if (x->fix_ni >= x->bar_cap) return;
        x->fix_idq[x->fix_ni] = (uint8_t)dq;
        x->fix_ib[x->fix_ni++] = (VkImageMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
            .srcStageMask = src ? src : VK_PIPELINE_STAGE_2_NONE,
            .srcAccessMask = t->write_access,
            .oldLayout = t->layout,
            .newLayout = pb->new_layout,
            .srcQueueFamilyIndex = t->family,
            .dstQueueFamilyIndex = dst,
            .image = xr->image,
            .subresourceRange = {vkg__xplane_aspect(xr, pl), pb->base_mip + m, 1, pb->base_layer + l,
                                 1}};
    } else {
        if (x->fix_nb >= x->bar_cap) return;
        x->fix_bdq[x->fix_nb] = (uint8_t)dq;
        x->fix_bb[x->fix_nb++] = (VkBufferMemoryBarrier2){
            .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
            .srcStageMask = src ? src : VK_PIPELINE_STAGE_2_NONE,
            .srcAccessMask = t->write_access,
            .srcQueueFamilyIndex = t->family,
            .dstQueueFamilyIndex = dst,
            .buffer = xr->buffer,
            .offset = pb->offset,
            .size = pb->size};
    }
}

/* Finds the imported subresources whose first use acquires them from another family than
 * the plan assumed (the same decision the recording made) and gathers their releases per
 * device queue, with what each release submission must wait for and which plan
 * submissions must wait for it. */
static vkg_result vkg__fixups_gather(vkg_executor *ex, vkg__real *x)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    x->fix_ni = x->fix_nb = 0;
    memset(x->fix_wait, 0, sizeof x->fix_wait);
    memset(x->fix_value, 0, sizeof x->fix_value);
    memset(x->fix_need, 0, (size_t)in->submission_count * VKG_QUEUE_ROLE_COUNT);
    for (uint32_t s = 0; s < in->submission_count; s++) {
        uint32_t family = in->queues[in->submissions[s].queue].family;
        for (uint32_t j = x->first_import_bar[s]; j < x->first_import_bar[s + 1]; j++) {
            const vkg_plan_barrier *pb = &in->barriers[x->import_bars[j]];
            const vkg_plan_resource *r = &in->resources[pb->resource];
            uint32_t mips = r->is_image ? pb->mip_count : 1;
            uint32_t layers = r->is_image ? pb->layer_count : 1;
            uint32_t p0 = 0, np = 1;
            if (r->is_image) vkg__aspect_planes(&x->res[pb->resource], pb->aspect, &p0, &np);
            for (uint32_t pl = p0; pl < p0 + np; pl++)
            for (uint32_t m = 0; m < mips; m++)
                for (uint32_t l = 0; l < layers; l++) {
                    const vkg__track *t = vkg__import_track(x, pb, pl, m, l);
                    uint32_t dst;
                    if (vkg__import_kind_of(pb, t, family, r->concurrent, &dst) !=
                        VKG__IMPORT_ACQUIRE)
                        continue;
                    uint32_t dq = vkg__release_dq(dev, t->family, t->ticket);
                    if (dq == UINT32_MAX) {
                        VKG__ERROR(&ex->host,
                                   "vkg_execute(\"%s\"): imported %s \"%s\" was last used on "
                                   "queue family %u, where vkgraph has no queue to release it "
                                   "from: hand it to one of the device's families first (or "
                                   "make its contents undefined)",
                                   in->name, r->is_image ? "image" : "buffer", r->name,
                                   t->family);
                        return VKG_ERROR_INVALID_ARGUMENT;
                    }
                    vkg__fix_release(x, pb, t, dst, dq, pl, m, l);
                    x->fix_need[s * VKG_QUEUE_ROLE_COUNT + dq] = true;
                    if (t->ticket.value && t->ticket.queue != dq &&
                        t->ticket.value > x->fix_wait[dq][t->ticket.queue])
                        x->fix_wait[dq][t->ticket.queue] = t->ticket.value;
                }
        }
    }
    return VKG_SUCCESS;
}

/* Records each device queue's releases into its fixup command buffer (thread 0's pool, after
 * the recording threads are done with it). */
static vkg_result vkg__fixups_record(vkg_executor *ex, vkg__real *x, bool *used)
{
    vkg_device *dev = ex->dev;
    vkg__scratch *sc = &x->scratch[0];
    if (!x->fix_ni && !x->fix_nb) return VKG_SUCCESS;
    vkg_result r = vkg__pools_fresh(ex, x, 0);
    for (uint32_t q = 0; q < dev->dq_count && r == VKG_SUCCESS; q++) {
        VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                .pImageMemoryBarriers = sc->ib,
                                .pBufferMemoryBarriers = sc->bb};
        for (uint32_t i = 0; i < x->fix_ni; i++)
            if (x->fix_idq[i] == q) sc->ib[dep.imageMemoryBarrierCount++] = x->fix_ib[i];
        for (uint32_t i = 0; i < x->fix_nb; i++)
            if (x->fix_bdq[i] == q) sc->bb[dep.bufferMemoryBarrierCount++] = x->fix_bb[i];
        if (!dep.imageMemoryBarrierCount && !dep.bufferMemoryBarrierCount) continue;
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        VkResult vr = dev->vk.vkBeginCommandBuffer(x->fix_cmd[q], &bi);
        if (vr == VK_SUCCESS) {
            dev->vk.vkCmdPipelineBarrier2(x->fix_cmd[q], &dep);
            vr = dev->vk.vkEndCommandBuffer(x->fix_cmd[q]);
        }
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "recording an ownership release", x->in.name);
        used[q] = true;
        x->fix_value[q] = 1; /* submitted: the value is set under the queue lock */
    }
    return r;
}

/* Submits the fixup releases (under the queue locks), each after the last uses it releases. */
static vkg_result vkg__fixups_submit(vkg_executor *ex, vkg__real *x, uint64_t *next,
                                     vkg__slot *slot)
{
    vkg_device *dev = ex->dev;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        if (!x->fix_value[q]) continue;
        uint32_t nw = 0;
        for (uint32_t o = 0; o < dev->dq_count; o++)
            if (x->fix_wait[q][o])
                x->waits[nw++] = (VkSemaphoreSubmitInfo){
                    .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                    .semaphore = dev->dq[o].timeline,
                    .value = x->fix_wait[q][o],
                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        x->fix_value[q] = ++next[q];
        VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                        .semaphore = dev->dq[q].timeline,
                                        .value = x->fix_value[q],
                                        .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                         .commandBuffer = x->fix_cmd[q]};
        VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                            .waitSemaphoreInfoCount = nw,
                            .pWaitSemaphoreInfos = x->waits,
                            .commandBufferInfoCount = 1,
                            .pCommandBufferInfos = &cbi,
                            .signalSemaphoreInfoCount = 1,
                            .pSignalSemaphoreInfos = &signal};
        VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[q].queue, 1, &si, VK_NULL_HANDLE);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", x->in.name);
        dev->dq[q].submitted = x->fix_value[q];
        slot->last[q] = (vkg_ticket){q, x->fix_value[q]};
    }
    return VKG_SUCCESS;
}

/* The execution's ticket names all of it: where it submitted to several device queues, an
 * empty batch on the queue of its last submission waits for the others' last submissions of
 * this execution and signals the ticket. Costs one vkQueueSubmit2 for executions that span
 * queues (BENCHMARKS.md); waiting on every queue's ticket instead would make every user keep
 * a list. Under the queue locks. */
static vkg_result vkg__join(vkg_executor *ex, vkg__real *x, const bool *used, vkg__slot *slot,
                            vkg_ticket *last)
{
    vkg_device *dev = ex->dev;
    uint32_t nw = 0;
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (used[q] && q != last->queue && slot->last[q].value)
            x->waits[nw++] = (VkSemaphoreSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                .semaphore = dev->dq[q].timeline,
                .value = slot->last[q].value,
                .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    if (!nw) return VKG_SUCCESS;
    uint32_t q = last->queue;
    uint64_t value = dev->dq[q].submitted + 1;
    VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = dev->dq[q].timeline,
                                    .value = value,
                                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = nw,
                        .pWaitSemaphoreInfos = x->waits,
                        .signalSemaphoreInfoCount = 1,
                        .pSignalSemaphoreInfos = &signal};
    VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[q].queue, 1, &si, VK_NULL_HANDLE);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", x->in.name);
    dev->dq[q].submitted = value;
    slot->last[q] = *last = (vkg_ticket){q, value};
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Imported state after a submission
 * ---------------------------------------------------------------------------------------- */

void vkg__track_use(vkg__track *t, const vkg_access_info *a, bool is_image, uint32_t family,
                    vkg_ticket ticket)
{
    bool relayout = is_image && t->layout != a->layout;
    /* the first GPU use of a resource is an ownership change only in name: a read then is
     * just a read (nothing before it to make visible), so later reads need no barrier */
    bool first = t->family == VK_QUEUE_FAMILY_IGNORED && !t->write_stage && !t->read_stage;
    if (a->write || relayout || (t->family != family && !first)) {
        t->write_stage = a->stage;
        t->write_access = a->write ? (a->access & VKG__WRITE_ACCESS) : 0;
        t->read_stage = a->write ? 0 : a->stage;
    } else {
        t->read_stage |= a->stage;
    }
    if (is_image) t->layout = a->layout;
    t->family = family;
    t->ticket = ticket;
    if (ticket.value > t->used[ticket.queue]) t->used[ticket.queue] = ticket.value;
}

static void vkg__update_tracks(vkg__real *x)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t j = 0; j < x->import_use_count; j++) {
        const vkg_plan_pass *p = &in->passes[x->import_uses[2 * j]];
        uint32_t family = in->queues[p->queue].family;
        vkg_ticket t = {x->dq_of_queue[p->queue], x->values[p->submission]};
        {
            const vkg_plan_use *u = &in->uses[x->import_uses[2 * j + 1]];
            const vkg_plan_resource *r = &in->resources[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            vkg__xres *xr = &x->res[u->resource];
            if (!r->is_image) {
                vkg__track_use(xr->track, a, false, family, t);
                continue;
            }
            uint32_t p0, np;
            vkg__aspect_planes(xr, vkg__track_aspect(x, u, xr), &p0, &np);
            for (uint32_t pl = p0; pl < p0 + np; pl++)
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                    for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                        vkg__track_use(vkg__track_at(r, xr, pl, m, l), a, true, family, t);
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Executor
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_executor_create(vkg_device *device, const vkg_executor_desc *desc,
                               vkg_executor **out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    vkg_executor_desc none = {0};
    if (!desc) desc = &none;
    vkg_executor *ex = vkg__calloc(&device->host, 1, sizeof *ex);
    if (!ex) return VKG__OOM(&device->host, "an executor");
    ex->dev = device;
    ex->host = device->host;
    snprintf(ex->name, sizeof ex->name, "%s", desc->name ? desc->name : "executor");
    ex->frames = desc->frames_in_flight ? desc->frames_in_flight : 2;
    ex->drop = desc->debug_drop_barrier;
    ex->dedicated_heaps = desc->dedicated_heaps;
    ex->no_handoff = desc->debug_no_handoff;
    ex->grain = desc->passes_per_command_buffer ? desc->passes_per_command_buffer : 32;
    ex->threads = desc->record_threads;
    if (!ex->threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ex->threads = n > 0 ? (uint32_t)VKG__MIN(n, 64L) : 1;
    }
    if (ex->frames > 16 || ex->threads > 64) {
        VKG__ERROR(&ex->host,
                   "executor \"%s\": %u frames in flight and %u recording threads; at most 16 "
                   "and 64",
                   ex->name, ex->frames, ex->threads);
        vkg__free(&ex->host, ex);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    ex->slots = vkg__calloc(&ex->host, ex->frames, sizeof *ex->slots);
    if (!ex->slots) {
        vkg__free(&ex->host, ex);
        return VKG__OOM(&device->host, "an executor");
    }
    vkg_result r = vkg__workers_create(&ex->host, ex->name, ex->threads, &ex->workers);
    if (r != VKG_SUCCESS) {
        vkg_executor_destroy(ex);
        return r;
    }
    for (uint32_t f = 0; f < ex->frames; f++) {
        ex->slots[f].pools =
            vkg__calloc(&ex->host, (size_t)ex->threads * VKG_QUEUE_ROLE_COUNT, sizeof(VkCommandPool));
        ex->slots[f].reset = vkg__calloc(&ex->host, ex->threads, sizeof(uint64_t));
        if (!ex->slots[f].pools || !ex->slots[f].reset) {
            vkg_executor_destroy(ex);
            return VKG__OOM(&device->host, "an executor's command pools");
        }
        for (uint32_t t = 0; t < ex->threads; t++)
            for (uint32_t q = 0; q < device->dq_count; q++) {
                VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                              .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                              .queueFamilyIndex = device->dq[q].family};
                VkResult vr = device->vk.vkCreateCommandPool(
                    device->device, &ci, device->vkac,
                    &ex->slots[f].pools[t * VKG_QUEUE_ROLE_COUNT + q]);
                if (vr != VK_SUCCESS) {
                    vkg_executor_destroy(ex);
                    return VKG__VK_FAIL(device, vr, "vkCreateCommandPool", "an executor");
                }
            }
    }
    *out = ex;
    return VKG_SUCCESS;
}

static vkg_result vkg__slot_wait(vkg_executor *ex, vkg__slot *slot)
{
    for (uint32_t q = 0; q < ex->dev->dq_count; q++) {
        vkg_result r = vkg_ticket_wait(ex->dev, slot->last[q], UINT64_MAX);
        if (r != VKG_SUCCESS) return r;
    }
    return VKG_SUCCESS;
}

void vkg_executor_destroy(vkg_executor *ex)
{
    if (!ex) return;
    vkg_device *dev = ex->dev;
    for (uint32_t f = 0; f < ex->frames; f++) {
        vkg__slot *slot = &ex->slots[f];
        (void)vkg__slot_wait(ex, slot);
        while (slot->real_count) vkg__real_destroy(ex, slot->reals[--slot->real_count]);
        vkg__free(&ex->host, slot->reals);
        vkg__slot_sweep(ex, slot);
        vkg__free(&ex->host, slot->heaps);
        if (slot->pools)
            for (uint32_t q = 0; q < ex->threads * VKG_QUEUE_ROLE_COUNT; q++)
                if (slot->pools[q])
                    dev->vk.vkDestroyCommandPool(dev->device, slot->pools[q], dev->vkac);
        vkg__free(&ex->host, slot->pools);
        vkg__free(&ex->host, slot->reset);
    }
    vkg__workers_destroy(ex->workers);
    vkg__free(&ex->host, ex->slots);
    vkg__free(&ex->host, ex);
}

static vkg_result vkg__real_get(vkg_executor *ex, vkg__slot *slot, const vkg_plan *plan,
                                vkg__real **out)
{
    for (uint32_t i = 0; i < slot->real_count; i++) {
        vkg__real *x = slot->reals[i];
        if (x->plan != plan) continue;
        VKG_CHECK(&ex->host, x->frame != ex->frame + 1, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): executed twice in one frame of executor \"%s\" (its "
                  "command buffers are still pending): end the frame "
                  "(vkg_executor_end_frame) before executing it again",
                  plan->info.name, ex->name);
        if (x->serial == plan->serial) {
            *out = x;
            return VKG_SUCCESS;
        }
        /* recompiled in place: its work in this slot is done (waited), so replace it */
        slot->reals[i] = slot->reals[--slot->real_count];
        vkg__real_destroy(ex, x);
        break;
    }
    if (!vkg__grow(&ex->host, (void **)&slot->reals, &slot->real_cap, slot->real_count + 1,
                   sizeof *slot->reals))
        return VKG__OOM(&ex->host, "the executor's plan list");
    vkg__real *x = NULL;
    vkg_result r = vkg__real_create(ex, slot, plan, &x);
    if (r == VKG_SUCCESS) slot->reals[slot->real_count++] = x;
    vkg__slot_sweep(ex, slot); /* heaps left by a replaced or failed realisation */
    if (r != VKG_SUCCESS) return r;
    *out = x;
    return VKG_SUCCESS;
}

/* A realisation not executed for this many frames of its slot is released (its memory goes
 * back to the slot's pool): destroyed plans leave nothing behind for long. */
#define VKG__EVICT_FRAMES 64

/* Starts a frame: waits (on the host) for the work its slot did frames_in_flight frames ago
 * releases realisations that went unused and drains the device's deletion queue. (Each recording thread resets its own pools
 * of the slot when it first records in the frame.) */
static vkg_result vkg__frame_start(vkg_executor *ex)
{
    vkg__slot *slot = &ex->slots[ex->frame % ex->frames];
    vkg_result r = vkg__slot_wait(ex, slot);
    if (r != VKG_SUCCESS) return r;
    bool evicted = false;
    for (uint32_t i = 0; i < slot->real_count;) {
        vkg__real *x = slot->reals[i];
        if (ex->frame + 1 - x->frame <= (uint64_t)VKG__EVICT_FRAMES * ex->frames) {
            i++;
            continue;
        }
        slot->reals[i] = slot->reals[--slot->real_count];
        vkg__real_destroy(ex, x);
        evicted = true;
    }
    if (evicted) vkg__slot_sweep(ex, slot);
    vkg_device_poll(ex->dev); /* the device's deletion queue */
    return VKG_SUCCESS;
}

vkg_result vkg_executor_begin_frame(vkg_executor *ex)
{
    if (!ex) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&ex->host, !ex->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_begin_frame(\"%s\"): a frame is already open: end it first",
              ex->name);
    if (atomic_load(&ex->dev->lost)) return VKG_ERROR_DEVICE_LOST;
    vkg_result r = vkg__frame_start(ex);
    if (r == VKG_SUCCESS) ex->in_frame = true;
    return r;
}

vkg_result vkg_executor_end_frame(vkg_executor *ex)
{
    if (!ex) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&ex->host, ex->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_end_frame(\"%s\"): no frame is open (vkg_executor_begin_frame)",
              ex->name);
    ex->in_frame = false;
    ex->frame++;
    return VKG_SUCCESS;
}

static vkg_result vkg__execute(vkg_executor *ex, const vkg_plan *plan,
                               const vkg_execute_desc *desc, vkg_ticket *ticket);

vkg_result vkg_execute(const vkg_plan *plan, const vkg_execute_desc *desc, vkg_ticket *ticket)
{
    if (ticket) *ticket = (vkg_ticket){0, 0};
    if (!desc || !desc->executor || !plan) {
        /* say so through whichever logger the caller gave us (the graph's, via the plan) */
        vkg__host fallback;
        vkg__host_init(&fallback, NULL, NULL);
        const vkg__host *host = desc && desc->executor ? &desc->executor->host
                                : plan                 ? &plan->host
                                                       : &fallback;
        VKG__ERROR(host,
                   "vkg_execute: %s is NULL: pass the compiled plan and a desc whose executor "
                   "comes from vkg_executor_create",
                   !plan ? "the plan" : !desc ? "desc" : "desc->executor");
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    vkg_executor *ex = desc->executor;
    VKG_CHECK(&ex->host, desc->binding_count == 0 || desc->bindings, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_execute: binding_count is %u but bindings is NULL", desc->binding_count);
    if (atomic_load(&ex->dev->lost)) return VKG_ERROR_DEVICE_LOST;
    if (ex->in_frame) return vkg__execute(ex, plan, desc, ticket);
    /* outside vkg_executor_begin/end_frame every execution is a frame of its own */
    vkg_result r = vkg__frame_start(ex);
    if (r != VKG_SUCCESS) return r;
    r = vkg__execute(ex, plan, desc, ticket);
    ex->frame++;
    return r;
}

static vkg_result vkg__execute(vkg_executor *ex, const vkg_plan *plan,
                               const vkg_execute_desc *desc, vkg_ticket *ticket)
{
    vkg_device *dev = ex->dev;
    vkg__slot *slot = &ex->slots[ex->frame % ex->frames];
    vkg__real *x = NULL;
    vkg_result r = vkg__real_get(ex, slot, plan, &x);
    if (r != VKG_SUCCESS) return r;
    r = vkg__bind_imports(ex, x, desc);
    if (r != VKG_SUCCESS) return r;
    const vkg_plan_info *in = &x->in;
    if (x->reprepare) vkg__prepare_all(ex, x);
    x->frame = ex->frame + 1;

    /* transient memory another tenant used last: hand-over barriers at the start of the
     * first submission per queue that touches it (semaphore waits for other queues below) */
    for (uint32_t s = 0; s < in->submission_count; s++)
        x->handoff[s] = (VkMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
    for (uint32_t h = 0; h < in->heap_count; h++) {
        const vkg__heap *hp = x->heaps[h];
        x->hturn[h] = hp->tenants > 1 && hp->last && hp->last != x && !ex->no_handoff;
        if (!x->hturn[h]) continue;
        for (uint32_t q = 0; q < dev->dq_count; q++) {
            uint32_t s = x->hfirst[h * VKG_QUEUE_ROLE_COUNT + q];
            if (s == VKG__X_NONE) continue;
            x->handoff[s].srcStageMask |= vkg__queue_stages(dev, q, hp->stages);
            x->handoff[s].srcAccessMask |= hp->writes;
            x->handoff[s].dstStageMask |= vkg__queue_stages(dev, q, x->hstage[h]);
            x->handoff[s].dstAccessMask |= x->haccess[h];
        }
    }

    /* the slot's previous work is complete: reuse its events and command buffers */
    for (uint32_t e = 0; e < in->event_count; e++) {
        VkResult vr = dev->vk.vkResetEvent(dev->device, x->events[e]);
        if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkResetEvent", in->name);
    }
    r = vkg__fixups_gather(ex, x);
    if (r != VKG_SUCCESS) return r;
    vkg__record_job job = {ex, x};
    for (uint32_t t = 0; t < ex->threads; t++) x->scratch[t].barriers = x->scratch[t].barrier_calls = 0;
    vkg__workers_run(ex->workers, x->active, vkg__record_thread, &job);
    for (uint32_t t = 0; t < x->active; t++)
        if (x->scratch[t].error != VKG_SUCCESS) return x->scratch[t].error;
    bool used[VKG_QUEUE_ROLE_COUNT] = {0};
    r = vkg__fixups_record(ex, x, used);
    if (r != VKG_SUCCESS) return r;

    /* timeline values, under every used queue's lock (index order: no deadlock) */
    for (uint32_t s = 0; s < in->submission_count; s++)
        used[x->dq_of_queue[in->submissions[s].queue]] = true;
    uint64_t next[VKG_QUEUE_ROLE_COUNT];
    vkg__dq_lock_set(dev, used);
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (used[q]) next[q] = dev->dq[q].submitted;
    r = vkg__fixups_submit(ex, x, next, slot);
    for (uint32_t i = 0; i < in->submission_count; i++) {
        uint32_t s = x->submit_order[i];
        x->values[s] = ++next[x->dq_of_queue[in->submissions[s].queue]];
    }
    vkg_ticket last = {0, 0};
    for (uint32_t i = 0; i < in->submission_count && r == VKG_SUCCESS; i++) {
        uint32_t s = x->submit_order[i];
        const vkg_plan_submission *sub = &in->submissions[s];
        uint32_t dq = x->dq_of_queue[sub->queue];
        uint32_t nw = 0;
        for (uint32_t w = 0; w < sub->wait_count && nw < x->wait_cap; w++) {
            const vkg_plan_wait *pw = &in->waits[sub->first_wait + w];
            uint32_t src = UINT32_MAX;
            for (uint32_t o = 0; o < in->submission_count; o++)
                if (in->submissions[o].queue == pw->queue &&
                    in->submissions[o].index == pw->submission)
                    src = o;
            if (src == UINT32_MAX) continue;
            x->waits[nw++] = (VkSemaphoreSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                .semaphore = dev->dq[x->dq_of_queue[pw->queue]].timeline,
                .value = x->values[src],
                .stageMask = vkg__wait_stage(pw->stage)};
        }
        /* imported resources last used on another queue: wait for that ticket */
        for (uint32_t j = x->first_import_bar[s]; j < x->first_import_bar[s + 1] && nw < x->wait_cap;
             j++) {
            const vkg_plan_barrier *pb = &in->barriers[x->import_bars[j]];
            const vkg__track *t = x->res[pb->resource].track;
            if (!t || !t->ticket.value || t->ticket.queue == dq) continue;
            x->waits[nw++] = (VkSemaphoreSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                .semaphore = dev->dq[t->ticket.queue].timeline,
                .value = t->ticket.value,
                .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        }
        /* ownership released for this submission's acquires by another family's queue */
        for (uint32_t q = 0; q < dev->dq_count && nw < x->wait_cap; q++)
            if (x->fix_need[s * VKG_QUEUE_ROLE_COUNT + q] && x->fix_value[q])
                x->waits[nw++] = (VkSemaphoreSubmitInfo){
                    .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                    .semaphore = dev->dq[q].timeline,
                    .value = x->fix_value[q],
                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        /* transient memory taken over from a tenant that used it on other queues */
        for (uint32_t h = 0; h < in->heap_count; h++) {
            if (!x->hturn[h] || x->hfirst[h * VKG_QUEUE_ROLE_COUNT + dq] != s) continue;
            const vkg__heap *hp = x->heaps[h];
            for (uint32_t q = 0; q < dev->dq_count && nw < x->wait_cap; q++)
                if (q != dq && hp->value[q])
                    x->waits[nw++] = (VkSemaphoreSubmitInfo){
                        .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                        .semaphore = dev->dq[q].timeline,
                        .value = hp->value[q],
                        .stageMask = vkg__queue_stages(dev, dq, vkg__wait_stage(x->hstage[h]))};
        }
        /* bindings' semaphores: acquire-style waits before the first use, present-style
         * signals after the last */
        uint32_t nsig = 0;
        x->signals[nsig++] = (VkSemaphoreSubmitInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                                     .semaphore = dev->dq[dq].timeline,
                                                     .value = x->values[s],
                                                     .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        for (uint32_t ii = 0; ii < x->import_count; ii++) {
            const vkg__xres *xr = &x->res[x->imports[ii]];
            if (xr->wait_semaphore && xr->first_sub == s && nw < x->wait_cap)
                x->waits[nw++] = (VkSemaphoreSubmitInfo){
                    .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                    .semaphore = xr->wait_semaphore,
                    .stageMask = xr->wait_stage};
            if (xr->signal_semaphore && xr->last_sub == s)
                x->signals[nsig++] = (VkSemaphoreSubmitInfo){
                    .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                    .semaphore = xr->signal_semaphore,
                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
        }
        VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                            .waitSemaphoreInfoCount = nw,
                            .pWaitSemaphoreInfos = x->waits,
                            .commandBufferInfoCount = x->first_chunk[s + 1] - x->first_chunk[s],
                            .pCommandBufferInfos = &x->cbis[x->first_chunk[s]],
                            .signalSemaphoreInfoCount = nsig,
                            .pSignalSemaphoreInfos = x->signals};
        VkResult vr = dev->vk.vkQueueSubmit2(dev->dq[dq].queue, 1, &si, VK_NULL_HANDLE);
        if (vr != VK_SUCCESS) {
            r = VKG__VK_FAIL(dev, vr, "vkQueueSubmit2", in->name);
            break;
        }
        dev->dq[dq].submitted = x->values[s];
        slot->last[dq] = (vkg_ticket){dq, x->values[s]};
        last = slot->last[dq];
    }
    if (r == VKG_SUCCESS) r = vkg__join(ex, x, used, slot, &last);
    vkg__dq_unlock_set(dev, used);
    if (r != VKG_SUCCESS) return r;
    pthread_mutex_lock(&dev->lock); /* vkg_*_mark_used writes the same records */
    vkg__update_tracks(x);
    pthread_mutex_unlock(&dev->lock);
    for (uint32_t h = 0; h < in->heap_count; h++) {
        vkg__heap *hp = x->heaps[h];
        hp->last = x;
        hp->stages = x->hstage[h];
        hp->writes = x->haccess[h] & VKG__WRITE_ACCESS;
        for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) {
            uint32_t s = x->hlast[h * VKG_QUEUE_ROLE_COUNT + q];
            hp->value[q] = s == VKG__X_NONE ? 0 : x->values[s];
        }
    }
    uint64_t turns = ex->stats.heap_handoffs;
    for (uint32_t h = 0; h < in->heap_count; h++) turns += x->hturn[h];
    uint32_t barriers = 0, barrier_calls = 0;
    for (uint32_t t = 0; t < ex->threads; t++) {
        barriers += x->scratch[t].barriers;
        barrier_calls += x->scratch[t].barrier_calls;
    }
    ex->stats = (vkg_executor_stats){.views_created = ex->stats.views_created,
                                     .heap_handoffs = turns,
                                     .executions = ex->stats.executions + 1,
                                     .submissions = in->submission_count,
                                     .command_buffers = x->chunk_count,
                                     .threads_used = x->active,
                                     .barriers = barriers,
                                     .barrier_calls = barrier_calls};
    if (ticket) *ticket = last;
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Pass context
 * ---------------------------------------------------------------------------------------- */

VkCommandBuffer vkg_pass_command_buffer(const vkg_pass_context *ctx)
{
    return ctx->cmd;
}

const struct VolkDeviceTable *vkg_pass_device_table(const vkg_pass_context *ctx)
{
    return &ctx->ex->dev->vk;
}

vkg_device *vkg_pass_device(const vkg_pass_context *ctx)
{
    return ctx->ex->dev;
}

const char *vkg_pass_name(const vkg_pass_context *ctx)
{
    return ctx->real->in.passes[ctx->pass].name;
}

uint32_t vkg_pass_index(const vkg_pass_context *ctx)
{
    return ctx->pass;
}

uint32_t vkg_pass_thread(const vkg_pass_context *ctx)
{
    return ctx->thread;
}

uint32_t vkg_pass_frame_slot(const vkg_pass_context *ctx)
{
    return ctx->real->slot;
}

uint32_t vkg_executor_frame_slot_count(const vkg_executor *ex)
{
    return ex ? ex->frames : 0;
}

uint32_t vkg_executor_thread_count(const vkg_executor *ex)
{
    return ex ? ex->threads : 0;
}

void vkg_executor_get_stats(const vkg_executor *ex, vkg_executor_stats *out)
{
    if (!out) return;
    *out = ex ? ex->stats : (vkg_executor_stats){0};
    if (!ex) return;
    for (uint32_t f = 0; f < ex->frames; f++)
        for (uint32_t i = 0; i < ex->slots[f].heap_count; i++) {
            out->transient_heaps++;
            out->transient_bytes += ex->slots[f].heaps[i]->size;
        }
}

static const vkg__xres *vkg__ctx_res(const vkg_pass_context *ctx, vkg_resource resource)
{
    if (!resource.id || resource.id > ctx->real->in.resource_count) return NULL;
    return &ctx->real->res[resource.id - 1];
}

VkBuffer vkg_pass_buffer(const vkg_pass_context *ctx, vkg_resource resource)
{
    const vkg__xres *r = vkg__ctx_res(ctx, resource);
    return r ? r->buffer : VK_NULL_HANDLE;
}

VkDeviceAddress vkg_pass_buffer_address(const vkg_pass_context *ctx, vkg_resource resource)
{
    const vkg__xres *r = vkg__ctx_res(ctx, resource);
    return r ? r->address : 0;
}

VkImage vkg_pass_image(const vkg_pass_context *ctx, vkg_resource resource)
{
    const vkg__xres *r = vkg__ctx_res(ctx, resource);
    return r ? r->image : VK_NULL_HANDLE;
}

VkImageView vkg_pass_use_view(const vkg_pass_context *ctx, uint32_t use_index)
{
    const vkg_plan_pass *p = &ctx->real->in.passes[ctx->pass];
    if (use_index >= p->use_count) return VK_NULL_HANDLE;
    return ctx->real->uses[p->first_use + use_index].vk_view;
}

/* One attachment of a pass's use: its view, layout and the load/store the graph decided. */
static VkRenderingAttachmentInfo vkg__attachment(const vkg__real *x, uint32_t ui,
                                                 const vkg_rendering_desc *desc)
{
    const vkg_plan_use *u = &x->in.uses[ui];
    const vkg_access_info *a = vkg_access_get(u->access);
    VkAttachmentLoadOp load = x->uses[ui].load;
    if (x->uses[ui].import_first && vkg__contents_undefined(x, u)) load = VK_ATTACHMENT_LOAD_OP_CLEAR;
    if (load == VK_ATTACHMENT_LOAD_OP_CLEAR && !desc->clear) load = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    VkRenderingAttachmentInfo att = {.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
                                     .imageView = x->uses[ui].vk_view,
                                     .imageLayout = a->layout,
                                     .loadOp = load,
                                     .storeOp = x->uses[ui].store};
    /* a read-only depth or stencil use keeps the contents */
    if (a->aspect != VK_IMAGE_ASPECT_COLOR_BIT && !a->write) att.storeOp = VK_ATTACHMENT_STORE_OP_NONE;
    if (a->aspect == VK_IMAGE_ASPECT_COLOR_BIT) att.clearValue.color = desc->clear_color;
    else att.clearValue.depthStencil = (VkClearDepthStencilValue){desc->clear_depth, desc->clear_stencil};
    return att;
}

static bool vkg__format_integer(VkFormat f)
{
    const char *n = vkg_format_name(f);
    size_t len = n ? strlen(n) : 0;
    return len > 5 && (strcmp(n + len - 5, "_UINT") == 0 || strcmp(n + len - 5, "_SINT") == 0);
}

void vkg_pass_begin_rendering(const vkg_pass_context *ctx, const vkg_rendering_desc *desc)
{
    vkg_rendering_desc none = {.clear = true};
    if (!desc) desc = &none;
    const vkg__real *x = ctx->real;
    const vkg_plan_pass *p = &x->in.passes[ctx->pass];
    VkRenderingAttachmentInfo color[8], depth = {0}, stencil = {0};
    uint32_t nc = 0, multisampled[8], nms = 0, nresolve = 0;
    bool has_depth = false, has_stencil = false;
    VkExtent2D extent = {0, 0};
    for (uint32_t i = 0; i < p->use_count; i++) {
        uint32_t ui = p->first_use + i;
        const vkg_plan_use *u = &x->in.uses[ui];
        const vkg_access_info *a = vkg_access_get(u->access);
        bool attachment = a->access & (VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                                       VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
        if (!attachment) continue;
        const vkg_plan_resource *r = &x->in.resources[u->resource];
        if (u->access == VKG_ACCESS_RESOLVE_WRITE) {
            /* the n-th resolve use resolves the n-th multisampled colour attachment (the
             * graph checked they pair up) */
            if (nresolve >= nms) continue;
            VkRenderingAttachmentInfo *c = &color[multisampled[nresolve++]];
            c->resolveMode = vkg__format_integer(r->format) ? VK_RESOLVE_MODE_SAMPLE_ZERO_BIT
                                                             : VK_RESOLVE_MODE_AVERAGE_BIT;
            c->resolveImageView = x->uses[ui].vk_view;
            c->resolveImageLayout = a->layout;
            continue;
        }
        if (!extent.width) {
            extent.width = VKG__MAX(1u, r->width >> u->base_mip);
            extent.height = VKG__MAX(1u, r->height >> u->base_mip);
        }
        VkRenderingAttachmentInfo att = vkg__attachment(x, ui, desc);
        if (a->aspect == VK_IMAGE_ASPECT_COLOR_BIT && nc < 8) {
            if (r->samples > 1 && nms < 8) multisampled[nms++] = nc;
            color[nc++] = att;
        } else if (a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT) {
            depth = att;
            has_depth = true;
        } else if (a->aspect == VK_IMAGE_ASPECT_STENCIL_BIT) {
            stencil = att;
            has_stencil = true;
        }
    }
    /* depth and stencil of one image attach one view (the views cover both aspects) */
    if (has_depth && has_stencil) stencil.imageView = depth.imageView;
    VkRenderingInfo ri = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                          .renderArea = {{0, 0}, extent},
                          .layerCount = 1,
                          .colorAttachmentCount = nc,
                          .pColorAttachments = color,
                          .pDepthAttachment = has_depth ? &depth : NULL,
                          .pStencilAttachment = has_stencil ? &stencil : NULL};
    ctx->ex->dev->vk.vkCmdBeginRendering(ctx->cmd, &ri);
}

void vkg_pass_end_rendering(const vkg_pass_context *ctx)
{
    ctx->ex->dev->vk.vkCmdEndRendering(ctx->cmd);
}
