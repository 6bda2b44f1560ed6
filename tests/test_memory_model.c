/* The suballocator against a reference model, without a device: the backend hands out fake
 * VkDeviceMemory handles and records every block. 100,000 random operations with mixed
 * sizes, alignments, memory-type masks, usages and tilings; every live allocation is checked
 * for alignment, bounds, overlap, bufferImageGranularity, non-coherent atoms and the right
 * kind of memory, and the statistics must match the model exactly. Then out-of-memory paths
 * and a host-allocation failure injected at every allocation point. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_device.h"

#define GRAN VKGT_MODEL_GRANULARITY
#define ATOM VKGT_MODEL_ATOM
#define MAX_BLOCKS 4096

typedef struct mock_block {
    uint64_t handle;
    uint32_t type;
    VkDeviceSize size;
    bool live;
} mock_block;

typedef struct mock {
    mock_block blocks[MAX_BLOCKS];
    uint32_t count;
    uint64_t next_handle;
    uint32_t fail_next; /* make the next N vkAllocateMemory calls fail */
    uint32_t live_blocks;
} mock;

static VkResult mock_allocate(void *user, const vkg__mem_request *req, VkDeviceMemory *out,
                              void **mapped)
{
    mock *m = user;
    if (m->fail_next) {
        m->fail_next--;
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    if (m->count == MAX_BLOCKS) return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    mock_block *b = &m->blocks[m->count++];
    b->handle = ++m->next_handle;
    b->type = req->memory_type;
    b->size = req->size;
    b->live = true;
    m->live_blocks++;
    *out = (VkDeviceMemory)(uintptr_t)b->handle;
    *mapped = NULL;
    return VK_SUCCESS;
}

static mock_block *mock_find(mock *m, VkDeviceMemory memory)
{
    for (uint32_t i = 0; i < m->count; i++)
        if (m->blocks[i].live && m->blocks[i].handle == (uint64_t)(uintptr_t)memory)
            return &m->blocks[i];
    return NULL;
}

static void mock_release(void *user, uint32_t type, VkDeviceMemory memory, void *mapped)
{
    (void)mapped;
    mock *m = user;
    mock_block *b = mock_find(m, memory);
    assert_non_null(b);
    assert_int_equal(b->type, type);
    b->live = false;
    m->live_blocks--;
}

static vkg__memory_config model_config(void)
{
    return vkgt_model_memory_config(256ull << 20); /* a small BAR heap: smaller blocks */
}

typedef struct live_alloc {
    vkg_allocation handle;
    VkDeviceSize size, align;
    uint32_t type_bits;
    vkg_memory_usage usage;
    vkg_resource_tiling tiling;
    vkg_allocation_info info;
} live_alloc;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return vkgt_xorshift64(&rng_state);
}

static VkDeviceSize random_size(void)
{
    uint64_t p = rnd() % 100;
    if (p < 70) return 1 + rnd() % (64 << 10);
    if (p < 95) return (64 << 10) + rnd() % (4 << 20);
    return (4 << 20) + rnd() % (48 << 20);
}

static int cmp_offset(const void *a, const void *b)
{
    const live_alloc *x = *(const live_alloc *const *)a, *y = *(const live_alloc *const *)b;
    if (x->info.memory != y->info.memory)
        return (uintptr_t)x->info.memory < (uintptr_t)y->info.memory ? -1 : 1;
    return x->info.offset < y->info.offset ? -1 : x->info.offset > y->info.offset;
}

/* Full check of every live allocation and of the statistics against the model. */
static void check_model(vkg__memory *mem, mock *m, live_alloc *live, uint32_t n)
{
    static live_alloc *sorted[100000];
    vkg_memory_stats st;
    vkg__memory_stats(mem, &st);
    VkDeviceSize used[4] = {0};
    uint32_t counts[4] = {0};
    for (uint32_t i = 0; i < n; i++) {
        vkg_allocation_info info;
        assert_true(vkg__memory_info(mem, live[i].handle, &info));
        /* never moves */
        assert_ptr_equal(info.memory, live[i].info.memory);
        assert_int_equal(info.offset, live[i].info.offset);
        assert_int_equal(info.size, live[i].info.size);
        assert_int_equal(info.memory_type, live[i].info.memory_type);
        used[info.memory_type] += info.size;
        counts[info.memory_type]++;
        sorted[i] = &live[i];
    }
    qsort(sorted, n, sizeof sorted[0], cmp_offset);
    for (uint32_t i = 0; i < n; i++) {
        const live_alloc *a = sorted[i];
        mock_block *b = mock_find(m, a->info.memory);
        assert_non_null(b);
        assert_true(a->info.offset + a->info.size <= b->size);
        if (i + 1 < n && sorted[i + 1]->info.memory == a->info.memory) {
            const live_alloc *next = sorted[i + 1];
            /* no overlap */
            assert_true(a->info.offset + a->info.size <= next->info.offset);
            /* linear and optimal never share a bufferImageGranularity page */
            if (a->tiling != next->tiling)
                assert_true((a->info.offset + a->info.size - 1) / GRAN != next->info.offset / GRAN);
        }
    }
    VkDeviceSize reserved[4] = {0};
    uint32_t blocks[4] = {0};
    for (uint32_t i = 0; i < m->count; i++)
        if (m->blocks[i].live) {
            reserved[m->blocks[i].type] += m->blocks[i].size;
            blocks[m->blocks[i].type]++;
        }
    VkDeviceSize total_used = 0, total_reserved = 0;
    for (uint32_t t = 0; t < 4; t++) {
        assert_int_equal(st.types[t].allocation_count, counts[t]);
        assert_int_equal(st.types[t].bytes_used, used[t]);
        assert_int_equal(st.types[t].bytes_reserved, reserved[t]);
        assert_int_equal(st.types[t].block_count, blocks[t]);
        assert_true(st.types[t].largest_free_range <= reserved[t] - used[t]);
        total_used += used[t];
        total_reserved += reserved[t];
    }
    assert_int_equal(st.total.allocation_count, n);
    assert_int_equal(st.total.bytes_used, total_used);
    assert_int_equal(st.total.bytes_reserved, total_reserved);
    assert_int_equal(st.total.block_count, m->live_blocks);
}

static void check_one(const vkg__memory_config *cfg, const live_alloc *a)
{
    const vkg_allocation_info *info = &a->info;
    VkMemoryPropertyFlags f = cfg->memory_types[info->memory_type].flags;
    assert_true(a->type_bits & (1u << info->memory_type));
    assert_int_equal(info->offset % a->align, 0);
    assert_true(info->size >= a->size);
    if (a->usage != VKG_MEMORY_GPU) assert_true(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
    if (a->tiling == VKG_TILING_OPTIMAL) {
        assert_int_equal(info->offset % GRAN, 0);
        assert_int_equal(info->size % GRAN, 0);
    }
    if ((f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && !(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
        assert_int_equal(info->offset % ATOM, 0);
        assert_int_equal(info->size % ATOM, 0);
    }
}

static void test_random_model(void **state)
{
    (void)state;
    const char *short_env = getenv("VKG_TEST_SHORT");
    const uint32_t ops = short_env && short_env[0] == '1' ? 10000 : 100000;
    static mock m;
    memset(&m, 0, sizeof m);
    vkg__host host;
    vkg_logger quiet = {.min_level = VKG_LOG_ERROR + 1}; /* impossible requests are expected */
    vkg__host_init(&host, NULL, &quiet);
    vkg__memory_config cfg = model_config();
    vkg__mem_backend backend = {&m, mock_allocate, mock_release};
    vkg__memory mem;
    vkg__memory_init(&mem, &host, &cfg, &backend);

    static live_alloc live[100000];
    uint32_t n = 0;
    VkDeviceSize live_bytes = 0, heap2_bytes = 0;
    uint32_t allocs = 0, frees = 0;
    for (uint32_t op = 0; op < ops; op++) {
        bool do_alloc = n == 0 || (rnd() % 100 < 55 && live_bytes < (1ull << 30));
        if (do_alloc) {
            live_alloc a = {0};
            a.size = random_size();
            a.align = 1ull << (rnd() % 17);
            a.type_bits = (uint32_t)(rnd() % 15) + 1;
            a.usage = (vkg_memory_usage)(rnd() % 3);
            a.tiling = (vkg_resource_tiling)(rnd() % 2);
            uint32_t ranked[VKG_MAX_MEMORY_TYPES];
            bool possible = vkg__memory_rank_types(&cfg, a.type_bits, a.usage, ranked) > 0;
            /* heap 2 is a 256 MiB BAR window: keep it a quarter full so that every request
             * the model makes must succeed (the 8 GiB heaps never fill) */
            if (possible && cfg.memory_types[ranked[0]].heap == 2 &&
                heap2_bytes + a.size > (64ull << 20))
                continue;
            vkg__mem_alloc_desc d = {
                .name = "model",
                .requirements = {a.size, a.align, a.type_bits},
                .usage = a.usage,
                .tiling = a.tiling,
                .dedicated = rnd() % 50 == 0,
            };
            vkg_result r = vkg__memory_alloc(&mem, &d, &a.handle);
            if (!possible) {
                assert_int_equal(r, VKG_ERROR_OUT_OF_DEVICE_MEMORY);
                continue;
            }
            assert_int_equal(r, VKG_SUCCESS);
            assert_true(vkg__memory_info(&mem, a.handle, &a.info));
            check_one(&cfg, &a);
            live[n++] = a;
            live_bytes += a.size;
            if (cfg.memory_types[a.info.memory_type].heap == 2) heap2_bytes += a.size;
            allocs++;
        } else {
            uint32_t i = (uint32_t)(rnd() % n);
            vkg__memory_free(&mem, live[i].handle);
            vkg_allocation_info info;
            assert_false(vkg__memory_info(&mem, live[i].handle, &info)); /* stale now */
            live_bytes -= live[i].size;
            if (cfg.memory_types[live[i].info.memory_type].heap == 2) heap2_bytes -= live[i].size;
            live[i] = live[--n];
            frees++;
        }
        if (op % 2000 == 0) check_model(&mem, &m, live, n);
    }
    check_model(&mem, &m, live, n);
    vkg_memory_stats st;
    vkg__memory_stats(&mem, &st);
    printf("model: %u allocs, %u frees, %u live, %u blocks, %.1f MiB reserved, %.1f MiB used\n",
           allocs, frees, n, st.total.block_count, st.total.bytes_reserved / 1048576.0,
           st.total.bytes_used / 1048576.0);
    while (n) vkg__memory_free(&mem, live[--n].handle);
    check_model(&mem, &m, live, 0);
    vkg__memory_stats(&mem, &st);
    /* at most one empty block kept per memory type */
    assert_true(st.total.block_count <= 4);
    vkg__memory_destroy(&mem);
    assert_int_equal(m.live_blocks, 0);
}

static void test_out_of_device_memory(void **state)
{
    (void)state;
    static mock m;
    memset(&m, 0, sizeof m);
    vkgt_log_clear();
    vkg__host host;
    vkg_logger logger = vkgt_logger();
    vkg__host_init(&host, NULL, &logger);
    vkg__memory_config cfg = model_config();
    cfg.heap_size_limit = 16ull << 20;
    vkg__mem_backend backend = {&m, mock_allocate, mock_release};
    vkg__memory mem;
    vkg__memory_init(&mem, &host, &cfg, &backend);

    vkg_allocation a = {0}, b = {0};
    vkg__mem_alloc_desc big = {.name = "gbuffer.albedo",
                               .requirements = {32ull << 20, 256, 0x1},
                               .usage = VKG_MEMORY_GPU};
    assert_int_equal(vkg__memory_alloc(&mem, &big, &a), VKG_ERROR_OUT_OF_DEVICE_MEMORY);
    assert_int_equal(a.id, 0);
    assert_true(vkgt_log_has("out of device memory", "gbuffer.albedo", "33554432", NULL));

    /* fill to the limit with 4 MiB allocations; the next fails, the earlier stay intact */
    vkg_allocation fill[8];
    uint32_t got = 0;
    vkg__mem_alloc_desc four = {.name = "fill", .requirements = {4ull << 20, 16, 0x1}};
    while (got < 8 && vkg__memory_alloc(&mem, &four, &fill[got]) == VKG_SUCCESS) got++;
    assert_true(got >= 3 && got <= 4);
    vkg_memory_stats st;
    vkg__memory_stats(&mem, &st);
    assert_true(st.heap_reserved[0] <= 16ull << 20);
    assert_int_equal(st.total.allocation_count, got);

    /* a driver failure is reported too and leaves nothing behind */
    for (uint32_t i = 0; i < got; i++) vkg__memory_free(&mem, fill[i]);
    m.fail_next = 64; /* more than the smaller-block retries */
    vkg__mem_alloc_desc small = {.name = "staging", .requirements = {4096, 16, 0x2},
                                 .usage = VKG_MEMORY_UPLOAD};
    assert_int_equal(vkg__memory_alloc(&mem, &small, &b), VKG_ERROR_OUT_OF_DEVICE_MEMORY);
    assert_true(vkgt_log_has("staging", "driver refused", NULL));
    m.fail_next = 0;
    assert_int_equal(vkg__memory_alloc(&mem, &small, &b), VKG_SUCCESS);
    vkg__memory_free(&mem, b);

    /* invalid requests name the allocation and the rule */
    vkg__mem_alloc_desc bad = {.name = "odd", .requirements = {64, 48, 0x1}};
    assert_int_equal(vkg__memory_alloc(&mem, &bad, &b), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("\"odd\"", "power of two", NULL));
    vkg__mem_alloc_desc zero = {.name = "empty", .requirements = {0, 16, 0x1}};
    assert_int_equal(vkg__memory_alloc(&mem, &zero, &b), VKG_ERROR_INVALID_ARGUMENT);
    vkg__mem_alloc_desc notype = {.name = "nowhere", .requirements = {64, 16, 0x1},
                                  .usage = VKG_MEMORY_READBACK};
    assert_int_equal(vkg__memory_alloc(&mem, &notype, &b), VKG_ERROR_OUT_OF_DEVICE_MEMORY);
    assert_true(vkgt_log_has("\"nowhere\"", "no memory type", NULL));

    vkg__memory_destroy(&mem);
    assert_int_equal(m.live_blocks, 0);
}

/* One fixed script of allocator work; returns how many operations hit a host OOM. */
static uint32_t run_script(vkg__memory *mem, uint32_t *ok_count)
{
    vkg_allocation handles[300];
    uint32_t n = 0, oom = 0;
    uint64_t saved = rng_state;
    rng_state = 12345;
    for (uint32_t i = 0; i < 300; i++) {
        vkg__mem_alloc_desc d = {
            .name = "script",
            .requirements = {random_size() / 8 + 1, 1ull << (rnd() % 12), 0xf},
            .usage = (vkg_memory_usage)(rnd() % 3),
            .tiling = (vkg_resource_tiling)(rnd() % 2),
        };
        vkg_result r = vkg__memory_alloc(mem, &d, &handles[n]);
        if (r == VKG_SUCCESS) {
            n++;
        } else {
            assert_int_equal(r, VKG_ERROR_OUT_OF_HOST_MEMORY);
            oom++;
        }
        if (i % 3 == 2 && n) {
            uint32_t k = (uint32_t)(rnd() % n);
            vkg__memory_free(mem, handles[k]);
            handles[k] = handles[--n];
        }
    }
    rng_state = saved;
    *ok_count = n;
    return oom;
}

static void test_host_oom_every_point(void **state)
{
    (void)state;
    /* count the allocation calls of the whole script once */
    static mock m;
    vkgt_alloc_counter counter = {0};
    vkg_allocator alloc = vkgt_counting_allocator(&counter);
    vkg_logger quiet = {.fn = NULL, .min_level = VKG_LOG_ERROR + 1};
    vkg__host host;
    vkg__host_init(&host, &alloc, &quiet);
    vkg__memory_config cfg = model_config();
    vkg__mem_backend backend = {&m, mock_allocate, mock_release};
    memset(&m, 0, sizeof m);
    vkg__memory mem;
    vkg__memory_init(&mem, &host, &cfg, &backend);
    uint32_t ok;
    assert_int_equal(run_script(&mem, &ok), 0);
    vkg__memory_destroy(&mem);
    uint64_t total = counter.calls;
    assert_true(total > 5);
    assert_int_equal(counter.live, 0);

    for (uint64_t fail = 1; fail <= total; fail++) {
        memset(&m, 0, sizeof m);
        counter = (vkgt_alloc_counter){.fail_at = fail};
        vkg__host_init(&host, &alloc, &quiet);
        vkg__memory_init(&mem, &host, &cfg, &backend);
        uint32_t oom = run_script(&mem, &ok);
        assert_int_equal(counter.failures, 1);
        assert_true(oom <= 1);
        /* the survivors are still consistent */
        vkg_memory_stats st;
        vkg__memory_stats(&mem, &st);
        assert_int_equal(st.total.allocation_count, ok);
        vkg__memory_destroy(&mem);
        assert_int_equal(counter.live, 0);
        assert_int_equal(m.live_blocks, 0);
    }
    printf("host OOM injected at each of %llu allocation points: all clean\n",
           (unsigned long long)total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_out_of_device_memory),
        cmocka_unit_test(test_host_oom_every_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
