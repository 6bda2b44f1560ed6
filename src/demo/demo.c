/* `vkgraph demo`: a deferred renderer on the render graph.
 *
 * Everything is generated here (no downloads): four meshes and a four-layer texture array,
 * uploaded through the uploader. One graph per output size:
 *
 *   scene_update   compute shader: animates 50 objects, frustum-culls them and writes their
 *                  transforms and indirect draws (GPU-driven)
 *   gbuffer        dynamic rendering, three colour attachments + depth, indirect draws
 *   ssao, ssao_blur  on the compute role (an async queue where the GPU has one)
 *   lighting       fullscreen: sun + eight point lights, ambient scaled by SSAO, sky
 *   bloom_down_N / bloom_up_N   a mip chain, each pass one mip: one narrow barrier per step
 *   tonemap        into the imported output (an image of ours, or a swapchain image)
 *   readback       (headless) the output copied into a host-visible buffer for the PNG
 *
 * The record callbacks are raw Vulkan through the pass context: pipelines and descriptor
 * sets belong to the demo, synchronization and pass timings to the library. */
#include "internal.h"

/* ------------------------------------------------------------------------------------------
 * Frames
 * ---------------------------------------------------------------------------------------- */


void vkgd__report(demo *d, const frame_stats *fs, uint32_t frames)
{
    FILE *f = d->o.report;
    if (!f) return;
    const vkg_plan_stats *st = &d->info.stats;
    fprintf(f, "\nGPU time per pass (timestamp queries, mean over %u frames; us)\n", frames);
    fprintf(f, "  %-16s %-9s %10s %10s %10s\n", "pass", "queue", "mean", "min", "max");
    double total = 0;
    uint32_t timed = 0;
    for (uint32_t k = 0; k < d->info.pass_count; k++) {
        const vkg_plan_pass *p = &d->info.passes[k];
        if (!p->record) continue; /* a pass without commands (present) */
        vkg_pass_time t;
        vkg_profiler_pass_time(d->prof, k, &t);
        if (!t.samples) {
            fprintf(f, "  %-16s %-9s %10s\n", p->name, vkg_queue_role_name(p->role), "-");
            continue;
        }
        fprintf(f, "  %-16s %-9s %10.1f %10.1f %10.1f\n", p->name, vkg_queue_role_name(p->role), t.mean_us,
                t.min_us, t.max_us);
        total += t.mean_us;
        timed++;
    }
    if (!timed) fprintf(f, "  (the device has no timestamps on these queues)\n");
    fprintf(f, "  %-16s %-9s %10.1f\n", "sum", "", total);
    fprintf(f, "\nplan: %u passes, %u submissions, %u barriers in %u batches (%u image, %u buffer, %u memory;"
               " %u layout transitions, %u queue transfers), %u semaphore waits\n",
            st->passes, st->submissions, st->image_barriers + st->buffer_barriers + st->memory_barriers,
            st->barrier_batches, st->image_barriers, st->buffer_barriers, st->memory_barriers,
            st->layout_transitions, st->queue_transfers, st->semaphores);
    double saved = st->transient_bytes > st->aliased_bytes
                       ? 100.0 * (double)(st->transient_bytes - st->aliased_bytes) / (double)st->transient_bytes
                       : 0.0;
    fprintf(f, "transient memory: %.2f MiB before aliasing, %.2f MiB after (%.1f%% saved)\n",
            (double)st->transient_bytes / 1048576.0, (double)st->aliased_bytes / 1048576.0, saved);
    if (fs->exec.n)
        fprintf(f, "frame CPU time: vkg_execute %.1f us mean (min %.1f, max %.1f); whole frame %.1f us mean, "
                   "GPU waits excluded\n",
                fs->exec.sum / fs->exec.n, fs->exec.min, fs->exec.max, fs->frame.n ? fs->frame.sum / fs->frame.n : 0.0);
}

/* The profiler, writing the trace when asked (--trace); pass times need the device's
 * hostQueryReset (core in Vulkan 1.2), and the demo runs without them otherwise. */
static int open_profiler(demo *d)
{
    if (d->o.trace_path) {
        d->trace = fopen(d->o.trace_path, "w");
        if (!d->trace) return vkgd__failf(d, 2, "cannot write the trace to \"%s\"", d->o.trace_path);
    }
    VKGCHECK(d, vkg_profiler_create(d->dev, &(vkg_profiler_desc){.trace = d->trace}, &d->prof), "vkg_profiler_create");
    return 0;
}

static int close_trace(demo *d)
{
    vkg_result r = vkg_profiler_finish(d->prof);
    bool ok = fclose(d->trace) == 0 && r == VKG_SUCCESS;
    d->trace = NULL;
    if (!ok) return vkgd__failf(d, 1, "cannot write the trace to \"%s\"", d->o.trace_path);
    return 0;
}

static int write_png(demo *d, const char *path, const uint8_t *rgba, uint32_t w, uint32_t h)
{
    png_image img = {.version = PNG_IMAGE_VERSION, .width = w, .height = h, .format = PNG_FORMAT_RGBA};
    if (!png_image_write_to_file(&img, path, 0, rgba, (png_int_32)(w * 4), NULL))
        return vkgd__failf(d, 2, "cannot write \"%s\": %s", path, img.message);
    return 0;
}

static int common_setup(demo *d)
{
    vkg_device_get_vk(d->dev, &d->vk);
    d->t = d->vk.device_table;
    d->d = d->vk.device;
    if (vkgd__make_pipelines(d) || vkgd__upload_content(d)) return d->status;
    vkg_executor_desc xd = {.name = "demo", .frames_in_flight = SLOTS, .pass_timings = true,
                            .breadcrumbs = d->o.breadcrumbs};
    vkg_result r = vkg_executor_create(d->dev, &xd, &d->ex);
    if (r == VKG_ERROR_FEATURE_NOT_PRESENT) { /* no timestamps reset from the host: no pass times */
        xd.pass_timings = false;
        r = vkg_executor_create(d->dev, &xd, &d->ex);
    }
    VKGCHECK(d, r, "vkg_executor_create");
    if (xd.pass_timings && open_profiler(d)) return d->status;
    VkDescriptorPoolSize sizes[3] = {{SAMPLED, 64}, {STORAGE_IMG, 32}, {STORAGE_BUF, 16}};
    for (uint32_t s = 0; s < SLOTS; s++)
        VKCHECK(d, d->t->vkCreateDescriptorPool(d->d,
                                                &(VkDescriptorPoolCreateInfo){
                                                    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                                    .maxSets = MAX_PASSES,
                                                    .poolSizeCount = 3,
                                                    .pPoolSizes = sizes},
                                                NULL, &d->pools[s]));
    return 0;
}

static int run_headless(demo *d, frame_stats *fs)
{
    uint32_t w = d->o.width, h = d->o.height, frames = d->o.frames;
    if (vkgd__build_graph(d, w, h, VK_FORMAT_R8G8B8A8_UNORM, false)) return d->status;
    vkg_image output = {0};
    vkg_buffer pixels = {0};
    vkg_result r = vkg_image_create(d->dev,
                                    &(vkg_image_desc){.name = "output",
                                                      .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                      .width = w,
                                                      .height = h,
                                                      .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                                               VK_IMAGE_USAGE_TRANSFER_SRC_BIT},
                                    &output);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev,
                              &(vkg_buffer_desc){.name = "pixels", .size = (VkDeviceSize)w * h * 4,
                                                 .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                                 .memory_usage = VKG_MEMORY_READBACK},
                              &pixels);
    if (r != VKG_SUCCESS) {
        vkg_image_destroy(d->dev, output);
        return vkgd__failf(d, 1, "creating the %ux%u output: %s", w, h, vkg_result_name(r));
    }
    vkg_binding binds[6] = {{d->r_vertices, .buffer = d->vertices}, {d->r_indices, .buffer = d->indices},
                            {d->r_objects, .buffer = d->objects},   {d->r_textures, .image = d->textures},
                            {d->r_output, .image = output},         {d->r_pixels, .buffer = pixels}};
    uint32_t f = 0;
    soak_sample first = {0}, last = {0};
    for (; f < frames && !d->status; f++) {
        if (vkgd__slot_begin(d, f % SLOTS)) break;
        if (d->o.soak && f % d->o.soak == 0) {
            /* both slots have been waited for once the frame after a sample starts: the
             * sample sees the steady state of the frames before it */
            last = vkgd__soak_take(d, f);
            if (f == d->o.soak) first = last;
            if (d->o.report)
                fprintf(d->o.report, "soak: frame %6u: vkgraph host blocks %ld, device memory %.2f MiB "
                                     "reserved / %.2f MiB used, process RSS %.1f MiB\n",
                        f, last.live_blocks, (double)last.device_reserved / 1048576.0,
                        (double)last.device_used / 1048576.0, last.rss_mib);
        }
        vkgd__camera(d, (float)f / 30.0f, w, h);
        if (vkgd__execute(d, fs, f, binds, 6)) break;
    }
    if (!d->status && d->o.soak && first.frame && last.frame > first.frame) {
        if (last.live_blocks != first.live_blocks || last.device_reserved != first.device_reserved ||
            last.device_used != first.device_used)
            vkgd__failf(d, 1,
                  "soak: vkgraph's memory grew between frame %u and frame %u: host blocks %ld -> %ld, "
                  "device memory used %llu -> %llu bytes, reserved %llu -> %llu",
                  first.frame, last.frame, first.live_blocks, last.live_blocks,
                  (unsigned long long)first.device_used, (unsigned long long)last.device_used,
                  (unsigned long long)first.device_reserved, (unsigned long long)last.device_reserved);
        else if (d->o.report)
            fprintf(d->o.report, "soak: flat from frame %u to frame %u (host blocks, device memory); "
                                 "process RSS %.1f -> %.1f MiB\n",
                    first.frame, last.frame, first.rss_mib, last.rss_mib);
    }
    if (!d->status) vkgd__drain(d);
    if (!d->status) {
        vkg_buffer_info bi;
        if (vkg_buffer_get_info(d->dev, pixels, &bi) != VKG_SUCCESS ||
            vkg_buffer_invalidate(d->dev, pixels, 0, VK_WHOLE_SIZE) != VKG_SUCCESS)
            vkgd__failf(d, 1, "reading the pixels back failed");
        else if (!write_png(d, d->o.out_png, bi.mapped, w, h) && d->o.report)
            fprintf(d->o.report, "wrote %s (%ux%u, frame %u)\n", d->o.out_png, w, h, frames - 1);
    }
    vkg_buffer_destroy(d->dev, pixels);
    vkg_image_destroy(d->dev, output);
    return d->status;
}

/* ------------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------------- */
int vkgd_graph_create(uint32_t width, uint32_t height, bool present, bool no_async, vkg_graph **out)
{
    *out = NULL;
    demo *d = calloc(1, sizeof *d);
    if (!d) return 1;
    geometry g = {0};
    if (!vkgd__make_geometry(&g)) {
        free(g.v);
        free(g.idx);
        free(d);
        return 1;
    }
    d->o.no_async = no_async;
    d->object_count = 1 + GRID * GRID;
    d->vertex_bytes = g.nv * (uint32_t)sizeof(vertex);
    d->index_bytes = g.ni * (uint32_t)sizeof(uint32_t);
    free(g.v);
    free(g.idx);
    int status = vkgd__describe_graph(d, width, height, present ? VK_FORMAT_B8G8R8A8_UNORM : VK_FORMAT_R8G8B8A8_UNORM,
                                present);
    if (status) {
        fprintf(stderr, "vkgd_graph_create: %s\n", d->error);
        vkg_graph_destroy(d->graph);
    } else {
        *out = d->graph;
    }
    free(d);
    return status;
}
static void destroy_all(demo *d)
{
    if (!d->dev) return;
    /* a lost device still frees everything below */
    vkg_result idle = vkg_device_wait_idle(d->dev);
    if (idle != VKG_SUCCESS) vkgd__failf(d, 1, "waiting for the device at exit: %s", vkg_result_name(idle));
    vkg_profiler_destroy(d->prof);
    if (d->trace) fclose(d->trace);
    vkg_executor_destroy(d->ex);
    vkg_plan_destroy(d->plan);
    vkg_graph_destroy(d->graph);
    vkg_uploader_destroy(d->uploader);
    vkg_buffer_destroy(d->dev, d->vertices);
    vkg_buffer_destroy(d->dev, d->indices);
    vkg_buffer_destroy(d->dev, d->objects);
    vkg_image_destroy(d->dev, d->textures);
    if (d->d) {
        for (uint32_t i = 0; i < P_COUNT; i++) {
            dpipe *p = &d->pipes[i];
            if (p->pipeline) d->t->vkDestroyPipeline(d->d, p->pipeline, NULL);
            if (p->layout) d->t->vkDestroyPipelineLayout(d->d, p->layout, NULL);
            if (p->dsl) d->t->vkDestroyDescriptorSetLayout(d->d, p->dsl, NULL);
        }
        for (uint32_t i = 0; i < 11; i++)
            if (d->modules[i]) d->t->vkDestroyShaderModule(d->d, d->modules[i], NULL);
        if (d->clamp) d->t->vkDestroySampler(d->d, d->clamp, NULL);
        if (d->wrap) d->t->vkDestroySampler(d->d, d->wrap, NULL);
        if (d->nearest) d->t->vkDestroySampler(d->d, d->nearest, NULL);
        for (uint32_t s = 0; s < SLOTS; s++) {
            if (d->pools[s]) d->t->vkDestroyDescriptorPool(d->d, d->pools[s], NULL);
        }
    }
}

int vkgd_main(const vkgd_options *options)
{
    demo *d = calloc(1, sizeof *d);
    if (!d) {
        fprintf(stderr, "vkgraph demo: out of host memory\n");
        return 1;
    }
    d->o = *options;
    if (!d->o.width || !d->o.height) {
        d->o.width = 1280;
        d->o.height = 720;
    }
    if (!d->o.window && !d->o.frames) d->o.frames = 8;
    if (!d->o.out_png) d->o.out_png = "frame.png";
    pthread_mutex_init(&d->lock, NULL);
    frame_stats *fs = calloc(1, sizeof *fs);
    const char *exts[VKG_MAX_INSTANCE_EXTENSIONS];
    uint32_t ext_count = 0;
#ifdef VKG_HAVE_GLFW
    GLFWwindow *win = NULL;
    bool glfw = false;
#endif
    if (!fs) {
        vkgd__failf(d, 1, "out of host memory");
    } else if (d->o.width < 8 || d->o.height < 8 || d->o.width > 8192 || d->o.height > 8192) {
        vkgd__failf(d, 2, "--size %ux%u: each side must be 8 to 8192 pixels", d->o.width, d->o.height);
    } else if (d->o.window) {
#ifdef VKG_HAVE_GLFW
        if (!glfwInit()) {
            const char *why = NULL;
            glfwGetError(&why);
            vkgd__failf(d, 1, "--window: GLFW cannot start (%s); without a display, run under xvfb-run -a",
                  why ? why : "no reason given");
        } else {
            glfw = true;
            uint32_t n = 0;
            const char **req = glfwVulkanSupported() ? glfwGetRequiredInstanceExtensions(&n) : NULL;
            if (!req || n > VKG_MAX_INSTANCE_EXTENSIONS) {
                vkgd__failf(d, 1, "--window: GLFW finds no Vulkan surface support on this display");
            } else {
                for (uint32_t i = 0; i < n; i++) exts[ext_count++] = req[i];
                glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
                win = glfwCreateWindow((int)d->o.width, (int)d->o.height, "vkgraph demo", NULL, NULL);
                if (!win) vkgd__failf(d, 1, "--window: glfwCreateWindow failed");
            }
        }
#else
        vkgd__failf(d, 2, "--window: this vkgraph was built without GLFW (install libglfw3-dev and rebuild)");
#endif
    }
    if (!d->status) {
        vkg_result r = vkg_device_create(&(vkg_device_desc){.app_name = "vkgraph demo",
                                                            .device_name = d->o.device_name,
                                                            .device_name_origin = "--device",
                                                            .validation = d->o.validate,
                                                            .instance_extensions = ext_count ? exts : NULL,
                                                            .instance_extension_count = ext_count,
                                                            .swapchain = d->o.window,
                                                            .allocator = d->o.soak
                                                                             ? (vkg_allocator){vkgd__soak_alloc,
                                                                                               vkgd__soak_realloc,
                                                                                               vkgd__soak_free, NULL}
                                                                             : (vkg_allocator){0}},
                                         &d->dev);
        if (r != VKG_SUCCESS) vkgd__failf(d, 1, "no usable Vulkan device: %s", vkg_result_name(r));
    }
    if (!d->status && d->o.report)
        fprintf(d->o.report, "vkgraph demo on %s (%s), %ux%u%s%s\n", vkg_device_caps(d->dev)->device_name,
                d->o.window ? "window" : "headless", d->o.width, d->o.height,
                d->o.validate ? ", validation + synchronization validation" : "",
                d->o.no_async ? ", SSAO on the graphics queue" : "");
    if (!d->status) {
        if (!common_setup(d)) {
#ifdef VKG_HAVE_GLFW
            if (d->o.window)
                vkgd__run_window(d, fs, win);
            else
#endif
                run_headless(d, fs);
        }
    }
    if (!d->status) {
        vkgd__report(d, fs, fs->exec.n);
        if (d->trace && !close_trace(d) && d->o.report)
            fprintf(d->o.report, "wrote the trace %s (chrome://tracing or ui.perfetto.dev)\n", d->o.trace_path);
    }
    if (d->dev) {
        destroy_all(d); /* validation messages can come from destruction too */
        uint32_t messages = vkg_device_validation_count(d->dev);
        if (messages)
            vkgd__failf(d, 1, "%u validation message%s (logged above): the frame is not trustworthy", messages,
                  messages == 1 ? "" : "s");
        else if (d->o.validate && d->o.report)
            fprintf(d->o.report, "validation + synchronization validation: 0 messages\n");
        vkg_device_destroy(d->dev);
    }
    int status = d->status;
    if (d->status) fprintf(stderr, "vkgraph demo: %s\n", d->error);
#ifdef VKG_HAVE_GLFW
    if (win) glfwDestroyWindow(win);
    if (glfw) glfwTerminate();
#endif
    free(fs);
    pthread_mutex_destroy(&d->lock);
    free(d);
    return status;
}
