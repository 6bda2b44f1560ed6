/* `vkgraph run`: the operations of each pass, one per access class (run.c explains). */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rop *new_op(runner *r)
{
    if (!vkgr__grow((void **)&r->ops, &r->cap_ops, r->nops + 1, sizeof *r->ops)) return NULL;
    rop *o = &r->ops[r->nops++];
    memset(o, 0, sizeof *o);
    o->use = UINT32_MAX;
    o->src_res = UINT32_MAX;
    o->rsv_res = UINT32_MAX;
    return o;
}

static void foot_use(foot *f, const vkg_plan_use *u, VkAccessFlags2 only, uint32_t mip,
                     uint32_t mips, uint64_t off, uint64_t size)
{
    const vkg_access_info *a = acc(u->access);
    f->res = u->resource;
    f->stage = a->stage;
    f->access = only ? (a->access & only) : a->access;
    if (!f->access) f->access = a->access;
    f->write = (f->access & (VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT |
                             VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                             VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
                             VK_ACCESS_2_TRANSFER_WRITE_BIT | VK_ACCESS_2_HOST_WRITE_BIT)) != 0;
    f->layout = a->layout;
    f->plane = (a->aspect ? a->aspect : u->aspect) == VK_IMAGE_ASPECT_STENCIL_BIT ? 1 : 0;
    f->mip = mip;
    f->mips = mips;
    f->layer = u->base_layer;
    f->layers = u->layer_count;
    f->off = off;
    f->size = size;
}

static void foot_scratch(foot *f, stage st, bool write, uint32_t first, uint32_t n)
{
    f->res = VKGR_SCRATCH;
    f->write = write;
    f->off = 4ull * first;
    f->size = 4ull * n;
    switch (st) {
    case ST_V:
        f->stage = VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT;
        break;
    case ST_F:
    case ST_A:
        f->stage = VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT;
        break;
    case ST_C:
        f->stage = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT;
        break;
    case ST_G:
        f->stage = VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT;
        break;
    case ST_TC:
        f->stage = VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT;
        break;
    default:
        f->stage = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        break;
    }
    if (st == ST_T)
        f->access = VK_ACCESS_2_TRANSFER_WRITE_BIT;
    else
        f->access = write ? VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT
                          : VK_ACCESS_2_SHADER_STORAGE_READ_BIT;
}

/* ------------------------------------------------------------------------------------------
 * Operations of each pass
 * ---------------------------------------------------------------------------------------- */
static bool subres_overlap(const vkg_plan_use *a, const vkg_plan_use *b)
{
    return a->resource == b->resource && a->base_mip < b->base_mip + b->mip_count &&
           b->base_mip < a->base_mip + a->mip_count && a->base_layer < b->base_layer + b->layer_count &&
           b->base_layer < a->base_layer + a->layer_count;
}

static bool range_overlap(const vkg_plan_use *a, const vkg_plan_use *b)
{
    return a->resource == b->resource && a->offset < b->offset + b->size &&
           b->offset < a->offset + a->size;
}

static bool aligned(uint64_t off, VkDeviceSize a)
{
    return a <= 1 || off % a == 0;
}

static uint32_t compute_groups(uint64_t work)
{
    uint64_t g = (work + 255) / 256;
    return g < 1 ? 1 : g > 1024 ? 1024 : (uint32_t)g;
}

/* the transfer_read use a transfer write copies from (UINT32_MAX: none) */
static uint32_t copy_source(runner *r, const vkg_plan_pass *p, const vkg_plan_use *w, uint32_t nth)
{
    const rres *wr = &r->res[w->resource];
    uint32_t cand[16], n = 0;
    for (uint32_t i = 0; i < p->use_count && n < 16; i++) {
        const vkg_plan_use *s = &r->in.uses[p->first_use + i];
        if (s->access != VKG_ACCESS_TRANSFER_READ) continue;
        const rres *sr = &r->res[s->resource];
        if (sr->pr->is_image != wr->pr->is_image) continue;
        if (wr->pr->is_image) {
            if (sr->pr->format != wr->pr->format || subres_overlap(s, w)) continue;
        } else {
            if (range_overlap(s, w) || (wr->small && !sr->small) || s->size < 4) continue;
        }
        cand[n++] = p->first_use + i;
    }
    return n ? cand[nth % n] : UINT32_MAX;
}

/* What building one pass's operations shares between its steps. */
typedef struct opctx {
    runner *r;
    const vkg_plan_pass *p;
    rpass *rp;
    uint32_t salt;         /* per pass: the write ops' values differ from pass to pass */
    uint32_t nth, wn;      /* transfer writes seen; write ops made */
    bool consumed[64];     /* transfer reads that feed a copy (not read into slots) */
    uint32_t ms_ops[16], nms, nresolve; /* multisampled colour attachments, in order */
} opctx;

/* Rules every op of the pass relies on: formats and sample counts run handles, word-aligned
 * buffer ranges, rows run has kernels for. */
static vkg_result ops_check(opctx *c)
{
    runner *r = c->r;
    const vkg_plan_pass *p = c->p;
    rpass *rp = c->rp;
    const char *pn = p->name;
    (void)rp, (void)pn;
    for (uint32_t i = 0; i < p->use_count; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        const rres *R = &r->res[u->resource];
        const char *rn = R->pr->name;
        if (run_lacks_kernel(u->access))
            return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                        "pass \"%s\" uses %s \"%s\" as \"%s\": run has kernels for the vertex, "
                        "tessellation, geometry, fragment and compute stages, attachments and "
                        "copies, not for task and mesh shaders or acceleration structures (vkgraph "
                        "plan shows how the graph synchronizes them)",
                        pn, R->pr->is_image ? "image" : "buffer", rn, acc(u->access)->name);
        if (R->pr->is_image) {
            if (R->fc == FC_NONE)
                return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "image \"%s\": run's kernels handle R8_UNORM, R8G8_UNORM, R8G8B8A8_UNORM, "
                            "B8G8R8A8_UNORM, R16_SFLOAT, R16G16_SFLOAT, R16G16B16A16_SFLOAT, "
                            "R32_SFLOAT, R32G32_SFLOAT, R32G32B32A32_SFLOAT, R32_UINT, "
                            "D32_SFLOAT and D32_SFLOAT_S8_UINT, not %s",
                            rn, vkg_format_name(R->pr->format));
            if (R->pr->depth > 1)
                return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "image \"%s\": run's kernels handle 2D images", rn);
            bool attachment = u->access == VKG_ACCESS_COLOR_WRITE || u->access == VKG_ACCESS_COLOR_READ_WRITE ||
                              u->access == VKG_ACCESS_COLOR_READ;
            if (R->pr->samples > 1 && (!attachment || R->pr->imported || R->pr->output))
                return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "pass \"%s\" uses multisampled image \"%s\" as \"%s\"%s: run's kernels "
                            "touch a multisampled image only as a transient colour attachment and "
                            "verify it through a resolve_write into a single-sampled image",
                            pn, rn, acc(u->access)->name,
                            R->pr->imported ? " (imported)" : R->pr->output ? " (an output)" : "");
            if (R->planes == 2 && ((acc(u->access)->access & (VK_ACCESS_2_TRANSFER_READ_BIT |
                                                              VK_ACCESS_2_TRANSFER_WRITE_BIT |
                                                              VK_ACCESS_2_HOST_READ_BIT |
                                                              VK_ACCESS_2_HOST_WRITE_BIT)) ||
                                   R->pr->imported))
                return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "pass \"%s\" uses depth/stencil image \"%s\" as \"%s\"%s: run's kernels "
                            "touch an image with depth and stencil as attachments and sampled "
                            "reads of a transient (and read it back when it is an output)",
                            pn, rn, acc(u->access)->name, R->pr->imported ? " (imported)" : "");
        } else if (u->offset % 4 || u->size % 4) {
            return vkgr__fail(r, VKG_ERROR_INVALID_ARGUMENT,
                        "pass \"%s\" uses buffer \"%s\" bytes [%" PRIu64 ", %" PRIu64
                        "): run's kernels work in 4-byte words; align the range to 4 bytes",
                        pn, rn, (uint64_t)u->offset, (uint64_t)(u->offset + u->size));
        }
    }

    return VKG_SUCCESS;
}

/* A new op of use `ui` on its resource (NULL, having failed the runner, when out of memory). */
static rop *use_op(opctx *c, uint32_t ui, okind kind, stage st)
{
    rop *o = new_op(c->r);
    if (!o) return NULL;
    o->kind = kind;
    o->st = st;
    o->use = ui;
    o->res = c->r->in.uses[ui].resource;
    return o;
}

/* An op on one mip and layer of an attachment use (and its footprint there). */
static rop *attachment_op(opctx *c, uint32_t ui, okind kind, uint32_t m, uint32_t l)
{
    rop *o = use_op(c, ui, kind, ST_A);
    if (!o) return NULL;
    o->mip = m;
    o->layer0 = l;
    o->layers = 1;
    foot_use(&o->f[0], &c->r->in.uses[ui], 0, m, 1, 0, 0);
    o->f[0].layer = l;
    o->f[0].layers = 1;
    o->nf = 1;
    return o;
}

/* An op on one mip of an image use, over its layers (and its footprint there). */
static rop *mip_op(opctx *c, uint32_t ui, okind kind, stage st, uint32_t m, VkAccessFlags2 access)
{
    rop *o = use_op(c, ui, kind, st);
    if (!o) return NULL;
    const vkg_plan_use *u = &c->r->in.uses[ui];
    o->mip = m;
    o->layer0 = u->base_layer;
    o->layers = u->layer_count;
    foot_use(&o->f[0], u, access, m, 1, 0, 0);
    o->nf = 1;
    return o;
}

/* A shader read of a buffer: through a uniform or storage binding where the offset is
 * aligned for one, else (and for sampled reads, which are texel-buffer reads) through the
 * buffer's device address. */
static vkg_result read_shader_buffer(opctx *c, uint32_t ui, VkAccessFlags2 rd)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    stage st = shader_stage(u->access);
    rop *o = use_op(c, ui, K_RBUF, st);
    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
    o->off = u->offset;
    o->size = u->size;
    bool ubo = rd & VK_ACCESS_2_UNIFORM_READ_BIT;
    if (ubo && o->size > 4ull * VKGR_UBO_WORDS) o->size = 4ull * VKGR_UBO_WORDS;
    VkDeviceSize al = ubo ? r->caps->min_uniform_buffer_offset_alignment
                          : r->caps->min_storage_buffer_offset_alignment;
    /* a sampled read of a buffer is a texel-buffer read: run reads it through its device
     * address (invisible to synchronization validation, checked by the data) rather than as
     * a storage buffer the graph did not declare */
    bool sampled = rd & VK_ACCESS_2_SHADER_SAMPLED_READ_BIT;
    o->var = generic(st, !sampled && aligned(u->offset, al) ? (ubo ? G_RBUF_UBO : G_RBUF_SSBO) : G_RBUF_BDA);
    o->nslots = VKGR_SLOTS;
    foot_use(&o->f[0], u, rd, 0, 0, o->off, o->size);
    o->nf = 1;
    return VKG_SUCCESS;
}

/* A shader read of an image, sampled or as storage: one op per mip. */
static vkg_result read_shader_image(opctx *c, uint32_t ui, VkAccessFlags2 rd)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    const rres *R = &r->res[u->resource];
    stage st = shader_stage(u->access);
    bool sampled = rd & VK_ACCESS_2_SHADER_SAMPLED_READ_BIT;
    uint32_t plane = R->planes == 2 && u->aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? 1 : 0;
    int g;
    if (sampled) g = R->fc == FC_U32 || plane ? G_RTEX_U : G_RTEX_F;
    else if (R->pr->format == VK_FORMAT_R8G8B8A8_UNORM) g = G_RIMG_RGBA8;
    else if (R->fc == FC_F16X4) g = G_RIMG_RGBA16F;
    else if (R->fc == FC_F32) g = G_RIMG_R32F;
    else if (R->fc == FC_U32) g = G_RIMG_R32UI;
    else
        return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                          "pass \"%s\" reads %s image \"%s\" as storage: no shader storage "
                          "format matches it without shaderStorageImageReadWithoutFormat",
                          c->p->name, vkg_format_name(R->pr->format), R->pr->name);
    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
        rop *o = mip_op(c, ui, K_RIMG, st, m, rd);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->plane = plane;
        o->var = generic(st, g);
        o->nslots = VKGR_SLOTS;
    }
    return VKG_SUCCESS;
}

/* Index, vertex and indirect-argument reads by the fixed-function stages: an indexed draw,
 * a vertex-input draw, a vkCmdDrawIndirect on graphics or vkCmdDispatchIndirect elsewhere. */
static vkg_result read_vertex_input(opctx *c, uint32_t ui)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    uint32_t words = (uint32_t)(u->size / 4);
    rop *o = use_op(c, ui, K_VERTEX, ST_V);
    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
    o->off = u->offset;
    if (u->access == VKG_ACCESS_INDIRECT_READ) {
        bool draw = c->p->role == VKG_QUEUE_GRAPHICS;
        uint64_t need = draw ? 16 : 12;
        if (u->size < need)
            return vkgr__fail(r, VKG_ERROR_INVALID_ARGUMENT,
                              "pass \"%s\" reads indirect arguments from buffer \"%s\" bytes "
                              "[%" PRIu64 ", %" PRIu64 "): run's %s needs %" PRIu64 " bytes",
                              c->p->name, r->res[u->resource].pr->name, (uint64_t)u->offset,
                              (uint64_t)(u->offset + u->size),
                              draw ? "vkCmdDrawIndirect" : "vkCmdDispatchIndirect", need);
        o->kind = draw ? K_DRAWIND : K_DISPIND;
        o->var = draw ? KV_V_DRAW_INDIRECT : KV_C_DISPATCH_INDIRECT;
        o->st = draw ? ST_V : ST_C;
        o->size = need;
        o->nslots = draw ? 64 : 3;
    } else if (u->access == VKG_ACCESS_INDEX_READ) {
        o->kind = K_INDEX;
        o->var = KV_V_INDEX;
        o->size = 4ull * (words < 64 ? words : 64);
        o->nslots = 32;
    } else {
        o->var = KV_V_VERTEX;
        o->size = 4ull * (words < 64 ? words : 64);
        o->nslots = (uint32_t)(o->size / 4);
    }
    foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
    o->nf = 1;
    return VKG_SUCCESS;
}

/* A transfer read no copy consumes: up to 64 words (or texels of row 0) copied into the
 * pass's slots. Depth is copied out only on graphics families (Vulkan's rule). */
static vkg_result read_transfer(opctx *c, uint32_t ui)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    const rres *R = &r->res[u->resource];
    if (R->pr->is_image && R->fc == FC_D32 && !c->rp->graphics_family) return VKG_SUCCESS;
    rop *o = use_op(c, ui, K_TREAD, ST_T);
    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
    if (R->pr->is_image) {
        uint32_t w = mip_w(R->pr, u->base_mip);
        o->mip = u->base_mip;
        o->layer0 = u->base_layer;
        o->layers = 1;
        o->size = w < 64 ? w : 64; /* texels of row 0 */
        o->nslots = ((uint32_t)o->size * fclass_bytes(R->fc) + 3u) / 4u;
        o->fold = R->fc == FC_UNORM8 || R->fc == FC_U32;
        foot_use(&o->f[0], u, 0, u->base_mip, 1, 0, 0);
        o->f[0].layers = 1;
    } else {
        uint32_t words = (uint32_t)(u->size / 4);
        o->off = u->offset;
        o->size = 4ull * (words < 64 ? words : 64);
        o->nslots = (uint32_t)(o->size / 4);
        o->fold = true;
        foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
    }
    o->nf = 1;
    return VKG_SUCCESS;
}

/* An attachment only read (colour, depth or stencil): loaded, not stored, per mip and layer. */
static vkg_result read_attachment(opctx *c, uint32_t ui)
{
    const vkg_plan_use *u = &c->r->in.uses[ui];
    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
            rop *o = attachment_op(c, ui, K_LOADONLY, m, l);
            if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            o->plane = u->access == VKG_ACCESS_STENCIL_READ ? 1 : 0;
        }
    return VKG_SUCCESS;
}

/* Read ops: each folds what it sees into the pass's scratch slots; one kind per access
 * class. */
static vkg_result ops_reads(opctx *c)
{
    runner *r = c->r;
    const vkg_plan_pass *p = c->p;
    vkg_result e = VKG_SUCCESS;
    for (uint32_t i = 0; i < p->use_count && e == VKG_SUCCESS; i++) {
        uint32_t ui = p->first_use + i;
        const vkg_plan_use *u = &r->in.uses[ui];
        VkAccessFlags2 rd = acc(u->access)->access & (VK_ACCESS_2_UNIFORM_READ_BIT |
                                                      VK_ACCESS_2_SHADER_SAMPLED_READ_BIT |
                                                      VK_ACCESS_2_SHADER_STORAGE_READ_BIT);
        if (is_shader_access(u->access) && rd)
            e = r->res[u->resource].pr->is_image ? read_shader_image(c, ui, rd) : read_shader_buffer(c, ui, rd);
        else if (u->access == VKG_ACCESS_INDIRECT_READ || u->access == VKG_ACCESS_INDEX_READ ||
                 u->access == VKG_ACCESS_VERTEX_READ)
            e = read_vertex_input(c, ui);
        else if (u->access == VKG_ACCESS_TRANSFER_READ && !(i < 64 && c->consumed[i]))
            e = read_transfer(c, ui);
        else if (u->access == VKG_ACCESS_COLOR_READ || u->access == VKG_ACCESS_DEPTH_READ ||
                 u->access == VKG_ACCESS_STENCIL_READ)
            e = read_attachment(c, ui);
    }
    return e;
}

/* The digest op, when a write consumes it. */
static vkg_result ops_digest(opctx *c)
{
    runner *r = c->r;
    const vkg_plan_pass *p = c->p;
    rpass *rp = c->rp;
    const char *pn = p->name;
    (void)rp, (void)pn;
    bool consumers = false;
    for (uint32_t i = 0; i < p->use_count; i++) {
        vkg_access x = r->in.uses[p->first_use + i].access;
        consumers |= (is_shader_access(x) && (acc(x)->access & VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)) ||
                     x == VKG_ACCESS_COLOR_WRITE || x == VKG_ACCESS_COLOR_READ_WRITE ||
                     x == VKG_ACCESS_DEPTH_WRITE || x == VKG_ACCESS_DEPTH_READ_WRITE ||
                     x == VKG_ACCESS_STENCIL_WRITE || x == VKG_ACCESS_STENCIL_READ_WRITE;
    }
    if (consumers) {
        rop *o = new_op(r);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->kind = K_DIGEST;
        o->st = ST_C;
        o->var = KV_C_DIGEST;
        o->res = UINT32_MAX;
    }

    return VKG_SUCCESS;
}

/* A shader storage write: a buffer range, or an image per mip. */
static vkg_result write_shader(opctx *c, uint32_t ui)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    const rres *R = &r->res[u->resource];
    stage st = shader_stage(u->access);
    if (!R->pr->is_image) {
        rop *o = use_op(c, ui, K_WBUF, st);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->off = u->offset;
        o->size = u->size;
        o->salt = c->salt + ++c->wn;
        o->var = generic(st, aligned(u->offset, r->caps->min_storage_buffer_offset_alignment) ? G_WBUF_SSBO
                                                                                              : G_WBUF_BDA);
        o->groups = compute_groups(u->size / 4);
        foot_use(&o->f[0], u, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT, 0, 0, o->off, o->size);
        o->nf = 1;
        return VKG_SUCCESS;
    }
    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
        rop *o = mip_op(c, ui, K_WIMG, st, m, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->var = generic(st, R->fc == FC_U32 ? G_WIMG_U : G_WIMG_F);
        o->salt = c->salt + ++c->wn;
        o->groups = compute_groups((uint64_t)mip_w(R->pr, m) * mip_h(R->pr, m) * u->layer_count);
    }
    return VKG_SUCCESS;
}

/* A colour, depth or stencil attachment written (blended or depth-tested where read too),
 * per mip and layer; multisampled colour attachments are remembered for their resolves. */
static vkg_result write_attachment(opctx *c, uint32_t ui)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    const rres *R = &r->res[u->resource];
    bool stencil = u->access == VKG_ACCESS_STENCIL_WRITE || u->access == VKG_ACCESS_STENCIL_READ_WRITE;
    bool depth = u->access == VKG_ACCESS_DEPTH_WRITE || u->access == VKG_ACCESS_DEPTH_READ_WRITE;
    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
            rop *o = attachment_op(c, ui, stencil ? K_STENCIL : depth ? K_DEPTH : K_COLOR, m, l);
            if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            o->salt = c->salt + ++c->wn;
            if (stencil) {
                o->var = KV_F_ATTACH_DEPTH; /* its fragment depth goes nowhere: no depth attachment */
                o->rw = u->access == VKG_ACCESS_STENCIL_READ_WRITE;
                o->plane = 1;
                continue;
            }
            if (R->pr->samples > 1 && c->nms < 16) c->ms_ops[c->nms++] = (uint32_t)(o - r->ops);
            o->var = depth ? KV_F_ATTACH_DEPTH : R->fc == FC_U32 ? KV_F_ATTACH_U : KV_F_ATTACH_F;
            o->rw = (u->access == VKG_ACCESS_COLOR_READ_WRITE && R->fc != FC_U32) ||
                    u->access == VKG_ACCESS_DEPTH_READ_WRITE;
        }
    return VKG_SUCCESS;
}

/* resolve_write: the n-th resolves the n-th multisampled colour attachment of the pass. */
static vkg_result write_resolve(opctx *c, uint32_t ui)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    if (c->nresolve >= c->nms)
        return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                          "pass \"%s\" resolves into image \"%s\": run resolves only multisampled "
                          "colour attachments it writes (color_write, color_read_write)",
                          c->p->name, r->res[u->resource].pr->name);
    rop *o = &r->ops[c->ms_ops[c->nresolve++]];
    o->rsv_res = u->resource;
    o->rsv_mip = u->base_mip;
    o->rsv_layer = u->base_layer;
    foot_use(&o->f[o->nf], u, 0, u->base_mip, 1, 0, 0);
    o->f[o->nf].layers = 1;
    o->nf++;
    return VKG_SUCCESS;
}

/* A transfer write of a buffer: copied from the pass's matching transfer read where there is
 * one, the rest filled. */
static vkg_result write_transfer_buffer(opctx *c, uint32_t ui, const vkg_plan_use *su)
{
    const vkg_plan_use *u = &c->r->in.uses[ui];
    uint64_t copied = 0;
    if (su) {
        rop *o = use_op(c, ui, K_COPYBUF, ST_T);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        copied = su->size < u->size ? su->size : u->size;
        o->off = u->offset;
        o->size = copied;
        o->src_res = su->resource;
        o->src_off = su->offset;
        foot_use(&o->f[0], u, 0, 0, 0, o->off, copied);
        foot_use(&o->f[1], su, 0, 0, 0, su->offset, copied);
        o->nf = 2;
    }
    if (copied < u->size) {
        rop *o = use_op(c, ui, K_FILL, ST_T);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->off = u->offset + copied;
        o->size = u->size - copied;
        o->salt = c->salt + ++c->wn;
        foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
        o->nf = 1;
    }
    return VKG_SUCCESS;
}

/* A transfer write of an image, per mip: layers copied from the matching transfer read where
 * there is one, the rest written from the pattern buffer. */
static vkg_result write_transfer_image(opctx *c, uint32_t ui, const vkg_plan_use *su)
{
    runner *r = c->r;
    const vkg_plan_use *u = &r->in.uses[ui];
    const rres *R = &r->res[u->resource];
    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
        uint32_t n = 0;
        if (su) {
            rop *o = use_op(c, ui, K_COPYIMG, ST_T);
            if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            n = su->layer_count < u->layer_count ? su->layer_count : u->layer_count;
            o->mip = m;
            o->layer0 = u->base_layer;
            o->layers = n;
            o->src_res = su->resource;
            o->src_mip = su->base_mip + (m - u->base_mip) % su->mip_count;
            o->src_layer0 = su->base_layer;
            foot_use(&o->f[0], u, 0, m, 1, 0, 0);
            o->f[0].layers = n;
            foot_use(&o->f[1], su, 0, o->src_mip, 1, 0, 0);
            o->f[1].layers = n;
            o->nf = 2;
        }
        if (n >= u->layer_count) continue;
        if (R->fc == FC_D32 && !c->rp->graphics_family)
            return vkgr__fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                              "pass \"%s\" writes depth image \"%s\" by transfer on a queue family "
                              "without graphics: Vulkan copies buffers to depth only on graphics "
                              "queues; give it a depth image of the same format to copy from, or "
                              "run it on graphics",
                              c->p->name, R->pr->name);
        rop *o = use_op(c, ui, K_PATTERN, ST_T);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->mip = m;
        o->layer0 = u->base_layer + n;
        o->layers = u->layer_count - n;
        o->salt = c->salt + ++c->wn;
        foot_use(&o->f[0], u, 0, m, 1, 0, 0);
        o->f[0].layer = o->layer0;
        o->f[0].layers = o->layers;
        o->nf = 1;
    }
    return VKG_SUCCESS;
}

/* Write ops: values derived from the digest (and copies, fills, resolves); one kind per
 * access class. */
static vkg_result ops_writes(opctx *c)
{
    runner *r = c->r;
    const vkg_plan_pass *p = c->p;
    vkg_result e = VKG_SUCCESS;
    for (uint32_t i = 0; i < p->use_count && e == VKG_SUCCESS; i++) {
        uint32_t ui = p->first_use + i;
        const vkg_plan_use *u = &r->in.uses[ui];
        vkg_access x = u->access;
        if (is_shader_access(x) && (acc(x)->access & VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)) {
            e = write_shader(c, ui);
        } else if (x == VKG_ACCESS_COLOR_WRITE || x == VKG_ACCESS_COLOR_READ_WRITE || x == VKG_ACCESS_DEPTH_WRITE ||
                   x == VKG_ACCESS_DEPTH_READ_WRITE || x == VKG_ACCESS_STENCIL_WRITE ||
                   x == VKG_ACCESS_STENCIL_READ_WRITE) {
            e = write_attachment(c, ui);
        } else if (x == VKG_ACCESS_RESOLVE_WRITE) {
            e = write_resolve(c, ui);
        } else if (x == VKG_ACCESS_TRANSFER_WRITE) {
            uint32_t s = copy_source(r, p, u, c->nth++);
            const vkg_plan_use *su = s == UINT32_MAX ? NULL : &r->in.uses[s];
            e = r->res[u->resource].pr->is_image ? write_transfer_image(c, ui, su) : write_transfer_buffer(c, ui, su);
        }
    }
    return e;
}

/* Slots: folded reads first (the digest's input), the digest, sinks after; every op's
 * scratch footprint. */
static void ops_slots(opctx *c)
{
    runner *r = c->r;
    rpass *rp = c->rp;
    uint32_t s = 0;
    for (int pass2 = 0; pass2 < 2; pass2++)
        for (uint32_t i = 0; i < rp->op_count; i++) {
            rop *o = &r->ops[rp->first_op + i];
            bool reads = o->kind <= K_TREAD;
            if (!reads) continue;
            bool folded = o->kind != K_TREAD || o->fold;
            if (folded != (pass2 == 0)) continue;
            if (pass2 == 1) s = (s + 3u) & ~3u; /* sinks of wide texels need aligned offsets */
            o->slot = s;
            s += o->nslots;
        }
    /* digest size: the folded slots */
    uint32_t nd = 0;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        const rop *o = &r->ops[rp->first_op + i];
        if (o->kind <= K_TREAD && (o->kind != K_TREAD || o->fold) && o->slot + o->nslots > nd)
            nd = o->slot + o->nslots;
    }
    rp->nslots = nd;
    /* the digest slot sits at nd: move the sinks past it */
    for (uint32_t i = 0; i < rp->op_count; i++) {
        rop *o = &r->ops[rp->first_op + i];
        if (o->kind == K_TREAD && !o->fold) o->slot += 4;
    }
    rp->ntotal = (s + 4u + 3u) & ~3u;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        rop *o = &r->ops[rp->first_op + i];
        if (o->kind <= K_TREAD) {
            foot_scratch(&o->f[o->nf++], o->st, true, o->slot, o->nslots);
        } else if (o->kind == K_DIGEST) {
            if (nd) foot_scratch(&o->f[o->nf++], ST_C, false, 0, nd);
            foot_scratch(&o->f[o->nf++], ST_C, true, nd, 1);
        } else if (o->kind == K_WBUF || o->kind == K_WIMG || o->kind == K_COLOR || o->kind == K_DEPTH ||
                   o->kind == K_STENCIL) {
            foot_scratch(&o->f[o->nf++], o->st, false, nd, 1);
        }
    }
}

vkg_result vkgr__build_pass(runner *r, uint32_t k)
{
    const vkg_plan_pass *p = &r->in.passes[k];
    rpass *rp = &r->pass[k];
    rp->first_op = r->nops;
    uint32_t family = r->in.queues[p->queue].family;
    rp->graphics_family = (r->caps->queue_families[family].flags & VK_QUEUE_GRAPHICS_BIT) != 0;
    if (p->use_count > 64)
        return vkgr__fail(r, VKG_ERROR_LIMIT, "pass \"%s\": run handles at most 64 uses per pass",
                          p->name);
    opctx c = {.r = r, .p = p, .rp = rp, .salt = vkg__hash32(0xC0FFEEu + k * 0x9E3779B1u)};
    /* which transfer reads feed copies */
    for (uint32_t i = 0; i < p->use_count; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        if (u->access != VKG_ACCESS_TRANSFER_WRITE) continue;
        uint32_t s = copy_source(r, p, u, c.nth++);
        if (s != UINT32_MAX && s - p->first_use < 64) c.consumed[s - p->first_use] = true;
    }
    c.nth = 0;
    vkg_result e = ops_check(&c);
    if (e == VKG_SUCCESS) e = ops_reads(&c);
    if (e == VKG_SUCCESS) e = ops_digest(&c);
    if (e == VKG_SUCCESS) e = ops_writes(&c);
    if (e != VKG_SUCCESS) return e;
    rp->op_count = r->nops - rp->first_op;
    ops_slots(&c);
    return VKG_SUCCESS;
}

