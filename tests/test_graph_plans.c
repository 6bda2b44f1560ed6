/* Hand-written expected plans for reference graphs: every barrier, transfer and wait is
 * listed here from the Vulkan rules, not from the compiler's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graph_checker.h"
#include "harness.h"

#define S(x) VK_PIPELINE_STAGE_2_##x
#define A(x) VK_ACCESS_2_##x
#define L(x) VK_IMAGE_LAYOUT_##x
#define IGN VK_QUEUE_FAMILY_IGNORED

typedef struct want {
    const char *res;
    uint32_t m0, mc, l0, lc;
    VkDeviceSize off, size;
    VkPipelineStageFlags2 ss, ds;
    VkAccessFlags2 sa, da;
    VkImageLayout ol, nl;
    uint32_t sf, df;
    VkImageAspectFlags asp; /* 0: not checked */
} want;

static vkg_plan *compile_file(const char *name, const vkg_caps *caps, uint32_t flags)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", VKG_SOURCE_DIR, name);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json(path, &(vkg_graph_desc){.logger = vkgt_logger(),
        .compile_flags = flags}, &g, NULL, NULL, 0), VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, caps, &plan), VKG_SUCCESS);
    vkg_graph_destroy(g); /* the plan stands alone */
    char why[512];
    if (!vkgt_check_plan(plan, why, sizeof why)) fail_msg("%s: hazard checker: %s", name, why);
    return plan;
}

static uint32_t pass_index(const vkg_plan_info *in, const char *name)
{
    for (uint32_t k = 0; k < in->pass_count; k++)
        if (strcmp(in->passes[k].name, name) == 0) return k;
    fail_msg("pass %s is not in the plan", name);
    return 0;
}

static bool same(const vkg_plan_info *in, const vkg_plan_barrier *b, const want *w)
{
    const vkg_plan_resource *r = &in->resources[b->resource];
    if (strcmp(r->name, w->res) != 0) return false;
    if (r->is_image && (b->base_mip != w->m0 || b->mip_count != w->mc || b->base_layer != w->l0 ||
                        b->layer_count != w->lc))
        return false;
    if (!r->is_image && (b->offset != w->off || b->size != w->size)) return false;
    if (w->asp && b->aspect != w->asp) return false;
    return b->src_stage == w->ss && b->dst_stage == w->ds && b->src_access == w->sa &&
           b->dst_access == w->da && (!r->is_image || (b->old_layout == w->ol && b->new_layout == w->nl)) &&
           b->src_family == w->sf && b->dst_family == w->df;
}

/* The pass's barriers before it (pipeline barrier + waited events) are exactly `w`. */
static void expect_pre(const vkg_plan_info *in, const char *pass, const want *w, uint32_t n)
{
    const vkg_plan_pass *p = &in->passes[pass_index(in, pass)];
    const vkg_plan_barrier *all[64];
    uint32_t na = 0;
    for (uint32_t i = 0; i < p->barrier_count; i++) all[na++] = &in->barriers[p->first_barrier + i];
    for (uint32_t e = 0; e < p->wait_event_count; e++) {
        const vkg_plan_event *ev = &in->events[in->wait_events[p->first_wait_event + e]];
        for (uint32_t i = 0; i < ev->barrier_count; i++) all[na++] = &in->barriers[ev->first_barrier + i];
    }
    if (na != n) fail_msg("pass %s: %u barriers, want %u", pass, na, n);
    for (uint32_t i = 0; i < n; i++) {
        bool found = false;
        for (uint32_t j = 0; j < na && !found; j++) found = same(in, all[j], &w[i]);
        if (!found) fail_msg("pass %s: no barrier like want[%u] (%s)", pass, i, w[i].res);
    }
}

static void expect_post(const vkg_plan_info *in, const char *pass, const want *w, uint32_t n)
{
    const vkg_plan_pass *p = &in->passes[pass_index(in, pass)];
    if (p->post_count != n) fail_msg("pass %s: %u releases, want %u", pass, p->post_count, n);
    for (uint32_t i = 0; i < n; i++) {
        bool found = false;
        for (uint32_t j = 0; j < p->post_count && !found; j++)
            found = same(in, &in->barriers[p->first_post + j], &w[i]);
        if (!found) fail_msg("pass %s: no release like want[%u] (%s)", pass, i, w[i].res);
    }
}

static void one_family(vkg_caps *caps)
{
    vkg_caps_default(caps);
    caps->queue_family_count = 1;
    caps->role_family[0] = caps->role_family[1] = caps->role_family[2] = 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Bloom on one queue family: one narrow barrier per mip step, read-after-read free. */
static void test_bloom_one_family(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("bloom.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.queue_count, 1);
    assert_int_equal(in.wait_count, 0);
    assert_int_equal(in.stats.queue_transfers, 0);
    assert_int_equal(in.stats.semaphores, 0);
    expect_pre(&in, "setup", NULL, 0); /* first write of a transient buffer: nothing to wait for */
    want scene[] = {
        {"params", .off = 0, .size = 256, .ss = S(ALL_TRANSFER_BIT), .sa = A(TRANSFER_WRITE_BIT),
         .ds = S(FRAGMENT_SHADER_BIT), .da = A(UNIFORM_READ_BIT), .sf = IGN, .df = IGN},
        {"hdr", 0, 1, 0, 1, .ss = S(NONE), .sa = A(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL),
         .sf = IGN, .df = IGN}};
    expect_pre(&in, "scene", scene, N(scene));
    want bright[] = {
        /* read merging: composite's later fragment read of hdr (same layout, same queue,
         * nothing writes it in between) joins this barrier, so composite needs none */
        {"hdr", 0, 1, 0, 1, .ss = S(COLOR_ATTACHMENT_OUTPUT_BIT), .sa = A(COLOR_ATTACHMENT_WRITE_BIT),
         .ds = S(COMPUTE_SHADER_BIT) | S(FRAGMENT_SHADER_BIT), .da = A(SHADER_SAMPLED_READ_BIT),
         .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN},
        /* bloom reuses the memory of params (packing by size beats the sweep here by that
         * 1 KiB): each mip's discard waits for scene's fragment read of params (aliasing) */
        {"bloom", 0, 1, 0, 1, .ss = S(FRAGMENT_SHADER_BIT), .ds = S(COMPUTE_SHADER_BIT),
         .da = A(SHADER_STORAGE_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(GENERAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "bright", bright, N(bright));
    const char *downs[] = {"down1", "down2", "down3", "down4"};
    for (uint32_t m = 1; m <= 4; m++) {
        want d[] = {
            /* the mip written by the previous step becomes readable: RAW on that mip only,
             * made visible to composite's fragment read of it too (read merging) */
            {"bloom", m - 1, 1, 0, 1, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
             .ds = S(COMPUTE_SHADER_BIT) | S(FRAGMENT_SHADER_BIT), .da = A(SHADER_SAMPLED_READ_BIT),
             .ol = L(GENERAL), .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN},
            /* the next mip is discarded into GENERAL (after params' read: aliasing) */
            {"bloom", m, 1, 0, 1, .ss = S(FRAGMENT_SHADER_BIT), .ds = S(COMPUTE_SHADER_BIT),
             .da = A(SHADER_STORAGE_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(GENERAL), .sf = IGN, .df = IGN}};
        expect_pre(&in, downs[m - 1], d, N(d));
    }
    want composite[] = {
        /* hdr and bloom mips 0..3 were already made visible to this fragment read by the
         * barriers that made them readable (read merging); mip 4 was last written */
        {"bloom", 4, 1, 0, 1, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
         .ds = S(FRAGMENT_SHADER_BIT), .da = A(SHADER_SAMPLED_READ_BIT), .ol = L(GENERAL),
         .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN},
        {"out", 0, 1, 0, 1, .ss = S(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL),
         .sf = IGN, .df = IGN}};
    expect_pre(&in, "composite", composite, N(composite));
    vkg_plan_destroy(plan);
}

/* Bloom on three families: ownership moves with release/acquire pairs and semaphores. */
static void test_bloom_three_families(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = compile_file("bloom.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.queue_count, 3);
    want setup_rel[] = {{"params", .off = 0, .size = 256, .ss = S(ALL_TRANSFER_BIT),
                         .sa = A(TRANSFER_WRITE_BIT), .ds = S(NONE), .da = A(NONE), .sf = 2, .df = 0}};
    expect_post(&in, "setup", setup_rel, 1);
    /* the acquire chains with the semaphore wait's stage (FRAGMENT_SHADER) */
    want scene[] = {
        {"params", .off = 0, .size = 256, .ss = S(FRAGMENT_SHADER_BIT), .sa = A(NONE),
         .ds = S(FRAGMENT_SHADER_BIT), .da = A(UNIFORM_READ_BIT), .sf = 2, .df = 0},
        {"hdr", 0, 1, 0, 1, .ss = S(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL),
         .sf = IGN, .df = IGN}};
    expect_pre(&in, "scene", scene, N(scene));
    /* hdr: release graphics -> compute with the layout transition in the pair */
    want scene_rel[] = {{"hdr", 0, 1, 0, 1, .ss = S(COLOR_ATTACHMENT_OUTPUT_BIT),
                         .sa = A(COLOR_ATTACHMENT_WRITE_BIT), .ds = S(NONE), .da = A(NONE),
                         .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL), .sf = 0, .df = 1}};
    expect_post(&in, "scene", scene_rel, 1);
    /* compute runs all five bloom passes in one submission after one wait on graphics;
     * graphics waits once for compute (the latest point covers the earlier releases) */
    const vkg_plan_pass *bright = &in.passes[pass_index(&in, "bright")];
    const vkg_plan_pass *down4 = &in.passes[pass_index(&in, "down4")];
    assert_int_equal(bright->submission, down4->submission);
    assert_int_equal(in.submissions[bright->submission].wait_count, 1);
    const vkg_plan_pass *comp = &in.passes[pass_index(&in, "composite")];
    const vkg_plan_submission *cs = &in.submissions[comp->submission];
    assert_int_equal(cs->wait_count, 1);
    assert_int_equal(in.waits[cs->first_wait].queue, in.passes[pass_index(&in, "down4")].queue);
    assert_int_equal(in.waits[cs->first_wait].stage, S(FRAGMENT_SHADER_BIT));
    assert_int_equal(in.stats.semaphores, 3);
    /* params, hdr x2, bloom mips 0..3 one by one (each released after the pass that wrote
     * it, so each acquire matches its own release exactly), bloom mip 4 */
    assert_int_equal(in.stats.queue_transfers, 8);
    vkg_plan_destroy(plan);
}

/* The same graph with every resource concurrent (the device's default sharing, and one
 * resource that says so in JSON): semaphores order the queues, layouts still change, and no
 * release or acquire is planned; the hazard checker passes it. */
static void test_bloom_concurrent(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps);
    caps.sharing = VKG_SHARING_CONCURRENT;
    vkg_plan *plan = compile_file("bloom.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.queue_count, 3);
    assert_int_equal(in.stats.queue_transfers, 0);
    assert_int_equal(in.stats.semaphores, 3);
    for (uint32_t i = 0; i < in.resource_count; i++) assert_true(in.resources[i].concurrent);
    for (uint32_t i = 0; i < in.barrier_count; i++)
        assert_false(in.barriers[i].flags & (VKG_BARRIER_RELEASE | VKG_BARRIER_ACQUIRE));
    vkg_plan_destroy(plan);

    static const char json[] =
        "{\"vkgraph\": 1, \"name\": \"mixed\", \"resources\": ["
        "{\"name\": \"a\", \"buffer\": {\"size\": 64}, \"sharing\": \"concurrent\"},"
        "{\"name\": \"b\", \"buffer\": {\"size\": 64}, \"output\": true}],"
        "\"passes\": ["
        "{\"name\": \"w\", \"queue\": \"transfer\", \"uses\": [{\"resource\": \"a\", \"access\": \"transfer_write\"},"
        " {\"resource\": \"b\", \"access\": \"transfer_write\"}]},"
        "{\"name\": \"r\", \"queue\": \"compute\", \"uses\": [{\"resource\": \"a\", \"access\": \"compute_storage_read\"},"
        " {\"resource\": \"b\", \"access\": \"compute_storage_read_write\"}]}]}";
    vkg_caps_default(&caps);
    plan = NULL; /* a non-NULL plan would be recompiled in place */
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(json, "mixed.json", &(vkg_graph_desc){.logger = vkgt_logger()},
                                                &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_true(in.resources[0].concurrent);
    assert_false(in.resources[1].concurrent);
    assert_int_equal(in.stats.queue_transfers, 1); /* b only */
    char why[512];
    if (!vkgt_check_plan(plan, why, sizeof why)) fail_msg("mixed.json: %s", why);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

/* An image the uploader filled on the transfer family, read by a graphics pass on a device
 * with three families: declaring its state as the upload left it gets a release on the
 * transfer queue (in a prologue: no pass of this graph runs there), an acquire before the
 * first use, and a semaphore between them. */
static void test_upload_handover_three_families(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "handover", .logger = vkgt_logger()},
                                      &g),
                     VKG_SUCCESS);
    vkg_resource tex, out;
    assert_int_equal(vkg_graph_image(g,
                                     &(vkg_graph_image_desc){.name = "tex",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 64,
                                                             .height = 64,
                                                             .imported = true,
                                                             .state = {VKG_ACCESS_TRANSFER_WRITE,
                                                                       VKG_QUEUE_TRANSFER}},
                                     &tex),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g,
                                     &(vkg_graph_image_desc){.name = "out",
                                                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 64,
                                                             .height = 64,
                                                             .imported = true,
                                                             .output = true},
                                     &out),
                     VKG_SUCCESS);
    vkg_use uses[] = {{.resource = tex, .access = VKG_ACCESS_FRAGMENT_SAMPLED_READ},
                      {.resource = out, .access = VKG_ACCESS_COLOR_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "draw", .uses = uses,
                                                        .use_count = 2},
                                    NULL),
                     VKG_SUCCESS);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_graph_destroy(g);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    uint32_t tf = 2, gf = 0; /* vkg_caps_default: transfer is family 2, graphics family 0 */
    uint32_t releases = 0, acquires = 0;
    for (uint32_t i = 0; i < in.barrier_count; i++) {
        const vkg_plan_barrier *b = &in.barriers[i];
        if (strcmp(in.resources[b->resource].name, "tex") != 0) continue;
        if (b->flags & VKG_BARRIER_RELEASE) {
            releases++;
            assert_int_equal(b->src_family, tf);
            assert_int_equal(b->dst_family, gf);
            assert_int_equal(b->old_layout, L(TRANSFER_DST_OPTIMAL));
            assert_int_equal(b->new_layout, L(READ_ONLY_OPTIMAL));
        }
        if (b->flags & VKG_BARRIER_ACQUIRE) {
            acquires++;
            assert_int_equal(b->src_family, tf);
            assert_int_equal(b->dst_family, gf);
            assert_int_equal(b->dst_stage, S(FRAGMENT_SHADER_BIT));
            assert_int_equal(b->dst_access, A(SHADER_SAMPLED_READ_BIT));
        }
    }
    assert_int_equal(releases, 1);
    assert_int_equal(acquires, 1);
    const vkg_plan_pass *draw = &in.passes[pass_index(&in, "draw")];
    const vkg_plan_submission *ds = &in.submissions[draw->submission];
    assert_int_equal(ds->wait_count, 1);
    assert_int_equal(in.queues[in.waits[ds->first_wait].queue].family, tf);
    assert_int_equal(in.stats.queue_transfers, 1);
    vkg_plan_destroy(plan);
}

/* WAR gets execution only, WAW a memory dependency, disjoint ranges nothing. */
static void test_buffer_ranges_and_chains(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("buffers.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    expect_pre(&in, "fill_hi", NULL, 0); /* disjoint from fill_lo: no barrier at all */
    want read_lo[] = {{"arena", .off = 0, .size = 32768, .ss = S(COMPUTE_SHADER_BIT),
                       .sa = A(SHADER_STORAGE_WRITE_BIT), .ds = S(COMPUTE_SHADER_BIT),
                       .da = A(SHADER_STORAGE_READ_BIT), .sf = IGN, .df = IGN}};
    expect_pre(&in, "read_lo", read_lo, 1);
    want war[] = {{"arena", .off = 0, .size = 32768, .ss = S(COMPUTE_SHADER_BIT), .sa = A(NONE),
                   .ds = S(COMPUTE_SHADER_BIT), .da = A(SHADER_STORAGE_WRITE_BIT), .sf = IGN, .df = IGN}};
    expect_pre(&in, "overwrite_lo", war, 1);
    want waw[] = {{"arena", .off = 0, .size = 32768, .ss = S(COMPUTE_SHADER_BIT),
                   .sa = A(SHADER_STORAGE_WRITE_BIT), .ds = S(COMPUTE_SHADER_BIT),
                   .da = A(SHADER_STORAGE_WRITE_BIT), .sf = IGN, .df = IGN}};
    expect_pre(&in, "overwrite_lo_again", waw, 1);
    /* gather reads the whole arena: both halves need the same barrier, merged into one */
    want gather[] = {
        {"arena", .off = 0, .size = 65536, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
         .ds = S(COMPUTE_SHADER_BIT), .da = A(SHADER_STORAGE_READ_BIT), .sf = IGN, .df = IGN},
        {"scratch", .off = 0, .size = 4096, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
         .ds = S(COMPUTE_SHADER_BIT), .da = A(SHADER_STORAGE_READ_BIT), .sf = IGN, .df = IGN}};
    expect_pre(&in, "gather", gather, N(gather));
    /* copy_out: result RAW for the copy; scratch WAR (read by gather) with execution only */
    want copy[] = {
        {"result", .off = 0, .size = 4096, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
         .ds = S(ALL_TRANSFER_BIT), .da = A(TRANSFER_READ_BIT), .sf = IGN, .df = IGN},
        {"scratch", .off = 0, .size = 4096, .ss = S(COMPUTE_SHADER_BIT), .sa = A(NONE),
         .ds = S(ALL_TRANSFER_BIT), .da = A(TRANSFER_WRITE_BIT), .sf = IGN, .df = IGN}};
    expect_pre(&in, "copy_out", copy, N(copy));
    vkg_plan_destroy(plan);
}

/* Array layers: each cascade writes its own layers; the reader transitions all four. */
static void test_array_layers(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("layers.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    want c1[] = {{"cascades", 0, 1, 1, 1, .ss = S(NONE), .ds = S(EARLY_FRAGMENT_TESTS_BIT) | S(LATE_FRAGMENT_TESTS_BIT),
                  .da = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL),
                  .sf = IGN, .df = IGN}};
    expect_pre(&in, "cascade1", c1, 1); /* layer 1 only: layer 0's write is not waited for */
    want c23[] = {{"cascades", 0, 1, 2, 2, .ss = S(NONE), .ds = S(EARLY_FRAGMENT_TESTS_BIT) | S(LATE_FRAGMENT_TESTS_BIT),
                   .da = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL),
                   .sf = IGN, .df = IGN}};
    expect_pre(&in, "cascade23", c23, 1);
    want prefilter[] = {
        /* read merging: shade's fragment read of mip 0 joins (one queue family here) */
        {"cubemap", 0, 1, 0, 6, .ss = S(COLOR_ATTACHMENT_OUTPUT_BIT), .sa = A(COLOR_ATTACHMENT_WRITE_BIT),
         .ds = S(COMPUTE_SHADER_BIT) | S(FRAGMENT_SHADER_BIT), .da = A(SHADER_SAMPLED_READ_BIT),
         .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN},
        {"cubemap", 1, 3, 0, 6, .ss = S(NONE), .ds = S(COMPUTE_SHADER_BIT), .da = A(SHADER_STORAGE_WRITE_BIT),
         .ol = L(UNDEFINED), .nl = L(GENERAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "prefilter", prefilter, N(prefilter));
    want shade[] = {
        /* all four cascade layers merge into one barrier */
        {"cascades", 0, 1, 0, 4, .ss = S(EARLY_FRAGMENT_TESTS_BIT) | S(LATE_FRAGMENT_TESTS_BIT),
         .sa = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), .ds = S(FRAGMENT_SHADER_BIT),
         .da = A(SHADER_SAMPLED_READ_BIT), .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL),
         .sf = IGN, .df = IGN},
        {"cubemap", 1, 3, 0, 6, .ss = S(COMPUTE_SHADER_BIT), .sa = A(SHADER_STORAGE_WRITE_BIT),
         .ds = S(FRAGMENT_SHADER_BIT), .da = A(SHADER_SAMPLED_READ_BIT), .ol = L(GENERAL),
         .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN},
        {"out", 0, 1, 0, 1, .ss = S(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "shade", shade, N(shade));
    vkg_plan_destroy(plan);
}

static void test_culling(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = compile_file("culling.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.culled_count, 2);
    assert_string_equal(in.culled[0], "make_b_unused");
    assert_string_equal(in.culled[1], "count_unused");
    assert_int_equal(in.pass_count, 3); /* make_a, gpu_printf (side effects), final */
    assert_string_equal(in.passes[1].name, "gpu_printf");
    /* b and stats are used by culled passes only: not allocated */
    for (uint32_t i = 0; i < in.resource_count; i++)
        if (!strcmp(in.resources[i].name, "b") || !strcmp(in.resources[i].name, "stats"))
            assert_int_equal(in.resources[i].heap, UINT32_MAX);
    vkg_plan_destroy(plan);
}

/* Deferred renderer with an imported swapchain: present transition, async SSAO, aliasing. */
static void test_deferred(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("deferred.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.culled_count, 1);
    assert_string_equal(in.culled[0], "debug_view");
    want present[] = {{"swapchain", 0, 1, 0, 1, .ss = S(COLOR_ATTACHMENT_OUTPUT_BIT),
                       .sa = A(COLOR_ATTACHMENT_WRITE_BIT), .ds = S(NONE), .da = A(NONE),
                       .ol = L(ATTACHMENT_OPTIMAL), .nl = L(PRESENT_SRC_KHR), .sf = IGN, .df = IGN}};
    expect_pre(&in, "present", present, 1);
    /* lighting depth-tests and samples depth in READ_ONLY_OPTIMAL at once; read merging
     * folds that into the one barrier that moves depth to READ_ONLY_OPTIMAL for SSAO, so
     * lighting itself needs no depth barrier */
    const vkg_plan_pass *lp = &in.passes[pass_index(&in, "lighting")];
    for (uint32_t i = 0; i < lp->barrier_count; i++)
        assert_string_not_equal(in.resources[in.barriers[lp->first_barrier + i].resource].name, "depth");
    uint32_t to_read_only = 0;
    for (uint32_t i = 0; i < in.barrier_count; i++) {
        const vkg_plan_barrier *b = &in.barriers[i];
        if (strcmp(in.resources[b->resource].name, "depth") || b->new_layout != L(READ_ONLY_OPTIMAL)) continue;
        to_read_only++;
        VkPipelineStageFlags2 want_stage = S(FRAGMENT_SHADER_BIT) | S(EARLY_FRAGMENT_TESTS_BIT) |
                                           S(LATE_FRAGMENT_TESTS_BIT) | S(COMPUTE_SHADER_BIT);
        VkAccessFlags2 want_access = A(SHADER_SAMPLED_READ_BIT) | A(DEPTH_STENCIL_ATTACHMENT_READ_BIT);
        assert_int_equal(b->dst_stage & want_stage, want_stage);
        assert_int_equal(b->dst_access & want_access, want_access);
    }
    assert_int_equal(to_read_only, 1);
    /* tonemap's lit input dies before... nothing: but the gbuffer dies at lighting and the
     * tonemap output is imported: some transient memory is still shared (ssao after albedo?) */
    assert_true(in.stats.transient_bytes >= in.stats.aliased_bytes);
    vkg_plan_destroy(plan);
}

/* Aliasing: two transients with disjoint lifetimes share memory; the second waits for the
 * first's last use with an aliasing barrier and discards. */
static void test_aliasing(void **state)
{
    (void)state;
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.logger = vkgt_logger()}, &g), VKG_SUCCESS);
    vkg_resource a, b, out;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "a",
        .format = VK_FORMAT_R8G8B8A8_UNORM, .width = 256, .height = 256}, &a), VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "b",
        .format = VK_FORMAT_R8G8B8A8_UNORM, .width = 256, .height = 256}, &b), VKG_SUCCESS);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "out", .size = 4096,
        .output = true}, &out), VKG_SUCCESS);
    vkg_use p0[] = {{a, VKG_ACCESS_COLOR_WRITE}};
    vkg_use p1[] = {{a, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {out, VKG_ACCESS_FRAGMENT_STORAGE_WRITE}};
    vkg_use p2[] = {{b, VKG_ACCESS_COLOR_WRITE}};
    vkg_use p3[] = {{b, VKG_ACCESS_FRAGMENT_SAMPLED_READ}, {out, VKG_ACCESS_FRAGMENT_STORAGE_READ_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "make_a", .uses = p0, .use_count = 1}, NULL), 0);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "use_a", .uses = p1, .use_count = 2}, NULL), 0);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "make_b", .uses = p2, .use_count = 1}, NULL), 0);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "use_b", .uses = p3, .use_count = 2}, NULL), 0);
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[0].heap, in.resources[1].heap);
    assert_int_equal(in.resources[0].offset, in.resources[1].offset);
    assert_true(in.stats.aliased_bytes < in.stats.transient_bytes);
    /* the memory map: b takes over a's memory; two images never live at once, so the heap is
     * exactly its peak of live bytes (one image and the output) */
    assert_int_equal(in.resources[1].alias_of_count, 1);
    assert_int_equal(in.resources[1].alias_of[0], 0);
    assert_int_equal(in.resources[0].alias_of_count, 0);
    assert_int_equal(in.stats.peak_live_bytes, in.resources[0].memory_size + in.resources[2].memory_size);
    assert_int_equal(in.stats.aliased_bytes, in.stats.peak_live_bytes);
    /* the picture: one box per transient, well formed enough to count */
    char *svg = NULL;
    size_t svg_len = 0;
    FILE *mf = open_memstream(&svg, &svg_len);
    assert_non_null(mf);
    assert_int_equal(vkg_plan_write_memory_svg(plan, mf), VKG_SUCCESS);
    fclose(mf);
    assert_true(strncmp(svg, "<svg ", 5) == 0 && strstr(svg, "</svg>\n") == svg + svg_len - 7);
    uint32_t boxes = 0;
    for (const char *at = svg; (at = strstr(at, "class=\"t\"")); at++) boxes++;
    assert_int_equal(boxes, 3);
    assert_non_null(strstr(svg, "takes over the memory of a"));
    free(svg);
    want make_b[] = {{"b", 0, 1, 0, 1, .ss = S(FRAGMENT_SHADER_BIT), .sa = A(NONE),
                      .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT), .da = A(COLOR_ATTACHMENT_WRITE_BIT),
                      .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "make_b", make_b, 1);
    assert_true(in.barriers[in.passes[2].first_barrier].flags & VKG_BARRIER_ALIAS);
    char why[512];
    if (!vkgt_check_plan(plan, why, sizeof why)) fail_msg("%s", why);
    /* recompiling in place reuses the plan's memory */
    vkg_plan *again = plan;
    assert_int_equal(vkg_compile(g, &caps, &again), VKG_SUCCESS);
    assert_ptr_equal(again, plan);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

/* Split barriers: with work between producer and consumer, the dependency becomes an event. */
static void test_split_barriers(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("bloom.json", &caps, VKG_COMPILE_SPLIT_BARRIERS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    /* Adjacent producer/consumer pairs keep plain barriers (scene->bright, down_k ->
     * down_k+1, down4->composite). Composite's reads of hdr and bloom mips 0..2, which have
     * work in between, were made visible by the barriers that made them readable (read
     * merging): nothing is left for an event to carry. */
    assert_int_equal(in.stats.events, 0);
    vkg_plan_destroy(plan);
    plan = NULL;

    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.logger = vkgt_logger(),
        .compile_flags = VKG_COMPILE_SPLIT_BARRIERS}, &g), VKG_SUCCESS);
    vkg_resource a, x, out;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "a", .size = 256}, &a), 0);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "x", .size = 256}, &x), 0);
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "out", .size = 256, .output = true}, &out), 0);
    vkg_use u0[] = {{a, VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    vkg_use u1[] = {{x, VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    vkg_use u2[] = {{a, VKG_ACCESS_COMPUTE_STORAGE_READ}, {x, VKG_ACCESS_COMPUTE_STORAGE_READ},
                    {out, VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "produce", .queue = VKG_QUEUE_COMPUTE, .uses = u0, .use_count = 1}, NULL), 0);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "other", .queue = VKG_QUEUE_COMPUTE, .uses = u1, .use_count = 1}, NULL), 0);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "consume", .queue = VKG_QUEUE_COMPUTE, .uses = u2, .use_count = 3}, NULL), 0);
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.stats.events, 1);
    assert_int_equal(in.events[0].set_pass, 0);
    assert_int_equal(in.events[0].wait_pass, 2);
    assert_int_equal(in.events[0].barrier_count, 1);
    assert_string_equal(in.resources[in.barriers[in.events[0].first_barrier].resource].name, "a");
    assert_int_equal(in.passes[2].barrier_count, 1); /* x: adjacent, a plain barrier */
    char why[512];
    if (!vkgt_check_plan(plan, why, sizeof why)) fail_msg("%s", why);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

/* Every example compiles and passes the checker on every queue layout, split or not. */
/* Every example graph (the .json files of examples/), on one, two and three families, with and without
 * split barriers, through the hazard checker (which also pairs every acquire with an
 * identical release). */
static void test_examples_all_layouts(void **state)
{
    (void)state;
    char dir_path[512];
    snprintf(dir_path, sizeof dir_path, "%s/examples", VKG_SOURCE_DIR);
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    const char *files[64];
    char names[64][256];
    size_t nf = 0;
    for (struct dirent *e; (e = readdir(dir)) && nf < 64;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len >= sizeof names[0] || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        snprintf(names[nf], sizeof names[nf], "%s", e->d_name);
        files[nf] = names[nf];
        nf++;
    }
    closedir(dir);
    assert_true(nf >= 7);
    for (size_t f = 0; f < nf; f++)
        for (uint32_t fam = 0; fam < 3; fam++)
            for (uint32_t split = 0; split < 2; split++) {
                vkg_caps caps;
                vkg_caps_default(&caps);
                if (fam == 0) caps.role_family[1] = caps.role_family[2] = 0;
                if (fam == 1) caps.role_family[2] = 1;
                vkg_plan *plan = compile_file(files[f], &caps, split ? VKG_COMPILE_SPLIT_BARRIERS : 0);
                vkg_plan_destroy(plan);
            }
}

/* Ordering without a resource: a full barrier on the same queue, a semaphore wait across
 * queues, nothing for a culled pass; the plan JSON says so. */
static void test_ordering_after(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps); /* graphics, compute and transfer on three families */
    vkg_plan *plan = compile_file("ordering.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    uint32_t cull = pass_index(&in, "cull"), draw = pass_index(&in, "draw");
    assert_true(in.passes[cull].after_barrier);
    assert_false(in.passes[draw].after_barrier);
    assert_false(in.passes[pass_index(&in, "fill_table")].after_barrier);
    const vkg_plan_submission *sub = &in.submissions[in.passes[draw].submission];
    assert_int_equal(sub->wait_count, 2); /* transfer (fill_table) and compute (cull) */
    for (uint32_t i = 0; i < sub->wait_count; i++)
        assert_true(in.waits[sub->first_wait + i].stage & VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    assert_int_equal(in.stats.memory_barriers, 1);
    char *json = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&json, &len);
    assert_int_equal(vkg_plan_write_json(plan, mf), VKG_SUCCESS);
    fclose(mf);
    assert_non_null(strstr(json, "\"name\": \"cull\", \"queue\": \"compute\", \"submission\": 0, "
                                 "\"after_barrier\": true"));
    free(json);
    vkg_plan_destroy(plan);
    /* on one family every pass shares the queue: two barriers, no waits */
    one_family(&caps);
    plan = compile_file("ordering.json", &caps, 0);
    vkg_plan_get_info(plan, &in);
    assert_true(in.passes[pass_index(&in, "draw")].after_barrier);
    assert_int_equal(in.wait_count, 0);
    vkg_plan_destroy(plan);
}

/* docs/graph-format.md is the format's reference: every access name has its row there. */
#define DEPTH VK_IMAGE_ASPECT_DEPTH_BIT
#define STENCIL VK_IMAGE_ASPECT_STENCIL_BIT
#define TESTS (S(EARLY_FRAGMENT_TESTS_BIT) | S(LATE_FRAGMENT_TESTS_BIT))

/* Depth and stencil as planes of their own: a pass testing depth read-only while writing
 * stencil gets one barrier per aspect, each with its own layouts. */
static void test_stencil_planes(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    vkg_plan *plan = compile_file("stencil_resolve.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    want mark[] = {
        {"depth", 0, 1, 0, 1, .ss = TESTS, .sa = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), .ds = TESTS,
         .da = A(DEPTH_STENCIL_ATTACHMENT_READ_BIT), .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL),
         .sf = IGN, .df = IGN, .asp = DEPTH},
        {"depth", 0, 1, 0, 1, .ss = S(NONE), .ds = TESTS, .da = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),
         .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN, .asp = STENCIL}};
    expect_pre(&in, "mark_decals", mark, N(mark));
    want count[] = {{"depth", 0, 1, 0, 1, .ss = TESTS, .sa = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), .ds = TESTS,
                     .da = A(DEPTH_STENCIL_ATTACHMENT_READ_BIT) | A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),
                     .ol = L(ATTACHMENT_OPTIMAL), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN,
                     .asp = STENCIL}};
    expect_pre(&in, "count_decals", count, 1);
    /* the depth plane is already read-only: only stencil changes layout (and the later
     * compute read of stencil joins its barrier) */
    want composite[] = {
        {"depth", 0, 1, 0, 1, .ss = TESTS, .sa = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),
         .ds = TESTS | S(COMPUTE_SHADER_BIT), .da = A(DEPTH_STENCIL_ATTACHMENT_READ_BIT) | A(SHADER_SAMPLED_READ_BIT),
         .ol = L(ATTACHMENT_OPTIMAL), .nl = L(READ_ONLY_OPTIMAL), .sf = IGN, .df = IGN, .asp = STENCIL},
        {"target", 0, 1, 0, 1, .ss = S(COLOR_ATTACHMENT_OUTPUT_BIT), .sa = A(COLOR_ATTACHMENT_WRITE_BIT),
         .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT), .da = A(COLOR_ATTACHMENT_READ_BIT) | A(COLOR_ATTACHMENT_WRITE_BIT),
         .ol = L(ATTACHMENT_OPTIMAL), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "composite_decals", composite, N(composite));
    /* the resolve target's first use is the resolve: a plain first write */
    want shade[] = {
        {"scene_ms", 0, 1, 0, 1, .ss = S(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN},
        {"target", 0, 1, 0, 1, .ss = S(NONE), .ds = S(COLOR_ATTACHMENT_OUTPUT_BIT),
         .da = A(COLOR_ATTACHMENT_WRITE_BIT), .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN}};
    expect_pre(&in, "shade", shade, N(shade));
    vkg_plan_destroy(plan);

    /* a device without separateDepthStencilLayouts: depth and stencil share one layout, so
     * mark_decals (depth read-only, stencil written) is refused by name */
    caps.separate_depth_stencil_layouts = false;
    char path[512];
    snprintf(path, sizeof path, "%s/examples/stencil_resolve.json", VKG_SOURCE_DIR);
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json(path, &(vkg_graph_desc){.logger = vkgt_logger()}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    vkgt_log_clear();
    plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_INVALID_ARGUMENT);
    assert_true(vkgt_log_has("pass \"mark_decals\"", "image \"depth\"", "separateDepthStencilLayouts",
                             NULL));
    vkg_graph_destroy(g);
}

/* Both planes alike (written together, then copied): one barrier names both aspects. */
static void test_stencil_planes_merge(void **state)
{
    (void)state;
    vkg_caps caps;
    one_family(&caps);
    for (int separate = 1; separate >= 0; separate--) {
        caps.separate_depth_stencil_layouts = separate;
        vkg_graph *g = NULL;
        assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "ds", .logger = vkgt_logger()}, &g),
                         VKG_SUCCESS);
        vkg_resource ds;
        assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ds",
                                                                   .format = VK_FORMAT_D32_SFLOAT_S8_UINT,
                                                                   .width = 8, .height = 8, .output = true},
                                         &ds),
                         VKG_SUCCESS);
        vkg_use w[] = {{.resource = ds, .access = VKG_ACCESS_DEPTH_WRITE},
                       {.resource = ds, .access = VKG_ACCESS_STENCIL_WRITE}};
        vkg_use c[] = {{.resource = ds, .access = VKG_ACCESS_TRANSFER_READ}};
        assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "draw", .uses = w, .use_count = 2}, NULL),
                         VKG_SUCCESS);
        assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = c, .use_count = 1,
                                                            .side_effects = true},
                                        NULL),
                         VKG_SUCCESS);
        vkg_plan *plan = NULL;
        assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
        char why[512];
        if (!vkgt_check_plan(plan, why, sizeof why)) fail_msg("hazard checker: %s", why);
        vkg_plan_info in;
        vkg_plan_get_info(plan, &in);
        want draw[] = {{"ds", 0, 1, 0, 1, .ss = S(NONE), .ds = TESTS, .da = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),
                        .ol = L(UNDEFINED), .nl = L(ATTACHMENT_OPTIMAL), .sf = IGN, .df = IGN,
                        .asp = DEPTH | STENCIL}};
        expect_pre(&in, "draw", draw, 1);
        want copy[] = {{"ds", 0, 1, 0, 1, .ss = TESTS, .sa = A(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),
                        .ds = S(ALL_TRANSFER_BIT), .da = A(TRANSFER_READ_BIT), .ol = L(ATTACHMENT_OPTIMAL),
                        .nl = L(TRANSFER_SRC_OPTIMAL), .sf = IGN, .df = IGN, .asp = DEPTH | STENCIL}};
        expect_pre(&in, "copy", copy, 1);
        vkg_plan_destroy(plan);
        vkg_graph_destroy(g);
    }
}

/* Rows of optional stages compile only for devices with the feature, named when missing. */
static void test_optional_stage_features(void **state)
{
    (void)state;
    static const struct {
        vkg_access access;
        size_t off; /* the vkg_caps field that turns it off */
        const char *feature;
    } rows[] = {
        {VKG_ACCESS_GEOMETRY_STORAGE_WRITE, offsetof(vkg_caps, geometry_shader), "geometryShader"},
        {VKG_ACCESS_TESSELLATION_STORAGE_WRITE, offsetof(vkg_caps, tessellation_shader), "tessellationShader"},
        {VKG_ACCESS_TASK_STORAGE_WRITE, offsetof(vkg_caps, task_shader), "taskShader"},
        {VKG_ACCESS_MESH_STORAGE_WRITE, offsetof(vkg_caps, mesh_shader), "meshShader"},
        {VKG_ACCESS_AS_BUILD_WRITE, offsetof(vkg_caps, acceleration_structure), "accelerationStructure"},
        {VKG_ACCESS_RAY_TRACING_AS_READ, offsetof(vkg_caps, ray_tracing_pipeline), "rayTracingPipeline"},
        {VKG_ACCESS_COMPUTE_AS_READ, offsetof(vkg_caps, ray_query), "rayQuery"},
    };
    for (size_t i = 0; i < N(rows); i++) {
        const vkg_access_info *a = vkg_access_get(rows[i].access);
        vkg_graph *g = NULL;
        assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "feat", .logger = vkgt_logger()}, &g),
                         VKG_SUCCESS);
        vkg_resource b;
        assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "b", .size = 256,
                                                                     .imported = true},
                                          &b),
                         VKG_SUCCESS);
        vkg_use u = {.resource = b, .access = rows[i].access};
        assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "p", .uses = &u, .use_count = 1,
                                                            .side_effects = true},
                                        NULL),
                         VKG_SUCCESS);
        vkg_caps caps;
        vkg_caps_default(&caps);
        vkg_plan *plan = NULL;
        assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
        /* the row's own stage and access in the barrier */
        vkg_plan_info in;
        vkg_plan_get_info(plan, &in);
        assert_int_equal(in.barriers[in.passes[0].first_barrier].dst_stage & a->stage, a->stage);
        vkg_plan_destroy(plan);
        plan = NULL;
        *(bool *)((char *)&caps + rows[i].off) = false;
        vkgt_log_clear();
        assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_FEATURE_NOT_PRESENT);
        if (!vkgt_log_has("pass \"p\"", "buffer \"b\"", a->name, rows[i].feature, NULL)) {
            vkgt_log_dump();
            fail_msg("%s: the refusal does not name the pass, resource, access and feature", a->name);
        }
        vkg_graph_destroy(g);
    }
}

static void test_format_doc_lists_every_access(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/docs/graph-format.md", VKG_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    for (uint32_t i = 1; i < VKG_ACCESS_COUNT; i++) {
        char row[96];
        snprintf(row, sizeof row, "| `%s` |", vkg_access_get((vkg_access)i)->name);
        if (!strstr(doc, row)) fail_msg("docs/graph-format.md has no row for access %s", row);
    }
}

/* History resources: NAME and NAME@prev are imported (never placed in a heap, never
 * aliased), paired both ways; NAME's first barrier discards and is patched at submit;
 * NAME@prev is assumed in NAME's last state in the plan (tonemap's sampled read). */
static void test_history_plan(void **state)
{
    (void)state;
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = compile_file("temporal.json", &caps, 0);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    uint32_t taa = UINT32_MAX, prev = UINT32_MAX;
    for (uint32_t i = 0; i < in.resource_count; i++) {
        if (strcmp(in.resources[i].name, "taa") == 0) taa = i;
        if (strcmp(in.resources[i].name, "taa@prev") == 0) prev = i;
    }
    assert_true(taa != UINT32_MAX && prev != UINT32_MAX);
    const vkg_plan_resource *t = &in.resources[taa], *p = &in.resources[prev];
    assert_int_equal(t->history, 1);
    assert_int_equal(p->history, 2);
    assert_int_equal(t->history_pair, prev);
    assert_int_equal(p->history_pair, taa);
    assert_true(t->imported && p->imported && t->history_clear);
    assert_int_equal(t->heap, UINT32_MAX);
    assert_int_equal(p->heap, UINT32_MAX);
    assert_int_equal(p->state.access, VKG_ACCESS_FRAGMENT_SAMPLED_READ);
    assert_int_equal(p->state.queue, VKG_QUEUE_GRAPHICS);
    bool first = true;
    for (uint32_t b = 0; b < in.barrier_count; b++) {
        const vkg_plan_barrier *pb = &in.barriers[b];
        if (pb->resource != taa || !first) continue;
        first = false;
        assert_true(pb->flags & VKG_BARRIER_IMPORTED);
        assert_true(pb->flags & VKG_BARRIER_DISCARD);
        assert_int_equal(pb->old_layout, VK_IMAGE_LAYOUT_UNDEFINED);
    }
    assert_false(first);
    vkg_plan_destroy(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_plan),
        cmocka_unit_test(test_format_doc_lists_every_access),
        cmocka_unit_test(test_stencil_planes),
        cmocka_unit_test(test_stencil_planes_merge),
        cmocka_unit_test(test_optional_stage_features),
        cmocka_unit_test(test_ordering_after),
        cmocka_unit_test(test_bloom_one_family),  cmocka_unit_test(test_bloom_three_families),
        cmocka_unit_test(test_bloom_concurrent),
        cmocka_unit_test(test_upload_handover_three_families),
        cmocka_unit_test(test_buffer_ranges_and_chains), cmocka_unit_test(test_array_layers),
        cmocka_unit_test(test_culling),           cmocka_unit_test(test_deferred),
        cmocka_unit_test(test_aliasing),          cmocka_unit_test(test_split_barriers),
        cmocka_unit_test(test_examples_all_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
