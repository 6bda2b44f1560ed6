/* Pass timings and the profiler, under validation + synchronization validation: the
 * executor writes a timestamp pair around every pass with commands on queues that have
 * timestamps, vkg_executor_pass_timings reads an execution's pairs between its completion
 * and the plan's next execution in the slot (and refuses by name otherwise), and the
 * profiler's statistics and Chrome trace agree with them (names escaped, valid JSON). */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 256
#define FRAMES 5
#define SLOTS 2

typedef struct chain {
    vkg_resource a, b, out;
} chain;

static void rec_fill(const vkg_pass_context *ctx, void *user)
{
    chain *c = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx), vkg_pass_buffer(ctx, c->a),
                                                0, WORDS * 4, 7);
}

static void rec_copy(const vkg_pass_context *ctx, void *user)
{
    chain *c = user;
    bool first = vkg_pass_index(ctx) == 1;
    VkBufferCopy region = {0, 0, WORDS * 4};
    vkg_pass_device_table(ctx)->vkCmdCopyBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, first ? c->a : c->b),
                                                vkg_pass_buffer(ctx, first ? c->b : c->out), 1, &region);
}

/* fill A -> copy A to B (on the transfer role: another family where the device has one)
 * -> copy B to OUT -> host reads OUT (no commands: never timed). The first name needs
 * escaping in JSON. */
static vkg_plan *make_plan(vkg_device *dev, chain *c, vkg_graph **g)
{
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "timed", .logger = vkgt_logger()}, g),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(*g, &(vkg_graph_buffer_desc){.name = "A", .size = WORDS * 4}, &c->a),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(*g, &(vkg_graph_buffer_desc){.name = "B", .size = WORDS * 4}, &c->b),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(*g, &(vkg_graph_buffer_desc){.name = "OUT", .size = WORDS * 4,
                                                                  .imported = true},
                                      &c->out),
                     VKG_SUCCESS);
    vkg_use fill = {c->a, VKG_ACCESS_TRANSFER_WRITE};
    vkg_use copy1[2] = {{c->a, VKG_ACCESS_TRANSFER_READ}, {c->b, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use copy2[2] = {{c->b, VKG_ACCESS_TRANSFER_READ}, {c->out, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use host = {c->out, VKG_ACCESS_HOST_READ};
    assert_int_equal(vkg_graph_pass(*g, &(vkg_pass_desc){.name = "fill \"A\"\\", .uses = &fill,
                                                         .use_count = 1, .record = rec_fill, .user = c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(*g, &(vkg_pass_desc){.name = "copy_ab", .queue = VKG_QUEUE_TRANSFER,
                                                         .uses = copy1, .use_count = 2, .record = rec_copy,
                                                         .user = c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(*g, &(vkg_pass_desc){.name = "copy_out", .uses = copy2, .use_count = 2,
                                                         .record = rec_copy, .user = c},
                                    NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(*g, &(vkg_pass_desc){.name = "host", .uses = &host, .use_count = 1},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(*g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    return plan;
}

/* Whether pass k of the plan is timed on this device: it records, its family has stamps. */
static bool timed(vkg_device *dev, const vkg_plan_info *in, uint32_t k)
{
    uint32_t family = in->queues[in->passes[k].queue].family;
    return in->passes[k].record && vkg_device_caps(dev)->queue_families[family].timestamp_valid_bits > 0;
}

static void test_pass_timings(void **state)
{
    (void)state;
    vkgt_alloc_counter counter = {0};
    vkg_device *dev =
        vkgt_device_open(&(vkg_device_desc){.allocator = vkgt_counting_allocator(&counter)});
    chain c = {0};
    vkg_graph *g = NULL;
    vkg_plan *plan = make_plan(dev, &c, &g);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.pass_count, 4);
    vkg_buffer out = vkgt_readback_buffer(dev, "OUT", WORDS * 4);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "timed", .frames_in_flight = SLOTS,
                                                                   .pass_timings = true},
                                         &ex),
                     VKG_SUCCESS);
    char *text = NULL;
    size_t text_size = 0;
    FILE *trace = open_memstream(&text, &text_size);
    assert_non_null(trace);
    vkg_profiler *prof = NULL;
    assert_int_equal(vkg_profiler_create(dev, &(vkg_profiler_desc){.trace = trace}, &prof), VKG_SUCCESS);

    vkg_binding b = {.resource = c.out, .buffer = out};
    vkg_execute_desc xd = {.executor = ex, .bindings = &b, .binding_count = 1};
    vkg_ticket tickets[FRAMES];
    vkg_pass_timing tm[4];
    uint32_t timed_events = 0;
    uint64_t calls = 0;
    for (uint32_t f = 0; f < FRAMES; f++) {
        if (f >= SLOTS) { /* the slot's last execution: done, its timings still there */
            vkg_ticket old = tickets[f - SLOTS];
            assert_int_equal(vkg_ticket_wait(dev, old, UINT64_MAX), VKG_SUCCESS);
            assert_int_equal(vkg_executor_pass_timings(ex, plan, old, tm, 4), VKG_SUCCESS);
            for (uint32_t k = 0; k < 4; k++) {
                assert_int_equal(tm[k].valid, timed(dev, &in, k));
                if (tm[k].valid) assert_true(tm[k].end_ns >= tm[k].begin_ns);
                timed_events += tm[k].valid;
            }
            assert_int_equal(vkg_profiler_add(prof, ex, plan, old, 1000.0 * f, 10.0), VKG_SUCCESS);
            /* every slot realised, the profiler's table made: no allocation from here */
            if (f == SLOTS) calls = counter.calls;
        }
        assert_int_equal(vkg_execute(plan, &xd, &tickets[f]), VKG_SUCCESS);
    }
    assert_int_equal(counter.calls, calls);
    /* frame FRAMES - SLOTS - 1 ran in the slot frame FRAMES - 1 reused: its timings are gone */
    vkgt_log_clear();
    assert_int_equal(vkg_executor_pass_timings(ex, plan, tickets[FRAMES - SLOTS - 1], tm, 4),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_executor_pass_timings(\"timed\")", "is not the last execution",
                             "before the plan executes again", NULL));
    vkgt_log_clear();
    assert_int_equal(vkg_executor_pass_timings(ex, plan, tickets[FRAMES - 1], tm, 3), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("count is 3, the plan has 4 passes", NULL));
    for (uint32_t f = FRAMES - SLOTS; f < FRAMES; f++) {
        assert_int_equal(vkg_ticket_wait(dev, tickets[f], UINT64_MAX), VKG_SUCCESS);
        assert_int_equal(vkg_executor_pass_timings(ex, plan, tickets[f], tm, 4), VKG_SUCCESS);
        for (uint32_t k = 0; k < 4; k++) timed_events += tm[k].valid;
        assert_int_equal(vkg_profiler_add(prof, ex, plan, tickets[f], 1000.0 * f, 10.0), VKG_SUCCESS);
    }
    assert_int_equal(vkg_profiler_execution_count(prof), FRAMES);
    uint32_t samples = 0;
    for (uint32_t k = 0; k < 4; k++) {
        vkg_pass_time t;
        vkg_profiler_pass_time(prof, k, &t);
        assert_int_equal(t.samples, timed(dev, &in, k) ? FRAMES : 0);
        if (t.samples) assert_true(t.min_us <= t.mean_us && t.mean_us <= t.max_us);
        samples += t.samples;
    }
    assert_int_equal(samples, timed_events);
    assert_true(samples >= 2 * FRAMES); /* both CPU drivers time the graphics queue */
    assert_int_equal(vkg_profiler_finish(prof), VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(vkg_profiler_add(prof, ex, plan, tickets[FRAMES - 1], 0, 0), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("already finished", NULL));
    vkg_profiler_destroy(prof);
    fclose(trace);

    /* the trace: valid JSON, one GPU event per timed pass per frame, names intact */
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root) fail_msg("trace is not JSON: %s (line %d)", jerr.text, jerr.line);
    json_t *events = json_object_get(root, "traceEvents");
    assert_true(json_is_array(events));
    uint32_t pass_events = 0, cpu_events = 0, quoted = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *cat = json_string_value(json_object_get(e, "cat"));
        const char *name = json_string_value(json_object_get(e, "name"));
        if (cat && !strcmp(cat, "pass")) {
            pass_events++;
            quoted += !strcmp(name, "fill \"A\"\\");
            assert_true(json_real_value(json_object_get(e, "dur")) >= 0);
        } else if (name && !strncmp(name, "vkg_execute ", 12)) {
            cpu_events++;
        }
    }
    assert_int_equal(pass_events, timed_events);
    assert_int_equal(quoted, timed(dev, &in, 0) ? FRAMES : 0);
    assert_int_equal(cpu_events, FRAMES);
    json_decref(root);
    free(text);

    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

/* An executor without pass_timings refuses to read them, by name. */
static void test_timings_need_the_option(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    chain c = {0};
    vkg_graph *g = NULL;
    vkg_plan *plan = make_plan(dev, &c, &g);
    vkg_buffer out = vkgt_readback_buffer(dev, "OUT", WORDS * 4);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "untimed"}, &ex), VKG_SUCCESS);
    vkg_binding b = {.resource = c.out, .buffer = out};
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &b, .binding_count = 1}, &t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    vkg_pass_timing tm[4];
    vkgt_log_clear();
    assert_int_equal(vkg_executor_pass_timings(ex, plan, t, tm, 4), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("executor \"untimed\" was made without", "pass_timings", NULL));
    vkg_executor_destroy(ex);
    vkg_buffer_destroy(dev, out);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_timings),
        cmocka_unit_test(test_timings_need_the_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
