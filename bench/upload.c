/* bench/upload: uploader throughput with 1, 2 and 4 threads, and the staging memory used.
 *
 * Each run uploads the same total (256 MiB by default) into device-local destinations:
 *  - buffers: pieces of 1 MiB into a 64 MiB buffer (each thread its own quarter, again and
 *    again);
 *  - images: whole 512x512 RGBA8 textures (1 MiB each), uploaded ready for fragment
 *    sampling (a layout transition after the copy).
 * The threads share one uploader with a 16 MiB ring (the default is 64 MiB; a smaller one
 * shows the ring bounding memory while threads wait for the GPU). Timed: from the start
 * until the last ticket completed (host memcpy into the ring + GPU copies). MB/s is
 * 10^6 bytes per second. The last run's destinations are not read back here: test_upload
 * checks contents; this only measures.
 *
 * VKG_BENCH_SHORT=1: 8 MiB per run (CTest). VKG_BENCH_MIB=N: total per run. Best of 3
 * runs per row. Never fails on timing. */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIECE (1u << 20)
#define TEX 512u
#define RING (16u << 20)

#define CHECK(x, what) BENCH_CHECK("bench_upload", x, what)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct worker {
    vkg_device *dev;
    vkg_uploader *up;
    bool images;
    vkg_buffer buf;    /* buffers: the shared destination */
    VkDeviceSize base; /* buffers: this thread's quarter */
    vkg_image *tex;    /* images: this thread's textures */
    uint32_t tex_count;
    uint64_t bytes;      /* to upload */
    const uint8_t *data; /* PIECE bytes of source */
    vkg_ticket last;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    uint64_t done = 0;
    uint32_t i = 0;
    while (done < w->bytes) {
        if (w->images) {
            CHECK(vkg_upload_image(
                      w->up,
                      &(vkg_upload_image_desc){.image = w->tex[i++ % w->tex_count],
                                               .data = w->data,
                                               .size = PIECE,
                                               .ready_for = VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      &w->last),
                  "vkg_upload_image");
        } else {
            VkDeviceSize at = w->base + (VkDeviceSize)(i++ % 16) * PIECE;
            CHECK(vkg_upload_buffer(
                      w->up,
                      &(vkg_upload_buffer_desc){
                          .buffer = w->buf, .offset = at, .data = w->data, .size = PIECE},
                      &w->last),
                  "vkg_upload_buffer");
        }
        done += PIECE;
    }
    return NULL;
}

int main(void)
{
    bool short_run = bench_short();
    uint64_t mib = getenv("VKG_BENCH_MIB") ? (uint64_t)atoll(getenv("VKG_BENCH_MIB")) : 256;
    if (short_run) mib = 8;
    uint64_t total = mib << 20;
    vkg_device *dev;
    vkg_result r = vkg_device_create(&(vkg_device_desc){.app_name = "bench_upload"}, &dev);
    if (r != VKG_SUCCESS) {
        printf("bench_upload: no Vulkan 1.3 device here (%s); skipped\n", vkg_result_name(r));
        return 0;
    }
    bench_set_device(dev);
    vkg_uploader *up;
    CHECK(vkg_uploader_create(dev, &(vkg_uploader_desc){.name = "bench", .ring_size = RING}, &up),
          "vkg_uploader_create");
    vkg_buffer buf;
    CHECK(
        vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "destination", .size = 64u << 20}, &buf),
        "vkg_buffer_create");
    enum { TEX_PER_THREAD = 8 };
    vkg_image tex[4][TEX_PER_THREAD];
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t k = 0; k < TEX_PER_THREAD; k++)
            CHECK(vkg_image_create(dev,
                                   &(vkg_image_desc){.name = "texture",
                                                     .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                     .width = TEX,
                                                     .height = TEX,
                                                     .usage = VK_IMAGE_USAGE_SAMPLED_BIT |
                                                              VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                                   &tex[t][k]),
                  "vkg_image_create");
    uint8_t *data = malloc(PIECE);
    for (uint32_t i = 0; i < PIECE; i++) data[i] = (uint8_t)(i * 31 + (i >> 11));

    printf("device: %s; %llu MiB per run, pieces of 1 MiB, ring %u MiB, best of 3\n",
           vkg_device_caps(dev)->device_name, (unsigned long long)mib, RING >> 20);
    printf("| %-8s | %7s | %10s | %11s |\n", "kind", "threads", "MB/s", "ring waits");
    printf("|----------|---------|------------|-------------|\n");
    for (int images = 0; images < 2; images++) {
        for (uint32_t threads = 1; threads <= 4; threads *= 2) {
            double best = 0;
            vkg_uploader_stats before, after;
            vkg_uploader_get_stats(up, &before);
            for (int rep = 0; rep < 3; rep++) {
                worker w[4];
                pthread_t th[4];
                double t0 = now_s();
                for (uint32_t t = 0; t < threads; t++) {
                    w[t] = (worker){.dev = dev,
                                    .up = up,
                                    .images = images,
                                    .buf = buf,
                                    .base = (VkDeviceSize)t * (16u << 20),
                                    .tex = tex[t],
                                    .tex_count = TEX_PER_THREAD,
                                    .bytes = total / threads,
                                    .data = data};
                    CHECK(pthread_create(&th[t], NULL, work, &w[t]), "pthread_create");
                }
                for (uint32_t t = 0; t < threads; t++) pthread_join(th[t], NULL);
                for (uint32_t t = 0; t < threads; t++)
                    CHECK(vkg_ticket_wait(dev, w[t].last, UINT64_MAX), "vkg_ticket_wait");
                double mbs = (double)total / (now_s() - t0) / 1e6;
                if (mbs > best) best = mbs;
            }
            vkg_uploader_get_stats(up, &after);
            printf("| %-8s | %7u | %10.0f | %11llu |\n", images ? "images" : "buffers", threads,
                   best, (unsigned long long)(after.ring_waits - before.ring_waits));
            char fig[48];
            snprintf(fig, sizeof fig, "upload_mbps_%s_%ut", images ? "images" : "buffers", threads);
            bench_figure("bench_upload", fig, best, "MB/s");
        }
    }
    vkg_uploader_stats st;
    vkg_uploader_get_stats(up, &st);
    printf("staging memory: the ring, %.1f MiB (peak use %.1f MiB), for %llu MiB uploaded\n",
           (double)st.ring_size / (1 << 20), (double)st.ring_peak / (1 << 20),
           (unsigned long long)(st.bytes >> 20));
    free(data);
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t k = 0; k < TEX_PER_THREAD; k++) vkg_image_destroy(dev, tex[t][k]);
    vkg_buffer_destroy(dev, buf);
    vkg_uploader_destroy(up);
    vkg_device_destroy(dev);
    return 0;
}
