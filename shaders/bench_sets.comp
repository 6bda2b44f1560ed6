#version 460
// bench/bindless, the per-pass-set fallback: one invocation sums every texture of its set
// (a fixed array; dynamically uniform indices, so no descriptor-indexing feature needed).
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_samplerless_texture_functions : require
layout(local_size_x = 1) in;
layout(constant_id = 0) const uint SET_SIZE = 128;
layout(set = 0, binding = 0) uniform utexture2D textures[SET_SIZE];
layout(buffer_reference, std430) writeonly buffer Out { uint v[]; };
layout(push_constant) uniform Push { Out out_values; uint count; uint chunk; } pc;
void main()
{
    uint sum = 0;
    for (uint k = 0; k < pc.count; k++) sum += texelFetch(textures[k], ivec2(0), 0).x;
    pc.out_values.v[pc.chunk] = sum;
}
