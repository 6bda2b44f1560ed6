/* Breadcrumbs, under validation + synchronization validation: a pass that stalls on the GPU
 * (waiting for an event the host sets only after the check) is reported as started and not
 * finished, the passes before it as finished and the one after it as not started, by name,
 * in vkg_device_lost_report and once in the log when the device is lost; with every pass
 * done the report says so. On one family and on the simulated families (where the copy
 * between the first passes runs on the transfer family's queue). */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define WORDS 64

typedef struct stall_ctx {
    vkg_resource a, b, c, out;
    VkEvent event; /* waited for by "stall"; VK_NULL_HANDLE: no wait */
} stall_ctx;

static void rec_fill(const vkg_pass_context *ctx, void *user)
{
    stall_ctx *s = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, s->a), 0,
                                                WORDS * 4, 5);
}

static void copy(const vkg_pass_context *ctx, vkg_resource from, vkg_resource to)
{
    VkBufferCopy region = {0, 0, WORDS * 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, from),
                                                vkg_pass_buffer(ctx, to), 1, &region);
}

static void rec_copy_ab(const vkg_pass_context *ctx, void *user)
{
    stall_ctx *s = user;
    copy(ctx, s->a, s->b);
}

/* Waits for a host-set event (vkCmdWaitEvents: the synchronization2 wait may not wait for
 * vkSetEvent), then copies. */
static void rec_stall(const vkg_pass_context *ctx, void *user)
{
    stall_ctx *s = user;
    if (s->event)
        vkg_pass_device_table(ctx)->vkCmdWaitEvents(vkg_pass_command_buffer(ctx), 1, &s->event,
                                                    VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                                                    NULL, 0, NULL, 0, NULL);
    copy(ctx, s->b, s->c);
}

static void rec_after(const vkg_pass_context *ctx, void *user)
{
    stall_ctx *s = user;
    copy(ctx, s->c, s->out);
}

static vkg_plan *make_plan(vkg_device *dev, stall_ctx *s, vkg_graph **g)
{
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "crumbs", .logger = vkgt_logger()}, g),
                     VKG_SUCCESS);
    vkg_graph_buffer_desc bd = {.size = WORDS * 4};
    bd.name = "A";
    assert_int_equal(vkg_graph_buffer(*g, &bd, &s->a), VKG_SUCCESS);
    bd.name = "B";
    assert_int_equal(vkg_graph_buffer(*g, &bd, &s->b), VKG_SUCCESS);
    bd.name = "C";
    assert_int_equal(vkg_graph_buffer(*g, &bd, &s->c), VKG_SUCCESS);
    bd.name = "OUT";
    bd.imported = true;
    assert_int_equal(vkg_graph_buffer(*g, &bd, &s->out), VKG_SUCCESS);
    vkg_use fill = {s->a, VKG_ACCESS_TRANSFER_WRITE};
    vkg_use ab[2] = {{s->a, VKG_ACCESS_TRANSFER_READ}, {s->b, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use bc[2] = {{s->b, VKG_ACCESS_TRANSFER_READ}, {s->c, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use co[2] = {{s->c, VKG_ACCESS_TRANSFER_READ}, {s->out, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use host = {s->out, VKG_ACCESS_HOST_READ};
    const vkg_pass_desc passes[5] = {
        {.name = "fill A", .uses = &fill, .use_count = 1, .record = rec_fill, .user = s},
        {.name = "copy_ab", .queue = VKG_QUEUE_TRANSFER, .uses = ab, .use_count = 2, .record = rec_copy_ab,
         .user = s},
        {.name = "stall", .uses = bc, .use_count = 2, .record = rec_stall, .user = s},
        {.name = "after", .uses = co, .use_count = 2, .record = rec_after, .user = s},
        {.name = "host", .uses = &host, .use_count = 1},
    };
    for (uint32_t i = 0; i < 5; i++) assert_int_equal(vkg_graph_pass(*g, &passes[i], NULL), VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(*g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    return plan;
}

static bool report_has(vkg_device *dev, const char *needle)
{
    char text[4096];
    size_t n = vkg_device_lost_report(dev, text, sizeof text);
    assert_true(n < sizeof text);
    return strstr(text, needle) != NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_stalled_pass_is_named(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    stall_ctx s = {0};
    VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    assert_int_equal(vk.device_table->vkCreateEvent(vk.device, &eci, NULL, &s.event), VK_SUCCESS);
    vkg_graph *g = NULL;
    vkg_plan *plan = make_plan(dev, &s, &g);
    vkg_buffer out = vkgt_readback_buffer(dev, "OUT", WORDS * 4);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "crumbs", .breadcrumbs = true}, &ex),
                     VKG_SUCCESS);
    /* before any execution: nothing to say but the device's state */
    assert_true(report_has(dev, "is not lost"));
    assert_false(report_has(dev, "execution"));

    vkg_binding b = {.resource = s.out, .buffer = out};
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b, .binding_count = 1}, &t),
                     VKG_SUCCESS);
    /* the GPU reaches the stall and stays there */
    bool reached = false;
    for (int i = 0; i < 1000 && !reached; i++) {
        reached = report_has(dev, "started, not finished: \"stall\" (#");
        if (!reached) sleep_ms(10);
    }
    assert_true(reached);
    sleep_ms(50);
    assert_false(vkg_ticket_complete(dev, t));

    vkgt_log_clear();
    vkg_device_debug_lose(dev);
    /* logged once, a line a message, naming the stalled pass and the finished ones */
    assert_true(vkgt_log_has("VK_ERROR_DEVICE_LOST: device \"", "\" is lost", NULL));
    assert_true(vkgt_log_has("VK_ERROR_DEVICE_LOST: executor \"crumbs\", plan \"crumbs\", execution 1", NULL));
    assert_true(vkgt_log_has("VK_ERROR_DEVICE_LOST:", "graphics queue", "passes finished, the last \"",
                             "started, not finished: \"stall\"", "not started: 2", NULL));
    char text[4096];
    assert_true(vkg_device_lost_report(dev, text, sizeof text) < sizeof text);
    assert_non_null(strstr(text, "is lost"));
    /* copy_ab finished: the last on the graphics queue before the stall (one family), or on
     * the transfer family's queue */
    assert_non_null(strstr(text, "passes finished, the last \"copy_ab\" (#1)"));
    assert_null(strstr(text, "started, not finished: \"after\""));
    /* a short buffer gets what fits, and the length of the whole */
    char small[16];
    assert_int_equal(vkg_device_lost_report(dev, small, sizeof small), strlen(text));
    assert_int_equal(strlen(small), sizeof small - 1);
    vkgt_log_clear();
    vkg_device_debug_lose(dev);
    assert_false(vkgt_log_contains("VK_ERROR_DEVICE_LOST"));

    /* let the GPU go, and clean up behind it */
    assert_int_equal(vk.device_table->vkSetEvent(vk.device, s.event), VK_SUCCESS);
    assert_int_equal(vk.device_table->vkDeviceWaitIdle(vk.device), VK_SUCCESS);
    vkg_executor_destroy(ex);
    vk.device_table->vkDestroyEvent(vk.device, s.event, NULL);
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* Frames with breadcrumbs: the marks of one frame never race the next frame's (validation
 * watches), the data still arrives, and at the end every pass reads finished. */
static void test_every_pass_finished(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    stall_ctx s = {0};
    vkg_graph *g = NULL;
    vkg_plan *plan = make_plan(dev, &s, &g);
    vkg_buffer out = vkgt_readback_buffer(dev, "OUT", WORDS * 4);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "steady", .breadcrumbs = true,
                                                                   .record_threads = 2,
                                                                   .passes_per_command_buffer = 1},
                                         &ex),
                     VKG_SUCCESS);
    vkg_binding b = {.resource = s.out, .buffer = out};
    vkg_ticket t = {0, 0};
    for (uint32_t f = 0; f < 5; f++)
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b, .binding_count = 1},
                                     &t),
                         VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &bi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    for (uint32_t i = 0; i < WORDS; i++) assert_int_equal(((const uint32_t *)bi.mapped)[i], 5);
    char text[4096];
    assert_true(vkg_device_lost_report(dev, text, sizeof text) < sizeof text);
    assert_non_null(strstr(text, "execution 5 (frame slot 0)"));
    assert_non_null(strstr(text, "execution 4 (frame slot 1)"));
    assert_null(strstr(text, "started, not finished"));
    assert_null(strstr(text, "not started"));
    vkg_executor_destroy(ex);
    assert_true(report_has(dev, "no executor keeps breadcrumbs"));
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalled_pass_is_named),
        cmocka_unit_test(test_every_pass_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
