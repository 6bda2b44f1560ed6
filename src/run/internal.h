/* The runner's private types and small helpers, shared by its files: ops.c (operations of
 * each pass), model.c (the CPU model), objects.c (layouts, kernels, pipelines, views),
 * record.c (recording), run.c (set-up, frames, verify, report). run.c's opening comment
 * explains the method. */
#ifndef VKGR_INTERNAL_H_
#define VKGR_INTERNAL_H_

#include <volk.h> /* before vkgraph.h */

#include "run.h"
#include "util/util.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#define VKGR_SLOTS 64u          /* slots per generic read op (one per thread) */
#define VKGR_SAMPLE_WORDS 4096u /* buffer reads fold at most this many words */
#define VKGR_UBO_WORDS 4096u    /* uniform reads: 16 KiB, the limit every device has */
#define VKGR_PATTERN_SHIFT 4096u
#define VKGR_SCRATCH ((uint32_t)-1)
#define VKGR_TAG(frame) (0xA5000000u | ((frame) + 1u))

/* ---- C twins of kernels.glsl ------------------------------------------------------------- */
static inline uint32_t hmix(uint32_t h, uint32_t x)
{
    h ^= x;
    h *= 0x01000193u;
    h ^= h >> 15;
    return h;
}

static inline uint32_t slot_value(uint32_t x, uint32_t tag)
{
    if ((x >> 24) == 0xA5u) return x == tag ? 1u : 0u;
    return x;
}

static inline uint32_t word_value(uint32_t d, uint32_t word, bool small)
{
    uint32_t v = vkg__hash32(hmix(d, word));
    return small ? 3u + v % 6u : v;
}

static inline uint32_t texel_value(uint32_t d, uint32_t mip, uint32_t layer, uint32_t x, uint32_t y)
{
    return vkg__hash32(hmix(hmix(hmix(hmix(d, mip), layer), x), y)) & 0xFFu;
}

/* the stencil reference a stencil_write op writes */
static inline uint32_t stencil_ref(uint32_t salt)
{
    return vkg__hash32(salt * 0x85EBCA6Bu + 0x5EEDu) & 0xFFu;
}

static inline uint32_t pattern_value(uint32_t i)
{
    return vkg__hash32(i * 0x9E3779B1u + 0x1234567u) & 0xFFu;
}

/* ---- formats ----------------------------------------------------------------------------- */
/* Formats run's kernels handle; every channel of a texel holds the same value. */
typedef enum fclass {
    FC_NONE, FC_UNORM8, FC_R8, FC_RG8, FC_F16X4, FC_R16F, FC_RG16F, FC_F32, FC_RG32F, FC_RGBA32F,
    FC_U32, FC_D32, FC_COUNT
} fclass;
typedef enum fenc { ENC_UNORM8, ENC_F16, ENC_F32, ENC_U32 } fenc;
static const struct {
    fenc enc;
    uint32_t channels;
} fclasses[FC_COUNT] = {
    [FC_UNORM8] = {ENC_UNORM8, 4}, [FC_R8] = {ENC_UNORM8, 1},   [FC_RG8] = {ENC_UNORM8, 2},
    [FC_F16X4] = {ENC_F16, 4},     [FC_R16F] = {ENC_F16, 1},    [FC_RG16F] = {ENC_F16, 2},
    [FC_F32] = {ENC_F32, 1},       [FC_RG32F] = {ENC_F32, 2},   [FC_RGBA32F] = {ENC_F32, 4},
    [FC_U32] = {ENC_U32, 1},       [FC_D32] = {ENC_F32, 1}};

static inline fclass fclass_of(VkFormat f)
{
    switch (f) {
    case VK_FORMAT_R8G8B8A8_UNORM:
    case VK_FORMAT_B8G8R8A8_UNORM:
        return FC_UNORM8;
    case VK_FORMAT_R8_UNORM:
        return FC_R8;
    case VK_FORMAT_R8G8_UNORM:
        return FC_RG8;
    case VK_FORMAT_R16G16B16A16_SFLOAT:
        return FC_F16X4;
    case VK_FORMAT_R16_SFLOAT:
        return FC_R16F;
    case VK_FORMAT_R16G16_SFLOAT:
        return FC_RG16F;
    case VK_FORMAT_R32_SFLOAT:
        return FC_F32;
    case VK_FORMAT_R32G32_SFLOAT:
        return FC_RG32F;
    case VK_FORMAT_R32G32B32A32_SFLOAT:
        return FC_RGBA32F;
    case VK_FORMAT_R32_UINT:
        return FC_U32;
    case VK_FORMAT_D32_SFLOAT:
    case VK_FORMAT_D32_SFLOAT_S8_UINT: /* the depth plane's; the stencil plane is FC_R8 */
        return FC_D32;
    default:
        return FC_NONE;
    }
}

static inline uint32_t fclass_bytes(fclass c)
{
    static const uint32_t size[] = {1, 2, 4, 4};
    return c == FC_NONE ? 4 : size[fclasses[c].enc] * fclasses[c].channels;
}

static inline uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t e = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t m = x & 0x7FFFFFu;
    if (e <= 0) return (uint16_t)sign; /* our values are 0 or >= 1/255: no subnormals */
    if (e >= 31) return (uint16_t)(sign | 0x7C00u);
    uint32_t h = sign | ((uint32_t)e << 10) | (m >> 13);
    uint32_t rest = m & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* round to nearest even */
    return (uint16_t)h;
}

static inline float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu, x;
    if (e == 0) {
        float v = ldexpf((float)m, -24);
        return sign ? -v : v;
    }
    if (e == 31) x = sign | 0x7F800000u | (m << 13);
    else x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static inline uint32_t decode_float(float f)
{
    if (!(f == f)) return 256; /* NaN: never a valid value */
    float t = f * 255.0f + 0.5f;
    if (t < 0) t = 0;
    if (t > 255) t = 255;
    return (uint32_t)t;
}

/* one texel of value v, as the GPU stores it */
static inline void encode_texel(fclass c, uint32_t v, uint8_t *out)
{
    float f = (float)v / 255.0f;
    uint16_t h = f32_to_f16(f);
    for (uint32_t i = 0; i < fclasses[c].channels; i++) switch (fclasses[c].enc) {
        case ENC_UNORM8:
            out[i] = (uint8_t)v;
            break;
        case ENC_F16:
            memcpy(out + 2 * i, &h, 2);
            break;
        case ENC_F32:
            memcpy(out + 4 * i, &f, 4);
            break;
        case ENC_U32:
            memcpy(out + 4 * i, &v, 4);
            break;
        }
}

/* the value a texel read back from the GPU holds (256 when it holds none) */
static inline uint32_t decode_texel(fclass c, const uint8_t *in)
{
    switch (fclasses[c].enc) {
    case ENC_UNORM8:
        return in[0];
    case ENC_F16: {
        uint16_t h;
        memcpy(&h, in, 2);
        return decode_float(f16_to_f32(h));
    }
    case ENC_F32: {
        float f;
        memcpy(&f, in, 4);
        return decode_float(f);
    }
    case ENC_U32: {
        uint32_t u;
        memcpy(&u, in, 4);
        return u > 255 ? 256 : u;
    }
    }
    return 256;
}

/* ---- kernel variants --------------------------------------------------------------------- */
typedef enum dtype { DT_NONE, DT_SSBO, DT_UBO, DT_SAMPLED, DT_STORAGE_IMAGE, DT_COUNT } dtype;

#define VKGR_GENERIC(X, st)                                                                      \
    X(st##_RBUF_SSBO, DT_SSBO) X(st##_RBUF_UBO, DT_UBO) X(st##_RBUF_BDA, DT_NONE)                \
    X(st##_WBUF_SSBO, DT_SSBO) X(st##_WBUF_BDA, DT_NONE) X(st##_RTEX_F, DT_SAMPLED)              \
    X(st##_RTEX_U, DT_SAMPLED) X(st##_RIMG_RGBA8, DT_STORAGE_IMAGE)                              \
    X(st##_RIMG_RGBA16F, DT_STORAGE_IMAGE) X(st##_RIMG_R32F, DT_STORAGE_IMAGE)                   \
    X(st##_RIMG_R32UI, DT_STORAGE_IMAGE) X(st##_WIMG_F, DT_STORAGE_IMAGE)                        \
    X(st##_WIMG_U, DT_STORAGE_IMAGE)
#define VKGR_VARIANTS(X)                                                                         \
    VKGR_GENERIC(X, C) VKGR_GENERIC(X, V) VKGR_GENERIC(X, F) VKGR_GENERIC(X, G)                  \
    VKGR_GENERIC(X, T) X(C_DIGEST, DT_NONE)                                                      \
    X(C_DISPATCH_INDIRECT, DT_NONE)     \
    X(V_FULLSCREEN, DT_NONE) X(V_INDEX, DT_NONE) X(V_DRAW_INDIRECT, DT_NONE)                     \
    X(V_VERTEX, DT_NONE) X(F_ATTACH_F, DT_NONE) X(F_ATTACH_U, DT_NONE) X(F_ATTACH_DEPTH, DT_NONE)  \
    X(T_EVAL, DT_NONE)

typedef enum kvar {
#define VKGR_ENUM(n, d) KV_##n,
    VKGR_VARIANTS(VKGR_ENUM)
#undef VKGR_ENUM
    KV_COUNT
} kvar;

/* the SPIR-V of every variant and the descriptor it binds (objects.c) */
typedef struct vkgr_kvar {
    const uint32_t *code;
    size_t size;
    dtype dt;
} vkgr_kvar;
extern const vkgr_kvar kvars[KV_COUNT];

/* generic op index inside a stage block (same order as VKGR_GENERIC) */
enum { G_RBUF_SSBO, G_RBUF_UBO, G_RBUF_BDA, G_WBUF_SSBO, G_WBUF_BDA, G_RTEX_F, G_RTEX_U,
       G_RIMG_RGBA8, G_RIMG_RGBA16F, G_RIMG_R32F, G_RIMG_R32UI, G_WIMG_F, G_WIMG_U, G_COUNT };

/* C compute, V vertex, F fragment, G geometry, TC tessellation control (the order of the
 * kernel blocks); T transfer, A attachments */
typedef enum stage { ST_C, ST_V, ST_F, ST_G, ST_TC, ST_T, ST_A, ST_NONE } stage;

static inline kvar generic(stage st, int g)
{
    return (kvar)(KV_C_RBUF_SSBO + (int)st * G_COUNT + g);
}

/* ---- push constants (kernels.glsl `PC`) -------------------------------------------------- */
typedef struct pcs {
    uint32_t scratch[2], addr[2];
    uint32_t slot, nslots, tag, salt, count, width, height, layers, mip, layer0, small, sample_n,
        word0, nthreads;
} pcs;

/* ---- operations --------------------------------------------------------------------------- */
typedef enum okind {
    K_RBUF,     /* shader read of a buffer range */
    K_RIMG,     /* shader read (sampled or storage) of one mip */
    K_INDEX,    /* index fetch */
    K_DRAWIND,  /* draw-indirect argument fetch */
    K_DISPIND,  /* dispatch-indirect argument fetch */
    K_VERTEX,   /* vertex attribute fetch */
    K_TREAD,    /* transfer read into scratch */
    K_DIGEST,   /* folds the read slots into the digest slot */
    K_WBUF,     /* shader write of a buffer range */
    K_WIMG,     /* shader write of one mip */
    K_COLOR,    /* colour attachment: one mip and layer */
    K_DEPTH,    /* depth attachment: one mip and layer */
    K_STENCIL,  /* stencil attachment: reference written (or incremented) over one mip and layer */
    K_LOADONLY, /* attachment read without write: load, no store */
    K_COPYBUF,
    K_FILL,
    K_COPYIMG,
    K_PATTERN,  /* buffer-to-image copy from the pattern buffer */
    K_READBACK, /* verify: output -> staging */
    K_UPLOAD    /* initialisation: staging -> imported resource */
} okind;

/* what an op touches: one resource region with one stage/access/layout */
typedef struct foot {
    uint32_t res; /* plan resource index, or VKGR_SCRATCH */
    uint32_t plane; /* images with depth and stencil: 0 depth, 1 stencil */
    bool write;
    uint32_t mip, mips, layer, layers; /* images */
    uint64_t off, size;                /* buffers (scratch: bytes within the pass region) */
    VkPipelineStageFlags2 stage;
    VkAccessFlags2 access;
    VkImageLayout layout;
} foot;

typedef struct rop {
    okind kind;
    stage st;
    kvar var;
    bool rw;     /* attachments: read-modify-write (blend max / depth test) */
    bool fold;   /* K_TREAD: its slots enter the digest */
    uint32_t use; /* plan use index (UINT32_MAX: none) */
    uint32_t res;
    uint32_t mip, layer0, layers;
    uint64_t off, size;
    uint32_t slot, nslots; /* read ops: scratch slots written */
    uint32_t salt;
    uint32_t src_res, src_mip, src_layer0;
    uint64_t src_off;
    uint32_t groups; /* compute write ops */
    uint32_t plane;  /* images with depth and stencil: 0 depth, 1 stencil */
    uint32_t rsv_res, rsv_mip, rsv_layer; /* K_COLOR: resolves into (UINT32_MAX: none) */
    foot f[3];
    uint32_t nf;
} rop;

typedef struct rpass {
    uint32_t first_op, op_count;
    uint32_t nslots, ntotal; /* digest slots; all slots (sinks after the digest) */
    uint64_t scratch_off;    /* byte offset of this pass's region inside a frame region */
    bool graphics_family;    /* its family can copy to depth from buffers */
} rpass;

typedef struct rres {
    const vkg_plan_resource *pr;
    bool small;   /* buffers read as indirect arguments */
    fclass fc;
    uint64_t texels;   /* images: all subresources */
    uint32_t planes;   /* images: 2 for depth and stencil (plane-major), else 1 */
    uint64_t plane_texels;
    uint64_t *sub;     /* images: first texel of (plane, mip, layer) */
    uint8_t *val, *known; /* model: texel values / buffer bytes; 1 = defined */
    uint8_t *exp_val, *exp_known; /* verify: expected outputs per frame slot (slots x n) */
    vkg_buffer buf;   /* imported: created by run */
    vkg_image img;
    vkg_resource handle;
    uint64_t rb_bytes;          /* verify: readback size */
    vkg_resource rb_handle;     /* verify: readback staging resource */
    vkg_buffer *rb_bufs;        /* per frame slot */
} rres;

typedef struct pipe_key {
    kvar vs, fs;
    VkFormat color, depth, stencil;
    uint8_t blend, depth_mode; /* depth_mode: 0 none, 1 always, 2 greater-or-equal */
    uint8_t stencil_mode;      /* 0 none, 1 replace with the reference, 2 increment and wrap */
    uint8_t samples;
    kvar pre;        /* a geometry or tessellation-control kernel, KV_COUNT: none */
    uint8_t pre_kind; /* 1 geometry, 2 tessellation (with T_EVAL) */
    bool compute;
} pipe_key;

typedef struct pipe_ent {
    pipe_key key;
    VkPipeline pipe;
} pipe_ent;

typedef struct view_ent {
    VkImage image;
    uint32_t mip, layer, layers;
    VkImageAspectFlags aspect;
    VkImageView view;
} view_ent;

typedef struct runner {
    vkg_device *dev;
    const VkDevice *vkd;
    VkDevice device;
    const struct VolkDeviceTable *vk;
    const vkg_caps *caps;
    vkgr_options opt;
    vkgr_info *info;
    vkg_graph *graph;
    vkg_plan *plan;
    vkg_plan_info in;
    uint32_t nres;
    rres *res;
    rpass *pass;
    rop *ops;
    uint32_t nops, cap_ops;
    uint32_t slots_per_frame;
    uint64_t scratch_frame_bytes;
    /* frame state */
    uint32_t frame, slot, F;
    bool failed;
    /* device objects */
    VkDescriptorSetLayout dsl[DT_COUNT];
    VkPipelineLayout layout[DT_COUNT];
    VkShaderModule modules[KV_COUNT];
    VkSampler sampler;
    pipe_ent *pipes;
    uint32_t npipes, cap_pipes;
    view_ent *views;
    uint32_t nviews, cap_views;
    VkDescriptorPool *pools; /* per frame slot */
    vkg_buffer scratch;
    VkBuffer scratch_vk;
    VkDeviceAddress scratch_addr;
    vkg_buffer pattern[FC_COUNT]; /* per fclass */
    VkBuffer pattern_vk[FC_COUNT];
    vkg_profiler *prof; /* --timings: pass times over the frames */
    FILE *trace;        /* --trace */
    vkg_executor *ex;
    double *cpu_us; /* per frame: vkg_execute */
    double *cpu_t0;
    /* Record callbacks run on the executor's recording threads at once: the pipeline and
     * view caches, descriptor pools and the first error are shared, under this (recursive)
     * lock. */
    pthread_mutex_t lock;
    _Atomic(vkg_result) error;
} runner;

static inline uint32_t mip_w(const vkg_plan_resource *pr, uint32_t m)
{
    uint32_t w = pr->width >> m;
    return w ? w : 1;
}

static inline uint32_t mip_h(const vkg_plan_resource *pr, uint32_t m)
{
    uint32_t h = pr->height >> m;
    return h ? h : 1;
}

static const vkg_access_info *acc(vkg_access a)
{
    return vkg_access_get(a);
}

static inline bool is_shader_access(vkg_access a)
{
    return (acc(a)->stage & (VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT)) != 0;
}

static inline stage shader_stage(vkg_access a)
{
    VkPipelineStageFlags2 s = acc(a)->stage;
    if (s & VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT) return ST_V;
    if (s & VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT) return ST_F;
    if (s & VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT) return ST_G;
    if (s & VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT) return ST_TC;
    return ST_C;
}

/* Rows run has no kernel for: task and mesh shaders, acceleration structures. */
static inline bool run_lacks_kernel(vkg_access a)
{
    return (acc(a)->stage & (VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT | VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT |
                             VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                             VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR)) ||
           (acc(a)->access & VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR);
}

/* Makes room for `need` elements of `size` bytes in *items (capacity *cap), doubling. The
 * runner is a tool, not the library: it allocates with libc, not the vkg_allocator. */
/* ------------------------------------------------------------------------------------------
 * The CPU model
 * ---------------------------------------------------------------------------------------- */
static inline uint64_t tixp(const rres *R, uint32_t p, uint32_t m, uint32_t l, uint32_t x, uint32_t y)
{
    return R->sub[(p * R->pr->mips + m) * R->pr->layers + l] + (uint64_t)y * mip_w(R->pr, m) + x;
}

static inline uint64_t tix(const rres *R, uint32_t m, uint32_t l, uint32_t x, uint32_t y)
{
    return tixp(R, 0, m, l, x, y);
}

/* A depth/stencil image's stencil plane holds bytes (FC_R8's encoding). */
static inline fclass plane_fc(const rres *R, uint32_t p)
{
    return p ? FC_R8 : R->fc;
}

static inline VkImageAspectFlags plane_aspect(const rres *R, uint32_t p)
{
    return vkg__aspect_of_plane(vkg_format_aspect(R->pr->format), p);
}

/* planes [*p0, *p1) of an aspect mask (0: all) */
static inline void aspect_planes(const rres *R, VkImageAspectFlags a, uint32_t *p0, uint32_t *p1)
{
    uint32_t n;
    vkg__planes_of_aspect(vkg_format_aspect(R->pr->format), a, p0, &n);
    *p1 = *p0 + n;
}

/* Byte offset of texel t in the packed staging copy of an image: each plane packed in its
 * own texel size, plane after plane. */
static inline uint64_t texel_byte(const rres *R, uint64_t t)
{
    uint64_t b0 = fclass_bytes(R->fc);
    if (t <= R->plane_texels) return t * b0;
    return R->plane_texels * b0 + (t - R->plane_texels) * fclass_bytes(FC_R8);
}

/* a Vulkan call whose failure fails the run, naming what it was */
#define VKGR_VK(call, what)                                                                      \
    do {                                                                                         \
        VkResult vr_ = (call);                                                                   \
        if (vr_ != VK_SUCCESS)                                                                   \
            return vkgr__fail(r, VKG_ERROR_VULKAN, "%s failed (VkResult %d)", what, (int)vr_);         \
    } while (0)

/* ---- across the runner's files ------------------------------------------------------------ */
/* run.c: records the first error (message in info) and returns `code` */
vkg_result vkgr__fail(runner *r, vkg_result code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ops.c: pass k's operations */
vkg_result vkgr__build_pass(runner *r, uint32_t k);
/* model.c */
void vkgr__init_imported(rres *R, uint32_t index);
vkg_result vkgr__sim_frame(runner *r, uint32_t frame, uint32_t *slots);
/* objects.c: layouts, kernels, pipelines and views */
VkShaderStageFlags vkgr__stages(const runner *r);
vkg_result vkgr__create_layouts(runner *r);
VkPipeline vkgr__get_pipeline(runner *r, const pipe_key *key);
VkImageView vkgr__get_view(runner *r, VkImage image, const rres *R, uint32_t mip, uint32_t layer,
                           uint32_t layers, VkImageAspectFlags aspect);
bool vkgr__grow(void **items, uint32_t *cap, uint32_t need, size_t size);
/* record.c */
void vkgr__staging_copy(runner *r, VkCommandBuffer cmd, const rres *R, VkBuffer res_buf,
                        VkImage res_img, VkBuffer staging, bool to_staging);
void vkgr__record_pass(const vkg_pass_context *ctx, void *user);

#endif
