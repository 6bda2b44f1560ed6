/* bench/compile: vkg_compile on the graph shapes users write (bench/shapes.h: chain, random
 * long lifetimes, fan-out/fan-in, image pyramids, three queue families) at 10 to 100,000
 * passes, on the default caps (three queue families), as `vkgraph plan` compiles them.
 *
 * Per shape and size: the median and fastest microseconds of an in-place recompile (each
 * timed alone, after two untimed ones), the first compile of the graph (it also pays for
 * fresh memory), ns per pass and per use, allocations per recompile (counted through the
 * allocator hooks), barriers, transfers and culled passes, and the phases of the last
 * compile. Figures: compile_us_<passes>_<shape>, compile_growth_<shape> (10,000 / 1,000),
 * compile_allocs_per_recompile (the most over every run). Never fails on timing.
 *
 *   bench_compile                      every shape and size (VKG_BENCH_SHORT: up to 1,000)
 *   VKG_BENCH_SHAPE=random VKG_BENCH_PASSES=1000 bench_compile   one of each
 *   bench_compile --emit SHAPE PASSES   the graph as a JSON file, for `vkgraph plan --json`
 */
#include "bench.h"
#include "shapes.h"

#define SEED 0x5eed2024ull

typedef struct result {
    double median_us, fastest_us, first_us, allocs;
    vkg_plan_info info;
} result;

static void die(const char *what)
{
    bench_die("bench_compile", what, 1);
}

static void measure(vkg_graph *g, uint32_t passes, bool short_run, result *out, vkg_plan **plan)
{
    vkg_caps caps;
    vkg_caps_default(&caps);
    double t0 = bench_now_us();
    if (vkg_compile(g, &caps, plan) != VKG_SUCCESS) die("vkg_compile");
    out->first_us = bench_now_us() - t0;
    for (int w = 0; w < 2; w++)
        if (vkg_compile(g, &caps, plan) != VKG_SUCCESS) die("vkg_compile");
    /* about half a second per size: at least 5 compiles, at most 2,000 */
    double warm = out->first_us > 1 ? out->first_us : 1;
    uint32_t iters = short_run ? 3 : (uint32_t)(500000.0 / warm);
    if (!short_run && iters < 5) iters = 5;
    if (iters > 2000) iters = 2000;
    double *t = malloc(sizeof(double) * iters);
    if (!t) die("malloc");
    unsigned long a0 = bench_allocations();
    for (uint32_t i = 0; i < iters; i++) {
        double s = bench_now_us();
        if (vkg_compile(g, &caps, plan) != VKG_SUCCESS) die("vkg_compile");
        t[i] = bench_now_us() - s;
    }
    out->allocs = (double)(bench_allocations() - a0) / iters;
    out->median_us = bench_median(t, iters);
    out->fastest_us = t[0];
    free(t);
    vkg_plan_get_info(*plan, &out->info);
    (void)passes;
}

static int emit(const char *shape, const char *count)
{
    uint32_t n = (uint32_t)strtoul(count, NULL, 10);
    char *json = shape_json(shape, n, SEED);
    if (!json) {
        fprintf(stderr, "bench_compile --emit: unknown shape \"%s\" or no passes (shapes:", shape);
        for (int s = 0; s < SHAPE_COUNT; s++) fprintf(stderr, " %s", shape_names[s]);
        fprintf(stderr, ")\n");
        return 2;
    }
    fputs(json, stdout);
    free(json);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--emit") == 0) return emit(argv[2], argv[3]);
    bool short_run = bench_short();
    uint32_t only = bench_env_u32("VKG_BENCH_PASSES", 0);
    const char *only_shape = getenv("VKG_BENCH_SHAPE");
    const uint32_t sizes[] = {10, 100, 1000, 10000, 100000};
    double max_allocs = 0;
    printf("bench/compile: vkg_compile on the default caps (3 queue families), in-place recompiles\n");
    printf("%-8s %7s %7s %10s %10s %10s %8s %8s %7s %8s %8s %7s %9s\n", "shape", "passes", "live",
           "median us", "fastest", "first us", "ns/pass", "ns/use", "allocs", "barriers",
           "transfer", "culled", "alias/pk");
    for (int s = 0; s < SHAPE_COUNT; s++) {
        const char *shape = shape_names[s];
        if (only_shape && strcmp(only_shape, shape) != 0) continue;
        double us_1000 = 0, us_10000 = 0;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            uint32_t n = sizes[si];
            if (short_run && n > 1000) break;
            if (only && n != only) continue;
            char *json = shape_json(shape, n, SEED);
            if (!json) die("shape_json");
            vkg_graph *g = NULL;
            char err[512];
            vkg_graph_desc gd = {.allocator = bench_allocator()};
            if (vkg_graph_load_json_string(json, shape, &gd, &g, NULL, err, sizeof err) !=
                VKG_SUCCESS) {
                fprintf(stderr, "bench_compile: %s\n", err);
                die("vkg_graph_load_json_string");
            }
            free(json);
            vkg_plan *plan = NULL;
            result r;
            measure(g, n, short_run, &r, &plan);
            const vkg_plan_info *in = &r.info;
            double ratio = in->stats.peak_live_bytes
                               ? (double)in->stats.aliased_bytes / (double)in->stats.peak_live_bytes
                               : 1.0;
            printf("%-8s %7u %7u %10.1f %10.1f %10.1f %8.1f %8.1f %7.2f %8u %8u %7u %9.3f\n", shape,
                   vkg_graph_pass_count(g), in->pass_count, r.median_us, r.fastest_us, r.first_us,
                   r.median_us * 1000.0 / vkg_graph_pass_count(g),
                   r.median_us * 1000.0 / (in->use_count ? in->use_count : 1), r.allocs,
                   in->barrier_count, in->stats.queue_transfers, in->culled_count, ratio);
            if (n >= 1000) {
                printf("         phases (us):");
                for (int p = 0; p < VKG_COMPILE_PHASE_COUNT; p++)
                    printf(" %s %.1f", vkg_compile_phase_name((vkg_compile_phase)p),
                           (double)in->stats.phase_ns[p] / 1000.0);
                printf("\n");
            }
            char name[64];
            snprintf(name, sizeof name, "compile_us_%u_%s", n, shape);
            bench_figure("bench_compile", name, r.median_us, "us");
            if (n == 1000) us_1000 = r.median_us;
            if (n == 10000) us_10000 = r.median_us;
            if (r.allocs > max_allocs) max_allocs = r.allocs;
            vkg_plan_destroy(plan);
            vkg_graph_destroy(g);
        }
        if (us_1000 > 0 && us_10000 > 0) {
            char name[64];
            snprintf(name, sizeof name, "compile_growth_%s", shape);
            bench_figure("bench_compile", name, us_10000 / us_1000, "x");
        }
    }
    bench_figure("bench_compile", "compile_allocs_per_recompile", max_allocs, "allocations");
    return 0;
}
