/* Host out-of-memory injected at every allocation point of the graph side and of execution:
 *  - pure: every example graph (examples/NAME.json) loaded, compiled for one and for three
 *    queue families, recompiled in place, written as JSON and destroyed;
 *  - device: a graph with transient and imported buffers and images built, compiled, an
 *    executor created, three frames executed, everything destroyed.
 * The N-th allocation fails, for every N the scenario makes: each failure must surface as a
 * clean VKG_ERROR_OUT_OF_HOST_MEMORY from the call that hit it, what was created before
 * must stay usable and destroyable, and nothing may leak (the counting allocator's live count
 * returns to where it was). The JSON text itself is parsed by jansson, whose allocations do
 * not go through vkg_allocator (it only has process-wide hooks); everything vkgraph builds
 * from it does. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"
#include "run/run.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VKG_SOURCE_DIR
#define VKG_SOURCE_DIR "."
#endif

static void quiet(void *user, vkg_log_level level, const char *file, int line, const char *msg)
{
    (void)user, (void)level, (void)file, (void)line, (void)msg;
}

#define OK_OR_OOM(call)                                                                          \
    do {                                                                                         \
        vkg_result r_ = (call);                                                                  \
        if (r_ != VKG_SUCCESS && r_ != VKG_ERROR_OUT_OF_HOST_MEMORY)                             \
            fail_msg("%s returned %s, not success or out of host memory", #call,                 \
                     vkg_result_name(r_));                                                       \
        if (r_ != VKG_SUCCESS) failed++;                                                         \
    } while (0)

/* FNV-1a of the plan as JSON up to its "stats" (which hold timings). */
static uint64_t plan_digest(const vkg_plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return 0;
    vkg_result r = vkg_plan_write_json(p, m);
    fclose(m);
    uint64_t h = 1469598103934665603ull;
    const char *end = r == VKG_SUCCESS && buf ? strstr(buf, "\"stats\"") : NULL;
    for (const char *q = buf; q && q < (end ? end : buf + len); q++) h = (h ^ (uint8_t)*q) * 1099511628211ull;
    free(buf);
    return h;
}

/* One graph file through the compiler; returns the number of calls that reported OOM, and
 * in *digest the final plan's digest (0: none). */
static int compile_scenario(const char *text, vkgt_alloc_counter *c, uint64_t *digest)
{
    *digest = 0;
    int failed = 0;
    vkg_graph *g = NULL;
    uint32_t frames;
    OK_OR_OOM(vkg_graph_load_json_string(text, "example.json",
                                         &(vkg_graph_desc){.allocator = vkgt_counting_allocator(c),
                                                           .logger = {.fn = quiet}},
                                         &g, &frames, NULL, 0));
    if (!g) return failed;
    vkg_plan *plan = NULL;
    for (int v = 0; v < 2; v++) {
        vkg_caps caps;
        vkg_caps_default(&caps);
        if (v == 0)
            for (int q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) caps.role_family[q] = 0;
        vkg_plan *p = NULL;
        OK_OR_OOM(vkg_compile(g, &caps, &p));
        if (!p) continue;
        FILE *sink = fopen("/dev/null", "w");
        OK_OR_OOM(vkg_plan_write_json(p, sink));
        fclose(sink);
        vkg_plan_destroy(plan);
        plan = p;
    }
    if (plan) { /* in place: a failure destroys the plan and clears the pointer */
        vkg_caps caps;
        vkg_caps_default(&caps);
        OK_OR_OOM(vkg_compile(g, &caps, &plan));
    }
    if (plan) *digest = plan_digest(plan);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    return failed;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static void test_compile_every_allocation(void **state)
{
    (void)state;
    DIR *d = opendir(VKG_SOURCE_DIR "/examples");
    assert_non_null(d);
    uint64_t points = 0;
    int graphs = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/examples/%s", VKG_SOURCE_DIR, e->d_name);
        char *text = read_file(path);
        assert_non_null(text);
        vkgt_alloc_counter c = {0};
        uint64_t want, got;
        assert_int_equal(compile_scenario(text, &c, &want), 0);
        assert_int_equal(c.live, 0);
        uint64_t total = c.calls;
        for (uint64_t fail = 1; fail <= total; fail++) {
            c = (vkgt_alloc_counter){.fail_at = fail};
            int failed = compile_scenario(text, &c, &got);
            /* a failure is reported, or absorbed by design (an arena that cannot merge its
             * blocks keeps using them) with the very same plan */
            bool absorbed = c.failures == 1 && failed == 0 && got == want && want != 0;
            if (!absorbed && (c.failures != 1 || failed < 1))
                fail_msg("%s: allocation %llu failed but %d calls reported it", e->d_name,
                         (unsigned long long)fail, failed);
            if (c.live != 0)
                fail_msg("%s: allocation %llu failed: %lld blocks leaked", e->d_name,
                         (unsigned long long)fail, (long long)c.live);
        }
        points += total;
        graphs++;
        free(text);
    }
    closedir(d);
    assert_true(graphs >= 5);
    printf("compile: host OOM injected at each of %llu allocation points of %d example graphs: "
           "all clean\n",
           (unsigned long long)points, graphs);
}

/* ------------------------------------------------------------------------------------------
 * Execution
 * ---------------------------------------------------------------------------------------- */
typedef struct frame {
    vkg_resource t, img, out;
} frame;

static void rec_fill(const vkg_pass_context *ctx, void *user)
{
    frame *f = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, f->t),
                                                0, 256, 7);
}

static void rec_clear(const vkg_pass_context *ctx, void *user)
{
    frame *f = user;
    VkClearColorValue c = {.uint32 = {1, 2, 3, 4}};
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkg_pass_device_table(ctx)->vkCmdClearColorImage(vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, f->img),
                                                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &c, 1, &range);
}

static void rec_copy(const vkg_pass_context *ctx, void *user)
{
    frame *f = user;
    VkBufferCopy region = {0, 0, 256};
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(cmd, vkg_pass_buffer(ctx, f->t), vkg_pass_buffer(ctx, f->out),
                                                1, &region);
    VkBufferImageCopy ir = {.bufferOffset = 256,
                            .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                            .imageExtent = {4, 4, 1}};
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, f->img),
                                                       VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                                       vkg_pass_buffer(ctx, f->out), 1, &ir);
}

/* Graph, plan, executor, three frames, destruction; returns the calls that reported OOM. */
static int execute_scenario(vkg_device *dev, vkgt_alloc_counter *c, vkg_buffer out_buf)
{
    int failed = 0;
    frame f = {0};
    vkg_graph *g = NULL;
    OK_OR_OOM(vkg_graph_create(&(vkg_graph_desc){.name = "oom", .allocator = vkgt_counting_allocator(c),
                                                 .logger = {.fn = quiet}},
                               &g));
    if (!g) return failed;
    OK_OR_OOM(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "t", .size = 256}, &f.t));
    OK_OR_OOM(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "img", .format = VK_FORMAT_R8G8B8A8_UINT,
                                                        .width = 4, .height = 4},
                              &f.img));
    OK_OR_OOM(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "out", .size = 512, .imported = true},
                               &f.out));
    vkg_plan *plan = NULL;
    vkg_executor *ex = NULL;
    if (f.t.id && f.img.id && f.out.id) {
        vkg_use fill = {.resource = f.t, .access = VKG_ACCESS_TRANSFER_WRITE};
        vkg_use clear = {.resource = f.img, .access = VKG_ACCESS_TRANSFER_WRITE};
        vkg_use copy[3] = {{.resource = f.t, .access = VKG_ACCESS_TRANSFER_READ},
                           {.resource = f.img, .access = VKG_ACCESS_TRANSFER_READ},
                           {.resource = f.out, .access = VKG_ACCESS_TRANSFER_WRITE}};
        OK_OR_OOM(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fill", .uses = &fill, .use_count = 1,
                                                     .record = rec_fill, .user = &f},
                                 NULL));
        OK_OR_OOM(vkg_graph_pass(g, &(vkg_pass_desc){.name = "clear", .uses = &clear, .use_count = 1,
                                                     .record = rec_clear, .user = &f},
                                 NULL));
        OK_OR_OOM(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = copy, .use_count = 3,
                                                     .record = rec_copy, .user = &f},
                                 NULL));
        /* a pass lost to the failure would make the graph invalid, not just smaller */
        if (!failed)
            OK_OR_OOM(vkg_compile_ex(g, &(vkg_compile_desc){.caps = vkg_device_caps(dev),
                                                        .requirements = vkg_device_requirements,
                                                        .requirements_user = dev},
                                 &plan));
    }
    if (plan) OK_OR_OOM(vkg_executor_create(dev, &(vkg_executor_desc){.name = "oom", .record_threads = 2}, &ex));
    if (plan && ex) {
        vkg_binding bind = {.resource = f.out, .buffer = out_buf};
        vkg_ticket last = {0};
        for (int frame_no = 0; frame_no < 3; frame_no++) {
            vkg_ticket t = {0};
            vkg_result r = vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &bind,
                                                                 .binding_count = 1},
                                       &t);
            if (r != VKG_SUCCESS && r != VKG_ERROR_OUT_OF_HOST_MEMORY)
                fail_msg("vkg_execute returned %s", vkg_result_name(r));
            if (r != VKG_SUCCESS) failed++;
            else last = t;
        }
        assert_int_equal(vkg_ticket_wait(dev, last, UINT64_MAX), VKG_SUCCESS);
    }
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    return failed;
}

/* The sweep on a device: `run` once cleanly, then once per allocation point it made with
 * that allocation failing (counted from where the run starts; the first run also made
 * one-time allocations, so once a run ends without reaching the injection point, every point
 * is covered). `run` returns how many calls reported the failure and fails the test on any
 * other error. Nothing may leak: the live count returns to where the clean run left it.
 * Returns the points covered; *first_run gets the allocations of the clean run. */
typedef int (*scenario_fn)(void *ctx);

static uint64_t sweep(vkg_device *dev, vkgt_alloc_counter *c, scenario_fn run, void *ctx,
                      uint64_t *first_run)
{
    uint64_t base = c->calls;
    assert_int_equal(run(ctx), 0);
    *first_run = c->calls - base;
    /* what the run left in the device (deferred destruction) drains on the next poll */
    vkg_device_poll(dev);
    int64_t settled = c->live;
    uint64_t covered = 0;
    for (uint64_t k = 1; k <= *first_run; k++) {
        c->fail_at = c->calls + k;
        uint64_t failures = c->failures;
        int failed = run(ctx);
        c->fail_at = 0;
        vkg_device_poll(dev);
        if (c->live != settled)
            fail_msg("allocation %llu of the scenario failed: %lld blocks leaked", (unsigned long long)k,
                     (long long)(c->live - settled));
        if (c->failures == failures) {
            assert_int_equal(failed, 0);
            break;
        }
        if (failed < 1) {
            vkgt_alloc_counter_print_failure(c);
            fail_msg("allocation %llu of the scenario failed, but no call reported it", (unsigned long long)k);
        }
        covered = k;
    }
    return covered;
}

typedef struct execute_ctx {
    vkg_device *dev;
    vkgt_alloc_counter *c;
    vkg_buffer out;
} execute_ctx;

static int run_execute(void *ctx)
{
    execute_ctx *e = ctx;
    return execute_scenario(e->dev, e->c, e->out);
}

static void test_execute_every_allocation(void **state)
{
    (void)state;
    vkgt_alloc_counter c = {0};
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.allocator = vkgt_counting_allocator(&c),
                                                          .validation = true});
    vkg_buffer out = {0};
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "out", .size = 512,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &out),
                     VKG_SUCCESS);
    uint64_t total;
    uint64_t covered = sweep(dev, &c, run_execute, &(execute_ctx){dev, &c, out}, &total);
    assert_true(total > 10);
    /* and a clean run still works after all of that */
    assert_int_equal(execute_scenario(dev, &c, out), 0);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &bi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(((const uint32_t *)bi.mapped)[0], 7);
    assert_int_equal(((const uint8_t *)bi.mapped)[256], 1);
    assert_int_equal(((const uint8_t *)bi.mapped)[259], 4);
    vkg_buffer_destroy(dev, out);
    vkgt_device_close(dev);
    assert_int_equal(c.live, 0);
    printf("execute: host OOM injected at each of %llu allocation points (%llu in the first run): "
           "all clean\n",
           (unsigned long long)covered, (unsigned long long)total);
}

/* Device memory: a plan whose transient heap does not fit under the device's heap limit is
 * refused with an error naming the plan and the bytes; the imported buffer and the plan
 * that ran before are untouched and keep working. */
static void rec_keep(const vkg_pass_context *ctx, void *user)
{
    frame *f = user;
    VkBufferCopy region = {0, 0, 256};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, f->t),
                                                vkg_pass_buffer(ctx, f->out), 1, &region);
}

static vkg_plan *small_or_big(vkg_device *dev, bool big, frame *f)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = big ? "big" : "small",
                                                        .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "t", .size = big ? 64u << 20 : 256},
                                      &f->t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "keep", .size = 256, .imported = true},
                                      &f->out),
                     VKG_SUCCESS);
    vkg_use fill = {.resource = f->t, .access = VKG_ACCESS_TRANSFER_WRITE};
    vkg_use copy[2] = {{.resource = f->t, .access = VKG_ACCESS_TRANSFER_READ},
                       {.resource = f->out, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fill", .uses = &fill, .use_count = 1,
                                                        .record = rec_fill, .user = f},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = copy, .use_count = 2,
                                                        .record = rec_keep, .user = f},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile_ex(g, &(vkg_compile_desc){.caps = vkg_device_caps(dev),
                                                           .requirements = vkg_device_requirements,
                                                           .requirements_user = dev},
                                    &plan),
                     VKG_SUCCESS);
    vkg_graph_destroy(g);
    return plan;
}

static void test_device_memory_exhausted(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.memory = {.heap_size_limit = 24u << 20}});
    vkg_buffer keep;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "keep", .size = 256,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &keep),
                     VKG_SUCCESS);
    frame fs = {0}, fb = {0};
    vkg_plan *small = small_or_big(dev, false, &fs), *big = small_or_big(dev, true, &fb);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "ex"}, &ex), VKG_SUCCESS);
    vkg_ticket t;
    vkg_binding bs = {.resource = fs.out, .buffer = keep}, bb = {.resource = fb.out, .buffer = keep};
    assert_int_equal(vkg_execute(small, &(vkg_execute_desc){ex, &bs, 1}, &t), VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(vkg_execute(big, &(vkg_execute_desc){ex, &bb, 1}, &t), VKG_ERROR_OUT_OF_DEVICE_MEMORY);
    assert_true(vkgt_log_has("vkg_execute(\"big\")", "cannot allocate the plan's transient heap", "67108864 bytes",
                             NULL));
    /* the earlier plan, the imported buffer and the executor still work */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vkg_execute(small, &(vkg_execute_desc){ex, &bs, 1}, &t), VKG_SUCCESS);
        assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    }
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, keep, &bi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, keep, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    assert_int_equal(((const uint32_t *)bi.mapped)[0], 7);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(small);
    vkg_plan_destroy(big);
    vkg_buffer_destroy(dev, keep);
    vkgt_device_close(dev);
}

typedef struct run_ctx {
    vkg_device *dev;
    vkg_graph *g;
    vkgr_options o;
} run_ctx;

static int run_example(void *ctx)
{
    run_ctx *r = ctx;
    vkgr_info info;
    vkg_result res = vkgr_run(r->dev, r->g, &r->o, &info);
    if (res == VKG_SUCCESS) assert_int_equal(info.mismatches, 0);
    else if (res != VKG_ERROR_OUT_OF_HOST_MEMORY) fail_msg("vkgr_run returned %s", vkg_result_name(res));
    return res != VKG_SUCCESS;
}

/* An example graph run by `vkgraph run`'s kernels (src/run), with vkgraph's allocations
 * failing in turn: vkgr_run reports the failure and cleans up; later runs still verify. */
static void test_run_example_every_allocation(void **state)
{
    (void)state;
    vkgt_alloc_counter c = {0};
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.allocator = vkgt_counting_allocator(&c)});
    char *text = read_file(VKG_SOURCE_DIR "/examples/bloom.json");
    assert_non_null(text);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(text, "bloom.json", &(vkg_graph_desc){0}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    run_ctx r = {dev, g, {.frames = 2, .verify = true, .record_threads = 1}};
    uint64_t total;
    uint64_t covered = sweep(dev, &c, run_example, &r, &total);
    assert_int_equal(run_example(&r), 0); /* and it still runs and verifies */
    vkg_graph_destroy(g);
    free(text);
    vkgt_device_close(dev);
    assert_int_equal(c.live, 0);
    printf("run bloom.json: host OOM injected at each of %llu allocation points: all clean\n",
           (unsigned long long)covered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_compile_every_allocation),
                                       cmocka_unit_test(test_execute_every_allocation),
                                       cmocka_unit_test(test_device_memory_exhausted),
                                       cmocka_unit_test(test_run_example_every_allocation)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
