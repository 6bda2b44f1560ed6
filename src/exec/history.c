/* History resources in the executor (graph/history.c says what they are): per compiled plan,
 * two objects for each history resource, shared by the plan's realisations in every frame
 * slot. Execution n binds NAME to object n % 2 and NAME@prev to the other, so what one
 * execution writes the next reads; their tracked state (like any imported object's) makes
 * the first-use barriers, layout transitions, ownership transfers and semaphore waits
 * between executions. A plan recompiled in place (a resize) gets new objects: its history
 * starts again, cleared or undefined as declared. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

struct vkg__history {
    struct vkg__history *next;
    const vkg_plan *plan;
    uint64_t serial;
    uint32_t refs;       /* realisations using it */
    uint64_t executions; /* NAME is object executions % 2 */
    uint32_t count;
    uint32_t *res;       /* plan resource index of each NAME */
    vkg_buffer (*buf)[2];
    vkg_image (*img)[2];
};

/* Both objects of NAME: NAME's and NAME@prev's usage (they trade places), and transfer
 * writes for a clear. */
static vkg_result vkg__history_objects(vkg_executor *ex, const vkg_plan_info *in, vkg__history *h, uint32_t i)
{
    const vkg_plan_resource *r = &in->resources[h->res[i]];
    const vkg_plan_resource *p = &in->resources[r->history_pair];
    vkg_sharing sharing = vkg__plan_sharing(r);
    for (uint32_t k = 0; k < 2; k++) {
        char name[300];
        snprintf(name, sizeof name, "%s (history %u)", r->name, k);
        vkg_result e;
        if (r->is_image) {
            vkg_image_desc id = vkg__plan_image_desc(
                r, name, r->image_usage | p->image_usage | VK_IMAGE_USAGE_TRANSFER_DST_BIT, sharing);
            e = vkg_image_create(ex->dev, &id, &h->img[i][k]);
        }
        else
            e = vkg_buffer_create(ex->dev,
                                  &(vkg_buffer_desc){.name = name,
                                                     .size = (r->size + 3) & ~(VkDeviceSize)3, /* all cleared */
                                                     .usage = r->buffer_usage | p->buffer_usage |
                                                              VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                                                              VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                                                     .sharing = sharing},
                                  &h->buf[i][k]);
        if (e != VKG_SUCCESS) return e;
    }
    return VKG_SUCCESS;
}

/* Records the clear of both objects of NAME (into TRANSFER_DST_OPTIMAL for images). */
static void vkg__history_record_clear(vkg_executor *ex, const vkg_plan_resource *r, const vkg__history *h,
                                      uint32_t i, VkCommandBuffer cmd)
{
    vkg_device *dev = ex->dev;
    for (uint32_t k = 0; k < 2; k++) {
        if (!r->is_image) {
            vkg_buffer_info bi;
            if (vkg_buffer_get_info(dev, h->buf[i][k], &bi) == VKG_SUCCESS)
                dev->vk.vkCmdFillBuffer(cmd, bi.buffer, 0, VK_WHOLE_SIZE, 0);
            continue;
        }
        vkg_image_info ii;
        if (vkg_image_get_info(dev, h->img[i][k], &ii) != VKG_SUCCESS) continue;
        VkImageSubresourceRange range = {ii.aspect, 0, VK_REMAINING_MIP_LEVELS, 0, VK_REMAINING_ARRAY_LAYERS};
        VkImageMemoryBarrier2 ib = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                                    .dstStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT,
                                    .dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                                    .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                    .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .image = ii.image,
                                    .subresourceRange = range};
        dev->vk.vkCmdPipelineBarrier2(cmd, &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                               .imageMemoryBarrierCount = 1,
                                                               .pImageMemoryBarriers = &ib});
        if (ii.aspect & (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT))
            dev->vk.vkCmdClearDepthStencilImage(cmd, ii.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                                &(VkClearDepthStencilValue){0, 0}, 1, &range);
        else
            dev->vk.vkCmdClearColorImage(cmd, ii.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                         &(VkClearColorValue){{0}}, 1, &range);
    }
}

/* After the clear's submission: every subresource of both objects was written by it. */
static void vkg__history_track_clear(vkg_executor *ex, const vkg_plan_resource *r, const vkg__history *h,
                                     uint32_t i, vkg_ticket t)
{
    vkg_device *dev = ex->dev;
    const vkg_access_info *a = vkg_access_get(VKG_ACCESS_TRANSFER_WRITE);
    uint32_t family = dev->dq[t.queue].family;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t k = 0; k < 2; k++) {
        if (r->is_image) {
            vkg__image_rec *im = vkg__pool_get(&dev->images, h->img[i][k].id);
            if (!im) continue;
            for (uint32_t s = 0; s < vkg__image_subresources(im); s++)
                vkg__track_use(dev, &im->track[s], a, true, family, t);
        } else {
            vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, h->buf[i][k].id);
            if (b) vkg__track_use(dev, &b->track, a, false, family, t);
        }
    }
    pthread_mutex_unlock(&dev->lock);
}

/* Zeroes the objects of every NAME declared VKG_HISTORY_CLEAR: one submission on the graphics
 * queue, waited for (this happens once per compiled plan), recorded in their tracked state so
 * that the first execution orders its reads after it. */
static vkg_result vkg__history_clear(vkg_executor *ex, const vkg_plan_info *in, vkg__history *h)
{
    bool any = false;
    for (uint32_t i = 0; i < h->count; i++) any |= in->resources[h->res[i]].history_clear;
    if (!any) return VKG_SUCCESS;
    vkg_device *dev = ex->dev;
    uint32_t family = dev->dq[dev->role_dq[VKG_QUEUE_GRAPHICS]].family;
    VkCommandPool pool;
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                   .queueFamilyIndex = family};
    VkResult vr = dev->vk.vkCreateCommandPool(dev->device, &pci, dev->vkac, &pool);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateCommandPool", in->name);
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    vr = dev->vk.vkAllocateCommandBuffers(dev->device, &ai, &cmd);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    if (vr == VK_SUCCESS) vr = dev->vk.vkBeginCommandBuffer(cmd, &bi);
    vkg_result e = vr == VK_SUCCESS ? VKG_SUCCESS : VKG__VK_FAIL(dev, vr, "recording a history clear", in->name);
    for (uint32_t i = 0; i < h->count && e == VKG_SUCCESS; i++)
        if (in->resources[h->res[i]].history_clear) vkg__history_record_clear(ex, &in->resources[h->res[i]], h, i, cmd);
    if (e == VKG_SUCCESS) {
        vr = dev->vk.vkEndCommandBuffer(cmd);
        if (vr != VK_SUCCESS) e = VKG__VK_FAIL(dev, vr, "vkEndCommandBuffer", in->name);
    }
    vkg_ticket t = {0, 0};
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, .commandBuffer = cmd};
    if (e == VKG_SUCCESS)
        e = vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS, .command_buffers = &cbi, .command_buffer_count = 1},
                       &t);
    if (e == VKG_SUCCESS) {
        for (uint32_t i = 0; i < h->count; i++)
            if (in->resources[h->res[i]].history_clear)
                vkg__history_track_clear(ex, &in->resources[h->res[i]], h, i, t);
        e = vkg_ticket_wait(dev, t, UINT64_MAX);
    }
    dev->vk.vkDestroyCommandPool(dev->device, pool, dev->vkac);
    return e;
}

static void vkg__history_free(vkg_executor *ex, vkg__history *h)
{
    for (uint32_t i = 0; i < h->count; i++)
        for (uint32_t k = 0; k < 2; k++) {
            if (h->buf && h->buf[i][k].id) vkg_buffer_destroy(ex->dev, h->buf[i][k]);
            if (h->img && h->img[i][k].id) vkg_image_destroy(ex->dev, h->img[i][k]);
        }
    vkg__free(&ex->host, h->res);
    vkg__free(&ex->host, h->buf);
    vkg__free(&ex->host, h->img);
    vkg__free(&ex->host, h);
}

/* A plan's history, made on its first realisation (in any slot) and shared by the others. */
static vkg_result vkg__history_make(vkg_executor *ex, const vkg__real *x, vkg__history **out)
{
    const vkg_plan_info *in = &x->in;
    vkg__history *h = vkg__calloc(&ex->host, 1, sizeof *h);
    if (!h) return VKG__OOM(&ex->host, "a plan's history");
    h->plan = x->plan;
    h->serial = x->serial;
    for (uint32_t i = 0; i < in->resource_count; i++) h->count += in->resources[i].history == 1;
    h->res = vkg__calloc(&ex->host, h->count + 1, sizeof *h->res);
    h->buf = vkg__calloc(&ex->host, h->count + 1, sizeof *h->buf);
    h->img = vkg__calloc(&ex->host, h->count + 1, sizeof *h->img);
    vkg_result e = h->res && h->buf && h->img ? VKG_SUCCESS : VKG__OOM(&ex->host, "a plan's history");
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->resource_count && e == VKG_SUCCESS; i++)
        if (in->resources[i].history == 1) h->res[n++] = i;
    for (uint32_t i = 0; i < h->count && e == VKG_SUCCESS; i++) e = vkg__history_objects(ex, in, h, i);
    if (e == VKG_SUCCESS) e = vkg__history_clear(ex, in, h);
    if (e != VKG_SUCCESS) {
        vkg__history_free(ex, h);
        return e;
    }
    h->next = ex->histories;
    ex->histories = h;
    *out = h;
    return VKG_SUCCESS;
}

vkg_result vkg__real_history(vkg_executor *ex, vkg__real *x)
{
    bool any = false;
    for (uint32_t i = 0; i < x->in.resource_count && !any; i++) any = x->in.resources[i].history == 1;
    if (!any) return VKG_SUCCESS;
    for (vkg__history *h = ex->histories; h; h = h->next)
        if (h->plan == x->plan && h->serial == x->serial) {
            h->refs++;
            x->history = h;
            return VKG_SUCCESS;
        }
    vkg_result e = vkg__history_make(ex, x, &x->history);
    if (e == VKG_SUCCESS) x->history->refs++;
    return e;
}

void vkg__history_release(vkg_executor *ex, vkg__real *x)
{
    vkg__history *h = x->history;
    x->history = NULL;
    if (!h || --h->refs) return;
    for (vkg__history **p = &ex->histories; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            break;
        }
    vkg__history_free(ex, h); /* the device frees the objects once their last use is done */
}

/* The object bound to plan resource `ri` (NAME or NAME@prev) in this execution. */
uint32_t vkg__history_object(const vkg__real *x, uint32_t ri)
{
    const vkg__history *h = x->history;
    const vkg_plan_resource *r = &x->in.resources[ri];
    uint32_t cur = r->history == 1 ? ri : r->history_pair;
    uint32_t k = (uint32_t)(h->executions & 1u) ^ (r->history == 2);
    for (uint32_t i = 0; i < h->count; i++)
        if (h->res[i] == cur) return r->is_image ? h->img[i][k].id : h->buf[i][k].id;
    return 0;
}

/* After an execution was submitted: the next one binds the other way round. */
void vkg__history_advance(vkg__real *x)
{
    if (x->history) x->history->executions++;
}
