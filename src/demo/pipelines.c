/* `vkgraph demo`: shaders, descriptor and pipeline layouts, pipelines; the soak allocator. */
#include "internal.h"

static const uint32_t spv_scene_update[] =
#include "shaders/scene_update.comp.inc"
    ;
static const uint32_t spv_gbuffer_vert[] =
#include "shaders/gbuffer.vert.inc"
    ;
static const uint32_t spv_gbuffer_frag[] =
#include "shaders/gbuffer.frag.inc"
    ;
static const uint32_t spv_fullscreen_vert[] =
#include "shaders/fullscreen.vert.inc"
    ;
static const uint32_t spv_ssao[] =
#include "shaders/ssao.comp.inc"
    ;
static const uint32_t spv_ssao_blur[] =
#include "shaders/ssao_blur.comp.inc"
    ;
static const uint32_t spv_lighting[] =
#include "shaders/lighting.frag.inc"
    ;
static const uint32_t spv_bloom_down[] =
#include "shaders/bloom_down.comp.inc"
    ;
static const uint32_t spv_bloom_up[] =
#include "shaders/bloom_up.comp.inc"
    ;
static const uint32_t spv_tonemap[] =
#include "shaders/tonemap.frag.inc"
    ;
static const uint32_t spv_taa[] =
#include "shaders/taa.comp.inc"
    ;

/* ------------------------------------------------------------------------------------------
 * Pipelines
 * ---------------------------------------------------------------------------------------- */


/* --soak: vkgraph's live host blocks, counted through the device's vkg_allocator */
static atomic_long g_live_blocks;
void *vkgd__soak_alloc(void *user, size_t size)
{
    (void)user;
    void *p = malloc(size);
    if (p) atomic_fetch_add(&g_live_blocks, 1);
    return p;
}
void *vkgd__soak_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    void *p = realloc(ptr, size);
    if (p && !ptr) atomic_fetch_add(&g_live_blocks, 1);
    return p;
}
void vkgd__soak_free(void *user, void *ptr)
{
    (void)user;
    if (ptr) atomic_fetch_sub(&g_live_blocks, 1);
    free(ptr);
}



soak_sample vkgd__soak_take(demo *d, uint32_t frame)
{
    soak_sample s = {.frame = frame, .live_blocks = atomic_load(&g_live_blocks)};
    vkg_memory_stats ms;
    vkg_memory_get_stats(d->dev, &ms);
    s.device_reserved = ms.total.bytes_reserved;
    s.device_used = ms.total.bytes_used;
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    s.rss_mib = (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
    return s;
}

int vkgd__failf(demo *d, int status, const char *fmt, ...)
{
    if (d->status) return d->status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    d->status = status;
    return status;
}


static int make_module(demo *d, const uint32_t *code, size_t size, VkShaderModule *out)
{
    VKCHECK(d, d->t->vkCreateShaderModule(d->d,
                                          &(VkShaderModuleCreateInfo){
                                              .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                              .codeSize = size,
                                              .pCode = code},
                                          NULL, out));
    return 0;
}

static int make_layout(demo *d, dpipe *p)
{
    VkDescriptorSetLayoutBinding b[MAX_BINDINGS];
    for (uint32_t i = 0; i < p->binding_count; i++)
        b[i] = (VkDescriptorSetLayoutBinding){i, p->types[i], 1, VK_SHADER_STAGE_ALL, NULL};
    VKCHECK(d, d->t->vkCreateDescriptorSetLayout(
                   d->d,
                   &(VkDescriptorSetLayoutCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                       .bindingCount = p->binding_count,
                       .pBindings = b},
                   NULL, &p->dsl));
    VkPushConstantRange pr = {p->push_stages, 0, p->push_size};
    VKCHECK(d, d->t->vkCreatePipelineLayout(d->d,
                                            &(VkPipelineLayoutCreateInfo){
                                                .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                                .setLayoutCount = 1,
                                                .pSetLayouts = &p->dsl,
                                                .pushConstantRangeCount = p->push_size ? 1 : 0,
                                                .pPushConstantRanges = &pr},
                                            NULL, &p->layout));
    return 0;
}

static int make_compute(demo *d, dpipe *p, VkShaderModule m)
{
    p->bind_point = VK_PIPELINE_BIND_POINT_COMPUTE;
    p->push_stages = VK_SHADER_STAGE_COMPUTE_BIT;
    if (make_layout(d, p)) return d->status;
    VKCHECK(d, d->t->vkCreateComputePipelines(
                   d->d, VK_NULL_HANDLE, 1,
                   &(VkComputePipelineCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                       .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                                 .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                 .module = m,
                                 .pName = "main"},
                       .layout = p->layout},
                   NULL, &p->pipeline));
    return 0;
}

static int make_graphics(demo *d, dpipe *p, VkShaderModule vs, VkShaderModule fs, const VkFormat *colors,
                         uint32_t color_count, VkFormat depth, bool vertex_input)
{
    p->bind_point = VK_PIPELINE_BIND_POINT_GRAPHICS;
    p->push_stages = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;
    if (!p->layout && make_layout(d, p)) return d->status;
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_VERTEX_BIT,
         .module = vs, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
         .module = fs, .pName = "main"}};
    VkVertexInputBindingDescription vb = {0, sizeof(vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription va[3] = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(vertex, pos)},
                                               {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(vertex, normal)},
                                               {2, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(vertex, uv)}};
    VkPipelineColorBlendAttachmentState blend[4];
    for (uint32_t i = 0; i < color_count; i++)
        blend[i] = (VkPipelineColorBlendAttachmentState){.colorWriteMask = 0xf};
    VkDynamicState dyn[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VKCHECK(d, d->t->vkCreateGraphicsPipelines(
                   d->d, VK_NULL_HANDLE, 1,
                   &(VkGraphicsPipelineCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                       .pNext = &(VkPipelineRenderingCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
                           .colorAttachmentCount = color_count,
                           .pColorAttachmentFormats = colors,
                           .depthAttachmentFormat = depth},
                       .stageCount = 2,
                       .pStages = stages,
                       .pVertexInputState = &(VkPipelineVertexInputStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                           .vertexBindingDescriptionCount = vertex_input ? 1 : 0,
                           .pVertexBindingDescriptions = &vb,
                           .vertexAttributeDescriptionCount = vertex_input ? 3 : 0,
                           .pVertexAttributeDescriptions = va},
                       .pInputAssemblyState = &(VkPipelineInputAssemblyStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                           .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST},
                       .pViewportState = &(VkPipelineViewportStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                           .viewportCount = 1,
                           .scissorCount = 1},
                       .pRasterizationState = &(VkPipelineRasterizationStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                           .polygonMode = VK_POLYGON_MODE_FILL,
                           .cullMode = VK_CULL_MODE_NONE,
                           .lineWidth = 1.0f},
                       .pMultisampleState = &(VkPipelineMultisampleStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                           .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT},
                       .pDepthStencilState = &(VkPipelineDepthStencilStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                           .depthTestEnable = depth != VK_FORMAT_UNDEFINED,
                           .depthWriteEnable = depth != VK_FORMAT_UNDEFINED,
                           .depthCompareOp = VK_COMPARE_OP_LESS},
                       .pColorBlendState = &(VkPipelineColorBlendStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                           .attachmentCount = color_count,
                           .pAttachments = blend},
                       .pDynamicState = &(VkPipelineDynamicStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
                           .dynamicStateCount = 2,
                           .pDynamicStates = dyn},
                       .layout = p->layout},
                   NULL, &p->pipeline));
    return 0;
}



enum { M_UPDATE, M_GB_VS, M_GB_FS, M_FULL_VS, M_SSAO, M_BLUR, M_LIGHT, M_DOWN, M_UP, M_TONE, M_TAA, M_COUNT };

int vkgd__make_pipelines(demo *d)
{
    static const struct {
        const uint32_t *code;
        size_t size;
    } mods[M_COUNT] = {{spv_scene_update, sizeof spv_scene_update}, {spv_gbuffer_vert, sizeof spv_gbuffer_vert},
                  {spv_gbuffer_frag, sizeof spv_gbuffer_frag}, {spv_fullscreen_vert, sizeof spv_fullscreen_vert},
                  {spv_ssao, sizeof spv_ssao},                 {spv_ssao_blur, sizeof spv_ssao_blur},
                  {spv_lighting, sizeof spv_lighting},         {spv_bloom_down, sizeof spv_bloom_down},
                  {spv_bloom_up, sizeof spv_bloom_up},         {spv_tonemap, sizeof spv_tonemap},
                  {spv_taa, sizeof spv_taa}};
    for (uint32_t i = 0; i < M_COUNT; i++)
        if (make_module(d, mods[i].code, mods[i].size, &d->modules[i])) return d->status;
    dpipe *p = d->pipes;
    p[P_UPDATE] = (dpipe){.binding_count = 3, .types = {STORAGE_BUF, STORAGE_BUF, STORAGE_BUF}, .push_size = 72};
    p[P_GBUFFER] = (dpipe){.binding_count = 2, .types = {STORAGE_BUF, SAMPLED}, .push_size = 68};
    p[P_SSAO] = (dpipe){.binding_count = 3, .types = {SAMPLED, SAMPLED, STORAGE_IMG}, .push_size = 128};
    p[P_SSAO_BLUR] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}};
    p[P_LIGHTING] = (dpipe){.binding_count = 5, .types = {SAMPLED, SAMPLED, SAMPLED, SAMPLED, SAMPLED},
                           .push_size = 80};
    p[P_BLOOM_DOWN] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}, .push_size = 4};
    p[P_BLOOM_UP] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}};
    p[P_TAA] = (dpipe){.binding_count = 4, .types = {SAMPLED, SAMPLED, SAMPLED, STORAGE_IMG}, .push_size = 68};
    p[P_TONEMAP] = (dpipe){.binding_count = 2, .types = {SAMPLED, SAMPLED}, .push_size = 12};
    if (make_compute(d, &p[P_UPDATE], d->modules[M_UPDATE]) || make_compute(d, &p[P_SSAO], d->modules[M_SSAO]) ||
        make_compute(d, &p[P_SSAO_BLUR], d->modules[M_BLUR]) ||
        make_compute(d, &p[P_BLOOM_DOWN], d->modules[M_DOWN]) || make_compute(d, &p[P_BLOOM_UP], d->modules[M_UP]) ||
        make_compute(d, &p[P_TAA], d->modules[M_TAA]))
        return d->status;
    if (make_graphics(d, &p[P_GBUFFER], d->modules[M_GB_VS], d->modules[M_GB_FS], gbuffer_formats, 3,
                      depth_format, true) ||
        make_graphics(d, &p[P_LIGHTING], d->modules[M_FULL_VS], d->modules[M_LIGHT], &hdr_format, 1,
                      VK_FORMAT_UNDEFINED, false))
        return d->status;
    VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                               .magFilter = VK_FILTER_LINEAR,
                               .minFilter = VK_FILTER_LINEAR,
                               .mipmapMode = VK_SAMPLER_MIPMAP_MODE_LINEAR,
                               .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .maxLod = VK_LOD_CLAMP_NONE};
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->clamp));
    sci.addressModeU = sci.addressModeV = sci.addressModeW = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->wrap));
    sci.magFilter = sci.minFilter = VK_FILTER_NEAREST;
    sci.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
    sci.addressModeU = sci.addressModeV = sci.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->nearest));
    return 0;
}

/* The tonemap pipeline depends on the output format (a swapchain's may change). */
int vkgd__tonemap_pipeline(demo *d, VkFormat format)
{
    dpipe *p = &d->pipes[P_TONEMAP];
    if (p->pipeline && d->tonemap_format == format) return 0;
    if (p->pipeline) d->t->vkDestroyPipeline(d->d, p->pipeline, NULL);
    p->pipeline = VK_NULL_HANDLE;
    d->tonemap_format = format;
    return make_graphics(d, p, d->modules[M_FULL_VS], d->modules[M_TONE], &format, 1, VK_FORMAT_UNDEFINED,
                         false);
}
