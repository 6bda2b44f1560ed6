/* Internal helpers shared by every module: host allocation through the user's hooks,
 * logging that names the rule broken, handle pools, growable arrays. Pure: no Vulkan calls. */
#ifndef VKG_UTIL_H_
#define VKG_UTIL_H_

#include "vkgraph.h"

#include <stdarg.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define VKG__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VKG__LIKELY(x) __builtin_expect(!!(x), 1)
#define VKG__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VKG__PRINTF(a, b)
#define VKG__LIKELY(x) (x)
#define VKG__UNLIKELY(x) (x)
#endif

#define VKG__ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define VKG__MIN(a, b) ((a) < (b) ? (a) : (b))
#define VKG__MAX(a, b) ((a) > (b) ? (a) : (b))

/* Allocator and logger, resolved to their defaults once (vkg__host_init). */
typedef struct vkg__host {
    vkg_allocator allocator;
    vkg_logger logger;
} vkg__host;

void vkg__host_init(vkg__host *host, const vkg_allocator *allocator, const vkg_logger *logger);

void *vkg__alloc(const vkg__host *host, size_t size);
void *vkg__calloc(const vkg__host *host, size_t count, size_t size);
void *vkg__realloc(const vkg__host *host, void *ptr, size_t size);
void vkg__free(const vkg__host *host, void *ptr);
char *vkg__strdup(const vkg__host *host, const char *s);

/* Grows *array (element size `elem`) so that it holds at least `need` elements, doubling.
 * Returns false (array untouched) when the allocation fails or the size would overflow. */
bool vkg__grow(const vkg__host *host, void **array, uint32_t *capacity, uint32_t need,
               size_t elem);

void vkg__log(const vkg__host *host, vkg_log_level level, const char *file, int line,
              const char *fmt, ...) VKG__PRINTF(5, 6);
void vkg__logv(const vkg__host *host, vkg_log_level level, const char *file, int line,
               const char *fmt, va_list ap);

/* Image planes. A format with depth and stencil has two planes (0 depth, 1 stencil), each
 * with its own layouts and state; every other format one. The compiler, the device's tracked
 * state, the executor and `vkgraph run` all count subresources as planes x mips x layers,
 * plane-major, through these. `format_aspect` is the image format's whole aspect mask. */
#define VKG__DEPTH_STENCIL (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT)
static inline uint32_t vkg__plane_count(VkImageAspectFlags format_aspect)
{
    return format_aspect == VKG__DEPTH_STENCIL ? 2u : 1u;
}
/* The aspect of plane `p`. */
static inline VkImageAspectFlags vkg__aspect_of_plane(VkImageAspectFlags format_aspect, uint32_t p)
{
    if (format_aspect != VKG__DEPTH_STENCIL) return format_aspect;
    return p ? VK_IMAGE_ASPECT_STENCIL_BIT : VK_IMAGE_ASPECT_DEPTH_BIT;
}
/* The planes [*p0, *p0 + *n) that `aspect` names (0: all of them). */
static inline void vkg__planes_of_aspect(VkImageAspectFlags format_aspect, VkImageAspectFlags aspect,
                                         uint32_t *p0, uint32_t *n)
{
    if (format_aspect != VKG__DEPTH_STENCIL || !aspect || (aspect & VKG__DEPTH_STENCIL) == VKG__DEPTH_STENCIL) {
        *p0 = 0;
        *n = vkg__plane_count(format_aspect);
        return;
    }
    *p0 = (aspect & VK_IMAGE_ASPECT_DEPTH_BIT) ? 0 : 1;
    *n = 1;
}

/* Copies `in` to `out` (at most size bytes, terminated) with control characters as \xNN. */
void vkg__escape_controls(const char *in, char *out, size_t size);
/* Writes `s` as a JSON string, quotes included (NULL: ""). */
void vkg__json_string(FILE *f, const char *s);

/* Text built piece by piece into a caller's buffer (snprintf's rules): `len` counts what the
 * whole text needs even where `buf` is too small, which keeps what fits, terminated. */
typedef struct vkg__text {
    char *buf;
    size_t size, len;
} vkg__text;
void vkg__textf(vkg__text *t, const char *fmt, ...) VKG__PRINTF(2, 3);
#define VKG__ERROR(host, ...) vkg__log((host), VKG_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define VKG__WARN(host, ...) vkg__log((host), VKG_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define VKG__INFO(host, ...) vkg__log((host), VKG_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define VKG__DEBUG(host, ...) vkg__log((host), VKG_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/* User-input validation at the API boundary: on failure log the message (which must name
 * the object, the rule and the fix) and return `err`. */
#define VKG_CHECK(host, cond, err, ...)                                                          \
    do {                                                                                         \
        if (VKG__UNLIKELY(!(cond))) {                                                            \
            VKG__ERROR((host), __VA_ARGS__);                                                     \
            return (err);                                                                        \
        }                                                                                        \
    } while (0)

/* Logs "out of host memory" naming what was being allocated and returns the error. */
vkg_result vkg__oom(const vkg__host *host, const char *file, int line, const char *what);
#define VKG__OOM(host, what) vkg__oom((host), __FILE__, __LINE__, (what))

/* ------------------------------------------------------------------------------------------
 * Handle pool: slots of fixed size, a free list and a generation per slot. A handle is
 * (generation << VKG__HANDLE_INDEX_BITS) | (index + 1): never 0, and a destroyed slot's
 * generation moves on so an old handle no longer matches. Generations skip 0, so a stale
 * handle is detected until the same slot has been reused 4095 times.
 * ---------------------------------------------------------------------------------------- */
#define VKG__HANDLE_INDEX_BITS 20u
#define VKG__HANDLE_INDEX_MASK ((1u << VKG__HANDLE_INDEX_BITS) - 1u)
#define VKG__HANDLE_MAX_SLOTS (VKG__HANDLE_INDEX_MASK - 1u)

/* Items live in chunks of VKG__POOL_CHUNK so their addresses never move: a pointer from
 * vkg__pool_get stays valid until that slot is freed. Not thread-safe: the owner locks. */
#define VKG__POOL_CHUNK 64u

typedef struct vkg__pool {
    uint8_t **chunks;
    uint32_t chunk_count, chunk_capacity;
    uint16_t *generation; /* per slot; the live generation, or the next one while free */
    uint8_t *alive;       /* per slot */
    uint64_t *serial;     /* per slot: the live item's serial (0 while free) */
    uint64_t next_serial; /* serials are never reused: 64 bits do not wrap */
    uint64_t frees;       /* items freed so far: while unchanged, every serial is */
    uint32_t *free_list;  /* stack of free indices */
    uint32_t free_count;
    uint32_t slot_capacity; /* of generation/alive/free_list */
    uint32_t used;          /* high-water mark of slots handed out */
    uint32_t live;          /* slots in use */
    uint32_t item_size;
} vkg__pool;

void vkg__pool_init(vkg__pool *pool, uint32_t item_size);
void vkg__pool_destroy(const vkg__host *host, vkg__pool *pool);
/* Reserves a slot; returns its zeroed item, or NULL when out of memory or slots. */
void *vkg__pool_alloc(const vkg__host *host, vkg__pool *pool, uint32_t *out_id);
/* The item for a live handle, NULL for 0, stale or out-of-range ids. */
void *vkg__pool_get(const vkg__pool *pool, uint32_t id);
/* The serial of the item a live handle names (0 for 0, stale or out-of-range ids). Each
 * item created gets the next serial of its pool: unlike the 12-bit generation in a handle,
 * it never repeats, so a caller that validated an item once may trust a handle again while
 * its serial is unchanged, however often the slot was reused in between. */
static inline uint64_t vkg__pool_serial(const vkg__pool *pool, uint32_t id)
{
    uint32_t index = (id & VKG__HANDLE_INDEX_MASK) - 1u; /* id 0: UINT32_MAX, out of range */
    if (index >= pool->used || pool->generation[index] != (id >> VKG__HANDLE_INDEX_BITS)) return 0;
    return pool->serial[index]; /* 0 while free */
}
void vkg__pool_free(vkg__pool *pool, uint32_t id);
/* Iteration over live slots: index in [0, pool->used). */
void *vkg__pool_at(const vkg__pool *pool, uint32_t index, uint32_t *out_id);

/* ------------------------------------------------------------------------------------------
 * Arena: bump allocation from blocks taken through the user's allocator. Reset keeps the
 * memory: when the last round needed several blocks they are replaced by one block of their
 * total size, so a workload that repeats (compiling the same graph every frame) stops
 * allocating after its first round.
 * ---------------------------------------------------------------------------------------- */
typedef struct vkg__arena_block vkg__arena_block;

typedef struct vkg__arena {
    const vkg__host *host;
    vkg__arena_block *head; /* newest first */
    size_t used;            /* bytes handed out since the last reset */
    size_t peak;            /* largest `used` seen */
    size_t min_block;
} vkg__arena;

void vkg__arena_init(vkg__arena *arena, const vkg__host *host, size_t min_block);
/* NULL when out of memory. `align` is a power of two. Memory is not zeroed. */
void *vkg__arena_alloc(vkg__arena *arena, size_t size, size_t align);
void *vkg__arena_calloc(vkg__arena *arena, size_t count, size_t size);
char *vkg__arena_strdup(vkg__arena *arena, const char *s);
/* Forgets every allocation; false when merging the blocks failed (memory still usable). */
bool vkg__arena_reset(vkg__arena *arena);
void vkg__arena_destroy(vkg__arena *arena);
/* Number of blocks the arena holds (1 after a reset that merged). */
uint32_t vkg__arena_block_count(const vkg__arena *arena);

#define VKG__ARENA_NEW(arena, type, count)                                                       \
    ((type *)vkg__arena_alloc((arena), sizeof(type) * (size_t)(count), _Alignof(type)))

/* ---- small shared helpers ------------------------------------------------------------- */
/* A 32-bit integer hash with good avalanche (Chris Wellons' lowbias32); kernels.glsl of
 * `vkgraph run` has its GLSL twin. */
static inline uint32_t vkg__hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}
/* FNV-1a of a NUL-terminated string */
static inline uint32_t vkg__hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}
/* CLOCK_MONOTONIC (clock.c) */
uint64_t vkg__now_ns(void);
double vkg__now_us(void);

#endif
