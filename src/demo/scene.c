/* `vkgraph demo`: procedural content: meshes and a texture array, generated here. */
#include "internal.h"

/* ------------------------------------------------------------------------------------------
 * Small linear algebra: column-major 4x4, Vulkan clip space (y down, depth 0..1)
 * ---------------------------------------------------------------------------------------- */
/* ------------------------------------------------------------------------------------------
 * Procedural content
 * ---------------------------------------------------------------------------------------- */


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

bool vkgd__make_geometry(geometry *g)
{
    return geo_surface(g, MESH_PLANE, surf_plane, 16, 16, 6.0f, 17.0f) && geo_cube(g) &&
           geo_surface(g, MESH_SPHERE, surf_sphere, 40, 20, 2.0f, 0.8f) &&
           geo_surface(g, MESH_TORUS, surf_torus, 48, 16, 3.0f, 0.9f);
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
        c[k] = (float)(vkg__hash32(cx * 7919u + cy * 104729u + seed) & 0xffff) / 65535.0f;
    }
    return (c[0] * (1 - fx) + c[1] * fx) * (1 - fy) + (c[2] * (1 - fx) + c[3] * fx) * fy;
}

static uint8_t to8(float v) { return (uint8_t)(v <= 0 ? 0 : v >= 1 ? 255 : v * 255.0f + 0.5f); }

/* Mip 0 of the four texture layers (RGBA8, sRGB-encoded values): checker, bricks, marble,
 * tiles. */
void vkgd__make_texel(uint32_t layer, uint32_t x, uint32_t y, uint8_t *out)
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
