/* Vulkan entry points without globals: the loader is opened per device, instance-level
 * functions live in a table per instance, device-level ones in volk's VolkDeviceTable. */
#ifndef VKG_DEVICE_LOADER_H_
#define VKG_DEVICE_LOADER_H_

#include <volk.h>

#include "../util/util.h"

#define VKG__GLOBAL_FUNCS(X)                                                                     \
    X(vkCreateInstance)                                                                          \
    X(vkEnumerateInstanceVersion)                                                                \
    X(vkEnumerateInstanceLayerProperties)                                                        \
    X(vkEnumerateInstanceExtensionProperties)

#define VKG__INSTANCE_FUNCS(X)                                                                   \
    X(vkDestroyInstance)                                                                         \
    X(vkEnumeratePhysicalDevices)                                                                \
    X(vkGetPhysicalDeviceProperties)                                                             \
    X(vkGetPhysicalDeviceProperties2)                                                            \
    X(vkGetPhysicalDeviceFeatures2)                                                              \
    X(vkGetPhysicalDeviceQueueFamilyProperties)                                                  \
    X(vkGetPhysicalDeviceMemoryProperties)                                                       \
    X(vkGetPhysicalDeviceFormatProperties)                                                       \
    X(vkEnumerateDeviceExtensionProperties)                                                      \
    X(vkCreateDevice)                                                                            \
    X(vkGetDeviceProcAddr)

/* Instance-extension functions: NULL when the extension is absent. */
#define VKG__INSTANCE_EXT_FUNCS(X)                                                               \
    X(vkCreateDebugUtilsMessengerEXT)                                                            \
    X(vkDestroyDebugUtilsMessengerEXT)                                                           \
    X(vkSetDebugUtilsObjectNameEXT)                                                              \
    X(vkCmdBeginDebugUtilsLabelEXT)                                                              \
    X(vkCmdEndDebugUtilsLabelEXT)

typedef struct vkg__instance_table {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define VKG__DECL(name) PFN_##name name;
    VKG__GLOBAL_FUNCS(VKG__DECL)
    VKG__INSTANCE_FUNCS(VKG__DECL)
    VKG__INSTANCE_EXT_FUNCS(VKG__DECL)
#undef VKG__DECL
} vkg__instance_table;

typedef struct vkg__loader {
    void *library; /* dlopen handle, NULL when the user gave the entry point */
    vkg__instance_table vki;
} vkg__loader;

/* Opens libvulkan.so.1 unless `gipa` is given, and loads the global functions. */
vkg_result vkg__loader_open(vkg__loader *loader, const vkg__host *host,
                            PFN_vkGetInstanceProcAddr gipa);
/* Loads instance functions for `instance`; false if a core one is missing. */
bool vkg__loader_load_instance(vkg__loader *loader, VkInstance instance);
void vkg__loader_close(vkg__loader *loader);

void vkg__load_device_table(struct VolkDeviceTable *table, VkDevice device,
                            PFN_vkGetDeviceProcAddr get_device_proc_addr);

#endif
