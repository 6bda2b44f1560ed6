/* vkg_submit, the thin layer's submission (label timeline), under validation: a batch held
 * back by the caller's own semaphore yields a ticket that completes only once the
 * semaphore is signalled; tickets order later batches; bad input is refused by name. The
 * GPU is held back by a host-signalled gate semaphore. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <string.h>

static void test_submit_tickets(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_ticket a = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
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
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, b, UINT64_MAX), VKG_SUCCESS);
    assert_true(vkg_ticket_complete(dev, a));
    /* values rise per queue */
    vkg_ticket c = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 0);
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
    vkgt_gate_close(&g);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_tickets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
