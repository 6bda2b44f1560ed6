/* The suballocator on a real device: many resources share blocks, statistics add up, a heap
 * limit produces VKG_ERROR_OUT_OF_DEVICE_MEMORY naming the request while everything earlier
 * stays intact, and freeing returns the memory. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

static void test_many_resources_share_blocks(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    enum { N = 64 };
    vkg_buffer bufs[N];
    vkg_image imgs[N / 4];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "buf%d", i);
        assert_int_equal(vkg_buffer_create(dev,
                                           &(vkg_buffer_desc){.name = name,
                                                              .size = 1000 + (VkDeviceSize)i * 3000},
                                           &bufs[i]),
                         VKG_SUCCESS);
    }
    for (int i = 0; i < N / 4; i++)
        assert_int_equal(vkg_image_create(dev,
                                          &(vkg_image_desc){.name = "img",
                                                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                            .width = 64 + 16 * (uint32_t)i,
                                                            .height = 64},
                                          &imgs[i]),
                         VKG_SUCCESS);
    vkg_memory_stats st;
    vkg_memory_get_stats(dev, &st);
    assert_int_equal(st.total.allocation_count, N + N / 4);
    /* suballocated: far fewer VkDeviceMemory objects than resources */
    assert_true(st.total.block_count < 8);
    assert_true(st.total.bytes_used <= st.total.bytes_reserved);
    VkDeviceSize heap_sum = 0;
    for (uint32_t h = 0; h < VKG_MAX_MEMORY_HEAPS; h++) heap_sum += st.heap_reserved[h];
    assert_int_equal(heap_sum, st.total.bytes_reserved);

    /* the bound ranges of live buffers never overlap */
    for (int i = 0; i < N; i++) {
        vkg_buffer_info bi;
        assert_int_equal(vkg_buffer_get_info(dev, bufs[i], &bi), VKG_SUCCESS);
        vkg_allocation_info ai;
        assert_int_equal(vkg_memory_info(dev, bi.allocation, &ai), VKG_SUCCESS);
        for (int j = 0; j < i; j++) {
            vkg_buffer_info bj;
            vkg_allocation_info aj;
            assert_int_equal(vkg_buffer_get_info(dev, bufs[j], &bj), VKG_SUCCESS);
            assert_int_equal(vkg_memory_info(dev, bj.allocation, &aj), VKG_SUCCESS);
            if (ai.memory != aj.memory) continue;
            assert_true(ai.offset + ai.size <= aj.offset || aj.offset + aj.size <= ai.offset);
        }
    }
    for (int i = 0; i < N; i++) vkg_buffer_destroy(dev, bufs[i]);
    for (int i = 0; i < N / 4; i++) vkg_image_destroy(dev, imgs[i]);
    vkg_memory_get_stats(dev, &st);
    assert_int_equal(st.total.allocation_count, 0);
    assert_int_equal(st.total.bytes_used, 0);
    vkgt_device_close(dev);
}

static void test_heap_limit_out_of_memory(void **state)
{
    (void)state;
    vkg_device_desc desc = {.memory = {.heap_size_limit = 8u << 20}};
    vkg_device *dev = vkgt_device_open(&desc);
    vkg_buffer keep;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "keep", .size = 1 << 20,
                                                          .memory_usage = VKG_MEMORY_UPLOAD},
                                       &keep),
                     VKG_SUCCESS);
    vkg_buffer_info ki;
    assert_int_equal(vkg_buffer_get_info(dev, keep, &ki), VKG_SUCCESS);
    memset(ki.mapped, 0x5a, 1 << 20);

    vkgt_log_clear();
    vkg_image big;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "hdr.target",
                                                        .format = VK_FORMAT_R16G16B16A16_SFLOAT,
                                                        .width = 2048, .height = 2048},
                                      &big),
                     VKG_ERROR_OUT_OF_DEVICE_MEMORY);
    assert_int_equal(big.id, 0);
    assert_true(vkgt_log_has("out of device memory", "hdr.target", NULL));

    /* what existed is untouched and the device keeps working */
    assert_int_equal(vkg_buffer_get_info(dev, keep, &ki), VKG_SUCCESS);
    assert_int_equal(((uint8_t *)ki.mapped)[12345], 0x5a);
    vkg_memory_stats st;
    vkg_memory_get_stats(dev, &st);
    assert_int_equal(st.total.allocation_count, 1);
    vkg_image small;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "small",
                                                        .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                        .width = 256, .height = 256},
                                      &small),
                     VKG_SUCCESS);
    vkg_image_destroy(dev, small);
    vkg_buffer_destroy(dev, keep);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_resources_share_blocks),
        cmocka_unit_test(test_heap_limit_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
