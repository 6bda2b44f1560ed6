/* Completion queues and the device's watcher thread.
 *
 * A vkg_cq is shaped like liburing's completion side: watches go in with user data, and
 * completions come out of a ring (vkg_cq_reap), with an eventfd that is readable while
 * completions wait, so the queue plugs into poll/epoll/libuv loops. A full ring never
 * drops a completion: it goes to an overflow list, whose room is reserved when the watch is
 * made, so delivering never allocates and never fails.
 *
 * One watcher thread per device waits for every watch of every completion queue:
 * - watches sit in one min-heap per device queue, keyed by timeline value (O(log n) each);
 * - the thread sleeps in one vkWaitSemaphores(WAIT_ANY) over each queue's timeline at its
 *   heap's smallest value, plus a host-signalled "poke" timeline semaphore;
 * - a watch below the value a queue is armed at (or on an unarmed queue), a destroyed
 *   completion queue, device loss and shutdown signal the poke, which re-arms the wait.
 * So a wake-up costs one wait plus the completions it delivers, however many watches wait.
 */
#include "async.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct vkg__watch {
    uint64_t value;
    uint64_t seq; /* ties keep arrival order */
    vkg_cq *cq;
    uint64_t user_data;
    vkg__cq_hook hook; /* runs before the completion is delivered (or dropped); may be NULL */
    void *hook_arg;
} vkg__watch;

typedef struct vkg__wheap {
    vkg__watch *items;
    uint32_t count, cap;
    uint64_t armed; /* value the thread waits for on this queue, 0: not armed */
} vkg__wheap;

struct vkg__watcher {
    vkg_device *dev;
    pthread_mutex_t lock;
    pthread_t thread;
    bool stop;
    VkSemaphore poke;
    uint64_t poke_value;
    pthread_cond_t idle; /* with the device lost, the watcher sleeps here until poked */
    VkSemaphore anchor; /* see vkg__anchor_wait */
    uint64_t anchor_value, anchor_waits;
    uint64_t seq;
    vkg__wheap heaps[VKG_QUEUE_ROLE_COUNT];
};

/* The ring is liburing's completion ring: producers (the watcher thread, and vkg_cq_watch
 * for a ticket already complete) write an entry and then publish it by moving `tail`, under
 * `lock` among themselves; the consumer reads entries up to `tail` and frees them by moving
 * `head`, with no lock (release/acquire on the two counters order the entries). Completions
 * that find the ring full wait in the overflow list, under `lock`; the consumer moves them
 * into the ring when it frees room. The eventfd and the condition variable are the
 * producers' business, under `lock`; the consumer takes `lock` only to refill from the
 * overflow list or, when it has emptied the ring and someone polls the fd, to drain it. */
struct vkg_cq {
    vkg_device *dev;
    vkg_cqe *ring;
    uint32_t entries; /* a power of two */
    /* the consumer's end: completions reaped so far; on a cache line of its own */
    _Atomic uint64_t head;
    char pad_head[56];
    /* the producers' end: completions published into the ring so far */
    _Atomic uint64_t tail;
    _Atomic uint32_t over_count; /* in the overflow list (FIFO from over_head) */
    _Atomic bool fd_used;        /* vkg_cq_fd was called: keep the eventfd's state */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    vkg_cqe *over;
    uint32_t over_head, over_cap;
    uint64_t watched, completed, overflowed; /* under lock */
    pthread_mutex_t reap_lock; /* serialises the copying reapers (vkg_cq_reap, vkg_cq_peek) */
    int efd;
};

/* ------------------------------------------------------------------------------------------
 * Min-heap by (value, seq)
 * ---------------------------------------------------------------------------------------- */

static bool vkg__wless(const vkg__watch *a, const vkg__watch *b)
{
    return a->value < b->value || (a->value == b->value && a->seq < b->seq);
}

static void vkg__wswap(vkg__watch *a, vkg__watch *b)
{
    vkg__watch t = *a;
    *a = *b;
    *b = t;
}

static void vkg__wdown(vkg__wheap *h, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->count && vkg__wless(&h->items[l], &h->items[m])) m = l;
        if (r < h->count && vkg__wless(&h->items[r], &h->items[m])) m = r;
        if (m == i) return;
        vkg__wswap(&h->items[i], &h->items[m]);
        i = m;
    }
}

static void vkg__wpush(vkg__wheap *h, vkg__watch w)
{
    uint32_t i = h->count++;
    h->items[i] = w;
    while (i > 0 && vkg__wless(&h->items[i], &h->items[(i - 1) / 2])) {
        vkg__wswap(&h->items[i], &h->items[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static vkg__watch vkg__wpop(vkg__wheap *h)
{
    vkg__watch top = h->items[0];
    h->items[0] = h->items[--h->count];
    vkg__wdown(h, 0);
    return top;
}

/* ------------------------------------------------------------------------------------------
 * Delivery (producers, under cq->lock)
 * ---------------------------------------------------------------------------------------- */

/* Completions ready: in the ring and in the overflow list. */
static uint64_t vkg__cq_ready(const vkg_cq *cq)
{
    uint64_t tail = atomic_load_explicit(&cq->tail, memory_order_acquire);
    uint64_t head = atomic_load_explicit(&cq->head, memory_order_acquire);
    return tail - head + atomic_load_explicit(&cq->over_count, memory_order_relaxed);
}

/* Moves overflowed completions into the ring while it has room, oldest first. Under lock. */
static void vkg__cq_refill(vkg_cq *cq)
{
    uint64_t tail = atomic_load_explicit(&cq->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&cq->head, memory_order_acquire);
    uint32_t over = atomic_load_explicit(&cq->over_count, memory_order_relaxed);
    if (!over) return;
    while (over && tail - head < cq->entries) {
        cq->ring[tail++ & (cq->entries - 1)] = cq->over[cq->over_head];
        cq->over_head = (cq->over_head + 1) % cq->over_cap;
        over--;
    }
    atomic_store_explicit(&cq->over_count, over, memory_order_relaxed);
    atomic_store_explicit(&cq->tail, tail, memory_order_release);
}

/* Makes the eventfd readable (a ready completion appeared) or not (none is left). Under
 * lock, and only once someone asked for the fd: its state costs a system call each way. */
static void vkg__cq_signal_fd(vkg_cq *cq, bool readable)
{
    uint64_t v = 1;
    ssize_t n = readable ? write(cq->efd, &v, sizeof v) : read(cq->efd, &v, sizeof v);
    (void)n; /* a write cannot fail short of a counter overflow, which one write per
                empty->ready transition never reaches; a read of an unreadable fd is EAGAIN */
}

/* Room for the completion was reserved by vkg_cq_watch: this never allocates. */
static void vkg__cq_deliver(vkg_cq *cq, vkg_cqe e)
{
    pthread_mutex_lock(&cq->lock);
    vkg__cq_refill(cq);
    bool was_empty = vkg__cq_ready(cq) == 0;
    uint64_t tail = atomic_load_explicit(&cq->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&cq->head, memory_order_acquire);
    uint32_t over = atomic_load_explicit(&cq->over_count, memory_order_relaxed);
    if (over == 0 && tail - head < cq->entries) {
        cq->ring[tail & (cq->entries - 1)] = e;
        atomic_store_explicit(&cq->tail, tail + 1, memory_order_release);
    } else {
        cq->over[(cq->over_head + over) % cq->over_cap] = e;
        atomic_store_explicit(&cq->over_count, over + 1, memory_order_relaxed);
        cq->overflowed++;
    }
    cq->completed++;
    if (was_empty && atomic_load(&cq->fd_used)) vkg__cq_signal_fd(cq, true);
    pthread_cond_broadcast(&cq->cond);
    pthread_mutex_unlock(&cq->lock);
}

/* Wakes the watcher (under its lock): a new watch, a lost device, or stop. Once the device is
 * lost, waits on its semaphores return at once, so the watcher sleeps on `idle` instead. */
static void vkg__poke(vkg__watcher *w)
{
    pthread_cond_signal(&w->idle);
    VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                .semaphore = w->poke,
                                .value = ++w->poke_value};
    VkResult vr = w->dev->vk.vkSignalSemaphore(w->dev->device, &si);
    /* (vkg_device_debug_lose still needs the signal to end the watcher's wait; a really lost
     * device refuses it, which says nothing new) */
    if (vr != VK_SUCCESS && !atomic_load(&w->dev->lost))
        VKG__VK_FAIL(w->dev, vr, "vkSignalSemaphore", "the watcher's poke");
}

/* The watcher never calls into the validation layer in a way the layer records as a host
 * wait, because layer 1.3.239 (Debian 12) can stall for 10 s and then report
 * UNASSIGNED-VkSemaphore-state-timeout ("most likely a validation bug") when it does:
 * - for a successful vkGetSemaphoreCounterValue, or a vkWaitSemaphores over one semaphore,
 *   the layer blocks the calling thread until its own model of the queue has retired the
 *   value, and retiring a submission that waited on a host-signalled semaphore needs the
 *   layer's record of that vkSignalSemaphore;
 * - when another thread signals such a semaphore (the poke, or an application's own gate)
 *   during that window, the two records stall each other.
 * In test_cq under ASan on SwiftShader this happened on about 1 run in 5. A WAIT_ANY over two
 * or more semaphores is not followed by that blocking record, so every wait here names at
 * least two: the queue timelines and the poke, and `anchor`, a semaphore nobody signals
 * except vkg__anchor_wait itself, where a second one is needed. Whether a queue reached a
 * value is asked with a zero-timeout WAIT_ANY over the timeline and the anchor. */
static uint64_t vkg__anchor_wait(vkg__watcher *w)
{
    /* The layer keeps every host wait on the anchor until the anchor reaches its value; move
     * it on every 1024 waits so that list stays short. Only this thread signals it. */
    if (++w->anchor_waits % 1024 == 0) {
        VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = w->anchor,
                                    .value = ++w->anchor_value};
        VkResult vr = w->dev->vk.vkSignalSemaphore(w->dev->device, &si);
        if (vr != VK_SUCCESS) VKG__VK_FAIL(w->dev, vr, "vkSignalSemaphore", "the watcher's anchor");
    }
    return w->anchor_value + 1;
}

/* Whether queue q's timeline has reached `value`, without a recorded host wait. */
static bool vkg__reached(vkg__watcher *w, uint32_t q, uint64_t value)
{
    vkg_device *dev = w->dev;
    VkSemaphore sems[2] = {dev->dq[q].timeline, w->anchor};
    uint64_t values[2] = {value, vkg__anchor_wait(w)};
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .flags = VK_SEMAPHORE_WAIT_ANY_BIT,
                              .semaphoreCount = 2,
                              .pSemaphores = sems,
                              .pValues = values};
    VkResult vr = dev->vk.vkWaitSemaphores(dev->device, &wi, 0);
    if (vr == VK_SUCCESS) return true;
    if (vr != VK_TIMEOUT) VKG__VK_FAIL(dev, vr, "vkWaitSemaphores", "a queue timeline");
    return false;
}

/* Delivers every watch whose value the queue's timeline reached (all of them, with
 * VKG_ERROR_DEVICE_LOST, once the device is lost): one question per distinct value
 * delivered, plus one per queue. Under the watcher's lock. */
static void vkg__watch_collect(vkg__watcher *w)
{
    vkg_device *dev = w->dev;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        vkg__wheap *h = &w->heaps[q];
        while (h->count) {
            uint64_t v = h->items[0].value;
            bool lost = atomic_load(&dev->lost);
            if (!lost && !vkg__reached(w, q, v)) {
                if (!atomic_load(&dev->lost)) break;
                lost = true;
            }
            while (h->count && (lost || h->items[0].value == v)) {
                vkg__watch x = vkg__wpop(h);
                if (x.hook) x.hook(x.hook_arg, lost ? VKG_ERROR_DEVICE_LOST : VKG_SUCCESS);
                vkg__cq_deliver(x.cq, (vkg_cqe){.user_data = x.user_data,
                                                .ticket = {q, x.value},
                                                .result = lost ? VKG_ERROR_DEVICE_LOST : VKG_SUCCESS});
            }
        }
    }
}

static void *vkg__watcher_main(void *arg)
{
    vkg__watcher *w = arg;
    vkg_device *dev = w->dev;
    VkSemaphore sems[VKG_QUEUE_ROLE_COUNT + 2];
    uint64_t values[VKG_QUEUE_ROLE_COUNT + 2];
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        vkg__watch_collect(w);
        if (atomic_load(&dev->lost)) {
            /* every watch was just delivered with VKG_ERROR_DEVICE_LOST; later ones are when
             * they poke. No more waits: they would fail at once, again and again. */
            pthread_cond_wait(&w->idle, &w->lock);
            continue;
        }
        uint32_t n = 0;
        for (uint32_t q = 0; q < dev->dq_count; q++) {
            vkg__wheap *h = &w->heaps[q];
            h->armed = h->count ? h->items[0].value : 0;
            if (!h->count) continue;
            sems[n] = dev->dq[q].timeline;
            values[n++] = h->armed;
        }
        sems[n] = w->poke;
        values[n++] = w->poke_value + 1;
        if (n == 1) { /* see vkg__anchor_wait */
            values[n] = vkg__anchor_wait(w);
            sems[n++] = w->anchor;
        }
        pthread_mutex_unlock(&w->lock);
        VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .flags = VK_SEMAPHORE_WAIT_ANY_BIT,
                                  .semaphoreCount = n,
                                  .pSemaphores = sems,
                                  .pValues = values};
        VkResult vr = dev->vk.vkWaitSemaphores(dev->device, &wi, UINT64_MAX);
        pthread_mutex_lock(&w->lock);
        if (vr != VK_SUCCESS && vr != VK_TIMEOUT) {
            VKG__VK_FAIL(dev, vr, "vkWaitSemaphores", "the watcher");
            if (!atomic_load(&dev->lost)) {
                /* not a lost device: avoid spinning on a persistent error */
                pthread_mutex_unlock(&w->lock);
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
                pthread_mutex_lock(&w->lock);
            }
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void vkg__watcher_destroy(vkg_device *dev);
static void vkg__watcher_wake(vkg_device *dev);

/* Starts the device's watcher on first use. Under no lock; racing callers are serialised by
 * the device lock. */
static vkg_result vkg__watcher_get(vkg_device *dev, vkg__watcher **out)
{
    pthread_mutex_lock(&dev->lock);
    vkg__watcher *w = dev->watcher;
    vkg_result r = VKG_SUCCESS;
    if (!w) {
        w = vkg__calloc(&dev->host, 1, sizeof *w);
        if (!w) {
            pthread_mutex_unlock(&dev->lock);
            return VKG__OOM(&dev->host, "the watcher");
        }
        w->dev = dev;
        VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                          .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
        VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                    .pNext = &type};
        VkResult vr = dev->vk.vkCreateSemaphore(dev->device, &ci, dev->vkac, &w->poke);
        if (vr == VK_SUCCESS) vr = dev->vk.vkCreateSemaphore(dev->device, &ci, dev->vkac, &w->anchor);
        if (vr != VK_SUCCESS) {
            r = VKG__VK_FAIL(dev, vr, "vkCreateSemaphore", "the watcher's semaphores");
        } else {
            vkg__set_name(dev, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)w->poke, "vkgraph watcher poke");
            vkg__set_name(dev, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)w->anchor,
                          "vkgraph watcher anchor");
            pthread_mutex_init(&w->lock, NULL);
            pthread_cond_init(&w->idle, NULL);
            if (pthread_create(&w->thread, NULL, vkg__watcher_main, w) != 0) {
                pthread_cond_destroy(&w->idle);
                pthread_mutex_destroy(&w->lock);
                VKG__ERROR(&dev->host, "the watcher thread could not be started");
                r = VKG_ERROR_OUT_OF_HOST_MEMORY;
            }
        }
        if (r != VKG_SUCCESS) {
            /* vkDestroySemaphore ignores VK_NULL_HANDLE */
            dev->vk.vkDestroySemaphore(dev->device, w->poke, dev->vkac);
            dev->vk.vkDestroySemaphore(dev->device, w->anchor, dev->vkac);
        }
        if (r != VKG_SUCCESS) {
            vkg__free(&dev->host, w);
            w = NULL;
        }
        dev->watcher = w;
        if (w) dev->async = (vkg__async_hooks){.wake = vkg__watcher_wake, .destroy = vkg__watcher_destroy};
    }
    pthread_mutex_unlock(&dev->lock);
    *out = w;
    return r;
}

static void vkg__watcher_destroy(vkg_device *dev)
{
    vkg__watcher *w = dev->watcher;
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    vkg__poke(w);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) vkg__free(&dev->host, w->heaps[q].items);
    dev->vk.vkDestroySemaphore(dev->device, w->poke, dev->vkac);
    dev->vk.vkDestroySemaphore(dev->device, w->anchor, dev->vkac);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->lock);
    vkg__free(&dev->host, w);
    dev->watcher = NULL;
}

static void vkg__watcher_wake(vkg_device *dev)
{
    vkg__watcher *w = dev->watcher;
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    vkg__poke(w);
    pthread_mutex_unlock(&w->lock);
}

/* ------------------------------------------------------------------------------------------
 * Completion queues
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_cq_create(vkg_device *device, uint32_t entries, vkg_cq **out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    VKG_CHECK(&device->host, entries <= (1u << 24), VKG_ERROR_INVALID_ARGUMENT,
              "vkg_cq_create: %u entries; at most 16777216", entries);
    uint32_t n = 1;
    while (n < (entries ? entries : 256)) n *= 2;
    vkg__watcher *w = NULL;
    vkg_result r = vkg__watcher_get(device, &w);
    if (r != VKG_SUCCESS) return r;
    vkg_cq *cq = vkg__calloc(&device->host, 1, sizeof *cq);
    if (!cq) return VKG__OOM(&device->host, "a completion queue");
    cq->dev = device;
    cq->entries = n;
    cq->ring = vkg__calloc(&device->host, n, sizeof *cq->ring);
    cq->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!cq->ring || cq->efd < 0) {
        int efd = cq->efd, err = errno;
        if (efd >= 0) close(efd);
        vkg__free(&device->host, cq->ring);
        vkg__free(&device->host, cq);
        if (efd >= 0) return VKG__OOM(&device->host, "a completion queue's ring");
        VKG__ERROR(&device->host, "vkg_cq_create: eventfd failed: %s", strerror(err));
        return VKG_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_mutex_init(&cq->lock, NULL);
    pthread_mutex_init(&cq->reap_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cq->cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = cq;
    return VKG_SUCCESS;
}

void vkg_cq_destroy(vkg_cq *cq)
{
    if (!cq) return;
    vkg_device *dev = cq->dev;
    vkg__watcher *w = dev->watcher;
    /* take its watches out of the heaps: they never complete */
    pthread_mutex_lock(&w->lock);
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        vkg__wheap *h = &w->heaps[q];
        uint32_t k = 0;
        for (uint32_t i = 0; i < h->count; i++) {
            if (h->items[i].cq != cq) {
                h->items[k++] = h->items[i];
            } else if (h->items[i].hook) {
                /* its owner still learns the watch is gone */
                h->items[i].hook(h->items[i].hook_arg, VKG_NOT_READY);
            }
        }
        h->count = k;
        for (uint32_t i = k / 2; i-- > 0;) vkg__wdown(h, i);
    }
    vkg__poke(w);
    pthread_mutex_unlock(&w->lock);
    close(cq->efd);
    pthread_cond_destroy(&cq->cond);
    pthread_mutex_destroy(&cq->lock);
    pthread_mutex_destroy(&cq->reap_lock);
    vkg__free(&dev->host, cq->ring);
    vkg__free(&dev->host, cq->over);
    vkg__free(&dev->host, cq);
}

vkg_result vkg_cq_watch(vkg_cq *cq, vkg_ticket ticket, uint64_t user_data)
{
    return vkg__cq_watch_hook(cq, ticket, user_data, NULL, NULL);
}

vkg_result vkg__cq_watch_hook(vkg_cq *cq, vkg_ticket ticket, uint64_t user_data,
                              vkg__cq_hook hook, void *hook_arg)
{
    if (!cq) return VKG_ERROR_INVALID_ARGUMENT;
    vkg_device *dev = cq->dev;
    if (!vkg__ticket_valid(dev, ticket, "vkg_cq_watch")) return VKG_ERROR_INVALID_ARGUMENT;
    /* reserve the completion's room: in the ring, or in the overflow list */
    pthread_mutex_lock(&cq->lock);
    uint64_t need = cq->watched - atomic_load(&cq->head) + 1; /* outstanding, and this one */
    if (need > cq->entries && need - cq->entries > cq->over_cap) {
        uint32_t cap = cq->over_cap ? 2 * cq->over_cap : cq->entries;
        while (cap < need - cq->entries) cap *= 2;
        vkg_cqe *o = vkg__calloc(&dev->host, cap, sizeof *o);
        if (!o) {
            pthread_mutex_unlock(&cq->lock);
            return VKG__OOM(&dev->host, "a completion queue's overflow list");
        }
        for (uint32_t i = 0; i < atomic_load(&cq->over_count); i++)
            o[i] = cq->over[(cq->over_head + i) % cq->over_cap];
        vkg__free(&dev->host, cq->over);
        cq->over = o;
        cq->over_cap = cap;
        cq->over_head = 0;
    }
    cq->watched++;
    pthread_mutex_unlock(&cq->lock);

    vkg__watcher *w = dev->watcher;
    pthread_mutex_lock(&w->lock);
    if (ticket.value == 0 || atomic_load(&dev->lost)) {
        pthread_mutex_unlock(&w->lock);
        if (hook) hook(hook_arg, ticket.value ? VKG_ERROR_DEVICE_LOST : VKG_SUCCESS);
        vkg__cq_deliver(cq, (vkg_cqe){.user_data = user_data,
                                      .ticket = ticket,
                                      .result = ticket.value ? VKG_ERROR_DEVICE_LOST
                                                             : VKG_SUCCESS});
        return VKG_SUCCESS;
    }
    vkg__wheap *h = &w->heaps[ticket.queue];
    if (!vkg__grow(&dev->host, (void **)&h->items, &h->cap, h->count + 1, sizeof *h->items)) {
        pthread_mutex_unlock(&w->lock);
        pthread_mutex_lock(&cq->lock);
        cq->watched--;
        pthread_mutex_unlock(&cq->lock);
        return VKG__OOM(&dev->host, "the watcher's heap");
    }
    vkg__wpush(h, (vkg__watch){ticket.value, w->seq++, cq, user_data, hook, hook_arg});
    /* the thread waits for a later value on this queue, or none: re-arm it */
    if (!h->armed || ticket.value < h->armed) {
        h->armed = ticket.value;
        vkg__poke(w);
    }
    pthread_mutex_unlock(&w->lock);
    return VKG_SUCCESS;
}

/* Reaping makes a ticket complete for every purpose. The watcher learns of completions with
 * one wait-any over every queue's timeline, which the validation layer does not record as
 * completing anyone's work: after reaping, a per-frame descriptor pool reset or a command
 * buffer reused would be reported in use (VUID-vkResetDescriptorPool-descriptorPool-00313).
 * One zero-timeout wait per queue on the newest value reaped tells the layers; the values are
 * reached, so it returns at once (one call per queue per batch, not per completion). Where
 * no layer can be listening (dev->layers_track_waits) the call is skipped: it is most of
 * what reaping one completion costs. */
static void vkg__cq_tell_layers(vkg_cq *cq, uint64_t head, uint32_t n)
{
    vkg_device *dev = cq->dev;
    if (!dev->layers_track_waits) return; /* no one keeps such a record: nothing to tell */
    uint64_t newest[VKG_QUEUE_ROLE_COUNT] = {0};
    for (uint32_t i = 0; i < n; i++) {
        const vkg_cqe *e = &cq->ring[(head + i) & (cq->entries - 1)];
        if (e->result == VKG_SUCCESS && e->ticket.queue < VKG_QUEUE_ROLE_COUNT &&
            e->ticket.value > newest[e->ticket.queue])
            newest[e->ticket.queue] = e->ticket.value;
    }
    for (uint32_t q = 0; q < dev->dq_count && q < VKG_QUEUE_ROLE_COUNT; q++) {
        if (!newest[q]) continue;
        VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1,
                                  .pSemaphores = &dev->dq[q].timeline,
                                  .pValues = &newest[q]};
        (void)dev->vk.vkWaitSemaphores(dev->device, &wi, 0);
    }
}

/* ------------------------------------------------------------------------------------------
 * Reaping (the consumer)
 * ---------------------------------------------------------------------------------------- */

uint32_t vkg_cq_peek_batch(vkg_cq *cq, const vkg_cqe **out, uint32_t max)
{
    if (!cq || !out) return 0;
    uint64_t head = atomic_load_explicit(&cq->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&cq->tail, memory_order_acquire);
    uint32_t n = tail - head < max ? (uint32_t)(tail - head) : max;
    for (uint32_t i = 0; i < n; i++) out[i] = &cq->ring[(head + i) & (cq->entries - 1)];
    return n;
}

const vkg_cqe *vkg_cq_next(vkg_cq *cq)
{
    const vkg_cqe *e = NULL;
    return vkg_cq_peek_batch(cq, &e, 1) ? e : NULL;
}

/* Frees `n` reaped entries; with `tell`, tells the validation layers first. Then, under the
 * producers' lock only when needed: moves overflowed completions in, and drains the eventfd
 * when nothing is left. */
static void vkg__cq_advance(vkg_cq *cq, uint32_t n, bool tell)
{
    uint64_t head = atomic_load_explicit(&cq->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&cq->tail, memory_order_acquire);
    if (n > tail - head) n = (uint32_t)(tail - head); /* (never past what was published) */
    if (!n) return;
    if (tell) vkg__cq_tell_layers(cq, head, n);
    atomic_store_explicit(&cq->head, head + n, memory_order_release);
    bool emptied = head + n == tail;
    if (atomic_load_explicit(&cq->over_count, memory_order_relaxed) ||
        (emptied && atomic_load_explicit(&cq->fd_used, memory_order_relaxed))) {
        pthread_mutex_lock(&cq->lock);
        vkg__cq_refill(cq);
        if (atomic_load(&cq->fd_used) && vkg__cq_ready(cq) == 0) vkg__cq_signal_fd(cq, false);
        pthread_mutex_unlock(&cq->lock);
    }
}

void vkg_cq_advance(vkg_cq *cq, uint32_t n)
{
    if (cq) vkg__cq_advance(cq, n, true);
}

void vkg_cq_seen(vkg_cq *cq, const vkg_cqe *cqe)
{
    if (cq && cqe) vkg__cq_advance(cq, 1, true);
}

/* The copying reapers: any number of threads, one at a time. */
static uint32_t vkg__cq_reap(vkg_cq *cq, vkg_cqe *out, uint32_t max, bool tell)
{
    if (!cq || !out) return 0;
    pthread_mutex_lock(&cq->reap_lock);
    uint32_t n = 0;
    while (n < max) {
        const vkg_cqe *e[64];
        uint32_t want = max - n < 64 ? max - n : 64;
        uint32_t got = vkg_cq_peek_batch(cq, e, want);
        if (!got) break;
        for (uint32_t i = 0; i < got; i++) out[n + i] = *e[i];
        vkg__cq_advance(cq, got, tell);
        n += got;
    }
    pthread_mutex_unlock(&cq->reap_lock);
    return n;
}

uint32_t vkg_cq_reap(vkg_cq *cq, vkg_cqe *out, uint32_t max)
{
    return vkg__cq_reap(cq, out, max, true);
}

uint32_t vkg__cq_reap_quiet(vkg_cq *cq, vkg_cqe *out, uint32_t max)
{
    return vkg__cq_reap(cq, out, max, false);
}

bool vkg_cq_peek(vkg_cq *cq, vkg_cqe *out)
{
    if (!cq) return false;
    pthread_mutex_lock(&cq->reap_lock);
    const vkg_cqe *e = vkg_cq_next(cq);
    if (e && out) *out = *e;
    pthread_mutex_unlock(&cq->reap_lock);
    return e != NULL;
}

vkg_result vkg_cq_wait(vkg_cq *cq, uint32_t min, uint64_t timeout_ns)
{
    if (!cq) return VKG_ERROR_INVALID_ARGUMENT;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ns != UINT64_MAX) {
        uint64_t ns = (uint64_t)deadline.tv_nsec + timeout_ns % 1000000000u;
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
    }
    pthread_mutex_lock(&cq->lock);
    vkg_result r = VKG_SUCCESS;
    while (vkg__cq_ready(cq) < min) {
        uint64_t outstanding = cq->watched - atomic_load(&cq->head);
        if (outstanding < min) {
            VKG__ERROR(&cq->dev->host,
                       "vkg_cq_wait: waiting for %u completions, but only %llu watches are "
                       "outstanding: it would never return",
                       min, (unsigned long long)outstanding);
            r = VKG_ERROR_INVALID_ARGUMENT;
            break;
        }
        int e = timeout_ns == UINT64_MAX ? pthread_cond_wait(&cq->cond, &cq->lock)
                                         : pthread_cond_timedwait(&cq->cond, &cq->lock, &deadline);
        if (e == ETIMEDOUT) {
            r = vkg__cq_ready(cq) >= min ? VKG_SUCCESS : VKG_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&cq->lock);
    return r;
}

int vkg_cq_fd(const vkg_cq *ccq)
{
    if (!ccq) return -1;
    vkg_cq *cq = (vkg_cq *)ccq; /* (always made by vkg_cq_create: not a const object) */
    if (!atomic_load(&cq->fd_used)) {
        /* from now on the producers and the consumer keep its state: start it right */
        pthread_mutex_lock(&cq->lock);
        if (!atomic_load(&cq->fd_used)) {
            atomic_store(&cq->fd_used, true);
            if (vkg__cq_ready(cq)) vkg__cq_signal_fd(cq, true);
        }
        pthread_mutex_unlock(&cq->lock);
    }
    return cq->efd;
}

void vkg_cq_get_stats(vkg_cq *cq, vkg_cq_stats *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!cq) return;
    pthread_mutex_lock(&cq->lock);
    uint64_t reaped = atomic_load(&cq->head);
    *out = (vkg_cq_stats){.watched = cq->watched,
                          .completed = cq->completed,
                          .reaped = reaped,
                          .overflowed = cq->overflowed,
                          .ready = vkg__cq_ready(cq),
                          .entries = cq->entries};
    out->pending = cq->watched - reaped - out->ready;
    pthread_mutex_unlock(&cq->lock);
}
