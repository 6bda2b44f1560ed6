#include "util.h"

#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

struct vkg__arena_block {
    vkg__arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void vkg__arena_init(vkg__arena *arena, const vkg__host *host, size_t min_block)
{
    memset(arena, 0, sizeof *arena);
    arena->host = host;
    arena->min_block = min_block ? min_block : 64 * 1024;
}

/* Large blocks (a compile of 10,000 passes works in ~20 MiB, touched in graph order, not
 * address order) ask for transparent huge pages: with 4 KiB pages the TLB misses made such a
 * compile ~1.5x slower per pass than one of 1,000 (bench/compile). Advice only: where the
 * system declines, nothing changes. */
static void vkg__arena_advise_huge(void *data, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (size < 2 * huge) return;
    uintptr_t lo = ((uintptr_t)data + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)data + size) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)data;
    (void)size;
#endif
}

static vkg__arena_block *vkg__arena_new_block(vkg__arena *arena, size_t size)
{
    if (size > SIZE_MAX - sizeof(vkg__arena_block)) return NULL;
    vkg__arena_block *b = vkg__alloc(arena->host, sizeof *b + size);
    if (!b) return NULL;
    vkg__arena_advise_huge(b->data, size);
    b->size = size;
    b->used = 0;
    b->next = arena->head;
    arena->head = b;
    return b;
}

void *vkg__arena_alloc(vkg__arena *arena, size_t size, size_t align)
{
    vkg__arena_block *b = arena->head;
    if (size == 0) size = 1;
    if (b) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at <= b->size && size <= b->size - at) {
            b->used = at + size;
            arena->used += size;
            if (arena->used > arena->peak) arena->peak = arena->used;
            return b->data + at;
        }
    }
    size_t want = size + align;
    if (want < size) return NULL;
    size_t grow = b ? b->size * 2 : arena->min_block;
    b = vkg__arena_new_block(arena, want > grow ? want : grow);
    if (!b) return NULL;
    size_t at = (align - ((uintptr_t)b->data & (align - 1))) & (align - 1);
    b->used = at + size;
    arena->used += size;
    if (arena->used > arena->peak) arena->peak = arena->used;
    return b->data + at;
}

void *vkg__arena_calloc(vkg__arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = vkg__arena_alloc(arena, count * size, 16);
    if (p) memset(p, 0, count * size);
    return p;
}

char *vkg__arena_strdup(vkg__arena *arena, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = vkg__arena_alloc(arena, n, 1);
    if (p) memcpy(p, s, n);
    return p;
}

bool vkg__arena_reset(vkg__arena *arena)
{
    arena->used = 0;
    if (!arena->head) return true;
    if (!arena->head->next) {
        arena->head->used = 0;
        return true;
    }
    size_t total = 0;
    for (vkg__arena_block *b = arena->head; b; b = b->next) total += b->size;
    vkg__arena_block *old = arena->head;
    arena->head = NULL;
    if (!vkg__arena_new_block(arena, total)) {
        /* keep the old blocks: still usable, just not merged */
        arena->head = old;
        for (vkg__arena_block *b = old; b; b = b->next) b->used = 0;
        return false;
    }
    while (old) {
        vkg__arena_block *next = old->next;
        vkg__free(arena->host, old);
        old = next;
    }
    return true;
}

void vkg__arena_destroy(vkg__arena *arena)
{
    vkg__arena_block *b = arena->head;
    while (b) {
        vkg__arena_block *next = b->next;
        vkg__free(arena->host, b);
        b = next;
    }
    arena->head = NULL;
}

uint32_t vkg__arena_block_count(const vkg__arena *arena)
{
    uint32_t n = 0;
    for (vkg__arena_block *b = arena->head; b; b = b->next) n++;
    return n;
}
