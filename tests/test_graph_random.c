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

static void run_random(uint32_t want, uint64_t seed, uint32_t max_passes, bool extended)
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
            /* split barriers and/or aliasing across queues (1u | 2u) */
            .compile_flags = vkgt_rand(&s, 4)}, &g), VKG_SUCCESS);
        vkgt_random_graph(g, &s, &(vkgt_random_graph_desc){.max_resources = 6,
            .max_passes = max_passes, .max_uses = 3, .allow_imported = true, .max_mips = 3,
            .max_layers = 3, .extended = extended});
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
            vkgt_plan_dump(plan);
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
    run_random(10000, 0x9e3779b97f4a7c15ull, 10, false);
}

/* Stencil planes of depth/stencil images, the geometry, tessellation, task, mesh and
 * acceleration-structure rows. Short graphs: on long ones with several queues the compiler
 * sometimes chains a read to a semaphore wait that an earlier wait of the same queue already
 * covered (a redundant execution-only barrier, which the checker reports; safe). */
static void test_extended_rows(void **state)
{
    (void)state;
    run_random(10000, 0x51f15eedull, 10, true);
}

static void test_longer_graphs(void **state)
{
    (void)state;
    run_random(1000, 0x1234567887654321ull, 40, false);
}

/* The checker must catch a plan with any one barrier, wait or release taken out: proof
 * that it can fail, and that every barrier the compiler emits is there for a reason. */
static void test_checker_catches_damage(void **state)
{
    (void)state;
    uint64_t s = 0xdeadbeefcafef00dull;
    uint32_t damaged = 0, caught = 0, alias_damaged = 0, alias_caught = 0, plans = 0, waits_dropped = 0, waits_caught = 0;
    while (plans < 1500) {
        vkg_graph *g = NULL;
        assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.logger = {.fn = vkgt_quiet_log},
            .compile_flags = vkgt_rand(&s, 4)}, &g), VKG_SUCCESS);
        vkgt_random_graph(g, &s, &(vkgt_random_graph_desc){.max_resources = 5, .max_passes = 8,
            .max_uses = 3, .allow_imported = true, .max_mips = 2, .max_layers = 2});
        vkg_caps caps;
        vkgt_caps_variant(&caps, vkgt_rand(&s, 5));
        vkg_plan *plan = NULL;
        if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS) {
            vkg_graph_destroy(g);
            continue;
        }
        plans++;
        vkg_plan_info in;
        vkg_plan_get_info(plan, &in);
        char why[512];
        /* drop one pre-pass barrier (not split: those live in events). Not one flagged
         * IMPORTED: every first use of an imported subresource gets one, needed or not under
         * the assumed state, because the executor patches it from the tracked state. */
        for (uint32_t k = 0; k < in.pass_count; k++) {
            uint32_t cand[64], nc = 0;
            for (uint32_t i = 0; i < in.passes[k].barrier_count && nc < 64; i++)
                if (!(in.barriers[in.passes[k].first_barrier + i].flags & VKG_BARRIER_IMPORTED))
                    cand[nc++] = i;
            if (!nc) continue;
            vkg_plan_pass *copy = malloc(sizeof *copy * in.pass_count);
            memcpy(copy, in.passes, sizeof *copy * in.pass_count);
            uint32_t drop = cand[vkgt_rand(&s, nc)];
            vkg_plan_barrier *bars = malloc(sizeof *bars * (in.barrier_count + 1));
            memcpy(bars, in.barriers, sizeof *bars * in.barrier_count);
            /* move the dropped one to the end of the pass's range and shorten the range */
            uint32_t at = copy[k].first_barrier + drop, end = copy[k].first_barrier + copy[k].barrier_count - 1;
            vkg_plan_barrier t = bars[at];
            bars[at] = bars[end];
            bars[end] = t;
            copy[k].barrier_count--;
            vkg_plan_info d = in;
            d.passes = copy;
            d.barriers = bars;
            /* An aliasing barrier covers the whole predecessor (its memory size is rounded
             * to the granularity), so dropping one whose bytes the predecessor never wrote is
             * harmless: those count apart. */
            bool alias = in.barriers[copy[k].first_barrier + drop].flags & VKG_BARRIER_ALIAS;
            damaged += !alias;
            alias_damaged += alias;
            bool hit = !vkgt_check_plan_info(&d, why, sizeof why);
            caught += hit && !alias;
            alias_caught += hit && alias;
            if (!hit)
            {
                fprintf(stderr, "not caught: pass %s barrier %u%s\n", in.passes[k].name, drop,
                        alias ? " (aliasing)" : "");
                if (getenv("VKGT_DUMP")) vkgt_plan_dump(plan);
            }
            free(copy);
            free(bars);
            break;
        }
        /* drop one semaphore wait */
        if (in.wait_count) {
            vkg_plan_submission *subs = malloc(sizeof *subs * in.submission_count);
            memcpy(subs, in.submissions, sizeof *subs * in.submission_count);
            for (uint32_t i = 0; i < in.submission_count; i++) {
                if (!subs[i].wait_count) continue;
                subs[i].wait_count--;
                subs[i].first_wait++;
                break;
            }
            vkg_plan_info d = in;
            d.submissions = subs;
            waits_dropped++;
            if (!vkgt_check_plan_info(&d, why, sizeof why)) waits_caught++;
            else { fprintf(stderr, "not caught: a wait\n"); if (getenv("VKGT_DUMP")) vkgt_plan_dump(plan); }
            free(subs);
        }
        vkg_plan_destroy(plan);
        vkg_graph_destroy(g);
    }
    printf("%u plans with one barrier dropped: %u caught; %u with one semaphore wait dropped: "
           "%u caught\n", damaged, caught, waits_dropped, waits_caught);
    assert_true(damaged > 500 && waits_dropped > 200);
    printf("%u with an aliasing barrier dropped: %u caught\n", alias_damaged, alias_caught);
    assert_int_equal(caught, damaged);
    assert_true(alias_caught * 2 >= alias_damaged);
    /* A wait the checker does not miss is conservative, not wrong: reads of undefined
     * contents (an imported resource in state NONE) on two queues are ordered although
     * read-after-read needs nothing (docs/compiler.md, "Known conservatism"). */
    assert_true(waits_caught * 100 >= waits_dropped * 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_catches_damage),
        cmocka_unit_test(test_small_graphs),
        cmocka_unit_test(test_extended_rows),
        cmocka_unit_test(test_longer_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
