/* bench/completions: what waiting for the GPU costs the host, with 1, 100 and 10,000
 * outstanding waiters, for vkgraph's completion queue (one watcher thread, one WAIT_ANY)
 * and, in the same run, for the naive design: one thread per waiter in vkWaitSemaphores.
 *
 * Method, per waiter count N: N empty batches go to the graphics queue, the first held by a
 * host-signalled gate (so all N are outstanding), each watched once. The clock starts when
 * the gate opens and stops when the last completion is reaped (cq) or the last thread has
 * returned (naive). Figures: process CPU time and wall time per completion; the GPU side
 * (the driver retiring N empty batches) is the same for both. Then the cost of a task:
 * 100,000 trivial tasks spawned, run and finished on one worker (two fiber switches each).
 * The consumer's side alone: with N completions ready, what reaping costs per completion in
 * place (vkg_cq_peek_batch / vkg_cq_advance) and copied out (vkg_cq_reap), 64 at a time
 * (figures cq_ns_per_reap_N, cq_ns_per_reap_copy_N).
 * Last, why the executor records on a fork-join pool (util/workers.c) and not on tasks: one
 * parallel step of two threads, the caller taking part, against spawning two tasks and
 * joining them, with the host allocations each makes per step.
 *
 * VKG_BENCH_SHORT=1: tiny sizes (CTest). Numbers only; never fails on timing. */
#include <volk.h>

#include "bench.h"
#include "util/workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct env {
    vkg_device *dev;
    VkDevice device;
    const struct VolkDeviceTable *vk;
    VkSemaphore gate;
    uint64_t gate_value;
} env;

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) bench_die("bench_completions", #x, __LINE__);                                    \
    } while (0)

/* N batches behind the gate; tickets out. */
static void submit_behind_gate(env *e, uint32_t n, vkg_ticket *tickets)
{
    e->gate_value++;
    VkSemaphoreSubmitInfo w = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                               .semaphore = e->gate,
                               .value = e->gate_value,
                               .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    for (uint32_t i = 0; i < n; i++)
        CHECK(vkg_submit(e->dev,
                         &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                            .semaphore_waits = &w,
                                            .semaphore_wait_count = i == 0},
                         &tickets[i]) == VKG_SUCCESS);
}

static void open_gate(env *e)
{
    VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                .semaphore = e->gate,
                                .value = e->gate_value};
    CHECK(e->vk->vkSignalSemaphore(e->device, &si) == VK_SUCCESS);
}

typedef struct result {
    double cpu_us, wall_us; /* per completion */
    uint32_t waiters;
} result;

static result run_cq(env *e, uint32_t n)
{
    vkg_ticket *t = calloc(n, sizeof *t);
    vkg_cqe *cqe = calloc(n, sizeof *cqe);
    CHECK(t && cqe);
    vkg_cq *cq = NULL;
    CHECK(vkg_cq_create(e->dev, n, &cq) == VKG_SUCCESS);
    submit_behind_gate(e, n, t);
    for (uint32_t i = 0; i < n; i++) CHECK(vkg_cq_watch(cq, t[i], i) == VKG_SUCCESS);
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
    open_gate(e);
    uint32_t got = 0;
    while (got < n) {
        CHECK(vkg_cq_wait(cq, 1, UINT64_MAX) == VKG_SUCCESS);
        got += vkg_cq_reap(cq, cqe + got, n - got);
    }
    double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
    vkg_cq_destroy(cq);
    free(t);
    free(cqe);
    return (result){(c1 - c0) * 1e6 / n, (w1 - w0) * 1e6 / n, n};
}

/* What reaping costs the consumer, per completion, with N completions ready: in place
 * (vkg_cq_peek_batch + vkg_cq_advance, no lock, no copy) or copied out (vkg_cq_reap), 64 at
 * a time. N batches are submitted and watched, all N completions delivered by the watcher,
 * then only the reaping is timed; cycles repeat until 10,000 completions were reaped. */
static double run_reap(env *e, uint32_t n, bool in_place, bool shortrun)
{
    vkg_ticket *t = calloc(n, sizeof *t);
    vkg_cqe *cqe = calloc(64, sizeof *cqe);
    CHECK(t && cqe);
    vkg_cq *cq = NULL;
    CHECK(vkg_cq_create(e->dev, n, &cq) == VKG_SUCCESS);
    uint32_t goal = shortrun ? 200 : 10000, reaped = 0;
    double spent = 0;
    uint64_t sum = 0;
    while (reaped < goal) {
        for (uint32_t i = 0; i < n; i++)
            CHECK(vkg_submit(e->dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS}, &t[i]) ==
                  VKG_SUCCESS);
        for (uint32_t i = 0; i < n; i++) CHECK(vkg_cq_watch(cq, t[i], i) == VKG_SUCCESS);
        CHECK(vkg_cq_wait(cq, n, UINT64_MAX) == VKG_SUCCESS);
        uint32_t got = 0;
        double t0 = now(CLOCK_MONOTONIC);
        if (in_place) {
            const vkg_cqe *p[64];
            while (got < n) {
                uint32_t k = vkg_cq_peek_batch(cq, p, 64);
                for (uint32_t i = 0; i < k; i++) sum += p[i]->user_data;
                vkg_cq_advance(cq, k);
                got += k;
            }
        } else {
            while (got < n) {
                uint32_t k = vkg_cq_reap(cq, cqe, 64);
                for (uint32_t i = 0; i < k; i++) sum += cqe[i].user_data;
                got += k;
            }
        }
        spent += now(CLOCK_MONOTONIC) - t0;
        reaped += n;
    }
    CHECK(sum == (uint64_t)(reaped / n) * n * (n - 1) / 2);
    vkg_cq_destroy(cq);
    free(t);
    free(cqe);
    return spent * 1e9 / reaped;
}

typedef struct naive_arg {
    env *e;
    vkg_ticket t;
    atomic_uint *ready;
} naive_arg;

static void *naive_thread(void *p)
{
    naive_arg *a = p;
    atomic_fetch_add(a->ready, 1);
    VkSemaphore s = vkg_device_timeline(a->e->dev, a->t.queue);
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .semaphoreCount = 1,
                              .pSemaphores = &s,
                              .pValues = &a->t.value};
    CHECK(a->e->vk->vkWaitSemaphores(a->e->device, &wi, UINT64_MAX) == VK_SUCCESS);
    return NULL;
}

static result run_naive(env *e, uint32_t n)
{
    vkg_ticket *t = calloc(n, sizeof *t);
    naive_arg *args = calloc(n, sizeof *args);
    pthread_t *th = calloc(n, sizeof *th);
    CHECK(t && args && th);
    atomic_uint ready = 0;
    submit_behind_gate(e, n, t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    uint32_t made = 0;
    for (; made < n; made++) {
        args[made] = (naive_arg){e, t[made], &ready};
        if (pthread_create(&th[made], &attr, naive_thread, &args[made]) != 0) break;
    }
    while (atomic_load(&ready) < made) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    struct timespec settle = {0, 20000000}; /* let them reach vkWaitSemaphores */
    nanosleep(&settle, NULL);
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
    open_gate(e);
    for (uint32_t i = 0; i < made; i++) pthread_join(th[i], NULL);
    double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
    if (made < n) /* drain what had no thread */
        CHECK(vkg_ticket_wait(e->dev, t[n - 1], UINT64_MAX) == VKG_SUCCESS);
    pthread_attr_destroy(&attr);
    free(t);
    free(args);
    free(th);
    return (result){(c1 - c0) * 1e6 / (made ? made : 1), (w1 - w0) * 1e6 / (made ? made : 1), made};
}

static void yielder(void *arg)
{
    uint32_t n = *(const uint32_t *)arg;
    for (uint32_t i = 0; i < n; i++) vkg_task_yield();
}

static void trivial(void *arg)
{
    atomic_fetch_add((atomic_uint *)arg, 1);
}

/* ---- the two thread pools ------------------------------------------------------------- */
static long pool_allocs;
static void *pool_alloc(void *u, size_t n)
{
    (void)u;
    pool_allocs++;
    return malloc(n);
}
static void *pool_realloc(void *u, void *p, size_t n)
{
    (void)u;
    pool_allocs++;
    return realloc(p, n);
}
static void pool_free(void *u, void *p)
{
    (void)u;
    free(p);
}
static void step_work(void *user, uint32_t thread)
{
    (void)thread;
    atomic_fetch_add((atomic_uint *)user, 1);
}
static void step_task(void *arg)
{
    atomic_fetch_add((atomic_uint *)arg, 1);
}

/* One parallel step on two threads: the executor's fork-join pool (the caller is thread 0)
 * against two tasks spawned and joined from outside the runtime. Median of 5 runs. */
static void two_pools(env *e, bool shortrun)
{
    vkg_allocator counting = {pool_alloc, pool_realloc, pool_free, NULL};
    vkg__host host;
    vkg__host_init(&host, &counting, NULL);
    uint32_t steps = shortrun ? 200 : 20000;
    atomic_uint hits = 0;
    double fj[5], tk[5];
    long fj_allocs = 0, tk_allocs = 0;
    vkg_task_runtime *rt = NULL;
    vkg_device *dev = NULL; /* the runtime allocates through its device's allocator */
    CHECK(vkg_device_create(&(vkg_device_desc){.app_name = "bench_completions pools", .allocator = counting}, &dev) ==
          VKG_SUCCESS);
    CHECK(vkg_task_runtime_create(dev, &(vkg_task_runtime_desc){.workers = 2}, &rt) == VKG_SUCCESS);
    vkg__workers *w = NULL;
    CHECK(vkg__workers_create(&host, "bench", 2, &w) == VKG_SUCCESS);
    for (int rep = 0; rep < 5; rep++) {
        long a0 = pool_allocs;
        double t0 = now(CLOCK_MONOTONIC);
        for (uint32_t i = 0; i < steps; i++) vkg__workers_run(w, 2, step_work, &hits);
        double t1 = now(CLOCK_MONOTONIC);
        fj[rep] = (t1 - t0) * 1e6 / steps;
        fj_allocs = pool_allocs - a0;
        a0 = pool_allocs;
        t0 = now(CLOCK_MONOTONIC);
        for (uint32_t i = 0; i < steps; i++) {
            vkg_task *a = NULL, *b = NULL;
            CHECK(vkg_task_spawn(rt, step_task, &hits, &a) == VKG_SUCCESS);
            CHECK(vkg_task_spawn(rt, step_task, &hits, &b) == VKG_SUCCESS);
            CHECK(vkg_task_join(a) == VKG_SUCCESS && vkg_task_join(b) == VKG_SUCCESS);
        }
        t1 = now(CLOCK_MONOTONIC);
        tk[rep] = (t1 - t0) * 1e6 / steps;
        tk_allocs = pool_allocs - a0;
    }
    CHECK(atomic_load(&hits) == 5u * 4u * steps);
    vkg__workers_destroy(w);
    vkg_task_runtime_destroy(rt);
    vkg_device_destroy(dev);
    (void)e;
    double f = bench_median(fj, 5), t = bench_median(tk, 5);
    printf("one parallel step on 2 threads: fork-join pool %.2f us, %.1f host allocations; "
           "2 tasks spawned and joined %.2f us, %.1f host allocations\n",
           f, (double)fj_allocs / steps, t, (double)tk_allocs / steps);
    bench_figure("bench_completions", "pool_us_per_forkjoin_step", f, "us");
    bench_figure("bench_completions", "pool_us_per_task_step", t, "us");
    bench_figure("bench_completions", "pool_allocs_per_task_step", (double)tk_allocs / steps, "allocations");
}

int main(void)
{
    bool shortrun = bench_short();
    env e = {0};
    CHECK(vkg_device_create(&(vkg_device_desc){.app_name = "bench_completions"}, &e.dev) ==
          VKG_SUCCESS);
    vkg_device_vk dvk;
    vkg_device_get_vk(e.dev, &dvk);
    e.device = dvk.device;
    e.vk = dvk.device_table;
    VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &type};
    CHECK(e.vk->vkCreateSemaphore(e.device, &ci, NULL, &e.gate) == VK_SUCCESS);
    printf("device: %s\n", vkg_device_caps(e.dev)->device_name);
    bench_set_device(e.dev);

    const uint32_t counts[3] = {1, 100, shortrun ? 200 : 10000};
    const int reps = shortrun ? 1 : 5;
    result cq[3], naive[3];
    for (int k = 0; k < 3; k++) {
        result best_cq = {1e30, 1e30, 0}, best_nv = {1e30, 1e30, 0};
        for (int r = 0; r < reps; r++) { /* best of reps: the least disturbed run */
            result a = run_cq(&e, counts[k]);
            result b = run_naive(&e, counts[k]);
            if (a.cpu_us < best_cq.cpu_us) best_cq = a;
            if (b.cpu_us < best_nv.cpu_us) best_nv = b;
        }
        cq[k] = best_cq;
        naive[k] = best_nv;
        printf("waiters %5u  cq: %8.2f us cpu %8.2f us wall per completion   "
               "thread per waiter (%u threads): %8.2f us cpu %8.2f us wall\n",
               counts[k], cq[k].cpu_us, cq[k].wall_us, naive[k].waiters, naive[k].cpu_us,
               naive[k].wall_us);
    }
    printf("cq_cost_ratio_%u_vs_1: %.2f (cpu per completion; target <= 2)\n", counts[2],
           cq[2].cpu_us / cq[0].cpu_us);
    printf("naive_cost_ratio_%u_vs_1: %.2f\n", counts[2], naive[2].cpu_us / naive[0].cpu_us);
    char fig[64];
    for (int k = 0; k < 3; k++) {
        snprintf(fig, sizeof fig, "cq_us_per_completion_%u", counts[k]);
        bench_figure("bench_completions", fig, cq[k].cpu_us, "us");
        snprintf(fig, sizeof fig, "thread_per_waiter_us_per_completion_%u", counts[k]);
        bench_figure("bench_completions", fig, naive[k].cpu_us, "us");
    }
    snprintf(fig, sizeof fig, "cq_cost_ratio_%u_vs_1", counts[2]);
    bench_figure("bench_completions", fig, cq[2].cpu_us / cq[0].cpu_us, "x");

    /* the consumer's side alone: reaping in place against copying out, in turns */
    for (int k = 0; k < 3; k++) {
        double in_place = 1e30, copied = 1e30;
        for (int r = 0; r < reps; r++) {
            double a = run_reap(&e, counts[k], true, shortrun);
            double b = run_reap(&e, counts[k], false, shortrun);
            if (a < in_place) in_place = a;
            if (b < copied) copied = b;
        }
        printf("waiters %5u  reaping: in place %7.1f ns, copied out (vkg_cq_reap) %7.1f ns per "
               "completion\n",
               counts[k], in_place, copied);
        snprintf(fig, sizeof fig, "cq_ns_per_reap_%u", counts[k]);
        bench_figure("bench_completions", fig, in_place, "ns");
        snprintf(fig, sizeof fig, "cq_ns_per_reap_copy_%u", counts[k]);
        bench_figure("bench_completions", fig, copied, "ns");
    }

    /* tasks */
    vkg_task_runtime *rt = NULL;
    CHECK(vkg_task_runtime_create(e.dev, &(vkg_task_runtime_desc){.workers = 1}, &rt) ==
          VKG_SUCCESS);
    uint32_t ntasks = shortrun ? 1000 : 100000;
    atomic_uint ran = 0;
    double w0 = now(CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < ntasks; i++)
        CHECK(vkg_task_spawn(rt, trivial, &ran, NULL) == VKG_SUCCESS);
    vkg_task_runtime_destroy(rt);
    double w1 = now(CLOCK_MONOTONIC);
    CHECK(atomic_load(&ran) == ntasks);
    printf("task spawn+run+finish: %.3f us per task (2 fiber switches each, %u tasks, 1 "
           "worker)\n",
           (w1 - w0) * 1e6 / ntasks, ntasks);
    bench_figure("bench_completions", "task_us_spawn_run_finish", (w1 - w0) * 1e6 / ntasks, "us");

    /* the bare switch: two tasks on one worker yield to each other; each yield is the task
     * switching out to the worker and the next task switching in. Best of 5. */
    uint32_t nyield = shortrun ? 1000 : 200000;
    double best_yield = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        CHECK(vkg_task_runtime_create(e.dev, &(vkg_task_runtime_desc){.workers = 1}, &rt) ==
              VKG_SUCCESS);
        vkg_task *a = NULL, *b = NULL;
        double y0 = now(CLOCK_MONOTONIC);
        CHECK(vkg_task_spawn(rt, yielder, &nyield, &a) == VKG_SUCCESS);
        CHECK(vkg_task_spawn(rt, yielder, &nyield, &b) == VKG_SUCCESS);
        CHECK(vkg_task_join(a) == VKG_SUCCESS && vkg_task_join(b) == VKG_SUCCESS);
        double y1 = now(CLOCK_MONOTONIC);
        vkg_task_stats st;
        vkg_task_get_stats(rt, &st);
        CHECK(st.switches >= 2ull * nyield);
        vkg_task_runtime_destroy(rt);
        double per = (y1 - y0) * 1e6 / (2.0 * nyield);
        if (per < best_yield) best_yield = per;
    }
    printf("task yield (switch out + next task in): %.3f us per yield (best of 5, %u yields x 2 "
           "tasks, 1 worker; target < 1)\n",
           best_yield, nyield);
    bench_figure("bench_completions", "task_us_per_yield", best_yield, "us");
    two_pools(&e, shortrun);
    e.vk->vkDestroySemaphore(e.device, e.gate, NULL);
    vkg_device_destroy(e.dev);
    return 0;
}
