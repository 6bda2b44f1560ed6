/* A compute graph: pass "fill" writes 0..N-1 into a transient buffer, pass "square" squares
 * it into a host-visible buffer, and a host_read use makes the result visible to the CPU.
 * vkgraph places every barrier; the program only records dispatches. */
#include <volk.h> /* before vkgraph.h: the device table's struct */
#include <vkgraph.h>

static const uint32_t spirv[] =
#include "squares.comp.inc"
    ;
enum { N = 4096 };

typedef struct step {
    VkPipelineLayout layout;
    VkPipeline pipeline;
    vkg_resource src, dst;
    uint32_t square;
} step;

static void record(const vkg_pass_context *ctx, void *user)
{
    const step *s = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    struct {
        VkDeviceAddress src, dst;
        uint32_t count, square;
    } push = {s->square ? vkg_pass_buffer_address(ctx, s->src) : 0,
              vkg_pass_buffer_address(ctx, s->dst), N, s->square};
    vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, s->pipeline);
    vk->vkCmdPushConstants(cmd, s->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
    vk->vkCmdDispatch(cmd, N / 64, 1, 1);
}

int main(void)
{
    vkg_device *dev;
    if (vkg_device_create(&(vkg_device_desc){.app_name = "compute example"}, &dev)) return 1;
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    const struct VolkDeviceTable *t = vk.device_table;

    /* the pipeline: plain Vulkan (the graph does not own pipelines) */
    step s[2] = {{0}};
    VkShaderModule module;
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 24};
    if (t->vkCreateShaderModule(
            vk.device,
            &(VkShaderModuleCreateInfo){.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                        .codeSize = sizeof spirv,
                                        .pCode = spirv},
            NULL, &module) ||
        t->vkCreatePipelineLayout(
            vk.device,
            &(VkPipelineLayoutCreateInfo){.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                          .pushConstantRangeCount = 1,
                                          .pPushConstantRanges = &range},
            NULL, &s[0].layout) ||
        t->vkCreateComputePipelines(
            vk.device, VK_NULL_HANDLE, 1,
            &(VkComputePipelineCreateInfo){
                .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                          .module = module,
                          .pName = "main"},
                .layout = s[0].layout},
            NULL, &s[0].pipeline))
        return 1;

    /* the graph: one transient buffer, one imported, three passes */
    vkg_graph *g;
    vkg_resource numbers, squares;
    if (vkg_graph_create(&(vkg_graph_desc){.name = "squares"}, &g) ||
        vkg_graph_buffer(g, &(vkg_graph_buffer_desc){.name = "numbers", .size = 4 * N}, &numbers) ||
        vkg_graph_buffer(
            g, &(vkg_graph_buffer_desc){.name = "squares", .size = 4 * N, .imported = true},
            &squares))
        return 1;
    s[0].dst = numbers;
    s[1] = (step){s[0].layout, s[0].pipeline, numbers, squares, 1};
    vkg_use fill[] = {{numbers, VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    vkg_use square[] = {{numbers, VKG_ACCESS_COMPUTE_STORAGE_READ},
                        {squares, VKG_ACCESS_COMPUTE_STORAGE_WRITE}};
    vkg_use host[] = {{squares, VKG_ACCESS_HOST_READ}};
    vkg_plan *plan = NULL; /* NULL: a new plan (a plan of this graph: recompiled in place) */
    if (vkg_graph_pass(
            g,
            &(vkg_pass_desc){"fill", .uses = fill, .use_count = 1, .record = record, .user = &s[0]},
            NULL) ||
        vkg_graph_pass(g,
                       &(vkg_pass_desc){"square", .uses = square, .use_count = 2, .record = record,
                                        .user = &s[1]},
                       NULL) ||
        vkg_graph_pass(g, &(vkg_pass_desc){"host", .uses = host, .use_count = 1}, NULL) ||
        vkg_compile(g, vkg_device_caps(dev), &plan))
        return 1;

    /* run it once against a real buffer and check the numbers */
    vkg_executor *ex;
    vkg_buffer out;
    vkg_ticket done;
    vkg_buffer_info info;
    if (vkg_executor_create(dev, &(vkg_executor_desc){0}, &ex) ||
        vkg_buffer_create(dev,
                          &(vkg_buffer_desc){.name = "squares",
                                             .size = 4 * N,
                                             .memory_usage = VKG_MEMORY_READBACK},
                          &out) ||
        vkg_execute(plan, &(vkg_execute_desc){ex, &(vkg_binding){squares, .buffer = out}, 1},
                    &done) ||
        vkg_ticket_wait(dev, done, UINT64_MAX) || vkg_buffer_get_info(dev, out, &info) ||
        vkg_buffer_invalidate(dev, out, 0, VK_WHOLE_SIZE))
        return 1;
    uint32_t wrong = 0, messages = vkg_device_validation_count(dev);
    for (uint32_t i = 0; i < N; i++) wrong += ((const uint32_t *)info.mapped)[i] != i * i;
    printf("%u squares, %u wrong, %u validation messages\n", N, wrong, messages);

    vkg_buffer_destroy(dev, out);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    t->vkDestroyPipeline(vk.device, s[0].pipeline, NULL);
    t->vkDestroyPipelineLayout(vk.device, s[0].layout, NULL);
    t->vkDestroyShaderModule(vk.device, module, NULL);
    vkg_device_destroy(dev);
    return wrong || messages;
}
