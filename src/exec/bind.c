/* The executor: binding imported resources for one execution, checked against the plan. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Imported bindings
 * ---------------------------------------------------------------------------------------- */

/* Records which binding each imported resource takes (the last one naming it), refusing
 * bindings of resources the plan does not have or does not import. */
static vkg_result vkg__index_bindings(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d, uint64_t stamp)
{
    const vkg_plan_info *in = &x->in;
    for (uint32_t i = 0; i < d->binding_count; i++) {
        uint32_t id = d->bindings[i].resource.id;
        /* a binding the plan would not use is a mistake, not a no-op: the caller expects
         * its buffer or image to be read or written */
        VKG_CHECK(&ex->host, id >= 1 && id <= in->resource_count, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] names resource handle %u, which is not a "
                  "resource of this plan's graph (it has %u)",
                  in->name, i, id, in->resource_count);
        const vkg_plan_resource *r = &in->resources[id - 1];
        VKG_CHECK(&ex->host, !r->history, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] binds %s \"%s\", a history resource: the "
                  "executor owns and binds its objects (drop the binding)",
                  in->name, i, r->is_image ? "image" : "buffer", r->name);
        VKG_CHECK(&ex->host, r->imported, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] binds %s \"%s\", but it is transient: the "
                  "graph creates and places it, and a binding would be ignored (its contents "
                  "would never reach your %s): declare it imported (imported = true) to bind "
                  "your own",
                  in->name, i, r->is_image ? "image" : "buffer", r->name,
                  r->is_image ? "image" : "buffer");
        x->res[id - 1].binding = i;
        x->res[id - 1].bind_stamp = stamp;
    }
    return VKG_SUCCESS;
}

/* What buffers and images must both match: the usage the plan needs and the sharing it
 * assumed. */
static vkg_result vkg__bound_matches(vkg_executor *ex, const vkg_plan_info *in, const vkg_plan_resource *r,
                                     const char *bound_name, uint32_t usage, uint32_t need, bool concurrent)
{
    const char *kind = r->is_image ? "image" : "buffer";
    if ((usage & need) != need) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): %s \"%s\" is used with usage 0x%x, but the bound %s \"%s\" "
                   "was created with 0x%x",
                   in->name, kind, r->name, need, kind, bound_name, usage);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    if (vkg__sharing_differs(ex->dev, r, concurrent)) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): %s \"%s\" is declared %s, but the bound %s \"%s\" was "
                   "created %s: give both the same vkg_sharing",
                   in->name, kind, r->name, r->concurrent ? "concurrent" : "exclusive", kind, bound_name,
                   concurrent ? "concurrent" : "exclusive");
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    return VKG_SUCCESS;
}

/* An imported image bound to `id`: live, declared alike, usable as the plan needs. Locked. */
static vkg_result vkg__bind_image(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id, bool *views)
{
    const vkg_plan_info *in = &x->in;
    const vkg_plan_resource *r = &in->resources[ri];
    vkg__xres *xr = &x->res[ri];
    vkg__image_rec *im = vkg__pool_get(&ex->dev->images, id);
    if (!im) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): the binding of image \"%s\" holds a stale or invalid "
                   "vkg_image (id %u)",
                   in->name, r->name, id);
        return VKG_ERROR_INVALID_HANDLE;
    }
    if (im->format != r->format || im->width != r->width || im->height != r->height ||
        im->depth != r->depth || im->mips != r->mips || im->layers != r->layers) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): image \"%s\" is declared %s %ux%ux%u, %u mips, %u layers, "
                   "but the bound image \"%s\" is %s %ux%ux%u, %u mips, %u layers",
                   in->name, r->name, vkg_format_name(r->format), r->width, r->height, r->depth,
                   r->mips, r->layers, im->name, vkg_format_name(im->format), im->width, im->height,
                   im->depth, im->mips, im->layers);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    vkg_result res = vkg__bound_matches(ex, in, r, im->name, im->usage, r->image_usage, im->concurrent);
    if (res != VKG_SUCCESS) return res;
    xr->bind_serial = vkg__pool_serial(&ex->dev->images, id);
    xr->image = im->image;
    xr->aspect = im->aspect;
    x->track[ri] = im->track;
    xr->rebind = xr->bound != id;
    *views |= xr->rebind;
    return VKG_SUCCESS;
}

/* An imported buffer bound to `id`: live, large enough, usable as the plan needs. Locked. */
static vkg_result vkg__bind_buffer(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id)
{
    const vkg_plan_info *in = &x->in;
    const vkg_plan_resource *r = &in->resources[ri];
    vkg__xres *xr = &x->res[ri];
    vkg__buffer_rec *bu = vkg__pool_get(&ex->dev->buffers, id);
    if (!bu) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): the binding of buffer \"%s\" holds a stale or invalid "
                   "vkg_buffer (id %u)",
                   in->name, r->name, id);
        return VKG_ERROR_INVALID_HANDLE;
    }
    if (bu->size < r->size) {
        VKG__ERROR(&ex->host,
                   "vkg_execute(\"%s\"): buffer \"%s\" is declared %llu bytes, but the bound buffer "
                   "\"%s\" has %llu",
                   in->name, r->name, (unsigned long long)r->size, bu->name,
                   (unsigned long long)bu->size);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    vkg_result res = vkg__bound_matches(ex, in, r, bu->name, bu->usage, r->buffer_usage, bu->concurrent);
    if (res != VKG_SUCCESS) return res;
    xr->bind_serial = vkg__pool_serial(&ex->dev->buffers, id);
    xr->buffer = bu->buffer;
    x->address[ri] = bu->address;
    x->track[ri] = &bu->track;
    xr->rebind = false;
    xr->bound = id;
    return VKG_SUCCESS;
}

/* Imported resource `ri` bound to the object `id` (live, declared alike). Locked. */
static vkg_result vkg__bind_object(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id,
                                   bool *views)
{
    const vkg_plan_resource *r = &x->in.resources[ri];
    vkg__xres *xr = &x->res[ri];
    vkg__settle_one(ex->dev, &x->deferred); /* (written to the objects it bound before) */
    xr->bind_id = id;
    xr->bound_at = x->execution;
    if (!r->history) x->rebound_at = x->execution;
    return r->is_image ? vkg__bind_image(ex, x, ri, id, views)
                       : vkg__bind_buffer(ex, x, ri, id);
}

/* Imported resource `ri` takes binding `b`: its semaphores and its object. Locked. */
static vkg_result vkg__bind_user(vkg_executor *ex, vkg__real *x, uint32_t ri, const vkg_binding *b,
                                 bool *views)
{
    vkg__xres *xr = &x->res[ri];
    xr->wait_semaphore = b->wait_semaphore;
    xr->wait_stage = b->wait_stage ? b->wait_stage : xr->first_stage;
    xr->signal_semaphore = b->signal_semaphore;
    return vkg__bind_object(ex, x, ri, x->in.resources[ri].is_image ? b->image.id : b->buffer.id, views);
}

/* History resources: the executor's own objects, crosswise each execution. Locked. */
static vkg_result vkg__bind_history(vkg_executor *ex, vkg__real *x, bool *views)
{
    for (uint32_t i = 0; i < x->history_count; i++) {
        uint32_t ri = x->history_imports[i];
        vkg_result res = vkg__bind_object(ex, x, ri, vkg__history_object(x, ri), views);
        if (res != VKG_SUCCESS) return res;
    }
    return VKG_SUCCESS;
}

/* Every binding, checked in full: O(bindings + imports). A resource bound twice takes the
 * last binding. Locked. */
static vkg_result vkg__bind_all(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d, bool *views)
{
    const vkg_plan_info *in = &x->in;
    uint64_t stamp = ++x->bind_stamp;
    vkg_result res = vkg__index_bindings(ex, x, d, stamp);
    for (uint32_t ii = 0; ii < x->import_count && res == VKG_SUCCESS; ii++) {
        uint32_t ri = x->imports[ii];
        const vkg_plan_resource *r = &in->resources[ri];
        if (r->history) continue;
        if (x->res[ri].bind_stamp != stamp) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): imported %s \"%s\" has no binding: add a vkg_binding "
                       "with its vkg_%s",
                       in->name, r->is_image ? "image" : "buffer", r->name,
                       r->is_image ? "image" : "buffer");
            return VKG_ERROR_INVALID_ARGUMENT;
        }
        res = vkg__bind_user(ex, x, ri, &d->bindings[x->res[ri].binding], views);
    }
    return res;
}

/* Whether the object an imported resource was bound to is still the one checked: its pool
 * serial, which is never reused, is unchanged. Locked. */
static bool vkg__still_bound(const vkg_device *dev, const vkg__xres *xr)
{
    const vkg__pool *pool = xr->is_image ? &dev->images : &dev->buffers;
    return vkg__pool_serial(pool, xr->bind_id) == xr->bind_serial;
}

/* Whether no buffer or image was freed since every bound object was last found live (then
 * no serial changed, and there is nothing to look up). Locked. */
static bool vkg__none_freed(const vkg_device *dev, const vkg__real *x)
{
    return dev->buffers.frees == x->bind_frees[0] && dev->images.frees == x->bind_frees[1];
}

/* Every imported resource's object is still the one checked (its pool serial unchanged);
 * one that is not is checked again, which names it stale. Locked. */
static vkg_result vkg__bind_objects_live(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d,
                                         bool *views)
{
    if (vkg__none_freed(ex->dev, x)) return VKG_SUCCESS;
    for (uint32_t ii = 0; ii < x->import_count; ii++) {
        uint32_t ri = x->imports[ii];
        const vkg__xres *xr = &x->res[ri];
        if (xr->is_history) continue; /* (bound by vkg__bind_history) */
        if (vkg__still_bound(ex->dev, xr)) continue;
        vkg_result res = vkg__bind_user(ex, x, ri, &d->bindings[xr->binding], views);
        if (res != VKG_SUCCESS) return res;
    }
    return VKG_SUCCESS;
}

static bool vkg__same_binding(const vkg_binding *a, const vkg_binding *b)
{
    return a->resource.id == b->resource.id && a->buffer.id == b->buffer.id &&
           a->image.id == b->image.id && a->wait_semaphore == b->wait_semaphore &&
           a->wait_stage == b->wait_stage && a->signal_semaphore == b->signal_semaphore;
}

/* The bindings again, against those last checked in full: a binding naming the same
 * resource and the same object is trusted while the object's pool serial is unchanged
 * (serials never repeat, unlike a handle's 12-bit generation, so a destroyed object whose
 * slot was reused cannot pass for it); one naming the same resource and another object or
 * other semaphores is checked alone. *full: the resources named changed (or their count):
 * check them all (vkg__bind_all). Locked. */
static vkg_result vkg__bind_again(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d,
                                  bool *views, bool *sems, bool *full)
{
    vkg_device *dev = ex->dev;
    *full = !x->bind_cached || d->binding_count != x->bind_cache_count;
    if (*full) return VKG_SUCCESS;
    /* the same bytes as last time (the common case): only whether the objects still live */
    if (!memcmp(d->bindings, x->bind_cache, sizeof *d->bindings * d->binding_count))
        return vkg__bind_objects_live(ex, x, d, views);
    for (uint32_t i = 0; i < d->binding_count && !*full; i++) {
        const vkg_binding *b = &d->bindings[i];
        vkg_binding *c = &x->bind_cache[i];
        /* another resource here: check them all (what this loop bound so far is bound again) */
        if ((*full = b->resource.id != c->resource.id)) break;
        uint32_t ri = b->resource.id - 1;
        vkg__xres *xr = &x->res[ri];
        bool same = vkg__same_binding(b, c);
        if (!same) *c = *b;
        if (xr->binding != i) continue; /* a later binding names the same resource */
        if (same) {
            if (vkg__none_freed(dev, x) || vkg__still_bound(dev, xr)) continue;
        } else {
            *sems = true; /* (semaphores may have changed) */
        }
        vkg_result res = vkg__bind_user(ex, x, ri, b, views);
        if (res != VKG_SUCCESS) return res;
    }
    return VKG_SUCCESS;
}

/* The imported resources whose bindings carry semaphores, for the submissions. */
static void vkg__list_semaphores(vkg__real *x)
{
    x->sem_count = 0;
    for (uint32_t ii = 0; ii < x->import_count; ii++) {
        const vkg__xres *xr = &x->res[x->imports[ii]];
        if (xr->wait_semaphore || xr->signal_semaphore) x->sem_imports[x->sem_count++] = x->imports[ii];
    }
}

/* Room to keep this execution's bindings for the next one to compare against (grows only
 * when an execution binds more than any before). */
static vkg_result vkg__bind_room(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d)
{
    if (vkg__grow(&ex->host, (void **)&x->bind_cache, &x->bind_cache_cap, d->binding_count + 1,
                  sizeof *x->bind_cache))
        return VKG_SUCCESS;
    return VKG__OOM(&ex->host, "the executor's copy of the bindings");
}

/* Keeps the bindings just checked in full. */
static void vkg__bind_keep(vkg__real *x, const vkg_execute_desc *d)
{
    if (d->binding_count) memcpy(x->bind_cache, d->bindings, sizeof *d->bindings * d->binding_count);
    x->bind_cache_count = d->binding_count;
    x->bind_cached = true;
}

/* Resolves every used imported resource to its binding, with the device lock taken once.
 * When the same resources are bound as last time (the common case: the same array each
 * frame), only bindings that changed are checked again, and unchanged ones cost a compare
 * and a serial lookup; otherwise everything is checked (vkg__bind_all), O(bindings +
 * imports). Then views of images bound to another image than last time. */
vkg_result vkg__bind_imports(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d)
{
    vkg_device *dev = ex->dev;
    bool views = false, sems = false, full;
    x->execution++;
    pthread_mutex_lock(&dev->lock);
    vkg_result res = vkg__bind_again(ex, x, d, &views, &sems, &full);
    if (full && res == VKG_SUCCESS) {
        x->bind_cached = false;
        res = vkg__bind_room(ex, x, d);
        if (res == VKG_SUCCESS) res = vkg__bind_all(ex, x, d, &views);
        sems = true;
    }
    if (res == VKG_SUCCESS) res = vkg__bind_history(ex, x, &views);
    if (res == VKG_SUCCESS) { /* every bound object is live now */
        x->bind_frees[0] = dev->buffers.frees;
        x->bind_frees[1] = dev->images.frees;
    }
    pthread_mutex_unlock(&dev->lock);
    if (res != VKG_SUCCESS) {
        x->bind_cached = false; /* the next execution checks everything again */
        return res;
    }
    if (full) vkg__bind_keep(x, d);
    if (sems) vkg__list_semaphores(x);
    /* (outside the device lock: creating a view takes it) */
    for (uint32_t ii = 0; views && ii < x->import_count; ii++) {
        vkg__xres *xr = &x->res[x->imports[ii]];
        if (!xr->rebind) continue;
        res = vkg__import_views(ex, x, x->imports[ii], xr->bind_id);
        if (res != VKG_SUCCESS) {
            x->bind_cached = false; /* the next execution binds (and makes views) again */
            return res;
        }
        xr->bound = xr->bind_id;
        xr->rebind = false;
    }
    return VKG_SUCCESS;
}
