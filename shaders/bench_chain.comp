#version 460
// bench/execute: one link of a chain of dispatches. dst[i] = src[i] + 1, or i for the first
// link (src == 0). Buffers come by device address (as uvec2: SwiftShader has no Int64), so
// no descriptor work is timed.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require

layout(local_size_x = 64) in;
layout(buffer_reference, std430, buffer_reference_align = 4) buffer Words { uint w[]; };
layout(push_constant) uniform Push { uvec2 src; uvec2 dst; } pc;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    uint v = pc.src != uvec2(0) ? Words(pc.src).w[i] + 1u : i;
    Words(pc.dst).w[i] = v;
}
