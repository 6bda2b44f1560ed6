#include "loader.h"

#include <dlfcn.h>

vkg_result vkg__loader_open(vkg__loader *loader, const vkg__host *host,
                            PFN_vkGetInstanceProcAddr gipa)
{
    memset(loader, 0, sizeof *loader);
    if (!gipa) {
        /* Per object, not process-global: dlopen refcounts the library itself. */
        loader->library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!loader->library) {
            VKG__ERROR(host,
                       "cannot open the Vulkan loader libvulkan.so.1 (%s): install the Debian "
                       "package libvulkan1 (scripts/install-deps.sh does)",
                       dlerror());
            return VKG_ERROR_LOADER;
        }
        gipa = (PFN_vkGetInstanceProcAddr)dlsym(loader->library, "vkGetInstanceProcAddr");
        if (!gipa) {
            VKG__ERROR(host, "libvulkan.so.1 has no vkGetInstanceProcAddr: a broken loader");
            vkg__loader_close(loader);
            return VKG_ERROR_LOADER;
        }
    }
    loader->vki.vkGetInstanceProcAddr = gipa;
#define VKG__LOAD(name) loader->vki.name = (PFN_##name)gipa(VK_NULL_HANDLE, #name);
    VKG__GLOBAL_FUNCS(VKG__LOAD)
#undef VKG__LOAD
    if (!loader->vki.vkCreateInstance || !loader->vki.vkEnumerateInstanceVersion) {
        VKG__ERROR(host, "the Vulkan loader predates Vulkan 1.1: vkgraph needs a 1.3 loader");
        vkg__loader_close(loader);
        return VKG_ERROR_LOADER;
    }
    return VKG_SUCCESS;
}

bool vkg__loader_load_instance(vkg__loader *loader, VkInstance instance)
{
    PFN_vkGetInstanceProcAddr gipa = loader->vki.vkGetInstanceProcAddr;
    bool ok = true;
#define VKG__LOAD(name)                                                                          \
    loader->vki.name = (PFN_##name)gipa(instance, #name);                                         \
    ok = ok && loader->vki.name != NULL;
    VKG__INSTANCE_FUNCS(VKG__LOAD)
#undef VKG__LOAD
#define VKG__LOAD_EXT(name) loader->vki.name = (PFN_##name)gipa(instance, #name);
    VKG__INSTANCE_EXT_FUNCS(VKG__LOAD_EXT)
#undef VKG__LOAD_EXT
    return ok;
}

void vkg__loader_close(vkg__loader *loader)
{
    if (loader->library) dlclose(loader->library);
    memset(loader, 0, sizeof *loader);
}
