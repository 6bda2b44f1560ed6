/* Graph files (docs/graph-format.md): parsed with jansson; semantic errors are
 * placed at the offending value by re-walking the text (jansson keeps no positions for
 * values), so every message starts with FILE:LINE:COLUMN. */
#include "graph.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct vkg__jstep {
    const char *key; /* NULL: array index */
    size_t index;
} vkg__jstep;

typedef struct vkg__jctx {
    const char *text;
    size_t len;
    const char *file;
    vkg__jstep path[8];
    int depth;
    char *err;
    size_t err_size;
    vkg__host host;   /* the user's logger */
    char captured[1024]; /* last message from the graph builder */
    vkg_graph *g;
} vkg__jctx;

/* --- locating a path in the text ----------------------------------------------------------- */
static size_t vkg__ws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
    return i;
}

static size_t vkg__skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n && t[i] != '"'; i++)
        if (t[i] == '\\') i++;
    return i < n ? i + 1 : n;
}

static size_t vkg__skip_value(const char *t, size_t n, size_t i)
{
    i = vkg__ws(t, n, i);
    if (i >= n) return n;
    if (t[i] == '"') return vkg__skip_string(t, n, i);
    if (t[i] == '{' || t[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            if (t[i] == '"') {
                i = vkg__skip_string(t, n, i) - 1;
            } else if (t[i] == '{' || t[i] == '[') {
                depth++;
            } else if (t[i] == '}' || t[i] == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return n;
    }
    while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
           t[i] != '\t' && t[i] != '\r')
        i++;
    return i;
}

static size_t vkg__locate(const char *t, size_t n, const vkg__jstep *path, int depth)
{
    size_t i = vkg__ws(t, n, 0);
    for (int d = 0; d < depth && i < n; d++) {
        const vkg__jstep *s = &path[d];
        size_t start = i;
        if (s->key) {
            if (t[i] != '{') return start;
            i = vkg__ws(t, n, i + 1);
            bool found = false;
            while (i < n && t[i] == '"') {
                size_t kend = vkg__skip_string(t, n, i);
                size_t klen = kend - i - 2;
                bool match = strlen(s->key) == klen && strncmp(t + i + 1, s->key, klen) == 0;
                i = vkg__ws(t, n, kend);
                if (i < n && t[i] == ':') i = vkg__ws(t, n, i + 1);
                if (match) {
                    found = true;
                    break;
                }
                i = vkg__ws(t, n, vkg__skip_value(t, n, i));
                if (i < n && t[i] == ',') i = vkg__ws(t, n, i + 1);
            }
            if (!found) return start;
        } else {
            if (t[i] != '[') return start;
            i = vkg__ws(t, n, i + 1);
            for (size_t k = 0; k < s->index && i < n; k++) {
                i = vkg__ws(t, n, vkg__skip_value(t, n, i));
                if (i < n && t[i] == ',') i = vkg__ws(t, n, i + 1);
            }
        }
    }
    return i;
}

static void vkg__path_string(const vkg__jctx *c, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int d = 0; d < c->depth && len < size; d++) {
        int w = c->path[d].key ? snprintf(buf + len, size - len, "%s%s", d ? "." : "",
                                          c->path[d].key)
                               : snprintf(buf + len, size - len, "[%zu]", c->path[d].index);
        if (w < 0) break;
        len += (size_t)w;
    }
}

static vkg_result vkg__jfail(vkg__jctx *c, vkg_result r, const char *fmt, ...) VKG__PRINTF(3, 4);
static vkg_result vkg__jfail(vkg__jctx *c, vkg_result r, const char *fmt, ...)
{
    size_t off = vkg__locate(c->text, c->len, c->path, c->depth);
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < off && i < c->len; i++) {
        if (c->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char path[256], msg[1024];
    vkg__path_string(c, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char full[1600];
    snprintf(full, sizeof full, "%s:%u:%u: %s%s%s", c->file, line, col, path, path[0] ? ": " : "",
             msg);
    vkg__log(&c->host, VKG_LOG_ERROR, __FILE__, __LINE__, "%s", full);
    if (c->err && c->err_size) vkg__escape_controls(full, c->err, c->err_size);
    return r;
}

#define PUSHK(c, k) ((c)->path[(c)->depth].key = (k), (c)->path[(c)->depth++].index = 0)
#define PUSHI(c, i) ((c)->path[(c)->depth].key = NULL, (c)->path[(c)->depth++].index = (i))
#define POP(c) ((c)->depth--)

/* --- typed getters --------------------------------------------------------------------- */
/* Edit distance (insertions, deletions, substitutions, adjacent swaps), capped: names are
 * short, and only small distances make a suggestion. */
static uint32_t vkg__distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return UINT32_MAX;
    uint32_t d[64][64];
    for (size_t i = 0; i <= n; i++) d[i][0] = (uint32_t)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (uint32_t)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            uint32_t cost = a[i - 1] != b[j - 1];
            uint32_t v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

/* Keeps the closest name seen so far, when it is close enough to be what was meant: at most
 * a third of the word's letters differ. */
typedef struct vkg__suggest {
    const char *word, *best;
    uint32_t dist;
} vkg__suggest;

static void vkg__suggest_try(vkg__suggest *s, const char *candidate)
{
    uint32_t d = vkg__distance(s->word, candidate);
    uint32_t limit = (uint32_t)strlen(s->word) / 3 + 1;
    if (d <= limit && (!s->best || d < s->dist)) {
        s->best = candidate;
        s->dist = d;
    }
}

/* " (did you mean \"x\"?)" or "" */
static const char *vkg__suggestion(const vkg__suggest *s, char *buf, size_t size)
{
    if (!s->best) return "";
    snprintf(buf, size, " (did you mean \"%s\"?)", s->best);
    return buf;
}

static vkg_result vkg__check_keys(vkg__jctx *c, json_t *obj, const char *const *allowed,
                                  const char *what)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) ok = true;
        if (ok) continue;
        char list[256] = "";
        for (const char *const *a = allowed; *a; a++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s\"%s\"", l ? ", " : "", *a);
        }
        vkg__suggest sg = {.word = key};
        for (const char *const *a = allowed; *a; a++) vkg__suggest_try(&sg, *a);
        char hint[96];
        PUSHK(c, key);
        vkg_result r = vkg__jfail(c, VKG_ERROR_PARSE, "unknown key \"%s\" in %s%s: expected %s",
                                  key, what, vkg__suggestion(&sg, hint, sizeof hint), list);
        POP(c);
        return r;
    }
    return VKG_SUCCESS;
}

static vkg_result vkg__get_u32(vkg__jctx *c, json_t *obj, const char *key, uint32_t *out,
                               bool required, uint64_t min, uint64_t max)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return VKG_SUCCESS;
        return vkg__jfail(c, VKG_ERROR_PARSE, "missing \"%s\": expected an integer", key);
    }
    PUSHK(c, key);
    vkg_result r = VKG_SUCCESS;
    if (!json_is_integer(v)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected an integer");
    else if (json_integer_value(v) < (json_int_t)min || (uint64_t)json_integer_value(v) > max)
        r = vkg__jfail(c, VKG_ERROR_PARSE, "%" PRId64 " is out of range: expected %" PRIu64
                       "..%" PRIu64,
                       (int64_t)json_integer_value(v), min, max);
    else *out = (uint32_t)json_integer_value(v);
    POP(c);
    return r;
}

static vkg_result vkg__get_bool(vkg__jctx *c, json_t *obj, const char *key, bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return VKG_SUCCESS;
    if (!json_is_boolean(v)) {
        PUSHK(c, key);
        vkg_result r = vkg__jfail(c, VKG_ERROR_PARSE, "expected true or false");
        POP(c);
        return r;
    }
    *out = json_is_true(v);
    return VKG_SUCCESS;
}

static vkg_result vkg__get_str(vkg__jctx *c, json_t *obj, const char *key, const char **out,
                               bool required)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return VKG_SUCCESS;
        return vkg__jfail(c, VKG_ERROR_PARSE, "missing \"%s\": expected a string", key);
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        PUSHK(c, key);
        vkg_result r = vkg__jfail(c, VKG_ERROR_PARSE, "expected a non-empty string");
        POP(c);
        return r;
    }
    *out = json_string_value(v);
    return VKG_SUCCESS;
}

/* [a, b] (or [a, b, c] when n3 allowed) of non-negative integers */
static vkg_result vkg__get_pair(vkg__jctx *c, json_t *obj, const char *key, uint64_t *vals,
                                size_t *count, bool allow3, const char *expect)
{
    json_t *v = json_object_get(obj, key);
    *count = 0;
    if (!v) return VKG_SUCCESS;
    PUSHK(c, key);
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (!json_is_array(v) || (n != 2 && !(allow3 && n == 3))) {
        vkg_result r = vkg__jfail(c, VKG_ERROR_PARSE, "expected %s", expect);
        POP(c);
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            PUSHI(c, i);
            vkg_result r = vkg__jfail(c, VKG_ERROR_PARSE, "expected a non-negative integer (%s)",
                                      expect);
            POP(c);
            POP(c);
            return r;
        }
        vals[i] = (uint64_t)json_integer_value(e);
    }
    POP(c);
    *count = n;
    return VKG_SUCCESS;
}

/* Builder messages are captured and re-issued with the file position. */
static void vkg__capture(void *user, vkg_log_level level, const char *file, int line,
                         const char *msg)
{
    (void)file;
    (void)line;
    vkg__jctx *c = user;
    if (level == VKG_LOG_ERROR) snprintf(c->captured, sizeof c->captured, "%s", msg);
}

static vkg_result vkg__builder(vkg__jctx *c, vkg_result r)
{
    if (r == VKG_SUCCESS) return r;
    return vkg__jfail(c, r, "%s", c->captured[0] ? c->captured : vkg_result_text(r));
}

/* --- the graph ------------------------------------------------------------------------- */
/* "size": {"of": "swapchain", "scale": 0.5} or {"of": "gbuffer", "scale": [0.5, 0.25]} */
static vkg_result vkg__load_relative_size(vkg__jctx *c, json_t *js, const char *name,
                                          vkg_graph_image_desc *d)
{
    static const char *const keys[] = {"of", "scale", NULL};
    PUSHK(c, "size");
    const char *of = NULL;
    vkg_result r = vkg__check_keys(c, js, keys, "a relative size");
    if (r == VKG_SUCCESS) r = vkg__get_str(c, js, "of", &of, true);
    if (r == VKG_SUCCESS) {
        d->size_of = vkg_graph_find_resource(c->g, of);
        if (!d->size_of.id || !c->g->res[d->size_of.id - 1].is_image) {
            PUSHK(c, "of");
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "image \"%s\" is sized from \"%s\", which is not an image declared "
                           "before it",
                           name, of);
            POP(c);
        }
    }
    json_t *sc = json_object_get(js, "scale");
    if (r == VKG_SUCCESS && sc) {
        double x = 0, y = 0;
        if (json_is_number(sc)) {
            x = y = json_number_value(sc);
        } else if (json_is_array(sc) && json_array_size(sc) == 2 &&
                   json_is_number(json_array_get(sc, 0)) && json_is_number(json_array_get(sc, 1))) {
            x = json_number_value(json_array_get(sc, 0));
            y = json_number_value(json_array_get(sc, 1));
        }
        if (!(x > 0 && y > 0 && x < 65536 && y < 65536)) {
            PUSHK(c, "scale");
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "expected a positive factor or [x factor, y factor] of \"%s\"'s size", of);
            POP(c);
        }
        d->scale_x = (float)x;
        d->scale_y = (float)y;
    }
    POP(c);
    return r;
}

/* "history": 1 and "history_init": "clear" | "undefined" (vkg_graph_buffer_desc.history). */
static vkg_result vkg__load_history(vkg__jctx *c, json_t *jr, uint32_t *history, vkg_history_init *init)
{
    vkg_result r = vkg__get_u32(c, jr, "history", history, false, 0, 1);
    const char *in = NULL;
    if (r == VKG_SUCCESS) r = vkg__get_str(c, jr, "history_init", &in, false);
    if (r != VKG_SUCCESS || !in) return r;
    if (strcmp(in, "clear") == 0) *init = VKG_HISTORY_CLEAR;
    else if (strcmp(in, "undefined") == 0) *init = VKG_HISTORY_UNDEFINED;
    else {
        PUSHK(c, "history_init");
        r = vkg__jfail(c, VKG_ERROR_PARSE, "unknown history_init \"%s\": expected \"clear\" or \"undefined\"", in);
        POP(c);
    }
    return r;
}

static vkg_result vkg__load_resource(vkg__jctx *c, json_t *jr)
{
    static const char *const keys[] = {"name", "image", "buffer", "imported", "output", "state",
                                       "sharing", "history", "history_init", NULL};
    static const char *const ikeys[] = {"format", "size", "mips", "layers", "samples", NULL};
    static const char *const bkeys[] = {"size", NULL};
    static const char *const skeys[] = {"access", "queue", NULL};
    if (!json_is_object(jr)) return vkg__jfail(c, VKG_ERROR_PARSE, "expected a resource object");
    vkg_result r = vkg__check_keys(c, jr, keys, "a resource");
    const char *name = NULL;
    if (r == VKG_SUCCESS) r = vkg__get_str(c, jr, "name", &name, true);
    if (r != VKG_SUCCESS) return r;
    json_t *img = json_object_get(jr, "image"), *buf = json_object_get(jr, "buffer");
    if (!img == !buf)
        return vkg__jfail(c, VKG_ERROR_PARSE,
                          "resource \"%s\" needs exactly one of \"image\" or \"buffer\"", name);
    bool imported = false, output = false;
    vkg_import_state state = {0};
    r = vkg__get_bool(c, jr, "imported", &imported);
    if (r == VKG_SUCCESS) r = vkg__get_bool(c, jr, "output", &output);
    vkg_sharing sharing = VKG_SHARING_DEFAULT;
    const char *sn = NULL;
    if (r == VKG_SUCCESS) r = vkg__get_str(c, jr, "sharing", &sn, false);
    if (r == VKG_SUCCESS && sn) {
        if (strcmp(sn, "exclusive") == 0) sharing = VKG_SHARING_EXCLUSIVE;
        else if (strcmp(sn, "concurrent") == 0) sharing = VKG_SHARING_CONCURRENT;
        else {
            PUSHK(c, "sharing");
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "unknown sharing \"%s\": expected \"exclusive\" or \"concurrent\"", sn);
            POP(c);
        }
    }
    json_t *js = json_object_get(jr, "state");
    if (r == VKG_SUCCESS && js) {
        PUSHK(c, "state");
        const char *an = NULL, *qn = NULL;
        if (!json_is_object(js)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected {\"access\", \"queue\"}");
        if (r == VKG_SUCCESS) r = vkg__check_keys(c, js, skeys, "a state");
        if (r == VKG_SUCCESS) r = vkg__get_str(c, js, "access", &an, true);
        if (r == VKG_SUCCESS) r = vkg__get_str(c, js, "queue", &qn, false);
        if (r == VKG_SUCCESS && !vkg_access_from_name(an, &state.access)) {
            PUSHK(c, "access");
            r = vkg__jfail(c, VKG_ERROR_PARSE, "unknown access \"%s\" (docs/graph-format.md lists the access names)", an);
            POP(c);
        }
        if (r == VKG_SUCCESS && qn && !vkg_queue_role_from_name(qn, &state.queue)) {
            PUSHK(c, "queue");
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "unknown queue \"%s\": expected \"graphics\", \"compute\" or \"transfer\"", qn);
            POP(c);
        }
        POP(c);
    }
    uint32_t history = 0;
    vkg_history_init init = VKG_HISTORY_UNDEFINED;
    if (r == VKG_SUCCESS) r = vkg__load_history(c, jr, &history, &init);
    if (r != VKG_SUCCESS) return r;
    if (buf) {
        PUSHK(c, "buffer");
        if (!json_is_object(buf)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected {\"size\": bytes}");
        if (r == VKG_SUCCESS) r = vkg__check_keys(c, buf, bkeys, "a buffer");
        json_t *sz = json_is_object(buf) ? json_object_get(buf, "size") : NULL;
        uint64_t size = 0;
        if (r == VKG_SUCCESS) {
            if (!sz) r = vkg__jfail(c, VKG_ERROR_PARSE, "missing \"size\": expected the size in bytes");
            else if (!json_is_integer(sz) || json_integer_value(sz) <= 0) {
                PUSHK(c, "size");
                r = vkg__jfail(c, VKG_ERROR_PARSE, "expected a size in bytes greater than 0");
                POP(c);
            } else size = (uint64_t)json_integer_value(sz);
        }
        POP(c);
        if (r != VKG_SUCCESS) return r;
        return vkg__builder(c, vkg_graph_buffer(c->g, &(vkg_graph_buffer_desc){
            .name = name, .size = size, .imported = imported, .state = state, .output = output,
            .sharing = sharing, .history = history, .history_init = init}, NULL));
    }
    PUSHK(c, "image");
    vkg_graph_image_desc d = {.name = name, .imported = imported, .state = state, .output = output,
                              .sharing = sharing, .history = history, .history_init = init};
    const char *fmt = NULL;
    uint64_t sz[3] = {0};
    size_t n = 0;
    uint32_t samples = 1;
    if (!json_is_object(img)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected an image object");
    if (r == VKG_SUCCESS) r = vkg__check_keys(c, img, ikeys, "an image");
    if (r == VKG_SUCCESS) r = vkg__get_str(c, img, "format", &fmt, true);
    if (r == VKG_SUCCESS && !vkg_format_from_name(fmt, &d.format)) {
        PUSHK(c, "format");
        r = vkg__jfail(c, VKG_ERROR_PARSE,
                       "unknown format \"%s\": expected a VkFormat name without VK_FORMAT_, "
                       "e.g. R8G8B8A8_UNORM, R16G16B16A16_SFLOAT, D32_SFLOAT",
                       fmt);
        POP(c);
    }
    json_t *jsize = json_is_object(img) ? json_object_get(img, "size") : NULL;
    if (r == VKG_SUCCESS && json_is_object(jsize)) {
        /* sized from another image: {"of": NAME, "scale": S or [SX, SY]} */
        r = vkg__load_relative_size(c, jsize, name, &d);
        sz[0] = sz[1] = 1; /* the builder computes the size */
        n = 2;
    } else if (r == VKG_SUCCESS) {
        r = vkg__get_pair(c, img, "size", sz, &n, true,
                          "[width, height], [width, height, depth] or {\"of\": image, \"scale\": s}");
    }
    if (r == VKG_SUCCESS && n == 0) r = vkg__jfail(c, VKG_ERROR_PARSE, "missing \"size\": expected [width, height]");
    if (r == VKG_SUCCESS && (sz[0] == 0 || sz[1] == 0 || (n == 3 && sz[2] == 0) ||
                             sz[0] > UINT32_MAX || sz[1] > UINT32_MAX || sz[2] > UINT32_MAX)) {
        PUSHK(c, "size");
        r = vkg__jfail(c, VKG_ERROR_PARSE, "every dimension must be between 1 and 2^32-1");
        POP(c);
    }
    d.mips = d.layers = 1;
    if (r == VKG_SUCCESS) r = vkg__get_u32(c, img, "mips", &d.mips, false, 1, 32);
    if (r == VKG_SUCCESS) r = vkg__get_u32(c, img, "layers", &d.layers, false, 1, 65536);
    if (r == VKG_SUCCESS) r = vkg__get_u32(c, img, "samples", &samples, false, 1, 64);
    POP(c);
    if (r != VKG_SUCCESS) return r;
    if (!d.size_of.id) {
        d.width = (uint32_t)sz[0];
        d.height = (uint32_t)sz[1];
    }
    d.depth = n == 3 ? (uint32_t)sz[2] : 1;
    d.samples = (VkSampleCountFlagBits)samples;
    return vkg__builder(c, vkg_graph_image(c->g, &d, NULL));
}

/* "aspect": "depth" | "stencil" | "depth_stencil" (vkg_use.aspect). */
static vkg_result vkg__load_aspect(vkg__jctx *c, json_t *ju, const char *pass, const char *rn,
                                   vkg_use *u)
{
    const vkg__aspect_name *names = vkg__aspect_names;
    const size_t count = sizeof vkg__aspect_names / sizeof vkg__aspect_names[0];
    const char *an = NULL;
    vkg_result r = vkg__get_str(c, ju, "aspect", &an, false);
    if (r != VKG_SUCCESS || !an) return r;
    for (size_t i = 0; i < count; i++)
        if (strcmp(an, names[i].json) == 0) {
            u->aspect = names[i].aspect;
            return VKG_SUCCESS;
        }
    vkg__suggest sg = {.word = an};
    for (size_t i = 0; i < count; i++) vkg__suggest_try(&sg, names[i].json);
    char hint[96];
    PUSHK(c, "aspect");
    r = vkg__jfail(c, VKG_ERROR_PARSE,
                   "pass \"%s\" uses resource \"%s\" with unknown aspect \"%s\"%s: expected depth, "
                   "stencil, depth_stencil or color",
                   pass, rn, an, vkg__suggestion(&sg, hint, sizeof hint));
    POP(c);
    return r;
}

static vkg_result vkg__load_use(vkg__jctx *c, json_t *ju, const char *pass, vkg_use *u)
{
    static const char *const keys[] = {"resource", "access", "mips", "layers", "range", "aspect", NULL};
    if (!json_is_object(ju))
        return vkg__jfail(c, VKG_ERROR_PARSE, "expected a use {\"resource\", \"access\"}");
    const char *rn = NULL, *an = NULL;
    vkg_result r = vkg__check_keys(c, ju, keys, "a use");
    if (r == VKG_SUCCESS) r = vkg__get_str(c, ju, "resource", &rn, true);
    if (r == VKG_SUCCESS) r = vkg__get_str(c, ju, "access", &an, true);
    if (r != VKG_SUCCESS) return r;
    u->resource = vkg_graph_find_resource(c->g, rn);
    if (!u->resource.id) {
        vkg__suggest sg = {.word = rn};
        for (uint32_t i = 0; i < c->g->res_count; i++) vkg__suggest_try(&sg, c->g->res[i].name);
        char hint[160];
        PUSHK(c, "resource");
        r = vkg__jfail(c, VKG_ERROR_PARSE,
                       "pass \"%s\" uses unknown resource \"%s\"%s: declare it in \"resources\"",
                       pass, rn, vkg__suggestion(&sg, hint, sizeof hint));
        POP(c);
        return r;
    }
    if (!vkg_access_from_name(an, &u->access)) {
        /* the table has too many rows to list in a message: the nearest name, and where the
         * whole table is */
        vkg__suggest sg = {.word = an};
        for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++)
            vkg__suggest_try(&sg, vkg_access_get((vkg_access)i)->name);
        char hint[96];
        PUSHK(c, "access");
        r = vkg__jfail(c, VKG_ERROR_PARSE,
                       "pass \"%s\" uses resource \"%s\" with unknown access \"%s\"%s: expected "
                       "an access name such as color_write, depth_read or compute_storage_read "
                       "(docs/graph-format.md lists all %u; `vkgraph accesses` prints them)",
                       pass, rn, an, vkg__suggestion(&sg, hint, sizeof hint),
                       (unsigned)VKG_ACCESS_COUNT - 1);
        POP(c);
        return r;
    }
    uint64_t v[3];
    size_t n;
    static const char *const pairs[] = {"mips", "layers", "range"};
    for (int i = 0; i < 3; i++) {
        r = vkg__get_pair(c, ju, pairs[i], v, &n, false,
                          i == 2 ? "[offset, size] in bytes" : "[base, count]");
        if (r != VKG_SUCCESS) return r;
        if (!n) continue;
        if (v[1] == 0 || v[0] > UINT32_MAX * (i == 2 ? 0xffffffffull : 1) ||
            v[1] > UINT32_MAX * (i == 2 ? 0xffffffffull : 1)) {
            PUSHK(c, pairs[i]);
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "pass \"%s\" uses resource \"%s\" with an empty or out-of-range %s: "
                           "the %s must be at least 1",
                           pass, rn, pairs[i], i == 2 ? "size" : "count");
            POP(c);
            return r;
        }
        if (i == 0) {
            u->base_mip = (uint32_t)v[0];
            u->mip_count = (uint32_t)v[1];
        } else if (i == 1) {
            u->base_layer = (uint32_t)v[0];
            u->layer_count = (uint32_t)v[1];
        } else {
            u->offset = v[0];
            u->size = v[1];
        }
    }
    return vkg__load_aspect(c, ju, pass, rn, u);
}

/* "after": ["name", ...]: passes declared earlier in the file (vkg_pass_desc.after). */
static vkg_result vkg__load_after(vkg__jctx *c, json_t *jp, const char *name, vkg_pass **out,
                                  uint32_t *count)
{
    json_t *ja = json_object_get(jp, "after");
    *out = NULL;
    *count = 0;
    if (!ja) return VKG_SUCCESS;
    vkg_result r = VKG_SUCCESS;
    PUSHK(c, "after");
    if (!json_is_array(ja)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected an array of pass names");
    size_t n = r == VKG_SUCCESS ? json_array_size(ja) : 0;
    vkg_pass *after = n ? vkg__calloc(&c->host, n, sizeof *after) : NULL;
    if (n && !after) r = VKG__OOM(&c->host, "graph file passes");
    for (size_t i = 0; i < n && r == VKG_SUCCESS; i++) {
        PUSHI(c, i);
        const char *an = json_string_value(json_array_get(ja, i));
        if (!an) {
            r = vkg__jfail(c, VKG_ERROR_PARSE, "expected the name of an earlier pass");
        } else if (!(after[i] = vkg_graph_find_pass(c->g, an)).id) {
            vkg__suggest sg = {.word = an};
            for (uint32_t p = 0; p < c->g->pass_count; p++) vkg__suggest_try(&sg, c->g->passes[p].name);
            char hint[160];
            r = vkg__jfail(c, VKG_ERROR_PARSE,
                           "pass \"%s\" is to run after \"%s\"%s, which is not a pass declared "
                           "before it (declaration order is submission order)",
                           name, an, vkg__suggestion(&sg, hint, sizeof hint));
        }
        POP(c);
    }
    POP(c);
    if (r != VKG_SUCCESS) {
        vkg__free(&c->host, after);
        return r;
    }
    *out = after;
    *count = (uint32_t)n;
    return VKG_SUCCESS;
}

static vkg_result vkg__load_pass(vkg__jctx *c, json_t *jp)
{
    static const char *const keys[] = {"name", "queue", "uses", "side_effects", "after", NULL};
    if (!json_is_object(jp)) return vkg__jfail(c, VKG_ERROR_PARSE, "expected a pass object");
    const char *name = NULL, *qn = NULL;
    vkg_result r = vkg__check_keys(c, jp, keys, "a pass");
    if (r == VKG_SUCCESS) r = vkg__get_str(c, jp, "name", &name, true);
    if (r == VKG_SUCCESS) r = vkg__get_str(c, jp, "queue", &qn, false);
    vkg_pass_desc d = {.name = name};
    if (r == VKG_SUCCESS) r = vkg__get_bool(c, jp, "side_effects", &d.side_effects);
    if (r != VKG_SUCCESS) return r;
    if (qn && !vkg_queue_role_from_name(qn, &d.queue)) {
        PUSHK(c, "queue");
        r = vkg__jfail(c, VKG_ERROR_PARSE,
                       "pass \"%s\": unknown queue \"%s\": expected \"graphics\", \"compute\" or "
                       "\"transfer\"",
                       name, qn);
        POP(c);
        return r;
    }
    json_t *ju = json_object_get(jp, "uses");
    size_t n = 0;
    if (ju) {
        if (!json_is_array(ju)) {
            PUSHK(c, "uses");
            r = vkg__jfail(c, VKG_ERROR_PARSE, "expected an array of uses");
            POP(c);
            return r;
        }
        n = json_array_size(ju);
    }
    vkg_pass *after = NULL;
    r = vkg__load_after(c, jp, name, &after, &d.after_count);
    if (r != VKG_SUCCESS) return r;
    d.after = after;
    vkg_use *uses = n ? vkg__calloc(&c->host, n, sizeof *uses) : NULL;
    if (n && !uses) {
        vkg__free(&c->host, after);
        return VKG__OOM(&c->host, "graph file uses");
    }
    PUSHK(c, "uses");
    for (size_t i = 0; i < n && r == VKG_SUCCESS; i++) {
        PUSHI(c, i);
        r = vkg__load_use(c, json_array_get(ju, i), name, &uses[i]);
        POP(c);
    }
    POP(c);
    if (r == VKG_SUCCESS) {
        d.uses = uses;
        d.use_count = (uint32_t)n;
        r = vkg_graph_pass(c->g, &d, NULL);
        if (r != VKG_SUCCESS) {
            /* point at the use the message is about when it names one */
            r = vkg__builder(c, r);
        }
    }
    vkg__free(&c->host, uses);
    vkg__free(&c->host, after);
    return r;
}

static vkg_result vkg__load(vkg__jctx *c, const vkg_graph_desc *desc, vkg_graph **out,
                            uint32_t *frames)
{
    static const char *const keys[] = {"vkgraph", "name", "frames", "resources", "passes", NULL};
    json_error_t je;
    json_t *root = json_loadb(c->text, c->len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char full[1400];
        snprintf(full, sizeof full, "%s:%d:%d: %s", c->file, je.line, je.column, je.text);
        vkg__log(&c->host, VKG_LOG_ERROR, __FILE__, __LINE__, "%s", full);
        if (c->err && c->err_size) vkg__escape_controls(full, c->err, c->err_size);
        return VKG_ERROR_PARSE;
    }
    vkg_result r = VKG_SUCCESS;
    uint32_t version = 0, nframes = 1;
    const char *name = NULL;
    if (!json_is_object(root)) r = vkg__jfail(c, VKG_ERROR_PARSE, "expected a graph object {\"vkgraph\": 1, ...}");
    if (r == VKG_SUCCESS) r = vkg__check_keys(c, root, keys, "the graph");
    if (r == VKG_SUCCESS) r = vkg__get_u32(c, root, "vkgraph", &version, true, 1, 1);
    if (r == VKG_SUCCESS) r = vkg__get_str(c, root, "name", &name, false);
    if (r == VKG_SUCCESS) r = vkg__get_u32(c, root, "frames", &nframes, false, 1, 1000000);
    json_t *jres = json_is_object(root) ? json_object_get(root, "resources") : NULL;
    json_t *jpass = json_is_object(root) ? json_object_get(root, "passes") : NULL;
    if (r == VKG_SUCCESS && !json_is_array(jres)) {
        if (jres) PUSHK(c, "resources");
        r = vkg__jfail(c, VKG_ERROR_PARSE, "expected \"resources\": [ ... ]");
        if (jres) POP(c);
    }
    if (r == VKG_SUCCESS && !json_is_array(jpass)) {
        if (jpass) PUSHK(c, "passes");
        r = vkg__jfail(c, VKG_ERROR_PARSE, "expected \"passes\": [ ... ]");
        if (jpass) POP(c);
    }
    vkg_graph *g = NULL;
    if (r == VKG_SUCCESS) {
        vkg_graph_desc d = desc ? *desc : (vkg_graph_desc){0};
        if (name) d.name = name;
        r = vkg_graph_create(&d, &g);
    }
    if (r == VKG_SUCCESS) {
        c->g = g;
        vkg_logger user = g->host.logger;
        g->host.logger = (vkg_logger){.fn = vkg__capture, .user = c, .min_level = VKG_LOG_ERROR};
        PUSHK(c, "resources");
        for (size_t i = 0; i < json_array_size(jres) && r == VKG_SUCCESS; i++) {
            PUSHI(c, i);
            r = vkg__load_resource(c, json_array_get(jres, i));
            POP(c);
        }
        POP(c);
        PUSHK(c, "passes");
        /* each pass's position, for the compiler's messages: one walk over the array */
        size_t at = vkg__locate(c->text, c->len, c->path, c->depth);
        unsigned line = 1, col = 1;
        size_t counted = 0;
        if (at < c->len && c->text[at] == '[') at = vkg__ws(c->text, c->len, at + 1);
        if (r == VKG_SUCCESS) g->source = vkg__arena_strdup(&g->strings, c->file);
        for (size_t i = 0; i < json_array_size(jpass) && r == VKG_SUCCESS; i++) {
            PUSHI(c, i);
            r = vkg__load_pass(c, json_array_get(jpass, i));
            POP(c);
            for (; counted < at && counted < c->len; counted++) {
                if (c->text[counted] == '\n') line++, col = 1;
                else col++;
            }
            if (r == VKG_SUCCESS && g->pass_count) {
                g->passes[g->pass_count - 1].line = line;
                g->passes[g->pass_count - 1].column = col;
            }
            at = vkg__ws(c->text, c->len, vkg__skip_value(c->text, c->len, at));
            if (at < c->len && c->text[at] == ',') at = vkg__ws(c->text, c->len, at + 1);
        }
        POP(c);
        g->host.logger = user;
    }
    json_decref(root);
    if (r != VKG_SUCCESS) {
        vkg_graph_destroy(g);
        return r;
    }
    *out = g;
    if (frames) *frames = nframes;
    return VKG_SUCCESS;
}

vkg_result vkg_graph_load_json_string(const char *text, const char *name,
                                      const vkg_graph_desc *desc, vkg_graph **out,
                                      uint32_t *frames, char *error, size_t error_size)
{
    vkg__jctx c = {.text = text, .len = text ? strlen(text) : 0, .file = name ? name : "<string>",
                   .err = error, .err_size = error_size};
    vkg__host_init(&c.host, desc ? &desc->allocator : NULL, desc ? &desc->logger : NULL);
    if (error && error_size) error[0] = 0;
    VKG_CHECK(&c.host, text && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_graph_load_json_string: text and out must not be NULL");
    *out = NULL;
    return vkg__load(&c, desc, out, frames);
}

vkg_result vkg_graph_load_json(const char *path, const vkg_graph_desc *desc, vkg_graph **out,
                               uint32_t *frames, char *error, size_t error_size)
{
    vkg__host host;
    vkg__host_init(&host, desc ? &desc->allocator : NULL, desc ? &desc->logger : NULL);
    if (error && error_size) error[0] = 0;
    VKG_CHECK(&host, path && out, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_graph_load_json: path and out must not be NULL");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: cannot open: %s", path, strerror(errno));
        VKG__ERROR(&host, "%s", msg);
        if (error && error_size) snprintf(error, error_size, "%s", msg);
        return VKG_ERROR_IO;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t nc = cap ? cap * 2 : 16384;
            char *t = vkg__realloc(&host, text, nc);
            if (!t) {
                vkg__free(&host, text);
                fclose(f);
                return VKG__OOM(&host, "a graph file");
            }
            text = t;
            cap = nc;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        vkg__free(&host, text);
        VKG__ERROR(&host, "%s: read error", path);
        return VKG_ERROR_IO;
    }
    text[len] = 0;
    vkg__jctx c = {.text = text, .len = len, .file = path, .err = error, .err_size = error_size,
                   .host = host};
    vkg_result r = vkg__load(&c, desc, out, frames);
    vkg__free(&host, text);
    return r;
}
