/* History resources on a device, under validation + synchronization validation, on every
 * device variant: what one execution writes into NAME the next reads from NAME@prev, with
 * two frames in flight; NAME@prev starts zeroed when declared so; a resize (the plan
 * recompiled in place) starts the history again; binding a history resource is refused. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdio.h>
#include <string.h>

#define WORDS 16

typedef struct log_ctx {
    vkg_resource cur, prev, out;
    uint32_t frame;
} log_ctx;

/* cur = [frame + 1, prev[0 .. WORDS - 2]]: a log of the frames, newest first */
static void rec_shift(const vkg_pass_context *ctx, void *user)
{
    log_ctx *c = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    VkBufferCopy region = {0, 4, (WORDS - 1) * 4};
    vk->vkCmdCopyBuffer(cmd, vkg_pass_buffer(ctx, c->prev), vkg_pass_buffer(ctx, c->cur), 1, &region);
    vk->vkCmdFillBuffer(cmd, vkg_pass_buffer(ctx, c->cur), 0, 4, c->frame + 1);
}

static void rec_out(const vkg_pass_context *ctx, void *user)
{
    log_ctx *c = user;
    VkBufferCopy region = {0, 0, WORDS * 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, c->cur),
                                                vkg_pass_buffer(ctx, c->out), 1, &region);
}

static void test_buffer_history_carries_frames(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    log_ctx c = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "log", .logger = vkgt_logger()}, &g), VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "log", .size = WORDS * 4, .history = 1,
                                                                  .history_init = VKG_HISTORY_CLEAR},
                                      &c.cur),
                     VKG_SUCCESS);
    c.prev = vkg_graph_previous(g, c.cur);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "OUT", .size = WORDS * 4, .imported = true},
                                      &c.out),
                     VKG_SUCCESS);
    vkg_use shift[2] = {{c.prev, VKG_ACCESS_TRANSFER_READ}, {c.cur, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use out[2] = {{c.cur, VKG_ACCESS_TRANSFER_READ}, {c.out, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use host = {c.out, VKG_ACCESS_HOST_READ};
    /* the shift on the compute role: another family than the readback's where there is one */
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "shift", .queue = VKG_QUEUE_COMPUTE, .uses = shift,
                                                        .use_count = 2, .record = rec_shift, .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "out", .uses = out, .use_count = 2, .record = rec_out,
                                                        .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "host", .uses = &host, .use_count = 1}, NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "log", .frames_in_flight = 2}, &ex),
                     VKG_SUCCESS);
    vkg_buffer outs[2];
    vkg_buffer_info oi[2];
    for (uint32_t s = 0; s < 2; s++) {
        outs[s] = vkgt_readback_buffer(dev, "OUT", WORDS * 4);
        assert_int_equal(vkg_buffer_get_info(dev, outs[s], &oi[s]), VKG_SUCCESS);
    }
    /* binding a history resource is the executor's job */
    vkg_binding wrong[2] = {{c.out, .buffer = outs[0]}, {c.cur, .buffer = outs[1]}};
    vkgt_log_clear();
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = wrong, .binding_count = 2}, &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("bindings[1] binds buffer \"log\", a history resource", "drop the binding", NULL));
    vkg_ticket tickets[2] = {{0, 0}, {0, 0}};
    enum { FRAMES = 7 };
    for (c.frame = 0; c.frame < FRAMES + 2; c.frame++) {
        uint32_t s = c.frame % 2;
        if (c.frame >= 2) { /* frame - 2 in this slot: its log holds frames frame-2 .. 0 */
            uint32_t done = c.frame - 2;
            assert_int_equal(vkg_ticket_wait(dev, tickets[s], UINT64_MAX), VKG_SUCCESS);
            assert_int_equal(vkg_buffer_invalidate(dev, outs[s], 0, VK_WHOLE_SIZE), VKG_SUCCESS);
            const uint32_t *w = oi[s].mapped;
            for (uint32_t i = 0; i < WORDS; i++) assert_int_equal(w[i], i <= done ? done + 1 - i : 0);
            if (c.frame >= FRAMES) continue;
        }
        vkg_binding b = {.resource = c.out, .buffer = outs[s]};
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b, .binding_count = 1},
                                     &tickets[s]),
                         VKG_SUCCESS);
    }
    vkg_executor_destroy(ex);
    for (uint32_t s = 0; s < 2; s++) vkg_buffer_destroy(dev, outs[s]);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

typedef struct img_ctx {
    vkg_resource base, acc, prev, out;
    uint32_t frame;
} img_ctx;

/* out[0] = prev's texel (0, 0); acc = frame + 1 everywhere; base is only written */
static void rec_img(const vkg_pass_context *ctx, void *user)
{
    img_ctx *c = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    VkBufferImageCopy bic = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1}, .imageExtent = {1, 1, 1}};
    vk->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, c->prev), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                               vkg_pass_buffer(ctx, c->out), 1, &bic);
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkClearColorValue v = {.uint32 = {c->frame + 1, 0, 0, 0}};
    vk->vkCmdClearColorImage(cmd, vkg_pass_image(ctx, c->acc), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &v, 1, &range);
    vk->vkCmdClearColorImage(cmd, vkg_pass_image(ctx, c->base), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &v, 1, &range);
}

/* An image history sized from another image: a resize recompiles the plan in place, and the
 * history starts again from zero. */
static void test_image_history_resets_on_resize(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    img_ctx c = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "acc", .logger = vkgt_logger()}, &g), VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "base", .format = VK_FORMAT_R32_UINT,
                                                                .width = 8, .height = 8, .output = true},
                                     &c.base),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "acc", .format = VK_FORMAT_R32_UINT,
                                                                .size_of = c.base, .scale_x = 0.5f, .scale_y = 0.5f,
                                                                .history = 1, .history_init = VKG_HISTORY_CLEAR},
                                     &c.acc),
                     VKG_SUCCESS);
    c.prev = vkg_graph_previous(g, c.acc);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "OUT", .size = 16, .imported = true}, &c.out),
                     VKG_SUCCESS);
    vkg_use uses[4] = {{c.prev, VKG_ACCESS_TRANSFER_READ},
                       {c.acc, VKG_ACCESS_TRANSFER_WRITE},
                       {c.base, VKG_ACCESS_TRANSFER_WRITE},
                       {c.out, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use host = {c.out, VKG_ACCESS_HOST_READ};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "acc", .uses = uses, .use_count = 4, .record = rec_img,
                                                        .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "host", .uses = &host, .use_count = 1}, NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "acc"}, &ex), VKG_SUCCESS);
    vkg_buffer out = vkgt_readback_buffer(dev, "OUT", 16);
    vkg_buffer_info oi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    vkg_binding b = {.resource = c.out, .buffer = out};
    /* frames 0..3, then a resize, then frames 4..6: prev reads 0, 1, 2, 3 | 0, 5, 6 */
    const uint32_t want[7] = {0, 1, 2, 3, 0, 5, 6};
    for (c.frame = 0; c.frame < 7; c.frame++) {
        if (c.frame == 4) {
            assert_int_equal(vkg_graph_resize(g, c.base, 12, 6), VKG_SUCCESS);
            assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
        }
        vkg_ticket t;
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b, .binding_count = 1}, &t),
                         VKG_SUCCESS);
        assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
        assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
        assert_int_equal(((const uint32_t *)oi.mapped)[0], want[c.frame]);
    }
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_history_carries_frames),
        cmocka_unit_test(test_image_history_resets_on_resize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
