#version 450
// Used by the harness test: mode 0 writes A, mode 1 reads A and writes B.
layout(local_size_x = 64) in;
layout(push_constant) uniform Push { uint mode; uint count; } pc;
layout(std430, set = 0, binding = 0) buffer A { uint a[]; };
layout(std430, set = 0, binding = 1) buffer B { uint b[]; };
void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.count) return;
    if (pc.mode == 0u) a[i] = i * 3u + 1u;
    else b[i] = a[i] * 2u;
}
