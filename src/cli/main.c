/* vkgraph command-line tool. Exit status: 0 success, 1 run failure, 2 bad input. */
#include "vkgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vkgraph <command> [options]\n"
            "\n"
            "commands:\n"
            "  devices [--device NAME]   list Vulkan devices, their queue families and the\n"
            "                            features vkgraph uses; mark the one it would pick\n"
            "  version                   print the version\n"
            "\n"
            "environment: VKG_DEVICE=NAME picks the first device whose name contains NAME;\n"
            "VKG_VALIDATION=1 enables validation with synchronization validation.\n");
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

static int cmd_devices(int argc, char **argv)
{
    vkg_device_desc desc = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            desc.device_name = argv[++i];
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
        printf("    queue families:\n");
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
    }
    if (picked == UINT32_MAX) {
        printf("\nno usable device%s%s\n", desc.device_name ? " matches " : "",
               desc.device_name ? desc.device_name : "");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "devices") == 0) return cmd_devices(argc - 2, argv + 2);
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
