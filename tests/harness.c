#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <execinfo.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VKGT_LOG_MAX 256
static pthread_mutex_t vkgt_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *vkgt_log_msgs[VKGT_LOG_MAX];
static unsigned vkgt_log_count;

static void vkgt_log_fn(void *user, vkg_log_level level, const char *file, int line,
                        const char *message)
{
    (void)user;
    if (level >= VKG_LOG_WARN)
        fprintf(stderr, "[%s] %s (%s:%d)\n", level == VKG_LOG_ERROR ? "error" : "warn", message,
                file, line);
    pthread_mutex_lock(&vkgt_log_lock);
    unsigned slot = vkgt_log_count++ % VKGT_LOG_MAX;
    free(vkgt_log_msgs[slot]);
    vkgt_log_msgs[slot] = strdup(message);
    pthread_mutex_unlock(&vkgt_log_lock);
}

vkg_logger vkgt_logger(void)
{
    return (vkg_logger){.fn = vkgt_log_fn, .min_level = VKG_LOG_DEBUG};
}

bool vkgt_log_has(const char *first, ...)
{
    bool found = false;
    pthread_mutex_lock(&vkgt_log_lock);
    unsigned n = vkgt_log_count < VKGT_LOG_MAX ? vkgt_log_count : VKGT_LOG_MAX;
    for (unsigned i = 0; i < n && !found; i++) {
        const char *m = vkgt_log_msgs[i];
        if (!m) continue;
        bool all = strstr(m, first) != NULL;
        va_list ap;
        va_start(ap, first);
        for (const char *s = va_arg(ap, const char *); s && all; s = va_arg(ap, const char *))
            all = strstr(m, s) != NULL;
        va_end(ap);
        found = all;
    }
    pthread_mutex_unlock(&vkgt_log_lock);
    return found;
}

bool vkgt_log_contains(const char *needle)
{
    return vkgt_log_has(needle, (const char *)NULL);
}

void vkgt_log_clear(void)
{
    pthread_mutex_lock(&vkgt_log_lock);
    for (unsigned i = 0; i < VKGT_LOG_MAX; i++) {
        free(vkgt_log_msgs[i]);
        vkgt_log_msgs[i] = NULL;
    }
    vkgt_log_count = 0;
    pthread_mutex_unlock(&vkgt_log_lock);
}

void vkgt_log_dump(void)
{
    pthread_mutex_lock(&vkgt_log_lock);
    for (unsigned i = 0; i < VKGT_LOG_MAX; i++)
        if (vkgt_log_msgs[i]) fprintf(stderr, "  log: %s\n", vkgt_log_msgs[i]);
    pthread_mutex_unlock(&vkgt_log_lock);
}

const char *vkgt_device_want(void)
{
    const char *want = getenv("VKG_TEST_DEVICE");
    return want && want[0] ? want : NULL;
}

vkg_device *vkgt_device_open(const vkg_device_desc *desc_in)
{
    const char *icd = getenv("VK_DRIVER_FILES");
    if (icd && icd[0] && access(icd, R_OK) != 0) {
        fprintf(stderr, "skip: Vulkan driver manifest %s is not installed\n", icd);
        exit(VKGT_SKIP);
    }
    vkg_device_desc desc = desc_in ? *desc_in : (vkg_device_desc){0};
    desc.logger = vkgt_logger();
    desc.validation = true;
    if (!desc.device_name) desc.device_name = vkgt_device_want();
    if (!desc.app_name) desc.app_name = "vkgraph-test";
    vkg_device *dev = NULL;
    vkg_result r = vkg_device_create(&desc, &dev);
    if (r == VKG_ERROR_NO_DEVICE || r == VKG_ERROR_LOADER) {
        fprintf(stderr, "skip: no usable Vulkan device \"%s\" (%s)\n",
                desc.device_name ? desc.device_name : "any", vkg_result_name(r));
        exit(VKGT_SKIP);
    }
    if (r == VKG_ERROR_FEATURE_NOT_PRESENT && (desc.instance_extension_count || desc.swapchain)) {
        fprintf(stderr, "skip: the device or loader lacks an extension this test asks for\n");
        exit(VKGT_SKIP);
    }
    if (r != VKG_SUCCESS) {
        fprintf(stderr, "vkg_device_create failed: %s\n", vkg_result_name(r));
        exit(1);
    }
    return dev;
}

vkg_device *vkgt_device_open_submit_checked(const vkg_device_desc *desc)
{
    /* the layer reads its enables from this variable when the instance is created; naming
     * synchronization validation too keeps it on whatever the layer does with the two */
    const char *old = getenv("VK_LAYER_ENABLES");
    char *saved = old ? strdup(old) : NULL;
    setenv("VK_LAYER_ENABLES",
           "VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT:"
           "VALIDATION_CHECK_ENABLE_SYNCHRONIZATION_VALIDATION_QUEUE_SUBMIT",
           1);
    vkg_device *dev = vkgt_device_open(desc);
    if (saved) {
        setenv("VK_LAYER_ENABLES", saved, 1);
        free(saved);
    } else {
        unsetenv("VK_LAYER_ENABLES");
    }
    return dev;
}

vkg_buffer vkgt_readback_buffer(vkg_device *dev, const char *name, VkDeviceSize size)
{
    vkg_buffer b;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = name, .size = size,
                                                               .memory_usage = VKG_MEMORY_READBACK},
                                       &b),
                     VKG_SUCCESS);
    return b;
}

void vkgt_device_close(vkg_device *dev)
{
    uint32_t n = vkg_device_validation_count(dev);
    vkg_device_destroy(dev);
    if (n) {
        fprintf(stderr, "FAIL: %u validation message(s) (see above)\n", n);
        fail_msg("%u validation messages", n);
    }
}

void vkgt_alloc_counter_print_failure(const vkgt_alloc_counter *counter)
{
    fprintf(stderr, "the injected allocation failure happened here:\n");
    backtrace_symbols_fd(counter->fail_stack, counter->fail_depth, 2);
}

static void *vkgt_count_alloc(void *user, size_t size)
{
    vkgt_alloc_counter *c = user;
    if (++c->calls == c->fail_at) {
        c->failures++;
        c->fail_depth = backtrace(c->fail_stack, 12);
        return NULL;
    }
    void *p = malloc(size);
    if (p) c->live++;
    return p;
}

static void *vkgt_count_realloc(void *user, void *ptr, size_t size)
{
    vkgt_alloc_counter *c = user;
    if (++c->calls == c->fail_at) {
        c->failures++;
        c->fail_depth = backtrace(c->fail_stack, 12);
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p && !ptr) c->live++;
    return p;
}

static void vkgt_count_free(void *user, void *ptr)
{
    vkgt_alloc_counter *c = user;
    if (ptr) c->live--;
    free(ptr);
}

vkg_allocator vkgt_counting_allocator(vkgt_alloc_counter *counter)
{
    return (vkg_allocator){vkgt_count_alloc, vkgt_count_realloc, vkgt_count_free, counter};
}

/* ------------------------------------------------------------------------------------------
 * Gates
 * ---------------------------------------------------------------------------------------- */

static const struct VolkDeviceTable *vkgt_vk(vkg_device *dev, VkDevice *device)
{
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    *device = dvk.device;
    return dvk.device_table;
}

void vkgt_gate_open(vkgt_gate *g, vkg_device *dev)
{
    memset(g, 0, sizeof *g);
    g->dev = dev;
    VkDevice device;
    const struct VolkDeviceTable *vk = vkgt_vk(dev, &device);
    VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &type};
    assert_int_equal(vk->vkCreateSemaphore(device, &ci, NULL, &g->sem), VK_SUCCESS);
}

vkg_ticket vkgt_gate_submit_cb(vkgt_gate *g, vkg_queue_role role, uint64_t at,
                               VkCommandBuffer cb)
{
    VkSemaphoreSubmitInfo w = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                               .semaphore = g->sem,
                               .value = at,
                               .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkCommandBufferSubmitInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                     .commandBuffer = cb};
    vkg_ticket t;
    assert_int_equal(vkg_submit(g->dev,
                                &(vkg_submit_desc){.role = role,
                                                   .command_buffers = cb ? &cbi : NULL,
                                                   .command_buffer_count = cb ? 1 : 0,
                                                   .semaphore_waits = &w,
                                                   .semaphore_wait_count = at ? 1 : 0},
                                &t),
                     VKG_SUCCESS);
    return t;
}

vkg_ticket vkgt_gate_submit(vkgt_gate *g, vkg_queue_role role, uint64_t at)
{
    return vkgt_gate_submit_cb(g, role, at, VK_NULL_HANDLE);
}

void vkgt_gate_signal(vkgt_gate *g, uint64_t value)
{
    VkDevice device;
    const struct VolkDeviceTable *vk = vkgt_vk(g->dev, &device);
    VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                .semaphore = g->sem,
                                .value = value};
    assert_int_equal(vk->vkSignalSemaphore(device, &si), VK_SUCCESS);
}

void vkgt_gate_close(vkgt_gate *g)
{
    VkDevice device;
    const struct VolkDeviceTable *vk = vkgt_vk(g->dev, &device);
    /* The completion-queue watcher learns of completions in a way the validation layer does
     * not record (src/async/cq.c): an idle wait tells the layer every batch that waited
     * on the gate is done before the semaphore goes. */
    assert_int_equal(vk->vkDeviceWaitIdle(device), VK_SUCCESS);
    vk->vkDestroySemaphore(device, g->sem, NULL);
}
