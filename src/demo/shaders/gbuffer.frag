#version 450
layout(location = 0) in vec3 in_normal;
layout(location = 1) in vec2 in_uv;
layout(location = 2) flat in vec4 in_tint;
layout(location = 3) flat in vec4 in_material; /* texture layer, roughness, metallic, emissive */
layout(set = 0, binding = 1) uniform sampler2DArray textures;
layout(location = 0) out vec4 out_albedo;   /* rgb albedo, a metallic */
layout(location = 1) out vec4 out_normal;   /* xyz world normal, w roughness */
layout(location = 2) out vec4 out_emissive; /* rgb emitted radiance */

void main()
{
    vec3 tex = texture(textures, vec3(in_uv, in_material.x)).rgb;
    vec3 albedo = pow(tex, vec3(2.2)) * in_tint.rgb; /* textures hold sRGB-encoded texels */
    out_albedo = vec4(albedo, in_material.z);
    out_normal = vec4(normalize(in_normal), in_material.y);
    out_emissive = vec4(in_tint.rgb * in_material.w, 1.0);
}
