/* Completion queues and the watcher thread (label timeline), under validation: 10,000
 * watches complete exactly once and in timeline order per queue, through a ring small
 * enough to overflow; the eventfd works with poll(); a watch earlier than the armed value
 * re-arms the watcher. The GPU is held back by a host-signalled gate semaphore, so the
 * watches really wait. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

#define WATCHES 10000
#define BATCHES 300

static void test_ten_thousand_watches(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 1024, &cq), VKG_SUCCESS);
    /* every queue gets BATCHES batches behind the gate */
    uint32_t nq = vkg_device_queue_count(dev);
    uint64_t first[VKG_QUEUE_ROLE_COUNT], last[VKG_QUEUE_ROLE_COUNT];
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
        uint32_t q = vkg_device_role_queue(dev, (vkg_queue_role)role);
        if (role != VKG_QUEUE_GRAPHICS && q == vkg_device_role_queue(dev, VKG_QUEUE_GRAPHICS))
            continue;
        for (uint32_t b = 0; b < BATCHES; b++) {
            vkg_ticket t = vkgt_gate_submit(&g, (vkg_queue_role)role, b == 0 ? 1 : 0);
            if (b == 0) first[q] = t.value;
            last[q] = t.value;
        }
    }
    /* 10,000 watches at random values, in random order (so the watcher is re-armed at
     * earlier values again and again) */
    srand(7);
    for (uint32_t i = 0; i < WATCHES; i++) {
        uint32_t q = (uint32_t)rand() % nq;
        uint64_t v = first[q] + (uint64_t)rand() % (last[q] - first[q] + 1);
        assert_int_equal(vkg_cq_watch(cq, (vkg_ticket){q, v}, i), VKG_SUCCESS);
    }
    assert_false(vkg_cq_peek(cq, NULL));
    assert_false(fd_readable(vkg_cq_fd(cq)));
    assert_int_equal(vkg_cq_wait(cq, 1, 20 * 1000 * 1000), VKG_TIMEOUT);
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_cq_wait(cq, WATCHES, UINT64_MAX), VKG_SUCCESS);
    assert_true(fd_readable(vkg_cq_fd(cq)));
    vkg_cq_stats st;
    vkg_cq_get_stats(cq, &st);
    assert_int_equal(st.completed, WATCHES);
    assert_int_equal(st.ready, WATCHES);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.overflowed, WATCHES - 1024); /* the ring held 1024 */
    /* reaped in chunks: each watch exactly once, values rising per queue */
    unsigned char *seen = calloc(WATCHES, 1);
    uint64_t prev[VKG_QUEUE_ROLE_COUNT] = {0};
    vkg_cqe batch[333];
    uint32_t total = 0, n;
    while ((n = vkg_cq_reap(cq, batch, 333)) > 0) {
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(batch[i].result, VKG_SUCCESS);
            assert_true(batch[i].user_data < WATCHES);
            assert_int_equal(seen[batch[i].user_data], 0);
            seen[batch[i].user_data] = 1;
            assert_true(batch[i].ticket.value >= prev[batch[i].ticket.queue]);
            prev[batch[i].ticket.queue] = batch[i].ticket.value;
        }
        total += n;
    }
    assert_int_equal(total, WATCHES);
    assert_false(fd_readable(vkg_cq_fd(cq)));
    free(seen);
    /* a ticket never issued, and a wait that could never end */
    assert_int_equal(vkg_cq_watch(cq, (vkg_ticket){0, last[0] + 10}, 1),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_cq_watch", "never issued", NULL));
    assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_cq_wait", "would never return", NULL));
    vkg_cq_destroy(cq);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

/* The watcher waits for a late value; a watch on an earlier one must re-arm it (the poke),
 * or its completion would wait for the later value. Value 0 completes at once. */
static void test_earlier_watch_rearms(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 4, &cq), VKG_SUCCESS);
    vkg_ticket a = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
    vkg_ticket b = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 2);
    assert_int_equal(vkg_cq_watch(cq, b, 2), VKG_SUCCESS);
    /* let the watcher arm itself at b's value (were it slower, the test would only be
     * weaker, never wrong) */
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    assert_int_equal(vkg_cq_watch(cq, a, 1), VKG_SUCCESS);
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_cq_wait(cq, 1, 5ull * 1000 * 1000 * 1000), VKG_SUCCESS);
    vkg_cqe e;
    assert_true(vkg_cq_peek(cq, &e));
    assert_int_equal(e.user_data, 1);
    assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
    assert_false(vkg_cq_peek(cq, NULL)); /* b is still behind the gate */
    assert_int_equal(vkg_cq_watch(cq, (vkg_ticket){0, 0}, 3), VKG_SUCCESS);
    assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
    assert_int_equal(e.user_data, 3);
    vkgt_gate_signal(&g, 2);
    assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
    assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
    assert_int_equal(e.user_data, 2);
    assert_int_equal(e.ticket.value, b.value);
    /* a completion queue destroyed with watches pending: they are dropped */
    vkg_ticket c = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 3);
    assert_int_equal(vkg_cq_watch(cq, c, 4), VKG_SUCCESS);
    vkg_cq_destroy(cq);
    vkgt_gate_signal(&g, 3);
    assert_int_equal(vkg_ticket_wait(dev, c, UINT64_MAX), VKG_SUCCESS);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

/* Reaping a completion makes its ticket complete for everyone, the validation layer
 * included: a frame's descriptor pool and command pool are reset right after reaping the
 * frame's completion, with no other wait, and the layer must not call them in use
 * (VUID-vkResetDescriptorPool-descriptorPool-00313 before reaping told it). */
static void test_reap_then_reuse(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    const struct VolkDeviceTable *t = vk.device_table;
    VkDevice d = vk.device;
    vkg_buffer buf;
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "data", .size = 256,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT}, &buf),
                     VKG_SUCCESS);
    assert_int_equal(vkg_buffer_get_info(dev, buf, &bi), VKG_SUCCESS);
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayout dsl;
    assert_int_equal(t->vkCreateDescriptorSetLayout(d, &(VkDescriptorSetLayoutCreateInfo){
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .bindingCount = 1,
        .pBindings = &binding}, NULL, &dsl), VK_SUCCESS);
    VkPipelineLayout pl;
    assert_int_equal(t->vkCreatePipelineLayout(d, &(VkPipelineLayoutCreateInfo){
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1,
        .pSetLayouts = &dsl}, NULL, &pl), VK_SUCCESS);
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
    VkDescriptorPool pool;
    assert_int_equal(t->vkCreateDescriptorPool(d, &(VkDescriptorPoolCreateInfo){
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = 1,
        .poolSizeCount = 1, .pPoolSizes = &size}, NULL, &pool), VK_SUCCESS);
    VkCommandPool cmd_pool;
    assert_int_equal(t->vkCreateCommandPool(d, &(VkCommandPoolCreateInfo){
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .queueFamilyIndex = vk.queues[VKG_QUEUE_GRAPHICS].family}, NULL, &cmd_pool), VK_SUCCESS);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 4, &cq), VKG_SUCCESS);
    for (uint32_t frame = 0; frame < 3; frame++) {
        VkDescriptorSet set;
        assert_int_equal(t->vkAllocateDescriptorSets(d, &(VkDescriptorSetAllocateInfo){
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, .descriptorPool = pool,
            .descriptorSetCount = 1, .pSetLayouts = &dsl}, &set), VK_SUCCESS);
        t->vkUpdateDescriptorSets(d, 1, &(VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = set,
            .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .pBufferInfo = &(VkDescriptorBufferInfo){bi.buffer, 0, VK_WHOLE_SIZE}}, 0, NULL);
        VkCommandBuffer cb;
        assert_int_equal(t->vkAllocateCommandBuffers(d, &(VkCommandBufferAllocateInfo){
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = cmd_pool,
            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1}, &cb), VK_SUCCESS);
        assert_int_equal(t->vkBeginCommandBuffer(cb, &(VkCommandBufferBeginInfo){
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
            .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT}), VK_SUCCESS);
        t->vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pl, 0, 1, &set, 0, NULL);
        t->vkCmdFillBuffer(cb, bi.buffer, 0, 256, frame);
        assert_int_equal(t->vkEndCommandBuffer(cb), VK_SUCCESS);
        vkg_ticket ticket;
        assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
            .command_buffers = &(VkCommandBufferSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, .commandBuffer = cb},
            .command_buffer_count = 1}, &ticket), VKG_SUCCESS);
        assert_int_equal(vkg_cq_watch(cq, ticket, frame), VKG_SUCCESS);
        assert_int_equal(vkg_cq_wait(cq, 1, UINT64_MAX), VKG_SUCCESS);
        vkg_cqe e;
        assert_int_equal(vkg_cq_reap(cq, &e, 1), 1);
        assert_int_equal(e.result, VKG_SUCCESS);
        /* reuse at once: only the reaped completion says the frame is done */
        assert_int_equal(t->vkResetDescriptorPool(d, pool, 0), VK_SUCCESS);
        assert_int_equal(t->vkResetCommandPool(d, cmd_pool, 0), VK_SUCCESS);
    }
    vkg_cq_destroy(cq);
    t->vkDestroyCommandPool(d, cmd_pool, NULL);
    t->vkDestroyDescriptorPool(d, pool, NULL);
    t->vkDestroyPipelineLayout(d, pl, NULL);
    t->vkDestroyDescriptorSetLayout(d, dsl, NULL);
    vkg_buffer_destroy(dev, buf);
    vkgt_device_close(dev);
}

/* In place (vkg_cq_peek_batch / vkg_cq_advance): pointers into the ring, each completion
 * exactly once and in order, through a ring small enough to overflow; the fd, first asked
 * for while completions wait, is readable at once and stops being when the last is freed. */
static void test_in_place_reaping(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 256, &cq), VKG_SUCCESS);
    enum { N = 3000 };
    vkg_ticket first = {0, 0};
    for (uint32_t i = 0; i < N; i++) {
        vkg_ticket t = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, i == 0 ? 1 : 0);
        if (i == 0) first = t;
        assert_int_equal(vkg_cq_watch(cq, t, i), VKG_SUCCESS);
    }
    assert_null(vkg_cq_next(cq));
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_cq_wait(cq, N, UINT64_MAX), VKG_SUCCESS);
    assert_true(fd_readable(vkg_cq_fd(cq)));
    uint32_t total = 0;
    while (total < N) {
        const vkg_cqe *e[100];
        uint32_t n = vkg_cq_peek_batch(cq, e, 100);
        assert_true(n > 0);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(e[i]->result, VKG_SUCCESS);
            assert_int_equal(e[i]->user_data, total + i);
            assert_int_equal(e[i]->ticket.value, first.value + total + i);
        }
        /* until freed, the same entries are seen again */
        const vkg_cqe *again = vkg_cq_next(cq);
        assert_ptr_equal(again, e[0]);
        vkg_cq_advance(cq, n);
        total += n;
    }
    assert_null(vkg_cq_next(cq));
    assert_false(fd_readable(vkg_cq_fd(cq)));
    vkg_cq_stats st;
    vkg_cq_get_stats(cq, &st);
    assert_int_equal(st.reaped, N);
    assert_int_equal(st.overflowed, N - 256);
    assert_int_equal(st.ready + st.pending, 0);
    /* one at a time: value 0 completes at once */
    assert_int_equal(vkg_cq_watch(cq, (vkg_ticket){0, 0}, 77), VKG_SUCCESS);
    assert_true(fd_readable(vkg_cq_fd(cq)));
    const vkg_cqe *e = vkg_cq_next(cq);
    assert_non_null(e);
    assert_int_equal(e->user_data, 77);
    vkg_cq_seen(cq, e);
    assert_null(vkg_cq_next(cq));
    assert_false(fd_readable(vkg_cq_fd(cq)));
    vkg_cq_destroy(cq);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

/* Producers on several threads, one consumer in place, a ring of 64: every completion once,
 * each producer's in its order (ThreadSanitizer checks the ring's memory order). */
#define PRODUCED 20000u

typedef struct producer_arg {
    vkg_cq *cq;
    uint64_t id;
} producer_arg;

static void *produce(void *p)
{
    producer_arg *a = p;
    for (uint32_t i = 0; i < PRODUCED; i++)
        if (vkg_cq_watch(a->cq, (vkg_ticket){0, 0}, a->id << 32 | i) != VKG_SUCCESS) return p;
    return NULL;
}

static void test_in_place_consumer_beside_producers(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 64, &cq), VKG_SUCCESS);
    pthread_t th[2];
    producer_arg args[2] = {{cq, 0}, {cq, 1}};
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, produce, &args[i]), 0);
    uint32_t next[2] = {0, 0}, total = 0;
    while (total < 2 * PRODUCED) {
        const vkg_cqe *e[32];
        uint32_t n = vkg_cq_peek_batch(cq, e, 32);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = (uint32_t)(e[i]->user_data >> 32);
            assert_true(id < 2);
            assert_int_equal((uint32_t)e[i]->user_data, next[id]);
            next[id]++;
        }
        vkg_cq_advance(cq, n);
        total += n;
        if (!n) sched_yield();
    }
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    assert_int_equal(next[0], PRODUCED);
    assert_int_equal(next[1], PRODUCED);
    vkg_cq_stats st;
    vkg_cq_get_stats(cq, &st);
    assert_int_equal(st.reaped, 2 * PRODUCED);
    assert_int_equal(st.ready, 0);
    vkg_cq_destroy(cq);
    vkgt_device_close(dev);
}

/* Copying reapers on two threads share one producer's completions: each exactly once. */
typedef struct reaper_arg {
    vkg_cq *cq;
    unsigned char *seen;
    _Atomic uint32_t *total;
} reaper_arg;

static void *reap_copies(void *p)
{
    reaper_arg *a = p;
    vkg_cqe batch[16];
    while (atomic_load(a->total) < PRODUCED) {
        uint32_t n = vkg_cq_reap(a->cq, batch, 16);
        for (uint32_t i = 0; i < n; i++) a->seen[batch[i].user_data]++;
        atomic_fetch_add(a->total, n);
        if (!n) sched_yield();
    }
    return NULL;
}

static void test_copying_reapers_share(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_cq *cq = NULL;
    assert_int_equal(vkg_cq_create(dev, 64, &cq), VKG_SUCCESS);
    unsigned char *seen = calloc(PRODUCED, 1);
    _Atomic uint32_t total = 0;
    reaper_arg a = {cq, seen, &total};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, reap_copies, &a), 0);
    for (uint32_t i = 0; i < PRODUCED; i++)
        assert_int_equal(vkg_cq_watch(cq, (vkg_ticket){0, 0}, i), VKG_SUCCESS);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&total), PRODUCED);
    for (uint32_t i = 0; i < PRODUCED; i++) assert_int_equal(seen[i], 1);
    free(seen);
    vkg_cq_destroy(cq);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reap_then_reuse),
        cmocka_unit_test(test_ten_thousand_watches),
        cmocka_unit_test(test_earlier_watch_rearms),
        cmocka_unit_test(test_in_place_reaping),
        cmocka_unit_test(test_in_place_consumer_beside_producers),
        cmocka_unit_test(test_copying_reapers_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
