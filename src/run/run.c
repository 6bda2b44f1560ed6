/* `vkgraph run`: built-in deterministic kernels, a CPU model of what they compute, and the
 * comparison (run.h; docs/run.md).
 *
 * Every pass becomes a list of operations. Each operation touches one user resource (or two:
 * a copy) through exactly the access the graph declared, so synchronization validation judges
 * the compiled barriers and nothing else:
 *   read ops   fold what they see into the pass's scratch slots (shader reads, index, vertex
 *              and indirect fetches, transfer reads);
 *   write ops  store values derived from the digest of those slots (storage writes in every
 *              stage, attachments with blending or depth tests, copies, fills, uploads).
 * The CPU model runs the same operations on a byte-exact model of every resource, in plan
 * order, and each output read back from the GPU is compared after every frame.
 *
 * Values: image texels hold one 8-bit value v in every channel (UNORM: v/255, float:
 * v/255, UINT: v), so every format round-trips exactly; buffers hold 32-bit hashes, except
 * buffers that some pass reads as indirect arguments, whose words stay in [3, 8] (a draw of
 * at most 8 x 8 points, a dispatch of at most 512 groups). Contents nothing defined (host
 * writes, discarded layouts, unwritten transients) are tracked as undefined and not compared;
 * indirect arguments that could be undefined are refused before anything runs.
 *
 * Operations inside one pass that touch the same bytes are ordered by barriers scoped to
 * those bytes (the pass's own business, like any raw Vulkan a pass records). */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* ------------------------------------------------------------------------------------------
 * Set-up, frames, comparison
 * ---------------------------------------------------------------------------------------- */
/* passes and resources run adds to the graph */
static bool is_run_name(const char *name)
{
    return strncmp(name, "vkgraph-run/", 12) == 0;
}

/* host-visible buffer for run's own use */
static vkg_result host_buffer(runner *r, const char *name, VkDeviceSize size, VkBufferUsageFlags usage,
                              vkg_memory_usage mu, vkg_buffer *out, void **mapped, VkBuffer *vkb)
{
    vkg_result e = vkg_buffer_create(r->dev, &(vkg_buffer_desc){.name = name, .size = size ? size : 4,
                                                                 .usage = usage, .memory_usage = mu},
                                     out);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "creating run's buffer \"%s\" (%" PRIu64 " bytes) failed", name, (uint64_t)size);
    vkg_buffer_info bi;
    e = vkg_buffer_get_info(r->dev, *out, &bi);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "vkg_buffer_get_info failed");
    if (mapped) *mapped = bi.mapped;
    if (vkb) *vkb = bi.buffer;
    if (mapped && !bi.mapped) return vkgr__fail(r, VKG_ERROR_VULKAN, "run's buffer \"%s\" is not host-visible", name);
    return VKG_SUCCESS;
}

static uint64_t image_texels(const vkg_plan_resource *pr)
{
    uint64_t n = 0;
    for (uint32_t m = 0; m < pr->mips; m++) n += (uint64_t)mip_w(pr, m) * mip_h(pr, m);
    return n * pr->layers;
}

static vkg_result compile(runner *r, vkg_plan **plan)
{
    vkg_compile_desc cd = {.caps = r->caps, .requirements = vkg_device_requirements,
                           .requirements_user = r->dev};
    vkg_result e = vkg_compile_ex(r->graph, &cd, plan);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "the graph does not compile (%s; the log says why)", vkg_result_name(e));
    return VKG_SUCCESS;
}

static bool needs_readback(const runner *r, const vkg_plan_resource *pr)
{
    /* NAME@prev is what NAME held last frame, compared then */
    return r->opt.verify && (pr->output || pr->imported) && pr->used && pr->history != 2;
}

static int cmp_range(const void *a, const void *b)
{
    const vkg_use *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Reads back what the plan can define: all of an imported resource, the written parts of a
 * transient one (reading the rest would be a read before any write). */
static vkg_result add_readback(runner *r, vkg_graph *g, const vkg_plan_info *in, uint32_t i,
                               vkg_resource *staged, bool *added)
{
    const vkg_plan_resource *pr = &in->resources[i];
    vkg_use uses[64];
    uint32_t n = 1;
    *added = false;
    if (pr->imported) {
        uses[n++] = (vkg_use){.resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ};
    } else if (pr->is_image) {
        /* per plane: the depth and the stencil of an image with both are written apart */
        VkImageAspectFlags fa = vkg_format_aspect(pr->format);
        uint32_t planes = vkg__plane_count(fa);
        uint32_t nsub = planes * pr->mips * pr->layers;
        uint8_t *w = calloc(nsub ? nsub : 1, 1);
        if (!w) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        for (uint32_t u = 0; u < in->use_count; u++) {
            const vkg_plan_use *x = &in->uses[u];
            if (x->resource != i || !acc(x->access)->write) continue;
            VkImageAspectFlags a = acc(x->access)->aspect ? acc(x->access)->aspect : x->aspect;
            uint32_t p0, np;
            vkg__planes_of_aspect(fa, a, &p0, &np);
            for (uint32_t pl = p0; pl < p0 + np; pl++) {
                for (uint32_t m = x->base_mip; m < x->base_mip + x->mip_count; m++)
                    for (uint32_t l = x->base_layer; l < x->base_layer + x->layer_count; l++)
                        w[(pl * pr->mips + m) * pr->layers + l] = 1;
            }
        }
        for (uint32_t pl = 0; pl < planes; pl++)
            for (uint32_t m = 0; m < pr->mips; m++)
                for (uint32_t l = 0; l < pr->layers; l++) {
                    const uint8_t *row = w + (pl * pr->mips + m) * pr->layers;
                    if (!row[l]) continue;
                    uint32_t e = l;
                    while (e + 1 < pr->layers && row[e + 1]) e++;
                    if (n < 64)
                        uses[n++] = (vkg_use){
                            .resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ, .base_mip = m,
                            .mip_count = 1, .base_layer = l, .layer_count = e - l + 1,
                            .aspect = planes == 2 ? vkg__aspect_of_plane(fa, pl) : 0};
                    l = e;
                }
        free(w);
    } else {
        vkg_use rs[64];
        uint32_t nr = 0;
        for (uint32_t u = 0; u < in->use_count && nr < 64; u++) {
            const vkg_plan_use *x = &in->uses[u];
            if (x->resource == i && acc(x->access)->write)
                rs[nr++] = (vkg_use){.offset = x->offset, .size = x->size};
        }
        qsort(rs, nr, sizeof *rs, cmp_range);
        for (uint32_t k = 0; k < nr && n < 64; k++) {
            uint64_t lo = rs[k].offset, hi = lo + rs[k].size;
            while (k + 1 < nr && rs[k + 1].offset <= hi) {
                if (rs[k + 1].offset + rs[k + 1].size > hi) hi = rs[k + 1].offset + rs[k + 1].size;
                k++;
            }
            uses[n++] = (vkg_use){.resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ,
                                  .offset = lo, .size = hi - lo};
        }
    }
    if (n == 1) return VKG_SUCCESS; /* nothing defines it: nothing to compare */
    char name[300];
    uint64_t bytes = pr->is_image ? image_texels(pr) * fclass_bytes(fclass_of(pr->format)) : pr->size;
    if (pr->is_image && vkg__plane_count(vkg_format_aspect(pr->format)) == 2)
        bytes += image_texels(pr) * fclass_bytes(FC_R8); /* the stencil plane */
    snprintf(name, sizeof name, "vkgraph-run/staging:%s", pr->name);
    vkg_result e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = bytes ? bytes : 4,
                                                                .imported = true, .output = true},
                                    staged);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "adding a readback buffer for \"%s\" failed", pr->name);
    uses[0] = (vkg_use){.resource = *staged, .access = VKG_ACCESS_TRANSFER_WRITE};
    snprintf(name, sizeof name, "vkgraph-run/readback:%s", pr->name);
    e = vkg_graph_pass(g, &(vkg_pass_desc){.name = name, .uses = uses, .use_count = n,
                                           .record = vkgr__record_pass, .user = r}, NULL);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "adding the readback pass for \"%s\" failed", pr->name);
    *added = true;
    return VKG_SUCCESS;
}

/* Compiles the user's graph, then builds run's own copy of what survived: the same resources
 * (same handles), every live pass with a kernel, and with --verify a readback pass for every
 * output and imported resource (just before a present, which must stay an image's last use). */
static vkg_result prepare_graph(runner *r, vkg_graph *user_graph)
{
    vkg_plan *first = NULL;
    r->graph = user_graph;
    vkg_result e = compile(r, &first);
    r->graph = NULL;
    if (e != VKG_SUCCESS) return e;
    vkg_plan_info in;
    vkg_plan_get_info(first, &in);
    vkg_graph *g = NULL;
    e = vkg_graph_create(&(vkg_graph_desc){.name = in.name}, &g);
    if (e != VKG_SUCCESS) {
        vkg_plan_destroy(first);
        return vkgr__fail(r, e, "vkg_graph_create failed");
    }
    r->graph = g;
    for (uint32_t i = 0; i < in.resource_count && e == VKG_SUCCESS; i++) {
        const vkg_plan_resource *pr = &in.resources[i];
        if (pr->history == 2) continue; /* made with its history resource, just before it */
        /* a history resource is declared as such again (it makes NAME@prev too) */
        bool imported = pr->imported && !pr->history;
        vkg_import_state state = imported ? pr->state : (vkg_import_state){0};
        uint32_t history = pr->history == 1;
        vkg_history_init init = pr->history_clear ? VKG_HISTORY_CLEAR : VKG_HISTORY_UNDEFINED;
        vkg_resource h;
        if (pr->is_image)
            e = vkg_graph_image(g, &(vkg_graph_image_desc){.name = pr->name, .format = pr->format,
                .width = pr->width, .height = pr->height, .depth = pr->depth, .mips = pr->mips,
                .layers = pr->layers, .samples = pr->samples, .imported = imported,
                .state = state, .output = pr->output, .history = history, .history_init = init}, &h);
        else
            e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = pr->name, .size = pr->size,
                .imported = imported, .state = state, .output = pr->output, .history = history,
                .history_init = init}, &h);
        if (e == VKG_SUCCESS && (h.id != i + 1 || (history && pr->history_pair != i + 1)))
            e = VKG_ERROR_INVALID_ARGUMENT;
        if (e != VKG_SUCCESS) e = vkgr__fail(r, e, "copying resource \"%s\" failed", pr->name);
    }
    bool *done = calloc(in.resource_count + 1, sizeof *done);
    vkg_resource *staged = calloc(in.resource_count + 1, sizeof *staged);
    vkg_use *uses = calloc(in.use_count + 1, sizeof *uses);
    if ((!done || !staged || !uses) && e == VKG_SUCCESS) e = vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    uint32_t nst = 0;
    for (uint32_t k = 0; k < in.pass_count && e == VKG_SUCCESS; k++) {
        const vkg_plan_pass *p = &in.passes[k];
        for (uint32_t i = 0; i < p->use_count && e == VKG_SUCCESS; i++) {
            const vkg_plan_use *u = &in.uses[p->first_use + i];
            if (u->access == VKG_ACCESS_PRESENT && !done[u->resource] &&
                needs_readback(r, &in.resources[u->resource])) {
                bool added;
                e = add_readback(r, g, &in, u->resource, &staged[nst], &added);
                nst += added;
                done[u->resource] = true;
            }
            uses[i] = (vkg_use){.resource = {u->resource + 1}, .access = u->access};
            if (in.resources[u->resource].is_image) {
                uses[i].base_mip = u->base_mip, uses[i].mip_count = u->mip_count;
                uses[i].base_layer = u->base_layer, uses[i].layer_count = u->layer_count;
            } else {
                uses[i].offset = u->offset, uses[i].size = u->size;
            }
        }
        if (e == VKG_SUCCESS)
            e = vkg_graph_pass(g, &(vkg_pass_desc){.name = p->name, .queue = p->role, .uses = uses,
                                                   .use_count = p->use_count, .record = vkgr__record_pass,
                                                   .user = r, .side_effects = true}, NULL);
        if (e != VKG_SUCCESS) e = vkgr__fail(r, e, "copying pass \"%s\" failed", p->name);
    }
    for (uint32_t i = 0; i < in.resource_count && e == VKG_SUCCESS; i++)
        if (!done[i] && needs_readback(r, &in.resources[i])) {
            bool added;
            e = add_readback(r, g, &in, i, &staged[nst], &added);
            nst += added;
        }
    if (e == VKG_SUCCESS && nst) {
        vkg_use *hu = calloc(nst, sizeof *hu);
        if (!hu) e = vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        for (uint32_t i = 0; hu && i < nst; i++)
            hu[i] = (vkg_use){.resource = staged[i], .access = VKG_ACCESS_HOST_READ};
        if (hu)
            e = vkg_graph_pass(g, &(vkg_pass_desc){.name = "vkgraph-run/host", .uses = hu,
                                                   .use_count = nst, .side_effects = true}, NULL);
        if (e != VKG_SUCCESS) e = vkgr__fail(r, e, "adding the host-read pass failed");
        free(hu);
    }
    free(done), free(staged), free(uses);
    vkg_plan_destroy(first);
    return e;
}

/* Model arrays, ops and scratch layout for the final plan. */
static vkg_result build(runner *r)
{
    r->nres = r->in.resource_count;
    r->res = calloc(r->nres ? r->nres : 1, sizeof *r->res);
    r->pass = calloc(r->in.pass_count ? r->in.pass_count : 1, sizeof *r->pass);
    if (!r->res || !r->pass) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        R->pr = &r->in.resources[i];
        R->handle = (vkg_resource){i + 1};
        R->fc = fclass_of(R->pr->format);
    }
    /* buffers read as indirect arguments anywhere keep their words small */
    for (uint32_t u = 0; u < r->in.use_count; u++)
        if (r->in.uses[u].access == VKG_ACCESS_INDIRECT_READ) r->res[r->in.uses[u].resource].small = true;
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->pr->used || is_run_name(R->pr->name)) continue;
        uint64_t n;
        if (R->pr->is_image) {
            if (R->fc == FC_NONE || R->pr->depth > 1) continue; /* vkgr__build_pass names the problem */
            R->planes = vkg__plane_count(vkg_format_aspect(R->pr->format));
            R->sub = calloc((size_t)R->planes * R->pr->mips * R->pr->layers, sizeof *R->sub);
            if (!R->sub) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
            uint64_t t = 0;
            for (uint32_t p = 0; p < R->planes; p++)
                for (uint32_t m = 0; m < R->pr->mips; m++)
                    for (uint32_t l = 0; l < R->pr->layers; l++) {
                        R->sub[(p * R->pr->mips + m) * R->pr->layers + l] = t;
                        t += (uint64_t)mip_w(R->pr, m) * mip_h(R->pr, m);
                    }
            R->texels = n = t;
            R->plane_texels = t / R->planes;
        } else {
            n = R->pr->size;
        }
        R->val = calloc(n ? n : 1, 1);
        R->known = calloc(n ? n : 1, 1);
        if (!R->val || !R->known) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        if (r->opt.verify && (R->pr->output || R->pr->imported)) {
            R->exp_val = calloc((size_t)r->F * (n ? n : 1), 1);
            R->exp_known = calloc((size_t)r->F * (n ? n : 1), 1);
            if (!R->exp_val || !R->exp_known) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        }
    }
    uint64_t off = 0;
    for (uint32_t k = 0; k < r->in.pass_count; k++) {
        rpass *rp = &r->pass[k];
        if (is_run_name(r->in.passes[k].name)) {
            rp->first_op = r->nops;
            continue;
        }
        vkg_result e = vkgr__build_pass(r, k);
        if (e != VKG_SUCCESS) return e;
        rp->scratch_off = off;
        off += 4ull * rp->ntotal;
    }
    r->scratch_frame_bytes = (off + 255) & ~255ull;
    r->info->ops = r->nops;
    r->info->passes = r->in.pass_count;
    return VKG_SUCCESS;
}

/* Imported resources: created here, filled with their pattern by a one-pass graph. */
typedef struct init_ctx {
    runner *r;
    vkg_buffer *staging;
    uint32_t *index; /* imported resource -> runner resource */
    uint32_t count;
} init_ctx;

static void record_init(const vkg_pass_context *ctx, void *user)
{
    init_ctx *ic = user;
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    for (uint32_t i = 0; i < ic->count; i++) {
        const rres *R = &ic->r->res[ic->index[i]];
        vkg_resource h = {2 * i + 1}, st = {2 * i + 2};
        vkgr__staging_copy(ic->r, cmd, R, vkg_pass_buffer(ctx, h), vkg_pass_image(ctx, h),
                     vkg_pass_buffer(ctx, st), false);
    }
}

static vkg_result create_imported(runner *r, vkg_executor *ex)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->pr->imported || R->pr->history || !R->pr->used || !R->val) continue; /* history: the executor's */
        char name[300];
        snprintf(name, sizeof name, "%s", R->pr->name);
        vkg_result e;
        if (R->pr->is_image) {
            e = vkg_image_create(r->dev, &(vkg_image_desc){
                .name = name, .format = R->pr->format, .width = R->pr->width, .height = R->pr->height,
                .mips = R->pr->mips, .layers = R->pr->layers,
                .usage = R->pr->image_usage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                &R->img);
        } else {
            e = vkg_buffer_create(r->dev, &(vkg_buffer_desc){
                .name = name, .size = R->pr->size,
                .usage = R->pr->buffer_usage | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                         VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT},
                &R->buf);
        }
        if (e != VKG_SUCCESS)
            return vkgr__fail(r, e, "creating imported %s \"%s\" failed (%s)", R->pr->is_image ? "image" : "buffer",
                        R->pr->name, vkg_result_name(e));
        vkgr__init_imported(R, i);
        n++;
    }
    if (!n) return VKG_SUCCESS;
    init_ctx ic = {r, calloc(n, sizeof(vkg_buffer)), calloc(n, sizeof(uint32_t)), 0};
    vkg_binding *bind = calloc(2 * n, sizeof *bind);
    vkg_use *uses = calloc(2 * n, sizeof *uses);
    vkg_graph *g = NULL;
    vkg_plan *plan = NULL;
    vkg_result e = (!ic.staging || !ic.index || !bind || !uses) ? VKG_ERROR_OUT_OF_HOST_MEMORY : VKG_SUCCESS;
    if (e == VKG_SUCCESS) e = vkg_graph_create(&(vkg_graph_desc){.name = "vkgraph-run/init"}, &g);
    for (uint32_t i = 0; i < r->nres && e == VKG_SUCCESS; i++) {
        rres *R = &r->res[i];
        if (!R->pr->imported || R->pr->history || !R->pr->used || !R->val) continue; /* history: the executor's */
        uint32_t k = ic.count++;
        ic.index[k] = i;
        uint64_t bytes = R->pr->is_image ? R->texels * fclass_bytes(R->fc) : R->pr->size;
        uint8_t *map = NULL;
        char name[300];
        snprintf(name, sizeof name, "vkgraph-run/init:%s", R->pr->name);
        e = host_buffer(r, name, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, VKG_MEMORY_UPLOAD,
                        &ic.staging[k], (void **)&map, NULL);
        if (e != VKG_SUCCESS) break;
        if (R->pr->is_image)
            for (uint64_t t = 0; t < R->texels; t++) encode_texel(R->fc, R->val[t], map + t * fclass_bytes(R->fc));
        else
            memcpy(map, R->val, bytes);
        e = vkg_buffer_flush(r->dev, ic.staging[k], 0, VK_WHOLE_SIZE);
        vkg_resource h, st;
        if (e == VKG_SUCCESS) {
            if (R->pr->is_image)
                e = vkg_graph_image(g, &(vkg_graph_image_desc){.name = R->pr->name, .format = R->pr->format,
                    .width = R->pr->width, .height = R->pr->height, .mips = R->pr->mips,
                    .layers = R->pr->layers, .imported = true, .output = true}, &h);
            else
                e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = R->pr->name, .size = R->pr->size,
                    .imported = true, .output = true}, &h);
        }
        if (e == VKG_SUCCESS)
            e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = bytes, .imported = true}, &st);
        if (e != VKG_SUCCESS) break;
        uses[2 * k] = (vkg_use){.resource = h, .access = VKG_ACCESS_TRANSFER_WRITE};
        uses[2 * k + 1] = (vkg_use){.resource = st, .access = VKG_ACCESS_TRANSFER_READ};
        bind[2 * k] = (vkg_binding){.resource = h, .buffer = R->buf, .image = R->img};
        bind[2 * k + 1] = (vkg_binding){.resource = st, .buffer = ic.staging[k]};
    }
    if (e == VKG_SUCCESS)
        e = vkg_graph_pass(g, &(vkg_pass_desc){.name = "vkgraph-run/init", .uses = uses,
                                               .use_count = 2 * ic.count, .record = record_init,
                                               .user = &ic}, NULL);
    if (e == VKG_SUCCESS)
        e = vkg_compile_ex(g, &(vkg_compile_desc){.caps = r->caps, .requirements = vkg_device_requirements,
                                                  .requirements_user = r->dev}, &plan);
    vkg_ticket t = {0};
    if (e == VKG_SUCCESS)
        e = vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = bind,
                                                  .binding_count = 2 * ic.count}, &t);
    if (e == VKG_SUCCESS) e = vkg_ticket_wait(r->dev, t, UINT64_MAX);
    if (e != VKG_SUCCESS) vkgr__fail(r, e, "initialising the imported resources failed (%s)", vkg_result_name(e));
    for (uint32_t k = 0; k < ic.count; k++)
        if (ic.staging[k].id) vkg_buffer_destroy(r->dev, ic.staging[k]);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    free(ic.staging), free(ic.index), free(bind), free(uses);
    return e;
}

static vkg_result create_device_objects(runner *r)
{
    vkg_result e = vkgr__create_layouts(r);
    if (e != VKG_SUCCESS) return e;
    /* scratch: zeroed on the host, so tag slots start unset */
    void *map = NULL;
    uint64_t sbytes = (uint64_t)r->F * r->scratch_frame_bytes;
    e = host_buffer(r, "vkgraph-run/scratch", sbytes,
                    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                        VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                    VKG_MEMORY_UPLOAD, &r->scratch, &map, &r->scratch_vk);
    if (e != VKG_SUCCESS) return e;
    memset(map, 0, sbytes ? sbytes : 4);
    e = vkg_buffer_flush(r->dev, r->scratch, 0, VK_WHOLE_SIZE);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "flushing the scratch buffer failed");
    vkg_buffer_info bi;
    e = vkg_buffer_get_info(r->dev, r->scratch, &bi);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "vkg_buffer_get_info failed");
    r->scratch_addr = bi.address;
    /* pattern buffers: one per format class that a pattern copy writes */
    uint64_t need[FC_COUNT] = {0};
    for (uint32_t i = 0; i < r->nops; i++) {
        const rop *o = &r->ops[i];
        if (o->kind != K_PATTERN) continue;
        const rres *R = &r->res[o->res];
        uint64_t t = (uint64_t)mip_w(R->pr, o->mip) * mip_h(R->pr, o->mip) + VKGR_PATTERN_SHIFT;
        if (t > need[R->fc]) need[R->fc] = t;
    }
    for (int fc = 1; fc < FC_COUNT; fc++) {
        if (!need[fc]) continue;
        uint32_t bytes = fclass_bytes((fclass)fc);
        uint8_t *p = NULL;
        e = host_buffer(r, "vkgraph-run/pattern", need[fc] * bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                        VKG_MEMORY_UPLOAD, &r->pattern[fc], (void **)&p, &r->pattern_vk[fc]);
        if (e != VKG_SUCCESS) return e;
        for (uint64_t t = 0; t < need[fc]; t++) encode_texel((fclass)fc, pattern_value((uint32_t)t), p + t * bytes);
        e = vkg_buffer_flush(r->dev, r->pattern[fc], 0, VK_WHOLE_SIZE);
        if (e != VKG_SUCCESS) return vkgr__fail(r, e, "flushing a pattern buffer failed");
    }
    /* descriptor pools: one set per descriptor op per frame */
    uint32_t count[DT_COUNT] = {0}, sets = 0;
    for (uint32_t i = 0; i < r->nops; i++) {
        dtype dt = kvars[r->ops[i].var].dt;
        bool has = r->ops[i].kind == K_RBUF || r->ops[i].kind == K_RIMG || r->ops[i].kind == K_WBUF ||
                   r->ops[i].kind == K_WIMG;
        if (has && dt != DT_NONE) count[dt]++, sets++;
    }
    VkDescriptorPoolSize sizes[4] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, count[DT_SSBO] + 1},
                                     {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, count[DT_UBO] + 1},
                                     {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, count[DT_SAMPLED] + 1},
                                     {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, count[DT_STORAGE_IMAGE] + 1}};
    r->pools = calloc(r->F, sizeof *r->pools);
    if (!r->pools) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t s = 0; s < r->F; s++) {
        VKGR_VK(r->vk->vkCreateDescriptorPool(r->device,
                                              &(VkDescriptorPoolCreateInfo){
                                                  .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                                  .maxSets = sets + 1,
                                                  .poolSizeCount = 4,
                                                  .pPoolSizes = sizes},
                                              NULL, &r->pools[s]),
                "vkCreateDescriptorPool");
    }
    /* readback staging per frame slot */
    if (r->opt.verify)
        for (uint32_t i = 0; i < r->nres; i++) {
            rres *R = &r->res[i];
            if (!needs_readback(r, R->pr) || !R->val) continue;
            char name[300];
            snprintf(name, sizeof name, "vkgraph-run/staging:%s", R->pr->name);
            R->rb_handle = vkg_graph_find_resource(r->graph, name);
            R->rb_bytes = R->pr->is_image ? texel_byte(R, R->texels) : R->pr->size;
            R->rb_bufs = calloc(r->F, sizeof *R->rb_bufs);
            if (!R->rb_bufs) return vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
            for (uint32_t s = 0; s < r->F; s++) {
                e = host_buffer(r, name, R->rb_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                VKG_MEMORY_READBACK, &R->rb_bufs[s], NULL, NULL);
                if (e != VKG_SUCCESS) return e;
            }
        }
    return VKG_SUCCESS;
}

/* compares slot `s` (frame `frame`) with the model's snapshot */
static vkg_result compare(runner *r, uint32_t s, uint32_t frame)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->rb_bufs) continue;
        vkg_buffer_info bi;
        vkg_result e = vkg_buffer_invalidate(r->dev, R->rb_bufs[s], 0, VK_WHOLE_SIZE);
        if (e == VKG_SUCCESS) e = vkg_buffer_get_info(r->dev, R->rb_bufs[s], &bi);
        if (e != VKG_SUCCESS) return vkgr__fail(r, e, "reading back \"%s\" failed", R->pr->name);
        const uint8_t *gpu = bi.mapped;
        uint64_t n = R->pr->is_image ? R->texels : R->pr->size;
        const uint8_t *ev = R->exp_val + (size_t)s * n, *ek = R->exp_known + (size_t)s * n;
        if (!R->pr->is_image) {
            for (uint64_t b = 0; b + 4 <= n; b += 4) {
                if (!(ek[b] && ek[b + 1] && ek[b + 2] && ek[b + 3])) {
                    r->info->values_undefined++;
                    continue;
                }
                r->info->values_checked++;
                uint32_t got, want;
                memcpy(&got, gpu + b, 4);
                memcpy(&want, ev + b, 4);
                if (got == want) continue;
                if (r->info->mismatches++ == 0)
                    snprintf(r->info->message, sizeof r->info->message,
                             "frame %u: output buffer \"%s\" word at byte %" PRIu64
                             " is 0x%08x on the GPU, the CPU model says 0x%08x",
                             frame, R->pr->name, b, got, want);
            }
            continue;
        }
        for (uint32_t pl = 0; pl < R->planes; pl++)
        for (uint32_t m = 0; m < R->pr->mips; m++)
            for (uint32_t l = 0; l < R->pr->layers; l++)
                for (uint32_t y = 0; y < mip_h(R->pr, m); y++)
                    for (uint32_t x = 0; x < mip_w(R->pr, m); x++) {
                        uint64_t t = tixp(R, pl, m, l, x, y);
                        if (!ek[t]) {
                            r->info->values_undefined++;
                            continue;
                        }
                        r->info->values_checked++;
                        uint32_t got = decode_texel(plane_fc(R, pl), gpu + texel_byte(R, t));
                        if (got == ev[t]) continue;
                        if (r->info->mismatches++ == 0)
                            snprintf(r->info->message, sizeof r->info->message,
                                     "frame %u: output image \"%s\"%s mip %u layer %u texel (%u, %u) "
                                     "holds %u on the GPU, the CPU model says %u",
                                     frame, R->pr->name,
                                     R->planes == 2 ? (pl ? " stencil" : " depth") : "", m, l, x, y,
                                     got, ev[t]);
                    }
    }
    return VKG_SUCCESS;
}

/* The frame's pass timings into the profiler, once its ticket completed. */
static vkg_result collect_timings(runner *r, vkg_ticket ticket, uint32_t frame)
{
    if (!r->prof) return VKG_SUCCESS;
    vkg_result e = vkg_profiler_add(r->prof, r->ex, r->plan, ticket, r->cpu_t0[frame], r->cpu_us[frame]);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "reading the GPU times of frame %u failed (%s)", frame, vkg_result_name(e));
    return VKG_SUCCESS;
}

static void report_timings(runner *r, uint32_t frames)
{
    FILE *f = r->opt.report;
    uint32_t n = r->in.pass_count;
    fprintf(f, "\nGPU time per pass (timestamp queries, %u frame%s; us)\n", frames, frames == 1 ? "" : "s");
    fprintf(f, "  %-32s %-9s %5s %10s %10s %10s\n", "pass", "queue", "ops", "mean", "min", "max");
    double total = 0;
    for (uint32_t k = 0; k < n; k++) {
        const vkg_plan_pass *p = &r->in.passes[k];
        if (is_run_name(p->name)) continue;
        vkg_pass_time t;
        vkg_profiler_pass_time(r->prof, k, &t);
        if (t.samples)
            fprintf(f, "  %-32.32s %-9s %5u %10.1f %10.1f %10.1f\n", p->name, vkg_queue_role_name(p->role),
                    r->pass[k].op_count, t.mean_us, t.min_us, t.max_us);
        else
            fprintf(f, "  %-32.32s %-9s %5u %10s %10s %10s\n", p->name, vkg_queue_role_name(p->role),
                    r->pass[k].op_count, "-", "-", "-");
        total += t.mean_us;
    }
    fprintf(f, "  %-32s %-9s %5s %10.1f\n", "sum of passes", "", "", total);
}

/* The profiler, and the trace file it writes to. */
static vkg_result open_profiler(runner *r)
{
    if (!r->opt.timings) return VKG_SUCCESS;
    if (r->opt.trace_path) {
        r->trace = fopen(r->opt.trace_path, "w");
        if (!r->trace) return vkgr__fail(r, VKG_ERROR_IO, "cannot write the trace to \"%s\"", r->opt.trace_path);
    }
    vkg_result e = vkg_profiler_create(r->dev, &(vkg_profiler_desc){.trace = r->trace}, &r->prof);
    if (e != VKG_SUCCESS) return vkgr__fail(r, e, "vkg_profiler_create failed (%s)", vkg_result_name(e));
    return VKG_SUCCESS;
}

static vkg_result close_trace(runner *r)
{
    vkg_result e = vkg_profiler_finish(r->prof);
    if (fclose(r->trace) != 0 && e == VKG_SUCCESS) e = VKG_ERROR_IO;
    r->trace = NULL;
    if (e != VKG_SUCCESS) return vkgr__fail(r, VKG_ERROR_IO, "cannot write the trace to \"%s\"", r->opt.trace_path);
    return VKG_SUCCESS;
}

static void snapshot(runner *r, uint32_t s)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->exp_val) continue;
        uint64_t n = R->pr->is_image ? R->texels : R->pr->size;
        memcpy(R->exp_val + (size_t)s * n, R->val, n);
        memcpy(R->exp_known + (size_t)s * n, R->known, n);
    }
}

static void reset_model(runner *r)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->val) continue;
        if (R->pr->history == 2 && R->pr->history_clear) { /* NAME@prev starts zeroed */
            memset(R->val, 0, R->pr->is_image ? R->texels : R->pr->size);
            memset(R->known, 1, R->pr->is_image ? R->texels : R->pr->size);
        } else if (R->pr->imported && !R->pr->history) {
            vkgr__init_imported(R, i);
        } else {
            memset(R->known, 0, R->pr->is_image ? R->texels : R->pr->size);
        }
    }
}

static void destroy(runner *r)
{
    if (r->device) r->vk->vkDeviceWaitIdle(r->device);
    vkg_executor_destroy(r->ex);
    for (uint32_t i = 0; i < r->npipes; i++) r->vk->vkDestroyPipeline(r->device, r->pipes[i].pipe, NULL);
    for (uint32_t i = 0; i < r->nviews; i++) r->vk->vkDestroyImageView(r->device, r->views[i].view, NULL);
    for (int v = 0; v < KV_COUNT; v++)
        if (r->modules[v]) r->vk->vkDestroyShaderModule(r->device, r->modules[v], NULL);
    for (int t = 0; t < DT_COUNT; t++) {
        if (r->layout[t]) r->vk->vkDestroyPipelineLayout(r->device, r->layout[t], NULL);
        if (r->dsl[t]) r->vk->vkDestroyDescriptorSetLayout(r->device, r->dsl[t], NULL);
    }
    if (r->sampler) r->vk->vkDestroySampler(r->device, r->sampler, NULL);
    for (uint32_t s = 0; s < r->F; s++) {
        if (r->pools && r->pools[s]) r->vk->vkDestroyDescriptorPool(r->device, r->pools[s], NULL);
    }
    if (r->scratch.id) vkg_buffer_destroy(r->dev, r->scratch);
    for (int fc = 0; fc < FC_COUNT; fc++)
        if (r->pattern[fc].id) vkg_buffer_destroy(r->dev, r->pattern[fc]);
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (R->buf.id) vkg_buffer_destroy(r->dev, R->buf);
        if (R->img.id) vkg_image_destroy(r->dev, R->img);
        if (R->rb_bufs)
            for (uint32_t s = 0; s < r->F; s++)
                if (R->rb_bufs[s].id) vkg_buffer_destroy(r->dev, R->rb_bufs[s]);
        free(R->rb_bufs), free(R->sub), free(R->val), free(R->known), free(R->exp_val), free(R->exp_known);
    }
    vkg_plan_destroy(r->plan);
    vkg_graph_destroy(r->graph);
    free(r->res), free(r->pass), free(r->ops), free(r->pipes), free(r->views), free(r->pools);
    vkg_profiler_destroy(r->prof);
    if (r->trace) fclose(r->trace);
    free(r->cpu_us), free(r->cpu_t0);
    pthread_mutex_destroy(&r->lock);
}

vkg_result vkgr_run(vkg_device *device, vkg_graph *graph, const vkgr_options *options, vkgr_info *info)
{
    vkgr_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    if (!device || !graph || !options) return VKG_ERROR_INVALID_ARGUMENT;
    runner run, *r = &run;
    memset(r, 0, sizeof *r);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    r->dev = device;
    r->opt = *options;
    if (options->trace_path) r->opt.timings = true; /* the trace needs the timestamps */
    r->info = info;
    r->caps = vkg_device_caps(device);
    vkg_device_vk dvk;
    vkg_device_get_vk(device, &dvk);
    r->device = dvk.device;
    r->vk = dvk.device_table;
    r->F = options->frames_in_flight ? options->frames_in_flight : 2;
    uint32_t frames = options->frames ? options->frames : 1;

    vkg_result e = prepare_graph(r, graph);
    if (e == VKG_SUCCESS) e = compile(r, &r->plan);
    if (e == VKG_SUCCESS) {
        vkg_plan_get_info(r->plan, &r->in);
        e = build(r);
    }
    /* the model first: refuses what must not reach the GPU (indirect arguments nothing wrote) */
    uint32_t maxslots = 4;
    for (uint32_t k = 0; k < r->in.pass_count && e == VKG_SUCCESS; k++)
        if (r->pass[k].ntotal > maxslots) maxslots = r->pass[k].ntotal;
    uint32_t *slots = calloc(maxslots, sizeof *slots);
    if (!slots && e == VKG_SUCCESS) e = vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (e == VKG_SUCCESS) {
        reset_model(r);
        for (uint32_t f = 0; f < frames && e == VKG_SUCCESS; f++) e = vkgr__sim_frame(r, f, slots);
    }
    if (e == VKG_SUCCESS) e = create_device_objects(r);
    if (e == VKG_SUCCESS) {
        e = vkg_executor_create(device, &(vkg_executor_desc){.name = "vkgraph run", .frames_in_flight = r->F,
                                                             .record_threads = options->record_threads,
                                                             .passes_per_command_buffer = options->passes_per_command_buffer,
                                                             .debug_drop_barrier = options->debug_drop_barrier,
                                                             .pass_timings = r->opt.timings,
                                                             .breadcrumbs = r->opt.breadcrumbs},
                                &r->ex);
        if (e != VKG_SUCCESS) vkgr__fail(r, e, "vkg_executor_create failed (%s)", vkg_result_name(e));
    }
    if (e == VKG_SUCCESS) {
        reset_model(r);
        e = create_imported(r, r->ex);
    }
    r->cpu_us = calloc(frames, sizeof *r->cpu_us);
    r->cpu_t0 = calloc(frames, sizeof *r->cpu_t0);
    if ((!r->cpu_us || !r->cpu_t0) && e == VKG_SUCCESS)
        e = vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (e == VKG_SUCCESS) e = open_profiler(r);

    /* bindings: imported resources, and this slot's readback buffers */
    uint32_t nb = 0;
    vkg_binding *bind = calloc(2 * r->nres + 1, sizeof *bind);
    vkg_ticket *tickets = calloc(r->F, sizeof *tickets);
    if ((!bind || !tickets) && e == VKG_SUCCESS) e = vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    uint32_t done = 0; /* frames compared */
    for (uint32_t f = 0; f < frames && e == VKG_SUCCESS; f++) {
        uint32_t s = f % r->F;
        if (f >= r->F) {
            e = vkg_ticket_wait(device, tickets[s], UINT64_MAX);
            if (e != VKG_SUCCESS) {
                vkgr__fail(r, e, "waiting for frame %u failed (%s)", f - r->F, vkg_result_name(e));
                break;
            }
            if (options->verify) compare(r, s, f - r->F);
            e = collect_timings(r, tickets[s], f - r->F);
            if (e != VKG_SUCCESS) break;
            done++;
        }
        vkgr__sim_frame(r, f, slots);
        if (options->verify) snapshot(r, s);
        r->vk->vkResetDescriptorPool(r->device, r->pools[s], 0);
        nb = 0;
        for (uint32_t i = 0; i < r->nres; i++) {
            rres *R = &r->res[i];
            if (R->buf.id || R->img.id) bind[nb++] = (vkg_binding){R->handle, R->buf, R->img};
            if (R->rb_bufs && R->rb_handle.id) bind[nb++] = (vkg_binding){.resource = R->rb_handle, .buffer = R->rb_bufs[s]};
        }
        r->frame = f;
        r->slot = s;
        double t0 = vkg__now_us();
        e = vkg_execute(r->plan, &(vkg_execute_desc){.executor = r->ex, .bindings = bind, .binding_count = nb},
                        &tickets[s]);
        r->cpu_t0[f] = t0;
        r->cpu_us[f] = vkg__now_us() - t0;
        if (e != VKG_SUCCESS) vkgr__fail(r, e, "vkg_execute failed on frame %u (%s)", f, vkg_result_name(e));
        if (r->error != VKG_SUCCESS) e = r->error;
        info->frames_run = f + 1;
    }
    /* the frames still in flight */
    for (uint32_t f = done; f < info->frames_run; f++) {
        uint32_t s = f % r->F;
        vkg_result w = vkg_ticket_wait(device, tickets[s], UINT64_MAX);
        if (w != VKG_SUCCESS) {
            if (e == VKG_SUCCESS) e = vkgr__fail(r, w, "waiting for frame %u failed", f);
            break;
        }
        if (e == VKG_SUCCESS && options->verify) compare(r, s, f);
        if (e == VKG_SUCCESS) e = collect_timings(r, tickets[s], f);
    }
    if (e == VKG_SUCCESS && options->report) {
        double sum = 0;
        for (uint32_t f = 0; f < info->frames_run; f++) sum += r->cpu_us[f];
        uint32_t own = 0; /* the graph's passes; the rest are run's readbacks */
        for (uint32_t k = 0; k < r->in.pass_count; k++) own += !is_run_name(r->in.passes[k].name);
        char added[96] = "";
        if (own < r->in.pass_count)
            snprintf(added, sizeof added, " (+ %u that read results back)", r->in.pass_count - own);
        fprintf(options->report, "ran \"%s\": %u frame%s, %u passes%s, %u kernel operations per "
                                 "frame; vkg_execute %.1f us per frame (mean)\n",
                r->in.name, info->frames_run, info->frames_run == 1 ? "" : "s", own, added, r->nops,
                info->frames_run ? sum / info->frames_run : 0.0);
        if (options->verify)
            fprintf(options->report, "verify: %" PRIu64 " values compared, %" PRIu64 " mismatches, %" PRIu64
                                     " not compared (nothing defined them)\n",
                    info->values_checked, info->mismatches, info->values_undefined);
        if (options->timings) report_timings(r, info->frames_run);
    }
    if (e == VKG_SUCCESS && r->trace) e = close_trace(r);
    free(slots), free(bind), free(tickets);
    destroy(r);
    return e;
}
