/* Plan export: JSON (docs/graph-format.md, "The plan as JSON") and Graphviz DOT. */
#include "graph.h"

#include <inttypes.h>
#include <stdio.h>

static const char *vkg__queue_name(const vkg_plan_info *in, uint32_t family)
{
    for (uint32_t q = 0; q < in->queue_count; q++)
        if (in->queues[q].family == family) return vkg_queue_role_name(in->queues[q].role);
    return "external";
}

static void vkg__json_barrier(FILE *f, const vkg_plan_info *in, const vkg_plan_barrier *b,
                              const char *when)
{
    const vkg_plan_resource *r = &in->resources[b->resource];
    char s1[256], s2[256], a1[256], a2[256];
    fputs("{\"resource\": ", f);
    vkg__json_string(f, r->name);
    if (r->is_image)
        fprintf(f, ", \"mips\": [%u, %u], \"layers\": [%u, %u], \"range\": null, \"aspect\": \"%s\"",
                b->base_mip, b->mip_count, b->base_layer, b->layer_count,
                vkg__aspect_json(b->aspect));
    else
        fprintf(f, ", \"mips\": null, \"layers\": null, \"range\": [%" PRIu64 ", %" PRIu64 "]",
                (uint64_t)b->offset, (uint64_t)b->size);
    fprintf(f,
            ", \"src_stage\": \"%s\", \"src_access\": \"%s\", \"dst_stage\": \"%s\", "
            "\"dst_access\": \"%s\", \"old_layout\": ",
            vkg_stage_mask_string(b->src_stage, s1, sizeof s1),
            vkg_access_mask_string(b->src_access, a1, sizeof a1),
            vkg_stage_mask_string(b->dst_stage, s2, sizeof s2),
            vkg_access_mask_string(b->dst_access, a2, sizeof a2));
    if (r->is_image)
        fprintf(f, "\"%s\", \"new_layout\": \"%s\"", vkg_layout_name(b->old_layout),
                vkg_layout_name(b->new_layout));
    else
        fputs("null, \"new_layout\": null", f);
    fputs(", \"src_queue\": ", f);
    if (b->src_family == VK_QUEUE_FAMILY_IGNORED) fputs("null", f);
    else vkg__json_string(f, vkg__queue_name(in, b->src_family));
    fputs(", \"dst_queue\": ", f);
    if (b->dst_family == VK_QUEUE_FAMILY_IGNORED) fputs("null", f);
    else vkg__json_string(f, vkg__queue_name(in, b->dst_family));
    fprintf(f, ", \"split\": %s", (b->flags & VKG_BARRIER_SPLIT) ? "true" : "false");
    fprintf(f, ", \"when\": \"%s\"", when);
    static const struct {
        uint32_t bit;
        const char *name;
    } fl[] = {{VKG_BARRIER_RELEASE, "release"}, {VKG_BARRIER_ACQUIRE, "acquire"},
              {VKG_BARRIER_ALIAS, "alias"},     {VKG_BARRIER_IMPORTED, "imported"},
              {VKG_BARRIER_DISCARD, "discard"}};
    fputs(", \"kind\": [", f);
    bool first = true;
    for (size_t i = 0; i < VKG__ARRAY_COUNT(fl); i++) {
        if (!(b->flags & fl[i].bit)) continue;
        fprintf(f, "%s\"%s\"", first ? "" : ", ", fl[i].name);
        first = false;
    }
    fputs("]}", f);
}

/* submission s ends with a signal someone waits for */
static bool vkg__waited(const vkg_plan_info *in, uint32_t s)
{
    const vkg_plan_submission *sub = &in->submissions[s];
    for (uint32_t i = 0; i < in->wait_count; i++)
        if (in->waits[i].queue == sub->queue && in->waits[i].submission == sub->index) return true;
    return false;
}

/* The memory map: per heap its type, size and lower bound; per transient where it lives in
 * memory and in the order, and whose memory it takes over. */
static void vkg__json_memory(FILE *f, const vkg_plan_info *in)
{
    fputs("  \"memory\": {\"heaps\": [", f);
    for (uint32_t h = 0; h < in->heap_count; h++) {
        const vkg_plan_heap *hp = &in->heaps[h];
        fprintf(f,
                "%s{\"heap\": %u, \"memory_type\": %u, \"bytes\": %" PRIu64
                ", \"peak_live_bytes\": %" PRIu64 ", \"transients\": %u}",
                h ? ", " : "", h, hp->memory_type, (uint64_t)hp->size,
                (uint64_t)hp->peak_live_bytes, hp->resource_count);
    }
    fputs("],\n    \"transients\": [", f);
    bool first = true;
    for (uint32_t i = 0; i < in->resource_count; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (r->heap == UINT32_MAX) continue;
        fputs(first ? "\n      {\"name\": " : ",\n      {\"name\": ", f);
        first = false;
        vkg__json_string(f, r->name);
        fprintf(f,
                ", \"kind\": \"%s\", \"bytes\": %" PRIu64 ", \"alignment\": %" PRIu64
                ", \"memory_type\": %u, \"heap\": %u, \"offset\": %" PRIu64
                ", \"first_pass\": %u, \"last_pass\": %u, \"alias_of\": [",
                r->is_image ? "image" : "buffer", (uint64_t)r->memory_size,
                (uint64_t)r->alignment, in->heaps[r->heap].memory_type, r->heap,
                (uint64_t)r->offset, r->first_pass, r->last_pass);
        for (uint32_t a = 0; a < r->alias_of_count; a++) {
            if (a) fputs(", ", f);
            vkg__json_string(f, in->resources[r->alias_of[a]].name);
        }
        fputs("]}", f);
    }
    fputs(first ? "]},\n" : "\n    ]},\n", f);
}

vkg_result vkg_plan_write_json(const vkg_plan *plan, FILE *f)
{
    if (!plan || !f) return VKG_ERROR_INVALID_ARGUMENT;
    const vkg_plan_info *in = &plan->info;
    char st[256];
    fputs("{\n  \"name\": ", f);
    vkg__json_string(f, in->name);
    fputs(",\n  \"queues\": [", f);
    for (uint32_t q = 0; q < in->queue_count; q++)
        fprintf(f, "%s{\"name\": \"%s\", \"family\": %u, \"submissions\": %u}", q ? ", " : "",
                vkg_queue_role_name(in->queues[q].role), in->queues[q].family,
                in->queues[q].submission_count);
    fputs("],\n  \"prologue\": [", f);
    bool firstp = true;
    for (uint32_t s = 0; s < in->submission_count; s++) {
        const vkg_plan_submission *sub = &in->submissions[s];
        for (uint32_t i = 0; i < sub->prologue_count; i++) {
            fputs(firstp ? "\n    " : ",\n    ", f);
            vkg__json_barrier(f, in, &in->barriers[sub->first_prologue + i], "prologue");
            firstp = false;
        }
    }
    fputs(firstp ? "],\n  \"passes\": [" : "\n  ],\n  \"passes\": [", f);
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        const vkg_plan_submission *sub = &in->submissions[p->submission];
        fputs(k ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        vkg__json_string(f, p->name);
        fprintf(f, ", \"queue\": \"%s\", \"submission\": %u, %s\"barriers\": [",
                vkg_queue_role_name(p->role), sub->index,
                p->after_barrier ? "\"after_barrier\": true, " : "");
        uint32_t nb = 0;
        for (uint32_t i = 0; i < p->barrier_count; i++, nb++) {
            fputs(nb ? ",\n      " : "\n      ", f);
            vkg__json_barrier(f, in, &in->barriers[p->first_barrier + i], "before");
        }
        for (uint32_t we = 0; we < p->wait_event_count; we++) {
            const vkg_plan_event *ev = &in->events[in->wait_events[p->first_wait_event + we]];
            for (uint32_t i = 0; i < ev->barrier_count; i++, nb++) {
                fputs(nb ? ",\n      " : "\n      ", f);
                vkg__json_barrier(f, in, &in->barriers[ev->first_barrier + i], "before");
            }
        }
        for (uint32_t i = 0; i < p->post_count; i++, nb++) {
            fputs(nb ? ",\n      " : "\n      ", f);
            vkg__json_barrier(f, in, &in->barriers[p->first_post + i], "after");
        }
        fputs(nb ? "],\n      \"waits\": [" : "], \"waits\": [", f);
        bool starts = sub->first_pass == in->queues[sub->queue].first_pass ||
                      in->queue_passes[sub->first_pass] == k;
        if (starts && in->queue_passes[sub->first_pass] == k) {
            for (uint32_t i = 0; i < sub->wait_count; i++) {
                const vkg_plan_wait *w = &in->waits[sub->first_wait + i];
                fprintf(f, "%s{\"queue\": \"%s\", \"submission\": %u, \"stage\": \"%s\"}",
                        i ? ", " : "", vkg_queue_role_name(in->queues[w->queue].role),
                        w->submission, vkg_stage_mask_string(w->stage, st, sizeof st));
            }
        }
        fputs("], \"signals\": [", f);
        bool last = sub->pass_count &&
                    in->queue_passes[sub->first_pass + sub->pass_count - 1] == k;
        if (last && vkg__waited(in, p->submission))
            fprintf(f, "{\"queue\": \"%s\", \"submission\": %u}",
                    vkg_queue_role_name(in->queues[sub->queue].role), sub->index);
        fputs("]}", f);
    }
    fputs(in->pass_count ? "\n  ],\n  \"culled\": [" : "],\n  \"culled\": [", f);
    for (uint32_t i = 0; i < in->culled_count; i++) {
        if (i) fputs(", ", f);
        vkg__json_string(f, in->culled[i]);
    }
    fputs("],\n  \"history\": [", f);
    bool first = true;
    for (uint32_t i = 0; i < in->resource_count; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (r->history != 1) continue;
        fputs(first ? "" : ", ", f);
        first = false;
        fputs("{\"name\": ", f);
        vkg__json_string(f, r->name);
        fputs(", \"previous\": ", f);
        vkg__json_string(f, in->resources[r->history_pair].name);
        fprintf(f, ", \"init\": \"%s\"}", r->history_clear ? "clear" : "undefined");
    }
    fputs("],\n", f);
    vkg__json_memory(f, in);
    const vkg_plan_stats *s = &in->stats;
    fprintf(f,
            "  \"stats\": {\"passes\": %u, \"culled\": %u, \"barrier_batches\": %u, "
            "\"image_barriers\": %u, \"buffer_barriers\": %u, \"memory_barriers\": %u, "
            "\"layout_transitions\": %u, \"queue_transfers\": %u, \"semaphores\": %u, "
            "\"submissions\": %u, \"events\": %u, \"transient_bytes\": %" PRIu64
            ", \"aliased_bytes\": %" PRIu64 ", \"peak_live_bytes\": %" PRIu64
            ", \"compile_us\": %" PRIu64 ", \"phases_us\": {",
            s->passes, s->culled, s->barrier_batches, s->image_barriers, s->buffer_barriers,
            s->memory_barriers, s->layout_transitions, s->queue_transfers, s->semaphores,
            s->submissions, s->events, s->transient_bytes, s->aliased_bytes, s->peak_live_bytes,
            s->compile_us);
    for (uint32_t p = 0; p < VKG_COMPILE_PHASE_COUNT; p++)
        fprintf(f, "%s\"%s\": %.1f", p ? ", " : "", vkg_compile_phase_name((vkg_compile_phase)p),
                (double)s->phase_ns[p] / 1000.0);
    fputs("}}\n}\n", f);
    return ferror(f) ? VKG_ERROR_IO : VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * DOT: passes as nodes clustered by queue, data flow as edges labelled with the resource
 * and the accesses, the barrier that guards the consumer on the edge, culled passes grey.
 * ---------------------------------------------------------------------------------------- */
static void vkg__dstr(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
}

static const vkg_plan_barrier *vkg__barrier_for(const vkg_plan_info *in, uint32_t k,
                                                uint32_t res)
{
    const vkg_plan_pass *p = &in->passes[k];
    for (uint32_t i = 0; i < p->barrier_count; i++)
        if (in->barriers[p->first_barrier + i].resource == res)
            return &in->barriers[p->first_barrier + i];
    for (uint32_t we = 0; we < p->wait_event_count; we++) {
        const vkg_plan_event *ev = &in->events[in->wait_events[p->first_wait_event + we]];
        for (uint32_t i = 0; i < ev->barrier_count; i++)
            if (in->barriers[ev->first_barrier + i].resource == res)
                return &in->barriers[ev->first_barrier + i];
    }
    return NULL;
}

/* The pass whose release matches an acquire (same resource, range and families), or
 * VKG__NO_INDEX when it is in a prologue. */
static uint32_t vkg__release_pass(const vkg_plan_info *in, const vkg_plan_barrier *acq)
{
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        for (uint32_t i = 0; i < p->post_count; i++) {
            const vkg_plan_barrier *r = &in->barriers[p->first_post + i];
            if ((r->flags & VKG_BARRIER_RELEASE) && r->resource == acq->resource &&
                r->src_family == acq->src_family && r->dst_family == acq->dst_family &&
                r->base_mip == acq->base_mip && r->mip_count == acq->mip_count &&
                r->base_layer == acq->base_layer && r->layer_count == acq->layer_count &&
                r->offset == acq->offset && r->size == acq->size)
                return k;
        }
    }
    return VKG__NO_INDEX;
}

vkg_result vkg_plan_write_dot(const vkg_plan *plan, FILE *f)
{
    if (!plan || !f) return VKG_ERROR_INVALID_ARGUMENT;
    const vkg_plan_info *in = &plan->info;
    fputs("digraph \"", f);
    vkg__dstr(f, in->name);
    fputs("\" {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
          "fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", "
          "fontsize=10];\n",
          f);
    static const char *colors[] = {"#dbe8fb", "#fbe7d5", "#ddf3dd"};
    for (uint32_t q = 0; q < in->queue_count; q++) {
        const vkg_plan_queue *pq = &in->queues[q];
        fprintf(f,
                "  subgraph cluster_q%u {\n    label=\"%s queue (family %u, %u submission%s)\";\n"
                "    style=filled; color=\"%s\";\n",
                q, vkg_queue_role_name(pq->role), pq->family, pq->submission_count,
                pq->submission_count == 1 ? "" : "s", colors[q % 3]);
        for (uint32_t i = 0; i < pq->pass_count; i++) {
            uint32_t k = in->queue_passes[pq->first_pass + i];
            fprintf(f, "    p%u [label=\"", k);
            vkg__dstr(f, in->passes[k].name);
            fprintf(f, "\\n#%u, submission %u\"];\n", k,
                    in->submissions[in->passes[k].submission].index);
        }
        fputs("  }\n", f);
    }
    if (in->culled_count) {
        fputs("  subgraph cluster_culled {\n    label=\"culled\"; style=dashed; color=grey;\n", f);
        for (uint32_t i = 0; i < in->culled_count; i++) {
            fprintf(f, "    c%u [label=\"", i);
            vkg__dstr(f, in->culled[i]);
            fputs("\", fillcolor=\"#dddddd\", fontcolor=\"#777777\", color=grey];\n", f);
        }
        fputs("  }\n", f);
    }
    /* data flow: from the last writer of each resource to every later user */
    uint32_t *writer = NULL;
    vkg__host host = plan->host;
    if (in->resource_count) {
        writer = vkg__alloc(&host, sizeof(uint32_t) * in->resource_count);
        if (!writer) return VKG__OOM(&host, "DOT export");
        for (uint32_t i = 0; i < in->resource_count; i++) writer[i] = VKG__NO_INDEX;
    }
    char s1[200], s2[200];
    for (uint32_t k = 0; k < in->pass_count; k++) {
        const vkg_plan_pass *p = &in->passes[k];
        for (uint32_t i = 0; i < p->use_count; i++) {
            const vkg_plan_use *u = &in->uses[p->first_use + i];
            const vkg_plan_resource *r = &in->resources[u->resource];
            const char *an = vkg_access_get(u->access)->name;
            uint32_t w = writer[u->resource];
            if (w != VKG__NO_INDEX && w != k) {
                fprintf(f, "  p%u -> p%u [label=\"", w, k);
                vkg__dstr(f, r->name);
                fprintf(f, ": %s", an);
                const vkg_plan_barrier *b = vkg__barrier_for(in, k, u->resource);
                if (b) {
                    fprintf(f, "\\n%s -> %s", vkg_stage_mask_string(b->src_stage, s1, sizeof s1),
                            vkg_stage_mask_string(b->dst_stage, s2, sizeof s2));
                    if (r->is_image && b->old_layout != b->new_layout)
                        fprintf(f, "\\n%s -> %s", vkg_layout_name(b->old_layout),
                                vkg_layout_name(b->new_layout));
                    if (b->flags & VKG_BARRIER_ACQUIRE) {
                        /* both halves: where the old family let go, where this one takes it */
                        uint32_t rp = vkg__release_pass(in, b);
                        fprintf(f, "\\nqueue transfer, family %u -> %u:\\nreleased after ",
                                b->src_family, b->dst_family);
                        if (rp == VKG__NO_INDEX) fputs("a prologue", f);
                        else {
                            fprintf(f, "#%u ", rp);
                            vkg__dstr(f, in->passes[rp].name);
                        }
                        fputs(", acquired here", f);
                    }
                    if (b->flags & VKG_BARRIER_SPLIT) fputs("\\nsplit (event)", f);
                }
                fprintf(f, "\"%s];\n",
                        b && (b->flags & VKG_BARRIER_ACQUIRE) ? ", color=\"#c0392b\"" : "");
            } else if (w == VKG__NO_INDEX && r->imported) {
                fprintf(f, "  in%u_%u [shape=note, fillcolor=\"#ffffff\", label=\"", u->resource, k);
                vkg__dstr(f, r->name);
                fprintf(f, " (imported)\"];\n  in%u_%u -> p%u [label=\"%s\"];\n", u->resource, k,
                        k, an);
            }
        }
        for (uint32_t i = 0; i < p->use_count; i++) {
            const vkg_plan_use *u = &in->uses[p->first_use + i];
            if (vkg_access_get(u->access)->write) writer[u->resource] = k;
        }
    }
    for (uint32_t i = 0; i < in->resource_count; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (!r->output || writer[i] == VKG__NO_INDEX) continue;
        fprintf(f, "  out%u [shape=note, fillcolor=\"#ffffff\", label=\"", i);
        vkg__dstr(f, r->name);
        fprintf(f, " (output)\"];\n  p%u -> out%u;\n", writer[i], i);
    }
    vkg__free(&host, writer);
    fputs("}\n", f);
    return ferror(f) ? VKG_ERROR_IO : VKG_SUCCESS;
}
