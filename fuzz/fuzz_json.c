/* libFuzzer target: the JSON graph loader, then the compiler on whatever graph it accepts
 * (for one queue family and for three), then the plan writers. Any input must end in a
 * result code: never a crash, a sanitizer report, a hang or a leak. Seeds: the example graphs. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    vkg_graph *g = NULL;
    uint32_t frames = 0;
    char error[256];
    if (vkg_graph_load_json_string(text, "fuzz.json", &(vkg_graph_desc){.logger = vkgf_quiet()}, &g,
                                   &frames, error, sizeof error) == VKG_SUCCESS) {
        vkgf_compile_all(g);
        vkg_graph_destroy(g);
    } else if (g) {
        abort(); /* a failed load must not hand out a graph */
    }
    free(text);
    return 0;
}
