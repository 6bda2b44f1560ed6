#version 460
// examples/compute.c: pass "fill" writes i, pass "square" writes i * i. Buffers are reached
// by device address (no descriptor sets).
#extension GL_EXT_buffer_reference : require
layout(local_size_x = 64) in;
layout(buffer_reference, std430) buffer Words { uint v[]; };
layout(push_constant) uniform Push { Words src; Words dst; uint count; uint square; } p;
void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < p.count) p.dst.v[i] = p.square != 0 ? p.src.v[i] * p.src.v[i] : i;
}
