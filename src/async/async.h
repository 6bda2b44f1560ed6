/* Asynchronous completion on top of the device (src/async): completion queues and their one
 * watcher thread (cq.c), and the task runtime (task.c). The device reaches them only through
 * vkg__async_hooks (device.h); what sits above (the uploader's readback) uses these. */
#ifndef VKG_ASYNC_H_
#define VKG_ASYNC_H_

#include "../device/device.h"

/* cq.c: the watcher thread (stopped with the device; woken to notice device loss) */
typedef struct vkg__watcher vkg__watcher;
/* cq.c: vkg_cq_watch with a hook that runs on the watcher thread just before the completion
 * is delivered, with VKG_SUCCESS or VKG_ERROR_DEVICE_LOST (or at once, for a ticket already
 * complete), or with VKG_NOT_READY when the completion queue is destroyed first. It runs
 * under the watcher's lock: it must not take locks that are held while calling into the
 * watcher, nor block. On failure (out of memory) the hook never runs. */
typedef void (*vkg__cq_hook)(void *arg, vkg_result result);
vkg_result vkg__cq_watch_hook(vkg_cq *cq, vkg_ticket ticket, uint64_t user_data,
                              vkg__cq_hook hook, void *hook_arg);
/* vkg_cq_reap without telling the validation layer: for the task runtime's reaper, whose
 * tasks make that call themselves on their own threads when they resume (vkg_await). */
uint32_t vkg__cq_reap_quiet(vkg_cq *cq, vkg_cqe *out, uint32_t max);

#endif
