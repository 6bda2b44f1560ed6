/* Swapchain images as imported resources, on a headless surface (VK_EXT_headless_surface),
 * under validation + synchronization validation: every frame acquires an image, a graph
 * clears it to the frame's colour, copies a texel to a readback buffer and presents it; the
 * executor waits on the acquire semaphore, transitions for present and signals the
 * semaphore vkQueuePresentKHR waits on. Skipped (77) where the driver has no headless
 * surface. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdio.h>
#include <string.h>

#define FRAMES 7
#define MAX_IMAGES 8

typedef struct frame_ctx {
    vkg_resource back, out;
    uint32_t frame;
} frame_ctx;

static void rec_clear(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkClearColorValue c = {.float32 = {(float)(f->frame + 1) / 255.0f, 0.0f, 0.0f, 1.0f}};
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkg_pass_device_table(ctx)->vkCmdClearColorImage(vkg_pass_command_buffer(ctx),
                                                     vkg_pass_image(ctx, f->back),
                                                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &c,
                                                     1, &range);
}

static void rec_read(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkBufferImageCopy region = {.bufferOffset = 4 * f->frame,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {1, 1, 1}};
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(
        vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, f->back),
        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, f->out), 1, &region);
}

static void test_swapchain_frames(void **state)
{
    (void)state;
    const char *inst_exts[] = {"VK_KHR_surface", "VK_EXT_headless_surface"};
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.instance_extensions = inst_exts,
                                                          .instance_extension_count = 2,
                                                          .swapchain = true});
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    const struct VolkDeviceTable *vk = dvk.device_table;
    PFN_vkCreateHeadlessSurfaceEXT create_surface =
        (PFN_vkCreateHeadlessSurfaceEXT)dvk.get_instance_proc_addr(dvk.instance,
                                                                   "vkCreateHeadlessSurfaceEXT");
    PFN_vkDestroySurfaceKHR destroy_surface =
        (PFN_vkDestroySurfaceKHR)dvk.get_instance_proc_addr(dvk.instance, "vkDestroySurfaceKHR");
    PFN_vkGetPhysicalDeviceSurfaceFormatsKHR get_formats =
        (PFN_vkGetPhysicalDeviceSurfaceFormatsKHR)dvk.get_instance_proc_addr(
            dvk.instance, "vkGetPhysicalDeviceSurfaceFormatsKHR");
    PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR get_caps =
        (PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR)dvk.get_instance_proc_addr(
            dvk.instance, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
    PFN_vkGetPhysicalDeviceSurfaceSupportKHR get_support =
        (PFN_vkGetPhysicalDeviceSurfaceSupportKHR)dvk.get_instance_proc_addr(
            dvk.instance, "vkGetPhysicalDeviceSurfaceSupportKHR");
    assert_non_null(create_surface);
    VkSurfaceKHR surface;
    assert_int_equal(create_surface(dvk.instance,
                                    &(VkHeadlessSurfaceCreateInfoEXT){
                                        .sType = VK_STRUCTURE_TYPE_HEADLESS_SURFACE_CREATE_INFO_EXT},
                                    NULL, &surface),
                     VK_SUCCESS);
    VkBool32 supported = VK_FALSE;
    get_support(dvk.physical_device, dvk.queues[VKG_QUEUE_GRAPHICS].family, surface, &supported);
    assert_true(supported);
    VkSurfaceCapabilitiesKHR sc;
    assert_int_equal(get_caps(dvk.physical_device, surface, &sc), VK_SUCCESS);
    VkSurfaceFormatKHR formats[32];
    uint32_t nf = 0;
    get_formats(dvk.physical_device, surface, &nf, NULL);
    nf = nf < 32 ? nf : 32;
    get_formats(dvk.physical_device, surface, &nf, formats);
    assert_true(nf > 0);
    VkFormat format = formats[0].format;
    for (uint32_t i = 0; i < nf; i++)
        if (formats[i].format == VK_FORMAT_B8G8R8A8_UNORM) format = formats[i].format;
    VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    assert_true((sc.supportedUsageFlags & usage) == usage);
    VkExtent2D extent = {64, 48};
    uint32_t want = sc.minImageCount + 1;
    if (sc.maxImageCount && want > sc.maxImageCount) want = sc.maxImageCount;
    VkSwapchainKHR swapchain;
    assert_int_equal(vk->vkCreateSwapchainKHR(
                         dvk.device,
                         &(VkSwapchainCreateInfoKHR){
                             .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
                             .surface = surface,
                             .minImageCount = want,
                             .imageFormat = format,
                             .imageColorSpace = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR,
                             .imageExtent = extent,
                             .imageArrayLayers = 1,
                             .imageUsage = usage,
                             .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
                             .preTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR,
                             .compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR,
                             .presentMode = VK_PRESENT_MODE_FIFO_KHR,
                             .clipped = VK_TRUE},
                         NULL, &swapchain),
                     VK_SUCCESS);
    VkImage images[MAX_IMAGES];
    uint32_t ni = MAX_IMAGES;
    assert_int_equal(vk->vkGetSwapchainImagesKHR(dvk.device, swapchain, &ni, images), VK_SUCCESS);
    vkg_image wrapped[MAX_IMAGES];
    VkSemaphore done[MAX_IMAGES]; /* per image: a present may still wait on the last one */
    for (uint32_t i = 0; i < ni; i++) {
        char name[32];
        snprintf(name, sizeof name, "swapchain %u", i);
        assert_int_equal(vkg_image_import(dev,
                                          &(vkg_image_import_desc){.name = name,
                                                                   .image = images[i],
                                                                   .format = format,
                                                                   .width = extent.width,
                                                                   .height = extent.height,
                                                                   .usage = usage},
                                          &wrapped[i]),
                         VKG_SUCCESS);
        assert_int_equal(vk->vkCreateSemaphore(dvk.device,
                                               &(VkSemaphoreCreateInfo){
                                                   .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                               NULL, &done[i]),
                         VK_SUCCESS);
    }

    /* the graph: clear, read one texel back, present */
    frame_ctx f = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "swap", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "backbuffer",
                                                               .format = format,
                                                               .width = extent.width,
                                                               .height = extent.height,
                                                               .imported = true},
                                     &f.back),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "texels", .size = 4 * FRAMES,
                                                                 .imported = true},
                                      &f.out),
                     VKG_SUCCESS);
    vkg_use clear[] = {{.resource = f.back, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use read[] = {{.resource = f.back, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f.out, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use present[] = {{.resource = f.back, .access = VKG_ACCESS_PRESENT}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "clear", .uses = clear, .use_count = 1,
                                                        .record = rec_clear, .user = &f},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "read", .uses = read, .use_count = 2,
                                                        .record = rec_read, .user = &f},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "present", .uses = present,
                                                        .use_count = 1},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_buffer out;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "texels", .size = 4 * FRAMES,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "swap",
                                                                   .frames_in_flight = 2},
                                         &ex),
                     VKG_SUCCESS);
    VkSemaphore acquired[2];
    for (uint32_t i = 0; i < 2; i++)
        assert_int_equal(vk->vkCreateSemaphore(dvk.device,
                                               &(VkSemaphoreCreateInfo){
                                                   .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                               NULL, &acquired[i]),
                         VK_SUCCESS);
    VkQueue queue = dvk.queues[VKG_QUEUE_GRAPHICS].queue;
    vkg_ticket t = {0, 0}, slot_ticket[2] = {{0, 0}, {0, 0}};
    for (f.frame = 0; f.frame < FRAMES; f.frame++) {
        uint32_t s = f.frame % 2;
        /* the acquire semaphore of this slot was waited on by the slot's last frame */
        assert_int_equal(vkg_ticket_wait(dev, slot_ticket[s], UINT64_MAX), VKG_SUCCESS);
        uint32_t idx;
        assert_int_equal(vk->vkAcquireNextImageKHR(dvk.device, swapchain, UINT64_MAX, acquired[s],
                                                   VK_NULL_HANDLE, &idx),
                         VK_SUCCESS);
        vkg_binding binds[] = {{.resource = f.back,
                                .image = wrapped[idx],
                                .wait_semaphore = acquired[s],
                                .signal_semaphore = done[idx]},
                               {.resource = f.out, .buffer = out}};
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = binds,
                                                              .binding_count = 2},
                                     &t),
                         VKG_SUCCESS);
        slot_ticket[s] = t;
        VkResult pr = vk->vkQueuePresentKHR(queue,
                                            &(VkPresentInfoKHR){
                                                .sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                                                .waitSemaphoreCount = 1,
                                                .pWaitSemaphores = &done[idx],
                                                .swapchainCount = 1,
                                                .pSwapchains = &swapchain,
                                                .pImageIndices = &idx});
        assert_true(pr == VK_SUCCESS || pr == VK_SUBOPTIMAL_KHR);
    }
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vk->vkQueueWaitIdle(queue), VK_SUCCESS);
    vkg_buffer_info oi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint8_t *texels = oi.mapped;
    for (uint32_t i = 0; i < FRAMES; i++) {
        /* red is byte 2 of B8G8R8A8, byte 0 of R8G8B8A8 */
        uint8_t red = format == VK_FORMAT_B8G8R8A8_UNORM ? texels[4 * i + 2] : texels[4 * i];
        assert_int_equal(red, i + 1);
    }

    vkg_executor_destroy(ex);
    for (uint32_t i = 0; i < 2; i++) vk->vkDestroySemaphore(dvk.device, acquired[i], NULL);
    for (uint32_t i = 0; i < ni; i++) {
        vkg_image_destroy(dev, wrapped[i]); /* the record only: the swapchain owns the image */
        vk->vkDestroySemaphore(dvk.device, done[i], NULL);
    }
    vk->vkDestroySwapchainKHR(dvk.device, swapchain, NULL);
    destroy_surface(dvk.instance, surface, NULL);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, out);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swapchain_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
