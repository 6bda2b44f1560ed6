/* Transient memory: the requirements of every transient, and its place in one heap per
 * memory type such that transients alive at once never share bytes, while those whose
 * lifetimes do not overlap do (aliasing). Two placements: a linear sweep in plan order that
 * keeps free memory in size classes (every graph), and packing by decreasing size against
 * lifetime overlaps (graphs of up to VKG__GREEDY_MAX transients, kept where it is tighter).
 * Each transient also learns its alias predecessors, the transients whose memory it takes
 * over, so the synchronization sweep can order it after them.
 *
 * Written here rather than taken from a library: Debian has no Vulkan Memory Allocator, and
 * aliasing by lifetime is not what a general allocator does anyway. */
#include "compile.h"

#include <stdlib.h>

/* Vulkan alignments are powers of two (VkMemoryRequirements::alignment, and in practice
 * bufferImageGranularity); anything else still rounds correctly, by division. */
static VkDeviceSize vkg__align_up(VkDeviceSize v, VkDeviceSize a)
{
    if (a <= 1) return v;
    if (!(a & (a - 1))) return (v + a - 1) & ~(a - 1);
    return (v + a - 1) / a * a;
}

static uint32_t vkg__device_local_types(const vkg_caps *caps)
{
    uint32_t bits = 0;
    for (uint32_t i = 0; i < caps->memory_type_count && i < VKG_MAX_MEMORY_TYPES; i++)
        if (caps->memory_types[i].flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) bits |= 1u << i;
    if (!bits && caps->memory_type_count)
        bits = (caps->memory_type_count >= 32) ? ~0u : (1u << caps->memory_type_count) - 1u;
    return bits ? bits : 1u;
}

/* The create info a transient is made with, for vkGetDevice*MemoryRequirements: the
 * compiler asks with it, the executor checks its placement with it. Buffers get the device
 * address usage (the executor creates every transient buffer with it). */
void vkg__requirements_query(bool is_image, VkFormat format, uint32_t width, uint32_t height,
                             uint32_t depth, uint32_t mips, uint32_t layers,
                             VkSampleCountFlagBits samples, VkImageUsageFlags image_usage,
                             VkDeviceSize size, VkBufferUsageFlags buffer_usage,
                             vkg_resource_requirements_query *q)
{
    *q = (vkg_resource_requirements_query){.is_image = is_image};
    if (is_image) {
        q->image = (VkImageCreateInfo){.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                       .imageType = depth > 1 ? VK_IMAGE_TYPE_3D : VK_IMAGE_TYPE_2D,
                                       .format = format,
                                       .extent = {width, height, depth},
                                       .mipLevels = mips,
                                       .arrayLayers = layers,
                                       .samples = samples,
                                       .tiling = VK_IMAGE_TILING_OPTIMAL,
                                       /* an image only the host or presentation touches
                                        * still needs a usage bit */
                                       .usage = image_usage ? image_usage
                                                            : VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                       .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                                       .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    } else {
        q->buffer = (VkBufferCreateInfo){.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                         .size = size,
                                         .usage = buffer_usage |
                                                  VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
                                         .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    }
}

static vkg_result vkg__requirements(vkg__ctx *c, const vkg_compile_desc *cd, uint32_t ri)
{
    const vkg__gres *r = &c->g->res[ri];
    vkg__rws *w = &c->rws[ri];
    uint32_t local = vkg__device_local_types(c->caps);
    if (cd->requirements) {
        vkg_resource_requirements_query q;
        vkg__requirements_query(r->is_image, r->format, r->width, r->height, r->depth, r->mips,
                                r->layers, r->samples, w->iu, r->size, w->bu, &q);
        VKG_CHECK(&c->g->host, cd->requirements(cd->requirements_user, &q, &w->req),
                  VKG_ERROR_VULKAN, "%s \"%s\": the device could not give memory requirements",
                  vkg__res_kind(r), r->name);
        uint32_t bits = w->req.memoryTypeBits & local;
        if (bits) w->req.memoryTypeBits = bits;
    } else if (r->is_image) {
        w->req = (VkMemoryRequirements){vkg__align_up(r->est_bytes, 4096), 4096, local};
    } else {
        w->req = (VkMemoryRequirements){vkg__align_up(r->size, 256), 256, local};
    }
    /* Buffers and optimal images share heaps: keep them bufferImageGranularity apart by
     * rounding both ends of every placement to it (spec: "Buffer-Image Granularity"). */
    VkDeviceSize gran = c->caps->buffer_image_granularity;
    if (gran > w->req.alignment) w->req.alignment = gran;
    w->req.size = vkg__align_up(w->req.size, gran);
    if (!w->req.alignment) w->req.alignment = 1;
    return VKG_SUCCESS;
}


/* Larger first, then index order. */
static int vkg__cmp_size(const void *a, const void *b, void *ctx)
{
    const vkg__rws *rws = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (rws[x].req.size != rws[y].req.size) return rws[x].req.size > rws[y].req.size ? -1 : 1;
    return x < y ? -1 : (x > y);
}

/* Stable counting sort of resource indices by a plan-pass key in [0, n]: linear, where a
 * comparison sort would make placement O(r log r). `out` and `in` must differ. */
static bool vkg__sort_by_pass(vkg__ctx *c, const uint32_t *in, uint32_t count, uint32_t *out,
                              bool by_last)
{
    uint32_t *start = vkg__arena_calloc(c->A, (size_t)c->n + 2, sizeof(uint32_t));
    if (!start) return false;
    for (uint32_t i = 0; i < count; i++) {
        const vkg__rws *w = &c->rws[in[i]];
        start[VKG__MIN(by_last ? w->last : w->first, c->n) + 1]++;
    }
    for (uint32_t k = 0; k <= c->n; k++) start[k + 1] += start[k];
    for (uint32_t i = 0; i < count; i++) {
        const vkg__rws *w = &c->rws[in[i]];
        out[start[VKG__MIN(by_last ? w->last : w->first, c->n)]++] = in[i];
    }
    return true;
}


/* ------------------------------------------------------------------------------------------
 * Free memory during the sweep, in O(1) per step (amortized)
 *
 * A heap is a list of cells in offset order. A cell is in use by a resource, or free and
 * remembering the resource that used it last: whoever takes that memory next must wait for
 * it (its alias predecessor). Adjacent free cells whose last users ended on the same queue
 * form a run, the unit of allocation (memory is reused only where its last users ended on the
 * queue the new resource starts on: then the aliasing dependency is a plain barrier there).
 * Runs are kept in segregated lists by size class, two levels as in TLSF (a power of two,
 * then sixteen steps), found through bitmaps: a best fit in constant time, exact within a
 * size class, where a sorted list of free blocks costs O(free blocks) per step and made large
 * graphs quadratic. Every cell is made once and consumed once, so walking the cells a
 * placement covers is O(1) amortized too.
 * ---------------------------------------------------------------------------------------- */
#define VKG__BIN_LEVELS 61u
#define VKG__BINS (VKG__BIN_LEVELS * 16u)
#define VKG__SCAN 16u /* runs looked at per size class for the best fit */

typedef struct vkg__cell {
    VkDeviceSize lo, hi;
    uint32_t prev, next; /* neighbours in offset order, VKG__NO_INDEX at the ends */
    uint32_t res;        /* the resource in it, or the last one while free */
    uint32_t run;        /* free cells at either end of a run: the run */
    bool free;
} vkg__cell;

typedef struct vkg__run {
    VkDeviceSize lo, hi;
    uint32_t first, last;         /* its cells */
    uint32_t bin_prev, bin_next;  /* its size class's list */
    uint32_t bin;
    uint32_t queue;               /* where its cells' last users ended */
} vkg__run;

struct vkg__heap_free {
    uint32_t tail; /* the cell at the top, VKG__NO_INDEX while the heap is empty */
    uint64_t level_map[VKG_QUEUE_ROLE_COUNT];
    uint16_t class_map[VKG_QUEUE_ROLE_COUNT][VKG__BIN_LEVELS];
    uint32_t head[VKG_QUEUE_ROLE_COUNT][VKG__BINS]; /* valid where the maps say non-empty */
};

/* Cells and runs of every heap: a placement adds at most three cells and one run, a release
 * at most one run, so 3n + 1 cells and 2n + 1 runs are enough and nothing grows. */
typedef struct vkg__placer {
    vkg__ctx *c;
    vkg__cell *cells;
    vkg__run *runs;
    uint32_t cell_count, run_count;
    uint32_t *preds; /* the predecessors being gathered */
    bool cross;      /* memory may pass between queues (see vkg__place) */
} vkg__placer;

static uint32_t vkg__bin_of(VkDeviceSize size)
{
    if (size < 32) return (uint32_t)size;
    uint32_t l = 63u - (uint32_t)__builtin_clzll(size);
    return (l - 3u) * 16u + ((uint32_t)(size >> (l - 4u)) & 15u);
}

/* The first non-empty size class at or above `bin`, VKG__NO_INDEX if none. */
static uint32_t vkg__bin_next(const struct vkg__heap_free *f, uint32_t q, uint32_t bin)
{
    if (bin >= VKG__BINS) return VKG__NO_INDEX;
    uint32_t level = bin / 16u;
    uint32_t m = f->class_map[q][level] & (0xffffu << (bin % 16u)) & 0xffffu;
    if (m) return level * 16u + (uint32_t)__builtin_ctz(m);
    uint64_t lm = level + 1 < 64 ? f->level_map[q] & (~0ull << (level + 1)) : 0;
    if (!lm) return VKG__NO_INDEX;
    level = (uint32_t)__builtin_ctzll(lm);
    return level * 16u + (uint32_t)__builtin_ctz(f->class_map[q][level]);
}

static void vkg__run_insert(vkg__placer *pl, struct vkg__heap_free *f, uint32_t r)
{
    vkg__run *run = &pl->runs[r];
    uint32_t q = run->queue, bin = vkg__bin_of(run->hi - run->lo), level = bin / 16u;
    bool empty = !(f->class_map[q][level] & (1u << (bin % 16u)));
    run->bin = bin;
    run->bin_prev = VKG__NO_INDEX;
    run->bin_next = empty ? VKG__NO_INDEX : f->head[q][bin];
    if (!empty) pl->runs[run->bin_next].bin_prev = r;
    f->head[q][bin] = r;
    f->class_map[q][level] |= (uint16_t)(1u << (bin % 16u));
    f->level_map[q] |= 1ull << level;
}

static void vkg__run_remove(vkg__placer *pl, struct vkg__heap_free *f, uint32_t r)
{
    const vkg__run *run = &pl->runs[r];
    uint32_t q = run->queue, bin = run->bin, level = bin / 16u;
    if (run->bin_next != VKG__NO_INDEX) pl->runs[run->bin_next].bin_prev = run->bin_prev;
    if (run->bin_prev != VKG__NO_INDEX) {
        pl->runs[run->bin_prev].bin_next = run->bin_next;
        return;
    }
    f->head[q][bin] = run->bin_next;
    if (run->bin_next != VKG__NO_INDEX) return;
    f->class_map[q][level] &= (uint16_t) ~(1u << (bin % 16u));
    if (!f->class_map[q][level]) f->level_map[q] &= ~(1ull << level);
}

/* Whether `size` bytes aligned to `al` fit in a run. */
static bool vkg__run_fits(const vkg__run *run, VkDeviceSize size, VkDeviceSize al)
{
    VkDeviceSize off = vkg__align_up(run->lo, al);
    return off < run->hi && run->hi - off >= size;
}

/* Best fit among the runs of queue `q`: the smallest run that holds the resource, looked
 * for in its own size class (where runs may be too small) and then in the next non-empty
 * classes (whose runs are all large enough, unless alignment eats the difference). */
static uint32_t vkg__run_find(const vkg__placer *pl, const struct vkg__heap_free *f, uint32_t q,
                              VkDeviceSize size, VkDeviceSize al)
{
    for (uint32_t bin = vkg__bin_next(f, q, vkg__bin_of(size)); bin != VKG__NO_INDEX;
         bin = vkg__bin_next(f, q, bin + 1)) {
        uint32_t best = VKG__NO_INDEX, scanned = 0;
        VkDeviceSize best_len = ~(VkDeviceSize)0;
        for (uint32_t r = f->head[q][bin]; r != VKG__NO_INDEX && scanned < VKG__SCAN;
             r = pl->runs[r].bin_next, scanned++) {
            const vkg__run *run = &pl->runs[r];
            VkDeviceSize len = run->hi - run->lo;
            if (len >= best_len || !vkg__run_fits(run, size, al)) continue;
            best = r;
            best_len = len;
            if (len == size) break; /* an exact fit: nothing is better */
        }
        if (best != VKG__NO_INDEX) return best;
    }
    return VKG__NO_INDEX;
}

static uint32_t vkg__cell_new(vkg__placer *pl, VkDeviceSize lo, VkDeviceSize hi, uint32_t res,
                              bool free)
{
    uint32_t x = pl->cell_count++;
    pl->cells[x] = (vkg__cell){lo, hi, VKG__NO_INDEX, VKG__NO_INDEX, res, VKG__NO_INDEX, free};
    return x;
}

static void vkg__cell_link(vkg__placer *pl, struct vkg__heap_free *f, uint32_t prev, uint32_t x,
                           uint32_t next)
{
    pl->cells[x].prev = prev;
    pl->cells[x].next = next;
    if (prev != VKG__NO_INDEX) pl->cells[prev].next = x;
    if (next != VKG__NO_INDEX) pl->cells[next].prev = x;
    else f->tail = x;
}

/* Splits cell x at `at` (inside it); returns the upper piece, which keeps x's occupant. */
static uint32_t vkg__cell_split(vkg__placer *pl, struct vkg__heap_free *f, uint32_t x,
                                VkDeviceSize at)
{
    vkg__cell *cx = &pl->cells[x];
    uint32_t y = vkg__cell_new(pl, at, cx->hi, cx->res, cx->free);
    uint32_t next = pl->cells[x].next;
    pl->cells[x].hi = at;
    vkg__cell_link(pl, f, x, y, next);
    return y;
}

static uint32_t vkg__run_new(vkg__placer *pl, uint32_t reuse, VkDeviceSize lo, VkDeviceSize hi,
                             uint32_t first, uint32_t last, uint32_t queue)
{
    uint32_t r = reuse != VKG__NO_INDEX ? reuse : pl->run_count++;
    pl->runs[r] = (vkg__run){.lo = lo, .hi = hi, .first = first, .last = last, .queue = queue};
    pl->cells[first].run = r;
    pl->cells[last].run = r;
    return r;
}

/* The run a free cell ends (or starts), when it may join memory released on queue q. */
static uint32_t vkg__joinable(const vkg__placer *pl, uint32_t x, VkDeviceSize at, uint32_t q)
{
    if (x == VKG__NO_INDEX) return VKG__NO_INDEX;
    const vkg__cell *cx = &pl->cells[x];
    if (!cx->free || (cx->hi != at && cx->lo != at)) return VKG__NO_INDEX; /* not adjacent */
    return pl->runs[cx->run].queue == q ? cx->run : VKG__NO_INDEX;
}

/* A resource's last pass is over: its cell becomes free memory that names it, joined to the
 * runs beside it that ended on the same queue. */
static void vkg__release(vkg__placer *pl, struct vkg__heap_free *f, uint32_t ri)
{
    const vkg__rws *w = &pl->c->rws[ri];
    uint32_t x = w->cell, q = w->last_queue;
    vkg__cell *cx = &pl->cells[x];
    cx->free = true;
    uint32_t left = vkg__joinable(pl, cx->prev, cx->lo, q);
    uint32_t right = vkg__joinable(pl, cx->next, cx->hi, q);
    if (left != VKG__NO_INDEX) vkg__run_remove(pl, f, left);
    if (right != VKG__NO_INDEX) vkg__run_remove(pl, f, right);
    VkDeviceSize lo = left != VKG__NO_INDEX ? pl->runs[left].lo : cx->lo;
    VkDeviceSize hi = right != VKG__NO_INDEX ? pl->runs[right].hi : cx->hi;
    uint32_t first = left != VKG__NO_INDEX ? pl->runs[left].first : x;
    uint32_t last = right != VKG__NO_INDEX ? pl->runs[right].last : x;
    uint32_t r = vkg__run_new(pl, left != VKG__NO_INDEX ? left : right, lo, hi, first, last, q);
    vkg__run_insert(pl, f, r);
}

static void vkg__add_pred(vkg__placer *pl, uint32_t ri, uint32_t p)
{
    vkg__rws *pw = &pl->c->rws[p];
    if (pw->mark == ri + 1) return;
    pw->mark = ri + 1;
    pl->preds[pl->c->rws[ri].pred_count++] = p;
}

/* Places `ri` at `off` in run r (the run at the top may be overrun: the heap grows). The
 * cells it covers name its predecessors and are replaced by one cell in use; what is left of
 * the run on either side stays free. */
static void vkg__take(vkg__placer *pl, vkg__heap_ws *h, uint32_t r, uint32_t ri, VkDeviceSize off)
{
    struct vkg__heap_free *f = h->free;
    vkg__rws *w = &pl->c->rws[ri];
    const vkg__run run = pl->runs[r];
    VkDeviceSize end = off + w->req.size;
    vkg__run_remove(pl, f, r);
    /* the cells below off stay free */
    uint32_t x = run.first, last = run.last, left_last = VKG__NO_INDEX;
    while (pl->cells[x].hi <= off) {
        left_last = x;
        x = pl->cells[x].next;
    }
    if (pl->cells[x].lo < off) {
        left_last = x;
        x = vkg__cell_split(pl, f, x, off);
        if (left_last == last) last = x;
    }
    uint32_t before = pl->cells[x].prev, mine = x, right_first = VKG__NO_INDEX;
    w->pred_count = 0;
    for (;;) {
        vkg__add_pred(pl, ri, pl->cells[x].res);
        if (pl->cells[x].hi > end) {
            right_first = vkg__cell_split(pl, f, x, end);
            if (x == last) last = right_first;
            break;
        }
        if (x == last || pl->cells[x].hi == end) {
            if (x != last) right_first = pl->cells[x].next;
            break;
        }
        x = pl->cells[x].next;
    }
    uint32_t after = right_first != VKG__NO_INDEX ? right_first : pl->cells[x].next;
    pl->cells[mine] = (vkg__cell){off, end, VKG__NO_INDEX, VKG__NO_INDEX, ri, VKG__NO_INDEX, false};
    vkg__cell_link(pl, f, before, mine, after);
    w->cell = mine;
    w->offset = off;
    if (end > h->top) h->top = end;
    uint32_t reuse = r;
    if (left_last != VKG__NO_INDEX) {
        vkg__run_insert(pl, f, vkg__run_new(pl, reuse, run.lo, off, run.first, left_last, run.queue));
        reuse = VKG__NO_INDEX;
    }
    if (right_first != VKG__NO_INDEX) {
        vkg__run_insert(pl, f, vkg__run_new(pl, reuse, end, run.hi, right_first, last, run.queue));
    }
}

static VkDeviceSize vkg__run_len(const vkg__placer *pl, uint32_t r)
{
    return pl->runs[r].hi - pl->runs[r].lo;
}

/* Best fit among the free runs whose last users ended on the queue `ri` starts on (the
 * aliasing dependency is then a barrier on that queue); else, where memory may pass between
 * queues, among the runs of the other queues (the synchronization sweep adds a semaphore
 * wait on the last users' queue: three-family random graphs of 10,000 passes need 1.2x their
 * peak of live bytes this way, 1.9x without; VKG_COMPILE_ALIAS_ACROSS_QUEUES takes the best
 * fit among every queue's runs: 1.09x, for 74% more semaphore waits); else the free run at
 * the top, grown; else fresh memory at the top. */
static bool vkg__place(vkg__placer *pl, vkg__heap_ws *h, uint32_t ri)
{
    struct vkg__heap_free *f = h->free;
    vkg__rws *w = &pl->c->rws[ri];
    VkDeviceSize size = w->req.size, al = w->req.alignment;
    uint32_t r = vkg__run_find(pl, f, w->first_queue, size, al);
    bool any = pl->c->flags & VKG_COMPILE_ALIAS_ACROSS_QUEUES;
    for (uint32_t q = 0; (r == VKG__NO_INDEX || any) && pl->cross && q < pl->c->nq; q++) {
        if (q == w->first_queue) continue;
        uint32_t other = vkg__run_find(pl, f, q, size, al);
        if (other != VKG__NO_INDEX &&
            (r == VKG__NO_INDEX || vkg__run_len(pl, other) < vkg__run_len(pl, r)))
            r = other;
    }
    if (r == VKG__NO_INDEX && f->tail != VKG__NO_INDEX && pl->cells[f->tail].free &&
        pl->runs[pl->cells[f->tail].run].queue == w->first_queue &&
        vkg__align_up(pl->runs[pl->cells[f->tail].run].lo, al) < h->top)
        r = pl->cells[f->tail].run;
    if (r != VKG__NO_INDEX) {
        vkg__take(pl, h, r, ri, vkg__align_up(pl->runs[r].lo, al));
        w->preds = vkg__arena_alloc(pl->c->A, sizeof(uint32_t) * w->pred_count, 4);
        if (!w->preds) return false;
        memcpy(w->preds, pl->preds, sizeof(uint32_t) * w->pred_count);
        return true;
    }
    VkDeviceSize off = vkg__align_up(h->top, al);
    uint32_t x = vkg__cell_new(pl, off, off + size, ri, false);
    vkg__cell_link(pl, f, f->tail, x, VKG__NO_INDEX);
    w->cell = x;
    w->offset = off;
    w->pred_count = 0;
    h->top = off + size;
    return true;
}

/* Placement by decreasing size against lifetime overlaps (the classic interval packing):
 * each resource takes the lowest offset, among 0 and the ends of resources already placed,
 * where it overlaps no resource whose lifetime overlaps its own (nor, within queues, one
 * whose memory would pass from another queue): the ranges it must avoid, sorted, and the
 * first gap that fits. O(n^2 log n) in the transients, so used only for graphs of up to
 * VKG__GREEDY_MAX transients, and kept only where it packs tighter than the sweep.
 * Predecessors: every earlier-ending resource it overlaps in memory. */
#define VKG__GREEDY_MAX 96u
static bool vkg__greedy_conflict(const vkg__ctx *c, uint32_t a, uint32_t b, bool cross)
{
    const vkg__rws *x = &c->rws[a], *y = &c->rws[b];
    if (x->first <= y->last && y->first <= x->last) return true; /* both alive at once */
    if (cross) return false;
    if (y->last < x->first) return y->last_queue != x->first_queue;
    return x->last_queue != y->first_queue;
}

typedef struct vkg__span {
    VkDeviceSize lo, hi;
} vkg__span;

static int vkg__cmp_span(const void *pa, const void *pb)
{
    const vkg__span *a = pa, *b = pb;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int vkg__cmp_greedy(const void *pa, const void *pb, void *ctx)
{
    const vkg__rws *w = ctx;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (w[a].req.size != w[b].req.size) return w[a].req.size > w[b].req.size ? -1 : 1;
    if (w[a].first != w[b].first) return w[a].first < w[b].first ? -1 : 1;
    return a < b ? -1 : a > b;
}

static bool vkg__place_greedy(vkg__ctx *c, const uint32_t *list, uint32_t n, uint32_t nh,
                              bool cross, VkDeviceSize *tops)
{
    uint32_t *order = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    uint32_t *placed = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    vkg__span *busy = vkg__arena_alloc(c->A, sizeof(vkg__span) * (n + 1), 8);
    if (!order || !placed || !busy) return false;
    memcpy(order, list, sizeof(uint32_t) * n);
    qsort_r(order, n, sizeof(uint32_t), vkg__cmp_greedy, c->rws);
    for (uint32_t h = 0; h < nh; h++) tops[h] = 0;
    uint32_t np = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ri = order[i];
        vkg__rws *w = &c->rws[ri];
        VkDeviceSize size = w->req.size, al = w->req.alignment ? w->req.alignment : 1;
        /* the ranges it must not overlap, by offset; then the lowest gap that fits */
        uint32_t nb = 0;
        for (uint32_t j = 0; j < np; j++) {
            const vkg__rws *o = &c->rws[placed[j]];
            if (o->heap == w->heap && vkg__greedy_conflict(c, ri, placed[j], cross))
                busy[nb++] = (vkg__span){o->offset, o->offset + o->req.size};
        }
        qsort(busy, nb, sizeof *busy, vkg__cmp_span);
        VkDeviceSize off = 0;
        for (uint32_t j = 0; j < nb; j++) {
            if (off + size <= busy[j].lo) break;
            if (busy[j].hi > off) off = vkg__align_up(busy[j].hi, al);
        }
        w->offset = off;
        if (off + size > tops[w->heap]) tops[w->heap] = off + size;
        placed[np++] = ri;
    }
    /* predecessors: the earlier-ending resources each one overlaps in memory */
    for (uint32_t i = 0; i < n; i++) {
        vkg__rws *w = &c->rws[list[i]];
        uint32_t count = 0;
        for (uint32_t j = 0; j < n; j++) {
            const vkg__rws *o = &c->rws[list[j]];
            if (o->heap == w->heap && o->last < w->first && o->offset < w->offset + w->req.size &&
                w->offset < o->offset + o->req.size)
                count++;
        }
        w->pred_count = 0;
        w->preds = NULL;
        if (!count) continue;
        w->preds = vkg__arena_alloc(c->A, sizeof(uint32_t) * count, 4);
        if (!w->preds) return false;
        for (uint32_t j = 0; j < n; j++) {
            const vkg__rws *o = &c->rws[list[j]];
            if (o->heap == w->heap && o->last < w->first && o->offset < w->offset + w->req.size &&
                w->offset < o->offset + o->req.size)
                w->preds[w->pred_count++] = list[j];
        }
    }
    return true;
}


/* ------------------------------------------------------------------------------------------
 * Placement: the steps
 * ---------------------------------------------------------------------------------------- */
typedef struct vkg__transients {
    uint32_t *list, *by_first, *by_last;
    uint32_t n;
    vkg__heap_ws *heaps;
    uint32_t nh;
} vkg__transients;

/* The used transients, with their memory requirements; outputs live to the end. */
static vkg_result vkg__gather(vkg__ctx *c, const vkg_compile_desc *cd, vkg__transients *t)
{
    vkg_graph *g = c->g;
    t->list = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->res_count + 1), 4);
    t->by_first = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->res_count + 1), 4);
    t->by_last = vkg__arena_alloc(c->A, sizeof(uint32_t) * (g->res_count + 1), 4);
    t->heaps = vkg__arena_calloc(c->A, VKG_MAX_MEMORY_TYPES, sizeof *t->heaps);
    if (!t->list || !t->by_first || !t->by_last || !t->heaps)
        return VKG__OOM(&g->host, "compile scratch");
    for (uint32_t i = 0; i < g->res_count; i++) {
        c->rws[i].heap = VKG__NO_INDEX;
        if (g->res[i].imported || c->rws[i].first == VKG__NO_INDEX) continue;
        vkg_result r = vkg__requirements(c, cd, i);
        if (r != VKG_SUCCESS) return r;
        if (g->res[i].output) c->rws[i].last = UINT32_MAX - 2; /* lives to the end */
        t->list[t->n++] = i;
    }
    return VKG_SUCCESS;
}

/* A heap per memory type: the lowest device-local type each resource accepts. */
static void vkg__assign_heaps(vkg__ctx *c, vkg__transients *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        vkg__rws *w = &c->rws[t->list[i]];
        uint32_t type = (uint32_t)__builtin_ctz(w->req.memoryTypeBits ? w->req.memoryTypeBits : 1);
        uint32_t h = 0;
        while (h < t->nh && t->heaps[h].type != type) h++;
        if (h == t->nh) t->heaps[t->nh++].type = type;
        w->heap = h;
        t->heaps[h].resource_count++;
    }
}

/* Enter in order of first pass, larger first among those starting together (best fit packs
 * better that way); leave in order of last pass. Ties keep index order. */
static bool vkg__sweep_order(vkg__ctx *c, vkg__transients *t)
{
    uint32_t *by_first = t->by_first, n = t->n;
    if (!vkg__sort_by_pass(c, t->list, n, by_first, false) ||
        !vkg__sort_by_pass(c, t->list, n, t->by_last, true))
        return false;
    for (uint32_t lo = 0, hi; lo < n; lo = hi) {
        hi = lo + 1;
        while (hi < n && c->rws[by_first[hi]].first == c->rws[by_first[lo]].first) hi++;
        if (hi - lo > 16) {
            qsort_r(&by_first[lo], hi - lo, sizeof(uint32_t), vkg__cmp_size, c->rws);
            continue;
        }
        for (uint32_t i = lo + 1; i < hi; i++) {
            uint32_t x = by_first[i], at = i;
            while (at > lo && vkg__cmp_size(&by_first[at - 1], &x, c->rws) > 0) {
                by_first[at] = by_first[at - 1];
                at--;
            }
            by_first[at] = x;
        }
    }
    return true;
}

/* The linear sweep in plan order (interval-graph placement): resources enter at their first
 * pass and leave after their last. Also measures each heap's peak of live bytes, the lower
 * bound any placement has. */
static bool vkg__sweep(vkg__ctx *c, vkg__transients *t, bool cross)
{
    uint32_t n = t->n;
    vkg__placer pl = {.c = c, .cross = cross};
    pl.cells = vkg__arena_alloc(c->A, sizeof *pl.cells * (3 * (size_t)n + 1), 8);
    pl.runs = vkg__arena_alloc(c->A, sizeof *pl.runs * (2 * (size_t)n + 1), 8);
    pl.preds = vkg__arena_alloc(c->A, sizeof(uint32_t) * (n + 1), 4);
    if (!pl.cells || !pl.runs || !pl.preds) return false;
    VkDeviceSize live[VKG_MAX_MEMORY_TYPES] = {0};
    for (uint32_t h = 0; h < t->nh; h++) {
        /* the lists' heads are read only where the bitmaps say they are set */
        struct vkg__heap_free *f = vkg__arena_alloc(c->A, sizeof *f, 8);
        if (!f) return false;
        memset(f->level_map, 0, sizeof f->level_map);
        memset(f->class_map, 0, sizeof f->class_map);
        f->tail = VKG__NO_INDEX;
        t->heaps[h].free = f;
    }
    for (uint32_t i = 0, j = 0; i < n; i++) {
        uint32_t ri = t->by_first[i];
        const vkg__rws *w = &c->rws[ri];
        /* resources in lifetime order are scattered in memory: ask for the next ones early */
        if (i + 4 < n) __builtin_prefetch(&c->rws[t->by_first[i + 4]]);
        if (j + 4 < n) __builtin_prefetch(&c->rws[t->by_last[j + 4]]);
        while (j < n && c->rws[t->by_last[j]].last < w->first) {
            const vkg__rws *d = &c->rws[t->by_last[j]];
            live[d->heap] -= d->req.size;
            vkg__release(&pl, t->heaps[d->heap].free, t->by_last[j++]);
        }
        vkg__heap_ws *h = &t->heaps[w->heap];
        if (!vkg__place(&pl, h, ri)) return false;
        live[w->heap] += w->req.size;
        if (live[w->heap] > h->peak_live) h->peak_live = live[w->heap];
    }
    return true;
}

static VkDeviceSize vkg__greedy_total(vkg__ctx *c, vkg__transients *t, bool cross,
                                      VkDeviceSize *tops, bool *ok)
{
    VkDeviceSize total = 0;
    *ok = vkg__place_greedy(c, t->list, t->n, t->nh, cross, tops);
    for (uint32_t h = 0; h < t->nh; h++) total += tops[h];
    return total;
}

/* Small graphs: packing by size too, within queues and across them, against the sweep (within
 * queues). Memory passing between queues costs a semaphore wait, so that packing is kept only
 * where it saves more than 1/16 of the best packing within queues. */
static bool vkg__try_greedy(vkg__ctx *c, vkg__transients *t)
{
    uint32_t n = t->n, nh = t->nh;
    if (n < 2 || n > VKG__GREEDY_MAX) return true;
    VkDeviceSize *off = vkg__arena_alloc(c->A, sizeof(VkDeviceSize) * n, 8);
    uint32_t **preds = vkg__arena_alloc(c->A, sizeof(uint32_t *) * n, 8);
    uint32_t *pcount = vkg__arena_alloc(c->A, sizeof(uint32_t) * n, 4);
    VkDeviceSize tops[VKG_MAX_MEMORY_TYPES];
    if (!off || !preds || !pcount) return false;
    VkDeviceSize sweep = 0;
    bool ok;
    for (uint32_t i = 0; i < n; i++) {
        off[i] = c->rws[t->list[i]].offset;
        preds[i] = c->rws[t->list[i]].preds;
        pcount[i] = c->rws[t->list[i]].pred_count;
    }
    for (uint32_t h = 0; h < nh; h++) sweep += t->heaps[h].top;
    VkDeviceSize within = vkg__greedy_total(c, t, false, tops, &ok);
    if (!ok) return false;
    VkDeviceSize best = within < sweep ? within : sweep;
    VkDeviceSize across = vkg__greedy_total(c, t, true, tops, &ok);
    if (!ok) return false;
    bool any = c->flags & VKG_COMPILE_ALIAS_ACROSS_QUEUES;
    if (across < best && (any || (best - across) * 16 > best)) {
        for (uint32_t h = 0; h < nh; h++) t->heaps[h].top = tops[h];
        return true;
    }
    if (within < sweep) {
        vkg__greedy_total(c, t, false, tops, &ok);
        for (uint32_t h = 0; h < nh; h++) t->heaps[h].top = tops[h];
        return ok;
    }
    for (uint32_t i = 0; i < n; i++) {
        c->rws[t->list[i]].offset = off[i];
        c->rws[t->list[i]].preds = preds[i];
        c->rws[t->list[i]].pred_count = pcount[i];
    }
    return true;
}

vkg_result vkg__place_transients(vkg__ctx *c, const vkg_compile_desc *cd,
                                 vkg__heap_ws **out_heaps, uint32_t *out_count)
{
    vkg__transients t = {0};
    vkg_result r = vkg__gather(c, cd, &t);
    if (r != VKG_SUCCESS) return r;
    vkg__assign_heaps(c, &t);
    /* graphs small enough for the packing keep memory within queues unless that costs much */
    bool cross = t.n > VKG__GREEDY_MAX || (c->flags & VKG_COMPILE_ALIAS_ACROSS_QUEUES);
    if (!vkg__sweep_order(c, &t) || !vkg__sweep(c, &t, cross) || !vkg__try_greedy(c, &t))
        return VKG__OOM(&c->g->host, "compile scratch");
    *out_heaps = t.heaps;
    *out_count = t.nh;
    return VKG_SUCCESS;
}
