/* bench/compile: compile random graphs of 10..10,000 passes with 2 resources per pass.
 * Prints the median and fastest microseconds per compile, median ns per pass, peak scratch bytes,
 * mallocs per steady-state compile (counted through the allocator hooks), and the barrier count
 * against a naive baseline (whole-resource state, one barrier at every use). Never fails on timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph/graph.h"
#include "graph_random.h"

static uint64_t g_allocs;

static void *count_alloc(void *user, size_t size)
{
    (void)user;
    g_allocs++;
    return malloc(size);
}
static void *count_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    g_allocs++;
    return realloc(ptr, size);
}
static void count_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A frame-like graph: each pass reads the resource the previous pass wrote and writes a new
 * one (2 resources per pass), on one or three queue families. */
static void build(vkg_graph *g, uint32_t passes, uint64_t *seed)
{
    vkgt_random_graph(g, seed, &(vkgt_random_graph_desc){.max_resources = passes * 2,
        .max_passes = passes, .max_uses = 3, .exact = true, .allow_imported = true,
        .max_mips = 2, .max_layers = 2, .valid = true});
}

int main(void)
{
    bool short_run = getenv("VKG_BENCH_SHORT") != NULL;
    /* VKG_BENCH_PASSES=N runs one size only (for profiling) */
    uint32_t only = getenv("VKG_BENCH_PASSES") ? (uint32_t)atoi(getenv("VKG_BENCH_PASSES")) : 0;
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
            vkg_allocator al = {count_alloc, count_realloc, count_free, NULL};
            if (vkg_graph_create(&(vkg_graph_desc){.name = "bench", .allocator = al,
                                                   .logger = {.fn = vkgt_quiet_log}}, &g))
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
            uint64_t a0 = g_allocs;
            for (uint32_t i = 0; i < iters; i++) {
                double t0 = now_us();
                if (vkg_compile(g, &caps, &plan)) return 1;
                t[i] = now_us() - t0;
            }
            uint64_t mallocs = g_allocs - a0;
            qsort(t, iters, sizeof(double), cmp_double);
            double us = t[iters / 2], fastest = t[0];
            free(t);
            vkg_plan_info in;
            vkg_plan_get_info(plan, &in);
            uint32_t naive = 0;
            for (uint32_t k = 0; k < in.pass_count; k++) naive += in.passes[k].use_count;
            uint32_t bars = in.barrier_count;
            printf("%-7u %-6u %10.1f %10.1f %10.1f %12zu %8.2f %10u %10u %8u\n", n, in.queue_count,
                   us, fastest, us * 1000.0 / n, g->scratch.peak + plan->arena.peak,
                   (double)mallocs / iters, bars, naive, in.culled_count);
            vkg_plan_destroy(plan);
            vkg_graph_destroy(g);
        }
    }
    return 0;
}
