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
static vkg_result vkg__bind_image(vkg_executor *ex, const vkg_plan_info *in, const vkg_plan_resource *r,
                                  vkg__xres *xr, uint32_t id, bool *views)
{
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
    xr->image = im->image;
    xr->aspect = im->aspect;
    xr->track = im->track;
    xr->rebind = xr->bound != id;
    *views |= xr->rebind;
    return VKG_SUCCESS;
}

/* An imported buffer bound to `id`: live, large enough, usable as the plan needs. Locked. */
static vkg_result vkg__bind_buffer(vkg_executor *ex, const vkg_plan_info *in, const vkg_plan_resource *r,
                                   vkg__xres *xr, uint32_t id)
{
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
    xr->buffer = bu->buffer;
    xr->address = bu->address;
    xr->track = &bu->track;
    xr->rebind = false;
    xr->bound = id;
    return VKG_SUCCESS;
}

/* Resolves every used imported resource to its binding: O(bindings + imports), with the
 * device lock taken once (6,000 bindings cost 6,000 steps, not 36 million). A resource bound
 * twice takes the last binding. Every binding is checked again each time: caching a check
 * by handle would trust an id whose 12-bit generation may have wrapped. Then views of images
 * bound to another image than last time. */
vkg_result vkg__bind_imports(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    uint64_t stamp = ++x->bind_stamp;
    vkg_result res = vkg__index_bindings(ex, x, d, stamp);
    if (res != VKG_SUCCESS) return res;
    bool views = false;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t ii = 0; ii < x->import_count && res == VKG_SUCCESS; ii++) {
        uint32_t ri = x->imports[ii];
        const vkg_plan_resource *r = &in->resources[ri];
        vkg__xres *xr = &x->res[ri];
        if (r->history) { /* the executor's own objects, crosswise each execution */
            xr->bind_id = vkg__history_object(x, ri);
            res = r->is_image ? vkg__bind_image(ex, in, r, xr, xr->bind_id, &views)
                              : vkg__bind_buffer(ex, in, r, xr, xr->bind_id);
            continue;
        }
        if (xr->bind_stamp != stamp) {
            VKG__ERROR(&ex->host,
                       "vkg_execute(\"%s\"): imported %s \"%s\" has no binding: add a vkg_binding "
                       "with its vkg_%s",
                       in->name, r->is_image ? "image" : "buffer", r->name,
                       r->is_image ? "image" : "buffer");
            res = VKG_ERROR_INVALID_ARGUMENT;
            break;
        }
        const vkg_binding *b = &d->bindings[xr->binding];
        xr->wait_semaphore = b->wait_semaphore;
        xr->wait_stage = b->wait_stage ? b->wait_stage : xr->first_stage;
        xr->signal_semaphore = b->signal_semaphore;
        xr->bind_id = r->is_image ? b->image.id : b->buffer.id;
        res = r->is_image ? vkg__bind_image(ex, in, r, xr, xr->bind_id, &views)
                          : vkg__bind_buffer(ex, in, r, xr, xr->bind_id);
    }
    pthread_mutex_unlock(&dev->lock);
    if (res != VKG_SUCCESS) return res;
    /* (outside the device lock: creating a view takes it) */
    for (uint32_t ii = 0; views && ii < x->import_count; ii++) {
        vkg__xres *xr = &x->res[x->imports[ii]];
        if (!xr->rebind) continue;
        res = vkg__import_views(ex, x, x->imports[ii], xr->bind_id);
        if (res != VKG_SUCCESS) return res;
        xr->bound = xr->bind_id;
    }
    return VKG_SUCCESS;
}
