#version 460
// bench/execute: one link of a chain of dispatches. dst[i] = src[i] + 1, or i for the first
// link (src == 0). Buffers come by device address, so no descriptor work is timed.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

layout(local_size_x = 64) in;
layout(buffer_reference, std430, buffer_reference_align = 4) buffer Words { uint w[]; };
layout(push_constant) uniform Push { uint64_t src; uint64_t dst; } pc;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    uint v = pc.src != 0 ? Words(pc.src).w[i] + 1u : i;
    Words(pc.dst).w[i] = v;
}
