/* Device capabilities: what a physical device offers (queue families, memory, limits,
 * features, extensions, formats) as vkg_caps, the feature chains device creation asks for,
 * and which device a name picks. */
#include "device.h"
#include "../graph/graph.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not in Debian 12's 1.3.239 headers; the extension is detected by name only. */
#define VKG__EXT_HOST_IMAGE_COPY "VK_EXT_host_image_copy"



void vkg__feature_chain_init(vkg__feature_chain *c, const vkg__row_exts *x)
{
    memset(c, 0, sizeof *c);
    c->f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    c->f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
    c->f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    c->f13.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES;
    c->mesh.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MESH_SHADER_FEATURES_EXT;
    c->as.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR;
    c->rt.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR;
    c->rq.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_QUERY_FEATURES_KHR;
    c->fault.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FAULT_FEATURES_EXT;
    c->f2.pNext = &c->f11;
    c->f11.pNext = &c->f12;
    c->f12.pNext = &c->f13;
    void **tail = &c->f13.pNext;
    if (x && x->mesh) *tail = &c->mesh, tail = &c->mesh.pNext;
    if (x && x->as) *tail = &c->as, tail = &c->as.pNext;
    if (x && x->as && x->rt) *tail = &c->rt, tail = &c->rt.pNext;
    if (x && x->as && x->rq) *tail = &c->rq, tail = &c->rq.pNext;
    if (x && x->fault) *tail = &c->fault, tail = &c->fault.pNext;
}


/* The descriptor-indexing subset the bindless heap needs. */
static bool vkg__has_descriptor_indexing(const VkPhysicalDeviceVulkan12Features *f)
{
    return f->descriptorIndexing && f->runtimeDescriptorArray &&
           f->descriptorBindingPartiallyBound && f->descriptorBindingVariableDescriptorCount &&
           f->descriptorBindingSampledImageUpdateAfterBind &&
           f->descriptorBindingStorageImageUpdateAfterBind &&
           f->descriptorBindingUpdateUnusedWhilePending &&
           f->shaderSampledImageArrayNonUniformIndexing &&
           f->shaderStorageImageArrayNonUniformIndexing;
}

bool vkg__has_extension(const VkExtensionProperties *exts, uint32_t count,
                               const char *name)
{
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(exts[i].extensionName, name) == 0) return true;
    return false;
}

static vkg__row_exts vkg__row_exts_of(const VkExtensionProperties *exts, uint32_t n)
{
    vkg__row_exts x = {
        .mesh = vkg__has_extension(exts, n, VK_EXT_MESH_SHADER_EXTENSION_NAME),
        .as = vkg__has_extension(exts, n, VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME) &&
              vkg__has_extension(exts, n, VK_KHR_DEFERRED_HOST_OPERATIONS_EXTENSION_NAME),
        .rt = vkg__has_extension(exts, n, VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME),
        .rq = vkg__has_extension(exts, n, VK_KHR_RAY_QUERY_EXTENSION_NAME),
        .fault = vkg__has_extension(exts, n, VK_EXT_DEVICE_FAULT_EXTENSION_NAME)};
    return x;
}

/* The extensions behind the optional rows the caps say are usable. */
vkg__row_exts vkg__row_exts_of_caps(const vkg_caps *c)
{
    return (vkg__row_exts){.mesh = c->mesh_shader || c->task_shader,
                           .as = c->acceleration_structure,
                           .rt = c->ray_tracing_pipeline,
                           .rq = c->ray_query,
                           .fault = c->device_fault};
}


bool vkg__query_caps(const vkg__instance_table *vki, VkPhysicalDevice pd, vkg_caps *caps,
                     char *why, size_t why_size)
{
    memset(caps, 0, sizeof *caps);
    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &driver};
    vki->vkGetPhysicalDeviceProperties2(pd, &props);
    const VkPhysicalDeviceLimits *lim = &props.properties.limits;
    snprintf(caps->device_name, sizeof caps->device_name, "%s", props.properties.deviceName);
    caps->api_version = props.properties.apiVersion;
    caps->vendor_id = props.properties.vendorID;
    caps->driver_id = driver.driverID;
    caps->buffer_image_granularity = lim->bufferImageGranularity;
    caps->non_coherent_atom_size = lim->nonCoherentAtomSize;
    caps->min_storage_buffer_offset_alignment = lim->minStorageBufferOffsetAlignment;
    caps->min_uniform_buffer_offset_alignment = lim->minUniformBufferOffsetAlignment;
    caps->max_image_dimension_2d = lim->maxImageDimension2D;
    caps->max_image_array_layers = lim->maxImageArrayLayers;
    caps->max_compute_workgroup_invocations = lim->maxComputeWorkGroupInvocations;
    caps->timestamp_period_ns = lim->timestampPeriod;
    caps->max_buffer_size = UINT32_MAX; /* refined below on 1.3 (maintenance4) */

    /* Ask for the count first: SwiftShader leaves a preset count as it was (16 for 1). */
    uint32_t qcount = 0;
    VkQueueFamilyProperties qprops[VKG_MAX_QUEUE_FAMILIES];
    vki->vkGetPhysicalDeviceQueueFamilyProperties(pd, &qcount, NULL);
    qcount = VKG__MIN(qcount, (uint32_t)VKG_MAX_QUEUE_FAMILIES);
    vki->vkGetPhysicalDeviceQueueFamilyProperties(pd, &qcount, qprops);
    caps->queue_family_count = qcount;
    for (uint32_t i = 0; i < qcount; i++) {
        caps->queue_families[i].flags = qprops[i].queueFlags;
        caps->queue_families[i].queue_count = qprops[i].queueCount;
        caps->queue_families[i].timestamp_valid_bits = qprops[i].timestampValidBits;
    }
    vkg__caps_assign_roles(caps);

    VkPhysicalDeviceMemoryProperties mp;
    vki->vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    caps->memory_type_count = VKG__MIN(mp.memoryTypeCount, VKG_MAX_MEMORY_TYPES);
    for (uint32_t i = 0; i < caps->memory_type_count; i++) {
        caps->memory_types[i].flags = mp.memoryTypes[i].propertyFlags;
        caps->memory_types[i].heap = mp.memoryTypes[i].heapIndex;
    }
    caps->memory_heap_count = VKG__MIN(mp.memoryHeapCount, VKG_MAX_MEMORY_HEAPS);
    for (uint32_t i = 0; i < caps->memory_heap_count; i++) {
        caps->memory_heaps[i].size = mp.memoryHeaps[i].size;
        caps->memory_heaps[i].flags = mp.memoryHeaps[i].flags;
    }
    caps->format_count = vkg__format_count();
    for (uint32_t i = 0; i < caps->format_count; i++) {
        VkFormatProperties fp;
        caps->formats[i].format = vkg__format_at(i);
        vki->vkGetPhysicalDeviceFormatProperties(pd, caps->formats[i].format, &fp);
        caps->formats[i].features = fp.optimalTilingFeatures;
    }

    why[0] = 0;
    if (VK_API_VERSION_MAJOR(caps->api_version) == 1 &&
        VK_API_VERSION_MINOR(caps->api_version) < 3) {
        snprintf(why, why_size, "Vulkan %u.%u (vkgraph needs 1.3)",
                 VK_API_VERSION_MAJOR(caps->api_version), VK_API_VERSION_MINOR(caps->api_version));
        return false;
    }
    VkPhysicalDeviceMaintenance4Properties m4 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES};
    VkPhysicalDeviceProperties2 props4 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &m4};
    vki->vkGetPhysicalDeviceProperties2(pd, &props4);
    caps->max_buffer_size = m4.maxBufferSize;

    uint32_t ext_count = 0;
    vki->vkEnumerateDeviceExtensionProperties(pd, NULL, &ext_count, NULL);
    VkExtensionProperties exts[512];
    ext_count = VKG__MIN(ext_count, (uint32_t)VKG__ARRAY_COUNT(exts));
    vki->vkEnumerateDeviceExtensionProperties(pd, NULL, &ext_count, exts);
    vkg__row_exts rx = vkg__row_exts_of(exts, ext_count);

    vkg__feature_chain fc;
    vkg__feature_chain_init(&fc, &rx);
    vki->vkGetPhysicalDeviceFeatures2(pd, &fc.f2);
    caps->separate_depth_stencil_layouts = fc.f12.separateDepthStencilLayouts;
    caps->geometry_shader = fc.f2.features.geometryShader;
    caps->tessellation_shader = fc.f2.features.tessellationShader;
    caps->mesh_shader = rx.mesh && fc.mesh.meshShader;
    caps->device_fault = rx.fault && fc.fault.deviceFault;
    caps->task_shader = rx.mesh && fc.mesh.meshShader && fc.mesh.taskShader;
    caps->acceleration_structure = rx.as && fc.as.accelerationStructure;
    caps->ray_tracing_pipeline = caps->acceleration_structure && rx.rt && fc.rt.rayTracingPipeline;
    caps->ray_query = caps->acceleration_structure && rx.rq && fc.rq.rayQuery;
    caps->timeline_semaphore = fc.f12.timelineSemaphore;
    caps->buffer_device_address = fc.f12.bufferDeviceAddress;
    caps->synchronization2 = fc.f13.synchronization2;
    caps->dynamic_rendering = fc.f13.dynamicRendering;
    caps->maintenance4 = fc.f13.maintenance4;
    caps->descriptor_indexing = vkg__has_descriptor_indexing(&fc.f12);

    caps->push_descriptors =
        vkg__has_extension(exts, ext_count, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    caps->host_image_copy = vkg__has_extension(exts, ext_count, VKG__EXT_HOST_IMAGE_COPY);
    caps->swapchain = vkg__has_extension(exts, ext_count, VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    caps->buffer_marker = vkg__has_extension(exts, ext_count, VK_AMD_BUFFER_MARKER_EXTENSION_NAME);
    caps->diagnostic_checkpoints =
        vkg__has_extension(exts, ext_count, VK_NV_DEVICE_DIAGNOSTIC_CHECKPOINTS_EXTENSION_NAME);

    const char *missing = !caps->timeline_semaphore      ? "timelineSemaphore"
                          : !caps->synchronization2      ? "synchronization2"
                          : !caps->dynamic_rendering     ? "dynamicRendering"
                          : !caps->buffer_device_address ? "bufferDeviceAddress"
                          : caps->role_family[VKG_QUEUE_GRAPHICS] == UINT32_MAX
                              ? "a queue family with graphics and compute"
                              : NULL;
    if (missing) {
        snprintf(why, why_size, "lacks %s", missing);
        return false;
    }
    return true;
}

static int vkg__type_rank(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return 1;
    default:
        return 0;
    }
}

static bool vkg__name_matches(const char *name, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)want[i]))
            i++;
        if (i == n) return true;
    }
    return n == 0;
}

const char *vkg__wanted_name(const vkg_device_desc *desc)
{
    if (desc && desc->device_name && desc->device_name[0]) return desc->device_name;
    const char *env = getenv("VKG_DEVICE");
    return env && env[0] ? env : NULL;
}

/* Index of the device vkg_device_create picks among `infos`, or UINT32_MAX. */
uint32_t vkg__pick(const vkg_physical_device_info *infos, uint32_t count,
                          const char *want)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < count; i++) {
        if (!infos[i].suitable) continue;
        if (want) {
            if (vkg__name_matches(infos[i].caps.device_name, want)) return i;
            continue;
        }
        if (best == UINT32_MAX || vkg__type_rank(infos[i].type) > vkg__type_rank(infos[best].type))
            best = i;
    }
    return best;
}
