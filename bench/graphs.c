/* bench/graphs: how much synchronization and memory the compiler saves on real graphs — the
 * example graphs (examples/NAME.json) and the demo's graph (src/demo, 1280x720) — against a naive
 * tracker that keeps one state per whole resource and puts a barrier at every use.
 *
 * For each graph, compiled for one queue family (as on lavapipe and SwiftShader) and for the
 * three-family default device (vkg_caps_default):
 *   - barriers: the plan's barrier structures (image + buffer + memory), every kind counted:
 *     layout transitions, queue-family release/acquire halves, aliasing and first-use
 *     barriers of imported resources (their source side is filled in at submit time);
 *   - batches: vkCmdPipelineBarrier2 calls (at most one per pass boundary, plus releases);
 *   - naive: one whole-resource barrier at every use of every live pass, each its own call;
 *   - transient bytes before and after aliasing.
 * Figures: barriers_vs_naive_<graph> (one family), batches_vs_naive_<graph>,
 * aliasing_ratio_demo (aliased_bytes / transient_bytes, one family) and
 * aliasing_ratio_demo_3q, aliasing_vs_peak_<graph>[_3q] (aliased_bytes / peak_live_bytes: how
 * close aliasing comes to the most bytes live at once, which no placement can beat).
 * VKG_BENCH_MEMORY_SVG=DIR draws each graph's memory map there. VKG_BENCH_DUMP=1 prints every barrier of the demo's plan.
 * Pure: no device. */
#include "bench.h"
#include "demo/demo.h"

#include <dirent.h>

#ifndef VKG_SOURCE_DIR
#define VKG_SOURCE_DIR "."
#endif

static void dump(const vkg_plan_info *in)
{
    for (uint32_t b = 0; b < in->barrier_count; b++) {
        const vkg_plan_barrier *pb = &in->barriers[b];
        const vkg_plan_resource *r = &in->resources[pb->resource];
        const char *where = "?";
        for (uint32_t k = 0; k < in->pass_count; k++) {
            const vkg_plan_pass *p = &in->passes[k];
            if (b >= p->first_barrier && b < p->first_barrier + p->barrier_count) where = p->name;
            if (b >= p->first_post && b < p->first_post + p->post_count) where = p->name;
        }
        char s1[128], s2[128];
        printf("  %-14s %-18s m%u+%u %s -> %s  %s -> %s  flags %u\n", where, r->name, pb->base_mip,
               pb->mip_count, vkg_stage_mask_string(pb->src_stage, s1, sizeof s1),
               vkg_stage_mask_string(pb->dst_stage, s2, sizeof s2), vkg_layout_name(pb->old_layout),
               vkg_layout_name(pb->new_layout), pb->flags);
    }
}

typedef struct counts {
    uint32_t barriers, batches, naive, passes;
    uint64_t transient, aliased, peak;
} counts;

/* VKG_BENCH_MEMORY_SVG=DIR writes each graph's memory map (one family) to DIR/NAME.svg. */
static void write_svg(const char *name, const vkg_plan *plan)
{
    const char *dir = getenv("VKG_BENCH_MEMORY_SVG");
    if (!dir || !*dir) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.svg", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || vkg_plan_write_memory_svg(plan, f) != VKG_SUCCESS) printf("cannot write %s\n", path);
    if (f) fclose(f);
}

static int measure(const char *name, vkg_graph *g, uint32_t variant, counts *out, bool print)
{
    vkg_caps caps;
    vkg_caps_default(&caps);
    if (variant == 0)
        for (int r = 0; r < VKG_QUEUE_ROLE_COUNT; r++) caps.role_family[r] = 0;
    vkg_plan *plan = NULL;
    if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS) return 1;
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    const vkg_plan_stats *st = &in.stats;
    *out = (counts){.barriers = st->image_barriers + st->buffer_barriers + st->memory_barriers,
                    .batches = st->barrier_batches,
                    .passes = in.pass_count,
                    .transient = st->transient_bytes,
                    .aliased = st->aliased_bytes,
                    .peak = st->peak_live_bytes};
    for (uint32_t k = 0; k < in.pass_count; k++) out->naive += in.passes[k].use_count;
    if (print) dump(&in);
    if (variant == 0) write_svg(name, plan);
    vkg_plan_destroy(plan);
    return 0;
}

static void report(const char *name, vkg_graph *g, bool dump_it)
{
    counts c[2];
    if (measure(name, g, 0, &c[0], dump_it) || measure(name, g, 1, &c[1], false)) {
        printf("%-12s does not compile\n", name);
        return;
    }
    for (int v = 0; v < 2; v++)
        printf("%-12s %-7s %6u %9u %8u %6u %8.2f %10.2f %10.2f %10.2f %8.3f\n", name,
               v ? "3 fam" : "1 fam", c[v].passes, c[v].barriers, c[v].batches, c[v].naive,
               (double)c[v].barriers / c[v].naive, c[v].transient / 1048576.0,
               c[v].aliased / 1048576.0, c[v].peak / 1048576.0,
               c[v].peak ? (double)c[v].aliased / c[v].peak : 1.0);
    char fig[96];
    snprintf(fig, sizeof fig, "barriers_vs_naive_%s", name);
    bench_figure("bench_graphs", fig, (double)c[0].barriers / c[0].naive, "x");
    snprintf(fig, sizeof fig, "batches_vs_naive_%s", name);
    bench_figure("bench_graphs", fig, (double)c[0].batches / c[0].naive, "x");
    /* how close aliasing comes to the lower bound: 1.0 is the best any placement can do */
    snprintf(fig, sizeof fig, "aliasing_vs_peak_%s", name);
    bench_figure("bench_graphs", fig, c[0].peak ? (double)c[0].aliased / c[0].peak : 1.0, "x");
    snprintf(fig, sizeof fig, "aliasing_vs_peak_%s_3q", name);
    bench_figure("bench_graphs", fig, c[1].peak ? (double)c[1].aliased / c[1].peak : 1.0, "x");
    if (strcmp(name, "demo") == 0) {
        bench_figure("bench_graphs", "aliasing_ratio_demo",
                     c[0].transient ? (double)c[0].aliased / c[0].transient : 1.0, "x");
        bench_figure("bench_graphs", "aliasing_ratio_demo_3q",
                     c[1].transient ? (double)c[1].aliased / c[1].transient : 1.0, "x");
    }
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(void)
{
    bench_set_device(NULL);
    printf("bench/graphs: plan barriers against a naive tracker (whole-resource state, a barrier "
           "at every use)\n");
    printf("%-12s %-7s %6s %9s %8s %6s %8s %10s %10s %10s %8s\n", "graph", "queues", "passes",
           "barriers", "batches", "naive", "ratio", "trans MiB", "after MiB", "peak MiB",
           "vs peak");
    vkg_graph *g = NULL;
    if (vkgd_graph_create(1280, 720, false, false, &g)) return 1;
    report("demo", g, bench_env_u32("VKG_BENCH_DUMP", 0) != 0);
    vkg_graph_destroy(g);

    struct dirent **list = NULL;
    int n = scandir(VKG_SOURCE_DIR "/examples", &list, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *f = list[i]->d_name;
        size_t len = strlen(f);
        if (len > 5 && strcmp(f + len - 5, ".json") == 0) {
            char path[1024], name[64];
            snprintf(path, sizeof path, "%s/examples/%s", VKG_SOURCE_DIR, f);
            snprintf(name, sizeof name, "%.*s", (int)(len - 5), f);
            char err[512];
            uint32_t frames;
            if (vkg_graph_load_json(path, &(vkg_graph_desc){0}, &g, &frames, err, sizeof err) ==
                VKG_SUCCESS) {
                report(name, g, false);
                vkg_graph_destroy(g);
            } else {
                printf("%-12s %s\n", name, err);
            }
        }
        free(list[i]);
    }
    free(list);
    return 0;
}
