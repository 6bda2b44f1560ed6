#version 450
/* Temporal accumulation over a history resource: this frame's lighting blended with last
 * frame's result ("taa@prev"), reprojected through the depth buffer with last frame's camera
 * and clamped to this frame's 3x3 neighbourhood, so that moving geometry does not ghost.
 * There is no sub-pixel jitter: it steadies shading noise (SSAO, specular) across frames. */
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D cur_tex;
layout(set = 0, binding = 1) uniform sampler2D depth_tex;
layout(set = 0, binding = 2) uniform sampler2D prev_tex;
layout(set = 0, binding = 3, rgba16f) uniform writeonly image2D taa_out;
/* reproject: this frame's clip space to last frame's; blend: the history's weight (0 on a
 * history's first frame) */
layout(push_constant) uniform PC { mat4 reproject; float blend; } pc;

void main()
{
    ivec2 size = imageSize(taa_out);
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= size.x || px.y >= size.y) return;
    vec3 c = texelFetch(cur_tex, px, 0).rgb;
    vec3 lo = c, hi = c;
    for (int y = -1; y <= 1; y++)
        for (int x = -1; x <= 1; x++) {
            vec3 n = texelFetch(cur_tex, clamp(px + ivec2(x, y), ivec2(0), size - 1), 0).rgb;
            lo = min(lo, n);
            hi = max(hi, n);
        }
    vec2 uv = (vec2(px) + 0.5) / vec2(size);
    float d = texelFetch(depth_tex, px, 0).r;
    vec4 prev = pc.reproject * vec4(uv * 2.0 - 1.0, d, 1.0);
    vec2 puv = prev.xy / prev.w * 0.5 + 0.5;
    vec3 result = c;
    if (pc.blend > 0.0 && all(greaterThanEqual(puv, vec2(0.0))) && all(lessThanEqual(puv, vec2(1.0))))
        result = mix(c, clamp(textureLod(prev_tex, puv, 0.0).rgb, lo, hi), pc.blend);
    imageStore(taa_out, px, vec4(result, 1.0));
}
