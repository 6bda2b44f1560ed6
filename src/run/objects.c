/* `vkgraph run`: device objects: descriptor and pipeline layouts, kernel modules, pipelines
 * and views (cached; record callbacks share them under the runner's lock). */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_kernels.h"

const vkgr_kvar kvars[KV_COUNT] = {
#define VKGR_ROW(n, d) {vkgr_spv_##n, sizeof vkgr_spv_##n, d},
    VKGR_VARIANTS(VKGR_ROW)
#undef VKGR_ROW
};

bool vkgr__grow(void **items, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap : 32;
    while (n < need) n *= 2;
    void *p = realloc(*items, (size_t)n * size);
    if (!p) return false;
    *items = p;
    *cap = n;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Device objects: layouts, pipelines, views
 * ---------------------------------------------------------------------------------------- */

/* the shader stages run's layouts cover: the device's */
VkShaderStageFlags vkgr__stages(const runner *r)
{
    VkShaderStageFlags s = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT | VK_SHADER_STAGE_COMPUTE_BIT;
    if (r->caps->geometry_shader) s |= VK_SHADER_STAGE_GEOMETRY_BIT;
    if (r->caps->tessellation_shader)
        s |= VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT | VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT;
    return s;
}

vkg_result vkgr__create_layouts(runner *r)
{
    static const VkDescriptorType types[DT_COUNT] = {
        [DT_SSBO] = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        [DT_UBO] = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
        [DT_SAMPLED] = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
        [DT_STORAGE_IMAGE] = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE};
    VKGR_VK(r->vk->vkCreateSampler(r->device,
                                   &(VkSamplerCreateInfo){
                                       .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                       .magFilter = VK_FILTER_NEAREST,
                                       .minFilter = VK_FILTER_NEAREST,
                                       .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                       .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                       .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE},
                                   NULL, &r->sampler),
            "vkCreateSampler");
    VkShaderStageFlags all_stages = vkgr__stages(r);
    VkPushConstantRange pcr = {all_stages, 0, sizeof(pcs)};
    for (int t = 0; t < DT_COUNT; t++) {
        if (t != DT_NONE) {
            VkDescriptorSetLayoutBinding b = {0, types[t], 1, all_stages, NULL};
            VKGR_VK(r->vk->vkCreateDescriptorSetLayout(
                        r->device,
                        &(VkDescriptorSetLayoutCreateInfo){
                            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                            .bindingCount = 1,
                            .pBindings = &b},
                        NULL, &r->dsl[t]),
                    "vkCreateDescriptorSetLayout");
        }
        VKGR_VK(r->vk->vkCreatePipelineLayout(
                    r->device,
                    &(VkPipelineLayoutCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                        .setLayoutCount = t == DT_NONE ? 0u : 1u,
                        .pSetLayouts = &r->dsl[t],
                        .pushConstantRangeCount = 1,
                        .pPushConstantRanges = &pcr},
                    NULL, &r->layout[t]),
                "vkCreatePipelineLayout");
    }
    for (int v = 0; v < KV_COUNT; v++) {
        /* geometry and tessellation SPIR-V only where the device has those stages (the
         * validation layer checks a module's capabilities against the features) */
        bool geom = v >= KV_G_RBUF_SSBO && v < KV_G_RBUF_SSBO + G_COUNT;
        bool tess = (v >= KV_T_RBUF_SSBO && v < KV_T_RBUF_SSBO + G_COUNT) || v == KV_T_EVAL;
        if ((geom && !r->caps->geometry_shader) || (tess && !r->caps->tessellation_shader)) continue;
        VKGR_VK(r->vk->vkCreateShaderModule(r->device,
                                            &(VkShaderModuleCreateInfo){
                                                .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                                .codeSize = kvars[v].size,
                                                .pCode = kvars[v].code},
                                            NULL, &r->modules[v]),
                "vkCreateShaderModule");
    }
    return VKG_SUCCESS;
}

static VkPipeline get_pipeline_locked(runner *r, const pipe_key *key);

VkPipeline vkgr__get_pipeline(runner *r, const pipe_key *key)
{
    pthread_mutex_lock(&r->lock);
    VkPipeline p = get_pipeline_locked(r, key);
    pthread_mutex_unlock(&r->lock);
    return p;
}

static VkPipeline get_pipeline_locked(runner *r, const pipe_key *key)
{
    for (uint32_t i = 0; i < r->npipes; i++)
        if (memcmp(&r->pipes[i].key, key, sizeof *key) == 0) return r->pipes[i].pipe;
    if (!vkgr__grow((void **)&r->pipes, &r->cap_pipes, r->npipes + 1, sizeof *r->pipes)) {
        vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory (pipelines)");
        return VK_NULL_HANDLE;
    }
    VkPipeline pipe = VK_NULL_HANDLE;
    VkResult vr;
    kvar main = key->compute ? key->vs : key->pre != KV_COUNT ? key->pre : key->fs != KV_COUNT ? key->fs : key->vs;
    VkPipelineLayout layout = r->layout[kvars[main].dt];
    if (key->compute) {
        vr = r->vk->vkCreateComputePipelines(
            r->device, VK_NULL_HANDLE, 1,
            &(VkComputePipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                          .module = r->modules[key->vs],
                          .pName = "main"},
                .layout = layout},
            NULL, &pipe);
    } else {
        VkPipelineShaderStageCreateInfo stages[4];
        uint32_t nstages = 0;
        const struct {
            VkShaderStageFlagBits stage;
            kvar var;
        } want[4] = {{VK_SHADER_STAGE_VERTEX_BIT, key->vs},
                     {key->pre_kind == 1 ? VK_SHADER_STAGE_GEOMETRY_BIT
                                         : VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT,
                      key->pre},
                     {VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT,
                      key->pre_kind == 2 ? KV_T_EVAL : KV_COUNT},
                     {VK_SHADER_STAGE_FRAGMENT_BIT, key->fs}};
        for (uint32_t i = 0; i < 4; i++)
            if (want[i].var != KV_COUNT)
                stages[nstages++] = (VkPipelineShaderStageCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                    .stage = want[i].stage,
                    .module = r->modules[want[i].var],
                    .pName = "main"};
        bool points = key->fs == KV_COUNT;
        bool patches = key->pre_kind == 2;
        VkVertexInputBindingDescription vb = {0, 4, VK_VERTEX_INPUT_RATE_VERTEX};
        VkVertexInputAttributeDescription va = {0, 0, VK_FORMAT_R32_UINT, 0};
        bool vin = key->vs == KV_V_VERTEX;
        VkPipelineColorBlendAttachmentState blend = {
            .blendEnable = key->blend,
            .srcColorBlendFactor = VK_BLEND_FACTOR_ONE,
            .dstColorBlendFactor = VK_BLEND_FACTOR_ONE,
            .colorBlendOp = VK_BLEND_OP_MAX,
            .srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
            .dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
            .alphaBlendOp = VK_BLEND_OP_MAX,
            .colorWriteMask = 0xF};
        VkDynamicState dyn[3] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR,
                                 VK_DYNAMIC_STATE_STENCIL_REFERENCE};
        VkPipelineRenderingCreateInfo rinfo = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
            .colorAttachmentCount = key->color != VK_FORMAT_UNDEFINED ? 1u : 0u,
            .pColorAttachmentFormats = &key->color,
            .depthAttachmentFormat = key->depth,
            .stencilAttachmentFormat = key->stencil};
        VkStencilOpState sop = {.failOp = VK_STENCIL_OP_KEEP,
                                .passOp = key->stencil_mode == 2 ? VK_STENCIL_OP_INCREMENT_AND_WRAP
                                                                 : VK_STENCIL_OP_REPLACE,
                                .depthFailOp = VK_STENCIL_OP_KEEP,
                                .compareOp = VK_COMPARE_OP_ALWAYS,
                                .compareMask = 0xFF,
                                .writeMask = 0xFF};
        vr = r->vk->vkCreateGraphicsPipelines(
            r->device, VK_NULL_HANDLE, 1,
            &(VkGraphicsPipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                .pNext = &rinfo,
                .stageCount = nstages,
                .pStages = stages,
                .pTessellationState =
                    patches ? &(VkPipelineTessellationStateCreateInfo){
                                  .sType = VK_STRUCTURE_TYPE_PIPELINE_TESSELLATION_STATE_CREATE_INFO,
                                  .patchControlPoints = 1}
                            : NULL,
                .pVertexInputState =
                    &(VkPipelineVertexInputStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                        .vertexBindingDescriptionCount = vin ? 1u : 0u,
                        .pVertexBindingDescriptions = &vb,
                        .vertexAttributeDescriptionCount = vin ? 1u : 0u,
                        .pVertexAttributeDescriptions = &va},
                .pInputAssemblyState =
                    &(VkPipelineInputAssemblyStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                        .topology = patches ? VK_PRIMITIVE_TOPOLOGY_PATCH_LIST
                                    : points ? VK_PRIMITIVE_TOPOLOGY_POINT_LIST
                                             : VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST},
                .pViewportState =
                    &(VkPipelineViewportStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                        .viewportCount = 1,
                        .scissorCount = 1},
                .pRasterizationState =
                    &(VkPipelineRasterizationStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                        .rasterizerDiscardEnable = points,
                        .polygonMode = VK_POLYGON_MODE_FILL,
                        .cullMode = VK_CULL_MODE_NONE,
                        .lineWidth = 1.0f},
                .pMultisampleState =
                    &(VkPipelineMultisampleStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                        .rasterizationSamples = key->samples > 1 ? (VkSampleCountFlagBits)key->samples
                                                                 : VK_SAMPLE_COUNT_1_BIT},
                .pDepthStencilState =
                    &(VkPipelineDepthStencilStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                        .depthTestEnable = key->depth_mode != 0,
                        .depthWriteEnable = key->depth_mode != 0,
                        .depthCompareOp = key->depth_mode == 2 ? VK_COMPARE_OP_GREATER_OR_EQUAL
                                                               : VK_COMPARE_OP_ALWAYS,
                        .stencilTestEnable = key->stencil_mode != 0,
                        .front = sop,
                        .back = sop},
                .pColorBlendState =
                    &(VkPipelineColorBlendStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                        .attachmentCount = rinfo.colorAttachmentCount,
                        .pAttachments = &blend},
                .pDynamicState =
                    &(VkPipelineDynamicStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
                        .dynamicStateCount = key->stencil_mode == 1 ? 3u : 2u,
                        .pDynamicStates = dyn},
                .layout = layout},
            NULL, &pipe);
    }
    if (vr != VK_SUCCESS) {
        vkgr__fail(r, VKG_ERROR_VULKAN, "creating a kernel pipeline failed (VkResult %d)", (int)vr);
        return VK_NULL_HANDLE;
    }
    r->pipes[r->npipes++] = (pipe_ent){*key, pipe};
    return pipe;
}

static VkImageView get_view_locked(runner *r, VkImage image, const rres *R, uint32_t mip,
                                   uint32_t layer, uint32_t layers, VkImageAspectFlags aspect);

/* `aspect` 0: all of the format's (attachments); one plane's for shader reads */
VkImageView vkgr__get_view(runner *r, VkImage image, const rres *R, uint32_t mip, uint32_t layer,
                            uint32_t layers, VkImageAspectFlags aspect)
{
    pthread_mutex_lock(&r->lock);
    VkImageView v = get_view_locked(r, image, R, mip, layer, layers, aspect);
    pthread_mutex_unlock(&r->lock);
    return v;
}

static VkImageView get_view_locked(runner *r, VkImage image, const rres *R, uint32_t mip,
                                   uint32_t layer, uint32_t layers, VkImageAspectFlags aspect)
{
    if (!aspect) aspect = vkg_format_aspect(R->pr->format);
    for (uint32_t i = 0; i < r->nviews; i++) {
        const view_ent *v = &r->views[i];
        if (v->image == image && v->mip == mip && v->layer == layer && v->layers == layers &&
            v->aspect == aspect)
            return v->view;
    }
    if (!vkgr__grow((void **)&r->views, &r->cap_views, r->nviews + 1, sizeof *r->views)) {
        vkgr__fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory (views)");
        return VK_NULL_HANDLE;
    }
    VkImageView view = VK_NULL_HANDLE;
    VkResult vr = r->vk->vkCreateImageView(
        r->device,
        &(VkImageViewCreateInfo){
            .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
            .image = image,
            .viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY,
            .format = R->pr->format,
            .subresourceRange = {aspect, mip, 1, layer, layers}},
        NULL, &view);
    if (vr != VK_SUCCESS) {
        vkgr__fail(r, VKG_ERROR_VULKAN, "vkCreateImageView for \"%s\" failed (VkResult %d)",
             R->pr->name, (int)vr);
        return VK_NULL_HANDLE;
    }
    r->views[r->nviews++] = (view_ent){image, mip, layer, layers, aspect, view};
    return view;
}

