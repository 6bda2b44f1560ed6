/* `vkgraph demo`: a deferred renderer on the render graph.
 *
 * Everything is generated here (no downloads): four meshes and a four-layer texture array,
 * uploaded through the uploader. One graph per output size:
 *
 *   scene_update   compute shader: animates 50 objects, frustum-culls them and writes their
 *                  transforms and indirect draws (GPU-driven)
 *   gbuffer        dynamic rendering, three colour attachments + depth, indirect draws
 *   ssao, ssao_blur  on the compute role (an async queue where the GPU has one)
 *   lighting       fullscreen: sun + eight point lights, ambient scaled by SSAO, sky
 *   bloom_down_N / bloom_up_N   a mip chain, each pass one mip: one narrow barrier per step
 *   tonemap        into the imported output (an image of ours, or a swapchain image)
 *   readback       (headless) the output copied into a host-visible buffer for the PNG
 *
 * The record callbacks are raw Vulkan through the pass context: pipelines, descriptor sets
 * and timestamp queries belong to the demo, synchronization to the graph. */
#include <volk.h> /* before vkgraph.h: struct VolkDeviceTable */

#include "demo/demo.h"
#include "vkgraph.h"

#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef VKG_HAVE_GLFW
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
/* GLFW declares glfwCreateWindowSurface only after a Vulkan header; volk's is included. */
GLFWAPI VkResult glfwCreateWindowSurface(VkInstance, GLFWwindow *, const VkAllocationCallbacks *,
                                         VkSurfaceKHR *);
#endif

static const uint32_t spv_scene_update[] =
#include "shaders/scene_update.comp.inc"
    ;
static const uint32_t spv_gbuffer_vert[] =
#include "shaders/gbuffer.vert.inc"
    ;
static const uint32_t spv_gbuffer_frag[] =
#include "shaders/gbuffer.frag.inc"
    ;
static const uint32_t spv_fullscreen_vert[] =
#include "shaders/fullscreen.vert.inc"
    ;
static const uint32_t spv_ssao[] =
#include "shaders/ssao.comp.inc"
    ;
static const uint32_t spv_ssao_blur[] =
#include "shaders/ssao_blur.comp.inc"
    ;
static const uint32_t spv_lighting[] =
#include "shaders/lighting.frag.inc"
    ;
static const uint32_t spv_bloom_down[] =
#include "shaders/bloom_down.comp.inc"
    ;
static const uint32_t spv_bloom_up[] =
#include "shaders/bloom_up.comp.inc"
    ;
static const uint32_t spv_tonemap[] =
#include "shaders/tonemap.frag.inc"
    ;

#define SLOTS 2           /* frames in flight */
#define MAX_PASSES 24
#define MAX_BINDINGS 6
#define BLOOM_MIPS 5
#define TEX_SIZE 256
#define TEX_LAYERS 4
#define TEX_MIPS 9
#define GRID 7

/* ------------------------------------------------------------------------------------------
 * Small linear algebra: column-major 4x4, Vulkan clip space (y down, depth 0..1)
 * ---------------------------------------------------------------------------------------- */
typedef struct vec3 {
    float x, y, z;
} vec3;

static vec3 v3(float x, float y, float z) { return (vec3){x, y, z}; }
static vec3 vsub(vec3 a, vec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static float vdot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec3 vcross(vec3 a, vec3 b)
{
    return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
static vec3 vnorm(vec3 a)
{
    float l = sqrtf(vdot(a, a));
    return l > 0 ? v3(a.x / l, a.y / l, a.z / l) : a;
}

static void mat_mul(float *out, const float *a, const float *b)
{
    float r[16];
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 4; i++) {
            float s = 0;
            for (int k = 0; k < 4; k++) s += a[k * 4 + i] * b[c * 4 + k];
            r[c * 4 + i] = s;
        }
    memcpy(out, r, sizeof r);
}

static void mat_perspective(float *m, float fovy, float aspect, float zn, float zf)
{
    float f = 1.0f / tanf(fovy * 0.5f);
    memset(m, 0, 16 * sizeof *m);
    m[0] = f / aspect;
    m[5] = -f; /* Vulkan: y points down in clip space */
    m[10] = zf / (zn - zf);
    m[11] = -1.0f;
    m[14] = zn * zf / (zn - zf);
}

static void mat_look_at(float *m, vec3 eye, vec3 at, vec3 up)
{
    vec3 f = vnorm(vsub(at, eye)), s = vnorm(vcross(f, up)), u = vcross(s, f);
    float r[16] = {s.x, u.x, -f.x, 0, s.y, u.y, -f.y, 0, s.z, u.z, -f.z, 0,
                   -vdot(s, eye), -vdot(u, eye), vdot(f, eye), 1};
    memcpy(m, r, sizeof r);
}

/* General inverse (cofactors); the view-projection is always invertible here. */
static void mat_inverse(float *out, const float *m)
{
    float inv[16];
    inv[0] = m[5] * m[10] * m[15] - m[5] * m[11] * m[14] - m[9] * m[6] * m[15] + m[9] * m[7] * m[14] +
             m[13] * m[6] * m[11] - m[13] * m[7] * m[10];
    inv[4] = -m[4] * m[10] * m[15] + m[4] * m[11] * m[14] + m[8] * m[6] * m[15] - m[8] * m[7] * m[14] -
             m[12] * m[6] * m[11] + m[12] * m[7] * m[10];
    inv[8] = m[4] * m[9] * m[15] - m[4] * m[11] * m[13] - m[8] * m[5] * m[15] + m[8] * m[7] * m[13] +
             m[12] * m[5] * m[11] - m[12] * m[7] * m[9];
    inv[12] = -m[4] * m[9] * m[14] + m[4] * m[10] * m[13] + m[8] * m[5] * m[14] - m[8] * m[6] * m[13] -
              m[12] * m[5] * m[10] + m[12] * m[6] * m[9];
    inv[1] = -m[1] * m[10] * m[15] + m[1] * m[11] * m[14] + m[9] * m[2] * m[15] - m[9] * m[3] * m[14] -
             m[13] * m[2] * m[11] + m[13] * m[3] * m[10];
    inv[5] = m[0] * m[10] * m[15] - m[0] * m[11] * m[14] - m[8] * m[2] * m[15] + m[8] * m[3] * m[14] +
             m[12] * m[2] * m[11] - m[12] * m[3] * m[10];
    inv[9] = -m[0] * m[9] * m[15] + m[0] * m[11] * m[13] + m[8] * m[1] * m[15] - m[8] * m[3] * m[13] -
             m[12] * m[1] * m[11] + m[12] * m[3] * m[9];
    inv[13] = m[0] * m[9] * m[14] - m[0] * m[10] * m[13] - m[8] * m[1] * m[14] + m[8] * m[2] * m[13] +
              m[12] * m[1] * m[10] - m[12] * m[2] * m[9];
    inv[2] = m[1] * m[6] * m[15] - m[1] * m[7] * m[14] - m[5] * m[2] * m[15] + m[5] * m[3] * m[14] +
             m[13] * m[2] * m[7] - m[13] * m[3] * m[6];
    inv[6] = -m[0] * m[6] * m[15] + m[0] * m[7] * m[14] + m[4] * m[2] * m[15] - m[4] * m[3] * m[14] -
             m[12] * m[2] * m[7] + m[12] * m[3] * m[6];
    inv[10] = m[0] * m[5] * m[15] - m[0] * m[7] * m[13] - m[4] * m[1] * m[15] + m[4] * m[3] * m[13] +
              m[12] * m[1] * m[7] - m[12] * m[3] * m[5];
    inv[14] = -m[0] * m[5] * m[14] + m[0] * m[6] * m[13] + m[4] * m[1] * m[14] - m[4] * m[2] * m[13] -
              m[12] * m[1] * m[6] + m[12] * m[2] * m[5];
    inv[3] = -m[1] * m[6] * m[11] + m[1] * m[7] * m[10] + m[5] * m[2] * m[11] - m[5] * m[3] * m[10] -
             m[9] * m[2] * m[7] + m[9] * m[3] * m[6];
    inv[7] = m[0] * m[6] * m[11] - m[0] * m[7] * m[10] - m[4] * m[2] * m[11] + m[4] * m[3] * m[10] +
             m[8] * m[2] * m[7] - m[8] * m[3] * m[6];
    inv[11] = -m[0] * m[5] * m[11] + m[0] * m[7] * m[9] + m[4] * m[1] * m[11] - m[4] * m[3] * m[9] -
              m[8] * m[1] * m[7] + m[8] * m[3] * m[5];
    inv[15] = m[0] * m[5] * m[10] - m[0] * m[6] * m[9] - m[4] * m[1] * m[10] + m[4] * m[2] * m[9] +
              m[8] * m[1] * m[6] - m[8] * m[2] * m[5];
    float det = m[0] * inv[0] + m[1] * inv[4] + m[2] * inv[8] + m[3] * inv[12];
    for (int i = 0; i < 16; i++) out[i] = inv[i] / det;
}

/* ------------------------------------------------------------------------------------------
 * Procedural content
 * ---------------------------------------------------------------------------------------- */
typedef struct vertex {
    float pos[3], normal[3], uv[2];
} vertex;

typedef struct gpu_object { /* matches Object in shaders/common.glsl */
    float pos_scale[4], axis_speed[4], tint[4], material[4];
    uint32_t mesh[4];
} gpu_object;

typedef struct mesh_range {
    uint32_t first_index, index_count, vertex_offset;
    float radius;
} mesh_range;

enum { MESH_PLANE, MESH_CUBE, MESH_SPHERE, MESH_TORUS, MESH_COUNT };

typedef struct geometry {
    vertex *v;
    uint32_t *idx;
    uint32_t nv, ni, cap_v, cap_i;
    mesh_range mesh[MESH_COUNT];
} geometry;

static bool geo_reserve(geometry *g, uint32_t nv, uint32_t ni)
{
    if (g->nv + nv > g->cap_v) {
        uint32_t cap = (g->nv + nv) * 2;
        vertex *v = realloc(g->v, cap * sizeof *v);
        if (!v) return false;
        g->v = v;
        g->cap_v = cap;
    }
    if (g->ni + ni > g->cap_i) {
        uint32_t cap = (g->ni + ni) * 2;
        uint32_t *i = realloc(g->idx, cap * sizeof *i);
        if (!i) return false;
        g->idx = i;
        g->cap_i = cap;
    }
    return true;
}

static void geo_vertex(geometry *g, vec3 p, vec3 n, float u, float v)
{
    g->v[g->nv++] = (vertex){{p.x, p.y, p.z}, {n.x, n.y, n.z}, {u, v}};
}

/* A (cols+1) x (rows+1) grid of vertices from a parametric surface; indices relative to
 * the mesh's first vertex. */
typedef void (*surface_fn)(float u, float v, vec3 *p, vec3 *n);

static bool geo_surface(geometry *g, uint32_t m, surface_fn fn, uint32_t cols, uint32_t rows,
                        float uv_scale, float radius)
{
    if (!geo_reserve(g, (cols + 1) * (rows + 1), cols * rows * 6)) return false;
    g->mesh[m] = (mesh_range){g->ni, cols * rows * 6, g->nv, radius};
    for (uint32_t r = 0; r <= rows; r++)
        for (uint32_t c = 0; c <= cols; c++) {
            float u = (float)c / (float)cols, v = (float)r / (float)rows;
            vec3 p, n;
            fn(u, v, &p, &n);
            geo_vertex(g, p, n, u * uv_scale, v * uv_scale * (m == MESH_TORUS ? 0.5f : 1.0f));
        }
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++) {
            uint32_t a = r * (cols + 1) + c, b = a + cols + 1;
            uint32_t q[6] = {a, b, a + 1, a + 1, b, b + 1};
            memcpy(g->idx + g->ni, q, sizeof q);
            g->ni += 6;
        }
    return true;
}

static void surf_plane(float u, float v, vec3 *p, vec3 *n)
{
    *p = v3((u - 0.5f) * 24.0f, 0.0f, (v - 0.5f) * 24.0f);
    *n = v3(0, 1, 0);
}

static void surf_sphere(float u, float v, vec3 *p, vec3 *n)
{
    float th = u * 6.2831853f, ph = v * 3.14159265f;
    *n = v3(sinf(ph) * cosf(th), cosf(ph), sinf(ph) * sinf(th));
    *p = v3(n->x * 0.8f, n->y * 0.8f, n->z * 0.8f);
}

static void surf_torus(float u, float v, vec3 *p, vec3 *n)
{
    float th = u * 6.2831853f, ph = v * 6.2831853f;
    *n = v3(cosf(ph) * cosf(th), sinf(ph), cosf(ph) * sinf(th));
    float R = 0.62f, r = 0.28f;
    *p = v3((R + r * cosf(ph)) * cosf(th), r * sinf(ph), (R + r * cosf(ph)) * sinf(th));
}

static bool geo_cube(geometry *g)
{
    if (!geo_reserve(g, 24, 36)) return false;
    g->mesh[MESH_CUBE] = (mesh_range){g->ni, 36, g->nv, 0.62f * 1.7320508f};
    static const float dirs[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    for (uint32_t f = 0; f < 6; f++) {
        vec3 n = v3(dirs[f][0], dirs[f][1], dirs[f][2]);
        vec3 t = fabsf(n.y) > 0.5f ? v3(1, 0, 0) : v3(0, 1, 0);
        vec3 s = vcross(n, t);
        uint32_t base = g->nv - g->mesh[MESH_CUBE].vertex_offset;
        for (uint32_t k = 0; k < 4; k++) {
            float a = (k & 1) ? 1.0f : -1.0f, b = (k & 2) ? 1.0f : -1.0f;
            vec3 p = v3((n.x + a * s.x + b * t.x) * 0.62f, (n.y + a * s.y + b * t.y) * 0.62f,
                        (n.z + a * s.z + b * t.z) * 0.62f);
            geo_vertex(g, p, n, (a + 1) * 0.5f, (b + 1) * 0.5f);
        }
        uint32_t q[6] = {base, base + 1, base + 2, base + 2, base + 1, base + 3};
        memcpy(g->idx + g->ni, q, sizeof q);
        g->ni += 6;
    }
    return true;
}

static bool make_geometry(geometry *g)
{
    return geo_surface(g, MESH_PLANE, surf_plane, 16, 16, 6.0f, 17.0f) && geo_cube(g) &&
           geo_surface(g, MESH_SPHERE, surf_sphere, 40, 20, 2.0f, 0.8f) &&
           geo_surface(g, MESH_TORUS, surf_torus, 48, 16, 3.0f, 0.9f);
}

static uint32_t ihash(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Smooth value noise in [0, 1], period TEX_SIZE / cell. */
static float vnoise(float x, float y, uint32_t cells, uint32_t seed)
{
    int xi = (int)floorf(x), yi = (int)floorf(y);
    float fx = x - (float)xi, fy = y - (float)yi;
    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    float c[4];
    for (int k = 0; k < 4; k++) {
        uint32_t cx = (uint32_t)(xi + (k & 1)) % cells, cy = (uint32_t)(yi + (k >> 1)) % cells;
        c[k] = (float)(ihash(cx * 7919u + cy * 104729u + seed) & 0xffff) / 65535.0f;
    }
    return (c[0] * (1 - fx) + c[1] * fx) * (1 - fy) + (c[2] * (1 - fx) + c[3] * fx) * fy;
}

static uint8_t to8(float v) { return (uint8_t)(v <= 0 ? 0 : v >= 1 ? 255 : v * 255.0f + 0.5f); }

/* Mip 0 of the four texture layers (RGBA8, sRGB-encoded values): checker, bricks, marble,
 * tiles. */
static void make_texel(uint32_t layer, uint32_t x, uint32_t y, uint8_t *out)
{
    float u = (float)x / TEX_SIZE, v = (float)y / TEX_SIZE, r, g, b;
    float n = vnoise(u * 16, v * 16, 16, layer) * 0.6f + vnoise(u * 64, v * 64, 64, layer + 9) * 0.4f;
    switch (layer) {
    case 0: { /* checker */
        bool on = ((x / 32) + (y / 32)) & 1;
        float c = on ? 0.85f : 0.35f;
        r = g = b = c * (0.9f + 0.1f * n);
        break;
    }
    case 1: { /* bricks */
        uint32_t row = y / 32, off = (row & 1) * 32;
        bool mortar = (y % 32) < 3 || ((x + off) % 64) < 3;
        r = mortar ? 0.75f : 0.62f + 0.2f * n;
        g = mortar ? 0.72f : 0.25f + 0.1f * n;
        b = mortar ? 0.68f : 0.18f + 0.05f * n;
        break;
    }
    case 2: { /* marble */
        float t = 0.5f + 0.5f * sinf((u * 6.2831853f * 2) + 8.0f * n);
        r = 0.88f - 0.4f * t;
        g = 0.86f - 0.38f * t;
        b = 0.80f - 0.25f * t;
        break;
    }
    default: { /* tiles */
        bool line = (x % 64) < 4 || (y % 64) < 4;
        r = line ? 0.2f : 0.55f + 0.15f * n;
        g = line ? 0.2f : 0.6f + 0.15f * n;
        b = line ? 0.22f : 0.66f + 0.1f * n;
        break;
    }
    }
    out[0] = to8(r);
    out[1] = to8(g);
    out[2] = to8(b);
    out[3] = 255;
}

/* ------------------------------------------------------------------------------------------
 * Pipelines
 * ---------------------------------------------------------------------------------------- */
enum { P_UPDATE, P_GBUFFER, P_SSAO, P_SSAO_BLUR, P_LIGHTING, P_BLOOM_DOWN, P_BLOOM_UP, P_TONEMAP, P_COUNT };

typedef struct dpipe {
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    VkPipelineBindPoint bind_point;
    VkShaderStageFlags push_stages;
    uint32_t push_size;
    uint32_t binding_count;
    VkDescriptorType types[MAX_BINDINGS];
} dpipe;

typedef struct dpass {
    struct demo *d;
    uint32_t kind; /* P_* or P_COUNT for the readback */
    uint32_t mip;
    uint32_t binding_count;
    uint32_t use_of_binding[MAX_BINDINGS]; /* the pass's use index bound at binding i */
    vkg_resource res_of_binding[MAX_BINDINGS];
} dpass;

typedef struct demo {
    vkgd_options o;
    vkg_device *dev;
    vkg_device_vk vk;
    const struct VolkDeviceTable *t;
    VkDevice d;
    char error[1024];
    int status; /* exit status once something failed */

    dpipe pipes[P_COUNT];
    VkFormat tonemap_format; /* the format the tonemap pipeline was made for */
    VkSampler clamp, wrap, nearest; /* nearest: depth (D32 has no linear filtering everywhere) */
    VkShaderModule modules[10];

    /* content */
    vkg_buffer vertices, indices, objects;
    vkg_image textures;
    uint32_t object_count, vertex_bytes, index_bytes;
    vkg_uploader *uploader;

    /* the graph and its plan, for the current size */
    uint32_t width, height;
    vkg_graph *graph;
    vkg_plan *plan;
    vkg_plan_info info;
    dpass passes[MAX_PASSES];
    uint32_t pass_count;
    vkg_resource r_vertices, r_indices, r_objects, r_textures, r_output, r_pixels, r_draws, r_depth;
    vkg_executor *ex;

    /* per frame slot */
    VkDescriptorPool pools[SLOTS];
    VkQueryPool queries[SLOTS];
    uint32_t query_count;
    vkg_ticket tickets[SLOTS];
    uint32_t slot_frame[SLOTS]; /* the frame the slot's ticket belongs to */
    bool pending[SLOTS];        /* a frame was submitted and not yet collected */
    pthread_mutex_t lock;
    uint32_t slot;

    /* this frame's constants */
    float view_proj[16], inv_view_proj[16];
    vec3 eye;
    float time;
    bool encode_srgb;

    double cpu_start; /* this frame's CPU time starts here */
} demo;

/* --soak: vkgraph's live host blocks, counted through the device's vkg_allocator */
static atomic_long g_live_blocks;
static void *soak_alloc(void *user, size_t size)
{
    (void)user;
    void *p = malloc(size);
    if (p) atomic_fetch_add(&g_live_blocks, 1);
    return p;
}
static void *soak_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    void *p = realloc(ptr, size);
    if (p && !ptr) atomic_fetch_add(&g_live_blocks, 1);
    return p;
}
static void soak_free(void *user, void *ptr)
{
    (void)user;
    if (ptr) atomic_fetch_sub(&g_live_blocks, 1);
    free(ptr);
}

typedef struct soak_sample {
    uint32_t frame;
    long live_blocks;
    VkDeviceSize device_reserved, device_used;
    double rss_mib;
} soak_sample;

static soak_sample soak_take(demo *d, uint32_t frame)
{
    soak_sample s = {.frame = frame, .live_blocks = atomic_load(&g_live_blocks)};
    vkg_memory_stats ms;
    vkg_memory_get_stats(d->dev, &ms);
    s.device_reserved = ms.total.bytes_reserved;
    s.device_used = ms.total.bytes_used;
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    s.rss_mib = (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
    return s;
}

static int failf(demo *d, int status, const char *fmt, ...)
{
    if (d->status) return d->status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    d->status = status;
    return status;
}

#define VKCHECK(d, call)                                                                         \
    do {                                                                                         \
        VkResult vr_ = (call);                                                                   \
        if (vr_ != VK_SUCCESS) return failf((d), 1, "%s failed (VkResult %d)", #call, (int)vr_); \
    } while (0)

#define VKGCHECK(d, call, what)                                                                  \
    do {                                                                                         \
        vkg_result r_ = (call);                                                                  \
        if (r_ != VKG_SUCCESS)                                                                   \
            return failf((d), r_ == VKG_ERROR_INVALID_ARGUMENT ? 2 : 1, "%s: %s", (what),        \
                         vkg_result_name(r_));                                                   \
    } while (0)

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int make_module(demo *d, const uint32_t *code, size_t size, VkShaderModule *out)
{
    VKCHECK(d, d->t->vkCreateShaderModule(d->d,
                                          &(VkShaderModuleCreateInfo){
                                              .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                              .codeSize = size,
                                              .pCode = code},
                                          NULL, out));
    return 0;
}

static int make_layout(demo *d, dpipe *p)
{
    VkDescriptorSetLayoutBinding b[MAX_BINDINGS];
    for (uint32_t i = 0; i < p->binding_count; i++)
        b[i] = (VkDescriptorSetLayoutBinding){i, p->types[i], 1, VK_SHADER_STAGE_ALL, NULL};
    VKCHECK(d, d->t->vkCreateDescriptorSetLayout(
                   d->d,
                   &(VkDescriptorSetLayoutCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                       .bindingCount = p->binding_count,
                       .pBindings = b},
                   NULL, &p->dsl));
    VkPushConstantRange pr = {p->push_stages, 0, p->push_size};
    VKCHECK(d, d->t->vkCreatePipelineLayout(d->d,
                                            &(VkPipelineLayoutCreateInfo){
                                                .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                                .setLayoutCount = 1,
                                                .pSetLayouts = &p->dsl,
                                                .pushConstantRangeCount = p->push_size ? 1 : 0,
                                                .pPushConstantRanges = &pr},
                                            NULL, &p->layout));
    return 0;
}

static int make_compute(demo *d, dpipe *p, VkShaderModule m)
{
    p->bind_point = VK_PIPELINE_BIND_POINT_COMPUTE;
    p->push_stages = VK_SHADER_STAGE_COMPUTE_BIT;
    if (make_layout(d, p)) return d->status;
    VKCHECK(d, d->t->vkCreateComputePipelines(
                   d->d, VK_NULL_HANDLE, 1,
                   &(VkComputePipelineCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                       .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                                 .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                 .module = m,
                                 .pName = "main"},
                       .layout = p->layout},
                   NULL, &p->pipeline));
    return 0;
}

static int make_graphics(demo *d, dpipe *p, VkShaderModule vs, VkShaderModule fs, const VkFormat *colors,
                         uint32_t color_count, VkFormat depth, bool vertex_input)
{
    p->bind_point = VK_PIPELINE_BIND_POINT_GRAPHICS;
    p->push_stages = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;
    if (!p->layout && make_layout(d, p)) return d->status;
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_VERTEX_BIT,
         .module = vs, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
         .module = fs, .pName = "main"}};
    VkVertexInputBindingDescription vb = {0, sizeof(vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription va[3] = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(vertex, pos)},
                                               {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(vertex, normal)},
                                               {2, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(vertex, uv)}};
    VkPipelineColorBlendAttachmentState blend[4];
    for (uint32_t i = 0; i < color_count; i++)
        blend[i] = (VkPipelineColorBlendAttachmentState){.colorWriteMask = 0xf};
    VkDynamicState dyn[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VKCHECK(d, d->t->vkCreateGraphicsPipelines(
                   d->d, VK_NULL_HANDLE, 1,
                   &(VkGraphicsPipelineCreateInfo){
                       .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                       .pNext = &(VkPipelineRenderingCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
                           .colorAttachmentCount = color_count,
                           .pColorAttachmentFormats = colors,
                           .depthAttachmentFormat = depth},
                       .stageCount = 2,
                       .pStages = stages,
                       .pVertexInputState = &(VkPipelineVertexInputStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                           .vertexBindingDescriptionCount = vertex_input ? 1 : 0,
                           .pVertexBindingDescriptions = &vb,
                           .vertexAttributeDescriptionCount = vertex_input ? 3 : 0,
                           .pVertexAttributeDescriptions = va},
                       .pInputAssemblyState = &(VkPipelineInputAssemblyStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                           .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST},
                       .pViewportState = &(VkPipelineViewportStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                           .viewportCount = 1,
                           .scissorCount = 1},
                       .pRasterizationState = &(VkPipelineRasterizationStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                           .polygonMode = VK_POLYGON_MODE_FILL,
                           .cullMode = VK_CULL_MODE_NONE,
                           .lineWidth = 1.0f},
                       .pMultisampleState = &(VkPipelineMultisampleStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                           .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT},
                       .pDepthStencilState = &(VkPipelineDepthStencilStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                           .depthTestEnable = depth != VK_FORMAT_UNDEFINED,
                           .depthWriteEnable = depth != VK_FORMAT_UNDEFINED,
                           .depthCompareOp = VK_COMPARE_OP_LESS},
                       .pColorBlendState = &(VkPipelineColorBlendStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                           .attachmentCount = color_count,
                           .pAttachments = blend},
                       .pDynamicState = &(VkPipelineDynamicStateCreateInfo){
                           .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
                           .dynamicStateCount = 2,
                           .pDynamicStates = dyn},
                       .layout = p->layout},
                   NULL, &p->pipeline));
    return 0;
}

#define SAMPLED VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER
#define STORAGE_IMG VK_DESCRIPTOR_TYPE_STORAGE_IMAGE
#define STORAGE_BUF VK_DESCRIPTOR_TYPE_STORAGE_BUFFER

static const VkFormat gbuffer_formats[3] = {VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_R16G16B16A16_SFLOAT,
                                            VK_FORMAT_R16G16B16A16_SFLOAT};
static const VkFormat hdr_format = VK_FORMAT_R16G16B16A16_SFLOAT;
static const VkFormat depth_format = VK_FORMAT_D32_SFLOAT;

enum { M_UPDATE, M_GB_VS, M_GB_FS, M_FULL_VS, M_SSAO, M_BLUR, M_LIGHT, M_DOWN, M_UP, M_TONE };

static int make_pipelines(demo *d)
{
    static const struct {
        const uint32_t *code;
        size_t size;
    } mods[10] = {{spv_scene_update, sizeof spv_scene_update}, {spv_gbuffer_vert, sizeof spv_gbuffer_vert},
                  {spv_gbuffer_frag, sizeof spv_gbuffer_frag}, {spv_fullscreen_vert, sizeof spv_fullscreen_vert},
                  {spv_ssao, sizeof spv_ssao},                 {spv_ssao_blur, sizeof spv_ssao_blur},
                  {spv_lighting, sizeof spv_lighting},         {spv_bloom_down, sizeof spv_bloom_down},
                  {spv_bloom_up, sizeof spv_bloom_up},         {spv_tonemap, sizeof spv_tonemap}};
    for (uint32_t i = 0; i < 10; i++)
        if (make_module(d, mods[i].code, mods[i].size, &d->modules[i])) return d->status;
    dpipe *p = d->pipes;
    p[P_UPDATE] = (dpipe){.binding_count = 3, .types = {STORAGE_BUF, STORAGE_BUF, STORAGE_BUF}, .push_size = 72};
    p[P_GBUFFER] = (dpipe){.binding_count = 2, .types = {STORAGE_BUF, SAMPLED}, .push_size = 68};
    p[P_SSAO] = (dpipe){.binding_count = 3, .types = {SAMPLED, SAMPLED, STORAGE_IMG}, .push_size = 128};
    p[P_SSAO_BLUR] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}};
    p[P_LIGHTING] = (dpipe){.binding_count = 5, .types = {SAMPLED, SAMPLED, SAMPLED, SAMPLED, SAMPLED},
                           .push_size = 80};
    p[P_BLOOM_DOWN] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}, .push_size = 4};
    p[P_BLOOM_UP] = (dpipe){.binding_count = 2, .types = {SAMPLED, STORAGE_IMG}};
    p[P_TONEMAP] = (dpipe){.binding_count = 2, .types = {SAMPLED, SAMPLED}, .push_size = 12};
    if (make_compute(d, &p[P_UPDATE], d->modules[M_UPDATE]) || make_compute(d, &p[P_SSAO], d->modules[M_SSAO]) ||
        make_compute(d, &p[P_SSAO_BLUR], d->modules[M_BLUR]) ||
        make_compute(d, &p[P_BLOOM_DOWN], d->modules[M_DOWN]) || make_compute(d, &p[P_BLOOM_UP], d->modules[M_UP]))
        return d->status;
    if (make_graphics(d, &p[P_GBUFFER], d->modules[M_GB_VS], d->modules[M_GB_FS], gbuffer_formats, 3,
                      depth_format, true) ||
        make_graphics(d, &p[P_LIGHTING], d->modules[M_FULL_VS], d->modules[M_LIGHT], &hdr_format, 1,
                      VK_FORMAT_UNDEFINED, false))
        return d->status;
    VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                               .magFilter = VK_FILTER_LINEAR,
                               .minFilter = VK_FILTER_LINEAR,
                               .mipmapMode = VK_SAMPLER_MIPMAP_MODE_LINEAR,
                               .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                               .maxLod = VK_LOD_CLAMP_NONE};
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->clamp));
    sci.addressModeU = sci.addressModeV = sci.addressModeW = VK_SAMPLER_ADDRESS_MODE_REPEAT;
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->wrap));
    sci.magFilter = sci.minFilter = VK_FILTER_NEAREST;
    sci.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
    sci.addressModeU = sci.addressModeV = sci.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
    VKCHECK(d, d->t->vkCreateSampler(d->d, &sci, NULL, &d->nearest));
    return 0;
}

/* The tonemap pipeline depends on the output format (a swapchain's may change). */
static int tonemap_pipeline(demo *d, VkFormat format)
{
    dpipe *p = &d->pipes[P_TONEMAP];
    if (p->pipeline && d->tonemap_format == format) return 0;
    if (p->pipeline) d->t->vkDestroyPipeline(d->d, p->pipeline, NULL);
    p->pipeline = VK_NULL_HANDLE;
    d->tonemap_format = format;
    return make_graphics(d, p, d->modules[M_FULL_VS], d->modules[M_TONE], &format, 1, VK_FORMAT_UNDEFINED,
                         false);
}

/* ------------------------------------------------------------------------------------------
 * Content upload
 * ---------------------------------------------------------------------------------------- */
static int upload_content(demo *d)
{
    geometry g = {0};
    if (!make_geometry(&g)) {
        free(g.v);
        free(g.idx);
        return failf(d, 1, "out of host memory generating the meshes");
    }
    /* objects: the ground, then a GRID x GRID field of cubes, spheres and tori */
    gpu_object objs[1 + GRID * GRID];
    uint32_t n = 0;
    const mesh_range *gm = &g.mesh[MESH_PLANE];
    objs[n++] = (gpu_object){{0, 0, 0, 1}, {0, 1, 0, 0}, {1, 1, 1, 1}, {3, 0.85f, 0, 0},
                             {gm->first_index, gm->index_count, gm->vertex_offset, 0}};
    memcpy(&objs[0].mesh[3], &gm->radius, 4);
    for (uint32_t z = 0; z < GRID; z++)
        for (uint32_t x = 0; x < GRID; x++) {
            uint32_t i = z * GRID + x, h = ihash(i + 17);
            uint32_t m = MESH_CUBE + i % 3;
            const mesh_range *mr = &g.mesh[m];
            float hue = (float)(h % 360) / 360.0f * 6.2831853f;
            gpu_object *o = &objs[n++];
            *o = (gpu_object){
                .pos_scale = {((float)x - (GRID - 1) * 0.5f) * 1.7f, 0.75f, ((float)z - (GRID - 1) * 0.5f) * 1.7f,
                              0.6f + 0.25f * (float)((h >> 9) % 4) / 3.0f},
                .axis_speed = {0.3f + (float)((h >> 3) % 7) / 7.0f, 1.0f, (float)((h >> 5) % 5) / 5.0f,
                               0.4f + (float)((h >> 11) % 8) / 8.0f},
                .tint = {0.6f + 0.4f * cosf(hue), 0.6f + 0.4f * cosf(hue + 2.1f), 0.6f + 0.4f * cosf(hue + 4.2f), 1},
                .material = {(float)(i % 3), 0.2f + 0.7f * (float)((h >> 13) % 5) / 4.0f, (i % 4 == 1) ? 1.0f : 0.0f,
                             (i % 9 == 4) ? 4.0f : 0.0f},
                .mesh = {mr->first_index, mr->index_count, mr->vertex_offset, 0}};
            memcpy(&o->mesh[3], &mr->radius, 4);
        }
    d->object_count = n;
    d->vertex_bytes = g.nv * (uint32_t)sizeof(vertex);
    d->index_bytes = g.ni * (uint32_t)sizeof(uint32_t);

    vkg_result r = vkg_uploader_create(d->dev, &(vkg_uploader_desc){.name = "demo content", .ring_size = 4u << 20},
                                       &d->uploader);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "vertices", .size = d->vertex_bytes}, &d->vertices);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "indices", .size = d->index_bytes}, &d->indices);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev, &(vkg_buffer_desc){.name = "objects", .size = sizeof objs}, &d->objects);
    if (r == VKG_SUCCESS)
        r = vkg_image_create(d->dev,
                             &(vkg_image_desc){.name = "textures",
                                               .format = VK_FORMAT_R8G8B8A8_UNORM,
                                               .width = TEX_SIZE,
                                               .height = TEX_SIZE,
                                               .mips = TEX_MIPS,
                                               .layers = TEX_LAYERS,
                                               .usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT},
                             &d->textures);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->vertices, .data = g.v,
                                                                     .size = d->vertex_bytes},
                              NULL);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->indices, .data = g.idx,
                                                                     .size = d->index_bytes},
                              NULL);
    if (r == VKG_SUCCESS)
        r = vkg_upload_buffer(d->uploader, &(vkg_upload_buffer_desc){.buffer = d->objects, .data = objs,
                                                                     .size = sizeof objs},
                              NULL);
    free(g.v);
    free(g.idx);
    if (r != VKG_SUCCESS) return failf(d, 1, "uploading the meshes: %s", vkg_result_name(r));

    /* the texture array: every layer's mip 0 generated, the other mips box-filtered; one
     * upload per mip covers the four layers */
    size_t layer0 = (size_t)TEX_SIZE * TEX_SIZE * 4;
    uint8_t *cur = malloc(layer0 * TEX_LAYERS), *next = malloc(layer0 * TEX_LAYERS);
    if (!cur || !next) {
        free(cur);
        free(next);
        return failf(d, 1, "out of host memory generating the textures");
    }
    for (uint32_t l = 0; l < TEX_LAYERS; l++)
        for (uint32_t y = 0; y < TEX_SIZE; y++)
            for (uint32_t x = 0; x < TEX_SIZE; x++) make_texel(l, x, y, cur + l * layer0 + ((size_t)y * TEX_SIZE + x) * 4);
    uint32_t s = TEX_SIZE;
    for (uint32_t m = 0; m < TEX_MIPS && r == VKG_SUCCESS; m++) {
        size_t bytes = (size_t)s * s * 4;
        /* pack the layers of this mip tightly */
        for (uint32_t l = 1; l < TEX_LAYERS; l++) memmove(cur + l * bytes, cur + l * layer0, bytes);
        r = vkg_upload_image(d->uploader,
                             &(vkg_upload_image_desc){.image = d->textures, .mip = m, .layer_count = TEX_LAYERS,
                                                      .data = cur, .size = bytes * TEX_LAYERS},
                             NULL);
        if (s == 1) break;
        uint32_t h = s / 2;
        for (uint32_t l = 0; l < TEX_LAYERS; l++)
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < h; x++)
                    for (uint32_t c = 0; c < 4; c++) {
                        const uint8_t *src = cur + l * bytes;
                        uint32_t sum = src[((2 * y) * s + 2 * x) * 4 + c] + src[((2 * y) * s + 2 * x + 1) * 4 + c] +
                                       src[((2 * y + 1) * s + 2 * x) * 4 + c] +
                                       src[((2 * y + 1) * s + 2 * x + 1) * 4 + c];
                        next[l * layer0 + ((size_t)y * h + x) * 4 + c] = (uint8_t)((sum + 2) / 4);
                    }
        uint8_t *tmp = cur;
        cur = next;
        next = tmp;
        s = h;
    }
    free(cur);
    free(next);
    if (r != VKG_SUCCESS) return failf(d, 1, "uploading the textures: %s", vkg_result_name(r));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Recording: raw Vulkan inside the graph's passes
 * ---------------------------------------------------------------------------------------- */
static uint32_t groups(uint32_t n, uint32_t size) { return (n + size - 1) / size; }
static uint32_t bloom_w(const demo *d, uint32_t m) { return (d->width / 2 >> m) ? d->width / 2 >> m : 1; }
static uint32_t bloom_h(const demo *d, uint32_t m) { return (d->height / 2 >> m) ? d->height / 2 >> m : 1; }

static bool bind_set(const vkg_pass_context *ctx, dpass *p, VkCommandBuffer cmd)
{
    demo *d = p->d;
    dpipe *pp = &d->pipes[p->kind];
    VkDescriptorSet set;
    pthread_mutex_lock(&d->lock); /* the slot's pool is shared by the recording threads */
    VkResult vr = d->t->vkAllocateDescriptorSets(
        d->d,
        &(VkDescriptorSetAllocateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                       .descriptorPool = d->pools[d->slot],
                                       .descriptorSetCount = 1,
                                       .pSetLayouts = &pp->dsl},
        &set);
    if (vr != VK_SUCCESS)
        failf(d, 1, "pass \"%s\": vkAllocateDescriptorSets failed (VkResult %d)", vkg_pass_name(ctx), (int)vr);
    pthread_mutex_unlock(&d->lock);
    if (vr != VK_SUCCESS) return false;
    VkWriteDescriptorSet w[MAX_BINDINGS];
    VkDescriptorBufferInfo bi[MAX_BINDINGS];
    VkDescriptorImageInfo ii[MAX_BINDINGS];
    for (uint32_t i = 0; i < pp->binding_count; i++) {
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = i,
                                      .descriptorCount = 1,
                                      .descriptorType = pp->types[i]};
        if (pp->types[i] == STORAGE_BUF) {
            bi[i] = (VkDescriptorBufferInfo){vkg_pass_buffer(ctx, p->res_of_binding[i]), 0, VK_WHOLE_SIZE};
            w[i].pBufferInfo = &bi[i];
        } else {
            bool sampled = pp->types[i] == SAMPLED;
            uint32_t id = p->res_of_binding[i].id;
            VkSampler smp = id == d->r_textures.id ? d->wrap : id == d->r_depth.id ? d->nearest : d->clamp;
            ii[i] = (VkDescriptorImageInfo){sampled ? smp : VK_NULL_HANDLE,
                                            vkg_pass_use_view(ctx, p->use_of_binding[i]),
                                            sampled ? VK_IMAGE_LAYOUT_READ_ONLY_OPTIMAL : VK_IMAGE_LAYOUT_GENERAL};
            w[i].pImageInfo = &ii[i];
        }
    }
    d->t->vkUpdateDescriptorSets(d->d, pp->binding_count, w, 0, NULL);
    d->t->vkCmdBindPipeline(cmd, pp->bind_point, pp->pipeline);
    d->t->vkCmdBindDescriptorSets(cmd, pp->bind_point, pp->layout, 0, 1, &set, 0, NULL);
    return true;
}

static void viewport(demo *d, VkCommandBuffer cmd)
{
    d->t->vkCmdSetViewport(cmd, 0, 1, &(VkViewport){0, 0, (float)d->width, (float)d->height, 0, 1});
    d->t->vkCmdSetScissor(cmd, 0, 1, &(VkRect2D){{0, 0}, {d->width, d->height}});
}

static void record(const vkg_pass_context *ctx, void *user)
{
    dpass *p = user;
    demo *d = p->d;
    const struct VolkDeviceTable *t = d->t;
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    uint32_t k = vkg_pass_index(ctx);
    VkQueryPool qp = d->queries[d->slot];
    /* a queue family without timestamps (valid bits 0) must not write them */
    uint32_t family = d->info.queues[d->info.passes[k].queue].family;
    if (!vkg_device_caps(d->dev)->queue_families[family].timestamp_valid_bits) qp = VK_NULL_HANDLE;
    if (qp && 2 * k + 1 < d->query_count)
        t->vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, qp, 2 * k);
    if (p->kind == P_COUNT) { /* readback: the output into the host-visible pixels buffer */
        VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                    .imageExtent = {d->width, d->height, 1}};
        t->vkCmdCopyImageToBuffer(cmd, vkg_pass_image(ctx, d->r_output), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                  vkg_pass_buffer(ctx, d->r_pixels), 1, &region);
    } else if (bind_set(ctx, p, cmd)) {
        dpipe *pp = &d->pipes[p->kind];
        switch (p->kind) {
        case P_UPDATE: {
            struct {
                float view_proj[16], time;
                uint32_t count;
            } pc = {.time = d->time, .count = d->object_count};
            memcpy(pc.view_proj, d->view_proj, sizeof pc.view_proj);
            t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
            t->vkCmdDispatch(cmd, groups(d->object_count, 64), 1, 1);
            break;
        }
        case P_GBUFFER: {
            vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = true, .clear_depth = 1.0f});
            viewport(d, cmd);
            VkDeviceSize zero = 0;
            VkBuffer vb = vkg_pass_buffer(ctx, d->r_vertices);
            t->vkCmdBindVertexBuffers(cmd, 0, 1, &vb, &zero);
            t->vkCmdBindIndexBuffer(cmd, vkg_pass_buffer(ctx, d->r_indices), 0, VK_INDEX_TYPE_UINT32);
            VkBuffer draws = vkg_pass_buffer(ctx, d->r_draws);
            struct {
                float view_proj[16];
                uint32_t object;
            } pc;
            memcpy(pc.view_proj, d->view_proj, sizeof pc.view_proj);
            /* one indirect draw per object (the culling pass zeroes the instance count of
             * the invisible ones): needs neither multiDrawIndirect nor firstInstance */
            for (uint32_t i = 0; i < d->object_count; i++) {
                pc.object = i;
                t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
                t->vkCmdDrawIndexedIndirect(cmd, draws, (VkDeviceSize)i * 20, 1, 20);
            }
            vkg_pass_end_rendering(ctx);
            break;
        }
        case P_SSAO: {
            float pc[32];
            memcpy(pc, d->view_proj, 64);
            memcpy(pc + 16, d->inv_view_proj, 64);
            t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, pc);
            t->vkCmdDispatch(cmd, groups(d->width, 8), groups(d->height, 8), 1);
            break;
        }
        case P_SSAO_BLUR:
            t->vkCmdDispatch(cmd, groups(d->width, 8), groups(d->height, 8), 1);
            break;
        case P_LIGHTING: {
            vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = false});
            viewport(d, cmd);
            float pc[20];
            memcpy(pc, d->inv_view_proj, 64);
            pc[16] = d->eye.x;
            pc[17] = d->eye.y;
            pc[18] = d->eye.z;
            pc[19] = d->time;
            t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, pc);
            t->vkCmdDraw(cmd, 3, 1, 0, 0);
            vkg_pass_end_rendering(ctx);
            break;
        }
        case P_BLOOM_DOWN: {
            float threshold = p->mip == 0 ? 1.0f : 0.0f;
            t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof threshold, &threshold);
            t->vkCmdDispatch(cmd, groups(bloom_w(d, p->mip), 8), groups(bloom_h(d, p->mip), 8), 1);
            break;
        }
        case P_BLOOM_UP:
            t->vkCmdDispatch(cmd, groups(bloom_w(d, p->mip), 8), groups(bloom_h(d, p->mip), 8), 1);
            break;
        case P_TONEMAP: {
            vkg_pass_begin_rendering(ctx, &(vkg_rendering_desc){.clear = false});
            viewport(d, cmd);
            struct {
                float exposure, bloom;
                uint32_t encode_srgb;
            } pc = {1.0f, 0.08f, d->encode_srgb};
            t->vkCmdPushConstants(cmd, pp->layout, pp->push_stages, 0, sizeof pc, &pc);
            t->vkCmdDraw(cmd, 3, 1, 0, 0);
            vkg_pass_end_rendering(ctx);
            break;
        }
        default:
            break;
        }
    }
    if (qp && 2 * k + 1 < d->query_count)
        t->vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, qp, 2 * k + 1);
}

/* ------------------------------------------------------------------------------------------
 * The graph
 * ---------------------------------------------------------------------------------------- */
static int add_pass(demo *d, const char *name, vkg_queue_role role, uint32_t kind, uint32_t mip,
                    const vkg_use *uses, uint32_t use_count, const uint32_t *bind_uses, uint32_t bind_count)
{
    if (d->pass_count == MAX_PASSES) return failf(d, 1, "too many demo passes");
    dpass *p = &d->passes[d->pass_count++];
    *p = (dpass){.d = d, .kind = kind, .mip = mip, .binding_count = bind_count};
    for (uint32_t i = 0; i < bind_count; i++) {
        p->use_of_binding[i] = bind_uses[i];
        p->res_of_binding[i] = uses[bind_uses[i]].resource;
    }
    VKGCHECK(d,
             vkg_graph_pass(d->graph,
                            &(vkg_pass_desc){.name = name, .queue = role, .uses = uses, .use_count = use_count,
                                             .record = d->dev ? record : NULL, .user = d->dev ? p : NULL},
                            NULL),
             name);
    return 0;
}

#define USES(...) (const vkg_use[]){__VA_ARGS__}, sizeof((const vkg_use[]){__VA_ARGS__}) / sizeof(vkg_use)
#define BINDS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)

/* The graph alone (no device needed: without one, the passes have no record callbacks). */
static int describe_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present)
{
    vkg_graph_destroy(d->graph);
    vkg_plan_destroy(d->plan);
    d->graph = NULL;
    d->plan = NULL;
    d->pass_count = 0;
    d->width = w;
    d->height = h;
    VKGCHECK(d, vkg_graph_create(&(vkg_graph_desc){.name = "demo"}, &d->graph), "vkg_graph_create");
    vkg_graph *g = d->graph;
    uint64_t inst_bytes = (uint64_t)d->object_count * 96, draw_bytes = (uint64_t)d->object_count * 20;
    vkg_resource instances, draws, albedo, normal, emissive, depth, ao_raw, ao, hdr, bloom;
#define BUF(res, nm, sz, imp)                                                                     \
    VKGCHECK(d, vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = nm, .size = sz, .imported = imp}, &res), nm)
#define IMG(res, nm, fmt, iw, ih, ...)                                                            \
    VKGCHECK(d, vkg_graph_image(g, &(vkg_graph_image_desc){.name = nm, .format = fmt, .width = iw, .height = ih, __VA_ARGS__}, &res), nm)
    BUF(d->r_vertices, "vertices", d->vertex_bytes, true);
    BUF(d->r_indices, "indices", d->index_bytes, true);
    BUF(d->r_objects, "objects", (uint64_t)d->object_count * sizeof(gpu_object), true);
    IMG(d->r_textures, "textures", VK_FORMAT_R8G8B8A8_UNORM, TEX_SIZE, TEX_SIZE, .mips = TEX_MIPS,
        .layers = TEX_LAYERS, .imported = true);
    IMG(d->r_output, "output", out_format, w, h, .imported = true);
    if (!present) BUF(d->r_pixels, "pixels", (uint64_t)w * h * 4, true);
    BUF(instances, "instances", inst_bytes, false);
    BUF(draws, "draws", draw_bytes, false);
    d->r_draws = draws;
    IMG(albedo, "gbuffer.albedo", gbuffer_formats[0], w, h, .mips = 1);
    IMG(normal, "gbuffer.normal", gbuffer_formats[1], w, h, .mips = 1);
    IMG(emissive, "gbuffer.emissive", gbuffer_formats[2], w, h, .mips = 1);
    IMG(depth, "depth", depth_format, w, h, .mips = 1);
    d->r_depth = depth;
    IMG(ao_raw, "ssao.raw", VK_FORMAT_R32_SFLOAT, w, h, .mips = 1);
    IMG(ao, "ssao", VK_FORMAT_R32_SFLOAT, w, h, .mips = 1);
    IMG(hdr, "hdr", hdr_format, w, h, .mips = 1);
    IMG(bloom, "bloom", hdr_format, w / 2 ? w / 2 : 1, h / 2 ? h / 2 : 1, .mips = BLOOM_MIPS);
#undef BUF
#undef IMG
    vkg_queue_role async = d->o.no_async ? VKG_QUEUE_GRAPHICS : VKG_QUEUE_COMPUTE;
    if (add_pass(d, "scene_update", VKG_QUEUE_GRAPHICS, P_UPDATE, 0,
                 USES({d->r_objects, VKG_ACCESS_COMPUTE_STORAGE_READ}, {instances, VKG_ACCESS_COMPUTE_STORAGE_WRITE},
                      {draws, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1, 2)) ||
        add_pass(d, "gbuffer", VKG_QUEUE_GRAPHICS, P_GBUFFER, 0,
                 USES({albedo, VKG_ACCESS_COLOR_WRITE}, {normal, VKG_ACCESS_COLOR_WRITE},
                      {emissive, VKG_ACCESS_COLOR_WRITE}, {depth, VKG_ACCESS_DEPTH_WRITE},
                      {d->r_vertices, VKG_ACCESS_VERTEX_READ}, {d->r_indices, VKG_ACCESS_INDEX_READ},
                      {draws, VKG_ACCESS_INDIRECT_READ}, {instances, VKG_ACCESS_VERTEX_STORAGE_READ},
                      {d->r_textures, VKG_ACCESS_FRAGMENT_SAMPLED_READ}),
                 BINDS(7, 8)) ||
        add_pass(d, "ssao", async, P_SSAO, 0,
                 USES({depth, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {normal, VKG_ACCESS_COMPUTE_SAMPLED_READ},
                      {ao_raw, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1, 2)) ||
        add_pass(d, "ssao_blur", async, P_SSAO_BLUR, 0,
                 USES({ao_raw, VKG_ACCESS_COMPUTE_SAMPLED_READ}, {ao, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                 BINDS(0, 1)) ||
        add_pass(d, "lighting", VKG_QUEUE_GRAPHICS, P_LIGHTING, 0,
                 USES({hdr, VKG_ACCESS_COLOR_WRITE}, {albedo, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {normal, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {emissive, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {depth, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {ao, VKG_ACCESS_FRAGMENT_SAMPLED_READ}),
                 BINDS(1, 2, 3, 4, 5)))
        return d->status;
    char name[32];
    for (uint32_t m = 0; m < BLOOM_MIPS; m++) {
        snprintf(name, sizeof name, "bloom_down_%u", m);
        vkg_use src = m == 0 ? (vkg_use){hdr, VKG_ACCESS_COMPUTE_SAMPLED_READ}
                             : (vkg_use){bloom, VKG_ACCESS_COMPUTE_SAMPLED_READ, .base_mip = m - 1, .mip_count = 1};
        if (add_pass(d, name, VKG_QUEUE_GRAPHICS, P_BLOOM_DOWN, m,
                     USES(src, {bloom, VKG_ACCESS_COMPUTE_STORAGE_WRITE, .base_mip = m, .mip_count = 1}), BINDS(0, 1)))
            return d->status;
    }
    for (uint32_t m = BLOOM_MIPS - 1; m-- > 0;) {
        snprintf(name, sizeof name, "bloom_up_%u", m);
        if (add_pass(d, name, VKG_QUEUE_GRAPHICS, P_BLOOM_UP, m,
                     USES({bloom, VKG_ACCESS_COMPUTE_SAMPLED_READ, .base_mip = m + 1, .mip_count = 1},
                          {bloom, VKG_ACCESS_COMPUTE_STORAGE_READ_WRITE, .base_mip = m, .mip_count = 1}),
                     BINDS(0, 1)))
            return d->status;
    }
    if (add_pass(d, "tonemap", VKG_QUEUE_GRAPHICS, P_TONEMAP, 0,
                 USES({d->r_output, VKG_ACCESS_COLOR_WRITE}, {hdr, VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {bloom, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .base_mip = 0, .mip_count = 1}),
                 BINDS(1, 2)))
        return d->status;
    if (present) {
        VKGCHECK(d,
                 vkg_graph_pass(g, &(vkg_pass_desc){.name = "present",
                                                    .uses = (vkg_use[]){{d->r_output, VKG_ACCESS_PRESENT}},
                                                    .use_count = 1},
                                NULL),
                 "present");
    } else {
        if (add_pass(d, "readback", VKG_QUEUE_GRAPHICS, P_COUNT, 0,
                     USES({d->r_output, VKG_ACCESS_TRANSFER_READ}, {d->r_pixels, VKG_ACCESS_TRANSFER_WRITE}),
                     NULL, 0))
            return d->status;
        /* the CPU reads the pixels: the graph makes the copy visible to the host */
        VKGCHECK(d,
                 vkg_graph_pass(g, &(vkg_pass_desc){.name = "host",
                                                    .uses = (vkg_use[]){{d->r_pixels, VKG_ACCESS_HOST_READ}},
                                                    .use_count = 1},
                                NULL),
                 "host");
    }
    return 0;
}

static int build_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present)
{
    if (describe_graph(d, w, h, out_format, present) || tonemap_pipeline(d, out_format)) return d->status;
    d->encode_srgb = out_format != VK_FORMAT_B8G8R8A8_SRGB && out_format != VK_FORMAT_R8G8B8A8_SRGB;
    VKGCHECK(d, vkg_compile(d->graph, vkg_device_caps(d->dev), &d->plan), "compiling the demo graph");
    vkg_plan_get_info(d->plan, &d->info);
    /* timestamp queries: two per pass, in every frame slot */
    uint32_t need = 2 * d->info.pass_count;
    bool stamps = vkg_device_caps(d->dev)->queue_families[d->vk.queues[VKG_QUEUE_GRAPHICS].family]
                      .timestamp_valid_bits > 0;
    for (uint32_t s = 0; s < SLOTS; s++) {
        if (d->queries[s]) d->t->vkDestroyQueryPool(d->d, d->queries[s], NULL);
        d->queries[s] = VK_NULL_HANDLE;
        if (!stamps) continue;
        VKCHECK(d, d->t->vkCreateQueryPool(d->d,
                                           &(VkQueryPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                                                    .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                                                    .queryCount = need},
                                           NULL, &d->queries[s]));
        d->t->vkResetQueryPool(d->d, d->queries[s], 0, need);
    }
    d->query_count = stamps ? need : 0;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Frames
 * ---------------------------------------------------------------------------------------- */
typedef struct pass_stat {
    double sum, min, max;
    uint32_t n;
} pass_stat;

typedef struct trace_event {
    uint32_t frame, pass;
    double start_us, dur_us;
} trace_event;

#define TRACE_MAX 200000

typedef struct frame_stats {
    pass_stat pass[MAX_PASSES + 1];
    const char *pass_name[MAX_PASSES + 1];
    vkg_queue_role pass_role[MAX_PASSES + 1];
    bool pass_records[MAX_PASSES + 1]; /* false: a pass without commands (present, host) */
    uint32_t pass_count;
    pass_stat exec, frame;
    double *cpu_start, *cpu_dur; /* per frame, for the trace */
    trace_event *events;
    uint32_t event_count, frames_cap;
    double t0;
    uint64_t gpu_t0;
    bool gpu_t0_set;
} frame_stats;

static void stat_add(pass_stat *s, double v)
{
    if (s->n == 0 || v < s->min) s->min = v;
    if (s->n == 0 || v > s->max) s->max = v;
    s->sum += v;
    s->n++;
}

/* The slot's timestamps, once its frame completed. */
static void collect(demo *d, frame_stats *fs, uint32_t s, uint32_t frame)
{
    if (!d->queries[s]) return;
    uint32_t n = d->info.pass_count;
    uint64_t q[4 * MAX_PASSES + 4];
    VkResult vr = d->t->vkGetQueryPoolResults(d->d, d->queries[s], 0, 2 * n, sizeof q, q, 16,
                                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    if (vr != VK_SUCCESS && vr != VK_NOT_READY) return;
    double period = vkg_device_caps(d->dev)->timestamp_period_ns;
    fs->pass_count = n;
    for (uint32_t k = 0; k < n; k++) {
        const uint64_t *a = q + 4 * k; /* start value, availability, end value, availability */
        fs->pass_name[k] = d->info.passes[k].name;
        fs->pass_role[k] = d->info.passes[k].role;
        fs->pass_records[k] = d->info.passes[k].record != NULL;
        if (!a[1] || !a[3] || a[2] < a[0]) continue;
        double us = (double)(a[2] - a[0]) * period / 1000.0;
        stat_add(&fs->pass[k], us);
        if (!fs->gpu_t0_set) {
            fs->gpu_t0 = a[0];
            fs->gpu_t0_set = true;
        }
        if (fs->events && fs->event_count < TRACE_MAX && a[0] >= fs->gpu_t0)
            fs->events[fs->event_count++] =
                (trace_event){frame, k, (double)(a[0] - fs->gpu_t0) * period / 1000.0, us};
    }
}

static void camera(demo *d, float time, uint32_t w, uint32_t h)
{
    float a = 0.7f + 0.08f * time, view[16], proj[16];
    d->time = time;
    d->eye = v3(11.5f * cosf(a), 6.5f, 11.5f * sinf(a));
    mat_look_at(view, d->eye, v3(0, 0.4f, 0), v3(0, 1, 0));
    mat_perspective(proj, 0.9f, (float)w / (float)h, 0.1f, 80.0f);
    mat_mul(d->view_proj, proj, view);
    mat_inverse(d->inv_view_proj, d->view_proj);
}

/* Waits for the slot's last frame and reads its timestamps. */
static int slot_wait(demo *d, frame_stats *fs, uint32_t s)
{
    if (!d->pending[s]) return 0;
    VKGCHECK(d, vkg_ticket_wait(d->dev, d->tickets[s], UINT64_MAX), "waiting for a frame");
    d->pending[s] = false;
    collect(d, fs, s, d->slot_frame[s]);
    return 0;
}

/* Then resets what the slot's recording uses. */
static int slot_begin(demo *d, frame_stats *fs, uint32_t s)
{
    if (slot_wait(d, fs, s)) return d->status;
    d->cpu_start = now_us(); /* the frame's CPU time starts after the wait for the GPU */
    VKCHECK(d, d->t->vkResetDescriptorPool(d->d, d->pools[s], 0));
    if (d->queries[s]) d->t->vkResetQueryPool(d->d, d->queries[s], 0, d->query_count);
    d->slot = s;
    return 0;
}

static int execute(demo *d, frame_stats *fs, uint32_t frame, const vkg_binding *binds, uint32_t nb)
{
    double t0 = now_us();
    vkg_ticket ticket;
    vkg_result r = vkg_execute(d->plan, &(vkg_execute_desc){.executor = d->ex, .bindings = binds, .binding_count = nb},
                               &ticket);
    double t1 = now_us();
    stat_add(&fs->frame, t1 - d->cpu_start);
    if (d->status) return d->status; /* a record callback failed */
    if (r != VKG_SUCCESS) return failf(d, 1, "vkg_execute failed on frame %u: %s", frame, vkg_result_name(r));
    d->tickets[d->slot] = ticket;
    d->slot_frame[d->slot] = frame;
    d->pending[d->slot] = true;
    stat_add(&fs->exec, t1 - t0);
    if (fs->cpu_start && frame < fs->frames_cap) {
        fs->cpu_start[frame] = t0 - fs->t0;
        fs->cpu_dur[frame] = t1 - t0;
    }
    return 0;
}

static int drain(demo *d, frame_stats *fs)
{
    for (;;) { /* oldest frame first, so the trace stays in order */
        uint32_t s = SLOTS;
        for (uint32_t k = 0; k < SLOTS; k++)
            if (d->pending[k] && (s == SLOTS || d->slot_frame[k] < d->slot_frame[s])) s = k;
        if (s == SLOTS) return 0;
        if (slot_wait(d, fs, s)) return d->status;
    }
}

static void report(demo *d, const frame_stats *fs, uint32_t frames)
{
    FILE *f = d->o.report;
    if (!f) return;
    const vkg_plan_stats *st = &d->info.stats;
    fprintf(f, "\nGPU time per pass (timestamp queries, mean over %u frames; us)\n", frames);
    fprintf(f, "  %-16s %-9s %10s %10s %10s\n", "pass", "queue", "mean", "min", "max");
    double total = 0;
    for (uint32_t k = 0; k < fs->pass_count; k++) {
        const pass_stat *p = &fs->pass[k];
        if (!fs->pass_records[k]) continue;
        if (!p->n) {
            fprintf(f, "  %-16s %-9s %10s\n", fs->pass_name[k], vkg_queue_role_name(fs->pass_role[k]), "-");
            continue;
        }
        fprintf(f, "  %-16s %-9s %10.1f %10.1f %10.1f\n", fs->pass_name[k], vkg_queue_role_name(fs->pass_role[k]),
                p->sum / p->n, p->min, p->max);
        total += p->sum / p->n;
    }
    if (!fs->pass_count) fprintf(f, "  (the device has no timestamps on this queue)\n");
    fprintf(f, "  %-16s %-9s %10.1f\n", "sum", "", total);
    fprintf(f, "\nplan: %u passes, %u submissions, %u barriers in %u batches (%u image, %u buffer, %u memory;"
               " %u layout transitions, %u queue transfers), %u semaphore waits\n",
            st->passes, st->submissions, st->image_barriers + st->buffer_barriers + st->memory_barriers,
            st->barrier_batches, st->image_barriers, st->buffer_barriers, st->memory_barriers,
            st->layout_transitions, st->queue_transfers, st->semaphores);
    double saved = st->transient_bytes > st->aliased_bytes
                       ? 100.0 * (double)(st->transient_bytes - st->aliased_bytes) / (double)st->transient_bytes
                       : 0.0;
    fprintf(f, "transient memory: %.2f MiB before aliasing, %.2f MiB after (%.1f%% saved)\n",
            (double)st->transient_bytes / 1048576.0, (double)st->aliased_bytes / 1048576.0, saved);
    if (fs->exec.n)
        fprintf(f, "frame CPU time: vkg_execute %.1f us mean (min %.1f, max %.1f); whole frame %.1f us mean, "
                   "GPU waits excluded\n",
                fs->exec.sum / fs->exec.n, fs->exec.min, fs->exec.max, fs->frame.n ? fs->frame.sum / fs->frame.n : 0.0);
}

static int write_trace(demo *d, const frame_stats *fs, uint32_t frames)
{
    FILE *f = fopen(d->o.trace_path, "w");
    if (!f) return failf(d, 2, "cannot write the trace to \"%s\"", d->o.trace_path);
    fprintf(f, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n");
    fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"CPU\"}},\n");
    fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": \"GPU (%s)\"}}",
            vkg_device_caps(d->dev)->device_name);
    for (uint32_t fr = 0; fr < frames && fr < fs->frames_cap; fr++)
        fprintf(f, ",\n{\"name\": \"vkg_execute frame %u\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, \"ts\": %.3f, "
                   "\"dur\": %.3f}",
                fr, fs->cpu_start[fr], fs->cpu_dur[fr]);
    for (uint32_t i = 0; i < fs->event_count; i++) {
        const trace_event *e = &fs->events[i];
        fprintf(f, ",\n{\"name\": \"%s\", \"cat\": \"pass\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, \"ts\": %.3f, "
                   "\"dur\": %.3f, \"args\": {\"frame\": %u}}",
                fs->pass_name[e->pass], (unsigned)fs->pass_role[e->pass], e->start_us, e->dur_us, e->frame);
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) return failf(d, 1, "cannot write the trace to \"%s\"", d->o.trace_path);
    return 0;
}

static int write_png(demo *d, const char *path, const uint8_t *rgba, uint32_t w, uint32_t h)
{
    png_image img = {.version = PNG_IMAGE_VERSION, .width = w, .height = h, .format = PNG_FORMAT_RGBA};
    if (!png_image_write_to_file(&img, path, 0, rgba, (png_int_32)(w * 4), NULL))
        return failf(d, 2, "cannot write \"%s\": %s", path, img.message);
    return 0;
}

static int common_setup(demo *d)
{
    vkg_device_get_vk(d->dev, &d->vk);
    d->t = d->vk.device_table;
    d->d = d->vk.device;
    if (make_pipelines(d) || upload_content(d)) return d->status;
    VKGCHECK(d, vkg_executor_create(d->dev, &(vkg_executor_desc){.name = "demo", .frames_in_flight = SLOTS}, &d->ex),
             "vkg_executor_create");
    VkDescriptorPoolSize sizes[3] = {{SAMPLED, 64}, {STORAGE_IMG, 32}, {STORAGE_BUF, 16}};
    for (uint32_t s = 0; s < SLOTS; s++)
        VKCHECK(d, d->t->vkCreateDescriptorPool(d->d,
                                                &(VkDescriptorPoolCreateInfo){
                                                    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                                    .maxSets = MAX_PASSES,
                                                    .poolSizeCount = 3,
                                                    .pPoolSizes = sizes},
                                                NULL, &d->pools[s]));
    return 0;
}

static int run_headless(demo *d, frame_stats *fs)
{
    uint32_t w = d->o.width, h = d->o.height, frames = d->o.frames;
    if (build_graph(d, w, h, VK_FORMAT_R8G8B8A8_UNORM, false)) return d->status;
    vkg_image output = {0};
    vkg_buffer pixels = {0};
    vkg_result r = vkg_image_create(d->dev,
                                    &(vkg_image_desc){.name = "output",
                                                      .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                      .width = w,
                                                      .height = h,
                                                      .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                                               VK_IMAGE_USAGE_TRANSFER_SRC_BIT},
                                    &output);
    if (r == VKG_SUCCESS)
        r = vkg_buffer_create(d->dev,
                              &(vkg_buffer_desc){.name = "pixels", .size = (VkDeviceSize)w * h * 4,
                                                 .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                                 .memory_usage = VKG_MEMORY_READBACK},
                              &pixels);
    if (r != VKG_SUCCESS) {
        vkg_image_destroy(d->dev, output);
        return failf(d, 1, "creating the %ux%u output: %s", w, h, vkg_result_name(r));
    }
    vkg_binding binds[6] = {{d->r_vertices, .buffer = d->vertices}, {d->r_indices, .buffer = d->indices},
                            {d->r_objects, .buffer = d->objects},   {d->r_textures, .image = d->textures},
                            {d->r_output, .image = output},         {d->r_pixels, .buffer = pixels}};
    uint32_t f = 0;
    soak_sample first = {0}, last = {0};
    for (; f < frames && !d->status; f++) {
        if (slot_begin(d, fs, f % SLOTS)) break;
        if (d->o.soak && f % d->o.soak == 0) {
            /* both slots have been waited for once the frame after a sample starts: the
             * sample sees the steady state of the frames before it */
            last = soak_take(d, f);
            if (f == d->o.soak) first = last;
            if (d->o.report)
                fprintf(d->o.report, "soak: frame %6u: vkgraph host blocks %ld, device memory %.2f MiB "
                                     "reserved / %.2f MiB used, process RSS %.1f MiB\n",
                        f, last.live_blocks, (double)last.device_reserved / 1048576.0,
                        (double)last.device_used / 1048576.0, last.rss_mib);
        }
        camera(d, (float)f / 30.0f, w, h);
        if (execute(d, fs, f, binds, 6)) break;
    }
    if (!d->status && d->o.soak && first.frame && last.frame > first.frame) {
        if (last.live_blocks != first.live_blocks || last.device_reserved != first.device_reserved ||
            last.device_used != first.device_used)
            failf(d, 1,
                  "soak: vkgraph's memory grew between frame %u and frame %u: host blocks %ld -> %ld, "
                  "device memory used %llu -> %llu bytes, reserved %llu -> %llu",
                  first.frame, last.frame, first.live_blocks, last.live_blocks,
                  (unsigned long long)first.device_used, (unsigned long long)last.device_used,
                  (unsigned long long)first.device_reserved, (unsigned long long)last.device_reserved);
        else if (d->o.report)
            fprintf(d->o.report, "soak: flat from frame %u to frame %u (host blocks, device memory); "
                                 "process RSS %.1f -> %.1f MiB\n",
                    first.frame, last.frame, first.rss_mib, last.rss_mib);
    }
    if (!d->status) drain(d, fs);
    if (!d->status) {
        vkg_buffer_info bi;
        if (vkg_buffer_get_info(d->dev, pixels, &bi) != VKG_SUCCESS ||
            vkg_buffer_invalidate(d->dev, pixels, 0, VK_WHOLE_SIZE) != VKG_SUCCESS)
            failf(d, 1, "reading the pixels back failed");
        else if (!write_png(d, d->o.out_png, bi.mapped, w, h) && d->o.report)
            fprintf(d->o.report, "wrote %s (%ux%u, frame %u)\n", d->o.out_png, w, h, frames - 1);
    }
    vkg_buffer_destroy(d->dev, pixels);
    vkg_image_destroy(d->dev, output);
    return d->status;
}

/* ------------------------------------------------------------------------------------------
 * Window: a GLFW window and a swapchain whose images are imported into the graph
 * ---------------------------------------------------------------------------------------- */
#ifdef VKG_HAVE_GLFW
#define MAX_SWAPCHAIN_IMAGES 8

typedef struct swapchain {
    VkSurfaceKHR surface;
    VkSwapchainKHR handle;
    VkFormat format;
    VkExtent2D extent;
    uint32_t count;
    VkImage images[MAX_SWAPCHAIN_IMAGES];
    vkg_image imported[MAX_SWAPCHAIN_IMAGES];
    VkSemaphore done[MAX_SWAPCHAIN_IMAGES]; /* per image: its frame is rendered, for the present */
    VkSemaphore acquired[SLOTS];           /* per frame slot: the image is ours */
    uint32_t recreated;
    PFN_vkGetPhysicalDeviceSurfaceSupportKHR support;
    PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR caps;
    PFN_vkGetPhysicalDeviceSurfaceFormatsKHR formats;
    PFN_vkGetPhysicalDeviceSurfacePresentModesKHR modes;
    PFN_vkDestroySurfaceKHR destroy_surface;
} swapchain;

static VkSurfaceFormatKHR pick_format(demo *d, swapchain *sc)
{
    VkSurfaceFormatKHR f[64];
    uint32_t n = 0; /* count first, then at most what fits (the two-call idiom) */
    sc->formats(d->vk.physical_device, sc->surface, &n, NULL);
    n = n < 64 ? n : 64;
    VkResult vr = sc->formats(d->vk.physical_device, sc->surface, &n, f);
    if ((vr != VK_SUCCESS && vr != VK_INCOMPLETE) || n == 0)
        return (VkSurfaceFormatKHR){VK_FORMAT_B8G8R8A8_UNORM, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
    /* UNORM first: the tonemap pass encodes sRGB itself; an _SRGB format works too */
    static const VkFormat pref[4] = {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB,
                                     VK_FORMAT_R8G8B8A8_SRGB};
    for (uint32_t p = 0; p < 4; p++)
        for (uint32_t i = 0; i < n; i++)
            if (f[i].format == pref[p] && f[i].colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return f[i];
    return f[0];
}

static void swapchain_release_images(demo *d, swapchain *sc)
{
    for (uint32_t i = 0; i < sc->count; i++) vkg_image_destroy(d->dev, sc->imported[i]);
    memset(sc->imported, 0, sizeof sc->imported);
}

/* (Re)creates the swapchain at the window's framebuffer size; the GPU must be idle. */
static int swapchain_create(demo *d, swapchain *sc, GLFWwindow *win)
{
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(win, &fw, &fh);
    VkSurfaceCapabilitiesKHR c;
    VKCHECK(d, sc->caps(d->vk.physical_device, sc->surface, &c));
    VkExtent2D e = c.currentExtent;
    if (e.width == UINT32_MAX) {
        e.width = (uint32_t)(fw > 0 ? fw : 1);
        e.height = (uint32_t)(fh > 0 ? fh : 1);
        if (e.width < c.minImageExtent.width) e.width = c.minImageExtent.width;
        if (e.width > c.maxImageExtent.width) e.width = c.maxImageExtent.width;
        if (e.height < c.minImageExtent.height) e.height = c.minImageExtent.height;
        if (e.height > c.maxImageExtent.height) e.height = c.maxImageExtent.height;
    }
    if (e.width == 0 || e.height == 0) return 0; /* minimized: the caller waits */
    uint32_t count = c.minImageCount + 1;
    if (c.maxImageCount && count > c.maxImageCount) count = c.maxImageCount;
    VkSurfaceFormatKHR sf = pick_format(d, sc);
    /* no vsync where the surface offers it: the demo measures; FIFO is always there */
    VkPresentModeKHR modes[16], mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t nm = 0;
    sc->modes(d->vk.physical_device, sc->surface, &nm, NULL);
    nm = nm < 16 ? nm : 16;
    if (sc->modes(d->vk.physical_device, sc->surface, &nm, modes) >= 0)
        for (uint32_t i = 0; i < nm; i++)
            if (modes[i] == VK_PRESENT_MODE_MAILBOX_KHR ||
                (modes[i] == VK_PRESENT_MODE_IMMEDIATE_KHR && mode != VK_PRESENT_MODE_MAILBOX_KHR))
                mode = modes[i];
    VkCompositeAlphaFlagBitsKHR alpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    for (uint32_t b = 1; !(c.supportedCompositeAlpha & alpha) && b < 16; b <<= 1)
        alpha = (VkCompositeAlphaFlagBitsKHR)b;
    VkSwapchainKHR old = sc->handle;
    VKCHECK(d, d->t->vkCreateSwapchainKHR(d->d,
                                          &(VkSwapchainCreateInfoKHR){
                                              .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
                                              .surface = sc->surface,
                                              .minImageCount = count,
                                              .imageFormat = sf.format,
                                              .imageColorSpace = sf.colorSpace,
                                              .imageExtent = e,
                                              .imageArrayLayers = 1,
                                              .imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                                              .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
                                              .preTransform = c.currentTransform,
                                              .compositeAlpha = alpha,
                                              .presentMode = mode,
                                              .clipped = VK_TRUE,
                                              .oldSwapchain = old},
                                          NULL, &sc->handle));
    swapchain_release_images(d, sc);
    if (old) d->t->vkDestroySwapchainKHR(d->d, old, NULL);
    uint32_t n = 0;
    VKCHECK(d, d->t->vkGetSwapchainImagesKHR(d->d, sc->handle, &n, NULL));
    if (n > MAX_SWAPCHAIN_IMAGES) return failf(d, 1, "the swapchain has %u images; the demo handles %u", n,
                                               MAX_SWAPCHAIN_IMAGES);
    VKCHECK(d, d->t->vkGetSwapchainImagesKHR(d->d, sc->handle, &n, sc->images));
    for (uint32_t i = sc->count; i < n; i++)
        VKCHECK(d, d->t->vkCreateSemaphore(d->d,
                                           &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                           NULL, &sc->done[i]));
    if (n > sc->count) sc->count = n;
    for (uint32_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "swapchain[%u]", i);
        VKGCHECK(d,
                 vkg_image_import(d->dev,
                                  &(vkg_image_import_desc){.name = name,
                                                           .image = sc->images[i],
                                                           .format = sf.format,
                                                           .width = e.width,
                                                           .height = e.height,
                                                           .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT},
                                  &sc->imported[i]),
                 "importing a swapchain image");
    }
    for (uint32_t i = n; i < sc->count; i++) sc->images[i] = VK_NULL_HANDLE;
    sc->format = sf.format;
    sc->extent = e;
    /* a new size is a new graph: the transients, the bloom chain and the plan follow it */
    return build_graph(d, e.width, e.height, sf.format, true);
}

static int swapchain_recreate(demo *d, frame_stats *fs, swapchain *sc, GLFWwindow *win)
{
    if (drain(d, fs)) return d->status;
    /* presents hold the old images and semaphores until the queue is idle */
    VKGCHECK(d, vkg_device_wait_idle(d->dev), "waiting for the device before recreating the swapchain");
    sc->recreated++;
    return swapchain_create(d, sc, win);
}

static int run_window(demo *d, frame_stats *fs, GLFWwindow *win)
{
    swapchain sc = {0};
    PFN_vkGetInstanceProcAddr gipa = d->vk.get_instance_proc_addr;
    VkInstance inst = d->vk.instance;
    sc.support = (PFN_vkGetPhysicalDeviceSurfaceSupportKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceSupportKHR");
    sc.caps = (PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
    sc.formats = (PFN_vkGetPhysicalDeviceSurfaceFormatsKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceFormatsKHR");
    sc.modes = (PFN_vkGetPhysicalDeviceSurfacePresentModesKHR)gipa(inst, "vkGetPhysicalDeviceSurfacePresentModesKHR");
    sc.destroy_surface = (PFN_vkDestroySurfaceKHR)gipa(inst, "vkDestroySurfaceKHR");
    if (!sc.support || !sc.caps || !sc.formats || !sc.modes || !sc.destroy_surface || !d->t->vkCreateSwapchainKHR)
        return failf(d, 1, "the Vulkan loader lacks the surface and swapchain functions");
    VkResult vr = glfwCreateWindowSurface(inst, win, NULL, &sc.surface);
    if (vr != VK_SUCCESS) return failf(d, 1, "glfwCreateWindowSurface failed (VkResult %d)", (int)vr);
    VkBool32 can_present = VK_FALSE;
    uint32_t family = d->vk.queues[VKG_QUEUE_GRAPHICS].family;
    if (sc.support(d->vk.physical_device, family, sc.surface, &can_present) != VK_SUCCESS || !can_present)
        failf(d, 1, "device \"%s\" cannot present to this window from its graphics queue family %u",
              vkg_device_caps(d->dev)->device_name, family);
    for (uint32_t s = 0; s < SLOTS && !d->status; s++)
        if (d->t->vkCreateSemaphore(d->d, &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                    NULL, &sc.acquired[s]) != VK_SUCCESS)
            failf(d, 1, "vkCreateSemaphore failed");
    if (!d->status) swapchain_create(d, &sc, win);
    uint32_t f = 0, first_w = sc.extent.width, first_h = sc.extent.height;
    bool stale = false;
    while (!d->status && !glfwWindowShouldClose(win) && (!d->o.frames || f < d->o.frames)) {
        glfwPollEvents();
        if (d->o.resize_at && f == d->o.resize_at && sc.recreated == 0)
            glfwSetWindowSize(win, (int)(first_w * 3 / 4), (int)(first_h * 3 / 4));
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(win, &fw, &fh);
        if (fw <= 0 || fh <= 0) { /* minimized: nothing to draw into */
            glfwWaitEventsTimeout(0.1);
            continue;
        }
        if (stale || !sc.handle || (uint32_t)fw != sc.extent.width || (uint32_t)fh != sc.extent.height) {
            if (swapchain_recreate(d, fs, &sc, win)) break;
            stale = false;
            if (!sc.handle) continue;
        }
        uint32_t s = f % SLOTS;
        if (slot_begin(d, fs, s)) break;
        uint32_t idx = 0;
        vr = d->t->vkAcquireNextImageKHR(d->d, sc.handle, UINT64_MAX, sc.acquired[s], VK_NULL_HANDLE, &idx);
        if (vr == VK_ERROR_OUT_OF_DATE_KHR) {
            stale = true; /* nothing was signalled: the slot stays free */
            continue;
        }
        if (vr != VK_SUCCESS && vr != VK_SUBOPTIMAL_KHR) {
            failf(d, 1, "vkAcquireNextImageKHR failed (VkResult %d)", (int)vr);
            break;
        }
        if (vr == VK_SUBOPTIMAL_KHR) stale = true;
        vkg_binding binds[5] = {{d->r_vertices, .buffer = d->vertices},
                                {d->r_indices, .buffer = d->indices},
                                {d->r_objects, .buffer = d->objects},
                                {d->r_textures, .image = d->textures},
                                {d->r_output,
                                 .image = sc.imported[idx],
                                 .wait_semaphore = sc.acquired[s],
                                 .wait_stage = VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                                 .signal_semaphore = sc.done[idx]}};
        camera(d, (float)f / 30.0f, sc.extent.width, sc.extent.height);
        if (execute(d, fs, f, binds, 5)) break;
        vr = vkg_queue_present(d->dev, VKG_QUEUE_GRAPHICS,
                               &(VkPresentInfoKHR){.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                                                   .waitSemaphoreCount = 1,
                                                   .pWaitSemaphores = &sc.done[idx],
                                                   .swapchainCount = 1,
                                                   .pSwapchains = &sc.handle,
                                                   .pImageIndices = &idx});
        if (vr == VK_ERROR_OUT_OF_DATE_KHR || vr == VK_SUBOPTIMAL_KHR)
            stale = true;
        else if (vr != VK_SUCCESS)
            failf(d, 1, "vkQueuePresentKHR failed (VkResult %d)", (int)vr);
        f++;
    }
    if (!d->status) drain(d, fs);
    if (vkg_device_wait_idle(d->dev) != VKG_SUCCESS) failf(d, 1, "waiting for the device to finish failed");
    if (d->o.report && !d->status)
        fprintf(d->o.report, "window: %u frames presented, swapchain %ux%u (%u images), recreated %u time(s)\n", f,
                sc.extent.width, sc.extent.height, sc.count, sc.recreated);
    swapchain_release_images(d, &sc);
    for (uint32_t i = 0; i < sc.count; i++) d->t->vkDestroySemaphore(d->d, sc.done[i], NULL);
    for (uint32_t s = 0; s < SLOTS; s++)
        if (sc.acquired[s]) d->t->vkDestroySemaphore(d->d, sc.acquired[s], NULL);
    if (sc.handle) d->t->vkDestroySwapchainKHR(d->d, sc.handle, NULL);
    if (sc.surface) sc.destroy_surface(inst, sc.surface, NULL);
    return d->status;
}
#endif

/* ------------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------------- */
int vkgd_graph_create(uint32_t width, uint32_t height, bool present, bool no_async, vkg_graph **out)
{
    *out = NULL;
    demo *d = calloc(1, sizeof *d);
    if (!d) return 1;
    geometry g = {0};
    if (!make_geometry(&g)) {
        free(g.v);
        free(g.idx);
        free(d);
        return 1;
    }
    d->o.no_async = no_async;
    d->object_count = 1 + GRID * GRID;
    d->vertex_bytes = g.nv * (uint32_t)sizeof(vertex);
    d->index_bytes = g.ni * (uint32_t)sizeof(uint32_t);
    free(g.v);
    free(g.idx);
    int status = describe_graph(d, width, height, present ? VK_FORMAT_B8G8R8A8_UNORM : VK_FORMAT_R8G8B8A8_UNORM,
                                present);
    if (status) {
        fprintf(stderr, "vkgd_graph_create: %s\n", d->error);
        vkg_graph_destroy(d->graph);
    } else {
        *out = d->graph;
    }
    free(d);
    return status;
}
static void destroy_all(demo *d)
{
    if (!d->dev) return;
    /* a lost device still frees everything below */
    vkg_result idle = vkg_device_wait_idle(d->dev);
    if (idle != VKG_SUCCESS) failf(d, 1, "waiting for the device at exit: %s", vkg_result_name(idle));
    vkg_executor_destroy(d->ex);
    vkg_plan_destroy(d->plan);
    vkg_graph_destroy(d->graph);
    vkg_uploader_destroy(d->uploader);
    vkg_buffer_destroy(d->dev, d->vertices);
    vkg_buffer_destroy(d->dev, d->indices);
    vkg_buffer_destroy(d->dev, d->objects);
    vkg_image_destroy(d->dev, d->textures);
    if (d->d) {
        for (uint32_t i = 0; i < P_COUNT; i++) {
            dpipe *p = &d->pipes[i];
            if (p->pipeline) d->t->vkDestroyPipeline(d->d, p->pipeline, NULL);
            if (p->layout) d->t->vkDestroyPipelineLayout(d->d, p->layout, NULL);
            if (p->dsl) d->t->vkDestroyDescriptorSetLayout(d->d, p->dsl, NULL);
        }
        for (uint32_t i = 0; i < 10; i++)
            if (d->modules[i]) d->t->vkDestroyShaderModule(d->d, d->modules[i], NULL);
        if (d->clamp) d->t->vkDestroySampler(d->d, d->clamp, NULL);
        if (d->wrap) d->t->vkDestroySampler(d->d, d->wrap, NULL);
        if (d->nearest) d->t->vkDestroySampler(d->d, d->nearest, NULL);
        for (uint32_t s = 0; s < SLOTS; s++) {
            if (d->pools[s]) d->t->vkDestroyDescriptorPool(d->d, d->pools[s], NULL);
            if (d->queries[s]) d->t->vkDestroyQueryPool(d->d, d->queries[s], NULL);
        }
    }
}

int vkgd_main(const vkgd_options *options)
{
    demo *d = calloc(1, sizeof *d);
    if (!d) {
        fprintf(stderr, "vkgraph demo: out of host memory\n");
        return 1;
    }
    d->o = *options;
    if (!d->o.width || !d->o.height) {
        d->o.width = 1280;
        d->o.height = 720;
    }
    if (!d->o.window && !d->o.frames) d->o.frames = 8;
    if (!d->o.out_png) d->o.out_png = "frame.png";
    pthread_mutex_init(&d->lock, NULL);
    frame_stats *fs = calloc(1, sizeof *fs);
    const char *exts[VKG_MAX_INSTANCE_EXTENSIONS];
    uint32_t ext_count = 0;
#ifdef VKG_HAVE_GLFW
    GLFWwindow *win = NULL;
    bool glfw = false;
#endif
    if (!fs) {
        failf(d, 1, "out of host memory");
    } else if (d->o.width < 8 || d->o.height < 8 || d->o.width > 8192 || d->o.height > 8192) {
        failf(d, 2, "--size %ux%u: each side must be 8 to 8192 pixels", d->o.width, d->o.height);
    } else if (d->o.window) {
#ifdef VKG_HAVE_GLFW
        if (!glfwInit()) {
            const char *why = NULL;
            glfwGetError(&why);
            failf(d, 1, "--window: GLFW cannot start (%s); without a display, run under xvfb-run -a",
                  why ? why : "no reason given");
        } else {
            glfw = true;
            uint32_t n = 0;
            const char **req = glfwVulkanSupported() ? glfwGetRequiredInstanceExtensions(&n) : NULL;
            if (!req || n > VKG_MAX_INSTANCE_EXTENSIONS) {
                failf(d, 1, "--window: GLFW finds no Vulkan surface support on this display");
            } else {
                for (uint32_t i = 0; i < n; i++) exts[ext_count++] = req[i];
                glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
                win = glfwCreateWindow((int)d->o.width, (int)d->o.height, "vkgraph demo", NULL, NULL);
                if (!win) failf(d, 1, "--window: glfwCreateWindow failed");
            }
        }
#else
        failf(d, 2, "--window: this vkgraph was built without GLFW (install libglfw3-dev and rebuild)");
#endif
    }
    if (!d->status) {
        vkg_result r = vkg_device_create(&(vkg_device_desc){.app_name = "vkgraph demo",
                                                            .device_name = d->o.device_name,
                                                            .device_name_origin = "--device",
                                                            .validation = d->o.validate,
                                                            .instance_extensions = ext_count ? exts : NULL,
                                                            .instance_extension_count = ext_count,
                                                            .swapchain = d->o.window,
                                                            .allocator = d->o.soak
                                                                             ? (vkg_allocator){soak_alloc,
                                                                                               soak_realloc,
                                                                                               soak_free, NULL}
                                                                             : (vkg_allocator){0}},
                                         &d->dev);
        if (r != VKG_SUCCESS) failf(d, 1, "no usable Vulkan device: %s", vkg_result_name(r));
    }
    if (!d->status && d->o.trace_path) {
        fs->frames_cap = d->o.frames ? d->o.frames : 100000;
        fs->cpu_start = calloc(fs->frames_cap, sizeof *fs->cpu_start);
        fs->cpu_dur = calloc(fs->frames_cap, sizeof *fs->cpu_dur);
        fs->events = calloc(TRACE_MAX, sizeof *fs->events);
        if (!fs->cpu_start || !fs->cpu_dur || !fs->events) failf(d, 1, "out of host memory for the trace");
    }
    if (!d->status && d->o.report)
        fprintf(d->o.report, "vkgraph demo on %s (%s), %ux%u%s%s\n", vkg_device_caps(d->dev)->device_name,
                d->o.window ? "window" : "headless", d->o.width, d->o.height,
                d->o.validate ? ", validation + synchronization validation" : "",
                d->o.no_async ? ", SSAO on the graphics queue" : "");
    if (!d->status) {
        fs->t0 = now_us();
        if (!common_setup(d)) {
#ifdef VKG_HAVE_GLFW
            if (d->o.window)
                run_window(d, fs, win);
            else
#endif
                run_headless(d, fs);
        }
    }
    if (!d->status) {
        report(d, fs, fs->exec.n);
        if (d->o.trace_path && !write_trace(d, fs, fs->exec.n) && d->o.report)
            fprintf(d->o.report, "wrote the trace %s (chrome://tracing or ui.perfetto.dev)\n", d->o.trace_path);
    }
    if (d->dev) {
        destroy_all(d); /* validation messages can come from destruction too */
        uint32_t messages = vkg_device_validation_count(d->dev);
        if (messages)
            failf(d, 1, "%u validation message%s (logged above): the frame is not trustworthy", messages,
                  messages == 1 ? "" : "s");
        else if (d->o.validate && d->o.report)
            fprintf(d->o.report, "validation + synchronization validation: 0 messages\n");
        vkg_device_destroy(d->dev);
    }
    int status = d->status;
    if (d->status) fprintf(stderr, "vkgraph demo: %s\n", d->error);
#ifdef VKG_HAVE_GLFW
    if (win) glfwDestroyWindow(win);
    if (glfw) glfwTerminate();
#endif
    if (fs) {
        free(fs->cpu_start);
        free(fs->cpu_dur);
        free(fs->events);
    }
    free(fs);
    pthread_mutex_destroy(&d->lock);
    free(d);
    return status;
}
