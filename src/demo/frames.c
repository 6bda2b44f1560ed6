/* `vkgraph demo`: one frame: the camera, the frame slot (waiting for its last use and
 * handing its pass times to the profiler), vkg_execute, and draining the slots at the end; shared by
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

/* The slot's pass times into the profiler, once its frame completed. */
static int collect(demo *d, uint32_t s)
{
    if (!d->prof) return 0;
    VKGCHECK(d, vkg_profiler_add(d->prof, d->ex, d->plan, d->tickets[s], d->slot_cpu_t0[s], d->slot_cpu_us[s]),
             "reading the GPU times of a frame");
    return 0;
}

void vkgd__camera(demo *d, float time, uint32_t w, uint32_t h)
{
    float a = 0.7f + 0.08f * time, view[16], proj[16];
    d->time = time;
    d->eye = v3(11.5f * cosf(a), 6.5f, 11.5f * sinf(a));
    mat_look_at(view, d->eye, v3(0, 0.4f, 0), v3(0, 1, 0));
    mat_perspective(proj, 0.9f, (float)w / (float)h, 0.1f, 80.0f);
    /* last frame's camera for the temporal pass (the first frame of a history has none) */
    if (d->history_frames) memcpy(d->prev_view_proj, d->view_proj, sizeof d->prev_view_proj);
    mat_mul(d->view_proj, proj, view);
    if (!d->history_frames) memcpy(d->prev_view_proj, d->view_proj, sizeof d->prev_view_proj);
    mat_inverse(d->inv_view_proj, d->view_proj);
}

/* Waits for the slot's last frame and reads its pass times. */
static int slot_wait(demo *d, uint32_t s)
{
    if (!d->pending[s]) return 0;
    VKGCHECK(d, vkg_ticket_wait(d->dev, d->tickets[s], UINT64_MAX), "waiting for a frame");
    d->pending[s] = false;
    return collect(d, s);
}

/* Then resets what the slot's recording uses. */
int vkgd__slot_begin(demo *d, uint32_t s)
{
    if (slot_wait(d, s)) return d->status;
    d->cpu_start = vkg__now_us(); /* the frame's CPU time starts after the wait for the GPU */
    VKCHECK(d, d->t->vkResetDescriptorPool(d->d, d->pools[s], 0));
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
    d->history_frames++;
    d->slot_frame[d->slot] = frame;
    d->pending[d->slot] = true;
    d->slot_cpu_t0[d->slot] = t0;
    d->slot_cpu_us[d->slot] = t1 - t0;
    stat_add(&fs->exec, t1 - t0);
    return 0;
}

int vkgd__drain(demo *d)
{
    for (;;) { /* oldest frame first, so the trace stays in order */
        uint32_t s = SLOTS;
        for (uint32_t k = 0; k < SLOTS; k++)
            if (d->pending[k] && (s == SLOTS || d->slot_frame[k] < d->slot_frame[s])) s = k;
        if (s == SLOTS) return 0;
        if (slot_wait(d, s)) return d->status;
    }
}
