/* The one translation unit that sees volk's implementation, as a private copy whose
 * symbols are all static (see cmake/volk_private.cmake). It exports one function: fill a
 * per-device VolkDeviceTable through a given vkGetDeviceProcAddr. */
#include "vkg_volk_private.c"

#include "loader.h"

typedef struct vkg__volk_ctx {
    PFN_vkGetDeviceProcAddr get_device_proc_addr;
    VkDevice device;
} vkg__volk_ctx;

static PFN_vkVoidFunction vkg__volk_load(void *user, const char *name)
{
    const vkg__volk_ctx *ctx = user;
    return ctx->get_device_proc_addr(ctx->device, name);
}

void vkg__load_device_table(struct VolkDeviceTable *table, VkDevice device,
                            PFN_vkGetDeviceProcAddr get_device_proc_addr)
{
    vkg__volk_ctx ctx = {get_device_proc_addr, device};
    memset(table, 0, sizeof *table);
    volkGenLoadDeviceTable(table, &ctx, vkg__volk_load);
}
