/* `vkgraph run`: built-in deterministic kernels, a CPU model of what they compute, and the
 * comparison (run.h; docs/run.md).
 *
 * Every pass becomes a list of operations. Each operation touches one user resource (or two:
 * a copy) through exactly the access the graph declared, so synchronization validation judges
 * the compiled barriers and nothing else:
 *   read ops   fold what they see into the pass's scratch slots (shader reads, index, vertex
 *              and indirect fetches, transfer reads);
 *   write ops  store values derived from the digest of those slots (storage writes in every
 *              stage, attachments with blending or depth tests, copies, fills, uploads).
 * The CPU model runs the same operations on a byte-exact model of every resource, in plan
 * order, and each output read back from the GPU is compared after every frame.
 *
 * Values: image texels hold one 8-bit value v in every channel (UNORM: v/255, float:
 * v/255, UINT: v), so every format round-trips exactly; buffers hold 32-bit hashes, except
 * buffers that some pass reads as indirect arguments, whose words stay in [3, 8] (a draw of
 * at most 8 x 8 points, a dispatch of at most 512 groups). Contents nothing defined (host
 * writes, discarded layouts, unwritten transients) are tracked as undefined and not compared;
 * indirect arguments that could be undefined are refused before anything runs.
 *
 * Operations inside one pass that touch the same bytes are ordered by barriers scoped to
 * those bytes (the pass's own business, like any raw Vulkan a pass records). */
#include <volk.h> /* before vkgraph.h */

#include "run.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_kernels.h"

#define VKGR_SLOTS 64u          /* slots per generic read op (one per thread) */
#define VKGR_SAMPLE_WORDS 4096u /* buffer reads fold at most this many words */
#define VKGR_UBO_WORDS 4096u    /* uniform reads: 16 KiB, the limit every device has */
#define VKGR_PATTERN_SHIFT 4096u
#define VKGR_SCRATCH ((uint32_t)-1)
#define VKGR_TAG(frame) (0xA5000000u | ((frame) + 1u))

/* ---- C twins of kernels.glsl ------------------------------------------------------------- */
static uint32_t hmix(uint32_t h, uint32_t x)
{
    h ^= x;
    h *= 0x01000193u;
    h ^= h >> 15;
    return h;
}

static uint32_t hfin(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

static uint32_t slot_value(uint32_t x, uint32_t tag)
{
    if ((x >> 24) == 0xA5u) return x == tag ? 1u : 0u;
    return x;
}

static uint32_t word_value(uint32_t d, uint32_t word, bool small)
{
    uint32_t v = hfin(hmix(d, word));
    return small ? 3u + v % 6u : v;
}

static uint32_t texel_value(uint32_t d, uint32_t mip, uint32_t layer, uint32_t x, uint32_t y)
{
    return hfin(hmix(hmix(hmix(hmix(d, mip), layer), x), y)) & 0xFFu;
}

/* the stencil reference a stencil_write op writes */
static uint32_t stencil_ref(uint32_t salt)
{
    return hfin(salt * 0x85EBCA6Bu + 0x5EEDu) & 0xFFu;
}

static uint32_t pattern_value(uint32_t i)
{
    return hfin(i * 0x9E3779B1u + 0x1234567u) & 0xFFu;
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

static fclass fclass_of(VkFormat f)
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

static uint32_t fclass_bytes(fclass c)
{
    static const uint32_t size[] = {1, 2, 4, 4};
    return c == FC_NONE ? 4 : size[fclasses[c].enc] * fclasses[c].channels;
}

static uint16_t f32_to_f16(float f)
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

static float f16_to_f32(uint16_t h)
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

static uint32_t decode_float(float f)
{
    if (!(f == f)) return 256; /* NaN: never a valid value */
    float t = f * 255.0f + 0.5f;
    if (t < 0) t = 0;
    if (t > 255) t = 255;
    return (uint32_t)t;
}

/* one texel of value v, as the GPU stores it */
static void encode_texel(fclass c, uint32_t v, uint8_t *out)
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
static uint32_t decode_texel(fclass c, const uint8_t *in)
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

static const struct {
    const uint32_t *code;
    size_t size;
    dtype dt;
} kvars[KV_COUNT] = {
#define VKGR_ROW(n, d) {vkgr_spv_##n, sizeof vkgr_spv_##n, d},
    VKGR_VARIANTS(VKGR_ROW)
#undef VKGR_ROW
};

/* generic op index inside a stage block (same order as VKGR_GENERIC) */
enum { G_RBUF_SSBO, G_RBUF_UBO, G_RBUF_BDA, G_WBUF_SSBO, G_WBUF_BDA, G_RTEX_F, G_RTEX_U,
       G_RIMG_RGBA8, G_RIMG_RGBA16F, G_RIMG_R32F, G_RIMG_R32UI, G_WIMG_F, G_WIMG_U, G_COUNT };

/* C compute, V vertex, F fragment, G geometry, TC tessellation control (the order of the
 * kernel blocks); T transfer, A attachments */
typedef enum stage { ST_C, ST_V, ST_F, ST_G, ST_TC, ST_T, ST_A, ST_NONE } stage;

static kvar generic(stage st, int g)
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
    bool timestamps;
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
    VkQueryPool *queries; /* per frame slot */
    uint64_t *stamps;     /* frames x passes x 2 */
    bool *stamp_ok;
    vkg_executor *ex;
    double *cpu_us; /* per frame: vkg_execute */
    double *cpu_t0;
    /* Record callbacks run on the executor's recording threads at once: the pipeline and
     * view caches, descriptor pools and the first error are shared, under this (recursive)
     * lock. */
    pthread_mutex_t lock;
    _Atomic(vkg_result) error;
} runner;

static vkg_result fail(runner *r, vkg_result code, const char *fmt, ...)
{
    pthread_mutex_lock(&r->lock);
    if (r->info->message[0] == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->info->message, sizeof r->info->message, fmt, ap);
        va_end(ap);
    }
    if (r->error == VKG_SUCCESS) r->error = code;
    pthread_mutex_unlock(&r->lock);
    return code;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint32_t mip_w(const vkg_plan_resource *pr, uint32_t m)
{
    uint32_t w = pr->width >> m;
    return w ? w : 1;
}

static uint32_t mip_h(const vkg_plan_resource *pr, uint32_t m)
{
    uint32_t h = pr->height >> m;
    return h ? h : 1;
}

static const vkg_access_info *acc(vkg_access a)
{
    return vkg_access_get(a);
}

static bool is_shader_access(vkg_access a)
{
    return (acc(a)->stage & (VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT |
                             VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT)) != 0;
}

static stage shader_stage(vkg_access a)
{
    VkPipelineStageFlags2 s = acc(a)->stage;
    if (s & VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT) return ST_V;
    if (s & VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT) return ST_F;
    if (s & VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT) return ST_G;
    if (s & VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT) return ST_TC;
    return ST_C;
}

/* Rows run has no kernel for: task and mesh shaders, acceleration structures. */
static bool run_lacks_kernel(vkg_access a)
{
    return (acc(a)->stage & (VK_PIPELINE_STAGE_2_TASK_SHADER_BIT_EXT | VK_PIPELINE_STAGE_2_MESH_SHADER_BIT_EXT |
                             VK_PIPELINE_STAGE_2_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                             VK_PIPELINE_STAGE_2_RAY_TRACING_SHADER_BIT_KHR)) ||
           (acc(a)->access & VK_ACCESS_2_ACCELERATION_STRUCTURE_READ_BIT_KHR);
}

/* Makes room for `need` elements of `size` bytes in *items (capacity *cap), doubling. The
 * runner is a tool, not the library: it allocates with libc, not the vkg_allocator. */
static bool grow(void **items, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap : 32;
    while (n < need) n *= 2;
    void *p = realloc(*items, (size_t)n * size);
    if (!p) return false;
    *items = p;
    *cap = n;
    return true;
}

static rop *new_op(runner *r)
{
    if (!grow((void **)&r->ops, &r->cap_ops, r->nops + 1, sizeof *r->ops)) return NULL;
    rop *o = &r->ops[r->nops++];
    memset(o, 0, sizeof *o);
    o->use = UINT32_MAX;
    o->src_res = UINT32_MAX;
    o->rsv_res = UINT32_MAX;
    return o;
}

static void foot_use(foot *f, const vkg_plan_use *u, VkAccessFlags2 only, uint32_t mip,
                     uint32_t mips, uint64_t off, uint64_t size)
{
    const vkg_access_info *a = acc(u->access);
    f->res = u->resource;
    f->stage = a->stage;
    f->access = only ? (a->access & only) : a->access;
    if (!f->access) f->access = a->access;
    f->write = (f->access & (VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT |
                             VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
                             VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
                             VK_ACCESS_2_TRANSFER_WRITE_BIT | VK_ACCESS_2_HOST_WRITE_BIT)) != 0;
    f->layout = a->layout;
    f->plane = (a->aspect ? a->aspect : u->aspect) == VK_IMAGE_ASPECT_STENCIL_BIT ? 1 : 0;
    f->mip = mip;
    f->mips = mips;
    f->layer = u->base_layer;
    f->layers = u->layer_count;
    f->off = off;
    f->size = size;
}

static void foot_scratch(foot *f, stage st, bool write, uint32_t first, uint32_t n)
{
    f->res = VKGR_SCRATCH;
    f->write = write;
    f->off = 4ull * first;
    f->size = 4ull * n;
    switch (st) {
    case ST_V:
        f->stage = VK_PIPELINE_STAGE_2_VERTEX_SHADER_BIT;
        break;
    case ST_F:
    case ST_A:
        f->stage = VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT;
        break;
    case ST_C:
        f->stage = VK_PIPELINE_STAGE_2_COMPUTE_SHADER_BIT;
        break;
    case ST_G:
        f->stage = VK_PIPELINE_STAGE_2_GEOMETRY_SHADER_BIT;
        break;
    case ST_TC:
        f->stage = VK_PIPELINE_STAGE_2_TESSELLATION_CONTROL_SHADER_BIT;
        break;
    default:
        f->stage = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT;
        break;
    }
    if (st == ST_T)
        f->access = VK_ACCESS_2_TRANSFER_WRITE_BIT;
    else
        f->access = write ? VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT
                          : VK_ACCESS_2_SHADER_STORAGE_READ_BIT;
}

/* ------------------------------------------------------------------------------------------
 * Operations of each pass
 * ---------------------------------------------------------------------------------------- */
static bool subres_overlap(const vkg_plan_use *a, const vkg_plan_use *b)
{
    return a->resource == b->resource && a->base_mip < b->base_mip + b->mip_count &&
           b->base_mip < a->base_mip + a->mip_count && a->base_layer < b->base_layer + b->layer_count &&
           b->base_layer < a->base_layer + a->layer_count;
}

static bool range_overlap(const vkg_plan_use *a, const vkg_plan_use *b)
{
    return a->resource == b->resource && a->offset < b->offset + b->size &&
           b->offset < a->offset + a->size;
}

static bool aligned(uint64_t off, VkDeviceSize a)
{
    return a <= 1 || off % a == 0;
}

static uint32_t compute_groups(uint64_t work)
{
    uint64_t g = (work + 255) / 256;
    return g < 1 ? 1 : g > 1024 ? 1024 : (uint32_t)g;
}

/* the transfer_read use a transfer write copies from (UINT32_MAX: none) */
static uint32_t copy_source(runner *r, const vkg_plan_pass *p, const vkg_plan_use *w, uint32_t nth)
{
    const rres *wr = &r->res[w->resource];
    uint32_t cand[16], n = 0;
    for (uint32_t i = 0; i < p->use_count && n < 16; i++) {
        const vkg_plan_use *s = &r->in.uses[p->first_use + i];
        if (s->access != VKG_ACCESS_TRANSFER_READ) continue;
        const rres *sr = &r->res[s->resource];
        if (sr->pr->is_image != wr->pr->is_image) continue;
        if (wr->pr->is_image) {
            if (sr->pr->format != wr->pr->format || subres_overlap(s, w)) continue;
        } else {
            if (range_overlap(s, w) || (wr->small && !sr->small) || s->size < 4) continue;
        }
        cand[n++] = p->first_use + i;
    }
    return n ? cand[nth % n] : UINT32_MAX;
}

static vkg_result build_pass(runner *r, uint32_t k)
{
    const vkg_plan_pass *p = &r->in.passes[k];
    rpass *rp = &r->pass[k];
    rp->first_op = r->nops;
    uint32_t family = r->in.queues[p->queue].family;
    rp->graphics_family = (r->caps->queue_families[family].flags & VK_QUEUE_GRAPHICS_BIT) != 0;
    rp->timestamps = r->caps->queue_families[family].timestamp_valid_bits != 0;
    const char *pn = p->name;
    bool consumed[64] = {0};
    uint32_t salt = hfin(0xC0FFEEu + k * 0x9E3779B1u);

    /* which transfer reads feed copies */
    uint32_t nth = 0;
    for (uint32_t i = 0; i < p->use_count && i < 64; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        if (u->access != VKG_ACCESS_TRANSFER_WRITE) continue;
        uint32_t s = copy_source(r, p, u, nth++);
        if (s != UINT32_MAX && s - p->first_use < 64) consumed[s - p->first_use] = true;
    }
    if (p->use_count > 64)
        return fail(r, VKG_ERROR_LIMIT, "pass \"%s\": run handles at most 64 uses per pass", pn);

    /* checks shared by every op */
    for (uint32_t i = 0; i < p->use_count; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        const rres *R = &r->res[u->resource];
        const char *rn = R->pr->name;
        if (run_lacks_kernel(u->access))
            return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                        "pass \"%s\" uses %s \"%s\" as \"%s\": run has kernels for the vertex, "
                        "tessellation, geometry, fragment and compute stages, attachments and "
                        "copies, not for task and mesh shaders or acceleration structures (vkgraph "
                        "plan shows how the graph synchronizes them)",
                        pn, R->pr->is_image ? "image" : "buffer", rn, acc(u->access)->name);
        if (R->pr->is_image) {
            if (R->fc == FC_NONE)
                return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "image \"%s\": run's kernels handle R8_UNORM, R8G8_UNORM, R8G8B8A8_UNORM, "
                            "B8G8R8A8_UNORM, R16_SFLOAT, R16G16_SFLOAT, R16G16B16A16_SFLOAT, "
                            "R32_SFLOAT, R32G32_SFLOAT, R32G32B32A32_SFLOAT, R32_UINT, "
                            "D32_SFLOAT and D32_SFLOAT_S8_UINT, not %s",
                            rn, vkg_format_name(R->pr->format));
            if (R->pr->depth > 1)
                return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "image \"%s\": run's kernels handle 2D images", rn);
            bool attachment = u->access == VKG_ACCESS_COLOR_WRITE || u->access == VKG_ACCESS_COLOR_READ_WRITE ||
                              u->access == VKG_ACCESS_COLOR_READ;
            if (R->pr->samples > 1 && (!attachment || R->pr->imported || R->pr->output))
                return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "pass \"%s\" uses multisampled image \"%s\" as \"%s\"%s: run's kernels "
                            "touch a multisampled image only as a transient colour attachment and "
                            "verify it through a resolve_write into a single-sampled image",
                            pn, rn, acc(u->access)->name,
                            R->pr->imported ? " (imported)" : R->pr->output ? " (an output)" : "");
            if (R->planes == 2 && ((acc(u->access)->access & (VK_ACCESS_2_TRANSFER_READ_BIT |
                                                              VK_ACCESS_2_TRANSFER_WRITE_BIT |
                                                              VK_ACCESS_2_HOST_READ_BIT |
                                                              VK_ACCESS_2_HOST_WRITE_BIT)) ||
                                   R->pr->imported))
                return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "pass \"%s\" uses depth/stencil image \"%s\" as \"%s\"%s: run's kernels "
                            "touch an image with depth and stencil as attachments and sampled "
                            "reads of a transient (and read it back when it is an output)",
                            pn, rn, acc(u->access)->name, R->pr->imported ? " (imported)" : "");
        } else if (u->offset % 4 || u->size % 4) {
            return fail(r, VKG_ERROR_INVALID_ARGUMENT,
                        "pass \"%s\" uses buffer \"%s\" bytes [%" PRIu64 ", %" PRIu64
                        "): run's kernels work in 4-byte words; align the range to 4 bytes",
                        pn, rn, (uint64_t)u->offset, (uint64_t)(u->offset + u->size));
        }
    }

    /* reads */
    for (uint32_t i = 0; i < p->use_count; i++) {
        uint32_t ui = p->first_use + i;
        const vkg_plan_use *u = &r->in.uses[ui];
        const vkg_access_info *a = acc(u->access);
        rres *R = &r->res[u->resource];
        const char *rn = R->pr->name;
        uint32_t words = (uint32_t)(u->size / 4);
        VkAccessFlags2 rd = a->access & (VK_ACCESS_2_UNIFORM_READ_BIT | VK_ACCESS_2_SHADER_SAMPLED_READ_BIT |
                                          VK_ACCESS_2_SHADER_STORAGE_READ_BIT);
        if (is_shader_access(u->access) && rd) {
            stage st = shader_stage(u->access);
            if (!R->pr->is_image) {
                rop *o = new_op(r);
                if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                o->kind = K_RBUF;
                o->st = st;
                o->use = ui;
                o->res = u->resource;
                o->off = u->offset;
                o->size = u->size;
                bool ubo = rd & VK_ACCESS_2_UNIFORM_READ_BIT;
                if (ubo && o->size > 4ull * VKGR_UBO_WORDS) o->size = 4ull * VKGR_UBO_WORDS;
                VkDeviceSize al = ubo ? r->caps->min_uniform_buffer_offset_alignment
                                      : r->caps->min_storage_buffer_offset_alignment;
                /* a sampled read of a buffer is a texel-buffer read: run reads it through
                 * its device address (invisible to synchronization validation, checked by
                 * the data) rather than as a storage buffer the graph did not declare */
                bool sampled = rd & VK_ACCESS_2_SHADER_SAMPLED_READ_BIT;
                o->var = generic(st, !sampled && aligned(u->offset, al)
                                         ? (ubo ? G_RBUF_UBO : G_RBUF_SSBO)
                                         : G_RBUF_BDA);
                o->nslots = VKGR_SLOTS;
                foot_use(&o->f[0], u, rd, 0, 0, o->off, o->size);
                o->nf = 1;
                (void)words;
            } else {
                bool sampled = rd & VK_ACCESS_2_SHADER_SAMPLED_READ_BIT;
                uint32_t plane = R->planes == 2 && u->aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? 1 : 0;
                int g;
                if (sampled) g = R->fc == FC_U32 || plane ? G_RTEX_U : G_RTEX_F;
                else if (R->pr->format == VK_FORMAT_R8G8B8A8_UNORM) g = G_RIMG_RGBA8;
                else if (R->fc == FC_F16X4) g = G_RIMG_RGBA16F;
                else if (R->fc == FC_F32) g = G_RIMG_R32F;
                else if (R->fc == FC_U32) g = G_RIMG_R32UI;
                else
                    return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                                "pass \"%s\" reads %s image \"%s\" as storage: no shader storage "
                                "format matches it without shaderStorageImageReadWithoutFormat",
                                pn, vkg_format_name(R->pr->format), rn);
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = K_RIMG;
                    o->st = st;
                    o->plane = plane;
                    o->var = generic(st, g);
                    o->use = ui;
                    o->res = u->resource;
                    o->mip = m;
                    o->layer0 = u->base_layer;
                    o->layers = u->layer_count;
                    o->nslots = VKGR_SLOTS;
                    foot_use(&o->f[0], u, rd, m, 1, 0, 0);
                    o->nf = 1;
                }
            }
        } else if (u->access == VKG_ACCESS_INDIRECT_READ || u->access == VKG_ACCESS_INDEX_READ ||
                   u->access == VKG_ACCESS_VERTEX_READ) {
            rop *o = new_op(r);
            if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            o->use = ui;
            o->res = u->resource;
            o->off = u->offset;
            o->st = ST_V;
            if (u->access == VKG_ACCESS_INDIRECT_READ) {
                bool draw = p->role == VKG_QUEUE_GRAPHICS;
                uint64_t need = draw ? 16 : 12;
                if (u->size < need)
                    return fail(r, VKG_ERROR_INVALID_ARGUMENT,
                                "pass \"%s\" reads indirect arguments from buffer \"%s\" bytes "
                                "[%" PRIu64 ", %" PRIu64 "): run's %s needs %" PRIu64 " bytes",
                                pn, rn, (uint64_t)u->offset, (uint64_t)(u->offset + u->size),
                                draw ? "vkCmdDrawIndirect" : "vkCmdDispatchIndirect", need);
                o->kind = draw ? K_DRAWIND : K_DISPIND;
                o->var = draw ? KV_V_DRAW_INDIRECT : KV_C_DISPATCH_INDIRECT;
                o->st = draw ? ST_V : ST_C;
                o->size = need;
                o->nslots = draw ? 64 : 3;
            } else if (u->access == VKG_ACCESS_INDEX_READ) {
                o->kind = K_INDEX;
                o->var = KV_V_INDEX;
                o->size = 4ull * (words < 64 ? words : 64);
                o->nslots = 32;
            } else {
                o->kind = K_VERTEX;
                o->var = KV_V_VERTEX;
                o->size = 4ull * (words < 64 ? words : 64);
                o->nslots = (uint32_t)(o->size / 4);
            }
            foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
            o->nf = 1;
        } else if (u->access == VKG_ACCESS_TRANSFER_READ && !(i < 64 && consumed[i])) {
            if (R->pr->is_image && R->fc == FC_D32 && !rp->graphics_family) continue;
            rop *o = new_op(r);
            if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
            o->kind = K_TREAD;
            o->st = ST_T;
            o->use = ui;
            o->res = u->resource;
            if (R->pr->is_image) {
                uint32_t w = mip_w(R->pr, u->base_mip);
                o->mip = u->base_mip;
                o->layer0 = u->base_layer;
                o->layers = 1;
                o->size = w < 64 ? w : 64; /* texels of row 0 */
                o->nslots = ((uint32_t)o->size * fclass_bytes(R->fc) + 3u) / 4u;
                o->fold = R->fc == FC_UNORM8 || R->fc == FC_U32;
                foot_use(&o->f[0], u, 0, u->base_mip, 1, 0, 0);
                o->f[0].layers = 1;
            } else {
                o->off = u->offset;
                o->size = 4ull * (words < 64 ? words : 64);
                o->nslots = (uint32_t)(o->size / 4);
                o->fold = true;
                foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
            }
            o->nf = 1;
        } else if (u->access == VKG_ACCESS_COLOR_READ || u->access == VKG_ACCESS_DEPTH_READ ||
                   u->access == VKG_ACCESS_STENCIL_READ) {
            for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = K_LOADONLY;
                    o->st = ST_A;
                    o->plane = u->access == VKG_ACCESS_STENCIL_READ ? 1 : 0;
                    o->use = ui;
                    o->res = u->resource;
                    o->mip = m;
                    o->layer0 = l;
                    o->layers = 1;
                    foot_use(&o->f[0], u, 0, m, 1, 0, 0);
                    o->f[0].layer = l;
                    o->f[0].layers = 1;
                    o->nf = 1;
                }
        }
    }

    /* the digest, when something consumes it */
    bool consumers = false;
    for (uint32_t i = 0; i < p->use_count; i++) {
        vkg_access x = r->in.uses[p->first_use + i].access;
        consumers |= (is_shader_access(x) && (acc(x)->access & VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)) ||
                     x == VKG_ACCESS_COLOR_WRITE || x == VKG_ACCESS_COLOR_READ_WRITE ||
                     x == VKG_ACCESS_DEPTH_WRITE || x == VKG_ACCESS_DEPTH_READ_WRITE ||
                     x == VKG_ACCESS_STENCIL_WRITE || x == VKG_ACCESS_STENCIL_READ_WRITE;
    }
    if (consumers) {
        rop *o = new_op(r);
        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
        o->kind = K_DIGEST;
        o->st = ST_C;
        o->var = KV_C_DIGEST;
        o->res = UINT32_MAX;
    }

    /* writes */
    nth = 0;
    uint32_t wn = 0;
    uint32_t ms_ops[16], nms = 0, nresolve = 0; /* multisampled colour attachments, in order */
    for (uint32_t i = 0; i < p->use_count; i++) {
        uint32_t ui = p->first_use + i;
        const vkg_plan_use *u = &r->in.uses[ui];
        const vkg_access_info *a = acc(u->access);
        rres *R = &r->res[u->resource];
        if (is_shader_access(u->access) && (a->access & VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT)) {
            stage st = shader_stage(u->access);
            if (!R->pr->is_image) {
                rop *o = new_op(r);
                if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                o->kind = K_WBUF;
                o->st = st;
                o->use = ui;
                o->res = u->resource;
                o->off = u->offset;
                o->size = u->size;
                o->salt = salt + ++wn;
                o->var = generic(st, aligned(u->offset, r->caps->min_storage_buffer_offset_alignment)
                                         ? G_WBUF_SSBO : G_WBUF_BDA);
                o->groups = compute_groups(u->size / 4);
                foot_use(&o->f[0], u, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT, 0, 0, o->off, o->size);
                o->nf = 1;
            } else {
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = K_WIMG;
                    o->st = st;
                    o->var = generic(st, R->fc == FC_U32 ? G_WIMG_U : G_WIMG_F);
                    o->use = ui;
                    o->res = u->resource;
                    o->mip = m;
                    o->layer0 = u->base_layer;
                    o->layers = u->layer_count;
                    o->salt = salt + ++wn;
                    o->groups = compute_groups((uint64_t)mip_w(R->pr, m) * mip_h(R->pr, m) * u->layer_count);
                    foot_use(&o->f[0], u, VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT, m, 1, 0, 0);
                    o->nf = 1;
                }
            }
        } else if (u->access == VKG_ACCESS_COLOR_WRITE || u->access == VKG_ACCESS_COLOR_READ_WRITE ||
                   u->access == VKG_ACCESS_DEPTH_WRITE || u->access == VKG_ACCESS_DEPTH_READ_WRITE) {
            bool depth = u->access == VKG_ACCESS_DEPTH_WRITE || u->access == VKG_ACCESS_DEPTH_READ_WRITE;
            for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = depth ? K_DEPTH : K_COLOR;
                    o->st = ST_A;
                    if (R->pr->samples > 1 && nms < 16) ms_ops[nms++] = (uint32_t)(o - r->ops);
                    o->var = depth ? KV_F_ATTACH_DEPTH : R->fc == FC_U32 ? KV_F_ATTACH_U : KV_F_ATTACH_F;
                    o->rw = (u->access == VKG_ACCESS_COLOR_READ_WRITE && R->fc != FC_U32) ||
                            u->access == VKG_ACCESS_DEPTH_READ_WRITE;
                    o->use = ui;
                    o->res = u->resource;
                    o->mip = m;
                    o->layer0 = l;
                    o->layers = 1;
                    o->salt = salt + ++wn;
                    foot_use(&o->f[0], u, 0, m, 1, 0, 0);
                    o->f[0].layer = l;
                    o->f[0].layers = 1;
                    o->nf = 1;
                }
        } else if (u->access == VKG_ACCESS_STENCIL_WRITE || u->access == VKG_ACCESS_STENCIL_READ_WRITE) {
            for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = K_STENCIL;
                    o->st = ST_A;
                    o->var = KV_F_ATTACH_DEPTH; /* its fragment depth goes nowhere: no depth attachment */
                    o->rw = u->access == VKG_ACCESS_STENCIL_READ_WRITE;
                    o->plane = 1;
                    o->use = ui;
                    o->res = u->resource;
                    o->mip = m;
                    o->layer0 = l;
                    o->layers = 1;
                    o->salt = salt + ++wn;
                    foot_use(&o->f[0], u, 0, m, 1, 0, 0);
                    o->f[0].layer = l;
                    o->f[0].layers = 1;
                    o->nf = 1;
                }
        } else if (u->access == VKG_ACCESS_RESOLVE_WRITE) {
            /* the n-th resolve_write resolves the n-th multisampled colour attachment */
            if (nresolve >= nms)
                return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                            "pass \"%s\" resolves into image \"%s\": run resolves only multisampled "
                            "colour attachments it writes (color_write, color_read_write)",
                            pn, R->pr->name);
            rop *o = &r->ops[ms_ops[nresolve++]];
            o->rsv_res = u->resource;
            o->rsv_mip = u->base_mip;
            o->rsv_layer = u->base_layer;
            foot_use(&o->f[o->nf], u, 0, u->base_mip, 1, 0, 0);
            o->f[o->nf].layers = 1;
            o->nf++;
        } else if (u->access == VKG_ACCESS_TRANSFER_WRITE) {
            uint32_t s = copy_source(r, p, u, nth++);
            const vkg_plan_use *su = s == UINT32_MAX ? NULL : &r->in.uses[s];
            if (!R->pr->is_image) {
                uint64_t copied = 0;
                if (su) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    copied = su->size < u->size ? su->size : u->size;
                    o->kind = K_COPYBUF;
                    o->st = ST_T;
                    o->use = ui;
                    o->res = u->resource;
                    o->off = u->offset;
                    o->size = copied;
                    o->src_res = su->resource;
                    o->src_off = su->offset;
                    foot_use(&o->f[0], u, 0, 0, 0, o->off, copied);
                    foot_use(&o->f[1], su, 0, 0, 0, su->offset, copied);
                    o->nf = 2;
                }
                if (copied < u->size) {
                    rop *o = new_op(r);
                    if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                    o->kind = K_FILL;
                    o->st = ST_T;
                    o->use = ui;
                    o->res = u->resource;
                    o->off = u->offset + copied;
                    o->size = u->size - copied;
                    o->salt = salt + ++wn;
                    foot_use(&o->f[0], u, 0, 0, 0, o->off, o->size);
                    o->nf = 1;
                }
            } else {
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++) {
                    uint32_t n = 0;
                    if (su) {
                        rop *o = new_op(r);
                        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                        n = su->layer_count < u->layer_count ? su->layer_count : u->layer_count;
                        o->kind = K_COPYIMG;
                        o->st = ST_T;
                        o->use = ui;
                        o->res = u->resource;
                        o->mip = m;
                        o->layer0 = u->base_layer;
                        o->layers = n;
                        o->src_res = su->resource;
                        o->src_mip = su->base_mip + (m - u->base_mip) % su->mip_count;
                        o->src_layer0 = su->base_layer;
                        foot_use(&o->f[0], u, 0, m, 1, 0, 0);
                        o->f[0].layers = n;
                        foot_use(&o->f[1], su, 0, o->src_mip, 1, 0, 0);
                        o->f[1].layers = n;
                        o->nf = 2;
                    }
                    if (n < u->layer_count) {
                        if (R->fc == FC_D32 && !rp->graphics_family)
                            return fail(r, VKG_ERROR_FEATURE_NOT_PRESENT,
                                        "pass \"%s\" writes depth image \"%s\" by transfer on a "
                                        "queue family without graphics: Vulkan copies buffers to "
                                        "depth only on graphics queues; give it a depth image of "
                                        "the same format to copy from, or run it on graphics",
                                        pn, R->pr->name);
                        rop *o = new_op(r);
                        if (!o) return VKG_ERROR_OUT_OF_HOST_MEMORY;
                        o->kind = K_PATTERN;
                        o->st = ST_T;
                        o->use = ui;
                        o->res = u->resource;
                        o->mip = m;
                        o->layer0 = u->base_layer + n;
                        o->layers = u->layer_count - n;
                        o->salt = salt + ++wn;
                        foot_use(&o->f[0], u, 0, m, 1, 0, 0);
                        o->f[0].layer = o->layer0;
                        o->f[0].layers = o->layers;
                        o->nf = 1;
                    }
                }
            }
        }
    }
    rp->op_count = r->nops - rp->first_op;

    /* slots: folded reads first (the digest), sinks after */
    uint32_t s = 0;
    for (int pass2 = 0; pass2 < 2; pass2++)
        for (uint32_t i = 0; i < rp->op_count; i++) {
            rop *o = &r->ops[rp->first_op + i];
            bool reads = o->kind <= K_TREAD;
            if (!reads) continue;
            bool folded = o->kind != K_TREAD || o->fold;
            if (folded != (pass2 == 0)) continue;
            if (pass2 == 1) s = (s + 3u) & ~3u; /* sinks of wide texels need aligned offsets */
            o->slot = s;
            s += o->nslots;
        }
    /* digest size: the folded slots */
    uint32_t nd = 0;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        const rop *o = &r->ops[rp->first_op + i];
        if (o->kind <= K_TREAD && (o->kind != K_TREAD || o->fold) && o->slot + o->nslots > nd)
            nd = o->slot + o->nslots;
    }
    rp->nslots = nd;
    /* the digest slot sits at nd: move the sinks past it */
    for (uint32_t i = 0; i < rp->op_count; i++) {
        rop *o = &r->ops[rp->first_op + i];
        if (o->kind == K_TREAD && !o->fold) o->slot += 4;
    }
    rp->ntotal = (s + 4u + 3u) & ~3u;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        rop *o = &r->ops[rp->first_op + i];
        if (o->kind <= K_TREAD) {
            foot_scratch(&o->f[o->nf++], o->st, true, o->slot, o->nslots);
        } else if (o->kind == K_DIGEST) {
            if (nd) foot_scratch(&o->f[o->nf++], ST_C, false, 0, nd);
            foot_scratch(&o->f[o->nf++], ST_C, true, nd, 1);
        } else if (o->kind == K_WBUF || o->kind == K_WIMG || o->kind == K_COLOR || o->kind == K_DEPTH ||
                   o->kind == K_STENCIL) {
            foot_scratch(&o->f[o->nf++], o->st, false, nd, 1);
        }
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * The CPU model
 * ---------------------------------------------------------------------------------------- */
static uint64_t tixp(const rres *R, uint32_t p, uint32_t m, uint32_t l, uint32_t x, uint32_t y)
{
    return R->sub[(p * R->pr->mips + m) * R->pr->layers + l] + (uint64_t)y * mip_w(R->pr, m) + x;
}

static uint64_t tix(const rres *R, uint32_t m, uint32_t l, uint32_t x, uint32_t y)
{
    return tixp(R, 0, m, l, x, y);
}

/* A depth/stencil image's stencil plane holds bytes (FC_R8's encoding). */
static fclass plane_fc(const rres *R, uint32_t p)
{
    return p ? FC_R8 : R->fc;
}

static VkImageAspectFlags plane_aspect(const rres *R, uint32_t p)
{
    if (R->planes < 2) return vkg_format_aspect(R->pr->format);
    return p ? VK_IMAGE_ASPECT_STENCIL_BIT : VK_IMAGE_ASPECT_DEPTH_BIT;
}

/* planes [*p0, *p1) of an aspect mask (0: all) */
static void aspect_planes(const rres *R, VkImageAspectFlags a, uint32_t *p0, uint32_t *p1)
{
    *p0 = 0;
    *p1 = R->planes;
    if (R->planes < 2 || !a) return;
    if (!(a & VK_IMAGE_ASPECT_DEPTH_BIT)) *p0 = 1;
    if (!(a & VK_IMAGE_ASPECT_STENCIL_BIT)) *p1 = 1;
}

/* Byte offset of texel t in the packed staging copy of an image: each plane packed in its
 * own texel size, plane after plane. */
static uint64_t texel_byte(const rres *R, uint64_t t)
{
    uint64_t b0 = fclass_bytes(R->fc);
    if (t <= R->plane_texels) return t * b0;
    return R->plane_texels * b0 + (t - R->plane_texels) * fclass_bytes(FC_R8);
}

static void poison_image(rres *R, VkImageAspectFlags aspect, uint32_t m0, uint32_t nm, uint32_t l0,
                         uint32_t nl)
{
    uint32_t p0, p1;
    aspect_planes(R, aspect, &p0, &p1);
    for (uint32_t p = p0; p < p1; p++)
        for (uint32_t m = m0; m < m0 + nm; m++)
            for (uint32_t l = l0; l < l0 + nl; l++)
                memset(R->known + tixp(R, p, m, l, 0, 0), 0, (size_t)mip_w(R->pr, m) * mip_h(R->pr, m));
}

static uint32_t mword(const rres *R, uint64_t byte, bool *unknown)
{
    uint32_t w;
    memcpy(&w, R->val + byte, 4);
    if (!R->known[byte] || !R->known[byte + 1] || !R->known[byte + 2] || !R->known[byte + 3])
        *unknown = true;
    return w;
}

static void put_word(rres *R, uint64_t byte, uint32_t w, bool known)
{
    memcpy(R->val + byte, &w, 4);
    memset(R->known + byte, known ? 1 : 0, 4);
}

static void put_texel(rres *R, uint64_t t, uint32_t v, bool known)
{
    R->val[t] = (uint8_t)v;
    R->known[t] = known ? 1 : 0;
}

/* Runs pass k's operations on the model. `check`: refuse what the GPU must not see. */
static vkg_result sim_pass(runner *r, uint32_t k, uint32_t *slots, uint32_t tag)
{
    const rpass *rp = &r->pass[k];
    const vkg_plan_pass *p = &r->in.passes[k];
    /* layouts discarded by this pass's barriers lose their contents */
    for (uint32_t i = 0; i < p->barrier_count; i++) {
        const vkg_plan_barrier *b = &r->in.barriers[p->first_barrier + i];
        if (b->flags & VKG_BARRIER_DISCARD)
            poison_image(&r->res[b->resource], b->aspect, b->base_mip, b->mip_count, b->base_layer,
                             b->layer_count);
    }
    for (uint32_t we = 0; we < p->wait_event_count; we++) {
        const vkg_plan_event *e = &r->in.events[r->in.wait_events[p->first_wait_event + we]];
        for (uint32_t i = 0; i < e->barrier_count; i++) {
            const vkg_plan_barrier *b = &r->in.barriers[e->first_barrier + i];
            if (b->flags & VKG_BARRIER_DISCARD)
                poison_image(&r->res[b->resource], b->aspect, b->base_mip, b->mip_count, b->base_layer,
                             b->layer_count);
        }
    }
    /* host writes: run does not write from the host, so the contents become unknown */
    for (uint32_t i = 0; i < p->use_count; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        rres *R = &r->res[u->resource];
        if (u->access != VKG_ACCESS_HOST_WRITE || !R->known) continue;
        if (R->pr->is_image) poison_image(R, u->aspect, u->base_mip, u->mip_count, u->base_layer, u->layer_count);
        else memset(R->known + u->offset, 0, u->size);
    }
    memset(slots, 0, rp->ntotal * sizeof *slots);
    bool poisoned = false, digest_done = false;
    uint32_t d = 0;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        const rop *o = &r->ops[rp->first_op + i];
        rres *R = o->res < r->nres ? &r->res[o->res] : NULL;
        bool unk = false;
        if (!R) continue; /* the digest op: the model computes the digest where it is used */
        uint32_t *sl = slots + o->slot;
        if ((o->kind == K_WBUF || o->kind == K_WIMG || o->kind == K_COLOR || o->kind == K_DEPTH ||
             o->kind == K_STENCIL) &&
            !digest_done) {
            d = 0x811c9dc5u;
            for (uint32_t j = 0; j < rp->nslots; j++) d = hmix(d, slot_value(slots[j], tag));
            digest_done = true;
        }
        switch (o->kind) {
        case K_RBUF: {
            uint32_t count = (uint32_t)(o->size / 4);
            uint32_t n = count < VKGR_SAMPLE_WORDS ? count : VKGR_SAMPLE_WORDS, stride = count / n;
            for (uint32_t t = 0; t < VKGR_SLOTS; t++) {
                uint32_t h = hmix(0x9e3779b9u, t);
                for (uint32_t e = t; e < n; e += VKGR_SLOTS)
                    h = hmix(h, mword(R, o->off + 4ull * e * stride, &unk));
                sl[t] = hfin(h);
            }
            break;
        }
        case K_RIMG: {
            uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
            for (uint32_t t = 0; t < VKGR_SLOTS; t++) {
                uint32_t hh = hmix(0x9e3779b9u, t);
                for (uint32_t e = t; e < o->layers * 64u; e += 64u) {
                    uint32_t g = e & 63u, l = e >> 6;
                    uint32_t x = (g & 7u) * (w - 1u) / 7u, y = (g >> 3) * (h - 1u) / 7u;
                    uint64_t ti = tixp(R, o->plane, o->mip, o->layer0 + l, x, y);
                    if (!R->known[ti]) unk = true;
                    hh = hmix(hh, R->val[ti]);
                }
                sl[t] = hfin(hh);
            }
            break;
        }
        case K_INDEX:
            for (uint32_t e = 0; e < o->size / 4; e++) sl[mword(R, o->off + 4ull * e, &unk) & 31u] = tag;
            break;
        case K_DRAWIND:
        case K_DISPIND: {
            uint32_t a[4];
            for (uint32_t e = 0; e < o->size / 4; e++) a[e] = mword(R, o->off + 4ull * e, &unk);
            const char *pn = p->name, *rn = R->pr->name;
            if (unk)
                return fail(r, VKG_ERROR_INVALID_ARGUMENT,
                            "pass \"%s\" reads indirect arguments from buffer \"%s\" bytes [%" PRIu64
                            ", %" PRIu64 ") that nothing defined: run will not submit a draw or "
                            "dispatch of unknown size",
                            pn, rn, (uint64_t)o->off, (uint64_t)(o->off + o->size));
            for (uint32_t e = 0; e < o->size / 4; e++)
                if (a[e] < 1 || a[e] > 64)
                    return fail(r, VKG_ERROR_INVALID_ARGUMENT,
                                "pass \"%s\": indirect argument %u of buffer \"%s\" is %u (run "
                                "keeps them in [3, 8]; internal error)", pn, e, rn, a[e]);
            if (o->kind == K_DISPIND) {
                sl[0] = a[0], sl[1] = a[1], sl[2] = a[2];
            } else {
                for (uint32_t v = a[2]; v < a[2] + a[0]; v++) sl[v & 31u] = tag;
                for (uint32_t j = a[3]; j < a[3] + a[1]; j++) sl[32u + (j & 31u)] = tag;
            }
            break;
        }
        case K_VERTEX:
            for (uint32_t e = 0; e < o->nslots; e++) sl[e] = mword(R, o->off + 4ull * e, &unk);
            break;
        case K_TREAD:
            if (!R->pr->is_image) {
                for (uint32_t e = 0; e < o->nslots; e++) sl[e] = mword(R, o->off + 4ull * e, &unk);
            } else if (o->fold) {
                for (uint32_t x = 0; x < o->size; x++) {
                    uint64_t ti = tix(R, o->mip, o->layer0, x, 0);
                    if (!R->known[ti]) unk = true;
                    sl[x] = R->fc == FC_UNORM8 ? R->val[ti] * 0x01010101u : R->val[ti];
                }
            }
            break;
        case K_WBUF: {
            uint32_t D = hmix(d, o->salt), w0 = (uint32_t)(o->off / 4);
            for (uint32_t e = 0; e < o->size / 4; e++)
                put_word(R, o->off + 4ull * e, word_value(D, w0 + e, R->small), !poisoned);
            break;
        }
        case K_WIMG:
        case K_COLOR:
        case K_DEPTH: {
            uint32_t D = hmix(d, o->salt), w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
            for (uint32_t l = o->layer0; l < o->layer0 + o->layers; l++)
                for (uint32_t y = 0; y < h; y++)
                    for (uint32_t x = 0; x < w; x++) {
                        uint64_t ti = tix(R, o->mip, l, x, y);
                        uint32_t v = texel_value(D, o->mip, l, x, y);
                        bool known = !poisoned;
                        if (o->rw) {
                            known = known && R->known[ti];
                            if (R->val[ti] > v) v = R->val[ti];
                        }
                        put_texel(R, ti, v, known);
                    }
            if (o->rsv_res != UINT32_MAX) {
                /* the resolve: every sample of a texel holds the same value, so the average
                 * (or sample 0) is that value */
                rres *T = &r->res[o->rsv_res];
                for (uint32_t y = 0; y < h; y++) {
                    uint64_t st = tix(R, o->mip, o->layer0, 0, y), dt = tix(T, o->rsv_mip, o->rsv_layer, 0, y);
                    memcpy(T->val + dt, R->val + st, w);
                    memcpy(T->known + dt, R->known + st, w);
                }
            }
            break;
        }
        case K_STENCIL: {
            /* stencil_write replaces with the reference, stencil_read_write increments */
            uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip), ref = stencil_ref(o->salt);
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                    uint64_t ti = tixp(R, 1, o->mip, o->layer0, x, y);
                    if (o->rw) put_texel(R, ti, (R->val[ti] + 1u) & 0xFFu, R->known[ti]);
                    else put_texel(R, ti, ref, true);
                }
            break;
        }
        case K_LOADONLY:
        case K_DIGEST:
        case K_READBACK:
        case K_UPLOAD:
            break;
        case K_COPYBUF: {
            const rres *S = &r->res[o->src_res];
            memmove(R->val + o->off, S->val + o->src_off, o->size);
            memmove(R->known + o->off, S->known + o->src_off, o->size);
            break;
        }
        case K_FILL: {
            uint32_t v = R->small ? 3u + o->salt % 6u : hfin(o->salt);
            for (uint64_t e = 0; e < o->size / 4; e++) put_word(R, o->off + 4 * e, v, true);
            break;
        }
        case K_COPYIMG: {
            const rres *S = &r->res[o->src_res];
            uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
            uint32_t ws = mip_w(S->pr, o->src_mip), hs = mip_h(S->pr, o->src_mip);
            if (ws < w) w = ws;
            if (hs < h) h = hs;
            for (uint32_t l = 0; l < o->layers; l++)
                for (uint32_t y = 0; y < h; y++) {
                    uint64_t dt = tix(R, o->mip, o->layer0 + l, 0, y);
                    uint64_t st = tix(S, o->src_mip, o->src_layer0 + l, 0, y);
                    memmove(R->val + dt, S->val + st, w);
                    memmove(R->known + dt, S->known + st, w);
                }
            break;
        }
        case K_PATTERN: {
            uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
            for (uint32_t l = 0; l < o->layers; l++) {
                uint32_t start = (o->salt + 977u * l) % VKGR_PATTERN_SHIFT;
                for (uint32_t y = 0; y < h; y++)
                    for (uint32_t x = 0; x < w; x++)
                        put_texel(R, tix(R, o->mip, o->layer0 + l, x, y),
                                  pattern_value(start + y * w + x), true);
            }
            break;
        }
        }
        if (unk && (o->kind != K_TREAD || o->fold)) poisoned = true;
    }
    return VKG_SUCCESS;
}

static void init_imported(rres *R, uint32_t index)
{
    if (!R->pr->is_image) {
        uint32_t seed = hfin(7919u * index + 1u);
        for (uint64_t e = 0; e < R->pr->size / 4; e++)
            put_word(R, 4 * e, word_value(seed, (uint32_t)e, R->small), true);
        memset(R->known + (R->pr->size & ~3ull), 0, R->pr->size & 3u);
        return;
    }
    uint32_t seed = hfin(104729u * index + 99u);
    for (uint32_t m = 0; m < R->pr->mips; m++)
        for (uint32_t l = 0; l < R->pr->layers; l++)
            for (uint32_t y = 0; y < mip_h(R->pr, m); y++)
                for (uint32_t x = 0; x < mip_w(R->pr, m); x++)
                    put_texel(R, tix(R, m, l, x, y), texel_value(seed, m, l, x, y), true);
}

/* One frame on the model: transients start undefined, imported resources carry over. */
static vkg_result sim_frame(runner *r, uint32_t frame, uint32_t *slots)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->pr->imported && R->known)
            memset(R->known, 0, R->pr->is_image ? R->texels : R->pr->size);
    }
    for (uint32_t k = 0; k < r->in.pass_count; k++) {
        vkg_result e = sim_pass(r, k, slots, VKGR_TAG(frame));
        if (e != VKG_SUCCESS) return e;
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Device objects: layouts, pipelines, views
 * ---------------------------------------------------------------------------------------- */
#define VKGR_VK(call, what)                                                                      \
    do {                                                                                         \
        VkResult vr_ = (call);                                                                   \
        if (vr_ != VK_SUCCESS)                                                                   \
            return fail(r, VKG_ERROR_VULKAN, "%s failed (VkResult %d)", what, (int)vr_);         \
    } while (0)

/* the shader stages run's layouts cover: the device's */
static VkShaderStageFlags run_stages(const runner *r)
{
    VkShaderStageFlags s = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT | VK_SHADER_STAGE_COMPUTE_BIT;
    if (r->caps->geometry_shader) s |= VK_SHADER_STAGE_GEOMETRY_BIT;
    if (r->caps->tessellation_shader)
        s |= VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT | VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT;
    return s;
}

static vkg_result create_layouts(runner *r)
{
    static const VkDescriptorType types[DT_COUNT] = {
        [DT_SSBO] = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        [DT_UBO] = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
        [DT_SAMPLED] = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
        [DT_STORAGE_IMAGE] = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE};
    VKGR_VK(r->vk->vkCreateSampler(r->device,
                                   &(VkSamplerCreateInfo){
                                       .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                       .magFilter = VK_FILTER_NEAREST,
                                       .minFilter = VK_FILTER_NEAREST,
                                       .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                       .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                       .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE},
                                   NULL, &r->sampler),
            "vkCreateSampler");
    VkShaderStageFlags all_stages = run_stages(r);
    VkPushConstantRange pcr = {all_stages, 0, sizeof(pcs)};
    for (int t = 0; t < DT_COUNT; t++) {
        if (t != DT_NONE) {
            VkDescriptorSetLayoutBinding b = {0, types[t], 1, all_stages, NULL};
            VKGR_VK(r->vk->vkCreateDescriptorSetLayout(
                        r->device,
                        &(VkDescriptorSetLayoutCreateInfo){
                            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                            .bindingCount = 1,
                            .pBindings = &b},
                        NULL, &r->dsl[t]),
                    "vkCreateDescriptorSetLayout");
        }
        VKGR_VK(r->vk->vkCreatePipelineLayout(
                    r->device,
                    &(VkPipelineLayoutCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                        .setLayoutCount = t == DT_NONE ? 0u : 1u,
                        .pSetLayouts = &r->dsl[t],
                        .pushConstantRangeCount = 1,
                        .pPushConstantRanges = &pcr},
                    NULL, &r->layout[t]),
                "vkCreatePipelineLayout");
    }
    for (int v = 0; v < KV_COUNT; v++) {
        /* geometry and tessellation SPIR-V only where the device has those stages (the
         * validation layer checks a module's capabilities against the features) */
        bool geom = v >= KV_G_RBUF_SSBO && v < KV_G_RBUF_SSBO + G_COUNT;
        bool tess = (v >= KV_T_RBUF_SSBO && v < KV_T_RBUF_SSBO + G_COUNT) || v == KV_T_EVAL;
        if ((geom && !r->caps->geometry_shader) || (tess && !r->caps->tessellation_shader)) continue;
        VKGR_VK(r->vk->vkCreateShaderModule(r->device,
                                            &(VkShaderModuleCreateInfo){
                                                .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                                .codeSize = kvars[v].size,
                                                .pCode = kvars[v].code},
                                            NULL, &r->modules[v]),
                "vkCreateShaderModule");
    }
    return VKG_SUCCESS;
}

static VkPipeline get_pipeline_locked(runner *r, const pipe_key *key);

static VkPipeline get_pipeline(runner *r, const pipe_key *key)
{
    pthread_mutex_lock(&r->lock);
    VkPipeline p = get_pipeline_locked(r, key);
    pthread_mutex_unlock(&r->lock);
    return p;
}

static VkPipeline get_pipeline_locked(runner *r, const pipe_key *key)
{
    for (uint32_t i = 0; i < r->npipes; i++)
        if (memcmp(&r->pipes[i].key, key, sizeof *key) == 0) return r->pipes[i].pipe;
    if (!grow((void **)&r->pipes, &r->cap_pipes, r->npipes + 1, sizeof *r->pipes)) {
        fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory (pipelines)");
        return VK_NULL_HANDLE;
    }
    VkPipeline pipe = VK_NULL_HANDLE;
    VkResult vr;
    kvar main = key->compute ? key->vs : key->pre != KV_COUNT ? key->pre : key->fs != KV_COUNT ? key->fs : key->vs;
    VkPipelineLayout layout = r->layout[kvars[main].dt];
    if (key->compute) {
        vr = r->vk->vkCreateComputePipelines(
            r->device, VK_NULL_HANDLE, 1,
            &(VkComputePipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                          .module = r->modules[key->vs],
                          .pName = "main"},
                .layout = layout},
            NULL, &pipe);
    } else {
        VkPipelineShaderStageCreateInfo stages[4];
        uint32_t nstages = 0;
        const struct {
            VkShaderStageFlagBits stage;
            kvar var;
        } want[4] = {{VK_SHADER_STAGE_VERTEX_BIT, key->vs},
                     {key->pre_kind == 1 ? VK_SHADER_STAGE_GEOMETRY_BIT
                                         : VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT,
                      key->pre},
                     {VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT,
                      key->pre_kind == 2 ? KV_T_EVAL : KV_COUNT},
                     {VK_SHADER_STAGE_FRAGMENT_BIT, key->fs}};
        for (uint32_t i = 0; i < 4; i++)
            if (want[i].var != KV_COUNT)
                stages[nstages++] = (VkPipelineShaderStageCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                    .stage = want[i].stage,
                    .module = r->modules[want[i].var],
                    .pName = "main"};
        bool points = key->fs == KV_COUNT;
        bool patches = key->pre_kind == 2;
        VkVertexInputBindingDescription vb = {0, 4, VK_VERTEX_INPUT_RATE_VERTEX};
        VkVertexInputAttributeDescription va = {0, 0, VK_FORMAT_R32_UINT, 0};
        bool vin = key->vs == KV_V_VERTEX;
        VkPipelineColorBlendAttachmentState blend = {
            .blendEnable = key->blend,
            .srcColorBlendFactor = VK_BLEND_FACTOR_ONE,
            .dstColorBlendFactor = VK_BLEND_FACTOR_ONE,
            .colorBlendOp = VK_BLEND_OP_MAX,
            .srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
            .dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
            .alphaBlendOp = VK_BLEND_OP_MAX,
            .colorWriteMask = 0xF};
        VkDynamicState dyn[3] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR,
                                 VK_DYNAMIC_STATE_STENCIL_REFERENCE};
        VkPipelineRenderingCreateInfo rinfo = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
            .colorAttachmentCount = key->color != VK_FORMAT_UNDEFINED ? 1u : 0u,
            .pColorAttachmentFormats = &key->color,
            .depthAttachmentFormat = key->depth,
            .stencilAttachmentFormat = key->stencil};
        VkStencilOpState sop = {.failOp = VK_STENCIL_OP_KEEP,
                                .passOp = key->stencil_mode == 2 ? VK_STENCIL_OP_INCREMENT_AND_WRAP
                                                                 : VK_STENCIL_OP_REPLACE,
                                .depthFailOp = VK_STENCIL_OP_KEEP,
                                .compareOp = VK_COMPARE_OP_ALWAYS,
                                .compareMask = 0xFF,
                                .writeMask = 0xFF};
        vr = r->vk->vkCreateGraphicsPipelines(
            r->device, VK_NULL_HANDLE, 1,
            &(VkGraphicsPipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                .pNext = &rinfo,
                .stageCount = nstages,
                .pStages = stages,
                .pTessellationState =
                    patches ? &(VkPipelineTessellationStateCreateInfo){
                                  .sType = VK_STRUCTURE_TYPE_PIPELINE_TESSELLATION_STATE_CREATE_INFO,
                                  .patchControlPoints = 1}
                            : NULL,
                .pVertexInputState =
                    &(VkPipelineVertexInputStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                        .vertexBindingDescriptionCount = vin ? 1u : 0u,
                        .pVertexBindingDescriptions = &vb,
                        .vertexAttributeDescriptionCount = vin ? 1u : 0u,
                        .pVertexAttributeDescriptions = &va},
                .pInputAssemblyState =
                    &(VkPipelineInputAssemblyStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                        .topology = patches ? VK_PRIMITIVE_TOPOLOGY_PATCH_LIST
                                    : points ? VK_PRIMITIVE_TOPOLOGY_POINT_LIST
                                             : VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST},
                .pViewportState =
                    &(VkPipelineViewportStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                        .viewportCount = 1,
                        .scissorCount = 1},
                .pRasterizationState =
                    &(VkPipelineRasterizationStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                        .rasterizerDiscardEnable = points,
                        .polygonMode = VK_POLYGON_MODE_FILL,
                        .cullMode = VK_CULL_MODE_NONE,
                        .lineWidth = 1.0f},
                .pMultisampleState =
                    &(VkPipelineMultisampleStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                        .rasterizationSamples = key->samples > 1 ? (VkSampleCountFlagBits)key->samples
                                                                 : VK_SAMPLE_COUNT_1_BIT},
                .pDepthStencilState =
                    &(VkPipelineDepthStencilStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                        .depthTestEnable = key->depth_mode != 0,
                        .depthWriteEnable = key->depth_mode != 0,
                        .depthCompareOp = key->depth_mode == 2 ? VK_COMPARE_OP_GREATER_OR_EQUAL
                                                               : VK_COMPARE_OP_ALWAYS,
                        .stencilTestEnable = key->stencil_mode != 0,
                        .front = sop,
                        .back = sop},
                .pColorBlendState =
                    &(VkPipelineColorBlendStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                        .attachmentCount = rinfo.colorAttachmentCount,
                        .pAttachments = &blend},
                .pDynamicState =
                    &(VkPipelineDynamicStateCreateInfo){
                        .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
                        .dynamicStateCount = key->stencil_mode == 1 ? 3u : 2u,
                        .pDynamicStates = dyn},
                .layout = layout},
            NULL, &pipe);
    }
    if (vr != VK_SUCCESS) {
        fail(r, VKG_ERROR_VULKAN, "creating a kernel pipeline failed (VkResult %d)", (int)vr);
        return VK_NULL_HANDLE;
    }
    r->pipes[r->npipes++] = (pipe_ent){*key, pipe};
    return pipe;
}

static VkImageView get_view_locked(runner *r, VkImage image, const rres *R, uint32_t mip,
                                   uint32_t layer, uint32_t layers, VkImageAspectFlags aspect);

/* `aspect` 0: all of the format's (attachments); one plane's for shader reads */
static VkImageView get_view(runner *r, VkImage image, const rres *R, uint32_t mip, uint32_t layer,
                            uint32_t layers, VkImageAspectFlags aspect)
{
    pthread_mutex_lock(&r->lock);
    VkImageView v = get_view_locked(r, image, R, mip, layer, layers, aspect);
    pthread_mutex_unlock(&r->lock);
    return v;
}

static VkImageView get_view_locked(runner *r, VkImage image, const rres *R, uint32_t mip,
                                   uint32_t layer, uint32_t layers, VkImageAspectFlags aspect)
{
    if (!aspect) aspect = vkg_format_aspect(R->pr->format);
    for (uint32_t i = 0; i < r->nviews; i++) {
        const view_ent *v = &r->views[i];
        if (v->image == image && v->mip == mip && v->layer == layer && v->layers == layers &&
            v->aspect == aspect)
            return v->view;
    }
    if (!grow((void **)&r->views, &r->cap_views, r->nviews + 1, sizeof *r->views)) {
        fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory (views)");
        return VK_NULL_HANDLE;
    }
    VkImageView view = VK_NULL_HANDLE;
    VkResult vr = r->vk->vkCreateImageView(
        r->device,
        &(VkImageViewCreateInfo){
            .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
            .image = image,
            .viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY,
            .format = R->pr->format,
            .subresourceRange = {aspect, mip, 1, layer, layers}},
        NULL, &view);
    if (vr != VK_SUCCESS) {
        fail(r, VKG_ERROR_VULKAN, "vkCreateImageView for \"%s\" failed (VkResult %d)",
             R->pr->name, (int)vr);
        return VK_NULL_HANDLE;
    }
    r->views[r->nviews++] = (view_ent){image, mip, layer, layers, aspect, view};
    return view;
}

/* ------------------------------------------------------------------------------------------
 * Recording
 * ---------------------------------------------------------------------------------------- */
typedef struct rec {
    runner *r;
    const vkg_pass_context *ctx;
    VkCommandBuffer cmd;
    VkDeviceSize region;  /* this pass's scratch region: byte offset in the scratch buffer */
    VkDeviceAddress base; /* and its address */
} rec;

static VkBuffer res_buffer(const rec *c, uint32_t res)
{
    return vkg_pass_buffer(c->ctx, (vkg_resource){res + 1});
}

static VkImage res_image(const rec *c, uint32_t res)
{
    return vkg_pass_image(c->ctx, (vkg_resource){res + 1});
}

/* barriers between op j and the earlier ops of its pass that touch the same bytes */
static void op_barriers(rec *c, const rpass *rp, uint32_t j)
{
    runner *r = c->r;
    VkBufferMemoryBarrier2 bb[16];
    VkImageMemoryBarrier2 ib[16];
    uint32_t nb = 0, ni = 0;
    const rop *oj = &r->ops[rp->first_op + j];
    for (uint32_t fj = 0; fj < oj->nf; fj++) {
        const foot *b = &oj->f[fj];
        for (uint32_t i = 0; i < j; i++) {
            const rop *oi = &r->ops[rp->first_op + i];
            for (uint32_t fi = 0; fi < oi->nf; fi++) {
                const foot *a = &oi->f[fi];
                if (a->res != b->res || (!a->write && !b->write)) continue;
                if (a->plane != b->plane) continue; /* depth and stencil: separate states */
                bool image = a->res != VKGR_SCRATCH && r->res[a->res].pr->is_image;
                if (image) {
                    uint32_t m0 = a->mip > b->mip ? a->mip : b->mip;
                    uint32_t m1 = a->mip + a->mips < b->mip + b->mips ? a->mip + a->mips : b->mip + b->mips;
                    uint32_t l0 = a->layer > b->layer ? a->layer : b->layer;
                    uint32_t l1 = a->layer + a->layers < b->layer + b->layers ? a->layer + a->layers
                                                                              : b->layer + b->layers;
                    if (m0 >= m1 || l0 >= l1 || ni == 16) continue;
                    ib[ni++] = (VkImageMemoryBarrier2){
                        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                        .srcStageMask = a->stage,
                        .srcAccessMask = a->write ? a->access : 0,
                        .dstStageMask = b->stage,
                        .dstAccessMask = b->access,
                        .oldLayout = a->layout,
                        .newLayout = b->layout,
                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .image = res_image(c, a->res),
                        .subresourceRange = {plane_aspect(&r->res[a->res], a->plane), m0,
                                             m1 - m0, l0, l1 - l0}};
                } else {
                    uint64_t lo = a->off > b->off ? a->off : b->off;
                    uint64_t hi = a->off + a->size < b->off + b->size ? a->off + a->size : b->off + b->size;
                    if (lo >= hi || nb == 16) continue;
                    bool scratch = a->res == VKGR_SCRATCH;
                    bb[nb++] = (VkBufferMemoryBarrier2){
                        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                        .srcStageMask = a->stage,
                        .srcAccessMask = a->write ? a->access : 0,
                        .dstStageMask = b->stage,
                        .dstAccessMask = b->access,
                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                        .buffer = scratch ? r->scratch_vk : res_buffer(c, a->res),
                        .offset = (scratch ? c->region : 0) + lo,
                        .size = hi - lo};
                }
            }
        }
    }
    if (!nb && !ni) return;
    r->vk->vkCmdPipelineBarrier2(c->cmd, &(VkDependencyInfo){
                                             .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                                             .bufferMemoryBarrierCount = nb,
                                             .pBufferMemoryBarriers = bb,
                                             .imageMemoryBarrierCount = ni,
                                             .pImageMemoryBarriers = ib});
}

static void begin_rendering(rec *c, uint32_t w, uint32_t h, const VkRenderingAttachmentInfo *color,
                            const VkRenderingAttachmentInfo *depth,
                            const VkRenderingAttachmentInfo *stencil)
{
    runner *r = c->r;
    r->vk->vkCmdBeginRendering(c->cmd, &(VkRenderingInfo){
                                           .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                           .renderArea = {{0, 0}, {w, h}},
                                           .layerCount = 1,
                                           .colorAttachmentCount = color ? 1u : 0u,
                                           .pColorAttachments = color,
                                           .pDepthAttachment = depth,
                                           .pStencilAttachment = stencil});
    r->vk->vkCmdSetViewport(c->cmd, 0, 1, &(VkViewport){0, 0, (float)w, (float)h, 0, 1});
    r->vk->vkCmdSetScissor(c->cmd, 0, 1, &(VkRect2D){{0, 0}, {w, h}});
}

static bool bind_descriptor(rec *c, const rop *o, VkPipelineBindPoint bp)
{
    runner *r = c->r;
    dtype dt = kvars[o->var].dt;
    if (dt == DT_NONE) return true;
    VkDescriptorSet set;
    pthread_mutex_lock(&r->lock); /* the pool is externally synchronized */
    VkResult vr = r->vk->vkAllocateDescriptorSets(
        r->device,
        &(VkDescriptorSetAllocateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                       .descriptorPool = r->pools[r->slot],
                                       .descriptorSetCount = 1,
                                       .pSetLayouts = &r->dsl[dt]},
        &set);
    pthread_mutex_unlock(&r->lock);
    if (vr != VK_SUCCESS) {
        fail(r, VKG_ERROR_VULKAN, "vkAllocateDescriptorSets failed (VkResult %d)", (int)vr);
        return false;
    }
    const rres *R = &r->res[o->res];
    VkDescriptorBufferInfo bi = {0};
    VkDescriptorImageInfo ii = {0};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = set,
                              .descriptorCount = 1};
    if (dt == DT_SSBO || dt == DT_UBO) {
        bi = (VkDescriptorBufferInfo){res_buffer(c, o->res), o->off, o->size};
        w.descriptorType = dt == DT_SSBO ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                         : VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
        w.pBufferInfo = &bi;
    } else {
        VkImageView view = get_view(r, res_image(c, o->res), R, o->mip, o->layer0, o->layers,
                                    plane_aspect(R, o->plane));
        if (!view) return false;
        ii = (VkDescriptorImageInfo){dt == DT_SAMPLED ? r->sampler : VK_NULL_HANDLE, view,
                                     acc(r->in.uses[o->use].access)->layout};
        w.descriptorType = dt == DT_SAMPLED ? VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER
                                            : VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
        w.pImageInfo = &ii;
    }
    r->vk->vkUpdateDescriptorSets(r->device, 1, &w, 0, NULL);
    r->vk->vkCmdBindDescriptorSets(c->cmd, bp, r->layout[dt], 0, 1, &set, 0, NULL);
    return true;
}

static void push(rec *c, const rop *o, pcs *pc)
{
    c->r->vk->vkCmdPushConstants(c->cmd, c->r->layout[kvars[o->var].dt], run_stages(c->r), 0,
                                 sizeof *pc, pc);
}

static void record_op(rec *c, const rpass *rp, const rop *o)
{
    runner *r = c->r;
    static const vkg_plan_resource none_pr = {.name = ""};
    const rres none = {.pr = &none_pr};
    const rres *R = o->res < r->nres ? &r->res[o->res] : &none; /* the digest op has none */
    pcs pc;
    memset(&pc, 0, sizeof pc);
    pc.scratch[0] = (uint32_t)c->base;
    pc.scratch[1] = (uint32_t)(c->base >> 32);
    pc.slot = o->slot;
    pc.nslots = rp->nslots;
    pc.tag = VKGR_TAG(r->frame);
    uint32_t salt = o->salt;
    if (r->opt.debug_skew_op && o == &r->ops[r->opt.debug_skew_op - 1]) salt++;
    pc.salt = salt;
    pc.small = R->small;
    pc.mip = o->mip;
    pc.layer0 = o->layer0;
    pc.layers = o->layers;
    if (R->pr->is_image) {
        pc.width = mip_w(R->pr, o->mip);
        pc.height = mip_h(R->pr, o->mip);
        pc.count = pc.width * pc.height;
    } else {
        pc.count = (uint32_t)(o->size / 4);
        pc.sample_n = pc.count < VKGR_SAMPLE_WORDS ? pc.count : VKGR_SAMPLE_WORDS;
        pc.word0 = (uint32_t)(o->off / 4);
        VkDeviceAddress a = vkg_pass_buffer_address(c->ctx, (vkg_resource){o->res + 1}) + o->off;
        pc.addr[0] = (uint32_t)a;
        pc.addr[1] = (uint32_t)(a >> 32);
    }
    const struct VolkDeviceTable *vk = r->vk;
    VkCommandBuffer cmd = c->cmd;
    pipe_key key;
    memset(&key, 0, sizeof key);
    key.fs = KV_COUNT;
    key.pre = KV_COUNT;
    switch (o->kind) {
    case K_RBUF:
    case K_RIMG:
    case K_WBUF:
    case K_WIMG: {
        bool write = o->kind == K_WBUF || o->kind == K_WIMG;
        if (o->st == ST_C) {
            key.compute = true;
            key.vs = o->var;
            VkPipeline p = get_pipeline(r, &key);
            if (!p || !bind_descriptor(c, o, VK_PIPELINE_BIND_POINT_COMPUTE)) return;
            vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p);
            uint32_t groups = write ? o->groups : 1;
            pc.nthreads = groups * 64;
            push(c, o, &pc);
            vk->vkCmdDispatch(cmd, groups, 1, 1);
        } else {
            if (o->st == ST_V) {
                key.vs = o->var;
            } else if (o->st == ST_G || o->st == ST_TC) {
                /* 64 points (or one-point patches), rasterizer off: one kernel thread each */
                key.vs = KV_V_FULLSCREEN;
                key.pre = o->var;
                key.pre_kind = o->st == ST_G ? 1 : 2;
            } else {
                key.vs = KV_V_FULLSCREEN;
                key.fs = o->var;
            }
            VkPipeline p = get_pipeline(r, &key);
            if (!p || !bind_descriptor(c, o, VK_PIPELINE_BIND_POINT_GRAPHICS)) return;
            pc.nthreads = 64;
            push(c, o, &pc);
            bool frag = o->st == ST_F;
            begin_rendering(c, frag ? 8 : 1, frag ? 8 : 1, NULL, NULL, NULL);
            vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
            vk->vkCmdDraw(cmd, frag ? 3 : 64, 1, 0, 0);
            vk->vkCmdEndRendering(cmd);
        }
        break;
    }
    case K_DIGEST: {
        key.compute = true;
        key.vs = o->var;
        VkPipeline p = get_pipeline(r, &key);
        if (!p) return;
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p);
        push(c, o, &pc);
        vk->vkCmdDispatch(cmd, 1, 1, 1);
        break;
    }
    case K_DISPIND: {
        key.compute = true;
        key.vs = o->var;
        VkPipeline p = get_pipeline(r, &key);
        if (!p) return;
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p);
        push(c, o, &pc);
        vk->vkCmdDispatchIndirect(cmd, res_buffer(c, o->res), o->off);
        break;
    }
    case K_INDEX:
    case K_DRAWIND:
    case K_VERTEX: {
        key.vs = o->var;
        VkPipeline p = get_pipeline(r, &key);
        if (!p) return;
        push(c, o, &pc);
        begin_rendering(c, 1, 1, NULL, NULL, NULL);
        vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
        VkBuffer b = res_buffer(c, o->res);
        if (o->kind == K_INDEX) {
            vk->vkCmdBindIndexBuffer(cmd, b, o->off, VK_INDEX_TYPE_UINT32);
            vk->vkCmdDrawIndexed(cmd, (uint32_t)(o->size / 4), 1, 0, 0, 0);
        } else if (o->kind == K_DRAWIND) {
            vk->vkCmdDrawIndirect(cmd, b, o->off, 1, 16);
        } else {
            VkDeviceSize off = o->off;
            vk->vkCmdBindVertexBuffers(cmd, 0, 1, &b, &off);
            vk->vkCmdDraw(cmd, o->nslots, 1, 0, 0);
        }
        vk->vkCmdEndRendering(cmd);
        break;
    }
    case K_TREAD:
        if (!R->pr->is_image) {
            vk->vkCmdCopyBuffer(cmd, res_buffer(c, o->res), r->scratch_vk, 1,
                                &(VkBufferCopy){o->off, c->region + 4ull * o->slot, o->size});
        } else {
            VkBufferImageCopy bic = {
                .bufferOffset = c->region + 4ull * o->slot,
                .imageSubresource = {vkg_format_aspect(R->pr->format), o->mip, o->layer0, 1},
                .imageExtent = {(uint32_t)o->size, 1, 1}};
            vk->vkCmdCopyImageToBuffer(cmd, res_image(c, o->res), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                       r->scratch_vk, 1, &bic);
        }
        break;
    case K_COLOR:
    case K_DEPTH:
    case K_STENCIL:
    case K_LOADONLY: {
        VkImageView view = get_view(r, res_image(c, o->res), R, o->mip, o->layer0, 1, 0);
        if (!view) return;
        bool stencil = o->plane == 1;
        bool depth = R->fc == FC_D32 && !stencil;
        bool load_only = o->kind == K_LOADONLY;
        VkRenderingAttachmentInfo at = {
            .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
            .imageView = view,
            .imageLayout = acc(r->in.uses[o->use].access)->layout,
            .loadOp = (o->rw || load_only) ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_DONT_CARE,
            .storeOp = load_only ? VK_ATTACHMENT_STORE_OP_NONE : VK_ATTACHMENT_STORE_OP_STORE};
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        VkPipeline p = VK_NULL_HANDLE;
        if (!load_only) {
            key.vs = KV_V_FULLSCREEN;
            key.fs = o->var;
            key.samples = (uint8_t)R->pr->samples;
            if (stencil) {
                key.stencil = R->pr->format;
                key.stencil_mode = o->rw ? 2 : 1;
            } else if (depth) {
                key.depth = R->pr->format;
                key.depth_mode = o->rw ? 2 : 1;
            } else {
                key.color = R->pr->format;
                key.blend = o->rw;
            }
            p = get_pipeline(r, &key);
            if (!p) return;
            push(c, o, &pc);
        }
        if (o->rsv_res != UINT32_MAX) {
            const rres *T = &r->res[o->rsv_res];
            at.resolveImageView = get_view(r, res_image(c, o->rsv_res), T, o->rsv_mip, o->rsv_layer, 1, 0);
            if (!at.resolveImageView) return;
            at.resolveMode = R->fc == FC_U32 ? VK_RESOLVE_MODE_SAMPLE_ZERO_BIT : VK_RESOLVE_MODE_AVERAGE_BIT;
            at.resolveImageLayout = VK_IMAGE_LAYOUT_ATTACHMENT_OPTIMAL;
        }
        begin_rendering(c, w, h, depth || stencil ? NULL : &at, depth ? &at : NULL, stencil ? &at : NULL);
        if (p) {
            vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, p);
            if (stencil && !o->rw) vk->vkCmdSetStencilReference(cmd, VK_STENCIL_FACE_FRONT_AND_BACK, stencil_ref(salt));
            vk->vkCmdDraw(cmd, 3, 1, 0, 0);
        }
        vk->vkCmdEndRendering(cmd);
        break;
    }
    case K_COPYBUF:
        vk->vkCmdCopyBuffer(cmd, res_buffer(c, o->src_res), res_buffer(c, o->res), 1,
                            &(VkBufferCopy){o->src_off, o->off, o->size});
        break;
    case K_FILL:
        vk->vkCmdFillBuffer(cmd, res_buffer(c, o->res), o->off, o->size,
                            R->small ? 3u + salt % 6u : hfin(salt));
        break;
    case K_COPYIMG: {
        const rres *S = &r->res[o->src_res];
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        uint32_t ws = mip_w(S->pr, o->src_mip), hs = mip_h(S->pr, o->src_mip);
        VkImageAspectFlags aspect = vkg_format_aspect(R->pr->format);
        VkImageCopy ic = {.srcSubresource = {aspect, o->src_mip, o->src_layer0, o->layers},
                          .dstSubresource = {aspect, o->mip, o->layer0, o->layers},
                          .extent = {ws < w ? ws : w, hs < h ? hs : h, 1}};
        vk->vkCmdCopyImage(cmd, res_image(c, o->src_res), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           res_image(c, o->res), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &ic);
        break;
    }
    case K_PATTERN: {
        VkBufferImageCopy bic[16];
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip), bytes = fclass_bytes(R->fc);
        for (uint32_t l0 = 0; l0 < o->layers; l0 += 16) {
            uint32_t n = o->layers - l0 < 16 ? o->layers - l0 : 16;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t start = (salt + 977u * (l0 + i)) % VKGR_PATTERN_SHIFT;
                bic[i] = (VkBufferImageCopy){
                    .bufferOffset = (VkDeviceSize)start * bytes,
                    .imageSubresource = {vkg_format_aspect(R->pr->format), o->mip, o->layer0 + l0 + i, 1},
                    .imageExtent = {w, h, 1}};
            }
            vk->vkCmdCopyBufferToImage(cmd, r->pattern_vk[R->fc], res_image(c, o->res),
                                       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, n, bic);
        }
        break;
    }
    case K_READBACK:
    case K_UPLOAD:
        break;
    }
}

/* copies between an image or buffer and a packed staging buffer: every mip and layer */
static void staging_copy(runner *r, VkCommandBuffer cmd, const rres *R, VkBuffer res_buf,
                         VkImage res_img, VkBuffer staging, bool to_staging)
{
    const struct VolkDeviceTable *vk = r->vk;
    if (!R->pr->is_image) {
        VkBufferCopy bc = {0, 0, R->pr->size};
        if (to_staging) vk->vkCmdCopyBuffer(cmd, res_buf, staging, 1, &bc);
        else vk->vkCmdCopyBuffer(cmd, staging, res_buf, 1, &bc);
        return;
    }
    uint32_t bytes = fclass_bytes(R->fc);
    for (uint32_t m = 0; m < R->pr->mips; m++)
        for (uint32_t l = 0; l < R->pr->layers; l++) {
            VkBufferImageCopy bic = {
                .bufferOffset = tix(R, m, l, 0, 0) * bytes,
                .imageSubresource = {vkg_format_aspect(R->pr->format), m, l, 1},
                .imageExtent = {mip_w(R->pr, m), mip_h(R->pr, m), 1}};
            if (to_staging)
                vk->vkCmdCopyImageToBuffer(cmd, res_img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                           staging, 1, &bic);
            else
                vk->vkCmdCopyBufferToImage(cmd, staging, res_img,
                                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &bic);
        }
}

static void record_pass(const vkg_pass_context *ctx, void *user)
{
    runner *r = user;
    uint32_t k = vkg_pass_index(ctx);
    if (r->error != VKG_SUCCESS || k >= r->in.pass_count) return;
    rec c = {r, ctx, vkg_pass_command_buffer(ctx), 0, 0};
    const rpass *rp = &r->pass[k];
    const vkg_plan_pass *p = &r->in.passes[k];
    if (strncmp(p->name, "vkgraph-run/readback:", 21) == 0) {
        /* use 0 is the staging buffer, the others the regions to read back */
        VkBuffer staging = res_buffer(&c, r->in.uses[p->first_use].resource);
        for (uint32_t i = 1; i < p->use_count; i++) {
            const vkg_plan_use *u = &r->in.uses[p->first_use + i];
            const rres *R = &r->res[u->resource];
            if (!R->pr->is_image) {
                r->vk->vkCmdCopyBuffer(c.cmd, res_buffer(&c, u->resource), staging, 1,
                                       &(VkBufferCopy){u->offset, u->offset, u->size});
                continue;
            }
            uint32_t p0, p1;
            aspect_planes(R, u->aspect, &p0, &p1);
            for (uint32_t pl = p0; pl < p1; pl++)
                for (uint32_t m = u->base_mip; m < u->base_mip + u->mip_count; m++)
                    for (uint32_t l = u->base_layer; l < u->base_layer + u->layer_count; l++) {
                        VkBufferImageCopy bic = {
                            .bufferOffset = texel_byte(R, tixp(R, pl, m, l, 0, 0)),
                            .imageSubresource = {plane_aspect(R, pl), m, l, 1},
                            .imageExtent = {mip_w(R->pr, m), mip_h(R->pr, m), 1}};
                        r->vk->vkCmdCopyImageToBuffer(c.cmd, res_image(&c, u->resource),
                                                      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging,
                                                      1, &bic);
                    }
        }
        return;
    }
    bool stamps = r->opt.timings && rp->timestamps;
    if (stamps)
        r->vk->vkCmdWriteTimestamp2(c.cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, r->queries[r->slot], 2 * k);
    c.region = (VkDeviceSize)r->slot * r->scratch_frame_bytes + rp->scratch_off;
    c.base = r->scratch_addr + c.region;
    for (uint32_t j = 0; j < rp->op_count && r->error == VKG_SUCCESS; j++) {
        op_barriers(&c, rp, j);
        record_op(&c, rp, &r->ops[rp->first_op + j]);
    }
    if (stamps)
        r->vk->vkCmdWriteTimestamp2(c.cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, r->queries[r->slot],
                                    2 * k + 1);
}

/* ------------------------------------------------------------------------------------------
 * Set-up, frames, comparison
 * ---------------------------------------------------------------------------------------- */
/* passes and resources run adds to the graph */
static bool is_run_name(const char *name)
{
    return strncmp(name, "vkgraph-run/", 12) == 0;
}

/* host-visible buffer for run's own use */
static vkg_result host_buffer(runner *r, const char *name, VkDeviceSize size, VkBufferUsageFlags usage,
                              vkg_memory_usage mu, vkg_buffer *out, void **mapped, VkBuffer *vkb)
{
    vkg_result e = vkg_buffer_create(r->dev, &(vkg_buffer_desc){.name = name, .size = size ? size : 4,
                                                                 .usage = usage, .memory_usage = mu},
                                     out);
    if (e != VKG_SUCCESS) return fail(r, e, "creating run's buffer \"%s\" (%" PRIu64 " bytes) failed", name, (uint64_t)size);
    vkg_buffer_info bi;
    e = vkg_buffer_get_info(r->dev, *out, &bi);
    if (e != VKG_SUCCESS) return fail(r, e, "vkg_buffer_get_info failed");
    if (mapped) *mapped = bi.mapped;
    if (vkb) *vkb = bi.buffer;
    if (mapped && !bi.mapped) return fail(r, VKG_ERROR_VULKAN, "run's buffer \"%s\" is not host-visible", name);
    return VKG_SUCCESS;
}

static uint64_t image_texels(const vkg_plan_resource *pr)
{
    uint64_t n = 0;
    for (uint32_t m = 0; m < pr->mips; m++) n += (uint64_t)mip_w(pr, m) * mip_h(pr, m);
    return n * pr->layers;
}

static vkg_result compile(runner *r, vkg_plan **plan)
{
    vkg_compile_desc cd = {.caps = r->caps, .requirements = vkg_device_requirements,
                           .requirements_user = r->dev};
    vkg_result e = vkg_compile_ex(r->graph, &cd, plan);
    if (e != VKG_SUCCESS) return fail(r, e, "the graph does not compile (%s; the log says why)", vkg_result_name(e));
    return VKG_SUCCESS;
}

static bool needs_readback(const runner *r, const vkg_plan_resource *pr)
{
    return r->opt.verify && (pr->output || pr->imported) && pr->used;
}

static int cmp_range(const void *a, const void *b)
{
    const vkg_use *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Reads back what the plan can define: all of an imported resource, the written parts of a
 * transient one (reading the rest would be a read before any write). */
static vkg_result add_readback(runner *r, vkg_graph *g, const vkg_plan_info *in, uint32_t i,
                               vkg_resource *staged, bool *added)
{
    const vkg_plan_resource *pr = &in->resources[i];
    vkg_use uses[64];
    uint32_t n = 1;
    *added = false;
    if (pr->imported) {
        uses[n++] = (vkg_use){.resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ};
    } else if (pr->is_image) {
        /* per plane: the depth and the stencil of an image with both are written apart */
        const VkImageAspectFlags ds = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
        uint32_t planes = vkg_format_aspect(pr->format) == ds ? 2 : 1;
        uint32_t nsub = planes * pr->mips * pr->layers;
        uint8_t *w = calloc(nsub ? nsub : 1, 1);
        if (!w) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        for (uint32_t u = 0; u < in->use_count; u++) {
            const vkg_plan_use *x = &in->uses[u];
            if (x->resource != i || !acc(x->access)->write) continue;
            VkImageAspectFlags a = acc(x->access)->aspect ? acc(x->access)->aspect : x->aspect;
            for (uint32_t pl = 0; pl < planes; pl++) {
                if (planes == 2 && !(a & (pl ? VK_IMAGE_ASPECT_STENCIL_BIT : VK_IMAGE_ASPECT_DEPTH_BIT)))
                    continue;
                for (uint32_t m = x->base_mip; m < x->base_mip + x->mip_count; m++)
                    for (uint32_t l = x->base_layer; l < x->base_layer + x->layer_count; l++)
                        w[(pl * pr->mips + m) * pr->layers + l] = 1;
            }
        }
        for (uint32_t pl = 0; pl < planes; pl++)
            for (uint32_t m = 0; m < pr->mips; m++)
                for (uint32_t l = 0; l < pr->layers; l++) {
                    const uint8_t *row = w + (pl * pr->mips + m) * pr->layers;
                    if (!row[l]) continue;
                    uint32_t e = l;
                    while (e + 1 < pr->layers && row[e + 1]) e++;
                    if (n < 64)
                        uses[n++] = (vkg_use){
                            .resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ, .base_mip = m,
                            .mip_count = 1, .base_layer = l, .layer_count = e - l + 1,
                            .aspect = planes == 2 ? (pl ? VK_IMAGE_ASPECT_STENCIL_BIT : VK_IMAGE_ASPECT_DEPTH_BIT) : 0};
                    l = e;
                }
        free(w);
    } else {
        vkg_use rs[64];
        uint32_t nr = 0;
        for (uint32_t u = 0; u < in->use_count && nr < 64; u++) {
            const vkg_plan_use *x = &in->uses[u];
            if (x->resource == i && acc(x->access)->write)
                rs[nr++] = (vkg_use){.offset = x->offset, .size = x->size};
        }
        qsort(rs, nr, sizeof *rs, cmp_range);
        for (uint32_t k = 0; k < nr && n < 64; k++) {
            uint64_t lo = rs[k].offset, hi = lo + rs[k].size;
            while (k + 1 < nr && rs[k + 1].offset <= hi) {
                if (rs[k + 1].offset + rs[k + 1].size > hi) hi = rs[k + 1].offset + rs[k + 1].size;
                k++;
            }
            uses[n++] = (vkg_use){.resource = {i + 1}, .access = VKG_ACCESS_TRANSFER_READ,
                                  .offset = lo, .size = hi - lo};
        }
    }
    if (n == 1) return VKG_SUCCESS; /* nothing defines it: nothing to compare */
    char name[300];
    uint64_t bytes = pr->is_image ? image_texels(pr) * fclass_bytes(fclass_of(pr->format)) : pr->size;
    if (pr->is_image && vkg_format_aspect(pr->format) == (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT))
        bytes += image_texels(pr) * fclass_bytes(FC_R8); /* the stencil plane */
    snprintf(name, sizeof name, "vkgraph-run/staging:%s", pr->name);
    vkg_result e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = bytes ? bytes : 4,
                                                                .imported = true, .output = true},
                                    staged);
    if (e != VKG_SUCCESS) return fail(r, e, "adding a readback buffer for \"%s\" failed", pr->name);
    uses[0] = (vkg_use){.resource = *staged, .access = VKG_ACCESS_TRANSFER_WRITE};
    snprintf(name, sizeof name, "vkgraph-run/readback:%s", pr->name);
    e = vkg_graph_pass(g, &(vkg_pass_desc){.name = name, .uses = uses, .use_count = n,
                                           .record = record_pass, .user = r}, NULL);
    if (e != VKG_SUCCESS) return fail(r, e, "adding the readback pass for \"%s\" failed", pr->name);
    *added = true;
    return VKG_SUCCESS;
}

/* Compiles the user's graph, then builds run's own copy of what survived: the same resources
 * (same handles), every live pass with a kernel, and with --verify a readback pass for every
 * output and imported resource (just before a present, which must stay an image's last use). */
static vkg_result prepare_graph(runner *r, vkg_graph *user_graph)
{
    vkg_plan *first = NULL;
    r->graph = user_graph;
    vkg_result e = compile(r, &first);
    r->graph = NULL;
    if (e != VKG_SUCCESS) return e;
    vkg_plan_info in;
    vkg_plan_get_info(first, &in);
    vkg_graph *g = NULL;
    e = vkg_graph_create(&(vkg_graph_desc){.name = in.name}, &g);
    if (e != VKG_SUCCESS) {
        vkg_plan_destroy(first);
        return fail(r, e, "vkg_graph_create failed");
    }
    r->graph = g;
    for (uint32_t i = 0; i < in.resource_count && e == VKG_SUCCESS; i++) {
        const vkg_plan_resource *pr = &in.resources[i];
        vkg_resource h;
        if (pr->is_image)
            e = vkg_graph_image(g, &(vkg_graph_image_desc){.name = pr->name, .format = pr->format,
                .width = pr->width, .height = pr->height, .depth = pr->depth, .mips = pr->mips,
                .layers = pr->layers, .samples = pr->samples, .imported = pr->imported,
                .state = pr->state, .output = pr->output}, &h);
        else
            e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = pr->name, .size = pr->size,
                .imported = pr->imported, .state = pr->state, .output = pr->output}, &h);
        if (e == VKG_SUCCESS && h.id != i + 1) e = VKG_ERROR_INVALID_ARGUMENT;
        if (e != VKG_SUCCESS) e = fail(r, e, "copying resource \"%s\" failed", pr->name);
    }
    bool *done = calloc(in.resource_count + 1, sizeof *done);
    vkg_resource *staged = calloc(in.resource_count + 1, sizeof *staged);
    vkg_use *uses = calloc(in.use_count + 1, sizeof *uses);
    if ((!done || !staged || !uses) && e == VKG_SUCCESS) e = fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    uint32_t nst = 0;
    for (uint32_t k = 0; k < in.pass_count && e == VKG_SUCCESS; k++) {
        const vkg_plan_pass *p = &in.passes[k];
        for (uint32_t i = 0; i < p->use_count && e == VKG_SUCCESS; i++) {
            const vkg_plan_use *u = &in.uses[p->first_use + i];
            if (u->access == VKG_ACCESS_PRESENT && !done[u->resource] &&
                needs_readback(r, &in.resources[u->resource])) {
                bool added;
                e = add_readback(r, g, &in, u->resource, &staged[nst], &added);
                nst += added;
                done[u->resource] = true;
            }
            uses[i] = (vkg_use){.resource = {u->resource + 1}, .access = u->access};
            if (in.resources[u->resource].is_image) {
                uses[i].base_mip = u->base_mip, uses[i].mip_count = u->mip_count;
                uses[i].base_layer = u->base_layer, uses[i].layer_count = u->layer_count;
            } else {
                uses[i].offset = u->offset, uses[i].size = u->size;
            }
        }
        if (e == VKG_SUCCESS)
            e = vkg_graph_pass(g, &(vkg_pass_desc){.name = p->name, .queue = p->role, .uses = uses,
                                                   .use_count = p->use_count, .record = record_pass,
                                                   .user = r, .side_effects = true}, NULL);
        if (e != VKG_SUCCESS) e = fail(r, e, "copying pass \"%s\" failed", p->name);
    }
    for (uint32_t i = 0; i < in.resource_count && e == VKG_SUCCESS; i++)
        if (!done[i] && needs_readback(r, &in.resources[i])) {
            bool added;
            e = add_readback(r, g, &in, i, &staged[nst], &added);
            nst += added;
        }
    if (e == VKG_SUCCESS && nst) {
        vkg_use *hu = calloc(nst, sizeof *hu);
        if (!hu) e = fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        for (uint32_t i = 0; hu && i < nst; i++)
            hu[i] = (vkg_use){.resource = staged[i], .access = VKG_ACCESS_HOST_READ};
        if (hu)
            e = vkg_graph_pass(g, &(vkg_pass_desc){.name = "vkgraph-run/host", .uses = hu,
                                                   .use_count = nst, .side_effects = true}, NULL);
        if (e != VKG_SUCCESS) e = fail(r, e, "adding the host-read pass failed");
        free(hu);
    }
    free(done), free(staged), free(uses);
    vkg_plan_destroy(first);
    return e;
}

/* Model arrays, ops and scratch layout for the final plan. */
static vkg_result build(runner *r)
{
    r->nres = r->in.resource_count;
    r->res = calloc(r->nres ? r->nres : 1, sizeof *r->res);
    r->pass = calloc(r->in.pass_count ? r->in.pass_count : 1, sizeof *r->pass);
    if (!r->res || !r->pass) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        R->pr = &r->in.resources[i];
        R->handle = (vkg_resource){i + 1};
        R->fc = fclass_of(R->pr->format);
    }
    /* buffers read as indirect arguments anywhere keep their words small */
    for (uint32_t u = 0; u < r->in.use_count; u++)
        if (r->in.uses[u].access == VKG_ACCESS_INDIRECT_READ) r->res[r->in.uses[u].resource].small = true;
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->pr->used || is_run_name(R->pr->name)) continue;
        uint64_t n;
        if (R->pr->is_image) {
            if (R->fc == FC_NONE || R->pr->depth > 1) continue; /* build_pass names the problem */
            R->planes = vkg_format_aspect(R->pr->format) ==
                                (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT)
                            ? 2
                            : 1;
            R->sub = calloc((size_t)R->planes * R->pr->mips * R->pr->layers, sizeof *R->sub);
            if (!R->sub) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
            uint64_t t = 0;
            for (uint32_t p = 0; p < R->planes; p++)
                for (uint32_t m = 0; m < R->pr->mips; m++)
                    for (uint32_t l = 0; l < R->pr->layers; l++) {
                        R->sub[(p * R->pr->mips + m) * R->pr->layers + l] = t;
                        t += (uint64_t)mip_w(R->pr, m) * mip_h(R->pr, m);
                    }
            R->texels = n = t;
            R->plane_texels = t / R->planes;
        } else {
            n = R->pr->size;
        }
        R->val = calloc(n ? n : 1, 1);
        R->known = calloc(n ? n : 1, 1);
        if (!R->val || !R->known) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        if (r->opt.verify && (R->pr->output || R->pr->imported)) {
            R->exp_val = calloc((size_t)r->F * (n ? n : 1), 1);
            R->exp_known = calloc((size_t)r->F * (n ? n : 1), 1);
            if (!R->exp_val || !R->exp_known) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        }
    }
    uint64_t off = 0;
    for (uint32_t k = 0; k < r->in.pass_count; k++) {
        rpass *rp = &r->pass[k];
        if (is_run_name(r->in.passes[k].name)) {
            rp->first_op = r->nops;
            continue;
        }
        vkg_result e = build_pass(r, k);
        if (e != VKG_SUCCESS) return e;
        rp->scratch_off = off;
        off += 4ull * rp->ntotal;
    }
    r->scratch_frame_bytes = (off + 255) & ~255ull;
    r->info->ops = r->nops;
    r->info->passes = r->in.pass_count;
    return VKG_SUCCESS;
}

/* Imported resources: created here, filled with their pattern by a one-pass graph. */
typedef struct init_ctx {
    runner *r;
    vkg_buffer *staging;
    uint32_t *index; /* imported resource -> runner resource */
    uint32_t count;
} init_ctx;

static void record_init(const vkg_pass_context *ctx, void *user)
{
    init_ctx *ic = user;
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    for (uint32_t i = 0; i < ic->count; i++) {
        const rres *R = &ic->r->res[ic->index[i]];
        vkg_resource h = {2 * i + 1}, st = {2 * i + 2};
        staging_copy(ic->r, cmd, R, vkg_pass_buffer(ctx, h), vkg_pass_image(ctx, h),
                     vkg_pass_buffer(ctx, st), false);
    }
}

static vkg_result create_imported(runner *r, vkg_executor *ex)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->pr->imported || !R->pr->used || !R->val) continue;
        char name[300];
        snprintf(name, sizeof name, "%s", R->pr->name);
        vkg_result e;
        if (R->pr->is_image) {
            e = vkg_image_create(r->dev, &(vkg_image_desc){
                .name = name, .format = R->pr->format, .width = R->pr->width, .height = R->pr->height,
                .mips = R->pr->mips, .layers = R->pr->layers,
                .usage = R->pr->image_usage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                &R->img);
        } else {
            e = vkg_buffer_create(r->dev, &(vkg_buffer_desc){
                .name = name, .size = R->pr->size,
                .usage = R->pr->buffer_usage | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                         VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT},
                &R->buf);
        }
        if (e != VKG_SUCCESS)
            return fail(r, e, "creating imported %s \"%s\" failed (%s)", R->pr->is_image ? "image" : "buffer",
                        R->pr->name, vkg_result_name(e));
        init_imported(R, i);
        n++;
    }
    if (!n) return VKG_SUCCESS;
    init_ctx ic = {r, calloc(n, sizeof(vkg_buffer)), calloc(n, sizeof(uint32_t)), 0};
    vkg_binding *bind = calloc(2 * n, sizeof *bind);
    vkg_use *uses = calloc(2 * n, sizeof *uses);
    vkg_graph *g = NULL;
    vkg_plan *plan = NULL;
    vkg_result e = (!ic.staging || !ic.index || !bind || !uses) ? VKG_ERROR_OUT_OF_HOST_MEMORY : VKG_SUCCESS;
    if (e == VKG_SUCCESS) e = vkg_graph_create(&(vkg_graph_desc){.name = "vkgraph-run/init"}, &g);
    for (uint32_t i = 0; i < r->nres && e == VKG_SUCCESS; i++) {
        rres *R = &r->res[i];
        if (!R->pr->imported || !R->pr->used || !R->val) continue;
        uint32_t k = ic.count++;
        ic.index[k] = i;
        uint64_t bytes = R->pr->is_image ? R->texels * fclass_bytes(R->fc) : R->pr->size;
        uint8_t *map = NULL;
        char name[300];
        snprintf(name, sizeof name, "vkgraph-run/init:%s", R->pr->name);
        e = host_buffer(r, name, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, VKG_MEMORY_UPLOAD,
                        &ic.staging[k], (void **)&map, NULL);
        if (e != VKG_SUCCESS) break;
        if (R->pr->is_image)
            for (uint64_t t = 0; t < R->texels; t++) encode_texel(R->fc, R->val[t], map + t * fclass_bytes(R->fc));
        else
            memcpy(map, R->val, bytes);
        e = vkg_buffer_flush(r->dev, ic.staging[k], 0, VK_WHOLE_SIZE);
        vkg_resource h, st;
        if (e == VKG_SUCCESS) {
            if (R->pr->is_image)
                e = vkg_graph_image(g, &(vkg_graph_image_desc){.name = R->pr->name, .format = R->pr->format,
                    .width = R->pr->width, .height = R->pr->height, .mips = R->pr->mips,
                    .layers = R->pr->layers, .imported = true, .output = true}, &h);
            else
                e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = R->pr->name, .size = R->pr->size,
                    .imported = true, .output = true}, &h);
        }
        if (e == VKG_SUCCESS)
            e = vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = bytes, .imported = true}, &st);
        if (e != VKG_SUCCESS) break;
        uses[2 * k] = (vkg_use){.resource = h, .access = VKG_ACCESS_TRANSFER_WRITE};
        uses[2 * k + 1] = (vkg_use){.resource = st, .access = VKG_ACCESS_TRANSFER_READ};
        bind[2 * k] = (vkg_binding){.resource = h, .buffer = R->buf, .image = R->img};
        bind[2 * k + 1] = (vkg_binding){.resource = st, .buffer = ic.staging[k]};
    }
    if (e == VKG_SUCCESS)
        e = vkg_graph_pass(g, &(vkg_pass_desc){.name = "vkgraph-run/init", .uses = uses,
                                               .use_count = 2 * ic.count, .record = record_init,
                                               .user = &ic}, NULL);
    if (e == VKG_SUCCESS)
        e = vkg_compile_ex(g, &(vkg_compile_desc){.caps = r->caps, .requirements = vkg_device_requirements,
                                                  .requirements_user = r->dev}, &plan);
    vkg_ticket t = {0};
    if (e == VKG_SUCCESS)
        e = vkg_execute(plan, &(vkg_execute_desc){.executor = ex, .bindings = bind,
                                                  .binding_count = 2 * ic.count}, &t);
    if (e == VKG_SUCCESS) e = vkg_ticket_wait(r->dev, t, UINT64_MAX);
    if (e != VKG_SUCCESS) fail(r, e, "initialising the imported resources failed (%s)", vkg_result_name(e));
    for (uint32_t k = 0; k < ic.count; k++)
        if (ic.staging[k].id) vkg_buffer_destroy(r->dev, ic.staging[k]);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    free(ic.staging), free(ic.index), free(bind), free(uses);
    return e;
}

static vkg_result create_device_objects(runner *r)
{
    vkg_result e = create_layouts(r);
    if (e != VKG_SUCCESS) return e;
    /* scratch: zeroed on the host, so tag slots start unset */
    void *map = NULL;
    uint64_t sbytes = (uint64_t)r->F * r->scratch_frame_bytes;
    e = host_buffer(r, "vkgraph-run/scratch", sbytes,
                    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                        VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                    VKG_MEMORY_UPLOAD, &r->scratch, &map, &r->scratch_vk);
    if (e != VKG_SUCCESS) return e;
    memset(map, 0, sbytes ? sbytes : 4);
    e = vkg_buffer_flush(r->dev, r->scratch, 0, VK_WHOLE_SIZE);
    if (e != VKG_SUCCESS) return fail(r, e, "flushing the scratch buffer failed");
    vkg_buffer_info bi;
    e = vkg_buffer_get_info(r->dev, r->scratch, &bi);
    if (e != VKG_SUCCESS) return fail(r, e, "vkg_buffer_get_info failed");
    r->scratch_addr = bi.address;
    /* pattern buffers: one per format class that a pattern copy writes */
    uint64_t need[FC_COUNT] = {0};
    for (uint32_t i = 0; i < r->nops; i++) {
        const rop *o = &r->ops[i];
        if (o->kind != K_PATTERN) continue;
        const rres *R = &r->res[o->res];
        uint64_t t = (uint64_t)mip_w(R->pr, o->mip) * mip_h(R->pr, o->mip) + VKGR_PATTERN_SHIFT;
        if (t > need[R->fc]) need[R->fc] = t;
    }
    for (int fc = 1; fc < FC_COUNT; fc++) {
        if (!need[fc]) continue;
        uint32_t bytes = fclass_bytes((fclass)fc);
        uint8_t *p = NULL;
        e = host_buffer(r, "vkgraph-run/pattern", need[fc] * bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                        VKG_MEMORY_UPLOAD, &r->pattern[fc], (void **)&p, &r->pattern_vk[fc]);
        if (e != VKG_SUCCESS) return e;
        for (uint64_t t = 0; t < need[fc]; t++) encode_texel((fclass)fc, pattern_value((uint32_t)t), p + t * bytes);
        e = vkg_buffer_flush(r->dev, r->pattern[fc], 0, VK_WHOLE_SIZE);
        if (e != VKG_SUCCESS) return fail(r, e, "flushing a pattern buffer failed");
    }
    /* descriptor pools: one set per descriptor op per frame */
    uint32_t count[DT_COUNT] = {0}, sets = 0;
    for (uint32_t i = 0; i < r->nops; i++) {
        dtype dt = kvars[r->ops[i].var].dt;
        bool has = r->ops[i].kind == K_RBUF || r->ops[i].kind == K_RIMG || r->ops[i].kind == K_WBUF ||
                   r->ops[i].kind == K_WIMG;
        if (has && dt != DT_NONE) count[dt]++, sets++;
    }
    VkDescriptorPoolSize sizes[4] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, count[DT_SSBO] + 1},
                                     {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, count[DT_UBO] + 1},
                                     {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, count[DT_SAMPLED] + 1},
                                     {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, count[DT_STORAGE_IMAGE] + 1}};
    r->pools = calloc(r->F, sizeof *r->pools);
    r->queries = calloc(r->F, sizeof *r->queries);
    if (!r->pools || !r->queries) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t s = 0; s < r->F; s++) {
        VKGR_VK(r->vk->vkCreateDescriptorPool(r->device,
                                              &(VkDescriptorPoolCreateInfo){
                                                  .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                                  .maxSets = sets + 1,
                                                  .poolSizeCount = 4,
                                                  .pPoolSizes = sizes},
                                              NULL, &r->pools[s]),
                "vkCreateDescriptorPool");
        if (r->opt.timings)
            VKGR_VK(r->vk->vkCreateQueryPool(r->device,
                                             &(VkQueryPoolCreateInfo){
                                                 .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                                 .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                                 .queryCount = 2 * r->in.pass_count + 2},
                                             NULL, &r->queries[s]),
                    "vkCreateQueryPool");
    }
    /* readback staging per frame slot */
    if (r->opt.verify)
        for (uint32_t i = 0; i < r->nres; i++) {
            rres *R = &r->res[i];
            if (!(R->pr->output || R->pr->imported) || !R->pr->used || !R->val) continue;
            char name[300];
            snprintf(name, sizeof name, "vkgraph-run/staging:%s", R->pr->name);
            R->rb_handle = vkg_graph_find_resource(r->graph, name);
            R->rb_bytes = R->pr->is_image ? texel_byte(R, R->texels) : R->pr->size;
            R->rb_bufs = calloc(r->F, sizeof *R->rb_bufs);
            if (!R->rb_bufs) return fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
            for (uint32_t s = 0; s < r->F; s++) {
                e = host_buffer(r, name, R->rb_bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                VKG_MEMORY_READBACK, &R->rb_bufs[s], NULL, NULL);
                if (e != VKG_SUCCESS) return e;
            }
        }
    return VKG_SUCCESS;
}

/* compares slot `s` (frame `frame`) with the model's snapshot */
static vkg_result compare(runner *r, uint32_t s, uint32_t frame)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->rb_bufs) continue;
        vkg_buffer_info bi;
        vkg_result e = vkg_buffer_invalidate(r->dev, R->rb_bufs[s], 0, VK_WHOLE_SIZE);
        if (e == VKG_SUCCESS) e = vkg_buffer_get_info(r->dev, R->rb_bufs[s], &bi);
        if (e != VKG_SUCCESS) return fail(r, e, "reading back \"%s\" failed", R->pr->name);
        const uint8_t *gpu = bi.mapped;
        uint64_t n = R->pr->is_image ? R->texels : R->pr->size;
        const uint8_t *ev = R->exp_val + (size_t)s * n, *ek = R->exp_known + (size_t)s * n;
        if (!R->pr->is_image) {
            for (uint64_t b = 0; b + 4 <= n; b += 4) {
                if (!(ek[b] && ek[b + 1] && ek[b + 2] && ek[b + 3])) {
                    r->info->values_undefined++;
                    continue;
                }
                r->info->values_checked++;
                uint32_t got, want;
                memcpy(&got, gpu + b, 4);
                memcpy(&want, ev + b, 4);
                if (got == want) continue;
                if (r->info->mismatches++ == 0)
                    snprintf(r->info->message, sizeof r->info->message,
                             "frame %u: output buffer \"%s\" word at byte %" PRIu64
                             " is 0x%08x on the GPU, the CPU model says 0x%08x",
                             frame, R->pr->name, b, got, want);
            }
            continue;
        }
        for (uint32_t pl = 0; pl < R->planes; pl++)
        for (uint32_t m = 0; m < R->pr->mips; m++)
            for (uint32_t l = 0; l < R->pr->layers; l++)
                for (uint32_t y = 0; y < mip_h(R->pr, m); y++)
                    for (uint32_t x = 0; x < mip_w(R->pr, m); x++) {
                        uint64_t t = tixp(R, pl, m, l, x, y);
                        if (!ek[t]) {
                            r->info->values_undefined++;
                            continue;
                        }
                        r->info->values_checked++;
                        uint32_t got = decode_texel(plane_fc(R, pl), gpu + texel_byte(R, t));
                        if (got == ev[t]) continue;
                        if (r->info->mismatches++ == 0)
                            snprintf(r->info->message, sizeof r->info->message,
                                     "frame %u: output image \"%s\"%s mip %u layer %u texel (%u, %u) "
                                     "holds %u on the GPU, the CPU model says %u",
                                     frame, R->pr->name,
                                     R->planes == 2 ? (pl ? " stencil" : " depth") : "", m, l, x, y,
                                     got, ev[t]);
                    }
    }
    return VKG_SUCCESS;
}

static void collect_stamps(runner *r, uint32_t s, uint32_t frame)
{
    uint32_t n = 2 * r->in.pass_count;
    uint64_t *out = r->stamps + (size_t)frame * n * 2; /* value, availability */
    r->vk->vkGetQueryPoolResults(r->device, r->queries[s], 0, n, (size_t)n * 16, out, 16,
                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
}

static void report_timings(runner *r, uint32_t frames)
{
    FILE *f = r->opt.report;
    uint32_t n = r->in.pass_count;
    double period = r->caps->timestamp_period_ns;
    fprintf(f, "\nGPU time per pass (timestamp queries, %u frame%s; us)\n", frames, frames == 1 ? "" : "s");
    fprintf(f, "  %-32s %-9s %5s %10s %10s %10s\n", "pass", "queue", "ops", "mean", "min", "max");
    double total = 0;
    for (uint32_t k = 0; k < n; k++) {
        const vkg_plan_pass *p = &r->in.passes[k];
        if (is_run_name(p->name)) continue;
        double sum = 0, mn = 1e30, mx = 0;
        uint32_t got = 0;
        for (uint32_t fr = 0; fr < frames; fr++) {
            const uint64_t *q = r->stamps + ((size_t)fr * 2 * n + 2 * k) * 2;
            if (!q[1] || !q[3] || q[2] < q[0]) continue;
            double us = (double)(q[2] - q[0]) * period / 1000.0;
            sum += us;
            if (us < mn) mn = us;
            if (us > mx) mx = us;
            got++;
        }
        if (got)
            fprintf(f, "  %-32.32s %-9s %5u %10.1f %10.1f %10.1f\n", p->name, vkg_queue_role_name(p->role),
                    r->pass[k].op_count, sum / got, mn, mx);
        else
            fprintf(f, "  %-32.32s %-9s %5u %10s %10s %10s\n", p->name, vkg_queue_role_name(p->role),
                    r->pass[k].op_count, "-", "-", "-");
        total += got ? sum / got : 0;
    }
    fprintf(f, "  %-32s %-9s %5s %10.1f\n", "sum of passes", "", "", total);
}

static vkg_result write_trace(runner *r, uint32_t frames)
{
    FILE *f = fopen(r->opt.trace_path, "w");
    if (!f) return fail(r, VKG_ERROR_IO, "cannot write the trace to \"%s\"", r->opt.trace_path);
    uint32_t n = r->in.pass_count;
    uint64_t t0 = UINT64_MAX;
    if (r->stamps)
        for (uint64_t i = 0; i < (uint64_t)frames * 2 * n; i++) {
            const uint64_t *q = r->stamps + i * 2;
            if (q[1] && q[0] < t0) t0 = q[0];
        }
    double period = r->caps->timestamp_period_ns;
    fprintf(f, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n");
    fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"CPU\"}},\n");
    fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": \"GPU (%s)\"}}",
            r->caps->device_name);
    for (uint32_t q = 0; q < r->in.queue_count; q++)
        fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %u, \"args\": "
                   "{\"name\": \"%s queue (family %u)\"}}",
                q, vkg_queue_role_name(r->in.queues[q].role), r->in.queues[q].family);
    for (uint32_t fr = 0; fr < frames; fr++) {
        fprintf(f, ",\n{\"name\": \"vkg_execute frame %u\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, "
                   "\"ts\": %.3f, \"dur\": %.3f}",
                fr, r->cpu_t0[fr] - r->cpu_t0[0], r->cpu_us[fr]);
        if (!r->stamps || t0 == UINT64_MAX) continue;
        for (uint32_t k = 0; k < n; k++) {
            const uint64_t *q = r->stamps + ((size_t)fr * 2 * n + 2 * k) * 2;
            if (!q[1] || !q[3] || q[2] < q[0]) continue;
            const char *name = r->in.passes[k].name;
            fprintf(f, ",\n{\"name\": \"");
            for (const char *c = name; *c; c++) {
                if (*c == '"' || *c == '\\') fputc('\\', f);
                if ((unsigned char)*c >= 0x20) fputc(*c, f);
            }
            fprintf(f, "\", \"cat\": \"pass\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, \"ts\": %.3f, "
                       "\"dur\": %.3f, \"args\": {\"frame\": %u, \"ops\": %u}}",
                    r->in.passes[k].queue, (double)(q[0] - t0) * period / 1000.0,
                    (double)(q[2] - q[0]) * period / 1000.0, fr, r->pass[k].op_count);
        }
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) return fail(r, VKG_ERROR_IO, "cannot write the trace to \"%s\"", r->opt.trace_path);
    return VKG_SUCCESS;
}

static void snapshot(runner *r, uint32_t s)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->exp_val) continue;
        uint64_t n = R->pr->is_image ? R->texels : R->pr->size;
        memcpy(R->exp_val + (size_t)s * n, R->val, n);
        memcpy(R->exp_known + (size_t)s * n, R->known, n);
    }
}

static void reset_model(runner *r)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (!R->val) continue;
        if (R->pr->imported) init_imported(R, i);
        else memset(R->known, 0, R->pr->is_image ? R->texels : R->pr->size);
    }
}

static void destroy(runner *r)
{
    if (r->device) r->vk->vkDeviceWaitIdle(r->device);
    vkg_executor_destroy(r->ex);
    for (uint32_t i = 0; i < r->npipes; i++) r->vk->vkDestroyPipeline(r->device, r->pipes[i].pipe, NULL);
    for (uint32_t i = 0; i < r->nviews; i++) r->vk->vkDestroyImageView(r->device, r->views[i].view, NULL);
    for (int v = 0; v < KV_COUNT; v++)
        if (r->modules[v]) r->vk->vkDestroyShaderModule(r->device, r->modules[v], NULL);
    for (int t = 0; t < DT_COUNT; t++) {
        if (r->layout[t]) r->vk->vkDestroyPipelineLayout(r->device, r->layout[t], NULL);
        if (r->dsl[t]) r->vk->vkDestroyDescriptorSetLayout(r->device, r->dsl[t], NULL);
    }
    if (r->sampler) r->vk->vkDestroySampler(r->device, r->sampler, NULL);
    for (uint32_t s = 0; s < r->F; s++) {
        if (r->pools && r->pools[s]) r->vk->vkDestroyDescriptorPool(r->device, r->pools[s], NULL);
        if (r->queries && r->queries[s]) r->vk->vkDestroyQueryPool(r->device, r->queries[s], NULL);
    }
    if (r->scratch.id) vkg_buffer_destroy(r->dev, r->scratch);
    for (int fc = 0; fc < FC_COUNT; fc++)
        if (r->pattern[fc].id) vkg_buffer_destroy(r->dev, r->pattern[fc]);
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (R->buf.id) vkg_buffer_destroy(r->dev, R->buf);
        if (R->img.id) vkg_image_destroy(r->dev, R->img);
        if (R->rb_bufs)
            for (uint32_t s = 0; s < r->F; s++)
                if (R->rb_bufs[s].id) vkg_buffer_destroy(r->dev, R->rb_bufs[s]);
        free(R->rb_bufs), free(R->sub), free(R->val), free(R->known), free(R->exp_val), free(R->exp_known);
    }
    vkg_plan_destroy(r->plan);
    vkg_graph_destroy(r->graph);
    free(r->res), free(r->pass), free(r->ops), free(r->pipes), free(r->views), free(r->pools);
    free(r->queries), free(r->stamps), free(r->cpu_us), free(r->cpu_t0);
    pthread_mutex_destroy(&r->lock);
}

vkg_result vkgr_run(vkg_device *device, vkg_graph *graph, const vkgr_options *options, vkgr_info *info)
{
    vkgr_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    if (!device || !graph || !options) return VKG_ERROR_INVALID_ARGUMENT;
    runner run, *r = &run;
    memset(r, 0, sizeof *r);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    r->dev = device;
    r->opt = *options;
    if (options->trace_path) r->opt.timings = true; /* the trace needs the timestamps */
    r->info = info;
    r->caps = vkg_device_caps(device);
    vkg_device_vk dvk;
    vkg_device_get_vk(device, &dvk);
    r->device = dvk.device;
    r->vk = dvk.device_table;
    r->F = options->frames_in_flight ? options->frames_in_flight : 2;
    uint32_t frames = options->frames ? options->frames : 1;

    vkg_result e = prepare_graph(r, graph);
    if (e == VKG_SUCCESS) e = compile(r, &r->plan);
    if (e == VKG_SUCCESS) {
        vkg_plan_get_info(r->plan, &r->in);
        e = build(r);
    }
    /* the model first: refuses what must not reach the GPU (indirect arguments nothing wrote) */
    uint32_t maxslots = 4;
    for (uint32_t k = 0; k < r->in.pass_count && e == VKG_SUCCESS; k++)
        if (r->pass[k].ntotal > maxslots) maxslots = r->pass[k].ntotal;
    uint32_t *slots = calloc(maxslots, sizeof *slots);
    if (!slots && e == VKG_SUCCESS) e = fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (e == VKG_SUCCESS) {
        reset_model(r);
        for (uint32_t f = 0; f < frames && e == VKG_SUCCESS; f++) e = sim_frame(r, f, slots);
    }
    if (e == VKG_SUCCESS) e = create_device_objects(r);
    if (e == VKG_SUCCESS) {
        e = vkg_executor_create(device, &(vkg_executor_desc){.name = "vkgraph run", .frames_in_flight = r->F,
                                                             .record_threads = options->record_threads,
                                                             .passes_per_command_buffer = options->passes_per_command_buffer,
                                                             .debug_drop_barrier = options->debug_drop_barrier},
                                &r->ex);
        if (e != VKG_SUCCESS) fail(r, e, "vkg_executor_create failed (%s)", vkg_result_name(e));
    }
    if (e == VKG_SUCCESS) {
        reset_model(r);
        e = create_imported(r, r->ex);
    }
    r->cpu_us = calloc(frames, sizeof *r->cpu_us);
    r->cpu_t0 = calloc(frames, sizeof *r->cpu_t0);
    if (r->opt.timings)
        r->stamps = calloc((size_t)frames * 4 * (r->in.pass_count + 1), sizeof *r->stamps);
    if (!r->cpu_us || !r->cpu_t0 || (r->opt.timings && !r->stamps))
        if (e == VKG_SUCCESS) e = fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");

    /* bindings: imported resources, and this slot's readback buffers */
    uint32_t nb = 0;
    vkg_binding *bind = calloc(2 * r->nres + 1, sizeof *bind);
    vkg_ticket *tickets = calloc(r->F, sizeof *tickets);
    if ((!bind || !tickets) && e == VKG_SUCCESS) e = fail(r, VKG_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    uint32_t done = 0; /* frames compared */
    for (uint32_t f = 0; f < frames && e == VKG_SUCCESS; f++) {
        uint32_t s = f % r->F;
        if (f >= r->F) {
            e = vkg_ticket_wait(device, tickets[s], UINT64_MAX);
            if (e != VKG_SUCCESS) {
                fail(r, e, "waiting for frame %u failed (%s)", f - r->F, vkg_result_name(e));
                break;
            }
            if (options->verify) compare(r, s, f - r->F);
            if (r->stamps) collect_stamps(r, s, f - r->F);
            done++;
        }
        sim_frame(r, f, slots);
        if (options->verify) snapshot(r, s);
        r->vk->vkResetDescriptorPool(r->device, r->pools[s], 0);
        if (r->stamps) r->vk->vkResetQueryPool(r->device, r->queries[s], 0, 2 * r->in.pass_count + 2);
        nb = 0;
        for (uint32_t i = 0; i < r->nres; i++) {
            rres *R = &r->res[i];
            if (R->buf.id || R->img.id) bind[nb++] = (vkg_binding){R->handle, R->buf, R->img};
            if (R->rb_bufs && R->rb_handle.id) bind[nb++] = (vkg_binding){.resource = R->rb_handle, .buffer = R->rb_bufs[s]};
        }
        r->frame = f;
        r->slot = s;
        double t0 = now_us();
        e = vkg_execute(r->plan, &(vkg_execute_desc){.executor = r->ex, .bindings = bind, .binding_count = nb},
                        &tickets[s]);
        r->cpu_t0[f] = t0;
        r->cpu_us[f] = now_us() - t0;
        if (e != VKG_SUCCESS) fail(r, e, "vkg_execute failed on frame %u (%s)", f, vkg_result_name(e));
        if (r->error != VKG_SUCCESS) e = r->error;
        info->frames_run = f + 1;
    }
    /* the frames still in flight */
    for (uint32_t f = done; f < info->frames_run; f++) {
        uint32_t s = f % r->F;
        vkg_result w = vkg_ticket_wait(device, tickets[s], UINT64_MAX);
        if (w != VKG_SUCCESS) {
            if (e == VKG_SUCCESS) e = fail(r, w, "waiting for frame %u failed", f);
            break;
        }
        if (e == VKG_SUCCESS && options->verify) compare(r, s, f);
        if (e == VKG_SUCCESS && r->stamps) collect_stamps(r, s, f);
    }
    if (e == VKG_SUCCESS && options->report) {
        double sum = 0;
        for (uint32_t f = 0; f < info->frames_run; f++) sum += r->cpu_us[f];
        uint32_t own = 0; /* the graph's passes; the rest are run's readbacks */
        for (uint32_t k = 0; k < r->in.pass_count; k++) own += !is_run_name(r->in.passes[k].name);
        char added[96] = "";
        if (own < r->in.pass_count)
            snprintf(added, sizeof added, " (+ %u that read results back)", r->in.pass_count - own);
        fprintf(options->report, "ran \"%s\": %u frame%s, %u passes%s, %u kernel operations per "
                                 "frame; vkg_execute %.1f us per frame (mean)\n",
                r->in.name, info->frames_run, info->frames_run == 1 ? "" : "s", own, added, r->nops,
                info->frames_run ? sum / info->frames_run : 0.0);
        if (options->verify)
            fprintf(options->report, "verify: %" PRIu64 " values compared, %" PRIu64 " mismatches, %" PRIu64
                                     " not compared (nothing defined them)\n",
                    info->values_checked, info->mismatches, info->values_undefined);
        if (options->timings) report_timings(r, info->frames_run);
    }
    if (e == VKG_SUCCESS && options->trace_path) e = write_trace(r, info->frames_run);
    free(slots), free(bind), free(tickets);
    destroy(r);
    return e;
}
