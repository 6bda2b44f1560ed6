/* VK_LAYER_VKGRAPH_simulate_families: its state: instances, physical devices, devices, command
 * pools and command buffers, found by handle under one mutex. */
#include "sim_internal.h"

void sim_log(const char *fmt, const char *detail)
{
    fprintf(stderr, "%s: ", VKG__SIMULATE_LAYER);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------------------------------------
 * State: instances, physical devices, devices, command pools and command buffers. One mutex
 * guards the tables; the layer serves tests and tools, not a frame loop, so lookups are
 * linear in the (few) instances, devices and pools, and hashed for command buffers.
 * ---------------------------------------------------------------------------------------- */

sim_state sim = {.lock = PTHREAD_MUTEX_INITIALIZER};

bool sim_grow(void **array, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap * 2 : 8;
    while (n < need) n *= 2;
    void *p = realloc(*array, (size_t)n * elem);
    if (!p) return false;
    *array = p;
    *cap = n;
    return true;
}

static sim_node *sim_list_find(sim_node *const *head, const void *handle)
{
    pthread_mutex_lock(&sim.lock);
    sim_node *n = *head;
    while (n && n->handle != handle) n = n->next;
    pthread_mutex_unlock(&sim.lock);
    return n;
}

void sim_list_push(sim_node **head, sim_node *node, const void *handle)
{
    node->handle = handle;
    pthread_mutex_lock(&sim.lock);
    node->next = *head;
    *head = node;
    pthread_mutex_unlock(&sim.lock);
}

void sim_list_remove(sim_node **head, const sim_node *node)
{
    pthread_mutex_lock(&sim.lock);
    for (sim_node **p = head; *p; p = &(*p)->next)
        if (*p == node) {
            *p = node->next;
            break;
        }
    pthread_mutex_unlock(&sim.lock);
}

sim_instance *sim_instance_of(VkInstance instance)
{
    return (sim_instance *)sim_list_find(&sim.instances, instance);
}

/* Copies the physical device's record (the record array may move). */
bool sim_physical_of(VkPhysicalDevice pd, sim_physical *out)
{
    bool found = false;
    pthread_mutex_lock(&sim.lock);
    for (uint32_t i = 0; i < sim.physical_count && !found; i++)
        if (sim.physicals[i].pd == pd) {
            *out = sim.physicals[i];
            found = true;
        }
    pthread_mutex_unlock(&sim.lock);
    return found;
}

sim_device *sim_device_of(VkDevice device)
{
    return (sim_device *)sim_list_find(&sim.devices, device);
}

static uint32_t sim_cmd_slot(VkCommandBuffer cb)
{
    uintptr_t h = (uintptr_t)cb;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) & (sim.cmd_cap - 1);
}

static bool sim_cmd_rehash(uint32_t cap)
{
    sim_cmd *old = sim.cmds;
    uint32_t old_cap = sim.cmd_cap;
    sim.cmds = calloc(cap, sizeof *sim.cmds);
    if (!sim.cmds) {
        sim.cmds = old;
        return false;
    }
    sim.cmd_cap = cap;
    sim.cmd_used = 0;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (!old[i].cb || old[i].cb == SIM_TOMBSTONE) continue;
        uint32_t s = sim_cmd_slot(old[i].cb);
        while (sim.cmds[s].cb) s = (s + 1) & (cap - 1);
        sim.cmds[s] = old[i];
        sim.cmd_used++;
    }
    free(old);
    return true;
}

/* Under sim.lock. */
bool sim_cmd_insert(const sim_cmd *c)
{
    if ((sim.cmd_used + 1) * 2 > sim.cmd_cap &&
        !sim_cmd_rehash(sim.cmd_cap ? sim.cmd_cap * 2 : 256))
        return false;
    uint32_t s = sim_cmd_slot(c->cb);
    while (sim.cmds[s].cb && sim.cmds[s].cb != SIM_TOMBSTONE && sim.cmds[s].cb != c->cb)
        s = (s + 1) & (sim.cmd_cap - 1);
    if (!sim.cmds[s].cb) sim.cmd_used++;
    sim.cmds[s] = *c;
    return true;
}

/* Under sim.lock. */
sim_cmd *sim_cmd_find(VkCommandBuffer cb)
{
    if (!sim.cmd_cap) return NULL;
    for (uint32_t s = sim_cmd_slot(cb);; s = (s + 1) & (sim.cmd_cap - 1)) {
        if (!sim.cmds[s].cb) return NULL;
        if (sim.cmds[s].cb == cb) return &sim.cmds[s];
    }
}

/* The device and simulated family a command buffer was allocated for. */
bool sim_cmd_of(VkCommandBuffer cb, sim_cmd *out)
{
    pthread_mutex_lock(&sim.lock);
    sim_cmd *c = sim_cmd_find(cb);
    if (c) *out = *c;
    pthread_mutex_unlock(&sim.lock);
    return c != NULL;
}

/* Under sim.lock: forgets the command buffers of a pool (or, pool NULL, of a device). */
void sim_cmd_forget(const sim_device *d, VkCommandPool pool)
{
    for (uint32_t i = 0; i < sim.cmd_cap; i++) {
        sim_cmd *c = &sim.cmds[i];
        if (c->cb && c->cb != SIM_TOMBSTONE && c->dev == d &&
            (pool == VK_NULL_HANDLE || c->pool == pool))
            c->cb = SIM_TOMBSTONE;
    }
}
