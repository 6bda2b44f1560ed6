/* Graph builder: resources, passes, uses; every input is validated here, at the API
 * boundary, with a message naming the pass, the resource, the subresource and the fix. */
#include "graph.h"

#include <inttypes.h>
#include <stdio.h>

#define VKG__GCHECK(g, cond, ...) VKG_CHECK(&(g)->host, cond, VKG_ERROR_INVALID_ARGUMENT, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------
 * Name tables
 * ---------------------------------------------------------------------------------------- */
static const char *vkg__name_at(const vkg_graph *g, bool is_pass, uint32_t index)
{
    return is_pass ? g->passes[index].name : g->res[index].name;
}

uint32_t vkg__names_find(const vkg_graph *g, const vkg__names *t, bool is_pass, const char *name)
{
    if (!t->capacity || !name) return VKG__NO_INDEX;
    uint32_t mask = t->capacity - 1;
    for (uint32_t i = vkg__hash_str(name) & mask;; i = (i + 1) & mask) {
        uint32_t slot = t->slots[i];
        if (!slot) return VKG__NO_INDEX;
        if (strcmp(vkg__name_at(g, is_pass, slot - 1), name) == 0) return slot - 1;
    }
}

static bool vkg__names_insert(vkg_graph *g, vkg__names *t, bool is_pass, uint32_t index)
{
    if ((t->count + 1) * 2 > t->capacity) {
        uint32_t cap = t->capacity ? t->capacity * 2 : 64;
        uint32_t *slots = vkg__calloc(&g->host, cap, sizeof *slots);
        if (!slots) return false;
        for (uint32_t i = 0; i < t->capacity; i++) {
            uint32_t slot = t->slots[i];
            if (!slot) continue;
            uint32_t j = vkg__hash_str(vkg__name_at(g, is_pass, slot - 1)) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = slot;
        }
        vkg__free(&g->host, t->slots);
        t->slots = slots;
        t->capacity = cap;
    }
    uint32_t mask = t->capacity - 1;
    uint32_t i = vkg__hash_str(vkg__name_at(g, is_pass, index)) & mask;
    while (t->slots[i]) i = (i + 1) & mask;
    t->slots[i] = index + 1;
    t->count++;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Graph
 * ---------------------------------------------------------------------------------------- */
vkg_result vkg_graph_create(const vkg_graph_desc *desc, vkg_graph **out)
{
    vkg_graph_desc d = desc ? *desc : (vkg_graph_desc){0};
    vkg__host host;
    vkg__host_init(&host, &d.allocator, &d.logger);
    VKG_CHECK(&host, out, VKG_ERROR_INVALID_ARGUMENT, "vkg_graph_create: out must not be NULL");
    *out = NULL;
    for (const char *p = d.name; p && *p; p++)
        VKG_CHECK(&host, (unsigned char)*p >= 0x20 && *p != 0x7f, VKG_ERROR_INVALID_ARGUMENT,
                  "vkg_graph_create: graph \"%s\": byte %d of the name is control character 0x%02x: "
                  "names must be printable (they appear in messages, plans and debug names)",
                  d.name, (int)(p - d.name), (unsigned)(unsigned char)*p);
    vkg_graph *g = vkg__calloc(&host, 1, sizeof *g);
    if (!g) return VKG__OOM(&host, "a graph");
    g->host = host;
    g->compile_flags = d.compile_flags;
    vkg__arena_init(&g->strings, &g->host, 4096);
    vkg__arena_init(&g->scratch, &g->host, 64 * 1024);
    g->name = vkg__arena_strdup(&g->strings, d.name && d.name[0] ? d.name : "graph");
    if (!g->name) {
        vkg_graph_destroy(g);
        return VKG__OOM(&host, "a graph name");
    }
    *out = g;
    return VKG_SUCCESS;
}

void vkg_graph_destroy(vkg_graph *g)
{
    if (!g) return;
    vkg__host host = g->host;
    vkg__arena_destroy(&g->strings);
    vkg__arena_destroy(&g->scratch);
    vkg__free(&host, g->res);
    vkg__free(&host, g->passes);
    vkg__free(&host, g->uses);
    vkg__free(&host, g->res_names.slots);
    vkg__free(&host, g->pass_names.slots);
    vkg__free(&host, g);
}


static vkg_result vkg__check_import_state(vkg_graph *g, const vkg__gres *r)
{
    if (!r->imported) {
        VKG__GCHECK(g, r->state.access == VKG_ACCESS_NONE,
                    "%s \"%s\": an initial state is given but the resource is not imported "
                    "(transient resources start undefined): set imported or drop the state",
                    vkg__res_kind(r), r->name);
        return VKG_SUCCESS;
    }
    const vkg_access_info *a = vkg_access_get(r->state.access);
    VKG__GCHECK(g, a, "%s \"%s\": initial state access %d is not a vkg_access",
                vkg__res_kind(r), r->name, (int)r->state.access);
    VKG__GCHECK(g, (unsigned)r->state.queue < VKG_QUEUE_ROLE_COUNT,
                "%s \"%s\": initial state queue %d is not a vkg_queue_role", vkg__res_kind(r),
                r->name, (int)r->state.queue);
    VKG__GCHECK(g, a->kinds & (r->is_image ? VKG_ACCESS_KIND_IMAGE : VKG_ACCESS_KIND_BUFFER),
                "%s \"%s\": initial state \"%s\" does not apply to %ss", vkg__res_kind(r),
                r->name, a->name, vkg__res_kind(r));
    VKG__GCHECK(g, a->roles & (1u << r->state.queue),
                "%s \"%s\": initial state \"%s\" cannot happen on the %s queue",
                vkg__res_kind(r), r->name, a->name, vkg_queue_role_name(r->state.queue));
    return VKG_SUCCESS;
}

/* Bytes of an optimal-tiling image without a device: texels (or 4x4 blocks) of every mip,
 * times layers and samples. Compiles without a device place transients with it. */
static VkDeviceSize vkg__image_bytes(const vkg__gres *r)
{
    uint32_t tb = vkg_format_texel_bytes(r->format);
    bool block = vkg__format_is_block(r->format);
    VkDeviceSize total = 0;
    for (uint32_t m = 0; m < r->mips; m++) {
        VkDeviceSize w = VKG__MAX(1u, r->width >> m), h = VKG__MAX(1u, r->height >> m);
        VkDeviceSize d = VKG__MAX(1u, r->depth >> m);
        if (block) {
            w = (w + 3) / 4;
            h = (h + 3) / 4;
        }
        total += w * h * d * tb;
    }
    return total * r->layers * (VkDeviceSize)r->samples;
}

/* Names end up in messages, plans, DOT files and debug names: printable only. Returns the
 * offset of the first control character, or -1. The name is then shown escaped. */
static int vkg__name_control(const char *name)
{
    for (int i = 0; name[i]; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] == 0x7f) return i;
    return -1;
}

static void vkg__name_escape(const char *name, char *out, size_t size)
{
    size_t n = 0;
    for (; *name && n + 5 < size; name++) {
        unsigned char ch = (unsigned char)*name;
        if (ch < 0x20 || ch == 0x7f || ch == '\\') n += (size_t)snprintf(out + n, size - n, "\\x%02x", ch);
        else out[n++] = (char)ch;
    }
    out[n] = 0;
}

#define VKG__CHECK_NAME(g, what, name)                                                           \
    do {                                                                                         \
        int at_ = vkg__name_control(name);                                                       \
        if (at_ >= 0) {                                                                          \
            char esc_[96];                                                                       \
            vkg__name_escape(name, esc_, sizeof esc_);                                           \
            VKG__ERROR(&(g)->host,                                                               \
                       "%s \"%s\": byte %d of the name is control character 0x%02x: names must " \
                       "be printable (they appear in messages, plans and debug names)",          \
                       what, esc_, at_, (unsigned)(unsigned char)(name)[at_]);                   \
            return VKG_ERROR_INVALID_ARGUMENT;                                                   \
        }                                                                                        \
    } while (0)

static vkg_result vkg__add_resource(vkg_graph *g, vkg__gres *r, vkg_resource *out)
{
    VKG__GCHECK(g, r->name && r->name[0], "vkg_graph_%s: every resource needs a name",
                vkg__res_kind(r));
    VKG__CHECK_NAME(g, vkg__res_kind(r), r->name);
    VKG__GCHECK(g, vkg__names_find(g, &g->res_names, false, r->name) == VKG__NO_INDEX,
                "%s \"%s\": the name is already taken by another resource of graph \"%s\": "
                "names must be unique",
                vkg__res_kind(r), r->name, g->name);
    VKG_CHECK(&g->host, g->res_count < VKG__HANDLE_INDEX_MASK, VKG_ERROR_LIMIT,
              "%s \"%s\": graph \"%s\" already has %u resources", vkg__res_kind(r), r->name,
              g->name, g->res_count);
    VKG_CHECK(&g->host,
              !r->is_image ||
                  (uint64_t)g->sub_count + (uint64_t)vkg__planes(r) * r->mips * r->layers < (1u << 30),
              VKG_ERROR_LIMIT,
              "image \"%s\": graph \"%s\" already tracks %u image subresources (planes x mips x layers), "
              "the most one graph holds is 2^30",
              r->name, g->name, g->sub_count);
    vkg_result vr = vkg__check_import_state(g, r);
    if (vr != VKG_SUCCESS) return vr;
    if (!vkg__grow(&g->host, (void **)&g->res, &g->res_capacity, g->res_count + 1, sizeof *g->res))
        return VKG__OOM(&g->host, "a graph resource");
    r->name = vkg__arena_strdup(&g->strings, r->name);
    if (!r->name) return VKG__OOM(&g->host, "a resource name");
    if (r->is_image) {
        r->est_bytes = vkg__image_bytes(r);
        r->sub_first = g->sub_count;
    }
    g->res[g->res_count] = *r;
    if (!vkg__names_insert(g, &g->res_names, false, g->res_count))
        return VKG__OOM(&g->host, "the resource name table");
    g->res_count++;
    if (r->is_image) g->sub_count += vkg__planes(r) * r->mips * r->layers;
    if (out) out->id = g->res_count;
    return VKG_SUCCESS;
}

/* A declared resource, with its NAME@prev when it keeps history (history.c). */
static vkg_result vkg__add_declared(vkg_graph *g, vkg__gres *r, uint32_t history, vkg_history_init init,
                                    vkg_resource *out)
{
    vkg_result vr = vkg__history_declare(g, r, history, init);
    if (vr != VKG_SUCCESS || !history) return vr == VKG_SUCCESS ? vkg__add_resource(g, r, out) : vr;
    vkg__gres prev;
    char name[300];
    vr = vkg__history_prev(g, r, g->res_count, &prev, name, sizeof name); /* the name fits */
    if (vr != VKG_SUCCESS) return vr;
    r->history_pair = g->res_count + 1;
    vkg_resource cur;
    vr = vkg__add_resource(g, r, &cur);
    if (vr != VKG_SUCCESS) return vr;
    vr = vkg__history_prev(g, &g->res[cur.id - 1], cur.id - 1, &prev, name, sizeof name);
    if (vr == VKG_SUCCESS) vr = vkg__add_resource(g, &prev, NULL);
    if (vr != VKG_SUCCESS) { /* NAME stays, as a transient without history: no pair to point at */
        vkg__gres *c = &g->res[cur.id - 1];
        c->history = 0;
        c->history_pair = 0;
        c->imported = false;
        return vr;
    }
    if (out) *out = cur;
    return vr;
}

vkg_result vkg_graph_buffer(vkg_graph *g, const vkg_graph_buffer_desc *desc, vkg_resource *out)
{
    if (out) out->id = 0;
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG__GCHECK(g, desc, "vkg_graph_buffer: desc must not be NULL");
    const char *name = desc->name ? desc->name : "(unnamed)";
    VKG__GCHECK(g, desc->size > 0,
                "buffer \"%s\": size is 0: give the buffer a size in bytes (zero-sized "
                "resources are not allowed)",
                name);
    vkg__gres r = {.name = desc->name,
                   .is_image = false,
                   .imported = desc->imported,
                   .output = desc->output,
                   .size = desc->size,
                   .state = desc->state,
                   .sharing = desc->sharing,
                   .mips = 1,
                   .layers = 1};
    return vkg__add_declared(g, &r, desc->history, desc->history_init, out);
}

static uint32_t vkg__max_mips(uint32_t w, uint32_t h, uint32_t d)
{
    uint32_t m = VKG__MAX(w, VKG__MAX(h, d)), n = 1;
    while (m > 1) {
        m >>= 1;
        n++;
    }
    return n;
}

/* An image's size from the image it is sized from: scaled, rounded, at least 1. */
static void vkg__scaled_size(const vkg__gres *from, float sx, float sy, uint32_t *w, uint32_t *h)
{
    double x = (double)from->width * sx + 0.5, y = (double)from->height * sy + 0.5;
    *w = x < 1 ? 1 : x > 4294967295.0 ? UINT32_MAX : (uint32_t)x;
    *h = y < 1 ? 1 : y > 4294967295.0 ? UINT32_MAX : (uint32_t)y;
}

vkg_result vkg_graph_image(vkg_graph *g, const vkg_graph_image_desc *desc, vkg_resource *out)
{
    if (out) out->id = 0;
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG__GCHECK(g, desc, "vkg_graph_image: desc must not be NULL");
    const char *name = desc->name ? desc->name : "(unnamed)";
    const char *fmt = vkg_format_name(desc->format);
    uint32_t size_of = VKG__NO_INDEX;
    float sx = desc->scale_x > 0 ? desc->scale_x : 1.0f, sy = desc->scale_y > 0 ? desc->scale_y : 1.0f;
    uint32_t width = desc->width, height = desc->height;
    if (desc->size_of.id) {
        VKG__GCHECK(g, desc->size_of.id <= g->res_count && g->res[desc->size_of.id - 1].is_image,
                    "image \"%s\": size_of is handle %u, which is not an image declared before it "
                    "in graph \"%s\"",
                    name, desc->size_of.id, g->name);
        VKG__GCHECK(g, desc->scale_x >= 0 && desc->scale_y >= 0 && sx < 65536 && sy < 65536,
                    "image \"%s\": scale %gx%g of \"%s\" is not a positive factor", name,
                    (double)desc->scale_x, (double)desc->scale_y, g->res[desc->size_of.id - 1].name);
        size_of = desc->size_of.id - 1;
        vkg__scaled_size(&g->res[size_of], sx, sy, &width, &height);
    }
    VKG__GCHECK(g, desc->format != VK_FORMAT_UNDEFINED,
                "image \"%s\": format is VK_FORMAT_UNDEFINED: give the image a format", name);
    VKG__GCHECK(g, fmt,
                "image \"%s\": format %d is not one vkgraph knows: use one listed by "
                "vkg_format_name (e.g. R8G8B8A8_UNORM)",
                name, (int)desc->format);
    VKG__GCHECK(g, width > 0 && height > 0,
                "image \"%s\": size %ux%u has a zero dimension: give it a width and height", name,
                width, height);
    uint32_t depth = desc->depth ? desc->depth : 1;
    uint32_t mips = desc->mips ? desc->mips : 1;
    uint32_t layers = desc->layers ? desc->layers : 1;
    uint32_t samples = desc->samples ? (uint32_t)desc->samples : 1;
    uint32_t max_mips = vkg__max_mips(width, height, depth);
    VKG__GCHECK(g, mips <= max_mips, "image \"%s\": %u mips, but a %ux%ux%u image has at most %u",
                name, mips, width, height, depth, max_mips);
    VKG__GCHECK(g, depth == 1 || layers == 1,
                "image \"%s\": a 3D image (depth %u) cannot have %u array layers", name, depth,
                layers);
    VKG__GCHECK(g, samples <= 64 && (samples & (samples - 1)) == 0,
                "image \"%s\": samples %u is not a power of two up to 64", name, samples);
    VKG__GCHECK(g, samples == 1 || mips == 1,
                "image \"%s\": a multisampled image (%u samples) must have 1 mip, not %u", name,
                samples, mips);
    VKG__GCHECK(g, (uint64_t)mips * layers <= (1u << 16),
                "image \"%s\": %u mips x %u layers is more subresources than vkgraph tracks "
                "(65536)",
                name, mips, layers);
    vkg__gres r = {.name = desc->name,
                   .is_image = true,
                   .imported = desc->imported,
                   .output = desc->output,
                   .sharing = desc->sharing,
                   .format = desc->format,
                   .aspect = vkg_format_aspect(desc->format),
                   .width = width,
                   .height = height,
                   .depth = depth,
                   .size_of = size_of,
                   .scale_x = sx,
                   .scale_y = sy,
                   .mips = mips,
                   .layers = layers,
                   .samples = (VkSampleCountFlagBits)samples,
                   .state = desc->state};
    if (r.imported && r.state.access != VKG_ACCESS_NONE) {
        const vkg_access_info *a = vkg_access_get(r.state.access);
        VKG__GCHECK(g, !a || !a->aspect || (a->aspect & r.aspect),
                    "image \"%s\": initial state \"%s\" needs a %s format, but %s is not", name,
                    a->name, vkg__aspect_word(a->aspect), fmt);
    }
    return vkg__add_declared(g, &r, desc->history, desc->history_init, out);
}

vkg_result vkg_graph_resize(vkg_graph *g, vkg_resource image, uint32_t width, uint32_t height)
{
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&g->host, image.id && image.id <= g->res_count && g->res[image.id - 1].is_image,
              VKG_ERROR_INVALID_HANDLE,
              "vkg_graph_resize: handle %u is not an image of graph \"%s\"", image.id, g->name);
    uint32_t root = image.id - 1;
    VKG__GCHECK(g, g->res[root].size_of == VKG__NO_INDEX,
                "vkg_graph_resize: image \"%s\" is sized from \"%s\": resize that one",
                g->res[root].name, g->res[g->res[root].size_of].name);
    VKG__GCHECK(g, width > 0 && height > 0,
                "vkg_graph_resize: image \"%s\": size %ux%u has a zero dimension",
                g->res[root].name, width, height);
    VKG__GCHECK(g, g->res[root].mips <= vkg__max_mips(width, height, g->res[root].depth),
                "vkg_graph_resize: image \"%s\": %u mips, but a %ux%u image has at most %u",
                g->res[root].name, g->res[root].mips, width, height,
                vkg__max_mips(width, height, g->res[root].depth));
    /* New sizes first, in a copy, so that a refusal changes nothing. Images follow what they
     * are sized from, which was declared before them: one pass in declaration order. */
    uint32_t *size = vkg__alloc(&g->host, sizeof(uint32_t) * 2 * (g->res_count + 1));
    if (!size) return VKG__OOM(&g->host, "vkg_graph_resize");
    for (uint32_t i = 0; i < g->res_count; i++) {
        size[2 * i] = g->res[i].width;
        size[2 * i + 1] = g->res[i].height;
    }
    size[2 * root] = width;
    size[2 * root + 1] = height;
    for (uint32_t i = root + 1; i < g->res_count; i++) {
        const vkg__gres *r = &g->res[i];
        if (!r->is_image || r->size_of == VKG__NO_INDEX) continue;
        vkg__gres from = g->res[r->size_of];
        from.width = size[2 * r->size_of];
        from.height = size[2 * r->size_of + 1];
        vkg__scaled_size(&from, r->scale_x, r->scale_y, &size[2 * i], &size[2 * i + 1]);
        if (r->mips > vkg__max_mips(size[2 * i], size[2 * i + 1], r->depth)) {
            VKG__ERROR(&g->host,
                       "vkg_graph_resize: image \"%s\" sized from \"%s\" would be %ux%u, too "
                       "small for its %u mips: nothing was resized",
                       r->name, g->res[r->size_of].name, size[2 * i], size[2 * i + 1], r->mips);
            vkg__free(&g->host, size);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
    }
    for (uint32_t i = root; i < g->res_count; i++) {
        vkg__gres *r = &g->res[i];
        if (!r->is_image || (r->width == size[2 * i] && r->height == size[2 * i + 1])) continue;
        r->width = size[2 * i];
        r->height = size[2 * i + 1];
        r->est_bytes = vkg__image_bytes(r);
    }
    vkg__free(&g->host, size);
    return VKG_SUCCESS;
}

vkg_result vkg_graph_output(vkg_graph *g, vkg_resource res)
{
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&g->host, res.id && res.id <= g->res_count, VKG_ERROR_INVALID_HANDLE,
              "vkg_graph_output: resource handle %u is not a resource of graph \"%s\"", res.id,
              g->name);
    g->res[res.id - 1].output = true;
    return VKG_SUCCESS;
}

vkg_resource vkg_graph_find_resource(const vkg_graph *g, const char *name)
{
    uint32_t i = g ? vkg__names_find(g, &g->res_names, false, name) : VKG__NO_INDEX;
    return (vkg_resource){i == VKG__NO_INDEX ? 0 : i + 1};
}

vkg_pass vkg_graph_find_pass(const vkg_graph *g, const char *name)
{
    uint32_t i = g ? vkg__names_find(g, &g->pass_names, true, name) : VKG__NO_INDEX;
    return (vkg_pass){i == VKG__NO_INDEX ? 0 : i + 1};
}

vkg_result vkg_graph_set_record(vkg_graph *g, vkg_pass pass, vkg_record_fn record, void *user)
{
    if (!g || !pass.id || pass.id > g->pass_count) {
        if (g)
            VKG__ERROR(&g->host, "vkg_graph_set_record(\"%s\"): pass handle %u is not a pass of "
                       "this graph", g->name, pass.id);
        return VKG_ERROR_INVALID_HANDLE;
    }
    g->passes[pass.id - 1].record = record;
    g->passes[pass.id - 1].user = user;
    return VKG_SUCCESS;
}

uint32_t vkg_graph_pass_count(const vkg_graph *g)
{
    return g ? g->pass_count : 0;
}

/* ------------------------------------------------------------------------------------------
 * Passes and uses
 * ---------------------------------------------------------------------------------------- */
const char *vkg__use_subresource(const vkg__gres *r, const vkg__guse *u, char *buf, size_t size)
{
    if (r->is_image) {
        char mips[32], layers[32];
        if (u->mip_count == 1) snprintf(mips, sizeof mips, "mip %u", u->base_mip);
        else snprintf(mips, sizeof mips, "mips [%u,%u)", u->base_mip, u->base_mip + u->mip_count);
        if (u->layer_count == 1) snprintf(layers, sizeof layers, "layer %u", u->base_layer);
        else snprintf(layers, sizeof layers, "layers [%u,%u)", u->base_layer,
                      u->base_layer + u->layer_count);
        if (vkg__planes(r) == 2)
            snprintf(buf, size, "image \"%s\" %s %s %s", r->name,
                     vkg__aspect_word(vkg__plane_aspect(r, u->plane0, u->plane_count)), mips, layers);
        else
            snprintf(buf, size, "image \"%s\" %s %s", r->name, mips, layers);
    } else {
        snprintf(buf, size, "buffer \"%s\" bytes [%" PRIu64 ",%" PRIu64 ")", r->name,
                 (uint64_t)u->offset, (uint64_t)(u->offset + u->size));
    }
    return buf;
}

static bool vkg__uses_overlap(const vkg__gres *r, const vkg__guse *a, const vkg__guse *b)
{
    if (a->resource != b->resource) return false;
    if (!r->is_image) return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
    return a->plane0 < b->plane0 + b->plane_count && b->plane0 < a->plane0 + a->plane_count &&
           a->base_mip < b->base_mip + b->mip_count && b->base_mip < a->base_mip + a->mip_count &&
           a->base_layer < b->base_layer + b->layer_count &&
           b->base_layer < a->base_layer + a->layer_count;
}

/* Which aspect (and so which planes) an image use touches: the row's own aspect for
 * attachments, else the one the use names, else depth for shader reads of a depth/stencil
 * image (a view samples one aspect) and everything for copies and host accesses. */
static vkg_result vkg__resolve_aspect(vkg_graph *g, const char *pass, const vkg__gres *r,
                                      const vkg_access_info *a, VkImageAspectFlags asked,
                                      vkg__guse *out)
{
    const VkImageAspectFlags ds = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    const char *fmt = vkg_format_name(r->format);
    if (a->aspect) {
        static const char *const fix[3] = {
            "use a depth_* or stencil_* access (depth_write, stencil_read, ...)",
            "use a format with depth (e.g. D32_SFLOAT or D32_SFLOAT_S8_UINT) or a color access",
            "use a format with stencil (e.g. D32_SFLOAT_S8_UINT or S8_UINT)"};
        int which = a->aspect == VK_IMAGE_ASPECT_COLOR_BIT ? 0 : a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT ? 1 : 2;
        VKG__GCHECK(g, (a->aspect & r->aspect) != 0,
                    "pass \"%s\" uses image \"%s\" as \"%s\", which needs a %s aspect, but its "
                    "format %s has %s only: %s",
                    pass, r->name, a->name, vkg__aspect_word(a->aspect), fmt,
                    vkg__aspect_word(r->aspect), fix[which]);
        VKG__GCHECK(g, !asked || asked == a->aspect,
                    "pass \"%s\" uses image \"%s\" as \"%s\" with aspect %s: that access "
                    "touches the %s aspect only: drop the aspect, or use the %s access",
                    pass, r->name, a->name, vkg__aspect_word(asked), vkg__aspect_word(a->aspect),
                    vkg__aspect_word(asked));
    }
    VKG__GCHECK(g, !asked || (asked & ~r->aspect) == 0,
                "pass \"%s\" uses the %s aspect of image \"%s\", but its format %s has %s "
                "only",
                pass, vkg__aspect_word(asked), r->name, fmt, vkg__aspect_word(r->aspect));
    VkImageAspectFlags use = asked;
    if (a->aspect) use = a->aspect;
    else if (!use && (r->aspect == ds) && (a->access & (VK_ACCESS_2_SHADER_SAMPLED_READ_BIT |
                                                        VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                                                        VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)))
        use = VK_IMAGE_ASPECT_DEPTH_BIT;
    else if (!use) use = r->aspect;
    bool shader = (a->access & (VK_ACCESS_2_SHADER_SAMPLED_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_READ_BIT |
                                VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)) != 0;
    VKG__GCHECK(g, !shader || use != ds,
                "pass \"%s\" reads both aspects of image \"%s\" as \"%s\": a shader sees one "
                "aspect of a depth/stencil image at a time: name depth or stencil, or declare two "
                "uses",
                pass, r->name, a->name);
    uint32_t p0, n;
    vkg__planes_of_aspect(r->aspect, use, &p0, &n);
    out->plane0 = (uint8_t)p0;
    out->plane_count = (uint8_t)n;
    return VKG_SUCCESS;
}

static vkg_result vkg__resolve_use(vkg_graph *g, const char *pass, vkg_queue_role role,
                                   uint32_t index, const vkg_use *in, vkg__guse *out)
{
    VKG_CHECK(&g->host, in->resource.id && in->resource.id <= g->res_count,
              VKG_ERROR_INVALID_HANDLE,
              "pass \"%s\" use %u: resource handle %u is not a resource of graph \"%s\": create "
              "it with vkg_graph_buffer or vkg_graph_image first",
              pass, index, in->resource.id, g->name);
    const vkg__gres *r = &g->res[in->resource.id - 1];
    const vkg_access_info *a = vkg_access_get(in->access);
    VKG__GCHECK(g, a && in->access != VKG_ACCESS_NONE,
                "pass \"%s\" uses %s \"%s\" with access %d, which is not a vkg_access", pass,
                vkg__res_kind(r), r->name, (int)in->access);
    VKG__GCHECK(g, a->kinds & (r->is_image ? VKG_ACCESS_KIND_IMAGE : VKG_ACCESS_KIND_BUFFER),
                "pass \"%s\" uses %s \"%s\" as \"%s\", which only applies to %s: use %s "
                "access or a%s resource",
                pass, vkg__res_kind(r), r->name, a->name,
                r->is_image ? "buffers" : "images", r->is_image ? "an image" : "a buffer",
                r->is_image ? " buffer" : "n image");
    if (r->is_image) {
        vkg_result ar = vkg__resolve_aspect(g, pass, r, a, in->aspect, out);
        if (ar != VKG_SUCCESS) return ar;
    }
    VKG__GCHECK(g, a->roles & (1u << role),
                "pass \"%s\" runs on the %s queue, which cannot perform \"%s\" on %s \"%s\": "
                "move the pass to the %s queue",
                pass, vkg_queue_role_name(role), a->name, vkg__res_kind(r), r->name,
                (a->roles & VKG_ACCESS_ROLE_GRAPHICS) && !(a->roles & VKG_ACCESS_ROLE_COMPUTE)
                    ? "graphics"
                    : "graphics or compute");
    VKG__GCHECK(g, r->imported || !(a->stage & VK_PIPELINE_STAGE_2_HOST_BIT),
                "pass \"%s\" uses transient %s \"%s\" as \"%s\", but the host reaches only "
                "imported resources (a transient lives in device-local memory the graph places "
                "and shares): import it (imported = true) and bind a host-visible %s",
                pass, vkg__res_kind(r), r->name, a->name, vkg__res_kind(r));
    uint8_t plane0 = out->plane0, plane_count = out->plane_count;
    *out = (vkg__guse){.resource = in->resource.id - 1,
                       .access = in->access,
                       .plane0 = plane0,
                       .plane_count = plane_count};
    if (r->is_image) {
        VKG__GCHECK(g, in->offset == 0 && in->size == 0,
                    "pass \"%s\" gives a byte range for image \"%s\": images take mips and "
                    "layers",
                    pass, r->name);
        VKG__GCHECK(g, in->base_mip < r->mips,
                    "pass \"%s\" uses image \"%s\" mip %u, but it has %u mip%s (0..%u)", pass,
                    r->name, in->base_mip, r->mips, r->mips == 1 ? "" : "s", r->mips - 1);
        uint32_t mc = in->mip_count ? in->mip_count : r->mips - in->base_mip;
        VKG__GCHECK(g, mc <= r->mips - in->base_mip,
                    "pass \"%s\" uses image \"%s\" mips [%u,%u), but it has %u mip%s", pass,
                    r->name, in->base_mip, in->base_mip + mc, r->mips, r->mips == 1 ? "" : "s");
        VKG__GCHECK(g, in->base_layer < r->layers,
                    "pass \"%s\" uses image \"%s\" layer %u, but it has %u layer%s (0..%u)", pass,
                    r->name, in->base_layer, r->layers, r->layers == 1 ? "" : "s", r->layers - 1);
        uint32_t lc = in->layer_count ? in->layer_count : r->layers - in->base_layer;
        VKG__GCHECK(g, lc <= r->layers - in->base_layer,
                    "pass \"%s\" uses image \"%s\" layers [%u,%u), but it has %u layer%s", pass,
                    r->name, in->base_layer, in->base_layer + lc, r->layers,
                    r->layers == 1 ? "" : "s");
        out->base_mip = in->base_mip;
        out->mip_count = mc;
        out->base_layer = in->base_layer;
        out->layer_count = lc;
        out->size = 0;
    } else {
        VKG__GCHECK(g, in->base_mip == 0 && in->mip_count == 0 && in->base_layer == 0 &&
                           in->layer_count == 0,
                    "pass \"%s\" gives mips or layers for buffer \"%s\": buffers take a byte "
                    "range",
                    pass, r->name);
        VKG__GCHECK(g, in->offset < r->size,
                    "pass \"%s\" uses buffer \"%s\" from byte %" PRIu64 ", but it is %" PRIu64
                    " bytes long",
                    pass, r->name, (uint64_t)in->offset, (uint64_t)r->size);
        VkDeviceSize size = in->size ? in->size : r->size - in->offset;
        VKG__GCHECK(g, size <= r->size - in->offset,
                    "pass \"%s\" uses buffer \"%s\" bytes [%" PRIu64 ",%" PRIu64
                    "), past its end (%" PRIu64 " bytes)",
                    pass, r->name, (uint64_t)in->offset, (uint64_t)(in->offset + size),
                    (uint64_t)r->size);
        out->offset = in->offset;
        out->size = size;
        out->mip_count = out->layer_count = 1;
    }
    return VKG_SUCCESS;
}

/* The attachments of one pass render together: one sample count (resolve targets aside). */
static vkg_result vkg__check_samples(const vkg_graph *g, const char *pass, const vkg__guse *uses,
                                     uint32_t count)
{
    const vkg__gres *first = NULL;
    for (uint32_t i = 0; i < count; i++) {
        const vkg_access_info *a = vkg_access_get(uses[i].access);
        const vkg__gres *r = &g->res[uses[i].resource];
        bool attachment = a->access & (VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                                       VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
        if (!attachment || uses[i].access == VKG_ACCESS_RESOLVE_WRITE) continue;
        if (!first) first = r;
        VKG_CHECK(&g->host, r->samples == first->samples, VKG_ERROR_INVALID_ARGUMENT,
                  "pass \"%s\" attaches image \"%s\" (%u sample%s) and image \"%s\" (%u sample%s): "
                  "the attachments of one pass share a sample count (resolve a multisampled "
                  "colour attachment into a single-sampled image with resolve_write)",
                  pass, first->name, (unsigned)first->samples, first->samples == 1 ? "" : "s",
                  r->name, (unsigned)r->samples, r->samples == 1 ? "" : "s");
    }
    return VKG_SUCCESS;
}

/* resolve_write uses pair, in order, with the pass's multisampled colour attachments: one
 * sample each, the same format and extent. */
vkg_result vkg__check_resolves(const vkg_graph *g, const char *pass, const vkg__guse *uses,
                               uint32_t count)
{
    uint32_t ms[64], nms = 0, nres = 0;
    for (uint32_t i = 0; i < count; i++) {
        const vkg__gres *r = &g->res[uses[i].resource];
        const vkg_access_info *a = vkg_access_get(uses[i].access);
        if (uses[i].access == VKG_ACCESS_RESOLVE_WRITE) {
            const vkg__guse *u = &uses[i];
            VKG_CHECK(&g->host, r->samples == 1, VKG_ERROR_INVALID_ARGUMENT,
                      "pass \"%s\" resolves into image \"%s\", which has %u samples: a resolve "
                      "target has one",
                      pass, r->name, (unsigned)r->samples);
            VKG_CHECK(&g->host, nres < nms, VKG_ERROR_INVALID_ARGUMENT,
                      "pass \"%s\" resolves into image \"%s\" (resolve use %u), but it has only %u "
                      "multisampled color attachment%s before it: the n-th resolve_write resolves "
                      "the n-th multisampled color use",
                      pass, r->name, nres, nms, nms == 1 ? "" : "s");
            const vkg__guse *su = &uses[ms[nres++]];
            const vkg__gres *src = &g->res[su->resource];
            uint32_t sw = VKG__MAX(1u, src->width >> su->base_mip), sh = VKG__MAX(1u, src->height >> su->base_mip);
            uint32_t tw = VKG__MAX(1u, r->width >> u->base_mip), th = VKG__MAX(1u, r->height >> u->base_mip);
            VKG_CHECK(&g->host, src->format == r->format && sw == tw && sh == th,
                      VKG_ERROR_INVALID_ARGUMENT,
                      "pass \"%s\" resolves image \"%s\" (%s, %ux%u) into image \"%s\" (%s, "
                      "%ux%u): a resolve needs the same format and size",
                      pass, src->name, vkg_format_name(src->format), sw, sh, r->name,
                      vkg_format_name(r->format), tw, th);
            VKG_CHECK(&g->host, su->layer_count == 1 && u->layer_count == 1 && u->mip_count == 1,
                      VKG_ERROR_INVALID_ARGUMENT,
                      "pass \"%s\" resolves image \"%s\" into image \"%s\" over several mips or "
                      "layers: a resolve covers one mip and layer",
                      pass, src->name, r->name);
        } else if (a->aspect == VK_IMAGE_ASPECT_COLOR_BIT && r->samples > 1 && nms < 64 &&
                   (a->access & (VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT |
                                 VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT))) {
            ms[nms++] = i;
        }
    }
    return VKG_SUCCESS;
}

vkg_result vkg_graph_pass(vkg_graph *g, const vkg_pass_desc *desc, vkg_pass *out)
{
    if (out) out->id = 0;
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG__GCHECK(g, desc, "vkg_graph_pass: desc must not be NULL");
    VKG__GCHECK(g, desc->name && desc->name[0], "vkg_graph_pass: every pass needs a name");
    const char *name = desc->name;
    VKG__CHECK_NAME(g, "pass", name);
    VKG__GCHECK(g, vkg__names_find(g, &g->pass_names, true, name) == VKG__NO_INDEX,
                "pass \"%s\": the name is already taken by another pass of graph \"%s\": pass "
                "names must be unique",
                name, g->name);
    VKG__GCHECK(g, (unsigned)desc->queue < VKG_QUEUE_ROLE_COUNT,
                "pass \"%s\": queue %d is not a vkg_queue_role (graphics, compute, transfer)", name,
                (int)desc->queue);
    VKG__GCHECK(g, desc->use_count == 0 || desc->uses,
                "pass \"%s\": use_count is %u but uses is NULL", name, desc->use_count);
    VKG_CHECK(&g->host, g->pass_count < VKG__HANDLE_INDEX_MASK, VKG_ERROR_LIMIT,
              "pass \"%s\": graph \"%s\" already has %u passes", name, g->name, g->pass_count);
    if (!vkg__grow(&g->host, (void **)&g->uses, &g->use_capacity, g->use_count + desc->use_count,
                   sizeof *g->uses) ||
        !vkg__grow(&g->host, (void **)&g->passes, &g->pass_capacity, g->pass_count + 1,
                   sizeof *g->passes))
        return VKG__OOM(&g->host, "a graph pass");
    vkg__guse *uses = g->uses ? g->uses + g->use_count : NULL; /* none yet: no arithmetic on NULL */
    for (uint32_t i = 0; i < desc->use_count; i++) {
        vkg_result r = vkg__resolve_use(g, name, desc->queue, i, &desc->uses[i], &uses[i]);
        if (r != VKG_SUCCESS) return r;
    }
    /* One pass sees one layout per subresource: two uses that overlap must agree. */
    for (uint32_t i = 0; i < desc->use_count; i++) {
        const vkg__gres *r = &g->res[uses[i].resource];
        if (!r->is_image) continue;
        const vkg_access_info *ai = vkg_access_get(uses[i].access);
        for (uint32_t j = i + 1; j < desc->use_count; j++) {
            if (!vkg__uses_overlap(r, &uses[i], &uses[j])) continue;
            const vkg_access_info *aj = vkg_access_get(uses[j].access);
            char sub[160];
            VKG__GCHECK(g, ai->layout == aj->layout,
                        "pass \"%s\" uses %s as \"%s\" (layout %s) and as \"%s\" (layout %s) at "
                        "once: one pass sees one layout per subresource: use different mips or "
                        "layers, or split the pass",
                        name, vkg__use_subresource(r, &uses[j], sub, sizeof sub), ai->name,
                        vkg_layout_name(ai->layout), aj->name, vkg_layout_name(aj->layout));
        }
    }
    vkg_result rr = vkg__check_samples(g, name, uses, desc->use_count);
    if (rr == VKG_SUCCESS) rr = vkg__check_resolves(g, name, uses, desc->use_count);
    if (rr != VKG_SUCCESS) return rr;
    VKG__GCHECK(g, desc->after_count == 0 || desc->after,
                "pass \"%s\": after_count is %u but after is NULL", name, desc->after_count);
    uint32_t *after = NULL;
    if (desc->after_count) {
        after = vkg__arena_alloc(&g->strings, sizeof(uint32_t) * desc->after_count, 4);
        if (!after) return VKG__OOM(&g->host, "a pass's ordering dependencies");
    }
    for (uint32_t i = 0; i < desc->after_count; i++) {
        VKG__GCHECK(g, desc->after[i].id >= 1 && desc->after[i].id <= g->pass_count,
                    "pass \"%s\": after[%u] is handle %u, which is not a pass declared before it "
                    "(declaration order is submission order: a pass can only follow earlier ones)",
                    name, i, desc->after[i].id);
        after[i] = desc->after[i].id - 1;
    }
    const char *copy = vkg__arena_strdup(&g->strings, name);
    if (!copy) return VKG__OOM(&g->host, "a pass name");
    bool resolves = false;
    for (uint32_t i = 0; i < desc->use_count; i++) resolves |= uses[i].access == VKG_ACCESS_RESOLVE_WRITE;
    g->passes[g->pass_count] = (vkg__gpass){.name = copy,
                                            .resolves = resolves,
                                            .after = after,
                                            .after_count = desc->after_count,
                                            .role = desc->queue,
                                            .first_use = g->use_count,
                                            .use_count = desc->use_count,
                                            .record = desc->record,
                                            .user = desc->user,
                                            .side_effects = desc->side_effects};
    if (!vkg__names_insert(g, &g->pass_names, true, g->pass_count))
        return VKG__OOM(&g->host, "the pass name table");
    g->use_count += desc->use_count;
    g->pass_count++;
    if (out) out->id = g->pass_count;
    return VKG_SUCCESS;
}

const char *vkg__pass_origin(const vkg_graph *g, uint32_t pass, char *buf, size_t size)
{
    const vkg__gpass *p = pass < g->pass_count ? &g->passes[pass] : NULL;
    if (!g->source || !p || !p->line) return "";
    snprintf(buf, size, "%s:%u:%u: ", g->source, p->line, p->column);
    return buf;
}
