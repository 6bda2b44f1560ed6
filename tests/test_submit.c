/* vkg_submit, the thin layer's submission (label timeline), under validation: a batch held
 * back by the caller's own semaphore yields a ticket that completes only once the
 * semaphore is signalled; tickets order later batches; bad input is refused by name. The
 * GPU is held back by a host-signalled gate semaphore. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <string.h>

typedef struct gate {
    vkg_device *dev;
    VkDevice device;
    const struct VolkDeviceTable *vk;
    VkSemaphore sem;
    uint64_t value;
} gate;

static void gate_open(gate *g, vkg_device *dev)
{
    memset(g, 0, sizeof *g);
    g->dev = dev;
    vkg_device_vk dvk;
    vkg_device_get_vk(dev, &dvk);
    g->device = dvk.device;
    g->vk = dvk.device_table;
    VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &type};
    assert_int_equal(g->vk->vkCreateSemaphore(g->device, &ci, NULL, &g->sem), VK_SUCCESS);
}

/* an empty batch on `role` that waits for the gate to reach `at` (0: no gate) */
static vkg_ticket submit_gated(gate *g, vkg_queue_role role, uint64_t at)
{
    VkSemaphoreSubmitInfo w = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                               .semaphore = g->sem,
                               .value = at,
                               .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    vkg_ticket t;
    assert_int_equal(vkg_submit(g->dev,
                                &(vkg_submit_desc){.role = role,
                                                   .semaphore_waits = &w,
                                                   .semaphore_wait_count = at ? 1 : 0},
                                &t),
                     VKG_SUCCESS);
    return t;
}

static void gate_signal(gate *g, uint64_t value)
{
    VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                .semaphore = g->sem,
                                .value = value};
    assert_int_equal(g->vk->vkSignalSemaphore(g->device, &si), VK_SUCCESS);
}

static void gate_close(gate *g)
{
    g->vk->vkDestroySemaphore(g->device, g->sem, NULL);
}

static void test_submit_tickets(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    gate g;
    gate_open(&g, dev);
    vkg_ticket a = submit_gated(&g, VKG_QUEUE_GRAPHICS, 1);
    assert_int_equal(a.queue, vkg_device_role_queue(dev, VKG_QUEUE_GRAPHICS));
    assert_true(a.value > 0);
    /* a batch on another role that waits for a (a semaphore wait when the roles map to
     * different queues, submission order when they share one) */
    vkg_ticket b;
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_TRANSFER,
                                                        .waits = &a,
                                                        .wait_count = 1},
                                &b),
                     VKG_SUCCESS);
    assert_false(vkg_ticket_complete(dev, a));
    assert_false(vkg_ticket_complete(dev, b));
    assert_int_equal(vkg_ticket_wait(dev, b, 20 * 1000 * 1000), VKG_TIMEOUT);
    gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, b, UINT64_MAX), VKG_SUCCESS);
    assert_true(vkg_ticket_complete(dev, a));
    /* values rise per queue */
    vkg_ticket c = submit_gated(&g, VKG_QUEUE_GRAPHICS, 0);
    assert_int_equal(c.queue, a.queue);
    assert_true(c.value > a.value);
    assert_int_equal(vkg_ticket_wait(dev, c, UINT64_MAX), VKG_SUCCESS);
    /* bad input */
    vkg_ticket never = {a.queue, c.value + 100};
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                                        .waits = &never,
                                                        .wait_count = 1},
                                NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_submit", "never issued", NULL));
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_GRAPHICS,
                                                        .semaphore_wait_count = 1},
                                NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_submit", "semaphore waits", NULL));
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = (vkg_queue_role)9}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("vkg_submit", "role 9", NULL));
    gate_close(&g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_tickets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
