/* vkgraph command-line tool. Exit status: 0 success, 1 run failure, 2 bad input. */
#include "vkgraph.h"
#include "demo/demo.h"
#include "run/run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vkgraph <command> [options]\n"
            "\n"
            "commands:\n"
            "  devices [--device NAME] [--simulate-families SPEC] [--formats]\n"
            "                            list Vulkan devices, their queue families and the\n"
            "                            features vkgraph uses; mark the one it would pick;\n"
            "                            --formats lists each format's supported uses\n"
            "  plan FILE.json [--json] [--device NAME | --families SPEC] [--split-barriers]\n"
            "      [--memory-svg M.svg] [--cold] [--alias-across-queues]\n"
            "                            compile a graph file and print the plan: the device\n"
            "                            it is for, order, culled passes, barriers, queue\n"
            "                            transfers, semaphores, the transient memory map.\n"
            "                            It plans for the device `run` uses (VKG_DEVICE, or\n"
            "                            --device NAME); --families SPEC plans for a GPU with\n"
            "                            those queue families instead (gct:16,t:2,ct:8, or 1\n"
            "                            for that default shape); with no Vulkan device at\n"
            "                            all, for vkg_caps_default. --memory-svg draws the\n"
            "                            memory map; the plan shown is the last of 4 in-place\n"
            "                            recompiles (--cold: the first compile, which also pays\n"
            "                            for fresh memory); --alias-across-queues: less memory,\n"
            "                            more semaphores (VKG_COMPILE_ALIAS_ACROSS_QUEUES)\n"
            "  dot FILE.json [--device NAME | --families SPEC] [--split-barriers]\n"
            "                            write the compiled graph as Graphviz DOT (same devices\n"
            "                            as plan)\n"
            "  accesses                  list the access names a graph file can use: stages,\n"
            "                            access mask, image layout, queues, what it needs\n"
            "  run FILE.json [--frames N] [--verify] [--validate] [--timings] [--trace T.json]\n"
            "      [--device NAME] [--frames-in-flight N] [--threads N] [--breadcrumbs]\n"
            "                            execute the graph with built-in deterministic kernels;\n"
            "                            --verify compares every output with the same work done\n"
            "                            on the CPU, --validate fails on any validation message\n"
            "                            (synchronization validation included), --timings prints\n"
            "                            per-pass GPU times, --trace writes a Chrome/Perfetto trace,\n"
            "                            --breadcrumbs names the passes running at a device loss\n"
            "  demo [--out FILE.png] [--window] [--frames N] [--size WxH] [--device NAME]\n"
            "      [--trace T.json] [--validate] [--no-async] [--resize-at N] [--soak N]\n"
            "      [--breadcrumbs]\n"
            "                            deferred renderer on the graph (G-buffer, SSAO on the\n"
            "                            compute queue, lighting, bloom, tonemap); headless it\n"
            "                            renders N frames (8) and writes the last to FILE.png\n"
            "                            (frame.png); --window opens a window and presents\n"
            "                            until closed or N frames; prints per-pass GPU times,\n"
            "                            barriers, transient memory and frame CPU time;\n"
            "                            --soak N samples memory every N frames and fails if\n"
            "                            vkgraph's host or device memory grows\n"
            "  version                   print the version\n"
            "\n"
            "environment: VKG_DEVICE=NAME picks the first device whose name contains NAME;\n"
            "VKG_VALIDATION=1 enables validation with synchronization validation;\n"
            "VKG_QUEUE_SPLIT=1 gives every queue role its own timeline and submissions even\n"
            "on a device with one queue family (cross-queue semaphores on lavapipe);\n"
            "VKG_SIMULATE_FAMILIES=1 (or a shape such as gct:2,ct:2,t:1) presents the device's\n"
            "queue families as a discrete GPU's several, through vkgraph's layer\n"
            "VK_LAYER_VKGRAPH_simulate_families (docs/testing.md).\n");
}

static const char *device_type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "CPU";
    default:
        return "other";
    }
}

static void queue_flags(VkQueueFlags f, char *buf, size_t n)
{
    buf[0] = 0;
    static const struct {
        VkQueueFlags bit;
        const char *name;
    } names[] = {{VK_QUEUE_GRAPHICS_BIT, "graphics"},
                 {VK_QUEUE_COMPUTE_BIT, "compute"},
                 {VK_QUEUE_TRANSFER_BIT, "transfer"},
                 {VK_QUEUE_SPARSE_BINDING_BIT, "sparse"},
                 {VK_QUEUE_PROTECTED_BIT, "protected"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(f & names[i].bit)) continue;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? "|" : "", names[i].name);
    }
}

static const char *yes(bool b)
{
    return b ? "yes" : "no";
}

/* One line per format the device knows: what a graph may use it for (the uses the compiler
 * checks: storage, sampled, color and depth attachment; plus blending, linear filtering and
 * copies), the answer to VKG_ERROR_FEATURE_NOT_PRESENT. */
static void print_formats(const vkg_caps *c)
{
    static const struct {
        VkFormatFeatureFlags bit;
        const char *name;
    } uses[] = {
        {VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT, "storage"},
        {VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT, "sampled"},
        {VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT, "linear-filter"},
        {VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT, "color"},
        {VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT, "blend"},
        {VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT, "depth"},
        {VK_FORMAT_FEATURE_TRANSFER_SRC_BIT, "transfer-src"},
        {VK_FORMAT_FEATURE_TRANSFER_DST_BIT, "transfer-dst"},
    };
    printf("    formats (optimal tiling; the uses a graph may declare):\n");
    for (uint32_t f = 0; f < c->format_count; f++) {
        printf("      %-28s", vkg_format_name(c->formats[f].format));
        bool any = false;
        for (size_t u = 0; u < sizeof uses / sizeof uses[0]; u++)
            if (c->formats[f].features & uses[u].bit) {
                printf("%s%s", any ? " " : "", uses[u].name);
                any = true;
            }
        printf("%s\n", any ? "" : "(none)");
    }
}

static int cmd_devices(int argc, char **argv)
{
    vkg_device_desc desc = {0};
    bool formats = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            desc.device_name = argv[++i];
            desc.device_name_origin = "--device";
        } else if (strcmp(argv[i], "--simulate-families") == 0 && i + 1 < argc) {
            desc.simulate_families = argv[++i];
        } else if (strcmp(argv[i], "--formats") == 0) {
            formats = true;
        } else {
            fprintf(stderr, "vkgraph devices: unknown option \"%s\"\n", argv[i]);
            return 2;
        }
    }
    vkg_physical_device_info infos[16];
    uint32_t count = 16, picked = UINT32_MAX;
    vkg_result r = vkg_enumerate_devices(&desc, infos, &count, &picked);
    if (r != VKG_SUCCESS) {
        fprintf(stderr, "vkgraph devices: %s\n", vkg_result_name(r));
        return 1;
    }
    if (count > 16) count = 16;
    printf("%u Vulkan device%s\n", count, count == 1 ? "" : "s");
    for (uint32_t i = 0; i < count; i++) {
        const vkg_physical_device_info *d = &infos[i];
        const vkg_caps *c = &d->caps;
        printf("\n[%u] %s%s\n", i, c->device_name, i == picked ? "   <- vkgraph picks this" : "");
        printf("    type: %s, driver: %s %s, API %u.%u.%u\n", device_type_name(d->type),
               d->driver_name, d->driver_info, VK_API_VERSION_MAJOR(c->api_version),
               VK_API_VERSION_MINOR(c->api_version), VK_API_VERSION_PATCH(c->api_version));
        printf("    usable by vkgraph: %s%s%s\n", yes(d->suitable), d->suitable ? "" : " — ",
               d->suitable ? "" : d->why_unsuitable);
        printf("    queue families%s:\n",
               c->families_simulated ? " (SIMULATED by VK_LAYER_VKGRAPH_simulate_families: all "
                                       "run on the driver's one queue)"
                                     : "");
        for (uint32_t q = 0; q < c->queue_family_count; q++) {
            char flags[96];
            queue_flags(c->queue_families[q].flags, flags, sizeof flags);
            char roles[64] = "";
            for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
                if (c->role_family[role] != q) continue;
                size_t len = strlen(roles);
                snprintf(roles + len, sizeof roles - len, "%s%s", len ? ", " : " <- ",
                         vkg_queue_role_name((vkg_queue_role)role));
            }
            printf("      %u: %-36s x%-2u timestamp bits %-2u%s\n", q, flags,
                   c->queue_families[q].queue_count, c->queue_families[q].timestamp_valid_bits,
                   roles);
        }
        printf("    required: timeline semaphores %s, synchronization2 %s, dynamic rendering %s, "
               "buffer device address %s\n",
               yes(c->timeline_semaphore), yes(c->synchronization2), yes(c->dynamic_rendering),
               yes(c->buffer_device_address));
        printf("    optional: descriptor indexing %s, push descriptors %s, maintenance4 %s, host "
               "image copy %s\n",
               yes(c->descriptor_indexing), yes(c->push_descriptors), yes(c->maintenance4),
               yes(c->host_image_copy));
        printf("    memory: %u heaps, %u types; bufferImageGranularity %llu\n",
               c->memory_heap_count, c->memory_type_count,
               (unsigned long long)c->buffer_image_granularity);
        if (formats) print_formats(c);
    }
    if (picked == UINT32_MAX) {
        printf("\nno usable device%s%s\n", desc.device_name ? " matches " : "",
               desc.device_name ? desc.device_name : "");
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * plan / dot
 * ---------------------------------------------------------------------------------------- */
typedef struct plan_opts {
    const char *file;
    const char *device;
    const char *memory_svg; /* --memory-svg FILE */
    const char *families;   /* --families SPEC */
    bool json, split, cold, across;
} plan_opts;

/* 0 ok, 1 help printed, 2 bad usage */
static int parse_plan_opts(const char *cmd, int argc, char **argv, plan_opts *o, bool allow_json)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (allow_json && strcmp(argv[i], "--json") == 0) {
            o->json = true;
        } else if (strcmp(argv[i], "--split-barriers") == 0) {
            o->split = true;
        } else if (strcmp(argv[i], "--split") == 0) {
            fprintf(stderr,
                    "vkgraph %s: \"--split\" is now \"--split-barriers\" (events between producer "
                    "and consumer); splitting queues is VKG_QUEUE_SPLIT=1\n",
                    cmd);
            return 2;
        } else if (strcmp(argv[i], "--alias-across-queues") == 0) {
            o->across = true;
        } else if (strcmp(argv[i], "--cold") == 0) {
            o->cold = true;
        } else if (allow_json && strcmp(argv[i], "--memory-svg") == 0 && i + 1 < argc) {
            o->memory_svg = argv[++i];
        } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            o->device = argv[++i];
        } else if (strcmp(argv[i], "--families") == 0 && i + 1 < argc) {
            o->families = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "vkgraph %s: unknown option \"%s\"\n", cmd, argv[i]);
            return 2;
        } else if (!o->file) {
            o->file = argv[i];
        } else {
            fprintf(stderr, "vkgraph %s: one graph file at a time (got \"%s\" and \"%s\")\n", cmd,
                    o->file, argv[i]);
            return 2;
        }
    }
    if (!o->file) {
        fprintf(stderr, "vkgraph %s: which graph file? usage: vkgraph %s FILE.json%s\n", cmd, cmd,
                allow_json ? " [--json]" : "");
        return 2;
    }
    return 0;
}

static int exit_for(vkg_result r)
{
    switch (r) {
    case VKG_SUCCESS:
        return 0;
    case VKG_ERROR_INVALID_ARGUMENT:
    case VKG_ERROR_INVALID_HANDLE:
    case VKG_ERROR_PARSE:
    case VKG_ERROR_IO:
    case VKG_ERROR_LIMIT:
    case VKG_ERROR_FEATURE_NOT_PRESENT:
        return 2; /* bad input: the message names the file position or the pass and rule */
    default:
        return 1;
    }
}

static void quiet_log(void *user, vkg_log_level level, const char *file, int line,
                      const char *message)
{
    (void)user, (void)level, (void)file, (void)line, (void)message;
}

/* "family 0 graphics|compute|transfer x16, 1 transfer x2, ...; roles: graphics 0, ..." */
static void print_caps(const vkg_caps *c, const char *source)
{
    printf("plan for %s%s (%s)\n  %u queue famil%s:", c->device_name,
           c->families_simulated ? " [simulated families]" : "", source, c->queue_family_count,
           c->queue_family_count == 1 ? "y" : "ies");
    for (uint32_t i = 0; i < c->queue_family_count; i++) {
        VkQueueFlags f = c->queue_families[i].flags;
        printf("%s %u %s%s%s%s x%u", i ? "," : "", i, (f & VK_QUEUE_GRAPHICS_BIT) ? "g" : "",
               (f & VK_QUEUE_COMPUTE_BIT) ? "c" : "", (f & VK_QUEUE_TRANSFER_BIT) ? "t" : "",
               (f & VK_QUEUE_SPARSE_BINDING_BIT) ? "s" : "", c->queue_families[i].queue_count);
    }
    printf("; roles: graphics on %u, compute on %u, transfer on %u%s\n",
           c->role_family[VKG_QUEUE_GRAPHICS], c->role_family[VKG_QUEUE_COMPUTE],
           c->role_family[VKG_QUEUE_TRANSFER], c->queue_split ? " (split: a queue each)" : "");
}

static uint64_t first_compile_us; /* of the last load_and_compile */
static vkg_caps plan_caps;         /* what the last load_and_compile planned for */
static char plan_caps_source[96];  /* where they came from */

/* Loads and compiles; the device (when named) gives caps and real memory requirements. */
static int load_and_compile(const char *cmd, const plan_opts *o, vkg_graph **g, vkg_plan **plan,
                            vkg_device **dev)
{
    vkg_graph_desc gd = {.compile_flags = (o->split ? VKG_COMPILE_SPLIT_BARRIERS : 0) |
                                          (o->across ? VKG_COMPILE_ALIAS_ACROSS_QUEUES : 0)};
    char err[1024];
    vkg_result r = vkg_graph_load_json(o->file, &gd, g, NULL, err, sizeof err);
    if (r != VKG_SUCCESS) return exit_for(r);
    /* The caps to plan for: --families SPEC (the documented default device with that queue
     * shape), --device NAME, or by default the device `vkgraph run` would use, so that plan
     * and run agree; without any Vulkan device, the documented default (vkg_caps_default). */
    vkg_caps *caps = &plan_caps;
    vkg_compile_desc cd = {.caps = caps};
    if (o->families && o->device) {
        fprintf(stderr, "vkgraph %s: --families and --device name two different devices: give one\n",
                cmd);
        return 2;
    }
    if (o->families) {
        char why[256];
        vkg_caps_default(caps);
        if (vkg_caps_simulate_families(caps, o->families, why, sizeof why) != VKG_SUCCESS) {
            fprintf(stderr, "vkgraph %s: --families \"%s\": %s\n", cmd, o->families, why);
            return 2;
        }
        snprintf(plan_caps_source, sizeof plan_caps_source, "--families %s", o->families);
    } else {
        /* the default probe is quiet: a machine without Vulkan still gets a plan */
        vkg_logger quiet = {.fn = o->device ? NULL : quiet_log, .min_level = VKG_LOG_ERROR};
        r = vkg_device_create(&(vkg_device_desc){.app_name = "vkgraph", .device_name = o->device,
                                                 .device_name_origin = "--device",
                                                 .logger = quiet},
                              dev);
        if (r != VKG_SUCCESS && o->device) {
            fprintf(stderr, "vkgraph %s: --device \"%s\": no usable Vulkan device matches (%s); "
                            "vkgraph devices lists them\n",
                    cmd, o->device, vkg_result_name(r));
            return 1;
        }
        if (r == VKG_SUCCESS) {
            *caps = *vkg_device_caps(*dev);
            cd.requirements = vkg_device_requirements;
            cd.requirements_user = *dev;
            snprintf(plan_caps_source, sizeof plan_caps_source, "%s",
                     o->device ? "--device" : "the device vkgraph run would use");
        } else {
            vkg_caps_default(caps);
            snprintf(plan_caps_source, sizeof plan_caps_source,
                     "no Vulkan device here: the documented default, vkg_caps_default");
        }
    }
    r = vkg_compile_ex(*g, &cd, plan);
    if (r != VKG_SUCCESS) {
        fprintf(stderr, "vkgraph %s: %s: the graph does not compile (%s)\n", cmd, o->file,
                vkg_result_name(r));
        return exit_for(r);
    }
    /* The first compile in a process also pays for fresh memory (page faults, which on some
     * virtual machines cost more than the compile); an application recompiles into its plan
     * (on resize, on a changed graph) with that memory warm. So the plan shown comes from
     * the last of a few in-place recompiles, as bench/compile measures; --cold keeps the first. */
    vkg_plan_info info;
    vkg_plan_get_info(*plan, &info);
    first_compile_us = info.stats.compile_us;
    if (info.pass_count == 0 && info.culled_count)
        fprintf(stderr,
                "vkgraph %s: warning: %s: every pass was culled (%u): none has side effects, "
                "writes an output or imported resource, presents or reads back on the host; "
                "mark what the graph produces \"output\": true\n",
                cmd, o->file, info.culled_count);
    for (int i = 0; i < 4 && !o->cold; i++) {
        r = vkg_compile_ex(*g, &cd, plan);
        if (r != VKG_SUCCESS) return exit_for(r);
    }
    return 0;
}

static const char *human_bytes(uint64_t b, char *buf, size_t n)
{
    if (b >= (1ull << 30)) snprintf(buf, n, "%.2f GiB", (double)b / (1ull << 30));
    else if (b >= (1ull << 20)) snprintf(buf, n, "%.2f MiB", (double)b / (1ull << 20));
    else if (b >= 1024) snprintf(buf, n, "%.1f KiB", (double)b / 1024);
    else snprintf(buf, n, "%" PRIu64 " B", b);
    return buf;
}

static void print_barrier(const vkg_plan_info *in, const vkg_plan_barrier *b, const char *what)
{
    const vkg_plan_resource *r = &in->resources[b->resource];
    char s1[200], s2[200], a1[200], a2[200], where[96];
    const VkImageAspectFlags ds = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    if (r->is_image)
        snprintf(where, sizeof where, "%smips [%u,%u) layers [%u,%u)",
                 vkg_format_aspect(r->format) != ds    ? ""
                 : b->aspect == VK_IMAGE_ASPECT_DEPTH_BIT   ? "depth "
                 : b->aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? "stencil "
                                                            : "depth+stencil ",
                 b->base_mip, b->base_mip + b->mip_count, b->base_layer, b->base_layer + b->layer_count);
    else
        snprintf(where, sizeof where, "bytes [%" PRIu64 ",%" PRIu64 ")", (uint64_t)b->offset,
                 (uint64_t)(b->offset + b->size));
    printf("      %-8s %s \"%s\" %s\n", what, r->is_image ? "image" : "buffer", r->name, where);
    printf("               %s / %s -> %s / %s\n",
           vkg_stage_mask_string(b->src_stage, s1, sizeof s1),
           vkg_access_mask_string(b->src_access, a1, sizeof a1),
           vkg_stage_mask_string(b->dst_stage, s2, sizeof s2),
           vkg_access_mask_string(b->dst_access, a2, sizeof a2));
    if (r->is_image && b->old_layout != b->new_layout)
        printf("               layout %s -> %s\n", vkg_layout_name(b->old_layout),
               vkg_layout_name(b->new_layout));
    if (b->src_family != VK_QUEUE_FAMILY_IGNORED)
        printf("               queue family %u -> %u\n", b->src_family, b->dst_family);
    if (b->flags & (VKG_BARRIER_ALIAS | VKG_BARRIER_IMPORTED | VKG_BARRIER_DISCARD |
                    VKG_BARRIER_SPLIT))
        printf("               %s%s%s%s\n", (b->flags & VKG_BARRIER_SPLIT) ? "[split: event] " : "",
               (b->flags & VKG_BARRIER_ALIAS) ? "[aliased memory] " : "",
               (b->flags & VKG_BARRIER_IMPORTED) ? "[imported: patched at submit] " : "",
               (b->flags & VKG_BARRIER_DISCARD) ? "[discard contents]" : "");
}

/* One row per transient: heap, offset, size, alignment, lifetime, and whose memory it
 * takes over. */
static void print_memory_map(const vkg_plan_info *in)
{
    char b1[64], b2[64];
    for (uint32_t h = 0; h < in->heap_count; h++)
        printf("  heap %u: memory type %u, %s for %u transients, peak live %s\n", h,
               in->heaps[h].memory_type, human_bytes(in->heaps[h].size, b1, sizeof b1),
               in->heaps[h].resource_count,
               human_bytes(in->heaps[h].peak_live_bytes, b2, sizeof b2));
    if (!in->heap_count) return;
    printf("    %-20s %4s %12s %12s %9s %11s  %s\n", "transient", "heap", "offset", "bytes", "align",
           "passes", "takes over the memory of");
    for (uint32_t i = 0; i < in->resource_count; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (r->heap == UINT32_MAX) continue;
        char life[32];
        snprintf(life, sizeof life, "#%u..#%u%s", r->first_pass, r->last_pass, r->output ? "+" : "");
        printf("    %-20s %4u %12" PRIu64 " %12" PRIu64 " %9" PRIu64 " %11s  ", r->name, r->heap,
               (uint64_t)r->offset, (uint64_t)r->memory_size, (uint64_t)r->alignment, life);
        for (uint32_t a = 0; a < r->alias_of_count; a++)
            printf("%s%s", a ? ", " : "", in->resources[r->alias_of[a]].name);
        printf("%s\n", r->alias_of_count ? "" : "-");
    }
}

static void print_plan(const vkg_plan_info *in)
{
    char b1[64], b2[64], st[200];
    print_caps(&plan_caps, plan_caps_source);
    printf("plan \"%s\"\n", in->name);
    printf("  %u passes, %u culled", in->pass_count, in->culled_count);
    for (uint32_t i = 0; i < in->culled_count; i++)
        printf("%s\"%s\"", i ? ", " : ": ", in->culled[i]);
    printf("\n");
    for (uint32_t i = 0; i < in->resource_count; i++)
        if (in->resources[i].history == 1)
            printf("  history \"%s\": last execution's contents read as \"%s\" (%s at first)\n",
                   in->resources[i].name, in->resources[in->resources[i].history_pair].name,
                   in->resources[i].history_clear ? "cleared" : "undefined");
    for (uint32_t q = 0; q < in->queue_count; q++)
        printf("  queue %-8s family %u: %u passes in %u submission%s\n",
               vkg_queue_role_name(in->queues[q].role), in->queues[q].family,
               in->queues[q].pass_count, in->queues[q].submission_count,
               in->queues[q].submission_count == 1 ? "" : "s");
    for (uint32_t s = 0; s < in->submission_count; s++) {
        const vkg_plan_submission *sub = &in->submissions[s];
        if (!sub->prologue_count) continue;
        printf("\n  prologue on %s (submission 0)\n",
               vkg_queue_role_name(in->queues[sub->queue].role));
        for (uint32_t i = 0; i < sub->prologue_count; i++)
            print_barrier(in, &in->barriers[sub->first_prologue + i], "release");
    }
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        const vkg_plan_submission *sub = &in->submissions[p->submission];
        bool first = in->queue_passes[sub->first_pass] == k;
        printf("\n  #%u %s  [%s queue, submission %u]\n", k, p->name,
               vkg_queue_role_name(in->queues[p->queue].role), sub->index);
        if (first)
            for (uint32_t i = 0; i < sub->wait_count; i++) {
                const vkg_plan_wait *w = &in->waits[sub->first_wait + i];
                printf("      wait     %s submission %u before %s\n",
                       vkg_queue_role_name(in->queues[w->queue].role), w->submission,
                       vkg_stage_mask_string(w->stage, st, sizeof st));
            }
        for (uint32_t i = 0; i < p->use_count; i++) {
            const vkg_plan_use *u = &in->uses[p->first_use + i];
            const vkg_plan_resource *ur = &in->resources[u->resource];
            bool one_aspect = ur->is_image && !vkg_access_get(u->access)->aspect &&
                              vkg_format_aspect(ur->format) ==
                                  (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT) &&
                              u->aspect != vkg_format_aspect(ur->format);
            printf("      uses     %s \"%s\" as %s%s\n", ur->is_image ? "image" : "buffer", ur->name,
                   vkg_access_get(u->access)->name,
                   !one_aspect ? "" : u->aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? " (stencil)" : " (depth)");
        }
        if (p->after_barrier)
            printf("      barrier  all commands / all memory before this one on its queue "
                   "(ordering: after)\n");
        for (uint32_t i = 0; i < p->barrier_count; i++) {
            const vkg_plan_barrier *b = &in->barriers[p->first_barrier + i];
            print_barrier(in, b, (b->flags & VKG_BARRIER_ACQUIRE) ? "acquire" : "barrier");
        }
        for (uint32_t we = 0; we < p->wait_event_count; we++) {
            uint32_t e = in->wait_events[p->first_wait_event + we];
            printf("      wait     event %u (set after #%u %s)\n", e, in->events[e].set_pass,
                   in->passes[in->events[e].set_pass].name);
            for (uint32_t i = 0; i < in->events[e].barrier_count; i++)
                print_barrier(in, &in->barriers[in->events[e].first_barrier + i], "split");
        }
        for (uint32_t i = 0; i < p->post_count; i++)
            print_barrier(in, &in->barriers[p->first_post + i], "release");
        for (uint32_t e = 0; e < p->set_event_count; e++)
            printf("      set      event %u (waited before #%u %s)\n", p->first_set_event + e,
                   in->events[p->first_set_event + e].wait_pass,
                   in->passes[in->events[p->first_set_event + e].wait_pass].name);
    }
    const vkg_plan_stats *s = &in->stats;
    printf("\n  %u barrier batches: %u image, %u buffer, %u memory barriers; %u layout "
           "transitions; %u queue transfers; %u semaphore waits; %u submissions; %u events\n",
           s->barrier_batches, s->image_barriers, s->buffer_barriers, s->memory_barriers,
           s->layout_transitions, s->queue_transfers, s->semaphores, s->submissions, s->events);
    uint32_t placed = 0;
    for (uint32_t i = 0; i < in->resource_count; i++) placed += in->resources[i].heap != UINT32_MAX;
    printf("  transient memory: %s in %u resources -> %s in %u heap%s",
           human_bytes(s->transient_bytes, b1, sizeof b1), placed, human_bytes(s->aliased_bytes, b2, sizeof b2), in->heap_count, in->heap_count == 1 ? "" : "s");
    if (s->transient_bytes && s->aliased_bytes < s->transient_bytes)
        printf(" (%.0f%% saved by aliasing)",
               100.0 * (double)(s->transient_bytes - s->aliased_bytes) / (double)s->transient_bytes);
    else if (s->transient_bytes)
        printf(" (no lifetimes end before others begin: nothing to alias)");
    printf("\n  transient memory map (lower bound: %s live at once; aliasing uses %.3fx that)\n",
           human_bytes(s->peak_live_bytes, b1, sizeof b1),
           s->peak_live_bytes ? (double)s->aliased_bytes / (double)s->peak_live_bytes : 1.0);
    print_memory_map(in);
    printf("\n  compiled in %" PRIu64 " us (", s->compile_us);
    for (int p = 0; p < VKG_COMPILE_PHASE_COUNT; p++)
        printf("%s%s %.0f", p ? ", " : "", vkg_compile_phase_name((vkg_compile_phase)p),
               (double)s->phase_ns[p] / 1000.0);
    printf(")%s; the first compile in this process took %" PRIu64 " us\n",
           first_compile_us == s->compile_us ? "" : ", recompiled in place", first_compile_us);
}

static int cmd_plan(int argc, char **argv, bool dot)
{
    const char *cmd = dot ? "dot" : "plan";
    plan_opts o;
    int rc = parse_plan_opts(cmd, argc, argv, &o, !dot);
    if (rc) return rc == 1 ? 0 : rc;
    vkg_graph *g = NULL;
    vkg_plan *plan = NULL;
    vkg_device *dev = NULL;
    rc = load_and_compile(cmd, &o, &g, &plan, &dev);
    if (rc == 0 && o.memory_svg) {
        FILE *svg = fopen(o.memory_svg, "w");
        vkg_result r = svg ? vkg_plan_write_memory_svg(plan, svg) : VKG_ERROR_IO;
        if ((svg && fclose(svg) != 0) || r != VKG_SUCCESS) {
            fprintf(stderr, "vkgraph %s: cannot write the memory map to \"%s\"\n", cmd,
                    o.memory_svg);
            rc = 1;
        }
    }
    if (rc == 0) {
        vkg_result r;
        if (dot) {
            r = vkg_plan_write_dot(plan, stdout);
        } else if (o.json) {
            r = vkg_plan_write_json(plan, stdout);
        } else {
            vkg_plan_info info;
            vkg_plan_get_info(plan, &info);
            print_plan(&info);
            r = VKG_SUCCESS;
        }
        if (r != VKG_SUCCESS || fflush(stdout) != 0) {
            fprintf(stderr, "vkgraph %s: cannot write the output\n", cmd);
            rc = 1;
        }
    }
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_device_destroy(dev);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * run
 * ---------------------------------------------------------------------------------------- */
static bool parse_count(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return false;
    *out = (uint32_t)v;
    return true;
}

static int cmd_run(int argc, char **argv)
{
    const char *file = NULL, *device = NULL;
    vkgr_options o = {.report = stdout};
    bool validate = false, frames_given = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--verify") == 0) {
            o.verify = true;
        } else if (strcmp(a, "--validate") == 0) {
            validate = true;
        } else if (strcmp(a, "--timings") == 0) {
            o.timings = true;
        } else if (strcmp(a, "--breadcrumbs") == 0) {
            o.breadcrumbs = true;
        } else if (strcmp(a, "--frames") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 1000000, &o.frames)) {
                fprintf(stderr, "vkgraph run: --frames wants a count from 1 to 1000000, not \"%s\"\n", argv[i]);
                return 2;
            }
            frames_given = true;
        } else if (strcmp(a, "--frames-in-flight") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 16, &o.frames_in_flight)) {
                fprintf(stderr, "vkgraph run: --frames-in-flight wants 1 to 16, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 64, &o.record_threads)) {
                fprintf(stderr, "vkgraph run: --threads wants 1 to 64, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--trace") == 0 && i + 1 < argc) {
            o.trace_path = argv[++i];
        } else if (strcmp(a, "--device") == 0 && i + 1 < argc) {
            device = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vkgraph run: unknown option \"%s\" (or it lacks its value)\n", a);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "vkgraph run: one graph file at a time (got \"%s\" and \"%s\")\n", file, a);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "vkgraph run: which graph file? usage: vkgraph run FILE.json [--verify]\n");
        return 2;
    }
    vkg_graph *g = NULL;
    uint32_t file_frames = 1;
    char err[1024];
    vkg_result r = vkg_graph_load_json(file, &(vkg_graph_desc){0}, &g, &file_frames, err, sizeof err);
    if (r != VKG_SUCCESS) return exit_for(r);
    if (!frames_given) o.frames = file_frames ? file_frames : 1;
    vkg_device *dev = NULL;
    r = vkg_device_create(&(vkg_device_desc){.app_name = "vkgraph", .device_name = device,
                                             .device_name_origin = "--device",
                                             .validation = validate}, &dev);
    if (r != VKG_SUCCESS) {
        fprintf(stderr, "vkgraph run: no usable device%s%s%s (%s)\n", device ? " matches \"" : "",
                device ? device : "", device ? "\"" : "", vkg_result_name(r));
        vkg_graph_destroy(g);
        return 1;
    }
    printf("device: %s%s\n", vkg_device_caps(dev)->device_name,
           vkg_device_validation_count(dev) == 0 && validate ? " (validation + synchronization validation)" : "");
    vkgr_info info;
    r = vkgr_run(dev, g, &o, &info);
    int rc = 0;
    if (r != VKG_SUCCESS) {
        fprintf(stderr, "vkgraph run: %s: %s\n", file, info.message[0] ? info.message : vkg_result_name(r));
        rc = exit_for(r);
    } else if (info.mismatches) {
        fprintf(stderr, "vkgraph run: %s: verify FAILED: %" PRIu64 " of %" PRIu64 " values differ; first: %s\n",
                file, info.mismatches, info.values_checked, info.message);
        rc = 1;
    } else if (o.verify && info.values_checked == 0) {
        /* a graph whose passes were all culled, or that writes nothing it keeps: passing
         * would claim a check that never happened */
        fprintf(stderr,
                "vkgraph run: %s: verify FAILED: nothing was compared: no pass writes an output "
                "or imported resource (every pass may have been culled: mark what the graph "
                "produces \"output\": true, or give a pass \"side_effects\")\n",
                file);
        rc = 1;
    } else if (o.verify) {
        printf("verify: ok\n");
    }
    uint32_t vmsgs = vkg_device_validation_count(dev);
    vkg_device_destroy(dev);
    vkg_graph_destroy(g);
    if (validate && vmsgs) {
        fprintf(stderr, "vkgraph run: %s: %u validation message%s (printed above)\n", file, vmsgs,
                vmsgs == 1 ? "" : "s");
        if (rc == 0) rc = 1;
    }
    return rc;
}

static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X')) return false;
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end || a < 8 || b < 8 || a > 8192 || b > 8192) return false;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return true;
}

static int cmd_demo(int argc, char **argv)
{
    vkgd_options o = {.report = stdout};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--window") == 0) {
            o.window = true;
        } else if (strcmp(a, "--validate") == 0) {
            o.validate = true;
        } else if (strcmp(a, "--no-async") == 0) {
            o.no_async = true;
        } else if (strcmp(a, "--breadcrumbs") == 0) {
            o.breadcrumbs = true;
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            o.out_png = argv[++i];
        } else if (strcmp(a, "--trace") == 0 && i + 1 < argc) {
            o.trace_path = argv[++i];
        } else if (strcmp(a, "--device") == 0 && i + 1 < argc) {
            o.device_name = argv[++i];
        } else if (strcmp(a, "--frames") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 1000000, &o.frames)) {
                fprintf(stderr, "vkgraph demo: --frames wants a count from 1 to 1000000, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--resize-at") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 1000000, &o.resize_at)) {
                fprintf(stderr, "vkgraph demo: --resize-at wants a frame number from 1, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--soak") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 1000000, &o.soak)) {
                fprintf(stderr, "vkgraph demo: --soak wants a sampling interval in frames, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--size") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], &o.width, &o.height)) {
                fprintf(stderr, "vkgraph demo: --size wants WIDTHxHEIGHT, each 8 to 8192, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "vkgraph demo: unknown option \"%s\" (or it lacks its value)\n", a);
            return 2;
        }
    }
    if (o.resize_at && !o.window) {
        fprintf(stderr, "vkgraph demo: --resize-at needs --window\n");
        return 2;
    }
    if (o.soak && o.window) {
        fprintf(stderr, "vkgraph demo: --soak is for the headless demo\n");
        return 2;
    }
    if (o.out_png && o.window) {
        fprintf(stderr, "vkgraph demo: --out is for the headless demo; --window presents instead\n");
        return 2;
    }
    return vkgd_main(&o);
}

/* ------------------------------------------------------------------------------------------
 * accesses: the access table, as graph files name it
 * ---------------------------------------------------------------------------------------- */
static const char *access_needs(const vkg_access_info *a)
{
    if (a->stage & VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT) return "geometryShader";
    if (a->stage & VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT) return "tessellationShader";
    if (a->stage & VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT) return "taskShader";
    if (a->stage & VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT) return "meshShader";
    if (a->stage & VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR)
        return "accelerationStructure";
    if (a->stage & VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR) return "rayTracingPipeline";
    if (a->access & VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR) return "rayQuery";
    return "";
}

static int cmd_accesses(int argc, char **argv)
{
    if (argc) {
        fprintf(stderr, "vkgraph accesses: takes no arguments (got \"%s\")\n", argv[0]);
        return 2;
    }
    printf("%-40s %-5s %-6s %-3s %-9s %-20s %s\n", "access", "kind", "write", "q", "aspect",
           "layout", "stages / access / needs");
    for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++) {
        const vkg_access_info *a = vkg_access_get((vkg_access)i);
        char st[256], ac[256];
        const char *asp = a->aspect == VK_IMAGE_ASPECT_COLOR_BIT     ? "color"
                          : a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT   ? "depth"
                          : a->aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? "stencil"
                                                                     : "-";
        const char *needs = access_needs(a);
        printf("%-40s %-5s %-6s %s%s%s %-9s %-20s %s / %s%s%s\n", a->name,
               a->kinds == (VKG_ACCESS_KIND_BUFFER | VKG_ACCESS_KIND_IMAGE) ? "both"
               : a->kinds == VKG_ACCESS_KIND_IMAGE                          ? "image"
                                                                            : "buf",
               a->write ? "write" : "read", (a->roles & VKG_ACCESS_ROLE_GRAPHICS) ? "g" : "-",
               (a->roles & VKG_ACCESS_ROLE_COMPUTE) ? "c" : "-",
               (a->roles & VKG_ACCESS_ROLE_TRANSFER) ? "t" : "-", asp,
               a->kinds & VKG_ACCESS_KIND_IMAGE ? vkg_layout_name(a->layout) : "-",
               vkg_stage_mask_string(a->stage, st, sizeof st),
               vkg_access_mask_string(a->access, ac, sizeof ac), needs[0] ? " / needs " : "", needs);
    }
    return 0;
}

/* Lets the Vulkan loader find vkgraph's simulated-families layer next to this program: in a
 * build tree (layer/) and in an install prefix the loader does not search by itself
 * (../share/vulkan/explicit_layer.d). Runs before any thread exists, so setenv is safe. */
static void add_layer_path(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = 0;
    static const char *const dirs[] = {"layer", "../share/vulkan/explicit_layer.d"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char dir[4200], manifest[4300];
        snprintf(dir, sizeof dir, "%s/%s", exe, dirs[i]);
        snprintf(manifest, sizeof manifest, "%s/VkLayer_vkgraph_simulate_families.json", dir);
        if (access(manifest, R_OK) != 0) continue;
        const char *old = getenv("VK_ADD_LAYER_PATH");
        char value[8500];
        snprintf(value, sizeof value, "%s%s%s", old ? old : "", old && old[0] ? ":" : "", dir);
        setenv("VK_ADD_LAYER_PATH", value, 1);
        return;
    }
}

int main(int argc, char **argv)
{
    add_layer_path();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "devices") == 0) return cmd_devices(argc - 2, argv + 2);
    if (strcmp(cmd, "plan") == 0) return cmd_plan(argc - 2, argv + 2, false);
    if (strcmp(cmd, "dot") == 0) return cmd_plan(argc - 2, argv + 2, true);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "demo") == 0) return cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "accesses") == 0) return cmd_accesses(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vkgraph %d.%d.%d\n", VKG_VERSION_MAJOR, VKG_VERSION_MINOR, VKG_VERSION_PATCH);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "vkgraph: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
