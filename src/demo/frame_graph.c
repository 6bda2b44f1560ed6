/* `vkgraph demo`: the render graph, one per output size. */
#include "internal.h"

/* ------------------------------------------------------------------------------------------
 * The graph
 * ---------------------------------------------------------------------------------------- */
static int add_pass(demo *d, const char *name, vkg_queue_role role, uint32_t kind, uint32_t mip,
                    const vkg_use *uses, uint32_t use_count, const uint32_t *bind_uses, uint32_t bind_count)
{
    if (d->pass_count == MAX_PASSES) return vkgd__failf(d, 1, "too many demo passes");
    dpass *p = &d->passes[d->pass_count++];
    *p = (dpass){.d = d, .kind = kind, .mip = mip, .binding_count = bind_count};
    for (uint32_t i = 0; i < bind_count; i++) {
        p->use_of_binding[i] = bind_uses[i];
        p->res_of_binding[i] = uses[bind_uses[i]].resource;
    }
    VKGCHECK(d,
             vkg_graph_pass(d->graph,
                            &(vkg_pass_desc){.name = name, .queue = role, .uses = uses, .use_count = use_count,
                                             .record = d->dev ? vkgd__recorders[kind] : NULL, .user = d->dev ? p : NULL},
                            NULL),
             name);
    return 0;
}

#define USES(...) (const vkg_use[]){__VA_ARGS__}, sizeof((const vkg_use[]){__VA_ARGS__}) / sizeof(vkg_use)
#define BINDS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)

/* The graph alone (no device needed: without one, the passes have no record callbacks). */
int vkgd__describe_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present)
{
    vkg_graph_destroy(d->graph);
    vkg_plan_destroy(d->plan);
    d->graph = NULL;
    d->plan = NULL;
    d->pass_count = 0;
    d->width = w;
    d->height = h;
    VKGCHECK(d, vkg_graph_create(&(vkg_graph_desc){.name = "demo"}, &d->graph), "vkg_graph_create");
    vkg_graph *g = d->graph;
    uint64_t inst_bytes = (uint64_t)d->object_count * 96, draw_bytes = (uint64_t)d->object_count * 20;
    vkg_resource instances, draws, albedo, normal, emissive, depth, ao_raw, ao, hdr, taa, bloom;
#define BUF(res, nm, sz, imp)                                                                     \
    VKGCHECK(d, vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = nm, .size = sz, .imported = imp}, &res), nm)
#define IMG(res, nm, fmt, iw, ih, ...)                                                            \
    VKGCHECK(d, vkg_graph_image(g, &(vkg_graph_image_desc){.name = nm, .format = fmt, .width = iw, .height = ih, __VA_ARGS__}, &res), nm)
    BUF(d->r_vertices, "vertices", d->vertex_bytes, true);
    BUF(d->r_indices, "indices", d->index_bytes, true);
    BUF(d->r_objects, "objects", (uint64_t)d->object_count * sizeof(gpu_object), true);
    IMG(d->r_textures, "textures", VK_FORMAT_R8G8B8A8_UNORM, TEX_SIZE, TEX_SIZE, .mips = TEX_MIPS,
        .layers = TEX_LAYERS, .imported = true);
    IMG(d->r_output, "output", out_format, w, h, .imported = true);
    if (!present) BUF(d->r_pixels, "pixels", (uint64_t)w * h * 4, true);
    BUF(instances, "instances", inst_bytes, false);
    BUF(draws, "draws", draw_bytes, false);
    d->r_draws = draws;
    IMG(albedo, "gbuffer.albedo", gbuffer_formats[0], w, h, .mips = 1);
    IMG(normal, "gbuffer.normal", gbuffer_formats[1], w, h, .mips = 1);
    IMG(emissive, "gbuffer.emissive", gbuffer_formats[2], w, h, .mips = 1);
    IMG(depth, "depth", depth_format, w, h, .mips = 1);
    d->r_depth = depth;
    IMG(ao_raw, "ssao.raw", VK_FORMAT_R32_SFLOAT, w, h, .mips = 1);
    IMG(ao, "ssao", VK_FORMAT_R32_SFLOAT, w, h, .mips = 1);
    IMG(hdr, "hdr", hdr_format, w, h, .mips = 1);
    /* a history resource: the temporal pass reads last frame's result as "taa@prev" */
    IMG(taa, "taa", hdr_format, w, h, .mips = 1, .history = 1, .history_init = VKG_HISTORY_CLEAR);
    vkg_resource taa_prev = vkg_graph_previous(g, taa);
    d->history_frames = 0; /* a new graph: its history starts again */
    IMG(bloom, "bloom", hdr_format, w / 2 ? w / 2 : 1, h / 2 ? h / 2 : 1, .mips = BLOOM_MIPS);
#undef BUF
#undef IMG
    vkg_queue_role async = d->o.no_async ? VKG_QUEUE_GRAPHICS : VKG_QUEUE_COMPUTE;
    if (add_pass(d, "scene_update", VKG_QUEUE_GRAPHICS, P_UPDATE, 0,
                 USES({d->r_objects, VKG_ACCESS_COMPUTE_STORAGE_READ}, {instances, VKG_ACCESS_COMPUTE_STORAGE_WRITE},
                      {draws, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1, 2)) ||
        add_pass(d, "gbuffer", VKG_QUEUE_GRAPHICS, P_GBUFFER, 0,
                 USES({albedo, VKG_ACCESS_COLOR_WRITE}, {normal, VKG_ACCESS_COLOR_WRITE},
                      {emissive, VKG_ACCESS_COLOR_WRITE}, {depth, VKG_ACCESS_DEPTH_WRITE},
                      {d->r_vertices, VKG_ACCESS_VERTEX_READ}, {d->r_indices, VKG_ACCESS_INDEX_READ},
                      {draws, VKG_ACCESS_INDIRECT_READ}, {instances, VKG_ACCESS_VERTEX_STORAGE_READ},
                      {d->r_textures, VKG_ACCESS_FRAGMENT_SAMPLED_READ}),
                 BINDS(7, 8)) ||
        add_pass(d, "ssao", async, P_SSAO, 0,
                 USES({depth, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {normal, VKG_ACCESS_COMPUTE_SAMPLED_READ},
                      {ao_raw, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1, 2)) ||
        add_pass(d, "ssao_blur", async, P_SSAO_BLUR, 0,
                 USES({ao_raw, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {ao, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1)) ||
        add_pass(d, "lighting", VKG_QUEUE_GRAPHICS, P_LIGHTING, 0,
                 USES({hdr, VKG_ACCESS_COLOR_WRITE}, {albedo, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {normal, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {emissive, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {depth, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {ao, VKG_ACCESS_FRAGMENT_SAMPLED_READ}),
                 BINDS(1, 2, 3, 4, 5)) ||
        add_pass(d, "taa", VKG_QUEUE_GRAPHICS, P_TAA, 0,
                 USES({hdr, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {depth, VKG_ACCESS_COMPUTE_SAMPLED_READ},
                      {taa_prev, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {taa, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1, 2, 3)))
        return d->status;
    char name[32];
    for (uint32_t m = 0; m < BLOOM_MIPS; m++) {
        snprintf(name, sizeof name, "bloom_down_%u", m);
        vkg_use src = m == 0 ? (vkg_use){taa, VKG_ACCESS_COMPUTE_SAMPLED_READ}
                             : (vkg_use){bloom, VKG_ACCESS_COMPUTE_SAMPLED_READ, .base_mip = m - 1, .mip_count = 1};
        if (add_pass(d, name, VKG_QUEUE_GRAPHICS, P_BLOOM_DOWN, m,
                     USES(src, {bloom, VKG_ACCESS_COMPUTE_STORAGE_WRITE, .base_mip = m, .mip_count = 1}), BINDS(0, 1)))
            return d->status;
    }
    for (uint32_t m = BLOOM_MIPS - 1; m-- > 0;) {
        snprintf(name, sizeof name, "bloom_up_%u", m);
        if (add_pass(d, name, VKG_QUEUE_GRAPHICS, P_BLOOM_UP, m,
                     USES({bloom, VKG_ACCESS_COMPUTE_SAMPLED_READ, .base_mip = m + 1, .mip_count = 1},
                          {bloom, VKG_ACCESS_COMPUTE_STORAGE_READ_WRITE, .base_mip = m, .mip_count = 1}),
                     BINDS(0, 1)))
            return d->status;
    }
    if (add_pass(d, "tonemap", VKG_QUEUE_GRAPHICS, P_TONEMAP, 0,
                 USES({d->r_output, VKG_ACCESS_COLOR_WRITE}, {taa, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {bloom, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .base_mip = 0, .mip_count = 1}),
                 BINDS(1, 2)))
        return d->status;
    if (present) {
        VKGCHECK(d,
                 vkg_graph_pass(g, &(vkg_pass_desc){.name = "present",
                                                    .uses = (vkg_use[]){{d->r_output, VKG_ACCESS_PRESENT}},
                                                    .use_count = 1},
                                NULL),
                 "present");
    } else {
        if (add_pass(d, "readback", VKG_QUEUE_GRAPHICS, P_COUNT, 0,
                     USES({d->r_output, VKG_ACCESS_TRANSFER_READ}, {d->r_pixels, VKG_ACCESS_TRANSFER_WRITE}),
                     NULL, 0))
            return d->status;
        /* the CPU reads the pixels: the graph makes the copy visible to the host */
        VKGCHECK(d,
                 vkg_graph_pass(g, &(vkg_pass_desc){.name = "host",
                                                    .uses = (vkg_use[]){{d->r_pixels, VKG_ACCESS_HOST_READ}},
                                                    .use_count = 1},
                                NULL),
                 "host");
    }
    return 0;
}

int vkgd__build_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present)
{
    if (vkgd__describe_graph(d, w, h, out_format, present) || vkgd__tonemap_pipeline(d, out_format)) return d->status;
    d->encode_srgb = out_format != VK_FORMAT_B8G8R8A8_SRGB && out_format != VK_FORMAT_R8G8B8A8_SRGB;
    VKGCHECK(d, vkg_compile(d->graph, vkg_device_caps(d->dev), &d->plan), "compiling the demo graph");
    vkg_plan_get_info(d->plan, &d->info);
    return 0;
}
