/* The graph compiler's private state, shared by its phases: compile.c (the driver and the
 * order), validate.c (rules, culling), place.c (memory requirements and aliasing placement),
 * sync.c (the synchronization sweep), assemble.c (the plan). Pure, like the rest of
 * src/graph. */
#ifndef VKG_COMPILE_H_
#define VKG_COMPILE_H_

#include "graph.h"

#include <string.h>

#define NOQ 0xffu
#define MULTI (UINT32_MAX - 1u)

typedef struct vkg__sub {
    VkPipelineStageFlags2 w_stage, r_stage, p_stage;
    VkAccessFlags2 w_access, p_access;
    uint64_t visible; /* read rows the last write is visible to (on the owner queue) */
    uint64_t p_rows;  /* read rows of the pending pass */
    uint32_t w_pass, r_pass; /* plan passes that are the source of w / r (split barriers) */
    uint32_t last_pass;      /* last plan pass on the owner queue that touched it */
    uint32_t stamp;          /* plan pass index + 1 that last accumulated into p_* */
    uint32_t layout, p_layout;
    uint8_t owner, defined, has_w, init, p_write, from_import, from_alias;
} vkg__sub;

typedef struct vkg__seg {
    VkDeviceSize lo, hi;
    vkg__sub s;
} vkg__seg;

/* Per resource working state. */
typedef struct vkg__rws {
    vkg__sub *subs; /* images: mips * layers */
    vkg__seg *segs; /* buffers */
    uint32_t seg_count, seg_cap;
    uint32_t first, last; /* plan pass indices, NO_INDEX when unused; last: placement end */
    uint32_t last_real;   /* last plan pass that uses it */
    uint32_t last_queue;
    uint32_t first_queue;
    uint32_t *preds; /* alias predecessors: transients whose memory it takes over */
    uint32_t pred_count;
    uint32_t tail_use; /* order: its latest use so far (graph use index) */
    uint32_t cur_use;  /* sync sweep: its last use in the pass being processed */
    uint32_t cell;   /* placement: its piece of the heap while it lives */
    uint32_t mark;   /* placement: last resource whose predecessors listed it, + 1 */
    bool summary_done, live_use;
    VkPipelineStageFlags2 sum_stage;
    VkAccessFlags2 sum_access;
    uint8_t sum_queue;
    VkImageUsageFlags iu;
    VkBufferUsageFlags bu;
    VkMemoryRequirements req;
    uint32_t heap;
    VkDeviceSize offset;
} vkg__rws;

typedef struct vkg__touch {
    uint32_t res, index;
} vkg__touch;

/* Barrier slots: pre(k) = 2k, post(k) = 2k + 1, prologue(q) = 2n + q, event(e) = 2n + 3 + e */
typedef struct vkg__pbar {
    vkg_plan_barrier b;
    uint32_t slot;
    /* the slot of the other half of an ownership transfer, VKG__NO_INDEX for a barrier of
     * its own: halves merge only with halves whose partners sit in the same slot, so a
     * release and its acquire always cover the same range (the spec requires identical
     * ranges, families and layouts; the validation layer matches them exactly) */
    uint32_t partner;
    uint32_t seq; /* push order, for a stable sort */
    /* the other half's scope that differs from this one's (the release's source, the
     * acquire's destination): halves merge only where the other halves merge too */
    VkPipelineStageFlags2 other_stage;
    VkAccessFlags2 other_access;
} vkg__pbar;

typedef struct vkg__pwait {
    uint32_t pass; /* consumer plan pass */
    uint32_t queue, point; /* producer queue; producer plan pass or NO_INDEX (prologue) */
    VkPipelineStageFlags2 stage;
} vkg__pwait;

typedef struct vkg__ctx {
    vkg_graph *g;
    const vkg_caps *caps;
    uint32_t flags;
    vkg__arena *A;
    vkg__rws *rws;
    /* live passes */
    uint32_t n;
    uint32_t *order;   /* plan pass -> graph pass */
    uint8_t *pqueue;   /* plan pass -> queue index */
    uint32_t *qpos;    /* plan pass -> position within its queue */
    uint8_t *signal;   /* plan pass -> another queue waits for it */
    uint8_t *has_wait; /* plan pass -> starts with semaphore waits */
    uint8_t *after_bar; /* plan pass -> ordered after an earlier pass of its queue */
    uint32_t *plan_of;  /* graph pass -> plan pass, VKG__NO_INDEX when culled */
    /* uses of live passes (indexed like the graph's uses) */
    uint32_t *next_use; /* the next use of the same resource in plan order, or VKG__NO_INDEX */
    uint32_t *use_pass; /* the plan pass it belongs to */
    /* queues */
    uint32_t nq;
    uint32_t q_family[VKG_QUEUE_ROLE_COUNT];
    vkg_queue_role q_role[VKG_QUEUE_ROLE_COUNT];
    uint8_t role_queue[VKG_QUEUE_ROLE_COUNT];
    uint32_t q_len[VKG_QUEUE_ROLE_COUNT];
    uint8_t q_prologue[VKG_QUEUE_ROLE_COUNT];
    uint32_t last_wait_point[VKG_QUEUE_ROLE_COUNT][VKG_QUEUE_ROLE_COUNT];
    VkPipelineStageFlags2 last_wait_stage[VKG_QUEUE_ROLE_COUNT][VKG_QUEUE_ROLE_COUNT];
    /* outputs of the sync sweep */
    vkg__pbar *bars;
    uint32_t bar_count, bar_cap;
    vkg__pwait *waits;
    uint32_t wait_count, wait_cap;
    vkg_plan_event *events;
    uint32_t event_count, event_cap;
    uint32_t first_event_of_pass; /* events of the pass being processed start here */
    vkg__touch *touched;
    uint32_t touch_count, touch_cap;
    bool oom;
    /* depth and stencil planes have layouts of their own (separateDepthStencilLayouts);
     * without it every use of a depth/stencil image covers both */
    bool split_planes;
    /* sync sweep: a pass asked two layouts of one subresource (both planes in one layout) */
    uint32_t clash_res, clash_layout, clash_with;
} vkg__ctx;

/* The planes [*p0, *p1) use `u` of image `r` touches. */
static inline void vkg__use_planes(const vkg__ctx *c, const vkg__gres *r, const vkg__guse *u,
                                   uint32_t *p0, uint32_t *p1)
{
    if (!c->split_planes && vkg__planes(r) == 2) {
        *p0 = 0;
        *p1 = 2;
    } else {
        *p0 = u->plane0;
        *p1 = (uint32_t)u->plane0 + u->plane_count;
    }
}

/* One heap of transient memory per memory type, as placement leaves it. */
typedef struct vkg__heap_ws {
    uint32_t type;
    VkDeviceSize top;       /* bytes the heap needs */
    VkDeviceSize peak_live; /* the most bytes of its transients live at one point */
    uint32_t resource_count;
    struct vkg__heap_free *free; /* place.c: free memory during the sweep */
} vkg__heap_ws;

/* Growable arrays inside the scratch arena: grow by copying (the arena is reset anyway). */
static inline bool vkg__agrow(vkg__ctx *c, void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return true;
    uint32_t nc = *cap ? *cap * 2 : 4;
    while (nc < need) nc *= 2;
    void *p = vkg__arena_alloc(c->A, (size_t)nc * elem, 16);
    if (!p) {
        c->oom = true;
        return false;
    }
    if (*cap) memcpy(p, *arr, (size_t)*cap * elem);
    *arr = p;
    *cap = nc;
    return true;
}


static inline const vkg__gpass *vkg__gp(const vkg__ctx *c, uint32_t k)
{
    return &c->g->passes[c->order[k]];
}

/* Graphs touch their resources in no particular order, and the per-resource state of 10,000
 * passes (~20 MiB) is larger than the caches: each sweep asks for the entries of the
 * resources a pass a little ahead will use (`base` + resource * `stride`) while it works on
 * this one, so the misses overlap the work instead of stalling it. */
#define VKG__AHEAD 2u
static inline void vkg__prefetch(const vkg_graph *g, uint32_t graph_pass, const void *base,
                                 size_t stride)
{
    if (graph_pass >= g->pass_count) return;
    const vkg__gpass *gp = &g->passes[graph_pass];
    for (uint32_t i = 0; i < gp->use_count; i++)
        __builtin_prefetch((const char *)base + stride * g->uses[gp->first_use + i].resource);
}

/* Whether a resource is shared concurrently between families (vkg_sharing): then no
 * ownership transfers, only the semaphores and layout changes of queues of one family. */
static inline bool vkg__concurrent(const vkg__ctx *c, const vkg__gres *r)
{
    return r->sharing == VKG_SHARING_CONCURRENT ||
           (r->sharing == VKG_SHARING_DEFAULT && c->caps->sharing == VKG_SHARING_CONCURRENT);
}

/* validate.c: the rules, each refused with an error naming pass, resource and rule */
vkg_result vkg__validate_formats(vkg__ctx *c);
vkg_result vkg__validate_limits(vkg__ctx *c);
vkg_result vkg__validate_reads(vkg__ctx *c);
/* history.c */
vkg_result vkg__history_use(const vkg__ctx *c, uint32_t p, const vkg__gres *r, const vkg__guse *u);
vkg_result vkg__history_states(vkg__ctx *c);
/* validate.c: live[p] for every graph pass (a backward sweep) */
vkg_result vkg__cull(vkg__ctx *c, uint8_t *live);

/* sync.c: plan queues from the caps' role families; then the sweep over the plan order */
vkg_result vkg__map_queues(vkg__ctx *c);
vkg_result vkg__sync_sweep(vkg__ctx *c);

/* assemble.c: the plan's arrays from the sweep's output */
vkg_result vkg__assemble(vkg__ctx *c, vkg_plan *plan, const uint8_t *live,
                         const vkg__heap_ws *heaps, uint32_t nh);

/* place.c: memory requirements of every used transient, then offsets in one heap per memory
 * type such that transients alive at once never overlap; fills rws[].heap/offset/req/preds. */
vkg_result vkg__place_transients(vkg__ctx *c, const vkg_compile_desc *cd,
                                 vkg__heap_ws **out_heaps, uint32_t *out_count);

#endif
