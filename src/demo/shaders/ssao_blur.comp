#version 450
/* 5x5 box blur of the raw occlusion. */
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D ao_in;
layout(set = 0, binding = 1, r32f) uniform writeonly image2D ao_out;

void main()
{
    ivec2 size = imageSize(ao_out);
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= size.x || px.y >= size.y) return;
    float sum = 0.0;
    for (int y = -2; y <= 2; y++)
        for (int x = -2; x <= 2; x++)
            sum += texelFetch(ao_in, clamp(px + ivec2(x, y), ivec2(0), size - 1), 0).r;
    imageStore(ao_out, px, vec4(sum / 25.0));
}
