/* The executor: binding imported resources for one execution, checked against the plan. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Imported bindings
 * ---------------------------------------------------------------------------------------- */

/* Resolves every used imported resource to its binding: O(bindings + imports), with the
 * device lock taken once (6,000 bindings cost 6,000 steps, not 36 million). A resource bound
 * twice takes the last binding. Every binding is checked again each time: caching a check
 * by handle would trust an id whose 12-bit generation may have wrapped. */
vkg_result vkg__bind_imports(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d)
{
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    uint64_t stamp = ++x->bind_stamp;
    for (uint32_t i = 0; i < d->binding_count; i++) {
        uint32_t id = d->bindings[i].resource.id;
        /* a binding the plan would not use is a mistake, not a no-op: the caller expects
         * its buffer or image to be read or written */
        VKG_CHECK(&ex->host, id >= 1 && id <= in->resource_count, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_execute(\"%s\"): bindings[%u] names resource handle %u, which is not a "
                  "resource of this plan's graph (it has %u)",
                  in->name, i, id, in->resource_count);
        const vkg_plan_resource *r = &in->resources[id - 1];
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
    vkg_result res = VKG_SUCCESS;
    bool views = false;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t ii = 0; ii < x->import_count && res == VKG_SUCCESS; ii++) {
        uint32_t ri = x->imports[ii];
        const vkg_plan_resource *r = &in->resources[ri];
        vkg__xres *xr = &x->res[ri];
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
        uint32_t id = r->is_image ? b->image.id : b->buffer.id;
        xr->wait_semaphore = b->wait_semaphore;
        xr->wait_stage = b->wait_stage ? b->wait_stage : xr->first_stage;
        xr->signal_semaphore = b->signal_semaphore;
        if (r->is_image) {
            vkg__image_rec *im = vkg__pool_get(&dev->images, b->image.id);
            if (!im) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): the binding of image \"%s\" holds a stale or "
                           "invalid vkg_image (id %u)",
                           in->name, r->name, b->image.id);
                res = VKG_ERROR_INVALID_HANDLE;
            } else if (im->format != r->format || im->width != r->width ||
                       im->height != r->height || im->depth != r->depth ||
                       im->mips != r->mips || im->layers != r->layers) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is declared %s %ux%ux%u, %u mips, "
                           "%u layers, but the bound image \"%s\" is %s %ux%ux%u, %u mips, %u "
                           "layers",
                           in->name, r->name, vkg_format_name(r->format), r->width, r->height,
                           r->depth, r->mips, r->layers, im->name, vkg_format_name(im->format),
                           im->width, im->height, im->depth, im->mips, im->layers);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if ((im->usage & r->image_usage) != r->image_usage) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is used with usage 0x%x, but the "
                           "bound image \"%s\" was created with 0x%x",
                           in->name, r->name, r->image_usage, im->name, im->usage);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if (vkg__sharing_differs(dev, r, im->concurrent)) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): image \"%s\" is declared %s, but the bound "
                           "image \"%s\" was created %s: give both the same vkg_sharing",
                           in->name, r->name, r->concurrent ? "concurrent" : "exclusive",
                           im->name, im->concurrent ? "concurrent" : "exclusive");
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else {
                xr->image = im->image;
                xr->aspect = im->aspect;
                xr->track = im->track;
                xr->rebind = xr->bound != b->image.id;
                views |= xr->rebind;
                if (!xr->rebind) xr->bound = id;
            }
        } else {
            vkg__buffer_rec *bu = vkg__pool_get(&dev->buffers, b->buffer.id);
            if (!bu) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): the binding of buffer \"%s\" holds a stale or "
                           "invalid vkg_buffer (id %u)",
                           in->name, r->name, b->buffer.id);
                res = VKG_ERROR_INVALID_HANDLE;
            } else if (bu->size < r->size) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is declared %llu bytes, but the "
                           "bound buffer \"%s\" has %llu",
                           in->name, r->name, (unsigned long long)r->size, bu->name,
                           (unsigned long long)bu->size);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if ((bu->usage & r->buffer_usage) != r->buffer_usage) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is used with usage 0x%x, but the "
                           "bound buffer \"%s\" was created with 0x%x",
                           in->name, r->name, r->buffer_usage, bu->name, bu->usage);
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else if (vkg__sharing_differs(dev, r, bu->concurrent)) {
                VKG__ERROR(&ex->host,
                           "vkg_execute(\"%s\"): buffer \"%s\" is declared %s, but the bound "
                           "buffer \"%s\" was created %s: give both the same vkg_sharing",
                           in->name, r->name, r->concurrent ? "concurrent" : "exclusive",
                           bu->name, bu->concurrent ? "concurrent" : "exclusive");
                res = VKG_ERROR_INVALID_ARGUMENT;
            } else {
                xr->buffer = bu->buffer;
                xr->address = bu->address;
                xr->track = &bu->track;
                xr->rebind = false;
                xr->bound = id;
            }
        }
    }
    pthread_mutex_unlock(&dev->lock);
    if (res != VKG_SUCCESS) return res;
    /* views of images bound to another image than last time (outside the device lock:
     * creating a view takes it) */
    for (uint32_t ii = 0; views && ii < x->import_count; ii++) {
        vkg__xres *xr = &x->res[x->imports[ii]];
        if (!xr->rebind) continue;
        res = vkg__import_views(ex, x, x->imports[ii], d->bindings[xr->binding].image.id);
        if (res != VKG_SUCCESS) return res;
        xr->bound = d->bindings[xr->binding].image.id;
    }
    return VKG_SUCCESS;
}
