/* `vkgraph demo`'s private types and small helpers, shared by its files: scene.c (math and
 * procedural content), pipelines.c (shaders, layouts, pipelines, descriptor sets, the soak
 * allocator), passes.c (content upload and the record callbacks), frame_graph.c (the graph),
 * window.c (GLFW window and swapchain) and demo.c (frames, statistics, entry points). */
#ifndef VKGD_INTERNAL_H_
#define VKGD_INTERNAL_H_

#include <volk.h> /* before vkgraph.h: struct VolkDeviceTable */

#include "demo/demo.h"
#include "util/util.h"
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

#define SLOTS 2           /* frames in flight */
#define MAX_PASSES 24
#define MAX_BINDINGS 6
#define BLOOM_MIPS 5
#define TEX_SIZE 256
#define TEX_LAYERS 4
#define TEX_MIPS 9
#define GRID 7

typedef struct vec3 {
    float x, y, z;
} vec3;

static inline vec3 v3(float x, float y, float z) { return (vec3){x, y, z}; }
static inline vec3 vsub(vec3 a, vec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static inline float vdot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline vec3 vcross(vec3 a, vec3 b)
{
    return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
static inline vec3 vnorm(vec3 a)
{
    float l = sqrtf(vdot(a, a));
    return l > 0 ? v3(a.x / l, a.y / l, a.z / l) : a;
}

static inline void mat_mul(float *out, const float *a, const float *b)
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

static inline void mat_perspective(float *m, float fovy, float aspect, float zn, float zf)
{
    float f = 1.0f / tanf(fovy * 0.5f);
    memset(m, 0, 16 * sizeof *m);
    m[0] = f / aspect;
    m[5] = -f; /* Vulkan: y points down in clip space */
    m[10] = zf / (zn - zf);
    m[11] = -1.0f;
    m[14] = zn * zf / (zn - zf);
}

static inline void mat_look_at(float *m, vec3 eye, vec3 at, vec3 up)
{
    vec3 f = vnorm(vsub(at, eye)), s = vnorm(vcross(f, up)), u = vcross(s, f);
    float r[16] = {s.x, u.x, -f.x, 0, s.y, u.y, -f.y, 0, s.z, u.z, -f.z, 0,
                   -vdot(s, eye), -vdot(u, eye), vdot(f, eye), 1};
    memcpy(m, r, sizeof r);
}

/* General inverse (cofactors); the view-projection is always invertible here. */
static inline void mat_inverse(float *out, const float *m)
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

enum { P_UPDATE, P_GBUFFER, P_SSAO, P_SSAO_BLUR, P_LIGHTING, P_TAA, P_BLOOM_DOWN, P_BLOOM_UP, P_TONEMAP, P_COUNT };

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
    VkShaderModule modules[11];

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
    vkg_profiler *prof; /* GPU time per pass, and the trace (--trace) */
    FILE *trace;

    /* per frame slot */
    VkDescriptorPool pools[SLOTS];
    vkg_ticket tickets[SLOTS];
    double slot_cpu_t0[SLOTS], slot_cpu_us[SLOTS]; /* its vkg_execute call, for the profiler */
    uint32_t slot_frame[SLOTS]; /* the frame the slot's ticket belongs to */
    bool pending[SLOTS];        /* a frame was submitted and not yet collected */
    pthread_mutex_t lock;
    uint32_t slot;

    /* this frame's constants */
    float view_proj[16], inv_view_proj[16];
    float prev_view_proj[16]; /* last frame's camera, for the temporal pass */
    uint32_t history_frames;  /* executions of the plan so far: its history is valid from 1 */
    vec3 eye;
    float time;
    bool encode_srgb;

    double cpu_start; /* this frame's CPU time starts here */
} demo;

typedef struct soak_sample {
    uint32_t frame;
    long live_blocks;
    VkDeviceSize device_reserved, device_used;
    double rss_mib;
} soak_sample;

typedef struct pass_stat {
    double sum, min, max;
    uint32_t n;
} pass_stat;

typedef struct frame_stats {
    pass_stat exec, frame;
} frame_stats;

#define VKCHECK(d, call)                                                                         \
    do {                                                                                         \
        VkResult vr_ = (call);                                                                   \
        if (vr_ != VK_SUCCESS) return vkgd__failf((d), 1, "%s failed (VkResult %d)", #call, (int)vr_); \
    } while (0)

#define VKGCHECK(d, call, what)                                                                  \
    do {                                                                                         \
        vkg_result r_ = (call);                                                                  \
        if (r_ != VKG_SUCCESS)                                                                   \
            return vkgd__failf((d), r_ == VKG_ERROR_INVALID_ARGUMENT ? 2 : 1, "%s: %s", (what),        \
                         vkg_result_name(r_));                                                   \
    } while (0)

/* the demo's attachment formats */
static const VkFormat gbuffer_formats[3] = {VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_R16G16B16A16_SFLOAT,
                                            VK_FORMAT_R16G16B16A16_SFLOAT};
static const VkFormat hdr_format = VK_FORMAT_R16G16B16A16_SFLOAT;
static const VkFormat depth_format = VK_FORMAT_D32_SFLOAT;

/* descriptor types, short */
#define SAMPLED VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER
#define STORAGE_IMG VK_DESCRIPTOR_TYPE_STORAGE_IMAGE
#define STORAGE_BUF VK_DESCRIPTOR_TYPE_STORAGE_BUFFER

/* ---- across the demo's files -------------------------------------------------------------- */
int vkgd__build_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present);
void vkgd__camera(demo *d, float time, uint32_t w, uint32_t h);
int vkgd__describe_graph(demo *d, uint32_t w, uint32_t h, VkFormat out_format, bool present);
int vkgd__drain(demo *d);
int vkgd__execute(demo *d, frame_stats *fs, uint32_t frame, const vkg_binding *binds, uint32_t nb);
int vkgd__failf(demo *d, int status, const char *fmt, ...);
bool vkgd__make_geometry(geometry *g);
int vkgd__make_pipelines(demo *d);
void vkgd__make_texel(uint32_t layer, uint32_t x, uint32_t y, uint8_t *out);
extern const vkg_record_fn vkgd__recorders[P_COUNT + 1]; /* per pass kind (P_COUNT: readback) */
void vkgd__report(demo *d, const frame_stats *fs, uint32_t frames);
int vkgd__run_window(demo *d, frame_stats *fs, GLFWwindow *win);
int vkgd__slot_begin(demo *d, uint32_t s);
void *vkgd__soak_alloc(void *user, size_t size);
void vkgd__soak_free(void *user, void *ptr);
void *vkgd__soak_realloc(void *user, void *ptr, size_t size);
soak_sample vkgd__soak_take(demo *d, uint32_t frame);
int vkgd__tonemap_pipeline(demo *d, VkFormat format);
int vkgd__upload_content(demo *d);

#endif
