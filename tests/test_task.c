/* Tasks that await the GPU (label timeline), under validation: 1,000 tasks on 2 workers each
 * record and submit with their own command pool and await their ticket; while the GPU is
 * held back by a gate every one of them reaches its await, which shows that awaiting
 * suspends a task instead of blocking a worker; joins from tasks and from outside; a
 * simulated device loss resumes waiting tasks with VKG_ERROR_DEVICE_LOST. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define TASKS 1000

typedef struct shared {
    vkg_device *dev;
    VkDevice device;
    const struct VolkDeviceTable *vk;
    uint32_t family;
    VkSemaphore gate;
    VkBuffer out;
    atomic_uint waiting, done, lost;
    atomic_uint blocking, release;
} shared;

/* Sleeps until the counter reaches `n` or 10 s pass; returns its value. */
static unsigned wait_count(atomic_uint *counter, unsigned n)
{
    for (int spin = 0; spin < 100000 && atomic_load(counter) < n; spin++) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(counter);
}

/* Occupies a worker until released (see test_thousand_tasks). */
static void blocker(void *arg)
{
    shared *s = arg;
    atomic_fetch_add(&s->blocking, 1);
    while (!atomic_load(&s->release)) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

typedef struct job {
    shared *s;
    uint32_t index;
} job;

static void task_fill(void *arg)
{
    job *j = arg;
    shared *s = j->s;
    assert_true(vkg_task_current());
    VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                  .queueFamilyIndex = s->family};
    VkCommandPool pool;
    assert_int_equal(s->vk->vkCreateCommandPool(s->device, &ci, NULL, &pool), VK_SUCCESS);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cb;
    assert_int_equal(s->vk->vkAllocateCommandBuffers(s->device, &ai, &cb), VK_SUCCESS);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    assert_int_equal(s->vk->vkBeginCommandBuffer(cb, &bi), VK_SUCCESS);
    s->vk->vkCmdFillBuffer(cb, s->out, 4 * j->index, 4, 7 * j->index + 1);
    assert_int_equal(s->vk->vkEndCommandBuffer(cb), VK_SUCCESS);
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = cb};
    VkSemaphoreSubmitInfo w = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                               .semaphore = s->gate,
                               .value = 1,
                               .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    vkg_ticket t;
    assert_int_equal(vkg_submit(s->dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                                           .command_buffers = &cbi,
                                                           .command_buffer_count = 1,
                                                           .semaphore_waits = &w,
                                                           .semaphore_wait_count = 1},
                                &t),
                     VKG_SUCCESS);
    atomic_fetch_add(&s->waiting, 1);
    assert_int_equal(vkg_await(s->dev, t), VKG_SUCCESS);
    s->vk->vkDestroyCommandPool(s->device, pool, NULL);
    atomic_fetch_add(&s->done, 1);
}

static void shared_open(shared *s, vkg_device *dev, vkgt_gate *g, vkg_buffer *out)
{
    memset(s, 0, sizeof *s);
    s->dev = dev;
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    s->device = dvk.device;
    s->vk = dvk.device_table;
    s->family = dvk.queues[VKG_QUEUE_GRAPHICS].family;
    vkgt_gate_open(g, dev);
    s->gate = g->sem;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "results",
                                                               .size = 4 * TASKS,
                                                               .memory_usage =
                                                                   VKG_MEMORY_READBACK},
                                       out),
                     VKG_SUCCESS);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, *out, &bi), VKG_SUCCESS);
    s->out = bi.buffer;
}

static void test_thousand_tasks(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    shared s;
    vkgt_gate g;
    vkg_buffer out;
    shared_open(&s, dev, &g, &out);
    vkg_task_runtime *rt = NULL;
    assert_int_equal(vkg_task_runtime_create(dev, &(vkg_task_runtime_desc){.workers = 2}, &rt),
                     VKG_SUCCESS);
    static job jobs[TASKS];
    static vkg_task *tasks[TASKS];
    for (uint32_t i = 0; i < TASKS; i++) {
        jobs[i] = (job){&s, i};
        assert_int_equal(vkg_task_spawn(rt, task_fill, &jobs[i], &tasks[i]), VKG_SUCCESS);
    }
    /* every task reaches its await while the gate is shut: two workers carry 1,000 waits */
    vkg_ticket none = {0, 0}; /* outside a task vkg_await is a plain wait */
    assert_int_equal(vkg_await(dev, none), VKG_SUCCESS);
    assert_int_equal(wait_count(&s.waiting, TASKS), TASKS);
    assert_int_equal(atomic_load(&s.done), 0);
    vkg_task_stats st;
    vkg_task_get_stats(rt, &st);
    assert_int_equal(st.live, TASKS);
    /* Open the gate while both workers are held by blockers, so no task resumes before the
     * validation layer has recorded the host signal: layer 1.3.239 can stall when a thread
     * waits for work behind a host-signalled semaphore while another thread signals it
     * (src/async/cq.c), and vkg_await ends with a wait the layer records. */
    vkg_task *blockers[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(vkg_task_spawn(rt, blocker, &s, &blockers[i]), VKG_SUCCESS);
    assert_int_equal(wait_count(&s.blocking, 2), 2);
    vkgt_gate_signal(&g, 1);
    atomic_store(&s.release, 1);
    for (int i = 0; i < 2; i++) assert_int_equal(vkg_task_join(blockers[i]), VKG_SUCCESS);
    for (uint32_t i = 0; i < TASKS; i++) assert_int_equal(vkg_task_join(tasks[i]), VKG_SUCCESS);
    assert_int_equal(atomic_load(&s.done), TASKS);
    vkg_task_get_stats(rt, &st);
    assert_int_equal(st.finished, TASKS + 2);
    assert_int_equal(st.live, 0);
    assert_true(st.switches >= 2 * TASKS); /* each task ran, suspended and was resumed */
    vkg_task_runtime_destroy(rt);
    vkg_buffer_info bi;
    assert_int_equal(vkg_buffer_get_info(dev, out, &bi), VKG_SUCCESS);
    assert_int_equal(vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE), VKG_SUCCESS);
    const uint32_t *v = bi.mapped;
    for (uint32_t i = 0; i < TASKS; i++) assert_int_equal(v[i], 7 * i + 1);
    vkg_buffer_destroy(dev, out);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

typedef struct tree {
    vkg_task_runtime *rt;
    atomic_uint leaves;
} tree;

static void leaf(void *arg)
{
    tree *t = arg;
    atomic_fetch_add(&t->leaves, 1);
}

static void parent(void *arg)
{
    tree *t = arg;
    vkg_task *kids[10];
    for (int i = 0; i < 10; i++) assert_int_equal(vkg_task_spawn(t->rt, leaf, t, &kids[i]), VKG_SUCCESS);
    for (int i = 0; i < 10; i++) assert_int_equal(vkg_task_join(kids[i]), VKG_SUCCESS);
    assert_true(atomic_load(&t->leaves) >= 10);
}

/* Tasks join tasks; detached tasks end on their own; joining twice is refused. */
static void test_join(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_task_runtime *rt = NULL;
    assert_int_equal(vkg_task_runtime_create(dev, NULL, &rt), VKG_SUCCESS);
    tree t = {.rt = rt};
    vkg_task *p[4];
    for (int i = 0; i < 4; i++) assert_int_equal(vkg_task_spawn(rt, parent, &t, &p[i]), VKG_SUCCESS);
    for (int i = 0; i < 20; i++) assert_int_equal(vkg_task_spawn(rt, leaf, &t, NULL), VKG_SUCCESS);
    for (int i = 0; i < 4; i++) assert_int_equal(vkg_task_join(p[i]), VKG_SUCCESS);
    vkg_task_runtime_destroy(rt); /* runs the detached leaves to their end */
    assert_int_equal(atomic_load(&t.leaves), 60);
    assert_false(vkg_task_current());
    vkgt_device_close(dev);
}

typedef struct interleave {
    char log[16];
    atomic_uint n;
} interleave;

typedef struct stepper {
    interleave *il;
    char name;
} stepper;

typedef struct pair {
    vkg_task_runtime *rt;
    stepper *a, *b;
} pair;

static void yield_steps(void *arg)
{
    stepper *s = arg;
    for (int i = 0; i < 3; i++) {
        unsigned k = atomic_fetch_add(&s->il->n, 1);
        s->il->log[k] = vkg_task_current() ? s->name : '?';
        vkg_task_yield();
    }
}

/* Spawns both steppers before either runs (the one worker is busy with this task), then
 * joins them. */
static void spawn_pair(void *arg)
{
    pair *p = arg;
    vkg_task *a = NULL, *b = NULL;
    assert_int_equal(vkg_task_spawn(p->rt, yield_steps, p->a, &a), VKG_SUCCESS);
    assert_int_equal(vkg_task_spawn(p->rt, yield_steps, p->b, &b), VKG_SUCCESS);
    assert_int_equal(vkg_task_join(a), VKG_SUCCESS);
    assert_int_equal(vkg_task_join(b), VKG_SUCCESS);
}

/* On one worker, two tasks that yield take turns: each yield lets the other run. Outside a
 * task, vkg_task_yield returns. */
static void test_yield_takes_turns(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkg_task_runtime *rt = NULL;
    assert_int_equal(vkg_task_runtime_create(dev, &(vkg_task_runtime_desc){.workers = 1}, &rt),
                     VKG_SUCCESS);
    interleave il = {0};
    stepper sa = {&il, 'a'}, sb = {&il, 'b'};
    pair p = {rt, &sa, &sb};
    vkg_task *starter = NULL;
    assert_int_equal(vkg_task_spawn(rt, spawn_pair, &p, &starter), VKG_SUCCESS);
    assert_int_equal(vkg_task_join(starter), VKG_SUCCESS);
    assert_int_equal(atomic_load(&il.n), 6);
    assert_string_equal(il.log, "ababab");
    vkg_task_stats st;
    vkg_task_get_stats(rt, &st);
    assert_true(st.switches >= 11); /* 3 starts, 6 resumes after yields, 2 after joins */
    vkg_task_yield(); /* not a task: a plain sched_yield */
    vkg_task_runtime_destroy(rt);
    vkgt_device_close(dev);
}

static void task_lost(void *arg)
{
    job *j = arg;
    shared *s = j->s;
    vkg_ticket t;
    VkSemaphoreSubmitInfo w = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                               .semaphore = s->gate,
                               .value = 1,
                               .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    assert_int_equal(vkg_submit(s->dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                                           .semaphore_waits = &w,
                                                           .semaphore_wait_count = 1},
                                &t),
                     VKG_SUCCESS);
    atomic_fetch_add(&s->waiting, 1);
    if (vkg_await(s->dev, t) == VKG_ERROR_DEVICE_LOST) atomic_fetch_add(&s->lost, 1);
}

/* A lost device resumes every waiting task with VKG_ERROR_DEVICE_LOST. */
static void test_tasks_see_device_loss(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    shared s;
    vkgt_gate g;
    vkg_buffer out;
    shared_open(&s, dev, &g, &out);
    vkg_task_runtime *rt = NULL;
    assert_int_equal(vkg_task_runtime_create(dev, NULL, &rt), VKG_SUCCESS);
    static job jobs[50];
    for (uint32_t i = 0; i < 50; i++) {
        jobs[i] = (job){&s, i};
        assert_int_equal(vkg_task_spawn(rt, task_lost, &jobs[i], NULL), VKG_SUCCESS);
    }
    assert_int_equal(wait_count(&s.waiting, 50), 50);
    vkg_device_debug_lose(dev);
    vkg_task_runtime_destroy(rt); /* returns once every task ended */
    assert_int_equal(atomic_load(&s.lost), 50);
    /* the device is really alive: let its work finish before it is destroyed */
    vkgt_gate_signal(&g, 1);
    assert_int_equal(s.vk->vkDeviceWaitIdle(s.device), VK_SUCCESS);
    vkg_buffer_destroy(dev, out);
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thousand_tasks),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_yield_takes_turns),
        cmocka_unit_test(test_tasks_see_device_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
