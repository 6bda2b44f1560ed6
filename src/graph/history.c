/* History resources: what a graph keeps from one execution for the next.
 *
 * A resource declared with history = 1 becomes two graph resources: NAME, which the passes
 * of an execution write (its contents start undefined in each execution), and NAME@prev,
 * which holds what NAME held at the end of the previous execution and is only read. Both
 * are imported as far as the compiler is concerned: never aliased, never culled away from
 * their writers, their first-use barriers patched at submit time from the tracked state of
 * the object they are bound to. The executor owns two objects per history resource and binds
 * them crosswise each execution (exec/history.c), so the state one execution leaves in NAME
 * is the state the next finds in NAME@prev: the compiler assumes NAME's last use in the plan
 * as NAME@prev's imported state, which is exact from the second execution on. */
#include "compile.h"

#include <stdio.h>
#include <string.h>

#define VKG__PREV_SUFFIX "@prev"

static bool vkg__ends_with_prev(const char *name)
{
    size_t n = strlen(name), s = sizeof VKG__PREV_SUFFIX - 1;
    return n >= s && strcmp(name + n - s, VKG__PREV_SUFFIX) == 0;
}

vkg_result vkg__history_declare(const vkg_graph *g, vkg__gres *r, uint32_t history, vkg_history_init init)
{
    const char *kind = vkg__res_kind(r);
    const char *name = r->name ? r->name : "(unnamed)";
    VKG_CHECK(&g->host, !r->name || !vkg__ends_with_prev(r->name), VKG_ERROR_INVALID_ARGUMENT,
              "%s \"%s\": names ending in \"@prev\" are the previous contents of history "
              "resources: declare \"%.*s\" with history = 1 to read them",
              kind, name, (int)(strlen(name) - (sizeof VKG__PREV_SUFFIX - 1)), name);
    if (!history) return VKG_SUCCESS;
    VKG_CHECK(&g->host, history == 1, VKG_ERROR_INVALID_ARGUMENT,
              "%s \"%s\": history is %u; vkgraph keeps one previous execution (history = 1)",
              kind, name, history);
    VKG_CHECK(&g->host, !r->imported, VKG_ERROR_INVALID_ARGUMENT,
              "%s \"%s\": history and imported together: the executor owns a history resource's "
              "objects; import your own and swap them yourself, or drop imported",
              kind, name);
    VKG_CHECK(&g->host, (unsigned)init <= VKG_HISTORY_CLEAR, VKG_ERROR_INVALID_ARGUMENT,
              "%s \"%s\": history_init %d is not a vkg_history_init", kind, name, (int)init);
    VKG_CHECK(&g->host, !r->is_image || r->samples <= 1, VKG_ERROR_INVALID_ARGUMENT,
              "image \"%s\": a history image must be single-sampled (resolve into one)", name);
    r->imported = true;
    r->state = (vkg_import_state){VKG_ACCESS_NONE, VKG_QUEUE_GRAPHICS};
    r->history = 1;
    r->history_clear = init == VKG_HISTORY_CLEAR;
    return VKG_SUCCESS;
}

vkg_result vkg__history_prev(const vkg_graph *g, const vkg__gres *r, uint32_t cur, vkg__gres *prev, char *name,
                             size_t name_size)
{
    int n = snprintf(name, name_size, "%s" VKG__PREV_SUFFIX, r->name);
    VKG_CHECK(&g->host, n > 0 && (size_t)n < name_size, VKG_ERROR_INVALID_ARGUMENT,
              "%s \"%.40s...\": a history resource's name must be shorter than %zu bytes",
              vkg__res_kind(r), r->name, name_size - sizeof VKG__PREV_SUFFIX);
    *prev = *r;
    prev->name = name;
    prev->history = 2;
    prev->history_pair = cur;
    prev->output = false;
    if (r->is_image) { /* sized from NAME, so a resize of NAME (or of its own root) reaches it */
        prev->size_of = cur;
        prev->scale_x = prev->scale_y = 1.0f;
    }
    return VKG_SUCCESS;
}

vkg_resource vkg_graph_previous(const vkg_graph *g, vkg_resource resource)
{
    if (!g || !resource.id || resource.id > g->res_count) return (vkg_resource){0};
    const vkg__gres *r = &g->res[resource.id - 1];
    return (vkg_resource){r->history == 1 ? r->history_pair + 1 : 0};
}

/* The rules a pass meets using a history pair (from vkg__validate_reads, per use): NAME@prev
 * is read-only. */
vkg_result vkg__history_use(const vkg__ctx *c, uint32_t p, const vkg__gres *r, const vkg__guse *u)
{
    const vkg_graph *g = c->g;
    if (r->history != 2 || !vkg_access_get(u->access)->write) return VKG_SUCCESS;
    VKG__ERROR(&g->host,
               "pass \"%s\" writes %s \"%s\" as \"%s\": it holds the previous execution's contents "
               "of \"%s\" and is read-only: write \"%s\"",
               g->passes[p].name, vkg__res_kind(r), r->name, vkg_access_get(u->access)->name,
               g->res[r->history_pair].name, g->res[r->history_pair].name);
    return VKG_ERROR_INVALID_ARGUMENT;
}

/* After ordering: NAME@prev's assumed state is NAME's last use in this plan (what the
 * previous execution of it left); a history resource no live pass writes is refused. */
vkg_result vkg__history_states(vkg__ctx *c)
{
    vkg_graph *g = c->g;
    for (uint32_t ri = 0; ri < g->res_count; ri++) {
        vkg__gres *r = &g->res[ri];
        if (r->history != 1) continue;
        vkg__gres *prev = &g->res[r->history_pair];
        prev->state = (vkg_import_state){VKG_ACCESS_NONE, VKG_QUEUE_GRAPHICS};
        const vkg__rws *w = &c->rws[ri];
        if (w->first == VKG__NO_INDEX) {
            VKG_CHECK(&g->host, c->rws[r->history_pair].first == VKG__NO_INDEX,
                      VKG_ERROR_INVALID_ARGUMENT,
                      "%s \"%s\": passes read \"%s\" but no pass writes \"%s\": the next execution "
                      "would read nothing but the first one's contents: write it in a pass",
                      vkg__res_kind(r), r->name, prev->name, r->name);
            continue;
        }
        const vkg__gpass *gp = &g->passes[c->order[w->last_real]];
        for (uint32_t i = 0; i < gp->use_count; i++) {
            const vkg__guse *u = &g->uses[gp->first_use + i];
            if (u->resource == ri) prev->state = (vkg_import_state){(vkg_access)u->access, gp->role};
        }
    }
    return VKG_SUCCESS;
}
