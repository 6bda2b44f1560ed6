/* Render graph: private structures shared by the builder, the compiler and the exporters.
 * Pure module: libc and Vulkan *types* only. */
#ifndef VKG_GRAPH_H_
#define VKG_GRAPH_H_

#include "../util/util.h"

/* Short names for the access table in vkgraph.h */
#define VKG__NO_INDEX UINT32_MAX

/* The write bits of synchronization2 access masks (what a write makes available). */
#define VKG__WRITE_ACCESS                                                                        \
    (VK_ACCESS_2_SHADER_WRITE_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |                     \
     VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT |           \
     VK_ACCESS_2_HOST_WRITE_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT |                                 \
     VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT | VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR)

typedef struct vkg__gres {
    const char *name;
    bool is_image, imported, output;
    VkFormat format;
    VkImageAspectFlags aspect;
    uint32_t width, height, depth, mips, layers;
    VkSampleCountFlagBits samples;
    VkDeviceSize size;      /* buffers */
    VkDeviceSize est_bytes; /* images: estimated bytes, for compiles without a device */
    uint32_t sub_first; /* images: first of its mips x layers in the graph's subresource count */
    vkg_import_state state;
    vkg_sharing sharing;
    uint32_t size_of;       /* images: the image its size follows, VKG__NO_INDEX: none */
    float scale_x, scale_y; /* of size_of's size */
    /* history (history.c): 1 keeps its contents for the next execution, 2 is NAME@prev;
     * history_pair: the other one; both are imported, bound by the executor */
    uint8_t history;
    bool history_clear;
    uint32_t history_pair;
} vkg__gres;

typedef struct vkg__guse {
    uint32_t resource; /* index */
    uint16_t access;   /* vkg_access (16 bits keep the use at 40 bytes) */
    uint8_t plane0, plane_count; /* images: planes [plane0, +count) (vkg__planes) */
    uint32_t base_mip, mip_count, base_layer, layer_count; /* resolved: never 0 counts */
    VkDeviceSize offset, size;                             /* resolved: never 0 size */
} vkg__guse;
_Static_assert(VKG_ACCESS_COUNT <= 65536, "vkg__guse.access holds 16 bits");

/* Image planes (util.h): the state of an image is planes x mips x layers subresources,
 * plane-major. */
static inline uint32_t vkg__planes(const vkg__gres *r)
{
    return vkg__plane_count(r->aspect);
}
static inline uint32_t vkg__sub_index(const vkg__gres *r, uint32_t plane, uint32_t mip,
                                      uint32_t layer)
{
    return (plane * r->mips + mip) * r->layers + layer;
}
/* Subresource `index` of `r` as (plane, mip, layer): one division for the common case. */
static inline void vkg__sub_coords(const vkg__gres *r, uint32_t index, uint32_t *plane,
                                   uint32_t *mip, uint32_t *layer)
{
    uint32_t per_plane = r->mips * r->layers;
    uint32_t p = index >= per_plane ? index / per_plane : 0, rest = index - p * per_plane;
    uint32_t m = r->layers == 1 ? rest : rest / r->layers;
    *plane = p;
    *mip = m;
    *layer = rest - m * r->layers;
}
/* The aspect of planes [p0, p0 + count) of `r`. */
static inline VkImageAspectFlags vkg__plane_aspect(const vkg__gres *r, uint32_t p0, uint32_t count)
{
    return count >= vkg__planes(r) ? r->aspect : vkg__aspect_of_plane(r->aspect, p0);
}

typedef struct vkg__gpass {
    const char *name;
    vkg_queue_role role;
    uint32_t first_use, use_count;
    vkg_record_fn record;
    void *user;
    bool side_effects;
    bool resolves; /* has resolve_write uses: checked again at compile (sizes may change) */
    uint32_t line, column; /* in the graph file it came from (vkg__graph.source); 0: none */
    const uint32_t *after; /* earlier passes it is ordered after (vkg_pass_desc.after) */
    uint32_t after_count;
} vkg__gpass;

/* Open-addressing name table: slot holds index + 1, 0 = empty. */
typedef struct vkg__names {
    uint32_t *slots;
    uint32_t capacity; /* power of two */
    uint32_t count;
} vkg__names;

struct vkg_graph {
    vkg__host host;
    const char *name;
    uint32_t compile_flags;
    vkg__arena strings;   /* names: live as long as the graph */
    vkg__arena scratch;   /* compile workspace: reset per compile */
    vkg__gres *res;
    uint32_t res_count, res_capacity;
    vkg__gpass *passes;
    uint32_t pass_count, pass_capacity;
    vkg__guse *uses;
    uint32_t use_count, use_capacity;
    uint32_t sub_count; /* image subresources of all resources */
    vkg__names res_names, pass_names;
    uint64_t compile_count; /* plans remember which graph compile made them */
    const char *source; /* the graph file passes were loaded from, for messages; NULL: none */
};

/* "FILE:LINE:COLUMN: " of a pass loaded from a graph file, or "" (compile messages start with
 * it, like the loader's). */
const char *vkg__pass_origin(const vkg_graph *g, uint32_t pass, char *buf, size_t size);

struct vkg_plan {
    vkg__host host;
    vkg__arena arena;
    const vkg_graph *graph; /* identity only: for in-place recompiles */
    uint64_t serial;        /* unique per compile: executors key their realisations on it */
    vkg_plan_info info;
    /* per resource: image aspect, for exporters */
    const VkImageAspectFlags *aspects;
};

/* history.c: checks a declaration's history and makes the resource a history resource (the
 * pair index is filled by the caller); then NAME@prev from NAME (index `cur`) */
vkg_result vkg__history_declare(const vkg_graph *g, vkg__gres *r, uint32_t history, vkg_history_init init);
vkg_result vkg__history_prev(const vkg_graph *g, const vkg__gres *r, uint32_t cur, vkg__gres *prev, char *name,
                             size_t name_size);

/* tables.c */
uint32_t vkg__format_count(void);
uint32_t vkg__format_index(VkFormat format); /* row in the format table, UINT32_MAX if unknown */
VkFormat vkg__format_at(uint32_t index);
bool vkg__format_is_block(VkFormat format);
/* Aspect masks by name: `json` is the graph file's word (a use's "aspect"; plans written as
 * JSON), `prose` the word in messages. */
typedef struct vkg__aspect_name {
    const char *json, *prose;
    VkImageAspectFlags aspect;
} vkg__aspect_name;
extern const vkg__aspect_name vkg__aspect_names[4];
const char *vkg__aspect_json(VkImageAspectFlags aspect); /* "color" for anything else */
const char *vkg__aspect_word(VkImageAspectFlags aspect); /* "other" for anything else */
uint64_t vkg__rows_covered(VkPipelineStageFlags2 stages, VkAccessFlags2 access);
uint64_t vkg__read_row_bit(vkg_access access); /* read-only rows: its bit in those sets */

/* Picks role families: dedicated where the caps have them, else the graphics family. */
void vkg__caps_assign_roles(vkg_caps *caps);

/* place.c */
void vkg__requirements_query(bool is_image, VkFormat format, uint32_t width, uint32_t height,
                             uint32_t depth, uint32_t mips, uint32_t layers,
                             VkSampleCountFlagBits samples, VkImageUsageFlags image_usage,
                             VkDeviceSize size, VkBufferUsageFlags buffer_usage,
                             vkg_resource_requirements_query *q);

/* graph.c */
vkg_result vkg__check_resolves(const vkg_graph *g, const char *pass, const vkg__guse *uses,
                               uint32_t count);
uint32_t vkg__names_find(const vkg_graph *g, const vkg__names *t, bool is_pass, const char *name);
/* "image \"hdr\" mips [0,1) layers [0,1)" or "buffer \"p\" bytes [0,256)" */
const char *vkg__use_subresource(const vkg__gres *r, const vkg__guse *u, char *buf, size_t size);
static inline const char *vkg__res_kind(const vkg__gres *r)
{
    return r->is_image ? "image" : "buffer";
}

#endif
