/* Raw Vulkan helpers shared by the device benchmarks (include <volk.h> first). */
#ifndef VKG_BENCH_VK_H_
#define VKG_BENCH_VK_H_

#include "bench.h"

/* A compute pipeline with one push-constant range of `push_size` bytes and no descriptor
 * sets (buffers come by device address). Returns VK_SUCCESS or the failing call's result. */
static inline VkResult bench_compute_pipeline(const vkg_device_vk *vk, const uint32_t *spirv,
                                              size_t size, uint32_t push_size,
                                              VkPipelineLayout *layout, VkPipeline *pipeline)
{
    const struct VolkDeviceTable *t = vk->device_table;
    VkShaderModule module;
    VkResult vr = t->vkCreateShaderModule(
        vk->device,
        &(VkShaderModuleCreateInfo){
            .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = size, .pCode = spirv},
        NULL, &module);
    if (vr != VK_SUCCESS) return vr;
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size};
    vr = t->vkCreatePipelineLayout(
        vk->device,
        &(VkPipelineLayoutCreateInfo){.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .pushConstantRangeCount = 1,
                                      .pPushConstantRanges = &range},
        NULL, layout);
    if (vr == VK_SUCCESS)
        vr = t->vkCreateComputePipelines(
            vk->device, VK_NULL_HANDLE, 1,
            &(VkComputePipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                          .module = module,
                          .pName = "main"},
                .layout = *layout},
            NULL, pipeline);
    t->vkDestroyShaderModule(vk->device, module, NULL);
    return vr;
}

#endif
