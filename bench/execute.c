/* bench/execute: what vkg_execute costs on the CPU against hand-written Vulkan doing the
 * same work, in the same run, on the same device.
 *
 * The work: N single-workgroup compute dispatches chained through buffers. Link k writes
 * buffer k (dst[i] = src[i] + 1, src = buffer k - 1; the first link writes i); every link
 * after the first waits for the one before it. Buffers are passed by device address in
 * push constants, so both sides record exactly: bind pipeline, push constants, dispatch,
 * and one buffer barrier between links.
 *
 *  - raw: a hand-written loop: reset a command pool, begin, N x (barrier, bind, push,
 *    dispatch), end, vkQueueSubmit2 signalling a timeline semaphore. One thread. The
 *    barrier is one global VkMemoryBarrier2 (compute write -> compute read|write), which is
 *    what vkgraph folds each pass's plan barriers into.
 *  - vkgraph: a compiled graph of N passes (buffers 0..N-2 transient and aliased, the last
 *    one imported), each pass's callback recording bind, push, dispatch; vkg_execute
 *    records every barrier the plan holds and submits. With 1, 2 (and all) recording
 *    threads.
 *
 * Timed: the CPU wall time of recording + submitting one frame (the raw loop's body; one
 * vkg_execute call). Each frame's GPU work is waited for outside the timed region, and the
 * variants take turns frame by frame so that a noisy neighbour hurts them alike. The last
 * buffer is read back after every frame and must hold i + N - 1 on both sides.
 *
 * Also counted: vkgraph's host allocations (through the device's vkg_allocator) during the
 * timed frames, per frame: the executor's steady state must allocate nothing.
 *
 * Figures: execute_us_raw, execute_us_vkgraph_1t / _2t / _Nt, execute_ratio_vs_raw (one
 * recording thread against the one-thread raw loop), allocs_per_frame.
 *
 * Breadcrumbs (vkg_executor_desc.breadcrumbs): one more one-thread executor with them on
 * takes its turn too. CPU cost per pass: its vkg_execute median minus the plain one's, over
 * N. GPU cost per pass: the same for the time from the vkg_execute call to the ticket's
 * completion (on a CPU driver that time is the emulated GPU's work). Figures
 * breadcrumbs_cpu_ns_per_pass, breadcrumbs_gpu_ns_per_pass.
 *
 * VKG_BENCH_SHORT=1: a few frames (CTest). VKG_BENCH_PASSES=N: chain length (default 1000).
 * VKG_BENCH_FRAMES=N: timed frames per variant (default 200). Never fails on timing. */
#include <volk.h> /* before vkgraph.h */

#include "bench_vk.h"

static const uint32_t chain_spv[] =
#include "shaders/bench_chain.comp.inc"
    ;

#define WORDS 64u

typedef struct push {
    VkDeviceAddress src, dst;
} push;

typedef struct bench {
    vkg_device *dev;
    const struct VolkDeviceTable *vk;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    uint32_t n;
    /* vkgraph side */
    vkg_resource *res;
    /* raw side */
    vkg_buffer *raw_bufs;
    VkBuffer *raw_vk;
    VkDeviceAddress *raw_addr;
    VkCommandPool raw_pool;
    VkCommandBuffer raw_cmd;
    VkSemaphore raw_timeline;
    uint64_t raw_value;
    VkMemoryBarrier2 raw_barrier;
} bench;

#define CHECK(call) BENCH_CHECK("bench_execute", call, #call)

static void record_link(const vkg_pass_context *ctx, void *user)
{
    bench *b = user;
    uint32_t k = vkg_pass_index(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    push pc = {k ? vkg_pass_buffer_address(ctx, b->res[k - 1]) : 0,
               vkg_pass_buffer_address(ctx, b->res[k])};
    b->vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, b->pipeline);
    b->vk->vkCmdPushConstants(cmd, b->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, &pc);
    b->vk->vkCmdDispatch(cmd, 1, 1, 1);
}

__attribute__((noinline)) static void raw_frame(bench *b)
{
    const struct VolkDeviceTable *vk = b->vk;
    CHECK(vk->vkResetCommandPool(b->device, b->raw_pool, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vk->vkBeginCommandBuffer(b->raw_cmd, &bi));
    for (uint32_t k = 0; k < b->n; k++) {
        if (k) {
            VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                    .memoryBarrierCount = 1,
                                    .pMemoryBarriers = &b->raw_barrier};
            vk->vkCmdPipelineBarrier2(b->raw_cmd, &dep);
        }
        push pc = {k ? b->raw_addr[k - 1] : 0, b->raw_addr[k]};
        vk->vkCmdBindPipeline(b->raw_cmd, VK_PIPELINE_BIND_POINT_COMPUTE, b->pipeline);
        vk->vkCmdPushConstants(b->raw_cmd, b->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc,
                               &pc);
        vk->vkCmdDispatch(b->raw_cmd, 1, 1, 1);
    }
    CHECK(vk->vkEndCommandBuffer(b->raw_cmd));
    VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = b->raw_timeline,
                                    .value = ++b->raw_value,
                                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = b->raw_cmd};
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &cbi,
                        .signalSemaphoreInfoCount = 1,
                        .pSignalSemaphoreInfos = &signal};
    CHECK(vk->vkQueueSubmit2(b->queue, 1, &si, VK_NULL_HANDLE));
}

static void raw_wait(bench *b)
{
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .semaphoreCount = 1,
                              .pSemaphores = &b->raw_timeline,
                              .pValues = &b->raw_value};
    CHECK(b->vk->vkWaitSemaphores(b->device, &wi, UINT64_MAX));
}

static void check_result(bench *b, vkg_buffer buf, const char *who)
{
    vkg_buffer_info bi;
    CHECK(vkg_buffer_get_info(b->dev, buf, &bi));
    CHECK(vkg_buffer_invalidate(b->dev, buf, 0, VK_WHOLE_SIZE));
    const uint32_t *w = bi.mapped;
    for (uint32_t i = 0; i < WORDS; i++)
        if (w[i] != i + b->n - 1) {
            fprintf(stderr, "bench_execute: %s computed word %u = %u, expected %u\n", who, i, w[i],
                    i + b->n - 1);
            exit(1);
        }
}

static double summary(const char *label, double *t, uint32_t frames, double raw_med, uint32_t n)
{
    double med = bench_median(t, frames);
    printf("| %-22s | %9.1f | %9.1f | %9.1f | %5.2fx | %+8.0f |\n", label, med, t[0],
           t[frames * 9 / 10], raw_med > 0 ? med / raw_med : 1.0,
           raw_med > 0 ? (med - raw_med) * 1000.0 / n : 0.0);
    return med;
}

int main(void)
{
    bool short_run = bench_short();
    uint32_t n = bench_env_u32("VKG_BENCH_PASSES", 1000);
    uint32_t frames = bench_env_u32("VKG_BENCH_FRAMES", 200);
    if (short_run) frames = 3, n = n > 100 ? 100 : n;
    if (n < 2) n = 2;
    if (frames < 1) frames = 1;

    bench B = {.n = n}, *b = &B;
    vkg_result r = vkg_device_create(
        &(vkg_device_desc){.app_name = "bench_execute", .allocator = bench_allocator()}, &b->dev);
    if (r == VKG_ERROR_LOADER || r == VKG_ERROR_NO_DEVICE || r == VKG_ERROR_FEATURE_NOT_PRESENT) {
        printf("bench_execute: no Vulkan 1.3 device here (%s); skipped\n", vkg_result_name(r));
        return 0;
    }
    CHECK(r);
    bench_set_device(b->dev);
    const vkg_caps *caps = vkg_device_caps(b->dev);
    vkg_device_vk dvk;
    vkg_device_get_vk(b->dev, &dvk);
    b->vk = dvk.device_table;
    b->device = dvk.device;
    b->queue = dvk.queues[VKG_QUEUE_COMPUTE].queue;
    b->family = dvk.queues[VKG_QUEUE_COMPUTE].family;
    const struct VolkDeviceTable *vk = b->vk;

    CHECK(bench_compute_pipeline(&dvk, chain_spv, sizeof chain_spv, sizeof(push), &b->layout,
                                 &b->pipeline));

    /* the graph: link k writes buffer k and reads buffer k - 1 */
    vkg_graph *g = NULL;
    CHECK(vkg_graph_create(&(vkg_graph_desc){.name = "chain"}, &g));
    b->res = calloc(n, sizeof *b->res);
    for (uint32_t k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "b%u", k);
        CHECK(vkg_graph_buffer(
            g, &(vkg_graph_buffer_desc){.name = name, .size = WORDS * 4, .imported = k == n - 1},
            &b->res[k]));
    }
    for (uint32_t k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "link %u", k);
        vkg_use uses[2] = {
            {.resource = b->res[k], .access = VKG_ACCESS_COMPUTE_STORAGE_WRITE},
            {.resource = k ? b->res[k - 1] : b->res[0], .access = VKG_ACCESS_COMPUTE_STORAGE_READ}};
        CHECK(vkg_graph_pass(g,
                             &(vkg_pass_desc){.name = name,
                                              .queue = VKG_QUEUE_COMPUTE,
                                              .uses = uses,
                                              .use_count = k ? 2 : 1,
                                              .record = record_link,
                                              .user = b},
                             NULL));
    }
    vkg_plan *plan = NULL;
    CHECK(vkg_compile_ex(g,
                         &(vkg_compile_desc){.caps = caps,
                                             .requirements = vkg_device_requirements,
                                             .requirements_user = b->dev},
                         &plan));
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    uint32_t barrier_calls = 0;
    for (uint32_t k = 0; k < in.pass_count; k++) barrier_calls += in.passes[k].barrier_count > 0;
    vkg_buffer last;
    CHECK(vkg_buffer_create(b->dev,
                            &(vkg_buffer_desc){.name = "last",
                                               .size = WORDS * 4,
                                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                                        VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                                               .memory_usage = VKG_MEMORY_READBACK},
                            &last));

    /* the raw side: its own buffers, pool, timeline */
    b->raw_bufs = calloc(n, sizeof *b->raw_bufs);
    b->raw_vk = calloc(n, sizeof *b->raw_vk);
    b->raw_addr = calloc(n, sizeof *b->raw_addr);
    b->raw_barrier = (VkMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                                        .srcStageMask = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                                        .srcAccessMask = VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                                        .dstStageMask = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                                        .dstAccessMask = VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                                                         VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT};
    for (uint32_t k = 0; k < n; k++) {
        CHECK(vkg_buffer_create(
            b->dev,
            &(vkg_buffer_desc){.name = "raw",
                               .size = WORDS * 4,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                        VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                               .memory_usage = k == n - 1 ? VKG_MEMORY_READBACK : VKG_MEMORY_GPU},
            &b->raw_bufs[k]));
        vkg_buffer_info bi;
        CHECK(vkg_buffer_get_info(b->dev, b->raw_bufs[k], &bi));
        b->raw_vk[k] = bi.buffer;
        b->raw_addr[k] = bi.address;
    }
    CHECK(vk->vkCreateCommandPool(
        b->device,
        &(VkCommandPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                   .queueFamilyIndex = b->family},
        NULL, &b->raw_pool));
    CHECK(vk->vkAllocateCommandBuffers(
        b->device,
        &(VkCommandBufferAllocateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = b->raw_pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1},
        &b->raw_cmd));
    VkSemaphoreTypeCreateInfo sti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                     .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    CHECK(vk->vkCreateSemaphore(
        b->device,
        &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &sti},
        NULL, &b->raw_timeline));

    /* executors: 1, 2 and (when there are more cores) every core's thread */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t thread_counts[3] = {1, 2, cores > 2 ? (uint32_t)cores : 0};
    uint32_t variants = thread_counts[2] ? 3 : 2;
    vkg_executor *ex[3] = {0};
    uint32_t cmdbufs[3] = {0};
    for (uint32_t v = 0; v < variants; v++)
        CHECK(vkg_executor_create(
            b->dev, &(vkg_executor_desc){.name = "bench", .record_threads = thread_counts[v]},
            &ex[v]));
    vkg_binding bind = {.resource = b->res[n - 1], .buffer = last};
    vkg_executor *crumbs = NULL;
    CHECK(vkg_executor_create(b->dev, &(vkg_executor_desc){.name = "bench crumbs", .record_threads = 1,
                                                          .breadcrumbs = true},
                              &crumbs));

    /* warm-up (realises the plan in every frame slot), then timed frames taking turns */
    uint32_t warm = short_run ? 2 : 10;
    double *t = calloc((size_t)(variants + 1) * (frames + warm), sizeof *t);
    double *crumb_cpu = calloc(frames + warm, sizeof *crumb_cpu);
    double *crumb_wall = calloc(frames + warm, sizeof *crumb_wall);
    double *plain_wall = calloc(frames + warm, sizeof *plain_wall);
    CHECK(!(t && crumb_cpu && crumb_wall && plain_wall)); /* 0: all there */
    unsigned long allocs_timed = 0;
    for (uint32_t f = 0; f < warm + frames; f++) {
        double t0 = bench_now_us();
        raw_frame(b);
        double t1 = bench_now_us();
        raw_wait(b);
        bench_settle();
        if (f >= warm) t[f - warm] = t1 - t0;
        if (f == 0 || f + 1 == warm + frames) check_result(b, b->raw_bufs[n - 1], "raw Vulkan");
        for (uint32_t v = 0; v < variants; v++) {
            vkg_ticket ticket;
            unsigned long a0 = bench_allocations();
            t0 = bench_now_us();
            CHECK(vkg_execute(
                plan, &(vkg_execute_desc){.executor = ex[v], .bindings = &bind, .binding_count = 1},
                &ticket));
            t1 = bench_now_us();
            CHECK(vkg_ticket_wait(b->dev, ticket, UINT64_MAX));
            if (v == 0 && f >= warm) plain_wall[f - warm] = bench_now_us() - t0;
            bench_settle();
            if (f >= warm) allocs_timed += bench_allocations() - a0;
            if (f >= warm) t[(size_t)(v + 1) * frames + f - warm] = t1 - t0;
            if (f == 0 || f + 1 == warm + frames) check_result(b, last, "vkgraph");
            vkg_executor_stats st;
            vkg_executor_get_stats(ex[v], &st);
            cmdbufs[v] = st.command_buffers;
        }
        {
            vkg_ticket ticket;
            double c0 = bench_now_us();
            CHECK(vkg_execute(plan, &(vkg_execute_desc){.executor = crumbs, .bindings = &bind, .binding_count = 1},
                              &ticket));
            double c1 = bench_now_us();
            CHECK(vkg_ticket_wait(b->dev, ticket, UINT64_MAX));
            double c2 = bench_now_us();
            bench_settle();
            if (f >= warm) crumb_cpu[f - warm] = c1 - c0, crumb_wall[f - warm] = c2 - c0;
            if (f == 0 || f + 1 == warm + frames) check_result(b, last, "vkgraph with breadcrumbs");
        }
    }

    printf("bench_execute: %u chained single-workgroup dispatches per frame on %s, %u timed "
           "frames per variant (median of each)\n",
           n, caps->device_name, frames);
    printf("plan: %u passes, %u plan barriers (read-after-write + alias) in %u pipeline-barrier "
           "calls, each folded into one global memory barrier; raw: %u calls of one memory "
           "barrier\n",
           in.pass_count, in.barrier_count, barrier_calls, n - 1);
    printf("\n| variant                | median µs | fastest µs | p90 µs   | vs raw | ns/pass over "
           "raw |\n");
    printf("|---|---|---|---|---|---|\n");
    double raw_med = summary("raw Vulkan, 1 thread", t, frames, 0, n);
    double med[3] = {0};
    for (uint32_t v = 0; v < variants; v++) {
        char label[64];
        snprintf(label, sizeof label, "vkgraph, %u thread%s (%u cb)", thread_counts[v],
                 thread_counts[v] > 1 ? "s" : "", cmdbufs[v]);
        med[v] = summary(label, t + (size_t)(v + 1) * frames, frames, raw_med, n);
    }
    printf("\nvkgraph host allocations during the %u timed frames of %u executors: %lu (%lu in "
           "all, set-up and warm-up included)\n\n",
           frames, variants, allocs_timed, bench_allocations());
    bench_figure("bench_execute", "execute_us_raw", raw_med, "us");
    for (uint32_t v = 0; v < variants; v++) {
        char name[64];
        snprintf(name, sizeof name, "execute_us_vkgraph_%ut", thread_counts[v]);
        bench_figure("bench_execute", name, med[v], "us");
    }
    bench_figure("bench_execute", "execute_ratio_vs_raw", med[0] / raw_med, "x");
    bench_figure("bench_execute", "allocs_per_frame",
                 (double)allocs_timed / ((double)frames * variants), "allocations");
    double cpu_c = bench_median(crumb_cpu, frames), wall_c = bench_median(crumb_wall, frames);
    double wall_p = bench_median(plain_wall, frames);
    printf("breadcrumbs (1 thread): vkg_execute %.1f us (plain %.1f), submit to completion %.1f us "
           "(plain %.1f): %.1f ns CPU and %.1f ns GPU per pass\n",
           cpu_c, med[0], wall_c, wall_p, (cpu_c - med[0]) * 1000.0 / n, (wall_c - wall_p) * 1000.0 / n);
    bench_figure("bench_execute", "breadcrumbs_cpu_ns_per_pass", (cpu_c - med[0]) * 1000.0 / n, "ns");
    bench_figure("bench_execute", "breadcrumbs_gpu_ns_per_pass", (wall_c - wall_p) * 1000.0 / n, "ns");
    free(crumb_cpu), free(crumb_wall), free(plain_wall);
    vkg_executor_destroy(crumbs);

    for (uint32_t v = 0; v < variants; v++) vkg_executor_destroy(ex[v]);
    vk->vkDestroySemaphore(b->device, b->raw_timeline, NULL);
    vk->vkDestroyCommandPool(b->device, b->raw_pool, NULL);
    for (uint32_t k = 0; k < n; k++) vkg_buffer_destroy(b->dev, b->raw_bufs[k]);
    vkg_buffer_destroy(b->dev, last);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vk->vkDestroyPipeline(b->device, b->pipeline, NULL);
    vk->vkDestroyPipelineLayout(b->device, b->layout, NULL);
    vkg_device_destroy(b->dev);
    free(t), free(b->res), free(b->raw_bufs), free(b->raw_vk), free(b->raw_addr);
    return 0;
}
