/* Random render graphs for the hazard-checker test and bench/compile. */
#ifndef VKGT_GRAPH_RANDOM_H_
#define VKGT_GRAPH_RANDOM_H_

#include "model_device.h"
#include "vkgraph.h"

typedef struct vkgt_random_graph_desc {
    uint32_t max_resources, max_passes; /* exact counts when `exact` */
    uint32_t max_uses;                  /* per pass */
    bool exact;
    bool allow_imported;
    uint32_t max_mips, max_layers;
    bool valid; /* never read a transient before writing it (every graph compiles) */
    /* copy into depth images only on the graphics role: Vulkan copies buffers into depth
     * only on graphics families, and a transfer or compute role may have a family of its own
     * (graphs that run on a device) */
    bool depth_copies_on_graphics;
    /* also the rows of optional stages (geometry, tessellation, task, mesh, acceleration
     * structures), stencil rows and a depth/stencil format: for compiles against caps that
     * have them (vkg_caps_default). Off, graphs are the ones older versions generated. */
    bool extended;
} vkgt_random_graph_desc;

static void vkgt_quiet_log(void *user, vkg_log_level level, const char *file, int line,
                           const char *msg)
{
    (void)user, (void)level, (void)file, (void)line, (void)msg;
}

static uint32_t vkgt_rand(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(vkgt_xorshift64(s) % n) : 0;
}

/* Picks an access valid for the resource and role; false when none fits. */
static bool vkgt_optional_row(const vkg_access_info *a)
{
    return (a->stage & (VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT |
                        VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT |
                        VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT | VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT |
                        VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                        VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR)) ||
           (a->access & VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR) ||
           a->aspect == VK_IMAGE_ASPECT_STENCIL_BIT;
}

static bool vkgt_pick_access_ex(uint64_t *s, bool is_image, VkFormat fmt, vkg_queue_role role,
                                bool depth_copies_on_graphics, bool imported, bool extended,
                                vkg_access *out)
{
    vkg_access ok[VKG_ACCESS_COUNT];
    uint32_t n = 0;
    VkImageAspectFlags aspect = is_image ? vkg_format_aspect(fmt) : 0;
    for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++) {
        const vkg_access_info *a = vkg_access_get((vkg_access)i);
        if (i == VKG_ACCESS_PRESENT || i == VKG_ACCESS_RESOLVE_WRITE) continue;
        if (!extended && vkgt_optional_row(a)) continue;
        if (is_image && a->aspect == VK_IMAGE_ASPECT_STENCIL_BIT && !(aspect & VK_IMAGE_ASPECT_STENCIL_BIT)) continue;
        if (!imported && (a->stage & VK_PIPELINE_STAGE_2_HOST_BIT)) continue; /* host: imports only */
        if (!(a->kinds & (is_image ? VKG_ACCESS_KIND_IMAGE : VKG_ACCESS_KIND_BUFFER))) continue;
        if (!(a->roles & (1u << role))) continue;
        if (is_image && a->aspect == VK_IMAGE_ASPECT_COLOR_BIT && (aspect & VK_IMAGE_ASPECT_DEPTH_BIT)) continue;
        if (is_image && a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT && !(aspect & VK_IMAGE_ASPECT_DEPTH_BIT)) continue;
        if (is_image && (aspect & VK_IMAGE_ASPECT_DEPTH_BIT) &&
            (a->access & (VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)))
            continue;
        if (depth_copies_on_graphics && is_image && (aspect & VK_IMAGE_ASPECT_DEPTH_BIT) &&
            role != VKG_QUEUE_GRAPHICS &&
            a->write && (a->stage & VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT))
            continue;
        ok[n++] = (vkg_access)i;
    }
    if (!n) return false;
    *out = ok[vkgt_rand(s, n)];
    return true;
}

static bool vkgt_pick_access(uint64_t *s, bool is_image, VkFormat fmt, vkg_queue_role role,
                             bool depth_copies_on_graphics, bool imported, vkg_access *out)
{
    return vkgt_pick_access_ex(s, is_image, fmt, role, depth_copies_on_graphics, imported, false, out);
}

/* Builds a random graph into `g` (which must be empty). Builder errors (layout conflicts in
 * one pass) are skipped; the result may still fail to compile (a transient read first). */
static void vkgt_random_graph(vkg_graph *g, uint64_t *s, const vkgt_random_graph_desc *d)
{
    static const VkFormat formats[] = {VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_R16G16B16A16_SFLOAT,
                                       VK_FORMAT_R32_UINT, VK_FORMAT_D32_SFLOAT,
                                       VK_FORMAT_D32_SFLOAT_S8_UINT};
    uint32_t nres = d->exact ? d->max_resources : 1 + vkgt_rand(s, d->max_resources);
    uint32_t npass = d->exact ? d->max_passes : 1 + vkgt_rand(s, d->max_passes);
    vkg_resource *res = calloc(nres, sizeof *res);
    bool *is_img = calloc(nres, sizeof *is_img);
    VkFormat *fmt = calloc(nres, sizeof *fmt);
    uint32_t *mips = calloc(nres, sizeof *mips), *layers = calloc(nres, sizeof *layers);
    uint32_t *units = calloc(nres, sizeof *units);
    bool *imported_r = calloc(nres, sizeof *imported_r);
    uint8_t **written = calloc(nres, sizeof *written); /* per subresource / 16-byte unit */
    char name[64];
    for (uint32_t i = 0; i < nres; i++) {
        snprintf(name, sizeof name, "r%u", i);
        bool imported = d->allow_imported && vkgt_rand(s, 4) == 0;
        imported_r[i] = imported;
        bool output = vkgt_rand(s, 5) == 0;
        is_img[i] = vkgt_rand(s, 100) < 55;
        vkg_import_state st = {0};
        if (is_img[i]) {
            fmt[i] = formats[vkgt_rand(s, d->extended ? 5 : 4)];
            mips[i] = 1 + vkgt_rand(s, d->max_mips);
            layers[i] = 1 + vkgt_rand(s, d->max_layers);
            if (imported && vkgt_rand(s, 3)) {
                st.queue = (vkg_queue_role)vkgt_rand(s, 3);
                if (!vkgt_pick_access_ex(s, true, fmt[i], st.queue, d->depth_copies_on_graphics, true, d->extended, &st.access)) st.access = 0;
            }
            written[i] = calloc(mips[i] * layers[i], 1);
            vkg_result r = vkg_graph_image(g, &(vkg_graph_image_desc){
                .name = name, .format = fmt[i], .width = 64, .height = 64, .mips = mips[i],
                .layers = layers[i], .imported = imported, .state = st, .output = output}, &res[i]);
            (void)r;
        } else {
            units[i] = 1 + vkgt_rand(s, 8);
            written[i] = calloc(units[i], 1);
            if (imported && vkgt_rand(s, 3)) {
                st.queue = (vkg_queue_role)vkgt_rand(s, 3);
                if (!vkgt_pick_access_ex(s, false, 0, st.queue, d->depth_copies_on_graphics, true, d->extended, &st.access)) st.access = 0;
            }
            vkg_result r = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){
                .name = name, .size = 16u * units[i], .imported = imported, .state = st,
                .output = output}, &res[i]);
            (void)r;
        }
    }
    vkg_use uses[16];
    for (uint32_t p = 0; p < npass; p++) {
        snprintf(name, sizeof name, "p%u", p);
        uint32_t roll = vkgt_rand(s, 10);
        vkg_queue_role role = roll < 5 ? VKG_QUEUE_GRAPHICS : roll < 8 ? VKG_QUEUE_COMPUTE : VKG_QUEUE_TRANSFER;
        for (int attempt = 0; attempt < 4; attempt++) {
            uint32_t nu = 1 + vkgt_rand(s, d->max_uses);
            uint32_t k = 0;
            for (uint32_t u = 0; u < nu && k < 16; u++) {
                uint32_t ri = vkgt_rand(s, nres);
                vkg_use *x = &uses[k];
                memset(x, 0, sizeof *x);
                x->resource = res[ri];
                if (!vkgt_pick_access_ex(s, is_img[ri], fmt[ri], role, d->depth_copies_on_graphics, imported_r[ri], d->extended, &x->access)) continue;
                if (is_img[ri]) {
                    x->base_mip = vkgt_rand(s, mips[ri]);
                    x->mip_count = 1 + vkgt_rand(s, mips[ri] - x->base_mip);
                    x->base_layer = vkgt_rand(s, layers[ri]);
                    x->layer_count = 1 + vkgt_rand(s, layers[ri] - x->base_layer);
                } else {
                    uint32_t off = vkgt_rand(s, units[ri]);
                    x->offset = 16u * off;
                    x->size = 16u * (1 + vkgt_rand(s, units[ri] - off));
                }
                /* a transient must be written before it is read: turn such a read into a
                 * write (80%) so that most random graphs are valid */
                const vkg_access_info *ai = vkg_access_get(x->access);
                bool reads = !ai->write || (ai->access & (VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                                                          VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                                                          VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT));
                bool all = true;
                uint32_t lo = 0, hi = 0;
                if (is_img[ri]) {
                    for (uint32_t m = x->base_mip; m < x->base_mip + x->mip_count; m++)
                        for (uint32_t l = x->base_layer; l < x->base_layer + x->layer_count; l++)
                            all &= written[ri][m * layers[ri] + l] != 0;
                } else {
                    lo = (uint32_t)(x->offset / 16);
                    hi = lo + (uint32_t)(x->size / 16);
                    for (uint32_t q = lo; q < hi; q++) all &= written[ri][q] != 0;
                }
                if (reads && !all && !imported_r[ri] && (d->valid || vkgt_rand(s, 5))) {
                    vkg_access wa;
                    bool found = false;
                    for (int t = 0; t < 16 && !found; t++)
                        found = vkgt_pick_access(s, is_img[ri], fmt[ri], role, d->depth_copies_on_graphics, imported_r[ri], &wa) &&
                                vkg_access_get(wa)->write &&
                                !(vkg_access_get(wa)->access & (VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                                  VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                                  VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT));
                    if (!found) continue;
                    x->access = wa;
                    ai = vkg_access_get(wa);
                }
                if (ai->write) {
                    if (is_img[ri]) {
                        for (uint32_t m = x->base_mip; m < x->base_mip + x->mip_count; m++)
                            for (uint32_t l = x->base_layer; l < x->base_layer + x->layer_count; l++)
                                written[ri][m * layers[ri] + l] = 1;
                    } else {
                        for (uint32_t q = lo; q < hi; q++) written[ri][q] = 1;
                    }
                }
                k++;
            }
            vkg_result r = vkg_graph_pass(g, &(vkg_pass_desc){.name = name, .queue = role,
                .uses = uses, .use_count = k, .side_effects = vkgt_rand(s, 7) == 0}, NULL);
            if (r == VKG_SUCCESS) break;
        }
    }
    for (uint32_t i = 0; i < nres; i++) free(written[i]);
    free(written), free(imported_r);
    free(res), free(is_img), free(fmt), free(mips), free(layers), free(units);
}

/* Caps with 1, 2 or 3 queue families and a role mapping chosen by `variant` (0..4). */
static inline void vkgt_caps_variant(vkg_caps *caps, uint32_t variant)
{
    vkg_caps_default(caps);
    static const uint32_t maps[5][3] = {{0, 0, 0}, {0, 1, 1}, {0, 0, 1}, {0, 1, 0}, {0, 1, 2}};
    variant %= 5;
    for (int r = 0; r < 3; r++) caps->role_family[r] = maps[variant][r];
}

/* Prints a plan's passes with their uses, then its JSON, to stderr (for a failing seed). */
static inline void vkgt_plan_dump(vkg_plan *plan)
{
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    for (uint32_t k = 0; k < in.pass_count; k++) {
        fprintf(stderr, "%s:", in.passes[k].name);
        for (uint32_t i = 0; i < in.passes[k].use_count; i++) {
            const vkg_plan_use *u = &in.uses[in.passes[k].first_use + i];
            const vkg_plan_resource *r = &in.resources[u->resource];
            fprintf(stderr, " %s%s(%s/%s):%s[m%u+%u l%u+%u b%llu+%llu]", r->name,
                    r->imported ? "*" : "", vkg_access_get(r->state.access)->name,
                    vkg_queue_role_name(r->state.queue), vkg_access_get(u->access)->name,
                    u->base_mip, u->mip_count, u->base_layer, u->layer_count,
                    (unsigned long long)u->offset, (unsigned long long)u->size);
        }
        fprintf(stderr, "\n");
    }
    if (vkg_plan_write_json(plan, stderr) != VKG_SUCCESS) fprintf(stderr, "(dump failed)\n");
}

#endif
