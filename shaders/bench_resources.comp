#version 460
// bench/resources and bench/dawn: one pass of the 6,000-resource frame. dst = the sum of
// five sources, 64 words each, buffers by device address.
#extension GL_EXT_buffer_reference : require
layout(local_size_x = 64) in;
layout(buffer_reference, std430) buffer Words { uint v[]; };
layout(push_constant) uniform Push { Words src[5]; Words dst; } p;
void main()
{
    uint i = gl_LocalInvocationID.x;
    p.dst.v[i] = p.src[0].v[i] + p.src[1].v[i] + p.src[2].v[i] + p.src[3].v[i] + p.src[4].v[i];
}
