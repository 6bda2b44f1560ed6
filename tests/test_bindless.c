/* The bindless heap (label bindless), under validation + synchronization validation.
 *
 * On a device with descriptor indexing (SwiftShader): 10,000 textures uploaded through the
 * uploader (ready_for: compute sampled read), 16 storage images and 8 samplers in one heap;
 * a compute shader gathers from them with non-uniform indices and every value is checked.
 * Freed slots come back only after their ticket (a gated submission holds it); bad input
 * is refused by name and takes nothing. On a device without it (lavapipe) the heap is
 * refused with FEATURE_NOT_PRESENT and a message naming the fallback. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdlib.h>
#include <string.h>

static const uint32_t gather_spv[] =
#include "shaders/bindless_gather.comp.inc"
    ;

#define TEXTURES 10000u
#define STORAGE 16u
#define SAMPLERS 8u
#define STORAGE_WIDTH 1024u /* >= TEXTURES / STORAGE */

static uint32_t texel_value(uint32_t i)
{
    uint32_t x = i * 2654435761u + 12345u;
    return x ^ (x >> 13);
}

/* Returns whether the device has descriptor indexing; without it checks the refusal. */
static bool heap_or_refusal(vkg_device *dev)
{
    vkg_bindless *heap = NULL;
    vkgt_log_clear();
    vkg_result r = vkg_bindless_create(dev, &(vkg_bindless_desc){.name = "textures"}, &heap);
    if (vkg_device_caps(dev)->descriptor_indexing) {
        assert_int_equal(r, VKG_SUCCESS);
        vkg_bindless_stats st;
        vkg_bindless_get_stats(heap, &st);
        /* defaults, within the device's limits */
        assert_true(st.capacity[VKG_BINDLESS_SAMPLED_IMAGE] > 0 &&
                    st.capacity[VKG_BINDLESS_SAMPLED_IMAGE] <= 65536);
        assert_true(st.capacity[VKG_BINDLESS_SAMPLER] > 0);
        vkg_bindless_destroy(heap);
        return true;
    }
    assert_int_equal(r, VKG_ERROR_FEATURE_NOT_PRESENT);
    assert_null(heap);
    assert_true(vkgt_log_has("heap \"textures\"", "lacks descriptor indexing", "docs/bindless.md",
                             NULL));
    return false;
}

static void test_create_matches_caps(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    (void)heap_or_refusal(dev);
    vkgt_device_close(dev);
}

typedef struct gather_rig {
    vkg_device *dev;
    const struct VolkDeviceTable *vk;
    VkDevice device;
    VkPipelineLayout layout;
    VkPipeline pipeline;
} gather_rig;

static void rig_pipeline(gather_rig *g, vkg_bindless *heap)
{
    VkPushConstantRange pc = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 32};
    VkDescriptorSetLayout dsl = vkg_bindless_layout(heap);
    assert_int_equal(g->vk->vkCreatePipelineLayout(
                         g->device,
                         &(VkPipelineLayoutCreateInfo){
                             .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                             .setLayoutCount = 1,
                             .pSetLayouts = &dsl,
                             .pushConstantRangeCount = 1,
                             .pPushConstantRanges = &pc},
                         NULL, &g->layout),
                     VK_SUCCESS);
    VkShaderModule mod;
    assert_int_equal(g->vk->vkCreateShaderModule(
                         g->device,
                         &(VkShaderModuleCreateInfo){.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                                     .codeSize = sizeof gather_spv,
                                                     .pCode = gather_spv},
                         NULL, &mod),
                     VK_SUCCESS);
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = mod,
                  .pName = "main"},
        .layout = g->layout};
    assert_int_equal(g->vk->vkCreateComputePipelines(g->device, VK_NULL_HANDLE, 1, &ci, NULL,
                                                     &g->pipeline),
                     VK_SUCCESS);
    g->vk->vkDestroyShaderModule(g->device, mod, NULL);
}

static void test_ten_thousand_textures(void **state)
{
    (void)state;
    gather_rig g = {.dev = vkgt_device_open(NULL)};
    vkg_device *dev = g.dev;
    if (!heap_or_refusal(dev)) {
        vkgt_device_close(dev);
        skip();
    }
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    g.vk = dvk.device_table;
    g.device = dvk.device;

    vkg_bindless *heap = NULL;
    assert_int_equal(vkg_bindless_create(dev,
                                         &(vkg_bindless_desc){.name = "heap",
                                                              .capacity = {16384, 64, 16},
                                                              .stages = VK_SHADER_STAGE_COMPUTE_BIT},
                                         &heap),
                     VKG_SUCCESS);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 1 << 20}, &up),
                     VKG_SUCCESS);

    /* 10,000 one-texel textures, each its own image, uploaded ready for compute sampling */
    vkg_image *tex = calloc(TEXTURES, sizeof *tex);
    vkg_bindless_item *items = calloc(TEXTURES, sizeof *items);
    uint32_t *slots = calloc(TEXTURES, sizeof *slots);
    vkg_ticket last = {0, 0};
    for (uint32_t i = 0; i < TEXTURES; i++) {
        char name[32];
        snprintf(name, sizeof name, "tex%u", i);
        assert_int_equal(vkg_image_create(dev,
                                          &(vkg_image_desc){.name = name,
                                                            .format = VK_FORMAT_R32_UINT,
                                                            .width = 1,
                                                            .height = 1,
                                                            .usage = VK_IMAGE_USAGE_SAMPLED_BIT |
                                                                     VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                                          &tex[i]),
                         VKG_SUCCESS);
        uint32_t v = texel_value(i);
        assert_int_equal(vkg_upload_image(up,
                                          &(vkg_upload_image_desc){.image = tex[i],
                                                                   .data = &v,
                                                                   .size = 4,
                                                                   .ready_for = VKG_ACCESS_COMPUTE_SAMPLED_READ,
                                                                   .ready_role = VKG_QUEUE_COMPUTE},
                                          &last),
                         VKG_SUCCESS);
        items[i] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLED_IMAGE, .image = tex[i]};
    }
    assert_int_equal(vkg_bindless_add(heap, items, TEXTURES, slots), VKG_SUCCESS);

    /* storage images, zeroed and left in GENERAL for the compute queue */
    vkg_image simg[STORAGE];
    uint32_t sslots[STORAGE];
    uint32_t *zeros = calloc(STORAGE_WIDTH, 4);
    for (uint32_t k = 0; k < STORAGE; k++) {
        assert_int_equal(vkg_image_create(dev,
                                          &(vkg_image_desc){.name = "out image",
                                                            .format = VK_FORMAT_R32_UINT,
                                                            .width = STORAGE_WIDTH,
                                                            .height = 1,
                                                            .usage = VK_IMAGE_USAGE_STORAGE_BIT |
                                                                     VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                                                     VK_IMAGE_USAGE_TRANSFER_SRC_BIT},
                                          &simg[k]),
                         VKG_SUCCESS);
        assert_int_equal(vkg_upload_image(up,
                                          &(vkg_upload_image_desc){.image = simg[k],
                                                                   .data = zeros,
                                                                   .size = STORAGE_WIDTH * 4,
                                                                   .ready_for = VKG_ACCESS_COMPUTE_STORAGE_WRITE,
                                                                   .ready_role = VKG_QUEUE_COMPUTE},
                                          &last),
                         VKG_SUCCESS);
        items[k] = (vkg_bindless_item){.kind = VKG_BINDLESS_STORAGE_IMAGE, .image = simg[k]};
    }
    free(zeros);
    assert_int_equal(vkg_bindless_add(heap, items, STORAGE, sslots), VKG_SUCCESS);

    VkSampler samplers[SAMPLERS];
    uint32_t smpslots[SAMPLERS];
    static const VkSamplerAddressMode modes[4] = {
        VK_SAMPLER_ADDRESS_MODE_REPEAT, VK_SAMPLER_ADDRESS_MODE_MIRRORED_REPEAT,
        VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE, VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_BORDER};
    for (uint32_t k = 0; k < SAMPLERS; k++) {
        VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                   .magFilter = VK_FILTER_NEAREST,
                                   .minFilter = VK_FILTER_NEAREST,
                                   .addressModeU = modes[k % 4],
                                   .addressModeV = modes[(k / 4) % 4],
                                   .addressModeW = modes[0],
                                   .maxLod = 0.0f};
        assert_int_equal(g.vk->vkCreateSampler(g.device, &sci, NULL, &samplers[k]), VK_SUCCESS);
        items[k] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLER, .sampler = samplers[k]};
    }
    assert_int_equal(vkg_bindless_add(heap, items, SAMPLERS, smpslots), VKG_SUCCESS);

    vkg_bindless_stats st;
    vkg_bindless_get_stats(heap, &st);
    assert_int_equal(st.live[VKG_BINDLESS_SAMPLED_IMAGE], TEXTURES);
    assert_int_equal(st.live[VKG_BINDLESS_STORAGE_IMAGE], STORAGE);
    assert_int_equal(st.live[VKG_BINDLESS_SAMPLER], SAMPLERS);
    assert_int_equal(st.writes, TEXTURES + STORAGE + SAMPLERS);
    /* a fresh heap hands out ascending slots: one run per 64-item batch */
    assert_true(st.update_calls <= TEXTURES / 64 + 1 + 2);
    assert_int_equal(st.write_runs, st.update_calls);

    /* the table: invocation i reads a texture chosen by a scrambled order */
    uint32_t words = TEXTURES + STORAGE + SAMPLERS;
    vkg_buffer table, out, simg_back;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "table", .size = words * 4,
                                                               .memory_usage = VKG_MEMORY_UPLOAD},
                                       &table),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "out", .size = TEXTURES * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "storage readback",
                                                               .size = STORAGE * STORAGE_WIDTH * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &simg_back),
                     VKG_SUCCESS);
    vkg_buffer_info ti, oi, si;
    assert_int_equal(vkg_buffer_get_info(dev, table, &ti), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, simg_back, &si), VKG_SUCCESS);
    uint32_t *tv = ti.mapped;
    uint32_t *which = calloc(TEXTURES, sizeof *which); /* texture read by invocation i */
    for (uint32_t i = 0; i < TEXTURES; i++) {
        which[i] = (uint32_t)(((uint64_t)i * 7919u + 13u) % TEXTURES); /* 7919 is prime */
        tv[i] = slots[which[i]];
    }
    for (uint32_t k = 0; k < STORAGE; k++) tv[TEXTURES + k] = sslots[k];
    for (uint32_t k = 0; k < SAMPLERS; k++) tv[TEXTURES + STORAGE + k] = smpslots[k];
    assert_int_equal(vkg_buffer_flush(dev, table, 0, VK_WHOLE_SIZE), VKG_SUCCESS);

    rig_pipeline(&g, heap);
    VkCommandPool pool;
    uint32_t family = dvk.queues[VKG_QUEUE_COMPUTE].family; /* the dispatch's queue */
    assert_int_equal(g.vk->vkCreateCommandPool(
                         g.device,
                         &(VkCommandPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                                    .queueFamilyIndex = family},
                         NULL, &pool),
                     VK_SUCCESS);
    VkCommandBuffer cmd;
    assert_int_equal(g.vk->vkAllocateCommandBuffers(
                         g.device,
                         &(VkCommandBufferAllocateInfo){
                             .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                             .commandPool = pool,
                             .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                             .commandBufferCount = 1},
                         &cmd),
                     VK_SUCCESS);
    assert_int_equal(g.vk->vkBeginCommandBuffer(
                         cmd, &(VkCommandBufferBeginInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO}),
                     VK_SUCCESS);
    g.vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g.pipeline);
    vkg_bindless_bind(heap, cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g.layout, 0);
    struct {
        VkDeviceAddress table, out;
        uint32_t count, storage_count, sampler_count, pad;
    } push = {ti.address, oi.address, TEXTURES, STORAGE, SAMPLERS, 0};
    g.vk->vkCmdPushConstants(cmd, g.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
    g.vk->vkCmdDispatch(cmd, (TEXTURES + 63) / 64, 1, 1);
    /* storage images and the buffer to the host */
    VkImageMemoryBarrier2 ib[STORAGE];
    for (uint32_t k = 0; k < STORAGE; k++) {
        vkg_image_info ii;
        assert_int_equal(vkg_image_get_info(dev, simg[k], &ii), VKG_SUCCESS);
        ib[k] = (VkImageMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                                        .srcStageMask = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                                        .srcAccessMask = VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                                        .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                                        .dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT,
                                        .oldLayout = VK_IMAGE_LAYOUT_GENERAL,
                                        .newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                        .image = ii.image,
                                        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    }
    VkMemoryBarrier2 mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                           .srcAccessMask = VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                           .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                           .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    g.vk->vkCmdPipelineBarrier2(cmd, &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                         .memoryBarrierCount = 1,
                                                         .pMemoryBarriers = &mb,
                                                         .imageMemoryBarrierCount = STORAGE,
                                                         .pImageMemoryBarriers = ib});
    for (uint32_t k = 0; k < STORAGE; k++) {
        VkBufferImageCopy region = {.bufferOffset = (VkDeviceSize)k * STORAGE_WIDTH * 4,
                                    .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                    .imageExtent = {STORAGE_WIDTH, 1, 1}};
        g.vk->vkCmdCopyImageToBuffer(cmd, ib[k].image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                     si.buffer, 1, &region);
    }
    VkMemoryBarrier2 hb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                           .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                           .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                           .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    g.vk->vkCmdPipelineBarrier2(cmd, &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                         .memoryBarrierCount = 1,
                                                         .pMemoryBarriers = &hb});
    assert_int_equal(g.vk->vkEndCommandBuffer(cmd), VK_SUCCESS);
    /* after every upload: they all went through the transfer queue in order */
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = cmd};
    vkg_ticket done;
    assert_int_equal(vkg_submit(dev,
                                &(vkg_submit_desc){.role = VKG_QUEUE_COMPUTE,
                                                   .command_buffers = &cbi,
                                                   .command_buffer_count = 1,
                                                   .waits = &last,
                                                   .wait_count = 1,
                                                   .wait_stage = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT},
                                &done),
                     VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, done, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, simg_back, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint32_t *got = oi.mapped, *sgot = si.mapped;
    for (uint32_t i = 0; i < TEXTURES; i++) {
        uint32_t want = texel_value(which[i]);
        if (got[i] != want)
            fail_msg("invocation %u read 0x%08x through slot %u, texture %u holds 0x%08x", i,
                     got[i], tv[i], which[i], want);
        uint32_t k = i % STORAGE, x = i / STORAGE;
        if (sgot[k * STORAGE_WIDTH + x] != (want ^ 0xA5A5A5A5u))
            fail_msg("storage image %u texel %u: 0x%08x, want 0x%08x", k, x,
                     sgot[k * STORAGE_WIDTH + x], want ^ 0xA5A5A5A5u);
    }

    /* free everything after the dispatch; the slots come back once it completed (it has) */
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, slots, TEXTURES, &done, 1),
                     VKG_SUCCESS);
    vkg_bindless_get_stats(heap, &st);
    assert_int_equal(st.live[VKG_BINDLESS_SAMPLED_IMAGE], 0);
    assert_int_equal(st.pending[VKG_BINDLESS_SAMPLED_IMAGE], TEXTURES);

    g.vk->vkDestroyCommandPool(g.device, pool, NULL);
    g.vk->vkDestroyPipeline(g.device, g.pipeline, NULL);
    g.vk->vkDestroyPipelineLayout(g.device, g.layout, NULL);
    for (uint32_t k = 0; k < SAMPLERS; k++) g.vk->vkDestroySampler(g.device, samplers[k], NULL);
    vkg_bindless_destroy(heap);
    for (uint32_t i = 0; i < TEXTURES; i++) vkg_image_destroy(dev, tex[i]);
    for (uint32_t k = 0; k < STORAGE; k++) vkg_image_destroy(dev, simg[k]);
    vkg_buffer_destroy(dev, table);
    vkg_buffer_destroy(dev, out);
    vkg_buffer_destroy(dev, simg_back);
    vkg_uploader_destroy(up);
    free(which);
    free(tex);
    free(items);
    free(slots);
    vkgt_device_close(dev);
}

/* A freed slot is not handed out while the GPU may still read it; bad input takes nothing. */
static void test_slot_reuse_and_bad_input(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    if (!vkg_device_caps(dev)->descriptor_indexing) {
        vkgt_device_close(dev);
        skip();
    }
    vkg_bindless *heap = NULL;
    assert_int_equal(vkg_bindless_create(dev, &(vkg_bindless_desc){.name = "small",
                                                                   .capacity = {4, 1, 1}},
                                         &heap),
                     VKG_SUCCESS);
    vkg_image img, plain;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "img",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 4,
                                                             .height = 4},
                                      &img),
                     VKG_SUCCESS);
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "plain",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 4,
                                                             .height = 4,
                                                             .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                                      &plain),
                     VKG_SUCCESS);
    vkg_bindless_item four[4];
    for (uint32_t i = 0; i < 4; i++)
        four[i] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLED_IMAGE, .image = img};
    uint32_t idx[4];
    assert_int_equal(vkg_bindless_add(heap, four, 4, idx), VKG_SUCCESS);
    for (uint32_t i = 0; i < 4; i++) assert_int_equal(idx[i], i);

    /* slot 2 is freed after a submission the gate holds back */
    vkgt_gate gate;
    vkgt_gate_open(&gate, dev);
    vkg_ticket held = vkgt_gate_submit(&gate, VKG_QUEUE_GRAPHICS, 1);
    uint32_t two = 2, again;
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, &two, 1, &held, 1),
                     VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, four, 1, &again), VKG_ERROR_LIMIT);
    assert_true(vkgt_log_has("heap \"small\"", "0 free sampled image slots of 4",
                             "1 more wait for the GPU", NULL));
    vkg_bindless_stats st;
    vkg_bindless_get_stats(heap, &st);
    assert_int_equal(st.pending[VKG_BINDLESS_SAMPLED_IMAGE], 1);
    assert_int_equal(st.live[VKG_BINDLESS_SAMPLED_IMAGE], 3);
    /* freeing it again, or a slot that was never handed out */
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, &two, 1, &held, 1),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("sampled image slot 2 is already freed", NULL));
    uint32_t nine = 9;
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, &nine, 1, NULL, 0),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("sampled image slot 9 is outside the heap", NULL));
    uint32_t zero = 0;
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLER, &zero, 1, NULL, 0),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("sampler slot 0 is not in use", NULL));

    vkgt_gate_signal(&gate, 1);
    assert_int_equal(vkg_ticket_wait(dev, held, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_bindless_add(heap, four, 1, &again), VKG_SUCCESS);
    assert_int_equal(again, 2); /* the freed slot, now that its ticket completed */

    /* bad items: nothing is taken */
    uint32_t one = 1, out2[2];
    assert_int_equal(vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, &one, 1, NULL, 0),
                     VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 0); /* the gate's batch: complete, nothing deferred */
    vkg_bindless_item bad[2] = {{.kind = VKG_BINDLESS_SAMPLED_IMAGE, .image = img},
                                {.kind = VKG_BINDLESS_SAMPLED_IMAGE, .image = plain}};
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, bad, 2, out2), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("heap \"small\", item 1", "image \"plain\"",
                             "VK_IMAGE_USAGE_SAMPLED_BIT", NULL));
    bad[1] = (vkg_bindless_item){.kind = VKG_BINDLESS_STORAGE_IMAGE, .image = img,
                                 .layout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, bad, 2, out2), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("item 1", "storage image is read in VK_IMAGE_LAYOUT_GENERAL", NULL));
    bad[1] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLER};
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, bad, 2, out2), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("item 1", "a sampler item without a sampler", NULL));
    bad[1] = (vkg_bindless_item){.kind = (vkg_bindless_kind)7};
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, bad, 2, out2), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("item 1", "kind 7", NULL));
    vkg_image_destroy(dev, plain);
    bad[1] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLED_IMAGE, .image = plain};
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, bad, 2, out2), VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("item 1", "is not live", NULL));
    vkg_bindless_get_stats(heap, &st);
    assert_int_equal(st.live[VKG_BINDLESS_SAMPLED_IMAGE], 3); /* nothing taken */
    /* too many for the heap: the count is named */
    vkg_bindless_item five[5];
    for (uint32_t i = 0; i < 5; i++) five[i] = four[0];
    uint32_t out5[5];
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_add(heap, five, 5, out5), VKG_ERROR_LIMIT);
    assert_true(vkgt_log_has("1 free sampled image slots of 4", "5 asked", NULL));
    /* a capacity above the device's limit */
    vkg_bindless *huge = NULL;
    vkgt_log_clear();
    assert_int_equal(vkg_bindless_create(dev, &(vkg_bindless_desc){.name = "huge",
                                                                   .capacity = {UINT32_MAX, 1, 1}},
                                         &huge),
                     VKG_ERROR_LIMIT);
    assert_true(vkgt_log_has("heap \"huge\"", "sampled image slots asked", NULL));

    /* destroying the heap while a submission may still have it bound defers its objects */
    vkg_ticket held2 = vkgt_gate_submit(&gate, VKG_QUEUE_GRAPHICS, 2);
    (void)held2;
    vkg_lifetime_stats ls0, ls1;
    vkg_device_get_lifetime_stats(dev, &ls0);
    vkg_bindless_destroy(heap);
    vkg_device_get_lifetime_stats(dev, &ls1);
    assert_int_equal(ls1.pending, ls0.pending + 1);
    vkgt_gate_signal(&gate, 2);
    assert_int_equal(vkg_ticket_wait(dev, held2, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 1);
    vkgt_gate_close(&gate);
    vkg_image_destroy(dev, img);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_matches_caps),
        cmocka_unit_test(test_ten_thousand_textures),
        cmocka_unit_test(test_slot_reuse_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
