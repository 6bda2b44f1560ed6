/* Per-pass GPU timings of an executor (vkg_executor_desc.pass_timings): a timestamp query
 * pool per realisation (plan x frame slot), two queries per pass, written around the pass's
 * record callback on queues whose family has timestamps; reset on the host when the
 * realisation executes again (its last execution is done: the frame slot waited for it),
 * read by vkg_executor_pass_timings in between. */
#include "internal.h"

/* The query pool and which passes get timestamps; nothing when the executor has no timings
 * or no queue the plan uses can write them. */
vkg_result vkg__real_timings(vkg_executor *ex, vkg__real *x)
{
    if (!ex->timings) return VKG_SUCCESS;
    vkg_device *dev = ex->dev;
    const vkg_plan_info *in = &x->in;
    x->stamped = vkg__calloc(&ex->host, in->pass_count + 1, sizeof *x->stamped);
    x->stamp_values = vkg__calloc(&ex->host, 4 * (size_t)in->pass_count + 1, sizeof(uint64_t));
    if (!x->stamped || !x->stamp_values) return VKG__OOM(&ex->host, "pass timings");
    uint32_t stamped = 0;
    for (uint32_t k = 0; k < in->pass_count; k++) {
        uint32_t family = in->queues[in->passes[k].queue].family;
        x->stamped[k] = in->passes[k].record && family < dev->caps.queue_family_count &&
                        dev->caps.queue_families[family].timestamp_valid_bits > 0;
        stamped += x->stamped[k];
    }
    if (!stamped) return VKG_SUCCESS;
    VkQueryPoolCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                 .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                 .queryCount = 2 * in->pass_count};
    VkResult vr = dev->vk.vkCreateQueryPool(dev->device, &qci, dev->vkac, &x->queries);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateQueryPool", in->name);
    vkg__set_name(dev, VK_OBJECT_TYPE_QUERY_POOL, (uint64_t)x->queries, in->name);
    return VKG_SUCCESS;
}

void vkg__timings_destroy(vkg_executor *ex, vkg__real *x)
{
    if (x->queries) ex->dev->vk.vkDestroyQueryPool(ex->dev->device, x->queries, ex->dev->vkac);
    vkg__free(&ex->host, x->stamped);
    vkg__free(&ex->host, x->stamp_values);
}

/* Device ticks to nanoseconds, exactly where a tick is a nanosecond. */
static uint64_t vkg__ticks_ns(uint64_t ticks, float period)
{
    return period == 1.0f ? ticks : (uint64_t)((long double)ticks * (long double)period);
}

/* Before recording an execution: every query back to unavailable (none is pending: the
 * slot's previous work finished before this frame began). */
void vkg__timings_reset(vkg_executor *ex, vkg__real *x)
{
    if (x->queries) ex->dev->vk.vkResetQueryPool(ex->dev->device, x->queries, 0, 2 * x->in.pass_count);
    x->ticket = (vkg_ticket){0, 0};
}

/* The pass's realisation holding `ticket`'s execution of `plan`, if its timings are still
 * there (the realisation has not executed again). */
static vkg__real *vkg__real_of_ticket(vkg_executor *ex, const vkg_plan *plan, vkg_ticket ticket)
{
    for (uint32_t f = 0; f < ex->frames; f++) {
        const vkg__slot *slot = &ex->slots[f];
        for (uint32_t i = 0; i < slot->real_count; i++) {
            vkg__real *x = slot->reals[i];
            if (x->plan == plan && x->serial == plan->serial && x->ticket.queue == ticket.queue &&
                x->ticket.value == ticket.value && ticket.value)
                return x;
        }
    }
    return NULL;
}

vkg_result vkg_executor_pass_timings(vkg_executor *ex, const vkg_plan *plan, vkg_ticket ticket,
                                     vkg_pass_timing *out, uint32_t count)
{
    if (!ex || !plan || (!out && count)) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&ex->host, ex->timings, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_pass_timings(\"%s\"): executor \"%s\" was made without "
              "vkg_executor_desc.pass_timings",
              plan->info.name, ex->name);
    VKG_CHECK(&ex->host, count == plan->info.pass_count, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_pass_timings(\"%s\"): count is %u, the plan has %u passes", plan->info.name,
              count, plan->info.pass_count);
    vkg__real *x = vkg__real_of_ticket(ex, plan, ticket);
    VKG_CHECK(&ex->host, x != NULL, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_executor_pass_timings(\"%s\"): ticket (queue %u, value %llu) is not the last "
              "execution of this plan in any frame slot of executor \"%s\": read the timings after "
              "the ticket completes and before the plan executes again in its slot "
              "(frames_in_flight executions later)",
              plan->info.name, ticket.queue, (unsigned long long)ticket.value, ex->name);
    if (!vkg_ticket_complete(ex->dev, ticket)) return VKG_NOT_READY;
    memset(out, 0, (size_t)count * sizeof *out);
    if (!x->queries) return VKG_SUCCESS;
    /* every query was reset before the execution, so all are read in one call: a pass that
     * wrote no timestamps reads as unavailable */
    vkg_device *dev = ex->dev;
    uint64_t *q = x->stamp_values; /* per query: value, availability */
    VkResult vr = dev->vk.vkGetQueryPoolResults(dev->device, x->queries, 0, 2 * count,
                                                4 * (size_t)count * sizeof *q, q, 2 * sizeof *q,
                                                VK_QUERY_RESULT_64_BIT |
                                                    VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    if (vr != VK_SUCCESS && vr != VK_NOT_READY)
        return VKG__VK_FAIL(dev, vr, "vkGetQueryPoolResults", plan->info.name);
    float period = dev->caps.timestamp_period_ns;
    for (uint32_t k = 0; k < count; k++) {
        const uint64_t *p = q + 4 * k; /* begin, available, end, available */
        if (!x->stamped[k] || !p[1] || !p[3] || p[2] < p[0]) continue;
        out[k] = (vkg_pass_timing){.valid = true,
                                   .begin_ns = vkg__ticks_ns(p[0], period),
                                   .end_ns = vkg__ticks_ns(p[2], period)};
    }
    return VKG_SUCCESS;
}
