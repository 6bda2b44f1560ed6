/* Debug names of Vulkan objects (VK_EXT_debug_utils), which validation messages and captures
 * show: every file of the device layer names what it creates through this. */
#include "device.h"

void vkg__set_name(vkg_device *dev, VkObjectType type, uint64_t handle, const char *name)
{
    if (!dev->loader.vki.vkSetDebugUtilsObjectNameEXT || !name || !name[0]) return;
    VkDebugUtilsObjectNameInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
        .objectType = type,
        .objectHandle = handle,
        .pObjectName = name,
    };
    dev->loader.vki.vkSetDebugUtilsObjectNameEXT(dev->device, &info);
}
