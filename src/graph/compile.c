/* The graph compiler: validate, cull, track state per buffer range and per image mip x
 * layer, derive synchronization2 barriers, queue-family ownership transfers, timeline
 * semaphore waits and split barriers, and place transient resources into aliased heaps.
 *
 * Pure: reads the graph and a vkg_caps; all working memory comes from the graph's scratch
 * arena (reset per compile) and the plan's arena (reused by in-place recompiles), so a
 * steady stream of compiles allocates nothing.
 *
 * The synchronization model, per subresource (see docs/compiler.md for the long form):
 *  - Every subresource is owned by one queue at a time (resources are VK_SHARING_MODE_
 *    EXCLUSIVE). Accesses since the last ownership change all happened on that queue.
 *  - `w_*` is the last write (or the anchor of the last layout transition / acquire, with
 *    w_access 0 because transitions are made available automatically); `r_stage` the stages
 *    that read since; `visible` the access rows the write has been made visible to.
 *  - A write or layout change waits for the reads since the last write (execution
 *    dependency only: write-after-read needs no memory dependency) or, with no reads, for
 *    the write itself (memory dependency). A read waits for the write unless it is already
 *    visible to that row; read-after-read in the same layout gets nothing.
 *  - Another queue touching defined contents takes ownership: release after the owner's
 *    last use, timeline-semaphore wait, acquire before the new use. Undefined contents
 *    (a transient's first use) move queues with a semaphore wait alone.
 */
#include "compile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


/* Growable arrays inside the scratch arena: grow by copying (the arena is reset anyway). */
bool vkg__agrow(vkg__ctx *c, void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return true;
    uint32_t nc = *cap ? *cap * 2 : 4;
    while (nc < need) nc *= 2;
    void *p = vkg__arena_alloc(c->A, (size_t)nc * elem, 16);
    if (!p) {
        c->oom = true;
        return false;
    }
    if (*cap) memcpy(p, *arr, (size_t)*cap * elem);
    *arr = p;
    *cap = nc;
    return true;
}

static const vkg__gpass *vkg__gp(const vkg__ctx *c, uint32_t k)
{
    return &c->g->passes[c->order[k]];
}

/* Graphs touch their resources in no particular order, and the per-resource state of 10,000
 * passes (~20 MiB) is larger than the caches: each sweep asks for the entries of the
 * resources a pass a little ahead will use (`base` + resource * `stride`) while it works on
 * this one, so the misses overlap the work instead of stalling it. */
#define VKG__AHEAD 2u
static void vkg__prefetch(const vkg_graph *g, uint32_t graph_pass, const void *base, size_t stride)
{
    if (graph_pass >= g->pass_count) return;
    const vkg__gpass *gp = &g->passes[graph_pass];
    for (uint32_t i = 0; i < gp->use_count; i++)
        __builtin_prefetch((const char *)base + stride * g->uses[gp->first_use + i].resource);
}

/* ------------------------------------------------------------------------------------------
 * Whole-graph validation (rules that need caps or every pass)
 * ---------------------------------------------------------------------------------------- */
static const struct {
    VkAccessFlags2 access;
    VkFormatFeatureFlags feature;
    const char *what;
} vkg__format_needs[] = {
    {VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
     VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT, "storage image"},
    {VK_ACCESS_2_SHADER_SAMPLED_READ_BIT, VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT, "sampled image"},
    {VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
     VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT, "color attachment"},
    {VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
     VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT, "depth attachment"},
};

static vkg_result vkg__validate_formats(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    for (uint32_t p = 0; p < g->pass_count; p++) {
        const vkg__gpass *gp = &g->passes[p];
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            if (!r->is_image) continue;
            const vkg_access_info *a = vkg_access_get(u->access);
            VkFormatFeatureFlags have = vkg_caps_format_features(c->caps, r->format);
            for (size_t j = 0; j < VKG__ARRAY_COUNT(vkg__format_needs); j++) {
                if (!(a->access & vkg__format_needs[j].access)) continue;
                char at[300];
                VKG_CHECK(&g->host, have & vkg__format_needs[j].feature,
                          VKG_ERROR_FEATURE_NOT_PRESENT,
                          "%spass \"%s\" uses image \"%s\" as \"%s\", but device \"%s\" has no "
                          "%s support for format %s: pick a format the device supports for that "
                          "use (vkgraph devices --formats lists what each format supports there)",
                          vkg__pass_origin(g, p, at, sizeof at), gp->name, r->name, a->name,
                          c->caps->device_name, vkg__format_needs[j].what,
                          vkg_format_name(r->format));
            }
        }
    }
    return VKG_SUCCESS;
}

/* Interval list helpers for buffers: sorted, disjoint, merged [lo, hi) ranges. */
typedef struct vkg__ranges {
    VkDeviceSize *v; /* lo, hi pairs */
    uint32_t count, cap;
} vkg__ranges;

static bool vkg__ranges_cover(const vkg__ranges *r, VkDeviceSize lo, VkDeviceSize hi)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (r->v[2 * i] <= lo && hi <= r->v[2 * i + 1]) return true;
    return false;
}

static bool vkg__ranges_overlap(const vkg__ranges *r, VkDeviceSize lo, VkDeviceSize hi)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (r->v[2 * i] < hi && lo < r->v[2 * i + 1]) return true;
    return false;
}

static void vkg__ranges_add(vkg__ctx *c, vkg__ranges *r, VkDeviceSize lo, VkDeviceSize hi)
{
    /* merge every range touching [lo, hi) into it, keep the rest in order */
    uint32_t w = 0;
    for (uint32_t i = 0; i < r->count; i++) {
        VkDeviceSize a = r->v[2 * i], b = r->v[2 * i + 1];
        if (b < lo || a > hi) {
            r->v[2 * w] = a;
            r->v[2 * w + 1] = b;
            w++;
        } else {
            lo = VKG__MIN(lo, a);
            hi = VKG__MAX(hi, b);
        }
    }
    r->count = w;
    uint32_t cap2 = r->cap;
    if (!vkg__agrow(c, (void **)&r->v, &cap2, 2 * (w + 1), sizeof(VkDeviceSize))) return;
    r->cap = cap2;
    uint32_t at = 0;
    while (at < w && r->v[2 * at] < lo) at++;
    memmove(&r->v[2 * (at + 1)], &r->v[2 * at], sizeof(VkDeviceSize) * 2 * (w - at));
    r->v[2 * at] = lo;
    r->v[2 * at + 1] = hi;
    r->count = w + 1;
}

/* Per-resource bit or range sets over subresources, for the two whole-graph sweeps. */
typedef struct vkg__subset {
    uint8_t *bits; /* images: one byte per subresource */
    vkg__ranges ranges;
} vkg__subset;

static vkg__subset *vkg__subsets_new(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    vkg__subset *s = vkg__arena_calloc(c->A, g->res_count ? g->res_count : 1, sizeof *s);
    uint8_t *bits = vkg__arena_calloc(c->A, g->sub_count ? g->sub_count : 1, 1);
    if (!s || !bits) {
        c->oom = true;
        return NULL;
    }
    for (uint32_t i = 0; i < g->res_count; i++)
        if (g->res[i].is_image) s[i].bits = bits + g->res[i].sub_first;
    return s;
}

/* A use reads when it is not a pure write (read-write accesses read too). */
static bool vkg__access_reads(const vkg_access_info *a)
{
    return !a->write || (a->access & ~VKG__WRITE_ACCESS);
}

/* Adds every subresource (or byte range) of `u` to `set`. */
static void vkg__subset_mark(vkg__ctx *c, vkg__subset *set, const vkg__gres *r, const vkg__guse *u)
{
    if (r->is_image) {
        uint32_t p0, p1;
        vkg__use_planes(c, r, u, &p0, &p1);
        for (uint32_t p = p0; p < p1; p++)
            for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                memset(&set->bits[vkg__sub_index(r, p, m, u->base_layer)], 1, u->layer_count);
    } else {
        vkg__ranges_add(c, &set->ranges, u->offset, u->offset + u->size);
    }
}

/* The pipeline stages whose access rows the device cannot run, and the feature each needs. */
typedef struct vkg__stage_need {
    VkPipelineStageFlags2 stage;
    const char *feature;
} vkg__stage_need;

static VkPipelineStageFlags2 vkg__missing_stages(const vkg_caps *caps, vkg__stage_need *need,
                                                 uint32_t *count)
{
    const struct {
        VkPipelineStageFlags2 stage;
        bool have;
        const char *feature;
    } rows[] = {
        {VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT, caps->geometry_shader, "geometryShader"},
        {VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT |
             VK_PIPELINE_STAGE_2_TESSELLATION_EVALUATION_SHADER_BIT,
         caps->tessellation_shader, "tessellationShader"},
        {VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT, caps->task_shader, "taskShader (VK_EXT_mesh_shader)"},
        {VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT, caps->mesh_shader, "meshShader (VK_EXT_mesh_shader)"},
        {VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR, caps->acceleration_structure,
         "accelerationStructure (VK_KHR_acceleration_structure)"},
        {VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR, caps->ray_tracing_pipeline,
         "rayTracingPipeline (VK_KHR_ray_tracing_pipeline)"},
    };
    VkPipelineStageFlags2 missing = 0;
    *count = 0;
    for (uint32_t i = 0; i < VKG__ARRAY_COUNT(rows); i++)
        if (!rows[i].have) {
            missing |= rows[i].stage;
            need[(*count)++] = (vkg__stage_need){rows[i].stage, rows[i].feature};
        }
    return missing;
}

/* A use the device cannot run: its row's stage needs a feature the device lacks, or it
 * reads an acceleration structure from a shader without ray queries. */
static vkg_result vkg__refuse_feature(vkg__ctx *c, uint32_t p, const vkg__guse *u,
                                      const vkg__stage_need *need, uint32_t count)
{
    const vkg_graph *g = c->g;
    const vkg_access_info *a = vkg_access_get(u->access);
    const char *feature = "rayQuery (VK_KHR_ray_query)";
    for (uint32_t i = 0; i < count; i++)
        if (a->stage & need[i].stage) feature = need[i].feature;
    char at[300];
    VKG__ERROR(&g->host,
               "%spass \"%s\" uses %s \"%s\" as \"%s\", which needs the %s feature, and "
               "device \"%s\" does not offer it: run the graph on a device that has it (vkgraph "
               "devices lists them), or use another access",
               vkg__pass_origin(g, p, at, sizeof at), g->passes[p].name,
               vkg__res_kind(&g->res[u->resource]), g->res[u->resource].name, a->name, feature,
               c->caps->device_name);
    return VKG_ERROR_FEATURE_NOT_PRESENT;
}

static bool vkg__needs_ray_query(const vkg__ctx *c, const vkg_access_info *a)
{
    return !c->caps->ray_query && (a->access & VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR) &&
           !(a->stage & (VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                         VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR));
}

/* Sizes the device cannot have (zero in caps: not known, not checked). */
static vkg_result vkg__validate_limits(vkg__ctx *c)
{
    const vkg_graph *g = c->g;
    const vkg_caps *caps = c->caps;
    vkg__stage_need need[8];
    uint32_t need_count;
    VkPipelineStageFlags2 missing = vkg__missing_stages(caps, need, &need_count);
    for (uint32_t i = 0; i < g->res_count; i++) {
        const vkg__gres *r = &g->res[i];
        const vkg_access_info *sa = vkg_access_get(r->state.access);
        if (r->imported && sa && ((sa->stage & missing) || vkg__needs_ray_query(c, sa))) {
            const char *feature = "rayQuery (VK_KHR_ray_query)";
            for (uint32_t k = 0; k < need_count; k++)
                if (sa->stage & need[k].stage) feature = need[k].feature;
            VKG__ERROR(&g->host,
                       "%s \"%s\": its imported state \"%s\" needs the %s feature, and device "
                       "\"%s\" does not offer it: give the state of the access that last used it "
                       "on this device",
                       vkg__res_kind(r), r->name, sa->name, feature, caps->device_name);
            return VKG_ERROR_FEATURE_NOT_PRESENT;
        }
        if (!r->is_image) {
            VKG_CHECK(&g->host, !caps->max_buffer_size || r->size <= caps->max_buffer_size, VKG_ERROR_LIMIT,
                      "buffer \"%s\": %llu bytes exceed maxBufferSize %llu of device \"%s\"", r->name,
                      (unsigned long long)r->size, (unsigned long long)caps->max_buffer_size,
                      caps->device_name);
            continue;
        }
        uint32_t dim = caps->max_image_dimension_2d;
        VKG_CHECK(&g->host, r->depth > 1 || !dim || (r->width <= dim && r->height <= dim), VKG_ERROR_LIMIT,
                  "image \"%s\": %ux%u exceeds maxImageDimension2D %u of device \"%s\"", r->name,
                  r->width, r->height, dim, caps->device_name);
        VKG_CHECK(&g->host, !caps->max_image_array_layers || r->layers <= caps->max_image_array_layers,
                  VKG_ERROR_LIMIT, "image \"%s\": %u layers exceed maxImageArrayLayers %u of device \"%s\"",
                  r->name, r->layers, caps->max_image_array_layers, caps->device_name);
    }
    return VKG_SUCCESS;
}

/* A transient subresource must be written before it is read (declaration order, all
 * passes, before culling: the rule is about the graph as written). Also: every use's row
 * is one the device can run. */
static vkg_result vkg__validate_reads(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    vkg__subset *written = vkg__subsets_new(c);
    if (!written) return VKG__OOM(&g->host, "compile scratch");
    uint32_t *present_pass = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->res_count + 1), 4);
    if (!present_pass) return VKG__OOM(&g->host, "compile scratch");
    for (uint32_t i = 0; i < g->res_count; i++) present_pass[i] = VKG__NO_INDEX;
    vkg__stage_need need[8];
    uint32_t need_count;
    VkPipelineStageFlags2 missing = vkg__missing_stages(c->caps, need, &need_count);
    for (uint32_t p = 0; p < g->pass_count; p++) {
        const vkg__gpass *gp = &g->passes[p];
        vkg__prefetch(g, p + VKG__AHEAD, g->res, sizeof *g->res);
        vkg__prefetch(g, p + VKG__AHEAD, written, sizeof *written);
        if (gp->resolves) {
            vkg_result rr = vkg__check_resolves(g, gp->name, &g->uses[gp->first_use], gp->use_count);
            if (rr != VKG_SUCCESS) return rr;
        }
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            char sub[192], at[300];
            if (present_pass[u->resource] != VKG__NO_INDEX &&
                present_pass[u->resource] != p) {
                VKG__ERROR(&g->host,
                           "%spass \"%s\" uses %s after pass \"%s\" presented it: present must "
                           "be an image's last use in a graph: move the present to the end",
                           vkg__pass_origin(g, p, at, sizeof at), gp->name,
                           vkg__use_subresource(r, u, sub, sizeof sub),
                           g->passes[present_pass[u->resource]].name);
                return VKG_ERROR_INVALID_ARGUMENT;
            }
            if (u->access == VKG_ACCESS_PRESENT) present_pass[u->resource] = p;
            if ((a->stage & missing) || vkg__needs_ray_query(c, a))
                return vkg__refuse_feature(c, p, u, need, need_count);
            if (r->imported) continue;
            if (!vkg__access_reads(a)) continue;
            bool ok = true;
            if (r->is_image) {
                uint32_t p0, p1;
                vkg__use_planes(c, r, u, &p0, &p1);
                for (uint32_t pl = p0; ok && pl < p1; pl++)
                    for (uint32_t m = u->base_mip; ok && m < u->base_mip + u->mip_count; m++)
                        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                            if (!written[u->resource].bits[vkg__sub_index(r, pl, m, l)]) {
                                ok = false;
                                break;
                            }
            } else {
                ok = vkg__ranges_cover(&written[u->resource].ranges, u->offset,
                                       u->offset + u->size);
            }
            if (!ok) {
                VKG__ERROR(&g->host,
                           "%spass \"%s\" reads %s as \"%s\", but no earlier pass writes it "
                           "(transient resources start undefined): write it in an earlier pass, "
                           "or import it",
                           vkg__pass_origin(g, p, at, sizeof at), gp->name,
                           vkg__use_subresource(r, u, sub, sizeof sub), a->name);
                return VKG_ERROR_INVALID_ARGUMENT;
            }
        }
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            if (r->imported || !vkg_access_get(u->access)->write) continue;
            vkg__subset_mark(c, &written[u->resource], r, u);
        }
        if (c->oom) return VKG__OOM(&g->host, "compile scratch");
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Culling: a backward sweep. A pass lives when it has side effects, writes an imported or
 * output resource, presents or hands data to the host, or writes a subresource that a later
 * live pass reads. Writes do not kill earlier writes (a storage write may be partial).
 * ---------------------------------------------------------------------------------------- */
static vkg_result vkg__cull(vkg__ctx *c, uint8_t *live)
{
    vkg_graph *g = c->g;
    vkg__subset *needed = vkg__subsets_new(c);
    if (!needed) return VKG__OOM(&g->host, "compile scratch");
    for (uint32_t p = g->pass_count; p-- > 0;) {
        const vkg__gpass *gp = &g->passes[p];
        if (p >= VKG__AHEAD) {
            vkg__prefetch(g, p - VKG__AHEAD, g->res, sizeof *g->res);
            vkg__prefetch(g, p - VKG__AHEAD, needed, sizeof *needed);
        }
        bool keep = gp->side_effects;
        for (uint32_t i = 0; i < gp->use_count && !keep; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            if (u->access == VKG_ACCESS_PRESENT || u->access == VKG_ACCESS_HOST_READ) keep = true;
            if (!a->write) continue;
            if (r->imported || r->output) {
                keep = true;
            } else if (r->is_image) {
                uint32_t p0, p1;
                vkg__use_planes(c, r, u, &p0, &p1);
                for (uint32_t pl = p0; !keep && pl < p1; pl++)
                    for (uint32_t m = u->base_mip; !keep && m < u->base_mip + u->mip_count; m++)
                        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++)
                            if (needed[u->resource].bits[vkg__sub_index(r, pl, m, l)]) {
                                keep = true;
                                break;
                            }
            } else {
                keep = vkg__ranges_overlap(&needed[u->resource].ranges, u->offset,
                                           u->offset + u->size);
            }
        }
        live[p] = keep;
        if (!keep) continue;
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            if (!vkg__access_reads(vkg_access_get(u->access))) continue;
            vkg__subset_mark(c, &needed[u->resource], r, u);
        }
        if (c->oom) return VKG__OOM(&g->host, "compile scratch");
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Queues
 * ---------------------------------------------------------------------------------------- */
static vkg_result vkg__map_queues(vkg__ctx *c)
{
    const vkg_caps *caps = c->caps;
    c->nq = 0;
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
        uint32_t fam = caps->role_family[role];
        VKG_CHECK(&c->g->host, fam < caps->queue_family_count && fam < VKG_MAX_QUEUE_FAMILIES,
                  VKG_ERROR_INVALID_ARGUMENT,
                  "caps of \"%s\": the %s role maps to queue family %u, but there are %u "
                  "families: fill role_family from the device (vkg_device_caps)",
                  caps->device_name, vkg_queue_role_name((vkg_queue_role)role), fam,
                  caps->queue_family_count);
        /* roles of one family share a queue, unless the device splits them */
        uint32_t q = caps->queue_split ? c->nq : 0;
        while (q < c->nq && c->q_family[q] != fam) q++;
        if (q == c->nq) {
            c->q_family[q] = fam;
            c->q_role[q] = (vkg_queue_role)role;
            c->nq++;
        }
        c->role_queue[role] = (uint8_t)q;
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Usage flags a transient needs for its accesses
 * ---------------------------------------------------------------------------------------- */
static const struct {
    VkAccessFlags2 access;
    VkImageUsageFlags image;
    VkBufferUsageFlags buffer;
} vkg__usage_of[] = {
    {VK_ACCESS_2_INDIRECT_COMMAND_READ_BIT, 0, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT},
    {VK_ACCESS_2_INDEX_READ_BIT, 0, VK_BUFFER_USAGE_INDEX_BUFFER_BIT},
    {VK_ACCESS_2_VERTEX_ATTRIBUTE_READ_BIT, 0, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT},
    {VK_ACCESS_2_UNIFORM_READ_BIT, 0, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT},
    {VK_ACCESS_2_SHADER_SAMPLED_READ_BIT, VK_IMAGE_USAGE_SAMPLED_BIT,
     VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT},
    {VK_ACCESS_2_SHADER_STORAGE_READ_BIT | VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT,
     VK_IMAGE_USAGE_STORAGE_BIT, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT},
    {VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
     VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, 0},
    {VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
     VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, 0},
    {VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
     VK_BUFFER_USAGE_TRANSFER_SRC_BIT},
    {VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_IMAGE_USAGE_TRANSFER_DST_BIT,
     VK_BUFFER_USAGE_TRANSFER_DST_BIT},
    /* the acceleration-structure rows (compiled only where the device has them) */
    {VK_ACCESS_2_SHADER_READ_BIT, 0, VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_BUILD_INPUT_READ_ONLY_BIT_KHR},
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR, 0,
     VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR},
    /* written by builds: the structure's storage or the build's scratch */
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR, 0,
     VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT},
};

/* ------------------------------------------------------------------------------------------
 * Synchronization sweep
 * ---------------------------------------------------------------------------------------- */
static void vkg__push_half(vkg__ctx *c, uint32_t slot, const vkg_plan_barrier *b,
                           uint32_t partner, VkPipelineStageFlags2 other_stage,
                           VkAccessFlags2 other_access)
{
    if (!vkg__agrow(c, (void **)&c->bars, &c->bar_cap, c->bar_count + 1, sizeof *c->bars)) return;
    c->bars[c->bar_count] = (vkg__pbar){.b = *b, .slot = slot, .partner = partner,
                                        .seq = c->bar_count, .other_stage = other_stage,
                                        .other_access = other_access};
    c->bar_count++;
}

static void vkg__push_bar(vkg__ctx *c, uint32_t slot, const vkg_plan_barrier *b)
{
    vkg__push_half(c, slot, b, VKG__NO_INDEX, 0, 0);
}

/* One queue-family ownership transfer: its release in `rel_slot`, its acquire in
 * `acq_slot`, both from the same record (same range, families and layouts). */
static void vkg__push_transfer(vkg__ctx *c, uint32_t rel_slot, const vkg_plan_barrier *rel,
                               uint32_t acq_slot, const vkg_plan_barrier *acq)
{
    vkg__push_half(c, rel_slot, rel, acq_slot, acq->dst_stage, acq->dst_access);
    vkg__push_half(c, acq_slot, acq, rel_slot, rel->src_stage, rel->src_access);
}

static void vkg__push_wait(vkg__ctx *c, uint32_t k, uint32_t qa, uint32_t point,
                           VkPipelineStageFlags2 stage)
{
    uint32_t qc = c->pqueue[k];
    /* Points are producer pass + 1, the prologue 0. A wait on a later point of the same queue
     * with a stage mask that covers ours already orders us: semaphore waits cover every later
     * command of the waiting queue in those stages. */
    uint32_t pt = point == VKG__NO_INDEX ? 0 : point + 1;
    uint32_t lp = c->last_wait_point[qc][qa];
    if (lp != VKG__NO_INDEX && pt <= lp && (stage & ~c->last_wait_stage[qc][qa]) == 0) return;
    if (!vkg__agrow(c, (void **)&c->waits, &c->wait_cap, c->wait_count + 1, sizeof *c->waits))
        return;
    c->waits[c->wait_count++] = (vkg__pwait){k, qa, point, stage};
    c->has_wait[k] = 1;
    if (point == VKG__NO_INDEX) c->q_prologue[qa] = 1;
    if (lp == VKG__NO_INDEX || pt > lp) {
        c->last_wait_point[qc][qa] = pt;
        c->last_wait_stage[qc][qa] = stage;
    } else if (pt == lp) {
        c->last_wait_stage[qc][qa] |= stage;
    }
}

static uint32_t vkg__event_for(vkg__ctx *c, uint32_t set_pass, uint32_t wait_pass)
{
    for (uint32_t e = c->first_event_of_pass; e < c->event_count; e++)
        if (c->events[e].set_pass == set_pass) return e;
    if (!vkg__agrow(c, (void **)&c->events, &c->event_cap, c->event_count + 1, sizeof *c->events))
        return 0;
    c->events[c->event_count] = (vkg_plan_event){set_pass, wait_pass, 0, 0};
    return c->event_count++;
}

/* Summary of an alias predecessor's final state: what the next occupant must wait for. */
static void vkg__summarize(vkg__ctx *c, uint32_t ri)
{
    vkg__rws *w = &c->rws[ri];
    if (w->summary_done) return;
    const vkg__gres *r = &c->g->res[ri];
    VkPipelineStageFlags2 st = 0;
    VkAccessFlags2 ac = 0;
    uint32_t count = r->is_image ? vkg__planes(r) * r->mips * r->layers : w->seg_count;
    for (uint32_t i = 0; i < count; i++) {
        const vkg__sub *s = r->is_image ? &w->subs[i] : &w->segs[i].s;
        if (!s->init) continue;
        if (s->r_stage && !((s->r_stage & VK_PIPELINE_STAGE_2_HOST_BIT) && s->has_w)) {
            st |= s->r_stage;
        } else if (s->r_stage) {
            st |= s->r_stage | s->w_stage; /* host reads do not chain (see vkg__use_state) */
            ac |= s->w_access;
        } else if (s->has_w) {
            st |= s->w_stage;
            ac |= s->w_access;
        }
    }
    w->sum_stage = st;
    w->sum_access = ac;
    w->sum_queue = (uint8_t)w->last_queue;
    w->summary_done = true;
}

static void vkg__init_sub(vkg__ctx *c, uint32_t k, uint32_t ri, vkg__sub *s)
{
    const vkg__gres *r = &c->g->res[ri];
    vkg__rws *w = &c->rws[ri];
    memset(s, 0, sizeof *s);
    s->init = 1;
    s->owner = NOQ;
    s->layout = VK_IMAGE_LAYOUT_UNDEFINED;
    s->w_pass = s->r_pass = s->last_pass = VKG__NO_INDEX;
    if (r->imported) {
        const vkg_access_info *a = vkg_access_get(r->state.access);
        /* the first use always gets a barrier flagged IMPORTED, even where the assumed
         * state needs none: the executor patches its source side from the tracked state */
        s->from_import = 1;
        if (r->state.access == VKG_ACCESS_NONE) return;
        s->owner = c->role_queue[r->state.queue];
        s->defined = 1;
        s->has_w = 1;
        s->layout = r->is_image ? a->layout : VK_IMAGE_LAYOUT_UNDEFINED;
        s->w_stage = a->stage;
        if (a->write) {
            s->w_access = a->access & VKG__WRITE_ACCESS;
        } else {
            s->r_stage = a->stage;
            s->visible = vkg__rows_covered(a->stage, a->access);
        }
        return;
    }
    /* Alias predecessors: those that ended on the queue of this first use are waited for by
     * its barrier (their last stages and writes become the source); those that ended on
     * another queue by a semaphore wait on their last pass, all commands, with which the
     * barrier then chains (an execution dependency from ALL_COMMANDS). */
    uint32_t q = c->pqueue[k];
    for (uint32_t i = 0; i < w->pred_count; i++) {
        vkg__summarize(c, w->preds[i]);
        const vkg__rws *p = &c->rws[w->preds[i]];
        if (!p->sum_stage && !p->sum_access) continue;
        s->has_w = 1;
        s->from_alias = 1;
        s->owner = (uint8_t)q;
        if (p->sum_queue != q) {
            vkg__push_wait(c, k, p->sum_queue, p->last_real, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
            s->w_stage |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            continue;
        }
        if (s->last_pass == VKG__NO_INDEX || p->last_real > s->last_pass)
            s->last_pass = p->last_real;
        s->w_stage |= p->sum_stage;
        s->w_access |= p->sum_access;
    }
}

static void vkg__accumulate(vkg__ctx *c, uint32_t k, uint32_t ri, uint32_t index, vkg__sub *s,
                            const vkg_access_info *a)
{
    if (!s->init) vkg__init_sub(c, k, ri, s);
    if (s->stamp == k + 1 && a->layout != (VkImageLayout)s->p_layout && c->g->res[ri].is_image &&
        c->clash_res == VKG__NO_INDEX) {
        /* only where both planes of an image share one layout (vkg__use_planes): the graph
         * refused overlapping uses with different layouts when the pass was added */
        c->clash_res = ri;
        c->clash_layout = a->layout;
        c->clash_with = s->p_layout;
    }
    if (s->stamp != k + 1) {
        s->stamp = k + 1;
        s->p_stage = 0;
        s->p_access = 0;
        s->p_rows = 0;
        s->p_write = 0;
        s->p_layout = a->layout;
        if (!vkg__agrow(c, (void **)&c->touched, &c->touch_cap, c->touch_count + 1,
                        sizeof *c->touched))
            return;
        c->touched[c->touch_count++] = (vkg__touch){ri, index};
    }
    s->p_stage |= a->stage;
    s->p_access |= a->access;
    if (a->write) s->p_write = 1;
    else s->p_rows |= vkg__read_row_bit((vkg_access)(a - vkg_access_get(VKG_ACCESS_NONE)));
}

/* Read merging: the stages and accesses of the later reads of image subresource `index`
 * on queue `q` in layout `layout`, up to the next pass that writes it, moves it to another
 * layout or queue (or touches it from the host), looking at most VKG__LOOKAHEAD passes
 * ahead. A barrier that makes a write visible to this pass's read makes it visible to those
 * too, so they need no barrier of their own (the lighting pass reading depth and normals
 * after SSAO read them: one barrier, not two). */
#define VKG__LOOKAHEAD 32u
static void vkg__later_reads(const vkg__ctx *c, uint32_t k, uint32_t ri, uint32_t index,
                             uint32_t q, VkImageLayout layout, VkPipelineStageFlags2 *stage,
                             VkAccessFlags2 *access)
{
    const vkg_graph *g = c->g;
    const vkg__gres *r = &g->res[ri];
    uint32_t plane = index / (r->mips * r->layers);
    uint32_t mip = index / r->layers % r->mips, layer = index % r->layers;
    /* the resource's own later uses, pass by pass: linear in them, not in the passes between */
    for (uint32_t u2 = c->next_use[c->rws[ri].cur_use]; u2 != VKG__NO_INDEX;) {
        uint32_t k2 = c->use_pass[u2];
        if (k2 > k + VKG__LOOKAHEAD) return;
        VkPipelineStageFlags2 st = 0;
        VkAccessFlags2 ac = 0;
        bool touched = false, stop = false;
        for (; u2 != VKG__NO_INDEX && c->use_pass[u2] == k2; u2 = c->next_use[u2]) {
            const vkg__guse *u = &g->uses[u2];
            uint32_t p0, p1;
            vkg__use_planes(c, r, u, &p0, &p1);
            if (mip < u->base_mip || mip >= u->base_mip + u->mip_count ||
                layer < u->base_layer || layer >= u->base_layer + u->layer_count || plane < p0 ||
                plane >= p1)
                continue;
            const vkg_access_info *a = vkg_access_get(u->access);
            touched = true;
            if (a->write || a->layout != layout || (a->stage & VK_PIPELINE_STAGE_2_HOST_BIT))
                stop = true;
            st |= a->stage;
            ac |= a->access;
        }
        if (!touched) continue;
        if (stop || c->pqueue[k2] != q) return;
        *stage |= st;
        *access |= ac;
    }
}

/* Whether a resource is shared concurrently between families (vkg_sharing): then no
 * ownership transfers, only the semaphores and layout changes of queues of one family. */
static bool vkg__concurrent(const vkg__ctx *c, const vkg__gres *r)
{
    return r->sharing == VKG_SHARING_CONCURRENT ||
           (r->sharing == VKG_SHARING_DEFAULT && c->caps->sharing == VKG_SHARING_CONCURRENT);
}

static void vkg__sync_sub(vkg__ctx *c, uint32_t k, const vkg__touch *t, vkg__sub *s)
{
    const vkg__gres *r = &c->g->res[t->res];
    uint32_t q = c->pqueue[k];
    VkPipelineStageFlags2 ds = s->p_stage;
    /* The host stage does not execute inside a command buffer, so nothing chains through
     * it: a barrier or semaphore wait whose destination is only HOST orders no later
     * barrier. Host accesses therefore stand on the device timeline as ALL_COMMANDS too,
     * which every later barrier's source (the stages recorded here) then chains with. */
    if (ds & VK_PIPELINE_STAGE_2_HOST_BIT) ds |= VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    VkAccessFlags2 da = s->p_access;
    VkImageLayout nl = r->is_image ? (VkImageLayout)s->p_layout : VK_IMAGE_LAYOUT_UNDEFINED;
    VkImageLayout ol = r->is_image ? (VkImageLayout)s->layout : VK_IMAGE_LAYOUT_UNDEFINED;
    bool relayout = r->is_image && ol != nl;
    bool wr = s->p_write;
    bool modifies = wr || relayout;

    vkg_plan_barrier b = {.resource = t->res,
                          .src_family = VK_QUEUE_FAMILY_IGNORED,
                          .dst_family = VK_QUEUE_FAMILY_IGNORED,
                          .old_layout = ol,
                          .new_layout = nl,
                          .dst_stage = ds,
                          .dst_access = da};
    if (r->is_image) {
        uint32_t plane = t->index / (r->mips * r->layers);
        b.base_mip = t->index / r->layers % r->mips;
        b.mip_count = 1;
        b.base_layer = t->index % r->layers;
        b.layer_count = 1;
        b.aspect = vkg__plane_aspect(r, plane, 1);
    } else {
        const vkg__seg *sg = &c->rws[t->res].segs[t->index];
        b.offset = sg->lo;
        b.size = sg->hi - sg->lo;
    }
    uint32_t flags = (s->from_import ? VKG_BARRIER_IMPORTED : 0) |
                     (s->from_alias ? VKG_BARRIER_ALIAS : 0);
    if (r->is_image && ol == VK_IMAGE_LAYOUT_UNDEFINED && relayout) flags |= VKG_BARRIER_DISCARD;

    if (s->owner != NOQ && s->owner != q) {
        /* queues of one family (split roles) share ownership: a semaphore wait orders and
         * makes memory visible, and a barrier is needed only for a layout change */
        bool same_family = c->q_family[s->owner] == c->q_family[q] || vkg__concurrent(c, r);
        bool waited = false, had_w = s->has_w;
        if (s->defined && !same_family) {
            /* queue-family ownership transfer: release after the owner's last use, wait on
             * its timeline, acquire here (spec: "Queue Family Ownership Transfer") */
            vkg_plan_barrier rel = b;
            rel.src_stage = s->w_stage | s->r_stage;
            rel.src_access = s->w_access;
            rel.dst_stage = VK_PIPELINE_STAGE_2_NONE;
            rel.dst_access = VK_ACCESS_2_NONE;
            rel.src_family = c->q_family[s->owner];
            rel.dst_family = c->q_family[q];
            rel.flags = flags | VKG_BARRIER_RELEASE;
            uint32_t slot = s->last_pass == VKG__NO_INDEX ? 2 * c->n + s->owner
                                                          : 2 * s->last_pass + 1;
            vkg__push_wait(c, k, s->owner, s->last_pass, ds);
            b.src_stage = ds; /* chains with the semaphore wait's stage mask */
            b.src_access = VK_ACCESS_2_NONE;
            b.src_family = rel.src_family;
            b.dst_family = rel.dst_family;
            b.flags = flags | VKG_BARRIER_ACQUIRE;
            vkg__push_transfer(c, slot, &rel, 2 * k, &b);
        } else {
            /* undefined contents, or another queue of the same family: no transfer; order
             * after the other queue's accesses */
            if ((s->has_w || s->r_stage || s->defined) && s->last_pass != VKG__NO_INDEX) {
                vkg__push_wait(c, k, s->owner, s->last_pass, ds);
                waited = true;
            }
            /* an imported resource's first use always gets its barrier: the executor
             * fills in the tracked layout and accesses, which may differ from the declared */
            if (relayout || s->from_import) {
                if (!s->defined && relayout) {
                    b.old_layout = VK_IMAGE_LAYOUT_UNDEFINED;
                    flags |= VKG_BARRIER_DISCARD;
                }
                b.src_stage = waited ? ds : VK_PIPELINE_STAGE_2_NONE;
                b.src_access = VK_ACCESS_2_NONE;
                b.flags = flags;
                vkg__push_bar(c, 2 * k, &b);
            }
        }
        /* The acquire (or a layout transition, or the semaphore wait on another queue's
         * write-like anchor) is the new anchor on this queue: a later access here in other
         * stages than this pass's must chain with it (a host read after a compute read of
         * an image another queue moved to GENERAL is ordered after that transition only
         * through a barrier from the waited stages). Undefined contents taken over with none
         * of them leave nothing to wait for but the reads made here. */
        bool anchor = s->defined || relayout || wr || (waited && had_w);
        s->owner = (uint8_t)q;
        s->has_w = anchor;
        s->w_stage = anchor ? ds : 0;
        s->w_access = wr ? (da & VKG__WRITE_ACCESS) : 0;
        s->w_pass = k;
        s->r_stage = wr ? 0 : ds;
        s->r_pass = wr ? VKG__NO_INDEX : k;
        s->visible = wr || !anchor ? 0 : vkg__rows_covered(ds, da);
    } else {
        bool need = false;
        uint32_t src_pass = VKG__NO_INDEX;
        if (modifies) {
            if (s->r_stage) {
                b.src_stage = s->r_stage; /* write-after-read: execution dependency only */
                src_pass = s->r_pass;
                /* the host stage does not chain inside a command buffer: a write that was
                 * only made visible to host reads must be waited for itself */
                if ((s->r_stage & VK_PIPELINE_STAGE_2_HOST_BIT) && s->has_w) {
                    b.src_stage |= s->w_stage;
                    b.src_access = s->w_access;
                }
            } else if (s->has_w) {
                b.src_stage = s->w_stage;
                b.src_access = s->w_access;
                src_pass = s->w_pass;
            }
            need = b.src_stage != 0 || b.src_access != 0 || relayout;
        } else if (s->has_w && (s->p_rows & ~s->visible)) {
            b.src_stage = s->w_stage;
            b.src_access = s->w_access;
            src_pass = s->w_pass;
            need = true;
        }
        if (s->from_import) need = true;
        /* (not into a first-use barrier of an imported image: the executor rebuilds those
         * from the tracked state; not through host accesses, which chain nothing) */
        if (need && r->is_image && !wr && !(flags & VKG_BARRIER_IMPORTED) &&
            !(ds & VK_PIPELINE_STAGE_2_HOST_BIT)) {
            VkPipelineStageFlags2 ls = 0;
            VkAccessFlags2 la = 0;
            vkg__later_reads(c, k, t->res, t->index, q, nl, &ls, &la);
            b.dst_stage |= ls;
            b.dst_access |= la;
            ds |= ls;
            da |= la;
        }
        if (need) {
            b.flags = flags;
            uint32_t slot = 2 * k;
            if ((c->flags & VKG_COMPILE_SPLIT_BARRIERS) && src_pass < c->n && src_pass != k &&
                !(flags & (VKG_BARRIER_IMPORTED | VKG_BARRIER_ALIAS)) &&
                c->qpos[k] - c->qpos[src_pass] > 1) {
                uint32_t e = vkg__event_for(c, src_pass, k);
                b.flags |= VKG_BARRIER_SPLIT;
                b.event = e;
                slot = 2 * c->n + VKG_QUEUE_ROLE_COUNT + e;
            }
            vkg__push_bar(c, slot, &b);
        }
        if (modifies) {
            s->has_w = 1;
            s->w_stage = ds;
            s->w_access = wr ? (da & VKG__WRITE_ACCESS) : 0;
            s->w_pass = k;
            s->r_stage = wr ? 0 : ds;
            s->r_pass = wr ? VKG__NO_INDEX : k;
            s->visible = wr ? 0 : vkg__rows_covered(ds, da);
        } else if (r->is_image && (flags & VKG_BARRIER_IMPORTED)) {
            /* The executor may turn an imported image's first use into a layout transition
             * (its tracked layout is not the declared state's): later accesses on this queue
             * must chain with this barrier as with any transition, not count as reads after
             * reads of a layout they share (a texture declared sampled but just uploaded,
             * read in the vertex shader, then in a compute pass) */
            s->has_w = 1;
            s->w_stage = ds;
            s->w_access = 0;
            s->w_pass = k;
            s->r_stage = ds;
            s->r_pass = k;
            s->visible = vkg__rows_covered(ds, da);
        } else {
            if (need) s->visible |= vkg__rows_covered(ds, da);
            s->r_pass = s->r_stage == 0 || s->r_pass == k ? k : MULTI;
            s->r_stage |= ds;
        }
        s->owner = (uint8_t)q;
    }
    if (wr) s->defined = 1;
    s->layout = nl;
    s->last_pass = k;
    s->from_import = 0;
    s->from_alias = 0;
}

/* The segment holding byte `at` (segments are sorted and cover the buffer): binary search,
 * so buffers cut into many ranges stay cheap. */
static uint32_t vkg__seg_find(const vkg__rws *w, VkDeviceSize at)
{
    uint32_t lo = 0, hi = w->seg_count;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (w->segs[mid].lo <= at)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Splits buffer segments so that [lo, hi) starts and ends on segment boundaries. */
static bool vkg__seg_split(vkg__ctx *c, vkg__rws *w, VkDeviceSize at)
{
    uint32_t i = vkg__seg_find(w, at);
    if (at <= w->segs[i].lo || at >= w->segs[i].hi) return true;
    if (!vkg__agrow(c, (void **)&w->segs, &w->seg_cap, w->seg_count + 1, sizeof *w->segs))
        return false;
    memmove(&w->segs[i + 1], &w->segs[i], sizeof *w->segs * (w->seg_count - i));
    w->segs[i].hi = at;
    w->segs[i + 1].lo = at;
    w->seg_count++;
    return true;
}

/* One wait per (consumer pass, producer queue) on the latest point needed: a timeline
 * value covers every earlier submission of its queue. Only those points signal, so
 * producers are split into as few submissions as the dependencies allow. */
static void vkg__consolidate_waits(vkg__ctx *c)
{
    uint32_t o = 0;
    for (uint32_t i = 0; i < c->wait_count; i++) {
        vkg__pwait w = c->waits[i];
        uint32_t j = o;
        while (j > 0 && c->waits[j - 1].pass == w.pass) {
            if (c->waits[j - 1].queue == w.queue) break;
            j--;
        }
        if (j > 0 && c->waits[j - 1].pass == w.pass && c->waits[j - 1].queue == w.queue) {
            vkg__pwait *m = &c->waits[j - 1];
            uint32_t a = m->point == VKG__NO_INDEX ? 0 : m->point + 1;
            uint32_t b = w.point == VKG__NO_INDEX ? 0 : w.point + 1;
            if (b > a) m->point = w.point;
            m->stage |= w.stage;
        } else {
            c->waits[o++] = w;
        }
    }
    c->wait_count = o;
    for (uint32_t i = 0; i < o; i++)
        if (c->waits[i].point != VKG__NO_INDEX) c->signal[c->waits[i].point] = 1;
}

/* Ordering without a resource (vkg_pass_desc.after): a full barrier before the pass when the
 * earlier pass ran on its queue, else a semaphore wait on that pass (all commands). Culled
 * earlier passes did not run: nothing to wait for. */
static void vkg__order_after(vkg__ctx *c, uint32_t k, const vkg__gpass *gp)
{
    for (uint32_t i = 0; i < gp->after_count; i++) {
        uint32_t e = c->plan_of[gp->after[i]];
        if (e == VKG__NO_INDEX) continue;
        if (c->pqueue[e] == c->pqueue[k]) c->after_bar[k] = 1;
        else vkg__push_wait(c, k, c->pqueue[e], e, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    }
}

/* The subresource state of the next pass's resources (their entries were fetched a pass
 * earlier, so reading where the state lives is cheap). */
static void vkg__prefetch_state(const vkg__ctx *c, uint32_t graph_pass)
{
    const vkg_graph *g = c->g;
    const vkg__gpass *gp = &g->passes[graph_pass];
    for (uint32_t i = 0; i < gp->use_count; i++) {
        const vkg__guse *u = &g->uses[gp->first_use + i];
        const vkg__rws *w = &c->rws[u->resource];
        __builtin_prefetch(g->res[u->resource].is_image ? (const void *)&w->subs[0]
                                                        : (const void *)&w->segs[0]);
    }
}

static vkg_result vkg__sync_sweep(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    for (uint32_t k = 0; k < c->n; k++) {
        const vkg__gpass *gp = vkg__gp(c, k);
        if (k + VKG__AHEAD < c->n) {
            vkg__prefetch(g, c->order[k + VKG__AHEAD], g->res, sizeof *g->res);
            vkg__prefetch(g, c->order[k + VKG__AHEAD], c->rws, sizeof *c->rws);
        }
        if (k + 1 < c->n) vkg__prefetch_state(c, c->order[k + 1]);
        vkg__order_after(c, k, gp);
        c->touch_count = 0;
        c->first_event_of_pass = c->event_count;
        /* phase 1: buffer segment boundaries, so indices stay stable below */
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            if (g->res[u->resource].is_image) continue;
            vkg__rws *w = &c->rws[u->resource];
            if (!vkg__seg_split(c, w, u->offset) || !vkg__seg_split(c, w, u->offset + u->size))
                return VKG__OOM(&g->host, "compile scratch");
        }
        /* phase 2: what this pass does to each subresource */
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            vkg__rws *w = &c->rws[u->resource];
            w->cur_use = gp->first_use + i;
            if (r->is_image) {
                uint32_t p0, p1;
                vkg__use_planes(c, r, u, &p0, &p1);
                for (uint32_t p = p0; p < p1; p++)
                    for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                        for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                            uint32_t idx = vkg__sub_index(r, p, m, l);
                            vkg__accumulate(c, k, u->resource, idx, &w->subs[idx], a);
                        }
            } else {
                for (uint32_t s = vkg__seg_find(w, u->offset); s < w->seg_count; s++) {
                    vkg__seg *sg = &w->segs[s];
                    if (sg->lo >= u->offset + u->size) break;
                    vkg__accumulate(c, k, u->resource, s, &sg->s, a);
                }
            }
        }
        if (c->clash_res != VKG__NO_INDEX) {
            char at[300];
            VKG__ERROR(&g->host,
                       "%spass \"%s\" uses image \"%s\" in layouts %s and %s at once, but device "
                       "\"%s\" lacks separateDepthStencilLayouts, so its depth and stencil share "
                       "one layout: use matching accesses on both aspects, or split the pass",
                       vkg__pass_origin(g, c->order[k], at, sizeof at), gp->name,
                       g->res[c->clash_res].name, vkg_layout_name((VkImageLayout)c->clash_with),
                       vkg_layout_name((VkImageLayout)c->clash_layout), c->caps->device_name);
            return VKG_ERROR_INVALID_ARGUMENT;
        }
        /* phase 3: barriers, transfers, waits */
        for (uint32_t i = 0; i < c->touch_count; i++) {
            const vkg__touch *t = &c->touched[i];
            const vkg__gres *r = &g->res[t->res];
            vkg__rws *w = &c->rws[t->res];
            vkg__sub *s = r->is_image ? &w->subs[t->index] : &w->segs[t->index].s;
            vkg__sync_sub(c, k, t, s);
        }
        if (c->oom) return VKG__OOM(&g->host, "compile scratch");
    }
    vkg__consolidate_waits(c);
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Plan assembly
 * ---------------------------------------------------------------------------------------- */
static bool vkg__same_params(const vkg_plan_barrier *a, const vkg_plan_barrier *b)
{
    return a->resource == b->resource && a->aspect == b->aspect && a->src_stage == b->src_stage &&
           a->dst_stage == b->dst_stage && a->src_access == b->src_access &&
           a->dst_access == b->dst_access && a->old_layout == b->old_layout &&
           a->new_layout == b->new_layout && a->src_family == b->src_family &&
           a->dst_family == b->dst_family && a->flags == b->flags && a->event == b->event;
}

/* Two barriers of a slot may merge: equal parameters, and for transfer halves the other
 * halves in one slot too (where they merge the same way, having been pushed in the same
 * order). */
static bool vkg__may_merge(const vkg__pbar *a, const vkg__pbar *b)
{
    return a->partner == b->partner && a->other_stage == b->other_stage &&
           a->other_access == b->other_access && vkg__same_params(&a->b, &b->b);
}

/* Within a slot: barriers of their own first, then transfer halves grouped by the slot of
 * their other halves, each group in push order — the same order its other halves have in
 * their slot, so both merge alike. */
static int vkg__half_order(const void *pa, const void *pb)
{
    const vkg__pbar *a = pa, *b = pb;
    uint32_t ka = a->partner == VKG__NO_INDEX ? 0 : a->partner + 1;
    uint32_t kb = b->partner == VKG__NO_INDEX ? 0 : b->partner + 1;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void vkg__group_halves(vkg__pbar *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i].partner != VKG__NO_INDEX) {
            qsort(v, n, sizeof *v, vkg__half_order);
            return;
        }
}

/* Image barriers name at least one mip; buffer barriers none. Asking the barrier, not the
 * resource, keeps assembly from reading the resource table in barrier order (random access
 * that cost more than the merging itself on graphs of 10,000 passes). */
static bool vkg__image_barrier(const vkg_plan_barrier *b)
{
    return b->mip_count != 0;
}

/* Merges a slot's barriers: adjacent layers of one mip, then equal layer spans of adjacent
 * mips, then adjacent buffer ranges. Input order is use -> mip -> layer, so greedy is
 * enough for the rectangles passes declare. Returns the new count. */
static uint32_t vkg__merge(vkg__pbar *pv, uint32_t n)
{
    if (n < 2) return n;
    uint32_t o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = false;
        if (vkg__may_merge(&pv[o], &pv[i])) {
            if (vkg__image_barrier(a)) {
                merged = a->mip_count == 1 && b->mip_count == 1 && a->base_mip == b->base_mip &&
                         b->base_layer == a->base_layer + a->layer_count;
                if (merged) a->layer_count += b->layer_count;
            } else {
                merged = b->offset == a->offset + a->size;
                if (merged) a->size += b->size;
            }
        }
        if (!merged) pv[++o] = pv[i];
    }
    n = o + 1;
    o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = vkg__image_barrier(a) && vkg__may_merge(&pv[o], &pv[i]) &&
                      a->base_layer == b->base_layer && a->layer_count == b->layer_count &&
                      b->base_mip == a->base_mip + a->mip_count;
        if (merged) a->mip_count += b->mip_count;
        else pv[++o] = pv[i];
    }
    /* the depth and stencil planes of one range, in one barrier */
    n = o + 1;
    o = 0;
    for (uint32_t i = 1; i < n; i++) {
        vkg_plan_barrier *a = &pv[o].b, *b = &pv[i].b;
        bool merged = false;
        if (vkg__image_barrier(a) && a->aspect == VK_IMAGE_ASPECT_DEPTH_BIT &&
            b->aspect == VK_IMAGE_ASPECT_STENCIL_BIT && a->base_mip == b->base_mip &&
            a->mip_count == b->mip_count && a->base_layer == b->base_layer &&
            a->layer_count == b->layer_count) {
            b->aspect = a->aspect;
            merged = vkg__may_merge(&pv[o], &pv[i]);
            b->aspect = VK_IMAGE_ASPECT_STENCIL_BIT;
        }
        if (merged) a->aspect |= VK_IMAGE_ASPECT_STENCIL_BIT;
        else pv[++o] = pv[i];
    }
    return o + 1;
}

static uint64_t vkg__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static vkg_result vkg__assemble(vkg__ctx *c, vkg_plan *plan, const uint8_t *live,
                                const vkg__heap_ws *heaps, uint32_t nh)
{
    vkg_graph *g = c->g;
    vkg__arena *P = &plan->arena;
    vkg_plan_info *info = &plan->info;
    uint32_t n = c->n;
    memset(info, 0, sizeof *info);
    info->name = vkg__arena_strdup(P, g->name);

    /* barriers: stable counting sort by slot, then merge within each slot */
    uint32_t nslots = 2 * n + VKG_QUEUE_ROLE_COUNT + c->event_count;
    uint32_t *start = vkg__arena_calloc(c->A, nslots + 1, sizeof(uint32_t));
    if (!start || !info->name) return VKG__OOM(&g->host, "the plan");
    bool in_order = true; /* one queue, no releases or events: pushed slot by slot already */
    for (uint32_t i = 0; i < c->bar_count; i++) {
        start[c->bars[i].slot + 1]++;
        in_order &= i == 0 || c->bars[i - 1].slot <= c->bars[i].slot;
    }
    for (uint32_t s = 0; s < nslots; s++) start[s + 1] += start[s];
    vkg__pbar *sorted = c->bars;
    if (!in_order || !sorted) { /* (no barriers at all: an array to index all the same) */
        sorted = VKG__ARENA_NEW(c->A, vkg__pbar, c->bar_count + 1);
        uint32_t *fill = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
        if (!sorted || !fill) return VKG__OOM(&g->host, "compile scratch");
        memcpy(fill, start, sizeof(uint32_t) * (nslots + 1));
        for (uint32_t i = 0; i < c->bar_count; i++) sorted[fill[c->bars[i].slot]++] = c->bars[i];
    }
    vkg_plan_barrier *bars = VKG__ARENA_NEW(P, vkg_plan_barrier, c->bar_count + 1);
    uint32_t *slot_first = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
    uint32_t *slot_count = vkg__arena_alloc(c->A, sizeof(uint32_t) * (nslots + 1), 4);
    if (!bars || !slot_first || !slot_count) return VKG__OOM(&g->host, "the plan");
    uint32_t nb = 0;
    for (uint32_t s = 0; s < nslots; s++) {
        vkg__group_halves(&sorted[start[s]], start[s + 1] - start[s]);
        uint32_t cnt = vkg__merge(&sorted[start[s]], start[s + 1] - start[s]);
        for (uint32_t i = 0; i < cnt; i++) bars[nb + i] = sorted[start[s] + i].b;
        slot_first[s] = nb;
        slot_count[s] = cnt;
        nb += cnt;
    }
    info->barriers = bars;
    info->barrier_count = nb;

    /* queues and submissions */
    uint32_t qmap[VKG_QUEUE_ROLE_COUNT], nq = 0;
    for (uint32_t q = 0; q < c->nq; q++) {
        qmap[q] = VKG__NO_INDEX;
        if (c->q_len[q] || c->q_prologue[q]) qmap[q] = nq++;
    }
    vkg_plan_queue *queues = VKG__ARENA_NEW(P, vkg_plan_queue, nq + 1);
    uint32_t *queue_passes = VKG__ARENA_NEW(P, uint32_t, n + 1);
    vkg_plan_pass *passes = VKG__ARENA_NEW(P, vkg_plan_pass, n + 1);
    uint32_t *sub_of = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    /* at most one submission per pass plus one prologue per queue */
    vkg_plan_submission *subs = VKG__ARENA_NEW(P, vkg_plan_submission, n + VKG_QUEUE_ROLE_COUNT);
    vkg_plan_wait *waits = VKG__ARENA_NEW(P, vkg_plan_wait, c->wait_count + 1);
    if (!queues || !queue_passes || !passes || !sub_of || !subs || !waits)
        return VKG__OOM(&g->host, "the plan");
    uint32_t qp = 0, ns = 0;
    uint32_t q_first_sub[VKG_QUEUE_ROLE_COUNT] = {0};
    for (uint32_t q = 0; q < c->nq; q++) {
        if (qmap[q] == VKG__NO_INDEX) continue;
        vkg_plan_queue *pq = &queues[qmap[q]];
        *pq = (vkg_plan_queue){.role = c->q_role[q], .family = c->q_family[q], .first_pass = qp};
        q_first_sub[q] = ns;
        uint32_t prologue_slot = 2 * n + q;
        if (c->q_prologue[q] || slot_count[prologue_slot]) {
            subs[ns] = (vkg_plan_submission){.queue = qmap[q],
                                             .index = 0,
                                             .first_pass = qp,
                                             .first_prologue = slot_first[prologue_slot],
                                             .prologue_count = slot_count[prologue_slot]};
            ns++;
        }
        bool open = false;
        for (uint32_t k = 0; k < n; k++) {
            if (c->pqueue[k] != q) continue;
            if (!open || c->has_wait[k]) {
                subs[ns] = (vkg_plan_submission){.queue = qmap[q],
                                                 .index = ns - q_first_sub[q],
                                                 .first_pass = qp};
                ns++;
                open = true;
            }
            subs[ns - 1].pass_count++;
            sub_of[k] = ns - 1;
            queue_passes[qp++] = k;
            pq->pass_count++;
            if (c->signal[k]) open = false;
        }
        pq->submission_count = ns - q_first_sub[q];
    }
    /* waits: per consuming submission, one per producer queue (latest point, all stages) */
    uint32_t nw = 0;
    for (uint32_t i = 0; i < c->wait_count; i++) {
        const vkg__pwait *w = &c->waits[i];
        uint32_t s = sub_of[w->pass];
        uint32_t pq = qmap[w->queue];
        uint32_t psub = w->point == VKG__NO_INDEX ? 0 : sub_of[w->point] - q_first_sub[w->queue];
        if (subs[s].wait_count == 0) subs[s].first_wait = nw;
        uint32_t j = subs[s].first_wait;
        while (j < nw && waits[j].queue != pq) j++;
        if (j < nw) {
            if (psub > waits[j].submission) waits[j].submission = psub;
            waits[j].stage |= w->stage;
        } else {
            waits[nw++] = (vkg_plan_wait){pq, psub, w->stage};
            subs[s].wait_count++;
        }
    }
    /* waits were appended in pass order, and passes of one submission are consecutive in
     * plan order per queue, so each submission's waits are contiguous */
    for (uint32_t k = 0; k < n; k++) {
        const vkg__gpass *gp = vkg__gp(c, k);
        vkg_plan_pass *pp = &passes[k];
        *pp = (vkg_plan_pass){.name = vkg__arena_strdup(P, gp->name),
                              .graph_pass = c->order[k],
                              .role = gp->role,
                              .queue = qmap[c->pqueue[k]],
                              .submission = sub_of[k],
                              .first_barrier = slot_first[2 * k],
                              .barrier_count = slot_count[2 * k],
                              .first_post = slot_first[2 * k + 1],
                              .post_count = slot_count[2 * k + 1],
                              .record = gp->record,
                              .user = gp->user,
                              .after_barrier = c->after_bar[k] != 0};
        if (!pp->name) return VKG__OOM(&g->host, "the plan");
    }
    /* uses, resolved */
    uint32_t total_uses = 0;
    for (uint32_t k = 0; k < n; k++) total_uses += vkg__gp(c, k)->use_count;
    vkg_plan_use *uses = VKG__ARENA_NEW(P, vkg_plan_use, total_uses + 1);
    if (!uses) return VKG__OOM(&g->host, "the plan");
    total_uses = 0;
    for (uint32_t k = 0; k < n; k++) {
        const vkg__gpass *gp = vkg__gp(c, k);
        passes[k].first_use = total_uses;
        passes[k].use_count = gp->use_count;
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            const vkg__gres *r = &g->res[u->resource];
            /* attachment views of a depth/stencil image cover both aspects: a pass that
             * attaches depth and stencil attaches one view (VkRenderingInfo) */
            VkImageAspectFlags asp = !r->is_image ? 0
                                     : vkg_access_get(u->access)->aspect
                                         ? r->aspect
                                         : vkg__plane_aspect(r, u->plane0, u->plane_count);
            uses[total_uses++] = (vkg_plan_use){u->resource, u->access,  u->base_mip,
                                                u->mip_count, u->base_layer, u->layer_count,
                                                u->offset,   u->size,    asp};
        }
    }
    info->uses = uses;
    info->use_count = total_uses;
    /* events: ordered by the pass that sets them (counting sort), plus an index by the
     * pass that waits */
    vkg_plan_event *events = VKG__ARENA_NEW(P, vkg_plan_event, c->event_count + 1);
    uint32_t *wait_events = VKG__ARENA_NEW(P, uint32_t, c->event_count + 1);
    uint32_t *cnt = vkg__arena_calloc(c->A, n + 1, sizeof(uint32_t));
    uint32_t *newidx = vkg__arena_alloc(c->A, sizeof(uint32_t) * (c->event_count + 1), 4);
    if (!events || !wait_events || !cnt || !newidx) return VKG__OOM(&g->host, "the plan");
    for (uint32_t e = 0; e < c->event_count; e++) cnt[c->events[e].set_pass + 1]++;
    for (uint32_t k = 0; k < n; k++) cnt[k + 1] += cnt[k];
    for (uint32_t k = 0; k < n; k++) {
        passes[k].first_set_event = cnt[k];
        passes[k].set_event_count = cnt[k + 1] - cnt[k];
    }
    for (uint32_t e = 0; e < c->event_count; e++) {
        uint32_t ne = cnt[c->events[e].set_pass]++;
        uint32_t slot = 2 * n + VKG_QUEUE_ROLE_COUNT + e;
        newidx[e] = ne;
        events[ne] = c->events[e];
        events[ne].first_barrier = slot_first[slot];
        events[ne].barrier_count = slot_count[slot];
        for (uint32_t i = 0; i < slot_count[slot]; i++) bars[slot_first[slot] + i].event = ne;
    }
    /* events were created while processing their waiting pass, in pass order */
    for (uint32_t e = 0, k = 0; k <= n; k++) {
        if (k < n) passes[k].first_wait_event = e;
        while (e < c->event_count && c->events[e].wait_pass == k) wait_events[e] = newidx[e], e++;
        if (k < n) passes[k].wait_event_count = e - passes[k].first_wait_event;
    }
    info->wait_events = wait_events;

    info->passes = passes;
    info->pass_count = n;
    info->queues = queues;
    info->queue_count = nq;
    info->queue_passes = queue_passes;
    info->submissions = subs;
    info->submission_count = ns;
    info->waits = waits;
    info->wait_count = nw;
    info->events = events;
    info->event_count = c->event_count;

    /* culled */
    const char **culled = VKG__ARENA_NEW(P, const char *, g->pass_count - n + 1);
    if (!culled) return VKG__OOM(&g->host, "the plan");
    uint32_t nc = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) {
        if (live[p]) continue;
        culled[nc] = vkg__arena_strdup(P, g->passes[p].name);
        if (!culled[nc++]) return VKG__OOM(&g->host, "the plan");
    }
    info->culled = culled;
    info->culled_count = nc;

    /* resources and heaps */
    vkg_plan_resource *res = VKG__ARENA_NEW(P, vkg_plan_resource, g->res_count + 1);
    vkg_plan_heap *hp = VKG__ARENA_NEW(P, vkg_plan_heap, nh + 1);
    VkImageAspectFlags *aspects = VKG__ARENA_NEW(P, VkImageAspectFlags, g->res_count + 1);
    if (!res || !hp || !aspects) return VKG__OOM(&g->host, "the plan");
    uint64_t transient_bytes = 0, heap_bytes = 0;
    uint64_t peak_live = 0;
    for (uint32_t h = 0; h < nh; h++) {
        hp[h] = (vkg_plan_heap){heaps[h].type, heaps[h].top, heaps[h].resource_count,
                                heaps[h].peak_live};
        heap_bytes += heaps[h].top;
        peak_live += heaps[h].peak_live;
    }
    for (uint32_t i = 0; i < g->res_count; i++) {
        const vkg__gres *r = &g->res[i];
        const vkg__rws *w = &c->rws[i];
        aspects[i] = r->aspect;
        res[i] = (vkg_plan_resource){.name = vkg__arena_strdup(P, r->name),
                                     .is_image = r->is_image,
                                     .imported = r->imported,
                                     .output = r->output,
                                     .used = w->first != VKG__NO_INDEX,
                                     .format = r->format,
                                     .width = r->width,
                                     .height = r->height,
                                     .depth = r->depth,
                                     .mips = r->mips,
                                     .layers = r->layers,
                                     .samples = r->samples,
                                     .size = r->size,
                                     .image_usage = w->iu,
                                     .buffer_usage = w->bu,
                                     .first_pass = w->first,
                                     .last_pass = w->first == VKG__NO_INDEX ? VKG__NO_INDEX
                                                                            : w->last_real,
                                     .heap = w->heap,
                                     .offset = w->heap == VKG__NO_INDEX ? 0 : w->offset,
                                     .memory_size = w->heap == VKG__NO_INDEX ? 0 : w->req.size,
                                     .alignment = w->heap == VKG__NO_INDEX ? 0 : w->req.alignment,
                                     .memory_type_bits =
                                         w->heap == VKG__NO_INDEX ? 0 : w->req.memoryTypeBits,
                                     .state = r->state,
                                     .concurrent = vkg__concurrent(c, r)};
        if (!res[i].name) return VKG__OOM(&g->host, "the plan");
        if (w->heap == VKG__NO_INDEX) continue;
        transient_bytes += w->req.size;
        if (w->pred_count) {
            uint32_t *of = VKG__ARENA_NEW(P, uint32_t, w->pred_count);
            if (!of) return VKG__OOM(&g->host, "the plan");
            memcpy(of, w->preds, sizeof(uint32_t) * w->pred_count);
            res[i].alias_of = of;
            res[i].alias_of_count = w->pred_count;
        }
    }
    info->resources = res;
    info->resource_count = g->res_count;
    info->heaps = hp;
    info->heap_count = nh;
    plan->aspects = aspects;

    vkg_plan_stats *st = &info->stats;
    st->passes = n;
    st->culled = nc;
    st->submissions = ns;
    st->events = c->event_count;
    st->semaphores = nw;
    st->transient_bytes = transient_bytes;
    st->aliased_bytes = heap_bytes;
    st->peak_live_bytes = peak_live;
    for (uint32_t i = 0; i < nb; i++) {
        const vkg_plan_barrier *b = &bars[i];
        if (vkg__image_barrier(b)) st->image_barriers++;
        else st->buffer_barriers++;
        if (vkg__image_barrier(b) && b->old_layout != b->new_layout &&
            !(b->flags & VKG_BARRIER_RELEASE))
            st->layout_transitions++;
        if (b->flags & VKG_BARRIER_ACQUIRE) st->queue_transfers++;
    }
    for (uint32_t k = 0; k < n; k++) {
        if (!passes[k].after_barrier) continue;
        st->memory_barriers++;
        if (!slot_count[2 * k]) st->barrier_batches++; /* a batch of its own */
    }
    for (uint32_t s = 0; s < 2 * n + VKG_QUEUE_ROLE_COUNT; s++) {
        if (!slot_count[s]) continue;
        if (s < 2 * n && (s & 1) == 0) {
            /* pre slot: a pipeline barrier unless every barrier in it is split */
            bool plain = false;
            for (uint32_t i = 0; i < slot_count[s]; i++)
                if (!(bars[slot_first[s] + i].flags & VKG_BARRIER_SPLIT)) plain = true;
            if (plain) st->barrier_batches++;
        } else {
            st->barrier_batches++;
        }
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------------- */
vkg_result vkg_compile(vkg_graph *graph, const vkg_caps *caps, vkg_plan **plan)
{
    return vkg_compile_ex(graph, &(vkg_compile_desc){.caps = caps}, plan);
}

void vkg_plan_destroy(vkg_plan *plan)
{
    if (!plan) return;
    vkg__host host = plan->host;
    vkg__arena_destroy(&plan->arena);
    vkg__free(&host, plan);
}

void vkg_plan_get_info(const vkg_plan *plan, vkg_plan_info *out)
{
    if (!out) return;
    if (!plan) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = plan->info;
}

const char *vkg_compile_phase_name(vkg_compile_phase phase)
{
    static const char *const names[VKG_COMPILE_PHASE_COUNT] = {"validate", "cull",  "order",
                                                               "place",    "sync",  "assemble"};
    return (unsigned)phase < VKG_COMPILE_PHASE_COUNT ? names[phase] : NULL;
}

static vkg_result vkg__validate(vkg__ctx *c)
{
    vkg_result r = vkg__map_queues(c);
    if (r == VKG_SUCCESS) r = vkg__validate_formats(c);
    if (r == VKG_SUCCESS) r = vkg__validate_limits(c);
    if (r == VKG_SUCCESS) r = vkg__validate_reads(c);
    return r;
}

/* Working state per live pass and per resource: one block for every image subresource, one
 * segment per buffer to start with. */
static vkg_result vkg__workspace(vkg__ctx *c, const uint8_t *live)
{
    vkg_graph *g = c->g;
    uint32_t n = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) n += live[p];
    c->n = n;
    c->order = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    c->pqueue = vkg__arena_calloc(c->A, n + 1, 1);
    c->qpos = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    c->signal = vkg__arena_calloc(c->A, n + 1, 1);
    c->has_wait = vkg__arena_calloc(c->A, n + 1, 1);
    c->after_bar = vkg__arena_calloc(c->A, n + 1, 1);
    c->plan_of = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->pass_count + 1), 4);
    c->rws = vkg__arena_calloc(c->A, g->res_count + 1, sizeof *c->rws);
    vkg__sub *subs = vkg__arena_calloc(c->A, g->sub_count ? g->sub_count : 1, sizeof *subs);
    vkg__seg *segs = vkg__arena_calloc(c->A, g->res_count + 1, sizeof *segs);
    c->next_use = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->use_count + 1), 4);
    c->use_pass = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->use_count + 1), 4);
    if (!c->order || !c->pqueue || !c->qpos || !c->signal || !c->has_wait || !c->rws || !subs ||
        !segs || !c->next_use || !c->use_pass || !c->after_bar || !c->plan_of)
        return VKG__OOM(&g->host, "compile scratch");
    for (uint32_t a = 0; a < VKG_QUEUE_ROLE_COUNT; a++)
        for (uint32_t b = 0; b < VKG_QUEUE_ROLE_COUNT; b++)
            c->last_wait_point[a][b] = VKG__NO_INDEX;
    for (uint32_t i = 0; i < g->res_count; i++) {
        vkg__rws *w = &c->rws[i];
        const vkg__gres *res = &g->res[i];
        w->first = w->last = w->tail_use = VKG__NO_INDEX;
        if (res->is_image) {
            w->subs = subs + res->sub_first;
        } else {
            w->segs = &segs[i];
            w->seg_cap = 1;
            w->seg_count = 1;
            w->segs[0].lo = 0;
            w->segs[0].hi = res->size;
        }
    }
    return VKG_SUCCESS;
}

/* The order (declaration order of live passes), each pass's queue, each resource's lifetime
 * and the usage flags its accesses need. */
static void vkg__order(vkg__ctx *c, const uint8_t *live)
{
    vkg_graph *g = c->g;
    uint32_t k = 0;
    for (uint32_t p = 0; p < g->pass_count; p++) {
        vkg__prefetch(g, p + VKG__AHEAD, c->rws, sizeof *c->rws);
        c->plan_of[p] = live[p] ? k : VKG__NO_INDEX;
        if (!live[p]) continue;
        const vkg__gpass *gp = &g->passes[p];
        uint32_t q = c->role_queue[gp->role];
        c->order[k] = p;
        c->pqueue[k] = (uint8_t)q;
        c->qpos[k] = c->q_len[q]++;
        for (uint32_t i = 0; i < gp->use_count; i++) {
            uint32_t ui = gp->first_use + i;
            const vkg__guse *u = &g->uses[ui];
            vkg__rws *w = &c->rws[u->resource];
            const vkg_access_info *a = vkg_access_get(u->access);
            c->next_use[ui] = VKG__NO_INDEX;
            c->use_pass[ui] = k;
            if (w->tail_use != VKG__NO_INDEX) c->next_use[w->tail_use] = ui;
            w->tail_use = ui;
            if (w->first == VKG__NO_INDEX) {
                w->first = k;
                w->first_queue = q;
            }
            w->last = k;
            w->last_real = k;
            w->last_queue = q;
            for (size_t j = 0; j < VKG__ARRAY_COUNT(vkg__usage_of); j++) {
                if (!(a->access & vkg__usage_of[j].access)) continue;
                w->iu |= vkg__usage_of[j].image;
                w->bu |= vkg__usage_of[j].buffer;
            }
        }
        k++;
    }
}

static vkg_result vkg__compile(vkg_graph *g, const vkg_compile_desc *cd, vkg_plan *plan)
{
    uint64_t t[VKG_COMPILE_PHASE_COUNT + 1];
    t[0] = vkg__now_ns();
    vkg__ctx ctx = {.g = g,
                    .caps = cd->caps,
                    .flags = cd->flags | g->compile_flags,
                    .A = &g->scratch,
                    .split_planes = cd->caps->separate_depth_stencil_layouts,
                    .clash_res = VKG__NO_INDEX};
    vkg__ctx *c = &ctx;
    vkg__arena_reset(&g->scratch);
    vkg__arena_reset(&plan->arena);
    plan->graph = g;
    static _Atomic uint64_t serials;
    plan->serial = ++serials;

    vkg_result r = vkg__validate(c);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_VALIDATE + 1] = vkg__now_ns();

    uint8_t *live = vkg__arena_calloc(c->A, g->pass_count + 1, 1);
    if (!live) return VKG__OOM(&g->host, "compile scratch");
    r = vkg__cull(c, live);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_CULL + 1] = vkg__now_ns();

    r = vkg__workspace(c, live);
    if (r != VKG_SUCCESS) return r;
    vkg__order(c, live);
    t[VKG_COMPILE_PHASE_ORDER + 1] = vkg__now_ns();

    vkg__heap_ws *heaps = NULL;
    uint32_t nh = 0;
    r = vkg__place_transients(c, cd, &heaps, &nh);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_PLACE + 1] = vkg__now_ns();

    r = vkg__sync_sweep(c);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_SYNC + 1] = vkg__now_ns();

    r = vkg__assemble(c, plan, live, heaps, nh);
    if (r != VKG_SUCCESS) return r;
    t[VKG_COMPILE_PHASE_ASSEMBLE + 1] = vkg__now_ns();

    vkg_plan_stats *st = &plan->info.stats;
    for (uint32_t i = 0; i < VKG_COMPILE_PHASE_COUNT; i++) st->phase_ns[i] = t[i + 1] - t[i];
    st->compile_us = (t[VKG_COMPILE_PHASE_COUNT] - t[0]) / 1000u;
    return VKG_SUCCESS;
}

vkg_result vkg_compile_ex(vkg_graph *g, const vkg_compile_desc *cd, vkg_plan **plan)
{
    if (!g) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&g->host, cd && cd->caps && plan, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_compile(\"%s\"): caps and plan must not be NULL (vkg_caps_default or "
              "vkg_device_caps give caps)",
              g->name);
    vkg_plan *p = *plan;
    if (p && p->graph != g) {
        VKG__ERROR(&g->host,
                   "vkg_compile(\"%s\"): *plan was compiled from another graph: pass NULL for "
                   "a new plan or a plan of this graph to recompile in place",
                   g->name);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    if (!p) {
        p = vkg__calloc(&g->host, 1, sizeof *p);
        if (!p) return VKG__OOM(&g->host, "a plan");
        p->host = g->host;
        vkg__arena_init(&p->arena, &p->host, 16 * 1024);
    }
    vkg_result r = vkg__compile(g, cd, p);
    if (r != VKG_SUCCESS) {
        vkg_plan_destroy(p);
        *plan = NULL;
        return r;
    }
    *plan = p;
    return VKG_SUCCESS;
}
