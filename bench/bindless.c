/* bench/bindless: CPU time to update and use 6,000 texture descriptors per frame (the
 * workload of wgpu issue 5766, about 140 ms per frame there).
 *
 * Every frame binds a new set of 6,000 textures (a rotating window over 6,000 + 1,000
 * one-texel images, so every frame really changes what is bound) and runs GPU work that
 * reads each of them:
 *  - heap (devices with descriptor indexing): vkg_bindless_free of the previous frame's
 *    6,000 slots (after its ticket), vkg_bindless_add of 6,000 new ones, then one command
 *    buffer: bind the heap once, push a table address, one dispatch gathering all 6,000
 *    with non-uniform indices.
 *  - sets (any device; the fallback of docs/bindless.md): reset the frame's descriptor
 *    pool, allocate ceil(6,000 / L) sets of L textures (L = the per-stage limit, at most
 *    128), write them, and bind + dispatch once per set.
 * Timed: the CPU wall time from the first descriptor call to the submit returning
 * (update + record + submit), and the update part alone. Two frames in flight: a frame
 * waits (untimed) for the GPU work of the frame before last. The last frame's result is
 * checked against the CPU. Median and best of the timed frames.
 *
 * VKG_BENCH_SHORT=1: 600 descriptors, 3 frames (CTest). VKG_BENCH_FRAMES=N (default 100).
 * Never fails on timing. */
#include <volk.h> /* before vkgraph.h */

#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint32_t gather_spv[] =
#include "shaders/bindless_gather.comp.inc"
    ;
static const uint32_t sets_spv[] =
#include "shaders/bench_sets.comp.inc"
    ;

#define IN_FLIGHT 2

#define CHECK(x, what) BENCH_CHECK("bench_bindless", x, what)

static uint32_t texel_value(uint32_t i)
{
    return i * 2654435761u >> 8;
}

typedef struct bench {
    vkg_device *dev;
    const struct VolkDeviceTable *vk;
    VkDevice device;
    uint32_t n, images; /* descriptors per frame, images in the pool */
    vkg_image *img;
    VkImageView *view;
    VkCommandPool pool[IN_FLIGHT];
    VkCommandBuffer cmd[IN_FLIGHT];
    vkg_ticket done[IN_FLIGHT];
    vkg_buffer out[IN_FLIGHT];
    vkg_buffer_info out_info[IN_FLIGHT];
} bench;

static VkPipeline make_pipeline(bench *b, const uint32_t *spv, size_t size, VkPipelineLayout layout,
                                const VkSpecializationInfo *spec)
{
    VkShaderModule mod;
    CHECK(b->vk->vkCreateShaderModule(
              b->device,
              &(VkShaderModuleCreateInfo){.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                          .codeSize = size,
                                          .pCode = spv},
              NULL, &mod),
          "vkCreateShaderModule");
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = mod,
                  .pName = "main",
                  .pSpecializationInfo = spec},
        .layout = layout};
    VkPipeline p;
    CHECK(b->vk->vkCreateComputePipelines(b->device, VK_NULL_HANDLE, 1, &ci, NULL, &p),
          "vkCreateComputePipelines");
    b->vk->vkDestroyShaderModule(b->device, mod, NULL);
    return p;
}

static VkPipelineLayout make_layout(bench *b, VkDescriptorSetLayout dsl, uint32_t push)
{
    VkPushConstantRange pc = {VK_SHADER_STAGE_COMPUTE_BIT, 0, push};
    VkPipelineLayout l;
    CHECK(b->vk->vkCreatePipelineLayout(
              b->device,
              &(VkPipelineLayoutCreateInfo){.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                            .setLayoutCount = 1,
                                            .pSetLayouts = &dsl,
                                            .pushConstantRangeCount = 1,
                                            .pPushConstantRanges = &pc},
              NULL, &l),
          "vkCreatePipelineLayout");
    return l;
}

/* Waits (untimed) for the frame slot's previous use and begins its command buffer. */
static VkCommandBuffer frame_begin(bench *b, uint32_t slot)
{
    CHECK(vkg_ticket_wait(b->dev, b->done[slot], UINT64_MAX), "vkg_ticket_wait");
    CHECK(b->vk->vkResetCommandPool(b->device, b->pool[slot], 0), "vkResetCommandPool");
    return b->cmd[slot];
}

static void frame_submit(bench *b, uint32_t slot)
{
    CHECK(b->vk->vkEndCommandBuffer(b->cmd[slot]), "vkEndCommandBuffer");
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = b->cmd[slot]};
    CHECK(vkg_submit(b->dev,
                     &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                        .command_buffers = &cbi,
                                        .command_buffer_count = 1},
                     &b->done[slot]),
          "vkg_submit");
}

static void begin_cmd(bench *b, VkCommandBuffer cmd)
{
    CHECK(
        b->vk->vkBeginCommandBuffer(
            cmd, &(VkCommandBufferBeginInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                             .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT}),
        "vkBeginCommandBuffer");
}

/* the results to the host before the submission's ticket completes */
static void host_barrier(bench *b, VkCommandBuffer cmd)
{
    VkMemoryBarrier2 mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                           .srcStageMask = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT,
                           .srcAccessMask = VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
                           .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                           .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    b->vk->vkCmdPipelineBarrier2(cmd,
                                 &(VkDependencyInfo){.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                                     .memoryBarrierCount = 1,
                                                     .pMemoryBarriers = &mb});
}

static void report(const char *label, const char *figure, double *total, double *update,
                   uint32_t frames)
{
    double med = bench_median(total, frames), upd = bench_median(update, frames);
    printf("| %-34s | %10.1f | %10.1f | %10.1f | %10.1f |\n", label, med, total[0], upd, update[0]);
    bench_figure("bench_bindless", figure, med, "us");
}

/* ------------------------------------------------------------------------------------------
 * heap
 * ---------------------------------------------------------------------------------------- */

static void run_heap(bench *b, uint32_t frames)
{
    vkg_bindless *heap;
    /* one frame live, one pending, room to spare */
    CHECK(vkg_bindless_create(b->dev,
                              &(vkg_bindless_desc){.name = "bench heap",
                                                   .capacity = {4 * b->n, 1, 1},
                                                   .stages = VK_SHADER_STAGE_COMPUTE_BIT},
                              &heap),
          "vkg_bindless_create");
    VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                               .magFilter = VK_FILTER_NEAREST,
                               .minFilter = VK_FILTER_NEAREST};
    VkSampler sampler;
    CHECK(b->vk->vkCreateSampler(b->device, &sci, NULL, &sampler), "vkCreateSampler");
    vkg_image simg;
    CHECK(vkg_image_create(b->dev,
                           &(vkg_image_desc){.name = "unused storage image",
                                             .format = VK_FORMAT_R32_UINT,
                                             .width = 1,
                                             .height = 1,
                                             .usage = VK_IMAGE_USAGE_STORAGE_BIT},
                           &simg),
          "vkg_image_create");
    /* the shader also stores to a storage image: one, in GENERAL, that nobody reads */
    uint32_t fixed[2];
    vkg_bindless_item fi[2] = {{.kind = VKG_BINDLESS_SAMPLER, .sampler = sampler},
                               {.kind = VKG_BINDLESS_STORAGE_IMAGE, .image = simg}};
    CHECK(vkg_bindless_add(heap, fi, 2, fixed), "vkg_bindless_add");
    VkPipelineLayout layout = make_layout(b, vkg_bindless_layout(heap), 32);
    VkPipeline pipe = make_pipeline(b, gather_spv, sizeof gather_spv, layout, NULL);

    /* per frame slot: the table of slots (host-visible) */
    vkg_buffer table[IN_FLIGHT];
    vkg_buffer_info ti[IN_FLIGHT];
    uint32_t *slots[IN_FLIGHT];
    for (uint32_t s = 0; s < IN_FLIGHT; s++) {
        CHECK(vkg_buffer_create(b->dev,
                                &(vkg_buffer_desc){.name = "table",
                                                   .size = (b->n + 2) * 4,
                                                   .memory_usage = VKG_MEMORY_UPLOAD},
                                &table[s]),
              "vkg_buffer_create");
        CHECK(vkg_buffer_get_info(b->dev, table[s], &ti[s]), "vkg_buffer_get_info");
        slots[s] = calloc(b->n, sizeof **slots);
    }
    vkg_bindless_item *items = calloc(b->n, sizeof *items);
    double *total = calloc(frames, sizeof *total), *update = calloc(frames, sizeof *update);
    bool have[IN_FLIGHT] = {false};
    uint32_t warm = 3, first = 0;
    for (uint32_t f = 0; f < frames + warm; f++) {
        uint32_t s = f % IN_FLIGHT;
        first = (f * 1000u) % b->images; /* the window moves every frame */
        for (uint32_t i = 0; i < b->n; i++)
            items[i] = (vkg_bindless_item){.kind = VKG_BINDLESS_SAMPLED_IMAGE,
                                           .vk_view = b->view[(first + i) % b->images]};
        VkCommandBuffer cmd = frame_begin(b, s);
        double t0 = bench_now_us();
        /* this slot's previous frame completed (waited above); the other one may still
         * run: its slots are freed after its ticket */
        if (have[s])
            CHECK(
                vkg_bindless_free(heap, VKG_BINDLESS_SAMPLED_IMAGE, slots[s], b->n, &b->done[s], 1),
                "vkg_bindless_free");
        CHECK(vkg_bindless_add(heap, items, b->n, slots[s]), "vkg_bindless_add");
        have[s] = true;
        double t1 = bench_now_us();
        uint32_t *tv = ti[s].mapped;
        memcpy(tv, slots[s], b->n * 4);
        tv[b->n] = fixed[1];
        tv[b->n + 1] = fixed[0];
        CHECK(vkg_buffer_flush(b->dev, table[s], 0, VK_WHOLE_SIZE), "vkg_buffer_flush");
        begin_cmd(b, cmd);
        b->vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
        vkg_bindless_bind(heap, cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0);
        struct {
            VkDeviceAddress table, out;
            uint32_t count, storage_count, sampler_count, pad;
        } push = {ti[s].address, b->out_info[s].address, b->n, 1, 1, 0};
        b->vk->vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
        b->vk->vkCmdDispatch(cmd, (b->n + 63) / 64, 1, 1);
        host_barrier(b, cmd);
        frame_submit(b, s);
        double t2 = bench_now_us();
        if (f >= warm) {
            total[f - warm] = t2 - t0;
            update[f - warm] = t1 - t0;
        }
    }
    /* the last frame read texture first + i at invocation i */
    uint32_t s = (frames + warm - 1) % IN_FLIGHT;
    CHECK(vkg_ticket_wait(b->dev, b->done[s], UINT64_MAX), "vkg_ticket_wait");
    CHECK(vkg_buffer_invalidate(b->dev, b->out[s], 0, VK_WHOLE_SIZE), "vkg_buffer_invalidate");
    const uint32_t *got = b->out_info[s].mapped;
    for (uint32_t i = 0; i < b->n; i++)
        if (got[i] != texel_value((first + i) % b->images)) {
            fprintf(stderr, "bench_bindless: heap: invocation %u read %u, expected %u\n", i, got[i],
                    texel_value((first + i) % b->images));
            exit(1);
        }
    vkg_bindless_stats st;
    vkg_bindless_get_stats(heap, &st);
    char label[64];
    snprintf(label, sizeof label, "heap (vkg_bindless), %u", b->n);
    report(label, "bindless_heap_frame_us", total, update, frames);
    printf("  heap: %llu descriptors written in %llu vkUpdateDescriptorSets calls, %llu runs\n",
           (unsigned long long)st.writes, (unsigned long long)st.update_calls,
           (unsigned long long)st.write_runs);
    for (uint32_t k = 0; k < IN_FLIGHT; k++) {
        CHECK(vkg_ticket_wait(b->dev, b->done[k], UINT64_MAX), "vkg_ticket_wait");
        vkg_buffer_destroy(b->dev, table[k]);
        free(slots[k]);
    }
    vkg_bindless_destroy(heap);
    vkg_image_destroy(b->dev, simg);
    b->vk->vkDestroySampler(b->device, sampler, NULL);
    b->vk->vkDestroyPipeline(b->device, pipe, NULL);
    b->vk->vkDestroyPipelineLayout(b->device, layout, NULL);
    free(items);
    free(total);
    free(update);
}

/* ------------------------------------------------------------------------------------------
 * per-pass sets
 * ---------------------------------------------------------------------------------------- */

static void run_sets(bench *b, uint32_t frames, uint32_t set_size)
{
    uint32_t sets = (b->n + set_size - 1) / set_size;
    VkDescriptorSetLayoutBinding bind = {0, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, set_size,
                                         VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayout dsl;
    CHECK(b->vk->vkCreateDescriptorSetLayout(
              b->device,
              &(VkDescriptorSetLayoutCreateInfo){
                  .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                  .bindingCount = 1,
                  .pBindings = &bind},
              NULL, &dsl),
          "vkCreateDescriptorSetLayout");
    VkPipelineLayout layout = make_layout(b, dsl, 16);
    VkSpecializationMapEntry me = {0, 0, 4};
    VkSpecializationInfo spec = {1, &me, 4, &set_size};
    VkPipeline pipe = make_pipeline(b, sets_spv, sizeof sets_spv, layout, &spec);
    VkDescriptorPool pools[IN_FLIGHT];
    for (uint32_t s = 0; s < IN_FLIGHT; s++) {
        VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, sets * set_size};
        CHECK(b->vk->vkCreateDescriptorPool(
                  b->device,
                  &(VkDescriptorPoolCreateInfo){.sType =
                                                    VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                                .maxSets = sets,
                                                .poolSizeCount = 1,
                                                .pPoolSizes = &ps},
                  NULL, &pools[s]),
              "vkCreateDescriptorPool");
    }
    VkDescriptorSetLayout *layouts = calloc(sets, sizeof *layouts);
    VkDescriptorSet *ds = calloc(sets, sizeof *ds);
    VkWriteDescriptorSet *w = calloc(sets, sizeof *w);
    VkDescriptorImageInfo *info = calloc((size_t)sets * set_size, sizeof *info);
    for (uint32_t k = 0; k < sets; k++) layouts[k] = dsl;
    double *total = calloc(frames, sizeof *total), *update = calloc(frames, sizeof *update);
    uint32_t warm = 3, first = 0;
    for (uint32_t f = 0; f < frames + warm; f++) {
        uint32_t s = f % IN_FLIGHT;
        first = (f * 1000u) % b->images;
        VkCommandBuffer cmd = frame_begin(b, s);
        double t0 = bench_now_us();
        CHECK(b->vk->vkResetDescriptorPool(b->device, pools[s], 0), "vkResetDescriptorPool");
        CHECK(b->vk->vkAllocateDescriptorSets(
                  b->device,
                  &(VkDescriptorSetAllocateInfo){.sType =
                                                     VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                                 .descriptorPool = pools[s],
                                                 .descriptorSetCount = sets,
                                                 .pSetLayouts = layouts},
                  ds),
              "vkAllocateDescriptorSets");
        /* the last set is filled up with the first texture of the window */
        for (uint32_t i = 0; i < sets * set_size; i++)
            info[i] = (VkDescriptorImageInfo){
                .imageView = b->view[(first + (i < b->n ? i : 0)) % b->images],
                .imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
        for (uint32_t k = 0; k < sets; k++)
            w[k] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                          .dstSet = ds[k],
                                          .descriptorCount = set_size,
                                          .descriptorType = VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE,
                                          .pImageInfo = &info[k * set_size]};
        b->vk->vkUpdateDescriptorSets(b->device, sets, w, 0, NULL);
        double t1 = bench_now_us();
        begin_cmd(b, cmd);
        b->vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
        for (uint32_t k = 0; k < sets; k++) {
            b->vk->vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1,
                                           &ds[k], 0, NULL);
            struct {
                VkDeviceAddress out;
                uint32_t count, chunk;
            } push = {b->out_info[s].address, k + 1 < sets ? set_size : b->n - k * set_size, k};
            b->vk->vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push,
                                      &push);
            b->vk->vkCmdDispatch(cmd, 1, 1, 1);
        }
        host_barrier(b, cmd);
        frame_submit(b, s);
        double t2 = bench_now_us();
        if (f >= warm) {
            total[f - warm] = t2 - t0;
            update[f - warm] = t1 - t0;
        }
    }
    uint32_t s = (frames + warm - 1) % IN_FLIGHT;
    CHECK(vkg_ticket_wait(b->dev, b->done[s], UINT64_MAX), "vkg_ticket_wait");
    CHECK(vkg_buffer_invalidate(b->dev, b->out[s], 0, VK_WHOLE_SIZE), "vkg_buffer_invalidate");
    const uint32_t *got = b->out_info[s].mapped;
    for (uint32_t k = 0; k < sets; k++) {
        uint32_t want = 0;
        for (uint32_t i = k * set_size; i < b->n && i < (k + 1) * set_size; i++)
            want += texel_value((first + i) % b->images);
        if (got[k] != want) {
            fprintf(stderr, "bench_bindless: sets: set %u summed %u, expected %u\n", k, got[k],
                    want);
            exit(1);
        }
    }
    char label[64];
    snprintf(label, sizeof label, "sets (%u sets of %u), %u", sets, set_size, b->n);
    report(label, "bindless_sets_frame_us", total, update, frames);
    for (uint32_t k = 0; k < IN_FLIGHT; k++) {
        CHECK(vkg_ticket_wait(b->dev, b->done[k], UINT64_MAX), "vkg_ticket_wait");
        b->vk->vkDestroyDescriptorPool(b->device, pools[k], NULL);
    }
    b->vk->vkDestroyPipeline(b->device, pipe, NULL);
    b->vk->vkDestroyPipelineLayout(b->device, layout, NULL);
    b->vk->vkDestroyDescriptorSetLayout(b->device, dsl, NULL);
    free(layouts);
    free(ds);
    free(w);
    free(info);
    free(total);
    free(update);
}

int main(void)
{
    bool short_run = bench_short();
    uint32_t frames = getenv("VKG_BENCH_FRAMES") ? (uint32_t)atoi(getenv("VKG_BENCH_FRAMES")) : 100;
    if (short_run) frames = 3;
    if (frames < 1) frames = 1;
    bench b = {.n = short_run ? 600 : 6000};
    b.images = b.n + 1000;
    vkg_result r = vkg_device_create(&(vkg_device_desc){.app_name = "bench_bindless"}, &b.dev);
    if (r != VKG_SUCCESS) {
        printf("bench_bindless: no Vulkan 1.3 device here (%s); skipped\n", vkg_result_name(r));
        return 0;
    }
    vkg_device_vk dvk;
    vkg_device_get_vk(b.dev, &dvk);
    b.vk = dvk.device_table;
    b.device = dvk.device;
    const vkg_caps *caps = vkg_device_caps(b.dev);

    /* the textures: one texel each, uploaded ready for compute sampling */
    vkg_uploader *up;
    CHECK(vkg_uploader_create(b.dev, &(vkg_uploader_desc){.ring_size = 1 << 20}, &up),
          "vkg_uploader_create");
    b.img = calloc(b.images, sizeof *b.img);
    b.view = calloc(b.images, sizeof *b.view);
    vkg_ticket last = {0, 0};
    for (uint32_t i = 0; i < b.images; i++) {
        CHECK(vkg_image_create(b.dev,
                               &(vkg_image_desc){.name = "texture",
                                                 .format = VK_FORMAT_R32_UINT,
                                                 .width = 1,
                                                 .height = 1,
                                                 .usage = VK_IMAGE_USAGE_SAMPLED_BIT |
                                                          VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                               &b.img[i]),
              "vkg_image_create");
        uint32_t v = texel_value(i);
        CHECK(
            vkg_upload_image(up,
                             &(vkg_upload_image_desc){.image = b.img[i],
                                                      .data = &v,
                                                      .size = 4,
                                                      .ready_for = VKG_ACCESS_COMPUTE_SAMPLED_READ},
                             &last),
            "vkg_upload_image");
        vkg_image_info ii;
        CHECK(vkg_image_get_info(b.dev, b.img[i], &ii), "vkg_image_get_info");
        b.view[i] = ii.view;
    }
    CHECK(vkg_ticket_wait(b.dev, last, UINT64_MAX), "vkg_ticket_wait");
    for (uint32_t s = 0; s < IN_FLIGHT; s++) {
        CHECK(b.vk->vkCreateCommandPool(
                  b.device,
                  &(VkCommandPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                             .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                             .queueFamilyIndex =
                                                 dvk.queues[VKG_QUEUE_GRAPHICS].family},
                  NULL, &b.pool[s]),
              "vkCreateCommandPool");
        CHECK(b.vk->vkAllocateCommandBuffers(
                  b.device,
                  &(VkCommandBufferAllocateInfo){.sType =
                                                     VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                                 .commandPool = b.pool[s],
                                                 .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                                 .commandBufferCount = 1},
                  &b.cmd[s]),
              "vkAllocateCommandBuffers");
        CHECK(vkg_buffer_create(b.dev,
                                &(vkg_buffer_desc){.name = "out",
                                                   .size = b.n * 4,
                                                   .memory_usage = VKG_MEMORY_READBACK},
                                &b.out[s]),
              "vkg_buffer_create");
        CHECK(vkg_buffer_get_info(b.dev, b.out[s], &b.out_info[s]), "vkg_buffer_get_info");
    }

    bench_set_device(b.dev);
    printf("device: %s; %u descriptors per frame, %u frames, 2 in flight\n", caps->device_name, b.n,
           frames);
    printf("| %-34s | %10s | %10s | %10s | %10s |\n", "per frame (µs)", "total med", "total min",
           "update med", "update min");
    printf("|%s|%s|%s|%s|%s|\n", "------------------------------------", "------------",
           "------------", "------------", "------------");
    if (caps->descriptor_indexing)
        run_heap(&b, frames);
    else
        printf("| %-34s | %10s | %10s | %10s | %10s |\n", "heap: no descriptor indexing", "-", "-",
               "-", "-");
    /* sets as large as the device allows per stage, at most 128 (lavapipe's limit) */
    PFN_vkGetPhysicalDeviceProperties get_props =
        (PFN_vkGetPhysicalDeviceProperties)dvk.get_instance_proc_addr(
            dvk.instance, "vkGetPhysicalDeviceProperties");
    VkPhysicalDeviceProperties props;
    get_props(dvk.physical_device, &props);
    uint32_t set_size = props.limits.maxPerStageDescriptorSampledImages;
    if (set_size > 128) set_size = 128;
    run_sets(&b, frames, set_size);

    for (uint32_t s = 0; s < IN_FLIGHT; s++) {
        CHECK(vkg_ticket_wait(b.dev, b.done[s], UINT64_MAX), "vkg_ticket_wait");
        b.vk->vkDestroyCommandPool(b.device, b.pool[s], NULL);
        vkg_buffer_destroy(b.dev, b.out[s]);
    }
    for (uint32_t i = 0; i < b.images; i++) vkg_image_destroy(b.dev, b.img[i]);
    vkg_uploader_destroy(up);
    free(b.img);
    free(b.view);
    vkg_device_destroy(b.dev);
    return 0;
}
