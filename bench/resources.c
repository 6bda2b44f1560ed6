/* bench/resources: a frame that touches 6,000 resources — the graph side of the
 * "6,000-resource frame" that bench/dawn runs through WebGPU (Dawn) on the same device.
 *
 * The work: 1,000 compute passes; pass k reads five buffers and writes a sixth, all its own
 * (6,000 distinct 256-byte buffers, 64 words each): dst[i] = src0[i] + ... + src4[i], one
 * workgroup, buffers by device address in push constants. Every buffer is imported (long-lived,
 * as WebGPU buffers are): each execution binds all 6,000, and the first-use barrier of each is
 * built from its tracked state at submit time. Sources are host-visible and written once by
 * the CPU; results are checked after the first and the last frame.
 *
 * Timed: the CPU time of one vkg_execute (binding, barrier patching, recording the 1,000
 * passes through their callbacks, submitting), the GPU wait outside it. Figures:
 * resources_us_vkgraph (median over the frames), resources_ns_per_resource.
 *
 * Against it, frame by frame in turns, the same work written by hand (raw_*): 6,000 buffers
 * of its own with the state a careful programmer tracks for long-lived buffers (per buffer:
 * the last write's stages and accesses, the stages that read since, whether the write is
 * visible to reads), and per pass one vkCmdPipelineBarrier2 with a buffer barrier for each of
 * its buffers that needs one; the same pipeline, push constants and dispatch; one command
 * buffer, one vkQueueSubmit2 with a timeline signal. Timed alike: recording and submitting.
 * Figures resources_us_raw and resources_ratio_vs_raw (vkgraph's median over raw's).
 *
 * VKG_BENCH_SHORT=1: 50 passes, 3 frames. VKG_BENCH_PASSES=N (default 1000),
 * VKG_BENCH_FRAMES=N (default 100). Never fails on timing. */
#include <volk.h> /* before vkgraph.h */

#include "bench_vk.h"

static const uint32_t resources_spv[] =
#include "shaders/bench_resources.comp.inc"
    ;

#define WORDS 64u
#define READS 5u

typedef struct push {
    VkDeviceAddress src[READS], dst;
} push;

typedef struct bench {
    const struct VolkDeviceTable *vk;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    vkg_resource *res; /* pass k: res[6k] written, res[6k+1..6k+5] read */
} bench;

#define CHECK(call) BENCH_CHECK("bench_resources", call, #call)

static void record(const vkg_pass_context *ctx, void *user)
{
    const bench *b = user;
    const vkg_resource *r = b->res + 6 * vkg_pass_index(ctx);
    push pc;
    for (uint32_t i = 0; i < READS; i++) pc.src[i] = vkg_pass_buffer_address(ctx, r[1 + i]);
    pc.dst = vkg_pass_buffer_address(ctx, r[0]);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    b->vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, b->pipeline);
    b->vk->vkCmdPushConstants(cmd, b->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, &pc);
    b->vk->vkCmdDispatch(cmd, 1, 1, 1);
}

/* ---- the hand-written side -------------------------------------------------------------- */
typedef struct raw_track {
    VkPipelineStageFlags2 write_stage, read_stage;
    VkAccessFlags2 write_access;
    bool visible; /* the last write is visible to shader reads */
} raw_track;

typedef struct raw {
    const struct VolkDeviceTable *vk;
    VkDevice device;
    VkQueue queue;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkSemaphore timeline;
    uint64_t value;
    VkBuffer *buf;
    VkDeviceAddress *addr;
    raw_track *track;
    uint32_t barriers, barrier_calls; /* of the last frame */
} raw;

/* The barrier buffer i needs before a compute-shader use, from its tracked state (1), or none
 * (0); the state then records the use. */
static uint32_t raw_use(raw *w, uint32_t i, bool write, VkBufferMemoryBarrier2 *out)
{
    const VkPipelineStageFlags2 cs = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT;
    raw_track *t = &w->track[i];
    *out = (VkBufferMemoryBarrier2){.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                    .dstStageMask = cs,
                                    .dstAccessMask = write ? VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT
                                                           : VK_ACCESS_2_SHADER_STORAGE_READ_BIT,
                                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .buffer = w->buf[i],
                                    .size = VK_WHOLE_SIZE};
    bool need;
    if (write) { /* after the last write and the reads since */
        need = t->write_stage || t->read_stage;
        out->srcStageMask = t->write_stage | t->read_stage;
        out->srcAccessMask = t->write_access;
        *t = (raw_track){.write_stage = cs, .write_access = VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT};
    } else { /* a read the last write is not yet visible to */
        need = t->write_stage && !t->visible;
        out->srcStageMask = t->write_stage;
        out->srcAccessMask = t->write_access;
        t->read_stage |= cs;
        t->visible = true;
    }
    return need;
}

__attribute__((noinline)) static void raw_frame(raw *w, uint32_t passes, VkPipelineLayout layout, VkPipeline pipeline)
{
    const struct VolkDeviceTable *vk = w->vk;
    CHECK(vk->vkResetCommandPool(w->device, w->pool, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vk->vkBeginCommandBuffer(w->cmd, &bi));
    w->barriers = w->barrier_calls = 0;
    for (uint32_t k = 0; k < passes; k++) {
        VkBufferMemoryBarrier2 bars[6];
        uint32_t nb = 0;
        for (uint32_t s = 0; s <= READS; s++) nb += raw_use(w, 6 * k + s, s == 0, &bars[nb]);
        w->barriers += nb;
        w->barrier_calls += nb != 0;
        if (nb)
            vk->vkCmdPipelineBarrier2(w->cmd, &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                                 .bufferMemoryBarrierCount = nb,
                                                                 .pBufferMemoryBarriers = bars});
        push pc;
        for (uint32_t i = 0; i < READS; i++) pc.src[i] = w->addr[6 * k + 1 + i];
        pc.dst = w->addr[6 * k];
        vk->vkCmdBindPipeline(w->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
        vk->vkCmdPushConstants(w->cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, &pc);
        vk->vkCmdDispatch(w->cmd, 1, 1, 1);
    }
    CHECK(vk->vkEndCommandBuffer(w->cmd));
    VkSemaphoreSubmitInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = w->timeline,
                                    .value = ++w->value,
                                    .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, .commandBuffer = w->cmd};
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &cbi,
                        .signalSemaphoreInfoCount = 1,
                        .pSignalSemaphoreInfos = &signal};
    CHECK(vk->vkQueueSubmit2(w->queue, 1, &si, VK_NULL_HANDLE));
}

static void raw_wait(raw *w)
{
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .semaphoreCount = 1,
                              .pSemaphores = &w->timeline,
                              .pValues = &w->value};
    CHECK(w->vk->vkWaitSemaphores(w->device, &wi, UINT64_MAX));
}

/* Its pool, command buffer, timeline, and the handles and addresses of its buffers. */
static void raw_setup(raw *w, const vkg_device_vk *dvk, vkg_device *dev, const vkg_buffer *bufs, uint32_t count)
{
    const struct VolkDeviceTable *vk = dvk->device_table;
    w->vk = vk;
    w->device = dvk->device;
    w->queue = dvk->queues[VKG_QUEUE_COMPUTE].queue;
    CHECK(vk->vkCreateCommandPool(w->device,
                                  &(VkCommandPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                                             .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                                             .queueFamilyIndex = dvk->queues[VKG_QUEUE_COMPUTE].family},
                                  NULL, &w->pool));
    CHECK(vk->vkAllocateCommandBuffers(w->device,
                                       &(VkCommandBufferAllocateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                                                      .commandPool = w->pool,
                                                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                                                      .commandBufferCount = 1},
                                       &w->cmd));
    VkSemaphoreTypeCreateInfo sti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                     .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    CHECK(vk->vkCreateSemaphore(w->device, &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                                                  .pNext = &sti},
                                NULL, &w->timeline));
    w->buf = calloc(count, sizeof *w->buf);
    w->addr = calloc(count, sizeof *w->addr);
    w->track = calloc(count, sizeof *w->track);
    if (!w->buf || !w->addr || !w->track) bench_die("bench_resources", "calloc", 1);
    for (uint32_t i = 0; i < count; i++) {
        vkg_buffer_info bi;
        CHECK(vkg_buffer_get_info(dev, bufs[i], &bi));
        w->buf[i] = bi.buffer;
        w->addr[i] = bi.address;
    }
}

static void raw_destroy(raw *w)
{
    w->vk->vkDestroySemaphore(w->device, w->timeline, NULL);
    w->vk->vkDestroyCommandPool(w->device, w->pool, NULL);
    free(w->buf), free(w->addr), free(w->track);
}

static uint32_t source_word(uint32_t buffer, uint32_t i)
{
    return buffer * 7u + i;
}

static vkg_buffer *make_buffers(vkg_device *dev, uint32_t count)
{
    vkg_buffer *bufs = calloc(count, sizeof *bufs);
    if (!bufs) bench_die("bench_resources", "calloc", 1);
    for (uint32_t i = 0; i < count; i++) {
        bool dst = i % 6 == 0;
        CHECK(vkg_buffer_create(
            dev,
            &(vkg_buffer_desc){.name = dst ? "result" : "source",
                               .size = WORDS * 4,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                        VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                               .memory_usage = dst ? VKG_MEMORY_READBACK : VKG_MEMORY_UPLOAD},
            &bufs[i]));
        if (!dst) {
            vkg_buffer_info bi;
            CHECK(vkg_buffer_get_info(dev, bufs[i], &bi));
            for (uint32_t w = 0; w < WORDS; w++) ((uint32_t *)bi.mapped)[w] = source_word(i, w);
            CHECK(vkg_buffer_flush(dev, bufs[i], 0, VK_WHOLE_SIZE));
        }
    }
    return bufs;
}

static void check(vkg_device *dev, const vkg_buffer *bufs, uint32_t passes)
{
    for (uint32_t k = 0; k<passes; k += passes> 8 ? passes / 8 : 1) {
        vkg_buffer_info bi;
        CHECK(vkg_buffer_get_info(dev, bufs[6 * k], &bi));
        CHECK(vkg_buffer_invalidate(dev, bufs[6 * k], 0, VK_WHOLE_SIZE));
        const uint32_t *w = bi.mapped;
        for (uint32_t i = 0; i < WORDS; i++) {
            uint32_t want = 0;
            for (uint32_t s = 1; s <= READS; s++) want += source_word(6 * k + s, i);
            if (w[i] != want) {
                fprintf(stderr, "bench_resources: pass %u word %u = %u, expected %u\n", k, i, w[i],
                        want);
                exit(1);
            }
        }
    }
}

int main(void)
{
    bool short_run = bench_short();
    uint32_t passes = bench_env_u32("VKG_BENCH_PASSES", 1000);
    uint32_t frames = bench_env_u32("VKG_BENCH_FRAMES", 100);
    if (short_run) passes = 50, frames = 3;
    if (!passes) passes = 1;
    if (!frames) frames = 1;
    uint32_t count = 6 * passes;

    vkg_device *dev;
    vkg_result r = vkg_device_create(&(vkg_device_desc){.app_name = "bench_resources"}, &dev);
    if (r == VKG_ERROR_LOADER || r == VKG_ERROR_NO_DEVICE || r == VKG_ERROR_FEATURE_NOT_PRESENT) {
        printf("bench_resources: no Vulkan 1.3 device here (%s); skipped\n", vkg_result_name(r));
        return 0;
    }
    CHECK(r);
    bench_set_device(dev);
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    bench B = {.vk = dvk.device_table}, *b = &B;
    CHECK(bench_compute_pipeline(&dvk, resources_spv, sizeof resources_spv, sizeof(push),
                                 &b->layout, &b->pipeline));

    /* the buffers, one set per side: sources written once by the host, results read back */
    vkg_buffer *bufs = make_buffers(dev, count), *raw_bufs = make_buffers(dev, count);
    vkg_binding *binds = calloc(count, sizeof *binds);
    b->res = calloc(count, sizeof *b->res);
    if (!binds || !b->res) bench_die("bench_resources", "calloc", 1);
    raw w = {0};
    raw_setup(&w, &dvk, dev, raw_bufs, count);

    /* the graph */
    vkg_graph *g = NULL;
    CHECK(vkg_graph_create(&(vkg_graph_desc){.name = "6000 resources"}, &g));
    for (uint32_t i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%u", i % 6 ? "src" : "dst", i);
        CHECK(vkg_graph_buffer(
            g, &(vkg_graph_buffer_desc){.name = name, .size = WORDS * 4, .imported = true},
            &b->res[i]));
        binds[i] = (vkg_binding){.resource = b->res[i], .buffer = bufs[i]};
    }
    for (uint32_t k = 0; k < passes; k++) {
        vkg_use uses[6];
        uses[0] = (vkg_use){.resource = b->res[6 * k], .access = VKG_ACCESS_COMPUTE_STORAGE_WRITE};
        for (uint32_t s = 1; s <= READS; s++)
            uses[s] =
                (vkg_use){.resource = b->res[6 * k + s], .access = VKG_ACCESS_COMPUTE_STORAGE_READ};
        char name[32];
        snprintf(name, sizeof name, "pass %u", k);
        CHECK(vkg_graph_pass(g,
                             &(vkg_pass_desc){.name = name,
                                              .queue = VKG_QUEUE_COMPUTE,
                                              .uses = uses,
                                              .use_count = 6,
                                              .record = record,
                                              .user = b},
                             NULL));
    }
    vkg_plan *plan = NULL;
    double c0 = bench_now_us();
    CHECK(vkg_compile(g, vkg_device_caps(dev), &plan));
    double compile_us = bench_now_us() - c0;
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    vkg_executor *ex;
    CHECK(
        vkg_executor_create(dev, &(vkg_executor_desc){.name = "bench", .record_threads = 1}, &ex));

    uint32_t warm = short_run ? 1 : 5;
    double *t = calloc(frames, sizeof *t), *tr = calloc(frames, sizeof *tr);
    if (!t || !tr) bench_die("bench_resources", "calloc", 1);
    for (uint32_t f = 0; f < warm + frames; f++) {
        /* the hand-written frame, then vkgraph's: they take turns */
        double r0 = bench_now_us();
        raw_frame(&w, passes, b->layout, b->pipeline);
        double r1 = bench_now_us();
        raw_wait(&w);
        bench_settle();
        if (f >= warm) tr[f - warm] = r1 - r0;
        if (f == 0 || f + 1 == warm + frames) check(dev, raw_bufs, passes);
        vkg_ticket ticket;
        double t0 = bench_now_us();
        CHECK(vkg_execute(
            plan, &(vkg_execute_desc){.executor = ex, .bindings = binds, .binding_count = count},
            &ticket));
        double t1 = bench_now_us();
        CHECK(vkg_ticket_wait(dev, ticket, UINT64_MAX));
        bench_settle();
        if (f >= warm) t[f - warm] = t1 - t0;
        if (f == 0 || f + 1 == warm + frames) check(dev, bufs, passes);
    }
    double med = bench_median(t, frames), raw_med = bench_median(tr, frames);
    vkg_executor_stats xs;
    vkg_executor_get_stats(ex, &xs);
    printf("bench_resources: %u passes touching %u imported buffers per frame on %s; compile "
           "%.0f us once; %u plan barriers in %u batches\n",
           passes, count, vkg_device_caps(dev)->device_name, compile_us, in.barrier_count,
           in.stats.barrier_batches);
    printf("steady state: %u barriers recorded in %u vkCmdPipelineBarrier2 calls per frame\n",
           xs.barriers, xs.barrier_calls);
    printf("vkg_execute: median %.1f us, fastest %.1f us, p90 %.1f us over %u frames (%.0f ns per "
           "resource)\n",
           med, t[0], t[frames * 9 / 10], frames, med * 1000.0 / count);
    printf("hand-written: median %.1f us, fastest %.1f us, p90 %.1f us; %u barriers in %u calls per "
           "frame, tracked per buffer; vkgraph / hand-written %.2fx\n",
           raw_med, tr[0], tr[frames * 9 / 10], w.barriers, w.barrier_calls, med / raw_med);
    bench_figure("bench_resources", "resources_us_vkgraph", med, "us");
    bench_figure("bench_resources", "resources_us_raw", raw_med, "us");
    bench_figure("bench_resources", "resources_ratio_vs_raw", med / raw_med, "x");
    bench_figure("bench_resources", "resources_ns_per_resource", med * 1000.0 / count, "ns");

    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    raw_destroy(&w);
    for (uint32_t i = 0; i < count; i++) vkg_buffer_destroy(dev, bufs[i]), vkg_buffer_destroy(dev, raw_bufs[i]);
    dvk.device_table->vkDestroyPipeline(dvk.device, b->pipeline, NULL);
    dvk.device_table->vkDestroyPipelineLayout(dvk.device, b->layout, NULL);
    vkg_device_destroy(dev);
    free(t), free(tr), free(bufs), free(raw_bufs), free(binds), free(b->res);
    return 0;
}
