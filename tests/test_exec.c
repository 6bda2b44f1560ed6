/* The executor on a device, under validation + synchronization validation: transient
 * buffers and images realised and aliased, imported state carried across frames and plans,
 * frames in flight, and bad input to vkg_execute. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdio.h>
#include <string.h>

#define FRAMES 6
#define WORDS 64

typedef struct frame_ctx {
    vkg_resource h, t, out, img;
    uint32_t frame;
} frame_ctx;

static void rec_save(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkBufferCopy region = {0, 0, WORDS * 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, f->h),
                                                vkg_pass_buffer(ctx, f->t), 1, &region);
}

static void rec_stamp(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, f->h), 0, WORDS * 4,
                                                100 + f->frame);
}

static void rec_clear_image(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkClearColorValue c = {.uint32 = {f->frame + 1, 0, 0, 0}};
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkg_pass_device_table(ctx)->vkCmdClearColorImage(vkg_pass_command_buffer(ctx),
                                                     vkg_pass_image(ctx, f->img),
                                                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &c, 1,
                                                     &range);
}

static void rec_image_out(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkBufferImageCopy region = {.bufferOffset = 4 * (32 + f->frame),
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {1, 1, 1}};
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(
        vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, f->img),
        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, f->out), 1, &region);
}

static void rec_log(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkBufferCopy region = {0, f->frame * 4, 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, f->t),
                                                vkg_pass_buffer(ctx, f->out), 1, &region);
    rec_image_out(ctx, user);
}

/* Every frame: T = H (copy), H = 100 + frame (fill: write-after-read), OUT[frame] = T[0];
 * a transient image is cleared to frame + 1 and one texel copied to OUT[32 + frame]. H and
 * OUT are imported: their state crosses frames, which overlap (2 in flight). */
static void test_history_across_frames(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "history",
                                                        .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    frame_ctx f = {0};
    assert_int_equal(vkg_graph_buffer(g,
                                      &(vkg_graph_buffer_desc){.name = "H",
                                                               .size = WORDS * 4,
                                                               .imported = true},
                                      &f.h),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "T", .size = WORDS * 4},
                                      &f.t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g,
                                      &(vkg_graph_buffer_desc){.name = "OUT",
                                                               .size = WORDS * 4,
                                                               .imported = true},
                                      &f.out),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g,
                                     &(vkg_graph_image_desc){.name = "img",
                                                             .format = VK_FORMAT_R32_UINT,
                                                             .width = 4,
                                                             .height = 4},
                                     &f.img),
                     VKG_SUCCESS);
    vkg_use save[] = {{.resource = f.h, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f.t, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use stamp[] = {{.resource = f.h, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use clear[] = {{.resource = f.img, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use logu[] = {{.resource = f.t, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f.img, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f.out, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_pass_desc passes[] = {
        {.name = "save", .queue = VKG_QUEUE_TRANSFER, .uses = save, .use_count = 2,
         .record = rec_save, .user = &f},
        {.name = "stamp", .queue = VKG_QUEUE_TRANSFER, .uses = stamp, .use_count = 1,
         .record = rec_stamp, .user = &f},
        {.name = "clear", .queue = VKG_QUEUE_GRAPHICS, .uses = clear, .use_count = 1,
         .record = rec_clear_image, .user = &f},
        {.name = "log", .queue = VKG_QUEUE_GRAPHICS, .uses = logu, .use_count = 3,
         .record = rec_log, .user = &f},
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(vkg_graph_pass(g, &passes[i], NULL), VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile_ex(g,
                                    &(vkg_compile_desc){.caps = vkg_device_caps(dev),
                                                        .requirements = vkg_device_requirements,
                                                        .requirements_user = dev},
                                    &plan),
                     VKG_SUCCESS);

    vkg_buffer h, out;
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "H",
                                                          .size = WORDS * 4,
                                                          .memory_usage = VKG_MEMORY_UPLOAD},
                                       &h),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev,
                                       &(vkg_buffer_desc){.name = "OUT",
                                                          .size = WORDS * 4,
                                                          .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    vkg_buffer_info hi, oi;
    assert_int_equal(vkg_buffer_get_info(dev, h, &hi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    for (uint32_t i = 0; i < WORDS; i++) ((uint32_t *)hi.mapped)[i] = 7;
    assert_int_equal(vkg_buffer_flush(dev, h, 0, VK_WHOLE_SIZE), VKG_SUCCESS);

    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "test"}, &ex),
                     VKG_SUCCESS);
    vkg_binding binds[] = {{.resource = f.h, .buffer = h}, {.resource = f.out, .buffer = out}};
    vkg_ticket t = {0, 0};
    for (f.frame = 0; f.frame < FRAMES; f.frame++) {
        /* record callbacks read f.frame while vkg_execute records */
        assert_int_equal(vkg_execute(plan,
                                     &(vkg_execute_desc){.executor = ex,
                                                         .bindings = binds,
                                                         .binding_count = 2},
                                     &t),
                         VKG_SUCCESS);
        assert_true(t.value > 0);
    }
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    assert_true(vkg_ticket_complete(dev, t));
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint32_t *o = oi.mapped;
    for (uint32_t i = 0; i < FRAMES; i++) {
        assert_int_equal(o[i], i == 0 ? 7u : 100u + i - 1);
        assert_int_equal(o[32 + i], i + 1);
    }

    /* bad input: a missing binding, a stale handle, a wrong size */
    vkgt_log_clear();
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = binds,
                                                          .binding_count = 1},
                                 &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("imported buffer \"OUT\" has no binding", NULL));
    /* a binding the plan would ignore is refused: a transient, a handle of no resource */
    vkg_binding extra[] = {{.resource = f.h, .buffer = h}, {.resource = f.out, .buffer = out},
                           {.resource = f.t, .buffer = h}};
    vkgt_log_clear();
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = extra,
                                                          .binding_count = 3},
                                 &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("bindings[2] binds buffer \"T\", but it is transient",
                             "declare it imported", NULL));
    extra[2].resource = (vkg_resource){99};
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = extra,
                                                          .binding_count = 3},
                                 &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("bindings[2] names resource handle 99", NULL));
    vkgt_log_clear();
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.bindings = binds, .binding_count = 2}, &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_execute: desc->executor is NULL", "vkg_executor_create", NULL));
    vkg_buffer small;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "small", .size = 16},
                                       &small),
                     VKG_SUCCESS);
    vkg_binding bad[] = {{.resource = f.h, .buffer = h}, {.resource = f.out, .buffer = small}};
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = bad,
                                                          .binding_count = 2},
                                 &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("buffer \"OUT\" is declared 256 bytes", "\"small\" has 16", NULL));
    vkg_buffer_destroy(dev, small);
    bad[1].buffer = small; /* now stale */
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = bad,
                                                          .binding_count = 2},
                                 &t),
                     VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("\"OUT\"", "stale", NULL));

    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, h);
    vkg_buffer_destroy(dev, out);
    vkgt_device_close(dev);
}

/* The suite can fail: dropping the write-after-read barrier before "stamp" (the fill of H
 * after the copy read it) must make synchronization validation report a hazard. */
static void test_dropped_barrier_is_reported(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "drop", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    frame_ctx f = {0};
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "H", .size = WORDS * 4,
                                                                 .imported = true},
                                      &f.h),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "T", .size = WORDS * 4,
                                                                 .output = true},
                                      &f.t),
                     VKG_SUCCESS);
    vkg_use save[] = {{.resource = f.h, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f.t, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use stamp[] = {{.resource = f.h, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "save", .uses = save,
                                                        .use_count = 2, .record = rec_save,
                                                        .user = &f},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "stamp", .uses = stamp,
                                                        .use_count = 1, .record = rec_stamp,
                                                        .user = &f},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.pass_count, 2);
    assert_int_equal(in.passes[1].barrier_count, 1); /* the write-after-read on H */
    uint32_t drop = in.passes[1].first_barrier + 1;
    vkg_buffer h;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "H", .size = WORDS * 4},
                                       &h),
                     VKG_SUCCESS);
    for (uint32_t pass = 0; pass < 2; pass++) {
        vkg_executor *ex = NULL;
        assert_int_equal(vkg_executor_create(dev,
                                             &(vkg_executor_desc){.name = "drop",
                                                                  .debug_drop_barrier =
                                                                      pass ? drop : 0},
                                             &ex),
                         VKG_SUCCESS);
        vkg_binding b = {.resource = f.h, .buffer = h};
        vkg_ticket t;
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b,
                                                              .binding_count = 1},
                                     &t),
                         VKG_SUCCESS);
        assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
        vkg_executor_destroy(ex);
        /* with every barrier: silent; without the one: a hazard */
        if (!pass) assert_int_equal(vkg_device_validation_count(dev), 0);
    }
    assert_true(vkg_device_validation_count(dev) > 0);
    assert_true(vkgt_log_has("SYNC-HAZARD-WRITE-AFTER-READ", NULL));
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, h);
    vkg_device_destroy(dev); /* messages were expected: not vkgt_device_close */
}

/* --- multithreaded recording ----------------------------------------------------------- */

#define CHAIN 200

typedef struct chain_ctx {
    vkg_resource c;
    uint32_t frame;
    uint32_t thread_of[CHAIN];
    uint32_t slot_of[CHAIN];
} chain_ctx;

/* pass 0 fills word 0 with 1000 + frame; pass i copies word i - 1 to word i */
static void rec_chain(const vkg_pass_context *ctx, void *user)
{
    chain_ctx *c = user;
    uint32_t k = vkg_pass_index(ctx);
    c->thread_of[k] = vkg_pass_thread(ctx);
    c->slot_of[k] = vkg_pass_frame_slot(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    VkBuffer b = vkg_pass_buffer(ctx, c->c);
    if (k == 0) {
        vkg_pass_device_table(ctx)->vkCmdFillBuffer(cmd, b, 0, 4, 1000 + c->frame);
        return;
    }
    VkBufferCopy region = {4 * (k - 1), 4 * k, 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(cmd, b, b, 1, &region);
}

static vkg_plan *chain_plan(vkg_device *dev, chain_ctx *c, vkg_graph **out_graph)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "chain", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "C", .size = CHAIN * 4,
                                                                 .imported = true},
                                      &c->c),
                     VKG_SUCCESS);
    for (uint32_t k = 0; k < CHAIN; k++) {
        char name[32];
        snprintf(name, sizeof name, "link %u", k);
        vkg_use uses[2] = {{.resource = c->c, .access = VKG_ACCESS_TRANSFER_WRITE,
                            .offset = 4 * k, .size = 4},
                           {.resource = c->c, .access = VKG_ACCESS_TRANSFER_READ,
                            .offset = 4 * (k - 1), .size = 4}};
        assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = name,
                                                            .queue = VKG_QUEUE_TRANSFER,
                                                            .uses = uses,
                                                            .use_count = k ? 2 : 1,
                                                            .record = rec_chain,
                                                            .user = c},
                                        NULL),
                         VKG_SUCCESS);
    }
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    *out_graph = g;
    return plan;
}

/* 200 dependent passes recorded by 4 threads: 4 command buffers of 50 consecutive passes,
 * chunk i on thread i, every frame the same split; the result and synchronization
 * validation prove the barriers that cross command buffers hold. */
static void test_multithreaded_recording(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    chain_ctx c = {0};
    vkg_graph *g = NULL;
    vkg_plan *plan = chain_plan(dev, &c, &g);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.submission_count, 1);
    vkg_buffer buf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "C", .size = CHAIN * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &buf),
                     VKG_SUCCESS);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, buf, &bi), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "mt",
                                                                   .record_threads = 4,
                                                                   .passes_per_command_buffer = 8},
                                         &ex),
                     VKG_SUCCESS);
    assert_int_equal(vkg_executor_thread_count(ex), 4);
    assert_int_equal(vkg_executor_frame_slot_count(ex), 2);
    vkg_binding b = {.resource = c.c, .buffer = buf};
    for (c.frame = 0; c.frame < 4; c.frame++) {
        memset(c.thread_of, 0xff, sizeof c.thread_of);
        vkg_ticket t;
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b,
                                                              .binding_count = 1},
                                     &t),
                         VKG_SUCCESS);
        for (uint32_t k = 0; k < CHAIN; k++) {
            assert_int_equal(c.thread_of[k], k / (CHAIN / 4));
            assert_int_equal(c.slot_of[k], c.frame % 2); /* frames take turns in 2 slots */
        }
        vkg_executor_stats st;
        vkg_executor_get_stats(ex, &st);
        assert_int_equal(st.executions, c.frame + 1);
        assert_int_equal(st.submissions, 1);
        assert_int_equal(st.command_buffers, 4);
        assert_int_equal(st.threads_used, 4);
        assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
        assert_int_equal(vkg_buffer_invalidate(dev, buf, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
        for (uint32_t k = 0; k < CHAIN; k++)
            assert_int_equal(((const uint32_t *)bi.mapped)[k], 1000 + c.frame);
    }
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, buf);
    vkgt_device_close(dev);
}

/* --- zero steady-state allocation -------------------------------------------------------- */

static void rec_touch(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    if (vkg_pass_index(ctx) == 0) {
        vk->vkCmdFillBuffer(cmd, vkg_pass_buffer(ctx, f->t), 0, WORDS * 4, f->frame);
        rec_clear_image(ctx, user);
    } else {
        VkBufferCopy region = {0, 0, WORDS * 4 - 4};
        vk->vkCmdCopyBuffer(cmd, vkg_pass_buffer(ctx, f->t), vkg_pass_buffer(ctx, f->out), 1,
                            &region);
        VkBufferImageCopy texel = {.bufferOffset = 4 * WORDS - 4,
                                   .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                   .imageExtent = {1, 1, 1}};
        vk->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, f->img),
                                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                   vkg_pass_buffer(ctx, f->out), 1, &texel);
    }
}

/* "make" writes transient T (fill with f->frame) and clears transient image img to
 * f->frame + 1; "take" copies T over imported OUT except its last word, which gets the
 * texel. */
static vkg_plan *make_take_plan(vkg_device *dev, const char *name, frame_ctx *f,
                                vkg_graph **out_graph)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = name, .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "T", .size = WORDS * 4},
                                      &f->t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "OUT",
                                                                 .size = WORDS * 4,
                                                                 .imported = true},
                                      &f->out),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "img",
                                                               .format = VK_FORMAT_R32_UINT,
                                                               .width = 4,
                                                               .height = 4},
                                     &f->img),
                     VKG_SUCCESS);
    vkg_use make[] = {{.resource = f->t, .access = VKG_ACCESS_TRANSFER_WRITE},
                      {.resource = f->img, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use take[] = {{.resource = f->t, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f->img, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = f->out, .access = VKG_ACCESS_TRANSFER_WRITE}};
    /* T is written whole and then copied over OUT except its last word, the texel */
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "make", .uses = make,
                                                        .use_count = 2, .record = rec_touch,
                                                        .user = f},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "take", .uses = take,
                                                        .use_count = 3, .record = rec_touch,
                                                        .user = f},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    *out_graph = g;
    return plan;
}

/* After warm-up, 100 executions (2 frames in flight, 2 recording threads, a transient
 * buffer and image, an imported buffer) allocate nothing: no call reaches the vkg_allocator
 * hooks and the device's memory blocks and allocations stay as they were. */
static void test_zero_steady_state_allocation(void **state)
{
    (void)state;
    vkgt_alloc_counter counter = {0};
    vkg_device *dev =
        vkgt_device_open(&(vkg_device_desc){.allocator = vkgt_counting_allocator(&counter)});
    frame_ctx f = {0};
    vkg_graph *g = NULL;
    vkg_plan *plan = make_take_plan(dev, "steady", &f, &g);
    vkg_buffer out;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "OUT", .size = WORDS * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "steady",
                                                                   .record_threads = 2,
                                                                   .passes_per_command_buffer = 1},
                                         &ex),
                     VKG_SUCCESS);
    vkg_binding b = {.resource = f.out, .buffer = out};
    vkg_execute_desc xd = {.executor = ex, .bindings = &b, .binding_count = 1};
    vkg_ticket t;
    for (f.frame = 0; f.frame < 2; f.frame++) /* warm-up: one realisation per frame slot */
        assert_int_equal(vkg_execute(plan, &xd, &t), VKG_SUCCESS);
    uint64_t calls = counter.calls;
    vkg_memory_stats before, after;
    vkg_memory_get_stats(dev, &before);
    for (; f.frame < 102; f.frame++) assert_int_equal(vkg_execute(plan, &xd, &t), VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_memory_get_stats(dev, &after);
    assert_int_equal(counter.calls, calls);
    assert_int_equal(after.total.block_count, before.total.block_count);
    assert_int_equal(after.total.allocation_count, before.total.allocation_count);
    assert_int_equal(after.total.bytes_reserved, before.total.bytes_reserved);
    vkg_executor_stats st;
    vkg_executor_get_stats(ex, &st);
    assert_int_equal(st.executions, 102);
    assert_int_equal(st.command_buffers, 2); /* the split really used both threads */
    /* the result of the last frame */
    vkg_buffer_info oi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(((const uint32_t *)oi.mapped)[0], 101);
    assert_int_equal(((const uint32_t *)oi.mapped)[WORDS - 1], 102);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, out);
    vkgt_device_close(dev);
    assert_int_equal(counter.live, 0); /* nothing leaked either */
}

/* --- plans sharing transient memory ---------------------------------------------------- */

typedef struct share_ctx {
    vkg_device *dev;
    frame_ctx fa, fb;
    vkg_graph *ga, *gb;
    vkg_plan *pa, *pb;
    vkg_buffer oa, ob;
    uint32_t heaps; /* per plan */
} share_ctx;

static void share_open(share_ctx *c, vkg_device *dev)
{
    *c = (share_ctx){.dev = dev};
    c->pa = make_take_plan(dev, "A", &c->fa, &c->ga);
    c->pb = make_take_plan(dev, "B", &c->fb, &c->gb);
    vkg_plan_info in;
    vkg_plan_get_info(c->pa, &in);
    c->heaps = in.heap_count;
    assert_true(c->heaps >= 1);
    vkg_buffer_desc od = {.name = "OUT", .size = WORDS * 4, .memory_usage = VKG_MEMORY_READBACK};
    assert_int_equal(vkg_buffer_create(dev, &od, &c->oa), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &od, &c->ob), VKG_SUCCESS);
}

static void share_close(share_ctx *c)
{
    vkg_plan_destroy(c->pa);
    vkg_plan_destroy(c->pb);
    vkg_graph_destroy(c->ga);
    vkg_graph_destroy(c->gb);
    vkg_buffer_destroy(c->dev, c->oa);
    vkg_buffer_destroy(c->dev, c->ob);
}

/* `frames` frames of A then B; checks both results; returns the executor's stats */
static vkg_executor_stats share_run(share_ctx *c, const vkg_executor_desc *desc,
                                    uint32_t frames, bool check)
{
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(c->dev, desc, &ex), VKG_SUCCESS);
    vkg_binding ba = {.resource = c->fa.out, .buffer = c->oa};
    vkg_binding bb = {.resource = c->fb.out, .buffer = c->ob};
    vkg_execute_desc xa = {.executor = ex, .bindings = &ba, .binding_count = 1};
    vkg_execute_desc xb = {.executor = ex, .bindings = &bb, .binding_count = 1};
    vkg_ticket t;
    for (uint32_t frame = 0; frame < frames; frame++) {
        assert_int_equal(vkg_executor_begin_frame(ex), VKG_SUCCESS);
        c->fa.frame = frame;
        c->fb.frame = 500 + frame;
        assert_int_equal(vkg_execute(c->pa, &xa, &t), VKG_SUCCESS);
        assert_int_equal(vkg_execute(c->pb, &xb, &t), VKG_SUCCESS);
        if (frame == 1) {
            /* once per frame: its command buffers are pending */
            assert_int_equal(vkg_execute(c->pa, &xa, &t), VKG_ERROR_INVALID_ARGUMENT);
            assert_true(vkgt_log_has("executed twice in one frame", "\"A\"", NULL));
            assert_int_equal(vkg_executor_begin_frame(ex), VKG_ERROR_INVALID_ARGUMENT);
        }
        assert_int_equal(vkg_executor_end_frame(ex), VKG_SUCCESS);
    }
    assert_int_equal(vkg_executor_end_frame(ex), VKG_ERROR_INVALID_ARGUMENT);
    assert_int_equal(vkg_ticket_wait(c->dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_executor_stats st;
    vkg_executor_get_stats(ex, &st);
    vkg_executor_destroy(ex);
    for (uint32_t i = 0; i < 2 && check; i++) {
        vkg_buffer_info oi;
        assert_int_equal(vkg_buffer_get_info(c->dev, i ? c->ob : c->oa, &oi), VKG_SUCCESS);
        assert_int_equal(vkg_buffer_invalidate(c->dev, i ? c->ob : c->oa, 0, VK_WHOLE_SIZE),
                         VKG_SUCCESS);
        const uint32_t *w = oi.mapped;
        uint32_t base = i ? 500 : 0;
        assert_int_equal(w[0], base + frames - 1);
        assert_int_equal(w[WORDS - 1], base + frames);
    }
    return st;
}

/* Two plans executed in one frame share the slot's transient heaps and take turns: each
 * takes the memory over from the other with a hand-over barrier, and both results are right
 * frame after frame; with dedicated_heaps each keeps its own. */
static void test_plans_share_transient_memory(void **state)
{
    (void)state;
    share_ctx c;
    share_open(&c, vkgt_device_open(NULL));
    vkg_executor_stats st = share_run(&c, &(vkg_executor_desc){.name = "share"}, FRAMES, true);
    /* 2 frame slots, each holding one set of heaps for both plans */
    assert_int_equal(st.transient_heaps, 2 * c.heaps);
    /* B takes the heaps from A every frame, A from B every frame but each slot's first */
    assert_int_equal(st.heap_handoffs, (2 * FRAMES - 2) * c.heaps);
    st = share_run(&c, &(vkg_executor_desc){.name = "own", .dedicated_heaps = true}, FRAMES,
                   true);
    assert_int_equal(st.transient_heaps, 4 * c.heaps);
    assert_int_equal(st.heap_handoffs, 0);
    share_close(&c);
    vkgt_device_close(c.dev);
}

/* The hand-over is what orders the plans: with the layer checking hazards between
 * submissions, one frame of A then B is silent, and the same without the hand-over barrier
 * (debug knob) is reported. */
static void test_heap_handoff_is_needed(void **state)
{
    (void)state;
    share_ctx c;
    share_open(&c, vkgt_device_open_submit_checked(NULL));
    share_run(&c, &(vkg_executor_desc){.name = "share"}, 1, true);
    assert_int_equal(vkg_device_validation_count(c.dev), 0);
    share_run(&c, &(vkg_executor_desc){.name = "unordered", .debug_no_handoff = true}, 1,
              false);
    assert_true(vkg_device_validation_count(c.dev) > 0);
    assert_true(vkgt_log_has("SYNC-HAZARD", "vkQueueSubmit2", NULL));
    share_close(&c);
    vkg_device_destroy(c.dev); /* messages were expected: not vkgt_device_close */
}

/* --- imported images taking turns (a swapchain's pattern) ------------------------------ */

typedef struct turn_ctx {
    vkg_resource target, out;
    uint32_t frame;
} turn_ctx;

static void rec_turn_draw(const vkg_pass_context *ctx, void *user)
{
    turn_ctx *t = user;
    vkg_pass_begin_rendering(ctx, NULL);
    VkClearAttachment ca = {.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
                            .colorAttachment = 0,
                            .clearValue.color.float32 = {(float)(t->frame + 1) / 255.0f, 0, 0, 1}};
    VkClearRect rect = {{{0, 0}, {8, 8}}, 0, 1};
    vkg_pass_device_table(ctx)->vkCmdClearAttachments(vkg_pass_command_buffer(ctx), 1, &ca, 1,
                                                      &rect);
    vkg_pass_end_rendering(ctx);
}

static void rec_turn_read(const vkg_pass_context *ctx, void *user)
{
    turn_ctx *t = user;
    VkBufferImageCopy region = {.bufferOffset = 4 * t->frame,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {1, 1, 1}};
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(
        vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, t->target),
        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, t->out), 1, &region);
}

/* Three images bound in turn to one imported attachment for 12 frames (2 in flight): the
 * views are made once per image per frame slot and then come from the cache. */
static void test_imported_images_take_turns(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    turn_ctx t = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "turns", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "target",
                                                               .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                               .width = 8,
                                                               .height = 8,
                                                               .imported = true},
                                     &t.target),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "out", .size = 4 * 12,
                                                                 .imported = true},
                                      &t.out),
                     VKG_SUCCESS);
    vkg_use draw[] = {{.resource = t.target, .access = VKG_ACCESS_COLOR_WRITE}};
    vkg_use read[] = {{.resource = t.target, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = t.out, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "draw", .uses = draw, .use_count = 1,
                                                        .record = rec_turn_draw, .user = &t},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "read", .uses = read, .use_count = 2,
                                                        .record = rec_turn_read, .user = &t},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_image images[3];
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(vkg_image_create(dev,
                                          &(vkg_image_desc){.name = "turn",
                                                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                            .width = 8,
                                                            .height = 8,
                                                            .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                                                     VK_IMAGE_USAGE_TRANSFER_SRC_BIT},
                                          &images[i]),
                         VKG_SUCCESS);
    vkg_buffer out;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "out", .size = 4 * 12,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "turns"}, &ex),
                     VKG_SUCCESS);
    vkg_ticket tk = {0, 0};
    for (t.frame = 0; t.frame < 12; t.frame++) {
        vkg_binding b[] = {{.resource = t.target, .image = images[t.frame % 3]},
                           {.resource = t.out, .buffer = out}};
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = b,
                                                              .binding_count = 2},
                                     &tk),
                         VKG_SUCCESS);
    }
    assert_int_equal(vkg_ticket_wait(dev, tk, UINT64_MAX), VKG_SUCCESS);
    vkg_executor_stats st;
    vkg_executor_get_stats(ex, &st);
    assert_int_equal(st.views_created, 6); /* 3 images x 2 frame slots, then cached */
    vkg_buffer_info oi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    for (uint32_t i = 0; i < 12; i++) assert_int_equal(((const uint8_t *)oi.mapped)[4 * i], i + 1);
    /* a bound image may be destroyed while the executor caches views of it */
    vkg_image_destroy(dev, images[0]);
    vkg_executor_destroy(ex);
    vkg_image_destroy(dev, images[1]);
    vkg_image_destroy(dev, images[2]);
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* --- stencil planes and resolve through vkg_pass_begin_rendering ------------------------- */

typedef struct ds_ctx {
    vkg_resource ds, ms, target, out, dsbuf;
} ds_ctx;

static void rec_ds_mark(const vkg_pass_context *ctx, void *user)
{
    (void)user;
    /* nothing drawn: the first uses of both planes clear them */
    vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = true, .clear_depth = 0.5f,
                                                        .clear_stencil = 7});
    vkg_pass_end_rendering(ctx);
}

static void rec_ds_test(const vkg_pass_context *ctx, void *user)
{
    (void)user;
    /* depth and stencil attached read-only: loaded, not stored, one view for both */
    vkg_pass_begin_rendering(ctx, NULL);
    vkg_pass_end_rendering(ctx);
}

static void rec_ds_shade(const vkg_pass_context *ctx, void *user)
{
    (void)user;
    /* the multisampled colour cleared and resolved */
    vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = true,
                                                        .clear_color.float32 = {0.25f, 0.5f, 0.75f, 1.0f}});
    vkg_pass_end_rendering(ctx);
}

static void rec_ds_read(const vkg_pass_context *ctx, void *user)
{
    ds_ctx *t = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    VkBufferImageCopy c = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                           .imageExtent = {1, 1, 1}};
    vk->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, t->target), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                               vkg_pass_buffer(ctx, t->out), 1, &c);
    VkBufferImageCopy planes[2] = {
        {.bufferOffset = 0, .imageSubresource = {VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1}, .imageExtent = {8, 8, 1}},
        {.bufferOffset = 256, .imageSubresource = {VK_IMAGE_ASPECT_STENCIL_BIT, 0, 0, 1}, .imageExtent = {8, 8, 1}}};
    vk->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, t->ds), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                               vkg_pass_buffer(ctx, t->dsbuf), 2, planes);
}

/* Depth and stencil written together, then attached read-only beside a multisampled colour
 * attachment resolved into a single-sampled image, all through vkg_pass_begin_rendering;
 * the read-back values prove the clears, the loads and the resolve. */
static void test_stencil_and_resolve_rendering(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    ds_ctx t;
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "ds", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ds", .format = VK_FORMAT_D32_SFLOAT_S8_UINT,
                                                               .width = 8, .height = 8},
                                     &t.ds),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ms", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                               .width = 8, .height = 8, .samples = 4},
                                     &t.ms),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "target", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                               .width = 8, .height = 8},
                                     &t.target),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "out", .size = 4, .imported = true},
                                      &t.out),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "dsbuf", .size = 320, .imported = true},
                                      &t.dsbuf),
                     VKG_SUCCESS);
    vkg_use mark[] = {{.resource = t.ds, .access = VKG_ACCESS_DEPTH_WRITE},
                      {.resource = t.ds, .access = VKG_ACCESS_STENCIL_WRITE}};
    vkg_use test[] = {{.resource = t.ds, .access = VKG_ACCESS_DEPTH_READ},
                      {.resource = t.ds, .access = VKG_ACCESS_STENCIL_READ}};
    vkg_use shade[] = {{.resource = t.ms, .access = VKG_ACCESS_COLOR_WRITE},
                       {.resource = t.target, .access = VKG_ACCESS_RESOLVE_WRITE}};
    /* one sample count per pass's attachments: refused by name */
    vkg_use mixed[] = {{.resource = t.ds, .access = VKG_ACCESS_DEPTH_READ},
                       {.resource = t.ms, .access = VKG_ACCESS_COLOR_WRITE}};
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "mixed", .uses = mixed, .use_count = 2}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("pass \"mixed\"", "\"ds\"", "\"ms\"", "share a sample count", NULL));
    vkg_use read[] = {{.resource = t.target, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = t.out, .access = VKG_ACCESS_TRANSFER_WRITE},
                      {.resource = t.ds, .access = VKG_ACCESS_TRANSFER_READ},
                      {.resource = t.dsbuf, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "mark", .uses = mark, .use_count = 2,
                                                        .record = rec_ds_mark, .user = &t},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "test", .uses = test, .use_count = 2,
                                                        .record = rec_ds_test, .user = &t, .side_effects = true},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "shade", .uses = shade, .use_count = 2,
                                                        .record = rec_ds_shade, .user = &t},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "read", .uses = read, .use_count = 4,
                                                        .record = rec_ds_read, .user = &t},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_buffer out, dsbuf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "out", .size = 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "dsbuf", .size = 320,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &dsbuf),
                     VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "ds"}, &ex), VKG_SUCCESS);
    vkg_binding b[] = {{.resource = t.out, .buffer = out}, {.resource = t.dsbuf, .buffer = dsbuf}};
    vkg_ticket tk = {0, 0};
    for (int frame = 0; frame < 3; frame++)
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = b,
                                                              .binding_count = 2},
                                     &tk),
                         VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, tk, UINT64_MAX), VKG_SUCCESS);
    vkg_buffer_info oi, di;
    assert_int_equal(vkg_buffer_get_info(dev, out, &oi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, dsbuf, &di), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, dsbuf, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint8_t *px = oi.mapped;
    assert_int_equal(px[0], 64); /* 0.25 of 255, resolved from four equal samples */
    assert_int_equal(px[1], 128);
    assert_int_equal(px[2], 191);
    assert_int_equal(px[3], 255);
    float depth;
    memcpy(&depth, (const uint8_t *)di.mapped + 4 * 63, 4);
    assert_true(depth == 0.5f);
    assert_int_equal(((const uint8_t *)di.mapped)[256 + 63], 7);
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, out);
    vkg_buffer_destroy(dev, dsbuf);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* A plan compiled for another device (the documented default caps: graphics, async compute
 * and transfer families) is refused on a device without those queue families, by name. */
static void test_plan_for_another_device(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    if (vkg_device_queue_count(dev) > 1) {
        vkgt_device_close(dev); /* a real GPU may have the default families */
        skip();
    }
    chain_ctx c = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "elsewhere", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "C", .size = 64,
                                                                 .output = true},
                                      &c.c),
                     VKG_SUCCESS);
    vkg_use u = {.resource = c.c, .access = VKG_ACCESS_TRANSFER_WRITE};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fill", .queue = VKG_QUEUE_TRANSFER,
                                                        .uses = &u, .use_count = 1},
                                    NULL),
                     VKG_SUCCESS);
    vkg_caps other;
    vkg_caps_default(&other);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &other, &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "elsewhere"}, &ex),
                     VKG_SUCCESS);
    vkgt_log_clear();
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex}, &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_execute(\"elsewhere\")", "transfer work on queue family",
                             "compile the plan with this device's caps", NULL));
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* An imported buffer the host filled and the GPU only reads needs no barrier once it has
 * been read (read after read, nothing to make visible); one the GPU writes every frame needs
 * its write-after-write barrier every frame. The executor's counters show what was recorded;
 * synchronization validation checks that nothing needed was left out. */
typedef struct copy_ctx {
    vkg_resource src, dst;
} copy_ctx;

static void rec_copy(const vkg_pass_context *ctx, void *user)
{
    copy_ctx *c = user;
    VkBufferCopy region = {0, 0, WORDS * 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, c->src),
                                                vkg_pass_buffer(ctx, c->dst), 1, &region);
}

static void test_imported_reads_need_no_barrier(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    copy_ctx c = {0};
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "reads", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "S", .size = WORDS * 4,
                                                                 .imported = true},
                                      &c.src),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "D", .size = WORDS * 4,
                                                                 .imported = true},
                                      &c.dst),
                     VKG_SUCCESS);
    vkg_use uses[2] = {{.resource = c.src, .access = VKG_ACCESS_TRANSFER_READ},
                       {.resource = c.dst, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = uses, .use_count = 2,
                                                        .record = rec_copy, .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    vkg_use host = {.resource = c.dst, .access = VKG_ACCESS_HOST_READ};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "host", .uses = &host, .use_count = 1},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_buffer src, dst;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "S", .size = WORDS * 4,
                                                               .memory_usage = VKG_MEMORY_UPLOAD},
                                       &src),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "D", .size = WORDS * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &dst),
                     VKG_SUCCESS);
    vkg_buffer_info si, di;
    assert_int_equal(vkg_buffer_get_info(dev, src, &si), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, dst, &di), VKG_SUCCESS);
    for (uint32_t i = 0; i < WORDS; i++) ((uint32_t *)si.mapped)[i] = 3 * i + 1;
    assert_int_equal(vkg_buffer_flush(dev, src, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "reads"}, &ex), VKG_SUCCESS);
    vkg_binding binds[2] = {{c.src, .buffer = src}, {c.dst, .buffer = dst}};
    for (uint32_t f = 0; f < 4; f++) {
        vkg_ticket t;
        assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = binds,
                                                               .binding_count = 2},
                                     &t),
                         VKG_SUCCESS);
        vkg_executor_stats st;
        vkg_executor_get_stats(ex, &st);
        /* frame 0: nothing before either buffer; D's write-to-host-read barrier after the
         * copy. Later frames: D's write-after-write (after the host read) too; never S */
        assert_int_equal(st.barriers, f == 0 ? 1 : 2);
        assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
        assert_int_equal(vkg_buffer_invalidate(dev, dst, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
        for (uint32_t i = 0; i < WORDS; i++) assert_int_equal(((uint32_t *)di.mapped)[i], 3 * i + 1);
    }
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, src);
    vkg_buffer_destroy(dev, dst);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* A binding array is checked in full once and then compared: an unchanged binding is
 * trusted only while its object is the one checked. */
static void rec_fill_out(const vkg_pass_context *ctx, void *user)
{
    frame_ctx *f = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, f->out), 0, WORDS * 4,
                                                1000 + f->frame);
}

/* Destroys `b` and creates buffers of `size` until one gets b's very handle back (its
 * slot's 12-bit generation wrapped); that one is returned, the others destroyed. */
static vkg_buffer same_handle_again(vkg_device *dev, vkg_buffer b, VkDeviceSize size)
{
    vkg_buffer_destroy(dev, b);
    for (uint32_t k = 0; k < 5000; k++) {
        vkg_buffer n = vkgt_readback_buffer(dev, "again", size);
        if (n.id == b.id) return n;
        vkg_buffer_destroy(dev, n);
        vkg_device_poll(dev);
    }
    fail_msg("the pool never gave handle %u back", b.id);
    return b;
}

static uint32_t first_word(vkg_device *dev, vkg_buffer b)
{
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, b, &bi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, b, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    return ((const uint32_t *)bi.mapped)[WORDS - 1];
}

static vkg_result execute_out(vkg_device *dev, vkg_plan *plan, vkg_executor *ex,
                              const vkg_binding *b)
{
    vkg_ticket t;
    vkg_result r = vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = b,
                                                         .binding_count = 1},
                               &t);
    if (r == VKG_SUCCESS) assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    return r;
}

static void test_bindings_checked_again_only_when_changed(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "rebind", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    frame_ctx f = {0};
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "OUT", .size = WORDS * 4,
                                                                 .imported = true},
                                      &f.out),
                     VKG_SUCCESS);
    vkg_use u = {.resource = f.out, .access = VKG_ACCESS_TRANSFER_WRITE};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fill", .uses = &u, .use_count = 1,
                                                        .record = rec_fill_out, .user = &f},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    /* one frame slot: every execution meets the realisation the last one left */
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "rebind", .frames_in_flight = 1},
                                         &ex),
                     VKG_SUCCESS);
    vkg_buffer a = vkgt_readback_buffer(dev, "A", WORDS * 4), b2 = vkgt_readback_buffer(dev, "B", WORDS * 4);
    vkg_binding bind = {.resource = f.out, .buffer = a};
    for (f.frame = 0; f.frame < 3; f.frame++) {
        assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_SUCCESS);
        assert_int_equal(first_word(dev, a), 1000 + f.frame);
    }
    /* the same fields with other padding bytes (a binding rebuilt on the stack): compared
     * field by field, still trusted */
    vkg_binding padded;
    memset(&padded, 0xab, sizeof padded);
    padded.resource = bind.resource, padded.buffer = bind.buffer, padded.image = bind.image;
    padded.wait_semaphore = VK_NULL_HANDLE, padded.wait_stage = 0;
    padded.signal_semaphore = VK_NULL_HANDLE;
    assert_int_equal(execute_out(dev, plan, ex, &padded), VKG_SUCCESS);
    assert_int_equal(first_word(dev, a), 1000 + f.frame);
    f.frame++;
    /* the same resource bound to another buffer: that binding is checked and followed */
    bind.buffer = b2;
    assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_SUCCESS);
    assert_int_equal(first_word(dev, b2), 1000 + f.frame);
    assert_int_equal(first_word(dev, a), 1000 + f.frame - 1);
    f.frame++;
    /* an unchanged binding whose buffer was destroyed: stale */
    vkg_buffer_destroy(dev, b2);
    vkgt_log_clear();
    assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("\"OUT\"", "stale", NULL));
    bind.buffer = a;
    assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_SUCCESS);
    f.frame++;
    /* A's handle again, 4095 buffers later, on a buffer too small: the unchanged binding
     * must not pass for the buffer checked before */
    vkg_buffer small = same_handle_again(dev, a, 16);
    assert_int_equal(small.id, bind.buffer.id);
    vkgt_log_clear();
    assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("buffer \"OUT\" is declared 256 bytes", "has 16", NULL));
    /* and once more, on a buffer that fits: the new one is written, not the old handle's */
    vkg_buffer fits = same_handle_again(dev, small, WORDS * 4);
    assert_int_equal(execute_out(dev, plan, ex, &bind), VKG_SUCCESS);
    assert_int_equal(first_word(dev, fits), 1000 + f.frame);
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, fits);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* Barriers of imported first uses are kept from one execution to the next while the tracked
 * states they were built from stand; another plan writing a source in between must bring its
 * barrier back (else synchronization validation reports the read after that write). */
static void rec_fill_src(const vkg_pass_context *ctx, void *user)
{
    copy_ctx *c = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, c->src), 0, WORDS * 4, 5);
}

static uint32_t execute_copy(vkg_device *dev, vkg_plan *plan, vkg_executor *ex, const vkg_binding *b,
                             uint32_t count)
{
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = b,
                                                           .binding_count = count},
                                 &t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_executor_stats st;
    vkg_executor_get_stats(ex, &st);
    return st.barriers;
}

/* How many imported subresources the executor's last execution looked at. */
static uint32_t checked_last(const vkg_executor *ex)
{
    vkg_executor_stats st;
    vkg_executor_get_stats(ex, &st);
    return st.imported_checked;
}

/* Reads D back through an uploader (a transfer read on D's tracked state), waiting for it. */
static void read_back(vkg_device *dev, vkg_buffer buffer)
{
    vkg_uploader *up = NULL;
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 8192}, &up), VKG_SUCCESS);
    assert_int_equal(vkg_cq_create(dev, 4, &cq), VKG_SUCCESS);
    uint32_t words[WORDS];
    vkg_ticket t;
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buffer, .size = sizeof words,
                                                           .dst = words, .cq = cq},
                                  &t),
                     VKG_SUCCESS);
    vkg_cqe e;
    assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
    assert_int_equal(e.result, VKG_SUCCESS);
    assert_int_equal(words[0], 5);
    vkg_cq_destroy(cq);
    vkg_uploader_destroy(up);
}

static void test_kept_barriers_follow_other_writers(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    copy_ctx c = {0};
    vkg_graph *g = NULL, *gf = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "copy", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "fill", .logger = vkgt_logger()}, &gf),
                     VKG_SUCCESS);
    vkg_graph_buffer_desc sd = {.name = "S", .size = WORDS * 4, .imported = true};
    assert_int_equal(vkg_graph_buffer(g, &sd, &c.src), VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "D", .size = WORDS * 4,
                                                                 .imported = true},
                                      &c.dst),
                     VKG_SUCCESS);
    vkg_use uses[2] = {{.resource = c.src, .access = VKG_ACCESS_TRANSFER_READ},
                       {.resource = c.dst, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = uses, .use_count = 2,
                                                        .record = rec_copy, .user = &c},
                                    NULL),
                     VKG_SUCCESS);
    copy_ctx cf = {0};
    assert_int_equal(vkg_graph_buffer(gf, &sd, &cf.src), VKG_SUCCESS);
    vkg_use fu = {.resource = cf.src, .access = VKG_ACCESS_TRANSFER_WRITE};
    assert_int_equal(vkg_graph_pass(gf, &(vkg_pass_desc){.name = "fill", .uses = &fu, .use_count = 1,
                                                         .record = rec_fill_src, .user = &cf},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL, *fill = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    assert_int_equal(vkg_compile(gf, vkg_device_caps(dev), &fill), VKG_SUCCESS);
    vkg_buffer src = vkgt_readback_buffer(dev, "S", WORDS * 4), dst = vkgt_readback_buffer(dev, "D", WORDS * 4);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "kept", .frames_in_flight = 1},
                                         &ex),
                     VKG_SUCCESS);
    vkg_binding binds[2] = {{c.src, .buffer = src}, {c.dst, .buffer = dst}};
    /* S only read (its contents from the host): no barrier; D written again: one */
    uint32_t steady = 0;
    for (uint32_t f = 0; f < 4; f++) steady = execute_copy(dev, plan, ex, binds, 2);
    assert_int_equal(steady, 1);
    /* the same bindings, and no tracked state changed since the last execution: the first
     * uses' barriers are reused without looking at S's and D's states */
    assert_int_equal(checked_last(ex), 0);
    vkg_binding fb = {cf.src, .buffer = src};
    execute_copy(dev, fill, ex, &fb, 1);
    /* S was written on the GPU since: its first use waits for that write */
    assert_int_equal(execute_copy(dev, plan, ex, binds, 2), steady + 1);
    assert_true(checked_last(ex) > 0);
    assert_int_equal(first_word(dev, dst), 5);
    /* steady again, then a readback of D (a transfer read on its state, by the uploader):
     * looked at again, and D's write waits for that read */
    uint32_t again = 0;
    for (uint32_t f = 0; f < 3; f++) again = execute_copy(dev, plan, ex, binds, 2);
    assert_int_equal(checked_last(ex), 0);
    read_back(dev, dst);
    assert_int_equal(execute_copy(dev, plan, ex, binds, 2), again);
    assert_true(checked_last(ex) > 0);
    assert_int_equal(first_word(dev, dst), 5);
    vkg_executor_destroy(ex);
    /* two frames in flight: each slot's realisation reaches the steady state */
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "kept2", .frames_in_flight = 2},
                                         &ex),
                     VKG_SUCCESS);
    for (uint32_t f = 0; f < 6; f++) execute_copy(dev, plan, ex, binds, 2);
    assert_int_equal(checked_last(ex), 0);
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, src);
    vkg_buffer_destroy(dev, dst);
    vkg_plan_destroy(plan);
    vkg_plan_destroy(fill);
    vkg_graph_destroy(g);
    vkg_graph_destroy(gf);
    vkgt_device_close(dev);
}

/* A copy after a host-set event (vkCmdWaitEvents: the synchronization2 wait may not wait for
 * vkSetEvent), so the test decides when the GPU finishes. */
typedef struct gated_ctx {
    copy_ctx c;
    VkEvent event;
} gated_ctx;

static void rec_gated_copy(const vkg_pass_context *ctx, void *user)
{
    gated_ctx *g = user;
    vkg_pass_device_table(ctx)->vkCmdWaitEvents(vkg_pass_command_buffer(ctx), 1, &g->event,
                                                VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                                0, NULL, 0, NULL, 0, NULL);
    rec_copy(ctx, &g->c);
}

/* A plan copying S into D after a host-set event (D declared with `sharing`), on a
 * two-frame executor. */
typedef struct gated {
    vkg_device *dev;
    vkg_device_vk vk;
    gated_ctx gc;
    vkg_graph *g;
    vkg_plan *plan;
    vkg_executor *ex;
} gated;

static void gated_open(gated *t, vkg_sharing sharing)
{
    *t = (gated){.dev = vkgt_device_open(NULL)};
    vkg_device_get_vk(t->dev, &t->vk);
    VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    assert_int_equal(t->vk.device_table->vkCreateEvent(t->vk.device, &eci, NULL, &t->gc.event), VK_SUCCESS);
    assert_int_equal(t->vk.device_table->vkSetEvent(t->vk.device, t->gc.event), VK_SUCCESS);
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "gated", .logger = vkgt_logger()}, &t->g),
                     VKG_SUCCESS);
    vkg_graph_buffer_desc bd = {.name = "S", .size = WORDS * 4, .imported = true};
    assert_int_equal(vkg_graph_buffer(t->g, &bd, &t->gc.c.src), VKG_SUCCESS);
    bd.name = "D";
    bd.sharing = sharing;
    assert_int_equal(vkg_graph_buffer(t->g, &bd, &t->gc.c.dst), VKG_SUCCESS);
    vkg_use uses[2] = {{.resource = t->gc.c.src, .access = VKG_ACCESS_TRANSFER_READ},
                       {.resource = t->gc.c.dst, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(t->g, &(vkg_pass_desc){.name = "gated copy", .uses = uses, .use_count = 2,
                                                           .record = rec_gated_copy, .user = &t->gc},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_compile(t->g, vkg_device_caps(t->dev), &t->plan), VKG_SUCCESS);
    assert_int_equal(vkg_executor_create(t->dev, &(vkg_executor_desc){.name = "gated", .frames_in_flight = 2},
                                         &t->ex),
                     VKG_SUCCESS);
}

/* Executions until the steady state (tickets left unwritten), then one more that waits for
 * the host (gated_release): its ticket. */
static vkg_ticket gated_hold(gated *t, const vkg_binding binds[2])
{
    for (uint32_t f = 0; f < 6; f++) execute_copy(t->dev, t->plan, t->ex, binds, 2);
    assert_int_equal(checked_last(t->ex), 0);
    assert_int_equal(t->vk.device_table->vkResetEvent(t->vk.device, t->gc.event), VK_SUCCESS);
    vkg_ticket held;
    assert_int_equal(vkg_execute(t->plan, &(vkg_execute_desc){.executor = t->ex, .bindings = binds,
                                                              .binding_count = 2},
                                 &held),
                     VKG_SUCCESS);
    assert_int_equal(checked_last(t->ex), 0);
    return held;
}

static void gated_release(gated *t)
{
    assert_int_equal(t->vk.device_table->vkSetEvent(t->vk.device, t->gc.event), VK_SUCCESS);
}

/* Everything but the device (closed by the caller, after its buffers). */
static void gated_close(gated *t)
{
    vkg_executor_destroy(t->ex);
    t->vk.device_table->vkDestroyEvent(t->vk.device, t->gc.event, NULL);
    vkg_plan_destroy(t->plan);
    vkg_graph_destroy(t->g);
}

/* Steady executions leave their last-use tickets unwritten until tracked state is read: a
 * buffer destroyed while the last execution still runs must wait for that execution, not
 * for the one before. */
static void test_deferred_tickets_hold_destruction(void **state)
{
    (void)state;
    gated t;
    gated_open(&t, VKG_SHARING_DEFAULT);
    vkg_device *dev = t.dev;
    vkg_buffer src = vkgt_readback_buffer(dev, "S", WORDS * 4), dst = vkgt_readback_buffer(dev, "D", WORDS * 4);
    vkg_binding binds[2] = {{t.gc.c.src, .buffer = src}, {t.gc.c.dst, .buffer = dst}};
    vkg_ticket last = gated_hold(&t, binds);
    vkg_buffer_destroy(dev, dst);
    vkg_device_poll(dev);
    vkg_lifetime_stats ls;
    vkg_device_get_lifetime_stats(dev, &ls);
    assert_int_equal(ls.pending, 1); /* held for the running execution */
    gated_release(&t);
    assert_int_equal(vkg_ticket_wait(dev, last, UINT64_MAX), VKG_SUCCESS);
    vkg_device_poll(dev);
    vkg_device_get_lifetime_stats(dev, &ls);
    assert_int_equal(ls.pending, 0);
    gated_close(&t);
    vkg_buffer_destroy(dev, src);
    vkgt_device_close(dev);
}

/* The same on another queue: an upload into a buffer the last (still running) execution
 * writes must wait for that execution, not for the one before (with the simulated queue
 * families the uploader copies on a transfer queue of its own). */
static void test_deferred_tickets_order_uploads(void **state)
{
    (void)state;
    gated t;
    gated_open(&t, VKG_SHARING_CONCURRENT); /* (the uploader may write D from its own family) */
    vkg_device *dev = t.dev;
    vkg_buffer src = vkgt_readback_buffer(dev, "S", WORDS * 4), dst;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "D", .size = WORDS * 4,
                                                               .memory_usage = VKG_MEMORY_READBACK,
                                                               .sharing = VKG_SHARING_CONCURRENT},
                                       &dst),
                     VKG_SUCCESS);
    vkg_buffer_info si;
    assert_int_equal(vkg_buffer_get_info(dev, src, &si), VKG_SUCCESS);
    for (uint32_t i = 0; i < WORDS; i++) ((uint32_t *)si.mapped)[i] = 5;
    assert_int_equal(vkg_buffer_flush(dev, src, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 8192}, &up), VKG_SUCCESS);
    vkg_binding binds[2] = {{t.gc.c.src, .buffer = src}, {t.gc.c.dst, .buffer = dst}};
    vkg_ticket last = gated_hold(&t, binds), upload;
    uint32_t word = 77;
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = dst,
                                                                     .offset = (WORDS - 1) * 4,
                                                                     .data = &word,
                                                                     .size = sizeof word},
                                       &upload),
                     VKG_SUCCESS);
    gated_release(&t);
    assert_int_equal(vkg_ticket_wait(dev, last, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, upload, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(first_word(dev, dst), 77); /* the upload came after the copy (5) */
    gated_close(&t);
    vkg_uploader_destroy(up);
    vkg_buffer_destroy(dev, src);
    vkg_buffer_destroy(dev, dst);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_across_frames),
        cmocka_unit_test(test_dropped_barrier_is_reported),
        cmocka_unit_test(test_multithreaded_recording),
        cmocka_unit_test(test_zero_steady_state_allocation),
        cmocka_unit_test(test_plans_share_transient_memory),
        cmocka_unit_test(test_heap_handoff_is_needed),
        cmocka_unit_test(test_imported_images_take_turns),
        cmocka_unit_test(test_stencil_and_resolve_rendering),
        cmocka_unit_test(test_plan_for_another_device),
        cmocka_unit_test(test_imported_reads_need_no_barrier),
        cmocka_unit_test(test_bindings_checked_again_only_when_changed),
        cmocka_unit_test(test_kept_barriers_follow_other_writers),
        cmocka_unit_test(test_deferred_tickets_hold_destruction),
        cmocka_unit_test(test_deferred_tickets_order_uploads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
