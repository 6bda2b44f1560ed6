#version 450
/* One step down the bloom chain: a 13-tap filtered half-size copy of the level above (the
 * HDR image, bright parts only, for the first step). */
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D src;
layout(set = 0, binding = 1, rgba16f) uniform writeonly image2D dst;
layout(push_constant) uniform PC { float threshold; } pc;

void main()
{
    ivec2 size = imageSize(dst);
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= size.x || px.y >= size.y) return;
    vec2 uv = (vec2(px) + 0.5) / vec2(size);
    vec2 t = 1.0 / vec2(textureSize(src, 0));
    vec3 c = textureLod(src, uv, 0.0).rgb * 0.5;
    c += (textureLod(src, uv + t * vec2(-1, -1), 0.0).rgb + textureLod(src, uv + t * vec2(1, -1), 0.0).rgb +
          textureLod(src, uv + t * vec2(-1, 1), 0.0).rgb + textureLod(src, uv + t * vec2(1, 1), 0.0).rgb) * 0.125;
    if (pc.threshold > 0.0) {
        float lum = dot(c, vec3(0.2126, 0.7152, 0.0722));
        c *= max(lum - pc.threshold, 0.0) / max(lum, 1e-4);
    }
    imageStore(dst, px, vec4(min(c, vec3(64.0)), 1.0));
}
