/* Per-queue timeline semaphores and tickets. Every submission vkgraph makes on a queue
 * signals that queue's semaphore with the next value, under the queue's lock, so values
 * rise in submission order and a ticket (queue, value) covers all earlier work there. */
#include "device.h"

#include <pthread.h>

/* Which locks a set of device queues needs, as a set of lock owners. */
static void vkg__dq_locks(const vkg_device *dev, const bool *used, bool *locks)
{
    for (uint32_t q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) locks[q] = false;
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (used[q]) locks[dev->dq[q].lock_of] = true;
}

void vkg__dq_lock_set(vkg_device *dev, const bool *used)
{
    bool locks[VKG_QUEUE_ROLE_COUNT];
    vkg__dq_locks(dev, used, locks);
    for (uint32_t q = 0; q < dev->dq_count; q++)
        if (locks[q]) pthread_mutex_lock(&dev->dq[q].lock);
}

void vkg__dq_unlock_set(vkg_device *dev, const bool *used)
{
    bool locks[VKG_QUEUE_ROLE_COUNT];
    vkg__dq_locks(dev, used, locks);
    for (uint32_t q = dev->dq_count; q-- > 0;)
        if (locks[q]) pthread_mutex_unlock(&dev->dq[q].lock);
}

vkg_result vkg__timelines_create(vkg_device *dev)
{
    dev->dq_count = 0;
    for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
        /* the device queue of the same VkQueue, if any */
        uint32_t same = 0;
        while (same < dev->dq_count && dev->dq[same].queue != dev->queues[role].queue) same++;
        uint32_t i = dev->caps.queue_split ? dev->dq_count : same;
        if (i == dev->dq_count) {
            struct vkg__dqueue *q = &dev->dq[i];
            q->queue = dev->queues[role].queue;
            q->family = dev->queues[role].family;
            q->submitted = 0;
            q->lock_of = same < dev->dq_count ? same : i;
            VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                              .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
            VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                        .pNext = &type};
            VkResult vr = dev->vk.vkCreateSemaphore(dev->device, &ci, dev->vkac, &q->timeline);
            if (vr != VK_SUCCESS)
                return VKG__VK_FAIL(dev, vr, "vkCreateSemaphore", "a queue timeline");
            if (q->lock_of == i && pthread_mutex_init(&q->lock, NULL) != 0) {
                dev->vk.vkDestroySemaphore(dev->device, q->timeline, dev->vkac);
                q->timeline = VK_NULL_HANDLE;
                VKG__ERROR(&dev->host, "pthread_mutex_init failed for a queue lock");
                return VKG_ERROR_OUT_OF_HOST_MEMORY;
            }
            char name[32];
            snprintf(name, sizeof name, "vkgraph timeline %s", vkg_queue_role_name(role));
            vkg__set_name(dev, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)q->timeline, name);
            dev->dq_count++;
        }
        dev->role_dq[role] = i;
    }
    return VKG_SUCCESS;
}

void vkg__timelines_destroy(vkg_device *dev)
{
    for (uint32_t i = 0; i < dev->dq_count; i++) {
        if (dev->dq[i].timeline) {
            dev->vk.vkDestroySemaphore(dev->device, dev->dq[i].timeline, dev->vkac);
            if (dev->dq[i].lock_of == i) pthread_mutex_destroy(&dev->dq[i].lock);
        }
        dev->dq[i].timeline = VK_NULL_HANDLE;
    }
    dev->dq_count = 0;
}

uint32_t vkg_device_queue_count(const vkg_device *device)
{
    return device ? device->dq_count : 0;
}

uint32_t vkg_device_role_queue(const vkg_device *device, vkg_queue_role role)
{
    if (!device || (unsigned)role >= VKG_QUEUE_ROLE_COUNT) return 0;
    return device->role_dq[role];
}

VkSemaphore vkg_device_timeline(const vkg_device *device, uint32_t queue)
{
    if (!device || queue >= device->dq_count) return VK_NULL_HANDLE;
    return device->dq[queue].timeline;
}

bool vkg__ticket_valid(vkg_device *dev, vkg_ticket t, const char *call)
{
    if (t.value == 0) return true;
    if (t.queue >= dev->dq_count) {
        VKG__ERROR(&dev->host, "%s: ticket queue %u, but the device has %u queues", call,
                   t.queue, dev->dq_count);
        return false;
    }
    struct vkg__dqueue *q = &dev->dq[t.queue];
    pthread_mutex_lock(vkg__dq_mutex(dev, t.queue));
    uint64_t submitted = q->submitted;
    pthread_mutex_unlock(vkg__dq_mutex(dev, t.queue));
    if (t.value > submitted) {
        VKG__ERROR(&dev->host,
                   "%s: ticket {queue %u, value %llu} was never issued (the queue's last "
                   "submission is %llu)",
                   call, t.queue, (unsigned long long)t.value, (unsigned long long)submitted);
        return false;
    }
    return true;
}

bool vkg_ticket_complete(vkg_device *device, vkg_ticket ticket)
{
    if (!device) return false;
    if (ticket.value == 0) return true;
    if (ticket.queue >= device->dq_count) return false;
    uint64_t v = 0;
    VkResult vr =
        device->vk.vkGetSemaphoreCounterValue(device->device, device->dq[ticket.queue].timeline, &v);
    if (vr != VK_SUCCESS) {
        VKG__VK_FAIL(device, vr, "vkGetSemaphoreCounterValue", "a queue timeline");
        return false;
    }
    return v >= ticket.value;
}

vkg_result vkg_ticket_wait(vkg_device *device, vkg_ticket ticket, uint64_t timeout_ns)
{
    if (!device) return VKG_ERROR_INVALID_ARGUMENT;
    if (!vkg__ticket_valid(device, ticket, "vkg_ticket_wait")) return VKG_ERROR_INVALID_ARGUMENT;
    if (ticket.value == 0) return VKG_SUCCESS;
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .semaphoreCount = 1,
                              .pSemaphores = &device->dq[ticket.queue].timeline,
                              .pValues = &ticket.value};
    /* A lost device makes the driver's wait return at once, but vkg_device_debug_lose only
     * sets a flag: long waits go in slices of 50 ms so that they notice it too. (A wait on a
     * second, host-signalled semaphore would wake at once, but the validation layer does not
     * record a multi-semaphore WAIT_ANY as completing the work, and then reports the command
     * buffers of every frame as still in use.) */
    const uint64_t slice = 50000000;
    for (;;) {
        if (atomic_load(&device->lost)) return VKG_ERROR_DEVICE_LOST;
        uint64_t t = timeout_ns < slice ? timeout_ns : slice;
        VkResult vr = device->vk.vkWaitSemaphores(device->device, &wi, t);
        if (vr == VK_SUCCESS) return VKG_SUCCESS;
        if (vr != VK_TIMEOUT) return VKG__VK_FAIL(device, vr, "vkWaitSemaphores", "a ticket");
        if (timeout_ns != UINT64_MAX) {
            timeout_ns -= t;
            if (timeout_ns == 0) return VKG_TIMEOUT;
        }
    }
}

vkg_result vkg_submit(vkg_device *device, const vkg_submit_desc *desc, vkg_ticket *ticket)
{
    if (ticket) *ticket = (vkg_ticket){0, 0};
    if (!device || !desc) return VKG_ERROR_INVALID_ARGUMENT;
    VKG_CHECK(&device->host, (unsigned)desc->role < VKG_QUEUE_ROLE_COUNT,
              VKG_ERROR_INVALID_ARGUMENT, "vkg_submit: queue role %d does not exist",
              (int)desc->role);
    VKG_CHECK(&device->host, desc->command_buffer_count == 0 || desc->command_buffers,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_submit: command_buffer_count is %u but command_buffers is NULL",
              desc->command_buffer_count);
    VKG_CHECK(&device->host, desc->wait_count == 0 || desc->waits, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_submit: wait_count is %u but waits is NULL", desc->wait_count);
    VKG_CHECK(&device->host,
              desc->semaphore_wait_count <= VKG_MAX_SUBMIT_SEMAPHORES &&
                  desc->semaphore_signal_count <= VKG_MAX_SUBMIT_SEMAPHORES &&
                  (!desc->semaphore_wait_count || desc->semaphore_waits) &&
                  (!desc->semaphore_signal_count || desc->semaphore_signals),
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_submit: %u semaphore waits and %u signals (at most %u each, arrays "
              "non-NULL)",
              desc->semaphore_wait_count, desc->semaphore_signal_count,
              VKG_MAX_SUBMIT_SEMAPHORES);
    if (atomic_load(&device->lost)) return VKG_ERROR_DEVICE_LOST;
    /* waits: the latest ticket per queue covers the earlier ones */
    uint64_t latest[VKG_QUEUE_ROLE_COUNT] = {0};
    for (uint32_t i = 0; i < desc->wait_count; i++) {
        if (!vkg__ticket_valid(device, desc->waits[i], "vkg_submit"))
            return VKG_ERROR_INVALID_ARGUMENT;
        if (desc->waits[i].value > latest[desc->waits[i].queue])
            latest[desc->waits[i].queue] = desc->waits[i].value;
    }
    uint32_t dq = device->role_dq[desc->role];
    VkSemaphoreSubmitInfo waits[VKG_QUEUE_ROLE_COUNT + VKG_MAX_SUBMIT_SEMAPHORES];
    VkSemaphoreSubmitInfo signals[1 + VKG_MAX_SUBMIT_SEMAPHORES];
    uint32_t nw = 0;
    for (uint32_t i = 0; i < desc->semaphore_wait_count; i++)
        waits[nw++] = desc->semaphore_waits[i];
    for (uint32_t q = 0; q < device->dq_count; q++)
        if (latest[q] && q != dq)
            waits[nw++] = (VkSemaphoreSubmitInfo){
                .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                .semaphore = device->dq[q].timeline,
                .value = latest[q],
                .stageMask = desc->wait_stage ? desc->wait_stage
                                              : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    /* (a wait on the same queue's earlier value needs no semaphore: the timeline only
     * advances past it once that work is done, and submission order holds the rest only
     * with a barrier, which the caller records; see the header) */
    struct vkg__dqueue *q = &device->dq[dq];
    pthread_mutex_lock(vkg__dq_mutex(device, dq));
    signals[0] = (VkSemaphoreSubmitInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                         .semaphore = q->timeline,
                                         .value = q->submitted + 1,
                                         .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    for (uint32_t i = 0; i < desc->semaphore_signal_count; i++)
        signals[1 + i] = desc->semaphore_signals[i];
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = nw,
                        .pWaitSemaphoreInfos = waits,
                        .commandBufferInfoCount = desc->command_buffer_count,
                        .pCommandBufferInfos = desc->command_buffers,
                        .signalSemaphoreInfoCount = 1 + desc->semaphore_signal_count,
                        .pSignalSemaphoreInfos = signals};
    VkResult vr = device->vk.vkQueueSubmit2(q->queue, 1, &si, VK_NULL_HANDLE);
    if (vr == VK_SUCCESS) q->submitted++;
    uint64_t value = q->submitted;
    pthread_mutex_unlock(vkg__dq_mutex(device, dq));
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(device, vr, "vkQueueSubmit2", "vkg_submit");
    if (ticket) *ticket = (vkg_ticket){dq, value};
    return VKG_SUCCESS;
}

VkResult vkg_queue_present(vkg_device *device, vkg_queue_role role, const VkPresentInfoKHR *info)
{
    if (!device || !info || (unsigned)role >= VKG_QUEUE_ROLE_COUNT) return VK_ERROR_INITIALIZATION_FAILED;
    if (!device->caps.swapchain || !device->vk.vkQueuePresentKHR) {
        VKG__ERROR(&device->host, "vkg_queue_present: the device was made without vkg_device_desc.swapchain");
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    uint32_t dq = device->role_dq[role];
    pthread_mutex_lock(vkg__dq_mutex(device, dq));
    VkResult vr = device->vk.vkQueuePresentKHR(device->dq[dq].queue, info);
    pthread_mutex_unlock(vkg__dq_mutex(device, dq));
    if (vr == VK_ERROR_DEVICE_LOST) VKG__VK_FAIL(device, vr, "vkQueuePresentKHR", "vkg_queue_present");
    return vr;
}

