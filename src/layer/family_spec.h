/* The shape of a simulated discrete GPU: which queue families it has, in which order, with
 * which capabilities and how many queues each. Shared by the simulation layer
 * (simulate_families.c) and the library, which checks a spec before it creates an instance so
 * that a typo is reported as a vkgraph error instead of a failing vkCreateInstance.
 *
 * Text form: families separated by commas, each "LETTERS:COUNT", where the letters are
 * g (graphics), c (compute), t (transfer) and s (sparse binding):  "gct:2,ct:2,t:1".
 * "1", "default" or the empty string mean VKG__FAMILY_SPEC_DEFAULT. */
#ifndef VKG_LAYER_FAMILY_SPEC_H_
#define VKG_LAYER_FAMILY_SPEC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan_core.h>

/* The first three families of an NVIDIA H200 (and most NVIDIA GPUs) in their order: a
 * universal family with 16 queues, a transfer-only (copy engine) family with 2 and an
 * async-compute family with 8. */
#define VKG__FAMILY_SPEC_DEFAULT "gct:16,t:2,ct:8"
#define VKG__FAMILY_SPEC_MAX_FAMILIES 16
#define VKG__FAMILY_SPEC_MAX_QUEUES 64

/* The layer's name, as applications enable it. */
#define VKG__SIMULATE_LAYER "VK_LAYER_VKGRAPH_simulate_families"

typedef struct vkg__family_spec {
    uint32_t count;
    VkQueueFlags flags[VKG__FAMILY_SPEC_MAX_FAMILIES];
    uint32_t queues[VKG__FAMILY_SPEC_MAX_FAMILIES];
} vkg__family_spec;

/* Parses `text` into *out. On failure writes the reason (naming the family and the rule)
 * into why and returns false. */
bool vkg__family_spec_parse(const char *text, vkg__family_spec *out, char *why, size_t why_size);

/* Writes the canonical text of a spec ("gct:16,t:2,ct:8") into buf. */
void vkg__family_spec_format(const vkg__family_spec *spec, char *buf, size_t size);

/* How vkgraph hands a spec to the layer without touching the process environment: a struct
 * in VkInstanceCreateInfo::pNext shaped like the loader's own VkLayerInstanceCreateInfo
 * (sType VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO, then a VkLayerFunction value of our
 * own). Layers look for the loader's structs by that function value, so they pass this one by;
 * the validation layer does not check loader structs, and drivers ignore them. */
#define VKG__SIMULATE_CONFIG_FUNCTION 0x564b4746 /* "VKGF" */
typedef struct vkg__simulate_config {
    VkStructureType sType; /* VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO */
    const void *pNext;
    int32_t function; /* VKG__SIMULATE_CONFIG_FUNCTION, where VkLayerFunction sits */
    const char *spec;
} vkg__simulate_config;

#endif
