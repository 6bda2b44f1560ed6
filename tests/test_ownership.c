/* Queue-family ownership across executions, under validation + synchronization validation.
 * On one family (lavapipe, SwiftShader) nothing moves; on the simulated families (the
 * .families variants: graphics, transfer and compute are three families) every step below
 * changes the owner, and the executor releases on the old family's queue and acquires in the
 * plan's first use by itself:
 *  - an imported image is cleared on graphics, partly rewritten on compute, partly rewritten
 *    on transfer and read back on graphics, in four executions of four plans that declare
 *    nothing about its state, without waiting between them; every texel must hold what its
 *    last writer wrote (the source buffer moves from compute to transfer on the way);
 *  - the same with every resource VK_SHARING_MODE_CONCURRENT (vkg_sharing): no transfers;
 *  - a concurrent graph resource bound to an exclusive object is refused by name;
 *  - a texture the uploader copied on its transfer queue is read on graphics. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <string.h>

#define W 16u
#define H 16u

typedef struct step {
    vkg_resource img, buf;
    uint32_t value; /* what this step writes */
} step;

static const VkImageSubresourceRange whole = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};

/* graphics: the whole image becomes A */
static void rec_clear(const vkg_pass_context *ctx, void *user)
{
    const step *s = user;
    VkClearColorValue c = {.uint32 = {s->value, 0, 0, 0}};
    vkg_pass_device_table(ctx)->vkCmdClearColorImage(vkg_pass_command_buffer(ctx),
                                                     vkg_pass_image(ctx, s->img),
                                                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &c, 1,
                                                     &whole);
}

/* rows [y0, y0 + rows) of the image from / to the buffer, at byte `at` of it */
static VkBufferImageCopy rows_region(VkDeviceSize at, uint32_t y0, uint32_t rows)
{
    return (VkBufferImageCopy){.bufferOffset = at,
                               .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                               .imageOffset = {0, (int32_t)y0, 0},
                               .imageExtent = {W, rows, 1}};
}

/* compute: rows [4, 8) from the source buffer's first block (22s) */
static void rec_compute(const vkg_pass_context *ctx, void *user)
{
    const step *s = user;
    VkBufferImageCopy part = rows_region(0, 4, 4);
    vkg_pass_device_table(ctx)->vkCmdCopyBufferToImage(
        vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, s->buf), vkg_pass_image(ctx, s->img),
        VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &part);
}

/* transfer: rows [8, 12) from the source buffer's second block (33s) */
static void rec_transfer(const vkg_pass_context *ctx, void *user)
{
    const step *s = user;
    VkBufferImageCopy part = rows_region((VkDeviceSize)W * 4 * 4, 8, 4);
    vkg_pass_device_table(ctx)->vkCmdCopyBufferToImage(
        vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, s->buf), vkg_pass_image(ctx, s->img),
        VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &part);
}

/* graphics: the image into the buffer */
static void rec_read(const vkg_pass_context *ctx, void *user)
{
    const step *s = user;
    VkBufferImageCopy all = rows_region(0, 0, H);
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(
        vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, s->img),
        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, s->buf), 1, &all);
}

/* A one-pass plan on `role` with the image and the buffer imported. */
static vkg_sharing sharing; /* of the graph resources and device objects of a test */

static vkg_plan *one_pass(vkg_device *dev, const char *name, vkg_queue_role role,
                          vkg_access image_access, vkg_access buffer_access, vkg_record_fn rec,
                          step *s)
{
    vkg_graph *g;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = name, .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g,
                                     &(vkg_graph_image_desc){.name = "img", .imported = true,
                                                             .format = VK_FORMAT_R32_UINT,
                                                             .width = W, .height = H,
                                                             .sharing = sharing},
                                     &s->img),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g,
                                      &(vkg_graph_buffer_desc){.name = "buf", .imported = true,
                                                               .size = W * H * 4,
                                                               .sharing = sharing},
                                      &s->buf),
                     VKG_SUCCESS);
    vkg_use uses[] = {{.resource = s->img, .access = image_access},
                      {.resource = s->buf, .access = buffer_access}};
    assert_int_equal(vkg_graph_pass(g,
                                    &(vkg_pass_desc){.name = name, .queue = role, .uses = uses,
                                                     .use_count = 2, .record = rec, .user = s,
                                                     .side_effects = true},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_graph_destroy(g);
    return plan;
}

/* Whether the device's queues use several families (simulated or real). */
static bool several_families(vkg_device *dev)
{
    const vkg_caps *c = vkg_device_caps(dev);
    return c->role_family[VKG_QUEUE_COMPUTE] != c->role_family[VKG_QUEUE_GRAPHICS] ||
           c->role_family[VKG_QUEUE_TRANSFER] != c->role_family[VKG_QUEUE_GRAPHICS];
}

static void four_executions(vkg_sharing how)
{
    sharing = how;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_executor *ex;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "owners"}, &ex),
                     VKG_SUCCESS);
    vkg_image image;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "owned", .width = W, .height = H,
                                                        .format = VK_FORMAT_R32_UINT,
                                                        .sharing = how},
                                      &image),
                     VKG_SUCCESS);
    /* the source: two blocks of four rows written by the host, 22s then 33s */
    vkg_buffer src, out;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "src", .size = W * H * 4,
                                                          .memory_usage = VKG_MEMORY_UPLOAD,
                                                          .sharing = how},
                                       &src),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "out", .size = W * H * 4,
                                                          .memory_usage = VKG_MEMORY_READBACK,
                                                          .sharing = how},
                                       &out),
                     VKG_SUCCESS);
    vkg_buffer_info si;
    assert_int_equal(vkg_buffer_get_info(dev, src, &si), VKG_SUCCESS);
    uint32_t *words = si.mapped;
    for (uint32_t i = 0; i < W * 4; i++) words[i] = 22, words[W * 4 + i] = 33;
    assert_int_equal(vkg_buffer_flush(dev, src, 0, VK_WHOLE_SIZE), VKG_SUCCESS);

    step steps[4] = {{.value = 11}};
    vkg_plan *plans[4] = {
        one_pass(dev, "graphics_clears", VKG_QUEUE_GRAPHICS, VKG_ACCESS_TRANSFER_WRITE,
                 VKG_ACCESS_TRANSFER_READ, rec_clear, &steps[0]),
        one_pass(dev, "compute_writes_rows_4_to_8", VKG_QUEUE_COMPUTE, VKG_ACCESS_TRANSFER_WRITE,
                 VKG_ACCESS_TRANSFER_READ, rec_compute, &steps[1]),
        one_pass(dev, "transfer_writes_rows_8_to_12", VKG_QUEUE_TRANSFER,
                 VKG_ACCESS_TRANSFER_WRITE, VKG_ACCESS_TRANSFER_READ, rec_transfer, &steps[2]),
        one_pass(dev, "graphics_reads", VKG_QUEUE_GRAPHICS, VKG_ACCESS_TRANSFER_READ,
                 VKG_ACCESS_TRANSFER_WRITE, rec_read, &steps[3]),
    };
    /* four executions, no host wait between them: the tickets and the tracked state order
     * them, and every step but the first keeps what the earlier ones wrote */
    vkg_ticket done = {0, 0};
    for (uint32_t i = 0; i < 4; i++) {
        vkg_binding b[] = {{steps[i].img, .image = image},
                           {steps[i].buf, .buffer = i == 3 ? out : src}};
        assert_int_equal(vkg_execute(plans[i], &(vkg_execute_desc){ex, b, 2}, &done), VKG_SUCCESS);
    }
    assert_int_equal(vkg_ticket_wait(dev, done, UINT64_MAX), VKG_SUCCESS);
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(dev, out, &info), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint32_t *texels = info.mapped;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint32_t want = y >= 4 && y < 8 ? 22 : y >= 8 && y < 12 ? 33 : 11;
            if (texels[y * W + x] != want)
                fail_msg("texel (%u, %u) is %u, want %u", x, y, texels[y * W + x], want);
        }
    /* concurrent resources need no ownership transfers, in the plans or at run time */
    for (uint32_t i = 0; i < 4 && how == VKG_SHARING_CONCURRENT; i++) {
        vkg_plan_info in;
        vkg_plan_get_info(plans[i], &in);
        assert_int_equal(in.stats.queue_transfers, 0);
        assert_true(in.resources[0].concurrent && in.resources[1].concurrent);
    }
    for (uint32_t i = 0; i < 4; i++) vkg_plan_destroy(plans[i]);
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, src);
    vkg_buffer_destroy(dev, out);
    vkg_image_destroy(dev, image);
    vkgt_device_close(dev);
}

static void test_image_moves_between_four_families_of_work(void **state)
{
    (void)state;
    four_executions(VKG_SHARING_EXCLUSIVE);
}

static void test_concurrent_resources_move_without_transfers(void **state)
{
    (void)state;
    four_executions(VKG_SHARING_CONCURRENT);
}

/* A graph resource declared concurrent bound to an exclusive object (or the reverse) is
 * refused by name where families differ; on one family the two are the same object. */
static void test_sharing_mismatch_is_refused(void **state)
{
    (void)state;
    sharing = VKG_SHARING_CONCURRENT;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_executor *ex;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "mismatch"}, &ex),
                     VKG_SUCCESS);
    vkg_image image;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "exclusive", .width = W,
                                                        .height = H, .format = VK_FORMAT_R32_UINT},
                                      &image),
                     VKG_SUCCESS);
    vkg_buffer out;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "out", .size = W * H * 4,
                                                          .sharing = VKG_SHARING_CONCURRENT},
                                       &out),
                     VKG_SUCCESS);
    step s = {0};
    vkg_plan *plan = one_pass(dev, "reads", VKG_QUEUE_GRAPHICS, VKG_ACCESS_TRANSFER_READ,
                              VKG_ACCESS_TRANSFER_WRITE, rec_read, &s);
    vkg_binding b[] = {{s.img, .image = image}, {s.buf, .buffer = out}};
    vkgt_log_clear();
    vkg_ticket done = {0, 0};
    vkg_result r = vkg_execute(plan, &(vkg_execute_desc){ex, b, 2}, &done);
    if (several_families(dev)) {
        assert_int_equal(r, VKG_ERROR_INVALID_ARGUMENT);
        assert_true(vkgt_log_has("image \"img\" is declared concurrent", "\"exclusive\"",
                                 "created exclusive", NULL));
    } else {
        assert_int_equal(r, VKG_SUCCESS);
        assert_int_equal(vkg_ticket_wait(dev, done, UINT64_MAX), VKG_SUCCESS);
    }
    vkg_plan_destroy(plan);
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, out);
    vkg_image_destroy(dev, image);
    vkgt_device_close(dev);
}

/* graphics: the uploaded texture into the buffer */
static void rec_texture_out(const vkg_pass_context *ctx, void *user)
{
    rec_read(ctx, user);
}

static void test_uploaded_texture_read_on_graphics(void **state)
{
    (void)state;
    sharing = VKG_SHARING_DEFAULT;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.name = "up"}, &up), VKG_SUCCESS);
    vkg_executor *ex;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "reader"}, &ex),
                     VKG_SUCCESS);
    vkg_image tex;
    assert_int_equal(vkg_image_create(dev,
                                      &(vkg_image_desc){.name = "texture", .width = W, .height = H,
                                                        .format = VK_FORMAT_R32_UINT},
                                      &tex),
                     VKG_SUCCESS);
    vkg_buffer out;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "out", .size = W * H * 4,
                                                          .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    uint32_t texels[W * H];
    for (uint32_t i = 0; i < W * H; i++) texels[i] = i * 7 + 1;
    vkg_ticket uploaded;
    assert_int_equal(vkg_upload_image(up,
                                      &(vkg_upload_image_desc){.image = tex, .data = texels,
                                                               .size = sizeof texels},
                                      &uploaded),
                     VKG_SUCCESS);
    step s = {0};
    vkg_plan *plan = one_pass(dev, "read_texture", VKG_QUEUE_GRAPHICS, VKG_ACCESS_TRANSFER_READ,
                              VKG_ACCESS_TRANSFER_WRITE, rec_texture_out, &s);
    vkg_binding b[] = {{s.img, .image = tex}, {s.buf, .buffer = out}};
    vkg_ticket done;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){ex, b, 2}, &done), VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, done, UINT64_MAX), VKG_SUCCESS);
    assert_true(vkg_ticket_complete(dev, uploaded));
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(dev, out, &info), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_memory_equal(info.mapped, texels, sizeof texels);
    vkg_plan_destroy(plan);
    vkg_executor_destroy(ex);
    vkg_uploader_destroy(up);
    vkg_buffer_destroy(dev, out);
    vkg_image_destroy(dev, tex);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_moves_between_four_families_of_work),
        cmocka_unit_test(test_concurrent_resources_move_without_transfers),
        cmocka_unit_test(test_sharing_mismatch_is_refused),
        cmocka_unit_test(test_uploaded_texture_read_on_graphics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
