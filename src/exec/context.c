/* The executor: the pass context record callbacks see, and dynamic rendering over a pass's
 * attachment uses. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    if (!resource.id || resource.id > ctx->real->in.resource_count) return 0;
    return ctx->real->address[resource.id - 1];
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
