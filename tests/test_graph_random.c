/* The compiler against the independent hazard checker on many random graphs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graph_checker.h"
#include "graph_random.h"

static void dump(vkg_plan *plan)
{
    if (vkg_plan_write_json(plan, stderr) != VKG_SUCCESS) fprintf(stderr, "(dump failed)\n");
}

static void run_random(uint32_t want, uint64_t seed, uint32_t max_passes)
{
    uint64_t s = seed;
    uint32_t ok = 0, rejected = 0, attempts = 0;
    uint32_t families_seen[4] = {0};
    uint64_t barriers = 0, transfers = 0, events = 0, aliased = 0;
    while (ok < want && attempts < want * 4) {
        attempts++;
        uint64_t graph_seed = s;
        vkg_graph *g = NULL;
        assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "random",
            .logger = {.fn = vkgt_quiet_log},
            .compile_flags = vkgt_rand(&s, 2) ? VKG_COMPILE_SPLIT_BARRIERS : 0}, &g), VKG_SUCCESS);
        vkgt_random_graph(g, &s, &(vkgt_random_graph_desc){.max_resources = 6,
            .max_passes = max_passes, .max_uses = 3, .allow_imported = true, .max_mips = 3,
            .max_layers = 3});
        vkg_caps caps;
        uint32_t variant = vkgt_rand(&s, 5);
        vkgt_caps_variant(&caps, variant);
        vkg_plan *plan = NULL;
        vkg_result r = vkg_compile(g, &caps, &plan);
        if (r != VKG_SUCCESS) {
            assert_true(r == VKG_ERROR_INVALID_ARGUMENT || r == VKG_ERROR_FEATURE_NOT_PRESENT);
            rejected++;
            vkg_graph_destroy(g);
            continue;
        }
        char why[512];
        if (!vkgt_check_plan(plan, why, sizeof why)) {
            fprintf(stderr, "graph seed 0x%llx (caps variant %u): %s\n",
                    (unsigned long long)graph_seed, variant, why);
            dump(plan);
            fail_msg("hazard checker: %s", why);
        }
        vkg_plan_info info;
        vkg_plan_get_info(plan, &info);
        families_seen[info.queue_count]++;
        barriers += info.barrier_count;
        transfers += info.stats.queue_transfers;
        events += info.stats.events;
        aliased += info.stats.transient_bytes > info.stats.aliased_bytes;
        vkg_plan_destroy(plan);
        vkg_graph_destroy(g);
        ok++;
    }
    printf("%u graphs checked (%u rejected by validation); plans on 1/2/3 queues: %u/%u/%u; "
           "%llu barriers, %llu queue transfers, %llu events, %llu plans aliased memory\n",
           ok, rejected, families_seen[1], families_seen[2], families_seen[3],
           (unsigned long long)barriers, (unsigned long long)transfers,
           (unsigned long long)events, (unsigned long long)aliased);
    assert_true(ok >= want);
    assert_true(families_seen[1] > 0 && families_seen[2] > 0 && families_seen[3] > 0);
    assert_true(transfers > 0 && events > 0 && aliased > 0);
}

static void test_small_graphs(void **state)
{
    (void)state;
    run_random(10000, 0x9e3779b97f4a7c15ull, 10);
}

static void test_longer_graphs(void **state)
{
    (void)state;
    run_random(1000, 0x1234567887654321ull, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_graphs),
        cmocka_unit_test(test_longer_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
