/* `vkgraph run`: recording each pass's operations (and the readback passes). */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------
 * Recording
 * ---------------------------------------------------------------------------------------- */
typedef struct rec {
    runner *r;
    const vkg_pass_context *ctx;
    VkCommandBuffer cmd;
    VkDeviceSize region;  /* this pass's scratch region: byte offset in the scratch buffer */
    VkDeviceAddress base; /* and its address */
} rec;

static VkBuffer res_buffer(const rec *c, uint32_t res)
{
    return vkg_pass_buffer(c->ctx, (vkg_resource){res + 1});
}

static VkImage res_image(const rec *c, uint32_t res)
{
    return vkg_pass_image(c->ctx, (vkg_resource){res + 1});
}

/* barriers between op j and the earlier ops of its pass that touch the same bytes */
static void op_barriers(rec *c, const rpass *rp, uint32_t j)
{
    runner *r = c->r;
    VkBufferMemoryBarrier2 bb[16];
    VkImageMemoryBarrier2 ib[16];
    uint32_t nb = 0, ni = 0;
    const rop *oj = &r->ops[rp->first_op + j];
    for (uint32_t fj = 0; fj < oj->nf; fj++) {
        const foot *b = &oj->f[fj];
        for (uint32_t i = 0; i < j; i++) {
            const rop *oi = &r->ops[rp->first_op + i];
            for (uint32_t fi = 0; fi < oi->nf; fi++) {
                const foot *a = &oi->f[fi];
                if (a->res != b->res || (!a->write && !b->write)) continue;
                if (a->plane != b->plane) continue; /* depth and stencil: separate states */
                bool image = a->res != VKGR_SCRATCH && r->res[a->res].pr->is_image;
                if (image) {
                    uint32_t m0 = a->mip > b->mip ? a->mip : b->mip;
                    uint32_t m1 = a->mip + a->mips < b->mip + b->mips ? a->mip + a->mips : b->mip + b->mips;
                    uint32_t l0 = a->layer > b->layer ? a->layer : b->layer;
                    uint32_t l1 = a->layer + a->layers < b->layer + b->layers ? a->layer + a->layers
                                                                              : b->layer + b->layers;
                    if (m0 >= m1 || l0 >= l1 || ni == 16) continue;
                    ib[ni++] = (VkImageMemoryBarrier2){
                        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                        .srcStageMask = a->stage,
                        .srcAccessMask = a->write ? a->access : 0,
                        .dstStageMask = b->stage,
                        .dstAccessMask = b->access,
                        .oldLayout = a->layout,
                        .newLayout = b->layout,
                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .image = res_image(c, a->res),
                        .subresourceRange = {plane_aspect(&r->res[a->res], a->plane), m0,
                                             m1 - m0, l0, l1 - l0}};
                } else {
                    uint64_t lo = a->off > b->off ? a->off : b->off;
                    uint64_t hi = a->off + a->size < b->off + b->size ? a->off + a->size : b->off + b->size;
                    if (lo >= hi || nb == 16) continue;
                    bool scratch = a->res == VKGR_SCRATCH;
                    bb[nb++] = (VkBufferMemoryBarrier2){
                        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                        .srcStageMask = a->stage,
                        .srcAccessMask = a->write ? a->access : 0,
                        .dstStageMask = b->stage,
                        .dstAccessMask = b->access,
                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .buffer = scratch ? r->scratch_vk : res_buffer(c, a->res),
                        .offset = (scratch ? c->region : 0) + lo,
                        .size = hi - lo};
                }
            }
        }
    }
    if (!nb && !ni) return;
    r->vk->vkCmdPipelineBarrier2(c->cmd, &(VkDependencyInfo){
                                             .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                             .bufferMemoryBarrierCount = nb,
                                             .pBufferMemoryBarriers = bb,
                                             .imageMemoryBarrierCount = ni,
                                             .pImageMemoryBarriers = ib});
}

static void begin_rendering(rec *c, uint32_t w, uint32_t h, const VkRenderingAttachmentInfo *color,
                            const VkRenderingAttachmentInfo *depth,
                            const VkRenderingAttachmentInfo *stencil)
{
    runner *r = c->r;
    r->vk->vkCmdBeginRendering(c->cmd, &(VkRenderingInfo){
                                           .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                           .renderArea = {{0, 0}, {w, h}},
                                           .layerCount = 1,
                                           .colorAttachmentCount = color ? 1u : 0u,
                                           .pColorAttachments = color,
                                           .pDepthAttachment = depth,
                                           .pStencilAttachment = stencil});
    r->vk->vkCmdSetViewport(c->cmd, 0, 1, &(VkViewport){0, 0, (float)w, (float)h, 0, 1});
    r->vk->vkCmdSetScissor(c->cmd, 0, 1, &(VkRect2D){{0, 0}, {w, h}});
}

static bool bind_descriptor(rec *c, const rop *o, VkPipelineBindPoint bp)
{
    runner *r = c->r;
    dtype dt = kvars[o->var].dt;
    if (dt == DT_NONE) return true;
    VkDescriptorSet set;
    pthread_mutex_lock(&r->lock); /* the pool is externally synchronized */
    VkResult vr = r->vk->vkAllocateDescriptorSets(
        r->device,
        &(VkDescriptorSetAllocateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                       .descriptorPool = r->pools[r->slot],
                                       .descriptorSetCount = 1,
                                       .pSetLayouts = &r->dsl[dt]},
        &set);
    pthread_mutex_unlock(&r->lock);
    if (vr != VK_SUCCESS) {
        vkgr__fail(r, VKG_ERROR_VULKAN, "vkAllocateDescriptorSets failed (VkResult %d)", (int)vr);
        return false;
    }
    const rres *R = &r->res[o->res];
    VkDescriptorBufferInfo bi = {0};
    VkDescriptorImageInfo ii = {0};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = set,
                              .descriptorCount = 1};
    if (dt == DT_SSBO || dt == DT_UBO) {
        bi = (VkDescriptorBufferInfo){res_buffer(c, o->res), o->off, o->size};
        w.descriptorType = dt == DT_SSBO ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                         : VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
        w.pBufferInfo = &bi;
    } else {
        VkImageView view = vkgr__get_view(r, res_image(c, o->res), R, o->mip, o->layer0, o->layers,
                                    plane_aspect(R, o->plane));
        if (!view) return false;
        ii = (VkDescriptorImageInfo){dt == DT_SAMPLED ? r->sampler : VK_NULL_HANDLE, view,
                                     acc(r->in.uses[o->use].access)->layout};
        w.descriptorType = dt == DT_SAMPLED ? VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER
                                            : VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
        w.pImageInfo = &ii;
    }
    r->vk->vkUpdateDescriptorSets(r->device, 1, &w, 0, NULL);
    r->vk->vkCmdBindDescriptorSets(c->cmd, bp, r->layout[dt], 0, 1, &set, 0, NULL);
    return true;
}

static void push(rec *c, const rop *o, pcs *pc)
{
    c->r->vk->vkCmdPushConstants(c->cmd, c->r->layout[kvars[o->var].dt], vkgr__stages(c->r), 0,
                                 sizeof *pc, pc);
}

/* The push constants every kernel of an op reads: where it runs, what it touches, the frame's
 * tag and the op's salt. */
static pcs op_constants(rec *c, const rpass *rp, const rop *o, const rres *R, uint32_t salt)
{
    pcs pc;
    memset(&pc, 0, sizeof pc);
    pc.scratch[0] = (uint32_t)c->base;
    pc.scratch[1] = (uint32_t)(c->base >> 32);
    pc.slot = o->slot;
    pc.nslots = rp->nslots;
    pc.tag = VKGR_TAG(c->r->frame);
    pc.salt = salt;
    pc.small = R->small;
    pc.mip = o->mip;
    pc.layer0 = o->layer0;
    pc.layers = o->layers;
    if (R->pr->is_image) {
        pc.width = mip_w(R->pr, o->mip);
        pc.height = mip_h(R->pr, o->mip);
        pc.count = pc.width * pc.height;
    } else {
        pc.count = (uint32_t)(o->size / 4);
        pc.sample_n = pc.count < VKGR_SAMPLE_WORDS ? pc.count : VKGR_SAMPLE_WORDS;
        pc.word0 = (uint32_t)(o->off / 4);
        VkDeviceAddress a = vkg_pass_buffer_address(c->ctx, (vkg_resource){o->res + 1}) + o->off;
        pc.addr[0] = (uint32_t)a;
        pc.addr[1] = (uint32_t)(a >> 32);
    }
    return pc;
}

static pipe_key no_key(void)
{
    pipe_key key;
    memset(&key, 0, sizeof key);
    key.fs = KV_COUNT;
    key.pre = KV_COUNT;
    return key;
}

/* A read or write kernel of a buffer or image in any shader stage: a compute dispatch, or a
 * draw (vertex, geometry and tessellation kernels over 64 points with the rasterizer off,
 * fragment kernels over an 8x8 fullscreen triangle). */
static void record_kernel(rec *c, const rop *o, pcs *pc)
{
    runner *r = c->r;
    const struct VolkDeviceTable *vk = r->vk;
    VkCommandBuffer cmd = c->cmd;
    pipe_key key = no_key();
    bool write = o->kind == K_WBUF || o->kind == K_WIMG;
    if (o->st == ST_C) {
        key.compute = true;
        key.vs = o->var;
        VkPipeline p = vkgr__get_pipeline(r, &key);
        if (!p || !bind_descriptor(c, o, VK_PIPELINE_BIND_POINT_COMPUTE)) return;
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p);
        uint32_t groups = write ? o->groups : 1;
        pc->nthreads = groups * 64;
        push(c, o, pc);
        vk->vkCmdDispatch(cmd, groups, 1, 1);
    } else {
        if (o->st == ST_V) {
            key.vs = o->var;
        } else if (o->st == ST_G || o->st == ST_TC) {
            /* 64 points (or one-point patches), rasterizer off: one kernel thread each */
            key.vs = KV_V_FULLSCREEN;
            key.pre = o->var;
            key.pre_kind = o->st == ST_G ? 1 : 2;
        } else {
            key.vs = KV_V_FULLSCREEN;
            key.fs = o->var;
        }
        VkPipeline p = vkgr__get_pipeline(r, &key);
        if (!p || !bind_descriptor(c, o, VK_PIPELINE_BIND_POINT_GRAPHICS)) return;
        pc->nthreads = 64;
        push(c, o, pc);
        bool frag = o->st == ST_F;
        begin_rendering(c, frag ? 8 : 1, frag ? 8 : 1, NULL, NULL, NULL);
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
        vk->vkCmdDraw(cmd, frag ? 3 : 64, 1, 0, 0);
        vk->vkCmdEndRendering(cmd);
    }
}

/* A compute kernel alone (the pass digest) or dispatched indirectly from the op's buffer. */
static void record_compute(rec *c, const rop *o, pcs *pc, bool indirect)
{
    runner *r = c->r;
    pipe_key key = no_key();
    key.compute = true;
    key.vs = o->var;
    VkPipeline p = vkgr__get_pipeline(r, &key);
    if (!p) return;
    r->vk->vkCmdBindPipeline(c->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p);
    push(c, o, pc);
    if (indirect) r->vk->vkCmdDispatchIndirect(c->cmd, res_buffer(c, o->res), o->off);
    else r->vk->vkCmdDispatch(c->cmd, 1, 1, 1);
}

/* Index, indirect-draw and vertex buffers read by the fixed-function vertex input. */
static void record_vertex_input(rec *c, const rop *o, pcs *pc)
{
    runner *r = c->r;
    const struct VolkDeviceTable *vk = r->vk;
    VkCommandBuffer cmd = c->cmd;
    pipe_key key = no_key();
    key.vs = o->var;
    VkPipeline p = vkgr__get_pipeline(r, &key);
    if (!p) return;
    push(c, o, pc);
    begin_rendering(c, 1, 1, NULL, NULL, NULL);
    vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
    VkBuffer b = res_buffer(c, o->res);
    if (o->kind == K_INDEX) {
        vk->vkCmdBindIndexBuffer(cmd, b, o->off, VK_INDEX_TYPE_UINT32);
        vk->vkCmdDrawIndexed(cmd, (uint32_t)(o->size / 4), 1, 0, 0, 0);
    } else if (o->kind == K_DRAWIND) {
        vk->vkCmdDrawIndirect(cmd, b, o->off, 1, 16);
    } else {
        VkDeviceSize off = o->off;
        vk->vkCmdBindVertexBuffers(cmd, 0, 1, &b, &off);
        vk->vkCmdDraw(cmd, o->nslots, 1, 0, 0);
    }
    vk->vkCmdEndRendering(cmd);
}

/* A transfer read: the bytes (or one row of texels) copied into the pass's scratch slot. */
static void record_transfer_read(rec *c, const rop *o, const rres *R)
{
    runner *r = c->r;
    const struct VolkDeviceTable *vk = r->vk;
    VkCommandBuffer cmd = c->cmd;
    if (!R->pr->is_image) {
        vk->vkCmdCopyBuffer(cmd, res_buffer(c, o->res), r->scratch_vk, 1,
                            &(VkBufferCopy){o->off, c->region + 4ull * o->slot, o->size});
    } else {
        VkBufferImageCopy bic = {
            .bufferOffset = c->region + 4ull * o->slot,
            .imageSubresource = {vkg_format_aspect(R->pr->format), o->mip, o->layer0, 1},
            .imageExtent = {(uint32_t)o->size, 1, 1}};
        vk->vkCmdCopyImageToBuffer(cmd, res_image(c, o->res), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                   r->scratch_vk, 1, &bic);
    }
}

/* An attachment: colour (blended when read-modify-write), depth or stencil written by a
 * fullscreen triangle, or only loaded; a multisampled colour attachment resolves into its
 * resolve target. */
static void record_attachment(rec *c, const rop *o, const rres *R, pcs *pc, uint32_t salt)
{
    runner *r = c->r;
    const struct VolkDeviceTable *vk = r->vk;
    VkCommandBuffer cmd = c->cmd;
    pipe_key key = no_key();
    VkImageView view = vkgr__get_view(r, res_image(c, o->res), R, o->mip, o->layer0, 1, 0);
    if (!view) return;
    bool stencil = o->plane == 1;
    bool depth = R->fc == FC_D32 && !stencil;
    bool load_only = o->kind == K_LOADONLY;
    VkRenderingAttachmentInfo at = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = view,
        .imageLayout = acc(r->in.uses[o->use].access)->layout,
        .loadOp = (o->rw || load_only) ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        .storeOp = load_only ? VK_ATTACHMENT_STORE_OP_NONE : VK_ATTACHMENT_STORE_OP_STORE};
    uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
    VkPipeline p = VK_NULL_HANDLE;
    if (!load_only) {
        key.vs = KV_V_FULLSCREEN;
        key.fs = o->var;
        key.samples = (uint8_t)R->pr->samples;
        if (stencil) {
            key.stencil = R->pr->format;
            key.stencil_mode = o->rw ? 2 : 1;
        } else if (depth) {
            key.depth = R->pr->format;
            key.depth_mode = o->rw ? 2 : 1;
        } else {
            key.color = R->pr->format;
            key.blend = o->rw;
        }
        p = vkgr__get_pipeline(r, &key);
        if (!p) return;
        push(c, o, pc);
    }
    if (o->rsv_res != UINT32_MAX) {
        const rres *T = &r->res[o->rsv_res];
        at.resolveImageView = vkgr__get_view(r, res_image(c, o->rsv_res), T, o->rsv_mip, o->rsv_layer, 1, 0);
        if (!at.resolveImageView) return;
        at.resolveMode = R->fc == FC_U32 ? VK_RESOLVE_MODE_SAMPLE_ZERO_BIT : VK_RESOLVE_MODE_AVERAGE_BIT;
        at.resolveImageLayout = VK_IMAGE_LAYOUT_ATTACHMENT_OPTIMAL;
    }
    begin_rendering(c, w, h, depth || stencil ? NULL : &at, depth ? &at : NULL, stencil ? &at : NULL);
    if (p) {
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
        if (stencil && !o->rw) vk->vkCmdSetStencilReference(cmd, VK_STENCIL_FACE_FRONT_AND_BACK, stencil_ref(salt));
        vk->vkCmdDraw(cmd, 3, 1, 0, 0);
    }
    vk->vkCmdEndRendering(cmd);
}

static void record_copy_image(rec *c, const rop *o, const rres *R)
{
    runner *r = c->r;
    const rres *S = &r->res[o->src_res];
    uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
    uint32_t ws = mip_w(S->pr, o->src_mip), hs = mip_h(S->pr, o->src_mip);
    VkImageAspectFlags aspect = vkg_format_aspect(R->pr->format);
    VkImageCopy ic = {.srcSubresource = {aspect, o->src_mip, o->src_layer0, o->layers},
                      .dstSubresource = {aspect, o->mip, o->layer0, o->layers},
                      .extent = {ws < w ? ws : w, hs < h ? hs : h, 1}};
    r->vk->vkCmdCopyImage(c->cmd, res_image(c, o->src_res), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                       res_image(c, o->res), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &ic);
}

/* Whole mips of an image written from the pattern buffer, each layer from its own offset. */
static void record_pattern(rec *c, const rop *o, const rres *R, uint32_t salt)
{
    runner *r = c->r;
    VkBufferImageCopy bic[16];
    uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip), bytes = fclass_bytes(R->fc);
    for (uint32_t l0 = 0; l0 < o->layers; l0 += 16) {
        uint32_t n = o->layers - l0 < 16 ? o->layers - l0 : 16;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t start = (salt + 977u * (l0 + i)) % VKGR_PATTERN_SHIFT;
            bic[i] = (VkBufferImageCopy){
                .bufferOffset = (VkDeviceSize)start * bytes,
                .imageSubresource = {vkg_format_aspect(R->pr->format), o->mip, o->layer0 + l0 + i, 1},
                .imageExtent = {w, h, 1}};
        }
        r->vk->vkCmdCopyBufferToImage(c->cmd, r->pattern_vk[R->fc], res_image(c, o->res),
                                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n, bic);
    }
}

/* One op: its push constants, then the commands of its kind. */
static void record_op(rec *c, const rpass *rp, const rop *o)
{
    runner *r = c->r;
    static const vkg_plan_resource none_pr = {.name = ""};
    const rres none = {.pr = &none_pr};
    const rres *R = o->res < r->nres ? &r->res[o->res] : &none; /* the digest op has none */
    uint32_t salt = o->salt;
    if (r->opt.debug_skew_op && o == &r->ops[r->opt.debug_skew_op - 1]) salt++;
    pcs pc = op_constants(c, rp, o, R, salt);
    switch (o->kind) {
    case K_RBUF:
    case K_RIMG:
    case K_WBUF:
    case K_WIMG: record_kernel(c, o, &pc); break;
    case K_DIGEST: record_compute(c, o, &pc, false); break;
    case K_DISPIND: record_compute(c, o, &pc, true); break;
    case K_INDEX:
    case K_DRAWIND:
    case K_VERTEX: record_vertex_input(c, o, &pc); break;
    case K_TREAD: record_transfer_read(c, o, R); break;
    case K_COLOR:
    case K_DEPTH:
    case K_STENCIL:
    case K_LOADONLY: record_attachment(c, o, R, &pc, salt); break;
    case K_COPYBUF:
        r->vk->vkCmdCopyBuffer(c->cmd, res_buffer(c, o->src_res), res_buffer(c, o->res), 1,
                               &(VkBufferCopy){o->src_off, o->off, o->size});
        break;
    case K_FILL:
        r->vk->vkCmdFillBuffer(c->cmd, res_buffer(c, o->res), o->off, o->size,
                               R->small ? 3u + salt % 6u : vkg__hash32(salt));
        break;
    case K_COPYIMG: record_copy_image(c, o, R); break;
    case K_PATTERN: record_pattern(c, o, R, salt); break;
    case K_READBACK:
    case K_UPLOAD: break;
    }
}

/* copies between an image or buffer and a packed staging buffer: every mip and layer */
void vkgr__staging_copy(runner *r, VkCommandBuffer cmd, const rres *R, VkBuffer res_buf,
                         VkImage res_img, VkBuffer staging, bool to_staging)
{
    const struct VolkDeviceTable *vk = r->vk;
    if (!R->pr->is_image) {
        VkBufferCopy bc = {0, 0, R->pr->size};
        if (to_staging) vk->vkCmdCopyBuffer(cmd, res_buf, staging, 1, &bc);
        else vk->vkCmdCopyBuffer(cmd, staging, res_buf, 1, &bc);
        return;
    }
    uint32_t bytes = fclass_bytes(R->fc);
    for (uint32_t m = 0; m < R->pr->mips; m++)
        for (uint32_t l = 0; l < R->pr->layers; l++) {
            VkBufferImageCopy bic = {
                .bufferOffset = tix(R, m, l, 0, 0) * bytes,
                .imageSubresource = {vkg_format_aspect(R->pr->format), m, l, 1},
                .imageExtent = {mip_w(R->pr, m), mip_h(R->pr, m), 1}};
            if (to_staging)
                vk->vkCmdCopyImageToBuffer(cmd, res_img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                           staging, 1, &bic);
            else
                vk->vkCmdCopyBufferToImage(cmd, staging, res_img,
                                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &bic);
        }
}

void vkgr__record_pass(const vkg_pass_context *ctx, void *user)
{
    runner *r = user;
    uint32_t k = vkg_pass_index(ctx);
    if (r->error != VKG_SUCCESS || k >= r->in.pass_count) return;
    rec c = {r, ctx, vkg_pass_command_buffer(ctx), 0, 0};
    const rpass *rp = &r->pass[k];
    const vkg_plan_pass *p = &r->in.passes[k];
    if (strncmp(p->name, "vkgraph-run/readback:", 21) == 0) {
        /* use 0 is the staging buffer, the others the regions to read back */
        VkBuffer staging = res_buffer(&c, r->in.uses[p->first_use].resource);
        for (uint32_t i = 1; i < p->use_count; i++) {
            const vkg_plan_use *u = &r->in.uses[p->first_use + i];
            const rres *R = &r->res[u->resource];
            if (!R->pr->is_image) {
                r->vk->vkCmdCopyBuffer(c.cmd, res_buffer(&c, u->resource), staging, 1,
                                       &(VkBufferCopy){u->offset, u->offset, u->size});
                continue;
            }
            uint32_t p0, p1;
            aspect_planes(R, u->aspect, &p0, &p1);
            for (uint32_t pl = p0; pl < p1; pl++)
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                    for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                        VkBufferImageCopy bic = {
                            .bufferOffset = texel_byte(R, tixp(R, pl, m, l, 0, 0)),
                            .imageSubresource = {plane_aspect(R, pl), m, l, 1},
                            .imageExtent = {mip_w(R->pr, m), mip_h(R->pr, m), 1}};
                        r->vk->vkCmdCopyImageToBuffer(c.cmd, res_image(&c, u->resource),
                                                      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging,
                                                      1, &bic);
                    }
        }
        return;
    }
    c.region = (VkDeviceSize)r->slot * r->scratch_frame_bytes + rp->scratch_off;
    c.base = r->scratch_addr + c.region;
    for (uint32_t j = 0; j < rp->op_count && r->error == VKG_SUCCESS; j++) {
        op_barriers(&c, rp, j);
        record_op(&c, rp, &r->ops[rp->first_op + j]);
    }
}

