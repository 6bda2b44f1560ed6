/* A triangle: one graphics pass draws into an imported image with dynamic rendering (the
 * graph picks load/store ops and layouts), a copy pass reads it back into a host-visible
 * buffer, and a host_read use makes the bytes visible to the CPU. Writes triangle.ppm. */
#include <volk.h> /* before vkgraph.h: the device table's struct */
#include <vkgraph.h>

static const uint32_t vert_spv[] =
#include "triangle.vert.inc"
    ;
static const uint32_t frag_spv[] =
#include "triangle.frag.inc"
    ;
enum { W = 256, H = 256 };

typedef struct app {
    VkPipeline pipeline;
    vkg_resource image, pixels;
} app;

static void draw(const vkg_pass_context *ctx, void *user)
{
    const app *a = user;
    const struct VolkDeviceTable *vk = vkg_pass_device_table(ctx);
    VkCommandBuffer cmd = vkg_pass_command_buffer(ctx);
    /* the image's contents start undefined: the graph clears it to this colour */
    vkg_pass_begin_rendering(
        ctx, &(vkg_rendering_desc){.clear_color = {{0.1f, 0.1f, 0.1f, 1}}, .clear = true});
    vk->vkCmdSetViewport(cmd, 0, 1, &(VkViewport){0, 0, W, H, 0, 1});
    vk->vkCmdSetScissor(cmd, 0, 1, &(VkRect2D){{0, 0}, {W, H}});
    vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, a->pipeline);
    vk->vkCmdDraw(cmd, 3, 1, 0, 0);
    vkg_pass_end_rendering(ctx);
}

static void copy(const vkg_pass_context *ctx, void *user)
{
    const app *a = user;
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {W, H, 1}};
    vkg_pass_device_table(ctx)->vkCmdCopyImageToBuffer(
        vkg_pass_command_buffer(ctx), vkg_pass_image(ctx, a->image),
        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, vkg_pass_buffer(ctx, a->pixels), 1, &region);
}

static VkPipeline make_pipeline(const vkg_device_vk *vk, VkPipelineLayout layout)
{
    const struct VolkDeviceTable *t = vk->device_table;
    VkShaderModule vs = VK_NULL_HANDLE, fs = VK_NULL_HANDLE;
    VkPipeline p = VK_NULL_HANDLE;
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = sizeof vert_spv,
                                   .pCode = vert_spv};
    if (t->vkCreateShaderModule(vk->device, &mi, NULL, &vs) != VK_SUCCESS) return p;
    mi.codeSize = sizeof frag_spv;
    mi.pCode = frag_spv;
    if (t->vkCreateShaderModule(vk->device, &mi, NULL, &fs) == VK_SUCCESS) {
        VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
        VkPipelineShaderStageCreateInfo stages[2] = {
            {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
             .stage = VK_SHADER_STAGE_VERTEX_BIT, .module = vs, .pName = "main"},
            {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
             .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = fs, .pName = "main"}};
        VkDynamicState dyn[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
        VkGraphicsPipelineCreateInfo ci = {
            .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
            .pNext =
                &(VkPipelineRenderingCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
                    .colorAttachmentCount = 1,
                    .pColorAttachmentFormats = &format},
            .stageCount = 2,
            .pStages = stages,
            .pVertexInputState =
                &(VkPipelineVertexInputStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO},
            .pInputAssemblyState =
                &(VkPipelineInputAssemblyStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                    .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST},
            .pViewportState =
                &(VkPipelineViewportStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                    .viewportCount = 1,
                    .scissorCount = 1},
            .pRasterizationState =
                &(VkPipelineRasterizationStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                    .lineWidth = 1.0f},
            .pMultisampleState =
                &(VkPipelineMultisampleStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                    .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT},
            .pColorBlendState =
                &(VkPipelineColorBlendStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                    .attachmentCount = 1,
                    .pAttachments = &(VkPipelineColorBlendAttachmentState){.colorWriteMask = 0xf}},
            .pDynamicState =
                &(VkPipelineDynamicStateCreateInfo){
                    .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
                    .dynamicStateCount = 2,
                    .pDynamicStates = dyn},
            .layout = layout};
        if (t->vkCreateGraphicsPipelines(vk->device, VK_NULL_HANDLE, 1, &ci, NULL, &p) !=
            VK_SUCCESS)
            p = VK_NULL_HANDLE;
    }
    t->vkDestroyShaderModule(vk->device, fs, NULL);
    t->vkDestroyShaderModule(vk->device, vs, NULL);
    return p;
}

int main(void)
{
    vkg_device *dev;
    if (vkg_device_create(&(vkg_device_desc){.app_name = "triangle example"}, &dev)) return 1;
    vkg_device_vk vk;
    vkg_device_get_vk(dev, &vk);
    const struct VolkDeviceTable *t = vk.device_table;
    VkPipelineLayout layout;
    if (t->vkCreatePipelineLayout(
            vk.device,
            &(VkPipelineLayoutCreateInfo){.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO},
            NULL, &layout) != VK_SUCCESS)
        return 1;
    app a = {.pipeline = make_pipeline(&vk, layout)};
    if (!a.pipeline) return 1;

    /* the graph: both resources are the caller's (imported), so the graph allocates nothing */
    vkg_graph *g;
    vkg_plan *plan = NULL; /* NULL: a new plan (a plan of this graph: recompiled in place) */
    if (vkg_graph_create(&(vkg_graph_desc){.name = "triangle"}, &g) ||
        vkg_graph_image(g,
                        &(vkg_graph_image_desc){.name = "image",
                                                .format = VK_FORMAT_R8G8B8A8_UNORM,
                                                .width = W,
                                                .height = H,
                                                .imported = true},
                        &a.image) ||
        vkg_graph_buffer(
            g, &(vkg_graph_buffer_desc){.name = "pixels", .size = W * H * 4, .imported = true},
            &a.pixels))
        return 1;
    vkg_use draw_uses[] = {{a.image, VKG_ACCESS_COLOR_WRITE}};
    vkg_use copy_uses[] = {{a.image, VKG_ACCESS_TRANSFER_READ},
                           {a.pixels, VKG_ACCESS_TRANSFER_WRITE}};
    vkg_use host_uses[] = {{a.pixels, VKG_ACCESS_HOST_READ}};
    if (vkg_graph_pass(
            g,
            &(vkg_pass_desc){
                .name = "draw", .uses = draw_uses, .use_count = 1, .record = draw, .user = &a},
            NULL) ||
        vkg_graph_pass(
            g,
            &(vkg_pass_desc){
                .name = "copy", .uses = copy_uses, .use_count = 2, .record = copy, .user = &a},
            NULL) ||
        vkg_graph_pass(g, &(vkg_pass_desc){.name = "host", .uses = host_uses, .use_count = 1},
                       NULL) ||
        vkg_compile(g, vkg_device_caps(dev), &plan))
        return 1;

    vkg_executor *ex;
    vkg_image image;
    vkg_buffer pixels;
    vkg_ticket done;
    vkg_buffer_info info;
    if (vkg_executor_create(dev, &(vkg_executor_desc){0}, &ex) ||
        vkg_image_create(dev,
                         &(vkg_image_desc){.name = "image",
                                           .format = VK_FORMAT_R8G8B8A8_UNORM,
                                           .width = W,
                                           .height = H,
                                           .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                                    VK_IMAGE_USAGE_TRANSFER_SRC_BIT},
                         &image) ||
        vkg_buffer_create(dev,
                          &(vkg_buffer_desc){.name = "pixels",
                                             .size = W * H * 4,
                                             .memory_usage = VKG_MEMORY_READBACK},
                          &pixels))
        return 1;
    vkg_binding binds[2] = {{a.image, .image = image}, {a.pixels, .buffer = pixels}};
    if (vkg_execute(plan,
                    &(vkg_execute_desc){.executor = ex, .bindings = binds, .binding_count = 2},
                    &done) ||
        vkg_ticket_wait(dev, done, UINT64_MAX) || vkg_buffer_get_info(dev, pixels, &info) ||
        vkg_buffer_invalidate(dev, pixels, 0, VK_WHOLE_SIZE))
        return 1;

    /* the centre is inside (a mix of the three colours), the corners are the clear colour */
    const uint8_t *px = info.mapped, *centre = px + ((H / 2) * W + W / 2) * 4, *corner = px;
    int ok = centre[0] > 40 && centre[1] > 40 && centre[2] > 40 && corner[0] >= 24 &&
             corner[0] <= 27 && corner[2] >= 24 && corner[2] <= 27;
    FILE *f = fopen("triangle.ppm", "wb");
    if (f) {
        fprintf(f, "P6\n%d %d\n255\n", W, H);
        for (int i = 0; i < W * H; i++) fwrite(px + 4 * i, 1, 3, f);
        fclose(f);
    }
    uint32_t messages = vkg_device_validation_count(dev);
    printf("triangle: centre %u,%u,%u corner %u,%u,%u: %s; %u validation messages; wrote "
           "triangle.ppm\n",
           centre[0], centre[1], centre[2], corner[0], corner[1], corner[2], ok ? "ok" : "WRONG",
           messages);

    vkg_buffer_destroy(dev, pixels);
    vkg_image_destroy(dev, image);
    vkg_executor_destroy(ex);
    vkg_plan_destroy(plan);
    vkg_graph_destroy(g);
    t->vkDestroyPipeline(vk.device, a.pipeline, NULL);
    t->vkDestroyPipelineLayout(vk.device, layout, NULL);
    vkg_device_destroy(dev);
    return !ok || messages;
}
