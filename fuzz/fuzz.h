/* Shared by the fuzz targets (libFuzzer) and their replay driver (replay.c). */
#ifndef VKG_FUZZ_H_
#define VKG_FUZZ_H_

#include "vkgraph.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void vkgf_quiet_fn(void *user, vkg_log_level level, const char *file, int line,
                          const char *message)
{
    (void)user, (void)level, (void)file, (void)line, (void)message;
}

/* Messages are still formatted (that code is fuzzed too), then dropped. */
static inline vkg_logger vkgf_quiet(void)
{
    return (vkg_logger){.fn = vkgf_quiet_fn, .min_level = VKG_LOG_DEBUG};
}

/* Compiles the graph for one queue family and for the three-family default device, then
 * writes each plan as JSON and DOT and reads its info; recompiles the last plan in place. */
static inline void vkgf_compile_all(vkg_graph *g)
{
    vkg_plan *plan = NULL;
    for (int variant = 0; variant < 2; variant++) {
        vkg_caps caps;
        vkg_caps_default(&caps);
        if (variant == 0)
            for (int r = 0; r < VKG_QUEUE_ROLE_COUNT; r++) caps.role_family[r] = 0;
        vkg_plan *p = NULL;
        if (vkg_compile(g, &caps, &p) != VKG_SUCCESS) {
            if (p) abort(); /* a failed compile must not hand out a plan */
            continue;
        }
        vkg_plan_info in;
        vkg_plan_get_info(p, &in);
        FILE *sink = fopen("/dev/null", "w");
        if (sink) {
            if (vkg_plan_write_json(p, sink) != VKG_SUCCESS || vkg_plan_write_dot(p, sink) != VKG_SUCCESS)
                abort();
            fclose(sink);
        }
        vkg_plan_destroy(plan);
        plan = p;
    }
    if (plan) {
        vkg_caps caps;
        vkg_caps_default(&caps);
        if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS && plan) abort();
        vkg_plan_destroy(plan);
    }
}

#endif
