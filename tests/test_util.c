/* Pure tests: result table, handle pool (stale detection, growth, stable addresses), host
 * allocation hooks. */
#include "harness.h"

#include <string.h>

#include "util/util.h"

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(vkg_result_name(VKG_SUCCESS), "VKG_SUCCESS");
    assert_string_equal(vkg_result_name(VKG_ERROR_OUT_OF_HOST_MEMORY),
                        "VKG_ERROR_OUT_OF_HOST_MEMORY");
    assert_string_equal(vkg_result_name((vkg_result)12345), "VKG_RESULT_UNKNOWN");
    /* every entry of the table has a distinct name, a distinct value and a text */
    static const struct {
        vkg_result r;
        const char *name;
    } all[] = {
#define ROW(name, value, text) {name, #name},
        VKG_RESULT_TABLE(ROW)
#undef ROW
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        assert_string_equal(vkg_result_name(all[i].r), all[i].name);
        assert_true(strlen(vkg_result_text(all[i].r)) > 5);
        for (size_t j = 0; j < i; j++) assert_int_not_equal(all[i].r, all[j].r);
    }
    assert_string_equal(vkg_queue_role_name(VKG_QUEUE_TRANSFER), "transfer");
}

typedef struct item {
    uint64_t value;
    char pad[40];
} item;

static void test_pool_handles(void **state)
{
    (void)state;
    vkgt_alloc_counter counter = {0};
    vkg_allocator a = vkgt_counting_allocator(&counter);
    vkg__host host;
    vkg__host_init(&host, &a, NULL);
    vkg__pool pool;
    vkg__pool_init(&pool, sizeof(item));

    enum { N = 1000 };
    uint32_t ids[N];
    item *ptrs[N];
    for (uint32_t i = 0; i < N; i++) {
        item *it = vkg__pool_alloc(&host, &pool, &ids[i]);
        assert_non_null(it);
        assert_int_not_equal(ids[i], 0);
        it->value = i;
        ptrs[i] = it;
    }
    /* addresses are stable across growth */
    for (uint32_t i = 0; i < N; i++) {
        assert_ptr_equal(vkg__pool_get(&pool, ids[i]), ptrs[i]);
        assert_int_equal(ptrs[i]->value, i);
    }
    assert_int_equal(pool.live, N);
    assert_null(vkg__pool_get(&pool, 0));
    assert_null(vkg__pool_get(&pool, 0xffffffffu));

    /* stale handles are detected, even after the slot is reused */
    uint32_t old = ids[7];
    vkg__pool_free(&pool, old);
    assert_null(vkg__pool_get(&pool, old));
    vkg__pool_free(&pool, old); /* double free is a no-op */
    assert_int_equal(pool.live, N - 1);
    uint32_t reused;
    item *it = vkg__pool_alloc(&host, &pool, &reused);
    assert_non_null(it);
    assert_int_equal(it->value, 0); /* zeroed */
    assert_int_equal(reused & VKG__HANDLE_INDEX_MASK, old & VKG__HANDLE_INDEX_MASK);
    assert_int_not_equal(reused, old);
    assert_null(vkg__pool_get(&pool, old));
    assert_non_null(vkg__pool_get(&pool, reused));

    /* generations cycle through 4095 values, never producing id 0; the same id comes back,
     * but the serial of what it names never does */
    uint32_t first_id = reused;
    uint64_t first_serial = vkg__pool_serial(&pool, reused);
    assert_true(first_serial > 0);
    bool came_back = false;
    for (int k = 0; k < 5000; k++) {
        uint64_t before = vkg__pool_serial(&pool, reused);
        vkg__pool_free(&pool, reused);
        assert_int_equal(vkg__pool_serial(&pool, reused), 0);
        assert_non_null(vkg__pool_alloc(&host, &pool, &reused));
        assert_int_not_equal(reused >> VKG__HANDLE_INDEX_BITS, 0);
        assert_true(vkg__pool_serial(&pool, reused) > before);
        came_back |= reused == first_id;
    }
    assert_true(came_back);
    assert_true(vkg__pool_serial(&pool, first_id) != first_serial);
    /* iteration sees exactly the live slots */
    uint32_t seen = 0;
    for (uint32_t i = 0; i < pool.used; i++) seen += vkg__pool_at(&pool, i, NULL) != NULL;
    assert_int_equal(seen, pool.live);

    vkg__pool_destroy(&host, &pool);
    assert_int_equal(counter.live, 0);
}

static void test_pool_host_oom(void **state)
{
    (void)state;
    /* fail each allocation in turn: the pool reports NULL and stays consistent */
    for (uint64_t fail = 1; fail < 20; fail++) {
        vkgt_alloc_counter counter = {.fail_at = fail};
        vkg_allocator a = vkgt_counting_allocator(&counter);
        vkg__host host;
        vkg__host_init(&host, &a, NULL);
        vkg__pool pool;
        vkg__pool_init(&pool, 16);
        uint32_t got = 0;
        for (int i = 0; i < 200; i++) {
            uint32_t id;
            if (vkg__pool_alloc(&host, &pool, &id)) got++;
        }
        assert_true(got >= 199); /* exactly one call failed */
        assert_int_equal(pool.live, got);
        vkg__pool_destroy(&host, &pool);
        assert_int_equal(counter.live, 0);
    }
}

static void test_grow_overflow(void **state)
{
    (void)state;
    vkg__host host;
    vkg__host_init(&host, NULL, NULL);
    void *arr = NULL;
    uint32_t cap = 0;
    assert_true(vkg__grow(&host, &arr, &cap, 100, 8));
    assert_true(cap >= 100);
    /* a request whose byte size overflows is refused, not truncated */
    assert_false(vkg__grow(&host, &arr, &cap, UINT32_MAX, SIZE_MAX / 4));
    vkg__free(&host, arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_names),
        cmocka_unit_test(test_pool_handles),
        cmocka_unit_test(test_pool_host_oom),
        cmocka_unit_test(test_grow_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
