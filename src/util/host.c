/* Host allocation and logging through the user's hooks. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void *vkg__default_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void *vkg__default_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    return realloc(ptr, size);
}

static void vkg__default_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static void vkg__default_log(void *user, vkg_log_level level, const char *file, int line,
                             const char *message)
{
    (void)user;
    (void)file;
    (void)line;
    static const char *const names[] = {"debug", "info", "warning", "error"};
    if (level < VKG_LOG_WARN) return;
    fprintf(stderr, "vkgraph: %s: %s\n", names[level & 3], message);
}

void vkg__host_init(vkg__host *host, const vkg_allocator *allocator, const vkg_logger *logger)
{
    memset(host, 0, sizeof *host);
    /* The three hooks come as a set: mixing the user's alloc with libc's free is never
     * right, so a partial set falls back to libc entirely. */
    if (allocator && allocator->alloc && allocator->realloc && allocator->free) {
        host->allocator = *allocator;
    } else {
        host->allocator.alloc = vkg__default_alloc;
        host->allocator.realloc = vkg__default_realloc;
        host->allocator.free = vkg__default_free;
    }
    if (logger && logger->fn) {
        host->logger = *logger;
    } else {
        host->logger.fn = vkg__default_log;
        host->logger.min_level = logger ? logger->min_level : VKG_LOG_DEBUG;
        if (host->logger.min_level < VKG_LOG_WARN) host->logger.min_level = VKG_LOG_WARN;
    }
}

void *vkg__alloc(const vkg__host *host, size_t size)
{
    return host->allocator.alloc(host->allocator.user, size ? size : 1);
}

void *vkg__calloc(const vkg__host *host, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = vkg__alloc(host, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *vkg__realloc(const vkg__host *host, void *ptr, size_t size)
{
    return host->allocator.realloc(host->allocator.user, ptr, size ? size : 1);
}

void vkg__free(const vkg__host *host, void *ptr)
{
    if (ptr) host->allocator.free(host->allocator.user, ptr);
}

char *vkg__strdup(const vkg__host *host, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = vkg__alloc(host, n);
    if (d) memcpy(d, s, n);
    return d;
}

bool vkg__grow(const vkg__host *host, void **array, uint32_t *capacity, uint32_t need,
               size_t elem)
{
    if (need <= *capacity) return true;
    uint64_t cap = *capacity ? *capacity : 8;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX) cap = UINT32_MAX;
    if (cap < need || cap > SIZE_MAX / elem) return false;
    void *p = vkg__realloc(host, *array, (size_t)cap * elem);
    if (!p) return false;
    *array = p;
    *capacity = (uint32_t)cap;
    return true;
}

void vkg__logv(const vkg__host *host, vkg_log_level level, const char *file, int line,
               const char *fmt, va_list ap)
{
    if (level < host->logger.min_level) return;
    /* Messages are bounded; a truncated one still names what went wrong first. */
    char buf[1024], out[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    vkg__escape_controls(buf, out, sizeof out);
    host->logger.fn(host->logger.user, level, file, line, out);
}

/* Control characters from names and files (an escape sequence in a resource name, say)
 * must not reach a terminal: each becomes \xNN. */
void vkg__escape_controls(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 1 < size; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch < 0x20 || ch == 0x7f) {
            if (n + 5 >= size) break;
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = 0;
}

void vkg__log(const vkg__host *host, vkg_log_level level, const char *file, int line,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkg__logv(host, level, file, line, fmt, ap);
    va_end(ap);
}

vkg_result vkg__oom(const vkg__host *host, const char *file, int line, const char *what)
{
    vkg__log(host, VKG_LOG_ERROR, file, line,
             "out of host memory while allocating %s: the vkg_allocator hook returned NULL",
             what);
    return VKG_ERROR_OUT_OF_HOST_MEMORY;
}

void vkg__json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

void vkg__textf(vkg__text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t at = t->len < t->size ? t->len : t->size;
    char dummy[1];
    char *dst = t->buf && at < t->size ? t->buf + at : dummy;
    size_t room = t->buf && at < t->size ? t->size - at : 0;
    int n = vsnprintf(room ? dst : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n;
}
