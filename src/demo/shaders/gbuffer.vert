#version 450
#include "common.glsl"
layout(location = 0) in vec3 in_pos;
layout(location = 1) in vec3 in_normal;
layout(location = 2) in vec2 in_uv;
layout(std430, set = 0, binding = 0) readonly buffer Instances { Instance instances[]; };
layout(push_constant) uniform PC { mat4 view_proj; uint object; } pc;
layout(location = 0) out vec3 out_normal;
layout(location = 1) out vec2 out_uv;
layout(location = 2) flat out vec4 out_tint;
layout(location = 3) flat out vec4 out_material;

void main()
{
    Instance inst = instances[pc.object];
    mat4 model = inst.model;
    vec4 world = model * vec4(in_pos, 1.0);
    out_normal = mat3(model) * in_normal; /* uniform scale: no inverse transpose needed */
    out_uv = in_uv;
    out_tint = inst.tint;
    out_material = inst.material;
    gl_Position = pc.view_proj * world;
}
