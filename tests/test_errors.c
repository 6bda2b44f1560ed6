/* The error results that need an unusual environment to happen (docs/errors.md lists every
 * error and the test that makes it): a missing or broken loader, a missing validation layer
 * and a failing Vulkan call (through a wrapped vkGetInstanceProcAddr), files that cannot be
 * read or written, sizes over the device's limits. Each must come back as its documented
 * result with a message naming the object and the fix. */
#include <volk.h> /* before vkgraph.h */

#include "harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PFN_vkGetInstanceProcAddr real_gipa;
static enum { FAKE_NOTHING, FAKE_NO_LAYERS, FAKE_CREATE_FAILS } fake;

static VKAPI_ATTR VkResult VKAPI_CALL no_layers(uint32_t *count, VkLayerProperties *props)
{
    (void)props;
    *count = 0;
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL create_fails(const VkInstanceCreateInfo *ci,
                                                   const VkAllocationCallbacks *ac, VkInstance *out)
{
    (void)ci, (void)ac, (void)out;
    return VK_ERROR_INITIALIZATION_FAILED;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL wrapped_gipa(VkInstance instance, const char *name)
{
    if (fake == FAKE_NOTHING) return NULL;
    if (fake == FAKE_NO_LAYERS && strcmp(name, "vkEnumerateInstanceLayerProperties") == 0)
        return (PFN_vkVoidFunction)no_layers;
    if (fake == FAKE_CREATE_FAILS && strcmp(name, "vkCreateInstance") == 0)
        return (PFN_vkVoidFunction)create_fails;
    return real_gipa(instance, name);
}

static void open_real_loader(void)
{
    if (real_gipa) return;
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) exit(VKGT_SKIP);
    real_gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
    if (!real_gipa) exit(VKGT_SKIP);
}

static vkg_result create_simulating(int mode, bool validation, const char *simulate,
                                    vkg_device **dev)
{
    fake = mode;
    *dev = NULL;
    return vkg_device_create(&(vkg_device_desc){.get_instance_proc_addr = wrapped_gipa,
                                                .validation = validation,
                                                .simulate_families = simulate,
                                                .logger = vkgt_logger()},
                             dev);
}

static vkg_result create_with(int mode, bool validation, vkg_device **dev)
{
    return create_simulating(mode, validation, "0", dev);
}

static void test_loader_without_functions(void **state)
{
    (void)state;
    vkgt_log_clear();
    vkg_device *dev;
    assert_int_equal(create_with(FAKE_NOTHING, false, &dev), VKG_ERROR_LOADER);
    assert_null(dev);
    assert_true(vkgt_log_has("the Vulkan loader predates Vulkan 1.1", "needs a 1.3 loader", NULL));
}

static void test_validation_layer_missing(void **state)
{
    (void)state;
    open_real_loader();
    vkgt_log_clear();
    vkg_device *dev;
    assert_int_equal(create_with(FAKE_NO_LAYERS, true, &dev), VKG_ERROR_LAYER_NOT_PRESENT);
    assert_null(dev);
    assert_true(vkgt_log_has("validation was requested but VK_LAYER_KHRONOS_validation is not installed",
                             "vulkan-validationlayers", NULL));
}

/* The simulated queue families asked for where the loader cannot find vkgraph's layer. */
static void test_simulation_layer_missing(void **state)
{
    (void)state;
    open_real_loader();
    vkgt_log_clear();
    vkg_device *dev;
    /* without validation, which CTest turns on through the environment: its layer would be
     * found missing first */
    char *validation = getenv("VKG_VALIDATION") ? strdup(getenv("VKG_VALIDATION")) : NULL;
    unsetenv("VKG_VALIDATION");
    vkg_result r = create_simulating(FAKE_NO_LAYERS, false, "1", &dev);
    if (validation) setenv("VKG_VALIDATION", validation, 1);
    free(validation);
    assert_int_equal(r, VKG_ERROR_LAYER_NOT_PRESENT);
    assert_null(dev);
    assert_true(vkgt_log_has("VK_LAYER_VKGRAPH_simulate_families", "VK_ADD_LAYER_PATH", NULL));
}

static void test_vulkan_call_fails(void **state)
{
    (void)state;
    open_real_loader();
    vkgt_log_clear();
    vkg_device *dev;
    assert_int_equal(create_with(FAKE_CREATE_FAILS, false, &dev), VKG_ERROR_VULKAN);
    assert_null(dev);
    assert_true(vkgt_log_has("vkCreateInstance", "VK_ERROR_INITIALIZATION_FAILED", NULL));
}

static void test_files(void **state)
{
    (void)state;
    vkgt_log_clear();
    vkg_graph *g = NULL;
    char err[256] = "";
    assert_int_equal(vkg_graph_load_json("/nonexistent/graph.json",
                                         &(vkg_graph_desc){.logger = vkgt_logger()}, &g, NULL, err,
                                         sizeof err),
                     VKG_ERROR_IO);
    assert_null(g);
    assert_non_null(strstr(err, "/nonexistent/graph.json"));
    /* a plan written to a stream that refuses writes */
    assert_int_equal(vkg_graph_load_json_string("{\"vkgraph\": 1, \"resources\": [{\"name\": \"b\", "
                                                "\"buffer\": {\"size\": 64}, \"output\": true}], "
                                                "\"passes\": [{\"name\": \"p\", \"uses\": [{\"resource\": "
                                                "\"b\", \"access\": \"transfer_write\"}]}]}",
                                                "inline.json", &(vkg_graph_desc){0}, &g, NULL, NULL, 0),
                     VKG_SUCCESS);
    vkg_caps caps;
    vkg_caps_default(&caps);
    vkg_plan *plan = NULL;
    assert_int_equal(vkg_compile(g, &caps, &plan), VKG_SUCCESS);
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    assert_int_equal(vkg_plan_write_json(plan, ro), VKG_ERROR_IO);
    assert_int_equal(vkg_plan_write_dot(plan, ro), VKG_ERROR_IO);
    fclose(ro);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
}

static void test_device_limits(void **state)
{
    (void)state;
    vkg_device *dev = vkgt_device_open(NULL);
    const vkg_caps *caps = vkg_device_caps(dev);
    vkgt_log_clear();
    vkg_buffer b;
    assert_int_equal(vkg_buffer_create(dev, &(vkg_buffer_desc){.name = "huge", .size = caps->max_buffer_size + 1},
                                       &b),
                     VKG_ERROR_LIMIT);
    assert_true(vkgt_log_has("huge", NULL));
    vkg_image im;
    assert_int_equal(vkg_image_create(dev, &(vkg_image_desc){.name = "wide", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                             .width = 1u << 20, .height = 4},
                                      &im),
                     VKG_ERROR_LIMIT);
    assert_true(vkgt_log_has("wide", NULL));
    vkgt_device_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_without_functions), cmocka_unit_test(test_validation_layer_missing),
        cmocka_unit_test(test_simulation_layer_missing),
        cmocka_unit_test(test_vulkan_call_fails),        cmocka_unit_test(test_files),
        cmocka_unit_test(test_device_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
