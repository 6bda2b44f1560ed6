/* The uploader (label upload), under validation + synchronization validation: 4 threads
 * upload at once through a ring far smaller than what they send (wrap-around, waits for the
 * GPU, uploads larger than the ring); a graph then reads every byte back through the
 * executor, which orders itself after the uploads from the tracked state alone; images
 * with mips (smallest first) and a partial region; bad input is refused by name. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define SLICE (96 * 1024) /* bytes of the buffer each thread owns */
#define RING (32 * 1024)

typedef struct job {
    vkg_uploader *up;
    vkg_buffer buf;
    uint32_t index;
    uint8_t *expect; /* the whole buffer's expected bytes */
    vkg_result result;
} job;

static uint8_t pattern(uint32_t thread, uint64_t at, uint32_t pass)
{
    return (uint8_t)(thread * 37 + at * 13 + pass * 101 + (at >> 9));
}

/* Pieces of random size (some larger than the ring) cover the thread's slice twice; the
 * second pass overwrites the first (write-after-write through the ring). */
static void *upload_thread(void *arg)
{
    job *j = arg;
    uint64_t s = 0x9E3779B97F4A7C15ull * (j->index + 1);
    uint8_t *tmp = malloc(SLICE);
    for (uint32_t pass = 0; pass < 2 && j->result == VKG_SUCCESS; pass++) {
        for (uint64_t at = 0; at < SLICE && j->result == VKG_SUCCESS;) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t n = 1 + (s >> 33) % (pass ? 3000 : 40000); /* up to 2.4 rings */
            if (at + n > SLICE) n = SLICE - at;
            uint64_t off = (uint64_t)j->index * SLICE + at;
            for (uint64_t i = 0; i < n; i++) tmp[i] = pattern(j->index, at + i, pass);
            vkg_ticket t;
            j->result = vkg_upload_buffer(j->up,
                                          &(vkg_upload_buffer_desc){.buffer = j->buf,
                                                                    .offset = off,
                                                                    .data = tmp,
                                                                    .size = n},
                                          &t);
            memcpy(j->expect + off, tmp, n); /* the data was copied: tmp may change */
            at += n;
        }
    }
    free(tmp);
    return NULL;
}

typedef struct readback {
    vkg_resource src, dst;
    VkDeviceSize size;
    bool image;
    uint32_t mips, width, height;
} readback;

static void rec_readback(const vkg_pass_context *ctx, void *user)
{
    readback *r = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    if (!r->image) {
        VkBufferCopy region = {0, 0, r->size};
        vk->vkCmdCopyBuffer(cmd, vkg_pass_buffer(ctx, r->src), vkg_pass_buffer(ctx, r->dst), 1,
                            &region);
        return;
    }
    VkDeviceSize at = 0;
    for (uint32_t m = 0; m < r->mips; m++) {
        uint32_t w = r->width >> m ? r->width >> m : 1, h = r->height >> m ? r->height >> m : 1;
        VkBufferImageCopy region = {.bufferOffset = at,
                                    .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, m, 0, 1},
                                    .imageExtent = {w, h, 1}};
        vk->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, r->src),
                                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                   vkg_pass_buffer(ctx, r->dst), 1, &region);
        at += (VkDeviceSize)w * h * 4;
    }
}

/* Reads `src` (an uploaded buffer or image) into a host-visible buffer with a one-pass graph
 * and returns its mapping (the buffer in *out, to destroy). */
static const uint8_t *read_back(vkg_device *dev, readback *r, vkg_buffer buf, vkg_image img,
                                vkg_buffer *out)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "readback", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    if (r->image)
        assert_int_equal(vkg_graph_image(g,
                                         &(vkg_graph_image_desc){.name = "src",
                                                                 .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                                 .width = r->width,
                                                                 .height = r->height,
                                                                 .mips = r->mips,
                                                                 .imported = true},
                                         &r->src),
                         VKG_SUCCESS);
    else
        assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "src", .size = r->size,
                                                                      .imported = true},
                                          &r->src),
                         VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "dst", .size = r->size,
                                                                  .imported = true},
                                      &r->dst),
                     VKG_SUCCESS);
    vkg_use uses[] = {{.resource = r->src, .access = VKG_ACCESS_TRANSFER_READ,
                       .mip_count = r->image ? r->mips : 0},
                      {.resource = r->dst, .access = VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "readback", .uses = uses,
                                                        .use_count = 2, .record = rec_readback,
                                                        .user = r},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "readback", .size = r->size,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       out),
                     VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "readback"}, &ex),
                     VKG_SUCCESS);
    vkg_binding binds[] = {{.resource = r->src, .buffer = buf, .image = img},
                           {.resource = r->dst, .buffer = *out}};
    vkg_ticket t;
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = binds,
                                                          .binding_count = 2},
                                 &t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_ticket_wait(dev, t, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, *out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_info info;
    assert_int_equal(vkg_buffer_get_info(dev, *out, &info), VKG_SUCCESS);
    return info.mapped;
}

static void test_threads_share_a_small_ring(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.name = "test", .ring_size = RING},
                                         &up),
                     VKG_SUCCESS);
    vkg_buffer buf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "target",
                                                               .size = THREADS * SLICE},
                                       &buf),
                     VKG_SUCCESS);
    uint8_t *expect = calloc(THREADS, SLICE);
    job jobs[THREADS];
    pthread_t th[THREADS];
    for (uint32_t i = 0; i < THREADS; i++) {
        jobs[i] = (job){up, buf, i, expect, VKG_SUCCESS};
        assert_int_equal(pthread_create(&th[i], NULL, upload_thread, &jobs[i]), 0);
    }
    for (uint32_t i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].result, VKG_SUCCESS);
    }
    vkg_uploader_stats st;
    vkg_uploader_get_stats(up, &st);
    if (st.ring_peak > RING) fail_msg("ring peak %llu > %u", (unsigned long long)st.ring_peak, RING);
    assert_true(st.ring_waits > 0);          /* 768 KiB through a 32 KiB ring */
    assert_true(st.submissions > st.uploads); /* uploads larger than half the ring split */
    assert_int_equal(st.bytes, 2ull * THREADS * SLICE);

    readback r = {.size = THREADS * SLICE};
    vkg_buffer host;
    const uint8_t *got = read_back(dev, &r, buf, (vkg_image){0}, &host);
    for (uint64_t i = 0; i < (uint64_t)THREADS * SLICE; i++)
        if (got[i] != expect[i]) fail_msg("byte %llu: %u on the GPU, %u uploaded",
                                          (unsigned long long)i, got[i], expect[i]);
    free(expect);
    vkg_buffer_destroy(dev, host);
    vkg_buffer_destroy(dev, buf);
    vkg_uploader_destroy(up);
    vkgt_device_close(dev);
}

static void test_image_mips_and_region(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 8192}, &up),
                     VKG_SUCCESS);
    enum { W = 64, H = 48, MIPS = 4 };
    vkg_image img;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "tex",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = W,
                                                             .height = H,
                                                             .mips = MIPS},
                                      &img),
                     VKG_SUCCESS);
    uint8_t *mip[MIPS];
    VkDeviceSize sizes[MIPS], total = 0;
    for (uint32_t m = 0; m < MIPS; m++) {
        sizes[m] = (VkDeviceSize)(W >> m) * (H >> m) * 4;
        mip[m] = malloc(sizes[m]);
        for (VkDeviceSize i = 0; i < sizes[m]; i++) mip[m][i] = (uint8_t)(i * 7 + m * 50);
        total += sizes[m];
    }
    vkg_ticket tickets[MIPS];
    /* mip 0 is 12 KiB: larger than half the 8 KiB ring, so it goes in bands of rows */
    assert_int_equal(vkg_upload_image_mips(up, img, (const void *const *)mip, sizes, MIPS, VKG_ACCESS_NONE,
                                           VKG_QUEUE_GRAPHICS, tickets),
                     VKG_SUCCESS);
    /* smallest first: each larger mip was submitted after the smaller ones on one queue */
    for (uint32_t m = 0; m + 1 < MIPS; m++) assert_true(tickets[m].value > tickets[m + 1].value);
    /* a partial region of mip 1 over what is there: an 8x4 block at (4, 2) */
    uint8_t block[8 * 4 * 4];
    for (uint32_t i = 0; i < sizeof block; i++) block[i] = (uint8_t)(200 + i);
    assert_int_equal(vkg_upload_image(up,
                                      &(vkg_upload_image_desc){.image = img, .mip = 1,
                                                               .offset = {4, 2, 0},
                                                               .extent = {8, 4, 1},
                                                               .data = block,
                                                               .size = sizeof block},
                                      NULL),
                     VKG_SUCCESS);
    for (uint32_t y = 0; y < 4; y++)
        memcpy(mip[1] + ((2 + y) * (W >> 1) + 4) * 4, block + y * 8 * 4, 8 * 4);

    readback r = {.size = total, .image = true, .mips = MIPS, .width = W, .height = H};
    vkg_buffer host;
    const uint8_t *got = read_back(dev, &r, (vkg_buffer){0}, img, &host);
    VkDeviceSize at = 0;
    for (uint32_t m = 0; m < MIPS; m++) {
        for (VkDeviceSize i = 0; i < sizes[m]; i++)
            if (got[at + i] != mip[m][i])
                fail_msg("mip %u byte %llu: %u on the GPU, %u uploaded", m,
                         (unsigned long long)i, got[at + i], mip[m][i]);
        at += sizes[m];
        free(mip[m]);
    }
    vkg_buffer_destroy(dev, host);
    vkg_image_destroy(dev, img);
    vkg_uploader_destroy(up);
    vkgt_device_close(dev);
}

static void rec_fill(const vkg_pass_context *ctx, void *user)
{
    vkg_resource *r = user;
    vkg_pass_device_table(ctx)->vkCmdFillBuffer(vkg_pass_command_buffer(ctx),
                                                vkg_pass_buffer(ctx, *r), 0, VK_WHOLE_SIZE,
                                                0xC0FFEE00u);
}

/* Readbacks through a completion queue: buffer ranges, an image region, a buffer a graph
 * wrote just before (ordered by its tracked state alone), and a completion queue destroyed
 * while a readback waits behind a gate. */
static void test_readback(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 8192}, &up),
                     VKG_SUCCESS);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 8, &cq), VKG_SUCCESS);
    enum { N = 3000 };
    vkg_buffer buf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "src", .size = N}, &buf),
                     VKG_SUCCESS);
    uint8_t data[N];
    for (uint32_t i = 0; i < N; i++) data[i] = (uint8_t)(i * 7 + 3);
    vkg_ticket t;
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = buf, .data = data,
                                                                     .size = N},
                                       &t),
                     VKG_SUCCESS);
    /* three ranges; the 8 KiB ring takes at most 4 KiB each */
    uint8_t got[3][1000];
    for (uint32_t k = 0; k < 3; k++) {
        memset(got[k], 0, sizeof got[k]);
        assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .offset = k * 1000,
                                                               .size = 1000, .dst = got[k],
                                                               .cq = cq, .user_data = 100 + k},
                                      &t),
                         VKG_SUCCESS);
    }
    /* an image region */
    vkg_image img;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "img",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 16,
                                                             .height = 8},
                                      &img),
                     VKG_SUCCESS);
    uint32_t px[16 * 8], region[4 * 3];
    for (uint32_t i = 0; i < 16 * 8; i++) px[i] = 0x01000000u * i + 0x10203u;
    assert_int_equal(vkg_upload_image(up, &(vkg_upload_image_desc){.image = img, .data = px,
                                                                   .size = sizeof px,
                                                                   .ready_for = VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                                      &t),
                     VKG_SUCCESS);
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.image = img,
                                                           .image_offset = {5, 2, 0},
                                                           .extent = {4, 3, 1},
                                                           .dst = region,
                                                           .cq = cq,
                                                           .user_data = 200},
                                  &t),
                     VKG_SUCCESS);
    /* a graph fills an imported buffer; the readback after it needs no other link */
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "fill", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    vkg_resource res;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "filled", .size = 256,
                                                                  .imported = true, .output = true},
                                      &res),
                     VKG_SUCCESS);
    vkg_use use = {.resource = res, .access = VKG_ACCESS_TRANSFER_WRITE};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fill", .queue = VKG_QUEUE_COMPUTE,
                                                        .uses = &use, .use_count = 1,
                                                        .record = rec_fill, .user = &res},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, vkg_device_caps(dev), &plan), VKG_SUCCESS);
    vkg_executor *ex = NULL;
    assert_int_equal(vkg_executor_create(dev, &(vkg_executor_desc){.name = "fill"}, &ex), VKG_SUCCESS);
    vkg_buffer filled;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "filled", .size = 256}, &filled),
                     VKG_SUCCESS);
    vkg_binding bind = {.resource = res, .buffer = filled};
    assert_int_equal(vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = &bind,
                                                          .binding_count = 1},
                                 NULL),
                     VKG_SUCCESS);
    uint32_t words[64] = {0};
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = filled, .size = 256,
                                                           .dst = words, .cq = cq,
                                                           .user_data = 300},
                                  &t),
                     VKG_SUCCESS);
    /* reap all five: each buffer is full when its completion arrives */
    uint32_t seen = 0;
    while (seen < 5) {
        assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
        vkg_cqe e;
        while (vkg_cq_peek(cq, &e)) {
            assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
            assert_int_equal(e.result, VKG_SUCCESS);
            seen++;
            if (e.user_data >= 100 && e.user_data < 103) {
                uint32_t k = (uint32_t)(e.user_data - 100);
                for (uint32_t i = 0; i < 1000; i++)
                    if (got[k][i] != data[k * 1000 + i])
                        fail_msg("range %u byte %u: %u, uploaded %u", k, i, got[k][i],
                                 data[k * 1000 + i]);
            } else if (e.user_data == 200) {
                for (uint32_t y = 0; y < 3; y++)
                    for (uint32_t x = 0; x < 4; x++)
                        assert_int_equal(region[y * 4 + x], px[(y + 2) * 16 + x + 5]);
            } else {
                assert_int_equal(e.user_data, 300);
                for (uint32_t i = 0; i < 64; i++) assert_int_equal(words[i], 0xC0FFEE00u);
            }
        }
    }
    vkg_uploader_stats st;
    vkg_uploader_get_stats(up, &st);
    assert_int_equal(st.readbacks, 5);

    /* bad input, by name */
    uint8_t big[8192];
    vkgt_log_clear();
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .size = 10, .dst = big},
                                  &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_readback: cq is NULL", NULL));
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .offset = 2990, .size = 20,
                                                           .dst = big, .cq = cq},
                                  &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("bytes [2990, 3010) are outside buffer \"src\"", NULL));
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .image = img, .dst = big,
                                                           .cq = cq},
                                  &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("exactly one of buffer and image", NULL));
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.image = img, .image_offset = {14, 0, 0},
                                                           .extent = {4, 1, 1}, .dst = big, .cq = cq},
                                  &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("region of 4x1x1 at (14, 0, 0) is outside mip 0 of image \"img\"", NULL));
    vkg_buffer large;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "large", .size = 8192}, &large),
                     VKG_SUCCESS);
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = large, .size = 8192, .dst = big,
                                                           .cq = cq},
                                  &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("8192 bytes from \"large\" do not fit in half the staging ring", NULL));

    /* a completion queue destroyed while its readback waits: nothing hangs or leaks */
    vkgt_gate gate;
    vkgt_gate_open(&gate, dev);
    vkg_cq *doomed = NULL;
    assert_int_equal(vkg_cq_create(dev, 4, &doomed), VKG_SUCCESS);
    (void)vkgt_gate_submit(&gate, VKG_QUEUE_TRANSFER, 1);
    vkg_ticket held;
    assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .size = 16, .dst = big,
                                                           .cq = doomed, .user_data = 1},
                                  &held),
                     VKG_SUCCESS);
    assert_false(vkg_ticket_complete(dev, held));
    vkg_cq_destroy(doomed);
    vkgt_gate_signal(&gate, 1);
    assert_int_equal(vkg_ticket_wait(dev, held, UINT64_MAX), VKG_SUCCESS);
    vkgt_gate_close(&gate);

    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    vkg_buffer_destroy(dev, large);
    vkg_buffer_destroy(dev, filled);
    vkg_buffer_destroy(dev, buf);
    vkg_image_destroy(dev, img);
    vkg_uploader_destroy(up); /* waits for the dropped readback's copy, then frees the ring */
    vkg_cq_destroy(cq);
    vkgt_device_close(dev);
}

/* Readbacks that cycle a ring holding two of them at a time: each reservation waits for the
 * watcher thread to copy an older readback out of its span (no polling; TSan watches the
 * hand-over), and every byte arrives. */
static void test_readbacks_cycle_the_ring(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 8192}, &up), VKG_SUCCESS);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 64, &cq), VKG_SUCCESS);
    enum { N = 3000, R = 24 };
    vkg_buffer buf;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "src", .size = N}, &buf), VKG_SUCCESS);
    uint8_t data[N];
    for (uint32_t i = 0; i < N; i++) data[i] = (uint8_t)(i * 13 + 5);
    vkg_ticket t;
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = buf, .data = data, .size = N}, &t),
                     VKG_SUCCESS);
    static uint8_t got[R][N];
    memset(got, 0, sizeof got);
    for (uint32_t k = 0; k < R; k++)
        assert_int_equal(vkg_readback(up, &(vkg_readback_desc){.buffer = buf, .size = N, .dst = got[k], .cq = cq,
                                                               .user_data = k},
                                      &t),
                         VKG_SUCCESS);
    uint32_t seen = 0;
    while (seen < R) {
        assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
        vkg_cqe e[R];
        uint32_t n = vkg_cq_reap(cq, e, R);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(e[i].result, VKG_SUCCESS);
            assert_memory_equal(got[e[i].user_data], data, N);
        }
        seen += n;
    }
    vkg_uploader_stats st;
    vkg_uploader_get_stats(up, &st);
    assert_int_equal(st.readbacks, R);
    assert_true(st.ring_waits > 0);
    vkg_buffer_destroy(dev, buf);
    vkg_uploader_destroy(up);
    vkg_cq_destroy(cq);
    vkgt_device_close(dev);
}

static void test_bad_input(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_uploader *up = NULL;
    assert_int_equal(vkg_uploader_create(dev, &(vkg_uploader_desc){.ring_size = 100}, &up),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("ring_size 100", "4096", NULL));
    assert_int_equal(vkg_uploader_create(dev, NULL, &up), VKG_SUCCESS);
    vkg_buffer buf, nodst;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "B", .size = 256}, &buf),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "nodst", .size = 256,
                                                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT},
                                       &nodst),
                     VKG_SUCCESS);
    uint8_t data[512] = {0};
    vkg_ticket t;
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = buf, .offset = 200,
                                                                     .data = data, .size = 100},
                                       &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("bytes [200, 300) are outside buffer \"B\" (256 bytes)", NULL));
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = nodst, .data = data,
                                                                     .size = 16},
                                       &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("\"nodst\"", "TRANSFER_DST", NULL));
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = buf, .size = 16}, &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("data is NULL", NULL));
    vkg_image img, depth;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "I",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 8, .height = 8},
                                      &img),
                     VKG_SUCCESS);
    assert_int_equal(vkg_upload_image(up, &(vkg_upload_image_desc){.image = img, .data = data,
                                                                   .size = 255},
                                      &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("255 bytes given", "\"I\"", "needs 256", NULL));
    assert_int_equal(vkg_upload_image(up, &(vkg_upload_image_desc){.image = img, .mip = 1,
                                                                   .data = data, .size = 64},
                                      &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("mip 1", "outside image \"I\"", NULL));
    assert_int_equal(vkg_upload_image(up, &(vkg_upload_image_desc){.image = img,
                                                                   .offset = {6, 0, 0},
                                                                   .extent = {4, 1, 1},
                                                                   .data = data, .size = 16},
                                      &t),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("region at (6, 0, 0) of 4x1x1 is outside mip 0", NULL));
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "D",
                                                             .format = VK_FORMAT_D32_SFLOAT,
                                                             .width = 8, .height = 8},
                                      &depth),
                     VKG_SUCCESS);
    assert_int_equal(vkg_upload_image(up, &(vkg_upload_image_desc){.image = depth, .data = data,
                                                                   .size = 256},
                                      &t),
                     VKG_ERROR_FEATURE_NOT_PRESENT);
    assert_true(vkgt_log_has("\"D\"", "D32_SFLOAT", NULL));
    vkg_buffer_destroy(dev, buf);
    assert_int_equal(vkg_upload_buffer(up, &(vkg_upload_buffer_desc){.buffer = buf, .data = data,
                                                                     .size = 16},
                                       &t),
                     VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("vkg_upload_buffer", "not live", NULL));
    vkg_image_destroy(dev, depth);
    vkg_image_destroy(dev, img);
    vkg_buffer_destroy(dev, nodst);
    vkg_uploader_destroy(up);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_a_small_ring),
        cmocka_unit_test(test_image_mips_and_region),
        cmocka_unit_test(test_readback),
        cmocka_unit_test(test_readbacks_cycle_the_ring),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
