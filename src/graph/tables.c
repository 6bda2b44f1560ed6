/* Pure tables: formats, accesses, queue roles, default caps, names for printing. */
#include "graph.h"
#include "access_table.h"
#include "../layer/family_spec.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Formats: X(name, bytes per texel or per 4x4 block, block-compressed)
 * ---------------------------------------------------------------------------------------- */
#define VKG__FORMAT_TABLE(X)                                                                     \
    X(R8_UNORM, 1, 0) X(R8_SNORM, 1, 0) X(R8_UINT, 1, 0) X(R8_SINT, 1, 0)                        \
    X(R8G8_UNORM, 2, 0) X(R8G8_SNORM, 2, 0) X(R8G8_UINT, 2, 0) X(R8G8_SINT, 2, 0)                \
    X(R8G8B8A8_UNORM, 4, 0) X(R8G8B8A8_SNORM, 4, 0) X(R8G8B8A8_UINT, 4, 0)                       \
    X(R8G8B8A8_SINT, 4, 0) X(R8G8B8A8_SRGB, 4, 0) X(B8G8R8A8_UNORM, 4, 0)                        \
    X(B8G8R8A8_SRGB, 4, 0) X(A2B10G10R10_UNORM_PACK32, 4, 0)                                     \
    X(A2R10G10B10_UNORM_PACK32, 4, 0) X(B10G11R11_UFLOAT_PACK32, 4, 0)                           \
    X(E5B9G9R9_UFLOAT_PACK32, 4, 0) X(R16_UNORM, 2, 0) X(R16_SNORM, 2, 0) X(R16_UINT, 2, 0)      \
    X(R16_SINT, 2, 0) X(R16_SFLOAT, 2, 0) X(R16G16_UNORM, 4, 0) X(R16G16_SNORM, 4, 0)            \
    X(R16G16_UINT, 4, 0) X(R16G16_SINT, 4, 0) X(R16G16_SFLOAT, 4, 0)                             \
    X(R16G16B16A16_UNORM, 8, 0) X(R16G16B16A16_SNORM, 8, 0) X(R16G16B16A16_UINT, 8, 0)           \
    X(R16G16B16A16_SINT, 8, 0) X(R16G16B16A16_SFLOAT, 8, 0) X(R32_UINT, 4, 0)                    \
    X(R32_SINT, 4, 0) X(R32_SFLOAT, 4, 0) X(R32G32_UINT, 8, 0) X(R32G32_SINT, 8, 0)              \
    X(R32G32_SFLOAT, 8, 0) X(R32G32B32A32_UINT, 16, 0) X(R32G32B32A32_SINT, 16, 0)               \
    X(R32G32B32A32_SFLOAT, 16, 0) X(D16_UNORM, 2, 0) X(X8_D24_UNORM_PACK32, 4, 0)                \
    X(D32_SFLOAT, 4, 0) X(S8_UINT, 1, 0) X(D16_UNORM_S8_UINT, 4, 0) X(D24_UNORM_S8_UINT, 4, 0)   \
    X(D32_SFLOAT_S8_UINT, 8, 0) X(BC1_RGB_UNORM_BLOCK, 8, 1) X(BC1_RGBA_UNORM_BLOCK, 8, 1)       \
    X(BC1_RGBA_SRGB_BLOCK, 8, 1) X(BC3_UNORM_BLOCK, 16, 1) X(BC3_SRGB_BLOCK, 16, 1)              \
    X(BC4_UNORM_BLOCK, 8, 1) X(BC5_UNORM_BLOCK, 16, 1) X(BC6H_UFLOAT_BLOCK, 16, 1)               \
    X(BC7_UNORM_BLOCK, 16, 1) X(BC7_SRGB_BLOCK, 16, 1)

typedef struct vkg__format_row {
    const char *name;
    VkFormat format;
    uint8_t bytes;
    uint8_t block;
} vkg__format_row;

static const vkg__format_row vkg__formats[] = {
#define VKG__FMT_ROW(n, b, c) {#n, VK_FORMAT_##n, b, c},
    VKG__FORMAT_TABLE(VKG__FMT_ROW)
#undef VKG__FMT_ROW
};

_Static_assert(VKG__ARRAY_COUNT(vkg__formats) <= VKG_MAX_CAPS_FORMATS,
               "vkg_caps.formats must hold every known format");

enum {
#define VKG__FMT_INDEX(n, b, c) VKG__FMT_##n,
    VKG__FORMAT_TABLE(VKG__FMT_INDEX)
#undef VKG__FMT_INDEX
};

/* A switch, not a search: the compiler turns it into a jump table (formats are looked up
 * per use while compiling). */
uint32_t vkg__format_index(VkFormat format)
{
    switch (format) {
#define VKG__FMT_CASE(n, b, c)                                                                     \
    case VK_FORMAT_##n:                                                                            \
        return VKG__FMT_##n;
        VKG__FORMAT_TABLE(VKG__FMT_CASE)
#undef VKG__FMT_CASE
    default:
        return UINT32_MAX;
    }
}

static const vkg__format_row *vkg__format_row_of(VkFormat format)
{
    uint32_t i = vkg__format_index(format);
    return i == UINT32_MAX ? NULL : &vkg__formats[i];
}

uint32_t vkg__format_count(void)
{
    return (uint32_t)VKG__ARRAY_COUNT(vkg__formats);
}

VkFormat vkg__format_at(uint32_t index)
{
    return vkg__formats[index].format;
}

bool vkg_format_from_name(const char *name, VkFormat *out)
{
    if (!name) return false;
    if (strncmp(name, "VK_FORMAT_", 10) == 0) name += 10;
    for (size_t i = 0; i < VKG__ARRAY_COUNT(vkg__formats); i++) {
        if (strcmp(vkg__formats[i].name, name) == 0) {
            if (out) *out = vkg__formats[i].format;
            return true;
        }
    }
    return false;
}

const char *vkg_format_name(VkFormat format)
{
    const vkg__format_row *r = vkg__format_row_of(format);
    return r ? r->name : NULL;
}

uint32_t vkg_format_texel_bytes(VkFormat format)
{
    const vkg__format_row *r = vkg__format_row_of(format);
    return r ? r->bytes : 0;
}

bool vkg__format_is_block(VkFormat format)
{
    const vkg__format_row *r = vkg__format_row_of(format);
    return r && r->block;
}

const vkg__aspect_name vkg__aspect_names[4] = {
    {"color", "color", VK_IMAGE_ASPECT_COLOR_BIT},
    {"depth", "depth", VK_IMAGE_ASPECT_DEPTH_BIT},
    {"stencil", "stencil", VK_IMAGE_ASPECT_STENCIL_BIT},
    {"depth_stencil", "depth and stencil", VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT},
};

static const vkg__aspect_name *vkg__aspect_named(VkImageAspectFlags aspect)
{
    for (uint32_t i = 0; i < 4; i++)
        if (vkg__aspect_names[i].aspect == aspect) return &vkg__aspect_names[i];
    return NULL;
}

const char *vkg__aspect_json(VkImageAspectFlags aspect)
{
    const vkg__aspect_name *n = vkg__aspect_named(aspect);
    return n ? n->json : "color";
}

const char *vkg__aspect_word(VkImageAspectFlags aspect)
{
    const vkg__aspect_name *n = vkg__aspect_named(aspect);
    return n ? n->prose : "other";
}

VkImageAspectFlags vkg_format_aspect(VkFormat format)
{
    switch (format) {
    case VK_FORMAT_D16_UNORM:
    case VK_FORMAT_X8_D24_UNORM_PACK32:
    case VK_FORMAT_D32_SFLOAT:
        return VK_IMAGE_ASPECT_DEPTH_BIT;
    case VK_FORMAT_S8_UINT:
        return VK_IMAGE_ASPECT_STENCIL_BIT;
    case VK_FORMAT_D16_UNORM_S8_UINT:
    case VK_FORMAT_D24_UNORM_S8_UINT:
    case VK_FORMAT_D32_SFLOAT_S8_UINT:
        return VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    default:
        return VK_IMAGE_ASPECT_COLOR_BIT;
    }
}

/* ------------------------------------------------------------------------------------------
 * Accesses
 * ---------------------------------------------------------------------------------------- */
/* The private table and the public enum list the rows in the same order. */
enum {
    VKG__T_NONE = 0,
#define VKG__T_ENUM(e, ...) VKG__T_##e,
    VKG_ACCESS_TABLE(VKG__T_ENUM)
#undef VKG__T_ENUM
    VKG__T_COUNT
};
#define VKG__T_CHECK(e, ...)                                                                     \
    _Static_assert(VKG__T_##e == (int)VKG_ACCESS_##e, "vkgraph.h lists " #e " elsewhere");
VKG_ACCESS_TABLE(VKG__T_CHECK)
#undef VKG__T_CHECK
_Static_assert(VKG__T_COUNT == (int)VKG_ACCESS_COUNT, "vkgraph.h and the access table differ");

static const vkg_access_info vkg__access_rows[VKG_ACCESS_COUNT] = {
    [VKG_ACCESS_NONE] = {"none", VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                         VK_IMAGE_LAYOUT_UNDEFINED, false, VKG__KBI, 0, VKG__RALL},
#define VKG__ACCESS_ROW(e, n, st, ac, lay, wr, kinds, aspect, roles)                             \
    [VKG_ACCESS_##e] = {n, st, ac, lay, wr, kinds, aspect, roles},
    VKG_ACCESS_TABLE(VKG__ACCESS_ROW)
#undef VKG__ACCESS_ROW
};

const vkg_access_info *vkg_access_get(vkg_access access)
{
    if ((unsigned)access >= VKG_ACCESS_COUNT) return NULL;
    return &vkg__access_rows[access];
}

bool vkg_access_from_name(const char *name, vkg_access *out)
{
    if (!name) return false;
    for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++) {
        if (strcmp(vkg__access_rows[i].name, name) == 0) {
            if (out) *out = (vkg_access)i;
            return true;
        }
    }
    return false;
}

bool vkg_queue_role_from_name(const char *name, vkg_queue_role *out)
{
    if (!name) return false;
    for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT; r++) {
        if (strcmp(vkg_queue_role_name((vkg_queue_role)r), name) == 0) {
            if (out) *out = (vkg_queue_role)r;
            return true;
        }
    }
    return false;
}

/* Visibility is tracked per read row (writes need a barrier whatever was made visible): each
 * read-only row gets a bit, numbered in table order. The enum counts read rows at compile
 * time: a write row takes the next number and gives it back to the row after it. */
enum {
    VKG__RB_START = -1,
#define VKG__READ_BIT(e, n, st, ac, lay, wr, ...) VKG__RB_##e, VKG__RB_AFTER_##e = VKG__RB_##e - (wr),
    VKG_ACCESS_TABLE(VKG__READ_BIT)
#undef VKG__READ_BIT
    VKG__RB_COUNT
};
_Static_assert(VKG__RB_COUNT <= 64, "visibility is tracked as a 64-bit set of read rows");

static const uint8_t vkg__read_bits[VKG_ACCESS_COUNT] = {
#define VKG__READ_BIT_ROW(e, ...) [VKG_ACCESS_##e] = (uint8_t)VKG__RB_##e,
    VKG_ACCESS_TABLE(VKG__READ_BIT_ROW)
#undef VKG__READ_BIT_ROW
};

uint64_t vkg__read_row_bit(vkg_access access)
{
    return (uint64_t)1 << vkg__read_bits[access];
}

/* Which read rows a barrier with destination (stages, access) makes a write visible to: a
 * row is covered when its stages and accesses both lie inside the destination scope. */
uint64_t vkg__rows_covered(VkPipelineStageFlags2 stages, VkAccessFlags2 access)
{
    /* The sweep asks again and again with the scopes of the few accesses a graph uses: a
     * small per-thread memo keeps the table walk (60 rows) out of its inner loop. */
    enum { MEMO = 8 };
    static _Thread_local struct {
        VkPipelineStageFlags2 stages;
        VkAccessFlags2 access;
        uint64_t rows;
    } memo[MEMO];
    static _Thread_local uint32_t next;
    for (uint32_t i = 0; i < MEMO; i++)
        if (memo[i].stages == stages && memo[i].access == access && (stages | access)) return memo[i].rows;
    uint64_t rows = 0;
    for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++) {
        const vkg_access_info *a = &vkg__access_rows[i];
        if (a->write || !a->stage || !a->access) continue;
        if ((a->stage & ~stages) == 0 && (a->access & ~access) == 0)
            rows |= vkg__read_row_bit((vkg_access)i);
    }
    uint32_t k = next++ % MEMO;
    memo[k].stages = stages;
    memo[k].access = access;
    memo[k].rows = rows;
    return rows;
}

/* ------------------------------------------------------------------------------------------
 * Capabilities
 * ---------------------------------------------------------------------------------------- */
VkFormatFeatureFlags vkg_caps_format_features(const vkg_caps *caps, VkFormat format)
{
    if (!caps || caps->format_count == 0) return ~(VkFormatFeatureFlags)0;
    /* devices and vkg_caps_default list the formats in table order: try that slot first */
    uint32_t at = vkg__format_index(format);
    if (at < caps->format_count && caps->formats[at].format == format)
        return caps->formats[at].features;
    for (uint32_t i = 0; i < caps->format_count && i < VKG_MAX_CAPS_FORMATS; i++)
        if (caps->formats[i].format == format) return caps->formats[i].features;
    return 0;
}

static VkFormatFeatureFlags vkg__default_features(VkFormat f)
{
    const VkFormatFeatureFlags common = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT |
                                        VK_FORMAT_FEATURE_TRANSFER_SRC_BIT |
                                        VK_FORMAT_FEATURE_TRANSFER_DST_BIT |
                                        VK_FORMAT_FEATURE_BLIT_SRC_BIT;
    if (vkg__format_is_block(f)) return common | VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT;
    if (vkg_format_aspect(f) != VK_IMAGE_ASPECT_COLOR_BIT)
        return common | VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT;
    VkFormatFeatureFlags ff = common | VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT |
                              VK_FORMAT_FEATURE_BLIT_DST_BIT |
                              VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT |
                              VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT;
    switch (f) {
    case VK_FORMAT_R8G8B8A8_SRGB:
    case VK_FORMAT_B8G8R8A8_SRGB:
    case VK_FORMAT_B8G8R8A8_UNORM:
    case VK_FORMAT_E5B9G9R9_UFLOAT_PACK32:
    case VK_FORMAT_A2R10G10B10_UNORM_PACK32:
        break; /* no storage: sRGB, BGRA and shared-exponent formats rarely have it */
    default:
        ff |= VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT;
    }
    return ff;
}

/* Picks role families: dedicated where the device has them, else the graphics family. */
void vkg__caps_assign_roles(vkg_caps *caps)
{
    const VkQueueFlags gc = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    uint32_t graphics = UINT32_MAX, compute = UINT32_MAX, transfer = UINT32_MAX;
    for (uint32_t i = 0; i < caps->queue_family_count; i++) {
        VkQueueFlags f = caps->queue_families[i].flags;
        if (!caps->queue_families[i].queue_count) continue;
        if ((f & gc) == gc && graphics == UINT32_MAX) graphics = i;
        if ((f & VK_QUEUE_COMPUTE_BIT) && !(f & VK_QUEUE_GRAPHICS_BIT) && compute == UINT32_MAX)
            compute = i;
        if ((f & VK_QUEUE_TRANSFER_BIT) && !(f & gc) && transfer == UINT32_MAX) transfer = i;
    }
    caps->role_family[VKG_QUEUE_GRAPHICS] = graphics;
    caps->role_family[VKG_QUEUE_COMPUTE] = compute != UINT32_MAX ? compute : graphics;
    caps->role_family[VKG_QUEUE_TRANSFER] = transfer != UINT32_MAX ? transfer : graphics;
}

vkg_result vkg_caps_simulate_families(vkg_caps *caps, const char *spec, char *why, size_t why_size)
{
    char local[160];
    if (!why || !why_size) {
        why = local;
        why_size = sizeof local;
    }
    if (!caps) return VKG_ERROR_INVALID_ARGUMENT;
    vkg__family_spec fs;
    if (!vkg__family_spec_parse(spec ? spec : "", &fs, why, why_size)) return VKG_ERROR_INVALID_ARGUMENT;
    caps->queue_family_count = fs.count;
    for (uint32_t i = 0; i < fs.count; i++)
        caps->queue_families[i] = (vkg_queue_family_caps){fs.flags[i], fs.queues[i], 64};
    vkg__caps_assign_roles(caps);
    caps->families_simulated = true;
    return VKG_SUCCESS;
}

void vkg_caps_default(vkg_caps *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->device_name, sizeof c->device_name, "vkgraph default (typical discrete GPU)");
    c->api_version = VK_API_VERSION_1_3;
    c->queue_family_count = 3;
    c->queue_families[0] = (vkg_queue_family_caps){
        VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT, 1, 64};
    c->queue_families[1] = (vkg_queue_family_caps){VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT,
                                                   4, 64};
    c->queue_families[2] = (vkg_queue_family_caps){VK_QUEUE_TRANSFER_BIT, 2, 64};
    c->role_family[VKG_QUEUE_GRAPHICS] = 0;
    c->role_family[VKG_QUEUE_COMPUTE] = 1;
    c->role_family[VKG_QUEUE_TRANSFER] = 2;
    c->memory_heap_count = 2;
    c->memory_heaps[0] = (vkg_memory_heap_caps){8ull << 30, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT};
    c->memory_heaps[1] = (vkg_memory_heap_caps){16ull << 30, 0};
    c->memory_type_count = 3;
    c->memory_types[0] = (vkg_memory_type_caps){VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0};
    c->memory_types[1] = (vkg_memory_type_caps){
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 1};
    c->memory_types[2] = (vkg_memory_type_caps){VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
                                                1};
    c->buffer_image_granularity = 1024;
    c->non_coherent_atom_size = 64;
    c->min_storage_buffer_offset_alignment = 16;
    c->min_uniform_buffer_offset_alignment = 64;
    c->max_buffer_size = 1ull << 32;
    c->max_image_dimension_2d = 16384;
    c->max_image_array_layers = 2048;
    c->max_compute_workgroup_invocations = 1024;
    c->timestamp_period_ns = 1.0f;
    c->timeline_semaphore = c->synchronization2 = c->dynamic_rendering = true;
    c->buffer_device_address = c->descriptor_indexing = c->maintenance4 = true;
    c->push_descriptors = true;
    c->separate_depth_stencil_layouts = true;
    c->geometry_shader = c->tessellation_shader = c->task_shader = c->mesh_shader = true;
    c->acceleration_structure = c->ray_tracing_pipeline = c->ray_query = true;
    c->format_count = vkg__format_count();
    for (uint32_t i = 0; i < c->format_count; i++) {
        c->formats[i].format = vkg__formats[i].format;
        c->formats[i].features = vkg__default_features(vkg__formats[i].format);
    }
}

/* ------------------------------------------------------------------------------------------
 * Names for printing
 * ---------------------------------------------------------------------------------------- */
static const struct {
    uint64_t bit;
    const char *name;
} vkg__stage_names[] = {
    {VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT, "TOP_OF_PIPE"},
    {VK_PIPELINE_STAGE_2_DRAW_INDIRECT_BIT, "DRAW_INDIRECT"},
    {VK_PIPELINE_STAGE_2_VERTEX_INPUT_BIT, "VERTEX_INPUT"},
    {VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT, "VERTEX_SHADER"},
    {VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT, "TESSELLATION_CONTROL_SHADER"},
    {VK_PIPELINE_STAGE_2_TESSELLATION_EVALUATION_SHADER_BIT, "TESSELLATION_EVALUATION_SHADER"},
    {VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT, "GEOMETRY_SHADER"},
    {VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT, "TASK_SHADER"},
    {VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT, "MESH_SHADER"},
    {VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT, "FRAGMENT_SHADER"},
    {VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT, "EARLY_FRAGMENT_TESTS"},
    {VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT, "LATE_FRAGMENT_TESTS"},
    {VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, "COLOR_ATTACHMENT_OUTPUT"},
    {VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT, "COMPUTE_SHADER"},
    {VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, "ALL_TRANSFER"},
    {VK_PIPELINE_STAGE_2_BOTTOM_OF_PIPE_BIT, "BOTTOM_OF_PIPE"},
    {VK_PIPELINE_STAGE_2_HOST_BIT, "HOST"},
    {VK_PIPELINE_STAGE_2_ALL_GRAPHICS_BIT, "ALL_GRAPHICS"},
    {VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, "ALL_COMMANDS"},
    {VK_PIPELINE_STAGE_2_COPY_BIT, "COPY"},
    {VK_PIPELINE_STAGE_2_RESOLVE_BIT, "RESOLVE"},
    {VK_PIPELINE_STAGE_2_BLIT_BIT, "BLIT"},
    {VK_PIPELINE_STAGE_2_CLEAR_BIT, "CLEAR"},
    {VK_PIPELINE_STAGE_2_INDEX_INPUT_BIT, "INDEX_INPUT"},
    {VK_PIPELINE_STAGE_2_VERTEX_ATTRIBUTE_INPUT_BIT, "VERTEX_ATTRIBUTE_INPUT"},
    {VK_PIPELINE_STAGE_2_PRE_RASTERIZATION_SHADERS_BIT, "PRE_RASTERIZATION_SHADERS"},
    {VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR, "ACCELERATION_STRUCTURE_BUILD"},
    {VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR, "RAY_TRACING_SHADER"},
};

static const struct {
    uint64_t bit;
    const char *name;
} vkg__access_names[] = {
    {VK_ACCESS_2_INDIRECT_COMMAND_READ_BIT, "INDIRECT_COMMAND_READ"},
    {VK_ACCESS_2_INDEX_READ_BIT, "INDEX_READ"},
    {VK_ACCESS_2_VERTEX_ATTRIBUTE_READ_BIT, "VERTEX_ATTRIBUTE_READ"},
    {VK_ACCESS_2_UNIFORM_READ_BIT, "UNIFORM_READ"},
    {VK_ACCESS_2_INPUT_ATTACHMENT_READ_BIT, "INPUT_ATTACHMENT_READ"},
    {VK_ACCESS_2_SHADER_READ_BIT, "SHADER_READ"},
    {VK_ACCESS_2_SHADER_WRITE_BIT, "SHADER_WRITE"},
    {VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT, "COLOR_ATTACHMENT_READ"},
    {VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, "COLOR_ATTACHMENT_WRITE"},
    {VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT, "DEPTH_STENCIL_ATTACHMENT_READ"},
    {VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT, "DEPTH_STENCIL_ATTACHMENT_WRITE"},
    {VK_ACCESS_2_TRANSFER_READ_BIT, "TRANSFER_READ"},
    {VK_ACCESS_2_TRANSFER_WRITE_BIT, "TRANSFER_WRITE"},
    {VK_ACCESS_2_HOST_READ_BIT, "HOST_READ"},
    {VK_ACCESS_2_HOST_WRITE_BIT, "HOST_WRITE"},
    {VK_ACCESS_2_MEMORY_READ_BIT, "MEMORY_READ"},
    {VK_ACCESS_2_MEMORY_WRITE_BIT, "MEMORY_WRITE"},
    {VK_ACCESS_2_SHADER_SAMPLED_READ_BIT, "SHADER_SAMPLED_READ"},
    {VK_ACCESS_2_SHADER_STORAGE_READ_BIT, "SHADER_STORAGE_READ"},
    {VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT, "SHADER_STORAGE_WRITE"},
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR, "ACCELERATION_STRUCTURE_READ"},
    {VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR, "ACCELERATION_STRUCTURE_WRITE"},
};

#define VKG__MASK_STRING(table, mask, buf, size)                                                 \
    do {                                                                                         \
        size_t len_ = 0;                                                                         \
        (buf)[0] = 0;                                                                            \
        uint64_t left_ = (mask);                                                                 \
        for (size_t i_ = 0; i_ < VKG__ARRAY_COUNT(table) && left_; i_++) {                       \
            if ((left_ & table[i_].bit) != table[i_].bit) continue;                              \
            left_ &= ~table[i_].bit;                                                             \
            int n_ = snprintf((buf) + len_, (size) - len_, "%s%s", len_ ? "|" : "",             \
                              table[i_].name);                                                   \
            if (n_ < 0 || (size_t)n_ >= (size) - len_) return (buf);                             \
            len_ += (size_t)n_;                                                                  \
        }                                                                                        \
        if (left_) snprintf((buf) + len_, (size) - len_, "%s0x%llx", len_ ? "|" : "",           \
                            (unsigned long long)left_);                                          \
        else if (len_ == 0) snprintf((buf), (size), "NONE");                                     \
    } while (0)

const char *vkg_stage_mask_string(VkPipelineStageFlags2 stages, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    VKG__MASK_STRING(vkg__stage_names, stages, buf, size);
    return buf;
}

const char *vkg_access_mask_string(VkAccessFlags2 access, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    VKG__MASK_STRING(vkg__access_names, access, buf, size);
    return buf;
}

const char *vkg_layout_name(VkImageLayout layout)
{
    switch (layout) {
    case VK_IMAGE_LAYOUT_UNDEFINED: return "UNDEFINED";
    case VK_IMAGE_LAYOUT_GENERAL: return "GENERAL";
    case VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL: return "COLOR_ATTACHMENT_OPTIMAL";
    case VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL: return "DEPTH_STENCIL_ATTACHMENT_OPTIMAL";
    case VK_IMAGE_LAYOUT_DEPTH_STENCIL_READ_ONLY_OPTIMAL: return "DEPTH_STENCIL_READ_ONLY_OPTIMAL";
    case VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL: return "SHADER_READ_ONLY_OPTIMAL";
    case VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL: return "TRANSFER_SRC_OPTIMAL";
    case VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL: return "TRANSFER_DST_OPTIMAL";
    case VK_IMAGE_LAYOUT_PREINITIALIZED: return "PREINITIALIZED";
    case VK_IMAGE_LAYOUT_READ_ONLY_OPTIMAL: return "READ_ONLY_OPTIMAL";
    case VK_IMAGE_LAYOUT_ATTACHMENT_OPTIMAL: return "ATTACHMENT_OPTIMAL";
    case VK_IMAGE_LAYOUT_PRESENT_SRC_KHR: return "PRESENT_SRC_KHR";
    default: return "UNKNOWN_LAYOUT";
    }
}
