#version 450
/* GPU-driven scene update: animates every object and frustum-culls it, writing its instance
 * transform and its indirect draw (instance_count 0 when it is outside the view). */
#include "common.glsl"
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) readonly buffer Objects { Object objects[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Instances { Instance instances[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Draws { Draw draws[]; };
layout(push_constant) uniform PC { mat4 view_proj; float time; uint count; } pc;

mat3 rotation(vec3 axis, float a)
{
    float s = sin(a), c = cos(a), t = 1.0 - c;
    vec3 n = normalize(axis);
    return mat3(t * n.x * n.x + c, t * n.x * n.y + s * n.z, t * n.x * n.z - s * n.y,
                t * n.x * n.y - s * n.z, t * n.y * n.y + c, t * n.y * n.z + s * n.x,
                t * n.x * n.z + s * n.y, t * n.y * n.z - s * n.x, t * n.z * n.z + c);
}

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.count) return;
    Object o = objects[i];
    float bob = o.axis_speed.w != 0.0 ? 0.15 * sin(pc.time * 1.7 + float(i)) : 0.0;
    vec3 p = o.pos_scale.xyz + vec3(0.0, bob, 0.0);
    mat3 r = rotation(o.axis_speed.xyz, pc.time * o.axis_speed.w) * o.pos_scale.w;
    instances[i].model = mat4(vec4(r[0], 0.0), vec4(r[1], 0.0), vec4(r[2], 0.0), vec4(p, 1.0));
    instances[i].tint = o.tint;
    instances[i].material = o.material;

    /* sphere against the six frustum planes (Gribb-Hartmann, depth 0..1) */
    float radius = uintBitsToFloat(o.mesh.w) * o.pos_scale.w;
    mat4 m = transpose(pc.view_proj);
    vec4 planes[6] = vec4[6](m[3] + m[0], m[3] - m[0], m[3] + m[1], m[3] - m[1], m[2], m[3] - m[2]);
    bool visible = true;
    for (int k = 0; k < 6; k++) {
        vec4 pl = planes[k] / length(planes[k].xyz);
        if (dot(pl.xyz, p) + pl.w < -radius) visible = false;
    }
    draws[i].index_count = o.mesh.y;
    draws[i].instance_count = visible ? 1u : 0u;
    draws[i].first_index = o.mesh.x;
    draws[i].vertex_offset = int(o.mesh.z);
    draws[i].first_instance = 0u;
}
