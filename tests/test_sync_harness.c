/* Proves the validation harness can fail: a storage write followed by a read of the same
 * buffer with no barrier between them must be reported by synchronization validation (a
 * shader write before a transfer read, and a transfer write before a shader read); the same
 * work with the barriers is silent and computes the right values. All Vulkan here is raw,
 * through the device's volk table (the escape hatch). */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <string.h>

static const uint32_t harness_rw_spv[] =
#include "shaders/harness_rw.comp.inc"
    ;

#define COUNT 256u

typedef struct rig {
    vkg_device *dev;
    const struct VolkDeviceTable *vk;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    vkg_buffer a, b;
    VkBuffer va, vb;
    uint32_t *mapped_b;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    VkDescriptorPool pool;
    VkDescriptorSet set;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
} rig;

static void rig_open(rig *r)
{
    memset(r, 0, sizeof *r);
    r->dev = vkgt_device_open(NULL);
    vkg_device_vk vk;
    vkg_device_get_vk(r->dev, &vk);
    r->vk = vk.device_table;
    r->device = vk.device;
    r->queue = vk.queues[VKG_QUEUE_COMPUTE].queue;
    r->family = vk.queues[VKG_QUEUE_COMPUTE].family;

    assert_int_equal(vkg_buffer_create(r->dev, &(vkg_buffer_desc){.name = "A", .size = COUNT * 4},
                                       &r->a),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(r->dev,
                                       &(vkg_buffer_desc){.name = "B", .size = COUNT * 4,
                                                          .memory_usage = VKG_MEMORY_READBACK},
                                       &r->b),
                     VKG_SUCCESS);
    vkg_buffer_info ia, ib;
    assert_int_equal(vkg_buffer_get_info(r->dev, r->a, &ia), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(r->dev, r->b, &ib), VKG_SUCCESS);
    r->va = ia.buffer;
    r->vb = ib.buffer;
    r->mapped_b = ib.mapped;
    assert_non_null(r->mapped_b);

    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
    };
    VkDescriptorSetLayoutCreateInfo dslci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 2,
        .pBindings = bindings};
    assert_int_equal(r->vk->vkCreateDescriptorSetLayout(r->device, &dslci, NULL, &r->set_layout),
                     VK_SUCCESS);
    VkPushConstantRange pcr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &r->set_layout,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &pcr};
    assert_int_equal(r->vk->vkCreatePipelineLayout(r->device, &plci, NULL, &r->layout), VK_SUCCESS);
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof harness_rw_spv,
                                     .pCode = harness_rw_spv};
    VkShaderModule module;
    assert_int_equal(r->vk->vkCreateShaderModule(r->device, &smci, NULL, &module), VK_SUCCESS);
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = r->layout};
    assert_int_equal(
        r->vk->vkCreateComputePipelines(r->device, VK_NULL_HANDLE, 1, &cpci, NULL, &r->pipeline),
        VK_SUCCESS);
    r->vk->vkDestroyShaderModule(r->device, module, NULL);

    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .maxSets = 1,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &ps};
    assert_int_equal(r->vk->vkCreateDescriptorPool(r->device, &dpci, NULL, &r->pool), VK_SUCCESS);
    VkDescriptorSetAllocateInfo dsai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = r->pool,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &r->set_layout};
    assert_int_equal(r->vk->vkAllocateDescriptorSets(r->device, &dsai, &r->set), VK_SUCCESS);
    VkDescriptorBufferInfo dbi[2] = {{r->va, 0, COUNT * 4}, {r->vb, 0, COUNT * 4}};
    VkWriteDescriptorSet writes[2];
    for (uint32_t i = 0; i < 2; i++)
        writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                           .dstSet = r->set,
                                           .dstBinding = i,
                                           .descriptorCount = 1,
                                           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                           .pBufferInfo = &dbi[i]};
    r->vk->vkUpdateDescriptorSets(r->device, 2, writes, 0, NULL);

    VkCommandPoolCreateInfo cpi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = r->family};
    assert_int_equal(r->vk->vkCreateCommandPool(r->device, &cpi, NULL, &r->cmd_pool), VK_SUCCESS);
    VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = r->cmd_pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    assert_int_equal(r->vk->vkAllocateCommandBuffers(r->device, &cbai, &r->cmd), VK_SUCCESS);
}

static void dispatch(rig *r, uint32_t mode)
{
    uint32_t pc[2] = {mode, COUNT};
    r->vk->vkCmdPushConstants(r->cmd, r->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, pc);
    r->vk->vkCmdDispatch(r->cmd, COUNT / 64, 1, 1);
}

typedef enum hazard_case {
    SHADER_WRITE_THEN_COPY_READ, /* dispatch writes A; vkCmdCopyBuffer reads A into B */
    FILL_THEN_SHADER_READ,       /* vkCmdFillBuffer writes A; the dispatch reads A */
} hazard_case;

static void barrier(rig *r, VkPipelineStageFlags2 src_stage, VkAccessFlags2 src_access,
                    VkPipelineStageFlags2 dst_stage, VkAccessFlags2 dst_access)
{
    VkMemoryBarrier2 mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = src_stage,
                           .srcAccessMask = src_access,
                           .dstStageMask = dst_stage,
                           .dstAccessMask = dst_access};
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                            .memoryBarrierCount = 1,
                            .pMemoryBarriers = &mb};
    r->vk->vkCmdPipelineBarrier2(r->cmd, &dep);
}

/* Records a write of A, (a barrier,) a read of A that produces B, then a host barrier;
 * submits and waits.
 *
 * Why not dispatch -> dispatch: the Debian 12 validation layer (1.3.239) does not report a
 * hazard between two dispatches of one command buffer that share a storage buffer (it does
 * report dispatch <-> transfer), so the proof uses a shader write before a transfer read and
 * a transfer write before a shader read. */
static void run(rig *r, hazard_case which, bool with_barrier)
{
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    assert_int_equal(r->vk->vkResetCommandPool(r->device, r->cmd_pool, 0), VK_SUCCESS);
    assert_int_equal(r->vk->vkBeginCommandBuffer(r->cmd, &begin), VK_SUCCESS);
    r->vk->vkCmdBindPipeline(r->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, r->pipeline);
    r->vk->vkCmdBindDescriptorSets(r->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, r->layout, 0, 1,
                                   &r->set, 0, NULL);
    if (which == SHADER_WRITE_THEN_COPY_READ) {
        dispatch(r, 0);
        if (with_barrier)
            /* the shader statically writes B as well: the copy's write of B needs it too */
            barrier(r, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                    VK_PIPELINE_STAGE_2_COPY_BIT,
                    VK_ACCESS_2_TRANSFER_READ_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT);
        VkBufferCopy region = {0, 0, COUNT * 4};
        r->vk->vkCmdCopyBuffer(r->cmd, r->va, r->vb, 1, &region);
        barrier(r, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    } else {
        r->vk->vkCmdFillBuffer(r->cmd, r->va, 0, COUNT * 4, 5);
        if (with_barrier)
            /* fill is a transfer command; ALL_TRANSFER covers it whichever sub-stage a
             * driver or layer files it under */
            barrier(r, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                    VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT);
        dispatch(r, 1);
        barrier(r, VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    }
    assert_int_equal(r->vk->vkEndCommandBuffer(r->cmd), VK_SUCCESS);
    VkCommandBufferSubmitInfo cbsi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                      .commandBuffer = r->cmd};
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &cbsi};
    assert_int_equal(r->vk->vkQueueSubmit2(r->queue, 1, &si, VK_NULL_HANDLE), VK_SUCCESS);
    assert_int_equal(r->vk->vkQueueWaitIdle(r->queue), VK_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(r->dev, r->b, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
}

static void rig_close(rig *r, bool expect_clean)
{
    r->vk->vkDestroyCommandPool(r->device, r->cmd_pool, NULL);
    r->vk->vkDestroyDescriptorPool(r->device, r->pool, NULL);
    r->vk->vkDestroyPipeline(r->device, r->pipeline, NULL);
    r->vk->vkDestroyPipelineLayout(r->device, r->layout, NULL);
    r->vk->vkDestroyDescriptorSetLayout(r->device, r->set_layout, NULL);
    vkg_buffer_destroy(r->dev, r->a);
    vkg_buffer_destroy(r->dev, r->b);
    if (expect_clean)
        vkgt_device_close(r->dev);
    else
        vkg_device_destroy(r->dev);
}

static void expect_reported(hazard_case which, const char *hazard)
{
    rig r;
    rig_open(&r);
    vkgt_log_clear();
    run(&r, which, false);
    assert_true(vkg_device_validation_count(r.dev) > 0);
    assert_true(vkgt_log_has(hazard, "\"A\"", NULL) || vkgt_log_has(hazard, "[A]", NULL));
    rig_close(&r, false);
}

static void test_shader_write_then_read_without_barrier_is_reported(void **state)
{
    (void)state;
    expect_reported(SHADER_WRITE_THEN_COPY_READ, "SYNC-HAZARD-READ-AFTER-WRITE");
}

static void test_fill_then_shader_read_without_barrier_is_reported(void **state)
{
    (void)state;
    expect_reported(FILL_THEN_SHADER_READ, "SYNC-HAZARD");
}

static void test_barriers_are_silent_and_correct(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    run(&r, SHADER_WRITE_THEN_COPY_READ, true);
    for (uint32_t i = 0; i < COUNT; i++) assert_int_equal(r.mapped_b[i], i * 3u + 1u);
    run(&r, FILL_THEN_SHADER_READ, true);
    for (uint32_t i = 0; i < COUNT; i++) assert_int_equal(r.mapped_b[i], 10u);
    assert_int_equal(vkg_device_validation_count(r.dev), 0);
    rig_close(&r, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shader_write_then_read_without_barrier_is_reported),
        cmocka_unit_test(test_fill_then_shader_read_without_barrier_is_reported),
        cmocka_unit_test(test_barriers_are_silent_and_correct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
