/* Big and hostile graphs through the API (the file-level ones are in tests/hostile and run
 * through the CLI): a 100,000-pass graph built call by call and the same loaded from JSON
 * text both compile; control characters in names are refused, and no message carries a raw
 * control character. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 100000

static char last_message[2048];
static void keep(void *user, vkg_log_level level, const char *file, int line, const char *msg)
{
    (void)user, (void)level, (void)file, (void)line;
    snprintf(last_message, sizeof last_message, "%s", msg);
}

static void check_plan(vkg_graph *g)
{
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.stats.passes, N);
    assert_int_equal(in.stats.culled, 0);
    /* a chain: one read-after-write barrier per link, all transients in one aliased heap */
    assert_true(in.stats.buffer_barriers + in.stats.memory_barriers >= N - 1);
    assert_true(in.stats.aliased_bytes < in.stats.transient_bytes / 1000);
    vkg_plan_destroy(plan);
}

static void test_hundred_thousand_passes(void **state)
{
    (void)state;
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "big"}, &g), VKG_SUCCESS);
    vkg_resource prev = {0};
    for (uint32_t i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "b%u", i);
        vkg_resource r;
        assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = 256,
                                                                     .output = i == N - 1},
                                          &r),
                         VKG_SUCCESS);
        vkg_use uses[2] = {{.resource = r, .access = VKG_ACCESS_COMPUTE_STORAGE_WRITE},
                           {.resource = prev, .access = VKG_ACCESS_COMPUTE_STORAGE_READ}};
        snprintf(name, sizeof name, "p%u", i);
        assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = name, .queue = VKG_QUEUE_COMPUTE,
                                                            .uses = uses, .use_count = i ? 2 : 1},
                                        NULL),
                         VKG_SUCCESS);
        prev = r;
    }
    check_plan(g);
    vkg_graph_destroy(g);
}

static void test_hundred_thousand_passes_json(void **state)
{
    (void)state;
    size_t cap = (size_t)N * 400 + 1024, n = 0; /* about 230 bytes per pass and resource */
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n, "{\"vkgraph\": 1, \"name\": \"big\", \"resources\": [");
    for (uint32_t i = 0; i < N; i++)
        n += (size_t)snprintf(t + n, cap - n, "%s{\"name\": \"b%u\", \"buffer\": {\"size\": 256}%s}",
                              i ? "," : "", i, i == N - 1 ? ", \"output\": true" : "");
    n += (size_t)snprintf(t + n, cap - n, "], \"passes\": [");
    for (uint32_t i = 0; i < N; i++) {
        n += (size_t)snprintf(t + n, cap - n,
                              "%s{\"name\": \"p%u\", \"queue\": \"compute\", \"uses\": [{\"resource\": "
                              "\"b%u\", \"access\": \"compute_storage_write\"}",
                              i ? "," : "", i, i);
        if (i)
            n += (size_t)snprintf(t + n, cap - n,
                                  ", {\"resource\": \"b%u\", \"access\": \"compute_storage_read\"}", i - 1);
        n += (size_t)snprintf(t + n, cap - n, "]}");
    }
    snprintf(t + n, cap - n, "]}");
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(t, "big.json", &(vkg_graph_desc){0}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    check_plan(g);
    vkg_graph_destroy(g);
    free(t);
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
    return false;
}

static void test_control_characters(void **state)
{
    (void)state;
    vkg_logger lg = {.fn = keep};
    vkg_graph *g = NULL;
    last_message[0] = 0;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "bad\x1b[2J", .logger = lg}, &g),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_null(g);
    assert_non_null(strstr(last_message, "control character 0x1b"));
    assert_false(has_control(last_message));
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "ok", .logger = lg}, &g), VKG_SUCCESS);
    vkg_resource r;
    last_message[0] = 0;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "a\tb", .size = 64}, &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_non_null(strstr(last_message, "a\\x09b"));
    assert_false(has_control(last_message));
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "p\x07"}, NULL), VKG_ERROR_INVALID_ARGUMENT);
    assert_false(has_control(last_message));
    /* a name the graph never had, looked up with control characters: named escaped */
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "b", .size = 64, .output = true}, &r),
                     VKG_SUCCESS);
    char err[512];
    vkg_graph *g2 = NULL;
    assert_int_equal(vkg_graph_load_json_string("{\"vkgraph\": 1, \"resources\": [{\"name\": \"b\", \"buffer\": "
                                                "{\"size\": 64}}], \"passes\": [{\"name\": \"p\", \"uses\": "
                                                "[{\"resource\": \"x\\u001b[0m\", \"access\": \"transfer_write\"}]}]}",
                                                "ctl.json", &(vkg_graph_desc){.logger = lg}, &g2, NULL, err, sizeof err),
                     VKG_ERROR_PARSE);
    assert_false(has_control(err));
    assert_false(has_control(last_message));
    assert_non_null(strstr(err, "x\\x1b[0m"));
    vkg_graph_destroy(g);
}

/* A "cycle" through imported resources — a reads x and writes y, b reads y and writes x — is
 * no cycle under declaration order: a runs first, b after it, and the plan orders b's read of
 * y after a's write and b's write of x after a's read. */
static void test_cycle_through_imports(void **state)
{
    (void)state;
    vkg_graph *g = NULL;
    char err[256] = "";
    assert_int_equal(vkg_graph_load_json_string(
                         "{\"vkgraph\": 1, \"resources\": [{\"name\": \"x\", \"buffer\": {\"size\": 64}, "
                         "\"imported\": true}, {\"name\": \"y\", \"buffer\": {\"size\": 64}, \"imported\": true}], "
                         "\"passes\": [{\"name\": \"a\", \"uses\": [{\"resource\": \"x\", \"access\": "
                         "\"compute_storage_read\"}, {\"resource\": \"y\", \"access\": \"compute_storage_write\"}]}, "
                         "{\"name\": \"b\", \"uses\": [{\"resource\": \"y\", \"access\": \"compute_storage_read\"}, "
                         "{\"resource\": \"x\", \"access\": \"compute_storage_write\"}]}]}",
                         "cycle.json", &(vkg_graph_desc){0}, &g, NULL, err, sizeof err),
                     VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.pass_count, 2);
    assert_string_equal(in.passes[0].name, "a");
    assert_string_equal(in.passes[1].name, "b");
    /* b: y read after a's write (memory dependency), x written after a's read (execution) */
    const vkg_plan_pass *b = &in.passes[1];
    uint32_t rw = 0, wr = 0;
    for (uint32_t i = 0; i < b->barrier_count; i++) {
        const vkg_plan_barrier *pb = &in.barriers[b->first_barrier + i];
        const char *name = in.resources[pb->resource].name;
        if (strcmp(name, "y") == 0 && pb->src_access) rw++;
        if (strcmp(name, "x") == 0 && pb->src_stage && !pb->src_access) wr++;
    }
    assert_int_equal(rw, 1);
    assert_int_equal(wr, 1);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hundred_thousand_passes),
                                       cmocka_unit_test(test_hundred_thousand_passes_json),
                                       cmocka_unit_test(test_control_characters),
                                       cmocka_unit_test(test_cycle_through_imports)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
