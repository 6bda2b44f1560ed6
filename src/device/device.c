/* Instance and device creation or import, queue roles, validation (capabilities: caps.c). */
#include "device.h"
#include "../graph/graph.h"
#include "../layer/family_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define VKG__VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

const char *vkg__vk_result_name(VkResult vr)
{
    switch (vr) {
#define VKG__VR(x)                                                                               \
    case x:                                                                                      \
        return #x;
        VKG__VR(VK_SUCCESS)
        VKG__VR(VK_NOT_READY)
        VKG__VR(VK_TIMEOUT)
        VKG__VR(VK_INCOMPLETE)
        VKG__VR(VK_ERROR_OUT_OF_HOST_MEMORY)
        VKG__VR(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        VKG__VR(VK_ERROR_INITIALIZATION_FAILED)
        VKG__VR(VK_ERROR_DEVICE_LOST)
        VKG__VR(VK_ERROR_MEMORY_MAP_FAILED)
        VKG__VR(VK_ERROR_LAYER_NOT_PRESENT)
        VKG__VR(VK_ERROR_EXTENSION_NOT_PRESENT)
        VKG__VR(VK_ERROR_FEATURE_NOT_PRESENT)
        VKG__VR(VK_ERROR_INCOMPATIBLE_DRIVER)
        VKG__VR(VK_ERROR_TOO_MANY_OBJECTS)
        VKG__VR(VK_ERROR_FORMAT_NOT_SUPPORTED)
        VKG__VR(VK_ERROR_FRAGMENTED_POOL)
        VKG__VR(VK_ERROR_OUT_OF_POOL_MEMORY)
        VKG__VR(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        VKG__VR(VK_ERROR_FRAGMENTATION)
        VKG__VR(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
        VKG__VR(VK_ERROR_SURFACE_LOST_KHR)
        VKG__VR(VK_ERROR_OUT_OF_DATE_KHR)
        VKG__VR(VK_SUBOPTIMAL_KHR)
#undef VKG__VR
    default:
        return "VK_ERROR_UNKNOWN";
    }
}

vkg_result vkg__vk_fail(vkg_device *dev, VkResult vr, const char *call, const char *what,
                        const char *file, int line)
{
    vkg__log(&dev->host, VKG_LOG_ERROR, file, line, "%s failed with %s for %s", call,
             vkg__vk_result_name(vr), what);
    switch (vr) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return VKG_ERROR_OUT_OF_HOST_MEMORY;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return VKG_ERROR_OUT_OF_DEVICE_MEMORY;
    case VK_ERROR_DEVICE_LOST:
        vkg__device_lost(dev, true);
        return VKG_ERROR_DEVICE_LOST;
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
        return VKG_ERROR_FEATURE_NOT_PRESENT;
    default:
        return VKG_ERROR_VULKAN;
    }
}


/* ------------------------------------------------------------------------------------------
 * Instance
 * ---------------------------------------------------------------------------------------- */

static VKAPI_ATTR VkBool32 VKAPI_CALL vkg__debug_callback(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT type,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    vkg_device *dev = user;
    bool serious = severity & (VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT);
    /* Validation and performance messages from the layer count; the loader's own
     * GENERAL messages (driver manifests it skipped) are logged but are no verdict on us. */
    bool counted = serious && (type & (VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT));
    if (counted) atomic_fetch_add(&dev->validation_count, 1);
    vkg__log(&dev->host, counted ? VKG_LOG_ERROR : serious ? VKG_LOG_WARN : VKG_LOG_DEBUG,
             __FILE__, __LINE__, "validation: [%s] %s",
             data->pMessageIdName ? data->pMessageIdName : "-",
             data->pMessage ? data->pMessage : "");
    return VK_FALSE;
}

static bool vkg__instance_has_layer(const vkg__instance_table *vki, const char *name)
{
    uint32_t count = 0;
    if (vki->vkEnumerateInstanceLayerProperties(&count, NULL) != VK_SUCCESS) return false;
    VkLayerProperties layers[128];
    count = VKG__MIN(count, (uint32_t)VKG__ARRAY_COUNT(layers));
    vki->vkEnumerateInstanceLayerProperties(&count, layers);
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(layers[i].layerName, name) == 0) return true;
    return false;
}

static bool vkg__instance_has_ext(const vkg__instance_table *vki, const char *name)
{
    uint32_t count = 0;
    if (vki->vkEnumerateInstanceExtensionProperties(NULL, &count, NULL) != VK_SUCCESS)
        return false;
    VkExtensionProperties exts[256];
    count = VKG__MIN(count, (uint32_t)VKG__ARRAY_COUNT(exts));
    vki->vkEnumerateInstanceExtensionProperties(NULL, &count, exts);
    return vkg__has_extension(exts, count, name);
}

static bool vkg__env_true(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0;
}

/* Whether layers vkgraph did not ask for may be enabled: named by the environment
 * (VK_INSTANCE_LAYERS, VK_LOADER_LAYERS_ENABLE), or forced by Vulkan Configurator's override
 * meta-layer. The validation layer keeps its own record of which submissions completed, fed
 * only by host waits it sees; vkgraph tells it (vkg_cq reaping) where one may be listening. */
static bool vkg__outside_layers(const vkg__instance_table *vki)
{
    const char *names[] = {"VK_INSTANCE_LAYERS", "VK_LOADER_LAYERS_ENABLE"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return true;
    }
    return vkg__instance_has_layer(vki, "VK_LAYER_LUNARG_override");
}

/* The simulated queue-family shape asked for, NULL for none: vkg_device_desc first, then
 * the environment; "0" turns it off. */
static const char *vkg__simulate_spec(const vkg_device_desc *desc)
{
    const char *spec = desc->simulate_families ? desc->simulate_families
                                               : getenv("VKG_SIMULATE_FAMILIES");
    return spec && spec[0] && strcmp(spec, "0") != 0 ? spec : NULL;
}

/* Checks that the simulation layer can be enabled with `spec`. */
static vkg_result vkg__simulate_check(vkg_device *dev, const char *spec)
{
    vkg__family_spec parsed;
    char why[256];
    if (!vkg__family_spec_parse(spec, &parsed, why, sizeof why)) {
        VKG__ERROR(&dev->host,
                   "simulated queue families \"%s\" (vkg_device_desc.simulate_families or "
                   "VKG_SIMULATE_FAMILIES): %s",
                   spec, why);
        return VKG_ERROR_INVALID_ARGUMENT;
    }
    if (!vkg__instance_has_layer(&dev->loader.vki, VKG__SIMULATE_LAYER)) {
        VKG__ERROR(&dev->host,
                   "simulated queue families were asked for, but the Vulkan loader finds no %s: "
                   "install vkgraph (its layer manifest goes to share/vulkan/explicit_layer.d), "
                   "or set VK_ADD_LAYER_PATH to the folder holding "
                   "VkLayer_vkgraph_simulate_families.json (layer/ in a build tree)",
                   VKG__SIMULATE_LAYER);
        return VKG_ERROR_LAYER_NOT_PRESENT;
    }
    return VKG_SUCCESS;
}

/* Creates the instance (with validation and a messenger when asked, and the simulated queue
 * families below validation when `simulate` names a shape) into dev. */
static vkg_result vkg__instance_create(vkg_device *dev, const char *app_name, bool validation,
                                       const char *simulate, const char *const *user_exts,
                                       uint32_t user_ext_count)
{
    vkg__instance_table *vki = &dev->loader.vki;
    uint32_t loader_version = 0;
    vki->vkEnumerateInstanceVersion(&loader_version);
    if (VK_API_VERSION_MINOR(loader_version) < 3 && VK_API_VERSION_MAJOR(loader_version) == 1) {
        VKG__ERROR(&dev->host, "the Vulkan loader supports %u.%u: vkgraph needs 1.3",
                   VK_API_VERSION_MAJOR(loader_version), VK_API_VERSION_MINOR(loader_version));
        return VKG_ERROR_LOADER;
    }
    if (validation && !vkg__instance_has_layer(vki, VKG__VALIDATION_LAYER)) {
        VKG__ERROR(&dev->host,
                   "validation was requested but %s is not installed: install the Debian "
                   "package vulkan-validationlayers, or turn validation off",
                   VKG__VALIDATION_LAYER);
        return VKG_ERROR_LAYER_NOT_PRESENT;
    }
    if (simulate) {
        vkg_result r = vkg__simulate_check(dev, simulate);
        if (r != VKG_SUCCESS) return r;
    }
    bool debug_utils = vkg__instance_has_ext(vki, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    const char *exts[1 + VKG_MAX_INSTANCE_EXTENSIONS];
    uint32_t ext_count = 0;
    if (debug_utils) exts[ext_count++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    if (user_ext_count > VKG_MAX_INSTANCE_EXTENSIONS) {
        VKG__ERROR(&dev->host, "vkg_device_desc: %u instance extensions, at most %u",
                   user_ext_count, VKG_MAX_INSTANCE_EXTENSIONS);
        return VKG_ERROR_LIMIT;
    }
    for (uint32_t i = 0; i < user_ext_count; i++) {
        const char *e = user_exts ? user_exts[i] : NULL;
        if (!e || !vkg__instance_has_ext(vki, e)) {
            VKG__ERROR(&dev->host,
                       "vkg_device_desc.instance_extensions[%u] \"%s\" is not offered by the "
                       "Vulkan loader or its drivers",
                       i, e ? e : "(null)");
            return VKG_ERROR_FEATURE_NOT_PRESENT;
        }
        if (!debug_utils || strcmp(e, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) != 0) exts[ext_count++] = e;
    }
    /* The first layer is nearest the application: validation judges what the simulation
     * presents, and the simulation alone talks to the driver. */
    const char *layers[2];
    uint32_t layer_count = 0;
    if (validation) layers[layer_count++] = VKG__VALIDATION_LAYER;
    if (simulate) layers[layer_count++] = VKG__SIMULATE_LAYER;

    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = app_name ? app_name : "vkgraph",
        .pEngineName = "vkgraph",
        .engineVersion = VK_MAKE_API_VERSION(0, VKG_VERSION_MAJOR, VKG_VERSION_MINOR,
                                             VKG_VERSION_PATCH),
        .apiVersion = VK_API_VERSION_1_3,
    };
    VkValidationFeatureEnableEXT enables[] = {
        VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
        .enabledValidationFeatureCount = 1,
        .pEnabledValidationFeatures = enables,
    };
    VkDebugUtilsMessengerCreateInfoEXT messenger = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .pNext = validation ? &features : NULL,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = vkg__debug_callback,
        .pUserData = dev,
    };
    vkg__simulate_config simulate_config = {
        .sType = VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO,
        /* the messenger in pNext also reports problems inside vkCreateInstance itself */
        .pNext = debug_utils ? (const void *)&messenger : (validation ? &features : NULL),
        .function = VKG__SIMULATE_CONFIG_FUNCTION,
        .spec = simulate,
    };
    VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = simulate ? &simulate_config : simulate_config.pNext,
        .pApplicationInfo = &app,
        .enabledLayerCount = layer_count,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = ext_count,
        .ppEnabledExtensionNames = exts,
    };
    VkResult vr = vki->vkCreateInstance(&ici, dev->vkac, &dev->instance);
    if (vr != VK_SUCCESS) return VKG__VK_FAIL(dev, vr, "vkCreateInstance", "the vkgraph instance");
    dev->families_simulated = simulate != NULL;
    dev->layers_track_waits = validation || vkg__outside_layers(vki);
    if (!vkg__loader_load_instance(&dev->loader, dev->instance)) {
        VKG__ERROR(&dev->host, "the Vulkan loader lacks core 1.1 instance functions");
        return VKG_ERROR_LOADER;
    }
    if (debug_utils && validation && vki->vkCreateDebugUtilsMessengerEXT) {
        messenger.pNext = NULL;
        vr = vki->vkCreateDebugUtilsMessengerEXT(dev->instance, &messenger, dev->vkac,
                                                 &dev->messenger);
        if (vr != VK_SUCCESS)
            return VKG__VK_FAIL(dev, vr, "vkCreateDebugUtilsMessengerEXT", "validation output");
    }
    return VKG_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Enumeration
 * ---------------------------------------------------------------------------------------- */

static vkg_result vkg__enumerate(vkg_device *dev, VkPhysicalDevice *pds,
                                 vkg_physical_device_info *infos, uint32_t *count)
{
    const vkg__instance_table *vki = &dev->loader.vki;
    uint32_t n = 0;
    VkResult vr = vki->vkEnumeratePhysicalDevices(dev->instance, &n, NULL);
    if (vr != VK_SUCCESS)
        return VKG__VK_FAIL(dev, vr, "vkEnumeratePhysicalDevices", "device enumeration");
    n = VKG__MIN(n, *count);
    vr = vki->vkEnumeratePhysicalDevices(dev->instance, &n, pds);
    if (vr != VK_SUCCESS && vr != VK_INCOMPLETE)
        return VKG__VK_FAIL(dev, vr, "vkEnumeratePhysicalDevices", "device enumeration");
    for (uint32_t i = 0; i < n; i++) {
        vkg_physical_device_info *info = &infos[i];
        memset(info, 0, sizeof *info);
        info->suitable = vkg__query_caps(vki, pds[i], &info->caps, info->why_unsuitable,
                                         sizeof info->why_unsuitable);
        info->caps.families_simulated = dev->families_simulated;
        VkPhysicalDeviceDriverProperties driver = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
        VkPhysicalDeviceProperties2 props = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &driver};
        vki->vkGetPhysicalDeviceProperties2(pds[i], &props);
        info->type = props.properties.deviceType;
        info->driver_version = props.properties.driverVersion;
        snprintf(info->driver_name, sizeof info->driver_name, "%s", driver.driverName);
        snprintf(info->driver_info, sizeof info->driver_info, "%s", driver.driverInfo);
    }
    *count = n;
    return VKG_SUCCESS;
}

#define VKG__MAX_PHYSICAL_DEVICES 16

static void vkg__device_free(vkg_device *dev);
static vkg_result vkg__frames_setup(vkg_device *dev, uint32_t frames_in_flight);

static vkg_result vkg__device_alloc(const vkg_allocator *allocator, const vkg_logger *logger,
                                    vkg_device **out)
{
    vkg__host host;
    vkg__host_init(&host, allocator, logger);
    vkg_device *dev = vkg__calloc(&host, 1, sizeof *dev);
    if (!dev) return VKG__OOM(&host, "the vkg_device");
    dev->host = host;
    vkg__pool_init(&dev->buffers, sizeof(vkg__buffer_rec));
    vkg__pool_init(&dev->images, sizeof(vkg__image_rec));
    vkg__pool_init(&dev->views, sizeof(vkg__view_rec));
    if (pthread_mutex_init(&dev->lock, NULL) != 0) {
        vkg__free(&host, dev);
        VKG__ERROR(&host, "pthread_mutex_init failed for the device lock");
        return VKG_ERROR_OUT_OF_HOST_MEMORY;
    }
    dev->lock_ready = true;
    dev->report_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    *out = dev;
    return VKG_SUCCESS;
}

vkg_result vkg_enumerate_devices(const vkg_device_desc *desc, vkg_physical_device_info *out,
                                 uint32_t *count, uint32_t *picked)
{
    vkg_device_desc none = {0};
    if (!desc) desc = &none;
    if (picked) *picked = UINT32_MAX;
    vkg__host host;
    vkg__host_init(&host, &desc->allocator, &desc->logger);
    VKG_CHECK(&host, count != NULL, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_enumerate_devices: count is NULL: pass a pointer to the capacity of out");
    VKG_CHECK(&host, out != NULL || *count == 0, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_enumerate_devices: out is NULL with *count = %u: pass an array or 0", *count);
    vkg_device *dev;
    vkg_result r = vkg__device_alloc(&desc->allocator, &desc->logger, &dev);
    if (r != VKG_SUCCESS) return r;
    dev->owns_device = true;
    VkPhysicalDevice pds[VKG__MAX_PHYSICAL_DEVICES];
    vkg_physical_device_info *infos =
        vkg__calloc(&dev->host, VKG__MAX_PHYSICAL_DEVICES, sizeof *infos);
    uint32_t n = VKG__MAX_PHYSICAL_DEVICES;
    if (!infos) r = VKG__OOM(&dev->host, "device enumeration");
    if (r == VKG_SUCCESS) r = vkg__loader_open(&dev->loader, &dev->host, desc->get_instance_proc_addr);
    if (r == VKG_SUCCESS)
        r = vkg__instance_create(dev, desc->app_name, false, vkg__simulate_spec(desc), NULL, 0);
    if (r == VKG_SUCCESS) r = vkg__enumerate(dev, pds, infos, &n);
    if (r == VKG_SUCCESS) {
        uint32_t copy = VKG__MIN(n, *count);
        if (copy) memcpy(out, infos, copy * sizeof *infos);
        *count = n;
        if (picked) *picked = vkg__pick(infos, n, vkg__wanted_name(desc));
    }
    vkg__free(&dev->host, infos);
    vkg__device_free(dev);
    return r;
}

/* ------------------------------------------------------------------------------------------
 * Device
 * ---------------------------------------------------------------------------------------- */

static VkResult vkg__backend_allocate(void *user, const vkg__mem_request *req,
                                      VkDeviceMemory *out_memory, void **out_mapped)
{
    vkg_device *dev = user;
    VkMemoryDedicatedAllocateInfo dedicated = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
        .image = req->dedicated_image,
        .buffer = req->dedicated_buffer,
    };
    /* every allocation may back a buffer whose device address a shader uses */
    VkMemoryAllocateFlagsInfo flags = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
        .pNext = (req->dedicated_image || req->dedicated_buffer) ? &dedicated : NULL,
        .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
    };
    VkMemoryAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = &flags,
        .allocationSize = req->size,
        .memoryTypeIndex = req->memory_type,
    };
    VkResult vr = dev->vk.vkAllocateMemory(dev->device, &info, dev->vkac, out_memory);
    if (vr != VK_SUCCESS) return vr;
    *out_mapped = NULL;
    if (dev->caps.memory_types[req->memory_type].flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        /* persistent mapping: mapped once for the block's whole life */
        vr = dev->vk.vkMapMemory(dev->device, *out_memory, 0, VK_WHOLE_SIZE, 0, out_mapped);
        if (vr != VK_SUCCESS) {
            dev->vk.vkFreeMemory(dev->device, *out_memory, dev->vkac);
            return vr;
        }
    }
    return VK_SUCCESS;
}

static void vkg__backend_release(void *user, uint32_t memory_type, VkDeviceMemory memory,
                                 void *mapped)
{
    (void)memory_type;
    vkg_device *dev = user;
    if (mapped) dev->vk.vkUnmapMemory(dev->device, memory);
    dev->vk.vkFreeMemory(dev->device, memory, dev->vkac);
}

static void vkg__memory_setup(vkg_device *dev, VkDeviceSize block_size,
                              VkDeviceSize heap_size_limit)
{
    vkg__memory_config config = {
        .memory_type_count = dev->caps.memory_type_count,
        .memory_heap_count = dev->caps.memory_heap_count,
        .buffer_image_granularity = dev->caps.buffer_image_granularity,
        .non_coherent_atom_size = dev->caps.non_coherent_atom_size,
        .block_size = block_size,
        .heap_size_limit = heap_size_limit,
    };
    memcpy(config.memory_types, dev->caps.memory_types, sizeof config.memory_types);
    memcpy(config.memory_heaps, dev->caps.memory_heaps, sizeof config.memory_heaps);
    vkg__mem_backend backend = {dev, vkg__backend_allocate, vkg__backend_release};
    vkg__memory_init(&dev->memory, &dev->host, &config, &backend);
}

static vkg_result vkg__device_finish(vkg_device *dev, bool split)
{
    vkg__load_device_table(&dev->vk, dev->device, dev->loader.vki.vkGetDeviceProcAddr);
    if (!dev->vk.vkQueueSubmit2 || !dev->vk.vkCmdPipelineBarrier2 ||
        !dev->vk.vkWaitSemaphores || !dev->vk.vkCmdBeginRendering) {
        VKG__ERROR(&dev->host, "device \"%s\" does not expose the Vulkan 1.3 entry points "
                               "(vkQueueSubmit2, vkCmdPipelineBarrier2, ...)",
                   dev->caps.device_name);
        return VKG_ERROR_FEATURE_NOT_PRESENT;
    }
    for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT; r++)
        dev->caps.role_family[r] = dev->queues[r].family;
    dev->caps.queue_split = split;
    dev->caps.sharing = dev->sharing;
    vkg__set_name(dev, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)dev->device, "vkgraph");
    return vkg__timelines_create(dev);
}

vkg_result vkg_device_create(const vkg_device_desc *desc, vkg_device **out_device)
{
    vkg_device_desc defaults = {0};
    if (!desc) desc = &defaults;
    vkg__host host;
    vkg__host_init(&host, &desc->allocator, &desc->logger);
    VKG_CHECK(&host, out_device != NULL, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_device_create: out_device is NULL: pass where to store the device");
    *out_device = NULL;
    vkg_device *dev;
    vkg_result r = vkg__device_alloc(&desc->allocator, &desc->logger, &dev);
    if (r != VKG_SUCCESS) return r;
    dev->owns_device = true;
    dev->vkac = desc->vk_allocation_callbacks;
    bool validation = desc->validation || vkg__env_true("VKG_VALIDATION");
    bool split = desc->queue_split || vkg__env_true("VKG_QUEUE_SPLIT");
    dev->sharing = desc->sharing == VKG_SHARING_CONCURRENT ? VKG_SHARING_CONCURRENT
                                                            : VKG_SHARING_EXCLUSIVE;
    uint32_t queue_index[VKG_QUEUE_ROLE_COUNT] = {0};

    r = vkg__loader_open(&dev->loader, &dev->host, desc->get_instance_proc_addr);
    if (r == VKG_SUCCESS)
        r = vkg__instance_create(dev, desc->app_name, validation, vkg__simulate_spec(desc),
                                 desc->instance_extensions, desc->instance_extension_count);
    VkPhysicalDevice pds[VKG__MAX_PHYSICAL_DEVICES];
    vkg_physical_device_info *infos = NULL;
    uint32_t n = VKG__MAX_PHYSICAL_DEVICES, pick = UINT32_MAX;
    if (r == VKG_SUCCESS) {
        infos = vkg__calloc(&dev->host, VKG__MAX_PHYSICAL_DEVICES, sizeof *infos);
        if (!infos) r = VKG__OOM(&dev->host, "device enumeration");
    }
    if (r == VKG_SUCCESS) r = vkg__enumerate(dev, pds, infos, &n);
    if (r == VKG_SUCCESS) {
        const char *want = vkg__wanted_name(desc);
        pick = vkg__pick(infos, n, want);
        if (pick == UINT32_MAX) {
            char list[512] = "";
            for (uint32_t i = 0; i < n; i++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s\"%s\"%s%s", i ? ", " : "",
                         infos[i].caps.device_name, infos[i].suitable ? "" : " (",
                         infos[i].suitable ? "" : infos[i].why_unsuitable);
                if (!infos[i].suitable) {
                    len = strlen(list);
                    snprintf(list + len, sizeof list - len, ")");
                }
            }
            if (want)
                VKG__ERROR(&dev->host,
                           "no usable Vulkan device's name contains \"%s\" (from %s); devices: "
                           "%s",
                           want,
                           !desc->device_name        ? "VKG_DEVICE"
                           : desc->device_name_origin ? desc->device_name_origin
                                                      : "vkg_device_desc.device_name",
                           n ? list : "none");
            else
                VKG__ERROR(&dev->host,
                           "no Vulkan 1.3 device with timeline semaphores, synchronization2, "
                           "dynamic rendering and buffer device address; devices: %s (install "
                           "mesa-vulkan-drivers for lavapipe)",
                           n ? list : "none");
            r = VKG_ERROR_NO_DEVICE;
        }
    }
    if (r == VKG_SUCCESS) {
        dev->physical_device = pds[pick];
        dev->caps = infos[pick].caps;
        if (desc->swapchain && !dev->caps.swapchain) {
            VKG__ERROR(&dev->host,
                       "vkg_device_desc.swapchain: device \"%s\" does not offer %s",
                       dev->caps.device_name, VK_KHR_SWAPCHAIN_EXTENSION_NAME);
            r = VKG_ERROR_FEATURE_NOT_PRESENT;
        }
        dev->caps.swapchain = desc->swapchain;
    }
    vkg__free(&dev->host, infos);

    if (r == VKG_SUCCESS) {
        /* one queue per distinct family, roles sharing a family share it; split: one queue
         * per role where the family has enough (queue_index[] says which) */
        VkDeviceQueueCreateInfo qci[VKG_QUEUE_ROLE_COUNT];
        uint32_t qcount = 0;
        static const float priorities[VKG_QUEUE_ROLE_COUNT] = {1.0f, 1.0f, 1.0f};
        for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
            uint32_t fam = dev->caps.role_family[role];
            uint32_t i = 0;
            while (i < qcount && qci[i].queueFamilyIndex != fam) i++;
            if (i == qcount) {
                qci[qcount++] = (VkDeviceQueueCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                    .queueFamilyIndex = fam,
                    .queueCount = 1,
                    .pQueuePriorities = priorities,
                };
                queue_index[role] = 0;
            } else if (split && qci[i].queueCount < dev->caps.queue_families[fam].queue_count) {
                queue_index[role] = qci[i].queueCount++;
            } else {
                queue_index[role] = split ? qci[i].queueCount - 1 : 0;
            }
        }
        vkg__feature_chain have, want;
        vkg__row_exts rx = vkg__row_exts_of_caps(&dev->caps);
        vkg__feature_chain_init(&have, &rx);
        vkg__feature_chain_init(&want, &rx);
        dev->loader.vki.vkGetPhysicalDeviceFeatures2(dev->physical_device, &have.f2);
        want.f12.timelineSemaphore = VK_TRUE;
        want.f12.bufferDeviceAddress = VK_TRUE;
        want.f13.synchronization2 = VK_TRUE;
        want.f13.dynamicRendering = VK_TRUE;
        /* maintenance4 lets the validation layer accept LocalSizeId in our shaders */
        want.f13.maintenance4 = have.f13.maintenance4;
        want.f12.hostQueryReset = have.f12.hostQueryReset;
        dev->host_query_reset = have.f12.hostQueryReset;
        want.f12.scalarBlockLayout = have.f12.scalarBlockLayout;
        /* optional features behind access rows (vkg_caps) */
        want.f12.separateDepthStencilLayouts = have.f12.separateDepthStencilLayouts;
        want.f2.features.geometryShader = have.f2.features.geometryShader;
        want.f2.features.tessellationShader = have.f2.features.tessellationShader;
        want.mesh.meshShader = have.mesh.meshShader;
        want.mesh.taskShader = have.mesh.taskShader;
        want.as.accelerationStructure = have.as.accelerationStructure;
        want.rt.rayTracingPipeline = have.rt.rayTracingPipeline;
        want.rq.rayQuery = have.rq.rayQuery;
        want.f2.features.shaderInt64 = have.f2.features.shaderInt64;
        want.f2.features.samplerAnisotropy = have.f2.features.samplerAnisotropy;
        want.f2.features.fragmentStoresAndAtomics = have.f2.features.fragmentStoresAndAtomics;
        want.f2.features.vertexPipelineStoresAndAtomics =
            have.f2.features.vertexPipelineStoresAndAtomics;
        want.f2.features.multiDrawIndirect = have.f2.features.multiDrawIndirect;
        want.f2.features.shaderStorageImageWriteWithoutFormat =
            have.f2.features.shaderStorageImageWriteWithoutFormat;
        want.f2.features.shaderStorageImageReadWithoutFormat =
            have.f2.features.shaderStorageImageReadWithoutFormat;
        if (dev->caps.descriptor_indexing) {
            VkPhysicalDeviceVulkan12Features *w = &want.f12;
            w->descriptorIndexing = w->runtimeDescriptorArray = VK_TRUE;
            w->descriptorBindingPartiallyBound = VK_TRUE;
            w->descriptorBindingVariableDescriptorCount = VK_TRUE;
            w->descriptorBindingSampledImageUpdateAfterBind = VK_TRUE;
            w->descriptorBindingStorageImageUpdateAfterBind = VK_TRUE;
            w->descriptorBindingUpdateUnusedWhilePending = VK_TRUE;
            w->shaderSampledImageArrayNonUniformIndexing = VK_TRUE;
            w->shaderStorageImageArrayNonUniformIndexing = VK_TRUE;
        }
        const char *exts[12];
        uint32_t ext_count = 0;
        if (dev->caps.push_descriptors) exts[ext_count++] = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
        if (dev->caps.swapchain) exts[ext_count++] = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
        if (rx.mesh) exts[ext_count++] = VK_EXT_MESH_SHADER_EXTENSION_NAME;
        if (rx.as) {
            exts[ext_count++] = VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME;
            exts[ext_count++] = VK_KHR_DEFERRED_HOST_OPERATIONS_EXTENSION_NAME;
        }
        if (rx.rt) exts[ext_count++] = VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME;
        if (rx.rq) exts[ext_count++] = VK_KHR_RAY_QUERY_EXTENSION_NAME;
        /* diagnostics for device loss (breadcrumbs, the lost report) */
        if (dev->caps.buffer_marker) exts[ext_count++] = VK_AMD_BUFFER_MARKER_EXTENSION_NAME;
        if (dev->caps.diagnostic_checkpoints)
            exts[ext_count++] = VK_NV_DEVICE_DIAGNOSTIC_CHECKPOINTS_EXTENSION_NAME;
        if (rx.fault) {
            exts[ext_count++] = VK_EXT_DEVICE_FAULT_EXTENSION_NAME;
            want.fault.deviceFault = VK_TRUE;
        }
        VkDeviceCreateInfo dci = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
            .pNext = &want.f2,
            .queueCreateInfoCount = qcount,
            .pQueueCreateInfos = qci,
            .enabledExtensionCount = ext_count,
            .ppEnabledExtensionNames = exts,
        };
        VkResult vr =
            dev->loader.vki.vkCreateDevice(dev->physical_device, &dci, dev->vkac, &dev->device);
        if (vr != VK_SUCCESS) r = VKG__VK_FAIL(dev, vr, "vkCreateDevice", dev->caps.device_name);
    }
    if (r == VKG_SUCCESS) {
        /* no vkGetDeviceQueue in the table yet: load it first */
        vkg__load_device_table(&dev->vk, dev->device, dev->loader.vki.vkGetDeviceProcAddr);
        for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
            dev->queues[role].family = dev->caps.role_family[role];
            dev->vk.vkGetDeviceQueue(dev->device, dev->queues[role].family, queue_index[role],
                                     &dev->queues[role].queue);
        }
        r = vkg__device_finish(dev, split);
    }
    if (r == VKG_SUCCESS) vkg__memory_setup(dev, desc->memory.block_size, desc->memory.heap_size_limit);
    if (r == VKG_SUCCESS) r = vkg__frames_setup(dev, desc->frames_in_flight);
    if (r != VKG_SUCCESS) {
        vkg__device_free(dev);
        return r;
    }
    VKG__INFO(&dev->host,
              "device \"%s\"%s; queue families: graphics %u, compute %u, transfer %u%s",
              dev->caps.device_name, validation ? " with validation" : "",
              dev->queues[0].family, dev->queues[1].family, dev->queues[2].family,
              split ? "; roles split (one timeline each)" : "");
    *out_device = dev;
    return VKG_SUCCESS;
}

vkg_result vkg_device_import(const vkg_device_import_desc *desc, vkg_device **out_device)
{
    vkg__host host;
    vkg__host_init(&host, desc ? &desc->allocator : NULL, desc ? &desc->logger : NULL);
    VKG_CHECK(&host, desc && out_device, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_device_import: desc and out_device must not be NULL");
    *out_device = NULL;
    VKG_CHECK(&host, desc->instance && desc->physical_device && desc->device,
              VKG_ERROR_INVALID_ARGUMENT,
              "vkg_device_import: instance, physical_device and device must all be set");
    VKG_CHECK(&host, desc->queues[VKG_QUEUE_GRAPHICS].queue, VKG_ERROR_INVALID_ARGUMENT,
              "vkg_device_import: queues[VKG_QUEUE_GRAPHICS].queue is null: every role falls "
              "back to the graphics queue, so it is required");
    vkg_device *dev;
    vkg_result r = vkg__device_alloc(&desc->allocator, &desc->logger, &dev);
    if (r != VKG_SUCCESS) return r;
    dev->owns_device = false;
    dev->layers_track_waits = true; /* the caller's instance: its layers are unknown */
    dev->vkac = desc->vk_allocation_callbacks;
    dev->instance = desc->instance;
    dev->physical_device = desc->physical_device;
    dev->device = desc->device;
    r = vkg__loader_open(&dev->loader, &dev->host, desc->get_instance_proc_addr);
    if (r == VKG_SUCCESS && !vkg__loader_load_instance(&dev->loader, dev->instance)) {
        VKG__ERROR(&dev->host, "vkg_device_import: the instance lacks core 1.1 functions");
        r = VKG_ERROR_LOADER;
    }
    if (r == VKG_SUCCESS) {
        char why[96];
        if (!vkg__query_caps(&dev->loader.vki, dev->physical_device, &dev->caps, why,
                             sizeof why)) {
            VKG__ERROR(&dev->host, "vkg_device_import: device \"%s\" %s", dev->caps.device_name,
                       why);
            r = VKG_ERROR_FEATURE_NOT_PRESENT;
        }
    }
    if (r == VKG_SUCCESS) {
        /* the user states which optional features they enabled; we cannot query that */
        dev->caps.descriptor_indexing = dev->caps.descriptor_indexing && desc->descriptor_indexing;
        dev->caps.push_descriptors = dev->caps.push_descriptors && desc->push_descriptors;
        dev->caps.maintenance4 = dev->caps.maintenance4 && desc->maintenance4;
        dev->caps.host_image_copy = false;
        /* not known to be enabled */
        dev->caps.buffer_marker = dev->caps.device_fault = dev->caps.diagnostic_checkpoints = false;
        for (uint32_t role = 0; role < VKG_QUEUE_ROLE_COUNT; role++) {
            uint32_t src = desc->queues[role].queue ? role : VKG_QUEUE_GRAPHICS;
            dev->queues[role].queue = desc->queues[src].queue;
            dev->queues[role].family = desc->queues[src].family;
            if (dev->queues[role].family >= dev->caps.queue_family_count) {
                VKG__ERROR(&dev->host,
                           "vkg_device_import: queues[%s].family = %u but the device has %u "
                           "queue families",
                           vkg_queue_role_name(role), dev->queues[role].family,
                           dev->caps.queue_family_count);
                r = VKG_ERROR_INVALID_ARGUMENT;
            }
        }
    }
    if (r == VKG_SUCCESS)
        r = vkg__device_finish(dev, desc->queue_split || vkg__env_true("VKG_QUEUE_SPLIT"));
    if (r == VKG_SUCCESS) vkg__memory_setup(dev, desc->memory.block_size, desc->memory.heap_size_limit);
    if (r == VKG_SUCCESS) r = vkg__frames_setup(dev, desc->frames_in_flight);
    if (r != VKG_SUCCESS) {
        vkg__device_free(dev);
        return r;
    }
    *out_device = dev;
    return VKG_SUCCESS;
}

void vkg__resources_destroy_all(vkg_device *dev);

static vkg_result vkg__frames_setup(vkg_device *dev, uint32_t frames_in_flight)
{
    VKG_CHECK(&dev->host, frames_in_flight <= VKG_MAX_FRAMES_IN_FLIGHT,
              VKG_ERROR_INVALID_ARGUMENT, "frames_in_flight is %u; at most %u",
              frames_in_flight, VKG_MAX_FRAMES_IN_FLIGHT);
    dev->frames_in_flight = frames_in_flight ? frames_in_flight : 2;
    dev->doom[VKG__KIND_BUFFER] = vkg__buffer_doom_locked;
    dev->doom[VKG__KIND_IMAGE] = vkg__image_doom_locked;
    dev->doom[VKG__KIND_VIEW] = vkg__view_doom_locked;
    return VKG_SUCCESS;
}

/* Frees whatever of dev exists; used by destroy and by failed creation. */
static void vkg__device_free(vkg_device *dev)
{
    vkg__host host = dev->host;
    if (dev->device) {
        dev->vk.vkDeviceWaitIdle(dev->device);
        if (dev->async.destroy) dev->async.destroy(dev);
        vkg__retire_all(dev);
        vkg__resources_destroy_all(dev);
        vkg__timelines_destroy(dev);
        vkg__memory_destroy(&dev->memory);
        if (dev->owns_device) dev->vk.vkDestroyDevice(dev->device, dev->vkac);
    }
    if (dev->messenger)
        dev->loader.vki.vkDestroyDebugUtilsMessengerEXT(dev->instance, dev->messenger, dev->vkac);
    if (dev->owns_device && dev->instance)
        dev->loader.vki.vkDestroyInstance(dev->instance, dev->vkac);
    vkg__loader_close(&dev->loader);
    vkg__pool_destroy(&host, &dev->buffers);
    vkg__pool_destroy(&host, &dev->images);
    vkg__pool_destroy(&host, &dev->views);
    if (dev->lock_ready) pthread_mutex_destroy(&dev->lock);
    pthread_mutex_destroy(&dev->report_lock);
    vkg__free(&host, dev->reporters);
    vkg__free(&host, dev);
}

void vkg_device_destroy(vkg_device *device)
{
    if (device) vkg__device_free(device);
}

const vkg_caps *vkg_device_caps(const vkg_device *device)
{
    return &device->caps;
}

uint32_t vkg_device_validation_count(const vkg_device *device)
{
    return atomic_load(&((vkg_device *)device)->validation_count);
}

void vkg_device_get_vk(const vkg_device *device, vkg_device_vk *out)
{
    memset(out, 0, sizeof *out);
    out->instance = device->instance;
    out->physical_device = device->physical_device;
    out->device = device->device;
    out->get_instance_proc_addr = device->loader.vki.vkGetInstanceProcAddr;
    out->get_device_proc_addr = device->loader.vki.vkGetDeviceProcAddr;
    out->device_table = &device->vk;
    for (uint32_t r = 0; r < VKG_QUEUE_ROLE_COUNT; r++) {
        out->queues[r].queue = device->queues[r].queue;
        out->queues[r].family = device->queues[r].family;
    }
}
