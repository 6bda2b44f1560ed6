/* bench/compile: compile random graphs of 10..10,000 passes with 2 resources per pass.
 * Prints the median and fastest microseconds per compile, median ns per pass, peak scratch bytes,
 * mallocs per steady-state compile (counted through the allocator hooks), and the barrier count
 * against a naive baseline (whole-resource state, one barrier at every use). Never fails on timing.
 */
#include "bench.h"
#include "graph/graph.h"
#include "graph_random.h"

/* A frame-like graph: each pass reads the resource the previous pass wrote and writes a new
 * one (2 resources per pass), on one or three queue families. */
static void build(vkg_graph *g, uint32_t passes, uint64_t *seed)
{
    vkgt_random_graph(g, seed,
                      &(vkgt_random_graph_desc){.max_resources = passes * 2,
                                                .max_passes = passes,
                                                .max_uses = 3,
                                                .exact = true,
                                                .allow_imported = true,
                                                .max_mips = 2,
                                                .max_layers = 2,
                                                .valid = true});
}

int main(void)
{
    bool short_run = bench_short();
    /* VKG_BENCH_PASSES=N runs one size only (for profiling) */
    uint32_t only = bench_env_u32("VKG_BENCH_PASSES", 0);
    const uint32_t sizes[] = {10, 100, 1000, 10000};
    printf("bench/compile: random graphs, 2 resources per pass, up to 3 uses per pass\n");
    printf("%-7s %-6s %10s %10s %10s %12s %8s %10s %10s %8s\n", "passes", "queues", "median us",
           "fastest us", "ns/pass", "scratch B", "mallocs", "barriers", "naive", "culled");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint32_t n = sizes[si];
        if (short_run && n > 1000) break;
        if (only && n != only) continue;
        for (uint32_t fam = 0; fam < 2; fam++) {
            uint64_t seed = 0x5eed0000ull + n;
            vkg_graph *g = NULL;
            vkg_allocator al = bench_allocator();
            if (vkg_graph_create(&(vkg_graph_desc){.name = "bench",
                                                   .allocator = al,
                                                   .logger = {.fn = vkgt_quiet_log}},
                                 &g))
                return 1;
            build(g, n, &seed);
            vkg_caps caps;
            vkgt_caps_variant(&caps, fam ? 4 : 0);
            vkg_plan *plan = NULL;
            if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS) {
                /* a transient read first: make every resource imported-safe by retrying
                 * with another seed */
                printf("%-7u seed rejected\n", n);
                vkg_graph_destroy(g);
                continue;
            }
            /* steady state: recompile in place */
            uint32_t iters = short_run ? 3 : (n <= 100 ? 2000 : n <= 1000 ? 300 : 30);
            for (int w = 0; w < 3; w++)
                if (vkg_compile(g, &caps, &plan)) return 1;
            /* each compile timed alone; the median and the fastest resist a busy machine */
            double *t = malloc(sizeof(double) * iters);
            if (!t) return 1;
            unsigned long a0 = bench_allocations();
            for (uint32_t i = 0; i < iters; i++) {
                double t0 = bench_now_us();
                if (vkg_compile(g, &caps, &plan)) return 1;
                t[i] = bench_now_us() - t0;
            }
            unsigned long mallocs = bench_allocations() - a0;
            double us = bench_median(t, iters), fastest = t[0];
            free(t);
            vkg_plan_info in;
            vkg_plan_get_info(plan, &in);
            uint32_t naive = 0;
            for (uint32_t k = 0; k < in.pass_count; k++) naive += in.passes[k].use_count;
            uint32_t bars = in.barrier_count;
            printf("%-7u %-6u %10.1f %10.1f %10.1f %12zu %8.2f %10u %10u %8u\n", n, in.queue_count,
                   us, fastest, us * 1000.0 / n, g->scratch.peak + plan->arena.peak,
                   (double)mallocs / iters, bars, naive, in.culled_count);
            char name[48];
            snprintf(name, sizeof name, "compile_us_%u%s", n, in.queue_count > 1 ? "_3q" : "");
            bench_figure("bench_compile", name, us, "us");
            if (in.queue_count == 1 && n == 1000)
                bench_figure("bench_compile", "compile_allocs_per_recompile",
                             (double)mallocs / iters, "allocations");
            vkg_plan_destroy(plan);
            vkg_graph_destroy(g);
        }
    }
    return 0;
}
