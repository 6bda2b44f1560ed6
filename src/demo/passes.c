/* `vkgraph demo`: content upload through the uploader, and the record callbacks: raw Vulkan
 * inside the graph's passes. */
#include "internal.h"

/* ------------------------------------------------------------------------------------------
 * Content upload
 * ---------------------------------------------------------------------------------------- */
int vkgd__upload_content(demo *d)
{
    geometry g = {0};
    if (!vkgd__make_geometry(&g)) {
        free(g.v);
        free(g.idx);
        return vkgd__failf(d, 1, "out of host memory generating the meshes");
    }
    /* objects: the ground, then a GRID x GRID field of cubes, spheres and tori */
    gpu_object objs[1 + GRID * GRID];
    uint32_t n = 0;
    const mesh_range *gm = &g.mesh[MESH_PLANE];
    objs[n++] = (gpu_object){{0, 0, 0, 1}, {0, 1, 0, 0}, {1, 1, 1, 1}, {3, 0.85f, 0, 0},
                             {gm->first_index, gm->index_count, gm->vertex_offset, 0}};
    memcpy(&objs[0].mesh[3], &gm->radius, 4);
    for (uint32_t z = 0; z < GRID; z++)
        for (uint32_t x = 0; x < GRID; x++) {
            uint32_t i = z * GRID + x, h = vkg__hash32(i + 17);
            uint32_t m = MESH_CUBE + i % 3;
            const mesh_range *mr = &g.mesh[m];
            float hue = (float)(h % 360) / 360.0f * 6.2831853f;
            gpu_object *o = &objs[n++];
            *o = (gpu_object){
                .pos_scale = {((float)x - (GRID - 1) * 0.5f) * 1.7f, 0.75f, ((float)z - (GRID - 1) * 0.5f) * 1.7f,
                              0.6f + 0.25f * (float)((h >> 9) % 4) / 3.0f},
                .axis_speed = {0.3f + (float)((h >> 3) % 7) / 7.0f, 1.0f, (float)((h >> 5) % 5) / 5.0f,
                               0.4f + (float)((h >> 11) % 8) / 8.0f},
                .tint = {0.6f + 0.4f * cosf(hue), 0.6f + 0.4f * cosf(hue + 2.1f), 0.6f + 0.4f * cosf(hue + 4.2f), 1},
                .material = {(float)(i % 3), 0.2f + 0.7f * (float)((h >> 13) % 5) / 4.0f, (i % 4 == 1) ? 1.0f : 0.0f,
                             (i % 9 == 4) ? 4.0f : 0.0f},
                .mesh = {mr->first_index, mr->index_count, mr->vertex_offset, 0}};
            memcpy(&o->mesh[3], &mr->radius, 4);
        }
    d->object_count = n;
    d->vertex_bytes = g.nv * (uint32_t)sizeof(vertex);
    d->index_bytes = g.ni * (uint32_t)sizeof(uint32_t);

    vkg_result r = vkg_uploader_create(d->dev, &(vkg_uploader_desc){.name = "demo content", .ring_size = 4u << 20},
                                       &d->uploader);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "vertices", .size = d->vertex_bytes}, &d->vertices);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "indices", .size = d->index_bytes}, &d->indices);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "objects", .size = sizeof objs}, &d->objects);
    if (r == VKG_SUCCESS)
        r = vkg_image_create(d->dev,
                             &(vkg_image_desc){.name = "textures",
                                               .format = VK_FORMAT_R8G8B8A8_UNORM,
                                               .width = TEX_SIZE,
                                               .height = TEX_SIZE,
                                               .mips = TEX_MIPS,
                                               .layers = TEX_LAYERS,
                                               .usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                             &d->textures);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->vertices, .data = g.v,
                                                                     .size = d->vertex_bytes},
                              NULL);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->indices, .data = g.idx,
                                                                     .size = d->index_bytes},
                              NULL);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->objects, .data = objs,
                                                                     .size = sizeof objs},
                              NULL);
    free(g.v);
    free(g.idx);
    if (r != VKG_SUCCESS) return vkgd__failf(d, 1, "uploading the meshes: %s", vkg_result_name(r));

    /* the texture array: every layer's mip 0 generated, the other mips box-filtered; one
     * upload per mip covers the four layers */
    size_t layer0 = (size_t)TEX_SIZE * TEX_SIZE * 4;
    uint8_t *cur = malloc(layer0 * TEX_LAYERS), *next = malloc(layer0 * TEX_LAYERS);
    if (!cur || !next) {
        free(cur);
        free(next);
        return vkgd__failf(d, 1, "out of host memory generating the textures");
    }
    for (uint32_t l = 0; l < TEX_LAYERS; l++)
        for (uint32_t y = 0; y < TEX_SIZE; y++)
            for (uint32_t x = 0; x < TEX_SIZE; x++) vkgd__make_texel(l, x, y, cur + l * layer0 + ((size_t)y * TEX_SIZE + x) * 4);
    uint32_t s = TEX_SIZE;
    for (uint32_t m = 0; m < TEX_MIPS && r == VKG_SUCCESS; m++) {
        size_t bytes = (size_t)s * s * 4;
        /* pack the layers of this mip tightly */
        for (uint32_t l = 1; l < TEX_LAYERS; l++) memmove(cur + l * bytes, cur + l * layer0, bytes);
        r = vkg_upload_image(d->uploader,
                             &(vkg_upload_image_desc){.image = d->textures, .mip = m, .layer_count = TEX_LAYERS,
                                                      .data = cur, .size = bytes * TEX_LAYERS},
                             NULL);
        if (s == 1) break;
        uint32_t h = s / 2;
        for (uint32_t l = 0; l < TEX_LAYERS; l++)
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < h; x++)
                    for (uint32_t c = 0; c < 4; c++) {
                        const uint8_t *src = cur + l * bytes;
                        uint32_t sum = src[((2 * y) * s + 2 * x) * 4 + c] + src[((2 * y) * s + 2 * x + 1) * 4 + c] +
                                       src[((2 * y + 1) * s + 2 * x) * 4 + c] +
                                       src[((2 * y + 1) * s + 2 * x + 1) * 4 + c];
                        next[l * layer0 + ((size_t)y * h + x) * 4 + c] = (uint8_t)((sum + 2) / 4);
                    }
        uint8_t *tmp = cur;
        cur = next;
        next = tmp;
        s = h;
    }
    free(cur);
    free(next);
    if (r != VKG_SUCCESS) return vkgd__failf(d, 1, "uploading the textures: %s", vkg_result_name(r));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Recording: raw Vulkan inside the graph's passes
 * ---------------------------------------------------------------------------------------- */
static uint32_t groups(uint32_t n, uint32_t size) { return (n + size - 1) / size; }
static uint32_t bloom_w(const demo *d, uint32_t m) { return (d->width / 2 >> m) ? d->width / 2 >> m : 1; }
static uint32_t bloom_h(const demo *d, uint32_t m) { return (d->height / 2 >> m) ? d->height / 2 >> m : 1; }

static bool bind_set(const vkg_pass_context *ctx, dpass *p, VkCommandBuffer cmd)
{
    demo *d = p->d;
    dpipe *pp = &d->pipes[p->kind];
    VkDescriptorSet set;
    pthread_mutex_lock(&d->lock); /* the slot's pool is shared by the recording threads */
    VkResult vr = d->t->vkAllocateDescriptorSets(
        d->d,
        &(VkDescriptorSetAllocateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                       .descriptorPool = d->pools[d->slot],
                                       .descriptorSetCount = 1,
                                       .pSetLayouts = &pp->dsl},
        &set);
    if (vr != VK_SUCCESS)
        vkgd__failf(d, 1, "pass \"%s\": vkAllocateDescriptorSets failed (VkResult %d)", vkg_pass_name(ctx), (int)vr);
    pthread_mutex_unlock(&d->lock);
    if (vr != VK_SUCCESS) return false;
    VkWriteDescriptorSet w[MAX_BINDINGS];
    VkDescriptorBufferInfo bi[MAX_BINDINGS];
    VkDescriptorImageInfo ii[MAX_BINDINGS];
    for (uint32_t i = 0; i < pp->binding_count; i++) {
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = i,
                                      .descriptorCount = 1,
                                      .descriptorType = pp->types[i]};
        if (pp->types[i] == STORAGE_BUF) {
            bi[i] = (VkDescriptorBufferInfo){vkg_pass_buffer(ctx, p->res_of_binding[i]), 0, VK_WHOLE_SIZE};
            w[i].pBufferInfo = &bi[i];
        } else {
            bool sampled = pp->types[i] == SAMPLED;
            uint32_t id = p->res_of_binding[i].id;
            VkSampler smp = id == d->r_textures.id ? d->wrap : id == d->r_depth.id ? d->nearest : d->clamp;
            ii[i] = (VkDescriptorImageInfo){sampled ? smp : VK_NULL_HANDLE,
                                            vkg_pass_use_view(ctx, p->use_of_binding[i]),
                                            sampled ? VK_IMAGE_LAYOUT_READ_ONLY_OPTIMAL : VK_IMAGE_LAYOUT_GENERAL};
            w[i].pImageInfo = &ii[i];
        }
    }
    d->t->vkUpdateDescriptorSets(d->d, pp->binding_count, w, 0, NULL);
    d->t->vkCmdBindPipeline(cmd, pp->bind_point, pp->pipeline);
    d->t->vkCmdBindDescriptorSets(cmd, pp->bind_point, pp->layout, 0, 1, &set, 0, NULL);
    return true;
}

static void viewport(demo *d, VkCommandBuffer cmd)
{
    d->t->vkCmdSetViewport(cmd, 0, 1, &(VkViewport){0, 0, (float)d->width, (float)d->height, 0, 1});
    d->t->vkCmdSetScissor(cmd, 0, 1, &(VkRect2D){{0, 0}, {d->width, d->height}});
}

/* Each pass kind's record callback: its descriptor set and pipeline bound (bind_set), then
 * its commands. PASS_HEAD unpacks what every one needs. */
#define PASS_HEAD(ctx, user)                                                                       \
    dpass *p = (user);                                                                             \
    demo *d = p->d;                                                                                \
    const struct VolkDeviceTable *t = d->t;                                                        \
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);                                            \
    dpipe *pp = &d->pipes[p->kind];                                                                \
    (void)t, (void)pp;                                                                             \
    if (!bind_set((ctx), p, cmd)) return

/* scene_update: animates and culls the objects, writes their indirect draws. */
static void record_update(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    struct {
        float view_proj[16], time;
        uint32_t count;
    } pc = {.time = d->time, .count = d->object_count};
    memcpy(pc.view_proj, d->view_proj, sizeof pc.view_proj);
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
    t->vkCmdDispatch(cmd, groups(d->object_count, 64), 1, 1);
}

/* gbuffer: one indirect draw per object (the culling pass zeroes the instance count of the
 * invisible ones): needs neither multiDrawIndirect nor firstInstance. */
static void record_gbuffer(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = true, .clear_depth = 1.0f});
    viewport(d, cmd);
    VkDeviceSize zero = 0;
    VkBuffer vb = vkg_pass_buffer(ctx, d->r_vertices);
    t->vkCmdBindVertexBuffers(cmd, 0, 1, &vb, &zero);
    t->vkCmdBindIndexBuffer(cmd, vkg_pass_buffer(ctx, d->r_indices), 0, VK_INDEX_TYPE_UINT32);
    VkBuffer draws = vkg_pass_buffer(ctx, d->r_draws);
    struct {
        float view_proj[16];
        uint32_t object;
    } pc;
    memcpy(pc.view_proj, d->view_proj, sizeof pc.view_proj);
    for (uint32_t i = 0; i < d->object_count; i++) {
        pc.object = i;
        t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
        t->vkCmdDrawIndexedIndirect(cmd, draws, (VkDeviceSize)i * 20, 1, 20);
    }
    vkg_pass_end_rendering(ctx);
}

static void record_ssao(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    float pc[32];
    memcpy(pc, d->view_proj, 64);
    memcpy(pc + 16, d->inv_view_proj, 64);
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, pc);
    t->vkCmdDispatch(cmd, groups(d->width, 8), groups(d->height, 8), 1);
}

static void record_ssao_blur(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    t->vkCmdDispatch(cmd, groups(d->width, 8), groups(d->height, 8), 1);
}

/* lighting: a fullscreen triangle over the G-buffer. */
static void record_lighting(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = false});
    viewport(d, cmd);
    float pc[20];
    memcpy(pc, d->inv_view_proj, 64);
    pc[16] = d->eye.x;
    pc[17] = d->eye.y;
    pc[18] = d->eye.z;
    pc[19] = d->time;
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, pc);
    t->vkCmdDraw(cmd, 3, 1, 0, 0);
    vkg_pass_end_rendering(ctx);
}

/* taa: this frame's lighting and last frame's result (the history resource's previous
 * contents), reprojected from this frame's clip space into last frame's. */
static void record_taa(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    struct {
        float reproject[16], blend;
    } pc = {.blend = d->history_frames ? 0.8f : 0.0f};
    mat_mul(pc.reproject, d->prev_view_proj, d->inv_view_proj);
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
    t->vkCmdDispatch(cmd, groups(d->width, 8), groups(d->height, 8), 1);
}

/* bloom_down_N: one mip of the chain; the first keeps only what is brighter than 1. */
static void record_bloom_down(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    float threshold = p->mip == 0 ? 1.0f : 0.0f;
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof threshold, &threshold);
    t->vkCmdDispatch(cmd, groups(bloom_w(d, p->mip), 8), groups(bloom_h(d, p->mip), 8), 1);
}

static void record_bloom_up(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    t->vkCmdDispatch(cmd, groups(bloom_w(d, p->mip), 8), groups(bloom_h(d, p->mip), 8), 1);
}

/* tonemap: into the output (an image of ours, or a swapchain image). */
static void record_tonemap(const vkg_pass_context *ctx, void *user)
{
    PASS_HEAD(ctx, user);
    vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = false});
    viewport(d, cmd);
    struct {
        float exposure, bloom;
        uint32_t encode_srgb;
    } pc = {1.0f, 0.08f, d->encode_srgb};
    t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
    t->vkCmdDraw(cmd, 3, 1, 0, 0);
    vkg_pass_end_rendering(ctx);
}

/* readback (headless): the output into the host-visible pixels buffer; no pipeline. */
static void record_readback(const vkg_pass_context *ctx, void *user)
{
    dpass *p = user;
    demo *d = p->d;
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {d->width, d->height, 1}};
    d->t->vkCmdCopyImageToBuffer(vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, d->r_output),
                                 VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, d->r_pixels), 1,
                                 &region);
}

const vkg_record_fn vkgd__recorders[P_COUNT + 1] = {
    [P_UPDATE] = record_update,         [P_GBUFFER] = record_gbuffer,       [P_SSAO] = record_ssao,
    [P_SSAO_BLUR] = record_ssao_blur,   [P_LIGHTING] = record_lighting,     [P_TAA] = record_taa,
    [P_BLOOM_DOWN] = record_bloom_down,
    [P_BLOOM_UP] = record_bloom_up,     [P_TONEMAP] = record_tonemap,       [P_COUNT] = record_readback,
};
