/* `vkgraph demo --window`: a GLFW window and a swapchain whose images are imported into the
 * graph. */
#include "internal.h"

/* ------------------------------------------------------------------------------------------
 * Window: a GLFW window and a swapchain whose images are imported into the graph
 * ---------------------------------------------------------------------------------------- */
#ifdef VKG_HAVE_GLFW
#define MAX_SWAPCHAIN_IMAGES 8

typedef struct swapchain {
    VkSurfaceKHR surface;
    VkSwapchainKHR handle;
    VkFormat format;
    VkExtent2D extent;
    uint32_t count;
    VkImage images[MAX_SWAPCHAIN_IMAGES];
    vkg_image imported[MAX_SWAPCHAIN_IMAGES];
    VkSemaphore done[MAX_SWAPCHAIN_IMAGES]; /* per image: its frame is rendered, for the present */
    VkSemaphore acquired[SLOTS];           /* per frame slot: the image is ours */
    uint32_t recreated;
    PFN_vkGetPhysicalDeviceSurfaceSupportKHR support;
    PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR caps;
    PFN_vkGetPhysicalDeviceSurfaceFormatsKHR formats;
    PFN_vkGetPhysicalDeviceSurfacePresentModesKHR modes;
    PFN_vkDestroySurfaceKHR destroy_surface;
} swapchain;

static VkSurfaceFormatKHR pick_format(demo *d, swapchain *sc)
{
    VkSurfaceFormatKHR f[64];
    uint32_t n = 0; /* count first, then at most what fits (the two-call idiom) */
    sc->formats(d->vk.physical_device, sc->surface, &n, NULL);
    n = n < 64 ? n : 64;
    VkResult vr = sc->formats(d->vk.physical_device, sc->surface, &n, f);
    if ((vr != VK_SUCCESS && vr != VK_INCOMPLETE) || n == 0)
        return (VkSurfaceFormatKHR){VK_FORMAT_B8G8R8A8_UNORM, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
    /* UNORM first: the tonemap pass encodes sRGB itself; an _SRGB format works too */
    static const VkFormat pref[4] = {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB,
                                     VK_FORMAT_R8G8B8A8_SRGB};
    for (uint32_t p = 0; p < 4; p++)
        for (uint32_t i = 0; i < n; i++)
            if (f[i].format == pref[p] && f[i].colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return f[i];
    return f[0];
}

static void swapchain_release_images(demo *d, swapchain *sc)
{
    for (uint32_t i = 0; i < sc->count; i++) vkg_image_destroy(d->dev, sc->imported[i]);
    memset(sc->imported, 0, sizeof sc->imported);
}

/* (Re)creates the swapchain at the window's framebuffer size; the GPU must be idle. */
static int swapchain_create(demo *d, swapchain *sc, GLFWwindow *win)
{
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(win, &fw, &fh);
    VkSurfaceCapabilitiesKHR c;
    VKCHECK(d, sc->caps(d->vk.physical_device, sc->surface, &c));
    VkExtent2D e = c.currentExtent;
    if (e.width == UINT32_MAX) {
        e.width = (uint32_t)(fw > 0 ? fw : 1);
        e.height = (uint32_t)(fh > 0 ? fh : 1);
        if (e.width < c.minImageExtent.width) e.width = c.minImageExtent.width;
        if (e.width > c.maxImageExtent.width) e.width = c.maxImageExtent.width;
        if (e.height < c.minImageExtent.height) e.height = c.minImageExtent.height;
        if (e.height > c.maxImageExtent.height) e.height = c.maxImageExtent.height;
    }
    if (e.width == 0 || e.height == 0) return 0; /* minimized: the caller waits */
    uint32_t count = c.minImageCount + 1;
    if (c.maxImageCount && count > c.maxImageCount) count = c.maxImageCount;
    VkSurfaceFormatKHR sf = pick_format(d, sc);
    /* no vsync where the surface offers it: the demo measures; FIFO is always there */
    VkPresentModeKHR modes[16], mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t nm = 0;
    sc->modes(d->vk.physical_device, sc->surface, &nm, NULL);
    nm = nm < 16 ? nm : 16;
    if (sc->modes(d->vk.physical_device, sc->surface, &nm, modes) >= 0)
        for (uint32_t i = 0; i < nm; i++)
            if (modes[i] == VK_PRESENT_MODE_MAILBOX_KHR ||
                (modes[i] == VK_PRESENT_MODE_IMMEDIATE_KHR && mode != VK_PRESENT_MODE_MAILBOX_KHR))
                mode = modes[i];
    VkCompositeAlphaFlagBitsKHR alpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    for (uint32_t b = 1; !(c.supportedCompositeAlpha & alpha) && b < 16; b <<= 1)
        alpha = (VkCompositeAlphaFlagBitsKHR)b;
    VkSwapchainKHR old = sc->handle;
    VKCHECK(d, d->t->vkCreateSwapchainKHR(d->d,
                                          &(VkSwapchainCreateInfoKHR){
                                              .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
                                              .surface = sc->surface,
                                              .minImageCount = count,
                                              .imageFormat = sf.format,
                                              .imageColorSpace = sf.colorSpace,
                                              .imageExtent = e,
                                              .imageArrayLayers = 1,
                                              .imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                                              .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
                                              .preTransform = c.currentTransform,
                                              .compositeAlpha = alpha,
                                              .presentMode = mode,
                                              .clipped = VK_TRUE,
                                              .oldSwapchain = old},
                                          NULL, &sc->handle));
    swapchain_release_images(d, sc);
    if (old) d->t->vkDestroySwapchainKHR(d->d, old, NULL);
    uint32_t n = 0;
    VKCHECK(d, d->t->vkGetSwapchainImagesKHR(d->d, sc->handle, &n, NULL));
    if (n > MAX_SWAPCHAIN_IMAGES) return vkgd__failf(d, 1, "the swapchain has %u images; the demo handles %u", n,
                                               MAX_SWAPCHAIN_IMAGES);
    VKCHECK(d, d->t->vkGetSwapchainImagesKHR(d->d, sc->handle, &n, sc->images));
    for (uint32_t i = sc->count; i < n; i++)
        VKCHECK(d, d->t->vkCreateSemaphore(d->d,
                                           &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                           NULL, &sc->done[i]));
    if (n > sc->count) sc->count = n;
    for (uint32_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "swapchain[%u]", i);
        VKGCHECK(d,
                 vkg_image_import(d->dev,
                                  &(vkg_image_import_desc){.name = name,
                                                           .image = sc->images[i],
                                                           .format = sf.format,
                                                           .width = e.width,
                                                           .height = e.height,
                                                           .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT},
                                  &sc->imported[i]),
                 "importing a swapchain image");
    }
    for (uint32_t i = n; i < sc->count; i++) sc->images[i] = VK_NULL_HANDLE;
    sc->format = sf.format;
    sc->extent = e;
    /* a new size is a new graph: the transients, the bloom chain and the plan follow it */
    return vkgd__build_graph(d, e.width, e.height, sf.format, true);
}

static int swapchain_recreate(demo *d, swapchain *sc, GLFWwindow *win)
{
    if (vkgd__drain(d)) return d->status;
    /* presents hold the old images and semaphores until the queue is idle */
    VKGCHECK(d, vkg_device_wait_idle(d->dev), "waiting for the device before recreating the swapchain");
    sc->recreated++;
    return swapchain_create(d, sc, win);
}

int vkgd__run_window(demo *d, frame_stats *fs, GLFWwindow *win)
{
    swapchain sc = {0};
    PFN_vkGetInstanceProcAddr gipa = d->vk.get_instance_proc_addr;
    VkInstance inst = d->vk.instance;
    sc.support = (PFN_vkGetPhysicalDeviceSurfaceSupportKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceSupportKHR");
    sc.caps = (PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
    sc.formats = (PFN_vkGetPhysicalDeviceSurfaceFormatsKHR)gipa(inst, "vkGetPhysicalDeviceSurfaceFormatsKHR");
    sc.modes = (PFN_vkGetPhysicalDeviceSurfacePresentModesKHR)gipa(inst, "vkGetPhysicalDeviceSurfacePresentModesKHR");
    sc.destroy_surface = (PFN_vkDestroySurfaceKHR)gipa(inst, "vkDestroySurfaceKHR");
    if (!sc.support || !sc.caps || !sc.formats || !sc.modes || !sc.destroy_surface || !d->t->vkCreateSwapchainKHR)
        return vkgd__failf(d, 1, "the Vulkan loader lacks the surface and swapchain functions");
    VkResult vr = glfwCreateWindowSurface(inst, win, NULL, &sc.surface);
    if (vr != VK_SUCCESS) return vkgd__failf(d, 1, "glfwCreateWindowSurface failed (VkResult %d)", (int)vr);
    VkBool32 can_present = VK_FALSE;
    uint32_t family = d->vk.queues[VKG_QUEUE_GRAPHICS].family;
    if (sc.support(d->vk.physical_device, family, sc.surface, &can_present) != VK_SUCCESS || !can_present)
        vkgd__failf(d, 1, "device \"%s\" cannot present to this window from its graphics queue family %u",
              vkg_device_caps(d->dev)->device_name, family);
    for (uint32_t s = 0; s < SLOTS && !d->status; s++)
        if (d->t->vkCreateSemaphore(d->d, &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO},
                                    NULL, &sc.acquired[s]) != VK_SUCCESS)
            vkgd__failf(d, 1, "vkCreateSemaphore failed");
    if (!d->status) swapchain_create(d, &sc, win);
    uint32_t f = 0, first_w = sc.extent.width, first_h = sc.extent.height;
    bool stale = false;
    while (!d->status && !glfwWindowShouldClose(win) && (!d->o.frames || f < d->o.frames)) {
        glfwPollEvents();
        if (d->o.resize_at && f == d->o.resize_at && sc.recreated == 0)
            glfwSetWindowSize(win, (int)(first_w * 3 / 4), (int)(first_h * 3 / 4));
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(win, &fw, &fh);
        if (fw <= 0 || fh <= 0) { /* minimized: nothing to draw into */
            glfwWaitEventsTimeout(0.1);
            continue;
        }
        if (stale || !sc.handle || (uint32_t)fw != sc.extent.width || (uint32_t)fh != sc.extent.height) {
            if (swapchain_recreate(d, &sc, win)) break;
            stale = false;
            if (!sc.handle) continue;
        }
        uint32_t s = f % SLOTS;
        if (vkgd__slot_begin(d, s)) break;
        uint32_t idx = 0;
        vr = d->t->vkAcquireNextImageKHR(d->d, sc.handle, UINT64_MAX, sc.acquired[s], VK_NULL_HANDLE, &idx);
        if (vr == VK_ERROR_OUT_OF_DATE_KHR) {
            stale = true; /* nothing was signalled: the slot stays free */
            continue;
        }
        if (vr != VK_SUCCESS && vr != VK_SUBOPTIMAL_KHR) {
            vkgd__failf(d, 1, "vkAcquireNextImageKHR failed (VkResult %d)", (int)vr);
            break;
        }
        if (vr == VK_SUBOPTIMAL_KHR) stale = true;
        vkg_binding binds[5] = {{d->r_vertices, .buffer = d->vertices},
                                {d->r_indices, .buffer = d->indices},
                                {d->r_objects, .buffer = d->objects},
                                {d->r_textures, .image = d->textures},
                                {d->r_output,
                                 .image = sc.imported[idx],
                                 .wait_semaphore = sc.acquired[s],
                                 .wait_stage = VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                                 .signal_semaphore = sc.done[idx]}};
        vkgd__camera(d, (float)f / 30.0f, sc.extent.width, sc.extent.height);
        if (vkgd__execute(d, fs, f, binds, 5)) break;
        vr = vkg_queue_present(d->dev, VKG_QUEUE_GRAPHICS,
                               &(VkPresentInfoKHR){.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                                                   .waitSemaphoreCount = 1,
                                                   .pWaitSemaphores = &sc.done[idx],
                                                   .swapchainCount = 1,
                                                   .pSwapchains = &sc.handle,
                                                   .pImageIndices = &idx});
        if (vr == VK_ERROR_OUT_OF_DATE_KHR || vr == VK_SUBOPTIMAL_KHR)
            stale = true;
        else if (vr != VK_SUCCESS)
            vkgd__failf(d, 1, "vkQueuePresentKHR failed (VkResult %d)", (int)vr);
        f++;
    }
    if (!d->status) vkgd__drain(d);
    if (vkg_device_wait_idle(d->dev) != VKG_SUCCESS) vkgd__failf(d, 1, "waiting for the device to finish failed");
    if (d->o.report && !d->status)
        fprintf(d->o.report, "window: %u frames presented, swapchain %ux%u (%u images), recreated %u time(s)\n", f,
                sc.extent.width, sc.extent.height, sc.count, sc.recreated);
    swapchain_release_images(d, &sc);
    for (uint32_t i = 0; i < sc.count; i++) d->t->vkDestroySemaphore(d->d, sc.done[i], NULL);
    for (uint32_t s = 0; s < SLOTS; s++)
        if (sc.acquired[s]) d->t->vkDestroySemaphore(d->d, sc.acquired[s], NULL);
    if (sc.handle) d->t->vkDestroySwapchainKHR(d->d, sc.handle, NULL);
    if (sc.surface) sc.destroy_surface(inst, sc.surface, NULL);
    return d->status;
}
#endif
