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

/* vkg_device_desc.queue_split: on a device with one queue family every role still gets its
 * own timeline; a role's batch that waits for another role's ticket is held back by the
 * semaphore, and the compiler plans one queue per role with semaphore waits between them
 * and no ownership transfers (the family is the same). */
static void test_split_roles(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(&(vkg_device_desc){.queue_split = true});
    const vkg_caps *caps = vkg_device_caps(dev);
    assert_true(caps->queue_split);
    assert_int_equal(vkg_device_queue_count(dev), VKG_QUEUE_ROLE_COUNT);
    uint32_t gq = vkg_device_role_queue(dev, VKG_QUEUE_GRAPHICS);
    uint32_t cq = vkg_device_role_queue(dev, VKG_QUEUE_COMPUTE);
    uint32_t tq = vkg_device_role_queue(dev, VKG_QUEUE_TRANSFER);
    assert_true(gq != cq && cq != tq && gq != tq);
    assert_true(vkg_device_timeline(dev, gq) != vkg_device_timeline(dev, cq));

    vkgt_gate g;
    vkgt_gate_open(&g, dev);
    vkg_ticket a = vkgt_gate_submit(&g, VKG_QUEUE_GRAPHICS, 1);
    vkg_ticket b, c;
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_COMPUTE,
                                                        .waits = &a,
                                                        .wait_count = 1},
                                &b),
                     VKG_SUCCESS);
    assert_int_equal(b.queue, cq);
    assert_int_equal(vkg_submit(dev, &(vkg_submit_desc){.role = VKG_QUEUE_TRANSFER,
                                                        .waits = &b,
                                                        .wait_count = 1},
                                &c),
                     VKG_SUCCESS);
    assert_int_equal(c.queue, tq);
    assert_int_equal(c.value, 1); /* each role counts its own submissions */
    assert_int_equal(vkg_ticket_wait(dev, c, 20 * 1000 * 1000), VKG_TIMEOUT);
    assert_false(vkg_ticket_complete(dev, b));
    vkgt_gate_signal(&g, 1);
    assert_int_equal(vkg_ticket_wait(dev, c, UINT64_MAX), VKG_SUCCESS);
    assert_true(vkg_ticket_complete(dev, a) && vkg_ticket_complete(dev, b));
    vkgt_gate_close(&g);

    /* the compiler: transfer -> compute -> graphics is three queues, two waits */
    vkg_graph *gr = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "split", .logger = vkgt_logger()},
                                      &gr),
                     VKG_SUCCESS);
    vkg_resource buf, img;
    assert_int_equal(vkg_graph_buffer(gr, &(vkg_graph_buffer_desc){.name = "B", .size = 256}, &buf),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(gr,
                                     &(vkg_graph_image_desc){.name = "I",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 8,
                                                             .height = 8},
                                     &img),
                     VKG_SUCCESS);
    vkg_resource out;
    assert_int_equal(vkg_graph_image(gr,
                                     &(vkg_graph_image_desc){.name = "O",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 8,
                                                             .height = 8,
                                                             .output = true},
                                     &out),
                     VKG_SUCCESS);
    vkg_use up[] = {{.resource = buf, .access = VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use sim[] = {{.resource = buf, .access = VKG_ACCESS_COMPUTE_STORAGE_READ},
                     {.resource = img, .access = VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    vkg_use draw[] = {{.resource = img, .access = VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {.resource = out, .access = VKG_ACCESS_COLOR_WRITE}};
    vkg_pass_desc passes[] = {
        {.name = "upload", .queue = VKG_QUEUE_TRANSFER, .uses = up, .use_count = 1},
        {.name = "simulate", .queue = VKG_QUEUE_COMPUTE, .uses = sim, .use_count = 2},
        {.name = "draw", .queue = VKG_QUEUE_GRAPHICS, .uses = draw, .use_count = 2},
    };
    for (size_t i = 0; i < 3; i++) assert_int_equal(vkg_graph_pass(gr, &passes[i], NULL), VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(gr, caps, &plan), VKG_SUCCESS);
    vkg_plan_info info;
    vkg_plan_get_info(plan, &info);
    const vkg_plan_info *in = &info;
    assert_int_equal(in->queue_count, 3);
    uint32_t waits = 0;
    for (uint32_t s = 0; s < in->submission_count; s++) waits += in->submissions[s].wait_count;
    assert_int_equal(waits, 2);
    /* one family (lavapipe, SwiftShader): no ownership transfers; simulated or real
     * families: B moves transfer -> compute and the image compute -> graphics, each one
     * release and one acquire between two different families */
    bool one_family = caps->role_family[VKG_QUEUE_TRANSFER] == caps->role_family[VKG_QUEUE_GRAPHICS] &&
                      caps->role_family[VKG_QUEUE_COMPUTE] == caps->role_family[VKG_QUEUE_GRAPHICS];
    uint32_t releases = 0, acquires = 0;
    for (uint32_t i = 0; i < in->barrier_count; i++) {
        const vkg_plan_barrier *pb = &in->barriers[i];
        releases += (pb->flags & VKG_BARRIER_RELEASE) != 0;
        acquires += (pb->flags & VKG_BARRIER_ACQUIRE) != 0;
        if (pb->flags & (VKG_BARRIER_RELEASE | VKG_BARRIER_ACQUIRE))
            assert_int_not_equal(pb->src_family, pb->dst_family);
        else
            assert_int_equal(pb->src_family, pb->dst_family);
    }
    assert_int_equal(releases, one_family ? 0 : 2);
    assert_int_equal(acquires, releases);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(gr);
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_tickets),
        cmocka_unit_test(test_split_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
