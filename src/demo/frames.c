/* `vkgraph demo`: one frame: the camera, the frame slot (waiting for its last use and
 * collecting its GPU timestamps), vkg_execute, and draining the slots at the end; shared by
 * the headless loop (demo.c) and the window loop (window.c). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static void stat_add(pass_stat *s, double v)
{
    if (s->n == 0 || v < s->min) s->min = v;
    if (s->n == 0 || v > s->max) s->max = v;
    s->sum += v;
    s->n++;
}

/* The slot's timestamps, once its frame completed. */
static void collect(demo *d, frame_stats *fs, uint32_t s, uint32_t frame)
{
    if (!d->queries[s]) return;
    uint32_t n = d->info.pass_count;
    uint64_t q[4 * MAX_PASSES + 4];
    VkResult vr = d->t->vkGetQueryPoolResults(d->d, d->queries[s], 0, 2 * n, sizeof q, q, 16,
                                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    if (vr != VK_SUCCESS && vr != VK_NOT_READY) return;
    double period = vkg_device_caps(d->dev)->timestamp_period_ns;
    fs->pass_count = n;
    for (uint32_t k = 0; k < n; k++) {
        const uint64_t *a = q + 4 * k; /* start value, availability, end value, availability */
        fs->pass_name[k] = d->info.passes[k].name;
        fs->pass_role[k] = d->info.passes[k].role;
        fs->pass_records[k] = d->info.passes[k].record != NULL;
        if (!a[1] || !a[3] || a[2] < a[0]) continue;
        double us = (double)(a[2] - a[0]) * period / 1000.0;
        stat_add(&fs->pass[k], us);
        if (!fs->gpu_t0_set) {
            fs->gpu_t0 = a[0];
            fs->gpu_t0_set = true;
        }
        if (fs->events && fs->event_count < TRACE_MAX && a[0] >= fs->gpu_t0)
            fs->events[fs->event_count++] =
                (trace_event){frame, k, (double)(a[0] - fs->gpu_t0) * period / 1000.0, us};
    }
}

void vkgd__camera(demo *d, float time, uint32_t w, uint32_t h)
{
    float a = 0.7f + 0.08f * time, view[16], proj[16];
    d->time = time;
    d->eye = v3(11.5f * cosf(a), 6.5f, 11.5f * sinf(a));
    mat_look_at(view, d->eye, v3(0, 0.4f, 0), v3(0, 1, 0));
    mat_perspective(proj, 0.9f, (float)w / (float)h, 0.1f, 80.0f);
    mat_mul(d->view_proj, proj, view);
    mat_inverse(d->inv_view_proj, d->view_proj);
}

/* Waits for the slot's last frame and reads its timestamps. */
static int slot_wait(demo *d, frame_stats *fs, uint32_t s)
{
    if (!d->pending[s]) return 0;
    VKGCHECK(d, vkg_ticket_wait(d->dev, d->tickets[s], UINT64_MAX), "waiting for a frame");
    d->pending[s] = false;
    collect(d, fs, s, d->slot_frame[s]);
    return 0;
}

/* Then resets what the slot's recording uses. */
int vkgd__slot_begin(demo *d, frame_stats *fs, uint32_t s)
{
    if (slot_wait(d, fs, s)) return d->status;
    d->cpu_start = vkg__now_us(); /* the frame's CPU time starts after the wait for the GPU */
    VKCHECK(d, d->t->vkResetDescriptorPool(d->d, d->pools[s], 0));
    if (d->queries[s]) d->t->vkResetQueryPool(d->d, d->queries[s], 0, d->query_count);
    d->slot = s;
    return 0;
}

int vkgd__execute(demo *d, frame_stats *fs, uint32_t frame, const vkg_binding *binds, uint32_t nb)
{
    double t0 = vkg__now_us();
    vkg_ticket ticket;
    vkg_result r = vkg_execute(d->plan, &(vkg_execute_desc){.executor = d->ex, .bindings = binds, .binding_count = nb},
                               &ticket);
    double t1 = vkg__now_us();
    stat_add(&fs->frame, t1 - d->cpu_start);
    if (d->status) return d->status; /* a record callback failed */
    if (r != VKG_SUCCESS) return vkgd__failf(d, 1, "vkg_execute failed on frame %u: %s", frame, vkg_result_name(r));
    d->tickets[d->slot] = ticket;
    d->slot_frame[d->slot] = frame;
    d->pending[d->slot] = true;
    stat_add(&fs->exec, t1 - t0);
    if (fs->cpu_start && frame < fs->frames_cap) {
        fs->cpu_start[frame] = t0 - fs->t0;
        fs->cpu_dur[frame] = t1 - t0;
    }
    return 0;
}

int vkgd__drain(demo *d, frame_stats *fs)
{
    for (;;) { /* oldest frame first, so the trace stays in order */
        uint32_t s = SLOTS;
        for (uint32_t k = 0; k < SLOTS; k++)
            if (d->pending[k] && (s == SLOTS || d->slot_frame[k] < d->slot_frame[s])) s = k;
        if (s == SLOTS) return 0;
        if (slot_wait(d, fs, s)) return d->status;
    }
}
