#version 450
/* Screen-space ambient occlusion in world space: 16 hemisphere samples around the G-buffer
 * normal, each projected back to the screen and compared with the depth buffer. */
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D depth_tex;
layout(set = 0, binding = 1) uniform sampler2D normal_tex;
layout(set = 0, binding = 2, r32f) uniform writeonly image2D ao_out;
layout(push_constant) uniform PC { mat4 view_proj; mat4 inv_view_proj; } pc;

uint hash(uint x)
{
    x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
    return x;
}
float rnd(inout uint s) { s = hash(s); return float(s >> 8) / 16777216.0; }

void main()
{
    ivec2 size = imageSize(ao_out);
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= size.x || px.y >= size.y) return;
    vec2 uv = (vec2(px) + 0.5) / vec2(size);
    float d = textureLod(depth_tex, uv, 0.0).r;
    if (d >= 1.0) { imageStore(ao_out, px, vec4(1.0)); return; }
    vec4 w = pc.inv_view_proj * vec4(uv * 2.0 - 1.0, d, 1.0);
    vec3 p = w.xyz / w.w;
    vec3 n = normalize(textureLod(normal_tex, uv, 0.0).xyz);
    uint s = hash(uint(px.x) * 1973u + uint(px.y) * 9277u);
    const float radius = 0.6;
    float occluded = 0.0;
    for (int i = 0; i < 16; i++) {
        vec3 v = vec3(rnd(s) * 2.0 - 1.0, rnd(s) * 2.0 - 1.0, rnd(s) * 2.0 - 1.0);
        v = normalize(v + n * 1e-3);
        if (dot(v, n) < 0.0) v = -v;
        float scale = float(i + 1) / 16.0;
        vec3 q = p + v * radius * mix(0.1, 1.0, scale * scale);
        vec4 c = pc.view_proj * vec4(q, 1.0);
        vec3 ndc = c.xyz / c.w;
        vec2 quv = ndc.xy * 0.5 + 0.5;
        if (any(lessThan(quv, vec2(0.0))) || any(greaterThan(quv, vec2(1.0)))) continue;
        float sd = textureLod(depth_tex, quv, 0.0).r;
        if (sd < ndc.z - 1e-4) {
            vec4 sw = pc.inv_view_proj * vec4(ndc.xy, sd, 1.0);
            float dist = length(sw.xyz / sw.w - p);
            occluded += smoothstep(0.0, 1.0, radius / max(dist, 1e-3) - 0.5);
        }
    }
    imageStore(ao_out, px, vec4(1.0 - occluded / 16.0));
}
