/* Built outside the tree against an installed vkgraph (tests/install/run.sh): compiles a small
 * graph with the default capabilities and checks the plan. */
#include <vkgraph.h>

#include <stdio.h>

int main(void)
{
    vkg_graph *g;
    vkg_resource img, out;
    vkg_plan *plan = NULL;
    if (vkg_graph_create(&(vkg_graph_desc){.name = "installed"}, &g) ||
        vkg_graph_image(g, &(vkg_graph_image_desc){.name = "a", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                   .width = 64, .height = 64}, &img) ||
        vkg_graph_image(g, &(vkg_graph_image_desc){.name = "out", .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                   .width = 64, .height = 64, .output = true}, &out) ||
        vkg_graph_pass(g, &(vkg_pass_desc){.name = "draw", .uses = (vkg_use[]){{img, VKG_ACCESS_COLOR_WRITE}},
                                           .use_count = 1}, NULL) ||
        vkg_graph_pass(g, &(vkg_pass_desc){.name = "blur", .queue = VKG_QUEUE_COMPUTE,
                                           .uses = (vkg_use[]){{img, VKG_ACCESS_COMPUTE_SAMPLED_READ},
                                                               {out, VKG_ACCESS_COMPUTE_STORAGE_WRITE}},
                                           .use_count = 2}, NULL))
        return 1;
    vkg_caps caps;
    vkg_caps_default(&caps);
    if (vkg_compile(g, &caps, &plan) != VKG_SUCCESS) return 1;
    vkg_plan_info info;
    vkg_plan_get_info(plan, &info);
    printf("vkgraph %d.%d.%d: %u passes, %u semaphore waits, %u queue transfers\n", VKG_VERSION_MAJOR,
           VKG_VERSION_MINOR, VKG_VERSION_PATCH, info.stats.passes, info.stats.semaphores,
           info.stats.queue_transfers);
    int ok = info.stats.passes == 2 && info.stats.semaphores == 1;
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    return !ok;
}
