/* Configure-time probe (tests/CMakeLists.txt, try_run): prints the name of every Vulkan 1.3
 * device the default loader finds that is not a CPU driver, one per line, so CTest can run the
 * device tests on each real GPU of the machine. Prints nothing where there is none. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

int main(void)
{
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return 0;
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
    if (!gipa) return 0;
    PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(NULL, "vkCreateInstance");
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pApplicationInfo = &app};
    VkInstance instance;
    if (!create || create(&ci, NULL, &instance) != VK_SUCCESS) return 0;
    PFN_vkEnumeratePhysicalDevices enumerate =
        (PFN_vkEnumeratePhysicalDevices)gipa(instance, "vkEnumeratePhysicalDevices");
    PFN_vkGetPhysicalDeviceProperties props =
        (PFN_vkGetPhysicalDeviceProperties)gipa(instance, "vkGetPhysicalDeviceProperties");
    PFN_vkDestroyInstance destroy = (PFN_vkDestroyInstance)gipa(instance, "vkDestroyInstance");
    VkPhysicalDevice pds[16];
    uint32_t n = 16;
    if (enumerate(instance, &n, pds) >= 0) {
        for (uint32_t i = 0; i < n; i++) {
            VkPhysicalDeviceProperties p;
            props(pds[i], &p);
            if (p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) continue;
            if (VK_API_VERSION_MINOR(p.apiVersion) < 3 && VK_API_VERSION_MAJOR(p.apiVersion) == 1)
                continue;
            printf("%s\n", p.deviceName);
        }
    }
    destroy(instance, NULL);
    return 0;
}
