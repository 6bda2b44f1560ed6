/* Fork-join pool (workers.h). Workers sleep on a condition variable between runs; a run
 * bumps a generation number, wakes them, and the caller does its own share before waiting
 * for the count of unfinished workers to reach zero. */
#include "workers.h"

#include <pthread.h>
#include <stdio.h>

struct vkg__workers {
    vkg__host host;
    uint32_t count; /* threads, the caller included */
    pthread_t *threads;
    uint32_t started;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t generation; /* under lock */
    uint32_t active;     /* under lock: threads taking part in this generation */
    uint32_t pending;    /* under lock: workers of this generation still running */
    bool quit;
    vkg__work_fn fn;
    void *user;
};

typedef struct vkg__worker_arg {
    vkg__workers *w;
    uint32_t index;
} vkg__worker_arg;

static void *vkg__worker_main(void *arg)
{
    vkg__workers *w = ((vkg__worker_arg *)arg)->w;
    uint32_t index = ((vkg__worker_arg *)arg)->index;
    uint64_t seen = 0;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->quit && w->generation == seen) pthread_cond_wait(&w->wake, &w->lock);
        if (w->quit) break;
        seen = w->generation;
        if (index >= w->active) continue;
        vkg__work_fn fn = w->fn;
        void *user = w->user;
        pthread_mutex_unlock(&w->lock);
        fn(user, index);
        pthread_mutex_lock(&w->lock);
        if (--w->pending == 0) pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

vkg_result vkg__workers_create(const vkg__host *host, const char *name, uint32_t threads,
                               vkg__workers **out)
{
    *out = NULL;
    if (threads == 0) threads = 1;
    vkg__workers *w = vkg__calloc(host, 1, sizeof *w);
    if (!w) return VKG__OOM(host, "a worker pool");
    w->host = *host;
    w->count = threads;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    /* thread arguments live after the pthread_t array, in the same block */
    if (threads > 1) {
        w->threads = vkg__calloc(host, threads - 1, sizeof(pthread_t) + sizeof(vkg__worker_arg));
        if (!w->threads) {
            vkg__workers_destroy(w);
            return VKG__OOM(host, "a worker pool");
        }
        vkg__worker_arg *args = (vkg__worker_arg *)(w->threads + (threads - 1));
        for (uint32_t i = 1; i < threads; i++) {
            args[i - 1] = (vkg__worker_arg){w, i};
            int e = pthread_create(&w->threads[i - 1], NULL, vkg__worker_main, &args[i - 1]);
            if (e != 0) {
                VKG__ERROR(host, "%s: cannot start recording thread %u of %u (pthread_create: %s)",
                           name, i, threads - 1, strerror(e));
                vkg__workers_destroy(w);
                return VKG_ERROR_OUT_OF_HOST_MEMORY;
            }
            w->started++;
        }
    }
    *out = w;
    return VKG_SUCCESS;
}

void vkg__workers_destroy(vkg__workers *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (uint32_t i = 0; i < w->started; i++) pthread_join(w->threads[i], NULL);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->lock);
    vkg__free(&w->host, w->threads);
    vkg__free(&w->host, w);
}

uint32_t vkg__workers_count(const vkg__workers *w)
{
    return w ? w->count : 1;
}

void vkg__workers_run(vkg__workers *w, uint32_t active, vkg__work_fn fn, void *user)
{
    if (active > w->count) active = w->count;
    if (active <= 1) {
        if (active == 1) fn(user, 0);
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->fn = fn;
    w->user = user;
    w->active = active;
    w->pending = active - 1;
    w->generation++;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    fn(user, 0);
    pthread_mutex_lock(&w->lock);
    while (w->pending) pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
}
