/* `vkgraph run`: executes a graph with built-in deterministic kernels and checks every output
 * against the same computation on the CPU. Used by the CLI and by the device tests; not part
 * of the library's public API (docs/run.md explains the kernels and what they prove). */
#ifndef VKGRAPH_RUN_H_
#define VKGRAPH_RUN_H_

#include <stdio.h>

#include "vkgraph.h"

typedef struct vkgr_options {
    uint32_t frames;           /* 0: 1 */
    uint32_t frames_in_flight; /* 0: 2 */
    bool verify;               /* compare every output after every frame */
    bool timings;              /* per-pass GPU times from timestamp queries */
    bool breadcrumbs;          /* vkg_executor_desc.breadcrumbs: a device loss names passes */
    const char *trace_path;    /* Chrome / Perfetto trace JSON; NULL: none */
    FILE *report;              /* timings table and summary; NULL: quiet */
    uint32_t record_threads;   /* executor recording threads; 0: one per core */
    uint32_t passes_per_command_buffer; /* executor split of submissions; 0: its default */
    uint32_t debug_drop_barrier; /* passed to the executor (tests) */
    uint32_t debug_skew_op; /* tests: 1 + the index of a kernel op whose GPU values are off */
} vkgr_options;

typedef struct vkgr_info {
    uint32_t frames_run;
    uint32_t passes, ops;          /* live passes; kernel operations per frame */
    uint64_t values_checked;       /* words and texels compared, all frames */
    uint64_t values_undefined;     /* not compared: nothing defined them (e.g. host writes) */
    uint64_t mismatches;
    char message[640];             /* the error, or the first mismatch */
} vkgr_info;

/* Runs `graph` on `device`: attaches a kernel to every pass, adds readback passes when
 * verifying, compiles, creates and initialises every imported resource with a deterministic
 * pattern, executes `frames` frames and compares. VKG_SUCCESS when everything ran (look at
 * info->mismatches); VKG_ERROR_INVALID_ARGUMENT / VKG_ERROR_FEATURE_NOT_PRESENT when the
 * graph asks for something the kernels or the device cannot do (info->message names the
 * pass, resource and rule); device errors otherwise. */
vkg_result vkgr_run(vkg_device *device, vkg_graph *graph, const vkgr_options *options,
                    vkgr_info *info);

#endif
