/* A fork-join pool for the executor's command recording: `threads - 1` worker threads and
 * the caller, which takes part as thread 0. A run hands the same function to the first
 * `active` threads and returns when every one has finished; nothing is allocated per run.
 *
 * Hand-written because no Debian C library offers a small fork-join pool (GLib's
 * GThreadPool queues tasks with an allocation each and cannot make the caller take part).
 *
 * Why not the task runtime (async/task.c), the other pool of threads: recording must stay
 * allocation-free per frame and must run on the caller (thread 0 records with its own
 * command pools), and the runtime is the user's, optional, and below nothing in exec/.
 * Measured by bench/completions ("one parallel step on 2 threads", 2-core sandbox,
 * 2026-12-05): a fork-join step costs 10.6 us and 0 host allocations, two tasks spawned and
 * joined 27.5 us and 4 host allocations (a task record and a stack each). */
#ifndef VKG_WORKERS_H_
#define VKG_WORKERS_H_

#include "util.h"

typedef struct vkg__workers vkg__workers;
typedef void (*vkg__work_fn)(void *user, uint32_t thread);

/* NULL out on failure (logged). threads >= 1; 1 makes no thread at all. */
vkg_result vkg__workers_create(const vkg__host *host, const char *name, uint32_t threads,
                               vkg__workers **out);
void vkg__workers_destroy(vkg__workers *w);
uint32_t vkg__workers_count(const vkg__workers *w);
/* Calls fn(user, t) for t in [0, active) (active clamped to the thread count), t = 0 on the
 * calling thread, and returns once all calls have returned. One run at a time. */
void vkg__workers_run(vkg__workers *w, uint32_t active, vkg__work_fn fn, void *user);

#endif
