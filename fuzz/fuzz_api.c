/* libFuzzer target: a sequence of graph-API calls decoded from the input bytes, valid and
 * invalid alike — resources with odd sizes, formats, mips, layers and names (duplicates,
 * control characters, none), passes on any queue role with uses of real, stale and forged
 * handles, any access value, out-of-range mips, layers and byte ranges, outputs, history
 * resources (NAME@prev used like any resource), lookups,
 * and compiles in between (recompiling in place) — then a compile of whatever results.
 * Every call must return a result; nothing may crash, hang or leak. */
#include "fuzz.h"

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint32_t u8(reader *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

static uint32_t u32(reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | u8(r);
    return v;
}

/* small numbers mostly, sometimes 0 or huge */
static uint32_t count(reader *r)
{
    uint32_t k = u8(r);
    if (k < 200) return k % 9;
    if (k < 250) return k;
    return u32(r);
}

static const VkFormat formats[] = {
    VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_R16G16B16A16_SFLOAT, VK_FORMAT_D32_SFLOAT,
    VK_FORMAT_R32_SFLOAT,     VK_FORMAT_B8G8R8A8_SRGB,       VK_FORMAT_D24_UNORM_S8_UINT,
    VK_FORMAT_BC1_RGB_UNORM_BLOCK, VK_FORMAT_UNDEFINED,      (VkFormat)0x7fffffff,
    VK_FORMAT_R32G32B32A32_UINT};

static const char *names[] = {"a", "b", "a", "", NULL, "x\ny", "\x01\x7f", "hdr", "very long name "
                              "that keeps going and going past any fixed buffer anyone might have "
                              "sized for a resource name in a message or a plan dump, and then some"};

#define MAX_RES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    vkg_graph *g = NULL;
    if (vkg_graph_create(&(vkg_graph_desc){.name = "fuzz", .logger = vkgf_quiet(),
                                           .compile_flags = u8(&r) & 1 ? VKG_COMPILE_SPLIT_BARRIERS : 0},
                         &g) != VKG_SUCCESS)
        return 0;
    vkg_resource res[MAX_RES];
    uint32_t nres = 0;
    vkg_plan *plan = NULL;
    char name[32];
    for (uint32_t step = 0; r.n && step < 256; step++) {
        uint32_t op = u8(&r) % 8;
        uint32_t ni = u8(&r);
        const char *nm = ni < 240 ? (snprintf(name, sizeof name, "r%u", ni % 40), name)
                                  : names[ni % (sizeof names / sizeof names[0])];
        vkg_import_state st = {.access = (vkg_access)(u8(&r) % (VKG_ACCESS_COUNT + 2)),
                               .queue = (vkg_queue_role)(u8(&r) % 4)};
        vkg_resource out = {0};
        switch (op) {
        case 0: { /* a buffer */
            uint32_t flags = u8(&r);
            vkg_graph_buffer_desc d = {.name = nm,
                                       .size = (VkDeviceSize)count(&r) * (flags & 4 ? 65536u : 16u),
                                       .imported = flags & 1,
                                       .state = st,
                                       .output = flags & 2,
                                       .history = flags & 32 ? 1u + (flags >> 6 & 1u) : 0,
                                       .history_init = (vkg_history_init)(flags >> 7)};
            if (vkg_graph_buffer(g, &d, &out) == VKG_SUCCESS && nres < MAX_RES) res[nres++] = out;
            if (out.id && d.history && nres < MAX_RES) res[nres++] = vkg_graph_previous(g, out);
            break;
        }
        case 1: { /* an image */
            uint32_t flags = u8(&r);
            vkg_graph_image_desc d = {.name = nm,
                                      .format = formats[u8(&r) % (sizeof formats / sizeof formats[0])],
                                      .width = count(&r) * 16,
                                      .height = count(&r) * 16,
                                      .depth = flags & 8 ? count(&r) : 0,
                                      .mips = count(&r),
                                      .layers = count(&r),
                                      .samples = flags & 16 ? (VkSampleCountFlagBits)(1u << (u8(&r) % 8)) : 0,
                                      .imported = flags & 1,
                                      .state = st,
                                      .output = flags & 2,
                                      .history = flags & 32 ? 1u + (flags >> 6 & 1u) : 0,
                                      .history_init = (vkg_history_init)(flags >> 7)};
            if (vkg_graph_image(g, &d, &out) == VKG_SUCCESS && nres < MAX_RES) res[nres++] = out;
            if (out.id && d.history && nres < MAX_RES) res[nres++] = vkg_graph_previous(g, out);
            break;
        }
        case 2:
        case 3: { /* a pass */
            vkg_use uses[8];
            uint32_t nu = u8(&r) % 9;
            for (uint32_t i = 0; i < nu; i++) {
                uint32_t pick = u8(&r);
                vkg_resource h = nres && pick < 240 ? res[pick % nres] : (vkg_resource){u32(&r)};
                uses[i] = (vkg_use){.resource = h,
                                    .access = (vkg_access)(u8(&r) % (VKG_ACCESS_COUNT + 2)),
                                    .base_mip = count(&r) % 12,
                                    .mip_count = count(&r) % 12,
                                    .base_layer = count(&r) % 12,
                                    .layer_count = count(&r) % 12,
                                    .offset = (VkDeviceSize)count(&r) * 16,
                                    .size = (VkDeviceSize)count(&r) * 16};
            }
            uint32_t flags = u8(&r);
            vkg_pass_desc d = {.name = nm,
                               .queue = (vkg_queue_role)(flags % 4),
                               .uses = nu ? uses : (flags & 8 ? NULL : uses),
                               .use_count = flags & 16 ? nu + (u8(&r) % 3) : nu,
                               .side_effects = flags & 4};
            if (d.use_count > nu) d.use_count = nu; /* never read past our own array */
            vkg_pass p;
            if (vkg_graph_pass(g, &d, &p) != VKG_SUCCESS) break;
            if (flags & 32 && vkg_graph_set_record(g, p, NULL, NULL) != VKG_SUCCESS) abort();
            break;
        }
        case 4: /* an output */
            if (vkg_graph_output(g, nres && u8(&r) < 240 ? res[u8(&r) % nres] : (vkg_resource){u32(&r)}) ==
                VKG_SUCCESS) {
            }
            break;
        case 5: { /* lookups */
            vkg_resource f = vkg_graph_find_resource(g, nm ? nm : "");
            vkg_pass p = vkg_graph_find_pass(g, nm ? nm : "");
            (void)f, (void)p;
            break;
        }
        case 6: { /* compile (in place) in between */
            vkg_caps caps;
            vkg_caps_default(&caps);
            if (u8(&r) & 1)
                for (int q = 0; q < VKG_QUEUE_ROLE_COUNT; q++) caps.role_family[q] = 0;
            if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS && plan) abort();
            break;
        }
        default: /* a bad call or two */
            if (vkg_graph_buffer(g, NULL, &out) == VKG_SUCCESS) abort();
            if (vkg_graph_pass(g, NULL, NULL) == VKG_SUCCESS) abort();
            break;
        }
    }
    vkgf_compile_all(g);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    return 0;
}
