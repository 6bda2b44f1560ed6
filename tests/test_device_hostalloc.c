/* Host allocation failure injected at every allocation point of device creation, resource
 * creation and destruction: each failure is a clean VKG_ERROR_OUT_OF_HOST_MEMORY, objects
 * created before it stay usable and destroyable, and nothing leaks (the counting allocator's
 * live count returns to zero; ASan checks the rest in the sanitizer build). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

/* Runs the scenario; returns the number of calls that failed with host OOM. */
static int scenario(vkgt_alloc_counter *counter)
{
    vkg_device_desc desc = {.allocator = vkgt_counting_allocator(counter),
                            .device_name = vkgt_device_want(),
                            .validation = true,
                            .logger = {.min_level = VKG_LOG_ERROR + 1}};
    vkg_device *dev = NULL;
    vkg_result r = vkg_device_create(&desc, &dev);
    if (r == VKG_ERROR_NO_DEVICE || r == VKG_ERROR_LOADER) exit(VKGT_SKIP);
    if (r != VKG_SUCCESS) {
        assert_int_equal(r, VKG_ERROR_OUT_OF_HOST_MEMORY);
        assert_null(dev);
        return 1;
    }
    int failures = 0;
    vkg_buffer b[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        r = vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "b", .size = 4096u << i}, &b[i]);
        if (r != VKG_SUCCESS) {
            assert_int_equal(r, VKG_ERROR_OUT_OF_HOST_MEMORY);
            assert_int_equal(b[i].id, 0);
            failures++;
        }
    }
    vkg_image img = {0};
    r = vkg_image_create(dev,
                         &(vkg_image_desc){.name = "img", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                           .width = 128, .height = 128, .mips = 3},
                         &img);
    if (r != VKG_SUCCESS) {
        assert_int_equal(r, VKG_ERROR_OUT_OF_HOST_MEMORY);
        failures++;
    }
    vkg_view view = {0};
    if (img.id) {
        r = vkg_view_create(dev, &(vkg_view_desc){.name = "v", .image = img, .base_mip = 1}, &view);
        if (r != VKG_SUCCESS) {
            assert_int_equal(r, VKG_ERROR_OUT_OF_HOST_MEMORY);
            failures++;
        }
    }
    /* earlier objects still work after a failure */
    for (int i = 0; i < 3; i++) {
        vkg_buffer_info info;
        if (b[i].id) assert_int_equal(vkg_buffer_get_info(dev, b[i], &info), VKG_SUCCESS);
    }
    vkg_view_destroy(dev, view);
    vkg_image_destroy(dev, img);
    vkg_buffer_destroy(dev, b[1]);
    /* b[0] and b[2] are left for the device to reclaim */
    assert_int_equal(vkg_device_validation_count(dev), 0);
    vkg_device_destroy(dev);
    return failures;
}

static void test_every_allocation_point(void **state)
{
    (void)state;
    vkgt_alloc_counter counter = {0};
    assert_int_equal(scenario(&counter), 0);
    assert_int_equal(counter.live, 0);
    uint64_t total = counter.calls;
    assert_true(total > 5);
    for (uint64_t fail = 1; fail <= total; fail++) {
        counter = (vkgt_alloc_counter){.fail_at = fail};
        int failures = scenario(&counter);
        assert_int_equal(counter.failures, 1);
        assert_int_equal(failures, 1);
        if (counter.live != 0) fail_msg("allocation %llu failed: %lld blocks leaked",
                                        (unsigned long long)fail, (long long)counter.live);
    }
    printf("host OOM injected at each of %llu allocation points: all clean\n",
           (unsigned long long)total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_allocation_point)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
