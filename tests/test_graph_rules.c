/* One test per validation rule: the call fails with the right vkg_result, and the message
 * names the pass, the resource (and subresource) and the fix. Also the JSON loader's
 * file:line:column errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static vkg_graph *new_graph(void)
{
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_create(&(vkg_graph_desc){.name = "rules", .logger = vkgt_logger()}, &g),
                     VKG_SUCCESS);
    vkgt_log_clear();
    return g;
}

static vkg_resource image(vkg_graph *g, const char *name, VkFormat f, uint32_t mips, uint32_t layers)
{
    vkg_resource r;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = name, .format = f,
        .width = 64, .height = 64, .mips = mips, .layers = layers}, &r), VKG_SUCCESS);
    return r;
}

static vkg_resource buffer(vkg_graph *g, const char *name, VkDeviceSize size)
{
    vkg_resource r;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = name, .size = size}, &r),
                     VKG_SUCCESS);
    return r;
}

static vkg_result pass1(vkg_graph *g, const char *name, vkg_queue_role q, vkg_use u)
{
    return vkg_graph_pass(g, &(vkg_pass_desc){.name = name, .queue = q, .uses = &u, .use_count = 1},
                          NULL);
}

#define EXPECT_LOG(...)                                                                          \
    do {                                                                                         \
        if (!vkgt_log_has(__VA_ARGS__, NULL)) {                                                  \
            vkgt_log_dump();                                                                     \
            fail_msg("the message does not name everything it should");                         \
        }                                                                                        \
    } while (0)

static void test_duplicate_names(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    buffer(g, "params", 256);
    vkg_resource r;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "params", .size = 16}, &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_int_equal(r.id, 0);
    EXPECT_LOG("buffer \"params\"", "already taken", "unique");
    vkg_resource hdr = image(g, "hdr", VK_FORMAT_R16G16B16A16_SFLOAT, 1, 1);
    vkgt_log_clear();
    assert_int_equal(pass1(g, "scene", 0, (vkg_use){hdr, VKG_ACCESS_COLOR_WRITE}), VKG_SUCCESS);
    assert_int_equal(pass1(g, "scene", 0, (vkg_use){hdr, VKG_ACCESS_COLOR_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"scene\"", "already taken", "unique");
    vkg_graph_destroy(g);
}

static void test_unknown_resource_handle(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    assert_int_equal(pass1(g, "blur", 0, (vkg_use){{42}, VKG_ACCESS_COLOR_WRITE}),
                     VKG_ERROR_INVALID_HANDLE);
    EXPECT_LOG("pass \"blur\"", "handle 42", "graph \"rules\"");
    vkg_graph_destroy(g);
}

static void test_access_kind(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource b = buffer(g, "lights", 1024);
    vkg_resource i = image(g, "albedo", VK_FORMAT_R8G8B8A8_UNORM, 1, 1);
    assert_int_equal(pass1(g, "gbuffer", 0, (vkg_use){b, VKG_ACCESS_COLOR_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"gbuffer\"", "buffer \"lights\"", "color_write", "only applies to images");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "draw", 0, (vkg_use){i, VKG_ACCESS_INDEX_READ}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"draw\"", "image \"albedo\"", "index_read", "only applies to buffers");
    vkg_graph_destroy(g);
}

static void test_color_on_depth_and_depth_on_color(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource d = image(g, "depth", VK_FORMAT_D32_SFLOAT, 1, 1);
    vkg_resource c = image(g, "color", VK_FORMAT_R8G8B8A8_UNORM, 1, 1);
    assert_int_equal(pass1(g, "prepass", 0, (vkg_use){d, VKG_ACCESS_COLOR_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"prepass\"", "image \"depth\"", "D32_SFLOAT", "depth only", "depth_write");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "main", 0, (vkg_use){c, VKG_ACCESS_DEPTH_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"main\"", "image \"color\"", "R8G8B8A8_UNORM", "color only",
               "format with depth");
    vkg_graph_destroy(g);
}

static void test_storage_without_format_support(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource s = image(g, "swapchain_copy", VK_FORMAT_B8G8R8A8_SRGB, 1, 1);
    assert_int_equal(pass1(g, "post", VKG_QUEUE_COMPUTE,
                           (vkg_use){s, VKG_ACCESS_COMPUTE_STORAGE_WRITE}), VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps); /* no storage on sRGB/BGRA formats */
    vkg_plan *plan = NULL;
    vkgt_log_clear();
    assert_int_equal(vkg_graph_output(g, s), VKG_SUCCESS);
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_FEATURE_NOT_PRESENT);
    assert_null(plan);
    EXPECT_LOG("pass \"post\"", "image \"swapchain_copy\"", "storage image", "B8G8R8A8_SRGB");
    vkg_graph_destroy(g);
}

static void test_mip_layer_range_bounds(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource i = image(g, "bloom", VK_FORMAT_R16G16B16A16_SFLOAT, 5, 1);
    vkg_resource b = buffer(g, "params", 256);
    assert_int_equal(pass1(g, "down5", 0, (vkg_use){i, VKG_ACCESS_COLOR_WRITE, .base_mip = 5}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"down5\"", "image \"bloom\" mip 5", "5 mips");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "down4", 0, (vkg_use){i, VKG_ACCESS_COLOR_WRITE, .base_mip = 3,
                                                    .mip_count = 3}), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"down4\"", "image \"bloom\" mips [3,6)");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "layer", 0, (vkg_use){i, VKG_ACCESS_COLOR_WRITE, .base_layer = 1}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"layer\"", "image \"bloom\" layer 1", "1 layer");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "upload", VKG_QUEUE_TRANSFER,
                           (vkg_use){b, VKG_ACCESS_TRANSFER_WRITE, .offset = 128, .size = 256}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"upload\"", "buffer \"params\" bytes [128,384)", "past its end");
    vkg_graph_destroy(g);
}

static void test_zero_sizes(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource r;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "empty"}, &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"empty\"", "size is 0");
    vkgt_log_clear();
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "flat",
        .format = VK_FORMAT_R8G8B8A8_UNORM, .width = 64}, &r), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"flat\"", "64x0", "zero dimension");
    vkg_graph_destroy(g);
}

static void test_transient_read_before_write(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource i = image(g, "bloom", VK_FORMAT_R16G16B16A16_SFLOAT, 4, 1);
    vkg_resource out = image(g, "out", VK_FORMAT_R8G8B8A8_UNORM, 1, 1);
    assert_int_equal(vkg_graph_output(g, out), VKG_SUCCESS);
    assert_int_equal(pass1(g, "bright", 0, (vkg_use){i, VKG_ACCESS_COLOR_WRITE, .mip_count = 1}),
                     VKG_SUCCESS);
    vkg_use uses[2] = {{i, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .base_mip = 3, .mip_count = 1},
                       {out, VKG_ACCESS_COLOR_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "bloom.down3", .uses = uses,
        .use_count = 2}, NULL), VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"bloom.down3\"", "image \"bloom\" mip 3", "no earlier pass writes it",
               "import it");
    vkg_graph_destroy(g);
}

static void test_two_layouts_in_one_pass(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource d = image(g, "depth", VK_FORMAT_D32_SFLOAT, 1, 1);
    vkg_use uses[2] = {{d, VKG_ACCESS_DEPTH_WRITE}, {d, VKG_ACCESS_FRAGMENT_SAMPLED_READ}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "feedback", .uses = uses,
        .use_count = 2}, NULL), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"feedback\"", "image \"depth\" mip 0 layer 0", "ATTACHMENT_OPTIMAL",
               "READ_ONLY_OPTIMAL", "one layout");
    /* depth_read + sampled read share READ_ONLY_OPTIMAL: allowed */
    vkg_use ok[2] = {{d, VKG_ACCESS_DEPTH_READ}, {d, VKG_ACCESS_FRAGMENT_SAMPLED_READ}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "decals", .uses = ok,
        .use_count = 2}, NULL), VKG_SUCCESS);
    vkg_graph_destroy(g);
}

static void test_queue_cannot_run_access(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource c = image(g, "hdr", VK_FORMAT_R16G16B16A16_SFLOAT, 1, 1);
    assert_int_equal(pass1(g, "copy_pass", VKG_QUEUE_TRANSFER, (vkg_use){c, VKG_ACCESS_COLOR_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"copy_pass\"", "transfer queue", "color_write", "image \"hdr\"",
               "graphics queue");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "async", VKG_QUEUE_COMPUTE,
                           (vkg_use){c, VKG_ACCESS_FRAGMENT_SAMPLED_READ}), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"async\"", "compute queue", "fragment_sampled_read");
    vkg_graph_destroy(g);
}

/* The host reaches imported resources only: a host access to a transient would read or write
 * memory the graph places (device-local, shared with other transients). */
static void test_host_access_needs_import(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource t = buffer(g, "result", 256);
    vkg_resource i;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "readback", .size = 256,
                                                                   .imported = true}, &i),
                     VKG_SUCCESS);
    assert_int_equal(pass1(g, "make", VKG_QUEUE_COMPUTE, (vkg_use){t, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                     VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(pass1(g, "look", 0, (vkg_use){t, VKG_ACCESS_HOST_READ}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"look\"", "transient buffer \"result\"", "host_read", "imported = true");
    assert_int_equal(pass1(g, "fill", 0, (vkg_use){t, VKG_ACCESS_HOST_WRITE}),
                     VKG_ERROR_INVALID_ARGUMENT);
    assert_int_equal(pass1(g, "read_back", 0, (vkg_use){i, VKG_ACCESS_HOST_READ}), VKG_SUCCESS);
    vkg_graph_destroy(g);
}

static void test_present_must_be_last(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource sc;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "swapchain",
        .format = VK_FORMAT_B8G8R8A8_UNORM, .width = 64, .height = 64, .imported = true}, &sc),
        VKG_SUCCESS);
    assert_int_equal(pass1(g, "draw", 0, (vkg_use){sc, VKG_ACCESS_COLOR_WRITE}), VKG_SUCCESS);
    assert_int_equal(pass1(g, "present", 0, (vkg_use){sc, VKG_ACCESS_PRESENT}), VKG_SUCCESS);
    assert_int_equal(pass1(g, "overlay", 0, (vkg_use){sc, VKG_ACCESS_COLOR_READ_WRITE}), VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    vkgt_log_clear();
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"overlay\"", "image \"swapchain\"", "pass \"present\"", "last use");
    vkg_graph_destroy(g);
}

static void test_unknown_format_and_import_state(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource r;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "odd",
        .format = VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM, .width = 4, .height = 4}, &r),
        VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"odd\"", "not one vkgraph knows");
    vkgt_log_clear();
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "history", .size = 64,
        .state = {VKG_ACCESS_TRANSFER_WRITE}}, &r), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"history\"", "not imported");
    vkg_graph_destroy(g);
}

/* --- JSON --------------------------------------------------------------------------------- */
static vkg_result load(const char *text, char *err, size_t n)
{
    vkg_graph *g = NULL;
    vkg_result r = vkg_graph_load_json_string(text, "test.json",
        &(vkg_graph_desc){.logger = vkgt_logger()}, &g, NULL, err, n);
    vkg_graph_destroy(g);
    return r;
}

static void test_json_errors_name_position(void **state)
{
    (void)state;
    char err[1024];
    /* syntax error: jansson's position */
    assert_int_equal(load("{\"vkgraph\": 1,\n \"resources\": [,]}", err, sizeof err), VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "test.json:2:"));
    /* unknown access, on line 4 */
    const char *bad_access =
        "{\"vkgraph\": 1,\n"
        " \"resources\": [{\"name\": \"a\", \"image\": {\"format\": \"R8G8B8A8_UNORM\", \"size\": [4, 4]}}],\n"
        " \"passes\": [\n"
        "  {\"name\": \"p\", \"uses\": [{\"resource\": \"a\", \"access\": \"colour_write\"}]}]}\n";
    assert_int_equal(load(bad_access, err, sizeof err), VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "test.json:4:"));
    assert_non_null(strstr(err, "passes[0].uses[0].access"));
    assert_non_null(strstr(err, "unknown access \"colour_write\""));
    assert_non_null(strstr(err, "color_write")); /* the expected names are listed */
    assert_non_null(strstr(err, "(did you mean \"color_write\"?)"));
    /* unknown format, unknown queue, unknown resource, zero count, unknown key */
    const char *cases[][2] = {
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"a\", \"image\": {\"format\": \"RGBA8\", \"size\": [4, 4]}}], \"passes\": []}",
         "unknown format \"RGBA8\""},
        {"{\"vkgraph\": 1, \"resources\": [], \"passes\": [{\"name\": \"p\", \"queue\": \"async\"}]}",
         "unknown queue \"async\""},
        {"{\"vkgraph\": 1, \"resources\": [], \"passes\": [{\"name\": \"p\", \"uses\": [{\"resource\": \"ghost\", \"access\": \"color_write\"}]}]}",
         "unknown resource \"ghost\""},
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"a\", \"image\": {\"format\": \"R8G8B8A8_UNORM\", \"size\": [4, 4], \"mips\": 2}}], \"passes\": [{\"name\": \"p\", \"uses\": [{\"resource\": \"a\", \"access\": \"color_write\", \"mips\": [0, 0]}]}]}",
         "the count must be at least 1"},
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"b\", \"buffer\": {\"size\": 0}}], \"passes\": []}",
         "greater than 0"},
        {"{\"vkgraph\": 1, \"resources\": [], \"passes\": [], \"pases\": []}",
         "unknown key \"pases\" in the graph (did you mean \"passes\"?)"},
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"albedo\", \"buffer\": {\"size\": 4}}], \"passes\": [{\"name\": \"p\", \"uses\": [{\"resource\": \"albdeo\", \"access\": \"transfer_write\"}]}]}",
         "unknown resource \"albdeo\" (did you mean \"albedo\"?)"},
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"albedo\", \"buffer\": {\"size\": 4}}], \"passes\": [{\"name\": \"p\", \"uses\": [{\"resource\": \"zzz\", \"access\": \"transfer_write\"}]}]}",
         "unknown resource \"zzz\": declare it"},
        {"{\"vkgraph\": 2, \"resources\": [], \"passes\": []}", "out of range"},
        {"{\"vkgraph\": 1, \"resources\": [{\"name\": \"x\", \"buffer\": {\"size\": 4}}, {\"name\": \"x\", \"buffer\": {\"size\": 4}}], \"passes\": []}",
         "resources[1]: buffer \"x\": the name is already taken"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vkg_result r = load(cases[i][0], err, sizeof err);
        if (r == VKG_SUCCESS || !strstr(err, cases[i][1]) || !strstr(err, "test.json:1:"))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i][1]);
    }
}

/* Images sized from another: half and quarter of the swapchain, through a resize; refusals
 * leave every size as it was. */
static void test_relative_sizes(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource sc, half, quarter;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "swapchain",
        .format = VK_FORMAT_B8G8R8A8_UNORM, .width = 1280, .height = 720, .imported = true},
        &sc), VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "half",
        .format = VK_FORMAT_R16G16B16A16_SFLOAT, .size_of = sc, .scale_x = 0.5f, .scale_y = 0.5f,
        .mips = 4}, &half), VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "quarter",
        .format = VK_FORMAT_R8G8B8A8_UNORM, .size_of = half, .scale_x = 0.5f, .scale_y = 0.5f},
        &quarter),
        VKG_SUCCESS);
    assert_int_equal(pass1(g, "draw", 0, (vkg_use){half, VKG_ACCESS_COLOR_WRITE}), VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "down", .side_effects = true,
        .uses = (vkg_use[]){{half, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .mip_count = 1},
                            {quarter, VKG_ACCESS_COLOR_WRITE}}, .use_count = 2}, NULL), VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    vkg_plan_info in;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[1].width, 640);
    assert_int_equal(in.resources[1].height, 360);
    assert_int_equal(in.resources[2].width, 320);
    assert_int_equal(in.resources[2].height, 180);
    uint64_t bytes_before = in.stats.transient_bytes;
    /* the window grows: everything sized from it follows, and the plan with it */
    assert_int_equal(vkg_graph_resize(g, sc, 1920, 1080), VKG_SUCCESS);
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[0].width, 1920);
    assert_int_equal(in.resources[1].width, 960);
    assert_int_equal(in.resources[2].width, 480);
    assert_int_equal(in.resources[2].height, 270);
    assert_true(in.stats.transient_bytes > bytes_before);
    /* refusals: resizing a follower; a size too small for the follower's 4 mips */
    vkgt_log_clear();
    assert_int_equal(vkg_graph_resize(g, half, 100, 100), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"half\" is sized from \"swapchain\": resize that one");
    vkgt_log_clear();
    assert_int_equal(vkg_graph_resize(g, sc, 8, 8), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"half\" sized from \"swapchain\" would be 4x4, too small for its 4 mips",
               "nothing was resized");
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[0].width, 1920); /* unchanged */
    assert_int_equal(in.resources[1].width, 960);
    vkg_plan_destroy(plan);
    plan = NULL;
    vkg_graph_destroy(g);
    /* the same in a graph file */
    const char *text =
        "{\"vkgraph\": 1, \"resources\": ["
        "{\"name\": \"sc\", \"image\": {\"format\": \"B8G8R8A8_UNORM\", \"size\": [1280, 720]}, \"imported\": true},"
        "{\"name\": \"half\", \"image\": {\"format\": \"R8G8B8A8_UNORM\", \"size\": {\"of\": \"sc\", \"scale\": 0.5}}},"
        "{\"name\": \"thin\", \"image\": {\"format\": \"R8G8B8A8_UNORM\", \"size\": {\"of\": \"half\", \"scale\": [1, 0.25]}}}],"
        "\"passes\": []}";
    assert_int_equal(vkg_graph_load_json_string(text, "sizes.json",
                                                &(vkg_graph_desc){.logger = vkgt_logger()}, &g,
                                                NULL, NULL, 0),
                     VKG_SUCCESS);
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[2].width, 640);
    assert_int_equal(in.resources[2].height, 90);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    char err[512];
    assert_int_equal(vkg_graph_load_json_string(
                         "{\"vkgraph\": 1, \"resources\": [{\"name\": \"a\", \"image\": {\"format\": "
                         "\"R8G8B8A8_UNORM\", \"size\": {\"of\": \"later\"}}}], \"passes\": []}",
                         "bad.json", &(vkg_graph_desc){.logger = vkgt_logger()}, &g, NULL, err,
                         sizeof err),
                     VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "sized from \"later\", which is not an image declared before it"));
}

/* An ordering dependency names a pass declared before; in a file, by name. */
static void test_after_must_be_earlier(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource b = buffer(g, "b", 64);
    vkg_pass first;
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "first",
        .uses = (vkg_use[]){{b, VKG_ACCESS_TRANSFER_WRITE}}, .use_count = 1}, &first), VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "second", .after = (vkg_pass[]){{7}},
        .after_count = 1}, NULL), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"second\": after[0] is handle 7", "not a pass declared before it");
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "second", .after = &first,
        .after_count = 1}, NULL), VKG_SUCCESS);
    vkg_graph_destroy(g);
    char err[512];
    assert_int_equal(load("{\"vkgraph\": 1, \"resources\": [], \"passes\": ["
                          "{\"name\": \"clear\"}, {\"name\": \"draw\", \"after\": [\"claer\"]}]}",
                          err, sizeof err),
                     VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "pass \"draw\" is to run after \"claer\" (did you mean \"clear\"?)"));
}

/* Compile errors of a loaded graph name the pass's place in the file, as load errors do. */
static void test_compile_errors_name_position(void **state)
{
    (void)state;
    const char *text =
        "{\"vkgraph\": 1, \"resources\": [{\"name\": \"t\", \"buffer\": {\"size\": 64}},\n"
        "  {\"name\": \"o\", \"buffer\": {\"size\": 64}, \"output\": true}],\n"
        " \"passes\": [{\"name\": \"a\", \"queue\": \"compute\",\n"
        "    \"uses\": [{\"resource\": \"o\", \"access\": \"compute_storage_write\"}]},\n"
        "   {\"name\": \"b\", \"queue\": \"compute\", \"uses\": [\n"
        "    {\"resource\": \"t\", \"access\": \"compute_storage_read\"}]}]}\n";
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(text, "test.json",
                                                &(vkg_graph_desc){.logger = vkgt_logger()}, &g,
                                                NULL, NULL, 0),
                     VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    vkgt_log_clear();
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("test.json:5:4: pass \"b\" reads buffer \"t\"", "no earlier pass writes it");
    vkg_graph_destroy(g);
}

static void record_nothing(const vkg_pass_context *ctx, void *user)
{
    (void)ctx, (void)user;
}

/* passes loaded from a file get their callbacks afterwards */
static void test_set_record_on_loaded_passes(void **state)
{
    (void)state;
    vkg_graph *g = NULL;
    assert_int_equal(vkg_graph_load_json_string(
                         "{\"vkgraph\": 1, \"resources\": [{\"name\": \"b\", \"buffer\": {\"size\": 64}, "
                         "\"output\": true}], \"passes\": [{\"name\": \"w\", \"queue\": \"compute\", "
                         "\"uses\": [{\"resource\": \"b\", \"access\": \"compute_storage_write\"}]}]}",
                         "t.json", &(vkg_graph_desc){.logger = vkgt_logger()}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_pass_count(g), 1);
    int user = 7;
    assert_int_equal(vkg_graph_set_record(g, vkg_graph_find_pass(g, "w"), record_nothing, &user),
                     VKG_SUCCESS);
    vkgt_log_clear();
    assert_int_equal(vkg_graph_set_record(g, (vkg_pass){2}, record_nothing, NULL),
                     VKG_ERROR_INVALID_HANDLE);
    assert_true(vkgt_log_has("vkg_graph_set_record", "not a pass", NULL));
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.pass_count, 1);
    assert_true(in.passes[0].record == record_nothing);
    assert_ptr_equal(in.passes[0].user, &user);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

/* Aspects of depth/stencil images: each access touches the aspects it names, by name. */
static void test_aspect_rules(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource d = image(g, "depth", VK_FORMAT_D32_SFLOAT, 1, 1);
    vkg_resource ds = image(g, "ds", VK_FORMAT_D32_SFLOAT_S8_UINT, 1, 1);
    assert_int_equal(pass1(g, "mark", 0, (vkg_use){d, VKG_ACCESS_STENCIL_WRITE}), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"mark\"", "image \"depth\"", "stencil_write", "D32_SFLOAT", "stencil");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "s", 0, (vkg_use){d, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .aspect = VK_IMAGE_ASPECT_STENCIL_BIT}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"s\"", "stencil aspect", "image \"depth\"", "depth only");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "both", 0, (vkg_use){ds, VKG_ACCESS_FRAGMENT_SAMPLED_READ,
                                                   .aspect = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"both\"", "image \"ds\"", "one aspect");
    vkgt_log_clear();
    assert_int_equal(pass1(g, "wrong", 0, (vkg_use){ds, VKG_ACCESS_DEPTH_WRITE, .aspect = VK_IMAGE_ASPECT_STENCIL_BIT}),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"wrong\"", "image \"ds\"", "depth_write", "depth aspect only");
    /* depth read-only and stencil written in one pass: separate planes, accepted */
    vkg_use two[] = {{ds, VKG_ACCESS_DEPTH_READ}, {ds, VKG_ACCESS_STENCIL_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "ok", .uses = two, .use_count = 2}, NULL),
                     VKG_SUCCESS);
    /* but one plane in two layouts is still refused */
    vkg_use clash[] = {{ds, VKG_ACCESS_STENCIL_WRITE}, {ds, VKG_ACCESS_FRAGMENT_SAMPLED_READ, .aspect = VK_IMAGE_ASPECT_STENCIL_BIT}};
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "clash", .uses = clash, .use_count = 2}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"clash\"", "image \"ds\" stencil", "one layout");
    vkg_graph_destroy(g);
    char err[512];
    assert_int_equal(load("{\"vkgraph\": 1, \"resources\": [{\"name\": \"ds\", \"image\": {\"format\": "
                          "\"D32_SFLOAT_S8_UINT\", \"size\": [8, 8]}}], \"passes\": [{\"name\": \"p\", "
                          "\"uses\": [{\"resource\": \"ds\", \"access\": \"fragment_sampled_read\", "
                          "\"aspect\": \"stensil\"}]}]}",
                          err, sizeof err),
                     VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "did you mean \"stencil\""));
}

/* resolve_write pairs with a multisampled colour attachment of the same format and size. */
static void test_resolve_rules(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource ms, ms16, one, other;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ms", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                               .width = 64, .height = 64, .samples = 4},
                                     &ms),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ms16", .format = VK_FORMAT_R16G16B16A16_SFLOAT,
                                                               .width = 64, .height = 64, .samples = 4},
                                     &ms16),
                     VKG_SUCCESS);
    one = image(g, "one", VK_FORMAT_R8G8B8A8_UNORM, 1, 1);
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "small", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                               .width = 32, .height = 32},
                                     &other),
                     VKG_SUCCESS);
    assert_int_equal(pass1(g, "alone", 0, (vkg_use){one, VKG_ACCESS_RESOLVE_WRITE}), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"alone\"", "image \"one\"", "multisampled color");
    vkg_use fmt[] = {{ms16, VKG_ACCESS_COLOR_WRITE}, {one, VKG_ACCESS_RESOLVE_WRITE}};
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "fmt", .uses = fmt, .use_count = 2}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"fmt\"", "\"ms16\"", "\"one\"", "same format and size");
    vkg_use size[] = {{ms, VKG_ACCESS_COLOR_WRITE}, {other, VKG_ACCESS_RESOLVE_WRITE}};
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "size", .uses = size, .use_count = 2}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"size\"", "64x64", "32x32");
    vkg_use target_ms[] = {{ms, VKG_ACCESS_COLOR_WRITE}, {ms, VKG_ACCESS_RESOLVE_WRITE}};
    vkgt_log_clear();
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "self", .uses = target_ms, .use_count = 2}, NULL),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"self\"", "image \"ms\"", "4 samples");
    vkg_use good[] = {{ms, VKG_ACCESS_COLOR_WRITE}, {one, VKG_ACCESS_RESOLVE_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "good", .uses = good, .use_count = 2}, NULL),
                     VKG_SUCCESS);
    vkg_graph_destroy(g);
}

/* An imported resource's state names a row the device cannot run: refused at compile. */
static void test_import_state_needs_feature(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource b;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "meshlets", .size = 256,
                                                                 .imported = true,
                                                                 .state = {VKG_ACCESS_MESH_STORAGE_WRITE,
                                                                           VKG_QUEUE_GRAPHICS}},
                                      &b),
                     VKG_SUCCESS);
    assert_int_equal(pass1(g, "read", VKG_QUEUE_COMPUTE, (vkg_use){b, VKG_ACCESS_COMPUTE_STORAGE_READ}),
                     VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    caps.mesh_shader = false;
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_ERROR_FEATURE_NOT_PRESENT);
    EXPECT_LOG("buffer \"meshlets\"", "mesh_storage_write", "meshShader");
    vkg_graph_destroy(g);
}

/* --- history resources -------------------------------------------------------------------- */
static vkg_result compile_default(vkg_graph *g)
{
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    vkg_result r = vkg_compile(g, &caps, &plan);
    vkg_plan_destroy(plan);
    return r;
}

static void test_history_declaration_rules(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource r;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 2}, &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"sum\"", "history is 2", "history = 1");
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 1,
                                                                  .imported = true},
                                      &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"sum\"", "history and imported together", "drop imported");
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "ms", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                                .width = 8, .height = 8, .samples = 4, .history = 1},
                                     &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"ms\"", "single-sampled");
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "x@prev", .size = 64}, &r),
                     VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"x@prev\"", "names ending in \"@prev\"", "declare \"x\" with history = 1");
    /* a good one: NAME@prev exists, by handle and by name */
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 1}, &r),
                     VKG_SUCCESS);
    vkg_resource prev = vkg_graph_previous(g, r);
    assert_int_not_equal(prev.id, 0);
    assert_int_equal(vkg_graph_find_resource(g, "sum@prev").id, prev.id);
    assert_int_equal(vkg_graph_previous(g, prev).id, 0);
    vkg_graph_destroy(g);
}

static void test_history_use_rules(void **state)
{
    (void)state;
    /* NAME@prev is read-only */
    vkg_graph *g = new_graph();
    vkg_resource r;
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 1}, &r),
                     VKG_SUCCESS);
    vkg_resource prev = vkg_graph_previous(g, r);
    assert_int_equal(pass1(g, "accumulate", VKG_QUEUE_COMPUTE, (vkg_use){prev, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                     VKG_SUCCESS);
    assert_int_equal(compile_default(g), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"accumulate\"", "writes buffer \"sum@prev\"", "read-only", "write \"sum\"");
    vkg_graph_destroy(g);
    /* NAME starts each execution undefined */
    g = new_graph();
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 1}, &r),
                     VKG_SUCCESS);
    assert_int_equal(pass1(g, "early", VKG_QUEUE_COMPUTE, (vkg_use){r, VKG_ACCESS_COMPUTE_STORAGE_READ}),
                     VKG_SUCCESS);
    assert_int_equal(pass1(g, "late", VKG_QUEUE_COMPUTE, (vkg_use){r, VKG_ACCESS_COMPUTE_STORAGE_WRITE}),
                     VKG_SUCCESS);
    assert_int_equal(compile_default(g), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("pass \"early\"", "buffer \"sum\"", "starts each execution undefined", "read \"sum@prev\"");
    vkg_graph_destroy(g);
    /* read but never written: the next execution would have nothing */
    g = new_graph();
    assert_int_equal(vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "sum", .size = 64, .history = 1}, &r),
                     VKG_SUCCESS);
    vkg_resource out = buffer(g, "out", 64);
    assert_int_equal(vkg_graph_output(g, out), VKG_SUCCESS);
    vkg_use uses[2] = {{vkg_graph_previous(g, r), VKG_ACCESS_TRANSFER_READ}, {out, VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = uses, .use_count = 2}, NULL),
                     VKG_SUCCESS);
    assert_int_equal(compile_default(g), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("buffer \"sum\"", "passes read \"sum@prev\" but no pass writes \"sum\"");
    vkg_graph_destroy(g);
}

static void test_history_in_json(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(load("{\"vkgraph\": 1, \"resources\": [{\"name\": \"t\", \"buffer\": {\"size\": 16}, "
                          "\"history\": 1, \"history_init\": \"zero\"}], \"passes\": []}",
                          err, sizeof err),
                     VKG_ERROR_PARSE);
    assert_non_null(strstr(err, "unknown history_init \"zero\""));
    assert_int_equal(load("{\"vkgraph\": 1, \"resources\": [{\"name\": \"t\", \"buffer\": {\"size\": 16}, "
                          "\"history\": 3}], \"passes\": []}",
                          err, sizeof err),
                     VKG_ERROR_PARSE);
    assert_int_equal(load("{\"vkgraph\": 1, \"resources\": [{\"name\": \"t\", \"buffer\": {\"size\": 16}, "
                          "\"history\": 1, \"history_init\": \"clear\"}], \"passes\": [{\"name\": \"p\", "
                          "\"uses\": [{\"resource\": \"t@prev\", \"access\": \"transfer_read\"}, "
                          "{\"resource\": \"t\", \"access\": \"transfer_write\"}]}]}",
                          err, sizeof err),
                     VKG_SUCCESS);
}

/* Resizing a history image resizes its NAME@prev with it; NAME@prev itself follows NAME. */
static void test_history_resize_follows(void **state)
{
    (void)state;
    vkg_graph *g = new_graph();
    vkg_resource r;
    assert_int_equal(vkg_graph_image(g, &(vkg_graph_image_desc){.name = "acc", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                                .width = 16, .height = 8, .history = 1},
                                     &r),
                     VKG_SUCCESS);
    vkg_resource prev = vkg_graph_previous(g, r);
    vkg_use uses[2] = {{prev, VKG_ACCESS_TRANSFER_READ}, {r, VKG_ACCESS_TRANSFER_WRITE}};
    assert_int_equal(vkg_graph_pass(g, &(vkg_pass_desc){.name = "copy", .uses = uses, .use_count = 2}, NULL),
                     VKG_SUCCESS);
    assert_int_equal(vkg_graph_resize(g, r, 40, 20), VKG_SUCCESS);
    assert_int_equal(vkg_graph_resize(g, prev, 4, 4), VKG_ERROR_INVALID_ARGUMENT);
    EXPECT_LOG("image \"acc@prev\" is sized from \"acc\"");
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    vkg_plan_info in;
    vkg_plan_get_info(plan, &in);
    assert_int_equal(in.resources[r.id - 1].width, 40);
    assert_int_equal(in.resources[prev.id - 1].width, 40);
    assert_int_equal(in.resources[prev.id - 1].height, 20);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_history_declaration_rules),
        cmocka_unit_test(test_history_use_rules),
        cmocka_unit_test(test_history_in_json),
        cmocka_unit_test(test_history_resize_follows),
        cmocka_unit_test(test_unknown_resource_handle),
        cmocka_unit_test(test_access_kind),
        cmocka_unit_test(test_color_on_depth_and_depth_on_color),
        cmocka_unit_test(test_storage_without_format_support),
        cmocka_unit_test(test_mip_layer_range_bounds),
        cmocka_unit_test(test_zero_sizes),
        cmocka_unit_test(test_transient_read_before_write),
        cmocka_unit_test(test_two_layouts_in_one_pass),
        cmocka_unit_test(test_queue_cannot_run_access),
        cmocka_unit_test(test_host_access_needs_import),
        cmocka_unit_test(test_compile_errors_name_position),
        cmocka_unit_test(test_relative_sizes),
        cmocka_unit_test(test_after_must_be_earlier),
        cmocka_unit_test(test_present_must_be_last),
        cmocka_unit_test(test_unknown_format_and_import_state),
        cmocka_unit_test(test_json_errors_name_position),
        cmocka_unit_test(test_set_record_on_loaded_passes),
        cmocka_unit_test(test_aspect_rules),
        cmocka_unit_test(test_resolve_rules),
        cmocka_unit_test(test_import_state_needs_feature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
