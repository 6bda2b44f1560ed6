/* Lifetimes (label timeline), under validation + synchronization validation: objects
 * destroyed while the GPU uses them survive until their last ticket (the layer would report
 * a destroyed-in-use object), scopes and frames free what they own, deferred callbacks run
 * once, and a simulated device loss wakes every waiter with VKG_ERROR_DEVICE_LOST. The GPU
 * is held back with the harness's gate. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <pthread.h>
#include <string.h>

/* Raw recording for the escape hatch: a pool on the graphics family. */
typedef struct raw {
    vkg_device *dev;
    VkDevice device;
    const struct VolkDeviceTable *vk;
    VkCommandPool pool;
} raw;

static void raw_open(raw *r, vkg_device *dev)
{
    memset(r, 0, sizeof *r);
    r->dev = dev;
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    r->device = dvk.device;
    r->vk = dvk.device_table;
    VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .queueFamilyIndex = dvk.queues[VKG_QUEUE_GRAPHICS].family};
    assert_int_equal(r->vk->vkCreateCommandPool(r->device, &ci, NULL, &r->pool), VK_SUCCESS);
}

/* A command buffer that fills the buffer with `value`. */
static VkCommandBuffer raw_fill(raw *r, vkg_buffer buffer, uint32_t value)
{
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(r->dev, buffer, &info), VKG_SUCCESS);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = r->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cb;
    assert_int_equal(r->vk->vkAllocateCommandBuffers(r->device, &ai, &cb), VK_SUCCESS);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    assert_int_equal(r->vk->vkBeginCommandBuffer(cb, &bi), VK_SUCCESS);
    r->vk->vkCmdFillBuffer(cb, info.buffer, 0, VK_WHOLE_SIZE, value);
    assert_int_equal(r->vk->vkEndCommandBuffer(cb), VK_SUCCESS);
    return cb;
}

/* Called once the GPU is idle. */
static void raw_close(raw *r)
{
    r->vk->vkDestroyCommandPool(r->device, r->pool, NULL);
}

static vkg_buffer make_buffer(vkg_device *dev, const char *name, vkg_scope *scope)
{
    vkg_buffer b;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = name, .size = 4096,
                                                               .scope = scope},
                                       &b),
                     VKG_SUCCESS);
    return b;
}

static uint32_t live_allocations(vkg_device *dev)
{
    vkg_memory_stats ms;
    vkg_memory_get_stats(dev, &ms);
    return ms.total.allocation_count;
}

static uint32_t pending(vkg_device *dev)
{
    vkg_lifetime_stats ls;
    vkg_device_get_lifetime_stats(dev, &ls);
    return ls.pending;
}

/* A buffer the caller's own gated submission fills is destroyed at once: its handle is
 * stale, its memory stays until the ticket completes, then the next poll frees it. */
static void test_destroy_waits_for_the_gpu(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    raw r;
    raw_open(&r, dev);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    uint32_t base = live_allocations(dev);
    vkg_buffer a = make_buffer(dev, "in flight", NULL);
    vkg_ticket t = vkgt_gate_submit_cb(&g, VKG_QUEUE_GRAPHICS, 1, raw_fill(&r, a, 7));
    assert_int_equal(vkg_buffer_mark_used(dev, a, t), VKG_SUCCESS);
    vkg_buffer_destroy(dev, a);
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(dev, a, &info), VKG_ERROR_INVALID_HANDLE);
    assert_int_equal(pending(dev), 1);
    assert_int_equal(live_allocations(dev), base + 1);
    assert_int_equal(vkg_device_poll(dev), 0); /* still behind the gate */
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 1);
    assert_int_equal(pending(dev), 0);
    assert_int_equal(live_allocations(dev), base);

    /* a buffer nobody used goes at once */
    vkg_buffer idle = make_buffer(dev, "idle", NULL);
    vkg_buffer_destroy(dev, idle);
    assert_int_equal(pending(dev), 0);
    assert_int_equal(live_allocations(dev), base);

    /* bad input */
    vkgt_log_clear();
    vkg_buffer b = make_buffer(dev, "b", NULL);
    assert_int_equal(vkg_buffer_mark_used(dev, b, (vkg_ticket){0, t.value + 100}),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_buffer_mark_used", "never issued", NULL));
    assert_int_equal(vkg_buffer_mark_used(dev, a, t), VKG_ERROR_INVALID_HANDLE);
    vkg_buffer_destroy(dev, b);
    vkgt_log_clear();
    vkg_buffer_destroy(dev, b);
    assert_true(vkgt_log_has("vkg_buffer_destroy", "stale", NULL));

    vkgt_gate_close(&g);
    raw_close(&r);
    vkgt_device_close(dev);
}

/* The executor's submissions count as uses: a plan's imported buffer destroyed right after
 * vkg_execute, while the submission is held behind a gated batch on the same queue, is kept
 * until the plan's ticket completes. */
typedef struct one_ctx {
    vkg_resource x;
} one_ctx;

static void rec_fill(const vkg_pass_context *ctx, void *user)
{
    one_ctx *c = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, c->x), 0, VK_WHOLE_SIZE, 5);
}

static void test_executor_uses_are_tracked(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_graph *gr = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "one", .logger = vkgt_logger()},
                                      &gr),
                     VKG_SUCCESS);
    one_ctx c;
    assert_int_equal(vkg_graph_buffer(gr, &(vkg_graph_buffer_desc){.name = "X", .size = 4096,
                                                                   .imported = true},
                                      &c.x),
                     VKG_SUCCESS);
    vkg_use u = {.resource = c.x, .access = VKG_ACCESS_TRANSFER_WRITE};
    assert_int_equal(vkg_graph_pass(gr, &(vkg_pass_desc){.name = "fill", .uses = &u,
                                                          .use_count = 1, .record = rec_fill,
                                                          .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(gr, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "ex"}, &ex),
                     VKG_SUCCESS);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_buffer x = make_buffer(dev, "X", NULL);
    uint32_t base = live_allocations(dev);
    /* the gated batch holds the queue's timeline below the plan's ticket */
    vkg_ticket held = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
    vkg_binding b = {.resource = c.x, .buffer = x};
    vkg_ticket t, done;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b,
                                                           .binding_count = 1},
                                 &done),
                     VKG_SUCCESS);
    assert_true(done.value > held.value);
    vkg_buffer_destroy(dev, x);
    assert_int_equal(pending(dev), 1);
    assert_int_equal(live_allocations(dev), base);
    /* executing again with the stale handle is refused by name */
    vkgt_log_clear();
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b,
                                                           .binding_count = 1},
                                 &t),
                     VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("\"one\"", "buffer \"X\"", "stale", NULL));
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, done, UINT64_MAX), VKG_SUCCESS);
    vkg_device_poll(dev);
    assert_int_equal(pending(dev), 0);
    assert_int_equal(live_allocations(dev), base - 1);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(gr);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

/* A scope frees everything still in it when closed: what the GPU still uses after its
 * ticket, the rest at once; objects destroyed earlier simply left it. */
static void test_scope_close(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    raw r;
    raw_open(&r, dev);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    uint32_t base = live_allocations(dev);
    vkg_scope *level = NULL;
    assert_int_equal(vkg_scope_create(dev, "level 1", &level), VKG_SUCCESS);
    vkg_buffer used = make_buffer(dev, "used", level);
    vkg_buffer early = make_buffer(dev, "early", level);
    vkg_buffer other = make_buffer(dev, "other", level);
    vkg_image img;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "albedo",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 16,
                                                             .height = 16,
                                                             .mips = 2,
                                                             .scope = level},
                                      &img),
                     VKG_SUCCESS);
    vkg_view mip1;
    assert_int_equal(vkg_view_create(dev, &(vkg_view_desc){.name = "albedo mip 1", .image = img,
                                                           .base_mip = 1, .scope = level},
                                     &mip1),
                     VKG_SUCCESS);
    vkg_lifetime_stats ls;
    vkg_device_get_lifetime_stats(dev, &ls);
    assert_int_equal(ls.scopes, 1);
    vkg_ticket t = vkgt_gate_submit_cb(&g, VKG_QUEUE_GRAPHICS, 1, raw_fill(&r, used, 1));
    assert_int_equal(vkg_buffer_mark_used(dev, used, t), VKG_SUCCESS);
    vkg_buffer_destroy(dev, early);
    assert_int_equal(live_allocations(dev), base + 3);

    vkg_scope_close(level);
    vkg_buffer_info bi;
    vkg_image_info ii;
    VkImageView vv;
    assert_int_equal(vkg_buffer_get_info(dev, used, &bi), VKG_ERROR_INVALID_HANDLE);
    assert_int_equal(vkg_buffer_get_info(dev, other, &bi), VKG_ERROR_INVALID_HANDLE);
    assert_int_equal(vkg_image_get_info(dev, img, &ii), VKG_ERROR_INVALID_HANDLE);
    assert_int_equal(vkg_view_get_vk(dev, mip1, &vv), VKG_ERROR_INVALID_HANDLE);
    assert_int_equal(pending(dev), 1); /* "used", behind the gate */
    assert_int_equal(live_allocations(dev), base + 1);
    vkg_device_get_lifetime_stats(dev, &ls);
    assert_int_equal(ls.scopes, 0);
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_device_poll(dev);
    assert_int_equal(pending(dev), 0);
    assert_int_equal(live_allocations(dev), base);

    /* an image whose view lives outside the scope is not destroyed with it */
    vkg_scope *s2 = NULL;
    assert_int_equal(vkg_scope_create(dev, "level 2", &s2), VKG_SUCCESS);
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "kept",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 8,
                                                             .height = 8,
                                                             .scope = s2},
                                      &img),
                     VKG_SUCCESS);
    vkg_view outside;
    assert_int_equal(vkg_view_create(dev, &(vkg_view_desc){.name = "outside", .image = img},
                                     &outside),
                     VKG_SUCCESS);
    vkgt_log_clear();
    vkg_scope_close(s2);
    assert_true(vkgt_log_has("image \"kept\"", "still has 1 views", NULL));
    assert_int_equal(vkg_image_get_info(dev, img, &ii), VKG_SUCCESS);
    vkg_view_destroy(dev, outside);
    vkg_image_destroy(dev, img);
    assert_int_equal(live_allocations(dev), base);

    vkgt_gate_close(&g);
    raw_close(&r);
    vkgt_device_close(dev);
}

/* Frame lifetime: a buffer made in each frame's scope dies with its frame, once the GPU has
 * finished that frame; with 2 frames in flight at most 2 frames' buffers are alive when a
 * frame begins. */
static void test_frame_lifetime(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.frames_in_flight = 2});
    raw r;
    raw_open(&r, dev);
    uint32_t base = live_allocations(dev);
    assert_null(vkg_frame_scope(dev));
    VkCommandBuffer cbs[8];
    for (uint32_t f = 0; f < 8; f++) {
        assert_int_equal(vkg_frame_begin(dev), VKG_SUCCESS);
        assert_int_equal(vkg_frame_index(dev), f);
        assert_true(live_allocations(dev) <= base + 2);
        vkg_buffer b = make_buffer(dev, "per frame", vkg_frame_scope(dev));
        cbs[f] = raw_fill(&r, b, f);
        VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                         .commandBuffer = cbs[f]};
        vkg_ticket t;
        assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                                            .command_buffers = &cbi,
                                                            .command_buffer_count = 1},
                                    &t),
                         VKG_SUCCESS);
        /* no mark_used: the frame's end covers everything submitted in it */
        assert_int_equal(vkg_frame_end(dev), VKG_SUCCESS);
        vkg_ticket ends[VKG_QUEUE_ROLE_COUNT];
        assert_int_equal(vkg_frame_tickets(dev, f, ends), VKG_SUCCESS);
        assert_true(ends[t.queue].value >= t.value);
    }
    vkgt_log_clear();
    assert_int_equal(vkg_frame_end(dev), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_frame_end", "no frame is open", NULL));
    assert_int_equal(vkg_frame_begin(dev), VKG_SUCCESS);
    assert_int_equal(vkg_frame_begin(dev), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_frame_begin", "still open", NULL));
    vkg_ticket ends[VKG_QUEUE_ROLE_COUNT];
    assert_int_equal(vkg_frame_tickets(dev, 3, ends), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_frame_tickets", "frame 3 is too old", NULL));
    assert_int_equal(vkg_frame_end(dev), VKG_SUCCESS);
    vkg_lifetime_stats ls;
    vkg_device_get_lifetime_stats(dev, &ls);
    assert_int_equal(ls.frame, 9);
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    assert_int_equal(dvk.device_table->vkDeviceWaitIdle(dvk.device), VK_SUCCESS);
    vkg_device_poll(dev);
    assert_int_equal(live_allocations(dev), base);
    raw_close(&r);
    vkgt_device_close(dev);
}

typedef struct called {
    int count;
    vkg_result result;
} called;

static void on_done(void *user, vkg_result result)
{
    called *c = user;
    c->count++;
    c->result = result;
}

/* vkg_defer: the callback runs once, after its tickets, from a poll. */
static void test_defer(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_ticket t = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
    called c = {0};
    assert_int_equal(vkg_defer(dev, &(vkg_defer_desc){.after = &t, .after_count = 1,
                                                      .callback = on_done, .user = &c}),
                     VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 0);
    assert_int_equal(c.count, 0);
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 1);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.result, VKG_SUCCESS);
    assert_int_equal(vkg_device_poll(dev), 0);
    assert_int_equal(c.count, 1);
    /* complete tickets: at once */
    assert_int_equal(vkg_defer(dev, &(vkg_defer_desc){.after = &t, .after_count = 1,
                                                      .callback = on_done, .user = &c}),
                     VKG_SUCCESS);
    assert_int_equal(c.count, 2);
    vkgt_log_clear();
    vkg_ticket never = {t.queue, t.value + 10};
    assert_int_equal(vkg_defer(dev, &(vkg_defer_desc){.after = &never, .after_count = 1,
                                                      .callback = on_done, .user = &c}),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_defer", "never issued", NULL));
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

typedef struct blocked {
    vkg_device *dev;
    vkg_ticket t;
    vkg_result r;
} blocked;

static void *wait_thread(void *arg)
{
    blocked *b = arg;
    b->r = vkg_ticket_wait(b->dev, b->t, UINT64_MAX);
    return NULL;
}

/* vkg_device_debug_lose: completion watches, a thread blocked in vkg_ticket_wait and
 * deferred callbacks all end with VKG_ERROR_DEVICE_LOST; later calls report it; the device
 * still destroys cleanly. */
static void test_device_lost_wakes_everything(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_ticket t1 = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
    vkg_ticket t2 = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 2);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 16, &cq), VKG_SUCCESS);
    assert_int_equal(vkg_cq_watch(cq, t1, 1), VKG_SUCCESS);
    assert_int_equal(vkg_cq_watch(cq, t2, 2), VKG_SUCCESS);
    called c = {0};
    assert_int_equal(vkg_defer(dev, &(vkg_defer_desc){.after = &t2, .after_count = 1,
                                                      .callback = on_done, .user = &c}),
                     VKG_SUCCESS);
    blocked b = {.dev = dev, .t = t2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &b), 0);
    assert_int_equal(vkg_cq_wait(cq, 1, 20000000), VKG_TIMEOUT);

    vkg_device_debug_lose(dev);
    pthread_join(th, NULL);
    assert_int_equal(b.r, VKG_ERROR_DEVICE_LOST);
    assert_int_equal(vkg_cq_wait(cq, 2, UINT64_MAX), VKG_SUCCESS);
    vkg_cqe e[4];
    assert_int_equal(vkg_cq_reap(cq, e, 4), 2);
    for (int i = 0; i < 2; i++) assert_int_equal(e[i].result, VKG_ERROR_DEVICE_LOST);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.result, VKG_ERROR_DEVICE_LOST);
    /* sticky */
    assert_int_equal(vkg_ticket_wait(dev, t1, 0), VKG_ERROR_DEVICE_LOST);
    assert_int_equal(vkg_frame_begin(dev), VKG_ERROR_DEVICE_LOST);
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS}, NULL),
                     VKG_ERROR_DEVICE_LOST);
    vkg_buffer buf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "late", .size = 16}, &buf),
                     VKG_ERROR_DEVICE_LOST);
    assert_int_equal(vkg_cq_watch(cq, t2, 3), VKG_SUCCESS);
    assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_cq_reap(cq, e, 4), 1);
    assert_int_equal(e[0].result, VKG_ERROR_DEVICE_LOST);
    vkg_cq_destroy(cq);
    /* the device is really alive: let its work finish before it is destroyed */
    vkgt_gate_signal(&g, 2);
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    assert_int_equal(dvk.device_table->vkDeviceWaitIdle(dvk.device), VK_SUCCESS);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_destroy_waits_for_the_gpu),
        cmocka_unit_test(test_executor_uses_are_tracked),
        cmocka_unit_test(test_scope_close),
        cmocka_unit_test(test_frame_lifetime),
        cmocka_unit_test(test_defer),
        cmocka_unit_test(test_device_lost_wakes_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
