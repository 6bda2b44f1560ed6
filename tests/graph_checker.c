#include "graph_checker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXQ 3
#define MAXVIS 24
#define MAXREADS 48

typedef struct rec {
    int queue, sub; /* sub -1: before the plan */
    uint64_t stage, access;
    bool write, avail;
    uint64_t exec[MAXQ];
    int exec_sub[MAXQ]; /* submission of that queue where the chain into it began */
    uint64_t exec_bar[MAXQ]; /* the part of exec made by barriers of that queue only */
    int nvis[MAXQ];
    uint64_t vis_stage[MAXQ][MAXVIS], vis_access[MAXQ][MAXVIS];
    bool vis_sem[MAXQ][MAXVIS]; /* made visible by a semaphore wait */
} rec;

typedef struct unit {
    bool has_w;
    rec w;
    int nreads;
    rec reads[MAXREADS];
    VkImageLayout layout;
    int owner; /* queue index owning defined contents, -1 none */
    int released_to; /* -1 none */
    bool release_ordered[MAXQ];
    rec release; /* marker of the release for ordering */
    bool defined;
} unit;

typedef struct checker {
    const vkg_plan_info *in;
    unit **units;          /* per resource */
    uint32_t *unit_count;  /* per resource */
    uint64_t *unit_bytes;  /* buffers: bytes per unit */
    char *why;
    size_t why_size;
    bool failed;
    /* split barriers: records captured at set time, per event, per barrier, per unit */
    bool **captured; /* [barrier index] -> flags per (unit, record slot) */
} checker;

static bool fail(checker *c, const char *fmt, ...)
{
    if (c->failed) return false;
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->why_size, fmt, ap);
    va_end(ap);
    return false;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int queue_of_family(const vkg_plan_info *in, uint32_t family)
{
    for (uint32_t q = 0; q < in->queue_count; q++)
        if (in->queues[q].family == family) return (int)q;
    return -1;
}

/* the units a barrier or use covers: [first, last) ranges are enumerated by callback */
typedef struct range {
    uint32_t res;
    uint32_t m0, mc, l0, lc;
    uint64_t off, size;
    uint32_t p0, pc; /* image planes: depth 0 and stencil 1 of a depth/stencil format */
} range;

static const VkImageAspectFlags DS = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;

static uint32_t planes_of(const vkg_plan_resource *r)
{
    return r->is_image && vkg_format_aspect(r->format) == DS ? 2 : 1;
}

/* planes [*p0, *p0 + *pc) of `aspect` (0: all) */
static void aspect_planes(const vkg_plan_resource *r, VkImageAspectFlags aspect, uint32_t *p0,
                          uint32_t *pc)
{
    if (planes_of(r) == 1 || !aspect || (aspect & DS) == DS) {
        *p0 = 0;
        *pc = planes_of(r);
    } else {
        *p0 = (aspect & VK_IMAGE_ASPECT_STENCIL_BIT) ? 1 : 0;
        *pc = 1;
    }
}

static range use_range(const vkg_plan_info *in, const vkg_plan_use *use)
{
    const vkg_plan_resource *r = &in->resources[use->resource];
    range rg = {use->resource, use->base_mip, use->mip_count, use->base_layer, use->layer_count,
                use->offset, use->size, 0, 1};
    VkImageAspectFlags row = vkg_access_get(use->access)->aspect;
    aspect_planes(r, row ? row : use->aspect, &rg.p0, &rg.pc);
    return rg;
}

#define FOR_UNITS(c, rg, idx)                                                                    \
    for (uint32_t idx##_i = 0, idx##_n = units_in(c, rg, NULL, 0); idx##_i < idx##_n; idx##_i++) \
        for (uint32_t idx = unit_at(c, rg, idx##_i), idx##_once = 1; idx##_once; idx##_once = 0)

static uint32_t units_in(checker *c, const range *rg, uint32_t *out, uint32_t cap)
{
    (void)out;
    (void)cap;
    const vkg_plan_resource *r = &c->in->resources[rg->res];
    if (r->is_image) return rg->pc * rg->mc * rg->lc;
    return (uint32_t)(rg->size / c->unit_bytes[rg->res]);
}

static uint32_t unit_at(checker *c, const range *rg, uint32_t i)
{
    const vkg_plan_resource *r = &c->in->resources[rg->res];
    if (r->is_image) {
        uint32_t per_plane = rg->mc * rg->lc, p = rg->p0 + i / per_plane, j = i % per_plane;
        return ((p * r->mips) + rg->m0 + j / rg->lc) * r->layers + rg->l0 + j % rg->lc;
    }
    return (uint32_t)(rg->off / c->unit_bytes[rg->res]) + i;
}

static void chain(rec *r, int q, int sub, uint64_t stages, bool by_barrier)
{
    if (!stages) return;
    if (by_barrier) r->exec_bar[q] |= stages;
    if (!r->exec[q] || sub < r->exec_sub[q]) r->exec_sub[q] = sub;
    r->exec[q] |= stages;
}

static bool in_src_scope(const rec *r, int q, uint64_t src_stage)
{
    if (r->queue == q && (r->stage & src_stage)) return true;
    if (r->stage == 0 && r->sub < 0)
        return true; /* a NONE-stage state before the plan (present): nothing executes */
    /* The host stage does not execute inside a command buffer: a barrier or semaphore wait
     * whose destination is HOST starts no chain that a later barrier naming HOST as its
     * source continues. */
    return (r->exec[q] & src_stage & ~(uint64_t)VK_PIPELINE_STAGE_2_HOST_BIT) != 0;
}

static void add_vis(rec *r, int q, uint64_t stage, uint64_t access, bool sem)
{
    if (r->nvis[q] < MAXVIS) {
        r->vis_sem[q][r->nvis[q]] = sem;
        r->vis_stage[q][r->nvis[q]] = stage;
        r->vis_access[q][r->nvis[q]] = access;
        r->nvis[q]++;
    } else {
        /* saturate conservatively: widen the last scope only when it is a superset */
        r->vis_stage[q][MAXVIS - 1] &= stage;
        r->vis_access[q][MAXVIS - 1] &= access;
    }
}

/* `local`: for an access on the record's own queue, credit only that queue's barriers (the
 * rules the compiler follows), not a round trip through another queue's semaphores */
static bool visible(const rec *r, int q, uint64_t stage, uint64_t access, bool local)
{
    for (int sb = 0; sb < 64; sb++) {
        uint64_t s = 1ull << sb;
        if (!(stage & s)) continue;
        for (int ab = 0; ab < 64; ab++) {
            uint64_t a = 1ull << ab;
            if (!(access & a)) continue;
            bool ok = false;
            for (int i = 0; i < r->nvis[q] && !ok; i++)
                ok = (r->vis_stage[q][i] & s) && (r->vis_access[q][i] & a) &&
                     !(local && r->queue == q && r->vis_sem[q][i]);
            if (!ok) return false;
        }
    }
    return true;
}

static bool ordered(const rec *r, int q, uint64_t stage, bool local)
{
    if (stage == 0) return true; /* NONE: orders nothing, needs nothing */
    return (stage & ~(local && r->queue == q ? r->exec_bar[q] : r->exec[q])) == 0;
}

static const uint64_t WRITE_BITS =
    VK_ACCESS_2_SHADER_WRITE_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT |
    VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT |
    VK_ACCESS_2_HOST_WRITE_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT |
    VK_ACCESS_2_SHADER_STORAGE_WRITE_BIT | VK_ACCESS_2_ACCELERATION_STRUCTURE_WRITE_BIT_KHR;

/* would this access be safe in the current state? (no side effects) */
static bool access_ok(const unit *u, int q, uint64_t stage, uint64_t access, bool write,
                      bool local, const char **why)
{
    uint64_t rd = access & ~WRITE_BITS, wr = access & WRITE_BITS;
    if (u->has_w && rd) {
        if (!ordered(&u->w, q, stage, local)) return *why = "read-after-write not ordered", false;
        if (!u->w.avail || !visible(&u->w, q, stage, rd, local))
            return *why = "read-after-write not visible", false;
    }
    if (write) {
        for (int i = 0; i < u->nreads; i++)
            if (!ordered(&u->reads[i], q, stage, local)) return *why = "write-after-read not ordered", false;
        if (u->nreads == 0 && u->has_w) {
            if (!ordered(&u->w, q, stage, local)) return *why = "write-after-write not ordered", false;
            if (!u->w.avail || !visible(&u->w, q, stage, wr ? wr : access, local))
                return *why = "write-after-write without a memory dependency", false;
        }
    }
    return true;
}

static void init_rec(rec *r, int q, int sub, uint64_t stage, uint64_t access, bool write)
{
    memset(r, 0, sizeof *r);
    r->queue = q;
    r->sub = sub;
    r->stage = stage;
    r->access = access;
    r->write = write;
}

/* A write-like event at a barrier (layout transition, acquire, release) becomes the unit's
 * only live record: available, and ordered before / visible to the barrier's destination. */
static void set_anchor(unit *u, int q, int sub, uint64_t dst_stage, uint64_t dst_access)
{
    rec t;
    init_rec(&t, q, sub, 0, 0, true);
    t.avail = true;
    chain(&t, q, sub, dst_stage, true);
    if (dst_stage) add_vis(&t, q, dst_stage, dst_access, false);
    u->w = t;
    u->has_w = true;
    u->nreads = 0;
}

/* every live record of a unit, for scope updates */
#define FOR_RECS(u, rp)                                                                          \
    for (int rp##_i = -1; rp##_i < (u)->nreads; rp##_i++)                                        \
        for (rec *rp = rp##_i < 0 ? ((u)->has_w ? &(u)->w : NULL) : &(u)->reads[rp##_i]; rp;     \
             rp = NULL)

static void apply_semaphore(checker *c, int qc, int sc, int qa, int sa, uint64_t wait_stage)
{
    for (uint32_t ri = 0; ri < c->in->resource_count; ri++)
        for (uint32_t i = 0; i < c->unit_count[ri]; i++) {
            unit *u = &c->units[ri][i];
            FOR_RECS(u, r) {
                bool covered = (r->queue == qa && r->sub <= sa) ||
                               (r->exec[qa] != 0 && r->exec_sub[qa] <= sa);
                if (!covered) continue;
                chain(r, qc, sc, wait_stage, false);
                if (r->write) {
                    r->avail = true;
                    add_vis(r, qc, wait_stage, ~0ull, true);
                }
            }
            if (u->released_to >= 0 && u->release.queue == qa && u->release.sub <= sa)
                u->release_ordered[qc] = true;
        }
}

static const char *rname(checker *c, uint32_t res)
{
    return c->in->resources[res].name;
}

/* a plain (or acquire / split-wait) barrier on queue q for one unit; `scope` limits the
 * source scope to captured records (split barriers), NULL for all */
static bool apply_barrier_unit(checker *c, unit *u, int q, int sub, const vkg_plan_barrier *b,
                               const bool *scope, uint32_t res, uint32_t ui)
{
    const vkg_plan_resource *r = &c->in->resources[res];
    bool acquire = (b->flags & VKG_BARRIER_ACQUIRE) != 0;
    if (acquire) {
        int src_q = queue_of_family(c->in, b->src_family);
        if (u->released_to != q || u->owner != src_q)
            return fail(c, "acquire of %s \"%s\" unit %u on queue %d without a matching release",
                        r->is_image ? "image" : "buffer", rname(c, res), ui, q);
        if (!u->release_ordered[q])
            return fail(c, "acquire of \"%s\" unit %u is not ordered after its release by a "
                        "semaphore", rname(c, res), ui);
        u->owner = q;
        u->released_to = -1;
        memset(u->release_ordered, 0, sizeof u->release_ordered);
    }
    bool in[MAXREADS + 1];
    int slot = 0;
    FOR_RECS(u, rp) {
        in[slot] = scope ? scope[slot] : in_src_scope(rp, q, b->src_stage);
        slot++;
    }
    slot = 0;
    FOR_RECS(u, rp) {
        if (!in[slot++]) continue;
        if (rp->write && (rp->access & b->src_access)) rp->avail = true;
        chain(rp, q, sub, b->dst_stage, true);
        if (rp->write && rp->avail) add_vis(rp, q, b->dst_stage, b->dst_access, false);
    }
    if (acquire) {
        /* The acquire operation happens at this barrier and before its destination scope
         * only: later accesses must be ordered after it like after a layout transition. */
        set_anchor(u, q, sub, b->dst_stage, b->dst_access);
        return true;
    }
    if (r->is_image && b->old_layout != b->new_layout) {
        if (b->old_layout != VK_IMAGE_LAYOUT_UNDEFINED && b->old_layout != u->layout)
            return fail(c, "barrier on \"%s\" unit %u says old layout %s but it is in %s",
                        rname(c, res), ui, vkg_layout_name(b->old_layout),
                        vkg_layout_name(u->layout));
        /* the transition is a write: everything live must be in the source scope */
        slot = 0;
        FOR_RECS(u, rp) {
            if (!in[slot++])
                return fail(c, "layout transition of \"%s\" unit %u is not ordered after an "
                            "earlier access (queue %d stage 0x%llx)",
                            rname(c, res), ui, rp->queue, (unsigned long long)rp->stage);
            if (rp->write && !rp->avail)
                return fail(c, "layout transition of \"%s\" unit %u before the last write is "
                            "available", rname(c, res), ui);
        }
        if (b->old_layout == VK_IMAGE_LAYOUT_UNDEFINED && u->defined)
            return fail(c, "barrier discards the defined contents of \"%s\" unit %u",
                        rname(c, res), ui);
        set_anchor(u, q, sub, b->dst_stage, b->dst_access);
        u->layout = b->new_layout;
    } else if (r->is_image && (b->flags & VKG_BARRIER_IMPORTED)) {
        /* the executor may make an imported first use a layout transition (the tracked layout
         * differs from the declared state's): later accesses must chain with it as with one */
        set_anchor(u, q, sub, b->dst_stage, b->dst_access);
    }
    return true;
}

static bool apply_release_unit(checker *c, unit *u, int q, const vkg_plan_barrier *b, int sub,
                               uint32_t res, uint32_t ui)
{
    const vkg_plan_resource *r = &c->in->resources[res];
    int dst_q = queue_of_family(c->in, b->dst_family);
    if (u->owner != q && u->defined)
        return fail(c, "release of \"%s\" unit %u from queue %d which does not own it",
                    rname(c, res), ui, q);
    FOR_RECS(u, rp) {
        if (!in_src_scope(rp, q, b->src_stage))
            return fail(c, "release of \"%s\" unit %u does not cover an earlier access (stage "
                        "0x%llx)", rname(c, res), ui, (unsigned long long)rp->stage);
        if (rp->write && (rp->access & b->src_access)) rp->avail = true;
        if (rp->write && !rp->avail)
            return fail(c, "release of \"%s\" unit %u leaves a write unavailable", rname(c, res), ui);
    }
    if (r->is_image && b->old_layout != b->new_layout) {
        if (b->old_layout != u->layout)
            return fail(c, "release of \"%s\" unit %u: old layout %s but it is in %s",
                        rname(c, res), ui, vkg_layout_name(b->old_layout),
                        vkg_layout_name(u->layout));
        set_anchor(u, q, sub, 0, 0); /* the release's destination scope is empty */
        u->layout = b->new_layout;
    }
    if (u->owner < 0) u->owner = q;
    u->released_to = dst_q;
    init_rec(&u->release, q, sub, 0, 0, false);
    memset(u->release_ordered, 0, sizeof u->release_ordered);
    return true;
}

static range barrier_range_in(const vkg_plan_info *in, const vkg_plan_barrier *b)
{
    range rg = {b->resource, b->base_mip, b->mip_count, b->base_layer, b->layer_count,
                b->offset, b->size, 0, 1};
    aspect_planes(&in->resources[b->resource], b->aspect, &rg.p0, &rg.pc);
    return rg;
}
#define barrier_range(b) barrier_range_in(c->in, (b))

/* A barrier is needed when, without it, the pass after it would be unsafe on one of its
 * units (or it changes a layout or ownership). */
static bool barrier_needed(checker *c, const vkg_plan_pass *p, const vkg_plan_barrier *b, int q)
{
    const vkg_plan_resource *r = &c->in->resources[b->resource];
    if (b->flags & (VKG_BARRIER_ACQUIRE | VKG_BARRIER_RELEASE | VKG_BARRIER_ALIAS)) return true;
    if (r->is_image && b->old_layout != b->new_layout) return true;
    range rg = barrier_range(b);
    FOR_UNITS(c, &rg, ui) {
        unit *u = &c->units[b->resource][ui];
        for (uint32_t i = 0; i < p->use_count; i++) {
            const vkg_plan_use *use = &c->in->uses[p->first_use + i];
            if (use->resource != b->resource) continue;
            range ur = use_range(c->in, use);
            bool covers = false;
            FOR_UNITS(c, &ur, uj) covers |= uj == ui;
            if (!covers) continue;
            const vkg_access_info *a = vkg_access_get(use->access);
            const char *why;
            if (!access_ok(u, q, a->stage, a->access, a->write, true, &why)) return true;
        }
    }
    return false;
}

/* Where a barrier is recorded: the plan pass it precedes (pre) or follows (post), with
 * prologues (before every pass of their submission) and event barriers placed by their pass. */
typedef struct half {
    uint32_t index;
    int queue;
    int order; /* 2 * pass (pre), 2 * pass + 1 (post), 2 * first pass - 1 (prologue) */
} half;

static bool same_transfer(const vkg_plan_barrier *a, const vkg_plan_barrier *b)
{
    return a->resource == b->resource && a->aspect == b->aspect && a->base_mip == b->base_mip &&
           a->mip_count == b->mip_count && a->base_layer == b->base_layer &&
           a->layer_count == b->layer_count && a->offset == b->offset && a->size == b->size &&
           a->src_family == b->src_family && a->dst_family == b->dst_family &&
           a->old_layout == b->old_layout && a->new_layout == b->new_layout;
}

/* The memory map: every placement inside its heap and aligned; every alias_of entry an
 * earlier transient of the same heap whose bytes it overlaps; each heap's peak of live bytes
 * as recomputed here from the lifetimes, and no smaller than the heap; the stats the sums. */
static void check_memory_map(checker *c)
{
    const vkg_plan_info *in = c->in;
    uint64_t peak_sum = 0, bytes_sum = 0;
    for (uint32_t h = 0; h < in->heap_count && !c->failed; h++) {
        const vkg_plan_heap *hp = &in->heaps[h];
        uint64_t peak = 0;
        for (uint32_t k = 0; k < in->pass_count; k++) {
            uint64_t live = 0;
            for (uint32_t i = 0; i < in->resource_count; i++) {
                const vkg_plan_resource *r = &in->resources[i];
                uint32_t last = r->output ? UINT32_MAX : r->last_pass;
                if (r->heap == h && r->first_pass <= k && k <= last) live += r->memory_size;
            }
            if (live > peak) peak = live;
        }
        if (peak != hp->peak_live_bytes)
            fail(c, "heap %u: peak of live bytes %llu, the plan says %llu", h,
                 (unsigned long long)peak, (unsigned long long)hp->peak_live_bytes);
        else if (hp->size < peak)
            fail(c, "heap %u: %llu bytes, less than the %llu live at once", h,
                 (unsigned long long)hp->size, (unsigned long long)peak);
        peak_sum += peak;
        bytes_sum += hp->size;
    }
    for (uint32_t i = 0; i < in->resource_count && !c->failed; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (r->heap == UINT32_MAX) {
            if (r->alias_of_count) fail(c, "\"%s\" is not placed but aliases", r->name);
            continue;
        }
        if (r->heap >= in->heap_count || r->offset + r->memory_size > in->heaps[r->heap].size ||
            (r->alignment && r->offset % r->alignment))
            fail(c, "\"%s\": placed outside its heap or misaligned", r->name);
        for (uint32_t a = 0; a < r->alias_of_count && !c->failed; a++) {
            const vkg_plan_resource *p = &in->resources[r->alias_of[a]];
            if (p->heap != r->heap || p->output || p->last_pass >= r->first_pass ||
                p->offset >= r->offset + r->memory_size || r->offset >= p->offset + p->memory_size)
                fail(c, "\"%s\" names \"%s\" as memory it takes over, but they do not share "
                     "memory one after the other", r->name, p->name);
        }
    }
    if (!c->failed &&
        (in->stats.peak_live_bytes != peak_sum || in->stats.aliased_bytes != bytes_sum))
        fail(c, "stats: peak_live_bytes %llu, aliased_bytes %llu; the heaps sum to %llu, %llu",
             (unsigned long long)in->stats.peak_live_bytes,
             (unsigned long long)in->stats.aliased_bytes, (unsigned long long)peak_sum,
             (unsigned long long)bytes_sum);
}

/* Transfer halves alternate per (range, families, layouts): release on a queue of the source
 * family, then its acquire, then maybe another release... — every acquire has exactly one
 * release with the same range, families and layouts before it, and every release is
 * acquired (the spec requires the two halves to match; the validation layer matches them
 * exactly). */
static bool check_transfer_pairs(checker *c)
{
    const vkg_plan_info *in = c->in;
    half *h = calloc(in->barrier_count + 1, sizeof *h);
    for (uint32_t i = 0; i < in->barrier_count; i++) h[i] = (half){i, -1, -2};
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        for (uint32_t i = 0; i < p->barrier_count; i++)
            h[p->first_barrier + i] = (half){p->first_barrier + i, (int)p->queue, 2 * (int)k};
        for (uint32_t i = 0; i < p->post_count; i++)
            h[p->first_post + i] = (half){p->first_post + i, (int)p->queue, 2 * (int)k + 1};
    }
    for (uint32_t s = 0; s < in->submission_count; s++) {
        const vkg_plan_submission *sub = &in->submissions[s];
        int first = sub->pass_count ? (int)in->queue_passes[sub->first_pass] : 0;
        for (uint32_t i = 0; i < sub->prologue_count; i++)
            h[sub->first_prologue + i] =
                (half){sub->first_prologue + i, (int)sub->queue, 2 * first - 1};
    }
    const uint32_t halves = VKG_BARRIER_RELEASE | VKG_BARRIER_ACQUIRE;
    for (uint32_t i = 0; i < in->barrier_count && !c->failed; i++) {
        const vkg_plan_barrier *b = &in->barriers[i];
        if (!(b->flags & halves)) continue;
        bool acquire = b->flags & VKG_BARRIER_ACQUIRE;
        /* the nearest half of the same transfer before this one, and after it */
        int before = -1, after = -1;
        bool tie = false;
        for (uint32_t j = 0; j < in->barrier_count; j++) {
            if (j == i || !(in->barriers[j].flags & halves) || !same_transfer(b, &in->barriers[j]))
                continue;
            tie |= h[j].order == h[i].order;
            if (h[j].order < h[i].order && (before < 0 || h[j].order > h[before].order))
                before = (int)j;
            if (h[j].order > h[i].order && (after < 0 || h[j].order < h[after].order))
                after = (int)j;
        }
        const char *what = NULL;
        if (tie)
            what = "is recorded twice at one place";
        else if (acquire && (before < 0 || !(in->barriers[before].flags & VKG_BARRIER_RELEASE)))
            what = "has no release with the same range, families and layouts before it";
        else if (!acquire && (after < 0 || !(in->barriers[after].flags & VKG_BARRIER_ACQUIRE)))
            what = "is never acquired with the same range, families and layouts";
        else if (!acquire && h[i].queue >= 0 && in->queues[h[i].queue].family != b->src_family)
            what = "is recorded on a queue of another family than its source";
        if (what)
            fail(c, "%s of \"%s\" (families %u -> %u, %s) %s", acquire ? "acquire" : "release",
                 rname(c, b->resource), b->src_family, b->dst_family,
                 in->resources[b->resource].is_image ? "image" : "buffer", what);
    }
    free(h);
    return !c->failed;
}

bool vkgt_check_plan(const vkg_plan *plan, char *why, size_t why_size)
{
    vkg_plan_info info;
    vkg_plan_get_info(plan, &info);
    return vkgt_check_plan_info(&info, why, why_size);
}

bool vkgt_check_plan_info(const vkg_plan_info *in, char *why, size_t why_size)
{
    checker cc = {.in = in, .why = why, .why_size = why_size}, *c = &cc;
    why[0] = 0;
    c->units = calloc(in->resource_count + 1, sizeof *c->units);
    c->unit_count = calloc(in->resource_count + 1, sizeof *c->unit_count);
    c->unit_bytes = calloc(in->resource_count + 1, sizeof *c->unit_bytes);
    /* buffer units: the gcd of every offset and size the plan mentions */
    for (uint32_t ri = 0; ri < in->resource_count; ri++) {
        const vkg_plan_resource *r = &in->resources[ri];
        if (r->is_image) {
            c->unit_count[ri] = planes_of(r) * r->mips * r->layers;
            continue;
        }
        uint64_t g = r->size;
        for (uint32_t i = 0; i < in->use_count; i++)
            if (in->uses[i].resource == ri)
                g = gcd64(gcd64(g, in->uses[i].offset), in->uses[i].size);
        for (uint32_t i = 0; i < in->barrier_count; i++)
            if (in->barriers[i].resource == ri)
                g = gcd64(gcd64(g, in->barriers[i].offset), in->barriers[i].size);
        c->unit_bytes[ri] = g ? g : 1;
        c->unit_count[ri] = (uint32_t)(r->size / c->unit_bytes[ri]);
    }
    for (uint32_t ri = 0; ri < in->resource_count; ri++) {
        const vkg_plan_resource *r = &in->resources[ri];
        c->units[ri] = calloc(c->unit_count[ri] + 1, sizeof(unit));
        for (uint32_t i = 0; i < c->unit_count[ri]; i++) {
            unit *u = &c->units[ri][i];
            u->owner = -1;
            u->released_to = -1;
            u->layout = VK_IMAGE_LAYOUT_UNDEFINED;
            if (!r->imported || r->state.access == VKG_ACCESS_NONE) continue;
            /* the assumed state before the plan: an earlier access on that role's queue */
            const vkg_access_info *a = vkg_access_get(r->state.access);
            int q = -1;
            for (uint32_t k = 0; k < in->queue_count; k++)
                if (in->queues[k].role == r->state.queue) q = (int)k;
            for (uint32_t s = 0; q < 0 && s < in->submission_count; s++)
                for (uint32_t j = 0; j < in->submissions[s].prologue_count; j++)
                    if (in->barriers[in->submissions[s].first_prologue + j].resource == ri)
                        q = (int)in->submissions[s].queue;
            for (uint32_t k = 0; q < 0 && k < in->pass_count; k++)
                if (in->passes[k].role == r->state.queue) q = (int)in->passes[k].queue;
            if (q < 0 && r->first_pass != UINT32_MAX) q = (int)in->passes[r->first_pass].queue;
            if (q < 0) q = 0;
            u->defined = true;
            u->owner = q;
            u->layout = r->is_image ? a->layout : VK_IMAGE_LAYOUT_UNDEFINED;
            u->has_w = true;
            init_rec(&u->w, q, -1, a->stage, a->write ? (a->access & WRITE_BITS) : 0, true);
            if (!a->write) {
                /* the write was made visible to that access on that queue: a chain into
                 * that queue at that stage (later commands included) */
                u->w.avail = true;
                chain(&u->w, q, -1, a->stage, true);
                add_vis(&u->w, q, a->stage, a->access, false);
                init_rec(&u->reads[0], q, -1, a->stage, a->access, false);
                u->nreads = 1;
            }
        }
    }
    /* split barriers: source scope captured when the event is set */
    bool **captured = calloc(in->barrier_count + 1, sizeof *captured);

    /* prologues */
    for (uint32_t s = 0; s < in->submission_count && !c->failed; s++) {
        const vkg_plan_submission *sub = &in->submissions[s];
        for (uint32_t i = 0; i < sub->prologue_count && !c->failed; i++) {
            const vkg_plan_barrier *b = &in->barriers[sub->first_prologue + i];
            range rg = barrier_range(b);
            FOR_UNITS(c, &rg, ui)
            apply_release_unit(c, &c->units[b->resource][ui], (int)sub->queue, b, 0, b->resource, ui);
        }
    }
    for (uint32_t k = 0; k < in->pass_count && !c->failed; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        const vkg_plan_submission *sub = &in->submissions[p->submission];
        int q = (int)p->queue, sidx = (int)sub->index;
        if (in->queue_passes[sub->first_pass] == k)
            for (uint32_t i = 0; i < sub->wait_count; i++) {
                const vkg_plan_wait *w = &in->waits[sub->first_wait + i];
                apply_semaphore(c, q, sidx, (int)w->queue, (int)w->submission, w->stage);
            }
        /* barriers before the pass: the pipeline barrier, then the event waits */
        uint32_t nbar = p->barrier_count;
        for (uint32_t we = 0; we < p->wait_event_count; we++)
            nbar += in->events[in->wait_events[p->first_wait_event + we]].barrier_count;
        uint32_t *order = calloc(nbar + 1, sizeof *order);
        uint32_t no = 0;
        for (uint32_t i = 0; i < p->barrier_count; i++) order[no++] = p->first_barrier + i;
        for (uint32_t we = 0; we < p->wait_event_count; we++) {
            const vkg_plan_event *ev = &in->events[in->wait_events[p->first_wait_event + we]];
            if (ev->wait_pass != k) fail(c, "event %u waited by the wrong pass", in->wait_events[p->first_wait_event + we]);
            for (uint32_t i = 0; i < ev->barrier_count; i++) order[no++] = ev->first_barrier + i;
        }
        for (uint32_t i = 0; i < nbar && !c->failed; i++) {
            uint32_t bi = order[i];
            const vkg_plan_barrier *b = &in->barriers[bi];
            /* (reads by the host do not chain inside a command buffer: a write after them
             * waits for the earlier write itself, memory dependency included) */
            if (!(b->flags & VKG_BARRIER_ACQUIRE) && b->src_access &&
                !(b->flags & VKG_BARRIER_ALIAS) && !(b->src_stage & VK_PIPELINE_STAGE_2_HOST_BIT)) {
                bool transition = in->resources[b->resource].is_image && b->old_layout != b->new_layout;
                range rg = barrier_range(b);
                FOR_UNITS(c, &rg, ui) {
                    unit *u = &c->units[b->resource][ui];
                    bool writes = transition;
                    for (uint32_t j = 0; j < p->use_count && !writes; j++) {
                        const vkg_plan_use *use = &in->uses[p->first_use + j];
                        if (use->resource != b->resource || !vkg_access_get(use->access)->write)
                            continue;
                        range ur = use_range(in, use);
                        FOR_UNITS(c, &ur, uj) writes |= uj == ui;
                    }
                    if (writes && u->nreads > 0)
                        fail(c, "pass \"%s\": barrier on \"%s\" after reads carries a memory "
                             "dependency (src_access 0x%llx): write-after-read needs execution "
                             "only", p->name, rname(c, b->resource),
                             (unsigned long long)b->src_access);
                }
            }
            if (!(b->flags & VKG_BARRIER_SPLIT) && !barrier_needed(c, p, b, q) &&
                !(b->flags & VKG_BARRIER_IMPORTED) && !c->failed)
                fail(c, "pass \"%s\": barrier on \"%s\" is redundant (the pass is safe without it)",
                     p->name, rname(c, b->resource));
            range rg = barrier_range(b);
            uint32_t n = 0;
            FOR_UNITS(c, &rg, ui) {
                const bool *scope = NULL;
                if ((b->flags & VKG_BARRIER_SPLIT) && captured[bi])
                    scope = &captured[bi][(size_t)n * (MAXREADS + 1)];
                else if (b->flags & VKG_BARRIER_SPLIT)
                    fail(c, "pass \"%s\": split barrier waited before its event was set", p->name);
                if (!c->failed)
                    apply_barrier_unit(c, &c->units[b->resource][ui], q, sidx, b, scope, b->resource, ui);
                n++;
            }
        }
        free(order);
        /* the uses: checked against the state before the pass, then recorded */
        for (uint32_t i = 0; i < p->use_count && !c->failed; i++) {
            const vkg_plan_use *use = &in->uses[p->first_use + i];
            const vkg_access_info *a = vkg_access_get(use->access);
            const vkg_plan_resource *r = &in->resources[use->resource];
            range ur = use_range(in, use);
            FOR_UNITS(c, &ur, ui) {
                unit *u = &c->units[use->resource][ui];
                const char *w;
                if (r->is_image && u->layout != a->layout)
                    fail(c, "pass \"%s\" uses \"%s\" unit %u as %s in layout %s, not %s", p->name,
                         r->name, ui, a->name, vkg_layout_name(u->layout), vkg_layout_name(a->layout));
                else if (u->defined && u->owner != q && !r->concurrent &&
                         in->queues[u->owner].family != in->queues[q].family)
                    fail(c, "pass \"%s\" uses \"%s\" unit %u on queue %d, but queue %d owns it",
                         p->name, r->name, ui, q, u->owner);
                else if (u->released_to >= 0)
                    fail(c, "pass \"%s\" uses \"%s\" unit %u after it was released", p->name, r->name, ui);
                else if (!access_ok(u, q, a->stage, a->access, a->write, false, &w))
                    fail(c, "pass \"%s\" uses \"%s\" unit %u as %s: %s", p->name, r->name, ui,
                         a->name, w);
                if (c->failed) break;
            }
        }
        /* record the pass's accesses per unit: a write replaces, reads accumulate */
        for (uint32_t ri = 0; ri < in->resource_count && !c->failed; ri++) {
            uint64_t *st = NULL;
            bool any = false;
            for (uint32_t i = 0; i < p->use_count; i++) any |= in->uses[p->first_use + i].resource == ri;
            if (!any) continue;
            st = calloc(c->unit_count[ri] * 3 + 1, sizeof *st);
            for (uint32_t i = 0; i < p->use_count; i++) {
                const vkg_plan_use *use = &in->uses[p->first_use + i];
                if (use->resource != ri) continue;
                const vkg_access_info *a = vkg_access_get(use->access);
                range ur = use_range(in, use);
                FOR_UNITS(c, &ur, ui) {
                    st[3 * ui] |= a->stage;
                    st[3 * ui + 1] |= a->access;
                    st[3 * ui + 2] |= a->write;
                    st[3 * ui + 2] |= 2; /* touched */
                }
            }
            for (uint32_t ui = 0; ui < c->unit_count[ri]; ui++) {
                if (!(st[3 * ui + 2] & 2)) continue;
                unit *u = &c->units[ri][ui];
                bool wr = st[3 * ui + 2] & 1;
                rec nr;
                init_rec(&nr, q, sidx, st[3 * ui], wr ? (st[3 * ui + 1] & WRITE_BITS) : st[3 * ui + 1], wr);
                if (wr) {
                    u->w = nr;
                    u->has_w = true;
                    u->nreads = 0;
                    u->defined = true;
                } else if (u->nreads < MAXREADS) {
                    u->reads[u->nreads++] = nr;
                } else {
                    fail(c, "checker limit: too many reads of \"%s\"", rname(c, ri));
                }
                u->owner = q;
            }
            free(st);
        }
        /* after the pass: releases, then events */
        for (uint32_t i = 0; i < p->post_count && !c->failed; i++) {
            const vkg_plan_barrier *b = &in->barriers[p->first_post + i];
            range rg = barrier_range(b);
            FOR_UNITS(c, &rg, ui)
            if (!c->failed) apply_release_unit(c, &c->units[b->resource][ui], q, b, sidx, b->resource, ui);
        }
        for (uint32_t e = 0; e < p->set_event_count && !c->failed; e++) {
            const vkg_plan_event *ev = &in->events[p->first_set_event + e];
            for (uint32_t i = 0; i < ev->barrier_count; i++) {
                uint32_t bi = ev->first_barrier + i;
                const vkg_plan_barrier *b = &in->barriers[bi];
                range rg = barrier_range(b);
                uint32_t n = units_in(c, &rg, NULL, 0);
                captured[bi] = calloc((size_t)n * (MAXREADS + 1) + 1, 1);
                uint32_t j = 0;
                FOR_UNITS(c, &rg, ui) {
                    unit *u = &c->units[b->resource][ui];
                    int slot = 0;
                    FOR_RECS(u, rp) captured[bi][(size_t)j * (MAXREADS + 1) + slot++] =
                        in_src_scope(rp, q, b->src_stage);
                    j++;
                }
            }
        }
    }
    /* aliasing: resources sharing heap memory must not be alive at once */
    for (uint32_t a = 0; a < in->resource_count && !c->failed; a++)
        for (uint32_t b = a + 1; b < in->resource_count && !c->failed; b++) {
            const vkg_plan_resource *x = &in->resources[a], *y = &in->resources[b];
            if (x->heap == UINT32_MAX || x->heap != y->heap) continue;
            if (x->offset >= y->offset + y->memory_size || y->offset >= x->offset + x->memory_size)
                continue;
            uint32_t xl = x->output ? UINT32_MAX : x->last_pass, yl = y->output ? UINT32_MAX : y->last_pass;
            if (!(xl < y->first_pass || yl < x->first_pass)) {
                fail(c, "\"%s\" and \"%s\" share memory but are alive at once", x->name, y->name);
                break;
            }
            /* the later one's first pass waits for the earlier one's last accesses, unless a
             * resource that lived in between covers the shared bytes (then the wait chains
             * through that one's own aliasing barrier) */
            const vkg_plan_resource *e = xl < y->first_pass ? x : y, *l = e == x ? y : x;
            uint32_t ei = e == x ? a : b, li = e == x ? b : a;
            VkDeviceSize lo = e->offset > l->offset ? e->offset : l->offset;
            VkDeviceSize hi = e->offset + e->memory_size < l->offset + l->memory_size
                                  ? e->offset + e->memory_size
                                  : l->offset + l->memory_size;
            bool between = false;
            for (uint32_t m = 0; m < in->resource_count && !between; m++) {
                const vkg_plan_resource *z = &in->resources[m];
                if (z->heap != e->heap || m == a || m == b || z->output) continue;
                between = z->first_pass > e->last_pass && z->last_pass < l->first_pass &&
                          z->offset <= lo && z->offset + z->memory_size >= hi;
            }
            if (between) continue;
            uint64_t need = 0;
            const vkg_plan_pass *ep = &in->passes[e->last_pass], *lp = &in->passes[l->first_pass];
            for (uint32_t i = 0; i < ep->use_count; i++)
                if (in->uses[ep->first_use + i].resource == ei)
                    need |= vkg_access_get(in->uses[ep->first_use + i].access)->stage;
            bool found = false;
            for (uint32_t i = 0; i < lp->barrier_count; i++) {
                const vkg_plan_barrier *bb = &in->barriers[lp->first_barrier + i];
                if (bb->resource == li && (bb->flags & VKG_BARRIER_ALIAS) &&
                    (need & ~bb->src_stage) == 0)
                    found = true;
            }
            if (ep->queue != lp->queue) {
                /* across queues: a semaphore wait of l's queue, at or before l's submission,
                 * on e's queue at or after the submission of e's last use */
                const vkg_plan_submission *es = &in->submissions[ep->submission];
                const vkg_plan_submission *ls = &in->submissions[lp->submission];
                bool waited = false;
                for (uint32_t si = 0; si < in->submission_count && !waited; si++) {
                    const vkg_plan_submission *sub = &in->submissions[si];
                    if (sub->queue != ls->queue || sub->index > ls->index) continue;
                    for (uint32_t w = 0; w < sub->wait_count; w++) {
                        const vkg_plan_wait *pw = &in->waits[sub->first_wait + w];
                        if (pw->queue == es->queue && pw->submission >= es->index) waited = true;
                    }
                }
                if (!waited)
                    fail(c, "\"%s\" reuses the memory of \"%s\" on another queue without a "
                         "semaphore wait for its last use", l->name, e->name);
            } else if (!found)
                fail(c, "\"%s\" reuses the memory of \"%s\" without an aliasing barrier "
                     "waiting for its last use", l->name, e->name);
        }
    if (!c->failed) check_transfer_pairs(c);
    if (!c->failed) check_memory_map(c);
    for (uint32_t i = 0; i < in->barrier_count; i++) free(captured[i]);
    free(captured);
    for (uint32_t ri = 0; ri < in->resource_count; ri++) free(c->units[ri]);
    free(c->units);
    free(c->unit_count);
    free(c->unit_bytes);
    return !c->failed;
}
