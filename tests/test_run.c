/* `vkgraph run --verify` in-process: random graphs (the compiler tests' generator) run with
 * the built-in kernels under validation + synchronization validation, and every output and
 * imported resource must match the CPU model after every frame. Also proves the comparison
 * can fail and that bad input is refused with a message. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_random.h"
#include "run/run.h"

static vkg_device *dev;

static int setup(void **state)
{
    (void)state;
    dev = vkgt_device_open(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vkgt_device_close(dev);
    return 0;
}

static uint32_t env_count(const char *name, uint32_t def)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? (uint32_t)atoi(v) : def;
}

static void test_random_graphs_verify(void **state)
{
    (void)state;
    uint32_t want = env_count("VKGT_RUN_GRAPHS", 200), ran = 0, invalid = 0, refused = 0;
    uint64_t values = 0, ops = 0;
    vkgt_random_graph_desc rd = {.max_resources = 6, .max_passes = 8, .max_uses = 4,
                                 .allow_imported = true, .max_mips = 3, .max_layers = 2,
                                 .valid = true, .depth_copies_on_graphics = true};
    for (uint64_t seed = 1; ran < want && seed < 4u * want; seed++) {
        uint64_t s = seed * 0x9E3779B97F4A7C15ull;
        vkg_graph *g = NULL;
        assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "random",
                                                            .logger = {vkgt_quiet_log, NULL}}, &g),
                         VKG_SUCCESS);
        vkgt_random_graph(g, &s, &rd);
        vkg_plan *plan = NULL;
        if (vkg_compile(g, vkg_device_caps(dev), &plan) != VKG_SUCCESS) {
            invalid++;
            vkg_graph_destroy(g);
            continue;
        }
        if (getenv("VKGT_DUMP_SEED") && strtoull(getenv("VKGT_DUMP_SEED"), NULL, 10) == seed)
            vkgt_plan_dump(plan); /* VKGT_DUMP_SEED=N: the plan of one seed */
        vkg_plan_destroy(plan);
        vkgr_info info;
        uint32_t before = vkg_device_validation_count(dev);
        /* every other graph is recorded by 3 threads, one pass per command buffer: split
         * barriers, events and imported first uses then cross command buffers */
        bool mt = seed & 1;
        vkg_result r = vkgr_run(dev, g,
                                &(vkgr_options){.frames = 3,
                                                .verify = true,
                                                .record_threads = mt ? 3 : 1,
                                                .passes_per_command_buffer = mt ? 1 : 0},
                                &info);
        vkg_graph_destroy(g);
        if (r == VKG_ERROR_INVALID_ARGUMENT || r == VKG_ERROR_FEATURE_NOT_PRESENT) {
            /* e.g. indirect arguments a host write left undefined: named, never submitted */
            refused++;
            if (refused <= 3) fprintf(stderr, "seed %llu refused: %s\n", (unsigned long long)seed, info.message);
            continue;
        }
        if (r != VKG_SUCCESS || info.mismatches || vkg_device_validation_count(dev) != before)
            fail_msg("random graph seed %llu: %s, %llu mismatches, %u validation messages: %s",
                     (unsigned long long)seed, vkg_result_name(r), (unsigned long long)info.mismatches,
                     vkg_device_validation_count(dev) - before, info.message);
        ran++;
        values += info.values_checked;
        ops += info.ops;
    }
    fprintf(stderr, "%u random graphs verified (%llu kernel ops per frame in all, %llu values "
                    "compared); %u did not compile, %u refused\n",
            ran, (unsigned long long)ops, (unsigned long long)values, invalid, refused);
    assert_true(ran >= want);
    assert_true(refused * 10 <= ran);
}

static vkg_graph *load(const char *json)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(json, "test.json", &(vkg_graph_desc){0}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    return g;
}

static const char *chain =
    "{\"vkgraph\": 1, \"name\": \"chain\", \"resources\": ["
    "{\"name\": \"a\", \"buffer\": {\"size\": 256}},"
    "{\"name\": \"args\", \"buffer\": {\"size\": 16}},"
    "{\"name\": \"img\", \"image\": {\"format\": \"R8G8B8A8_UNORM\", \"size\": [32, 32]}},"
    "{\"name\": \"out\", \"image\": {\"format\": \"R16G16B16A16_SFLOAT\", \"size\": [32, 32]}, \"output\": true}],"
    "\"passes\": ["
    "{\"name\": \"fill\", \"queue\": \"compute\", \"uses\": [{\"resource\": \"a\", \"access\": \"compute_storage_write\"},"
    "  {\"resource\": \"args\", \"access\": \"compute_storage_write\"}]},"
    "{\"name\": \"draw\", \"uses\": [{\"resource\": \"a\", \"access\": \"vertex_read\"},"
    "  {\"resource\": \"args\", \"access\": \"indirect_read\"}, {\"resource\": \"img\", \"access\": \"color_write\"}]},"
    "{\"name\": \"post\", \"queue\": \"compute\", \"uses\": [{\"resource\": \"img\", \"access\": \"compute_sampled_read\"},"
    "  {\"resource\": \"out\", \"access\": \"compute_storage_write\"}]}]}";

/* a GPU result the model does not expect must be reported, with where it differs */
static void test_verify_reports_a_wrong_result(void **state)
{
    (void)state;
    vkg_graph *g = load(chain);
    vkgr_info info;
    assert_int_equal(vkgr_run(dev, g, &(vkgr_options){.frames = 2, .verify = true}, &info), VKG_SUCCESS);
    assert_int_equal(info.mismatches, 0);
    assert_true(info.values_checked > 0);
    /* op 1 (after the digest op) is the first write of pass "fill": everything downstream
     * changes */
    assert_int_equal(vkgr_run(dev, g, &(vkgr_options){.frames = 2, .verify = true, .debug_skew_op = 2}, &info),
                     VKG_SUCCESS);
    assert_true(info.mismatches > 0);
    assert_non_null(strstr(info.message, "output image \"out\""));
    vkg_graph_destroy(g);
}

/* indirect arguments nothing defined are refused before anything is submitted */
static void test_undefined_indirect_arguments_are_refused(void **state)
{
    (void)state;
    vkg_graph *g = load(
        "{\"vkgraph\": 1, \"resources\": [{\"name\": \"args\", \"buffer\": {\"size\": 16}, \"imported\": true},"
        "{\"name\": \"o\", \"buffer\": {\"size\": 16}, \"output\": true}],"
        "\"passes\": [{\"name\": \"host\", \"uses\": [{\"resource\": \"args\", \"access\": \"host_write\"}]},"
        "{\"name\": \"go\", \"queue\": \"compute\", \"uses\": [{\"resource\": \"args\", \"access\": \"indirect_read\"},"
        "{\"resource\": \"o\", \"access\": \"compute_storage_write\"}]}]}");
    vkgr_info info;
    assert_int_equal(vkgr_run(dev, g, &(vkgr_options){.verify = true}, &info), VKG_ERROR_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "pass \"go\""));
    assert_non_null(strstr(info.message, "\"args\""));
    assert_non_null(strstr(info.message, "nothing defined"));
    vkg_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_reports_a_wrong_result),
        cmocka_unit_test(test_undefined_indirect_arguments_are_refused),
        cmocka_unit_test(test_random_graphs_verify),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
