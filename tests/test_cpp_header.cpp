// The public header compiles as C++ and its types are usable from C++.
#include "vkgraph.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(sizeof(vkg_buffer) == 4, "handles are one 32-bit word");
static_assert(std::is_trivially_copyable<vkg_image>::value, "handles are plain values");
static_assert(VKG_SUCCESS == 0, "success is zero");

int main()
{
    vkg_device_desc desc{};
    desc.device_name = "none";
    if (!desc.device_name) return 1;
    vkg_buffer b{};
    if (b.id != 0) return 1;
    if (std::strcmp(vkg_result_name(VKG_ERROR_DEVICE_LOST), "VKG_ERROR_DEVICE_LOST") != 0)
        return 1;
    if (vkg_format_aspect(VK_FORMAT_D32_SFLOAT) != VK_IMAGE_ASPECT_DEPTH_BIT) return 1;
    std::printf("1 passed, 0 failed\n");
    return 0;
}
