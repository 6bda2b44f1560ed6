/* Device layer on a real device (lavapipe or SwiftShader) under validation: creation and
 * capabilities, buffers, images and views with names, raw memory aliasing, stale handles,
 * bad input naming the object and rule, and importing a user's VkDevice. */
#include <volk.h> /* before vkgraph.h: volk needs VK_NO_PROTOTYPES first */

#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static vkg_device *dev;

static int setup(void **state)
{
    (void)state;
    dev = vkgt_device_open(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vkgt_device_close(dev);
    return 0;
}

static void test_caps(void **state)
{
    (void)state;
    const vkg_caps *c = vkg_device_caps(dev);
    const char *want = vkgt_device_want();
    if (want) assert_non_null(strcasestr(c->device_name, want));
    assert_true(VK_API_VERSION_MINOR(c->api_version) >= 3);
    assert_true(c->timeline_semaphore && c->synchronization2 && c->dynamic_rendering &&
                c->buffer_device_address);
    assert_true(c->queue_family_count >= 1);
    for (int r = 0; r < VKG_QUEUE_ROLE_COUNT; r++) assert_true(c->role_family[r] < c->queue_family_count);
    assert_true(c->queue_families[c->role_family[VKG_QUEUE_GRAPHICS]].flags & VK_QUEUE_GRAPHICS_BIT);
    assert_true(c->memory_type_count >= 1 && c->memory_heap_count >= 1);
    assert_true(c->buffer_image_granularity >= 1);

    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    assert_non_null(vk.instance);
    assert_non_null(vk.device);
    assert_non_null(vk.queues[VKG_QUEUE_GRAPHICS].queue);
    assert_non_null(vk.device_table);
    assert_non_null(vk.device_table->vkCmdPipelineBarrier2);
    assert_non_null(vk.device_table->vkQueueSubmit2);
}

/* vkgraph's family count is the driver's, asked for with the two-call idiom (SwiftShader
 * leaves a count preset by the caller as it was: asking once with 16 gave 16 families for its
 * one). Under VKG_SIMULATE_FAMILIES "the driver" is the simulated one. */
static void test_queue_family_count_matches_driver(void **state)
{
    (void)state;
    vkg_device *d = vkgt_device_open(NULL);
    vkg_device_vk vk;
    vkg_device_get_vk(d, &vk);
    PFN_vkGetPhysicalDeviceQueueFamilyProperties get =
        (PFN_vkGetPhysicalDeviceQueueFamilyProperties)vk.get_instance_proc_addr(
            vk.instance, "vkGetPhysicalDeviceQueueFamilyProperties");
    uint32_t n = 0;
    get(vk.physical_device, &n, NULL);
    const vkg_caps *caps = vkg_device_caps(d);
    assert_int_equal(caps->queue_family_count, n);
    for (uint32_t i = 0; i < n; i++) assert_true(caps->queue_families[i].queue_count > 0);
    vkgt_device_close(d);
}

static void test_buffers(void **state)
{
    (void)state;
    vkg_buffer gpu, up, rb;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "test.gpu", .size = 1 << 20},
                                       &gpu),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "test.upload", .size = 4096,
                                                          .memory_usage = VKG_MEMORY_UPLOAD},
                                       &up),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "test.readback", .size = 1000,
                                                          .memory_usage = VKG_MEMORY_READBACK},
                                       &rb),
                     VKG_SUCCESS);
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(dev, gpu, &info), VKG_SUCCESS);
    assert_non_null(info.buffer);
    assert_int_equal(info.size, 1 << 20);
    assert_int_not_equal(info.address, 0); /* default usage includes device address */

    assert_int_equal(vkg_buffer_get_info(dev, up, &info), VKG_SUCCESS);
    assert_non_null(info.mapped);
    memset(info.mapped, 0xab, 4096);
    assert_int_equal(vkg_buffer_flush(dev, up, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, rb, 10, 100), VKG_SUCCESS);

    /* bad ranges and kinds are refused with the buffer's name */
    vkgt_log_clear();
    assert_int_equal(vkg_buffer_flush(dev, up, 4000, 200), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_buffer_flush", "outside", NULL));
    assert_int_equal(vkg_buffer_get_info(dev, gpu, &info), VKG_SUCCESS);
    if (!info.mapped) { /* CPU devices (lavapipe) have only host-visible memory */
        assert_int_equal(vkg_buffer_flush(dev, gpu, 0, 16), VKG_ERROR_INVALID_ARGUMENT);
        assert_true(vkgt_log_has("host-visible", NULL));
    }

    vkg_buffer bad = {0};
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "empty"}, &bad),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("buffer \"empty\"", "size is 0", NULL));
    assert_int_equal(bad.id, 0);

    /* stale handles are detected, not dereferenced */
    vkg_buffer_destroy(dev, gpu);
    assert_int_equal(vkg_buffer_get_info(dev, gpu, &info), VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("stale", NULL));
    vkg_buffer_destroy(dev, gpu); /* warns, does nothing */
    assert_int_equal(vkg_buffer_get_info(dev, (vkg_buffer){0}, &info), VKG_ERROR_INVALID_HANDLE);
    vkg_buffer_destroy(dev, up);
    vkg_buffer_destroy(dev, rb);
}

static void test_images_and_views(void **state)
{
    (void)state;
    /* the formats `run --verify` must support (docs/run.md) */
    static const VkFormat formats[] = {VK_FORMAT_R32_UINT,        VK_FORMAT_R32_SFLOAT,
                                       VK_FORMAT_R8G8B8A8_UNORM,  VK_FORMAT_B8G8R8A8_UNORM,
                                       VK_FORMAT_R16G16B16A16_SFLOAT, VK_FORMAT_D32_SFLOAT};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "img%zu", i);
        vkg_image img;
        assert_int_equal(vkg_image_create(dev,
                                          &(vkg_image_desc){.name = name,
                                                            .format = formats[i],
                                                            .width = 64,
                                                            .height = 32,
                                                            .mips = 4,
                                                            .layers = 2},
                                          &img),
                         VKG_SUCCESS);
        vkg_image_info info;
        assert_int_equal(vkg_image_get_info(dev, img, &info), VKG_SUCCESS);
        assert_non_null(info.image);
        assert_non_null(info.view);
        assert_int_equal(info.mips, 4);
        assert_int_equal(info.layers, 2);
        assert_int_equal(info.aspect, vkg_format_aspect(formats[i]));

        vkg_view mip2;
        assert_int_equal(vkg_view_create(dev,
                                         &(vkg_view_desc){.name = "mip2", .image = img,
                                                          .base_mip = 2, .mip_count = 1,
                                                          .base_layer = 1, .layer_count = 1},
                                         &mip2),
                         VKG_SUCCESS);
        VkImageView vv;
        assert_int_equal(vkg_view_get_vk(dev, mip2, &vv), VKG_SUCCESS);
        assert_non_null(vv);

        /* destroying an image with a live view is refused, naming both counts */
        vkgt_log_clear();
        vkg_image_destroy(dev, img);
        assert_true(vkgt_log_has(name, "still has 1 views", NULL));
        assert_int_equal(vkg_image_get_info(dev, img, &info), VKG_SUCCESS);

        vkg_view_destroy(dev, mip2);
        vkg_image_destroy(dev, img);
        assert_int_equal(vkg_image_get_info(dev, img, &info), VKG_ERROR_INVALID_HANDLE);
    }

    vkgt_log_clear();
    vkg_image img;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "bloom",
                                                        .format = VK_FORMAT_R16G16B16A16_SFLOAT,
                                                        .width = 64, .height = 64, .mips = 9},
                                      &img),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("image \"bloom\"", "9 mips", "at most 7", NULL));
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "flat", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                        .width = 0, .height = 4},
                                      &img),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("image \"flat\"", "zero dimension", NULL));

    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "chain", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                        .width = 16, .height = 16, .mips = 5},
                                      &img),
                     VKG_SUCCESS);
    vkg_view v;
    assert_int_equal(vkg_view_create(dev,
                                     &(vkg_view_desc){.name = "past", .image = img,
                                                      .base_mip = 3, .mip_count = 4},
                                     &v),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("view \"past\"", "image \"chain\"", "mips [3, +4)", NULL));
    assert_int_equal(vkg_view_create(dev,
                                     &(vkg_view_desc){.name = "wrong", .image = img,
                                                      .aspect = VK_IMAGE_ASPECT_DEPTH_BIT},
                                     &v),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("view \"wrong\"", "aspect", NULL));
    vkg_image_destroy(dev, img);
}

static void test_aliasing(void **state)
{
    (void)state;
    /* Two buffers bound to one raw allocation see the same bytes. */
    vkg_buffer probe;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "probe", .size = 256,
                                                          .memory_usage = VKG_MEMORY_UPLOAD},
                                       &probe),
                     VKG_SUCCESS);
    vkg_buffer_info pinfo;
    assert_int_equal(vkg_buffer_get_info(dev, probe, &pinfo), VKG_SUCCESS);
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    VkMemoryRequirements reqs;
    vk.device_table->vkGetBufferMemoryRequirements(vk.device, pinfo.buffer, &reqs);
    vkg_buffer_destroy(dev, probe);

    reqs.size = 64 << 10;
    vkg_allocation heap;
    assert_int_equal(vkg_memory_alloc(dev,
                                      &(vkg_memory_desc){.name = "transient heap",
                                                         .requirements = reqs,
                                                         .usage = VKG_MEMORY_UPLOAD},
                                      &heap),
                     VKG_SUCCESS);
    vkg_buffer a, b;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "alias.a", .size = 256,
                                                          .memory = {heap, 0}},
                                       &a),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "alias.b", .size = 512,
                                                          .memory = {heap, 0}},
                                       &b),
                     VKG_SUCCESS);
    vkg_buffer_info ia, ib;
    assert_int_equal(vkg_buffer_get_info(dev, a, &ia), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, b, &ib), VKG_SUCCESS);
    assert_ptr_equal(ia.mapped, ib.mapped);
    ((uint32_t *)ia.mapped)[3] = 0xC0FFEE;
    assert_int_equal(((uint32_t *)ib.mapped)[3], 0xC0FFEE);

    vkg_memory_stats st;
    vkg_memory_get_stats(dev, &st);
    assert_int_equal(st.total.allocation_count, 1); /* the buffers own no memory */

    vkgt_log_clear();
    vkg_buffer c;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "alias.c", .size = 4096,
                                                          .memory = {heap, 63 << 10}},
                                       &c),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("buffer \"alias.c\"", "needs", NULL));
    vkg_buffer_destroy(dev, a);
    vkg_buffer_destroy(dev, b);
    vkg_memory_free(dev, heap);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "alias.d", .size = 16,
                                                          .memory = {heap, 0}},
                                       &c),
                     VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("buffer \"alias.d\"", "not live", NULL));
}

static void test_import(void **state)
{
    (void)state;
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    vkg_device_import_desc desc = {
        .get_instance_proc_addr = vk.get_instance_proc_addr,
        .instance = vk.instance,
        .physical_device = vk.physical_device,
        .device = vk.device,
        .logger = vkgt_logger(),
    };
    desc.queues[VKG_QUEUE_GRAPHICS].queue = vk.queues[VKG_QUEUE_GRAPHICS].queue;
    desc.queues[VKG_QUEUE_GRAPHICS].family = vk.queues[VKG_QUEUE_GRAPHICS].family;
    vkg_device *imported;
    assert_int_equal(vkg_device_import(&desc, &imported), VKG_SUCCESS);
    const vkg_caps *c = vkg_device_caps(imported);
    assert_string_equal(c->device_name, vkg_device_caps(dev)->device_name);
    /* roles without a queue fall back to the graphics queue */
    vkg_device_vk ivk;
    vkg_device_get_vk(imported, &ivk);
    assert_ptr_equal(ivk.queues[VKG_QUEUE_TRANSFER].queue, vk.queues[VKG_QUEUE_GRAPHICS].queue);
    vkg_buffer b;
    assert_int_equal(vkg_buffer_create(imported, &(vkg_buffer_desc){.name = "imported.buf", .size = 64},
                                       &b),
                     VKG_SUCCESS);
    vkg_buffer_destroy(imported, b);
    /* destroying the wrapper leaves the user's device alive */
    vkg_device_destroy(imported);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "after", .size = 64}, &b),
                     VKG_SUCCESS);
    vkg_buffer_destroy(dev, b);

    vkgt_log_clear();
    desc.queues[VKG_QUEUE_GRAPHICS].queue = VK_NULL_HANDLE;
    assert_int_equal(vkg_device_import(&desc, &imported), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("queues[VKG_QUEUE_GRAPHICS]", NULL));
}

static void test_pick_by_name(void **state)
{
    (void)state;
    vkgt_log_clear();
    vkg_device *none = NULL;
    vkg_device_desc desc = {.device_name = "no-such-gpu-xyz", .logger = vkgt_logger()};
    assert_int_equal(vkg_device_create(&desc, &none), VKG_ERROR_NO_DEVICE);
    assert_null(none);
    assert_true(vkgt_log_has("no-such-gpu-xyz", "devices:", NULL));

    vkg_physical_device_info infos[8];
    uint32_t count = 8, picked;
    assert_int_equal(vkg_enumerate_devices(NULL, infos, &count, &picked), VKG_SUCCESS);
    assert_true(count >= 1);
    assert_true(picked < count);
    assert_true(infos[picked].suitable);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_queue_family_count_matches_driver),
        cmocka_unit_test(test_buffers),
        cmocka_unit_test(test_images_and_views),
        cmocka_unit_test(test_aliasing),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_pick_by_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
