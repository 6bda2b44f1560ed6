/* Tasks that await the GPU: fibers on a small pool of worker threads.
 *
 * A task runs on its own stack (a ucontext fiber). vkg_await(ticket) inside a task switches
 * back to the worker, which then registers the wait: a completion-queue watch for a ticket,
 * or a place on the awaited task's joiner list. Registering after the switch means a
 * completion can never resume a task that is still running. The runtime's reaper thread
 * sleeps in poll() on the completion queue's eventfd and puts every completed task back on
 * the ready queue, so however many tasks wait, the GPU side costs one watcher wait-any and
 * one reap per completion.
 *
 * Why ucontext: it is in glibc on every Linux we target, the sanitizers know it (ASan and
 * TSan are told about each switch below), and the cost of a switch, one rt_sigprocmask
 * system call, is measured by bench/completions (BENCHMARKS.md) and well under the 1 us
 * budget. A hand-written assembly switch would save that system call on each platform we
 * wrote it for, and nothing on the others.
 *
 * The executor does not record on these workers: it has a fork-join pool of its own
 * (util/workers.h says why, with the figures).
 */
#include "async.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VKG__ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define VKG__TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define VKG__ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define VKG__TSAN 1
#endif
#ifdef VKG__ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef VKG__TSAN
#include <sanitizer/tsan_interface.h>
#endif

enum { VKG__TASK_READY, VKG__TASK_RUNNING, VKG__TASK_WAITING, VKG__TASK_DONE };
enum { VKG__WAIT_NONE, VKG__WAIT_TICKET, VKG__WAIT_TASK, VKG__WAIT_YIELD };

struct vkg_task {
    vkg_task_runtime *rt;
    void (*fn)(void *arg);
    void *arg;
    ucontext_t ctx;
    void *stack;
    int state;
    bool exited;   /* its function returned (written on its own stack, read by its worker) */
    bool detached; /* nobody will join it: freed when it finishes */
    bool joined;   /* vkg_task_join was called on it */
    vkg_task *next;    /* ready queue */
    vkg_task *joiners; /* tasks waiting for this one (linked through next) */
    /* the wait the worker registers once the task has switched out */
    int wait_kind;
    vkg_ticket wait_ticket;
    vkg_task *wait_task;
    vkg_result wait_result;
#ifdef VKG__TSAN
    void *tsan_fiber;
#endif
};

struct vkg_task_runtime {
    vkg_device *dev;
    vkg__host host;
    vkg_cq *cq;
    pthread_mutex_t lock; /* ready queue, task states, counts */
    pthread_cond_t ready_cond, done_cond;
    vkg_task *ready_head, *ready_tail;
    uint32_t live; /* spawned and not finished */
    bool stop;
    uint32_t worker_count;
    pthread_t *workers;
    pthread_t reaper;
    int stop_fd;
    size_t stack_size;
    vkg_task_stats stats;
};

/* The task a worker thread is running, NULL on other threads. */
static _Thread_local vkg_task *vkg__current;
/* The worker's own context, to switch back to. */
static _Thread_local ucontext_t vkg__worker_ctx;
__attribute__((noinline)) static ucontext_t *vkg__worker_ctx_at(void)
{
    return &vkg__worker_ctx;
}
#ifdef VKG__TSAN
static _Thread_local void *vkg__worker_fiber;
__attribute__((noinline)) static void **vkg__worker_fiber_at(void)
{
    return &vkg__worker_fiber;
}
#endif
#ifdef VKG__ASAN
static _Thread_local const void *vkg__worker_stack;
static _Thread_local size_t vkg__worker_stack_size;
/* A task may resume on another worker thread: after a switch, thread-locals are reached
 * through a call the compiler cannot fold into the address it computed before. */
__attribute__((noinline)) static const void **vkg__worker_stack_at(void)
{
    return &vkg__worker_stack;
}
__attribute__((noinline)) static size_t *vkg__worker_stack_size_at(void)
{
    return &vkg__worker_stack_size;
}
#endif

static void vkg__ready_push(vkg_task_runtime *rt, vkg_task *t)
{
    t->state = VKG__TASK_READY;
    t->next = NULL;
    if (rt->ready_tail) rt->ready_tail->next = t;
    else rt->ready_head = t;
    rt->ready_tail = t;
    pthread_cond_signal(&rt->ready_cond);
}

static void vkg__task_free(vkg_task_runtime *rt, vkg_task *t)
{
#ifdef VKG__TSAN
    if (t->tsan_fiber) __tsan_destroy_fiber(t->tsan_fiber);
#endif
    vkg__free(&rt->host, t->stack);
    vkg__free(&rt->host, t);
}

/* ------------------------------------------------------------------------------------------
 * Switching
 * ---------------------------------------------------------------------------------------- */

static void vkg__switch_to_task(vkg_task *t)
{
#ifdef VKG__ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, t->stack, t->rt->stack_size);
#endif
#ifdef VKG__TSAN
    vkg__worker_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(t->tsan_fiber, 0);
#endif
    swapcontext(&vkg__worker_ctx, &t->ctx);
#ifdef VKG__ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* From inside a task: back to the worker (the task is suspended, or finished). */
static void vkg__switch_to_worker(vkg_task *t, bool finished)
{
#ifdef VKG__ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(finished ? NULL : &fake, vkg__worker_stack,
                                   vkg__worker_stack_size);
#endif
#ifdef VKG__TSAN
    __tsan_switch_to_fiber(*vkg__worker_fiber_at(), 0);
#endif
    if (finished) {
        setcontext(vkg__worker_ctx_at());
        return; /* not reached */
    }
    swapcontext(&t->ctx, vkg__worker_ctx_at());
#ifdef VKG__ASAN
    __sanitizer_finish_switch_fiber(fake, vkg__worker_stack_at(), vkg__worker_stack_size_at());
#endif
}

static void vkg__task_entry(unsigned lo, unsigned hi)
{
    vkg_task *t = (vkg_task *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#ifdef VKG__ASAN
    __sanitizer_finish_switch_fiber(NULL, vkg__worker_stack_at(), vkg__worker_stack_size_at());
#endif
    t->fn(t->arg);
    t->exited = true;
    vkg__switch_to_worker(t, true);
}

/* ------------------------------------------------------------------------------------------
 * Workers and the reaper
 * ---------------------------------------------------------------------------------------- */

/* After a task switched out: register what it waits for, or finish it. Locked. */
static void vkg__after_switch(vkg_task_runtime *rt, vkg_task *t)
{
    if (t->exited) {
        t->state = VKG__TASK_DONE;
        rt->live--;
        rt->stats.finished++;
        while (t->joiners) {
            vkg_task *j = t->joiners;
            t->joiners = j->next;
            j->wait_result = VKG_SUCCESS;
            vkg__ready_push(rt, j);
        }
        pthread_cond_broadcast(&rt->done_cond);
        if (t->detached) vkg__task_free(rt, t);
        return;
    }
    t->state = VKG__TASK_WAITING;
    if (t->wait_kind == VKG__WAIT_YIELD) {
        t->wait_result = VKG_SUCCESS;
        vkg__ready_push(rt, t); /* behind every task already ready */
        return;
    }
    if (t->wait_kind == VKG__WAIT_TASK) {
        vkg_task *target = t->wait_task;
        if (target->state == VKG__TASK_DONE) {
            t->wait_result = VKG_SUCCESS;
            vkg__ready_push(rt, t);
        } else {
            t->next = target->joiners;
            target->joiners = t;
        }
        return;
    }
    /* a ticket: the completion queue resumes it (at once if complete or the device is
     * lost). Room for the completion is reserved here, so only this can fail. */
    vkg_result r = vkg_cq_watch(rt->cq, t->wait_ticket, (uint64_t)(uintptr_t)t);
    if (r != VKG_SUCCESS) {
        t->wait_result = r;
        vkg__ready_push(rt, t);
    }
}

static void *vkg__worker_main(void *arg)
{
    vkg_task_runtime *rt = arg;
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        while (!rt->ready_head && !(rt->stop && rt->live == 0))
            pthread_cond_wait(&rt->ready_cond, &rt->lock);
        if (!rt->ready_head) break; /* stopping, nothing left */
        vkg_task *t = rt->ready_head;
        rt->ready_head = t->next;
        if (!rt->ready_head) rt->ready_tail = NULL;
        t->state = VKG__TASK_RUNNING;
        rt->stats.switches++;
        pthread_mutex_unlock(&rt->lock);
        vkg__current = t;
        vkg__switch_to_task(t);
        vkg__current = NULL;
        pthread_mutex_lock(&rt->lock);
        vkg__after_switch(rt, t);
    }
    pthread_cond_broadcast(&rt->ready_cond); /* the other workers stop too */
    pthread_mutex_unlock(&rt->lock);
    return NULL;
}

static void *vkg__reaper_main(void *arg)
{
    vkg_task_runtime *rt = arg;
    struct pollfd fds[2] = {{.fd = vkg_cq_fd(rt->cq), .events = POLLIN},
                            {.fd = rt->stop_fd, .events = POLLIN}};
    vkg_cqe batch[64];
    for (;;) {
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        uint32_t got;
        while ((got = vkg__cq_reap_quiet(rt->cq, batch, 64)) > 0) {
            pthread_mutex_lock(&rt->lock);
            for (uint32_t i = 0; i < got; i++) {
                vkg_task *t = (vkg_task *)(uintptr_t)batch[i].user_data;
                t->wait_result = batch[i].result;
                vkg__ready_push(rt, t);
            }
            pthread_mutex_unlock(&rt->lock);
        }
        if (fds[1].revents & POLLIN) break;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Public
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_task_runtime_create(vkg_device *device, const vkg_task_runtime_desc *desc,
                                   vkg_task_runtime **out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    vkg_task_runtime_desc none = {0};
    if (!desc) desc = &none;
    VKG_CHECK(&device->host, desc->workers <= 256, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_task_runtime_create: %u workers; at most 256", desc->workers);
    vkg_task_runtime *rt = vkg__calloc(&device->host, 1, sizeof *rt);
    if (!rt) return VKG__OOM(&device->host, "a task runtime");
    rt->dev = device;
    rt->host = device->host;
    rt->stack_size = desc->stack_size ? desc->stack_size : 64 * 1024;
    if (rt->stack_size < 16 * 1024) rt->stack_size = 16 * 1024;
    rt->worker_count = desc->workers ? desc->workers : 2;
    rt->stop_fd = -1;
    vkg_result r = vkg_cq_create(device, 1024, &rt->cq);
    if (r != VKG_SUCCESS) {
        vkg__free(&rt->host, rt);
        return r;
    }
    rt->workers = vkg__calloc(&rt->host, rt->worker_count, sizeof *rt->workers);
    rt->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (!rt->workers || rt->stop_fd < 0) {
        if (rt->stop_fd >= 0) close(rt->stop_fd);
        vkg__free(&rt->host, rt->workers);
        vkg_cq_destroy(rt->cq);
        vkg__free(&rt->host, rt);
        return VKG__OOM(&device->host, "a task runtime's workers");
    }
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->ready_cond, NULL);
    pthread_cond_init(&rt->done_cond, NULL);
    uint32_t started = 0;
    bool reaper = pthread_create(&rt->reaper, NULL, vkg__reaper_main, rt) == 0;
    if (reaper)
        while (started < rt->worker_count &&
               pthread_create(&rt->workers[started], NULL, vkg__worker_main, rt) == 0)
            started++;
    if (!reaper || started < rt->worker_count) {
        rt->worker_count = started;
        vkg_task_runtime_destroy(rt);
        VKG__ERROR(&device->host, "vkg_task_runtime_create: a thread could not be started");
        return VKG_ERROR_OUT_OF_HOST_MEMORY;
    }
    *out = rt;
    return VKG_SUCCESS;
}

void vkg_task_runtime_destroy(vkg_task_runtime *rt)
{
    if (!rt) return;
    pthread_mutex_lock(&rt->lock);
    rt->stop = true;
    pthread_cond_broadcast(&rt->ready_cond);
    pthread_mutex_unlock(&rt->lock);
    for (uint32_t i = 0; i < rt->worker_count; i++) pthread_join(rt->workers[i], NULL);
    uint64_t one = 1;
    if (write(rt->stop_fd, &one, sizeof one) == sizeof one) pthread_join(rt->reaper, NULL);
    close(rt->stop_fd);
    vkg_cq_destroy(rt->cq);
    pthread_cond_destroy(&rt->ready_cond);
    pthread_cond_destroy(&rt->done_cond);
    pthread_mutex_destroy(&rt->lock);
    vkg__free(&rt->host, rt->workers);
    vkg__free(&rt->host, rt);
}

vkg_result vkg_task_spawn(vkg_task_runtime *rt, void (*fn)(void *arg), void *arg,
                          vkg_task **out)
{
    if (out) *out = NULL;
    if (!rt) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&rt->host, fn != NULL, VKG_ERROR_INVALID_ARGUMENT, "vkg_task_spawn: fn is NULL");
    vkg_task *t = vkg__calloc(&rt->host, 1, sizeof *t);
    void *stack = t ? vkg__alloc(&rt->host, rt->stack_size) : NULL;
    if (!stack) {
        vkg__free(&rt->host, t);
        return VKG__OOM(&rt->host, "a task and its stack");
    }
    t->rt = rt;
    t->fn = fn;
    t->arg = arg;
    t->stack = stack;
    t->detached = out == NULL;
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = stack;
    t->ctx.uc_stack.ss_size = rt->stack_size;
    t->ctx.uc_link = NULL;
    uintptr_t p = (uintptr_t)t;
    makecontext(&t->ctx, (void (*)(void))vkg__task_entry, 2, (unsigned)(p & 0xffffffffu),
                (unsigned)(p >> 32));
#ifdef VKG__TSAN
    t->tsan_fiber = __tsan_create_fiber(0);
#endif
    pthread_mutex_lock(&rt->lock);
    if (rt->stop) {
        pthread_mutex_unlock(&rt->lock);
        vkg__task_free(rt, t);
        VKG__ERROR(&rt->host, "vkg_task_spawn: the runtime is being destroyed");
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    rt->live++;
    rt->stats.spawned++;
    vkg__ready_push(rt, t);
    pthread_mutex_unlock(&rt->lock);
    if (out) *out = t;
    return VKG_SUCCESS;
}

/* Suspends the current task until the worker's registration resumes it. */
static vkg_result vkg__suspend(vkg_task *t)
{
    vkg__switch_to_worker(t, false);
    return t->wait_result;
}

/* vkg__current from inside a task: through a call, as above. */
__attribute__((noinline)) static vkg_task *vkg__current_task(void)
{
    return vkg__current;
}

vkg_result vkg_await(vkg_device *device, vkg_ticket ticket)
{
    vkg_task *t = vkg__current_task();
    if (!t) return vkg_ticket_wait(device, ticket, UINT64_MAX);
    VKG_CHECK(&t->rt->host, device == t->rt->dev, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_await: the ticket's device is not the task runtime's");
    if (ticket.value == 0) return VKG_SUCCESS;
    t->wait_kind = VKG__WAIT_TICKET;
    t->wait_ticket = ticket;
    vkg_result r = vkg__suspend(t);
    if (r != VKG_SUCCESS) return r;
    /* The watcher learns of completions in a way the validation layer does not record
     * (cq.c); one zero-timeout wait on the ticket tells it, so that the caller may reuse or
     * destroy what the ticket's work used (a command pool, say) without the layer calling
     * it in use. The ticket is complete, so this returns at once. */
    return vkg_ticket_wait(device, ticket, 0);
}

vkg_result vkg_task_join(vkg_task *task)
{
    if (!task) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_task_runtime *rt = task->rt;
    vkg_task *self = vkg__current_task();
    VKG_CHECK(&rt->host, task != self, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_task_join: a task cannot join itself");
    pthread_mutex_lock(&rt->lock);
    bool twice = task->joined || task->detached;
    task->joined = true;
    pthread_mutex_unlock(&rt->lock);
    VKG_CHECK(&rt->host, !twice, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_task_join: the task was already joined (each spawned task is joined once)");
    if (self) {
        self->wait_kind = VKG__WAIT_TASK;
        self->wait_task = task;
        vkg__suspend(self);
    } else {
        pthread_mutex_lock(&rt->lock);
        while (task->state != VKG__TASK_DONE) pthread_cond_wait(&rt->done_cond, &rt->lock);
        pthread_mutex_unlock(&rt->lock);
    }
    pthread_mutex_lock(&rt->lock);
    vkg__task_free(rt, task);
    pthread_mutex_unlock(&rt->lock);
    return VKG_SUCCESS;
}

void vkg_task_yield(void)
{
    vkg_task *t = vkg__current_task();
    if (!t) {
        sched_yield();
        return;
    }
    t->wait_kind = VKG__WAIT_YIELD;
    vkg__suspend(t);
}

bool vkg_task_current(void)
{
    return vkg__current_task() != NULL;
}

void vkg_task_get_stats(vkg_task_runtime *rt, vkg_task_stats *out)
{
    *out = (vkg_task_stats){0};
    if (!rt) return;
    pthread_mutex_lock(&rt->lock);
    *out = rt->stats;
    out->live = rt->live;
    pthread_mutex_unlock(&rt->lock);
}
