/* The executor's private state, shared by its files: realise.c (a plan's objects in a frame
 * slot), bind.c (imported bindings), record.c (barriers and command buffers), ownership.c
 * (runtime queue-family transfers of imported resources and their tracked state), exec.c
 * (executors, frames, submission), context.c (the pass context record callbacks see) and
 * timings.c (per-pass GPU timestamps). */
#ifndef VKG_EXEC_INTERNAL_H_
#define VKG_EXEC_INTERNAL_H_

#include "../device/device.h"
#include "../graph/graph.h"
#include "../util/workers.h"

#include <stdio.h>
#include <unistd.h>

#define VKG__X_NONE UINT32_MAX

typedef struct vkg__xres {
    /* (what executions read and write of every imported resource first: one cache line) */
    VkBuffer buffer; /* (its device address: vkg__real.address) */
    VkImage image;
    uint64_t bind_serial; /* the pool serial of the object bind_id named when checked */
    uint64_t bound_at; /* imported: the realisation's execution that last bound it */
    uint32_t binding; /* imported: index into this execution's bindings, when ... */
    uint32_t bind_id; /* imported: the vkg_buffer / vkg_image id bound in this execution */
    bool is_image;    /* imported: the plan resource's */
    bool is_history;  /* imported: a history resource (the executor binds its objects) */
    bool rebind;      /* imported image bound to another image than last time: new views */
    /* (the rest) */
    uint64_t bind_stamp; /* ... this equals the realisation's bind_stamp */
    VkImageAspectFlags aspect;
    vkg_buffer own_buffer; /* transient: created by the realisation */
    vkg_image own_image;
    vkg_allocation own_memory; /* transient that did not fit its planned range */
    uint32_t bound;            /* imported: the bound vkg_buffer/vkg_image id */
    /* imported: the plan submissions of its first and last use, the first use's stages */
    uint32_t first_sub, last_sub;
    VkPipelineStageFlags2 first_stage;
    /* this execution's binding semaphores (vkg_binding) */
    VkSemaphore wait_semaphore, signal_semaphore;
    VkPipelineStageFlags2 wait_stage;
} vkg__xres;

/* A use of an imported resource, with what updating its tracked state needs at hand. */
typedef struct vkg__iuse {
    const vkg_access_info *a;
    uint32_t res, use;
    uint32_t submission, dq, family;
    bool is_image;
} vkg__iuse;

/* Views of imported images, per use, for the last few images bound (a swapchain's images
 * take turns): rebinding one of them makes nothing. Raw VkImageViews, not vkg_views, so the
 * user may destroy a bound vkg_image (e.g. on swapchain recreation) while they are cached. */
#define VKG__VIEW_CACHE 4

typedef struct vkg__xuse {
    vkg_view view; /* transient image uses with shader or attachment access */
    VkImageView vk_view; /* the view recorded with (either kind) */
    struct {
        uint32_t image; /* vkg_image id (generation included: a new image never matches) */
        VkImageView view;
    } cache[VKG__VIEW_CACHE];
    uint32_t next; /* cache entry to replace next */
    VkAttachmentLoadOp load;
    VkAttachmentStoreOp store;
    /* an imported attachment nothing in the plan touched before: LOAD, or CLEAR when its
     * tracked state at execution says the contents are undefined (a new image) */
    bool import_first;
} vkg__xuse;

/* One primary command buffer: a run of consecutive passes of one plan submission, recorded
 * by one thread from that thread's pool. Chunks are fixed when the plan is realised, so the
 * split and the submission order never depend on timing. */
typedef struct vkg__chunk {
    uint32_t submission;
    uint32_t first, count; /* passes of the submission */
    uint32_t thread;
    uint32_t dq;
    VkCommandBuffer cmd;
} vkg__chunk;

/* A pipeline-barrier batch prepared when the plan is realised (vkg__prepare). Its static
 * barriers are built then, at the start of its ranges of the realisation's arrays; a batch
 * with dynamic barriers (first uses of imported resources, barriers whose handles follow a
 * binding) has room after them, which vkg__patch fills before each recording, setting the
 * counts in `dep`. Recording threads only read it. */
typedef struct vkg__prep {
    VkDependencyInfo dep;      /* what vkCmdPipelineBarrier2 gets */
    uint32_t first, count;     /* the plan's barriers */
    uint32_t dynamic;          /* of which built each execution ... */
    uint32_t dyn_first;        /* ... listed from x->dyn[dyn_first] */
    uint32_t static_ni, static_nb;
    uint32_t ni_cap, nb_cap;   /* the batch's ranges: static barriers and room */
    uint32_t submission;       /* the plan submission that records it */
    uint32_t seen_first;       /* its imported subresources' states in x->seen */
    bool kept;                 /* what vkg__patch built stands while those states do */
    bool quiet;                /* and it waits for no other queue's ticket */
    bool history;              /* a history resource is among them (bound anew each time) */
} vkg__prep;

/* A dynamic barrier of a batch: the plan's barrier, its resource, whether IMPORTED. */
typedef struct vkg__dyn {
    uint32_t barrier, res;
    bool imported;
} vkg__dyn;

/* The tracked state of an imported subresource that a patched barrier was built from. */
typedef struct vkg__seen {
    VkPipelineStageFlags2 write_stage, read_stage;
    VkAccessFlags2 write_access;
    VkImageLayout layout;
    uint32_t family;
} vkg__seen;

/* A pass as the recording loop reads it, in one cache line (vkg__prepare_all fills it): its
 * callback, and its batches where they may hold barriers (NULL: nothing to record). */
typedef struct vkg__rpass {
    vkg_record_fn record;
    void *user;
    const vkg__prep *pre, *post;
    uint32_t first_wait_event, wait_event_count;
    uint32_t first_set_event, set_event_count;
} vkg__rpass;

/* Per recording thread: barrier scratch and the first error it met. */
typedef struct vkg__scratch {
    VkImageMemoryBarrier2 *ib;
    VkBufferMemoryBarrier2 *bb;
    VkDependencyInfo *deps;
    VkEvent *wait_events;
    vkg_result error;
    uint32_t barriers, barrier_calls; /* recorded by this thread in this execution */
} vkg__scratch;

/* Transient memory of a frame slot. Plans executed in the same slot share it: each plan
 * heap is placed in the smallest pool heap of its memory type that is large enough and that
 * the plan does not already use, so a slot holds about the largest plan's memory rather
 * than the sum. Tenants take turns: a plan whose heap another tenant used last orders its
 * accesses after that tenant's (vkg__handoff). */
typedef struct vkg__heap {
    vkg_allocation mem;
    VkDeviceSize size, align;
    uint32_t memory_type;
    uint32_t tenants;             /* realisations placed in it */
    const struct vkg__real *last; /* the tenant that executed last (compared, never read) */
    VkPipelineStageFlags2 stages; /* that tenant's stages and writes on the heap */
    VkAccessFlags2 writes;
    uint64_t value[VKG_QUEUE_ROLE_COUNT]; /* and its last submission per device queue (0: none) */
} vkg__heap;

/* Breadcrumbs of one realisation (breadcrumbs.c): per pass, the numbers of the execution that
 * last began and last finished it, written by the GPU into host-visible memory; names copied
 * so that the report never reads a plan that may be gone. */
typedef struct vkg__crumbs {
    struct vkg__crumbs *prev, *next; /* the executor's list, under crumb_lock */
    vkg_buffer buffer;
    VkBuffer vk;
    const uint32_t *map;       /* [2 * pass]: begin, end */
    vkg_allocation_info mem;   /* to invalidate without the device lock */
    char *names;               /* the plan's name, then each pass's, one allocation */
    const char **pass_name;
    uint32_t *pass_dq;         /* per pass: its device queue */
    char *tags;                /* 2 per pass: checkpoint markers (their addresses) */
    uint32_t pass_count, slot;
    _Atomic uint32_t execution; /* the number its latest execution writes; 0: none yet */
} vkg__crumbs;

typedef struct vkg__history vkg__history; /* history.c */

typedef struct vkg__real {
    const vkg_plan *plan;
    uint64_t serial;
    uint32_t slot; /* frame slot whose pools hold the command buffers */
    uint64_t frame; /* 1 + the executor frame it last ran in */
    vkg_plan_info in;
    /* the device keeps depth and stencil in layouts of their own (else barriers and tracked
     * state cover both planes of a depth/stencil image) */
    bool split_planes;
    /* transient memory, per plan heap: the slot's pool heap, this plan's stages and
     * accesses on it, its first and last submission (submit order) per device queue */
    vkg__heap **heaps;
    VkPipelineStageFlags2 *hstage;
    VkAccessFlags2 *haccess;
    uint32_t *hfirst, *hlast; /* [heap * VKG_QUEUE_ROLE_COUNT + device queue] */
    bool *hturn;              /* this execution takes the heap over from another tenant */
    VkMemoryBarrier2 *handoff; /* per submission, this execution's hand-over barrier */
    bool reprepare;           /* a heap's tenants changed: rebuild the prepared batches */
    vkg__xres *res;
    vkg__xuse *uses;
    VkEvent *events;
    vkg__chunk *chunks;          /* by submission, then pass order */
    uint32_t chunk_count;
    uint32_t *first_chunk;       /* per plan submission, + 1 */
    VkCommandBufferSubmitInfo *cbis; /* per chunk */
    uint32_t active;             /* threads with chunks */
    uint64_t *values;       /* per plan submission: timeline value of this execution */
    uint32_t *dq_of_queue;  /* plan queue -> device queue */
    uint32_t *submit_order; /* submissions by first pass */
    /* imported resources, lists made at realisation so executing is O(what they touch) */
    /* per resource, apart from `res`: what record callbacks read most, 8 to a cache line */
    VkDeviceAddress *address;
    vkg__track **track; /* imported: the bound object's tracked states (a buffer's one) */
    uint32_t *imports;       /* used imported resources */
    uint32_t import_count;
    uint32_t *history_imports; /* of which history resources (bound by the executor) */
    uint32_t history_count;
    uint64_t bind_stamp;     /* executions bound so far (vkg__bind_imports) */
    /* the bindings last checked in full, for the next execution to compare against */
    vkg_binding *bind_cache;
    uint32_t bind_cache_count, bind_cache_cap;
    bool bind_cached;
    /* the device's buffer and image pools' frees when every bound object was last found
     * live: while both are unchanged, every serial is too */
    uint64_t bind_frees[2];
    uint64_t rebound_at; /* the execution that last bound a resource the user binds */
    uint32_t *sem_imports;   /* imported resources bound with a wait or signal semaphore */
    uint32_t sem_count;
    vkg__iuse *import_uses;  /* uses of imported resources, in pass order */
    uint32_t import_use_count;
    /* prepared batches: per pass before and after it, per submission's prologue */
    vkg__prep *pre, *post, *prol;
    vkg__rpass *rpass; /* per pass */
    VkMemoryBarrier2 *pmb;
    VkImageMemoryBarrier2 *pib; /* bar_cap each: static barriers and room for dynamic ones */
    VkBufferMemoryBarrier2 *pbb;
    uint32_t npmb, npib, npbb;
    vkg__dyn *dyn;       /* the dynamic barriers of every batch, batch by batch */
    uint32_t ndyn;
    vkg__seen *seen;     /* per batch, per subresource of its IMPORTED barriers */
    uint32_t nseen;
    uint64_t execution;  /* executions bound so far */
    vkg__prep **dyn_preps; /* the batches that have dynamic barriers */
    uint32_t ndyn_preps;
    /* the device's track_changes when the last patch began (valid while `patched`): while it
     * is unchanged, the states kept batches were checked against are the states now */
    uint64_t changes_seen;
    bool patched;
    bool trusted; /* this execution's patch found nothing changed (vkg__patch) */
    /* the tickets an execution in the steady state left unwritten (vkg__update_tracks),
     * per plan submission, and its entry in the device's queue of them */
    uint64_t *deferred_values;
    vkg__deferred deferred;
    uint32_t checked; /* imported subresources it looked at (vkg_executor_stats) */
    /* per plan submission and device queue: the last ticket value of that queue the
     * submission's imported resources were used by (vkg__patch); it waits for it */
    uint64_t *import_wait; /* [s * VKG_QUEUE_ROLE_COUNT + dq] */
    /* recording scratch, sized at realisation */
    vkg__scratch *scratch; /* per recording thread */
    uint32_t bar_cap;
    uint32_t dep_cap;
    VkSemaphoreSubmitInfo *waits;
    uint32_t wait_cap;
    VkSemaphoreSubmitInfo *signals; /* the timeline, then bindings' signal semaphores */
    /* runtime ownership (vkg__fixups): releases of imported subresources that another
     * family than the plan assumed owns, per device queue, recorded and submitted before
     * the plan; the plan's first use acquires them */
    VkCommandBuffer fix_cmd[VKG_QUEUE_ROLE_COUNT];
    VkImageMemoryBarrier2 *fix_ib;
    VkBufferMemoryBarrier2 *fix_bb;
    uint8_t *fix_idq, *fix_bdq; /* device queue of each release */
    uint32_t fix_ni, fix_nb;
    uint64_t fix_wait[VKG_QUEUE_ROLE_COUNT][VKG_QUEUE_ROLE_COUNT]; /* [release dq][last-use dq] */
    uint64_t fix_value[VKG_QUEUE_ROLE_COUNT]; /* this execution's release submission, 0 none */
    bool *fix_need; /* [plan submission * VKG_QUEUE_ROLE_COUNT + release dq] */
    /* pass timings (timings.c): two timestamps per pass, the passes that write them, the
     * read-back buffer, and the execution they belong to */
    VkQueryPool queries;
    bool *stamped;
    uint64_t *stamp_values;
    vkg_ticket ticket;
    vkg__crumbs *crumbs; /* breadcrumbs, when the executor keeps them */
    vkg__history *history; /* the plan's history objects, when it has history resources */
} vkg__real;

typedef struct vkg__slot {
    VkCommandPool *pools; /* per recording thread, per device queue: [t * ROLE_COUNT + dq] */
    vkg_ticket last[VKG_QUEUE_ROLE_COUNT];     /* per device queue */
    vkg__real **reals;
    uint32_t real_count, real_cap;
    vkg__heap **heaps;
    uint32_t heap_count, heap_cap;
    uint64_t *reset; /* per recording thread: 1 + the frame its pools were last reset in */
} vkg__slot;

struct vkg_executor {
    vkg_device *dev;
    vkg__host host;
    char name[64];
    uint32_t frames;
    uint32_t drop; /* debug_drop_barrier */
    uint32_t threads;
    uint32_t grain; /* passes per command buffer before a submission is split */
    vkg__workers *workers;
    bool dedicated_heaps;
    bool no_handoff; /* debug_no_handoff */
    bool timings;    /* pass_timings */
    bool breadcrumbs;
    pthread_mutex_t crumb_lock; /* the breadcrumb list, against the device-lost report */
    vkg__crumbs *crumbs;
    uint32_t crumb_serial;      /* the last execution number written */
    vkg__history *histories;    /* per compiled plan with history resources (history.c) */
    bool in_frame; /* between vkg_executor_begin_frame and _end_frame */
    uint64_t frame;
    vkg__slot *slots;
    vkg_executor_stats stats;
};

struct vkg_pass_context {
    vkg_executor *ex;
    vkg__real *real;
    uint32_t pass;
    VkCommandBuffer cmd;
    uint32_t thread;
};

typedef enum vkg__import_kind {
    VKG__IMPORT_PLANNED, /* the tracked owner is the one the plan assumed */
    VKG__IMPORT_SKIP,    /* a planned release that the actual owner makes instead */
    VKG__IMPORT_LOCAL,   /* no transfer: the actual owner is the user's family, or the use
                            discards the contents */
    VKG__IMPORT_ACQUIRE, /* acquire from the actual owner, which releases in a fixup */
} vkg__import_kind;

/* Barrier structures being gathered for one vkCmdPipelineBarrier2 / event. */
typedef struct vkg__batch {
    VkImageMemoryBarrier2 *ib;
    VkBufferMemoryBarrier2 *bb;
    uint32_t ni, nb, icap, bcap; /* counts and room */
} vkg__batch;

/* The sides a barrier is recorded with: the plan's, or patched from tracked state. */
typedef struct vkg__sides {
    VkPipelineStageFlags2 src_stage, dst_stage;
    VkAccessFlags2 src_access, dst_access;
    uint32_t src_family, dst_family;
} vkg__sides;

static inline vkg__sides vkg__sides_of(const vkg_plan_barrier *b)
{
    return (vkg__sides){b->src_stage, b->dst_stage, b->src_access, b->dst_access, b->src_family,
                        b->dst_family};
}

typedef struct vkg__record_job {
    vkg_executor *ex;
    vkg__real *x;
} vkg__record_job;

/* ---- tracked state of imported subresources: small, on the recording hot path ---- */
static inline bool vkg__track_defined(const vkg__track *t)
{
    return t->write_stage || t->read_stage || t->layout != VK_IMAGE_LAYOUT_UNDEFINED;
}

/* How the IMPORTED plan barrier `pb`, recorded on a queue of `family`, meets the tracked
 * state `t` of one of its subresources; *dst: the family that uses it. */
static inline vkg__import_kind vkg__import_kind_of(const vkg_plan_barrier *pb, const vkg__track *t,
                                            uint32_t family, bool concurrent, uint32_t *dst)
{
    bool halves = pb->flags & (VKG_BARRIER_RELEASE | VKG_BARRIER_ACQUIRE);
    uint32_t expect = halves ? pb->src_family : family;
    *dst = halves ? pb->dst_family : family;
    if (concurrent) return VKG__IMPORT_PLANNED; /* no owner: every family may use it */
    if (!vkg__track_defined(t) || t->family == VK_QUEUE_FAMILY_IGNORED || t->family == expect)
        return VKG__IMPORT_PLANNED;
    if (pb->flags & VKG_BARRIER_RELEASE) return VKG__IMPORT_SKIP;
    if (t->family == *dst || (pb->flags & VKG_BARRIER_DISCARD)) return VKG__IMPORT_LOCAL;
    return VKG__IMPORT_ACQUIRE;
}

/* The planes [*p0, *p0 + *n) that `aspect` names of image `r`: a format with depth and
 * stencil keeps a state per plane (0 depth, 1 stencil), plane-major, as the compiler does. */
static inline void vkg__aspect_planes(const vkg__xres *xr, VkImageAspectFlags aspect, uint32_t *p0,
                               uint32_t *n)
{
    vkg__planes_of_aspect(xr->aspect, aspect, p0, n);
}

static inline VkImageAspectFlags vkg__xplane_aspect(const vkg__xres *xr, uint32_t plane)
{
    return vkg__aspect_of_plane(xr->aspect, plane);
}

/* The aspects whose contents a use touches: an attachment row's own, else the use's. */
static inline VkImageAspectFlags vkg__use_aspect(const vkg_plan_use *u, const vkg__xres *xr)
{
    VkImageAspectFlags row = vkg_access_get(u->access)->aspect;
    if (row) return row & xr->aspect;
    return u->aspect ? u->aspect : xr->aspect;
}

/* The aspects whose tracked state a use changes: its own, or both planes where the device
 * keeps them in one layout. */
static inline VkImageAspectFlags vkg__track_aspect(const vkg__real *x, const vkg_plan_use *u,
                                            const vkg__xres *xr)
{
    return x->split_planes ? vkg__use_aspect(u, xr) : xr->aspect;
}

/* The tracked state of subresource (plane, mip, layer) of imported resource `ri`. */
static inline vkg__track *vkg__track_at(const vkg__real *x, uint32_t ri, uint32_t plane,
                                        uint32_t mip, uint32_t layer)
{
    const vkg_plan_resource *r = &x->in.resources[ri];
    return &x->track[ri][(plane * r->mips + mip) * r->layers + layer];
}

/* The sharing a plan resource's device object must have. */
static inline vkg_sharing vkg__plan_sharing(const vkg_plan_resource *r)
{
    return r->concurrent ? VKG_SHARING_CONCURRENT : VKG_SHARING_EXCLUSIVE;
}

/* The device image a plan image becomes (a transient, or a history resource's object). */
static inline vkg_image_desc vkg__plan_image_desc(const vkg_plan_resource *r, const char *name,
                                                  VkImageUsageFlags usage, vkg_sharing sharing)
{
    return (vkg_image_desc){.name = name,
                            .format = r->format,
                            .width = r->width,
                            .height = r->height,
                            .depth = r->depth,
                            .mips = r->mips,
                            .layers = r->layers,
                            .samples = r->samples,
                            .usage = usage,
                            .sharing = sharing};
}

/* ---- across the executor's files ------------------------------------------------------ */
vkg_result vkg__import_views(vkg_executor *ex, vkg__real *x, uint32_t ri, uint32_t id);
VkPipelineStageFlags2 vkg__queue_stages(const vkg_device *dev, uint32_t dq,
                                               VkPipelineStageFlags2 stages);
vkg_result vkg__real_create(vkg_executor *ex, vkg__slot *slot, const vkg_plan *plan,
                                   vkg__real **out);
void vkg__real_destroy(vkg_executor *ex, vkg__real *x);
bool vkg__sharing_differs(const vkg_device *dev, const vkg_plan_resource *r,
                                 bool object_concurrent);
void vkg__slot_sweep(vkg_executor *ex, vkg__slot *slot);
VkPipelineStageFlags2 vkg__wait_stage(VkPipelineStageFlags2 stage);
vkg_result vkg__bind_imports(vkg_executor *ex, vkg__real *x, const vkg_execute_desc *d);
bool vkg__contents_undefined(const vkg__real *x, const vkg_plan_use *u);
vkg_result vkg__pools_fresh(vkg_executor *ex, const vkg__real *x, uint32_t t);
void vkg__prepare(vkg_executor *ex, vkg__real *x, uint32_t first, uint32_t count, uint32_t s,
                  vkg__prep *p);
void vkg__prepare_all(vkg_executor *ex, vkg__real *x);
void vkg__record_thread(void *user, uint32_t t);
void vkg__emit_as(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b, const vkg__sides *sd,
                  VkImageLayout old, VkImageSubresourceRange range);
void vkg__emit(vkg__real *x, vkg__batch *bt, const vkg_plan_barrier *b);
vkg_result vkg__patch(vkg_executor *ex, vkg__real *x);
vkg_result vkg__fixups_record(vkg_executor *ex, vkg__real *x, bool *used);
vkg_result vkg__fixups_submit(vkg_executor *ex, vkg__real *x, uint64_t *next,
                                     vkg__slot *slot);
vkg_result vkg__join(vkg_executor *ex, vkg__real *x, const bool *used, vkg__slot *slot,
                            vkg_ticket *last);
void vkg__update_tracks(vkg_device *dev, vkg__real *x);
/* (the realisation's vkg__deferred.flush) */
void vkg__flush_tickets(vkg__deferred *d);
vkg_result vkg__real_timings(vkg_executor *ex, vkg__real *x);
void vkg__timings_destroy(vkg_executor *ex, vkg__real *x);
void vkg__timings_reset(vkg_executor *ex, vkg__real *x);
vkg_result vkg__real_history(vkg_executor *ex, vkg__real *x);
void vkg__history_release(vkg_executor *ex, vkg__real *x);
uint32_t vkg__history_object(const vkg__real *x, uint32_t ri);
void vkg__history_advance(vkg__real *x);
vkg_result vkg__breadcrumbs_start(vkg_executor *ex);
void vkg__breadcrumbs_stop(vkg_executor *ex);
vkg_result vkg__real_crumbs(vkg_executor *ex, vkg__real *x);
void vkg__crumbs_destroy(vkg_executor *ex, vkg__real *x);
void vkg__crumbs_execution(vkg_executor *ex, vkg__real *x);
void vkg__crumbs_chunk(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd);
void vkg__crumb_write(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd, uint32_t k,
                      uint32_t end);

/* Breadcrumb `end` (0 before, 1 after) of pass k. */
static inline void vkg__crumb(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd,
                              uint32_t k, uint32_t end)
{
    if (x->crumbs) vkg__crumb_write(ex, x, cmd, k, end);
}

/* A pass's timestamp (timings.c): query 2k before its record callback, 2k + 1 after. */
static inline void vkg__stamp(const vkg_executor *ex, const vkg__real *x, VkCommandBuffer cmd,
                              uint32_t k, uint32_t end)
{
    if (x->queries && x->stamped[k])
        ex->dev->vk.vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, x->queries,
                                         2 * k + end);
}

#endif
