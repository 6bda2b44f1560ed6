/* The simulated queue families (VK_LAYER_VKGRAPH_simulate_families) can fail: under the
 * simulation the validation layer judges ownership transfers and per-family queue
 * capabilities as on a GPU with several families. A correct release/acquire pair across two
 * simulated families is silent and moves the data; the same work without its release is
 * reported; a clear recorded on a transfer-only family is reported. Every test asks for its
 * own shape, so it runs the same whatever VKG_SIMULATE_FAMILIES says. All Vulkan here is raw,
 * through the device's volk table. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <string.h>

#define SHAPE "gct:2,ct:2,t:1"
#define SIZE 16u
#define VALUE 0.5f

typedef struct rig {
    vkg_device *dev;
    vkg_device_vk vk;
    const struct VolkDeviceTable *t;
    vkg_image image;
    VkImage vimage;
    vkg_buffer readback;
    VkBuffer vreadback;
    float *mapped;
    VkCommandPool pools[VKG_QUEUE_ROLE_COUNT];
    VkCommandBuffer cmds[VKG_QUEUE_ROLE_COUNT];
    VkSemaphore handoff;
} rig;

static void rig_open(rig *r)
{
    memset(r, 0, sizeof *r);
    r->dev = vkgt_device_open(&(vkg_device_desc){.simulate_families = SHAPE});
    vkg_device_get_vk(r->dev, &r->vk);
    r->t = r->vk.device_table;
    assert_int_equal(vkg_image_create(r->dev,
                                      &(vkg_image_desc){.name = "shared", .width = SIZE,
                                                        .height = SIZE,
                                                        .format = VK_FORMAT_R32_SFLOAT},
                                      &r->image),
                     VKG_SUCCESS);
    vkg_image_info ii;
    assert_int_equal(vkg_image_get_info(r->dev, r->image, &ii), VKG_SUCCESS);
    r->vimage = ii.image;
    assert_int_equal(vkg_buffer_create(r->dev,
                                       &(vkg_buffer_desc){.name = "readback",
                                                          .size = SIZE * SIZE * 4,
                                                          .memory_usage = VKG_MEMORY_READBACK},
                                       &r->readback),
                     VKG_SUCCESS);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(r->dev, r->readback, &bi), VKG_SUCCESS);
    r->vreadback = bi.buffer;
    r->mapped = bi.mapped;
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
        VkCommandPoolCreateInfo cpi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                       .queueFamilyIndex = r->vk.queues[role].family};
        assert_int_equal(r->t->vkCreateCommandPool(r->vk.device, &cpi, NULL, &r->pools[role]),
                         VK_SUCCESS);
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = r->pools[role],
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        assert_int_equal(r->t->vkAllocateCommandBuffers(r->vk.device, &ai, &r->cmds[role]),
                         VK_SUCCESS);
        VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                          .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        assert_int_equal(r->t->vkBeginCommandBuffer(r->cmds[role], &begin), VK_SUCCESS);
    }
    VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    assert_int_equal(r->t->vkCreateSemaphore(r->vk.device, &sci, NULL, &r->handoff), VK_SUCCESS);
}

static void rig_close(rig *r, bool expect_clean)
{
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++)
        r->t->vkDestroyCommandPool(r->vk.device, r->pools[role], NULL);
    r->t->vkDestroySemaphore(r->vk.device, r->handoff, NULL);
    vkg_image_destroy(r->dev, r->image);
    vkg_buffer_destroy(r->dev, r->readback);
    if (expect_clean)
        vkgt_device_close(r->dev);
    else
        vkg_device_destroy(r->dev);
}

static const VkImageSubresourceRange whole = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};

static void image_barrier(VkCommandBuffer cb, const struct VolkDeviceTable *t,
                          const VkImageMemoryBarrier2 *b)
{
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                            .imageMemoryBarrierCount = 1,
                            .pImageMemoryBarriers = b};
    t->vkCmdPipelineBarrier2(cb, &dep);
}

/* Records a clear of the whole image to VALUE (from undefined contents) into `cb`. */
static void clear(rig *r, VkCommandBuffer cb)
{
    image_barrier(cb, r->t,
                  &(VkImageMemoryBarrier2){
                      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                      .dstStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT,
                      .dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                      .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                      .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                      .image = r->vimage,
                      .subresourceRange = whole});
    VkClearColorValue value = {.float32 = {VALUE}};
    r->t->vkCmdClearColorImage(cb, r->vimage, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &value, 1,
                               &whole);
}

/* The compute family clears the image; ownership moves to the graphics family, which copies
 * it into the readback buffer. `with_release` false drops the release half. */
static void handoff(rig *r, bool with_release)
{
    VkCommandBuffer producer = r->cmds[VKG_QUEUE_COMPUTE], consumer = r->cmds[VKG_QUEUE_GRAPHICS];
    uint32_t from = r->vk.queues[VKG_QUEUE_COMPUTE].family;
    uint32_t to = r->vk.queues[VKG_QUEUE_GRAPHICS].family;
    assert_int_not_equal(from, to);

    clear(r, producer);
    /* both halves name the same layouts, families and range; the release's destination and the
     * acquire's source scopes are left empty, as the spec has them ignored */
    VkImageMemoryBarrier2 transfer = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                                      .oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                      .newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                      .srcQueueFamilyIndex = from,
                                      .dstQueueFamilyIndex = to,
                                      .image = r->vimage,
                                      .subresourceRange = whole};
    VkImageMemoryBarrier2 release = transfer;
    release.srcStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT;
    release.srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
    if (with_release) image_barrier(producer, r->t, &release);

    VkImageMemoryBarrier2 acquire = transfer;
    acquire.dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
    acquire.dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT;
    image_barrier(consumer, r->t, &acquire);
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {SIZE, SIZE, 1}};
    r->t->vkCmdCopyImageToBuffer(consumer, r->vimage, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                 r->vreadback, 1, &region);
    VkMemoryBarrier2 host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                             .srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                             .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                             .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                             .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    r->t->vkCmdPipelineBarrier2(consumer,
                                &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                    .memoryBarrierCount = 1,
                                                    .pMemoryBarriers = &host});
    assert_int_equal(r->t->vkEndCommandBuffer(producer), VK_SUCCESS);
    assert_int_equal(r->t->vkEndCommandBuffer(consumer), VK_SUCCESS);

    VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = r->handoff,
                                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkCommandBufferSubmitInfo pcb = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = producer};
    VkSubmitInfo2 first = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                           .commandBufferInfoCount = 1,
                           .pCommandBufferInfos = &pcb,
                           .signalSemaphoreInfoCount = 1,
                           .pSignalSemaphoreInfos = &signal};
    VkSemaphoreSubmitInfo wait = signal;
    wait.stageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
    VkCommandBufferSubmitInfo ccb = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = consumer};
    VkSubmitInfo2 second = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                            .waitSemaphoreInfoCount = 1,
                            .pWaitSemaphoreInfos = &wait,
                            .commandBufferInfoCount = 1,
                            .pCommandBufferInfos = &ccb};
    VkQueue qc = r->vk.queues[VKG_QUEUE_COMPUTE].queue, qg = r->vk.queues[VKG_QUEUE_GRAPHICS].queue;
    assert_int_equal(r->t->vkQueueSubmit2(qc, 1, &first, VK_NULL_HANDLE), VK_SUCCESS);
    assert_int_equal(r->t->vkQueueSubmit2(qg, 1, &second, VK_NULL_HANDLE), VK_SUCCESS);
    assert_int_equal(r->t->vkQueueWaitIdle(qg), VK_SUCCESS);
    assert_int_equal(r->t->vkQueueWaitIdle(qc), VK_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(r->dev, r->readback, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
}

static void test_shape_is_simulated(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.simulate_families = SHAPE});
    const vkg_caps *caps = vkg_device_caps(dev);
    assert_true(caps->families_simulated);
    assert_int_equal(caps->queue_family_count, 3);
    assert_int_equal(caps->queue_families[0].flags & 7, 7); /* graphics|compute|transfer */
    assert_int_equal(caps->queue_families[0].queue_count, 2);
    assert_int_equal(caps->queue_families[1].flags & 7,
                     VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT);
    assert_int_equal(caps->queue_families[2].flags & 7, VK_QUEUE_TRANSFER_BIT);
    assert_int_equal(caps->queue_families[2].queue_count, 1);
    assert_int_equal(caps->role_family[VKG_QUEUE_GRAPHICS], 0);
    assert_int_equal(caps->role_family[VKG_QUEUE_COMPUTE], 1);
    assert_int_equal(caps->role_family[VKG_QUEUE_TRANSFER], 2);
    /* one dispatchable handle per simulated queue, though the driver has one queue */
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    assert_ptr_not_equal(vk.queues[VKG_QUEUE_GRAPHICS].queue, vk.queues[VKG_QUEUE_COMPUTE].queue);
    assert_ptr_not_equal(vk.queues[VKG_QUEUE_COMPUTE].queue, vk.queues[VKG_QUEUE_TRANSFER].queue);
    vkgt_device_close(dev);
}

static void test_bad_shape_is_refused(void **state)
{
    (void)state;
    vkgt_log_clear();
    vkg_device *dev = NULL;
    vkg_result r = vkg_device_create(
        &(vkg_device_desc){.simulate_families = "gct:2,cx:1", .logger = vkgt_logger()}, &dev);
    assert_int_equal(r, VKG_ERROR_INVALID_ARGUMENT);
    assert_null(dev);
    assert_true(vkgt_log_has("gct:2,cx:1", "family 1", "'x'", NULL));
}

static void test_ownership_transfer_is_silent_and_moves_data(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    handoff(&r, true);
    for (uint32_t i = 0; i < SIZE * SIZE; i++) assert_true(r.mapped[i] == VALUE);
    assert_int_equal(vkg_device_validation_count(r.dev), 0);
    rig_close(&r, true);
}

static void test_missing_release_is_reported(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    vkgt_log_clear();
    handoff(&r, false);
    assert_true(vkg_device_validation_count(r.dev) > 0);
    /* "acquiring ownership of VkImage ... has no matching release barrier" */
    assert_true(vkgt_log_has("VkImageMemoryBarrier-image-00004", "shared", NULL));
    rig_close(&r, false);
}

static void test_clear_on_transfer_family_is_reported(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    vkgt_log_clear();
    /* vkCmdClearColorImage needs a graphics or compute family; family 2 is transfer-only */
    clear(&r, r.cmds[VKG_QUEUE_TRANSFER]);
    assert_true(vkgt_log_has("VUID-vkCmdClearColorImage-commandBuffer-cmdpool", NULL));
    rig_close(&r, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_is_simulated),
        cmocka_unit_test(test_bad_shape_is_refused),
        cmocka_unit_test(test_ownership_transfer_is_silent_and_moves_data),
        cmocka_unit_test(test_missing_release_is_reported),
        cmocka_unit_test(test_clear_on_transfer_family_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
