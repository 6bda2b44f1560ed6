/* Lifetimes: the deletion queue, scopes and device frames.
 *
 * A destroyed buffer, image or view leaves its handle pool at once (the handle goes stale)
 * and its Vulkan objects become a vkg__doom: what to destroy, and per device queue the
 * timeline value that must complete first (the last use the executor tracked, or the user
 * declared with vkg_*_mark_used). Entries that are already complete are released at once;
 * the rest wait in one array that grows by doubling and is compacted in place, so a
 * program in steady state allocates nothing here. vkg_device_poll (called by the frame,
 * executor and destroy paths) releases what completed.
 *
 * A scope lists the objects created in it (kind + handle id); each record knows its index
 * in the list, so destroying an object early removes it in O(1) (swap with the last).
 * Closing a scope dooms whatever is still listed: views first, then images, then buffers.
 * The frame scope is a scope the device closes at vkg_frame_end, with the frame's end
 * values as an extra wait, and reuses every frame.
 *
 * Everything here runs under the device lock except user callbacks, which run after it is
 * released (a callback may call vkgraph).
 */
#include "device.h"

#include <string.h>

struct vkg_scope {
    vkg_device *dev;
    struct vkg_scope *prev, *next; /* the device's open scopes */
    struct {
        uint8_t kind;
        uint32_t id;
    } *items;
    uint32_t count, cap;
    bool is_frame;
    char name[64];
};


/* ------------------------------------------------------------------------------------------
 * Completion
 * ---------------------------------------------------------------------------------------- */

/* Whether every value in after[] is known complete, asking the driver (once per queue per
 * call) only where the cached value is behind. A lost device completes everything: its
 * objects may be destroyed, and callbacks learn of the loss. Locked. */
static bool vkg__after_done(vkg_device *dev, const uint64_t *after, bool *asked)
{
    if (atomic_load(&dev->lost)) return true;
    for (uint32_t q = 0; q < dev->dq_count; q++) {
        if (after[q] <= dev->completed[q]) continue;
        if (asked[q]) return false;
        asked[q] = true;
        uint64_t v = 0;
        VkResult vr = dev->vk.vkGetSemaphoreCounterValue(dev->device, dev->dq[q].timeline, &v);
        if (vr != VK_SUCCESS) {
            VKG__VK_FAIL(dev, vr, "vkGetSemaphoreCounterValue", "a queue timeline");
            return atomic_load(&dev->lost);
        }
        if (v > dev->completed[q]) dev->completed[q] = v;
        if (after[q] > v) return false;
    }
    return true;
}

static void vkg__doom_release(vkg_device *dev, const vkg__doom *d)
{
    if (d->view) dev->vk.vkDestroyImageView(dev->device, d->view, dev->vkac);
    if (d->image && d->owns_image) dev->vk.vkDestroyImage(dev->device, d->image, dev->vkac);
    if (d->buffer) dev->vk.vkDestroyBuffer(dev->device, d->buffer, dev->vkac);
    if (d->owns_allocation) vkg__memory_free(&dev->memory, d->allocation);
}

void vkg__doom_push(vkg_device *dev, const vkg__doom *doom)
{
    bool asked[VKG_QUEUE_ROLE_COUNT] = {0};
    if (doom->kind != VKG__KIND_CALLBACK && vkg__after_done(dev, doom->after, asked)) {
        vkg__doom_release(dev, doom);
        return;
    }
    if (!vkg__grow(&dev->host, (void **)&dev->doomed, &dev->doomed_cap, dev->doomed_count + 1,
                   sizeof *dev->doomed)) {
        /* Nothing may be freed early and nothing may leak: wait for the GPU instead. */
        VKG__WARN(&dev->host, "out of host memory for the deletion queue: waiting for the "
                              "GPU to finish with the object instead");
        for (uint32_t q = 0; q < dev->dq_count; q++) {
            if (!doom->after[q] || atomic_load(&dev->lost)) continue;
            VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                      .semaphoreCount = 1,
                                      .pSemaphores = &dev->dq[q].timeline,
                                      .pValues = &doom->after[q]};
            VkResult vr = dev->vk.vkWaitSemaphores(dev->device, &wi, UINT64_MAX);
            if (vr != VK_SUCCESS) VKG__VK_FAIL(dev, vr, "vkWaitSemaphores", "a deletion");
        }
        vkg__doom_release(dev, doom);
        return;
    }
    dev->doomed[dev->doomed_count++] = *doom;
    dev->deferred++;
}

void vkg__fold_used(vkg_device *dev, const vkg__track *tracks, uint32_t count, uint64_t *after)
{
    vkg__tracks_settle(dev); /* (tickets an executor left unwritten) */
    for (uint32_t i = 0; i < count; i++)
        for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++)
            if (tracks[i].used[q] > after[q]) after[q] = tracks[i].used[q];
}

/* Releases what completed; callbacks are handed back (at most `max`) to run unlocked.
 * Locked. Returns how many entries left the queue. */
static uint32_t vkg__drain_locked(vkg_device *dev, vkg__doom *callbacks, uint32_t max,
                                  uint32_t *callback_count)
{
    bool asked[VKG_QUEUE_ROLE_COUNT] = {0};
    uint32_t keep = 0, released = 0, nc = 0;
    for (uint32_t i = 0; i < dev->doomed_count; i++) {
        vkg__doom *d = &dev->doomed[i];
        bool ready = vkg__after_done(dev, d->after, asked);
        if (ready && d->kind == VKG__KIND_CALLBACK && nc == max) ready = false;
        if (!ready) {
            if (keep != i) dev->doomed[keep] = *d;
            keep++;
            continue;
        }
        if (d->kind == VKG__KIND_CALLBACK)
            callbacks[nc++] = *d;
        else
            vkg__doom_release(dev, d);
        released++;
    }
    dev->doomed_count = keep;
    dev->released += released;
    *callback_count = nc;
    return released;
}

uint32_t vkg_device_poll(vkg_device *device)
{
    if (!device) return 0;
    uint32_t total = 0;
    for (;;) {
        vkg__doom cbs[32];
        uint32_t nc = 0;
        VKG__LOCK(device);
        if (!device->doomed_count) {
            VKG__UNLOCK(device);
            return total;
        }
        uint32_t n = vkg__drain_locked(device, cbs, 32, &nc);
        bool lost = atomic_load(&device->lost);
        VKG__UNLOCK(device);
        for (uint32_t i = 0; i < nc; i++)
            cbs[i].callback(cbs[i].user, lost ? VKG_ERROR_DEVICE_LOST : VKG_SUCCESS);
        total += n;
        if (nc < 32) return total;
    }
}

vkg_result vkg_defer(vkg_device *device, const vkg_defer_desc *desc)
{
    if (!device) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&device->host, desc && desc->callback, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_defer: desc and desc->callback must not be NULL");
    VKG_CHECK(&device->host, desc->after_count == 0 || desc->after, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_defer: after_count is %u but after is NULL", desc->after_count);
    vkg__doom d = {.kind = VKG__KIND_CALLBACK, .callback = desc->callback, .user = desc->user};
    for (uint32_t i = 0; i < desc->after_count; i++) {
        vkg_ticket t = desc->after[i];
        if (!vkg__ticket_valid(device, t, "vkg_defer")) return VKG_ERROR_INVALID_ARGUMENT;
        if (t.value == 0) continue;
        if (t.value > d.after[t.queue]) d.after[t.queue] = t.value;
    }
    VKG__LOCK(device);
    bool asked[VKG_QUEUE_ROLE_COUNT] = {0};
    bool now = vkg__after_done(device, d.after, asked);
    bool lost = atomic_load(&device->lost);
    bool queued = false;
    if (!now) {
        queued = vkg__grow(&device->host, (void **)&device->doomed, &device->doomed_cap,
                           device->doomed_count + 1, sizeof *device->doomed);
        if (queued) {
            device->doomed[device->doomed_count++] = d;
            device->deferred++;
        }
    }
    VKG__UNLOCK(device);
    if (now) {
        d.callback(d.user, lost ? VKG_ERROR_DEVICE_LOST : VKG_SUCCESS);
        return VKG_SUCCESS;
    }
    if (!queued) return VKG__OOM(&device->host, "a deferred callback");
    return VKG_SUCCESS;
}

void vkg_device_get_lifetime_stats(vkg_device *device, vkg_lifetime_stats *out)
{
    *out = (vkg_lifetime_stats){0};
    if (!device) return;
    VKG__LOCK(device);
    out->pending = device->doomed_count;
    out->scopes = device->scope_count;
    out->deferred = device->deferred;
    out->released = device->released;
    VKG__UNLOCK(device);
    out->frame = device->frame;
}

/* ------------------------------------------------------------------------------------------
 * Scopes
 * ---------------------------------------------------------------------------------------- */

static vkg__scoped *vkg__scoped_of(vkg_device *dev, uint8_t kind, uint32_t id)
{
    switch (kind) {
    case VKG__KIND_BUFFER: {
        vkg__buffer_rec *b = vkg__pool_get(&dev->buffers, id);
        return b ? &b->scoped : NULL;
    }
    case VKG__KIND_IMAGE: {
        vkg__image_rec *im = vkg__pool_get(&dev->images, id);
        return im ? &im->scoped : NULL;
    }
    case VKG__KIND_VIEW: {
        vkg__view_rec *v = vkg__pool_get(&dev->views, id);
        return v ? &v->scoped : NULL;
    }
    }
    return NULL;
}

vkg_result vkg__scope_add(vkg_device *dev, struct vkg_scope *scope, uint8_t kind, uint32_t id,
                          const char *name, vkg__scoped *where)
{
    *where = (vkg__scoped){0};
    if (!scope) return VKG_SUCCESS;
    VKG_CHECK(&dev->host, scope->dev == dev, VKG_ERROR_INVALID_ARGUMENT,
              "\"%s\": its scope \"%s\" belongs to another device", name, scope->name);
    VKG_CHECK(&dev->host, !scope->is_frame || dev->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "\"%s\": the frame scope is used outside vkg_frame_begin / vkg_frame_end", name);
    if (!vkg__grow(&dev->host, (void **)&scope->items, &scope->cap, scope->count + 1,
                   sizeof *scope->items))
        return VKG__OOM(&dev->host, "a scope's object list");
    scope->items[scope->count].kind = kind;
    scope->items[scope->count].id = id;
    *where = (vkg__scoped){scope, scope->count++};
    return VKG_SUCCESS;
}

void vkg__scope_remove(vkg_device *dev, vkg__scoped *where)
{
    vkg_scope *s = where->scope;
    if (!s) return;
    uint32_t i = where->index, last = --s->count;
    if (i != last) {
        s->items[i] = s->items[last];
        vkg__scoped *moved = vkg__scoped_of(dev, s->items[i].kind, s->items[i].id);
        if (moved) moved->index = i;
    }
    *where = (vkg__scoped){0};
}

static vkg_result vkg__scope_new(vkg_device *dev, const char *name, bool is_frame,
                                 vkg_scope **out)
{
    vkg_scope *s = vkg__calloc(&dev->host, 1, sizeof *s);
    if (!s) return VKG__OOM(&dev->host, "a scope");
    s->dev = dev;
    s->is_frame = is_frame;
    snprintf(s->name, sizeof s->name, "%s", name && name[0] ? name : "(unnamed scope)");
    *out = s;
    return VKG_SUCCESS;
}

vkg_result vkg_scope_create(vkg_device *device, const char *name, vkg_scope **out)
{
    VKG_CHECK(&device->host, out != NULL, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_scope_create: out must not be NULL");
    *out = NULL;
    vkg_scope *s;
    vkg_result r = vkg__scope_new(device, name, false, &s);
    if (r != VKG_SUCCESS) return r;
    VKG__LOCK(device);
    s->next = device->scopes;
    if (device->scopes) device->scopes->prev = s;
    device->scopes = s;
    device->scope_count++;
    VKG__UNLOCK(device);
    *out = s;
    return VKG_SUCCESS;
}

/* Dooms everything still in the scope, views first; locked. Images refused (live views
 * elsewhere) leave the scope. */
static void vkg__scope_empty(vkg_device *dev, vkg_scope *s, const uint64_t *extra)
{
    static const uint8_t order[3] = {VKG__KIND_VIEW, VKG__KIND_IMAGE, VKG__KIND_BUFFER};
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t i = 0;
        while (i < s->count) {
            if (s->items[i].kind != order[k]) {
                i++;
                continue;
            }
            uint32_t id = s->items[i].id;
            vkg__scoped *w = vkg__scoped_of(dev, order[k], id);
            if (!w) { /* cannot happen: destroying an object takes it out of its scope */
                s->items[i] = s->items[--s->count];
                continue;
            }
            bool done = dev->doom[order[k]](dev, id, extra);
            if (!done) vkg__scope_remove(dev, w); /* refused: it lives on, outside any scope */
            /* a destroyed object removed itself: position i now holds another */
        }
    }
    s->count = 0;
}

void vkg_scope_close(vkg_scope *scope)
{
    if (!scope) return;
    vkg_device *dev = scope->dev;
    VKG__LOCK(dev);
    vkg__scope_empty(dev, scope, NULL);
    if (scope->prev) scope->prev->next = scope->next;
    else dev->scopes = scope->next;
    if (scope->next) scope->next->prev = scope->prev;
    dev->scope_count--;
    VKG__UNLOCK(dev);
    vkg__free(&dev->host, scope->items);
    vkg__free(&dev->host, scope);
    vkg_device_poll(dev);
}

/* ------------------------------------------------------------------------------------------
 * Device frames
 * ---------------------------------------------------------------------------------------- */

vkg_result vkg_frame_begin(vkg_device *device)
{
    if (!device) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&device->host, !device->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_frame_begin: frame %llu is still open: call vkg_frame_end first",
              (unsigned long long)device->frame);
    if (atomic_load(&device->lost)) return VKG_ERROR_DEVICE_LOST;
    if (!device->frame_scope) {
        vkg_result r = vkg__scope_new(device, "frame", true, &device->frame_scope);
        if (r != VKG_SUCCESS) return r;
    }
    uint32_t f = device->frames_in_flight;
    if (device->frame >= f) {
        const uint64_t *end = device->frame_end[device->frame % f];
        for (uint32_t q = 0; q < device->dq_count; q++) {
            if (!end[q]) continue;
            vkg_result r = vkg_ticket_wait(device, (vkg_ticket){q, end[q]}, UINT64_MAX);
            if (r != VKG_SUCCESS) return r;
        }
    }
    snprintf(device->frame_scope->name, sizeof device->frame_scope->name, "frame %llu",
             (unsigned long long)device->frame);
    device->in_frame = true;
    vkg_device_poll(device);
    return VKG_SUCCESS;
}

vkg_result vkg_frame_end(vkg_device *device)
{
    if (!device) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&device->host, device->in_frame, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_frame_end: no frame is open: call vkg_frame_begin first");
    uint64_t *end = device->frame_end[device->frame % device->frames_in_flight];
    for (uint32_t q = 0; q < device->dq_count; q++) {
        pthread_mutex_lock(vkg__dq_mutex(device, q));
        end[q] = device->dq[q].submitted;
        pthread_mutex_unlock(vkg__dq_mutex(device, q));
    }
    VKG__LOCK(device);
    vkg__scope_empty(device, device->frame_scope, end);
    VKG__UNLOCK(device);
    device->in_frame = false;
    device->frame++;
    return VKG_SUCCESS;
}

vkg_scope *vkg_frame_scope(vkg_device *device)
{
    return device && device->in_frame ? device->frame_scope : NULL;
}

uint64_t vkg_frame_index(const vkg_device *device)
{
    return device ? device->frame : 0;
}

vkg_result vkg_frame_tickets(vkg_device *device, uint64_t index, vkg_ticket *out)
{
    if (!device || !out) return VKG_ERROR_INVALID_ARGUMENT;
    uint64_t ended = device->frame; /* frames [0, ended) have ended */
    VKG_CHECK(&device->host, index < ended && ended - index <= device->frames_in_flight,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_frame_tickets: frame %llu is %s (frames ended: %llu, kept: the last %u)",
              (unsigned long long)index, index >= ended ? "not ended yet" : "too old",
              (unsigned long long)ended, device->frames_in_flight);
    const uint64_t *end = device->frame_end[index % device->frames_in_flight];
    for (uint32_t q = 0; q < device->dq_count; q++) out[q] = (vkg_ticket){q, end[q]};
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Device loss and destruction
 * ---------------------------------------------------------------------------------------- */

void vkg_device_debug_lose(vkg_device *device)
{
    if (!device) return;
    VKG__WARN(&device->host, "vkg_device_debug_lose: the device now behaves as lost");
    vkg__device_lost(device, false);
    VKG__LOCK(device);
    void (*wake)(vkg_device *) = device->async.wake; /* set once, with the watcher */
    VKG__UNLOCK(device);
    if (wake) wake(device);
    vkg_device_poll(device);
}

void vkg__retire_all(vkg_device *dev)
{
    /* after vkDeviceWaitIdle: everything is complete (or the device is lost) */
    for (uint32_t q = 0; q < dev->dq_count; q++) dev->completed[q] = UINT64_MAX;
    while (dev->doomed_count) {
        uint32_t before = dev->doomed_count;
        vkg_device_poll(dev);
        if (dev->doomed_count == before) break; /* cannot happen: all are complete */
    }
    vkg__free(&dev->host, dev->doomed);
    dev->doomed = NULL;
    dev->doomed_cap = 0;
    while (dev->scopes) {
        vkg_scope *s = dev->scopes;
        VKG__WARN(&dev->host, "scope \"%s\" was never closed: its %u objects are destroyed "
                              "with the device", s->name, s->count);
        dev->scopes = s->next;
        vkg__free(&dev->host, s->items);
        vkg__free(&dev->host, s);
    }
    if (dev->frame_scope) {
        vkg__free(&dev->host, dev->frame_scope->items);
        vkg__free(&dev->host, dev->frame_scope);
        dev->frame_scope = NULL;
    }
}

/* The device idle: every queue waited for, then everything deferred runs. */
vkg_result vkg_device_wait_idle(vkg_device *device)
{
    if (!device) return VKG_ERROR_INVALID_ARGUMENT;
    bool all[VKG_QUEUE_ROLE_COUNT];
    for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) all[q] = true;
    vkg__dq_lock_set(device, all);
    VkResult vr = device->vk.vkDeviceWaitIdle(device->device);
    vkg__dq_unlock_set(device, all);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(device, vr, "vkDeviceWaitIdle", "vkg_device_wait_idle");
    vkg_device_poll(device);
    return VKG_SUCCESS;
}
