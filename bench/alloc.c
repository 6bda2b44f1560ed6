/* bench/alloc: cost of the device-memory suballocator itself.
 *
 * 10^6 mixed operations (55% allocate while under 1 GiB live, else free a random live one)
 * with mixed sizes (70% up to 64 KiB, 25% up to 4 MiB, 5% up to 52 MiB), alignments
 * (1 B..64 KiB), memory-type masks, usages and tilings, over a device model with four
 * memory types in three heaps (bufferImageGranularity 1024). The backend hands out fake
 * VkDeviceMemory handles, so the figure is vkgraph's placement work, not the driver's
 * vkAllocateMemory. Prints ns per alloc+free pair and the final fragmentation:
 *   unused     = 1 - used / reserved           (memory held in blocks but not handed out)
 *   free_frag  = 1 - largest_free / free bytes (how split the free space is)
 * VKG_BENCH_SHORT=1 runs 10^4 operations (CTest keeps the program from rotting). */
#include "bench.h"

#include "model_device.h"

static uint64_t state = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    return vkgt_xorshift64(&state);
}

static uint64_t handles;
static VkResult fake_allocate(void *user, const vkg__mem_request *req, VkDeviceMemory *out,
                              void **mapped)
{
    (void)user;
    (void)req;
    *out = (VkDeviceMemory)(uintptr_t)++handles;
    *mapped = NULL;
    return VK_SUCCESS;
}

static void fake_release(void *user, uint32_t type, VkDeviceMemory memory, void *mapped)
{
    (void)user;
    (void)type;
    (void)memory;
    (void)mapped;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef struct live {
    vkg_allocation a;
    VkDeviceSize size;
} live;

int main(void)
{
    const uint32_t ops = bench_short() ? 10000 : 1000000;
    vkg__memory_config cfg = vkgt_model_memory_config(8ull << 30);
    vkg__host host;
    vkg_logger quiet = {.min_level = VKG_LOG_ERROR + 1};
    vkg__host_init(&host, NULL, &quiet);
    vkg__mem_backend backend = {NULL, fake_allocate, fake_release};
    vkg__memory mem;
    vkg__memory_init(&mem, &host, &cfg, &backend);

    /* pre-generate the requests so the timing holds only the allocator */
    vkg__mem_alloc_desc *reqs = calloc(ops, sizeof *reqs);
    uint32_t *victims = calloc(ops, sizeof *victims);
    uint8_t *is_alloc = calloc(ops, 1);
    live *lv = calloc(ops, sizeof *lv);
    if (!reqs || !victims || !is_alloc || !lv) return 1;
    for (uint32_t i = 0; i < ops; i++) {
        uint64_t p = rnd() % 100;
        VkDeviceSize size = p < 70   ? 1 + rnd() % (64 << 10)
                            : p < 95 ? (64 << 10) + rnd() % (4 << 20)
                                     : (4 << 20) + rnd() % (48 << 20);
        reqs[i] = (vkg__mem_alloc_desc){
            .name = "bench",
            .requirements = {size, 1ull << (rnd() % 17), 0xf},
            .usage = (vkg_memory_usage)(rnd() % 3),
            .tiling = (vkg_resource_tiling)(rnd() % 2),
        };
        victims[i] = (uint32_t)rnd();
        is_alloc[i] = rnd() % 100 < 55;
    }

    uint32_t n = 0, pairs_alloc = 0, pairs_free = 0, failed = 0;
    VkDeviceSize live_bytes = 0;
    double t0 = now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        if (n == 0 || (is_alloc[i] && live_bytes < (1ull << 30))) {
            if (vkg__memory_alloc(&mem, &reqs[i], &lv[n].a) != VKG_SUCCESS) {
                failed++;
                continue;
            }
            lv[n].size = reqs[i].requirements.size;
            live_bytes += lv[n].size;
            n++;
            pairs_alloc++;
        } else {
            uint32_t k = victims[i] % n;
            vkg__memory_free(&mem, lv[k].a);
            live_bytes -= lv[k].size;
            lv[k] = lv[--n];
            pairs_free++;
        }
    }
    double t1 = now_ns();
    vkg_memory_stats st;
    vkg__memory_stats(&mem, &st);
    VkDeviceSize free_bytes = st.total.bytes_reserved - st.total.bytes_used;
    /* largest free range across all blocks of all types */
    VkDeviceSize largest = 0;
    for (uint32_t t = 0; t < 4; t++)
        if (st.types[t].largest_free_range > largest) largest = st.types[t].largest_free_range;
    double ns_per_op = (t1 - t0) / (pairs_alloc + pairs_free);
    printf("bench/alloc: %u operations (%u allocations, %u frees, %u refused)\n", ops, pairs_alloc,
           pairs_free, failed);
    printf("alloc_ns_per_op %.1f\n", ns_per_op);
    bench_figure("bench_alloc", "alloc_ns_per_op", ns_per_op, "ns");
    printf("alloc_ns_per_alloc_free_pair %.1f\n", 2 * ns_per_op);
    printf("live_allocations %u\n", n);
    printf("blocks %u\n", st.total.block_count);
    printf("reserved_mib %.1f\n", st.total.bytes_reserved / 1048576.0);
    printf("used_mib %.1f\n", st.total.bytes_used / 1048576.0);
    printf("unused_fraction %.3f\n",
           st.total.bytes_reserved ? 1.0 - (double)st.total.bytes_used / st.total.bytes_reserved
                                   : 0);
    printf("free_fragmentation %.3f\n", free_bytes ? 1.0 - (double)largest / free_bytes : 0);
    vkg__memory_destroy(&mem);
    free(reqs);
    free(victims);
    free(is_alloc);
    free(lv);
    return 0;
}
