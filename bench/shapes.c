#include "shapes.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const shape_names[SHAPE_COUNT] = {"chain", "random", "fanout", "pyramid", "families"};

/* A growing string. */
typedef struct text {
    char *s;
    size_t len, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = t->oom ? 0 : vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
        va_end(ap);
        if (t->oom || n < 0) {
            t->oom = true;
            return;
        }
        if (t->s && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 1 << 16;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->oom = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

static uint32_t rnd(uint64_t *s, uint32_t below)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return below ? (uint32_t)((*s >> 33) % below) : 0;
}

/* Resources and passes are written into two texts, joined at the end. */
typedef struct graph_text {
    text res, pass;
    uint32_t nres, npass, uses;
} graph_text;

static uint32_t buffer(graph_text *g, uint32_t bytes)
{
    put(&g->res, "%s\n {\"name\": \"r%u\", \"buffer\": {\"size\": %u}}", g->nres ? "," : "", g->nres,
        bytes);
    return g->nres++;
}

static uint32_t image(graph_text *g, const char *format, uint32_t w, uint32_t h, uint32_t mips,
                      uint32_t layers)
{
    put(&g->res,
        "%s\n {\"name\": \"r%u\", \"image\": {\"format\": \"%s\", \"size\": [%u, %u], \"mips\": %u, "
        "\"layers\": %u}}",
        g->nres ? "," : "", g->nres, format, w, h, mips, layers);
    return g->nres++;
}

static void pass(graph_text *g, const char *queue, bool side_effects)
{
    put(&g->pass, "%s\n {\"name\": \"p%u\", \"queue\": \"%s\"%s, \"uses\": [", g->npass ? "]}," : "",
        g->npass, queue, side_effects ? ", \"side_effects\": true" : "");
    g->npass++;
    g->uses = 0;
}

static void use(graph_text *g, uint32_t res, const char *access)
{
    put(&g->pass, "%s{\"resource\": \"r%u\", \"access\": \"%s\"}", g->uses++ ? ", " : "", res, access);
}

static void use_sub(graph_text *g, uint32_t res, const char *access, uint32_t mip, uint32_t layer,
                    uint32_t layers)
{
    put(&g->pass, "%s{\"resource\": \"r%u\", \"access\": \"%s\", \"mips\": [%u, 1], \"layers\": [%u, %u]}",
        g->uses++ ? ", " : "", res, access, mip, layer, layers);
}

static void chain(graph_text *g, uint32_t n, uint64_t *seed)
{
    (void)seed;
    uint32_t prev = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t img = image(g, "R8G8B8A8_UNORM", 512, 512, 1, 1);
        pass(g, "graphics", i + 1 == n);
        if (prev != UINT32_MAX) use(g, prev, "fragment_sampled_read");
        use(g, img, "color_write");
        prev = img;
    }
}

static void random_shape(graph_text *g, uint32_t n, uint64_t *seed)
{
    for (uint32_t i = 0; i < n; i++) {
        pass(g, "compute", true);
        uint32_t made = g->nres, a = UINT32_MAX;
        for (uint32_t k = 0; k < 2 && k < made; k++) {
            uint32_t r = rnd(seed, made);
            if (r == a) continue;
            use(g, r, "compute_storage_read");
            a = r;
        }
        for (uint32_t k = 0; k < 2; k++)
            use(g, buffer(g, 4096u * (1 + rnd(seed, 16))), "compute_storage_write");
    }
}

static void fanout(graph_text *g, uint32_t n, uint64_t *seed)
{
    uint32_t last = UINT32_MAX, outs[254];
    for (uint32_t done = 0; done < n;) {
        uint32_t left = n - done, readers = left >= 256 ? 254 : (left > 2 ? left - 2 : 1);
        uint32_t src = buffer(g, 65536);
        pass(g, "compute", false);
        if (last != UINT32_MAX) use(g, last, "compute_storage_read");
        use(g, src, "compute_storage_write");
        for (uint32_t r = 0; r < readers; r++) {
            outs[r] = buffer(g, 4096u * (1 + rnd(seed, 4)));
            pass(g, "compute", false);
            use(g, src, "compute_storage_read");
            use(g, outs[r], "compute_storage_write");
        }
        last = buffer(g, 4096);
        done += readers + 2;
        pass(g, "compute", done >= n);
        for (uint32_t r = 0; r < readers; r++) use(g, outs[r], "compute_storage_read");
        use(g, last, "compute_storage_write");
    }
}

static void pyramid(graph_text *g, uint32_t n, uint64_t *seed)
{
    (void)seed;
    const uint32_t mips = 11, layers = 2;
    uint32_t prev = UINT32_MAX;
    /* per pyramid: fill, (mips - 1) down per layer pair, (mips - 1) up */
    while (g->npass < n || prev == UINT32_MAX) {
        uint32_t img = image(g, "R16G16B16A16_SFLOAT", 1024, 1024, mips, layers);
        pass(g, "compute", false);
        if (prev != UINT32_MAX) use_sub(g, prev, "compute_sampled_read", 0, 0, layers);
        use_sub(g, img, "compute_storage_write", 0, 0, layers);
        for (uint32_t m = 1; m < mips && g->npass < n; m++) {
            /* alternate: both layers in one pass, or one layer each */
            uint32_t per = m % 2 ? layers : 1;
            for (uint32_t l = 0; l < layers; l += per) {
                pass(g, "compute", false);
                use_sub(g, img, "compute_sampled_read", m - 1, l, per);
                use_sub(g, img, "compute_storage_write", m, l, per);
            }
        }
        for (uint32_t m = mips - 1; m-- > 0 && g->npass < n;) {
            pass(g, "compute", false);
            use_sub(g, img, "compute_sampled_read", m + 1, 0, layers);
            use_sub(g, img, "compute_storage_read_write", m, 0, layers);
        }
        prev = img;
    }
    pass(g, "compute", true);
    use_sub(g, prev, "compute_sampled_read", 0, 0, layers);
}

static void families(graph_text *g, uint32_t n, uint64_t *seed)
{
    static const char *const queues[] = {"graphics", "compute", "transfer"};
    static const char *const image_read[] = {"fragment_sampled_read", "compute_sampled_read",
                                             "transfer_read"};
    static const char *const image_write[] = {"color_write", "compute_storage_write",
                                              "transfer_write"};
    static const char *const buffer_read[] = {"vertex_read", "compute_storage_read",
                                              "transfer_read"};
    static const char *const buffer_write[] = {"fragment_storage_write", "compute_storage_write",
                                               "transfer_write"};
    const uint32_t window = 256;
    bool *is_image = malloc(sizeof(bool) * ((size_t)n + 1));
    if (!is_image) {
        g->res.oom = true;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t q = rnd(seed, 3);
        pass(g, queues[q], true);
        uint32_t made = g->nres, a = UINT32_MAX;
        uint32_t lo = made > window ? made - window : 0;
        for (uint32_t k = 0; k < 2 && made; k++) {
            uint32_t r = lo + rnd(seed, made - lo);
            if (r == a) continue;
            use(g, r, is_image[r] ? image_read[q] : buffer_read[q]);
            a = r;
        }
        bool img = rnd(seed, 2);
        uint32_t r = img ? image(g, "R8G8B8A8_UNORM", 256, 256, 1, 1)
                         : buffer(g, 4096u * (1 + rnd(seed, 16)));
        is_image[r] = img;
        use(g, r, is_image[r] ? image_write[q] : buffer_write[q]);
    }
    free(is_image);
}

char *shape_json(const char *shape, uint32_t passes, uint64_t seed)
{
    static void (*const build[SHAPE_COUNT])(graph_text *, uint32_t, uint64_t *) = {
        chain, random_shape, fanout, pyramid, families};
    uint32_t s = 0;
    while (s < SHAPE_COUNT && strcmp(shape, shape_names[s]) != 0) s++;
    if (s == SHAPE_COUNT || passes == 0) return NULL;
    graph_text g = {0};
    build[s](&g, passes, &seed);
    text out = {0};
    put(&out, "{\"vkgraph\": 1, \"name\": \"%s %u\",\n\"resources\": [%s\n],\n\"passes\": [%s]}]\n}\n",
        shape, passes, g.res.s ? g.res.s : "", g.pass.s ? g.pass.s : "");
    bool oom = g.res.oom || g.pass.oom || out.oom;
    free(g.res.s);
    free(g.pass.s);
    if (oom) {
        free(out.s);
        return NULL;
    }
    return out.s;
}
