/* `vkgraph demo`: a deferred renderer built on the render graph from procedurally generated
 * content (docs/demo.md). Used by the CLI and its tests; not part of the library's API. */
#ifndef VKGRAPH_DEMO_H_
#define VKGRAPH_DEMO_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct vkgd_options {
    uint32_t width, height;  /* 0: 1280 x 720 */
    uint32_t frames;         /* headless: frames rendered (0: 8), the last one is written;
                                window: frames before closing (0: until the window closes) */
    const char *out_png;     /* headless output; NULL: "frame.png" */
    const char *trace_path;  /* Chrome / Perfetto trace JSON; NULL: none */
    bool breadcrumbs;        /* vkg_executor_desc.breadcrumbs: a device loss names passes */
    const char *device_name; /* NULL: VKG_DEVICE or the most capable device */
    bool window;             /* GLFW window and swapchain instead of a PNG */
    bool validate;           /* validation + synchronization validation; a message fails */
    bool no_async;           /* SSAO on the graphics role instead of the compute role */
    uint32_t resize_at;      /* window: resize to 3/4 of the size at this frame (0: never) */
    uint32_t soak;           /* headless: sample memory every this many frames and fail if
                                vkgraph's memory grows after the first interval (0: off) */
    FILE *report;            /* tables and figures; NULL: quiet */
} vkgd_options;

/* Runs the demo; returns the CLI's exit status: 0 success, 1 run failure (device error,
 * validation message), 2 bad input. Errors are printed to stderr. */
int vkgd_main(const vkgd_options *options);

/* The demo's render graph at width x height without a device, for benchmarks and plans: the
 * same resources and passes as `vkgraph demo` (headless: readback + host passes; `present`:
 * a swapchain-style output and a present pass), with no record callbacks. Returns 0 and
 * *out (destroy it with vkg_graph_destroy), or 1 (printed to stderr). */
typedef struct vkg_graph vkg_graph;
int vkgd_graph_create(uint32_t width, uint32_t height, bool present, bool no_async, vkg_graph **out);

#endif
