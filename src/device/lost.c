/* Device loss: marking the device lost (sticky), and the report of what the GPU was doing
 * when it happened. The report is logged once, when the loss is first seen, and
 * vkg_device_lost_report gives it on demand. Executors that keep breadcrumbs
 * (vkg_executor_desc.breadcrumbs) add, per queue, which passes of their executions had
 * finished and which had started and not finished, through a reporter they register here:
 * the device knows nothing of executors. */
#include "device.h"

#include <stdio.h>
#include <string.h>

vkg_result vkg__lost_reporter_add(vkg_device *dev, vkg__lost_reporter_fn fn, void *user)
{
    pthread_mutex_lock(&dev->report_lock);
    bool ok = vkg__grow(&dev->host, (void **)&dev->reporters, &dev->reporter_cap,
                        dev->reporter_count + 1, sizeof *dev->reporters);
    if (ok) dev->reporters[dev->reporter_count++] = (vkg__lost_reporter){fn, user};
    pthread_mutex_unlock(&dev->report_lock);
    return ok ? VKG_SUCCESS : VKG__OOM(&dev->host, "the device-lost reporters");
}

void vkg__lost_reporter_remove(vkg_device *dev, vkg__lost_reporter_fn fn, void *user)
{
    pthread_mutex_lock(&dev->report_lock);
    for (uint32_t i = 0; i < dev->reporter_count; i++)
        if (dev->reporters[i].fn == fn && dev->reporters[i].user == user) {
            dev->reporters[i] = dev->reporters[--dev->reporter_count];
            break;
        }
    pthread_mutex_unlock(&dev->report_lock);
}

static const char *vkg__fault_address_kind(VkDeviceFaultAddressTypeEXT k)
{
    switch (k) {
    case VK_DEVICE_FAULT_ADDRESS_TYPE_READ_INVALID_EXT: return "invalid read";
    case VK_DEVICE_FAULT_ADDRESS_TYPE_WRITE_INVALID_EXT: return "invalid write";
    case VK_DEVICE_FAULT_ADDRESS_TYPE_EXECUTE_INVALID_EXT: return "invalid execute";
    case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_UNKNOWN_EXT: return "instruction pointer (unknown)";
    case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_INVALID_EXT: return "instruction pointer (invalid)";
    case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_FAULT_EXT: return "instruction pointer (fault)";
    default: return "address";
    }
}

/* What the driver says about the fault (VK_EXT_device_fault), after a real loss only: the
 * query is valid on a lost device. At most 8 addresses and 4 vendor records. */
static void vkg__fault_text(vkg_device *dev, vkg__text *t)
{
    if (!dev->caps.device_fault || !atomic_load(&dev->lost_real) || !dev->vk.vkGetDeviceFaultInfoEXT) return;
    VkDeviceFaultCountsEXT counts = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT};
    if (dev->vk.vkGetDeviceFaultInfoEXT(dev->device, &counts, NULL) != VK_SUCCESS) return;
    VkDeviceFaultAddressInfoEXT addr[8];
    VkDeviceFaultVendorInfoEXT vendor[4];
    counts.addressInfoCount = VKG__MIN(counts.addressInfoCount, 8u);
    counts.vendorInfoCount = VKG__MIN(counts.vendorInfoCount, 4u);
    counts.vendorBinarySize = 0;
    VkDeviceFaultInfoEXT info = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT,
                                 .pAddressInfos = addr,
                                 .pVendorInfos = vendor};
    VkResult vr = dev->vk.vkGetDeviceFaultInfoEXT(dev->device, &counts, &info);
    if (vr != VK_SUCCESS && vr != VK_INCOMPLETE) return;
    vkg__textf(t, "\ndriver fault report (VK_EXT_device_fault): %s", info.description);
    for (uint32_t i = 0; i < counts.addressInfoCount; i++)
        vkg__textf(t, "\n  %s at 0x%llx (precision 0x%llx)", vkg__fault_address_kind(addr[i].addressType),
                   (unsigned long long)addr[i].reportedAddress, (unsigned long long)addr[i].addressPrecision);
    for (uint32_t i = 0; i < counts.vendorInfoCount; i++)
        vkg__textf(t, "\n  vendor: %s (code 0x%llx, data 0x%llx)", vendor[i].description,
                   (unsigned long long)vendor[i].vendorFaultCode, (unsigned long long)vendor[i].vendorFaultData);
}

/* The report's text: the device's state, the driver's fault details, then every reporter's
 * part. */
static void vkg__lost_text(vkg_device *dev, vkg__text *t)
{
    bool lost = atomic_load(&dev->lost);
    vkg__textf(t, "device \"%s\" is %s", dev->caps.device_name, lost ? "lost" : "not lost");
    vkg__fault_text(dev, t);
    pthread_mutex_lock(&dev->report_lock);
    if (!dev->reporter_count)
        vkg__textf(t, "\nno executor keeps breadcrumbs (vkg_executor_desc.breadcrumbs) to say "
                      "which passes the GPU had run");
    for (uint32_t i = 0; i < dev->reporter_count; i++) dev->reporters[i].fn(dev->reporters[i].user, t);
    pthread_mutex_unlock(&dev->report_lock);
}

size_t vkg_device_lost_report(vkg_device *device, char *buf, size_t size)
{
    if (buf && size) buf[0] = '\0';
    if (!device) return 0;
    vkg__text t = {buf, buf ? size : 0, 0};
    vkg__lost_text(device, &t);
    return t.len;
}

void vkg__device_lost(vkg_device *dev, bool real)
{
    if (real) atomic_store(&dev->lost_real, true);
    atomic_store(&dev->lost, true);
    if (atomic_exchange(&dev->lost_logged, true)) return;
    /* on the heap: this can run deep in any failing call, even on a task's small stack */
    size_t size = 8192;
    char small[256], *text = vkg__alloc(&dev->host, size);
    if (!text) text = small, size = sizeof small;
    vkg__text t = {text, size, 0};
    vkg__lost_text(dev, &t);
    /* a line a message: the logger escapes control characters */
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        VKG__ERROR(&dev->host, "VK_ERROR_DEVICE_LOST: %s", line);
        line = end ? end + 1 : NULL;
    }
    if (t.len >= size)
        VKG__ERROR(&dev->host, "VK_ERROR_DEVICE_LOST: ... (vkg_device_lost_report gives the whole report)");
    if (text != small) vkg__free(&dev->host, text);
}
