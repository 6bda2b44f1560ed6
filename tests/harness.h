/* Test harness shared by every test: a capturing logger, a device opened the way CTest
 * asks for (VKG_TEST_DEVICE / VK_DRIVER_FILES) under validation, and a counting allocator
 * that can fail the N-th allocation. */
#ifndef VKG_TEST_HARNESS_H_
#define VKG_TEST_HARNESS_H_

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vkgraph.h"

#define VKGT_SKIP 77

/* Logger that keeps every message (and echoes WARN and ERROR to stderr). */
vkg_logger vkgt_logger(void);
bool vkgt_log_contains(const char *needle);
/* All substrings must appear in one message. NULL-terminated list. */
bool vkgt_log_has(const char *first, ...);
void vkgt_log_clear(void);
void vkgt_log_dump(void);

/* Opens the device the test run asks for, with validation + synchronization validation.
 * Exits 77 when that device is not installed here. `desc` may be NULL; its logger is
 * replaced by the capturing one. */
vkg_device *vkgt_device_open(const vkg_device_desc *desc);
/* The same, with the layer also checking hazards between submissions (its QueueSubmit
 * synchronization validation, alpha in layer 1.3.239). That version does not model host
 * waits on timeline semaphores, so it reports reuse after vkg_ticket_wait as a hazard: use
 * it only where every dependency between submissions is on the GPU (one frame). */
vkg_device *vkgt_device_open_submit_checked(const vkg_device_desc *desc);
/* A host-readable buffer (VKG_MEMORY_READBACK) for results; fails the test if it cannot be
 * made. */
vkg_buffer vkgt_readback_buffer(vkg_device *dev, const char *name, VkDeviceSize size);
/* Fails the test if any validation message was seen, then destroys the device. */
void vkgt_device_close(vkg_device *dev);
const char *vkgt_device_want(void);

/* Counting allocator: counts calls and live blocks; returns NULL on call number fail_at
 * (1-based; 0 = never). */
typedef struct vkgt_alloc_counter {
    uint64_t calls;
    int64_t live;
    uint64_t fail_at;
    uint64_t failures;
    void *fail_stack[12]; /* where the injected failure happened (backtrace) */
    int fail_depth;
} vkgt_alloc_counter;
/* Prints where the counter's injected failure happened (for a failure nobody reported). */
void vkgt_alloc_counter_print_failure(const vkgt_alloc_counter *counter);
vkg_allocator vkgt_counting_allocator(vkgt_alloc_counter *counter);

/* A gate: a host-signalled timeline semaphore that holds GPU work back, so a test knows
 * the work is not done until it opens the gate. */
typedef struct vkgt_gate {
    vkg_device *dev;
    VkSemaphore sem;
} vkgt_gate;
void vkgt_gate_open(vkgt_gate *g, vkg_device *dev);
/* A batch on `role` (the command buffer may be NULL: an empty batch) that waits for the
 * gate to reach `at` (0: no gate). */
vkg_ticket vkgt_gate_submit_cb(vkgt_gate *g, vkg_queue_role role, uint64_t at,
                               VkCommandBuffer cb);
vkg_ticket vkgt_gate_submit(vkgt_gate *g, vkg_queue_role role, uint64_t at);
void vkgt_gate_signal(vkgt_gate *g, uint64_t value);
void vkgt_gate_close(vkgt_gate *g);

#endif
