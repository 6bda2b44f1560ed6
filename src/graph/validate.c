/* The graph compiler's whole-graph sweeps over declarations, before any ordering: the rules
 * that need the device's caps or every pass (formats, limits, features, a transient read
 * before it is written, present last) and culling. Both walk subresource sets: images as one
 * byte per (plane, mip, layer), buffers as sorted byte ranges. Pure. */
#include "compile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

vkg_result vkg__validate_formats(vkg__ctx *c)
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
vkg_result vkg__validate_limits(vkg__ctx *c)
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
vkg_result vkg__validate_reads(vkg__ctx *c)
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
            if (r->history) {
                vkg_result hr = vkg__history_use(c, p, r, u);
                if (hr != VKG_SUCCESS) return hr;
            }
            if (r->imported && r->history != 1) continue; /* a history resource starts undefined */
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
            if (!ok && r->history == 1) {
                VKG__ERROR(&g->host,
                           "%spass \"%s\" reads %s as \"%s\", but no earlier pass of this "
                           "execution writes it (a history resource starts each execution "
                           "undefined): read \"%s\" for what the previous execution wrote",
                           vkg__pass_origin(g, p, at, sizeof at), gp->name,
                           vkg__use_subresource(r, u, sub, sizeof sub), a->name,
                           g->res[r->history_pair].name);
                return VKG_ERROR_INVALID_ARGUMENT;
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
            if ((r->imported && r->history != 1) || !vkg_access_get(u->access)->write) continue;
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
vkg_result vkg__cull(vkg__ctx *c, uint8_t *live)
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

