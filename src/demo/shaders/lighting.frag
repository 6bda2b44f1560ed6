#version 450
/* Deferred lighting: a sun and eight orbiting point lights over the G-buffer, ambient light
 * scaled by SSAO, emissive surfaces, and a sky where nothing was drawn. */
layout(location = 0) in vec2 in_uv;
layout(set = 0, binding = 0) uniform sampler2D albedo_tex;
layout(set = 0, binding = 1) uniform sampler2D normal_tex;
layout(set = 0, binding = 2) uniform sampler2D emissive_tex;
layout(set = 0, binding = 3) uniform sampler2D depth_tex;
layout(set = 0, binding = 4) uniform sampler2D ao_tex;
layout(push_constant) uniform PC { mat4 inv_view_proj; vec4 camera_time; } pc;
layout(location = 0) out vec4 out_color;

vec3 sky(vec3 dir)
{
    float h = clamp(dir.y * 0.5 + 0.5, 0.0, 1.0);
    return mix(vec3(0.35, 0.32, 0.30), vec3(0.10, 0.22, 0.55), h) * 0.8;
}

vec3 shade(vec3 albedo, float metallic, float rough, vec3 n, vec3 v, vec3 l, vec3 radiance)
{
    vec3 h = normalize(v + l);
    float nl = max(dot(n, l), 0.0);
    float nh = max(dot(n, h), 0.0);
    float a = max(rough * rough, 0.02);
    float a2 = a * a;
    float dn = nh * nh * (a2 - 1.0) + 1.0;
    float D = a2 / (3.14159 * dn * dn);
    vec3 f0 = mix(vec3(0.04), albedo, metallic);
    vec3 F = f0 + (1.0 - f0) * pow(1.0 - max(dot(h, v), 0.0), 5.0);
    vec3 diffuse = (1.0 - metallic) * albedo / 3.14159;
    return (diffuse + F * D * 0.25) * radiance * nl;
}

void main()
{
    float d = textureLod(depth_tex, in_uv, 0.0).r;
    vec4 w = pc.inv_view_proj * vec4(in_uv * 2.0 - 1.0, d, 1.0);
    vec3 p = w.xyz / w.w;
    vec3 v = normalize(pc.camera_time.xyz - p);
    if (d >= 1.0) { out_color = vec4(sky(-v), 1.0); return; }
    vec4 a = textureLod(albedo_tex, in_uv, 0.0);
    vec4 nr = textureLod(normal_tex, in_uv, 0.0);
    vec3 n = normalize(nr.xyz);
    float ao = textureLod(ao_tex, in_uv, 0.0).r;
    vec3 c = shade(a.rgb, a.a, nr.w, n, v, normalize(vec3(0.4, 0.8, 0.3)), vec3(2.2, 2.0, 1.8));
    float t = pc.camera_time.w;
    for (int i = 0; i < 8; i++) {
        float ang = t * 0.5 + float(i) * 0.785398;
        vec3 lp = vec3(cos(ang) * 5.0, 0.9 + 0.4 * sin(t + float(i)), sin(ang) * 5.0);
        vec3 col = vec3(0.5 + 0.5 * cos(float(i) * 2.1), 0.5 + 0.5 * cos(float(i) * 2.1 + 2.1),
                        0.5 + 0.5 * cos(float(i) * 2.1 + 4.2)) * 6.0;
        vec3 l = lp - p;
        float dist2 = max(dot(l, l), 0.05);
        c += shade(a.rgb, a.a, nr.w, n, v, l * inversesqrt(dist2), col / dist2);
    }
    c += a.rgb * sky(n) * 0.6 * ao;
    c += textureLod(emissive_tex, in_uv, 0.0).rgb;
    out_color = vec4(c, 1.0);
}
